// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AddressTree} from "../../src/common/AddressTree.sol";
import {Test} from "../utils/Test.sol";

/// @notice Reference depth-160 address tree for tests, written the slow obvious way (level by level over the set
///         of non-empty nodes, no assembly), so it checks `AddressTree` rather than mirroring it. Keys are
///         `uint160(address)`, leaves `bytes32`; a zero leaf is the empty leaf.
library AddressTreeRef {
    uint256 internal constant DEPTH = 160;

    function zeros() internal pure returns (bytes32[161] memory z) {
        for (uint256 i = 1; i <= DEPTH; i++) {
            z[i] = keccak256(abi.encodePacked(z[i - 1], z[i - 1]));
        }
    }

    /// @notice Root of the tree holding `leaves[k]` at `keys[k]`, and the siblings (bottom-up) of `key`.
    function rootAndProof(address[] memory keys, bytes32[] memory leaves, address key)
        internal
        pure
        returns (bytes32 root, bytes32[160] memory siblings)
    {
        bytes32[161] memory z = zeros();
        uint256 n = keys.length;
        uint256[] memory pos = new uint256[](n);
        bytes32[] memory val = new bytes32[](n);
        bool[] memory live = new bool[](n);
        for (uint256 k = 0; k < n; k++) {
            pos[k] = uint160(keys[k]);
            val[k] = leaves[k];
            live[k] = true;
            for (uint256 j = 0; j < k; j++) {
                require(keys[j] != keys[k], "AddressTreeRef: duplicate key");
            }
        }
        uint256 target = uint160(key);
        for (uint256 level = 0; level < DEPTH; level++) {
            uint256 siblingPos = (target >> level) ^ 1;
            siblings[level] = z[level];
            for (uint256 k = 0; k < n; k++) {
                if (live[k] && pos[k] == siblingPos) siblings[level] = val[k];
            }
            // Parents: each live node pairs with its sibling (live or empty); the partner of a live pair dies.
            bool[] memory done = new bool[](n);
            for (uint256 k = 0; k < n; k++) {
                if (!live[k] || done[k]) continue;
                bytes32 other = z[level];
                for (uint256 j = 0; j < n; j++) {
                    if (j != k && live[j] && !done[j] && pos[j] == (pos[k] ^ 1)) {
                        other = val[j];
                        live[j] = false;
                    }
                }
                val[k] = pos[k] & 1 == 1
                    ? keccak256(abi.encodePacked(other, val[k]))
                    : keccak256(abi.encodePacked(val[k], other));
                pos[k] >>= 1;
                done[k] = true;
            }
        }
        root = z[DEPTH];
        for (uint256 k = 0; k < n; k++) {
            if (live[k]) root = val[k];
        }
    }

    function rootOf(address[] memory keys, bytes32[] memory leaves) internal pure returns (bytes32 r) {
        (r,) = rootAndProof(keys, leaves, address(0));
    }
}

