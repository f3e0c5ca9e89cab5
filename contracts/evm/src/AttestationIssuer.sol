// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IPontisApp, PontisPacket} from "./IPontisApp.sol";
import {Gateway} from "./Gateway.sol";

/// @title Issues attestations (and revocations) from this chain to AttestationVerifiers elsewhere.
/// @notice The Gateway names this contract's app as the packet's srcApp, and the hub proves the
/// packet's srcChain; a verifier that trusts (this chain, this app) trusts what the owner issues
/// here. Payload: abi.encode(uint8 1, string issuerChain = this chain, string issuer, bytes32
/// subject, bytes32 kind, uint64 expiresAtMs, bool revoked), the format AttestationVerifier reads.
/// Acks are counted (a verifier's refusal comes back as an error ack, kept in `lastAck`).
contract AttestationIssuer is IPontisApp {
    uint8 public constant VERSION = 1;
    uint64 public constant DEFAULT_TIMEOUT_MS = 3_600_000;

    Gateway public immutable gateway;
    address public owner;
    string public chainId;
    uint256 public acked;
    uint256 public refused;
    uint256 public timedOut;
    bytes public lastAck;

    event Issued(string dstChain, bytes32 indexed subject, string issuer, bytes32 kind, uint64 expiresAtMs, bool revoked, uint64 sequence);
    event OwnerChanged(address owner);

    error OnlyGateway();
    error OnlyOwner();
    error ZeroAddress();
    error BadIssuer();

    modifier onlyGateway() {
        if (msg.sender != address(gateway)) revert OnlyGateway();
        _;
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert OnlyOwner();
        _;
    }

    constructor(Gateway gw, address owner_, string memory appName) {
        if (address(gw) == address(0) || owner_ == address(0)) revert ZeroAddress();
        gateway = gw;
        owner = owner_;
        chainId = gw.chainId();
        gw.registerApp(appName);
    }

    function setOwner(address o) external onlyOwner {
        if (o == address(0)) revert ZeroAddress();
        owner = o;
        emit OwnerChanged(o);
    }

    /// @notice Attests `subject` (of `kind`, by `issuer`) until expiresAtMs to the verifier app
    /// `dstApp` on `dstChain`. timeoutTimestamp in unix ms; 0 means now + 1 hour.
    function issue(string calldata dstChain, string calldata dstApp, string calldata issuer, bytes32 subject, bytes32 kind, uint64 expiresAtMs, uint64 timeoutTimestamp)
        external
        onlyOwner
        returns (uint64)
    {
        return _send(dstChain, dstApp, issuer, subject, kind, expiresAtMs, false, timeoutTimestamp);
    }

    /// @notice Revokes what `issuer` attested about `subject` at the verifier (final for that pair there).
    function revoke(string calldata dstChain, string calldata dstApp, string calldata issuer, bytes32 subject, uint64 timeoutTimestamp) external onlyOwner returns (uint64) {
        return _send(dstChain, dstApp, issuer, subject, bytes32(0), 0, true, timeoutTimestamp);
    }

    /// @dev An issuer only sends: a packet addressed to it is refused (error ack with this code).
    function onRecvPacket(PontisPacket calldata) external view onlyGateway returns (bytes memory) {
        revert("PNT_ERR_ATTESTATION_ISSUER_ONLY");
    }

    function onAcknowledgePacket(PontisPacket calldata, bytes calldata ack) external onlyGateway {
        acked += 1;
        if (ack.length == 0 || ack[0] != 0x01) refused += 1;
        lastAck = ack;
    }

    function onTimeoutPacket(PontisPacket calldata) external onlyGateway {
        timedOut += 1;
    }

    function _send(string calldata dstChain, string calldata dstApp, string calldata issuer, bytes32 subject, bytes32 kind, uint64 expiresAtMs, bool revoked, uint64 timeoutTimestamp)
        private
        returns (uint64 seq)
    {
        if (bytes(issuer).length == 0 || bytes(issuer).length > 128) revert BadIssuer();
        if (timeoutTimestamp == 0) timeoutTimestamp = uint64(block.timestamp * 1000) + DEFAULT_TIMEOUT_MS;
        bytes memory payload = abi.encode(VERSION, chainId, issuer, subject, kind, expiresAtMs, revoked);
        seq = gateway.send(dstChain, dstApp, payload, 0, timeoutTimestamp, false);
        emit Issued(dstChain, subject, issuer, kind, expiresAtMs, revoked, seq);
    }
}
