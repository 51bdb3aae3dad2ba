#!/usr/bin/env node
// A `solc` executable for tools that drive the compiler through `--standard-json` (Slither via
// crytic-compile; see `make audit`): answers `--version` and `--standard-json` with the pinned
// solc-js, with the optimizer settings of contracts/solc-settings.json, reading sources given by
// `urls` (or imports) from disk: the path itself, then node_modules/, then contracts/.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..");
const solc = createRequire(import.meta.url)("solc");
const args = process.argv.slice(2);

function findImports(path) {
  for (const base of [process.cwd(), join(root, "node_modules"), here, root]) {
    const full = resolve(base, path);
    if (existsSync(full)) return { contents: readFileSync(full, "utf8") };
  }
  return { error: `import not found: ${path}` };
}

if (args.includes("--version")) {
  const banner = "solc, the solidity compiler commandline interface\n";
  process.stdout.write(`${banner}Version: ${solc.version()}\n`);
} else if (args.includes("--standard-json")) {
  let text = "";
  process.stdin.on("data", (d) => (text += d));
  process.stdin.on("end", () => {
    const input = JSON.parse(text);
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
    const pinned = JSON.parse(readFileSync(join(here, "solc-settings.json"), "utf8"));
    input.settings = { ...(input.settings ?? {}), optimizer: pinned.optimizer, evmVersion: pinned.evmVersion };
    if (pinned.viaIR !== undefined) input.settings.viaIR = pinned.viaIR;
    process.stdout.write(solc.compile(JSON.stringify(input), { import: findImports }));
  });
} else {
  process.stderr.write(`solc stand-in: unsupported arguments ${args.join(" ")}\n`);
  process.exit(2);
}
