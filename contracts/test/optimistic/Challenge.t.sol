// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {BlobData} from "../../src/common/BlobData.sol";
import {DataSource} from "../../src/optimistic/DataSource.sol";
import {Portal} from "../../src/optimistic/Portal.sol";
import {L2TxLib} from "../../src/optimistic/L2TxLib.sol";
import {Rollup} from "../../src/optimistic/Rollup.sol";
import {StateCommitment} from "../../src/optimistic/StateCommitment.sol";
import {StepVerifier} from "../../src/optimistic/StepVerifier.sol";
import {TxExecutor} from "../../src/optimistic/TxExecutor.sol";
import {ChallengeCommit} from "../utils/ChallengeCommit.sol";
import {MerkleTree} from "../utils/MerkleTree.sol";
import {EthRejecter, RollupHarness} from "../utils/Mocks.sol";
import {Test} from "../utils/Test.sol";
import {StepVectors} from "../vectors/StepVectors.sol";
import {StepModel, VmSigner} from "./StepVerifier.t.sol";
import {VectorPortal} from "./StepVectors.t.sol";
import {ChallengeVectors} from "../vectors/ChallengeVectors.sol";
import {OptimisticFixture} from "./Fixture.sol";

/// @notice Receives payouts and, when armed, re-enters the rollup from `receive` (withdrawPayout, claimBond or a
///         challenge); records the revert data of the nested call.
contract ReentrantPayee {
    Rollup public rollup;
    bytes public nestedError;
    bool public nestedOk;
    uint8 public mode; // 0 = off, 1 = withdrawPayout, 2 = claimBond(claimIndex), 3 = challengeStepCount
    uint256 public claimIndex;
    StateCommitment.StateHeader internal _parent;
    bytes internal _batchData;

    constructor(Rollup rollup_) {
        rollup = rollup_;
    }

    function arm(uint8 mode_, uint256 claimIndex_, StateCommitment.StateHeader calldata parent, bytes calldata data)
        external
    {
        mode = mode_;
        claimIndex = claimIndex_;
        _parent = parent;
        _batchData = data;
    }

    function challenge(uint256 proposalIndex, StateCommitment.StateHeader calldata parent, bytes calldata data)
        external
        payable
    {
        BlobData.RangeProof memory none;
        DataSource.DataProof memory proof = DataSource.DataProof(new bytes32[](0), none, data);
        rollup.challengeStepCount{value: msg.value}(proposalIndex, parent, proof, none);
    }

    function withdraw() external {
        rollup.withdrawPayout();
    }

    receive() external payable {
        uint8 m = mode;
        if (m == 0) return;
        mode = 0;
        bytes memory call;
        if (m == 1) {
            call = abi.encodeCall(Rollup.withdrawPayout, ());
        } else if (m == 2) {
            call = abi.encodeCall(Rollup.claimBond, (claimIndex));
        } else {
            BlobData.RangeProof memory none;
            DataSource.DataProof memory proof = DataSource.DataProof(new bytes32[](0), none, _batchData);
            call = abi.encodeCall(Rollup.challengeStepCount, (claimIndex, _parent, proof, none));
        }
        (bool ok, bytes memory ret) = address(rollup).call(call);
        nestedOk = ok;
        nestedError = ret;
    }
}

/// @notice Shared helpers: v3 batch data, traces, data proofs from the generated blob vectors.
abstract contract ChallengeBase is OptimisticFixture, ChallengeVectors {
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
    event ProposalsDeleted(uint256 indexed fromProposalIndex, uint256 toProposalIndex);

    address internal constant DEAD = 0x000000000000000000000000000000000000dEaD;
    /// @dev Stand-in versioned hash of a trace blob: a 1024-step trace is over the calldata trace limit, and kind 2
    ///      reads only the proposal's step count.
    bytes32 internal constant LONG_TRACE_VH = keccak256("1024-step trace blob");
    address internal challenger = makeAddr("challenger");

    function setUp() public virtual override {
        super.setUp();
        vm.deal(challenger, 100 ether);
    }

    // ------------------------------------------------------------- batch data

    function blockEndRow(uint64 timestamp) internal pure returns (bytes memory row) {
        row = new bytes(124);
        row[0] = 0x02;
        for (uint256 i = 0; i < 8; i++) {
            row[1 + i] = bytes1(uint8(timestamp >> (56 - 8 * i)));
        }
    }

    function depositRow() internal pure returns (bytes memory row) {
        row = new bytes(124);
        row[0] = 0x01;
    }

    /// v3 batch: header(version 3, firstBlockNumber, rowCount) ‖ rows; `rows` alternate deposit / block end and end
    /// with a block end.
    function batchData(uint64 firstBlockNumber, uint32 rowCount) internal pure returns (bytes memory data) {
        data = abi.encodePacked(uint8(3), firstBlockNumber, rowCount, bytes14(0));
        for (uint256 r = 0; r < rowCount; r++) {
            bool last = r + 1 == rowCount;
            data = bytes.concat(data, last || r % 2 == 1 ? blockEndRow(uint64(1000 + r)) : depositRow());
        }
    }

    function appendData(bytes memory data) internal returns (uint256 batchIndex) {
        vm.prank(batcher);
        return rollup.appendBatchCalldata(1, 1, 0, data);
    }

    function appendBlobBatch(bytes32[] memory hashes) internal returns (uint256 batchIndex) {
        vm.blobhashes(hashes);
        vm.prank(batcher);
        // forge-lint: disable-next-line(unsafe-typecast) at most 6 blobs
        return rollup.appendBatch(1, 1, 0, uint8(hashes.length));
    }

    // ---------------------------------------------------------------- traces

    function endHeader() internal pure returns (StateCommitment.StateHeader memory) {
        return header(keccak256("end accounts"), keccak256("end withdrawals"), 2);
    }

    /// Trace parent ‖ keccak(1..steps−1) ‖ commitment(end) (steps ≥ 1), or [parent] for steps = 0.
    function traceFor(bytes32 parent, uint256 steps, StateCommitment.StateHeader memory end)
        internal
        pure
        returns (bytes memory trace)
    {
        trace = new bytes(32 * (steps + 1));
        assembly ("memory-safe") {
            mstore(add(trace, 0x20), parent)
        }
        if (steps == 0) return trace;
        for (uint256 i = 1; i <= steps; i++) {
            bytes32 leaf = i == steps ? StateCommitment.commitment(end) : keccak256(abi.encode("leaf", i));
            assembly ("memory-safe") {
                mstore(add(trace, add(0x20, mul(32, i))), leaf)
            }
        }
    }

    /// Proposes `end` for batch `batchIndex` with a calldata trace of `steps` steps from the live parent (for 0
    /// steps, `end` must be the parent's header).
    function proposeSteps(uint256 batchIndex, uint256 steps, StateCommitment.StateHeader memory end)
        internal
        returns (uint256)
    {
        (, bytes32 parent) = rollup.nextProposalParent();
        bytes32 dataHash = rollup.getBatch(batchIndex).dataHash;
        bytes memory trace = traceFor(parent, steps, end);
        vm.prank(proposer);
        return rollup.proposeCalldata{value: BOND}(batchIndex, dataHash, end, trace);
    }

    function proposeBlobTrace(uint256 batchIndex, uint64 steps, StateCommitment.StateHeader memory end, bytes32 vh)
        internal
        returns (uint256)
    {
        vm.blobhashes(one(vh));
        bytes32 dataHash = rollup.getBatch(batchIndex).dataHash;
        vm.prank(proposer);
        return rollup.propose{value: BOND}(batchIndex, dataHash, end, steps, 1);
    }

    // ------------------------------------------------------------ data proofs

    function one(bytes32 h) internal pure returns (bytes32[] memory out) {
        out = new bytes32[](1);
        out[0] = h;
    }

    function two(bytes32 a, bytes32 b) internal pure returns (bytes32[] memory out) {
        out = new bytes32[](2);
        out[0] = a;
        out[1] = b;
    }

    function slice(bytes memory b, uint256 start, uint256 length) internal pure returns (bytes memory out) {
        out = new bytes(length);
        for (uint256 i = 0; i < length; i++) {
            out[i] = b[start + i];
        }
    }

    /// Openings `from .. from + count − 1` of a vector's packed VALUES / PROOFS, with `commitments`.
    function rangeOf(bytes memory commitments, bytes memory values, bytes memory proofs, uint256 from, uint256 count)
        internal
        pure
        returns (BlobData.RangeProof memory r)
    {
        r.commitments = commitments;
        r.values = new bytes32[](count);
        for (uint256 k = 0; k < count; k++) {
            bytes32 v;
            uint256 at = 32 * (from + k);
            assembly ("memory-safe") {
                v := mload(add(add(values, 0x20), at))
            }
            r.values[k] = v;
        }
        r.proofs = slice(proofs, 48 * from, 48 * count);
    }

    function blobProof(bytes32[] memory hashes, BlobData.RangeProof memory range)
        internal
        pure
        returns (DataSource.DataProof memory p)
    {
        p.versionedHashes = hashes;
        p.range = range;
    }

    function calldataProof(bytes memory data) internal pure returns (DataSource.DataProof memory p) {
        p.data = data;
    }

    function noRange() internal pure returns (BlobData.RangeProof memory r) {}
}

