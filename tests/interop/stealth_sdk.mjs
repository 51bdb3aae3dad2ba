// Interop peer for the stealth-address tests: ScopeLift's @scopelift/stealth-address-sdk (pinned in
// package-lock.json). Reads one JSON request on stdin, writes one JSON answer on stdout.
//   {"op": "generate", "meta": "st:eth:0x...", "ephemeral": "0x<32 bytes>"}
//   {"op": "check", "address", "ephemeralPublicKey", "viewTag", "spendingPublicKey", "viewingPrivateKey"}
//   {"op": "key", "ephemeralPublicKey", "spendingPrivateKey", "viewingPrivateKey"}
import { register } from "node:module";

// the SDK's dist imports directories and extensionless files (built for bun): see bun_resolve.mjs
register("./bun_resolve.mjs", import.meta.url);
const { checkStealthAddress, computeStealthKey, generateStealthAddress } = await import(
  "@scopelift/stealth-address-sdk"
);
const { hexToBytes } = await import("viem/utils");

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const req = JSON.parse(Buffer.concat(chunks).toString());
let out;
if (req.op === "generate") {
  out = generateStealthAddress({
    stealthMetaAddressURI: req.meta,
    schemeId: 1,
    ephemeralPrivateKey: hexToBytes(req.ephemeral),
  });
} else if (req.op === "check") {
  out = {
    mine: checkStealthAddress({
      userStealthAddress: req.address,
      ephemeralPublicKey: req.ephemeralPublicKey,
      viewTag: req.viewTag,
      spendingPublicKey: req.spendingPublicKey,
      viewingPrivateKey: req.viewingPrivateKey,
      schemeId: 1,
    }),
  };
} else if (req.op === "key") {
  out = {
    key: computeStealthKey({
      ephemeralPublicKey: req.ephemeralPublicKey,
      spendingPrivateKey: req.spendingPrivateKey,
      viewingPrivateKey: req.viewingPrivateKey,
      schemeId: 1,
    }),
  };
} else {
  throw new Error(`unknown op ${req.op}`);
}
process.stdout.write(JSON.stringify(out));
