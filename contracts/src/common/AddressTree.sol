// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title AddressTree
/// @notice Roots of l2kit's address index tree (docs/optimistic.md, "State commitment"): a sparse Merkle tree of
///         depth 160 keyed by the address itself (`key = uint160(address)`), leaf = `bytes32(accountIndex + 1)`
///         (big-endian) or 0 for an address without an account. Same convention as every l2kit tree:
///         `node = keccak256(left ‖ right)`, siblings bottom-up, at level `i` the running node is the right child
///         when bit `i` of the key is 1 (bit 0 = least significant bit of the address).
/// @dev The key has exactly 160 bits, so no index range check is needed (unlike `SparseMerkle`). Hashing runs in
///      the scratch space (0x00..0x40), four levels per loop iteration: ~120 gas per level, ~19k per root (computeRoots: ~36k for two).
library AddressTree {
    /// @notice Depth of the tree (bits of an address).
    uint256 internal constant DEPTH = 160;

    /// @notice Root of the tree in which `leaf` sits at `key`, given the 160 `siblings` bottom-up.
    function computeRoot(address key, bytes32 leaf, bytes32[160] memory siblings) internal pure returns (bytes32 root) {
        assembly ("memory-safe") {
            root := leaf
            let k := and(key, 0xffffffffffffffffffffffffffffffffffffffff)
            let end := add(siblings, 5120) // 160 * 32
            // At each level the running node goes to 0x20 when the key bit is 1 (right child), else to 0x00.
            for { let p := siblings } lt(p, end) { p := add(p, 0x80) } {
                let at := and(shl(5, k), 0x20)
                mstore(at, root)
                mstore(xor(at, 0x20), mload(p))
                root := keccak256(0x00, 0x40)
                at := and(shl(4, k), 0x20)
                mstore(at, root)
                mstore(xor(at, 0x20), mload(add(p, 0x20)))
                root := keccak256(0x00, 0x40)
                at := and(shl(3, k), 0x20)
                mstore(at, root)
                mstore(xor(at, 0x20), mload(add(p, 0x40)))
                root := keccak256(0x00, 0x40)
                at := and(shl(2, k), 0x20)
                mstore(at, root)
                mstore(xor(at, 0x20), mload(add(p, 0x60)))
                root := keccak256(0x00, 0x40)
                k := shr(4, k)
            }
        }
    }

    /// @notice The roots with `leafBefore` and with `leafAfter` at `key` (same siblings): verifying a leaf and
    ///         writing a new one in one pass over the siblings.
    function computeRoots(address key, bytes32 leafBefore, bytes32 leafAfter, bytes32[160] memory siblings)
        internal
        pure
        returns (bytes32 rootBefore, bytes32 rootAfter)
    {
        assembly ("memory-safe") {
            rootBefore := leafBefore
            rootAfter := leafAfter
            let k := and(key, 0xffffffffffffffffffffffffffffffffffffffff)
            let end := add(siblings, 5120)
            for { let p := siblings } lt(p, end) { p := add(p, 0x20) } {
                let nodeAt := shl(5, and(k, 1))
                mstore(xor(nodeAt, 0x20), mload(p)) // the sibling stays in place for the second hash
                mstore(nodeAt, rootBefore)
                rootBefore := keccak256(0x00, 0x40)
                mstore(nodeAt, rootAfter)
                rootAfter := keccak256(0x00, 0x40)
                k := shr(1, k)
            }
        }
    }
}
