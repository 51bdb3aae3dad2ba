// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// An ether vault whose depositors authorise withdrawals to others by signature.
/// Several vaults are deployed from this code (one per product line).
contract PermitVault {
    mapping(address => uint256) public balances;
    mapping(address => uint256) public nonces;

    function deposit() external payable {
        balances[msg.sender] += msg.value;
    }

    function permitHash(address from, address to, uint256 amount, uint256 nonce) public pure returns (bytes32) {
        return keccak256(abi.encode(from, to, amount, nonce));
    }

    function withdrawWithPermit(
        address from,
        address payable to,
        uint256 amount,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external {
        bytes32 digest = keccak256(
            abi.encodePacked("\x19Ethereum Signed Message:\n32", permitHash(from, to, amount, nonces[from]))
        );
        address signer = ecrecover(digest, v, r, s);
        require(signer != address(0) && signer == from, "bad signature");
        require(balances[from] >= amount, "insufficient balance");
        nonces[from] += 1;
        balances[from] -= amount;
        (bool ok, ) = to.call{value: amount}("");
        require(ok, "transfer failed");
    }
}
