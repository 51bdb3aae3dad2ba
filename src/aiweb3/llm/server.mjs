// aiweb3's embedded model server: one GGUF model run by llama.cpp (node-llama-cpp, CPU build),
// served on 127.0.0.1 with an OpenAI-compatible API:
//   GET  /health                 -> {"status": "ok", model, sha256, runtime}
//   GET  /v1/models              -> the loaded model
//   POST /v1/chat/completions    -> chat; "stream": true for server-sent events;
//                                   response_format {type: "json_schema"} enforced by a grammar;
//                                   "tools" answered with a grammar-constrained tool call.
// Requests run one at a time, each on a cleared context, so greedy or seeded generation is
// reproducible (what inference receipts rely on). Started and stopped by aiweb3.llm.runtime:
//   node server.mjs --model FILE --name NAME --sha256 HEX --port 0 --node-modules DIR
// It prints "aiweb3-llm listening on PORT" once it serves.
import http from "node:http";
import path from "node:path";
import {pathToFileURL} from "node:url";
import {parseArgs} from "node:util";

const {values: args} = parseArgs({
    options: {
        model: {type: "string"},
        name: {type: "string", default: "default"},
        sha256: {type: "string", default: ""},
        port: {type: "string", default: "0"},
        "node-modules": {type: "string"},
        "context-size": {type: "string", default: "4096"},
        threads: {type: "string", default: "1"},
        "runtime-id": {type: "string", default: ""},
    },
});

const MAX_BODY = 1 << 20;
const contextSize = Number(args["context-size"]);
// Set once the model is loaded; until then /health answers 503 "loading".
let llama, model, sequence, chat;

class RequestError extends Error {
    constructor(status, message) {
        super(message);
        this.status = status;
    }
}

// One generation at a time: a promise chain used as a lock.
let queue = Promise.resolve();
function exclusive(fn) {
    const run = queue.then(fn, fn);
    queue = run.catch(() => {});
    return run;
}

function send(res, status, body) {
    const data = JSON.stringify(body);
    res.writeHead(status, {"content-type": "application/json", "content-length": Buffer.byteLength(data)});
    res.end(data);
}

function fail(res, status, message, type = "invalid_request_error") {
    send(res, status, {error: {message, type}});
}

async function readJson(req) {
    const chunks = [];
    let size = 0;
    for await (const chunk of req) {
        size += chunk.length;
        if (size > MAX_BODY) throw new RequestError(413, "request body larger than 1 MiB");
        chunks.push(chunk);
    }
    try {
        return JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
        throw new RequestError(400, "request body is not valid JSON");
    }
}

function toHistory(messages) {
    if (!Array.isArray(messages) || messages.length === 0)
        throw new RequestError(400, "messages must be a non-empty list");
    const history = [];
    for (const m of messages) {
        const text = typeof m?.content === "string" ? m.content : "";
        if (m?.role === "system") history.push({type: "system", text});
        else if (m?.role === "user" || m?.role === "tool") history.push({type: "user", text});
        else if (m?.role === "assistant") history.push({type: "model", response: [text]});
        else throw new RequestError(400, `unknown message role ${JSON.stringify(m?.role)}`);
    }
    if (history.at(-1).type === "model")
        throw new RequestError(400, "the last message must come from the user or the system");
    history.push({type: "model", response: []});
    return history;
}

function toolSchema(tools) {
    const options = tools.map((t) => {
        const fn = t?.function;
        if (t?.type !== "function" || typeof fn?.name !== "string")
            throw new RequestError(400, "each tool must be {type: 'function', function: {name, parameters}}");
        return {
            type: "object",
            properties: {name: {const: fn.name}, arguments: fn.parameters ?? {type: "object", properties: {}}},
        };
    });
    return options.length === 1 ? options[0] : {oneOf: options};
}

// GBNF grammars have no numeric ranges: an integer with both bounds and at most 256 values
// becomes an enum of those values, so the grammar enforces the bounds too.
function boundIntegers(node) {
    if (Array.isArray(node)) return node.map(boundIntegers);
    if (!node || typeof node !== "object") return node;
    const out = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, boundIntegers(v)]));
    if (out.type === "integer") {
        const lo = out.exclusiveMinimum != null ? out.exclusiveMinimum + 1 : out.minimum;
        const hi = out.exclusiveMaximum != null ? out.exclusiveMaximum - 1 : out.maximum;
        if (Number.isInteger(lo) && Number.isInteger(hi) && hi >= lo && hi - lo < 256) {
            const {type, minimum, maximum, exclusiveMinimum, exclusiveMaximum, ...rest} = out;
            return {...rest, enum: Array.from({length: hi - lo + 1}, (_, i) => lo + i)};
        }
    }
    return out;
}

