// Compile Solidity sources with the pinned solc-js: standard JSON on stdin, standard JSON out.
// argv[2]: the node_modules folder (solc and the imported packages, e.g. @openzeppelin).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const modules = process.argv[2];
const require = createRequire(join(modules, "noop.js"));
const solc = require("solc");
const input = readFileSync(0, "utf8");

function findImports(path) {
  try {
    return { contents: readFileSync(join(modules, path), "utf8") };
  } catch {
    return { error: `import not found: ${path} (is the npm package installed?)` };
  }
}

const output = JSON.parse(solc.compile(input, { import: findImports }));
output.compiler = `solc-js ${solc.version()}`;
process.stdout.write(JSON.stringify(output));
