// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IPontisApp, PontisPacket} from "../IPontisApp.sol";
import {Gateway} from "../Gateway.sol";

/// @title The cheapest possible receiving app, for gas measurements (test/contracts/gateway-gas.ts); never deployed for real.
/// @notice Writes nothing and answers every packet with a one-byte result, so the gas of a
/// delivery to it is the Gateway's own (receipt, ack, proof verification, events) plus one call.
contract SinkApp is IPontisApp {
    constructor(Gateway gw, string memory name) {
        gw.registerApp(name);
    }

    function onRecvPacket(PontisPacket calldata) external pure returns (bytes memory) {
        return hex"01";
    }

    function onAcknowledgePacket(PontisPacket calldata, bytes calldata) external {}

    function onTimeoutPacket(PontisPacket calldata) external {}
}
