/**
 * The batcher: takes sealed L2 blocks that are not on L1 yet, encodes and compresses them into one batch, and
 * posts it to the Rollup contract as blobs (EIP-4844) or calldata, whichever live prices make cheaper
 * (or as configured). Blob capacity caps a batch at 6 blobs; a bigger run of blocks is split.
 */
import { decodeEventLog, encodeFunctionData } from 'viem'
import { encodeBatch } from '../core/batchCodec.ts'
import { compressBatchData } from '../core/compression.ts'
import { L2kitError, isL2kitError } from '../core/errors.ts'
import type { L2State } from '../core/state.ts'
import type { Address, Batch, Hex } from '../core/types.ts'
import { rollupAbi } from '../generated/contracts.ts'
import { MAX_BLOBS_PER_TX, blobCountForData, dataToBlobs, maxBlobDataBytes } from '../l1/blobs.ts'
import type { L1PublicClient } from '../l1/clients.ts'
import type { TxManager } from '../l1/txManager.ts'
import type { Logger } from '../node/logger.ts'
import type { L2Block } from './block.ts'
import type { ChainStore, PostedBatch } from './chainStore.ts'
import type { BatcherOptions, RollupContracts } from './config.ts'
import { defaultBatcherOptions, validateBatcherOptions } from './config.ts'

/** Gas of an `appendBatch` blob transaction (21k base + reading blobhash + one batch record), measured on anvil. */
const APPEND_BLOB_EXEC_GAS = 121_000n
const GAS_PER_BLOB = 131_072n

export type BatcherModules = {
  store: ChainStore
  /** Live L2 state: account indices are permanent, so it answers "known at the batch start" with a bound. */
  state: () => L2State
  publicClient: L1PublicClient
  txManager: TxManager
  contracts: RollupContracts
  logger: Logger
  now?: () => number
}

export type BatchPlan = {
  batch: Batch
  data: Uint8Array
  blocks: L2Block[]
  txCount: number
}

export type DataChoice = {
  mode: 'blob' | 'calldata'
  blobCostWei?: bigint
  calldataCostWei?: bigint
  reason: string
}

export class Batcher {
  readonly options: BatcherOptions
  readonly #m: BatcherModules
  readonly #log: Logger
  readonly #now: () => number
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined
  #stopped = true
  /** Set once a blob tx was refused by L1 (e.g. pre-Cancun chain): calldata from then on. */
  #blobsUnavailable = false

  constructor(options: Partial<BatcherOptions>, modules: BatcherModules) {
    this.options = validateBatcherOptions({ ...defaultBatcherOptions, ...options })
    this.#m = modules
    this.#log = modules.logger.child({ component: 'batcher' })
    this.#now = modules.now ?? Date.now
  }

