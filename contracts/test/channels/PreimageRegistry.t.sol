// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {PreimageRegistry} from "../../src/channels/PreimageRegistry.sol";
import {Test} from "../utils/Test.sol";
import {Vm} from "../utils/Vm.sol";

/// @notice PreimageRegistry: first reveal recorded with its timestamp and event, later ones change nothing.
contract PreimageRegistryTest is Test {
    event PreimageRevealed(bytes32 indexed hash, bytes32 preimage);

    PreimageRegistry internal registry;

    function setUp() public {
        vm.warp(1_700_000_000);
        registry = new PreimageRegistry();
    }

    function test_reveal_recordsSha256AndTimestamp() public {
        bytes32 preimage = keccak256("secret");
        bytes32 hash = sha256(abi.encodePacked(preimage));
        assertEq(uint256(registry.revealedAt(hash)), 0, "never revealed");
        vm.expectEmit(address(registry));
        emit PreimageRevealed(hash, preimage);
        assertEq(registry.reveal(preimage), hash);
        assertEq(uint256(registry.revealedAt(hash)), block.timestamp);
    }

    function test_reveal_onlyFirstCounts() public {
        bytes32 preimage = bytes32(uint256(1));
        bytes32 hash = registry.reveal(preimage);
        uint256 first = block.timestamp;
        vm.warp(first + 100);
        vm.recordLogs();
        assertEq(registry.reveal(preimage), hash, "a repeat returns the hash");
        assertEq(vm.getRecordedLogs().length, 0, "and emits nothing");
        assertEq(uint256(registry.revealedAt(hash)), first, "the first reveal's time stays");
    }

    function test_reveal_zeroPreimage() public {
        bytes32 hash = registry.reveal(bytes32(0));
        assertEq(hash, sha256(abi.encodePacked(bytes32(0))));
        assertEq(uint256(registry.revealedAt(hash)), block.timestamp);
    }

    function test_revealMany() public {
        bytes32[] memory preimages = new bytes32[](3);
        preimages[0] = bytes32(uint256(10));
        preimages[1] = bytes32(uint256(11));
        preimages[2] = bytes32(uint256(10)); // a duplicate inside the batch is skipped
        registry.reveal(bytes32(uint256(11))); // one already revealed does not make the batch fail
        vm.warp(block.timestamp + 5);
        vm.recordLogs();
        registry.revealMany(preimages);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 1);
        assertEq(logs[0].topics[1], sha256(abi.encodePacked(preimages[0])));
        assertEq(uint256(registry.revealedAt(sha256(abi.encodePacked(preimages[0])))), block.timestamp);
        assertEq(uint256(registry.revealedAt(sha256(abi.encodePacked(preimages[1])))), block.timestamp - 5);
        registry.revealMany(new bytes32[](0));
    }

    function testFuzz_reveal(bytes32 preimage, uint32 at) public {
        vm.warp(bound(at, 1, type(uint32).max));
        bytes32 hash = registry.reveal(preimage);
        assertEq(hash, sha256(abi.encodePacked(preimage)));
        assertEq(uint256(registry.revealedAt(hash)), block.timestamp);
        assertEq(uint256(registry.revealedAt(keccak256(abi.encode(preimage)))), 0);
    }
}
