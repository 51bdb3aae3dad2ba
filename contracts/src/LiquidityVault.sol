// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// @notice The parts of a Uniswap v3 pool the vault uses.
interface IV3Pool {
    function token0() external view returns (address);
    function token1() external view returns (address);
    function tickSpacing() external view returns (int24);
    function slot0()
        external
        view
        returns (uint160 sqrtPriceX96, int24 tick, uint16, uint16, uint16, uint8, bool);
    function observe(uint32[] calldata secondsAgos)
        external
        view
        returns (int56[] memory tickCumulatives, uint160[] memory secondsPerLiquidityCumulativeX128s);
    function positions(bytes32 key)
        external
        view
        returns (uint128 liquidity, uint256, uint256, uint128 tokensOwed0, uint128 tokensOwed1);
    function mint(address recipient, int24 tickLower, int24 tickUpper, uint128 amount, bytes calldata data)
        external
        returns (uint256 amount0, uint256 amount1);
    function burn(int24 tickLower, int24 tickUpper, uint128 amount) external returns (uint256, uint256);
    function collect(
        address recipient,
        int24 tickLower,
        int24 tickUpper,
        uint128 amount0Requested,
        uint128 amount1Requested
    ) external returns (uint128 amount0, uint128 amount1);
}

/// @notice ModelRegistry's check: reverts unless the proof verifies for the model.
interface IStrategyVerifier {
    function verifyInference(bytes32 modelId, bytes calldata proof, uint256[] calldata instances)
        external
        returns (bytes32 outputsHash);
}

