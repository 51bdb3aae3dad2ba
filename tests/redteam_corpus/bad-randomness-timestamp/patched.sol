// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// A raffle: tickets cost 1 ether; once five are sold the operator draws with a secret it committed
/// to before the sale, and the winner takes the pot.
contract TimedRaffle {
    uint256 public constant TICKET = 1 ether;
    address public immutable operator = msg.sender;
    bytes32 public immutable commitment;
    address[] public tickets;
    address public lastWinner;

    constructor(bytes32 commitment_) {
        commitment = commitment_;
    }

    function buy() external payable {
        require(msg.value == TICKET, "a ticket costs 1 ether");
        tickets.push(msg.sender);
    }

    function ticketCount() external view returns (uint256) {
        return tickets.length;
    }

    function draw(bytes32 secret) external {
        require(msg.sender == operator, "only the operator draws");
        require(keccak256(abi.encodePacked(secret)) == commitment, "wrong secret");
        require(tickets.length >= 5, "not enough tickets");
        address winner = tickets[uint256(keccak256(abi.encodePacked(secret, tickets.length))) % tickets.length];
        delete tickets;
        lastWinner = winner;
        (bool ok, ) = winner.call{value: address(this).balance}("");
        require(ok, "transfer failed");
    }
}
