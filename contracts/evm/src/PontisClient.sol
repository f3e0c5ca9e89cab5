// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {SmtProof} from "./SmtProof.sol";

/// @title Light client of the Pontis hub on an EVM chain.
/// @notice Follows hub headers signed by > 2/3 of the hub's voting power (secp256k1 precommits,
/// checked with ecrecover) and verifies hub state proofs against the state roots it stored.
/// Byte formats mirror hub-chain/types/header.ts, vote.ts and validator-set.ts exactly.
/// Trust rule: a new header must be signed by the set the latest trusted header named as next
/// (header.validatorsHash == latest.nextValidatorsHash). For an adjacent height that is the
/// hub's own rule; for a skipped range it means the set did not change, which is sound within
/// the trusting period because > 2/3 of a trusted set signed. A changed set is followed by
/// submitting the headers where it changes.
contract PontisClient {
    /// @notice Hub header fields, in the order of the canonical encoding.
    struct HubHeader {
        string chainId;
        uint64 height;
        uint64 timeMs;
        bytes32 prevHash;
        bytes32 txRoot;
        bytes32 stateRoot;
        bytes32 validatorsHash;
        bytes32 nextValidatorsHash;
        bytes32 evidenceHash;
        bytes32 resultsHash;
        address proposer;
    }

    /// @notice One precommit: validatorIndex points into the validators array passed with it.
    struct CommitSig {
        uint16 validatorIndex;
        bytes32 r;
        bytes32 s;
        uint8 v;
    }

    struct ConsensusState {
        bytes32 headerHash;
        bytes32 stateRoot;
        bytes32 validatorsHash;
        uint64 timeMs;
    }

    enum Status {
        Active,
        Frozen,
        Expired
    }

    uint8 private constant HEADER_VERSION = 2;
    uint8 private constant PRECOMMIT = 2;
    uint256 private constant MAX_VALIDATORS = 150;
    /// secp256k1 n / 2: signatures with a larger s are the malleated twin and are refused.
    uint256 private constant HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    bytes32 public immutable chainIdHash;
    string public chainId;
    uint64 public immutable trustingPeriodMs;
    uint64 public immutable maxClockDriftMs;

    // frozen, latestHeight and trustedFloor share one slot: every proof check reads all three.
    bool public frozen;
    uint64 public latestHeight;
    /// Heights below this are not trusted (they predate the last recovery).
    uint64 public trustedFloor;
    address public owner;
    address public pendingOwner;
    bytes32 public nextValidatorsHash;
    mapping(uint64 => ConsensusState) private consensus;

    event ClientUpdated(uint64 indexed height, bytes32 headerHash, bytes32 stateRoot, uint64 timeMs);
    event ClientFrozen(uint64 indexed height, bytes32 trustedHeaderHash, bytes32 conflictingHeaderHash);
    event ClientRecovered(uint64 indexed height, bytes32 headerHash, bytes32 validatorsHash);
    event OwnershipTransferStarted(address indexed previousOwner, address indexed newOwner);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    error NotOwner();
    error ZeroAddress();
    error BadParameter();
    error ClientFrozenError();
    error ClientExpired();
    error ClientNotRecoverable();
    error WrongChainId();
    error StaleHeight(uint64 height, uint64 latestHeight);
    error UntrustedValidators();
    error ValidatorSetMismatch();
    error ValidatorSetInvalid();
    error PrevHashMismatch();
    error TimeNotIncreasing();
    error HeaderFromFuture();
    error BadSignature(uint256 index);
    error SignerNotValidator(uint256 index);
    error SignersNotAscending(uint256 index);
    error InsufficientPower(uint256 signed, uint256 total);
    error UnknownHeight(uint64 height);
    error HeightBelowFloor(uint64 height);

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner();
        _;
    }

    /// @param hubChainId the hub's chain id (the header's and the vote digest's).
    /// @param trustingPeriod_ ms after the latest header's time during which its set is trusted.
    /// @param maxClockDrift_ ms a header's time may be ahead of this chain's clock.
    /// @param trusted a hub header obtained out of band (genesis or social consensus).
    /// @param validators the set that signed `trusted`, in canonical order, with `powers`.
    constructor(
        string memory hubChainId,
        uint64 trustingPeriod_,
        uint64 maxClockDrift_,
        HubHeader memory trusted,
        address[] memory validators,
        uint64[] memory powers
    ) {
        if (trustingPeriod_ == 0) revert BadParameter();
        if (bytes(hubChainId).length == 0 || bytes(hubChainId).length > 64) revert BadParameter();
        chainId = hubChainId;
        chainIdHash = keccak256(bytes(hubChainId));
        trustingPeriodMs = trustingPeriod_;
        maxClockDriftMs = maxClockDrift_;
        owner = msg.sender;
        emit OwnershipTransferred(address(0), msg.sender);
        _installTrusted(trusted, validators, powers);
    }

    // ---------------------------------------------------------------- views

    function status() public view returns (Status) {
        if (frozen) return Status.Frozen;
        if (_nowMs() >= uint256(consensus[latestHeight].timeMs) + trustingPeriodMs) return Status.Expired;
        return Status.Active;
    }

    function stateRootAt(uint64 height) external view returns (bytes32) {
        return consensus[height].stateRoot;
    }

    function timestampAt(uint64 height) external view returns (uint64) {
        return consensus[height].timeMs;
    }

    function headerHashAt(uint64 height) external view returns (bytes32) {
        return consensus[height].headerHash;
    }

    function validatorsHashAt(uint64 height) external view returns (bytes32) {
        return consensus[height].validatorsHash;
    }

    /// @notice keccak256 of the canonical header encoding (hub-chain/types/header.ts encodeHeader).
    function hashHeader(HubHeader calldata h) public pure returns (bytes32) {
        return keccak256(
            abi.encodePacked(
                HEADER_VERSION,
                uint8(bytes(h.chainId).length),
                bytes(h.chainId),
                h.height,
                h.timeMs,
                h.prevHash,
                h.txRoot,
                h.stateRoot,
                h.validatorsHash,
                h.nextValidatorsHash,
                h.evidenceHash,
                h.resultsHash,
                h.proposer
            )
        );
    }

    /// @notice The precommit sign bytes (hub-chain/types/vote.ts voteDigest with type 2).
    function precommitDigest(uint64 height, uint32 round, bytes32 blockHash) public view returns (bytes32) {
        return keccak256(abi.encodePacked(bytes1(0x19), "PONTIS", PRECOMMIT, chainIdHash, height, round, blockHash));
    }

    /// @notice keccak256(address20 | uint64 power ...) in the given order, which must be canonical
    /// (power descending, address ascending), with every power non-zero. Returns the total power.
    function hashValidatorSet(address[] memory validators, uint64[] memory powers) public pure returns (bytes32 hash, uint256 total) {
        uint256 n = validators.length;
        if (n == 0 || n > MAX_VALIDATORS || powers.length != n) revert ValidatorSetInvalid();
        bytes memory packed = new bytes(28 * n);
        for (uint256 i = 0; i < n; i++) {
            address a = validators[i];
            uint64 p = powers[i];
            if (p == 0 || a == address(0)) revert ValidatorSetInvalid();
            if (i > 0) {
                uint64 pp = powers[i - 1];
                // strict canonical order also rules out a validator listed twice
                if (p > pp || (p == pp && a <= validators[i - 1])) revert ValidatorSetInvalid();
            }
            total += p;
            assembly ("memory-safe") {
                let dst := add(add(packed, 32), mul(i, 28))
                mstore(dst, shl(96, a))
                // the power's 8 bytes follow the address; the 24 bytes after them are rewritten by the next entry
                mstore(add(dst, 20), shl(192, p))
            }
        }
        hash = keccak256(packed);
    }

    // ---------------------------------------------------------------- proofs

    /// @notice Reverts unless the hub state at `height` maps `key` to `value`.
    function verifyMembership(uint64 height, bytes calldata key, bytes calldata value, bytes calldata proof) external view {
        SmtProof.verifyMembership(_provableRoot(height), key, value, proof);
    }

    /// @notice Reverts unless `key` is absent from the hub state at `height`.
    function verifyNonMembership(uint64 height, bytes calldata key, bytes calldata proof) external view {
        SmtProof.verifyNonMembership(_provableRoot(height), key, proof);
    }

    // ---------------------------------------------------------------- updates

    /// @notice Verifies and stores a hub header. A validly signed header that conflicts with one
    /// already stored at its height freezes the client (and does not revert, so the freeze sticks).
    /// @param sigs precommits ordered by signer address, strictly ascending.
    /// @param validators the set that signed, canonical order, with `powers`.
    function updateClient(
        HubHeader calldata header,
        uint32 round,
        CommitSig[] calldata sigs,
        address[] calldata validators,
        uint64[] calldata powers
    ) external {
        if (frozen) revert ClientFrozenError();
        if (keccak256(bytes(header.chainId)) != chainIdHash) revert WrongChainId();
        bytes32 hh = hashHeader(header);
        uint64 h = header.height;
        ConsensusState storage known = consensus[h];
        if (known.headerHash != bytes32(0)) {
            if (known.headerHash == hh) return; // already stored: relayers may race, nothing to do
            // heights below a recovery belong to the history the owner chose to leave behind
            if (h < trustedFloor) revert HeightBelowFloor(h);
            _handleConflict(h, known, hh, round, sigs, validators, powers);
            return;
        }
        _checkExtendsLatest(header);
        _verifySignedBy(header.validatorsHash, h, round, hh, sigs, validators, powers);

        consensus[h] = ConsensusState({headerHash: hh, stateRoot: header.stateRoot, validatorsHash: header.validatorsHash, timeMs: header.timeMs});
        latestHeight = h;
        nextValidatorsHash = header.nextValidatorsHash;
        emit ClientUpdated(h, hh, header.stateRoot, header.timeMs);
    }

    /// @dev A header above the latest must be signed by the set the latest named as next, extend it
    /// when adjacent, and move time forward within the allowed drift, while the latest is trusted.
    function _checkExtendsLatest(HubHeader calldata header) private view {
        uint64 latest = latestHeight;
        if (header.height <= latest) revert StaleHeight(header.height, latest);
        ConsensusState storage last = consensus[latest];
        if (_nowMs() >= uint256(last.timeMs) + trustingPeriodMs) revert ClientExpired();
        if (header.validatorsHash != nextValidatorsHash) revert UntrustedValidators();
        if (header.height == latest + 1 && header.prevHash != last.headerHash) revert PrevHashMismatch();
        if (header.timeMs <= last.timeMs) revert TimeNotIncreasing();
        if (uint256(header.timeMs) > _nowMs() + maxClockDriftMs) revert HeaderFromFuture();
    }

    /// @dev The provided set must be the one with hash `validatorsHash`, and > 2/3 of it must have
    /// signed the precommit for (h, round, hh).
    function _verifySignedBy(
        bytes32 validatorsHash,
        uint64 h,
        uint32 round,
        bytes32 hh,
        CommitSig[] calldata sigs,
        address[] calldata validators,
        uint64[] calldata powers
    ) private view {
        (bytes32 vh, uint256 total) = hashValidatorSet(validators, powers);
        if (vh != validatorsHash) revert ValidatorSetMismatch();
        _verifyCommit(precommitDigest(h, round, hh), sigs, validators, powers, total);
    }

    // ---------------------------------------------------------------- admin

    /// @notice Starts handing the owner role to `newOwner`, who must accept it.
    function transferOwnership(address newOwner) external onlyOwner {
        if (newOwner == address(0)) revert ZeroAddress();
        pendingOwner = newOwner;
        emit OwnershipTransferStarted(owner, newOwner);
    }

    function acceptOwnership() external {
        if (msg.sender != pendingOwner) revert NotOwner();
        emit OwnershipTransferred(owner, msg.sender);
        owner = msg.sender;
        pendingOwner = address(0);
    }

    /// @notice Restarts a frozen or expired client from a new trusted header above everything
    /// stored; proofs at heights below it are refused from then on.
    function recoverClient(HubHeader calldata trusted, address[] calldata validators, uint64[] calldata powers) external onlyOwner {
        if (status() == Status.Active) revert ClientNotRecoverable();
        if (trusted.height <= latestHeight) revert StaleHeight(trusted.height, latestHeight);
        frozen = false;
        _installTrusted(trusted, validators, powers);
        emit ClientRecovered(trusted.height, consensus[trusted.height].headerHash, trusted.validatorsHash);
    }

    // ---------------------------------------------------------------- internals

    function _installTrusted(HubHeader memory t, address[] memory validators, uint64[] memory powers) private {
        if (keccak256(bytes(t.chainId)) != chainIdHash) revert WrongChainId();
        if (t.height == 0) revert BadParameter();
        if (_nowMs() >= uint256(t.timeMs) + trustingPeriodMs) revert ClientExpired();
        (bytes32 vh, ) = hashValidatorSet(validators, powers);
        if (vh != t.validatorsHash) revert ValidatorSetMismatch();
        bytes32 hh = keccak256(
            abi.encodePacked(
                HEADER_VERSION,
                uint8(bytes(t.chainId).length),
                bytes(t.chainId),
                t.height,
                t.timeMs,
                t.prevHash,
                t.txRoot,
                t.stateRoot,
                t.validatorsHash,
                t.nextValidatorsHash,
                t.evidenceHash,
                t.resultsHash,
                t.proposer
            )
        );
        consensus[t.height] = ConsensusState({headerHash: hh, stateRoot: t.stateRoot, validatorsHash: vh, timeMs: t.timeMs});
        latestHeight = t.height;
        trustedFloor = t.height;
        nextValidatorsHash = t.nextValidatorsHash;
        emit ClientUpdated(t.height, hh, t.stateRoot, t.timeMs);
    }

    /// @dev A second header at a stored height counts only when the set trusted for that height
    /// signed it; then the hub's validators equivocated and nothing this client says is safe.
    function _handleConflict(
        uint64 h,
        ConsensusState storage known,
        bytes32 hh,
        uint32 round,
        CommitSig[] calldata sigs,
        address[] calldata validators,
        uint64[] calldata powers
    ) private {
        _verifySignedBy(known.validatorsHash, h, round, hh, sigs, validators, powers);
        frozen = true;
        emit ClientFrozen(h, known.headerHash, hh);
    }

    function _verifyCommit(
        bytes32 digest,
        CommitSig[] calldata sigs,
        address[] calldata validators,
        uint64[] calldata powers,
        uint256 total
    ) private pure {
        uint256 signed;
        address prev;
        for (uint256 i = 0; i < sigs.length; i++) {
            CommitSig calldata c = sigs[i];
            if ((c.v != 27 && c.v != 28) || uint256(c.s) > HALF_N) revert BadSignature(i);
            address signer = ecrecover(digest, c.v, c.r, c.s);
            if (signer == address(0)) revert BadSignature(i);
            // strictly ascending signers: a validator counted twice is impossible
            if (signer <= prev) revert SignersNotAscending(i);
            prev = signer;
            if (c.validatorIndex >= validators.length || validators[c.validatorIndex] != signer) revert SignerNotValidator(i);
            signed += powers[c.validatorIndex];
        }
        if (signed * 3 <= total * 2) revert InsufficientPower(signed, total);
    }

    function _provableRoot(uint64 height) private view returns (bytes32) {
        Status s = status();
        if (s == Status.Frozen) revert ClientFrozenError();
        if (s == Status.Expired) revert ClientExpired();
        if (height < trustedFloor) revert HeightBelowFloor(height);
        ConsensusState storage c = consensus[height];
        bytes32 root = c.stateRoot;
        // a stored height has a non-zero headerHash; read it only when the root alone cannot tell
        if (root == bytes32(0) && c.headerHash == bytes32(0)) revert UnknownHeight(height);
        return root;
    }

    function _nowMs() private view returns (uint256) {
        return block.timestamp * 1000;
    }
}
