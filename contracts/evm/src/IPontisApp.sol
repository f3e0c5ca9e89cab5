// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @notice A packet as the hub commits it (hub-chain/modules/packets/types.ts).
struct PontisPacket {
    string srcChain;
    string srcApp;
    string dstChain;
    string dstApp;
    uint64 sequence;
    bool ordered;
    bytes payload;
    /// destination block number at which the packet times out (0: none)
    uint64 timeoutHeight;
    /// unix ms at which the packet times out, judged by the receiver's clock (0: none)
    uint64 timeoutTimestamp;
}

/// @notice What the Gateway calls on an application contract.
interface IPontisApp {
    /// @notice A packet for this app. The return value becomes the success ack's result; a revert
    /// becomes an error ack (0x00 | code) and undoes the app's writes. A revert with Error(string)
    /// of 1..64 bytes gives that string as the code, anything else PNT_ERR_APP_FAILED.
    function onRecvPacket(PontisPacket calldata packet) external returns (bytes memory result);

    /// @notice The destination's ack for a packet this app sent (0x01 | result, or 0x00 | code).
    function onAcknowledgePacket(PontisPacket calldata packet, bytes calldata ack) external;

    /// @notice A packet this app sent was proven never received before its timeout.
    function onTimeoutPacket(PontisPacket calldata packet) external;
}
