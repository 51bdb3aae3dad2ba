// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";

/// @title TestInferenceOracle — NOT a system contract; development and tests only
/// @notice Stands in for ModelRegistry.verifyInference until the zkml feature lands: a "proof"
/// is the attester's signature over (chain, this contract, modelId, instances). It proves only
/// that the attester vouched for the output — no zero-knowledge. Same call and event shape as
/// ModelRegistry (reverts InvalidProof on a bad proof, returns the outputs hash), so TaskEscrow
/// treats both alike.
contract TestInferenceOracle {
    address public immutable attester;

    event InferenceVerified(
        bytes32 indexed modelId, bytes32 inputCommitment, bytes32 outputsHash, address indexed caller
    );

    error InvalidProof(bytes32 modelId);

    constructor(address attester_) {
        attester = attester_;
    }

    /// @notice The digest the attester signs (EIP-191 personal message over it).
    function attestationDigest(bytes32 modelId, uint256[] calldata instances) public view returns (bytes32) {
        return keccak256(abi.encode(block.chainid, address(this), modelId, instances));
    }

    /// @notice Emits InferenceVerified and returns the outputs hash when ``proof`` is the
    /// attester's signature; reverts InvalidProof otherwise.
    function verifyInference(bytes32 modelId, bytes calldata proof, uint256[] calldata instances)
        external
        returns (bytes32 outputsHash)
    {
        bytes32 digest = MessageHashUtils.toEthSignedMessageHash(attestationDigest(modelId, instances));
        // The third value only details the error, which `err` already reports (Slither unused-return).
        // slither-disable-next-line unused-return
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, proof);
        if (err != ECDSA.RecoverError.NoError || signer != attester) revert InvalidProof(modelId);
        bytes32 inputCommitment = instances.length > 0 ? bytes32(instances[0]) : bytes32(0);
        outputsHash = keccak256(abi.encode(instances));
        emit InferenceVerified(modelId, inputCommitment, outputsHash, msg.sender);
    }
}
