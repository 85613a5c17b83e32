/**
 * A family's L1 costs during its phase, read from the L1 blocks themselves: every transaction sent by the family's
 * own accounts (operator, batcher, proposer, validators, channel nodes) is counted, grouped by the function it
 * called. Read from L1 rather than from the nodes, so every family is measured the same way.
 */
import { type Address, type Hex, toFunctionSelector } from 'viem'
import type { L1TxGroup } from '../../compare/types.ts'
import * as generated from '../../generated/contracts.ts'
import type { L1PublicClient } from '../../l1/clients.ts'

/** Every function of l2kit's contracts by selector (`0x12345678` → `appendBatchBlob`). */
const SELECTORS: Map<string, string> = (() => {
  const out = new Map<string, string>()
  for (const [name, value] of Object.entries(generated)) {
    if (!name.endsWith('Abi') || !Array.isArray(value)) continue
    for (const item of value as { type: string; name?: string; inputs?: { type: string }[] }[]) {
      if (item.type !== 'function' || item.name === undefined) continue
      try {
        out.set(toFunctionSelector(item as never), item.name)
      } catch {
        // a function viem cannot format (none expected): it is counted as "call"
      }
    }
  }
  return out
})()

export function functionNameOf(input: Hex, to: Address | null): string {
  if (to === null) return 'deploy'
  if (input === '0x' || input.length < 10) return 'transfer'
  return SELECTORS.get(input.slice(0, 10).toLowerCase()) ?? `call ${input.slice(0, 10)}`
}

/** Bytes a blob carries (and is paid for, full or not). */
export const BLOB_BYTES = 131_072

export type L1Scan = L1TxGroup & { byFunction: Record<string, L1TxGroup> }

const empty = (): L1TxGroup => ({ txs: 0, gas: 0, blobGas: 0, calldataBytes: 0, blobs: 0 })

function add(g: L1TxGroup, gas: number, blobGas: number, bytes: number, blobs: number): void {
  g.txs += 1
  g.gas += gas
  g.blobGas += blobGas
  g.calldataBytes += bytes
  g.blobs += blobs
}

/**
 * Sums the L1 transactions in blocks `[from, to]` sent by `senders` (lower-case addresses). One
 * `eth_getBlockByNumber` (with transactions) and one `eth_getBlockReceipts` per block that has one of them.
 */
export async function scanL1(
  client: L1PublicClient,
  from: bigint,
  to: bigint,
  senders: ReadonlySet<string>,
): Promise<L1Scan> {
  const total: L1Scan = { ...empty(), byFunction: {} }
  for (let n = from; n <= to; n++) {
    const block = await client.getBlock({ blockNumber: n, includeTransactions: true })
    const mine = block.transactions.filter((t) => senders.has(t.from.toLowerCase()))
    if (mine.length === 0) continue
    const receipts = (await client.request({
      method: 'eth_getBlockReceipts' as never,
      params: [`0x${n.toString(16)}`] as never,
    })) as { transactionHash: Hex; gasUsed: Hex; blobGasUsed?: Hex }[]
    const byHash = new Map(receipts.map((r) => [r.transactionHash.toLowerCase(), r]))
    for (const t of mine) {
      const r = byHash.get(t.hash.toLowerCase())
      if (!r) continue
      const blobs = (t as { blobVersionedHashes?: readonly Hex[] }).blobVersionedHashes?.length ?? 0
      const gas = Number(BigInt(r.gasUsed))
      const blobGas = r.blobGasUsed ? Number(BigInt(r.blobGasUsed)) : blobs * BLOB_BYTES
      const bytes = (t.input.length - 2) / 2
      add(total, gas, blobGas, bytes, blobs)
      const fn = functionNameOf(t.input, t.to)
      total.byFunction[fn] ??= empty()
      add(total.byFunction[fn] as L1TxGroup, gas, blobGas, bytes, blobs)
    }
  }
  return total
}
