// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// An ether staking pool issuing shares; sharePrice() is read by other protocols.
contract StakePool {
    uint256 public reserve;
    uint256 public totalShares;
    mapping(address => uint256) public shares;
    bool private locked;

    modifier nonReentrant() {
        require(!locked, "reentrant call");
        locked = true;
        _;
        locked = false;
    }

    function stake() external payable nonReentrant {
        uint256 minted = totalShares == 0 ? msg.value : (msg.value * totalShares) / reserve;
        shares[msg.sender] += minted;
        totalShares += minted;
        reserve += msg.value;
    }

    function unstake(uint256 amount) external nonReentrant {
        require(shares[msg.sender] >= amount, "not enough shares");
        uint256 out = (amount * reserve) / totalShares;
        shares[msg.sender] -= amount;
        totalShares -= amount;
        (bool ok, ) = msg.sender.call{value: out}("");
        require(ok, "transfer failed");
        reserve -= out;
    }

    function transferShares(address to, uint256 amount) external nonReentrant {
        require(shares[msg.sender] >= amount, "not enough shares");
        shares[msg.sender] -= amount;
        shares[to] += amount;
    }

    /// Wei per share, scaled by 1e18.
    function sharePrice() external view returns (uint256) {
        return totalShares == 0 ? 1e18 : (reserve * 1e18) / totalShares;
    }
}

/// Lends ether against pool shares held as collateral, at 80% of their value.
/// Borrowers first move shares to the lender with transferShares, then call depositCollateral.
contract ShareLender {
    StakePool public immutable pool;
    uint256 public totalCollateral;
    mapping(address => uint256) public collateral;
    mapping(address => uint256) public debt;

    constructor(StakePool pool_) {
        pool = pool_;
    }

    receive() external payable {}

    function depositCollateral(uint256 amount) external {
        require(pool.shares(address(this)) >= totalCollateral + amount, "shares not received");
        totalCollateral += amount;
        collateral[msg.sender] += amount;
    }

    function borrow(uint256 amount) external {
        uint256 limit = (collateral[msg.sender] * pool.sharePrice() * 80) / 100 / 1e18;
        require(debt[msg.sender] + amount <= limit, "undercollateralized");
        debt[msg.sender] += amount;
        (bool ok, ) = msg.sender.call{value: amount}("");
        require(ok, "transfer failed");
    }

    function repay() external payable {
        debt[msg.sender] -= msg.value;
    }
}
