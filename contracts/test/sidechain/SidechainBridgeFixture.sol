// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

import {DevToken} from "../../src/common/DevToken.sol";
import {SidechainBridge} from "../../src/sidechain/SidechainBridge.sol";
import {StakeManager} from "../../src/sidechain/StakeManager.sol";
import {Test} from "../utils/Test.sol";

// forge-lint: disable-start(unsafe-typecast) test values are small

/// @notice Cheatcodes the bridge tests need beyond test/utils/Vm.sol (signatures match forge's).
interface BridgeVm {
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
library bconsole {
    address internal constant CONSOLE = 0x000000000000000000636F6e736F6c652e6c6f67;

    function log(string memory label, uint256 value) internal view {
        (bool ok,) = CONSOLE.staticcall(abi.encodeWithSignature("log(string,uint256)", label, value));
        ok; // the console never fails; nothing to do either way
    }

    function log(string memory line) internal view {
        (bool ok,) = CONSOLE.staticcall(abi.encodeWithSignature("log(string)", line));
        ok;
    }
}

/// @notice A depth-16 keccak tree over leaves 0..n−1 (the rest empty), written independently of the contract and of
///         `SparseMerkle`: level by level, a missing right node is the empty subtree of that level.
library WithdrawalTree {
    uint256 internal constant DEPTH = 16;

    /// @dev zeros[l] = root of an empty subtree of height l.
    function zeros() internal pure returns (bytes32[17] memory z) {
        for (uint256 l = 1; l <= DEPTH; l++) {
            z[l] = keccak256(abi.encodePacked(z[l - 1], z[l - 1]));
        }
    }

    function root(bytes32[] memory leaves) internal pure returns (bytes32 r) {
        (r,) = rootAndProof(leaves, 0);
    }

    function proof(bytes32[] memory leaves, uint256 index) internal pure returns (bytes32[] memory p) {
        (, p) = rootAndProof(leaves, index);
    }

    /// @dev The root and the 16 siblings (from the leaf up) of leaf `index`.
    function rootAndProof(bytes32[] memory leaves, uint256 index) internal pure returns (bytes32, bytes32[] memory p) {
        bytes32[17] memory z = zeros();
        p = new bytes32[](DEPTH);
        bytes32[] memory level = leaves;
        uint256 len = leaves.length;
        uint256 idx = index;
        for (uint256 l = 0; l < DEPTH; l++) {
            uint256 sib = idx ^ 1;
            p[l] = sib < len ? level[sib] : z[l];
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

/// @notice ERC-20 that burns 1% of every transfer: the bridge credits what it receives.
contract FeeOnTransferToken is ERC20 {
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

/// @notice ERC-20 whose `transferFrom` reports success and moves nothing.
contract HollowToken is ERC20 {
    constructor() ERC20("Hollow", "HOL") {}

    function transferFrom(address, address, uint256) public pure override returns (bool) {
        return true;
    }
}

/// @notice A recipient whose ETH receipt can be switched off; it claims its credit later.
contract ToggleRecipient {
    bool public accept;

    function setAccept(bool value) external {
        accept = value;
    }

    function claim(SidechainBridge bridge) external {
        bridge.claim();
    }

    receive() external payable {
        require(accept, "refused");
    }
}

/// @notice A recipient that burns all the gas it is given when receiving ETH.
contract GasBurnerRecipient {
    receive() external payable {
        while (true) {}
    }
}

/// @notice A recipient that tries to finalize (another, or the same) withdrawal again while being paid.
contract ReentrantRecipient {
    SidechainBridge internal bridge;
    bytes internal reentry;
    bool public reentered;
    bool public reentryOk;

    constructor(SidechainBridge bridge_) {
        bridge = bridge_;
    }

    function arm(bytes calldata data) external {
        reentry = data;
    }

    receive() external payable {
        if (reentry.length != 0 && !reentered) {
            reentered = true;
            (reentryOk,) = address(bridge).call(reentry);
        }
    }
}

/// @notice Shared setup and builders: a StakeManager with validators of known keys, the bridge, a dev token, the
///         EIP-712 digest computed from the spec (not through the contract), signature packing in ascending signer
///         order, and withdrawal trees with proofs.
abstract contract BridgeFixture is Test {
    BridgeVm internal constant bvm = BridgeVm(address(uint160(uint256(keccak256("hevm cheat code")))));

    /// @dev secp256k1 group order (EIP-2: s must be ≤ N / 2).
    uint256 internal constant N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
    uint256 internal constant MIN_STAKE = 1 ether;
    uint64 internal constant DELAY = 7 days;
    uint256 internal constant MAX_VALIDATORS = 200;
    address internal constant ETH = address(0);
    bytes32 internal constant CHECKPOINT_TYPEHASH = keccak256(
        "Checkpoint(uint64 number,uint64 startBlock,uint64 endBlock,bytes32 blocksRoot,bytes32 stateRoot,bytes32 withdrawalsRoot,uint32 withdrawalCount)"
    );

    StakeManager internal sm;
    SidechainBridge internal bridge;
    DevToken internal token;
    address internal alice;
    address internal bob;
    /// @dev Validator private keys, in the order staked (not sorted).
    uint256[] internal validatorKeys;

    event Deposited(uint256 indexed id, address indexed from, address indexed to, address token, uint256 amount);
    event CheckpointSubmitted(
        uint256 indexed number,
        uint64 startBlock,
        uint64 endBlock,
        bytes32 blocksRoot,
        bytes32 stateRoot,
        bytes32 withdrawalsRoot,
        uint32 withdrawalCount,
        address submitter
    );
    event WithdrawalFinalized(
        uint256 indexed id, address indexed to, address token, uint256 amount, uint256 checkpointNumber
    );
    event WithdrawalCredited(address indexed to, uint256 amount);
    event Claimed(address indexed account, uint256 amount);

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        sm = new StakeManager(MIN_STAKE, DELAY, MAX_VALIDATORS);
        bridge = new SidechainBridge(sm);
        alice = makeAddr("alice");
        bob = makeAddr("bob");
        address[] memory holders = new address[](2);
        holders[0] = alice;
        holders[1] = bob;
        token = new DevToken("Dev Token", "DEV", 18, holders, 1e27);
        vm.prank(alice);
        token.approve(address(bridge), type(uint256).max);
        vm.prank(bob);
        token.approve(address(bridge), type(uint256).max);
    }

    // -------------------------------------------------------------------------------------------- validators

    /// @dev The private key of validator `i` (distinct, non-zero, unrelated to the address order).
    function keyOf(uint256 i) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode("sidechain validator", i))) % (N - 1) + 1;
    }

    /// @dev Stakes `n` validators with `stakeEach` wei each.
    function stakeValidators(uint256 n, uint256 stakeEach) internal {
        for (uint256 i = 0; i < n; i++) {
            stakeKey(keyOf(validatorKeys.length), stakeEach);
        }
    }

    function stakeKey(uint256 pk, uint256 amount) internal {
        address who = vm.addr(pk);
        vm.deal(who, who.balance + amount);
        vm.prank(who);
        sm.stake{value: amount}();
        validatorKeys.push(pk);
    }

    /// @dev The first `k` validators (in staking order).
    function firstKeys(uint256 k) internal view returns (uint256[] memory keys) {
        keys = new uint256[](k);
        for (uint256 i = 0; i < k; i++) {
            keys[i] = validatorKeys[i];
        }
    }

    // ------------------------------------------------------------------------------------------- checkpoints

    /// @dev The smallest power strictly above ⅔ of `total` (docs/sidechain.md).
    function quorumOf(uint256 total) internal pure returns (uint256) {
        return (2 * total) / 3 + 1;
    }

    function domainSeparatorOf(address verifyingContract) internal view returns (bytes32) {
        return keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("l2kit sidechain bridge"),
                keccak256("1"),
                block.chainid,
                verifyingContract
            )
        );
    }

    function digestOf(address verifyingContract, SidechainBridge.Checkpoint memory cp) internal view returns (bytes32) {
        bytes32 structHash = keccak256(
            abi.encode(
                CHECKPOINT_TYPEHASH,
                cp.number,
                cp.startBlock,
                cp.endBlock,
                cp.blocksRoot,
                cp.stateRoot,
                cp.withdrawalsRoot,
                cp.withdrawalCount
            )
        );
        return keccak256(abi.encodePacked("\x19\x01", domainSeparatorOf(verifyingContract), structHash));
    }

    function sig(uint256 pk, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = bvm.sign(pk, digest);
        return abi.encodePacked(r, s, v);
    }

    /// @dev `keys` sorted by their addresses, ascending (insertion sort; the input is not modified).
    function sortedByAddress(uint256[] memory keys) internal pure returns (uint256[] memory out) {
        out = new uint256[](keys.length);
        for (uint256 i = 0; i < keys.length; i++) {
            uint256 k = keys[i];
            uint256 j = i;
            while (j > 0 && vm.addr(out[j - 1]) > vm.addr(k)) {
                out[j] = out[j - 1];
                j--;
            }
            out[j] = k;
        }
    }

    /// @dev The signatures of `digest` by `keys` concatenated in the given order.
    function packSigs(uint256[] memory keys, bytes32 digest) internal pure returns (bytes memory packed) {
        for (uint256 i = 0; i < keys.length; i++) {
            packed = bytes.concat(packed, sig(keys[i], digest));
        }
    }

    /// @dev The signatures of `cp` by `keys` for `bridge`, in ascending signer order.
    function signCheckpoint(SidechainBridge.Checkpoint memory cp, uint256[] memory keys)
        internal
        view
        returns (bytes memory)
    {
        return packSigs(sortedByAddress(keys), digestOf(address(bridge), cp));
    }

    /// @dev The next checkpoint (one block per checkpoint) committing to `leaves`.
    function nextCheckpoint(bytes32[] memory leaves) internal view returns (SidechainBridge.Checkpoint memory cp) {
        uint64 start = bridge.nextStartBlock();
        cp = SidechainBridge.Checkpoint({
            number: bridge.checkpointCount(),
            startBlock: start,
            endBlock: start,
            blocksRoot: keccak256(abi.encode("blocks", start)),
            stateRoot: keccak256(abi.encode("state", start)),
            withdrawalsRoot: WithdrawalTree.root(leaves),
            withdrawalCount: uint32(leaves.length)
        });
    }

    /// @dev Submits the next checkpoint over `leaves`, signed by `keys`; returns its number.
    function submitWith(bytes32[] memory leaves, uint256[] memory keys) internal returns (uint256 number) {
        SidechainBridge.Checkpoint memory cp = nextCheckpoint(leaves);
        bridge.submitCheckpoint(cp, signCheckpoint(cp, keys));
        return cp.number;
    }

    // ------------------------------------------------------------------------------------------- withdrawals

    function withdrawal(uint256 id, address to, address tok, uint256 amount)
        internal
        view
        returns (SidechainBridge.Withdrawal memory)
    {
        return SidechainBridge.Withdrawal({id: id, from: alice, to: to, token: tok, amount: amount});
    }

    /// @dev The leaf, computed from the spec (not through the contract).
    function leafOf(SidechainBridge.Withdrawal memory w) internal pure returns (bytes32) {
        return keccak256(abi.encode(w.id, w.from, w.to, w.token, w.amount));
    }

    function leavesOf(SidechainBridge.Withdrawal[] memory ws) internal pure returns (bytes32[] memory leaves) {
        leaves = new bytes32[](ws.length);
        for (uint256 i = 0; i < ws.length; i++) {
            leaves[i] = leafOf(ws[i]);
        }
    }

    function one(SidechainBridge.Withdrawal memory w) internal pure returns (SidechainBridge.Withdrawal[] memory ws) {
        ws = new SidechainBridge.Withdrawal[](1);
        ws[0] = w;
    }

    function depositEth(address from, uint256 amount) internal {
        vm.deal(from, from.balance + amount);
        vm.prank(from);
        bridge.depositETH{value: amount}(from);
    }
}
