// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Yuma — Yuma consensus over one epoch, in 1e18 fixed point
/// @notice Follows subtensor's docs/consensus.md: with validator stakes S (normalised over the
/// validators that set weights) and row-normalised weights W over miners,
///   consensus  c_j   = the largest w with  sum_i S_i [W_ij >= w] >= kappa
///   clipped    W'_ij = min(W_ij, c_j)
///   rank       R_j   = sum_i S_i W'_ij,   incentive I_j = R_j / sum_k R_k
///              (with medianIncentive: I_j = c_j / sum_k c_k, see below)
///   bond wts   W~_ij = (1 - beta) W_ij + beta W'_ij
///   instant    dB_ij = S_i W~_ij / sum_k S_k W~_kj
///   EMA bond   B_ij  = alpha dB_ij + (1 - alpha) B_ij(previous)
///   dividends  D_i   = sum_j B_ij I_j, normalised (validators with zero stake get none).
/// Every division rounds down; aiweb3.network.yuma holds the numpy reference it is tested against.
/// medianIncentive (this project's mitigation, not in subtensor): a validator's weight *below*
/// consensus still lowers R_j, so a minority that withholds weight from every other miner raises
/// its favourite's normalised incentive although each of its weights is clipped; paying miners
/// by the consensus itself leaves a minority only the room between the majority's own weights.
library Yuma {
    uint256 internal constant WAD = 1e18;

    struct Result {
        uint256[] consensus; // per miner
        uint256[] ranks; // per miner
        uint256[] incentive; // per miner, sums to WAD (or all zero)
        uint256[] dividends; // per validator, sums to WAD (or all zero)
        uint256[][] bonds; // validator x miner, the new EMA bonds
    }

    /// @param stakes raw stake per validator (0: did not take part this epoch)
    /// @param weights raw weights per validator over miners (each row normalised here)
    /// @param bonds previous EMA bonds, validator x miner, in WAD
    /// @param kappa, beta, alpha consensus majority, bonds penalty and bonds EMA rate, in WAD
    /// @param medianIncentive incentive from the consensus weights instead of the ranks
    function epoch(
        uint256[] memory stakes,
        uint16[][] memory weights,
        uint256[][] memory bonds,
        uint256 kappa,
        uint256 beta,
        uint256 alpha,
        bool medianIncentive
    ) internal pure returns (Result memory r) {
        (uint256[][] memory w, uint256 total) = _prepare(stakes, weights);
        uint256 nm = stakes.length == 0 ? 0 : weights[0].length;
        r.consensus = _consensus(stakes, total, w, nm, kappa);
        uint256[][] memory tilde;
        uint256[] memory colBond;
        (r.ranks, r.incentive, tilde, colBond) = _rank(stakes, total, w, r.consensus, beta);
        if (medianIncentive) r.incentive = _normalize(r.consensus);
        r.bonds = _bond(stakes, tilde, colBond, bonds, alpha);
        r.dividends = _dividends(stakes, r.bonds, r.incentive);
    }

    /// @dev Total stake and row-normalised weights (rows of validators without stake zeroed).
    /// Stakes stay raw below: the stake shares' normalisation cancels out of every ratio, and
    /// raw stakes keep a tiny stake next to a huge one exact.
    function _prepare(uint256[] memory stakes, uint16[][] memory weights)
        private
        pure
        returns (uint256[][] memory w, uint256 total)
    {
        uint256 nv = stakes.length;
        for (uint256 i; i < nv; ++i) total += stakes[i];
        w = new uint256[][](nv);
        for (uint256 i; i < nv; ++i) {
            w[i] = stakes[i] == 0 ? new uint256[](weights[i].length) : _normalizeRow(weights[i]);
        }
    }

    /// @dev Ranks and incentive from consensus-clipped weights; the bonds-penalised weights and
    /// their stake-weighted column sums for bonding.
    function _rank(
        uint256[] memory stakes,
        uint256 total,
        uint256[][] memory w,
        uint256[] memory consensus,
        uint256 beta
    )
        private
        pure
        returns (uint256[] memory ranks, uint256[] memory incentive, uint256[][] memory tilde, uint256[] memory colBond)
    {
        uint256 nm = consensus.length;
        ranks = new uint256[](nm); // stake-weighted, not yet divided by the total stake
        incentive = new uint256[](nm);
        colBond = new uint256[](nm);
        tilde = new uint256[][](stakes.length);
        for (uint256 i; i < stakes.length; ++i) {
            tilde[i] = new uint256[](nm);
            for (uint256 j; j < nm; ++j) {
                uint256 clipped = w[i][j] < consensus[j] ? w[i][j] : consensus[j];
                ranks[j] += stakes[i] * clipped;
                tilde[i][j] = ((WAD - beta) * w[i][j] + beta * clipped) / WAD;
                colBond[j] += stakes[i] * tilde[i][j];
            }
        }
        uint256 rankSum = 0;
        for (uint256 j; j < nm; ++j) rankSum += ranks[j];
        for (uint256 j; j < nm; ++j) {
            if (rankSum > 0) incentive[j] = (ranks[j] * WAD) / rankSum;
            ranks[j] = total == 0 ? 0 : ranks[j] / total;
        }
    }

    /// @dev Instant bonds and their EMA with the previous bonds.
    function _bond(
        uint256[] memory stakes,
        uint256[][] memory tilde,
        uint256[] memory colBond,
        uint256[][] memory bonds,
        uint256 alpha
    ) private pure returns (uint256[][] memory newBonds) {
        newBonds = new uint256[][](stakes.length);
        for (uint256 i; i < stakes.length; ++i) {
            newBonds[i] = new uint256[](colBond.length);
            for (uint256 j; j < colBond.length; ++j) {
                // alpha * instant bond (stake * tilde / column sum, in WAD) + (1 - alpha) * old bond
                uint256 fresh = colBond[j] == 0 ? 0 : (alpha * stakes[i] * tilde[i][j]) / colBond[j];
                newBonds[i][j] = fresh + ((WAD - alpha) * bonds[i][j]) / WAD;
            }
        }
    }

    /// @dev Dividends: bonds times incentive, normalised; validators without stake get none.
    function _dividends(uint256[] memory stakes, uint256[][] memory bonds, uint256[] memory incentive)
        private
        pure
        returns (uint256[] memory dividends)
    {
        dividends = new uint256[](stakes.length);
        uint256 sum = 0;
        for (uint256 i; i < stakes.length; ++i) {
            if (stakes[i] == 0) continue;
            for (uint256 j; j < incentive.length; ++j) dividends[i] += (bonds[i][j] * incentive[j]) / WAD;
            sum += dividends[i];
        }
        for (uint256 i; i < stakes.length; ++i) dividends[i] = sum == 0 ? 0 : (dividends[i] * WAD) / sum;
    }

    /// @dev Shares of WAD (all zero when the vector is).
    function _normalize(uint256[] memory v) private pure returns (uint256[] memory out) {
        out = new uint256[](v.length);
        uint256 sum = 0;
        for (uint256 j; j < v.length; ++j) sum += v[j];
        if (sum == 0) return out;
        for (uint256 j; j < v.length; ++j) out[j] = (v[j] * WAD) / sum;
    }

    function _normalizeRow(uint16[] memory row) private pure returns (uint256[] memory out) {
        out = new uint256[](row.length);
        uint256 sum = 0;
        for (uint256 j; j < row.length; ++j) sum += row[j];
        if (sum == 0) return out;
        for (uint256 j; j < row.length; ++j) out[j] = (uint256(row[j]) * WAD) / sum;
    }

    /// @dev The largest weight on each miner that validators holding at least kappa of the stake
    /// meet or exceed (0 if none): compared on raw stakes, so no rounding moves the threshold.
    function _consensus(uint256[] memory stakes, uint256 total, uint256[][] memory w, uint256 nm, uint256 kappa)
        private
        pure
        returns (uint256[] memory c)
    {
        c = new uint256[](nm);
        uint256 nv = stakes.length;
        for (uint256 j; j < nm; ++j) {
            uint256 best = 0;
            for (uint256 a; a < nv; ++a) {
                uint256 candidate = w[a][j];
                if (candidate <= best || stakes[a] == 0) continue;
                uint256 support = 0;
                for (uint256 i; i < nv; ++i) {
                    if (w[i][j] >= candidate) support += stakes[i];
                }
                if (support * WAD >= kappa * total) best = candidate;
            }
            c[j] = best;
        }
    }
}
