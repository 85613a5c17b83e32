// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {PlasmaFramework} from "../../src/plasma/PlasmaFramework.sol";
import {PlasmaWorld} from "./PlasmaFramework.t.sol";

// forge-lint: disable-start(unsafe-typecast) test values are small

/// @notice In-flight exits: start, the canonicity game, output-spent challenges, processing.
///         The transaction T: alice's 3 ETH (T1 output 1) and bob's 7 ETH (T1 output 0) → carol 10 ETH, signed by
///         alice and bob; not included unless a test includes it.
contract PlasmaInFlightTest is PlasmaWorld {
    function tTx() internal view returns (Tx memory) {
        return mkTx(ins2(t1Pos + 1, t1Pos), outs1(out(carol, ETH, 10 ether)));
    }

    function tBytes() internal view returns (bytes memory) {
        return enc(tTx());
    }

    function tSigs() internal view returns (bytes memory) {
        return sign2(tTx(), PK_A, PK_B);
    }

    /// @dev The input leaves for T: T1 twice.
    function startT(address starter) internal returns (uint256 exitId) {
        vm.deal(starter, starter.balance + IFE_BOND);
        vm.prank(starter);
        exitId = plasma.startInFlightExit{value: IFE_BOND}(
            tBytes(), tSigs(), two(t1Bytes, t1Bytes), two(t1Sigs, t1Sigs), two(proofAt(t1Pos), proofAt(t1Pos))
        );
    }

    /// @dev Bob's double spend of his T1 output (to himself).
    function competitor() internal view returns (Tx memory c) {
        c = mkTx(ins1(t1Pos), outs1(out(bob, ETH, 7 ether)));
    }

    function notIncluded(Tx memory c, bytes memory sigs) internal pure returns (PlasmaFramework.Inclusion memory) {
        return PlasmaFramework.Inclusion(abi.encode(c), sigs, 0, "");
    }

    function state()
        internal
        view
        returns (bool canonical, bool finalized, uint8 removedInputs, uint8 removedOutputs, uint256 oldest)
    {
        bytes32 h = keccak256(tBytes());
        (,, canonical, finalized,,, removedInputs, removedOutputs, oldest,) = plasma.getInFlightExit(h);
    }

    // ------------------------------------------------------------------------------------------- start

    function test_start_recordsAndQueues() public {
        bytes32 h = keccak256(tBytes());
        uint256 expectedId = (uint256(T0 + 2 * EP) << 192) | ((t1Pos + 1) << 64) | 0;
        vm.expectEmit(address(plasma));
        emit InFlightExitStarted(expectedId, carol, h, t1Pos + 1, uint64(T0 + 2 * EP));
        uint256 exitId = startT(carol);
        assertEq(exitId, expectedId, "priority key: youngest input's position");
        (
            address starter,
            uint64 exitableAt,
            bool canonical,
            bool finalized,
            uint8 nIn,
            uint8 nOut,
            uint8 removedIn,
            uint8 removedOut,
            uint256 oldest,
            uint256 responded
        ) = plasma.getInFlightExit(h);
        assertEq(starter, carol);
        assertEq(uint256(exitableAt), T0 + 2 * EP);
        assertTrue(canonical);
        assertFalse(finalized);
        assertEq(uint256(nIn), 2);
        assertEq(uint256(nOut), 1);
        assertEq(uint256(removedIn) + removedOut + oldest + responded, 0);
        assertEq(plasma.exitOf(exitId), h);
        assertEq(exitOwner(exitId), address(0), "not a standard exit");
    }

    function test_start_reverts() public {
        bytes memory b = tBytes();
        bytes memory s = tSigs();
        bytes[] memory itx = two(t1Bytes, t1Bytes);
        bytes[] memory isg = two(t1Sigs, t1Sigs);
        bytes[] memory ipr = two(proofAt(t1Pos), proofAt(t1Pos));
        vm.startPrank(carol);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.ValueMismatch.selector, IFE_BOND, 0));
        plasma.startInFlightExit(b, s, itx, isg, ipr);
        vm.expectRevert(PlasmaFramework.NoInputs.selector);
        plasma.startInFlightExit{value: IFE_BOND}(depEth, "", noBytes(), noBytes(), noBytes());
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.SignaturesLengthMismatch.selector, 130, 65));
        plasma.startInFlightExit{value: IFE_BOND}(b, sign1(tTx(), PK_A), itx, isg, ipr);
        vm.expectRevert(PlasmaFramework.LengthMismatch.selector);
        plasma.startInFlightExit{value: IFE_BOND}(b, s, one(t1Bytes), isg, ipr);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.BadSignature.selector, bob));
        plasma.startInFlightExit{value: IFE_BOND}(b, sign2(tTx(), PK_A, PK_C), itx, isg, ipr);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.BadSignature.selector, alice));
        plasma.startInFlightExit{value: IFE_BOND}(b, sign2(tTx(), PK_B, PK_B), itx, isg, ipr);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.NotIncluded.selector, t1Pos + 1));
        plasma.startInFlightExit{value: IFE_BOND}(b, s, itx, two(sign1(t1Tx(), PK_C), t1Sigs), ipr);
        vm.expectRevert(PlasmaFramework.MalformedTransaction.selector);
        plasma.startInFlightExit{value: IFE_BOND}(b, s, two(t1Bytes, abi.encodePacked(t1Bytes, bytes1(0))), isg, ipr);
        vm.expectRevert(PlasmaFramework.MalformedTransaction.selector);
        plasma.startInFlightExit{value: IFE_BOND}(abi.encodePacked(b, bytes1(0)), s, itx, isg, ipr);
        vm.stopPrank();
        // unbalanced: more out than in, and a token that no input brings
        Tx memory more = mkTx(ins2(t1Pos + 1, t1Pos), outs1(out(carol, ETH, 10 ether + 1)));
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.AmountsNotBalanced.selector, ETH));
        plasma.startInFlightExit{value: IFE_BOND}(enc(more), sign2(more, PK_A, PK_B), itx, isg, ipr);
        Tx memory swap = mkTx(ins1(tokenDeposit), outs1(out(carol, ETH, 100 ether)));
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.AmountsNotBalanced.selector, address(token)));
        plasma.startInFlightExit{value: IFE_BOND}(
            enc(swap), sign1(swap, PK_A), one(depTok), one(""), one(proofAt(tokenDeposit))
        );
        // an input output index that the creating transaction does not have
        Tx memory ghost = mkTx(ins1(ethDeposit + 1), outs1(out(carol, ETH, 1)));
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.OutputIndexOutOfRange.selector, 1, 1));
        plasma.startInFlightExit{value: IFE_BOND}(
            enc(ghost), sign1(ghost, PK_A), one(depEth), one(""), one(proofAt(ethDeposit))
        );
        // one per transaction
        startT(carol);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.InFlightExitExists.selector, keccak256(b)));
        plasma.startInFlightExit{value: IFE_BOND}(b, s, itx, isg, ipr);
    }

    function test_start_revertsOnOneOutputSpentTwice() public {
        uint256 againPos = pos(submit1(t1Bytes, t1Sigs), 0, 0); // T1 again: one output id at two positions
        Tx memory t = mkTx(ins2(t1Pos, againPos), outs1(out(carol, ETH, 14 ether)));
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.DuplicateInput.selector, 1));
        plasma.startInFlightExit{value: IFE_BOND}(
            enc(t),
            sign2(t, PK_B, PK_B),
            two(t1Bytes, t1Bytes),
            two(t1Sigs, t1Sigs),
            two(proofAt(t1Pos), proofAt(againPos))
        );
    }

    function test_start_revertsOnAPaidInput() public {
        startExit(bob, t1Pos, t1Bytes, t1Sigs);
        vm.warp(T0 + 2 * EP);
        plasma.processExits(1);
        bytes32 id = outputId(t1Bytes, 0);
        bytes[] memory ipr = two(proofAt(t1Pos), proofAt(t1Pos));
        bytes memory b = tBytes();
        bytes memory s = tSigs();
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.OutputAlreadyPaid.selector, id));
        plasma.startInFlightExit{value: IFE_BOND}(b, s, two(t1Bytes, t1Bytes), two(t1Sigs, t1Sigs), ipr);
    }

    // -------------------------------------------------------------------------------------- processing

    function test_process_canonicalPaysOutputsAndMarksInputs() public {
        uint256 exitId = startT(carol);
        vm.warp(T0 + 2 * EP);
        uint256 before = carol.balance;
        vm.expectEmit(address(plasma));
        emit ExitFinalized(exitId, outputId(tBytes(), 0), carol, ETH, 10 ether);
        vm.expectEmit(address(plasma));
        emit InFlightExitFinalized(exitId, keccak256(tBytes()), true);
        assertEq(plasma.processExits(1), 1);
        assertEq(carol.balance, before + 10 ether + IFE_BOND);
        assertEq(plasma.paid(ETH), 10 ether);
        assertTrue(plasma.isOutputPaid(outputId(t1Bytes, 0)), "inputs marked");
        assertTrue(plasma.isOutputPaid(outputId(t1Bytes, 1)));
        assertTrue(plasma.isOutputPaid(outputId(tBytes(), 0)));
        (, bool finalized,,,) = state();
        assertTrue(finalized);
        // a spent input cannot exit any more, and the transaction cannot exit again
        bytes memory p = proofAt(t1Pos);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.OutputAlreadyPaid.selector, outputId(t1Bytes, 0)));
        vm.prank(bob);
        plasma.startStandardExit{value: SE_BOND}(t1Pos, t1Bytes, t1Sigs, p);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.InFlightExitExists.selector, keccak256(tBytes())));
        startT(carol);
    }

    function test_process_twoTokens() public {
        Tx memory t =
            mkTx(ins2(t1Pos + 1, tokenDeposit), outs2(out(bob, address(token), 100 ether), out(bob, ETH, 3 ether)));
        vm.prank(alice);
        plasma.startInFlightExit{value: IFE_BOND}(
            enc(t),
            sign2(t, PK_A, PK_A),
            two(t1Bytes, depTok),
            two(t1Sigs, ""),
            two(proofAt(t1Pos), proofAt(tokenDeposit))
        );
        vm.warp(T0 + 2 * EP);
        uint256 tokBefore = token.balanceOf(bob);
        uint256 ethBefore = bob.balance;
        plasma.processExits(1);
        assertEq(token.balanceOf(bob), tokBefore + 100 ether);
        assertEq(bob.balance, ethBefore + 3 ether);
        assertEq(plasma.paid(address(token)), 100 ether);
        assertEq(plasma.paid(ETH), 3 ether);
    }

    function test_process_inputPaidMeanwhileMakesItPayInputs() public {
        // bob cheats: exits the output T spends; nobody challenges; it is processed first (older)
        uint256 bobExit = startExit(bob, t1Pos, t1Bytes, t1Sigs);
        uint256 ifeId = startT(carol);
        assertTrue(bobExit < ifeId);
        vm.warp(T0 + 2 * EP);
        uint256 aliceBefore = alice.balance;
        uint256 carolBefore = carol.balance;
        vm.expectEmit(address(plasma));
        emit ExitSkipped(ifeId, outputId(t1Bytes, 0));
        plasma.processExits(2);
        assertEq(alice.balance, aliceBefore + 3 ether, "the other input goes back");
        assertEq(carol.balance, carolBefore + IFE_BOND, "no output paid");
        assertEq(plasma.paid(ETH), 10 ether, "7 to bob, 3 to alice: never more than deposited");
        assertTrue(plasma.isOutputPaid(outputId(tBytes(), 0)), "outputs of a non-canonical exit marked");
    }

    function test_process_standardExitOfAnOutputPaidByTheInFlightExitIsSkipped() public {
        uint256 tPos = pos(submit1(tBytes(), tSigs()), 0, 0);
        uint256 ifeId = startT(carol);
        uint256 carolExit = startExit(carol, tPos, tBytes(), tSigs());
        assertTrue(ifeId < carolExit);
        vm.warp(T0 + 3 * EP);
        uint256 before = carol.balance;
        vm.expectEmit(address(plasma));
        emit ExitSkipped(carolExit, outputId(tBytes(), 0));
        plasma.processExits(2);
        assertEq(carol.balance, before + 10 ether + IFE_BOND + SE_BOND, "paid once, both bonds back");
        assertEq(plasma.paid(ETH), 10 ether);
    }

    // ------------------------------------------------------------------------------ non-canonical game

    function test_nonCanonical_notIncludedCompetitorPaysInputsButTheDoubleSpent() public {
        uint256 exitId = startT(carol);
        Tx memory c = competitor();
        bytes memory cs = sign1(c, PK_B);
        vm.expectEmit(address(plasma));
        emit InFlightExitChallenged(
            keccak256(tBytes()), alice, PlasmaFramework.ChallengeKind.NonCanonical, 1, plasma.NOT_INCLUDED()
        );
        vm.prank(alice);
        plasma.challengeNonCanonical(tBytes(), 1, notIncluded(c, cs), 0);
        (bool canonical,, uint8 removedIn,, uint256 oldest) = state();
        assertFalse(canonical);
        assertEq(uint256(removedIn), 2);
        assertEq(oldest, plasma.NOT_INCLUDED());
        vm.warp(T0 + 2 * EP);
        uint256 aliceBefore = alice.balance;
        uint256 bobBefore = bob.balance;
        vm.expectEmit(address(plasma));
        emit InFlightExitFinalized(exitId, keccak256(tBytes()), false);
        plasma.processExits(1);
        assertEq(alice.balance, aliceBefore + 3 ether, "alice's input back");
        assertEq(bob.balance, bobBefore, "bob's double-spent input follows the competitor");
        assertTrue(plasma.isOutputPaid(outputId(t1Bytes, 1)));
        assertFalse(plasma.isOutputPaid(outputId(t1Bytes, 0)), "the removed input is not marked");
        assertTrue(plasma.isOutputPaid(outputId(tBytes(), 0)));
        // the competitor can still exit bob's output (its own in-flight exit)
        vm.prank(bob);
        plasma.startInFlightExit{value: IFE_BOND}(enc(c), cs, one(t1Bytes), one(t1Sigs), one(proofAt(t1Pos)));
    }

    function test_nonCanonical_responseRestoresCanonicity() public {
        // T included in block 2000, the competitor in block 3000
        uint256 tPos = pos(submit1(tBytes(), tSigs()), 0, 0);
        Tx memory c = competitor();
        bytes memory cs = sign1(c, PK_B);
        uint256 cPos = pos(submit1(enc(c), cs), 0, 0);
        vm.warp(T0 + 10);
        uint256 exitId = startT(carol);
        vm.prank(bob);
        plasma.challengeNonCanonical(tBytes(), 1, inclusion(enc(c), cs, cPos), 0);
        (,,,, uint256 oldest) = state();
        assertEq(oldest, cPos);
        vm.expectEmit(address(plasma));
        emit InFlightExitResponded(keccak256(tBytes()), carol, tPos);
        vm.prank(carol);
        plasma.respondToNonCanonical(inclusion(tBytes(), tSigs(), tPos));
        (bool canonical,,,,) = state();
        assertTrue(canonical);
        // a competitor younger than the response is refused
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.CompetitorNotOlder.selector, cPos, tPos));
        plasma.challengeNonCanonical(tBytes(), 1, inclusion(enc(c), cs, cPos), 0);
        vm.expectRevert(
            abi.encodeWithSelector(PlasmaFramework.CompetitorNotOlder.selector, plasma.NOT_INCLUDED(), tPos)
        );
        plasma.challengeNonCanonical(tBytes(), 1, notIncluded(c, cs), 0);
        vm.expectRevert(PlasmaFramework.AlreadyCanonical.selector);
        plasma.respondToNonCanonical(inclusion(tBytes(), tSigs(), tPos));
        vm.warp(T0 + 3 * EP);
        uint256 before = carol.balance;
        plasma.processExits(1);
        assertEq(carol.balance, before + 10 ether + IFE_BOND, "canonical: the output is paid");
        assertTrue(plasma.exitOf(exitId) == bytes32(0));
    }

    function test_respond_refusesAnInclusionYoungerThanACompetitor() public {
        // the competitor in block 2000, T in block 3000: a response with the younger T is refused
        Tx memory c = competitor();
        bytes memory cs = sign1(c, PK_B);
        uint256 cPos = pos(submit1(enc(c), cs), 0, 0);
        uint256 tPos = pos(submit1(tBytes(), tSigs()), 0, 0);
        startT(carol);
        plasma.challengeNonCanonical(tBytes(), 1, inclusion(enc(c), cs, cPos), 0);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.NotOlderThanCompetitors.selector, tPos, cPos));
        plasma.respondToNonCanonical(inclusion(tBytes(), tSigs(), tPos));
    }

    function test_nonCanonical_reverts() public {
        Tx memory c = competitor();
        bytes memory cs = sign1(c, PK_B);
        bytes memory b = tBytes();
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.InFlightExitNotFound.selector, keccak256(b)));
        plasma.challengeNonCanonical(b, 1, notIncluded(c, cs), 0);
        startT(carol);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.InputIndexOutOfRange.selector, 2, 2));
        plasma.challengeNonCanonical(b, 2, notIncluded(c, cs), 0);
        vm.expectRevert(PlasmaFramework.CompetitorIsTheTransaction.selector);
        plasma.challengeNonCanonical(b, 1, notIncluded(tTx(), tSigs()), 1);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.WrongInput.selector, t1Pos + 1, t1Pos));
        plasma.challengeNonCanonical(b, 0, notIncluded(c, cs), 0);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.BadSignature.selector, bob));
        plasma.challengeNonCanonical(b, 1, notIncluded(c, sign1(c, PK_C)), 0);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.BadSignature.selector, bob));
        plasma.challengeNonCanonical(b, 1, notIncluded(c, ""), 0);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.NotIncluded.selector, t1Pos));
        plasma.challengeNonCanonical(b, 1, PlasmaFramework.Inclusion(enc(c), cs, t1Pos, proofAt(t1Pos)), 0);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.AlreadyCanonical.selector));
        plasma.respondToNonCanonical(inclusion(b, tSigs(), t1Pos));
        (bool canonical,,,,) = state();
        assertTrue(canonical, "nothing changed");
        // the window: until exitableAt − EP/2
        vm.warp(T0 + 2 * EP - EP / 2);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.NonCanonicalWindowOver.selector, T0 + 2 * EP - EP / 2));
        plasma.challengeNonCanonical(b, 1, notIncluded(c, cs), 0);
    }

    function test_respond_reverts() public {
        Tx memory c = competitor();
        bytes memory cs = sign1(c, PK_B);
        uint256 tPos = pos(submit1(tBytes(), tSigs()), 0, 0);
        startT(carol);
        plasma.challengeNonCanonical(tBytes(), 1, notIncluded(c, cs), 0);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.NotIncluded.selector, tPos));
        plasma.respondToNonCanonical(inclusion(tBytes(), sign2(tTx(), PK_A, PK_C), tPos));
        // a "position" before the transaction's own inputs
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.InvalidPosition.selector, t1Pos));
        plasma.respondToNonCanonical(PlasmaFramework.Inclusion(tBytes(), tSigs(), t1Pos, proofAt(t1Pos)));
        vm.warp(T0 + 2 * EP);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.ResponseWindowOver.selector, T0 + 2 * EP));
        plasma.respondToNonCanonical(inclusion(tBytes(), tSigs(), tPos));
        plasma.processExits(1);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.InFlightExitNotFound.selector, keccak256(tBytes())));
        plasma.respondToNonCanonical(inclusion(tBytes(), tSigs(), tPos));
    }

    // ------------------------------------------------------------------------------------ output spent

    function test_outputSpent_removesTheOutput() public {
        uint256 tPos = pos(submit1(tBytes(), tSigs()), 0, 0);
        startT(carol);
        Tx memory s = mkTx(ins1(tPos), outs1(out(alice, ETH, 10 ether)));
        vm.expectEmit(address(plasma));
        emit InFlightExitChallenged(keccak256(tBytes()), bob, PlasmaFramework.ChallengeKind.OutputSpent, 0, 0);
        vm.prank(bob);
        plasma.challengeOutputSpent(inclusion(tBytes(), tSigs(), tPos), 0, enc(s), 0, sign1(s, PK_C));
        (bool canonical,,, uint8 removedOut,) = state();
        assertTrue(canonical);
        assertEq(uint256(removedOut), 1);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.OutputAlreadyRemoved.selector, 0));
        plasma.challengeOutputSpent(inclusion(tBytes(), tSigs(), tPos), 0, enc(s), 0, sign1(s, PK_C));
        vm.warp(T0 + 3 * EP);
        uint256 before = carol.balance;
        plasma.processExits(1);
        assertEq(carol.balance, before + IFE_BOND, "the spent output is not paid");
        assertEq(plasma.paid(ETH), 0);
        assertTrue(plasma.isOutputPaid(outputId(t1Bytes, 0)), "inputs spent");
        assertFalse(plasma.isOutputPaid(outputId(tBytes(), 0)), "its value follows the spender");
    }

    function test_outputSpent_reverts() public {
        uint256 tPos = pos(submit1(tBytes(), tSigs()), 0, 0);
        PlasmaFramework.Inclusion memory inc = inclusion(tBytes(), tSigs(), tPos);
        Tx memory s = mkTx(ins1(tPos), outs1(out(alice, ETH, 10 ether)));
        bytes memory sb = enc(s);
        bytes memory sig = sign1(s, PK_C);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.InFlightExitNotFound.selector, keccak256(tBytes())));
        plasma.challengeOutputSpent(inc, 0, sb, 0, sig);
        startT(carol);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.OutputIndexOutOfRange.selector, 1, 1));
        plasma.challengeOutputSpent(inc, 1, sb, 0, sig);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.BadSignature.selector, carol));
        plasma.challengeOutputSpent(inc, 0, sb, 0, sign1(s, PK_A));
        Tx memory other = mkTx(ins1(tPos + 10_000), outs1(out(alice, ETH, 10 ether)));
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.WrongInput.selector, tPos, tPos + 10_000));
        plasma.challengeOutputSpent(inc, 0, enc(other), 0, sign1(other, PK_C));
        inc.position = t1Pos;
        inc.proof = proofAt(t1Pos);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.NotIncluded.selector, t1Pos));
        plasma.challengeOutputSpent(inc, 0, sb, 0, sig);
        (,,, uint8 removedOut,) = state();
        assertEq(uint256(removedOut), 0, "nothing changed");
    }

    function test_unfundedEntryIsSkipped() public {
        // an invalid mint in an operator block, spent in flight: its output exceeds what was deposited
        Tx memory mint = mkTx(ins0(), outs1(out(carol, ETH, 50 ether)));
        uint256 mintPos = pos(submit1(enc(mint), ""), 0, 0);
        Tx memory t = mkTx(ins1(mintPos), outs1(out(carol, ETH, 50 ether)));
        vm.prank(carol);
        uint256 exitId = plasma.startInFlightExit{value: IFE_BOND}(
            enc(t), sign1(t, PK_C), one(enc(mint)), one(""), one(proofAt(mintPos))
        );
        vm.warp(T0 + 2 * EP);
        vm.expectEmit(address(plasma));
        emit ExitUnfunded(exitId, outputId(enc(t), 0), ETH, 50 ether);
        plasma.processExits(1);
        assertEq(plasma.paid(ETH), 0);
    }
}
// forge-lint: disable-end(unsafe-typecast)
