"""Network: the subnet's epochs (consensus, incentive, dividends, rewards), its participants and the
accuracy curve of the last demo."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from aiweb3.errors import InputError
from aiweb3.network import NetworkHome, Role, Subnet
from aiweb3.server.features import Feature
from aiweb3.server.http import services_of
from aiweb3.server.pages import render
from aiweb3.server.services import Services

__all__ = ["feature", "network_summary"]

api = APIRouter(tags=["network"])
pages = APIRouter()
WAD = 10**18


def network_summary(services: Services) -> dict[str, Any]:
    """The home's subnet (None when there is none): phase, participants, funds, finalized epochs,
    the weights validators revealed in the last of them (as shares of each row), and the last
    demo's report (accuracy per round, data rewards)."""
    book = NetworkHome(services.home, services.chain.chain_id)
    try:
        address, block = book.subnet()
    except InputError:
        empty: dict[str, Any] = {"subnet": None, "epochs": [], "miners": [], "validators": [], "weights": []}
        return {**empty, "report": book.report()}
    subnet = Subnet(services.chain, address)
    epoch, reveal_opens, ends_at = subnet.phase()
    epochs = [
        {
            **o.as_dict(),
            "incentive_share": [x / WAD for x in o.incentive],
            "dividend_share": [x / WAD for x in o.dividends],
            "emitted_aiusd": o.emitted / 1e6,
        }
        for o in subnet.outcomes(from_block=block)
    ]
    last = epochs[-1]["epoch"] if epochs else None
    revealed = subnet.revealed_weights(last, from_block=block) if last is not None else {}
    weights = [
        {"validator": uid, "shares": [w / sum(row) if sum(row) else 0.0 for w in row]}
        for uid, row in sorted(revealed.items())
    ]
    return {
        "subnet": address,
        "epoch": epoch,
        "weights_epoch": last,
        "weights": weights,
        "reveal_opens": reveal_opens,
        "ends_at": ends_at,
        "miners": [{**m, "owed": subnet.owed(m["account"])} for m in subnet.neurons(Role.MINER)],
        "validators": [{**v, "owed": subnet.owed(v["account"])} for v in subnet.neurons(Role.VALIDATOR)],
        "balances": subnet.balances(),
        "epochs": epochs,
        "report": book.report(),
    }


@api.get("/network", summary="The subnet: epochs, incentives, dividends, participants, accuracy")
def get_network(request: Request) -> dict[str, Any]:
    """``subnet`` is null until `aiweb3 network up` or `aiweb3 network demo` has run."""
    return network_summary(services_of(request))


@pages.get("/network", response_class=HTMLResponse)
def network_page(request: Request) -> HTMLResponse:
    """Epochs, weights' outcome per miner and validator, and the accuracy curve."""
    return render(request, "network.html", "network", **network_summary(services_of(request)))


feature = Feature(
    "network",
    "Network",
    "/network",
    "A network that trains a model with Flower and pays miners and validators by Yuma consensus.",
    api=api,
    pages=pages,
)
