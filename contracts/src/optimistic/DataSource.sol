// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BlobData} from "../common/BlobData.sol";

/// @title DataSource
/// @notice Reads bytes of a source committed on L1 by one hash: blob data (`recordedHash = keccak256(abi.encodePacked(
///         versionedHashes))`, bytes proven with KZG openings) or calldata (`recordedHash = keccak256(data)`, the whole
///         data supplied again). The Rollup uses it for batch data and for proposal traces (docs/optimistic.md,
///         "Interfaces between the parts").
/// @dev Offsets are **data** offsets: in a blob, data byte `d` is payload byte `d + 4` (the payload starts with the
///      uint32 data length). Every failure reverts with a custom error; nothing returns "false".
library DataSource {
    /// @notice Bytes of a committed source.
    /// @param versionedHashes Blob sources: the versioned hashes of the source's blobs, in order (empty otherwise).
    /// @param range Blob sources: openings of the payload range read (`BlobData.readPayload`); empty otherwise.
    /// @param data Calldata sources: the whole committed data (empty for blobs).
    struct DataProof {
        bytes32[] versionedHashes;
        BlobData.RangeProof range;
        bytes data;
    }

    /// @notice The supplied versioned hashes (blob) or data (calldata) do not hash to the recorded hash.
    error SourceHashMismatch(bytes32 recordedHash, bytes32 suppliedHash);
    /// @notice A calldata read of `[dataOffset, dataOffset + length)` reaches past the end of the data (or a blob read
    ///         starts beyond any possible blob payload).
    error ReadPastEnd(uint256 dataOffset, uint256 length, uint256 dataLength);
    /// @notice A read of zero bytes.
    error EmptyRead();

    /// @notice Data offsets at or past this are beyond any blob payload (6 blobs hold 761,856 payload bytes); checked
    ///         first so that `dataOffset + 4` cannot overflow.
    uint256 internal constant MAX_BLOB_DATA_OFFSET = 1 << 64;

    /// @notice Data bytes `[dataOffset, dataOffset + length)` of the source with `recordedHash`.
    /// @dev Blob: `keccak256(abi.encodePacked(p.versionedHashes)) == recordedHash`, then `BlobData.readPayload` at
    ///      payload offset `dataOffset + 4` with `p.range` (bytes past the data length are whatever the blob holds
    ///      there; compare with `dataLength` when it matters). Calldata: `keccak256(p.data) == recordedHash` and the
    ///      slice must lie inside `p.data` (`ReadPastEnd`).
    function read(bytes32 recordedHash, bool isBlob, uint256 dataOffset, uint256 length, DataProof calldata p)
        internal
        view
        returns (bytes memory)
    {
        checkSource(recordedHash, isBlob, p);
        return
            isBlob ? readBlob(p.versionedHashes, dataOffset, length, p.range) : readCalldata(p.data, dataOffset, length);
    }

    /// @notice The data length of the source with `recordedHash`: blob → the payload's uint32 length prefix (proven
    ///         with `p.range` opening payload bytes [0, 4), i.e. field element 0 of the first blob); calldata →
    ///         `p.data.length`.
    function dataLength(bytes32 recordedHash, bool isBlob, DataProof calldata p) internal view returns (uint256) {
        checkSource(recordedHash, isBlob, p);
        if (!isBlob) return p.data.length;
        return uint32(bytes4(BlobData.readPayload(p.versionedHashes, 0, BlobData.LENGTH_PREFIX_BYTES, p.range)));
    }

    /// @notice The data length and data bytes `[0, length)` together (blob: one range, payload `[0, 4 + length)`, so a
    ///         27-byte batch header and the length prefix cost a single opening). Calldata: bytes past the end of
    ///         `p.data` read as zero (the caller compares with the returned length).
    function readHead(bytes32 recordedHash, bool isBlob, uint256 length, DataProof calldata p)
        internal
        view
        returns (uint256 length_, bytes memory head)
    {
        if (length == 0) revert EmptyRead();
        checkSource(recordedHash, isBlob, p);
        if (!isBlob) {
            length_ = p.data.length;
            head = new bytes(length);
            uint256 copy = length < length_ ? length : length_;
            bytes calldata data = p.data;
            assembly ("memory-safe") {
                calldatacopy(add(head, 0x20), data.offset, copy)
            }
            return (length_, head);
        }
        uint256 prefix = BlobData.LENGTH_PREFIX_BYTES;
        bytes memory payload = BlobData.readPayload(p.versionedHashes, 0, prefix + length, p.range);
        length_ = uint32(bytes4(payload));
        head = new bytes(length);
        assembly ("memory-safe") {
            mcopy(add(head, 0x20), add(payload, add(0x20, prefix)), length)
        }
    }

    /// @notice Reverts `SourceHashMismatch` unless `p` is bound to `recordedHash` (blob: its versioned hashes;
    ///         calldata: its data).
    function checkSource(bytes32 recordedHash, bool isBlob, DataProof calldata p) internal pure {
        bytes32 supplied = isBlob ? keccak256(abi.encodePacked(p.versionedHashes)) : keccak256(p.data);
        if (supplied != recordedHash) revert SourceHashMismatch(recordedHash, supplied);
    }

    /// @notice Data bytes `[dataOffset, dataOffset + length)` of blobs whose versioned hashes the caller has already
    ///         checked (`checkSource`), proven by `range`.
    function readBlob(
        bytes32[] calldata versionedHashes,
        uint256 dataOffset,
        uint256 length,
        BlobData.RangeProof calldata range
    ) internal view returns (bytes memory) {
        if (length == 0) revert EmptyRead();
        if (dataOffset >= MAX_BLOB_DATA_OFFSET) {
            revert ReadPastEnd(dataOffset, length, versionedHashes.length * BlobData.DATA_BYTES_PER_BLOB);
        }
        return BlobData.readPayload(versionedHashes, dataOffset + BlobData.LENGTH_PREFIX_BYTES, length, range);
    }

    /// @notice `data[dataOffset : dataOffset + length]`; `ReadPastEnd` when it does not lie inside `data`.
    function readCalldata(bytes calldata data, uint256 dataOffset, uint256 length)
        internal
        pure
        returns (bytes memory)
    {
        if (length == 0) revert EmptyRead();
        if (dataOffset > data.length || length > data.length - dataOffset) {
            revert ReadPastEnd(dataOffset, length, data.length);
        }
        return data[dataOffset:dataOffset + length];
    }
}
