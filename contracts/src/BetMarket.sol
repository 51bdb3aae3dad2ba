// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// @notice What the market reads from the arena (GameArena's shape).
interface IGameArena {
    function result(uint256 matchId) external view returns (uint8 status, address winner);
    function statusOf(uint256 matchId) external view returns (uint8);
    function creatorOf(uint256 matchId) external view returns (address);
    function token() external view returns (IERC20);
}

/// @title BetMarket — parimutuel betting on GameArena matches, settled by the arena's result
/// @notice Spectators bet AIUSD on either side of a match while it is open (not yet joined); a bet
/// can be withdrawn until then. Once the arena finishes the match, the bettors on the winner share
/// the whole pool in proportion to their bets (the last winning claim takes the rounding dust, so
/// nothing stays behind). A draw, a cancelled match, or a pool nobody bet on the winner in is
/// refunded bet for bet. Every match the arena holds can be ended by anyone (timeouts), so no
/// bet stays locked.
contract BetMarket is ReentrancyGuard {
    using SafeERC20 for IERC20;

    uint8 private constant OPEN = 1;
    uint8 private constant FINISHED = 4;
    uint8 private constant CANCELLED = 5;

    IGameArena public immutable arena;
    IERC20 public immutable token;

    mapping(uint256 => uint256[2]) private _totals;
    mapping(uint256 => mapping(address => uint256[2])) private _bets;
    mapping(uint256 => uint256) public paidOut;
    mapping(uint256 => uint256) public claimedWinningStake;

    event BetPlaced(uint256 indexed matchId, address indexed bettor, uint8 side, uint256 amount);
    event BetWithdrawn(uint256 indexed matchId, address indexed bettor, uint256 amount);
    event BetPaid(uint256 indexed matchId, address indexed bettor, uint256 amount, bool refund);

    error BadSide(uint8 side);
    error ZeroAmount();
    error BettingClosed(uint256 matchId, uint8 status);
    error NotSettled(uint256 matchId, uint8 status);
    error NothingToClaim(uint256 matchId, address bettor);

    constructor(IGameArena arena_) {
        arena = arena_;
        token = arena_.token();
    }

    /// @notice Bet `amount` on `side` (0: the match's creator, 1: the joiner) while the match is open.
    function bet(uint256 matchId, uint8 side, uint256 amount) external nonReentrant {
        if (side > 1) revert BadSide(side);
        if (amount == 0) revert ZeroAmount();
        uint8 status = arena.statusOf(matchId);
        if (status != OPEN) revert BettingClosed(matchId, status);
        _bets[matchId][msg.sender][side] += amount;
        _totals[matchId][side] += amount;
        emit BetPlaced(matchId, msg.sender, side, amount);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Take back every bet on a match that has not started.
    function withdraw(uint256 matchId) external nonReentrant {
        uint8 status = arena.statusOf(matchId);
        if (status != OPEN) revert BettingClosed(matchId, status);
        uint256[2] storage mine = _bets[matchId][msg.sender];
        (_totals[matchId][0], _totals[matchId][1]) = (_totals[matchId][0] - mine[0], _totals[matchId][1] - mine[1]);
        uint256 amount = _takeAll(matchId, msg.sender);
        emit BetWithdrawn(matchId, msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    /// @notice After the match: winnings (or a refund) for the caller's bets.
    function claim(uint256 matchId) external nonReentrant {
        (uint8 status, address winner) = arena.result(matchId);
        if (status != FINISHED && status != CANCELLED) revert NotSettled(matchId, status);
        (bool refund, uint8 side) = _winningSide(matchId, status, winner);
        uint256 amount;
        if (refund) {
            amount = _takeAll(matchId, msg.sender);
        } else {
            uint256 stake = _bets[matchId][msg.sender][side];
            if (stake == 0) revert NothingToClaim(matchId, msg.sender);
            _takeAll(matchId, msg.sender);
            uint256 pool = _totals[matchId][0] + _totals[matchId][1];
            uint256 claimed = claimedWinningStake[matchId] + stake;
            claimedWinningStake[matchId] = claimed;
            uint256 sideTotal = _totals[matchId][side];
            amount = claimed == sideTotal ? pool - paidOut[matchId] : (stake * pool) / sideTotal;
            paidOut[matchId] += amount;
        }
        emit BetPaid(matchId, msg.sender, amount, refund);
        token.safeTransfer(msg.sender, amount);
    }

    /// @notice The pool on each side of a match.
    function totals(uint256 matchId) external view returns (uint256 onA, uint256 onB) {
        return (_totals[matchId][0], _totals[matchId][1]);
    }

    /// @notice A bettor's open bets on each side (zero once claimed or withdrawn).
    function betsOf(uint256 matchId, address bettor) external view returns (uint256 onA, uint256 onB) {
        return (_bets[matchId][bettor][0], _bets[matchId][bettor][1]);
    }

    function _winningSide(uint256 matchId, uint8 status, address winner) private view returns (bool, uint8) {
        if (status == CANCELLED || winner == address(0)) return (true, 0);
        uint8 side = winner == arena.creatorOf(matchId) ? 0 : 1;
        return (_totals[matchId][side] == 0, side);
    }

    /// Zero a bettor's bets (the side totals stay: they price the pool).
    function _takeAll(uint256 matchId, address bettor) private returns (uint256 amount) {
        uint256[2] storage mine = _bets[matchId][bettor];
        amount = mine[0] + mine[1];
        if (amount == 0) revert NothingToClaim(matchId, bettor);
        (mine[0], mine[1]) = (0, 0);
    }
}
