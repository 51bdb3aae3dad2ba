// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Guess a number from 0 to 9 for 1 ether; a right guess pays 5 ether from the house's funds.
/// The answer comes from the hash of the block after the bet, unknown when the bet is placed.
contract GuessTheNumber {
    uint256 public constant STAKE = 1 ether;
    uint256 public constant PAYOUT = 5 ether;
    uint256 public plays;
    mapping(address => uint256) public betBlock;
    mapping(address => uint8) public betGuess;

    receive() external payable {}

    function play(uint8 guess) external payable {
        require(msg.value == STAKE, "stake is 1 ether");
        require(address(this).balance >= PAYOUT, "house is empty");
        require(betBlock[msg.sender] == 0, "settle your bet first");
        plays += 1;
        betBlock[msg.sender] = block.number;
        betGuess[msg.sender] = guess;
    }

    function settle() external {
        uint256 placed = betBlock[msg.sender];
        require(placed != 0 && block.number > placed + 1, "nothing to settle yet");
        delete betBlock[msg.sender];
        bytes32 seed = blockhash(placed + 1);
        if (seed == bytes32(0)) return;
        uint256 answer = uint256(keccak256(abi.encodePacked(seed, msg.sender))) % 10;
        if (betGuess[msg.sender] == answer) {
            (bool ok, ) = msg.sender.call{value: PAYOUT}("");
            require(ok, "payout failed");
        }
    }
}
