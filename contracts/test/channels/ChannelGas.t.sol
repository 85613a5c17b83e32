// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ChannelHub} from "../../src/channels/ChannelHub.sol";
import {PreimageRegistry} from "../../src/channels/PreimageRegistry.sol";
import {ChannelFixture, ChannelVm, TogglingReceiver, console} from "./ChannelFixture.sol";

// forge-lint: disable-start(unsafe-typecast) test timestamps are far below 2^64

/// @notice Gas of every ChannelHub / PreimageRegistry operation (`forge test --match-contract ChannelGas -vv`), each
///         measured alone in its test with its storage cold (prepared in setUp, a separate transaction), as a whole
///         transaction would pay it:
///         - `execution`: the call's own gas from the callee's side (forge's `lastCallGas`, before refunds), so
///           without the test's CALL overhead, as for a transaction sent to the hub;
///         - `calldata`: 4 gas per zero byte, 16 per non-zero byte (EIP-2028);
///         - `tx total` = max(21,000 + calldata + execution, 21,000 + EIP-7623's floor of 10/40 per byte), before the
///           storage refunds (which only lower it; logged apart as `tx total after refund`, refund capped at 1/5).
///         The parties are existing accounts (they hold ETH to pay their gas) but cold; the caller is cold too.
///         Raiden's TokenNetwork figures (its docs: open + deposit 112,922; close 112,715; settle 125,052) are the
///         bounds asserted.
abstract contract ChannelGasBase is ChannelFixture {
    uint256 internal constant RAIDEN_OPEN_AND_FUND = 112_922;
    uint256 internal constant RAIDEN_CLOSE = 112_715;
    uint256 internal constant RAIDEN_SETTLE = 125_052;

    bytes32 internal constant PREIMAGE = keccak256("gas preimage");

    /// @dev Runs `data` against `target` (calldata encoded beforehand), logs execution, calldata, and the whole
    ///      transaction's gas, and returns the last before refunds. Reverts with the callee's error.
    function measure(string memory label, address target, uint256 value, bytes memory data)
        internal
        returns (uint256 txGas)
    {
        uint256 g = gasleft();
        (bool ok, bytes memory ret) = target.call{value: value}(data);
        uint256 delta = g - gasleft();
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        ChannelVm.Gas memory used = cvm.lastCallGas();
        (uint256 standard, uint256 floor) = calldataGas(data);
        uint256 execution = used.gasTotalUsed;
        txGas = 21_000 + standard + execution;
        if (21_000 + floor > txGas) txGas = 21_000 + floor;
        uint256 refund = used.gasRefunded > 0 ? uint256(int256(used.gasRefunded)) : 0;
        if (refund > txGas / 5) refund = txGas / 5;
        console.log(string.concat(label, ": execution"), execution);
        console.log(string.concat(label, ": calldata"), standard);
        console.log(string.concat(label, ": gasleft delta (with the test's CALL)"), delta);
        console.log(string.concat(label, ": tx total"), txGas);
        console.log(string.concat(label, ": tx total after refund"), txGas - refund);
    }

    function calldataGas(bytes memory data) internal pure returns (uint256 standard, uint256 floor) {
        for (uint256 i = 0; i < data.length; i++) {
            standard += data[i] == 0 ? 4 : 16;
            floor += data[i] == 0 ? 10 : 40;
        }
    }

    /// @dev An earlier channel of each kind, so the hub's token balance and the dev token's slots are not fresh.
    function openEarlierChannels() internal {
        open(channel(address(0), 1 ether, 1000));
        open(channel(address(token), 1 ether, 1000));
    }
}

