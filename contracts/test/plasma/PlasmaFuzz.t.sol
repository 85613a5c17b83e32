// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {PlasmaFramework} from "../../src/plasma/PlasmaFramework.sol";
import {PlasmaWorld} from "./PlasmaFramework.t.sol";

// forge-lint: disable-start(unsafe-typecast) test values are bounded where they are made

/// @notice Fuzz tests: random bytes and proofs never change state and always fail with a custom error; random
///         amounts and splits exit exactly what was deposited; random valid transactions decode to the doc's digest.
contract PlasmaFuzzTest is PlasmaWorld {
    struct Snapshot {
        uint256 queueSize;
        uint256 balance;
        uint256 nextDeposit;
        bytes32 bobExit;
    }

    function snap() internal view returns (Snapshot memory s) {
        s.queueSize = plasma.queueSize();
        s.balance = address(plasma).balance;
        s.nextDeposit = plasma.nextDepositBlock();
    }

    function assertUnchanged(Snapshot memory a) internal view {
        Snapshot memory b = snap();
        assertEq(a.queueSize, b.queueSize, "queue");
        assertEq(a.balance, b.balance, "balance");
        assertEq(a.nextDeposit, b.nextDeposit, "blocks");
    }

    /// @dev Runs `data` against the framework; it must fail with a 4-byte-selector error (not an empty revert).
    function expectCustomFailure(address caller, uint256 value, bytes memory data) internal {
        vm.deal(caller, caller.balance + value);
        vm.prank(caller);
        (bool ok, bytes memory ret) = address(plasma).call{value: value}(data);
        assertFalse(ok, "must fail");
        assertTrue(ret.length >= 4, "a custom error, not an empty revert");
    }

    function testFuzz_randomTxBytesNeverStartAnExit(bytes calldata junk, uint256 utxoPos) public {
        Snapshot memory s = snap();
        if (utxoPos % 2 == 0) utxoPos = t1Pos;
        expectCustomFailure(
            bob, SE_BOND, abi.encodeCall(PlasmaFramework.startStandardExit, (utxoPos, junk, t1Sigs, proofAt(t1Pos)))
        );
        expectCustomFailure(
            bob,
            IFE_BOND,
            abi.encodeCall(PlasmaFramework.startInFlightExit, (junk, t1Sigs, one(t1Bytes), one(t1Sigs), one(junk)))
        );
        expectCustomFailure(bob, 0, abi.encodeCall(PlasmaFramework.hashTransaction, (junk)));
        assertUnchanged(s);
    }

    function testFuzz_mutatedTxBytesNeverStartAnExit(uint256 at, uint8 xor) public {
        vm.assume(xor != 0);
        Snapshot memory s = snap();
        bytes memory b = bytes.concat(t1Bytes);
        b[at % b.length] ^= bytes1(xor);
        // whatever the mutation (malformed, or another valid transaction), it is not the included leaf
        expectCustomFailure(
            bob, SE_BOND, abi.encodeCall(PlasmaFramework.startStandardExit, (t1Pos, b, t1Sigs, proofAt(t1Pos)))
        );
        assertUnchanged(s);
    }

    function testFuzz_randomProofNeverStartsAnExit(bytes32[16] calldata siblings, uint256 txIndex) public {
        Snapshot memory s = snap();
        bytes memory proof = abi.encodePacked(siblings);
        uint256 p = pos(1000, txIndex % 65_536, 0);
        vm.assume(keccak256(proof) != keccak256(proofAt(t1Pos)));
        expectCustomFailure(
            bob, SE_BOND, abi.encodeCall(PlasmaFramework.startStandardExit, (p, t1Bytes, t1Sigs, proof))
        );
        assertUnchanged(s);
    }

    function testFuzz_randomChallengesNeverDeleteAnHonestExit(bytes calldata junk, uint256 index, bytes calldata sig)
        public
    {
        uint256 exitId = startExit(bob, t1Pos, t1Bytes, t1Sigs);
        Snapshot memory s = snap();
        expectCustomFailure(carol, 0, abi.encodeCall(PlasmaFramework.challengeSpent, (exitId, junk, index, sig)));
        expectCustomFailure(
            carol,
            0,
            abi.encodeCall(
                PlasmaFramework.challengeInvalidTx,
                (exitId, inclusion(t1Bytes, t1Sigs, t1Pos), one(junk), one(sig), one(proofAt(ethDeposit)))
            )
        );
        expectCustomFailure(
            carol,
            0,
            abi.encodeCall(
                PlasmaFramework.challengeDoubleSpend,
                (exitId, inclusion(t1Bytes, t1Sigs, t1Pos), 0, PlasmaFramework.Inclusion(junk, sig, index, junk), 0)
            )
        );
        assertUnchanged(s);
        assertEq(exitOwner(exitId), bob);
    }

    function testFuzz_depositExitPaysExactly(uint256 amount, bool erc20, address owner) public {
        vm.assume(owner != address(0) && owner.code.length == 0 && uint160(owner) > 0x10000);
        vm.assume(owner != address(plasma) && owner != address(token) && owner != address(this));
        vm.assume(owner != address(vm) && owner != 0x000000000000000000636F6e736F6c652e6c6f67); // cheatcodes, console
        amount = bound(amount, 1, erc20 ? 1_000_000 ether : 1e27);
        uint256 b;
        bytes memory dep;
        if (erc20) {
            vm.prank(alice);
            b = plasma.depositToken(owner, address(token), amount);
            dep = depositBytes(b, owner, address(token), amount);
        } else {
            vm.deal(address(this), address(this).balance + amount);
            b = plasma.depositEth{value: amount}(owner);
            dep = depositBytes(b, owner, ETH, amount);
        }
        leavesOf[b].push(leafOf(dep, ""));
        startExit(owner, pos(b, 0, 0), dep, "");
        vm.warp(T0 + EP);
        uint256 before = erc20 ? token.balanceOf(owner) : owner.balance;
        plasma.processExits(1);
        uint256 got = (erc20 ? token.balanceOf(owner) : owner.balance) - before;
        assertEq(got, amount + (erc20 ? 0 : SE_BOND));
        assertEq(plasma.paid(erc20 ? address(token) : ETH), amount);
    }

    function testFuzz_splitExitsPayTheSum(uint256 a, uint256 metadata) public {
        a = bound(a, 1, 10 ether - 1);
        Tx memory t = mkTx(ins1(ethDeposit), outs2(out(bob, ETH, a), out(carol, ETH, 10 ether - a)));
        t.metadata = bytes32(metadata);
        bytes memory sigs = sign1(t, PK_A);
        uint256 p = pos(submit1(enc(t), sigs), 0, 0);
        startExit(bob, p, enc(t), sigs);
        startExit(carol, p + 1, enc(t), sigs);
        vm.warp(T0 + 2 * EP);
        uint256 bobBefore = bob.balance;
        uint256 carolBefore = carol.balance;
        assertEq(plasma.processExits(2), 2);
        assertEq(bob.balance - bobBefore + carol.balance - carolBefore, 10 ether + 2 * SE_BOND);
        assertEq(plasma.paid(ETH), 10 ether);
    }

    function testFuzz_validTxDecodesToTheDocsDigest(uint256 seed, uint8 nIn, uint8 nOut) public view {
        nIn = uint8(bound(nIn, 0, 4));
        nOut = uint8(bound(nOut, 1, 4));
        uint256[] memory inputs = new uint256[](nIn);
        for (uint256 i = 0; i < nIn; i++) {
            inputs[i] = uint256(keccak256(abi.encode(seed, "in", i)));
        }
        Out[] memory outputs = new Out[](nOut);
        for (uint256 j = 0; j < nOut; j++) {
            uint256 r = uint256(keccak256(abi.encode(seed, "out", j)));
            outputs[j] = out(address(uint160(r | 1)), r & 2 == 0 ? ETH : address(uint160(r >> 96)), (r >> 8) | 1);
        }
        Tx memory t = Tx(inputs, outputs, keccak256(abi.encode(seed)));
        bytes memory b = enc(t);
        assertEq(b.length, 0xc0 + 32 * uint256(nIn) + 96 * uint256(nOut));
        assertEq(plasma.hashTransaction(b), digestOf(t));
    }
}
// forge-lint: disable-end(unsafe-typecast)
