// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

import {Portal} from "../../src/optimistic/Portal.sol";
import {Rollup} from "../../src/optimistic/Rollup.sol";
import {StateCommitment} from "../../src/optimistic/StateCommitment.sol";
import {FeeOnTopToken, RebasingToken} from "../utils/Mocks.sol";
import {ChallengeBase} from "./Challenge.t.sol";

/// @notice ERC-20 that charges its sender a fee on top of every transfer, ROUNDED UP (a common choice so that
///         dust transfers are not free): the receiver gets `amount`, the sender loses `amount + ceil(fee)`.
contract FeeOnTopCeilToken is ERC20 {
    uint256 public immutable feeBps;

    constructor(uint256 feeBps_) ERC20("Fee On Top (ceil)", "FOTC") {
        feeBps = feeBps_;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0) && to != address(0)) {
            super._update(from, address(0), (value * feeBps + 9_999) / 10_000);
        }
        super._update(from, to, value);
    }
}

/// @notice Interest-bearing token keeping balances as scaled shares, like Aave's aTokens: `balanceOf` is
///         `rayMul(shares, index)` and a transfer moves `rayDiv(amount, index)` shares, both rounding half up, so a
///         transfer can lower the sender's balance by one unit more than `amount`. No fee at all.
contract ATokenLike {
    uint256 internal constant RAY = 1e27;
    uint256 public index = 1.5e27;
    mapping(address => uint256) public scaledBalanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    function balanceOf(address a) public view returns (uint256) {
        return (scaledBalanceOf[a] * index + RAY / 2) / RAY;
    }

    function mint(address to, uint256 amount) external {
        scaledBalanceOf[to] += (amount * RAY + index / 2) / index;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        return true;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        _move(msg.sender, to, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        allowance[from][msg.sender] -= amount;
        _move(from, to, amount);
        return true;
    }

    function _move(address from, address to, uint256 amount) internal {
        uint256 scaled = (amount * RAY + index / 2) / index;
        scaledBalanceOf[from] -= scaled;
        scaledBalanceOf[to] += scaled;
    }
}

/// @notice On the refund of `queueForcedTx`, tries to re-enter the Rollup and records what happened.
contract RefundReenterer {
    Rollup internal immutable rollup;
    bool public reentered;
    bool public sawRefund;

    constructor(Rollup rollup_) {
        rollup = rollup_;
    }

    function queue(bytes calldata row) external payable {
        rollup.queueForcedTx{value: msg.value}(row);
    }

    receive() external payable {
        sawRefund = true;
        bytes memory row = new bytes(124);
        try rollup.queueForcedTx{value: msg.value}(row) {
            reentered = true;
        } catch {}
    }
}

/// @notice Review of the range deletion, forfeited bonds, commit–reveal, force inclusion and token payouts.
contract ReviewTest is ChallengeBase {
    address internal attacker = makeAddr("attacker");
    address internal accomplice = makeAddr("accomplice");
    address internal honest1 = makeAddr("honest proposer 1");
    address internal honest2 = makeAddr("honest proposer 2");
    address internal copier = makeAddr("copier");

    function setUp() public override {
        super.setUp();
        vm.deal(attacker, 100 ether);
        vm.deal(accomplice, 100 ether);
        vm.deal(honest1, 100 ether);
        vm.deal(honest2, 100 ether);
        vm.deal(copier, 100 ether);
    }

    // =====================================================================================================
    // 1. Range bookkeeping against a reference model that walks the proposal tree (as the old code did)
    // =====================================================================================================

    uint256 internal constant MAX_OPS = 60;

    // Model (one proposal per index).
    uint256[] internal mParentPlusOne; // value of the model's lastLivePlusOne when the proposal was made
    bool[] internal mDeleted;
    bool[] internal mClaimed;
    uint256[] internal mAt;
    uint256[] internal mBatch;
    bytes32[] internal mCommit;
    address[] internal mDeleter; // who deleted the range that covers it last (gets no share of its forfeit)
    uint256 internal mLastLivePlusOne;
    uint256 internal mExpectedBalance; // ETH the rollup must hold
    mapping(address => uint256) internal mPayouts;

    address[3] internal deleters;
    uint256 internal statDeletions;
    uint256 internal statNested; // deletions whose range held proposals deleted before
    uint256 internal statForfeits;
    uint256 internal statRefunds;

    function modelPropose(uint256 salt) internal {
        uint256 i = mDeleted.length;
        StateCommitment.StateHeader memory end =
        // forge-lint: disable-next-line(unsafe-typecast) small
        header(keccak256(abi.encode("model", i, salt)), keccak256("w"), uint64(i + 1));
        (uint256 batchIndex, bytes32 parent) = rollup.nextProposalParent();
        while (rollup.batchCount() <= batchIndex) appendCalldataBatch();
        bytes32 dataHash = rollup.getBatch(batchIndex).dataHash;
        vm.deal(proposer, BOND);
        vm.prank(proposer);
        uint256 p = rollup.proposeCalldata{value: BOND}(
            batchIndex, dataHash, end, abi.encodePacked(parent, StateCommitment.commitment(end))
        );
        assertEq(p, i, "proposal index");
        mParentPlusOne.push(mLastLivePlusOne);
        mDeleted.push(false);
        mClaimed.push(false);
        mAt.push(block.timestamp);
        mBatch.push(batchIndex);
        mCommit.push(StateCommitment.commitment(end));
        mDeleter.push(address(0));
        mLastLivePlusOne = i + 1;
        mExpectedBalance += BOND;
        // The model's own rule: a proposal names the batch after its live parent's.
        uint256 expectedBatch = mParentPlusOne[i] == 0 ? 0 : mBatch[mParentPlusOne[i] - 1] + 1;
        assertEq(batchIndex, expectedBatch, "model: batch after the parent's");
    }

    /// Whether `j` descends from `i` (or is `i`) following the model's parent links.
    function descends(uint256 j, uint256 i) internal view returns (bool) {
        uint256 plusOne = j + 1;
        while (plusOne > i + 1) plusOne = mParentPlusOne[plusOne - 1];
        return plusOne == i + 1;
    }

    function modelFinal(uint256 i) internal view returns (bool) {
        return !mDeleted[i] && block.timestamp >= mAt[i] + WINDOW;
    }

    function modelDelete(uint256 i, address who) internal {
        uint256 count = mDeleted.length;
        if (mDeleted[i]) {
            vm.prank(who);
            vm.expectRevert(abi.encodeWithSelector(Rollup.ProposalAlreadyDeleted.selector, i));
            rollup.deleteFrom(i);
            return;
        }
        if (block.timestamp >= mAt[i] + WINDOW) {
            vm.prank(who);
            vm.expectRevert(abi.encodeWithSelector(Rollup.ProposalAlreadyFinal.selector, i));
            rollup.deleteFrom(i);
            return;
        }
        vm.prank(who);
        rollup.deleteFrom(i);
        statDeletions++;
        for (uint256 j = i + 1; j < count; j++) {
            if (mDeleted[j]) {
                statNested++;
                break;
            }
        }
        // Walk the tree: i and every descendant. The code's claim is that these are exactly i .. count − 1.
        for (uint256 j = i; j < count; j++) {
            assertTrue(descends(j, i), "claim: every later proposal descends from a live one");
            assertFalse(j > i && !mDeleted[j] && modelFinal(j), "model: a final descendant of a live one");
            mDeleted[j] = true;
            mDeleter[j] = who;
        }
        mLastLivePlusOne = 0;
        for (uint256 j = count; j > 0; j--) {
            if (!mDeleted[j - 1]) {
                mLastLivePlusOne = j;
                break;
            }
        }
    }

    function modelClaim(uint256 i) internal {
        if (mClaimed[i]) {
            vm.expectRevert(abi.encodeWithSelector(Rollup.BondAlreadyClaimed.selector, i));
            rollup.claimBond(i);
            return;
        }
        if (!mDeleted[i] && !modelFinal(i)) {
            vm.expectRevert(abi.encodeWithSelector(Rollup.ProposalNotFinalized.selector, i));
            rollup.claimBond(i);
            return;
        }
        uint256 proposerBefore = proposer.balance;
        uint256 deadBefore = DEAD.balance;
        rollup.claimBond(i);
        mClaimed[i] = true;
        if (mDeleted[i]) {
            address deleter = mDeleter[i];
            assertEq(rollup.payouts(deleter), mPayouts[deleter], "forfeit: no share for the deleter of its range");
            assertEq(DEAD.balance - deadBefore, BOND, "forfeit: burnt whole");
            assertEq(proposer.balance, proposerBefore, "forfeit: nothing back");
            mExpectedBalance -= BOND;
            statForfeits++;
        } else {
            statRefunds++;
            assertEq(proposer.balance - proposerBefore, BOND, "final: bond back");
            mExpectedBalance -= BOND;
        }
    }

    function checkModel() internal view {
        uint256 count = mDeleted.length;
        assertEq(rollup.proposalCount(), count, "count");
        uint256 newestFinalPlusOne = 0;
        for (uint256 i = 0; i < count; i++) {
            Rollup.Proposal memory p = rollup.getProposal(i);
            assertEq(p.deleted, mDeleted[i], "getProposal(i).deleted");
            assertEq(p.bondClaimed, mClaimed[i], "bondClaimed");
            assertEq(rollup.isFinalized(i), modelFinal(i), "isFinalized(i)");
            uint256 pp = mParentPlusOne[i];
            assertEq(rollup.parentCommitment(i), pp == 0 ? commitment(genesisHeader()) : mCommit[pp - 1], "parent");
            if (modelFinal(i)) newestFinalPlusOne = i + 1;
        }
        (uint256 nextBatch, bytes32 nextParent) = rollup.nextProposalParent();
        uint256 lp = mLastLivePlusOne;
        assertEq(nextBatch, lp == 0 ? 0 : mBatch[lp - 1] + 1, "nextProposalParent batch");
        assertEq(nextParent, lp == 0 ? commitment(genesisHeader()) : mCommit[lp - 1], "nextProposalParent commitment");
        (bool exists, uint256 last) = rollup.lastLiveProposal();
        assertEq(exists, lp != 0, "lastLiveProposal exists");
        if (exists) {
            assertEq(last, lp - 1, "lastLiveProposal");
            assertFalse(mDeleted[last], "_lastLivePlusOne points at a live proposal");
        }
        (bool fin, uint256 finIndex) = rollup.latestFinalizedProposal();
        assertEq(fin, newestFinalPlusOne != 0, "latestFinalizedProposal exists");
        if (fin) assertEq(finIndex, newestFinalPlusOne - 1, "latestFinalizedProposal");
        assertEq(address(rollup).balance, mExpectedBalance, "rollup holds exactly unclaimed bonds + forfeits owed");
    }

    /// Live, not final proposals of the model (the only ones a deletion can hit).
    function liveOpen() internal view returns (uint256[] memory out, uint256 n) {
        out = new uint256[](mDeleted.length);
        for (uint256 i = 0; i < mDeleted.length; i++) {
            if (!mDeleted[i] && block.timestamp < mAt[i] + WINDOW) out[n++] = i;
        }
    }

    function runModel(uint256 seed, uint256 ops) internal {
        deleters[0] = makeAddr("deleter 0");
        deleters[1] = makeAddr("deleter 1");
        deleters[2] = makeAddr("deleter 2");
        for (uint256 step = 0; step < ops; step++) {
            uint256 r = uint256(keccak256(abi.encode(seed, step)));
            uint256 op = r % 16;
            uint256 count = mDeleted.length;
            if (op < 7 || count == 0) {
                modelPropose(r);
            } else if (op < 11) {
                (uint256[] memory open, uint256 n) = liveOpen();
                // Mostly a deletable one; sometimes any index (expected to revert if deleted or final).
                uint256 i = (n != 0 && (r >> 8) % 4 != 0) ? open[(r >> 16) % n] : (r >> 16) % count;
                modelDelete(i, deleters[(r >> 32) % 3]);
            } else if (op < 14) {
                // Mostly short steps, sometimes past a whole window.
                uint256 dt = (r >> 8) % 8 == 0 ? WINDOW : 1 + (r >> 16) % (WINDOW / 3);
                vm.warp(block.timestamp + dt);
                vm.roll(block.number + 1);
            } else {
                modelClaim((r >> 16) % count);
            }
            checkModel();
        }
    }

    /// forge-config: default.fuzz.runs = 300
    function testFuzz_rangeBookkeepingMatchesATreeWalkingModel(uint256 seed) public {
        runModel(seed, MAX_OPS);
    }

    /// The model run is not vacuous: a fixed seed makes deletions, nested deletions, forfeits and refunds.
    function test_modelRunExercisesEveryPath() public {
        runModel(0xC0FFEE, 150);
        emit log_named_uint("proposals", mDeleted.length);
        emit log_named_uint("deletions", statDeletions);
        emit log_named_uint("nested deletions", statNested);
        emit log_named_uint("forfeits", statForfeits);
        emit log_named_uint("refunds", statRefunds);
        assertGt(statDeletions, 10);
        assertGt(statNested, 1);
        assertGt(statForfeits, 1);
        assertGt(statRefunds, 1);
    }

    /// Hand-picked sequences at the edges: deleting the newest, the oldest, inside and around earlier ranges,
    /// proposals made in the same block as their parent, and a deletion right before a window ends.
    function test_rangeBookkeepingEdgeSequences() public {
        deleters[0] = makeAddr("deleter 0");
        for (uint256 k = 0; k < 6; k++) {
            modelPropose(k); // 0..5 in one block
        }
        modelDelete(5, deleters[0]); // newest: [5,6)
        checkModel();
        modelPropose(6); // 6 follows 4
        modelDelete(3, deleters[0]); // [3,7) swallows [5,6)
        checkModel();
        modelPropose(7); // 7 follows 2
        modelPropose(8);
        modelDelete(8, deleters[0]); // [8,9)
        modelDelete(8, deleters[0]); // reverts: already deleted
        modelDelete(4, deleters[0]); // reverts: already deleted
        modelPropose(9); // follows 7
        vm.warp(block.timestamp + WINDOW - 1);
        modelDelete(9, deleters[0]); // last second of the window: [9,10)
        checkModel();
        modelPropose(10); // follows 7
        vm.warp(block.timestamp + 1); // 0..7 final now
        modelDelete(7, deleters[0]); // reverts: final
        modelDelete(0, deleters[0]); // reverts: final
        checkModel();
        modelDelete(10, deleters[0]);
        checkModel();
        for (uint256 i = 0; i < mDeleted.length; i++) {
            modelClaim(i);
        }
        checkModel();
        modelDelete(0, deleters[0]); // still final
        modelPropose(11);
        modelDelete(11, deleters[0]); // back to 7
        checkModel();
    }

    // =====================================================================================================
    // 2. Forfeited bonds: an honest proposer that follows a proposal whose END STATE is right but whose trace
    //    is wrong loses its bond, and the slasher (who may be the wrong proposer's accomplice) gets half of it.
    // =====================================================================================================

    function proposeAsWho(address who, uint256 batchIndex, uint256 steps, StateCommitment.StateHeader memory end)
        internal
        returns (uint256)
    {
        (, bytes32 parent) = rollup.nextProposalParent();
        bytes32 dataHash = rollup.getBatch(batchIndex).dataHash;
        vm.prank(who);
        return rollup.proposeCalldata{value: BOND}(batchIndex, dataHash, end, traceFor(parent, steps, end));
    }

    /// The attacker proposes the RIGHT end state of batch 0 (what every honest node derives) with a wrong step
    /// count (2 instead of 3). The honest proposer software (src/optimistic/proposer.ts) only compares the parent's
    /// commitment with its own derived leaf 0, so it builds on it. The attacker's accomplice, committed early,
    /// slashes the attacker's proposal, then claims the forfeited bonds of the honest proposals. Forfeited bonds
    /// are burnt whole (no share for the slasher), so the attack never profits (before the fix: +0.5 ETH with two
    /// honest proposals stacked); the honest proposer software now also checks the parent's whole trace.
    function test_anAttackerCannotProfitFromHonestProposalsBuiltOnItsRightRootWrongTrace() public {
        uint256 b0 = appendData(batchData(1, 3));
        uint256 b1 = appendData(batchData(3, 3));
        uint256 b2 = appendData(batchData(5, 3));
        StateCommitment.StateHeader memory s0 = endHeader(); // the right state after batch 0 (block 2)
        uint256 attackerSideBefore = attacker.balance + accomplice.balance;
        uint256 honestBefore = honest1.balance + honest2.balance;

        uint256 w = proposeAsWho(attacker, b0, 2, s0); // right end state, wrong step count (3 rows)
        // Honest proposers see the parent commitment equal to their own derived state and follow it.
        (, bytes32 parentSeen) = rollup.nextProposalParent();
        assertEq(parentSeen, commitment(s0), "the honest node's check passes: same commitment");
        uint256 h1 = proposeAsWho(honest1, b1, 3, header(keccak256("s1"), keccak256("w"), 4));
        uint256 h2 = proposeAsWho(honest2, b2, 3, header(keccak256("s2"), keccak256("w"), 6));

        // The accomplice slashes the attacker's proposal (kind 2) near the end of its window.
        bytes memory call =
            abi.encodeCall(Rollup.challengeStepCount, (w, genesisHeader(), calldataProof(batchData(1, 3)), noRange()));
        commitAs(accomplice, call);
        vm.warp(block.timestamp + WINDOW - 20);
        vm.prank(accomplice);
        (bool ok,) = address(rollup).call{value: CHALLENGE_BOND}(call);
        assertTrue(ok, "slashed");
        rollup.claimBond(h1);
        rollup.claimBond(h2);
        vm.prank(accomplice);
        rollup.withdrawPayout();

        uint256 attackerSideAfter = attacker.balance + accomplice.balance;
        uint256 honestAfter = honest1.balance + honest2.balance;
        emit log_named_uint("honest proposers lost (wei)", honestBefore - honestAfter);
        if (attackerSideAfter > attackerSideBefore) {
            emit log_named_uint("attacker side PROFIT (wei)", attackerSideAfter - attackerSideBefore);
        }
        assertLe(attackerSideAfter, attackerSideBefore, "a wrong proposal must not profit its owner");
    }

    /// The docs say stacking proposals on a wrong root "costs the attacker a bond each". When the attacker
    /// slashes its own root first (pre-committed; e.g. once it sees an honest `ChallengeCommitted`), half of
    /// every stacked bond came back to it (before the fix: half a bond each). Burnt whole now: a bond each.
    function test_stackingOnAWrongRootCostsTheAttackerAWholeBondEach() public {
        uint256 stacked = 4;
        bytes memory data = batchData(1, 1);
        uint256 b = appendData(data);
        uint256 before = attacker.balance;
        uint256 w = proposeAsWho(attacker, b, 2, endHeader()); // wrong step count
        for (uint256 i = 0; i < stacked; i++) {
            // forge-lint: disable-next-line(unsafe-typecast) small
            uint256 bi = appendData(batchData(uint64(3 + i), 1));
            // forge-lint: disable-next-line(unsafe-typecast) small
            proposeAsWho(attacker, bi, 1, header(keccak256(abi.encode("s", i)), keccak256("w"), uint64(3 + i)));
        }
        bytes memory call =
            abi.encodeCall(Rollup.challengeStepCount, (w, genesisHeader(), calldataProof(data), noRange()));
        commitAs(attacker, call);
        vm.prank(attacker);
        (bool ok,) = address(rollup).call{value: CHALLENGE_BOND}(call);
        assertTrue(ok, "self-slashed");
        for (uint256 i = 1; i <= stacked; i++) {
            rollup.claimBond(w + i);
        }
        vm.prank(attacker);
        rollup.withdrawPayout();
        uint256 cost = before - attacker.balance;
        emit log_named_uint("attacker cost for 1 wrong root + 4 stacked (wei)", cost);
        assertTrue(cost >= (stacked + 1) * BOND - BOND / 2, "each stacked proposal costs a whole bond");
    }

    // =====================================================================================================
    // 3. Commit–reveal: a reveal that stays pending one block can be copied
    // =====================================================================================================

    /// The honest challenger commits (block N), then sends the reveal in block N+1, but it is not included in
    /// that block (congestion, a base-fee spike, or a builder that delays it). The copier sees the pending
    /// reveal, commits its own copy in block N+1 and lands the copy first in block N+2: the copy wins the race
    /// (the proposal is slashed either way), but the reward is held REWARD_DELAY_BLOCKS and the honest
    /// challenger, whose commitment is older, takes it over; the copier only gets its own bond back.
    function test_aRevealPendingForOneBlockCannotBeCopied() public {
        bytes memory data = batchData(1, 1);
        uint256 b = appendData(data);
        uint256 w = proposeSteps(b, 2, endHeader());
        bytes memory call =
            abi.encodeCall(Rollup.challengeStepCount, (w, genesisHeader(), calldataProof(data), noRange()));
        vm.prank(challenger);
        rollup.commitChallenge(keccak256(abi.encode(challenger, keccak256(call))));
        vm.roll(block.number + 1); // block N+1: the honest reveal is broadcast but not included
        vm.prank(copier);
        rollup.commitChallenge(keccak256(abi.encode(copier, keccak256(call))));
        vm.roll(block.number + 1); // block N+2: the copy goes first
        vm.prank(copier);
        (bool copied,) = address(rollup).call{value: CHALLENGE_BOND}(call);
        vm.prank(challenger);
        (bool honest,) = address(rollup).call{value: CHALLENGE_BOND}(call);
        assertTrue(copied, "the copy wins the race");
        assertFalse(honest, "the honest reveal comes second (and costs nothing but gas)");
        // The copier cannot claim before the hold ends; the honest challenger contests with its older commitment.
        vm.expectRevert();
        rollup.claimChallengeReward(w);
        vm.prank(copier);
        vm.expectRevert(abi.encodeWithSelector(Rollup.NoEarlierCommitment.selector, w));
        rollup.contestChallengeReward(w);
        vm.prank(challenger);
        rollup.contestChallengeReward(w);
        claimReward(w);
        assertEq(rollup.payouts(challenger), BOND / 2, "the reward goes to the first committer");
        assertEq(rollup.payouts(copier), CHALLENGE_BOND, "the copier gets only its own bond back");
        // Too late to contest once the hold is over.
        vm.prank(copier);
        vm.expectRevert(abi.encodeWithSelector(Rollup.NoPendingReward.selector, w));
        rollup.contestChallengeReward(w);
    }

    /// Same-block tricks stay closed: a commitment from the reveal's own block, or someone else's commitment,
    /// does not let a winning challenge through; the honest one still wins afterwards.
    function test_commitmentsFromTheSameBlockOrOfAnotherSenderDoNotWin() public {
        bytes memory data = batchData(1, 1);
        uint256 b = appendData(data);
        uint256 w = proposeSteps(b, 2, endHeader());
        bytes memory call =
            abi.encodeCall(Rollup.challengeStepCount, (w, genesisHeader(), calldataProof(data), noRange()));
        bytes32 mine = keccak256(abi.encode(challenger, keccak256(call)));
        vm.prank(challenger);
        rollup.commitChallenge(mine);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ChallengeNotCommitted.selector, mine));
        rollup.challengeStepCount{value: CHALLENGE_BOND}(w, genesisHeader(), calldataProof(data), noRange());
        vm.roll(block.number + 1);
        // The challenger's commitment does not cover the copier's sender.
        bytes32 theirs = keccak256(abi.encode(copier, keccak256(call)));
        vm.prank(copier);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ChallengeNotCommitted.selector, theirs));
        rollup.challengeStepCount{value: CHALLENGE_BOND}(w, genesisHeader(), calldataProof(data), noRange());
        // Re-committing later keeps the first block.
        uint256 first = rollup.challengeCommittedAt(mine);
        vm.prank(copier);
        rollup.commitChallenge(mine);
        assertEq(rollup.challengeCommittedAt(mine), first);
        vm.prank(challenger);
        assertTrue(rollup.challengeStepCount{value: CHALLENGE_BOND}(w, genesisHeader(), calldataProof(data), noRange()));
    }

    // =====================================================================================================
    // 4. Force inclusion: fee, refund, re-entrancy, exact deposit rows, every due row
    // =====================================================================================================

    function forcedRow(uint256 seed) internal pure returns (bytes memory row) {
        row = new bytes(124);
        row[1] = bytes1(uint8(seed));
        row[2] = bytes1(uint8(seed >> 8));
    }

    function test_queueForcedTxBurnsTheFeeRefundsTheExcessAndCannotBeReentered() public {
        vm.fee(10 gwei);
        uint256 fee = rollup.forcedTxFee();
        assertEq(fee, 300_000 * 10 gwei);
        RefundReenterer r = new RefundReenterer(rollup);
        vm.deal(address(r), 0);
        uint256 deadBefore = DEAD.balance;
        r.queue{value: fee + 1 ether}(forcedRow(1));
        assertTrue(r.sawRefund(), "refund sent");
        assertFalse(r.reentered(), "re-entry refused");
        assertEq(address(r).balance, 1 ether, "exact excess refunded");
        assertEq(DEAD.balance - deadBefore, fee, "fee burnt");
        assertEq(rollup.forcedTxCount(), 1);
        assertEq(address(rollup).balance, 0, "the rollup keeps nothing");
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedTxFeeTooLow.selector, fee - 1, fee));
        rollup.queueForcedTx{value: fee - 1}(forcedRow(2));
    }

    function test_forcedDepositRowsMustBeExactAndDueRowsCannotBeLeftOut() public {
        vm.startPrank(alice);
        for (uint256 i = 0; i < 5; i++) {
            portal.depositETH{value: 1 ether}(alice);
        }
        vm.stopPrank();
        bytes[] memory none = new bytes[](0);
        for (uint256 i = 0; i < 3; i++) {
            rollup.queueForcedTx(forcedRow(i));
        }
        vm.warp(block.timestamp + INCLUSION_WINDOW);
        // Too few / too many deposit rows.
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedDepositsNotNew.selector, 5, 0, 4));
        rollup.appendForcedBatch(none, 5, 4);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedDepositsNotNew.selector, 5, 0, 6));
        rollup.appendForcedBatch(none, 5, 6);
        // Deposits only, with 3 due queued rows left out.
        vm.expectRevert(abi.encodeWithSelector(Rollup.DueForcedTxLeftOut.selector, 0));
        rollup.appendForcedBatch(none, 5, 5);
        bytes[] memory two_ = new bytes[](2);
        two_[0] = forcedRow(0);
        two_[1] = forcedRow(1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.DueForcedTxLeftOut.selector, 2));
        rollup.appendForcedBatch(two_, 0, 0);
        bytes[] memory three = new bytes[](3);
        three[0] = forcedRow(0);
        three[1] = forcedRow(1);
        three[2] = forcedRow(2);
        uint256 bi = rollup.appendForcedBatch(three, 3, 3);
        assertEq(rollup.forcedDepositCount(), 3);
        assertEq(rollup.forcedIncludedCount(), 3);
        assertEq(rollup.getBatch(bi).depositCountAfter, 3);
        // The two remaining deposits, exactly two rows; then nothing is new.
        vm.expectRevert(abi.encodeWithSelector(Rollup.ForcedDepositsNotNew.selector, 3, 3, 1));
        rollup.appendForcedBatch(none, 3, 1);
        rollup.appendForcedBatch(none, 5, 2);
        assertEq(rollup.forcedDepositCount(), 5);
        vm.expectRevert(Rollup.NoForcedRows.selector);
        rollup.appendForcedBatch(none, 5, 0);
    }

    function test_calldataSizeCaps() public {
        bytes memory big = new bytes(64 * 1024 + 1);
        vm.prank(batcher);
        vm.expectRevert(abi.encodeWithSelector(Rollup.BatchDataTooLarge.selector, 64 * 1024 + 1, 64 * 1024));
        rollup.appendBatchCalldata(1, 1, 0, big);
        vm.prank(batcher);
        rollup.appendBatchCalldata(1, 1, 0, new bytes(64 * 1024));
        (uint256 bi, bytes32 parent) = rollup.nextProposalParent();
        bytes32 dataHash = rollup.getBatch(bi).dataHash;
        StateCommitment.StateHeader memory end = endHeader();
        bytes memory trace = traceFor(parent, 768, end); // 769 leaves: 24,608 bytes
        vm.prank(proposer);
        vm.expectRevert(abi.encodeWithSelector(Rollup.TraceTooLarge.selector, 769 * 32, 24 * 1024));
        rollup.proposeCalldata{value: BOND}(bi, dataHash, end, trace);
        vm.prank(proposer);
        rollup.proposeCalldata{value: BOND}(bi, dataHash, end, traceFor(parent, 767, end));
    }

    // =====================================================================================================
    // 5. Token payouts
    // =====================================================================================================

    function depositFor(address t, uint256 amount) internal {
        vm.startPrank(alice);
        FeeOnTopCeilToken(t).mint(alice, amount * 2);
        FeeOnTopCeilToken(t).approve(address(portal), amount);
        uint256 fee = portal.tokenRegistrationFee(t);
        portal.depositERC20{value: fee}(t, alice, amount);
        vm.stopPrank();
    }

    /// A fee-on-top token that rounds its fee up (1 % on top): a 1-unit withdrawal costs the portal 2 units, so
    /// the portal "learns" a 100 % fee and from then on caps EVERY payout of the token at half its balance; the
    /// cut part is counted as withdrawn and stays locked in the portal for good (before the fix: the big
    /// withdrawal was paid ~50 ETH instead of ~99 ETH). Now only payouts of at least 1e6 units teach a rate.
    function test_aDustWithdrawalCannotPoisonTheLearntTopFee() public {
        FeeOnTopCeilToken t = new FeeOnTopCeilToken(100);
        depositFor(address(t), 100 ether);
        Portal.Withdrawal[] memory ws = new Portal.Withdrawal[](2);
        ws[0] = Portal.Withdrawal({index: 0, sender: alice, recipient: attacker, l1Token: address(t), amount: 1});
        ws[1] = Portal.Withdrawal({index: 1, sender: alice, recipient: bob, l1Token: address(t), amount: 100 ether - 1});
        uint256 p = proposeWithdrawals(ws);
        passWindow();
        portal.finalizeWithdrawal(p, ws[0], ACCOUNTS_ROOT, proofOf(ws, 0)); // dust first
        emit log_named_uint("topFeeBps learnt from a 1-unit payout", portal.topFeeBps(address(t)));
        portal.finalizeWithdrawal(p, ws[1], ACCOUNTS_ROOT, proofOf(ws, 1));
        emit log_named_uint("bob paid", t.balanceOf(bob));
        emit log_named_uint("locked in the portal, owed to nobody", t.balanceOf(address(portal)));
        // With the real 1 % fee the last withdrawal is paid balance / 1.01 (about 99.0099 ETH).
        assertGt(t.balanceOf(bob), 99 ether, "paid what the real fee leaves");
    }

    /// The same with a token that charges no fee at all: an aToken-like share token (half-up rounding) lowers the
    /// portal's balance by 2 for a 1-unit payout, the portal learns a 100 % "fee", and the next holder is paid
    /// half of what it is owed (the rest locked) — before the fix; now dust payouts teach no rate.
    function test_aShareTokenRoundingCannotPoisonTheLearntTopFee() public {
        ATokenLike t = new ATokenLike();
        uint256 amount = 150 ether + 2; // an odd number of shares ends in the portal
        vm.startPrank(alice);
        t.mint(alice, 2 * amount);
        t.approve(address(portal), amount);
        portal.depositERC20{value: portal.tokenRegistrationFee(address(t))}(address(t), alice, amount);
        vm.stopPrank();
        uint256 credited = portal.totalDeposited(address(t));
        Portal.Withdrawal[] memory ws = new Portal.Withdrawal[](2);
        ws[0] = Portal.Withdrawal({index: 0, sender: alice, recipient: attacker, l1Token: address(t), amount: 1});
        ws[1] = Portal.Withdrawal({index: 1, sender: alice, recipient: bob, l1Token: address(t), amount: credited - 1});
        uint256 p = proposeWithdrawals(ws);
        passWindow();
        portal.finalizeWithdrawal(p, ws[0], ACCOUNTS_ROOT, proofOf(ws, 0));
        emit log_named_uint("topFeeBps learnt from a 1-unit payout of a fee-less token", portal.topFeeBps(address(t)));
        portal.finalizeWithdrawal(p, ws[1], ACCOUNTS_ROOT, proofOf(ws, 1));
        emit log_named_uint("bob owed", credited - 1);
        emit log_named_uint("bob paid", t.balanceOf(bob));
        emit log_named_uint("locked in the portal, owed to nobody", t.balanceOf(address(portal)));
        assertGt(t.balanceOf(bob) + 2, credited - 1, "paid what it is owed (rounding aside)");
    }

    /// Pro-rata payouts of a shrinking token never pay more than the portal holds nor more than owed, and never
    /// revert (every withdrawal goes through whatever the order and the shrink).
    /// forge-config: default.fuzz.runs = 200
    function testFuzz_proRataNeverOverpays(uint96 a0, uint96 a1, uint96 a2, uint16 shrinkBps, uint8 order) public {
        RebasingToken t = new RebasingToken();
        uint256[3] memory amounts = [bound(a0, 1, 1e27), bound(a1, 1, 1e27), bound(a2, 1, 1e27)];
        Portal.Withdrawal[] memory ws = new Portal.Withdrawal[](3);
        uint256 total = 0;
        vm.startPrank(alice);
        for (uint256 i = 0; i < 3; i++) {
            t.mint(alice, amounts[i]);
            t.approve(address(portal), amounts[i]);
            uint256 fee = portal.tokenRegistrationFee(address(t));
            uint256 before = t.balanceOf(address(portal));
            portal.depositERC20{value: fee}(address(t), alice, amounts[i]);
            uint256 credited = t.balanceOf(address(portal)) - before;
            ws[i] = Portal.Withdrawal({
                index: i, sender: alice, recipient: makeAddr(vm.toString(i)), l1Token: address(t), amount: credited
            });
            total += credited;
        }
        vm.stopPrank();
        uint256 p = proposeWithdrawals(ws);
        passWindow();
        t.rebase(bound(shrinkBps, 0, 9_999));
        uint256 held = t.balanceOf(address(portal));
        uint256 paid = 0;
        for (uint256 k = 0; k < 3; k++) {
            uint256 i = (k + order) % 3;
            address r = ws[i].recipient;
            uint256 b0 = t.balanceOf(r);
            portal.finalizeWithdrawal(p, ws[i], ACCOUNTS_ROOT, proofOf(ws, i));
            uint256 got = t.balanceOf(r) - b0;
            assertLe(got, ws[i].amount, "never more than owed");
            paid += got;
        }
        assertLe(paid, held, "never more than held");
        assertEq(portal.totalWithdrawn(address(t)), total);
    }

    /// The floor-rounding fee-on-top mock (Mocks.sol) learns its exact rate even from small payouts.
    function test_aFloorRoundedTopFeeIsLearntExactly() public {
        FeeOnTopToken t = new FeeOnTopToken(100);
        vm.startPrank(alice);
        t.mint(alice, 300 ether);
        t.approve(address(portal), 100 ether);
        portal.depositERC20{value: portal.tokenRegistrationFee(address(t))}(address(t), alice, 100 ether);
        vm.stopPrank();
        Portal.Withdrawal[] memory ws = new Portal.Withdrawal[](2);
        ws[0] = Portal.Withdrawal({index: 0, sender: alice, recipient: attacker, l1Token: address(t), amount: 101});
        ws[1] =
            Portal.Withdrawal({index: 1, sender: alice, recipient: bob, l1Token: address(t), amount: 100 ether - 101});
        uint256 p = proposeWithdrawals(ws);
        passWindow();
        portal.finalizeWithdrawal(p, ws[0], ACCOUNTS_ROOT, proofOf(ws, 0));
        assertLe(portal.topFeeBps(address(t)), 100);
        portal.finalizeWithdrawal(p, ws[1], ACCOUNTS_ROOT, proofOf(ws, 1));
        assertGt(t.balanceOf(bob), 99 ether);
    }
}
