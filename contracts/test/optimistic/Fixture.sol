// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {DevToken} from "../../src/common/DevToken.sol";
import {Portal} from "../../src/optimistic/Portal.sol";
import {MerkleTree} from "../utils/MerkleTree.sol";
import {RollupHarness} from "../utils/Mocks.sol";
import {Test} from "../utils/Test.sol";

/// @notice Deployed Portal + Rollup (with the deletion hook exposed) + a dev token, and helpers that build
///         withdrawal trees, propose their state roots and let them finalize.
abstract contract OptimisticFixture is Test {
    uint256 internal constant WINDOW = 1 hours;
    uint256 internal constant BOND = 1 ether;
    bytes32 internal constant GENESIS = keccak256("genesis");
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
        rollup = new RollupHarness(address(portal), batcher, WINDOW, BOND, GENESIS);
        portal.initialize(address(rollup));
        token = new DevToken("Dev Token", "DEV", 18, holders, 1_000_000 ether);
        vm.stopPrank();
        vm.deal(alice, 1_000 ether);
        vm.deal(bob, 1_000 ether);
        vm.deal(proposer, 100 ether);
    }

    function withdrawalHash(Portal.Withdrawal memory w) internal pure returns (bytes32) {
        return keccak256(abi.encode(w.index, w.sender, w.recipient, w.l1Token, w.amount));
    }

    function stateRootOf(Portal.Withdrawal[] memory ws) internal pure returns (bytes32) {
        (uint256[] memory indices, bytes32[] memory leaves) = leavesOf(ws);
        return keccak256(abi.encodePacked(ACCOUNTS_ROOT, MerkleTree.root(32, indices, leaves)));
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

    /// @dev Appends a batch and proposes `stateRoot` after it; returns the proposal index.
    function proposeRoot(bytes32 stateRoot) internal returns (uint256 proposalIndex) {
        uint256 batchIndex = appendCalldataBatch();
        vm.prank(proposer);
        return rollup.propose{value: BOND}(batchIndex, stateRoot, 1);
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
