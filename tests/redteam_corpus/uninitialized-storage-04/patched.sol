// SPDX-License-Identifier: MIT
pragma solidity ^0.4.24;

/// A name registry (0.1 ether per name) that remembers the last registration; sponsors may also
/// donate. The owner withdraws the income.
contract NameRegistrar {
    address public owner;
    uint256 public registrations;

    struct Record {
        address mapped;
        bytes32 name;
    }

    mapping(bytes32 => address) public resolve;
    Record public lastRecord;

    constructor() public {
        owner = msg.sender;
    }

    function donate() public payable {}

    function register(bytes32 name, address mapped) public payable {
        require(msg.value == 0.1 ether && resolve[name] == address(0));
        Record memory newRecord;
        newRecord.mapped = mapped;
        newRecord.name = name;
        resolve[name] = mapped;
        lastRecord = newRecord;
    }

    function withdraw() public {
        require(msg.sender == owner);
        owner.transfer(address(this).balance);
    }
}
