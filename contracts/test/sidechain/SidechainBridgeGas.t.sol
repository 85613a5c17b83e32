// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SidechainBridge} from "../../src/sidechain/SidechainBridge.sol";
import {BridgeFixture, BridgeVm, WithdrawalTree, bconsole} from "./SidechainBridgeFixture.sol";

// forge-lint: disable-start(unsafe-typecast) test values are small

/// @notice Gas of the SidechainBridge (`forge test --match-contract SidechainBridgeGas -vv`), each step measured
///         alone in its test with its storage cold (everything prepared in setUp, a separate transaction; the test
///         touches neither the bridge nor the StakeManager before the measured call), as a whole transaction pays:
///         - `execution`: the call's own gas from the callee's side (forge's `lastCallGas`, before refunds);
///         - `calldata`: 4 gas per zero byte, 16 per non-zero byte (EIP-2028);
///         - `tx total` = max(21,000 + calldata + execution, 21,000 + EIP-7623's floor of 10/40 per byte), before
///           refunds (none of these steps clears storage).
///         Bound asserted: `submitCheckpoint` signed by 3 of 4 equal-stake validators ≤ 150,000.
abstract contract BridgeGasBase is BridgeFixture {
    uint256 internal constant TARGET_3_OF_4 = 150_000;

    /// @dev The prepared call (built in setUp).
    bytes internal prepared;
    address internal caller;
    uint256 internal callValue;

    function measure(string memory label, address from, uint256 value, bytes memory data)
        internal
        returns (uint256 txGas)
    {
        vm.deal(from, from.balance + value);
        vm.prank(from);
        (bool ok, bytes memory ret) = address(bridge).call{value: value}(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        BridgeVm.Gas memory used = bvm.lastCallGas();
        txGas = txGasOf(label, data, used.gasTotalUsed);
    }

    /// @dev Logs and returns a transaction's total gas from its calldata and its execution gas.
    function txGasOf(string memory label, bytes memory data, uint256 execution) internal view returns (uint256 txGas) {
        (uint256 standard, uint256 floor) = calldataGas(data);
        txGas = 21_000 + standard + execution;
        if (21_000 + floor > txGas) txGas = 21_000 + floor;
        bconsole.log(string.concat(label, ": execution"), execution);
        bconsole.log(string.concat(label, ": calldata"), standard);
        bconsole.log(string.concat(label, ": tx total"), txGas);
    }

    function calldataGas(bytes memory data) internal pure returns (uint256 standard, uint256 floor) {
        for (uint256 i = 0; i < data.length; i++) {
            standard += data[i] == 0 ? 4 : 16;
            floor += data[i] == 0 ? 10 : 40;
        }
    }

    /// @dev Prepares `submitCheckpoint` of the next checkpoint (with `withdrawals` leaves) signed by the first `k`.
    function prepareSubmit(uint256 k, uint256 withdrawals) internal {
        bytes32[] memory leaves = new bytes32[](withdrawals);
        for (uint256 i = 0; i < withdrawals; i++) {
            leaves[i] = keccak256(abi.encode("leaf", i));
        }
        SidechainBridge.Checkpoint memory cp = nextCheckpoint(leaves);
        cp.endBlock = cp.startBlock + 99; // a checkpoint every 100 blocks
        prepared = abi.encodeCall(SidechainBridge.submitCheckpoint, (cp, signCheckpoint(cp, firstKeys(k))));
        caller = makeAddr("submitter");
    }
}

/// @notice `submitCheckpoint` with `n` equal-stake validators, `k` of them signing (the smallest quorum).
abstract contract SubmitGasBase is BridgeGasBase {
    bytes internal preparedEmpty;

    function n() internal pure virtual returns (uint256);

    function k() internal pure virtual returns (uint256);

    function setUp() public override {
        super.setUp();
        stakeValidators(n(), 10 ether);
        require(k() * 10 ether >= quorumOf(n() * 10 ether) && (k() - 1) * 10 ether < quorumOf(n() * 10 ether));
        prepareSubmit(k(), 0);
        preparedEmpty = prepared;
        prepareSubmit(k(), 5);
    }

    function label(string memory what) internal pure returns (string memory) {
        return string.concat("submitCheckpoint ", vm.toString(k()), "-of-", vm.toString(n()), " ", what);
    }

    /// @dev Worst case: the first checkpoint of a word of eight counts, with withdrawals (two new slots).
    function test_gas_submit_withWithdrawals() public {
        uint256 g = measure(label("(withdrawals, new count word)"), caller, 0, prepared);
        if (n() == 4) assertLe(g, TARGET_3_OF_4, "3-of-4 submitCheckpoint over budget");
    }

    /// @dev A checkpoint without withdrawals: no per-checkpoint storage at all.
    function test_gas_submit_noWithdrawals() public {
        measure(label("(no withdrawals)"), caller, 0, preparedEmpty);
    }
}

contract SidechainBridgeGas4Test is SubmitGasBase {
    function n() internal pure override returns (uint256) {
        return 4;
    }

    function k() internal pure override returns (uint256) {
        return 3;
    }
}

/// @notice The second checkpoint (count word already non-zero), prepared in setUp.
contract SidechainBridgeGas4SecondTest is BridgeGasBase {
    function setUp() public override {
        super.setUp();
        stakeValidators(4, 10 ether);
        bytes32[] memory leaves = new bytes32[](1);
        submitWith(leaves, firstKeys(3));
        prepareSubmit(3, 5);
    }

    function test_gas_submit_second() public {
        uint256 g = measure("submitCheckpoint 3-of-4 (withdrawals, count word warm)", caller, 0, prepared);
        assertLe(g, TARGET_3_OF_4);
    }
}

contract SidechainBridgeGas7Test is SubmitGasBase {
    function n() internal pure override returns (uint256) {
        return 7;
    }

    function k() internal pure override returns (uint256) {
        return 5;
    }
}

contract SidechainBridgeGas10Test is SubmitGasBase {
    function n() internal pure override returns (uint256) {
        return 10;
    }

    function k() internal pure override returns (uint256) {
        return 7;
    }
}

contract SidechainBridgeGas21Test is SubmitGasBase {
    function n() internal pure override returns (uint256) {
        return 21;
    }

    function k() internal pure override returns (uint256) {
        return 15;
    }
}

contract SidechainBridgeGas100Test is SubmitGasBase {
    function n() internal pure override returns (uint256) {
        return 100;
    }

    function k() internal pure override returns (uint256) {
        return 67;
    }
}

/// @notice Deposits and finalizations in steady state: the counters and per-token totals are already non-zero (one
///         deposit and one payout of each kind happened before), so no step pays for a total's first write.
contract SidechainBridgeGasFlowsTest is BridgeGasBase {
    SidechainBridge.Withdrawal[] internal ws;
    bytes32[] internal leaves;
    address internal existing = makeAddr("existing recipient");

    function setUp() public override {
        super.setUp();
        stakeValidators(4, 10 ether);
        depositEth(alice, 50 ether);
        vm.prank(alice);
        bridge.depositERC20(address(token), alice, 50 ether);
        // a checkpoint with 100 withdrawals, alternately ETH and token, to fresh accounts but the last two
        for (uint256 i = 0; i < 100; i++) {
            address to = i >= 98 ? existing : address(uint160(0xB0B0000 + i));
            ws.push(withdrawal(i, to, i % 2 == 0 ? ETH : address(token), 0.1 ether));
        }
        leaves = leavesOf(ws);
        submitWith(leaves, firstKeys(3));
        bridge.finalizeWithdrawal(ws[0], 0, 0, WithdrawalTree.proof(leaves, 0));
        bridge.finalizeWithdrawal(ws[1], 0, 1, WithdrawalTree.proof(leaves, 1));
        vm.deal(existing, 1 ether);
        vm.prank(alice);
        require(token.transfer(existing, 1 ether));
    }

    function test_gas_depositETH() public {
        measure("depositETH", bob, 1 ether, abi.encodeCall(SidechainBridge.depositETH, (bob)));
    }

    function test_gas_depositERC20() public {
        measure("depositERC20", bob, 0, abi.encodeCall(SidechainBridge.depositERC20, (address(token), bob, 5 ether)));
    }

    function finalize(string memory what, uint256 i) internal {
        measure(
            string.concat("finalizeWithdrawal ", what),
            bob,
            0,
            abi.encodeCall(SidechainBridge.finalizeWithdrawal, (ws[i], 0, i, WithdrawalTree.proof(leaves, i)))
        );
    }

    function test_gas_finalizeWithdrawal_eth_freshAccount() public {
        finalize("(ETH, to a fresh account)", 38);
    }

    function test_gas_finalizeWithdrawal_eth_existingAccount() public {
        finalize("(ETH, to an existing account)", 98);
    }

    function test_gas_finalizeWithdrawal_erc20_freshHolder() public {
        finalize("(ERC-20, to a fresh holder)", 37);
    }

    function test_gas_finalizeWithdrawal_erc20_existingHolder() public {
        finalize("(ERC-20, to an existing holder)", 99);
    }
}
