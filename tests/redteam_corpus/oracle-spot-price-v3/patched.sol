// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import "./MiniToken.sol";

interface IPoolLike {
    function token0() external view returns (address);
    function slot0() external view returns (uint160, int24, uint16, uint16, uint16, uint8, bool);
    function observe(uint32[] calldata ago) external view returns (int56[] memory, uint160[] memory);
}

/// Lends TUSD against TETH collateral, up to half the collateral's value; the TETH price comes
/// from the TETH/TUSD Uniswap v3 pool, averaged over 30 minutes.
contract PoolPricedLender {
    IPoolLike public immutable pool;
    MiniToken public immutable collateralToken;
    MiniToken public immutable debtToken;
    bool public immutable collateralIsToken0;
    mapping(address => uint256) public collateral;
    mapping(address => uint256) public debt;

    constructor(IPoolLike pool_, MiniToken collateral_, MiniToken debt_) {
        pool = pool_;
        collateralToken = collateral_;
        debtToken = debt_;
        collateralIsToken0 = pool_.token0() == address(collateral_);
    }

    uint32 public constant WINDOW = 1800;

    /// TUSD per TETH, scaled by 1e18: 1.0001 to the power of the pool's mean tick over WINDOW.
    function price() public view returns (uint256) {
        uint32[] memory ago = new uint32[](2);
        ago[0] = WINDOW;
        (int56[] memory cumulative, ) = pool.observe(ago);
        int256 tick = int256(cumulative[1] - cumulative[0]) / int256(uint256(WINDOW));
        uint256 base = 1.0001e18;
        uint256 p = 1e18;
        for (uint256 n = uint256(tick < 0 ? -tick : tick); n > 0; n >>= 1) {
            if (n & 1 == 1) p = (p * base) / 1e18;
            base = (base * base) / 1e18;
        }
        if (tick < 0) p = 1e36 / p;
        return collateralIsToken0 ? p : 1e36 / p;
    }

    function deposit(uint256 amount) external {
        require(collateralToken.transferFrom(msg.sender, address(this), amount), "transfer failed");
        collateral[msg.sender] += amount;
    }

    function borrow(uint256 amount) external {
        uint256 limit = (collateral[msg.sender] * price()) / 1e18 / 2;
        require(debt[msg.sender] + amount <= limit, "undercollateralized");
        debt[msg.sender] += amount;
        require(debtToken.transfer(msg.sender, amount), "transfer failed");
    }

    function repay(uint256 amount) external {
        require(debtToken.transferFrom(msg.sender, address(this), amount), "transfer failed");
        debt[msg.sender] -= amount;
    }
}
