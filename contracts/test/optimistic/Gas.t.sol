// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {DevToken} from "../../src/common/DevToken.sol";
import {Portal} from "../../src/optimistic/Portal.sol";
import {StateCommitment} from "../../src/optimistic/StateCommitment.sol";
import {OptimisticFixture} from "./Fixture.sol";

/// @notice Gas of each typical call, measured alone in its own test so storage starts cold as in a real transaction
///         (`forge test --match-contract GasTest -vv`). Figures are execution gas of the call including the ~2.6k
///         cold-account overhead of calling from the test, excluding the transaction's 21,000 and calldata cost.
///         Needed because `forge test --gas-report` runs calls in isolation, where `vm.blobhashes` does not reach the
///         isolated transaction (foundry-rs/foundry#7277), so blob batches cannot appear in that report.
contract GasTest is OptimisticFixture {
    DevToken internal newToken;
    Portal.Withdrawal[] internal ws;
    bytes32[32] internal proof0;
    bytes32[32] internal proof1;
    uint256 internal proposal;

    function setUp() public override {
        super.setUp();
        vm.startPrank(alice);
        portal.depositETH{value: 10 ether}(alice);
        token.approve(address(portal), type(uint256).max);
        portal.depositERC20{value: portal.tokenRegistrationFee(address(token))}(address(token), alice, 100 ether);
        address[] memory holders = new address[](1);
        holders[0] = alice;
        newToken = new DevToken("New", "NEW", 18, holders, 1 ether);
        newToken.approve(address(portal), type(uint256).max);
        vm.stopPrank();

        ws.push(ethWithdrawal(0, bob, 1 ether));
        ws.push(Portal.Withdrawal({index: 1, sender: alice, recipient: bob, l1Token: address(token), amount: 5 ether}));
        Portal.Withdrawal[] memory list = ws;
        proof0 = proofOf(list, 0);
        proof1 = proofOf(list, 1);
        proposal = proposeWithdrawals(list);
        appendCalldataBatch();
        passWindow();
    }

    /// @dev Blob hashes are per transaction, so each blob test sets them itself.
    function setBlobHashes() private {
        bytes32[] memory hashes = new bytes32[](6);
        for (uint256 i = 0; i < 6; i++) {
            hashes[i] = bytes32((uint256(1) << 248) | i);
        }
        vm.blobhashes(hashes);
    }

    function report(string memory label, uint256 before) private {
        emit log_named_uint(label, before - gasleft());
    }

    function test_gas_depositETH() public {
        vm.prank(alice);
        uint256 g = gasleft();
        portal.depositETH{value: 1 ether}(bob);
        report("depositETH", g);
    }

    function test_gas_depositERC20() public {
        uint256 registrationFee0 = portal.tokenRegistrationFee(address(token));
        vm.prank(alice);
        uint256 g = gasleft();
        portal.depositERC20{value: registrationFee0}(address(token), bob, 1 ether);
        report("depositERC20", g);
    }

    function test_gas_depositERC20RegisteringTheToken() public {
        uint256 registrationFee1 = portal.tokenRegistrationFee(address(newToken));
        vm.prank(alice);
        uint256 g = gasleft();
        portal.depositERC20{value: registrationFee1}(address(newToken), bob, 1 ether);
        report("depositERC20 (first deposit of a token)", g);
    }

    function test_gas_appendBatchOneBlob() public {
        setBlobHashes();
        vm.prank(batcher);
        uint256 g = gasleft();
        rollup.appendBatch(10, 10, 2, 1);
        report("appendBatch (1 blob)", g);
    }

    function test_gas_appendBatchSixBlobs() public {
        setBlobHashes();
        vm.prank(batcher);
        uint256 g = gasleft();
        rollup.appendBatch(10, 10, 2, 6);
        report("appendBatch (6 blobs)", g);
    }

    function test_gas_appendBatchCalldata() public {
        bytes memory data = new bytes(1024);
        vm.prank(batcher);
        uint256 g = gasleft();
        rollup.appendBatchCalldata(10, 10, 2, data);
        report("appendBatchCalldata (1 KiB, execution only)", g);
    }

    function test_gas_proposeBlobTrace() public {
        setBlobHashes();
        StateCommitment.StateHeader memory end = header(keccak256("next"), keccak256("w"), 20);
        bytes32 dataHash = rollup.getBatch(1).dataHash;
        vm.prank(proposer);
        uint256 g = gasleft();
        rollup.propose{value: BOND}(1, dataHash, end, 500, 1);
        report("propose (blob trace, 1 blob)", g);
    }

    function test_gas_proposeCalldataTrace() public {
        StateCommitment.StateHeader memory end = header(keccak256("next"), keccak256("w"), 20);
        bytes32 dataHash = rollup.getBatch(1).dataHash;
        bytes memory trace = new bytes(32 * 101);
        bytes32 first = rollup.getProposal(proposal).commitment;
        bytes32 last = commitment(end);
        assembly ("memory-safe") {
            mstore(add(trace, 0x20), first)
            mstore(add(trace, add(0x20, mul(32, 100))), last)
        }
        vm.prank(proposer);
        uint256 g = gasleft();
        rollup.proposeCalldata{value: BOND}(1, dataHash, end, trace);
        report("proposeCalldata (100 steps, execution only)", g);
    }

    function test_gas_finalizeWithdrawalETH() public {
        Portal.Withdrawal memory w = ws[0];
        bytes32[32] memory proof = proof0;
        uint256 g = gasleft();
        portal.finalizeWithdrawal(proposal, w, ACCOUNTS_ROOT, proof);
        report("finalizeWithdrawal (ETH)", g);
    }

    function test_gas_finalizeWithdrawalERC20() public {
        Portal.Withdrawal memory w = ws[1];
        bytes32[32] memory proof = proof1;
        uint256 g = gasleft();
        portal.finalizeWithdrawal(proposal, w, ACCOUNTS_ROOT, proof);
        report("finalizeWithdrawal (ERC-20)", g);
    }

    function test_gas_claimBond() public {
        uint256 g = gasleft();
        rollup.claimBond(proposal);
        report("claimBond", g);
    }
}