/// @notice open (ETH and ERC-20) and reveal.
contract ChannelGasOpenTest is ChannelGasBase {
    function setUp() public override {
        super.setUp();
        openEarlierChannels();
    }

    function test_gas_openEth() public {
        ChannelHub.Channel memory ch = ethChannel();
        vm.prank(alice);
        uint256 g = measure("open + fund (ETH)", address(hub), TOTAL, abi.encodeCall(ChannelHub.open, (ch)));
        assertLe(g, 60_000, "aim");
        assertLe(g, RAIDEN_OPEN_AND_FUND - 1, "Raiden open + deposit");
    }

    function test_gas_openErc20() public {
        ChannelHub.Channel memory ch = channel(address(token), 100 ether, 0);
        vm.prank(alice);
        uint256 g = measure("open + fund (ERC-20)", address(hub), 0, abi.encodeCall(ChannelHub.open, (ch)));
        assertLe(g, RAIDEN_OPEN_AND_FUND - 1, "Raiden open + deposit");
    }

    function test_gas_revealPreimage() public {
        vm.prank(carol);
        measure("reveal preimage", address(registry), 0, abi.encodeCall(PreimageRegistry.reveal, (PREIMAGE)));
    }
}

/// @notice Closing an open channel: cooperatively (ETH, ERC-20) and unilaterally.
contract ChannelGasCloseTest is ChannelGasBase {
    ChannelHub.Channel internal ch;
    ChannelHub.Channel internal tch;
    bytes32 internal id;
    bytes32 internal tid;

    function setUp() public override {
        super.setUp();
        openEarlierChannels();
        ch = ethChannel();
        tch = channel(address(token), 100 ether, 0);
        id = open(ch);
        tid = open(tch);
    }

    function test_gas_closeCooperativeEth() public {
        bytes memory data = abi.encodeCall(
            ChannelHub.closeCooperative,
            (
                ch,
                4 ether,
                6 ether,
                sign(PK_A, coopDigest(id, 4 ether, 6 ether)),
                sign(PK_B, coopDigest(id, 4 ether, 6 ether))
            )
        );
        vm.prank(alice);
        uint256 g = measure("cooperative close (ETH, both paid)", address(hub), 0, data);
        assertLe(g, RAIDEN_CLOSE - 1, "Raiden close");
    }

    function test_gas_closeCooperativeErc20() public {
        bytes memory data = abi.encodeCall(
            ChannelHub.closeCooperative,
            (
                tch,
                40 ether,
                60 ether,
                sign(PK_A, coopDigest(tid, 40 ether, 60 ether)),
                sign(PK_B, coopDigest(tid, 40 ether, 60 ether))
            )
        );
        vm.prank(alice);
        uint256 g = measure("cooperative close (ERC-20, both paid)", address(hub), 0, data);
        assertLe(g, RAIDEN_CLOSE - 1, "Raiden close");
    }

    function test_gas_closeUnilateral() public {
        ChannelHub.State memory s = stateOf(ch, 5, 4 ether, 6 ether, noHtlcs());
        bytes memory data =
            abi.encodeCall(ChannelHub.closeUnilateral, (ch, s, noHtlcs(), signState(PK_A, s), signState(PK_B, s)));
        vm.prank(bob);
        uint256 g = measure("unilateral close (signed state, no HTLC)", address(hub), 0, data);
        assertLe(g, RAIDEN_CLOSE - 1, "Raiden close");
    }

    function test_gas_closeUnilateralOneHtlc() public {
        ChannelHub.Htlc[] memory hs = oneHtlc(0, 1 ether, paymentHash(PREIMAGE), uint64(T0 + 2 days));
        ChannelHub.State memory s = stateOf(ch, 5, 3 ether, 6 ether, hs);
        bytes memory data =
            abi.encodeCall(ChannelHub.closeUnilateral, (ch, s, hs, signState(PK_A, s), signState(PK_B, s)));
        vm.prank(bob);
        uint256 g = measure("unilateral close (signed state, 1 HTLC)", address(hub), 0, data);
        assertLe(g, RAIDEN_CLOSE - 1, "Raiden close");
    }

    function test_gas_closeUnilateralOpeningState() public {
        ChannelHub.State memory s = stateOf(ch, 0, TOTAL, 0, noHtlcs());
        bytes memory data = abi.encodeCall(ChannelHub.closeUnilateral, (ch, s, noHtlcs(), bytes(""), bytes("")));
        vm.prank(alice);
        uint256 g = measure("unilateral close (opening state, no signature)", address(hub), 0, data);
        assertLe(g, RAIDEN_CLOSE - 1, "Raiden close");
    }
}

