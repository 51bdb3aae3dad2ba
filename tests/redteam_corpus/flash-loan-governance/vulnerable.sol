// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import "./MiniToken.sol";

interface IFlashBorrower {
    function onFlashLoan(uint256 amount) external;
}

/// Lends the governance tokens its depositors keep there, for the length of one call, for free.
contract FlashLender {
    MiniToken public immutable token;

    constructor(MiniToken token_) {
        token = token_;
    }

    function flashLoan(uint256 amount) external {
        uint256 before = token.balanceOf(address(this));
        require(token.transfer(msg.sender, amount), "transfer failed");
        IFlashBorrower(msg.sender).onFlashLoan(amount);
        require(token.balanceOf(address(this)) >= before, "loan not repaid");
    }
}

/// An ether treasury governed by token holders: a payout passes with votes from 40% of the supply.
contract GovernedTreasury {
    struct Proposal {
        address payable to;
        uint256 amount;
        uint256 votes;
        uint256 createdBlock;
        bool executed;
    }

    MiniToken public immutable token;
    Proposal[] public proposals;
    mapping(uint256 => mapping(address => bool)) public voted;

    constructor(MiniToken token_) {
        token = token_;
    }

    receive() external payable {}

    function propose(address payable to, uint256 amount) external returns (uint256) {
        proposals.push(Proposal(to, amount, 0, block.number, false));
        return proposals.length - 1;
    }

    function votingPower(address voter, uint256) public view returns (uint256) {
        return token.balanceOf(voter);
    }

    function vote(uint256 id) external {
        require(!voted[id][msg.sender], "already voted");
        voted[id][msg.sender] = true;
        proposals[id].votes += votingPower(msg.sender, proposals[id].createdBlock);
    }

    function execute(uint256 id) external {
        Proposal storage p = proposals[id];
        require(!p.executed, "already executed");
        require(p.votes * 100 >= token.totalSupply() * 40, "not enough votes");
        p.executed = true;
        (bool ok, ) = p.to.call{value: p.amount}("");
        require(ok, "transfer failed");
    }
}
