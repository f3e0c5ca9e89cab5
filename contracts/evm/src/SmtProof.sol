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
    function decode(bytes calldata proof) internal pure returns (Terminal memory t) {
        uint256 len = proof.length;
        if (len < 3) revert ProofMalformed(MALFORMED_SHORT);
        t.kind = uint8(proof[0]);
        if (t.kind > KIND_LEAF) revert ProofMalformed(MALFORMED_KIND);
        t.depth = (uint256(uint8(proof[1])) << 8) | uint256(uint8(proof[2]));
        if (t.depth > MAX_DEPTH) revert ProofMalformed(MALFORMED_DEPTH);
        uint256 off = 3;
        if (t.kind == KIND_LEAF) {
            if (len < 67) revert ProofMalformed(MALFORMED_SHORT);
            t.keyHash = bytes32(proof[3:35]);
            t.valueHash = bytes32(proof[35:67]);
            off = 67;
        }
        uint256 bitmapLen = (t.depth + 7) >> 3;
        if (len < off + bitmapLen) revert ProofMalformed(MALFORMED_SHORT);
        t.bitmapOffset = off;
        uint256 rem = t.depth & 7;
        if (rem != 0 && (uint8(proof[off + bitmapLen - 1]) & (uint8(0xff) >> rem)) != 0) {
            revert ProofMalformed(MALFORMED_BITMAP_PADDING);
        }
        uint256 present = 0;
        for (uint256 j = 0; j < bitmapLen; j++) {
            present += popcount8(uint8(proof[off + j]));
        }
        t.siblingsOffset = off + bitmapLen;
        if (len != t.siblingsOffset + 32 * present) revert ProofMalformed(MALFORMED_LENGTH);
    }

    /// @dev Hashes from the terminal up to the root, turning at each depth by the bits of `kh`.
    function foldToRoot(bytes32 kh, Terminal memory t, bytes calldata proof) internal view returns (bytes32 node) {
        // One 65-byte scratch buffer reused for every hash: no memory growth per level.
        bytes memory buf = new bytes(65);
        if (t.kind == KIND_LEAF) node = hashNode(buf, 0x00, t.keyHash, t.valueHash);
        uint256 depth = t.depth;
        uint256 bitmapOffset = t.bitmapOffset;
        // Siblings are listed root side first; we walk leaf side first, so take them from the end.
        uint256 next = proof.length;
        for (uint256 i = depth; i > 0; ) {
            unchecked {
                --i;
            }
            bytes32 s;
            if ((uint8(proof[bitmapOffset + (i >> 3)]) & (uint8(0x80) >> (i & 7))) != 0) {
                next -= 32;
                s = bytes32(proof[next:next + 32]);
                if (s == bytes32(0)) revert ProofMalformed(MALFORMED_ZERO_SIBLING);
            }
            if ((uint256(kh) >> (255 - i)) & 1 == 1) node = hashNode(buf, 0x01, s, node);
            else node = hashNode(buf, 0x01, node, s);
        }
    }

    function hashNode(bytes memory buf, uint8 tag, bytes32 left, bytes32 right) private view returns (bytes32 out) {
        bool ok;
        assembly ("memory-safe") {
            let p := add(buf, 32)
            mstore8(p, tag)
            mstore(add(p, 1), left)
            mstore(add(p, 33), right)
            ok := staticcall(gas(), 0x02, p, 65, 0x00, 32)
            out := mload(0x00)
        }
        require(ok);
    }

    function popcount8(uint8 x) private pure returns (uint256 c) {
        unchecked {
            while (x != 0) {
                x &= x - 1;
                c++;
            }
        }
    }
}