/// @notice A channel closed by A with state 3 (A revoked it): dispute, penalty, settle.
contract ChannelGasClosingTest is ChannelGasBase {
    ChannelHub.Channel internal ch;
    ChannelHub.Channel internal hch;
    bytes32 internal id;
    bytes32 internal hid;
    ChannelHub.Htlc[] internal storedHtlcs;

    function setUp() public override {
        super.setUp();
        openEarlierChannels();
        ch = ethChannel();
        id = open(ch);
        closeWith(ch, alice, 3, 7 ether, 3 ether, noHtlcs());
        // a second channel closed with one HTLC A → B, whose preimage B revealed on chain before its expiry
        hch = channel(address(0), TOTAL, 1);
        hid = open(hch);
        ChannelHub.Htlc[] memory hs = oneHtlc(0, 1 ether, paymentHash(PREIMAGE), uint64(T0 + 2 hours));
        storedHtlcs.push(hs[0]);
        closeWith(hch, alice, 3, 6 ether, 3 ether, hs);
        vm.warp(T0 + 1 hours);
        registry.reveal(PREIMAGE);
    }

    function test_gas_dispute() public {
        ChannelHub.State memory s = stateOf(ch, 4, 5 ether, 5 ether, noHtlcs());
        bytes memory data =
            abi.encodeCall(ChannelHub.dispute, (ch, s, noHtlcs(), signState(PK_A, s), signState(PK_B, s)));
        vm.prank(bob);
        measure("dispute (newer signed state, no HTLC)", address(hub), 0, data);
    }

    function test_gas_disputeByWatchtower() public {
        ChannelHub.State memory s = stateOf(ch, 4, 5 ether, 5 ether, noHtlcs());
        bytes memory data =
            abi.encodeCall(ChannelHub.dispute, (ch, s, noHtlcs(), signState(PK_A, s), signState(PK_B, s)));
        vm.prank(carol);
        measure("dispute by a watchtower", address(hub), 0, data);
    }

    function test_gas_penalize() public {
        bytes memory data = abi.encodeCall(ChannelHub.penalize, (ch, 3, sign(PK_A, revocationDigest(id, 3))));
        vm.prank(carol);
        measure("penalty (whole channel to the victim)", address(hub), 0, data);
    }

    function test_gas_settle() public {
        vm.warp(T0 + WINDOW + 1);
        bytes memory data = abi.encodeCall(ChannelHub.settle, (ch, 7 ether, 3 ether, noHtlcs()));
        vm.prank(alice);
        uint256 g = measure("settle (no HTLC, both paid)", address(hub), 0, data);
        assertLe(g, RAIDEN_SETTLE - 1, "Raiden settle");
    }

    function test_gas_settleOneHtlcClaimedOnChain() public {
        vm.warp(T0 + WINDOW + 1);
        bytes memory data = abi.encodeCall(ChannelHub.settle, (hch, 6 ether, 3 ether, storedHtlcs));
        vm.prank(bob);
        uint256 g = measure("settle (1 HTLC claimed with the revealed preimage)", address(hub), 0, data);
        assertLe(g, RAIDEN_SETTLE - 1, "Raiden settle");
        assertEq(address(hub).balance, 1 ether + TOTAL, "the HTLC channel paid out");
    }
}

/// @notice withdraw of a credited payout.
contract ChannelGasWithdrawTest is ChannelGasBase {
    function setUp() public override {
        super.setUp();
        vm.etch(bob, address(new TogglingReceiver()).code);
        TogglingReceiver(payable(bob)).setReject(true);
        ChannelHub.Channel memory ch = ethChannel();
        bytes32 id = open(ch);
        hub.closeCooperative(
            ch,
            4 ether,
            6 ether,
            sign(PK_A, coopDigest(id, 4 ether, 6 ether)),
            sign(PK_B, coopDigest(id, 4 ether, 6 ether))
        );
        TogglingReceiver(payable(bob)).setReject(false);
    }

    function test_gas_withdrawEth() public {
        vm.prank(bob);
        measure("withdraw (credited ETH)", address(hub), 0, abi.encodeCall(ChannelHub.withdraw, (address(0))));
        assertEq(hub.withdrawable(address(0), bob), 0);
    }
}
// forge-lint: disable-end(unsafe-typecast)
