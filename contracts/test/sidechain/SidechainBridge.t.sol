// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {SidechainBridge} from "../../src/sidechain/SidechainBridge.sol";
import {StakeManager} from "../../src/sidechain/StakeManager.sol";
import {
    BridgeFixture,
    FeeOnTransferToken,
    GasBurnerRecipient,
    HollowToken,
    ReentrantRecipient,
    ToggleRecipient,
    WithdrawalTree
} from "./SidechainBridgeFixture.sol";

// forge-lint: disable-start(unsafe-typecast) test values are small

/// @notice Unit tests of every path and every error of the SidechainBridge, with a real StakeManager whose four
///         validators (equal stakes) sign with known keys.
contract SidechainBridgeTest is BridgeFixture {
    function setUp() public override {
        super.setUp();
        stakeValidators(4, 10 ether);
    }

    /// @dev Everything a refused call must leave unchanged.
    function fingerprint() internal view returns (bytes32) {
        return keccak256(
            abi.encode(
                bridge.checkpointCount(),
                bridge.nextStartBlock(),
                bridge.depositCount(),
                bridge.totalCredits(),
                bridge.deposited(ETH),
                bridge.paid(ETH),
                bridge.deposited(address(token)),
                bridge.paid(address(token)),
                address(bridge).balance,
                token.balanceOf(address(bridge))
            )
        );
    }

    function expectSubmitRefused(SidechainBridge.Checkpoint memory cp, bytes memory sigs, bytes memory err) internal {
        bytes32 before = fingerprint();
        vm.expectRevert(err);
        bridge.submitCheckpoint(cp, sigs);
        assertEq(fingerprint(), before, "refused submission changed state");
    }

    function expectFinalizeRefused(
        SidechainBridge.Withdrawal memory w,
        uint256 number,
        uint256 index,
        bytes32[] memory proof,
        bytes memory err
    ) internal {
        bytes32 before = fingerprint();
        bool wasFinalized = bridge.isFinalized(leafOf(w));
        vm.expectRevert(err);
        bridge.finalizeWithdrawal(w, number, index, proof);
        assertEq(fingerprint(), before, "refused finalization changed state");
        assertEq(bridge.isFinalized(leafOf(w)), wasFinalized);
    }

    // ------------------------------------------------------------------------------------------ constructor

    function test_constructor() public view {
        assertEq(address(bridge.stakeManager()), address(sm));
        assertEq(uint256(bridge.checkpointCount()), 0);
        assertEq(uint256(bridge.nextStartBlock()), 1);
        assertEq(bridge.depositCount(), 0);
        assertEq(bridge.domainSeparator(), domainSeparatorOf(address(bridge)));
        assertEq(bridge.CHECKPOINT_TYPEHASH(), CHECKPOINT_TYPEHASH);
        assertEq(bridge.WITHDRAWALS_DEPTH(), 16);
        assertEq(bridge.MAX_WITHDRAWALS_PER_CHECKPOINT(), 65_536);
    }

    // --------------------------------------------------------------------------------------------- deposits

    function test_depositETH() public {
        vm.deal(alice, 5 ether);
        vm.expectEmit(address(bridge));
        emit Deposited(0, alice, bob, ETH, 2 ether);
        vm.prank(alice);
        assertEq(bridge.depositETH{value: 2 ether}(bob), 0);
        vm.prank(alice);
        assertEq(bridge.depositETH{value: 1}(alice), 1);
        assertEq(bridge.deposited(ETH), 2 ether + 1);
        assertEq(bridge.depositCount(), 2);
        assertEq(address(bridge).balance, 2 ether + 1);
    }

    function test_depositETH_refusals() public {
        vm.deal(alice, 1 ether);
        vm.startPrank(alice);
        vm.expectRevert(SidechainBridge.ZeroAmount.selector);
        bridge.depositETH{value: 0}(bob);
        vm.expectRevert(SidechainBridge.ZeroAddress.selector);
        bridge.depositETH{value: 1}(address(0));
        vm.stopPrank();
        assertEq(bridge.depositCount(), 0);
        assertEq(bridge.deposited(ETH), 0);
    }

    function test_plainEthRefused() public {
        vm.deal(alice, 1 ether);
        vm.prank(alice);
        (bool ok,) = address(bridge).call{value: 1}("");
        assertFalse(ok, "ETH enters through depositETH only");
    }

    function test_depositERC20_sharesCounterWithEth() public {
        depositEth(alice, 1 ether); // id 0
        vm.expectEmit(address(bridge));
        emit Deposited(1, alice, bob, address(token), 7 ether);
        vm.prank(alice);
        assertEq(bridge.depositERC20(address(token), bob, 7 ether), 1);
        assertEq(token.balanceOf(address(bridge)), 7 ether);
        assertEq(bridge.deposited(address(token)), 7 ether);
        assertEq(bridge.depositCount(), 2);
    }

    function test_depositERC20_refusals() public {
        vm.startPrank(alice);
        vm.expectRevert(SidechainBridge.ZeroAmount.selector);
        bridge.depositERC20(address(token), bob, 0);
        vm.expectRevert(SidechainBridge.ZeroAddress.selector);
        bridge.depositERC20(address(0), bob, 1);
        vm.expectRevert(SidechainBridge.ZeroAddress.selector);
        bridge.depositERC20(address(token), address(0), 1);
        vm.stopPrank();
        address carol = makeAddr("carol"); // holds nothing, approved nothing
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(bridge), 0, 1));
        bridge.depositERC20(address(token), carol, 1);
        // a "token" without code
        vm.prank(alice);
        vm.expectRevert();
        bridge.depositERC20(makeAddr("no code"), bob, 1);
        assertEq(bridge.depositCount(), 0);
    }

    function test_depositERC20_creditsWhatArrived() public {
        FeeOnTransferToken fee = new FeeOnTransferToken();
        fee.approve(address(bridge), type(uint256).max);
        vm.expectEmit(address(bridge));
        emit Deposited(0, address(this), bob, address(fee), 99);
        bridge.depositERC20(address(fee), bob, 100);
        assertEq(bridge.deposited(address(fee)), 99);
        HollowToken hollow = new HollowToken();
        vm.expectRevert(SidechainBridge.ZeroAmount.selector);
        bridge.depositERC20(address(hollow), bob, 100);
    }

    // ------------------------------------------------------------------------------------------ checkpoints

    function test_hashCheckpoint_matchesSpec() public view {
        SidechainBridge.Checkpoint memory cp = SidechainBridge.Checkpoint({
            number: 3,
            startBlock: 10,
            endBlock: 20,
            blocksRoot: bytes32(uint256(1)),
            stateRoot: bytes32(uint256(2)),
            withdrawalsRoot: bytes32(uint256(3)),
            withdrawalCount: 4
        });
        assertEq(bridge.hashCheckpoint(cp), digestOf(address(bridge), cp));
    }

    function test_submit_threeOfFour() public {
        bytes32[] memory leaves = new bytes32[](3);
        leaves[0] = keccak256("a");
        leaves[1] = keccak256("b");
        leaves[2] = keccak256("c");
        SidechainBridge.Checkpoint memory cp = nextCheckpoint(leaves);
        cp.endBlock = 5;
        bytes memory sigs = signCheckpoint(cp, firstKeys(3));
        address submitter = makeAddr("anyone");
        vm.expectEmit(address(bridge));
        emit CheckpointSubmitted(0, 1, 5, cp.blocksRoot, cp.stateRoot, cp.withdrawalsRoot, 3, submitter);
        vm.prank(submitter);
        bridge.submitCheckpoint(cp, sigs);
        assertEq(uint256(bridge.checkpointCount()), 1);
        assertEq(uint256(bridge.nextStartBlock()), 6);
        (bytes32 root, uint32 count) = bridge.checkpointRoot(0);
        assertEq(root, WithdrawalTree.root(leaves));
        assertEq(uint256(count), 3);
    }

    function test_submit_allFourAndSequence() public {
        for (uint256 i = 0; i < 10; i++) {
            bytes32[] memory leaves = new bytes32[](i);
            for (uint256 j = 0; j < i; j++) {
                leaves[j] = keccak256(abi.encode(i, j));
            }
            assertEq(submitWith(leaves, firstKeys(4)), i);
        }
        assertEq(uint256(bridge.checkpointCount()), 10);
        assertEq(uint256(bridge.nextStartBlock()), 11);
        for (uint256 i = 0; i < 10; i++) {
            (bytes32 root, uint32 count) = bridge.checkpointRoot(i);
            assertEq(uint256(count), i, "counts packed eight per word");
            if (i == 0) assertEq(root, bytes32(0), "a checkpoint without withdrawals stores nothing");
            else assertTrue(root != bytes32(0));
        }
        vm.expectRevert(abi.encodeWithSelector(SidechainBridge.UnknownCheckpoint.selector, 10, 10));
        bridge.checkpointRoot(10);
    }

    function test_submit_maxWithdrawalCount() public {
        SidechainBridge.Checkpoint memory cp = nextCheckpoint(new bytes32[](0));
        cp.withdrawalCount = 65_536;
        cp.withdrawalsRoot = keccak256("full tree");
        bridge.submitCheckpoint(cp, signCheckpoint(cp, firstKeys(3)));
        (bytes32 root, uint32 count) = bridge.checkpointRoot(0);
        assertEq(uint256(count), 65_536);
        assertEq(root, cp.withdrawalsRoot);
        cp = nextCheckpoint(new bytes32[](0));
        cp.withdrawalCount = 65_537;
        expectSubmitRefused(
            cp,
            signCheckpoint(cp, firstKeys(4)),
            abi.encodeWithSelector(SidechainBridge.TooManyWithdrawals.selector, 65_537)
        );
        cp.withdrawalCount = type(uint32).max;
        expectSubmitRefused(
            cp,
            signCheckpoint(cp, firstKeys(4)),
            abi.encodeWithSelector(SidechainBridge.TooManyWithdrawals.selector, type(uint32).max)
        );
    }

    function test_submit_refusesWrongNumber() public {
        SidechainBridge.Checkpoint memory cp = nextCheckpoint(new bytes32[](0));
        cp.number = 1;
        expectSubmitRefused(
            cp,
            signCheckpoint(cp, firstKeys(4)),
            abi.encodeWithSelector(SidechainBridge.WrongCheckpointNumber.selector, 0, 1)
        );
        submitWith(new bytes32[](0), firstKeys(4));
        // replaying checkpoint 0
        cp = nextCheckpoint(new bytes32[](0));
        cp.number = 0;
        cp.startBlock = 1;
        cp.endBlock = 1;
        expectSubmitRefused(
            cp,
            signCheckpoint(cp, firstKeys(4)),
            abi.encodeWithSelector(SidechainBridge.WrongCheckpointNumber.selector, 1, 0)
        );
    }

    function test_submit_refusesWrongStart() public {
        SidechainBridge.Checkpoint memory cp = nextCheckpoint(new bytes32[](0));
        cp.startBlock = 0;
        expectSubmitRefused(
            cp, signCheckpoint(cp, firstKeys(4)), abi.encodeWithSelector(SidechainBridge.WrongStartBlock.selector, 1, 0)
        );
        cp.startBlock = 2;
        cp.endBlock = 3;
        expectSubmitRefused(
            cp, signCheckpoint(cp, firstKeys(4)), abi.encodeWithSelector(SidechainBridge.WrongStartBlock.selector, 1, 2)
        );
        submitWith(new bytes32[](0), firstKeys(4)); // blocks 1..1
        cp = nextCheckpoint(new bytes32[](0));
        cp.startBlock = 1; // overlapping
        expectSubmitRefused(
            cp, signCheckpoint(cp, firstKeys(4)), abi.encodeWithSelector(SidechainBridge.WrongStartBlock.selector, 2, 1)
        );
    }

    function test_submit_refusesEmptyRangeAndMaxEnd() public {
        SidechainBridge.Checkpoint memory cp = nextCheckpoint(new bytes32[](0));
        cp.endBlock = 0;
        expectSubmitRefused(
            cp, signCheckpoint(cp, firstKeys(4)), abi.encodeWithSelector(SidechainBridge.EmptyBlockRange.selector, 1, 0)
        );
        cp.endBlock = type(uint64).max;
        expectSubmitRefused(
            cp,
            signCheckpoint(cp, firstKeys(4)),
            abi.encodeWithSelector(SidechainBridge.EndBlockTooLarge.selector, type(uint64).max)
        );
        cp.endBlock = type(uint64).max - 1; // the largest accepted end
        bridge.submitCheckpoint(cp, signCheckpoint(cp, firstKeys(3)));
        assertEq(uint256(bridge.nextStartBlock()), type(uint64).max);
    }

    function test_submit_refusesSignatureLength() public {
        SidechainBridge.Checkpoint memory cp = nextCheckpoint(new bytes32[](0));
        bytes memory sigs = signCheckpoint(cp, firstKeys(3));
        bytes memory shorter = new bytes(sigs.length - 1);
        for (uint256 i = 0; i < shorter.length; i++) {
            shorter[i] = sigs[i];
        }
        expectSubmitRefused(
            cp, shorter, abi.encodeWithSelector(SidechainBridge.SignaturesLength.selector, sigs.length - 1)
        );
        expectSubmitRefused(
            cp,
            bytes.concat(sigs, hex"00"),
            abi.encodeWithSelector(SidechainBridge.SignaturesLength.selector, sigs.length + 1)
        );
        expectSubmitRefused(cp, new bytes(64), abi.encodeWithSelector(SidechainBridge.SignaturesLength.selector, 64));
    }

    function test_submit_refusesNoSignatures() public {
        SidechainBridge.Checkpoint memory cp = nextCheckpoint(new bytes32[](0));
        expectSubmitRefused(
            cp, "", abi.encodeWithSelector(SidechainBridge.InsufficientPower.selector, 0, 26_666_666_666_666_666_667)
        );
    }

    /// @dev Replaces signature `index` of `sigs` with `replacement` (65 bytes).
    function replaced(bytes memory sigs, uint256 index, bytes memory replacement) internal pure returns (bytes memory) {
        bytes memory out = bytes.concat(sigs);
        for (uint256 i = 0; i < 65; i++) {
            out[index * 65 + i] = replacement[i];
        }
        return out;
    }

    function test_submit_refusesBadSignatures() public {
        SidechainBridge.Checkpoint memory cp = nextCheckpoint(new bytes32[](0));
        uint256[] memory keys = sortedByAddress(firstKeys(3));
        bytes32 digest = digestOf(address(bridge), cp);
        bytes memory sigs = packSigs(keys, digest);
        // high s (the malleable twin of a valid signature)
        bytes memory s1 = sig(keys[1], digest);
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly ("memory-safe") {
            r := mload(add(s1, 0x20))
            s := mload(add(s1, 0x40))
            v := byte(0, mload(add(s1, 0x60)))
        }
        bytes memory twin = abi.encodePacked(r, bytes32(N - uint256(s)), v == 27 ? uint8(28) : uint8(27));
        expectSubmitRefused(
            cp, replaced(sigs, 1, twin), abi.encodeWithSelector(SidechainBridge.BadSignature.selector, 1)
        );
        // v outside {27, 28}
        expectSubmitRefused(
            cp,
            replaced(sigs, 2, abi.encodePacked(r, s, uint8(29))),
            abi.encodeWithSelector(SidechainBridge.BadSignature.selector, 2)
        );
        expectSubmitRefused(
            cp,
            replaced(sigs, 0, abi.encodePacked(r, s, uint8(0))),
            abi.encodeWithSelector(SidechainBridge.BadSignature.selector, 0)
        );
        // all zero
        expectSubmitRefused(
            cp, replaced(sigs, 0, new bytes(65)), abi.encodeWithSelector(SidechainBridge.BadSignature.selector, 0)
        );
    }

    function test_submit_refusesUnsortedAndDuplicateSigners() public {
        SidechainBridge.Checkpoint memory cp = nextCheckpoint(new bytes32[](0));
        uint256[] memory keys = sortedByAddress(firstKeys(3));
        bytes32 digest = digestOf(address(bridge), cp);
        uint256[] memory swapped = new uint256[](3);
        (swapped[0], swapped[1], swapped[2]) = (keys[1], keys[0], keys[2]);
        expectSubmitRefused(
            cp, packSigs(swapped, digest), abi.encodeWithSelector(SidechainBridge.SignersNotAscending.selector, 1)
        );
        // the same signer twice (it would reach the quorum: 2 × 10 + 10 ether of 40)
        uint256[] memory dup = new uint256[](3);
        (dup[0], dup[1], dup[2]) = (keys[0], keys[1], keys[1]);
        expectSubmitRefused(
            cp, packSigs(dup, digest), abi.encodeWithSelector(SidechainBridge.SignersNotAscending.selector, 2)
        );
    }

    function test_submit_refusesNonValidators() public {
        SidechainBridge.Checkpoint memory cp = nextCheckpoint(new bytes32[](0));
        uint256 outsider = 0xBAD;
        uint256[] memory keys = new uint256[](4);
        (keys[0], keys[1], keys[2], keys[3]) = (validatorKeys[0], validatorKeys[1], validatorKeys[2], outsider);
        expectSubmitRefused(
            cp,
            signCheckpoint(cp, keys),
            abi.encodeWithSelector(SidechainBridge.NotValidator.selector, vm.addr(outsider))
        );
        // signed for another bridge (or another chain): recovers to some other address, not a validator
        SidechainBridge other = new SidechainBridge(sm);
        bytes memory foreign = packSigs(sortedByAddress(firstKeys(1)), digestOf(address(other), cp));
        vm.expectPartialRevert(SidechainBridge.NotValidator.selector);
        bridge.submitCheckpoint(cp, foreign);
        // a tampered checkpoint: the signatures no longer recover to the validators
        bytes memory sigs = signCheckpoint(cp, firstKeys(1));
        cp.stateRoot = keccak256("another state");
        vm.expectPartialRevert(SidechainBridge.NotValidator.selector);
        bridge.submitCheckpoint(cp, sigs);
    }

    function test_submit_usesTheCurrentSet() public {
        SidechainBridge.Checkpoint memory cp = nextCheckpoint(new bytes32[](0));
        bytes memory sigs = signCheckpoint(cp, firstKeys(3));
        // validator 2 leaves: its signature no longer counts, even for a checkpoint it signed while active
        address leaving = vm.addr(validatorKeys[2]);
        vm.prank(leaving);
        sm.startUnbond();
        expectSubmitRefused(cp, sigs, abi.encodeWithSelector(SidechainBridge.NotValidator.selector, leaving));
        // the remaining three of total 30: 20 ether is not > ⅔; all three are
        uint256[] memory keys = new uint256[](2);
        (keys[0], keys[1]) = (validatorKeys[0], validatorKeys[1]);
        expectSubmitRefused(
            cp,
            signCheckpoint(cp, keys),
            abi.encodeWithSelector(SidechainBridge.InsufficientPower.selector, 20 ether, 20 ether + 1)
        );
        keys = new uint256[](3);
        (keys[0], keys[1], keys[2]) = (validatorKeys[0], validatorKeys[1], validatorKeys[3]);
        bridge.submitCheckpoint(cp, signCheckpoint(cp, keys));
        assertEq(uint256(bridge.checkpointCount()), 1);
    }

    function test_submit_minorityRefused() public {
        SidechainBridge.Checkpoint memory cp = nextCheckpoint(new bytes32[](0));
        uint256 needed = quorumOf(40 ether);
        expectSubmitRefused(
            cp,
            signCheckpoint(cp, firstKeys(2)),
            abi.encodeWithSelector(SidechainBridge.InsufficientPower.selector, 20 ether, needed)
        );
        expectSubmitRefused(
            cp,
            signCheckpoint(cp, firstKeys(1)),
            abi.encodeWithSelector(SidechainBridge.InsufficientPower.selector, 10 ether, needed)
        );
    }

    /// @dev The quorum is ⌊2·total/3⌋ + 1 exactly: one wei decides.
    function test_submit_quorumBoundaryByOneWei() public {
        StakeManager sm2 = new StakeManager(1, DELAY, 10);
        SidechainBridge b2 = new SidechainBridge(sm2);
        uint256 big = 0xB16;
        uint256 small = 0x5A11;
        // total = 3 ether + 1: quorum = ⌊(6 ether + 2)/3⌋ + 1 = 2 ether + 1
        address bigAddr = vm.addr(big);
        vm.deal(bigAddr, 2 ether);
        vm.prank(bigAddr);
        sm2.stake{value: 2 ether}();
        address smallAddr = vm.addr(small);
        vm.deal(smallAddr, 1 ether + 1);
        vm.prank(smallAddr);
        sm2.stake{value: 1 ether + 1}();
        SidechainBridge.Checkpoint memory cp = SidechainBridge.Checkpoint(0, 1, 1, 0, 0, 0, 0);
        bytes32 digest = digestOf(address(b2), cp);
        vm.expectRevert(abi.encodeWithSelector(SidechainBridge.InsufficientPower.selector, 2 ether, 2 ether + 1));
        b2.submitCheckpoint(cp, sig(big, digest));
        // one more wei of stake for the big validator: total 3 ether + 2, quorum ⌊(6 ether + 4)/3⌋ + 1 = 2 ether + 2
        vm.deal(bigAddr, 1);
        vm.prank(bigAddr);
        sm2.stake{value: 1}();
        vm.expectRevert(abi.encodeWithSelector(SidechainBridge.InsufficientPower.selector, 2 ether + 1, 2 ether + 2));
        b2.submitCheckpoint(cp, sig(big, digest));
        vm.deal(bigAddr, 1);
        vm.prank(bigAddr);
        sm2.stake{value: 1}(); // 2 ether + 2 of 3 ether + 3: quorum 2 ether + 3
        vm.expectRevert(abi.encodeWithSelector(SidechainBridge.InsufficientPower.selector, 2 ether + 2, 2 ether + 3));
        b2.submitCheckpoint(cp, sig(big, digest));
        vm.deal(bigAddr, 2);
        vm.prank(bigAddr);
        sm2.stake{value: 2}(); // 2 ether + 4 of 3 ether + 5: quorum ⌊(6 ether + 10)/3⌋ + 1 = 2 ether + 4
        b2.submitCheckpoint(cp, sig(big, digest));
        assertEq(uint256(b2.checkpointCount()), 1);
    }

    function test_submit_noValidatorsAtAll() public {
        StakeManager empty = new StakeManager(1, DELAY, 10);
        SidechainBridge b2 = new SidechainBridge(empty);
        SidechainBridge.Checkpoint memory cp = SidechainBridge.Checkpoint(0, 1, 1, 0, 0, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(SidechainBridge.InsufficientPower.selector, 0, 1));
        b2.submitCheckpoint(cp, "");
        uint256 pk = 0x1234;
        vm.expectRevert(abi.encodeWithSelector(SidechainBridge.NotValidator.selector, vm.addr(pk)));
        b2.submitCheckpoint(cp, sig(pk, digestOf(address(b2), cp)));
    }

    // ------------------------------------------------------------------------------------------ withdrawals

    function test_finalize_eth() public {
        depositEth(bob, 5 ether);
        SidechainBridge.Withdrawal memory w = withdrawal(0, bob, ETH, 2 ether);
        bytes32[] memory leaves = leavesOf(one(w));
        uint256 number = submitWith(leaves, firstKeys(3));
        assertEq(bridge.withdrawalLeaf(w), leafOf(w));
        uint256 balanceBefore = bob.balance;
        vm.expectEmit(address(bridge));
        emit WithdrawalFinalized(0, bob, ETH, 2 ether, number);
        vm.prank(makeAddr("relayer"));
        bridge.finalizeWithdrawal(w, number, 0, WithdrawalTree.proof(leaves, 0));
        assertEq(bob.balance, balanceBefore + 2 ether);
        assertEq(bridge.paid(ETH), 2 ether);
        assertTrue(bridge.isFinalized(leafOf(w)));
        assertEq(address(bridge).balance, 3 ether);
        // replay
        expectFinalizeRefused(
            w,
            number,
            0,
            WithdrawalTree.proof(leaves, 0),
            abi.encodeWithSelector(SidechainBridge.AlreadyFinalized.selector, leafOf(w))
        );
    }

    function test_finalize_erc20() public {
        vm.prank(alice);
        bridge.depositERC20(address(token), alice, 10 ether);
        SidechainBridge.Withdrawal[] memory ws = new SidechainBridge.Withdrawal[](3);
        ws[0] = withdrawal(0, bob, address(token), 1 ether);
        ws[1] = withdrawal(1, bob, ETH, 1); // unfunded ETH withdrawal in the same tree
        ws[2] = withdrawal(2, alice, address(token), 4 ether);
        bytes32[] memory leaves = leavesOf(ws);
        uint256 number = submitWith(leaves, firstKeys(4));
        uint256 bobBefore = token.balanceOf(bob);
        vm.expectEmit(address(bridge));
        emit WithdrawalFinalized(2, alice, address(token), 4 ether, number);
        bridge.finalizeWithdrawal(ws[2], number, 2, WithdrawalTree.proof(leaves, 2));
        bridge.finalizeWithdrawal(ws[0], number, 0, WithdrawalTree.proof(leaves, 0));
        assertEq(token.balanceOf(bob), bobBefore + 1 ether);
        assertEq(token.balanceOf(address(bridge)), 5 ether);
        assertEq(bridge.paid(address(token)), 5 ether);
        expectFinalizeRefused(
            ws[1],
            number,
            1,
            WithdrawalTree.proof(leaves, 1),
            abi.encodeWithSelector(SidechainBridge.Insolvent.selector, ETH, 1, 0)
        );
    }

    function test_finalize_acrossCheckpoints() public {
        depositEth(alice, 10 ether);
        bytes32[][] memory trees = new bytes32[][](3);
        SidechainBridge.Withdrawal[][] memory all = new SidechainBridge.Withdrawal[][](3);
        uint256 id;
        for (uint256 c = 0; c < 3; c++) {
            all[c] = new SidechainBridge.Withdrawal[](c + 1);
            for (uint256 j = 0; j <= c; j++) {
                all[c][j] = withdrawal(id++, bob, ETH, 0.1 ether);
            }
            trees[c] = leavesOf(all[c]);
            submitWith(trees[c], firstKeys(3));
        }
        // a leaf of checkpoint 2 proven against checkpoint 1 fails
        expectFinalizeRefused(
            all[2][1],
            1,
            1,
            WithdrawalTree.proof(trees[2], 1),
            abi.encodeWithSelector(
                SidechainBridge.InvalidProof.selector, WithdrawalTree.root(trees[2]), WithdrawalTree.root(trees[1])
            )
        );
        for (uint256 c = 0; c < 3; c++) {
            for (uint256 j = 0; j <= c; j++) {
                bridge.finalizeWithdrawal(all[c][j], c, j, WithdrawalTree.proof(trees[c], j));
            }
        }
        assertEq(bridge.paid(ETH), 0.6 ether);
    }

    function test_finalize_refusals() public {
        depositEth(alice, 10 ether);
        SidechainBridge.Withdrawal[] memory ws = new SidechainBridge.Withdrawal[](2);
        ws[0] = withdrawal(0, bob, ETH, 1 ether);
        ws[1] = withdrawal(1, alice, ETH, 2 ether);
        bytes32[] memory leaves = leavesOf(ws);
        bytes32[] memory proof0 = WithdrawalTree.proof(leaves, 0);
        expectFinalizeRefused(
            ws[0], 0, 0, proof0, abi.encodeWithSelector(SidechainBridge.UnknownCheckpoint.selector, 0, 0)
        );
        submitWith(leaves, firstKeys(3));
        submitWith(new bytes32[](0), firstKeys(3)); // checkpoint 1: no withdrawals
        expectFinalizeRefused(
            ws[0], 2, 0, proof0, abi.encodeWithSelector(SidechainBridge.UnknownCheckpoint.selector, 2, 2)
        );
        expectFinalizeRefused(
            ws[0], 1, 0, proof0, abi.encodeWithSelector(SidechainBridge.WithdrawalIndexOutOfRange.selector, 0, 0)
        );
        // proof length
        bytes32[] memory short = new bytes32[](15);
        bytes32[] memory long = new bytes32[](17);
        for (uint256 i = 0; i < 15; i++) {
            short[i] = proof0[i];
            long[i] = proof0[i];
        }
        long[15] = proof0[15];
        expectFinalizeRefused(ws[0], 0, 0, short, abi.encodeWithSelector(SidechainBridge.BadProofLength.selector, 15));
        expectFinalizeRefused(ws[0], 0, 0, long, abi.encodeWithSelector(SidechainBridge.BadProofLength.selector, 17));
        expectFinalizeRefused(
            ws[0], 0, 0, new bytes32[](0), abi.encodeWithSelector(SidechainBridge.BadProofLength.selector, 0)
        );
        // index beyond the count (the empty leaves above it)
        expectFinalizeRefused(
            ws[0], 0, 2, proof0, abi.encodeWithSelector(SidechainBridge.WithdrawalIndexOutOfRange.selector, 2, 2)
        );
        expectFinalizeRefused(
            ws[0],
            0,
            type(uint256).max,
            proof0,
            abi.encodeWithSelector(SidechainBridge.WithdrawalIndexOutOfRange.selector, type(uint256).max, 2)
        );
        bytes32 root = WithdrawalTree.root(leaves);
        // wrong index
        vm.expectPartialRevert(SidechainBridge.InvalidProof.selector);
        bridge.finalizeWithdrawal(ws[0], 0, 1, proof0);
        // wrong sibling
        bytes32[] memory bad = WithdrawalTree.proof(leaves, 0);
        bad[7] = keccak256("x");
        vm.expectPartialRevert(SidechainBridge.InvalidProof.selector);
        bridge.finalizeWithdrawal(ws[0], 0, 0, bad);
        // a tampered withdrawal: more, to someone else, another token
        SidechainBridge.Withdrawal memory t = withdrawal(0, bob, ETH, 10 ether);
        vm.expectPartialRevert(SidechainBridge.InvalidProof.selector);
        bridge.finalizeWithdrawal(t, 0, 0, proof0);
        t = withdrawal(0, alice, ETH, 1 ether);
        vm.expectPartialRevert(SidechainBridge.InvalidProof.selector);
        bridge.finalizeWithdrawal(t, 0, 0, proof0);
        t = withdrawal(0, bob, address(token), 1 ether);
        vm.expectPartialRevert(SidechainBridge.InvalidProof.selector);
        bridge.finalizeWithdrawal(t, 0, 0, proof0);
        // the exact error carries both roots
        expectFinalizeRefused(
            withdrawal(0, bob, ETH, 1 ether + 1),
            0,
            0,
            proof0,
            abi.encodeWithSelector(
                SidechainBridge.InvalidProof.selector,
                _rootOf(leafOf(withdrawal(0, bob, ETH, 1 ether + 1)), 0, proof0),
                root
            )
        );
        // both valid ones still pay
        bridge.finalizeWithdrawal(ws[0], 0, 0, proof0);
        bridge.finalizeWithdrawal(ws[1], 0, 1, WithdrawalTree.proof(leaves, 1));
        assertEq(bridge.paid(ETH), 3 ether);
    }

    function _rootOf(bytes32 leaf, uint256 index, bytes32[] memory proof) internal pure returns (bytes32 node) {
        node = leaf;
        for (uint256 i = 0; i < proof.length; i++) {
            node = (index >> i) & 1 == 1
                ? keccak256(abi.encodePacked(proof[i], node))
                : keccak256(abi.encodePacked(node, proof[i]));
        }
    }

    function test_finalize_refusesZeroLeaves() public {
        depositEth(alice, 1 ether);
        SidechainBridge.Withdrawal[] memory ws = new SidechainBridge.Withdrawal[](2);
        ws[0] = withdrawal(0, bob, ETH, 0);
        ws[1] = withdrawal(1, address(0), ETH, 1);
        bytes32[] memory leaves = leavesOf(ws);
        submitWith(leaves, firstKeys(3));
        expectFinalizeRefused(
            ws[0], 0, 0, WithdrawalTree.proof(leaves, 0), abi.encodeWithSelector(SidechainBridge.ZeroAmount.selector)
        );
        expectFinalizeRefused(
            ws[1], 0, 1, WithdrawalTree.proof(leaves, 1), abi.encodeWithSelector(SidechainBridge.ZeroAddress.selector)
        );
    }

    function test_finalize_insolventNeverPaysBeyondDeposits() public {
        depositEth(alice, 1 ether);
        vm.prank(alice);
        bridge.depositERC20(address(token), alice, 3 ether);
        SidechainBridge.Withdrawal[] memory ws = new SidechainBridge.Withdrawal[](4);
        ws[0] = withdrawal(0, bob, ETH, 0.6 ether);
        ws[1] = withdrawal(1, bob, ETH, 0.6 ether);
        ws[2] = withdrawal(2, bob, address(token), 3 ether + 1);
        ws[3] = withdrawal(3, bob, address(token), 3 ether);
        bytes32[] memory leaves = leavesOf(ws);
        submitWith(leaves, firstKeys(4));
        bridge.finalizeWithdrawal(ws[0], 0, 0, WithdrawalTree.proof(leaves, 0));
        expectFinalizeRefused(
            ws[1],
            0,
            1,
            WithdrawalTree.proof(leaves, 1),
            abi.encodeWithSelector(SidechainBridge.Insolvent.selector, ETH, 0.6 ether, 0.4 ether)
        );
        expectFinalizeRefused(
            ws[2],
            0,
            2,
            WithdrawalTree.proof(leaves, 2),
            abi.encodeWithSelector(SidechainBridge.Insolvent.selector, address(token), 3 ether + 1, 3 ether)
        );
        // force-sent ETH does not count as deposited
        vm.deal(address(bridge), 100 ether);
        expectFinalizeRefused(
            ws[1],
            0,
            1,
            WithdrawalTree.proof(leaves, 1),
            abi.encodeWithSelector(SidechainBridge.Insolvent.selector, ETH, 0.6 ether, 0.4 ether)
        );
        // a later deposit makes it payable
        depositEth(alice, 0.2 ether);
        bridge.finalizeWithdrawal(ws[1], 0, 1, WithdrawalTree.proof(leaves, 1));
        bridge.finalizeWithdrawal(ws[3], 0, 3, WithdrawalTree.proof(leaves, 3));
        assertEq(bridge.paid(ETH), bridge.deposited(ETH));
        assertEq(bridge.paid(address(token)), bridge.deposited(address(token)));
    }

    function test_finalize_creditsRefusingRecipientThenClaim() public {
        ToggleRecipient r = new ToggleRecipient();
        depositEth(alice, 5 ether);
        SidechainBridge.Withdrawal memory w = withdrawal(0, address(r), ETH, 1 ether);
        bytes32[] memory leaves = leavesOf(one(w));
        submitWith(leaves, firstKeys(3));
        vm.expectEmit(address(bridge));
        emit WithdrawalCredited(address(r), 1 ether);
        bridge.finalizeWithdrawal(w, 0, 0, WithdrawalTree.proof(leaves, 0));
        assertEq(bridge.credits(address(r)), 1 ether);
        assertEq(bridge.totalCredits(), 1 ether);
        assertEq(bridge.paid(ETH), 1 ether);
        assertTrue(bridge.isFinalized(leafOf(w)));
        // still refusing: the claim reverts and keeps the credit
        vm.expectRevert(abi.encodeWithSelector(SidechainBridge.EthTransferFailed.selector, address(r), 1 ether));
        r.claim(bridge);
        assertEq(bridge.credits(address(r)), 1 ether);
        r.setAccept(true);
        vm.expectEmit(address(bridge));
        emit Claimed(address(r), 1 ether);
        r.claim(bridge);
        assertEq(address(r).balance, 1 ether);
        assertEq(bridge.credits(address(r)), 0);
        assertEq(bridge.totalCredits(), 0);
        vm.expectRevert(abi.encodeWithSelector(SidechainBridge.NothingToClaim.selector, address(r)));
        r.claim(bridge);
    }

    function test_finalize_gasBurnerIsCreditedNotBlocking() public {
        GasBurnerRecipient g = new GasBurnerRecipient();
        depositEth(alice, 5 ether);
        SidechainBridge.Withdrawal memory w = withdrawal(0, address(g), ETH, 1 ether);
        bytes32[] memory leaves = leavesOf(one(w));
        submitWith(leaves, firstKeys(3));
        uint256 before = gasleft();
        bridge.finalizeWithdrawal(w, 0, 0, WithdrawalTree.proof(leaves, 0));
        assertLe(before - gasleft(), 200_000, "the push is capped");
        assertEq(bridge.credits(address(g)), 1 ether);
    }

    function test_finalize_reentryRefused() public {
        ReentrantRecipient r = new ReentrantRecipient(bridge);
        depositEth(alice, 5 ether);
        SidechainBridge.Withdrawal[] memory ws = new SidechainBridge.Withdrawal[](2);
        ws[0] = withdrawal(0, address(r), ETH, 1 ether);
        ws[1] = withdrawal(1, address(r), ETH, 1 ether);
        bytes32[] memory leaves = leavesOf(ws);
        submitWith(leaves, firstKeys(3));
        r.arm(abi.encodeCall(SidechainBridge.finalizeWithdrawal, (ws[1], 0, 1, WithdrawalTree.proof(leaves, 1))));
        bridge.finalizeWithdrawal(ws[0], 0, 0, WithdrawalTree.proof(leaves, 0));
        assertTrue(r.reentered());
        assertFalse(r.reentryOk(), "the nested finalization failed");
        assertEq(address(r).balance, 1 ether, "the outer payment went through");
        assertEq(bridge.credits(address(r)), 0);
        assertFalse(bridge.isFinalized(leafOf(ws[1])));
        assertEq(bridge.paid(ETH), 1 ether);
        // outside the payment, the second one goes through
        bridge.finalizeWithdrawal(ws[1], 0, 1, WithdrawalTree.proof(leaves, 1));
        assertEq(bridge.paid(ETH), 2 ether);
    }

    /// @dev With enough gas, the guard itself refuses a reentrant claim or finalization.
    function test_guard_refusesReentry() public {
        ReentrantClaimer c = new ReentrantClaimer(bridge);
        depositEth(alice, 5 ether);
        SidechainBridge.Withdrawal memory w = withdrawal(0, address(c), ETH, 1 ether);
        bytes32[] memory leaves = leavesOf(one(w));
        submitWith(leaves, firstKeys(3));
        bridge.finalizeWithdrawal(w, 0, 0, WithdrawalTree.proof(leaves, 0)); // refused by receive: credited
        assertEq(bridge.credits(address(c)), 1 ether);
        c.start();
        assertEq(c.reentryError(), ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
        assertEq(address(c).balance, 1 ether);
    }

    // ------------------------------------------------------------------------------------------------ vectors

    /// @notice Cross-check vector for the TypeScript `checkpointDigest` (src/sidechain/protocol/checkpoint.ts):
    ///         chainId 31337, bridge at 0x5aFE00000000000000000000000000000000C0De, Checkpoint(3, 101, 200, 0x11…11,
    ///         0x22…22, 0x33…33, 5) → 0xe4df6fb5…e606 (the value `checkpointDigest` returned when this was written).
    function test_vector_checkpointDigest() public {
        address fixed_ = 0x5aFE00000000000000000000000000000000C0De;
        vm.etch(fixed_, address(bridge).code); // OpenZeppelin's EIP712 rebuilds the separator for the new address
        assertEq(block.chainid, 31337);
        SidechainBridge.Checkpoint memory cp = SidechainBridge.Checkpoint({
            number: 3,
            startBlock: 101,
            endBlock: 200,
            blocksRoot: 0x1111111111111111111111111111111111111111111111111111111111111111,
            stateRoot: 0x2222222222222222222222222222222222222222222222222222222222222222,
            withdrawalsRoot: 0x3333333333333333333333333333333333333333333333333333333333333333,
            withdrawalCount: 5
        });
        bytes32 expected = 0xe4df6fb5febaa22c9f98f8e2d1bf1750dcffa86951b17acd86889953da45e606;
        assertEq(SidechainBridge(fixed_).hashCheckpoint(cp), expected, "contract");
        assertEq(digestOf(fixed_, cp), expected, "rebuilt from the spec");
        assertEq(SidechainBridge(fixed_).domainSeparator(), domainSeparatorOf(fixed_), "domain");
    }

    /// @notice Cross-check vector for the TypeScript `withdrawalLeaf` / `withdrawalsRoot`
    ///         (src/sidechain/protocol/block.ts): three withdrawals (ids 0..2, from 0xaa…aa, to 0xbb…bb, token 0 / 0xcc…cc
    ///         / 0, amounts 1, 2, 3 ether); the empty tree's root too. A proof built here pays against the TS root.
    function test_vector_withdrawalsTree() public {
        SidechainBridge.Withdrawal[] memory ws = new SidechainBridge.Withdrawal[](3);
        for (uint256 i = 0; i < 3; i++) {
            ws[i] = SidechainBridge.Withdrawal({
                id: i,
                from: address(0xaAaAaAaaAaAaAaaAaAAAAAAAAaaaAaAaAaaAaaAa),
                to: address(0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB),
                token: i == 1 ? address(0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC) : ETH,
                amount: (i + 1) * 1 ether
            });
        }
        bytes32[] memory leaves = leavesOf(ws);
        assertEq(leaves[1], 0xaed6100eac3e90cc9e701524b56347a25582cb12f8adface4ca63e84f1d7cede, "leaf");
        assertEq(bridge.withdrawalLeaf(ws[1]), leaves[1], "contract leaf");
        bytes32 root = 0x8e69cbeb349ecf810041aa80ac618a57b644798246be34d1dfceab6533866016;
        assertEq(WithdrawalTree.root(leaves), root, "root");
        assertEq(
            WithdrawalTree.root(new bytes32[](0)),
            0x2733e50f526ec2fa19a22b31e8ed50f23cd1fdf94c9154ed3a7609a2f1ff981f,
            "empty root"
        );
        depositEth(alice, 10 ether);
        SidechainBridge.Checkpoint memory cp = nextCheckpoint(leaves);
        assertEq(cp.withdrawalsRoot, root);
        bridge.submitCheckpoint(cp, signCheckpoint(cp, firstKeys(3)));
        bridge.finalizeWithdrawal(ws[2], 0, 2, WithdrawalTree.proof(leaves, 2));
        assertEq(address(0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB).balance, 3 ether);
    }

    // ------------------------------------------------------------------------------------ the trust model

    /// @dev A quorum of colluding validators (3 of 4) signs a checkpoint whose withdrawals tree holds a withdrawal
    ///      that never happened on the sidechain — and it is paid: the bridge trusts > ⅔ of the stake, nothing more.
    function test_trust_colludingQuorumDrainsTheBridge() public {
        depositEth(alice, 7 ether);
        depositEth(bob, 3 ether);
        address thief = makeAddr("thief");
        SidechainBridge.Withdrawal memory forged = SidechainBridge.Withdrawal({
            id: 424242, from: thief, to: thief, token: ETH, amount: address(bridge).balance
        });
        bytes32[] memory leaves = leavesOf(one(forged));
        submitWith(leaves, firstKeys(3));
        bridge.finalizeWithdrawal(forged, 0, 0, WithdrawalTree.proof(leaves, 0));
        assertEq(thief.balance, 10 ether);
        assertEq(address(bridge).balance, 0, "drained");
        // but never beyond what was deposited, even with every validator signing
        SidechainBridge.Withdrawal memory more =
            SidechainBridge.Withdrawal({id: 424243, from: thief, to: thief, token: ETH, amount: 1});
        leaves = leavesOf(one(more));
        submitWith(leaves, firstKeys(4));
        vm.expectRevert(abi.encodeWithSelector(SidechainBridge.Insolvent.selector, ETH, 1, 0));
        bridge.finalizeWithdrawal(more, 1, 0, WithdrawalTree.proof(leaves, 0));
    }

    /// @dev The same forgery signed by 2 of 4 (exactly half) or 1 of 4 is refused: no checkpoint, nothing to prove.
    function test_trust_minorityCannotForge() public {
        depositEth(alice, 10 ether);
        address thief = makeAddr("thief");
        SidechainBridge.Withdrawal memory forged =
            SidechainBridge.Withdrawal({id: 424242, from: thief, to: thief, token: ETH, amount: 10 ether});
        SidechainBridge.Checkpoint memory cp = nextCheckpoint(leavesOf(one(forged)));
        uint256 needed = quorumOf(40 ether);
        expectSubmitRefused(
            cp,
            signCheckpoint(cp, firstKeys(2)),
            abi.encodeWithSelector(SidechainBridge.InsufficientPower.selector, 20 ether, needed)
        );
        expectSubmitRefused(
            cp,
            signCheckpoint(cp, firstKeys(1)),
            abi.encodeWithSelector(SidechainBridge.InsufficientPower.selector, 10 ether, needed)
        );
        vm.expectRevert(abi.encodeWithSelector(SidechainBridge.UnknownCheckpoint.selector, 0, 0));
        bridge.finalizeWithdrawal(forged, 0, 0, WithdrawalTree.proof(leavesOf(one(forged)), 0));
        assertEq(address(bridge).balance, 10 ether);
    }
}

/// @notice Refuses ETH until `start`, then claims its credit and, while being paid, tries to claim again.
contract ReentrantClaimer {
    SidechainBridge internal bridge;
    bool internal claiming;
    bytes4 public reentryError;

    constructor(SidechainBridge bridge_) {
        bridge = bridge_;
    }

    function start() external {
        claiming = true;
        bridge.claim();
    }

    receive() external payable {
        require(claiming, "not yet");
        try bridge.claim() {
            reentryError = bytes4(0xffffffff);
        } catch (bytes memory err) {
            reentryError = bytes4(err);
        }
    }
}
