// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {DevToken} from "../../src/common/DevToken.sol";
import {ZkPubdata} from "../../src/zk/ZkPubdata.sol";
import {ZkRollup} from "../../src/zk/ZkRollup.sol";
import {Test} from "../utils/Test.sol";
import {Vm} from "../utils/Vm.sol";
import {MockVerifier, ZkFixture, ZkTestLib} from "./ZkFixture.sol";

// forge-lint: disable-start(unsafe-typecast) test values are bounded where they are made

/// @notice Drives a ZkRollup as a hostile operator would with a verifier that accepts everything: blocks consume the
///         queue correctly but withdraw arbitrary amounts to arbitrary users and set arbitrary roots (leaves with
///         arbitrary balances), users deposit, ask for full exits, withdraw, and exodus pays leaves and refunds.
contract ZkHandler is Test {
    uint256 internal constant DEPTH = 3;
    uint256 internal constant CHUNKS = 12;
    uint256 internal constant LEAVES = 8;
    uint256 internal constant TOKEN_UNIT = 1e12;

    ZkRollup public immutable rollup;
    DevToken public immutable token;
    address internal immutable operator;
    address[3] internal actors;

    ZkRollup.StoredBlock internal lastCommitted;
    ZkRollup.StoredBlock internal lastVerified;
    /// @dev Leaves of the verified root (exodus proves against them) and their fields.
    uint256[] internal leaves;
    address[LEAVES] internal leafOwner;
    uint256[LEAVES] internal leafBalances;
    /// @dev Leaf indices that a verified block set (exodus tries those most of the time).
    uint256[] internal setLeaves;

    mapping(uint256 accountToken => uint256) public exodusPaid;
    bool public paidTwice;
    uint256 public calls;
    /// @dev How often the interesting paths succeeded (the smoke test checks each one is reachable).
    uint256 public verified;
    uint256 public refusedBlocks;
    uint256 public paidPending;
    uint256 public exodusPayments;
    uint256 public refundCalls;

    constructor(ZkRollup rollup_, DevToken token_, address operator_) {
        rollup = rollup_;
        token = token_;
        operator = operator_;
        actors = [makeAddr("actor0"), makeAddr("actor1"), makeAddr("actor2")];
        lastCommitted = rollup_.genesisBlock();
        lastVerified = lastCommitted;
        token_.approve(address(rollup_), type(uint256).max);
        uint256 empty = ZkTestLib.zeros(0)[0];
        for (uint256 i = 0; i < LEAVES; i++) {
            leaves.push(empty);
        }
    }

    function actorOf(uint256 seed) public view returns (address) {
        return actors[seed % actors.length];
    }

    // ------------------------------------------------------------------------------------------------ actions

    function depositETH(uint256 actorSeed, uint256 units) external {
        calls++;
        units = bound(units, 1, 1e10);
        vm.deal(address(this), units * 1 gwei);
        try rollup.depositETH{value: units * 1 gwei}(actorOf(actorSeed), 0) {} catch {}
    }

    function depositToken(uint256 actorSeed, uint256 units) external {
        calls++;
        units = bound(units, 1, 1e6);
        try rollup.depositERC20(address(token), units * TOKEN_UNIT, actorOf(actorSeed), 0) {} catch {}
    }

    function requestFullExit(uint256 actorSeed, uint256 account, uint256 tokenId) external {
        calls++;
        vm.prank(actorOf(actorSeed));
        try rollup.requestFullExit(uint16(account % LEAVES), uint8(tokenId % 2)) {} catch {}
    }

    /// @dev One block: the next queued requests (as the queue says), a full exit withdrawing an arbitrary amount,
    ///      an arbitrary WITHDRAW, and an arbitrary new leaf in the root. Verified at once (the mock accepts);
    ///      dropped with revertBlocks if the rollup refuses to credit the withdrawals.
    function commitAndVerify(uint256 seed, uint256 withdrawUnits, uint256 exitUnits, uint256 leafEth, uint256 leafTok)
        external
    {
        calls++;
        if (rollup.exodusMode()) return;
        uint256 first = rollup.committedPriorityRequests();
        (uint80[] memory cs, ZkPubdata.Withdrawal[] memory ws) = buildBlock(first, seed, withdrawUnits, exitUnits);
        uint256 li = (seed >> 16) % LEAVES;
        address owner = actorOf(seed >> 24);
        uint256 balances = ZkTestLib.packBalances([bound(leafEth, 0, 5e9), bound(leafTok, 0, 5e5), 0, 0]);
        uint256 newLeaf = ZkTestLib.leaf(0, owner, 0, [balances & ((1 << 56) - 1), balances >> 56, 0, 0]);
        uint256 newRoot = rootWith(li, newLeaf);

        ZkRollup.CommitBlockInput[] memory blocks = new ZkRollup.CommitBlockInput[](1);
        blocks[0] = ZkRollup.CommitBlockInput(bytes32(newRoot), ZkTestLib.pubdata(cs, CHUNKS));
        vm.recordLogs();
        vm.prank(operator);
        rollup.commitBlocks(lastCommitted, blocks);
        ZkRollup.StoredBlock[] memory sbs = new ZkRollup.StoredBlock[](1);
        sbs[0] = ZkRollup.StoredBlock(
            uint32(rollup.totalBlocksCommitted()),
            uint64(first),
            uint64(rollup.committedPriorityRequests() - first),
            bytes32(newRoot),
            commitmentFromLogs(),
            keccak256(abi.encode(ws))
        );
        ZkPubdata.Withdrawal[][] memory wss = new ZkPubdata.Withdrawal[][](1);
        wss[0] = ws;
        try rollup.verifyBlocks(sbs, new uint256[8][](1), wss) {
            lastCommitted = sbs[0];
            lastVerified = sbs[0];
            leaves[li] = newLeaf;
            leafOwner[li] = owner;
            leafBalances[li] = balances;
            setLeaves.push(li);
            verified++;
        } catch {
            refusedBlocks++;
            vm.prank(operator);
            rollup.revertBlocks(lastVerified);
            lastCommitted = lastVerified;
        }
    }

    function buildBlock(uint256 first, uint256 seed, uint256 withdrawUnits, uint256 exitUnits)
        internal
        view
        returns (uint80[] memory cs, ZkPubdata.Withdrawal[] memory ws)
    {
        uint256 take = rollup.totalPriorityRequests() - first;
        if (take > CHUNKS - 3) take = CHUNKS - 3;
        cs = new uint80[](take + 3);
        ws = new ZkPubdata.Withdrawal[](take + 1);
        uint256 nw;
        for (uint256 j = 0; j < take; j++) {
            uint256 a = rollup.priorityRequest(first + j);
            uint256 kind = a & 7;
            if (kind == 1) {
                cs[j] = ZkTestLib.deposit(seed % LEAVES, (a >> 3) & 0x1f, (a >> 8) & ((1 << 56) - 1));
            } else if (kind == 5) {
                uint256 tokenId = (a >> 3) & 0x1f;
                uint256 x = bound(exitUnits, 0, tokenId == 0 ? 1e10 : 1e6);
                cs[j] = ZkTestLib.fullExit((a >> 64) & 0xffff, tokenId, x);
                if (x > 0) ws[nw++] = ZkPubdata.Withdrawal(address(uint160(a >> 80)), uint8(tokenId), uint64(x));
            } else {
                cs[j] = ZkTestLib.changePubKey((a >> 64) & 0xffff);
            }
        }
        uint8 wTok = uint8(seed % 2);
        uint64 wUnits = uint64(bound(withdrawUnits, 0, wTok == 0 ? 2e10 : 2e6));
        address to = actorOf(seed >> 8);
        ZkTestLib.threeChunks(cs, take, 4, seed % LEAVES, wTok, wUnits, to);
        ws[nw++] = ZkPubdata.Withdrawal(to, wTok, wUnits);
        assembly ("memory-safe") {
            mstore(ws, nw)
        }
    }

    function rootWith(uint256 li, uint256 newLeaf) internal returns (uint256 newRoot) {
        uint256[] memory next = new uint256[](LEAVES);
        for (uint256 i = 0; i < LEAVES; i++) {
            next[i] = leaves[i];
        }
        next[li] = newLeaf;
        (newRoot,) = ZkTestLib.rootAndProof(next, DEPTH, 0);
    }

    function commitmentFromLogs() internal returns (bytes32 commitment) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i = 0; i < logs.length; i++) {
            if (logs[i].topics[0] == ZkRollup.BlockCommitted.selector) {
                (,,, commitment,) = abi.decode(logs[i].data, (uint64, uint64, bytes32, bytes32, bytes32));
            }
        }
    }

    function withdrawPending(uint256 actorSeed, uint256 tokenId) external {
        calls++;
        try rollup.withdrawPendingBalance(actorOf(actorSeed), uint8(tokenId % 2)) {
            paidPending++;
        } catch {}
    }

    function warpAndActivateExodus(uint256 secs) external {
        calls++;
        vm.warp(block.timestamp + bound(secs, 0, 3 days));
        try rollup.activateExodusMode() {} catch {}
    }

    function exodusWithdraw(uint256 leafIndex, uint256 tokenId) external {
        calls++;
        if (!rollup.exodusMode()) return;
        uint256 li =
            setLeaves.length > 0 && leafIndex % 4 != 0 ? setLeaves[leafIndex % setLeaves.length] : leafIndex % LEAVES;
        uint8 t = uint8(tokenId % 2);
        (, uint256[] memory siblings) = ZkTestLib.rootAndProof(leaves, DEPTH, li);
        uint256 on = ZkTestLib.ownerNonce(leafOwner[li], 0);
        for (uint256 attempt = 0; attempt < 2; attempt++) {
            try rollup.exodusWithdraw(uint16(li), t, 0, on, leafBalances[li], siblings) {
                exodusPayments++;
                if (++exodusPaid[li * 4 + t] > 1) paidTwice = true;
            } catch {}
        }
    }

    function cancelDeposits(uint256 n) external {
        calls++;
        try rollup.cancelOutstandingDeposits(bound(n, 1, 5)) {
            refundCalls++;
        } catch {}
    }

    // ------------------------------------------------------------------------------------------------- views

    function pendingOf(uint8 tokenId) external view returns (uint256 sum) {
        for (uint256 i = 0; i < actors.length; i++) {
            sum += rollup.pendingBalance(actors[i], tokenId);
        }
    }

    receive() external payable {}
}