contract ChallengeTest is ChallengeBase {
    // ---------------------------------------------------------------- vectors

    function test_vectorsAgreeWithTheFixtureHeaders() public pure {
        assertEq(V_GENESIS_COMMITMENT, commitment(genesisHeader()), "genesis");
        assertEq(V_END_COMMITMENT, commitment(endHeader()), "end");
    }

    // ------------------------------------------------------ kind 1 (real KZG)

    function traceRange(bytes memory c, bytes memory values, bytes memory proofs, uint8 bound)
        internal
        pure
        returns (BlobData.RangeProof memory)
    {
        // length: payload [0, 4) = element 0; L0: payload [4, 36) = elements 0, 1; L2: payload [68, 100) = 2, 3.
        if (bound == 0) return rangeOf(c, values, proofs, 0, 1);
        if (bound == 1) return rangeOf(c, values, proofs, 0, 2);
        return rangeOf(c, values, proofs, 2, 2);
    }

    function challengeBound(uint256 proposalIndex, uint8 bound, bytes32 vh, BlobData.RangeProof memory range)
        internal
        returns (bool)
    {
        commitAs(
            challenger, abi.encodeCall(Rollup.challengeTraceBounds, (proposalIndex, bound, blobProof(one(vh), range)))
        );
        vm.prank(challenger);
        return rollup.challengeTraceBounds{value: CHALLENGE_BOND}(proposalIndex, bound, blobProof(one(vh), range));
    }

    /// A correct blob trace (byte 0 of every element 0x01: ignored) survives all three bounds; each losing
    /// challenge pays its bond to the proposer, and the proposal still finalizes.
    function test_traceBoundsOfACorrectBlobTraceLoseAndPayTheProposer() public {
        appendCalldataBatch();
        uint256 p = proposeBlobTrace(0, 2, endHeader(), T_GOOD_VH0);
        for (uint8 bound = 0; bound < 3; bound++) {
            vm.expectEmit(address(rollup));
            emit ChallengeLost(p, 1, challenger, bound, proposer, CHALLENGE_BOND);
            bool won = challengeBound(p, bound, T_GOOD_VH0, traceRange(T_GOOD_C0, T_GOOD_VALUES, T_GOOD_PROOFS, bound));
            assertFalse(won, "lost");
        }
        assertEq(rollup.payouts(proposer), 3 * CHALLENGE_BOND, "proposer owed the bonds");
        assertEq(rollup.payouts(challenger), 0);
        assertFalse(rollup.getProposal(p).deleted);
        passWindow();
        assertTrue(rollup.isFinalized(p));
        uint256 before = proposer.balance;
        vm.prank(proposer);
        rollup.withdrawPayout();
        rollup.claimBond(p);
        assertEq(proposer.balance, before + 3 * CHALLENGE_BOND + BOND);
        assertEq(address(rollup).balance, 0, "nothing left behind");
    }

    function test_wrongLengthPrefixIsProvenByTheFirstElement() public {
        appendCalldataBatch();
        uint256 p = proposeBlobTrace(0, 2, endHeader(), T_BAD_LEN_VH0);
        // Leaves are right: bounds 1 and 2 lose.
        assertFalse(
            challengeBound(p, 1, T_BAD_LEN_VH0, traceRange(T_BAD_LEN_C0, T_BAD_LEN_VALUES, T_BAD_LEN_PROOFS, 1))
        );
        assertFalse(
            challengeBound(p, 2, T_BAD_LEN_VH0, traceRange(T_BAD_LEN_C0, T_BAD_LEN_VALUES, T_BAD_LEN_PROOFS, 2))
        );
        uint256 deadBefore = DEAD.balance;
        vm.expectEmit(address(rollup));
        emit ChallengeWon(p, 1, challenger, 0, CHALLENGE_BOND + BOND / 2, BOND - BOND / 2);
        assertTrue(challengeBound(p, 0, T_BAD_LEN_VH0, traceRange(T_BAD_LEN_C0, T_BAD_LEN_VALUES, T_BAD_LEN_PROOFS, 0)));
        assertEq(DEAD.balance, deadBefore + BOND - BOND / 2, "half burnt");
        assertEq(rollup.payouts(challenger), CHALLENGE_BOND, "challenger: own bond back at once");
        claimReward(p);
        assertEq(rollup.payouts(challenger), CHALLENGE_BOND + BOND / 2, "challenger: own bond + half");
        assertEq(rollup.payouts(proposer), 2 * CHALLENGE_BOND, "the two lost challenges");
        Rollup.Proposal memory q = rollup.getProposal(p);
        assertTrue(q.deleted && q.slashed && q.bondClaimed, "deleted and slashed");
    }

    function test_wrongFirstLeafWins() public {
        appendCalldataBatch();
        uint256 p = proposeBlobTrace(0, 2, endHeader(), T_BAD_FIRST_VH0);
        assertFalse(
            challengeBound(p, 0, T_BAD_FIRST_VH0, traceRange(T_BAD_FIRST_C0, T_BAD_FIRST_VALUES, T_BAD_FIRST_PROOFS, 0))
        );
        assertTrue(
            challengeBound(p, 1, T_BAD_FIRST_VH0, traceRange(T_BAD_FIRST_C0, T_BAD_FIRST_VALUES, T_BAD_FIRST_PROOFS, 1))
        );
    }

    function test_wrongLastLeafWins() public {
        appendCalldataBatch();
        uint256 p = proposeBlobTrace(0, 2, endHeader(), T_BAD_LAST_VH0);
        assertFalse(
            challengeBound(p, 1, T_BAD_LAST_VH0, traceRange(T_BAD_LAST_C0, T_BAD_LAST_VALUES, T_BAD_LAST_PROOFS, 1))
        );
        assertTrue(
            challengeBound(p, 2, T_BAD_LAST_VH0, traceRange(T_BAD_LAST_C0, T_BAD_LAST_VALUES, T_BAD_LAST_PROOFS, 2))
        );
    }

    /// The same trace blob under a different claim: a proposal of another end state (or step count) is wrong.
    function test_aCorrectTraceProvesAProposalOfAnotherEndOrStepCountWrong() public {
        appendCalldataBatch();
        appendCalldataBatch();
        StateCommitment.StateHeader memory other = header(keccak256("other"), keccak256("w"), 2);
        uint256 p = proposeBlobTrace(0, 2, other, T_GOOD_VH0);
        assertTrue(challengeBound(p, 2, T_GOOD_VH0, traceRange(T_GOOD_C0, T_GOOD_VALUES, T_GOOD_PROOFS, 2)));
        // stepCount 1 with a 3-leaf trace: the length prefix (96) is not 64.
        uint256 q = proposeBlobTrace(0, 1, endHeader(), T_GOOD_VH0);
        assertTrue(challengeBound(q, 0, T_GOOD_VH0, traceRange(T_GOOD_C0, T_GOOD_VALUES, T_GOOD_PROOFS, 0)));
    }

    function test_traceBoundsRevertPaths() public {
        appendCalldataBatch();
        uint256 p = proposeBlobTrace(0, 2, endHeader(), T_GOOD_VH0);
        BlobData.RangeProof memory r0 = traceRange(T_GOOD_C0, T_GOOD_VALUES, T_GOOD_PROOFS, 0);
        DataSource.DataProof memory good = blobProof(one(T_GOOD_VH0), r0);
        vm.startPrank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Rollup.IncorrectBond.selector, 0, CHALLENGE_BOND));
        rollup.challengeTraceBounds(p, 0, good);
        vm.expectRevert(abi.encodeWithSelector(Rollup.IncorrectBond.selector, CHALLENGE_BOND + 1, CHALLENGE_BOND));
        rollup.challengeTraceBounds{value: CHALLENGE_BOND + 1}(p, 0, good);
        vm.expectRevert(abi.encodeWithSelector(Rollup.UnknownProposal.selector, 1));
        rollup.challengeTraceBounds{value: CHALLENGE_BOND}(1, 0, good);
        vm.expectRevert(abi.encodeWithSelector(Rollup.InvalidTraceBound.selector, 3));
        rollup.challengeTraceBounds{value: CHALLENGE_BOND}(p, 3, good);
        // Another blob's versioned hashes: not this trace.
        bytes32 wrongHash = keccak256(abi.encodePacked(T_BAD_LEN_VH0));
        vm.expectRevert(
            abi.encodeWithSelector(
                DataSource.SourceHashMismatch.selector, keccak256(abi.encodePacked(T_GOOD_VH0)), wrongHash
            )
        );
        rollup.challengeTraceBounds{value: CHALLENGE_BOND}(p, 0, blobProof(one(T_BAD_LEN_VH0), r0));
        // A forged value for element 0 (claims length 128).
        BlobData.RangeProof memory forged = traceRange(T_GOOD_C0, T_GOOD_VALUES, T_GOOD_PROOFS, 0);
        forged.values[0] = bytes32(uint256(0x0100000080) << 216);
        vm.expectRevert(abi.encodeWithSelector(BlobData.InvalidOpening.selector, T_GOOD_VH0, 0, forged.values[0]));
        rollup.challengeTraceBounds{value: CHALLENGE_BOND}(p, 0, blobProof(one(T_GOOD_VH0), forged));
        // Openings of the wrong elements for the bound.
        vm.expectRevert(abi.encodeWithSelector(BlobData.BadLength.selector, 1, 2));
        rollup.challengeTraceBounds{value: CHALLENGE_BOND}(p, 1, good);
        vm.stopPrank();
        assertEq(rollup.payouts(proposer), 0, "malformed evidence costs nothing but gas");

        // Calldata traces were checked when proposed.
        appendCalldataBatch();
        uint256 q = proposeSteps(1, 1, header(keccak256("x"), keccak256("y"), 3));
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Rollup.TraceBoundsCheckedAtProposal.selector, q));
        rollup.challengeTraceBounds{value: CHALLENGE_BOND}(q, 0, good);
    }

    /// The length bound of the same (3-leaf) trace blob proves every step count but 2 wrong.
    function testFuzz_lengthBoundWinsIffTheStepCountDiffers(uint64 steps) public {
        steps = uint64(bound(steps, 0, 3966));
        appendCalldataBatch();
        uint256 p = proposeBlobTrace(0, steps, endHeader(), T_GOOD_VH0);
        bool won = challengeBound(p, 0, T_GOOD_VH0, traceRange(T_GOOD_C0, T_GOOD_VALUES, T_GOOD_PROOFS, 0));
        assertEq(won, steps != 2);
        assertEq(rollup.getProposal(p).deleted, steps != 2);
    }

    /// Any change to an opened value, or to a proof byte, is malformed evidence: it reverts, nobody is paid.
    function testFuzz_forgedTraceOpeningsRevert(uint8 bound_, uint256 which, uint256 delta, bool inProof) public {
        appendCalldataBatch();
        uint256 p = proposeBlobTrace(0, 2, endHeader(), T_BAD_LAST_VH0);
        uint8 b = uint8(bound(bound_, 0, 2));
        BlobData.RangeProof memory r = traceRange(T_BAD_LAST_C0, T_BAD_LAST_VALUES, T_BAD_LAST_PROOFS, b);
        uint256 k = bound(which, 0, r.values.length - 1);
        if (inProof) {
            uint256 at = 48 * k + bound(delta, 0, 47);
            r.proofs[at] = bytes1(uint8(r.proofs[at]) ^ uint8(bound(delta >> 8, 1, 255)));
        } else {
            r.values[k] = bytes32(uint256(r.values[k]) ^ bound(delta, 1, type(uint256).max));
        }
        vm.prank(challenger);
        vm.expectRevert();
        rollup.challengeTraceBounds{value: CHALLENGE_BOND}(p, b, blobProof(one(T_BAD_LAST_VH0), r));
        assertFalse(rollup.getProposal(p).deleted);
        assertEq(rollup.payouts(proposer) + rollup.payouts(challenger), 0);
    }

    /// Challenges are open strictly before proposedAt + window; at that second the proposal is final.
    function test_challengeWindowEdges() public {
        appendCalldataBatch();
        uint256 p = proposeBlobTrace(0, 2, endHeader(), T_BAD_LAST_VH0);
        uint256 proposedAt = block.timestamp;
        BlobData.RangeProof memory r = traceRange(T_BAD_LAST_C0, T_BAD_LAST_VALUES, T_BAD_LAST_PROOFS, 2);
        vm.warp(proposedAt + WINDOW);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ProposalAlreadyFinal.selector, p));
        rollup.challengeTraceBounds{value: CHALLENGE_BOND}(p, 2, blobProof(one(T_BAD_LAST_VH0), r));
        vm.warp(proposedAt + WINDOW - 1);
        assertTrue(challengeBound(p, 2, T_BAD_LAST_VH0, r), "last second of the window");
        assertFalse(rollup.isFinalized(p));
    }

    // ------------------------------------------------------ kind 2 (real KZG)

    function challengeCount(
        uint256 proposalIndex,
        StateCommitment.StateHeader memory parent,
        DataSource.DataProof memory proof,
        BlobData.RangeProof memory lastRow
    ) internal returns (bool) {
        commitAs(challenger, abi.encodeCall(Rollup.challengeStepCount, (proposalIndex, parent, proof, lastRow)));
        vm.prank(challenger);
        return rollup.challengeStepCount{value: CHALLENGE_BOND}(proposalIndex, parent, proof, lastRow);
    }

    function bValidHead() internal pure returns (DataSource.DataProof memory) {
        return blobProof(one(B_VALID_VH0), rangeOf(B_VALID_C0, B_VALID_VALUES, B_VALID_PROOFS, 0, 1));
    }

    function bValidLastRow() internal pure returns (BlobData.RangeProof memory) {
        return rangeOf(B_VALID_C0, B_VALID_VALUES, B_VALID_PROOFS, 9, 4);
    }

    function test_stepCountOfAValidBlobBatch() public {
        uint256 b = appendBlobBatch(one(B_VALID_VH0));
        uint256 p = proposeSteps(b, 3, endHeader());
        vm.expectEmit(address(rollup));
        emit ChallengeLost(p, 2, challenger, 3, proposer, CHALLENGE_BOND);
        assertFalse(challengeCount(p, genesisHeader(), bValidHead(), bValidLastRow()), "3 rows, 3 steps");
        rollup.deleteFrom(p);
        uint256 q = proposeSteps(b, 2, endHeader());
        vm.expectEmit(address(rollup));
        emit ChallengeWon(q, 2, challenger, 3, CHALLENGE_BOND + BOND / 2, BOND - BOND / 2);
        assertTrue(challengeCount(q, genesisHeader(), bValidHead(), bValidLastRow()), "3 rows, 2 steps");
        uint256 r = proposeSteps(b, 0, genesisHeader());
        assertTrue(challengeCount(r, genesisHeader(), bValidHead(), bValidLastRow()), "3 rows, 0 steps");
    }

    function test_stepCountOfInvalidBlobBatches() public {
        // Last row not a well-formed block end.
        uint256 b = appendBlobBatch(one(B_BAD_ROW_VH0));
        DataSource.DataProof memory head =
            blobProof(one(B_BAD_ROW_VH0), rangeOf(B_BAD_ROW_C0, B_BAD_ROW_VALUES, B_BAD_ROW_PROOFS, 0, 1));
        BlobData.RangeProof memory lastRow = rangeOf(B_BAD_ROW_C0, B_BAD_ROW_VALUES, B_BAD_ROW_PROOFS, 1, 4);
        uint256 p = proposeSteps(b, 3, endHeader());
        assertTrue(challengeCount(p, genesisHeader(), head, lastRow), "invalid batch, 3 steps");
        uint256 q = proposeSteps(b, 0, genesisHeader());
        assertFalse(challengeCount(q, genesisHeader(), head, lastRow), "invalid batch, 0 steps");

        // Length prefix 400 ≠ 27 + 124·3: the header opening alone decides, no last row needed.
        uint256 c = appendBlobBatch(one(B_BAD_LEN_VH0));
        rollup.deleteFrom(q);
        uint256 s = proposeSteps(b, 0, genesisHeader());
        uint256 t = proposeSteps(c, 3, endHeader());
        head = blobProof(one(B_BAD_LEN_VH0), rangeOf(B_BAD_LEN_C0, B_BAD_LEN_VALUES, B_BAD_LEN_PROOFS, 0, 1));
        assertTrue(challengeCount(t, genesisHeader(), head, noRange()), "bad length");
        assertFalse(rollup.getProposal(s).deleted, "the parent survives");
    }

    /// 1024 rows over two blobs: the last row straddles them (4 openings across 2 blobs). The same first blob
    /// alone cannot hold the data its length prefix announces: invalid.
    function test_stepCountOfABatchOverTwoBlobs() public {
        uint256 b = appendBlobBatch(two(B_TWO_VH0, B_TWO_VH1));
        DataSource.DataProof memory head =
            blobProof(two(B_TWO_VH0, B_TWO_VH1), rangeOf(B_TWO_C0, B_TWO_VALUES, B_TWO_PROOFS, 0, 1));
        BlobData.RangeProof memory lastRow = rangeOf(bytes.concat(B_TWO_C0, B_TWO_C1), B_TWO_VALUES, B_TWO_PROOFS, 1, 4);
        uint256 p = proposeBlobTrace(b, 1024, endHeader(), LONG_TRACE_VH);
        assertFalse(challengeCount(p, genesisHeader(), head, lastRow), "valid, 1024 rows");

        rollup.deleteFrom(p);
        uint256 c = appendBlobBatch(one(B_TWO_VH0));
        uint256 q = proposeSteps(b, 0, genesisHeader());
        uint256 r = proposeBlobTrace(c, 1024, endHeader(), LONG_TRACE_VH);
        head = blobProof(one(B_TWO_VH0), rangeOf(B_TWO_C0, B_TWO_VALUES, B_TWO_PROOFS, 0, 1));
        assertTrue(challengeCount(r, genesisHeader(), head, noRange()), "does not fit one blob");
        // q (0 steps on the valid two-blob batch) is wrong too.
        head = blobProof(two(B_TWO_VH0, B_TWO_VH1), rangeOf(B_TWO_C0, B_TWO_VALUES, B_TWO_PROOFS, 0, 1));
        assertTrue(challengeCount(q, genesisHeader(), head, lastRow), "valid batch proposed as invalid");
    }

    function test_stepCountRevertPaths() public {
        uint256 b = appendBlobBatch(one(B_VALID_VH0));
        uint256 p = proposeSteps(b, 3, endHeader());
        StateCommitment.StateHeader memory wrongParent = genesisHeader();
        wrongParent.blockNumber = 7;
        vm.expectRevert(
            abi.encodeWithSelector(
                Rollup.ParentHeaderMismatch.selector, commitment(genesisHeader()), commitment(wrongParent)
            )
        );
        challengeCount(p, wrongParent, bValidHead(), bValidLastRow());
        // Valid header, but the last row's openings are missing.
        vm.expectRevert(abi.encodeWithSelector(BlobData.BadLength.selector, 0, 4));
        challengeCount(p, genesisHeader(), bValidHead(), noRange());
        // Openings of another blob.
        vm.expectRevert(
            abi.encodeWithSelector(
                DataSource.SourceHashMismatch.selector,
                keccak256(abi.encodePacked(B_VALID_VH0)),
                keccak256(abi.encodePacked(B_BAD_ROW_VH0))
            )
        );
        challengeCount(
            p,
            genesisHeader(),
            blobProof(one(B_BAD_ROW_VH0), rangeOf(B_BAD_ROW_C0, B_BAD_ROW_VALUES, B_BAD_ROW_PROOFS, 0, 1)),
            bValidLastRow()
        );
        // Calldata proof for a blob batch: its (empty) versioned hash list does not match.
        vm.expectRevert(
            abi.encodeWithSelector(
                DataSource.SourceHashMismatch.selector, keccak256(abi.encodePacked(B_VALID_VH0)), keccak256("")
            )
        );
        challengeCount(p, genesisHeader(), calldataProof(hex"00"), noRange());
        assertEq(rollup.payouts(proposer), 0);
        assertFalse(rollup.getProposal(p).deleted);
    }

    // ------------------------------------------------------- kind 2 (calldata)

    function test_stepCountOfACalldataBatchThroughChallenges() public {
        bytes memory valid = batchData(1, 5);
        uint256 b = appendData(valid);
        uint256 p = proposeSteps(b, 5, endHeader());
        assertFalse(challengeCount(p, genesisHeader(), calldataProof(valid), noRange()), "5 rows, 5 steps");
        rollup.deleteFrom(p);
        uint256 q = proposeSteps(b, 4, endHeader());
        assertTrue(challengeCount(q, genesisHeader(), calldataProof(valid), noRange()), "5 rows, 4 steps");
        // Not the batch's data.
        uint256 r = proposeSteps(b, 5, endHeader());
        bytes memory other = batchData(1, 4);
        vm.expectRevert(
            abi.encodeWithSelector(DataSource.SourceHashMismatch.selector, keccak256(valid), keccak256(other))
        );
        challengeCount(r, genesisHeader(), calldataProof(other), noRange());
    }

    /// firstBlockNumber is checked against the parent's end block: the same data is valid after a parent at block 0
    /// and invalid after one at block 2.
    function test_firstBlockNumberFollowsTheParentsEndBlock() public {
        bytes memory data = batchData(1, 3);
        uint256 b0 = appendData(data);
        uint256 b1 = appendData(data);
        proposeSteps(b0, 3, endHeader()); // end block 2
        uint256 p = proposeSteps(b1, 3, header(keccak256("a"), keccak256("w"), 5));
        assertTrue(challengeCount(p, endHeader(), calldataProof(data), noRange()), "first block 1 after block 2");
        uint256 q = proposeSteps(b1, 0, endHeader());
        assertFalse(challengeCount(q, endHeader(), calldataProof(data), noRange()), "invalid: 0 steps");
        bytes memory next = batchData(3, 3);
        uint256 b2 = appendData(next);
        uint256 r = proposeSteps(b2, 3, endHeader());
        assertFalse(challengeCount(r, endHeader(), calldataProof(next), noRange()), "first block 3 after block 2");
    }

    function verdict(bytes memory data, uint64 preBlockNumber) internal returns (uint64) {
        uint256 b = appendData(data);
        return rollup.provenStepCount(b, preBlockNumber, calldataProof(data), noRange());
    }

    function withByte(bytes memory data, uint256 at, uint8 value) internal pure returns (bytes memory out) {
        out = bytes.concat(data);
        out[at] = bytes1(value);
    }

    /// Each validity rule on its own (docs/optimistic.md "Validity").
    function test_validityRulesOneByOne() public {
        bytes memory valid = batchData(1, 3);
        uint256 lastRow = 27 + 124 * 2;
        assertEq(verdict(valid, 0), 3, "valid");
        assertEq(verdict(batchData(8, 1), 7), 1, "one block end row");
        assertEq(verdict(withByte(valid, 0, 2), 0), 0, "version 2");
        assertEq(verdict(withByte(valid, 0, 4), 0), 0, "version 4");
        for (uint256 i = 13; i < 27; i++) {
            assertEq(verdict(withByte(valid, i, 1), 0), 0, "header zero bytes");
        }
        assertEq(verdict(abi.encodePacked(uint8(3), uint64(1), uint32(0), bytes14(0)), 0), 0, "rowCount 0");
        assertEq(verdict(bytes.concat(valid, hex"00"), 0), 0, "one byte too many");
        assertEq(verdict(slice(valid, 0, valid.length - 1), 0), 0, "one byte too few");
        assertEq(verdict(slice(valid, 0, 26), 0), 0, "shorter than a header");
        assertEq(verdict(hex"03", 0), 0, "one byte");
        assertEq(verdict(valid, 1), 0, "firstBlockNumber = pre + 2");
        assertEq(verdict(batchData(0, 3), 0), 0, "firstBlockNumber = pre");
        assertEq(verdict(batchData(0, 3), type(uint64).max), 0, "pre at the last block number");
        assertEq(verdict(withByte(valid, lastRow, 1), 0), 0, "last row a deposit");
        assertEq(verdict(withByte(valid, lastRow, 0), 0), 0, "last row a tx");
        assertEq(verdict(withByte(valid, lastRow + 123, 1), 0), 0, "last row byte 123");
        assertEq(verdict(withByte(valid, lastRow + 9, 1), 0), 0, "last row byte 9");
        assertEq(verdict(withByte(valid, lastRow + 1, 0xff), 0), 3, "any timestamp");
        assertEq(verdict(withByte(valid, lastRow + 8, 0xff), 0), 3, "any timestamp (low byte)");
        assertEq(verdict(withByte(valid, 27, 9), 0), 3, "earlier rows do not matter");
        assertEq(verdict(withByte(valid, 27 + 124 + 123, 9), 0), 3, "earlier rows do not matter (last byte)");
    }

    /// One random byte of a valid batch changed: valid iff the byte lies in a row before the last, or in the last
    /// row's timestamp (header bytes all matter; the last row must stay a well-formed block end).
    function testFuzz_singleByteChangesDecideValidityExactly(uint8 rows, uint256 position, uint8 delta) public {
        uint32 rowCount = uint32(bound(rows, 1, 6));
        bytes memory data = batchData(1, rowCount);
        position = bound(position, 0, data.length - 1);
        uint8 d = uint8(bound(delta, 1, 255));
        data[position] = bytes1(uint8(data[position]) ^ d);
        uint256 lastRow = 27 + 124 * (rowCount - 1);
        bool stillValid = (position >= 27 && position < lastRow) || (position > lastRow && position < lastRow + 9);
        if (position >= 9 && position < 13) {
            // rowCount changed: valid only in the impossible case that the length still matches
            stillValid = false;
        }
        assertEq(verdict(data, 0), stillValid ? rowCount : 0);
    }

    /// Appending or cutting any number of bytes breaks the length rule.
    function testFuzz_anyOtherLengthIsInvalid(uint8 rows, uint16 extra, bool cut) public {
        uint32 rowCount = uint32(bound(rows, 1, 4));
        bytes memory data = batchData(1, rowCount);
        uint256 n = bound(extra, 1, cut ? data.length - 1 : 300);
        data = cut ? slice(data, 0, data.length - n) : bytes.concat(data, new bytes(n));
        assertEq(verdict(data, 0), 0);
    }

    // --------------------------------------------------------------- outcomes

    /// A win deletes the challenged proposal and every proposal built on it, slashes the challenged proposer,
    /// burns the bonds built on it, and lets a new proposal follow the surviving parent.
    function test_aWinDeletesTheSuffixAndANewProposalFollowsTheSurvivingParent() public {
        bytes memory data = batchData(1, 3);
        uint256 b0 = appendData(data);
        uint256 b1 = appendData(batchData(3, 3));
        uint256 b2 = appendData(batchData(5, 3));
        StateCommitment.StateHeader memory s0 = endHeader();
        uint256 p0 = proposeSteps(b0, 3, s0);
        uint256 p1 = proposeSteps(b1, 2, header(keccak256("bad"), keccak256("w"), 4)); // wrong step count
        address later = makeAddr("later proposer");
        uint256 p2 = proposeAs(later, b2, 3, header(keccak256("s2"), keccak256("w"), 6));

        uint256 deadBefore = DEAD.balance;
        vm.expectEmit(address(rollup));
        emit ProposalsDeleted(p1, 3);
        vm.expectEmit(address(rollup));
        emit ChallengeWon(p1, 2, challenger, 3, CHALLENGE_BOND + BOND / 2, BOND - BOND / 2);
        assertTrue(challengeCount(p1, s0, calldataProof(batchData(3, 3)), noRange()));
        assertEq(DEAD.balance - deadBefore, BOND - BOND / 2);

        assertFalse(rollup.getProposal(p0).deleted, "parent survives");
        assertTrue(rollup.getProposal(p1).deleted && rollup.getProposal(p1).slashed, "challenged: slashed");
        assertTrue(rollup.getProposal(p2).deleted && !rollup.getProposal(p2).slashed, "later: deleted only");
        (uint256 nextBatch, bytes32 nextParent) = rollup.nextProposalParent();
        assertEq(nextBatch, b1);
        assertEq(nextParent, commitment(s0));

        // Double challenge: both deleted proposals are closed to challenges.
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ProposalAlreadyDeleted.selector, p1));
        rollup.challengeStepCount{value: CHALLENGE_BOND}(p1, s0, calldataProof(batchData(3, 3)), noRange());
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ProposalAlreadyDeleted.selector, p2));
        rollup.challengeStepCount{value: CHALLENGE_BOND}(p2, s0, calldataProof(batchData(5, 3)), noRange());

        // Bonds: the later proposer built on a wrong root and forfeits its bond, burnt whole.
        uint256 laterBefore = later.balance;
        deadBefore = DEAD.balance;
        rollup.claimBond(p2);
        assertEq(later.balance, laterBefore, "no refund");
        assertEq(DEAD.balance - deadBefore, BOND);
        vm.expectRevert(abi.encodeWithSelector(Rollup.BondSlashed.selector, p1));
        rollup.claimBond(p1);

        // A correct proposal for batch 1 follows p0 and finalizes.
        uint256 p3 = proposeSteps(b1, 3, header(keccak256("good"), keccak256("w"), 4));
        assertEq(rollup.parentCommitment(p3), commitment(s0));
        passWindow();
        assertTrue(rollup.isFinalized(p0) && rollup.isFinalized(p3));
        assertFalse(rollup.isFinalized(p1) || rollup.isFinalized(p2));

        // Payout to the challenger (its reward after the hold).
        claimReward(p1);
        uint256 before = challenger.balance;
        vm.prank(challenger);
        rollup.withdrawPayout();
        assertEq(challenger.balance, before + CHALLENGE_BOND + BOND / 2);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Rollup.NothingToWithdraw.selector, challenger));
        rollup.withdrawPayout();

        rollup.claimBond(p0);
        rollup.claimBond(p3);
        assertEq(address(rollup).balance, 0, "every wei accounted for");
    }

    function proposeAs(address who, uint256 batchIndex, uint256 steps, StateCommitment.StateHeader memory end)
        internal
        returns (uint256)
    {
        vm.deal(who, BOND);
        (, bytes32 parent) = rollup.nextProposalParent();
        bytes32 dataHash = rollup.getBatch(batchIndex).dataHash;
        bytes memory trace = traceFor(parent, steps, end);
        vm.prank(who);
        return rollup.proposeCalldata{value: BOND}(batchIndex, dataHash, end, trace);
    }

    /// A wrong challenge costs the challenger its bond; the proposal survives, finalizes and pays withdrawals.
    function test_aLostChallengeLeavesTheProposalToFinalize() public {
        vm.prank(alice);
        portal.depositETH{value: 5 ether}(alice);
        Portal.Withdrawal[] memory ws = new Portal.Withdrawal[](1);
        ws[0] = ethWithdrawal(0, bob, 2 ether);
        bytes memory data = batchData(1, 1);
        uint256 b = appendData(data);
        uint256 p = proposeSteps(b, 1, headerOf(ws, 1));
        assertFalse(challengeCount(p, genesisHeader(), calldataProof(data), noRange()));
        assertEq(rollup.payouts(proposer), CHALLENGE_BOND);
        passWindow();
        uint256 before = bob.balance;
        portal.finalizeWithdrawal(p, ws[0], ACCOUNTS_ROOT, proofOf(ws, 0));
        assertEq(bob.balance, before + 2 ether);
    }

    /// The portal refuses withdrawals proven against a deleted proposal, before and after its window.
    function test_withdrawalsAgainstADeletedProposalRevertInThePortal() public {
        vm.prank(alice);
        portal.depositETH{value: 5 ether}(alice);
        Portal.Withdrawal[] memory ws = new Portal.Withdrawal[](1);
        ws[0] = ethWithdrawal(0, challenger, 5 ether);
        bytes memory data = batchData(1, 1);
        uint256 b = appendData(data);
        uint256 p = proposeSteps(b, 2, headerOf(ws, 1)); // a theft, with a wrong step count
        assertTrue(challengeCount(p, genesisHeader(), calldataProof(data), noRange()));
        bytes32[32] memory siblings = proofOf(ws, 0);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ProposalNotFinalized.selector, p));
        portal.finalizeWithdrawal(p, ws[0], ACCOUNTS_ROOT, siblings);
        passWindow();
        vm.expectRevert(abi.encodeWithSelector(Rollup.ProposalNotFinalized.selector, p));
        portal.finalizeWithdrawal(p, ws[0], ACCOUNTS_ROOT, siblings);
        assertEq(address(portal).balance, 5 ether);
    }

    // -------------------------------------------------------- payments, reentrancy

    function test_aProposerThatRefusesETHCannotBlockALosingChallenge() public {
        bytes memory data = batchData(1, 1);
        uint256 b = appendData(data);
        EthRejecter rejecter = new EthRejecter();
        StateCommitment.StateHeader memory end = endHeader();
        rejecter.propose{value: BOND}(rollup, b, keccak256(data), end, traceFor(commitment(genesisHeader()), 1, end));
        assertFalse(challengeCount(0, genesisHeader(), calldataProof(data), noRange()), "lost, credited");
        assertEq(rollup.payouts(address(rejecter)), CHALLENGE_BOND);
        vm.expectRevert(abi.encodeWithSelector(Rollup.PayoutTransferFailed.selector, address(rejecter), CHALLENGE_BOND));
        rejecter.withdrawPayout(rollup);
        assertEq(rollup.payouts(address(rejecter)), CHALLENGE_BOND, "still owed");
    }

    /// A payee that re-enters withdrawPayout, claimBond or a challenge from `receive` is stopped by the guard;
    /// the outer payment happens exactly once.
    function test_payoutsCannotBeReentered() public {
        bytes memory data = batchData(1, 1);
        appendData(data);
        appendData(batchData(2, 1));
        uint256 p = proposeSteps(0, 2, endHeader()); // wrong: 1 row
        ReentrantPayee payee = new ReentrantPayee(rollup);
        vm.deal(address(payee), 10 ether);
        commitAs(
            address(payee),
            abi.encodeCall(Rollup.challengeStepCount, (p, genesisHeader(), calldataProof(data), noRange()))
        );
        payee.challenge{value: CHALLENGE_BOND}(p, genesisHeader(), data);
        claimReward(p);
        uint256 owed = rollup.payouts(address(payee));
        assertEq(owed, CHALLENGE_BOND + BOND / 2);

        bytes memory guardError = abi.encodeWithSelector(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
        for (uint8 mode = 1; mode <= 3; mode++) {
            uint256 target = proposeSteps(0, 1, endHeader());
            if (mode == 3) vm.deal(address(payee), CHALLENGE_BOND); // enough to pay a nested challenge
            payee.arm(mode, target, genesisHeader(), data);
            if (mode != 1) {
                // credit the payee again through a won challenge on a fresh wrong proposal
                rollup.deleteFrom(target);
                uint256 wrong = proposeSteps(0, 3, endHeader());
                commitAs(
                    address(payee),
                    abi.encodeCall(Rollup.challengeStepCount, (wrong, genesisHeader(), calldataProof(data), noRange()))
                );
                payee.challenge{value: CHALLENGE_BOND}(wrong, genesisHeader(), data);
                claimReward(wrong);
                payee.arm(mode, wrong, genesisHeader(), data);
            } else {
                rollup.deleteFrom(target);
            }
            uint256 before = address(payee).balance;
            uint256 due = rollup.payouts(address(payee));
            payee.withdraw();
            assertEq(address(payee).balance, before + due, "paid once");
            assertEq(rollup.payouts(address(payee)), 0);
            assertFalse(payee.nestedOk(), "nested call refused");
            assertEq(keccak256(payee.nestedError()), keccak256(guardError), "by the reentrancy guard");
        }
    }

    /// Any time before the window ends a challenge settles; from its last second on it reverts and the proposal is
    /// final (kind 2 here; all kinds share the check).
    function testFuzz_challengeWindowEdge(uint256 elapsed) public {
        elapsed = bound(elapsed, 0, 2 * WINDOW);
        bytes memory data = batchData(1, 1);
        uint256 b = appendData(data);
        uint256 p = proposeSteps(b, 2, endHeader());
        vm.warp(block.timestamp + elapsed);
        if (elapsed >= WINDOW) {
            vm.expectRevert(abi.encodeWithSelector(Rollup.ProposalAlreadyFinal.selector, p));
            challengeCount(p, genesisHeader(), calldataProof(data), noRange());
            assertTrue(rollup.isFinalized(p));
        } else {
            assertTrue(challengeCount(p, genesisHeader(), calldataProof(data), noRange()));
            assertFalse(rollup.isFinalized(p));
        }
    }

    /// Burning cannot fail on a real chain (0x…dEaD has no code); if it did, the win would revert whole.
    function test_aFailingBurnRevertsTheWin() public {
        bytes memory data = batchData(1, 1);
        uint256 b = appendData(data);
        uint256 p = proposeSteps(b, 2, endHeader());
        vm.etch(DEAD, hex"5f5ffd"); // PUSH0 PUSH0 REVERT
        commitAs(
            challenger, abi.encodeCall(Rollup.challengeStepCount, (p, genesisHeader(), calldataProof(data), noRange()))
        );
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Rollup.BurnFailed.selector, BOND - BOND / 2));
        rollup.challengeStepCount{value: CHALLENGE_BOND}(p, genesisHeader(), calldataProof(data), noRange());
        assertFalse(rollup.getProposal(p).deleted);
    }

    function test_parentCommitmentOfAnUnknownProposalReverts() public {
        vm.expectRevert(abi.encodeWithSelector(Rollup.UnknownProposal.selector, 0));
        rollup.parentCommitment(0);
    }

    /// Bonds held = unclaimed bonds + outstanding payouts, across wins and losses.
    function testFuzz_rollupBalanceMatchesItsObligations(uint8 seed) public {
        bytes memory data = batchData(1, 1);
        uint256 b = appendData(data);
        uint256 rounds = bound(seed, 1, 6);
        uint256 bondsHeld;
        for (uint256 i = 0; i < rounds; i++) {
            bool wrong = (uint256(keccak256(abi.encode(seed, i))) & 1) == 1;
            uint256 p = proposeSteps(b, wrong ? 2 : 1, endHeader());
            bondsHeld += BOND;
            bool won = challengeCount(p, genesisHeader(), calldataProof(data), noRange());
            assertEq(won, wrong);
            if (won) {
                bondsHeld -= BOND;
                claimReward(p);
            } else {
                rollup.deleteFrom(p); // free batch 0 again; its bond stays held until claimed (then burnt)
            }
        }
        uint256 owed = rollup.payouts(challenger) + rollup.payouts(proposer);
        assertEq(address(rollup).balance, bondsHeld + owed);
    }
}

