// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IPontisApp, PontisPacket} from "./IPontisApp.sol";
import {Gateway} from "./Gateway.sol";

/// @title A message board between chains: the smallest useful Pontis app (the README's example).
/// @notice `post` sends a text to the board (app `board`) on another chain, through the hub; the
/// receiving board keeps it with the chain and account it came from, and the sender's board
/// records what became of it: delivered, failed (with the error ack's code) or timed out.
/// Payload: abi.encode(address author, string text). Boards accept posts only from boards.
contract MessageBoard is IPontisApp {
    struct Post {
        string srcChain;
        address author;
        string text;
        uint64 sequence;
    }

    enum Outcome {
        None,
        Pending,
        Delivered,
        Failed,
        TimedOut
    }

    string public constant APP = "board";
    uint256 public constant MAX_TEXT = 1024;
    uint64 public constant TIMEOUT_MS = 600_000;

    Gateway public immutable gateway;
    Post[] private _posts;
    /// keccak256(abi.encode(dstChain, sequence)) => what became of a post sent from here
    mapping(bytes32 => Outcome) private _outcomes;
    mapping(bytes32 => bytes) private _failures;

    event Posted(string dstChain, uint64 sequence, address indexed author);
    event Received(string srcChain, uint64 sequence, address indexed author, uint256 index);
    event Resolved(string dstChain, uint64 sequence, Outcome outcome);

    error OnlyGateway();
    error BadText();

    modifier onlyGateway() {
        if (msg.sender != address(gateway)) revert OnlyGateway();
        _;
    }

    constructor(Gateway gw) {
        gateway = gw;
        gw.registerApp(APP);
    }

    /// @notice Sends `text` to the board on `dstChain`; it times out after TIMEOUT_MS.
    function post(string calldata dstChain, string calldata text) external returns (uint64 sequence) {
        if (bytes(text).length == 0 || bytes(text).length > MAX_TEXT) revert BadText();
        sequence = gateway.send(dstChain, APP, abi.encode(msg.sender, text), 0, uint64(block.timestamp * 1000) + TIMEOUT_MS, false);
        _outcomes[keccak256(abi.encode(dstChain, sequence))] = Outcome.Pending;
        emit Posted(dstChain, sequence, msg.sender);
    }

    function postCount() external view returns (uint256) {
        return _posts.length;
    }

    function postAt(uint256 index) external view returns (Post memory) {
        return _posts[index];
    }

    function outcome(string calldata dstChain, uint64 sequence) external view returns (Outcome, bytes memory failure) {
        bytes32 k = keccak256(abi.encode(dstChain, sequence));
        return (_outcomes[k], _failures[k]);
    }

    function onRecvPacket(PontisPacket calldata packet) external onlyGateway returns (bytes memory) {
        if (keccak256(bytes(packet.srcApp)) != keccak256(bytes(APP))) revert("PNT_ERR_BOARD_WRONG_APP");
        (address author, string memory text) = abi.decode(packet.payload, (address, string));
        if (bytes(text).length == 0 || bytes(text).length > MAX_TEXT) revert("PNT_ERR_BOARD_BAD_TEXT");
        _posts.push(Post({srcChain: packet.srcChain, author: author, text: text, sequence: packet.sequence}));
        emit Received(packet.srcChain, packet.sequence, author, _posts.length - 1);
        return abi.encode(_posts.length - 1);
    }

    function onAcknowledgePacket(PontisPacket calldata packet, bytes calldata ack) external onlyGateway {
        bytes32 k = keccak256(abi.encode(packet.dstChain, packet.sequence));
        Outcome o = ack.length > 0 && ack[0] == 0x01 ? Outcome.Delivered : Outcome.Failed;
        _outcomes[k] = o;
        if (o == Outcome.Failed) _failures[k] = ack.length > 0 ? ack[1:] : bytes("");
        emit Resolved(packet.dstChain, packet.sequence, o);
    }

    function onTimeoutPacket(PontisPacket calldata packet) external onlyGateway {
        _outcomes[keccak256(abi.encode(packet.dstChain, packet.sequence))] = Outcome.TimedOut;
        emit Resolved(packet.dstChain, packet.sequence, Outcome.TimedOut);
    }
}
