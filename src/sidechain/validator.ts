/**
 * A sidechain validator (docs/sidechain.md, "Validator nodes"): drives the pure Tendermint machine
 * (`protocol/consensus.ts`) with real time, the validator mesh (`network.ts`), the EVM (`SidechainEngine`), the
 * mempool and the consensus journal.
 *
 * One queue orders everything that touches the machine or the head: peer messages, timeouts, block verdicts,
 * decisions and synced blocks run one at a time, and an action list is carried out in order — a `persist` is
 * awaited (fsync) before the `broadcast` that follows it, so no signed message leaves before it is durable.
 * Slow work (building a block, executing a proposed one) runs beside the queue and comes back through it.
 *
 * Heights: after a decision the block is committed (durable), the mempool pruned, peers told our new head
 * (`status`), and the next height starts `blockTimeMs` after the previous one started (Tendermint's commit timeout:
 * time for transactions to arrive). A validator whose peers are ahead asks one of them for committed blocks with
 * their commit certificates (`syncRequest`), checks each certificate against the height's validator set, executes
 * and commits the block, and joins consensus at the peers' height.
 */
import { bytesToHex, hexToBytes } from '../core/bytes.ts'
import { isL2kitError, L2kitError } from '../core/errors.ts'
import { keccak256 } from '../core/hash.ts'
import type { Logger } from '../core/logger.ts'
import type { Address, Hex } from '../core/types.ts'
import type { Store } from '../node/store.ts'
import { ConsensusJournal } from './journal.ts'
import { Mempool, type PoolEntry } from './mempool.ts'
import { type Peer, ValidatorNetwork } from './network.ts'
import {
  blockHash,
  checkBlockBody,
  type Deposit,
  decodeBlock,
  encodeBlock,
  type SidechainBlock,
} from './protocol/block.ts'
import {
  type ConsensusAction,
  ConsensusMachine,
  type ConsensusOptions,
  verifyCommit,
} from './protocol/consensus.ts'
import { SidechainErrorCode } from './protocol/errors.ts'
import {
  type ConsensusMessage,
  type DoubleSignEvidence,
  messageKey,
  NIL_HASH,
  privateKeySigner,
  type SidechainDomain,
  type SignedVote,
  signVote,
} from './protocol/messages.ts'
import { type EpochSet, type Validator, ValidatorSet } from './protocol/validatorSet.ts'
import { blockParts, txBatches, type WireMessage } from './protocol/wire.ts'

/** What the validator needs of the EVM execution layer (src/sidechain/evm). */
export interface SidechainEngine<T extends PoolEntry = PoolEntry> {
  head(): { number: bigint; hash: Hex; timestamp: number }
  checkTx(raw: Hex): Promise<T>
  /** The head state's nonce of `address`. */
  nonceOf(address: Address): bigint
  nextDepositId(): bigint
  buildBlock(params: {
    timestamp: number
    proposer: Address
    deposits: Deposit[]
    candidates: T[]
    validatorUpdate?: EpochSet
  }): Promise<{
    block: SidechainBlock
    hash: Hex
    dropped: { hash: Hex; reason: string; permanent?: boolean }[]
  }>
  /** Checks a proposed block on the head; throws a typed error when invalid. */
  executeBlock(block: SidechainBlock): Promise<Hex>
  commitBlock(block: SidechainBlock, commit: SignedVote[]): Promise<void>
  blockAt(number: bigint): SidechainBlock | undefined
  commitOf(number: bigint): SignedVote[] | undefined
}

/**
 * The L1 StakeManager's validator sets, confirmed: a proposer moves the chain to the newest epoch's set, and every
 * validator accepts a move only to the set L1 had at that epoch.
 */
export interface StakeSource {
  latest(): EpochSet | undefined
  /** The set of a confirmed epoch this source has seen. */
  setAt(epoch: bigint): Validator[] | undefined
  /** Reads L1 now (a proposal named an epoch we have not seen yet). */
  refresh(): Promise<void>
}

/** Deposits seen on L1 with enough confirmations (the validator never accepts one it has not seen). */
export interface DepositSource {
  /** Consecutive confirmed deposits from `fromId`, at most `max`. */
  confirmed(fromId: bigint, max: number): Deposit[]
  get(id: bigint): Deposit | undefined
  /** Reads L1 now (a proposal named a deposit we have not seen yet). */
  refresh(): Promise<void>
}

export type SidechainValidatorOptions = {
  privateKey: Hex
  domain: SidechainDomain
  genesisValidators: readonly Validator[]
  p2p: { host: string; port: number; peers: readonly string[] }
  /** Target time between heights. */
  blockTimeMs: number
  consensus: Partial<ConsensusOptions>
  /** Most transactions offered to one block. */
  maxTxsPerBlock: number
  /** Most deposits in one block. */
  maxDepositsPerBlock: number
  /** A proposed block's timestamp may be at most this far ahead of our clock. */
  maxClockSkewSeconds: number
  /**
   * Demo and test switch: this validator misbehaves. `equivocate`: with each prevote it also signs a conflicting
   * prevote and sends each peer one of the two (what the `equivocate` attack shows being caught and slashed).
   */
  misbehave?: 'equivocate' | undefined
}