/// @notice Challenge kind 3 against states built by StepVerifier's test model (real trees, real signatures): honest
///         traces survive every step, a wrong leaf loses the proposal, wrong evidence reverts. The rollup is
///         redeployed with the model's genesis.
abstract contract ChallengeStepBase is ChallengeBase, StepModel {
    VmSigner internal constant signer = VmSigner(address(uint160(uint256(keccak256("hevm cheat code")))));

    struct Run {
        bytes data;
        bytes trace;
        StateCommitment.StateHeader[] headers;
        bytes[] witnesses;
    }

    uint256 internal aliceKey = uint256(keccak256("alice"));
    address internal dave = makeAddr("dave");
    address internal l1Recipient = makeAddr("l1 recipient");

    function setUp() public virtual override {
        super.setUp();
        vm.startPrank(deployer);
        portal = new Portal();
        rollup = new RollupHarness(
            address(portal), batcher, WINDOW, BOND, CHALLENGE_BOND, _header(_genesis()), L2_CHAIN_ID, L2_BASE_FEE
        );
        portal.initialize(address(rollup));
        vm.stopPrank();
    }

    function signedTx(uint8 kind, address to, uint256 amount, uint64 nonce)
        internal
        view
        returns (L2TxLib.Tx memory t)
    {
        t.nonce = nonce;
        t.gasLimit = 100_000;
        t.feeType = L2TxLib.FEE_EIP1559;
        t.maxFeePerGas = 3 gwei;
        t.maxPriorityFeePerGas = 1 gwei; // base fee 1 gwei: 2 gwei paid
        t.kind = kind;
        t.to = to;
        t.amount = amount;
        (uint8 v, bytes32 r, bytes32 s) = signer.sign(aliceKey, L2TxLib.signingHash(t, L2_CHAIN_ID));
        t.r = uint256(r);
        t.s = uint256(s);
        t.yParity = v - 27;
        if (t.s > L2TxLib.SECP256K1_HALF_N) {
            t.s = L2TxLib.SECP256K1_N - t.s;
            t.yParity ^= 1;
        }
    }

    /// Batch [deposit #0 (alice, 10 ether), alice → dave (new account) 1 ether, alice withdraws 2 ether to L1,
    /// block end]: its data, honest headers L0..L4, witnesses and trace.
    function txBatch() internal returns (Run memory run) {
        vm.prank(alice);
        portal.depositETH{value: 10 ether}(alice);
        return txRun();
    }

    /// `txBatch` without the L1 deposit (for a test whose setUp made it).
    function txRun() internal view returns (Run memory run) {
        L2TxLib.Tx memory transfer = signedTx(L2TxLib.KIND_ETH_TRANSFER, dave, 1 ether, 0);
        L2TxLib.Tx memory withdrawal = signedTx(L2TxLib.KIND_WITHDRAW_ETH, l1Recipient, 2 ether, 1);
        run.data = bytes.concat(
            abi.encodePacked(uint8(3), uint64(1), uint32(4), bytes14(0)),
            _depositRow(),
            _txRow(transfer),
            _txRow(withdrawal),
            _blockEndRow(1234)
        );
        run.headers = new StateCommitment.StateHeader[](5);
        run.witnesses = new bytes[](5);
        Model memory m = _genesis();
        run.headers[0] = _header(m);
        StepVerifier.StepWitness memory w;
        (w, m) = _depositWitness(m, StepVerifier.Deposit({from: alice, to: alice, tokenIndex: 0, amount: 10 ether}));
        run.witnesses[1] = abi.encode(w);
        run.headers[1] = _header(m);
        bool applied;
        (w, m, applied) = _txWitness(m, transfer, alice, TxExecutor.gasOf(transfer.kind) * 2 gwei, address(0));
        assertTrue(applied, "transfer applies");
        run.witnesses[2] = abi.encode(w);
        run.headers[2] = _header(m);
        (w, m, applied) = _txWitness(m, withdrawal, alice, TxExecutor.gasOf(withdrawal.kind) * 2 gwei, address(0));
        assertTrue(applied, "withdrawal applies");
        run.witnesses[3] = abi.encode(w);
        run.headers[3] = _header(m);
        m.blockNumber++;
        run.headers[4] = _header(m);
        run.trace = traceOfHeaders(run.headers);
    }

    function traceOfHeaders(StateCommitment.StateHeader[] memory hs) internal pure returns (bytes memory trace) {
        for (uint256 i = 0; i < hs.length; i++) {
            trace = bytes.concat(trace, StateCommitment.commitment(hs[i]));
        }
    }

    function proposeTrace(uint256 batchIndex, StateCommitment.StateHeader memory end, bytes memory trace)
        internal
        returns (uint256)
    {
        bytes32 dataHash = rollup.getBatch(batchIndex).dataHash;
        vm.prank(proposer);
        return rollup.proposeCalldata{value: BOND}(batchIndex, dataHash, end, trace);
    }

    function appendWithDeposits(bytes memory data, uint64 depositCountAfter) internal returns (uint256) {
        vm.prank(batcher);
        return rollup.appendBatchCalldata(1, 1, depositCountAfter, data);
    }

    function challenge(
        uint256 p,
        uint64 step,
        StateCommitment.StateHeader memory pre,
        DataSource.DataProof memory traceProof,
        DataSource.DataProof memory rowProof,
        bytes memory witness
    ) internal returns (bool won, uint256 gasUsed) {
        commitAs(challenger, abi.encodeCall(Rollup.challengeStep, (p, step, pre, traceProof, rowProof, witness)));
        vm.prank(challenger);
        uint256 before = gasleft();
        won = rollup.challengeStep{value: CHALLENGE_BOND}(p, step, pre, traceProof, rowProof, witness);
        gasUsed = before - gasleft();
    }

    // ----------------------------------------------- blob batch rows (real KZG)

    /// B_VALID (blob): [block end 1000, deposit, block end 1001] after genesis; each row read with its 4 openings.
    function blobRun() internal returns (Run memory run) {
        vm.prank(alice);
        portal.depositETH{value: 1 ether}(alice);
        return blobModel();
    }

    /// `blobRun` without the L1 deposit.
    function blobModel() internal view returns (Run memory run) {
        run.headers = new StateCommitment.StateHeader[](4);
        run.witnesses = new bytes[](4);
        Model memory m = _genesis();
        run.headers[0] = _header(m);
        m.blockNumber = 1;
        run.headers[1] = _header(m);
        StepVerifier.StepWitness memory w;
        (w, m) = _depositWitness(m, StepVerifier.Deposit({from: alice, to: alice, tokenIndex: 0, amount: 1 ether}));
        run.witnesses[2] = abi.encode(w);
        run.headers[2] = _header(m);
        m.blockNumber = 2;
        run.headers[3] = _header(m);
        run.trace = traceOfHeaders(run.headers);
    }

    function blobRow(uint256 r) internal pure returns (DataSource.DataProof memory) {
        return blobProof(one(B_VALID_VH0), rangeOf(B_VALID_C0, B_VALID_VALUES, B_VALID_PROOFS, 1 + 4 * r, 4));
    }
}