async function grammarFor(body) {
    const fmt = body.response_format;
    if (Array.isArray(body.tools) && body.tools.length > 0) {
        if (fmt && fmt.type !== "text") throw new RequestError(400, "use either tools or response_format, not both");
        return llama.createGrammarForJsonSchema(boundIntegers(toolSchema(body.tools)));
    }
    if (!fmt || fmt.type === "text") return undefined;
    if (fmt.type === "json_object") return llama.getGrammarFor("json");
    if (fmt.type === "json_schema") {
        const schema = fmt.json_schema?.schema;
        if (!schema || typeof schema !== "object") throw new RequestError(400, "response_format.json_schema.schema is missing");
        try {
            return await llama.createGrammarForJsonSchema(boundIntegers(schema));
        } catch (err) {
            throw new RequestError(400, `unsupported JSON schema: ${String(err.message).slice(0, 200)}`);
        }
    }
    throw new RequestError(400, `unknown response_format type ${JSON.stringify(fmt.type)}`);
}

function countPromptTokens(history) {
    let n = 0;
    for (const item of history) {
        const text = item.type === "model" ? item.response.join("") : item.text;
        n += model.tokenize(text).length + 8;
    }
    return n;
}

function number(body, key, fallback, {integer = false, min = -Infinity} = {}) {
    const value = body[key] ?? fallback;
    if (typeof value !== "number" || !Number.isFinite(value) || value < min || (integer && !Number.isInteger(value)))
        throw new RequestError(400, `${key} must be ${integer ? "an integer" : "a number"} >= ${min}, not ${JSON.stringify(value)}`);
    return value;
}

function describeTools(history, tools) {
    const lines = tools.map((t) => `- ${t.function.name}: ${t.function.description ?? ""} ` +
        `arguments: ${JSON.stringify(t.function.parameters ?? {})}`);
    const text = "You can call one of these tools. Answer with JSON " +
        '{"name": TOOL_NAME, "arguments": {...}}.\n' + lines.join("\n");
    if (history[0]?.type === "system") history[0] = {type: "system", text: `${history[0].text}\n\n${text}`};
    else history.unshift({type: "system", text});
}

async function generate(body, onChunk, signal) {
    const history = toHistory(body.messages);
    if (Array.isArray(body.tools) && body.tools.length > 0) describeTools(history, body.tools);
    const grammar = await grammarFor(body);
    const maxTokens = Math.min(number(body, "max_tokens", 256, {integer: true, min: 1}), contextSize);
    const promptEstimate = countPromptTokens(history);
    if (promptEstimate + maxTokens > contextSize)
        throw new RequestError(
            400,
            `the prompt (~${promptEstimate} tokens) plus max_tokens (${maxTokens}) exceeds the context of ${contextSize} tokens; shorten it`,
        );
    if (signal?.aborted) throw new RequestError(504, "the deadline passed while the request waited for the model");
    const temperature = number(body, "temperature", 0, {min: 0});
    const seed = body.seed == null ? undefined : number(body, "seed", 0, {integer: true, min: 0});
    const started = performance.now();
    await sequence.clearHistory();
    const meterBefore = sequence.tokenMeter.getState();
    let firstTokenAt = null;
    try {
        const result = await chat.generateResponse(history, {
            maxTokens,
            temperature,
            seed,
            topK: body.top_k == null ? undefined : number(body, "top_k", 0, {integer: true, min: 0}),
            topP: body.top_p == null ? undefined : number(body, "top_p", 1, {min: 0}),
            grammar,
            signal,
            stopOnAbortSignal: true,
            onTextChunk(text) {
                if (firstTokenAt === null) firstTokenAt = performance.now();
                onChunk?.(text);
            },
        });
        const meter = sequence.tokenMeter.diff(meterBefore);
        const finished = performance.now();
        return {
            text: result.response,
            stopReason: result.metadata?.stopReason,
            promptTokens: meter.usedInputTokens,
            completionTokens: meter.usedOutputTokens,
            ttftMs: (firstTokenAt ?? finished) - started,
            totalMs: finished - started,
            aborted: signal?.aborted ?? false,
        };
    } catch (err) {
        if (signal?.aborted) throw new RequestError(504, "the deadline passed during generation");
        throw err;
    }
}

function finishReason(out, body) {
    if (out.aborted) return "deadline";
    if (Array.isArray(body.tools) && body.tools.length > 0) return "tool_calls";
    return out.stopReason === "maxTokens" ? "length" : "stop";
}

