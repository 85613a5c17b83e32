/**
 * Derivation: rebuilds the L2 chain from L1 alone (the portal's deposits and tokens, the rollup's batches and
 * proposals), and says for every proposed state root whether it is the one L1 data implies.
 * Run twice in a devnet: inside the operator's node (the proposer proposes what it derived) and as an
 * independent verifier with its own L1 client and state.
 *
 * L1 reorgs: the log follower finds the common ancestor of the old and the new chain; derivation then restores
 * the newest checkpoint at or before it (or genesis), re-applies the kept logs after that checkpoint, and goes on
 * with the logs of the new chain. The result is exactly what a node that never saw the old branch derives. The
 * callbacks (`onDeposit`, `onToken`) fire once per log delivered by L1, never for the replay of kept logs.
 *
 * Restarts: with a `checkpointStore`, checkpoints are also saved durably (at most every
 * `checkpointPersistIntervalMs`, and at `stop()`), and `start()` resumes from the saved one when its L1 block is
 * still canonical: a restart reads only the L1 blocks after it, however long the chain is. Logs before it are not
 * in memory then, so a later reorg below it, or a prover asking for a batch's material from before it, derives
 * again from the deployment (rare; correct either way).
 */
import { type AbiEvent, bytesToHex, decodeEventLog, hexToBytes, keccak256, toEventSelector } from 'viem'
import { type StateHeader, stateCommitment } from '../core/commitment.ts'
import { WITHDRAWALS_TREE_DEPTH } from '../core/constants.ts'
import { L2kitError } from '../core/errors.ts'
import { SparseMerkleTree } from '../core/smt.ts'
import { L2State, withdrawalHash } from '../core/state.ts'
import { l2TokenAddress } from '../core/tokenAddress.ts'
import type { Address, Deposit, Hex, L2Tx, TokenInfo, Withdrawal } from '../core/types.ts'
import { portalAbi, rollupAbi } from '../generated/contracts.ts'
import { blobsToPayload } from '../l1/blobs.ts'
import {
  type ApplyContext,
  CheckpointedFollower,
  type FollowerCheckpoint,
  type FollowerReorg,
  type L1Log,
  type L1Position,
} from '../l1/checkpointedFollower.ts'
import type { L1PublicClient } from '../l1/clients.ts'
import { readCommittedData } from '../l1/committedData.ts'
import type { CommittedData } from '../l1/dataProofs.ts'
import type { SeenBlock } from '../l1/logFollower.ts'
import { type Logger, silentLogger } from '../node/logger.ts'
import { genesisBlock } from './block.ts'
import type { ChainConfig, RollupContracts } from './config.ts'
import type { DerivationStore, LoadedCheckpoint, StoredCheckpoint } from './derivationStore.ts'
import { type DerivedBlock, deriveBatch } from './deriveBatch.ts'
import { dataFromBlobPayload } from './protocol/batchCodecV3.ts'
import { blobBatchDataHash } from './protocol/dataHash.ts'

export type { L1Log, L1Position } from '../l1/checkpointedFollower.ts'

export type DerivedBatchRecord = {
  batchIndex: bigint
  valid: boolean
  reason?: string
  firstBlock: bigint
  blockCount: number
  /** Last derived L2 block after this batch (unchanged by an invalid batch). */
  l2BlockNumber: bigint
  stateRoot: Hex
  accountsRoot: Hex
  withdrawalCount: bigint
  l1TxHash: Hex
  l1BlockNumber: bigint
  /** Hash of the L1 block that carried the batch: what a reorg check compares against the canonical chain. */
  l1BlockHash: Hex
  /** The Rollup's record of the data (keccak of the versioned hashes, or of the calldata). */
  dataHash: Hex
  depositCountAfter: bigint
  isBlob: boolean
  blobHashes: Hex[]
  txCount: number
  /** Rows that did nothing (skipped transactions, malformed rows, deposit rows beyond the batch). */
  skippedRows: number
  /** Rows of a valid batch: the step count an honest proposal declares (0 for an invalid batch). */
  rowCount: number
  /** Built by the Rollup from its forced-transaction queue (docs/optimistic.md, "Force inclusion"). */
  forced: boolean
  /** The honest trace: state commitments L0..L(rowCount). */
  leaves: Hex[]
  /** The state after the batch as the proposal's `end` header. */
  postHeader: StateHeader
  /** `stateCommitment(postHeader)`, the last leaf. */
  postCommitment: Hex
}

/** What a prover needs to re-execute one row of a batch: the state before it and the data as committed on L1. */
export type BatchProofMaterial = {
  /** The state before the batch (a private copy: replay rows on a clone of it). */
  preState: L2State
  /** Last closed L2 block before the batch. */
  preBlockNumber: bigint
  /** The batch's data as derivation executed it (empty when the blob payload was unusable). */
  data: Uint8Array
  /** The data as committed on L1 (for openings or the calldata proof). */
  committed: CommittedData
}

export type ProposalRecord = {
  proposalIndex: bigint
  batchIndex: bigint
  stateRoot: Hex
  l2BlockNumber: bigint
  proposer: Address
  /** L1 timestamp of the block that carried the proposal. */
  proposedAt: number
  l1TxHash: Hex
  l1BlockNumber: bigint
  l1BlockHash: Hex
  deleted: boolean
  /** Commitment of the proposal's end state header (the trace's last leaf). */
  commitment: Hex
  /** Declared trace length minus one: the batch's row count if valid, else 0. */
  stepCount: bigint
  traceIsBlob: boolean
  /** keccak of the trace blobs' versioned hashes, or of the calldata trace. */
  traceHash: Hex
  traceBlobHashes: Hex[]
  /** The root derivation computed for that batch; undefined until that batch is derived. */
  derivedRoot?: Hex
  /** Whether the proposal's end commitment, step count and root equal derivation's (undefined until derived). */
  agrees?: boolean
}

