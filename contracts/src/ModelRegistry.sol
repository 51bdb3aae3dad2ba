// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice The ezkl reusable Halo2 verifier (contracts/src/Halo2VerifierReusable.sol, generated).
interface IHalo2VerifierReusable {
    function registerVka(bytes32[] memory vka) external returns (bytes32 vkaDigest);
}

/// @title ModelRegistry — models committed on chain, inferences verified against them
/// @notice A model is registered with its ezkl verifying-key artifact (VKA). The circuit is
/// compiled with fixed parameters, so the weights are pinned in the verifying key: the VKA's
/// keccak256 digest *is* the model commitment and serves as the model id. `verifyInference`
/// checks a proof against that model's own VKA with the shared reusable verifier, so a proof
/// made for one model never verifies as another.
///
/// Registration is commit-reveal, so nobody can take a model id away from its publisher by
/// copying the VKA out of a pending registration: the publisher first commits to
/// keccak256(abi.encode(owner, vkaDigest, salt)), which reveals nothing, and registers in a
/// later block. A squatter who sees the registration in the mempool has no matured commitment
/// and cannot get one before it lands. The VKA digest stays the model id and the model
/// commitment. A VKA is refused unless it has the shape the reusable verifier reads, and
/// `inputInstances` may not exceed the circuit's public instances the VKA declares.
/// @dev The registry holds no funds: the price is a published figure that payment rails read.
contract ModelRegistry {
    /// @notice Everything recorded about one model.
    struct Model {
        address owner;
        bool deprecated;
        uint8 inputInstances; // leading public instances that commit to the input (0 if private)
        uint32 vkaWords; // length of the VKA in 32-byte words
        address vkaPointer; // contract whose code holds the VKA (see _storeVka)
        uint64 registeredAt;
        bytes32 onnxHash; // sha-256 of the ONNX file
        bytes32 settingsHash; // sha-256 of the ezkl circuit settings
        uint256 price; // per inference, in AIUSD base units (6 decimals)
        string name;
        string metadataURI;
    }

    /// @notice The shared reusable verifier.
    IHalo2VerifierReusable public immutable verifier;

    /// @notice Blocks a registration commitment must wait before it can be revealed.
    uint256 public constant MIN_COMMITMENT_AGE = 1;
    /// @notice The fewest words a VKA can have: the reusable verifier reads a header of 34 words.
    uint256 public constant MIN_VKA_WORDS = 34;
    /// BN254 scalar field modulus: the VKA's transcript seed (word 0) is a field element.
    uint256 private constant _R = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001;

    mapping(bytes32 => Model) private _models;
    bytes32[] private _modelIds;
    /// @notice The block a registration commitment was first made in (0: never).
    mapping(bytes32 commitment => uint256 blockNumber) public commitments;
    /// @notice Inferences one proof of a batched model covers (0: not batched; see registerBatched).
    mapping(bytes32 modelId => uint256 inferences) public batchSize;

    event RegistrationCommitted(bytes32 indexed commitment, address indexed by);
    event ModelRegistered(bytes32 indexed modelId, address indexed owner, string name, bytes32 onnxHash);
    event ModelOwnershipTransferred(bytes32 indexed modelId, address indexed from, address indexed to);
    event ModelDeprecated(bytes32 indexed modelId);
    event ModelPriceChanged(bytes32 indexed modelId, uint256 price);
    event InferenceVerified(
        bytes32 indexed modelId, bytes32 inputCommitment, bytes32 outputsHash, address indexed caller
    );
    /// @notice One proof covered `count` inferences (each also emitted as InferenceVerified).
    event InferenceBatchVerified(bytes32 indexed modelId, bytes32 proofHash, uint256 count, address indexed caller);

    error UnknownModel(bytes32 modelId);
    error ModelIsDeprecated(bytes32 modelId);
    error ModelAlreadyRegistered(bytes32 modelId);
    error NotModelOwner(bytes32 modelId, address caller);
    error VkaDigestMismatch(bytes32 expected, bytes32 actual);
    error VkaTooLarge(uint256 words);
    error VkaRejected(bytes32 modelId);
    error InvalidProof(bytes32 modelId);
    error TooFewInstances(bytes32 modelId, uint256 given);
    error NoCommitment(bytes32 commitment);
    error CommitmentTooFresh(bytes32 commitment, uint256 committedAt, uint256 revealableAt);
    error VkaMalformed(uint256 word);
    error InputInstancesExceedCircuit(uint256 inputInstances, uint256 circuitInstances);
    error BadBatchSize(uint256 batchSize, uint256 outputInstances);
    error NotBatched(bytes32 modelId);
    error ZeroAddress();
    error EmptyName();

    constructor(IHalo2VerifierReusable verifier_) {
        if (address(verifier_) == address(0)) revert ZeroAddress();
        verifier = verifier_;
    }

    modifier onlyModelOwner(bytes32 modelId) {
        if (_models[modelId].owner != msg.sender) {
            if (_models[modelId].owner == address(0)) revert UnknownModel(modelId);
            revert NotModelOwner(modelId, msg.sender);
        }
        _;
    }

    // ---------------------------------------------------------------- registration

    /// @notice What a model owner publishes when registering.
    struct ModelSpec {
        string name;
        bytes32 onnxHash;
        bytes32 settingsHash;
        uint8 inputInstances;
        string metadataURI;
        uint256 price;
    }

    /// @notice The commitment `owner` makes before registering the VKA `vkaDigest`.
    function registrationCommitment(address owner, bytes32 vkaDigest, bytes32 salt)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(owner, vkaDigest, salt));
    }

    /// @notice Step 1 of registering: commit to (owner, VKA digest, secret salt). A commitment
    /// keeps the block it was first made in (a copy sent again changes nothing).
    function commitRegistration(bytes32 commitment) external {
        if (commitments[commitment] != 0) return;
        commitments[commitment] = block.number;
        emit RegistrationCommitted(commitment, msg.sender);
    }

    /// @notice Step 2: register a model committed at least MIN_COMMITMENT_AGE blocks ago with
    /// registrationCommitment(msg.sender, vkaDigest, salt); the caller becomes its owner.
    /// Returns the model id (the VKA digest).
    function register(ModelSpec calldata spec, bytes32[] calldata vka, bytes32 vkaDigest, bytes32 salt)
        external
        returns (bytes32 modelId)
    {
        return _register(spec, vka, vkaDigest, salt, 0);
    }

    /// @notice Like `register`, for a circuit compiled with a batch dimension: one proof covers
    /// `inferences` inferences, its output instances split into that many equal parts (one
    /// InferenceVerified each, through verifyInferenceBatch). The batch size is fixed for good.
    function registerBatched(
        ModelSpec calldata spec,
        bytes32[] calldata vka,
        bytes32 vkaDigest,
        bytes32 salt,
        uint256 inferences
    ) external returns (bytes32 modelId) {
        return _register(spec, vka, vkaDigest, salt, inferences);
    }

    function _register(
        ModelSpec calldata spec,
        bytes32[] calldata vka,
        bytes32 vkaDigest,
        bytes32 salt,
        uint256 inferences
    ) private returns (bytes32 modelId) {
        if (bytes(spec.name).length == 0) revert EmptyName();
        bytes32 actual = keccak256(abi.encodePacked(vka));
        if (actual != vkaDigest) revert VkaDigestMismatch(vkaDigest, actual);
        modelId = vkaDigest;
        if (_models[modelId].owner != address(0)) revert ModelAlreadyRegistered(modelId);
        bytes32 commitment = registrationCommitment(msg.sender, vkaDigest, salt);
        uint256 committedAt = commitments[commitment];
        if (committedAt == 0) revert NoCommitment(commitment);
        if (block.number < committedAt + MIN_COMMITMENT_AGE) {
            revert CommitmentTooFresh(commitment, committedAt, committedAt + MIN_COMMITMENT_AGE);
        }
        delete commitments[commitment];
        _checkVka(vka, spec.inputInstances);
        if (inferences != 0) {
            uint256 outputs = uint256(vka[2]) - spec.inputInstances;
            if (inferences < 2 || outputs == 0 || outputs % inferences != 0) revert BadBatchSize(inferences, outputs);
            batchSize[modelId] = inferences;
        }

        // Effects first, then the verifier (checks-effects-interactions; Slither reentrancy-no-eth).
        Model storage m = _models[modelId];
        m.owner = msg.sender;
        m.inputInstances = spec.inputInstances;
        m.vkaWords = uint32(vka.length);
        m.vkaPointer = _storeVka(vka);
        m.registeredAt = uint64(block.timestamp);
        m.onnxHash = spec.onnxHash;
        m.settingsHash = spec.settingsHash;
        m.price = spec.price;
        m.name = spec.name;
        m.metadataURI = spec.metadataURI;
        _modelIds.push(modelId);
        emit ModelRegistered(modelId, msg.sender, spec.name, spec.onnxHash);
        if (verifier.registerVka(vka) != modelId) revert VkaRejected(modelId);
    }

    /// @notice Hand a model to a new owner.
    function transferModelOwnership(bytes32 modelId, address newOwner) external onlyModelOwner(modelId) {
        if (newOwner == address(0)) revert ZeroAddress();
        _models[modelId].owner = newOwner;
        emit ModelOwnershipTransferred(modelId, msg.sender, newOwner);
    }

    /// @notice Retire a model for good: its proofs are refused from now on.
    function deprecate(bytes32 modelId) external onlyModelOwner(modelId) {
        _models[modelId].deprecated = true;
        emit ModelDeprecated(modelId);
    }

    /// @notice Change the published price per inference (AIUSD base units).
    function setPrice(bytes32 modelId, uint256 price) external onlyModelOwner(modelId) {
        _models[modelId].price = price;
        emit ModelPriceChanged(modelId, price);
    }

    // ---------------------------------------------------------------- verification

    /// @notice Verify a proof of inference against `modelId`'s key; emits InferenceVerified.
    /// @return outputsHash keccak256 of the output instances.
    function verifyInference(bytes32 modelId, bytes calldata proof, uint256[] calldata instances)
        external
        returns (bytes32 outputsHash)
    {
        Model storage m = _liveModel(modelId);
        if (!_verify(modelId, m, proof, instances)) revert InvalidProof(modelId);
        bytes32 inputCommitment;
        (inputCommitment, outputsHash) = _split(modelId, m.inputInstances, instances);
        emit InferenceVerified(modelId, inputCommitment, outputsHash, msg.sender);
    }

    /// @notice Verify one proof of a batched model (see registerBatched) and emit one
    /// InferenceVerified per inference it covers, then one InferenceBatchVerified. Every event
    /// carries the batch's input commitment (zero for private inputs).
    /// @return outputsHashes keccak256 of each inference's output instances, in batch order.
    function verifyInferenceBatch(bytes32 modelId, bytes calldata proof, uint256[] calldata instances)
        external
        returns (bytes32[] memory outputsHashes)
    {
        Model storage m = _liveModel(modelId);
        uint256 count = batchSize[modelId];
        if (count == 0) revert NotBatched(modelId);
        if (!_verify(modelId, m, proof, instances)) revert InvalidProof(modelId);
        uint256 inputs = m.inputInstances;
        (bytes32 inputCommitment,) = _split(modelId, m.inputInstances, instances);
        // Exact: registerBatched requires `count` to divide the circuit's output instances, and a
        // proof that verifies carries exactly the circuit's instances, so nothing is rounded away.
        // slither-disable-next-line divide-before-multiply
        uint256 per = (instances.length - inputs) / count;
        outputsHashes = new bytes32[](count);
        for (uint256 i = 0; i < count; ++i) {
            // slither-disable-next-line divide-before-multiply
            uint256 start = inputs + i * per;
            outputsHashes[i] = keccak256(abi.encodePacked(instances[start:start + per]));
            emit InferenceVerified(modelId, inputCommitment, outputsHashes[i], msg.sender);
        }
        emit InferenceBatchVerified(modelId, keccak256(proof), count, msg.sender);
    }

    /// @notice Off-chain check without a transaction: true when the proof verifies for `modelId`.
    /// Reverts UnknownModel / ModelIsDeprecated like verifyInference.
    function checkInference(bytes32 modelId, bytes calldata proof, uint256[] calldata instances)
        external
        view
        returns (bool valid, bytes32 inputCommitment, bytes32 outputsHash)
    {
        Model storage m = _liveModel(modelId);
        valid = _verify(modelId, m, proof, instances);
        if (valid) (inputCommitment, outputsHash) = _split(modelId, m.inputInstances, instances);
    }

    // ---------------------------------------------------------------- views

    /// @notice The record of one model (reverts UnknownModel).
    function getModel(bytes32 modelId) external view returns (Model memory) {
        Model storage m = _models[modelId];
        if (m.owner == address(0)) revert UnknownModel(modelId);
        return m;
    }

    /// @notice The verifying-key artifact of one model (reverts UnknownModel).
    function getVka(bytes32 modelId) external view returns (bytes32[] memory) {
        Model storage m = _models[modelId];
        if (m.owner == address(0)) revert UnknownModel(modelId);
        return _loadVka(m);
    }

    /// @notice How many models were ever registered.
    function modelCount() external view returns (uint256) {
        return _modelIds.length;
    }

    /// @notice The id of the `index`-th registered model.
    function modelIdAt(uint256 index) external view returns (bytes32) {
        return _modelIds[index];
    }

    // ---------------------------------------------------------------- internals

    /// The reusable verifier copies the VKA to memory 0xa0 on and reads a fixed header from it:
    /// word 0 the transcript seed (a field element), word 2 the number of public instances (a
    /// proof must carry exactly that many), words 26-29 memory pointers into the VKA's body,
    /// word 30 the offset of the rescaling data (the VKA's own tail), word 33 the challenge
    /// layout. A VKA that lacks them, or whose pointers leave it, makes the verifier read memory
    /// or calldata it was never given; refuse it here.
    function _checkVka(bytes32[] calldata vka, uint8 inputInstances) private pure {
        uint256 words = vka.length;
        if (words < MIN_VKA_WORDS) revert VkaMalformed(words);
        uint256 seed = uint256(vka[0]);
        if (seed == 0 || seed >= _R) revert VkaMalformed(0);
        uint256 circuitInstances = uint256(vka[2]);
        if (circuitInstances == 0 || circuitInstances > type(uint16).max) revert VkaMalformed(2);
        if (inputInstances > circuitInstances) revert InputInstancesExceedCircuit(inputInstances, circuitInstances);
        uint256 end = 0xa0 + words * 32;
        for (uint256 w = 26; w <= 29; ++w) {
            uint256 ptr = uint256(vka[w]);
            if (ptr < 0xa0 + MIN_VKA_WORDS * 32 || ptr >= end) revert VkaMalformed(w);
        }
        uint256 rescaling = uint256(vka[30]);
        if (rescaling < 0x20 || rescaling > words * 32) revert VkaMalformed(30);
    }

    function _liveModel(bytes32 modelId) private view returns (Model storage m) {
        m = _models[modelId];
        if (m.owner == address(0)) revert UnknownModel(modelId);
        if (m.deprecated) revert ModelIsDeprecated(modelId);
    }

    /// The reusable verifier ends with a raw `return(0, len)` of (success, digest, length,
    /// rescaled...) — no ABI head for the array — so the result is read as raw words, and the
    /// call is a staticcall (verifyProof only reads storage) so views can use it too.
    function _verify(bytes32 modelId, Model storage m, bytes calldata proof, uint256[] calldata instances)
        private
        view
        returns (bool)
    {
        bytes memory data = abi.encodeWithSignature(
            "verifyProof(bytes,uint256[],bytes32[])", proof, instances, _loadVka(m)
        );
        (bool ok, bytes memory ret) = address(verifier).staticcall(data);
        if (!ok || ret.length < 64) return false;
        (uint256 success, bytes32 digest) = abi.decode(ret, (uint256, bytes32));
        return success == 1 && digest == modelId;
    }

    function _split(bytes32 modelId, uint8 inputs, uint256[] calldata instances)
        private
        pure
        returns (bytes32 inputCommitment, bytes32 outputsHash)
    {
        if (instances.length < inputs) revert TooFewInstances(modelId, instances.length);
        if (inputs == 1) inputCommitment = bytes32(instances[0]);
        else if (inputs > 1) inputCommitment = keccak256(abi.encodePacked(instances[:inputs]));
        outputsHash = keccak256(abi.encodePacked(instances[inputs:]));
    }

    /// Hand-written "SSTORE2": the VKA (~5 KB) is kept as the code of a tiny data contract,
    /// read back with EXTCODECOPY for ~3 gas a word instead of ~2,100 per storage slot.
    /// OpenZeppelin 5 has no such helper. Creation code: PUSH2 size, DUP1, PUSH1 12, PUSH1 0,
    /// CODECOPY, PUSH1 0, RETURN; the runtime is a STOP byte (never executable) then the VKA.
    function _storeVka(bytes32[] calldata vka) private returns (address pointer) {
        uint256 size = vka.length * 32 + 1;
        if (size > 24_576) revert VkaTooLarge(vka.length);
        bytes memory init =
            abi.encodePacked(hex"61", uint16(size), hex"80600c6000396000f3", hex"00", abi.encodePacked(vka));
        assembly ("memory-safe") {
            pointer := create(0, add(init, 0x20), mload(init))
        }
        if (pointer == address(0)) revert ZeroAddress();
    }

    function _loadVka(Model storage m) private view returns (bytes32[] memory vka) {
        uint256 words = m.vkaWords;
        address pointer = m.vkaPointer;
        vka = new bytes32[](words);
        assembly ("memory-safe") {
            extcodecopy(pointer, add(vka, 0x20), 1, mul(words, 0x20))
        }
    }
}
