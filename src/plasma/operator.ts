/**
 * The Plasma operator (docs/plasma.md): takes signed transfers, checks them against its UTXO set, answers once the
 * transfer is on disk, seals a block every `blockIntervalMs` (or when full), commits its root to L1 through the
 * transaction manager, follows deposits from L1, and serves blocks and inclusion proofs.
 *
 * Writes go through one queue drained in one LMDB transaction per drain (group commit): a burst of transfers costs
 * one fsync, and a seal queued after them is ordered after them on disk. The UTXO set is kept in memory (loaded
 * from the store at start) so a check needs no disk read.
 */
import { type Address, decodeEventLog, encodeFunctionData } from 'viem'
import { bytesToHex, hexToBytes } from '../core/bytes.ts'
import { L2kitError } from '../core/errors.ts'
import { keccak256 } from '../core/hash.ts'
import type { Logger } from '../core/logger.ts'
import { recoverAddressFromBytes } from '../core/signature.ts'
import type { Hex } from '../core/types.ts'
import { plasmaFrameworkAbi } from '../generated/contracts.ts'
import type { L1PublicClient } from '../l1/clients.ts'
import type { TxManager } from '../l1/txManager.ts'
import { OrderedAdmission } from '../node/admission.ts'
import type { Metrics } from '../node/metrics.ts'
import { RecoveryPool } from '../node/recoveryPool.ts'
import { PlasmaErrorCode } from './protocol/errors.ts'
import { checkShape, checkTransfer, type OutputState, splitSignature } from './protocol/ledger.ts'
import { BlockTree, MAX_BLOCK_TXS } from './protocol/merkle.ts'
import {
  CHILD_BLOCK_INTERVAL,
  depositTx,
  encodeTx,
  encodeUtxoPos,
  leafOf,
  type PlasmaDomain,
  type PlasmaOutput,
  type SignedPlasmaTx,
  txDigest,
  txHashOf,
} from './protocol/tx.ts'
import { type PlasmaOperatorStore, posKey, type StoredBlock, type StoredTx } from './store.ts'

export type PlasmaOperatorOptions = {
  /** A block is sealed this often when it has transactions. */
  blockIntervalMs: number
  /** A block is sealed at once when it holds this many transactions (≤ 65,536, the tree's size). */
  maxBlockTxs: number
  /** How often L1 is read for deposits and the blocks' status. */
  l1PollMs: number
  /** Transactions admitted but not yet on disk before new ones are refused with PLASMA_BUSY. */
  maxUnflushed: number
  /** Worker threads recovering signatures (0: on the main thread). Default: one less than the cores, at least 1. */
  recoveryThreads?: number
}

export const defaultPlasmaOperatorOptions: PlasmaOperatorOptions = {
  blockIntervalMs: 1000,
  maxBlockTxs: MAX_BLOCK_TXS,
  l1PollMs: 500,
  maxUnflushed: 100_000,
}

export function validatePlasmaOperatorOptions(o: PlasmaOperatorOptions): void {
  const problems: string[] = []
  if (!(o.blockIntervalMs >= 10)) problems.push('blockIntervalMs must be ≥ 10')
  if (!Number.isInteger(o.maxBlockTxs) || o.maxBlockTxs < 1 || o.maxBlockTxs > MAX_BLOCK_TXS)
    problems.push(`maxBlockTxs must be 1..${MAX_BLOCK_TXS}`)
  if (!(o.l1PollMs >= 10)) problems.push('l1PollMs must be ≥ 10')
  if (!(o.maxUnflushed >= 1)) problems.push('maxUnflushed must be ≥ 1')
  if (problems.length > 0) {
    throw new L2kitError(
      PlasmaErrorCode.invalidOptions,
      `invalid Plasma operator options: ${problems.join('; ')}`,
      {
        details: { problems },
      },
    )
  }
}

export type PlasmaOperatorModules = {
  store: PlasmaOperatorStore
  publicClient: L1PublicClient
  /** signs with the operator key (the only one `submitBlock` accepts) */
  txManager: TxManager
  framework: Address
  chainId: bigint
  /** the L1 block the framework was deployed in: where following deposits starts */
  deployBlock: bigint
  logger: Logger
  metrics?: Metrics
}

