// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {StakeManager} from "../../src/sidechain/StakeManager.sol";
import {Test} from "../utils/Test.sol";

/// @notice Cheatcodes these tests need beyond test/utils/Vm.sol (signatures match forge's).
interface SidechainVm {
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
}

/// @notice A reporter whose ETH receipt can be switched off (its reward is then credited, and claimed later).
contract ToggleReceiver {
    bool public accept;

    function setAccept(bool value) external {
        accept = value;
    }

    function report(
        StakeManager sm,
        StakeManager.Vote calldata a,
        bytes calldata sigA,
        StakeManager.Vote calldata b,
        bytes calldata sigB
    ) external {
        sm.slashDoubleSign(a, sigA, b, sigB);
    }

    function claim(StakeManager sm) external {
        sm.claim();
    }

    receive() external payable {
        require(accept, "refused");
    }
}

/// @notice Signing helpers shared by the unit tests and the invariant handler: the digest is rebuilt here from
///         docs/sidechain.md's rules, independently of `StakeManager.hashVote`.
abstract contract SidechainSigning {
    SidechainVm internal constant svm = SidechainVm(address(uint160(uint256(keccak256("hevm cheat code")))));
    uint256 internal constant N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    function domainSeparatorOf(address sm) internal view returns (bytes32) {
        return keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("l2kit sidechain"),
                keccak256("1"),
                block.chainid,
                sm
            )
        );
    }

    function digestOf(address sm, StakeManager.Vote memory v) internal view returns (bytes32) {
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256("Vote(uint8 voteType,uint64 height,uint32 round,bytes32 blockHash)"),
                v.voteType,
                v.height,
                v.round,
                v.blockHash
            )
        );
        return keccak256(abi.encodePacked("\x19\x01", domainSeparatorOf(sm), structHash));
    }

    /// @dev A 65-byte `r ‖ s ‖ v` signature (forge signs with low s).
    function signVote(address sm, uint256 pk, StakeManager.Vote memory v) internal view returns (bytes memory) {
        (uint8 vv, bytes32 r, bytes32 s) = svm.sign(pk, digestOf(sm, v));
        return abi.encodePacked(r, s, vv);
    }

    /// @dev The malleable twin: s' = N − s, v flipped (same signer for plain `ecrecover`).
    function highS(bytes memory sig) internal pure returns (bytes memory) {
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly ("memory-safe") {
            r := mload(add(sig, 0x20))
            s := mload(add(sig, 0x40))
            v := byte(0, mload(add(sig, 0x60)))
        }
        return abi.encodePacked(r, bytes32(N - uint256(s)), v == 27 ? uint8(28) : uint8(27));
    }
}

