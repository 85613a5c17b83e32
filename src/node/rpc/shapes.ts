/** Blocks, transactions and receipts in the JSON shapes geth and anvil answer, built from a ChainView. */
import { numberToHex, parseTransaction, toHex, type Hex as ViemHex } from 'viem'
import type { Hex } from '../../core/types.ts'
import type { ChainView, ViewBlock, ViewTx } from './chainView.ts'
import { encodeReceipt, logsBloom, orBlooms, orderedTrieRoot } from './encoding.ts'
import type { RpcLog } from './filters.ts'

export const ZERO_HASH: Hex = `0x${'00'.repeat(32)}`
const EMPTY_UNCLES: Hex = '0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347'
/** Blocks whose derived data is kept. */
const EXTRAS_CACHE_SIZE = 512

/** What a block's header and receipts derive from its transactions (logs, blooms, trie roots). */
export type BlockExtras = {
  logs: RpcLog[][]
  blooms: Uint8Array[]
  bloom: Hex
  transactionsRoot: Hex
  receiptsRoot: Hex
  cumulativeGas: bigint[]
}

export type Shapes = ReturnType<typeof createShapes>

function bytesHex(b: Uint8Array): Hex {
  return `0x${Buffer.from(b).toString('hex')}`
}

export function gasUsedOf(b: ViewBlock): bigint {
  return b.txs.reduce((s, t) => s + t.gasUsed, 0n)
}

