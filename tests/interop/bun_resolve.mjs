// A Node resolve hook for packages built for bun, whose ES modules import directories
// ("./utils") and extensionless files ("./types"): Node refuses both, so retry as
// "<dir>/index.js" and "<file>.js". Used by stealth_sdk.mjs only.
export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    if (!specifier.startsWith(".")) throw err;
    for (const suffix of ["/index.js", ".js"]) {
      try {
        return await nextResolve(specifier + suffix, context);
      } catch {
        // try the next form
      }
    }
    throw err;
  }
}
