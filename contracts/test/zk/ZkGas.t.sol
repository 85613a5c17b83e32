// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {PoseidonT3} from "poseidon-solidity/PoseidonT3.sol";
import {PoseidonT4} from "poseidon-solidity/PoseidonT4.sol";

import {DevToken} from "../../src/common/DevToken.sol";
import {Groth16Verifier} from "../../src/zk/Groth16Verifier.sol";
import {ZkPubdata} from "../../src/zk/ZkPubdata.sol";
import {ZkRollup} from "../../src/zk/ZkRollup.sol";
import {Test} from "../utils/Test.sol";
import {Groth16Fixture as F} from "./fixtures/Groth16Fixture.sol";
import {PoseidonBytecode} from "./fixtures/PoseidonBytecode.sol";
import {ZkTestLib} from "./ZkFixture.sol";

// forge-lint: disable-start(unsafe-typecast) test values are bounded where they are made

/// @notice Gas of the ZK rollup's calls with the real Groth16 verifier, depth 16 and 32-chunk blocks
///         (`forge test --match-contract ZkGasTest -vv`). Each figure is the execution gas of one call measured
///         alone in its test (storage cold, as in a real transaction), including the ~2.6k of calling the contract
///         from the test, excluding the transaction's 21,000 and its calldata, which is logged separately
///         (`calldata`: 16 gas per non-zero byte, 4 per zero byte, EIP-2028; EIP-7623's floor of 10/40 only applies
///         to transactions whose execution is small next to their data, not these). Poseidon runs poseidon-solidity's
///         own precompiled bytecode, which deploy.ts deploys (about half the gas of forge's build of the same source).
abstract contract ZkGasBase is Test {
    uint256 internal constant DEPTH = 16;
    uint256 internal constant CHUNKS = 32;

    Groth16Verifier internal verifier;
    ZkRollup internal rollup;
    DevToken internal token;
    address internal operator = makeAddr("operator");
    address internal alice = makeAddr("alice");
    ZkRollup.StoredBlock[] internal committed;

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        PoseidonBytecode.install(vm); // the package's build, as deployed on L1 (src/zk/l1/deploy.ts)
        verifier = new Groth16Verifier(F.verifyingKey());
        rollup = new ZkRollup(verifier, DEPTH, CHUNKS, 1 days, operator, address(this));
        address[] memory holders = new address[](1);
        holders[0] = alice;
        token = new DevToken("Dev Token", "DEV", 18, holders, 1_000_000 ether);
        rollup.registerToken(address(token), 1e12);
        vm.deal(alice, 1_000 ether);
        vm.startPrank(alice);
        token.approve(address(rollup), type(uint256).max);
        // earlier deposits, so the measured ones find the counters and the token totals non-zero
        rollup.depositETH{value: 1 ether}(alice, 0);
        rollup.depositERC20(address(token), 1 ether, alice, 0);
        vm.stopPrank();
    }

    /// @dev Gas of one call whose calldata is encoded beforehand (so the test's own encoding and memory are not
    ///      counted): the callee's execution plus the ~2.6k of a cold CALL. Reverts with the callee's error.
    function measure(string memory label, address target, uint256 value, bytes memory data)
        internal
        returns (uint256 used, bytes memory ret)
    {
        bool ok;
        uint256 g = gasleft();
        (ok, ret) = target.call{value: value}(data);
        used = g - gasleft();
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        emit log_named_uint(label, used);
    }

    function calldataGas(bytes memory data) internal pure returns (uint256 g) {
        for (uint256 i = 0; i < data.length; i++) {
            g += data[i] == 0 ? 4 : 16;
        }
    }

    /// @dev The fixture's eight 32-transfer blocks (they follow genesis and consume no priority request).
    function transferBlocks(uint256 n) internal pure returns (ZkRollup.CommitBlockInput[] memory blocks) {
        blocks = new ZkRollup.CommitBlockInput[](n);
        for (uint256 i = 0; i < n; i++) {
            (bytes32 newRoot, bytes memory data,) = F.transferBlock(i + 1);
            blocks[i] = ZkRollup.CommitBlockInput(newRoot, data);
        }
    }

    function storedTransferBlock(uint256 i) internal pure returns (ZkRollup.StoredBlock memory) {
        (bytes32 newRoot,, bytes32 commitment) = F.transferBlock(i);
        return ZkRollup.StoredBlock(
            uint32(i), 0, 0, newRoot, commitment, keccak256(abi.encode(new ZkPubdata.Withdrawal[](0)))
        );
    }

    /// @dev Pretends the block ring has been used once (its slots non-zero), as it is after BLOCK_RING blocks.
    function warmRing() internal {
        for (uint256 i = 1; i <= 8; i++) {
            vm.store(address(rollup), bytes32(4 + i), bytes32(uint256(1)));
        }
    }
}

