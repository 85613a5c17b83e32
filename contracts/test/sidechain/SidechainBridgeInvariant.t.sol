// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {DevToken} from "../../src/common/DevToken.sol";
import {SidechainBridge} from "../../src/sidechain/SidechainBridge.sol";
import {Test} from "../utils/Test.sol";
import {BridgeFixture, GasBurnerRecipient, ToggleRecipient, WithdrawalTree} from "./SidechainBridgeFixture.sol";

// forge-lint: disable-start(unsafe-typecast) test values are bounded where they are made

/// @notice Drives one bridge (four equal validators in a real StakeManager) through random deposits of ETH and the
///         dev token, quorum-signed checkpoints holding arbitrary withdrawals (unfunded ones, repeats of earlier
///         leaves, recipients that refuse ETH or burn gas), minority submissions, finalizations with their expected
///         outcome predicted from a model, replays, bad proofs, and claims. Any outcome that differs from the model
///         is counted in `surprises`.
contract BridgeHandler is BridgeFixture {
    struct Entry {
        SidechainBridge.Withdrawal w;
        uint256 checkpoint;
        uint256 index;
    }

    ToggleRecipient public toggle;
    GasBurnerRecipient public burner;
    Entry[] internal entries;
    bytes32[][] internal trees;
    uint256 internal nextId;

    // the model
    mapping(bytes32 leaf => bool) internal paidLeaf;
    uint256[2] public ghostDeposited; // 0: ETH, 1: token
    uint256[2] public ghostPaid;
    uint256 public ghostCredits;

    // what happened
    uint256 public surprises;
    uint256 public deposits;
    uint256 public checkpoints;
    uint256 public minorityRefused;
    uint256 public finalized;
    uint256 public credited;
    uint256 public insolventRefused;
    uint256 public replaysRefused;
    uint256 public badProofsRefused;
    uint256 public claims;

    constructor() {
        setUp();
        stakeValidators(4, 10 ether);
        toggle = new ToggleRecipient();
        burner = new GasBurnerRecipient();
    }

    /// @dev Once only: the invariant runner may call any public function of the handler.
    function setUp() public override {
        if (address(bridge) != address(0)) return;
        super.setUp();
    }

    function bridgeAddress() external view returns (address) {
        return address(bridge);
    }

    function tokenAddress() external view returns (address) {
        return address(token);
    }

    function entryCount() external view returns (uint256) {
        return entries.length;
    }

    function slot(address tok) internal pure returns (uint256) {
        return tok == address(0) ? 0 : 1;
    }

    function recipient(uint256 seed) internal view returns (address) {
        uint256 r = seed % 5;
        if (r == 0) return alice;
        if (r == 1) return bob;
        if (r == 2) return address(toggle);
        if (r == 3) return address(burner);
        return address(uint160(uint256(keccak256(abi.encode("fresh", seed))))); // an EOA
    }

    // --------------------------------------------------------------------------------------------- actions

    function depositEth(uint256 actor, uint256 amount) public {
        amount = bound(amount, 1, 100 ether);
        address from = actor % 2 == 0 ? alice : bob;
        vm.deal(from, from.balance + amount);
        vm.prank(from);
        bridge.depositETH{value: amount}(from);
        ghostDeposited[0] += amount;
        deposits++;
    }

    function depositToken(uint256 actor, uint256 amount) public {
        amount = bound(amount, 1, 100 ether);
        address from = actor % 2 == 0 ? alice : bob;
        vm.prank(from);
        bridge.depositERC20(address(token), from, amount);
        ghostDeposited[1] += amount;
        deposits++;
    }

    /// @dev A checkpoint of up to six arbitrary withdrawals (some repeating an earlier leaf), signed by a random
    ///      quorum after a random minority was refused.
    function checkpoint(uint256 seed, uint256 count, uint256 mask) public {
        count = bound(count, 0, 6);
        SidechainBridge.Withdrawal[] memory ws = new SidechainBridge.Withdrawal[](count);
        for (uint256 i = 0; i < count; i++) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            if (entries.length > 0 && r % 7 == 0) {
                ws[i] = entries[r % entries.length].w; // the same withdrawal again
            } else {
                ws[i] = SidechainBridge.Withdrawal({
                    id: nextId++,
                    from: alice,
                    to: recipient(r >> 8),
                    token: (r >> 16) % 2 == 0 ? address(0) : address(token),
                    amount: bound(r >> 32, 1, 60 ether)
                });
            }
        }
        bytes32[] memory leaves = leavesOf(ws);
        SidechainBridge.Checkpoint memory cp = nextCheckpoint(leaves);

        // a minority (one or two of four) is refused
        uint256[] memory minority = new uint256[](1 + (mask & 1));
        for (uint256 i = 0; i < minority.length; i++) {
            minority[i] = validatorKeys[((mask >> 1) + i) % 4];
        }
        try bridge.submitCheckpoint(cp, signCheckpoint(cp, minority)) {
            surprises++;
        } catch (bytes memory err) {
            if (bytes4(err) == SidechainBridge.InsufficientPower.selector) minorityRefused++;
            else surprises++;
        }

        // a quorum: three of four (which three is random) or all four
        uint256 skip = (mask >> 8) % 5; // 4: nobody skipped
        uint256[] memory quorum = new uint256[](skip == 4 ? 4 : 3);
        uint256 o;
        for (uint256 i = 0; i < 4; i++) {
            if (i != skip) quorum[o++] = validatorKeys[i];
        }
        bridge.submitCheckpoint(cp, signCheckpoint(cp, quorum));
        uint256 number = trees.length;
        trees.push(leaves);
        for (uint256 i = 0; i < count; i++) {
            entries.push(Entry({w: ws[i], checkpoint: number, index: i}));
        }
        checkpoints++;
    }

    /// @dev Finalizes an entry; the outcome must be what the model predicts.
    function finalize(uint256 pick) public {
        if (entries.length == 0) return;
        Entry memory e = entries[pick % entries.length];
        bytes32 leaf = leafOf(e.w);
        uint256 t = slot(e.w.token);
        bytes32[] memory proof = WithdrawalTree.proof(trees[e.checkpoint], e.index);
        bool expectReplay = paidLeaf[leaf];
        bool expectInsolvent = !expectReplay && e.w.amount > ghostDeposited[t] - ghostPaid[t];
        uint256 creditsBefore = bridge.totalCredits();
        try bridge.finalizeWithdrawal(e.w, e.checkpoint, e.index, proof) {
            if (expectReplay || expectInsolvent) {
                surprises++;
                return;
            }
            paidLeaf[leaf] = true;
            ghostPaid[t] += e.w.amount;
            finalized++;
            uint256 creditedNow = bridge.totalCredits() - creditsBefore;
            if (creditedNow != 0) {
                bool refuses = e.w.to == address(burner) || (e.w.to == address(toggle) && !toggle.accept());
                if (!refuses || creditedNow != e.w.amount || t != 0) surprises++;
                ghostCredits += creditedNow;
                credited++;
            }
        } catch (bytes memory err) {
            bytes4 sel = bytes4(err);
            if (expectReplay && sel == SidechainBridge.AlreadyFinalized.selector) replaysRefused++;
            else if (expectInsolvent && sel == SidechainBridge.Insolvent.selector) insolventRefused++;
            else surprises++;
        }
    }

    /// @dev A bad proof of an entry (wrong index, a changed sibling, another checkpoint, a changed amount): refused.
    function finalizeBad(uint256 pick, uint256 mode, bytes32 junk) public {
        if (entries.length == 0) return;
        Entry memory e = entries[pick % entries.length];
        bytes32[] memory proof = WithdrawalTree.proof(trees[e.checkpoint], e.index);
        uint256 number = e.checkpoint;
        uint256 index = e.index;
        mode %= 4;
        if (mode == 0) index = index ^ (1 + (uint256(junk) % 7));
        else if (mode == 1) proof[uint256(junk) % 16] = keccak256(abi.encode(junk, proof));
        else if (mode == 2) number = (number + 1 + uint256(junk) % 3) % trees.length;
        else e.w.amount += 1 + uint256(junk) % 1 ether;
        if (keccak256(abi.encode(trees[number])) == keccak256(abi.encode(trees[e.checkpoint])) && mode == 2) return;
        uint256 paidBefore = bridge.paid(address(0)) + bridge.paid(address(token));
        try bridge.finalizeWithdrawal(e.w, number, index, proof) {
            surprises++;
        } catch {
            badProofsRefused++;
        }
        if (bridge.paid(address(0)) + bridge.paid(address(token)) != paidBefore) surprises++;
    }

    function setToggle(bool accept) public {
        toggle.setAccept(accept);
    }

    function claim() public {
        uint256 amount = bridge.credits(address(toggle));
        if (amount == 0 || !toggle.accept()) return;
        toggle.claim(bridge);
        ghostCredits -= amount;
        claims++;
    }
}

