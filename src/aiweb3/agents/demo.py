"""``aiweb3 agents demo``: a research agent with 20 AIUSD buys a proven diagnosis and stores it.

On the local chain: the system contracts (AIUSD, ModelRegistry, TaskEscrow, AgentRegistry) and
the example breast-cancer MLP (examples/zkml) compiled with ezkl and registered in the
ModelRegistry; a proving agent selling real zero-knowledge proofs of it and a storage agent,
both serving over real HTTP and registered with agent cards. The research
agent then follows a script (the deterministic planner), or the plan a language model made
from the same actions (checked; the script runs when it is invalid): find the prover in the registry, pay
it over x402, check the proof on chain, pay the storage agent, fetch and check the CID, hire the
prover again through proof-gated escrow, leave feedback — and try one payment its policy refuses.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from aiweb3.agents.eip3009 import TokenInfo
from aiweb3.agents.escrow import TaskEscrow, TaskTerms
from aiweb3.agents.facilitator import Facilitator
from aiweb3.agents.goals import RESEARCH_TOOL_SPECS
from aiweb3.agents.http402 import PayingClient, PaymentGate
from aiweb3.agents.planning import ModelPlanner, PlanningModel, playbook_of
from aiweb3.agents.policy import SpendPolicy
from aiweb3.agents.providers import (
    EscrowWork,
    InferenceProof,
    ProvingClient,
    StorageClient,
    ZkmlProver,
    proving_app,
    storage_app,
)
from aiweb3.agents.registry import AgentCard, AgentRegistry
from aiweb3.agents.runtime import Action, Planner, Runtime, ScriptedPlanner, Step, Tool, Trace
from aiweb3.agents.serving import BackgroundServer
from aiweb3.agents.wallet import AgentWallet
from aiweb3.chain import Chain, artifact, deploy_system, dev_account
from aiweb3.errors import TransactionReverted
from aiweb3.store import LocalStore
from aiweb3.zkml import CompiledModel, Model, ModelRegistryClient

__all__ = [
    "EXAMPLE_MLP",
    "DemoWorld",
    "compile_diagnosis_model",
    "demo_script",
    "demo_world",
    "example_samples",
    "research_tools",
    "run_demo",
]

#: The example breast-cancer MLP (8 standardised features -> [malignant, benign] logits).
EXAMPLE_MLP = Path(__file__).resolve().parents[3] / "examples" / "zkml"
MODEL_NAME = "breast-cancer-mlp"
AIUSD = 10**6
GOAL = "Get a diagnosis score from a proven model for patient features and store the result"


@dataclass
class DemoWorld:
    """Everything the demo set up."""

    chain: Chain
    token: TokenInfo
    escrow: TaskEscrow
    registry: AgentRegistry
    models: ModelRegistryClient
    model: CompiledModel
    research: AgentWallet
    prover_url: str
    storage_url: str
    prover_wallet: str
    storage_wallet: str


def _funded(chain: Chain, aiusd: Any, faucet: LocalAccount, amount: int) -> LocalAccount:
    acct: LocalAccount = Account.create()
    chain.set_balance(acct.address, 10**18)
    if amount:
        chain.transact(faucet, aiusd.functions.faucet(acct.address, amount))
    return acct


def example_samples() -> dict[str, Any]:
    """The example MLP's held-out samples, labels and class names."""
    return dict(json.loads((EXAMPLE_MLP / "mlp_samples.json").read_text()))


def compile_diagnosis_model(home: Path) -> CompiledModel:
    """The example MLP compiled in ``home`` (cached there after the first time; seconds)."""
    samples = example_samples()["samples"][:8]
    return Model.from_onnx(EXAMPLE_MLP / "mlp.onnx", home=home).compile(samples)


