// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

/// @title ERC6538Registry — the ERC-6538 registry of stealth meta-addresses
/// @notice An account registers its meta-address per scheme itself, or anyone submits it with the
/// account's EIP-712 signature (an EOA's, or a contract wallet's through EIP-1271). Each signature
/// carries the registrant's nonce, so it registers once; ``incrementNonce`` cancels signatures
/// not yet used. The EIP-712 domain (name "ERC6538Registry", version "1.0", chain id, this
/// contract) keeps a signature from being replayed on another chain or registry.
contract ERC6538Registry is EIP712 {
    /// @notice The EIP-712 type of a registration signed for ``registerKeysOnBehalf``.
    bytes32 public constant ERC6538REGISTRY_ENTRY_TYPE_HASH =
        keccak256("Erc6538RegistryEntry(uint256 schemeId,bytes stealthMetaAddress,uint256 nonce)");

    /// @notice The meta-address an account registered for a scheme (empty: none).
    mapping(address registrant => mapping(uint256 schemeId => bytes)) public stealthMetaAddressOf;
    /// @notice The nonce the next signature of ``registrant`` must carry.
    mapping(address registrant => uint256) public nonceOf;

    event StealthMetaAddressSet(address indexed registrant, uint256 indexed schemeId, bytes stealthMetaAddress);
    event NonceIncremented(address indexed registrant, uint256 newNonce);

    error ERC6538Registry__InvalidSignature();

    constructor() EIP712("ERC6538Registry", "1.0") {}

    /// @notice Set the caller's meta-address for ``schemeId``.
    function registerKeys(uint256 schemeId, bytes calldata stealthMetaAddress) external {
        _set(msg.sender, schemeId, stealthMetaAddress);
    }

    /// @notice Set ``registrant``'s meta-address with its signature over (scheme, meta-address, nonce).
    function registerKeysOnBehalf(
        address registrant,
        uint256 schemeId,
        bytes memory signature,
        bytes calldata stealthMetaAddress
    ) external {
        uint256 nonce = nonceOf[registrant];
        bytes32 digest = _hashTypedDataV4(
            keccak256(abi.encode(ERC6538REGISTRY_ENTRY_TYPE_HASH, schemeId, keccak256(stealthMetaAddress), nonce))
        );
        if (!SignatureChecker.isValidSignatureNow(registrant, digest, signature)) {
            revert ERC6538Registry__InvalidSignature();
        }
        nonceOf[registrant] = nonce + 1;
        _set(registrant, schemeId, stealthMetaAddress);
    }

    /// @notice Invalidate the caller's signatures not used yet.
    function incrementNonce() external {
        uint256 next = nonceOf[msg.sender] + 1;
        nonceOf[msg.sender] = next;
        emit NonceIncremented(msg.sender, next);
    }

    /// @notice The EIP-712 domain separator (recomputed on another chain id).
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    function _set(address registrant, uint256 schemeId, bytes calldata stealthMetaAddress) private {
        stealthMetaAddressOf[registrant][schemeId] = stealthMetaAddress;
        emit StealthMetaAddressSet(registrant, schemeId, stealthMetaAddress);
    }
}
