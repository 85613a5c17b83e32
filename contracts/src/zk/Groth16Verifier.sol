// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IGroth16Verifier} from "./IGroth16Verifier.sol";

/// @title Groth16Verifier
/// @notice Generic Groth16 verifier over BN254 for circuits with exactly ONE public input. The verification key is
///         given to the constructor and kept in immutables, so one audited contract serves every circuit.
/// @dev Checks `e(A, B) = e(α, β) · e(vk_x, γ) · e(C, δ)` with `vk_x = IC0 + input · IC1`, as
///      `e(−A, B) · e(α, β) · e(vk_x, γ) · e(C, δ) = 1` on the pairing precompile (EIP-197).
///
///      Proof words (`uint256[8]`): `[A.x, A.y, B.x1, B.x0, B.y1, B.y0, C.x, C.y]`, i.e. from snarkjs's proof JSON
///      `[pi_a[0], pi_a[1], pi_b[0][1], pi_b[0][0], pi_b[1][1], pi_b[1][0], pi_c[0], pi_c[1]]`: G2 coordinates are
///      `c0 + c1·u` in F_q² and the precompile takes `c1` (imaginary part) first, exactly as snarkjs's exported
///      verifier (templates/verifier_groth16.sol.ejs) passes them. The verification key uses the same G2 order
///      (`beta2 = [vk_beta_2[0][1], vk_beta_2[0][0], vk_beta_2[1][1], vk_beta_2[1][0]]`, same for gamma and delta).
///
///      Batches: k proofs are checked with one random linear combination, in k + 3 pairings:
///      `Π e(−r_i·A_i, B_i) · e((Σ r_i)·α, β) · e(Σ r_i·vk_x_i, γ) · e(Σ r_i·C_i, δ) = 1`, where
///      `Σ r_i·vk_x_i = (Σ r_i)·IC0 + (Σ r_i·input_i)·IC1`. The coefficients are Fiat–Shamir: `r_0 = 1` and
///      `r_i = keccak256(seed ‖ i) >> 128` (128 bits, 1 if that is 0) for i ≥ 1 with
///      `seed = keccak256(abi.encode(proofs, inputs))`: a prover who cannot grind 2^128 hashes cannot make invalid
///      proofs cancel out. Cost: 2 ecMul + 1 ecAdd + 1 pairing per proof after the first, 3 ecMul + 3 pairings more.
///
///      Inputs must be below the scalar field modulus r (`PublicInputNotInField`). A proof whose points are not on
///      the curve (or have a coordinate ≥ q) is rejected (false). Every precompile call that fails — out of gas, or a
///      G2 point on the twist but outside the order-r subgroup, which only the pairing precompile checks — reverts
///      with `PrecompileFailed`: a snarkjs-style verifier returns false there, and then a call with too little gas
///      looks like "valid call, invalid proof" to `eth_estimateGas` and to contracts that do not revert on false.
contract Groth16Verifier is IGroth16Verifier {
    /// @notice A verification key (snarkjs `verification_key.json` with nPublic = 1), G2 points in EVM order.
    /// @param alpha1 `[vk_alpha_1[0], vk_alpha_1[1]]`.
    /// @param beta2 `[vk_beta_2[0][1], vk_beta_2[0][0], vk_beta_2[1][1], vk_beta_2[1][0]]`.
    /// @param gamma2 Same layout as `beta2`, from `vk_gamma_2`.
    /// @param delta2 Same layout as `beta2`, from `vk_delta_2`.
    /// @param ic0 `[IC[0][0], IC[0][1]]`.
    /// @param ic1 `[IC[1][0], IC[1][1]]`.
    struct VerifyingKey {
        uint256[2] alpha1;
        uint256[4] beta2;
        uint256[4] gamma2;
        uint256[4] delta2;
        uint256[2] ic0;
        uint256[2] ic1;
    }

    /// @notice BN254 scalar field modulus (public inputs are elements of it).
    uint256 public constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @notice BN254 base field modulus (point coordinates are elements of it).
    uint256 public constant Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583;
    /// @dev The twist's `b' = 3 / (9 + u)` (real, imaginary): G2 is `y² = x³ + b'` over F_q².
    uint256 private constant TWIST_B0 = 19485874751759354771024239261021720505790618469301721065564631296452457478373;
    uint256 private constant TWIST_B1 = 266929791119991161246907387137283842545076965332900288569378510910307636690;
    /// @dev Precompile addresses (EIP-196, EIP-197).
    uint256 private constant EC_ADD = 6;
    uint256 private constant EC_MUL = 7;
    uint256 private constant EC_PAIRING = 8;

    uint256 private immutable ALPHA_X;
    uint256 private immutable ALPHA_Y;
    uint256 private immutable BETA_X1;
    uint256 private immutable BETA_X0;
    uint256 private immutable BETA_Y1;
    uint256 private immutable BETA_Y0;
    uint256 private immutable GAMMA_X1;
    uint256 private immutable GAMMA_X0;
    uint256 private immutable GAMMA_Y1;
    uint256 private immutable GAMMA_Y0;
    uint256 private immutable DELTA_X1;
    uint256 private immutable DELTA_X0;
    uint256 private immutable DELTA_Y1;
    uint256 private immutable DELTA_Y0;
    uint256 private immutable IC0_X;
    uint256 private immutable IC0_Y;
    uint256 private immutable IC1_X;
    uint256 private immutable IC1_Y;

    /// @notice A point of the verification key is malformed: 0 = alpha1, 1 = beta2, 2 = gamma2, 3 = delta2, 4 = ic0,
    ///         5 = ic1 (off the curve, a coordinate ≥ q, the point at infinity for alpha/beta/gamma/delta, or a G2 point
    ///         outside the order-r subgroup).
    error InvalidVerifyingKey(uint256 point);
    /// @notice Public input `index` is not below the scalar field modulus `R`.
    error PublicInputNotInField(uint256 index, uint256 input);
    /// @notice `verifyBatch` with no proofs.
    error EmptyBatch();
    /// @notice `verifyBatch` with different numbers of proofs and inputs.
    error BatchLengthMismatch(uint256 proofs, uint256 inputs);
    /// @notice A call to precompile `precompile` (6 = ecAdd, 7 = ecMul, 8 = ecPairing) failed: out of gas, or a G2
    ///         point of the proof outside the order-r subgroup.
    error PrecompileFailed(uint256 precompile);

    /// @param vk The circuit's verification key (see `VerifyingKey` for the word order).
    constructor(VerifyingKey memory vk) {
        if (!_g1Ok(vk.alpha1[0], vk.alpha1[1]) || (vk.alpha1[0] | vk.alpha1[1]) == 0) revert InvalidVerifyingKey(0);
        if (!_g2Ok(vk.beta2) || _isZero(vk.beta2)) revert InvalidVerifyingKey(1);
        if (!_g2Ok(vk.gamma2) || _isZero(vk.gamma2)) revert InvalidVerifyingKey(2);
        if (!_g2Ok(vk.delta2) || _isZero(vk.delta2)) revert InvalidVerifyingKey(3);
        if (!_g1Ok(vk.ic0[0], vk.ic0[1])) revert InvalidVerifyingKey(4);
        if (!_g1Ok(vk.ic1[0], vk.ic1[1])) revert InvalidVerifyingKey(5);
        // The pairing precompile checks G2 subgroup membership: pair each G2 point with the G1 point at infinity.
        for (uint256 i = 1; i <= 3; i++) {
            uint256[4] memory g2 = i == 1 ? vk.beta2 : i == 2 ? vk.gamma2 : vk.delta2;
            uint256[6] memory input = [uint256(0), 0, g2[0], g2[1], g2[2], g2[3]];
            bool ok;
            uint256 result;
            assembly ("memory-safe") {
                ok := staticcall(gas(), EC_PAIRING, input, 192, 0, 32)
                result := mload(0)
            }
            if (!ok || result != 1) revert InvalidVerifyingKey(i);
        }
        ALPHA_X = vk.alpha1[0];
        ALPHA_Y = vk.alpha1[1];
        BETA_X1 = vk.beta2[0];
        BETA_X0 = vk.beta2[1];
        BETA_Y1 = vk.beta2[2];
        BETA_Y0 = vk.beta2[3];
        GAMMA_X1 = vk.gamma2[0];
        GAMMA_X0 = vk.gamma2[1];
        GAMMA_Y1 = vk.gamma2[2];
        GAMMA_Y0 = vk.gamma2[3];
        DELTA_X1 = vk.delta2[0];
        DELTA_X0 = vk.delta2[1];
        DELTA_Y1 = vk.delta2[2];
        DELTA_Y0 = vk.delta2[3];
        IC0_X = vk.ic0[0];
        IC0_Y = vk.ic0[1];
        IC1_X = vk.ic1[0];
        IC1_Y = vk.ic1[1];
    }

    /// @notice The verification key this verifier checks against (same layout as the constructor's).
    function verifyingKey() external view returns (VerifyingKey memory vk) {
        vk.alpha1 = [ALPHA_X, ALPHA_Y];
        vk.beta2 = [BETA_X1, BETA_X0, BETA_Y1, BETA_Y0];
        vk.gamma2 = [GAMMA_X1, GAMMA_X0, GAMMA_Y1, GAMMA_Y0];
        vk.delta2 = [DELTA_X1, DELTA_X0, DELTA_Y1, DELTA_Y0];
        vk.ic0 = [IC0_X, IC0_Y];
        vk.ic1 = [IC1_X, IC1_Y];
    }

    /// @inheritdoc IGroth16Verifier
    function verifyProof(uint256[8] calldata proof, uint256 input) external view returns (bool) {
        if (input >= R) revert PublicInputNotInField(0, input);
        uint256[] memory inputs = new uint256[](1);
        inputs[0] = input;
        uint256 proofsOffset;
        assembly ("memory-safe") {
            proofsOffset := proof
        }
        return _verify(proofsOffset, inputs, 0);
    }

    /// @inheritdoc IGroth16Verifier
    function verifyBatch(uint256[8][] calldata proofs, uint256[] calldata inputs) external view returns (bool) {
        uint256 k = proofs.length;
        if (k == 0) revert EmptyBatch();
        if (inputs.length != k) revert BatchLengthMismatch(k, inputs.length);
        for (uint256 i = 0; i < k; i++) {
            if (inputs[i] >= R) revert PublicInputNotInField(i, inputs[i]);
        }
        bytes32 seed = k == 1 ? bytes32(0) : keccak256(abi.encode(proofs, inputs));
        uint256 proofsOffset;
        assembly ("memory-safe") {
            proofsOffset := proofs.offset
        }
        return _verify(proofsOffset, inputs, seed);
    }

    /// @dev Checks `inputs.length` proofs stored contiguously in calldata at `proofsOffset` (8 words each) with the
    ///      Fiat–Shamir `seed` (unused for one proof). False when a point is malformed or the pairing check fails;
    ///      reverts `PrecompileFailed` when a precompile call fails.
    function _verify(uint256 proofsOffset, uint256[] memory inputs, bytes32 seed) private view returns (bool) {
        uint256 k = inputs.length;
        if (!_wellFormed(proofsOffset, k)) return false;
        uint256[18] memory vk = [
            ALPHA_X,
            ALPHA_Y,
            BETA_X1,
            BETA_X0,
            BETA_Y1,
            BETA_Y0,
            GAMMA_X1,
            GAMMA_X0,
            GAMMA_Y1,
            GAMMA_Y0,
            DELTA_X1,
            DELTA_X0,
            DELTA_Y1,
            DELTA_Y0,
            IC0_X,
            IC0_Y,
            IC1_X,
            IC1_Y
        ];
        // Pairing input at `buf` (unallocated scratch memory): k pairs (−r_i·A_i, B_i), then (Σr·α, β),
        // (Σ r_i·vk_x_i, γ), (Σ r_i·C_i, δ). After it, more scratch: [0, 0x60) ecMul input (x, y, s);
        // [0x80, 0xc0) acc = Σ r_i·C_i; [0xc0, 0x100) and [0x100, 0x140) two G1 points (ecAdd reads adjacent points).
        uint256 buf;
        assembly ("memory-safe") {
            buf := mload(0x40)
        }
        (uint256 sumR, uint256 sumRInput) = _accumulate(proofsOffset, inputs, seed, buf);
        return _finish(vk, buf, k, sumR, sumRInput);
    }

    /// @dev Writes the k pairs (−r_i·A_i, B_i) at `buf` and Σ r_i·C_i in the scratch after the pairing input;
    ///      returns Σ r_i and Σ r_i·input_i (mod r).
    function _accumulate(uint256 proofsOffset, uint256[] memory inputs, bytes32 seed, uint256 buf)
        private
        view
        returns (uint256 sumR, uint256 sumRInput)
    {
        uint256 failed;
        assembly ("memory-safe") {
            let k := mload(inputs)
            let scratch := add(buf, mul(add(k, 3), 0xc0))
            for { let i := 0 } lt(i, k) { i := add(i, 1) } {
                let p := add(proofsOffset, mul(i, 0x100))
                let dst := add(buf, mul(i, 0xc0))
                switch i
                case 0 {
                    // r_0 = 1
                    calldatacopy(dst, p, 0x40)
                    calldatacopy(add(scratch, 0x80), add(p, 0xc0), 0x40)
                    sumR := 1
                    sumRInput := mload(add(inputs, 0x20))
                }
                default {
                    mstore(0, seed)
                    mstore(0x20, i)
                    let r := shr(128, keccak256(0, 0x40))
                    if iszero(r) { r := 1 }
                    sumR := addmod(sumR, r, R)
                    sumRInput := addmod(sumRInput, mulmod(r, mload(add(inputs, mul(add(i, 1), 0x20))), R), R)
                    // r·A
                    calldatacopy(scratch, p, 0x40)
                    mstore(add(scratch, 0x40), r)
                    if iszero(staticcall(gas(), EC_MUL, scratch, 0x60, dst, 0x40)) {
                        failed := EC_MUL
                        break
                    }
                    // acc += r·C
                    calldatacopy(scratch, add(p, 0xc0), 0x40)
                    if iszero(staticcall(gas(), EC_MUL, scratch, 0x60, add(scratch, 0xc0), 0x40)) {
                        failed := EC_MUL
                        break
                    }
                    if iszero(staticcall(gas(), EC_ADD, add(scratch, 0x80), 0x80, add(scratch, 0x80), 0x40)) {
                        failed := EC_ADD
                        break
                    }
                }
                // negate: (x, y) → (x, q − y); the point at infinity (0, 0) stays.
                mstore(add(dst, 0x20), mod(sub(Q, mload(add(dst, 0x20))), Q))
                calldatacopy(add(dst, 0x40), add(p, 0x40), 0x80)
            }
        }
        if (failed != 0) revert PrecompileFailed(failed);
    }

    /// @dev Appends (Σr·α, β), (Σr·IC0 + Σ r_i·input_i·IC1, γ), (Σ r_i·C_i, δ) to the k pairs at `buf` and runs the
    ///      pairing check.
    function _finish(uint256[18] memory vk, uint256 buf, uint256 k, uint256 sumR, uint256 sumRInput)
        private
        view
        returns (bool ok)
    {
        uint256 failed;
        assembly ("memory-safe") {
            let scratch := add(buf, mul(add(k, 3), 0xc0))
            let j := add(buf, mul(k, 0xc0))
            // (Σr)·α, β
            switch k
            case 1 { mcopy(j, vk, 0x40) }
            default {
                mcopy(scratch, vk, 0x40)
                mstore(add(scratch, 0x40), sumR)
                if iszero(staticcall(gas(), EC_MUL, scratch, 0x60, j, 0x40)) { failed := EC_MUL }
            }
            mcopy(add(j, 0x40), add(vk, 0x40), 0x80)
            // (Σr)·IC0 + (Σ r_i·input_i)·IC1, γ
            j := add(j, 0xc0)
            switch k
            case 1 { mcopy(add(scratch, 0xc0), add(vk, 0x1c0), 0x40) }
            default {
                mcopy(scratch, add(vk, 0x1c0), 0x40)
                mstore(add(scratch, 0x40), sumR)
                if iszero(staticcall(gas(), EC_MUL, scratch, 0x60, add(scratch, 0xc0), 0x40)) {
                    failed := EC_MUL
                }
            }
            mcopy(scratch, add(vk, 0x200), 0x40)
            mstore(add(scratch, 0x40), sumRInput)
            if iszero(staticcall(gas(), EC_MUL, scratch, 0x60, add(scratch, 0x100), 0x40)) {
                failed := EC_MUL
            }
            if iszero(staticcall(gas(), EC_ADD, add(scratch, 0xc0), 0x80, j, 0x40)) { failed := EC_ADD }
            mcopy(add(j, 0x40), add(vk, 0xc0), 0x80)
            // Σ r_i·C_i, δ
            j := add(j, 0xc0)
            mcopy(j, add(scratch, 0x80), 0x40)
            mcopy(add(j, 0x40), add(vk, 0x140), 0x80)
            if iszero(failed) {
                switch staticcall(gas(), EC_PAIRING, buf, mul(add(k, 3), 0xc0), scratch, 0x20)
                case 0 { failed := EC_PAIRING }
                default { ok := eq(mload(scratch), 1) }
            }
        }
        if (failed != 0) revert PrecompileFailed(failed);
    }

    /// @dev Whether every proof's A and C are on G1 and B on the twist (or the point at infinity), coordinates < q.
    function _wellFormed(uint256 proofsOffset, uint256 k) private pure returns (bool wellFormed) {
        assembly ("memory-safe") {
            function g1Ok(x, y) -> good {
                switch or(x, y)
                case 0 { good := 1 }
                default {
                    good := and(
                        and(lt(x, Q), lt(y, Q)),
                        eq(mulmod(y, y, Q), addmod(mulmod(x, mulmod(x, x, Q), Q), 3, Q))
                    )
                }
            }
            // (x1, x0, y1, y0): x = x0 + x1·u, y = y0 + y1·u, u² = −1; checks y² = x³ + b'.
            function g2Ok(x1, x0, y1, y0) -> good {
                if iszero(or(or(x1, x0), or(y1, y0))) {
                    good := 1
                    leave
                }
                if iszero(and(and(lt(x0, Q), lt(x1, Q)), and(lt(y0, Q), lt(y1, Q)))) { leave }
                let xx0 := addmod(mulmod(x0, x0, Q), sub(Q, mulmod(x1, x1, Q)), Q)
                let xx1 := mulmod(add(x0, x0), x1, Q)
                let xxx0 := addmod(mulmod(xx0, x0, Q), sub(Q, mulmod(xx1, x1, Q)), Q)
                let xxx1 := addmod(mulmod(xx0, x1, Q), mulmod(xx1, x0, Q), Q)
                let yy0 := addmod(mulmod(y0, y0, Q), sub(Q, mulmod(y1, y1, Q)), Q)
                let yy1 := mulmod(add(y0, y0), y1, Q)
                good := and(eq(yy0, addmod(xxx0, TWIST_B0, Q)), eq(yy1, addmod(xxx1, TWIST_B1, Q)))
            }
            wellFormed := 1
            for { let i := 0 } lt(i, k) { i := add(i, 1) } {
                let p := add(proofsOffset, mul(i, 0x100))
                if iszero(
                    and(
                        and(
                            g1Ok(calldataload(p), calldataload(add(p, 0x20))),
                            g1Ok(calldataload(add(p, 0xc0)), calldataload(add(p, 0xe0)))
                        ),
                        g2Ok(
                            calldataload(add(p, 0x40)),
                            calldataload(add(p, 0x60)),
                            calldataload(add(p, 0x80)),
                            calldataload(add(p, 0xa0))
                        )
                    )
                ) {
                    wellFormed := 0
                    break
                }
            }
        }
    }

    /// @dev Whether (x, y) is on `y² = x³ + 3` with coordinates below q, or is (0, 0) (the point at infinity).
    function _g1Ok(uint256 x, uint256 y) private pure returns (bool) {
        if (x == 0 && y == 0) return true;
        if (x >= Q || y >= Q) return false;
        return mulmod(y, y, Q) == addmod(mulmod(x, mulmod(x, x, Q), Q), 3, Q);
    }

    /// @dev Whether `[x1, x0, y1, y0]` is on the twist `y² = x³ + b'` over F_q² with coordinates below q, or is zero.
    function _g2Ok(uint256[4] memory p) private pure returns (bool) {
        if (_isZero(p)) return true;
        (uint256 x1, uint256 x0, uint256 y1, uint256 y0) = (p[0], p[1], p[2], p[3]);
        if (x0 >= Q || x1 >= Q || y0 >= Q || y1 >= Q) return false;
        uint256 xx0 = addmod(mulmod(x0, x0, Q), Q - mulmod(x1, x1, Q), Q);
        uint256 xx1 = mulmod(2 * x0, x1, Q);
        uint256 xxx0 = addmod(mulmod(xx0, x0, Q), Q - mulmod(xx1, x1, Q), Q);
        uint256 xxx1 = addmod(mulmod(xx0, x1, Q), mulmod(xx1, x0, Q), Q);
        uint256 yy0 = addmod(mulmod(y0, y0, Q), Q - mulmod(y1, y1, Q), Q);
        uint256 yy1 = mulmod(2 * y0, y1, Q);
        return yy0 == addmod(xxx0, TWIST_B0, Q) && yy1 == addmod(xxx1, TWIST_B1, Q);
    }

    function _isZero(uint256[4] memory p) private pure returns (bool) {
        return (p[0] | p[1] | p[2] | p[3]) == 0;
    }
}