/// @title V3Math — the Uniswap v3 tick and liquidity math the vault needs, for solc 0.8
/// @notice getSqrtRatioAtTick follows v3-core's TickMath bit for bit; the liquidity helpers
/// follow the periphery's LiquidityAmounts with OpenZeppelin's full-precision mulDiv.
library V3Math {
    int24 internal constant MIN_TICK = -887272;
    int24 internal constant MAX_TICK = 887272;
    uint256 internal constant Q96 = 1 << 96;

    error TickOutOfRange(int24 tick);

    function sqrtRatioAtTick(int24 tick) internal pure returns (uint160) {
        if (tick < MIN_TICK || tick > MAX_TICK) revert TickOutOfRange(tick);
        uint256 absTick = tick < 0 ? uint256(-int256(tick)) : uint256(int256(tick));
        unchecked {
            uint256 ratio =
                absTick & 0x1 != 0 ? 0xfffcb933bd6fad37aa2d162d1a594001 : 0x100000000000000000000000000000000;
            if (absTick & 0x2 != 0) ratio = (ratio * 0xfff97272373d413259a46990580e213a) >> 128;
            if (absTick & 0x4 != 0) ratio = (ratio * 0xfff2e50f5f656932ef12357cf3c7fdcc) >> 128;
            if (absTick & 0x8 != 0) ratio = (ratio * 0xffe5caca7e10e4e61c3624eaa0941cd0) >> 128;
            if (absTick & 0x10 != 0) ratio = (ratio * 0xffcb9843d60f6159c9db58835c926644) >> 128;
            if (absTick & 0x20 != 0) ratio = (ratio * 0xff973b41fa98c081472e6896dfb254c0) >> 128;
            if (absTick & 0x40 != 0) ratio = (ratio * 0xff2ea16466c96a3843ec78b326b52861) >> 128;
            if (absTick & 0x80 != 0) ratio = (ratio * 0xfe5dee046a99a2a811c461f1969c3053) >> 128;
            if (absTick & 0x100 != 0) ratio = (ratio * 0xfcbe86c7900a88aedcffc83b479aa3a4) >> 128;
            if (absTick & 0x200 != 0) ratio = (ratio * 0xf987a7253ac413176f2b074cf7815e54) >> 128;
            if (absTick & 0x400 != 0) ratio = (ratio * 0xf3392b0822b70005940c7a398e4b70f3) >> 128;
            if (absTick & 0x800 != 0) ratio = (ratio * 0xe7159475a2c29b7443b29c7fa6e889d9) >> 128;
            if (absTick & 0x1000 != 0) ratio = (ratio * 0xd097f3bdfd2022b8845ad8f792aa5825) >> 128;
            if (absTick & 0x2000 != 0) ratio = (ratio * 0xa9f746462d870fdf8a65dc1f90e061e5) >> 128;
            if (absTick & 0x4000 != 0) ratio = (ratio * 0x70d869a156d2a1b890bb3df62baf32f7) >> 128;
            if (absTick & 0x8000 != 0) ratio = (ratio * 0x31be135f97d08fd981231505542fcfa6) >> 128;
            if (absTick & 0x10000 != 0) ratio = (ratio * 0x9aa508b5b7a84e1c677de54f3e99bc9) >> 128;
            if (absTick & 0x20000 != 0) ratio = (ratio * 0x5d6af8dedb81196699c329225ee604) >> 128;
            if (absTick & 0x40000 != 0) ratio = (ratio * 0x2216e584f5fa1ea926041bedfe98) >> 128;
            if (absTick & 0x80000 != 0) ratio = (ratio * 0x48a170391f7dc42444e8fa2) >> 128;
            // v3-core's TickMath bit for bit: inverting a Q128 ratio (Slither divide-before-multiply).
            // slither-disable-next-line divide-before-multiply
            if (tick > 0) ratio = type(uint256).max / ratio;
            return uint160((ratio >> 32) + (ratio % (1 << 32) == 0 ? 0 : 1));
        }
    }

    function liquidityForAmounts(uint160 sqrtP, uint160 sqrtA, uint160 sqrtB, uint256 amount0, uint256 amount1)
        internal
        pure
        returns (uint128)
    {
        uint256 liquidity;
        if (sqrtP <= sqrtA) {
            liquidity = _forAmount0(sqrtA, sqrtB, amount0);
        } else if (sqrtP < sqrtB) {
            liquidity = Math.min(_forAmount0(sqrtP, sqrtB, amount0), _forAmount1(sqrtA, sqrtP, amount1));
        } else {
            liquidity = _forAmount1(sqrtA, sqrtB, amount1);
        }
        return liquidity > type(uint128).max ? type(uint128).max : uint128(liquidity);
    }

    function amountsForLiquidity(uint160 sqrtP, uint160 sqrtA, uint160 sqrtB, uint128 liquidity)
        internal
        pure
        returns (uint256 amount0, uint256 amount1)
    {
        if (sqrtP <= sqrtA) {
            amount0 = _amount0(sqrtA, sqrtB, liquidity);
        } else if (sqrtP < sqrtB) {
            amount0 = _amount0(sqrtP, sqrtB, liquidity);
            amount1 = Math.mulDiv(liquidity, sqrtP - sqrtA, Q96);
        } else {
            amount1 = Math.mulDiv(liquidity, sqrtB - sqrtA, Q96);
        }
    }

    function _forAmount0(uint160 a, uint160 b, uint256 amount0) private pure returns (uint256) {
        return Math.mulDiv(amount0, Math.mulDiv(a, b, Q96), b - a);
    }

    function _forAmount1(uint160 a, uint160 b, uint256 amount1) private pure returns (uint256) {
        return Math.mulDiv(amount1, Q96, b - a);
    }

    function _amount0(uint160 a, uint160 b, uint128 liquidity) private pure returns (uint256) {
        return Math.mulDiv(uint256(liquidity) << 96, b - a, b) / a;
    }
}