/// @notice Deposits, requests and commits.
contract ZkGasTest is ZkGasBase {
    ZkRollup internal rollup64;

    function setUp() public override {
        super.setUp();
        rollup64 = new ZkRollup(verifier, DEPTH, 64, 1 days, operator, address(this));
        for (uint256 i = 1; i <= 8; i++) {
            vm.store(address(rollup64), bytes32(4 + i), bytes32(uint256(1))); // ring used once
        }
    }

    /// @dev 8 blocks of 64 TRANSFER chunks with varied fields (the verify cost per proof does not depend on N).
    function test_gas_commitEightBlocksOf64Transfers_ringReused() public {
        ZkRollup.CommitBlockInput[] memory blocks = new ZkRollup.CommitBlockInput[](8);
        for (uint256 b = 0; b < 8; b++) {
            uint80[] memory cs = new uint80[](64);
            for (uint256 i = 0; i < 64; i++) {
                cs[i] = ZkTestLib.transfer((b * 37 + i) % 65536, (b * 101 + i * 7 + 1) % 65536, i % 2, 1 + i * 3 + b, 6);
            }
            blocks[b] =
                ZkRollup.CommitBlockInput(bytes32(uint256(keccak256(abi.encode(b))) >> 8), ZkTestLib.pubdata(cs, 64));
        }
        ZkRollup.StoredBlock memory genesis = rollup64.genesisBlock();
        bytes memory data = abi.encodeCall(ZkRollup.commitBlocks, (genesis, blocks));
        vm.prank(operator);
        (uint256 used,) = measure("commit execution (N = 64, ring reused)", address(rollup64), 0, data);
        uint256 cd = calldataGas(data);
        emit log_named_uint("commit calldata", cd);
        emit log_named_uint("commit tx total", 21_000 + cd + used);
        emit log_named_uint("commit tx total per transfer", (21_000 + cd + used) / (8 * 64));
    }
    // ---------------------------------------------------------------------------------------------- requests

    function test_gas_depositETH() public {
        bytes memory data = abi.encodeCall(ZkRollup.depositETH, (alice, 123));
        vm.prank(alice);
        measure("depositETH", address(rollup), 1 ether, data);
    }

    function test_gas_depositERC20() public {
        bytes memory data = abi.encodeCall(ZkRollup.depositERC20, (address(token), 1 ether, alice, 0));
        vm.prank(alice);
        measure("depositERC20", address(rollup), 0, data);
    }

    function test_gas_requestFullExit() public {
        bytes memory data = abi.encodeCall(ZkRollup.requestFullExit, (1, 0));
        vm.prank(alice);
        measure("requestFullExit", address(rollup), 0, data);
    }

    // ------------------------------------------------------------------------------------------------ commit

    function commitGas(uint256 n, bool warm) internal {
        if (warm) warmRing();
        ZkRollup.CommitBlockInput[] memory blocks = transferBlocks(n);
        ZkRollup.StoredBlock memory genesis = rollup.genesisBlock();
        bytes memory data = abi.encodeCall(ZkRollup.commitBlocks, (genesis, blocks));
        vm.prank(operator);
        (uint256 used,) = measure(
            warm ? "commit execution (ring reused)" : "commit execution (fresh ring slots)", address(rollup), 0, data
        );
        uint256 cd = calldataGas(data);
        emit log_named_uint("blocks", n);
        emit log_named_uint("commit calldata", cd);
        emit log_named_uint("commit tx total", 21_000 + cd + used);
        emit log_named_uint("commit tx total per transfer", (21_000 + cd + used) / (n * CHUNKS));
    }

    function test_gas_commitOneBlockOf32Transfers() public {
        commitGas(1, false);
    }

    function test_gas_commitOneBlockOf32Transfers_ringReused() public {
        commitGas(1, true);
    }

    function test_gas_commitFourBlocksOf32Transfers_ringReused() public {
        commitGas(4, true);
    }

    function test_gas_commitEightBlocksOf32Transfers_ringReused() public {
        commitGas(8, true);
    }
}

