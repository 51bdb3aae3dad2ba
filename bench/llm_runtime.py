"""The embedded language model: our server against the same GGUF run directly, structured output,
and receipt re-execution.

1. Time to first token and tokens per second, streamed and greedy, of aiweb3's model server (seen
   from a Python client over HTTP) against the peer: the same GGUF, context and threads run in
   process by node-llama-cpp's own bindings (``bench/llm_peer.mjs``), alternated prompt by prompt.
   Goal: our overhead at most 1.15x (TTFT ratio <= 1.15, tokens/s ratio >= 1/1.15).
2. Schema-valid output on 50 fixed structured prompts (grammar-enforced JSON schema, no retries),
   validated by pydantic. Goal 100%.
3. Receipt re-execution: sign receipts for greedy and seeded requests, restart the server, verify
   each by re-executing; the share that reproduces byte for byte. Goal 100% on the same machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated, Literal

from _common import report
from pydantic import BaseModel, Field

from aiweb3.chain import dev_account
from aiweb3.llm import LLMConfig
from aiweb3.llm.embedded import embedded_client
from aiweb3.llm.models import ModelStore
from aiweb3.llm.openai import OpenAICompatible
from aiweb3.llm.receipts import InferenceRequest, receipt_domain, sign_receipt, verify_receipt
from aiweb3.llm.runtime import ModelRuntime, RuntimeConfig, RuntimeInfo, default_threads, runtime_build
from aiweb3.tools import node_modules

BENCH = "llm_runtime"
ROUNDS = 7
MAX_TOKENS = 48
PROMPTS = [
    "Explain what a blockchain is.",
    "Write a short poem about the sea.",
    "Give three tips for writing secure smart contracts.",
    "Describe a cat to someone who has never seen one.",
    "What is a zero-knowledge proof?",
]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def ours_once(client: OpenAICompatible, prompt: str) -> tuple[float, float, str]:
    t0 = time.monotonic()
    first: float | None = None
    text = ""
    for piece in client.stream([{"role": "user", "content": prompt}], max_tokens=MAX_TOKENS, timeout=600):
        first = first or time.monotonic()
        text += piece
    end = time.monotonic()
    record = client.calls[-1]
    first = first or end
    return first - t0, (record.completion_tokens or 0) / max(end - first, 1e-6), text


class Peer:
    """node-llama-cpp in its own process, driven line by line."""

    def __init__(self, model: Path) -> None:
        self.proc = subprocess.Popen(
            ["node", str(Path(__file__).with_name("llm_peer.mjs")), "--model", str(model),
             "--node-modules", str(node_modules()), "--threads", str(default_threads())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None and self.proc.stdin is not None
        ready = self.proc.stdout.readline()
        if '"ready"' not in ready:
            raise SystemExit(f"the peer (node-llama-cpp bindings) did not start: {ready!r}")

    def once(self, prompt: str) -> tuple[float, float, str]:
        assert self.proc.stdout is not None and self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"prompt": prompt, "max_tokens": MAX_TOKENS}) + "\n")
        self.proc.stdin.flush()
        out = json.loads(self.proc.stdout.readline())
        return float(out["ttft_s"]), out["tokens"] / max(float(out["gen_s"]), 1e-6), str(out["text"])

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def speed(client: OpenAICompatible, model: Path) -> None:
    peer = Peer(model)
    try:
        ours_once(client, "Hello")  # warm-up, both sides
        peer.once("Hello")
        ttft: tuple[list[float], list[float]] = ([], [])
        tps: tuple[list[float], list[float]] = ([], [])
        same = 0
        for i in range(ROUNDS):
            prompt = PROMPTS[i % len(PROMPTS)]
            order = [0, 1] if i % 2 == 0 else [1, 0]
            texts = ["", ""]
            for side in order:
                t, r, texts[side] = ours_once(client, prompt) if side == 0 else peer.once(prompt)
                ttft[side].append(t)
                tps[side].append(r)
            same += texts[0] == texts[1]
            log(f"round {i}: ttft ours {ttft[0][-1]:.3f}s peer {ttft[1][-1]:.3f}s; "
                f"tokens/s ours {tps[0][-1]:.1f} peer {tps[1][-1]:.1f}")  # fmt: skip
        log(f"identical greedy outputs, ours vs peer: {same}/{ROUNDS}")
        peer_name = "node-llama-cpp 3.21.1 bindings in process, same GGUF"
        report(BENCH, "time_to_first_token_s", ttft[0], peer_name, ttft[1], "lower", goal=1.15)
        report(BENCH, "tokens_per_s", tps[0], peer_name, tps[1], "higher", goal=round(1 / 1.15, 3))
    finally:
        peer.close()


class Sentiment(BaseModel):
    sentiment: Literal["positive", "negative", "neutral"]
    confidence: int = Field(ge=0, le=100)


class Risk(BaseModel):
    risky: bool
    reason: str = Field(max_length=60)


class Token(BaseModel):
    symbol: str = Field(max_length=8)
    decimals: int = Field(ge=0, le=36)


class Plan(BaseModel):
    steps: list[Annotated[str, Field(max_length=40)]] = Field(min_length=1, max_length=3)


def structured_prompts() -> list[tuple[str, type[BaseModel]]]:
    subjects = ["a token swap", "an NFT mint", "a DAO vote", "a loan on Aave", "a bridge transfer",
                "staking ETH", "a phishing email", "a rug pull", "a gas refund", "an airdrop"]  # fmt: skip
    out: list[tuple[str, type[BaseModel]]] = []
    for s in subjects:
        out.append((f"What is the sentiment of: 'I just did {s} and it went great'?", Sentiment))
        out.append((f"Is {s} risky for a new user? Give a short reason.", Risk))
        out.append((f"Name a token often used in {s} and its decimals.", Token))
        out.append((f"Plan up to three steps to do {s}.", Plan))
        out.append((f"Rate how people feel about {s}.", Sentiment))
    return out


def schema_validity(client: OpenAICompatible) -> None:
    prompts = structured_prompts()
    valid = 0
    for i, (prompt, schema) in enumerate(prompts):
        try:
            client.structured(
                [{"role": "user", "content": prompt}], schema, retries=0, max_tokens=96, timeout=600
            )
            valid += 1
        except Exception as exc:  # counted: any failure is an invalid answer
            log(f"structured prompt {i} ({schema.__name__}) invalid: {exc}")
    log(f"schema-valid: {valid}/{len(prompts)}")
    report(BENCH, "schema_valid_rate", [valid / len(prompts)], None, None, "higher", goal=1.0)


def receipts(home: Path, info: RuntimeInfo) -> None:
    signer = dev_account(0)
    domain = receipt_domain(31337)
    client = OpenAICompatible(LLMConfig(url=info.api_url, model=info.model, timeout=600), send_deadline=True)
    signed = []
    for i, prompt in enumerate(PROMPTS * 2):
        req = InferenceRequest(
            messages=({"role": "user", "content": prompt},),
            temperature=0.0 if i < len(PROMPTS) else 0.8,
            seed=1000 + i,
            max_tokens=32,
        )
        out = client.chat(
            req.messages, temperature=req.temperature, seed=req.seed, max_tokens=req.max_tokens
        ).text
        signed.append(
            sign_receipt(
                signer,
                domain,
                request=req,
                output=out,
                model_sha256=info.sha256,
                model_name=info.model,
                runtime=info.runtime,
            )
        )
    runtime = ModelRuntime(RuntimeConfig(home=home))
    runtime.stop()
    again = runtime.start(die_with_parent=True)
    client = OpenAICompatible(
        LLMConfig(url=again.api_url, model=again.model, timeout=600), send_deadline=True
    )
    confirmed = 0
    for r in signed:
        verdict = verify_receipt(r, model_sha256=again.sha256, runtime=runtime_build().id, client=client)
        confirmed += verdict.status == "confirmed"
        if verdict.status != "confirmed":
            log(f"receipt not reproduced: {verdict.reason}")
    log(f"receipts reproduced after a restart: {confirmed}/{len(signed)}")
    report(BENCH, "receipt_reexecution_match_rate", [confirmed / len(signed)], None, None, "higher", goal=1.0)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="aiweb3-llm-bench-") as tmp:
        home = Path(tmp)
        runtime = ModelRuntime(RuntimeConfig(home=home))
        info = runtime.start(die_with_parent=True)
        try:
            client = embedded_client(LLMConfig(home=home, timeout=600))
            store = ModelStore(home)
            speed(client, store.path(store.get(verify=False)))
            schema_validity(client)
            receipts(home, info)
        finally:
            ModelRuntime(RuntimeConfig(home=home)).stop()


if __name__ == "__main__":
    main()
