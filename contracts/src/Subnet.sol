// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Yuma} from "./Yuma.sol";

/// @notice The part of DatasetPool the subnet reads: a contribution's payee, dataset and status.
interface IContributionPool {
    struct Contribution {
        bytes32 nullifier;
        bytes32 contentDigest;
        address payee;
        uint48 datasetId;
        uint40 submittedAt;
        uint8 status; // 2: accepted
        bytes32 issuer;
    }

    function contribution(uint256 contributionId) external view returns (Contribution memory);
}

/// @title Subnet — a proof-of-personal-work network: staked miners and validators, commit-reveal
/// weights, Yuma consensus and AIUSD emission per epoch
/// @notice Miners and validators register with at least `minStake` AIUSD. Each epoch has a
/// commit phase (validators post keccak256 of their weights and a salt, bound to this chain,
/// contract, epoch and sender, so weights cannot be copied) and a reveal phase; then anyone
/// finalizes it: Yuma consensus over the validators that revealed (at most MAX_VALIDATORS) and
/// the miners registered when the epoch began (at most MAX_MINERS) splits the epoch's emission,
/// `1 - xi` to miners by incentive and `xi` to validators by dividends. Rewards are credited and
/// claimed (pull payments); rounding dust and shares nobody earned stay in the emission pool.
/// A participant leaves with `exit`, which takes effect when the current epoch is finalized; its
/// stake is then withdrawable. The sponsor funds the pool and may take back what was never
/// emitted. Data is personal work too: for each finalized epoch the sponsor may name the
/// DatasetPool contributions whose records that round used; each must be accepted in the
/// subnet's dataset, and their payees share `dataRewardPerEpoch` equally per record.
/// Balance invariant: token balance >= totalStaked + emissionPool + totalOwed.
contract Subnet is ReentrancyGuard {
    using SafeERC20 for IERC20;

    uint256 public constant MAX_VALIDATORS = 16;
    uint256 public constant MAX_MINERS = 64;
    uint256 internal constant WAD = 1e18;

    enum Role {
        None,
        Miner,
        Validator
    }

    struct Neuron {
        address account;
        uint256 stake;
        uint64 exitEpoch; // 0: registered; else the last epoch it takes part in
        bool withdrawn;
    }

    struct Commit {
        uint64 epoch;
        bool revealed;
        bytes32 commitment;
    }

    struct Params {
        uint256 minStake;
        uint256 emissionPerEpoch;
        uint64 commitPeriod; // seconds
        uint64 revealPeriod; // seconds
        uint256 kappa; // WAD
        uint256 beta; // WAD
        uint256 alpha; // WAD
        uint256 xi; // WAD: validators' share of each epoch's emission
        bool medianIncentive; // miners paid by consensus weight, not rank (see Yuma.sol)
        uint256 dataRewardPerEpoch; // paid to data contributors per epoch (see rewardData)
    }

    IERC20 public immutable token;
    address public immutable sponsor;
    uint256 public immutable minStake;
    uint256 public immutable emissionPerEpoch;
    uint64 public immutable commitPeriod;
    uint64 public immutable revealPeriod;
    uint256 public immutable kappa;
    uint256 public immutable beta;
    uint256 public immutable alpha;
    uint256 public immutable xi;
    bool public immutable medianIncentive;
    uint256 public immutable dataRewardPerEpoch;
    IContributionPool public immutable datasetPool; // address(0): no data rewards
    uint256 public immutable datasetId;
    uint8 internal constant ACCEPTED = 2;

    uint64 public epoch = 1;
    uint64 public epochStart;
    uint32 public epochMiners; // miners (uids 0..epochMiners-1) the current epoch scores
    uint256 public emissionPool;
    uint256 public totalStaked;
    uint256 public totalOwed;
    mapping(address account => uint256 amount) public owed;

    Neuron[] private _miners;
    Neuron[] private _validators;
    mapping(address account => Role) public roleOf;
    mapping(address account => uint256 uid) public uidOf;
    mapping(uint256 validatorUid => Commit) private _commits;
    mapping(uint256 validatorUid => uint16[]) private _weights;
    uint64[MAX_MINERS][MAX_VALIDATORS] private _bonds;
    mapping(uint64 epoch => bool) public dataRewarded;

    event Registered(address indexed account, Role role, uint256 uid, uint256 stake);
    event StakeAdded(address indexed account, uint256 amount);
    event ExitRequested(address indexed account, uint64 lastEpoch);
    event StakeWithdrawn(address indexed account, uint256 amount);
    event WeightsCommitted(uint64 indexed epoch, uint256 indexed validatorUid, bytes32 commitment);
    event WeightsRevealed(uint64 indexed epoch, uint256 indexed validatorUid, uint16[] weights);
    event EpochFinalized(
        uint64 indexed epoch,
        uint256 emitted,
        uint256[] stakes,
        uint256[] consensus,
        uint256[] incentive,
        uint256[] dividends,
        uint256[] minerRewards,
        uint256[] validatorRewards
    );
    event PoolFunded(address indexed from, uint256 amount);
    event PoolWithdrawn(address indexed to, uint256 amount);
    event Claimed(address indexed account, uint256 amount);
    event DataRewarded(uint64 indexed epoch, uint256 records, uint256 perRecord);

    error StakeBelowMinimum(uint256 stake, uint256 minimum);
    error AlreadyRegistered(address account);
    error NotRegistered(address account);
    error NotValidator(address account);
    error SubnetFull(Role role, uint256 limit);
    error Exited(address account);
    error WrongPhase(uint64 epoch, uint256 now_, uint256 opens, uint256 closes);
    error NoCommit(uint64 epoch, uint256 validatorUid);
    error AlreadyRevealed(uint64 epoch, uint256 validatorUid);
    error RevealMismatch(uint64 epoch, uint256 validatorUid);
    error WrongWeightCount(uint256 given, uint256 expected);
    error EpochNotOver(uint64 epoch, uint256 endsAt);
    error NotWithdrawable(address account);
    error NotSponsor(address caller);
    error InsufficientPool(uint256 available, uint256 requested);
    error NothingToClaim(address account);
    error InvalidParameters();
    error EpochNotFinalized(uint64 epoch);
    error DataAlreadyRewarded(uint64 epoch);
    error NotUsableContribution(uint256 contributionId);
    error DuplicateContribution(uint256 contributionId);

    constructor(IERC20 token_, Params memory p, IContributionPool datasetPool_, uint256 datasetId_) {
        if (
            p.minStake == 0 || p.commitPeriod == 0 || p.revealPeriod == 0 || p.kappa == 0 || p.kappa > WAD
                || p.beta > WAD || p.alpha > WAD || p.xi > WAD
        ) revert InvalidParameters();
        token = token_;
        sponsor = msg.sender;
        minStake = p.minStake;
        emissionPerEpoch = p.emissionPerEpoch;
        commitPeriod = p.commitPeriod;
        revealPeriod = p.revealPeriod;
        kappa = p.kappa;
        beta = p.beta;
        alpha = p.alpha;
        xi = p.xi;
        medianIncentive = p.medianIncentive;
        dataRewardPerEpoch = p.dataRewardPerEpoch;
        datasetPool = datasetPool_;
        datasetId = datasetId_;
        epochStart = uint64(block.timestamp);
    }

    // -- registration and stake ------------------------------------------------------------

    /// @notice Register the caller as a miner (`Role.Miner`) or validator, pulling `stake` AIUSD.
    function register(Role role, uint256 stake) external nonReentrant returns (uint256 uid) {
        if (stake < minStake) revert StakeBelowMinimum(stake, minStake);
        if (roleOf[msg.sender] != Role.None) revert AlreadyRegistered(msg.sender);
        if (role != Role.Miner && role != Role.Validator) revert InvalidParameters();
        Neuron[] storage set = role == Role.Miner ? _miners : _validators;
        uint256 limit = role == Role.Miner ? MAX_MINERS : MAX_VALIDATORS;
        if (set.length >= limit) revert SubnetFull(role, limit);
        uid = set.length;
        set.push(Neuron(msg.sender, stake, 0, false));
        roleOf[msg.sender] = role;
        uidOf[msg.sender] = uid;
        totalStaked += stake;
        emit Registered(msg.sender, role, uid, stake);
        token.safeTransferFrom(msg.sender, address(this), stake);
    }

    /// @notice Add stake to the caller's registration.
    function addStake(uint256 amount) external nonReentrant {
        Neuron storage n = _neuron(msg.sender);
        if (n.exitEpoch != 0) revert Exited(msg.sender);
        n.stake += amount;
        totalStaked += amount;
        emit StakeAdded(msg.sender, amount);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Leave after the current epoch: it still counts in this epoch, none after.
    function exit() external {
        Neuron storage n = _neuron(msg.sender);
        if (n.exitEpoch != 0) revert Exited(msg.sender);
        n.exitEpoch = epoch;
        emit ExitRequested(msg.sender, epoch);
    }

    /// @notice Take back the stake once the exit took effect (its last epoch is finalized).
    function withdrawStake() external nonReentrant {
        Neuron storage n = _neuron(msg.sender);
        if (n.exitEpoch == 0 || n.exitEpoch >= epoch || n.withdrawn) revert NotWithdrawable(msg.sender);
        uint256 amount = n.stake;
        n.withdrawn = true;
        n.stake = 0;
        totalStaked -= amount;
        emit StakeWithdrawn(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    // -- weights -------------------------------------------------------------------------------

    /// @notice The commitment a validator posts: binds chain, contract, epoch, sender, weights, salt.
    function commitmentOf(uint64 epoch_, address validator_, uint16[] calldata weights, bytes32 salt)
        public
        view
        returns (bytes32)
    {
        return keccak256(abi.encode(block.chainid, address(this), epoch_, validator_, weights, salt));
    }

    /// @notice Post (or replace) the caller's weight commitment during the commit phase.
    function commitWeights(bytes32 commitment) external {
        uint256 uid = _activeValidator(msg.sender);
        uint256 opens = epochStart;
        if (block.timestamp >= opens + commitPeriod) {
            revert WrongPhase(epoch, block.timestamp, opens, opens + commitPeriod);
        }
        _commits[uid] = Commit(epoch, false, commitment);
        emit WeightsCommitted(epoch, uid, commitment);
    }

    /// @notice Reveal the committed weights (one per miner scored this epoch) during the reveal phase.
    function revealWeights(uint16[] calldata weights, bytes32 salt) external {
        uint256 uid = _activeValidator(msg.sender);
        uint256 opens = epochStart + commitPeriod;
        if (block.timestamp < opens || block.timestamp >= opens + revealPeriod) {
            revert WrongPhase(epoch, block.timestamp, opens, opens + revealPeriod);
        }
        Commit storage c = _commits[uid];
        if (c.epoch != epoch) revert NoCommit(epoch, uid);
        if (c.revealed) revert AlreadyRevealed(epoch, uid);
        if (weights.length != epochMiners) revert WrongWeightCount(weights.length, epochMiners);
        if (commitmentOf(epoch, msg.sender, weights, salt) != c.commitment) revert RevealMismatch(epoch, uid);
        c.revealed = true;
        _weights[uid] = weights;
        emit WeightsRevealed(epoch, uid, weights);
    }

    // -- epochs --------------------------------------------------------------------------------

    /// @notice Yuma consensus with this subnet's kappa, beta, alpha and incentive rule (see Yuma.sol).
    function computeEpoch(uint256[] memory stakes, uint16[][] memory weights, uint256[][] memory bonds)
        public
        view
        returns (Yuma.Result memory)
    {
        if (weights.length != stakes.length || bonds.length != stakes.length) revert InvalidParameters();
        for (uint256 i; i < stakes.length; ++i) {
            if (bonds[i].length != weights[0].length || weights[i].length != weights[0].length) {
                revert InvalidParameters();
            }
        }
        return Yuma.epoch(stakes, weights, bonds, kappa, beta, alpha, medianIncentive);
    }

    /// @notice Close the epoch once its reveal phase is over: run consensus, credit the emission,
    /// start the next epoch. Anyone may call it.
    function finalizeEpoch() external nonReentrant {
        uint256 endsAt = uint256(epochStart) + commitPeriod + revealPeriod;
        if (block.timestamp < endsAt) revert EpochNotOver(epoch, endsAt);
        uint256 nv = _validators.length;
        uint256 nm = epochMiners;
        uint256[] memory stakes = new uint256[](nv);
        uint16[][] memory weights = new uint16[][](nv);
        uint256[][] memory bonds = new uint256[][](nv);
        for (uint256 i; i < nv; ++i) {
            bonds[i] = new uint256[](nm);
            for (uint256 j; j < nm; ++j) bonds[i][j] = _bonds[i][j];
            Commit storage c = _commits[i];
            if (c.epoch == epoch && c.revealed) {
                stakes[i] = _validators[i].stake;
                weights[i] = _weights[i];
                for (uint256 j; j < nm; ++j) {
                    if (_left(_miners[j])) weights[i][j] = 0;
                }
            } else {
                weights[i] = new uint16[](nm);
            }
        }
        Yuma.Result memory r = Yuma.epoch(stakes, weights, bonds, kappa, beta, alpha, medianIncentive);
        for (uint256 i; i < nv; ++i) {
            for (uint256 j; j < nm; ++j) _bonds[i][j] = uint64(r.bonds[i][j]);
        }
        (uint256 emitted, uint256[] memory minerPay, uint256[] memory validatorPay) = _pay(r);
        emit EpochFinalized(epoch, emitted, stakes, r.consensus, r.incentive, r.dividends, minerPay, validatorPay);
        epoch += 1;
        epochStart = uint64(block.timestamp);
        epochMiners = uint32(_miners.length);
    }

    function _pay(Yuma.Result memory r)
        private
        returns (uint256 emitted, uint256[] memory minerPay, uint256[] memory validatorPay)
    {
        uint256 budget = emissionPerEpoch < emissionPool ? emissionPerEpoch : emissionPool;
        // each share in one division (budget * share * fraction / WAD^2): at most `budget` in all
        minerPay = new uint256[](r.incentive.length);
        validatorPay = new uint256[](r.dividends.length);
        for (uint256 j; j < minerPay.length; ++j) {
            minerPay[j] = (budget * (WAD - xi) * r.incentive[j]) / (WAD * WAD);
            emitted += minerPay[j];
            _credit(_miners[j].account, minerPay[j]);
        }
        for (uint256 i; i < validatorPay.length; ++i) {
            validatorPay[i] = (budget * xi * r.dividends[i]) / (WAD * WAD);
            emitted += validatorPay[i];
            _credit(_validators[i].account, validatorPay[i]);
        }
        emissionPool -= emitted;
    }

    function _credit(address account, uint256 amount) private {
        if (amount == 0) return;
        owed[account] += amount;
        totalOwed += amount;
    }

    /// @notice Pay the data contributors of a finalized epoch: `contributionIds` (strictly
    /// increasing) are the DatasetPool contributions whose records the round used; each must be
    /// accepted in this subnet's dataset. Their payees share the epoch's data reward per record.
    function rewardData(uint64 epoch_, uint256[] calldata contributionIds) external nonReentrant {
        if (msg.sender != sponsor) revert NotSponsor(msg.sender);
        if (address(datasetPool) == address(0) || contributionIds.length == 0) revert InvalidParameters();
        if (epoch_ == 0 || epoch_ >= epoch) revert EpochNotFinalized(epoch_);
        if (dataRewarded[epoch_]) revert DataAlreadyRewarded(epoch_);
        dataRewarded[epoch_] = true;
        uint256 budget = dataRewardPerEpoch < emissionPool ? dataRewardPerEpoch : emissionPool;
        uint256 perRecord = budget / contributionIds.length;
        uint256 paid = 0;
        for (uint256 k = 0; k < contributionIds.length; ++k) {
            if (k > 0 && contributionIds[k] <= contributionIds[k - 1]) {
                revert DuplicateContribution(contributionIds[k]);
            }
            IContributionPool.Contribution memory c = datasetPool.contribution(contributionIds[k]);
            if (c.status != ACCEPTED || c.datasetId != datasetId) revert NotUsableContribution(contributionIds[k]);
            _credit(c.payee, perRecord);
            paid += perRecord;
        }
        emissionPool -= paid;
        emit DataRewarded(epoch_, contributionIds.length, perRecord);
    }

    // -- funds -----------------------------------------------------------------------------------

    /// @notice Add AIUSD to the emission pool (pulled with transferFrom; approve first).
    function fundPool(uint256 amount) external nonReentrant {
        emissionPool += amount;
        emit PoolFunded(msg.sender, amount);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice The sponsor takes back emission not yet credited to anyone.
    function withdrawPool(uint256 amount) external nonReentrant {
        if (msg.sender != sponsor) revert NotSponsor(msg.sender);
        if (amount > emissionPool) revert InsufficientPool(emissionPool, amount);
        emissionPool -= amount;
        emit PoolWithdrawn(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    /// @notice Pay the caller everything credited to it.
    function claim() external nonReentrant {
        uint256 amount = owed[msg.sender];
        if (amount == 0) revert NothingToClaim(msg.sender);
        owed[msg.sender] = 0;
        totalOwed -= amount;
        emit Claimed(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    // -- views -----------------------------------------------------------------------------------

    /// @notice Number of miners and validators ever registered (uids are their indexes).
    function counts() external view returns (uint256 miners, uint256 validators) {
        return (_miners.length, _validators.length);
    }

    /// @notice A miner by uid.
    function miner(uint256 uid) external view returns (Neuron memory) {
        return _miners[uid];
    }

    /// @notice A validator by uid.
    function validator(uint256 uid) external view returns (Neuron memory) {
        return _validators[uid];
    }

    /// @notice A validator's EMA bonds over the miners scored this epoch (WAD).
    function bondsOf(uint256 validatorUid) external view returns (uint256[] memory out) {
        out = new uint256[](epochMiners);
        for (uint256 j; j < out.length; ++j) out[j] = _bonds[validatorUid][j];
    }

    /// @notice The current epoch's phase boundaries: commit until `revealOpens`, reveal until `endsAt`.
    function phase() external view returns (uint64 current, uint256 revealOpens, uint256 endsAt) {
        revealOpens = uint256(epochStart) + commitPeriod;
        return (epoch, revealOpens, revealOpens + revealPeriod);
    }

    function _neuron(address account) private view returns (Neuron storage) {
        Role role = roleOf[account];
        if (role == Role.None) revert NotRegistered(account);
        return role == Role.Miner ? _miners[uidOf[account]] : _validators[uidOf[account]];
    }

    function _activeValidator(address account) private view returns (uint256 uid) {
        if (roleOf[account] != Role.Validator) revert NotValidator(account);
        uid = uidOf[account];
        if (_left(_validators[uid])) revert Exited(account);
    }

    /// @dev True once the neuron's last epoch has been finalized.
    function _left(Neuron storage n) private view returns (bool) {
        return n.exitEpoch != 0 && n.exitEpoch < epoch;
    }
}
