// Compile contracts/src/*.sol with the pinned solc-js and write one artifact per contract to
// src/aiweb3/contracts/artifacts/<Name>.json (ABI, bytecode, compiler version, source hashes).
// The artifacts are committed; tests/unit/test_artifacts.py fails when they are stale.
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..");
const require = createRequire(import.meta.url);
const solc = require("solc");
const outDir = join(root, "src", "aiweb3", "contracts", "artifacts");
const settingsText = readFileSync(join(here, "solc-settings.json"), "utf8");

const sha256 = (text) => createHash("sha256").update(text).digest("hex");

// Local sources, keyed "src/<file>.sol"; sorted so the build hash is stable.
const files = readdirSync(join(here, "src")).filter((f) => f.endsWith(".sol")).sort();
const sources = {};
for (const f of files) sources[`src/${f}`] = { content: readFileSync(join(here, "src", f), "utf8") };

// buildHash covers every local source and the compiler settings (see aiweb3.chain.contracts).
const build = createHash("sha256");
build.update(`${solc.version()}\0${settingsText}\0`);
for (const key of Object.keys(sources)) build.update(`${key}\0${sources[key].content}\0`);
const buildHash = build.digest("hex");

function findImports(path) {
  for (const base of [join(root, "node_modules"), here]) {
    try {
      return { contents: readFileSync(join(base, path), "utf8") };
    } catch {}
  }
  return { error: `import not found: ${path}` };
}

const input = { language: "Solidity", sources, settings: JSON.parse(settingsText) };
const started = Date.now();
const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
const errors = (output.errors || []).filter((e) => e.severity === "error");
for (const e of output.errors || []) process.stderr.write(`${e.formattedMessage}\n`);
if (errors.length) process.exit(1);

mkdirSync(outDir, { recursive: true });
const written = new Set();
for (const [source, contracts] of Object.entries(output.contracts)) {
  if (!sources[source]) continue; // only our own contracts, not the imports
  for (const [name, c] of Object.entries(contracts)) {
    if (!c.evm.bytecode.object) continue; // interfaces and abstract contracts
    const artifact = {
      contractName: name,
      sourceFile: `contracts/${source}`,
      sourceHash: sha256(sources[source].content),
      buildHash,
      compiler: `solc-js ${solc.version()}`,
      settings: JSON.parse(settingsText),
      abi: c.abi,
      bytecode: `0x${c.evm.bytecode.object}`,
      deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
    };
    const target = join(outDir, `${name}.json`);
    writeFileSync(`${target}.tmp`, `${JSON.stringify(artifact, null, 2)}\n`);
    renameSync(`${target}.tmp`, target);
    written.add(`${name}.json`);
  }
}
for (const f of readdirSync(outDir)) {
  if (f.endsWith(".json") && !written.has(f)) rmSync(join(outDir, f));
}
process.stderr.write(
  `compiled ${files.length} source(s) into ${written.size} artifact(s) in ${Date.now() - started} ms\n`,
);