contract ChallengeStepTest is ChallengeStepBase {
    function test_anHonestTraceSurvivesEveryStepAndItsWithdrawalIsPaid() public {
        Run memory run = txBatch();
        uint256 b = appendWithDeposits(run.data, 1);
        uint256 p = proposeTrace(b, run.headers[4], run.trace);
        string[5] memory labels = [
            "",
            "gas: challengeStep, deposit row (calldata batch + trace, lost)",
            "gas: challengeStep, ETH transfer to a new account (calldata batch + trace, lost)",
            "gas: challengeStep, ETH withdrawal (calldata batch + trace, lost)",
            "gas: challengeStep, block end (calldata batch + trace, lost)"
        ];
        for (uint64 s = 1; s <= 4; s++) {
            vm.expectEmit(address(rollup));
            emit ChallengeLost(p, 3, challenger, s, proposer, CHALLENGE_BOND);
            (bool won, uint256 gasUsed) =
                challenge(p, s, run.headers[s - 1], calldataProof(run.trace), calldataProof(run.data), run.witnesses[s]);
            assertFalse(won, "honest step");
            emit log_named_uint(labels[s], gasUsed);
        }
        assertEq(rollup.payouts(proposer), 4 * CHALLENGE_BOND);
        passWindow();
        // The withdrawal the trace's step 3 made is paid against the surviving proposal.
        Portal.Withdrawal memory w =
            Portal.Withdrawal({index: 0, sender: alice, recipient: l1Recipient, l1Token: address(0), amount: 2 ether});
        (uint256[] memory wi, bytes32[] memory wl) = (MerkleTree.one(uint256(0)), MerkleTree.one(withdrawalHash(w)));
        assertEq(MerkleTree.root(32, wi, wl), run.headers[4].withdrawalsRoot, "model withdrawals root");
        portal.finalizeWithdrawal(p, w, run.headers[4].accountsRoot, MerkleTree.proof32(0, wi, wl));
        assertEq(l1Recipient.balance, 2 ether);
    }

    /// One wrong leaf (dave credited 2 ether instead of 1): step 2 proves it; the steps before it still lose.
    function test_aWrongStepIsProvenAndTheProposalDeleted() public {
        Run memory run = txBatch();
        uint256 b = appendWithDeposits(run.data, 1);
        StateCommitment.StateHeader[] memory wrong = run.headers;
        wrong[2].accountsRoot = keccak256("dave got 2 ether");
        bytes memory trace = traceOfHeaders(wrong);
        uint256 p = proposeTrace(b, wrong[4], trace);
        (bool won,) = challenge(p, 1, wrong[0], calldataProof(trace), calldataProof(run.data), run.witnesses[1]);
        assertFalse(won, "step 1 is right");
        // Step 3 starts from the wrong leaf 2: its pre-state preimage is the wrong header, and the proposer's own
        // leaf 3 does not follow from it either.
        uint256 deadBefore = DEAD.balance;
        vm.expectEmit(address(rollup));
        emit ChallengeWon(p, 3, challenger, 2, CHALLENGE_BOND + BOND / 2, BOND - BOND / 2);
        uint256 gasUsed;
        (won, gasUsed) = challenge(p, 2, wrong[1], calldataProof(trace), calldataProof(run.data), run.witnesses[2]);
        assertTrue(won, "step 2 is wrong");
        emit log_named_uint("gas: challengeStep, ETH transfer to a new account (calldata, won)", gasUsed);
        assertEq(DEAD.balance - deadBefore, BOND - BOND / 2);
        assertTrue(rollup.getProposal(p).deleted && rollup.getProposal(p).slashed);
        // The honest proposal follows genesis again.
        uint256 q = proposeTrace(b, run.headers[4], run.trace);
        assertEq(rollup.parentCommitment(q), rollup.genesisCommitment());
    }

    function test_challengeStepRevertPaths() public {
        Run memory run = txBatch();
        uint256 b = appendWithDeposits(run.data, 1);
        uint256 p = proposeTrace(b, run.headers[4], run.trace);
        DataSource.DataProof memory traceProof = calldataProof(run.trace);
        DataSource.DataProof memory rowProof = calldataProof(run.data);
        vm.startPrank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Rollup.InvalidStep.selector, 0, 4));
        rollup.challengeStep{value: CHALLENGE_BOND}(p, 0, run.headers[0], traceProof, rowProof, "");
        vm.expectRevert(abi.encodeWithSelector(Rollup.InvalidStep.selector, 5, 4));
        rollup.challengeStep{value: CHALLENGE_BOND}(p, 5, run.headers[4], traceProof, rowProof, "");
        bytes32 leaf1 = StateCommitment.commitment(run.headers[1]);
        bytes32 c0 = StateCommitment.commitment(run.headers[0]);
        vm.expectRevert(abi.encodeWithSelector(Rollup.PreStateMismatch.selector, leaf1, c0));
        rollup.challengeStep{value: CHALLENGE_BOND}(p, 2, run.headers[0], traceProof, rowProof, run.witnesses[2]);
        vm.expectRevert(abi.encodeWithSelector(StepVerifier.WitnessLength.selector, 0));
        rollup.challengeStep{value: CHALLENGE_BOND}(p, 2, run.headers[1], traceProof, rowProof, "");
        vm.expectRevert(
            abi.encodeWithSelector(DataSource.SourceHashMismatch.selector, keccak256(run.trace), keccak256(run.data))
        );
        rollup.challengeStep{value: CHALLENGE_BOND}(p, 2, run.headers[1], rowProof, rowProof, run.witnesses[2]);
        vm.expectRevert(
            abi.encodeWithSelector(DataSource.SourceHashMismatch.selector, keccak256(run.data), keccak256(run.trace))
        );
        rollup.challengeStep{value: CHALLENGE_BOND}(p, 2, run.headers[1], traceProof, traceProof, run.witnesses[2]);
        // The witness of another step: wrong Merkle witnesses revert (StepVerifier's or TxExecutor's errors).
        vm.expectRevert();
        rollup.challengeStep{value: CHALLENGE_BOND}(p, 3, run.headers[2], traceProof, rowProof, run.witnesses[2]);
        vm.stopPrank();
        assertEq(rollup.payouts(proposer), 0, "malformed evidence costs nothing");
        assertFalse(rollup.getProposal(p).deleted);
    }

    /// A step count past the batch's rows (kind 2's business) cannot be challenged at a row that does not exist.
    function test_aStepPastTheBatchCannotBeRead() public {
        Run memory run = txBatch();
        uint256 b = appendWithDeposits(run.data, 1);
        StateCommitment.StateHeader[] memory hs = new StateCommitment.StateHeader[](6);
        for (uint256 i = 0; i < 5; i++) {
            hs[i] = run.headers[i];
        }
        hs[5] = run.headers[4];
        bytes memory trace = traceOfHeaders(hs);
        uint256 p = proposeTrace(b, hs[5], trace);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(DataSource.ReadPastEnd.selector, 27 + 124 * 4, 124, run.data.length));
        rollup.challengeStep{value: CHALLENGE_BOND}(p, 5, hs[4], calldataProof(trace), calldataProof(run.data), "");
        assertTrue(challengeCount(p, run.headers[0], calldataProof(run.data), noRange()), "kind 2 proves it");
    }

    function challengeCount(
        uint256 proposalIndex,
        StateCommitment.StateHeader memory parent,
        DataSource.DataProof memory proof,
        BlobData.RangeProof memory lastRow
    ) internal returns (bool) {
        commitAs(challenger, abi.encodeCall(Rollup.challengeStepCount, (proposalIndex, parent, proof, lastRow)));
        vm.prank(challenger);
        return rollup.challengeStepCount{value: CHALLENGE_BOND}(proposalIndex, parent, proof, lastRow);
    }

    function test_stepsOfABlobBatch() public {
        Run memory run = blobRun();
        vm.blobhashes(one(B_VALID_VH0));
        vm.prank(batcher);
        uint256 b = rollup.appendBatch(1, 2, 1, 1);
        uint256 p = proposeTrace(b, run.headers[3], run.trace);
        for (uint64 s = 1; s <= 3; s++) {
            (bool won, uint256 gasUsed) =
                challenge(p, s, run.headers[s - 1], calldataProof(run.trace), blobRow(s - 1), run.witnesses[s]);
            assertFalse(won, "honest");
            if (s == 2) emit log_named_uint("gas: challengeStep, deposit row from a blob (4 openings, lost)", gasUsed);
        }
        // Openings of another row: the precompile rejects them for this row's elements.
        vm.prank(challenger);
        vm.expectRevert();
        rollup.challengeStep{value: CHALLENGE_BOND}(
            p, 2, run.headers[1], calldataProof(run.trace), blobRow(0), run.witnesses[2]
        );

        // A proposal that skipped the deposit (leaf 2 = leaf 1): step 2 proves it wrong.
        rollup.deleteFrom(p);
        StateCommitment.StateHeader[] memory wrong = run.headers;
        wrong[2] = run.headers[1];
        wrong[3] = run.headers[1];
        wrong[3].blockNumber = 2;
        bytes memory trace = traceOfHeaders(wrong);
        uint256 q = proposeTrace(b, wrong[3], trace);
        (bool won2,) = challenge(q, 2, wrong[1], calldataProof(trace), blobRow(1), run.witnesses[2]);
        assertTrue(won2, "skipped deposit");
    }
}

