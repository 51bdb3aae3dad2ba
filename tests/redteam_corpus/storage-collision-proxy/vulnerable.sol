// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// An upgradeable proxy with a two-step admin change.
contract FeeProxy {
    address public pendingAdmin;
    address public admin;
    address public implementation;

    constructor(address impl, bytes memory init) {
        admin = msg.sender;
        implementation = impl;
        (bool ok, ) = impl.delegatecall(init);
        require(ok, "init failed");
    }

    function proposeNewAdmin(address next) external {
        pendingAdmin = next;
    }

    function approveNewAdmin(address expected) external {
        require(msg.sender == admin, "only admin");
        require(pendingAdmin == expected, "unexpected admin");
        admin = pendingAdmin;
    }

    function upgradeTo(address impl) external {
        require(msg.sender == admin, "only admin");
        implementation = impl;
    }

    fallback() external payable {
        (bool ok, bytes memory ret) = implementation.delegatecall(msg.data);
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
        assembly {
            return(add(ret, 32), mload(ret))
        }
    }
}

/// The logic behind the proxy: collects service fees; its owner withdraws them.
contract FeeCollector {
    address public owner;

    function initialize(address owner_) external {
        require(owner == address(0), "already initialized");
        owner = owner_;
    }

    function payFee() external payable {
        require(msg.value > 0, "no fee");
    }

    function collected() external view returns (uint256) {
        return address(this).balance;
    }

    function withdrawFees(address payable to) external {
        require(msg.sender == owner, "only owner");
        (bool ok, ) = to.call{value: address(this).balance}("");
        require(ok, "transfer failed");
    }
}
