// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice What the registry asks the escrow about a task.
interface ITaskSettlement {
    function settlement(uint256 taskId)
        external
        view
        returns (address requester, address provider, bool paid, bytes32 modelId, bytes32 outputsHash);
}

/// @title AgentRegistry — agent identities, cards, reputation and validations
/// @notice In the spirit of ERC-8004 (Trustless Agents). An agent has an owner, a wallet it is
/// paid at and an agent card (JSON: name, capabilities, endpoint, prices, payment schemes) the
/// owner may update. Reputation can only be given by the counterparty of a task the escrow
/// completed and paid, once per task and side, so strangers cannot inflate it. A validation
/// record ties a task result to a verified inference (its transaction and outputs hash).
contract AgentRegistry {
    struct Agent {
        address owner;
        address wallet;
        uint64 registeredAt;
        uint64 updatedAt;
        uint32 feedbackCount;
        uint64 scoreSum; // scores are 0..100
        string card;
    }

    struct Feedback {
        uint256 taskId;
        address from;
        uint8 score;
        string commentCid;
    }

    struct Validation {
        uint256 taskId;
        bytes32 modelId;
        bytes32 outputsHash;
        bytes32 inferenceTx;
        address recordedBy;
    }

    uint256 public constant MAX_CARD_BYTES = 4096;
    ITaskSettlement public immutable escrow;
    uint256 public agentCount;
    mapping(uint256 agentId => Agent) private _agents;
    mapping(address wallet => uint256 agentId) public agentOfWallet;
    mapping(uint256 agentId => Feedback[]) private _feedback;
    mapping(uint256 agentId => Validation[]) private _validations;
    mapping(uint256 taskId => mapping(address from => bool)) public feedbackGiven;

    event AgentRegistered(uint256 indexed agentId, address indexed owner, address indexed wallet);
    event AgentUpdated(uint256 indexed agentId, bytes32 cardHash);
    event AgentTransferred(uint256 indexed agentId, address indexed from, address indexed to);
    event FeedbackGiven(uint256 indexed agentId, uint256 indexed taskId, address indexed from, uint8 score);
    event ValidationRecorded(uint256 indexed agentId, uint256 indexed taskId, bytes32 modelId, bytes32 inferenceTx);

    error UnknownAgent(uint256 agentId);
    error NotOwner(address caller);
    error WalletTaken(address wallet, uint256 agentId);
    error ZeroWallet();
    error BadCard(uint256 length);
    error ScoreOutOfRange(uint8 score);
    error TaskNotPaid(uint256 taskId);
    error NotCounterparty(address caller, uint256 taskId);
    error FeedbackAlreadyGiven(uint256 taskId, address from);
    error NotTaskProvider(uint256 agentId, uint256 taskId);
    error NotAContract(address account);

    constructor(ITaskSettlement escrow_) {
        if (address(escrow_).code.length == 0) revert NotAContract(address(escrow_));
        escrow = escrow_;
    }

    /// @notice Register an agent paid at ``wallet`` (one agent per wallet), owned by the caller.
    function register(address wallet, string calldata card) external returns (uint256 agentId) {
        if (wallet == address(0)) revert ZeroWallet();
        if (agentOfWallet[wallet] != 0) revert WalletTaken(wallet, agentOfWallet[wallet]);
        _checkCard(card);
        agentId = ++agentCount;
        Agent storage a = _agents[agentId];
        a.owner = msg.sender;
        a.wallet = wallet;
        a.registeredAt = uint64(block.timestamp);
        a.updatedAt = uint64(block.timestamp);
        a.card = card;
        agentOfWallet[wallet] = agentId;
        emit AgentRegistered(agentId, msg.sender, wallet);
        emit AgentUpdated(agentId, keccak256(bytes(card)));
    }

    /// @notice Replace the agent card (owner only).
    function updateCard(uint256 agentId, string calldata card) external {
        Agent storage a = _owned(agentId);
        _checkCard(card);
        a.card = card;
        a.updatedAt = uint64(block.timestamp);
        emit AgentUpdated(agentId, keccak256(bytes(card)));
    }

    /// @notice Hand the agent to a new owner (owner only).
    function transferOwnership(uint256 agentId, address newOwner) external {
        Agent storage a = _owned(agentId);
        if (newOwner == address(0)) revert ZeroWallet();
        emit AgentTransferred(agentId, a.owner, newOwner);
        a.owner = newOwner;
    }

    /// @notice Rate the other side of a completed, paid task (0..100), once per task and side.
    function giveFeedback(uint256 taskId, uint8 score, string calldata commentCid) external {
        if (score > 100) revert ScoreOutOfRange(score);
        (address requester, address provider, bool paid,,) = escrow.settlement(taskId);
        if (!paid) revert TaskNotPaid(taskId);
        address rated;
        if (msg.sender == requester) rated = provider;
        else if (msg.sender == provider) rated = requester;
        else revert NotCounterparty(msg.sender, taskId);
        if (feedbackGiven[taskId][msg.sender]) revert FeedbackAlreadyGiven(taskId, msg.sender);
        uint256 agentId = agentOfWallet[rated];
        if (agentId == 0) revert UnknownAgent(0);
        feedbackGiven[taskId][msg.sender] = true;
        Agent storage a = _agents[agentId];
        a.feedbackCount += 1;
        a.scoreSum += score;
        _feedback[agentId].push(Feedback(taskId, msg.sender, score, commentCid));
        emit FeedbackGiven(agentId, taskId, msg.sender, score);
    }

    /// @notice Record that the agent's result for a paid task is backed by a verified inference.
    /// @dev The escrow's proof-gated release already checked the proof on chain; ``inferenceTx``
    /// names the transaction whose InferenceVerified event clients can re-check.
    function recordValidation(uint256 agentId, uint256 taskId, bytes32 inferenceTx) external {
        Agent storage a = _owned(agentId);
        (, address provider, bool paid, bytes32 modelId, bytes32 outputsHash) = escrow.settlement(taskId);
        if (!paid) revert TaskNotPaid(taskId);
        if (provider != a.wallet) revert NotTaskProvider(agentId, taskId);
        _validations[agentId].push(Validation(taskId, modelId, outputsHash, inferenceTx, msg.sender));
        emit ValidationRecorded(agentId, taskId, modelId, inferenceTx);
    }

    /// @notice One agent.
    function getAgent(uint256 agentId) external view returns (Agent memory) {
        return _agent(agentId);
    }

    /// @notice Feedback received by an agent.
    function feedbackOf(uint256 agentId) external view returns (Feedback[] memory) {
        _agent(agentId);
        return _feedback[agentId];
    }

    /// @notice Validation records of an agent.
    function validationsOf(uint256 agentId) external view returns (Validation[] memory) {
        _agent(agentId);
        return _validations[agentId];
    }

    function _agent(uint256 agentId) private view returns (Agent storage a) {
        a = _agents[agentId];
        if (a.owner == address(0)) revert UnknownAgent(agentId);
    }

    function _owned(uint256 agentId) private view returns (Agent storage a) {
        a = _agent(agentId);
        if (msg.sender != a.owner) revert NotOwner(msg.sender);
    }

    function _checkCard(string calldata card) private pure {
        uint256 n = bytes(card).length;
        if (n == 0 || n > MAX_CARD_BYTES) revert BadCard(n);
    }
}
