// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import "./MiniToken.sol";

interface IPoolLike {
    function token0() external view returns (address);
    function slot0() external view returns (uint160, int24, uint16, uint16, uint16, uint8, bool);
    function observe(uint32[] calldata ago) external view returns (int56[] memory, uint160[] memory);
}

/// Lends TUSD against TETH collateral, up to half the collateral's value; the TETH price comes
/// from the TETH/TUSD Uniswap v3 pool.
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

    /// TUSD per TETH, scaled by 1e18.
    function price() public view returns (uint256) {
        (uint160 sqrtPriceX96, , , , , , ) = pool.slot0();
        uint256 p = (((uint256(sqrtPriceX96) * uint256(sqrtPriceX96)) >> 96) * 1e18) >> 96;
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
