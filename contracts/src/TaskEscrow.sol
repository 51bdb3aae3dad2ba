// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {AuditCheck, IEASReader} from "./AuditCheck.sol";

/// @notice The check a proof-gated task asks of a verifier (ModelRegistry's shape): it reverts
/// on a proof that does not verify and returns the hash of the verified outputs.
interface IInferenceVerifier {
    function verifyInference(bytes32 modelId, bytes calldata proof, uint256[] calldata instances)
        external
        returns (bytes32 outputsHash);
}

/// @title TaskEscrow — pay for agent work through escrow
/// @notice A requester posts a task with a budget in the escrow token (pulled with an allowance
/// or an EIP-2612 permit). A provider accepts and delivers a result content id; the requester
/// approves (pays the provider) or rejects into a dispute the arbiter named at posting splits.
/// Every state has a way out after its deadline, so funds never stay locked: an unaccepted or
/// undelivered task is refunded, an unreviewed delivery is paid, an unresolved dispute is
/// refunded. A task may name a model: then only a delivery with an inference proof the verifier
/// accepts counts, and it releases payment without the requester. Such a task may also fix the
/// input it wants answered (the leading public instances' commitment), so a proof about another
/// input cannot pay it; and every proof pays at most one task. It may also name an auditor: then
/// the proof counts only with an on-chain EAS model-audit attestation of the task's model by that
/// auditor, unrevoked and unexpired at delivery (see AuditCheck). Requester and provider differ.
contract TaskEscrow is ReentrancyGuard {
    using SafeERC20 for IERC20;

    enum Status {
        None,
        Open,
        Accepted,
        Delivered,
        Disputed,
        Completed,
        Resolved,
        Refunded
    }

    struct Task {
        address requester;
        address provider; // address(0) while open to anyone
        address arbiter;
        uint96 budget;
        Status status;
        uint40 acceptBy;
        uint40 deliverBy;
        uint32 reviewWindow;
        uint32 disputeWindow;
        uint40 deliveredAt;
        uint40 disputedAt;
        bytes32 modelId; // non-zero: delivery must carry a verified inference of this model
        bytes32 specHash; // keccak256 of the task description (its content id)
        bytes32 outputsHash; // the verifier's hash of the verified outputs
        uint96 paidToProvider;
        string resultCid;
        bytes32 inputCommitment; // the input the proof must answer (see Terms)
        uint8 inputInstances; // leading instances that commit to the input (0: not bound)
        uint64 verifiedBlock; // block of the verifyInference call that settled the task (0: none)
        address auditor; // non-zero: the proof counts only for a model this auditor attested
    }

    /// @notice What a requester fixes when posting (``provider`` 0: anyone may accept).
    struct Terms {
        uint256 budget;
        address provider;
        address arbiter;
        uint40 acceptBy;
        uint40 deliverBy;
        uint32 reviewWindow;
        uint32 disputeWindow;
        bytes32 modelId;
        bytes32 specHash;
        // Proof-gated tasks only: the first ``inputInstances`` public instances of the proof must
        // commit to ``inputCommitment`` (one instance: itself; several: keccak256 of them packed,
        // as ModelRegistry's InferenceVerified reports it). 0 and 0: any input (a private-input
        // model has no commitment to check).
        bytes32 inputCommitment;
        uint8 inputInstances;
        // Proof-gated tasks only: non-zero, the model must carry this auditor's valid model-audit
        // attestation on EAS when the proof is delivered.
        address auditor;
    }

    /// @notice What the registry and clients read about how a task ended.
    struct Settlement {
        address requester;
        address provider;
        uint256 paid; // what the provider actually received
        bytes32 modelId;
        bytes32 inputCommitment;
        bytes32 outputsHash;
        uint64 verifiedBlock; // non-zero: settled by a proof the verifier accepted in this block
    }

    IERC20 public immutable token;
    address public immutable verifier;
    /// @notice The Ethereum Attestation Service audits are read from (address(0): none available).
    IEASReader public immutable eas;
    uint256 public taskCount;
    uint256 public totalEscrowed;
    mapping(uint256 taskId => Task) private _tasks;
    /// @notice The task a proof paid, by ``proofKey`` (0: the proof is unused).
    mapping(bytes32 proofKey => uint256 taskId) public proofUsedBy;

    event TaskPosted(
        uint256 indexed taskId,
        address indexed requester,
        address indexed provider,
        address arbiter,
        uint256 budget,
        bytes32 modelId,
        bytes32 specHash
    );
    event TaskAccepted(uint256 indexed taskId, address indexed provider);
    event TaskDelivered(uint256 indexed taskId, address indexed provider, string resultCid);
    event InferenceReleased(uint256 indexed taskId, bytes32 indexed modelId, bytes32 outputsHash);
    event AuditAccepted(uint256 indexed taskId, bytes32 indexed attestation, address indexed auditor);
    event TaskDisputed(uint256 indexed taskId);
    event TaskPaid(uint256 indexed taskId, address indexed provider, uint256 amount);
    event TaskResolved(uint256 indexed taskId, uint256 toProvider, uint256 toRequester);
    event TaskRefunded(uint256 indexed taskId, address indexed requester, uint256 amount);

    error ZeroBudget();
    error BudgetTooLarge(uint256 budget);
    error ZeroArbiter();
    error BadDeadlines(uint256 acceptBy, uint256 deliverBy, uint256 blockTime);
    error UnknownTask(uint256 taskId);
    error WrongStatus(uint256 taskId, Status status);
    error NotRequester(address caller);
    error NotProvider(address caller);
    error NotArbiter(address caller);
    error DeadlinePassed(uint256 deadline, uint256 blockTime);
    error TooEarly(uint256 availableAt, uint256 blockTime);
    error ProofRequired(bytes32 modelId);
    error NoProofRequired();
    error NoVerifier();
    error InferenceNotVerified(bytes32 modelId);
    error ShareTooLarge(uint256 share, uint256 budget);
    error EmptyResult();
    error NotAContract(address account);
    error SelfDealing(address account);
    error BadInputTerms(uint8 inputInstances, bytes32 inputCommitment);
    error WrongInput(uint256 taskId, bytes32 expected, bytes32 given);
    error ProofAlreadyUsed(uint256 paidTaskId);
    error BadAuditTerms(address auditor);
    error AuditRequired(uint256 taskId, address auditor);
    error NoAuditRequired(uint256 taskId);

    /// @param token_ the escrow token (AIUSD)
    /// @param verifier_ inference verifier for proof-gated tasks (address(0): none available)
    /// @param eas_ the EAS contract audits are read from (address(0): tasks cannot require audits)
    constructor(IERC20 token_, address verifier_, address eas_) {
        if (address(token_).code.length == 0) revert NotAContract(address(token_));
        if (verifier_ != address(0) && verifier_.code.length == 0) revert NotAContract(verifier_);
        if (eas_ != address(0) && eas_.code.length == 0) revert NotAContract(eas_);
        token = token_;
        verifier = verifier_;
        eas = IEASReader(eas_);
    }

    // -- posting ---------------------------------------------------------------------------

    /// @notice Post a task; the budget is pulled with an existing allowance.
    function post(Terms calldata terms) external nonReentrant returns (uint256) {
        return _post(terms);
    }

    /// @notice Post a task, pulling the budget with an EIP-2612 permit signed by the requester.
    /// @dev A permit already submitted by someone else (front-run) is tolerated: the pull then
    /// relies on the allowance it set.
    function postWithPermit(Terms calldata terms, uint256 permitDeadline, uint8 v, bytes32 r, bytes32 s)
        external
        nonReentrant
        returns (uint256)
    {
        try IERC20Permit(address(token)).permit(msg.sender, address(this), terms.budget, permitDeadline, v, r, s) {}
            catch {}
        return _post(terms);
    }

    function _post(Terms calldata terms) private returns (uint256 taskId) {
        uint256 budget = terms.budget;
        if (budget == 0) revert ZeroBudget();
        if (budget > type(uint96).max) revert BudgetTooLarge(budget);
        if (terms.arbiter == address(0)) revert ZeroArbiter();
        if (terms.acceptBy <= block.timestamp || terms.deliverBy < terms.acceptBy) {
            revert BadDeadlines(terms.acceptBy, terms.deliverBy, block.timestamp);
        }
        if (terms.modelId != bytes32(0) && verifier == address(0)) revert NoVerifier();
        if (terms.provider == msg.sender) revert SelfDealing(msg.sender);
        if (
            (terms.inputInstances == 0) != (terms.inputCommitment == bytes32(0))
                || (terms.inputInstances != 0 && terms.modelId == bytes32(0))
        ) revert BadInputTerms(terms.inputInstances, terms.inputCommitment);
        if (terms.auditor != address(0) && (terms.modelId == bytes32(0) || address(eas) == address(0))) {
            revert BadAuditTerms(terms.auditor);
        }
        taskId = ++taskCount;
        Task storage t = _tasks[taskId];
        t.requester = msg.sender;
        t.provider = terms.provider;
        t.arbiter = terms.arbiter;
        t.budget = uint96(budget);
        t.status = Status.Open;
        t.acceptBy = terms.acceptBy;
        t.deliverBy = terms.deliverBy;
        t.reviewWindow = terms.reviewWindow;
        t.disputeWindow = terms.disputeWindow;
        t.modelId = terms.modelId;
        t.specHash = terms.specHash;
        t.inputCommitment = terms.inputCommitment;
        t.inputInstances = terms.inputInstances;
        t.auditor = terms.auditor;
        totalEscrowed += budget;
        token.safeTransferFrom(msg.sender, address(this), budget);
        emit TaskPosted(taskId, msg.sender, terms.provider, terms.arbiter, budget, terms.modelId, terms.specHash);
    }

    // -- the provider ------------------------------------------------------------------------

    /// @notice Take an open task (only the named provider, when one is named).
    function accept(uint256 taskId) external {
        Task storage t = _task(taskId);
        _expect(taskId, t, Status.Open);
        if (t.provider != address(0) && t.provider != msg.sender) revert NotProvider(msg.sender);
        if (block.timestamp > t.acceptBy) revert DeadlinePassed(t.acceptBy, block.timestamp);
        if (msg.sender == t.requester) revert SelfDealing(msg.sender);
        t.provider = msg.sender;
        t.status = Status.Accepted;
        emit TaskAccepted(taskId, msg.sender);
    }

    /// @notice Deliver a result content id for the requester to review.
    function deliver(uint256 taskId, string calldata resultCid) external {
        Task storage t = _accepted(taskId);
        if (t.modelId != bytes32(0)) revert ProofRequired(t.modelId);
        if (bytes(resultCid).length == 0) revert EmptyResult();
        t.resultCid = resultCid;
        t.deliveredAt = uint40(block.timestamp);
        t.status = Status.Delivered;
        emit TaskDelivered(taskId, msg.sender, resultCid);
    }

    /// @notice Deliver with an inference proof of the task's model; a verified proof pays at once.
    /// @dev A proof pays one task only: it is remembered under ``proofKey``. A task that fixed its
    /// input accepts only a proof whose leading instances commit to that input. A task that names
    /// an auditor needs ``deliverWithAuditedProof``.
    function deliverWithProof(
        uint256 taskId,
        string calldata resultCid,
        bytes calldata proof,
        uint256[] calldata instances
    ) external nonReentrant {
        Task storage t = _accepted(taskId);
        if (t.auditor != address(0)) revert AuditRequired(taskId, t.auditor);
        _deliverProof(taskId, t, resultCid, proof, instances);
    }

    /// @notice ``deliverWithProof`` for a task that names an auditor: ``attestation`` is the UID of
    /// that auditor's model-audit attestation of the task's model on EAS, valid now.
    function deliverWithAuditedProof(
        uint256 taskId,
        string calldata resultCid,
        bytes calldata proof,
        uint256[] calldata instances,
        bytes32 attestation
    ) external nonReentrant {
        Task storage t = _accepted(taskId);
        if (t.auditor == address(0)) revert NoAuditRequired(taskId);
        AuditCheck.requireAudit(eas, attestation, t.modelId, t.auditor);
        emit AuditAccepted(taskId, attestation, t.auditor);
        _deliverProof(taskId, t, resultCid, proof, instances);
    }

    function _deliverProof(
        uint256 taskId,
        Task storage t,
        string calldata resultCid,
        bytes calldata proof,
        uint256[] calldata instances
    ) private {
        if (t.modelId == bytes32(0)) revert NoProofRequired();
        if (bytes(resultCid).length == 0) revert EmptyResult();
        bytes32 key = proofKey(t.modelId, proof);
        uint256 usedBy = proofUsedBy[key];
        if (usedBy != 0) revert ProofAlreadyUsed(usedBy);
        if (t.inputInstances != 0) {
            bytes32 given = _inputCommitment(t.inputInstances, instances);
            if (given != t.inputCommitment) revert WrongInput(taskId, t.inputCommitment, given);
        }
        proofUsedBy[key] = taskId;
        (bool ok, bytes memory ret) =
            verifier.call(abi.encodeCall(IInferenceVerifier.verifyInference, (t.modelId, proof, instances)));
        // A verifier that reverts refuses; one that returns its 32-byte outputs hash accepts.
        // The verifier has code (checked at deploy), so an empty success cannot pass.
        if (!ok || ret.length != 32) revert InferenceNotVerified(t.modelId);
        t.resultCid = resultCid;
        t.deliveredAt = uint40(block.timestamp);
        t.outputsHash = abi.decode(ret, (bytes32));
        t.verifiedBlock = uint64(block.number);
        emit TaskDelivered(taskId, msg.sender, resultCid);
        emit InferenceReleased(taskId, t.modelId, t.outputsHash);
        _pay(taskId, t);
    }

    /// @notice The name under which a proof is remembered: its model and its first 64 bytes.
    /// @dev Not the hash of the whole proof: ezkl's reusable verifier ignores bytes after the
    /// proof it reads, so appending bytes to a valid proof gives another valid byte string. The
    /// leading bytes are what a verifier reads first and binds into its transcript (an ezkl proof
    /// opens with a blinded commitment, fresh in every proving run; the test oracle's "proof" with
    /// a signature's r and s), so they cannot change while the proof stays valid.
    function proofKey(bytes32 modelId, bytes calldata proof) public pure returns (bytes32) {
        return keccak256(abi.encode(modelId, proof[:proof.length < 64 ? proof.length : 64]));
    }

    // -- the requester -------------------------------------------------------------------------

    /// @notice Accept the delivery and pay the provider the whole budget.
    function approve(uint256 taskId) external nonReentrant {
        Task storage t = _task(taskId);
        _expect(taskId, t, Status.Delivered);
        if (msg.sender != t.requester) revert NotRequester(msg.sender);
        _pay(taskId, t);
    }

    /// @notice Reject the delivery: the arbiter named at posting decides the split.
    function reject(uint256 taskId) external {
        Task storage t = _task(taskId);
        _expect(taskId, t, Status.Delivered);
        if (msg.sender != t.requester) revert NotRequester(msg.sender);
        uint256 until = uint256(t.deliveredAt) + t.reviewWindow;
        if (block.timestamp > until) revert DeadlinePassed(until, block.timestamp);
        t.status = Status.Disputed;
        t.disputedAt = uint40(block.timestamp);
        emit TaskDisputed(taskId);
    }

    /// @notice Withdraw an open task that nobody accepted yet.
    function cancel(uint256 taskId) external nonReentrant {
        Task storage t = _task(taskId);
        _expect(taskId, t, Status.Open);
        if (msg.sender != t.requester) revert NotRequester(msg.sender);
        _refund(taskId, t);
    }

    // -- the arbiter --------------------------------------------------------------------------

    /// @notice Settle a dispute: ``providerShare`` to the provider, the rest back to the requester.
    function resolve(uint256 taskId, uint256 providerShare) external nonReentrant {
        Task storage t = _task(taskId);
        _expect(taskId, t, Status.Disputed);
        if (msg.sender != t.arbiter) revert NotArbiter(msg.sender);
        uint256 budget = t.budget;
        if (providerShare > budget) revert ShareTooLarge(providerShare, budget);
        t.status = Status.Resolved;
        t.paidToProvider = uint96(providerShare);
        totalEscrowed -= budget;
        if (providerShare > 0) token.safeTransfer(t.provider, providerShare);
        if (budget > providerShare) token.safeTransfer(t.requester, budget - providerShare);
        emit TaskResolved(taskId, providerShare, budget - providerShare);
    }

    // -- deadlines (anyone may call) -----------------------------------------------------------

    /// @notice Refund the requester of a task whose deadline passed: not accepted by
    /// ``acceptBy``, not delivered by ``deliverBy``, or a dispute unresolved for ``disputeWindow``.
    function refund(uint256 taskId) external nonReentrant {
        Task storage t = _task(taskId);
        uint256 due = _refundableAfter(taskId, t);
        if (block.timestamp <= due) revert TooEarly(due + 1, block.timestamp);
        _refund(taskId, t);
    }

    /// @notice Pay the provider of a delivery the requester left unreviewed for ``reviewWindow``.
    function claim(uint256 taskId) external nonReentrant {
        Task storage t = _task(taskId);
        _expect(taskId, t, Status.Delivered);
        uint256 due = uint256(t.deliveredAt) + t.reviewWindow;
        if (block.timestamp <= due) revert TooEarly(due + 1, block.timestamp);
        _pay(taskId, t);
    }

    // -- views ----------------------------------------------------------------------------------

    /// @notice One task.
    function getTask(uint256 taskId) external view returns (Task memory) {
        return _task(taskId);
    }

    /// @notice How a task settled: its parties, what the provider received and, for a task paid
    /// on a proof, the verified inference (model, input commitment, outputs hash, block).
    function settlement(uint256 taskId) external view returns (Settlement memory) {
        Task storage t = _task(taskId);
        return Settlement(
            t.requester, t.provider, t.paidToProvider, t.modelId, t.inputCommitment, t.outputsHash, t.verifiedBlock
        );
    }

    // -- internals ------------------------------------------------------------------------------

    function _task(uint256 taskId) private view returns (Task storage t) {
        t = _tasks[taskId];
        if (t.status == Status.None) revert UnknownTask(taskId);
    }

    function _expect(uint256 taskId, Task storage t, Status wanted) private view {
        if (t.status != wanted) revert WrongStatus(taskId, t.status);
    }

    function _accepted(uint256 taskId) private view returns (Task storage t) {
        t = _task(taskId);
        _expect(taskId, t, Status.Accepted);
        if (msg.sender != t.provider) revert NotProvider(msg.sender);
        if (block.timestamp > t.deliverBy) revert DeadlinePassed(t.deliverBy, block.timestamp);
    }

    /// The input commitment of ``instances`` as ModelRegistry's InferenceVerified reports it.
    function _inputCommitment(uint8 inputs, uint256[] calldata instances) private pure returns (bytes32) {
        if (instances.length < inputs) return bytes32(0);
        if (inputs == 1) return bytes32(instances[0]);
        return keccak256(abi.encodePacked(instances[:inputs]));
    }

    function _pay(uint256 taskId, Task storage t) private {
        uint256 budget = t.budget;
        t.status = Status.Completed;
        t.paidToProvider = uint96(budget);
        totalEscrowed -= budget;
        token.safeTransfer(t.provider, budget);
        emit TaskPaid(taskId, t.provider, budget);
    }

    /// The deadline after which ``refund`` returns the budget, for the statuses that allow it.
    function _refundableAfter(uint256 taskId, Task storage t) private view returns (uint256) {
        if (t.status == Status.Open) return t.acceptBy;
        if (t.status == Status.Accepted) return t.deliverBy;
        if (t.status == Status.Disputed) return uint256(t.disputedAt) + t.disputeWindow;
        revert WrongStatus(taskId, t.status);
    }

    function _refund(uint256 taskId, Task storage t) private {
        uint256 budget = t.budget;
        t.status = Status.Refunded;
        totalEscrowed -= budget;
        token.safeTransfer(t.requester, budget);
        emit TaskRefunded(taskId, t.requester, budget);
    }
}
