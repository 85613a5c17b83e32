// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

import {DevToken} from "../../src/common/DevToken.sol";
import {PlasmaFramework} from "../../src/plasma/PlasmaFramework.sol";
import {Test} from "../utils/Test.sol";

/// @notice Cheatcodes the Plasma tests need beyond test/utils/Vm.sol (signatures match forge's).
interface PlasmaVm {
    /// @dev Gas of the last call, from the callee's side (`gasTotalUsed` excludes the caller's CALL overhead).
    struct Gas {
        uint64 gasLimit;
        uint64 gasTotalUsed;
        uint64 gasMemoryUsed;
        int64 gasRefunded;
        uint64 gasRemaining;
    }

    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    function lastCallGas() external view returns (Gas memory gas);
}

/// @notice forge's console (forge-std is not available offline): `console.log(label, value)` shows with `-vv`.
library console {
    address internal constant CONSOLE = 0x000000000000000000636F6e736F6c652e6c6f67;

    function log(string memory label, uint256 value) internal view {
        (bool ok,) = CONSOLE.staticcall(abi.encodeWithSignature("log(string,uint256)", label, value));
        ok; // the console never fails; nothing to do either way
    }
}

/// @notice A depth-16 keccak Merkle tree over leaves 0..n−1 (the rest empty), written independently of the contract:
///         level by level, a missing right node is the empty subtree of that level.
library PlasmaTree {
    uint256 internal constant DEPTH = 16;

    /// @dev zeros[l] = root of an empty subtree of height l.
    function zeros() internal pure returns (bytes32[17] memory z) {
        for (uint256 l = 1; l <= DEPTH; l++) {
            z[l] = keccak256(abi.encodePacked(z[l - 1], z[l - 1]));
        }
    }

    function root(bytes32[] memory leaves) internal pure returns (bytes32) {
        (bytes32 r,) = rootAndProof(leaves, 0);
        return r;
    }

    /// @dev The root and the 512-byte proof (siblings from the leaf up) of leaf `index`.
    function proof(bytes32[] memory leaves, uint256 index) internal pure returns (bytes memory) {
        (, bytes memory p) = rootAndProof(leaves, index);
        return p;
    }

    function rootAndProof(bytes32[] memory leaves, uint256 index) internal pure returns (bytes32, bytes memory p) {
        bytes32[17] memory z = zeros();
        bytes32[] memory level = leaves;
        uint256 len = leaves.length;
        uint256 idx = index;
        for (uint256 l = 0; l < DEPTH; l++) {
            uint256 sib = idx ^ 1;
            p = abi.encodePacked(p, sib < len ? level[sib] : z[l]);
            uint256 nextLen = (len + 1) / 2;
            bytes32[] memory next = new bytes32[](nextLen);
            for (uint256 i = 0; i < nextLen; i++) {
                bytes32 right = 2 * i + 1 < len ? level[2 * i + 1] : z[l];
                next[i] = keccak256(abi.encodePacked(level[2 * i], right));
            }
            level = next;
            len = nextLen;
            idx >>= 1;
        }
        return (len == 0 ? z[DEPTH] : level[0], p);
    }
}

/// @notice ERC-20 whose transfers to a blocked account revert (as USDC's blocklist): pushes to it are credited.
contract BlockToken is ERC20 {
    mapping(address => bool) public blocked;

    constructor() ERC20("Block Token", "BLK") {
        _mint(msg.sender, 1e30);
    }

    function setBlocked(address account, bool value) external {
        blocked[account] = value;
    }

    function _update(address from, address to, uint256 value) internal override {
        require(!blocked[to], "blocked");
        super._update(from, to, value);
    }
}

/// @notice ERC-20 that burns 1% of every transfer (the contract must refuse its deposits).
contract FeeToken is ERC20 {
    constructor() ERC20("Fee Token", "FEE") {
        _mint(msg.sender, 1e30);
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0) && to != address(0)) {
            super._update(from, address(0), value / 100);
            value -= value / 100;
        }
        super._update(from, to, value);
    }
}

/// @notice Code etched onto an account: refuses ETH while `reject` (slot 0) is set.
contract TogglingReceiver {
    bool public reject;

    function setReject(bool value) external {
        reject = value;
    }

    receive() external payable {
        require(!reject, "rejected");
    }
}