/// @notice Gas of each challenge kind, one challenge per test, the proposal made in setUp so the rollup's storage is
///         cold as in a real transaction (`forge test --match-contract ChallengeGas -vv`). Execution gas of the
///         call as the test sees it (no 21,000, no calldata).
contract ChallengeGasKind1Test is ChallengeBase {
    uint256 internal p;

    function setUp() public override {
        super.setUp();
        appendCalldataBatch();
        p = proposeBlobTrace(0, 2, endHeader(), T_BAD_LAST_VH0);
    }

    function measure(uint8 bound_, uint256 first, uint256 count, string memory label) internal {
        DataSource.DataProof memory proof =
            blobProof(one(T_BAD_LAST_VH0), rangeOf(T_BAD_LAST_C0, T_BAD_LAST_VALUES, T_BAD_LAST_PROOFS, first, count));
        commitAs(challenger, abi.encodeCall(Rollup.challengeTraceBounds, (p, bound_, proof)));
        vm.prank(challenger);
        uint256 g = gasleft();
        rollup.challengeTraceBounds{value: CHALLENGE_BOND}(p, bound_, proof);
        emit log_named_uint(label, g - gasleft());
    }

    function test_gas_kind1_length_lost() public {
        measure(0, 0, 1, "gas: challengeTraceBounds length (1 opening, lost)");
    }

    function test_gas_kind1_firstLeaf_lost() public {
        measure(1, 0, 2, "gas: challengeTraceBounds first leaf (2 openings, lost)");
    }

    function test_gas_kind1_lastLeaf_won() public {
        measure(2, 2, 2, "gas: challengeTraceBounds last leaf (2 openings, won)");
        assertTrue(rollup.getProposal(p).deleted);
    }
}