export function createShapes(view: ChainView, now: () => number) {
  const hexChainId = numberToHex(view.chainId)

  function computeExtras(b: ViewBlock): BlockExtras {
    const logs: RpcLog[][] = []
    const blooms: Uint8Array[] = []
    const receipts: Hex[] = []
    const cumulativeGas: bigint[] = []
    let logIndex = 0
    let cumulative = 0n
    b.txs.forEach((t, i) => {
      const raw = t.logs()
      const bloom = logsBloom(raw)
      cumulative += t.gasUsed
      cumulativeGas.push(cumulative)
      blooms.push(bloom)
      receipts.push(
        encodeReceipt(t.raw.startsWith('0x02') ? 'eip1559' : 'legacy', cumulative, bloom, raw, t.status ?? 1),
      )
      logs.push(
        raw.map((l) => ({
          address: l.address,
          topics: l.topics,
          data: l.data,
          blockNumber: toHex(b.number),
          blockHash: b.hash,
          blockTimestamp: toHex(b.timestamp),
          transactionHash: t.hash,
          transactionIndex: toHex(i),
          logIndex: toHex(logIndex++),
          removed: false as const,
        })),
      )
    })
    return {
      logs,
      blooms,
      bloom: bytesHex(orBlooms(blooms)),
      transactionsRoot: orderedTrieRoot(b.txs.map((t) => t.raw)),
      receiptsRoot: orderedTrieRoot(receipts),
      cumulativeGas,
    }
  }

  // Sealed blocks never change: their derived data is cached by hash.
  const extrasCache = new Map<string, BlockExtras>()
  function extras(b: ViewBlock): BlockExtras {
    const cached = extrasCache.get(b.hash)
    if (cached) return cached
    const e = computeExtras(b)
    if (extrasCache.size >= EXTRAS_CACHE_SIZE) extrasCache.delete(extrasCache.keys().next().value as string)
    extrasCache.set(b.hash, e)
    return e
  }

  /** The logs of a sealed block's transactions, without building anything for a block that has none. */
  function logsOf(b: ViewBlock): RpcLog[][] {
    const cached = extrasCache.get(b.hash)
    if (cached) return cached.logs
    return b.txs.some((t) => t.logs().length > 0) ? extras(b).logs : []
  }

  function formatTx(
    t: ViewTx,
    block: ViewBlock | undefined,
    index: number | undefined,
  ): Record<string, unknown> {
    const p = parseTransaction(t.raw as ViemHex)
    const yParity = p.yParity ?? 0
    const v = p.type === 'legacy' ? view.chainId * 2n + 35n + BigInt(yParity) : BigInt(yParity)
    return {
      hash: t.hash,
      type: p.type === 'legacy' ? '0x0' : '0x2',
      chainId: hexChainId,
      nonce: toHex(p.nonce ?? 0),
      blockHash: block?.hash ?? null,
      blockNumber: block ? toHex(block.number) : null,
      blockTimestamp: block ? toHex(block.timestamp) : null,
      transactionIndex: index === undefined ? null : toHex(index),
      from: t.from,
      to: p.to ?? null,
      value: toHex(p.value ?? 0n),
      gas: toHex(p.gas ?? 0n),
      gasPrice: toHex(t.effectiveGasPrice),
      ...(p.type === 'eip1559'
        ? {
            maxFeePerGas: toHex(p.maxFeePerGas ?? 0n),
            maxPriorityFeePerGas: toHex(p.maxPriorityFeePerGas ?? 0n),
            accessList: (p.accessList ?? []).map((a) => ({
              address: a.address.toLowerCase(),
              storageKeys: a.storageKeys.map((k) => k.toLowerCase()),
            })),
          }
        : {}),
      input: p.data ?? '0x',
      v: toHex(v),
      yParity: toHex(yParity),
      r: toHex(BigInt(p.r ?? 0)),
      s: toHex(BigInt(p.s ?? 0)),
    }
  }

  function formatReceipt(t: ViewTx, block: ViewBlock, index: number): Record<string, unknown> {
    const e = extras(block)
    const p = parseTransaction(t.raw as ViemHex)
    return {
      transactionHash: t.hash,
      transactionIndex: toHex(index),
      blockHash: block.hash,
      blockNumber: toHex(block.number),
      blockTimestamp: toHex(block.timestamp),
      from: t.from,
      to: p.to ?? null,
      cumulativeGasUsed: toHex(e.cumulativeGas[index] as bigint),
      gasUsed: toHex(t.gasUsed),
      effectiveGasPrice: toHex(t.effectiveGasPrice),
      contractAddress: t.contractAddress ?? null,
      logs: e.logs[index],
      logsBloom: bytesHex(e.blooms[index] as Uint8Array),
      status: t.status === 0 ? '0x0' : '0x1',
      type: p.type === 'legacy' ? '0x0' : '0x2',
    }
  }

  function formatBlock(b: ViewBlock, full: boolean, e: BlockExtras = extras(b)): Record<string, unknown> {
    return {
      number: toHex(b.number),
      hash: b.hash,
      parentHash: b.parentHash,
      nonce: '0x0000000000000000',
      sha3Uncles: EMPTY_UNCLES,
      logsBloom: e.bloom,
      // Ethereum's tries over the block's transactions and receipts; stateRoot is the family's state commitment
      // (the root its proofs check), not an Ethereum state trie.
      transactionsRoot: e.transactionsRoot,
      stateRoot: b.stateRoot,
      receiptsRoot: e.receiptsRoot,
      miner: b.coinbase ?? view.coinbase,
      difficulty: '0x0',
      totalDifficulty: '0x0',
      extraData: '0x',
      size: toHex(500 + b.txs.reduce((s, t) => s + (t.raw.length - 2) / 2, 0)),
      gasLimit: toHex(view.blockGasLimit),
      gasUsed: toHex(gasUsedOf(b)),
      timestamp: toHex(b.timestamp),
      baseFeePerGas: toHex(view.baseFee),
      mixHash: ZERO_HASH,
      blobGasUsed: '0x0',
      excessBlobGas: '0x0',
      uncles: [],
      transactions: full ? b.txs.map((t, i) => formatTx(t, b, i)) : b.txs.map((t) => t.hash),
    }
  }

  /**
   * The block being built, as geth shows its pending block: number head+1, the executed transactions not yet
   * sealed, the live state root, and no hash, nonce or miner (they do not exist yet).
   */
  function formatPendingBlock(full: boolean): Record<string, unknown> {
    const head = view.head()
    const txs = view.pendingTxs()
    const pseudo: ViewBlock = {
      number: head.number + 1n,
      hash: ZERO_HASH,
      parentHash: head.hash,
      timestamp: Math.max(head.timestamp, Math.floor(now() / 1000)),
      txs,
      stateRoot: view.pendingStateRoot(),
    }
    return {
      ...formatBlock(pseudo, false, computeExtras(pseudo)),
      hash: null,
      nonce: null,
      miner: null,
      transactions: full ? txs.map((t) => formatTx(t, undefined, undefined)) : txs.map((t) => t.hash),
    }
  }

  return { extras, logsOf, formatTx, formatReceipt, formatBlock, formatPendingBlock }
}