  async start(): Promise<void> {
    this.#stopped = false
    this.#timer = setInterval(() => {
      if (this.#running || this.#stopped) return
      this.#running = this.postPending()
        .then(() => undefined)
        .catch((err: unknown) => this.#log.warn({ err: errText(err) }, 'batch posting failed; will retry'))
        .finally(() => {
          this.#running = undefined
        })
    }, this.options.intervalMs)
  }

  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#timer) clearInterval(this.#timer)
    await this.#running
  }

  /** First L2 block not yet covered by a posted batch. */
  nextBlockToPost(): bigint {
    const last = this.#m.store.lastBatch()
    return last ? last.firstBlock + BigInt(last.blockCount) : 1n
  }

  /**
   * Posts every waiting block, in as many batches as blob capacity needs. With `force` it posts even a small
   * young batch (the demo and tests use it); otherwise size or age decides.
   */
  async postPending(force = false): Promise<PostedBatch[]> {
    const posted: PostedBatch[] = []
    for (;;) {
      const plan = this.planBatch(force)
      if (!plan) return posted
      posted.push(await this.postBatch(plan))
      force = true
    }
  }

  /** Chooses the blocks of the next batch and encodes them; undefined when there is nothing (worth) posting. */
  planBatch(force = false): BatchPlan | undefined {
    const from = this.nextBlockToPost()
    const head = this.#m.store.headNumber() ?? 0n
    if (head < from) return undefined
    const blocks: L2Block[] = []
    for (let n = from; n <= head; n++) {
      const b = this.#m.store.getBlock(n)
      if (!b) break
      blocks.push(b)
    }
    if (blocks.length === 0) return undefined
    let plan = this.#encode(blocks)
    const capacity = maxBlobDataBytes(Math.min(this.options.maxBlobsPerTx, MAX_BLOBS_PER_TX))
    // Too big for one L1 tx: keep halving the run of blocks until it fits.
    while (plan.data.length > capacity && plan.blocks.length > 1) {
      plan = this.#encode(plan.blocks.slice(0, Math.ceil(plan.blocks.length / 2)))
    }
    if (plan.data.length > capacity) {
      throw new L2kitError('BATCH_TOO_LARGE', `a single L2 block compresses to ${plan.data.length} bytes, over the ${capacity}-byte limit`, {
        kind: 'critical',
      })
    }
    const oldest = blocks[0] as L2Block
    const ageMs = this.#now() - oldest.timestamp * 1000
    const bigEnough = plan.data.length >= this.options.targetBatchBytes || plan.blocks.length < blocks.length
    if (!force && !bigEnough && ageMs < this.options.maxBatchAgeMs) return undefined
    return plan
  }

  #encode(blocks: L2Block[]): BatchPlan {
    const first = blocks[0] as L2Block
    const state = this.#m.state()
    const known = first.accountCountBefore
    const batch: Batch = {
      firstBlockNumber: first.number,
      blocks: blocks.map((b) => ({ timestamp: b.timestamp, depositCountAfter: b.depositCountAfter, txs: b.txs.map((t) => t.tx) })),
    }
    const raw = encodeBatch(batch, {
      indexOf: (a: Address) => {
        const i = state.indexOf(a) as number | undefined
        return i !== undefined && i < known ? i : undefined
      },
    })
    return { batch, data: compressBatchData(raw), blocks, txCount: blocks.reduce((s, b) => s + b.txs.length, 0) }
  }

  /** Prices both ways of posting `dataBytes` with live L1 fees. */
  async chooseDataMode(plan: BatchPlan): Promise<DataChoice> {
    if (this.options.dataMode === 'calldata') return { mode: 'calldata', reason: 'configured: calldata' }
    if (this.#blobsUnavailable) return { mode: 'calldata', reason: 'blobs unavailable on this L1' }
    if (this.options.dataMode === 'blob') return { mode: 'blob', reason: 'configured: blob' }
    const client = this.#m.publicClient
    const [block, blobBaseFee, calldataGas] = await Promise.all([
      client.getBlock(),
      client.getBlobBaseFee().catch(() => undefined),
      client.estimateGas({
        account: this.#m.txManager.address,
        to: this.#m.contracts.rollup,
        data: this.#calldataCall(plan),
      }),
    ])
    if (blobBaseFee === undefined) {
      this.#blobsUnavailable = true
      return { mode: 'calldata', reason: 'L1 reports no blob base fee (pre-Cancun)' }
    }
    const baseFee = block.baseFeePerGas ?? 0n
    const blobs = BigInt(blobCountForData(plan.data.length))
    const blobCostWei = APPEND_BLOB_EXEC_GAS * baseFee + blobs * GAS_PER_BLOB * blobBaseFee
    const calldataCostWei = calldataGas * baseFee
    return blobCostWei <= calldataCostWei
      ? { mode: 'blob', blobCostWei, calldataCostWei, reason: 'blob is cheaper at live prices' }
      : { mode: 'calldata', blobCostWei, calldataCostWei, reason: 'calldata is cheaper at live prices' }
  }

  #calldataCall(plan: BatchPlan): Hex {
    const { firstL2Block, count, deposits } = header(plan)
    return encodeFunctionData({
      abi: rollupAbi,
      functionName: 'appendBatchCalldata',
      args: [firstL2Block, count, deposits, `0x${Buffer.from(plan.data).toString('hex')}`],
    })
  }

  async postBatch(plan: BatchPlan, forceMode?: 'blob' | 'calldata'): Promise<PostedBatch> {
    const choice: DataChoice = forceMode ? { mode: forceMode, reason: 'forced' } : await this.chooseDataMode(plan)
    const { firstL2Block, count, deposits } = header(plan)
    let result: Awaited<ReturnType<TxManager['send']>>
    const startedAt = performance.now()
    if (choice.mode === 'blob') {
      const blobs = dataToBlobs(plan.data, { maxBlobs: this.options.maxBlobsPerTx })
      try {
        result = await this.#m.txManager.send({
          to: this.#m.contracts.rollup,
          data: encodeFunctionData({ abi: rollupAbi, functionName: 'appendBatch', args: [firstL2Block, count, deposits, blobs.length] }),
          blobs,
          abi: rollupAbi,
          label: 'appendBatch',
        })
      } catch (err) {
        if (isBlobUnsupported(err)) {
          this.#blobsUnavailable = true
          this.#log.warn({ err: errText(err) }, 'L1 refused a blob transaction; falling back to calldata')
          return this.postBatch(plan, 'calldata')
        }
        throw err
      }
    } else {
      result = await this.#m.txManager.send({
        to: this.#m.contracts.rollup,
        data: this.#calldataCall(plan),
        abi: rollupAbi,
        label: 'appendBatchCalldata',
      })
    }
    const event = result.receipt.logs
      .filter((l) => l.address.toLowerCase() === this.#m.contracts.rollup.toLowerCase())
      .map((l) => {
        try {
          return decodeEventLog({ abi: rollupAbi, data: l.data, topics: l.topics })
        } catch {
          return undefined
        }
      })
      .find((e) => e?.eventName === 'BatchAppended')
    if (!event || event.eventName !== 'BatchAppended') {
      throw new L2kitError('L1_EVENT_MISSING', 'appendBatch succeeded but emitted no BatchAppended event', { kind: 'critical' })
    }
    const posted: PostedBatch = {
      batchIndex: event.args.batchIndex,
      firstBlock: firstL2Block,
      blockCount: count,
      depositCountAfter: deposits,
      l1TxHash: result.txHash,
      l1BlockNumber: result.receipt.blockNumber,
      isBlob: event.args.isBlob,
      blobHashes: [...event.args.blobHashes],
      dataBytes: plan.data.length,
      txCount: plan.txCount,
      l1GasUsed: result.gasUsed,
      blobGasUsed: result.blobGasUsed,
      l1FeeWei: result.l1FeeWei,
    }
    await this.#m.store.putBatch(posted)
    this.#log.info(
      {
        batchIndex: posted.batchIndex.toString(),
        blocks: `${firstL2Block}..${firstL2Block + BigInt(count) - 1n}`,
        txs: plan.txCount,
        bytes: plan.data.length,
        mode: choice.mode,
        why: choice.reason,
        blobs: posted.blobHashes.length,
        l1Tx: posted.l1TxHash,
        l1FeeWei: posted.l1FeeWei.toString(),
        ms: Math.round(performance.now() - startedAt),
      },
      'batch posted',
    )
    return posted
  }
}

function header(plan: BatchPlan): { firstL2Block: bigint; count: number; deposits: bigint } {
  const last = plan.blocks[plan.blocks.length - 1] as L2Block
  return { firstL2Block: plan.batch.firstBlockNumber, count: plan.blocks.length, deposits: last.depositCountAfter }
}

function isBlobUnsupported(err: unknown): boolean {
  const text = errText(err).toLowerCase()
  return /blob|4844|type 3|unsupported transaction type|invalid transaction type/.test(text) && !/underpriced|fee/.test(text)
}

function errText(err: unknown): string {
  if (isL2kitError(err)) return `${err.code}: ${err.message}`
  return err instanceof Error ? err.message : String(err)
}
