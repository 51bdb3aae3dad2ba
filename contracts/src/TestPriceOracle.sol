// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IPriceOracle} from "./LendingMarket.sol";

/// @title TestPriceOracle — NOT a system contract; development and tests only
/// @notice A price its owner sets by hand, so property tests can move prices in one call
/// instead of hundreds of swaps. The real feed is UniV3TwapOracle on a Uniswap v3 pool.
contract TestPriceOracle is IPriceOracle {
    address public immutable owner;
    uint256 public price;
    uint256 public spotPrice;

    error NotOwner();

    constructor(uint256 price_) {
        owner = msg.sender;
        price = price_;
        spotPrice = price_;
    }

    /// @notice Set the average and the spot price (WAD).
    function set(uint256 twap, uint256 spot) external {
        if (msg.sender != owner) revert NotOwner();
        price = twap;
        spotPrice = spot;
    }
}