contract StakeManagerTest is Test, SidechainSigning {
    uint256 internal constant MIN = 1 ether;
    uint64 internal constant DELAY = 7 days;
    uint256 internal constant MAX = 4;

    StakeManager internal sm;
    address internal reporter = makeAddr("reporter");

    function setUp() public {
        sm = new StakeManager(MIN, DELAY, MAX);
        vm.warp(1_000_000);
    }

    // ------------------------------------------------------------------------------------------------ helpers

    function addrOf(uint256 pk) internal pure returns (address) {
        return vm.addr(pk);
    }

    function stakeAs(uint256 pk, uint256 amount) internal {
        address who = vm.addr(pk);
        vm.deal(who, who.balance + amount);
        vm.prank(who);
        sm.stake{value: amount}();
    }

    function vote(uint8 t, uint64 h, uint32 r, bytes32 blockHash) internal pure returns (StakeManager.Vote memory) {
        return StakeManager.Vote({voteType: t, height: h, round: r, blockHash: blockHash});
    }

    /// @dev Everything a refused call must leave unchanged.
    function fingerprint() internal view returns (bytes32) {
        (address[] memory addrs, uint256[] memory powers) = sm.validators();
        return keccak256(
            abi.encode(
                sm.epoch(),
                sm.totalPower(),
                sm.totalUnbonding(),
                sm.totalCredits(),
                sm.burnt(),
                address(sm).balance,
                reporter.balance,
                addrs,
                powers
            )
        );
    }

    /// @dev Expects `slashDoubleSign(a, sigA, b, sigB)` to revert with `err` and change nothing.
    function expectSlashRefused(
        StakeManager.Vote memory a,
        bytes memory sigA,
        StakeManager.Vote memory b,
        bytes memory sigB,
        bytes memory err
    ) internal {
        bytes32 before = fingerprint();
        vm.prank(reporter);
        vm.expectRevert(err);
        sm.slashDoubleSign(a, sigA, b, sigB);
        assertEq(fingerprint(), before, "refused slash changed state");
    }

    // --------------------------------------------------------------------------------------------- constructor

    function test_constructor_refusesBadConfig() public {
        vm.expectRevert(StakeManager.ZeroMinStake.selector);
        new StakeManager(0, DELAY, MAX);
        vm.expectRevert(abi.encodeWithSelector(StakeManager.MaxValidatorsOutOfRange.selector, 0));
        new StakeManager(MIN, DELAY, 0);
        vm.expectRevert(abi.encodeWithSelector(StakeManager.MaxValidatorsOutOfRange.selector, 10_001));
        new StakeManager(MIN, DELAY, 10_001);
        StakeManager ok = new StakeManager(MIN, 0, 10_000);
        assertEq(ok.maxValidators(), 10_000);
        assertEq(ok.epoch(), 0);
    }

    // --------------------------------------------------------------------------------------------------- stake

    function test_stake_joins() public {
        address a = addrOf(1);
        vm.deal(a, 2 ether);
        vm.expectEmit(address(sm));
        emit StakeManager.ValidatorJoined(a, 2 ether, 1);
        vm.expectEmit(address(sm));
        emit StakeManager.PowerChanged(a, 2 ether, 1);
        vm.prank(a);
        sm.stake{value: 2 ether}();
        assertTrue(sm.isValidator(a));
        assertEq(sm.powerOf(a), 2 ether);
        assertEq(sm.totalPower(), 2 ether);
        assertEq(sm.epoch(), 1);
        assertEq(sm.validatorCount(), 1);
        assertEq(address(sm).balance, 2 ether);
        (uint256 amount, uint64 at, StakeManager.Status status) = sm.stakeOf(a);
        assertEq(amount, 2 ether);
        assertEq(uint256(at), 0);
        assertEq(uint256(status), uint256(StakeManager.Status.Active));
    }

    function test_stake_topUp() public {
        address a = addrOf(1);
        stakeAs(1, MIN);
        vm.deal(a, 1);
        vm.expectEmit(address(sm));
        emit StakeManager.StakeIncreased(a, 1, MIN + 1, 2);
        vm.prank(a);
        sm.stake{value: 1}(); // a top-up may be below minStake
        assertEq(sm.powerOf(a), MIN + 1);
        assertEq(sm.totalPower(), MIN + 1);
        assertEq(sm.epoch(), 2);
        assertEq(sm.validatorCount(), 1);
    }

    function test_stake_refusesZeroAndBelowMinimum() public {
        address a = addrOf(1);
        vm.deal(a, 10 ether);
        vm.prank(a);
        vm.expectRevert(StakeManager.ZeroStake.selector);
        sm.stake{value: 0}();
        vm.prank(a);
        vm.expectRevert(abi.encodeWithSelector(StakeManager.StakeBelowMinimum.selector, MIN, MIN - 1));
        sm.stake{value: MIN - 1}();
        assertEq(sm.epoch(), 0);
        assertFalse(sm.isValidator(a));
    }

    function test_stake_refusesWhenSetFull() public {
        for (uint256 pk = 1; pk <= MAX; pk++) {
            stakeAs(pk, MIN);
        }
        address e = addrOf(99);
        vm.deal(e, MIN);
        vm.prank(e);
        vm.expectRevert(abi.encodeWithSelector(StakeManager.ValidatorSetFull.selector, MAX));
        sm.stake{value: MIN}();
        // a leaving validator frees a seat at once
        vm.prank(addrOf(2));
        sm.startUnbond();
        vm.prank(e);
        sm.stake{value: MIN}();
        assertEq(sm.validatorCount(), MAX);
        assertTrue(sm.isValidator(e));
    }

    function test_stake_refusesTotalPowerAtBound() public {
        address a = addrOf(1);
        uint256 big = 2 ** 128;
        vm.deal(a, big);
        vm.prank(a);
        vm.expectRevert(abi.encodeWithSelector(StakeManager.TotalPowerTooLarge.selector, big));
        sm.stake{value: big}();
        vm.prank(a);
        sm.stake{value: big - 1}();
        assertEq(sm.totalPower(), big - 1);
    }

    function test_stake_refusesWhileUnbonding() public {
        stakeAs(1, MIN);
        vm.prank(addrOf(1));
        sm.startUnbond();
        vm.deal(addrOf(1), MIN);
        vm.prank(addrOf(1));
        vm.expectRevert(
            abi.encodeWithSelector(StakeManager.AlreadyUnbonding.selector, addrOf(1), uint64(block.timestamp) + DELAY)
        );
        sm.stake{value: MIN}();
    }

    function test_validators_ascendingOrder() public {
        StakeManager big = new StakeManager(MIN, DELAY, 100);
        sm = big;
        uint256[6] memory pks = [uint256(0xBEEF), 7, 0xA11CE, 3, 0xB0B, 12345];
        for (uint256 i = 0; i < pks.length; i++) {
            stakeAs(pks[i], MIN + i);
        }
        _checkSorted(6);
        vm.prank(addrOf(7));
        sm.startUnbond();
        vm.prank(addrOf(0xBEEF));
        sm.startUnbond();
        _checkSorted(4);
        stakeAs(0xC0FFEE, 5 ether);
        _checkSorted(5);
    }

    function _checkSorted(uint256 count) internal view {
        (address[] memory addrs, uint256[] memory powers) = sm.validators();
        assertEq(addrs.length, count, "count");
        assertEq(powers.length, count, "powers");
        uint256 sum;
        for (uint256 i = 0; i < addrs.length; i++) {
            if (i > 0) assertTrue(addrs[i - 1] < addrs[i], "strictly ascending");
            assertEq(powers[i], sm.powerOf(addrs[i]), "power");
            sum += powers[i];
        }
        assertEq(sum, sm.totalPower(), "total");
    }

    // --------------------------------------------------------------------------------------- unbond / withdraw

    function test_unbondAndWithdraw_timing() public {
        address a = addrOf(1);
        stakeAs(1, 3 ether);
        stakeAs(2, MIN);
        uint64 at = uint64(block.timestamp) + DELAY;
        vm.expectEmit(address(sm));
        emit StakeManager.UnbondingStarted(a, 3 ether, at, 3);
        vm.expectEmit(address(sm));
        emit StakeManager.PowerChanged(a, 0, 3);
        vm.prank(a);
        sm.startUnbond();
        assertFalse(sm.isValidator(a));
        assertEq(sm.powerOf(a), 0);
        assertEq(sm.totalPower(), MIN);
        assertEq(sm.totalUnbonding(), 3 ether);
        assertEq(sm.epoch(), 3);
        (, uint64 withdrawableAt, StakeManager.Status status) = sm.stakeOf(a);
        assertEq(uint256(withdrawableAt), uint256(at));
        assertEq(uint256(status), uint256(StakeManager.Status.Unbonding));

        vm.prank(a);
        vm.expectRevert(abi.encodeWithSelector(StakeManager.NotActiveValidator.selector, a));
        sm.startUnbond();

        vm.warp(at - 1);
        vm.prank(a);
        vm.expectRevert(abi.encodeWithSelector(StakeManager.UnbondingNotOver.selector, at));
        sm.withdraw();

        vm.warp(at);
        uint256 before = a.balance;
        vm.expectEmit(address(sm));
        emit StakeManager.Withdrawn(a, 3 ether);
        vm.prank(a);
        sm.withdraw();
        assertEq(a.balance, before + 3 ether);
        assertEq(sm.totalUnbonding(), 0);
        assertEq(address(sm).balance, MIN);
        assertEq(sm.epoch(), 3, "withdraw is no set change");

        vm.prank(a);
        vm.expectRevert(abi.encodeWithSelector(StakeManager.NotUnbonding.selector, a));
        sm.withdraw();
        // an active validator and a stranger cannot withdraw either
        vm.prank(addrOf(2));
        vm.expectRevert(abi.encodeWithSelector(StakeManager.NotUnbonding.selector, addrOf(2)));
        sm.withdraw();
        // after withdrawing, the address may join again
        stakeAs(1, MIN);
        assertTrue(sm.isValidator(a));
    }

    function test_withdraw_revertsWhenRecipientRefuses() public {
        ToggleReceiver r = new ToggleReceiver();
        vm.deal(address(r), MIN);
        vm.prank(address(r));
        sm.stake{value: MIN}();
        vm.prank(address(r));
        sm.startUnbond();
        vm.warp(block.timestamp + DELAY);
        vm.prank(address(r));
        vm.expectRevert(abi.encodeWithSelector(StakeManager.EthTransferFailed.selector, address(r), MIN));
        sm.withdraw();
        r.setAccept(true);
        vm.prank(address(r));
        sm.withdraw();
        assertEq(address(r).balance, MIN);
    }

    // ------------------------------------------------------------------------------------------------ slashing

    function test_slash_activeValidator() public {
        address a = addrOf(1);
        stakeAs(1, 3 ether + 1);
        stakeAs(2, MIN);
        StakeManager.Vote memory va = vote(2, 7, 1, bytes32(uint256(1)));
        StakeManager.Vote memory vb = vote(2, 7, 1, bytes32(0)); // nil conflicts with a block too
        bytes memory sa = signVote(address(sm), 1, va);
        bytes memory sb = signVote(address(sm), 1, vb);

        vm.expectEmit(address(sm));
        emit StakeManager.PowerChanged(a, 0, 3);
        vm.expectEmit(address(sm));
        emit StakeManager.Slashed(a, reporter, 2, 7, 1, 3 ether + 1, 1.5 ether, 1.5 ether + 1, 3);
        vm.prank(reporter);
        address slashed = sm.slashDoubleSign(va, sa, vb, sb);

        assertEq(slashed, a);
        assertEq(reporter.balance, 1.5 ether, "reporter paid half");
        assertEq(sm.burnt(), 1.5 ether + 1, "rest burnt");
        assertEq(address(sm).balance, MIN + 1.5 ether + 1, "burnt stays in the contract");
        assertFalse(sm.isValidator(a));
        assertEq(sm.powerOf(a), 0);
        assertEq(sm.totalPower(), MIN);
        assertEq(sm.epoch(), 3, "epoch bumped");
        assertEq(sm.validatorCount(), 1);
        (uint256 amount,, StakeManager.Status status) = sm.stakeOf(a);
        assertEq(amount, 0);
        assertEq(uint256(status), uint256(StakeManager.Status.Slashed));

        // tombstoned: cannot come back with the same key
        vm.deal(a, MIN);
        vm.prank(a);
        vm.expectRevert(abi.encodeWithSelector(StakeManager.AlreadySlashed.selector, a));
        sm.stake{value: MIN}();
    }

    function test_slash_unbondingValidator() public {
        address a = addrOf(1);
        stakeAs(1, 2 ether);
        vm.prank(a);
        sm.startUnbond();
        vm.warp(block.timestamp + DELAY - 1); // last second before the withdrawal
        StakeManager.Vote memory va = vote(1, 3, 0, keccak256("x"));
        StakeManager.Vote memory vb = vote(1, 3, 0, keccak256("y"));
        vm.prank(reporter);
        sm.slashDoubleSign(va, signVote(address(sm), 1, va), vb, signVote(address(sm), 1, vb));
        assertEq(reporter.balance, 1 ether);
        assertEq(sm.totalUnbonding(), 0);
        assertEq(sm.epoch(), 2, "no set change: it had left already");
        vm.warp(block.timestamp + 1);
        vm.prank(a);
        vm.expectRevert(abi.encodeWithSelector(StakeManager.NotUnbonding.selector, a));
        sm.withdraw();
    }

    function test_slash_creditsRefusingReporter() public {
        stakeAs(1, 2 ether);
        ToggleReceiver r = new ToggleReceiver();
        StakeManager.Vote memory va = vote(2, 1, 0, keccak256("x"));
        StakeManager.Vote memory vb = vote(2, 1, 0, keccak256("y"));
        vm.expectEmit(address(sm));
        emit StakeManager.RewardCredited(address(r), 1 ether);
        r.report(sm, va, signVote(address(sm), 1, va), vb, signVote(address(sm), 1, vb));
        assertEq(sm.credits(address(r)), 1 ether);
        assertEq(sm.totalCredits(), 1 ether);
        assertEq(address(sm).balance, 2 ether);
        vm.expectRevert(abi.encodeWithSelector(StakeManager.EthTransferFailed.selector, address(r), 1 ether));
        r.claim(sm);
        r.setAccept(true);
        r.claim(sm);
        assertEq(address(r).balance, 1 ether);
        assertEq(sm.totalCredits(), 0);
        vm.expectRevert(abi.encodeWithSelector(StakeManager.NothingToClaim.selector, address(r)));
        r.claim(sm);
    }

    function test_slash_refusesSameBlockHash() public {
        stakeAs(1, MIN);
        StakeManager.Vote memory v = vote(2, 7, 1, keccak256("b"));
        bytes memory s1 = signVote(address(sm), 1, v);
        expectSlashRefused(v, s1, v, s1, abi.encodeWithSelector(StakeManager.SameBlockHash.selector, v.blockHash));
    }

    function test_slash_refusesDifferentSlots() public {
        stakeAs(1, MIN);
        StakeManager.Vote memory a = vote(2, 7, 1, keccak256("a"));
        bytes memory sa = signVote(address(sm), 1, a);
        StakeManager.Vote memory h = vote(2, 8, 1, keccak256("b"));
        expectSlashRefused(
            a, sa, h, signVote(address(sm), 1, h), abi.encodeWithSelector(StakeManager.HeightMismatch.selector, 7, 8)
        );
        StakeManager.Vote memory r = vote(2, 7, 2, keccak256("b"));
        expectSlashRefused(
            a, sa, r, signVote(address(sm), 1, r), abi.encodeWithSelector(StakeManager.RoundMismatch.selector, 1, 2)
        );
        StakeManager.Vote memory t = vote(1, 7, 1, keccak256("b"));
        expectSlashRefused(
            a, sa, t, signVote(address(sm), 1, t), abi.encodeWithSelector(StakeManager.VoteTypeMismatch.selector, 2, 1)
        );
    }

    function test_slash_refusesInvalidVoteType() public {
        stakeAs(1, MIN);
        for (uint8 t = 0; t < 5; t += 3) {
            // types 0 and 3
            StakeManager.Vote memory a = vote(t, 7, 1, keccak256("a"));
            StakeManager.Vote memory b = vote(t, 7, 1, keccak256("b"));
            expectSlashRefused(
                a,
                signVote(address(sm), 1, a),
                b,
                signVote(address(sm), 1, b),
                abi.encodeWithSelector(StakeManager.InvalidVoteType.selector, t)
            );
        }
    }

    function test_slash_refusesDifferentSigners() public {
        stakeAs(1, MIN);
        stakeAs(2, MIN);
        StakeManager.Vote memory a = vote(1, 7, 1, keccak256("a"));
        StakeManager.Vote memory b = vote(1, 7, 1, keccak256("b"));
        expectSlashRefused(
            a,
            signVote(address(sm), 1, a),
            b,
            signVote(address(sm), 2, b),
            abi.encodeWithSelector(StakeManager.SignersDiffer.selector, addrOf(1), addrOf(2))
        );
    }

    function test_slash_refusesNonValidatorAndWithdrawn() public {
        stakeAs(1, MIN);
        StakeManager.Vote memory a = vote(1, 7, 1, keccak256("a"));
        StakeManager.Vote memory b = vote(1, 7, 1, keccak256("b"));
        expectSlashRefused(
            a,
            signVote(address(sm), 5, a),
            b,
            signVote(address(sm), 5, b),
            abi.encodeWithSelector(StakeManager.NotStaked.selector, addrOf(5))
        );
        // withdrawn: nothing left to slash
        vm.prank(addrOf(1));
        sm.startUnbond();
        vm.warp(block.timestamp + DELAY);
        vm.prank(addrOf(1));
        sm.withdraw();
        expectSlashRefused(
            a,
            signVote(address(sm), 1, a),
            b,
            signVote(address(sm), 1, b),
            abi.encodeWithSelector(StakeManager.NotStaked.selector, addrOf(1))
        );
    }

    function test_slash_refusesReplayedEvidence() public {
        stakeAs(1, 2 ether);
        StakeManager.Vote memory a = vote(2, 7, 1, keccak256("a"));
        StakeManager.Vote memory b = vote(2, 7, 1, keccak256("b"));
        bytes memory sa = signVote(address(sm), 1, a);
        bytes memory sb = signVote(address(sm), 1, b);
        vm.prank(reporter);
        sm.slashDoubleSign(a, sa, b, sb);
        bytes memory err = abi.encodeWithSelector(StakeManager.AlreadySlashed.selector, addrOf(1));
        expectSlashRefused(a, sa, b, sb, err); // the same evidence
        expectSlashRefused(b, sb, a, sa, err); // swapped
        StakeManager.Vote memory c = vote(2, 9, 0, keccak256("a"));
        StakeManager.Vote memory d = vote(2, 9, 0, keccak256("b"));
        expectSlashRefused(c, signVote(address(sm), 1, c), d, signVote(address(sm), 1, d), err); // another slot
    }

    function test_slash_refusesHighSAndMalformedSignatures() public {
        stakeAs(1, MIN);
        StakeManager.Vote memory a = vote(2, 7, 1, keccak256("a"));
        StakeManager.Vote memory b = vote(2, 7, 1, keccak256("b"));
        bytes memory sa = signVote(address(sm), 1, a);
        bytes memory sb = signVote(address(sm), 1, b);
        expectSlashRefused(a, highS(sa), b, sb, abi.encodeWithSelector(StakeManager.BadSignature.selector, 0));
        expectSlashRefused(a, sa, b, highS(sb), abi.encodeWithSelector(StakeManager.BadSignature.selector, 1));
        bytes memory shortSig = new bytes(64);
        expectSlashRefused(a, sa, b, shortSig, abi.encodeWithSelector(StakeManager.BadSignature.selector, 1));
        bytes memory zeros = new bytes(65);
        expectSlashRefused(a, zeros, b, sb, abi.encodeWithSelector(StakeManager.BadSignature.selector, 0));
        // a signature over another contract's domain recovers to someone else
        bytes memory foreign = signVote(address(0xdead), 1, b);
        vm.expectPartialRevert(StakeManager.SignersDiffer.selector);
        sm.slashDoubleSign(a, sa, b, foreign);
        assertTrue(sm.isValidator(addrOf(1)));
    }

    // ----------------------------------------------------------------------------------------------- vectors

    /// @notice Cross-check vector for the TypeScript `voteDigest` (src/sidechain/protocol/messages.ts): chainId 31337,
    ///         StakeManager at 0x5aFE00000000000000000000000000000000C0De, Vote(2 precommit, height 7, round 1,
    ///         blockHash 0x11…11) → 0xb2e254756c87b4d3671e18626b0527d8c9cdc13bd4aa9b85f50d2c10c10570f5 (the value
    ///         `voteDigest` returned when this test was written).
    function test_vector_voteDigest() public {
        address fixed_ = 0x5aFE00000000000000000000000000000000C0De;
        vm.etch(fixed_, address(sm).code); // OpenZeppelin's EIP712 rebuilds the separator for the new address
        assertEq(block.chainid, 31337);
        StakeManager.Vote memory v =
            vote(2, 7, 1, bytes32(0x1111111111111111111111111111111111111111111111111111111111111111));
        bytes32 expected = 0xb2e254756c87b4d3671e18626b0527d8c9cdc13bd4aa9b85f50d2c10c10570f5;
        assertEq(StakeManager(fixed_).hashVote(v), expected, "contract");
        assertEq(digestOf(fixed_, v), expected, "rebuilt from the doc");
        assertEq(StakeManager(fixed_).domainSeparator(), domainSeparatorOf(fixed_), "domain");
        assertEq(
            StakeManager(fixed_).VOTE_TYPEHASH(),
            keccak256("Vote(uint8 voteType,uint64 height,uint32 round,bytes32 blockHash)"),
            "typehash"
        );
    }

    // -------------------------------------------------------------------------------------------------- fuzz

    /// @dev The one block an honest validator votes for in a slot.
    function honestHash(uint8 t, uint64 h, uint32 r) internal pure returns (bytes32) {
        return keccak256(abi.encode("honest", t, h, r));
    }

    /// @notice An honest validator signs at most one vote per slot (its `honestHash`). Whatever two of its signed
    ///         votes an attacker picks, with any fields relabelled, no evidence slashes it.
    function testFuzz_honestValidatorNeverSlashed(
        uint8 tA,
        uint64 hA,
        uint32 rA,
        uint8 tB,
        uint64 hB,
        uint32 rB,
        bytes32 relabelA,
        bytes32 relabelB,
        uint8 mode
    ) public {
        stakeAs(0xA11CE, 2 ether);
        // small ranges so the two slots often coincide
        tA = uint8(bound(tA, 0, 3));
        tB = uint8(bound(tB, 0, 3));
        hA = uint64(bound(hA, 0, 3));
        hB = uint64(bound(hB, 0, 3));
        rA = uint32(bound(rA, 0, 2));
        rB = uint32(bound(rB, 0, 2));
        // what the validator really signed
        StakeManager.Vote memory sa = vote(tA, hA, rA, honestHash(tA, hA, rA));
        StakeManager.Vote memory sb = vote(tB, hB, rB, honestHash(tB, hB, rB));
        bytes memory sigA = signVote(address(sm), 0xA11CE, sa);
        bytes memory sigB = signVote(address(sm), 0xA11CE, sb);
        // what the attacker submits: the signed votes, or with a block hash swapped in (the signature stays)
        StakeManager.Vote memory a = vote(tA, hA, rA, mode & 1 == 0 ? sa.blockHash : relabelA);
        StakeManager.Vote memory b = vote(tB, hB, rB, mode & 2 == 0 ? sb.blockHash : relabelB);
        if (mode & 4 != 0) sigB = highS(sigB);
        bytes32 before = fingerprint();
        vm.prank(reporter);
        try sm.slashDoubleSign(a, sigA, b, sigB) {
            fail("an honest validator was slashed");
        } catch {}
        assertEq(fingerprint(), before);
        assertEq(sm.powerOf(vm.addr(0xA11CE)), 2 ether);
    }

    // --------------------------------------------------------------------------------------------------- gas

    /// @notice Gas of the main calls with a realistic set (see also `--gas-report`).
    function test_gas_stakeAndSlash() public {
        for (uint256 pk = 1; pk <= 3; pk++) {
            stakeAs(pk, MIN);
        }
        address a = addrOf(4);
        vm.deal(a, MIN);
        vm.prank(a);
        uint256 g = gasleft();
        sm.stake{value: MIN}();
        emit log_named_uint("gas stake (join, 4th validator)", g - gasleft());
        vm.deal(a, 1);
        vm.prank(a);
        g = gasleft();
        sm.stake{value: 1}();
        emit log_named_uint("gas stake (top-up)", g - gasleft());
        StakeManager.Vote memory va = vote(2, 7, 1, keccak256("a"));
        StakeManager.Vote memory vb = vote(2, 7, 1, keccak256("b"));
        bytes memory sa = signVote(address(sm), 2, va);
        bytes memory sb = signVote(address(sm), 2, vb);
        vm.prank(reporter);
        g = gasleft();
        sm.slashDoubleSign(va, sa, vb, sb);
        emit log_named_uint("gas slashDoubleSign (active, reward pushed)", g - gasleft());
    }
}

