// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice Reference sparse Merkle tree for tests, written the slow obvious way (recursion over subtrees, no
///         assembly) so it checks `SparseMerkle` rather than mirroring it. Leaves absent from `indices` are empty.
library MerkleTree {
    function zeroHash(uint256 level) internal pure returns (bytes32 hash) {
        for (uint256 i = 0; i < level; i++) {
            hash = keccak256(abi.encodePacked(hash, hash));
        }
    }

    /// @notice Value of the node at `level` (0 = leaves) and horizontal `position`.
    function node(uint256 level, uint256 position, uint256[] memory indices, bytes32[] memory leaves)
        internal
        pure
        returns (bytes32)
    {
        bool any = false;
        for (uint256 k = 0; k < indices.length; k++) {
            if (indices[k] >> level == position) {
                if (level == 0) return leaves[k];
                any = true;
            }
        }
        if (!any) return zeroHash(level);
        return keccak256(
            abi.encodePacked(
                node(level - 1, 2 * position, indices, leaves), node(level - 1, 2 * position + 1, indices, leaves)
            )
        );
    }

    function root(uint256 depth, uint256[] memory indices, bytes32[] memory leaves) internal pure returns (bytes32) {
        return node(depth, 0, indices, leaves);
    }

    /// @notice Siblings of leaf `index`, bottom-up.
    function proof(uint256 depth, uint256 index, uint256[] memory indices, bytes32[] memory leaves)
        internal
        pure
        returns (bytes32[] memory siblings)
    {
        siblings = new bytes32[](depth);
        for (uint256 level = 0; level < depth; level++) {
            siblings[level] = node(level, (index >> level) ^ 1, indices, leaves);
        }
    }

    function proof32(uint256 index, uint256[] memory indices, bytes32[] memory leaves)
        internal
        pure
        returns (bytes32[32] memory siblings)
    {
        bytes32[] memory dynamic = proof(32, index, indices, leaves);
        for (uint256 i = 0; i < 32; i++) {
            siblings[i] = dynamic[i];
        }
    }

    function one(uint256 value) internal pure returns (uint256[] memory array) {
        array = new uint256[](1);
        array[0] = value;
    }

    function one(bytes32 value) internal pure returns (bytes32[] memory array) {
        array = new bytes32[](1);
        array[0] = value;
    }
}
