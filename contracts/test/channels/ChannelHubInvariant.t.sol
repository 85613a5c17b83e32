// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ChannelHub} from "../../src/channels/ChannelHub.sol";
import {PreimageRegistry} from "../../src/channels/PreimageRegistry.sol";
import {Test} from "../utils/Test.sol";
import {BlockToken, ChannelVm, TogglingReceiver} from "./ChannelFixture.sol";

// forge-lint: disable-start(unsafe-typecast) test values are bounded where they are made

/// @notice Drives a ChannelHub with random channels between three keyed actors (one of them refuses ETH when
///         toggled, and the token can block any actor): opens (ETH or ERC-20), unilateral closes and disputes with
///         random states signed by vm.sign keys (sometimes by a wrong key, sometimes old), penalties with random
///         revocations, settles with random reveals and times, cooperative closes, withdrawals. It measures what
///         each call paid out of each channel (hub balance decrease plus new credits).
contract ChannelHandler is Test {
    ChannelVm internal constant cvm = ChannelVm(address(uint160(uint256(keccak256("hevm cheat code")))));
    uint256 internal constant ACTORS = 3;
    uint256 internal constant PREIMAGES = 4;

    struct Rec {
        ChannelHub.Channel ch;
        bytes32 id;
        uint256 pkA;
        uint256 pkB;
        bool closing;
        bool settled;
        bool submitterIsA;
        uint64 seq;
        uint256 balanceA;
        uint256 balanceB;
        uint256 paid;
    }

    ChannelHub public immutable hub;
    PreimageRegistry public immutable registry;
    BlockToken public immutable token;
    uint256[ACTORS] internal keys;
    address[ACTORS] public actors;

    Rec[] internal recs;
    mapping(uint256 index => ChannelHub.Htlc[]) internal storedHtlcs;

    bool public strangerGained;
    bool public paidWrongParty;
    uint256 public calls;
    uint256 public opened;
    uint256 public closedUnilaterally;
    uint256 public disputed;
    uint256 public penalized;
    uint256 public settled;
    uint256 public cooperative;
    uint256 public withdrawn;
    uint256 public credited;

    constructor(ChannelHub hub_, PreimageRegistry registry_, BlockToken token_) {
        hub = hub_;
        registry = registry_;
        token = token_;
        for (uint256 i = 0; i < ACTORS; i++) {
            keys[i] = 0x1000 + i;
            actors[i] = vm.addr(keys[i]);
            vm.prank(actors[i]);
            token_.approve(address(hub_), type(uint256).max);
        }
        // actor 2 is a smart account (code on its address) that can refuse ETH
        vm.etch(actors[2], address(new TogglingReceiver()).code);
    }

    // -------------------------------------------------------------------------------------------- helpers

    function rand(uint256 seed, uint256 i) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(seed, i)));
    }

    function preimage(uint256 i) public pure returns (bytes32) {
        return keccak256(abi.encode("preimage", i % PREIMAGES));
    }

    function channelCount() external view returns (uint256) {
        return recs.length;
    }

    function channelOf(uint256 i)
        external
        view
        returns (ChannelHub.Channel memory ch, bool isSettled, uint256 paid, bytes32 id)
    {
        Rec storage r = recs[i];
        return (r.ch, r.settled, r.paid, r.id);
    }

    function sign(uint256 pk, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = cvm.sign(pk, digest);
        return abi.encodePacked(r, s, v);
    }

    function balanceOf(address tok, address who) internal view returns (uint256) {
        return tok == address(0) ? who.balance : token.balanceOf(who);
    }

    /// @dev What a party holds plus what the hub credits it, in the channel's token.
    function worth(address tok, address who) internal view returns (uint256) {
        return balanceOf(tok, who) + hub.withdrawable(tok, who);
    }

    function creditsOf(address tok) public view returns (uint256 sum) {
        for (uint256 i = 0; i < ACTORS; i++) {
            sum += hub.withdrawable(tok, actors[i]);
        }
    }

    struct Snapshot {
        uint256 hubBalance;
        uint256 credits;
        uint256 worthA;
        uint256 worthB;
        uint256 worthStranger;
    }

    function snap(Rec storage r, address stranger) internal view returns (Snapshot memory s) {
        address tok = r.ch.token;
        s.hubBalance = balanceOf(tok, address(hub));
        s.credits = creditsOf(tok);
        s.worthA = worth(tok, r.ch.partyA);
        s.worthB = worth(tok, r.ch.partyB);
        s.worthStranger = stranger == address(0) ? 0 : worth(tok, stranger);
    }

    /// @dev Books what the call between `before` and now paid out of channel `r`, and who got it.
    function book(Rec storage r, Snapshot memory before, address stranger) internal {
        Snapshot memory afterwards = snap(r, stranger);
        uint256 out = before.hubBalance - afterwards.hubBalance + afterwards.credits - before.credits;
        r.paid += out;
        uint256 toParties = afterwards.worthA - before.worthA + afterwards.worthB - before.worthB;
        if (toParties != out) paidWrongParty = true;
        if (stranger != address(0) && afterwards.worthStranger != before.worthStranger) strangerGained = true;
        if (afterwards.credits > before.credits) credited++;
    }

    function strangerTo(Rec storage r) internal view returns (address) {
        for (uint256 i = 0; i < ACTORS; i++) {
            if (actors[i] != r.ch.partyA && actors[i] != r.ch.partyB) return actors[i];
        }
        return address(0);
    }

    /// @dev A random state of `r` with sequence number `seq`: a random split with up to 3 HTLCs (or the opening
    ///      state for seq 0).
    function randomState(Rec storage r, uint256 seed, uint64 seq)
        internal
        view
        returns (ChannelHub.State memory s, ChannelHub.Htlc[] memory hs)
    {
        uint256 total = r.ch.total;
        if (seq == 0) {
            hs = new ChannelHub.Htlc[](0);
            return (ChannelHub.State(r.id, 0, total, 0, keccak256(abi.encode(hs))), hs);
        }
        uint256 n = seed % 4;
        if (n > total) n = total;
        hs = new ChannelHub.Htlc[](n);
        uint256 left = total;
        for (uint256 i = 0; i < n; i++) {
            uint256 x = rand(seed, i);
            uint256 amount = 1 + x % (left - (n - i - 1));
            left -= amount;
            hs[i] = ChannelHub.Htlc(
                uint8(x >> 200) & 1,
                amount,
                sha256(abi.encode(preimage(x >> 100))),
                uint64(block.timestamp + (x >> 150) % 3 days)
            );
        }
        uint256 a = rand(seed, 99) % (left + 1);
        s = ChannelHub.State(r.id, seq, a, left - a, keccak256(abi.encode(hs)));
    }

    /// @dev Both signatures; one in eight is by a wrong key.
    function signBoth(Rec storage r, bytes32 digest, uint256 seed)
        internal
        view
        returns (bytes memory sigA, bytes memory sigB)
    {
        sigA = sign(seed % 8 == 1 ? keys[(seed >> 3) % ACTORS] : r.pkA, digest);
        sigB = sign(seed % 8 == 2 ? keys[(seed >> 3) % ACTORS] : r.pkB, digest);
    }

    function store(Rec storage r, uint256 index, ChannelHub.State memory s, ChannelHub.Htlc[] memory hs) internal {
        r.closing = true;
        r.seq = s.seq;
        r.balanceA = s.balanceA;
        r.balanceB = s.balanceB;
        delete storedHtlcs[index];
        for (uint256 i = 0; i < hs.length; i++) {
            storedHtlcs[index].push(hs[i]);
        }
    }

    uint256 internal constant OPEN = 1;
    uint256 internal constant CLOSING = 2;
    uint256 internal constant SETTLED = 4;

    /// @dev A channel index from `seed`: seven times in eight the first one from there (cyclically) whose phase is
    ///      in `phases` (a mask of OPEN, CLOSING, SETTLED), else any (so calls on the wrong phase are tried too).
    function choose(uint256 seed, uint256 phases) internal view returns (uint256 index) {
        uint256 n = recs.length;
        index = seed % n;
        if ((seed >> 128) % 8 == 0) return index;
        for (uint256 k = 0; k < n; k++) {
            uint256 i = (index + k) % n;
            Rec storage r = recs[i];
            uint256 phase = r.settled ? SETTLED : r.closing ? CLOSING : OPEN;
            if (phase & phases != 0) return i;
        }
    }

    // -------------------------------------------------------------------------------------------- actions

    function open(uint256 seedA, uint256 seedB, uint256 total, bool erc20, uint256 window) external {
        calls++;
        uint256 ia = seedA % ACTORS;
        uint256 ib = (ia + 1 + seedB % (ACTORS - 1)) % ACTORS;
        total = bound(total, 1, 10 ether);
        ChannelHub.Channel memory ch = ChannelHub.Channel(
            actors[ia],
            actors[ib],
            erc20 ? address(token) : address(0),
            total,
            uint64(window % 8 == 0 ? bound(window >> 3, 1, 1 hours) : bound(window >> 3, 1 hours, 2 days)),
            uint64(recs.length)
        );
        if (erc20) {
            token.setBlocked(actors[ia], false);
            require(token.transfer(actors[ia], total));
        } else {
            vm.deal(actors[ia], actors[ia].balance + total);
        }
        vm.prank(actors[ia]);
        bytes32 id = hub.open{value: erc20 ? 0 : total}(ch);
        Rec storage r = recs.push();
        r.ch = ch;
        r.id = id;
        r.pkA = keys[ia];
        r.pkB = keys[ib];
        opened++;
    }

    function closeUnilateral(uint256 channelSeed, uint256 seed, uint64 seq, bool byA) external {
        calls++;
        if (recs.length == 0) return;
        uint256 index = choose(channelSeed, OPEN);
        Rec storage r = recs[index];
        seq = uint64(bound(seq, 0, 12));
        (ChannelHub.State memory s, ChannelHub.Htlc[] memory hs) = randomState(r, seed, seq);
        (bytes memory sigA, bytes memory sigB) =
            seq == 0 ? (bytes(""), bytes("")) : signBoth(r, hub.hashState(s), seed >> 128);
        vm.prank(byA ? r.ch.partyA : r.ch.partyB);
        try hub.closeUnilateral(r.ch, s, hs, sigA, sigB) {
            store(r, index, s, hs);
            r.submitterIsA = byA;
            closedUnilaterally++;
        } catch {}
    }

    function dispute(uint256 channelSeed, uint256 seed, uint64 seq, uint256 callerSeed) external {
        calls++;
        if (recs.length == 0) return;
        uint256 index = choose(channelSeed, CLOSING);
        Rec storage r = recs[index];
        seq = uint64(bound(seq, 1, 24));
        (ChannelHub.State memory s, ChannelHub.Htlc[] memory hs) = randomState(r, seed, seq);
        (bytes memory sigA, bytes memory sigB) = signBoth(r, hub.hashState(s), seed >> 128);
        address caller = callerSeed % 3 == 0 ? r.ch.partyA : callerSeed % 3 == 1 ? r.ch.partyB : strangerTo(r);
        address stranger = strangerTo(r);
        Snapshot memory before = snap(r, stranger);
        vm.prank(caller);
        try hub.dispute(r.ch, s, hs, sigA, sigB) {
            store(r, index, s, hs);
            r.submitterIsA = caller == r.ch.partyA || (caller != r.ch.partyB && r.submitterIsA);
            disputed++;
        } catch {}
        book(r, before, stranger);
    }

    function penalize(uint256 channelSeed, uint64 revokedSeq, uint256 signerSeed) external {
        calls++;
        if (recs.length == 0) return;
        Rec storage r = recs[choose(channelSeed, CLOSING)];
        revokedSeq = uint64(bound(revokedSeq, 0, 24));
        // three times in four the submitter's key (a penalty if it covers the stored seq), else the other party's
        uint256 pk = (signerSeed % 4 == 0) == r.submitterIsA ? r.pkB : r.pkA;
        bytes memory sig = sign(pk, hub.hashRevocation(r.id, revokedSeq));
        address stranger = strangerTo(r);
        Snapshot memory before = snap(r, stranger);
        vm.prank(stranger);
        try hub.penalize(r.ch, revokedSeq, sig) {
            r.closing = false;
            r.settled = true;
            penalized++;
        } catch {}
        book(r, before, stranger);
    }

    function settle(uint256 channelSeed, uint256 secs, uint256 revealMask, bool wrongData) external {
        calls++;
        if (recs.length == 0) return;
        uint256 index = choose(channelSeed, CLOSING);
        Rec storage r = recs[index];
        vm.warp(block.timestamp + bound(secs, 0, 3 days));
        for (uint256 i = 0; i < PREIMAGES; i++) {
            if ((revealMask >> i) & 1 == 1) registry.reveal(preimage(i));
        }
        ChannelHub.Htlc[] memory hs = storedHtlcs[index];
        uint256 a = wrongData ? r.balanceA + 1 : r.balanceA;
        address stranger = strangerTo(r);
        Snapshot memory before = snap(r, stranger);
        vm.prank(stranger);
        try hub.settle(r.ch, a, r.balanceB, hs) {
            r.closing = false;
            r.settled = true;
            settled++;
        } catch {}
        book(r, before, stranger);
    }

    function closeCooperative(uint256 channelSeed, uint256 a, uint256 seed) external {
        calls++;
        if (recs.length == 0) return;
        Rec storage r = recs[choose(channelSeed, OPEN | CLOSING)];
        a = bound(a, 0, r.ch.total);
        // half of the time A's signature is a wrong one (so cooperative closes do not end most channels)
        (bytes memory sigA, bytes memory sigB) =
            signBoth(r, hub.hashCooperativeClose(r.id, a, r.ch.total - a), seed % 2 == 0 ? seed : 1);
        address stranger = strangerTo(r);
        Snapshot memory before = snap(r, stranger);
        vm.prank(stranger);
        try hub.closeCooperative(r.ch, a, r.ch.total - a, sigA, sigB) {
            r.closing = false;
            r.settled = true;
            cooperative++;
        } catch {}
        book(r, before, stranger);
    }

    function withdraw(uint256 actorSeed, bool erc20) external {
        calls++;
        address who = actors[actorSeed % ACTORS];
        for (uint256 k = 0; k < ACTORS && actorSeed % 4 != 0; k++) {
            address a = actors[(actorSeed + k) % ACTORS];
            if (hub.withdrawable(erc20 ? address(token) : address(0), a) != 0) who = a; // mostly one with a credit
        }
        vm.prank(who);
        try hub.withdraw(erc20 ? address(token) : address(0)) {
            withdrawn++;
        } catch {}
    }

    function toggle(uint256 actorSeed, bool rejectEth, bool blockToken) external {
        calls++;
        TogglingReceiver(payable(actors[2])).setReject(rejectEth);
        token.setBlocked(actors[actorSeed % ACTORS], blockToken);
    }

    function warp(uint256 secs) external {
        calls++;
        vm.warp(block.timestamp + bound(secs, 0, 2 days));
    }
}

