// SPDX-License-Identifier: MIT
pragma solidity ^0.5.0;

/// An ether store with a per-withdrawal limit.
contract EtherStore {
    uint256 public constant WITHDRAWAL_LIMIT = 20 ether;
    mapping(address => uint256) public balances;

    function deposit() public payable {
        balances[msg.sender] += msg.value;
    }

    function withdraw(uint256 amount) public {
        require(balances[msg.sender] - amount >= 0, "insufficient balance");
        require(amount <= WITHDRAWAL_LIMIT, "over the limit");
        balances[msg.sender] -= amount;
        msg.sender.transfer(amount);
    }
}