/// @notice Invariants: the rollup never pays out more than was deposited (and can always pay every pending balance),
///         and exodus pays each (account, token) at most once.
contract ZkRollupInvariantTest is Test {
    ZkHandler internal handler;
    ZkRollup internal rollup;
    DevToken internal token;

    function setUp() public {
        vm.warp(1_700_000_000);
        address operator = makeAddr("operator");
        MockVerifier verifier = new MockVerifier();
        rollup = new ZkRollup(verifier, 3, 12, 1 days, operator, address(this));
        address[] memory holders = new address[](1);
        holders[0] = address(this);
        token = new DevToken("Dev Token", "DEV", 18, holders, 1e30);
        rollup.registerToken(address(token), 1e12);
        handler = new ZkHandler(rollup, token, operator);
        assertTrue(token.transfer(address(handler), 1e30));
        targetContract(address(handler));
    }

    /// @dev Exact accounting per token: what the contract holds = (deposited − left, in L2 units) × unit + pending.
    ///      With `paidOut ≤ deposited` this says nobody was ever paid more than was deposited.
    function invariant_neverPaysOutMoreThanDeposited() public view {
        (uint256 dEth, uint256 pEth) = rollup.tokenTotals(0);
        assertLe(pEth, dEth, "ETH paid out <= deposited");
        assertEq(address(rollup).balance, (dEth - pEth) * 1 gwei + handler.pendingOf(0), "ETH accounting");
        (uint256 dTok, uint256 pTok) = rollup.tokenTotals(1);
        assertLe(pTok, dTok, "token paid out <= deposited");
        assertEq(token.balanceOf(address(rollup)), (dTok - pTok) * 1e12 + handler.pendingOf(1), "token accounting");
    }

    function invariant_exodusPaysEachAccountAndTokenAtMostOnce() public view {
        assertFalse(handler.paidTwice());
    }

    /// @dev Every path the invariants are about is reachable through the handler (a fixed run, not fuzzed).
    function test_handlerReachesEveryPath() public {
        handler.depositETH(0, 5e9);
        handler.depositToken(1, 1000);
        handler.requestFullExit(2, 3, 0);
        handler.commitAndVerify(0, 1e9, 5e8, 2e9, 10); // credits 1e9 + the full exit's 5e8
        handler.commitAndVerify(1, 1e10, 0, 0, 0); // withdraws more token than deposited: refused
        handler.withdrawPending(0, 0);
        handler.depositETH(1, 3e9);
        handler.warpAndActivateExodus(2 days);
        handler.exodusWithdraw(0, 0);
        handler.cancelDeposits(5);
        emit log_named_uint("verified", handler.verified());
        emit log_named_uint("refused", handler.refusedBlocks());
        emit log_named_uint("paidPending", handler.paidPending());
        emit log_named_uint("exodusPayments", handler.exodusPayments());
        emit log_named_uint("refundCalls", handler.refundCalls());
        assertTrue(rollup.exodusMode(), "exodus");
        assertEq(handler.verified(), 1, "verified");
        assertEq(handler.refusedBlocks(), 1, "refused");
        assertEq(handler.paidPending(), 1, "paid");
        assertEq(handler.exodusPayments(), 1, "exodus payment");
        assertEq(handler.refundCalls(), 1, "refund");
        invariant_neverPaysOutMoreThanDeposited();
    }
}

