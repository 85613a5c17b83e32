/** How the Rollup records a batch's (or a trace's) data: what `dataHash` / `traceHash` hold on L1. */
import { keccak256 } from 'viem'
import type { Hex } from '../../core/types.ts'

/** A blob batch's `dataHash`: keccak256 of its versioned hashes, packed in order (`keccak256(abi.encodePacked(...))`). */
export function blobBatchDataHash(versionedHashes: readonly Hex[]): Hex {
  return keccak256(
    versionedHashes.length === 0 ? '0x' : (`0x${versionedHashes.map((h) => h.slice(2)).join('')}` as Hex),
  )
}
