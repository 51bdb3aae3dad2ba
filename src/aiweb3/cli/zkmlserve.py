"""``aiweb3 model serve <id>``: a priced inference endpoint whose proofs follow in batches."""

from __future__ import annotations

import socket

import typer

from aiweb3.cli.account import fmt_amount
from aiweb3.cli.context import Context, console, err_console
from aiweb3.errors import AIWeb3Error, ConfigError, InputError

__all__ = ["serve_model"]


def _check_port(host: str, port: int) -> None:
    if not 0 < port <= 65535:
        raise InputError(f"--port {port} is not a TCP port: give 1 to 65535")
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            why = f"cannot listen on {host}:{port} ({exc.strerror})"
            raise ConfigError(f"{why}; pass another --port") from None


def serve_model(
    model_id: str = typer.Argument(..., help="A registered model's id (or a unique prefix)."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8490, help="Port to listen on."),
    max_wait: float = typer.Option(
        2.0, min=0.05, help="Seconds an inference waits for its batch to fill before a short batch is proven."
    ),
    account: str | None = typer.Option(
        None, help="Submits the payments on chain and pays their gas (keystore name/address or dev:N)."
    ),
) -> None:
    """Serve paid inferences (x402, the registered price in AIUSD): the output at once, the proof when
    its batch is proven (GET /proofs/<job id>, or a webhook)."""
    import uvicorn

    from aiweb3.agents import Facilitator, PaymentGate, TokenInfo
    from aiweb3.chain import Deployments
    from aiweb3.cli.zkml import _resolve
    from aiweb3.server.modelserve import deliver_webhook, model_serve_app
    from aiweb3.zkml import ModelRegistryClient, ProofStream, ProverPool

    ctx = Context()
    home = ctx.settings.home
    model = _resolve(home, model_id)
    registry = ModelRegistryClient.from_home(ctx.chain, home)
    try:
        record = registry.get(model.model_id)
    except AIWeb3Error:
        raise InputError(
            f"model {model.model_id} is not registered on this chain; run `aiweb3 model register {model_id}`"
        ) from None
    _check_port(host, port)
    token = TokenInfo(Deployments(home, ctx.chain.chain_id).address("AIUSD"), ctx.chain.chain_id)
    gate = PaymentGate(Facilitator(ctx.chain, token, ctx.signer(account)), token, record.owner)
    with ProverPool(max_provers=1) as pool:
        stream = ProofStream(model, pool, max_wait=max_wait, deliver=deliver_webhook)
        try:
            app = model_serve_app(stream, gate, record.price)
            console.print(
                f"serving {model.model_id} on http://{host}:{port}: {fmt_amount(record.price)} AIUSD per "
                f"inference to {record.owner}, {stream.batch_size} inference(s) per proof",
                soft_wrap=True,
                highlight=False,
            )
            err_console.print("[dim]POST /infer, GET /proofs/<job id>; Ctrl-C stops[/dim]")
            uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
        finally:
            stream.close()