/// @title LiquidityVault — a share vault holding a Uniswap v3 base position and a limit order
/// @notice Depositors get shares pro rata to the vault's holdings (ERC-4626 style for a token
/// pair; deposits wait idle until the next rebalance) and withdraw their share of both positions,
/// the fees they earned and the idle tokens at any time. A rebalance pulls everything out of the
/// pool and puts it back: a base range, then the leftover token as a one-sided limit order
/// (Charm Alpha Vault's structure). Every rebalance must pass the TWAP deviation guard.
///
/// Proven mode (modelId != 0): the base range comes only from a proof, verified through the
/// ModelRegistry, that the vault's registered strategy model produced it from features the vault
/// recomputes from the pool itself (current tick and observe() TWAPs, committed as the proof's
/// public inputs); anyone may submit one. Unproven mode (modelId == 0, the baselines): the keeper
/// names the base range.
contract LiquidityVault is ERC20, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice Strategy inputs the proof must carry, in this order: tick - twap, twap - twap of
    /// two windows before, |twap steps| summed over three windows, tick - centre of the base range
    /// (TWAPs over the last three whole windows of twapWindow seconds).
    uint256 public constant FEATURES = 4;
    /// @notice Shares the first deposit locks at a dead address (Uniswap v2's minimum liquidity).
    /// Without them, whoever deposits first into an empty vault could donate tokens to it to
    /// inflate the share price until a later deposit's shares round down to a fraction of its
    /// value; with them, such a donation goes almost entirely to the locked shares.
    uint256 public constant MIN_SHARES = 1000;
    address public constant DEAD_SHARES = address(0xdEaD);
    /// @notice The BN254 scalar field: negative instances are p - |x|.
    uint256 internal constant FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617;

    IV3Pool public immutable pool;
    IERC20 public immutable token0;
    IERC20 public immutable token1;
    int24 public immutable tickSpacing;
    IStrategyVerifier public immutable registry;
    bytes32 public immutable modelId;
    address public immutable keeper;
    uint32 public immutable twapWindow;
    int24 public immutable maxTwapDeviation;
    int24 public immutable limitWidth;
    int24 public immutable maxHalfWidth;
    uint8 public immutable outputScale;
    /// @notice Feature x is committed as x * 2**inputShift (the model sees x / 128 at ezkl's
    /// input scale 7 + inputShift).
    uint8 public immutable inputShift;

    int24 public baseLower;
    int24 public baseUpper;
    int24 public limitLower;
    int24 public limitUpper;
    uint256 public rebalances;

    event Deposit(address indexed sender, address indexed to, uint256 shares, uint256 amount0, uint256 amount1);
    event Withdraw(address indexed sender, address indexed to, uint256 shares, uint256 amount0, uint256 amount1);
    event Rebalance(int24 tick, int24 baseLower, int24 baseUpper, int24 limitLower, int24 limitUpper, bool proven);

    error NotKeeper(address caller);
    error NotPool(address caller);
    error ZeroShares();
    error FirstDepositTooSmall(uint256 shares, uint256 minimum);
    error Slippage(uint256 amount0, uint256 amount1);
    error BadRange(int24 lower, int24 upper);
    error PriceDeviates(int24 tick, int24 twap);
    error ProofRequired();
    error UnprovenOnly();
    error WrongInstanceCount(uint256 given, uint256 expected);
    error StaleInput(uint256 index, uint256 expected, uint256 given);
    error ZeroAddress();

    constructor(
        IV3Pool pool_,
        IStrategyVerifier registry_,
        bytes32 modelId_,
        address keeper_,
        uint32 twapWindow_,
        int24 maxTwapDeviation_,
        int24 limitWidth_,
        int24 maxHalfWidth_,
        uint8 outputScale_,
        uint8 inputShift_
    ) ERC20("aiweb3 LP vault share", "aiLP") {
        if (address(pool_) == address(0) || keeper_ == address(0)) revert ZeroAddress();
        if (modelId_ != bytes32(0) && address(registry_) == address(0)) revert ZeroAddress();
        pool = pool_;
        token0 = IERC20(pool_.token0());
        token1 = IERC20(pool_.token1());
        tickSpacing = pool_.tickSpacing();
        registry = registry_;
        modelId = modelId_;
        keeper = keeper_;
        twapWindow = twapWindow_ == 0 ? 1 : twapWindow_;
        maxTwapDeviation = maxTwapDeviation_;
        limitWidth = limitWidth_;
        maxHalfWidth = maxHalfWidth_;
        outputScale = outputScale_;
        inputShift = inputShift_;
    }

    // ------------------------------------------------------------------ shares

    /// @notice Deposit up to the desired amounts in the ratio of the vault's holdings.
    function deposit(uint256 amount0Desired, uint256 amount1Desired, uint256 amount0Min, uint256 amount1Min, address to)
        external
        nonReentrant
        returns (uint256 shares, uint256 amount0, uint256 amount1)
    {
        if (to == address(0)) revert ZeroAddress();
        _poke(baseLower, baseUpper);
        _poke(limitLower, limitUpper);
        (shares, amount0, amount1) = _sharesFor(amount0Desired, amount1Desired);
        // Refusing a deposit worth no shares is the intent (Slither incorrect-equality).
        // slither-disable-next-line incorrect-equality
        if (shares == 0) revert ZeroShares();
        // The locked shares stay forever, so the supply is zero only before the first deposit
        // (Slither incorrect-equality).
        // slither-disable-next-line incorrect-equality
        if (totalSupply() == 0) {
            if (shares <= MIN_SHARES) revert FirstDepositTooSmall(shares, MIN_SHARES + 1);
            shares -= MIN_SHARES;
            _mint(DEAD_SHARES, MIN_SHARES);
        }
        if (amount0 < amount0Min || amount1 < amount1Min) revert Slippage(amount0, amount1);
        if (amount0 > 0) token0.safeTransferFrom(msg.sender, address(this), amount0);
        if (amount1 > 0) token1.safeTransferFrom(msg.sender, address(this), amount1);
        _mint(to, shares);
        emit Deposit(msg.sender, to, shares, amount0, amount1);
    }

    /// @notice Burn shares for their part of the idle tokens, both positions and their fees.
    function withdraw(uint256 shares, uint256 amount0Min, uint256 amount1Min, address to)
        external
        nonReentrant
        returns (uint256 amount0, uint256 amount1)
    {
        if (shares == 0) revert ZeroShares();
        if (to == address(0)) revert ZeroAddress();
        uint256 supply = totalSupply();
        _burn(msg.sender, shares);
        // the share of what was idle, read before the burned principal and fees arrive
        amount0 = token0.balanceOf(address(this)) * shares / supply;
        amount1 = token1.balanceOf(address(this)) * shares / supply;
        (uint256 b0, uint256 b1) = _burnShare(baseLower, baseUpper, shares, supply);
        (uint256 l0, uint256 l1) = _burnShare(limitLower, limitUpper, shares, supply);
        amount0 += b0 + l0;
        amount1 += b1 + l1;
        // The idle balances are read before the positions are collected on purpose: what the
        // collect brings in is shared out separately above; the pool is the vault's own and
        // every entry point is nonReentrant (Slither reentrancy-balance).
        // slither-disable-next-line reentrancy-balance
        if (amount0 < amount0Min || amount1 < amount1Min) revert Slippage(amount0, amount1);
        if (amount0 > 0) token0.safeTransfer(to, amount0);
        if (amount1 > 0) token1.safeTransfer(to, amount1);
        emit Withdraw(msg.sender, to, shares, amount0, amount1);
    }

    /// @notice Everything the vault holds: idle tokens, both positions and their recorded fees.
    function totalAmounts() public view returns (uint256 total0, uint256 total1) {
        // Only the price of slot0 is needed (Slither unused-return).
        // slither-disable-next-line unused-return
        (uint160 sqrtP,,,,,,) = pool.slot0();
        (uint256 b0, uint256 b1) = _positionAmounts(sqrtP, baseLower, baseUpper);
        (uint256 l0, uint256 l1) = _positionAmounts(sqrtP, limitLower, limitUpper);
        total0 = token0.balanceOf(address(this)) + b0 + l0;
        total1 = token1.balanceOf(address(this)) + b1 + l1;
    }

    // ------------------------------------------------------------------ rebalancing

    /// @notice The strategy features now, as the proof's public inputs must carry them.
    function features() public view returns (int256[FEATURES] memory x) {
        // Only the tick of slot0 is needed (Slither unused-return).
        // slither-disable-next-line unused-return
        (, int24 tick,,,,,) = pool.slot0();
        // windows end at the last multiple of twapWindow, so the inputs stay put while a keeper
        // proves (they change only with the tick, the base range or the next window)
        // Not randomness: aligns the TWAP windows to multiples of twapWindow (Slither weak-prng).
        // slither-disable-next-line weak-prng
        uint32 offset = uint32(block.timestamp % twapWindow);
        uint32[] memory agos = new uint32[](4);
        for (uint256 i = 0; i < 4; ++i) {
            agos[i] = offset + uint32(i) * twapWindow;
        }
        // Only the tick cumulatives are needed, not the liquidity ones (Slither unused-return).
        // slither-disable-next-line unused-return
        (int56[] memory cum,) = pool.observe(agos);
        int256 w = int256(uint256(twapWindow));
        int256 a1 = (int256(cum[0]) - cum[1]) / w;
        int256 a2 = (int256(cum[1]) - cum[2]) / w;
        int256 a3 = (int256(cum[2]) - cum[3]) / w;
        x[0] = int256(tick) - a1;
        x[1] = a1 - a3;
        x[2] = _abs(a1 - a2) + _abs(a2 - a3);
        x[3] = baseUpper > baseLower ? int256(tick) - (int256(baseLower) + baseUpper) / 2 : int256(0);
    }

    /// @notice The field encodings of ``features()`` (what the proof's leading instances must be).
    function featureInstances() public view returns (uint256[FEATURES] memory out) {
        int256[FEATURES] memory x = features();
        for (uint256 i = 0; i < FEATURES; ++i) {
            int256 v = x[i] * int256(uint256(1) << inputShift);
            out[i] = v >= 0 ? uint256(v) : FIELD - uint256(-v);
        }
    }

    /// @notice Proven mode: rebalance to the base range the registered strategy model chose, with
    /// its proof. The instances are the features (checked against the pool now) and the output.
    function rebalanceWithProof(bytes calldata proof, uint256[] calldata instances) external nonReentrant {
        if (modelId == bytes32(0)) revert UnprovenOnly();
        if (instances.length != FEATURES + 1) revert WrongInstanceCount(instances.length, FEATURES + 1);
        uint256[FEATURES] memory expected = featureInstances();
        for (uint256 i = 0; i < FEATURES; ++i) {
            if (instances[i] != expected[i]) revert StaleInput(i, expected[i], instances[i]);
        }
        // Only the tick of slot0 is needed (Slither unused-return).
        // slither-disable-next-line unused-return
        (, int24 tick,,,,,) = pool.slot0();
        int24 half = _halfWidth(instances[FEATURES]);
        int24 centre = _floor(tick);
        int24 lower = centre - half;
        int24 upper = centre + half;
        _checkRange(lower, upper);
        // The registry reverts unless the proof verifies (Slither unused-return).
        // slither-disable-next-line unused-return
        registry.verifyInference(modelId, proof, instances); // reverts unless the proof verifies
        // The registry and pool are immutable; this entry point is nonReentrant (Slither reentrancy-no-eth).
        // slither-disable-next-line reentrancy-no-eth
        _rebalance(tick, lower, upper, true);
    }

    /// @notice Unproven mode (baselines): the keeper names the base range.
    function rebalance(int24 lower, int24 upper) external nonReentrant {
        if (modelId != bytes32(0)) revert ProofRequired();
        if (msg.sender != keeper) revert NotKeeper(msg.sender);
        _checkRange(lower, upper);
        // Only the tick of slot0 is needed (Slither unused-return).
        // slither-disable-next-line unused-return
        (, int24 tick,,,,,) = pool.slot0();
        _rebalance(tick, lower, upper, false);
    }

    /// @notice Pays the pool what a mint owes (only the pool may call).
    function uniswapV3MintCallback(uint256 amount0, uint256 amount1, bytes calldata) external {
        if (msg.sender != address(pool)) revert NotPool(msg.sender);
        if (amount0 > 0) token0.safeTransfer(msg.sender, amount0);
        if (amount1 > 0) token1.safeTransfer(msg.sender, amount1);
    }

    // ------------------------------------------------------------------ internals

    function _rebalance(int24 tick, int24 lower, int24 upper, bool proven) internal {
        int24 twap = _twap();
        int24 deviation = tick > twap ? tick - twap : twap - tick;
        if (deviation > maxTwapDeviation) revert PriceDeviates(tick, twap);
        // Calls go only to the vault's immutable pool, whose one callback pays only the pool, and
        // every entry point reaching here is nonReentrant (Slither reentrancy-no-eth).
        // slither-disable-next-line reentrancy-no-eth
        _withdrawAll(baseLower, baseUpper);
        _withdrawAll(limitLower, limitUpper);
        rebalances += 1;
        // Only the price of slot0 is needed (Slither unused-return).
        // slither-disable-next-line unused-return
        (uint160 sqrtP,,,,,,) = pool.slot0();
        baseLower = lower;
        baseUpper = upper;
        _mintMax(sqrtP, lower, upper);
        (limitLower, limitUpper) = (0, 0);
        if (limitWidth > 0) {
            int24 floor = _floor(tick);
            int24 ceil = floor + tickSpacing;
            uint128 bid = _liquidityFor(sqrtP, floor - limitWidth, floor);
            uint128 ask = _liquidityFor(sqrtP, ceil, ceil + limitWidth);
            if (bid > ask && floor - limitWidth >= _minTick()) {
                (limitLower, limitUpper) = (floor - limitWidth, floor);
            } else if (ask > 0 && ceil + limitWidth <= _maxTick()) {
                (limitLower, limitUpper) = (ceil, ceil + limitWidth);
            }
            if (limitUpper > limitLower) _mintMax(sqrtP, limitLower, limitUpper);
        }
        emit Rebalance(tick, lower, upper, limitLower, limitUpper, proven);
    }

    function _mintMax(uint160 sqrtP, int24 lower, int24 upper) internal {
        uint128 liquidity = _liquidityFor(sqrtP, lower, upper);
        // The pool takes the mint's cost in the callback (Slither unused-return).
        // slither-disable-next-line unused-return
        if (liquidity > 0) pool.mint(address(this), lower, upper, liquidity, "");
    }

    function _liquidityFor(uint160 sqrtP, int24 lower, int24 upper) internal view returns (uint128) {
        if (lower < _minTick() || upper > _maxTick() || lower >= upper) return 0;
        return V3Math.liquidityForAmounts(
            sqrtP,
            V3Math.sqrtRatioAtTick(lower),
            V3Math.sqrtRatioAtTick(upper),
            token0.balanceOf(address(this)),
            token1.balanceOf(address(this))
        );
    }

    function _withdrawAll(int24 lower, int24 upper) internal {
        if (upper <= lower) return;
        // Only the position's liquidity is needed here (Slither unused-return).
        // slither-disable-next-line unused-return
        (uint128 liquidity,,,,) = pool.positions(_key(lower, upper));
        // Everything burned is collected just below (Slither unused-return).
        // slither-disable-next-line unused-return
        if (liquidity > 0) pool.burn(lower, upper, liquidity);
        // All is collected; balances are re-read before minting (Slither unused-return).
        // slither-disable-next-line unused-return
        pool.collect(address(this), lower, upper, type(uint128).max, type(uint128).max);
    }

    function _burnShare(int24 lower, int24 upper, uint256 shares, uint256 supply)
        internal
        returns (uint256 amount0, uint256 amount1)
    {
        if (upper <= lower) return (0, 0);
        // Only the position's liquidity is needed here (Slither unused-return).
        // slither-disable-next-line unused-return
        (uint128 liquidity,,,,) = pool.positions(_key(lower, upper));
        uint128 part = uint128(uint256(liquidity) * shares / supply);
        (uint256 burned0, uint256 burned1) = (0, 0);
        if (part > 0) {
            (burned0, burned1) = pool.burn(lower, upper, part);
        } else if (liquidity > 0) {
            // A zero burn only brings the position's fees up to date (Slither unused-return).
            // slither-disable-next-line unused-return
            pool.burn(lower, upper, 0); // bring the fees up to date
        }
        (uint128 got0, uint128 got1) =
            pool.collect(address(this), lower, upper, type(uint128).max, type(uint128).max);
        // the burned principal plus this share of the fees; the other fees stay in the vault
        amount0 = burned0 + (uint256(got0) - burned0) * shares / supply;
        amount1 = burned1 + (uint256(got1) - burned1) * shares / supply;
    }

    function _poke(int24 lower, int24 upper) internal {
        if (upper <= lower) return;
        // Only the position's liquidity is needed here (Slither unused-return).
        // slither-disable-next-line unused-return
        (uint128 liquidity,,,,) = pool.positions(_key(lower, upper));
        // A zero burn only brings the position's fees up to date (Slither unused-return).
        // slither-disable-next-line unused-return
        if (liquidity > 0) pool.burn(lower, upper, 0);
    }

    function _positionAmounts(uint160 sqrtP, int24 lower, int24 upper)
        internal
        view
        returns (uint256 amount0, uint256 amount1)
    {
        if (upper <= lower) return (0, 0);
        // Fee-growth snapshots are not needed (Slither unused-return).
        // slither-disable-next-line unused-return
        (uint128 liquidity,,, uint128 owed0, uint128 owed1) = pool.positions(_key(lower, upper));
        (amount0, amount1) = V3Math.amountsForLiquidity(
            sqrtP, V3Math.sqrtRatioAtTick(lower), V3Math.sqrtRatioAtTick(upper), liquidity
        );
        amount0 += owed0;
        amount1 += owed1;
    }

    function _sharesFor(uint256 d0, uint256 d1) internal view returns (uint256 shares, uint256 a0, uint256 a1) {
        uint256 supply = totalSupply();
        (uint256 t0, uint256 t1) = totalAmounts();
        // Zero checks pick the case (no shares yet, an empty side); every branch prices the
        // deposit at the vault's holdings (Slither incorrect-equality).
        // slither-disable-start incorrect-equality
        if (supply == 0) {
            return (Math.max(d0, d1), d0, d1);
        } else if (t0 == 0 && t1 == 0) {
            return (0, 0, 0);
        } else if (t0 == 0) {
            return (d1 * supply / t1, 0, d1);
        } else if (t1 == 0) {
            return (d0 * supply / t0, d0, 0);
        }
        uint256 cross = Math.min(d0 * t1, d1 * t0);
        if (cross == 0) return (0, 0, 0);
        // slither-disable-end incorrect-equality
        a0 = (cross - 1) / t1 + 1;
        a1 = (cross - 1) / t0 + 1;
        shares = cross * supply / t0 / t1;
    }

    function _halfWidth(uint256 output) internal view returns (int24) {
        // a negative output (p - |y|) or one below one tick spacing means the narrowest range
        if (output > FIELD / 2) return tickSpacing;
        uint256 rounded = (output + (uint256(1) << outputScale) / 2) >> outputScale;
        uint256 capped = Math.min(Math.max(rounded, 1), uint256(int256(maxHalfWidth)));
        return int24(int256(capped)) * tickSpacing;
    }

    function _checkRange(int24 lower, int24 upper) internal view {
        if (
            lower >= upper || lower < _minTick() || upper > _maxTick() || lower % tickSpacing != 0
                || upper % tickSpacing != 0
        ) revert BadRange(lower, upper);
    }

    function _twap() internal view returns (int24) {
        uint32[] memory agos = new uint32[](2);
        agos[1] = twapWindow;
        // Only the tick cumulatives are needed, not the liquidity ones (Slither unused-return).
        // slither-disable-next-line unused-return
        (int56[] memory cum,) = pool.observe(agos);
        return int24((int256(cum[0]) - cum[1]) / int256(uint256(twapWindow)));
    }

    function _floor(int24 tick) internal view returns (int24) {
        int24 compressed = tick / tickSpacing;
        if (tick < 0 && tick % tickSpacing != 0) compressed--;
        // Rounding down to a multiple of tickSpacing is the point (Slither divide-before-multiply).
        // slither-disable-next-line divide-before-multiply
        return compressed * tickSpacing;
    }

    function _minTick() internal view returns (int24) {
        return -_maxTick();
    }

    function _maxTick() internal view returns (int24) {
        return V3Math.MAX_TICK - V3Math.MAX_TICK % tickSpacing;
    }

    function _key(int24 lower, int24 upper) internal view returns (bytes32) {
        return keccak256(abi.encodePacked(address(this), lower, upper));
    }

    function _abs(int256 x) internal pure returns (int256) {
        return x < 0 ? -x : x;
    }
}
