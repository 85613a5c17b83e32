// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BlobData} from "../../src/common/BlobData.sol";
import {DataSource} from "../../src/optimistic/DataSource.sol";
import {L2TxLib} from "../../src/optimistic/L2TxLib.sol";
import {Portal} from "../../src/optimistic/Portal.sol";
import {Rollup} from "../../src/optimistic/Rollup.sol";
import {StateCommitment} from "../../src/optimistic/StateCommitment.sol";
import {StepVerifier} from "../../src/optimistic/StepVerifier.sol";
import {TxExecutor} from "../../src/optimistic/TxExecutor.sol";
import {Vm} from "../utils/Vm.sol";
import {ChallengeStepBase} from "./Challenge.t.sol";
import {OptimisticFixture} from "./Fixture.sol";

/// @notice Rows, forced batch data built independently of the Rollup, and calldata traces.
abstract contract ForceInclusionBase is OptimisticFixture {
    event ForcedTxQueued(uint256 indexed index, address indexed queuedBy, bytes row, uint64 queuedAt);
    event ForcedBatchAppended(uint256 indexed batchIndex, uint256 firstForcedIndex, bytes data);
    event BatchAppended(
        uint256 indexed batchIndex,
        uint64 firstL2Block,
        uint32 l2BlockCount,
        uint64 depositCountAfter,
        bool isBlob,
        bytes32 dataHash,
        bytes32[] blobHashes
    );
    event ChallengeWon(
        uint256 indexed proposalIndex,
        uint8 indexed kind,
        address indexed challenger,
        uint64 step,
        uint256 challengerPayout,
        uint256 burnt
    );
    event ChallengeLost(
        uint256 indexed proposalIndex,
        uint8 indexed kind,
        address indexed challenger,
        uint64 step,
        address proposer,
        uint256 proposerPayout
    );

    address internal carol = makeAddr("carol");
    address internal challenger = makeAddr("challenger");

    function setUp() public virtual override {
        super.setUp();
        vm.deal(challenger, 100 ether);
    }

    /// A 124-byte tx row (type 0) whose other bytes derive from `seed` (contents are not checked on L1).
    function txRow(uint256 seed) internal pure returns (bytes memory row) {
        row = new bytes(124);
        for (uint256 i = 1; i < 124; i++) {
            row[i] = bytes1(uint8(uint256(keccak256(abi.encode(seed, i / 32))) >> (8 * (i % 32))));
        }
    }

    /// header(version 3, firstBlockNumber 0, rowCount n) ‖ rows, built byte by byte.
    function forcedData(bytes[] memory rows) internal pure returns (bytes memory data) {
        // forge-lint: disable-next-line(unsafe-typecast) at most 64 rows
        data = abi.encodePacked(uint8(3), uint64(0), uint32(rows.length), bytes14(0));
        assertEq(data.length, 27);
        for (uint256 i = 0; i < rows.length; i++) {
            data = bytes.concat(data, rows[i]);
        }
    }

    /// header(version 3, firstBlockNumber 0, rowCount d + n) ‖ d deposit rows (0x01 ‖ 123 zero bytes) ‖ rows.
    function forcedDataWith(uint256 d, bytes[] memory rows) internal pure returns (bytes memory data) {
        // forge-lint: disable-next-line(unsafe-typecast) at most 128 rows
        data = abi.encodePacked(uint8(3), uint64(0), uint32(d + rows.length), bytes14(0));
        for (uint256 i = 0; i < d; i++) {
            data = bytes.concat(data, hex"01", new bytes(123));
        }
        for (uint256 i = 0; i < rows.length; i++) {
            data = bytes.concat(data, rows[i]);
        }
    }

    function appendForcedWith(bytes[] memory rows, uint64 dueDepositCount, uint16 depositRows)
        internal
        returns (uint256)
    {
        vm.prank(carol);
        return rollup.appendForcedBatch(rows, dueDepositCount, depositRows);
    }

    function depositN(uint256 n) internal {
        vm.startPrank(alice);
        for (uint256 i = 0; i < n; i++) {
            portal.depositETH{value: 1 ether}(alice);
        }
        vm.stopPrank();
    }

    function noRows() internal pure returns (bytes[] memory) {
        return new bytes[](0);
    }

    function rowsOf(uint256 firstSeed, uint256 n) internal pure returns (bytes[] memory rows) {
        rows = new bytes[](n);
        for (uint256 i = 0; i < n; i++) {
            rows[i] = txRow(firstSeed + i);
        }
    }

    function sub(bytes[] memory rows, uint256 from, uint256 count) internal pure returns (bytes[] memory out) {
        out = new bytes[](count);
        for (uint256 i = 0; i < count; i++) {
            out[i] = rows[from + i];
        }
    }

    function queueAll(bytes[] memory rows) internal {
        for (uint256 i = 0; i < rows.length; i++) {
            vm.prank(carol);
            rollup.queueForcedTx(rows[i]);
        }
    }

    function appendForced(bytes[] memory rows) internal returns (uint256) {
        return appendForcedWith(rows, 0, 0);
    }

    /// Trace parent ‖ keccak(1..steps−1) ‖ commitment(end) (steps ≥ 1), or [parent] for steps = 0.
    function traceFor(bytes32 parent, uint256 steps, StateCommitment.StateHeader memory end)
        internal
        pure
        returns (bytes memory trace)
    {
        trace = abi.encodePacked(parent);
        for (uint256 i = 1; i <= steps; i++) {
            trace = bytes.concat(trace, i == steps ? StateCommitment.commitment(end) : keccak256(abi.encode("leaf", i)));
        }
    }

    function proposeSteps(uint256 batchIndex, uint256 steps, StateCommitment.StateHeader memory end)
        internal
        returns (uint256)
    {
        (, bytes32 parent) = rollup.nextProposalParent();
        bytes32 dataHash = rollup.getBatch(batchIndex).dataHash;
        vm.prank(proposer);
        return rollup.proposeCalldata{value: BOND}(batchIndex, dataHash, end, traceFor(parent, steps, end));
    }

    function calldataProof(bytes memory data) internal pure returns (DataSource.DataProof memory p) {
        p.data = data;
    }

    function noRange() internal pure returns (BlobData.RangeProof memory r) {}

    function challengeCount(uint256 p, StateCommitment.StateHeader memory parent, bytes memory data)
        internal
        returns (bool)
    {
        commitAs(challenger, abi.encodeCall(Rollup.challengeStepCount, (p, parent, calldataProof(data), noRange())));
        vm.prank(challenger);
        return rollup.challengeStepCount{value: CHALLENGE_BOND}(p, parent, calldataProof(data), noRange());
    }
}

