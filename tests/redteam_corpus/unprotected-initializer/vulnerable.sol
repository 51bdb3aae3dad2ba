// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// A treasury meant to sit behind a proxy: it is set up by initialize() instead of a constructor.
/// The owner pays out grants; anyone can fund it.
contract GrantTreasury {
    address public owner;
    bool public initialized;
    uint256 public granted;

    event Grant(address indexed to, uint256 amount);

    function initialize(address owner_) external {
        owner = owner_;
        initialized = true;
    }

    receive() external payable {}

    function grant(address payable to, uint256 amount) external {
        require(msg.sender == owner, "only owner");
        granted += amount;
        (bool ok, ) = to.call{value: amount}("");
        require(ok, "transfer failed");
        emit Grant(to, amount);
    }
}
