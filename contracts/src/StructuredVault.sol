// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IStrategyVerifier, IV3Pool, V3Math} from "./LiquidityVault.sol";
import {LendingMarket} from "./LendingMarket.sol";

/// @notice The pool's swap (the vault trades only to reach its allocation, within a price limit).
interface IV3Swap {
    function swap(
        address recipient,
        bool zeroForOne,
        int256 amountSpecified,
        uint160 sqrtPriceLimitX96,
        bytes calldata data
    ) external returns (int256 amount0, int256 amount1);
}

/// @title StructuredVault — a share vault that splits its assets between lending and liquidity
/// @notice Each epoch the vault unwinds everything and splits it again: `allocation` of its value
/// goes to a Uniswap v3 position (half in each token, centred on the current tick), the rest is
/// supplied to the LendingMarket, whose borrowers pay interest. Depositors get shares pro rata to
/// the vault's holdings (both tokens, ERC-4626 style for a pair; deposits wait idle until the
/// next epoch) and withdraw their share of everything at any time (the lent part needs the
/// market's cash).
///
/// Proven mode (modelId != 0): the allocation comes only from a proof, verified through the
/// ModelRegistry, that the vault's registered model produced it from inputs the vault recomputes
/// from chain state (the pool's TWAP volatility, the market's utilisation and supply rate).
/// Unproven mode (modelId == 0, the baselines): the keeper names the allocation.
contract StructuredVault is ERC20, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice Model inputs the proof must carry, in this order: the summed size of the pool's
    /// TWAP steps over three windows (ticks), the market's utilisation and its supply rate (basis
    /// points). TWAP windows end at the last multiple of twapWindow, as in LiquidityVault.
    uint256 public constant FEATURES = 3;
    /// @notice How far (in feature units) a proof's input may be from the chain's: interest
    /// accrues every second, so the market's figures move while a keeper proves.
    int256 public constant INPUT_TOLERANCE = 2;
    uint256 public constant BPS = 10_000;
    uint256 public constant WAD = 1e18;
    /// @notice Shares the first deposit locks at a dead address (see LiquidityVault.MIN_SHARES).
    uint256 public constant MIN_SHARES = 1000;
    address public constant DEAD_SHARES = address(0xdEaD);
    /// @notice Below this many base units the vault does not supply to the market.
    uint256 public constant DUST = 1e6;
    uint256 internal constant FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @notice Deployment parameters.
    struct Config {
        IV3Pool pool;
        LendingMarket market;
        IStrategyVerifier registry;
        bytes32 modelId;
        address keeper;
        uint32 twapWindow; // seconds per TWAP window
        uint32 epochLength; // seconds between allocations
        int24 maxTwapDeviation; // ticks the spot may be from the TWAP when allocating
        int24 lpHalfWidth; // ticks either side of the current tick; 0: full range
        int24 maxSlippage; // ticks a rebalancing swap may move the price
        uint8 outputScale; // the output instance is allocation * 2**outputScale
        uint8 inputShift; // feature x is committed as x * 2**inputShift
    }

    IV3Pool public immutable pool;
    LendingMarket public immutable market;
    /// @notice The token the market lends (deposits of it are supplied).
    IERC20 public immutable asset;
    /// @notice The pool's other token.
    IERC20 public immutable other;
    bool public immutable assetIsToken0;
    int24 public immutable tickSpacing;
    IStrategyVerifier public immutable registry;
    bytes32 public immutable modelId;
    address public immutable keeper;
    uint32 public immutable twapWindow;
    uint32 public immutable epochLength;
    int24 public immutable maxTwapDeviation;
    int24 public immutable lpHalfWidth;
    int24 public immutable maxSlippage;
    uint8 public immutable outputScale;
    uint8 public immutable inputShift;

    int24 public lpLower;
    int24 public lpUpper;
    /// @notice The share of value put into liquidity at the last epoch (basis points).
    uint256 public allocationBps;
    uint256 public lastEpoch;
    uint256 public epochs;

    event Deposit(address indexed sender, address indexed to, uint256 shares, uint256 assets, uint256 others);
    event Withdraw(address indexed sender, address indexed to, uint256 shares, uint256 assets, uint256 others);
    event Allocated(uint256 epoch, uint256 allocationBps, uint256 lent, int24 lpLower, int24 lpUpper, bool proven);

    error NotKeeper(address caller);
    error NotPool(address caller);
    error ZeroShares();
    error ZeroAddress();
    error BadConfig();
    error FirstDepositTooSmall(uint256 shares, uint256 minimum);
    error Slippage(uint256 assets, uint256 others);
    error EpochNotDue(uint256 next);
    error PriceDeviates(int24 tick, int24 twap);
    error ProofRequired();
    error UnprovenOnly();
    error WrongInstanceCount(uint256 given, uint256 expected);
    error StaleInput(uint256 index, uint256 expected, uint256 given);
    error AllocationOutOfRange(uint256 output);

    constructor(Config memory c) ERC20("aiweb3 structured vault share", "aiSV") {
        if (address(c.pool) == address(0) || address(c.market) == address(0) || c.keeper == address(0)) {
            revert ZeroAddress();
        }
        if (c.modelId != bytes32(0) && address(c.registry) == address(0)) revert ZeroAddress();
        asset = c.market.debtToken();
        address t0 = c.pool.token0();
        address t1 = c.pool.token1();
        if (address(asset) != t0 && address(asset) != t1) revert BadConfig();
        assetIsToken0 = address(asset) == t0;
        other = IERC20(assetIsToken0 ? t1 : t0);
        tickSpacing = c.pool.tickSpacing();
        if (c.lpHalfWidth < 0 || c.lpHalfWidth % tickSpacing != 0 || c.maxSlippage <= 0) revert BadConfig();
        pool = c.pool;
        market = c.market;
        registry = c.registry;
        modelId = c.modelId;
        keeper = c.keeper;
        twapWindow = c.twapWindow == 0 ? 1 : c.twapWindow;
        epochLength = c.epochLength;
        maxTwapDeviation = c.maxTwapDeviation;
        lpHalfWidth = c.lpHalfWidth;
        maxSlippage = c.maxSlippage;
        outputScale = c.outputScale;
        inputShift = c.inputShift;
        asset.forceApprove(address(c.market), type(uint256).max);
    }

    // ------------------------------------------------------------------ shares

    /// @notice Deposit up to the desired amounts in the ratio of the vault's holdings.
    function deposit(uint256 assetsDesired, uint256 othersDesired, uint256 assetsMin, uint256 othersMin, address to)
        external
        nonReentrant
        returns (uint256 shares, uint256 assets, uint256 others)
    {
        if (to == address(0)) revert ZeroAddress();
        _poke();
        (shares, assets, others) = _sharesFor(assetsDesired, othersDesired);
        // Refusing a deposit worth no shares is the intent (Slither incorrect-equality).
        // slither-disable-next-line incorrect-equality
        if (shares == 0) revert ZeroShares();
        // The locked shares stay: the supply is zero only before the first deposit (Slither incorrect-equality).
        // slither-disable-next-line incorrect-equality
        if (totalSupply() == 0) {
            if (shares <= MIN_SHARES) revert FirstDepositTooSmall(shares, MIN_SHARES + 1);
            shares -= MIN_SHARES;
            _mint(DEAD_SHARES, MIN_SHARES);
        }
        if (assets < assetsMin || others < othersMin) revert Slippage(assets, others);
        if (assets > 0) asset.safeTransferFrom(msg.sender, address(this), assets);
        if (others > 0) other.safeTransferFrom(msg.sender, address(this), others);
        _mint(to, shares);
        emit Deposit(msg.sender, to, shares, assets, others);
    }

    /// @notice Burn shares for their part of the idle tokens, the lent tokens and the position.
    function withdraw(uint256 shares, uint256 assetsMin, uint256 othersMin, address to)
        external
        nonReentrant
        returns (uint256 assets, uint256 others)
    {
        if (shares == 0) revert ZeroShares();
        if (to == address(0)) revert ZeroAddress();
        uint256 supply = totalSupply();
        _burn(msg.sender, shares);
        // the share of what was idle, read before the lent and pooled parts arrive
        assets = asset.balanceOf(address(this)) * shares / supply;
        others = other.balanceOf(address(this)) * shares / supply;
        uint256 lent = market.suppliedOf(address(this)) * shares / supply;
        if (lent > 0) {
            market.withdrawSupply(lent);
            assets += lent;
        }
        (uint256 a, uint256 o) = _burnShare(shares, supply);
        assets += a;
        others += o;
        // Idle balances are read before the lent and pooled parts arrive, on purpose; the market
        // and pool are immutable and every entry point is nonReentrant (Slither reentrancy-balance).
        // slither-disable-next-line reentrancy-balance
        if (assets < assetsMin || others < othersMin) revert Slippage(assets, others);
        if (assets > 0) asset.safeTransfer(to, assets);
        if (others > 0) other.safeTransfer(to, others);
        emit Withdraw(msg.sender, to, shares, assets, others);
    }

    /// @notice Everything the vault holds: idle tokens, the lent tokens (interest included), the
    /// position and its recorded fees.
    function totalAmounts() public view returns (uint256 assets, uint256 others) {
        // Only the fields used are read; what is burned is collected, a mint is paid in its
        // callback (Slither unused-return).
        // slither-disable-next-line unused-return
        (uint160 sqrtP,,,,,,) = pool.slot0();
        (uint256 pa, uint256 po) = _positionAmounts(sqrtP);
        assets = asset.balanceOf(address(this)) + market.suppliedOf(address(this)) + pa;
        others = other.balanceOf(address(this)) + po;
    }

    // ------------------------------------------------------------------ allocation

    /// @notice The model's inputs now, as the proof's public inputs must carry them (unscaled).
    function features() public view returns (int256[FEATURES] memory x) {
        // Not randomness: aligns the TWAP windows to multiples of twapWindow (Slither weak-prng).
        // slither-disable-next-line weak-prng
        uint32 offset = uint32(block.timestamp % twapWindow);
        uint32[] memory agos = new uint32[](4);
        for (uint256 i = 0; i < 4; ++i) {
            agos[i] = offset + uint32(i) * twapWindow;
        }
        // Only the fields used are read; what is burned is collected, a mint is paid in its
        // callback (Slither unused-return).
        // slither-disable-next-line unused-return
        (int56[] memory cum,) = pool.observe(agos);
        int256 w = int256(uint256(twapWindow));
        int256 a1 = (int256(cum[0]) - cum[1]) / w;
        int256 a2 = (int256(cum[1]) - cum[2]) / w;
        int256 a3 = (int256(cum[2]) - cum[3]) / w;
        x[0] = _abs(a1 - a2) + _abs(a2 - a3);
        x[1] = int256(market.utilisation() * BPS / WAD);
        x[2] = int256(market.supplyRate() * BPS / WAD);
    }

    /// @notice The field encodings of `features()` (what the proof's leading instances must be,
    /// within INPUT_TOLERANCE).
    function featureInstances() public view returns (uint256[FEATURES] memory out) {
        int256[FEATURES] memory x = features();
        for (uint256 i = 0; i < FEATURES; ++i) {
            out[i] = _encode(x[i] * int256(uint256(1) << inputShift));
        }
    }

    /// @notice Proven mode: split the vault as the registered model decided, with its proof. The
    /// instances are the features (checked against chain state now) and the allocation.
    function allocateWithProof(bytes calldata proof, uint256[] calldata instances) external nonReentrant {
        if (modelId == bytes32(0)) revert UnprovenOnly();
        _requireEpochDue();
        if (instances.length != FEATURES + 1) revert WrongInstanceCount(instances.length, FEATURES + 1);
        int256[FEATURES] memory x = features();
        int256 tolerance = INPUT_TOLERANCE << inputShift;
        for (uint256 i = 0; i < FEATURES; ++i) {
            int256 want = x[i] * int256(uint256(1) << inputShift);
            int256 given = _decode(instances[i]);
            if (given > want + tolerance || given < want - tolerance) {
                revert StaleInput(i, _encode(want), instances[i]);
            }
        }
        uint256 bps = _allocation(instances[FEATURES]);
        // The registry reverts unless the proof verifies (Slither unused-return).
        // slither-disable-next-line unused-return
        registry.verifyInference(modelId, proof, instances); // reverts unless the proof verifies
        // The registry, market and pool are immutable; this entry point is nonReentrant (Slither reentrancy-no-eth).
        // slither-disable-next-line reentrancy-no-eth
        _allocate(bps, true);
    }

    /// @notice Unproven mode (baselines): the keeper names the allocation in basis points.
    function allocate(uint256 bps) external nonReentrant {
        if (modelId != bytes32(0)) revert ProofRequired();
        if (msg.sender != keeper) revert NotKeeper(msg.sender);
        if (bps > BPS) revert AllocationOutOfRange(bps);
        _requireEpochDue();
        _allocate(bps, false);
    }

    /// @notice Pays the pool what a mint owes (only the pool may call).
    function uniswapV3MintCallback(uint256 amount0, uint256 amount1, bytes calldata) external {
        _pay(amount0, amount1);
    }

    /// @notice Pays the pool what a swap owes (only the pool may call).
    function uniswapV3SwapCallback(int256 amount0, int256 amount1, bytes calldata) external {
        _pay(amount0 > 0 ? uint256(amount0) : 0, amount1 > 0 ? uint256(amount1) : 0);
    }

    // ------------------------------------------------------------------ internals

    function _pay(uint256 amount0, uint256 amount1) internal {
        if (msg.sender != address(pool)) revert NotPool(msg.sender);
        (IERC20 t0, IERC20 t1) = assetIsToken0 ? (asset, other) : (other, asset);
        if (amount0 > 0) t0.safeTransfer(msg.sender, amount0);
        if (amount1 > 0) t1.safeTransfer(msg.sender, amount1);
    }

    function _requireEpochDue() internal view {
        uint256 next = lastEpoch + epochLength;
        if (epochs > 0 && block.timestamp < next) revert EpochNotDue(next);
    }

    /// The output instance as basis points; negative or above 1 is refused, not clipped.
    function _allocation(uint256 output) internal view returns (uint256) {
        if (output > FIELD / 2) revert AllocationOutOfRange(output);
        uint256 bps = (output * BPS + (uint256(1) << outputScale) / 2) >> outputScale;
        if (bps > BPS) revert AllocationOutOfRange(output);
        return bps;
    }

    function _allocate(uint256 bps, bool proven) internal {
        // Only the fields used are read; what is burned is collected, a mint is paid in its
        // callback (Slither unused-return).
        // slither-disable-next-line unused-return
        (, int24 tick,,,,,) = pool.slot0();
        int24 twap = _twap();
        int24 deviation = tick > twap ? tick - twap : twap - tick;
        if (deviation > maxTwapDeviation) revert PriceDeviates(tick, twap);
        _unwind();
        uint256 budget = _trade(bps, tick);
        if (bps > 0) _provide(budget);
        uint256 idle = asset.balanceOf(address(this));
        uint256 lent = idle > DUST ? idle : 0;
        if (lent > 0) market.supply(lent);
        allocationBps = bps;
        lastEpoch = block.timestamp;
        epochs += 1;
        emit Allocated(epochs, bps, lent, lpLower, lpUpper, proven);
    }

    /// Burn the position and take back what the market can pay.
    function _unwind() internal {
        _withdrawAll();
        uint256 lent = market.suppliedOf(address(this));
        uint256 cash = market.cash();
        if (lent > cash) lent = cash;
        if (lent > 0) market.withdrawSupply(lent);
    }

    /// Swap towards half the liquidity budget in each token; returns the budget (asset units).
    function _trade(uint256 bps, int24 tick) internal returns (uint256 budget) {
        uint256 assets = asset.balanceOf(address(this));
        uint256 others = other.balanceOf(address(this));
        // Only the fields used are read; what is burned is collected, a mint is paid in its
        // callback (Slither unused-return).
        // slither-disable-next-line unused-return
        (uint160 sqrtP,,,,,,) = pool.slot0();
        uint256 othersValue = _toAsset(others, sqrtP);
        budget = (assets + othersValue) * bps / BPS;
        uint256 half = budget / 2;
        if (othersValue > half) {
            _swap(true, others - Math.mulDiv(others, half, othersValue), tick);
        } else if (half > othersValue) {
            _swap(false, Math.min(half - othersValue, assets), tick);
        }
    }

    /// Mint the position centred on the current tick with all of `other` and the matching assets
    /// (at most what is left of the budget after the other token's value).
    function _provide(uint256 budget) internal {
        // Only the fields used are read; what is burned is collected, a mint is paid in its
        // callback (Slither unused-return).
        // slither-disable-next-line unused-return
        (uint160 sqrtP, int24 tick,,,,,) = pool.slot0();
        int24 maxTick = V3Math.MAX_TICK - V3Math.MAX_TICK % tickSpacing;
        int24 lower = -maxTick;
        int24 upper = maxTick;
        if (lpHalfWidth > 0) {
            int24 centre = _floor(tick);
            lower = centre - lpHalfWidth < -maxTick ? -maxTick : centre - lpHalfWidth;
            upper = centre + lpHalfWidth > maxTick ? maxTick : centre + lpHalfWidth;
        }
        uint256 others = other.balanceOf(address(this));
        uint256 othersValue = _toAsset(others, sqrtP);
        uint256 assets = Math.min(asset.balanceOf(address(this)), budget > othersValue ? budget - othersValue : 0);
        (uint256 a0, uint256 a1) = assetIsToken0 ? (assets, others) : (others, assets);
        uint128 liquidity = V3Math.liquidityForAmounts(
            sqrtP, V3Math.sqrtRatioAtTick(lower), V3Math.sqrtRatioAtTick(upper), a0, a1
        );
        (lpLower, lpUpper) = (lower, upper);
        // Only the fields used are read; what is burned is collected, a mint is paid in its
        // callback (Slither unused-return).
        // slither-disable-next-line unused-return
        if (liquidity > 0) pool.mint(address(this), lower, upper, liquidity, "");
    }

    function _swap(bool sellOther, uint256 amountIn, int24 tick) internal {
        if (amountIn == 0) return;
        bool zeroForOne = sellOther ? !assetIsToken0 : assetIsToken0;
        int24 limitTick = zeroForOne ? tick - maxSlippage : tick + maxSlippage;
        if (limitTick <= V3Math.MIN_TICK) limitTick = V3Math.MIN_TICK + 1;
        if (limitTick >= V3Math.MAX_TICK) limitTick = V3Math.MAX_TICK - 1;
        // the price limit bounds the slippage: past it the swap stops and the rest stays idle
        // slither-disable-next-line unused-return
        IV3Swap(address(pool)).swap(
            address(this), zeroForOne, int256(amountIn), V3Math.sqrtRatioAtTick(limitTick), ""
        );
    }

    /// `others` valued in the asset at the square-root price.
    function _toAsset(uint256 others, uint160 sqrtP) internal view returns (uint256) {
        if (assetIsToken0) {
            // price = token1 per token0 = sqrtP^2 / 2^192; asset is token0: others / price
            return Math.mulDiv(Math.mulDiv(others, V3Math.Q96, sqrtP), V3Math.Q96, sqrtP);
        }
        return Math.mulDiv(Math.mulDiv(others, sqrtP, V3Math.Q96), sqrtP, V3Math.Q96);
    }

    function _withdrawAll() internal {
        (int24 lower, int24 upper) = (lpLower, lpUpper);
        if (upper <= lower) return;
        // Only the fields used are read; what is burned is collected, a mint is paid in its
        // callback (Slither unused-return).
        // slither-disable-next-line unused-return
        (uint128 liquidity,,,,) = pool.positions(_key(lower, upper));
        // Only the fields used are read; what is burned is collected, a mint is paid in its
        // callback (Slither unused-return).
        // slither-disable-next-line unused-return
        if (liquidity > 0) pool.burn(lower, upper, liquidity);
        // Only the fields used are read; what is burned is collected, a mint is paid in its
        // callback (Slither unused-return).
        // slither-disable-next-line unused-return
        pool.collect(address(this), lower, upper, type(uint128).max, type(uint128).max);
    }

    /// Burn `shares / supply` of the position and collect it with that share of its fees; returns
    /// (assets, others).
    function _burnShare(uint256 shares, uint256 supply) internal returns (uint256, uint256) {
        (int24 lower, int24 upper) = (lpLower, lpUpper);
        if (upper <= lower) return (0, 0);
        // Only the fields used are read; what is burned is collected, a mint is paid in its
        // callback (Slither unused-return).
        // slither-disable-next-line unused-return
        (uint128 liquidity,,,,) = pool.positions(_key(lower, upper));
        uint128 part = uint128(uint256(liquidity) * shares / supply);
        (uint256 burned0, uint256 burned1) = (0, 0);
        if (part > 0) {
            (burned0, burned1) = pool.burn(lower, upper, part);
        } else if (liquidity > 0) {
            // Only the fields used are read; what is burned is collected, a mint is paid in its
        // callback (Slither unused-return).
            // slither-disable-next-line unused-return
            pool.burn(lower, upper, 0); // bring the fees up to date
        }
        (uint128 got0, uint128 got1) =
            pool.collect(address(this), lower, upper, type(uint128).max, type(uint128).max);
        uint256 out0 = burned0 + (uint256(got0) - burned0) * shares / supply;
        uint256 out1 = burned1 + (uint256(got1) - burned1) * shares / supply;
        return assetIsToken0 ? (out0, out1) : (out1, out0);
    }

    function _poke() internal {
        (int24 lower, int24 upper) = (lpLower, lpUpper);
        if (upper <= lower) return;
        // Only the fields used are read; what is burned is collected, a mint is paid in its
        // callback (Slither unused-return).
        // slither-disable-next-line unused-return
        (uint128 liquidity,,,,) = pool.positions(_key(lower, upper));
        // Only the fields used are read; what is burned is collected, a mint is paid in its
        // callback (Slither unused-return).
        // slither-disable-next-line unused-return
        if (liquidity > 0) pool.burn(lower, upper, 0);
    }

    /// (assets, others) in the position, fees owed included.
    function _positionAmounts(uint160 sqrtP) internal view returns (uint256, uint256) {
        (int24 lower, int24 upper) = (lpLower, lpUpper);
        if (upper <= lower) return (0, 0);
        // Only the fields used are read; what is burned is collected, a mint is paid in its
        // callback (Slither unused-return).
        // slither-disable-next-line unused-return
        (uint128 liquidity,,, uint128 owed0, uint128 owed1) = pool.positions(_key(lower, upper));
        (uint256 a0, uint256 a1) = V3Math.amountsForLiquidity(
            sqrtP, V3Math.sqrtRatioAtTick(lower), V3Math.sqrtRatioAtTick(upper), liquidity
        );
        a0 += owed0;
        a1 += owed1;
        return assetIsToken0 ? (a0, a1) : (a1, a0);
    }

    function _sharesFor(uint256 da, uint256 dOther) internal view returns (uint256 shares, uint256 a, uint256 o) {
        uint256 supply = totalSupply();
        (uint256 ta, uint256 to) = totalAmounts();
        // Zero cases pick the branch; each prices the deposit at the vault's holdings
        // (Slither incorrect-equality).
        // slither-disable-start incorrect-equality
        if (supply == 0) {
            return (Math.max(da, dOther), da, dOther);
        } else if (ta == 0 && to == 0) {
            return (0, 0, 0);
        } else if (ta == 0) {
            return (dOther * supply / to, 0, dOther);
        } else if (to == 0) {
            return (da * supply / ta, da, 0);
        }
        uint256 cross = Math.min(da * to, dOther * ta);
        if (cross == 0) return (0, 0, 0);
        // Zero cases pick the branch; each prices the deposit at the vault's holdings
        // (Slither incorrect-equality).
        // slither-disable-end incorrect-equality
        a = (cross - 1) / to + 1;
        o = (cross - 1) / ta + 1;
        shares = cross * supply / ta / to;
    }

    function _twap() internal view returns (int24) {
        uint32[] memory agos = new uint32[](2);
        agos[1] = twapWindow;
        // Only the fields used are read; what is burned is collected, a mint is paid in its
        // callback (Slither unused-return).
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

    function _key(int24 lower, int24 upper) internal view returns (bytes32) {
        return keccak256(abi.encodePacked(address(this), lower, upper));
    }

    function _encode(int256 v) internal pure returns (uint256) {
        return v >= 0 ? uint256(v) : FIELD - uint256(-v);
    }

    function _decode(uint256 felt) internal pure returns (int256) {
        return felt > FIELD / 2 ? -int256(FIELD - felt) : int256(felt);
    }

    function _abs(int256 x) internal pure returns (int256) {
        return x < 0 ? -x : x;
    }
}
