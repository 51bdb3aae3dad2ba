// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title BotRegistry — content-addressed game bots and their owners
/// @notice A bot is named by the keccak256 of its canonical program (aiweb3.games.botlang); the
/// first account to register a bot id owns it. `uri` says where the program can be fetched.
contract BotRegistry {
    struct Bot {
        address owner;
        uint40 registeredAt;
        string uri;
    }

    mapping(bytes32 => Bot) private _bots;
    uint256 public botCount;

    event BotRegistered(bytes32 indexed botId, address indexed owner, string uri);

    error ZeroBotId();
    error AlreadyRegistered(bytes32 botId, address owner);

    /// @notice Register `botId` (the program's content hash) as the caller's.
    function register(bytes32 botId, string calldata uri) external {
        if (botId == 0) revert ZeroBotId();
        address owner = _bots[botId].owner;
        if (owner != address(0)) revert AlreadyRegistered(botId, owner);
        _bots[botId] = Bot(msg.sender, uint40(block.timestamp), uri);
        botCount += 1;
        emit BotRegistered(botId, msg.sender, uri);
    }

    /// @notice A registered bot (owner address(0) when unknown).
    function getBot(bytes32 botId) external view returns (Bot memory) {
        return _bots[botId];
    }
}
