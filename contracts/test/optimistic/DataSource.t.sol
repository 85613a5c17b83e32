// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BlobData} from "../../src/common/BlobData.sol";
import {DataSource} from "../../src/optimistic/DataSource.sol";
import {Test} from "../utils/Test.sol";
import {ChallengeVectors} from "../vectors/ChallengeVectors.sol";

/// @dev External entry points so the library gets calldata arguments.
contract DataSourceHarness {
    function read(
        bytes32 recordedHash,
        bool isBlob,
        uint256 dataOffset,
        uint256 length,
        DataSource.DataProof calldata p
    ) external view returns (bytes memory) {
        return DataSource.read(recordedHash, isBlob, dataOffset, length, p);
    }

    function dataLength(bytes32 recordedHash, bool isBlob, DataSource.DataProof calldata p)
        external
        view
        returns (uint256)
    {
        return DataSource.dataLength(recordedHash, isBlob, p);
    }

    function readHead(bytes32 recordedHash, bool isBlob, uint256 length, DataSource.DataProof calldata p)
        external
        view
        returns (uint256, bytes memory)
    {
        return DataSource.readHead(recordedHash, isBlob, length, p);
    }
}

contract DataSourceTest is Test, ChallengeVectors {
    DataSourceHarness internal harness;

    function setUp() public {
        harness = new DataSourceHarness();
    }

    function calldataProof(bytes memory data) internal pure returns (DataSource.DataProof memory p) {
        p.data = data;
    }

    function slice(bytes memory b, uint256 start, uint256 length) internal pure returns (bytes memory out) {
        out = new bytes(length);
        for (uint256 i = 0; i < length; i++) {
            out[i] = b[start + i];
        }
    }

    function pseudoRandom(uint256 seed, uint256 length) internal pure returns (bytes memory out) {
        out = new bytes(length);
        for (uint256 i = 0; i < length; i += 32) {
            bytes32 w = keccak256(abi.encode(seed, i));
            for (uint256 j = 0; j < 32 && i + j < length; j++) {
                out[i + j] = w[j];
            }
        }
    }

    /// B_VALID's openings of elements `first .. first + count − 1` (its VALUES list is elements 0..12 in order).
    function bValid(uint256 first, uint256 count) internal pure returns (DataSource.DataProof memory p) {
        p.versionedHashes = new bytes32[](1);
        p.versionedHashes[0] = B_VALID_VH0;
        p.range.commitments = B_VALID_C0;
        p.range.values = new bytes32[](count);
        bytes memory values = B_VALID_VALUES;
        for (uint256 k = 0; k < count; k++) {
            bytes32 v;
            uint256 at = 32 * (first + k);
            assembly ("memory-safe") {
                v := mload(add(add(values, 0x20), at))
            }
            p.range.values[k] = v;
        }
        p.range.proofs = slice(B_VALID_PROOFS, 48 * first, 48 * count);
    }

    /// The B_VALID batch data (as scripts/genChallengeVectors.ts builds it).
    function bValidData() internal pure returns (bytes memory data) {
        bytes memory end1000 = new bytes(124);
        end1000[0] = 0x02;
        end1000[7] = 0x03;
        end1000[8] = 0xe8;
        bytes memory deposit = new bytes(124);
        deposit[0] = 0x01;
        bytes memory end1001 = new bytes(124);
        end1001[0] = 0x02;
        end1001[7] = 0x03;
        end1001[8] = 0xe9;
        data = bytes.concat(abi.encodePacked(uint8(3), uint64(1), uint32(3), bytes14(0)), end1000, deposit, end1001);
    }

    // ------------------------------------------------------------------ calldata

    /// Any slice inside the data reads exactly; any slice reaching past the end reverts ReadPastEnd.
    function testFuzz_calldataReadsExactlyOrRevertsPastTheEnd(uint256 seed, uint16 size, uint256 offset, uint256 length)
        public
    {
        bytes memory data = pseudoRandom(seed, bound(size, 0, 600));
        offset = bound(offset, 0, data.length + 40);
        length = bound(length, 1, data.length + 40);
        bytes32 h = keccak256(data);
        if (offset + length > data.length) {
            vm.expectRevert(abi.encodeWithSelector(DataSource.ReadPastEnd.selector, offset, length, data.length));
            harness.read(h, false, offset, length, calldataProof(data));
        } else {
            bytes memory got = harness.read(h, false, offset, length, calldataProof(data));
            assertEq(keccak256(got), keccak256(slice(data, offset, length)));
        }
    }

    function testFuzz_calldataReadPastTheEndNeverOverflows(uint256 offset, uint256 length) public {
        bytes memory data = hex"0102030405";
        vm.assume(length != 0);
        vm.assume(offset > 5 || length > 5 - offset);
        vm.expectRevert(abi.encodeWithSelector(DataSource.ReadPastEnd.selector, offset, length, 5));
        harness.read(keccak256(data), false, offset, length, calldataProof(data));
    }

    /// A single changed byte of the supplied data is another source.
    function testFuzz_calldataMustBeTheCommittedData(uint256 seed, uint16 size, uint256 at) public {
        bytes memory data = pseudoRandom(seed, bound(size, 1, 300));
        bytes32 h = keccak256(data);
        at = bound(at, 0, data.length - 1);
        data[at] = bytes1(uint8(data[at]) ^ 1);
        vm.expectRevert(abi.encodeWithSelector(DataSource.SourceHashMismatch.selector, h, keccak256(data)));
        harness.read(h, false, 0, 1, calldataProof(data));
    }

    function test_calldataLengthAndHead() public view {
        bytes memory data = hex"0a0b0c";
        assertEq(harness.dataLength(keccak256(data), false, calldataProof(data)), 3);
        (uint256 length, bytes memory head) = harness.readHead(keccak256(data), false, 5, calldataProof(data));
        assertEq(length, 3);
        assertEq(keccak256(head), keccak256(hex"0a0b0c0000"), "zero padded past the end");
        (length, head) = harness.readHead(keccak256(data), false, 2, calldataProof(data));
        assertEq(keccak256(head), keccak256(hex"0a0b"));
        assertEq(harness.dataLength(keccak256(""), false, calldataProof("")), 0);
    }

    function test_emptyReadsRevert() public {
        bytes memory data = hex"0a0b0c";
        vm.expectRevert(DataSource.EmptyRead.selector);
        harness.read(keccak256(data), false, 0, 0, calldataProof(data));
        vm.expectRevert(DataSource.EmptyRead.selector);
        harness.read(keccak256(abi.encodePacked(B_VALID_VH0)), true, 0, 0, bValid(0, 1));
        vm.expectRevert(DataSource.EmptyRead.selector);
        harness.readHead(keccak256(data), false, 0, calldataProof(data));
    }

    // --------------------------------------------------------------------- blob

    function test_blobLengthHeadAndRows() public view {
        bytes32 h = keccak256(abi.encodePacked(B_VALID_VH0));
        bytes memory data = bValidData();
        assertEq(harness.dataLength(h, true, bValid(0, 1)), data.length, "length prefix");
        (uint256 length, bytes memory head) = harness.readHead(h, true, 27, bValid(0, 1));
        assertEq(length, 399);
        assertEq(keccak256(head), keccak256(slice(data, 0, 27)), "header from one opening");
        for (uint256 r = 0; r < 3; r++) {
            bytes memory row = harness.read(h, true, 27 + 124 * r, 124, bValid(1 + 4 * r, 4));
            assertEq(keccak256(row), keccak256(slice(data, 27 + 124 * r, 124)), "row");
        }
    }

    /// Any data range inside B_VALID's opened elements, proven by exactly its covering openings, reads the data.
    function testFuzz_blobReadsAnyRangeOfTheData(uint256 offset, uint256 length) public view {
        bytes memory data = bValidData();
        offset = bound(offset, 0, data.length - 1);
        length = bound(length, 1, data.length - offset);
        uint256 first = (offset + 4) / 31;
        uint256 count = (offset + 4 + length - 1) / 31 - first + 1;
        bytes memory got =
            harness.read(keccak256(abi.encodePacked(B_VALID_VH0)), true, offset, length, bValid(first, count));
        assertEq(keccak256(got), keccak256(slice(data, offset, length)));
    }

    function test_blobReadRevertPaths() public {
        bytes32 h = keccak256(abi.encodePacked(B_VALID_VH0));
        DataSource.DataProof memory p = bValid(0, 1);
        // Versioned hashes of another source.
        p.versionedHashes[0] = B_BAD_ROW_VH0;
        vm.expectRevert(
            abi.encodeWithSelector(
                DataSource.SourceHashMismatch.selector, h, keccak256(abi.encodePacked(B_BAD_ROW_VH0))
            )
        );
        harness.read(h, true, 0, 1, p);
        // Too few openings for the range.
        vm.expectRevert(abi.encodeWithSelector(BlobData.BadLength.selector, 1, 2));
        harness.read(h, true, 20, 20, bValid(0, 1));
        // A data offset so large that `+ 4` would overflow.
        vm.expectRevert(
            abi.encodeWithSelector(DataSource.ReadPastEnd.selector, type(uint256).max, 1, BlobData.DATA_BYTES_PER_BLOB)
        );
        harness.read(h, true, type(uint256).max, 1, bValid(0, 1));
        // Beyond the blob.
        vm.expectRevert(abi.encodeWithSelector(BlobData.RangeOutOfBounds.selector, 126_976, 1, 1));
        harness.read(h, true, 126_972, 1, bValid(0, 1));
    }
}
