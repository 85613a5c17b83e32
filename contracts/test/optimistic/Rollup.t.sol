// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Portal} from "../../src/optimistic/Portal.sol";
import {Rollup} from "../../src/optimistic/Rollup.sol";
import {StateCommitment} from "../../src/optimistic/StateCommitment.sol";
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
        address indexed proposer,
        bytes32 stateRoot,
        bytes32 commitment,
        uint64 l2BlockNumber,
        uint64 stepCount,
        bool traceIsBlob,
        bytes32 traceHash,
        bytes32[] traceBlobHashes
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

    /// A state named by `tag` at L2 block 1.
    function endOf(bytes32 tag) internal pure returns (StateCommitment.StateHeader memory) {
        return header(tag, keccak256(abi.encode(tag)), 1);
    }

    function traceOf(bytes32 parent, StateCommitment.StateHeader memory end) internal pure returns (bytes memory) {
        return abi.encodePacked(parent, commitment(end));
    }

    /// Proposes `endOf(tag)` for `batchIndex` with a one-step calldata trace from the live parent.
    function propose(uint256 batchIndex, bytes32 tag) internal returns (uint256) {
        (, bytes32 parent) = rollup.nextProposalParent();
        StateCommitment.StateHeader memory end = endOf(tag);
        bytes32 dataHash = rollup.getBatch(batchIndex).dataHash;
        vm.prank(proposer);
        return rollup.proposeCalldata{value: BOND}(batchIndex, dataHash, end, traceOf(parent, end));
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
        assertEq(rollup.challengeBond(), CHALLENGE_BOND);
        assertEq(rollup.genesisStateRoot(), StateCommitment.stateRoot(genesisHeader()));
        assertEq(rollup.genesisCommitment(), commitment(genesisHeader()));
        assertEq(rollup.l2ChainId(), L2_CHAIN_ID);
        assertEq(rollup.l2BaseFee(), L2_BASE_FEE);
        assertEq(rollup.batchCount(), 0);
        assertEq(rollup.proposalCount(), 0);
        (uint256 nextBatch, bytes32 parent) = rollup.nextProposalParent();
        assertEq(nextBatch, 0);
        assertEq(parent, commitment(genesisHeader()));
    }

    /// EIP-170: the rollup's runtime code must stay deployable (StepVerifier runs in its own contract).
    function test_runtimeCodeFitsTheEIP170Limit() public {
        Rollup real = new Rollup(
            address(portal),
            batcher,
            WINDOW,
            BOND,
            CHALLENGE_BOND,
            genesisHeader(),
            L2_CHAIN_ID,
            L2_BASE_FEE,
            INCLUSION_WINDOW
        );
        emit log_named_uint("Rollup runtime bytes", address(real).code.length);
        assertLe(address(real).code.length, 24_576, "Rollup");
        assertLe(address(rollup.stepExecutor()).code.length, 24_576, "StepVerifierExecutor");
        assertGt(address(rollup.stepExecutor()).code.length, 0, "executor created");
    }

    function test_constructorRejectsZeroAddressesAndHugeBonds() public {
        StateCommitment.StateHeader memory g = genesisHeader();
        vm.expectRevert(Rollup.ZeroAddress.selector);
        new Rollup(address(0), batcher, WINDOW, BOND, CHALLENGE_BOND, g, L2_CHAIN_ID, L2_BASE_FEE, INCLUSION_WINDOW);
        vm.expectRevert(Rollup.ZeroAddress.selector);
        new Rollup(
            address(portal), address(0), WINDOW, BOND, CHALLENGE_BOND, g, L2_CHAIN_ID, L2_BASE_FEE, INCLUSION_WINDOW
        );
        uint256 huge = uint256(type(uint128).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(Rollup.BondTooLarge.selector, huge));
        new Rollup(
            address(portal), batcher, WINDOW, huge, CHALLENGE_BOND, g, L2_CHAIN_ID, L2_BASE_FEE, INCLUSION_WINDOW
        );
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

    function test_proposeCalldataRecordsTheProposal() public {
        appendBatches(1);
        StateCommitment.StateHeader memory end = header(keccak256("a"), keccak256("w"), 42);
        bytes32 g = commitment(genesisHeader());
        bytes memory trace = abi.encodePacked(g, keccak256("leaf 1"), keccak256("leaf 2"), commitment(end));
        bytes32 dataHash = rollup.getBatch(0).dataHash;
        vm.expectEmit(address(rollup));
        emit StateRootProposed(
            0,
            0,
            proposer,
            StateCommitment.stateRoot(end),
            commitment(end),
            42,
            3,
            false,
            keccak256(trace),
            new bytes32[](0)
        );
        vm.prank(proposer);
        uint256 index = rollup.proposeCalldata{value: BOND}(0, dataHash, end, trace);

        assertEq(index, 0);
        assertEq(rollup.proposalCount(), 1);
        assertEq(address(rollup).balance, BOND);
        Rollup.Proposal memory p = rollup.getProposal(0);
        assertEq(p.stateRoot, keccak256(abi.encodePacked(keccak256("a"), keccak256("w"))));
        assertEq(p.commitment, commitment(end));
        assertEq(p.traceHash, keccak256(trace));
        assertFalse(p.traceIsBlob);
        assertEq(p.stepCount, 3);
        assertEq(p.batchIndex, 0);
        assertEq(p.l2BlockNumber, 42);
        assertEq(p.proposer, proposer);
        assertEq(p.proposedAt, block.timestamp);
        assertEq(p.bond, BOND);
        assertFalse(p.deleted);
        assertFalse(p.bondClaimed);
        assertFalse(p.slashed);
        (bool exists, uint256 last) = rollup.lastLiveProposal();
        assertTrue(exists);
        assertEq(last, 0);
        assertEq(rollup.parentCommitment(0), g);
        (uint256 nextBatch, bytes32 parent) = rollup.nextProposalParent();
        assertEq(nextBatch, 1);
        assertEq(parent, commitment(end));
    }

    function test_proposeRecordsABlobTrace() public {
        appendBatches(1);
        bytes32[] memory hashes = versionedHashes(2);
        vm.blobhashes(hashes);
        StateCommitment.StateHeader memory end = endOf("blob");
        bytes32 dataHash = rollup.getBatch(0).dataHash;
        vm.expectEmit(address(rollup));
        emit StateRootProposed(
            0,
            0,
            proposer,
            StateCommitment.stateRoot(end),
            commitment(end),
            1,
            7,
            true,
            keccak256(abi.encodePacked(hashes)),
            hashes
        );
        vm.prank(proposer);
        rollup.propose{value: BOND}(0, dataHash, end, 7, 2);
        Rollup.Proposal memory p = rollup.getProposal(0);
        assertTrue(p.traceIsBlob);
        assertEq(p.traceHash, keccak256(abi.encodePacked(hashes)));
        assertEq(p.stepCount, 7);
        assertEq(p.commitment, commitment(end));
    }

    function test_proposeRevertPaths() public {
        appendBatches(2);
        StateCommitment.StateHeader memory end = endOf("r");
        bytes32 h0 = rollup.getBatch(0).dataHash;
        bytes32 h1 = rollup.getBatch(1).dataHash;
        bytes32[] memory hashes = versionedHashes(6);
        vm.blobhashes(hashes);
        vm.startPrank(proposer);
        vm.expectRevert(abi.encodeWithSelector(Rollup.IncorrectBond.selector, BOND - 1, BOND));
        rollup.propose{value: BOND - 1}(0, h0, end, 1, 1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.IncorrectBond.selector, BOND + 1, BOND));
        rollup.propose{value: BOND + 1}(0, h0, end, 1, 1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.UnknownBatch.selector, 2));
        rollup.propose{value: BOND}(2, h0, end, 1, 1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.BatchDataHashMismatch.selector, 0, h0, bytes32(uint256(1))));
        rollup.propose{value: BOND}(0, bytes32(uint256(1)), end, 1, 1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.UnexpectedBatchIndex.selector, 1, 0));
        rollup.propose{value: BOND}(1, h1, end, 1, 1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.InvalidBlobCount.selector, 0));
        rollup.propose{value: BOND}(0, h0, end, 1, 0);
        vm.expectRevert(abi.encodeWithSelector(Rollup.InvalidBlobCount.selector, 7));
        rollup.propose{value: BOND}(0, h0, end, 1, 7);
        // One blob holds 126,976 payload bytes: 3967 steps (4 + 32·3968 = 126,980 bytes) do not fit, 3966 do.
        vm.expectRevert(abi.encodeWithSelector(Rollup.TraceExceedsBlobs.selector, 3967, 1));
        rollup.propose{value: BOND}(0, h0, end, 3967, 1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.TraceExceedsBlobs.selector, type(uint64).max, 6));
        rollup.propose{value: BOND}(0, h0, end, type(uint64).max, 6);
        rollup.propose{value: BOND}(0, h0, end, 3966, 1);

        vm.expectRevert(abi.encodeWithSelector(Rollup.UnexpectedBatchIndex.selector, 0, 1));
        rollup.propose{value: BOND}(0, h0, end, 1, 1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.UnexpectedBatchIndex.selector, 0, 1));
        rollup.proposeCalldata{value: BOND}(0, h0, end, traceOf(commitment(end), end));
        vm.stopPrank();

        vm.blobhashes(new bytes32[](0));
        vm.prank(proposer);
        vm.expectRevert(abi.encodeWithSelector(Rollup.MissingBlob.selector, 0));
        rollup.propose{value: BOND}(1, h1, end, 1, 1);
    }

    function test_proposeCalldataChecksTheTraceAtOnce() public {
        appendBatches(1);
        StateCommitment.StateHeader memory end = endOf("r");
        bytes32 h0 = rollup.getBatch(0).dataHash;
        bytes32 g = commitment(genesisHeader());
        bytes32 c = commitment(end);
        vm.startPrank(proposer);
        vm.expectRevert(abi.encodeWithSelector(Rollup.InvalidTraceLength.selector, 0));
        rollup.proposeCalldata{value: BOND}(0, h0, end, "");
        vm.expectRevert(abi.encodeWithSelector(Rollup.InvalidTraceLength.selector, 63));
        rollup.proposeCalldata{value: BOND}(0, h0, end, _cut(abi.encodePacked(g, c), 63));
        vm.expectRevert(abi.encodeWithSelector(Rollup.InvalidTraceLength.selector, 65));
        rollup.proposeCalldata{value: BOND}(0, h0, end, abi.encodePacked(g, c, hex"00"));
        vm.expectRevert(abi.encodeWithSelector(Rollup.TraceStartMismatch.selector, g, c));
        rollup.proposeCalldata{value: BOND}(0, h0, end, abi.encodePacked(c, c));
        vm.expectRevert(abi.encodeWithSelector(Rollup.TraceEndMismatch.selector, c, g));
        rollup.proposeCalldata{value: BOND}(0, h0, end, abi.encodePacked(g, g));
        // A single leaf is the trace of an invalid batch (stepCount 0): it must equal both bounds.
        vm.expectRevert(abi.encodeWithSelector(Rollup.TraceEndMismatch.selector, c, g));
        rollup.proposeCalldata{value: BOND}(0, h0, end, abi.encodePacked(g));
        rollup.proposeCalldata{value: BOND}(0, h0, genesisHeader(), abi.encodePacked(g));
        vm.stopPrank();
        assertEq(rollup.getProposal(0).stepCount, 0);
    }

    function _cut(bytes memory b, uint256 length) internal pure returns (bytes memory out) {
        out = new bytes(length);
        for (uint256 i = 0; i < length; i++) {
            out[i] = b[i];
        }
    }

    /// Trace length, leaf 0 and the last leaf are all checked: any trace of the right shape and bounds passes.
    function testFuzz_proposeCalldataAcceptsExactlyWellBoundedTraces(uint8 steps, uint256 seed, uint8 corrupt) public {
        appendBatches(1);
        StateCommitment.StateHeader memory end = endOf(bytes32(seed));
        bytes32 g = commitment(genesisHeader());
        uint256 count = uint256(steps) % 40;
        bytes memory trace = abi.encodePacked(g);
        for (uint256 i = 1; i < count; i++) {
            trace = bytes.concat(trace, keccak256(abi.encode(seed, i)));
        }
        if (count != 0) trace = bytes.concat(trace, commitment(end));
        else end = genesisHeader();
        uint256 mode = corrupt % 4;
        bytes32 dataHash = rollup.getBatch(0).dataHash;
        if (mode == 1 && count != 0) {
            trace[0] = trace[0] ^ 0x01;
            vm.expectRevert(abi.encodeWithSelector(Rollup.TraceStartMismatch.selector, g, bytes32(_word(trace, 0))));
        } else if (mode == 2 && count != 0) {
            trace[trace.length - 1] = trace[trace.length - 1] ^ 0x80;
            vm.expectRevert(
                abi.encodeWithSelector(
                    Rollup.TraceEndMismatch.selector, commitment(end), _word(trace, trace.length - 32)
                )
            );
        } else if (mode == 3) {
            trace = bytes.concat(trace, bytes1(0x00));
            vm.expectRevert(abi.encodeWithSelector(Rollup.InvalidTraceLength.selector, trace.length));
        } else {
            mode = 0;
        }
        vm.prank(proposer);
        rollup.proposeCalldata{value: BOND}(0, dataHash, end, trace);
        if (mode == 0) assertEq(rollup.getProposal(0).stepCount, count);
    }

    function _word(bytes memory b, uint256 offset) internal pure returns (bytes32 w) {
        assembly ("memory-safe") {
            w := mload(add(add(b, 0x20), offset))
        }
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
        assertEq(rollup.finalizedStateRoot(p), StateCommitment.stateRoot(endOf(keccak256("root"))));
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
        StateCommitment.StateHeader memory end = endOf("root");
        rejecter.propose{value: BOND}(
            rollup, 0, rollup.getBatch(0).dataHash, end, traceOf(commitment(genesisHeader()), end)
        );
        passWindow();
        vm.expectRevert(abi.encodeWithSelector(Rollup.BondTransferFailed.selector, address(rejecter), BOND));
        rollup.claimBond(0);
        assertFalse(rollup.getProposal(0).bondClaimed);
    }

    /// A proposal deleted without being slashed (here by the hook; in the game: a later proposal deleted with a
    /// wrong ancestor) gets its bond back at once; unknown and live, unfinalized proposals do not.
    /// Proposals deleted with a slashed ancestor forfeit their bonds, burnt whole: no refund for building on a
    /// wrong root, and no share for whoever deleted it.
    function test_claimBondForfeitsDeletedProposalsAndRefusesUnknownOnes() public {
        appendBatches(2);
        uint256 p = propose(0, keccak256("root"));
        uint256 q = propose(1, keccak256("next"));
        vm.expectRevert(abi.encodeWithSelector(Rollup.ProposalNotFinalized.selector, q));
        rollup.claimBond(q);
        address slasher = makeAddr("slasher");
        vm.prank(slasher);
        rollup.deleteFrom(p);
        uint256 before = proposer.balance;
        uint256 burntBefore = address(0xdEaD).balance;
        rollup.claimBond(q);
        rollup.claimBond(p);
        assertEq(proposer.balance, before, "no refund");
        assertEq(rollup.payouts(slasher), 0, "no share for the deleter");
        assertEq(address(0xdEaD).balance - burntBefore, 2 * BOND, "both bonds burnt");
        vm.expectRevert(abi.encodeWithSelector(Rollup.BondAlreadyClaimed.selector, p));
        rollup.claimBond(p);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ProposalNotFinalized.selector, 9));
        rollup.claimBond(9);
    }

    // -------------------------------------------------------- deletion (hook)

    function test_deleteFromDeletesTheSuffixAndReopensItsBatches() public {
        appendBatches(5);
        propose(0, keccak256("p0"));
        propose(1, keccak256("p1"));
        propose(2, keccak256("p2"));

        vm.expectEmit(address(rollup));
        emit ProposalsDeleted(1, 3);
        rollup.deleteFrom(1);

        assertFalse(rollup.getProposal(0).deleted);
        assertTrue(rollup.getProposal(1).deleted);
        assertTrue(rollup.getProposal(2).deleted);
        (bool exists, uint256 last) = rollup.lastLiveProposal();
        assertTrue(exists);
        assertEq(last, 0);

        // the next proposal follows proposal 0 again, so batch 1 is open (and its trace starts from p0)
        (uint256 nextBatch, bytes32 parent) = rollup.nextProposalParent();
        assertEq(nextBatch, 1);
        assertEq(parent, rollup.getProposal(0).commitment);
        uint256 p3 = propose(1, keccak256("p3"));
        assertEq(p3, 3);
        assertEq(rollup.parentCommitment(p3), rollup.getProposal(0).commitment);
        uint256 p4 = propose(2, keccak256("p4"));
        assertEq(rollup.parentCommitment(p4), rollup.getProposal(p3).commitment);

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
                uint256 next = hasLive ? rollup.getProposal(last).batchIndex + 1 : 0;
                if (next >= 30) continue;
                bytes32 expectedParent = hasLive ? rollup.getProposal(last).commitment : rollup.genesisCommitment();
                uint256 made = propose(next, keccak256(abi.encode(step)));
                assertEq(rollup.parentCommitment(made), expectedParent, "parent");
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
