// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IPontisApp, PontisPacket} from "../IPontisApp.sol";
import {Gateway} from "../Gateway.sol";

/// @title A load generator for the relay benchmark (test/bench/relay.bench.ts); never deployed for real.
/// @notice Sends many small packets in one transaction and counts what comes back, as cheaply as
/// an app can: a counter per callback, no payload kept.
contract StreamApp is IPontisApp {
    Gateway public immutable gateway;
    /// @notice Packets sent so far; also what makes each payload distinct.
    uint256 public sent;
    uint256 public received;
    uint256 public acked;
    /// @notice Acks that carried an error (0x00 | code).
    uint256 public ackErrors;
    uint256 public timedOut;

    error OnlyGateway();
    error ZeroCount();

    modifier onlyGateway() {
        if (msg.sender != address(gateway)) revert OnlyGateway();
        _;
    }

    /// @param gw the chain's Gateway
    /// @param name the app name this contract registers under (its srcApp / dstApp)
    constructor(Gateway gw, string memory name) {
        gateway = gw;
        gw.registerApp(name);
    }

    /// @notice Sends `count` unordered packets to `dstApp` on `dstChain`, payload = the packet's
    /// index among everything this app sent (8 bytes, big-endian).
    /// @return first the Gateway sequence of the first packet (the rest follow it on the channel)
    function sendMany(string calldata dstChain, string calldata dstApp, uint256 count, uint64 timeoutTimestamp) external returns (uint64 first) {
        if (count == 0) revert ZeroCount();
        uint256 n = sent;
        first = gateway.send(dstChain, dstApp, abi.encodePacked(uint64(n)), 0, timeoutTimestamp, false);
        for (uint256 i = 1; i < count; i++) gateway.send(dstChain, dstApp, abi.encodePacked(uint64(n + i)), 0, timeoutTimestamp, false);
        sent = n + count;
    }

    /// @notice Counts the packet and answers 0x01.
    function onRecvPacket(PontisPacket calldata) external onlyGateway returns (bytes memory) {
        received += 1;
        return hex"01";
    }

    function onAcknowledgePacket(PontisPacket calldata, bytes calldata ack) external onlyGateway {
        acked += 1;
        if (ack.length == 0 || ack[0] != 0x01) ackErrors += 1;
    }

    function onTimeoutPacket(PontisPacket calldata) external onlyGateway {
        timedOut += 1;
    }
}
