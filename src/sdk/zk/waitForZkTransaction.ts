import type { Hex } from 'viem'
import { L2kitError } from '../../core/errors.ts'
import { nodeRequest, type ZkNodeClient, type ZkTxStatus } from './shared.ts'

const ORDER: Record<ZkTxStatus, number> = { soft: 0, sealed: 1, committed: 2, verified: 3 }

export type ZkTransactionInfo = {
  hash: Hex
  status: ZkTxStatus
  /** the L2 block that holds it, null while it waits for one */
  block: number | null
}

/** A transaction's status on the node (`zk_getTransaction`), null if the node does not know it. */
export async function getZkTransaction(parameters: {
  node: ZkNodeClient
  hash: Hex
}): Promise<ZkTransactionInfo | null> {
  const hash = checkHash(parameters.hash)
  const answer = await nodeRequest(parameters.node, 'zk_getTransaction', [hash])
  if (answer === null || answer === undefined) return null
  const o = answer as { status?: unknown; block?: unknown }
  if (typeof o.status !== 'string' || !(o.status in ORDER)) {
    throw new L2kitError('MALFORMED_DATA', "the ZK node's zk_getTransaction answer has no known status", {
      details: { answer },
    })
  }
  return { hash, status: o.status as ZkTxStatus, block: typeof o.block === 'number' ? o.block : null }
}

/**
 * Polls the node until the transaction reaches `status` (or a later one): `soft` = accepted, `sealed` = in a block,
 * `committed` = the block's data is on L1, `verified` (default) = the block's proof is verified on L1 (final; a
 * withdrawal is then claimable). Throws `TIMEOUT` after `timeoutMs` (default 120 s), saying where it got to.
 */
export async function waitForZkTransaction(parameters: {
  node: ZkNodeClient
  hash: Hex
  status?: ZkTxStatus
  timeoutMs?: number
  pollIntervalMs?: number
}): Promise<ZkTransactionInfo> {
  const target = parameters.status ?? 'verified'
  if (!(target in ORDER)) {
    throw new L2kitError(
      'INVALID_OPTIONS',
      `status must be soft, sealed, committed or verified, got ${target}`,
    )
  }
  const timeoutMs = parameters.timeoutMs ?? 120_000
  const pollIntervalMs = parameters.pollIntervalMs ?? 500
  const deadline = Date.now() + timeoutMs
  let last: ZkTransactionInfo | null = null
  for (;;) {
    last = await getZkTransaction(parameters)
    if (last !== null && ORDER[last.status] >= ORDER[target]) return last
    if (Date.now() >= deadline) break
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(pollIntervalMs, Math.max(0, deadline - Date.now()))),
    )
  }
  throw new L2kitError(
    'TIMEOUT',
    last === null
      ? `transaction ${parameters.hash} is unknown to the ZK node after ${timeoutMs} ms`
      : `transaction ${parameters.hash} is ${last.status}${last.block === null ? '' : ` (block ${last.block})`}, not ${target}, after ${timeoutMs} ms`,
    { kind: 'temporary', details: { hash: parameters.hash, status: last?.status ?? null, target } },
  )
}

function checkHash(hash: unknown): Hex {
  if (typeof hash !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(hash)) {
    throw new L2kitError('INVALID_HEX', 'a ZK transaction hash is 0x followed by 64 hex digits', {
      details: { hash },
    })
  }
  return hash.toLowerCase() as Hex
}
