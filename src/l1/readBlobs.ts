/**
 * Reads the blobs of an L1 transaction back (derivation needs them) and checks each one against its versioned
 * hash before returning it: a node or beacon API is not trusted with blob contents.
 */
import { type Hex, hexToBytes } from 'viem'
import { ErrorKind, L2kitError } from '../core/errors.ts'
import { BYTES_PER_BLOB, commitmentToVersionedHash } from './blobs.ts'
import type { L1PublicClient } from './clients.ts'
import { L1ErrorCode } from './errors.ts'
import { getKzg, type L1Kzg } from './kzg.ts'

export interface ReadBlobsParameters {
  /** The blob-carrying L1 transaction. */
  txHash: Hex
  /** The versioned hashes to return, in this order (usually the tx's `blobVersionedHashes`, or a subset). */
  versionedHashes: readonly Hex[]
  /**
   * Beacon API base URL (e.g. `http://localhost:5052`). When set, blobs come from
   * `GET /eth/v1/beacon/blobs/{block_id}` (falling back to the older `blob_sidecars`); when not, from anvil's
   * `anvil_getBlobsByTransactionHash` on the execution RPC.
   */
  beaconUrl?: string
  /** L1 block that included the tx (saves a receipt lookup in beacon mode). */
  blockNumber?: bigint
  /** Timeout of each beacon HTTP request. */
  timeoutMs?: number
  kzg?: L1Kzg
}

const ZERO_ROOT = `0x${'00'.repeat(32)}`

function notFound(message: string, details: Record<string, unknown>, cause?: unknown): L2kitError {
  // Temporary: the beacon node may not have the blob yet (or a different node may still have it).
  return new L2kitError(L1ErrorCode.blobNotFound, message, {
    kind: ErrorKind.temporary,
    details,
    ...(cause === undefined ? {} : { cause }),
  })
}

interface CandidateBlob {
  blob: Uint8Array
  /** When the source gives the commitment and proof (blob_sidecars), checking costs a proof verification only. */
  commitment?: Uint8Array
  proof?: Uint8Array
}

async function fromAnvil(client: L1PublicClient, txHash: Hex): Promise<CandidateBlob[]> {
  let result: unknown
  try {
    result = await client.request({
      method: 'anvil_getBlobsByTransactionHash',
      params: [txHash],
    } as never)
  } catch (cause) {
    throw notFound(
      `anvil_getBlobsByTransactionHash failed for ${txHash} (not anvil? pass beaconUrl to read blobs from a beacon node)`,
      { txHash },
      cause,
    )
  }
  if (!Array.isArray(result)) throw notFound(`no blobs known for tx ${txHash}`, { txHash })
  return result.map((blob) => ({ blob: hexToBytes(blob as Hex) }))
}

async function getJson(url: string, timeoutMs: number): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    headers: { accept: 'application/json' },
    signal: AbortSignal.timeout(timeoutMs),
  })
  let body: unknown
  try {
    body = await response.json()
  } catch {
    body = undefined
  }
  return { status: response.status, body }
}

/**
 * Beacon block id of the slot that carried execution block `n`: the `parentBeaconBlockRoot` of block `n + 1`
 * (EIP-4788). Anvil has no beacon chain (zero roots) and indexes its beacon API by execution block number.
 */
async function beaconBlockId(client: L1PublicClient, blockNumber: bigint): Promise<string> {
  const next = await client.getBlock({ blockNumber: blockNumber + 1n }).catch(() => undefined)
  const root = next?.parentBeaconBlockRoot
  if (root !== undefined && root !== null && root !== ZERO_ROOT) return root
  if (next === undefined) {
    const head = await client.getBlock({ blockTag: 'latest' })
    if (head.parentBeaconBlockRoot !== undefined && head.parentBeaconBlockRoot !== ZERO_ROOT) {
      throw notFound(
        `block ${blockNumber + 1n} (which names the beacon block of ${blockNumber}) is not out yet`,
        {
          blockNumber,
        },
      )
    }
  }
  return blockNumber.toString()
}

