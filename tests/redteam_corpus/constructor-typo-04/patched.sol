// SPDX-License-Identifier: MIT
pragma solidity ^0.4.24;

/// A fee-sharing pyramid: each entry pays 1 ether; the creator collects the fees.
contract Rubixi {
    address private creator;
    uint256 public collectedFees;
    mapping(address => uint256) public entries;

    constructor() public {
        creator = msg.sender;
    }

    function owner() public view returns (address) {
        return creator;
    }

    function enter() public payable {
        require(msg.value == 1 ether);
        entries[msg.sender] += 1;
        collectedFees += msg.value;
    }

    function collectAllFees() public {
        require(msg.sender == creator);
        uint256 fees = collectedFees;
        collectedFees = 0;
        creator.transfer(fees);
    }
}
