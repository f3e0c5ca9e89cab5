// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title The ERC-20 a TokenBridge mints for one voucher denom (`t/<srcChain>/<denom>`).
/// @notice Deployed once as an implementation; the bridge makes one EIP-1167 clone per voucher
/// denom (CREATE2, salt keccak256(denom)) and initializes it. Only that bridge mints and burns;
/// the supply is always what the bridge minted for received transfers less what it burned for
/// returns. Transfers have no hooks (nothing to re-enter through). `decimals` is 18 for display
/// only: amounts are the origin chain's base units, unchanged.
contract WrappedToken {
    address public bridge;
    string public denom;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    error AlreadyInitialized();
    error OnlyBridge();
    error ZeroAddress();
    error InsufficientBalance();
    error InsufficientAllowance();

    constructor() {
        // the implementation itself can never be initialized (and so never mint)
        bridge = address(1);
    }

    function initialize(address bridge_, string calldata denom_) external {
        if (bridge != address(0)) revert AlreadyInitialized();
        if (bridge_ == address(0)) revert ZeroAddress();
        bridge = bridge_;
        denom = denom_;
    }

    function name() external view returns (string memory) {
        return denom;
    }

    function symbol() external pure returns (string memory) {
        return "PONTIS-V";
    }

    function decimals() external pure returns (uint8) {
        return 18;
    }

    function transfer(address to, uint256 value) external returns (bool) {
        _move(msg.sender, to, value);
        return true;
    }

    function approve(address spender, uint256 value) external returns (bool) {
        if (spender == address(0)) revert ZeroAddress();
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != type(uint256).max) {
            if (allowed < value) revert InsufficientAllowance();
            unchecked {
                allowance[from][msg.sender] = allowed - value;
            }
        }
        _move(from, to, value);
        return true;
    }

    function mint(address to, uint256 value) external {
        if (msg.sender != bridge) revert OnlyBridge();
        if (to == address(0)) revert ZeroAddress();
        totalSupply += value; // checked: the supply can never wrap
        unchecked {
            balanceOf[to] += value;
        }
        emit Transfer(address(0), to, value);
    }

    /// @notice The bridge burns from a holder who asked it to send the tokens back (no allowance:
    /// the holder is the caller of the bridge).
    function burn(address from, uint256 value) external {
        if (msg.sender != bridge) revert OnlyBridge();
        uint256 b = balanceOf[from];
        if (b < value) revert InsufficientBalance();
        unchecked {
            balanceOf[from] = b - value;
            totalSupply -= value;
        }
        emit Transfer(from, address(0), value);
    }

    function _move(address from, address to, uint256 value) private {
        if (to == address(0)) revert ZeroAddress();
        uint256 b = balanceOf[from];
        if (b < value) revert InsufficientBalance();
        unchecked {
            balanceOf[from] = b - value;
            balanceOf[to] += value;
        }
        emit Transfer(from, to, value);
    }
}
