// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

import {StakeManager} from "../../src/sidechain/StakeManager.sol";
import {BridgeFixture, BridgeVm, bconsole} from "./SidechainBridgeFixture.sol";

// forge-lint: disable-start(unsafe-typecast) test values are small

/// @notice BLS12-381 through the EIP-2537 precompiles (live on prague): min-pubkey-size BLS (public keys in G1,
///         signatures in G2), hash-to-G2 per RFC 9380 (`BLS12381G2_XMD:SHA-256_SSWU_RO_`: expand_message_xmd with
///         the SHA-256 precompile, four reductions mod p with MODEXP, two MAP_FP2_TO_G2, one G2ADD — the
///         precompile clears the cofactor of each mapped point, and clearing is additive). Points in EIP-2537's
///         encoding: an Fp element is 64 bytes big-endian (16 zero bytes, then 48), G1 = x ‖ y (128 bytes), G2 =
///         x.c0 ‖ x.c1 ‖ y.c0 ‖ y.c1 (256 bytes). Test-only: it measures what a BLS checkpoint verifier would cost.
library Bls {
    address internal constant SHA256 = address(0x02);
    address internal constant MODEXP = address(0x05);
    address internal constant G1ADD = address(0x0b);
    address internal constant G1MSM = address(0x0c);
    address internal constant G2ADD = address(0x0d);
    address internal constant G2MSM = address(0x0e);
    address internal constant PAIRING_CHECK = address(0x0f);
    address internal constant MAP_FP2_TO_G2 = address(0x11);

    /// @dev The ciphersuite's DSTs (draft-irtf-cfrg-bls-signature, proof-of-possession scheme).
    bytes internal constant SIG_DST = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";
    bytes internal constant POP_DST = "BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";

    /// @dev p as a 64-byte big-endian number (two words).
    bytes32 internal constant P_HI = 0x000000000000000000000000000000001a0111ea397fe69a4b1ba7b6434bacd7;
    bytes32 internal constant P_LO = 0x64774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab;

    /// @dev The G1 generator and its negation.
    bytes internal constant G1_GEN =
        hex"0000000000000000000000000000000017f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb0000000000000000000000000000000008b3f481e3aaa0f1a09e30ed741d8ae4fcf5e095d5d00af600db18cb2c04b3edd03cc744a2888ae40caa232946c5e7e1";
    bytes internal constant NEG_G1_GEN =
        hex"0000000000000000000000000000000017f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb00000000000000000000000000000000114d1d6855d545a8aa7d76c8cf2e21f267816aef1db507c96655b9d5caac42364e6f38ba0ecb751bad54dcd6b939c2ca";

    function call(address precompile, bytes memory input, uint256 outLength) internal view returns (bytes memory out) {
        out = new bytes(outLength);
        bool ok;
        assembly ("memory-safe") {
            ok := staticcall(gas(), precompile, add(input, 0x20), mload(input), add(out, 0x20), outLength)
        }
        require(ok, "precompile failed");
    }

    /// @dev expand_message_xmd(msg, dst, len) with SHA-256 (RFC 9380 §5.3.1).
    function expandMessageXmd(bytes memory message, bytes memory dst, uint256 len)
        internal
        pure
        returns (bytes memory uniform)
    {
        uint256 ell = (len + 31) / 32;
        require(ell <= 255 && dst.length <= 255 && len <= 65_535, "xmd bounds");
        bytes memory dstPrime = bytes.concat(dst, bytes1(uint8(dst.length)));
        bytes32 b0 = sha256(bytes.concat(new bytes(64), message, bytes2(uint16(len)), bytes1(0), dstPrime));
        bytes memory buf = bytes.concat(bytes32(0), bytes1(0), dstPrime);
        uniform = new bytes(ell * 32);
        bytes32 b = b0;
        for (uint256 i = 1; i <= ell; i++) {
            bytes32 input = i == 1 ? b0 : b0 ^ b;
            assembly ("memory-safe") {
                mstore(add(buf, 0x20), input)
                mstore8(add(buf, 0x40), i)
            }
            b = sha256(buf);
            assembly ("memory-safe") {
                mstore(add(uniform, mul(i, 0x20)), b)
            }
        }
        assembly ("memory-safe") {
            mstore(uniform, len)
        }
    }

    /// @dev hash_to_field(msg, 2) for Fp2: four 64-byte Fp elements u0.c0 ‖ u0.c1 ‖ u1.c0 ‖ u1.c1 (each reduced
    ///      mod p by MODEXP with exponent 1).
    function hashToFieldFp2(bytes memory message, bytes memory dst) internal view returns (bytes memory u) {
        bytes memory uniform = expandMessageXmd(message, dst, 256);
        u = new bytes(256);
        bytes memory input = new bytes(225);
        bool ok = true;
        assembly ("memory-safe") {
            let in := add(input, 0x20)
            mstore(in, 64)
            mstore(add(in, 0x20), 1)
            mstore(add(in, 0x40), 64)
            for { let j := 0 } lt(j, 4) { j := add(j, 1) } {
                let chunk := add(add(uniform, 0x20), mul(j, 64))
                mstore(add(in, 0x60), mload(chunk))
                mstore(add(in, 0x80), mload(add(chunk, 0x20)))
                mstore8(add(in, 0xa0), 1)
                mstore(add(in, 0xa1), P_HI)
                mstore(add(in, 0xc1), P_LO)
                ok := and(ok, staticcall(gas(), 0x05, in, 225, add(add(u, 0x20), mul(j, 64)), 64))
            }
        }
        require(ok, "modexp failed");
    }

    /// @dev hash_to_curve(msg) in G2: map both field elements (MAP_FP2_TO_G2 clears the cofactor) and add them.
    function hashToG2(bytes memory message, bytes memory dst) internal view returns (bytes memory) {
        bytes memory u = hashToFieldFp2(message, dst);
        bytes memory q = new bytes(512);
        bool ok;
        assembly ("memory-safe") {
            ok := staticcall(gas(), 0x11, add(u, 0x20), 128, add(q, 0x20), 256)
            ok := and(ok, staticcall(gas(), 0x11, add(u, 0xa0), 128, add(q, 0x120), 256))
        }
        require(ok, "map failed");
        return call(G2ADD, q, 256);
    }

    /// @dev e(p1, q1) · e(p2, q2) == 1.
    function pairing2(bytes memory p1, bytes memory q1, bytes memory p2, bytes memory q2) internal view returns (bool) {
        bytes memory out = call(PAIRING_CHECK, bytes.concat(p1, q1, p2, q2), 32);
        return uint8(out[31]) == 1;
    }

    function g1Mul(bytes memory point, uint256 scalar) internal view returns (bytes memory) {
        return call(G1MSM, bytes.concat(point, bytes32(scalar)), 128);
    }

    function g2Mul(bytes memory point, uint256 scalar) internal view returns (bytes memory) {
        return call(G2MSM, bytes.concat(point, bytes32(scalar)), 256);
    }

    /// @dev A 128-byte G1 point as 96 bytes (the two 48-byte coordinates).
    function pack96(bytes memory pk) internal pure returns (bytes memory out) {
        out = new bytes(96);
        for (uint256 i = 0; i < 48; i++) {
            out[i] = pk[16 + i];
            out[48 + i] = pk[80 + i];
        }
    }
}

