// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice The part of the Ethereum Attestation Service an audit check reads (EAS's own
/// ``Attestation`` layout and ``getAttestation``; the contracts are deployed from EAS's npm artifacts).
interface IEASReader {
    struct Attestation {
        bytes32 uid;
        bytes32 schema;
        uint64 time;
        uint64 expirationTime;
        uint64 revocationTime;
        bytes32 refUID;
        address recipient;
        address attester;
        bool revocable;
        bytes data;
    }

    function getAttestation(bytes32 uid) external view returns (Attestation memory);
}

/// @title AuditCheck — does an on-chain EAS attestation say that an auditor audited a model?
/// @notice For any contract that accepts a verified inference (escrow tasks, vaults, use cases)
/// and wants it to count only for a model a named auditor examined. An attestation counts when
/// it exists, is of aiweb3's model-audit schema, was made by that auditor, is about that model
/// (the schema's first field), is not revoked and has not expired. Off-chain (EIP-712) audits
/// cannot be checked here: only what EAS holds on chain.
library AuditCheck {
    /// The model-audit schema, exactly as aiweb3 registers it (aiweb3.chain.eas.AIWEB3_SCHEMAS).
    string internal constant MODEL_AUDIT_SCHEMA =
        "bytes32 modelId,bytes32 onnxHash,bytes32 settingsHash,string datasetCid,uint32 samples,"
        "uint32 accuracyPpm,uint32 brierPpm,uint32 ecePpm,string groupAttribute,string groupErrors";

    error NotAModelAudit(bytes32 uid);
    error WrongAuditor(bytes32 uid, address expected, address attester);
    error AuditOfAnotherModel(bytes32 uid, bytes32 modelId, bytes32 audited);
    error AuditRevoked(bytes32 uid, uint256 revokedAt);
    error AuditExpired(bytes32 uid, uint256 expiredAt);

    /// @notice The schema's UID as EAS's SchemaRegistry derives it (no resolver, revocable).
    function schemaUid() internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(MODEL_AUDIT_SCHEMA, address(0), true));
    }

    /// @notice Revert unless attestation ``uid`` on ``eas`` is a valid audit of ``modelId`` by
    /// ``auditor`` now.
    function requireAudit(IEASReader eas, bytes32 uid, bytes32 modelId, address auditor) internal view {
        IEASReader.Attestation memory a = eas.getAttestation(uid);
        // an unknown uid comes back zeroed; the schema and length checks refuse it
        if (a.uid != uid || uid == bytes32(0) || a.schema != schemaUid() || a.data.length < 32) {
            revert NotAModelAudit(uid);
        }
        if (a.attester != auditor) revert WrongAuditor(uid, auditor, a.attester);
        bytes32 audited = abi.decode(a.data, (bytes32));
        if (audited != modelId) revert AuditOfAnotherModel(uid, modelId, audited);
        if (a.revocationTime != 0) revert AuditRevoked(uid, a.revocationTime);
        if (a.expirationTime != 0 && a.expirationTime <= block.timestamp) revert AuditExpired(uid, a.expirationTime);
    }
}
