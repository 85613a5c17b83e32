/**
 * The sequencer: orders L2 transactions, executes them at once against the live state (so a wallet learns of a
 * bad nonce or balance immediately), acknowledges each only after it is durably logged, and seals an L2 block
 * every `blockTimeMs` when there is something in it. Deposits from L1 open each block, before its transactions.
 */
import { EventEmitter } from 'node:events'
import { bytesToHex } from 'viem'
import { GAS } from '../core/constants.ts'
import { L2kitError } from '../core/errors.ts'
import {
  decodeRawTransaction,
  decodeRawTransactionUnrecovered,
  type UnrecoveredTransaction,
} from '../core/l2tx.ts'
import { recoverAddressFromBytes } from '../core/signature.ts'
import { L2State } from '../core/state.ts'
import type { Address, Deposit, Hex, TokenInfo } from '../core/types.ts'
import { OrderedAdmission } from '../node/admission.ts'
import type { Logger } from '../node/logger.ts'
import { RecoveryPool } from '../node/recoveryPool.ts'
import {
  type BlockTx,
  computeBlockHash,
  type ForcedBlockTx,
  type ForcedPrefix,
  genesisBlock,
  type L2Block,
  touchedAccounts,
  ZERO_HASH,
} from './block.ts'
import type { AccountRecord, ChainStore, OpenBlockMeta } from './chainStore.ts'
import type { ChainConfig, SequencerOptions } from './config.ts'
import { defaultSequencerOptions, validateSequencerOptions } from './config.ts'

export type SequencerModules = {
  chain: ChainConfig
  store: ChainStore
  logger: Logger
  /** Wall clock in ms; injectable for tests. */
  now?: () => number
  /** Signature-recovery worker threads (default: cores - 1; 0 = inline). */
  recoveryThreads?: number
}

type OpenTx = BlockTx & { seq: number }

export type SequencerEvents = { block: [L2Block] }

export class Sequencer extends EventEmitter<SequencerEvents> {
  readonly options: SequencerOptions
  readonly #chain: ChainConfig
  readonly #store: ChainStore
  readonly #log: Logger
  readonly #now: () => number
  #state: L2State
  /** Newest block durably sealed (what RPC serves). */
  #head!: L2Block
  /** Newest block closed (maybe still being written): the parent of the open block. */
  #lastClosed!: L2Block
  /** Durable writes of closed blocks, in order. */
  #persisting: Promise<void> = Promise.resolve()
  #open!: OpenBlockMeta & { accountCountBefore: number; deposits: Deposit[]; txs: OpenTx[]; gasUsed: bigint }
  #nextSeq = 0
  /** Executed, not yet in a durable sealed block: what eth_getTransactionByHash shows as pending. */
  readonly #unsealed = new Map<string, BlockTx>()
  #timer: NodeJS.Timeout | undefined
  #sealing: Promise<void> | undefined
  #stopped = true
  /** Senders this (deliberately malicious, tests only) sequencer refuses. */
  readonly #censored: Set<string>
  #pool: RecoveryPool | undefined
  readonly #recoveryThreads: number | undefined
  /** Submissions are recovered in parallel but executed in arrival order. */
  readonly #admission = new OrderedAdmission()

