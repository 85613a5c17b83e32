/**
 * KZG (EIP-4844) through `c-kzg` (native), loaded once with the mainnet trusted setup the package ships.
 * Loading takes ~2 s, so it is lazy: nothing is loaded until the first blob is committed or checked.
 */
import { createRequire } from 'node:module'
import { defineKzg, type Kzg } from 'viem'
import { ErrorKind, L2kitError } from '../core/errors.ts'
import { L1ErrorCode } from './errors.ts'

type CKzg = typeof import('c-kzg')

/** The KZG functions l2kit uses: viem's `Kzg` (commit, prove) plus proof verification. */
export interface L1Kzg extends Kzg {
  verifyBlobKzgProof(blob: Uint8Array, commitment: Uint8Array, proof: Uint8Array): boolean
}

let instance: L1Kzg | undefined
let setupMs: number | undefined

/**
 * The process-wide KZG instance (loads c-kzg and its trusted setup on first call).
 * Pass it to viem as `kzg`. Throws `KZG_SETUP_FAILED` if the native module or the setup cannot be loaded.
 */
export function getKzg(): L1Kzg {
  if (instance !== undefined) return instance
  const started = performance.now()
  let ckzg: CKzg
  try {
    ckzg = createRequire(import.meta.url)('c-kzg') as CKzg
  } catch (cause) {
    throw new L2kitError(L1ErrorCode.kzgSetupFailed, 'cannot load the c-kzg native module', {
      kind: ErrorKind.critical,
      cause,
    })
  }
  try {
    // precompute 0: higher values only speed up cell proofs (PeerDAS), not blob proofs, and cost setup time.
    ckzg.loadTrustedSetup(0)
  } catch (cause) {
    // Someone else in this process loaded it already: fine, it is the same mainnet setup.
    if (!(cause instanceof Error && /already loaded/i.test(cause.message))) {
      throw new L2kitError(L1ErrorCode.kzgSetupFailed, 'cannot load the KZG trusted setup', {
        kind: ErrorKind.critical,
        cause,
      })
    }
  }
  const kzg = defineKzg(ckzg)
  instance = {
    blobToKzgCommitment: kzg.blobToKzgCommitment,
    computeBlobKzgProof: kzg.computeBlobKzgProof,
    verifyBlobKzgProof: ckzg.verifyBlobKzgProof,
  }
  setupMs = performance.now() - started
  return instance
}

/** Milliseconds the KZG setup took in this process (undefined until `getKzg` ran). */
export function kzgSetupMs(): number | undefined {
  return setupMs
}
