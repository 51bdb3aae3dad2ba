#!/usr/bin/env node
// A `solc` executable for analysers that drive the compiler through `--standard-json` (Slither via
// crytic-compile), for any pinned solc-js version: AIWEB3_SOLC_PACKAGE names the npm alias
// (solc0426, ...; default solc) and AIWEB3_NODE_MODULES the node_modules folder holding it.
// aiweb3.redteam.solc.solc_standin(version) gives the path and that environment.
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { compileWith, loadSolc } from "./solcjs.mjs";

const modules = process.env.AIWEB3_NODE_MODULES;
if (!modules) {
  process.stderr.write("solc stand-in: set AIWEB3_NODE_MODULES to the node_modules folder\n");
  process.exit(2);
}
const solc = loadSolc(modules, process.env.AIWEB3_SOLC_PACKAGE || "solc");
const args = process.argv.slice(2);

function findImports(path) {
  for (const base of [process.cwd(), modules]) {
    const full = resolve(base, path);
    if (existsSync(full)) return { contents: readFileSync(full, "utf8") };
  }
  return { error: `import not found: ${path}` };
}

if (args.includes("--version")) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
} else if (args.includes("--standard-json")) {
  const input = JSON.parse(readFileSync(0, "utf8"));
  for (const [name, source] of Object.entries(input.sources ?? {})) {
    if (source.content === undefined && source.urls?.length) {
      const found = findImports(source.urls[0]);
      if (found.error) {
        process.stderr.write(`solc stand-in: ${found.error}\n`);
        process.exit(1);
      }
      input.sources[name] = { content: found.contents };
    }
  }
  process.stdout.write(compileWith(solc, JSON.stringify(input), findImports));
} else {
  process.stderr.write(`solc stand-in: unsupported arguments ${args.join(" ")}\n`);
  process.exit(2);
}
