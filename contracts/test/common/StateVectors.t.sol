// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SparseMerkle} from "../../src/common/SparseMerkle.sol";
import {Portal} from "../../src/optimistic/Portal.sol";
import {BareToken, MockRollup} from "../utils/Mocks.sol";
import {Test} from "../utils/Test.sol";
import {StateVectors} from "../vectors/StateVectors.sol";

/// @dev Gives `SparseMerkle`'s `bytes32[32] calldata` overload real calldata.
contract StateVectorsMerkleCaller {
    function root32(bytes32 leaf, uint256 index, bytes32[32] calldata siblings) external pure returns (bytes32) {
        return SparseMerkle.computeRoot(leaf, index, siblings);
    }
}

/// @notice The Solidity side reproduces the roots and hashes of the TypeScript state machine (src/core), using the
///         vectors it generates into test/vectors/StateVectors.sol.
contract StateVectorsTest is Test {
    Portal internal portal;
    MockRollup internal rollup;
    StateVectorsMerkleCaller internal merkle;

    function setUp() public {
        portal = new Portal();
        rollup = new MockRollup();
        portal.initialize(address(rollup));
        merkle = new StateVectorsMerkleCaller();
    }

    function toWithdrawal(StateVectors.WithdrawalVector memory v) internal pure returns (Portal.Withdrawal memory) {
        return Portal.Withdrawal({
            index: v.index, sender: v.sender, recipient: v.recipient, l1Token: v.l1Token, amount: v.amount
        });
    }

    function test_vectorsAreNotEmpty() public pure {
        assertGt(StateVectors.withdrawalVectors().length, 0, "withdrawal vectors");
        assertGt(StateVectors.accountVectors().length, 0, "account vectors");
    }

    function test_withdrawalHashesMatchTypeScript() public view {
        StateVectors.WithdrawalVector[] memory vs = StateVectors.withdrawalVectors();
        for (uint256 i = 0; i < vs.length; i++) {
            assertEq(portal.withdrawalHash(toWithdrawal(vs[i])), vs[i].withdrawalHash, vm.toString(i));
        }
    }

    function test_withdrawalProofsReproduceTheStateRoot() public view {
        StateVectors.WithdrawalVector[] memory vs = StateVectors.withdrawalVectors();
        for (uint256 i = 0; i < vs.length; i++) {
            StateVectors.WithdrawalVector memory v = vs[i];
            bytes32 withdrawalsRoot = merkle.root32(v.withdrawalHash, v.index, v.siblings);
            assertEq(keccak256(abi.encodePacked(v.accountsRoot, withdrawalsRoot)), v.stateRoot, vm.toString(i));

            bytes32[] memory dynamicSiblings = new bytes32[](32);
            for (uint256 level = 0; level < 32; level++) {
                dynamicSiblings[level] = v.siblings[level];
            }
            assertEq(SparseMerkle.computeRoot(v.withdrawalHash, v.index, dynamicSiblings), withdrawalsRoot, "overloads");
        }
    }

    function test_accountLeavesMatchTypeScript() public pure {
        StateVectors.AccountVector[] memory vs = StateVectors.accountVectors();
        for (uint256 i = 0; i < vs.length; i++) {
            StateVectors.AccountVector memory v = vs[i];
            assertEq(keccak256(abi.encodePacked(v.owner, v.nonce, v.balancesRoot)), v.leaf);
        }
    }

    /// End to end: funded by deposits, the portal pays every vector withdrawal against its TypeScript state root.
    function test_portalPaysEveryVectorWithdrawal() public {
        StateVectors.WithdrawalVector[] memory vs = StateVectors.withdrawalVectors();
        for (uint256 i = 0; i < vs.length; i++) {
            StateVectors.WithdrawalVector memory v = vs[i];
            if (v.amount == 0) continue;
            if (v.l1Token == address(0)) {
                vm.deal(address(this), v.amount);
                portal.depositETH{value: v.amount}(v.sender);
            } else {
                if (v.l1Token.code.length == 0) vm.etch(v.l1Token, type(BareToken).runtimeCode);
                BareToken(v.l1Token).mint(address(this), v.amount);
                BareToken(v.l1Token).approve(address(portal), v.amount);
                uint256 fee = portal.tokenRegistrationFee(v.l1Token);
                vm.deal(address(this), fee);
                portal.depositERC20{value: fee}(v.l1Token, v.sender, v.amount);
            }
        }
        for (uint256 i = 0; i < vs.length; i++) {
            StateVectors.WithdrawalVector memory v = vs[i];
            if (portal.isWithdrawalFinalized(v.withdrawalHash)) continue; // same withdrawal in several states
            rollup.setFinalizedStateRoot(i, v.stateRoot);
            uint256 before = v.l1Token == address(0) ? v.recipient.balance : BareToken(v.l1Token).balanceOf(v.recipient);
            portal.finalizeWithdrawal(i, toWithdrawal(v), v.accountsRoot, v.siblings);
            uint256 afterwards =
                v.l1Token == address(0) ? v.recipient.balance : BareToken(v.l1Token).balanceOf(v.recipient);
            assertEq(afterwards - before, v.amount, vm.toString(i));
            assertTrue(portal.isWithdrawalFinalized(v.withdrawalHash));
        }
    }
}
