// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// The Groth16 verifier snarkjs exports for the withdrawal circuit (eight public signals).
interface IWithdrawVerifier {
    function verifyProof(
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[8] calldata publicSignals
    ) external view returns (bool);
}

/// circomlib's Poseidon of two field elements (the contract circomlibjs generates).
interface IPoseidon2 {
    function poseidon(uint256[2] calldata inputs) external pure returns (uint256);
}

/// @title ShieldedPool — fixed-denomination AIUSD deposits withdrawn with zero-knowledge proofs
/// @notice A deposit adds a commitment Poseidon(nullifier, secret) to an incremental Poseidon
/// Merkle tree (depth 20) and takes exactly `denomination` tokens. A withdrawal proves, without
/// naming the deposit, that the caller knows the preimage of some leaf under a recent root and
/// under an association-set root the pool's provider published (a vetted subset of deposits),
/// and reveals Poseidon(nullifier) so each deposit pays out once. The proof binds recipient,
/// relayer, fee, chain id and this pool's address: changing any of them invalidates it, and a
/// relayer that submits it can take the fee only to the address the withdrawer chose.
contract ShieldedPool is ReentrancyGuard {
    using SafeERC20 for IERC20;

    uint256 public constant FIELD_SIZE =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint32 public constant LEVELS = 20;
    uint32 public constant ROOT_HISTORY = 30;
    /// The value of an empty leaf: keccak256("aiweb3.shielded-pool") mod the field.
    uint256 public constant ZERO_LEAF = uint256(keccak256("aiweb3.shielded-pool")) % FIELD_SIZE;

    IERC20 public immutable token;
    IWithdrawVerifier public immutable verifier;
    IPoseidon2 public immutable hasher;
    uint256 public immutable denomination;
    /// The only account that may publish association-set roots.
    address public immutable associationProvider;

    /// zeros[i]: the root of an empty subtree of height i.
    uint256[LEVELS] public zeros;
    uint256[LEVELS] public filledSubtrees;
    uint256[ROOT_HISTORY] public roots;
    uint32 public currentRootIndex;
    uint32 public nextIndex;

    mapping(uint256 => bool) public commitments;
    mapping(uint256 => bool) public nullifierSpent;
    mapping(uint256 => bool) public associationRoots;

    event Deposit(address indexed depositor, uint256 indexed commitment, uint32 leafIndex, uint256 root);
    event Withdrawal(address indexed recipient, address indexed relayer, uint256 nullifierHash, uint256 fee);
    /// The approved subset: the first `size` leaves without the leaf indices in `excluded`.
    event AssociationSetPublished(uint256 indexed root, uint32 size, uint32[] excluded);

    error ZeroDenomination();
    error NotAFieldElement(uint256 value);
    error DuplicateCommitment(uint256 commitment);
    error TreeFull();
    error WrongAmount(uint256 received, uint256 expected);
    error FeeAboveDenomination(uint256 fee, uint256 denomination);
    error NullifierAlreadySpent(uint256 nullifierHash);
    error UnknownRoot(uint256 root);
    error UnknownAssociationRoot(uint256 root);
    error ZeroRecipient();
    error InvalidProof();
    error NotAssociationProvider(address caller);
    error SetLargerThanTree(uint32 size, uint32 leaves);

    constructor(
        IERC20 token_,
        IWithdrawVerifier verifier_,
        IPoseidon2 hasher_,
        uint256 denomination_,
        address associationProvider_
    ) {
        if (denomination_ == 0) revert ZeroDenomination();
        token = token_;
        verifier = verifier_;
        hasher = hasher_;
        denomination = denomination_;
        associationProvider = associationProvider_;
        uint256 node = ZERO_LEAF;
        for (uint32 i = 0; i < LEVELS; i++) {
            zeros[i] = node;
            filledSubtrees[i] = node;
            node = hasher_.poseidon([node, node]);
        }
        roots[0] = node;
    }

    /// Take `denomination` tokens from the caller (approve first) and add `commitment` to the tree.
    function deposit(uint256 commitment) external nonReentrant returns (uint32 leafIndex) {
        if (commitment >= FIELD_SIZE) revert NotAFieldElement(commitment);
        if (commitments[commitment]) revert DuplicateCommitment(commitment);
        commitments[commitment] = true;
        leafIndex = _insert(commitment);
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), denomination);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != denomination) revert WrongAmount(received, denomination);
        emit Deposit(msg.sender, commitment, leafIndex, roots[currentRootIndex]);
    }

    /// Pay `denomination - fee` to `recipient` and `fee` to `relayer` for a valid proof.
    /// @param proof the Groth16 proof as snarkjs's Solidity calldata orders it: a, b, c flattened
    function withdraw(
        uint256[8] calldata proof,
        uint256 root,
        uint256 nullifierHash,
        address recipient,
        address relayer,
        uint256 fee,
        uint256 associationRoot
    ) external nonReentrant {
        if (fee > denomination) revert FeeAboveDenomination(fee, denomination);
        if (recipient == address(0)) revert ZeroRecipient();
        if (nullifierSpent[nullifierHash]) revert NullifierAlreadySpent(nullifierHash);
        if (!isKnownRoot(root)) revert UnknownRoot(root);
        if (!associationRoots[associationRoot]) revert UnknownAssociationRoot(associationRoot);
        uint256[8] memory signals = [
            root,
            nullifierHash,
            uint256(uint160(recipient)),
            uint256(uint160(relayer)),
            fee,
            block.chainid,
            uint256(uint160(address(this))),
            associationRoot
        ];
        bool valid = verifier.verifyProof(
            [proof[0], proof[1]], [[proof[2], proof[3]], [proof[4], proof[5]]], [proof[6], proof[7]], signals
        );
        if (!valid) revert InvalidProof();
        nullifierSpent[nullifierHash] = true;
        emit Withdrawal(recipient, relayer, nullifierHash, fee);
        token.safeTransfer(recipient, denomination - fee);
        if (fee > 0) token.safeTransfer(relayer, fee);
    }

    /// Publish the root of an association set: the first `size` leaves minus `excluded` (leaf
    /// indices), so anyone can rebuild the set from the Deposit events and check the root.
    function publishAssociationSet(uint256 root, uint32 size, uint32[] calldata excluded) external {
        if (msg.sender != associationProvider) revert NotAssociationProvider(msg.sender);
        if (root >= FIELD_SIZE) revert NotAFieldElement(root);
        if (size > nextIndex) revert SetLargerThanTree(size, nextIndex);
        associationRoots[root] = true;
        emit AssociationSetPublished(root, size, excluded);
    }

    /// The current root of the deposit tree.
    function currentRoot() external view returns (uint256) {
        return roots[currentRootIndex];
    }

    /// Whether `root` is one of the last ROOT_HISTORY roots.
    function isKnownRoot(uint256 root) public view returns (bool) {
        if (root == 0) return false;
        uint32 i = currentRootIndex;
        for (uint32 n = 0; n < ROOT_HISTORY; n++) {
            if (roots[i] == root) return true;
            i = i == 0 ? ROOT_HISTORY - 1 : i - 1;
        }
        return false;
    }

    function _insert(uint256 leaf) private returns (uint32 index) {
        index = nextIndex;
        if (index == uint32(1) << LEVELS) revert TreeFull();
        uint256 node = leaf;
        uint32 position = index;
        for (uint32 level = 0; level < LEVELS; level++) {
            if (position & 1 == 0) {
                filledSubtrees[level] = node;
                node = hasher.poseidon([node, zeros[level]]);
            } else {
                node = hasher.poseidon([filledSubtrees[level], node]);
            }
            position >>= 1;
        }
        uint32 next = (currentRootIndex + 1) % ROOT_HISTORY;
        currentRootIndex = next;
        roots[next] = node;
        nextIndex = index + 1;
    }
}
