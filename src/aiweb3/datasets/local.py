"""Local state of the dataset flow under ``AIWEB3_HOME/datasets`` and the artifact store.

    issuers/<name>.json            issuer keys (secret, mode 0600)
    inbox/<chain>/<pool>/<id>.json contributions waiting for the curator (hold the record-secret
                                   disclosure: secret, mode 0600; a remote curator gets them by
                                   any private channel)
Presentations, policies, exported tables and manifests live in the content-addressed store.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from multiformats import CID, multihash

from aiweb3.datasets.curator import DatasetReport, Submission
from aiweb3.datasets.records import Contribution, HeldRecord, RecordIssuer
from aiweb3.datasets.schemas import DisclosurePolicy
from aiweb3.errors import InputError, StoreError
from aiweb3.files import atomic_write_json, canonical_json
from aiweb3.store import LocalStore

__all__ = ["DatasetHome", "cid_of_digest", "export_table"]


def cid_of_digest(digest: bytes) -> str:
    """The CIDv1 (raw, sha2-256) naming the bytes whose sha2-256 is ``digest``."""
    return str(CID("base32", 1, "raw", multihash.wrap(digest, "sha2-256")))


def export_table(rows: list[dict[str, Any]]) -> bytes:
    """CSV of the rows (columns sorted; the same rows give the same bytes)."""
    columns = sorted({k for r in rows for k in r})
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode()


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise InputError(f"{what} {path} does not exist") from None
    except ValueError as exc:
        raise InputError(f"{what} {path} is not valid JSON: {exc}") from None


class DatasetHome:
    """Files of the dataset flow in one AIWEB3_HOME, plus the artifact store."""

    def __init__(self, home: Path, store: LocalStore) -> None:
        self.root = Path(home) / "datasets"
        self.store = store

    # issuers
    def save_issuer(self, issuer: RecordIssuer) -> Path:
        """Write an issuer key file (mode 0600); refuses to overwrite."""
        path = self._issuer_path(issuer.name)
        if path.exists():
            raise InputError(f"an issuer named {issuer.name!r} exists already ({path})")
        atomic_write_json(path, issuer.to_json(), mode=0o600)
        return path

    def _issuer_path(self, name: str) -> Path:
        slug = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
        return self.root / "issuers" / f"{slug}.json"

    def load_issuer(self, name: str) -> RecordIssuer:
        """An issuer saved by :meth:`save_issuer`."""
        return RecordIssuer.from_json(_read_json(self._issuer_path(name), "issuer key file"))

    # held records
    @staticmethod
    def load_held(path: Path) -> HeldRecord:
        """A holder file written by ``aiweb3 record issue``."""
        return HeldRecord.from_json(_read_json(path, "held record"))

    @staticmethod
    def save_held(path: Path, held: HeldRecord) -> None:
        """Write a holder file (mode 0600: it holds private keys)."""
        atomic_write_json(path, held.to_json(), mode=0o600)

    # policies
    def publish_policy(self, policy: DisclosurePolicy) -> str:
        """Store the canonical policy; returns its CID."""
        return self.store.put_bytes(policy.canonical())

    def load_policy(self, cid: str) -> DisclosurePolicy:
        """A published policy by CID."""
        try:
            return DisclosurePolicy.from_json(json.loads(self.store.get_bytes(cid)))
        except ValueError as exc:
            raise StoreError(f"policy {cid} is not valid JSON") from exc

    # contributions
    def publish(self, contribution: Contribution) -> str:
        """Store the presentation (public) and return its CID."""
        return self.store.put_bytes(contribution.presentation.encode("ascii"))

    def fetch(self, digest: bytes) -> bytes:
        """A published presentation by its sha2-256 digest."""
        return self.store.get_bytes(cid_of_digest(digest))

    def _inbox(self, chain_id: int, pool: str, dataset_id: int) -> Path:
        return self.root / "inbox" / str(chain_id) / pool.lower() / str(dataset_id)

    def deliver(self, contribution: Contribution, contribution_id: int) -> Path:
        """Hand a contribution to the curator's inbox (mode 0600)."""
        ref = contribution.ref
        path = self._inbox(ref.chain_id, ref.pool, ref.dataset_id) / f"{contribution_id}.json"
        data = {
            "contribution_id": contribution_id,
            "presentation": contribution.presentation,
            "secret_disclosure": contribution.secret_disclosure,
        }
        atomic_write_json(path, data, mode=0o600)
        return path

    def inbox(self, chain_id: int, pool: str, dataset_id: int) -> list[Submission]:
        """Submissions waiting in a dataset's inbox, by contribution id."""
        folder = self._inbox(chain_id, pool, dataset_id)
        out = []
        for path in sorted(folder.glob("*.json"), key=lambda p: int(p.stem) if p.stem.isdigit() else 0):
            data = _read_json(path, "inbox entry")
            out.append(
                Submission(int(data["contribution_id"]), data["presentation"], data["secret_disclosure"])
            )
        return out

    def clear(self, chain_id: int, pool: str, dataset_id: int, contribution_ids: list[int]) -> None:
        """Remove handled submissions (their secret disclosures are no longer needed)."""
        folder = self._inbox(chain_id, pool, dataset_id)
        for cid in contribution_ids:
            (folder / f"{cid}.json").unlink(missing_ok=True)

    # export
    def export(self, report: DatasetReport, chain_id: int, pool: str, policy_cid: str) -> tuple[str, str]:
        """Store the table and a manifest naming it, the policy and the presentations.

        Returns:
            (manifest CID = the dataset's content id, table CID).
        """
        table_cid = self.store.put_bytes(export_table(report.rows))
        manifest = {
            "kind": "aiweb3.dataset/v1",
            "chain_id": chain_id,
            "pool": pool,
            "dataset_id": report.dataset_id,
            "policy": policy_cid,
            "table": table_cid,
            "rows": len(report.rows),
            "k_anonymity": report.k,
            "min_k": report.min_k,
        }
        return self.store.put_bytes(canonical_json(manifest)), table_cid
