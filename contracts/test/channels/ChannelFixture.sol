// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

import {ChannelHub} from "../../src/channels/ChannelHub.sol";
import {PreimageRegistry} from "../../src/channels/PreimageRegistry.sol";
import {DevToken} from "../../src/common/DevToken.sol";
import {Test} from "../utils/Test.sol";

/// @notice Cheatcodes the channel tests need beyond test/utils/Vm.sol (signatures match forge's).
interface ChannelVm {
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

/// @notice ERC-20 that burns 1% of every transfer (the hub must refuse to open with it).
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

/// @notice ERC-20 whose transfers to a blocked account revert (as USDC's blocklist).
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

/// @notice Code etched onto a party's address (as an EIP-7702 delegation would): refuses ETH while `reject`
///         (storage slot 0) is set, else accepts it.
contract TogglingReceiver {
    bool public reject;

    function setReject(bool value) external {
        reject = value;
    }

    receive() external payable {
        require(!reject, "rejected");
    }
}

/// @notice Code etched onto a party's address: burns all the gas it is given when receiving ETH.
contract GasBurner {
    receive() external payable {
        while (true) {}
    }
}

/// @notice Code etched onto a party's address: re-enters the hub (settle / withdraw) when receiving ETH.
contract Reenterer {
    receive() external payable {
        ChannelHub(msg.sender).withdraw(address(0));
    }
}

/// @notice Shared setup and helpers: a hub with its registry, parties with known keys (A, B, and a stranger), a dev
///         token, and builders for channels, states, HTLCs and EIP-712 signatures computed independently of the hub.
abstract contract ChannelFixture is Test {
    ChannelVm internal constant cvm = ChannelVm(address(uint160(uint256(keccak256("hevm cheat code")))));

    /// @dev secp256k1 group order (EIP-2: s must be ≤ N / 2).
    uint256 internal constant N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
    uint64 internal constant WINDOW = 1 days;
    uint256 internal constant TOTAL = 10 ether;
    uint256 internal constant T0 = 1_700_000_000;

    uint256 internal constant PK_A = 0xA11CE;
    uint256 internal constant PK_B = 0xB0B;
    uint256 internal constant PK_C = 0xCA401;

    PreimageRegistry internal registry;
    ChannelHub internal hub;
    DevToken internal token;
    address internal alice;
    address internal bob;
    /// @dev A third key: a stranger, a watchtower, or a wrong signer.
    address internal carol;

    event ChannelOpened(
        bytes32 indexed channelId,
        address indexed partyA,
        address indexed partyB,
        address token,
        uint256 total,
        uint64 disputeWindow,
        uint64 nonce
    );
    event ChannelClosing(
        bytes32 indexed channelId,
        address indexed submitter,
        uint64 seq,
        uint256 balanceA,
        uint256 balanceB,
        bytes32 htlcsHash,
        ChannelHub.Htlc[] htlcs,
        uint64 deadline
    );
    event ChannelDisputed(
        bytes32 indexed channelId,
        address indexed submitter,
        address indexed caller,
        uint64 seq,
        uint256 balanceA,
        uint256 balanceB,
        bytes32 htlcsHash,
        ChannelHub.Htlc[] htlcs,
        uint64 deadline
    );
    event ChannelPenalized(
        bytes32 indexed channelId, address indexed cheater, address indexed victim, uint64 revokedSeq, uint256 amount
    );
    event ChannelSettled(bytes32 indexed channelId, uint256 paidA, uint256 paidB);
    event ChannelClosedCooperatively(bytes32 indexed channelId, uint256 paidA, uint256 paidB);
    event PayoutCredited(address indexed token, address indexed owner, uint256 amount);
    event Withdrawn(address indexed token, address indexed owner, uint256 amount);
    event PreimageRevealed(bytes32 indexed hash, bytes32 preimage);

    function setUp() public virtual {
        vm.warp(T0);
        alice = vm.addr(PK_A);
        bob = vm.addr(PK_B);
        carol = vm.addr(PK_C);
        vm.label(alice, "alice");
        vm.label(bob, "bob");
        vm.label(carol, "carol");
        registry = new PreimageRegistry();
        hub = new ChannelHub(registry);
        address[] memory holders = new address[](2);
        holders[0] = alice;
        holders[1] = bob;
        token = new DevToken("Dev Token", "DEV", 18, holders, 1_000_000 ether);
        vm.prank(alice);
        token.approve(address(hub), type(uint256).max);
        vm.prank(bob);
        token.approve(address(hub), type(uint256).max);
        vm.deal(alice, 1_000 ether);
        vm.deal(bob, 1 ether);
        vm.deal(carol, 1 ether);
    }

    // ------------------------------------------------------------------------------------------------ builders

    function channel(address token_, uint256 total, uint64 nonce) internal view returns (ChannelHub.Channel memory) {
        return ChannelHub.Channel(alice, bob, token_, total, WINDOW, nonce);
    }

    function ethChannel() internal view returns (ChannelHub.Channel memory) {
        return channel(address(0), TOTAL, 0);
    }

    /// @dev The id, computed as the spec says (not through the hub).
    function idOf(ChannelHub.Channel memory ch) internal view returns (bytes32) {
        return keccak256(abi.encode(block.chainid, address(hub), ch));
    }

    function open(ChannelHub.Channel memory ch) internal returns (bytes32 id) {
        vm.deal(ch.partyA, ch.partyA.balance + (ch.token == address(0) ? ch.total : 0));
        vm.prank(ch.partyA);
        id = hub.open{value: ch.token == address(0) ? ch.total : 0}(ch);
    }

    function noHtlcs() internal pure returns (ChannelHub.Htlc[] memory) {
        return new ChannelHub.Htlc[](0);
    }

    function oneHtlc(uint8 direction, uint256 amount, bytes32 hash, uint64 expiry)
        internal
        pure
        returns (ChannelHub.Htlc[] memory hs)
    {
        hs = new ChannelHub.Htlc[](1);
        hs[0] = ChannelHub.Htlc(direction, amount, hash, expiry);
    }

    function hashHtlcs(ChannelHub.Htlc[] memory hs) internal pure returns (bytes32) {
        return keccak256(abi.encode(hs));
    }

    function stateOf(ChannelHub.Channel memory ch, uint64 seq, uint256 a, uint256 b, ChannelHub.Htlc[] memory hs)
        internal
        view
        returns (ChannelHub.State memory)
    {
        return ChannelHub.State(idOf(ch), seq, a, b, hashHtlcs(hs));
    }

    function paymentHash(bytes32 preimage) internal pure returns (bytes32) {
        return sha256(abi.encode(preimage));
    }

    // -------------------------------------------------------------------------------------------- EIP-712

    function domainSeparator() internal view returns (bytes32) {
        return keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("l2kit channels"),
                keccak256("1"),
                block.chainid,
                address(hub)
            )
        );
    }

    function digestOf(bytes32 structHash) internal view returns (bytes32) {
        return keccak256(abi.encodePacked("\x19\x01", domainSeparator(), structHash));
    }

    function stateDigest(ChannelHub.State memory s) internal view returns (bytes32) {
        return digestOf(
            keccak256(
                abi.encode(
                    keccak256(
                        "State(bytes32 channelId,uint64 seq,uint256 balanceA,uint256 balanceB,bytes32 htlcsHash)"
                    ),
                    s.channelId,
                    s.seq,
                    s.balanceA,
                    s.balanceB,
                    s.htlcsHash
                )
            )
        );
    }

    function revocationDigest(bytes32 id, uint64 seq) internal view returns (bytes32) {
        return digestOf(keccak256(abi.encode(keccak256("Revocation(bytes32 channelId,uint64 seq)"), id, seq)));
    }

    function coopDigest(bytes32 id, uint256 a, uint256 b) internal view returns (bytes32) {
        return digestOf(
            keccak256(
                abi.encode(keccak256("CooperativeClose(bytes32 channelId,uint256 balanceA,uint256 balanceB)"), id, a, b)
            )
        );
    }

    /// @dev A 65-byte `r ‖ s ‖ v` signature (forge signs with low s).
    function sign(uint256 pk, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = cvm.sign(pk, digest);
        return abi.encodePacked(r, s, v);
    }

    /// @dev The same signature's malleable twin: s' = N − s, v flipped (ecrecover accepts it, EIP-2 does not).
    function highS(bytes memory sig) internal pure returns (bytes memory) {
        (bytes32 r, bytes32 s, uint8 v) = split(sig);
        return abi.encodePacked(r, bytes32(N - uint256(s)), v == 27 ? uint8(28) : uint8(27));
    }

    function split(bytes memory sig) internal pure returns (bytes32 r, bytes32 s, uint8 v) {
        assembly ("memory-safe") {
            r := mload(add(sig, 0x20))
            s := mload(add(sig, 0x40))
            v := byte(0, mload(add(sig, 0x60)))
        }
    }

    function signState(uint256 pk, ChannelHub.State memory s) internal view returns (bytes memory) {
        return sign(pk, stateDigest(s));
    }

    // ----------------------------------------------------------------------------------------- flows

    /// @dev Closes `ch` unilaterally (by `closer`) with state `seq` signed by both keys.
    function closeWith(
        ChannelHub.Channel memory ch,
        address closer,
        uint64 seq,
        uint256 a,
        uint256 b,
        ChannelHub.Htlc[] memory hs
    ) internal returns (ChannelHub.State memory s) {
        s = stateOf(ch, seq, a, b, hs);
        bytes memory sigA = seq == 0 ? bytes("") : signState(PK_A, s);
        bytes memory sigB = seq == 0 ? bytes("") : signState(PK_B, s);
        vm.prank(closer);
        hub.closeUnilateral(ch, s, hs, sigA, sigB);
    }

    function disputeWith(
        ChannelHub.Channel memory ch,
        address caller,
        uint64 seq,
        uint256 a,
        uint256 b,
        ChannelHub.Htlc[] memory hs
    ) internal returns (ChannelHub.State memory s) {
        s = stateOf(ch, seq, a, b, hs);
        bytes memory sigA = signState(PK_A, s);
        bytes memory sigB = signState(PK_B, s);
        vm.prank(caller);
        hub.dispute(ch, s, hs, sigA, sigB);
    }

    function phaseOf(bytes32 id) internal view returns (ChannelHub.Phase phase) {
        (phase,,,) = hub.status(id);
    }
}
