// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IPortal} from "../../src/optimistic/IPortal.sol";
import {StateCommitment} from "../../src/optimistic/StateCommitment.sol";
import {StepVerifier} from "../../src/optimistic/StepVerifier.sol";
import {TxExecutor} from "../../src/optimistic/TxExecutor.sol";
import {Test} from "../utils/Test.sol";
import {StepVectors} from "../vectors/StepVectors.sol";

/// @notice The generated one-step vectors (test/vectors/StepVectors.sol, from scripts/genStepVectors.ts) are
///         consistent on the Solidity side: `abi.encode(StepWitness)` is byte-identical to the TypeScript encoding
///         (checked inside `get`), headers hash to their commitments, cases chain, the deposit queue hashes roll as
///         the Portal rolls them, and every address proof opens against the pre-state's addressesRoot.
/// @dev The L1 side the vectors assume: their deposit queue and token registry.
contract VectorPortal {
    function depositCount() external pure returns (uint256) {
        return StepVectors.DEPOSIT_COUNT;
    }

    function depositHashAt(uint256 i) external pure returns (bytes32) {
        return StepVectors.depositHashAt(i);
    }

    function tokenAt(uint16 t) external pure returns (address) {
        return StepVectors.tokenAt(t);
    }
}

contract StepVectorsTest is Test {
    /// @notice StepVerifier.executeRow returns exactly the post header the TypeScript trace computed, for every
    ///         case, with the TypeScript witness bytes.
    function test_stepVerifierReachesEveryPostHeader() public {
        VectorPortal portal = new VectorPortal();
        for (uint256 i = 0; i < StepVectors.COUNT; i++) {
            StepVectors.StepVector memory v = StepVectors.get(i);
            StepVerifier.StepContext memory ctx =
                StepVerifier.StepContext(v.chainId, v.baseFee, v.batchDepositCountAfter, IPortal(address(portal)));
            StateCommitment.StateHeader memory post = StepVerifier.executeRow(v.pre, v.row, ctx, v.witness);
            assertEq(StateCommitment.commitment(post), v.postCommitment, v.name);
        }
    }

    function test_witnessEncodingMatchesTypeScript() public pure {
        for (uint256 i = 0; i < StepVectors.COUNT; i++) {
            StepVectors.StepVector memory v = StepVectors.get(i);
            assertEq(v.witness.length, 504 * 32);
            assertEq(keccak256(v.witness), v.witnessHash);
            assertEq(v.row.length, 124);
        }
    }

    function test_headersHashToTheirCommitmentsAndCasesChain() public pure {
        bytes32 previous;
        for (uint256 i = 0; i < StepVectors.COUNT; i++) {
            StepVectors.StepVector memory v = StepVectors.get(i);
            assertEq(StateCommitment.commitment(v.pre), v.preCommitment);
            assertEq(StateCommitment.commitment(v.post), v.postCommitment);
            if (i > 0) assertEq(v.preCommitment, previous);
            previous = v.postCommitment;
        }
    }

    function test_depositQueueRollsLikeThePortal() public pure {
        bytes32 h;
        for (uint256 i = 0; i < StepVectors.DEPOSIT_COUNT; i++) {
            StepVectors.Deposit memory d = StepVectors.depositAt(i);
            h = keccak256(abi.encode(h, i, d.from, d.to, d.tokenIndex, d.amount));
            assertEq(StepVectors.depositHashAt(i), h);
        }
    }

    function test_appliedDepositRowsCarryTheNextQueuedDeposit() public pure {
        uint256 seen;
        for (uint256 i = 0; i < StepVectors.COUNT; i++) {
            StepVectors.StepVector memory v = StepVectors.get(i);
            if (v.post.depositCount == v.pre.depositCount) continue;
            seen++;
            StepVectors.Deposit memory d = StepVectors.depositAt(v.pre.depositCount);
            assertEq(keccak256(abi.encode(v.w.deposit)), keccak256(abi.encode(d)));
            assertEq(uint8(v.row[0]), 1);
        }
        assertGt(seen, 5);
    }

    function test_addressProofsOpenAgainstThePreAddressesRoot() public pure {
        for (uint256 i = 0; i < StepVectors.COUNT; i++) {
            StepVectors.StepVector memory v = StepVectors.get(i);
            StepVectors.AddressProof[2] memory proofs = [v.w.sender, v.w.recipient];
            for (uint256 k = 0; k < 2; k++) {
                if (proofs[k].siblings[159] == bytes32(0)) continue; // not reached by this row
                address who = k == 0 ? v.w.tx.sender.owner : _recipient(v);
                if (k == 0 && proofs[k].leaf == 0) continue; // unknown sender: its address is not in the vector
                assertEq(_addressRoot(who, proofs[k].leaf, proofs[k].siblings), v.pre.addressesRoot);
            }
        }
    }

    /// @notice For every tx row whose sender has an account, TxExecutor accepts the `tx` witness and reaches the
    ///         post header's state root (applied) or skips (no-op), with the context the pre header gives.
    function test_txWitnessesDriveTxExecutorToThePostState() public pure {
        uint256 applied;
        uint256 skipped;
        for (uint256 i = 0; i < StepVectors.COUNT; i++) {
            StepVectors.StepVector memory v = StepVectors.get(i);
            if (!v.isTx || v.w.sender.leaf == 0) continue;
            TxExecutor.Context memory ctx = TxExecutor.Context({
                chainId: v.chainId,
                baseFee: v.baseFee,
                tokenCount: v.pre.tokenCount,
                l1Token: v.tx.tokenIndex == 0 || v.tx.tokenIndex > StepVectors.TOKEN_COUNT
                    ? address(0)
                    : StepVectors.tokenAt(v.tx.tokenIndex),
                accountCount: v.pre.accountCount,
                withdrawalCount: v.pre.withdrawalCount
            });
            (bytes32 root, TxExecutor.Skip skip) =
                TxExecutor.execute(StateCommitment.stateRoot(v.pre), v.tx, ctx, v.w.tx);
            assertEq(root, StateCommitment.stateRoot(v.post), v.name);
            if (skip == TxExecutor.Skip.None) {
                applied++;
                assertTrue(v.postCommitment != v.preCommitment, v.name);
            } else {
                skipped++;
                assertEq(v.postCommitment, v.preCommitment, v.name);
            }
        }
        assertGt(applied, 7);
        assertGt(skipped, 8);
    }

    /// @dev The recipient a row names: a deposit's `to`, or the row's target (bytes 39..59).
    function _recipient(StepVectors.StepVector memory v) private pure returns (address a) {
        if (uint8(v.row[0]) == 1) return v.w.deposit.to;
        bytes memory row = v.row;
        assembly ("memory-safe") {
            a := shr(96, mload(add(row, add(32, 39))))
        }
    }

    function _addressRoot(address who, uint256 leaf, bytes32[160] memory siblings) private pure returns (bytes32 node) {
        node = bytes32(leaf);
        uint256 key = uint160(who);
        for (uint256 i = 0; i < 160; i++) {
            node = (key >> i) & 1 == 1
                ? keccak256(abi.encodePacked(siblings[i], node))
                : keccak256(abi.encodePacked(node, siblings[i]));
        }
    }
}
