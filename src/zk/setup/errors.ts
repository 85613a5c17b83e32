/** Error codes of the Groth16 setup (src/zk/setup: development ptau/zkey, ceremony files, the setup cache), registered in core's union. */
export const ZkSetupErrorCode = {
  /** The powers-of-tau file holds fewer powers than the circuit needs (2^power < constraints + public inputs + 1). */
  ptauTooSmall: 'ZK_SETUP_PTAU_TOO_SMALL',
  /** The powers-of-tau file is unreadable, not BN254, truncated, or not prepared for phase 2 (`prepare phase2`). */
  badPtau: 'ZK_SETUP_BAD_PTAU',
  /** The r1cs file is unreadable, truncated, or not over the BN254 scalar field. */
  badR1cs: 'ZK_SETUP_BAD_R1CS',
  /** The circuit needs a domain larger than this setup supports (2^27 points for the direct development key). */
  circuitTooLarge: 'ZK_SETUP_CIRCUIT_TOO_LARGE',
  /** The beacon-derived tau falls on an evaluation domain (probability ~2^-226): choose another beacon. */
  degenerateToxicWaste: 'ZK_SETUP_DEGENERATE_TOXIC_WASTE',
  /** A fixed-base worker thread failed or could not be started. */
  workerFailed: 'ZK_SETUP_WORKER_FAILED',
  /** snarkjs refused to make or contribute to the proving key (its log says why; see `details.log`). */
  snarkjsFailed: 'ZK_SETUP_SNARKJS_FAILED',
} as const
export type ZkSetupErrorCode = (typeof ZkSetupErrorCode)[keyof typeof ZkSetupErrorCode]

declare module '../../core/errors.ts' {
  interface ErrorCodeRegistry extends Record<ZkSetupErrorCode, true> {}
}