/// @notice Fuzz tests of single entry points.
contract ZkRollupFuzzTest is ZkFixture {
    using ZkTestLib for uint80[];

    function testFuzz_depositETH_amountRules(uint256 amount) public {
        amount = bound(amount, 1, 1e30);
        vm.deal(carol, amount);
        vm.prank(carol);
        if (amount % 1 gwei != 0) {
            vm.expectRevert(abi.encodeWithSelector(ZkRollup.AmountNotMultipleOfUnit.selector, amount, 1 gwei));
        } else if (amount / 1 gwei >= 1 << 56) {
            vm.expectRevert(abi.encodeWithSelector(ZkRollup.AmountTooLarge.selector, amount / 1 gwei));
        }
        rollup.depositETH{value: amount}(carol, 0);
    }

    /// @dev Any withdrawals: credited iff they fit the deposits; the credit is exact.
    function testFuzz_verify_creditsAtMostTheDeposits(uint64 deposit, uint64 w1, uint64 w2) public {
        uint256 d = bound(deposit, 1, 1e9);
        uint256 a = bound(w1, 0, 2e9);
        uint256 b = bound(w2, 0, 2e9);
        vm.prank(alice);
        rollup.depositETH{value: d * 1 gwei}(alice, 0);
        uint80[] memory cs = new uint80[](7);
        cs[0] = ZkTestLib.deposit(0, 0, d);
        cs.threeChunks(1, 4, 0, 0, a, bob);
        cs.threeChunks(4, 4, 0, 0, b, carol);
        commit(root(1), pubdataOf(cs));
        ZkPubdata.Withdrawal[] memory ws = new ZkPubdata.Withdrawal[](2);
        ws[0] = ZkPubdata.Withdrawal(bob, 0, uint64(a));
        ws[1] = ZkPubdata.Withdrawal(carol, 0, uint64(b));
        if (a + b > d) {
            vm.expectRevert();
            verifyNext(ws);
            return;
        }
        verifyNext(ws);
        assertEq(rollup.pendingBalance(bob, 0), a * 1 gwei);
        assertEq(rollup.pendingBalance(carol, 0), b * 1 gwei);
    }

    /// @dev A leaf anywhere in the tree, any balances: exodus pays it once, per token, only with its own proof.
    function testFuzz_exodus_paysOnce(uint16 index, uint56 ethUnits, uint56 tokUnits, uint32 nonce) public {
        uint256 li = index % (2 ** DEPTH);
        uint256 e = bound(ethUnits, 1, 5e9);
        uint256 t = bound(tokUnits, 1, 1e6);
        vm.prank(alice);
        rollup.depositETH{value: 5 ether}(alice, 0);
        vm.prank(alice);
        rollup.depositERC20(address(token), 1e6 * TOKEN_UNIT, alice, 0);
        uint256[] memory leaves = new uint256[](li + 1);
        uint256 empty = ZkTestLib.zeros(0)[0];
        for (uint256 i = 0; i < li; i++) {
            leaves[i] = empty;
        }
        uint256 bal = ZkTestLib.packBalances([e, t, 0, 0]);
        leaves[li] = ZkTestLib.leaf(7, carol, nonce, [e, t, 0, 0]);
        (uint256 r, uint256[] memory proof) = ZkTestLib.rootAndProof(leaves, DEPTH, li);
        uint80[] memory cs = new uint80[](2);
        cs[0] = ZkTestLib.deposit(0, 0, 5e9);
        cs[1] = ZkTestLib.deposit(0, 1, 1e6);
        commitAndVerify(bytes32(r), pubdataOf(cs), noWithdrawals());
        vm.prank(bob);
        rollup.requestFullExit(0, 0);
        vm.warp(block.timestamp + DEADLINE + 1);
        rollup.activateExodusMode();

        uint256 on = ZkTestLib.ownerNonce(carol, nonce);
        rollup.exodusWithdraw(uint16(li), 0, 7, on, bal, proof);
        rollup.exodusWithdraw(uint16(li), 1, 7, on, bal, proof);
        assertEq(carol.balance, e * 1 gwei);
        assertEq(token.balanceOf(carol), t * TOKEN_UNIT);
        for (uint8 k = 0; k < 2; k++) {
            vm.expectRevert(abi.encodeWithSelector(ZkRollup.AlreadyExited.selector, li, k));
            rollup.exodusWithdraw(uint16(li), k, 7, on, bal, proof);
        }
        uint16 other = uint16((li + 1) % (2 ** DEPTH));
        vm.expectRevert(ZkRollup.InvalidMerkleProof.selector);
        rollup.exodusWithdraw(other, 0, 7, on, bal, proof);
    }

    /// @dev Random pubdata: commit either succeeds (consuming at most the one queued request) or fails with a parse
    ///      error, never anything else.
    function testFuzz_commit_randomPubdata(bytes32 s1, bytes32 s2, bytes32 s3) public {
        vm.prank(alice);
        rollup.depositETH{value: 1 gwei}(alice, 0);
        bytes memory data = bytes.concat(s1, s2, s3);
        assembly ("memory-safe") {
            mstore(data, 80)
        }
        ZkRollup.CommitBlockInput[] memory blocks = new ZkRollup.CommitBlockInput[](1);
        blocks[0] = ZkRollup.CommitBlockInput(root(1), data);
        vm.prank(operator);
        try rollup.commitBlocks(lastCommitted, blocks) {
            assertLe(rollup.committedPriorityRequests(), 1);
        } catch (bytes memory err) {
            bytes4 sel = bytes4(err);
            assertTrue(
                sel == ZkPubdata.InvalidChunkType.selector || sel == ZkPubdata.TruncatedOperation.selector
                    || sel == ZkPubdata.InvalidWithdrawalToken.selector || sel == ZkPubdata.TooManyPriorityOps.selector
                    || sel == ZkPubdata.PriorityOpMismatch.selector,
                "a parse error"
            );
        }
    }
}
// forge-lint: disable-end(unsafe-typecast)
