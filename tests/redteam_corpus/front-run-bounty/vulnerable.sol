// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// A bounty for the preimage of a hash: the first correct answer takes the reward.
contract PuzzleBounty {
    bytes32 public immutable puzzle;
    uint256 public immutable commitDeadline;
    address public solver;

    constructor(bytes32 puzzle_, uint256 commitWindow) payable {
        puzzle = puzzle_;
        commitDeadline = block.timestamp + commitWindow;
    }

    function solve(string calldata answer) external {
        require(solver == address(0), "already solved");
        require(keccak256(bytes(answer)) == puzzle, "wrong answer");
        solver = msg.sender;
        (bool ok, ) = msg.sender.call{value: address(this).balance}("");
        require(ok, "transfer failed");
    }
}
