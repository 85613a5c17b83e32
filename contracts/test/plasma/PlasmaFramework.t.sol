// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {PlasmaMerkle} from "../../src/plasma/PlasmaTx.sol";
import {PlasmaFramework} from "../../src/plasma/PlasmaFramework.sol";
import {PriorityQueue} from "../../src/plasma/PriorityQueue.sol";
import {BlockToken, FeeToken, GasBurner, PlasmaFixture, PlasmaTree, TogglingReceiver} from "./PlasmaFixture.sol";

// forge-lint: disable-start(unsafe-typecast) test values are small

/// @notice Blocks, deposits, transaction decoding and the EIP-712 digest.
contract PlasmaBlocksTest is PlasmaFixture {
    function test_constructor_config() public view {
        assertEq(plasma.operator(), operator);
        assertEq(plasma.exitPeriod(), EP);
        assertEq(plasma.standardExitBond(), SE_BOND);
        assertEq(plasma.inFlightExitBond(), IFE_BOND);
        assertEq(uint256(plasma.nextChildBlock()), 1000);
        assertEq(uint256(plasma.nextDepositBlock()), 1);
        assertEq(plasma.domainSeparator(), domainSeparator());
    }

    function test_constructor_revertsOnBadConfig() public {
        vm.expectRevert(PlasmaFramework.InvalidConfig.selector);
        new PlasmaFramework(address(0), EP, 0, 0);
        vm.expectRevert(PlasmaFramework.InvalidConfig.selector);
        new PlasmaFramework(operator, 0, 0, 0);
        vm.expectRevert(PlasmaFramework.InvalidConfig.selector);
        new PlasmaFramework(operator, 365 days + 1, 0, 0);
    }

    function test_submitBlock_numbersAndRecords() public {
        bytes32 root = keccak256("root");
        vm.expectEmit(address(plasma));
        emit BlockSubmitted(1000, root, uint64(T0));
        vm.prank(operator);
        assertEq(plasma.submitBlock(root), 1000);
        (bytes32 r, uint64 ts) = plasma.blocks(1000);
        assertEq(r, root);
        assertEq(uint256(ts), T0);
        assertEq(uint256(plasma.nextChildBlock()), 2000);
        assertEq(uint256(plasma.nextDepositBlock()), 1001);
        vm.prank(operator);
        assertEq(plasma.submitBlock(root), 2000);
    }

    function test_submitBlock_revertsForNonOperator() public {
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.NotOperator.selector, alice));
        vm.prank(alice);
        plasma.submitBlock(bytes32(0));
    }

    function test_depositEth_buildsTheDepositBlock() public {
        vm.expectEmit(address(plasma));
        emit DepositCreated(1, bob, ETH, 3 ether);
        vm.prank(alice);
        uint256 blknum = plasma.depositEth{value: 3 ether}(bob);
        assertEq(blknum, 1);
        bytes32[] memory leaves = new bytes32[](1);
        leaves[0] = leafOf(depositBytes(1, bob, ETH, 3 ether), "");
        (bytes32 root, uint64 ts) = plasma.blocks(1);
        assertEq(root, PlasmaTree.root(leaves), "one-leaf depth-16 root of the deposit tx");
        assertEq(uint256(ts), T0);
        assertEq(plasma.deposited(ETH), 3 ether);
        assertEq(uint256(plasma.nextDepositBlock()), 2);
        assertEq(address(plasma).balance, 3 ether);
    }

    function test_deposit_numbersBetweenOperatorBlocks() public {
        assertEq(depositEthFor(alice, 1), 1);
        assertEq(depositTokenFor(alice, 1), 2);
        submit1(depositBytes(1, alice, ETH, 1), ""); // any root
        assertEq(depositEthFor(alice, 1), 1001);
        assertEq(depositEthFor(alice, 1), 1002);
    }

    function test_depositToken_pullsAndRecords() public {
        vm.expectEmit(address(plasma));
        emit DepositCreated(1, alice, address(token), 50 ether);
        vm.prank(alice);
        plasma.depositToken(alice, address(token), 50 ether);
        assertEq(token.balanceOf(address(plasma)), 50 ether);
        assertEq(plasma.deposited(address(token)), 50 ether);
        bytes32[] memory leaves = new bytes32[](1);
        leaves[0] = leafOf(depositBytes(1, alice, address(token), 50 ether), "");
        (bytes32 root,) = plasma.blocks(1);
        assertEq(root, PlasmaTree.root(leaves));
    }

    function test_deposit_reverts() public {
        vm.expectRevert(PlasmaFramework.ZeroDeposit.selector);
        plasma.depositEth{value: 0}(alice);
        vm.expectRevert(PlasmaFramework.ZeroOwner.selector);
        plasma.depositEth{value: 1}(address(0));
        vm.expectRevert(PlasmaFramework.ZeroDeposit.selector);
        vm.prank(alice);
        plasma.depositToken(alice, address(token), 0);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.TokenNotContract.selector, bob));
        vm.prank(alice);
        plasma.depositToken(alice, bob, 1);
        FeeToken fee = new FeeToken();
        fee.approve(address(plasma), type(uint256).max);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.TokenTransferMismatch.selector, address(fee), 100, 99));
        plasma.depositToken(alice, address(fee), 100);
    }

    function test_deposit_capOnTotalDeposits() public {
        uint256 cap = plasma.MAX_TOTAL_DEPOSIT();
        vm.deal(address(this), cap + 1);
        plasma.depositEth{value: cap - 5}(alice);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.DepositCapExceeded.selector, ETH, cap - 5, 6));
        plasma.depositEth{value: 6}(alice);
        plasma.depositEth{value: 5}(alice);
        assertEq(plasma.deposited(ETH), cap);
    }

    function test_deposit_tooManyDeposits() public {
        vm.deal(address(this), 10_000);
        for (uint256 i = 1; i < 1000; i++) {
            plasma.depositEth{value: 1}(alice);
        }
        vm.expectRevert(PlasmaFramework.TooManyDeposits.selector);
        plasma.depositEth{value: 1}(alice);
        vm.prank(operator);
        plasma.submitBlock(bytes32(0));
        assertEq(plasma.depositEth{value: 1}(alice), 1001);
    }

    // ----------------------------------------------------------------------------------- decoding

    function sampleTx() internal view returns (Tx memory t) {
        t = Tx(
            ins2(pos(1, 0, 0), pos(1000, 3, 1)),
            outs2(out(bob, ETH, 7 ether), out(carol, address(token), 3)),
            bytes32(uint256(0xabc))
        );
    }

    function test_hashTransaction_isTheDocsEip712Digest() public view {
        Tx memory t = sampleTx();
        assertEq(plasma.hashTransaction(enc(t)), digestOf(t));
        Tx memory d = depositTx(7, alice, ETH, 1);
        assertEq(plasma.hashTransaction(enc(d)), digestOf(d));
    }

    function test_decode_canonicalLayout() public view {
        bytes memory b = enc(sampleTx());
        assertEq(b.length, 0xc0 + 32 * 2 + 96 * 2, "length rule of PlasmaTx");
        plasma.hashTransaction(b); // accepted
    }

    function test_decode_rejectsMalformed() public {
        bytes memory b = enc(sampleTx());
        // truncated
        bytes memory cut = new bytes(b.length - 1);
        for (uint256 i = 0; i < cut.length; i++) {
            cut[i] = b[i];
        }
        vm.expectRevert(PlasmaFramework.MalformedTransaction.selector);
        plasma.hashTransaction(cut);
        // a trailing byte
        vm.expectRevert(PlasmaFramework.MalformedTransaction.selector);
        plasma.hashTransaction(abi.encodePacked(b, bytes1(0)));
        // a trailing word
        vm.expectRevert(PlasmaFramework.MalformedTransaction.selector);
        plasma.hashTransaction(abi.encodePacked(b, bytes32(0)));
        // wrong tuple offset
        bytes memory w = bytes.concat(b);
        w[31] = 0x40;
        vm.expectRevert(PlasmaFramework.MalformedTransaction.selector);
        plasma.hashTransaction(w);
        // wrong inputs offset
        w = bytes.concat(b);
        w[63] = 0x80;
        vm.expectRevert(PlasmaFramework.MalformedTransaction.selector);
        plasma.hashTransaction(w);
        // wrong outputs offset
        w = bytes.concat(b);
        w[95] = 0xe0;
        vm.expectRevert(PlasmaFramework.MalformedTransaction.selector);
        plasma.hashTransaction(w);
        // dirty owner bits (the first output's owner word is at 0xc0 + 32·nIn = 0x100)
        w = bytes.concat(b);
        w[0x100] = 0x01;
        vm.expectRevert(PlasmaFramework.MalformedTransaction.selector);
        plasma.hashTransaction(w);
        // dirty token bits
        w = bytes.concat(b);
        w[0x120] = 0x01;
        vm.expectRevert(PlasmaFramework.MalformedTransaction.selector);
        plasma.hashTransaction(w);
        // empty and tiny
        vm.expectRevert(PlasmaFramework.MalformedTransaction.selector);
        plasma.hashTransaction("");
        vm.expectRevert(PlasmaFramework.MalformedTransaction.selector);
        plasma.hashTransaction(abi.encode(uint256(0x20)));
    }

    function test_decode_structuralRules() public {
        Tx memory t = sampleTx();
        uint256[] memory five = new uint256[](5);
        for (uint256 i = 0; i < 5; i++) {
            five[i] = i + 1;
        }
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.TooManyInputs.selector, 5));
        plasma.hashTransaction(enc(Tx(five, t.outputs, 0)));
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.OutputCountOutOfRange.selector, 0));
        plasma.hashTransaction(enc(Tx(t.inputs, new Out[](0), 0)));
        Out[] memory many = new Out[](5);
        for (uint256 j = 0; j < 5; j++) {
            many[j] = out(bob, ETH, 1);
        }
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.OutputCountOutOfRange.selector, 5));
        plasma.hashTransaction(enc(Tx(t.inputs, many, 0)));
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.ZeroOutputOwner.selector, 1));
        plasma.hashTransaction(enc(Tx(t.inputs, outs2(out(bob, ETH, 1), out(address(0), ETH, 1)), 0)));
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.ZeroOutputAmount.selector, 0));
        plasma.hashTransaction(enc(Tx(t.inputs, outs1(out(bob, ETH, 0)), 0)));
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.DuplicateInput.selector, 1));
        plasma.hashTransaction(enc(Tx(ins2(5, 5), t.outputs, 0)));
        // four inputs and four outputs are fine
        uint256[] memory four = new uint256[](4);
        for (uint256 i = 0; i < 4; i++) {
            four[i] = i + 1;
        }
        Out[] memory fourOut = new Out[](4);
        for (uint256 j = 0; j < 4; j++) {
            fourOut[j] = out(bob, ETH, 1);
        }
        plasma.hashTransaction(enc(Tx(four, fourOut, 0)));
    }

    function test_outputIdOf() public view {
        bytes32 h = keccak256("tx");
        assertEq(plasma.outputIdOf(h, 3), keccak256(abi.encode(h, uint256(3))));
    }
}

