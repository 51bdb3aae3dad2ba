// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

interface IIssuerRegistry {
    function isAuthorized(bytes32 thumbprint, bytes32 schemaId) external view returns (bool);
}

/// @title DatasetPool — pays holders of issuer-signed records for anonymized contributions
/// @notice A creator opens a dataset (schema, disclosure policy, reward per record in AIUSD,
/// budget). Holders contribute the content id of an SD-JWT presentation with a nullifier
/// (one per signed record and dataset); the dataset's curator attests that the presentation
/// verified and the pool pays the reward. Each pending contribution reserves its reward, so a
/// contribution is refused once the budget is spent, an accepted one is always paid, and every
/// reservation is released by acceptance, rejection or, after the review window, by anyone.
/// The creator withdraws the unreserved budget once the dataset is closed.
contract DatasetPool is ReentrancyGuard {
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
        uint256 budget; // tokens held for this dataset (reserved included)
        uint256 reserved; // rewards held for pending contributions
        uint64 reviewWindow;
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

    IERC20 public immutable token;
    IIssuerRegistry public immutable registry;
    uint256 public datasetCount;
    uint256 public contributionCount;

    mapping(uint256 datasetId => Dataset) private _datasets;
    mapping(uint256 contributionId => Contribution) private _contributions;
    mapping(uint256 datasetId => mapping(bytes32 nullifier => bool)) public nullifierUsed;

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
    error NullifierAlreadyUsed(uint256 datasetId, bytes32 nullifier);
    error BudgetExhausted(uint256 datasetId, uint256 available, uint256 reward);
    error NotPending(uint256 contributionId);
    error ReviewWindowOpen(uint256 contributionId, uint256 until);
    error IssuerNotAuthorized(bytes32 issuer, bytes32 schemaId);
    error InvalidParameters();
    error NothingToWithdraw(uint256 datasetId);

    constructor(IERC20 token_, IIssuerRegistry registry_) {
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

    /// @notice Contribute a presentation: its nullifier and the sha2-256 digest of its bytes.
    /// Reserves one reward; refused when the nullifier was used or the budget is spent.
    function contribute(uint256 datasetId, bytes32 nullifier, bytes32 contentDigest, address payee)
        external
        returns (uint256 contributionId)
    {
        Dataset storage d = _open(datasetId);
        if (nullifierUsed[datasetId][nullifier]) revert NullifierAlreadyUsed(datasetId, nullifier);
        if (payee == address(0)) revert InvalidParameters();
        uint256 available = d.budget - d.reserved;
        if (available < d.reward) revert BudgetExhausted(datasetId, available, d.reward);
        nullifierUsed[datasetId][nullifier] = true;
        d.reserved += d.reward;
        d.pending += 1;
        contributionId = ++contributionCount;
        _contributions[contributionId] =
            Contribution(nullifier, contentDigest, payee, uint48(datasetId), uint40(block.timestamp), Status.Pending, 0);
        emit Contributed(datasetId, contributionId, nullifier, contentDigest, payee);
    }

    /// @notice The curator attests the presentation verified (issuer `issuer` signed it); pays the payee.
    function accept(uint256 contributionId, bytes32 issuer) external nonReentrant {
        (Contribution storage c, Dataset storage d) = _pendingForCurator(contributionId);
        if (!registry.isAuthorized(issuer, d.schemaId)) revert IssuerNotAuthorized(issuer, d.schemaId);
        c.status = Status.Accepted;
        c.issuer = issuer;
        d.reserved -= d.reward;
        d.budget -= d.reward;
        d.pending -= 1;
        d.accepted += 1;
        emit ContributionAccepted(c.datasetId, contributionId, issuer, d.reward);
        token.safeTransfer(c.payee, d.reward);
    }

    /// @notice The curator refuses a contribution; its reward is released and its nullifier freed.
    function reject(uint256 contributionId, string calldata reason) external {
        (Contribution storage c, Dataset storage d) = _pendingForCurator(contributionId);
        c.status = Status.Rejected;
        d.reserved -= d.reward;
        d.pending -= 1;
        nullifierUsed[c.datasetId][c.nullifier] = false;
        emit ContributionRejected(c.datasetId, contributionId, reason);
    }

    /// @notice Anyone may release a contribution the curator left unreviewed past the review window.
    function expire(uint256 contributionId) external {
        Contribution storage c = _contributions[contributionId];
        if (c.status != Status.Pending) revert NotPending(contributionId);
        Dataset storage d = _datasets[c.datasetId];
        uint256 until = uint256(c.submittedAt) + d.reviewWindow;
        if (block.timestamp <= until) revert ReviewWindowOpen(contributionId, until);
        c.status = Status.Expired;
        d.reserved -= d.reward;
        d.pending -= 1;
        nullifierUsed[c.datasetId][c.nullifier] = false;
        emit ContributionExpired(c.datasetId, contributionId);
    }

    /// @notice The creator stops new contributions (pending ones can still be reviewed or expire).
    function close(uint256 datasetId) external {
        Dataset storage d = _open(datasetId);
        if (msg.sender != d.creator) revert NotCreator(msg.sender);
        d.closed = true;
        emit DatasetClosed(datasetId);
    }

    /// @notice After closing, the creator takes back the budget no pending contribution reserves.
    function withdraw(uint256 datasetId) external nonReentrant returns (uint256 amount) {
        Dataset storage d = _datasets[datasetId];
        if (d.creator == address(0)) revert UnknownDataset(datasetId);
        if (msg.sender != d.creator) revert NotCreator(msg.sender);
        if (!d.closed) revert DatasetNotClosed(datasetId);
        amount = d.budget - d.reserved;
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

    /// @notice One contribution.
    function contribution(uint256 contributionId) external view returns (Contribution memory) {
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
