// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Players put in 1 ether each; whoever brings the pot to 7 ether wins it all.
contract SevenEtherGame {
    uint256 public constant TARGET = 7 ether;
    address public winner;

    function play() external payable {
        require(msg.value == 1 ether, "send exactly 1 ether");
        require(winner == address(0), "game over");
        uint256 pot = address(this).balance;
        require(pot <= TARGET, "game over");
        if (pot == TARGET) {
            winner = msg.sender;
        }
    }

    function claim() external {
        require(msg.sender == winner, "not the winner");
        (bool ok, ) = msg.sender.call{value: address(this).balance}("");
        require(ok, "transfer failed");
    }
}
