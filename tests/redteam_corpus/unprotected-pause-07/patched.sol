// SPDX-License-Identifier: MIT
pragma solidity ^0.7.0;

/// An ether savings account with an emergency pause that stops withdrawals.
contract PausableSavings {
    address public owner;
    bool public paused;
    mapping(address => uint256) public balances;

    constructor() {
        owner = msg.sender;
    }

    function setPaused(bool value) external {
        require(msg.sender == owner, "only owner");
        paused = value;
    }

    function deposit() external payable {
        require(!paused, "paused");
        balances[msg.sender] += msg.value;
    }

    function withdraw(uint256 amount) external {
        require(!paused, "paused");
        require(balances[msg.sender] >= amount, "insufficient balance");
        balances[msg.sender] -= amount;
        msg.sender.transfer(amount);
    }
}
