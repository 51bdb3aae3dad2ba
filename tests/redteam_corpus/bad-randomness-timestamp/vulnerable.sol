// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// A raffle: tickets cost 1 ether; once five are sold anyone may draw, and the winner takes the pot.
contract TimedRaffle {
    uint256 public constant TICKET = 1 ether;
    address[] public tickets;
    address public lastWinner;

    function buy() external payable {
        require(msg.value == TICKET, "a ticket costs 1 ether");
        tickets.push(msg.sender);
    }

    function ticketCount() external view returns (uint256) {
        return tickets.length;
    }

    function draw() external {
        require(tickets.length >= 5, "not enough tickets");
        address winner = tickets[block.timestamp % tickets.length];
        delete tickets;
        lastWinner = winner;
        (bool ok, ) = winner.call{value: address(this).balance}("");
        require(ok, "transfer failed");
    }
}
