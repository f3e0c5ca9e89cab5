// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title Verifier for Pontis hub state proofs (sha256 sparse Merkle tree).
/// @notice Mirrors hub-chain/state/proof.ts byte for byte (docs/adr/0001-state-tree.md):
///   uint8 kind (0 empty terminal, 1 leaf terminal) | uint16 BE depth (0..256) |
///   [kind 1: bytes32 keyHash | bytes32 valueHash] | bitmap ceil(depth/8) bytes (MSB first,
///   bit i set iff the sibling at depth i+1 is non-empty; bits >= depth are 0) |
///   bytes32 per set bit, root side first; nothing after; a listed sibling is never zero.
///   leaf = sha256(0x00 | keyHash | valueHash), inner = sha256(0x01 | left | right), empty = 0.
/// The decoder is strict so that one proof has exactly one encoding, as in TypeScript.
library SmtProof {
    uint8 internal constant KIND_EMPTY = 0;
    uint8 internal constant KIND_LEAF = 1;
    uint256 internal constant MAX_DEPTH = 256;

    // Reasons for ProofMalformed, stable for relayers and tests.
    uint8 internal constant MALFORMED_SHORT = 1;
    uint8 internal constant MALFORMED_KIND = 2;
    uint8 internal constant MALFORMED_DEPTH = 3;
    uint8 internal constant MALFORMED_BITMAP_PADDING = 4;
    uint8 internal constant MALFORMED_LENGTH = 5;
    uint8 internal constant MALFORMED_ZERO_SIBLING = 6;

    // Reasons for ProofInvalid.
    uint8 internal constant INVALID_ROOT = 1;
    uint8 internal constant INVALID_EMPTY_TERMINAL = 2;
    uint8 internal constant INVALID_OTHER_KEY = 3;
    uint8 internal constant INVALID_OTHER_VALUE = 4;
    uint8 internal constant INVALID_OFF_PATH = 5;

    error ProofMalformed(uint8 reason);
    error ProofInvalid(uint8 reason);
    error ProofKeyPresent();

    struct Terminal {
        uint8 kind;
        uint256 depth;
        bytes32 keyHash;
        bytes32 valueHash;
        uint256 bitmapOffset;
        uint256 siblingsOffset;
    }

    /// @notice Reverts unless `proof` shows key -> value under `root`.
    function verifyMembership(bytes32 root, bytes calldata key, bytes calldata value, bytes calldata proof) internal view {
        Terminal memory t = decode(proof);
        bytes32 kh = sha256(key);
        if (t.kind != KIND_LEAF) revert ProofInvalid(INVALID_EMPTY_TERMINAL);
        if (t.keyHash != kh) revert ProofInvalid(INVALID_OTHER_KEY);
        if (t.valueHash != sha256(value)) revert ProofInvalid(INVALID_OTHER_VALUE);
        if (foldToRoot(kh, t, proof) != root) revert ProofInvalid(INVALID_ROOT);
    }

    /// @notice Reverts unless `proof` shows `key` absent under `root` (ProofKeyPresent when it proves presence).
    function verifyNonMembership(bytes32 root, bytes calldata key, bytes calldata proof) internal view {
        Terminal memory t = decode(proof);
        bytes32 kh = sha256(key);
        if (t.kind == KIND_LEAF) {
            if (t.keyHash == kh) {
                if (foldToRoot(kh, t, proof) == root) revert ProofKeyPresent();
                revert ProofInvalid(INVALID_ROOT);
            }
            // The subtree's only leaf must sit where the key would, else it says nothing about the key.
            // (x >> 256 is 0 in Solidity, so depth 0 passes; depth 256 with different hashes fails.)
            if ((uint256(t.keyHash ^ kh) >> (MAX_DEPTH - t.depth)) != 0) revert ProofInvalid(INVALID_OFF_PATH);
        }
        if (foldToRoot(kh, t, proof) != root) revert ProofInvalid(INVALID_ROOT);
    }

    /// @notice Strict decode of the header, leaf and bitmap; checks the length against the bitmap.
    /// Reads calldata words directly: every byte read lies inside `proof` (checked first) or is masked off.
    function decode(bytes calldata proof) internal pure returns (Terminal memory t) {
        uint256 len = proof.length;
        if (len < 3) revert ProofMalformed(MALFORMED_SHORT);
        uint256 base;
        uint256 head;
        assembly ("memory-safe") {
            base := proof.offset
            head := calldataload(base)
        }
        uint256 kind = head >> 248;
        if (kind > KIND_LEAF) revert ProofMalformed(MALFORMED_KIND);
        uint256 depth = (head >> 232) & 0xffff;
        if (depth > MAX_DEPTH) revert ProofMalformed(MALFORMED_DEPTH);
        t.kind = uint8(kind);
        t.depth = depth;
        uint256 off = 3;
        if (kind == KIND_LEAF) {
            if (len < 67) revert ProofMalformed(MALFORMED_SHORT);
            bytes32 keyHash;
            bytes32 valueHash;
            assembly ("memory-safe") {
                keyHash := calldataload(add(base, 3))
                valueHash := calldataload(add(base, 35))
            }
            t.keyHash = keyHash;
            t.valueHash = valueHash;
            off = 67;
        }
        uint256 bitmapLen = (depth + 7) >> 3; // 0..32: one calldata word holds the whole bitmap
        if (len < off + bitmapLen) revert ProofMalformed(MALFORMED_SHORT);
        t.bitmapOffset = off;
        uint256 bitmap;
        assembly ("memory-safe") {
            // keep the bitmap's bytes only (shr by 256 is 0, so a 32-byte bitmap keeps the whole word)
            bitmap := and(calldataload(add(base, off)), not(shr(shl(3, bitmapLen), not(0))))
        }
        // bits past `depth` must be 0 (they sit in the last bitmap byte)
        if ((bitmap << depth) != 0) revert ProofMalformed(MALFORMED_BITMAP_PADDING);
        uint256 present;
        unchecked {
            while (bitmap != 0) {
                bitmap &= bitmap - 1;
                ++present;
            }
            t.siblingsOffset = off + bitmapLen;
            if (len != t.siblingsOffset + 32 * present) revert ProofMalformed(MALFORMED_LENGTH);
        }
    }

    /// @dev Hashes from the terminal up to the root, turning at each depth by the bits of `kh`.
    function foldToRoot(bytes32 kh, Terminal memory t, bytes calldata proof) internal view returns (bytes32 node) {
        bool ok = true;
        bool zeroSibling;
        // One 65-byte buffer past the free memory pointer, reused for every hash (never allocated:
        // nothing else runs in between). Siblings are listed root side first; we walk leaf side
        // first, so they are taken from the end. decode() checked that the bitmap and the siblings
        // it announces fill `proof` exactly, so every read below is inside it.
        assembly ("memory-safe") {
            // t's fields, in declaration order: kind, depth, keyHash, valueHash, bitmapOffset
            let buf := mload(0x40)
            if eq(mload(t), 1) {
                mstore8(buf, 0x00)
                mstore(add(buf, 1), mload(add(t, 0x40)))
                mstore(add(buf, 33), mload(add(t, 0x60)))
                ok := staticcall(gas(), 0x02, buf, 65, 0x00, 32)
                node := mload(0x00)
            }
            mstore8(buf, 0x01)
            let bitmap := add(proof.offset, mload(add(t, 0x80)))
            let next := add(proof.offset, proof.length)
            for { let i := mload(add(t, 0x20)) } gt(i, 0) {} {
                i := sub(i, 1)
                let s := 0
                if and(byte(0, calldataload(add(bitmap, shr(3, i)))), shr(and(i, 7), 0x80)) {
                    next := sub(next, 32)
                    s := calldataload(next)
                    if iszero(s) {
                        zeroSibling := 1
                        break
                    }
                }
                switch and(shr(sub(255, i), kh), 1)
                case 1 {
                    mstore(add(buf, 1), s)
                    mstore(add(buf, 33), node)
                }
                default {
                    mstore(add(buf, 1), node)
                    mstore(add(buf, 33), s)
                }
                ok := and(ok, staticcall(gas(), 0x02, buf, 65, 0x00, 32))
                node := mload(0x00)
            }
        }
        if (zeroSibling) revert ProofMalformed(MALFORMED_ZERO_SIBLING);
        require(ok);
    }
}