contract ForceInclusionTest is ForceInclusionBase {
    // ---------------------------------------------------------------- queue

    function test_constructorSetsTheWindowAndRejectsOneAbove64Bits() public {
        assertEq(rollup.inclusionWindow(), INCLUSION_WINDOW);
        assertEq(rollup.MAX_FORCED_ROWS(), 64);
        assertEq(rollup.ROW_TYPE_TX(), 0);
        StateCommitment.StateHeader memory g = genesisHeader();
        uint256 tooLarge = uint256(type(uint64).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(Rollup.InclusionWindowTooLarge.selector, tooLarge));
        new Rollup(address(portal), batcher, WINDOW, BOND, CHALLENGE_BOND, g, L2_CHAIN_ID, L2_BASE_FEE, tooLarge);
        Rollup max = new Rollup(
            address(portal), batcher, WINDOW, BOND, CHALLENGE_BOND, g, L2_CHAIN_ID, L2_BASE_FEE, type(uint64).max
        );
        assertEq(max.inclusionWindow(), type(uint64).max);
    }

    function test_queueStoresTheHashAndTimeAndEmits() public {
        assertEq(rollup.forcedTxCount(), 0);
        assertEq(rollup.forcedIncludedCount(), 0);
        bytes memory row0 = txRow(1);
        bytes memory row1 = txRow(2);
        vm.expectEmit(address(rollup));
        emit ForcedTxQueued(0, carol, row0, uint64(block.timestamp));
        vm.prank(carol);
        assertEq(rollup.queueForcedTx(row0), 0);
        vm.warp(block.timestamp + 7);
        vm.expectEmit(address(rollup));
        emit ForcedTxQueued(1, alice, row1, uint64(block.timestamp));
        vm.prank(alice);
        assertEq(rollup.queueForcedTx(row1), 1);

        assertEq(rollup.forcedTxCount(), 2);
        assertEq(rollup.forcedIncludedCount(), 0);
        (bytes32 h0, uint64 t0) = rollup.forcedTx(0);
        (bytes32 h1, uint64 t1) = rollup.forcedTx(1);
        assertEq(h0, keccak256(row0));
        assertEq(h1, keccak256(row1));
        assertEq(t0, block.timestamp - 7);
        assertEq(t1, block.timestamp);
        // Nothing else changes: no batch, no proposal.
        assertEq(rollup.batchCount(), 0);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedTxNotQueued.selector, 2));
        rollup.forcedTx(2);
    }

    function test_queueRejectsRowsOfOtherLengthsOrTypes() public {
        uint256[5] memory lengths = [uint256(0), 1, 123, 125, 248];
        for (uint256 i = 0; i < lengths.length; i++) {
            bytes memory row = new bytes(lengths[i]);
            vm.expectRevert(abi.encodeWithSelector(Rollup.InvalidForcedRowLength.selector, lengths[i]));
            rollup.queueForcedTx(row);
        }
        uint8[4] memory types = [uint8(1), 2, 3, 255];
        for (uint256 i = 0; i < types.length; i++) {
            bytes memory row = txRow(i);
            row[0] = bytes1(types[i]);
            vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedRowNotATx.selector, types[i]));
            rollup.queueForcedTx(row);
        }
        assertEq(rollup.forcedTxCount(), 0);
    }

    /// Queuing burns `forcedTxFee()` (FORCED_TX_FEE_GAS at the base fee) and refunds the excess; appending takes no
    /// ETH; the rollup keeps none of it.
    function test_queueingBurnsTheForcedTxFeeAndAppendingTakesNoETH() public {
        vm.fee(10 gwei);
        uint256 fee = rollup.forcedTxFee();
        assertEq(fee, 300_000 * 10 gwei);
        bytes memory row = txRow(1);
        vm.deal(carol, 1 ether);
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedTxFeeTooLow.selector, fee - 1, fee));
        rollup.queueForcedTx{value: fee - 1}(row);
        uint256 deadBefore = address(0xdEaD).balance;
        uint256 carolBefore = carol.balance;
        vm.prank(carol);
        rollup.queueForcedTx{value: fee + 5}(row);
        assertEq(address(0xdEaD).balance - deadBefore, fee, "burnt");
        assertEq(carolBefore - carol.balance, fee, "excess refunded");
        vm.warp(block.timestamp + INCLUSION_WINDOW);
        bytes[] memory rows = new bytes[](1);
        rows[0] = row;
        vm.prank(carol);
        (bool ok,) = address(rollup).call{value: 1}(abi.encodeCall(Rollup.appendForcedBatch, (rows, 0, 0)));
        assertFalse(ok, "append with ETH");
        assertEq(address(rollup).balance, 0);
    }

    // --------------------------------------------------------------- append

    function test_appendBuildsTheBatchRecordsItAndEmitsBothEventsInOrder() public {
        bytes[] memory rows = rowsOf(10, 3);
        queueAll(rows);
        vm.warp(block.timestamp + INCLUSION_WINDOW);
        vm.roll(block.number + 5);
        bytes memory data = forcedData(rows);
        assertEq(data.length, 27 + 3 * 124);

        vm.expectEmit(address(rollup));
        emit ForcedBatchAppended(0, 0, data);
        vm.expectEmit(address(rollup));
        emit BatchAppended(0, 0, 0, 0, false, keccak256(data), new bytes32[](0));
        vm.recordLogs();
        assertEq(appendForced(rows), 0);

        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 2);
        assertEq(logs[0].topics[0], ForcedBatchAppended.selector);
        assertEq(logs[1].topics[0], BatchAppended.selector);
        (uint256 firstForced, bytes memory emitted) = abi.decode(logs[0].data, (uint256, bytes));
        assertEq(firstForced, 0);
        assertEq(keccak256(emitted), keccak256(data), "event data = independently built data");

        Rollup.Batch memory b = rollup.getBatch(0);
        assertEq(b.dataHash, keccak256(data));
        assertTrue(b.forced);
        assertFalse(b.isBlob);
        assertEq(b.firstL2Block, 0);
        assertEq(b.l2BlockCount, 0);
        assertEq(b.depositCountAfter, 0);
        assertEq(b.l1Block, block.number);
        assertEq(b.appendedAt, block.timestamp);
        assertEq(rollup.forcedIncludedCount(), 3);
        assertEq(rollup.forcedTxCount(), 3);
        // A proposer's expected hash for it is the keccak of that data.
        assertEq(rollup.batchCount(), 1);
    }

    function test_batcherBatchesAreNotForcedAndStillRejectZeroBlocks() public {
        vm.prank(batcher);
        rollup.appendBatchCalldata(1, 1, 0, hex"01");
        assertFalse(rollup.getBatch(0).forced);
        vm.prank(batcher);
        vm.expectRevert(Rollup.EmptyBatch.selector);
        rollup.appendBatchCalldata(1, 0, 0, hex"01");
    }

    function test_depositCountAfterRepeatsThePreviousBatch() public {
        bytes[] memory rows = rowsOf(20, 2);
        queueAll(sub(rows, 0, 1));
        vm.warp(block.timestamp + INCLUSION_WINDOW);
        appendForced(sub(rows, 0, 1));
        queueAll(sub(rows, 1, 1));
        vm.warp(block.timestamp + INCLUSION_WINDOW);
        assertEq(rollup.getBatch(0).depositCountAfter, 0, "first batch: 0");
        vm.startPrank(alice);
        portal.depositETH{value: 1 ether}(alice);
        portal.depositETH{value: 1 ether}(alice);
        vm.stopPrank();
        vm.prank(batcher);
        rollup.appendBatchCalldata(1, 1, 2, hex"01");
        vm.prank(alice);
        portal.depositETH{value: 1 ether}(alice); // queued on L1, not consumed by any batch
        assertEq(appendForced(sub(rows, 1, 1)), 2);
        assertEq(rollup.getBatch(2).depositCountAfter, 2, "the previous batch's");
    }

    function test_appendErrors() public {
        bytes[] memory none = new bytes[](0);
        vm.expectRevert(Rollup.NoForcedRows.selector);
        rollup.appendForcedBatch(none, 0, 0);

        bytes[] memory tooMany = rowsOf(0, 65);
        vm.expectRevert(abi.encodeWithSelector(Rollup.TooManyForcedRows.selector, 65));
        rollup.appendForcedBatch(tooMany, 0, 0);

        bytes[] memory rows = rowsOf(100, 3);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedTxNotQueued.selector, 0));
        rollup.appendForcedBatch(sub(rows, 0, 1), 0, 0);

        queueAll(sub(rows, 0, 2));
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedTxNotDue.selector, 0, block.timestamp + INCLUSION_WINDOW));
        rollup.appendForcedBatch(sub(rows, 0, 1), 0, 0);

        vm.warp(block.timestamp + INCLUSION_WINDOW);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedTxNotQueued.selector, 2));
        rollup.appendForcedBatch(rows, 0, 0);

        // A different row, a row of another length, a truncated or extended one: mismatch at its index.
        bytes[] memory wrong = sub(rows, 0, 2);
        wrong[1] = txRow(999);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedRowMismatch.selector, 1));
        rollup.appendForcedBatch(wrong, 0, 0);
        wrong[1] = bytes.concat(rows[1], hex"00");
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedRowMismatch.selector, 1));
        rollup.appendForcedBatch(wrong, 0, 0);
        wrong[1] = sliceOf(rows[1], 123);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedRowMismatch.selector, 1));
        rollup.appendForcedBatch(wrong, 0, 0);
        wrong[1] = new bytes(0);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedRowMismatch.selector, 1));
        rollup.appendForcedBatch(wrong, 0, 0);
        wrong = sub(rows, 0, 2);
        wrong[0] = bytes.concat(rows[0]); // a copy
        wrong[0][5] = bytes1(uint8(wrong[0][5]) ^ 1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedRowMismatch.selector, 0));
        rollup.appendForcedBatch(wrong, 0, 0);
        assertEq(rollup.batchCount(), 0);
        assertEq(rollup.forcedIncludedCount(), 0);

        // Once everything queued is in, nothing more can be forced.
        appendForced(sub(rows, 0, 2));
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedTxNotQueued.selector, 2));
        rollup.appendForcedBatch(sub(rows, 1, 1), 0, 0);
    }

    function sliceOf(bytes memory b, uint256 length) internal pure returns (bytes memory out) {
        out = new bytes(length);
        for (uint256 i = 0; i < length; i++) {
            out[i] = b[i];
        }
    }

    function test_dueExactlyAtQueuedAtPlusWindow() public {
        bytes[] memory rows = rowsOf(7, 1);
        uint256 queuedAt = block.timestamp;
        queueAll(rows);
        vm.warp(queuedAt + INCLUSION_WINDOW - 1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedTxNotDue.selector, 0, queuedAt + INCLUSION_WINDOW));
        rollup.appendForcedBatch(rows, 0, 0);
        vm.warp(queuedAt + INCLUSION_WINDOW);
        assertEq(appendForced(rows), 0);
    }

    /// With rows queued at different times, only the due prefix can be forced; the error names the first row that is
    /// not due and its due time.
    function test_onlyTheDuePrefixCanBeForced() public {
        bytes[] memory rows = rowsOf(30, 4);
        uint256 t0 = block.timestamp;
        queueAll(sub(rows, 0, 2));
        vm.warp(t0 + 100);
        queueAll(sub(rows, 2, 2));
        vm.warp(t0 + INCLUSION_WINDOW);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedTxNotDue.selector, 2, t0 + 100 + INCLUSION_WINDOW));
        rollup.appendForcedBatch(rows, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedTxNotDue.selector, 2, t0 + 100 + INCLUSION_WINDOW));
        rollup.appendForcedBatch(sub(rows, 0, 3), 0, 0);
        appendForced(sub(rows, 0, 2));
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedTxNotDue.selector, 2, t0 + 100 + INCLUSION_WINDOW));
        rollup.appendForcedBatch(sub(rows, 2, 1), 0, 0);
        vm.warp(t0 + 100 + INCLUSION_WINDOW);
        appendForced(sub(rows, 2, 2));
        assertEq(rollup.forcedIncludedCount(), 4);
    }

    /// Rows go in queue order from `forcedIncludedCount`: skipping, reordering or repeating one is a mismatch.
    function test_queueOrderIsEnforced() public {
        bytes[] memory rows = rowsOf(40, 4);
        queueAll(sub(rows, 0, 3));
        vm.warp(block.timestamp + INCLUSION_WINDOW);
        bytes[] memory swapped = new bytes[](3);
        swapped[0] = rows[1];
        swapped[1] = rows[0];
        swapped[2] = rows[2];
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedRowMismatch.selector, 0));
        rollup.appendForcedBatch(swapped, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedRowMismatch.selector, 0));
        rollup.appendForcedBatch(sub(rows, 1, 2), 0, 0); // skips row 0
        appendForced(sub(rows, 0, 3));
        queueAll(sub(rows, 3, 1));
        vm.warp(block.timestamp + INCLUSION_WINDOW);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedRowMismatch.selector, 3));
        rollup.appendForcedBatch(sub(rows, 0, 1), 0, 0); // row 0 again
        appendForced(sub(rows, 3, 1));
    }

    /// A row queued twice is two queue entries, forced twice (derivation makes the second a no-op by nonce).
    function test_aRowQueuedTwiceIsForcedTwice() public {
        bytes memory row = txRow(5);
        vm.startPrank(carol);
        rollup.queueForcedTx(row);
        rollup.queueForcedTx(row);
        vm.stopPrank();
        vm.warp(block.timestamp + INCLUSION_WINDOW);
        bytes[] memory rows = new bytes[](2);
        rows[0] = row;
        rows[1] = row;
        appendForced(rows);
        assertEq(rollup.getBatch(0).dataHash, keccak256(forcedData(rows)));
    }

    /// Rows 0–1 are due before rows 2–4: the first forced batch takes exactly the due ones (leaving one of them
    /// out reverts: no batch per row), the second the rest.
    function test_partialInclusionThenTheRest() public {
        bytes[] memory rows = rowsOf(50, 5);
        queueAll(sub(rows, 0, 2));
        vm.warp(block.timestamp + 1);
        queueAll(sub(rows, 2, 3));
        vm.warp(block.timestamp + INCLUSION_WINDOW - 1);
        vm.prank(batcher);
        rollup.appendBatchCalldata(1, 1, 0, hex"02");
        vm.expectRevert(abi.encodeWithSelector(Rollup.DueForcedTxLeftOut.selector, 1));
        rollup.appendForcedBatch(sub(rows, 0, 1), 0, 0);

        bytes memory first = forcedData(sub(rows, 0, 2));
        vm.expectEmit(address(rollup));
        emit ForcedBatchAppended(1, 0, first);
        assertEq(appendForced(sub(rows, 0, 2)), 1);
        assertEq(rollup.forcedIncludedCount(), 2);
        vm.warp(block.timestamp + 1);

        bytes memory rest = forcedData(sub(rows, 2, 3));
        vm.expectEmit(address(rollup));
        emit ForcedBatchAppended(2, 2, rest);
        vm.expectEmit(address(rollup));
        emit BatchAppended(2, 0, 0, 0, false, keccak256(rest), new bytes32[](0));
        assertEq(appendForced(sub(rows, 2, 3)), 2);
        assertEq(rollup.forcedIncludedCount(), 5);
        assertEq(rollup.getBatch(1).dataHash, keccak256(first));
        assertEq(rollup.getBatch(2).dataHash, keccak256(rest));
        assertTrue(rollup.getBatch(1).forced && rollup.getBatch(2).forced);
        assertFalse(rollup.getBatch(0).forced);
    }

    function test_sixtyFourRowsAreTheMaximum() public {
        bytes[] memory rows = rowsOf(60, 64);
        queueAll(rows);
        vm.warp(block.timestamp + INCLUSION_WINDOW);
        appendForced(rows);
        assertEq(rollup.getBatch(0).dataHash, keccak256(forcedData(rows)));
        assertEq(rollup.forcedIncludedCount(), 64);
    }

    /// Window 0: a transaction can be forced in the block that queued it.
    function test_aZeroWindowForcesAtOnce() public {
        Rollup r = new Rollup(
            address(portal), batcher, WINDOW, BOND, CHALLENGE_BOND, genesisHeader(), L2_CHAIN_ID, L2_BASE_FEE, 0
        );
        bytes[] memory rows = rowsOf(70, 1);
        r.queueForcedTx(rows[0]);
        assertEq(r.appendForcedBatch(rows, 0, 0), 0);
        assertEq(r.getBatch(0).dataHash, keccak256(forcedData(rows)));
    }

    // ------------------------------------------------- proposals and kind 2

    function test_proposalsOnForcedBatchesFollowBatchOrder() public {
        bytes[] memory rows = rowsOf(80, 2);
        queueAll(rows);
        vm.warp(block.timestamp + INCLUSION_WINDOW);
        vm.prank(batcher);
        rollup.appendBatchCalldata(1, 1, 0, hex"01"); // batch 0
        appendForced(rows); // batch 1
        vm.prank(batcher);
        rollup.appendBatchCalldata(2, 1, 0, hex"03"); // batch 2

        StateCommitment.StateHeader memory end0 = header(keccak256("a0"), keccak256("w0"), 1);
        StateCommitment.StateHeader memory end1 = header(keccak256("a1"), keccak256("w1"), 1);
        StateCommitment.StateHeader memory end2 = header(keccak256("a2"), keccak256("w2"), 2);

        // The forced batch cannot be proposed before batch 0.
        bytes32 forcedHash = keccak256(forcedData(rows));
        vm.prank(proposer);
        vm.expectRevert(abi.encodeWithSelector(Rollup.UnexpectedBatchIndex.selector, 1, 0));
        rollup.proposeCalldata{value: BOND}(1, forcedHash, end1, traceFor(commitment(genesisHeader()), 2, end1));

        assertEq(proposeSteps(0, 1, end0), 0);
        // Its recorded hash binds the proposal.
        vm.prank(proposer);
        vm.expectRevert(
            abi.encodeWithSelector(Rollup.BatchDataHashMismatch.selector, 1, forcedHash, keccak256("other"))
        );
        rollup.proposeCalldata{value: BOND}(1, keccak256("other"), end1, traceFor(commitment(end0), 2, end1));
        assertEq(proposeSteps(1, 2, end1), 1);
        assertEq(rollup.getProposal(1).batchIndex, 1);
        assertEq(rollup.getProposal(1).stepCount, 2);
        assertEq(rollup.parentCommitment(1), commitment(end0));
        assertEq(proposeSteps(2, 1, end2), 2);
        assertEq(rollup.parentCommitment(2), commitment(end1));
        (uint256 next,) = rollup.nextProposalParent();
        assertEq(next, 3);
    }

    /// Kind 2 on a forced batch: its row count is the step count, whatever the parent's block number (the header's
    /// firstBlockNumber 0 is not checked) and although its last row is no block end.
    function test_stepCountOfAForcedBatchIsItsRowCount() public {
        bytes[] memory rows = rowsOf(90, 3);
        queueAll(rows);
        vm.warp(block.timestamp + INCLUSION_WINDOW);
        uint256 b = appendForced(rows);
        bytes memory data = forcedData(rows);
        uint64[4] memory preBlocks = [uint64(0), 1, 41, type(uint64).max];
        for (uint256 i = 0; i < preBlocks.length; i++) {
            assertEq(rollup.provenStepCount(b, preBlocks[i], calldataProof(data), noRange()), 3);
        }
        // The same bytes appended by the batcher are an invalid batch (firstBlockNumber 0, no block end).
        vm.prank(batcher);
        uint256 c = rollup.appendBatchCalldata(1, 1, 0, data);
        assertEq(rollup.provenStepCount(c, 0, calldataProof(data), noRange()), 0);
        // Wrong data does not open the forced batch.
        bytes memory other = forcedData(rowsOf(91, 3));
        vm.expectRevert(
            abi.encodeWithSelector(DataSource.SourceHashMismatch.selector, keccak256(data), keccak256(other))
        );
        rollup.provenStepCount(b, 0, calldataProof(other), noRange());
    }

    function test_kind2RightCountLosesOnAForcedBatch() public {
        bytes[] memory rows = rowsOf(95, 3);
        queueAll(rows);
        vm.warp(block.timestamp + INCLUSION_WINDOW);
        uint256 b = appendForced(rows);
        uint256 p = proposeSteps(b, 3, header(keccak256("a"), keccak256("w"), 0));
        vm.expectEmit(address(rollup));
        emit ChallengeLost(p, 2, challenger, 3, proposer, CHALLENGE_BOND);
        assertFalse(challengeCount(p, genesisHeader(), forcedData(rows)));
        assertFalse(rollup.getProposal(p).deleted);
        assertEq(rollup.payouts(proposer), CHALLENGE_BOND);
    }

    function test_kind2WrongCountWinsOnAForcedBatch() public {
        bytes[] memory rows = rowsOf(96, 3);
        queueAll(rows);
        vm.warp(block.timestamp + INCLUSION_WINDOW);
        uint256 b = appendForced(rows);
        bytes memory data = forcedData(rows);
        uint256[3] memory wrongCounts = [uint256(0), 2, 4];
        for (uint256 i = 0; i < wrongCounts.length; i++) {
            // Step count 0 means the trace is [parent]: the end must be the parent's header.
            StateCommitment.StateHeader memory end =
                wrongCounts[i] == 0 ? genesisHeader() : header(keccak256("a"), keccak256("w"), 0);
            uint256 p = proposeSteps(b, wrongCounts[i], end);
            vm.expectEmit(address(rollup));
            emit ChallengeWon(p, 2, challenger, 3, CHALLENGE_BOND + BOND / 2, BOND - BOND / 2);
            assertTrue(challengeCount(p, genesisHeader(), data));
            assertTrue(rollup.getProposal(p).deleted && rollup.getProposal(p).slashed);
        }
    }

    /// Kind 2 on a forced batch after a batcher batch: the parent is the previous proposal's end (block 1) while the
    /// forced header says firstBlockNumber 0.
    function test_kind2OnAForcedBatchAfterAnotherProposal() public {
        bytes[] memory rows = rowsOf(97, 2);
        queueAll(rows);
        vm.warp(block.timestamp + INCLUSION_WINDOW);
        vm.prank(batcher);
        rollup.appendBatchCalldata(1, 1, 0, hex"01");
        uint256 b = appendForced(rows);
        StateCommitment.StateHeader memory end0 = header(keccak256("a0"), keccak256("w0"), 1);
        proposeSteps(0, 1, end0);
        uint256 right = proposeSteps(b, 2, header(keccak256("a1"), keccak256("w1"), 1));
        assertFalse(challengeCount(right, end0, forcedData(rows)));
        // The parent header must be the parent's preimage.
        vm.prank(challenger);
        vm.expectRevert(
            abi.encodeWithSelector(Rollup.ParentHeaderMismatch.selector, commitment(end0), commitment(genesisHeader()))
        );
        rollup.challengeStepCount{value: CHALLENGE_BOND}(
            right, genesisHeader(), calldataProof(forcedData(rows)), noRange()
        );
    }

    // ------------------------------------------------------------------ fuzz

    /// Random row counts and contents, forced in two parts: the data is header ‖ rows exactly, the batch records its
    /// hash, the queue pointer advances, and kind 2 proves each part's row count.
    function testFuzz_appendForcedBatch(uint8 count, uint256 seed, uint8 splitSeed, uint32 gap) public {
        uint256 n = bound(count, 1, 64);
        uint256 split = bound(splitSeed, 1, n);
        bytes[] memory rows = new bytes[](n);
        uint256 lastOfPart1;
        for (uint256 i = 0; i < n; i++) {
            // The second part is queued at least a second after the first, so it is due later.
            if (i == split) vm.warp(block.timestamp + 1);
            rows[i] = txRow(uint256(keccak256(abi.encode(seed, i))));
            vm.prank(carol);
            assertEq(rollup.queueForcedTx(rows[i]), i);
            if (i + 1 == split) lastOfPart1 = block.timestamp;
            vm.warp(block.timestamp + (gap % 1000));
        }
        uint256 lastQueuedAt = block.timestamp - (gap % 1000);
        vm.warp(lastOfPart1 + INCLUSION_WINDOW);

        bytes[] memory part1 = sub(rows, 0, split);
        bytes memory data1 = forcedData(part1);
        vm.expectEmit(address(rollup));
        emit ForcedBatchAppended(0, 0, data1);
        uint256 b1 = appendForced(part1);
        assertEq(rollup.getBatch(b1).dataHash, keccak256(data1));
        assertEq(rollup.forcedIncludedCount(), split);
        // forge-lint: disable-next-line(unsafe-typecast) any pre-state block number: truncation is the point
        assertEq(rollup.provenStepCount(b1, uint64(seed), calldataProof(data1), noRange()), split);
        if (split < n) {
            vm.warp(lastQueuedAt + INCLUSION_WINDOW);
            bytes[] memory part2 = sub(rows, split, n - split);
            bytes memory data2 = forcedData(part2);
            vm.expectEmit(address(rollup));
            emit ForcedBatchAppended(1, split, data2);
            uint256 b2 = appendForced(part2);
            assertEq(rollup.getBatch(b2).dataHash, keccak256(data2));
            assertEq(rollup.provenStepCount(b2, 0, calldataProof(data2), noRange()), n - split);
        }
        assertEq(rollup.forcedIncludedCount(), n);
        assertEq(rollup.forcedTxCount(), n);
    }

    /// A row that is not exactly the queued one never goes in.
    function testFuzz_anyOtherRowIsAMismatch(uint256 seed, uint8 at, uint8 flip) public {
        bytes[] memory rows = rowsOf(seed % 1000, 1);
        queueAll(rows);
        vm.warp(block.timestamp + INCLUSION_WINDOW);
        bytes[] memory wrong = rowsOf(seed % 1000, 1);
        uint256 position = bound(at, 0, 123);
        uint8 delta = uint8(bound(flip, 1, 255));
        wrong[0][position] = bytes1(uint8(wrong[0][position]) ^ delta);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedRowMismatch.selector, 0));
        rollup.appendForcedBatch(wrong, 0, 0);
    }
}

