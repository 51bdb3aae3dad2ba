// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @notice A price feed: debt-token units per collateral-token unit, as a WAD (1e18 = 1.0).
interface IPriceOracle {
    /// @notice The price the market lends against (a time-weighted average).
    function price() external view returns (uint256);
    /// @notice The latest price (the pool's current tick): leads `price` when the market moves.
    function spotPrice() external view returns (uint256);
}

/// @notice Per-user credit: how much the market may lower a user's collateral requirement.
interface ICreditLine {
    /// @notice Extra loan-to-value (WAD) the user's proven credit score earns, 0 when none.
    function creditBonus(address user) external view returns (uint256);
}

/// @title LendingMarket — a compact over-collateralised market with liquidations
/// @notice Lenders supply the debt token; borrowers lock the collateral token and borrow up to
/// `borrowFactor` of its value at the oracle's price. A position whose collateral value times
/// `liquidationThreshold` falls below its debt (health factor < 1) can be liquidated: a
/// liquidator repays up to half the debt and receives that much collateral plus a bonus. A
/// credit line (optional) raises both factors for users with a proven credit score, capped at
/// MAX_CREDIT_BONUS. No interest accrues (a deliberate simplification; see docs/defi-credit.md).
/// Anyone may repay debt or add collateral on a borrower's behalf (a protection contract does).
/// @dev Both tokens are standard ERC-20s (no fee on transfer); amounts are in base units and the
/// oracle's price converts collateral base units to debt base units.
contract LendingMarket is ReentrancyGuard {
    using SafeERC20 for IERC20;

    uint256 public constant WAD = 1e18;
    /// @notice A liquidation repays at most this share of the debt (all of it below DUST).
    uint256 public constant CLOSE_FACTOR = 0.5e18;
    /// @notice Debt below which a liquidation may repay it all.
    uint256 public constant DUST = 1e6;
    /// @notice The most a credit score can add to a user's factors.
    uint256 public constant MAX_CREDIT_BONUS = 0.1e18;

    IERC20 public immutable collateralToken;
    IERC20 public immutable debtToken;
    IPriceOracle public immutable oracle;
    ICreditLine public immutable creditLine; // address(0): no credit scores
    uint256 public immutable borrowFactor; // WAD: borrow up to this share of collateral value
    uint256 public immutable liquidationThreshold; // WAD: liquidatable when debt > value * this
    uint256 public immutable liquidationBonus; // WAD: extra collateral a liquidator receives

    mapping(address => uint256) public collateralOf;
    mapping(address => uint256) public debtOf;
    mapping(address => uint256) public suppliedOf;
    uint256 public totalCollateral;
    uint256 public totalDebt;
    uint256 public totalSupplied;
    /// @notice Debt tokens the market holds and may lend or pay out.
    uint256 public cash;

    event Supplied(address indexed lender, uint256 amount);
    event SupplyWithdrawn(address indexed lender, uint256 amount);
    event CollateralDeposited(address indexed borrower, address indexed by, uint256 amount);
    event CollateralWithdrawn(address indexed borrower, uint256 amount);
    event Borrowed(address indexed borrower, uint256 amount);
    event Repaid(address indexed borrower, address indexed by, uint256 amount);
    event Liquidated(address indexed borrower, address indexed liquidator, uint256 repaid, uint256 seized);

    error ZeroAmount();
    error ZeroAddress();
    error BadFactors();
    error InsufficientSupply(uint256 supplied, uint256 asked);
    error InsufficientCash(uint256 cash, uint256 asked);
    error InsufficientCollateral(uint256 collateral, uint256 asked);
    error Undercollateralised(uint256 debt, uint256 limit);
    error Healthy(uint256 healthFactor);
    error NoDebt(address borrower);
    error RepayTooLarge(uint256 repay, uint256 maxRepay);

    constructor(
        IERC20 collateral_,
        IERC20 debt_,
        IPriceOracle oracle_,
        ICreditLine creditLine_,
        uint256 borrowFactor_,
        uint256 liquidationThreshold_,
        uint256 liquidationBonus_
    ) {
        if (address(collateral_) == address(0) || address(debt_) == address(0) || address(oracle_) == address(0)) {
            revert ZeroAddress();
        }
        if (address(collateral_) == address(debt_)) revert BadFactors();
        // borrow < threshold, and threshold * (1 + bonus) < 1 so a liquidation always improves health.
        if (
            borrowFactor_ == 0 || borrowFactor_ > liquidationThreshold_
                || (liquidationThreshold_ + MAX_CREDIT_BONUS) * (WAD + liquidationBonus_) >= WAD * WAD
        ) revert BadFactors();
        collateralToken = collateral_;
        debtToken = debt_;
        oracle = oracle_;
        creditLine = creditLine_;
        borrowFactor = borrowFactor_;
        liquidationThreshold = liquidationThreshold_;
        liquidationBonus = liquidationBonus_;
    }

    // ---------------------------------------------------------------- lenders

    /// @notice Lend `amount` debt tokens to the market.
    function supply(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        suppliedOf[msg.sender] += amount;
        totalSupplied += amount;
        cash += amount;
        emit Supplied(msg.sender, amount);
        debtToken.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Take back `amount` of what you lent (while the market has that much cash).
    function withdrawSupply(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        uint256 supplied = suppliedOf[msg.sender];
        if (amount > supplied) revert InsufficientSupply(supplied, amount);
        if (amount > cash) revert InsufficientCash(cash, amount);
        suppliedOf[msg.sender] = supplied - amount;
        totalSupplied -= amount;
        cash -= amount;
        emit SupplyWithdrawn(msg.sender, amount);
        debtToken.safeTransfer(msg.sender, amount);
    }

    // ---------------------------------------------------------------- borrowers

    /// @notice Lock `amount` collateral for `borrower` (anyone may add collateral for anyone).
    function depositCollateral(address borrower, uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        if (borrower == address(0)) revert ZeroAddress();
        collateralOf[borrower] += amount;
        totalCollateral += amount;
        emit CollateralDeposited(borrower, msg.sender, amount);
        collateralToken.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Unlock `amount` of your collateral; what is left must still cover your debt.
    function withdrawCollateral(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        uint256 held = collateralOf[msg.sender];
        if (amount > held) revert InsufficientCollateral(held, amount);
        collateralOf[msg.sender] = held - amount;
        totalCollateral -= amount;
        _requireBorrowable(msg.sender);
        emit CollateralWithdrawn(msg.sender, amount);
        collateralToken.safeTransfer(msg.sender, amount);
    }

    /// @notice Borrow `amount` debt tokens against your collateral.
    function borrow(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        if (amount > cash) revert InsufficientCash(cash, amount);
        debtOf[msg.sender] += amount;
        totalDebt += amount;
        cash -= amount;
        _requireBorrowable(msg.sender);
        emit Borrowed(msg.sender, amount);
        debtToken.safeTransfer(msg.sender, amount);
    }

    /// @notice Repay up to `amount` of `borrower`'s debt from your tokens; returns what was repaid.
    function repay(address borrower, uint256 amount) external nonReentrant returns (uint256 repaid) {
        if (amount == 0) revert ZeroAmount();
        uint256 debt = debtOf[borrower];
        if (debt == 0) revert NoDebt(borrower);
        repaid = amount < debt ? amount : debt;
        debtOf[borrower] = debt - repaid;
        totalDebt -= repaid;
        cash += repaid;
        emit Repaid(borrower, msg.sender, repaid);
        debtToken.safeTransferFrom(msg.sender, address(this), repaid);
    }

    // ---------------------------------------------------------------- liquidations

    /// @notice Repay `repayAmount` of an unhealthy borrower's debt and receive its value in
    /// collateral plus the bonus. Returns the collateral seized.
    function liquidate(address borrower, uint256 repayAmount) external nonReentrant returns (uint256 seized) {
        if (repayAmount == 0) revert ZeroAmount();
        uint256 debt = debtOf[borrower];
        if (debt == 0) revert NoDebt(borrower);
        uint256 hf = healthFactor(borrower);
        if (hf >= WAD) revert Healthy(hf);
        uint256 maxRepay = debt <= DUST ? debt : (debt * CLOSE_FACTOR) / WAD;
        if (repayAmount > maxRepay) revert RepayTooLarge(repayAmount, maxRepay);
        uint256 price = oracle.price();
        uint256 held = collateralOf[borrower];
        if (held == 0) revert InsufficientCollateral(0, repayAmount);
        // collateral worth repayAmount * (1 + bonus), rounded down (in the borrower's favour)
        seized = (repayAmount * (WAD + liquidationBonus)) / price;
        if (seized > held) {
            // not enough collateral: take all of it for the debt it covers, rounded up
            seized = held;
            repayAmount = _ceilDiv(held * price, WAD + liquidationBonus);
            if (repayAmount > debt) repayAmount = debt;
        }
        debtOf[borrower] = debt - repayAmount;
        totalDebt -= repayAmount;
        cash += repayAmount;
        collateralOf[borrower] = held - seized;
        totalCollateral -= seized;
        emit Liquidated(borrower, msg.sender, repayAmount, seized);
        debtToken.safeTransferFrom(msg.sender, address(this), repayAmount);
        collateralToken.safeTransfer(msg.sender, seized);
    }

    // ---------------------------------------------------------------- views

    /// @notice The extra factor (WAD) `user`'s credit score earns (0 without a credit line).
    function creditBonus(address user) public view returns (uint256 bonus) {
        if (address(creditLine) == address(0)) return 0;
        bonus = creditLine.creditBonus(user);
        if (bonus > MAX_CREDIT_BONUS) bonus = MAX_CREDIT_BONUS;
    }

    /// @notice The most `user` may owe: collateral value times the borrow factor (plus credit).
    function borrowLimit(address user) public view returns (uint256) {
        return Math.mulDiv(collateralOf[user], oracle.price() * (borrowFactor + creditBonus(user)), WAD * WAD);
    }

    /// @notice Collateral value times the liquidation threshold over the debt, as a WAD
    /// (type(uint256).max without debt). Below 1e18 the position can be liquidated.
    function healthFactor(address user) public view returns (uint256) {
        uint256 debt = debtOf[user];
        if (debt == 0) return type(uint256).max;
        return Math.mulDiv(collateralOf[user], oracle.price() * (liquidationThreshold + creditBonus(user)), WAD * debt);
    }

    function _requireBorrowable(address user) private view {
        uint256 debt = debtOf[user];
        if (debt == 0) return;
        uint256 limit = borrowLimit(user);
        if (debt > limit) revert Undercollateralised(debt, limit);
    }

    function _ceilDiv(uint256 a, uint256 b) private pure returns (uint256) {
        return a == 0 ? 0 : (a - 1) / b + 1;
    }
}
