// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {PoseidonT3} from "poseidon-solidity/PoseidonT3.sol";
import {PoseidonT4} from "poseidon-solidity/PoseidonT4.sol";

import {DevToken} from "../../src/common/DevToken.sol";
import {IGroth16Verifier} from "../../src/zk/IGroth16Verifier.sol";
import {ZkPubdata} from "../../src/zk/ZkPubdata.sol";
import {ZkRollup} from "../../src/zk/ZkRollup.sol";
import {Test} from "../utils/Test.sol";
import {Vm} from "../utils/Vm.sol";

// forge-lint: disable-start(unsafe-typecast) test values are bounded where they are made

/// @notice Verifier stand-in: accepts or rejects every proof as told.
contract MockVerifier is IGroth16Verifier {
    bool public result = true;

    function setResult(bool result_) external {
        result = result_;
    }

    function verifyProof(uint256[8] calldata, uint256) external view returns (bool) {
        return result;
    }

    function verifyBatch(uint256[8][] calldata proofs, uint256[] calldata inputs) external view returns (bool) {
        require(proofs.length == inputs.length, "length");
        return result;
    }
}

/// @notice Pubdata chunks (docs/zk.md "Block pubdata") and Poseidon account trees, for tests.
library ZkTestLib {
    uint256 internal constant FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617;

    function chunk(uint256 t, uint256 a, uint256 token, uint256 x) internal pure returns (uint80) {
        return uint80((t << 77) | (a << 61) | (token << 56) | x);
    }

    function deposit(uint256 account, uint256 token, uint256 units) internal pure returns (uint80) {
        return chunk(1, account, token, units);
    }

    function transfer(uint256 from, uint256 to, uint256 token, uint256 mantissa, uint256 exponent)
        internal
        pure
        returns (uint80)
    {
        return chunk(2, from, token, (to << 40) | (mantissa << 5) | exponent);
    }

    function fullExit(uint256 account, uint256 token, uint256 units) internal pure returns (uint80) {
        return chunk(5, account, token, units);
    }

    function changePubKey(uint256 account) internal pure returns (uint80) {
        return chunk(6, account, 0, 0);
    }

    /// @dev Writes the 3 chunks of a WITHDRAW (t = 4) or TRANSFER_TO_NEW (t = 3, `units` = the X field) at `at`.
    function threeChunks(uint80[] memory cs, uint256 at, uint256 t, uint256 from, uint256 token, uint256 x, address to)
        internal
        pure
    {
        cs[at] = chunk(t, from, token, x);
        cs[at + 1] = uint80(uint160(to) >> 80);
        cs[at + 2] = uint80(uint160(to));
    }

    /// @dev `chunks` × 10 bytes, big-endian; missing chunks are NOOPs.
    function pubdata(uint80[] memory cs, uint256 chunks) internal pure returns (bytes memory data) {
        data = new bytes(chunks * 10);
        for (uint256 i = 0; i < cs.length; i++) {
            bytes10 c = bytes10(cs[i]);
            for (uint256 j = 0; j < 10; j++) {
                data[i * 10 + j] = c[j];
            }
        }
    }

    function leaf(uint256 pkHash, address owner, uint256 nonce, uint256[4] memory balances) internal returns (uint256) {
        return PoseidonT4.hash([pkHash, ownerNonce(owner, nonce), packBalances(balances)]);
    }

    function ownerNonce(address owner, uint256 nonce) internal pure returns (uint256) {
        return uint256(uint160(owner)) | (nonce << 160);
    }

    function packBalances(uint256[4] memory b) internal pure returns (uint256) {
        return b[0] | (b[1] << 56) | (b[2] << 112) | (b[3] << 168);
    }

    /// @dev zero[k] for k = 0..depth.
    function zeros(uint256 depth) internal returns (uint256[] memory z) {
        z = new uint256[](depth + 1);
        z[0] = 0; // the empty account is the leaf 0
        for (uint256 k = 0; k < depth; k++) {
            z[k + 1] = PoseidonT3.hash([z[k], z[k]]);
        }
    }

    /// @dev Root of a tree of depth `depth` whose first `leaves.length` leaves are given (the rest empty), and the
    ///      proof (siblings bottom-up) of leaf `index`.
    function rootAndProof(uint256[] memory leaves, uint256 depth, uint256 index)
        internal
        returns (uint256 root, uint256[] memory siblings)
    {
        uint256[] memory z = zeros(depth);
        uint256[] memory level = new uint256[](leaves.length == 0 ? 1 : leaves.length);
        for (uint256 i = 0; i < leaves.length; i++) {
            level[i] = leaves[i];
        }
        if (leaves.length == 0) level[0] = z[0];
        siblings = new uint256[](depth);
        uint256 idx = index;
        for (uint256 k = 0; k < depth; k++) {
            uint256 sib = idx ^ 1;
            siblings[k] = sib < level.length ? level[sib] : z[k];
            uint256[] memory next = new uint256[]((level.length + 1) / 2);
            for (uint256 i = 0; i < next.length; i++) {
                uint256 l = level[2 * i];
                uint256 r = 2 * i + 1 < level.length ? level[2 * i + 1] : z[k];
                next[i] = PoseidonT3.hash([l, r]);
            }
            level = next;
            idx >>= 1;
        }
        root = level[0];
    }
}

