#!/usr/bin/env node
// A `solc` executable for Slither (crytic-compile drives it with `--version` and
// `--standard-json`), answering with the pinned solc-js of the version in
// AIWEB3_REDTEAM_SOLC_VERSION (found among node_modules/solc* by its package.json).
// Environment: AIWEB3_REDTEAM_MODULES = the node_modules folder.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";

const modules = process.env.AIWEB3_REDTEAM_MODULES;
const want = process.env.AIWEB3_REDTEAM_SOLC_VERSION;
const pkg = readdirSync(modules).find((name) => {
  const meta = join(modules, name, "package.json");
  if (!name.startsWith("solc") || !existsSync(meta)) return false;
  const info = JSON.parse(readFileSync(meta, "utf8"));
  return info.name === "solc" && info.version === want;
});
if (!pkg) {
  process.stderr.write(`solc stand-in: no solc-js ${want} in ${modules}\n`);
  process.exit(2);
}
const solc = createRequire(join(modules, "noop.js"))(pkg);
const args = process.argv.slice(2);

function findImports(path) {
  for (const base of [process.cwd(), modules]) {
    const full = resolve(base, path);
    if (existsSync(full)) return { contents: readFileSync(full, "utf8") };
  }
  return { error: `import not found: ${path}` };
}

function compile(text) {
  const [major, minor] = solc.version().split(".").map(Number);
  if (major === 0 && minor < 5) return solc.compileStandardWrapper(text, findImports);
  if (major === 0 && minor < 6) return solc.compile(text, findImports);
  return solc.compile(text, { import: findImports });
}

if (args.includes("--version")) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
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
    process.stdout.write(compile(JSON.stringify(input)));
  });
} else {
  process.stderr.write(`solc stand-in: unsupported arguments ${args.join(" ")}\n`);
  process.exit(2);
}
