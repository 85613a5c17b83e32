// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Portal} from "../../src/optimistic/Portal.sol";
import {Rollup} from "../../src/optimistic/Rollup.sol";
import {EthRejecter, RollupHarness} from "../utils/Mocks.sol";
import {OptimisticFixture} from "./Fixture.sol";

contract RollupTest is OptimisticFixture {
    event BatchAppended(
        uint256 indexed batchIndex,
        uint64 firstL2Block,
        uint32 l2BlockCount,
        uint64 depositCountAfter,
        bool isBlob,
        bytes32 dataHash,
        bytes32[] blobHashes
    );
    event StateRootProposed(
        uint256 indexed proposalIndex,
        uint256 indexed batchIndex,
        bytes32 stateRoot,
        uint64 l2BlockNumber,
        address indexed proposer
    );
    event ProposalsDeleted(uint256 indexed fromProposalIndex, uint256 toProposalIndex);
    event BondClaimed(uint256 indexed proposalIndex, address indexed proposer, uint256 amount);

    function deposit(uint256 count) internal {
        for (uint256 i = 0; i < count; i++) {
            vm.prank(alice);
            portal.depositETH{value: 1}(alice);
        }
    }

    function versionedHashes(uint256 count) internal pure returns (bytes32[] memory hashes) {
        hashes = new bytes32[](count);
        for (uint256 i = 0; i < count; i++) {
            hashes[i] = bytes32((uint256(0x01) << 248) | uint256(keccak256(abi.encode("blob", i))) >> 8);
        }
    }

    function propose(uint256 batchIndex, bytes32 stateRoot) internal returns (uint256) {
        vm.prank(proposer);
        return rollup.propose{value: BOND}(batchIndex, stateRoot, 1);
    }

    function appendBatches(uint256 count) internal {
        for (uint256 i = 0; i < count; i++) {
            appendCalldataBatch();
        }
    }

    // ------------------------------------------------------------ constructor

    function test_constructorStoresItsParameters() public view {
        assertEq(address(rollup.portal()), address(portal));
        assertEq(rollup.batcher(), batcher);
        assertEq(rollup.challengeWindow(), WINDOW);
        assertEq(rollup.proposalBond(), BOND);
        assertEq(rollup.genesisStateRoot(), GENESIS);
        assertEq(rollup.batchCount(), 0);
        assertEq(rollup.proposalCount(), 0);
    }

    function test_constructorRejectsZeroAddressesAndHugeBonds() public {
        vm.expectRevert(Rollup.ZeroAddress.selector);
        new Rollup(address(0), batcher, WINDOW, BOND, GENESIS);
        vm.expectRevert(Rollup.ZeroAddress.selector);
        new Rollup(address(portal), address(0), WINDOW, BOND, GENESIS);
        uint256 huge = uint256(type(uint128).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(Rollup.BondTooLarge.selector, huge));
        new Rollup(address(portal), batcher, WINDOW, huge, GENESIS);
    }

    // ----------------------------------------------------------- blob batches

    function test_appendBatchRecordsTheBlobVersionedHashes() public {
        deposit(3);
        bytes32[] memory hashes = versionedHashes(2);
        vm.blobhashes(hashes);
        bytes32 dataHash = keccak256(abi.encodePacked(hashes[0], hashes[1]));

        vm.expectEmit(address(rollup));
        emit BatchAppended(0, 1, 10, 3, true, dataHash, hashes);
        vm.prank(batcher);
        uint256 index = rollup.appendBatch(1, 10, 3, 2);

        assertEq(index, 0);
        assertEq(rollup.batchCount(), 1);
        Rollup.Batch memory batch = rollup.getBatch(0);
        assertEq(batch.dataHash, dataHash);
        assertEq(batch.firstL2Block, 1);
        assertEq(batch.l2BlockCount, 10);
        assertEq(batch.depositCountAfter, 3);
        assertTrue(batch.isBlob);
        assertEq(batch.l1Block, block.number);
        assertEq(batch.appendedAt, block.timestamp);
    }

    function test_appendBatchAcceptsSixBlobsAndUsesOnlyTheDeclaredOnes() public {
        bytes32[] memory hashes = versionedHashes(6);
        vm.blobhashes(hashes);
        vm.prank(batcher);
        rollup.appendBatch(1, 1, 0, 6);
        assertEq(rollup.getBatch(0).dataHash, keccak256(abi.encodePacked(hashes)));

        bytes32[] memory first = new bytes32[](1);
        first[0] = hashes[0];
        vm.prank(batcher);
        rollup.appendBatch(2, 1, 0, 1);
        assertEq(rollup.getBatch(1).dataHash, keccak256(abi.encodePacked(first)));
    }

    function test_appendBatchRevertPaths() public {
        vm.blobhashes(versionedHashes(1));

        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotBatcher.selector, alice));
        rollup.appendBatch(1, 1, 0, 1);

        vm.startPrank(batcher);
        vm.expectRevert(abi.encodeWithSelector(Rollup.InvalidBlobCount.selector, 0));
        rollup.appendBatch(1, 1, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(Rollup.InvalidBlobCount.selector, 7));
        rollup.appendBatch(1, 1, 0, 7);
        vm.expectRevert(abi.encodeWithSelector(Rollup.MissingBlob.selector, 1));
        rollup.appendBatch(1, 1, 0, 2);
        vm.expectRevert(Rollup.EmptyBatch.selector);
        rollup.appendBatch(1, 0, 0, 1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.DepositCountTooHigh.selector, 1, 0));
        rollup.appendBatch(1, 1, 1, 1);
        vm.stopPrank();

        vm.blobhashes(new bytes32[](0));
        vm.prank(batcher);
        vm.expectRevert(abi.encodeWithSelector(Rollup.MissingBlob.selector, 0));
        rollup.appendBatch(1, 1, 0, 1);
    }

    // ------------------------------------------------------- calldata batches

    function test_appendBatchCalldataHashesTheData() public {
        deposit(2);
        bytes memory data = hex"01deadbeef";
        vm.expectEmit(address(rollup));
        emit BatchAppended(0, 5, 2, 2, false, keccak256(data), new bytes32[](0));
        vm.prank(batcher);
        assertEq(rollup.appendBatchCalldata(5, 2, 2, data), 0);

        Rollup.Batch memory batch = rollup.getBatch(0);
        assertEq(batch.dataHash, keccak256(data));
        assertFalse(batch.isBlob);
        assertEq(batch.depositCountAfter, 2);
    }

    function test_appendBatchCalldataRevertPaths() public {
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotBatcher.selector, bob));
        rollup.appendBatchCalldata(1, 1, 0, hex"01");

        vm.startPrank(batcher);
        vm.expectRevert(Rollup.EmptyBatchData.selector);
        rollup.appendBatchCalldata(1, 1, 0, "");
        vm.expectRevert(Rollup.EmptyBatch.selector);
        rollup.appendBatchCalldata(1, 0, 0, hex"01");
        vm.expectRevert(abi.encodeWithSelector(Rollup.DepositCountTooHigh.selector, 5, 0));
        rollup.appendBatchCalldata(1, 1, 5, hex"01");
        vm.stopPrank();
    }

    function testFuzz_depositCountAfterIsBoundedByThePortal(uint8 deposits, uint64 claimed) public {
        deposits = uint8(bound(deposits, 0, 20));
        deposit(deposits);
        vm.prank(batcher);
        if (claimed > deposits) {
            vm.expectRevert(abi.encodeWithSelector(Rollup.DepositCountTooHigh.selector, claimed, uint256(deposits)));
        }
        rollup.appendBatchCalldata(1, 1, claimed, hex"01");
    }

    function test_getBatchRevertsForUnknownIndices() public {
        vm.expectRevert(abi.encodeWithSelector(Rollup.UnknownBatch.selector, 0));
        rollup.getBatch(0);
    }

    // -------------------------------------------------------------- proposals

    function test_proposeRecordsTheProposal() public {
        appendBatches(2);
        bytes32 root = keccak256("root");
        vm.expectEmit(address(rollup));
        emit StateRootProposed(0, 1, root, 42, proposer);
        vm.prank(proposer);
        uint256 index = rollup.propose{value: BOND}(1, root, 42);

        assertEq(index, 0);
        assertEq(rollup.proposalCount(), 1);
        assertEq(address(rollup).balance, BOND);
        Rollup.Proposal memory p = rollup.getProposal(0);
        assertEq(p.stateRoot, root);
        assertEq(p.batchIndex, 1);
        assertEq(p.l2BlockNumber, 42);
        assertEq(p.proposer, proposer);
        assertEq(p.proposedAt, block.timestamp);
        assertEq(p.bond, BOND);
        assertFalse(p.deleted);
        assertFalse(p.bondClaimed);
        (bool exists, uint256 last) = rollup.lastLiveProposal();
        assertTrue(exists);
        assertEq(last, 0);
    }

    function test_proposeRevertPaths() public {
        appendBatches(2);
        vm.startPrank(proposer);
        vm.expectRevert(abi.encodeWithSelector(Rollup.IncorrectBond.selector, BOND - 1, BOND));
        rollup.propose{value: BOND - 1}(0, keccak256("r"), 1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.IncorrectBond.selector, BOND + 1, BOND));
        rollup.propose{value: BOND + 1}(0, keccak256("r"), 1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.UnknownBatch.selector, 2));
        rollup.propose{value: BOND}(2, keccak256("r"), 1);
        vm.expectRevert(Rollup.ZeroStateRoot.selector);
        rollup.propose{value: BOND}(0, bytes32(0), 1);

        rollup.propose{value: BOND}(1, keccak256("r"), 1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.BatchIndexNotIncreasing.selector, 1, 1));
        rollup.propose{value: BOND}(1, keccak256("r"), 1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.BatchIndexNotIncreasing.selector, 0, 1));
        rollup.propose{value: BOND}(0, keccak256("r"), 1);
        vm.stopPrank();
    }

    function test_getProposalRevertsForUnknownIndices() public {
        vm.expectRevert(abi.encodeWithSelector(Rollup.UnknownProposal.selector, 0));
        rollup.getProposal(0);
    }

    function test_aProposalFinalizesExactlyWhenTheWindowEnds() public {
        appendBatches(1);
        uint256 p = propose(0, keccak256("root"));
        uint256 proposedAt = block.timestamp;

        assertFalse(rollup.isFinalized(p));
        vm.expectRevert(abi.encodeWithSelector(Rollup.ProposalNotFinalized.selector, p));
        rollup.finalizedStateRoot(p);
        (bool exists,) = rollup.latestFinalizedProposal();
        assertFalse(exists);

        vm.warp(proposedAt + WINDOW - 1);
        assertFalse(rollup.isFinalized(p));
        vm.warp(proposedAt + WINDOW);
        assertTrue(rollup.isFinalized(p));
        assertEq(rollup.finalizedStateRoot(p), keccak256("root"));
        uint256 latest;
        (exists, latest) = rollup.latestFinalizedProposal();
        assertTrue(exists);
        assertEq(latest, p);

        assertFalse(rollup.isFinalized(p + 1), "unknown proposals are not final");
    }

    function test_latestFinalizedProposalSkipsThoseStillInTheirWindow() public {
        appendBatches(3);
        propose(0, keccak256("a"));
        vm.warp(block.timestamp + WINDOW / 2);
        propose(1, keccak256("b"));
        vm.warp(block.timestamp + WINDOW / 2);
        propose(2, keccak256("c"));
        (bool exists, uint256 latest) = rollup.latestFinalizedProposal();
        assertTrue(exists);
        assertEq(latest, 0);
        vm.warp(block.timestamp + WINDOW / 2);
        (, latest) = rollup.latestFinalizedProposal();
        assertEq(latest, 1);
    }

    // ------------------------------------------------------------------ bonds

    function test_claimBondPaysTheProposerOnceAfterFinalization() public {
        appendBatches(1);
        uint256 p = propose(0, keccak256("root"));
        vm.expectRevert(abi.encodeWithSelector(Rollup.ProposalNotFinalized.selector, p));
        rollup.claimBond(p);

        passWindow();
        uint256 before = proposer.balance;
        vm.expectEmit(address(rollup));
        emit BondClaimed(p, proposer, BOND);
        vm.prank(bob); // anyone may trigger it; the proposer is paid
        rollup.claimBond(p);
        assertEq(proposer.balance, before + BOND);
        assertTrue(rollup.getProposal(p).bondClaimed);
        assertEq(address(rollup).balance, 0);

        vm.expectRevert(abi.encodeWithSelector(Rollup.BondAlreadyClaimed.selector, p));
        rollup.claimBond(p);
    }

    function test_claimBondRevertsWhenTheProposerRefusesETH() public {
        appendBatches(1);
        EthRejecter rejecter = new EthRejecter();
        rejecter.propose{value: BOND}(rollup, 0, keccak256("root"));
        passWindow();
        vm.expectRevert(abi.encodeWithSelector(Rollup.BondTransferFailed.selector, address(rejecter), BOND));
        rollup.claimBond(0);
        assertFalse(rollup.getProposal(0).bondClaimed);
    }

    function test_claimBondRevertsForDeletedAndUnknownProposals() public {
        appendBatches(1);
        uint256 p = propose(0, keccak256("root"));
        rollup.deleteFrom(p);
        passWindow();
        vm.expectRevert(abi.encodeWithSelector(Rollup.ProposalNotFinalized.selector, p));
        rollup.claimBond(p);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ProposalNotFinalized.selector, 9));
        rollup.claimBond(9);
    }

    // -------------------------------------------------------- deletion (hook)

    function test_deleteFromDeletesTheSuffixAndReopensItsBatches() public {
        appendBatches(5);
        propose(0, keccak256("p0"));
        propose(2, keccak256("p1"));
        propose(3, keccak256("p2"));

        vm.expectEmit(address(rollup));
        emit ProposalsDeleted(1, 3);
        rollup.deleteFrom(1);

        assertFalse(rollup.getProposal(0).deleted);
        assertTrue(rollup.getProposal(1).deleted);
        assertTrue(rollup.getProposal(2).deleted);
        (bool exists, uint256 last) = rollup.lastLiveProposal();
        assertTrue(exists);
        assertEq(last, 0);

        // the next proposal follows proposal 0 again, so batch 1 is open
        uint256 p3 = propose(1, keccak256("p3"));
        assertEq(p3, 3);
        uint256 p4 = propose(4, keccak256("p4"));

        // deleting p4 goes back to p3; deleting p3 goes back to p0 (skipping the deleted 1 and 2)
        rollup.deleteFrom(p4);
        (, last) = rollup.lastLiveProposal();
        assertEq(last, p3);
        rollup.deleteFrom(p3);
        (, last) = rollup.lastLiveProposal();
        assertEq(last, 0);

        passWindow();
        assertTrue(rollup.isFinalized(0));
        for (uint256 i = 1; i <= 4; i++) {
            assertFalse(rollup.isFinalized(i), "deleted proposals never finalize");
        }
    }

    function test_deleteFromTheFirstProposalLeavesNoLiveProposal() public {
        appendBatches(2);
        propose(0, keccak256("p0"));
        propose(1, keccak256("p1"));
        rollup.deleteFrom(0);
        (bool exists,) = rollup.lastLiveProposal();
        assertFalse(exists);
        propose(0, keccak256("again"));
    }

    function test_deleteFromRevertPaths() public {
        appendBatches(2);
        propose(0, keccak256("p0"));
        propose(1, keccak256("p1"));

        vm.expectRevert(abi.encodeWithSelector(Rollup.UnknownProposal.selector, 2));
        rollup.deleteFrom(2);

        rollup.deleteFrom(1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ProposalAlreadyDeleted.selector, 1));
        rollup.deleteFrom(1);

        passWindow();
        vm.expectRevert(abi.encodeWithSelector(Rollup.ProposalAlreadyFinal.selector, 0));
        rollup.deleteFrom(0);
    }

    /// Random propose/delete sequences against a model that scans for the newest undeleted proposal.
    function testFuzz_deletionKeepsTheLiveChainConsistent(uint8[24] memory ops) public {
        appendBatches(30);
        bool[] memory deleted = new bool[](ops.length);
        uint256 count;
        for (uint256 step = 0; step < ops.length; step++) {
            (bool hasLive, uint256 last) = rollup.lastLiveProposal();
            // model: newest undeleted proposal
            bool modelHasLive;
            uint256 modelLast;
            for (uint256 i = count; i > 0; i--) {
                if (!deleted[i - 1]) {
                    (modelHasLive, modelLast) = (true, i - 1);
                    break;
                }
            }
            assertEq(hasLive, modelHasLive, "has live");
            if (hasLive) assertEq(last, modelLast, "last live");

            uint8 op = ops[step];
            if (op % 3 != 0 || !hasLive) {
                uint256 next = hasLive ? rollup.getProposal(last).batchIndex + 1 : op % 4;
                if (next >= 30) continue;
                propose(next, keccak256(abi.encode(step)));
                count++;
            } else {
                // delete a random undeleted proposal
                uint256 target = op % count;
                if (deleted[target]) continue;
                rollup.deleteFrom(target);
                for (uint256 i = target; i < count; i++) {
                    deleted[i] = true;
                }
            }
        }
        for (uint256 i = 0; i < count; i++) {
            assertEq(rollup.getProposal(i).deleted, deleted[i], "deleted flags");
        }
    }
}