export type DerivationModules = {
  chain: ChainConfig
  contracts: RollupContracts
  publicClient: L1PublicClient
  logger: Logger
  beaconUrl?: string
  pollingIntervalMs?: number
  /**
   * Called for each deposit / token log L1 delivers (the sequencer node stores them for inclusion), with the L1
   * block that carried it. After a reorg the logs of the new chain are delivered again, so a deposit index can
   * come twice (with the same or, if the reorg changed it, different contents).
   */
  onDeposit?: (d: Deposit, l1: L1Position) => void | Promise<void>
  onToken?: (t: TokenInfo, l1: L1Position) => void | Promise<void>
  /** Called for each transaction queued on L1 for force inclusion (the sequencer should include it in time). */
  onForcedTx?: (f: ForcedTx, l1: L1Position) => void | Promise<void>
  /**
   * A forced batch changed the state (it applied deposits or transactions). `state` is a private copy of the state
   * right after it; `blockNumber` the last L2 block before it (forced rows close no block: they come before the
   * next block the sequencer closes). Not called while replaying after an L1 reorg.
   */
  onForcedBatch?: (f: ForcedBatchEffects) => void | Promise<void>
  /** Called after derivation rebuilt itself for an L1 reorg (before the new chain's logs are delivered). */
  onReorg?: (e: DerivationReorg) => void | Promise<void>
  /** Called after every processed L1 range: everything up to `blockNumber` has been applied. */
  onL1Progress?: (l1: L1Position) => void | Promise<void>
  /** L1 blocks between checkpoints of the derived state (a reorg replays from the newest one before it). */
  checkpointIntervalBlocks?: number
  /**
   * How many of the newest batches keep their proof material (pre-state copy and L1 data) for provers: the
   * challenger and a fault-injecting proposer. 0 = none (a plain verifier). Default 64.
   */
  proofMaterialBatches?: number
  /** Saves checkpoints durably and resumes from the newest one at `start()` (undefined: derive from L1 at start). */
  checkpointStore?: DerivationStore
  /** Least wall-clock time between two saved checkpoints (a save also happens at `stop()`). Default 5,000. */
  checkpointPersistIntervalMs?: number
  /** Keep the proof material of this one batch only (a replay that rebuilds it; see `loadProofMaterial`). */
  proofMaterialOf?: bigint
}

/** How `start()` began: from a saved checkpoint (and how long loading it took) or from the deployment. */
export type DerivationStart =
  | { from: 'deployment'; reason: string }
  | { from: 'checkpoint'; l1Block: bigint; batches: number; loadMs: number }

/** What a derived forced batch did (`onForcedBatch`). */
export type ForcedBatchEffects = {
  batchIndex: bigint
  blockNumber: bigint
  state: L2State
  deposits: Deposit[]
  txs: { tx: L2Tx; hash: Hex; sender: Address }[]
}

/** A transaction queued on L1 for force inclusion (`Rollup.ForcedTxQueued`): a 124-byte v3 tx row. */
export type ForcedTx = { index: bigint; row: Uint8Array; queuedAt: number; queuedBy: Address }

export type DerivationReorg = {
  /** Newest L1 block of the old view that is still canonical. */
  commonAncestor: bigint
  /** The last L1 block derivation had processed on the old chain. */
  previousBlock: bigint
  /** Logs of the old chain that were undone. */
  droppedLogs: number
  /** Batches, proposals and deposits derived before the reorg and undone by it (the new chain may bring them back). */
  droppedBatches: bigint[]
  droppedProposals: bigint[]
  droppedDeposits: bigint[]
}

/** Everything derived up to one L1 block (the follower's checkpoints hold one), to restore after a reorg. */
/** The follower's checkpoint of a derivation. */
type Checkpoint = FollowerCheckpoint<DerivationSnapshot>

type DerivationSnapshot = {
  state: ReturnType<L2State['snapshot']>
  tokenCount: number
  depositCount: number
  forcedTxCount: number
  head: DerivedBlock
  batchCount: number
  proposals: ProposalRecord[]
  finalizedWithdrawals: bigint[]
}

/** How many checkpoints are kept: with the interval, how deep a reorg can be undone without a full replay. */
const MAX_CHECKPOINTS = 8
const DEFAULT_CHECKPOINT_INTERVAL_BLOCKS = 32
const DEFAULT_PROOF_MATERIAL_BATCHES = 64
const DEFAULT_CHECKPOINT_PERSIST_INTERVAL_MS = 5_000
/** Proof material rebuilt by a replay, kept for the next request (a challenge asks several times). */
const MAX_REBUILT_MATERIAL = 4

const eventTopic = (abi: readonly { type: string; name?: string }[], name: string): Hex =>
  toEventSelector(abi.find((x) => x.type === 'event' && x.name === name) as AbiEvent)

/** First topics of the events whose first indexed argument a reorg report lists. */
const TOPIC = {
  depositQueued: eventTopic(portalAbi, 'DepositQueued'),
  batchAppended: eventTopic(rollupAbi, 'BatchAppended'),
  stateRootProposed: eventTopic(rollupAbi, 'StateRootProposed'),
} as const

const followedEvents = [...portalAbi, ...rollupAbi].filter(
  (x): x is Extract<(typeof portalAbi)[number] | (typeof rollupAbi)[number], { type: 'event' }> =>
    x.type === 'event',
)

