// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";

/// @notice What the registry asks the escrow about a task (TaskEscrow.settlement).
interface ITaskSettlement {
    struct Settlement {
        address requester;
        address provider;
        uint256 paid;
        bytes32 modelId;
        bytes32 inputCommitment;
        bytes32 outputsHash;
        uint64 verifiedBlock;
    }

    function settlement(uint256 taskId) external view returns (Settlement memory);
}

/// @title AgentRegistry — agent identities, cards, reputation and validations
/// @notice In the spirit of ERC-8004 (Trustless Agents). An agent has an owner, a wallet it is
/// paid at and an agent card (JSON: name, capabilities, endpoint, prices, payment schemes) the
/// owner may update. A wallet joins an agent only with its own consent: the wallet is the caller,
/// or it signed an EIP-712 ``AgentWallet`` message (ERC-8004's ``setAgentWallet`` pattern) with a
/// deadline and its next nonce. Reputation can only be given by the counterparty of a task the
/// escrow paid, once per task and side, never between parties with the same owner; each entry
/// carries what was paid, so clients weigh it by money and by distinct counterparties. A
/// validation ties an agent's paid task to the inference proof the escrow verified for it.
contract AgentRegistry is EIP712, Nonces {
    struct Agent {
        address owner;
        address wallet; // address(0) after an ownership transfer, until a wallet consents again
        uint64 registeredAt;
        uint64 updatedAt;
        uint32 feedbackCount;
        uint32 counterparties; // distinct accounts that gave feedback
        uint64 scoreSum; // scores are 0..100
        uint128 paidVolume; // sum of the amounts paid in the rated tasks
        string card;
    }

    struct Feedback {
        uint256 taskId;
        address from;
        uint8 score;
        uint256 amount; // what the provider was paid in that task
        string commentCid;
    }

    struct Validation {
        uint256 taskId;
        bytes32 modelId;
        bytes32 inputCommitment;
        bytes32 outputsHash;
        uint64 verifiedBlock; // the block of the escrow's verifyInference call (its InferenceVerified)
        address recordedBy;
    }

    /// @notice The wallet's consent: "``wallet`` may be the wallet of agent ``agentId`` of
    /// ``owner``" (``agentId`` 0: of the next agent ``owner`` registers).
    bytes32 public constant AGENT_WALLET_TYPEHASH = keccak256(
        "AgentWallet(uint256 agentId,address owner,address wallet,uint256 nonce,uint256 deadline)"
    );
    uint256 public constant MAX_CARD_BYTES = 4096;
    ITaskSettlement public immutable escrow;
    uint256 public agentCount;
    mapping(uint256 agentId => Agent) private _agents;
    mapping(address wallet => uint256 agentId) public agentOfWallet;
    mapping(uint256 agentId => Feedback[]) private _feedback;
    mapping(uint256 agentId => Validation[]) private _validations;
    mapping(uint256 taskId => mapping(address from => bool)) public feedbackGiven;
    mapping(uint256 agentId => mapping(address from => bool)) public hasRated;
    mapping(uint256 taskId => bool) public validated;

    event AgentRegistered(uint256 indexed agentId, address indexed owner, address indexed wallet);
    event AgentUpdated(uint256 indexed agentId, bytes32 cardHash);
    event AgentTransferred(uint256 indexed agentId, address indexed from, address indexed to);
    event AgentWalletSet(uint256 indexed agentId, address indexed wallet);
    event FeedbackGiven(
        uint256 indexed agentId, uint256 indexed taskId, address indexed from, uint8 score, uint256 amount
    );
    event ValidationRecorded(uint256 indexed agentId, uint256 indexed taskId, bytes32 modelId, uint64 verifiedBlock);

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
    error ConsentExpired(uint256 deadline, uint256 blockTime);
    error BadWalletSignature(address wallet);
    error SelfDealing(address owner, uint256 taskId);
    error NoVerifiedInference(uint256 taskId);
    error AlreadyValidated(uint256 taskId);

    constructor(ITaskSettlement escrow_) EIP712("AgentRegistry", "1") {
        if (address(escrow_).code.length == 0) revert NotAContract(address(escrow_));
        escrow = escrow_;
    }

    // -- identity --------------------------------------------------------------------------------

    /// @notice Register an agent owned by the caller, paid at ``wallet`` (one agent per wallet).
    /// @param signature the wallet's EIP-712 ``AgentWallet`` consent with ``agentId`` 0 (ERC-1271
    /// for a contract wallet); empty when the caller is the wallet itself.
    function register(address wallet, string calldata card, uint256 deadline, bytes calldata signature)
        external
        returns (uint256 agentId)
    {
        _checkCard(card);
        _consent(0, wallet, deadline, signature);
        agentId = ++agentCount;
        Agent storage a = _agents[agentId];
        a.owner = msg.sender;
        a.registeredAt = uint64(block.timestamp);
        a.updatedAt = uint64(block.timestamp);
        a.card = card;
        emit AgentRegistered(agentId, msg.sender, wallet);
        emit AgentUpdated(agentId, keccak256(bytes(card)));
        _setWallet(agentId, a, wallet);
    }

    /// @notice Point an agent at another wallet (owner only), with that wallet's consent for
    /// ``agentId``; the former wallet is released.
    function setAgentWallet(uint256 agentId, address wallet, uint256 deadline, bytes calldata signature) external {
        Agent storage a = _owned(agentId);
        _consent(agentId, wallet, deadline, signature);
        _releaseWallet(a);
        _setWallet(agentId, a, wallet);
    }

    /// @notice Detach the wallet from its agent: its owner, or the wallet itself, may.
    function unsetAgentWallet(uint256 agentId) external {
        Agent storage a = _agent(agentId);
        if (msg.sender != a.owner && msg.sender != a.wallet) revert NotOwner(msg.sender);
        _releaseWallet(a);
        emit AgentWalletSet(agentId, address(0));
    }

    /// @notice Spend the caller's next consent nonce, voiding a consent it signed but regrets.
    function invalidateNonce() external {
        _useNonce(msg.sender);
    }

    /// @notice Replace the agent card (owner only).
    function updateCard(uint256 agentId, string calldata card) external {
        Agent storage a = _owned(agentId);
        _checkCard(card);
        a.card = card;
        a.updatedAt = uint64(block.timestamp);
        emit AgentUpdated(agentId, keccak256(bytes(card)));
    }

    /// @notice Hand the agent to a new owner (owner only). The wallet consented to the old owner,
    /// so it is released (as ERC-8004 clears ``agentWallet`` on transfer).
    function transferOwnership(uint256 agentId, address newOwner) external {
        Agent storage a = _owned(agentId);
        if (newOwner == address(0)) revert ZeroWallet();
        emit AgentTransferred(agentId, a.owner, newOwner);
        a.owner = newOwner;
        if (a.wallet != address(0)) {
            _releaseWallet(a);
            emit AgentWalletSet(agentId, address(0));
        }
    }

    // -- reputation --------------------------------------------------------------------------------

    /// @notice Rate the other side of a task the escrow paid (0..100), once per task and side.
    /// Refused between parties that are, or are owned by, the same account.
    function giveFeedback(uint256 taskId, uint8 score, string calldata commentCid) external {
        if (score > 100) revert ScoreOutOfRange(score);
        // The whole settlement struct is used below; Slither reads a struct return as partly unused.
        // slither-disable-next-line unused-return
        ITaskSettlement.Settlement memory s = escrow.settlement(taskId);
        if (s.paid == 0) revert TaskNotPaid(taskId);
        if (msg.sender != s.requester && msg.sender != s.provider) revert NotCounterparty(msg.sender, taskId);
        address rated = msg.sender == s.requester ? s.provider : s.requester;
        if (feedbackGiven[taskId][msg.sender]) revert FeedbackAlreadyGiven(taskId, msg.sender);
        uint256 agentId = agentOfWallet[rated];
        if (agentId == 0) revert UnknownAgent(0);
        Agent storage a = _agents[agentId];
        uint256 raterAgent = agentOfWallet[msg.sender];
        if (
            a.owner == msg.sender
                || (raterAgent != 0 && (_agents[raterAgent].owner == a.owner || _agents[raterAgent].owner == rated))
        ) {
            revert SelfDealing(a.owner, taskId);
        }
        feedbackGiven[taskId][msg.sender] = true;
        if (!hasRated[agentId][msg.sender]) {
            hasRated[agentId][msg.sender] = true;
            a.counterparties += 1;
        }
        a.feedbackCount += 1;
        a.scoreSum += score;
        a.paidVolume += uint128(s.paid);
        _feedback[agentId].push(Feedback(taskId, msg.sender, score, s.paid, commentCid));
        emit FeedbackGiven(agentId, taskId, msg.sender, score, s.paid);
    }

    /// @notice Record that the agent's paid task was settled by an inference proof the escrow's
    /// verifier (ModelRegistry) accepted: model, input commitment, outputs hash and block come
    /// from the escrow, so a record always points at a real InferenceVerified event. Owner only,
    /// once per task.
    function recordValidation(uint256 agentId, uint256 taskId) external {
        Agent storage a = _owned(agentId);
        // The whole settlement struct is used below; Slither reads a struct return as partly unused.
        // slither-disable-next-line unused-return
        ITaskSettlement.Settlement memory s = escrow.settlement(taskId);
        if (s.paid == 0) revert TaskNotPaid(taskId);
        if (s.provider != a.wallet) revert NotTaskProvider(agentId, taskId);
        if (s.verifiedBlock == 0) revert NoVerifiedInference(taskId);
        if (validated[taskId]) revert AlreadyValidated(taskId);
        validated[taskId] = true;
        _validations[agentId].push(
            Validation(taskId, s.modelId, s.inputCommitment, s.outputsHash, s.verifiedBlock, msg.sender)
        );
        emit ValidationRecorded(agentId, taskId, s.modelId, s.verifiedBlock);
    }

    // -- views -------------------------------------------------------------------------------------

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

    /// @notice The EIP-712 digest a wallet signs to join agent ``agentId`` (0: the next agent)
    /// of ``owner``, with its current nonce.
    function walletConsentDigest(uint256 agentId, address owner, address wallet, uint256 deadline)
        public
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(
            keccak256(abi.encode(AGENT_WALLET_TYPEHASH, agentId, owner, wallet, nonces(wallet), deadline))
        );
    }

    // -- internals -----------------------------------------------------------------------------------

    function _consent(uint256 agentId, address wallet, uint256 deadline, bytes calldata signature) private {
        if (wallet == address(0)) revert ZeroWallet();
        if (agentOfWallet[wallet] != 0) revert WalletTaken(wallet, agentOfWallet[wallet]);
        if (wallet == msg.sender) return;
        if (block.timestamp > deadline) revert ConsentExpired(deadline, block.timestamp);
        bytes32 digest = walletConsentDigest(agentId, msg.sender, wallet, deadline);
        if (!SignatureChecker.isValidSignatureNow(wallet, digest, signature)) revert BadWalletSignature(wallet);
        _useNonce(wallet);
    }

    function _setWallet(uint256 agentId, Agent storage a, address wallet) private {
        a.wallet = wallet;
        agentOfWallet[wallet] = agentId;
        emit AgentWalletSet(agentId, wallet);
    }

    function _releaseWallet(Agent storage a) private {
        if (a.wallet != address(0)) delete agentOfWallet[a.wallet];
        a.wallet = address(0);
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
