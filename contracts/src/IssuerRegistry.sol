// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable2Step, Ownable} from "@openzeppelin/contracts/access/Ownable2Step.sol";

/// @title IssuerRegistry — who may sign which kind of record
/// @notice A governance account (the owner, transferred in two steps) registers record issuers
/// (hospitals, labs, banks) by the RFC 7638 JWK thumbprint of their signing key, with the record
/// schemas each may sign, and revokes them. Verifiers look an SD-JWT's issuer key up here.
contract IssuerRegistry is Ownable2Step {
    struct Issuer {
        string name;
        uint64 registeredAt;
        uint64 revokedAt;
        bool registered;
    }

    mapping(bytes32 thumbprint => Issuer) private _issuers;
    mapping(bytes32 thumbprint => mapping(bytes32 schemaId => bool)) private _allowed;

    event IssuerRegistered(bytes32 indexed thumbprint, string name);
    event IssuerRevoked(bytes32 indexed thumbprint);
    event SchemaAllowed(bytes32 indexed thumbprint, bytes32 indexed schemaId, bool allowed);

    error IssuerAlreadyRegistered(bytes32 thumbprint);
    error UnknownIssuer(bytes32 thumbprint);
    error IssuerIsRevoked(bytes32 thumbprint);
    error ZeroThumbprint();

    constructor() Ownable(msg.sender) {}

    /// @notice Register an issuer key with the schemas it may sign. A revoked key stays revoked.
    function registerIssuer(bytes32 thumbprint, string calldata name, bytes32[] calldata schemaIds)
        external
        onlyOwner
    {
        if (thumbprint == bytes32(0)) revert ZeroThumbprint();
        if (_issuers[thumbprint].registered) revert IssuerAlreadyRegistered(thumbprint);
        _issuers[thumbprint] = Issuer(name, uint64(block.timestamp), 0, true);
        emit IssuerRegistered(thumbprint, name);
        for (uint256 i = 0; i < schemaIds.length; i++) {
            _allowed[thumbprint][schemaIds[i]] = true;
            emit SchemaAllowed(thumbprint, schemaIds[i], true);
        }
    }

    /// @notice Allow or disallow one schema for a registered, unrevoked issuer.
    function setSchema(bytes32 thumbprint, bytes32 schemaId, bool allowed) external onlyOwner {
        Issuer storage entry = _issuers[thumbprint];
        if (!entry.registered) revert UnknownIssuer(thumbprint);
        if (entry.revokedAt != 0) revert IssuerIsRevoked(thumbprint);
        _allowed[thumbprint][schemaId] = allowed;
        emit SchemaAllowed(thumbprint, schemaId, allowed);
    }

    /// @notice Revoke an issuer key for good (a compromised or retired key).
    function revokeIssuer(bytes32 thumbprint) external onlyOwner {
        Issuer storage entry = _issuers[thumbprint];
        if (!entry.registered) revert UnknownIssuer(thumbprint);
        if (entry.revokedAt != 0) revert IssuerIsRevoked(thumbprint);
        entry.revokedAt = uint64(block.timestamp);
        emit IssuerRevoked(thumbprint);
    }

    /// @notice True when the key is registered, not revoked and allowed to sign the schema.
    function isAuthorized(bytes32 thumbprint, bytes32 schemaId) external view returns (bool) {
        Issuer storage entry = _issuers[thumbprint];
        return entry.registered && entry.revokedAt == 0 && _allowed[thumbprint][schemaId];
    }

    /// @notice The issuer record of a key (zero values when unknown).
    function issuer(bytes32 thumbprint) external view returns (Issuer memory) {
        return _issuers[thumbprint];
    }
}
