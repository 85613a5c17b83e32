/**
 * The batcher: takes sealed L2 blocks that are not on L1 yet, encodes and compresses them into one batch, and
 * posts it to the Rollup contract as blobs (EIP-4844) or calldata, whichever live prices make cheaper
 * (or as configured). Blob capacity caps a batch at 6 blobs; a bigger run of blocks is split.
 *
 * Its record of posted batches (ChainStore) is checked against the Rollup contract on the canonical L1 chain
 * before every round (`reconcile`): batches an L1 reorg dropped are forgotten and their blocks posted again at
 * once; batches L1 holds that carry our blocks but are missing from the record (a send that timed out, then
 * mined) are adopted, so no block still on L1 is posted twice.
 */
import { decodeEventLog, encodeFunctionData, keccak256 } from 'viem'
import { isL2kitError, L2kitError } from '../core/errors.ts'
import type { L2State } from '../core/state.ts'
import type { Batch, Hex } from '../core/types.ts'
import { rollupAbi } from '../generated/contracts.ts'
import {
  blobCountForData,
  blobsToSidecars,
  dataToBlobs,
  MAX_BLOBS_PER_TX,
  maxBlobDataBytes,
} from '../l1/blobs.ts'
import type { L1PublicClient } from '../l1/clients.ts'
import { L1ErrorCode } from '../l1/errors.ts'
import type { L1TxSender } from '../l1/reorgAwareSender.ts'
import type { TxResult } from '../l1/txManager.ts'
import { Poller } from '../node/lifecycle.ts'
import type { Logger } from '../node/logger.ts'
import type { L2Block } from './block.ts'
import type { ChainStore, PostedBatch } from './chainStore.ts'
import type { BatcherOptions, RollupContracts } from './config.ts'
import { defaultBatcherOptions, validateBatcherOptions } from './config.ts'
import { corruptBatchData, type FaultKind } from './faults.ts'
import { encodeBatchV3 } from './protocol/batchCodecV3.ts'
import { blobBatchDataHash } from './protocol/dataHash.ts'

/** Gas of an `appendBatch` blob transaction (21k base + reading blobhash + one batch record), measured on anvil. */
const APPEND_BLOB_EXEC_GAS = 121_000n
const GAS_PER_BLOB = 131_072n

/**
 * Largest calldata batch, the Rollup's `MAX_CALLDATA_BATCH_BYTES`. A step challenge of a calldata batch carries the
 * whole batch, its calldata trace and a 16 KB witness in one L1 transaction: 64 KiB keeps that under the 128 KiB
 * that public mempools (geth, reth) accept, and near 3.5M gas. Blob batches are opened element by element.
 */
export const MAX_CALLDATA_BATCH_BYTES = 64 * 1024

export type BatcherModules = {
  store: ChainStore
  /** Live L2 state: account indices are permanent, so it answers "known at the batch start" with a bound. */
  state: () => L2State
  publicClient: L1PublicClient
  /** The operator account (a TxManager, or the node's ReorgAwareSender around it). */
  txManager: L1TxSender
  contracts: RollupContracts
  logger: Logger
  now?: () => number
  /** Tests and demos only: corrupt the data of the next batch that can carry this fault (a colluding sequencer). */
  fault?: FaultKind
}

export type BatchPlan = {
  batch: Batch
  data: Uint8Array
  blocks: L2Block[]
  txCount: number
}

/** What `reconcile` changed in the batcher's record. */
export type Reconciliation = {
  /** Batches the canonical chain no longer holds: forgotten, their blocks are posted again. */
  dropped: PostedBatch[]
  /** Batches of ours L1 holds that the record lacked. */
  adopted: PostedBatch[]
  /** Our earlier transactions are still pending in the L1 pool: nothing is posted until they settle. */
  waiting: boolean
}

