// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IPontisApp, PontisPacket} from "./IPontisApp.sol";
import {PontisClient} from "./PontisClient.sol";

/// @title Pontis gateway on an EVM chain: sends packets to the hub and receives packets from it.
/// @notice Provable records live in ONE mapping at storage slot 0, so the hub proves them with
/// eth_getProof of slot keccak256(abi.encode(keccak256(bytes(pontisKey)), uint256(0))):
///   pkt/out/<channel>/<seq>            = packet commitment (this chain sent it; deleted when resolved)
///   pkt/rcpt-bits/<channel>/<seq / 256> = receipts: bit seq % 256 set when the packet was received
///                                        here (only ever set; ADR 0017)
/// where <channel> = srcChain/srcApp/dstChain/dstApp. The ack of a packet received here is not
/// stored: it is in the PacketReceived event, which the hub proves with a receipt proof. Everything from the hub is checked against
/// PontisClient (the hub's commit and state proofs). See docs/adr/0005-packets.md.
contract Gateway {
    // Slot 0: must stay the first state variable, and the contract must not inherit storage.
    mapping(bytes32 => bytes32) public pontisStore;
    /// Slot 1 held the reentrancy lock before it moved to transient storage; kept so later slots stay put.
    uint256 private retiredLockSlot;
    /// channel hash => ordering (0 unset, 1 unordered, 2 ordered, 3 ordered and closed by a timeout)
    mapping(bytes32 => uint8) public channelOrdering;
    mapping(bytes32 => uint64) public nextSequenceSend;
    mapping(bytes32 => uint64) public nextSequenceRecv;
    mapping(bytes32 => address) private apps;
    mapping(address => string) private appNames;

    /// Transient (EIP-1153): cleared at the end of every transaction, costs no storage writes.
    bool private transient locked;

    PontisClient public immutable hubClient;
    /// Gas every app callback gets, exactly: a packet's outcome must not depend on the gas a relayer chose.
    uint256 public immutable appGasLimit;
    bytes32 public immutable chainIdHash;
    string public chainId;

    uint8 private constant UNSET = 0;
    uint8 private constant UNORDERED = 1;
    uint8 private constant ORDERED = 2;
    uint8 private constant CLOSED = 3;
    uint256 public constant MAX_PAYLOAD = 64 * 1024;
    uint256 private constant MIN_APP_GAS = 50_000;
    /// Room for the call itself and the work after it returns.
    uint256 private constant CALL_OVERHEAD = 20_000;

    // Per-packet results of a batch (recv, acknowledge, timeout).
    uint8 public constant RESULT_OK = 0;
    uint8 public constant RESULT_ALREADY_DONE = 1;
    uint8 public constant RESULT_FAILED = 2;

    event AppRegistered(string name, address indexed app);
    event PacketSent(bytes32 indexed channel, uint64 indexed sequence, PontisPacket packet);
    event PacketReceived(bytes32 indexed channel, uint64 indexed sequence, PontisPacket packet, bytes ack);
    event PacketAcknowledged(bytes32 indexed channel, uint64 indexed sequence, bytes ack, bool callbackOk);
    event PacketTimedOut(bytes32 indexed channel, uint64 indexed sequence, bool callbackOk);
    /// One per packet of a batch; `reason` is the revert data of a failed packet.
    event PacketResult(bytes32 indexed channel, uint64 indexed sequence, uint8 step, uint8 result, bytes reason);

    error ReentrantCall();
    error OnlySelf();
    error BadName();
    error NameTaken();
    error AppAlreadyRegistered();
    error AppNotRegistered();
    error PacketToSelf();
    error NoTimeout();
    error TimeoutInPast();
    error PayloadTooLarge();
    error LengthMismatch();
    error WrongDestination();
    error WrongSource();
    error PacketTimedOutError();
    error ChannelOrderingMismatch();
    error ChannelClosed();
    error OutOfOrder(uint64 expected, uint64 got);
    error CommitmentMismatch();
    error MalformedAck();
    error NotTimedOut();
    error UnknownHubHeight(uint64 height);
    error InsufficientGasForApp();
    error AppGasTooLow();
    error BatchPathInvalid();
    error ReceiptProofMalformed();
    error ReceiptBitSet();

    /// A batch the hub committed for this chain in hub block `height` (recvBatches).
    struct HubBatch {
        uint64 height;
        bytes32 root;
        uint64 count;
        bytes proof;
    }

    uint8 private constant STEP_RECV = 1;
    uint8 private constant STEP_ACK = 2;
    uint8 private constant STEP_TIMEOUT = 3;

    modifier nonReentrant() {
        if (locked) revert ReentrantCall();
        locked = true;
        _;
        locked = false;
    }

    /// Per-packet steps run as calls to this contract so one bad packet reverts alone.
    modifier onlySelf() {
        if (msg.sender != address(this)) revert OnlySelf();
        _;
    }

    constructor(PontisClient client, string memory thisChainId, uint256 appGasLimit_) {
        if (address(client) == address(0)) revert BadName();
        if (!_validChainId(bytes(thisChainId))) revert BadName();
        if (appGasLimit_ < MIN_APP_GAS) revert AppGasTooLow();
        hubClient = client;
        appGasLimit = appGasLimit_;
        chainId = thisChainId;
        chainIdHash = keccak256(bytes(thisChainId));
    }

    // ---------------------------------------------------------------- apps

    /// @notice The caller (an app contract) takes `name` as its srcApp / dstApp; first come, first served.
    function registerApp(string calldata name) external {
        if (!_validAppName(bytes(name))) revert BadName();
        bytes32 h = keccak256(bytes(name));
        if (apps[h] != address(0)) revert NameTaken();
        if (bytes(appNames[msg.sender]).length != 0) revert AppAlreadyRegistered();
        apps[h] = msg.sender;
        appNames[msg.sender] = name;
        emit AppRegistered(name, msg.sender);
    }

    function appAddress(string calldata name) external view returns (address) {
        return apps[keccak256(bytes(name))];
    }

    function appName(address app) external view returns (string memory) {
        return appNames[app];
    }

    // ---------------------------------------------------------------- sending

    /// @notice Sends `payload` from the calling app to `dstApp` on `dstChain` (through the hub).
    /// No external calls: safe to call from inside a packet callback.
    function send(
        string calldata dstChain,
        string calldata dstApp,
        bytes calldata payload,
        uint64 timeoutHeight,
        uint64 timeoutTimestamp,
        bool ordered
    ) external returns (uint64 sequence) {
        string memory srcApp = appNames[msg.sender];
        if (bytes(srcApp).length == 0) revert AppNotRegistered();
        if (!_validChainId(bytes(dstChain)) || !_validAppName(bytes(dstApp))) revert BadName();
        if (keccak256(bytes(dstChain)) == chainIdHash) revert PacketToSelf();
        if (timeoutHeight == 0 && timeoutTimestamp == 0) revert NoTimeout();
        if (timeoutTimestamp != 0 && timeoutTimestamp <= block.timestamp * 1000) revert TimeoutInPast();
        if (payload.length > MAX_PAYLOAD) revert PayloadTooLarge();
        PontisPacket memory p = PontisPacket({
            srcChain: chainId,
            srcApp: srcApp,
            dstChain: dstChain,
            dstApp: dstApp,
            sequence: 0,
            ordered: ordered,
            payload: payload,
            timeoutHeight: timeoutHeight,
            timeoutTimestamp: timeoutTimestamp
        });
        string memory ch = _channel(p);
        bytes32 chHash = keccak256(bytes(ch));
        uint8 ordering = _fixOrdering(chHash, ordered);
        if (ordering == CLOSED) revert ChannelClosed();
        sequence = nextSequenceSend[chHash] + 1;
        nextSequenceSend[chHash] = sequence;
        p.sequence = sequence;
        pontisStore[_key("pkt/out/", ch, sequence)] = packetCommitment(p);
        emit PacketSent(chHash, sequence, p);
    }

    // ---------------------------------------------------------------- receiving

    /// @notice Receives packets the hub committed (pkt/out at the hub), each proven at hub height
    /// `proofHeight`. Each packet succeeds or fails on its own (PacketResult); a packet already
    /// received is a no-op.
    function recvPackets(uint64 proofHeight, PontisPacket[] calldata packets, bytes[] calldata proofs) external nonReentrant {
        uint256 n = packets.length;
        if (n != proofs.length) revert LengthMismatch();
        for (uint256 i = 0; i < n; ) {
            PontisPacket calldata p = packets[i];
            uint256 before = gasleft();
            try this.recvOne(proofHeight, p, proofs[i]) returns (uint8 r) {
                _itemDone(p, STEP_RECV, r);
            } catch (bytes memory reason) {
                _itemFailed(before, p, STEP_RECV, reason);
            }
            unchecked {
                ++i;
            }
        }
    }

    /// @dev One packet of recvPackets; only this contract may call it.
    function recvOne(uint64 proofHeight, PontisPacket calldata p, bytes calldata proof) external onlySelf returns (uint8) {
        (bool done, bytes memory ch, Receipt memory r) = _recvChecks(p);
        if (done) return RESULT_ALREADY_DONE;
        hubClient.verifyMembership(proofHeight, bytes.concat("pkt/out/", ch, "/", bytes(_decimal(p.sequence))), abi.encodePacked(_commitmentOf(p)), proof);
        _recvDeliver(p, r);
        return RESULT_OK;
    }

    /// @notice Receives packets by the batches the hub committed them in for this chain (ADR 0017):
    /// each batch key pkt/batch/<this chain>/<hub height, 16 digits> = root || uint64 count is
    /// proven once at hub height `proofHeight`, and packet i by its Merkle path under the root of
    /// `batches[batchOf[i]]` (the list tree of hub-chain/crypto/merkle.ts over packet
    /// commitments). A batch that does not verify reverts the call; each packet then succeeds or
    /// fails on its own (PacketResult).
    function recvBatches(
        uint64 proofHeight,
        HubBatch[] calldata batches,
        PontisPacket[] calldata packets,
        uint256[] calldata batchOf,
        uint64[] calldata indices,
        bytes[] calldata paths
    ) external nonReentrant {
        uint256 n = packets.length;
        if (n != batchOf.length || n != indices.length || n != paths.length) revert LengthMismatch();
        bytes memory prefix = bytes.concat("pkt/batch/", bytes(chainId), "/");
        for (uint256 b = 0; b < batches.length; b++) {
            HubBatch calldata batch = batches[b];
            hubClient.verifyMembership(proofHeight, bytes.concat(prefix, _pad16(batch.height)), abi.encodePacked(batch.root, batch.count), batch.proof);
        }
        for (uint256 i = 0; i < n; ) {
            PontisPacket calldata p = packets[i];
            HubBatch calldata batch = batches[batchOf[i]];
            uint256 before = gasleft();
            try this.recvInBatch(batch.root, batch.count, p, indices[i], paths[i]) returns (uint8 r) {
                _itemDone(p, STEP_RECV, r);
            } catch (bytes memory reason) {
                _itemFailed(before, p, STEP_RECV, reason);
            }
            unchecked {
                ++i;
            }
        }
    }

    /// @dev One packet of recvBatches (its batch already proven); only this contract may call it.
    function recvInBatch(bytes32 root, uint64 count, PontisPacket calldata p, uint64 index, bytes calldata path) external onlySelf returns (uint8) {
        (bool done, , Receipt memory r) = _recvChecks(p);
        if (done) return RESULT_ALREADY_DONE;
        if (_batchRoot(_commitmentOf(p), index, count, path) != root) revert BatchPathInvalid();
        _recvDeliver(p, r);
        return RESULT_OK;
    }

    /// @dev Where a packet's receipt bit lives: the word at pkt/rcpt-bits/<channel>/<seq / 256>, as read.
    struct Receipt {
        bytes32 chHash;
        bytes32 key;
        bytes32 word;
        bytes32 bit;
    }

    /// @dev What a receive checks before the proof. `done`: received already (a no-op).
    function _recvChecks(PontisPacket calldata p) private returns (bool done, bytes memory ch, Receipt memory r) {
        if (keccak256(bytes(p.dstChain)) != chainIdHash) revert WrongDestination();
        if (keccak256(bytes(p.srcChain)) == chainIdHash) revert WrongSource();
        ch = _channelOf(p);
        r.chHash = keccak256(ch);
        r.key = keccak256(bytes.concat("pkt/rcpt-bits/", ch, "/", bytes(_decimal(p.sequence >> 8))));
        r.word = pontisStore[r.key];
        r.bit = bytes32(uint256(1) << (p.sequence & 255));
        if (r.word & r.bit != 0) return (true, ch, r);
        // the receiver's own clock and height decide: at or past the timeout it never receives
        if (p.timeoutTimestamp != 0 && block.timestamp * 1000 >= p.timeoutTimestamp) revert PacketTimedOutError();
        if (p.timeoutHeight != 0 && block.number >= p.timeoutHeight) revert PacketTimedOutError();
        uint8 ordering = _fixOrdering(r.chHash, p.ordered);
        if (ordering == CLOSED) revert ChannelClosed();
        if (p.ordered) {
            uint64 next = nextSequenceRecv[r.chHash] + 1;
            if (p.sequence < next) return (true, ch, r);
            if (p.sequence > next) revert OutOfOrder(next, p.sequence);
            nextSequenceRecv[r.chHash] = next;
        }
    }

    /// @dev Runs the app, sets the receipt bit (read by _recvChecks in this same call: nothing else writes it meanwhile) and emits the ack.
    function _recvDeliver(PontisPacket calldata p, Receipt memory r) private {
        bytes memory ack = _deliver(p);
        pontisStore[r.key] = r.word | r.bit;
        emit PacketReceived(r.chHash, p.sequence, p, ack);
    }

    /// @dev The root a Merkle list path leads to (hub-chain/crypto/merkle.ts merkleRootFromProof):
    /// leaf sha256(0x00 || item), node sha256(0x01 || left || right), the last node of an odd
    /// level promoted; `path` is the siblings (32 bytes each), leaf level first.
    function _batchRoot(bytes32 item, uint64 index, uint64 total, bytes calldata path) private view returns (bytes32 node) {
        if (total == 0 || index >= total || path.length % 32 != 0) revert BatchPathInvalid();
        node = sha256(abi.encodePacked(uint8(0), item));
        uint256 used;
        uint256 i = index;
        for (uint256 n = total; n > 1; n = (n + 1) >> 1) {
            if (i & 1 == 1 || i + 1 < n) {
                if (used + 32 > path.length) revert BatchPathInvalid();
                bytes32 sib = bytes32(path[used:used + 32]);
                used += 32;
                node = i & 1 == 1 ? sha256(abi.encodePacked(uint8(1), sib, node)) : sha256(abi.encodePacked(uint8(1), node, sib));
            }
            i >>= 1;
        }
        if (used != path.length) revert BatchPathInvalid();
    }

    /// @dev A height as 16 decimal digits, zero-padded (the batch key's form).
    function _pad16(uint64 v) private pure returns (bytes memory out) {
        out = new bytes(16);
        for (uint256 k = 16; k > 0; k--) {
            out[k - 1] = bytes1(uint8(48 + (v % 10)));
            v /= 10;
        }
        if (v != 0) revert BatchPathInvalid();
    }

    // ---------------------------------------------------------------- acknowledgements

    /// @notice Resolves packets this chain sent with the acks the hub recorded, by the ack batches
    /// the hub wrote them in for this chain (ADR 0017): each key
    /// pkt/ack-batch/<this chain>/<hub height, 16 digits> = root || uint64 count is proven once at
    /// hub height `proofHeight`, and the ack of packet i by its Merkle path under the root of
    /// `batches[batchOf[i]]`, whose leaf is keccak256(packet commitment || keccak256(ack)). A batch
    /// that does not verify reverts the call; each packet then succeeds or fails on its own.
    function acknowledge(
        uint64 proofHeight,
        HubBatch[] calldata batches,
        PontisPacket[] calldata packets,
        bytes[] calldata acks,
        uint256[] calldata batchOf,
        uint64[] calldata indices,
        bytes[] calldata paths
    ) external nonReentrant {
        uint256 n = packets.length;
        if (n != acks.length || n != batchOf.length || n != indices.length || n != paths.length) revert LengthMismatch();
        bytes memory prefix = bytes.concat("pkt/ack-batch/", bytes(chainId), "/");
        for (uint256 b = 0; b < batches.length; b++) {
            HubBatch calldata batch = batches[b];
            hubClient.verifyMembership(proofHeight, bytes.concat(prefix, _pad16(batch.height)), abi.encodePacked(batch.root, batch.count), batch.proof);
        }
        for (uint256 i = 0; i < n; ) {
            PontisPacket calldata p = packets[i];
            HubBatch calldata batch = batches[batchOf[i]];
            uint256 before = gasleft();
            try this.acknowledgeInBatch(batch.root, batch.count, p, acks[i], indices[i], paths[i]) returns (uint8 r) {
                _itemDone(p, STEP_ACK, r);
            } catch (bytes memory reason) {
                _itemFailed(before, p, STEP_ACK, reason);
            }
            unchecked {
                ++i;
            }
        }
    }

    /// @dev One ack of acknowledge (its batch already proven); only this contract may call it.
    function acknowledgeInBatch(bytes32 root, uint64 count, PontisPacket calldata p, bytes calldata ack, uint64 index, bytes calldata path) external onlySelf returns (uint8) {
        (string memory ch, bytes32 outKey, bool outstanding) = _outstanding(p);
        if (!outstanding) return RESULT_ALREADY_DONE;
        if (ack.length == 0 || uint8(ack[0]) > 1) revert MalformedAck();
        // the stored commitment is the packet's (_outstanding compared them): read warm, not hashed again
        if (_batchRoot(keccak256(abi.encodePacked(pontisStore[outKey], keccak256(ack))), index, count, path) != root) revert BatchPathInvalid();
        delete pontisStore[outKey]; // before the callback
        bool ok = _callApp(abi.encodeCall(IPontisApp.onAcknowledgePacket, (p, ack)), p.srcApp);
        emit PacketAcknowledged(keccak256(bytes(ch)), p.sequence, ack, ok);
        return RESULT_OK;
    }

    // ---------------------------------------------------------------- timeouts

    /// @notice Resolves packets the hub never received before their timeoutTimestamp: the packet's
    /// receipt bit is clear in the hub's receipt word (or the word is absent) at a hub height whose
    /// time is >= the timeout (the hub refuses at or past it). `proofs[i]` is encoded as
    /// _verifyHubReceiptAbsent reads it. Height timeouts are judged by the destination and come
    /// back as an error ack.
    function timeout(uint64 proofHeight, PontisPacket[] calldata packets, bytes[] calldata proofs) external nonReentrant {
        if (packets.length != proofs.length) revert LengthMismatch();
        for (uint256 i = 0; i < packets.length; i++) {
            PontisPacket calldata p = packets[i];
            uint256 before = gasleft();
            try this.timeoutOne(proofHeight, p, proofs[i]) returns (uint8 r) {
                _itemDone(p, STEP_TIMEOUT, r);
            } catch (bytes memory reason) {
                _itemFailed(before, p, STEP_TIMEOUT, reason);
            }
        }
    }

    function timeoutOne(uint64 proofHeight, PontisPacket calldata p, bytes calldata proof) external onlySelf returns (uint8) {
        (string memory ch, bytes32 outKey, bool outstanding) = _outstanding(p);
        if (!outstanding) return RESULT_ALREADY_DONE;
        uint64 hubTime = hubClient.timestampAt(proofHeight);
        if (hubTime == 0) revert UnknownHubHeight(proofHeight);
        if (p.timeoutTimestamp == 0 || hubTime < p.timeoutTimestamp) revert NotTimedOut();
        _verifyHubReceiptAbsent(proofHeight, ch, p.sequence, proof);
        delete pontisStore[outKey];
        bytes32 chHash = keccak256(bytes(ch));
        if (p.ordered) channelOrdering[chHash] = CLOSED;
        bool ok = _callApp(abi.encodeCall(IPontisApp.onTimeoutPacket, (p)), p.srcApp);
        emit PacketTimedOut(chHash, p.sequence, ok);
        return RESULT_OK;
    }

    /// @dev Reverts unless the hub had not received packet `seq` of `ch` at `proofHeight`. The hub
    /// keeps receipts as bits (ADR 0017 decision 3), not as pkt/rcpt/<channel>/<seq> keys: bit
    /// seq % 256 of the 32-byte big-endian word at pkt/rcpt-bits/<channel>/<seq / 256>, set once
    /// received and never cleared. `proof` is 0x00 || the word's absence proof (no packet of those
    /// 256 received), or 0x01 || word || its membership proof, the packet's bit clear
    /// (relayers/paths/evm/from-hub.ts gatewayReceiptProof). Anything else: ReceiptProofMalformed.
    function _verifyHubReceiptAbsent(uint64 proofHeight, string memory ch, uint64 seq, bytes calldata proof) private view {
        if (proof.length == 0) revert ReceiptProofMalformed();
        bytes memory key = _keyBytes("pkt/rcpt-bits/", ch, seq >> 8);
        if (proof[0] == 0x00) {
            hubClient.verifyNonMembership(proofHeight, key, proof[1:]);
        } else if (proof[0] == 0x01 && proof.length >= 33) {
            bytes32 word = bytes32(proof[1:33]);
            if (((uint256(word) >> (seq & 255)) & 1) == 1) revert ReceiptBitSet();
            hubClient.verifyMembership(proofHeight, key, proof[1:33], proof[33:]);
        } else {
            revert ReceiptProofMalformed();
        }
    }

    // ---------------------------------------------------------------- encodings

    /// @notice keccak256 of the fixed layout of hub-chain/modules/packets/types.ts packetCommitment.
    function packetCommitment(PontisPacket memory p) public pure returns (bytes32) {
        return keccak256(
            abi.encodePacked(
                keccak256(bytes(p.srcChain)),
                keccak256(bytes(p.srcApp)),
                keccak256(bytes(p.dstChain)),
                keccak256(bytes(p.dstApp)),
                p.sequence,
                p.ordered ? uint8(1) : uint8(0),
                p.timeoutHeight,
                p.timeoutTimestamp,
                keccak256(p.payload)
            )
        );
    }

    /// @dev packetCommitment of a packet in calldata, without copying the packet to memory first.
    function _commitmentOf(PontisPacket calldata p) private pure returns (bytes32) {
        return keccak256(
            abi.encodePacked(
                keccak256(bytes(p.srcChain)),
                keccak256(bytes(p.srcApp)),
                keccak256(bytes(p.dstChain)),
                keccak256(bytes(p.dstApp)),
                p.sequence,
                p.ordered ? uint8(1) : uint8(0),
                p.timeoutHeight,
                p.timeoutTimestamp,
                keccak256(p.payload)
            )
        );
    }

    /// @notice keccak256 of a Pontis key: the index into pontisStore.
    function storeKey(string calldata pontisKey) external pure returns (bytes32) {
        return keccak256(bytes(pontisKey));
    }

    // ---------------------------------------------------------------- internals

    /// @dev Runs the receiving app; any failure becomes an error ack with the app's writes undone.
    function _deliver(PontisPacket calldata p) private returns (bytes memory) {
        address app = apps[keccak256(bytes(p.dstApp))];
        if (app == address(0)) return abi.encodePacked(uint8(0), "PNT_ERR_PACKET_UNKNOWN_APP");
        _requireAppGas();
        try IPontisApp(app).onRecvPacket{gas: appGasLimit}(p) returns (bytes memory result) {
            return abi.encodePacked(uint8(1), result);
        } catch (bytes memory reason) {
            return abi.encodePacked(uint8(0), _errorCode(reason));
        }
    }

    /// @dev Source-side callbacks: a failing app does not block resolution (its packet, its loss);
    /// the gas check keeps a relayer from making it fail on purpose.
    function _callApp(bytes memory data, string calldata name) private returns (bool ok) {
        address app = apps[keccak256(bytes(name))];
        if (app == address(0)) return false;
        _requireAppGas();
        uint256 g = appGasLimit;
        // no return data is copied: an app cannot make the relayer pay for a huge reply
        assembly ("memory-safe") {
            ok := call(g, app, 0, add(data, 32), mload(data), 0, 0)
        }
    }

    function _itemDone(PontisPacket calldata p, uint8 step, uint8 result) private {
        emit PacketResult(keccak256(_channelOf(p)), p.sequence, step, result, "");
    }

    /// @dev A failed item is recorded as failed with its reason, unless it starved (see below).
    function _itemFailed(uint256 gasBefore, PontisPacket calldata p, uint8 step, bytes memory reason) private {
        _revertIfStarved(gasBefore, reason);
        emit PacketResult(keccak256(_channelOf(p)), p.sequence, step, RESULT_FAILED, reason);
    }

    /// @dev A packet that failed for lack of gas must revert the whole batch, not be recorded as
    /// failed: else eth_estimateGas (which looks for the least gas that does not revert) would
    /// hand relayers a limit at which packets quietly fail.
    function _revertIfStarved(uint256 before, bytes memory reason) private view {
        if ((reason.length >= 4 && bytes4(reason) == InsufficientGasForApp.selector) || (reason.length == 0 && gasleft() <= before / 63)) {
            revert InsufficientGasForApp();
        }
    }

    /// @dev EIP-150 forwards at most 63/64 of what is left: with less than this the app would get
    /// less than appGasLimit, so the packet reverts (nothing recorded) instead of failing for good.
    function _requireAppGas() private view {
        if (gasleft() < appGasLimit + appGasLimit / 63 + CALL_OVERHEAD) revert InsufficientGasForApp();
    }

    /// @dev Decoded by hand: abi.decode would revert on malformed data an app can return on purpose.
    function _errorCode(bytes memory reason) private pure returns (bytes memory) {
        // Error(string): selector 0x08c379a0 | offset 0x20 | length | bytes
        if (reason.length >= 68 && bytes4(reason) == 0x08c379a0) {
            uint256 offset;
            uint256 n;
            assembly ("memory-safe") {
                offset := mload(add(reason, 36))
                n := mload(add(reason, 68))
            }
            if (offset == 32 && n > 0 && n <= 64 && reason.length >= 68 + n) {
                bytes memory code = new bytes(n);
                for (uint256 i = 0; i < n; i++) code[i] = reason[68 + i];
                return code;
            }
        }
        return bytes("PNT_ERR_APP_FAILED");
    }

    function _outstanding(PontisPacket calldata p) private view returns (string memory ch, bytes32 outKey, bool outstanding) {
        if (keccak256(bytes(p.srcChain)) != chainIdHash) revert WrongSource();
        ch = string(_channelOf(p));
        outKey = _key("pkt/out/", ch, p.sequence);
        bytes32 stored = pontisStore[outKey];
        if (stored == bytes32(0)) return (ch, outKey, false);
        if (stored != _commitmentOf(p)) revert CommitmentMismatch();
        outstanding = true;
    }

    function _fixOrdering(bytes32 chHash, bool ordered) private returns (uint8 ordering) {
        ordering = channelOrdering[chHash];
        uint8 want = ordered ? ORDERED : UNORDERED;
        if (ordering == UNSET) {
            channelOrdering[chHash] = want;
            return want;
        }
        if (ordering == CLOSED) return CLOSED;
        if (ordering != want) revert ChannelOrderingMismatch();
    }

    function _channel(PontisPacket memory p) private pure returns (string memory) {
        return string.concat(p.srcChain, "/", p.srcApp, "/", p.dstChain, "/", p.dstApp);
    }

    /// @dev _channel of a packet in calldata: copies the four names, not the whole packet (payload included).
    function _channelOf(PontisPacket calldata p) private pure returns (bytes memory) {
        return bytes.concat(bytes(p.srcChain), "/", bytes(p.srcApp), "/", bytes(p.dstChain), "/", bytes(p.dstApp));
    }

    function _keyBytes(string memory prefix, string memory ch, uint64 seq) private pure returns (bytes memory) {
        return bytes(string.concat(prefix, ch, "/", _decimal(seq)));
    }

    function _key(string memory prefix, string memory ch, uint64 seq) private pure returns (bytes32) {
        return keccak256(_keyBytes(prefix, ch, seq));
    }

    function _decimal(uint64 v) private pure returns (string memory) {
        if (v == 0) return "0";
        uint256 len;
        for (uint64 t = v; t != 0; t /= 10) len++;
        bytes memory out = new bytes(len);
        for (; v != 0; v /= 10) out[--len] = bytes1(uint8(48 + (v % 10)));
        return string(out);
    }

    /// ^[a-z][a-z0-9-]{0,31}$ (APP_NAME_RE): no '/', so keys stay unambiguous.
    function _validAppName(bytes memory b) private pure returns (bool) {
        if (b.length == 0 || b.length > 32 || !(b[0] >= "a" && b[0] <= "z")) return false;
        for (uint256 i = 1; i < b.length; i++) {
            bytes1 c = b[i];
            if (!((c >= "a" && c <= "z") || (c >= "0" && c <= "9") || c == "-")) return false;
        }
        return true;
    }

    /// ^[a-z0-9][a-z0-9._-]{0,63}$ (hub-chain/types/header.ts validateChainId).
    function _validChainId(bytes memory b) private pure returns (bool) {
        if (b.length == 0 || b.length > 64) return false;
        for (uint256 i = 0; i < b.length; i++) {
            bytes1 c = b[i];
            bool alnum = (c >= "a" && c <= "z") || (c >= "0" && c <= "9");
            if (!alnum && (i == 0 || !(c == "." || c == "_" || c == "-"))) return false;
        }
        return true;
    }
}
