// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// @title GameArena — a two-player grid battle with committed moves and stakes in escrow
/// @notice Two fighters on a 7x7 grid, each with hit points and energy, pick one action a turn:
/// rest, move (up, down, left, right), attack or defend. Each turn both players first commit to
/// keccak256(abi.encode(matchId, turn, player, action, salt)) and then reveal, so neither sees the
/// other's move first; the turn's randomness is keccak256(saltA, saltB), known only once both
/// have revealed. A reveal that does not open its commitment loses the match. A player who stops
/// committing or revealing loses when the phase deadline passes (claimTimeout); if neither acted,
/// the match is a draw. The winner takes both stakes; a draw returns each stake. The rules are
/// pure (step) and mirrored exactly by aiweb3.games.rules.
contract GameArena is ReentrancyGuard {
    using SafeERC20 for IERC20;

    uint8 public constant SIZE = 7;
    uint8 public constant MAX_HP = 10;
    uint8 public constant MAX_ENERGY = 10;
    uint8 public constant START_ENERGY = 5;
    uint8 public constant MAX_TURNS = 40;
    uint8 public constant ACTIONS = 7; // 0 rest, 1 up, 2 down, 3 left, 4 right, 5 attack, 6 defend
    uint32 public constant MIN_TIMEOUT = 10;
    uint32 public constant MAX_TIMEOUT = 7 days;

    enum Status {
        None,
        Open,
        Committing,
        Revealing,
        Finished,
        Cancelled
    }

    enum EndReason {
        None,
        Knockout,
        TurnLimit,
        Timeout,
        BadReveal
    }

    struct Fighter {
        uint8 x;
        uint8 y;
        uint8 hp;
        uint8 energy;
    }

    struct Match {
        address a;
        address b; // the invited opponent while Open (address(0): anyone), then the joiner
        uint96 stake;
        Status status;
        EndReason reason;
        uint8 turn;
        uint32 timeout;
        uint40 deadline;
        Fighter fa;
        Fighter fb;
        bytes32 commitA;
        bytes32 commitB;
        bytes32 saltA;
        bytes32 saltB;
        uint8 actionA;
        uint8 actionB;
        bool revealedA;
        bool revealedB;
        address winner; // address(0) for a draw
        bytes32 botA;
        bytes32 botB;
    }

    IERC20 public immutable token;
    uint256 public matchCount;
    mapping(uint256 => Match) private _matches;

    event MatchCreated(uint256 indexed matchId, address indexed a, address opponent, uint256 stake, bytes32 bot);
    event MatchJoined(uint256 indexed matchId, address indexed b, bytes32 bot);
    event MatchCancelled(uint256 indexed matchId);
    event MoveCommitted(uint256 indexed matchId, uint8 turn, address indexed player);
    event MoveRevealed(uint256 indexed matchId, uint8 turn, address indexed player, uint8 action);
    event TurnResolved(
        uint256 indexed matchId, uint8 turn, uint8 actionA, uint8 actionB, Fighter fa, Fighter fb, bytes32 seed
    );
    event MatchFinished(uint256 indexed matchId, address indexed winner, EndReason reason, uint8 turns);

    error BadTimeout(uint32 timeout);
    error UnknownMatch(uint256 matchId);
    error WrongStatus(uint256 matchId, Status status);
    error NotInvited(address caller);
    error NotPlayer(address caller);
    error NotCreator(address caller);
    error AlreadyCommitted(address player);
    error AlreadyRevealed(address player);
    error DeadlinePassed(uint256 deadline, uint256 blockTime);
    error TooEarly(uint256 deadline, uint256 blockTime);
    error BadAction(uint8 action);

    constructor(IERC20 token_) {
        token = token_;
    }

    // ---------------------------------------------------------------- matches

    /// @notice Open a match with `stake` (pulled now) against `opponent` (address(0): anyone).
    /// `timeout` is each phase's time limit in seconds; `bot` names the creator's bot (or zero).
    function create(address opponent, uint96 stake, uint32 timeout, bytes32 bot)
        external
        nonReentrant
        returns (uint256 matchId)
    {
        if (timeout < MIN_TIMEOUT || timeout > MAX_TIMEOUT) revert BadTimeout(timeout);
        matchId = ++matchCount;
        Match storage m = _matches[matchId];
        m.a = msg.sender;
        m.b = opponent;
        m.stake = stake;
        m.timeout = timeout;
        m.status = Status.Open;
        m.botA = bot;
        emit MatchCreated(matchId, msg.sender, opponent, stake, bot);
        if (stake > 0) token.safeTransferFrom(msg.sender, address(this), stake);
    }

    /// @notice Join an open match, matching its stake; the first commit phase starts now.
    function join(uint256 matchId, bytes32 bot) external nonReentrant {
        Match storage m = _open(matchId, Status.Open);
        if (msg.sender == m.a || (m.b != address(0) && m.b != msg.sender)) revert NotInvited(msg.sender);
        m.b = msg.sender;
        m.botB = bot;
        m.status = Status.Committing;
        m.fa = Fighter(0, SIZE / 2, MAX_HP, START_ENERGY);
        m.fb = Fighter(SIZE - 1, SIZE / 2, MAX_HP, START_ENERGY);
        m.deadline = uint40(block.timestamp + m.timeout);
        emit MatchJoined(matchId, msg.sender, bot);
        if (m.stake > 0) token.safeTransferFrom(msg.sender, address(this), m.stake);
    }

    /// @notice The creator withdraws a match nobody joined; the stake is returned.
    function cancel(uint256 matchId) external nonReentrant {
        Match storage m = _open(matchId, Status.Open);
        if (msg.sender != m.a) revert NotCreator(msg.sender);
        m.status = Status.Cancelled;
        emit MatchCancelled(matchId);
        if (m.stake > 0) token.safeTransfer(m.a, m.stake);
    }

    /// @notice Commit this turn's move: keccak256(abi.encode(matchId, turn, msg.sender, action, salt)).
    function commit(uint256 matchId, bytes32 sealedMove) external {
        Match storage m = _open(matchId, Status.Committing);
        if (block.timestamp > m.deadline) revert DeadlinePassed(m.deadline, block.timestamp);
        if (msg.sender == m.a) {
            if (m.commitA != 0) revert AlreadyCommitted(msg.sender);
            m.commitA = sealedMove;
        } else if (msg.sender == m.b) {
            if (m.commitB != 0) revert AlreadyCommitted(msg.sender);
            m.commitB = sealedMove;
        } else {
            revert NotPlayer(msg.sender);
        }
        emit MoveCommitted(matchId, m.turn, msg.sender);
        if (m.commitA != 0 && m.commitB != 0) {
            m.status = Status.Revealing;
            m.deadline = uint40(block.timestamp + m.timeout);
        }
    }

    /// @notice Open this turn's commitment. One that does not match (or an unknown action) loses.
    function reveal(uint256 matchId, uint8 action, bytes32 salt) external nonReentrant {
        Match storage m = _open(matchId, Status.Revealing);
        if (block.timestamp > m.deadline) revert DeadlinePassed(m.deadline, block.timestamp);
        bool isA = msg.sender == m.a;
        if (!isA && msg.sender != m.b) revert NotPlayer(msg.sender);
        if (isA ? m.revealedA : m.revealedB) revert AlreadyRevealed(msg.sender);
        bytes32 expected = isA ? m.commitA : m.commitB;
        if (commitment(matchId, m.turn, msg.sender, action, salt) != expected || action >= ACTIONS) {
            _finish(matchId, m, isA ? m.b : m.a, EndReason.BadReveal);
            return;
        }
        emit MoveRevealed(matchId, m.turn, msg.sender, action);
        if (isA) {
            (m.revealedA, m.actionA, m.saltA) = (true, action, salt);
        } else {
            (m.revealedB, m.actionB, m.saltB) = (true, action, salt);
        }
        if (m.revealedA && m.revealedB) _resolve(matchId, m);
    }

    /// @notice After a phase deadline: the player who acted wins; if neither did, a draw.
    function claimTimeout(uint256 matchId) external nonReentrant {
        Match storage m = _matches[matchId];
        if (m.status != Status.Committing && m.status != Status.Revealing) revert WrongStatus(matchId, m.status);
        if (block.timestamp <= m.deadline) revert TooEarly(m.deadline, block.timestamp);
        bool actedA = m.status == Status.Committing ? m.commitA != 0 : m.revealedA;
        bool actedB = m.status == Status.Committing ? m.commitB != 0 : m.revealedB;
        address winner = actedA == actedB ? address(0) : (actedA ? m.a : m.b);
        _finish(matchId, m, winner, EndReason.Timeout);
    }

    /// @notice A match as stored.
    function getMatch(uint256 matchId) external view returns (Match memory) {
        return _matches[matchId];
    }

    /// @notice The status and winner of a match (address(0) while unsettled or for a draw).
    function result(uint256 matchId) external view returns (Status status, address winner) {
        Match storage m = _matches[matchId];
        return (m.status, m.winner);
    }

    /// @notice A match's status.
    function statusOf(uint256 matchId) external view returns (Status) {
        return _matches[matchId].status;
    }

    /// @notice Who opened a match (its first player).
    function creatorOf(uint256 matchId) external view returns (address) {
        return _matches[matchId].a;
    }

    /// @notice The commitment a player sends for `action` with `salt`.
    function commitment(uint256 matchId, uint8 turn, address player, uint8 action, bytes32 salt)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(matchId, turn, player, action, salt));
    }

    // ---------------------------------------------------------------- rules

    /// @notice One turn of the rules: both actions at once, then the fighters after it.
    function step(Fighter memory a, Fighter memory b, uint8 actA, uint8 actB, bytes32 seed)
        public
        pure
        returns (Fighter memory, Fighter memory)
    {
        if (actA >= ACTIONS) revert BadAction(actA);
        if (actB >= ACTIONS) revert BadAction(actB);
        actA = _affordable(a, actA);
        actB = _affordable(b, actB);
        _spend(a, actA);
        _spend(b, actB);
        _move(a, b, actA, actB);
        uint256 dist = _diff(a.x, b.x) + _diff(a.y, b.y);
        uint256 r = uint256(seed);
        uint8 damageToB = actA == 5 ? _damage(dist, uint8(r % 3), actB == 6) : 0;
        uint8 damageToA = actB == 5 ? _damage(dist, uint8((r >> 8) % 3), actA == 6) : 0;
        b.hp = damageToB >= b.hp ? 0 : b.hp - damageToB;
        a.hp = damageToA >= a.hp ? 0 : a.hp - damageToA;
        return (a, b);
    }

    /// @notice The turn's randomness: both players' revealed salts.
    function turnSeed(bytes32 saltA, bytes32 saltB) public pure returns (bytes32) {
        return keccak256(abi.encodePacked(saltA, saltB));
    }

    /// Both moves at once: into the other's cell, off the grid, or both into one cell: no move.
    function _move(Fighter memory a, Fighter memory b, uint8 actA, uint8 actB) private pure {
        (uint8 ax, uint8 ay) = _target(a, actA);
        (uint8 bx, uint8 by) = _target(b, actB);
        if (ax == b.x && ay == b.y) (ax, ay) = (a.x, a.y);
        if (bx == a.x && by == a.y) (bx, by) = (b.x, b.y);
        if (ax == bx && ay == by) return;
        (a.x, a.y, b.x, b.y) = (ax, ay, bx, by);
    }

    function _affordable(Fighter memory f, uint8 action) private pure returns (uint8) {
        uint8 cost = action == 5 ? 2 : (action >= 1 && action <= 4 ? 1 : 0);
        return f.energy < cost ? 0 : action;
    }

    function _spend(Fighter memory f, uint8 action) private pure {
        if (action == 0) {
            f.energy = f.energy + 2 > MAX_ENERGY ? MAX_ENERGY : f.energy + 2;
        } else if (action == 6) {
            f.energy = f.energy + 1 > MAX_ENERGY ? MAX_ENERGY : f.energy + 1;
        } else if (action == 5) {
            f.energy -= 2;
        } else {
            f.energy -= 1;
        }
    }

    function _target(Fighter memory f, uint8 action) private pure returns (uint8 x, uint8 y) {
        (x, y) = (f.x, f.y);
        if (action == 1 && y > 0) y -= 1;
        else if (action == 2 && y < SIZE - 1) y += 1;
        else if (action == 3 && x > 0) x -= 1;
        else if (action == 4 && x < SIZE - 1) x += 1;
    }

    function _damage(uint256 dist, uint8 roll, bool defended) private pure returns (uint8) {
        if (dist > 2) return 0;
        uint8 dmg = (dist <= 1 ? 2 : 1) + roll;
        return defended ? dmg / 2 : dmg;
    }

    function _diff(uint8 p, uint8 q) private pure returns (uint256) {
        return p > q ? p - q : q - p;
    }

    // ---------------------------------------------------------------- internals

    function _open(uint256 matchId, Status want) private view returns (Match storage m) {
        m = _matches[matchId];
        if (m.status == Status.None) revert UnknownMatch(matchId);
        if (m.status != want) revert WrongStatus(matchId, m.status);
    }

    function _resolve(uint256 matchId, Match storage m) private {
        bytes32 seed = turnSeed(m.saltA, m.saltB);
        (Fighter memory fa, Fighter memory fb) = step(m.fa, m.fb, m.actionA, m.actionB, seed);
        (m.fa, m.fb) = (fa, fb);
        uint8 turn = m.turn;
        emit TurnResolved(matchId, turn, m.actionA, m.actionB, fa, fb, seed);
        if (fa.hp == 0 || fb.hp == 0) {
            _finish(matchId, m, fa.hp == fb.hp ? address(0) : (fa.hp == 0 ? m.b : m.a), EndReason.Knockout);
        } else if (turn + 1 >= MAX_TURNS) {
            _finish(matchId, m, fa.hp == fb.hp ? address(0) : (fa.hp < fb.hp ? m.b : m.a), EndReason.TurnLimit);
        } else {
            m.turn = turn + 1;
            (m.commitA, m.commitB, m.revealedA, m.revealedB) = (0, 0, false, false);
            m.status = Status.Committing;
            m.deadline = uint40(block.timestamp + m.timeout);
        }
    }

    function _finish(uint256 matchId, Match storage m, address winner, EndReason reason) private {
        m.status = Status.Finished;
        m.reason = reason;
        m.winner = winner;
        emit MatchFinished(matchId, winner, reason, m.turn + 1);
        uint256 stake = m.stake;
        if (stake == 0) return;
        if (winner == address(0)) {
            token.safeTransfer(m.a, stake);
            token.safeTransfer(m.b, stake);
        } else {
            token.safeTransfer(winner, 2 * stake);
        }
    }
}
