// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title ReceiptBatches — inference receipts posted in batches, open to challenge for a window
/// @notice A provider posts the Merkle root of a batch of inference-receipt hashes (SHA-256 of
/// each receipt file; see aiweb3.llm.receipts). Until the batch's challenge deadline anyone who
/// re-executed a receipt of the batch and got other bytes records a challenge: the receipt hash,
/// a Merkle proof that it is in the batch, and the SHA-256 of the output they obtained. The chain
/// cannot re-run a language model, so a challenge is a public, permanent claim that anyone can
/// check off chain (`aiweb3 llm verify`); a batch with no challenge once its window closed is
/// final. No value is held: no sequence of calls can lock or lose funds.
/// Leaves: keccak256(bytes.concat(keccak256(abi.encode(receiptHash)))); pairs sorted (OpenZeppelin).
contract ReceiptBatches {
    struct Batch {
        address provider;
        bytes32 root;
        uint64 count;
        uint64 postedAt;
        uint64 challengeDeadline;
        uint64 challenges;
    }

    /// @notice Seconds a batch stays open to challenges after it is posted.
    uint64 public immutable challengeWindow;

    Batch[] private _batches;
    /// @notice batch id => receipt hash => the first challenger (zero when unchallenged).
    mapping(uint256 => mapping(bytes32 => address)) public challengerOf;

    event BatchPosted(
        uint256 indexed batchId, address indexed provider, bytes32 root, uint64 count, uint64 challengeDeadline
    );
    event ReceiptChallenged(
        uint256 indexed batchId, bytes32 indexed receiptHash, address indexed challenger, bytes32 reexecutedOutput
    );

    error ZeroWindow();
    error EmptyBatch();
    error UnknownBatch(uint256 batchId);
    error ChallengeWindowClosed(uint256 batchId, uint64 deadline);
    error NotInBatch(uint256 batchId, bytes32 receiptHash);
    error AlreadyChallenged(uint256 batchId, bytes32 receiptHash);

    constructor(uint64 challengeWindow_) {
        if (challengeWindow_ == 0) revert ZeroWindow();
        challengeWindow = challengeWindow_;
    }

    /// @notice Post a batch of ``count`` receipts with Merkle root ``root``; returns its id.
    function postBatch(bytes32 root, uint64 count) external returns (uint256 batchId) {
        if (count == 0 || root == bytes32(0)) revert EmptyBatch();
        uint64 deadline = uint64(block.timestamp) + challengeWindow;
        batchId = _batches.length;
        _batches.push(Batch(msg.sender, root, count, uint64(block.timestamp), deadline, 0));
        emit BatchPosted(batchId, msg.sender, root, count, deadline);
    }

    /// @notice Record that re-executing ``receiptHash`` (in batch ``batchId``) gave ``reexecutedOutput``
    /// (SHA-256 of the output bytes), not what the provider signed.
    function challenge(uint256 batchId, bytes32 receiptHash, bytes32[] calldata proof, bytes32 reexecutedOutput)
        external
    {
        Batch storage b = _batch(batchId);
        if (block.timestamp > b.challengeDeadline) revert ChallengeWindowClosed(batchId, b.challengeDeadline);
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(receiptHash))));
        if (!MerkleProof.verifyCalldata(proof, b.root, leaf)) revert NotInBatch(batchId, receiptHash);
        if (challengerOf[batchId][receiptHash] != address(0)) revert AlreadyChallenged(batchId, receiptHash);
        challengerOf[batchId][receiptHash] = msg.sender;
        b.challenges += 1;
        emit ReceiptChallenged(batchId, receiptHash, msg.sender, reexecutedOutput);
    }

    /// @notice A batch and whether it is final (window closed, never challenged).
    function batch(uint256 batchId) external view returns (Batch memory info, bool isFinal) {
        info = _batch(batchId);
        // `challenges` is a count of challenges, not a balance anyone can nudge: zero means none.
        // slither-disable-next-line incorrect-equality
        isFinal = block.timestamp > info.challengeDeadline && info.challenges == 0;
    }

    /// @notice Number of batches posted.
    function batchCount() external view returns (uint256) {
        return _batches.length;
    }

    function _batch(uint256 batchId) private view returns (Batch storage) {
        if (batchId >= _batches.length) revert UnknownBatch(batchId);
        return _batches[batchId];
    }
}
