// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Rollup} from "../../src/optimistic/Rollup.sol";
import {Vm} from "./Vm.sol";

/// @notice What an honest challenger does before a challenge: commit to its exact calldata as `who` in an earlier
///         block (a challenge wins only with such a commitment). `commitAs` writes the commitment the way
///         `Rollup.commitChallenge` does, but with cheatcodes only (no call), so it does not disturb a test's
///         `vm.prank` / `vm.expectRevert` / `vm.expectEmit` that target the challenge itself; `ChallengeCommitTest`
///         checks that it matches what `commitChallenge` stores. The real flow is tested in `Exploits.t.sol`.
library ChallengeCommit {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    /// @dev Storage slot of `Rollup.challengeCommittedAt` (`forge inspect Rollup storageLayout`).
    uint256 internal constant COMMITTED_AT_SLOT = 6;

    function commitment(address who, bytes memory call) internal pure returns (bytes32) {
        return keccak256(abi.encode(who, keccak256(call)));
    }

    function commitAs(Rollup rollup, address who, bytes memory call) internal {
        bytes32 slot = keccak256(abi.encode(commitment(who, call), COMMITTED_AT_SLOT));
        vm.store(address(rollup), slot, bytes32(block.number));
        vm.roll(block.number + 1);
    }
}
