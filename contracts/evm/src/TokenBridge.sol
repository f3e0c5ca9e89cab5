// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IPontisApp, PontisPacket} from "./IPontisApp.sol";
import {Gateway} from "./Gateway.sol";
import {ReentrancyGuard} from "./ReentrancyGuard.sol";
import {WrappedToken} from "./WrappedToken.sol";

interface IERC20Minimal {
    function balanceOf(address account) external view returns (uint256);
    function transfer(address to, uint256 value) external returns (bool);
    function transferFrom(address from, address to, uint256 value) external returns (bool);
}

/// @title Pontis token bridge: the hub's `transfer` app on an EVM chain (docs/adr/0007-transfers.md).
/// @notice Payloads are the hub's canonical JSON `{"amount","denom","memo"?,"receiver","sender"}`
/// on unordered `transfer` <-> `transfer` channels, so the hub's per-route accounting and rate
/// limits apply to every packet this contract sends or receives.
///
/// Denoms on this chain: an ERC-20 is `erc20/0x<lower-case address>`, the native coin is `wei`,
/// and a token this bridge minted is its voucher denom `t/<srcChain>/<denom>`.
///  - send to Y: a voucher `t/Y/...` is burned (it goes home); anything else is locked, in an
///    escrow kept per destination chain (`escrowed[Y][token]`).
///  - receive from X: `t/<this chain>/<inner>` releases `inner` from `escrowed[X]` (never more
///    than it holds); anything else mints the WrappedToken of `t/X/<denom>` (created on first use).
///  - error ack or timeout: what was burned is minted back, what was locked is released to the
///    sender; a release the token or the sender refuses is kept as `claimable` (claimRefund).
/// Fee-on-transfer tokens: the bridge locks and sends what actually arrived (the balance change),
/// so escrow always equals what it holds; a lock where nothing arrives is refused. Tokens whose
/// balances change by themselves (rebasing) are not supported.
/// Roles: anyone relays (through the Gateway); only `admin` (governance) pauses, sets rate limits
/// and hands over the role. Paused: sends are refused and receives become error acks (the source
/// refunds); refunds of this chain's own packets still run.
contract TokenBridge is IPontisApp, ReentrancyGuard {
    struct RateLimit {
        uint256 maxAmount;
        uint64 windowSeconds; // 0: no limit
        uint64 windowStart;
        uint256 used;
    }

    string public constant APP = "transfer";
    string public constant NATIVE_DENOM = "wei";
    address public constant NATIVE = address(0);
    uint64 public constant DEFAULT_TIMEOUT_MS = 3_600_000;
    uint256 private constant MAX_DENOM = 128;
    uint256 private constant MAX_RECEIVER = 128;
    uint256 private constant MAX_MEMO = 256;
    uint256 private constant PAY_GAS_RESERVE = 60_000;

    Gateway public immutable gateway;
    WrappedToken public immutable wrappedImplementation;
    string public chainId;
    address public admin;
    bool public paused;

    /// keccak256(chain) => token => amount locked here for that chain (native: address(0))
    mapping(bytes32 => mapping(address => uint256)) private _escrowed;
    /// keccak256(voucher denom) => the WrappedToken minted for it
    mapping(bytes32 => address) private _wrapped;
    /// WrappedToken => its voucher denom (empty for tokens this bridge did not create)
    mapping(address => string) private _voucherDenom;
    /// keccak256(abi.encode(inbound, keccak256(chain), token)) => limit
    mapping(bytes32 => RateLimit) private _limits;
    /// token => account => refunds that could not be paid out when the packet failed
    mapping(address => mapping(address => uint256)) public claimable;

    event Locked(string dstChain, address indexed token, address indexed sender, uint256 amount, uint64 sequence);
    event Burned(string dstChain, address indexed token, address indexed sender, uint256 amount, uint64 sequence);
    event Minted(string srcChain, address indexed token, address indexed receiver, uint256 amount, uint64 sequence);
    event Released(string srcChain, address indexed token, address indexed receiver, uint256 amount, uint64 sequence);
    event Refunded(string dstChain, address indexed token, address indexed sender, uint256 amount, uint64 sequence, bool paid);
    event WrappedTokenCreated(string denom, address token);
    event RateLimitSet(string chain, address indexed token, bool inbound, uint256 maxAmount, uint64 windowSeconds);
    event PausedSet(bool paused);
    event AdminChanged(address admin);

    error OnlyGateway();
    error OnlyAdmin();
    error IsPaused();
    error ZeroAddress();
    error ZeroAmount();
    error NotAContract();
    error NothingArrived();
    error BadReceiver();
    error BadMemo();
    error BadChain();
    error TraceTooLong();
    error RateLimited();
    error TransferFailed();
    error NativeValueMismatch();
    error NothingToClaim();

    modifier onlyGateway() {
        if (msg.sender != address(gateway)) revert OnlyGateway();
        _;
    }

    modifier onlyAdmin() {
        if (msg.sender != admin) revert OnlyAdmin();
        _;
    }

    constructor(Gateway gw, address admin_) {
        if (address(gw) == address(0) || admin_ == address(0)) revert ZeroAddress();
        gateway = gw;
        admin = admin_;
        chainId = gw.chainId();
        wrappedImplementation = new WrappedToken();
        gw.registerApp(APP);
    }

    // ---------------------------------------------------------------- admin

    function setPaused(bool p) external onlyAdmin {
        paused = p;
        emit PausedSet(p);
    }

    function setAdmin(address a) external onlyAdmin {
        if (a == address(0)) revert ZeroAddress();
        admin = a;
        emit AdminChanged(a);
    }

    /// @notice At most `maxAmount` of `token` may leave toward (inbound false) or arrive from
    /// (inbound true) `chain` per fixed window of `windowSeconds` aligned to multiples of it
    /// (block time). maxAmount 0 stops the flow; windowSeconds 0 removes the limit. Outflow counts
    /// gross (a refunded send still used its capacity), as the hub does.
    function setRateLimit(string calldata chain, address token, bool inbound, uint256 maxAmount, uint64 windowSeconds) external onlyAdmin {
        if (bytes(chain).length == 0) revert BadChain();
        RateLimit storage l = _limits[_limitKey(inbound, keccak256(bytes(chain)), token)];
        l.maxAmount = maxAmount;
        l.windowSeconds = windowSeconds;
        l.windowStart = 0;
        l.used = 0;
        emit RateLimitSet(chain, token, inbound, maxAmount, windowSeconds);
    }

    function rateLimit(string calldata chain, address token, bool inbound) external view returns (RateLimit memory) {
        return _limits[_limitKey(inbound, keccak256(bytes(chain)), token)];
    }

    // ---------------------------------------------------------------- views

    function escrowed(string calldata chain, address token) external view returns (uint256) {
        return _escrowed[keccak256(bytes(chain))][token];
    }

    function wrappedToken(string calldata voucher) external view returns (address) {
        return _wrapped[keccak256(bytes(voucher))];
    }

    /// @notice The address the WrappedToken of `voucher` has (or will have once created).
    function predictWrapped(string calldata voucher) public view returns (address) {
        bytes32 h = keccak256(abi.encodePacked(bytes1(0xff), address(this), keccak256(bytes(voucher)), keccak256(_cloneCode())));
        return address(uint160(uint256(h)));
    }

    /// @notice The denom `token` has in transfer payloads sent from this chain.
    function denomOf(address token) public view returns (string memory) {
        if (token == NATIVE) return NATIVE_DENOM;
        string memory v = _voucherDenom[token];
        if (bytes(v).length != 0) return v;
        return string.concat("erc20/", _hexAddress(token));
    }

    // ---------------------------------------------------------------- sending

    /// @notice Sends `amount` of ERC-20 `token` to `receiver` on `dstChain`: burns it if it is a
    /// voucher of `dstChain`, else locks what arrives (approve the bridge first). timeoutTimestamp
    /// in unix ms; 0 means now + 1 hour. Returns the packet sequence.
    function sendToken(address token, uint256 amount, string calldata dstChain, string calldata receiver, uint64 timeoutTimestamp, string calldata memo)
        external
        nonReentrant
        returns (uint64)
    {
        if (token == address(0)) revert ZeroAddress();
        if (token.code.length == 0) revert NotAContract();
        if (amount == 0) revert ZeroAmount();
        _checkSend(dstChain, receiver, memo);
        string memory denom = denomOf(token);
        bytes32 dst = keccak256(bytes(dstChain));
        bool burn = bytes(_voucherDenom[token]).length != 0 && _startsWith(bytes(denom), bytes(string.concat("t/", dstChain, "/")));
        uint256 sent = amount;
        if (burn) {
            WrappedToken(token).burn(msg.sender, amount);
        } else {
            _checkTrace(denom);
            uint256 before = IERC20Minimal(token).balanceOf(address(this));
            _safeTransferFrom(token, msg.sender, amount);
            uint256 afterBal = IERC20Minimal(token).balanceOf(address(this));
            if (afterBal <= before) revert NothingArrived();
            sent = afterBal - before;
            _escrowed[dst][token] += sent;
        }
        _useLimit(false, dst, token, sent);
        uint64 seq = _sendPacket(dstChain, denom, sent, receiver, memo, timeoutTimestamp);
        if (burn) emit Burned(dstChain, token, msg.sender, sent, seq);
        else emit Locked(dstChain, token, msg.sender, sent, seq);
        return seq;
    }

    /// @notice Locks msg.value of the native coin for `dstChain` and sends it as `wei`.
    function sendNative(string calldata dstChain, string calldata receiver, uint64 timeoutTimestamp, string calldata memo) external payable nonReentrant returns (uint64) {
        if (msg.value == 0) revert ZeroAmount();
        _checkSend(dstChain, receiver, memo);
        _checkTrace(NATIVE_DENOM);
        bytes32 dst = keccak256(bytes(dstChain));
        _escrowed[dst][NATIVE] += msg.value;
        _useLimit(false, dst, NATIVE, msg.value);
        uint64 seq = _sendPacket(dstChain, NATIVE_DENOM, msg.value, receiver, memo, timeoutTimestamp);
        emit Locked(dstChain, NATIVE, msg.sender, msg.value, seq);
        return seq;
    }

    /// @notice Pays out refunds that failed when their packet failed (a token that refused the
    /// transfer then, a sender contract that refused the native coin).
    function claimRefund(address token) external nonReentrant {
        uint256 a = claimable[token][msg.sender];
        if (a == 0) revert NothingToClaim();
        claimable[token][msg.sender] = 0;
        if (!_pay(token, msg.sender, a)) revert TransferFailed();
    }

    // ---------------------------------------------------------------- packet callbacks

    /// @notice Mints or releases what a transfer packet carries; any refusal reverts with a
    /// PNT_ERR_* code, which the Gateway turns into an error ack (the source then refunds).
    function onRecvPacket(PontisPacket calldata packet) external onlyGateway nonReentrant returns (bytes memory) {
        if (keccak256(bytes(packet.srcApp)) != keccak256(bytes(APP)) || keccak256(bytes(packet.dstApp)) != keccak256(bytes(APP))) revert("PNT_ERR_TRANSFER_WRONG_APP");
        if (paused) revert("PNT_ERR_TRANSFER_PAUSED");
        Payload memory p = _decode(packet.payload);
        address receiver = _parseAddress(p.receiver);
        if (receiver == address(0)) revert("PNT_ERR_TRANSFER_INVALID_RECEIVER");
        bytes32 src = keccak256(bytes(packet.srcChain));
        bytes memory prefix = bytes(string.concat("t/", chainId, "/"));
        string memory credited;
        if (_startsWith(p.denom, prefix)) {
            // a return: release what was locked here for the source chain
            bytes memory inner = _slice(p.denom, prefix.length);
            address token = _localToken(inner);
            uint256 held = _escrowed[src][token];
            if (held < p.amount) revert("PNT_ERR_TRANSFER_ESCROW_INSUFFICIENT");
            _escrowed[src][token] = held - p.amount; // effects before the interaction
            _useLimit(true, src, token, p.amount);
            if (!_pay(token, receiver, p.amount)) revert("PNT_ERR_TRANSFER_RELEASE_FAILED");
            credited = string(inner);
            emit Released(packet.srcChain, token, receiver, p.amount, packet.sequence);
        } else {
            credited = string.concat("t/", packet.srcChain, "/", string(p.denom));
            if (bytes(credited).length > MAX_DENOM) revert("PNT_ERR_TRANSFER_TRACE_TOO_LONG");
            address token = _wrappedOrCreate(credited);
            _useLimit(true, src, token, p.amount);
            WrappedToken(token).mint(receiver, p.amount);
            emit Minted(packet.srcChain, token, receiver, p.amount, packet.sequence);
        }
        return bytes(string.concat('{"denom":"', credited, '"}'));
    }

    function onAcknowledgePacket(PontisPacket calldata packet, bytes calldata ack) external onlyGateway nonReentrant {
        if (ack.length > 0 && ack[0] == 0x01) return;
        _refund(packet);
    }

    function onTimeoutPacket(PontisPacket calldata packet) external onlyGateway nonReentrant {
        _refund(packet);
    }

    // ---------------------------------------------------------------- internals

    struct Payload {
        uint256 amount;
        bytes denom;
        bytes receiver;
        bytes sender;
    }

    function _sendPacket(string calldata dstChain, string memory denom, uint256 amount, string calldata receiver, string calldata memo, uint64 timeoutTimestamp) private returns (uint64) {
        if (timeoutTimestamp == 0) timeoutTimestamp = uint64(block.timestamp * 1000) + DEFAULT_TIMEOUT_MS;
        // canonical JSON: keys sorted, no whitespace; every string was checked to need no escaping
        bytes memory payload = bytes(
            string.concat(
                '{"amount":"',
                _decimal(amount),
                '","denom":"',
                denom,
                bytes(memo).length != 0 ? string.concat('","memo":"', memo) : "",
                '","receiver":"',
                receiver,
                '","sender":"',
                _hexAddress(msg.sender),
                '"}'
            )
        );
        return gateway.send(dstChain, APP, payload, 0, timeoutTimestamp, false);
    }

    /// @dev What was burned is minted back; what was locked is released (or kept claimable).
    function _refund(PontisPacket calldata packet) private {
        Payload memory p = _decode(packet.payload);
        address sender = _parseAddress(p.sender);
        bytes32 dst = keccak256(bytes(packet.dstChain));
        if (_startsWith(p.denom, bytes(string.concat("t/", packet.dstChain, "/")))) {
            address w = _wrapped[keccak256(p.denom)];
            WrappedToken(w).mint(sender, p.amount);
            emit Refunded(packet.dstChain, w, sender, p.amount, packet.sequence, true);
            return;
        }
        address token = _localToken(p.denom);
        _escrowed[dst][token] -= p.amount;
        bool paid = _pay(token, sender, p.amount);
        if (!paid) claimable[token][sender] += p.amount;
        emit Refunded(packet.dstChain, token, sender, p.amount, packet.sequence, paid);
    }

    /// @dev The token a denom names on this chain: `wei`, `erc20/0x..`, or a voucher this bridge created.
    function _localToken(bytes memory denom) private view returns (address) {
        if (keccak256(denom) == keccak256(bytes(NATIVE_DENOM))) return NATIVE;
        if (_startsWith(denom, "erc20/")) {
            bytes memory hexAddr = _slice(denom, 6);
            // the lower-case form only: one denom per token
            if (keccak256(hexAddr) == keccak256(bytes(_hexAddress(_parseAddress(hexAddr))))) return _parseAddress(hexAddr);
        }
        address w = _wrapped[keccak256(denom)];
        if (w == address(0)) revert("PNT_ERR_TRANSFER_UNKNOWN_DENOM");
        return w;
    }

    function _wrappedOrCreate(string memory voucher) private returns (address token) {
        bytes32 h = keccak256(bytes(voucher));
        token = _wrapped[h];
        if (token != address(0)) return token;
        bytes memory code = _cloneCode();
        assembly ("memory-safe") {
            token := create2(0, add(code, 32), mload(code), h)
        }
        if (token == address(0)) revert("PNT_ERR_TRANSFER_CREATE_FAILED");
        WrappedToken(token).initialize(address(this), voucher);
        _wrapped[h] = token;
        _voucherDenom[token] = voucher;
        emit WrappedTokenCreated(voucher, token);
    }

    /// @dev EIP-1167 minimal proxy init code delegating to wrappedImplementation.
    function _cloneCode() private view returns (bytes memory) {
        return abi.encodePacked(hex"3d602d80600a3d3981f3363d3d373d3d3d363d73", address(wrappedImplementation), hex"5af43d82803e903d91602b57fd5bf3");
    }

    function _useLimit(bool inbound, bytes32 chain, address token, uint256 amount) private {
        RateLimit storage l = _limits[_limitKey(inbound, chain, token)];
        uint64 w = l.windowSeconds;
        if (w == 0) return;
        uint64 start = uint64(block.timestamp) - (uint64(block.timestamp) % w);
        uint256 used = l.windowStart == start ? l.used : 0;
        if (amount > l.maxAmount || used > l.maxAmount - amount) {
            if (inbound) revert("PNT_ERR_TRANSFER_RATE_LIMITED");
            revert RateLimited();
        }
        l.windowStart = start;
        l.used = used + amount;
    }

    function _limitKey(bool inbound, bytes32 chain, address token) private pure returns (bytes32) {
        return keccak256(abi.encode(inbound, chain, token));
    }

    function _checkSend(string calldata dstChain, string calldata receiver, string calldata memo) private view {
        if (paused) revert IsPaused();
        if (bytes(dstChain).length == 0 || keccak256(bytes(dstChain)) == keccak256(bytes(chainId))) revert BadChain();
        bytes memory r = bytes(receiver);
        if (r.length == 0 || r.length > MAX_RECEIVER || !_plain(r, 0x21)) revert BadReceiver();
        // the zero address in any spelling is refused, as the hub does (0x, 0x0, 0x000...)
        if (r.length >= 2 && r[0] == "0" && r[1] == "x") {
            bool allZero = true;
            for (uint256 i = 2; i < r.length && allZero; i++) allZero = r[i] == "0";
            if (allZero) revert ZeroAddress();
        }
        bytes memory m = bytes(memo);
        if (m.length > MAX_MEMO || !_plain(m, 0x20)) revert BadMemo();
    }

    function _checkTrace(string memory denom) private view {
        // the voucher the destination mints must stay a valid denom (<= 128 characters)
        if (bytes(chainId).length + bytes(denom).length + 3 > MAX_DENOM) revert TraceTooLong();
    }

    /// @dev Printable ASCII from `lowest` to 0x7e, without '"' and '\': no JSON escaping needed.
    function _plain(bytes memory s, uint8 lowest) private pure returns (bool) {
        for (uint256 i = 0; i < s.length; i++) {
            uint8 c = uint8(s[i]);
            if (c < lowest || c > 0x7e || c == 0x22 || c == 0x5c) return false;
        }
        return true;
    }

    function _safeTransferFrom(address token, address from, uint256 amount) private {
        (bool ok, bytes memory ret) = token.call(abi.encodeCall(IERC20Minimal.transferFrom, (from, address(this), amount)));
        if (!ok || (ret.length != 0 && (ret.length < 32 || abi.decode(ret, (uint256)) != 1))) revert TransferFailed();
    }

    /// @dev Pays out the native coin or an ERC-20; false when the recipient or the token refused.
    /// The callee never gets the last PAY_GAS_RESERVE gas: a recipient that burns all it is given
    /// still leaves enough to record a claimable refund (else its refund would be lost).
    function _pay(address token, address to, uint256 amount) private returns (bool ok) {
        uint256 g = gasleft();
        g = g > PAY_GAS_RESERVE ? g - PAY_GAS_RESERVE : 0;
        bytes memory ret;
        if (token == NATIVE) {
            (ok, ) = to.call{value: amount, gas: g}("");
            return ok;
        }
        (ok, ret) = token.call{gas: g}(abi.encodeCall(IERC20Minimal.transfer, (to, amount)));
        return ok && (ret.length == 0 ? token.code.length != 0 : (ret.length >= 32 && abi.decode(ret, (uint256)) == 1));
    }

    // ---------------------------------------------------------------- payload decoding

    /// @dev Accepts exactly the canonical JSON the hub's transfer app writes, with strings that
    /// need no escaping (denoms and addresses never do; a memo that does is refused: error ack).
    function _decode(bytes calldata b) private pure returns (Payload memory p) {
        uint256 i = _lit(b, 0, '{"amount":"');
        uint256 s;
        (s, i) = _str(b, i);
        p.amount = _parseAmount(b[s:i]);
        i = _lit(b, i, '","denom":"');
        (s, i) = _str(b, i);
        p.denom = b[s:i];
        if (!_validDenom(p.denom)) revert("PNT_ERR_TRANSFER_INVALID_PAYLOAD");
        i = _lit(b, i, '","');
        if (_has(b, i, 'memo":"')) {
            (, i) = _str(b, i + 7);
            i = _lit(b, i, '","');
        }
        i = _lit(b, i, 'receiver":"');
        (s, i) = _str(b, i);
        p.receiver = b[s:i];
        i = _lit(b, i, '","sender":"');
        (s, i) = _str(b, i);
        p.sender = b[s:i];
        if (p.sender.length == 0 || p.sender.length > 128) revert("PNT_ERR_TRANSFER_INVALID_PAYLOAD");
        i = _lit(b, i, '"}');
        if (i != b.length) revert("PNT_ERR_TRANSFER_INVALID_PAYLOAD");
    }

    function _has(bytes calldata b, uint256 i, bytes memory lit) private pure returns (bool) {
        if (b.length < i + lit.length) return false;
        return keccak256(b[i:i + lit.length]) == keccak256(lit);
    }

    function _lit(bytes calldata b, uint256 i, bytes memory lit) private pure returns (uint256) {
        if (!_has(b, i, lit)) revert("PNT_ERR_TRANSFER_INVALID_PAYLOAD");
        return i + lit.length;
    }

    /// @dev From i to the closing quote (exclusive); refuses escapes and control characters.
    function _str(bytes calldata b, uint256 i) private pure returns (uint256 start, uint256 end) {
        start = i;
        while (i < b.length) {
            uint8 c = uint8(b[i]);
            if (c == 0x22) return (start, i);
            if (c == 0x5c || c < 0x20) revert("PNT_ERR_TRANSFER_INVALID_PAYLOAD");
            i++;
        }
        revert("PNT_ERR_TRANSFER_INVALID_PAYLOAD");
    }

    /// @dev Canonical positive decimal within uint256.
    function _parseAmount(bytes calldata d) private pure returns (uint256 v) {
        if (d.length == 0 || d.length > 78 || d[0] == "0") revert("PNT_ERR_TRANSFER_INVALID_PAYLOAD");
        for (uint256 i = 0; i < d.length; i++) {
            uint8 c = uint8(d[i]);
            if (c < 0x30 || c > 0x39) revert("PNT_ERR_TRANSFER_INVALID_PAYLOAD");
            uint256 digit = c - 0x30;
            if (v > (type(uint256).max - digit) / 10) revert("PNT_ERR_TRANSFER_INVALID_PAYLOAD");
            v = v * 10 + digit;
        }
    }

    /// @dev ^[a-z][a-z0-9/._-]{1,127}$ (the hub's DENOM_RE).
    function _validDenom(bytes memory d) private pure returns (bool) {
        if (d.length < 2 || d.length > MAX_DENOM || !(d[0] >= "a" && d[0] <= "z")) return false;
        for (uint256 i = 1; i < d.length; i++) {
            bytes1 c = d[i];
            if (!((c >= "a" && c <= "z") || (c >= "0" && c <= "9") || c == "/" || c == "." || c == "_" || c == "-")) return false;
        }
        return true;
    }

    /// @dev `0x` + 40 hex digits (either case) to an address; anything else is refused.
    function _parseAddress(bytes memory s) private pure returns (address) {
        if (s.length != 42 || s[0] != "0" || s[1] != "x") revert("PNT_ERR_TRANSFER_INVALID_RECEIVER");
        uint160 v;
        for (uint256 i = 2; i < 42; i++) {
            uint8 c = uint8(s[i]);
            uint8 n;
            if (c >= 0x30 && c <= 0x39) n = c - 0x30;
            else if (c >= 0x61 && c <= 0x66) n = c - 0x57;
            else if (c >= 0x41 && c <= 0x46) n = c - 0x37;
            else revert("PNT_ERR_TRANSFER_INVALID_RECEIVER");
            v = (v << 4) | n;
        }
        return address(v);
    }

    function _hexAddress(address a) private pure returns (string memory) {
        bytes memory out = new bytes(42);
        out[0] = "0";
        out[1] = "x";
        uint160 v = uint160(a);
        for (uint256 i = 41; i >= 2; i--) {
            uint8 n = uint8(v & 0xf);
            out[i] = bytes1(n < 10 ? n + 0x30 : n + 0x57);
            v >>= 4;
        }
        return string(out);
    }

    function _decimal(uint256 v) private pure returns (string memory) {
        if (v == 0) return "0";
        uint256 len;
        for (uint256 t = v; t != 0; t /= 10) len++;
        bytes memory out = new bytes(len);
        for (; v != 0; v /= 10) out[--len] = bytes1(uint8(48 + (v % 10)));
        return string(out);
    }

    function _startsWith(bytes memory s, bytes memory prefix) private pure returns (bool) {
        if (s.length < prefix.length) return false;
        for (uint256 i = 0; i < prefix.length; i++) if (s[i] != prefix[i]) return false;
        return true;
    }

    function _slice(bytes memory s, uint256 from) private pure returns (bytes memory out) {
        out = new bytes(s.length - from);
        for (uint256 i = 0; i < out.length; i++) out[i] = s[from + i];
    }
}
