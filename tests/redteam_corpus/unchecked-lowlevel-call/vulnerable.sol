// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import "./MiniToken.sol";

/// Holds deposits of one token; it talks to the token with low-level calls so that tokens with
/// unusual return values work too.
contract TokenVault {
    address public immutable token;
    mapping(address => uint256) public deposits;

    constructor(address token_) {
        token = token_;
    }

    function deposit(uint256 amount) external {
        token.call(abi.encodeWithSelector(MiniToken.transferFrom.selector, msg.sender, address(this), amount));
        deposits[msg.sender] += amount;
    }

    function withdraw(uint256 amount) external {
        require(deposits[msg.sender] >= amount, "insufficient deposit");
        deposits[msg.sender] -= amount;
        _call(abi.encodeWithSelector(MiniToken.transfer.selector, msg.sender, amount));
    }

    function _call(bytes memory data) private {
        (bool ok, bytes memory ret) = token.call(data);
        require(ok && (ret.length == 0 || abi.decode(ret, (bool))), "token call failed");
    }
}