function message(out, body, id) {
    if (Array.isArray(body.tools) && body.tools.length > 0) {
        let call = {};
        try {
            call = JSON.parse(out.text);
        } catch {}
        return {
            role: "assistant",
            content: null,
            tool_calls: [{id: `call_${id}`, type: "function",
                function: {name: call.name ?? "", arguments: JSON.stringify(call.arguments ?? {})}}],
        };
    }
    return {role: "assistant", content: out.text};
}

let counter = 0;

async function chatCompletions(req, res) {
    const body = await readJson(req);
    if (body.model && body.model !== args.name && body.model !== "default")
        throw new RequestError(404, `model ${JSON.stringify(body.model)} is not loaded here (this server runs ${args.name})`);
    const id = `chatcmpl-${process.pid}-${++counter}`;
    const created = Math.floor(Date.now() / 1000);
    const deadlineMs = Math.max(100, Math.min(Number(body.deadline_ms ?? 120000), 600000));
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), deadlineMs);
    res.on("close", () => controller.abort());
    const meta = {model_sha256: args.sha256, runtime: args["runtime-id"]};
    try {
        if (body.stream) {
            res.writeHead(200, {"content-type": "text/event-stream", "cache-control": "no-cache"});
            const chunk = (delta, finish = null, extra = {}) =>
                res.write(`data: ${JSON.stringify({id, object: "chat.completion.chunk", created, model: args.name,
                    choices: [{index: 0, delta, finish_reason: finish}], ...extra})}\n\n`);
            chunk({role: "assistant"});
            let out;
            try {
                out = await exclusive(() => generate(body, (text) => chunk({content: text}), controller.signal));
            } catch (err) {
                const message = String(err?.message ?? err).slice(0, 300);
                res.end(`data: ${JSON.stringify({error: {message, type: "generation_error"}})}\n\n`);
                return;
            }
            chunk({}, finishReason(out, body), {
                usage: {prompt_tokens: out.promptTokens, completion_tokens: out.completionTokens,
                    total_tokens: out.promptTokens + out.completionTokens},
                aiweb3: {...meta, ttft_ms: out.ttftMs, total_ms: out.totalMs},
            });
            res.end("data: [DONE]\n\n");
            return;
        }
        const out = await exclusive(() => generate(body, null, controller.signal));
        if (out.aborted && !res.destroyed)
            return fail(res, 504, `generation passed its deadline of ${deadlineMs} ms`, "deadline_exceeded");
        send(res, 200, {
            id, object: "chat.completion", created, model: args.name,
            choices: [{index: 0, message: message(out, body, id), finish_reason: finishReason(out, body)}],
            usage: {prompt_tokens: out.promptTokens, completion_tokens: out.completionTokens,
                total_tokens: out.promptTokens + out.completionTokens},
            aiweb3: {...meta, ttft_ms: out.ttftMs, total_ms: out.totalMs},
        });
    } finally {
        clearTimeout(timer);
    }
}

const server = http.createServer(async (req, res) => {
    try {
        const url = new URL(req.url, "http://127.0.0.1");
        if (!sequence) return fail(res, 503, "the model is loading", "loading");
        if (req.method === "GET" && url.pathname === "/health")
            return send(res, 200, {status: "ok", model: args.name, sha256: args.sha256,
                runtime: args["runtime-id"], context_size: contextSize});
        if (req.method === "GET" && url.pathname === "/v1/models")
            return send(res, 200, {object: "list", data: [{id: args.name, object: "model", owned_by: "aiweb3",
                sha256: args.sha256}]});
        if (req.method === "POST" && url.pathname === "/v1/chat/completions") return await chatCompletions(req, res);
        fail(res, 404, `no route ${req.method} ${url.pathname}`, "not_found");
    } catch (err) {
        const status = err instanceof RequestError ? err.status : 500;
        if (!res.headersSent) fail(res, status, String(err?.message ?? err).slice(0, 300), status === 500 ? "server_error" : undefined);
        else res.end();
    }
});

function shutdown() {
    server.close();
    process.exit(0);
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);

server.on("error", (err) => {
    console.error(`aiweb3-llm: cannot listen: ${err.code ?? err.message}`);
    process.exit(2);
});
// Take the port first (a port in use fails at once), then load the model.
await new Promise((resolve) => server.listen(Number(args.port), "127.0.0.1", resolve));
const entry = path.join(args["node-modules"], "node-llama-cpp", "dist", "index.js");
const lib = await import(pathToFileURL(entry).href);
llama = await lib.getLlama({gpu: false, build: "never", logLevel: "error"});
model = await llama.loadModel({modelPath: args.model});
const context = await model.createContext({contextSize, threads: Number(args.threads)});
sequence = context.getSequence();
chat = new lib.LlamaChat({contextSequence: sequence}); // one chat (its template resolved once), reused
console.log(`aiweb3-llm listening on ${server.address().port}`);
