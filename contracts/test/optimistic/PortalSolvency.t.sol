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
///         that never happened, and a watcher that challenges every fraudulent proposal inside its window (kind 2:
///         the attacker's traces claim a wrong step count, standing for any provable fraud).
contract RollupSolvencyHandler is Test {
    uint256 internal constant WINDOW = 1 hours;
    uint256 internal constant BOND = 1 ether;
    uint256 internal constant CHALLENGE_BOND = 0.25 ether;
    uint256 internal constant MAX_WITHDRAWALS = 8;
    bytes32 internal constant ACCOUNTS_ROOT = keccak256("accounts");

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

    Portal.Withdrawal[] internal honest;
    Portal.Withdrawal[] internal fakes;
    mapping(uint256 proposalIndex => StateCommitment.StateHeader) internal headers;
    mapping(uint256 proposalIndex => bool) public isFake;
    /// Honest withdrawals (a prefix of `honest`) in each proposal's state.
    mapping(uint256 proposalIndex => uint256) internal included;
    /// The fake withdrawal (index into `fakes` + 1) a fake proposal holds.
    mapping(uint256 proposalIndex => uint256) internal fakeOf;
    /// Proposals the attacker stacked on a live fraudulent one (their own claims are right).
    mapping(uint256 proposalIndex => bool) public onFake;
    /// Data of each forced batch (header ‖ its queued rows).
    mapping(uint256 batchIndex => bytes) internal forcedData;
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
        StateCommitment.StateHeader memory end = _stateWith(honest.length, 0, 0);
        (uint256 batchIndex,) = rollup.nextProposalParent();
        uint256 p = _propose(HONEST, end, _rowCount(batchIndex));
        included[p] = honest.length;
    }

    /// The attacker builds on its own live fraudulent proposal (claims that are right given the fraud), hoping a
    /// pile of proposals makes the fraud too dear to prove: the watcher still proves it, and these bonds are lost.
    function proposeStacked() external {
        (bool exists, uint256 last) = rollup.lastLiveProposal();
        if (!exists || !(isFake[last] || onFake[last])) return;
        StateCommitment.StateHeader memory end = _stateWith(included[last], fakeOf[last], 0);
        (uint256 batchIndex,) = rollup.nextProposalParent();
        uint256 p = _propose(ATTACKER, end, _rowCount(batchIndex));
        onFake[p] = true;
        fakeOf[p] = fakeOf[last];
        included[p] = included[last];
    }

    /// Someone queues 1–3 transactions on L1 and forces them in after the inclusion window (the watcher keeps
    /// watching meanwhile): forced batches interleave with the batcher's.
    function forceRows(uint256 seed) external {
        uint256 n = bound(seed, 1, 3);
        bytes memory data = abi.encodePacked(uint8(3), uint64(0), uint32(n), bytes14(0));
        bytes[] memory rows = new bytes[](n);
        for (uint256 i = 0; i < n; i++) {
            rows[i] = new bytes(124);
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
        forcedData[b] = data;
        forcedBatches++;
    }

    function proposeFake(uint256 amount) external {
        // Odd amounts claim the ERC-20, even ones ETH: a fraud may try to take either.
        address l1Token = amount % 2 == 1 && ghostTokenDeposited > 0 ? address(token) : address(0);
        uint256 available = l1Token == address(0) ? address(portal).balance : token.balanceOf(address(portal));
        amount = bound(amount, 1, available * 2 + 1);
        Portal.Withdrawal memory w = Portal.Withdrawal({
            index: honest.length, sender: users[0], recipient: ATTACKER, l1Token: l1Token, amount: amount
        });
        fakes.push(w);
        StateCommitment.StateHeader memory end = _stateWith(honest.length, fakes.length, 0);
        (uint256 batchIndex,) = rollup.nextProposalParent();
        (bool exists, uint256 last) = rollup.lastLiveProposal();
        // A wrong step count stands for any provable fraud (kind 2 proves it).
        uint256 p = _propose(ATTACKER, end, _rowCount(batchIndex) + 1);
        if (exists && (isFake[last] || onFake[last])) onFake[p] = true; // a fraud on a fraud goes with it
        isFake[p] = true;
        fakeOf[p] = fakes.length;
        included[p] = honest.length;
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
        uint256 f = fakeOf[p];
        (uint256[] memory indices, bytes32[] memory leaves) = _leaves(included[p], f);
        Portal.Withdrawal memory w = fakes[f - 1];
        try portal.finalizeWithdrawal(p, w, ACCOUNTS_ROOT, MerkleTree.proof32(w.index, indices, leaves)) {
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

    // ---------------------------------------------------------------- internal

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

    function _stateWith(uint256 honestCount, uint256 fake, uint256)
        internal
        view
        returns (StateCommitment.StateHeader memory h)
    {
        (uint256[] memory indices, bytes32[] memory leaves) = _leaves(honestCount, fake);
        (uint256 batchIndex,) = rollup.nextProposalParent();
        h.accountsRoot = ACCOUNTS_ROOT;
        h.withdrawalsRoot = MerkleTree.root(32, indices, leaves);
        h.addressesRoot = keccak256("addresses");
        h.accountCount = 4;
        h.withdrawalCount = uint64(indices.length);
        // forge-lint: disable-next-line(unsafe-typecast) batch indices stay small
        h.blockNumber = uint64(batchIndex + 1);
    }

    /// Batch i holds one block end and starts at block i + 1 (every state after batch i is at block i + 1).
    function _batchData(uint256 batchIndex) internal pure returns (bytes memory) {
        bytes memory row = new bytes(124);
        row[0] = 0x02;
        // forge-lint: disable-next-line(unsafe-typecast) batch indices stay small
        return bytes.concat(abi.encodePacked(uint8(3), uint64(batchIndex + 1), uint32(1), bytes14(0)), row);
    }

    function _propose(address who, StateCommitment.StateHeader memory end, uint256 steps) internal returns (uint256 p) {
        (uint256 batchIndex, bytes32 parent) = rollup.nextProposalParent();
        for (uint256 next = rollup.batchCount(); next <= batchIndex; next++) {
            bytes memory data = _batchData(next);
            vm.prank(batcher);
            rollup.appendBatchCalldata(1, 1, 0, data);
        }
        bytes memory trace = abi.encodePacked(parent);
        for (uint256 k = 1; k < steps; k++) {
            trace = bytes.concat(trace, keccak256(abi.encode("junk", k)));
        }
        trace = bytes.concat(trace, StateCommitment.commitment(end));
        bytes32 dataHash = rollup.getBatch(batchIndex).dataHash;
        vm.deal(who, BOND);
        vm.prank(who);
        p = rollup.proposeCalldata{value: BOND}(batchIndex, dataHash, end, trace);
        headers[p] = end;
    }

    function _challenge(uint256 p) internal returns (bool) {
        uint256 parentPlusOne;
        {
            bytes32 parentCommitment = rollup.parentCommitment(p);
            parentPlusOne = parentCommitment == rollup.genesisCommitment() ? 0 : _findProposal(parentCommitment, p);
        }
        StateCommitment.StateHeader memory parent = parentPlusOne == 0 ? _genesis() : headers[parentPlusOne - 1];
        uint256 batchIndex = rollup.getProposal(p).batchIndex;
        BlobData.RangeProof memory none;
        DataSource.DataProof memory proof;
        proof.data = forcedData[batchIndex].length != 0 ? forcedData[batchIndex] : _batchData(batchIndex);
        vm.deal(WATCHER, CHALLENGE_BOND);
        ChallengeCommit.commitAs(rollup, WATCHER, abi.encodeCall(Rollup.challengeStepCount, (p, parent, proof, none)));
        vm.prank(WATCHER);
        return rollup.challengeStepCount{value: CHALLENGE_BOND}(p, parent, proof, none);
    }

    /// Steps of batch `batchIndex`: its queued rows for a forced batch, else 1 (one block end).
    function _rowCount(uint256 batchIndex) internal view returns (uint256) {
        bytes storage forced = forcedData[batchIndex];
        return forced.length == 0 ? 1 : (forced.length - 27) / 124;
    }

    /// Index + 1 of the newest proposal before `before` with this commitment.
    function _findProposal(bytes32 commitment, uint256 before) internal view returns (uint256) {
        for (uint256 i = before; i > 0; i--) {
            if (StateCommitment.commitment(headers[i - 1]) == commitment) return i;
        }
        revert("parent not found");
    }

    function _genesis() internal pure returns (StateCommitment.StateHeader memory g) {
        g.accountsRoot = keccak256("genesis accounts");
        g.accountCount = 1;
    }
}

/// forge-config: default.invariant.fail-on-revert = true
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

    /// The rollup holds exactly the bonds not yet returned or slashed plus the payouts it owes.
    function invariant_rollupHoldsItsBondsAndPayouts() public view {
        assertEq(address(rollup).balance, handler.rollupLiabilities());
    }
}