/// @notice Forced deposits: deposit rows in forced batches (docs/optimistic.md "Force inclusion").
contract ForceInclusionDepositTest is ForceInclusionBase {
    function test_aDepositsOnlyForcedBatch() public {
        depositN(3);
        vm.warp(block.timestamp + INCLUSION_WINDOW);
        bytes memory data = forcedDataWith(3, noRows());
        assertEq(data.length, 27 + 3 * 124);
        vm.expectEmit(address(rollup));
        emit ForcedBatchAppended(0, 0, data);
        vm.expectEmit(address(rollup));
        emit BatchAppended(0, 0, 0, 3, false, keccak256(data), new bytes32[](0));
        assertEq(rollup.forcedDepositCount(), 0);
        assertEq(appendForcedWith(noRows(), 3, 3), 0);
        assertEq(rollup.forcedDepositCount(), 3);
        Rollup.Batch memory b = rollup.getBatch(0);
        assertTrue(b.forced);
        assertFalse(b.isBlob);
        assertEq(b.dataHash, keccak256(data));
        assertEq(b.depositCountAfter, 3);
        assertEq(b.firstL2Block, 0);
        assertEq(b.l2BlockCount, 0);
        // No forced transaction was involved: the queue pointer stays.
        assertEq(rollup.forcedIncludedCount(), 0);
        assertEq(rollup.forcedTxCount(), 0);
    }

    /// Deposit rows first, then the queued tx rows; a later forced batch forces the newer deposits with the next row.
    function test_depositsAndTransactionsInOneForcedBatch() public {
        bytes[] memory rows = rowsOf(300, 3);
        queueAll(sub(rows, 0, 1));
        // A deposit row with nothing due (dueDepositCount 0) forces no deposit: it reverts.
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedDepositsNotNew.selector, 0, 0, 1));
        rollup.appendForcedBatch(noRows(), 0, 1);
        depositN(2);
        queueAll(sub(rows, 1, 1));
        vm.warp(block.timestamp + 1);
        queueAll(sub(rows, 2, 1)); // due a second after the others
        vm.warp(block.timestamp + INCLUSION_WINDOW - 1);
        bytes memory data = forcedDataWith(2, sub(rows, 0, 2));
        vm.expectEmit(address(rollup));
        emit ForcedBatchAppended(0, 0, data);
        vm.expectEmit(address(rollup));
        emit BatchAppended(0, 0, 0, 2, false, keccak256(data), new bytes32[](0));
        assertEq(appendForcedWith(sub(rows, 0, 2), 2, 2), 0);
        // Independently: byte 27 + 124k is 1 for the 2 deposit rows, every other byte of them is zero, then the rows.
        for (uint256 k = 0; k < 2; k++) {
            assertEq(uint8(data[27 + 124 * k]), 1);
            for (uint256 j = 1; j < 124; j++) {
                assertEq(uint8(data[27 + 124 * k + j]), 0);
            }
        }
        assertEq(rollup.getBatch(0).dataHash, keccak256(data));
        assertEq(rollup.getBatch(0).depositCountAfter, 2);
        assertEq(rollup.forcedIncludedCount(), 2);
        assertEq(rollup.forcedDepositCount(), 2);
        // The third queued row, after its own forced batch pointer, with a deposit made since.
        depositN(1);
        vm.warp(block.timestamp + INCLUSION_WINDOW);
        bytes memory rest = forcedDataWith(1, sub(rows, 2, 1));
        vm.expectEmit(address(rollup));
        emit ForcedBatchAppended(1, 2, rest);
        assertEq(appendForcedWith(sub(rows, 2, 1), 3, 1), 1);
        assertEq(rollup.getBatch(1).dataHash, keccak256(rest));
        assertEq(rollup.getBatch(1).depositCountAfter, 3);
        assertEq(rollup.forcedIncludedCount(), 3);
        assertEq(rollup.forcedDepositCount(), 3);
    }

    function test_forcedDepositNotDueAtTheEdge() public {
        uint256 t0 = block.timestamp;
        depositN(1); // #0 at t0
        vm.warp(t0 + 100);
        depositN(1); // #1 at t0 + 100
        vm.warp(t0 + INCLUSION_WINDOW - 1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedDepositNotDue.selector, 0, t0 + INCLUSION_WINDOW));
        rollup.appendForcedBatch(noRows(), 1, 1);
        vm.warp(t0 + INCLUSION_WINDOW);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedDepositNotDue.selector, 1, t0 + 100 + INCLUSION_WINDOW));
        rollup.appendForcedBatch(noRows(), 2, 2);
        // Checked whatever the number of deposit rows, even with none (tx rows only).
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedDepositNotDue.selector, 1, t0 + 100 + INCLUSION_WINDOW));
        rollup.appendForcedBatch(noRows(), 2, 64);
        assertEq(appendForcedWith(noRows(), 1, 1), 0);
        assertEq(rollup.getBatch(0).depositCountAfter, 1);
        assertEq(rollup.forcedDepositCount(), 1);
        vm.warp(t0 + 100 + INCLUSION_WINDOW - 1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedDepositNotDue.selector, 1, t0 + 100 + INCLUSION_WINDOW));
        rollup.appendForcedBatch(noRows(), 2, 1);
        vm.warp(t0 + 100 + INCLUSION_WINDOW);
        assertEq(appendForcedWith(noRows(), 2, 1), 1);
        assertEq(rollup.getBatch(1).depositCountAfter, 2);
        assertEq(rollup.forcedDepositCount(), 2);
    }

    function test_dueDepositCountAboveThePortalCountReverts() public {
        vm.expectRevert(abi.encodeWithSelector(Rollup.DepositCountTooHigh.selector, 1, 0));
        rollup.appendForcedBatch(noRows(), 1, 1);
        depositN(2);
        vm.warp(block.timestamp + INCLUSION_WINDOW);
        vm.expectRevert(abi.encodeWithSelector(Rollup.DepositCountTooHigh.selector, 3, 2));
        rollup.appendForcedBatch(noRows(), 3, 1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.DepositCountTooHigh.selector, type(uint64).max, 2));
        rollup.appendForcedBatch(noRows(), type(uint64).max, 1);
        // Also with tx rows only.
        bytes[] memory rows = rowsOf(310, 1);
        queueAll(rows);
        vm.warp(block.timestamp + INCLUSION_WINDOW);
        vm.expectRevert(abi.encodeWithSelector(Rollup.DepositCountTooHigh.selector, 3, 2));
        rollup.appendForcedBatch(rows, 3, 0);
        assertEq(rollup.batchCount(), 0);
        assertEq(appendForcedWith(rows, 2, 2), 0);
    }

    function test_depositRowsAreBounded() public {
        assertEq(rollup.MAX_FORCED_DEPOSIT_ROWS(), 64);
        assertEq(rollup.ROW_TYPE_DEPOSIT(), 1);
        depositN(64);
        bytes[] memory rows = rowsOf(320, 64);
        queueAll(rows);
        vm.warp(block.timestamp + INCLUSION_WINDOW);
        vm.expectRevert(abi.encodeWithSelector(Rollup.TooManyForcedDepositRows.selector, 65));
        rollup.appendForcedBatch(noRows(), 64, 65);
        vm.expectRevert(abi.encodeWithSelector(Rollup.TooManyForcedDepositRows.selector, type(uint16).max));
        rollup.appendForcedBatch(rows, 64, type(uint16).max);
        vm.expectRevert(Rollup.NoForcedRows.selector);
        rollup.appendForcedBatch(noRows(), 1, 0);
        vm.expectRevert(abi.encodeWithSelector(Rollup.TooManyForcedRows.selector, 65));
        rollup.appendForcedBatch(rowsOf(0, 65), 1, 1);
        // 64 deposit rows (64 new deposits) and 64 tx rows: the largest forced batch, 128 rows.
        uint256 b = appendForcedWith(rows, 64, 64);
        bytes memory data = forcedDataWith(64, rows);
        assertEq(data.length, 27 + 128 * 124);
        assertEq(rollup.getBatch(b).dataHash, keccak256(data));
        assertEq(rollup.provenStepCount(b, 0, calldataProof(data), noRange()), 128);
        assertEq(rollup.forcedIncludedCount(), 64);
        assertEq(rollup.forcedDepositCount(), 64);
    }

    /// depositCountAfter: `dueDepositCount` when the batch has deposit rows (even below the previous batch's: deposits
    /// the batcher applied are new to forced batches, and their rows are then no-ops), else the previous batch's (the
    /// checked `dueDepositCount` is ignored).
    function test_depositCountAfterOfForcedBatches() public {
        depositN(3);
        vm.prank(batcher);
        rollup.appendBatchCalldata(1, 1, 2, hex"01"); // batch 0: 2 deposits
        bytes[] memory rows = rowsOf(330, 2);
        queueAll(sub(rows, 0, 1));
        vm.warp(block.timestamp + INCLUSION_WINDOW);
        assertEq(appendForcedWith(sub(rows, 0, 1), 3, 0), 1);
        assertEq(rollup.getBatch(1).depositCountAfter, 2, "no deposit rows: the previous batch's");
        assertEq(rollup.forcedDepositCount(), 0, "no deposit rows: nothing forced");
        assertEq(appendForcedWith(noRows(), 1, 1), 2);
        queueAll(sub(rows, 1, 1));
        vm.warp(block.timestamp + INCLUSION_WINDOW);
        assertEq(rollup.getBatch(2).depositCountAfter, 1, "deposit rows: dueDepositCount, even below the previous");
        assertEq(rollup.forcedDepositCount(), 1);
        assertEq(appendForcedWith(sub(rows, 1, 1), 3, 2), 3);
        assertEq(rollup.getBatch(3).depositCountAfter, 3);
        assertEq(rollup.forcedDepositCount(), 3);
        assertEq(rollup.forcedIncludedCount(), 2);
    }

    /// Kind 2 on forced batches with deposit rows: the step count is deposit rows + tx rows.
    function test_kind2OnForcedBatchesWithDepositRows() public {
        depositN(4);
        bytes[] memory rows = rowsOf(340, 2);
        vm.warp(block.timestamp + INCLUSION_WINDOW);
        uint256 b0 = appendForcedWith(noRows(), 3, 3); // deposits only: #0..#2
        queueAll(rows);
        vm.warp(block.timestamp + INCLUSION_WINDOW);
        uint256 b1 = appendForcedWith(rows, 4, 1); // deposits (#3) + txs
        bytes memory data0 = forcedDataWith(3, noRows());
        bytes memory data1 = forcedDataWith(1, rows);
        uint64[3] memory preBlocks = [uint64(0), 7, type(uint64).max];
        for (uint256 i = 0; i < preBlocks.length; i++) {
            assertEq(rollup.provenStepCount(b0, preBlocks[i], calldataProof(data0), noRange()), 3);
            assertEq(rollup.provenStepCount(b1, preBlocks[i], calldataProof(data1), noRange()), 3);
        }
        StateCommitment.StateHeader memory end0 = header(keccak256("a0"), keccak256("w0"), 0);
        StateCommitment.StateHeader memory end1 = header(keccak256("a1"), keccak256("w1"), 0);
        uint256 p0 = proposeSteps(b0, 3, end0);
        vm.expectEmit(address(rollup));
        emit ChallengeLost(p0, 2, challenger, 3, proposer, CHALLENGE_BOND);
        assertFalse(challengeCount(p0, genesisHeader(), data0));
        // Counting only the tx rows (2) is wrong.
        uint256 p1 = proposeSteps(b1, 2, end1);
        vm.expectEmit(address(rollup));
        emit ChallengeWon(p1, 2, challenger, 3, CHALLENGE_BOND + BOND / 2, BOND - BOND / 2);
        assertTrue(challengeCount(p1, end0, data1));
        uint256 q1 = proposeSteps(b1, 3, end1);
        assertFalse(challengeCount(q1, end0, data1));
    }

    /// Random deposit counts, deposits already forced, deposit-row and tx-row counts: the data is header ‖ deposit
    /// rows ‖ tx rows exactly, kind 2 proves the sum, and deposit rows take exactly one row per new deposit.
    function testFuzz_forcedBatchWithDepositRows(
        uint8 depositCountSeed,
        uint8 forcedSeed,
        uint8 depositRowsSeed,
        uint8 txRowsSeed,
        uint256 seed
    ) public {
        uint256 due = bound(depositCountSeed, 1, 80);
        uint256 forced = bound(forcedSeed, 0, due - 1 < 64 ? due - 1 : 64);
        depositN(due);
        vm.warp(block.timestamp + INCLUSION_WINDOW);
        uint256 first = 0;
        if (forced != 0) {
            // forge-lint: disable-next-line(unsafe-typecast) forced <= 64
            assertEq(appendForcedWith(noRows(), uint64(forced), uint16(forced)), 0);
            first = 1;
        }
        assertEq(rollup.forcedDepositCount(), forced);
        uint256 fresh = due - forced;
        // Either no deposit rows, or exactly one per deposit forced (at most 64 at once).
        uint256 d = depositRowsSeed % 2 == 0 ? 0 : (fresh < 64 ? fresh : 64);
        if (d != 0) due = forced + d;
        uint256 n = bound(txRowsSeed, d == 0 ? 1 : 0, 64);
        bytes[] memory rows = rowsOf(seed % 1e9, n);
        queueAll(rows);
        vm.warp(block.timestamp + INCLUSION_WINDOW);
        // One row more than the new deposits reverts.
        if (fresh < 64) {
            vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedDepositsNotNew.selector, due, forced, fresh + 1));
            // forge-lint: disable-next-line(unsafe-typecast) due <= 80, fresh < 64
            rollup.appendForcedBatch(rows, uint64(due), uint16(fresh + 1));
        }
        // One row fewer than the new deposits reverts too: it would mark a deposit forced that no row applied.
        if (d > 1) {
            vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedDepositsNotNew.selector, due, forced, d - 1));
            // forge-lint: disable-next-line(unsafe-typecast) due <= 80, d <= 64
            rollup.appendForcedBatch(rows, uint64(due), uint16(d - 1));
        }
        bytes memory data = forcedDataWith(d, rows);
        vm.expectEmit(address(rollup));
        emit ForcedBatchAppended(first, 0, data);
        // forge-lint: disable-next-line(unsafe-typecast) due <= 80, d <= 64
        uint256 b = appendForcedWith(rows, uint64(due), uint16(d));
        assertEq(b, first);
        assertEq(rollup.getBatch(b).dataHash, keccak256(data));
        assertEq(rollup.getBatch(b).depositCountAfter, d == 0 ? forced : due);
        assertEq(rollup.forcedDepositCount(), d == 0 ? forced : due);
        assertEq(rollup.forcedIncludedCount(), n);
        // forge-lint: disable-next-line(unsafe-typecast) any pre-state block number: truncation is the point
        assertEq(rollup.provenStepCount(b, uint64(seed), calldataProof(data), noRange()), d + n);
        // Once forced, the same deposits cannot be forced again.
        if (d != 0) {
            vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedDepositsNotNew.selector, due, due, 1));
            // forge-lint: disable-next-line(unsafe-typecast) due <= 80
            rollup.appendForcedBatch(noRows(), uint64(due), 1);
        }
    }

    // ------------------------------------------------- each deposit forced once

    function test_forcedDepositCountFollowsDepositRowsOnly() public {
        assertEq(rollup.forcedDepositCount(), 0);
        depositN(3);
        bytes[] memory rows = rowsOf(350, 2);
        queueAll(sub(rows, 0, 1));
        vm.warp(block.timestamp + INCLUSION_WINDOW);
        // Tx rows only: dueDepositCount is checked but forces nothing.
        appendForcedWith(sub(rows, 0, 1), 3, 0);
        assertEq(rollup.forcedDepositCount(), 0);
        appendForcedWith(noRows(), 2, 2);
        queueAll(sub(rows, 1, 1));
        vm.warp(block.timestamp + INCLUSION_WINDOW);
        assertEq(rollup.forcedDepositCount(), 2, "one row per deposit forced");
        appendForcedWith(sub(rows, 1, 1), 3, 1);
        assertEq(rollup.forcedDepositCount(), 3);
        // A new Rollup starts at 0.
        Rollup r = new Rollup(
            address(portal), batcher, WINDOW, BOND, CHALLENGE_BOND, genesisHeader(), L2_CHAIN_ID, L2_BASE_FEE, 10
        );
        assertEq(r.forcedDepositCount(), 0);
    }

    /// Deposit rows need `dueDepositCount > forcedDepositCount()`.
    function test_dueDepositCountMustBeAboveForcedDepositCount() public {
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedDepositsNotNew.selector, 0, 0, 1));
        rollup.appendForcedBatch(noRows(), 0, 1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedDepositsNotNew.selector, 0, 0, 64));
        rollup.appendForcedBatch(noRows(), 0, 64);
        depositN(3);
        vm.warp(block.timestamp + INCLUSION_WINDOW);
        appendForcedWith(noRows(), 2, 2);
        uint64[3] memory notAbove = [uint64(2), 1, 0];
        for (uint256 i = 0; i < notAbove.length; i++) {
            vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedDepositsNotNew.selector, notAbove[i], 2, 1));
            rollup.appendForcedBatch(noRows(), notAbove[i], 1);
        }
        // With tx rows too.
        bytes[] memory rows = rowsOf(360, 1);
        queueAll(rows);
        vm.warp(block.timestamp + INCLUSION_WINDOW);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedDepositsNotNew.selector, 2, 2, 1));
        rollup.appendForcedBatch(rows, 2, 1);
        assertEq(rollup.batchCount(), 1);
        assertEq(rollup.forcedDepositCount(), 2);
        assertEq(rollup.forcedIncludedCount(), 0);
        // The remaining deposit goes in.
        assertEq(appendForcedWith(rows, 3, 1), 1);
        assertEq(rollup.forcedDepositCount(), 3);
    }

    /// At most `dueDepositCount − forcedDepositCount()` deposit rows.
    function test_atMostOneDepositRowPerNewDeposit() public {
        depositN(3);
        vm.warp(block.timestamp + INCLUSION_WINDOW);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedDepositsNotNew.selector, 3, 0, 4));
        rollup.appendForcedBatch(noRows(), 3, 4);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedDepositsNotNew.selector, 1, 0, 2));
        rollup.appendForcedBatch(noRows(), 1, 2);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedDepositsNotNew.selector, 3, 0, 64));
        rollup.appendForcedBatch(noRows(), 3, 64);
        assertEq(appendForcedWith(noRows(), 1, 1), 0);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedDepositsNotNew.selector, 3, 1, 3));
        rollup.appendForcedBatch(noRows(), 3, 3);
        // Exactly one row per new deposit (a deposit the sequencer applied makes its row a no-op).
        assertEq(appendForcedWith(noRows(), 3, 2), 1);
        assertEq(rollup.getBatch(1).depositCountAfter, 3);
        assertEq(rollup.getBatch(1).dataHash, keccak256(forcedDataWith(2, noRows())));
        assertEq(rollup.forcedDepositCount(), 3);
    }

    /// A second forced batch cannot re-force deposits a forced batch covered (however many rows), so no-op deposit
    /// rows cannot be appended forever; tx rows alone still go in.
    function test_aSecondForcedBatchCannotReforceTheSameDeposits() public {
        depositN(2);
        bytes[] memory rows = rowsOf(370, 2);
        queueAll(sub(rows, 0, 1));
        vm.warp(block.timestamp + 1);
        queueAll(sub(rows, 1, 1));
        vm.warp(block.timestamp + INCLUSION_WINDOW - 1);
        assertEq(appendForcedWith(sub(rows, 0, 1), 2, 2), 0);
        vm.warp(block.timestamp + 1);
        assertEq(rollup.forcedDepositCount(), 2);
        for (uint16 d = 1; d <= 2; d++) {
            vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedDepositsNotNew.selector, 2, 2, d));
            rollup.appendForcedBatch(noRows(), 2, d);
            vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedDepositsNotNew.selector, 2, 2, d));
            rollup.appendForcedBatch(sub(rows, 1, 1), 2, d);
        }
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedDepositsNotNew.selector, 1, 2, 1));
        rollup.appendForcedBatch(noRows(), 1, 1);
        assertEq(rollup.batchCount(), 1);
        // The next queued tx alone: allowed, forcedDepositCount unchanged, depositCountAfter the previous batch's.
        assertEq(appendForcedWith(sub(rows, 1, 1), 2, 0), 1);
        assertEq(rollup.getBatch(1).depositCountAfter, 2);
        assertEq(rollup.forcedDepositCount(), 2);
        assertEq(rollup.forcedIncludedCount(), 2);
        // Nothing left to force.
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedDepositsNotNew.selector, 2, 2, 1));
        rollup.appendForcedBatch(noRows(), 2, 1);
    }

    /// A later forced batch forces newer deposits, once they are due.
    function test_aLaterForcedBatchForcesNewerDeposits() public {
        depositN(2);
        vm.warp(block.timestamp + INCLUSION_WINDOW);
        assertEq(appendForcedWith(noRows(), 2, 2), 0);
        uint256 t1 = block.timestamp;
        depositN(2); // #2, #3
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedDepositNotDue.selector, 3, t1 + INCLUSION_WINDOW));
        rollup.appendForcedBatch(noRows(), 4, 2);
        vm.warp(t1 + INCLUSION_WINDOW);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedDepositsNotNew.selector, 4, 2, 3));
        rollup.appendForcedBatch(noRows(), 4, 3);
        bytes memory data = forcedDataWith(2, noRows());
        vm.expectEmit(address(rollup));
        emit BatchAppended(1, 0, 0, 4, false, keccak256(data), new bytes32[](0));
        assertEq(appendForcedWith(noRows(), 4, 2), 1);
        assertEq(rollup.forcedDepositCount(), 4);
        // One at a time works too.
        depositN(1);
        vm.warp(block.timestamp + INCLUSION_WINDOW);
        assertEq(appendForcedWith(noRows(), 5, 1), 2);
        assertEq(rollup.forcedDepositCount(), 5);
        assertEq(rollup.getBatch(2).depositCountAfter, 5);
    }
}

