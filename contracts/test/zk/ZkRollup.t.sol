// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {PoseidonT4} from "poseidon-solidity/PoseidonT4.sol";

import {ZkPubdata} from "../../src/zk/ZkPubdata.sol";
import {ZkRollup} from "../../src/zk/ZkRollup.sol";
import {FeeOnTransferToken} from "../utils/Mocks.sol";
import {MockVerifier, ZkFixture, ZkTestLib} from "./ZkFixture.sol";

// forge-lint: disable-start(unsafe-typecast) test values are bounded where they are made

/// @notice Receives ETH only by re-entering the rollup (which must refuse).
contract ReentrantReceiver {
    ZkRollup internal immutable rollup;

    constructor(ZkRollup rollup_) {
        rollup = rollup_;
    }

    receive() external payable {
        rollup.withdrawPendingBalance(address(this), 0);
    }
}

/// @notice Unit tests of ZkRollup on a mock verifier: every entry point, its events and its custom errors.
contract ZkRollupTest is ZkFixture {
    using ZkTestLib for uint80[];

    event PriorityRequest(
        uint64 indexed requestIndex,
        uint8 indexed kind,
        address indexed account,
        uint8 token,
        uint64 amount,
        uint16 accountIndex,
        uint256 pkHash,
        uint256 chainHash,
        uint64 expiry
    );
    event BlockCommitted(
        uint32 indexed blockNumber,
        uint64 priorityOpsBefore,
        uint64 priorityOps,
        bytes32 newRoot,
        bytes32 commitment,
        bytes32 withdrawalsHash
    );
    event BlocksVerified(
        uint32 indexed firstBlock, uint32 indexed lastBlock, bytes32 newRoot, uint64 verifiedPriorityRequests
    );
    event WithdrawalCredited(
        uint32 indexed blockNumber, address indexed recipient, uint8 indexed token, uint256 amount
    );
    event WithdrawalPaid(address indexed owner, uint8 indexed token, uint256 amount);
    event ExodusMode(uint64 indexed requestIndex, uint64 expiry);
    event ExodusWithdrawal(uint16 indexed accountIndex, uint8 indexed token, address indexed owner, uint256 amount);
    event DepositRefunded(uint64 indexed requestIndex, address indexed owner, uint8 indexed token, uint256 amount);

    uint256 internal constant PK = 12345;

    function packed(uint256 kind, uint256 tokenId, uint256 amount, uint256 account, address addr)
        internal
        pure
        returns (uint256)
    {
        return kind | (tokenId << 3) | (amount << 8) | (account << 64) | (uint256(uint160(addr)) << 80);
    }

    function copy(ZkRollup.StoredBlock memory b) internal pure returns (ZkRollup.StoredBlock memory) {
        return ZkRollup.StoredBlock(
            b.blockNumber, b.priorityOpsBefore, b.priorityOps, b.newRoot, b.commitment, b.withdrawalsHash
        );
    }

    // ------------------------------------------------------------------------------------------- construction

    function test_constructor_genesisIsTheEmptyTree() public {
        uint256[] memory z = ZkTestLib.zeros(DEPTH);
        assertEq(rollup.genesisRoot(), bytes32(z[DEPTH]));
        assertEq(rollup.verifiedRoot(), bytes32(z[DEPTH]));
        ZkRollup.StoredBlock memory g = rollup.genesisBlock();
        assertEq(rollup.storedBlockHash(0), keccak256(abi.encode(g)));
        assertEq(rollup.totalBlocksCommitted(), 0);
        assertEq(rollup.depth(), DEPTH);
        assertEq(rollup.chunks(), CHUNKS);
    }

    function test_constructor_rejectsBadParameters() public {
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.InvalidDepth.selector, 0));
        new ZkRollup(verifier, 0, CHUNKS, DEADLINE, operator, governor);
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.InvalidDepth.selector, 17));
        new ZkRollup(verifier, 17, CHUNKS, DEADLINE, operator, governor);
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.InvalidChunkCount.selector, 2));
        new ZkRollup(verifier, DEPTH, 2, DEADLINE, operator, governor);
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.InvalidPriorityDeadline.selector, 0));
        new ZkRollup(verifier, DEPTH, CHUNKS, 0, operator, governor);
        vm.expectRevert(ZkRollup.ZeroAddress.selector);
        new ZkRollup(verifier, DEPTH, CHUNKS, DEADLINE, address(0), governor);
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.NotAContract.selector, alice));
        new ZkRollup(MockVerifier(alice), DEPTH, CHUNKS, DEADLINE, operator, governor);
    }

    // ------------------------------------------------------------------------------------------------ tokens

    function test_registerToken() public view {
        (address t, uint256 unit) = rollup.tokenInfo(1);
        assertEq(t, address(token));
        assertEq(unit, TOKEN_UNIT);
        assertEq(rollup.tokenIdOf(address(token)), 1);
        (t, unit) = rollup.tokenInfo(0);
        assertEq(t, address(0));
        assertEq(unit, 1 gwei);
    }

    function test_registerToken_errors() public {
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.NotGovernor.selector, alice));
        vm.prank(alice);
        rollup.registerToken(address(token), 1);
        vm.startPrank(governor);
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.TokenAlreadyRegistered.selector, address(token)));
        rollup.registerToken(address(token), 1);
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.NotAContract.selector, alice));
        rollup.registerToken(alice, 1);
        FeeOnTransferToken t2 = new FeeOnTransferToken(0);
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.InvalidUnit.selector, 0));
        rollup.registerToken(address(t2), 0);
        rollup.registerToken(address(t2), 1);
        rollup.registerToken(address(new FeeOnTransferToken(0)), 1);
        address t4 = address(new FeeOnTransferToken(0));
        vm.expectRevert(ZkRollup.TooManyTokens.selector);
        rollup.registerToken(t4, 1);
        vm.stopPrank();
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.UnknownToken.selector, t4));
        rollup.tokenIdOf(t4);
    }

    // ----------------------------------------------------------------------------------------------- deposits

    function test_depositETH_queuesTheRequestWithItsChainHash() public {
        uint256 a = packed(1, 0, 2e9, 0, carol);
        uint256 p1 = PoseidonT4.hash([uint256(0), a, PK]);
        vm.expectEmit(address(rollup));
        emit PriorityRequest(0, 1, carol, 0, 2e9, 0, PK, p1, uint64(block.timestamp + DEADLINE));
        vm.prank(alice);
        uint64 index = rollup.depositETH{value: 2 ether}(carol, PK);
        assertEq(index, 0);
        assertEq(rollup.priorityRequest(0), a);
        assertEq(rollup.priorityChain(0), 0);
        assertEq(rollup.priorityChain(1), p1);
        assertEq(rollup.requestExpiry(0), block.timestamp + DEADLINE);
        assertEq(rollup.totalPriorityRequests(), 1);
        assertEq(address(rollup).balance, 2 ether);

        // the chain goes on: p[2] = H(p[1], a_1, pkHash_1); expiries of later requests (packed 4 per slot)
        for (uint256 i = 1; i < 6; i++) {
            vm.warp(block.timestamp + 10);
            vm.prank(bob);
            rollup.depositETH{value: i * 1 gwei}(bob, 0);
            assertEq(rollup.requestExpiry(i), block.timestamp + DEADLINE);
        }
        assertEq(rollup.priorityChain(2), PoseidonT4.hash([p1, packed(1, 0, 1, 0, bob), 0]), "chain is H(p, a, pkHash)");
        assertEq(rollup.requestExpiry(0), 1_700_000_000 + DEADLINE);
    }

    function test_depositETH_errors() public {
        vm.startPrank(alice);
        vm.expectRevert(ZkRollup.ZeroAmount.selector);
        rollup.depositETH{value: 0}(alice, 0);
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.AmountNotMultipleOfUnit.selector, 1 gwei + 1, 1 gwei));
        rollup.depositETH{value: 1 gwei + 1}(alice, 0);
        vm.expectRevert(ZkRollup.ZeroAddress.selector);
        rollup.depositETH{value: 1 ether}(address(0), 0);
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.PkHashNotInField.selector, ZkTestLib.FIELD));
        rollup.depositETH{value: 1 ether}(alice, ZkTestLib.FIELD);
        vm.stopPrank();
        uint256 tooMuch = (uint256(1) << 56) * 1 gwei;
        vm.deal(carol, tooMuch);
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.AmountTooLarge.selector, uint256(1) << 56));
        vm.prank(carol);
        rollup.depositETH{value: tooMuch}(carol, 0);
        vm.prank(carol);
        rollup.depositETH{value: tooMuch - 1 gwei}(carol, 0);
    }

    function test_depositERC20() public {
        vm.prank(alice);
        rollup.depositERC20(address(token), 3 * TOKEN_UNIT, bob, 0);
        assertEq(rollup.priorityRequest(0), packed(1, 1, 3, 0, bob));
        assertEq(token.balanceOf(address(rollup)), 3 * TOKEN_UNIT);
        (uint256 deposited, uint256 paidOut) = rollup.tokenTotals(1);
        assertEq(deposited, 3);
        assertEq(paidOut, 0);
    }

    function test_depositERC20_errors() public {
        vm.startPrank(alice);
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.UnknownToken.selector, carol));
        rollup.depositERC20(carol, 1, alice, 0);
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.AmountNotMultipleOfUnit.selector, TOKEN_UNIT + 1, TOKEN_UNIT));
        rollup.depositERC20(address(token), TOKEN_UNIT + 1, alice, 0);
        vm.stopPrank();
        FeeOnTransferToken fee = new FeeOnTransferToken(100); // 1 %
        vm.prank(governor);
        rollup.registerToken(address(fee), 1);
        fee.mint(alice, 1000);
        vm.startPrank(alice);
        fee.approve(address(rollup), 1000);
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.TokenTransferMismatch.selector, address(fee), 1000, 990));
        rollup.depositERC20(address(fee), 1000, alice, 0);
        vm.stopPrank();
    }

    function test_requestFullExit_and_changePubKey() public {
        vm.prank(alice);
        rollup.requestFullExit(3, 1);
        assertEq(rollup.priorityRequest(0), packed(5, 1, 0, 3, alice));
        assertEq(rollup.priorityChain(1), PoseidonT4.hash([uint256(0), packed(5, 1, 0, 3, alice), 0]));
        vm.prank(bob);
        rollup.changePubKey(7, PK);
        assertEq(rollup.priorityRequest(1), packed(6, 0, 0, 7, bob));
        assertEq(rollup.priorityChain(2), PoseidonT4.hash([rollup.priorityChain(1), packed(6, 0, 0, 7, bob), PK]));

        vm.expectRevert(abi.encodeWithSelector(ZkRollup.AccountIndexOutOfRange.selector, 16));
        rollup.requestFullExit(16, 0);
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.UnknownTokenId.selector, 2));
        rollup.requestFullExit(1, 2);
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.UnknownTokenId.selector, 4));
        rollup.requestFullExit(1, 4);
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.AccountIndexOutOfRange.selector, 16));
        rollup.changePubKey(16, PK);
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.PkHashNotInField.selector, ZkTestLib.FIELD + 1));
        rollup.changePubKey(1, ZkTestLib.FIELD + 1);
    }

    // ------------------------------------------------------------------------------------------------- commit

    function test_commit_transfers() public {
        uint80[] memory cs = new uint80[](CHUNKS);
        for (uint256 i = 0; i < CHUNKS; i++) {
            cs[i] = ZkTestLib.transfer(1, 2, 0, 5, 9);
        }
        bytes memory data = pubdataOf(cs);
        bytes32 commitment = expectedCommitment(rollup.genesisRoot(), root(1), 0, 0, data);
        vm.expectEmit(address(rollup));
        emit BlockCommitted(1, 0, 0, root(1), commitment, keccak256(abi.encode(noWithdrawals())));
        ZkRollup.StoredBlock memory sb = commit(root(1), data);
        assertEq(sb.commitment, commitment);
        assertEq(rollup.totalBlocksCommitted(), 1);
        assertEq(rollup.storedBlockHash(1), keccak256(abi.encode(sb)));
    }

    function test_commit_depositsAndPriorityChain() public {
        vm.prank(alice);
        rollup.depositETH{value: 1 ether}(alice, PK);
        vm.prank(bob);
        rollup.depositERC20(address(token), 5 * TOKEN_UNIT, bob, 0);
        vm.prank(carol);
        rollup.changePubKey(2, PK);
        uint80[] memory cs = new uint80[](3);
        cs[0] = ZkTestLib.deposit(1, 0, 1e9);
        cs[1] = ZkTestLib.deposit(2, 1, 5);
        cs[2] = ZkTestLib.changePubKey(2);
        bytes memory data = pubdataOf(cs);
        ZkRollup.StoredBlock memory sb = commit(root(1), data);
        assertEq(sb.priorityOpsBefore, 0);
        assertEq(sb.priorityOps, 3);
        assertEq(sb.commitment, expectedCommitment(rollup.genesisRoot(), root(1), 0, rollup.priorityChain(3), data));
        assertEq(rollup.committedPriorityRequests(), 3);

        // a second block that consumes nothing: pBefore = pAfter = p[3]
        ZkRollup.StoredBlock memory sb2 = commit(root(2), emptyPubdata());
        assertEq(sb2.priorityOpsBefore, 3);
        uint256 p3 = rollup.priorityChain(3);
        assertEq(sb2.commitment, expectedCommitment(root(1), root(2), p3, p3, emptyPubdata()));
    }

    function test_commit_severalBlocksChainTheirRoots() public {
        vm.prank(alice);
        rollup.depositETH{value: 1 ether}(alice, 0);
        ZkRollup.CommitBlockInput[] memory blocks = new ZkRollup.CommitBlockInput[](3);
        blocks[0] = ZkRollup.CommitBlockInput(root(1), emptyPubdata());
        blocks[1] = ZkRollup.CommitBlockInput(root(2), pubdataOf(chunks1(ZkTestLib.deposit(0, 0, 1e9))));
        blocks[2] = ZkRollup.CommitBlockInput(root(3), emptyPubdata());
        ZkRollup.StoredBlock[] memory sbs = commitMany(blocks);
        uint256 p1 = rollup.priorityChain(1);
        assertEq(sbs[0].commitment, expectedCommitment(rollup.genesisRoot(), root(1), 0, 0, emptyPubdata()));
        assertEq(sbs[1].commitment, expectedCommitment(root(1), root(2), 0, p1, blocks[1].pubdata));
        assertEq(sbs[2].commitment, expectedCommitment(root(2), root(3), p1, p1, emptyPubdata()));
        assertEq(sbs[2].blockNumber, 3);
        assertEq(sbs[2].priorityOpsBefore, 1);
    }

    function test_commit_collectsWithdrawals() public {
        vm.prank(alice);
        rollup.requestFullExit(1, 1);
        vm.prank(bob);
        rollup.requestFullExit(2, 0);
        uint80[] memory cs = new uint80[](CHUNKS);
        cs[0] = ZkTestLib.fullExit(1, 1, 7); // alice gets 7 units of token 1
        cs.threeChunks(1, 4, 3, 0, 1e9, carol); // WITHDRAW 1e9 units of ETH to carol
        cs[4] = ZkTestLib.fullExit(2, 0, 0); // bob is not the owner: nothing
        cs.threeChunks(5, 3, 3, 0, 1, bob); // TRANSFER_TO_NEW: not a withdrawal
        ZkRollup.StoredBlock memory sb = commit(root(1), pubdataOf(cs));
        ZkPubdata.Withdrawal[] memory ws = new ZkPubdata.Withdrawal[](2);
        ws[0] = ZkPubdata.Withdrawal(alice, 1, 7);
        ws[1] = ZkPubdata.Withdrawal(carol, 0, 1e9);
        assertEq(sb.withdrawalsHash, keccak256(abi.encode(ws)));
        assertEq(sb.priorityOps, 2);
    }

    function test_commit_errors() public {
        ZkRollup.CommitBlockInput[] memory blocks = new ZkRollup.CommitBlockInput[](1);
        blocks[0] = ZkRollup.CommitBlockInput(root(1), emptyPubdata());
        ZkRollup.StoredBlock memory genesis = rollup.genesisBlock();

        vm.expectRevert(abi.encodeWithSelector(ZkRollup.NotOperator.selector, alice));
        vm.prank(alice);
        rollup.commitBlocks(genesis, blocks);

        vm.startPrank(operator);
        vm.expectRevert(ZkRollup.NoBlocks.selector);
        rollup.commitBlocks(genesis, new ZkRollup.CommitBlockInput[](0));

        ZkRollup.StoredBlock memory wrong = rollup.genesisBlock();
        wrong.newRoot = root(9);
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.StoredBlockMismatch.selector, 0));
        rollup.commitBlocks(wrong, blocks);
        wrong = rollup.genesisBlock();
        wrong.blockNumber = 1;
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.WrongPreviousBlock.selector, 1, 0));
        rollup.commitBlocks(wrong, blocks);

        blocks[0].pubdata = new bytes(CHUNKS * 10 - 1);
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.PubdataLengthInvalid.selector, CHUNKS * 10 - 1, CHUNKS * 10));
        rollup.commitBlocks(genesis, blocks);

        blocks[0].pubdata = emptyPubdata();
        blocks[0].newRoot = bytes32(ZkTestLib.FIELD);
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.RootNotInField.selector, bytes32(ZkTestLib.FIELD)));
        rollup.commitBlocks(genesis, blocks);
        blocks[0].newRoot = root(1);

        uint80[] memory cs = new uint80[](CHUNKS);
        cs[3] = ZkTestLib.chunk(7, 0, 0, 0);
        blocks[0].pubdata = pubdataOf(cs);
        vm.expectRevert(abi.encodeWithSelector(ZkPubdata.InvalidChunkType.selector, 3, 7));
        rollup.commitBlocks(genesis, blocks);

        cs[3] = 0;
        cs[CHUNKS - 2] = ZkTestLib.chunk(4, 1, 0, 5); // WITHDRAW needs 3 chunks, 2 left
        blocks[0].pubdata = pubdataOf(cs);
        vm.expectRevert(abi.encodeWithSelector(ZkPubdata.TruncatedOperation.selector, CHUNKS - 2));
        rollup.commitBlocks(genesis, blocks);
        cs[CHUNKS - 2] = ZkTestLib.chunk(3, 1, 0, 5); // so does TRANSFER_TO_NEW
        blocks[0].pubdata = pubdataOf(cs);
        vm.expectRevert(abi.encodeWithSelector(ZkPubdata.TruncatedOperation.selector, CHUNKS - 2));
        rollup.commitBlocks(genesis, blocks);

        cs[CHUNKS - 2] = 0;
        cs.threeChunks(0, 4, 1, 4, 5, bob); // token id 4 ≥ TOKENS
        blocks[0].pubdata = pubdataOf(cs);
        vm.expectRevert(abi.encodeWithSelector(ZkPubdata.InvalidWithdrawalToken.selector, 0, 4));
        rollup.commitBlocks(genesis, blocks);

        blocks[0].pubdata = pubdataOf(chunks1(ZkTestLib.deposit(1, 0, 1e9)));
        vm.expectRevert(abi.encodeWithSelector(ZkPubdata.TooManyPriorityOps.selector, 0, 0, 0));
        rollup.commitBlocks(genesis, blocks);
        vm.stopPrank();
    }

    function test_commit_priorityOpMustMatchTheQueue() public {
        vm.prank(alice);
        rollup.depositETH{value: 2 ether}(alice, 0); // request 0: DEPOSIT token 0, 2e9
        vm.prank(alice);
        rollup.requestFullExit(3, 0); // request 1: FULL_EXIT account 3 token 0
        vm.prank(alice);
        rollup.changePubKey(4, PK); // request 2: CHANGE_PUBKEY account 4

        uint80[3][7] memory bad = [
            [ZkTestLib.deposit(1, 0, 1e9), 0, 0], // wrong amount
            [ZkTestLib.deposit(1, 1, 2e9), 0, 0], // wrong token
            [ZkTestLib.fullExit(1, 0, 0), 0, 0], // a full exit where a deposit is next
            [ZkTestLib.deposit(1, 0, 2e9), ZkTestLib.fullExit(2, 0, 0), 0], // wrong account
            [ZkTestLib.deposit(1, 0, 2e9), ZkTestLib.fullExit(3, 1, 0), 0], // wrong token
            [ZkTestLib.deposit(1, 0, 2e9), ZkTestLib.fullExit(3, 0, 0), ZkTestLib.changePubKey(5)], // wrong account
            [ZkTestLib.deposit(1, 0, 2e9), ZkTestLib.fullExit(3, 0, 0), ZkTestLib.chunk(6, 4, 0, 1)] // X must be 0
        ];
        uint256[7] memory failingChunk = [uint256(0), 0, 0, 1, 1, 2, 2];
        for (uint256 k = 0; k < bad.length; k++) {
            uint80[] memory cs = new uint80[](3);
            cs[0] = bad[k][0];
            cs[1] = bad[k][1];
            cs[2] = bad[k][2];
            ZkRollup.CommitBlockInput[] memory blocks = new ZkRollup.CommitBlockInput[](1);
            blocks[0] = ZkRollup.CommitBlockInput(root(1), pubdataOf(cs));
            vm.expectRevert(
                abi.encodeWithSelector(ZkPubdata.PriorityOpMismatch.selector, failingChunk[k], failingChunk[k])
            );
            vm.prank(operator);
            rollup.commitBlocks(lastCommitted, blocks);
        }
        uint80[] memory good = new uint80[](3);
        good[0] = ZkTestLib.deposit(9, 0, 2e9);
        good[1] = ZkTestLib.fullExit(3, 0, 123);
        good[2] = ZkTestLib.changePubKey(4);
        ZkRollup.StoredBlock memory sb = commit(root(1), pubdataOf(good));
        assertEq(sb.priorityOps, 3);
        assertEq(sb.withdrawalsHash, keccak256(abi.encode(oneWithdrawal(alice, 0, 123))));
    }

    function test_commit_atMostRingMinusOneUnverifiedBlocks() public {
        uint256 ring = rollup.BLOCK_RING();
        ZkRollup.CommitBlockInput[] memory blocks = new ZkRollup.CommitBlockInput[](ring - 1);
        for (uint256 i = 0; i < blocks.length; i++) {
            blocks[i] = ZkRollup.CommitBlockInput(root(i), emptyPubdata());
        }
        commitMany(blocks);
        ZkRollup.CommitBlockInput[] memory one = new ZkRollup.CommitBlockInput[](1);
        one[0] = ZkRollup.CommitBlockInput(root(ring), emptyPubdata());
        vm.expectRevert(ZkRollup.TooManyUnverifiedBlocks.selector);
        vm.prank(operator);
        rollup.commitBlocks(lastCommitted, one);
        verifyNext(noWithdrawals());
        commit(root(ring), emptyPubdata()); // block `ring` reuses block 0's slot
        assertEq(rollup.storedBlockHash(ring), keccak256(abi.encode(lastCommitted)));
        assertEq(rollup.storedBlockHash(0), 0, "genesis is no longer revertible to");
    }

    // ------------------------------------------------------------------------------------------------- verify

    function test_verify_creditsWithdrawalsAndPays() public {
        vm.prank(alice);
        rollup.depositETH{value: 3 ether}(alice, PK);
        vm.prank(alice);
        rollup.depositERC20(address(token), 10 * TOKEN_UNIT, alice, 0);
        uint80[] memory cs = new uint80[](CHUNKS);
        cs[0] = ZkTestLib.deposit(1, 0, 3e9);
        cs[1] = ZkTestLib.deposit(1, 1, 10);
        cs.threeChunks(2, 4, 1, 0, 1e9, bob);
        cs.threeChunks(5, 4, 1, 1, 4, carol);
        ZkRollup.StoredBlock memory sb = commit(root(1), pubdataOf(cs));
        ZkPubdata.Withdrawal[] memory ws = new ZkPubdata.Withdrawal[](2);
        ws[0] = ZkPubdata.Withdrawal(bob, 0, 1e9);
        ws[1] = ZkPubdata.Withdrawal(carol, 1, 4);

        vm.expectEmit(address(rollup));
        emit WithdrawalCredited(1, bob, 0, 1 ether);
        vm.expectEmit(address(rollup));
        emit WithdrawalCredited(1, carol, 1, 4 * TOKEN_UNIT);
        vm.expectEmit(address(rollup));
        emit BlocksVerified(1, 1, root(1), 2);
        verifyNext(ws);
        assertEq(rollup.verifiedRoot(), root(1));
        assertEq(rollup.totalBlocksVerified(), 1);
        assertEq(rollup.verifiedPriorityRequests(), 2);
        assertEq(rollup.pendingBalance(bob, 0), 1 ether);
        assertEq(rollup.pendingBalance(carol, 1), 4 * TOKEN_UNIT);
        assertEq(rollup.storedBlockHash(1), keccak256(abi.encode(sb)));

        uint256 before = bob.balance;
        vm.expectEmit(address(rollup));
        emit WithdrawalPaid(bob, 0, 1 ether);
        vm.prank(carol); // anyone may pay it out
        rollup.withdrawPendingBalance(bob, 0);
        assertEq(bob.balance, before + 1 ether);
        rollup.withdrawPendingBalance(carol, 1);
        assertEq(token.balanceOf(carol), 4 * TOKEN_UNIT);
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.NothingToWithdraw.selector, bob, 0));
        rollup.withdrawPendingBalance(bob, 0);
        (uint256 deposited, uint256 paidOut) = rollup.tokenTotals(0);
        assertEq(deposited, 3e9);
        assertEq(paidOut, 1e9);
    }

    function test_verify_fullExitPaysTheRequester() public {
        vm.prank(alice);
        rollup.depositETH{value: 3 ether}(alice, PK);
        commitAndVerify(root(1), pubdataOf(chunks1(ZkTestLib.deposit(1, 0, 3e9))), noWithdrawals());
        vm.prank(alice);
        rollup.requestFullExit(1, 0);
        commitAndVerify(root(2), pubdataOf(chunks1(ZkTestLib.fullExit(1, 0, 3e9))), oneWithdrawal(alice, 0, 3e9));
        assertEq(rollup.pendingBalance(alice, 0), 3 ether);
    }

    function test_verify_severalBlocksAtOnce() public {
        ZkRollup.CommitBlockInput[] memory blocks = new ZkRollup.CommitBlockInput[](3);
        for (uint256 i = 0; i < 3; i++) {
            blocks[i] = ZkRollup.CommitBlockInput(root(i + 1), emptyPubdata());
        }
        ZkRollup.StoredBlock[] memory sbs = commitMany(blocks);
        ZkPubdata.Withdrawal[][] memory ws = new ZkPubdata.Withdrawal[][](3);
        for (uint256 i = 0; i < 3; i++) {
            ws[i] = noWithdrawals();
        }
        vm.expectEmit(address(rollup));
        emit BlocksVerified(1, 3, root(3), 0);
        rollup.verifyBlocks(sbs, new uint256[8][](3), ws);
        assertEq(rollup.totalBlocksVerified(), 3);
        assertEq(rollup.verifiedRoot(), root(3));
    }

    function test_verify_errors() public {
        vm.prank(alice);
        rollup.depositETH{value: 3 ether}(alice, 0);
        uint80[] memory cs = new uint80[](4);
        cs[0] = ZkTestLib.deposit(1, 0, 3e9);
        cs.threeChunks(1, 4, 1, 0, 1e9, bob);
        ZkRollup.StoredBlock memory sb = commit(root(1), pubdataOf(cs));
        ZkRollup.StoredBlock[] memory blocks = new ZkRollup.StoredBlock[](1);
        blocks[0] = sb;
        uint256[8][] memory proofs = new uint256[8][](1);
        ZkPubdata.Withdrawal[][] memory ws = new ZkPubdata.Withdrawal[][](1);
        ws[0] = oneWithdrawal(bob, 0, 1e9);

        vm.expectRevert(ZkRollup.NoBlocks.selector);
        rollup.verifyBlocks(new ZkRollup.StoredBlock[](0), new uint256[8][](0), new ZkPubdata.Withdrawal[][](0));
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.LengthMismatch.selector, 1, 2, 1));
        rollup.verifyBlocks(blocks, new uint256[8][](2), ws);

        ws[0] = oneWithdrawal(bob, 0, 2e9);
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.WithdrawalsMismatch.selector, 1));
        rollup.verifyBlocks(blocks, proofs, ws);
        ws[0] = noWithdrawals();
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.WithdrawalsMismatch.selector, 1));
        rollup.verifyBlocks(blocks, proofs, ws);
        ws[0] = oneWithdrawal(bob, 0, 1e9);

        blocks[0] = copy(sb);
        blocks[0].commitment = bytes32(uint256(sb.commitment) ^ 1);
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.StoredBlockMismatch.selector, 1));
        rollup.verifyBlocks(blocks, proofs, ws);
        blocks[0] = copy(sb);
        blocks[0].blockNumber = 2;
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.UnexpectedBlockNumber.selector, 1, 2));
        rollup.verifyBlocks(blocks, proofs, ws);
        blocks[0] = sb;

        verifier.setResult(false);
        vm.expectRevert(ZkRollup.InvalidProof.selector);
        rollup.verifyBlocks(blocks, proofs, ws);
        verifier.setResult(true);
        rollup.verifyBlocks(blocks, proofs, ws);

        blocks[0] = copy(sb);
        blocks[0].blockNumber = 2;
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.BlockNotCommitted.selector, 2));
        rollup.verifyBlocks(blocks, proofs, ws);
        blocks[0] = sb;
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.UnexpectedBlockNumber.selector, 2, 1));
        rollup.verifyBlocks(blocks, proofs, ws);
    }

    function test_commitAndVerify_oneTransactionCommitsVerifiesAndCredits() public {
        vm.prank(alice);
        rollup.depositETH{value: 3 ether}(alice, PK);
        uint80[] memory cs = new uint80[](CHUNKS);
        cs[0] = ZkTestLib.deposit(1, 0, 3e9);
        cs.threeChunks(1, 4, 1, 0, 1e9, bob);
        ZkRollup.CommitBlockInput[] memory blocks = new ZkRollup.CommitBlockInput[](2);
        blocks[0] = ZkRollup.CommitBlockInput(root(1), pubdataOf(cs));
        blocks[1] = ZkRollup.CommitBlockInput(root(2), emptyPubdata());
        ZkPubdata.Withdrawal[][] memory ws = new ZkPubdata.Withdrawal[][](2);
        ws[0] = oneWithdrawal(bob, 0, 1e9);
        ws[1] = noWithdrawals();

        vm.recordLogs();
        vm.prank(operator);
        rollup.commitAndVerifyBlocks(lastCommitted, blocks, new uint256[8][](2), ws);
        ZkRollup.StoredBlock[] memory sbs = committedBlocks(vm.getRecordedLogs());
        assertEq(sbs.length, 2);
        assertEq(rollup.totalBlocksCommitted(), 2);
        assertEq(rollup.totalBlocksVerified(), 2);
        assertEq(rollup.verifiedPriorityRequests(), 1);
        assertEq(rollup.verifiedRoot(), root(2));
        assertEq(rollup.pendingBalance(bob, 0), 1 ether);
        // only the last block's StoredBlock is stored: no storage slot per block
        assertEq(rollup.storedBlockHash(1), bytes32(0));
        assertEq(rollup.storedBlockHash(2), keccak256(abi.encode(sbs[1])));
        // the separate path goes on from it
        lastCommitted = sbs[1];
        commitAndVerify(root(3), emptyPubdata(), noWithdrawals());
        assertEq(rollup.totalBlocksVerified(), 3);
    }

    function test_commitAndVerify_errorsChangeNothing() public {
        vm.prank(alice);
        rollup.depositETH{value: 3 ether}(alice, 0);
        uint80[] memory cs = new uint80[](4);
        cs[0] = ZkTestLib.deposit(1, 0, 3e9);
        cs.threeChunks(1, 4, 1, 0, 1e9, bob);
        ZkRollup.CommitBlockInput[] memory blocks = new ZkRollup.CommitBlockInput[](1);
        blocks[0] = ZkRollup.CommitBlockInput(root(1), pubdataOf(cs));
        ZkPubdata.Withdrawal[][] memory ws = new ZkPubdata.Withdrawal[][](1);
        ws[0] = oneWithdrawal(bob, 0, 1e9);
        uint256[8][] memory proofs = new uint256[8][](1);
        ZkRollup.StoredBlock memory genesis = lastCommitted;

        vm.expectRevert(abi.encodeWithSelector(ZkRollup.NotOperator.selector, alice));
        vm.prank(alice);
        rollup.commitAndVerifyBlocks(genesis, blocks, proofs, ws);
        vm.startPrank(operator);
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.LengthMismatch.selector, 1, 2, 1));
        rollup.commitAndVerifyBlocks(genesis, blocks, new uint256[8][](2), ws);
        ws[0] = noWithdrawals();
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.WithdrawalsMismatch.selector, 1));
        rollup.commitAndVerifyBlocks(genesis, blocks, proofs, ws);
        ws[0] = oneWithdrawal(bob, 0, 1e9);
        verifier.setResult(false);
        vm.expectRevert(ZkRollup.InvalidProof.selector);
        rollup.commitAndVerifyBlocks(genesis, blocks, proofs, ws);
        vm.stopPrank();
        assertEq(rollup.totalBlocksCommitted(), 0);
        assertEq(rollup.totalBlocksVerified(), 0);
        assertEq(rollup.pendingBalance(bob, 0), 0);
        verifier.setResult(true);

        // committed-but-unverified blocks must be verified first: the combined path never skips them
        commit(root(1), pubdataOf(cs));
        blocks[0] = ZkRollup.CommitBlockInput(root(2), emptyPubdata());
        ws[0] = noWithdrawals();
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.UnverifiedBlocksPending.selector, 1, 0));
        vm.prank(operator);
        rollup.commitAndVerifyBlocks(lastCommitted, blocks, proofs, ws);
    }

    function test_verify_neverCreditsMoreThanWasDeposited() public {
        vm.prank(alice);
        rollup.depositETH{value: 1 ether}(alice, 0);
        uint80[] memory cs = new uint80[](3);
        cs.threeChunks(0, 4, 1, 0, 2e9, bob);
        commit(root(1), pubdataOf(cs));
        // an unsound proof of a block withdrawing twice the deposits
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.PayoutExceedsDeposits.selector, 0, 2e9, 1e9));
        verifyNext(oneWithdrawal(bob, 0, 2e9));
    }

    function test_withdrawPendingBalance_isReentrancySafe() public {
        ReentrantReceiver r = new ReentrantReceiver(rollup);
        vm.prank(alice);
        rollup.depositETH{value: 2 ether}(alice, 0);
        uint80[] memory cs = new uint80[](3);
        cs.threeChunks(0, 4, 1, 0, 1e9, address(r));
        commitAndVerify(root(1), pubdataOf(cs), oneWithdrawal(address(r), 0, 1e9));
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.EthTransferFailed.selector, address(r), 1 ether));
        rollup.withdrawPendingBalance(address(r), 0);
        assertEq(rollup.pendingBalance(address(r), 0), 1 ether);
    }

    // ------------------------------------------------------------------------------------------------- revert

    function test_revertBlocks_restoresTheQueuePointer() public {
        vm.prank(alice);
        rollup.depositETH{value: 1 ether}(alice, 0);
        ZkRollup.StoredBlock memory b1 = commit(root(1), emptyPubdata());
        commit(root(2), pubdataOf(chunks1(ZkTestLib.deposit(1, 0, 1e9))));
        assertEq(rollup.committedPriorityRequests(), 1);

        vm.expectRevert(abi.encodeWithSelector(ZkRollup.NotOperator.selector, alice));
        vm.prank(alice);
        rollup.revertBlocks(b1);
        vm.prank(operator);
        rollup.revertBlocks(b1);
        assertEq(rollup.totalBlocksCommitted(), 1);
        assertEq(rollup.committedPriorityRequests(), 0);
        lastCommitted = b1;
        unverified.pop();
        // the deposit can be committed again, in another block 2
        ZkRollup.StoredBlock memory b2 = commit(root(3), pubdataOf(chunks1(ZkTestLib.deposit(2, 0, 1e9))));
        assertEq(b2.blockNumber, 2);
        verifyNext(noWithdrawals());
        verifyNext(noWithdrawals());
        assertEq(rollup.verifiedRoot(), root(3));

        vm.expectRevert(abi.encodeWithSelector(ZkRollup.CannotRevertTo.selector, 2, 2, 2));
        vm.prank(operator);
        rollup.revertBlocks(b2);
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.CannotRevertTo.selector, 1, 2, 2));
        vm.prank(operator);
        rollup.revertBlocks(b1);
    }

    function test_revertBlocks_rejectsAForgedBlock() public {
        ZkRollup.StoredBlock memory b1 = commit(root(1), emptyPubdata());
        commit(root(2), emptyPubdata());
        b1.priorityOps = 5;
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.StoredBlockMismatch.selector, 1));
        vm.prank(operator);
        rollup.revertBlocks(b1);
    }

    // ------------------------------------------------------------------------------------------------- exodus

    function test_exodus_activation() public {
        vm.expectRevert(ZkRollup.NoPendingPriorityRequest.selector);
        rollup.activateExodusMode();
        vm.prank(alice);
        rollup.depositETH{value: 1 ether}(alice, 0);
        uint256 expiry = block.timestamp + DEADLINE;
        // processed in a verified block: no longer pending
        commitAndVerify(root(1), pubdataOf(chunks1(ZkTestLib.deposit(1, 0, 1e9))), noWithdrawals());
        vm.warp(expiry + 1);
        vm.expectRevert(ZkRollup.NoPendingPriorityRequest.selector);
        rollup.activateExodusMode();

        vm.prank(alice);
        rollup.requestFullExit(1, 0);
        uint256 expiry2 = block.timestamp + DEADLINE;
        commit(root(2), pubdataOf(chunks1(ZkTestLib.fullExit(1, 0, 1e9)))); // committed is not enough
        vm.warp(expiry2);
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.PriorityRequestNotExpired.selector, 1, expiry2));
        rollup.activateExodusMode();
        vm.warp(expiry2 + 1);
        vm.expectEmit(address(rollup));
        emit ExodusMode(1, uint64(expiry2));
        rollup.activateExodusMode();
        assertTrue(rollup.exodusMode());

        vm.expectRevert(ZkRollup.ExodusModeActive.selector);
        rollup.activateExodusMode();
        vm.expectRevert(ZkRollup.ExodusModeActive.selector);
        vm.prank(alice);
        rollup.depositETH{value: 1 ether}(alice, 0);
        vm.expectRevert(ZkRollup.ExodusModeActive.selector);
        rollup.requestFullExit(1, 0);
        ZkRollup.CommitBlockInput[] memory blocks = new ZkRollup.CommitBlockInput[](1);
        blocks[0] = ZkRollup.CommitBlockInput(root(3), emptyPubdata());
        vm.expectRevert(ZkRollup.ExodusModeActive.selector);
        vm.prank(operator);
        rollup.commitBlocks(lastCommitted, blocks);
        vm.expectRevert(ZkRollup.ExodusModeActive.selector);
        verifyNext(oneWithdrawal(alice, 0, 1e9));
        vm.expectRevert(ZkRollup.ExodusModeActive.selector);
        vm.prank(operator);
        rollup.revertBlocks(lastCommitted);
    }

    /// @dev Verified state: account 0 = alice (2 ETH, 3 token units), account 1 = bob (1 ETH), account 2 with no
    ///      owner but a balance (impossible in a sound state); a pending deposit of carol's and a full exit expire.
    function setUpExodus() internal returns (uint256[] memory leaves) {
        vm.prank(alice);
        rollup.depositETH{value: 2 ether}(alice, 0);
        vm.prank(bob);
        rollup.depositETH{value: 1 ether}(bob, 0);
        vm.prank(alice);
        rollup.depositERC20(address(token), 3 * TOKEN_UNIT, alice, 0);
        leaves = new uint256[](3);
        leaves[0] = ZkTestLib.leaf(PK, alice, 1, [uint256(2e9), 3, 0, 0]);
        leaves[1] = ZkTestLib.leaf(0, bob, 0, [uint256(1e9), 0, 0, 0]);
        leaves[2] = ZkTestLib.leaf(0, address(0), 0, [uint256(5), 0, 0, 0]);
        (uint256 r,) = ZkTestLib.rootAndProof(leaves, DEPTH, 0);
        uint80[] memory cs = new uint80[](3);
        cs[0] = ZkTestLib.deposit(0, 0, 2e9);
        cs[1] = ZkTestLib.deposit(1, 0, 1e9);
        cs[2] = ZkTestLib.deposit(0, 1, 3);
        commitAndVerify(bytes32(r), pubdataOf(cs), noWithdrawals());
        vm.deal(carol, 10 ether);
        vm.prank(carol);
        rollup.depositETH{value: 4 ether}(carol, 0); // request 3, never verified
        vm.prank(bob);
        rollup.requestFullExit(1, 0); // request 4
        vm.prank(bob);
        rollup.depositERC20(address(token), 6 * TOKEN_UNIT, carol, 0); // request 5
        commit(root(77), pubdataOf(chunks1(ZkTestLib.deposit(3, 0, 4e9)))); // committed, never verified
        vm.warp(block.timestamp + DEADLINE + 1);
        rollup.activateExodusMode();
    }

    function test_exodusWithdraw_paysEachAccountAndTokenOnce() public {
        uint256[] memory leaves = setUpExodus();
        (, uint256[] memory proof0) = ZkTestLib.rootAndProof(leaves, DEPTH, 0);
        uint256 on = ZkTestLib.ownerNonce(alice, 1);
        uint256 bal = ZkTestLib.packBalances([uint256(2e9), 3, 0, 0]);
        uint256 before = alice.balance;
        vm.expectEmit(address(rollup));
        emit ExodusWithdrawal(0, 0, alice, 2 ether);
        vm.prank(carol); // anyone may call; the owner is paid
        rollup.exodusWithdraw(0, 0, PK, on, bal, proof0);
        assertEq(alice.balance, before + 2 ether);
        assertTrue(rollup.isExited(0, 0));
        assertFalse(rollup.isExited(0, 1));
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.AlreadyExited.selector, 0, 0));
        rollup.exodusWithdraw(0, 0, PK, on, bal, proof0);

        rollup.exodusWithdraw(0, 1, PK, on, bal, proof0);
        assertEq(token.balanceOf(alice), 1_000_000 ether, "alice has her 3 token units back");
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.AlreadyExited.selector, 0, 1));
        rollup.exodusWithdraw(0, 1, PK, on, bal, proof0);
        address token2 = address(new FeeOnTransferToken(0));
        vm.prank(governor);
        rollup.registerToken(token2, 1);
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.NothingToWithdraw.selector, alice, 2));
        rollup.exodusWithdraw(0, 2, PK, on, bal, proof0);

        (, uint256[] memory proof1) = ZkTestLib.rootAndProof(leaves, DEPTH, 1);
        rollup.exodusWithdraw(1, 0, 0, ZkTestLib.ownerNonce(bob, 0), 1e9, proof1);
        assertTrue(rollup.isExited(1, 0));
    }

    function test_exodusWithdraw_errors() public {
        uint256[] memory leaves = setUpExodus();
        (, uint256[] memory proof0) = ZkTestLib.rootAndProof(leaves, DEPTH, 0);
        uint256 on = ZkTestLib.ownerNonce(alice, 1);
        uint256 bal = ZkTestLib.packBalances([uint256(2e9), 3, 0, 0]);

        // more than alice has
        vm.expectRevert(ZkRollup.InvalidMerkleProof.selector);
        rollup.exodusWithdraw(0, 0, PK, on, bal + 1, proof0);
        // her leaf at another index
        vm.expectRevert(ZkRollup.InvalidMerkleProof.selector);
        rollup.exodusWithdraw(1, 0, PK, on, bal, proof0);
        // Poseidon reduces inputs mod r: ownerNonce + r hashes like ownerNonce but names another owner
        vm.expectRevert(ZkRollup.LeafFieldOutOfRange.selector);
        rollup.exodusWithdraw(0, 0, PK, on + ZkTestLib.FIELD, bal, proof0);
        vm.expectRevert(ZkRollup.LeafFieldOutOfRange.selector);
        rollup.exodusWithdraw(0, 0, PK, on, bal + ZkTestLib.FIELD, proof0);
        vm.expectRevert(ZkRollup.LeafFieldOutOfRange.selector);
        rollup.exodusWithdraw(0, 0, PK + ZkTestLib.FIELD, on, bal, proof0);
        uint256[] memory short = new uint256[](DEPTH - 1);
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.MerkleProofLengthInvalid.selector, DEPTH - 1, DEPTH));
        rollup.exodusWithdraw(0, 0, PK, on, bal, short);
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.AccountIndexOutOfRange.selector, 16));
        rollup.exodusWithdraw(16, 0, PK, on, bal, proof0);
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.UnknownTokenId.selector, 3));
        rollup.exodusWithdraw(0, 3, PK, on, bal, proof0);
        (, uint256[] memory proof2) = ZkTestLib.rootAndProof(leaves, DEPTH, 2);
        vm.expectRevert(abi.encodeWithSelector(ZkRollup.AccountHasNoOwner.selector, 2));
        rollup.exodusWithdraw(2, 0, 0, 0, 5, proof2);
    }

    function test_exodusWithdraw_onlyInExodus() public {
        uint256[] memory proof = new uint256[](DEPTH);
        vm.expectRevert(ZkRollup.NotExodusMode.selector);
        rollup.exodusWithdraw(0, 0, 0, 0, 0, proof);
        vm.expectRevert(ZkRollup.NotExodusMode.selector);
        rollup.cancelOutstandingDeposits(10);
    }

    function test_cancelOutstandingDeposits_refundsOnce() public {
        setUpExodus();
        assertEq(rollup.refundCursor(), 3);
        vm.expectEmit(address(rollup));
        emit DepositRefunded(3, carol, 0, 4 ether);
        assertEq(rollup.cancelOutstandingDeposits(2), 1); // request 3 (deposit) and 4 (full exit)
        assertEq(rollup.pendingBalance(carol, 0), 4 ether);
        assertEq(rollup.cancelOutstandingDeposits(100), 1); // request 5
        assertEq(rollup.pendingBalance(carol, 1), 6 * TOKEN_UNIT);
        vm.expectRevert(ZkRollup.NoOutstandingDeposits.selector);
        rollup.cancelOutstandingDeposits(1);
        uint256 before = carol.balance;
        rollup.withdrawPendingBalance(carol, 0);
        rollup.withdrawPendingBalance(carol, 1);
        assertEq(carol.balance, before + 4 ether);
        assertEq(token.balanceOf(carol), 6 * TOKEN_UNIT);
    }
}
// forge-lint: disable-end(unsafe-typecast)
