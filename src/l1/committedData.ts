/**
 * Reads back data a transaction committed on L1, checked against what the contract recorded: its blobs (each
 * verified against its versioned hash by `readBlobs`) or one `bytes` argument of its top-level call (checked
 * against a recorded keccak256 when one is given). Derivation reads batches this way and the challenger traces.
 * A mismatch is only possible with a lying RPC or a call made through another contract: both are `temporary`
 * (another RPC, or a later read, may answer).
 */
import { type Abi, decodeFunctionData, hexToBytes, keccak256 } from 'viem'
import { L2kitError } from '../core/errors.ts'
import type { Hex } from '../core/types.ts'
import type { L1PublicClient } from './clients.ts'
import type { CommittedData } from './dataProofs.ts'
import { readBlobs } from './readBlobs.ts'

export type CommittedDataSource =
  | { kind: 'blobs'; versionedHashes: readonly Hex[]; beaconUrl?: string | undefined }
  | {
      kind: 'calldata'
      abi: Abi
      /** The function the transaction must call at top level. */
      functionName: string
      /** Index of the `bytes` argument holding the data. */
      argIndex: number
      /** keccak256 the contract recorded for the data (checked when given). */
      expectedHash?: Hex | undefined
    }

export async function readCommittedData(
  publicClient: L1PublicClient,
  txHash: Hex,
  source: CommittedDataSource,
): Promise<CommittedData> {
  if (source.kind === 'blobs') {
    const blobs = await readBlobs(publicClient, {
      txHash,
      versionedHashes: [...source.versionedHashes],
      ...(source.beaconUrl ? { beaconUrl: source.beaconUrl } : {}),
    })
    return { isBlob: true, blobs, versionedHashes: [...source.versionedHashes] }
  }
  const tx = await publicClient.getTransaction({ hash: txHash })
  let data: Uint8Array
  try {
    const call = decodeFunctionData({ abi: source.abi, data: tx.input })
    if (call.functionName !== source.functionName) throw new Error(call.functionName)
    const arg = (call.args as readonly unknown[] | undefined)?.[source.argIndex]
    if (typeof arg !== 'string') throw new Error(`argument ${source.argIndex} is not bytes`)
    data = hexToBytes(arg as Hex)
  } catch {
    // The call came through another contract: its data is not in this transaction's top-level input.
    throw new L2kitError(
      'COMMITTED_DATA_UNAVAILABLE',
      `L1 tx ${txHash} is not a top-level ${source.functionName} call: cannot read its data`,
      { kind: 'temporary', details: { txHash, functionName: source.functionName } },
    )
  }
  if (source.expectedHash !== undefined && keccak256(data) !== source.expectedHash) {
    throw new L2kitError(
      'COMMITTED_DATA_MISMATCH',
      `calldata of L1 tx ${txHash} does not match its recorded hash`,
      {
        kind: 'temporary',
        details: { txHash, expectedHash: source.expectedHash },
      },
    )
  }
  return { isBlob: false, data }
}
