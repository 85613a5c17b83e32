// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BlobData} from "../../src/common/BlobData.sol";
import {DevToken} from "../../src/common/DevToken.sol";
import {DataSource} from "../../src/optimistic/DataSource.sol";
import {Portal} from "../../src/optimistic/Portal.sol";
import {Rollup} from "../../src/optimistic/Rollup.sol";
import {StateCommitment} from "../../src/optimistic/StateCommitment.sol";
import {ChallengeCommit} from "../utils/ChallengeCommit.sol";
import {MerkleTree} from "../utils/MerkleTree.sol";
import {FeeOnTransferToken, MockRollup, RollupHarness} from "../utils/Mocks.sol";
import {Test} from "../utils/Test.sol";
import {ChallengeVectors} from "../vectors/ChallengeVectors.sol";
import {StepVectors} from "../vectors/StepVectors.sol";

/// @notice Drives the portal with random deposits and with withdrawals "proven" against state roots that a
///         malicious rollup finalizes at will (including replays and amounts above what was deposited).
contract PortalHandler is Test {
    Portal public immutable portal;
    MockRollup public immutable rollup;
    DevToken public immutable token;
    FeeOnTransferToken public immutable feeToken;
    bytes32 internal constant ACCOUNTS_ROOT = keccak256("accounts");

    address[3] internal users = [address(0x1111), address(0x2222), address(0x3333)];
    uint256 public nextWithdrawalIndex;
    uint256 public nextProposal;
    Portal.Withdrawal[] internal paid;
    mapping(address l1Token => uint256) public ghostPaid;

    constructor(Portal portal_, MockRollup rollup_, DevToken token_, FeeOnTransferToken feeToken_) {
        portal = portal_;
        rollup = rollup_;
        token = token_;
        feeToken = feeToken_;
    }

    function depositETH(uint256 userSeed, uint256 amount) external {
        address user = users[userSeed % 3];
        amount = bound(amount, 1, 100 ether);
        vm.deal(user, amount);
        vm.prank(user);
        portal.depositETH{value: amount}(user);
    }

    function depositToken(uint256 userSeed, uint256 amount, bool withFee) external {
        address user = users[userSeed % 3];
        amount = bound(amount, 1, 1_000_000 ether);
        address l1Token = withFee ? address(feeToken) : address(token);
        if (withFee) feeToken.mint(user, amount);
        else assertTrue(token.transfer(user, amount), "funding transfer");
        vm.startPrank(user);
        DevToken(l1Token).approve(address(portal), amount);
        uint256 registrationFee0 = portal.tokenRegistrationFee(l1Token);
        vm.deal(user, user.balance + registrationFee0);
        if (withFee && amount * feeToken.feeBps() / 10_000 == amount) vm.expectRevert(Portal.ZeroAmount.selector);
        portal.depositERC20{value: registrationFee0}(l1Token, user, amount);
        vm.stopPrank();
    }

    /// A "finalized" state containing one withdrawal of any amount: pays only if deposits cover it.
    function withdraw(uint256 userSeed, uint256 tokenSeed, uint256 amount) external {
        address l1Token = [address(0), address(token), address(feeToken)][tokenSeed % 3];
        uint256 available = portal.totalDeposited(l1Token) - portal.totalWithdrawn(l1Token);
        amount = bound(amount, 0, available * 2 + 1);
        Portal.Withdrawal memory w = Portal.Withdrawal({
            index: nextWithdrawalIndex++,
            sender: users[userSeed % 3],
            recipient: users[(userSeed % 3 + 1) % 3],
            l1Token: l1Token,
            amount: amount
        });
        (uint256 proposal, bytes32[32] memory siblings) = finalize(w);
        bool registered = l1Token == address(0) || portal.tokenIndexOf(l1Token) != 0;
        if (!registered) {
            vm.expectRevert(abi.encodeWithSelector(Portal.UnknownToken.selector, l1Token));
        } else if (amount > available) {
            vm.expectRevert(
                abi.encodeWithSelector(Portal.WithdrawalExceedsDeposits.selector, l1Token, amount, available)
            );
        }
        portal.finalizeWithdrawal(proposal, w, ACCOUNTS_ROOT, siblings);
        if (registered && amount <= available) {
            paid.push(w);
            ghostPaid[l1Token] += amount;
        }
    }

    /// Replays an already paid withdrawal against a fresh finalized root: always refused.
    function replay(uint256 seed) external {
        if (paid.length == 0) return;
        Portal.Withdrawal memory w = paid[seed % paid.length];
        (uint256 proposal, bytes32[32] memory siblings) = finalize(w);
        vm.expectRevert(abi.encodeWithSelector(Portal.WithdrawalAlreadyFinalized.selector, keccak256(abi.encode(w))));
        portal.finalizeWithdrawal(proposal, w, ACCOUNTS_ROOT, siblings);
    }

    function finalize(Portal.Withdrawal memory w) internal returns (uint256 proposal, bytes32[32] memory siblings) {
        uint256[] memory indices = MerkleTree.one(w.index);
        bytes32[] memory leaves = MerkleTree.one(keccak256(abi.encode(w)));
        siblings = MerkleTree.proof32(w.index, indices, leaves);
        proposal = nextProposal++;
        rollup.setFinalizedStateRoot(
            proposal, keccak256(abi.encodePacked(ACCOUNTS_ROOT, MerkleTree.root(32, indices, leaves)))
        );
    }
}

/// forge-config: default.invariant.fail-on-revert = true
contract PortalSolvencyTest is Test {
    Portal internal portal;
    PortalHandler internal handler;
    DevToken internal token;
    FeeOnTransferToken internal feeToken;

    function setUp() public {
        portal = new Portal();
        MockRollup rollup = new MockRollup();
        portal.initialize(address(rollup));
        address[] memory holders = new address[](1);
        holders[0] = address(this);
        token = new DevToken("Dev", "DEV", 18, holders, type(uint128).max);
        feeToken = new FeeOnTransferToken(250);
        handler = new PortalHandler(portal, rollup, token, feeToken);
        assertTrue(token.transfer(address(handler), type(uint128).max), "funding transfer");
        targetContract(address(handler));
    }

    /// What the portal holds always equals deposits minus withdrawals, per token, and withdrawals never exceed
    /// deposits.
    function invariant_portalNeverPaysOutMoreThanWasDeposited() public view {
        assertLe(portal.totalWithdrawn(address(0)), portal.totalDeposited(address(0)), "ETH");
        assertEq(address(portal).balance, portal.totalDeposited(address(0)) - portal.totalWithdrawn(address(0)));
        address[2] memory tokens = [address(token), address(feeToken)];
        for (uint256 i = 0; i < 2; i++) {
            address t = tokens[i];
            assertLe(portal.totalWithdrawn(t), portal.totalDeposited(t), "token");
            assertEq(DevToken(t).balanceOf(address(portal)), portal.totalDeposited(t) - portal.totalWithdrawn(t));
        }
    }

    /// The portal's own totals agree with what the handler saw paid.
    function invariant_withdrawnTotalsMatchPayments() public view {
        assertEq(portal.totalWithdrawn(address(0)), handler.ghostPaid(address(0)));
        assertEq(portal.totalWithdrawn(address(token)), handler.ghostPaid(address(token)));
        assertEq(portal.totalWithdrawn(address(feeToken)), handler.ghostPaid(address(feeToken)));
    }
}