/// @dev `vm.load`, to check how the portal packs deposit times.
interface VmLoad {
    function load(address target, bytes32 slot) external view returns (bytes32);
}

/// @notice `Portal.depositQueuedAt`: four 64-bit times per storage slot.
contract DepositQueuedAtTest is OptimisticFixture {
    VmLoad internal constant vmLoad = VmLoad(address(uint160(uint256(keccak256("hevm cheat code")))));
    /// @dev Storage slot of `Portal._depositTimes` (`forge inspect Portal storageLayout`).
    uint256 internal constant DEPOSIT_TIMES_SLOT = 3;

    function timesSlot(uint256 slotIndex) internal view returns (uint256) {
        return uint256(vmLoad.load(address(portal), keccak256(abi.encode(slotIndex, DEPOSIT_TIMES_SLOT))));
    }

    function test_anEmptyPortalHasNoDepositTime() public {
        vm.expectRevert(abi.encodeWithSelector(Portal.UnknownDeposit.selector, 0, 0));
        portal.depositQueuedAt(0);
    }

    /// 11 deposits (ETH and ERC-20) at distinct times over three slots: each reads back its own time, the slots hold
    /// exactly the packed lanes, and the next index is unknown.
    function test_depositTimesAcrossSlotBoundaries() public {
        vm.prank(alice);
        token.approve(address(portal), type(uint256).max);
        uint64[] memory times = new uint64[](11);
        for (uint256 i = 0; i < 11; i++) {
            vm.warp(block.timestamp + 1 + i * i * 37);
            times[i] = uint64(block.timestamp);
            uint256 fee = portal.tokenRegistrationFee(address(token));
            vm.prank(alice);
            uint256 index = i % 3 == 1
                ? portal.depositERC20{value: fee}(address(token), bob, 1 + i)
                : portal.depositETH{value: 1 + i}(bob);
            assertEq(index, i);
            for (uint256 j = 0; j <= i; j++) {
                assertEq(portal.depositQueuedAt(j), times[j]);
            }
        }
        for (uint256 k = 0; k < 3; k++) {
            uint256 expected = 0;
            for (uint256 lane = 0; lane < 4 && 4 * k + lane < 11; lane++) {
                expected |= uint256(times[4 * k + lane]) << (64 * lane);
            }
            assertEq(timesSlot(k), expected);
        }
        assertEq(timesSlot(3), 0);
        vm.expectRevert(abi.encodeWithSelector(Portal.UnknownDeposit.selector, 11, 11));
        portal.depositQueuedAt(11);
        vm.expectRevert(abi.encodeWithSelector(Portal.UnknownDeposit.selector, type(uint256).max, 11));
        portal.depositQueuedAt(type(uint256).max);
    }

    /// Times with every bit set do not spill into the neighbouring lanes.
    function test_fullWidthTimesStayInTheirLanes() public {
        vm.warp(type(uint64).max - 5);
        for (uint256 i = 0; i < 6; i++) {
            vm.prank(alice);
            portal.depositETH{value: 1}(bob);
            vm.warp(block.timestamp + 1);
        }
        for (uint256 i = 0; i < 6; i++) {
            assertEq(portal.depositQueuedAt(i), type(uint64).max - 5 + i);
        }
        assertEq(timesSlot(1) >> 128, 0, "lanes 2 and 3 of slot 1 untouched");
    }

    function testFuzz_depositQueuedAt(uint8 countSeed, uint256 seed, uint64 start) public {
        uint256 n = bound(countSeed, 1, 40);
        uint256 t = bound(start, 1, type(uint64).max >> 1);
        uint64[] memory times = new uint64[](n);
        for (uint256 i = 0; i < n; i++) {
            // Gaps of 0 (same block) up to ~2^32 seconds.
            t += uint256(keccak256(abi.encode(seed, i))) % 4 == 0
                ? 0
                : uint256(keccak256(abi.encode(seed, i, 1))) >> 224;
            vm.warp(t);
            times[i] = uint64(t);
            vm.prank(alice);
            portal.depositETH{value: 1}(bob);
        }
        for (uint256 i = 0; i < n; i++) {
            assertEq(portal.depositQueuedAt(i), times[i]);
        }
        vm.expectRevert(abi.encodeWithSelector(Portal.UnknownDeposit.selector, n, n));
        portal.depositQueuedAt(n);
    }
}

