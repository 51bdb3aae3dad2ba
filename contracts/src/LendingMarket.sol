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
/// MAX_CREDIT_BONUS. Borrowers pay interest at a rate that rises with utilisation (debt over
/// cash plus debt); it accrues to lenders, who hold supply shares of cash plus debt (Compound's
/// cToken exchange rate), while each debt is a scaled balance times a growing borrow index
/// (Aave's scaled debt). Anyone may repay debt or add collateral on a borrower's behalf (a
/// protection contract does).
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

    /// @notice Fixed-point unit of the borrow index.
    uint256 public constant RAY = 1e27;
    uint256 public constant SECONDS_PER_YEAR = 365 days;
    /// @notice The highest borrow rate the parameters may give (at full utilisation), per year.
    uint256 public constant MAX_RATE = 10e18;

    uint256 public immutable baseRate; // WAD per year: the borrow rate at zero utilisation
    uint256 public immutable rateSlope; // WAD per year: added at full utilisation (linear)

    mapping(address => uint256) public collateralOf;
    /// @notice Debt in units of the borrow index: debt = scaled * borrowIndex / RAY.
    mapping(address => uint256) public scaledDebtOf;
    /// @notice Supply shares: a share of cash plus total debt.
    mapping(address => uint256) public supplySharesOf;
    uint256 public totalCollateral;
    uint256 public totalScaledDebt;
    uint256 public totalSupplyShares;
    /// @notice Debt tokens the market holds and may lend or pay out.
    uint256 public cash;
    /// @notice Grows with the borrow rate; starts at RAY.
    uint256 public borrowIndex = RAY;
    /// @notice When interest last accrued.
    uint256 public lastAccrual;

    event Supplied(address indexed lender, uint256 amount);
    event SupplyWithdrawn(address indexed lender, uint256 amount);
    event CollateralDeposited(address indexed borrower, address indexed by, uint256 amount);
    event CollateralWithdrawn(address indexed borrower, uint256 amount);
    event Borrowed(address indexed borrower, uint256 amount);
    event Repaid(address indexed borrower, address indexed by, uint256 amount);
    event Liquidated(address indexed borrower, address indexed liquidator, uint256 repaid, uint256 seized);
    event Accrued(uint256 borrowIndex, uint256 totalDebt);

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
        uint256 liquidationBonus_,
        uint256 baseRate_,
        uint256 rateSlope_
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
        if (baseRate_ + rateSlope_ > MAX_RATE) revert BadFactors();
        collateralToken = collateral_;
        debtToken = debt_;
        oracle = oracle_;
        creditLine = creditLine_;
        borrowFactor = borrowFactor_;
        liquidationThreshold = liquidationThreshold_;
        liquidationBonus = liquidationBonus_;
        baseRate = baseRate_;
        rateSlope = rateSlope_;
        lastAccrual = block.timestamp;
    }

    // ---------------------------------------------------------------- interest

    /// @notice Bring the borrow index up to now (every state-changing call does this first).
    function accrue() public {
        if (block.timestamp == lastAccrual) return;
        uint256 index = _currentIndex();
        lastAccrual = block.timestamp;
        if (index != borrowIndex) {
            borrowIndex = index;
            emit Accrued(index, totalDebt());
        }
    }

    /// @notice Borrowed over cash plus borrowed, as a WAD (0 with nothing supplied).
    function utilisation() public view returns (uint256) {
        uint256 debt = totalDebt();
        uint256 assets = cash + debt;
        return assets == 0 ? 0 : Math.mulDiv(debt, WAD, assets);
    }

    /// @notice The yearly borrow rate now, as a WAD: baseRate + rateSlope * utilisation.
    function borrowRate() public view returns (uint256) {
        return baseRate + Math.mulDiv(rateSlope, utilisation(), WAD);
    }

    /// @notice The yearly rate lenders earn now, as a WAD: the borrow rate times utilisation.
    function supplyRate() external view returns (uint256) {
        return Math.mulDiv(borrowRate(), utilisation(), WAD);
    }

    /// @notice What `user` owes now, interest included (rounded up).
    function debtOf(address user) public view returns (uint256) {
        return Math.mulDiv(scaledDebtOf[user], _currentIndex(), RAY, Math.Rounding.Ceil);
    }

    /// @notice Everything borrowers owe now (rounded down: what lenders may count on).
    function totalDebt() public view returns (uint256) {
        return Math.mulDiv(totalScaledDebt, _currentIndex(), RAY);
    }

    /// @notice What lenders own: cash plus total debt.
    function totalSupplied() public view returns (uint256) {
        return cash + totalDebt();
    }

    /// @notice `lender`'s part of cash plus debt now (rounded down).
    function suppliedOf(address lender) public view returns (uint256) {
        uint256 shares = totalSupplyShares;
        return shares == 0 ? 0 : Math.mulDiv(supplySharesOf[lender], totalSupplied(), shares);
    }

    function _currentIndex() internal view returns (uint256) {
        uint256 elapsed = block.timestamp - lastAccrual;
        uint256 index = borrowIndex;
        if (elapsed == 0 || totalScaledDebt == 0) return index;
        // the rate set by the utilisation at the last accrual, simple over the gap, compounded
        // across accruals (as Compound does)
        uint256 debt = Math.mulDiv(totalScaledDebt, index, RAY);
        uint256 rate = baseRate + Math.mulDiv(rateSlope, Math.mulDiv(debt, WAD, cash + debt), WAD);
        return index + Math.mulDiv(index, rate * elapsed, WAD * SECONDS_PER_YEAR);
    }

    // ---------------------------------------------------------------- lenders

    /// @notice Lend `amount` debt tokens to the market.
    function supply(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        accrue();
        uint256 shares = totalSupplyShares;
        uint256 assets = totalSupplied();
        // shares at the current exchange rate, rounded down (in the market's favour)
        uint256 minted = shares == 0 || assets == 0 ? amount : Math.mulDiv(amount, shares, assets);
        if (minted == 0) revert ZeroAmount();
        supplySharesOf[msg.sender] += minted;
        totalSupplyShares = shares + minted;
        cash += amount;
        emit Supplied(msg.sender, amount);
        debtToken.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Take back `amount` of what you lent (while the market has that much cash).
    function withdrawSupply(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        accrue();
        uint256 supplied = suppliedOf(msg.sender);
        if (amount > supplied) revert InsufficientSupply(supplied, amount);
        if (amount > cash) revert InsufficientCash(cash, amount);
        // shares burned rounded up (in the market's favour), never more than the lender holds
        uint256 burned = Math.mulDiv(amount, totalSupplyShares, totalSupplied(), Math.Rounding.Ceil);
        uint256 held = supplySharesOf[msg.sender];
        if (burned > held) burned = held;
        supplySharesOf[msg.sender] = held - burned;
        totalSupplyShares -= burned;
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
        accrue();
        if (amount > cash) revert InsufficientCash(cash, amount);
        // scaled up (rounded up): the borrower owes at least what they received
        uint256 scaled = Math.mulDiv(amount, RAY, borrowIndex, Math.Rounding.Ceil);
        scaledDebtOf[msg.sender] += scaled;
        totalScaledDebt += scaled;
        cash -= amount;
        _requireBorrowable(msg.sender);
        emit Borrowed(msg.sender, amount);
        debtToken.safeTransfer(msg.sender, amount);
    }

    /// @notice Repay up to `amount` of `borrower`'s debt from your tokens; returns what was repaid.
    function repay(address borrower, uint256 amount) external nonReentrant returns (uint256 repaid) {
        if (amount == 0) revert ZeroAmount();
        accrue();
        uint256 debt = debtOf(borrower);
        if (debt == 0) revert NoDebt(borrower);
        repaid = amount < debt ? amount : debt;
        _reduceDebt(borrower, repaid, debt);
        cash += repaid;
        emit Repaid(borrower, msg.sender, repaid);
        debtToken.safeTransferFrom(msg.sender, address(this), repaid);
    }

    // ---------------------------------------------------------------- liquidations

    /// @notice Repay `repayAmount` of an unhealthy borrower's debt and receive its value in
    /// collateral plus the bonus. Returns the collateral seized.
    function liquidate(address borrower, uint256 repayAmount) external nonReentrant returns (uint256 seized) {
        if (repayAmount == 0) revert ZeroAmount();
        accrue();
        uint256 debt = debtOf(borrower);
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
        _reduceDebt(borrower, repayAmount, debt);
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
        uint256 debt = debtOf(user);
        if (debt == 0) return type(uint256).max;
        return Math.mulDiv(collateralOf[user], oracle.price() * (liquidationThreshold + creditBonus(user)), WAD * debt);
    }

    /// Lower `borrower`'s scaled debt for `amount` of its `debt` repaid: all of it when repaid
    /// in full, else the scaled amount rounded down (the borrower is credited no more than paid).
    function _reduceDebt(address borrower, uint256 amount, uint256 debt) private {
        uint256 held = scaledDebtOf[borrower];
        uint256 scaled = amount >= debt ? held : Math.mulDiv(amount, RAY, borrowIndex);
        if (scaled > held) scaled = held;
        scaledDebtOf[borrower] = held - scaled;
        totalScaledDebt -= scaled;
    }

    function _requireBorrowable(address user) private view {
        uint256 debt = debtOf(user);
        if (debt == 0) return;
        uint256 limit = borrowLimit(user);
        if (debt > limit) revert Undercollateralised(debt, limit);
    }

    function _ceilDiv(uint256 a, uint256 b) private pure returns (uint256) {
        return a == 0 ? 0 : (a - 1) / b + 1;
    }
}