/// @notice The whole L1 side with a real Rollup: an honest L2 (deposits credit a ghost L2 balance, L2 withdrawals
///         move it into honest withdrawal leaves), an honest proposer, an attacker proposing states with withdrawals
///         that never happened, and a watcher that challenges every fraudulent proposal inside its window.
///         Batches come in four kinds (`BatchKind`): calldata, forced, blob (a real EIP-4844 blob: challenges open
///         it with KZG proofs) and step batches (calldata holding a real L2 withdrawal row from the StepVectors).
///         Frauds come in two kinds: a wrong step count (kind 2 proves it), and a one-step fault, the right step
///         count with one wrong leaf after a real row, which kind 2 cannot prove and kind 3 does.
/// @dev States are stand-ins (a fixed accounts root, withdrawal trees the handler builds), so an honest trace is
///      honest as far as the watcher's challenges can tell: its step count is right and, on step batches and valid
///      blob batches, its leaf after the real row is right (the watcher checks that with kind 3 too). Its other
///      leaves stand for rows the model does not execute; nobody challenges them.
contract RollupSolvencyHandler is Test, ChallengeVectors {
    uint256 internal constant WINDOW = 1 hours;
    uint256 internal constant BOND = 1 ether;
    uint256 internal constant CHALLENGE_BOND = 0.25 ether;
    uint256 internal constant MAX_WITHDRAWALS = 8;
    bytes32 internal constant ACCOUNTS_ROOT = keccak256("accounts");
    uint256 internal constant ROW_BYTES = 124;
    /// StepVectors case whose row a step batch carries: an ETH withdrawal on L2. Case 13 ends in its pre-state, so
    /// the batch's rows are case 13's, this one's, then a block end.
    uint256 internal constant STEP_CASE = 14;
    /// The step whose leaf a one-step fault gets wrong: STEP_CASE's row in a step batch, the deposit row of a blob.
    uint64 internal constant FAULT_STEP = 2;

    /// How a batch was appended. It fixes the batch's rows, hence the step count it proves and what a challenge
    /// opens.
    enum BatchKind {
        /// `appendBatchCalldata`, one row: a block end.
        Calldata,
        /// `appendForcedBatch`: 1–3 queued tx rows, no block end (valid wherever it is).
        Forced,
        /// `appendBatch`: blob B_VALID (ChallengeVectors, with precomputed KZG openings), rows [block end, deposit,
        /// block end] from block 1. After a state at block 0 it is valid (3 steps); anywhere else its first block
        /// does not follow the parent's, so it is invalid (0 steps: the state stays the parent's).
        Blob,
        /// `appendBatchCalldata`: StepVectors rows 13 and STEP_CASE, then a block end.
        Step
    }

    struct BatchInfo {
        BatchKind kind;
        /// The step count it proves. Every proposal over batch b follows one over batch b - 1, whose states are all at
        /// the same block, so this is fixed when the batch is appended.
        uint64 steps;
        /// L2 block number of every state after it.
        uint64 blockAfter;
        /// The batch data (calldata and forced batches).
        bytes data;
    }

    Portal public immutable portal;
    RollupHarness public immutable rollup;
    address public immutable batcher;

    address internal constant HONEST = address(0xA0);
    address internal constant ATTACKER = address(0xBAD);
    address internal constant WATCHER = address(0xC0);
    address[3] internal users = [address(0x1111), address(0x2222), address(0x3333)];

    mapping(address user => uint256) public ghostL2Balance;
    uint256 public ghostDeposited;
    uint256 public ghostWithdrawnOnL2;
    uint256 public ghostPaid;
    uint256 public fakePaid;
    uint256 public challengesWon;
    uint256 public challengesLost;
    /// Fakes proven by kind 3 (each first survived a kind 2 challenge).
    uint256 public oneStepFaultsProven;
    /// Fakes over blob batches proven (kind 2 or kind 3, both opening the blob).
    uint256 public blobFakesProven;
    /// Kind 3 challenges an honest proposal survived at its real step.
    uint256 public honestStepsChecked;

    Portal.Withdrawal[] internal honest;
    Portal.Withdrawal[] internal fakes;
    mapping(uint256 batchIndex => BatchInfo) internal batches;
    mapping(uint256 proposalIndex => StateCommitment.StateHeader) internal headers;
    /// Each proposal's calldata trace (kind 3 supplies it whole).
    mapping(uint256 proposalIndex => bytes) internal traces;
    mapping(uint256 proposalIndex => bool) public isFake;
    /// The step whose leaf a fake gets wrong (kind 3 proves it), or 0 for a wrong step count (kind 2).
    mapping(uint256 proposalIndex => uint64) public fraudStep;
    /// Honest withdrawals (a prefix of `honest`) in each proposal's state.
    mapping(uint256 proposalIndex => uint256) internal included;
    /// The fake withdrawal (index into `fakes` + 1) a fake proposal holds.
    mapping(uint256 proposalIndex => uint256) internal fakeOf;
    /// Proposals the attacker stacked on a live fraudulent one (their own claims are right).
    mapping(uint256 proposalIndex => bool) public onFake;
    uint256 public forcedBatches;
    uint256 public bondsForfeited;
    /// The same ghosts for an ERC-20 bridged next to ETH.
    DevToken public immutable token;
    mapping(address user => uint256) public ghostTokenL2Balance;
    uint256 public ghostTokenDeposited;
    uint256 public ghostTokenWithdrawnOnL2;
    uint256 public ghostTokenPaid;

    constructor(Portal portal_, RollupHarness rollup_, address batcher_) {
        portal = portal_;
        rollup = rollup_;
        batcher = batcher_;
        address[] memory holders = new address[](1);
        holders[0] = address(this);
        token = new DevToken("Solvency Token", "SOL", 18, holders, 1e30);
        // The step row's vectors chain, and its post-state holds exactly the withdrawal `stepWithdrawal` describes:
        // the leaf a one-step fault forges differs from the real one in that withdrawal's recipient only.
        StepVectors.StepVector memory v = StepVectors.get(STEP_CASE);
        assertEq(StepVectors.get(STEP_CASE - 1).postCommitment, v.preCommitment, "cases chain");
        assertEq(_withdrawalsRootOf(stepWithdrawal()), v.post.withdrawalsRoot, "the step row's withdrawal");
        assertEq(v.chainId, rollup_.l2ChainId(), "chain id");
        assertEq(v.baseFee, rollup_.l2BaseFee(), "base fee");
    }

    function depositToken(uint256 userSeed, uint256 amount) external {
        address user = users[userSeed % 3];
        amount = bound(amount, 1, 1e24);
        assertTrue(token.transfer(user, amount), "funding transfer");
        uint256 fee = portal.tokenRegistrationFee(address(token));
        vm.deal(user, user.balance + fee);
        vm.startPrank(user);
        token.approve(address(portal), amount);
        portal.depositERC20{value: fee}(address(token), user, amount);
        vm.stopPrank();
        ghostTokenL2Balance[user] += amount;
        ghostTokenDeposited += amount;
    }

    function l2WithdrawToken(uint256 userSeed, uint256 amount) external {
        address user = users[userSeed % 3];
        if (honest.length >= MAX_WITHDRAWALS || ghostTokenL2Balance[user] == 0) return;
        amount = bound(amount, 1, ghostTokenL2Balance[user]);
        ghostTokenL2Balance[user] -= amount;
        ghostTokenWithdrawnOnL2 += amount;
        honest.push(
            Portal.Withdrawal({
                index: honest.length, sender: user, recipient: user, l1Token: address(token), amount: amount
            })
        );
    }

    // ------------------------------------------------------------------ L2 side

    function deposit(uint256 userSeed, uint256 amount) external {
        address user = users[userSeed % 3];
        amount = bound(amount, 1, 50 ether);
        vm.deal(user, amount);
        vm.prank(user);
        portal.depositETH{value: amount}(user);
        ghostL2Balance[user] += amount;
        ghostDeposited += amount;
    }

    function l2Withdraw(uint256 userSeed, uint256 amount) external {
        address user = users[userSeed % 3];
        if (honest.length >= MAX_WITHDRAWALS || ghostL2Balance[user] == 0) return;
        amount = bound(amount, 1, ghostL2Balance[user]);
        ghostL2Balance[user] -= amount;
        ghostWithdrawnOnL2 += amount;
        honest.push(
            Portal.Withdrawal({
                index: honest.length, sender: user, recipient: user, l1Token: address(0), amount: amount
            })
        );
    }

    // ---------------------------------------------------------------- proposals

    function proposeHonest() external {
        challengeAll();
        uint256 b = _nextBatch(BatchKind.Calldata);
        (StateCommitment.StateHeader memory end, bytes memory trace, uint256 holds) = _claim(b, honest.length, 0);
        uint256 p = _propose(HONEST, b, end, trace);
        included[p] = holds;
    }

    /// The attacker builds on its own live fraudulent proposal (claims that are right given the fraud), hoping a
    /// pile of proposals makes the fraud too dear to prove: the watcher still proves it, and these bonds are lost.
    function proposeStacked() external {
        (bool exists, uint256 last) = rollup.lastLiveProposal();
        if (!exists || !(isFake[last] || onFake[last])) return;
        uint256 b = _nextBatch(BatchKind.Calldata);
        (StateCommitment.StateHeader memory end, bytes memory trace, uint256 holds) =
            _claim(b, included[last], fakeOf[last]);
        uint256 p = _propose(ATTACKER, b, end, trace);
        onFake[p] = true;
        fakeOf[p] = fakeOf[last];
        included[p] = holds;
    }

    /// Someone queues 1–3 transactions on L1 and forces them in after the inclusion window (the watcher keeps
    /// watching meanwhile): forced batches interleave with the batcher's.
    function forceRows(uint256 seed) external {
        uint256 n = bound(seed, 1, 3);
        bytes memory data = abi.encodePacked(uint8(3), uint64(0), uint32(n), bytes14(0));
        bytes[] memory rows = new bytes[](n);
        for (uint256 i = 0; i < n; i++) {
            rows[i] = new bytes(ROW_BYTES);
            rows[i][1] = bytes1(uint8(seed >> (8 * i)));
            rollup.queueForcedTx(rows[i]);
            data = bytes.concat(data, rows[i]);
        }
        uint256 dueAt = block.timestamp + rollup.inclusionWindow();
        while (block.timestamp < dueAt) {
            challengeAll();
            uint256 next = block.timestamp + WINDOW / 2;
            vm.warp(next < dueAt ? next : dueAt);
        }
        uint256 b = rollup.appendForcedBatch(rows, 0, 0);
        // forge-lint: disable-next-line(unsafe-typecast) n <= 3
        batches[b] = BatchInfo({kind: BatchKind.Forced, steps: uint64(n), blockAfter: _blockBefore(b), data: data});
        forcedBatches++;
    }

    /// A wrong step count (one too many) over the next batch, whatever its kind (a calldata batch if none yet).
    function proposeFake(uint256 amount) external {
        uint256 b = _nextBatch(BatchKind.Calldata);
        _proposeFake(b, amount, batches[b].steps + 1, 0);
    }

    /// A fraud over a blob batch (appended when the next batch is not posted yet; nothing to do if it is of another
    /// kind): every challenge opens the blob with KZG proofs. With `oneStepFault` on a valid blob batch: the right
    /// step count and leaf 2 wrong, as if the deposit row had written the fake withdrawal (kind 3 reads the row
    /// from the blob). Otherwise a wrong step count: an invalid batch claimed as its 3 rows, a valid one as 2.
    function proposeFakeOnBlobBatch(uint256 amount, bool oneStepFault) external {
        uint256 b = _nextBatch(BatchKind.Blob);
        if (batches[b].kind != BatchKind.Blob) return;
        uint64 steps = batches[b].steps;
        if (oneStepFault && steps != 0) _proposeFake(b, amount, steps, FAULT_STEP);
        else _proposeFake(b, amount, steps == 0 ? 3 : steps - 1, 0);
    }

    /// A one-step fault over a step batch (appended when the next batch is not posted yet; nothing to do if it is
    /// of another kind): the right step count, leaves 0 and 1 as the honest trace's, and leaf 2, after the L2
    /// withdrawal row, saying the row paid the attacker. Only kind 3 proves it, from the vectors' witness.
    function proposeFakeStep(uint256 amount) external {
        uint256 b = _nextBatch(BatchKind.Step);
        if (batches[b].kind != BatchKind.Step) return;
        _proposeFake(b, amount, batches[b].steps, FAULT_STEP);
    }

    /// The watcher challenges every live fraudulent proposal still in its window (they must all lose), and now and
    /// then a live honest one (it must survive).
    function challengeAll() public {
        uint256 count = rollup.proposalCount();
        for (uint256 i = 0; i < count; i++) {
            Rollup.Proposal memory p = rollup.getProposal(i);
            if (p.deleted || rollup.isFinalized(i)) continue;
            bool won = _challenge(i);
            if (isFake[i]) {
                assertTrue(won, "fraud proven");
                challengesWon++;
                if (batches[p.batchIndex].kind == BatchKind.Blob) blobFakesProven++;
            } else {
                assertFalse(won, "honest proposal survives");
                challengesLost++;
            }
        }
    }

    function warp(uint256 seconds_) external {
        challengeAll();
        vm.warp(block.timestamp + bound(seconds_, 1, WINDOW));
        vm.roll(block.number + 5);
    }

    // -------------------------------------------------------------- withdrawals

    function finalizeHonest(uint256 seed) external {
        (bool exists, uint256 p) = rollup.latestFinalizedProposal();
        if (!exists || included[p] == 0) return;
        uint256 k = seed % included[p];
        Portal.Withdrawal memory w = honest[k];
        if (portal.isWithdrawalFinalized(keccak256(abi.encode(w)))) return;
        (uint256[] memory indices, bytes32[] memory leaves) = _leaves(included[p], 0);
        portal.finalizeWithdrawal(p, w, ACCOUNTS_ROOT, MerkleTree.proof32(k, indices, leaves));
        if (w.l1Token == address(0)) ghostPaid += w.amount;
        else ghostTokenPaid += w.amount;
    }

    /// Tries every fake withdrawal against the proposal that claimed it: never paid.
    function finalizeFake(uint256 seed) external {
        uint256 count = rollup.proposalCount();
        if (count == 0) return;
        uint256 p = seed % count;
        if (!isFake[p]) return;
        (Portal.Withdrawal memory w, bytes32[32] memory siblings) = fakeWithdrawalOf(p);
        try portal.finalizeWithdrawal(p, w, ACCOUNTS_ROOT, siblings) {
            fakePaid += w.amount;
        } catch {}
    }

    function claimBond(uint256 seed) external {
        uint256 count = rollup.proposalCount();
        if (count == 0) return;
        uint256 p = seed % count;
        Rollup.Proposal memory proposal = rollup.getProposal(p);
        if (proposal.bondClaimed || (!proposal.deleted && !rollup.isFinalized(p))) return;
        if (proposal.deleted && !proposal.slashed) {
            assertTrue(onFake[p], "only proposals built on a fraud are deleted without being slashed");
            bondsForfeited++;
        }
        rollup.claimBond(p);
    }

    function withdrawPayouts() external {
        // Rewards held past their contest period are credited first (anyone may).
        uint256 count = rollup.proposalCount();
        for (uint256 i = 0; i < count; i++) {
            Rollup.PendingReward memory r = rollup.pendingReward(i);
            if (r.amount != 0 && block.number >= r.claimableAt) rollup.claimChallengeReward(i);
        }
        address[3] memory actors = [HONEST, ATTACKER, WATCHER];
        for (uint256 i = 0; i < 3; i++) {
            if (rollup.payouts(actors[i]) == 0) continue;
            vm.prank(actors[i]);
            rollup.withdrawPayout();
        }
    }

    // ------------------------------------------------------------------ views

    function fakeProposalFinalized() external view returns (bool) {
        uint256 count = rollup.proposalCount();
        for (uint256 i = 0; i < count; i++) {
            if ((isFake[i] || onFake[i]) && rollup.isFinalized(i)) return true;
        }
        return false;
    }

    /// Bonds not yet paid back or slashed, plus payouts owed.
    function rollupLiabilities() external view returns (uint256 total) {
        uint256 count = rollup.proposalCount();
        for (uint256 i = 0; i < count; i++) {
            if (!rollup.getProposal(i).bondClaimed) total += BOND;
            total += rollup.pendingReward(i).amount;
        }
        total += rollup.payouts(HONEST) + rollup.payouts(ATTACKER) + rollup.payouts(WATCHER);
    }

    function ghostTokenStillOnL2() external view returns (uint256) {
        return ghostTokenL2Balance[users[0]] + ghostTokenL2Balance[users[1]] + ghostTokenL2Balance[users[2]];
    }

    function ghostStillOnL2() external view returns (uint256) {
        return ghostL2Balance[users[0]] + ghostL2Balance[users[1]] + ghostL2Balance[users[2]];
    }

    function batchKindOf(uint256 batchIndex) external view returns (BatchKind) {
        return batches[batchIndex].kind;
    }

    /// The fake withdrawal fake proposal `p` claims and its proof against `p`'s state.
    function fakeWithdrawalOf(uint256 p) public view returns (Portal.Withdrawal memory w, bytes32[32] memory siblings) {
        (uint256[] memory indices, bytes32[] memory leaves) = _leaves(included[p], fakeOf[p]);
        w = fakes[fakeOf[p] - 1];
        siblings = MerkleTree.proof32(w.index, indices, leaves);
    }

    /// What the watcher sends with kind 2 against proposal `p`: the parent's header and the batch data (calldata)
    /// or the KZG openings of a blob batch's header (field element 0) and, when the header is valid there, of its
    /// last row (elements 9..12).
    function stepCountEvidence(uint256 p)
        public
        view
        returns (
            StateCommitment.StateHeader memory parent,
            DataSource.DataProof memory proof,
            BlobData.RangeProof memory lastRow
        )
    {
        parent = _parentHeader(p);
        BatchInfo storage batch = batches[rollup.getProposal(p).batchIndex];
        if (batch.kind != BatchKind.Blob) {
            proof.data = batch.data;
            return (parent, proof, lastRow);
        }
        proof.versionedHashes = _blobHashes();
        proof.range = _blobRange(0, 1);
        if (batch.steps != 0) lastRow = _blobRange(9, 4);
    }

    /// The withdrawal STEP_CASE's row makes (the first of its state: index 0).
    function stepWithdrawal() public pure returns (Portal.Withdrawal memory) {
        StepVectors.StepVector memory v = StepVectors.get(STEP_CASE);
        return Portal.Withdrawal({
            index: v.pre.withdrawalCount,
            sender: v.w.tx.sender.owner,
            recipient: v.tx.to,
            l1Token: address(0),
            amount: v.tx.amount
        });
    }

    // ---------------------------------------------------------------- internal

    /// The batch the next proposal covers, appended as `kind` when the batcher has not posted it yet (a posted batch
    /// keeps its kind: proposals after a deletion cover it again).
    function _nextBatch(BatchKind kind) internal returns (uint256 b) {
        (b,) = rollup.nextProposalParent();
        if (b < rollup.batchCount()) return b;
        uint64 before = _blockBefore(b);
        if (kind == BatchKind.Blob) {
            vm.blobhashes(_blobHashes());
            vm.prank(batcher);
            // It applies no deposit (depositCountAfter 0): its deposit row is a no-op, a step anyone can re-execute.
            rollup.appendBatch(1, 2, 0, 1);
            bool valid = before == 0;
            batches[b] = BatchInfo({kind: kind, steps: valid ? 3 : 0, blockAfter: valid ? 2 : before, data: ""});
            return b;
        }
        bytes memory rows = new bytes(ROW_BYTES);
        rows[0] = 0x02; // block end
        if (kind == BatchKind.Step) {
            rows = bytes.concat(StepVectors.get(STEP_CASE - 1).row, StepVectors.get(STEP_CASE).row, rows);
        }
        // forge-lint: disable-next-line(unsafe-typecast) 1 or 3 rows
        uint32 n = uint32(rows.length / ROW_BYTES);
        bytes memory data = bytes.concat(abi.encodePacked(uint8(3), before + 1, n, bytes14(0)), rows);
        vm.prank(batcher);
        rollup.appendBatchCalldata(before + 1, 1, 0, data);
        batches[b] = BatchInfo({kind: kind, steps: n, blockAfter: before + 1, data: data});
    }

    /// L2 block number of the states batch `b` starts from (genesis is block 0).
    function _blockBefore(uint256 b) internal view returns (uint64) {
        return b == 0 ? 0 : batches[b - 1].blockAfter;
    }

    /// End state and trace an honest derivation of batch `b` claims from the live parent, with honest withdrawals
    /// `0 .. honestCount - 1` and fake #`fake` (1-based; 0 = none), and how many honest withdrawals the end holds.
    function _claim(uint256 b, uint256 honestCount, uint256 fake)
        internal
        view
        returns (StateCommitment.StateHeader memory end, bytes memory trace, uint256 holds)
    {
        (bool exists, uint256 last) = rollup.lastLiveProposal();
        StateCommitment.StateHeader memory parent = exists ? headers[last] : _genesis();
        bytes32 parentLeaf = StateCommitment.commitment(parent);
        BatchInfo storage batch = batches[b];
        if (batch.kind == BatchKind.Blob) {
            // A blob batch writes no withdrawal: the end keeps the parent's. Invalid: 0 steps, the parent's state.
            // Valid: every step is real (block end, no-op deposit, block end), so kind 3 could check any of them.
            holds = exists ? included[last] : 0;
            if (batch.steps == 0) return (parent, abi.encodePacked(parentLeaf), holds);
            bytes32 mid = StateCommitment.commitment(_atBlock(parent, parent.blockNumber + 1));
            end = _atBlock(parent, batch.blockAfter);
            return (end, abi.encodePacked(parentLeaf, mid, mid, StateCommitment.commitment(end)), holds);
        }
        holds = honestCount;
        end = _stateWith(honestCount, fake, batch.blockAfter);
        if (batch.kind == BatchKind.Step) {
            // Leaves 1 and 2 are the vectors' pre- and post-state of the withdrawal row: kind 3 at step 2 loses.
            StepVectors.StepVector memory v = StepVectors.get(STEP_CASE);
            trace = abi.encodePacked(parentLeaf, v.preCommitment, v.postCommitment, StateCommitment.commitment(end));
        } else {
            trace = _junkTrace(parentLeaf, batch.steps, end);
        }
    }

    /// A fake over batch `b` claiming `steps` steps and a fake withdrawal of (about) `amount`; `wrongStep` != 0
    /// makes it a one-step fault at that step (the right step count), else its step count is wrong.
    function _proposeFake(uint256 b, uint256 amount, uint64 steps, uint64 wrongStep) internal {
        // Odd amounts claim the ERC-20, even ones ETH: a fraud may try to take either.
        address l1Token = amount % 2 == 1 && ghostTokenDeposited > 0 ? address(token) : address(0);
        uint256 available = l1Token == address(0) ? address(portal).balance : token.balanceOf(address(portal));
        amount = bound(amount, 1, available * 2 + 1);
        fakes.push(
            Portal.Withdrawal({
                index: honest.length, sender: users[0], recipient: ATTACKER, l1Token: l1Token, amount: amount
            })
        );
        StateCommitment.StateHeader memory end = _stateWith(honest.length, fakes.length, batches[b].blockAfter);
        (, bytes32 parentLeaf) = rollup.nextProposalParent();
        bytes memory trace = wrongStep == 0 ? _junkTrace(parentLeaf, steps, end) : _oneStepFaultTrace(b, end);
        (bool exists, uint256 last) = rollup.lastLiveProposal();
        uint256 p = _propose(ATTACKER, b, end, trace);
        if (exists && (isFake[last] || onFake[last])) onFake[p] = true; // a fraud on a fraud goes with it
        isFake[p] = true;
        fakeOf[p] = fakes.length;
        included[p] = honest.length;
        fraudStep[p] = wrongStep;
    }

    /// The trace of a one-step fault at FAULT_STEP over step or valid blob batch `b`, ending in `end`: the honest
    /// leaves up to FAULT_STEP - 1, then a leaf the row does not produce, then `end`.
    function _oneStepFaultTrace(uint256 b, StateCommitment.StateHeader memory end)
        internal
        view
        returns (bytes memory)
    {
        (bool exists, uint256 last) = rollup.lastLiveProposal();
        StateCommitment.StateHeader memory parent = exists ? headers[last] : _genesis();
        bytes32 parentLeaf = StateCommitment.commitment(parent);
        if (batches[b].kind == BatchKind.Step) {
            // Leaf 2: the withdrawal row's real post-state, but with its withdrawal paying the attacker.
            StepVectors.StepVector memory v = StepVectors.get(STEP_CASE);
            Portal.Withdrawal memory forged = stepWithdrawal();
            forged.recipient = ATTACKER;
            StateCommitment.StateHeader memory wrong = _atBlock(v.post, v.post.blockNumber);
            wrong.withdrawalsRoot = _withdrawalsRootOf(forged);
            return abi.encodePacked(
                parentLeaf, v.preCommitment, StateCommitment.commitment(wrong), StateCommitment.commitment(end)
            );
        }
        // Blob: leaf 1 = the parent one block on (the block end); leaf 2 = `end` one block earlier, as if the deposit
        // row (a no-op) had written the fake withdrawal; leaf 3 = `end` follows from leaf 2 by the last block end.
        return abi.encodePacked(
            parentLeaf,
            StateCommitment.commitment(_atBlock(parent, parent.blockNumber + 1)),
            StateCommitment.commitment(_atBlock(end, end.blockNumber - 1)),
            StateCommitment.commitment(end)
        );
    }

    /// The watcher's challenge of live proposal `p`; whether it won. A fake gets the evidence that proves it; a
    /// one-step fault first gets kind 2, which must lose (its step count is right). An honest proposal gets kind 2
    /// and, when its batch has a real step (step batch, valid blob batch), kind 3 there: it must survive both.
    function _challenge(uint256 p) internal returns (bool won) {
        uint64 step = fraudStep[p];
        if (step != 0) {
            assertFalse(_challengeStepCount(p), "a one-step fault has the right step count");
            won = _challengeStep(p, step);
            if (won) oneStepFaultsProven++;
            return won;
        }
        won = _challengeStepCount(p);
        BatchInfo storage batch = batches[rollup.getProposal(p).batchIndex];
        bool realStep = batch.kind == BatchKind.Step || (batch.kind == BatchKind.Blob && batch.steps != 0);
        if (!won && !isFake[p] && realStep) {
            won = _challengeStep(p, FAULT_STEP);
            honestStepsChecked++;
        }
    }

    function _challengeStepCount(uint256 p) internal returns (bool) {
        (
            StateCommitment.StateHeader memory parent,
            DataSource.DataProof memory proof,
            BlobData.RangeProof memory lastRow
        ) = stepCountEvidence(p);
        vm.deal(WATCHER, CHALLENGE_BOND);
        ChallengeCommit.commitAs(
            rollup, WATCHER, abi.encodeCall(Rollup.challengeStepCount, (p, parent, proof, lastRow))
        );
        vm.prank(WATCHER);
        return rollup.challengeStepCount{value: CHALLENGE_BOND}(p, parent, proof, lastRow);
    }

    /// Kind 3 at FAULT_STEP of a proposal over a step batch (the vectors' pre-state and witness, the row from the
    /// calldata batch) or a valid blob batch (the deposit row from 4 KZG openings, a no-op from leaf 1 = the parent
    /// one block on, so no witness).
    function _challengeStep(uint256 p, uint64 step) internal returns (bool) {
        assertEq(step, FAULT_STEP, "the step the model knows");
        BatchInfo storage batch = batches[rollup.getProposal(p).batchIndex];
        StateCommitment.StateHeader memory pre;
        bytes memory witness;
        DataSource.DataProof memory rowProof;
        if (batch.kind == BatchKind.Step) {
            StepVectors.StepVector memory v = StepVectors.get(STEP_CASE);
            (pre, witness) = (v.pre, v.witness);
            rowProof.data = batch.data;
        } else {
            StateCommitment.StateHeader memory parent = _parentHeader(p);
            pre = _atBlock(parent, parent.blockNumber + 1);
            rowProof.versionedHashes = _blobHashes();
            rowProof.range = _blobRange(1 + 4 * (step - 1), 4);
        }
        DataSource.DataProof memory traceProof;
        traceProof.data = traces[p];
        vm.deal(WATCHER, CHALLENGE_BOND);
        ChallengeCommit.commitAs(
            rollup, WATCHER, abi.encodeCall(Rollup.challengeStep, (p, step, pre, traceProof, rowProof, witness))
        );
        vm.prank(WATCHER);
        return rollup.challengeStep{value: CHALLENGE_BOND}(p, step, pre, traceProof, rowProof, witness);
    }

    function _propose(address who, uint256 b, StateCommitment.StateHeader memory end, bytes memory trace)
        internal
        returns (uint256 p)
    {
        bytes32 dataHash = rollup.getBatch(b).dataHash;
        vm.deal(who, BOND);
        vm.prank(who);
        p = rollup.proposeCalldata{value: BOND}(b, dataHash, end, trace);
        headers[p] = end;
        traces[p] = trace;
    }

    /// parent ‖ `steps` - 1 leaves standing for rows the model does not execute ‖ commitment(end).
    function _junkTrace(bytes32 parentLeaf, uint256 steps, StateCommitment.StateHeader memory end)
        internal
        pure
        returns (bytes memory trace)
    {
        trace = abi.encodePacked(parentLeaf);
        for (uint256 k = 1; k < steps; k++) {
            trace = bytes.concat(trace, keccak256(abi.encode("junk", k)));
        }
        trace = bytes.concat(trace, StateCommitment.commitment(end));
    }

    /// Leaves: the first `honestCount` honest withdrawals, plus fake #`fake` (1-based; 0 = none).
    function _leaves(uint256 honestCount, uint256 fake)
        internal
        view
        returns (uint256[] memory indices, bytes32[] memory leaves)
    {
        uint256 n = honestCount + (fake == 0 ? 0 : 1);
        indices = new uint256[](n);
        leaves = new bytes32[](n);
        for (uint256 k = 0; k < honestCount; k++) {
            indices[k] = k;
            leaves[k] = keccak256(abi.encode(honest[k]));
        }
        if (fake != 0) {
            Portal.Withdrawal memory w = fakes[fake - 1];
            indices[honestCount] = w.index;
            leaves[honestCount] = keccak256(abi.encode(w));
        }
    }

    function _stateWith(uint256 honestCount, uint256 fake, uint64 blockNumber)
        internal
        view
        returns (StateCommitment.StateHeader memory h)
    {
        (uint256[] memory indices, bytes32[] memory leaves) = _leaves(honestCount, fake);
        h.accountsRoot = ACCOUNTS_ROOT;
        h.withdrawalsRoot = MerkleTree.root(32, indices, leaves);
        h.addressesRoot = keccak256("addresses");
        h.accountCount = 4;
        h.withdrawalCount = uint64(indices.length);
        h.blockNumber = blockNumber;
    }

    /// A copy of `h` at L2 block `blockNumber`.
    function _atBlock(StateCommitment.StateHeader memory h, uint64 blockNumber)
        internal
        pure
        returns (StateCommitment.StateHeader memory)
    {
        return StateCommitment.StateHeader({
            accountsRoot: h.accountsRoot,
            withdrawalsRoot: h.withdrawalsRoot,
            addressesRoot: h.addressesRoot,
            accountCount: h.accountCount,
            withdrawalCount: h.withdrawalCount,
            depositCount: h.depositCount,
            blockNumber: blockNumber,
            tokenCount: h.tokenCount
        });
    }

    /// Root of a withdrawals tree holding `w` alone.
    function _withdrawalsRootOf(Portal.Withdrawal memory w) internal pure returns (bytes32) {
        return MerkleTree.root(32, MerkleTree.one(w.index), MerkleTree.one(keccak256(abi.encode(w))));
    }

    function _blobHashes() internal pure returns (bytes32[] memory hashes) {
        hashes = new bytes32[](1);
        hashes[0] = B_VALID_VH0;
    }

    /// Openings of B_VALID's field elements `from .. from + count - 1` (all precomputed by the vectors).
    function _blobRange(uint256 from, uint256 count) internal pure returns (BlobData.RangeProof memory r) {
        r.commitments = B_VALID_C0;
        r.values = new bytes32[](count);
        bytes memory values = B_VALID_VALUES;
        bytes memory proofs = B_VALID_PROOFS;
        r.proofs = new bytes(48 * count);
        for (uint256 k = 0; k < count; k++) {
            bytes32 value;
            assembly ("memory-safe") {
                value := mload(add(add(values, 0x20), mul(0x20, add(from, k))))
            }
            r.values[k] = value;
        }
        for (uint256 i = 0; i < 48 * count; i++) {
            r.proofs[i] = proofs[48 * from + i];
        }
    }

    /// The header of proposal `p`'s parent (found by its commitment; equal commitments mean equal headers).
    function _parentHeader(uint256 p) internal view returns (StateCommitment.StateHeader memory) {
        bytes32 parentLeaf = rollup.parentCommitment(p);
        if (parentLeaf == rollup.genesisCommitment()) return _genesis();
        for (uint256 i = p; i > 0; i--) {
            if (StateCommitment.commitment(headers[i - 1]) == parentLeaf) return headers[i - 1];
        }
        revert("parent not found");
    }

    function _genesis() internal pure returns (StateCommitment.StateHeader memory g) {
        g.accountsRoot = keccak256("genesis accounts");
        g.accountCount = 1;
    }
}