export const defaultValidatorOptions = {
  blockTimeMs: 1_000,
  consensus: {},
  maxTxsPerBlock: 5_000,
  maxDepositsPerBlock: 256,
  maxClockSkewSeconds: 15,
}

export type SidechainValidatorModules<T extends PoolEntry> = {
  store: Store
  engine: SidechainEngine<T>
  deposits?: DepositSource | undefined
  /** Where validator-set changes come from (none: the genesis set forever). */
  stake?: StakeSource | undefined
  /** Double-sign evidence goes here (the L1 reporter); called once per accused validator. */
  onEvidence?: ((evidence: DoubleSignEvidence) => void) | undefined
  logger: Logger
}

type BlockEntry = {
  height: bigint
  hash: Hex
  block?: SidechainBlock
  /** Parts of a block still arriving. */
  parts?: (Uint8Array | undefined)[]
  received?: number
  /** Our verdict once checked on its parent. */
  verdict?: boolean
  checking?: boolean
  /** The machine asked for it. */
  wanted?: boolean
}

const MAX_BLOCK_ENTRIES = 64
const SEEN_LIMIT = 20_000
const SYNC_BATCH = 16

export type ValidatorStatus = {
  address: Address
  height: bigint
  headHash: Hex
  round: number
  step: string
  peers: number
  mempool: number
  syncing: boolean
  committedTxs: number
  rejectedMessages: Record<string, number>
  evidence: number
}

export class SidechainValidator<T extends PoolEntry = PoolEntry> {
  readonly options: SidechainValidatorOptions
  readonly address: Address
  readonly mempool: Mempool<T>
  readonly network: ValidatorNetwork
  readonly #m: SidechainValidatorModules<T>
  readonly #log: Logger
  readonly #journal: ConsensusJournal
  readonly #machine: ConsensusMachine
  readonly #genesisSet: ValidatorSet
  readonly #signer: ReturnType<typeof privateKeySigner>
  #queue: Promise<void> = Promise.resolve()
  readonly #timers = new Set<ReturnType<typeof setTimeout>>()
  readonly #blocks = new Map<Hex, BlockEntry>()
  readonly #seen = new Set<Hex>()
  readonly #peerHeights = new Map<string, bigint>()
  readonly #syncCommits = new Map<bigint, { hash: Hex; votes: SignedVote[] }>()
  #syncPeer: string | undefined
  #syncAskedAt = 0
  /** After a synced block was refused, no new sync request before this (a peer sending it again is no help). */
  #syncPausedUntil = 0
  /** The L1 epoch whose empty set was last reported (once per epoch, not per proposal). */
  #emptySetWarned: bigint | undefined
  #heightStartedAt = 0
  #stopped = true
  #committedTxs = 0
  #evidence = 0
  readonly #accused = new Set<Address>()
  readonly #rejected = new Map<string, number>()
  readonly #commitListeners = new Set<(block: SidechainBlock, hash: Hex) => void>()
  readonly #gossipQueue: T[] = []
  #gossipTimer: ReturnType<typeof setTimeout> | undefined