/// @notice A small world for the exit games: alice's 10 ETH deposit (block 1) and 100 DEV deposit (block 2), and
///         block 1000 with T1 (alice pays bob 7 ETH, keeps 3) at index 0.
abstract contract PlasmaWorld is PlasmaFixture {
    uint256 internal ethDeposit; // utxoPos of alice's ETH deposit
    uint256 internal tokenDeposit;
    bytes internal depEth;
    bytes internal depTok;
    bytes internal t1Bytes;
    bytes internal t1Sigs;
    uint256 internal t1Pos; // transaction position of T1

    function setUp() public virtual override {
        super.setUp();
        uint256 b1 = depositEthFor(alice, 10 ether);
        uint256 b2 = depositTokenFor(alice, 100 ether);
        ethDeposit = pos(b1, 0, 0);
        tokenDeposit = pos(b2, 0, 0);
        depEth = depositBytes(b1, alice, ETH, 10 ether);
        depTok = depositBytes(b2, alice, address(token), 100 ether);
        Tx memory t1 = t1Tx();
        t1Bytes = enc(t1);
        t1Sigs = sign1(t1, PK_A);
        t1Pos = pos(submit1(t1Bytes, t1Sigs), 0, 0);
    }

    /// @dev T1: alice pays bob 7 ETH of her deposit and keeps 3.
    function t1Tx() internal view returns (Tx memory) {
        return mkTx(ins1(ethDeposit), outs2(out(bob, ETH, 7 ether), out(alice, ETH, 3 ether)));
    }

    /// @dev Bob spends his T1 output to carol (unsigned).
    function bobToCarol() internal view returns (Tx memory t) {
        t = mkTx(ins1(t1Pos), outs1(out(carol, ETH, 7 ether)));
    }
}