export class Derivation {
  readonly #m: DerivationModules
  readonly #log: Logger
  #state!: L2State
  #tokens: TokenInfo[] = []
  #deposits: Deposit[] = []
  /** L1 block of each deposit, by deposit index (saved with checkpoints for a node waiting for confirmations). */
  #depositBlocks: bigint[] = []
  #forcedTxs: ForcedTx[] = []
  /** Data of forced batches (from `ForcedBatchAppended`, emitted just before their `BatchAppended`). */
  readonly #forcedData = new Map<bigint, Uint8Array>()
  #head!: DerivedBlock
  #batches: DerivedBatchRecord[] = []
  #proposals: ProposalRecord[] = []
  readonly #blocks = new Map<bigint, DerivedBlock>()
  /** Batch data by `txHash:dataHash` (a tx hash commits to its calldata and blob hashes). */
  readonly #dataCache = new Map<string, { data: Uint8Array; committed: CommittedData }>()
  /** Proof material of the newest batches, by batch index (insertion order = batch order). */
  readonly #proofMaterial = new Map<bigint, BatchProofMaterial>()
  /** L1 block timestamps by block hash (a number names different blocks on different branches). */
  readonly #blockTimes = new Map<Hex, number>()
  /** Follows the Portal's and the Rollup's events into this derivation, through reorgs, with checkpoints. */
  readonly #follower: CheckpointedFollower<DerivationSnapshot, typeof followedEvents>
  /** Withdrawal indices paid out on L1 (Portal `WithdrawalFinalized`). */
  readonly finalizedWithdrawals = new Set<bigint>()
  /** Table entries the checkpoint store already holds as they are in memory (lowered when a reorg undoes some). */
  #saved = { tokens: 0, deposits: 0, forcedTxs: 0, batches: 0, blocks: 0 }
  /** Proposals changed since the last save (all of them after a reorg restored an older list). */
  readonly #dirtyProposals = new Set<number>()
  #allProposalsDirty = false
  #lastSave: { l1Block: bigint; at: number } | undefined
  #start: DerivationStart = { from: 'deployment', reason: 'not started' }
  readonly #rebuiltMaterial = new Map<bigint, BatchProofMaterial>()