/// @notice Kind 2 worst case: a 1024-row batch over two blobs, header opening + a last row straddling the blobs
///         (5 openings).
contract ChallengeGasKind2Test is ChallengeBase {
    uint256 internal lost;

    function setUp() public override {
        super.setUp();
        uint256 b = appendBlobBatch(two(B_TWO_VH0, B_TWO_VH1));
        lost = proposeBlobTrace(b, 1024, endHeader(), LONG_TRACE_VH);
    }

    function measure(uint256 p, string memory label) internal returns (bool won) {
        DataSource.DataProof memory head =
            blobProof(two(B_TWO_VH0, B_TWO_VH1), rangeOf(B_TWO_C0, B_TWO_VALUES, B_TWO_PROOFS, 0, 1));
        BlobData.RangeProof memory lastRow = rangeOf(bytes.concat(B_TWO_C0, B_TWO_C1), B_TWO_VALUES, B_TWO_PROOFS, 1, 4);
        StateCommitment.StateHeader memory parent = genesisHeader();
        commitAs(challenger, abi.encodeCall(Rollup.challengeStepCount, (p, parent, head, lastRow)));
        vm.prank(challenger);
        uint256 g = gasleft();
        won = rollup.challengeStepCount{value: CHALLENGE_BOND}(p, parent, head, lastRow);
        emit log_named_uint(label, g - gasleft());
    }

    function test_gas_kind2_twoBlobs_lost() public {
        assertFalse(measure(lost, "gas: challengeStepCount, 2 blobs, 5 openings (lost)"));
    }
}