/// @notice Starting standard exits.
contract PlasmaStandardExitTest is PlasmaWorld {
    function test_start_depositOutput() public {
        bytes32 id = outputId(depEth, 0);
        uint256 exitId = (uint256(T0 + EP) << 192) | (ethDeposit << 64) | 0;
        vm.expectEmit(address(plasma));
        emit ExitStarted(exitId, alice, ethDeposit, id, ETH, 10 ether, uint64(T0 + EP));
        assertEq(startExit(alice, ethDeposit, depEth, ""), exitId, "exit id = priority key");
        (bytes32 oid, address owner, address tok, uint256 amount, uint256 utxoPos, uint64 at) = plasma.getExit(exitId);
        assertEq(oid, id);
        assertEq(owner, alice);
        assertEq(tok, ETH);
        assertEq(amount, 10 ether);
        assertEq(utxoPos, ethDeposit);
        assertEq(uint256(at), T0 + EP);
        assertEq(plasma.exitOf(exitId), id);
        assertEq(plasma.queueSize(), 1);
        assertEq(plasma.queueTop(), exitId);
        assertEq(address(plasma).balance, 10 ether + SE_BOND);
    }

    function test_start_operatorBlock_exitableAtIsBlockTimePlusTwoPeriods() public {
        vm.warp(T0 + 100);
        uint256 exitId = startExit(bob, t1Pos, t1Bytes, t1Sigs);
        assertEq(exitId >> 192, T0 + 2 * EP, "max(ts + 2EP, now + EP) = ts + 2EP");
    }

    function test_start_operatorBlock_lateExitWaitsOnePeriod() public {
        vm.warp(T0 + 5 * EP);
        uint256 exitId = startExit(bob, t1Pos, t1Bytes, t1Sigs);
        assertEq(exitId >> 192, T0 + 6 * EP, "now + EP");
    }

    function test_start_secondOutputAndToken() public {
        uint256 exitId = startExit(alice, t1Pos + 1, t1Bytes, t1Sigs);
        (, address owner,, uint256 amount, uint256 utxoPos,) = plasma.getExit(exitId);
        assertEq(owner, alice);
        assertEq(amount, 3 ether);
        assertEq(utxoPos, t1Pos + 1);
        uint256 tokExit = startExit(alice, tokenDeposit, depTok, "");
        (,, address tok, uint256 tokAmount,,) = plasma.getExit(tokExit);
        assertEq(tok, address(token));
        assertEq(tokAmount, 100 ether);
        assertEq(plasma.queueTop(), tokExit < exitId ? tokExit : exitId);
    }

    function test_start_reverts_bond() public {
        bytes memory p = proofAt(ethDeposit);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.ValueMismatch.selector, SE_BOND, SE_BOND - 1));
        vm.prank(alice);
        plasma.startStandardExit{value: SE_BOND - 1}(ethDeposit, depEth, "", p);
    }

    function test_start_reverts_notOwner() public {
        bytes memory p = proofAt(t1Pos);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.NotOutputOwner.selector, bob, alice));
        vm.prank(alice);
        plasma.startStandardExit{value: SE_BOND}(t1Pos, t1Bytes, t1Sigs, p);
    }

    function test_start_reverts_outputIndex() public {
        bytes memory p = proofAt(t1Pos);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.OutputIndexOutOfRange.selector, 2, 2));
        vm.prank(bob);
        plasma.startStandardExit{value: SE_BOND}(t1Pos + 2, t1Bytes, t1Sigs, p);
    }

    function test_start_reverts_notIncluded() public {
        bytes memory p = proofAt(t1Pos);
        // other signatures than the included ones: another leaf
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.NotIncluded.selector, t1Pos));
        vm.prank(bob);
        plasma.startStandardExit{value: SE_BOND}(t1Pos, t1Bytes, highS(t1Sigs), p);
        // a wrong index
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.NotIncluded.selector, t1Pos + 10_000));
        vm.prank(bob);
        plasma.startStandardExit{value: SE_BOND}(t1Pos + 10_000, t1Bytes, t1Sigs, p);
        // a corrupted proof
        bytes memory bad = bytes.concat(p);
        bad[5] ^= 0x01;
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.NotIncluded.selector, t1Pos));
        vm.prank(bob);
        plasma.startStandardExit{value: SE_BOND}(t1Pos, t1Bytes, t1Sigs, bad);
    }

    function test_start_reverts_positionAndProofShape() public {
        bytes memory p = proofAt(t1Pos);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.BlockNotFound.selector, 3000));
        vm.prank(bob);
        plasma.startStandardExit{value: SE_BOND}(pos(3000, 0, 0), t1Bytes, t1Sigs, p);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.InvalidPosition.selector, pos(1000, 65_536, 0)));
        vm.prank(bob);
        plasma.startStandardExit{value: SE_BOND}(pos(1000, 65_536, 0), t1Bytes, t1Sigs, p);
        vm.expectRevert(abi.encodeWithSelector(PlasmaMerkle.InvalidProofLength.selector, 480));
        vm.prank(bob);
        plasma.startStandardExit{value: SE_BOND}(t1Pos, t1Bytes, t1Sigs, new bytes(480));
        vm.expectRevert(PlasmaFramework.MalformedTransaction.selector);
        vm.prank(bob);
        plasma.startStandardExit{value: SE_BOND}(t1Pos, abi.encodePacked(t1Bytes, bytes1(0)), t1Sigs, p);
    }

    function test_start_reverts_alreadyExitingOrPaid() public {
        startExit(bob, t1Pos, t1Bytes, t1Sigs);
        bytes memory p = proofAt(t1Pos);
        bytes32 id = outputId(t1Bytes, 0);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.OutputAlreadyExiting.selector, id));
        vm.prank(bob);
        plasma.startStandardExit{value: SE_BOND}(t1Pos, t1Bytes, t1Sigs, p);
        vm.warp(T0 + 2 * EP);
        plasma.processExits(1);
        assertTrue(plasma.isOutputPaid(id));
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.OutputAlreadyPaid.selector, id));
        vm.prank(bob);
        plasma.startStandardExit{value: SE_BOND}(t1Pos, t1Bytes, t1Sigs, p);
    }

    function test_start_reverts_amountAboveCap() public {
        // an operator-block transaction (invalid: no inputs) minting more than any deposit could cover
        Tx memory mint = mkTx(ins0(), outs1(out(carol, ETH, uint256(type(uint96).max) + 1)));
        bytes memory b = enc(mint);
        uint256 p = pos(submit1(b, ""), 0, 0);
        bytes memory proof = proofAt(p);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.AmountTooLarge.selector, uint256(type(uint96).max) + 1));
        vm.prank(carol);
        plasma.startStandardExit{value: SE_BOND}(p, b, "", proof);
    }
}

