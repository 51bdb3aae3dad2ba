// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// A bounty for the preimage of a hash. Solvers first commit keccak256(answer, solver) before the
/// deadline and reveal after it, so a revealed answer cannot be copied by someone else.
contract PuzzleBounty {
    bytes32 public immutable puzzle;
    uint256 public immutable commitDeadline;
    address public solver;
    mapping(address => bytes32) public commitments;

    constructor(bytes32 puzzle_, uint256 commitWindow) payable {
        puzzle = puzzle_;
        commitDeadline = block.timestamp + commitWindow;
    }

    function commitHash(string calldata answer, address who) public pure returns (bytes32) {
        return keccak256(abi.encode(answer, who));
    }

    function commit(bytes32 commitment) external {
        require(block.timestamp < commitDeadline, "commit phase is over");
        commitments[msg.sender] = commitment;
    }

    function solve(string calldata answer) external {
        require(block.timestamp >= commitDeadline, "reveal after the commit phase");
        require(solver == address(0), "already solved");
        require(keccak256(bytes(answer)) == puzzle, "wrong answer");
        require(commitments[msg.sender] == commitHash(answer, msg.sender), "no matching commitment");
        solver = msg.sender;
        (bool ok, ) = msg.sender.call{value: address(this).balance}("");
        require(ok, "transfer failed");
    }
}