/// @notice Gas of `depositETH` with deposit times packed four per slot: a deposit whose index is a multiple of 4 starts
///         a slot, the others share one (`forge test --match-contract DepositTimeGas -vv`).
abstract contract DepositTimeGasBase is OptimisticFixture {
    function setUp() public virtual override {
        super.setUp();
        vm.startPrank(alice);
        for (uint256 i = 0; i < depositsBefore(); i++) {
            portal.depositETH{value: 1 ether}(alice);
        }
        vm.stopPrank();
    }

    function depositsBefore() internal pure virtual returns (uint256);

    function measure(string memory label) internal {
        vm.prank(alice);
        uint256 g = gasleft();
        portal.depositETH{value: 1 ether}(bob);
        emit log_named_uint(label, g - gasleft());
    }
}

contract DepositTimeGasTest is DepositTimeGasBase {
    function depositsBefore() internal pure override returns (uint256) {
        return 4;
    }

    function test_gas_depositETH_startsASlot() public {
        measure("gas: depositETH #4 (starts a time slot)");
    }

    function test_gas_depositETH_firstEver() public {
        OptimisticFixture.setUp();
        measure("gas: depositETH #0 (first ever)");
    }
}

contract DepositTimeGasSharedSlotTest is DepositTimeGasBase {
    function depositsBefore() internal pure override returns (uint256) {
        return 5;
    }

    function test_gas_depositETH_sharedSlot() public {
        measure("gas: depositETH #5 (shares a time slot)");
    }
}