/// @notice The bridge's ECDSA-list quorum check alone (the same loop as `SidechainBridge._checkQuorum`), so that
///         `submitCheckpoint` with BLS can be estimated as `ECDSA submit − this + a BLS verifier`.
contract EcdsaQuorumModel {
    StakeManager internal immutable sm;

    constructor(StakeManager sm_) {
        sm = sm_;
    }

    function verify(bytes32 digest, bytes calldata signatures) external view returns (bool) {
        uint256 length = signatures.length;
        require(length % 65 == 0, "length");
        uint256 n = length / 65;
        address previous;
        uint256 power;
        for (uint256 i = 0; i < n; i++) {
            bytes32 r;
            bytes32 s;
            uint8 v;
            assembly ("memory-safe") {
                let at := add(signatures.offset, mul(i, 65))
                r := calldataload(at)
                s := calldataload(add(at, 0x20))
                v := byte(0, calldataload(add(at, 0x40)))
            }
            (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, v, r, s);
            require(err == ECDSA.RecoverError.NoError && signer > previous, "signature");
            uint256 p = _powerOf(signer);
            require(p != 0, "not a validator");
            power += p;
            previous = signer;
        }
        require(power >= (2 * sm.totalPower()) / 3 + 1, "power");
        return true;
    }

    function _powerOf(address account) private view returns (uint256 power) {
        bytes4 selector = StakeManager.powerOf.selector;
        StakeManager m = sm;
        assembly ("memory-safe") {
            mstore(0x00, selector)
            mstore(0x04, account)
            if iszero(staticcall(gas(), m, 0x00, 0x24, 0x00, 0x20)) { revert(0x00, 0x00) }
            power := mload(0x00)
        }
    }
}

