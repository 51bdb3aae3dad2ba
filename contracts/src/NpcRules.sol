// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title NpcRules — the committed deterministic policy of the game's NPCs, one tick at a time
/// @notice Mirrored exactly by aiweb3.games.npc.npc_step. A monster (kind 0) heads for its lair at
/// the world's centre with a probability of trait/256 per tick and otherwise wanders, healing one
/// hit point a tick; a merchant (kind 1) moves its price by one, up with probability trait/256
/// and down otherwise, within 1..100, and restocks one item a tick up to 50.
library NpcRules {
    uint8 internal constant WORLD = 16;
    uint8 internal constant MONSTER_MAX_HP = 20;
    uint16 internal constant MAX_PRICE = 100;
    uint16 internal constant MAX_STOCK = 50;

    struct Npc {
        uint8 kind;
        uint8 trait;
        uint8 x;
        uint8 y;
        uint8 hp;
        uint16 price;
        uint16 stock;
    }

    function step(Npc memory s, uint256 npcId, uint256 tick, bytes32 seed) internal pure returns (Npc memory) {
        uint256 r = uint256(keccak256(abi.encode(seed, npcId, tick)));
        if (s.kind == 0) {
            if ((r & 0xff) < s.trait) {
                uint8 centre = WORLD / 2;
                if (s.x != centre) s.x = s.x < centre ? s.x + 1 : s.x - 1;
                else if (s.y != centre) s.y = s.y < centre ? s.y + 1 : s.y - 1;
            } else {
                uint256 dir = (r >> 8) % 5;
                if (dir == 1 && s.y > 0) s.y -= 1;
                else if (dir == 2 && s.y < WORLD - 1) s.y += 1;
                else if (dir == 3 && s.x > 0) s.x -= 1;
                else if (dir == 4 && s.x < WORLD - 1) s.x += 1;
            }
            if (s.hp < MONSTER_MAX_HP) s.hp += 1;
        } else {
            if ((r & 0xff) < s.trait) {
                if (s.price < MAX_PRICE) s.price += 1;
            } else if (s.price > 1) {
                s.price -= 1;
            }
            if (s.stock < MAX_STOCK) s.stock += 1;
        }
        return s;
    }

    function same(Npc memory a, Npc memory b) internal pure returns (bool) {
        return keccak256(abi.encode(a)) == keccak256(abi.encode(b));
    }
}
