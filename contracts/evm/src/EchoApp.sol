// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IPontisApp, PontisPacket} from "./IPontisApp.sol";
import {Gateway} from "./Gateway.sol";

/// @title A minimal Pontis app: the sample of how an app uses the Gateway (and the tests' app).
/// @notice Answers a packet with keccak256(payload). Payload "fail" reverts with a code, "panic"
/// reverts without data, "burn" runs out of gas, "reenter" tries to re-enter the gateway; all
/// become error acks.
contract EchoApp is IPontisApp {
    Gateway public immutable gateway;
    uint256 public received;
    bytes public lastPayload;
    bytes public lastAck;
    uint256 public acked;
    uint256 public timedOut;

    error OnlyGateway();

    modifier onlyGateway() {
        if (msg.sender != address(gateway)) revert OnlyGateway();
        _;
    }

    constructor(Gateway gw, string memory name) {
        gateway = gw;
        gw.registerApp(name);
    }

    /// @dev Open to anyone: a sample. An app that moves value decides here who may send what.
    function sendTo(string calldata dstChain, string calldata dstApp, bytes calldata payload, uint64 timeoutHeight, uint64 timeoutTimestamp, bool ordered) external returns (uint64) {
        return gateway.send(dstChain, dstApp, payload, timeoutHeight, timeoutTimestamp, ordered);
    }

    function onRecvPacket(PontisPacket calldata packet) external onlyGateway returns (bytes memory) {
        // a write that must vanish when this call reverts
        received += 1;
        lastPayload = packet.payload;
        bytes32 h = keccak256(packet.payload);
        if (h == keccak256("fail")) revert("ECHO_REFUSED");
        if (h == keccak256("panic")) revert();
        if (h == keccak256("burn")) {
            // runs until the gateway's app gas limit is spent
            uint256 x;
            while (true) x = uint256(keccak256(abi.encode(x)));
        }
        if (h == keccak256("reenter")) {
            PontisPacket[] memory none = new PontisPacket[](0);
            gateway.recvPackets(0, none, new bytes[](0));
        }
        return abi.encodePacked(h);
    }

    function onAcknowledgePacket(PontisPacket calldata, bytes calldata ack) external onlyGateway {
        acked += 1;
        lastAck = ack;
    }

    function onTimeoutPacket(PontisPacket calldata) external onlyGateway {
        timedOut += 1;
    }
}