/// @notice challengeSpent.
contract PlasmaChallengeSpentTest is PlasmaWorld {
    uint256 internal exitId;

    function setUp() public override {
        super.setUp();
        exitId = startExit(bob, t1Pos, t1Bytes, t1Sigs);
    }

    function test_challengeSpent_deletesAndPaysTheBond() public {
        Tx memory spend = bobToCarol();
        bytes memory sig = sign1(spend, PK_B);
        uint256 before = carol.balance;
        vm.expectEmit(address(plasma));
        emit ExitChallenged(exitId, carol, PlasmaFramework.ChallengeKind.Spent);
        vm.prank(carol);
        plasma.challengeSpent(exitId, enc(spend), 0, sig);
        assertEq(carol.balance, before + SE_BOND, "bond to the challenger");
        assertEq(exitOwner(exitId), address(0));
        assertEq(plasma.exitOf(exitId), bytes32(0));
        // the key is dropped when reached; nothing is paid
        vm.warp(T0 + 3 * EP);
        uint256 bobBefore = bob.balance;
        assertEq(plasma.processExits(5), 1);
        assertEq(bob.balance, bobBefore);
        assertEq(plasma.paid(ETH), 0);
        assertFalse(plasma.isOutputPaid(outputId(t1Bytes, 0)));
    }

    function test_challengeSpent_secondInput() public {
        Tx memory spend = mkTx(ins2(tokenDeposit, t1Pos), outs1(out(carol, ETH, 7 ether)));
        bytes memory sig = sign(PK_B, digestOf(spend));
        vm.prank(carol);
        plasma.challengeSpent(exitId, enc(spend), 1, sig);
        assertEq(exitOwner(exitId), address(0));
    }

    function test_challengeSpent_reverts() public {
        Tx memory spend = bobToCarol();
        bytes memory b = enc(spend);
        bytes memory sig = sign1(spend, PK_B);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.ExitNotFound.selector, exitId + 1));
        plasma.challengeSpent(exitId + 1, b, 0, sig);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.InputIndexOutOfRange.selector, 1, 1));
        plasma.challengeSpent(exitId, b, 1, sig);
        Tx memory other = mkTx(ins1(t1Pos + 1), outs1(out(carol, ETH, 3 ether)));
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.WrongInput.selector, t1Pos, t1Pos + 1));
        plasma.challengeSpent(exitId, enc(other), 0, sign1(other, PK_B));
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.BadSignature.selector, bob));
        plasma.challengeSpent(exitId, b, 0, sign1(spend, PK_C));
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.BadSignature.selector, bob));
        plasma.challengeSpent(exitId, b, 0, highS(sig));
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.BadSignature.selector, bob));
        plasma.challengeSpent(exitId, b, 0, abi.encodePacked(sig, bytes1(0)));
        vm.expectRevert(PlasmaFramework.MalformedTransaction.selector);
        plasma.challengeSpent(exitId, abi.encodePacked(b, bytes1(0)), 0, sig);
        assertEq(exitOwner(exitId), bob, "nothing changed");
    }

    function test_challengeSpent_onlyOnce() public {
        Tx memory spend = bobToCarol();
        bytes memory sig = sign1(spend, PK_B);
        plasma.challengeSpent(exitId, enc(spend), 0, sig);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.ExitNotFound.selector, exitId));
        plasma.challengeSpent(exitId, enc(spend), 0, sig);
    }
}