  constructor(modules: DerivationModules) {
    this.#m = modules
    this.#log = modules.logger
    this.#reset()
    this.#follower = new CheckpointedFollower(
      {
        addresses: [modules.contracts.portal, modules.contracts.rollup],
        events: followedEvents,
        fromBlock: modules.contracts.deployBlock,
        pollingIntervalMs: modules.pollingIntervalMs ?? 500,
        checkpointIntervalBlocks: modules.checkpointIntervalBlocks ?? DEFAULT_CHECKPOINT_INTERVAL_BLOCKS,
        maxCheckpoints: MAX_CHECKPOINTS,
      },
      {
        publicClient: modules.publicClient,
        logger: this.#log,
        machine: {
          apply: (log, ctx) => this.#apply(log, ctx),
          snapshot: () => this.#snapshot(),
          restore: (snap) => this.#restore(snap),
        },
        onProgress: (l1, taken) => this.#onProgress(l1, taken),
        onReorg: (e) => this.#onReorg(e),
        onCheckpointsChanged: () => this.#pruneCaches(),
        describeDropped: (logs) => {
          const d = this.#dropped(logs)
          return {
            droppedBatches: d.droppedBatches.map(String),
            droppedProposals: d.droppedProposals.map(String),
            droppedDeposits: d.droppedDeposits.map(String),
          }
        },
      },
    )
  }

  #reset(): void {
    this.#state = new L2State({ chainId: this.#m.chain.chainId, baseFee: this.#m.chain.baseFee })
    this.#tokens = []
    this.#deposits = []
    this.#depositBlocks = []
    this.#forcedTxs = []
    this.#forcedData.clear()
    this.#batches = []
    this.#proposals = []
    this.#blocks.clear()
    this.#proofMaterial.clear()
    this.finalizedWithdrawals.clear()
    const g = genesisBlock(this.#m.chain.genesisTimestamp, rootHex(this.#state.stateRoot()))
    this.#head = {
      number: 0n,
      hash: g.hash,
      timestamp: g.timestamp,
      stateRoot: g.stateRoot,
      txHashes: [],
      depositCountAfter: 0n,
    }
    this.#blocks.set(0n, this.#head)
  }

  /** Follows L1 from the saved checkpoint when there is a usable one, else from the contracts' deployment block. */
  async start(): Promise<void> {
    this.#follower.start(await this.#resumeFromStore())
  }

  /** Stops following L1 and saves a checkpoint at the last processed L1 block (so a restart resumes there). */
  async stop(): Promise<void> {
    await this.#follower.stop()
    const at = this.#follower.l1Position
    // Not with a rebuild or callbacks still to run: a restart from that checkpoint would never run them.
    if (this.#m.checkpointStore && at && !this.#follower.busy) {
      if (this.#lastSave === undefined || this.#lastSave.l1Block < at.blockNumber)
        await this.#save(this.#follower.takeCheckpoint(at))
    }
  }

  /** How the last `start()` began (from a saved checkpoint or from the deployment). */
  get startedFrom(): DerivationStart {
    return this.#start
  }

  /** The L1 block that queued deposit `index` (undefined for an unknown index). */
  depositL1Block(index: bigint): bigint | undefined {
    return this.#depositBlocks[Number(index)]
  }

  /** Processes everything L1 has now (tests and the demo call it instead of waiting for the next poll). */
  async sync(): Promise<void> {
    await this.#follower.sync()
  }

  /** The L2 state as derived from L1 (safe head). Read only. */
  get state(): L2State {
    return this.#state
  }

  get safeHead(): DerivedBlock {
    return this.#head
  }

  /** Last L1 block whose logs derivation has applied (undefined before the first range). */
  get l1Position(): L1Position | undefined {
    return this.#follower.l1Position
  }

  get tokens(): readonly TokenInfo[] {
    return this.#tokens
  }

  get deposits(): readonly Deposit[] {
    return this.#deposits
  }

  /** Transactions queued on L1 for force inclusion, by queue index. */
  get forcedTxs(): readonly ForcedTx[] {
    return this.#forcedTxs
  }

  get batches(): readonly DerivedBatchRecord[] {
    return this.#batches
  }

  get proposals(): readonly ProposalRecord[] {
    return this.#proposals
  }

  derivedBlock(number: bigint): DerivedBlock | undefined {
    return this.#blocks.get(number)
  }

  latestBatch(): DerivedBatchRecord | undefined {
    return this.#batches[this.#batches.length - 1]
  }

  latestLiveProposal(): ProposalRecord | undefined {
    for (let i = this.#proposals.length - 1; i >= 0; i--) {
      const p = this.#proposals[i] as ProposalRecord
      if (!p.deleted) return p
    }
    return undefined
  }

  /** Consumes the next canonical L1 log (in L1 order); idempotent (a log already applied is skipped). */
  processLog(log: L1Log): Promise<void> {
    return this.#follower.processLog(log)
  }

  /** Everything up to L1 block `l1` is applied (the follower calls it after each range). */
  l1Processed(l1: L1Position): Promise<void> {
    return this.#follower.l1Processed(l1)
  }

  /**
   * L1 reorged: undo everything derived from blocks after `commonAncestor` (restore the newest checkpoint at or
   * before it, re-apply the kept logs after it), then tell `onReorg`. The new chain's logs come next.
   */
  reorg(commonAncestor: bigint, previousBlock: bigint = commonAncestor): Promise<void> {
    return this.#follower.reorg(commonAncestor, previousBlock)
  }

  /** A checkpoint was maybe taken (saved at most every `checkpointPersistIntervalMs`), then `onL1Progress`. */
  async #onProgress(l1: L1Position, taken: Checkpoint | undefined): Promise<void> {
    if (taken) {
      const interval = this.#m.checkpointPersistIntervalMs ?? DEFAULT_CHECKPOINT_PERSIST_INTERVAL_MS
      if (
        this.#m.checkpointStore &&
        (this.#lastSave === undefined || Date.now() - this.#lastSave.at >= interval)
      )
        await this.#save(taken)
    }
    await this.#m.onL1Progress?.(l1)
  }

  /** Which batches, proposals and deposits the dropped logs carried (their first indexed argument). */
  #dropped(
    logs: readonly L1Log[],
  ): Pick<DerivationReorg, 'droppedBatches' | 'droppedProposals' | 'droppedDeposits'> {
    const indexed = (contract: Address, topic: Hex) =>
      logs
        .filter((l) => l.address.toLowerCase() === contract.toLowerCase() && l.topics[0] === topic)
        .map((l) => BigInt(l.topics[1] ?? 0))
    const { portal, rollup } = this.#m.contracts
    return {
      droppedBatches: indexed(rollup, TOPIC.batchAppended),
      droppedProposals: indexed(rollup, TOPIC.stateRootProposed),
      droppedDeposits: indexed(portal, TOPIC.depositQueued),
    }
  }

  async #onReorg(e: FollowerReorg): Promise<void> {
    await this.#m.onReorg?.({
      commonAncestor: e.commonAncestor,
      previousBlock: e.previousBlock,
      droppedLogs: e.droppedLogs.length,
      ...this.#dropped(e.droppedLogs),
    })
  }

  #snapshot(): DerivationSnapshot {
    return {
      state: this.#state.snapshot(),
      tokenCount: this.#tokens.length,
      depositCount: this.#deposits.length,
      forcedTxCount: this.#forcedTxs.length,
      head: this.#head,
      batchCount: this.#batches.length,
      proposals: this.#proposals.map((p) => ({ ...p })),
      finalizedWithdrawals: [...this.finalizedWithdrawals],
    }
  }

  /**
   * Saves checkpoint `c` (just taken: the tables in memory are as it describes them) with the table entries the
   * store does not hold yet. Durable when it resolves.
   */
  async #save(cp: Checkpoint): Promise<void> {
    const store = this.#m.checkpointStore
    if (store === undefined) return
    const c = cp.state
    const saved = this.#saved
    const head = Number(c.head.number)
    const blocks: DerivedBlock[] = []
    for (let n = saved.blocks; n <= head; n++) blocks.push(this.#blocks.get(BigInt(n)) as DerivedBlock)
    const slice = <T>(items: readonly T[], from: number, count: number) => {
      const part = items.slice(from, count)
      return { from, get: (i: number) => part[i - from] }
    }
    const changed = this.#allProposalsDirty
      ? c.proposals
      : [...this.#dirtyProposals].flatMap((i) => (c.proposals[i] ? [c.proposals[i]] : []))
    const record: StoredCheckpoint = {
      version: 1,
      identity: this.#identity(),
      l1Block: cp.l1.blockNumber,
      l1BlockHash: cp.l1.blockHash,
      state: c.state,
      head: c.head,
      counts: {
        tokens: c.tokenCount,
        deposits: c.depositCount,
        forcedTxs: c.forcedTxCount,
        batches: c.batchCount,
        proposals: c.proposals.length,
      },
      finalizedWithdrawals: c.finalizedWithdrawals,
      recentBlocks: this.#follower.recentBlocks(cp.l1.blockNumber),
      savedAt: Date.now(),
    }
    const deposits = this.#deposits.slice(saved.deposits, c.depositCount).map((deposit, i) => ({
      deposit,
      l1Block: this.#depositBlocks[saved.deposits + i] as bigint,
    }))
    this.#dirtyProposals.clear()
    this.#allProposalsDirty = false
    const started = performance.now()
    await store.save({
      checkpoint: record,
      tokens: slice(this.#tokens, saved.tokens, c.tokenCount),
      deposits: { from: saved.deposits, get: (i) => deposits[i - saved.deposits] },
      forcedTxs: slice(this.#forcedTxs, saved.forcedTxs, c.forcedTxCount),
      batches: slice(this.#batches, saved.batches, c.batchCount),
      blocks: { from: saved.blocks, get: (i) => blocks[i - saved.blocks] },
      proposals: { changed },
    })
    this.#saved = {
      tokens: c.tokenCount,
      deposits: c.depositCount,
      forcedTxs: c.forcedTxCount,
      batches: c.batchCount,
      blocks: head + 1,
    }
    this.#lastSave = { l1Block: cp.l1.blockNumber, at: Date.now() }
    this.#log.debug(
      {
        l1Block: cp.l1.blockNumber.toString(),
        batches: c.batchCount,
        ms: Math.round(performance.now() - started),
      },
      'derivation checkpoint saved',
    )
  }

  #identity(): StoredCheckpoint['identity'] {
    const { portal, rollup, deployBlock } = this.#m.contracts
    return { portal, rollup, deployBlock, l2ChainId: this.#m.chain.chainId }
  }

  /**
   * Restores the saved checkpoint when it belongs to these contracts and its L1 block is still canonical; returns
   * where the follower resumes (undefined: from the deployment).
   */
  async #resumeFromStore(): Promise<{ checkpoint: Checkpoint; recentBlocks: SeenBlock[] } | undefined> {
    const store = this.#m.checkpointStore
    if (store === undefined) {
      this.#start = { from: 'deployment', reason: 'no checkpoint store' }
      return undefined
    }
    const started = performance.now()
    const saved = store.load()
    const fromDeployment = (reason: string, warn: boolean) => {
      this.#start = { from: 'deployment', reason }
      if (warn) this.#log.warn({ reason }, 'deriving from the deployment instead of the saved checkpoint')
      return undefined
    }
    if (saved === undefined) return fromDeployment('no saved checkpoint', false)
    const id = this.#identity()
    const sameId =
      saved.version === 1 &&
      saved.identity.portal.toLowerCase() === id.portal.toLowerCase() &&
      saved.identity.rollup.toLowerCase() === id.rollup.toLowerCase() &&
      saved.identity.deployBlock === id.deployBlock &&
      saved.identity.l2ChainId === id.l2ChainId
    if (!sameId) return fromDeployment('the saved checkpoint belongs to other contracts or another L2', true)
    const block = await this.#m.publicClient.getBlock({ blockNumber: saved.l1Block }).catch(() => undefined)
    if (block?.hash !== saved.l1BlockHash)
      return fromDeployment(
        `L1 block ${saved.l1Block} of the saved checkpoint is no longer canonical (a reorg while stopped, or another L1)`,
        true,
      )
    const snapshot = this.#restoreSaved(saved)
    const loadMs = Math.round(performance.now() - started)
    this.#start = { from: 'checkpoint', l1Block: saved.l1Block, batches: saved.counts.batches, loadMs }
    this.#log.info(
      {
        l1Block: saved.l1Block.toString(),
        batches: saved.counts.batches,
        safeHead: saved.head.number.toString(),
        loadMs,
      },
      'resumed derivation from the saved checkpoint',
    )
    return {
      checkpoint: {
        l1: { blockNumber: saved.l1Block, blockHash: saved.l1BlockHash },
        logCount: 0,
        state: snapshot,
      },
      recentBlocks: saved.recentBlocks,
    }
  }

  /** Restores the saved checkpoint's tables and state; returns its snapshot (the follower's oldest checkpoint). */
  #restoreSaved(saved: LoadedCheckpoint): DerivationSnapshot {
    this.#reset()
    this.#state = L2State.fromSnapshot(
      { chainId: this.#m.chain.chainId, baseFee: this.#m.chain.baseFee },
      saved.state,
    )
    this.#tokens = saved.tokens
    this.#deposits = saved.deposits.map((d) => d.deposit)
    this.#depositBlocks = saved.deposits.map((d) => d.l1Block)
    this.#forcedTxs = saved.forcedTxs
    this.#batches = saved.batches
    this.#proposals = saved.proposals
    this.#blocks.clear()
    for (const b of saved.blocks) this.#blocks.set(b.number, b)
    this.#head = saved.head
    for (const w of saved.finalizedWithdrawals) this.finalizedWithdrawals.add(w)
    this.#saved = {
      tokens: saved.counts.tokens,
      deposits: saved.counts.deposits,
      forcedTxs: saved.counts.forcedTxs,
      batches: saved.counts.batches,
      blocks: Number(saved.head.number) + 1,
    }
    this.#lastSave = { l1Block: saved.l1Block, at: Date.now() }
    return {
      state: saved.state,
      tokenCount: saved.counts.tokens,
      depositCount: saved.counts.deposits,
      forcedTxCount: saved.counts.forcedTxs,
      head: saved.head,
      batchCount: saved.counts.batches,
      proposals: saved.proposals.map((p) => ({ ...p })),
      finalizedWithdrawals: saved.finalizedWithdrawals,
    }
  }

  /** Back to a checkpoint (or genesis): the logs after it are forgotten, the caller re-applies what is kept. */
  #restore(c: DerivationSnapshot | undefined): void {
    this.#allProposalsDirty = true
    this.#rebuiltMaterial.clear()
    if (c === undefined) {
      this.#reset()
      this.#saved = { tokens: 0, deposits: 0, forcedTxs: 0, batches: 0, blocks: 0 }
      return
    }
    const s = this.#saved
    this.#saved = {
      tokens: Math.min(s.tokens, c.tokenCount),
      deposits: Math.min(s.deposits, c.depositCount),
      forcedTxs: Math.min(s.forcedTxs, c.forcedTxCount),
      batches: Math.min(s.batches, c.batchCount),
      blocks: Math.min(s.blocks, Number(c.head.number) + 1),
    }
    this.#state = L2State.fromSnapshot(
      { chainId: this.#m.chain.chainId, baseFee: this.#m.chain.baseFee },
      c.state,
    )
    this.#tokens.length = c.tokenCount
    this.#deposits.length = c.depositCount
    this.#depositBlocks.length = c.depositCount
    this.#forcedTxs.length = c.forcedTxCount
    for (const b of [...this.#forcedData.keys()]) if (b >= BigInt(c.batchCount)) this.#forcedData.delete(b)
    this.#head = c.head
    for (const n of [...this.#blocks.keys()]) if (n > c.head.number) this.#blocks.delete(n)
    this.#batches.length = c.batchCount
    for (const b of [...this.#proofMaterial.keys()])
      if (b >= BigInt(c.batchCount)) this.#proofMaterial.delete(b)
    this.#proposals = c.proposals.map((p) => ({ ...p }))
    this.finalizedWithdrawals.clear()
    for (const w of c.finalizedWithdrawals) this.finalizedWithdrawals.add(w)
  }

  /**
   * Batch data and block times are needed again only for logs a reorg may replay: those after the oldest
   * checkpoint (a reorg deeper than every checkpoint replays from genesis and fetches again).
   */
  #pruneCaches(): void {
    const needed = new Set<string>()
    const neededBlocks = new Set<Hex>()
    for (const l of this.#follower.replayableLogs()) {
      needed.add(l.transactionHash.toLowerCase())
      neededBlocks.add(l.blockHash)
    }
    for (const key of [...this.#dataCache.keys()]) {
      if (!needed.has(key.slice(0, key.indexOf(':')))) this.#dataCache.delete(key)
    }
    for (const h of [...this.#blockTimes.keys()]) if (!neededBlocks.has(h)) this.#blockTimes.delete(h)
  }

  async #apply(log: L1Log, ctx: ApplyContext): Promise<void> {
    const address = log.address.toLowerCase()
    if (address === this.#m.contracts.portal.toLowerCase()) return this.#applyPortal(log, ctx)
    if (address === this.#m.contracts.rollup.toLowerCase()) return this.#applyRollup(log, ctx)
  }

  async #applyPortal(log: L1Log, ctx: ApplyContext): Promise<void> {
    let e: ReturnType<typeof decodeEventLog<typeof portalAbi>>
    try {
      e = decodeEventLog({ abi: portalAbi, data: log.data, topics: log.topics })
    } catch {
      return
    }
    if (e.eventName === 'TokenRegistered') {
      const index = Number(e.args.tokenIndex)
      const token: TokenInfo = {
        index,
        l1Address: e.args.l1Token,
        l2Address: l2TokenAddress(index),
        name: e.args.name,
        symbol: e.args.symbol,
        decimals: Number(e.args.decimals),
      }
      this.#tokens.push(token)
      this.#state.registerToken(token)
      ctx.effect(() => this.#m.onToken?.(token, { blockNumber: log.blockNumber, blockHash: log.blockHash }))
    } else if (e.eventName === 'DepositQueued') {
      const d: Deposit = {
        index: e.args.depositIndex,
        from: e.args.from,
        to: e.args.to,
        tokenIndex: Number(e.args.tokenIndex),
        amount: e.args.amount,
      }
      this.#deposits.push(d)
      this.#depositBlocks.push(log.blockNumber)
      ctx.effect(() => this.#m.onDeposit?.(d, { blockNumber: log.blockNumber, blockHash: log.blockHash }))
    } else if (e.eventName === 'WithdrawalFinalized') {
      this.finalizedWithdrawals.add(e.args.withdrawalIndex)
    }
  }

  async #applyRollup(log: L1Log, ctx: ApplyContext): Promise<void> {
    let e: ReturnType<typeof decodeEventLog<typeof rollupAbi>>
    try {
      e = decodeEventLog({ abi: rollupAbi, data: log.data, topics: log.topics })
    } catch {
      return
    }
    if (e.eventName === 'BatchAppended') {
      const a = e.args
      const header = {
        batchIndex: a.batchIndex,
        firstL2Block: a.firstL2Block,
        l2BlockCount: Number(a.l2BlockCount),
        depositCountAfter: a.depositCountAfter,
      }
      const forcedData = this.#forcedData.get(a.batchIndex)
      const forced = forcedData !== undefined && keccak256(forcedData) === a.dataHash
      const fetched = forced
        ? { data: forcedData, committed: { isBlob: false as const, data: forcedData } }
        : await this.#fetchData(log, a.isBlob, [...a.blobHashes], a.dataHash)
      const before = this.#head
      const only = this.#m.proofMaterialOf
      const keep =
        only !== undefined
          ? only === a.batchIndex
          : (this.#m.proofMaterialBatches ?? DEFAULT_PROOF_MATERIAL_BATCHES) > 0
      const preState = keep ? this.#state.clone() : undefined
      const result = deriveBatch(this.#state, fetched.data, header, {
        chainId: this.#m.chain.chainId,
        deposits: this.#deposits,
        parent: before,
        forced,
      })
      if (result.valid) {
        for (const b of result.blocks) this.#blocks.set(b.number, b)
        this.#head = result.blocks[result.blocks.length - 1] ?? before
        for (const s of result.skippedRows)
          this.#log.warn(
            { batchIndex: a.batchIndex.toString(), ...s },
            'a row of the batch did nothing (skipped transaction or malformed row)',
          )
      } else {
        this.#log.warn(
          { batchIndex: a.batchIndex.toString(), l1Tx: log.transactionHash, reason: result.reason },
          'ignored an invalid batch',
        )
      }
      const postHeader = this.#state.stateHeader(this.#head.number)
      const record: DerivedBatchRecord = {
        batchIndex: a.batchIndex,
        valid: result.valid,
        ...(result.valid ? {} : { reason: result.reason ?? 'invalid batch' }),
        firstBlock: a.firstL2Block,
        blockCount: Number(a.l2BlockCount),
        l2BlockNumber: this.#head.number,
        stateRoot: rootHex(this.#state.stateRoot()),
        accountsRoot: rootHex(this.#state.accountsRoot()),
        withdrawalCount: BigInt(this.#state.withdrawals.length),
        l1TxHash: log.transactionHash,
        l1BlockNumber: log.blockNumber,
        l1BlockHash: log.blockHash,
        dataHash: a.dataHash,
        depositCountAfter: a.depositCountAfter,
        isBlob: a.isBlob,
        blobHashes: [...a.blobHashes],
        txCount: result.txCount,
        skippedRows: result.skippedRows.length,
        rowCount: result.rowCount,
        leaves: result.leaves,
        forced,
        postHeader,
        postCommitment: stateCommitment(postHeader),
      }
      this.#batches[Number(a.batchIndex)] = record
      if (preState) {
        this.#proofMaterial.set(a.batchIndex, {
          preState,
          preBlockNumber: before.number,
          data: fetched.data,
          committed: fetched.committed,
        })
        this.#pruneProofMaterial()
      }
      this.#log.info(
        {
          batchIndex: a.batchIndex.toString(),
          valid: record.valid,
          safeHead: record.l2BlockNumber.toString(),
          txs: record.txCount,
          rows: record.rowCount,
          stateRoot: record.stateRoot,
        },
        'batch derived',
      )
      for (const p of this.#proposals) if (p.batchIndex === a.batchIndex) this.#judge(p)
      const applied = result.forcedApplied
      if (
        !ctx.replaying &&
        result.valid &&
        applied &&
        (applied.depositIndices.length > 0 || applied.txs.length > 0)
      ) {
        const deposits: Deposit[] = []
        for (const i of applied.depositIndices) {
          const d = this.#deposits[Number(i)]
          if (d) deposits.push(d)
        }
        const effects: ForcedBatchEffects = {
          batchIndex: a.batchIndex,
          blockNumber: this.#head.number,
          state: this.#state.clone(),
          deposits,
          txs: applied.txs,
        }
        ctx.effect(() => this.#m.onForcedBatch?.(effects))
      }
    } else if (e.eventName === 'StateRootProposed') {
      const a = e.args
      const p: ProposalRecord = {
        proposalIndex: a.proposalIndex,
        batchIndex: a.batchIndex,
        stateRoot: a.stateRoot,
        l2BlockNumber: a.l2BlockNumber,
        proposer: a.proposer,
        proposedAt: await this.#blockTime(log.blockHash),
        l1TxHash: log.transactionHash,
        l1BlockNumber: log.blockNumber,
        l1BlockHash: log.blockHash,
        deleted: false,
        commitment: a.commitment,
        stepCount: a.stepCount,
        traceIsBlob: a.traceIsBlob,
        traceHash: a.traceHash,
        traceBlobHashes: [...a.traceBlobHashes],
      }
      this.#proposals[Number(a.proposalIndex)] = p
      this.#dirtyProposals.add(Number(a.proposalIndex))
      this.#judge(p)
    } else if (e.eventName === 'ForcedTxQueued') {
      const f: ForcedTx = {
        index: e.args.index,
        row: hexToBytes(e.args.row),
        queuedAt: Number(e.args.queuedAt),
        queuedBy: e.args.queuedBy,
      }
      this.#forcedTxs[Number(f.index)] = f
      this.#log.info(
        { index: f.index.toString(), queuedBy: f.queuedBy },
        'transaction queued on L1 for force inclusion',
      )
      ctx.effect(() => this.#m.onForcedTx?.(f, { blockNumber: log.blockNumber, blockHash: log.blockHash }))
    } else if (e.eventName === 'ForcedBatchAppended') {
      this.#forcedData.set(e.args.batchIndex, hexToBytes(e.args.data))
    } else if (e.eventName === 'ProposalsDeleted') {
      for (const p of this.#proposals)
        if (p.proposalIndex >= e.args.fromProposalIndex && !p.deleted) {
          p.deleted = true
          this.#dirtyProposals.add(Number(p.proposalIndex))
        }
    }
  }

  #judge(p: ProposalRecord): void {
    const b = this.#batches[Number(p.batchIndex)]
    if (!b) return
    this.#dirtyProposals.add(Number(p.proposalIndex))
    p.derivedRoot = b.stateRoot
    p.agrees =
      b.stateRoot.toLowerCase() === p.stateRoot.toLowerCase() &&
      b.l2BlockNumber === p.l2BlockNumber &&
      b.postCommitment.toLowerCase() === p.commitment.toLowerCase() &&
      BigInt(b.rowCount) === p.stepCount
    const fields = {
      proposalIndex: p.proposalIndex.toString(),
      batchIndex: p.batchIndex.toString(),
      proposed: p.stateRoot,
      derived: b.stateRoot,
      proposedSteps: p.stepCount.toString(),
      derivedSteps: b.rowCount,
    }
    if (p.agrees) this.#log.info(fields, 'proposed state root matches derivation')
    else this.#log.error(fields, 'proposed state root is WRONG: it differs from what L1 data implies')
  }

  async #blockTime(hash: Hex): Promise<number> {
    const cached = this.#blockTimes.get(hash)
    if (cached !== undefined) return cached
    const b = await this.#m.publicClient.getBlock({ blockHash: hash })
    this.#blockTimes.set(hash, Number(b.timestamp))
    return Number(b.timestamp)
  }

  /**
   * The batch's data as the protocol reads it, and as committed on L1. Data that does not match the recorded hash
   * (only possible with a lying RPC) or an unusable blob payload becomes empty data, which no batch rule accepts.
   */
  async #fetchData(
    log: L1Log,
    isBlob: boolean,
    blobHashes: Hex[],
    dataHash: Hex,
  ): Promise<{ data: Uint8Array; committed: CommittedData }> {
    // Keyed by tx and data hash: one tx could append several batches with different blob counts.
    const key = `${log.transactionHash.toLowerCase()}:${dataHash.toLowerCase()}`
    const cached = this.#dataCache.get(key)
    if (cached) return cached
    if (isBlob && blobBatchDataHash(blobHashes) !== dataHash) {
      throw new L2kitError(
        'BATCH_DATA_MISMATCH',
        `blob hashes of L1 tx ${log.transactionHash} do not match`,
        {
          kind: 'temporary',
        },
      )
    }
    const committed = await readCommittedData(
      this.#m.publicClient,
      log.transactionHash,
      isBlob
        ? { kind: 'blobs', versionedHashes: blobHashes, beaconUrl: this.#m.beaconUrl }
        : {
            kind: 'calldata',
            abi: rollupAbi,
            functionName: 'appendBatchCalldata',
            argIndex: 3,
            expectedHash: dataHash,
          },
    )
    let fetched: { data: Uint8Array; committed: CommittedData }
    if (committed.isBlob) {
      const payload = dataFromBlobPayload(blobsToPayload(committed.blobs))
      if (!payload.ok)
        this.#log.warn({ l1Tx: log.transactionHash, reason: payload.reason }, 'blob payload is unusable')
      fetched = { data: payload.ok ? payload.data : new Uint8Array(0), committed }
    } else {
      fetched = { data: committed.data, committed }
    }
    this.#dataCache.set(key, fetched)
    return fetched
  }

  /** Proof material of batch `batchIndex` (undefined when it was pruned or never kept). */
  proofMaterial(batchIndex: bigint): BatchProofMaterial | undefined {
    return this.#proofMaterial.get(batchIndex)
  }

  /**
   * Proof material of batch `batchIndex`, rebuilt when it is not kept: after a restart from a saved checkpoint
   * (or beyond `proofMaterialBatches`), a replay derives the chain again from the deployment up to it. Undefined
   * only for a batch derivation has not seen.
   */
  async loadProofMaterial(batchIndex: bigint): Promise<BatchProofMaterial | undefined> {
    const kept = this.#proofMaterial.get(batchIndex) ?? this.#rebuiltMaterial.get(batchIndex)
    if (kept) return kept
    const batch = this.#batches[Number(batchIndex)]
    if (batch === undefined) return undefined
    this.#log.info(
      { batchIndex: batchIndex.toString() },
      'rebuilding the proof material of an old batch: deriving again from the deployment',
    )
    const started = performance.now()
    const replay = new Derivation({
      chain: this.#m.chain,
      contracts: this.#m.contracts,
      publicClient: this.#m.publicClient,
      logger: silentLogger,
      ...(this.#m.beaconUrl ? { beaconUrl: this.#m.beaconUrl } : {}),
      proofMaterialOf: batchIndex,
    })
    while (replay.#batches.length <= Number(batchIndex)) {
      const before = replay.l1Position?.blockNumber
      await replay.#follower.poll()
      if (replay.l1Position?.blockNumber === before) return undefined // L1 no longer has that batch
    }
    const material = replay.proofMaterial(batchIndex)
    const rebuilt = replay.#batches[Number(batchIndex)]
    // The same batch as this derivation's record (an L1 reorg in between could have replaced it).
    if (!material || rebuilt?.postCommitment !== batch.postCommitment || rebuilt.l1TxHash !== batch.l1TxHash)
      return undefined
    this.#rebuiltMaterial.set(batchIndex, material)
    while (this.#rebuiltMaterial.size > MAX_REBUILT_MATERIAL)
      this.#rebuiltMaterial.delete(this.#rebuiltMaterial.keys().next().value as bigint)
    this.#log.info(
      { batchIndex: batchIndex.toString(), ms: Math.round(performance.now() - started) },
      'proof material rebuilt',
    )
    return material
  }

  #pruneProofMaterial(): void {
    if (this.#m.proofMaterialOf !== undefined) return
    const keep = this.#m.proofMaterialBatches ?? DEFAULT_PROOF_MATERIAL_BATCHES
    while (this.#proofMaterial.size > keep) {
      const oldest = this.#proofMaterial.keys().next().value as bigint
      this.#proofMaterial.delete(oldest)
    }
  }

  /**
   * Proof that withdrawal `index` is in the state root of the newest proposal covering it; what
   * `Portal.finalizeWithdrawal` takes. Undefined while no proposal covers it yet.
   */
  withdrawalProof(
    index: bigint,
  ): { proposal: ProposalRecord; accountsRoot: Hex; siblings: Hex[]; withdrawalHash: Hex } | undefined {
    for (let i = this.#proposals.length - 1; i >= 0; i--) {
      const p = this.#proposals[i]
      if (!p || p.deleted || !p.agrees) continue
      const b = this.#batches[Number(p.batchIndex)]
      if (!b || b.withdrawalCount <= index) continue
      // The withdrawals tree is append-only: its state at that batch is the first `withdrawalCount` leaves.
      const tree = new SparseMerkleTree(WITHDRAWALS_TREE_DEPTH)
      for (let k = 0; k < Number(b.withdrawalCount); k++) {
        tree.set(k, hexToBytes(withdrawalHash(this.#state.withdrawals[k] as Withdrawal)))
      }
      const siblings = tree.proof(Number(index)).map((x) => bytesToHex(x))
      return {
        proposal: p,
        accountsRoot: b.accountsRoot,
        siblings,
        withdrawalHash: withdrawalHash(this.#state.withdrawals[Number(index)] as Withdrawal),
      }
    }
    return undefined
  }
}

function rootHex(r: unknown): Hex {
  return typeof r === 'string' ? (r as Hex) : bytesToHex(r as Uint8Array)
}
