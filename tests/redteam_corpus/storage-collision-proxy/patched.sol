// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// An upgradeable proxy with a two-step admin change; its own state lives in EIP-1967 slots.
contract FeeProxy {
    bytes32 private constant PENDING_SLOT = bytes32(uint256(keccak256("eip1967.proxy.pendingAdmin")) - 1);
    bytes32 private constant ADMIN_SLOT = bytes32(uint256(keccak256("eip1967.proxy.admin")) - 1);
    bytes32 private constant IMPL_SLOT = bytes32(uint256(keccak256("eip1967.proxy.implementation")) - 1);

    function _get(bytes32 slot) private view returns (address value) {
        assembly {
            value := sload(slot)
        }
    }

    function _set(bytes32 slot, address value) private {
        assembly {
            sstore(slot, value)
        }
    }

    function pendingAdmin() public view returns (address) {
        return _get(PENDING_SLOT);
    }

    function admin() public view returns (address) {
        return _get(ADMIN_SLOT);
    }

    function implementation() public view returns (address) {
        return _get(IMPL_SLOT);
    }

    constructor(address impl, bytes memory init) {
        _set(ADMIN_SLOT, msg.sender);
        _set(IMPL_SLOT, impl);
        (bool ok, ) = impl.delegatecall(init);
        require(ok, "init failed");
    }

    function proposeNewAdmin(address next) external {
        _set(PENDING_SLOT, next);
    }

    function approveNewAdmin(address expected) external {
        require(msg.sender == admin(), "only admin");
        require(pendingAdmin() == expected, "unexpected admin");
        _set(ADMIN_SLOT, expected);
    }

    function upgradeTo(address impl) external {
        require(msg.sender == admin(), "only admin");
        _set(IMPL_SLOT, impl);
    }

    fallback() external payable {
        (bool ok, bytes memory ret) = implementation().delegatecall(msg.data);
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
