// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SparseMerkle} from "../../src/common/SparseMerkle.sol";
import {MerkleTree} from "../utils/MerkleTree.sol";
import {Test} from "../utils/Test.sol";

/// @dev Calls the library through an external function so the `bytes32[32] calldata` overload gets calldata.
contract SparseMerkleCaller {
    function root32(bytes32 leaf, uint256 index, bytes32[32] calldata siblings) external pure returns (bytes32) {
        return SparseMerkle.computeRoot(leaf, index, siblings);
    }

    function root(bytes32 leaf, uint256 index, bytes32[] memory siblings) external pure returns (bytes32) {
        return SparseMerkle.computeRoot(leaf, index, siblings);
    }
}

contract SparseMerkleTest is Test {
    SparseMerkleCaller internal caller;

    function setUp() public {
        caller = new SparseMerkleCaller();
    }

    function zeroSiblings32() internal pure returns (bytes32[32] memory siblings) {
        for (uint256 i = 0; i < 32; i++) {
            siblings[i] = MerkleTree.zeroHash(i);
        }
    }

    function test_emptyTreeRootIsTheTopZeroHash() public view {
        bytes32 expected = MerkleTree.zeroHash(32);
        assertEq(caller.root32(bytes32(0), 0, zeroSiblings32()), expected);
        assertEq(caller.root32(bytes32(0), type(uint32).max, zeroSiblings32()), expected);
    }

    function test_depthTwoTreeByHand() public view {
        bytes32 a = keccak256("a");
        bytes32 b = keccak256("b");
        bytes32 c = keccak256("c");
        bytes32 d = keccak256("d");
        bytes32 ab = keccak256(abi.encodePacked(a, b));
        bytes32 cd = keccak256(abi.encodePacked(c, d));
        bytes32 expected = keccak256(abi.encodePacked(ab, cd));

        bytes32[] memory siblings = new bytes32[](2);
        siblings[0] = b;
        siblings[1] = cd;
        assertEq(caller.root(a, 0, siblings), expected, "leaf 0");
        siblings[0] = a;
        assertEq(caller.root(b, 1, siblings), expected, "leaf 1");
        siblings[0] = d;
        siblings[1] = ab;
        assertEq(caller.root(c, 2, siblings), expected, "leaf 2");
        siblings[0] = c;
        assertEq(caller.root(d, 3, siblings), expected, "leaf 3");
    }

    function test_depthZeroRootIsTheLeaf() public view {
        assertEq(caller.root(keccak256("x"), 0, new bytes32[](0)), keccak256("x"));
    }

    function test_revertsWhenTheIndexDoesNotFitTheDepth() public {
        vm.expectRevert(abi.encodeWithSelector(SparseMerkle.IndexOutOfRange.selector, uint256(1) << 32, 32));
        caller.root32(bytes32(0), uint256(1) << 32, zeroSiblings32());

        vm.expectRevert(abi.encodeWithSelector(SparseMerkle.IndexOutOfRange.selector, 4, 2));
        caller.root(bytes32(0), 4, new bytes32[](2));
    }

    function test_anyIndexFitsADepth256Proof() public view {
        caller.root(bytes32(0), type(uint256).max, new bytes32[](256));
    }

    /// A few random leaves in a depth-32 tree: every proof reproduces the reference root, via both overloads.
    function testFuzz_proofsOfAFewLeavesMatchTheReferenceTree(uint32[4] memory rawIndices, bytes32 seed) public view {
        uint256[] memory indices = new uint256[](4);
        bytes32[] memory leaves = new bytes32[](4);
        for (uint256 k = 0; k < 4; k++) {
            indices[k] = rawIndices[k];
            for (uint256 j = 0; j < k; j++) {
                vm.assume(indices[j] != indices[k]);
            }
            leaves[k] = keccak256(abi.encode(seed, k));
        }
        bytes32 expected = MerkleTree.root(32, indices, leaves);
        for (uint256 k = 0; k < 4; k++) {
            bytes32[] memory siblings = MerkleTree.proof(32, indices[k], indices, leaves);
            assertEq(caller.root(leaves[k], indices[k], siblings), expected, "memory overload");
            assertEq(
                caller.root32(leaves[k], indices[k], MerkleTree.proof32(indices[k], indices, leaves)),
                expected,
                "calldata overload"
            );
        }
    }

    /// The wrong leaf, index or sibling gives another root.
    function testFuzz_aTamperedProofGivesAnotherRoot(uint32 index, bytes32 leaf, uint8 level, bytes32 junk)
        public
        view
    {
        bytes32[32] memory siblings = zeroSiblings32();
        bytes32 honest = caller.root32(leaf, index, siblings);
        vm.assume(junk != siblings[level % 32]);
        siblings[level % 32] = junk;
        assertTrue(caller.root32(leaf, index, siblings) != honest, "tampered sibling");
        assertTrue(
            caller.root32(leaf, index ^ (uint256(1) << (level % 32)), zeroSiblings32()) != honest
                || leaf == MerkleTree.zeroHash(0),
            "moved leaf"
        );
    }
}
