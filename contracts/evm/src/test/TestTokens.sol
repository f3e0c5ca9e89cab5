// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title Tokens for the bridge tests only (test/contracts/bridge.test.ts); never deployed for real.

/// @notice A plain ERC-20 anyone can mint.
contract TestToken {
    string public name;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    constructor(string memory name_) {
        name = name_;
    }

    function mint(address to, uint256 value) external {
        totalSupply += value;
        balanceOf[to] += value;
        emit Transfer(address(0), to, value);
    }

    function approve(address spender, uint256 value) external returns (bool) {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transfer(address to, uint256 value) external virtual returns (bool) {
        _move(msg.sender, to, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external virtual returns (bool) {
        require(allowance[from][msg.sender] >= value, "allowance");
        allowance[from][msg.sender] -= value;
        _move(from, to, value);
        return true;
    }

    function _move(address from, address to, uint256 value) internal virtual {
        require(balanceOf[from] >= value, "balance");
        balanceOf[from] -= value;
        balanceOf[to] += value;
        emit Transfer(from, to, value);
    }
}

/// @notice Burns `feeBps` of every transfer: the receiver gets less than was sent.
contract FeeToken is TestToken {
    uint256 public feeBps;

    constructor(uint256 feeBps_) TestToken("fee") {
        feeBps = feeBps_;
    }

    function _move(address from, address to, uint256 value) internal override {
        require(balanceOf[from] >= value, "balance");
        uint256 fee = (value * feeBps) / 10_000;
        balanceOf[from] -= value;
        balanceOf[to] += value - fee;
        totalSupply -= fee;
        emit Transfer(from, to, value - fee);
    }
}

/// @notice Once armed, its next transfer or transferFrom calls `target` with `data` (a re-entry
/// attempt) and records whether that call succeeded, then completes normally.
contract ReentrantToken is TestToken {
    address public target;
    bytes public data;
    uint256 public attempts;
    uint256 public successes;
    bytes public lastRevert;

    constructor() TestToken("reentrant") {}

    function arm(address target_, bytes calldata data_) external {
        target = target_;
        data = data_;
    }

    function _move(address from, address to, uint256 value) internal override {
        super._move(from, to, value);
        address t = target;
        if (t != address(0)) {
            target = address(0);
            attempts += 1;
            (bool ok, bytes memory ret) = t.call(data);
            if (ok) successes += 1;
            else lastRevert = ret;
        }
    }
}

/// @notice Receives the native coin; once armed, re-enters `target` with `data` from receive().
/// `refuse` makes it reject the coin instead, `burnGas` spend all the gas it is given.
contract ReentrantReceiver {
    address public target;
    bytes public data;
    bool public refuse;
    bool public burnGas;
    uint256 public attempts;
    uint256 public successes;
    bytes public lastRevert;

    function arm(address target_, bytes calldata data_) external {
        target = target_;
        data = data_;
    }

    function setRefuse(bool r) external {
        refuse = r;
    }

    function setBurnGas(bool b) external {
        burnGas = b;
    }

    /// @notice Lets the tests send from this contract (e.g. bridge.sendNative with its value).
    function exec(address to, uint256 value, bytes calldata callData) external payable returns (bytes memory) {
        (bool ok, bytes memory ret) = to.call{value: value}(callData);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 32), mload(ret))
            }
        }
        return ret;
    }

    receive() external payable {
        require(!refuse, "refused");
        if (burnGas) {
            uint256 x;
            while (true) x = uint256(keccak256(abi.encode(x)));
        }
        address t = target;
        if (t != address(0)) {
            target = address(0);
            attempts += 1;
            (bool ok, bytes memory ret) = t.call(data);
            if (ok) successes += 1;
            else lastRevert = ret;
        }
    }
}
