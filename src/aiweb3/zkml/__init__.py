"""Verifiable inference: ONNX model -> ezkl circuit -> proof checked locally or on chain.

    model = Model.from_onnx("mlp.onnx", home=home).compile(samples)
    model.register(chain, signer)                 # commit it in the ModelRegistry
    result = model.prove(x)                       # outputs + proof
    result.verify()                               # locally
    result.verify_onchain(chain, signer=signer)   # InferenceVerified on chain
    prove_batch(batched_model, inputs)            # one proof per batch_size inferences
    ProverPool().prove(model, x)                  # a long-lived prover per model
    ProofStream(model, pool).submit(x)            # output now, proof when its batch is proven

Only this package imports ezkl (through ``aiweb3.zkml._ezkl``).
"""

from aiweb3.zkml.attest import (
    MODEL_AUDIT_SCHEMA,
    AuditFigures,
    AuditorTrust,
    AuditResult,
    ModelAudit,
    audit_model,
    audit_report,
    audit_summary,
    check_audited,
    model_audits,
    offchain_audit,
    rederive,
    require_audit,
)
from aiweb3.zkml.audit import VerifiedInference, audit, outputs_hash, verified_outputs
from aiweb3.zkml.batch import prove_batch, read_batch_file, save_batch_proofs, split_outputs
from aiweb3.zkml.hot import HotProver, ProverPool
from aiweb3.zkml.labels import label_inferences, label_outputs, load_output_labels, save_output_labels
from aiweb3.zkml.model import CompiledModel, CompileOptions, Model, ZkmlHome, compiled_models, parse_vka
from aiweb3.zkml.proof import FIELD_MODULUS, InferenceProof, dequantize, prove, run, verify
from aiweb3.zkml.registry import InferenceCheck, ModelRegistryClient, RegisteredModel
from aiweb3.zkml.srs import DEV_WARNING, SrsEntry, SrsStore, srs_logrows
from aiweb3.zkml.stream import ProofStream, StreamTicket

__all__ = [
    "DEV_WARNING",
    "FIELD_MODULUS",
    "MODEL_AUDIT_SCHEMA",
    "AuditFigures",
    "AuditResult",
    "AuditorTrust",
    "CompileOptions",
    "CompiledModel",
    "HotProver",
    "InferenceCheck",
    "InferenceProof",
    "Model",
    "ModelAudit",
    "ModelRegistryClient",
    "ProofStream",
    "ProverPool",
    "RegisteredModel",
    "SrsEntry",
    "SrsStore",
    "StreamTicket",
    "VerifiedInference",
    "ZkmlHome",
    "audit",
    "audit_model",
    "audit_report",
    "audit_summary",
    "check_audited",
    "compiled_models",
    "dequantize",
    "label_inferences",
    "label_outputs",
    "load_output_labels",
    "model_audits",
    "offchain_audit",
    "outputs_hash",
    "parse_vka",
    "prove",
    "prove_batch",
    "read_batch_file",
    "rederive",
    "require_audit",
    "run",
    "save_batch_proofs",
    "save_output_labels",
    "split_outputs",
    "srs_logrows",
    "verified_outputs",
    "verify",
]
