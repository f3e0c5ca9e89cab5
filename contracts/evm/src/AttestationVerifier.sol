// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IPontisApp, PontisPacket} from "./IPontisApp.sol";
import {Gateway} from "./Gateway.sol";

/// @title Attestations delivered through the hub, for other contracts to check.
/// @notice Payload (ABI): abi.encode(uint8 version = 1, string issuerChain, string issuer,
/// bytes32 subject, bytes32 kind, uint64 expiresAtMs, bool revoked). It is accepted only from a
/// (srcChain, srcApp) pair the admin configured, and only when issuerChain is the packet's
/// srcChain (the hub proved where it came from; the issuing app vouches for `issuer`).
/// One record per subject: a later attestation replaces it (from the same issuer it never
/// shortens the expiry, so a delayed older packet cannot undo a renewal). A revocation from
/// an issuer is final for (subject, issuer): it invalidates that issuer's record, and an
/// attestation from that issuer for that subject arriving later (unordered channels) is refused.
/// `isValid(subject)`: a record exists, is not revoked, the (chain, app) that delivered it is
/// still configured (withdrawing trust invalidates its records), and
/// block time (ms) is before expiresAtMs.
contract AttestationVerifier is IPontisApp {
    struct Attestation {
        string issuerChain;
        string issuer;
        string sourceApp; // the app on issuerChain that delivered it
        bytes32 kind;
        uint64 expiresAtMs;
        uint64 issuedAtMs; // this chain's block time when received
        bool revoked;
    }

    uint8 public constant VERSION = 1;

    Gateway public immutable gateway;
    address public admin;
    /// keccak256(abi.encode(srcChain, srcApp)) => accepted
    mapping(bytes32 => bool) public trustedSource;
    mapping(bytes32 => Attestation) private _records;
    /// keccak256(abi.encode(subject, issuerChain, issuer)) => revoked
    mapping(bytes32 => bool) public revokedBy;

    event IssuerSet(string chain, string app, bool trusted);
    event Attested(bytes32 indexed subject, string issuerChain, string issuer, bytes32 kind, uint64 expiresAtMs);
    event Revoked(bytes32 indexed subject, string issuerChain, string issuer);
    event AdminChanged(address admin);

    error OnlyGateway();
    error OnlyAdmin();
    error ZeroAddress();

    modifier onlyGateway() {
        if (msg.sender != address(gateway)) revert OnlyGateway();
        _;
    }

    modifier onlyAdmin() {
        if (msg.sender != admin) revert OnlyAdmin();
        _;
    }

    constructor(Gateway gw, address admin_, string memory appName) {
        if (address(gw) == address(0) || admin_ == address(0)) revert ZeroAddress();
        gateway = gw;
        admin = admin_;
        gw.registerApp(appName);
    }

    function setIssuer(string calldata chain, string calldata app, bool trusted) external onlyAdmin {
        trustedSource[_sourceKey(chain, app)] = trusted;
        emit IssuerSet(chain, app, trusted);
    }

    function setAdmin(address a) external onlyAdmin {
        if (a == address(0)) revert ZeroAddress();
        admin = a;
        emit AdminChanged(a);
    }

    function isValid(bytes32 subject) public view returns (bool) {
        Attestation storage a = _records[subject];
        if (a.expiresAtMs == 0 || a.revoked) return false;
        if (!trustedSource[_sourceKey(a.issuerChain, a.sourceApp)]) return false;
        return block.timestamp * 1000 < a.expiresAtMs;
    }

    function attestation(bytes32 subject) external view returns (Attestation memory record, bool valid) {
        return (_records[subject], isValid(subject));
    }

    function onRecvPacket(PontisPacket calldata packet) external onlyGateway returns (bytes memory) {
        if (!trustedSource[_sourceKey(packet.srcChain, packet.srcApp)]) revert("PNT_ERR_ATTESTATION_UNTRUSTED_ISSUER");
        (uint8 version, string memory issuerChain, string memory issuer, bytes32 subject, bytes32 kind, uint64 expiresAtMs, bool revoked) =
            abi.decode(packet.payload, (uint8, string, string, bytes32, bytes32, uint64, bool));
        if (version != VERSION) revert("PNT_ERR_ATTESTATION_BAD_VERSION");
        if (keccak256(bytes(issuerChain)) != keccak256(bytes(packet.srcChain))) revert("PNT_ERR_ATTESTATION_WRONG_CHAIN");
        if (bytes(issuer).length == 0 || bytes(issuer).length > 128) revert("PNT_ERR_ATTESTATION_BAD_ISSUER");
        bytes32 revKey = keccak256(abi.encode(subject, issuerChain, issuer));
        Attestation storage a = _records[subject];
        bool sameIssuer = keccak256(bytes(a.issuerChain)) == keccak256(bytes(issuerChain)) && keccak256(bytes(a.issuer)) == keccak256(bytes(issuer));
        if (revoked) {
            revokedBy[revKey] = true;
            if (sameIssuer) a.revoked = true;
            emit Revoked(subject, issuerChain, issuer);
            return abi.encode(subject, false);
        }
        if (revokedBy[revKey]) revert("PNT_ERR_ATTESTATION_REVOKED");
        if (expiresAtMs <= block.timestamp * 1000) revert("PNT_ERR_ATTESTATION_EXPIRED");
        if (sameIssuer && a.expiresAtMs >= expiresAtMs) return abi.encode(subject, true); // older news
        _records[subject] = Attestation({
            issuerChain: issuerChain,
            issuer: issuer,
            sourceApp: packet.srcApp,
            kind: kind,
            expiresAtMs: expiresAtMs,
            issuedAtMs: uint64(block.timestamp * 1000),
            revoked: false
        });
        emit Attested(subject, issuerChain, issuer, kind, expiresAtMs);
        return abi.encode(subject, true);
    }

    /// @dev Attestations are sent, not received: nothing to do on their ack or timeout.
    function onAcknowledgePacket(PontisPacket calldata, bytes calldata) external view onlyGateway {}

    function onTimeoutPacket(PontisPacket calldata) external view onlyGateway {}

    function _sourceKey(string memory chain, string memory app) private pure returns (bytes32) {
        return keccak256(abi.encode(chain, app));
    }
}
