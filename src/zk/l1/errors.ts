/** Error codes of the ZK rollup's L1 bindings (src/zk/l1), registered in core's union. */
export const ZkL1ErrorCode = {
  /** A snarkjs proof JSON that is not a Groth16 BN254 proof in affine form with coordinates below the base field. */
  badProof: 'ZK_L1_BAD_PROOF',
  /** A snarkjs verification key that is not Groth16 over BN254 with exactly one public input. */
  badVerificationKey: 'ZK_L1_BAD_VERIFICATION_KEY',
  /** Bytecode could not be linked: a library without an address, or no placeholder where the reference says. */
  linkFailed: 'ZK_L1_LINK_FAILED',
  /** A Poseidon library on L1 (found or deployed) does not hash like circomlibjs. */
  poseidonMismatch: 'ZK_L1_POSEIDON_MISMATCH',
} as const
export type ZkL1ErrorCode = (typeof ZkL1ErrorCode)[keyof typeof ZkL1ErrorCode]

declare module '../../core/errors.ts' {
  interface ErrorCodeRegistry extends Record<ZkL1ErrorCode, true> {}
}