/// @notice Kind 3 on a forced batch with real witnesses: batch 0 (batcher) deposits 10 ether for alice and closes block
///         1; forced batch 1 holds alice's transfer to dave (a new account) and her withdrawal, queued on L1. The
///         rows are read from the forced batch's data, supplied as the calldata DataProof.
contract ForceInclusionStepTest is ChallengeStepBase {
    struct Forced {
        bytes[] rows;
        bytes data;
        StateCommitment.StateHeader[] headers; // L0 = the state after batch 0
        bytes[] witnesses;
        bytes trace;
        StateCommitment.StateHeader end0;
    }

    function forcedRun() internal returns (Forced memory f) {
        vm.prank(alice);
        portal.depositETH{value: 10 ether}(alice);
        bytes memory data0 = bytes.concat(
            abi.encodePacked(uint8(3), uint64(1), uint32(2), bytes14(0)), _depositRow(), _blockEndRow(1000)
        );
        Model memory m = _genesis();
        StateCommitment.StateHeader[] memory h0 = new StateCommitment.StateHeader[](3);
        h0[0] = _header(m);
        StepVerifier.StepWitness memory w;
        (w, m) = _depositWitness(m, StepVerifier.Deposit({from: alice, to: alice, tokenIndex: 0, amount: 10 ether}));
        h0[1] = _header(m);
        m.blockNumber++;
        h0[2] = _header(m);
        f.end0 = h0[2];
        assertEq(appendWithDeposits(data0, 1), 0);
        assertEq(proposeTrace(0, h0[2], traceOfHeaders(h0)), 0);

        L2TxLib.Tx memory transfer = signedTx(L2TxLib.KIND_ETH_TRANSFER, dave, 1 ether, 0);
        L2TxLib.Tx memory withdrawal = signedTx(L2TxLib.KIND_WITHDRAW_ETH, l1Recipient, 2 ether, 1);
        f.rows = new bytes[](2);
        f.rows[0] = _txRow(transfer);
        f.rows[1] = _txRow(withdrawal);
        vm.startPrank(alice);
        rollup.queueForcedTx(f.rows[0]);
        rollup.queueForcedTx(f.rows[1]);
        vm.stopPrank();
        vm.warp(block.timestamp + rollup.inclusionWindow());
        assertEq(rollup.appendForcedBatch(f.rows, 0, 0), 1);
        f.data = bytes.concat(abi.encodePacked(uint8(3), uint64(0), uint32(2), bytes14(0)), f.rows[0], f.rows[1]);
        assertEq(rollup.getBatch(1).dataHash, keccak256(f.data));
        assertEq(rollup.getBatch(1).depositCountAfter, 1);

        f.headers = new StateCommitment.StateHeader[](3);
        f.witnesses = new bytes[](3);
        f.headers[0] = _header(m);
        bool applied;
        (w, m, applied) = _txWitness(m, transfer, alice, TxExecutor.gasOf(transfer.kind) * 2 gwei, address(0));
        assertTrue(applied, "transfer applies");
        f.witnesses[1] = abi.encode(w);
        f.headers[1] = _header(m);
        (w, m, applied) = _txWitness(m, withdrawal, alice, TxExecutor.gasOf(withdrawal.kind) * 2 gwei, address(0));
        assertTrue(applied, "withdrawal applies");
        f.witnesses[2] = abi.encode(w);
        f.headers[2] = _header(m);
        assertEq(f.headers[2].blockNumber, 1, "a forced batch closes no block");
        f.trace = traceOfHeaders(f.headers);
    }

    function test_anHonestForcedBatchSurvivesEveryStepAndItsStepCount() public {
        Forced memory f = forcedRun();
        uint256 p = proposeTrace(1, f.headers[2], f.trace);
        for (uint64 s = 1; s <= 2; s++) {
            vm.expectEmit(address(rollup));
            emit ChallengeLost(p, 3, challenger, s, proposer, CHALLENGE_BOND);
            (bool won, uint256 gasUsed) =
                challenge(p, s, f.headers[s - 1], calldataProof(f.trace), calldataProof(f.data), f.witnesses[s]);
            assertFalse(won, "honest step");
            emit log_named_uint("gas: challengeStep on a forced batch row (calldata, lost)", gasUsed);
        }
        commitAs(challenger, abi.encodeCall(Rollup.challengeStepCount, (p, f.end0, calldataProof(f.data), noRange())));
        vm.prank(challenger);
        assertFalse(rollup.challengeStepCount{value: CHALLENGE_BOND}(p, f.end0, calldataProof(f.data), noRange()));
        assertEq(rollup.payouts(proposer), 3 * CHALLENGE_BOND);
        assertFalse(rollup.getProposal(p).deleted);
    }

    function test_aWrongStepOfAForcedBatchIsProven() public {
        Forced memory f = forcedRun();
        StateCommitment.StateHeader[] memory wrong = f.headers;
        wrong[1].accountsRoot = keccak256("dave got 2 ether");
        bytes memory trace = traceOfHeaders(wrong);
        uint256 p = proposeTrace(1, wrong[2], trace);
        vm.expectEmit(address(rollup));
        emit ChallengeWon(p, 3, challenger, 1, CHALLENGE_BOND + BOND / 2, BOND - BOND / 2);
        (bool won,) = challenge(p, 1, wrong[0], calldataProof(trace), calldataProof(f.data), f.witnesses[1]);
        assertTrue(won, "step 1 is wrong");
        assertTrue(rollup.getProposal(p).deleted && rollup.getProposal(p).slashed);
        // The honest proposal follows proposal 0 again.
        uint256 q = proposeTrace(1, f.headers[2], f.trace);
        assertEq(rollup.parentCommitment(q), commitment(f.end0));
    }

    /// Batch 0 (batcher) = [deposit, block end] applies deposit #0 (whatever deposits are queued on L1) and closes
    /// block 1; proposal 0 is its honest trace. Returns the model after it.
    function batcherAppliesDeposit0(uint256 amount0) internal returns (Model memory m) {
        bytes memory data0 = bytes.concat(
            abi.encodePacked(uint8(3), uint64(1), uint32(2), bytes14(0)), _depositRow(), _blockEndRow(1000)
        );
        m = _genesis();
        StateCommitment.StateHeader[] memory h0 = new StateCommitment.StateHeader[](3);
        h0[0] = _header(m);
        StepVerifier.StepWitness memory w;
        (w, m) = _depositWitness(m, StepVerifier.Deposit({from: alice, to: alice, tokenIndex: 0, amount: amount0}));
        h0[1] = _header(m);
        m.blockNumber++;
        h0[2] = _header(m);
        assertEq(appendWithDeposits(data0, 1), 0);
        assertEq(proposeTrace(0, h0[2], traceOfHeaders(h0)), 0);
    }

    /// A deposits-only forced batch with real witnesses, over deposits the sequencer partly applied: alice deposits
    /// 10 ether (#0) then 5 ether (#1); batch 0 (batcher) applies #0 only. Both are due and no forced batch covered
    /// them, so forced batch 1 = [deposit, deposit] covers #0..#1 (depositCountAfter 2). Row 1 applies #1 (the L2
    /// state already has #0), row 2 is a no-op (the state's depositCount reached the batch's depositCountAfter).
    /// Returns the data, honest headers L0..L2 (L0 = the state after batch 0) and the witness of row 1.
    function forcedDeposits()
        internal
        returns (bytes memory data, StateCommitment.StateHeader[] memory h, bytes memory witness)
    {
        vm.startPrank(alice);
        portal.depositETH{value: 10 ether}(alice);
        portal.depositETH{value: 5 ether}(alice);
        vm.stopPrank();
        Model memory m = batcherAppliesDeposit0(10 ether);
        vm.warp(block.timestamp + rollup.inclusionWindow());
        assertEq(rollup.forcedDepositCount(), 0);
        assertEq(rollup.appendForcedBatch(new bytes[](0), 2, 2), 1);
        assertEq(rollup.forcedDepositCount(), 2);
        data = bytes.concat(abi.encodePacked(uint8(3), uint64(0), uint32(2), bytes14(0)), _depositRow(), _depositRow());
        assertEq(rollup.getBatch(1).dataHash, keccak256(data));
        assertEq(rollup.getBatch(1).depositCountAfter, 2);
        h = new StateCommitment.StateHeader[](3);
        h[0] = _header(m);
        assertEq(h[0].depositCount, 1);
        StepVerifier.StepWitness memory w;
        (w, m) = _depositWitness(m, StepVerifier.Deposit({from: alice, to: alice, tokenIndex: 0, amount: 5 ether}));
        witness = abi.encode(w);
        h[1] = _header(m);
        h[2] = _header(m); // a copy, not an alias of h[1]
        assertEq(h[2].depositCount, 2);
    }

    function test_forcedDepositRowsApplyTheDueDepositsThenNoOp() public {
        (bytes memory data, StateCommitment.StateHeader[] memory h, bytes memory witness) = forcedDeposits();
        bytes memory trace = traceOfHeaders(h);
        uint256 p = proposeTrace(1, h[2], trace);
        (bool won,) = challenge(p, 1, h[0], calldataProof(trace), calldataProof(data), witness);
        assertFalse(won, "the deposit the sequencer left out applies");
        (won,) = challenge(p, 2, h[1], calldataProof(trace), calldataProof(data), "");
        assertFalse(won, "the row for the deposit the sequencer applied is a no-op");
        commitAs(challenger, abi.encodeCall(Rollup.challengeStepCount, (p, h[0], calldataProof(data), noRange())));
        vm.prank(challenger);
        assertFalse(rollup.challengeStepCount{value: CHALLENGE_BOND}(p, h[0], calldataProof(data), noRange()));
        assertFalse(rollup.getProposal(p).deleted);
    }

    /// Skipping a due forced deposit (row 1 a no-op) is proven wrong.
    function test_skippingAForcedDepositIsProvenWrong() public {
        (bytes memory data, StateCommitment.StateHeader[] memory h, bytes memory witness) = forcedDeposits();
        h[1] = h[0];
        h[2] = h[0];
        bytes memory trace = traceOfHeaders(h);
        uint256 p = proposeTrace(1, h[2], trace);
        (bool won,) = challenge(p, 1, h[0], calldataProof(trace), calldataProof(data), witness);
        assertTrue(won, "a due forced deposit must apply");
    }

    /// Changing the state at the extra deposit row is proven wrong.
    function test_anExtraForcedDepositRowChangesNothing() public {
        (bytes memory data, StateCommitment.StateHeader[] memory h,) = forcedDeposits();
        h[2].depositCount = 3;
        bytes memory trace = traceOfHeaders(h);
        uint256 p = proposeTrace(1, h[2], trace);
        (bool won,) = challenge(p, 2, h[1], calldataProof(trace), calldataProof(data), "");
        assertTrue(won, "deposit rows past depositCountAfter are no-ops");
    }

    /// A deposit the sequencer already applied may still be forced once (it is new to forced batches): the row is a
    /// no-op, and a proposal that applies it again is proven wrong. Forcing it a second time reverts.
    function test_forcingADepositTheSequencerAppliedIsANoOp() public {
        vm.prank(alice);
        portal.depositETH{value: 10 ether}(alice);
        Model memory m = batcherAppliesDeposit0(10 ether);
        vm.warp(block.timestamp + rollup.inclusionWindow());
        assertEq(rollup.appendForcedBatch(new bytes[](0), 1, 1), 1);
        assertEq(rollup.forcedDepositCount(), 1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedDepositsNotNew.selector, 1, 1, 1));
        rollup.appendForcedBatch(new bytes[](0), 1, 1);
        bytes memory data = bytes.concat(abi.encodePacked(uint8(3), uint64(0), uint32(1), bytes14(0)), _depositRow());
        assertEq(rollup.getBatch(1).dataHash, keccak256(data));
        assertEq(rollup.getBatch(1).depositCountAfter, 1);
        StateCommitment.StateHeader[] memory h = new StateCommitment.StateHeader[](2);
        h[0] = _header(m);
        // Applying deposit #0 again (10 more ether for alice) is wrong.
        (, Model memory twice) =
            _depositWitness(m, StepVerifier.Deposit({from: alice, to: alice, tokenIndex: 0, amount: 10 ether}));
        h[1] = _header(twice);
        bytes memory trace = traceOfHeaders(h);
        uint256 q = proposeTrace(1, h[1], trace);
        (bool won,) = challenge(q, 1, h[0], calldataProof(trace), calldataProof(data), "");
        assertTrue(won, "a forced deposit row never applies a deposit twice");
        assertTrue(rollup.getProposal(q).deleted);
        // The honest proposal: the row is a no-op.
        h[1] = _header(m);
        trace = traceOfHeaders(h);
        uint256 p = proposeTrace(1, h[1], trace);
        (won,) = challenge(p, 1, h[0], calldataProof(trace), calldataProof(data), "");
        assertFalse(won, "the deposit is already applied: a no-op row");
    }

    /// A proposer that treats the forced batch as invalid (0 steps, state unchanged) loses to kind 2.
    function test_treatingAForcedBatchAsInvalidIsProvenWrong() public {
        Forced memory f = forcedRun();
        uint256 p = proposeTrace(1, f.end0, abi.encodePacked(commitment(f.end0)));
        assertEq(rollup.getProposal(p).stepCount, 0);
        commitAs(challenger, abi.encodeCall(Rollup.challengeStepCount, (p, f.end0, calldataProof(f.data), noRange())));
        vm.prank(challenger);
        assertTrue(rollup.challengeStepCount{value: CHALLENGE_BOND}(p, f.end0, calldataProof(f.data), noRange()));
    }
}

