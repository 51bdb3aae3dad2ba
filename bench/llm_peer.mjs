// The peer of bench/llm_runtime.py: the same GGUF run directly through node-llama-cpp's bindings,
// in process, no HTTP. Reads one JSON request per line on stdin ({"prompt", "max_tokens"}) and
// answers one JSON line on stdout: {"text", "ttft_s", "gen_s", "tokens"}. Each request runs greedy
// on a cleared context with one reused chat, exactly as aiweb3's server does.
//   node bench/llm_peer.mjs --model FILE --node-modules DIR
import path from "node:path";
import readline from "node:readline";
import {pathToFileURL} from "node:url";
import {parseArgs} from "node:util";

const {values: args} = parseArgs({
    options: {
        model: {type: "string"},
        "node-modules": {type: "string"},
        "context-size": {type: "string", default: "2048"},
        threads: {type: "string", default: "1"},
    },
});
const lib = await import(pathToFileURL(path.join(args["node-modules"], "node-llama-cpp", "dist", "index.js")).href);
const llama = await lib.getLlama({gpu: false, build: "never", logLevel: "error"});
const model = await llama.loadModel({modelPath: args.model});
const context = await model.createContext({contextSize: Number(args["context-size"]), threads: Number(args.threads)});
const sequence = context.getSequence();
const chat = new lib.LlamaChat({contextSequence: sequence});
console.log(JSON.stringify({ready: true}));

for await (const line of readline.createInterface({input: process.stdin})) {
    if (!line.trim()) continue;
    const req = JSON.parse(line);
    const started = performance.now();
    await sequence.clearHistory();
    const before = sequence.tokenMeter.getState();
    let first = null;
    const result = await chat.generateResponse(
        [{type: "user", text: req.prompt}, {type: "model", response: []}],
        {maxTokens: req.max_tokens, temperature: 0, onTextChunk() { first ??= performance.now(); }},
    );
    const end = performance.now();
    first ??= end;
    console.log(JSON.stringify({
        text: result.response,
        ttft_s: (first - started) / 1000,
        gen_s: (end - first) / 1000,
        tokens: sequence.tokenMeter.diff(before).usedOutputTokens,
    }));
}
