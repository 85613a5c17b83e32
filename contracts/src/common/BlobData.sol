// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title BlobData
/// @notice Proves on L1 that given bytes are the bytes committed in EIP-4844 blobs, with KZG openings of single field
///         elements checked by the point-evaluation precompile (0x0A) against the blobs' versioned hashes.
/// @dev Blob polynomial (consensus specs, `blob_to_polynomial`): field element `i` of a blob is p(ω^bitrev12(i)),
///      ω the primitive 4096th root of unity of the BLS12-381 scalar field, the domain in bit-reversed order.
///      Payload layout (ARCHITECTURE.md, "Batches and L1 data"): payload = uint32 big-endian data length ‖ data,
///      cut into 31-byte chunks; global field element `g = blob·4096 + i` carries payload bytes [31g, 31g + 31) in
///      its bytes 1..31. Byte 0 of every element is ignored (docs/optimistic.md: payload bytes are the low 31
///      bytes), so every blob has a payload and nothing about it can make a read fail. Every check reverts on
///      failure; nothing here returns "false", so too little gas for the precompile can only make a proof fail,
///      never make a wrong opening pass.
library BlobData {
    /// @notice A byte string (commitment, proof, packed list) has the wrong length.
    error BadLength(uint256 actual, uint256 expected);
    /// @notice A field element index is not below 4096.
    error IndexOutOfRange(uint256 index);
    /// @notice The commitment does not hash to the versioned hash (`0x01 ‖ sha256(commitment)[1:]`).
    error CommitmentMismatch(bytes32 versionedHash);
    /// @notice The precompile rejected the opening: wrong value for this index, or a proof that is not valid.
    error InvalidOpening(bytes32 versionedHash, uint256 index, bytes32 value);
    /// @notice A zero-length byte range was requested.
    error EmptyRange();
    /// @notice The byte range does not lie inside the payload capacity of the given blobs.
    error RangeOutOfBounds(uint256 byteOffset, uint256 length, uint256 blobCount);

    /// @notice Openings of the field elements covering a payload byte range (see `readPayload`).
    /// @param commitments KZG commitments (48 bytes each, packed) of every blob the range touches, first to last.
    /// @param values The covering field elements in payload order (global elements ⌊offset/31⌋ …
    ///        ⌊(offset+length−1)/31⌋).
    /// @param proofs KZG proofs (48 bytes each, packed), one per value.
    struct RangeProof {
        bytes commitments;
        bytes32[] values;
        bytes proofs;
    }

    /// @notice The EIP-4844 point-evaluation precompile.
    address internal constant POINT_EVALUATION = address(0x0a);
    /// @notice Order of the BLS12-381 scalar field.
    uint256 internal constant BLS_MODULUS = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001;
    uint256 internal constant FIELD_ELEMENTS_PER_BLOB = 4096;
    /// @notice Payload bytes per field element (bytes 1..31; byte 0 is ignored).
    uint256 internal constant DATA_BYTES_PER_FIELD_ELEMENT = 31;
    /// @notice Payload bytes per blob (126,976).
    uint256 internal constant DATA_BYTES_PER_BLOB = 126_976;
    /// @notice The payload starts with the data length as a uint32: data byte `d` is payload byte `d + 4`.
    uint256 internal constant LENGTH_PREFIX_BYTES = 4;
    uint256 internal constant COMMITMENT_BYTES = 48;
    uint256 internal constant PROOF_BYTES = 48;
    /// @notice Gas forwarded to the precompile: it costs 50,000 today, and a failing precompile call consumes all the
    ///         gas it was given, so forwarding everything would burn ~63/64 of the caller's gas on a bad opening. The
    ///         4x headroom keeps proofs working if the precompile is repriced upwards.
    uint256 internal constant POINT_EVALUATION_GAS = 200_000;
    /// @notice ω = 7^((BLS_MODULUS − 1) / 4096), the primitive 4096th root of unity (ω^2048 = −1).
    uint256 internal constant ROOT_OF_UNITY = 0x564c0a11a0f704f4fc3e8acfe0f8245f0ad1347b378fbf96e206da11a5d36306;

    // ω^(2^k): bit j of the index is bit (11 − j) of its bit reversal, so it contributes the factor ω^(2^(11−j)).
    uint256 private constant W_1 = ROOT_OF_UNITY;
    uint256 private constant W_2 = 0x6d031f1b5c49c83409f1ca610a08f16655ea6811be9c622d4a838b5d59cd79e5;
    uint256 private constant W_4 = 0x325db5c3debf77a18f4de02c0f776af3ea437f9626fc085e3c28d666a5c2d854;
    uint256 private constant W_8 = 0x095166525526a65439feec240d80689fd697168a3a6000fe4541b8ff2ee0434e;
    uint256 private constant W_16 = 0x4f9b4098e2e9f12e6b368121ac0cf4ad0a0865a899e8deff4935bd2f817f694b;
    uint256 private constant W_32 = 0x6898111413588742b7c68b4d7fdd60d098d0caac87f5713c5130c2c1660125be;
    uint256 private constant W_64 = 0x45af6345ec055e4d14a1e27164d8fdbd2d967f4be2f951558140d032f0a9ee53;
    uint256 private constant W_128 = 0x50e0903a157988bab4bcd40e22f55448bf6e88fb4c38fb8a360c60997369df4e;
    uint256 private constant W_256 = 0x20b1ce9140267af9dd1c0af834cec32c17beb312f20b6f7653ea61d87742bcce;
    uint256 private constant W_512 = 0x345766f603fa66e78c0625cd70d77ce2b38b21c28713b7007228fd3397743f7a;
    uint256 private constant W_1024 = 0x00000000000000008d51ccce760304d0ec030002760300000001000000000000;
    uint256 private constant W_2048 = BLS_MODULUS - 1;

    /// @notice Evaluation point of field element `index`: ω^bitrev12(index) (index 0 → 1, 1 → −1, 2 → ω^1024).
    function evaluationPoint(uint256 index) internal pure returns (uint256 z) {
        if (index >= FIELD_ELEMENTS_PER_BLOB) revert IndexOutOfRange(index);
        z = 1;
        if (index & 1 != 0) z = W_2048;
        if (index & 2 != 0) z = mulmod(z, W_1024, BLS_MODULUS);
        if (index & 4 != 0) z = mulmod(z, W_512, BLS_MODULUS);
        if (index & 8 != 0) z = mulmod(z, W_256, BLS_MODULUS);
        if (index & 16 != 0) z = mulmod(z, W_128, BLS_MODULUS);
        if (index & 32 != 0) z = mulmod(z, W_64, BLS_MODULUS);
        if (index & 64 != 0) z = mulmod(z, W_32, BLS_MODULUS);
        if (index & 128 != 0) z = mulmod(z, W_16, BLS_MODULUS);
        if (index & 256 != 0) z = mulmod(z, W_8, BLS_MODULUS);
        if (index & 512 != 0) z = mulmod(z, W_4, BLS_MODULUS);
        if (index & 1024 != 0) z = mulmod(z, W_2, BLS_MODULUS);
        if (index & 2048 != 0) z = mulmod(z, W_1, BLS_MODULUS);
    }

    /// @notice Reverts unless field element `index` of the blob with `versionedHash` equals `value`.
    /// @param commitment The blob's KZG commitment (48 bytes); must hash to `versionedHash`.
    /// @param proof KZG proof of p(ω^bitrev12(index)) = value (48 bytes).
    /// @dev One precompile call: 50,000 gas plus ~0.8k of overhead (50.8k measured, forge test); a rejected
    ///      opening consumes the POINT_EVALUATION_GAS it forwarded before reverting.
    function verifyFieldElement(
        bytes32 versionedHash,
        uint256 index,
        bytes32 value,
        bytes calldata commitment,
        bytes calldata proof
    ) internal view {
        if (commitment.length != COMMITMENT_BYTES) {
            revert BadLength(commitment.length, COMMITMENT_BYTES);
        }
        if (proof.length != PROOF_BYTES) revert BadLength(proof.length, PROOF_BYTES);
        uint256 z = evaluationPoint(index);
        bool ok;
        assembly ("memory-safe") {
            // versioned_hash ‖ z ‖ y ‖ commitment ‖ proof, 192 bytes at the free memory pointer (not allocated).
            let input := mload(0x40)
            mstore(input, versionedHash)
            mstore(add(input, 0x20), z)
            mstore(add(input, 0x40), value)
            calldatacopy(add(input, 0x60), commitment.offset, 48)
            calldatacopy(add(input, 0x90), proof.offset, 48)
            ok := staticcall(POINT_EVALUATION_GAS, 0x0a, input, 0xc0, 0x00, 0x40)
            // Success output is FIELD_ELEMENTS_PER_BLOB ‖ BLS_MODULUS.
            ok := and(ok, and(eq(returndatasize(), 0x40), and(eq(mload(0x00), 4096), eq(mload(0x20), BLS_MODULUS))))
        }
        if (!ok) {
            // Only on failure: tell a commitment that does not match the versioned hash apart from a bad opening.
            if (_versionedHash(commitment) != versionedHash) revert CommitmentMismatch(versionedHash);
            revert InvalidOpening(versionedHash, index, value);
        }
    }

    /// @notice Global field elements covering payload bytes [byteOffset, byteOffset + length) (length ≥ 1).
    function coveringFieldElements(uint256 byteOffset, uint256 length)
        internal
        pure
        returns (uint256 first, uint256 count)
    {
        if (length == 0) revert EmptyRange();
        first = byteOffset / DATA_BYTES_PER_FIELD_ELEMENT;
        count = (byteOffset + length - 1) / DATA_BYTES_PER_FIELD_ELEMENT - first + 1;
    }

    /// @notice Payload bytes [byteOffset, byteOffset + length) of the blobs with `versionedHashes` (one L1
    ///         transaction's blobs, in order), proven by the openings of the field elements that cover them.
    /// @dev Cost: one precompile call (~51k gas) per covering field element, i.e. ⌈length / 31⌉ or one more.
    ///      Byte 0 of each element is ignored (whatever it holds). Bytes past the data length are whatever the blob
    ///      holds there; callers that care compare with the length prefix (`readDataLength`).
    function readPayload(
        bytes32[] calldata versionedHashes,
        uint256 byteOffset,
        uint256 length,
        RangeProof calldata rangeProof
    ) internal view returns (bytes memory data) {
        (uint256 first, uint256 count) = _checkRange(versionedHashes.length, byteOffset, length, rangeProof);
        // The covered chunks back to back; one spare byte because each 32-byte store reaches one byte further.
        bytes memory covered = new bytes(count * DATA_BYTES_PER_FIELD_ELEMENT + 1);
        for (uint256 k = 0; k < count; k++) {
            bytes32 value = _verifyCovering(versionedHashes, rangeProof, first, k);
            assembly ("memory-safe") {
                mstore(add(add(covered, 0x20), mul(k, 31)), shl(8, value))
            }
        }
        data = new bytes(length);
        uint256 skip = byteOffset - first * DATA_BYTES_PER_FIELD_ELEMENT;
        assembly ("memory-safe") {
            mcopy(add(data, 0x20), add(add(covered, 0x20), skip), length)
        }
    }

    /// @notice The data length (the payload's uint32 prefix, bytes 1..4 of field element 0; byte 0 is ignored) of the
    ///         blobs whose first versioned hash is `firstVersionedHash`, proven by the opening of that element.
    function readDataLength(bytes32 firstVersionedHash, bytes32 value, bytes calldata commitment, bytes calldata proof)
        internal
        view
        returns (uint256 length)
    {
        verifyFieldElement(firstVersionedHash, 0, value, commitment, proof);
        length = (uint256(value) >> 216) & 0xffffffff;
    }

    /// @dev Checks that the range fits in `blobCount` blobs and that `rangeProof` has one value and one proof per
    ///      covering element and one commitment per touched blob; returns the covering elements.
    function _checkRange(uint256 blobCount, uint256 byteOffset, uint256 length, RangeProof calldata rangeProof)
        private
        pure
        returns (uint256 first, uint256 count)
    {
        uint256 capacity = blobCount * DATA_BYTES_PER_BLOB;
        if (byteOffset >= capacity || length > capacity - byteOffset) {
            revert RangeOutOfBounds(byteOffset, length, blobCount);
        }
        (first, count) = coveringFieldElements(byteOffset, length);
        if (rangeProof.values.length != count) revert BadLength(rangeProof.values.length, count);
        if (rangeProof.proofs.length != count * PROOF_BYTES) {
            revert BadLength(rangeProof.proofs.length, count * PROOF_BYTES);
        }
        uint256 blobsTouched = (first + count - 1) / FIELD_ELEMENTS_PER_BLOB - first / FIELD_ELEMENTS_PER_BLOB + 1;
        if (rangeProof.commitments.length != blobsTouched * COMMITMENT_BYTES) {
            revert BadLength(rangeProof.commitments.length, blobsTouched * COMMITMENT_BYTES);
        }
    }

    /// @dev Verifies the `k`-th covering opening (global element `first + k`) and returns its value (the caller
    ///      drops byte 0).
    function _verifyCovering(
        bytes32[] calldata versionedHashes,
        RangeProof calldata rangeProof,
        uint256 first,
        uint256 k
    ) private view returns (bytes32 value) {
        uint256 blob = (first + k) / FIELD_ELEMENTS_PER_BLOB;
        uint256 index = (first + k) % FIELD_ELEMENTS_PER_BLOB;
        uint256 c = (blob - first / FIELD_ELEMENTS_PER_BLOB) * COMMITMENT_BYTES;
        value = rangeProof.values[k];
        verifyFieldElement(
            versionedHashes[blob],
            index,
            value,
            rangeProof.commitments[c:c + COMMITMENT_BYTES],
            rangeProof.proofs[k * PROOF_BYTES:(k + 1) * PROOF_BYTES]
        );
    }

    /// @dev `0x01 ‖ sha256(commitment)[1:]` (commitment is 48 bytes, checked by the caller).
    function _versionedHash(bytes calldata commitment) private pure returns (bytes32 hash) {
        hash = sha256(commitment);
        hash = (hash & 0x00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff) | bytes32(uint256(1) << 248);
    }
}
