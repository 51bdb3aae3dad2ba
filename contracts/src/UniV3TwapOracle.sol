// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IPriceOracle} from "./LendingMarket.sol";

/// @notice The parts of a Uniswap v3 pool the oracle reads.
interface IUniswapV3PoolOracle {
    function observe(uint32[] calldata secondsAgos)
        external
        view
        returns (int56[] memory tickCumulatives, uint160[] memory secondsPerLiquidityCumulativeX128s);
    function slot0()
        external
        view
        returns (
            uint160 sqrtPriceX96,
            int24 tick,
            uint16 observationIndex,
            uint16 observationCardinality,
            uint16 observationCardinalityNext,
            uint8 feeProtocol,
            bool unlocked
        );
    function token0() external view returns (address);
    function token1() external view returns (address);
}

/// @title UniV3TwapOracle — a lending price from a Uniswap v3 pool's own tick accumulator
/// @notice `price()` is the geometric time-weighted average over `window` seconds (the pool's
/// `observe`), `spotPrice()` the current tick's price; both in debt-token base units per
/// collateral base unit as a WAD. The pool must keep enough observations for the window
/// (`increaseObservationCardinalityNext`); `observe` reverts "OLD" otherwise.
/// @dev 1.0001^tick is computed by binary exponentiation in WAD fixed point (relative error
/// below 1e-15). Ticks beyond +-MAX_TICK are refused rather than overflowing.
contract UniV3TwapOracle is IPriceOracle {
    uint256 private constant WAD = 1e18;
    /// 1.0001 as a WAD.
    uint256 private constant BASE = 1.0001e18;
    /// @notice Largest |tick| priced (1.0001^400000 ~ 2.35e17 fits the arithmetic with room).
    int256 public constant MAX_TICK = 400_000;

    IUniswapV3PoolOracle public immutable pool;
    /// @notice True when the collateral is the pool's token0 (price = token1 per token0).
    bool public immutable collateralIsToken0;
    /// @notice Seconds the average covers.
    uint32 public immutable window;

    error TickOutOfRange(int256 tick);
    error NotPoolToken(address token);
    error ZeroWindow();

    constructor(IUniswapV3PoolOracle pool_, address collateral, uint32 window_) {
        if (window_ == 0) revert ZeroWindow();
        pool = pool_;
        if (collateral == pool_.token0()) collateralIsToken0 = true;
        else if (collateral != pool_.token1()) revert NotPoolToken(collateral);
        window = window_;
    }

    /// @notice The arithmetic mean tick over the window, rounded towards negative infinity.
    function twapTick() public view returns (int256 tick) {
        uint32[] memory ago = new uint32[](2);
        ago[0] = window;
        // Only the tick cumulatives are needed; the liquidity ones are dropped (Slither unused-return).
        // slither-disable-next-line unused-return
        (int56[] memory cumulatives,) = pool.observe(ago);
        int256 delta = int256(cumulatives[1]) - int256(cumulatives[0]);
        tick = delta / int256(uint256(window));
        if (delta < 0 && delta % int256(uint256(window)) != 0) tick -= 1;
    }

    /// @notice The pool's current tick.
    function spotTick() public view returns (int256) {
        // Only the tick of slot0 is needed (Slither unused-return).
        // slither-disable-next-line unused-return
        (, int24 tick,,,,,) = pool.slot0();
        return tick;
    }

    /// @inheritdoc IPriceOracle
    function price() external view returns (uint256) {
        return tickPrice(twapTick());
    }

    /// @inheritdoc IPriceOracle
    function spotPrice() external view returns (uint256) {
        return tickPrice(spotTick());
    }

    /// @notice The collateral's price at `tick` as a WAD (token1 per token0, inverted when the
    /// collateral is token1).
    function tickPrice(int256 tick) public view returns (uint256) {
        if (tick > MAX_TICK || tick < -MAX_TICK) revert TickOutOfRange(tick);
        int256 t = collateralIsToken0 ? tick : -tick;
        uint256 p = _pow(uint256(t < 0 ? -t : t));
        return t < 0 ? (WAD * WAD) / p : p;
    }

    function _pow(uint256 n) private pure returns (uint256 result) {
        result = WAD;
        uint256 base = BASE;
        // Fixed-point exponentiation by squaring: every product is rescaled to WAD on purpose
        // (relative error ~1e-18 per step, under 1e-15 in all).
        while (n > 0) {
            // slither-disable-next-line divide-before-multiply
            if (n & 1 == 1) result = (result * base) / WAD;
            n >>= 1;
            // slither-disable-next-line divide-before-multiply
            if (n > 0) base = (base * base) / WAD;
        }
    }
}
