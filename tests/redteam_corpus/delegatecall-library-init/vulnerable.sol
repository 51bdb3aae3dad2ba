// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Shared wallet logic; wallets forward every unknown call to it with delegatecall.
contract WalletLibrary {
    address public owner;
    uint256 public dailyLimit;

    function initWallet(address owner_, uint256 limit) public {
        owner = owner_;
        dailyLimit = limit;
    }

    function execute(address payable to, uint256 amount) external {
        require(msg.sender == owner, "only owner");
        require(amount <= dailyLimit, "over the daily limit");
        (bool ok, ) = to.call{value: amount}("");
        require(ok, "transfer failed");
    }
}

/// A thin wallet: its storage, the library's code.
contract LibWallet {
    address public owner;
    uint256 public dailyLimit;
    address public immutable library_;

    constructor(address lib, address owner_, uint256 limit) {
        library_ = lib;
        (bool ok, ) = lib.delegatecall(abi.encodeWithSelector(WalletLibrary.initWallet.selector, owner_, limit));
        require(ok, "init failed");
    }

    receive() external payable {}

    fallback() external payable {
        (bool ok, bytes memory ret) = library_.delegatecall(msg.data);
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
    }
}
