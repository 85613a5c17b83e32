// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IGroth16Verifier
/// @notice What `ZkRollup` needs from its proof verifier: Groth16 (BN254) proofs of a circuit with one public input.
/// @dev Proof words, in order: `[A.x, A.y, B.x1, B.x0, B.y1, B.y0, C.x, C.y]` where snarkjs's proof JSON gives
///      `pi_a = [A.x, A.y, 1]`, `pi_b = [[B.x0, B.x1], [B.y0, B.y1], [1, 0]]`, `pi_c = [C.x, C.y, 1]`: G2 coordinates
///      are elements `c0 + c1·u` of F_q² and the EVM's pairing precompile (EIP-197) takes the imaginary part `c1`
///      first, as snarkjs's own Solidity verifier template does (`pi_b[0][1], pi_b[0][0], pi_b[1][1], pi_b[1][0]`).
interface IGroth16Verifier {
    /// @notice Whether `proof` proves the circuit for public input `input`.
    /// @dev Reverts (never returns false) when a precompile call fails, so a call with too little gas cannot pass
    ///      for an invalid proof, and `eth_estimateGas` finds the gas a valid proof needs.
    function verifyProof(uint256[8] calldata proof, uint256 input) external view returns (bool);

    /// @notice Whether every `proofs[i]` proves the circuit for `inputs[i]`, checked together (k proofs in k + 3
    ///         pairings, random linear combination with Fiat–Shamir coefficients).
    function verifyBatch(uint256[8][] calldata proofs, uint256[] calldata inputs) external view returns (bool);
}