def _register(models: ModelRegistryClient, model: CompiledModel, owner: LocalAccount) -> None:
    try:
        models.get(model.model_id)
    except TransactionReverted:  # UnknownModel: register it (idempotent across demo runs)
        models.register(model, owner, name=MODEL_NAME, price=AIUSD // 2)


@contextmanager
def demo_world(
    chain: Chain,
    home: Path,
    note: Callable[[str], None] = lambda _: None,
    *,
    model: CompiledModel | None = None,
) -> Iterator[DemoWorld]:
    """Deploy, fund, start and register everything; stops the servers on exit (local chain only).

    ``model`` is the compiled diagnosis model (default: the example MLP compiled in ``home``).
    """
    deployer = dev_account(0)
    system = deploy_system(chain, deployer, home)
    token = TokenInfo(system["AIUSD"].address, chain.chain_id)
    aiusd = chain.contract(artifact("AIUSD").abi, token.address)
    escrow_addr, registry_addr = system["TaskEscrow"].address, system["AgentRegistry"].address
    escrow, registry = TaskEscrow(chain, escrow_addr, token), AgentRegistry(chain, registry_addr)
    models = ModelRegistryClient(chain, system["ModelRegistry"].address)
    note(f"system contracts: AIUSD {token.address}, TaskEscrow {escrow_addr}, AgentRegistry {registry_addr}")
    if model is None:
        note("compiling the example breast-cancer MLP with ezkl (cached after the first run)")
        model = compile_diagnosis_model(home)
    prover_key, storage_key = _funded(chain, aiusd, deployer, 0), _funded(chain, aiusd, deployer, 0)
    _register(models, model, prover_key)
    srs = "development SRS (forgeable; fine on a local chain)" if model.development_srs else "imported SRS"
    note(f"model {model.model_id} registered in ModelRegistry {models.address}; {srs}")

    research_key = _funded(chain, aiusd, deployer, 20 * AIUSD)
    facilitator = Facilitator(chain, token, deployer)
    prover = ZkmlProver(model)
    store = LocalStore(home / "agents-demo" / "storage")
    work = EscrowWork(escrow, prover_key, min_budget=AIUSD, registry=registry)
    papp = proving_app(prover, PaymentGate(facilitator, token, prover_key.address), AIUSD // 2, work=work)
    sapp = storage_app(
        store,
        PaymentGate(facilitator, token, storage_key.address),
        AIUSD // 100,
        home / "agents-demo" / "leases.json",
    )
    with BackgroundServer(papp) as psrv, BackgroundServer(sapp) as ssrv:
        model_hex = model.model_id
        registry.register(
            prover_key,
            AgentCard.parse(
                {
                    "name": "diagnosis-prover",
                    "description": "breast-cancer diagnoses scored by a zk-proven MLP",
                    "capabilities": ["inference.diagnosis"],
                    "endpoint": psrv.url,
                    "models": [model_hex],
                    "prices": [{"capability": "inference.diagnosis", "amount": AIUSD // 2, "unit": "call"}],
                    "payment_schemes": ["x402-exact", "escrow"],
                }
            ),
        )
        registry.register(
            storage_key,
            AgentCard.parse(
                {
                    "name": "blob-storage",
                    "capabilities": ["storage"],
                    "endpoint": ssrv.url,
                    "prices": [{"capability": "storage", "amount": AIUSD // 100, "unit": "mib-day"}],
                    "payment_schemes": ["x402-exact"],
                }
            ),
        )
        note(
            f"proving agent {prover_key.address} at {psrv.url}; "
            f"storage agent {storage_key.address} at {ssrv.url}"
        )
        policy = SpendPolicy(5 * AIUSD, 20 * AIUSD).allowing(
            tokens=[token.address],
            counterparties=[prover_key.address, storage_key.address],
            contracts=[escrow_addr, models.address],
        )
        research = AgentWallet(research_key, policy, name="research-agent")
        note(
            "research agent "
            + research.address
            + " holds 20 AIUSD; policy: 5 AIUSD per payment, 20 per day, "
            "pays only the vetted prover and storage agents"
        )
        yield DemoWorld(
            chain,
            token,
            escrow,
            registry,
            models,
            model,
            research,
            psrv.url,
            ssrv.url,
            prover_key.address,
            storage_key.address,
        )


def research_tools(world: DemoWorld) -> list[Tool]:
    """The research agent's tools: find, buy an inference, verify, store, fetch, hire, rate, tip."""
    payer = PayingClient(world.research, world.token)
    classes = [str(c) for c in example_samples()["classes"]]

    def find_agents(capability: str, max_price: int) -> dict[str, Any]:
        found = world.registry.search(capability, max_price=max_price)
        if not found:
            return {"found": 0}
        best = found[0]
        return {
            "found": len(found),
            "agent_id": best.agent_id,
            "name": best.card.name,
            "endpoint": best.card.endpoint,
            "wallet": best.wallet,
            "reputation": best.reputation,
            "price": best.card.price_of(capability),
        }

    def buy_inference(endpoint: str, inputs: list[float]) -> dict[str, Any]:
        proof, paid_tx = ProvingClient(payer, endpoint).infer(inputs)
        return {**proof.to_json(), **_diagnosis(proof.outputs, classes), "paid_tx": paid_tx}

    def verify_onchain(model_id: str, proof: str, instances: list[str]) -> dict[str, Any]:
        fn = world.models.contract.functions.verifyInference(
            bytes.fromhex(model_id[2:]), bytes.fromhex(proof[2:]), [int(i) for i in instances]
        )
        receipt = world.research.transact(world.chain, fn)
        events = world.chain.events(world.models.contract, "InferenceVerified", receipt)
        return {
            "verified": bool(events),
            "tx": str(receipt["transactionHash"]),
            "gas": int(str(receipt["gasUsed"])),
        }

    def store(record: dict[str, Any], days: int) -> dict[str, Any]:
        blob = StorageClient(payer, _storage_url(world)).put(
            json.dumps(record, sort_keys=True).encode(), days=days
        )
        return {"cid": blob.cid, "size": blob.size, "expires_at": blob.expires_at}

    def fetch(cid: str) -> dict[str, Any]:
        data = StorageClient(payer, _storage_url(world)).get(cid)
        return {"cid": cid, "bytes": len(data), "cid_checked": True}

    def hire(agent_id: int, inputs: list[float], budget: int) -> dict[str, Any]:
        agent = world.registry.get(agent_id)
        model = bytes.fromhex(world.model.model_id[2:])
        terms = TaskTerms(
            budget,
            dev_account(0).address,
            provider=agent.wallet,
            model_id=model,
            spec=json.dumps({"inputs": inputs}),
        )
        task_id = world.escrow.post(world.research, terms)
        reply = payer.http.post(f"{agent.card.endpoint}/tasks/{task_id}", json={"inputs": inputs})
        task = world.escrow.task(task_id)
        result = InferenceProof.from_json(reply.json()) if reply.status_code == 200 else None
        proven = [v for v in world.registry.validations(agent_id) if v.task_id == task_id]
        return {
            "task_id": task_id,
            "status": task.status.name.lower(),
            "result_cid": task.result_cid,
            "validated": any(world.registry.check_validation(v) for v in proven),
            **(_diagnosis(result.outputs, classes) if result else {"diagnosis": None, "score": None}),
        }

    def feedback(task_id: int, score: int) -> dict[str, Any]:
        world.registry.give_feedback(world.research.unsafe_signer(), task_id, score)
        agent = world.registry.by_wallet(world.escrow.task(task_id).provider or "")
        if agent is None:
            return {"agent": "?", "reputation": 0}
        # the shown reputation weighs each rating by what its task paid (docs/agents.md)
        return {"agent": agent.card.name, "reputation": round(agent.reputation, 1), "paid": agent.paid_volume}

    def tip(to: str, amount: int) -> dict[str, Any]:
        auth = world.research.authorize_transfer(world.token, to, amount, purpose="tip")
        return {"signed": "0x" + auth.nonce.hex()}

    run: dict[str, Callable[..., dict[str, Any]]] = {
        "find_agents": find_agents,
        "buy_inference": buy_inference,
        "verify_onchain": verify_onchain,
        "store": store,
        "fetch": fetch,
        "hire": hire,
        "feedback": feedback,
        "tip": tip,
    }
    return [Tool(name, text, run[name], dict(params)) for name, text, params in RESEARCH_TOOL_SPECS]


def _diagnosis(logits: list[float], classes: list[str]) -> dict[str, Any]:
    """The proven logits as a diagnosis and its softmax probability."""
    top = max(range(len(logits)), key=lambda i: logits[i])
    peak = max(logits)
    weights = [math.exp(x - peak) for x in logits]
    return {"diagnosis": classes[top], "score": round(weights[top] / sum(weights), 4)}


def _storage_url(world: DemoWorld) -> str:
    found = world.registry.search("storage", max_price=AIUSD)
    return found[0].card.endpoint if found else world.storage_url


def demo_script(patient: list[float]) -> list[Action]:
    """The research agent's scripted plan, one action per tool (``$tool.key``: that tool's result)."""
    return [
        Action("find_agents", {"capability": "inference.diagnosis", "max_price": AIUSD}, "find a prover"),
        Action(
            "buy_inference",
            {"endpoint": "$find_agents.endpoint", "inputs": patient},
            "buy one proven score (x402)",
        ),
        Action(
            "verify_onchain",
            {
                "model_id": "$buy_inference.model_id",
                "proof": "$buy_inference.proof",
                "instances": "$buy_inference.instances",
            },
            "check the proof on chain",
        ),
        Action(
            "store",
            {
                "record": {
                    "patient": patient,
                    "diagnosis": "$buy_inference.diagnosis",
                    "score": "$buy_inference.score",
                    "model": "$buy_inference.model_id",
                    "verified_in": "$verify_onchain.tx",
                },
                "days": 30,
            },
            "keep the result",
        ),
        Action("fetch", {"cid": "$store.cid"}, "read it back and check the CID"),
        Action(
            "hire",
            {"agent_id": "$find_agents.agent_id", "inputs": patient, "budget": 2 * AIUSD},
            "second opinion through proof-gated escrow",
        ),
        Action("feedback", {"task_id": "$hire.task_id", "score": 92}, "rate the prover"),
        Action(
            "tip",
            {"to": "0x000000000000000000000000000000000000dEaD", "amount": 25 * AIUSD},
            "a payment the policy must refuse",
        ),
    ]


def run_demo(
    chain: Chain,
    home: Path,
    *,
    note: Callable[[str], None] = lambda _: None,
    on_step: Callable[[Step], None] | None = None,
    planner: Planner | None = None,
    llm: PlanningModel | None = None,
    model: CompiledModel | None = None,
) -> tuple[Trace, dict[str, Any]]:
    """Run the whole demo; returns the trace and a summary (balances, reputation).

    ``planner`` replaces the scripted plan; ``llm`` (a model of :mod:`aiweb3.llm`) plans with a
    :class:`~aiweb3.agents.planning.ModelPlanner` over the script's actions, falling back to the
    script when its plan is invalid (``note`` says which ran); ``model`` is an already compiled
    diagnosis model (default: compile the example MLP in ``home``).
    """
    patient = [float(x) for x in example_samples()["samples"][1]]  # a held-out malignant case
    script = demo_script(patient)
    if planner is None and llm is not None:
        planner = ModelPlanner(
            llm, playbook_of(script), fallback=ScriptedPlanner(script), note=lambda t: note("planner: " + t)
        )
    with demo_world(chain, home, note, model=model) as world:
        chosen = planner or ScriptedPlanner(script)
        runtime = Runtime(world.research, research_tools(world), chosen, on_step=on_step)
        trace = runtime.run(GOAL)
        aiusd = chain.contract(artifact("AIUSD").abi, world.token.address)
        balance = int(chain.call(aiusd.functions.balanceOf(world.research.address)))
        prover = world.registry.by_wallet(world.prover_wallet)
        summary = {
            "research_balance": balance,
            "spent": trace.spent,
            "prover_reputation": prover.reputation if prover else 0.0,
            "refused": sum(1 for s in trace.steps for p in s.payments if p.status == "refused"),
        }
    return trace, summary
