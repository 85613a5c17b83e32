// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {PoseidonT3} from "poseidon-solidity/PoseidonT3.sol";
import {PoseidonT4} from "poseidon-solidity/PoseidonT4.sol";

import {Groth16Verifier} from "../../src/zk/Groth16Verifier.sol";
import {ZkPubdata} from "../../src/zk/ZkPubdata.sol";
import {ZkRollup} from "../../src/zk/ZkRollup.sol";
import {Test} from "../utils/Test.sol";
import {Groth16Fixture as F} from "./fixtures/Groth16Fixture.sol";
import {PoseidonBytecode} from "./fixtures/PoseidonBytecode.sol";
import {ZkTestLib} from "./ZkFixture.sol";

/// @notice The Groth16 verifier against real snarkjs proofs (contracts/test/zk/fixtures, made by
///         scripts/zkVerifierFixture.mjs), Poseidon against circomlibjs, and the rollup end to end with the real
///         verifier: its block commitment equals the one the fixture script computed in JavaScript.
contract Groth16VerifierTest is Test {
    uint256 internal constant Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583;
    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;

    Groth16Verifier internal verifier;

    function setUp() public {
        verifier = new Groth16Verifier(F.verifyingKey());
    }

    function batch(uint256[] memory indices)
        internal
        pure
        returns (uint256[8][] memory proofs, uint256[] memory inputs)
    {
        proofs = new uint256[8][](indices.length);
        inputs = new uint256[](indices.length);
        for (uint256 i = 0; i < indices.length; i++) {
            (proofs[i], inputs[i]) = F.proof(indices[i] % F.PROOF_COUNT);
        }
    }

    function range(uint256 n) internal pure returns (uint256[] memory out) {
        out = new uint256[](n);
        for (uint256 i = 0; i < n; i++) {
            out[i] = i;
        }
    }

    function copy(uint256[8] memory a) internal pure returns (uint256[8] memory b) {
        for (uint256 i = 0; i < 8; i++) {
            b[i] = a[i];
        }
    }

    // ------------------------------------------------------------------------------------------------ accept

    function test_verifyProof_acceptsEveryFixtureProof() public view {
        for (uint256 i = 0; i < F.PROOF_COUNT; i++) {
            (uint256[8] memory p, uint256 input) = F.proof(i);
            assertTrue(verifier.verifyProof(p, input), vm.toString(i));
        }
    }

    function test_verifyBatch_acceptsBatchesOfEverySize() public view {
        for (uint256 k = 1; k <= 8; k++) {
            (uint256[8][] memory proofs, uint256[] memory inputs) = batch(range(k));
            assertTrue(verifier.verifyBatch(proofs, inputs), vm.toString(k));
        }
    }

    function test_verifyingKey_roundTrips() public view {
        Groth16Verifier.VerifyingKey memory a = F.verifyingKey();
        Groth16Verifier.VerifyingKey memory b = verifier.verifyingKey();
        assertEq(keccak256(abi.encode(a)), keccak256(abi.encode(b)));
    }

    // ------------------------------------------------------------------------------------------------ reject

    function test_verifyProof_rejectsAnotherInput() public view {
        for (uint256 i = 0; i < F.PROOF_COUNT; i++) {
            (uint256[8] memory p, uint256 input) = F.proof(i);
            assertFalse(verifier.verifyProof(p, (input + 1) % R), vm.toString(i));
            (, uint256 other) = F.proof((i + 1) % F.PROOF_COUNT);
            assertFalse(verifier.verifyProof(p, other), "another proof's input");
        }
    }

    function test_verifyBatch_rejectsOneBadMember() public view {
        for (uint256 k = 2; k <= 6; k++) {
            for (uint256 bad = 0; bad < k; bad++) {
                (uint256[8][] memory proofs, uint256[] memory inputs) = batch(range(k));
                inputs[bad] = (inputs[bad] + 1) % R;
                assertFalse(verifier.verifyBatch(proofs, inputs), "changed input");
            }
        }
    }

    function test_verifyBatch_rejectsSwappedProofs() public view {
        (uint256[8][] memory proofs, uint256[] memory inputs) = batch(range(4));
        (proofs[1], proofs[2]) = (proofs[2], proofs[1]);
        assertFalse(verifier.verifyBatch(proofs, inputs));
        (proofs[1], proofs[2]) = (proofs[2], proofs[1]);
        // the same C in two proofs (so Σ r_i·C_i might cancel): still rejected
        (proofs, inputs) = batch(range(2));
        proofs[1][6] = proofs[0][6];
        proofs[1][7] = proofs[0][7];
        assertFalse(verifier.verifyBatch(proofs, inputs));
    }

    function test_verifyProof_rejectsMalformedPoints() public view {
        (uint256[8] memory good, uint256 input) = F.proof(0);
        uint256[8] memory p;
        // A off the curve
        p = copy(good);
        p[1] = addmod(p[1], 1, Q);
        assertFalse(verifier.verifyProof(p, input), "A off curve");
        // A with y + q (same point mod q, not canonical)
        p = copy(good);
        p[1] = p[1] + Q;
        assertFalse(verifier.verifyProof(p, input), "A coordinate >= q");
        // A = -A (on the curve)
        p = copy(good);
        p[1] = Q - p[1];
        assertFalse(verifier.verifyProof(p, input), "-A");
        // A at infinity
        p = copy(good);
        p[0] = 0;
        p[1] = 0;
        assertFalse(verifier.verifyProof(p, input), "A = 0");
        // B with its coordinates in snarkjs's JSON order (real part first) instead of the EVM's
        p = copy(good);
        (p[2], p[3], p[4], p[5]) = (good[3], good[2], good[5], good[4]);
        assertFalse(verifier.verifyProof(p, input), "B in the wrong order");
        // B off the twist
        p = copy(good);
        p[5] = addmod(p[5], 1, Q);
        assertFalse(verifier.verifyProof(p, input), "B off curve");
        // C off the curve, C = A
        p = copy(good);
        p[7] = addmod(p[7], 1, Q);
        assertFalse(verifier.verifyProof(p, input), "C off curve");
        p = copy(good);
        (p[6], p[7]) = (good[0], good[1]);
        assertFalse(verifier.verifyProof(p, input), "C = A");
        // every word flipped in turn
        for (uint256 w = 0; w < 8; w++) {
            p = copy(good);
            p[w] ^= 1;
            assertFalse(verifier.verifyProof(p, input), vm.toString(w));
        }
    }

    function test_verifyProof_revertsOnAG2PointOutsideTheSubgroup() public {
        (uint256[8] memory p, uint256 input) = F.proof(0);
        uint256[4] memory b = F.nonSubgroupG2();
        (p[2], p[3], p[4], p[5]) = (b[0], b[1], b[2], b[3]);
        vm.expectRevert(abi.encodeWithSelector(Groth16Verifier.PrecompileFailed.selector, 8));
        verifier.verifyProof(p, input);
    }

    function test_verifyProof_inputMustBeAFieldElement() public {
        (uint256[8] memory p,) = F.proof(0);
        vm.expectRevert(abi.encodeWithSelector(Groth16Verifier.PublicInputNotInField.selector, 0, R));
        verifier.verifyProof(p, R);
        (uint256[8][] memory proofs, uint256[] memory inputs) = batch(range(3));
        inputs[2] = R + 5;
        vm.expectRevert(abi.encodeWithSelector(Groth16Verifier.PublicInputNotInField.selector, 2, R + 5));
        verifier.verifyBatch(proofs, inputs);
    }

    function test_verifyBatch_shapeErrors() public {
        vm.expectRevert(Groth16Verifier.EmptyBatch.selector);
        verifier.verifyBatch(new uint256[8][](0), new uint256[](0));
        vm.expectRevert(abi.encodeWithSelector(Groth16Verifier.BatchLengthMismatch.selector, 2, 1));
        verifier.verifyBatch(new uint256[8][](2), new uint256[](1));
    }

    /// @dev With too little gas the pairing precompile fails: the verifier reverts, it never returns false (which
    ///      eth_estimateGas would take for success).
    function test_outOfGasReverts() public {
        (uint256[8] memory p, uint256 input) = F.proof(0);
        (bool ok, bytes memory ret) =
            address(verifier).staticcall{gas: 120_000}(abi.encodeCall(Groth16Verifier.verifyProof, (p, input)));
        assertFalse(ok, "out of gas must revert");
        assertEq(keccak256(ret), keccak256(abi.encodeWithSelector(Groth16Verifier.PrecompileFailed.selector, 8)));
        (uint256[8][] memory proofs, uint256[] memory inputs) = batch(range(4));
        (ok, ret) =
            address(verifier).staticcall{gas: 150_000}(abi.encodeCall(Groth16Verifier.verifyBatch, (proofs, inputs)));
        assertFalse(ok, "out of gas must revert (batch)");
        (ok, ret) = address(verifier).staticcall{gas: 400_000}(abi.encodeCall(Groth16Verifier.verifyProof, (p, input)));
        assertTrue(ok && abi.decode(ret, (bool)), "enough gas");
    }

    function test_constructor_rejectsABadKey() public {
        Groth16Verifier.VerifyingKey memory vk = F.verifyingKey();
        vk.alpha1[1] = addmod(vk.alpha1[1], 1, Q);
        vm.expectRevert(abi.encodeWithSelector(Groth16Verifier.InvalidVerifyingKey.selector, 0));
        new Groth16Verifier(vk);
        vk = F.verifyingKey();
        vk.beta2 = F.nonSubgroupG2();
        vm.expectRevert(abi.encodeWithSelector(Groth16Verifier.InvalidVerifyingKey.selector, 1));
        new Groth16Verifier(vk);
        vk = F.verifyingKey();
        vk.delta2[0] = addmod(vk.delta2[0], 1, Q);
        vm.expectRevert(abi.encodeWithSelector(Groth16Verifier.InvalidVerifyingKey.selector, 3));
        new Groth16Verifier(vk);
        vk = F.verifyingKey();
        vk.ic1[0] = Q + vk.ic1[0];
        vm.expectRevert(abi.encodeWithSelector(Groth16Verifier.InvalidVerifyingKey.selector, 5));
        new Groth16Verifier(vk);
    }

    // ---------------------------------------------------------------------------------------------- Poseidon

    function test_poseidon_equalsCircomlibjs() public {
        checkPoseidonVectors();
    }

    /// @dev The package's precompiled bytecode (what deploy.ts deploys) gives the same hashes.
    function test_poseidonPackageBytecode_equalsCircomlibjs() public {
        PoseidonBytecode.install(vm);
        checkPoseidonVectors();
    }

    function checkPoseidonVectors() internal {
        for (uint256 i = 0; i < F.T3_VECTORS; i++) {
            (uint256[2] memory inputs, uint256 output) = F.t3Vector(i);
            assertEq(PoseidonT3.hash(inputs), output, "T3");
        }
        for (uint256 i = 0; i < F.T4_VECTORS; i++) {
            (uint256[3] memory inputs, uint256 output) = F.t4Vector(i);
            assertEq(PoseidonT4.hash(inputs), output, "T4");
        }
        uint256[] memory z = ZkTestLib.zeros(16);
        assertEq(z[0], F.EMPTY_LEAF, "the empty leaf is 0");
        assertEq(z[4], F.EMPTY_ROOT_D4, "zero[4]");
        assertEq(z[16], F.EMPTY_ROOT_D16, "zero[16]");
        assertEq(PoseidonT4.hash([F.LEAF_PK_HASH, F.LEAF_OWNER_NONCE, F.LEAF_BALANCES]), F.LEAF_HASH, "leaf");
    }

    function test_rollupGenesisRoot_equalsCircomlibjs() public {
        ZkRollup r16 = new ZkRollup(verifier, 16, 32, 1 days, address(this), address(this));
        assertEq(r16.genesisRoot(), bytes32(F.EMPTY_ROOT_D16));
        ZkRollup r4 = new ZkRollup(verifier, 4, 32, 1 days, address(this), address(this));
        assertEq(r4.genesisRoot(), bytes32(F.EMPTY_ROOT_D4));
    }

    // ------------------------------------------------------------------------------------ rollup, end to end

    /// @dev The fixture's block: an ETH deposit, a transfer, a withdrawal to bob. Commitment computed in JS.
    function test_rollup_commitsAndVerifiesTheFixtureBlockWithTheRealVerifier() public {
        address operator = address(0x0123);
        ZkRollup rollup = new ZkRollup(verifier, F.DEPTH, F.CHUNKS, 1 days, operator, address(this));
        assertEq(rollup.genesisRoot(), bytes32(F.GENESIS_ROOT));
        vm.deal(address(this), 10 ether);
        rollup.depositETH{value: F.DEPOSIT_UNITS * 1 gwei}(F.DEPOSIT_OWNER, F.DEPOSIT_PK_HASH);
        assertEq(rollup.priorityRequest(0), F.DEPOSIT_PACKED);
        assertEq(rollup.priorityChain(1), F.P1, "priority chain equals circomlibjs");

        ZkRollup.CommitBlockInput[] memory blocks = new ZkRollup.CommitBlockInput[](1);
        blocks[0] = ZkRollup.CommitBlockInput(bytes32(F.NEW_ROOT), F.PUBDATA);
        ZkRollup.StoredBlock memory genesis = rollup.genesisBlock();
        vm.prank(operator);
        rollup.commitBlocks(genesis, blocks);
        ZkPubdata.Withdrawal[][] memory ws = new ZkPubdata.Withdrawal[][](1);
        ws[0] = new ZkPubdata.Withdrawal[](1);
        ws[0][0] = ZkPubdata.Withdrawal(F.WITHDRAWAL_OWNER, 0, uint64(F.WITHDRAWAL_UNITS));
        ZkRollup.StoredBlock[] memory sbs = new ZkRollup.StoredBlock[](1);
        sbs[0] = ZkRollup.StoredBlock(1, 0, 1, bytes32(F.NEW_ROOT), bytes32(F.COMMITMENT), keccak256(abi.encode(ws[0])));
        assertEq(rollup.storedBlockHash(1), keccak256(abi.encode(sbs[0])), "commitment equals the JS one");

        uint256[8][] memory proofs = new uint256[8][](1);
        (proofs[0],) = F.proof(0); // a valid proof, of another input
        vm.expectRevert(ZkRollup.InvalidProof.selector);
        rollup.verifyBlocks(sbs, proofs, ws);
        (proofs[0],) = F.proof(F.SCENARIO_PROOF);
        rollup.verifyBlocks(sbs, proofs, ws);
        assertEq(rollup.verifiedRoot(), bytes32(F.NEW_ROOT));
        assertEq(rollup.pendingBalance(F.WITHDRAWAL_OWNER, 0), F.WITHDRAWAL_UNITS * 1 gwei);
        rollup.withdrawPendingBalance(F.WITHDRAWAL_OWNER, 0);
        assertEq(F.WITHDRAWAL_OWNER.balance, F.WITHDRAWAL_UNITS * 1 gwei);
    }
}
