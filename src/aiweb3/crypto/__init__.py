"""Cryptographic building blocks: SD-JWT (sdjwt), Merkle trees, EIP-712 typed data."""