/// @notice Solvency and accounting of the bridge under the handler's random operations.
contract SidechainBridgeInvariantTest is Test {
    BridgeHandler internal handler;
    SidechainBridge internal bridge;
    DevToken internal token;

    function setUp() public {
        handler = new BridgeHandler();
        bridge = SidechainBridge(handler.bridgeAddress());
        token = DevToken(handler.tokenAddress());
        targetContract(address(handler));
    }

    /// @dev Per token: paid ≤ deposited, and the bridge holds exactly deposited − paid (ETH: plus unclaimed
    ///      credits, which `paid` already counts); the contract's totals equal the model's; no surprise outcome.
    function invariant_solventAndAccounted() public view {
        for (uint256 t = 0; t < 2; t++) {
            address tok = t == 0 ? address(0) : address(token);
            uint256 dep = bridge.deposited(tok);
            uint256 paid = bridge.paid(tok);
            assertLe(paid, dep, "paid <= deposited");
            assertEq(dep, handler.ghostDeposited(t), "deposited = model");
            assertEq(paid, handler.ghostPaid(t), "paid = model");
        }
        uint256 credits = bridge.totalCredits();
        assertEq(credits, handler.ghostCredits(), "credits = model");
        assertEq(
            credits,
            bridge.credits(address(handler.toggle())) + bridge.credits(address(handler.burner())),
            "only refusing recipients are credited"
        );
        assertEq(
            address(bridge).balance,
            bridge.deposited(address(0)) - bridge.paid(address(0)) + credits,
            "ETH balance = deposited - paid + unclaimed credits"
        );
        assertEq(
            token.balanceOf(address(bridge)),
            bridge.deposited(address(token)) - bridge.paid(address(token)),
            "token balance = deposited - paid"
        );
        assertEq(handler.surprises(), 0, "an outcome differed from the model");
    }

    /// @dev Every path is reachable through the handler (a fixed run, not fuzzed).
    function test_handlerReachesEveryPath() public {
        handler.depositEth(0, 5 ether);
        handler.depositToken(1, 5 ether);
        for (uint256 s = 0; s < 12; s++) {
            handler.checkpoint(s, 6, s * 0x1357);
        }
        for (uint256 p = 0; p < 160; p++) {
            handler.finalize(p * 7);
            if (p % 40 == 0) handler.finalizeBad(p, p, keccak256(abi.encode(p)));
            if (p == 60) handler.depositEth(1, 100 ether);
            if (p == 70) handler.depositToken(0, 100 ether);
            if (p == 80) handler.setToggle(true);
            if (p == 90) handler.claim();
        }
        handler.finalizeBad(1, 1, keccak256("x"));
        handler.finalizeBad(2, 2, keccak256("y"));
        handler.finalizeBad(3, 3, keccak256("z"));
        emit log_named_uint("deposits", handler.deposits());
        emit log_named_uint("checkpoints", handler.checkpoints());
        emit log_named_uint("minority refused", handler.minorityRefused());
        emit log_named_uint("finalized", handler.finalized());
        emit log_named_uint("credited", handler.credited());
        emit log_named_uint("insolvent refused", handler.insolventRefused());
        emit log_named_uint("replays refused", handler.replaysRefused());
        emit log_named_uint("bad proofs refused", handler.badProofsRefused());
        emit log_named_uint("claims", handler.claims());
        assertEq(handler.checkpoints(), 12);
        assertEq(handler.minorityRefused(), 12);
        assertGt(handler.finalized(), 0);
        assertGt(handler.credited(), 0);
        assertGt(handler.insolventRefused(), 0);
        assertGt(handler.replaysRefused(), 0);
        assertGt(handler.badProofsRefused(), 3);
        assertGt(handler.claims(), 0);
        invariant_solventAndAccounted();
    }
}
