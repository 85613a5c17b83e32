// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {DevToken} from "../../src/common/DevToken.sol";
import {PlasmaFramework} from "../../src/plasma/PlasmaFramework.sol";
import {Test} from "../utils/Test.sol";
import {PlasmaFixture} from "./PlasmaFixture.sol";

// forge-lint: disable-start(unsafe-typecast) test values are bounded where they are made

/// @notice Drives one framework through random deposits (ETH and the dev token), transfers included by the
///         operator, exits of unspent and of spent outputs (cheats), thefts included by the operator and exited by a
///         thief, challenges of both, processing, withdrawals and time.
contract PlasmaHandler is PlasmaFixture {
    struct Utxo {
        bytes txBytes;
        bytes sigs;
        uint256 pos;
        uint256 owner; // actor index
        address token;
        uint256 amount;
        bool spent;
        bytes spendTx; // the transaction that spent it, and the owner's signature
        bytes spendSig;
        uint256 spendInput;
        uint256 exitId;
    }

    struct Theft {
        uint256 exitId;
        bytes txBytes;
        bytes sigs;
        uint256 pos;
        uint256 victim; // utxo index
    }

    uint256 internal constant PK_THIEF = 0x7E1F;
    uint256 internal constant PK_D = 0xDA7E;

    struct InFlight {
        bytes txBytes;
        uint256 utxo; // the input
    }

    Utxo[] internal utxos;
    Theft[] internal thefts;
    InFlight[] internal inFlights;
    uint256[4] internal keys;
    address[4] internal actors;
    address internal thief;

    uint256 public deposits;
    uint256 public transfers;
    uint256 public exitsStarted;
    uint256 public spentChallenges;
    uint256 public theftsIncluded;
    uint256 public invalidChallenges;
    uint256 public processedKeys;
    uint256 public withdrawals;
    uint256 public inFlightStarted;
    uint256 public nonCanonicalChallenges;

    constructor() {
        setUp();
        keys = [PK_A, PK_B, PK_C, PK_D];
        actors = [alice, bob, carol, vm.addr(PK_D)];
        thief = vm.addr(PK_THIEF);
    }

    /// @dev Once only: the invariant runner may call any public function of the handler.
    function setUp() public override {
        if (address(plasma) != address(0)) return;
        super.setUp();
    }

    function utxoCount() external view returns (uint256) {
        return utxos.length;
    }

    function plasmaAddress() external view returns (address) {
        return address(plasma);
    }

    function tokenAddress() external view returns (address) {
        return address(token);
    }

    // ------------------------------------------------------------------------------------------ actions

    function deposit(uint256 actorSeed, uint256 amount, bool erc20) external {
        if (plasma.nextDepositBlock() + 1 >= plasma.nextChildBlock()) return;
        uint256 who = actorSeed % 3; // the token holders
        amount = bound(amount, 1, 5 ether);
        uint256 b = erc20 ? depositTokenFor(actors[who], amount) : depositEthFor(actors[who], amount);
        address tok = erc20 ? address(token) : ETH;
        _push(depositBytes(b, actors[who], tok, amount), "", pos(b, 0, 0), who, tok, amount);
        deposits++;
    }

    function transfer(uint256 seed, uint256 split) external {
        (bool found, uint256 i) = _pick(seed, false);
        if (!found) return;
        Utxo storage u = utxos[i];
        uint256 to = (u.owner + 1 + seed % 3) % 4;
        uint256 a = bound(split, 1, u.amount);
        Tx memory t = a == u.amount
            ? mkTx(ins1(u.pos), outs1(out(actors[to], u.token, a)))
            : mkTx(ins1(u.pos), outs2(out(actors[to], u.token, a), out(actors[u.owner], u.token, u.amount - a)));
        t.metadata = bytes32(seed);
        bytes memory b = enc(t);
        bytes memory sigs = sign1(t, keys[u.owner]);
        uint256 p = pos(submit1(b, sigs), 0, 0);
        u.spent = true;
        u.spendTx = b;
        u.spendSig = sigs;
        u.spendInput = 0;
        (uint256 owner, address tok, uint256 amount) = (u.owner, u.token, u.amount);
        _push(b, sigs, p, to, tok, a);
        if (a < amount) _push(b, sigs, p + 1, owner, tok, amount - a);
        transfers++;
    }

    /// @dev Exits any output not exited yet, spent (a cheat) or not.
    function startExit(uint256 seed) external {
        if (utxos.length == 0) return;
        uint256 i = seed % utxos.length;
        Utxo storage u = utxos[i];
        if (u.exitId != 0) return;
        address owner = actors[u.owner];
        vm.deal(owner, owner.balance + SE_BOND);
        vm.prank(owner);
        try plasma.startStandardExit{value: SE_BOND}(u.pos, u.txBytes, u.sigs, proofAt(u.pos)) returns (uint256 id) {
            u.exitId = id;
            exitsStarted++;
        } catch {}
    }

    function challengeSpent(uint256 seed) external {
        if (utxos.length == 0) return;
        for (uint256 k = 0; k < utxos.length; k++) {
            Utxo storage u = utxos[(seed + k) % utxos.length];
            if (u.exitId == 0 || !u.spent) continue;
            vm.prank(actors[(seed >> 8) % 4]);
            try plasma.challengeSpent(u.exitId, u.spendTx, u.spendInput, u.spendSig) {
                spentChallenges++;
            } catch {}
            return;
        }
    }

    /// @dev The operator includes a spend of a random output signed by the thief; the thief exits it.
    function theft(uint256 seed) external {
        (bool found, uint256 i) = _pick(seed, false);
        if (!found) return;
        Utxo storage u = utxos[i];
        Tx memory t = mkTx(ins1(u.pos), outs1(out(thief, u.token, u.amount)));
        t.metadata = bytes32(seed);
        bytes memory b = enc(t);
        bytes memory sigs = sign1(t, PK_THIEF);
        uint256 p = pos(submit1(b, sigs), 0, 0);
        vm.deal(thief, thief.balance + SE_BOND);
        vm.prank(thief);
        uint256 id = plasma.startStandardExit{value: SE_BOND}(p, b, sigs, proofAt(p));
        thefts.push(Theft(id, b, sigs, p, i));
        theftsIncluded++;
    }

    function challengeTheft(uint256 seed) external {
        if (thefts.length == 0) return;
        Theft storage th = thefts[seed % thefts.length];
        Utxo storage v = utxos[th.victim];
        vm.prank(actors[(seed >> 8) % 4]);
        try plasma.challengeInvalidTx(
            th.exitId, inclusion(th.txBytes, th.sigs, th.pos), one(v.txBytes), one(v.sigs), one(proofAt(v.pos))
        ) {
            invalidChallenges++;
        } catch {}
    }

    /// @dev The owner of an unspent output signs a spend of it that is never included and exits it in flight.
    function inFlight(uint256 seed) external {
        (bool found, uint256 i) = _pick(seed, false);
        if (!found) return;
        Utxo storage u = utxos[i];
        Tx memory t = mkTx(ins1(u.pos), outs1(out(actors[(u.owner + 1) % 4], u.token, u.amount)));
        t.metadata = bytes32(seed);
        bytes memory b = enc(t);
        bytes memory sigs = sign1(t, keys[u.owner]);
        address owner = actors[u.owner];
        vm.deal(owner, owner.balance + IFE_BOND);
        vm.prank(owner);
        try plasma.startInFlightExit{value: IFE_BOND}(b, sigs, one(u.txBytes), one(u.sigs), one(proofAt(u.pos))) {
            u.spent = true;
            u.spendTx = b;
            u.spendSig = sigs;
            u.spendInput = 0;
            inFlights.push(InFlight(b, i));
            inFlightStarted++;
        } catch {}
    }

    /// @dev The input's owner double-signs a competitor (not included) and makes an in-flight exit non-canonical.
    function challengeInFlight(uint256 seed) external {
        if (inFlights.length == 0) return;
        InFlight storage f = inFlights[seed % inFlights.length];
        Utxo storage u = utxos[f.utxo];
        Tx memory c = mkTx(ins1(u.pos), outs1(out(actors[u.owner], u.token, u.amount)));
        c.metadata = bytes32(~seed);
        bytes memory cs = sign1(c, keys[u.owner]);
        vm.prank(actors[(seed >> 8) % 4]);
        try plasma.challengeNonCanonical(f.txBytes, 0, PlasmaFramework.Inclusion(enc(c), cs, 0, ""), 0) {
            nonCanonicalChallenges++;
        } catch {}
    }

    function process(uint256 max) external {
        processedKeys += plasma.processExits(bound(max, 1, 8));
    }

    function warp(uint256 secs) external {
        vm.warp(block.timestamp + bound(secs, 0, 2 days));
    }

    function withdraw(uint256 actorSeed, bool erc20) external {
        vm.prank(actorSeed % 2 == 0 ? thief : actors[actorSeed % 4]);
        try plasma.withdraw(erc20 ? address(token) : ETH) {
            withdrawals++;
        } catch {}
    }

    // ----------------------------------------------------------------------------------------- helpers

    function _push(bytes memory b, bytes memory sigs, uint256 p, uint256 owner, address tok, uint256 amount) internal {
        Utxo storage u = utxos.push();
        u.txBytes = b;
        u.sigs = sigs;
        u.pos = p;
        u.owner = owner;
        u.token = tok;
        u.amount = amount;
    }

    /// @dev An unspent output (from `seed` on), if any.
    function _pick(uint256 seed, bool) internal view returns (bool, uint256) {
        uint256 n = utxos.length;
        for (uint256 k = 0; k < n; k++) {
            uint256 i = (seed + k) % n;
            if (!utxos[i].spent) return (true, i);
        }
        return (false, 0);
    }
}

