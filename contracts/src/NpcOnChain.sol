// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {NpcRules} from "./NpcRules.sol";

/// @title NpcOnChain — the alternative NpcWorld is measured against: one transaction per NPC action
/// @notice Every NPC's state lives in storage and each action is its own transaction that runs the
/// same policy (NpcRules) on chain. Used by bench/games.py as the peer of epoch roots.
contract NpcOnChain {
    using NpcRules for NpcRules.Npc;

    bytes32 public immutable worldSeed;
    mapping(uint256 => NpcRules.Npc) public npcs;
    mapping(uint256 => uint256) public ticks;

    event NpcActed(uint256 indexed npcId, uint256 tick, NpcRules.Npc state);

    constructor(bytes32 worldSeed_, NpcRules.Npc[] memory initial) {
        worldSeed = worldSeed_;
        for (uint256 i = 0; i < initial.length; i++) {
            npcs[i] = initial[i];
        }
    }

    /// @notice One NPC takes one tick.
    function act(uint256 npcId, uint256 epoch) external {
        uint256 tick = ticks[npcId];
        NpcRules.Npc memory next = npcs[npcId].step(npcId, tick, keccak256(abi.encode(worldSeed, epoch)));
        npcs[npcId] = next;
        ticks[npcId] = tick + 1;
        emit NpcActed(npcId, tick, next);
    }
}
