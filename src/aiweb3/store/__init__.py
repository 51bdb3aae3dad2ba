"""Content-addressed artifact store (IPFS-compatible CIDv1, raw codec, sha2-256)."""

from aiweb3.store.local import LocalStore, cid_of

__all__ = ["LocalStore", "cid_of"]