/// @notice A ZkRollup (depth 4, 8 chunks per block, 1-day priority deadline) on a mock verifier, a registered ERC-20
///         (unit 10^12: 6 decimals of an 18-decimal token) and helpers to commit and verify blocks.
abstract contract ZkFixture is Test {
    uint256 internal constant DEPTH = 4;
    uint256 internal constant CHUNKS = 8;
    uint256 internal constant DEADLINE = 1 days;
    uint256 internal constant TOKEN_UNIT = 1e12;

    ZkRollup internal rollup;
    MockVerifier internal verifier;
    DevToken internal token;

    address internal operator = makeAddr("operator");
    address internal governor = makeAddr("governor");
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");
    address internal carol = makeAddr("carol");

    /// @dev The last committed block and the committed blocks not verified yet, as a node tracks them.
    ZkRollup.StoredBlock internal lastCommitted;
    ZkRollup.StoredBlock[] internal unverified;

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        verifier = new MockVerifier();
        rollup = deployRollup(DEPTH, CHUNKS);
        address[] memory holders = new address[](2);
        holders[0] = alice;
        holders[1] = bob;
        token = new DevToken("Dev Token", "DEV", 18, holders, 1_000_000 ether);
        vm.prank(governor);
        rollup.registerToken(address(token), TOKEN_UNIT);
        vm.deal(alice, 1_000 ether);
        vm.deal(bob, 1_000 ether);
        vm.prank(alice);
        token.approve(address(rollup), type(uint256).max);
        vm.prank(bob);
        token.approve(address(rollup), type(uint256).max);
        lastCommitted = rollup.genesisBlock();
    }

    function deployRollup(uint256 depth, uint256 chunks) internal returns (ZkRollup) {
        return new ZkRollup(verifier, depth, chunks, DEADLINE, operator, governor);
    }

    /// @dev Commits one block and returns its StoredBlock (decoded from `BlockCommitted`).
    function commit(bytes32 newRoot, bytes memory data) internal returns (ZkRollup.StoredBlock memory) {
        ZkRollup.CommitBlockInput[] memory blocks = new ZkRollup.CommitBlockInput[](1);
        blocks[0] = ZkRollup.CommitBlockInput(newRoot, data);
        return commitMany(blocks)[0];
    }

    function commitMany(ZkRollup.CommitBlockInput[] memory blocks)
        internal
        returns (ZkRollup.StoredBlock[] memory committed)
    {
        vm.recordLogs();
        vm.prank(operator);
        rollup.commitBlocks(lastCommitted, blocks);
        committed = committedBlocks(vm.getRecordedLogs());
        for (uint256 i = 0; i < committed.length; i++) {
            unverified.push(committed[i]);
        }
        lastCommitted = committed[committed.length - 1];
    }

    function committedBlocks(Vm.Log[] memory logs) internal view returns (ZkRollup.StoredBlock[] memory out) {
        uint256 n;
        for (uint256 i = 0; i < logs.length; i++) {
            if (logs[i].emitter == address(rollup) && logs[i].topics[0] == ZkRollup.BlockCommitted.selector) n++;
        }
        out = new ZkRollup.StoredBlock[](n);
        n = 0;
        for (uint256 i = 0; i < logs.length; i++) {
            if (logs[i].emitter != address(rollup) || logs[i].topics[0] != ZkRollup.BlockCommitted.selector) continue;
            (uint64 before, uint64 ops, bytes32 newRoot, bytes32 commitment, bytes32 wHash) =
                abi.decode(logs[i].data, (uint64, uint64, bytes32, bytes32, bytes32));
            out[n++] = ZkRollup.StoredBlock(uint32(uint256(logs[i].topics[1])), before, ops, newRoot, commitment, wHash);
        }
    }

    /// @dev Verifies the oldest unverified block with these withdrawals (the mock verifier decides on the proof).
    function verifyNext(ZkPubdata.Withdrawal[] memory ws) internal {
        ZkRollup.StoredBlock[] memory blocks = new ZkRollup.StoredBlock[](1);
        blocks[0] = unverified[0];
        uint256[8][] memory proofs = new uint256[8][](1);
        ZkPubdata.Withdrawal[][] memory withdrawals = new ZkPubdata.Withdrawal[][](1);
        withdrawals[0] = ws;
        rollup.verifyBlocks(blocks, proofs, withdrawals);
        for (uint256 i = 1; i < unverified.length; i++) {
            unverified[i - 1] = unverified[i];
        }
        unverified.pop();
    }

    /// @dev Commits and verifies a block with this root and pubdata.
    function commitAndVerify(bytes32 newRoot, bytes memory data, ZkPubdata.Withdrawal[] memory ws) internal {
        commit(newRoot, data);
        verifyNext(ws);
    }

    function noWithdrawals() internal pure returns (ZkPubdata.Withdrawal[] memory) {
        return new ZkPubdata.Withdrawal[](0);
    }

    function oneWithdrawal(address to, uint8 tokenId, uint64 units)
        internal
        pure
        returns (ZkPubdata.Withdrawal[] memory ws)
    {
        ws = new ZkPubdata.Withdrawal[](1);
        ws[0] = ZkPubdata.Withdrawal(to, tokenId, units);
    }

    function chunks1(uint80 a) internal pure returns (uint80[] memory cs) {
        cs = new uint80[](1);
        cs[0] = a;
    }

    function chunks2(uint80 a, uint80 b) internal pure returns (uint80[] memory cs) {
        cs = new uint80[](2);
        cs[0] = a;
        cs[1] = b;
    }

    function pubdataOf(uint80[] memory cs) internal pure returns (bytes memory) {
        return ZkTestLib.pubdata(cs, CHUNKS);
    }

    function emptyPubdata() internal pure returns (bytes memory) {
        return new bytes(CHUNKS * 10);
    }

    function root(uint256 seed) internal pure returns (bytes32) {
        return bytes32(uint256(keccak256(abi.encode("root", seed))) % ZkTestLib.FIELD);
    }

    /// @dev What the rollup should compute as the commitment (docs/zk.md), written independently.
    function expectedCommitment(bytes32 oldRoot, bytes32 newRoot, uint256 pBefore, uint256 pAfter, bytes memory data)
        internal
        pure
        returns (bytes32)
    {
        bytes32 digest = sha256(bytes.concat(oldRoot, newRoot, bytes32(pBefore), bytes32(pAfter), data));
        return bytes32(uint256(digest) % (1 << 253));
    }
}
// forge-lint: disable-end(unsafe-typecast)
