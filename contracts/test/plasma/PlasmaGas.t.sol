// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {PlasmaFramework} from "../../src/plasma/PlasmaFramework.sol";
import {PlasmaWorld} from "./PlasmaFramework.t.sol";
import {PlasmaVm, console} from "./PlasmaFixture.sol";

// forge-lint: disable-start(unsafe-typecast) test values are small

/// @notice Gas of every PlasmaFramework step (`forge test --match-contract PlasmaGas -vv`), each measured alone in
///         its test with its storage cold (prepared in setUp, a separate transaction), as a whole transaction would
///         pay it:
///         - `execution`: the call's own gas from the callee's side (forge's `lastCallGas`, before refunds);
///         - `calldata`: 4 gas per zero byte, 16 per non-zero byte (EIP-2028);
///         - `tx total` = max(21,000 + calldata + execution, 21,000 + EIP-7623's floor of 10/40 per byte), before
///           refunds (logged apart as `tx total after refund`, refund capped at 1/5).
///         Bounds asserted: start-exit and every challenge ≤ 200,000; anchors from the live systems: OMG's standard
///         exit challenge 306,302, Plasma Chamber's exit 438,292.
abstract contract PlasmaGasBase is PlasmaWorld {
    uint256 internal constant TARGET = 200_000;
    uint256 internal constant OMG_CHALLENGE = 306_302;
    uint256 internal constant CHAMBER_EXIT = 438_292;

    function measure(string memory label, address caller, uint256 value, bytes memory data)
        internal
        returns (uint256 txGas)
    {
        vm.deal(caller, caller.balance + value);
        vm.prank(caller);
        (bool ok, bytes memory ret) = address(plasma).call{value: value}(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        PlasmaVm.Gas memory used = pvm.lastCallGas();
        (uint256 standard, uint256 floor) = calldataGas(data);
        uint256 execution = used.gasTotalUsed;
        txGas = 21_000 + standard + execution;
        if (21_000 + floor > txGas) txGas = 21_000 + floor;
        uint256 refund = used.gasRefunded > 0 ? uint256(int256(used.gasRefunded)) : 0;
        if (refund > txGas / 5) refund = txGas / 5;
        console.log(string.concat(label, ": execution"), execution);
        console.log(string.concat(label, ": calldata"), standard);
        console.log(string.concat(label, ": tx total"), txGas);
        console.log(string.concat(label, ": tx total after refund"), txGas - refund);
    }

    function calldataGas(bytes memory data) internal pure returns (uint256 standard, uint256 floor) {
        for (uint256 i = 0; i < data.length; i++) {
            standard += data[i] == 0 ? 4 : 16;
            floor += data[i] == 0 ? 10 : 40;
        }
    }
}

/// @notice Deposits and blocks.
contract PlasmaGasBlocksTest is PlasmaGasBase {
    function test_gas_depositEth() public {
        measure("depositEth", bob, 1 ether, abi.encodeCall(PlasmaFramework.depositEth, (bob)));
    }

    function test_gas_depositToken() public {
        measure(
            "depositToken (ERC-20)",
            bob,
            0,
            abi.encodeCall(PlasmaFramework.depositToken, (bob, address(token), 5 ether))
        );
    }

    function test_gas_submitBlock() public {
        measure("submitBlock", operator, 0, abi.encodeCall(PlasmaFramework.submitBlock, (keccak256("root"))));
    }
}

/// @notice Starting a standard exit (an operator-block output of a 1-in 2-out transaction, three exits queued).
contract PlasmaGasStartTest is PlasmaGasBase {
    function setUp() public override {
        super.setUp();
        startExit(alice, ethDeposit, depEth, "");
        startExit(alice, tokenDeposit, depTok, "");
        startExit(alice, t1Pos + 1, t1Bytes, t1Sigs);
    }

    function test_gas_startStandardExit() public {
        bytes memory data = abi.encodeCall(PlasmaFramework.startStandardExit, (t1Pos, t1Bytes, t1Sigs, proofAt(t1Pos)));
        uint256 g = measure("startStandardExit", bob, SE_BOND, data);
        assertLe(g, TARGET, "target");
        assertLe(g, CHAMBER_EXIT - 1, "Plasma Chamber exit");
    }

    function test_gas_startStandardExitOfDeposit() public {
        uint256 b = depositEthFor(carol, 1 ether);
        bytes memory dep = depositBytes(b, carol, ETH, 1 ether);
        bytes memory data = abi.encodeCall(PlasmaFramework.startStandardExit, (pos(b, 0, 0), dep, "", proofOf(b, 0)));
        uint256 g = measure("startStandardExit (deposit)", carol, SE_BOND, data);
        assertLe(g, TARGET, "target");
    }
}

/// @notice The three standard-exit challenges.
contract PlasmaGasChallengeTest is PlasmaGasBase {
    uint256 internal bobExit;
    uint256 internal theftExit;
    uint256 internal theftPos;
    bytes internal theftBytes;
    bytes internal theftSigs;
    uint256 internal dsExit;
    uint256 internal t2Pos;
    bytes internal t2Bytes;
    bytes internal t2Sigs;

    function setUp() public override {
        super.setUp();
        bobExit = startExit(bob, t1Pos, t1Bytes, t1Sigs);
        // an invalid transaction: carol signs away alice's token deposit
        Tx memory theft = mkTx(ins1(tokenDeposit), outs1(out(carol, address(token), 100 ether)));
        theftBytes = enc(theft);
        theftSigs = sign1(theft, PK_C);
        theftPos = pos(submit1(theftBytes, theftSigs), 0, 0);
        theftExit = startExit(carol, theftPos, theftBytes, theftSigs);
        // a double spend: alice signs her ETH deposit to carol too, included after T1
        Tx memory t2 = mkTx(ins1(ethDeposit), outs1(out(carol, ETH, 10 ether)));
        t2Bytes = enc(t2);
        t2Sigs = sign1(t2, PK_A);
        t2Pos = pos(submit1(t2Bytes, t2Sigs), 0, 0);
        dsExit = startExit(carol, t2Pos, t2Bytes, t2Sigs);
    }

    function test_gas_challengeSpent() public {
        Tx memory spend = bobToCarol();
        bytes memory data = abi.encodeCall(PlasmaFramework.challengeSpent, (bobExit, enc(spend), 0, sign1(spend, PK_B)));
        uint256 g = measure("challengeSpent", carol, 0, data);
        assertLe(g, TARGET, "target");
        assertLe(g, OMG_CHALLENGE - 1, "OMG challenge");
    }

    function test_gas_challengeInvalidTx() public {
        bytes memory data = abi.encodeCall(
            PlasmaFramework.challengeInvalidTx,
            (theftExit, inclusion(theftBytes, theftSigs, theftPos), one(depTok), one(""), one(proofAt(tokenDeposit)))
        );
        uint256 g = measure("challengeInvalidTx (1 input, forged signature)", alice, 0, data);
        assertLe(g, TARGET, "target");
        assertLe(g, OMG_CHALLENGE - 1, "OMG challenge");
    }

    function test_gas_challengeDoubleSpend() public {
        bytes memory data = abi.encodeCall(
            PlasmaFramework.challengeDoubleSpend,
            (dsExit, inclusion(t2Bytes, t2Sigs, t2Pos), 0, inclusion(t1Bytes, t1Sigs, t1Pos), 0)
        );
        uint256 g = measure("challengeDoubleSpend", bob, 0, data);
        assertLe(g, TARGET, "target");
        assertLe(g, OMG_CHALLENGE - 1, "OMG challenge");
    }
}

/// @notice processExits: one standard exit, ten standard exits, one in-flight exit.
contract PlasmaGasProcessTest is PlasmaGasBase {
    function test_gas_processOneStandardExit() public {
        startExit(bob, t1Pos, t1Bytes, t1Sigs);
        vm.warp(T0 + 2 * EP);
        measure("processExits(1), 1 ETH exit", carol, 0, abi.encodeCall(PlasmaFramework.processExits, (1)));
    }

    function test_gas_processOneTokenExit() public {
        startExit(alice, tokenDeposit, depTok, "");
        vm.warp(T0 + 2 * EP);
        measure("processExits(1), 1 ERC-20 exit", carol, 0, abi.encodeCall(PlasmaFramework.processExits, (1)));
    }

    function test_gas_processTenStandardExits() public {
        for (uint256 i = 0; i < 10; i++) {
            address owner = vm.addr(1000 + i);
            uint256 b = depositEthFor(owner, 1 ether);
            startExit(owner, pos(b, 0, 0), depositBytes(b, owner, ETH, 1 ether), "");
        }
        vm.warp(T0 + 2 * EP);
        uint256 g =
            measure("processExits(10), 10 ETH exits", carol, 0, abi.encodeCall(PlasmaFramework.processExits, (10)));
        console.log("processExits: per exit (of 10)", (g - 21_000) / 10);
    }

    function test_gas_processInFlightExit() public {
        Tx memory t = mkTx(ins1(t1Pos), outs1(out(carol, ETH, 7 ether)));
        vm.prank(bob);
        plasma.startInFlightExit{value: IFE_BOND}(
            enc(t), sign1(t, PK_B), one(t1Bytes), one(t1Sigs), one(proofAt(t1Pos))
        );
        vm.warp(T0 + 2 * EP);
        measure(
            "processExits(1), 1-in 1-out in-flight exit", carol, 0, abi.encodeCall(PlasmaFramework.processExits, (1))
        );
    }
}

/// @notice In-flight exits: start (1 and 2 inputs) and the challenges.
contract PlasmaGasInFlightTest is PlasmaGasBase {
    function setUp() public override {
        super.setUp();
        startExit(alice, ethDeposit, depEth, "");
    }

    function oneInput() internal view returns (Tx memory) {
        return mkTx(ins1(t1Pos), outs2(out(carol, ETH, 6 ether), out(bob, ETH, 1 ether)));
    }

    function test_gas_startInFlightExit1() public {
        Tx memory t = oneInput();
        bytes memory data = abi.encodeCall(
            PlasmaFramework.startInFlightExit, (enc(t), sign1(t, PK_B), one(t1Bytes), one(t1Sigs), one(proofAt(t1Pos)))
        );
        measure("startInFlightExit (1 in, 2 out)", bob, IFE_BOND, data);
    }

    function test_gas_startInFlightExit2() public {
        Tx memory t = mkTx(ins2(t1Pos + 1, t1Pos), outs1(out(carol, ETH, 10 ether)));
        bytes memory data = abi.encodeCall(
            PlasmaFramework.startInFlightExit,
            (
                enc(t),
                sign2(t, PK_A, PK_B),
                two(t1Bytes, t1Bytes),
                two(t1Sigs, t1Sigs),
                two(proofAt(t1Pos), proofAt(t1Pos))
            )
        );
        measure("startInFlightExit (2 in, 1 out)", carol, IFE_BOND, data);
    }
}

/// @notice The in-flight exit challenges (the exit started in setUp, so its storage is cold).
contract PlasmaGasInFlightChallengeTest is PlasmaGasBase {
    bytes internal tb;
    bytes internal ts;
    uint256 internal tPos;

    function setUp() public override {
        super.setUp();
        Tx memory t = mkTx(ins1(t1Pos), outs2(out(carol, ETH, 6 ether), out(bob, ETH, 1 ether)));
        tb = enc(t);
        ts = sign1(t, PK_B);
        tPos = pos(submit1(tb, ts), 0, 0);
        vm.prank(bob);
        plasma.startInFlightExit{value: IFE_BOND}(tb, ts, one(t1Bytes), one(t1Sigs), one(proofAt(t1Pos)));
    }

    function test_gas_challengeNonCanonicalAndRespond() public {
        Tx memory c = mkTx(ins1(t1Pos), outs1(out(bob, ETH, 7 ether)));
        bytes memory cs = sign1(c, PK_B);
        bytes memory data = abi.encodeCall(
            PlasmaFramework.challengeNonCanonical, (tb, 0, PlasmaFramework.Inclusion(enc(c), cs, 0, ""), 0)
        );
        uint256 g = measure("challengeNonCanonical (competitor not included)", alice, 0, data);
        assertLe(g, TARGET, "target");
        data = abi.encodeCall(PlasmaFramework.respondToNonCanonical, (inclusion(tb, ts, tPos)));
        g = measure("respondToNonCanonical (warm)", carol, 0, data);
        assertLe(g, TARGET, "target");
    }

    function test_gas_challengeOutputSpent() public {
        Tx memory s = mkTx(ins1(tPos), outs1(out(alice, ETH, 6 ether)));
        bytes memory data = abi.encodeCall(
            PlasmaFramework.challengeOutputSpent, (inclusion(tb, ts, tPos), 0, enc(s), 0, sign1(s, PK_C))
        );
        uint256 g = measure("challengeOutputSpent", alice, 0, data);
        assertLe(g, TARGET, "target");
    }
}
// forge-lint: disable-end(unsafe-typecast)