/// @dev The tail shared by the BLS verifiers: quorum, hash-to-G2 of the digest, one 2-pair pairing check
///      e(aggPk, H(m)) · e(−G1, sig) == 1. `acc` is the aggregate public key (128 bytes).
abstract contract BlsTail {
    /// @dev `buf` = acc (128) ‖ key (128), the key already written: acc = key for the first signer, else acc + key.
    function _absorb(bytes memory buf, bool first) internal view {
        bool ok = true;
        assembly ("memory-safe") {
            switch first
            case 0 { ok := staticcall(gas(), 0x0b, add(buf, 0x20), 256, add(buf, 0x20), 128) }
            default { mcopy(add(buf, 0x20), add(buf, 0xa0), 128) }
        }
        require(ok, "g1add");
    }

    function _finish(bytes32 digest, bytes memory acc, uint256 signed, uint256 total, bytes calldata sig)
        internal
        view
        returns (bool)
    {
        require(signed >= (2 * total) / 3 + 1, "power");
        bytes memory h = Bls.hashToG2(abi.encodePacked(digest), Bls.SIG_DST);
        return Bls.pairing2(acc, h, Bls.NEG_G1_GEN, sig);
    }
}

/// @notice BLS variant A — public keys in storage: per validator 3 slots of key (96 bytes) + 1 of power, written
///         once at registration (with a proof of possession, which rogue-key safety requires).
contract BlsStoredKeysModel is BlsTail {
    struct Key {
        bytes32 w0;
        bytes32 w1;
        bytes32 w2;
        uint256 power;
    }

    mapping(uint256 index => Key) internal keys;
    uint128 internal count;
    uint128 internal totalPower;

    /// @notice Registers a G1 key (128-byte encoding) with `power`, after checking its proof of possession `pop`
    ///         (a signature of keccak256(pk) under the PoP DST).
    function register(bytes calldata pk, uint256 power, bytes calldata pop) external {
        bytes memory h = Bls.hashToG2(abi.encodePacked(keccak256(pk)), Bls.POP_DST);
        require(Bls.pairing2(pk, h, Bls.NEG_G1_GEN, pop), "bad proof of possession");
        Key storage k = keys[count];
        bytes32 w0;
        bytes32 w1;
        bytes32 w2;
        assembly ("memory-safe") {
            w0 := calldataload(add(pk.offset, 16))
            w1 := or(
                and(calldataload(add(pk.offset, 48)), not(0xffffffffffffffffffffffffffffffff)),
                shr(128, calldataload(add(pk.offset, 80)))
            )
            w2 := calldataload(add(pk.offset, 96))
        }
        (k.w0, k.w1, k.w2, k.power) = (w0, w1, w2, power);
        count += 1;
        totalPower += uint128(power);
    }

    function _writeKey(bytes memory buf, Key storage k) private view returns (uint256) {
        bytes32 w0 = k.w0;
        bytes32 w1 = k.w1;
        bytes32 w2 = k.w2;
        assembly ("memory-safe") {
            let p := add(buf, 0xa0)
            mstore(p, 0)
            mstore(add(p, 16), w0)
            mstore(add(p, 48), and(w1, not(0xffffffffffffffffffffffffffffffff)))
            mstore(add(p, 80), shl(128, w1))
            mstore(add(p, 96), w2)
        }
        return k.power;
    }

    /// @notice Checks the aggregate signature `sig` (256 bytes) of `digest` by the validators whose bits are set in
    ///         `bitmap` (bit i = byte i/8, bit i%8).
    function verify(bytes32 digest, bytes calldata bitmap, bytes calldata sig) external view returns (bool) {
        uint256 n = count;
        uint256 total = totalPower;
        require(bitmap.length == (n + 7) / 8, "bitmap");
        bytes memory buf = new bytes(256); // acc ‖ next key
        uint256 signed;
        bool first = true;
        for (uint256 i = 0; i < n; i++) {
            if ((uint8(bitmap[i >> 3]) >> (i & 7)) & 1 == 0) continue;
            signed += _writeKey(buf, keys[i]);
            _absorb(buf, first);
            first = false;
        }
        assembly ("memory-safe") {
            mstore(buf, 128)
        }
        return _finish(digest, buf, signed, total, sig);
    }
}