async function fromBeacon(
  client: L1PublicClient,
  parameters: ReadBlobsParameters,
  beaconUrl: string,
  filter: boolean,
): Promise<CandidateBlob[]> {
  const timeoutMs = parameters.timeoutMs ?? 10_000
  const blockNumber =
    parameters.blockNumber ?? (await client.getTransactionReceipt({ hash: parameters.txHash })).blockNumber
  const blockId = await beaconBlockId(client, blockNumber)
  const base = beaconUrl.replace(/\/+$/, '')
  // Comma-separated: anvil keeps only the last of repeated parameters. Unfiltered when the filter is not understood.
  const query = filter ? `versioned_hashes=${parameters.versionedHashes.join(',')}` : ''
  const details = { txHash: parameters.txHash, blockNumber, blockId, beaconUrl: base }
  try {
    const blobs = await getJson(
      `${base}/eth/v1/beacon/blobs/${blockId}${query === '' ? '' : `?${query}`}`,
      timeoutMs,
    )
    const data = (blobs.body as { data?: unknown } | undefined)?.data
    if (blobs.status === 200 && Array.isArray(data))
      return data.map((blob) => ({ blob: hexToBytes(blob as Hex) }))
    // Beacon nodes before Fulu only have blob_sidecars (which carry the commitment and proof too).
    const sidecars = await getJson(`${base}/eth/v1/beacon/blob_sidecars/${blockId}`, timeoutMs)
    const list = (sidecars.body as { data?: unknown } | undefined)?.data
    if (sidecars.status === 200 && Array.isArray(list)) {
      return list.map((item) => {
        const s = item as { blob: Hex; kzg_commitment: Hex; kzg_proof: Hex }
        return {
          blob: hexToBytes(s.blob),
          commitment: hexToBytes(s.kzg_commitment),
          proof: hexToBytes(s.kzg_proof),
        }
      })
    }
    throw notFound(
      `beacon node answered ${blobs.status} / ${sidecars.status} for the blobs of block ${blockId}`,
      details,
    )
  } catch (cause) {
    if (cause instanceof L2kitError) throw cause
    throw notFound(`cannot reach the beacon API at ${base}`, details, cause)
  }
}

/** Versioned hash of a candidate blob, checked with KZG (recomputes the commitment unless a proof is given). */
function versionedHashOf(candidate: CandidateBlob, kzg: L1Kzg): Hex | undefined {
  if (candidate.blob.length !== BYTES_PER_BLOB) return undefined
  if (candidate.commitment !== undefined && candidate.proof !== undefined) {
    try {
      if (kzg.verifyBlobKzgProof(candidate.blob, candidate.commitment, candidate.proof)) {
        return commitmentToVersionedHash(candidate.commitment)
      }
    } catch {
      // malformed commitment or proof: fall through to recomputing
    }
  }
  try {
    return commitmentToVersionedHash(kzg.blobToKzgCommitment(candidate.blob))
  } catch {
    return undefined // not a valid blob (a field element above the modulus)
  }
}

/**
 * The blobs of `txHash` with the given versioned hashes, in that order. Every blob is checked against its
 * versioned hash with KZG; a missing blob raises `BLOB_NOT_FOUND` (temporary), and blobs that exist but match no
 * requested hash are ignored (a lying node can only make the read fail, never change what it returns).
 */
export async function readBlobs(
  client: L1PublicClient,
  parameters: ReadBlobsParameters,
): Promise<Uint8Array[]> {
  const kzg = parameters.kzg ?? getKzg()
  const wanted = new Set(parameters.versionedHashes.map((hash) => hash.toLowerCase()))
  const found = new Map<string, Uint8Array>()
  let candidates: CandidateBlob[] = []
  const sources =
    parameters.beaconUrl === undefined
      ? [() => fromAnvil(client, parameters.txHash)]
      : [true, false].map(
          (filter) => () => fromBeacon(client, parameters, parameters.beaconUrl as string, filter),
        )
  for (const source of sources) {
    candidates = await source()
    for (const candidate of candidates) {
      const hash = versionedHashOf(candidate, kzg)?.toLowerCase()
      if (hash !== undefined && wanted.has(hash)) found.set(hash, candidate.blob)
    }
    if (found.size === wanted.size) break
  }
  return parameters.versionedHashes.map((hash) => {
    const blob = found.get(hash.toLowerCase())
    if (blob === undefined) {
      throw notFound(
        `blob ${hash} of tx ${parameters.txHash} not found (${candidates.length} blobs returned, ${found.size} matched)`,
        { txHash: parameters.txHash, versionedHash: hash, returned: candidates.length },
      )
    }
    return blob
  })
}
