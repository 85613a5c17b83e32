/**
 * Groth16 setup for the ZK rollup: `ensureGroth16Setup` (cached proving + verification key; a ceremony ptau in
 * production, an INSECURE known-tau development setup otherwise) and the development writers it uses.
 */
export * from './devPtau.ts'
export * from './devZkey.ts'
export * from './errors.ts'
export type { Groth16Setup, Groth16SetupOptions, Phase2Source, PtauSource } from './setup.ts'
export { defaultZkCacheDir, ensureGroth16Setup, exportVerificationKey } from './setup.ts'
