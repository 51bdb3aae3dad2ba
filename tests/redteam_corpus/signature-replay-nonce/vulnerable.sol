// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// A wallet of internal balances with gasless transfers: the holder signs a transfer off chain and
/// anyone can relay it.
contract RelayWallet {
    mapping(address => uint256) public balances;

    function deposit() external payable {
        balances[msg.sender] += msg.value;
    }

    function withdraw(uint256 amount) external {
        require(balances[msg.sender] >= amount, "insufficient balance");
        balances[msg.sender] -= amount;
        (bool ok, ) = msg.sender.call{value: amount}("");
        require(ok, "transfer failed");
    }

    function transferHash(address from, address to, uint256 amount) public view returns (bytes32) {
        return keccak256(abi.encodePacked(from, to, amount));
    }

    function relayTransfer(address from, address to, uint256 amount, uint8 v, bytes32 r, bytes32 s) external {
        bytes32 digest = keccak256(
            abi.encodePacked("\x19Ethereum Signed Message:\n32", transferHash(from, to, amount))
        );
        address signer = ecrecover(digest, v, r, s);
        require(signer != address(0) && signer == from, "bad signature");
        require(balances[from] >= amount, "insufficient balance");
        balances[from] -= amount;
        balances[to] += amount;
    }
}
