// Compile Solidity with several pinned solc-js versions (npm aliases such as solc0426).
// stdin: {"modules": "<node_modules>", "jobs": [{"package": "solc0426", "input": {...standard JSON...}}]}
// stdout: [{"compiler": "...", "output": {...standard JSON output...}}] in job order.
// Each package is loaded once per run, however many jobs use it.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const request = JSON.parse(readFileSync(0, "utf8"));
const modules = request.modules;
const require = createRequire(join(modules, "noop.js"));
const loaded = new Map();

function findImports(path) {
  try {
    return { contents: readFileSync(join(modules, path), "utf8") };
  } catch {
    return { error: `import not found: ${path} (only npm packages in node_modules can be imported)` };
  }
}

function compiler(name) {
  if (!loaded.has(name)) loaded.set(name, require(name));
  return loaded.get(name);
}

// solc-js changed its entry point twice: 0.4 has compileStandardWrapper(input, callback),
// 0.5 compile(input, callback), 0.6 and later compile(input, {import: callback}).
function run(solc, input) {
  const text = JSON.stringify(input);
  const [major, minor] = solc.version().split(".").map(Number);
  if (major === 0 && minor < 5) return solc.compileStandardWrapper(text, findImports);
  if (major === 0 && minor < 6) return solc.compile(text, findImports);
  return solc.compile(text, { import: findImports });
}

const results = [];
for (const job of request.jobs) {
  const solc = compiler(job.package);
  results.push({ compiler: `solc-js ${solc.version()}`, output: JSON.parse(run(solc, job.input)) });
}
process.stdout.write(JSON.stringify(results));