/// @dev Depth 48 (foundry.toml: 32): an honest payout needs a deposit, an L2 withdrawal, a proposal, a challenge
///      window and a finalization in that order among 16 actions; at depth 32 about 2 runs in 64 paid one, at 48
///      about 14 do (at 64, 22, for 1.6x the time).
/// forge-config: default.invariant.fail-on-revert = true
/// forge-config: default.invariant.depth = 48
contract RollupSolvencyTest is Test {
    Portal internal portal;
    RollupHarness internal rollup;
    RollupSolvencyHandler internal handler;

    function setUp() public {
        vm.warp(1_700_000_000);
        portal = new Portal();
        StateCommitment.StateHeader memory genesis;
        genesis.accountsRoot = keccak256("genesis accounts");
        genesis.accountCount = 1;
        address batcher = address(0xBA7C);
        rollup = new RollupHarness(address(portal), batcher, 1 hours, 1 ether, 0.25 ether, genesis, 901, 1 gwei);
        portal.initialize(address(rollup));
        handler = new RollupSolvencyHandler(portal, rollup, batcher);
        targetContract(address(handler));
    }

    /// A fixed walk through every handler action: the fraud is proven, honest withdrawals are paid.
    function test_handlerWalkPaysHonestWithdrawalsOnly() public {
        handler.deposit(0, 10 ether);
        handler.deposit(1, 3 ether);
        handler.l2Withdraw(0, 4 ether);
        handler.proposeFake(8 ether);
        handler.proposeHonest(); // challenges the fake first
        assertEq(handler.challengesWon(), 1, "fake proven");
        handler.l2Withdraw(1, 1 ether);
        handler.proposeHonest();
        handler.warp(1 hours);
        handler.warp(1 hours);
        handler.finalizeHonest(0);
        handler.finalizeHonest(1);
        handler.finalizeFake(0);
        for (uint256 i = 0; i < rollup.proposalCount(); i++) {
            handler.claimBond(i);
        }
        handler.withdrawPayouts();
        assertEq(handler.ghostPaid(), 5 ether, "both honest withdrawals");
        assertEq(portal.totalWithdrawn(address(0)), 5 ether);
        assertEq(handler.fakePaid(), 0);
        assertGt(handler.challengesLost(), 0, "honest proposals were challenged too");
        invariant_portalPaysAtMostWhatLeftL2();
        invariant_rollupHoldsItsBondsAndPayouts();
    }

    /// Negative control: without the watcher, a fraudulent proposal finalizes and the fake withdrawal is paid —
    /// exactly what the invariants would report.
    function test_withoutAChallengeTheFraudWouldPay() public {
        handler.deposit(0, 10 ether);
        handler.proposeFake(6 ether);
        vm.warp(block.timestamp + 1 hours);
        assertTrue(handler.fakeProposalFinalized());
        handler.finalizeFake(0);
        assertEq(handler.fakePaid(), 6 ether);
    }

    /// The portal never pays out more than was deposited minus what is still on L2 (= what honest L2 users
    /// withdrew), holds exactly the rest, and never pays a withdrawal that only a fraudulent proposal claimed.
    function invariant_portalPaysAtMostWhatLeftL2() public view {
        uint256 withdrawn = portal.totalWithdrawn(address(0));
        assertEq(portal.totalDeposited(address(0)), handler.ghostDeposited(), "deposits");
        assertLe(withdrawn, handler.ghostDeposited() - handler.ghostStillOnL2(), "paid <= deposited - still on L2");
        assertLe(withdrawn, handler.ghostWithdrawnOnL2(), "paid <= withdrawn on L2");
        assertEq(withdrawn, handler.ghostPaid(), "only honest withdrawals were paid");
        assertEq(handler.fakePaid(), 0, "no fake withdrawal paid");
        assertEq(address(portal).balance, portal.totalDeposited(address(0)) - withdrawn, "portal balance");
    }

    /// The same for the ERC-20: the portal pays out at most what left L2, exactly the honest withdrawals, and holds
    /// the rest.
    function invariant_portalPaysTokensAtMostWhatLeftL2() public view {
        DevToken t = handler.token();
        uint256 withdrawn = portal.totalWithdrawn(address(t));
        assertEq(portal.totalDeposited(address(t)), handler.ghostTokenDeposited(), "token deposits");
        assertLe(withdrawn, handler.ghostTokenDeposited() - handler.ghostTokenStillOnL2(), "tokens paid <= left L2");
        assertEq(withdrawn, handler.ghostTokenPaid(), "only honest token withdrawals were paid");
        assertEq(t.balanceOf(address(portal)), portal.totalDeposited(address(t)) - withdrawn, "portal token balance");
    }

    /// Neither a fraudulent proposal nor anything the attacker stacked on it ever finalizes.
    function invariant_noFraudulentProposalFinalizes() public view {
        assertFalse(handler.fakeProposalFinalized());
    }

    /// Stacking and forced batches in a fixed walk: the fraud under the stack is proven, the stack is deleted and
    /// its bonds forfeited, proposals over forced batches claim their row counts and survive challenges.
    function test_handlerWalkWithStackedProposalsAndForcedBatches() public {
        handler.deposit(0, 10 ether);
        handler.l2Withdraw(0, 2 ether);
        handler.depositToken(1, 500 ether);
        handler.l2WithdrawToken(1, 200 ether);
        handler.proposeHonest();
        handler.forceRows(2);
        handler.proposeFake(5 ether); // over the forced batch
        handler.proposeStacked();
        handler.proposeStacked();
        handler.proposeHonest(); // proves the fraud first: the stack goes with it
        assertEq(handler.challengesWon(), 1, "fraud proven under the stack");
        assertGt(handler.forcedBatches(), 0);
        handler.warp(1 hours);
        handler.warp(1 hours);
        handler.finalizeHonest(0);
        handler.finalizeHonest(1);
        assertEq(handler.ghostTokenPaid(), 200 ether, "the token withdrawal paid");
        for (uint256 i = 0; i < rollup.proposalCount(); i++) {
            handler.claimBond(i);
        }
        assertEq(handler.bondsForfeited(), 2, "both stacked bonds forfeited");
        handler.withdrawPayouts();
        assertEq(handler.ghostPaid(), 2 ether);
        invariant_portalPaysAtMostWhatLeftL2();
        invariant_portalPaysTokensAtMostWhatLeftL2();
        invariant_rollupHoldsItsBondsAndPayouts();
        invariant_noFraudulentProposalFinalizes();
    }

    /// Blob batches and one-step faults in a fixed walk. Batch 0 is a blob right after genesis (valid, 3 steps): a
    /// fake with the right step count and leaf 2 wrong survives kind 2 and loses to kind 3, which reads the row
    /// from the blob with KZG proofs. Batch 1 carries the StepVectors' L2 withdrawal row: a fake whose leaf after it
    /// says the row paid the attacker has the right step count and trace bounds, and loses to kind 3 with the
    /// vectors' witness. Batch 2 is the same blob at block 3, where it is invalid: a fake claiming its 3 rows loses
    /// to kind 2 opening the blob's header. Honest proposals over all three survive, and only they pay.
    function test_handlerWalkProvesBlobAndOneStepFrauds() public {
        handler.deposit(0, 10 ether);
        handler.l2Withdraw(0, 3 ether);

        handler.proposeFakeOnBlobBatch(6 ether, true); // proposal 0 over blob batch 0
        assertTrue(rollup.getBatch(0).isBlob, "a blob batch");
        assertEq(handler.fraudStep(0), 2);
        _assertOnlyKind3CanProve(0);
        handler.proposeHonest(); // the watcher proves proposal 0, then proposal 1 covers the blob honestly
        assertEq(handler.oneStepFaultsProven(), 1, "kind 3 from the blob");
        assertEq(handler.blobFakesProven(), 1);

        handler.proposeFakeStep(5 ether); // proposal 2 over step batch 1
        assertEq(uint256(handler.batchKindOf(1)), uint256(RollupSolvencyHandler.BatchKind.Step));
        _assertOnlyKind3CanProve(2);
        handler.proposeHonest(); // proves proposal 2 with challengeStep, then proposal 3 over batch 1
        assertEq(handler.oneStepFaultsProven(), 2, "kind 3 with the vectors' witness");

        handler.proposeFakeOnBlobBatch(4 ether, false); // proposal 4 over blob batch 2, claims 3 steps
        (StateCommitment.StateHeader memory parent, DataSource.DataProof memory head,) = handler.stepCountEvidence(4);
        assertEq(parent.blockNumber, 3);
        assertEq(head.versionedHashes.length, 1, "kind 2 opens the blob");
        handler.proposeHonest(); // proves proposal 4 with kind 2, then proposal 5 claims 0 steps
        assertEq(handler.blobFakesProven(), 2);
        assertEq(rollup.getProposal(5).stepCount, 0, "an invalid batch proves 0 steps");
        assertEq(rollup.getProposal(5).commitment, rollup.getProposal(3).commitment, "the state stays the parent's");

        assertEq(handler.challengesWon(), 3, "every fraud proven");
        assertGt(handler.honestStepsChecked(), 0, "honest proposals survived kind 3");
        handler.warp(1 hours);
        handler.warp(1 hours);
        uint256[3] memory frauds = [uint256(0), 2, 4];
        for (uint256 i = 0; i < 3; i++) {
            uint256 f = frauds[i];
            Rollup.Proposal memory proposal = rollup.getProposal(f);
            assertTrue(proposal.slashed && proposal.deleted && proposal.bondClaimed, "slashed and deleted");
            (Portal.Withdrawal memory w, bytes32[32] memory siblings) = handler.fakeWithdrawalOf(f);
            vm.expectRevert(abi.encodeWithSelector(Rollup.ProposalNotFinalized.selector, f));
            portal.finalizeWithdrawal(f, w, keccak256("accounts"), siblings);
            handler.finalizeFake(f);
        }
        handler.finalizeHonest(0); // against proposal 5, which holds proposal 3's state
        assertEq(handler.ghostPaid(), 3 ether, "the honest withdrawal");
        for (uint256 i = 0; i < rollup.proposalCount(); i++) {
            handler.claimBond(i);
        }
        handler.withdrawPayouts();
        assertEq(address(0xC0).balance, 3 * (0.25 ether + 0.5 ether), "the watcher's bonds and rewards");
        invariant_portalPaysAtMostWhatLeftL2();
        invariant_rollupHoldsItsBondsAndPayouts();
        invariant_noFraudulentProposalFinalizes();
    }

    /// One-step fault `p` has the step count its batch proves (kind 2 would lose) and a calldata trace whose bounds
    /// were checked when it was proposed (kind 1 does not apply).
    function _assertOnlyKind3CanProve(uint256 p) internal {
        Rollup.Proposal memory proposal = rollup.getProposal(p);
        (
            StateCommitment.StateHeader memory parent,
            DataSource.DataProof memory proof,
            BlobData.RangeProof memory lastRow
        ) = handler.stepCountEvidence(p);
        assertEq(rollup.provenStepCount(proposal.batchIndex, parent.blockNumber, proof, lastRow), proposal.stepCount);
        DataSource.DataProof memory none;
        vm.expectRevert(abi.encodeWithSelector(Rollup.TraceBoundsCheckedAtProposal.selector, p));
        rollup.challengeTraceBounds{value: 0.25 ether}(p, 0, none);
    }

    /// The rollup holds exactly the bonds not yet returned or slashed plus the payouts it owes.
    function invariant_rollupHoldsItsBondsAndPayouts() public view {
        assertEq(address(rollup).balance, handler.rollupLiabilities());
    }
}
