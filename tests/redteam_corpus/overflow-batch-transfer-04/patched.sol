// SPDX-License-Identifier: MIT
pragma solidity ^0.4.24;

/// A token backed 1:1 by ether: buy mints, sell burns and pays out; batchTransfer pays many at once.
contract EtherBackedToken {
    mapping(address => uint256) public balanceOf;
    uint256 public totalSupply;

    event Transfer(address indexed from, address indexed to, uint256 value);

    function buy() public payable {
        balanceOf[msg.sender] += msg.value;
        totalSupply += msg.value;
        emit Transfer(address(0), msg.sender, msg.value);
    }

    function sell(uint256 value) public {
        require(balanceOf[msg.sender] >= value);
        balanceOf[msg.sender] -= value;
        totalSupply -= value;
        msg.sender.transfer(value);
    }

    function transfer(address to, uint256 value) public returns (bool) {
        require(balanceOf[msg.sender] >= value);
        balanceOf[msg.sender] -= value;
        balanceOf[to] += value;
        emit Transfer(msg.sender, to, value);
        return true;
    }

    function batchTransfer(address[] receivers, uint256 value) public returns (bool) {
        uint256 count = receivers.length;
        uint256 amount = count * value;
        require(value == 0 || amount / value == count);
        require(count > 0 && count <= 20);
        require(value > 0 && balanceOf[msg.sender] >= amount);
        balanceOf[msg.sender] -= amount;
        for (uint256 i = 0; i < count; i++) {
            balanceOf[receivers[i]] += value;
            emit Transfer(msg.sender, receivers[i], value);
        }
        return true;
    }
}
