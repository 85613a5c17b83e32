// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

import {BlobData} from "../../src/common/BlobData.sol";
import {DataSource} from "../../src/optimistic/DataSource.sol";

import {Portal} from "../../src/optimistic/Portal.sol";
import {Rollup} from "../../src/optimistic/Rollup.sol";
import {StateCommitment} from "../../src/optimistic/StateCommitment.sol";

/// @notice ERC-20 that burns `feeBps` of every transfer, so the receiver gets less than `amount`.
contract FeeOnTransferToken is ERC20 {
    uint256 public immutable feeBps;

    constructor(uint256 feeBps_) ERC20("Fee Token", "FEE") {
        feeBps = feeBps_;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0) && to != address(0)) {
            uint256 fee = value * feeBps / 10_000;
            super._update(from, address(0), fee);
            value -= fee;
        }
        super._update(from, to, value);
    }
}

/// @notice ERC-20 whose balances all shrink when `rebase(bps)` is called (a negative rebase, as some staking
///         tokens do after a slashing): every balance is scaled by `(10,000 − bps) / 10,000`.
contract RebasingToken is ERC20 {
    uint256 public scale = 1e18;

    constructor() ERC20("Rebasing Token", "REB") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount * 1e18 / scale);
    }

    function rebase(uint256 bps) external {
        scale = scale * (10_000 - bps) / 10_000;
    }

    function balanceOf(address account) public view override returns (uint256) {
        return super.balanceOf(account) * scale / 1e18;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value * 1e18 / scale);
    }
}

/// @notice ERC-20 that charges its sender a fee of `feeBps` on top of every transfer (the receiver gets `amount`,
///         the sender loses `amount + fee`).
contract FeeOnTopToken is ERC20 {
    uint256 public immutable feeBps;

    constructor(uint256 feeBps_) ERC20("Fee On Top", "FOT") {
        feeBps = feeBps_;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0) && to != address(0)) super._update(from, address(0), value * feeBps / 10_000);
        super._update(from, to, value);
    }
}

/// @notice ERC-20 that refuses transfers to blocklisted accounts (as USDC and USDT do).
contract BlocklistToken is ERC20 {
    mapping(address => bool) public blocked;

    constructor() ERC20("Blocklist Token", "BLK") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function block_(address account) external {
        blocked[account] = true;
    }

    function _update(address from, address to, uint256 value) internal override {
        require(!blocked[to], "blocklisted");
        super._update(from, to, value);
    }
}

/// @notice Bare token without `name`, `symbol` or `decimals`; transfers move balances, nothing else.
contract BareToken {
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        return true;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        balanceOf[msg.sender] -= amount;
        balanceOf[to] += amount;
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        allowance[from][msg.sender] -= amount;
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
        return true;
    }
}

/// @notice Old-style token whose `name`/`symbol` return `bytes32` (like MKR) and whose `decimals` is out of range.
contract Bytes32MetadataToken is BareToken {
    function name() external pure returns (bytes32) {
        return "Maker";
    }

    function symbol() external pure returns (bytes32) {
        return "MKR";
    }

    function decimals() external pure returns (uint256) {
        return 300;
    }
}

/// @notice Token whose metadata getters return malformed ABI data (an offset pointing past the end).
contract MalformedMetadataToken is BareToken {
    function name() external pure returns (string memory) {
        assembly {
            mstore(0x00, 0xffff)
            mstore(0x20, 5)
            return(0x00, 0x40)
        }
    }

    function symbol() external pure returns (string memory) {
        revert("no symbol");
    }
}

/// @notice A token that reports success but never moves a balance.
contract LyingToken {
    function balanceOf(address) external pure returns (uint256) {
        return 1;
    }

    function transferFrom(address, address, uint256) external pure returns (bool) {
        return true;
    }
}

/// @notice Rollup stand-in whose finalized state roots the test sets directly (a malicious one, if it likes).
contract MockRollup {
    error ProposalNotFinalized(uint256 proposalIndex);

    mapping(uint256 => bytes32) public roots;

    function setFinalizedStateRoot(uint256 proposalIndex, bytes32 stateRoot) external {
        roots[proposalIndex] = stateRoot;
    }

    function finalizedStateRoot(uint256 proposalIndex) external view returns (bytes32 root) {
        root = roots[proposalIndex];
        if (root == bytes32(0)) revert ProposalNotFinalized(proposalIndex);
    }
}

/// @dev The inclusion window of every `RollupHarness` (tests of other windows deploy a `Rollup`).
uint256 constant HARNESS_INCLUSION_WINDOW = 1 days;

/// @notice Exposes the fraud-proof hook so tests can delete proposals. Its inclusion window is
///         `HARNESS_INCLUSION_WINDOW`.
contract RollupHarness is Rollup {
    constructor(
        address portal_,
        address batcher_,
        uint256 window,
        uint256 bond,
        uint256 challengeBond_,
        StateCommitment.StateHeader memory genesis,
        uint256 chainId,
        uint256 baseFee
    ) Rollup(portal_, batcher_, window, bond, challengeBond_, genesis, chainId, baseFee, HARNESS_INCLUSION_WINDOW) {}

    /// @dev As if a challenge had won against `proposalIndex` (without the slashing).
    function deleteFrom(uint256 proposalIndex) external {
        _deleteFrom(proposalIndex);
    }

    /// @dev The step count challenge kind 2 computes for batch `batchIndex` (no bond, no proposal needed).
    function provenStepCount(
        uint256 batchIndex,
        uint64 preBlockNumber,
        DataSource.DataProof calldata proof,
        BlobData.RangeProof calldata lastRowRange
    ) external view returns (uint64) {
        return _provenStepCount(batchIndex, preBlockNumber, proof, lastRowRange);
    }
}

/// @notice Refuses ETH.
contract EthRejecter {
    receive() external payable {
        revert("no ETH");
    }

    function propose(
        Rollup rollup,
        uint256 batchIndex,
        bytes32 dataHash,
        StateCommitment.StateHeader calldata end,
        bytes calldata trace
    ) external payable {
        rollup.proposeCalldata{value: msg.value}(batchIndex, dataHash, end, trace);
    }

    function challengeStepCount(
        Rollup rollup,
        uint256 proposalIndex,
        StateCommitment.StateHeader calldata parent,
        DataSource.DataProof calldata proof
    ) external payable {
        BlobData.RangeProof memory none;
        rollup.challengeStepCount{value: msg.value}(proposalIndex, parent, proof, none);
    }

    function withdrawPayout(Rollup rollup) external {
        rollup.withdrawPayout();
    }
}

/// @notice On receiving ETH, tries to finalize another withdrawal in the same call (reentrancy).
contract ReentrantRecipient {
    Portal public portal;
    uint256 public proposalIndex;
    Portal.Withdrawal public next;
    bytes32 public accountsRoot;
    bytes32[32] public siblings;
    bool public armed;

    function arm(
        Portal portal_,
        uint256 proposalIndex_,
        Portal.Withdrawal calldata next_,
        bytes32 accountsRoot_,
        bytes32[32] calldata siblings_
    ) external {
        portal = portal_;
        proposalIndex = proposalIndex_;
        next = next_;
        accountsRoot = accountsRoot_;
        siblings = siblings_;
        armed = true;
    }

    bytes public reentryError;

    /// @dev Accepts the payment; records why the nested finalization failed.
    receive() external payable {
        if (!armed) return;
        armed = false;
        try portal.finalizeWithdrawal(proposalIndex, next, accountsRoot, siblings) {}
        catch (bytes memory reason) {
            reentryError = reason;
        }
    }
}