/// @notice Gas of the force-inclusion calls, one per test with the queue filled in setUp so storage is cold as in a
///         real transaction (`forge test --match-contract ForceInclusionGas -vv`). Execution gas of the call as the
///         test sees it (no 21,000, no calldata).
contract ForceInclusionGasTest is ForceInclusionBase {
    bytes[] internal rows;

    function setUp() public override {
        super.setUp();
        rows = rowsOf(1000, 64);
        vm.prank(batcher);
        rollup.appendBatchCalldata(1, 1, 0, hex"01");
        depositN(64);
        vm.warp(block.timestamp + 1); // the deposits are due a second before the first row
        // One row a second, so that exactly the first n are due at t0 + n − 1 + INCLUSION_WINDOW (a forced batch
        // takes every due row).
        t0 = block.timestamp;
        for (uint256 i = 0; i < rows.length; i++) {
            vm.warp(t0 + i);
            queueAll(sub(rows, i, 1));
        }
    }

    uint256 internal t0;

    /// Exactly the first `n` queued rows due.
    function dueFirst(uint256 n) internal {
        vm.warp(t0 + (n == 0 ? 0 : n - 1) + INCLUSION_WINDOW);
    }

    function measureAppend(uint256 n, string memory label) internal {
        bytes[] memory part = sub(rows, 0, n);
        dueFirst(n);
        vm.prank(carol);
        uint256 g = gasleft();
        rollup.appendForcedBatch(part, 0, 0);
        emit log_named_uint(label, g - gasleft());
    }

    function test_gas_queueForcedTx() public {
        bytes memory row = txRow(1);
        vm.prank(carol);
        uint256 g = gasleft();
        rollup.queueForcedTx(row);
        emit log_named_uint("gas: queueForcedTx (queue not empty)", g - gasleft());
    }

    function test_gas_queueForcedTx_first() public {
        Rollup r = new Rollup(
            address(portal), batcher, WINDOW, BOND, CHALLENGE_BOND, genesisHeader(), L2_CHAIN_ID, L2_BASE_FEE, 10
        );
        bytes memory row = txRow(1);
        vm.prank(carol);
        uint256 g = gasleft();
        r.queueForcedTx(row);
        emit log_named_uint("gas: queueForcedTx (first ever, counters slot zero)", g - gasleft());
    }

    function test_gas_appendForcedBatch_1row() public {
        measureAppend(1, "gas: appendForcedBatch, 1 row");
    }

    function test_gas_appendForcedBatch_64rows() public {
        measureAppend(64, "gas: appendForcedBatch, 64 rows");
    }

    function measureAppendWithDeposits(uint256 n, uint16 depositRows, string memory label) internal {
        bytes[] memory part = sub(rows, 0, n);
        // n = 0: deposits due (made before the rows), no row due yet.
        if (n == 0) vm.warp(t0 + INCLUSION_WINDOW - 1);
        else dueFirst(n);
        vm.prank(carol);
        uint256 g = gasleft();
        rollup.appendForcedBatch(part, depositRows, depositRows);
        emit log_named_uint(label, g - gasleft());
    }

    function test_gas_appendForcedBatch_1depositRow() public {
        measureAppendWithDeposits(0, 1, "gas: appendForcedBatch, 1 deposit row, no tx row");
    }

    function test_gas_appendForcedBatch_1depositRow_1row() public {
        measureAppendWithDeposits(1, 1, "gas: appendForcedBatch, 1 deposit row + 1 tx row");
    }

    function test_gas_appendForcedBatch_64depositRows_64rows() public {
        measureAppendWithDeposits(64, 64, "gas: appendForcedBatch, 64 deposit rows + 64 tx rows");
    }
}
