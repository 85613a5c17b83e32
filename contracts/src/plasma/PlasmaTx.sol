// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title PlasmaTx
/// @notice Reads Plasma transactions straight from calldata (docs/plasma.md "Transaction bytes"): `txBytes` is
///         `abi.encode(tx)` of `Transaction(uint256[] inputs, Output[] outputs, bytes32 metadata)`,
///         `Output(address owner, address token, uint256 amount)`, in its canonical encoding:
///
///         | offset                   | word                                         |
///         |--------------------------|----------------------------------------------|
///         | 0x00                     | 0x20 (the tuple's offset)                    |
///         | 0x20                     | 0x60 (offset of `inputs` inside the tuple)   |
///         | 0x40                     | 0x80 + 32·nIn (offset of `outputs`)          |
///         | 0x60                     | metadata                                     |
///         | 0x80                     | nIn, then the nIn inputs                     |
///         | 0xa0 + 32·nIn            | nOut, then owner, token, amount per output   |
///
///         so its length is exactly `0xc0 + 32·nIn + 96·nOut`. `check` accepts exactly the byte strings that
///         `abi.decode` would decode and `abi.encode` give back unchanged (fixed offsets, no trailing bytes, clean
///         address words), which is what "the contract re-encodes what it decoded and rejects any other byte string"
///         asks, without a memory copy; it also applies the structural rules (≤ 4 distinct inputs, 1–4 outputs, each
///         with `owner ≠ 0` and `amount > 0`). The accessors assume a transaction that passed `check`.
library PlasmaTx {
    /// @notice Most inputs of a transaction.
    uint256 internal constant MAX_INPUTS = 4;
    /// @notice Most outputs of a transaction.
    uint256 internal constant MAX_OUTPUTS = 4;

    // `check` results
    uint256 internal constant OK = 0;
    uint256 internal constant MALFORMED = 1;
    uint256 internal constant TOO_MANY_INPUTS = 2;
    uint256 internal constant BAD_OUTPUT_COUNT = 3;
    uint256 internal constant ZERO_OWNER = 4;
    uint256 internal constant ZERO_AMOUNT = 5;
    uint256 internal constant DUPLICATE_INPUT = 6;

    /// @notice EIP-712 type hash of `Output`.
    bytes32 internal constant OUTPUT_TYPEHASH = keccak256("Output(address owner,address token,uint256 amount)");
    /// @notice EIP-712 type hash of `Transaction` (its encodeType appends the referenced `Output` type).
    bytes32 internal constant TX_TYPEHASH = keccak256(
        "Transaction(uint256[] inputs,Output[] outputs,bytes32 metadata)Output(address owner,address token,uint256 amount)"
    );

    /// @notice Checks that `b` is a canonical, structurally valid transaction.
    /// @return code `OK`, or the first rule broken (`MALFORMED` for anything that is not the canonical encoding).
    /// @return index The offending output or input index for `ZERO_OWNER`, `ZERO_AMOUNT`, `DUPLICATE_INPUT`, the
    ///         count for `TOO_MANY_INPUTS` / `BAD_OUTPUT_COUNT`.
    function check(bytes calldata b) internal pure returns (uint256 code, uint256 index) {
        uint256 len = b.length;
        if (len < 0xc0) return (MALFORMED, 0);
        uint256 off;
        assembly ("memory-safe") {
            off := b.offset
        }
        if (_word(off) != 0x20 || _word(off + 0x20) != 0x60) return (MALFORMED, 0);
        uint256 nIn = _word(off + 0x80);
        if (nIn > MAX_INPUTS) return (TOO_MANY_INPUTS, nIn);
        if (_word(off + 0x40) != 0x80 + 32 * nIn) return (MALFORMED, 0);
        uint256 outBase = off + 0xc0 + 32 * nIn; // first output word
        uint256 nOut = _word(outBase - 0x20); // zero-filled past the end: caught by the length check below
        if (nOut == 0 || nOut > MAX_OUTPUTS) return (len < 0xc0 + 32 * nIn ? MALFORMED : BAD_OUTPUT_COUNT, nOut);
        if (len != 0xc0 + 32 * nIn + 96 * nOut) return (MALFORMED, 0);
        for (uint256 j = 0; j < nOut; j++) {
            uint256 o = outBase + 96 * j;
            uint256 owner_ = _word(o);
            if (owner_ >> 160 != 0 || _word(o + 0x20) >> 160 != 0) return (MALFORMED, 0);
            if (owner_ == 0) return (ZERO_OWNER, j);
            if (_word(o + 0x40) == 0) return (ZERO_AMOUNT, j);
        }
        for (uint256 i = 1; i < nIn; i++) {
            uint256 x = _word(off + 0xa0 + 32 * i);
            for (uint256 k = 0; k < i; k++) {
                if (_word(off + 0xa0 + 32 * k) == x) return (DUPLICATE_INPUT, i);
            }
        }
        return (OK, 0);
    }

    /// @notice Number of inputs.
    function inputCount(bytes calldata b) internal pure returns (uint256) {
        return _word(_offset(b) + 0x80);
    }

    /// @notice Number of outputs.
    function outputCount(bytes calldata b) internal pure returns (uint256) {
        uint256 off = _offset(b);
        return _word(off + 0xa0 + 32 * _word(off + 0x80));
    }

    /// @notice Input `i` (an output position).
    function input(bytes calldata b, uint256 i) internal pure returns (uint256) {
        return _word(_offset(b) + 0xa0 + 32 * i);
    }

    /// @notice Output `j`'s owner, token and amount.
    function output(bytes calldata b, uint256 j) internal pure returns (address owner, address token, uint256 amount) {
        return readOutput(outputAt(b, j));
    }

    /// @notice Output `j`'s owner.
    function ownerOf(bytes calldata b, uint256 j) internal pure returns (address) {
        return address(uint160(_word(outputAt(b, j))));
    }

    /// @notice The calldata offset of output `j`'s first word (for `readOutput`).
    function outputAt(bytes calldata b, uint256 j) internal pure returns (uint256) {
        uint256 off = _offset(b);
        return off + 0xc0 + 32 * _word(off + 0x80) + 96 * j;
    }

    /// @notice The owner, token and amount of the output whose first word is at calldata offset `at`.
    function readOutput(uint256 at) internal pure returns (address owner, address token, uint256 amount) {
        owner = address(uint160(_word(at)));
        token = address(uint160(_word(at + 0x20)));
        amount = _word(at + 0x40);
    }

    /// @notice `hashStruct(Transaction)` (EIP-712) of `b`: `keccak256(TX_TYPEHASH ‖ keccak256(inputs) ‖
    ///         keccak256(hashStruct(out_0) ‖ … ) ‖ metadata)`. The calldata words are already the 32-byte EIP-712
    ///         encodings of the fields, so each output's struct hash is one keccak over the type hash and its three
    ///         words.
    function structHash(bytes calldata b) internal pure returns (bytes32 h) {
        bytes32 outputTypehash = OUTPUT_TYPEHASH;
        bytes32 txTypehash = TX_TYPEHASH;
        assembly ("memory-safe") {
            let off := b.offset
            let nIn := calldataload(add(off, 0x80))
            let ptr := mload(0x40) // scratch past the free memory pointer, not kept
            calldatacopy(ptr, add(off, 0xa0), shl(5, nIn))
            let inputsHash := keccak256(ptr, shl(5, nIn))
            let outBase := add(off, add(0xc0, shl(5, nIn)))
            let nOut := calldataload(sub(outBase, 0x20))
            let hashes := add(ptr, 0x80)
            mstore(ptr, outputTypehash)
            for { let j := 0 } lt(j, nOut) { j := add(j, 1) } {
                calldatacopy(add(ptr, 0x20), add(outBase, mul(j, 0x60)), 0x60)
                mstore(add(hashes, shl(5, j)), keccak256(ptr, 0x80))
            }
            let outputsHash := keccak256(hashes, shl(5, nOut))
            mstore(ptr, txTypehash)
            mstore(add(ptr, 0x20), inputsHash)
            mstore(add(ptr, 0x40), outputsHash)
            mstore(add(ptr, 0x60), calldataload(add(off, 0x60)))
            h := keccak256(ptr, 0x80)
        }
    }

    /// @notice The bytes of the deposit transaction `{inputs: [], outputs: [{owner, token, amount}], metadata:
    ///         bytes32(blknum)}`, hashed: its `txHash`.
    function depositTxHash(uint256 blknum, address owner, address token, uint256 amount)
        internal
        pure
        returns (bytes32 h)
    {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, 0x20)
            mstore(add(ptr, 0x20), 0x60)
            mstore(add(ptr, 0x40), 0x80)
            mstore(add(ptr, 0x60), blknum)
            mstore(add(ptr, 0x80), 0)
            mstore(add(ptr, 0xa0), 1)
            mstore(add(ptr, 0xc0), and(owner, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(ptr, 0xe0), and(token, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(ptr, 0x100), amount)
            h := keccak256(ptr, 0x120)
        }
    }

    function _offset(bytes calldata b) private pure returns (uint256 off) {
        assembly ("memory-safe") {
            off := b.offset
        }
    }

    function _word(uint256 at) private pure returns (uint256 w) {
        assembly ("memory-safe") {
            w := calldataload(at)
        }
    }
}

