// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ChannelHub} from "../../src/channels/ChannelHub.sol";
import {ChannelFixture} from "./ChannelFixture.sol";

// forge-lint: disable-start(unsafe-typecast) test values are bounded where they are made

/// @notice Fuzz tests of single entry points: whatever the balances, HTLCs, reveals and sequence numbers, a channel
///         pays out exactly its total, to the right parties, or the call is rejected with the right error.
contract ChannelHubFuzzTest is ChannelFixture {
    uint256 internal constant MAX_FUZZ_HTLCS = 12;

    struct Built {
        ChannelHub.Htlc[] hs;
        uint256 a;
        uint256 b;
        uint256 expectA;
        uint256 expectB;
        bytes32[] early;
        bytes32[] late;
    }

    function rand(uint256 seed, uint256 i) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(seed, i)));
    }

    /// @dev A random valid split of `total` into balances and up to MAX_FUZZ_HTLCS HTLCs, each revealed in time,
    ///      revealed too late, or never, and the payouts the spec gives for it.
    function build(uint256 total, uint256 seed, uint256 n) internal pure returns (Built memory x) {
        if (n > total) n = total;
        x.hs = new ChannelHub.Htlc[](n);
        x.early = new bytes32[](n);
        x.late = new bytes32[](n);
        uint256 ne;
        uint256 nl;
        uint256 left = total;
        for (uint256 i = 0; i < n; i++) {
            uint256 r = rand(seed, i);
            // leave at least 1 for each remaining HTLC; small amounts most of the time
            uint256 max = left - (n - i - 1);
            uint256 amount = 1 + (r % (r % 3 == 0 ? max : (max < 1000 ? max : max / (n + 1))));
            left -= amount;
            bytes32 preimage = bytes32(rand(seed, 1000 + i));
            uint8 direction = uint8((r >> 8) & 1);
            uint64 expiry = uint64(T0 + 1 hours + (r >> 16) % 10 days);
            x.hs[i] = ChannelHub.Htlc(direction, amount, sha256(abi.encode(preimage)), expiry);
            uint256 mode = (r >> 80) % 3; // 0: revealed in time, 1: revealed after expiry, 2: never
            bool toReceiver = mode == 0;
            if (mode == 0) x.early[ne++] = preimage;
            else if (mode == 1) x.late[nl++] = preimage;
            if ((direction == 0) == toReceiver) x.expectB += amount;
            else x.expectA += amount;
        }
        assembly ("memory-safe") {
            mstore(mload(add(x, 0xa0)), ne)
            mstore(mload(add(x, 0xc0)), nl)
        }
        x.a = rand(seed, 999) % (left + 1);
        x.b = left - x.a;
        x.expectA += x.a;
        x.expectB += x.b;
    }

    /// @dev Random balances and HTLC sets, ETH or ERC-20, closed by either party (possibly disputed): settle pays
    ///      exactly `total`, split as the spec says, and leaves nothing in the hub.
    function testFuzz_settle_payoutSumIsTotal(uint256 total, uint256 seed, uint8 n, bool erc20, bool disputed) public {
        total = bound(total, 1, erc20 ? 1_000_000 ether : 100 ether);
        Built memory x = build(total, seed, n % (MAX_FUZZ_HTLCS + 1));
        ChannelHub.Channel memory ch = channel(erc20 ? address(token) : address(0), total, uint64(seed));
        bytes32 id = open(ch);
        address closer = seed & 1 == 0 ? alice : bob;
        if (disputed) {
            closeWith(ch, closer, 0, total, 0, noHtlcs());
            disputeWith(ch, carol, uint64(1 + (seed >> 8) % 1000), x.a, x.b, x.hs);
        } else {
            closeWith(ch, closer, uint64(1 + (seed >> 8) % 1000), x.a, x.b, x.hs);
        }
        vm.warp(T0 + 1);
        registry.revealMany(x.early);
        vm.warp(T0 + 20 days); // after every expiry and the dispute window
        registry.revealMany(x.late);
        uint256 a0 = balanceOf(ch.token, alice);
        uint256 b0 = balanceOf(ch.token, bob);
        vm.expectEmit(address(hub));
        emit ChannelSettled(id, x.expectA, x.expectB);
        hub.settle(ch, x.a, x.b, x.hs);
        assertEq(balanceOf(ch.token, alice) - a0, x.expectA, "A");
        assertEq(balanceOf(ch.token, bob) - b0, x.expectB, "B");
        assertEq(x.expectA + x.expectB, total, "sum");
        assertEq(balanceOf(ch.token, address(hub)), 0, "hub empty");
    }

    function balanceOf(address token_, address who) internal view returns (uint256) {
        return token_ == address(0) ? who.balance : token.balanceOf(who);
    }

    /// @dev Balances and one HTLC that do not add up to the total are rejected, whatever their values.
    function testFuzz_closeUnilateral_sumMustBeTotal(uint256 a, uint256 b, uint256 h) public {
        ChannelHub.Channel memory ch = ethChannel();
        bytes32 id = open(ch);
        h = bound(h, 1, type(uint256).max);
        ChannelHub.Htlc[] memory hs = oneHtlc(0, h, bytes32(0), uint64(T0 + 1 days));
        ChannelHub.State memory s = stateOf(ch, 1, a, b, hs);
        bytes memory sigA = signState(PK_A, s);
        bytes memory sigB = signState(PK_B, s);
        (bool overflow, uint256 sum) = add3(a, b, h);
        vm.prank(alice);
        if (overflow) {
            vm.expectRevert(abi.encodeWithSelector(ChannelHub.BalancesDoNotAddUp.selector, TOTAL, type(uint256).max));
        } else if (sum != TOTAL) {
            vm.expectRevert(abi.encodeWithSelector(ChannelHub.BalancesDoNotAddUp.selector, TOTAL, sum));
        }
        hub.closeUnilateral(ch, s, hs, sigA, sigB);
        if (!overflow && sum == TOTAL) assertEq(uint256(phaseOf(id)), uint256(ChannelHub.Phase.Closing));
        else assertEq(uint256(phaseOf(id)), uint256(ChannelHub.Phase.Open));
    }

    function add3(uint256 a, uint256 b, uint256 c) internal pure returns (bool overflow, uint256 sum) {
        unchecked {
            sum = a + b;
            if (sum < a) return (true, 0);
            uint256 s2 = sum + c;
            if (s2 < sum) return (true, 0);
            return (false, s2);
        }
    }

    /// @dev Any split signed by both closes the channel at once, paying exactly the total.
    function testFuzz_closeCooperative_anySplit(uint256 total, uint256 a) public {
        total = bound(total, 1, 100 ether);
        a = bound(a, 0, total);
        ChannelHub.Channel memory ch = channel(address(0), total, 0);
        bytes32 id = open(ch);
        bytes memory sigA = sign(PK_A, coopDigest(id, a, total - a));
        bytes memory sigB = sign(PK_B, coopDigest(id, a, total - a));
        uint256 a0 = alice.balance;
        uint256 b0 = bob.balance;
        hub.closeCooperative(ch, a, total - a, sigA, sigB);
        assertEq(alice.balance - a0, a);
        assertEq(bob.balance - b0, total - a);
        assertEq(address(hub).balance, 0);
    }

    /// @dev A dispute succeeds iff its seq is above the stored one (before the deadline).
    function testFuzz_dispute_onlyNewer(uint64 closedSeq, uint64 newSeq) public {
        ChannelHub.Channel memory ch = ethChannel();
        bytes32 id = open(ch);
        closeWith(ch, alice, closedSeq, closedSeq == 0 ? TOTAL : 6 ether, closedSeq == 0 ? 0 : 4 ether, noHtlcs());
        ChannelHub.State memory s = stateOf(ch, newSeq, 1 ether, 9 ether, noHtlcs());
        bytes memory sigA = signState(PK_A, s);
        bytes memory sigB = signState(PK_B, s);
        if (newSeq <= closedSeq) {
            vm.expectRevert(abi.encodeWithSelector(ChannelHub.StateNotNewer.selector, closedSeq, newSeq));
        }
        vm.prank(bob);
        hub.dispute(ch, s, noHtlcs(), sigA, sigB);
        (, uint64 seq,,) = hub.status(id);
        assertEq(uint256(seq), newSeq > closedSeq ? newSeq : closedSeq);
    }

    /// @dev A revocation penalizes iff it covers the stored seq and is the submitter's; the victim gets everything.
    function testFuzz_penalize(uint64 closedSeq, uint64 revokedSeq, bool closerIsA, bool signerIsCloser) public {
        ChannelHub.Channel memory ch = ethChannel();
        bytes32 id = open(ch);
        address closer = closerIsA ? alice : bob;
        address victim = closerIsA ? bob : alice;
        closeWith(ch, closer, closedSeq, closedSeq == 0 ? TOTAL : 3 ether, closedSeq == 0 ? 0 : 7 ether, noHtlcs());
        uint256 signer = signerIsCloser == closerIsA ? PK_A : PK_B;
        bytes memory sig = sign(signer, revocationDigest(id, revokedSeq));
        uint256 v0 = victim.balance;
        uint256 c0 = closer.balance;
        if (revokedSeq < closedSeq) {
            vm.expectRevert(abi.encodeWithSelector(ChannelHub.RevocationTooOld.selector, closedSeq, revokedSeq));
        } else if (!signerIsCloser) {
            vm.expectRevert(abi.encodeWithSelector(ChannelHub.BadSignature.selector, closer));
        }
        vm.prank(carol);
        hub.penalize(ch, revokedSeq, sig);
        if (revokedSeq >= closedSeq && signerIsCloser) {
            assertEq(victim.balance - v0, TOTAL);
            assertEq(address(hub).balance, 0);
        } else {
            assertEq(victim.balance, v0);
            assertEq(address(hub).balance, TOTAL);
        }
        assertEq(closer.balance, c0);
    }

    /// @dev The malleable twin (s' = N − s) of any valid signature is rejected.
    function testFuzz_highS_rejected(uint256 a, uint256 keySeed) public {
        a = bound(a, 0, TOTAL);
        uint256 pk = bound(keySeed, 1, N - 1);
        vm.assume(pk != PK_B);
        ChannelHub.Channel memory ch = ChannelHub.Channel(vm.addr(pk), bob, address(0), TOTAL, WINDOW, 0);
        bytes32 id = open(ch);
        bytes32 d = coopDigest(id, a, TOTAL - a);
        bytes memory sigA = sign(pk, d);
        bytes memory sigB = sign(PK_B, d);
        vm.expectRevert(abi.encodeWithSelector(ChannelHub.BadSignature.selector, ch.partyA));
        hub.closeCooperative(ch, a, TOTAL - a, highS(sigA), sigB);
        hub.closeCooperative(ch, a, TOTAL - a, sigA, sigB);
        assertEq(address(hub).balance, 0);
    }
}
// forge-lint: disable-end(unsafe-typecast)