  constructor(
    options: Partial<SidechainValidatorOptions> &
      Pick<SidechainValidatorOptions, 'privateKey' | 'domain' | 'genesisValidators' | 'p2p'>,
    modules: SidechainValidatorModules<T>,
  ) {
    this.options = { ...defaultValidatorOptions, ...options } as SidechainValidatorOptions
    this.#m = modules
    this.#signer = privateKeySigner(this.options.privateKey)
    this.address = this.#signer.address
    this.#log = modules.logger.child({ role: 'sidechain-validator', validator: this.address })
    this.#genesisSet = ValidatorSet.create(this.options.genesisValidators)
    this.#journal = new ConsensusJournal(modules.store)
    this.mempool = new Mempool<T>(modules.store)
    this.#machine = new ConsensusMachine(this.options.consensus, {
      domain: this.options.domain,
      signer: this.#signer,
    })
    this.network = new ValidatorNetwork(
      {
        privateKey: this.options.privateKey.slice(2),
        host: this.options.p2p.host,
        port: this.options.p2p.port,
        peers: this.options.p2p.peers,
        admit: (address) => this.#admits(address),
      },
      this.#log,
    )
  }

  /** Called after each committed block (in height order). */
  onCommit(listener: (block: SidechainBlock, hash: Hex) => void): () => void {
    this.#commitListeners.add(listener)
    return () => this.#commitListeners.delete(listener)
  }

  status(): ValidatorStatus {
    const head = this.#m.engine.head()
    const s = this.#machine.state
    return {
      address: this.address,
      height: head.number,
      headHash: head.hash,
      round: s.round,
      step: s.step,
      peers: this.network.peers().length,
      mempool: this.mempool.size,
      syncing: this.#syncPeer !== undefined,
      committedTxs: this.#committedTxs,
      rejectedMessages: Object.fromEntries(this.#rejected),
      evidence: this.#evidence,
    }
  }

  /**
   * The votes of the height being decided, as this validator counted them: the current round's proposal, prevotes
   * and precommits (a block hash, or nil as 32 zero bytes), and who signed the head's commit certificate.
   */
  votes(): {
    height: bigint
    round: number
    step: string
    proposer: Address | undefined
    proposal: Hex | undefined
    prevotes: { validator: Address; blockHash: Hex }[]
    precommits: { validator: Address; blockHash: Hex }[]
    lastCommit: { height: bigint; signers: Address[] }
  } {
    const s = this.#machine.state
    const round = s.round
    const m = this.#machine.messagesAt(round)
    const head = this.#m.engine.head().number
    return {
      height: s.height ?? head + 1n,
      round,
      step: s.step,
      proposer: this.#machine.validatorSet?.proposer(round),
      proposal: m.proposal?.blockHash,
      prevotes: m.prevotes.map((v) => ({ validator: v.validator, blockHash: v.blockHash })),
      precommits: m.precommits.map((v) => ({ validator: v.validator, blockHash: v.blockHash })),
      lastCommit: { height: head, signers: (this.#m.engine.commitOf(head) ?? []).map((v) => v.validator) },
    }
  }

  /** The validator set of the next height. */
  validatorSet(): ValidatorSet {
    return this.#machine.validatorSet ?? this.#setAt(this.#m.engine.head().number + 1n)
  }

  /** The set that decides `height` (every height below it committed). */
  #setAt(height: bigint): ValidatorSet {
    return this.#journal.validatorsAt(height, this.#genesisSet, (h) => this.#m.engine.blockAt(h)?.validators)
  }

  /** The L1 StakeManager epoch of the next height's set (what the head names). */
  epoch(): bigint {
    return this.#m.engine.blockAt(this.#m.engine.head().number)?.header.epoch ?? 0n
  }

  /** Whether a node may join the mesh: a validator now, or one L1 already shows staked (about to join). */
  #admits(address: Address): boolean {
    if (this.validatorSet().has(address)) return true
    return this.#m.stake?.latest()?.validators.some((v) => v.address === address) ?? false
  }

  async start(): Promise<void> {
    this.#stopped = false
    await this.#reloadMempool()
    this.network.onMessage((peer, m) => this.#onWire(peer, m))
    this.network.onConnect((peer) => {
      this.#sendStatus(peer.nodeId)
      this.#resendOwn(peer.nodeId)
    })
    await this.network.start()
    const height = this.#m.engine.head().number + 1n
    await this.#run(async () => {
      const set = this.#setAt(height)
      await this.#journal.recordValidators(height, set)
      const restored = this.#journal.restoreState(height, set)
      this.#heightStartedAt = Date.now()
      if (restored !== undefined)
        this.#log.info(
          { height, messages: restored.ownMessages.length },
          'resuming the height from the journal',
        )
      await this.#apply(
        restored !== undefined ? this.#machine.restore(restored) : this.#machine.start(height, set),
      )
    })
    this.#heartbeat()
    this.#log.info({ height, p2p: this.network.address }, 'validator started')
  }

  /**
   * Tendermint's liveness assumes every message eventually reaches every honest validator. A validator that was
   * away missed what was sent meanwhile, and the others may be waiting in a step no timeout ends (fewer than ⅔
   * prevotes in all): so what we signed at this height goes again to a peer when it connects, and to everyone
   * while the head does not move.
   */
  #resendOwn(to: string | undefined): void {
    for (const message of this.#machine.ownMessages()) {
      if (to === undefined) this.network.broadcast({ kind: 'consensus', message })
      else this.network.send(to, { kind: 'consensus', message })
      if (message.type === 'proposal') {
        const e = this.#blocks.get(message.blockHash)
        if (e?.block !== undefined) this.#sendBlock(to, message.height, message.blockHash, e.block)
      }
    }
  }

  #heartbeat(): void {
    let lastHead = this.#m.engine.head().number
    const period = Math.max(1_000, this.options.blockTimeMs * 4)
    const tick = () => {
      for (const t of this.#timers) if (t === beat) this.#timers.delete(t)
      if (this.#stopped) return
      const head = this.#m.engine.head().number
      if (head === lastHead) {
        this.network.broadcast(this.#statusMessage())
        this.#resendOwn(undefined)
      }
      lastHead = head
      beat = setTimeout(tick, period)
      this.#timers.add(beat)
    }
    let beat = setTimeout(tick, period)
    this.#timers.add(beat)
  }

  async stop(): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    for (const t of this.#timers) clearTimeout(t)
    this.#timers.clear()
    if (this.#gossipTimer !== undefined) clearTimeout(this.#gossipTimer)
    await this.network.stop()
    await this.#queue.catch(() => undefined)
  }

  /** Checks, stores and gossips a signed transaction: what `eth_sendRawTransaction` calls. */
  async submitTransaction(raw: Hex): Promise<Hex> {
    const entry = await this.#m.engine.checkTx(raw)
    if (this.mempool.has(entry.hash)) return entry.hash
    await this.mempool.add([entry])
    // Full mesh: the validator a transaction reaches first sends it to all the others (they do not pass it on).
    this.#gossip([entry])
    return entry.hash
  }

  // ---- the queue ----

  /** Runs `fn` after everything queued before it; errors are logged, never thrown into the queue. */
  #run(fn: () => Promise<void> | void): Promise<void> {
    const next = this.#queue.then(async () => {
      if (this.#stopped) return
      try {
        await fn()
      } catch (e) {
        this.#log.error({ err: e }, 'validator step failed')
      }
    })
    this.#queue = next
    return next
  }

  #later(ms: number, fn: () => Promise<void> | void): void {
    if (this.#stopped) return
    const t = setTimeout(() => {
      this.#timers.delete(t)
      void this.#run(fn)
    }, ms)
    this.#timers.add(t)
  }

  async #apply(actions: readonly ConsensusAction[]): Promise<void> {
    for (const a of actions) {
      switch (a.type) {
        case 'persist':
          await this.#journal.persist(a.message)
          break
        case 'broadcast':
          this.#remember(messageKey(a.message))
          this.#broadcastOwn(a.message)
          break
        case 'scheduleTimeout':
          this.#later(a.ms, () => this.#apply(this.#machine.timeout(a.height, a.round, a.step)))
          break
        case 'requestBlock':
          void this.#propose(a.height, a.round)
          break
        case 'needBlock':
          this.#want(a.height, a.blockHash)
          break
        case 'decide':
          await this.#commitDecided(a.height, a.blockHash, a.commit, false)
          break
        case 'evidence':
          this.#reportEvidence(a.evidence)
          break
      }
    }
  }

  #broadcastOwn(message: ConsensusMessage): void {
    if (this.options.misbehave === 'equivocate' && message.type === 'prevote') {
      // The Byzantine switch: a second, conflicting prevote to half the peers (never persisted: the honest path
      // above is what the journal holds).
      const twin = signVote(
        this.options.domain,
        {
          type: 'prevote',
          height: message.height,
          round: message.round,
          blockHash:
            message.blockHash === NIL_HASH ? bytesToHex(keccak256(hexToBytes(this.address))) : NIL_HASH,
        },
        this.#signer,
      )
      const peers = this.network.peers()
      peers.forEach((p, i) => {
        this.network.send(p.nodeId, { kind: 'consensus', message: i % 2 === 0 ? message : twin })
      })
      return
    }
    this.network.broadcast({ kind: 'consensus', message })
  }

  #remember(key: Hex): boolean {
    if (this.#seen.has(key)) return false
    if (this.#seen.size >= SEEN_LIMIT) this.#seen.clear()
    this.#seen.add(key)
    return true
  }

  #reject(e: unknown, peer: Peer | undefined, what: string): void {
    const code = isL2kitError(e) ? e.code : 'INTERNAL'
    this.#rejected.set(code, (this.#rejected.get(code) ?? 0) + 1)
    if (!isL2kitError(e)) this.#log.error({ err: e, peer: peer?.address }, `${what} failed`)
    else if (code !== SidechainErrorCode.duplicateMessage)
      this.#log.debug({ code, reason: e.message, peer: peer?.address }, `refused ${what}`)
  }

  // ---- peer messages ----

  #onWire(peer: Peer, m: WireMessage): void {
    if (this.#stopped) return
    switch (m.kind) {
      case 'consensus':
        this.#onConsensus(peer, m.message)
        break
      case 'blockPart':
        this.#onBlockPart(m)
        break
      case 'txs':
        void this.#onTxs(m.txs)
        break
      case 'status':
        this.#onStatus(peer, m.height)
        break
      case 'getBlock': {
        const e = this.#blocks.get(m.blockHash)
        const block = e?.block ?? this.#committedBlock(m.height, m.blockHash)
        if (block !== undefined) this.#sendBlock(peer.nodeId, m.height, m.blockHash, block)
        break
      }
      case 'syncRequest':
        this.#onSyncRequest(peer, m.fromHeight)
        break
      case 'commit':
        this.#onSyncCommit(m.height, m.blockHash, m.votes)
        break
      case 'checkpointSignature':
        for (const l of this.#checkpointListeners) l(peer, m.checkpoint, m.signature)
        break
    }
  }

  readonly #checkpointListeners = new Set<
    (
      peer: Peer,
      checkpoint: Extract<WireMessage, { kind: 'checkpointSignature' }>['checkpoint'],
      signature: Hex,
    ) => void
  >()

  /** Checkpoint signatures from peers (the checkpointer listens). */
  onCheckpointSignature(
    listener: (
      peer: Peer,
      checkpoint: Extract<WireMessage, { kind: 'checkpointSignature' }>['checkpoint'],
      signature: Hex,
    ) => void,
  ): void {
    this.#checkpointListeners.add(listener)
  }

  #onConsensus(peer: Peer, message: ConsensusMessage): void {
    const key = messageKey(message)
    if (!this.#remember(key)) return
    void this.#run(async () => {
      const head = this.#m.engine.head().number
      if (message.height > head + 1n) {
        // Someone is at a later height: we missed blocks.
        this.#maybeSync(peer.nodeId, message.height - 1n)
      }
      if (message.height <= head) return
      let actions: ConsensusAction[]
      try {
        actions =
          message.type === 'proposal'
            ? this.#machine.receiveProposal(message, this.#blocks.get(message.blockHash)?.verdict)
            : this.#machine.receiveVote(message)
      } catch (e) {
        // A message of a height we have not reached (we were syncing) is not a duplicate when it comes again.
        if (isL2kitError(e) && e.code === SidechainErrorCode.wrongHeight) this.#seen.delete(key)
        this.#reject(e, peer, `a ${message.type}`)
        return
      }
      // Gossip on what we accepted: an equivocation sent to each of us differently reaches everyone.
      this.network.broadcast({ kind: 'consensus', message })
      await this.#apply(actions)
    })
  }

  async #onTxs(txs: readonly Uint8Array[]): Promise<void> {
    const checked: T[] = []
    for (const bytes of txs) {
      const raw = bytesToHex(bytes)
      // Known already (gossip may bring a transaction twice): no second signature recovery.
      if (this.mempool.has(bytesToHex(keccak256(bytes)))) continue
      try {
        const e = await this.#m.engine.checkTx(raw)
        if (!this.mempool.has(e.hash)) checked.push(e)
      } catch {
        // stale (included meanwhile) or invalid: not ours to keep
      }
    }
    // Not fsynced here: the validator that acknowledged them keeps them durably (and a lost copy here costs nothing).
    if (checked.length > 0) await this.mempool.add(checked, { persist: false })
  }

  #gossip(entries: readonly T[]): void {
    for (const e of entries) this.#gossipQueue.push(e)
    if (this.#gossipTimer !== undefined) return
    this.#gossipTimer = setTimeout(() => {
      this.#gossipTimer = undefined
      const batch = this.#gossipQueue.splice(0)
      for (const m of txBatchesOf(batch)) this.network.broadcast(m)
    }, 5)
  }

  // ---- blocks ----

  #entry(height: bigint, hash: Hex): BlockEntry {
    let e = this.#blocks.get(hash)
    if (e === undefined) {
      if (this.#blocks.size >= MAX_BLOCK_ENTRIES) {
        // Evict the oldest entry nobody waits for.
        for (const [h, old] of this.#blocks) {
          if (!old.wanted) {
            this.#blocks.delete(h)
            break
          }
        }
      }
      e = { height, hash }
      this.#blocks.set(hash, e)
    }
    return e
  }

  #onBlockPart(m: Extract<WireMessage, { kind: 'blockPart' }>): void {
    const head = this.#m.engine.head().number
    if (m.height <= head || m.height > head + BigInt(SYNC_BATCH) + 1n) return
    const e = this.#entry(m.height, m.blockHash)
    if (e.block !== undefined || e.height !== m.height) return
    if (e.parts === undefined) {
      e.parts = new Array(m.total).fill(undefined)
      e.received = 0
    }
    if (e.parts.length !== m.total || e.parts[m.index] !== undefined) return
    e.parts[m.index] = m.data
    e.received = (e.received ?? 0) + 1
    if (e.received < m.total) return
    const parts = e.parts as Uint8Array[]
    delete e.parts
    e.received = 0
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
    let at = 0
    for (const p of parts) {
      bytes.set(p, at)
      at += p.length
    }
    try {
      const block = decodeBlock(bytes)
      if (blockHash(block.header) !== m.blockHash || block.header.number !== m.height) {
        throw new L2kitError(
          SidechainErrorCode.malformedBlock,
          'the parts do not join into the announced block',
        )
      }
      checkBlockBody(block)
      e.block = block
    } catch (err) {
      this.#reject(err, undefined, 'a block')
      return
    }
    this.#afterBlockArrived(e)
  }

  #afterBlockArrived(e: BlockEntry): void {
    if (e.wanted) void this.#check(e)
    if (this.#syncCommits.has(e.height)) void this.#run(() => this.#applySynced())
  }

  /** The machine needs the verdict on a block. */
  #want(height: bigint, hash: Hex): void {
    const e = this.#entry(height, hash)
    e.wanted = true
    if (e.verdict !== undefined) {
      const verdict = e.verdict
      void this.#run(() => this.#apply(this.#machine.receiveBlock(height, hash, verdict)))
      return
    }
    if (e.block !== undefined) {
      void this.#check(e)
      return
    }
    // Not here yet: the parts may still be on their way; ask the peers if they are not soon.
    this.#later(300, () => {
      const again = this.#blocks.get(hash)
      if (again !== undefined && again.block === undefined && again.verdict === undefined) {
        this.network.broadcast({ kind: 'getBlock', height, blockHash: hash })
      }
    })
  }

  /** Checks a proposed block on our head, then gives the machine the verdict. */
  async #check(e: BlockEntry): Promise<void> {
    if (e.checking || e.verdict !== undefined || e.block === undefined) return
    const head = this.#m.engine.head()
    if (e.height !== head.number + 1n) return // checked after the parent is committed
    e.checking = true
    const block = e.block
    let verdict = true
    try {
      const h = block.header
      if (h.parentHash !== head.hash) throw invalid('its parent is not our head')
      if (h.timestamp > Math.floor(Date.now() / 1000) + this.options.maxClockSkewSeconds)
        throw invalid('its timestamp is in the future')
      if (!this.validatorSet().has(h.proposer)) throw invalid('its proposer is not a validator')
      await this.#checkDeposits(block.deposits)
      await this.#checkValidatorUpdate(block)
      const t = performance.now()
      await this.#m.engine.executeBlock(block)
      this.#log.debug(
        { height: e.height, txs: block.txs.length, ms: Math.round(performance.now() - t) },
        'executed a proposed block',
      )
    } catch (err) {
      verdict = false
      this.#log.warn(
        { height: e.height, block: e.hash, reason: (err as Error).message },
        'refused a proposed block',
      )
      if (!isL2kitError(err)) this.#log.error({ err }, 'checking a block failed')
    }
    e.checking = false
    e.verdict = verdict
    if (e.wanted) await this.#run(() => this.#apply(this.#machine.receiveBlock(e.height, e.hash, verdict)))
  }

  async #checkDeposits(deposits: readonly Deposit[]): Promise<void> {
    if (deposits.length === 0) return
    const source = this.#m.deposits
    if (source === undefined) throw invalid('this validator follows no L1 bridge, and the block has deposits')
    const same = (d: Deposit) => {
      const seen = source.get(d.id)
      return (
        seen !== undefined &&
        seen.from === d.from &&
        seen.to === d.to &&
        seen.token === d.token &&
        seen.amount === d.amount
      )
    }
    if (deposits.every(same)) return
    await source.refresh()
    const bad = deposits.find((d) => !same(d))
    if (bad !== undefined)
      throw new L2kitError(
        SidechainErrorCode.unknownDeposit,
        `deposit ${bad.id} is not on L1 as the block says (or not confirmed yet)`,
      )
  }

  /** A block that changes the set must name exactly the set L1 had at its epoch (confirmed). */
  async #checkValidatorUpdate(block: SidechainBlock): Promise<void> {
    if (block.validators === undefined) return
    const source = this.#m.stake
    if (source === undefined)
      throw invalid('this validator follows no L1 stake, and the block changes the set')
    const epoch = block.header.epoch
    const same = (l1: readonly Validator[] | undefined) =>
      l1 !== undefined &&
      l1.length === block.validators?.length &&
      l1.every(
        (v, i) => v.address === block.validators?.[i]?.address && v.power === block.validators[i]?.power,
      )
    if (same(source.setAt(epoch))) return
    await source.refresh()
    if (!same(source.setAt(epoch)))
      throw new L2kitError(
        SidechainErrorCode.unknownValidatorSet,
        `the validator set of L1 epoch ${epoch} is not the block's (or not confirmed yet)`,
      )
  }

  /** The newest confirmed L1 set when it is newer than the head's (an empty set would halt the chain: kept out). */
  #validatorUpdate(): EpochSet | undefined {
    const latest = this.#m.stake?.latest()
    if (latest === undefined || latest.epoch <= this.epoch()) return undefined
    if (latest.validators.length === 0) {
      if (this.#emptySetWarned !== latest.epoch)
        this.#log.warn(
          { epoch: latest.epoch },
          'L1 has no validators staked: the sidechain keeps its current set',
        )
      this.#emptySetWarned = latest.epoch
      return undefined
    }
    return latest
  }

  async #propose(height: bigint, round: number): Promise<void> {
    const engine = this.#m.engine
    const head = engine.head()
    if (head.number + 1n !== height) return
    try {
      const deposits =
        this.#m.deposits?.confirmed(engine.nextDepositId(), this.options.maxDepositsPerBlock) ?? []
      const candidates = this.mempool.candidates((a) => engine.nonceOf(a), this.options.maxTxsPerBlock)
      const timestamp = Math.max(head.timestamp, Math.floor(Date.now() / 1000))
      const validatorUpdate = this.#validatorUpdate()
      const buildStart = performance.now()
      const built = await engine.buildBlock({
        timestamp,
        proposer: this.address,
        deposits,
        candidates,
        ...(validatorUpdate === undefined ? {} : { validatorUpdate }),
      })
      for (const d of built.dropped) if (d.permanent) void this.mempool.drop(d.hash)
      const e = this.#entry(height, built.hash)
      e.block = built.block
      e.verdict = true
      this.#sendBlock(undefined, height, built.hash, built.block)
      this.#log.debug(
        {
          height,
          round,
          txs: built.block.txs.length,
          deposits: deposits.length,
          buildMs: Math.round(performance.now() - buildStart),
          ...(validatorUpdate === undefined ? {} : { newEpoch: validatorUpdate.epoch }),
        },
        'proposing a block',
      )
      await this.#run(() => this.#apply(this.#machine.proposeBlock(height, round, built.hash)))
    } catch (e) {
      this.#reject(e, undefined, 'building a block')
    }
  }

  #sendBlock(to: string | undefined, height: bigint, hash: Hex, block: SidechainBlock): void {
    const parts = blockParts(height, hash, encodeBlock(block))
    for (const p of parts) {
      if (to === undefined) this.network.broadcast(p)
      else this.network.send(to, p)
    }
  }

  #committedBlock(height: bigint, hash: Hex): SidechainBlock | undefined {
    const b = this.#m.engine.blockAt(height)
    return b !== undefined && blockHash(b.header) === hash ? b : undefined
  }

  // ---- commit ----

  async #commitDecided(height: bigint, hash: Hex, commit: SignedVote[], synced: boolean): Promise<void> {
    const engine = this.#m.engine
    if (height !== engine.head().number + 1n) return
    const e = this.#blocks.get(hash)
    if (e?.block === undefined) {
      this.#log.error({ height, block: hash }, 'decided a block we do not hold')
      return
    }
    const block = e.block
    await engine.commitBlock(block, commit)
    this.#committedTxs += block.txs.length
    const txHashes = block.txs.map((raw) => bytesToHex(keccak256(hexToBytes(raw))))
    await this.mempool.removeIncluded(txHashes, (a) => engine.nonceOf(a))
    for (const [h, old] of this.#blocks) if (old.height <= height) this.#blocks.delete(h)
    this.#syncCommits.delete(height)
    void this.#journal
      .prune(height + 1n)
      .catch((err) => this.#log.warn({ err }, 'pruning the journal failed'))
    this.#log.info(
      {
        height,
        block: hash,
        txs: block.txs.length,
        deposits: block.deposits.length,
        synced,
        // from the height's start to its block committed here: what a block costs end to end
        heightMs: Math.round(Date.now() - this.#heightStartedAt),
      },
      'committed a block',
    )
    if (block.validators !== undefined)
      this.#log.info(
        { height, epoch: block.header.epoch, validators: block.validators.map((v) => v.address) },
        'the validator set changes from the next height (L1 stake)',
      )
    this.network.broadcast(this.#statusMessage())
    for (const l of this.#commitListeners) {
      try {
        l(block, hash)
      } catch (err) {
        this.#log.error({ err }, 'a commit listener failed')
      }
    }
    const behind = [...this.#peerHeights.values()].some((h) => h > height)
    const wait =
      synced || behind ? 0 : Math.max(0, this.options.blockTimeMs - (Date.now() - this.#heightStartedAt))
    this.#later(wait, () => this.#startNext())
  }

  async #startNext(): Promise<void> {
    const height = this.#m.engine.head().number + 1n
    const current = this.#machine.state.height
    if (current !== undefined && current >= height) return
    const set = this.#setAt(height)
    await this.#journal.recordValidators(height, set)
    this.#heightStartedAt = Date.now()
    await this.#apply(this.#machine.start(height, set))
    // Blocks for this height that arrived early are checked now.
    for (const e of this.#blocks.values()) if (e.height === height && e.wanted) void this.#check(e)
  }

  // ---- sync ----

  #statusMessage(): WireMessage {
    const head = this.#m.engine.head()
    return { kind: 'status', height: head.number, headHash: head.hash }
  }

  #sendStatus(nodeId: string): void {
    this.network.send(nodeId, this.#statusMessage())
  }

  #onStatus(peer: Peer, height: bigint): void {
    this.#peerHeights.set(peer.nodeId, height)
    if (height > this.#m.engine.head().number) this.#maybeSync(peer.nodeId, height)
  }

  #maybeSync(nodeId: string, peerHeight: bigint): void {
    const head = this.#m.engine.head().number
    if (peerHeight <= head) return
    const now = Date.now()
    if (now < this.#syncPausedUntil) return
    if (this.#syncPeer !== undefined && now - this.#syncAskedAt < 3_000) return
    this.#syncPeer = nodeId
    this.#syncAskedAt = now
    this.#log.info({ from: head + 1n, peerHeight }, 'behind the other validators: syncing blocks')
    this.network.send(nodeId, { kind: 'syncRequest', fromHeight: head + 1n })
  }

  #onSyncRequest(peer: Peer, fromHeight: bigint): void {
    const engine = this.#m.engine
    const head = engine.head().number
    for (let h = fromHeight; h <= head && h < fromHeight + BigInt(SYNC_BATCH); h++) {
      const block = engine.blockAt(h)
      const votes = engine.commitOf(h)
      if (block === undefined || votes === undefined || votes.length === 0) break
      const hash = blockHash(block.header)
      this.network.send(peer.nodeId, { kind: 'commit', height: h, blockHash: hash, votes })
      this.#sendBlock(peer.nodeId, h, hash, block)
    }
  }

  #onSyncCommit(height: bigint, hash: Hex, votes: SignedVote[]): void {
    const head = this.#m.engine.head().number
    if (height <= head || height > head + BigInt(SYNC_BATCH) || this.#syncCommits.has(height)) return
    this.#syncCommits.set(height, { hash, votes })
    this.#entry(height, hash)
    if (this.#blocks.get(hash)?.block !== undefined) void this.#run(() => this.#applySynced())
  }

  /** Commits synced blocks in order while the next one and its certificate are here. */
  async #applySynced(): Promise<void> {
    for (;;) {
      const engine = this.#m.engine
      const height = engine.head().number + 1n
      const c = this.#syncCommits.get(height)
      const block = c === undefined ? undefined : this.#blocks.get(c.hash)?.block
      if (c === undefined || block === undefined) break
      try {
        verifyCommit(this.options.domain, this.#setAt(height), height, c.hash, c.votes)
        await this.#checkDeposits(block.deposits)
        await this.#checkValidatorUpdate(block)
        await engine.executeBlock(block)
      } catch (e) {
        this.#reject(e, undefined, 'a synced block')
        this.#syncPausedUntil = Date.now() + 1_000
        this.#syncCommits.delete(height)
        this.#blocks.delete(c.hash)
        break
      }
      await this.#commitDecided(height, c.hash, c.votes, true)
    }
    const head = this.#m.engine.head().number
    const best = [...this.#peerHeights.entries()].reduce<[string, bigint] | undefined>(
      (acc, e) => (acc === undefined || e[1] > acc[1] ? e : acc),
      undefined,
    )
    if (best !== undefined && best[1] > head) {
      this.#syncPeer = undefined
      this.#maybeSync(best[0], best[1])
    } else this.#syncPeer = undefined
  }

  // ---- evidence ----

  #reportEvidence(evidence: DoubleSignEvidence): void {
    const accused = evidence.first.type === 'proposal' ? evidence.first.proposer : evidence.first.validator
    if (accused === this.address) return // our own twin, gossiped back (the misbehave switch)
    this.#evidence++
    if (this.#accused.has(accused)) return
    this.#accused.add(accused)
    this.#log.warn(
      { accused, height: evidence.first.height, round: evidence.first.round },
      'a validator double-signed',
    )
    this.#m.onEvidence?.(evidence)
  }

  async #reloadMempool(): Promise<void> {
    const raws = this.mempool.storedRaw()
    const ok: T[] = []
    for (const raw of raws) {
      try {
        ok.push(await this.#m.engine.checkTx(raw))
      } catch {
        // included or invalid since: dropped below
      }
    }
    await this.mempool.add(ok, { persist: false })
    const keep = new Set(ok.map((e) => e.hash))
    for (const raw of raws) {
      const h = bytesToHex(keccak256(hexToBytes(raw)))
      if (!keep.has(h)) await this.mempool.drop(h).catch(() => undefined)
    }
  }
}

function invalid(reason: string): L2kitError {
  return new L2kitError(SidechainErrorCode.malformedBlock, `invalid block: ${reason}`)
}

function txBatchesOf(entries: readonly PoolEntry[]): WireMessage[] {
  return txBatches(entries.map((e) => hexToBytes(e.raw)))
}
