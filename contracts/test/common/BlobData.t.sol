// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BlobData} from "../../src/common/BlobData.sol";
import {Test} from "../utils/Test.sol";

/// @dev Calls the library through external functions so its calldata parameters get calldata; returns the gas the
///      library call itself used (no call overhead, no calldata cost).
contract BlobDataHarness {
    function verify(
        bytes32 versionedHash,
        uint256 index,
        bytes32 value,
        bytes calldata commitment,
        bytes calldata proof
    ) external view returns (uint256 gasUsed) {
        uint256 before = gasleft();
        BlobData.verifyFieldElement(versionedHash, index, value, commitment, proof);
        gasUsed = before - gasleft();
    }

    function read(
        bytes32[] calldata versionedHashes,
        uint256 byteOffset,
        uint256 length,
        BlobData.RangeProof calldata rangeProof
    ) external view returns (bytes memory data, uint256 gasUsed) {
        uint256 before = gasleft();
        data = BlobData.readPayload(versionedHashes, byteOffset, length, rangeProof);
        gasUsed = before - gasleft();
    }

    function dataLength(bytes32 versionedHash, bytes32 value, bytes calldata commitment, bytes calldata proof)
        external
        view
        returns (uint256)
    {
        return BlobData.readDataLength(versionedHash, value, commitment, proof);
    }

    function evaluationPoint(uint256 index) external pure returns (uint256) {
        return BlobData.evaluationPoint(index);
    }
}

