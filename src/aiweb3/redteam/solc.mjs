// Compile Solidity with several pinned solc-js versions (npm aliases such as solc0426).
// stdin: {"modules": "<node_modules>", "jobs": [{"package": "solc0426", "input": {...standard JSON...}}]}
// stdout: [{"compiler": "...", "output": {...standard JSON output...}}] in job order.
// Each package is loaded once per run, however many jobs use it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { compileWith, loadSolc } from "./solcjs.mjs";

const request = JSON.parse(readFileSync(0, "utf8"));
const modules = request.modules;
const loaded = new Map();

function findImports(path) {
  try {
    return { contents: readFileSync(join(modules, path), "utf8") };
  } catch {
    return { error: `import not found: ${path} (only npm packages in node_modules can be imported)` };
  }
}

const results = [];
for (const job of request.jobs) {
  if (!loaded.has(job.package)) loaded.set(job.package, loadSolc(modules, job.package));
  const solc = loaded.get(job.package);
  const output = compileWith(solc, JSON.stringify(job.input), findImports);
  results.push({ compiler: `solc-js ${solc.version()}`, output: JSON.parse(output) });
}
process.stdout.write(JSON.stringify(results));
