// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// A yield pool with whole membership units: the first deposit gets one unit per ether, later
/// deposits units at the pool's current price, and rewards sent to the pool raise that price.
contract UnitPool {
    uint256 public totalUnits;
    mapping(address => uint256) public units;

    receive() external payable {}

    function deposit() external payable {
        uint256 assets = address(this).balance - msg.value;
        uint256 minted = totalUnits == 0 ? msg.value / 1 ether : (msg.value * totalUnits) / assets;
        require(minted > 0, "deposit too small");
        units[msg.sender] += minted;
        totalUnits += minted;
    }

    function withdraw(uint256 amount) external {
        uint256 balance = address(this).balance;
        uint256 burned = (amount * totalUnits + balance - 1) / balance;
        require(units[msg.sender] >= burned, "not enough units");
        units[msg.sender] -= burned;
        totalUnits -= burned;
        (bool ok, ) = msg.sender.call{value: amount}("");
        require(ok, "transfer failed");
    }
}
