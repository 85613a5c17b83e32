// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {DevToken} from "../../src/common/DevToken.sol";
import {Portal} from "../../src/optimistic/Portal.sol";
import {MerkleTree} from "../utils/MerkleTree.sol";
import {FeeOnTransferToken, MockRollup} from "../utils/Mocks.sol";
import {Test} from "../utils/Test.sol";

/// @notice Drives the portal with random deposits and with withdrawals "proven" against state roots that a
///         malicious rollup finalizes at will (including replays and amounts above what was deposited).
contract PortalHandler is Test {
    Portal public immutable portal;
    MockRollup public immutable rollup;
    DevToken public immutable token;
    FeeOnTransferToken public immutable feeToken;
    bytes32 internal constant ACCOUNTS_ROOT = keccak256("accounts");

    address[3] internal users = [address(0x1111), address(0x2222), address(0x3333)];
    uint256 public nextWithdrawalIndex;
    uint256 public nextProposal;
    Portal.Withdrawal[] internal paid;
    mapping(address l1Token => uint256) public ghostPaid;

    constructor(Portal portal_, MockRollup rollup_, DevToken token_, FeeOnTransferToken feeToken_) {
        portal = portal_;
        rollup = rollup_;
        token = token_;
        feeToken = feeToken_;
    }

    function depositETH(uint256 userSeed, uint256 amount) external {
        address user = users[userSeed % 3];
        amount = bound(amount, 1, 100 ether);
        vm.deal(user, amount);
        vm.prank(user);
        portal.depositETH{value: amount}(user);
    }

    function depositToken(uint256 userSeed, uint256 amount, bool withFee) external {
        address user = users[userSeed % 3];
        amount = bound(amount, 1, 1_000_000 ether);
        address l1Token = withFee ? address(feeToken) : address(token);
        if (withFee) feeToken.mint(user, amount);
        else assertTrue(token.transfer(user, amount), "funding transfer");
        vm.startPrank(user);
        DevToken(l1Token).approve(address(portal), amount);
        if (withFee && amount * feeToken.feeBps() / 10_000 == amount) vm.expectRevert(Portal.ZeroAmount.selector);
        portal.depositERC20(l1Token, user, amount);
        vm.stopPrank();
    }

    /// A "finalized" state containing one withdrawal of any amount: pays only if deposits cover it.
    function withdraw(uint256 userSeed, uint256 tokenSeed, uint256 amount) external {
        address l1Token = [address(0), address(token), address(feeToken)][tokenSeed % 3];
        uint256 available = portal.totalDeposited(l1Token) - portal.totalWithdrawn(l1Token);
        amount = bound(amount, 0, available * 2 + 1);
        Portal.Withdrawal memory w = Portal.Withdrawal({
            index: nextWithdrawalIndex++,
            sender: users[userSeed % 3],
            recipient: users[(userSeed % 3 + 1) % 3],
            l1Token: l1Token,
            amount: amount
        });
        (uint256 proposal, bytes32[32] memory siblings) = finalize(w);
        bool registered = l1Token == address(0) || portal.tokenIndexOf(l1Token) != 0;
        if (!registered) {
            vm.expectRevert(abi.encodeWithSelector(Portal.UnknownToken.selector, l1Token));
        } else if (amount > available) {
            vm.expectRevert(
                abi.encodeWithSelector(Portal.WithdrawalExceedsDeposits.selector, l1Token, amount, available)
            );
        }
        portal.finalizeWithdrawal(proposal, w, ACCOUNTS_ROOT, siblings);
        if (registered && amount <= available) {
            paid.push(w);
            ghostPaid[l1Token] += amount;
        }
    }

    /// Replays an already paid withdrawal against a fresh finalized root: always refused.
    function replay(uint256 seed) external {
        if (paid.length == 0) return;
        Portal.Withdrawal memory w = paid[seed % paid.length];
        (uint256 proposal, bytes32[32] memory siblings) = finalize(w);
        vm.expectRevert(abi.encodeWithSelector(Portal.WithdrawalAlreadyFinalized.selector, keccak256(abi.encode(w))));
        portal.finalizeWithdrawal(proposal, w, ACCOUNTS_ROOT, siblings);
    }

    function finalize(Portal.Withdrawal memory w) internal returns (uint256 proposal, bytes32[32] memory siblings) {
        uint256[] memory indices = MerkleTree.one(w.index);
        bytes32[] memory leaves = MerkleTree.one(keccak256(abi.encode(w)));
        siblings = MerkleTree.proof32(w.index, indices, leaves);
        proposal = nextProposal++;
        rollup.setFinalizedStateRoot(
            proposal, keccak256(abi.encodePacked(ACCOUNTS_ROOT, MerkleTree.root(32, indices, leaves)))
        );
    }
}

/// forge-config: default.invariant.fail-on-revert = true
contract PortalSolvencyTest is Test {
    Portal internal portal;
    PortalHandler internal handler;
    DevToken internal token;
    FeeOnTransferToken internal feeToken;

    function setUp() public {
        portal = new Portal();
        MockRollup rollup = new MockRollup();
        portal.initialize(address(rollup));
        address[] memory holders = new address[](1);
        holders[0] = address(this);
        token = new DevToken("Dev", "DEV", 18, holders, type(uint128).max);
        feeToken = new FeeOnTransferToken(250);
        handler = new PortalHandler(portal, rollup, token, feeToken);
        assertTrue(token.transfer(address(handler), type(uint128).max), "funding transfer");
        targetContract(address(handler));
    }

    /// What the portal holds always equals deposits minus withdrawals, per token, and withdrawals never exceed
    /// deposits.
    function invariant_portalNeverPaysOutMoreThanWasDeposited() public view {
        assertLe(portal.totalWithdrawn(address(0)), portal.totalDeposited(address(0)), "ETH");
        assertEq(address(portal).balance, portal.totalDeposited(address(0)) - portal.totalWithdrawn(address(0)));
        address[2] memory tokens = [address(token), address(feeToken)];
        for (uint256 i = 0; i < 2; i++) {
            address t = tokens[i];
            assertLe(portal.totalWithdrawn(t), portal.totalDeposited(t), "token");
            assertEq(DevToken(t).balanceOf(address(portal)), portal.totalDeposited(t) - portal.totalWithdrawn(t));
        }
    }

    /// The portal's own totals agree with what the handler saw paid.
    function invariant_withdrawnTotalsMatchPayments() public view {
        assertEq(portal.totalWithdrawn(address(0)), handler.ghostPaid(address(0)));
        assertEq(portal.totalWithdrawn(address(token)), handler.ghostPaid(address(token)));
        assertEq(portal.totalWithdrawn(address(feeToken)), handler.ghostPaid(address(feeToken)));
    }
}