/// @notice verifyBlocks with real proofs of the fixture's transfer blocks (committed in setUp, so cold here), and the
///         verifier alone.
contract ZkVerifyGasTest is ZkGasBase {
    function setUp() public override {
        super.setUp();
        ZkRollup.StoredBlock memory genesis = rollup.genesisBlock();
        vm.prank(operator);
        rollup.commitBlocks(genesis, transferBlocks(8));
    }

    // ------------------------------------------------------------------------------------------------ verify

    function verifyGas(uint256 k) internal {
        ZkRollup.StoredBlock[] memory blocks = new ZkRollup.StoredBlock[](k);
        uint256[8][] memory proofs = new uint256[8][](k);
        ZkPubdata.Withdrawal[][] memory ws = new ZkPubdata.Withdrawal[][](k);
        for (uint256 i = 0; i < k; i++) {
            blocks[i] = storedTransferBlock(i + 1);
            (proofs[i],) = F.proof(F.TRANSFER_BLOCK_PROOF + i);
            ws[i] = new ZkPubdata.Withdrawal[](0);
        }
        bytes memory data = abi.encodeCall(ZkRollup.verifyBlocks, (blocks, proofs, ws));
        (uint256 used,) = measure("verifyBlocks execution", address(rollup), 0, data);
        uint256 cd = calldataGas(data);
        emit log_named_uint("proofs", k);
        emit log_named_uint("verify calldata", cd);
        emit log_named_uint("verify tx total", 21_000 + cd + used);
        emit log_named_uint("verify tx total per proof", (21_000 + cd + used) / k);
        emit log_named_uint("verify tx total per transfer", (21_000 + cd + used) / (k * CHUNKS));
        assertEq(rollup.totalBlocksVerified(), k);
    }

    function test_gas_verifyBlocks_k1() public {
        verifyGas(1);
    }

    function test_gas_verifyBlocks_k4() public {
        verifyGas(4);
    }

    function test_gas_verifyBlocks_k8() public {
        verifyGas(8);
    }

    function verifierGas(uint256 k) internal {
        uint256[8][] memory proofs = new uint256[8][](k);
        uint256[] memory inputs = new uint256[](k);
        for (uint256 i = 0; i < k; i++) {
            (proofs[i], inputs[i]) = F.proof(i);
        }
        bytes memory data = abi.encodeCall(Groth16Verifier.verifyBatch, (proofs, inputs));
        (uint256 used, bytes memory ret) = measure("verifyBatch execution", address(verifier), 0, data);
        emit log_named_uint("proofs", k);
        emit log_named_uint("verifyBatch per proof", used / k);
        emit log_named_uint("verifyBatch calldata", calldataGas(data));
        assertTrue(abi.decode(ret, (bool)));
    }

    function test_gas_verifyBatch_k1() public {
        verifierGas(1);
    }

    function test_gas_verifyBatch_k4() public {
        verifierGas(4);
    }

    function test_gas_verifyBatch_k8() public {
        verifierGas(8);
    }

    function test_gas_verifyProof() public {
        (uint256[8] memory p, uint256 input) = F.proof(0);
        (, bytes memory ret) =
            measure("verifyProof", address(verifier), 0, abi.encodeCall(Groth16Verifier.verifyProof, (p, input)));
        assertTrue(abi.decode(ret, (bool)));
    }
}

/// @notice Exodus (depth 16) and paying a pending balance.
contract ZkExodusGasTest is ZkGasBase {
    // ------------------------------------------------------------------------------------------------ exodus

    uint256[] internal siblings;
    uint256 internal constant INDEX = 12345;

    function setUp() public override {
        super.setUp();
        // a verified root with alice's leaf at index 12345 of the depth-16 tree, the rest empty
        uint256[] memory z = ZkTestLib.zeros(DEPTH);
        uint256 node = ZkTestLib.leaf(0, alice, 3, [uint256(1e9), 0, 0, 0]);
        for (uint256 k = 0; k < DEPTH; k++) {
            siblings.push(z[k]);
            node = (INDEX >> k) & 1 == 0 ? PoseidonT3.hash([node, z[k]]) : PoseidonT3.hash([z[k], node]);
        }
        vm.store(address(rollup), bytes32(uint256(1)), bytes32(node)); // verifiedRoot
        vm.warp(block.timestamp + 2 days);
        rollup.activateExodusMode();
        vm.store(
            address(rollup),
            keccak256(abi.encode(uint256(0), keccak256(abi.encode(alice, uint256(1041))))),
            bytes32(uint256(1 ether))
        ); // pendingBalance[alice][0]
    }

    function test_gas_exodusWithdraw() public {
        bytes memory data = abi.encodeCall(
            ZkRollup.exodusWithdraw, (uint16(INDEX), 0, 0, ZkTestLib.ownerNonce(alice, 3), 1e9, siblings)
        );
        (uint256 used,) = measure("exodusWithdraw (depth 16)", address(rollup), 0, data);
        emit log_named_uint("exodusWithdraw tx total", 21_000 + calldataGas(data) + used);
    }

    function test_gas_poseidon() public {
        uint256[2] memory in2 = [uint256(1), 2];
        uint256[3] memory in3 = [uint256(1), 2, 3];
        measure(
            "PoseidonT3 hash (cold, direct call)",
            address(PoseidonT3),
            0,
            abi.encodeWithSignature("hash(uint256[2])", in2)
        );
        measure("PoseidonT3 hash (warm)", address(PoseidonT3), 0, abi.encodeWithSignature("hash(uint256[2])", in2));
        measure(
            "PoseidonT4 hash (cold, direct call)",
            address(PoseidonT4),
            0,
            abi.encodeWithSignature("hash(uint256[3])", in3)
        );
        measure("PoseidonT4 hash (warm)", address(PoseidonT4), 0, abi.encodeWithSignature("hash(uint256[3])", in3));
    }

    function test_gas_withdrawPendingBalance() public {
        measure(
            "withdrawPendingBalance (ETH)",
            address(rollup),
            0,
            abi.encodeCall(ZkRollup.withdrawPendingBalance, (alice, 0))
        );
    }
}
// forge-lint: disable-end(unsafe-typecast)