/// @notice challengeInvalidTx: every way a transaction can be invalid, and a valid one.
contract PlasmaChallengeInvalidTest is PlasmaWorld {
    /// @dev Includes `t` (signed with `sigs`) alone in a new operator block; carol (its output 0's owner) exits it.
    function includeAndExit(Tx memory t, bytes memory sigs) internal returns (uint256 exitId, uint256 txPos) {
        txPos = pos(submit1(enc(t), sigs), 0, 0);
        exitId = startExit(t.outputs[0].owner, txPos, enc(t), sigs);
    }

    function challenge(
        uint256 exitId,
        Tx memory t,
        bytes memory sigs,
        uint256 txPos,
        bytes[] memory itxs,
        bytes[] memory isigs
    ) internal {
        bytes[] memory proofs = new bytes[](t.inputs.length);
        for (uint256 i = 0; i < t.inputs.length; i++) {
            proofs[i] = proofAt(t.inputs[i]);
        }
        plasma.challengeInvalidTx(exitId, inclusion(enc(t), sigs, txPos), itxs, isigs, proofs);
    }

    function expectChallenged(uint256 exitId) internal {
        vm.expectEmit(address(plasma));
        emit ExitChallenged(exitId, carol, PlasmaFramework.ChallengeKind.InvalidTx);
    }

    function test_invalid_forgedSignature() public {
        // the operator includes a spend of alice's token deposit signed by carol
        Tx memory theft = mkTx(ins1(tokenDeposit), outs1(out(carol, address(token), 100 ether)));
        bytes memory sigs = sign1(theft, PK_C);
        (uint256 exitId, uint256 txPos) = includeAndExit(theft, sigs);
        uint256 before = carol.balance;
        expectChallenged(exitId);
        vm.prank(carol);
        challenge(exitId, theft, sigs, txPos, one(depTok), one(""));
        assertEq(exitOwner(exitId), address(0));
        assertEq(carol.balance, before + SE_BOND); // carol exited and challenged her own exit: bond back to her
    }

    function test_invalid_highSSignature() public {
        Tx memory t = mkTx(ins1(tokenDeposit), outs1(out(carol, address(token), 100 ether)));
        bytes memory sigs = highS(sign1(t, PK_A));
        (uint256 exitId, uint256 txPos) = includeAndExit(t, sigs);
        vm.prank(carol);
        challenge(exitId, t, sigs, txPos, one(depTok), one(""));
        assertEq(exitOwner(exitId), address(0));
    }

    function test_invalid_wrongSignaturesLength() public {
        Tx memory t = mkTx(ins1(tokenDeposit), outs1(out(carol, address(token), 100 ether)));
        bytes memory sigs = abi.encodePacked(sign1(t, PK_A), bytes1(0));
        (uint256 exitId, uint256 txPos) = includeAndExit(t, sigs);
        vm.prank(carol);
        challenge(exitId, t, sigs, txPos, one(depTok), one(""));
        assertEq(exitOwner(exitId), address(0));
    }

    function test_invalid_inputBlockNeverSubmitted() public {
        Tx memory t = mkTx(ins1(pos(999, 0, 0)), outs1(out(carol, ETH, 1 ether)));
        bytes memory sigs = sign1(t, PK_C);
        (uint256 exitId, uint256 txPos) = includeAndExit(t, sigs);
        bytes[] memory empty = one("");
        vm.prank(carol);
        plasma.challengeInvalidTx(exitId, inclusion(enc(t), sigs, txPos), empty, empty, empty);
        assertEq(exitOwner(exitId), address(0));
    }

    function test_invalid_inputLeafEmpty() public {
        // block 1000 holds one transaction: index 5 is an empty leaf
        Tx memory t = mkTx(ins1(pos(1000, 5, 0)), outs1(out(carol, ETH, 1 ether)));
        bytes memory sigs = sign1(t, PK_C);
        (uint256 exitId, uint256 txPos) = includeAndExit(t, sigs);
        vm.prank(carol);
        challenge(exitId, t, sigs, txPos, one(""), one(""));
        assertEq(exitOwner(exitId), address(0));
    }

    function test_invalid_inputOutputIndexMissing() public {
        // deposits have one output: output 1 of alice's deposit does not exist
        Tx memory t = mkTx(ins1(ethDeposit + 1), outs1(out(carol, ETH, 1 ether)));
        bytes memory sigs = sign1(t, PK_A);
        (uint256 exitId, uint256 txPos) = includeAndExit(t, sigs);
        vm.prank(carol);
        challenge(exitId, t, sigs, txPos, one(depEth), one(""));
        assertEq(exitOwner(exitId), address(0));
    }

    function test_invalid_inputOutputIndexBeyondFour() public {
        Tx memory t = mkTx(ins1(ethDeposit + 7), outs1(out(carol, ETH, 1 ether)));
        bytes memory sigs = sign1(t, PK_A);
        (uint256 exitId, uint256 txPos) = includeAndExit(t, sigs);
        bytes[] memory empty = one("");
        vm.prank(carol);
        plasma.challengeInvalidTx(exitId, inclusion(enc(t), sigs, txPos), empty, empty, empty);
        assertEq(exitOwner(exitId), address(0));
    }

    function test_invalid_outputsExceedInputs() public {
        Tx memory t = mkTx(ins1(tokenDeposit), outs1(out(carol, address(token), 100 ether + 1)));
        bytes memory sigs = sign1(t, PK_A);
        (uint256 exitId, uint256 txPos) = includeAndExit(t, sigs);
        vm.prank(carol);
        challenge(exitId, t, sigs, txPos, one(depTok), one(""));
        assertEq(exitOwner(exitId), address(0));
    }

    function test_invalid_tokenSwap() public {
        // the amounts match but the token does not
        Tx memory t = mkTx(ins1(tokenDeposit), outs1(out(carol, ETH, 100 ether)));
        bytes memory sigs = sign1(t, PK_A);
        (uint256 exitId, uint256 txPos) = includeAndExit(t, sigs);
        vm.prank(carol);
        challenge(exitId, t, sigs, txPos, one(depTok), one(""));
        assertEq(exitOwner(exitId), address(0));
    }

    function test_invalid_noInputsInAnOperatorBlock() public {
        Tx memory mint = mkTx(ins0(), outs1(out(carol, ETH, 1 ether)));
        (uint256 exitId, uint256 txPos) = includeAndExit(mint, "");
        vm.prank(carol);
        plasma.challengeInvalidTx(exitId, inclusion(enc(mint), "", txPos), noBytes(), noBytes(), noBytes());
        assertEq(exitOwner(exitId), address(0));
    }

    function test_invalid_inputNotOlderThanTheTransaction() public {
        // T at block 2000 index 0 spends T1's... no: spends an output at block 2000 index 1 (created after it)
        Tx memory later = mkTx(ins1(t1Pos + 1), outs1(out(carol, ETH, 3 ether)));
        bytes memory laterSigs = sign1(later, PK_A);
        Tx memory t = mkTx(ins1(pos(2000, 1, 0)), outs1(out(carol, ETH, 3 ether)));
        bytes memory sigs = sign1(t, PK_C);
        uint256 blk = submit2(enc(t), sigs, enc(later), laterSigs);
        assertEq(blk, 2000);
        uint256 exitId = startExit(carol, pos(2000, 0, 0), enc(t), sigs);
        vm.prank(carol);
        challenge(exitId, t, sigs, pos(2000, 0, 0), one(enc(later)), one(laterSigs));
        assertEq(exitOwner(exitId), address(0));
    }

    function test_invalid_twoInputsSpendingOneOutputIncludedTwice() public {
        uint256 againPos = pos(submit1(t1Bytes, t1Sigs), 0, 0); // T1 again in block 2000
        Tx memory t = mkTx(ins2(t1Pos, againPos), outs1(out(bob, ETH, 14 ether)));
        bytes memory sigs = sign2(t, PK_B, PK_B);
        (uint256 exitId, uint256 txPos) = includeAndExit(t, sigs);
        vm.prank(carol);
        challenge(exitId, t, sigs, txPos, two(t1Bytes, t1Bytes), two(t1Sigs, t1Sigs));
        assertEq(exitOwner(exitId), address(0));
    }

    function test_invalid_reverts_validTransaction() public {
        uint256 exitId = startExit(bob, t1Pos, t1Bytes, t1Sigs);
        vm.expectRevert(PlasmaFramework.TransactionValid.selector);
        challenge(exitId, t1Tx(), t1Sigs, t1Pos, one(depEth), one(""));
        // a valid two-input, two-token transaction
        Tx memory t =
            mkTx(ins2(t1Pos + 1, tokenDeposit), outs2(out(carol, ETH, 3 ether), out(carol, address(token), 100 ether)));
        bytes memory sigs = sign2(t, PK_A, PK_A);
        (uint256 exit2, uint256 txPos) = includeAndExit(t, sigs);
        vm.expectRevert(PlasmaFramework.TransactionValid.selector);
        challenge(exit2, t, sigs, txPos, two(t1Bytes, depTok), two(t1Sigs, ""));
        assertEq(exitOwner(exit2), carol);
    }

    function test_invalid_reverts_depositExit() public {
        uint256 exitId = startExit(alice, ethDeposit, depEth, "");
        vm.expectRevert(PlasmaFramework.DepositTransaction.selector);
        plasma.challengeInvalidTx(exitId, inclusion(depEth, "", ethDeposit), noBytes(), noBytes(), noBytes());
    }

    function test_invalid_reverts_badArguments() public {
        uint256 exitId = startExit(bob, t1Pos, t1Bytes, t1Sigs);
        bytes[] memory p = one(proofAt(ethDeposit));
        vm.expectRevert(PlasmaFramework.LengthMismatch.selector);
        plasma.challengeInvalidTx(exitId, inclusion(t1Bytes, t1Sigs, t1Pos), noBytes(), noBytes(), noBytes());
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.InputNotProven.selector, 0));
        plasma.challengeInvalidTx(exitId, inclusion(t1Bytes, t1Sigs, t1Pos), one(depTok), one(""), p);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.InputNotProven.selector, 0));
        plasma.challengeInvalidTx(exitId, inclusion(t1Bytes, t1Sigs, t1Pos), one(""), one(""), p);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.WrongPosition.selector, t1Pos, t1Pos + 10_000));
        plasma.challengeInvalidTx(
            exitId, PlasmaFramework.Inclusion(t1Bytes, t1Sigs, t1Pos + 10_000, proofAt(t1Pos)), one(depEth), one(""), p
        );
        vm.expectRevert(PlasmaFramework.NotTheExitingTransaction.selector);
        plasma.challengeInvalidTx(
            exitId, PlasmaFramework.Inclusion(depEth, t1Sigs, t1Pos, proofAt(t1Pos)), one(depEth), one(""), p
        );
        // bad signatures passed as if they were the included ones
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.NotIncluded.selector, t1Pos));
        plasma.challengeInvalidTx(
            exitId,
            PlasmaFramework.Inclusion(t1Bytes, sign1(t1Tx(), PK_C), t1Pos, proofAt(t1Pos)),
            one(depEth),
            one(""),
            p
        );
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.ExitNotFound.selector, 7));
        plasma.challengeInvalidTx(7, inclusion(t1Bytes, t1Sigs, t1Pos), one(depEth), one(""), p);
        assertEq(exitOwner(exitId), bob);
    }
}

