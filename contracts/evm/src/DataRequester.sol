// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IPontisApp, PontisPacket} from "./IPontisApp.sol";
import {Gateway} from "./Gateway.sol";

/// @title The requesting side of government data sharing on an EVM chain (the hub's `data` app).
/// @notice `request` sends a data request packet whose payload is the canonical JSON the hub
/// decides on (docs/adr/0016-data-sharing.md); the hub's refusal comes back as an error ack, and
/// the source's answer arrives as a packet holding only ciphertext (the record sealed to the
/// department node's key), kept here for that node to read and open off-chain. Names are
/// restricted to characters that need no JSON escaping, so the encoding is the canonical one.
contract DataRequester is IPontisApp {
    /// @dev Answers are matched to their requests off-chain, by the request id inside each answer.
    enum Status { None, Sent, Pending, Refused, TimedOut }

    Gateway public immutable gateway;
    /// @notice The state of each request, by its packet sequence (request id `<this chain>:<sequence>`).
    mapping(uint64 => Status) public status;
    /// @notice The error code of a refused request.
    mapping(uint64 => bytes) public refusal;
    /// @notice Answers as they arrived (the `data/answer` payload: request id, envelope, commitment).
    bytes[] public answers;

    event DataRequested(uint64 indexed sequence, string dstChain, string dataset, address from);
    event DataAnswered(uint256 indexed index, string srcChain, uint64 sequence);
    event DataRefused(uint64 indexed sequence, bytes code);

    error OnlyGateway();
    error BadField(string field);

    modifier onlyGateway() {
        if (msg.sender != address(gateway)) revert OnlyGateway();
        _;
    }

    constructor(Gateway gw) {
        gateway = gw;
        gw.registerApp("data");
    }

    /// @notice Asks `dstChain` for `records` records of `subject` in `dataset` for `purpose`,
    /// sealed to this department's node key `recipientKey`; `grantId` names the subject's consent
    /// (zero: none).
    function request(string calldata dstChain, string calldata dataset, string calldata purpose, bytes calldata subject, uint32 records, string calldata recipientKey, bytes32 grantId, uint64 timeoutTimestamp)
        external
        returns (uint64 sequence)
    {
        _name(dataset, "dataset");
        _name(purpose, "purpose");
        _name(recipientKey, "recipientKey");
        if (subject.length == 0 || subject.length > 65) revert BadField("subject");
        if (records == 0 || records > 1000) revert BadField("records");
        // keys in canonical (sorted) order: dataset, from, grantId, purpose, recipientKey, records, subject, type, v
        bytes memory payload = abi.encodePacked(
            '{"dataset":"', dataset,
            '","from":"', _hex(abi.encodePacked(msg.sender)),
            grantId == bytes32(0) ? bytes('"') : abi.encodePacked('","grantId":"', _hex(abi.encodePacked(grantId)), '"'),
            ',"purpose":"', purpose,
            '","recipientKey":"', recipientKey,
            '","records":', _decimal(records),
            ',"subject":"', _hex(subject),
            '","type":"data/request","v":1}'
        );
        sequence = gateway.send(dstChain, "data", payload, 0, timeoutTimestamp, false);
        status[sequence] = Status.Sent;
        emit DataRequested(sequence, dstChain, dataset, msg.sender);
    }

    function answerCount() external view returns (uint256) {
        return answers.length;
    }

    /// @dev Only answers come to this app; the hub let each through only for a request it allowed.
    function onRecvPacket(PontisPacket calldata packet) external onlyGateway returns (bytes memory) {
        answers.push(packet.payload);
        emit DataAnswered(answers.length - 1, packet.srcChain, packet.sequence);
        return bytes("ok");
    }

    function onAcknowledgePacket(PontisPacket calldata packet, bytes calldata ack) external onlyGateway {
        if (ack.length > 0 && ack[0] == 0x01) {
            if (status[packet.sequence] == Status.Sent) status[packet.sequence] = Status.Pending;
        } else {
            status[packet.sequence] = Status.Refused;
            refusal[packet.sequence] = ack.length > 0 ? ack[1:] : bytes("");
            emit DataRefused(packet.sequence, refusal[packet.sequence]);
        }
    }

    function onTimeoutPacket(PontisPacket calldata packet) external onlyGateway {
        status[packet.sequence] = Status.TimedOut;
    }

    /// @dev [a-z0-9._:-], 1..64 characters, starting with a letter or digit: the hub's id rule, no escaping needed.
    function _name(string calldata s, string memory field) private pure {
        bytes calldata b = bytes(s);
        if (b.length == 0 || b.length > 64) revert BadField(field);
        for (uint256 i = 0; i < b.length; i++) {
            bytes1 c = b[i];
            bool ok = (c >= "a" && c <= "z") || (c >= "0" && c <= "9") || (i > 0 && (c == "." || c == "_" || c == ":" || c == "-"));
            if (!ok) revert BadField(field);
        }
    }

    function _hex(bytes memory b) private pure returns (bytes memory out) {
        bytes16 digits = "0123456789abcdef";
        out = new bytes(2 + 2 * b.length);
        out[0] = "0";
        out[1] = "x";
        for (uint256 i = 0; i < b.length; i++) {
            out[2 + 2 * i] = digits[uint8(b[i]) >> 4];
            out[3 + 2 * i] = digits[uint8(b[i]) & 0x0f];
        }
    }

    function _decimal(uint256 v) private pure returns (bytes memory) {
        if (v == 0) return "0";
        uint256 n;
        for (uint256 t = v; t > 0; t /= 10) n++;
        bytes memory out = new bytes(n);
        for (; v > 0; v /= 10) out[--n] = bytes1(uint8(48 + (v % 10)));
        return out;
    }
}
