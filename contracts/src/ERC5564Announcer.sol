// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ERC5564Announcer — the ERC-5564 singleton that announces payments to stealth addresses
/// @notice Anyone may announce; recipients scan the events with their viewing key. The first byte
/// of ``metadata`` is the view tag; for tokens the ERC recommends bytes 2-5 the function selector,
/// 6-25 the token and 26-57 the amount. The contract holds nothing and checks nothing: an
/// announcement is a hint a recipient verifies against the chain (the balance at the address).
contract ERC5564Announcer {
    /// @notice A payment (or any interaction) with ``stealthAddress`` under scheme ``schemeId``.
    event Announcement(
        uint256 indexed schemeId,
        address indexed stealthAddress,
        address indexed caller,
        bytes ephemeralPubKey,
        bytes metadata
    );

    /// @notice Emit an Announcement for a stealth address the caller derived.
    function announce(uint256 schemeId, address stealthAddress, bytes memory ephemeralPubKey, bytes memory metadata)
        external
    {
        emit Announcement(schemeId, stealthAddress, msg.sender, ephemeralPubKey, metadata);
    }
}