  constructor(options: Partial<SequencerOptions>, modules: SequencerModules) {
    super()
    this.options = validateSequencerOptions({ ...defaultSequencerOptions, ...options })
    this.#chain = modules.chain
    this.#store = modules.store
    this.#log = modules.logger.child({ component: 'sequencer' })
    this.#now = modules.now ?? Date.now
    this.#recoveryThreads = modules.recoveryThreads
    this.#censored = new Set((this.options.censor ?? []).map((a) => a.toLowerCase()))
    if (this.#censored.size > 0)
      this.#log.warn({ censored: [...this.#censored] }, 'MALICIOUS MODE: this sequencer censors some senders')
    this.#state = new L2State({ chainId: modules.chain.chainId, baseFee: modules.chain.baseFee })
  }

  /** The live state, including the open block's effects. Read only. */
  get state(): L2State {
    return this.#state
  }

  get head(): L2Block {
    return this.#head
  }

  /** Number of the block transactions submitted now will land in. */
  get pendingBlockNumber(): bigint {
    return this.#open.number
  }

  /** Rebuilds the state from the store (genesis, sealed blocks, then the acknowledged open-block log). */
  async start(): Promise<void> {
    const started = performance.now()
    for (const t of this.#store.listTokens()) this.#state.registerToken(t)
    let head = this.#store.headNumber()
    if (head === undefined) {
      const genesis = this.#genesisBlock()
      await this.#store.sealBlock(genesis, [], { number: 1n, depositCountAfter: 0n })
      head = 0n
    }
    // Replay sealed blocks: deterministic, and the store's blocks are the source of truth.
    let sawForced = false
    for (let n = 1n; n <= head; n++) {
      const b = this.#store.getBlock(n)
      if (b === undefined)
        throw new L2kitError('STORE_CORRUPT', `block ${n} is missing from the store`, { kind: 'critical' })
      if (b.forced) sawForced = true
      this.#applyForced(b.forced)
      for (const d of b.deposits) this.#state.applyDeposit(d)
      for (const t of b.txs) this.#state.applyTx(t.tx, t.sender)
    }
    this.#head = this.#store.getBlock(head) as L2Block
    this.#lastClosed = this.#head
    const root = this.#rootHex()
    if (root !== this.#head.stateRoot) {
      throw new L2kitError(
        'STORE_CORRUPT',
        `replayed state root ${root} differs from stored head root ${this.#head.stateRoot}`,
        {
          kind: 'critical',
        },
      )
    }
    if (this.#store.historyFrom() === undefined) {
      // Genesis holds only the empty fee vault, so a fresh chain needs no records; an older store starts its
      // history at its head with every account (before the open block's deposits are applied below).
      const all = new Map<Address, AccountRecord>()
      if (head > 0n) {
        for (let i = 0; i < this.#state.accountCount; i++) {
          const a = this.#state.addressAt(i)
          if (a) all.set(a, this.#accountRecord(a))
        }
      }
      await this.#store.startHistory(head, all)
    }
    const open = this.#store.getOpenBlock() ?? {
      number: head + 1n,
      depositCountAfter: this.#head.depositCountAfter,
    }
    this.#open = { ...open, accountCountBefore: this.#state.accountCount, deposits: [], txs: [], gasUsed: 0n }
    this.#applyForced(open.forced)
    for (let i = this.#state.depositCount; i < open.depositCountAfter; i++) {
      const d = this.#store.getDeposit(i)
      if (d === undefined)
        throw new L2kitError('STORE_CORRUPT', `deposit ${i} is missing from the store`, { kind: 'critical' })
      this.#state.applyDeposit(d)
      this.#open.deposits.push(d)
    }
    const pending = this.#store.listPending()
    let replayed = 0
    for (const p of pending) {
      // Acknowledged before the crash: must apply again exactly as before. The one exception is a transaction a
      // re-sync onto a forced batch dropped (its pending entry can land just after the re-sync removed it):
      // it no longer applies on L1's canonical state, so it is dropped again, loudly.
      this.#nextSeq = p.seq + 1
      try {
        this.#execute(p.raw, p.seq)
        replayed++
      } catch (error) {
        if (!sawForced && !open.forced) throw error
        this.#log.error(
          { seq: p.seq, err: String(error) },
          'a pending transaction no longer applies after a forced-batch re-sync: dropped',
        )
        await this.#store.removePending(p.seq)
      }
    }
    this.#pool = new RecoveryPool(
      this.#recoveryThreads === undefined ? {} : { threads: this.#recoveryThreads },
      {
        logger: this.#log,
        inline: recoverAddressFromBytes,
      },
    )
    this.#stopped = false
    this.#timer = setInterval(() => void this.#tick(), this.options.blockTimeMs)
    this.#log.info(
      { head: head.toString(), replayedPending: replayed, ms: Math.round(performance.now() - started) },
      'sequencer started',
    )
  }

  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#timer) clearInterval(this.#timer)
    await this.#sealing
    await this.#persisting
    await this.#pool?.close()
  }

  /**
   * Validates, executes and durably logs a signed transaction; resolves with its hash once it is safe to
   * acknowledge. Throws an L2kitError (state unchanged) for anything invalid.
   */
  async submitRawTransaction(raw: Hex | Uint8Array): Promise<Hex> {
    if (this.#stopped)
      throw new L2kitError('SEQUENCER_STOPPED', 'the sequencer is not running', { kind: 'temporary' })
    const rawHex = typeof raw === 'string' ? raw : bytesToHex(raw)
    const decoded = decodeRawTransactionUnrecovered(rawHex, {
      chainId: this.#chain.chainId,
      maxTxBytes: this.options.maxTxBytes,
    })
    // Signatures are recovered on worker threads concurrently; transactions apply in arrival order.
    const tx = await this.#admission.admit(
      () =>
        (this.#pool as RecoveryPool).recover(decoded.signingHash, decoded.rs, decoded.tx.signature.yParity),
      (sender) => {
        if (this.#censored.has(sender.toLowerCase()))
          throw new L2kitError('TX_CENSORED', `this sequencer refuses transactions from ${sender}`, {
            kind: 'invalidInput',
            details: { sender },
          })
        return this.#apply(decoded, rawHex, sender, this.#nextSeq++)
      },
    )
    // Acknowledged only once durable.
    await this.#store.appendPending({ seq: tx.seq, raw: tx.raw })
    return tx.hash
  }

  /** Replays an acknowledged transaction at start (inline recovery; order is the log's). */
  #execute(rawHex: Hex, seq: number): OpenTx {
    const d = decodeRawTransaction(rawHex, {
      chainId: this.#chain.chainId,
      maxTxBytes: this.options.maxTxBytes,
    })
    return this.#apply(d, rawHex, d.sender, seq)
  }

  #apply(
    decoded: Pick<UnrecoveredTransaction, 'tx' | 'hash'>,
    rawHex: Hex,
    sender: Address,
    seq: number,
  ): OpenTx {
    // A full block is cut right here, like an L1 block at its gas limit (or at its row limit: a batch carries
    // whole blocks, so each must fit a calldata batch).
    const open = this.#open
    if (
      open.txs.length > 0 &&
      (open.gasUsed + GAS[decoded.tx.op.kind] > this.options.blockGasLimit ||
        open.deposits.length + open.txs.length + 2 > this.options.maxBlockRows)
    )
      this.#closeOpenBlock()
    const result = this.#state.applyTx(decoded.tx, sender)
    this.#open.gasUsed += result.gasUsed
    const tx: OpenTx = {
      seq,
      hash: decoded.hash,
      raw: rawHex,
      sender,
      tx: decoded.tx,
      gasUsed: result.gasUsed,
      effectiveGasPrice: result.effectiveGasPrice,
      ...(result.withdrawal ? { withdrawal: result.withdrawal } : {}),
    }
    this.#open.txs.push(tx)
    this.#unsealed.set(tx.hash.toLowerCase(), tx)
    return tx
  }

  getPendingTx(hash: Hex): BlockTx | undefined {
    return this.#unsealed.get(hash.toLowerCase())
  }

  /** Executed transactions not yet in a durable sealed block, in order: the RPC's "pending" block. */
  get unsealedTxs(): BlockTx[] {
    return [...this.#unsealed.values()]
  }

  #accountRecord(address: Address): AccountRecord {
    const a = this.#state.getAccount(address)
    return { nonce: a?.nonce ?? 0n, balances: a ? [...a.balances] : [] }
  }

  /** Accounts the open block changed, as they are now (its end state): the block's history records. */
  #changedAccounts(
    deposits: readonly Deposit[],
    txs: readonly Pick<BlockTx, 'sender' | 'tx'>[],
  ): Map<Address, AccountRecord> {
    const out = new Map<Address, AccountRecord>()
    for (const a of touchedAccounts(deposits, txs)) out.set(a, this.#accountRecord(a))
    return out
  }

  /** Tokens and deposits observed on L1 (stored durably by the caller first). */
  registerToken(token: TokenInfo): void {
    if (this.#state.tokens.some((t: TokenInfo) => t.index === token.index)) return
    this.#state.registerToken(token)
  }

  /** Applies a forced batch's effects (replay: they were applied before, exactly so). */
  #applyForced(forced: ForcedPrefix | undefined): void {
    if (!forced) return
    for (const d of forced.deposits) if (d.index === this.#state.depositCount) this.#state.applyDeposit(d)
    for (const t of forced.txs) this.#state.applyTx(t.tx, t.sender)
  }

  /**
   * Re-syncs onto L1's canonical order after a forced batch changed the state (OP Stack's unsafe-head reset):
   * `effects.state` is the state right after the forced batch, which comes after block `effects.blockNumber`.
   * Every block after that one, and the open block, is executed again on top of it: deposits the forced batch
   * already applied are skipped, transactions that now fail (e.g. a forced copy took their nonce) are dropped
   * from the chain and the pending log, and the rebuilt blocks replace the old ones in the store (their roots and
   * hashes change, so RPC answers what L1 implies). The forced rows are recorded in the first rebuilt block (or
   * the open block) so a restart replays them. Returns the hashes of the dropped transactions.
   */
  async resyncAfterForcedBatch(effects: {
    batchIndex: bigint
    blockNumber: bigint
    state: L2State
    deposits: Deposit[]
    txs: ForcedBlockTx[]
  }): Promise<Hex[]> {
    // Let queued seals land first, so the store holds every closed block.
    for (;;) {
      await this.#sealing
      await this.#persisting
      if ((this.#store.headNumber() ?? 0n) === this.#lastClosed.number) break
    }
    // From here to the store write: no await, so no submission interleaves with the rebuild.
    const base = this.#store.getBlock(effects.blockNumber)
    if (!base || effects.blockNumber > this.#lastClosed.number) {
      this.#log.warn(
        { batchIndex: effects.batchIndex.toString(), blockNumber: effects.blockNumber.toString() },
        'forced batch after a block this sequencer has not sealed: cannot re-sync',
      )
      return []
    }
    const forced: ForcedPrefix = {
      batchIndex: effects.batchIndex,
      deposits: effects.deposits,
      txs: effects.txs,
    }
    const state = effects.state.clone()
    const accountsAfterForced = state.accountCount
    const dropped: Hex[] = []
    const rebuilt: { block: L2Block; changedAccounts: Map<Address, AccountRecord> }[] = []
    const oldHead = this.#lastClosed.number
    this.#state = state // #accountRecord and #rootHex read the live state
    let parent = base
    for (let n = effects.blockNumber + 1n; n <= oldHead; n++) {
      const old = this.#store.getBlock(n) as L2Block
      const accountCountBefore = state.accountCount
      const deposits = old.deposits.filter((d) => d.index >= state.depositCount)
      for (const d of deposits) state.applyDeposit(d)
      const txs: BlockTx[] = []
      for (const t of old.txs) {
        try {
          const r = state.applyTx(t.tx, t.sender)
          txs.push({ ...t, gasUsed: r.gasUsed })
        } catch {
          dropped.push(t.hash)
        }
      }
      const block: L2Block = {
        number: n,
        hash: ZERO_HASH,
        parentHash: parent.hash,
        timestamp: old.timestamp,
        depositCountAfter: state.depositCount,
        deposits,
        accountCountBefore,
        txs,
        stateRoot: this.#rootHex(),
        ...(n === effects.blockNumber + 1n ? { forced } : {}),
      }
      block.hash = computeBlockHash({ ...block, txHashes: txs.map((t) => t.hash) })
      const first = n === effects.blockNumber + 1n
      rebuilt.push({
        block,
        changedAccounts: this.#changedAccounts(
          first ? [...forced.deposits, ...deposits] : deposits,
          first ? [...forced.txs, ...txs] : txs,
        ),
      })
      parent = block
    }
    // The open block, on top.
    const open = this.#open
    const openDeposits = open.deposits.filter((d) => d.index >= state.depositCount)
    for (const d of openDeposits) state.applyDeposit(d)
    const openTxs: OpenTx[] = []
    const droppedSeqs: number[] = []
    for (const t of open.txs) {
      try {
        const r = state.applyTx(t.tx, t.sender)
        openTxs.push({ ...t, gasUsed: r.gasUsed })
      } catch {
        dropped.push(t.hash)
        droppedSeqs.push(t.seq)
      }
    }
    const openDepositCount = open.depositCountAfter
    this.#open = {
      number: open.number,
      // biome-ignore lint/complexity/useMathMinMax: bigints (Math.max takes numbers)
      depositCountAfter: state.depositCount > openDepositCount ? state.depositCount : openDepositCount,
      ...(rebuilt.length === 0 ? { forced } : {}),
      accountCountBefore: rebuilt.length === 0 ? accountsAfterForced : open.accountCountBefore,
      deposits: openDeposits,
      txs: openTxs,
      gasUsed: openTxs.reduce((s, t) => s + t.gasUsed, 0n),
    }
    this.#lastClosed = parent
    for (const h of dropped) this.#unsealed.delete(h.toLowerCase())
    const openMeta: OpenBlockMeta = {
      number: this.#open.number,
      depositCountAfter: this.#open.depositCountAfter,
      ...(this.#open.forced ? { forced: this.#open.forced } : {}),
    }
    const write = this.#store.replaceBlocksFrom(effects.blockNumber + 1n, rebuilt, openMeta, droppedSeqs)
    this.#persisting = this.#persisting.then(() => write)
    await write
    this.#head = parent
    this.#log.warn(
      {
        batchIndex: effects.batchIndex.toString(),
        afterBlock: effects.blockNumber.toString(),
        rebuiltBlocks: rebuilt.length,
        forcedTxs: forced.txs.length,
        forcedDeposits: forced.deposits.length,
        droppedTxs: dropped,
        stateRoot: this.#rootHex(),
      },
      'a forced batch changed the canonical state: re-synced the unsafe blocks onto it',
    )
    return dropped
  }

  /** Seals now if there is anything to seal (tests and the demo use it to avoid waiting a tick). */
  async sealNow(): Promise<L2Block | undefined> {
    await this.#sealing
    return this.#seal()
  }

  async #tick(): Promise<void> {
    if (this.#sealing || this.#stopped) return
    this.#sealing = this.#seal()
      .then(() => undefined)
      .catch((err: unknown) => {
        this.#log.error({ err }, 'sealing a block failed')
      })
      .finally(() => {
        this.#sealing = undefined
      })
  }

  /** Applies deposits stored since the open block started, while it has no transactions yet. */
  async #includeNewDeposits(): Promise<void> {
    // A block cut at the gas limit may still be writing its seal, which records the open block's deposit
    // count as it was then; recording a newer count before that write lands would be overwritten by it.
    await this.#persisting
    if (this.#open.txs.length > 0) return
    const available = this.#store.depositCount()
    if (available <= this.#open.depositCountAfter) return
    const next = this.#open.depositCountAfter
    // Leave room for the block end (later deposits open the next block).
    const room = BigInt(this.options.maxBlockRows - 1 - this.#open.deposits.length)
    const until = available < next + room ? available : next + room
    for (let i = next; i < until; i++) {
      const d = this.#store.getDeposit(i)
      if (d === undefined) break
      this.#state.applyDeposit(d)
      this.#open.deposits.push(d)
      this.#open.depositCountAfter = i + 1n
    }
    await this.#store.putOpenBlock({
      number: this.#open.number,
      depositCountAfter: this.#open.depositCountAfter,
      ...(this.#open.forced ? { forced: this.#open.forced } : {}),
    })
  }

  async #seal(): Promise<L2Block | undefined> {
    await this.#includeNewDeposits()
    const block = this.#closeOpenBlock()
    await this.#persisting
    return block
  }

  /**
   * Closes the open block synchronously (root, hash, a fresh open block) and queues its durable write behind the
   * previous ones. Synchronous so that a full block can be cut in the middle of a burst of submissions.
   */
  #closeOpenBlock(): L2Block | undefined {
    const open = this.#open
    if (open.txs.length === 0 && open.deposits.length === 0) return undefined
    const parent = this.#lastClosed
    const timestamp = Math.max(parent.timestamp, Math.floor(this.#now() / 1000))
    const stateRoot = this.#rootHex()
    const txs = open.txs.map(({ seq: _seq, ...t }) => t)
    const block: L2Block = {
      number: open.number,
      hash: ZERO_HASH,
      parentHash: parent.hash,
      timestamp,
      depositCountAfter: open.depositCountAfter,
      deposits: open.deposits,
      accountCountBefore: open.accountCountBefore,
      txs,
      stateRoot,
      ...(open.forced ? { forced: open.forced } : {}),
    }
    block.hash = computeBlockHash({ ...block, txHashes: txs.map((t) => t.hash) })
    const next: OpenBlockMeta = { number: open.number + 1n, depositCountAfter: open.depositCountAfter }
    this.#open = { ...next, accountCountBefore: this.#state.accountCount, deposits: [], txs: [], gasUsed: 0n }
    this.#lastClosed = block
    const absorbed = open.txs.map((t) => t.seq)
    const changed = this.#changedAccounts(
      [...(open.forced?.deposits ?? []), ...open.deposits],
      [...(open.forced?.txs ?? []), ...txs],
    )
    this.#persisting = this.#persisting.then(async () => {
      await this.#store.sealBlock(block, absorbed, next, changed)
      this.#head = block
      for (const t of txs) this.#unsealed.delete(t.hash.toLowerCase())
      this.#log.debug(
        { number: block.number.toString(), txs: txs.length, deposits: block.deposits.length },
        'block sealed',
      )
      this.emit('block', block)
    })
    return block
  }

  #rootHex(): Hex {
    const r: unknown = this.#state.stateRoot()
    return typeof r === 'string' ? (r as Hex) : bytesToHex(r as Uint8Array)
  }

  #genesisBlock(): L2Block {
    return genesisBlock(this.#chain.genesisTimestamp, this.#rootHex())
  }
}
