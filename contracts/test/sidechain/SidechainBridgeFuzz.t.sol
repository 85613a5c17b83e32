// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SidechainBridge} from "../../src/sidechain/SidechainBridge.sol";
import {StakeManager} from "../../src/sidechain/StakeManager.sol";
import {BridgeFixture, WithdrawalTree} from "./SidechainBridgeFixture.sol";

// forge-lint: disable-start(unsafe-typecast) test values are bounded where they are made

/// @notice Fuzzed refusals: malformed, shuffled, duplicated, tampered and minority signatures; random proofs,
///         indices and withdrawals; replays. Every refusal reverts and changes nothing; every quorum is accepted.
contract SidechainBridgeFuzzTest is BridgeFixture {
    SidechainBridge.Withdrawal[] internal ws;
    bytes32[] internal leaves;

    function setUp() public override {
        super.setUp();
        stakeValidators(4, 10 ether);
        depositEth(alice, 100 ether);
        vm.prank(alice);
        bridge.depositERC20(address(token), alice, 100 ether);
        for (uint256 i = 0; i < 6; i++) {
            ws.push(withdrawal(i, i % 2 == 0 ? bob : alice, i % 3 == 0 ? address(token) : ETH, (i + 1) * 1 ether));
        }
        leaves = leavesOf(ws);
        submitWith(leaves, firstKeys(3)); // checkpoint 0 holds them
    }

    function fingerprint() internal view returns (bytes32) {
        return keccak256(
            abi.encode(
                bridge.checkpointCount(),
                bridge.nextStartBlock(),
                bridge.depositCount(),
                bridge.totalCredits(),
                bridge.paid(ETH),
                bridge.paid(address(token)),
                address(bridge).balance,
                token.balanceOf(address(bridge)),
                alice.balance,
                bob.balance
            )
        );
    }

    /// @dev Calls `data` on the bridge, requires a revert (with `err` if not empty) and no state change.
    function assertRefused(bytes memory data, bytes memory err) internal {
        bytes32 before = fingerprint();
        (bool ok, bytes memory ret) = address(bridge).call(data);
        assertFalse(ok, "must be refused");
        if (err.length != 0) assertEq(keccak256(ret), keccak256(err), "refusal reason");
        assertEq(fingerprint(), before, "a refusal changed state");
    }

    function submitData(SidechainBridge.Checkpoint memory cp, bytes memory sigs) internal pure returns (bytes memory) {
        return abi.encodeCall(SidechainBridge.submitCheckpoint, (cp, sigs));
    }

    // ------------------------------------------------------------------------------------------ signatures

    function testFuzz_randomSignatureBytesRefused(bytes memory sigs) public {
        SidechainBridge.Checkpoint memory cp = nextCheckpoint(new bytes32[](0));
        assertRefused(submitData(cp, sigs), "");
    }

    function testFuzz_corruptedSignatureByteRefused(uint256 sigIndex, uint256 byteIndex, uint8 xorMask) public {
        vm.assume(xorMask != 0);
        SidechainBridge.Checkpoint memory cp = nextCheckpoint(new bytes32[](0));
        bytes memory sigs = signCheckpoint(cp, firstKeys(3));
        uint256 at = bound(sigIndex, 0, 2) * 65 + bound(byteIndex, 0, 64);
        sigs[at] = bytes1(uint8(sigs[at]) ^ xorMask);
        assertRefused(submitData(cp, sigs), "");
    }

    /// @dev Every order of the four signatures but the ascending one is refused at its first descent.
    function testFuzz_shuffledSignersRefused(uint256 seed) public {
        SidechainBridge.Checkpoint memory cp = nextCheckpoint(new bytes32[](0));
        uint256[] memory keys = sortedByAddress(firstKeys(4));
        for (uint256 i = 3; i > 0; i--) {
            uint256 j = uint256(keccak256(abi.encode(seed, i))) % (i + 1);
            (keys[i], keys[j]) = (keys[j], keys[i]);
        }
        uint256 descent = type(uint256).max;
        for (uint256 i = 1; i < 4; i++) {
            if (vm.addr(keys[i]) < vm.addr(keys[i - 1])) {
                descent = i;
                break;
            }
        }
        bytes memory sigs = packSigs(keys, digestOf(address(bridge), cp));
        if (descent == type(uint256).max) {
            bridge.submitCheckpoint(cp, sigs);
            assertEq(uint256(bridge.checkpointCount()), 2);
        } else {
            assertRefused(
                submitData(cp, sigs), abi.encodeWithSelector(SidechainBridge.SignersNotAscending.selector, descent)
            );
        }
    }

    /// @dev A signature repeated (next to itself, or replacing its neighbour) never counts twice.
    function testFuzz_duplicatedSignatureRefused(uint256 which, bool replace) public {
        SidechainBridge.Checkpoint memory cp = nextCheckpoint(new bytes32[](0));
        uint256[] memory sorted = sortedByAddress(firstKeys(4));
        uint256 w = bound(which, 0, 2);
        uint256[] memory keys;
        if (replace) {
            // sorted[0..2] with sorted[w + 1] replaced by sorted[w]: 3 signatures, one repeated
            keys = new uint256[](3);
            for (uint256 i = 0; i < 3; i++) {
                keys[i] = sorted[i];
            }
            if (w + 1 < 3) keys[w + 1] = sorted[w];
            else keys[2] = sorted[1];
        } else {
            keys = new uint256[](4);
            uint256 o;
            for (uint256 i = 0; i < 3; i++) {
                keys[o++] = sorted[i];
                if (i == w) keys[o++] = sorted[i];
            }
        }
        uint256 index;
        for (uint256 i = 1; i < keys.length; i++) {
            if (keys[i] == keys[i - 1]) {
                index = i;
                break;
            }
        }
        assertRefused(
            submitData(cp, packSigs(keys, digestOf(address(bridge), cp))),
            abi.encodeWithSelector(SidechainBridge.SignersNotAscending.selector, index)
        );
    }

    /// @dev Seven validators with random stakes, a random subset signing: accepted iff its power is a quorum.
    function testFuzz_subsetAcceptedIffQuorum(uint64[7] memory stakes, uint8 mask) public {
        StakeManager sm2 = new StakeManager(1, DELAY, 10);
        SidechainBridge b2 = new SidechainBridge(sm2);
        uint256 total;
        uint256 signedPower;
        uint256 count;
        uint256[] memory all = new uint256[](7);
        for (uint256 i = 0; i < 7; i++) {
            uint256 amount = bound(stakes[i], 1, 1000 ether);
            all[i] = 0xF00D + i;
            address who = vm.addr(all[i]);
            vm.deal(who, amount);
            vm.prank(who);
            sm2.stake{value: amount}();
            total += amount;
            if ((mask >> i) & 1 == 1) {
                signedPower += amount;
                count++;
            }
        }
        uint256[] memory keys = new uint256[](count);
        uint256 o;
        for (uint256 i = 0; i < 7; i++) {
            if ((mask >> i) & 1 == 1) keys[o++] = all[i];
        }
        SidechainBridge.Checkpoint memory cp = SidechainBridge.Checkpoint(0, 1, 1, 0, 0, 0, 0);
        bytes memory sigs = packSigs(sortedByAddress(keys), digestOf(address(b2), cp));
        uint256 needed = quorumOf(total);
        if (signedPower >= needed) {
            b2.submitCheckpoint(cp, sigs);
            assertEq(uint256(b2.checkpointCount()), 1);
        } else {
            vm.expectRevert(abi.encodeWithSelector(SidechainBridge.InsufficientPower.selector, signedPower, needed));
            b2.submitCheckpoint(cp, sigs);
            assertEq(uint256(b2.checkpointCount()), 0);
        }
    }

    /// @dev Any field of a signed checkpoint changed after signing: refused.
    function testFuzz_tamperedCheckpointRefused(uint256 field, bytes32 value) public {
        SidechainBridge.Checkpoint memory cp = nextCheckpoint(new bytes32[](0));
        bytes memory sigs = signCheckpoint(cp, firstKeys(4));
        uint256 f = bound(field, 0, 6);
        if (f == 0) cp.number = uint64(uint256(value));
        else if (f == 1) cp.startBlock = uint64(uint256(value));
        else if (f == 2) cp.endBlock = uint64(uint256(value));
        else if (f == 3) cp.blocksRoot = value;
        else if (f == 4) cp.stateRoot = value;
        else if (f == 5) cp.withdrawalsRoot = value;
        else cp.withdrawalCount = uint32(uint256(value));
        vm.assume(keccak256(abi.encode(cp)) != keccak256(abi.encode(nextCheckpoint(new bytes32[](0)))));
        assertRefused(submitData(cp, sigs), "");
    }

    // ----------------------------------------------------------------------------------------- withdrawals

    function finalizeData(SidechainBridge.Withdrawal memory w, uint256 number, uint256 index, bytes32[] memory proof)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodeCall(SidechainBridge.finalizeWithdrawal, (w, number, index, proof));
    }

    function testFuzz_randomProofRefused(uint256 pick, uint256 index, bytes32[16] memory siblings) public {
        SidechainBridge.Withdrawal memory w = ws[bound(pick, 0, ws.length - 1)];
        bytes32[] memory proof = new bytes32[](16);
        for (uint256 i = 0; i < 16; i++) {
            proof[i] = siblings[i];
        }
        assertRefused(finalizeData(w, 0, index, proof), "");
    }

    function testFuzz_wrongIndexRefused(uint256 pick, uint256 index) public {
        uint256 p = bound(pick, 0, ws.length - 1);
        vm.assume(index != p);
        assertRefused(finalizeData(ws[p], 0, index, WithdrawalTree.proof(leaves, p)), "");
    }

    function testFuzz_tamperedSiblingRefused(uint256 pick, uint256 level, bytes32 value) public {
        uint256 p = bound(pick, 0, ws.length - 1);
        bytes32[] memory proof = WithdrawalTree.proof(leaves, p);
        uint256 l = bound(level, 0, 15);
        vm.assume(proof[l] != value);
        proof[l] = value;
        assertRefused(finalizeData(ws[p], 0, p, proof), "");
    }

    function testFuzz_tamperedWithdrawalRefused(uint256 pick, uint256 field, uint256 value) public {
        uint256 p = bound(pick, 0, ws.length - 1);
        SidechainBridge.Withdrawal memory w = ws[p];
        uint256 f = bound(field, 0, 4);
        if (f == 0) w.id = value;
        else if (f == 1) w.from = address(uint160(value));
        else if (f == 2) w.to = address(uint160(value));
        else if (f == 3) w.token = address(uint160(value));
        else w.amount = value;
        vm.assume(leafOf(w) != leaves[p]);
        assertRefused(finalizeData(w, 0, p, WithdrawalTree.proof(leaves, p)), "");
    }

    function testFuzz_badProofLengthRefused(uint8 length) public {
        vm.assume(length != 16);
        bytes32[] memory proof = new bytes32[](length);
        assertRefused(
            finalizeData(ws[0], 0, 0, proof), abi.encodeWithSelector(SidechainBridge.BadProofLength.selector, length)
        );
    }

    /// @dev Finalize a random subset, then replay any of them: refused with `AlreadyFinalized`.
    function testFuzz_replayRefused(uint8 subset, uint256 pick) public {
        uint256 finalizedCount;
        uint256[] memory done = new uint256[](ws.length);
        for (uint256 i = 0; i < ws.length; i++) {
            if ((subset >> i) & 1 == 1) {
                bridge.finalizeWithdrawal(ws[i], 0, i, WithdrawalTree.proof(leaves, i));
                done[finalizedCount++] = i;
            }
        }
        vm.assume(finalizedCount > 0);
        uint256 p = done[bound(pick, 0, finalizedCount - 1)];
        assertRefused(
            finalizeData(ws[p], 0, p, WithdrawalTree.proof(leaves, p)),
            abi.encodeWithSelector(SidechainBridge.AlreadyFinalized.selector, leaves[p])
        );
        // the same leaf committed again in a later checkpoint is still paid once
        bytes32[] memory again = new bytes32[](1);
        again[0] = leaves[p];
        uint256 number = submitWith(again, firstKeys(4));
        assertRefused(
            finalizeData(ws[p], number, 0, WithdrawalTree.proof(again, 0)),
            abi.encodeWithSelector(SidechainBridge.AlreadyFinalized.selector, leaves[p])
        );
    }

    /// @dev A forged withdrawal in a checkpoint signed by a random minority (≤ 2 of 4) is never accepted.
    function testFuzz_minorityForgeryRefused(uint8 mask, uint256 amount) public {
        uint256[] memory keys = new uint256[](4);
        uint256 count;
        for (uint256 i = 0; i < 4; i++) {
            if ((mask >> i) & 1 == 1) keys[count++] = validatorKeys[i];
        }
        vm.assume(count <= 2);
        assembly ("memory-safe") {
            mstore(keys, count)
        }
        SidechainBridge.Withdrawal[] memory forged = new SidechainBridge.Withdrawal[](1);
        forged[0] = withdrawal(999, alice, ETH, bound(amount, 1, 100 ether));
        SidechainBridge.Checkpoint memory cp = nextCheckpoint(leavesOf(forged));
        assertRefused(
            submitData(cp, signCheckpoint(cp, keys)),
            abi.encodeWithSelector(SidechainBridge.InsufficientPower.selector, count * 10 ether, quorumOf(40 ether))
        );
    }
}