/// @notice Drives a StakeManager with random stakes, top-ups, unbondings, withdrawals, slashings and time.
contract StakeManagerHandler is SidechainSigning {
    StakeManager public immutable sm;
    uint256[5] internal pks = [uint256(11), 22, 33, 44, 55];
    Vm2 internal constant hv = Vm2(address(uint160(uint256(keccak256("hevm cheat code")))));

    constructor(StakeManager sm_) {
        sm = sm_;
    }

    function actors() external view returns (address[] memory out) {
        out = new address[](pks.length);
        for (uint256 i = 0; i < pks.length; i++) {
            out[i] = hv.addr(pks[i]);
        }
    }

    function stake(uint256 who, uint256 amount) external {
        address a = hv.addr(pks[who % pks.length]);
        amount = 1 + (amount % 5 ether);
        hv.deal(a, a.balance + amount);
        hv.prank(a);
        sm.stake{value: amount}();
    }

    function startUnbond(uint256 who) external {
        hv.prank(hv.addr(pks[who % pks.length]));
        sm.startUnbond();
    }

    function withdraw(uint256 who) external {
        hv.prank(hv.addr(pks[who % pks.length]));
        sm.withdraw();
    }

    function warp(uint256 secs) external {
        hv.warp(block.timestamp + (secs % 3 days));
    }

    /// @dev Reports a real double sign; the handler has no `receive`, so half the time the reward is credited.
    function slash(uint256 who, bool viaEoa, uint64 height) external {
        uint256 pk = pks[who % pks.length];
        StakeManager.Vote memory a = StakeManager.Vote(2, height, 0, keccak256("a"));
        StakeManager.Vote memory b = StakeManager.Vote(2, height, 0, keccak256("b"));
        bytes memory sa = signVote(address(sm), pk, a);
        bytes memory sb = signVote(address(sm), pk, b);
        if (viaEoa) hv.prank(address(0xBEEF));
        sm.slashDoubleSign(a, sa, b, sb);
    }
}

