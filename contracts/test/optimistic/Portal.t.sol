// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {DevToken} from "../../src/common/DevToken.sol";
import {SparseMerkle} from "../../src/common/SparseMerkle.sol";
import {Vm} from "../utils/Vm.sol";
import {Portal} from "../../src/optimistic/Portal.sol";
import {Rollup} from "../../src/optimistic/Rollup.sol";
import {
    BareToken,
    Bytes32MetadataToken,
    EthRejecter,
    FeeOnTransferToken,
    LyingToken,
    MalformedMetadataToken,
    ReentrantRecipient
} from "../utils/Mocks.sol";
import {OptimisticFixture} from "./Fixture.sol";

contract PortalTest is OptimisticFixture {
    event TokenRegistered(
        uint16 indexed tokenIndex, address indexed l1Token, string name, string symbol, uint8 decimals
    );
    event DepositQueued(
        uint256 indexed depositIndex,
        address indexed from,
        address indexed to,
        uint16 tokenIndex,
        uint256 amount,
        bytes32 queueHash
    );
    event WithdrawalFinalized(
        bytes32 indexed withdrawalHash,
        uint256 indexed withdrawalIndex,
        address indexed recipient,
        address l1Token,
        uint256 amount
    );

    function nextQueueHash(bytes32 prev, uint256 index, address from, address to, uint16 tokenIndex, uint256 amount)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(prev, index, from, to, tokenIndex, amount));
    }

    // ------------------------------------------------------------ initialize

    function test_initializeOnlyByTheDeployerOnce() public {
        Portal fresh = new Portal();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Portal.NotDeployer.selector, alice));
        fresh.initialize(address(rollup));

        vm.expectRevert(Portal.ZeroAddress.selector);
        fresh.initialize(address(0));

        fresh.initialize(address(rollup));
        assertEq(address(fresh.rollup()), address(rollup));
        vm.expectRevert(Portal.AlreadyInitialized.selector);
        fresh.initialize(address(rollup));
    }

    function test_finalizeBeforeInitializeReverts() public {
        Portal fresh = new Portal();
        bytes32[32] memory siblings;
        vm.expectRevert(Portal.NotInitialized.selector);
        fresh.finalizeWithdrawal(0, ethWithdrawal(0, bob, 1), ACCOUNTS_ROOT, siblings);
    }

    // ----------------------------------------------------------- ETH deposits

    function test_depositETHQueuesTheDepositAndExtendsTheHashChain() public {
        bytes32 expected = nextQueueHash(bytes32(0), 0, alice, bob, 0, 1 ether);
        vm.expectEmit(address(portal));
        emit DepositQueued(0, alice, bob, 0, 1 ether, expected);
        vm.prank(alice);
        uint256 index = portal.depositETH{value: 1 ether}(bob);

        assertEq(index, 0);
        assertEq(portal.depositCount(), 1);
        assertEq(portal.queueHash(), expected);
        assertEq(address(portal).balance, 1 ether);
        assertEq(portal.totalDeposited(address(0)), 1 ether);

        bytes32 second = nextQueueHash(expected, 1, bob, alice, 0, 5);
        vm.prank(bob);
        assertEq(portal.depositETH{value: 5}(alice), 1);
        assertEq(portal.queueHash(), second);
    }

    function test_depositHashAtReturnsTheQueueHashAfterEachDeposit() public {
        vm.expectRevert(abi.encodeWithSelector(Portal.UnknownDeposit.selector, 0, 0));
        portal.depositHashAt(0);

        vm.prank(alice);
        portal.depositETH{value: 3}(bob);
        vm.startPrank(bob);
        token.approve(address(portal), 7);
        portal.depositERC20{value: portal.tokenRegistrationFee(address(token))}(address(token), alice, 7);
        vm.stopPrank();
        vm.prank(alice);
        portal.depositETH{value: 11}(alice);

        bytes32 h0 = nextQueueHash(bytes32(0), 0, alice, bob, 0, 3);
        bytes32 h1 = nextQueueHash(h0, 1, bob, alice, 1, 7);
        bytes32 h2 = nextQueueHash(h1, 2, alice, alice, 0, 11);
        assertEq(portal.depositHashAt(0), h0, "deposit 0");
        assertEq(portal.depositHashAt(1), h1, "deposit 1");
        assertEq(portal.depositHashAt(2), h2, "deposit 2");
        assertEq(portal.queueHash(), h2, "queue hash is the newest deposit hash");
        vm.expectRevert(abi.encodeWithSelector(Portal.UnknownDeposit.selector, 3, 3));
        portal.depositHashAt(3);
    }

    /// Every stored hash chains from the previous one: deposit i's content is provable from hashes i-1 and i.
    function testFuzz_depositHashAtChains(uint8 count, uint96 seed) public {
        count = uint8(bound(count, 1, 12));
        bytes32 previous;
        for (uint256 i = 0; i < count; i++) {
            uint256 amount = uint256(keccak256(abi.encode(seed, i))) % 1 ether + 1;
            address to = i % 2 == 0 ? bob : alice;
            vm.prank(alice);
            portal.depositETH{value: amount}(to);
            bytes32 expected = nextQueueHash(previous, i, alice, to, 0, amount);
            assertEq(portal.depositHashAt(i), expected, "chained hash");
            previous = expected;
        }
        for (uint256 i = 1; i < count; i++) {
            assertTrue(portal.depositHashAt(i) != portal.depositHashAt(i - 1), "distinct");
        }
    }

    function test_depositETHRejectsZeroAmountAndZeroRecipient() public {
        vm.prank(alice);
        vm.expectRevert(Portal.ZeroAmount.selector);
        portal.depositETH{value: 0}(bob);

        vm.prank(alice);
        vm.expectRevert(Portal.ZeroAddress.selector);
        portal.depositETH{value: 1}(address(0));
    }

    // ---------------------------------------------------------- ERC-20 deposits

    function test_depositERC20RegistersTheTokenOnFirstUseOnly() public {
        vm.startPrank(alice);
        token.approve(address(portal), type(uint256).max);

        uint256 registrationFee0 = portal.tokenRegistrationFee(address(token));
        vm.expectEmit(address(portal));
        emit TokenRegistered(1, address(token), "Dev Token", "DEV", 18);
        vm.expectEmit(address(portal));
        emit DepositQueued(0, alice, bob, 1, 100, nextQueueHash(0, 0, alice, bob, 1, 100));
        portal.depositERC20{value: registrationFee0}(address(token), bob, 100);

        vm.recordLogs();
        portal.depositERC20{value: portal.tokenRegistrationFee(address(token))}(address(token), alice, 7);
        assertEq(vm.getRecordedLogs().length, 2, "Transfer + DepositQueued, no second TokenRegistered");
        vm.stopPrank();

        assertEq(portal.tokenIndexOf(address(token)), 1);
        assertEq(portal.tokenAt(1), address(token));
        assertEq(portal.tokenAt(0), address(0));
        assertEq(portal.tokenCount(), 1);
        assertEq(portal.tokenIndexOf(address(0xdead)), 0);
        assertEq(token.balanceOf(address(portal)), 107);
        assertEq(portal.totalDeposited(address(token)), 107);
        assertEq(portal.depositCount(), 2);
    }

    function test_tokenAtRevertsForAnUnregisteredIndex() public {
        vm.expectRevert(abi.encodeWithSelector(Portal.UnknownTokenIndex.selector, uint16(1)));
        portal.tokenAt(1);
    }

    function test_depositERC20RevertPaths() public {
        vm.startPrank(alice);
        token.approve(address(portal), 10);

        uint256 registrationFee1 = portal.tokenRegistrationFee(address(token));
        vm.expectRevert(Portal.ZeroAmount.selector);
        portal.depositERC20{value: registrationFee1}(address(token), bob, 0);

        uint256 registrationFee2 = portal.tokenRegistrationFee(address(token));
        vm.expectRevert(Portal.ZeroAddress.selector);
        portal.depositERC20{value: registrationFee2}(address(token), address(0), 1);

        uint256 registrationFee3 = portal.tokenRegistrationFee(address(0xbeef));
        vm.expectRevert(abi.encodeWithSelector(Portal.NotAContract.selector, address(0xbeef)));
        portal.depositERC20{value: registrationFee3}(address(0xbeef), bob, 1);

        uint256 registrationFee4 = portal.tokenRegistrationFee(address(token));
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(portal), 10, 11)
        );
        portal.depositERC20{value: registrationFee4}(address(token), bob, 11);
        vm.stopPrank();

        LyingToken liar = new LyingToken();
        uint256 registrationFee5 = portal.tokenRegistrationFee(address(liar));
        vm.expectRevert(Portal.ZeroAmount.selector);
        portal.depositERC20{value: registrationFee5}(address(liar), bob, 1);
        assertEq(portal.tokenCount(), 0, "registration rolled back with the failed deposit");
    }

    function test_feeOnTransferTokenCreditsOnlyWhatArrived() public {
        FeeOnTransferToken feeToken = new FeeOnTransferToken(100); // 1 %
        feeToken.mint(alice, 1_000);
        vm.startPrank(alice);
        feeToken.approve(address(portal), 1_000);
        uint256 registrationFee6 = portal.tokenRegistrationFee(address(feeToken));
        vm.expectEmit(address(portal));
        emit DepositQueued(0, alice, bob, 1, 990, nextQueueHash(0, 0, alice, bob, 1, 990));
        portal.depositERC20{value: registrationFee6}(address(feeToken), bob, 1_000);
        vm.stopPrank();
        assertEq(portal.totalDeposited(address(feeToken)), 990);
        assertEq(feeToken.balanceOf(address(portal)), 990);
    }

    function test_tokenWithoutMetadataRegistersWithDefaults() public {
        BareToken bare = new BareToken();
        bare.mint(alice, 5);
        vm.startPrank(alice);
        bare.approve(address(portal), 5);
        uint256 registrationFee7 = portal.tokenRegistrationFee(address(bare));
        vm.expectEmit(address(portal));
        emit TokenRegistered(1, address(bare), "", "", 18);
        portal.depositERC20{value: registrationFee7}(address(bare), bob, 5);
        vm.stopPrank();
    }

    function test_bytes32MetadataIsDecodedAndOutOfRangeDecimalsFallBack() public {
        Bytes32MetadataToken old = new Bytes32MetadataToken();
        old.mint(alice, 5);
        vm.startPrank(alice);
        old.approve(address(portal), 5);
        uint256 registrationFee8 = portal.tokenRegistrationFee(address(old));
        vm.expectEmit(address(portal));
        emit TokenRegistered(1, address(old), "Maker", "MKR", 18);
        portal.depositERC20{value: registrationFee8}(address(old), bob, 5);
        vm.stopPrank();
    }

    function test_malformedMetadataRegistersAsEmpty() public {
        MalformedMetadataToken odd = new MalformedMetadataToken();
        odd.mint(alice, 5);
        vm.startPrank(alice);
        odd.approve(address(portal), 5);
        uint256 registrationFee9 = portal.tokenRegistrationFee(address(odd));
        vm.expectEmit(address(portal));
        emit TokenRegistered(1, address(odd), "", "", 18);
        portal.depositERC20{value: registrationFee9}(address(odd), bob, 5);
        vm.stopPrank();
    }

    function test_longTokenNamesAreTruncatedTo64Bytes() public {
        string memory longName =
            "This token name is far too long to be useful anywhere and keeps going and going and going";
        address[] memory holders = new address[](1);
        holders[0] = alice;
        DevToken verbose = new DevToken(longName, "LONG", 6, holders, 10);
        vm.startPrank(alice);
        verbose.approve(address(portal), 10);
        uint256 registrationFee10 = portal.tokenRegistrationFee(address(verbose));
        vm.expectEmit(address(portal));
        emit TokenRegistered(
            1, address(verbose), "This token name is far too long to be useful anywhere and keeps ", "LONG", 6
        );
        portal.depositERC20{value: registrationFee10}(address(verbose), bob, 10);
        vm.stopPrank();
    }

    function test_atMost255TokensCanBeRegistered() public {
        vm.deal(alice, 2_000 ether); // 1,048.56 ETH of registration fees in all
        vm.startPrank(alice);
        for (uint256 i = 1; i <= 255; i++) {
            BareToken t = new BareToken();
            t.mint(alice, 1);
            t.approve(address(portal), 1);
            portal.depositERC20{value: portal.tokenRegistrationFee(address(t))}(address(t), bob, 1);
        }
        assertEq(portal.tokenCount(), 255);
        BareToken extra = new BareToken();
        extra.mint(alice, 1);
        extra.approve(address(portal), 1);
        uint256 registrationFee11 = portal.tokenRegistrationFee(address(extra));
        vm.expectRevert(Portal.TooManyTokens.selector);
        portal.depositERC20{value: registrationFee11}(address(extra), bob, 1);
        vm.stopPrank();
    }

    /// Random sequences of ETH and token deposits: the queue hash chain, count and totals match a recomputation.
    function testFuzz_depositAccounting(uint64[8] memory amounts, address[8] memory recipients, bool[8] memory isToken)
        public
    {
        BareToken second = new BareToken();
        second.mint(alice, type(uint128).max);
        vm.startPrank(alice);
        token.approve(address(portal), type(uint256).max);
        second.approve(address(portal), type(uint256).max);
        vm.deal(alice, type(uint128).max);

        bytes32 expectedHash;
        uint256 ethTotal;
        uint256 tokenTotal;
        uint256 count;
        for (uint256 i = 0; i < 8; i++) {
            uint256 amount = amounts[i];
            address to = recipients[i];
            if (amount == 0 || to == address(0)) continue;
            uint16 tokenIndex;
            if (!isToken[i]) {
                portal.depositETH{value: amount}(to);
                ethTotal += amount;
            } else if (amount % 2 == 0) {
                portal.depositERC20{value: portal.tokenRegistrationFee(address(token))}(address(token), to, amount);
                tokenIndex = portal.tokenIndexOf(address(token));
                tokenTotal += amount;
            } else {
                portal.depositERC20{value: portal.tokenRegistrationFee(address(second))}(address(second), to, amount);
                tokenIndex = portal.tokenIndexOf(address(second));
            }
            assertTrue(tokenIndex <= 2, "token index in range");
            expectedHash = nextQueueHash(expectedHash, count, alice, to, tokenIndex, amount);
            count++;
            assertEq(portal.queueHash(), expectedHash, "queue hash after each deposit");
        }
        vm.stopPrank();
        assertEq(portal.depositCount(), count);
        assertEq(portal.totalDeposited(address(0)), ethTotal);
        assertEq(address(portal).balance, ethTotal);
        assertEq(portal.totalDeposited(address(token)), tokenTotal);
        assertEq(token.balanceOf(address(portal)), tokenTotal);
    }

    /// The event stream alone (what L2 derivation sees) reproduces the on-chain queue hash.
    function testFuzz_queueHashCanBeRebuiltFromEvents(uint96 a, uint96 b, address to) public {
        vm.assume(to != address(0));
        vm.recordLogs();
        vm.prank(alice);
        portal.depositETH{value: uint256(a) % 100 ether + 1}(to);
        vm.prank(bob);
        portal.depositETH{value: uint256(b) % 100 ether + 1}(alice);

        Vm.Log[] memory logs = vm.getRecordedLogs();
        bytes32 topic = keccak256("DepositQueued(uint256,address,address,uint16,uint256,bytes32)");
        bytes32 rebuilt;
        uint256 seen;
        for (uint256 i = 0; i < logs.length; i++) {
            if (logs[i].emitter != address(portal) || logs[i].topics[0] != topic) continue;
            uint256 index = uint256(logs[i].topics[1]);
            address from = address(uint160(uint256(logs[i].topics[2])));
            address recipient = address(uint160(uint256(logs[i].topics[3])));
            (uint16 tokenIndex, uint256 amount, bytes32 emitted) = abi.decode(logs[i].data, (uint16, uint256, bytes32));
            rebuilt = nextQueueHash(rebuilt, index, from, recipient, tokenIndex, amount);
            assertEq(rebuilt, emitted, "emitted queue hash");
            seen++;
        }
        assertEq(seen, 2);
        assertEq(portal.queueHash(), rebuilt);
    }

    // ------------------------------------------------------------- withdrawals

    function fundPortal() internal {
        vm.startPrank(alice);
        portal.depositETH{value: 10 ether}(alice);
        token.approve(address(portal), 1_000 ether);
        portal.depositERC20{value: portal.tokenRegistrationFee(address(token))}(address(token), alice, 1_000 ether);
        vm.stopPrank();
    }

    /// Three withdrawals (ETH to bob, tokens to bob, ETH to a given recipient) in one finalized state.
    function finalizedWithdrawals(address third)
        internal
        returns (uint256 proposalIndex, Portal.Withdrawal[] memory ws)
    {
        ws = new Portal.Withdrawal[](3);
        ws[0] = ethWithdrawal(0, bob, 1 ether);
        ws[1] = Portal.Withdrawal({index: 1, sender: alice, recipient: bob, l1Token: address(token), amount: 250 ether});
        ws[2] = ethWithdrawal(7, third, 2 ether);
        proposalIndex = proposeWithdrawals(ws);
        passWindow();
    }

    function test_finalizeWithdrawalPaysETHOnce() public {
        fundPortal();
        (uint256 p, Portal.Withdrawal[] memory ws) = finalizedWithdrawals(bob);
        bytes32 hash = withdrawalHash(ws[0]);
        assertEq(portal.withdrawalHash(ws[0]), hash, "withdrawalHash view");
        uint256 before = bob.balance;

        vm.expectEmit(address(portal));
        emit WithdrawalFinalized(hash, 0, bob, address(0), 1 ether);
        vm.prank(alice); // anyone may relay; the recipient is paid
        portal.finalizeWithdrawal(p, ws[0], ACCOUNTS_ROOT, proofOf(ws, 0));

        assertEq(bob.balance, before + 1 ether);
        assertTrue(portal.isWithdrawalFinalized(hash));
        assertEq(portal.totalWithdrawn(address(0)), 1 ether);

        vm.expectRevert(abi.encodeWithSelector(Portal.WithdrawalAlreadyFinalized.selector, hash));
        portal.finalizeWithdrawal(p, ws[0], ACCOUNTS_ROOT, proofOf(ws, 0));
    }

    function test_finalizeWithdrawalPaysTokens() public {
        fundPortal();
        (uint256 p, Portal.Withdrawal[] memory ws) = finalizedWithdrawals(bob);
        uint256 before = token.balanceOf(bob);
        portal.finalizeWithdrawal(p, ws[1], ACCOUNTS_ROOT, proofOf(ws, 1));
        assertEq(token.balanceOf(bob), before + 250 ether);
        assertEq(token.balanceOf(address(portal)), 750 ether);
        assertEq(portal.totalWithdrawn(address(token)), 250 ether);
    }

    function test_aWithdrawalIsPaidOnceEvenWhenProvenAgainstALaterProposal() public {
        fundPortal();
        (uint256 p, Portal.Withdrawal[] memory ws) = finalizedWithdrawals(bob);
        portal.finalizeWithdrawal(p, ws[2], ACCOUNTS_ROOT, proofOf(ws, 2));
        uint256 later = proposeWithdrawals(ws);
        passWindow();
        vm.expectRevert(abi.encodeWithSelector(Portal.WithdrawalAlreadyFinalized.selector, withdrawalHash(ws[2])));
        portal.finalizeWithdrawal(later, ws[2], ACCOUNTS_ROOT, proofOf(ws, 2));
    }

    function test_finalizeWithdrawalRevertsBeforeTheWindowEnds() public {
        fundPortal();
        Portal.Withdrawal[] memory ws = new Portal.Withdrawal[](1);
        ws[0] = ethWithdrawal(0, bob, 1 ether);
        uint256 p = proposeWithdrawals(ws);
        vm.warp(block.timestamp + WINDOW - 1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ProposalNotFinalized.selector, p));
        portal.finalizeWithdrawal(p, ws[0], ACCOUNTS_ROOT, proofOf(ws, 0));

        vm.expectRevert(abi.encodeWithSelector(Rollup.ProposalNotFinalized.selector, p + 1));
        portal.finalizeWithdrawal(p + 1, ws[0], ACCOUNTS_ROOT, proofOf(ws, 0));
    }

    function test_finalizeWithdrawalRevertsForADeletedProposal() public {
        fundPortal();
        Portal.Withdrawal[] memory ws = new Portal.Withdrawal[](1);
        ws[0] = ethWithdrawal(0, bob, 1 ether);
        uint256 p = proposeWithdrawals(ws);
        rollup.deleteFrom(p);
        passWindow();
        vm.expectRevert(abi.encodeWithSelector(Rollup.ProposalNotFinalized.selector, p));
        portal.finalizeWithdrawal(p, ws[0], ACCOUNTS_ROOT, proofOf(ws, 0));
    }

    function test_finalizeWithdrawalRejectsWrongProofs() public {
        fundPortal();
        (uint256 p, Portal.Withdrawal[] memory ws) = finalizedWithdrawals(bob);
        bytes32 stateRoot = rollup.finalizedStateRoot(p);

        Portal.Withdrawal memory inflated = ws[0];
        inflated.amount = 2 ether;
        vm.expectPartialRevert(Portal.InvalidWithdrawalProof.selector);
        portal.finalizeWithdrawal(p, inflated, ACCOUNTS_ROOT, proofOf(ws, 0));

        Portal.Withdrawal memory redirected = ws[0];
        redirected.recipient = alice;
        vm.expectPartialRevert(Portal.InvalidWithdrawalProof.selector);
        portal.finalizeWithdrawal(p, redirected, ACCOUNTS_ROOT, proofOf(ws, 0));

        bytes32[32] memory badSiblings = proofOf(ws, 0);
        badSiblings[5] = keccak256("junk");
        vm.expectPartialRevert(Portal.InvalidWithdrawalProof.selector);
        portal.finalizeWithdrawal(p, ws[0], ACCOUNTS_ROOT, badSiblings);

        vm.expectPartialRevert(Portal.InvalidWithdrawalProof.selector);
        portal.finalizeWithdrawal(p, ws[0], keccak256("other accounts"), proofOf(ws, 0));

        // the leaf moved to another index (its hash commits to the index, so the proof no longer matches)
        Portal.Withdrawal memory moved = ws[0];
        moved.index = 2;
        vm.expectPartialRevert(Portal.InvalidWithdrawalProof.selector);
        portal.finalizeWithdrawal(p, moved, ACCOUNTS_ROOT, proofOf(ws, 0));

        Portal.Withdrawal memory outOfRange = ws[0];
        outOfRange.index = uint256(1) << 32;
        vm.expectRevert(abi.encodeWithSelector(SparseMerkle.IndexOutOfRange.selector, uint256(1) << 32, 32));
        portal.finalizeWithdrawal(p, outOfRange, ACCOUNTS_ROOT, proofOf(ws, 0));

        assertEq(rollup.finalizedStateRoot(p), stateRoot);
        assertEq(portal.totalWithdrawn(address(0)), 0);
    }

    function test_finalizeWithdrawalRejectsUnregisteredTokens() public {
        fundPortal();
        Portal.Withdrawal[] memory ws = new Portal.Withdrawal[](1);
        ws[0] = Portal.Withdrawal({index: 0, sender: alice, recipient: bob, l1Token: address(0xbeef), amount: 1});
        uint256 p = proposeWithdrawals(ws);
        passWindow();
        vm.expectRevert(abi.encodeWithSelector(Portal.UnknownToken.selector, address(0xbeef)));
        portal.finalizeWithdrawal(p, ws[0], ACCOUNTS_ROOT, proofOf(ws, 0));
    }

    /// Even a finalized (say, fraudulent and unchallenged) state cannot take more of a token than was deposited.
    function test_finalizeWithdrawalNeverPaysMoreThanWasDeposited() public {
        fundPortal();
        Portal.Withdrawal[] memory ws = new Portal.Withdrawal[](2);
        ws[0] = ethWithdrawal(0, bob, 6 ether);
        ws[1] = ethWithdrawal(1, bob, 6 ether);
        uint256 p = proposeWithdrawals(ws);
        passWindow();
        portal.finalizeWithdrawal(p, ws[0], ACCOUNTS_ROOT, proofOf(ws, 0));
        vm.expectRevert(abi.encodeWithSelector(Portal.WithdrawalExceedsDeposits.selector, address(0), 6 ether, 4 ether));
        portal.finalizeWithdrawal(p, ws[1], ACCOUNTS_ROOT, proofOf(ws, 1));
    }

    function test_finalizeWithdrawalRevertsWhenTheRecipientRefusesETH() public {
        fundPortal();
        EthRejecter rejecter = new EthRejecter();
        (uint256 p, Portal.Withdrawal[] memory ws) = finalizedWithdrawals(address(rejecter));
        vm.expectRevert(abi.encodeWithSelector(Portal.EthTransferFailed.selector, address(rejecter), 2 ether));
        portal.finalizeWithdrawal(p, ws[2], ACCOUNTS_ROOT, proofOf(ws, 2));
        assertFalse(portal.isWithdrawalFinalized(withdrawalHash(ws[2])), "still claimable later");
    }

    function test_finalizeWithdrawalCannotBeReentered() public {
        fundPortal();
        ReentrantRecipient attacker = new ReentrantRecipient();
        (uint256 p, Portal.Withdrawal[] memory ws) = finalizedWithdrawals(address(attacker));
        attacker.arm(portal, p, ws[0], ACCOUNTS_ROOT, proofOf(ws, 0));
        portal.finalizeWithdrawal(p, ws[2], ACCOUNTS_ROOT, proofOf(ws, 2));
        assertEq(address(attacker).balance, 2 ether, "outer withdrawal paid");
        assertEq(
            keccak256(attacker.reentryError()),
            keccak256(abi.encodeWithSelector(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector)),
            "nested call stopped by the guard"
        );
        assertFalse(portal.isWithdrawalFinalized(withdrawalHash(ws[0])), "nested withdrawal not paid");
        assertTrue(portal.isWithdrawalFinalized(withdrawalHash(ws[2])));
    }
}
