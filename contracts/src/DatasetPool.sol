// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

interface IIssuerRegistry {
    function isAuthorized(bytes32 thumbprint, bytes32 schemaId) external view returns (bool);
}

/// @title DatasetPool — pays holders of issuer-signed records for anonymized contributions
/// @notice A creator opens a dataset (schema, disclosure policy, reward per record in AIUSD,
/// budget). Holders contribute the content id of an SD-JWT presentation, authorized by an
/// EIP-712 signature of a *nullifier key*: a key the holder derives from the record's secret
/// and the dataset, so only the holder of the record can make it, and the same for every copy
/// of a record in one dataset. The nullifier is that key's address: one pending or accepted
/// contribution per record and dataset, and a nullifier copied from the mempool is useless
/// without the key (the signature also fixes the content digest and the payee). The dataset's
/// curator checks the presentation (issuer signature, policy, and that the nullifier key
/// derives from the signed record) and accepts — the reward is taken from the budget and paid
/// in the same call, so an accepted contribution is always paid — or rejects it.
/// Contributions reserve nothing: budget is committed only to records the curator found
/// issuer-backed, so junk contributions cannot block honest ones. The creator withdraws the
/// remaining budget once the dataset is closed and the contributions made before closing had
/// their review window.
contract DatasetPool is ReentrancyGuard, EIP712 {
    using SafeERC20 for IERC20;

    enum Status {
        None,
        Pending,
        Accepted,
        Rejected,
        Expired
    }

    struct Dataset {
        address creator;
        address curator;
        bytes32 schemaId;
        bytes32 policyHash;
        uint256 reward;
        uint256 budget; // tokens held for this dataset
        uint64 reviewWindow;
        uint64 closedAt; // 0 while open
        uint32 minK;
        bool closed;
        uint32 accepted;
        uint32 pending;
        string policyCid;
    }

    struct Contribution {
        bytes32 nullifier;
        bytes32 contentDigest; // sha2-256 of the presentation (CIDv1 raw)
        address payee; // payee, datasetId, submittedAt and status share one storage slot
        uint48 datasetId;
        uint40 submittedAt;
        Status status;
        bytes32 issuer; // JWK thumbprint, set on acceptance
    }

    struct DatasetParams {
        bytes32 schemaId;
        bytes32 policyHash;
        string policyCid;
        address curator;
        uint256 reward;
        uint256 budget;
        uint32 minK;
        uint64 reviewWindow;
    }

    bytes32 public constant CONTRIBUTION_TYPEHASH =
        keccak256("Contribution(uint256 datasetId,bytes32 contentDigest,address payee)");

    IERC20 public immutable token;
    IIssuerRegistry public immutable registry;
    uint256 public datasetCount;
    uint256 public contributionCount;

    mapping(uint256 datasetId => Dataset) private _datasets;
    mapping(uint256 contributionId => Contribution) private _contributions;
    /// @notice The pending or accepted contribution holding a nullifier in a dataset (0: free).
    mapping(uint256 datasetId => mapping(bytes32 nullifier => uint256 contributionId)) public nullifierHolder;
    /// @notice Contribution authorizations already spent (EIP-712 digests): each signature counts once.
    mapping(bytes32 digest => bool) public authorizationUsed;

    event DatasetCreated(
        uint256 indexed datasetId, address indexed creator, address indexed curator, bytes32 schemaId,
        bytes32 policyHash, uint256 reward
    );
    event DatasetFunded(uint256 indexed datasetId, address indexed from, uint256 amount);
    event DatasetClosed(uint256 indexed datasetId);
    event BudgetWithdrawn(uint256 indexed datasetId, address indexed to, uint256 amount);
    event Contributed(
        uint256 indexed datasetId, uint256 indexed contributionId, bytes32 indexed nullifier,
        bytes32 contentDigest, address payee
    );
    event ContributionAccepted(uint256 indexed datasetId, uint256 indexed contributionId, bytes32 issuer, uint256 paid);
    event ContributionRejected(uint256 indexed datasetId, uint256 indexed contributionId, string reason);
    event ContributionExpired(uint256 indexed datasetId, uint256 indexed contributionId);

    error UnknownDataset(uint256 datasetId);
    error UnknownContribution(uint256 contributionId);
    error NotCreator(address caller);
    error NotCurator(address caller);
    error DatasetIsClosed(uint256 datasetId);
    error DatasetNotClosed(uint256 datasetId);
    error NullifierAlreadyUsed(uint256 datasetId, bytes32 nullifier, uint256 contributionId);
    error AuthorizationUsed(bytes32 digest);
    error BudgetExhausted(uint256 datasetId, uint256 available, uint256 reward);
    error NotPending(uint256 contributionId);
    error ReviewWindowOpen(uint256 contributionId, uint256 until);
    error ContributionsUnderReview(uint256 datasetId, uint256 until);
    error IssuerNotAuthorized(bytes32 issuer, bytes32 schemaId);
    error InvalidParameters();
    error NothingToWithdraw(uint256 datasetId);

    constructor(IERC20 token_, IIssuerRegistry registry_) EIP712("aiweb3 DatasetPool", "1") {
        token = token_;
        registry = registry_;
    }

    /// @notice Open a dataset, pulling `p.budget` from the caller with transferFrom (approve first).
    function createDataset(DatasetParams calldata p) public nonReentrant returns (uint256 datasetId) {
        if (p.curator == address(0) || p.reward == 0 || p.minK == 0 || p.reviewWindow == 0) {
            revert InvalidParameters();
        }
        datasetId = ++datasetCount;
        Dataset storage d = _datasets[datasetId];
        d.creator = msg.sender;
        d.curator = p.curator;
        d.schemaId = p.schemaId;
        d.policyHash = p.policyHash;
        d.policyCid = p.policyCid;
        d.reward = p.reward;
        d.minK = p.minK;
        d.reviewWindow = p.reviewWindow;
        emit DatasetCreated(datasetId, msg.sender, p.curator, p.schemaId, p.policyHash, p.reward);
        _pull(datasetId, p.budget);
    }

    /// @notice Like createDataset, authorizing the budget with an EIP-2612 permit in the same call.
    /// @dev A permit already used by a front-runner is tolerated: the allowance is what counts.
    function createDatasetWithPermit(DatasetParams calldata p, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external
        returns (uint256)
    {
        try IERC20Permit(address(token)).permit(msg.sender, address(this), p.budget, deadline, v, r, s) {} catch {}
        return createDataset(p);
    }

    /// @notice Add budget to an open dataset (anyone may).
    function fund(uint256 datasetId, uint256 amount) external nonReentrant {
        _open(datasetId);
        _pull(datasetId, amount);
    }

    /// @notice Contribute a presentation by the sha2-256 digest of its bytes. `authorization` is
    /// the nullifier key's EIP-712 signature of Contribution(datasetId, contentDigest, payee);
    /// the nullifier is that key's address. Reserves nothing. Refused while the nullifier holds
    /// a pending or accepted contribution, or once the signature was used.
    function contribute(uint256 datasetId, bytes32 contentDigest, address payee, bytes calldata authorization)
        external
        returns (uint256 contributionId)
    {
        Dataset storage d = _open(datasetId);
        if (payee == address(0)) revert InvalidParameters();
        bytes32 digest =
            _hashTypedDataV4(keccak256(abi.encode(CONTRIBUTION_TYPEHASH, datasetId, contentDigest, payee)));
        if (authorizationUsed[digest]) revert AuthorizationUsed(digest);
        // ECDSA.recover refuses malleable (high-s) signatures, so one authorization has one digest.
        bytes32 nullifier = bytes32(uint256(uint160(ECDSA.recover(digest, authorization))));
        uint256 holder = nullifierHolder[datasetId][nullifier];
        if (holder != 0) revert NullifierAlreadyUsed(datasetId, nullifier, holder);
        if (d.budget < d.reward) revert BudgetExhausted(datasetId, d.budget, d.reward);
        authorizationUsed[digest] = true;
        d.pending += 1;
        contributionId = ++contributionCount;
        nullifierHolder[datasetId][nullifier] = contributionId;
        _contributions[contributionId] =
            Contribution(nullifier, contentDigest, payee, uint48(datasetId), uint40(block.timestamp), Status.Pending, 0);
        emit Contributed(datasetId, contributionId, nullifier, contentDigest, payee);
    }

    /// @notice The curator attests the presentation verified (issuer `issuer` signed it); pays the
    /// payee from the budget. Reverts BudgetExhausted when the budget no longer covers a reward.
    function accept(uint256 contributionId, bytes32 issuer) external nonReentrant {
        (Contribution storage c, Dataset storage d) = _pendingForCurator(contributionId);
        if (!registry.isAuthorized(issuer, d.schemaId)) revert IssuerNotAuthorized(issuer, d.schemaId);
        if (d.budget < d.reward) revert BudgetExhausted(c.datasetId, d.budget, d.reward);
        c.status = Status.Accepted;
        c.issuer = issuer;
        d.budget -= d.reward;
        d.pending -= 1;
        d.accepted += 1;
        emit ContributionAccepted(c.datasetId, contributionId, issuer, d.reward);
        token.safeTransfer(c.payee, d.reward);
    }

    /// @notice The curator refuses a contribution; its nullifier is freed.
    function reject(uint256 contributionId, string calldata reason) external {
        (Contribution storage c, Dataset storage d) = _pendingForCurator(contributionId);
        c.status = Status.Rejected;
        d.pending -= 1;
        delete nullifierHolder[c.datasetId][c.nullifier];
        emit ContributionRejected(c.datasetId, contributionId, reason);
    }

    /// @notice Anyone may release a contribution the curator left unreviewed past the review
    /// window: its nullifier is freed.
    function expire(uint256 contributionId) external {
        Contribution storage c = _contributions[contributionId];
        if (c.status != Status.Pending) revert NotPending(contributionId);
        Dataset storage d = _datasets[c.datasetId];
        uint256 until = uint256(c.submittedAt) + d.reviewWindow;
        if (block.timestamp <= until) revert ReviewWindowOpen(contributionId, until);
        c.status = Status.Expired;
        d.pending -= 1;
        delete nullifierHolder[c.datasetId][c.nullifier];
        emit ContributionExpired(c.datasetId, contributionId);
    }

    /// @notice The creator stops new contributions (pending ones can still be reviewed or expire).
    function close(uint256 datasetId) external {
        Dataset storage d = _open(datasetId);
        if (msg.sender != d.creator) revert NotCreator(msg.sender);
        d.closed = true;
        d.closedAt = uint64(block.timestamp);
        emit DatasetClosed(datasetId);
    }

    /// @notice After closing, the creator takes back the remaining budget, once no contribution is
    /// pending or the review window after closing has passed (every contribution made before
    /// closing had its full window to be accepted).
    function withdraw(uint256 datasetId) external nonReentrant returns (uint256 amount) {
        Dataset storage d = _datasets[datasetId];
        if (d.creator == address(0)) revert UnknownDataset(datasetId);
        if (msg.sender != d.creator) revert NotCreator(msg.sender);
        if (!d.closed) revert DatasetNotClosed(datasetId);
        uint256 until = uint256(d.closedAt) + d.reviewWindow;
        if (d.pending != 0 && block.timestamp <= until) revert ContributionsUnderReview(datasetId, until);
        amount = d.budget;
        if (amount == 0) revert NothingToWithdraw(datasetId);
        d.budget -= amount;
        emit BudgetWithdrawn(datasetId, msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    /// @notice A dataset's parameters and balances.
    function dataset(uint256 datasetId) external view returns (Dataset memory) {
        if (_datasets[datasetId].creator == address(0)) revert UnknownDataset(datasetId);
        return _datasets[datasetId];
    }

    /// @notice The EIP-712 domain separator (name "aiweb3 DatasetPool", version "1").
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @notice One contribution.
    function contribution(uint256 contributionId) external view returns (Contribution memory) {
        // datasetId 0 is the "never written" sentinel (ids start at 1), not a balance: strict
        // equality is exact here (Slither incorrect-equality).
        // slither-disable-next-line incorrect-equality
        if (_contributions[contributionId].datasetId == 0) revert UnknownContribution(contributionId);
        return _contributions[contributionId];
    }

    function _open(uint256 datasetId) private view returns (Dataset storage d) {
        d = _datasets[datasetId];
        if (d.creator == address(0)) revert UnknownDataset(datasetId);
        if (d.closed) revert DatasetIsClosed(datasetId);
    }

    function _pendingForCurator(uint256 contributionId)
        private
        view
        returns (Contribution storage c, Dataset storage d)
    {
        c = _contributions[contributionId];
        if (c.datasetId == 0) revert UnknownContribution(contributionId);
        d = _datasets[c.datasetId];
        if (msg.sender != d.curator) revert NotCurator(msg.sender);
        if (c.status != Status.Pending) revert NotPending(contributionId);
    }

    function _pull(uint256 datasetId, uint256 amount) private {
        if (amount == 0) return;
        // Credit what actually arrived (robust to fee-on-transfer tokens).
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        _datasets[datasetId].budget += received;
        emit DatasetFunded(datasetId, msg.sender, received);
    }
}