/// @notice BLS variant B — the set (n × (x 48 ‖ y 48 ‖ power 16) bytes) passed in calldata with every checkpoint and
///         checked against its stored hash: no key storage, but every validator's 112 bytes of calldata each time.
contract BlsCalldataSetModel is BlsTail {
    bytes32 internal setHash;

    function setSet(bytes calldata set) external {
        setHash = keccak256(set);
    }

    function verify(bytes32 digest, bytes calldata set, bytes calldata bitmap, bytes calldata sig)
        external
        view
        returns (bool)
    {
        require(keccak256(set) == setHash, "set");
        uint256 n = set.length / 112;
        require(bitmap.length == (n + 7) / 8, "bitmap");
        bytes memory buf = new bytes(256);
        uint256 signed;
        uint256 total;
        bool first = true;
        for (uint256 i = 0; i < n; i++) {
            uint256 rec;
            uint256 power;
            assembly ("memory-safe") {
                rec := add(set.offset, mul(i, 112))
                power := shr(128, calldataload(add(rec, 96)))
            }
            total += power;
            if ((uint8(bitmap[i >> 3]) >> (i & 7)) & 1 == 0) continue;
            signed += power;
            assembly ("memory-safe") {
                let p := add(buf, 0xa0)
                mstore(p, 0)
                calldatacopy(add(p, 16), rec, 48)
                mstore(add(p, 64), 0)
                calldatacopy(add(p, 80), add(rec, 48), 48)
            }
            _absorb(buf, first);
            first = false;
        }
        assembly ("memory-safe") {
            mstore(buf, 128)
        }
        return _finish(digest, buf, signed, total, sig);
    }
}

