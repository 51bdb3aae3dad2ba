// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Guess a number from 0 to 9 for 1 ether; a right guess pays 5 ether from the house's funds.
contract GuessTheNumber {
    uint256 public constant STAKE = 1 ether;
    uint256 public constant PAYOUT = 5 ether;
    uint256 public plays;

    receive() external payable {}

    function play(uint8 guess) external payable {
        require(msg.value == STAKE, "stake is 1 ether");
        require(address(this).balance >= PAYOUT, "house is empty");
        plays += 1;
        uint256 answer = uint256(keccak256(abi.encodePacked(blockhash(block.number - 1), block.timestamp))) % 10;
        if (guess == answer) {
            (bool ok, ) = msg.sender.call{value: PAYOUT}("");
            require(ok, "payout failed");
        }
    }
}
