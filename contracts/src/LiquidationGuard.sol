// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IPriceOracle, LendingMarket} from "./LendingMarket.sol";

/// @notice The ModelRegistry call the guard needs.
interface IInferenceVerifier {
    function verifyInference(bytes32 modelId, bytes calldata proof, uint256[] calldata instances)
        external
        returns (bytes32 outputsHash);
}

/// @title LiquidationGuard — a proven risk model deleverages a borrower before liquidation
/// @notice A borrower enrols with a budget and approves this contract to spend their debt tokens
/// (mode Repay) or collateral tokens (mode AddCollateral). A keeper (anyone) then calls `protect`
/// with a proof, verified through the ModelRegistry, that the guard's committed risk model
/// computed the action from two inputs the guard recomputes from chain state in the same call:
/// the borrower's health factor (capped at HF_CAP) and the oracle's spot-over-average move
/// (clipped to +-MAX_MOVE), within INPUT_TOLERANCE (the average moves with every block's
/// timestamp). The model's output is the share of debt to repay (or the collateral that improves
/// health as much). A proof of another model, of other inputs, or of inputs from an earlier state
/// is refused; each proof acts once; one action per borrower per block; the budget caps spending.
/// @dev Inputs and outputs are ezkl fixed-point field elements: value * 2^scale, negatives as
/// FIELD - |value|. The guard keeps no tokens between calls.
contract LiquidationGuard is ReentrancyGuard {
    using SafeERC20 for IERC20;

    enum Mode {
        None,
        Repay,
        AddCollateral
    }

    struct Plan {
        Mode mode;
        uint64 lastBlock;
        uint256 budget; // tokens (debt or collateral, by mode) the guard may still spend
    }

    uint256 public constant WAD = 1e18;
    uint256 public constant FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @notice Health factors above this enter the model as this.
    uint256 public constant HF_CAP = 4e18;
    /// @notice Spot-over-average moves beyond +-this enter the model clipped.
    uint256 public constant MAX_MOVE = 0.5e18;
    /// @notice Actions smaller than this share of the debt are refused (nothing to do).
    uint256 public constant MIN_ACTION = 0.01e18;
    /// @notice Public instances of a proof: two inputs, then one output.
    uint256 public constant INSTANCES = 3;
    /// @notice How far (WAD, absolute) a proven input may be from the chain's value when the
    /// guard acts. The average price moves with every block's timestamp, so a keeper cannot
    /// know the exact value of the block its transaction lands in; one per cent is many blocks.
    uint256 public constant INPUT_TOLERANCE = 0.01e18;

    LendingMarket public immutable market;
    IInferenceVerifier public immutable registry;
    bytes32 public immutable modelId;
    uint8 public immutable inputScale;
    uint8 public immutable outputScale;

    mapping(address => Plan) public plans;
    /// @notice Proofs already acted on (keccak256 of the proof bytes): each acts once.
    mapping(bytes32 => bool) public usedProofs;

    event Enrolled(address indexed borrower, Mode mode, uint256 budget);
    event Protected(
        address indexed borrower, address indexed keeper, uint256 healthFactor, int256 move, uint256 share, uint256 amount
    );

    error NotEnrolled(address borrower);
    error BadMode();
    error AlreadyActedThisBlock(address borrower);
    error WrongInstanceCount(uint256 given);
    error StaleInput(uint256 index, uint256 expected, uint256 given);
    error NothingToDo(uint256 share);
    error BudgetExhausted(uint256 budget);
    error NoDebt(address borrower);
    error BadScale();
    error ProofAlreadyUsed(bytes32 proofHash);

    constructor(LendingMarket market_, IInferenceVerifier registry_, bytes32 modelId_, uint8 inputScale_, uint8 outputScale_) {
        if (inputScale_ > 24 || outputScale_ > 24) revert BadScale();
        market = market_;
        registry = registry_;
        modelId = modelId_;
        inputScale = inputScale_;
        outputScale = outputScale_;
    }

    /// @notice Authorise the guard for your position (mode Repay or AddCollateral) with a budget;
    /// approve the matching token to this contract. Enrolling again replaces the plan.
    function enroll(Mode mode, uint256 budget) external {
        if (mode == Mode.None) revert BadMode();
        plans[msg.sender] = Plan(mode, 0, budget);
        emit Enrolled(msg.sender, mode, budget);
    }

    /// @notice Withdraw your authorisation.
    function leave() external {
        delete plans[msg.sender];
        emit Enrolled(msg.sender, Mode.None, 0);
    }

    /// @notice The model's inputs for `borrower` now, as ezkl field elements (what a proof must carry).
    function currentInputs(address borrower) public view returns (uint256 hfInput, uint256 moveInput) {
        (uint256 hf, int256 move) = features(borrower);
        hfInput = _quantize(int256(hf), inputScale);
        moveInput = _quantize(move, inputScale);
    }

    /// @notice The two features as WADs: health factor (capped) and spot / average - 1 (clipped).
    function features(address borrower) public view returns (uint256 hf, int256 move) {
        hf = market.healthFactor(borrower);
        if (hf > HF_CAP) hf = HF_CAP;
        IPriceOracle oracle = market.oracle();
        int256 m = int256((oracle.spotPrice() * WAD) / oracle.price()) - int256(WAD);
        int256 cap = int256(MAX_MOVE);
        move = m > cap ? cap : (m < -cap ? -cap : m);
    }

    /// @notice Act on a proven decision of the guard's model for `borrower`; returns the tokens
    /// spent (debt repaid, or collateral added).
    function protect(address borrower, bytes calldata proof, uint256[] calldata instances)
        external
        nonReentrant
        returns (uint256 amount)
    {
        Plan memory plan = plans[borrower];
        if (plan.mode == Mode.None) revert NotEnrolled(borrower);
        // One action per block: an exact block-number match is the intent (Slither incorrect-equality).
        // slither-disable-next-line incorrect-equality
        if (plan.lastBlock == block.number) revert AlreadyActedThisBlock(borrower);
        bytes32 proofHash = keccak256(proof);
        if (usedProofs[proofHash]) revert ProofAlreadyUsed(proofHash);
        (uint256 hf, int256 move) = _checkInputs(borrower, instances);
        uint256 share = _share(instances[2]);
        if (share < MIN_ACTION) revert NothingToDo(share);
        amount = _amount(borrower, plan, share);
        plans[borrower].budget = plan.budget - amount;
        plans[borrower].lastBlock = uint64(block.number);
        usedProofs[proofHash] = true;
        emit Protected(borrower, msg.sender, hf, move, share, amount);
        // The registry reverts on a proof that does not verify for the guard's model.
        // slither-disable-next-line unused-return
        registry.verifyInference(modelId, proof, instances);
        _execute(plan.mode, borrower, amount);
    }

    /// The proof's input instances must be the features of `borrower` now, within the tolerance.
    function _checkInputs(address borrower, uint256[] calldata instances)
        private
        view
        returns (uint256 hf, int256 move)
    {
        if (instances.length != INSTANCES) revert WrongInstanceCount(instances.length);
        (hf, move) = features(borrower);
        _requireNear(0, instances[0], int256(hf));
        _requireNear(1, instances[1], move);
    }

    function _requireNear(uint256 index, uint256 felt, int256 actual) private view {
        uint256 expected = _quantize(actual, inputScale);
        int256 given = felt > FIELD / 2 ? -int256(FIELD - felt) : int256(felt);
        int256 want = expected > FIELD / 2 ? -int256(FIELD - expected) : int256(expected);
        int256 gap = given > want ? given - want : want - given;
        if (uint256(gap) > (INPUT_TOLERANCE << inputScale) / WAD) revert StaleInput(index, expected, felt);
    }

    /// Tokens to spend for `share`, capped by the budget.
    function _amount(address borrower, Plan memory plan, uint256 share) private view returns (uint256 amount) {
        uint256 debt = market.debtOf(borrower);
        if (debt == 0) revert NoDebt(borrower);
        if (plan.mode == Mode.Repay) {
            amount = (debt * share) / WAD;
        } else {
            // collateral c with (C + c) / C = 1 / (1 - share): the same health as repaying `share`
            uint256 held = market.collateralOf(borrower);
            amount = share >= WAD ? plan.budget : (held * share) / (WAD - share);
        }
        if (amount > plan.budget) amount = plan.budget;
        if (amount == 0) revert BudgetExhausted(plan.budget);
    }

    /// Pull the tokens from the borrower and put them into the market for them.
    function _execute(Mode mode, address borrower, uint256 amount) private {
        IERC20 token = mode == Mode.Repay ? market.debtToken() : market.collateralToken();
        // `borrower` enrolled (plans[borrower].mode != None) and approved this contract for this
        // token; the amount is the proven share, capped by the budget they set. The tokens go
        // straight into the market for the borrower (Slither arbitrary-send-erc20).
        // slither-disable-next-line arbitrary-send-erc20
        token.safeTransferFrom(borrower, address(this), amount);
        token.forceApprove(address(market), amount);
        if (mode == Mode.Repay) {
            uint256 repaid = market.repay(borrower, amount);
            if (repaid < amount) token.safeTransfer(borrower, amount - repaid);
        } else {
            market.depositCollateral(borrower, amount);
        }
    }

    /// The output instance as a share of the debt (WAD), clipped to [0, 1].
    function _share(uint256 felt) private view returns (uint256) {
        if (felt > FIELD / 2) return 0; // negative: do nothing
        uint256 share = (felt * WAD) >> outputScale;
        return share > WAD ? WAD : share;
    }

    /// value (WAD) -> round(value * 2^scale) as a field element, half away from zero.
    function _quantize(int256 value, uint8 scale) private pure returns (uint256) {
        uint256 mag = uint256(value < 0 ? -value : value);
        uint256 q = ((mag << scale) + WAD / 2) / WAD;
        if (value < 0 && q != 0) return FIELD - q;
        return q;
    }
}
