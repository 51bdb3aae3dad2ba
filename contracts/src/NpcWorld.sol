// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {NpcRules} from "./NpcRules.sol";

/// @title NpcWorld — NPCs that act every tick off chain, one transaction per epoch, fraud proofs
/// @notice The operator runs every NPC through NpcRules off chain, tick by tick, and posts one
/// transaction per epoch: the Merkle root of every action (leaf: epoch, npc, tick, state before,
/// state after) and the root of the resulting states, with a bond. During the challenge window
/// anyone may challenge one action with its Merkle proof and a challenge bond: the contract
/// re-executes that single step. A wrong step rejects the epoch and pays the operator's bond to the
/// challenger; a correct step keeps the epoch and pays the challenge bond to the operator. After
/// the window the epoch is final, its bond returns to the operator, and players trade with the
/// NPCs through Merkle proofs of their state. Leaves are double-hashed. The actions tree is
/// positional (npc-major: NPC i's tick t sits at i * ticksPerEpoch + t, padded with zero leaves to
/// a power of two), so an action that is left out, moved or blanked is itself provable fraud; the
/// states tree follows OpenZeppelin's MerkleProof (sorted pairs). Challengers need the epoch's
/// published actions (data availability is assumed, as in any optimistic scheme).
contract NpcWorld is ReentrancyGuard {
    using SafeERC20 for IERC20;
    using NpcRules for NpcRules.Npc;

    enum Status {
        None,
        Posted,
        Rejected,
        Final
    }

    struct Epoch {
        bytes32 actionsRoot;
        bytes32 stateRoot;
        uint40 postedAt;
        Status status;
    }

    IERC20 public immutable token;
    address public immutable operator;
    bytes32 public immutable worldSeed;
    uint256 public immutable bond;
    uint256 public immutable challengeBond;
    uint32 public immutable window;
    uint32 public immutable npcCount;
    uint32 public immutable ticksPerEpoch;
    bytes32 public immutable genesisRoot;
    uint256 public immutable actionDepth; // levels of the padded, positional actions tree // the NPCs' states before epoch 0 (state leaves of epoch "-1": 2**256-1)

    uint256 public epochCount;
    mapping(uint256 => Epoch) public epochs;
    mapping(uint256 => mapping(uint256 => uint256)) public sold; // epoch => npc => items sold

    event EpochPosted(uint256 indexed epoch, bytes32 actionsRoot, bytes32 stateRoot);
    event EpochFinal(uint256 indexed epoch);
    event ChallengeFailed(uint256 indexed epoch, address indexed challenger, uint256 npcId, uint256 tick);
    event FraudProven(uint256 indexed epoch, address indexed challenger, uint256 npcId, uint256 tick);
    event Traded(uint256 indexed epoch, uint256 indexed npcId, address indexed player, uint256 quantity, uint256 paid);

    error NotOperator(address caller);
    error WrongEpoch(uint256 epoch, uint256 expected);
    error WrongStatus(uint256 epoch, Status status);
    error WindowClosed(uint256 closedAt);
    error WindowOpen(uint256 closesAt);
    error OutOfRange(uint256 npcId, uint256 tick);
    error NotInEpoch(uint256 epoch);
    error NotAMerchant(uint256 npcId);
    error OutOfStock(uint256 wanted, uint256 left);

    constructor(
        IERC20 token_,
        bytes32 worldSeed_,
        uint256 bond_,
        uint256 challengeBond_,
        uint32 window_,
        uint32 npcCount_,
        uint32 ticksPerEpoch_,
        bytes32 genesisRoot_
    ) {
        genesisRoot = genesisRoot_;
        uint256 depth = 0;
        while ((uint256(1) << depth) < uint256(npcCount_) * ticksPerEpoch_) depth++;
        actionDepth = depth;
        (token, operator, worldSeed) = (token_, msg.sender, worldSeed_);
        (bond, challengeBond, window) = (bond_, challengeBond_, window_);
        (npcCount, ticksPerEpoch) = (npcCount_, ticksPerEpoch_);
    }

    /// @notice The randomness of an epoch's ticks: fixed by the world's seed, so anyone can re-run it.
    function epochSeed(uint256 epoch) public view returns (bytes32) {
        return keccak256(abi.encode(worldSeed, epoch));
    }

    /// @notice One action's leaf: keccak256(keccak256(abi.encode(epoch, npcId, tick, before, after))).
    function actionLeaf(
        uint256 epoch,
        uint256 npcId,
        uint256 tick,
        NpcRules.Npc memory before,
        NpcRules.Npc memory after_
    ) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(epoch, npcId, tick, before, after_))));
    }

    /// @notice One resulting state's leaf: keccak256(keccak256(abi.encode(epoch, npcId, state))).
    function stateLeaf(uint256 epoch, uint256 npcId, NpcRules.Npc memory state) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(epoch, npcId, state))));
    }

    /// @notice The committed policy, one step (what a challenge re-executes).
    function npcStep(NpcRules.Npc memory s, uint256 npcId, uint256 tick, bytes32 seed)
        public
        pure
        returns (NpcRules.Npc memory)
    {
        return s.step(npcId, tick, seed);
    }

    /// @notice Post the next epoch (or re-post a rejected one) with the bond.
    function postEpoch(uint256 epoch, bytes32 actionsRoot, bytes32 stateRoot) external nonReentrant {
        if (msg.sender != operator) revert NotOperator(msg.sender);
        bool repost = epoch + 1 == epochCount && epochs[epoch].status == Status.Rejected;
        if (epoch != epochCount && !repost) revert WrongEpoch(epoch, epochCount);
        // states build on the last final epoch: a new epoch waits for the one before to be final
        if (!repost && epoch > 0 && epochs[epoch - 1].status != Status.Final) {
            revert WrongStatus(epoch - 1, epochs[epoch - 1].status);
        }
        if (!repost) epochCount = epoch + 1;
        epochs[epoch] = Epoch(actionsRoot, stateRoot, uint40(block.timestamp), Status.Posted);
        emit EpochPosted(epoch, actionsRoot, stateRoot);
        token.safeTransferFrom(msg.sender, address(this), bond);
    }

    /// @notice Challenge one action: the contract re-executes it. Costs the challenge bond if it was right.
    function challengeStep(
        uint256 epoch,
        uint256 npcId,
        uint256 tick,
        NpcRules.Npc memory before,
        NpcRules.Npc memory after_,
        bytes32[] calldata proof
    ) external nonReentrant {
        Epoch storage e = _challengeable(epoch, npcId, tick);
        _requireAction(e, epoch, npcId, tick, before, after_, proof);
        NpcRules.Npc memory expected = before.step(npcId, tick, epochSeed(epoch));
        _settle(epoch, e, !expected.same(after_), npcId, tick);
    }

    /// @notice Challenge the link between two consecutive actions of one NPC: the state after tick
    /// `tick - 1` must be the state before `tick`.
    function challengeLink(
        uint256 epoch,
        uint256 npcId,
        uint256 tick,
        NpcRules.Npc[4] memory states, // before and after of tick - 1, then of tick
        bytes32[] calldata proofPrev,
        bytes32[] calldata proof
    ) external nonReentrant {
        Epoch storage e = _challengeable(epoch, npcId, tick);
        if (tick == 0) revert OutOfRange(npcId, tick);
        _requireAction(e, epoch, npcId, tick - 1, states[0], states[1], proofPrev);
        _requireAction(e, epoch, npcId, tick, states[2], states[3], proof);
        _settle(epoch, e, !states[1].same(states[2]), npcId, tick);
    }

    /// @notice Challenge an NPC's first action of an epoch: its state before must be the state the
    /// previous epoch ended with (or the genesis state before epoch 0).
    function challengeStart(
        uint256 epoch,
        uint256 npcId,
        NpcRules.Npc memory previous,
        bytes32[] calldata previousProof,
        NpcRules.Npc[2] memory action,
        bytes32[] calldata proof
    ) external nonReentrant {
        Epoch storage e = _challengeable(epoch, npcId, 0);
        (bytes32 root, uint256 prevEpoch) =
            epoch == 0 ? (genesisRoot, type(uint256).max) : (epochs[epoch - 1].stateRoot, epoch - 1);
        if (!MerkleProof.verifyCalldata(previousProof, root, stateLeaf(prevEpoch, npcId, previous))) {
            revert NotInEpoch(prevEpoch);
        }
        _requireAction(e, epoch, npcId, 0, action[0], action[1], proof);
        _settle(epoch, e, !previous.same(action[0]), npcId, 0);
    }

    /// @notice Challenge an NPC's resulting state: it must be the state after its last action.
    function challengeEnd(
        uint256 epoch,
        uint256 npcId,
        NpcRules.Npc[2] memory action,
        bytes32[] calldata proof,
        NpcRules.Npc memory state,
        bytes32[] calldata stateProof
    ) external nonReentrant {
        Epoch storage e = _challengeable(epoch, npcId, ticksPerEpoch - 1);
        _requireAction(e, epoch, npcId, ticksPerEpoch - 1, action[0], action[1], proof);
        if (!MerkleProof.verifyCalldata(stateProof, e.stateRoot, stateLeaf(epoch, npcId, state))) {
            revert NotInEpoch(epoch);
        }
        _settle(epoch, e, !action[1].same(state), npcId, ticksPerEpoch - 1);
    }

    function _challengeable(uint256 epoch, uint256 npcId, uint256 tick) private view returns (Epoch storage e) {
        e = _posted(epoch);
        if (npcId >= npcCount || tick >= ticksPerEpoch) revert OutOfRange(npcId, tick);
    }

    function _posted(uint256 epoch) private view returns (Epoch storage e) {
        e = epochs[epoch];
        if (e.status != Status.Posted) revert WrongStatus(epoch, e.status);
        if (block.timestamp > uint256(e.postedAt) + window) revert WindowClosed(uint256(e.postedAt) + window);
    }

    function _requireAction(
        Epoch storage e,
        uint256 epoch,
        uint256 npcId,
        uint256 tick,
        NpcRules.Npc memory before,
        NpcRules.Npc memory after_,
        bytes32[] calldata proof
    ) private view {
        bytes32 leaf = actionLeaf(epoch, npcId, tick, before, after_);
        if (!_atPosition(proof, e.actionsRoot, leaf, npcId * ticksPerEpoch + tick)) revert NotInEpoch(epoch);
    }

    /// Whether `leaf` sits at position `index` of the positional tree with root `root`.
    function _atPosition(bytes32[] calldata proof, bytes32 root, bytes32 leaf, uint256 index)
        private
        view
        returns (bool)
    {
        if (proof.length != actionDepth) return false;
        bytes32 node = leaf;
        for (uint256 i = 0; i < proof.length; i++) {
            node = (index >> i) & 1 == 0
                ? keccak256(abi.encodePacked(node, proof[i]))
                : keccak256(abi.encodePacked(proof[i], node));
        }
        return node == root;
    }

    /// A proven fraud rejects the epoch and pays its bond to the challenger; a failed challenge
    /// pays the challenge bond to the operator.
    /// Every challenge puts up the challenge bond, whatever its outcome.
    function _settle(uint256 epoch, Epoch storage e, bool fraud, uint256 npcId, uint256 tick) private {
        if (fraud) {
            e.status = Status.Rejected;
            emit FraudProven(epoch, msg.sender, npcId, tick);
            token.safeTransferFrom(msg.sender, address(this), challengeBond);
            token.safeTransfer(msg.sender, bond + challengeBond);
        } else {
            emit ChallengeFailed(epoch, msg.sender, npcId, tick);
            token.safeTransferFrom(msg.sender, operator, challengeBond);
        }
    }

    /// @notice Challenge what sits at a position of the actions tree: the action found there (with
    /// the epoch, NPC and tick its leaf names) must be that position's own (NPC index / ticks, tick
    /// index % ticks) of this epoch. An action left out, moved or taken from another epoch is fraud.
    function challengePosition(
        uint256 epoch,
        uint256 index,
        uint256[3] calldata leafEpochNpcTick,
        NpcRules.Npc[2] memory action,
        bytes32[] calldata proof
    ) external nonReentrant {
        Epoch storage e = _posted(epoch);
        if (index >= uint256(npcCount) * ticksPerEpoch) revert OutOfRange(index, 0);
        bytes32 leaf = actionLeaf(leafEpochNpcTick[0], leafEpochNpcTick[1], leafEpochNpcTick[2], action[0], action[1]);
        if (!_atPosition(proof, e.actionsRoot, leaf, index)) revert NotInEpoch(epoch);
        _settle(epoch, e, _misplaced(epoch, index, leafEpochNpcTick), index / ticksPerEpoch, index % ticksPerEpoch);
    }

    function _misplaced(uint256 epoch, uint256 index, uint256[3] calldata leafEpochNpcTick) private view returns (bool) {
        uint256 tick = leafEpochNpcTick[2];
        // range checks first: an operator's leaf may name any numbers, and none may overflow here
        return leafEpochNpcTick[0] != epoch || tick >= ticksPerEpoch || leafEpochNpcTick[1] >= npcCount
            || leafEpochNpcTick[1] * ticksPerEpoch + tick != index;
    }

    /// @notice Challenge a blank (zero) leaf where an action must be.
    function challengeEmpty(uint256 epoch, uint256 index, bytes32[] calldata proof) external nonReentrant {
        Epoch storage e = _posted(epoch);
        if (index >= uint256(npcCount) * ticksPerEpoch) revert OutOfRange(index, 0);
        if (!_atPosition(proof, e.actionsRoot, bytes32(0), index)) revert NotInEpoch(epoch);
        _settle(epoch, e, true, index / ticksPerEpoch, index % ticksPerEpoch);
    }

    /// @notice After the window, an unchallenged epoch is final and its bond returns to the operator.
    function finalize(uint256 epoch) external nonReentrant {
        Epoch storage e = epochs[epoch];
        if (e.status != Status.Posted) revert WrongStatus(epoch, e.status);
        if (block.timestamp <= uint256(e.postedAt) + window) revert WindowOpen(uint256(e.postedAt) + window);
        e.status = Status.Final;
        emit EpochFinal(epoch);
        token.safeTransfer(operator, bond);
    }

    /// @notice Whether `state` is NPC `npcId`'s state after `epoch` (a Merkle proof against its state root).
    function verifyState(uint256 epoch, uint256 npcId, NpcRules.Npc memory state, bytes32[] calldata proof)
        public
        view
        returns (bool)
    {
        Epoch storage e = epochs[epoch];
        return e.status == Status.Final && MerkleProof.verifyCalldata(proof, e.stateRoot, stateLeaf(epoch, npcId, state));
    }

    /// @notice Buy from a merchant at its price after a final epoch (its state proven by a Merkle proof).
    function trade(uint256 epoch, uint256 npcId, NpcRules.Npc memory state, bytes32[] calldata proof, uint256 quantity)
        external
        nonReentrant
    {
        if (!verifyState(epoch, npcId, state, proof)) revert NotInEpoch(epoch);
        if (state.kind != 1) revert NotAMerchant(npcId);
        uint256 left = state.stock - sold[epoch][npcId];
        if (quantity == 0 || quantity > left) revert OutOfStock(quantity, left);
        sold[epoch][npcId] += quantity;
        uint256 paid = quantity * state.price;
        emit Traded(epoch, npcId, msg.sender, quantity, paid);
        token.safeTransferFrom(msg.sender, operator, paid);
    }
}