/// @notice Invariants: no channel ever pays out more than its total (exactly its total once settled, nothing
///         before), only its parties are paid, a third party gains nothing, and the hub holds exactly every unsettled
///         channel's total plus every credit, in ETH and in the token.
contract ChannelHubInvariantTest is Test {
    ChannelHandler internal handler;
    ChannelHub internal hub;
    PreimageRegistry internal registry;
    BlockToken internal token;

    function setUp() public {
        vm.warp(1_700_000_000);
        registry = new PreimageRegistry();
        hub = new ChannelHub(registry);
        token = new BlockToken();
        handler = new ChannelHandler(hub, registry, token);
        assertTrue(token.transfer(address(handler), token.balanceOf(address(this))));
        targetContract(address(handler));
    }

    function invariant_channelsPayAtMostTheirTotal() public view {
        uint256 n = handler.channelCount();
        for (uint256 i = 0; i < n; i++) {
            (ChannelHub.Channel memory ch, bool isSettled, uint256 paid, bytes32 id) = handler.channelOf(i);
            (ChannelHub.Phase phase,,,) = hub.status(id);
            assertLe(paid, ch.total, "paid out <= total");
            if (isSettled) {
                assertEq(paid, ch.total, "a settled channel paid exactly its total");
                assertEq(uint256(phase), uint256(ChannelHub.Phase.Settled), "settled on the hub");
            } else {
                assertEq(paid, 0, "an unsettled channel paid nothing");
                assertTrue(phase == ChannelHub.Phase.Open || phase == ChannelHub.Phase.Closing, "not settled");
            }
        }
        assertFalse(handler.paidWrongParty(), "only the parties are paid");
        assertFalse(handler.strangerGained(), "a third party gains nothing");
    }

    function invariant_hubHoldsOpenTotalsPlusCredits() public view {
        uint256 n = handler.channelCount();
        uint256 ethLocked;
        uint256 tokenLocked;
        for (uint256 i = 0; i < n; i++) {
            (ChannelHub.Channel memory ch, bool isSettled,,) = handler.channelOf(i);
            if (isSettled) continue;
            if (ch.token == address(0)) ethLocked += ch.total;
            else tokenLocked += ch.total;
        }
        assertEq(address(hub).balance, ethLocked + handler.creditsOf(address(0)), "ETH");
        assertEq(token.balanceOf(address(hub)), tokenLocked + handler.creditsOf(address(token)), "token");
    }

    /// @dev Every path is reachable through the handler (a fixed run, not fuzzed).
    function test_handlerReachesEveryPath() public {
        handler.open(0, 0, 5 ether, false, 1 days); // 0: actor0 ↔ actor1, ETH
        handler.open(1, 0, 3 ether, true, 1 hours); // 1: actor1 ↔ actor2, token
        handler.open(2, 0, 4 ether, false, 1 hours); // 2: actor2 ↔ actor0, ETH (actor2 may refuse ETH)
        handler.open(0, 1, 2 ether, false, 1 hours); // 3: actor0 ↔ actor2, ETH
        handler.closeUnilateral(0, 3, 2, true);
        handler.dispute(0, 4, 5, 2); // by the stranger
        handler.penalize(0, 7, 1); // A's revocation: A stays the submitter after the watchtower's dispute
        handler.closeUnilateral(1, 8, 0, false);
        handler.settle(1, 2 hours, 0, false);
        handler.toggle(0, true, false);
        handler.closeCooperative(2, 1 ether, 0); // actor2 (A) refuses its 1 ether: credited
        handler.toggle(0, false, false);
        handler.withdraw(2, false);
        handler.closeUnilateral(3, 0, 0, true);
        handler.settle(3, 3 days, 0, true); // wrong data: refused
        emit log_named_uint("closed", handler.closedUnilaterally());
        emit log_named_uint("disputed", handler.disputed());
        emit log_named_uint("penalized", handler.penalized());
        emit log_named_uint("settled", handler.settled());
        emit log_named_uint("cooperative", handler.cooperative());
        emit log_named_uint("credited", handler.credited());
        emit log_named_uint("withdrawn", handler.withdrawn());
        assertEq(handler.opened(), 4, "opened");
        assertEq(handler.closedUnilaterally(), 3, "closed");
        assertEq(handler.disputed(), 1, "disputed");
        assertEq(handler.penalized(), 1, "penalized");
        assertEq(handler.settled(), 1, "settled");
        assertEq(handler.cooperative(), 1, "cooperative");
        assertEq(handler.credited(), 1, "credited");
        assertEq(handler.withdrawn(), 1, "withdrawn");
        invariant_channelsPayAtMostTheirTotal();
        invariant_hubHoldsOpenTotalsPlusCredits();
    }
}
// forge-lint: disable-end(unsafe-typecast)