/** Where an accepted transfer is: its hash, and the block and index it has (the open block until sealed). */
export type Accepted = { txHash: Hex; blknum: bigint; txIndex: number }

/** What the attack demo makes a dishonest operator do. Never set by `l2kit up`. */
export type OperatorFaults = {
  /** blocks sealed while true are committed on L1 but their data is refused to everyone */
  withhold: boolean
}

type Write = () => void

export class PlasmaOperator {
  readonly options: PlasmaOperatorOptions
  readonly domain: PlasmaDomain
  readonly faults: OperatorFaults = { withhold: false }
  readonly #m: PlasmaOperatorModules
  readonly #log: Logger
  readonly #utxos = new Map<bigint, PlasmaOutput>()
  readonly #spent = new Map<bigint, Hex | typeof EXITED>()
  #openBlknum = CHILD_BLOCK_INTERVAL
  #openTxs: StoredTx[] = []
  #ops: Write[] = []
  #waiters: { resolve: () => void; reject: (e: unknown) => void }[] = []
  #writing = false
  #unflushed = 0
  #sealTimer: NodeJS.Timeout | undefined
  #pollTimer: NodeJS.Timeout | undefined
  #polling: Promise<void> | undefined
  #submitting: Promise<void> | undefined
  #stopped = true
  #l1Cursor = 0n
  readonly #trees = new Map<bigint, BlockTree>()
  readonly #admission = new OrderedAdmission()
  readonly #pool: RecoveryPool
  readonly #accepted
  readonly #blocksSealed

