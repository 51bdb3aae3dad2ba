// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Pays ether vouchers: each campaign has a signer, and a voucher signed by it pays once.
contract VoucherDesk {
    address public immutable owner = msg.sender;
    mapping(bytes32 => address) public signerOf;
    mapping(bytes32 => bool) public used;

    receive() external payable {}

    function addCampaign(bytes32 campaign, address signer) external {
        require(msg.sender == owner, "only owner");
        signerOf[campaign] = signer;
    }

    function voucherHash(bytes32 campaign, address to, uint256 amount, uint256 serial) public view returns (bytes32) {
        return keccak256(abi.encode(block.chainid, address(this), campaign, to, amount, serial));
    }

    function redeem(
        bytes32 campaign,
        address payable to,
        uint256 amount,
        uint256 serial,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external {
        bytes32 digest = voucherHash(campaign, to, amount, serial);
        require(!used[digest], "voucher used");
        bytes32 signed = keccak256(abi.encodePacked("\x19Ethereum Signed Message:\n32", digest));
        require(ecrecover(signed, v, r, s) == signerOf[campaign], "bad signature");
        used[digest] = true;
        (bool ok, ) = to.call{value: amount}("");
        require(ok, "transfer failed");
    }
}