/// @title PlasmaMerkle
/// @notice The block tree (docs/plasma.md "Blocks"): a binary keccak Merkle tree of depth 16, empty leaves
///         `bytes32(0)`, node = `keccak256(left ‖ right)`, proofs = the 16 siblings from the leaf up (512 bytes).
library PlasmaMerkle {
    /// @notice Depth of a block tree.
    uint256 internal constant DEPTH = 16;
    /// @notice Bytes of an inclusion proof.
    uint256 internal constant PROOF_LENGTH = 32 * DEPTH;

    /// @notice A proof that is not 16 siblings.
    error InvalidProofLength(uint256 length);

    /// @notice The leaf of a transaction: `keccak256(txHash ‖ keccak256(sigs))`.
    function leaf(bytes32 txHash, bytes calldata sigs) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            calldatacopy(ptr, sigs.offset, sigs.length)
            mstore(0x20, keccak256(ptr, sigs.length))
            mstore(0x00, txHash)
            h := keccak256(0x00, 0x40)
        }
    }

    /// @notice The root reached from `leaf_` at `index` (< 2^16) with `proof`; reverts `InvalidProofLength`.
    function root(bytes32 leaf_, uint256 index, bytes calldata proof) internal pure returns (bytes32 node) {
        if (proof.length != PROOF_LENGTH) revert InvalidProofLength(proof.length);
        assembly ("memory-safe") {
            node := leaf_
            let p := proof.offset
            for { let level := 0 } lt(level, 16) { level := add(level, 1) } {
                let sibling := calldataload(add(p, shl(5, level)))
                switch and(shr(level, index), 1)
                case 0 {
                    mstore(0x00, node)
                    mstore(0x20, sibling)
                }
                default {
                    mstore(0x00, sibling)
                    mstore(0x20, node)
                }
                node := keccak256(0x00, 0x40)
            }
        }
    }

    /// @notice The root of a tree whose only non-empty leaf is `leaf_` at index 0 (a deposit block).
    function singleLeafRoot(bytes32 leaf_) internal pure returns (bytes32 node) {
        assembly ("memory-safe") {
            node := leaf_
            let zero := 0
            for { let level := 0 } lt(level, 16) { level := add(level, 1) } {
                mstore(0x00, node)
                mstore(0x20, zero)
                node := keccak256(0x00, 0x40)
                mstore(0x00, zero)
                zero := keccak256(0x00, 0x40) // mstore(0x20, zero) still holds the previous level's zero
            }
        }
    }
}