/** A batch as the Rollup contract stores it (`getBatch`). */
type OnChainBatch = {
  dataHash: Hex
  firstL2Block: bigint
  l2BlockCount: number
  depositCountAfter: bigint
  isBlob: boolean
  l1Block: bigint
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
  #loop: Poller | undefined
  /** Set once a blob tx was refused by L1 (e.g. pre-Cancun chain): calldata from then on. */
  #blobsUnavailable = false
  /** Rounds (reconcile + posting) run one at a time, whoever calls. */
  #lock: Promise<unknown> = Promise.resolve()
  /** Blocks up to this one were posted once and dropped by an L1 reorg: post them again without waiting. */
  #repostThrough = 0n
  /** Canonical batch indices below this were already looked at for adoption. */
  #checkedCount = 0n
  /** First L2 block of a batch L1 refused for its deposit count (logged loudly once). */
  #depositAlarm: bigint | undefined
  /** Fault still to inject into a posted batch. */
  #fault: FaultKind | undefined
  /** Uncorrupted data of batches we corrupted on purpose, by every data hash L1 may record for them. */
  readonly #originals = new Map<Hex, Uint8Array>()

  constructor(options: Partial<BatcherOptions>, modules: BatcherModules) {
    this.options = validateBatcherOptions({ ...defaultBatcherOptions, ...options })
    this.#m = modules
    this.#log = modules.logger.child({ component: 'batcher' })
    this.#now = modules.now ?? Date.now
    this.#fault = modules.fault
  }

  /** Arms a fault: the next posted batch that can carry it is corrupted (see faults.ts). */
  injectFault(kind: FaultKind): void {
    this.#fault = kind
  }

  /** The data we meant to post for a batch we corrupted on purpose (by its recorded data hash). */
  originalData(dataHash: Hex): Uint8Array | undefined {
    return this.#originals.get(dataHash.toLowerCase() as Hex)
  }

  async start(): Promise<void> {
    // Failures are logged and retried with backoff by the poller; only a critical error stops the loop.
    this.#loop = new Poller(
      { name: 'batcher', intervalMs: this.options.intervalMs, runImmediately: false },
      {
        logger: this.#log,
        step: async () => {
          await this.postPending()
        },
      },
    )
    await this.#loop.start()
  }

  async stop(): Promise<void> {
    await this.#loop?.stop()
  }

  /** First L2 block not yet covered by a posted batch. */
  nextBlockToPost(): bigint {
    const last = this.#m.store.lastBatch()
    return last ? last.firstBlock + BigInt(last.blockCount) : 1n
  }

  /**
   * Reconciles the record with L1, then posts every waiting block, in as many batches as blob capacity needs.
   * With `force` it posts even a small young batch (the demo and tests use it); otherwise size or age decides
   * (blocks an L1 reorg un-posted go at once). Concurrent calls run one after the other.
   */
  postPending(force = false): Promise<PostedBatch[]> {
    return this.#exclusive(async () => {
      const r = await this.#reconcile()
      const posted: PostedBatch[] = []
      if (r.waiting) return posted
      for (;;) {
        const plan = this.planBatch(force)
        if (!plan) return posted
        posted.push(await this.postBatch(plan))
        force = true
      }
    })
  }

  /**
   * Checks the record of posted batches against the Rollup contract on the canonical chain (read at one L1
   * block): forgets the batches L1 no longer holds (an L1 reorg dropped them) so their blocks are posted again,
   * and adopts batches L1 holds that carry exactly our next blocks but are missing from the record.
   */
  reconcile(): Promise<Reconciliation> {
    return this.#exclusive(() => this.#reconcile())
  }

  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(task, task)
    this.#lock = run.catch(() => undefined)
    return run
  }

  async #reconcile(): Promise<Reconciliation> {
    const result: Reconciliation = { dropped: [], adopted: [], waiting: false }
    const client = this.#m.publicClient
    const store = this.#m.store
    const blockNumber = await client.getBlockNumber({ cacheTime: 0 })
    const count = await client.readContract({
      address: this.#m.contracts.rollup,
      abi: rollupAbi,
      functionName: 'batchCount',
      blockNumber,
    })
    // A reorg drops a suffix of our batches (they are appended in nonce order): walk back to the newest match.
    let last = store.lastBatch()
    let firstGone: bigint | undefined
    while (last !== undefined) {
      if (last.batchIndex < count) {
        const onChain = await this.#onChainBatch(last.batchIndex, blockNumber)
        if (sameBatch(last, onChain)) {
          if (onChain.l1Block !== last.l1BlockNumber) {
            // The same transaction, mined again in another block of the new chain.
            const { l1BlockHash: _stale, ...rest } = last
            await store.putBatch({ ...rest, l1BlockNumber: onChain.l1Block })
          }
          break
        }
      }
      firstGone = last.batchIndex
      last = store.batchBefore(last.batchIndex)
    }
    if (firstGone !== undefined) {
      const address = this.#m.txManager.address
      const [mined, pending] = await Promise.all([
        client.getTransactionCount({ address, blockNumber }),
        client.getTransactionCount({ address, blockTag: 'pending' }),
      ])
      if (pending > mined) {
        // On a live chain a reorged-out transaction returns to the pool and may be mined again: posting its
        // blocks now could put them on L1 twice. Wait until the pool is empty of ours.
        this.#log.warn(
          { firstGone: firstGone.toString(), minedNonce: mined, pendingNonce: pending },
          'batches dropped by an L1 reorg, but transactions of ours are still pending: waiting before reposting',
        )
        result.waiting = true
        return result
      }
      result.dropped = await store.removeBatchesFrom(firstGone)
      this.#m.txManager.resetNonce()
      if (this.#checkedCount > firstGone) this.#checkedCount = firstGone
      for (const b of result.dropped) {
        const end = b.firstBlock + BigInt(b.blockCount) - 1n
        if (end > this.#repostThrough) this.#repostThrough = end
        this.#log.warn(
          {
            batchIndex: b.batchIndex.toString(),
            blocks: `${b.firstBlock}..${end}`,
            l1Tx: b.l1TxHash,
            l1Block: b.l1BlockNumber.toString(),
          },
          'batch dropped by an L1 reorg: its blocks will be posted again',
        )
      }
    }
    // Batches L1 holds beyond our record: ours if they carry exactly the next blocks we would post.
    const lastIndex = store.lastBatch()?.batchIndex ?? -1n
    for (let i = lastIndex + 1n > this.#checkedCount ? lastIndex + 1n : this.#checkedCount; i < count; i++) {
      const onChain = await this.#onChainBatch(i, blockNumber)
      const adopted = await this.#adopt(i, onChain)
      if (adopted) result.adopted.push(adopted)
    }
    if (count > this.#checkedCount) this.#checkedCount = count
    return result
  }

  async #onChainBatch(batchIndex: bigint, blockNumber: bigint): Promise<OnChainBatch> {
    const b = await this.#m.publicClient.readContract({
      address: this.#m.contracts.rollup,
      abi: rollupAbi,
      functionName: 'getBatch',
      args: [batchIndex],
      blockNumber,
    })
    return {
      dataHash: b.dataHash,
      firstL2Block: BigInt(b.firstL2Block),
      l2BlockCount: Number(b.l2BlockCount),
      depositCountAfter: BigInt(b.depositCountAfter),
      isBlob: b.isBlob,
      l1Block: BigInt(b.l1Block),
    }
  }

  /** Records canonical batch `batchIndex` as ours if its data is exactly the encoding of our next blocks. */
  async #adopt(batchIndex: bigint, onChain: OnChainBatch): Promise<PostedBatch | undefined> {
    const from = this.nextBlockToPost()
    if (onChain.firstL2Block !== from || onChain.l2BlockCount < 1) return undefined
    const blocks: L2Block[] = []
    for (let n = from; n < from + BigInt(onChain.l2BlockCount); n++) {
      const b = this.#m.store.getBlock(n)
      if (!b) return undefined
      blocks.push(b)
    }
    const plan = this.#encode(blocks)
    if ((blocks[blocks.length - 1] as L2Block).depositCountAfter !== onChain.depositCountAfter)
      return undefined
    const blobHashes = onChain.isBlob
      ? blobsToSidecars(dataToBlobs(plan.data, { maxBlobs: MAX_BLOBS_PER_TX })).versionedHashes
      : []
    const dataHash = onChain.isBlob ? blobBatchDataHash(blobHashes) : keccak256(plan.data)
    if (dataHash !== onChain.dataHash) return undefined
    const [event] = await this.#m.publicClient.getContractEvents({
      address: this.#m.contracts.rollup,
      abi: rollupAbi,
      eventName: 'BatchAppended',
      args: { batchIndex },
      fromBlock: onChain.l1Block,
      toBlock: onChain.l1Block,
      strict: true,
    })
    if (!event) return undefined
    const receipt = await this.#m.publicClient.getTransactionReceipt({ hash: event.transactionHash })
    const blobGasUsed = receipt.blobGasUsed ?? 0n
    const posted: PostedBatch = {
      batchIndex,
      firstBlock: from,
      blockCount: blocks.length,
      depositCountAfter: onChain.depositCountAfter,
      l1TxHash: event.transactionHash,
      l1BlockNumber: event.blockNumber,
      l1BlockHash: event.blockHash,
      dataHash,
      isBlob: onChain.isBlob,
      blobHashes: [...blobHashes],
      dataBytes: plan.data.length,
      txCount: plan.txCount,
      l1GasUsed: receipt.gasUsed,
      blobGasUsed,
      l1FeeWei: receipt.gasUsed * receipt.effectiveGasPrice + blobGasUsed * (receipt.blobGasPrice ?? 0n),
    }
    await this.#m.store.putBatch(posted)
    this.#log.warn(
      {
        batchIndex: batchIndex.toString(),
        blocks: `${from}..${from + BigInt(blocks.length) - 1n}`,
        l1Tx: posted.l1TxHash,
      },
      'adopted a batch of ours that L1 holds but the record lacked (e.g. a send that timed out, then mined)',
    )
    return posted
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
    const blobCapacity = maxBlobDataBytes(Math.min(this.options.maxBlobsPerTx, MAX_BLOBS_PER_TX))
    const capacity =
      this.options.dataMode === 'calldata' || this.#blobsUnavailable
        ? Math.min(blobCapacity, MAX_CALLDATA_BATCH_BYTES)
        : blobCapacity
    // Too big for one L1 tx: keep halving the run of blocks until it fits.
    while (plan.data.length > capacity && plan.blocks.length > 1) {
      plan = this.#encode(plan.blocks.slice(0, Math.ceil(plan.blocks.length / 2)))
    }
    if (plan.data.length > capacity) {
      throw new L2kitError(
        'BATCH_TOO_LARGE',
        `a single L2 block compresses to ${plan.data.length} bytes, over the ${capacity}-byte limit`,
        {
          kind: 'critical',
        },
      )
    }
    const oldest = blocks[0] as L2Block
    const ageMs = this.#now() - oldest.timestamp * 1000
    const bigEnough = plan.data.length >= this.options.targetBatchBytes || plan.blocks.length < blocks.length
    const reposting = from <= this.#repostThrough
    if (!force && !reposting && !bigEnough && ageMs < this.options.maxBatchAgeMs) return undefined
    return plan
  }

  #encode(blocks: L2Block[]): BatchPlan {
    const first = blocks[0] as L2Block
    const before =
      first.number <= 1n ? 0n : (this.#m.store.getBlock(first.number - 1n)?.depositCountAfter ?? 0n)
    const batch: Batch = {
      firstBlockNumber: first.number,
      blocks: blocks.map((b) => ({
        timestamp: b.timestamp,
        depositCountAfter: b.depositCountAfter,
        txs: b.txs.map((t) => t.tx),
      })),
    }
    return {
      batch,
      data: encodeBatchV3(batch, before),
      blocks,
      txCount: blocks.reduce((s, b) => s + b.txs.length, 0),
    }
  }

  /** Prices both ways of posting `dataBytes` with live L1 fees. */
  async chooseDataMode(plan: BatchPlan): Promise<DataChoice> {
    if (this.options.dataMode === 'calldata') return { mode: 'calldata', reason: 'configured: calldata' }
    if (this.#blobsUnavailable) return { mode: 'calldata', reason: 'blobs unavailable on this L1' }
    if (this.options.dataMode === 'blob') return { mode: 'blob', reason: 'configured: blob' }
    if (plan.data.length > MAX_CALLDATA_BATCH_BYTES)
      return { mode: 'blob', reason: 'too large to be challengeable as calldata in one L1 transaction' }
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
    if (this.#fault) {
      const corrupted = corruptBatchData(this.#fault, plan.data)
      if (corrupted) {
        const blobHashes = blobsToSidecars(
          dataToBlobs(corrupted, { maxBlobs: MAX_BLOBS_PER_TX }),
        ).versionedHashes
        this.#originals.set(blobBatchDataHash(blobHashes).toLowerCase() as Hex, plan.data)
        this.#originals.set(keccak256(corrupted).toLowerCase() as Hex, plan.data)
        this.#log.warn(
          { fault: this.#fault, firstL2Block: plan.batch.firstBlockNumber.toString() },
          'FAULT INJECTION: posting corrupted batch data on purpose',
        )
        const kind = this.#fault
        this.#fault = undefined
        const bad = await this.postBatch({ ...plan, data: corrupted }, forceMode)
        // Derivation ignores an invalid batch whole: post the real one right after, so the chain goes on.
        return kind === 'garbage-batch' ? this.postBatch(plan, forceMode) : bad
      }
    }
    const choice: DataChoice = forceMode
      ? { mode: forceMode, reason: 'forced' }
      : await this.chooseDataMode(plan)
    const { firstL2Block, deposits } = header(plan)
    let result: TxResult
    const startedAt = performance.now()
    try {
      result = await this.#send(plan, choice)
    } catch (err) {
      if (isBlobUnsupported(err) && choice.mode === 'blob') {
        this.#blobsUnavailable = true
        this.#log.warn({ err: errText(err) }, 'L1 refused a blob transaction; falling back to calldata')
        if (plan.data.length > MAX_CALLDATA_BATCH_BYTES)
          throw new L2kitError(
            'BATCH_TOO_LARGE_FOR_CALLDATA',
            `a ${plan.data.length}-byte batch is too large to post as calldata; the next round plans smaller ones`,
            { kind: 'temporary' },
          )
        return this.postBatch(plan, 'calldata')
      }
      this.#alarmOnDeposits(err, firstL2Block, deposits)
      throw err
    }
    return this.#record(plan, choice, result, startedAt)
  }

  async #send(plan: BatchPlan, choice: DataChoice): Promise<TxResult> {
    const { firstL2Block, count, deposits } = header(plan)
    if (choice.mode === 'blob') {
      const blobs = dataToBlobs(plan.data, { maxBlobs: this.options.maxBlobsPerTx })
      return this.#m.txManager.send({
        to: this.#m.contracts.rollup,
        data: encodeFunctionData({
          abi: rollupAbi,
          functionName: 'appendBatch',
          args: [firstL2Block, count, deposits, blobs.length],
        }),
        blobs,
        abi: rollupAbi,
        label: 'appendBatch',
      })
    }
    return this.#m.txManager.send({
      to: this.#m.contracts.rollup,
      data: this.#calldataCall(plan),
      abi: rollupAbi,
      label: 'appendBatchCalldata',
    })
  }

  /**
   * L1 refuses a batch whose deposit count is above the portal's: the sequencer included a deposit L1 no longer
   * has (an L1 reorg dropped it after inclusion, possible with depositConfirmations 0). Say so loudly, once.
   */
  #alarmOnDeposits(err: unknown, firstL2Block: bigint, deposits: bigint): void {
    if (!isL2kitError(err) || err.code !== L1ErrorCode.txReverted || !/DepositCountTooHigh/.test(err.message))
      return
    if (this.#depositAlarm === firstL2Block) return
    this.#depositAlarm = firstL2Block
    this.#log.error(
      { firstL2Block: firstL2Block.toString(), depositCountAfter: deposits.toString(), reason: err.message },
      'L1 refuses these L2 blocks: they include deposits the portal no longer has (reorged away after the ' +
        'sequencer included them). The sequencer chain has diverged from L1; batching stops until L1 has that many deposits',
    )
  }

  async #record(
    plan: BatchPlan,
    choice: DataChoice,
    result: TxResult,
    startedAt: number,
  ): Promise<PostedBatch> {
    const { firstL2Block, count, deposits } = header(plan)
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
      throw new L2kitError('L1_EVENT_MISSING', 'appendBatch succeeded but emitted no BatchAppended event', {
        kind: 'critical',
      })
    }
    const posted: PostedBatch = {
      batchIndex: event.args.batchIndex,
      firstBlock: firstL2Block,
      blockCount: count,
      depositCountAfter: deposits,
      l1TxHash: result.txHash,
      l1BlockNumber: result.receipt.blockNumber,
      l1BlockHash: result.receipt.blockHash,
      dataHash: event.args.dataHash,
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

/** Whether our record and the contract's describe the same batch (same blocks, same data). */
function sameBatch(mine: PostedBatch, onChain: OnChainBatch): boolean {
  const dataHash = mine.dataHash ?? (mine.isBlob ? blobBatchDataHash(mine.blobHashes) : undefined)
  return (
    onChain.firstL2Block === mine.firstBlock &&
    onChain.l2BlockCount === mine.blockCount &&
    onChain.depositCountAfter === mine.depositCountAfter &&
    onChain.isBlob === mine.isBlob &&
    (dataHash === undefined || dataHash.toLowerCase() === onChain.dataHash.toLowerCase())
  )
}

function header(plan: BatchPlan): { firstL2Block: bigint; count: number; deposits: bigint } {
  const last = plan.blocks[plan.blocks.length - 1] as L2Block
  return {
    firstL2Block: plan.batch.firstBlockNumber,
    count: plan.blocks.length,
    deposits: last.depositCountAfter,
  }
}

function isBlobUnsupported(err: unknown): boolean {
  const text = errText(err).toLowerCase()
  return (
    /blob|4844|type 3|unsupported transaction type|invalid transaction type/.test(text) &&
    !/underpriced|fee/.test(text)
  )
}

function errText(err: unknown): string {
  if (isL2kitError(err)) return `${err.code}: ${err.message}`
  return err instanceof Error ? err.message : String(err)
}
