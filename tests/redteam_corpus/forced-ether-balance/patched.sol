// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Players put in 1 ether each; whoever brings the pot to 7 ether wins it all.
/// The pot counts only what play() received, never ether forced in from elsewhere.
contract SevenEtherGame {
    uint256 public constant TARGET = 7 ether;
    address public winner;
    uint256 public pot;

    function play() external payable {
        require(msg.value == 1 ether, "send exactly 1 ether");
        require(winner == address(0), "game over");
        pot += msg.value;
        if (pot == TARGET) {
            winner = msg.sender;
        }
    }

    function claim() external {
        require(msg.sender == winner, "not the winner");
        uint256 amount = pot;
        pot = 0;
        (bool ok, ) = msg.sender.call{value: amount}("");
        require(ok, "transfer failed");
    }
}
