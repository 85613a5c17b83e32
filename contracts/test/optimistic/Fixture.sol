// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {DevToken} from "../../src/common/DevToken.sol";
import {Portal} from "../../src/optimistic/Portal.sol";
import {StateCommitment} from "../../src/optimistic/StateCommitment.sol";
import {ChallengeCommit} from "../utils/ChallengeCommit.sol";
import {MerkleTree} from "../utils/MerkleTree.sol";
import {HARNESS_INCLUSION_WINDOW, RollupHarness} from "../utils/Mocks.sol";
import {Test} from "../utils/Test.sol";

/// @notice Deployed Portal + Rollup (with the deletion hook exposed) + a dev token, and helpers that build
///         withdrawal trees, propose states holding them (calldata traces) and let them finalize.
abstract contract OptimisticFixture is Test {
    uint256 internal constant WINDOW = 1 hours;
    uint256 internal constant BOND = 1 ether;
    uint256 internal constant CHALLENGE_BOND = 0.25 ether;
    uint256 internal constant L2_CHAIN_ID = 901;
    uint256 internal constant L2_BASE_FEE = 1 gwei;
    uint256 internal constant INCLUSION_WINDOW = HARNESS_INCLUSION_WINDOW;
    bytes32 internal constant ACCOUNTS_ROOT = keccak256("accounts root");

    Portal internal portal;
    RollupHarness internal rollup;
    DevToken internal token;

    address internal deployer = makeAddr("deployer");
    address internal batcher = makeAddr("batcher");
    address internal proposer = makeAddr("proposer");
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        vm.roll(100);
        address[] memory holders = new address[](2);
        holders[0] = alice;
        holders[1] = bob;
        vm.startPrank(deployer);
        portal = new Portal();
        rollup = new RollupHarness(
            address(portal), batcher, WINDOW, BOND, CHALLENGE_BOND, genesisHeader(), L2_CHAIN_ID, L2_BASE_FEE
        );
        portal.initialize(address(rollup));
        token = new DevToken("Dev Token", "DEV", 18, holders, 1_000_000 ether);
        vm.stopPrank();
        vm.deal(alice, 1_000 ether);
        vm.deal(bob, 1_000 ether);
        vm.deal(proposer, 100 ether);
    }

    /// @dev A genesis header (fee vault account, address tree with one leaf; the roots are stand-ins).
    function genesisHeader() internal pure returns (StateCommitment.StateHeader memory) {
        return StateCommitment.StateHeader({
            accountsRoot: keccak256("genesis accounts"),
            withdrawalsRoot: keccak256("genesis withdrawals"),
            addressesRoot: keccak256("genesis addresses"),
            accountCount: 1,
            withdrawalCount: 0,
            depositCount: 0,
            blockNumber: 0,
            tokenCount: 0
        });
    }

    /// @dev A header with the given roots at L2 block `blockNumber` (other fields stand-ins).
    function header(bytes32 accountsRoot, bytes32 withdrawalsRoot, uint64 blockNumber)
        internal
        pure
        returns (StateCommitment.StateHeader memory)
    {
        return StateCommitment.StateHeader({
            accountsRoot: accountsRoot,
            withdrawalsRoot: withdrawalsRoot,
            addressesRoot: keccak256("addresses"),
            accountCount: 3,
            withdrawalCount: 1,
            depositCount: 0,
            blockNumber: blockNumber,
            tokenCount: 1
        });
    }

    /// @dev Waits out the reward hold of the challenge that slashed proposal `p` and credits the reward.
    function claimReward(uint256 p) internal {
        vm.roll(block.number + rollup.REWARD_DELAY_BLOCKS());
        rollup.claimChallengeReward(p);
    }

    /// @dev Commits to challenge `call` as `who` and moves to the next block (see `ChallengeCommit`).
    function commitAs(address who, bytes memory call) internal {
        ChallengeCommit.commitAs(rollup, who, call);
    }

    function commitment(StateCommitment.StateHeader memory h) internal pure returns (bytes32) {
        return StateCommitment.commitment(h);
    }

    function withdrawalHash(Portal.Withdrawal memory w) internal pure returns (bytes32) {
        return keccak256(abi.encode(w.index, w.sender, w.recipient, w.l1Token, w.amount));
    }

    function stateRootOf(Portal.Withdrawal[] memory ws) internal pure returns (bytes32) {
        return StateCommitment.stateRoot(headerOf(ws, 1));
    }

    /// @dev A state at L2 block `blockNumber` whose withdrawals tree holds `ws`.
    function headerOf(Portal.Withdrawal[] memory ws, uint64 blockNumber)
        internal
        pure
        returns (StateCommitment.StateHeader memory)
    {
        (uint256[] memory indices, bytes32[] memory leaves) = leavesOf(ws);
        return header(ACCOUNTS_ROOT, MerkleTree.root(32, indices, leaves), blockNumber);
    }

    function proofOf(Portal.Withdrawal[] memory ws, uint256 k) internal pure returns (bytes32[32] memory) {
        (uint256[] memory indices, bytes32[] memory leaves) = leavesOf(ws);
        return MerkleTree.proof32(ws[k].index, indices, leaves);
    }

    function leavesOf(Portal.Withdrawal[] memory ws)
        internal
        pure
        returns (uint256[] memory indices, bytes32[] memory leaves)
    {
        indices = new uint256[](ws.length);
        leaves = new bytes32[](ws.length);
        for (uint256 k = 0; k < ws.length; k++) {
            indices[k] = ws[k].index;
            leaves[k] = withdrawalHash(ws[k]);
        }
    }

    function appendCalldataBatch() internal returns (uint256 batchIndex) {
        uint64 deposits = uint64(portal.depositCount());
        vm.prank(batcher);
        return rollup.appendBatchCalldata(1, 1, deposits, hex"01");
    }

    /// @dev Proposes `end` for the next batch (appended if it does not exist yet) with the one-step calldata trace
    ///      [parent, commitment(end)]; returns the proposal index.
    function proposeHeader(StateCommitment.StateHeader memory end) internal returns (uint256 proposalIndex) {
        (uint256 batchIndex, bytes32 parent) = rollup.nextProposalParent();
        while (rollup.batchCount() <= batchIndex) appendCalldataBatch();
        bytes32 dataHash = rollup.getBatch(batchIndex).dataHash;
        vm.prank(proposer);
        return rollup.proposeCalldata{value: BOND}(
            batchIndex, dataHash, end, abi.encodePacked(parent, StateCommitment.commitment(end))
        );
    }

    /// @dev Proposes a state holding withdrawals `ws` (see `headerOf`) after the next batch.
    function proposeWithdrawals(Portal.Withdrawal[] memory ws) internal returns (uint256 proposalIndex) {
        return proposeHeader(headerOf(ws, 1));
    }

    function passWindow() internal {
        vm.warp(block.timestamp + WINDOW);
    }

    function ethWithdrawal(uint256 index, address recipient, uint256 amount)
        internal
        view
        returns (Portal.Withdrawal memory)
    {
        return
            Portal.Withdrawal({index: index, sender: alice, recipient: recipient, l1Token: address(0), amount: amount});
    }
}
