// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";

/// @title TestToken — an ERC-20 anyone can mint, for seeding local chains (indexer tests, demos)
/// @notice Not a system contract and worth nothing: `mint` is open to everyone.
contract TestToken is ERC20 {
    uint8 private immutable _decimals;

    constructor(string memory name_, string memory symbol_, uint8 decimals_) ERC20(name_, symbol_) {
        _decimals = decimals_;
    }

    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    /// @notice Mint `amount` to `to` (open to anyone: test chains only).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}

/// @title TestNFT — an ERC-721 anyone can mint, for seeding local chains
contract TestNFT is ERC721 {
    uint256 public nextId = 1;

    constructor() ERC721("Test NFT", "TNFT") {}

    /// @notice Mint the next token id to `to`; returns it.
    function mint(address to) external returns (uint256 id) {
        id = nextId++;
        _mint(to, id);
    }
}