/// @notice Code etched onto an account: burns all the gas it is given when receiving ETH.
contract GasBurner {
    receive() external payable {
        while (true) {}
    }
}

/// @notice Shared setup and builders: a framework with an operator and users of known keys, a dev token, the
///         transaction encoding and EIP-712 digest computed from the doc (not through the contract), block building
///         with proofs, and deposit / exit flows.
abstract contract PlasmaFixture is Test {
    PlasmaVm internal constant pvm = PlasmaVm(address(uint160(uint256(keccak256("hevm cheat code")))));

    struct Out {
        address owner;
        address token;
        uint256 amount;
    }

    struct Tx {
        uint256[] inputs;
        Out[] outputs;
        bytes32 metadata;
    }

    /// @dev secp256k1 group order (EIP-2: s must be ≤ N / 2).
    uint256 internal constant N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
    uint256 internal constant EP = 1 days;
    uint256 internal constant SE_BOND = 0.01 ether;
    uint256 internal constant IFE_BOND = 0.02 ether;
    uint256 internal constant T0 = 1_700_000_000;

    uint256 internal constant PK_OP = 0x0BE8A70;
    uint256 internal constant PK_A = 0xA11CE;
    uint256 internal constant PK_B = 0xB0B;
    uint256 internal constant PK_C = 0xCA401;

    PlasmaFramework internal plasma;
    DevToken internal token;
    address internal operator;
    address internal alice;
    address internal bob;
    address internal carol;
    address internal constant ETH = address(0);

    /// @dev Leaves of every block the tests made (deposit blocks included), to build proofs.
    mapping(uint256 blknum => bytes32[]) internal leavesOf;

    event BlockSubmitted(uint256 indexed blknum, bytes32 root, uint64 timestamp);
    event DepositCreated(uint256 indexed blknum, address indexed owner, address indexed token, uint256 amount);
    event ExitStarted(
        uint256 indexed exitId,
        address indexed owner,
        uint256 utxoPos,
        bytes32 outputId,
        address token,
        uint256 amount,
        uint64 exitableAt
    );
    event ExitChallenged(uint256 indexed exitId, address indexed challenger, PlasmaFramework.ChallengeKind kind);
    event ExitFinalized(
        uint256 indexed exitId, bytes32 indexed outputId, address indexed owner, address token, uint256 amount
    );
    event ExitUnfunded(uint256 indexed exitId, bytes32 indexed outputId, address token, uint256 amount);
    event ExitSkipped(uint256 indexed exitId, bytes32 indexed outputId);
    event InFlightExitStarted(
        uint256 indexed exitId, address indexed starter, bytes32 indexed txHash, uint256 position, uint64 exitableAt
    );
    event InFlightExitChallenged(
        bytes32 indexed txHash,
        address indexed challenger,
        PlasmaFramework.ChallengeKind kind,
        uint256 index,
        uint256 competitorPosition
    );
    event InFlightExitResponded(bytes32 indexed txHash, address indexed responder, uint256 position);
    event InFlightExitFinalized(uint256 indexed exitId, bytes32 indexed txHash, bool canonical);
    event PayoutCredited(address indexed token, address indexed owner, uint256 amount);
    event Withdrawn(address indexed token, address indexed owner, uint256 amount);

    function setUp() public virtual {
        vm.warp(T0);
        operator = vm.addr(PK_OP);
        alice = vm.addr(PK_A);
        bob = vm.addr(PK_B);
        carol = vm.addr(PK_C);
        vm.label(operator, "operator");
        vm.label(alice, "alice");
        vm.label(bob, "bob");
        vm.label(carol, "carol");
        plasma = new PlasmaFramework(operator, EP, SE_BOND, IFE_BOND);
        address[] memory holders = new address[](3);
        holders[0] = alice;
        holders[1] = bob;
        holders[2] = carol;
        token = new DevToken("Dev Token", "DEV", 18, holders, 1_000_000 ether);
        vm.prank(alice);
        token.approve(address(plasma), type(uint256).max);
        vm.prank(bob);
        token.approve(address(plasma), type(uint256).max);
        vm.prank(carol);
        token.approve(address(plasma), type(uint256).max);
        vm.deal(alice, 1_000 ether);
        vm.deal(bob, 1_000 ether);
        vm.deal(carol, 1_000 ether);
        vm.deal(operator, 1 ether);
    }

    // ------------------------------------------------------------------------------------------- builders

    function pos(uint256 blknum, uint256 txIndex, uint256 oIndex) internal pure returns (uint256) {
        return blknum * 1_000_000_000 + txIndex * 10_000 + oIndex;
    }

    function out(address owner, address token_, uint256 amount) internal pure returns (Out memory) {
        return Out(owner, token_, amount);
    }

    function ins0() internal pure returns (uint256[] memory a) {
        a = new uint256[](0);
    }

    function ins1(uint256 x) internal pure returns (uint256[] memory a) {
        a = new uint256[](1);
        a[0] = x;
    }

    function ins2(uint256 x, uint256 y) internal pure returns (uint256[] memory a) {
        a = new uint256[](2);
        a[0] = x;
        a[1] = y;
    }

    function outs1(Out memory x) internal pure returns (Out[] memory a) {
        a = new Out[](1);
        a[0] = x;
    }

    function outs2(Out memory x, Out memory y) internal pure returns (Out[] memory a) {
        a = new Out[](2);
        a[0] = x;
        a[1] = y;
    }

    function mkTx(uint256[] memory inputs, Out[] memory outputs) internal pure returns (Tx memory) {
        return Tx(inputs, outputs, bytes32(0));
    }

    /// @dev `txBytes = abi.encode(tx)` (docs/plasma.md "Transaction bytes").
    function enc(Tx memory t) internal pure returns (bytes memory) {
        return abi.encode(t);
    }

    /// @dev The deposit transaction of deposit block `blknum`.
    function depositTx(uint256 blknum, address owner, address token_, uint256 amount)
        internal
        pure
        returns (Tx memory)
    {
        return Tx(ins0(), outs1(out(owner, token_, amount)), bytes32(blknum));
    }

    function outputId(bytes memory txBytes, uint256 oIndex) internal pure returns (bytes32) {
        return keccak256(abi.encode(keccak256(txBytes), oIndex));
    }

    function leafOf(bytes memory txBytes, bytes memory sigs) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(keccak256(txBytes), keccak256(sigs)));
    }

    // -------------------------------------------------------------------------------------------- EIP-712

    function domainSeparator() internal view returns (bytes32) {
        return keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("l2kit Plasma"),
                keccak256("1"),
                block.chainid,
                address(plasma)
            )
        );
    }

    /// @dev The EIP-712 digest of `t`, from the doc's rules.
    function digestOf(Tx memory t) internal view returns (bytes32) {
        bytes32 outputTypehash = keccak256("Output(address owner,address token,uint256 amount)");
        bytes32 txTypehash = keccak256(
            "Transaction(uint256[] inputs,Output[] outputs,bytes32 metadata)Output(address owner,address token,uint256 amount)"
        );
        bytes memory outHashes;
        for (uint256 j = 0; j < t.outputs.length; j++) {
            Out memory o = t.outputs[j];
            outHashes = abi.encodePacked(outHashes, keccak256(abi.encode(outputTypehash, o.owner, o.token, o.amount)));
        }
        bytes32 structHash =
            keccak256(abi.encode(txTypehash, keccak256(abi.encodePacked(t.inputs)), keccak256(outHashes), t.metadata));
        return keccak256(abi.encodePacked("\x19\x01", domainSeparator(), structHash));
    }

    /// @dev A 65-byte `r ‖ s ‖ v` signature (forge signs with low s).
    function sign(uint256 pk, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = pvm.sign(pk, digest);
        return abi.encodePacked(r, s, v);
    }

    /// @dev The malleable twin: s' = N − s, v flipped.
    function highS(bytes memory sig) internal pure returns (bytes memory) {
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly ("memory-safe") {
            r := mload(add(sig, 0x20))
            s := mload(add(sig, 0x40))
            v := byte(0, mload(add(sig, 0x60)))
        }
        return abi.encodePacked(r, bytes32(N - uint256(s)), v == 27 ? uint8(28) : uint8(27));
    }

    function sign1(Tx memory t, uint256 pk) internal view returns (bytes memory) {
        return sign(pk, digestOf(t));
    }

    function sign2(Tx memory t, uint256 pk0, uint256 pk1) internal view returns (bytes memory) {
        bytes32 d = digestOf(t);
        return abi.encodePacked(sign(pk0, d), sign(pk1, d));
    }

    // ------------------------------------------------------------------------------------------- blocks

    function depositEthFor(address owner, uint256 amount) internal returns (uint256 blknum) {
        vm.deal(address(this), address(this).balance + amount);
        blknum = plasma.depositEth{value: amount}(owner);
        leavesOf[blknum].push(leafOf(enc(depositTx(blknum, owner, ETH, amount)), ""));
    }

    function depositTokenFor(address owner, uint256 amount) internal returns (uint256 blknum) {
        vm.prank(owner);
        blknum = plasma.depositToken(owner, address(token), amount);
        leavesOf[blknum].push(leafOf(enc(depositTx(blknum, owner, address(token), amount)), ""));
    }

    /// @dev Bytes of the deposit transaction made by `depositEthFor` / `depositTokenFor`.
    function depositBytes(uint256 blknum, address owner, address token_, uint256 amount)
        internal
        pure
        returns (bytes memory)
    {
        return enc(depositTx(blknum, owner, token_, amount));
    }

    /// @dev Submits an operator block of the given leaves.
    function submitLeaves(bytes32[] memory leaves) internal returns (uint256 blknum) {
        vm.prank(operator);
        blknum = plasma.submitBlock(PlasmaTree.root(leaves));
        for (uint256 i = 0; i < leaves.length; i++) {
            leavesOf[blknum].push(leaves[i]);
        }
    }

    /// @dev Submits an operator block holding one transaction (index 0).
    function submit1(bytes memory txBytes, bytes memory sigs) internal returns (uint256 blknum) {
        bytes32[] memory leaves = new bytes32[](1);
        leaves[0] = leafOf(txBytes, sigs);
        return submitLeaves(leaves);
    }

    /// @dev Submits an operator block holding two transactions (indices 0 and 1).
    function submit2(bytes memory tx0, bytes memory sigs0, bytes memory tx1, bytes memory sigs1)
        internal
        returns (uint256 blknum)
    {
        bytes32[] memory leaves = new bytes32[](2);
        leaves[0] = leafOf(tx0, sigs0);
        leaves[1] = leafOf(tx1, sigs1);
        return submitLeaves(leaves);
    }

    function proofOf(uint256 blknum, uint256 txIndex) internal view returns (bytes memory) {
        return PlasmaTree.proof(leavesOf[blknum], txIndex);
    }

    function proofAt(uint256 utxoPos) internal view returns (bytes memory) {
        return proofOf(utxoPos / 1_000_000_000, (utxoPos % 1_000_000_000) / 10_000);
    }

    function inclusion(bytes memory txBytes, bytes memory sigs, uint256 txPos)
        internal
        view
        returns (PlasmaFramework.Inclusion memory)
    {
        return PlasmaFramework.Inclusion(txBytes, sigs, txPos, proofAt(txPos));
    }

    // -------------------------------------------------------------------------------------------- exits

    function startExit(address owner, uint256 utxoPos, bytes memory txBytes, bytes memory sigs)
        internal
        returns (uint256 exitId)
    {
        vm.deal(owner, owner.balance + SE_BOND);
        vm.prank(owner);
        exitId = plasma.startStandardExit{value: SE_BOND}(utxoPos, txBytes, sigs, proofAt(utxoPos));
    }

    function exitOwner(uint256 exitId) internal view returns (address owner) {
        (, owner,,,,) = plasma.getExit(exitId);
    }

    function noBytes() internal pure returns (bytes[] memory) {
        return new bytes[](0);
    }

    function one(bytes memory b) internal pure returns (bytes[] memory a) {
        a = new bytes[](1);
        a[0] = b;
    }

    function two(bytes memory x, bytes memory y) internal pure returns (bytes[] memory a) {
        a = new bytes[](2);
        a[0] = x;
        a[1] = y;
    }

    receive() external payable {}
}