/// @notice challengeDoubleSpend.
contract PlasmaChallengeDoubleSpendTest is PlasmaWorld {
    function test_doubleSpend_earlierCompetitor() public {
        // alice also signs T2 (same deposit to carol); the operator includes it in block 2000
        Tx memory t2 = mkTx(ins1(ethDeposit), outs1(out(carol, ETH, 10 ether)));
        bytes memory t2Sigs = sign1(t2, PK_A);
        uint256 t2Pos = pos(submit1(enc(t2), t2Sigs), 0, 0);
        uint256 exitId = startExit(carol, t2Pos, enc(t2), t2Sigs);
        uint256 before = bob.balance;
        vm.expectEmit(address(plasma));
        emit ExitChallenged(exitId, bob, PlasmaFramework.ChallengeKind.DoubleSpend);
        vm.prank(bob);
        plasma.challengeDoubleSpend(exitId, inclusion(enc(t2), t2Sigs, t2Pos), 0, inclusion(t1Bytes, t1Sigs, t1Pos), 0);
        assertEq(bob.balance, before + SE_BOND);
        assertEq(exitOwner(exitId), address(0));
    }

    function test_doubleSpend_sameTransactionIncludedTwice() public {
        uint256 againPos = pos(submit1(t1Bytes, t1Sigs), 0, 0);
        uint256 exitId = startExit(bob, againPos, t1Bytes, t1Sigs);
        vm.prank(carol);
        plasma.challengeDoubleSpend(
            exitId, inclusion(t1Bytes, t1Sigs, againPos), 0, inclusion(t1Bytes, t1Sigs, t1Pos), 0
        );
        assertEq(exitOwner(exitId), address(0));
        // the earlier position exits the same output id fine
        startExit(bob, t1Pos, t1Bytes, t1Sigs);
    }

    function test_doubleSpend_reverts() public {
        Tx memory t2 = mkTx(ins1(ethDeposit), outs1(out(carol, ETH, 10 ether)));
        bytes memory t2Sigs = sign1(t2, PK_A);
        uint256 t2Pos = pos(submit1(enc(t2), t2Sigs), 0, 0);
        uint256 exitId = startExit(carol, t2Pos, enc(t2), t2Sigs);
        PlasmaFramework.Inclusion memory exiting = inclusion(enc(t2), t2Sigs, t2Pos);
        PlasmaFramework.Inclusion memory comp = inclusion(t1Bytes, t1Sigs, t1Pos);
        // T1 is older than T2, not the other way round
        uint256 t1Exit = startExit(bob, t1Pos, t1Bytes, t1Sigs);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.CompetitorNotOlder.selector, t2Pos, t1Pos));
        plasma.challengeDoubleSpend(t1Exit, comp, 0, exiting, 0);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.InputIndexOutOfRange.selector, 1, 1));
        plasma.challengeDoubleSpend(exitId, exiting, 1, comp, 0);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.InputIndexOutOfRange.selector, 1, 1));
        plasma.challengeDoubleSpend(exitId, exiting, 0, comp, 1);
        // a competitor that spends something else
        Tx memory other = mkTx(ins1(tokenDeposit), outs1(out(bob, address(token), 100 ether)));
        bytes memory otherSigs = sign1(other, PK_A);
        uint256 otherPos = pos(submit1(enc(other), otherSigs), 0, 0); // block 3000: not older either
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.CompetitorNotOlder.selector, otherPos, t2Pos));
        plasma.challengeDoubleSpend(exitId, exiting, 0, inclusion(enc(other), otherSigs, otherPos), 0);
        // a competitor signed by another key (carol forges a spend, "included" in block 1000? not there)
        Tx memory forged = mkTx(ins1(ethDeposit), outs1(out(carol, ETH, 10 ether)));
        forged.metadata = bytes32(uint256(1));
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.BadSignature.selector, alice));
        plasma.challengeDoubleSpend(exitId, exiting, 0, inclusion(enc(forged), sign1(forged, PK_C), t1Pos), 0);
        // a correctly signed competitor that is not included there
        bytes memory forgedSigs = sign1(forged, PK_A);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.NotIncluded.selector, t1Pos));
        plasma.challengeDoubleSpend(exitId, exiting, 0, inclusion(enc(forged), forgedSigs, t1Pos), 0);
        // a competitor position with an output index
        comp.position = t1Pos + 1;
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.InvalidPosition.selector, t1Pos + 1));
        plasma.challengeDoubleSpend(exitId, exiting, 0, comp, 0);
        assertEq(exitOwner(exitId), carol, "nothing changed");
    }
}