/// @notice The cheatcodes the handler uses.
interface Vm2 {
    function addr(uint256 privateKey) external pure returns (address);
    function deal(address account, uint256 newBalance) external;
    function prank(address msgSender) external;
    function warp(uint256 newTimestamp) external;
}

contract StakeManagerInvariantTest is Test {
    StakeManager internal sm;
    StakeManagerHandler internal handler;

    function setUp() public {
        sm = new StakeManager(1 ether, 1 days, 4);
        handler = new StakeManagerHandler(sm);
        targetContract(address(handler));
    }

    /// @notice The balance covers every stake (active and unbonding), every credit and the burnt wei — exactly,
    ///         since ETH arrives only through `stake`; the per-address stakes add up to the totals; the set is
    ///         canonical and its powers add up to `totalPower`.
    function invariant_solvencyAndSet() public view {
        assertEq(
            address(sm).balance, sm.totalPower() + sm.totalUnbonding() + sm.totalCredits() + sm.burnt(), "solvency"
        );
        address[] memory actors = handler.actors();
        uint256 staked;
        uint256 active;
        for (uint256 i = 0; i < actors.length; i++) {
            (uint256 amount,,) = sm.stakeOf(actors[i]);
            staked += amount;
            active += sm.powerOf(actors[i]);
        }
        assertEq(staked, sm.totalPower() + sm.totalUnbonding(), "stakes");
        assertEq(active, sm.totalPower(), "active");
        (address[] memory addrs, uint256[] memory powers) = sm.validators();
        uint256 sum;
        for (uint256 i = 0; i < addrs.length; i++) {
            if (i > 0) assertTrue(addrs[i - 1] < addrs[i], "ascending");
            assertTrue(sm.isValidator(addrs[i]), "member");
            sum += powers[i];
        }
        assertEq(sum, sm.totalPower(), "set powers");
        assertLe(addrs.length, sm.maxValidators(), "max");
    }
}
