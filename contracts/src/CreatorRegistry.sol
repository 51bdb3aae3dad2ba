// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

/// @title CreatorRegistry — creator handles, their signing keys, and anchored manifests
/// @notice A handle is bound to one current key. Keys rotate (the old key and the new key both
/// sign an EIP-712 Rotation, anyone submits), can be revoked from a point in time (content
/// signed after it no longer verifies), and a handle can revoke one of its manifests.
/// Anyone can anchor the Merkle root of a batch of manifest ids. An anchoring belongs to whoever
/// made it (it is kept per anchorer), so a front-runner who anchors the same root first blocks
/// nobody; and the earliest anchoring of each (root, batch size) is kept too, which proves every
/// included manifest existed by then, whoever paid for it.
/// The EIP-712 domain of this contract is also the domain creators sign manifests in, so a
/// manifest signature is bound to this chain and this registry. Holds no funds: nothing is payable.
contract CreatorRegistry is EIP712 {
    bytes32 public constant ROTATION_TYPEHASH =
        keccak256("Rotation(string handle,address oldKey,address newKey,uint256 nonce,uint256 deadline)");

    struct KeyInfo {
        bytes32 handle; // keccak256 of the handle string; zero when the key was never registered
        uint64 addedAt;
        uint64 retiredAt; // rotated away at this time (0: still current or revoked)
        uint64 revokedSince; // signatures from this time on are invalid (0: not revoked)
    }

    struct Anchor {
        uint64 blockNumber;
        uint64 timestamp;
        uint32 count;
        address by;
    }

    mapping(address key => KeyInfo) private _keys;
    mapping(bytes32 handle => address key) private _currentKey;
    mapping(bytes32 handle => string name) private _names;
    mapping(bytes32 handle => uint256 nonce) public rotationNonce;
    mapping(bytes32 handle => mapping(bytes32 manifestId => uint64 time)) private _manifestRevoked;
    mapping(address by => mapping(bytes32 root => Anchor)) private _anchors;
    /// The earliest anchoring of each batch, keyed by keccak256(root, count): a root only stands
    /// for a batch of one size (the tree shape follows from it), so a copied root with another
    /// count is another batch and cannot shadow the real one.
    mapping(bytes32 batch => Anchor) private _earliest;

    event HandleRegistered(bytes32 indexed handleHash, string handle, address indexed key);
    event KeyRotated(bytes32 indexed handleHash, address indexed oldKey, address indexed newKey);
    event KeyRevoked(bytes32 indexed handleHash, address indexed key, uint64 since);
    event ManifestRevoked(bytes32 indexed handleHash, bytes32 indexed manifestId);
    event BatchAnchored(bytes32 indexed root, address indexed by, uint32 count, uint64 timestamp);

    error InvalidHandle(string handle);
    error HandleTaken(string handle);
    error KeyAlreadyRegistered(address key);
    error NotCurrentKey(address caller, string handle);
    error UnknownHandle(string handle);
    error NotAKeyOfHandle(address key, string handle);
    error RotationExpired(uint256 deadline, uint256 blockTime);
    error InvalidRotationSignature(address expectedSigner);
    error RevocationInFuture(uint64 since, uint256 blockTime);
    error KeyAlreadyRevoked(address key, uint64 since);
    error ManifestAlreadyRevoked(bytes32 manifestId);
    error AlreadyAnchored(bytes32 root, uint64 blockNumber);
    error EmptyBatch();
    error ZeroRoot();
    error NotAnchored(bytes32 root);
    error BadInclusionProof(uint256 index, uint256 count);

    constructor() EIP712("aiweb3 CreatorRegistry", "1") {}

    // ---------------------------------------------------------------- handles and keys

    /// @notice Bind `handle` (3-32 chars of a-z, 0-9, '-', '_', '.') to the caller's address.
    function register(string calldata handle) external {
        bytes32 h = _validHandle(handle);
        if (_currentKey[h] != address(0) || bytes(_names[h]).length != 0) revert HandleTaken(handle);
        if (_keys[msg.sender].handle != bytes32(0)) revert KeyAlreadyRegistered(msg.sender);
        _names[h] = handle;
        _currentKey[h] = msg.sender;
        _keys[msg.sender] = KeyInfo(h, uint64(block.timestamp), 0, 0);
        emit HandleRegistered(h, handle, msg.sender);
    }

    /// @notice Move `handle` from its current key to `newKey`. Both keys sign the EIP-712
    /// Rotation (the old authorizes, the new proves it is held), so anyone may submit it.
    /// Content the old key signed before now stays valid; after now it does not.
    function rotateKey(
        string calldata handle,
        address newKey,
        uint256 deadline,
        bytes calldata oldKeySignature,
        bytes calldata newKeySignature
    ) external {
        bytes32 h = keccak256(bytes(handle));
        address oldKey = _currentKey[h];
        if (oldKey == address(0)) revert UnknownHandle(handle);
        if (block.timestamp > deadline) revert RotationExpired(deadline, block.timestamp);
        if (_keys[newKey].handle != bytes32(0) || newKey == address(0)) revert KeyAlreadyRegistered(newKey);
        bytes32 digest = _hashTypedDataV4(
            keccak256(abi.encode(ROTATION_TYPEHASH, h, oldKey, newKey, rotationNonce[h], deadline))
        );
        if (!SignatureChecker.isValidSignatureNow(oldKey, digest, oldKeySignature)) {
            revert InvalidRotationSignature(oldKey);
        }
        if (!SignatureChecker.isValidSignatureNow(newKey, digest, newKeySignature)) {
            revert InvalidRotationSignature(newKey);
        }
        rotationNonce[h] += 1;
        _keys[oldKey].retiredAt = uint64(block.timestamp);
        _keys[newKey] = KeyInfo(h, uint64(block.timestamp), 0, 0);
        _currentKey[h] = newKey;
        emit KeyRotated(h, oldKey, newKey);
    }

    /// @notice Revoke `key` (a key of the caller's handle, the current one included) from time
    /// `since` on: signatures it made at or after `since` no longer verify. Revoking the current
    /// key leaves the handle without a key (rotate first to keep it).
    function revokeKey(address key, uint64 since) external {
        bytes32 h = _callerHandle();
        KeyInfo storage info = _keys[key];
        if (info.handle != h) revert NotAKeyOfHandle(key, _names[h]);
        if (since > block.timestamp) revert RevocationInFuture(since, block.timestamp);
        if (info.revokedSince != 0) revert KeyAlreadyRevoked(key, info.revokedSince);
        info.revokedSince = since == 0 ? 1 : since;
        if (_currentKey[h] == key) _currentKey[h] = address(0);
        emit KeyRevoked(h, key, info.revokedSince);
    }

    /// @notice Withdraw one manifest of the caller's handle (by its EIP-712 manifest id).
    function revokeManifest(bytes32 manifestId) external {
        bytes32 h = _callerHandle();
        if (_manifestRevoked[h][manifestId] != 0) revert ManifestAlreadyRevoked(manifestId);
        _manifestRevoked[h][manifestId] = uint64(block.timestamp);
        emit ManifestRevoked(h, manifestId);
    }

    // ---------------------------------------------------------------- anchoring

    /// @notice Anchor the Merkle root of `count` manifest ids under the caller's address; records
    /// the block and time. Anyone may anchor any root: anchorings by others, earlier or later,
    /// never block this one (each anchorer has its own record; only the same anchorer anchoring
    /// the same root twice reverts).
    function anchor(bytes32 root, uint32 count) external {
        if (root == bytes32(0)) revert ZeroRoot();
        if (count == 0) revert EmptyBatch();
        Anchor storage mine = _anchors[msg.sender][root];
        if (mine.blockNumber != 0) revert AlreadyAnchored(root, mine.blockNumber);
        Anchor memory a = Anchor(uint64(block.number), uint64(block.timestamp), count, msg.sender);
        _anchors[msg.sender][root] = a;
        Anchor storage first = _earliest[_batchKey(root, count)];
        if (first.blockNumber == 0) _earliest[_batchKey(root, count)] = a;
        emit BatchAnchored(root, msg.sender, count, uint64(block.timestamp));
    }

    // ---------------------------------------------------------------- views

    /// @notice The handle a key belongs to and its lifetime (empty handle: never registered).
    function keyInfo(address key)
        external
        view
        returns (string memory handle, uint64 addedAt, uint64 retiredAt, uint64 revokedSince, bool current)
    {
        KeyInfo memory info = _keys[key];
        return (_names[info.handle], info.addedAt, info.retiredAt, info.revokedSince,
            info.handle != bytes32(0) && _currentKey[info.handle] == key);
    }

    /// @notice The current key of a handle (zero when unknown or revoked).
    function currentKey(string calldata handle) external view returns (address) {
        return _currentKey[keccak256(bytes(handle))];
    }

    /// @notice When `handle` revoked `manifestId` (0: not revoked).
    function manifestRevokedAt(string calldata handle, bytes32 manifestId) external view returns (uint64) {
        return _manifestRevoked[keccak256(bytes(handle))][manifestId];
    }

    /// @notice The anchoring of `root` by `by` (all zero when `by` never anchored it).
    function anchorOf(address by, bytes32 root) external view returns (Anchor memory) {
        return _anchors[by][root];
    }

    /// @notice The earliest anchoring of the batch `root` of `count` manifest ids, by anyone
    /// (all zero when never anchored with that count).
    function earliestAnchor(bytes32 root, uint32 count) external view returns (Anchor memory) {
        return _earliest[_batchKey(root, count)];
    }

    /// @notice When `manifestId` was anchored, proven by its inclusion in an anchored batch: leaf
    /// `index` of `count`, with `proof` the sibling hashes from the leaf up. The tree is the one
    /// aiweb3 builds off chain: sha256(0x00 || id) leaves, sha256(0x01 || left || right) nodes,
    /// an odd last node carried up. The answer is the earliest anchoring of that batch, by anyone.
    /// Reverts NotAnchored when the batch was never anchored.
    function anchoredAt(bytes32 manifestId, uint256 index, uint256 count, bytes32[] calldata proof)
        external
        view
        returns (uint64 blockNumber, uint64 timestamp)
    {
        if (index >= count || count > type(uint32).max) revert BadInclusionProof(index, count);
        bytes32 node = sha256(abi.encodePacked(bytes1(0x00), manifestId));
        uint256 used = 0;
        for (uint256 width = count; width > 1; width = (width + 1) / 2) {
            if (index % 2 == 1) {
                if (used == proof.length) revert BadInclusionProof(index, count);
                node = sha256(abi.encodePacked(bytes1(0x01), proof[used++], node));
            } else if (index + 1 < width) {
                if (used == proof.length) revert BadInclusionProof(index, count);
                node = sha256(abi.encodePacked(bytes1(0x01), node, proof[used++]));
            }
            index /= 2;
        }
        if (used != proof.length) revert BadInclusionProof(index, count);
        Anchor memory a = _earliest[_batchKey(node, uint32(count))];
        if (a.blockNumber == 0) revert NotAnchored(node);
        return (a.blockNumber, a.timestamp);
    }

    /// @notice The EIP-712 domain separator (name "aiweb3 CreatorRegistry", version "1").
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ---------------------------------------------------------------- internal

    function _batchKey(bytes32 root, uint32 count) private pure returns (bytes32) {
        return keccak256(abi.encode(root, count));
    }

    function _callerHandle() private view returns (bytes32 h) {
        h = _keys[msg.sender].handle;
        // The zero handle hash is the "no handle" sentinel, not an amount (Slither incorrect-equality).
        // slither-disable-next-line incorrect-equality
        if (h == bytes32(0) || _currentKey[h] != msg.sender) revert NotCurrentKey(msg.sender, _names[h]);
    }

    function _validHandle(string calldata handle) private pure returns (bytes32) {
        bytes calldata b = bytes(handle);
        if (b.length < 3 || b.length > 32) revert InvalidHandle(handle);
        for (uint256 i = 0; i < b.length; ++i) {
            bytes1 c = b[i];
            bool ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c == 0x2d || c == 0x5f || c == 0x2e;
            if (!ok) revert InvalidHandle(handle);
        }
        return keccak256(b);
    }
}
