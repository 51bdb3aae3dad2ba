// SPDX-License-Identifier: MIT
pragma solidity ^0.4.24;

/// Ten players buy a ticket for 1 ether each; the owner draws the winner, who takes 9 ether.
contract TicketPool {
    address public owner;
    address[] public players;
    uint256 public constant TICKET = 1 ether;

    constructor() public {
        owner = msg.sender;
    }

    function buy() public payable {
        require(msg.value == TICKET && players.length < 10);
        players.push(msg.sender);
    }

    function playerCount() public view returns (uint256) {
        return players.length;
    }

    function draw(uint256 seed) public {
        require(msg.sender == owner && players.length == 10);
        address winner = players[seed % 10];
        delete players;
        payWinner(winner);
    }

    function payWinner(address winner) {
        winner.transfer(9 ether);
        owner.transfer(address(this).balance);
    }
}