/// @notice BLS variant C — the set snapshot stored as contract code (SSTORE2: one EXTCODECOPY per checkpoint, 200
///         gas per byte once per set change).
contract BlsCodeSetModel is BlsTail {
    address internal pointer;

    /// @notice Deploys the snapshot (a STOP byte, then the records) and points to it.
    function setSet(bytes calldata set) external {
        bytes memory init = abi.encodePacked(hex"61", uint16(set.length + 1), hex"80600a3d393df300", set);
        address p;
        assembly ("memory-safe") {
            p := create(0, add(init, 0x20), mload(init))
        }
        require(p != address(0), "create");
        pointer = p;
    }

    function verify(bytes32 digest, bytes calldata bitmap, bytes calldata sig) external view returns (bool) {
        bytes memory set = _loadSet();
        require(bitmap.length == (set.length / 112 + 7) / 8, "bitmap");
        bytes memory buf = new bytes(256);
        (uint256 signed, uint256 total) = _aggregate(set, bitmap, buf);
        assembly ("memory-safe") {
            mstore(buf, 128)
        }
        return _finish(digest, buf, signed, total, sig);
    }

    function _loadSet() private view returns (bytes memory set) {
        address p = pointer;
        uint256 size = p.code.length - 1;
        set = new bytes(size);
        assembly ("memory-safe") {
            extcodecopy(p, add(set, 0x20), 1, size)
        }
    }

    function _aggregate(bytes memory set, bytes calldata bitmap, bytes memory buf)
        private
        view
        returns (uint256 signed, uint256 total)
    {
        uint256 n = set.length / 112;
        bool first = true;
        for (uint256 i = 0; i < n; i++) {
            uint256 rec;
            uint256 power;
            assembly ("memory-safe") {
                rec := add(add(set, 0x20), mul(i, 112))
                power := shr(128, mload(add(rec, 96)))
            }
            total += power;
            if ((uint8(bitmap[i >> 3]) >> (i & 7)) & 1 == 0) continue;
            signed += power;
            assembly ("memory-safe") {
                let q := add(buf, 0xa0)
                mstore(q, 0)
                mcopy(add(q, 16), rec, 48)
                mstore(add(q, 64), 0)
                mcopy(add(q, 80), add(rec, 48), 48)
            }
            _absorb(buf, first);
            first = false;
        }
    }
}

/// @notice The primitives: availability of the EIP-2537 precompiles, the RFC 9380 expand_message_xmd vectors, our
///         hash-to-G2 against the noble-curves library's `bls12_381.G2.hashToCurve`, and a real aggregate signature verified.
contract BlsPrimitivesTest is BridgeFixture {
    function test_expandMessageXmd_rfc9380Vectors() public pure {
        bytes memory dst = "QUUX-V01-CS02-with-expander-SHA256-128";
        assertEq(
            bytes32(Bls.expandMessageXmd("", dst, 32)),
            0x68a985b87eb6b46952128911f2a4412bbc302a9d759667f87f7a21d803f07235
        );
        assertEq(
            bytes32(Bls.expandMessageXmd("abc", dst, 32)),
            0xd8ccab23b5985ccea865c6c97b6e5b8350e794e603b4b97902f53a8a0d605615
        );
    }

    /// @dev Expected: `bls12_381.G2.hashToCurve(0x11 × 32, { DST: SIG_DST }).toAffine()` (noble-curves 2.4.0, npm).
    function test_hashToG2_matchesNoble() public view {
        bytes memory h = Bls.hashToG2(
            abi.encodePacked(bytes32(0x1111111111111111111111111111111111111111111111111111111111111111)), Bls.SIG_DST
        );
        bytes memory expected = abi.encodePacked(
            bytes16(0),
            hex"06ee78bc8f2dec556b1fc39b04afe2126b9817c06dc3a62eebea7015bc5e5f83209b3b632351b8b32442ea4df23425cb",
            bytes16(0),
            hex"160a054c6de9a3df5ba20bdb88a06e0af04e27fccf362e3469b11ba80243ad6e78fc020c8fc79cc26c489731f7be1959",
            bytes16(0),
            hex"01e519a10826c01e6492cf454c3b4fe21103add791f18c950f4202ff9e4be43e8b15185d25e6ae64f23e1c861b5e1a83",
            bytes16(0),
            hex"134607d8f6cd2b673a9d3283ec12f593d3bcb787d5d6198f3ad472e680eff430e95c708d1d880ac65fa080e74ef5e36b"
        );
        assertEq(keccak256(h), keccak256(expected), "hash-to-G2 differs from RFC 9380 (noble)");
    }

    function test_aggregateSignatureVerifies() public view {
        bytes32 digest = keccak256("checkpoint");
        bytes memory h = Bls.hashToG2(abi.encodePacked(digest), Bls.SIG_DST);
        uint256 sk1 = 1234;
        uint256 sk2 = 98_765;
        bytes memory pk = Bls.call(Bls.G1ADD, bytes.concat(Bls.g1Mul(Bls.G1_GEN, sk1), Bls.g1Mul(Bls.G1_GEN, sk2)), 128);
        bytes memory sig = Bls.call(Bls.G2ADD, bytes.concat(Bls.g2Mul(h, sk1), Bls.g2Mul(h, sk2)), 256);
        assertTrue(Bls.pairing2(pk, h, Bls.NEG_G1_GEN, sig), "valid aggregate");
        bytes memory other = Bls.hashToG2(abi.encodePacked(keccak256("another")), Bls.SIG_DST);
        assertFalse(Bls.pairing2(pk, other, Bls.NEG_G1_GEN, sig), "wrong message");
        assertFalse(Bls.pairing2(Bls.g1Mul(Bls.G1_GEN, sk1), h, Bls.NEG_G1_GEN, sig), "missing signer");
    }
}