/// @notice processExits, solvency, payouts and credits.
contract PlasmaProcessTest is PlasmaWorld {
    function test_process_paysOldestFirstAfterExitableAt() public {
        uint256 bobExit = startExit(bob, t1Pos, t1Bytes, t1Sigs); // T0 + 2EP
        uint256 aliceExit = startExit(alice, tokenDeposit, depTok, ""); // T0 + EP
        assertEq(plasma.queueTop(), aliceExit);
        assertEq(plasma.processExits(10), 0, "nothing is due");
        vm.warp(T0 + EP);
        uint256 tokBefore = token.balanceOf(alice);
        uint256 ethBefore = alice.balance;
        vm.expectEmit(address(plasma));
        emit ExitFinalized(aliceExit, outputId(depTok, 0), alice, address(token), 100 ether);
        assertEq(plasma.processExits(10), 1);
        assertEq(token.balanceOf(alice), tokBefore + 100 ether);
        assertEq(alice.balance, ethBefore + SE_BOND, "bond back");
        assertEq(plasma.paid(address(token)), 100 ether);
        assertEq(plasma.queueTop(), bobExit);
        vm.warp(T0 + 2 * EP);
        uint256 bobBefore = bob.balance;
        assertEq(plasma.processExits(10), 1);
        assertEq(bob.balance, bobBefore + 7 ether + SE_BOND);
        assertEq(plasma.paid(ETH), 7 ether);
        assertEq(plasma.queueSize(), 0);
        assertEq(plasma.queueTop(), 0);
        assertTrue(plasma.isOutputPaid(outputId(t1Bytes, 0)));
        assertEq(plasma.processExits(10), 0, "empty queue");
    }

    function test_process_respectsMax() public {
        startExit(alice, tokenDeposit, depTok, "");
        startExit(alice, ethDeposit, depEth, "");
        vm.warp(T0 + EP);
        assertEq(plasma.processExits(1), 1);
        assertEq(plasma.queueSize(), 1);
        assertEq(plasma.processExits(0), 0);
        assertEq(plasma.processExits(1), 1);
    }

    function test_process_samePeriodOrderedByPosition() public {
        uint256 late = startExit(alice, tokenDeposit, depTok, "");
        uint256 early = startExit(alice, ethDeposit, depEth, "");
        assertEq(late >> 192, early >> 192);
        assertTrue(early < late, "the older output first");
        assertEq(plasma.queueTop(), early);
    }

    function test_process_unfundedIsSkipped() public {
        // an unchallenged mint in an operator block of more than was deposited
        Tx memory mint = mkTx(ins0(), outs1(out(carol, ETH, 11 ether)));
        uint256 p = pos(submit1(enc(mint), ""), 0, 0);
        uint256 exitId = startExit(carol, p, enc(mint), "");
        vm.warp(T0 + 2 * EP);
        uint256 before = carol.balance;
        vm.expectEmit(address(plasma));
        emit ExitUnfunded(exitId, outputId(enc(mint), 0), ETH, 11 ether);
        plasma.processExits(1);
        assertEq(carol.balance, before + SE_BOND, "bond back, nothing paid");
        assertEq(plasma.paid(ETH), 0);
        assertFalse(plasma.isOutputPaid(outputId(enc(mint), 0)));
    }

    function test_process_fundedUpToDeposits() public {
        // a mint of exactly what is deposited is paid while it is funded, and the honest exit after it is not
        Tx memory mint = mkTx(ins0(), outs1(out(carol, ETH, 10 ether)));
        uint256 p = pos(submit1(enc(mint), ""), 0, 0);
        vm.warp(T0 + 1);
        uint256 mintExit = startExit(carol, p, enc(mint), "");
        uint256 bobExit = startExit(bob, t1Pos, t1Bytes, t1Sigs);
        vm.warp(T0 + 3 * EP);
        assertTrue(bobExit < mintExit, "older first");
        vm.expectEmit(address(plasma));
        emit ExitFinalized(bobExit, outputId(t1Bytes, 0), bob, ETH, 7 ether);
        vm.expectEmit(address(plasma));
        emit ExitUnfunded(mintExit, outputId(enc(mint), 0), ETH, 10 ether);
        plasma.processExits(2);
        assertEq(plasma.paid(ETH), 7 ether);
    }

    function test_process_failedPushIsCredited() public {
        TogglingReceiver r = new TogglingReceiver();
        vm.etch(bob, address(r).code);
        TogglingReceiver(payable(bob)).setReject(true);
        startExit(bob, t1Pos, t1Bytes, t1Sigs);
        vm.warp(T0 + 2 * EP);
        vm.expectEmit(address(plasma));
        emit PayoutCredited(ETH, bob, 7 ether);
        plasma.processExits(1);
        assertEq(plasma.withdrawable(ETH, bob), 7 ether + SE_BOND);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.EthTransferFailed.selector, bob, 7 ether + SE_BOND));
        vm.prank(bob);
        plasma.withdraw(ETH);
        TogglingReceiver(payable(bob)).setReject(false);
        uint256 before = bob.balance;
        vm.expectEmit(address(plasma));
        emit Withdrawn(ETH, bob, 7 ether + SE_BOND);
        vm.prank(bob);
        plasma.withdraw(ETH);
        assertEq(bob.balance, before + 7 ether + SE_BOND);
        vm.expectRevert(abi.encodeWithSelector(PlasmaFramework.NothingToWithdraw.selector, ETH, bob));
        vm.prank(bob);
        plasma.withdraw(ETH);
    }

    function test_process_gasBurningRecipientCannotStallTheQueue() public {
        GasBurner burner = new GasBurner();
        vm.etch(bob, address(burner).code);
        startExit(bob, t1Pos, t1Bytes, t1Sigs);
        startExit(alice, t1Pos + 1, t1Bytes, t1Sigs);
        vm.warp(T0 + 2 * EP);
        assertEq(plasma.processExits(2), 2);
        assertEq(plasma.withdrawable(ETH, bob), 7 ether + SE_BOND);
        assertEq(plasma.paid(ETH), 10 ether);
    }

    function test_process_blockedTokenRecipientIsCredited() public {
        PlasmaFramework p2 = plasma;
        BlockToken blk = new BlockToken();
        blk.approve(address(p2), type(uint256).max);
        uint256 b = p2.depositToken(alice, address(blk), 5 ether);
        bytes memory dep = depositBytes(b, alice, address(blk), 5 ether);
        leavesOf[b].push(leafOf(dep, ""));
        startExit(alice, pos(b, 0, 0), dep, "");
        blk.setBlocked(alice, true);
        vm.warp(T0 + EP);
        vm.expectEmit(address(plasma));
        emit PayoutCredited(address(blk), alice, 5 ether);
        plasma.processExits(1);
        assertEq(plasma.withdrawable(address(blk), alice), 5 ether);
        blk.setBlocked(alice, false);
        vm.prank(alice);
        plasma.withdraw(address(blk));
        assertEq(blk.balanceOf(alice), 5 ether);
    }

    function test_queue_popOnEmptyReverts() public {
        Harness h = new Harness();
        vm.expectRevert(PriorityQueue.QueueEmpty.selector);
        h.pop();
    }
}

/// @notice Exposes the heap for its own tests.
contract Harness {
    using PriorityQueue for PriorityQueue.Heap;

    PriorityQueue.Heap internal heap;

    function push(uint256 key) external {
        heap.push(key);
    }

    function pop() external returns (uint256) {
        return heap.pop();
    }

    function size() external view returns (uint256) {
        return heap.size;
    }
}

/// @notice The heap pops every key in ascending order, whatever the insertion order.
contract PriorityQueueTest is PlasmaFixture {
    function testFuzz_heapSorts(uint256 seed, uint8 n) public {
        Harness h = new Harness();
        uint256 count = bound(n, 1, 64);
        for (uint256 i = 0; i < count; i++) {
            h.push(uint256(keccak256(abi.encode(seed, i))) % 1000);
            if (i % 5 == 4) h.pop(); // interleaved pops reuse the stale slots
        }
        uint256 prev = 0;
        while (h.size() > 0) {
            uint256 k = h.pop();
            assertLe(prev, k, "ascending");
            prev = k;
        }
    }
}
// forge-lint: disable-end(unsafe-typecast)
