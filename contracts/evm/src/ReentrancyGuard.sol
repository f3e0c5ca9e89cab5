// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title A one-slot reentrancy lock for the Pontis app contracts.
/// @notice Functions marked nonReentrant cannot be entered again, directly or through another
/// marked function, until the outer call returns. Values 1/2 (never 0) keep the write cheap.
abstract contract ReentrancyGuard {
    uint256 private _reentrancyState = 1;

    error Reentrancy();

    modifier nonReentrant() {
        if (_reentrancyState != 1) revert Reentrancy();
        _reentrancyState = 2;
        _;
        _reentrancyState = 1;
    }

    function _reentrancyLocked() internal view returns (bool) {
        return _reentrancyState != 1;
    }
}