/// @notice ECDSA list vs BLS aggregate for `n` equal-stake validators, the first `k` signing (the smallest quorum).
///         Every verifier is prepared in setUp and measured alone in its own test (cold storage), as a whole
///         transaction: 21,000 + calldata (with EIP-7623's floor) + execution, like SidechainBridgeGas.
abstract contract BlsVsEcdsaBase is BridgeFixture {
    bytes32 internal constant DIGEST = keccak256("a checkpoint digest");

    EcdsaQuorumModel internal ecdsa;
    BlsStoredKeysModel internal stored;
    BlsCalldataSetModel internal viaCalldata;
    BlsCodeSetModel internal viaCode;
    bytes internal ecdsaCall;
    bytes internal storedCall;
    bytes internal calldataCall;
    bytes internal codeCall;
    bytes internal registerCall;
    bytes internal snapshotCall;
    bytes internal set;

    function n() internal pure virtual returns (uint256);

    function k() internal pure virtual returns (uint256);

    function setUp() public override {
        super.setUp();
        stakeValidators(n(), 10 ether);
        ecdsa = new EcdsaQuorumModel(sm);
        ecdsaCall = abi.encodeCall(EcdsaQuorumModel.verify, (DIGEST, packSigs(sortedByAddress(firstKeys(k())), DIGEST)));

        stored = new BlsStoredKeysModel();
        viaCalldata = new BlsCalldataSetModel();
        viaCode = new BlsCodeSetModel();
        bytes memory bitmap = new bytes((n() + 7) / 8);
        uint256 skSum;
        for (uint256 i = 0; i < n(); i++) {
            _addValidator(i);
            if (i < k()) {
                bitmap[i >> 3] = bytes1(uint8(bitmap[i >> 3]) | uint8(2 ** (i & 7)));
                skSum += 1000 + i;
            }
        }
        viaCalldata.setSet(set);
        snapshotCall = abi.encodeCall(BlsCodeSetModel.setSet, (set));
        viaCode.setSet(set);
        bytes memory sig = Bls.g2Mul(Bls.hashToG2(abi.encodePacked(DIGEST), Bls.SIG_DST), skSum);
        storedCall = abi.encodeCall(BlsStoredKeysModel.verify, (DIGEST, bitmap, sig));
        calldataCall = abi.encodeCall(BlsCalldataSetModel.verify, (DIGEST, set, bitmap, sig));
        codeCall = abi.encodeCall(BlsCodeSetModel.verify, (DIGEST, bitmap, sig));
    }

    /// @dev Validator `i` (secret key 1000 + i): registered in the stored-keys model (the last one is left for the
    ///      measured registration) and appended to the set records.
    function _addValidator(uint256 i) internal {
        uint256 sk = 1000 + i;
        bytes memory pk = Bls.g1Mul(Bls.G1_GEN, sk);
        bytes memory pop = Bls.g2Mul(Bls.hashToG2(abi.encodePacked(keccak256(pk)), Bls.POP_DST), sk);
        bytes memory reg = abi.encodeCall(BlsStoredKeysModel.register, (pk, 10 ether, pop));
        if (i == n() - 1) registerCall = reg;
        else _call(address(stored), reg);
        set = bytes.concat(set, Bls.pack96(pk), bytes16(uint128(10 ether)));
    }

    function _call(address target, bytes memory data) internal returns (bytes memory ret) {
        bool ok;
        (ok, ret) = target.call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
    }

    function measure(string memory what, address target, bytes memory data) internal returns (uint256 txGas) {
        bytes memory ret = _call(target, data);
        if (ret.length == 32) assertTrue(abi.decode(ret, (bool)), "the signature must verify");
        BridgeVm.Gas memory used = bvm.lastCallGas();
        uint256 standard;
        uint256 floor;
        for (uint256 i = 0; i < data.length; i++) {
            standard += data[i] == 0 ? 4 : 16;
            floor += data[i] == 0 ? 10 : 40;
        }
        txGas = 21_000 + standard + used.gasTotalUsed;
        if (21_000 + floor > txGas) txGas = 21_000 + floor;
        string memory label = string.concat(vm.toString(k()), "-of-", vm.toString(n()), " ", what);
        bconsole.log(string.concat(label, ": execution"), used.gasTotalUsed);
        bconsole.log(string.concat(label, ": calldata"), standard);
        bconsole.log(string.concat(label, ": tx total"), txGas);
    }

    function test_gas_ecdsaList() public {
        measure("ECDSA list (verification only)", address(ecdsa), ecdsaCall);
    }

    function test_gas_blsStoredKeys() public {
        measure("BLS, keys in storage (verification only)", address(stored), storedCall);
    }

    function test_gas_blsCalldataSet() public {
        measure("BLS, set in calldata (verification only)", address(viaCalldata), calldataCall);
    }

    function test_gas_blsCodeSet() public {
        measure("BLS, set as code (verification only)", address(viaCode), codeCall);
    }

    function test_gas_blsRegisterKeyWithPop() public {
        measure("BLS register one key (3+1 slots, PoP pairing)", address(stored), registerCall);
    }

    function test_gas_blsSnapshotSet() public {
        measure("BLS set snapshot as code (per set change)", address(viaCode), snapshotCall);
    }
}

