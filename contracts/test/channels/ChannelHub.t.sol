// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";

import {ChannelHub} from "../../src/channels/ChannelHub.sol";
import {Vm} from "../utils/Vm.sol";
import {BlockToken, ChannelFixture, FeeToken, GasBurner, Reenterer, TogglingReceiver} from "./ChannelFixture.sol";

// forge-lint: disable-start(unsafe-typecast) test values are bounded where they are made

/// @notice Unit tests of ChannelHub: every entry point, its events, and every custom error.
contract ChannelHubTest is ChannelFixture {
    bytes32 internal constant PREIMAGE = keccak256("preimage");

    // ------------------------------------------------------------------------------------------------ views

    function test_constants() public view {
        assertEq(hub.MAX_HTLCS(), 64);
        assertEq(uint256(hub.MIN_DISPUTE_WINDOW()), 1);
        assertEq(uint256(hub.MAX_DISPUTE_WINDOW()), 30 days);
        assertEq(
            hub.STATE_TYPEHASH(),
            keccak256("State(bytes32 channelId,uint64 seq,uint256 balanceA,uint256 balanceB,bytes32 htlcsHash)")
        );
        assertEq(hub.REVOCATION_TYPEHASH(), keccak256("Revocation(bytes32 channelId,uint64 seq)"));
        assertEq(
            hub.COOPERATIVE_CLOSE_TYPEHASH(),
            keccak256("CooperativeClose(bytes32 channelId,uint256 balanceA,uint256 balanceB)")
        );
        assertEq(address(hub.registry()), address(registry));
    }

    function test_eip712Domain() public view {
        (bytes1 fields, string memory name, string memory version, uint256 chainId, address verifying,,) =
            hub.eip712Domain();
        assertEq(uint256(uint8(fields)), 0x0f);
        assertEq(name, "l2kit channels");
        assertEq(version, "1");
        assertEq(chainId, block.chainid);
        assertEq(verifying, address(hub));
        assertEq(hub.domainSeparator(), domainSeparator());
    }

    function test_channelId_isTheSpecFormula() public view {
        ChannelHub.Channel memory ch = ethChannel();
        assertEq(hub.channelId(ch), keccak256(abi.encode(block.chainid, address(hub), ch)));
        ChannelHub.Channel memory other = channel(address(0), TOTAL, 1);
        assertTrue(hub.channelId(other) != hub.channelId(ch), "nonce changes the id");
    }

    function test_hashes_matchIndependentEip712() public view {
        bytes32 id = idOf(ethChannel());
        ChannelHub.Htlc[] memory hs = oneHtlc(1, 3, bytes32(uint256(7)), 99);
        ChannelHub.State memory s = ChannelHub.State(id, 5, 1, 2, hashHtlcs(hs));
        assertEq(hub.hashState(s), stateDigest(s));
        assertEq(hub.hashRevocation(id, 5), revocationDigest(id, 5));
        assertEq(hub.hashCooperativeClose(id, 4, 6), coopDigest(id, 4, 6));
        assertEq(hub.htlcsHash(hs), keccak256(abi.encode(hs)));
        assertEq(hub.htlcsHash(noHtlcs()), keccak256(abi.encode(uint256(0x20), uint256(0))), "empty array");
    }

    function test_status_unknownChannelIsNone() public view {
        (ChannelHub.Phase phase, uint64 seq, uint64 deadline, ChannelHub.Party submitter) = hub.status(bytes32(0));
        assertEq(uint256(phase), 0);
        assertEq(uint256(seq), 0);
        assertEq(uint256(deadline), 0);
        assertEq(uint256(submitter), 0);
        assertEq(hub.closingHash(bytes32(0)), bytes32(0));
    }

    // ------------------------------------------------------------------------------------------------- open

    function test_open_eth() public {
        ChannelHub.Channel memory ch = ethChannel();
        bytes32 id = idOf(ch);
        vm.expectEmit(address(hub));
        emit ChannelOpened(id, alice, bob, address(0), TOTAL, WINDOW, 0);
        vm.prank(alice);
        assertEq(hub.open{value: TOTAL}(ch), id);
        assertEq(uint256(phaseOf(id)), uint256(ChannelHub.Phase.Open));
        assertEq(address(hub).balance, TOTAL);
    }

    function test_open_erc20() public {
        ChannelHub.Channel memory ch = channel(address(token), 500 ether, 3);
        uint256 before = token.balanceOf(alice);
        vm.expectEmit(address(hub));
        emit ChannelOpened(idOf(ch), alice, bob, address(token), 500 ether, WINDOW, 3);
        bytes32 id = open(ch);
        assertEq(token.balanceOf(address(hub)), 500 ether);
        assertEq(token.balanceOf(alice), before - 500 ether);
        assertEq(uint256(phaseOf(id)), uint256(ChannelHub.Phase.Open));
    }

    function test_open_disputeWindowBounds() public {
        ChannelHub.Channel memory ch = ethChannel();
        ch.disputeWindow = 1;
        open(ch);
        ch.disputeWindow = 30 days;
        open(ch);
    }

    function test_open_revert_notPartyA() public {
        ChannelHub.Channel memory ch = ethChannel();
        vm.deal(bob, TOTAL);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.NotPartyA.selector, bob));
        hub.open{value: TOTAL}(ch);
    }

    function test_open_revert_invalidParties() public {
        ChannelHub.Channel memory ch = ethChannel();
        ch.partyB = address(0);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.InvalidParties.selector, alice, address(0)));
        hub.open{value: TOTAL}(ch);
        ch.partyB = alice;
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.InvalidParties.selector, alice, alice));
        hub.open{value: TOTAL}(ch);
    }

    function test_open_revert_zeroTotal() public {
        ChannelHub.Channel memory ch = channel(address(0), 0, 0);
        vm.prank(alice);
        vm.expectRevert(ChannelHub.ZeroTotal.selector);
        hub.open(ch);
    }

    function test_open_revert_disputeWindowOutOfRange() public {
        ChannelHub.Channel memory ch = ethChannel();
        ch.disputeWindow = 0;
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.DisputeWindowOutOfRange.selector, uint64(0)));
        hub.open{value: TOTAL}(ch);
        ch.disputeWindow = 30 days + 1;
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.DisputeWindowOutOfRange.selector, uint64(30 days + 1)));
        hub.open{value: TOTAL}(ch);
    }

    function test_open_revert_channelExists() public {
        ChannelHub.Channel memory ch = ethChannel();
        bytes32 id = open(ch);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.ChannelExists.selector, id));
        hub.open{value: TOTAL}(ch);
    }

    function test_open_revert_valueMismatch() public {
        ChannelHub.Channel memory ch = ethChannel();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.ValueMismatch.selector, TOTAL, TOTAL - 1));
        hub.open{value: TOTAL - 1}(ch);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.ValueMismatch.selector, TOTAL, TOTAL + 1));
        hub.open{value: TOTAL + 1}(ch);
        ChannelHub.Channel memory tch = channel(address(token), 1 ether, 0);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.ValueMismatch.selector, 0, 1));
        hub.open{value: 1}(tch);
        assertEq(uint256(phaseOf(idOf(ch))), 0, "nothing stored");
        assertEq(address(hub).balance, 0);
    }

    function test_open_revert_tokenNotContract() public {
        ChannelHub.Channel memory ch = channel(carol, 1 ether, 0);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.TokenNotContract.selector, carol));
        hub.open(ch);
    }

    function test_open_revert_feeOnTransferToken() public {
        FeeToken fee = new FeeToken();
        assertTrue(fee.transfer(alice, 100 ether));
        vm.prank(alice);
        fee.approve(address(hub), type(uint256).max);
        ChannelHub.Channel memory ch = channel(address(fee), 50 ether, 0);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(ChannelHub.TokenTransferMismatch.selector, address(fee), 50 ether, 49.5 ether)
        );
        hub.open(ch);
    }

    function test_open_revert_noAllowance() public {
        vm.prank(alice);
        token.approve(address(hub), 0);
        ChannelHub.Channel memory ch = channel(address(token), 1 ether, 0);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(hub), 0, 1 ether)
        );
        hub.open(ch);
    }

    // -------------------------------------------------------------------------------------- cooperative close

    function test_closeCooperative_paysBoth() public {
        ChannelHub.Channel memory ch = ethChannel();
        bytes32 id = open(ch);
        uint256 a0 = alice.balance;
        uint256 b0 = bob.balance;
        bytes memory sigA = sign(PK_A, coopDigest(id, 3 ether, 7 ether));
        bytes memory sigB = sign(PK_B, coopDigest(id, 3 ether, 7 ether));
        vm.expectEmit(address(hub));
        emit ChannelClosedCooperatively(id, 3 ether, 7 ether);
        vm.prank(carol); // anyone may submit it
        hub.closeCooperative(ch, 3 ether, 7 ether, sigA, sigB);
        assertEq(alice.balance, a0 + 3 ether);
        assertEq(bob.balance, b0 + 7 ether);
        assertEq(address(hub).balance, 0);
        assertEq(uint256(phaseOf(id)), uint256(ChannelHub.Phase.Settled));
    }

    function test_closeCooperative_whileClosing() public {
        ChannelHub.Channel memory ch = ethChannel();
        bytes32 id = open(ch);
        closeWith(ch, alice, 0, TOTAL, 0, noHtlcs());
        assertTrue(hub.closingHash(id) != bytes32(0));
        hub.closeCooperative(ch, 0, TOTAL, sign(PK_A, coopDigest(id, 0, TOTAL)), sign(PK_B, coopDigest(id, 0, TOTAL)));
        assertEq(hub.closingHash(id), bytes32(0), "closing hash cleared");
        assertEq(uint256(phaseOf(id)), uint256(ChannelHub.Phase.Settled));
        assertEq(address(hub).balance, 0);
    }

    function test_closeCooperative_erc20() public {
        ChannelHub.Channel memory ch = channel(address(token), 100 ether, 0);
        bytes32 id = open(ch);
        uint256 b0 = token.balanceOf(bob);
        hub.closeCooperative(
            ch,
            40 ether,
            60 ether,
            sign(PK_A, coopDigest(id, 40 ether, 60 ether)),
            sign(PK_B, coopDigest(id, 40 ether, 60 ether))
        );
        assertEq(token.balanceOf(bob), b0 + 60 ether);
        assertEq(token.balanceOf(address(hub)), 0);
    }

    function test_closeCooperative_revert_wrongPhase() public {
        ChannelHub.Channel memory ch = ethChannel();
        bytes32 id = idOf(ch);
        bytes memory sigA = sign(PK_A, coopDigest(id, TOTAL, 0));
        bytes memory sigB = sign(PK_B, coopDigest(id, TOTAL, 0));
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.WrongPhase.selector, id, ChannelHub.Phase.None));
        hub.closeCooperative(ch, TOTAL, 0, sigA, sigB);
        open(ch);
        hub.closeCooperative(ch, TOTAL, 0, sigA, sigB);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.WrongPhase.selector, id, ChannelHub.Phase.Settled));
        hub.closeCooperative(ch, TOTAL, 0, sigA, sigB); // no replay
    }

    function test_closeCooperative_revert_balancesDoNotAddUp() public {
        ChannelHub.Channel memory ch = ethChannel();
        bytes32 id = open(ch);
        bytes memory sigA = sign(PK_A, coopDigest(id, 6 ether, 5 ether));
        bytes memory sigB = sign(PK_B, coopDigest(id, 6 ether, 5 ether));
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.BalancesDoNotAddUp.selector, TOTAL, 11 ether));
        hub.closeCooperative(ch, 6 ether, 5 ether, sigA, sigB);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.BalancesDoNotAddUp.selector, TOTAL, 9 ether));
        hub.closeCooperative(ch, 4 ether, 5 ether, sigA, sigB);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.BalancesDoNotAddUp.selector, TOTAL, type(uint256).max));
        hub.closeCooperative(ch, type(uint256).max, 10 ether + 1, sigA, sigB);
    }

    function test_closeCooperative_revert_badSignatures() public {
        ChannelHub.Channel memory ch = ethChannel();
        bytes32 id = open(ch);
        bytes32 d = coopDigest(id, 1 ether, 9 ether);
        bytes memory sigA = sign(PK_A, d);
        bytes memory sigB = sign(PK_B, d);
        // wrong key for A, for B, swapped, over other balances, high s, truncated, bad v
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.BadSignature.selector, alice));
        hub.closeCooperative(ch, 1 ether, 9 ether, sign(PK_C, d), sigB);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.BadSignature.selector, bob));
        hub.closeCooperative(ch, 1 ether, 9 ether, sigA, sign(PK_C, d));
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.BadSignature.selector, alice));
        hub.closeCooperative(ch, 1 ether, 9 ether, sigB, sigA);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.BadSignature.selector, alice));
        hub.closeCooperative(ch, 2 ether, 8 ether, sigA, sigB);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.BadSignature.selector, alice));
        hub.closeCooperative(ch, 1 ether, 9 ether, highS(sigA), sigB);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.BadSignature.selector, bob));
        hub.closeCooperative(ch, 1 ether, 9 ether, sigA, highS(sigB));
        (bytes32 r, bytes32 s, uint8 v) = split(sigA);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.BadSignature.selector, alice));
        hub.closeCooperative(ch, 1 ether, 9 ether, abi.encodePacked(r, s), sigB);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.BadSignature.selector, alice));
        hub.closeCooperative(ch, 1 ether, 9 ether, abi.encodePacked(r, s, v + 2), sigB);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.BadSignature.selector, alice));
        hub.closeCooperative(ch, 1 ether, 9 ether, bytes(""), sigB);
        // a signature for another channel (or another hub) does not work here
        ChannelHub.Channel memory other = channel(address(0), TOTAL, 1);
        bytes32 otherId = open(other);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.BadSignature.selector, alice));
        hub.closeCooperative(other, 1 ether, 9 ether, sigA, sign(PK_B, coopDigest(otherId, 1 ether, 9 ether)));
        assertEq(uint256(phaseOf(id)), uint256(ChannelHub.Phase.Open), "unchanged");
        hub.closeCooperative(ch, 1 ether, 9 ether, sigA, sigB);
    }

    function test_reopenAfterSettle_rejected() public {
        ChannelHub.Channel memory ch = ethChannel();
        bytes32 id = open(ch);
        hub.closeCooperative(ch, TOTAL, 0, sign(PK_A, coopDigest(id, TOTAL, 0)), sign(PK_B, coopDigest(id, TOTAL, 0)));
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.ChannelExists.selector, id));
        hub.open{value: TOTAL}(ch);
    }

    function test_reopenAfterUnilateralSettle_rejected() public {
        ChannelHub.Channel memory ch = ethChannel();
        bytes32 id = open(ch);
        closeWith(ch, bob, 0, TOTAL, 0, noHtlcs());
        vm.warp(block.timestamp + WINDOW + 1);
        hub.settle(ch, TOTAL, 0, noHtlcs());
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.ChannelExists.selector, id));
        hub.open{value: TOTAL}(ch);
    }

    // ------------------------------------------------------------------------------------- unilateral close

    function test_closeUnilateral_openingState() public {
        ChannelHub.Channel memory ch = ethChannel();
        bytes32 id = open(ch);
        ChannelHub.State memory s = stateOf(ch, 0, TOTAL, 0, noHtlcs());
        vm.expectEmit(address(hub));
        emit ChannelClosing(id, alice, 0, TOTAL, 0, s.htlcsHash, noHtlcs(), uint64(block.timestamp + WINDOW));
        vm.prank(alice);
        hub.closeUnilateral(ch, s, noHtlcs(), "", "");
        (ChannelHub.Phase phase, uint64 seq, uint64 deadline, ChannelHub.Party submitter) = hub.status(id);
        assertEq(uint256(phase), uint256(ChannelHub.Phase.Closing));
        assertEq(uint256(seq), 0);
        assertEq(uint256(deadline), block.timestamp + WINDOW);
        assertEq(uint256(submitter), uint256(ChannelHub.Party.A));
        assertEq(hub.closingHash(id), keccak256(abi.encode(TOTAL, uint256(0), s.htlcsHash)));
    }

    function test_closeUnilateral_signedStateWithHtlcs() public {
        ChannelHub.Channel memory ch = ethChannel();
        bytes32 id = open(ch);
        ChannelHub.Htlc[] memory hs = new ChannelHub.Htlc[](2);
        hs[0] = ChannelHub.Htlc(0, 1 ether, paymentHash(PREIMAGE), uint64(T0 + 2 days));
        hs[1] = ChannelHub.Htlc(1, 2 ether, paymentHash(bytes32(uint256(1))), uint64(T0 + 3 days));
        ChannelHub.State memory s = stateOf(ch, 7, 4 ether, 3 ether, hs);
        bytes memory sigA = signState(PK_A, s);
        bytes memory sigB = signState(PK_B, s);
        vm.expectEmit(address(hub));
        emit ChannelClosing(id, bob, 7, 4 ether, 3 ether, s.htlcsHash, hs, uint64(block.timestamp + WINDOW));
        vm.prank(bob);
        hub.closeUnilateral(ch, s, hs, sigA, sigB);
        (, uint64 seq,, ChannelHub.Party submitter) = hub.status(id);
        assertEq(uint256(seq), 7);
        assertEq(uint256(submitter), uint256(ChannelHub.Party.B));
        assertEq(hub.closingHash(id), keccak256(abi.encode(uint256(4 ether), uint256(3 ether), s.htlcsHash)));
    }

    function test_closeUnilateral_maxHtlcs() public {
        ChannelHub.Channel memory ch = ethChannel();
        open(ch);
        ChannelHub.Htlc[] memory hs = new ChannelHub.Htlc[](64);
        for (uint256 i = 0; i < 64; i++) {
            hs[i] = ChannelHub.Htlc(uint8(i % 2), 1 ether / 64, bytes32(i), uint64(T0 + 1 days));
        }
        closeWith(ch, alice, 1, TOTAL - 1 ether, 0, hs);
        assertEq(uint256(phaseOf(idOf(ch))), uint256(ChannelHub.Phase.Closing));
    }

    function test_closeUnilateral_revert_notParty() public {
        ChannelHub.Channel memory ch = ethChannel();
        open(ch);
        ChannelHub.State memory s = stateOf(ch, 0, TOTAL, 0, noHtlcs());
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.NotParty.selector, carol));
        hub.closeUnilateral(ch, s, noHtlcs(), "", "");
    }

    function test_closeUnilateral_revert_wrongPhase() public {
        ChannelHub.Channel memory ch = ethChannel();
        bytes32 id = idOf(ch);
        ChannelHub.State memory s = stateOf(ch, 0, TOTAL, 0, noHtlcs());
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.WrongPhase.selector, id, ChannelHub.Phase.None));
        hub.closeUnilateral(ch, s, noHtlcs(), "", "");
        open(ch);
        vm.prank(alice);
        hub.closeUnilateral(ch, s, noHtlcs(), "", "");
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.WrongPhase.selector, id, ChannelHub.Phase.Closing));
        hub.closeUnilateral(ch, s, noHtlcs(), "", "");
        vm.warp(block.timestamp + WINDOW + 1);
        hub.settle(ch, TOTAL, 0, noHtlcs());
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.WrongPhase.selector, id, ChannelHub.Phase.Settled));
        hub.closeUnilateral(ch, s, noHtlcs(), "", "");
    }

    function test_closeUnilateral_revert_wrongChannel() public {
        ChannelHub.Channel memory ch = ethChannel();
        ChannelHub.Channel memory other = channel(address(0), TOTAL, 1);
        bytes32 id = open(ch);
        bytes32 otherId = open(other);
        // a state signed for the other channel, with the same balances
        ChannelHub.State memory s = stateOf(other, 3, 5 ether, 5 ether, noHtlcs());
        bytes memory sigA = signState(PK_A, s);
        bytes memory sigB = signState(PK_B, s);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.WrongChannel.selector, id, otherId));
        hub.closeUnilateral(ch, s, noHtlcs(), sigA, sigB);
    }

    function test_closeUnilateral_revert_badSignatures() public {
        ChannelHub.Channel memory ch = ethChannel();
        open(ch);
        ChannelHub.State memory s = stateOf(ch, 3, 5 ether, 5 ether, noHtlcs());
        bytes memory sigA = signState(PK_A, s);
        bytes memory sigB = signState(PK_B, s);
        vm.startPrank(alice);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.BadSignature.selector, bob));
        hub.closeUnilateral(ch, s, noHtlcs(), sigA, signState(PK_C, s));
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.BadSignature.selector, alice));
        hub.closeUnilateral(ch, s, noHtlcs(), signState(PK_C, s), sigB);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.BadSignature.selector, alice));
        hub.closeUnilateral(ch, s, noHtlcs(), highS(sigA), sigB);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.BadSignature.selector, bob));
        hub.closeUnilateral(ch, s, noHtlcs(), sigA, highS(sigB));
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.BadSignature.selector, alice));
        hub.closeUnilateral(ch, s, noHtlcs(), "", "");
        // signatures over seq 3 do not sign seq 4
        ChannelHub.State memory s4 = stateOf(ch, 4, 5 ether, 5 ether, noHtlcs());
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.BadSignature.selector, alice));
        hub.closeUnilateral(ch, s4, noHtlcs(), sigA, sigB);
        // a revocation or a cooperative close is not a state signature
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.BadSignature.selector, alice));
        hub.closeUnilateral(ch, s, noHtlcs(), sign(PK_A, revocationDigest(s.channelId, 3)), sigB);
        vm.stopPrank();
    }

    function test_closeUnilateral_revert_balancesDoNotAddUp() public {
        ChannelHub.Channel memory ch = ethChannel();
        open(ch);
        ChannelHub.Htlc[] memory hs = oneHtlc(0, 1 ether, bytes32(0), uint64(T0 + 1 days));
        ChannelHub.State memory s = stateOf(ch, 1, 5 ether, 5 ether, hs); // 11 ether
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.BalancesDoNotAddUp.selector, TOTAL, 11 ether));
        hub.closeUnilateral(ch, s, hs, signState(PK_A, s), signState(PK_B, s));
        s = stateOf(ch, 1, 1 ether, 1 ether, hs); // 3 ether
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.BalancesDoNotAddUp.selector, TOTAL, 3 ether));
        hub.closeUnilateral(ch, s, hs, signState(PK_A, s), signState(PK_B, s));
        // an HTLC amount that wraps the sum around
        hs[0].amount = type(uint256).max - 4 ether;
        s = stateOf(ch, 1, 5 ether, 5 ether, hs);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.BalancesDoNotAddUp.selector, TOTAL, type(uint256).max));
        hub.closeUnilateral(ch, s, hs, signState(PK_A, s), signState(PK_B, s));
    }

    function test_closeUnilateral_revert_tooManyHtlcs() public {
        ChannelHub.Channel memory ch = ethChannel();
        open(ch);
        ChannelHub.Htlc[] memory hs = new ChannelHub.Htlc[](65);
        for (uint256 i = 0; i < 65; i++) {
            hs[i] = ChannelHub.Htlc(0, 1, bytes32(i), uint64(T0 + 1 days));
        }
        ChannelHub.State memory s = stateOf(ch, 1, TOTAL - 65, 0, hs);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.TooManyHtlcs.selector, 65, 64));
        hub.closeUnilateral(ch, s, hs, signState(PK_A, s), signState(PK_B, s));
    }

    function test_closeUnilateral_revert_badHtlcs() public {
        ChannelHub.Channel memory ch = ethChannel();
        open(ch);
        ChannelHub.Htlc[] memory hs = new ChannelHub.Htlc[](2);
        hs[0] = ChannelHub.Htlc(0, 1 ether, bytes32(0), uint64(T0 + 1 days));
        hs[1] = ChannelHub.Htlc(2, 1 ether, bytes32(0), uint64(T0 + 1 days));
        ChannelHub.State memory s = stateOf(ch, 1, 8 ether, 0, hs);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.InvalidHtlcDirection.selector, 1, uint8(2)));
        hub.closeUnilateral(ch, s, hs, signState(PK_A, s), signState(PK_B, s));
        hs[1] = ChannelHub.Htlc(1, 0, bytes32(0), uint64(T0 + 1 days));
        s = stateOf(ch, 1, 9 ether, 0, hs);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.ZeroHtlcAmount.selector, 1));
        hub.closeUnilateral(ch, s, hs, signState(PK_A, s), signState(PK_B, s));
        // HTLCs that are not the state's
        hs[1] = ChannelHub.Htlc(1, 1 ether, bytes32(0), uint64(T0 + 1 days));
        s = stateOf(ch, 1, 8 ether, 0, hs);
        bytes32 signedHash = s.htlcsHash;
        hs[1].expiry += 1;
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.HtlcsMismatch.selector, signedHash, hashHtlcs(hs)));
        hub.closeUnilateral(ch, s, hs, signState(PK_A, s), signState(PK_B, s));
    }

    function test_closeUnilateral_revert_notOpeningState() public {
        ChannelHub.Channel memory ch = ethChannel();
        open(ch);
        // a seq-0 "state" giving B money, even signed by both, is not the opening state
        ChannelHub.State memory s = stateOf(ch, 0, 1 ether, 9 ether, noHtlcs());
        vm.prank(bob);
        vm.expectRevert(ChannelHub.NotOpeningState.selector);
        hub.closeUnilateral(ch, s, noHtlcs(), signState(PK_A, s), signState(PK_B, s));
    }

    // ------------------------------------------------------------------------------------------------ dispute

    function test_dispute_newerStateReplaces() public {
        ChannelHub.Channel memory ch = ethChannel();
        bytes32 id = open(ch);
        closeWith(ch, alice, 0, TOTAL, 0, noHtlcs());
        (,, uint64 deadline,) = hub.status(id);
        vm.warp(block.timestamp + 1 hours);
        ChannelHub.State memory s = stateOf(ch, 5, 2 ether, 8 ether, noHtlcs());
        bytes memory sigA = signState(PK_A, s);
        bytes memory sigB = signState(PK_B, s);
        vm.expectEmit(address(hub));
        emit ChannelDisputed(id, bob, bob, 5, 2 ether, 8 ether, s.htlcsHash, noHtlcs(), deadline);
        vm.prank(bob);
        hub.dispute(ch, s, noHtlcs(), sigA, sigB);
        (ChannelHub.Phase phase, uint64 seq, uint64 deadline2, ChannelHub.Party submitter) = hub.status(id);
        assertEq(uint256(phase), uint256(ChannelHub.Phase.Closing));
        assertEq(uint256(seq), 5);
        assertEq(uint256(deadline2), uint256(deadline), "deadline does not move");
        assertEq(uint256(submitter), uint256(ChannelHub.Party.B));
        vm.warp(uint256(deadline) + 1);
        uint256 b0 = bob.balance;
        hub.settle(ch, 2 ether, 8 ether, noHtlcs());
        assertEq(bob.balance, b0 + 8 ether);
    }

    function test_dispute_atDeadlineAccepted_afterRejected() public {
        ChannelHub.Channel memory ch = ethChannel();
        bytes32 id = open(ch);
        closeWith(ch, alice, 0, TOTAL, 0, noHtlcs());
        uint64 deadline = uint64(block.timestamp + WINDOW);
        vm.warp(deadline);
        disputeWith(ch, bob, 2, 5 ether, 5 ether, noHtlcs());
        vm.warp(uint256(deadline) + 1);
        ChannelHub.State memory s = stateOf(ch, 3, 4 ether, 6 ether, noHtlcs());
        bytes memory sigA = signState(PK_A, s);
        bytes memory sigB = signState(PK_B, s);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.DisputeWindowOver.selector, id, deadline));
        hub.dispute(ch, s, noHtlcs(), sigA, sigB);
    }

    function test_dispute_revert_oldStateCannotReplaceNewer() public {
        ChannelHub.Channel memory ch = ethChannel();
        open(ch);
        closeWith(ch, bob, 9, 1 ether, 9 ether, noHtlcs());
        for (uint64 seq = 8; seq <= 9; seq++) {
            ChannelHub.State memory s = stateOf(ch, seq, 9 ether, 1 ether, noHtlcs());
            bytes memory sigA = signState(PK_A, s);
            bytes memory sigB = signState(PK_B, s);
            vm.prank(alice);
            vm.expectRevert(abi.encodeWithSelector(ChannelHub.StateNotNewer.selector, uint64(9), seq));
            hub.dispute(ch, s, noHtlcs(), sigA, sigB);
        }
    }

    function test_dispute_revert_wrongPhase() public {
        ChannelHub.Channel memory ch = ethChannel();
        bytes32 id = open(ch);
        ChannelHub.State memory s = stateOf(ch, 1, 5 ether, 5 ether, noHtlcs());
        bytes memory sigA = signState(PK_A, s);
        bytes memory sigB = signState(PK_B, s);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.WrongPhase.selector, id, ChannelHub.Phase.Open));
        hub.dispute(ch, s, noHtlcs(), sigA, sigB);
    }

    function test_dispute_revert_badSignatureAndWrongChannel() public {
        ChannelHub.Channel memory ch = ethChannel();
        bytes32 id = open(ch);
        closeWith(ch, alice, 0, TOTAL, 0, noHtlcs());
        ChannelHub.State memory s = stateOf(ch, 1, 5 ether, 5 ether, noHtlcs());
        bytes memory sigA = signState(PK_A, s);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.BadSignature.selector, bob));
        hub.dispute(ch, s, noHtlcs(), sigA, signState(PK_C, s));
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.BadSignature.selector, bob));
        hub.dispute(ch, s, noHtlcs(), sigA, highS(signState(PK_B, s)));
        s.channelId = bytes32(uint256(id) ^ 1);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.WrongChannel.selector, id, s.channelId));
        hub.dispute(ch, s, noHtlcs(), signState(PK_A, s), signState(PK_B, s));
    }

    function test_dispute_byWatchtower_keepsTheSubmitter() public {
        ChannelHub.Channel memory ch = ethChannel();
        bytes32 id = open(ch);
        closeWith(ch, alice, 1, 9 ether, 1 ether, noHtlcs());
        uint256 c0 = carol.balance;
        ChannelHub.State memory s = stateOf(ch, 2, 4 ether, 6 ether, noHtlcs());
        bytes memory sigA = signState(PK_A, s);
        bytes memory sigB = signState(PK_B, s);
        vm.expectEmit(address(hub));
        emit ChannelDisputed(id, alice, carol, 2, 4 ether, 6 ether, s.htlcsHash, noHtlcs(), uint64(T0 + WINDOW));
        vm.prank(carol);
        hub.dispute(ch, s, noHtlcs(), sigA, sigB);
        (,,, ChannelHub.Party submitter) = hub.status(id);
        assertEq(uint256(submitter), uint256(ChannelHub.Party.A), "still the submitter of the replaced state");
        // B disputes itself: B is the submitter; a watchtower's dispute after it keeps B
        disputeWith(ch, bob, 3, 3 ether, 7 ether, noHtlcs());
        (,,, submitter) = hub.status(id);
        assertEq(uint256(submitter), uint256(ChannelHub.Party.B));
        disputeWith(ch, carol, 4, 2 ether, 8 ether, noHtlcs());
        (,,, submitter) = hub.status(id);
        assertEq(uint256(submitter), uint256(ChannelHub.Party.B));
        vm.warp(T0 + WINDOW + 1);
        vm.prank(carol);
        hub.settle(ch, 2 ether, 8 ether, noHtlcs());
        assertEq(carol.balance, c0, "the watchtower gains nothing");
    }

    /// @dev The attack docs/channels.md's literal watchtower rule ("else the party that did not submit the replaced
    ///      state") allows: A closes with revoked state 3, disputes from a fresh address with revoked state 5 (which
    ///      that rule would attribute to B), then penalizes B with B's revocation of 9, which A holds. Here the
    ///      laundered state stays A's: B's revocation proves nothing and A's own revocation penalizes A.
    function test_dispute_launderedThroughThirdAddress_cannotFrameTheVictim() public {
        ChannelHub.Channel memory ch = ethChannel();
        bytes32 id = open(ch);
        // states 1..10 exist; both parties revoked every state <= 9 and hold each other's revocations
        bytes memory revocationA = sign(PK_A, revocationDigest(id, 9));
        bytes memory revocationB = sign(PK_B, revocationDigest(id, 9));
        closeWith(ch, alice, 3, 9 ether, 1 ether, noHtlcs());
        disputeWith(ch, carol, 5, 8 ether, 2 ether, noHtlcs()); // carol is A's accomplice
        (,,, ChannelHub.Party submitter) = hub.status(id);
        assertEq(uint256(submitter), uint256(ChannelHub.Party.A));
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.BadSignature.selector, alice));
        hub.penalize(ch, 9, revocationB);
        uint256 b0 = bob.balance;
        hub.penalize(ch, 9, revocationA);
        assertEq(bob.balance, b0 + TOTAL, "the victim gets the whole channel");
    }

    // ------------------------------------------------------------------------------------------------ penalty

    function test_penalize_paysWholeChannelToVictim() public {
        ChannelHub.Channel memory ch = ethChannel();
        bytes32 id = open(ch);
        // A closes with state 3 (A has 9) after revoking it (it signed Revocation(4), so states ≤ 4 are revoked)
        ChannelHub.Htlc[] memory hs = oneHtlc(1, 1 ether, paymentHash(PREIMAGE), uint64(T0 + 5 days));
        closeWith(ch, alice, 3, 8 ether, 1 ether, hs);
        bytes memory revocation = sign(PK_A, revocationDigest(id, 4));
        uint256 b0 = bob.balance;
        uint256 a0 = alice.balance;
        vm.expectEmit(address(hub));
        emit ChannelPenalized(id, alice, bob, 4, TOTAL);
        hub.penalize(ch, 4, revocation);
        assertEq(bob.balance, b0 + TOTAL, "victim gets the whole channel, HTLCs included");
        assertEq(alice.balance, a0);
        assertEq(address(hub).balance, 0);
        assertEq(uint256(phaseOf(id)), uint256(ChannelHub.Phase.Settled));
        assertEq(hub.closingHash(id), bytes32(0));
    }

    function test_penalize_revocationOfExactSeq() public {
        ChannelHub.Channel memory ch = ethChannel();
        bytes32 id = open(ch);
        closeWith(ch, bob, 6, 1 ether, 9 ether, noHtlcs());
        uint256 a0 = alice.balance;
        hub.penalize(ch, 6, sign(PK_B, revocationDigest(id, 6)));
        assertEq(alice.balance, a0 + TOTAL);
    }

    function test_penalize_openingStateRevoked() public {
        ChannelHub.Channel memory ch = ethChannel();
        bytes32 id = open(ch);
        closeWith(ch, alice, 0, TOTAL, 0, noHtlcs());
        uint256 b0 = bob.balance;
        hub.penalize(ch, 0, sign(PK_A, revocationDigest(id, 0)));
        assertEq(bob.balance, b0 + TOTAL);
    }

    function test_penalize_revert_olderRevocation() public {
        ChannelHub.Channel memory ch = ethChannel();
        bytes32 id = open(ch);
        closeWith(ch, alice, 5, 9 ether, 1 ether, noHtlcs());
        bytes memory revocation = sign(PK_A, revocationDigest(id, 4));
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.RevocationTooOld.selector, uint64(5), uint64(4)));
        hub.penalize(ch, 4, revocation);
        assertEq(uint256(phaseOf(id)), uint256(ChannelHub.Phase.Closing));
    }

    function test_penalize_revert_wrongSigner() public {
        ChannelHub.Channel memory ch = ethChannel();
        bytes32 id = open(ch);
        closeWith(ch, alice, 5, 9 ether, 1 ether, noHtlcs());
        // the victim's own revocation does not penalize the submitter
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.BadSignature.selector, alice));
        hub.penalize(ch, 5, sign(PK_B, revocationDigest(id, 5)));
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.BadSignature.selector, alice));
        hub.penalize(ch, 5, sign(PK_C, revocationDigest(id, 5)));
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.BadSignature.selector, alice));
        hub.penalize(ch, 5, highS(sign(PK_A, revocationDigest(id, 5))));
        // signed for seq 6 but shown as 7
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.BadSignature.selector, alice));
        hub.penalize(ch, 7, sign(PK_A, revocationDigest(id, 6)));
        // a revocation of another channel
        ChannelHub.Channel memory other = channel(address(0), TOTAL, 1);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.BadSignature.selector, alice));
        hub.penalize(ch, 5, sign(PK_A, revocationDigest(idOf(other), 5)));
    }

    function test_penalize_revert_wrongPhase() public {
        ChannelHub.Channel memory ch = ethChannel();
        bytes32 id = open(ch);
        bytes memory revocation = sign(PK_A, revocationDigest(id, 0));
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.WrongPhase.selector, id, ChannelHub.Phase.Open));
        hub.penalize(ch, 0, revocation);
        closeWith(ch, alice, 0, TOTAL, 0, noHtlcs());
        vm.warp(block.timestamp + WINDOW + 1);
        hub.settle(ch, TOTAL, 0, noHtlcs());
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.WrongPhase.selector, id, ChannelHub.Phase.Settled));
        hub.penalize(ch, 0, revocation);
    }

    function test_penalize_afterDeadlineBeforeSettle() public {
        ChannelHub.Channel memory ch = ethChannel();
        bytes32 id = open(ch);
        closeWith(ch, alice, 2, 9 ether, 1 ether, noHtlcs());
        vm.warp(block.timestamp + 10 * WINDOW);
        uint256 b0 = bob.balance;
        hub.penalize(ch, 2, sign(PK_A, revocationDigest(id, 2)));
        assertEq(bob.balance, b0 + TOTAL);
    }

    function test_penalize_byWatchtower_gainsNothing() public {
        ChannelHub.Channel memory ch = ethChannel();
        bytes32 id = open(ch);
        closeWith(ch, bob, 1, 0, TOTAL, noHtlcs());
        uint256 c0 = carol.balance;
        uint256 a0 = alice.balance;
        vm.prank(carol);
        hub.penalize(ch, 3, sign(PK_B, revocationDigest(id, 3)));
        assertEq(carol.balance, c0);
        assertEq(alice.balance, a0 + TOTAL);
        assertEq(hub.withdrawable(address(0), carol), 0);
    }

    function test_penalize_afterPartyDispute_targetsTheNewSubmitter() public {
        ChannelHub.Channel memory ch = ethChannel();
        bytes32 id = open(ch);
        closeWith(ch, alice, 1, 9 ether, 1 ether, noHtlcs());
        disputeWith(ch, bob, 2, 5 ether, 5 ether, noHtlcs()); // now B's
        // A's revocation no longer proves anything about the stored state
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.BadSignature.selector, bob));
        hub.penalize(ch, 2, sign(PK_A, revocationDigest(id, 2)));
        uint256 a0 = alice.balance;
        hub.penalize(ch, 2, sign(PK_B, revocationDigest(id, 2))); // had B revoked state 2, it pays for it
        assertEq(alice.balance, a0 + TOTAL);
    }

    function test_penalize_erc20() public {
        ChannelHub.Channel memory ch = channel(address(token), 100 ether, 0);
        bytes32 id = open(ch);
        closeWith(ch, alice, 1, 100 ether, 0, noHtlcs());
        uint256 b0 = token.balanceOf(bob);
        hub.penalize(ch, 1, sign(PK_A, revocationDigest(id, 1)));
        assertEq(token.balanceOf(bob), b0 + 100 ether);
        assertEq(token.balanceOf(address(hub)), 0);
    }

    // ------------------------------------------------------------------------------------------------- settle

    function test_settle_revert_beforeDeadline() public {
        ChannelHub.Channel memory ch = ethChannel();
        bytes32 id = open(ch);
        closeWith(ch, alice, 0, TOTAL, 0, noHtlcs());
        uint64 deadline = uint64(block.timestamp + WINDOW);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.DisputeWindowOpen.selector, id, deadline));
        hub.settle(ch, TOTAL, 0, noHtlcs());
        vm.warp(deadline);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.DisputeWindowOpen.selector, id, deadline));
        hub.settle(ch, TOTAL, 0, noHtlcs());
        vm.warp(uint256(deadline) + 1);
        vm.expectEmit(address(hub));
        emit ChannelSettled(id, TOTAL, 0);
        hub.settle(ch, TOTAL, 0, noHtlcs());
        assertEq(uint256(phaseOf(id)), uint256(ChannelHub.Phase.Settled));
        assertEq(hub.closingHash(id), bytes32(0));
    }

    function test_settle_revert_wrongPhase() public {
        ChannelHub.Channel memory ch = ethChannel();
        bytes32 id = idOf(ch);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.WrongPhase.selector, id, ChannelHub.Phase.None));
        hub.settle(ch, TOTAL, 0, noHtlcs());
        open(ch);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.WrongPhase.selector, id, ChannelHub.Phase.Open));
        hub.settle(ch, TOTAL, 0, noHtlcs());
        closeWith(ch, alice, 0, TOTAL, 0, noHtlcs());
        vm.warp(block.timestamp + WINDOW + 1);
        hub.settle(ch, TOTAL, 0, noHtlcs());
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.WrongPhase.selector, id, ChannelHub.Phase.Settled));
        hub.settle(ch, TOTAL, 0, noHtlcs());
    }

    function test_settle_revert_stateMismatch() public {
        ChannelHub.Channel memory ch = ethChannel();
        bytes32 id = open(ch);
        ChannelHub.Htlc[] memory hs = oneHtlc(0, 1 ether, paymentHash(PREIMAGE), uint64(T0 + 1 hours));
        closeWith(ch, alice, 1, 6 ether, 3 ether, hs);
        vm.warp(block.timestamp + WINDOW + 1);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.StateMismatch.selector, id));
        hub.settle(ch, 5 ether, 4 ether, hs);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.StateMismatch.selector, id));
        hub.settle(ch, 6 ether, 4 ether, noHtlcs());
        hs[0].direction = 1;
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.StateMismatch.selector, id));
        hub.settle(ch, 6 ether, 3 ether, hs);
    }

    function test_settle_htlcRevealedBeforeExpiry_paysReceiver() public {
        ChannelHub.Channel memory ch = ethChannel();
        open(ch);
        uint64 expiry = uint64(T0 + 2 days);
        ChannelHub.Htlc[] memory hs = new ChannelHub.Htlc[](2);
        hs[0] = ChannelHub.Htlc(0, 2 ether, paymentHash(PREIMAGE), expiry); // A → B
        hs[1] = ChannelHub.Htlc(1, 1 ether, paymentHash(bytes32(uint256(42))), expiry); // B → A
        closeWith(ch, alice, 4, 5 ether, 2 ether, hs);
        vm.warp(T0 + 1 days);
        registry.reveal(PREIMAGE);
        vm.warp(expiry); // revealed exactly at expiry still counts
        registry.reveal(bytes32(uint256(42)));
        vm.warp(uint256(expiry) + 1);
        uint256 a0 = alice.balance;
        uint256 b0 = bob.balance;
        vm.expectEmit(address(hub));
        emit ChannelSettled(idOf(ch), 6 ether, 4 ether);
        hub.settle(ch, 5 ether, 2 ether, hs);
        assertEq(alice.balance, a0 + 6 ether);
        assertEq(bob.balance, b0 + 4 ether);
    }

    function test_settle_htlcRevealedAfterExpiry_refundsSender() public {
        ChannelHub.Channel memory ch = ethChannel();
        open(ch);
        uint64 expiry = uint64(T0 + 2 hours);
        ChannelHub.Htlc[] memory hs = oneHtlc(0, 3 ether, paymentHash(PREIMAGE), expiry);
        closeWith(ch, bob, 2, 4 ether, 3 ether, hs);
        vm.warp(uint256(expiry) + 1);
        registry.reveal(PREIMAGE); // too late
        vm.warp(T0 + WINDOW + 1);
        uint256 a0 = alice.balance;
        hub.settle(ch, 4 ether, 3 ether, hs);
        assertEq(alice.balance, a0 + 7 ether, "refunded to the sender A");
    }

    function test_settle_htlcNeverRevealed_refundsSender() public {
        ChannelHub.Channel memory ch = ethChannel();
        open(ch);
        uint64 expiry = uint64(T0 + 3 days);
        ChannelHub.Htlc[] memory hs = oneHtlc(1, 2 ether, paymentHash(PREIMAGE), expiry);
        closeWith(ch, bob, 2, 4 ether, 4 ether, hs);
        vm.warp(T0 + WINDOW + 1);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.HtlcPending.selector, 0, paymentHash(PREIMAGE), expiry));
        hub.settle(ch, 4 ether, 4 ether, hs);
        vm.warp(expiry); // not yet expired
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.HtlcPending.selector, 0, paymentHash(PREIMAGE), expiry));
        hub.settle(ch, 4 ether, 4 ether, hs);
        vm.warp(uint256(expiry) + 1);
        uint256 b0 = bob.balance;
        hub.settle(ch, 4 ether, 4 ether, hs);
        assertEq(bob.balance, b0 + 6 ether, "refunded to the sender B");
    }

    function test_settle_pendingHtlc_claimableOnceRevealed() public {
        ChannelHub.Channel memory ch = ethChannel();
        open(ch);
        uint64 expiry = uint64(T0 + 10 days);
        ChannelHub.Htlc[] memory hs = new ChannelHub.Htlc[](2);
        hs[0] = ChannelHub.Htlc(0, 1 ether, paymentHash(bytes32(uint256(1))), uint64(T0 + 1 hours)); // expires
        hs[1] = ChannelHub.Htlc(0, 2 ether, paymentHash(PREIMAGE), expiry);
        closeWith(ch, alice, 1, 7 ether, 0, hs);
        vm.warp(T0 + WINDOW + 1);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.HtlcPending.selector, 1, paymentHash(PREIMAGE), expiry));
        hub.settle(ch, 7 ether, 0, hs);
        registry.reveal(PREIMAGE);
        uint256 b0 = bob.balance;
        hub.settle(ch, 7 ether, 0, hs);
        assertEq(bob.balance, b0 + 2 ether);
    }

    function test_settle_erc20() public {
        ChannelHub.Channel memory ch = channel(address(token), 100 ether, 0);
        open(ch);
        ChannelHub.Htlc[] memory hs = oneHtlc(0, 10 ether, paymentHash(PREIMAGE), uint64(T0 + 1 days));
        closeWith(ch, alice, 3, 60 ether, 30 ether, hs);
        registry.reveal(PREIMAGE);
        vm.warp(T0 + WINDOW + 1);
        uint256 a0 = token.balanceOf(alice);
        uint256 b0 = token.balanceOf(bob);
        hub.settle(ch, 60 ether, 30 ether, hs);
        assertEq(token.balanceOf(alice), a0 + 60 ether);
        assertEq(token.balanceOf(bob), b0 + 40 ether);
        assertEq(token.balanceOf(address(hub)), 0);
    }

    function test_settle_byWatchtower_gainsNothing() public {
        ChannelHub.Channel memory ch = ethChannel();
        open(ch);
        closeWith(ch, alice, 1, 5 ether, 5 ether, noHtlcs());
        vm.warp(T0 + WINDOW + 1);
        uint256 c0 = carol.balance;
        vm.prank(carol);
        hub.settle(ch, 5 ether, 5 ether, noHtlcs());
        assertEq(carol.balance, c0);
        assertEq(address(hub).balance, 0);
    }

    // ------------------------------------------------------------------------------ failed pushes and withdraw

    function test_revertingEthRecipient_isCreditedAndWithdraws() public {
        vm.etch(bob, address(new TogglingReceiver()).code);
        TogglingReceiver(payable(bob)).setReject(true);
        ChannelHub.Channel memory ch = ethChannel();
        open(ch);
        closeWith(ch, alice, 1, 4 ether, 6 ether, noHtlcs());
        vm.warp(T0 + WINDOW + 1);
        uint256 b0 = bob.balance;
        uint256 a0 = alice.balance;
        vm.expectEmit(address(hub));
        emit PayoutCredited(address(0), bob, 6 ether);
        hub.settle(ch, 4 ether, 6 ether, noHtlcs());
        assertEq(alice.balance, a0 + 4 ether, "the other party is paid anyway");
        assertEq(bob.balance, b0);
        assertEq(hub.withdrawable(address(0), bob), 6 ether);
        assertEq(address(hub).balance, 6 ether);
        // still rejecting: withdraw fails and changes nothing
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.EthTransferFailed.selector, bob, 6 ether));
        hub.withdraw(address(0));
        TogglingReceiver(payable(bob)).setReject(false);
        vm.expectEmit(address(hub));
        emit Withdrawn(address(0), bob, 6 ether);
        vm.prank(bob);
        assertEq(hub.withdraw(address(0)), 6 ether);
        assertEq(bob.balance, b0 + 6 ether);
        assertEq(hub.withdrawable(address(0), bob), 0);
        assertEq(address(hub).balance, 0);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.NothingToWithdraw.selector, address(0), bob));
        hub.withdraw(address(0));
    }

    function test_gasBurningRecipient_isCreditedAndSettleCompletes() public {
        vm.etch(bob, address(new GasBurner()).code);
        ChannelHub.Channel memory ch = ethChannel();
        bytes32 id = open(ch);
        uint256 a0 = alice.balance;
        hub.closeCooperative(
            ch,
            1 ether,
            9 ether,
            sign(PK_A, coopDigest(id, 1 ether, 9 ether)),
            sign(PK_B, coopDigest(id, 1 ether, 9 ether))
        );
        assertEq(hub.withdrawable(address(0), bob), 9 ether);
        assertEq(alice.balance, a0 + 1 ether);
    }

    function test_reenteringRecipient_isCredited() public {
        vm.etch(alice, address(new Reenterer()).code);
        ChannelHub.Channel memory ch = ethChannel();
        bytes32 id = open(ch);
        closeWith(ch, bob, 1, 3 ether, 7 ether, noHtlcs());
        uint256 b0 = bob.balance;
        hub.penalize(ch, 1, sign(PK_B, revocationDigest(id, 1))); // pays alice, who re-enters withdraw
        assertEq(hub.withdrawable(address(0), alice), TOTAL);
        assertEq(bob.balance, b0);
        assertEq(address(hub).balance, TOTAL);
    }

    function test_failingTokenTransfer_isCreditedAndWithdraws() public {
        BlockToken blk = new BlockToken();
        assertTrue(blk.transfer(alice, 100 ether));
        vm.prank(alice);
        blk.approve(address(hub), type(uint256).max);
        ChannelHub.Channel memory ch = channel(address(blk), 100 ether, 0);
        bytes32 id = open(ch);
        blk.setBlocked(bob, true);
        vm.expectEmit(address(hub));
        emit PayoutCredited(address(blk), bob, 70 ether);
        hub.closeCooperative(
            ch,
            30 ether,
            70 ether,
            sign(PK_A, coopDigest(id, 30 ether, 70 ether)),
            sign(PK_B, coopDigest(id, 30 ether, 70 ether))
        );
        assertEq(blk.balanceOf(alice), 30 ether);
        assertEq(hub.withdrawable(address(blk), bob), 70 ether);
        vm.prank(bob);
        vm.expectRevert("blocked");
        hub.withdraw(address(blk));
        blk.setBlocked(bob, false);
        vm.prank(bob);
        hub.withdraw(address(blk));
        assertEq(blk.balanceOf(bob), 70 ether);
        assertEq(blk.balanceOf(address(hub)), 0);
    }

    function test_noStateChangeOnRejection() public {
        ChannelHub.Channel memory ch = ethChannel();
        bytes32 id = open(ch);
        closeWith(ch, alice, 2, 8 ether, 2 ether, noHtlcs());
        (ChannelHub.Phase p0, uint64 s0, uint64 d0, ChannelHub.Party sub0) = hub.status(id);
        bytes32 h0 = hub.closingHash(id);
        // a rejected dispute, penalty and settle each leave the channel exactly as it was
        ChannelHub.State memory s = stateOf(ch, 1, 5 ether, 5 ether, noHtlcs());
        bytes memory sigA = signState(PK_A, s);
        bytes memory sigB = signState(PK_B, s);
        vm.prank(bob);
        try hub.dispute(ch, s, noHtlcs(), sigA, sigB) {
            fail("dispute accepted");
        } catch {}
        try hub.penalize(ch, 1, sign(PK_A, revocationDigest(id, 1))) {
            fail("penalty accepted");
        } catch {}
        try hub.settle(ch, 8 ether, 2 ether, noHtlcs()) {
            fail("settle accepted");
        } catch {}
        (ChannelHub.Phase p1, uint64 s1, uint64 d1, ChannelHub.Party sub1) = hub.status(id);
        assertEq(uint256(p1), uint256(p0));
        assertEq(uint256(s1), uint256(s0));
        assertEq(uint256(d1), uint256(d0));
        assertEq(uint256(sub1), uint256(sub0));
        assertEq(hub.closingHash(id), h0);
        assertEq(address(hub).balance, TOTAL);
    }

    function test_logsCarryEverythingAWatcherNeeds() public {
        ChannelHub.Channel memory ch = ethChannel();
        vm.recordLogs();
        open(ch);
        ChannelHub.Htlc[] memory hs = oneHtlc(0, 1 ether, paymentHash(PREIMAGE), uint64(T0 + 1 days));
        closeWith(ch, alice, 4, 6 ether, 3 ether, hs);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        // rebuild the channel from ChannelOpened and the state from ChannelClosing, then settle with them alone
        ChannelHub.Channel memory rebuilt;
        rebuilt.partyA = address(uint160(uint256(logs[0].topics[2])));
        rebuilt.partyB = address(uint160(uint256(logs[0].topics[3])));
        (rebuilt.token, rebuilt.total, rebuilt.disputeWindow, rebuilt.nonce) =
            abi.decode(logs[0].data, (address, uint256, uint64, uint64));
        assertEq(logs[0].topics[1], hub.channelId(rebuilt));
        (, uint256 a, uint256 b,, ChannelHub.Htlc[] memory logged,) =
            abi.decode(logs[1].data, (uint64, uint256, uint256, bytes32, ChannelHub.Htlc[], uint64));
        registry.reveal(PREIMAGE);
        vm.warp(T0 + WINDOW + 1);
        hub.settle(rebuilt, a, b, logged);
        assertEq(uint256(phaseOf(idOf(ch))), uint256(ChannelHub.Phase.Settled));
    }
}
// forge-lint: disable-end(unsafe-typecast)