/// @dev Openings of real blobs, checked through the real point-evaluation precompile (forge's EVM runs 0x0A with the
///      mainnet trusted setup). Made by src/l1/blobProofs.test.ts ("shared test vectors"), which computes them with
///      c-kzg from deterministic batch data (130,000 LCG bytes, seed 4844, encoded by `dataToBlobs` into 2 blobs,
///      plus a 1-element non-canonical blob) and fails when this block differs from what it computes; on a change,
///      paste the block its diff prints. RANGE_A: payload bytes [40, 140) = elements 1..4 of blob 0; RANGE_B:
///      payload bytes [126956, 126996) = element 4095 of blob 0 and element 0 of blob 1; E0: element 0 of blob 0
///      (the length prefix); NC: element 0 = 0x01 00 00 00 2a 00.. of a blob whose byte 0 is non-zero (ignored:
///      its payload starts 00 00 00 2a, data length 42);
///      Z_i: the evaluation point of element i.
abstract contract BlobDataVectors {
    // BEGIN GENERATED VECTORS
    bytes32 internal constant VH0 = 0x015202fcbb9da42d66c72bd1df1e227cb48d3be6fe8a4148951bc736118be66c;
    bytes32 internal constant VH1 = 0x011a301425e0d8dc77f946232dd51612b5aad8941958d654a2c0fd6a748e5751;
    bytes internal constant C0 =
        hex"b52d0276604f443199af51f0bd85e9b3226bbe0e562d818065d8c806ded637f5dfb071935cf4cfca7185c93d7bb60368";
    bytes internal constant C1 =
        hex"a62fcdf722a2a2fac6e6088553293c69a2072c53906d7b3b2b2248984a41c6a280166b25c80c3fe6e1f4b2c9c81f69c2";
    uint256 internal constant DATA_LENGTH = 130000;
    bytes32 internal constant E0_VALUE = 0x000001fbd01da58bf9bf88497cb9dca4f7877d054796f1b93526e2019baf651f;
    bytes internal constant E0_PROOF =
        hex"9215c503e37d72f943a5829dae962f367b00fb1bcc4980df138e0698fafa6d53a113d02eed20939a20dfbb564959e76e";
    uint256 internal constant RANGE_A_OFFSET = 40;
    uint256 internal constant RANGE_A_LENGTH = 100;
    bytes internal constant RANGE_A_COMMITMENTS =
        hex"b52d0276604f443199af51f0bd85e9b3226bbe0e562d818065d8c806ded637f5dfb071935cf4cfca7185c93d7bb60368";
    bytes internal constant RANGE_A_VALUES =
        hex"00536164b26fa7bdde6bdaf20d4b767139d587d81c6c28b7bc283ab31534b51700ea983c2906edd7d467a4f27e17de0520c50a98ee50ab6b26d51708defa060000db893e96d789b6a4ab6e04f25919e750e8ac3c26787cca581a9e8e9e49d58d00bd0cf1543d20c59a88b860c38aa3282941fcf368e3a35e236c22d5efcdcf2e";
    bytes internal constant RANGE_A_PROOFS =
        hex"b5e3714f2766159c75f87d63664b0a076f579e31da1ddb5c53a0ac6e0c877437023f4537f0c51cd4af58bea14705b04fad0ae2068cca85558a4d9b0da06074cf9df59b82cea6a0ff547cc67ccceb84f2e5dc1c5d72782dee84840b3e89af4c98b54e5def6209f73ce74f3d642e5ffc7d21f868b9785a33220e760265e0d88300b2107d3ec907d11b07b3b0a9535236dd84399d444ab23b41b90e86c44c34952d5bf3dfc1a6f7a1dcbccbd5a4aeaf75dadddc5e313bc60286bc16b73173ad6463";
    bytes internal constant RANGE_A_BYTES =
        hex"daf20d4b767139d587d81c6c28b7bc283ab31534b517ea983c2906edd7d467a4f27e17de0520c50a98ee50ab6b26d51708defa0600db893e96d789b6a4ab6e04f25919e750e8ac3c26787cca581a9e8e9e49d58dbd0cf1543d20c59a88b860c38aa32829";
    uint256 internal constant RANGE_B_OFFSET = 126956;
    uint256 internal constant RANGE_B_LENGTH = 40;
    bytes internal constant RANGE_B_COMMITMENTS =
        hex"b52d0276604f443199af51f0bd85e9b3226bbe0e562d818065d8c806ded637f5dfb071935cf4cfca7185c93d7bb60368a62fcdf722a2a2fac6e6088553293c69a2072c53906d7b3b2b2248984a41c6a280166b25c80c3fe6e1f4b2c9c81f69c2";
    bytes internal constant RANGE_B_VALUES =
        hex"00e2e212761f1d8e2d7222667412950246e81c087241e041aa9ef387f4aca6d5001bc7fc090193d3f9f97c80d79337da18729b074819598696d17734ec089564";
    bytes internal constant RANGE_B_PROOFS =
        hex"8f9e87c6f7663519279d5070c1e7e1d82f1437df1cdf8832bca189ddb6858a2aba2703de1b19e366263f57bac0e2cd27a72bfb4f794d378751d7e10a7954b9526a6ad70ae2883a55de5713d085f1c22dce122cc49f419c375b282523a671fab0";
    bytes internal constant RANGE_B_BYTES =
        hex"7412950246e81c087241e041aa9ef387f4aca6d51bc7fc090193d3f9f97c80d79337da18729b0748";
    bytes32 internal constant NC_VH = 0x0196321e1ecb3d7f0ffe936ffa0d833a890bd9e13741636684e2fec3e41dc424;
    bytes internal constant NC_C =
        hex"8b07760eefe97544ac52ea1e3c1ca5a60dc639aa805d67c9391a949b48df781e6de4d1299196f6fd15921071e585224e";
    bytes32 internal constant NC_VALUE = 0x010000002a000000000000000000000000000000000000000000000000000000;
    bytes internal constant NC_PROOF =
        hex"999bfb530aed99ac24d4eaf9070b0886a54aade3bd08e5923f016d095e8369920a3ec74095bdc1ab492e87c934065067";
    uint256 internal constant Z_1 = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000000;
    uint256 internal constant Z_2 = 0x00000000000000008d51ccce760304d0ec030002760300000001000000000000;
    uint256 internal constant Z_3 = 0x73eda753299d7d47a5e80b39939ed33467baa40089fb5bfefffeffff00000001;
    uint256 internal constant Z_6 = 0x1333b22e5ce11044babc5affca86bf658e74903694b04fd86037fe81ae99502e;
    uint256 internal constant Z_4095 = 0x391b2856c609b4784ae25ffab9dc59865046d17864183203961a252dd8543362;
    // END GENERATED VECTORS
}