/// @notice Solvency: never more paid than deposited per token, and the framework always holds what was deposited
///         and not paid (ETH: plus bonds and credits; the token: plus credits).
contract PlasmaInvariantTest is Test {
    PlasmaHandler internal handler;
    PlasmaFramework internal plasma;
    DevToken internal token;

    function setUp() public {
        handler = new PlasmaHandler();
        plasma = PlasmaFramework(handler.plasmaAddress());
        token = DevToken(handler.tokenAddress());
        targetContract(address(handler));
    }

    function invariant_solvent() public view {
        for (uint256 k = 0; k < 2; k++) {
            address tok = k == 0 ? address(0) : address(token);
            uint256 dep = plasma.deposited(tok);
            uint256 paid = plasma.paid(tok);
            assertLe(paid, dep, "paid <= deposited");
            uint256 bal = k == 0 ? address(plasma).balance : token.balanceOf(address(plasma));
            assertLe(dep - paid, bal, "holds deposited - paid");
        }
    }

    /// @dev Every path is reachable through the handler (a fixed run, not fuzzed).
    function test_handlerReachesEveryPath() public {
        handler.deposit(0, 5 ether, false); // alice ETH
        handler.deposit(1, 3 ether, true); // bob DEV
        handler.deposit(2, 2 ether, false); // carol ETH
        handler.transfer(0, 1 ether); // alice → someone, change back
        handler.startExit(0); // alice exits her spent deposit: a cheat
        handler.challengeSpent(0);
        handler.theft(1); // the thief takes bob's DEV
        handler.challengeTheft(0);
        handler.theft(2);
        handler.startExit(3);
        handler.warp(2 days);
        handler.warp(2 days);
        handler.process(8);
        handler.withdraw(1, false);
        handler.deposit(0, 1 ether, true); // alice DEV
        handler.inFlight(0); // the first unspent output: alice's change from the transfer
        handler.challengeInFlight(0);
        handler.inFlight(0);
        handler.warp(2 days);
        handler.warp(2 days);
        handler.process(8);
        emit log_named_uint("deposits", handler.deposits());
        emit log_named_uint("transfers", handler.transfers());
        emit log_named_uint("exits", handler.exitsStarted());
        emit log_named_uint("spent challenges", handler.spentChallenges());
        emit log_named_uint("thefts", handler.theftsIncluded());
        emit log_named_uint("invalid challenges", handler.invalidChallenges());
        emit log_named_uint("processed", handler.processedKeys());
        emit log_named_uint("in-flight exits", handler.inFlightStarted());
        emit log_named_uint("non-canonical challenges", handler.nonCanonicalChallenges());
        assertEq(handler.deposits(), 4);
        assertEq(handler.transfers(), 1);
        assertEq(handler.spentChallenges(), 1);
        assertEq(handler.theftsIncluded(), 2);
        assertEq(handler.invalidChallenges(), 1);
        assertEq(handler.inFlightStarted(), 2);
        assertEq(handler.nonCanonicalChallenges(), 1);
        assertGt(handler.exitsStarted(), 1);
        assertGt(handler.processedKeys(), 1);
        assertGt(plasma.paid(address(0)), 0);
        invariant_solvent();
    }
}
// forge-lint: disable-end(unsafe-typecast)