  constructor(options: Partial<PlasmaOperatorOptions>, modules: PlasmaOperatorModules) {
    this.options = { ...defaultPlasmaOperatorOptions, ...options }
    validatePlasmaOperatorOptions(this.options)
    this.#m = modules
    this.#log = modules.logger
    this.domain = { chainId: modules.chainId, framework: modules.framework }
    this.#pool = new RecoveryPool(
      this.options.recoveryThreads === undefined ? {} : { threads: this.options.recoveryThreads },
      { logger: modules.logger, inline: recoverAddressFromBytes },
    )
    this.#accepted = modules.metrics?.counter(
      'plasma_transactions_accepted_total',
      'transfers accepted and stored',
    )
    this.#blocksSealed = modules.metrics?.counter('plasma_blocks_sealed_total', 'operator blocks sealed')
  }

  /** Loads the state from the store, resubmits sealed roots L1 does not have, starts sealing and following L1. */
  async start(): Promise<void> {
    const s = this.#m.store
    this.#openBlknum = (s.meta.get('openBlknum') as bigint | undefined) ?? CHILD_BLOCK_INTERVAL
    this.#l1Cursor = (s.meta.get('l1Cursor') as bigint | undefined) ?? this.#m.deployBlock
    for (const { key, value } of s.utxos.getRange()) this.#utxos.set(BigInt(key as string), value)
    for (const { key, value } of s.spent.getRange()) this.#spent.set(BigInt(key as string), value)
    this.#openTxs = [...s.pending.getRange()].map((e) => e.value)
    this.#stopped = false
    this.#log.info(
      { openBlock: this.#openBlknum.toString(), pending: this.#openTxs.length, utxos: this.#utxos.size },
      'plasma operator started',
    )
    await this.#pollL1()
    this.#kickSubmitter()
    this.#sealTimer = setInterval(
      () => void this.seal().catch((e) => this.#log.error({ err: e }, 'seal failed')),
      this.options.blockIntervalMs,
    )
    this.#schedulePoll()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearInterval(this.#sealTimer)
    clearTimeout(this.#pollTimer)
    await this.#polling?.catch(() => undefined)
    await this.#flushed()
    await this.#submitting
    await this.#pool.close()
  }

  /** The open block's number (what the next sealed block will be). */
  get openBlknum(): bigint {
    return this.#openBlknum
  }

  /**
   * Checks a signed transfer against the UTXO set, applies it to the open block and answers once it is on disk.
   * Throws a PLASMA_* error (nothing changed) for anything invalid.
   */
  async submit(signed: SignedPlasmaTx): Promise<Accepted> {
    if (this.#stopped)
      throw new L2kitError(PlasmaErrorCode.busy, 'the operator is stopping', { kind: 'temporary' })
    if (this.#unflushed >= this.options.maxUnflushed)
      throw new L2kitError(PlasmaErrorCode.busy, 'the operator is busy; retry', { kind: 'temporary' })
    checkShape(signed)
    // Signature recovery (most of a transfer's CPU) runs on the worker pool, concurrently for every submission;
    // the check against the UTXO set and the inclusion run in arrival order.
    return this.#admission.admit(
      async () => {
        const txBytes = encodeTx(signed.tx)
        const digest = txDigest(this.domain, signed.tx)
        const signers = await Promise.all(
          signed.sigs.map((sig) => {
            const { rs, yParity } = splitSignature(sig)
            return this.#pool.recover(digest, rs, yParity)
          }),
        )
        return { txBytes, txHash: keccak256(txBytes), digest, signers }
      },
      async (prepared) => {
        const checked = checkTransfer(this.domain, signed, (pos) => this.#lookup(pos), prepared)
        if (this.#openTxs.length >= this.options.maxBlockTxs) void this.seal()
        return this.#include(signed, checked.txHashHex, checked.txBytes)
      },
    )
  }

  /**
   * FAULT (attack demo only): includes a transaction without checking its signatures (an operator stealing an
   * output it does not own). Inputs must still exist, so the theft is of a real output.
   */
  async includeUnchecked(signed: SignedPlasmaTx): Promise<Accepted> {
    const txBytes = encodeTx(signed.tx)
    return this.#include(signed, bytesToHex(keccak256(txBytes)), txBytes)
  }

  #include(signed: SignedPlasmaTx, txHash: Hex, txBytes: Uint8Array): Promise<Accepted> {
    const blknum = this.#openBlknum
    const txIndex = this.#openTxs.length
    const stored: StoredTx = { txBytes: bytesToHex(txBytes), sigs: [...signed.sigs], txHash }
    this.#openTxs.push(stored)
    const created: [bigint, PlasmaOutput][] = signed.tx.outputs.map((o, oIndex) => [
      encodeUtxoPos({ blknum, txIndex, oIndex }),
      { owner: o.owner.toLowerCase() as Address, token: o.token.toLowerCase() as Address, amount: o.amount },
    ])
    for (const pos of signed.tx.inputs) {
      this.#utxos.delete(pos)
      this.#spent.set(pos, txHash)
    }
    for (const [pos, o] of created) this.#utxos.set(pos, o)
    const s = this.#m.store
    this.#unflushed++
    return this.#write(() => {
      s.pending.put(txIndex, stored)
      for (const pos of signed.tx.inputs) {
        s.utxos.remove(posKey(pos))
        s.spent.put(posKey(pos), txHash)
      }
      for (const [pos, o] of created) s.utxos.put(posKey(pos), o)
      s.txs.put(txHash, { blknum, txIndex })
    }).then(
      () => {
        this.#unflushed--
        this.#accepted?.inc()
        return { txHash, blknum, txIndex }
      },
      (e) => {
        this.#unflushed--
        throw e
      },
    )
  }

  #lookup(pos: bigint): OutputState | undefined {
    const output = this.#utxos.get(pos)
    if (output !== undefined) return { output }
    const spentBy = this.#spent.get(pos)
    if (spentBy === undefined) return undefined
    return {
      output: {
        owner: '0x0000000000000000000000000000000000000000',
        token: '0x0000000000000000000000000000000000000000',
        amount: 0n,
      },
      spentBy,
    }
  }

  /** Seals the open block (if it has transactions) and queues its root for L1. Returns its number. */
  async seal(): Promise<bigint | undefined> {
    if (this.#openTxs.length === 0) return undefined
    const blknum = this.#openBlknum
    const txs = this.#openTxs
    this.#openTxs = []
    this.#openBlknum = blknum + CHILD_BLOCK_INTERVAL
    const tree = new BlockTree(txs.map(leafOfStored))
    const block: StoredBlock = {
      blknum,
      root: bytesToHex(tree.root),
      txs,
      kind: 'operator',
      sealedAt: Date.now(),
      ...(this.faults.withhold ? { withheld: true } : {}),
    }
    this.#trees.set(blknum, tree)
    const s = this.#m.store
    const next = this.#openBlknum
    await this.#write(() => {
      s.blocks.put(posKey(blknum), block)
      for (let i = 0; i < txs.length; i++) s.pending.remove(i)
      s.meta.put('openBlknum', next)
    })
    this.#blocksSealed?.inc()
    this.#log.info({ blknum: blknum.toString(), txs: txs.length, root: block.root }, 'block sealed')
    this.#kickSubmitter()
    return blknum
  }

  /** Resolves when every sealed block's root is on L1. */
  async committed(): Promise<void> {
    while (this.#submitting !== undefined) await this.#submitting
  }

  #kickSubmitter(): void {
    if (this.#submitting !== undefined) return
    this.#submitting = this.#submitAll()
      .catch((e) =>
        this.#log.error({ err: e }, 'committing block roots failed; retrying at the next seal or poll'),
      )
      .finally(() => {
        this.#submitting = undefined
      })
  }

  async #submitAll(): Promise<void> {
    for (;;) {
      const next = this.#firstUnsubmitted()
      if (next === undefined || this.#stopped) return
      const onL1 = await this.#rootOnL1(next.blknum)
      let l1TxHash: Hex | undefined
      if (onL1 === next.root) {
        l1TxHash = next.l1TxHash ?? '0x'
      } else if (onL1 !== undefined && onL1 !== ZERO_ROOT) {
        throw new L2kitError(PlasmaErrorCode.blockMismatch, `L1 has another root for block ${next.blknum}`, {
          kind: 'critical',
          details: { blknum: next.blknum.toString(), ours: next.root, l1: onL1 },
        })
      } else {
        const result = await this.#m.txManager.send({
          to: this.#m.framework,
          data: encodeFunctionData({
            abi: plasmaFrameworkAbi,
            functionName: 'submitBlock',
            args: [next.root],
          }),
          abi: plasmaFrameworkAbi,
          label: `submitBlock ${next.blknum}`,
        })
        l1TxHash = result.txHash
        this.#log.info(
          { blknum: next.blknum.toString(), l1TxHash, gasUsed: result.gasUsed.toString() },
          'block root committed to L1',
        )
      }
      const done = { ...next, l1TxHash }
      await this.#write(() => {
        this.#m.store.blocks.put(posKey(next.blknum), done)
        this.#m.store.meta.put('committedUpTo', next.blknum)
      })
    }
  }

  #firstUnsubmitted(): StoredBlock | undefined {
    // blocks are committed in order: start after the last one known committed
    const from = (this.#m.store.meta.get('committedUpTo') as bigint | undefined) ?? 0n
    for (const { value } of this.#m.store.blocks.getRange({ start: posKey(from + 1n) })) {
      if (value.kind === 'operator' && value.l1TxHash === undefined) return value
    }
    return undefined
  }

  async #rootOnL1(blknum: bigint): Promise<Hex | undefined> {
    const [root] = (await this.#m.publicClient.readContract({
      address: this.#m.framework,
      abi: plasmaFrameworkAbi,
      functionName: 'blocks',
      args: [blknum],
    })) as readonly [Hex, bigint]
    return root
  }

  #schedulePoll(): void {
    if (this.#stopped) return
    this.#pollTimer = setTimeout(() => {
      this.#polling = this.#pollL1()
      this.#polling
        .catch((e) => this.#log.warn({ err: e }, 'reading L1 failed; retrying'))
        .finally(() => this.#schedulePoll())
    }, this.options.l1PollMs)
  }

  /** Follows DepositCreated: each deposit becomes a deposit block and an unspent output. */
  async #pollL1(): Promise<void> {
    const head = await this.#m.publicClient.getBlockNumber()
    if (head < this.#l1Cursor) return
    const logs = await this.#m.publicClient.getLogs({
      address: this.#m.framework,
      fromBlock: this.#l1Cursor,
      toBlock: head,
    })
    const s = this.#m.store
    const deposits: StoredBlock[] = []
    const exiting: bigint[] = []
    for (const log of logs) {
      let event: ReturnType<typeof decodeEventLog<typeof plasmaFrameworkAbi>>
      try {
        event = decodeEventLog({ abi: plasmaFrameworkAbi, data: log.data, topics: log.topics })
      } catch {
        continue
      }
      if (event.eventName === 'ExitStarted') {
        exiting.push((event.args as { utxoPos: bigint }).utxoPos)
        continue
      }
      if (event.eventName !== 'DepositCreated') continue
      const { blknum, owner, token, amount } = event.args as {
        blknum: bigint
        owner: Address
        token: Address
        amount: bigint
      }
      if (s.blocks.has(posKey(blknum))) continue
      const tx = depositTx(blknum, {
        owner: owner.toLowerCase() as Address,
        token: token.toLowerCase() as Address,
        amount,
      })
      const txHash = bytesToHex(txHashOf(tx))
      const stored: StoredTx = { txBytes: bytesToHex(encodeTx(tx)), sigs: [], txHash }
      deposits.push({
        blknum,
        root: bytesToHex(new BlockTree([leafOfStored(stored)]).root),
        txs: [stored],
        kind: 'deposit',
        sealedAt: Date.now(),
        l1TxHash: log.transactionHash ?? '0x',
      })
    }
    const cursor = head + 1n
    if (this.#stopped) return
    // An output being exited on L1 is spent as far as the chain is concerned: the operator never includes a spend of
    // it (the exit would pay it on L1 and the spend again on the chain). It may be a deposit of this same poll.
    const depositPos = (d: StoredBlock) => d.blknum * 1_000_000_000n
    const exited = exiting.filter(
      (pos) => this.#utxos.has(pos) || deposits.some((d) => depositPos(d) === pos),
    )
    for (const pos of exited) {
      this.#utxos.delete(pos)
      this.#spent.set(pos, EXITED)
      this.#log.info({ utxoPos: pos.toString() }, 'output exiting on L1: no longer spendable here')
    }
    this.#l1Cursor = cursor
    await this.#write(() => {
      for (const d of deposits) {
        s.blocks.put(posKey(d.blknum), d)
        if (!exited.includes(depositPos(d))) s.utxos.put(posKey(depositPos(d)), depositOutput(d))
        s.txs.put(d.txs[0]?.txHash as Hex, { blknum: d.blknum, txIndex: 0 })
      }
      for (const pos of exited) {
        s.utxos.remove(posKey(pos))
        s.spent.put(posKey(pos), EXITED)
      }
      s.meta.put('l1Cursor', cursor)
    })
    // spendable (and served) only once stored: a deposit block is never visible before it is on disk
    for (const d of deposits) {
      const o = depositOutput(d)
      if (!exited.includes(depositPos(d))) this.#utxos.set(depositPos(d), o)
      this.#log.info(
        { blknum: d.blknum.toString(), owner: o.owner, token: o.token, amount: o.amount.toString() },
        'deposit',
      )
    }
    this.#kickSubmitter()
  }

  #write(op: Write): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#ops.push(op)
      this.#waiters.push({ resolve, reject })
      if (!this.#writing) void this.#drain()
    })
  }

  async #drain(): Promise<void> {
    this.#writing = true
    try {
      while (this.#ops.length > 0) {
        const ops = this.#ops
        const waiters = this.#waiters
        this.#ops = []
        this.#waiters = []
        try {
          await this.#m.store.store.transaction(() => {
            for (const op of ops) op()
          })
          for (const w of waiters) w.resolve()
        } catch (e) {
          this.#log.error({ err: e }, 'a store write failed; the operator stops taking transactions')
          this.#stopped = true
          for (const w of waiters) w.reject(e)
        }
      }
    } finally {
      this.#writing = false
    }
  }

  async #flushed(): Promise<void> {
    if (this.#ops.length > 0 || this.#writing) await this.#write(() => {})
  }

  // ---- reads (what the RPC serves) ----

  /** A stored block, or PLASMA_BLOCK_UNAVAILABLE for an unknown or withheld one. */
  getBlock(blknum: bigint): StoredBlock {
    const block = this.#m.store.blocks.get(posKey(blknum))
    if (block === undefined || block.withheld === true) {
      throw new L2kitError(PlasmaErrorCode.blockUnavailable, `block ${blknum} is not available`, {
        kind: 'temporary',
        details: { blknum: blknum.toString() },
      })
    }
    return block
  }

  /** Where a transaction is, with its inclusion proof once its block is sealed (and not withheld). */
  getTransaction(
    txHash: Hex,
  ):
    | (StoredTx & { blknum: bigint; txIndex: number; sealed: boolean; committed: boolean; proof?: Hex })
    | undefined {
    const where = this.#m.store.txs.get(txHash.toLowerCase())
    if (where === undefined) return undefined
    const block = this.#m.store.blocks.get(posKey(where.blknum))
    if (block === undefined) {
      const stored = this.#m.store.pending.get(where.txIndex)
      if (stored === undefined) return undefined
      return { ...stored, ...where, sealed: false, committed: false }
    }
    const stored = block.txs[where.txIndex] as StoredTx
    const committed = block.l1TxHash !== undefined
    if (block.withheld === true) return { ...stored, ...where, sealed: true, committed }
    return { ...stored, ...where, sealed: true, committed, proof: this.proof(block, where.txIndex) }
  }

  proof(block: StoredBlock, txIndex: number): Hex {
    let tree = this.#trees.get(block.blknum)
    if (tree === undefined) {
      tree = new BlockTree(block.txs.map(leafOfStored))
      if (this.#trees.size > 64) this.#trees.clear()
      this.#trees.set(block.blknum, tree)
    }
    return tree.proof(txIndex)
  }

  /** Unspent outputs of an owner (including the open block's), oldest first. */
  utxosOf(owner: Address): { utxoPos: bigint; output: PlasmaOutput }[] {
    const o = owner.toLowerCase()
    const out: { utxoPos: bigint; output: PlasmaOutput }[] = []
    for (const [utxoPos, output] of this.#utxos) if (output.owner === o) out.push({ utxoPos, output })
    return out.sort((a, b) => (a.utxoPos < b.utxoPos ? -1 : a.utxoPos > b.utxoPos ? 1 : 0))
  }

  /** The operator's own view of an output. */
  output(pos: bigint): OutputState | undefined {
    return this.#lookup(pos)
  }

  /** Number of stored blocks of each kind and the open block's size. */
  info(): { openBlknum: bigint; pending: number; utxos: number } {
    return { openBlknum: this.#openBlknum, pending: this.#openTxs.length, utxos: this.#utxos.size }
  }
}

const ZERO_ROOT: Hex = `0x${'00'.repeat(32)}`
/** What spent an output that is being exited on L1 (instead of a transaction hash). */
const EXITED = 'exit' as const

function leafOfStored(t: StoredTx): Uint8Array {
  return leafOf(hexToBytes(t.txHash), t.sigs)
}

function depositOutput(block: StoredBlock): PlasmaOutput {
  const stored = block.txs[0] as StoredTx
  const bytes = hexToBytes(stored.txBytes)
  // The deposit's one output: owner, token, amount are the tuple's last three words.
  const word = (at: number) => bytes.subarray(at, at + 32)
  const end = bytes.length
  return {
    owner: bytesToHex(word(end - 96).subarray(12)) as Address,
    token: bytesToHex(word(end - 64).subarray(12)) as Address,
    amount: BigInt(bytesToHex(word(end - 32))),
  }
}