contract AddressTreeTest is Test {
    function _set(uint256 seed, uint256 n) internal pure returns (address[] memory keys, bytes32[] memory leaves) {
        keys = new address[](n);
        leaves = new bytes32[](n);
        for (uint256 k = 0; k < n; k++) {
            keys[k] = address(uint160(uint256(keccak256(abi.encode(seed, k)))));
            leaves[k] = bytes32(k + 1);
        }
    }

    function test_emptyTreeRootIsZero160() public pure {
        bytes32[161] memory z = AddressTreeRef.zeros();
        bytes32[160] memory siblings;
        for (uint256 i = 0; i < 160; i++) {
            siblings[i] = z[i];
        }
        assertEq(AddressTree.computeRoot(address(0x1234), 0, siblings), z[160]);
        assertEq(AddressTree.computeRoot(address(type(uint160).max), 0, siblings), z[160]);
        assertEq(AddressTreeRef.rootOf(new address[](0), new bytes32[](0)), z[160]);
    }

    /// @dev Membership of every key, non-membership of another key, and insertion, all against the reference.
    function test_matchesReference() public pure {
        (address[] memory keys, bytes32[] memory leaves) = _set(7, 5);
        bytes32 root = AddressTreeRef.rootOf(keys, leaves);
        for (uint256 k = 0; k < keys.length; k++) {
            (, bytes32[160] memory siblings) = AddressTreeRef.rootAndProof(keys, leaves, keys[k]);
            assertEq(AddressTree.computeRoot(keys[k], leaves[k], siblings), root, "member");
            assertTrue(AddressTree.computeRoot(keys[k], bytes32(uint256(leaves[k]) + 1), siblings) != root, "leaf");
        }
        address fresh = address(0x4200000000000000000000000000000000000011);
        (, bytes32[160] memory freshSiblings) = AddressTreeRef.rootAndProof(keys, leaves, fresh);
        assertEq(AddressTree.computeRoot(fresh, 0, freshSiblings), root, "non-member");
        // Inserting the fresh key with the same siblings gives the reference root of the grown set.
        address[] memory keys2 = new address[](6);
        bytes32[] memory leaves2 = new bytes32[](6);
        for (uint256 k = 0; k < 5; k++) {
            (keys2[k], leaves2[k]) = (keys[k], leaves[k]);
        }
        (keys2[5], leaves2[5]) = (fresh, bytes32(uint256(6)));
        (bytes32 before, bytes32 afterInsert) = AddressTree.computeRoots(fresh, 0, bytes32(uint256(6)), freshSiblings);
        assertEq(before, root, "computeRoots before");
        assertEq(afterInsert, AddressTreeRef.rootOf(keys2, leaves2), "computeRoots after");
        assertEq(AddressTree.computeRoot(fresh, bytes32(uint256(6)), freshSiblings), afterInsert, "computeRoot after");
    }

    /// @dev Neighbouring keys (differing in bit 0 only, and in bit 159 only) take the right sides.
    function test_bitOrder() public pure {
        address[] memory keys = new address[](3);
        bytes32[] memory leaves = new bytes32[](3);
        keys[0] = address(uint160(0x10));
        keys[1] = address(uint160(0x11));
        keys[2] = address(uint160(0x10) | uint160(1 << 159));
        leaves[0] = bytes32(uint256(1));
        leaves[1] = bytes32(uint256(2));
        leaves[2] = bytes32(uint256(3));
        bytes32 root = AddressTreeRef.rootOf(keys, leaves);
        for (uint256 k = 0; k < 3; k++) {
            (, bytes32[160] memory siblings) = AddressTreeRef.rootAndProof(keys, leaves, keys[k]);
            assertEq(AddressTree.computeRoot(keys[k], leaves[k], siblings), root);
            // Level 0 of key 0x10 is key 0x11's leaf: 0x10 is the left child.
            if (k == 0) assertEq(siblings[0], leaves[1]);
        }
        // The leaf hashed at the wrong side gives another root.
        (, bytes32[160] memory s0) = AddressTreeRef.rootAndProof(keys, leaves, keys[0]);
        assertTrue(AddressTree.computeRoot(keys[1], leaves[0], s0) != root);
    }

    function testFuzz_matchesReference(uint256 seed, uint8 n, address probe) public pure {
        n = uint8(bound(n, 1, 4));
        (address[] memory keys, bytes32[] memory leaves) = _set(seed, n);
        for (uint256 k = 0; k < n; k++) {
            vm.assume(keys[k] != probe);
        }
        bytes32 root = AddressTreeRef.rootOf(keys, leaves);
        (, bytes32[160] memory siblings) = AddressTreeRef.rootAndProof(keys, leaves, keys[0]);
        assertEq(AddressTree.computeRoot(keys[0], leaves[0], siblings), root, "member");
        (, siblings) = AddressTreeRef.rootAndProof(keys, leaves, probe);
        assertEq(AddressTree.computeRoot(probe, 0, siblings), root, "non-member");
        (bytes32 a, bytes32 b) = AddressTree.computeRoots(probe, 0, bytes32(uint256(99)), siblings);
        assertEq(a, root);
        assertEq(b, AddressTree.computeRoot(probe, bytes32(uint256(99)), siblings));
    }

    function test_gas() public {
        (address[] memory keys, bytes32[] memory leaves) = _set(1, 3);
        (bytes32 root, bytes32[160] memory siblings) = AddressTreeRef.rootAndProof(keys, leaves, keys[0]);
        uint256 before = gasleft();
        bytes32 computed = AddressTree.computeRoot(keys[0], leaves[0], siblings);
        uint256 one = before - gasleft();
        before = gasleft();
        AddressTree.computeRoots(keys[0], leaves[0], bytes32(uint256(9)), siblings);
        uint256 two = before - gasleft();
        assertEq(computed, root);
        emit log_named_uint("AddressTree.computeRoot gas", one);
        emit log_named_uint("AddressTree.computeRoots gas", two);
        assertLe(one, 22_000, "computeRoot");
        assertLe(two, 38_000, "computeRoots");
    }
}
