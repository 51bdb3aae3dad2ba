// SPDX-License-Identifier: MIT
pragma solidity ^0.6.0;

/// Sells whole tokens at a fixed price of 1 ether each and buys them back at the same price.
contract TokenSale {
    uint256 public constant PRICE_PER_TOKEN = 1 ether;
    mapping(address => uint256) public balanceOf;

    function buy(uint256 numTokens) external payable {
        require(numTokens <= uint256(-1) / PRICE_PER_TOKEN, "too many tokens");
        require(msg.value == numTokens * PRICE_PER_TOKEN, "wrong payment");
        balanceOf[msg.sender] += numTokens;
    }

    function sell(uint256 numTokens) external {
        require(balanceOf[msg.sender] >= numTokens, "not enough tokens");
        balanceOf[msg.sender] -= numTokens;
        msg.sender.transfer(numTokens * PRICE_PER_TOKEN);
    }
}
