// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice The part of ModelRegistry the split verifier uses.
interface IModelRegistryVerify {
    function verifyInference(bytes32 modelId, bytes calldata proof, uint256[] calldata instances)
        external
        returns (bytes32 outputsHash);
}

/// @title SplitVerifier
/// @notice Verifies a split inference in one transaction: the user's preprocessing proof (private
/// input, one hashed output) and the operator's proof (hashed input) against their registered
/// models, and the link between them: the preprocessing output commitment (its last instance)
/// must equal the operator's input commitment (its first instance). Holds no funds.
contract SplitVerifier {
    /// @notice The ModelRegistry both proofs are checked in.
    IModelRegistryVerify public immutable registry;

    event SplitInferenceVerified(
        bytes32 indexed preModelId, bytes32 indexed modelId, bytes32 link, bytes32 outputsHash, address indexed caller
    );

    error LinkMismatch(bytes32 preprocessingOutput, bytes32 operatorInput);
    error NoInstances();
    error ZeroAddress();

    constructor(IModelRegistryVerify registry_) {
        if (address(registry_) == address(0)) revert ZeroAddress();
        registry = registry_;
    }

    /// @notice Check both proofs and their link; emits SplitInferenceVerified (and the registry
    /// emits InferenceVerified for each model, with this contract as caller).
    function verifySplit(
        bytes32 preModelId,
        bytes calldata preProof,
        uint256[] calldata preInstances,
        bytes32 modelId,
        bytes calldata proof,
        uint256[] calldata instances
    ) external returns (bytes32 outputsHash) {
        if (preInstances.length == 0 || instances.length == 0) revert NoInstances();
        bytes32 out = bytes32(preInstances[preInstances.length - 1]);
        bytes32 input = bytes32(instances[0]);
        if (out != input) revert LinkMismatch(out, input);
        // The preprocessing proof's outputs hash is not needed: its output is bound above, by the
        // link instance, and the call reverts unless the proof verifies (Slither unused-return).
        // slither-disable-next-line unused-return
        registry.verifyInference(preModelId, preProof, preInstances);
        outputsHash = registry.verifyInference(modelId, proof, instances);
        emit SplitInferenceVerified(preModelId, modelId, out, outputsHash, msg.sender);
    }
}
