// The shielded pool's Node side: Poseidon (circomlib's parameters and constants, the hash the
// circuit and the on-chain PoseidonT3 compute), Merkle paths, Groth16 proofs and verification (snarkjs).
//
//   node pool.mjs --node-modules DIR   < request.json   > reply.json
//
// Requests (numbers as decimal strings):
//   {"command": "note", "nullifier", "secret"}                 -> {commitment, nullifierHash}
//   {"command": "root", "leaves": [...], "zero", "levels"}     -> {root}
//   {"command": "prove", "wasm", "zkey", "zero", "levels", "leaves", "index",
//    "associationLeaves", "associationIndex", "nullifier", "secret",
//    "recipient", "relayer", "fee", "chainId", "pool"}          -> {proof, publicSignals}
//   {"command": "input", ...the same without wasm and zkey}    -> the circuit's input (witness JSON)
//   {"command": "verify", "vkey", "proof", "publicSignals"}   -> {valid}
// `proof` is eight numbers in the order the Solidity verifier takes them (a, b, c; b's pairs swapped).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const { values: opts } = parseArgs({ options: { "node-modules": { type: "string" } } });
const modules = resolve(opts["node-modules"] ?? "node_modules");
const require = createRequire(join(modules, "aiweb3-pool.cjs"));
const snarkjs = require("snarkjs");

// Poseidon over BN254 with circomlib's parameters (8 full rounds, the partial rounds per width
// below, x^5, circomlibjs's round constants and MDS matrices): plain BigInt arithmetic, so a proof
// does not wait for circomlibjs to build a WebAssembly curve (~0.5 s) before snarkjs builds its own.
const P = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const FULL_ROUNDS = 8;
const PARTIAL_ROUNDS = [56, 57];
let constants = null;
function poseidonConstants() {
  if (!constants) {
    const raw = JSON.parse(readFileSync(join(modules, "circomlibjs", "src", "poseidon_constants.json"), "utf8"));
    constants = { C: raw.C.slice(0, 2).map((c) => c.map(BigInt)), M: raw.M.slice(0, 2).map((m) => m.map((row) => row.map(BigInt))) };
  }
  return constants;
}
const pow5 = (x) => {
  const x2 = (x * x) % P;
  return (((x2 * x2) % P) * x) % P;
};
function hash(...inputs) {
  const t = inputs.length + 1;
  const { C, M } = poseidonConstants();
  const c = C[t - 2];
  const m = M[t - 2];
  const partial = PARTIAL_ROUNDS[t - 2];
  let state = [0n, ...inputs.map((x) => BigInt(x) % P)];
  for (let r = 0; r < FULL_ROUNDS + partial; r++) {
    state = state.map((x, i) => (x + c[r * t + i]) % P);
    if (r < FULL_ROUNDS / 2 || r >= FULL_ROUNDS / 2 + partial) state = state.map(pow5);
    else state[0] = pow5(state[0]);
    state = m.map((row) => row.reduce((acc, mij, j) => acc + mij * state[j], 0n) % P);
  }
  return state[0];
}

// Every layer of the sparse tree above `leaves`, and the siblings of leaf `index`.
function merklePath(leaves, index, zero, levels) {
  let layer = leaves.map(BigInt);
  let node = BigInt(zero);
  const pathElements = [];
  const pathIndices = [];
  let position = index;
  for (let level = 0; level < levels; level++) {
    const sibling = position ^ 1;
    pathElements.push((sibling < layer.length ? layer[sibling] : node).toString());
    pathIndices.push(position & 1);
    const next = [];
    for (let i = 0; i < layer.length; i += 2) next.push(hash(layer[i], i + 1 < layer.length ? layer[i + 1] : node));
    layer = next;
    node = hash(node, node);
    position >>= 1;
  }
  return { root: (layer.length ? layer[0] : node).toString(), pathElements, pathIndices };
}

function toCalldata(proof) {
  const [a, b, c] = [proof.pi_a, proof.pi_b, proof.pi_c];
  return [a[0], a[1], b[0][1], b[0][0], b[1][1], b[1][0], c[0], c[1]].map(String);
}

function fromCalldata(p) {
  return {
    protocol: "groth16",
    curve: "bn128",
    pi_a: [p[0], p[1], "1"],
    pi_b: [[p[3], p[2]], [p[5], p[4]], ["1", "0"]],
    pi_c: [p[6], p[7], "1"],
  };
}

async function handle(req) {
  switch (req.command) {
    case "note":
      return {
        commitment: hash(BigInt(req.nullifier), BigInt(req.secret)).toString(),
        nullifierHash: hash(BigInt(req.nullifier)).toString(),
      };
    case "root":
      return { root: merklePath(req.leaves.length ? req.leaves : [req.zero], 0, req.zero, req.levels).root };
    case "input":
      return circuitInput(req);
    case "prove": {
      const { proof, publicSignals } = await snarkjs.groth16.fullProve(circuitInput(req), req.wasm, req.zkey);
      return { proof: toCalldata(proof), publicSignals };
    }
    case "verify": {
      const vkey = JSON.parse(readFileSync(req.vkey, "utf8"));
      return { valid: await snarkjs.groth16.verify(vkey, req.publicSignals, fromCalldata(req.proof)) };
    }
    default:
      throw new Error(`unknown command ${JSON.stringify(req.command)}`);
  }
}

function circuitInput(req) {
  for (const [leaves, index] of [[req.leaves, req.index], [req.associationLeaves, req.associationIndex]]) {
    if (!(Number.isInteger(index) && index >= 0 && index < leaves.length)) throw new Error("the note's leaf index is not in the tree");
  }
  const tree = merklePath(req.leaves, req.index, req.zero, req.levels);
  const assoc = merklePath(req.associationLeaves, req.associationIndex, req.zero, req.levels);
  return {
    root: tree.root,
    nullifierHash: hash(BigInt(req.nullifier)).toString(),
    recipient: req.recipient,
    relayer: req.relayer,
    fee: req.fee,
    chainId: req.chainId,
    pool: req.pool,
    associationRoot: assoc.root,
    nullifier: req.nullifier,
    secret: req.secret,
    pathElements: tree.pathElements,
    pathIndices: tree.pathIndices,
    associationPathElements: assoc.pathElements,
    associationPathIndices: assoc.pathIndices,
  };
}

let status = 0;
try {
  const reply = await handle(JSON.parse(readFileSync(0, "utf8")));
  process.stdout.write(`${JSON.stringify(reply)}\n`);
} catch (err) {
  process.stderr.write(`${err.message ?? err}\n`);
  status = 1;
}
process.exit(status);
