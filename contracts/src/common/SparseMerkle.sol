// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title SparseMerkle
/// @notice Verifies proofs of l2kit's fixed-depth sparse Merkle trees (ARCHITECTURE.md, "State and its root"):
///         `node = keccak256(left ‖ right)`, empty leaf = 32 zero bytes, siblings listed bottom-up, and at level `i`
///         the running node is the right child when bit `i` of the leaf index is 1.
/// @dev The caller compares the computed root with a trusted one. The depth is the number of siblings, so an index
///      must fit in that many bits; otherwise two indices would share a proof, which `IndexOutOfRange` prevents.
library SparseMerkle {
    /// @notice The leaf index has bits set at or above the tree depth.
    error IndexOutOfRange(uint256 index, uint256 depth);

    /// @notice Depth of the accounts and withdrawals trees.
    uint256 internal constant DEPTH_32 = 32;

    /// @notice Root of the tree in which `leaf` sits at `index`, given its `siblings` bottom-up (depth = length).
    function computeRoot(bytes32 leaf, uint256 index, bytes32[] memory siblings) internal pure returns (bytes32 root) {
        uint256 depth = siblings.length;
        if (depth < 256 && index >> depth != 0) revert IndexOutOfRange(index, depth);
        assembly ("memory-safe") {
            root := leaf
            let cursor := add(siblings, 0x20)
            for { let i := 0 } lt(i, depth) { i := add(i, 1) } {
                let sibling := mload(cursor)
                // Branchless ordering: bit set => (sibling, node), else (node, sibling).
                let isRight := and(shr(i, index), 1)
                mstore(mul(isRight, 0x20), root)
                mstore(mul(iszero(isRight), 0x20), sibling)
                root := keccak256(0x00, 0x40)
                cursor := add(cursor, 0x20)
            }
        }
    }

    /// @notice Root of a depth-32 tree (accounts, withdrawals) in which `leaf` sits at `index`.
    function computeRoot(bytes32 leaf, uint256 index, bytes32[32] calldata siblings)
        internal
        pure
        returns (bytes32 root)
    {
        if (index >> DEPTH_32 != 0) revert IndexOutOfRange(index, DEPTH_32);
        assembly ("memory-safe") {
            root := leaf
            for { let i := 0 } lt(i, 32) { i := add(i, 1) } {
                let sibling := calldataload(add(siblings, shl(5, i)))
                let isRight := and(shr(i, index), 1)
                mstore(mul(isRight, 0x20), root)
                mstore(mul(iszero(isRight), 0x20), sibling)
                root := keccak256(0x00, 0x40)
            }
        }
    }
}
