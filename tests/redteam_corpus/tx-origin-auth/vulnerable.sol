// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// A personal wallet: its owner sends ether out of it.
contract OwnerWallet {
    address public owner;

    constructor(address owner_) {
        owner = owner_;
    }

    receive() external payable {}

    function pay(address payable to, uint256 amount) external {
        require(tx.origin == owner, "not the owner");
        (bool ok, ) = to.call{value: amount}("");
        require(ok, "transfer failed");
    }
}

interface IClaim {
    function claim() external;
}

/// A board of airdrops: anyone lists a claim contract, and holders claim all listed drops at once.
contract AirdropBoard {
    address[] public drops;

    function list(address drop) external {
        require(drops.length < 20, "board full");
        drops.push(drop);
    }

    function claimAll() external {
        for (uint256 i = 0; i < drops.length; i++) {
            if (drops[i].code.length > 0) {
                try IClaim(drops[i]).claim() {} catch {}
            }
        }
    }
}