contract BlobDataTest is Test, BlobDataVectors {
    BlobDataHarness internal harness;

    uint256 internal constant R = BlobData.BLS_MODULUS;

    function setUp() public {
        harness = new BlobDataHarness();
    }

    // ---------------------------------------------------------------- helpers

    function powMod(uint256 base, uint256 exponent) internal pure returns (uint256 result) {
        result = 1;
        for (; exponent != 0; exponent >>= 1) {
            if (exponent & 1 != 0) result = mulmod(result, base, R);
            base = mulmod(base, base, R);
        }
    }

    function bitReverse12(uint256 i) internal pure returns (uint256 out) {
        for (uint256 bit = 0; bit < 12; bit++) {
            out |= ((i >> bit) & 1) << (11 - bit);
        }
    }

    /// Word `k` of packed 32-byte words.
    function word(bytes memory packed, uint256 k) internal pure returns (bytes32 w) {
        assembly ("memory-safe") {
            w := mload(add(add(packed, 0x20), mul(k, 0x20)))
        }
    }

    /// Bytes [start, start + length) of `b`.
    function slice(bytes memory b, uint256 start, uint256 length) internal pure returns (bytes memory out) {
        out = new bytes(length);
        for (uint256 i = 0; i < length; i++) {
            out[i] = b[start + i];
        }
    }

    function words(bytes memory packed, uint256 start, uint256 count) internal pure returns (bytes32[] memory out) {
        out = new bytes32[](count);
        for (uint256 k = 0; k < count; k++) {
            out[k] = word(packed, start + k);
        }
    }

    function hashes(bytes32 a) internal pure returns (bytes32[] memory out) {
        out = new bytes32[](1);
        out[0] = a;
    }

    function hashes(bytes32 a, bytes32 b) internal pure returns (bytes32[] memory out) {
        out = new bytes32[](2);
        out[0] = a;
        out[1] = b;
    }

    function rangeA() internal pure returns (BlobData.RangeProof memory) {
        return BlobData.RangeProof(RANGE_A_COMMITMENTS, words(RANGE_A_VALUES, 0, 4), RANGE_A_PROOFS);
    }

    function rangeB() internal pure returns (BlobData.RangeProof memory) {
        return BlobData.RangeProof(RANGE_B_COMMITMENTS, words(RANGE_B_VALUES, 0, 2), RANGE_B_PROOFS);
    }

    // ------------------------------------------------------ evaluation points

    function test_rootOfUnityHasOrderExactly4096() public pure {
        assertEq(powMod(BlobData.ROOT_OF_UNITY, 2048), R - 1, "w^2048 = -1");
        assertEq(powMod(BlobData.ROOT_OF_UNITY, 4096), 1, "w^4096 = 1");
        assertEq(BlobData.ROOT_OF_UNITY, powMod(7, (R - 1) / 4096), "w = 7^((r-1)/4096)");
    }

    function test_evaluationPointsMatchTheTypeScriptVectors() public view {
        assertEq(harness.evaluationPoint(0), 1, "z(0)");
        assertEq(harness.evaluationPoint(1), Z_1, "z(1)");
        assertEq(harness.evaluationPoint(2), Z_2, "z(2)");
        assertEq(harness.evaluationPoint(3), Z_3, "z(3)");
        assertEq(harness.evaluationPoint(6), Z_6, "z(6)");
        assertEq(harness.evaluationPoint(4095), Z_4095, "z(4095)");
        assertEq(Z_1, R - 1, "z(1) = -1");
    }

    /// Every single-bit index checks one constant of the library's table.
    function test_evaluationPointOfEachBitIsOmegaToTheReversedBit() public view {
        for (uint256 j = 0; j < 12; j++) {
            assertEq(harness.evaluationPoint(1 << j), powMod(BlobData.ROOT_OF_UNITY, 1 << (11 - j)), "bit");
        }
    }

    function testFuzz_evaluationPointIsOmegaToTheBitReversedIndex(uint256 index) public view {
        index = bound(index, 0, 4095);
        assertEq(harness.evaluationPoint(index), powMod(BlobData.ROOT_OF_UNITY, bitReverse12(index)));
    }

    function test_evaluationPointRevertsBeyondTheBlob() public {
        vm.expectRevert(abi.encodeWithSelector(BlobData.IndexOutOfRange.selector, 4096));
        harness.evaluationPoint(4096);
    }

    // ------------------------------------------------------ single openings

    function test_verifiesValidOpenings() public {
        uint256 gasUsed = harness.verify(VH0, 0, E0_VALUE, C0, E0_PROOF);
        emit log_named_uint("gas: verifyFieldElement (element 0)", gasUsed);
        assertGt(gasUsed, 50_000, "precompile cost");
        assertLe(gasUsed, 52_000, "overhead");
        gasUsed = harness.verify(VH0, 4095, word(RANGE_B_VALUES, 0), C0, slice(RANGE_B_PROOFS, 0, 48));
        emit log_named_uint("gas: verifyFieldElement (element 4095, 12 multiplications for z)", gasUsed);
        assertLe(gasUsed, 52_000, "overhead");
        for (uint256 k = 0; k < 4; k++) {
            harness.verify(VH0, 1 + k, word(RANGE_A_VALUES, k), C0, slice(RANGE_A_PROOFS, 48 * k, 48));
        }
        harness.verify(VH1, 0, word(RANGE_B_VALUES, 1), C1, slice(RANGE_B_PROOFS, 48, 48));
        // A non-zero byte 0 is a valid field element like any other.
        harness.verify(NC_VH, 0, NC_VALUE, NC_C, NC_PROOF);
    }

    function test_revertsOnAWrongValue() public {
        bytes32 wrong = E0_VALUE ^ bytes32(uint256(1));
        vm.expectRevert(abi.encodeWithSelector(BlobData.InvalidOpening.selector, VH0, 0, wrong));
        harness.verify(VH0, 0, wrong, C0, E0_PROOF);
        // A value at or above the modulus is not a field element.
        bytes32 huge = bytes32(uint256(E0_VALUE) + R);
        vm.expectRevert(abi.encodeWithSelector(BlobData.InvalidOpening.selector, VH0, 0, huge));
        harness.verify(VH0, 0, huge, C0, E0_PROOF);
    }

    function test_revertsOnAWrongIndex() public {
        vm.expectRevert(abi.encodeWithSelector(BlobData.InvalidOpening.selector, VH0, 1, E0_VALUE));
        harness.verify(VH0, 1, E0_VALUE, C0, E0_PROOF);
        // Element 1's true opening does not pass as element 2 either.
        bytes32 value1 = word(RANGE_A_VALUES, 0);
        vm.expectRevert(abi.encodeWithSelector(BlobData.InvalidOpening.selector, VH0, 2, value1));
        harness.verify(VH0, 2, value1, C0, slice(RANGE_A_PROOFS, 0, 48));
        vm.expectRevert(abi.encodeWithSelector(BlobData.IndexOutOfRange.selector, 4096));
        harness.verify(VH0, 4096, E0_VALUE, C0, E0_PROOF);
    }

    function test_revertsOnAWrongVersionedHash() public {
        vm.expectRevert(abi.encodeWithSelector(BlobData.CommitmentMismatch.selector, VH1));
        harness.verify(VH1, 0, E0_VALUE, C0, E0_PROOF);
        // Right sha256, wrong version byte.
        bytes32 version2 = (VH0 & bytes32(type(uint256).max >> 8)) | bytes32(uint256(2) << 248);
        vm.expectRevert(abi.encodeWithSelector(BlobData.CommitmentMismatch.selector, version2));
        harness.verify(version2, 0, E0_VALUE, C0, E0_PROOF);
        // Commitment of another blob with the first blob's versioned hash.
        vm.expectRevert(abi.encodeWithSelector(BlobData.CommitmentMismatch.selector, VH0));
        harness.verify(VH0, 0, E0_VALUE, C1, E0_PROOF);
    }

    function test_revertsOnAMalformedProofOrCommitment() public {
        vm.expectRevert(abi.encodeWithSelector(BlobData.BadLength.selector, 47, 48));
        harness.verify(VH0, 0, E0_VALUE, C0, slice(E0_PROOF, 0, 47));
        vm.expectRevert(abi.encodeWithSelector(BlobData.BadLength.selector, 49, 48));
        harness.verify(VH0, 0, E0_VALUE, C0, bytes.concat(E0_PROOF, hex"00"));
        vm.expectRevert(abi.encodeWithSelector(BlobData.BadLength.selector, 0, 48));
        harness.verify(VH0, 0, E0_VALUE, "", E0_PROOF);

        // 48 bytes that are not a G1 point, the point at infinity, and a valid proof of another element.
        bytes memory garbage = bytes.concat(bytes32(uint256(0x11)), bytes16(uint128(0x22)));
        vm.expectRevert(abi.encodeWithSelector(BlobData.InvalidOpening.selector, VH0, 0, E0_VALUE));
        harness.verify(VH0, 0, E0_VALUE, C0, garbage);
        bytes memory infinity = bytes.concat(bytes1(0xc0), new bytes(47));
        vm.expectRevert(abi.encodeWithSelector(BlobData.InvalidOpening.selector, VH0, 0, E0_VALUE));
        harness.verify(VH0, 0, E0_VALUE, C0, infinity);
        vm.expectRevert(abi.encodeWithSelector(BlobData.InvalidOpening.selector, VH0, 0, E0_VALUE));
        harness.verify(VH0, 0, E0_VALUE, C0, slice(RANGE_A_PROOFS, 0, 48));
    }

    // --------------------------------------------------------- payload reads

    function test_readsTheDataLengthPrefix() public view {
        assertEq(harness.dataLength(VH0, E0_VALUE, C0, E0_PROOF), DATA_LENGTH);
        // Byte 0 (0x01 here) is ignored: the prefix is bytes 1..4.
        assertEq(harness.dataLength(NC_VH, NC_VALUE, NC_C, NC_PROOF), 42);
    }

    function test_readsARangeInsideOneBlob() public {
        (bytes memory data, uint256 gasUsed) = harness.read(hashes(VH0, VH1), RANGE_A_OFFSET, RANGE_A_LENGTH, rangeA());
        assertEq(keccak256(data), keccak256(RANGE_A_BYTES), "bytes");
        assertEq(data.length, 100, "length");
        emit log_named_uint("gas: readPayload 100 bytes (4 openings)", gasUsed);
        assertLe(gasUsed, 4 * 54_000, "about one opening per element");
    }

    function test_readsARangeAcrossTwoBlobs() public {
        (bytes memory data, uint256 gasUsed) = harness.read(hashes(VH0, VH1), RANGE_B_OFFSET, RANGE_B_LENGTH, rangeB());
        assertEq(keccak256(data), keccak256(RANGE_B_BYTES), "bytes");
        emit log_named_uint("gas: readPayload 40 bytes across 2 blobs (2 openings)", gasUsed);
    }

    function test_readsOneFieldElementExactly() public {
        // Payload bytes [62, 93) are exactly field element 2 (RANGE_A's second value).
        BlobData.RangeProof memory p =
            BlobData.RangeProof(RANGE_A_COMMITMENTS, words(RANGE_A_VALUES, 1, 1), slice(RANGE_A_PROOFS, 48, 48));
        (bytes memory data, uint256 gasUsed) = harness.read(hashes(VH0), 62, 31, p);
        assertEq(keccak256(data), keccak256(slice(RANGE_A_BYTES, 22, 31)), "bytes");
        emit log_named_uint("gas: readPayload 31 aligned bytes (1 opening)", gasUsed);
    }

    /// Any sub-range of RANGE_A, proven by the subset of its openings that covers it.
    function testFuzz_readsAnySubrangeWithItsCoveringOpenings(uint256 offset, uint256 length) public view {
        offset = bound(offset, 40, 139);
        length = bound(length, 1, 140 - offset);
        (uint256 first, uint256 count) = (offset / 31, (offset + length - 1) / 31 - offset / 31 + 1);
        BlobData.RangeProof memory p = BlobData.RangeProof(
            RANGE_A_COMMITMENTS,
            words(RANGE_A_VALUES, first - 1, count),
            slice(RANGE_A_PROOFS, 48 * (first - 1), 48 * count)
        );
        (bytes memory data,) = harness.read(hashes(VH0), offset, length, p);
        assertEq(keccak256(data), keccak256(slice(RANGE_A_BYTES, offset - 40, length)));
    }

    function test_readRevertsOnBadRanges() public {
        bytes32[] memory both = hashes(VH0, VH1);
        vm.expectRevert(BlobData.EmptyRange.selector);
        harness.read(both, 40, 0, rangeA());
        vm.expectRevert(abi.encodeWithSelector(BlobData.RangeOutOfBounds.selector, 2 * 126_976, 1, 2));
        harness.read(both, 2 * 126_976, 1, rangeA());
        vm.expectRevert(abi.encodeWithSelector(BlobData.RangeOutOfBounds.selector, 126_956, 40, 1));
        harness.read(hashes(VH0), RANGE_B_OFFSET, RANGE_B_LENGTH, rangeB());
        vm.expectRevert(abi.encodeWithSelector(BlobData.RangeOutOfBounds.selector, 1, type(uint256).max, 2));
        harness.read(both, 1, type(uint256).max, rangeA());
    }

    function test_readRevertsOnMissingOrWrongOpenings() public {
        bytes32[] memory both = hashes(VH0, VH1);
        // One element too few.
        BlobData.RangeProof memory p = rangeA();
        vm.expectRevert(abi.encodeWithSelector(BlobData.BadLength.selector, 4, 5));
        harness.read(both, 40, 124, p);
        // Proofs not matching the number of values.
        p.proofs = slice(RANGE_A_PROOFS, 0, 144);
        vm.expectRevert(abi.encodeWithSelector(BlobData.BadLength.selector, 144, 192));
        harness.read(both, RANGE_A_OFFSET, RANGE_A_LENGTH, p);
        // One commitment for a range that touches two blobs.
        p = rangeB();
        p.commitments = C0;
        vm.expectRevert(abi.encodeWithSelector(BlobData.BadLength.selector, 48, 96));
        harness.read(both, RANGE_B_OFFSET, RANGE_B_LENGTH, p);
        // Two values swapped.
        p = rangeA();
        (p.values[1], p.values[2]) = (p.values[2], p.values[1]);
        vm.expectRevert(abi.encodeWithSelector(BlobData.InvalidOpening.selector, VH0, 2, p.values[1]));
        harness.read(both, RANGE_A_OFFSET, RANGE_A_LENGTH, p);
        // Blobs in the wrong order.
        vm.expectRevert(abi.encodeWithSelector(BlobData.CommitmentMismatch.selector, VH1));
        harness.read(hashes(VH1, VH0), RANGE_A_OFFSET, RANGE_A_LENGTH, rangeA());
    }

    /// The payload is the low 31 bytes of each element: a non-zero byte 0 is dropped, never read, never rejected.
    function test_readIgnoresByteZeroOfEveryFieldElement() public view {
        BlobData.RangeProof memory p = BlobData.RangeProof(NC_C, words(abi.encode(NC_VALUE), 0, 1), NC_PROOF);
        (bytes memory data,) = harness.read(hashes(NC_VH), 0, 31, p);
        bytes memory expected = new bytes(31);
        expected[3] = 0x2a;
        assertEq(keccak256(data), keccak256(expected), "bytes 1..31 of the element");
        (data,) = harness.read(hashes(NC_VH), 0, 4, p);
        assertEq(keccak256(data), keccak256(hex"0000002a"), "length prefix");
        // The opening itself is still checked: the value with byte 0 cleared is another value, and fails.
        p.values[0] = NC_VALUE & bytes32(type(uint256).max >> 8);
        (bool ok,) = address(harness).staticcall(abi.encodeCall(harness.read, (hashes(NC_VH), 0, 4, p)));
        assertFalse(ok, "a different byte 0 is a different field element");
    }
}
