"""Cryptographic building blocks: Merkle trees and EIP-712 typed data (import the modules)."""
