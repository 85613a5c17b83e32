/** The ZK rollup's L1 bindings: deployment, snarkjs proof/key encoding for the verifier, library linking. */
export {
  DEFAULT_ZK_CHUNKS,
  type DeployZkRollupParameters,
  deployPoseidonLibraries,
  deployZkRollup,
  type PoseidonLibraries,
  ZK_MAX_CHUNKS,
  ZK_MAX_DEPTH,
  ZK_MIN_CHUNKS,
  type ZkRollupDeployment,
} from './deploy.ts'
export { ZkL1ErrorCode } from './errors.ts'
export { type LinkReference, libraryPlaceholder, linkBytecode } from './link.ts'
export {
  BN254_Q,
  BN254_R,
  type ProofWords,
  proofToWords,
  publicInput,
  type SnarkjsGroth16Proof,
  type SnarkjsVerificationKey,
  type VerifierKeyArgs,
  verificationKeyToArgs,
} from './proof.ts'
