// Shared by solc.mjs and solc-standin.mjs: load a pinned solc-js package and compile standard JSON
// with whichever entry point its version has.
import { createRequire } from "node:module";
import { join } from "node:path";

export function loadSolc(modules, pkg) {
  return createRequire(join(modules, "noop.js"))(pkg);
}

// solc-js changed its entry point twice: 0.4 has compileStandardWrapper(input, callback),
// 0.5 compile(input, callback), 0.6 and later compile(input, {import: callback}).
export function compileWith(solc, text, findImports) {
  const [major, minor] = solc.version().split(".").map(Number);
  if (major === 0 && minor < 5) return solc.compileStandardWrapper(text, findImports);
  if (major === 0 && minor < 6) return solc.compile(text, findImports);
  return solc.compile(text, { import: findImports });
}
