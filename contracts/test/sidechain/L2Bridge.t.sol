// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";

import {BridgedERC20} from "../../src/sidechain/BridgedERC20.sol";
import {L2Bridge} from "../../src/sidechain/L2Bridge.sol";
import {Test} from "../utils/Test.sol";

/// @notice The sidechain predeploys: deposits finalized by the system address, bridged tokens deployed with CREATE2,
///         ETH and token withdrawals with one id counter.
contract L2BridgeTest is Test {
    address internal constant SYSTEM = 0xffffFFFfFFffffffffffffffFfFFFfffFFFfFFfE;

    L2Bridge internal bridge;
    address internal l1TokenA = makeAddr("l1 token A");
    address internal l1TokenB = makeAddr("l1 token B");
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");
    address internal l1Alice = makeAddr("alice on L1");

    function setUp() public {
        bridge = new L2Bridge();
    }

    function finalize(uint256 id, address l1Token, address to, uint256 amount) internal returns (address l2Token) {
        vm.prank(SYSTEM);
        l2Token = bridge.finalizeERC20Deposit(id, l1Token, to, amount);
    }

    /// @dev The CREATE2 address, computed here from the EIP-1014 rule (independently of `l2TokenOf`).
    function predicted(address deployer, address l1Token) internal pure returns (address) {
        bytes32 initHash = keccak256(abi.encodePacked(type(BridgedERC20).creationCode, abi.encode(l1Token)));
        bytes32 salt = bytes32(uint256(uint160(l1Token)));
        return address(uint160(uint256(keccak256(abi.encodePacked(bytes1(0xff), deployer, salt, initHash)))));
    }

    // ---------------------------------------------------------------------------------------------- deposits

    function test_systemAddress() public view {
        assertEq(bridge.SYSTEM_ADDRESS(), SYSTEM);
    }

    function test_finalize_firstDepositDeploysToken() public {
        address expected = predicted(address(bridge), l1TokenA);
        assertEq(bridge.l2TokenOf(l1TokenA), expected);
        assertEq(expected.code.length, 0);
        assertEq(bridge.l1TokenOf(expected), address(0));

        vm.expectEmit(address(bridge));
        emit L2Bridge.TokenDeployed(l1TokenA, expected);
        vm.expectEmit(address(bridge));
        emit L2Bridge.DepositFinalized(7, alice, l1TokenA, expected, 5 ether);
        address l2Token = finalize(7, l1TokenA, alice, 5 ether);

        assertEq(l2Token, expected);
        assertGt(l2Token.code.length, 0);
        assertEq(bridge.l2TokenOf(l1TokenA), l2Token);
        assertEq(bridge.l1TokenOf(l2Token), l1TokenA);
        assertTrue(bridge.isDepositFinalized(7));
        assertFalse(bridge.isDepositFinalized(6));
        BridgedERC20 token = BridgedERC20(l2Token);
        assertEq(token.balanceOf(alice), 5 ether);
        assertEq(token.totalSupply(), 5 ether);
        assertEq(token.name(), "l2kit bridged token");
        assertEq(token.symbol(), "bTKN");
        assertEq(uint256(token.decimals()), 18);
        assertEq(token.l1Token(), l1TokenA);
        assertEq(token.bridge(), address(bridge));
    }

    function test_finalize_laterDepositsReuseToken() public {
        address a = finalize(0, l1TokenA, alice, 1);
        vm.recordLogs();
        address again = finalize(2, l1TokenA, bob, 3);
        assertEq(vm.getRecordedLogs().length, 2, "Transfer + DepositFinalized, no TokenDeployed");
        assertEq(again, a);
        address b = finalize(3, l1TokenB, bob, 4);
        assertTrue(b != a);
        assertEq(b, predicted(address(bridge), l1TokenB));
        assertEq(BridgedERC20(a).balanceOf(alice), 1);
        assertEq(BridgedERC20(a).balanceOf(bob), 3);
        assertEq(BridgedERC20(b).balanceOf(bob), 4);
        assertEq(bridge.l1TokenOf(b), l1TokenB);
    }

    function test_finalize_onlySystem() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(L2Bridge.NotSystem.selector, alice));
        bridge.finalizeERC20Deposit(0, l1TokenA, alice, 1);
        vm.expectRevert(abi.encodeWithSelector(L2Bridge.NotSystem.selector, address(this)));
        bridge.finalizeERC20Deposit(0, l1TokenA, alice, 1);
        assertFalse(bridge.isDepositFinalized(0));
        assertEq(bridge.l2TokenOf(l1TokenA).code.length, 0);
    }

    function test_finalize_refusesReplay() public {
        address l2Token = finalize(4, l1TokenA, alice, 10);
        vm.prank(SYSTEM);
        vm.expectRevert(abi.encodeWithSelector(L2Bridge.DepositAlreadyFinalized.selector, 4));
        bridge.finalizeERC20Deposit(4, l1TokenA, alice, 10);
        // even with other arguments
        vm.prank(SYSTEM);
        vm.expectRevert(abi.encodeWithSelector(L2Bridge.DepositAlreadyFinalized.selector, 4));
        bridge.finalizeERC20Deposit(4, l1TokenB, bob, 99);
        assertEq(BridgedERC20(l2Token).totalSupply(), 10);
    }

    function test_finalize_refusesZeroAddresses() public {
        vm.prank(SYSTEM);
        vm.expectRevert(L2Bridge.ZeroAddress.selector);
        bridge.finalizeERC20Deposit(0, address(0), alice, 1);
        vm.prank(SYSTEM);
        vm.expectRevert(L2Bridge.ZeroAddress.selector);
        bridge.finalizeERC20Deposit(0, l1TokenA, address(0), 1);
        assertFalse(bridge.isDepositFinalized(0));
    }

    /// @dev As the node installs it: runtime code at a fixed address, no constructor, empty storage.
    function test_predeploy_worksFromEtchedRuntimeCode() public {
        address at = 0x4200000000000000000000000000000000000010;
        vm.etch(at, address(bridge).code);
        L2Bridge pre = L2Bridge(at);
        assertEq(pre.withdrawalCount(), 0);
        address expected = predicted(at, l1TokenA);
        assertEq(pre.l2TokenOf(l1TokenA), expected);
        vm.prank(SYSTEM);
        assertEq(pre.finalizeERC20Deposit(0, l1TokenA, alice, 8), expected);
        assertEq(BridgedERC20(expected).balanceOf(alice), 8);
        assertEq(BridgedERC20(expected).bridge(), at);
        vm.prank(alice);
        assertEq(pre.withdrawToken(expected, l1Alice, 8), 0);
        assertEq(BridgedERC20(expected).totalSupply(), 0);
    }

    // ------------------------------------------------------------------------------------------- withdrawals

    function test_withdraw_eth() public {
        vm.deal(alice, 3 ether);
        vm.expectEmit(address(bridge));
        emit L2Bridge.WithdrawalInitiated(0, alice, l1Alice, address(0), 2 ether);
        vm.prank(alice);
        assertEq(bridge.withdraw{value: 2 ether}(l1Alice), 0);
        vm.prank(alice);
        assertEq(bridge.withdraw{value: 1}(bob), 1);
        assertEq(bridge.withdrawalCount(), 2);
        assertEq(address(bridge).balance, 2 ether + 1, "the ETH stays in the bridge");
    }

    function test_withdraw_refusesZeroValueAndRecipient() public {
        vm.deal(alice, 1 ether);
        vm.prank(alice);
        vm.expectRevert(L2Bridge.ZeroAmount.selector);
        bridge.withdraw{value: 0}(l1Alice);
        vm.prank(alice);
        vm.expectRevert(L2Bridge.ZeroAddress.selector);
        bridge.withdraw{value: 1}(address(0));
        assertEq(bridge.withdrawalCount(), 0);
        assertEq(address(bridge).balance, 0);
    }

    function test_bridge_refusesPlainEth() public {
        vm.deal(alice, 1 ether);
        vm.prank(alice);
        (bool ok,) = address(bridge).call{value: 1}("");
        assertFalse(ok, "no receive: ETH enters only through withdraw");
    }

    function test_withdrawToken_burnsAndSharesTheCounter() public {
        address l2Token = finalize(0, l1TokenA, alice, 10);
        vm.deal(alice, 1);
        vm.prank(alice);
        bridge.withdraw{value: 1}(l1Alice); // id 0
        vm.expectEmit(l2Token);
        emit IERC20Transfer.Transfer(alice, address(0), 4);
        vm.expectEmit(address(bridge));
        emit L2Bridge.WithdrawalInitiated(1, alice, l1Alice, l1TokenA, 4);
        vm.prank(alice);
        assertEq(bridge.withdrawToken(l2Token, l1Alice, 4), 1);
        assertEq(BridgedERC20(l2Token).balanceOf(alice), 6);
        assertEq(BridgedERC20(l2Token).totalSupply(), 6);
        assertEq(bridge.withdrawalCount(), 2);
    }

    function test_withdrawToken_refusals() public {
        address l2Token = finalize(0, l1TokenA, alice, 10);
        vm.startPrank(alice);
        vm.expectRevert(abi.encodeWithSelector(L2Bridge.UnknownToken.selector, l1TokenA));
        bridge.withdrawToken(l1TokenA, l1Alice, 1); // the L1 address is not a bridged token
        vm.expectRevert(L2Bridge.ZeroAmount.selector);
        bridge.withdrawToken(l2Token, l1Alice, 0);
        vm.expectRevert(L2Bridge.ZeroAddress.selector);
        bridge.withdrawToken(l2Token, address(0), 1);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, alice, 10, 11));
        bridge.withdrawToken(l2Token, l1Alice, 11);
        vm.stopPrank();
        // a token deployed by someone else with the same code is not this bridge's
        BridgedERC20 fake = new BridgedERC20(l1TokenA);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(L2Bridge.UnknownToken.selector, address(fake)));
        bridge.withdrawToken(address(fake), l1Alice, 1);
        assertEq(bridge.withdrawalCount(), 0);
        assertEq(BridgedERC20(l2Token).balanceOf(alice), 10);
    }

    function test_withdrawToken_noApprovalNeededButOnlyOwnTokens() public {
        address l2Token = finalize(0, l1TokenA, alice, 10);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, bob, 0, 1));
        bridge.withdrawToken(l2Token, bob, 1);
        assertEq(BridgedERC20(l2Token).balanceOf(alice), 10);
    }

    // -------------------------------------------------------------------------------------------- the token

    function test_token_mintBurnOnlyByBridge() public {
        address l2Token = finalize(0, l1TokenA, alice, 10);
        BridgedERC20 token = BridgedERC20(l2Token);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(BridgedERC20.NotBridge.selector, alice));
        token.mint(alice, 1);
        vm.prank(SYSTEM);
        vm.expectRevert(abi.encodeWithSelector(BridgedERC20.NotBridge.selector, SYSTEM));
        token.burn(alice, 1);
        assertEq(token.totalSupply(), 10);
        // a holder transfers as with any ERC-20
        vm.prank(alice);
        assertTrue(token.transfer(bob, 3));
        assertEq(token.balanceOf(bob), 3);
    }

    // --------------------------------------------------------------------------------------------------- fuzz

    /// @dev Supply = finalized deposits − withdrawals; ids count up by one per withdrawal.
    function testFuzz_depositsAndWithdrawals(uint96[4] memory deposits, uint96[4] memory withdrawals) public {
        address l2Token = bridge.l2TokenOf(l1TokenA);
        uint256 minted;
        for (uint256 i = 0; i < 4; i++) {
            finalize(i, l1TokenA, alice, deposits[i]);
            minted += deposits[i];
        }
        uint256 burnt;
        uint256 count;
        for (uint256 i = 0; i < 4; i++) {
            uint256 amount = withdrawals[i];
            vm.prank(alice);
            if (amount == 0) {
                vm.expectRevert(L2Bridge.ZeroAmount.selector);
                bridge.withdrawToken(l2Token, l1Alice, amount);
            } else if (amount > minted - burnt) {
                vm.expectRevert(
                    abi.encodeWithSelector(
                        IERC20Errors.ERC20InsufficientBalance.selector, alice, minted - burnt, amount
                    )
                );
                bridge.withdrawToken(l2Token, l1Alice, amount);
            } else {
                assertEq(bridge.withdrawToken(l2Token, l1Alice, amount), count);
                burnt += amount;
                count++;
            }
        }
        assertEq(BridgedERC20(l2Token).totalSupply(), minted - burnt);
        assertEq(bridge.withdrawalCount(), count);
    }
}

/// @notice ERC-20's `Transfer` event, for `expectEmit`.
interface IERC20Transfer {
    event Transfer(address indexed from, address indexed to, uint256 value);
}
