pragma circom 2.1.0;

// Shielded pool withdrawal: proves, without saying which, that the prover knows (nullifier, secret)
// of a deposit whose commitment Poseidon(nullifier, secret) is a leaf of the pool's tree (root) and
// also of an approved association set (associationRoot, Privacy Pools style), and binds the proof
// to nullifierHash = Poseidon(nullifier) (spent once), the payout (recipient, relayer, fee) and
// the pool (chainId, pool address), so a proof cannot be redirected or replayed elsewhere.

include "circomlib/circuits/poseidon.circom";

// The root of a Poseidon Merkle tree of `levels` levels holding `leaf` at the position whose bits
// (least significant first: 0 = left child) are `pathIndices`, with siblings `pathElements`.
template MerkleRoot(levels) {
    signal input leaf;
    signal input pathElements[levels];
    signal input pathIndices[levels];
    signal output root;

    signal node[levels + 1];
    signal left[levels];
    signal right[levels];
    component hashers[levels];
    node[0] <== leaf;
    for (var i = 0; i < levels; i++) {
        pathIndices[i] * (1 - pathIndices[i]) === 0;
        // bit 0: (node, sibling); bit 1: (sibling, node)
        left[i] <== node[i] + pathIndices[i] * (pathElements[i] - node[i]);
        right[i] <== pathElements[i] + node[i] - left[i];
        hashers[i] = Poseidon(2);
        hashers[i].inputs[0] <== left[i];
        hashers[i].inputs[1] <== right[i];
        node[i + 1] <== hashers[i].out;
    }
    root <== node[levels];
}

template Withdraw(levels) {
    // public
    signal input root;
    signal input nullifierHash;
    signal input recipient;
    signal input relayer;
    signal input fee;
    signal input chainId;
    signal input pool;
    signal input associationRoot;
    // private
    signal input nullifier;
    signal input secret;
    signal input pathElements[levels];
    signal input pathIndices[levels];
    signal input associationPathElements[levels];
    signal input associationPathIndices[levels];

    component commitment = Poseidon(2);
    commitment.inputs[0] <== nullifier;
    commitment.inputs[1] <== secret;

    component spent = Poseidon(1);
    spent.inputs[0] <== nullifier;
    spent.out === nullifierHash;

    component tree = MerkleRoot(levels);
    tree.leaf <== commitment.out;
    for (var i = 0; i < levels; i++) {
        tree.pathElements[i] <== pathElements[i];
        tree.pathIndices[i] <== pathIndices[i];
    }
    tree.root === root;

    component approved = MerkleRoot(levels);
    approved.leaf <== commitment.out;
    for (var i = 0; i < levels; i++) {
        approved.pathElements[i] <== associationPathElements[i];
        approved.pathIndices[i] <== associationPathIndices[i];
    }
    approved.root === associationRoot;

    // Constrain the bound public inputs so no optimiser can drop them from the proof.
    signal recipientSquare <== recipient * recipient;
    signal relayerSquare <== relayer * relayer;
    signal feeSquare <== fee * fee;
    signal chainSquare <== chainId * chainId;
    signal poolSquare <== pool * pool;
}

component main {public [root, nullifierHash, recipient, relayer, fee, chainId, pool, associationRoot]} = Withdraw(20);