contract BlsVsEcdsa4Test is BlsVsEcdsaBase {
    function n() internal pure override returns (uint256) {
        return 4;
    }

    function k() internal pure override returns (uint256) {
        return 3;
    }
}

contract BlsVsEcdsa7Test is BlsVsEcdsaBase {
    function n() internal pure override returns (uint256) {
        return 7;
    }

    function k() internal pure override returns (uint256) {
        return 5;
    }
}

contract BlsVsEcdsa10Test is BlsVsEcdsaBase {
    function n() internal pure override returns (uint256) {
        return 10;
    }

    function k() internal pure override returns (uint256) {
        return 7;
    }
}

contract BlsVsEcdsa21Test is BlsVsEcdsaBase {
    function n() internal pure override returns (uint256) {
        return 21;
    }

    function k() internal pure override returns (uint256) {
        return 15;
    }
}

contract BlsVsEcdsa100Test is BlsVsEcdsaBase {
    function n() internal pure override returns (uint256) {
        return 100;
    }

    function k() internal pure override returns (uint256) {
        return 67;
    }
}

/// @notice Around the crossover of the set-as-code variant with the ECDSA list.
contract BlsVsEcdsa31Test is BlsVsEcdsaBase {
    function n() internal pure override returns (uint256) {
        return 31;
    }

    function k() internal pure override returns (uint256) {
        return 21;
    }
}

contract BlsVsEcdsa40Test is BlsVsEcdsaBase {
    function n() internal pure override returns (uint256) {
        return 40;
    }

    function k() internal pure override returns (uint256) {
        return 27;
    }
}

contract BlsVsEcdsa50Test is BlsVsEcdsaBase {
    function n() internal pure override returns (uint256) {
        return 50;
    }

    function k() internal pure override returns (uint256) {
        return 34;
    }
}

contract BlsVsEcdsa60Test is BlsVsEcdsaBase {
    function n() internal pure override returns (uint256) {
        return 60;
    }

    function k() internal pure override returns (uint256) {
        return 41;
    }
}
