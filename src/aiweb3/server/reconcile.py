"""After a restart, check the service's records that depend on the chain against the chain.

The node re-sends what the transaction journal holds (:mod:`aiweb3.chain.journal`), so after a
crash the same transactions are back, in new blocks. What this module repairs:

- content anchors: a sidecar whose batch root is anchored in another block than it says gets
  the chain's block and time; one whose root is not anchored at all (its transaction was lost
  and not re-sent) loses its anchoring record, so ``POST /api/content/anchor`` anchors it again;
- jobs: a finished job whose result names a transaction the chain does not have is marked
  (``missing_transactions`` in its result and a note in its message).

Registrations (creator handles, models, agents) live only on the chain and are read from it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from aiweb3.errors import AIWeb3Error
from aiweb3.server.services import Services

__all__ = ["reconcile"]

_TX = re.compile(r"^0x[0-9a-fA-F]{64}$")


def reconcile(services: Services) -> list[str]:
    """Repair or mark the records the chain no longer backs; returns one sentence per change."""
    return _content(services) + _jobs(services)


def _content(services: Services) -> list[str]:
    notes: list[str] = []
    anchored = [e for e in services.library.entries() if e.signed.anchoring is not None]
    if not anchored:
        return notes
    try:
        registry = services.registry
    except AIWeb3Error:
        return notes
    for entry in anchored:
        a = entry.signed.anchoring
        assert a is not None
        record = registry.earliest_anchor(bytes.fromhex(a.root[2:]), a.proof.n)
        if record.block == 0:
            services.library.save(entry, replace(entry.signed, anchoring=None))
            notes.append(
                f"content {entry.manifest_id}: its anchor (tx {a.tx_hash}) is not on the chain any more; "
                "marked not anchored (POST /api/content/anchor anchors it again)"
            )
        elif (record.block, record.timestamp) != (a.block, a.timestamp):
            services.library.save(
                entry, entry.signed.with_anchoring(replace(a, block=record.block, timestamp=record.timestamp))
            )
            notes.append(
                f"content {entry.manifest_id}: anchored again after a node crash, now block {record.block} "
                f"(was {a.block})"
            )
    return notes


def _tx_hashes(value: Any) -> list[str]:
    """Every ``tx_hash`` in a job result, however deep."""
    out: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "tx_hash" and isinstance(item, str) and _TX.match(item):
                out.append(item)
            else:
                out += _tx_hashes(item)
    elif isinstance(value, list):
        for item in value:
            out += _tx_hashes(item)
    return out


def _jobs(services: Services) -> list[str]:
    notes: list[str] = []
    checks = [(job, _tx_hashes(job.result)) for job in services.jobs.list()]
    checks = [(job, hashes) for job, hashes in checks if hashes and job.state == "succeeded"]
    for job, hashes in checks:
        found = services.chain.rpc_batch([("eth_getTransactionReceipt", [h]) for h in hashes])
        missing = [h for h, r in zip(hashes, found, strict=True) if not isinstance(r, dict)]
        known = (job.result or {}).get("missing_transactions")
        if missing and missing != known:
            services.jobs.amend(
                job,
                message=f"done, but {len(missing)} of its transactions are not on the chain any more",
                result={**(job.result or {}), "missing_transactions": missing},
            )
            notes.append(f"job {job.id} ({job.kind}): transaction(s) {', '.join(missing)} not on the chain")
    return notes