contract ChallengeGasKind2WonTest is ChallengeBase {
    uint256 internal wrong;

    function setUp() public override {
        super.setUp();
        uint256 b = appendBlobBatch(two(B_TWO_VH0, B_TWO_VH1));
        wrong = proposeBlobTrace(b, 1023, endHeader(), LONG_TRACE_VH);
    }

    function test_gas_kind2_twoBlobs_won() public {
        DataSource.DataProof memory head =
            blobProof(two(B_TWO_VH0, B_TWO_VH1), rangeOf(B_TWO_C0, B_TWO_VALUES, B_TWO_PROOFS, 0, 1));
        BlobData.RangeProof memory lastRow = rangeOf(bytes.concat(B_TWO_C0, B_TWO_C1), B_TWO_VALUES, B_TWO_PROOFS, 1, 4);
        StateCommitment.StateHeader memory parent = genesisHeader();
        commitAs(challenger, abi.encodeCall(Rollup.challengeStepCount, (wrong, parent, head, lastRow)));
        vm.prank(challenger);
        uint256 g = gasleft();
        bool won = rollup.challengeStepCount{value: CHALLENGE_BOND}(wrong, parent, head, lastRow);
        emit log_named_uint("gas: challengeStepCount, 2 blobs, 5 openings (won)", g - gasleft());
        assertTrue(won);
    }
}

/// @notice Kind 3 on the tx batch (calldata batch and trace): every row type, honest (lost).
contract ChallengeGasKind3Test is ChallengeStepBase {
    uint256 internal p;
    uint256 internal dataLength;

    function setUp() public override {
        super.setUp();
        Run memory run = txBatch();
        uint256 b = appendWithDeposits(run.data, 1);
        p = proposeTrace(b, run.headers[4], run.trace);
    }

    function measure(uint64 s, string memory label) internal {
        Run memory run = txRun();
        (bool won, uint256 gasUsed) =
            challenge(p, s, run.headers[s - 1], calldataProof(run.trace), calldataProof(run.data), run.witnesses[s]);
        assertFalse(won);
        emit log_named_uint(label, gasUsed);
        emit log_named_uint("  calldata: witness bytes", run.witnesses[s].length);
    }

    function test_gas_kind3_deposit_newAccount() public {
        measure(1, "gas: challengeStep, deposit creating an account (lost)");
    }

    function test_gas_kind3_ethTransfer_newAccount() public {
        measure(2, "gas: challengeStep, ETH transfer to a new account (lost)");
    }

    function test_gas_kind3_ethWithdrawal() public {
        measure(3, "gas: challengeStep, ETH withdrawal (lost)");
    }

    function test_gas_kind3_blockEnd() public {
        measure(4, "gas: challengeStep, block end (lost)");
    }
}

/// @notice Kind 3 won: the transfer step of a trace that credits the new account twice.
contract ChallengeGasKind3WonTest is ChallengeStepBase {
    uint256 internal p;

    function wrongTrace(Run memory run) internal pure returns (StateCommitment.StateHeader[] memory wrong) {
        wrong = run.headers;
        wrong[2].accountsRoot = keccak256("dave got 2 ether");
    }

    function setUp() public override {
        super.setUp();
        Run memory run = txBatch();
        uint256 b = appendWithDeposits(run.data, 1);
        StateCommitment.StateHeader[] memory wrong = wrongTrace(run);
        p = proposeTrace(b, wrong[4], traceOfHeaders(wrong));
    }

    function test_gas_kind3_ethTransfer_won() public {
        Run memory run = txRun();
        StateCommitment.StateHeader[] memory wrong = wrongTrace(run);
        (bool won, uint256 gasUsed) =
            challenge(p, 2, wrong[1], calldataProof(traceOfHeaders(wrong)), calldataProof(run.data), run.witnesses[2]);
        assertTrue(won);
        emit log_named_uint("gas: challengeStep, ETH transfer to a new account (won)", gasUsed);
    }
}

/// @notice Kind 3 with the row read from a blob (4 openings): the deposit row of B_VALID.
contract ChallengeGasKind3BlobTest is ChallengeStepBase {
    uint256 internal p;

    function setUp() public override {
        super.setUp();
        Run memory run = blobRun();
        vm.blobhashes(one(B_VALID_VH0));
        vm.prank(batcher);
        uint256 b = rollup.appendBatch(1, 2, 1, 1);
        p = proposeTrace(b, run.headers[3], run.trace);
    }

    function test_gas_kind3_blobRow_deposit() public {
        Run memory run = blobModel();
        (bool won, uint256 gasUsed) =
            challenge(p, 2, run.headers[1], calldataProof(run.trace), blobRow(1), run.witnesses[2]);
        assertFalse(won);
        emit log_named_uint("gas: challengeStep, deposit row from a blob, 4 openings (lost)", gasUsed);
    }
}

