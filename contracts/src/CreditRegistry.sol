// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ICreditLine} from "./LendingMarket.sol";
import {IInferenceVerifier} from "./LiquidationGuard.sol";

/// @title CreditRegistry — proven credit scores over wallets linked across chains
/// @notice A user (the primary wallet, on this chain) links wallets it controls on other chains
/// (or this one): each link carries the linked wallet's EIP-712 signature, bound to this chain
/// and contract, the primary, and the primary's nonce, so it cannot be replayed elsewhere and no
/// wallet can serve two primaries. A score is accepted only with (1) the feature attester's
/// EIP-712 signature over the primary, the hash of exactly its linked wallets, the features and
/// the time they were read (the indexer over both chains computes them), and (2) a proof,
/// verified through the ModelRegistry, that the committed scoring model turned exactly those
/// features (public instances) into the score. A lending market reads `creditBonus` to lower
/// the user's collateral requirement while the score is fresh.
contract CreditRegistry is EIP712, ICreditLine {
    struct Wallet {
        address wallet;
        uint256 chainId;
    }

    struct Score {
        uint64 asOf; // when the features were read
        uint192 score; // WAD in [0, 1]
    }

    bytes32 public constant LINK_TYPEHASH =
        keccak256("LinkWallet(address primary,address wallet,uint256 walletChainId,uint256 nonce,uint256 deadline)");
    bytes32 public constant FEATURES_TYPEHASH =
        keccak256("CreditFeatures(address primary,bytes32 walletsHash,bytes32 featuresHash,uint64 asOf)");
    uint256 public constant WAD = 1e18;
    uint256 public constant FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @notice A perfect score lowers the collateral requirement by this much (LendingMarket caps it too).
    uint256 public constant MAX_BONUS = 0.1e18;
    uint256 public constant MAX_WALLETS = 8;

    IInferenceVerifier public immutable registry;
    bytes32 public immutable modelId;
    address public immutable attester;
    uint8 public immutable featureCount;
    uint8 public immutable outputScale;
    /// @notice Seconds a score stays valid after its features were read.
    uint64 public immutable validFor;

    mapping(address primary => Wallet[]) private _wallets;
    /// @notice The primary a wallet on a chain is linked to (zero: none).
    mapping(uint256 chainId => mapping(address wallet => address primary)) public primaryOf;
    mapping(address primary => uint256) public nonces;
    mapping(address primary => Score) public scores;

    event WalletLinked(address indexed primary, address indexed wallet, uint256 walletChainId);
    event ScoreAccepted(address indexed primary, uint256 score, uint64 asOf, bytes32 walletsHash);

    error Expired(uint256 deadline);
    error AlreadyLinked(address wallet, uint256 chainId, address primary);
    error BadLinkSignature(address wallet);
    error TooManyWallets();
    error NotLinked(address primary);
    error BadAttestation();
    error StaleFeatures(uint64 asOf);
    error WrongInstanceCount(uint256 given);
    error ZeroAddress();

    constructor(
        IInferenceVerifier registry_,
        bytes32 modelId_,
        address attester_,
        uint8 featureCount_,
        uint8 outputScale_,
        uint64 validFor_
    ) EIP712("aiweb3 CreditRegistry", "1") {
        if (attester_ == address(0) || address(registry_) == address(0)) revert ZeroAddress();
        registry = registry_;
        modelId = modelId_;
        attester = attester_;
        featureCount = featureCount_;
        outputScale = outputScale_;
        validFor = validFor_;
    }

    /// @notice The EIP-712 domain separator (chain id and this contract are in it).
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @notice Link `wallet` on chain `walletChainId` to your account; `signature` is the wallet's
    /// EIP-712 signature of LinkWallet(you, wallet, walletChainId, nonces[you], deadline).
    /// A new link drops your current score (its wallets changed).
    function link(address wallet, uint256 walletChainId, uint256 deadline, bytes calldata signature) external {
        address primary = msg.sender;
        if (block.timestamp > deadline) revert Expired(deadline);
        address taken = primaryOf[walletChainId][wallet];
        if (taken != address(0)) revert AlreadyLinked(wallet, walletChainId, taken);
        // the primary itself must not already serve as someone else's linked wallet here
        address own = primaryOf[block.chainid][primary];
        if (own != address(0) && own != primary) revert AlreadyLinked(primary, block.chainid, own);
        if (_wallets[primary].length >= MAX_WALLETS) revert TooManyWallets();
        bytes32 digest = _hashTypedDataV4(
            keccak256(abi.encode(LINK_TYPEHASH, primary, wallet, walletChainId, nonces[primary], deadline))
        );
        // The third value only details the error, which `err` already reports (Slither unused-return).
        // slither-disable-next-line unused-return
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signature);
        if (err != ECDSA.RecoverError.NoError || signer != wallet) revert BadLinkSignature(wallet);
        nonces[primary] += 1;
        primaryOf[block.chainid][primary] = primary;
        primaryOf[walletChainId][wallet] = primary;
        _wallets[primary].push(Wallet(wallet, walletChainId));
        delete scores[primary];
        emit WalletLinked(primary, wallet, walletChainId);
    }

    /// @notice The wallets linked to `primary` (the primary itself not included).
    function linkedWallets(address primary) external view returns (Wallet[] memory) {
        return _wallets[primary];
    }

    /// @notice The hash the attester signs for `primary`'s wallets: the primary on this chain,
    /// then every linked wallet with its chain, in link order.
    function walletsHash(address primary) public view returns (bytes32) {
        return keccak256(abi.encode(primary, block.chainid, _wallets[primary]));
    }

    /// @notice Accept a proven score for `primary`. `instances` are the proof's public
    /// instances: the features (as attested) then the score.
    function submitScore(
        address primary,
        uint64 asOf,
        bytes calldata attestation,
        bytes calldata proof,
        uint256[] calldata instances
    ) external returns (uint256 score) {
        if (_wallets[primary].length == 0) revert NotLinked(primary);
        if (asOf > block.timestamp || asOf + validFor < block.timestamp) revert StaleFeatures(asOf);
        if (asOf <= scores[primary].asOf) revert StaleFeatures(asOf);
        uint256 n = featureCount;
        if (instances.length != n + 1) revert WrongInstanceCount(instances.length);
        bytes32 wHash = _checkAttestation(primary, asOf, attestation, instances[:n]);
        score = _score(instances[n]);
        scores[primary] = Score(asOf, uint192(score));
        emit ScoreAccepted(primary, score, asOf, wHash);
        // The registry reverts unless the proof verifies for the scoring model.
        // slither-disable-next-line unused-return
        registry.verifyInference(modelId, proof, instances);
    }

    /// The attester must have signed these features for exactly `primary`'s linked wallets.
    function _checkAttestation(address primary, uint64 asOf, bytes calldata attestation, uint256[] calldata features)
        private
        view
        returns (bytes32 wHash)
    {
        wHash = walletsHash(primary);
        bytes32 digest = _hashTypedDataV4(
            keccak256(abi.encode(FEATURES_TYPEHASH, primary, wHash, keccak256(abi.encodePacked(features)), asOf))
        );
        // The third value only details the error, which `err` already reports (Slither unused-return).
        // slither-disable-next-line unused-return
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, attestation);
        if (err != ECDSA.RecoverError.NoError || signer != attester) revert BadAttestation();
    }

    /// The output instance as a WAD in [0, 1] (negative: 0).
    function _score(uint256 felt) private view returns (uint256 score) {
        if (felt > FIELD / 2) return 0;
        score = (felt * WAD) >> outputScale;
        if (score > WAD) score = WAD;
    }

    /// @inheritdoc ICreditLine
    function creditBonus(address user) external view returns (uint256) {
        Score memory s = scores[user];
        if (s.asOf == 0 || s.asOf + validFor < block.timestamp) return 0;
        return (uint256(s.score) * MAX_BONUS) / WAD;
    }
}
