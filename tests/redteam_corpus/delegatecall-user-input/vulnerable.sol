// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// A vault whose owner can sweep it; anyone may run a "strategy" module to rebalance it.
contract ModularVault {
    address public owner;
    mapping(address => bool) public approvedModules;
    uint256 public runs;

    constructor() {
        owner = msg.sender;
    }

    receive() external payable {}

    function approveModule(address module) external {
        require(msg.sender == owner, "only owner");
        approvedModules[module] = true;
    }

    function runModule(address module, bytes calldata data) external {
        runs += 1;
        (bool ok, ) = module.delegatecall(data);
        require(ok, "module failed");
    }

    function sweep(address payable to) external {
        require(msg.sender == owner, "only owner");
        (bool ok, ) = to.call{value: address(this).balance}("");
        require(ok, "transfer failed");
    }
}

/// The module the owner approved: it only counts rebalances.
contract CounterModule {
    address public ownerSlot;
    mapping(address => bool) public approvedSlot;
    uint256 public counter;

    function rebalance() external {
        counter += 1;
    }
}