/// @notice The rollup on the TypeScript StepVectors (scripts/genStepVectors.ts: rows, witnesses and headers from
///         src/core) with a portal that answers like theirs.
abstract contract StepVectorsRollupBase is Test, ChallengeVectors {
    uint256 internal constant WINDOW = 1 hours;
    uint256 internal constant BOND = 1 ether;
    uint256 internal constant CHALLENGE_BOND = 0.25 ether;
    address internal batcher = makeAddr("batcher");
    address internal proposer = makeAddr("proposer");
    address internal challenger = makeAddr("challenger");
    RollupHarness internal rollup;

    function deploy(StateCommitment.StateHeader memory genesis) internal {
        VectorPortal vectorPortal = new VectorPortal();
        rollup = new RollupHarness(address(vectorPortal), batcher, WINDOW, BOND, CHALLENGE_BOND, genesis, 901, 1 gwei);
        vm.deal(proposer, 1_000 ether);
        vm.deal(challenger, 1_000 ether);
    }

    function commitAs(address who, bytes memory call) internal {
        ChallengeCommit.commitAs(rollup, who, call);
    }

    function rangeOf(bytes memory commitments, bytes memory values, bytes memory proofs, uint256 count)
        internal
        pure
        returns (BlobData.RangeProof memory r)
    {
        r.commitments = commitments;
        r.values = new bytes32[](count);
        for (uint256 k = 0; k < count; k++) {
            bytes32 v;
            assembly ("memory-safe") {
                v := mload(add(add(values, 0x20), mul(k, 0x20)))
            }
            r.values[k] = v;
        }
        r.proofs = proofs;
    }

    function blobSource(bytes32 vh, BlobData.RangeProof memory range)
        internal
        pure
        returns (DataSource.DataProof memory p)
    {
        p.versionedHashes = new bytes32[](1);
        p.versionedHashes[0] = vh;
        p.range = range;
    }
}

contract ChallengeStepVectorsTest is StepVectorsRollupBase {
    function proposeCalldata(
        bytes32 dataHash,
        uint256 batchIndex,
        StateCommitment.StateHeader memory end,
        bytes memory trace
    ) internal returns (uint256) {
        vm.prank(proposer);
        return rollup.proposeCalldata{value: BOND}(batchIndex, dataHash, end, trace);
    }

    function challenge(uint256 p, uint64 s, StepVectors.StepVector memory v, bytes memory trace, bytes memory data)
        internal
        returns (bool)
    {
        DataSource.DataProof memory traceProof;
        traceProof.data = trace;
        DataSource.DataProof memory rowProof;
        rowProof.data = data;
        commitAs(challenger, abi.encodeCall(Rollup.challengeStep, (p, s, v.pre, traceProof, rowProof, v.witness)));
        vm.prank(challenger);
        return rollup.challengeStep{value: CHALLENGE_BOND}(p, s, v.pre, traceProof, rowProof, v.witness);
    }

    struct Group {
        uint256 first;
        uint256 last;
        uint256 batchIndex;
        bytes32 dataHash;
        bytes data;
        bytes trace;
    }

    function group(StepVectors.StepVector[] memory all, uint256 first) internal returns (Group memory g) {
        g.first = first;
        g.last = first;
        while (g.last + 1 < all.length && all[g.last + 1].batchDepositCountAfter == all[first].batchDepositCountAfter) {
            g.last++;
        }
        // forge-lint: disable-next-line(unsafe-typecast) small
        g.data = abi.encodePacked(uint8(3), all[first].pre.blockNumber + 1, uint32(g.last - first + 1), bytes14(0));
        g.trace = abi.encodePacked(all[first].preCommitment);
        for (uint256 k = first; k <= g.last; k++) {
            g.data = bytes.concat(g.data, all[k].row);
            g.trace = bytes.concat(g.trace, all[k].postCommitment);
        }
        vm.prank(batcher);
        g.batchIndex = rollup.appendBatchCalldata(1, 1, all[first].batchDepositCountAfter, g.data);
        g.dataHash = keccak256(g.data);
    }

    /// Proposes the group's trace with leaf `s` replaced by a commitment the row does not produce; step `s` wins.
    function tamperedStepWins(StepVectors.StepVector[] memory all, Group memory g, uint256 s) internal {
        StepVectors.StepVector memory v = all[g.first + s - 1];
        StateCommitment.StateHeader memory tamperedPost = StateCommitment.StateHeader({
            accountsRoot: v.post.accountsRoot,
            withdrawalsRoot: v.post.withdrawalsRoot,
            addressesRoot: v.post.addressesRoot,
            accountCount: v.post.accountCount,
            withdrawalCount: v.post.withdrawalCount,
            depositCount: v.post.depositCount,
            blockNumber: v.post.blockNumber,
            tokenCount: v.post.tokenCount + 1
        });
        bytes memory tampered = bytes.concat(g.trace);
        bytes32 leaf = StateCommitment.commitment(tamperedPost);
        assembly ("memory-safe") {
            mstore(add(tampered, add(0x20, mul(32, s))), leaf)
        }
        bool isLast = g.first + s - 1 == g.last;
        uint256 bad = proposeCalldata(g.dataHash, g.batchIndex, isLast ? tamperedPost : all[g.last].post, tampered);
        // forge-lint: disable-next-line(unsafe-typecast) small
        assertTrue(challenge(bad, uint64(s), v, tampered, g.data), v.name);
        assertTrue(rollup.getProposal(bad).slashed, v.name);
    }

    /// Every case, in batches of equal `batchDepositCountAfter`: a trace with that case's leaf changed loses the
    /// proposal to `challengeStep` at exactly that step; the honest trace survives a challenge of every step.
    function test_everyStepVectorThroughTheRollup() public {
        StepVectors.StepVector[] memory all = new StepVectors.StepVector[](StepVectors.COUNT);
        for (uint256 i = 0; i < StepVectors.COUNT; i++) {
            all[i] = StepVectors.get(i);
        }
        deploy(all[0].pre);
        uint256 won;
        uint256 lost;
        for (uint256 first = 0; first < StepVectors.COUNT;) {
            Group memory g = group(all, first);
            uint256 n = g.last - g.first + 1;
            for (uint256 s = 1; s <= n; s++) {
                tamperedStepWins(all, g, s);
                won++;
            }
            uint256 p = proposeCalldata(g.dataHash, g.batchIndex, all[g.last].post, g.trace);
            for (uint256 s = 1; s <= n; s++) {
                // forge-lint: disable-next-line(unsafe-typecast) small
                assertFalse(challenge(p, uint64(s), all[g.first + s - 1], g.trace, g.data), all[g.first + s - 1].name);
                lost++;
            }
            first = g.last + 1;
        }
        assertEq(won, StepVectors.COUNT);
        assertEq(lost, StepVectors.COUNT);
        assertEq(rollup.payouts(proposer), StepVectors.COUNT * CHALLENGE_BOND);
    }
}

/// @notice Kind 3 worst case, everything from blobs: StepVerifier's heaviest row (StepVectors case `S_CASE`, a token
///         transfer to a new account) read from a batch blob (4 openings), leaves 0 and 1 from a trace blob (3
///         openings). One challenge per test, proposal made in setUp (cold storage).
abstract contract AllBlobStepBase is StepVectorsRollupBase {
    uint256 internal p;

    function traceBlob()
        internal
        pure
        virtual
        returns (bytes32 vh, bytes memory c, bytes memory values, bytes memory proofs);

    function setUp() public {
        vm.warp(1_700_000_000);
        StepVectors.StepVector memory v = StepVectors.get(S_CASE);
        deploy(v.pre);
        bytes32[] memory hashes = new bytes32[](1);
        hashes[0] = S_BATCH_VH0;
        vm.blobhashes(hashes);
        vm.prank(batcher);
        uint256 b = rollup.appendBatch(1, 1, v.batchDepositCountAfter, 1);
        (bytes32 vh,,,) = traceBlob();
        hashes[0] = vh;
        vm.blobhashes(hashes);
        bytes32 dataHash = rollup.getBatch(b).dataHash;
        vm.prank(proposer);
        p = rollup.propose{value: BOND}(b, dataHash, v.post, 1, 1);
    }

    function run() internal returns (bool won, uint256 gasUsed) {
        StepVectors.StepVector memory v = StepVectors.get(S_CASE);
        (bytes32 vh, bytes memory c, bytes memory values, bytes memory proofs) = traceBlob();
        DataSource.DataProof memory traceProof = blobSource(vh, rangeOf(c, values, proofs, 3));
        DataSource.DataProof memory rowProof =
            blobSource(S_BATCH_VH0, rangeOf(S_BATCH_C0, S_BATCH_VALUES, S_BATCH_PROOFS, 4));
        commitAs(challenger, abi.encodeCall(Rollup.challengeStep, (p, 1, v.pre, traceProof, rowProof, v.witness)));
        vm.prank(challenger);
        uint256 before = gasleft();
        won = rollup.challengeStep{value: CHALLENGE_BOND}(p, 1, v.pre, traceProof, rowProof, v.witness);
        gasUsed = before - gasleft();
    }
}

contract ChallengeGasKind3AllBlobTest is AllBlobStepBase {
    function traceBlob() internal pure override returns (bytes32, bytes memory, bytes memory, bytes memory) {
        return (S_TRACE_VH0, S_TRACE_C0, S_TRACE_VALUES, S_TRACE_PROOFS);
    }

    function test_gas_kind3_allBlob_tokenTransferToANewAccount_lost() public {
        (bool won, uint256 gasUsed) = run();
        assertFalse(won);
        emit log_named_uint(
            "gas: challengeStep, token transfer to a new account, all from blobs, 7 openings (lost)", gasUsed
        );
    }
}

contract ChallengeGasKind3AllBlobWonTest is AllBlobStepBase {
    function traceBlob() internal pure override returns (bytes32, bytes memory, bytes memory, bytes memory) {
        return (S_TRACE_BAD_VH0, S_TRACE_BAD_C0, S_TRACE_BAD_VALUES, S_TRACE_BAD_PROOFS);
    }

    function test_gas_kind3_allBlob_tokenTransferToANewAccount_won() public {
        (bool won, uint256 gasUsed) = run();
        assertTrue(won);
        assertTrue(rollup.getProposal(p).slashed);
        emit log_named_uint(
            "gas: challengeStep, token transfer to a new account, all from blobs, 7 openings (won)", gasUsed
        );
    }
}
