/**
 * Derivation: rebuilds the L2 chain from L1 alone (the portal's deposits and tokens, the rollup's batches and
 * proposals), and says for every proposed state root whether it is the one L1 data implies.
 * Run twice in a devnet: inside the operator's node (the proposer proposes what it derived) and as an
 * independent verifier with its own L1 client and state. On an L1 reorg it rebuilds from the logs that remain.
 */
import { bytesToHex, decodeEventLog, decodeFunctionData, hexToBytes, keccak256 } from 'viem'
import { L2_TOKEN_ADDRESS_PREFIX, WITHDRAWALS_TREE_DEPTH } from '../core/constants.ts'
import { SparseMerkleTree } from '../core/smt.ts'
import { L2kitError, isL2kitError } from '../core/errors.ts'
import { L2State, withdrawalHash } from '../core/state.ts'
import type { Address, Deposit, Hex, TokenInfo, Withdrawal } from '../core/types.ts'
import { portalAbi, rollupAbi } from '../generated/contracts.ts'
import { blobsToData } from '../l1/blobs.ts'
import type { L1PublicClient } from '../l1/clients.ts'
import { LogFollower } from '../l1/logFollower.ts'
import { readBlobs } from '../l1/readBlobs.ts'
import type { Logger } from '../node/logger.ts'
import { genesisBlock } from './block.ts'
import type { ChainConfig, RollupContracts } from './config.ts'
import { type DerivedBlock, deriveBatch } from './deriveBatch.ts'

/** One L1 log as derivation consumes it. */
export type L1Log = {
  address: Address
  topics: [Hex, ...Hex[]] | []
  data: Hex
  blockNumber: bigint
  blockHash: Hex
  transactionHash: Hex
  logIndex: number
}

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
  isBlob: boolean
  blobHashes: Hex[]
  txCount: number
  skippedTxs: number
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
  deleted: boolean
  /** The root derivation computed for that batch; undefined until that batch is derived. */
  derivedRoot?: Hex
  agrees?: boolean
}

export type DerivationModules = {
  chain: ChainConfig
  contracts: RollupContracts
  publicClient: L1PublicClient
  logger: Logger
  beaconUrl?: string
  pollingIntervalMs?: number
  /** Called for each deposit / token as it is first derived (the sequencer node stores them for inclusion). */
  onDeposit?: (d: Deposit) => void | Promise<void>
  onToken?: (t: TokenInfo) => void | Promise<void>
}

const followedEvents = [...portalAbi, ...rollupAbi].filter(
  (x): x is Extract<(typeof portalAbi)[number] | (typeof rollupAbi)[number], { type: 'event' }> => x.type === 'event',
)

export class Derivation {
  readonly #m: DerivationModules
  readonly #log: Logger
  #state!: L2State
  #tokens: TokenInfo[] = []
  #deposits: Deposit[] = []
  #head!: DerivedBlock
  #batches: DerivedBatchRecord[] = []
  #proposals: ProposalRecord[] = []
  readonly #blocks = new Map<bigint, DerivedBlock>()
  /** Every log consumed, so a reorg can rebuild from what remains canonical. */
  #logs: L1Log[] = []
  readonly #dataCache = new Map<Hex, Uint8Array>()
  readonly #blockTimes = new Map<bigint, number>()
  #follower: LogFollower<typeof followedEvents> | undefined
  /** Withdrawal indices paid out on L1 (Portal `WithdrawalFinalized`). */
  readonly finalizedWithdrawals = new Set<bigint>()

  constructor(modules: DerivationModules) {
    this.#m = modules
    this.#log = modules.logger
    this.#reset()
  }

  #reset(): void {
    this.#state = new L2State({ chainId: this.#m.chain.chainId, baseFee: this.#m.chain.baseFee })
    this.#tokens = []
    this.#deposits = []
    this.#batches = []
    this.#proposals = []
    this.#blocks.clear()
    this.finalizedWithdrawals.clear()
    const g = genesisBlock(this.#m.chain.genesisTimestamp, rootHex(this.#state.stateRoot()))
    this.#head = { number: 0n, hash: g.hash, timestamp: g.timestamp, stateRoot: g.stateRoot, txHashes: [], depositCountAfter: 0n }
    this.#blocks.set(0n, this.#head)
  }

  /** Follows L1 from the contracts' deployment block. */
  async start(): Promise<void> {
    const follower = new LogFollower(
      {
        addresses: [this.#m.contracts.portal, this.#m.contracts.rollup],
        events: followedEvents,
        fromBlock: this.#m.contracts.deployBlock,
        pollingIntervalMs: this.#m.pollingIntervalMs ?? 500,
      },
      {
        publicClient: this.#m.publicClient,
        logger: this.#log,
        handler: {
          onLogs: async (logs) => {
            for (const l of logs) {
              await this.processLog({
                address: l.address,
                topics: l.topics as L1Log['topics'],
                data: l.data,
                blockNumber: l.blockNumber,
                blockHash: l.blockHash,
                transactionHash: l.transactionHash,
                logIndex: l.logIndex,
              })
            }
          },
          onReorg: (e) => this.reorg(e.commonAncestor),
          onError: (err) => this.#log.error({ err: String(err) }, 'derivation stopped on an L1 error'),
        },
      },
    )
    this.#follower = follower
    follower.start()
  }

  async stop(): Promise<void> {
    await this.#follower?.stop()
  }

  /** Processes everything L1 has now (tests and the demo call it instead of waiting for the next poll). */
  async sync(): Promise<void> {
    await this.#follower?.poll()
  }

  /** The L2 state as derived from L1 (safe head). Read only. */
  get state(): L2State {
    return this.#state
  }

  get safeHead(): DerivedBlock {
    return this.#head
  }

  get tokens(): readonly TokenInfo[] {
    return this.#tokens
  }

  get deposits(): readonly Deposit[] {
    return this.#deposits
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

  /** Consumes the next canonical L1 log (in L1 order). */
  async processLog(log: L1Log): Promise<void> {
    // The follower re-delivers a whole range when a handler throws (e.g. a blob not served yet): skip what
    // was already applied, so delivery is idempotent.
    const last = this.#logs[this.#logs.length - 1]
    if (last && (log.blockNumber < last.blockNumber || (log.blockNumber === last.blockNumber && log.logIndex <= last.logIndex))) return
    await this.#apply(log)
    this.#logs.push(log)
  }

  /** L1 reorged: keep the logs up to `commonAncestor` and rebuild everything from them. */
  async reorg(commonAncestor: bigint): Promise<void> {
    const kept = this.#logs.filter((l) => l.blockNumber <= commonAncestor)
    this.#log.warn({ commonAncestor: commonAncestor.toString(), dropped: this.#logs.length - kept.length }, 'L1 reorg: re-deriving')
    this.#logs = []
    this.#reset()
    for (const l of kept) await this.processLog(l)
  }

  async #apply(log: L1Log): Promise<void> {
    const address = log.address.toLowerCase()
    if (address === this.#m.contracts.portal.toLowerCase()) return this.#applyPortal(log)
    if (address === this.#m.contracts.rollup.toLowerCase()) return this.#applyRollup(log)
  }

  async #applyPortal(log: L1Log): Promise<void> {
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
        l2Address: `${L2_TOKEN_ADDRESS_PREFIX}${index.toString(16).padStart(2, '0')}` as Address,
        name: e.args.name,
        symbol: e.args.symbol,
        decimals: Number(e.args.decimals),
      }
      this.#tokens.push(token)
      this.#state.registerToken(token)
      return this.#m.onToken?.(token)
    } else if (e.eventName === 'DepositQueued') {
      const d: Deposit = {
        index: e.args.depositIndex,
        from: e.args.from,
        to: e.args.to,
        tokenIndex: Number(e.args.tokenIndex),
        amount: e.args.amount,
      }
      this.#deposits.push(d)
      return this.#m.onDeposit?.(d)
    } else if (e.eventName === 'WithdrawalFinalized') {
      this.finalizedWithdrawals.add(e.args.withdrawalIndex)
    }
  }

  async #applyRollup(log: L1Log): Promise<void> {
    let e: ReturnType<typeof decodeEventLog<typeof rollupAbi>>
    try {
      e = decodeEventLog({ abi: rollupAbi, data: log.data, topics: log.topics })
    } catch {
      return
    }
    if (e.eventName === 'BatchAppended') {
      const a = e.args
      const header = { batchIndex: a.batchIndex, firstL2Block: a.firstL2Block, l2BlockCount: Number(a.l2BlockCount), depositCountAfter: a.depositCountAfter }
      const data = await this.#fetchData(log, a.isBlob, [...a.blobHashes], a.dataHash)
      const before = this.#head
      const result =
        data === undefined
          ? ({ valid: false, reason: 'batch data does not match the hash recorded on L1' } as const)
          : deriveBatch(this.#state, data, header, { chainId: this.#m.chain.chainId, deposits: this.#deposits, parent: before })
      if (result.valid) {
        for (const b of result.blocks) this.#blocks.set(b.number, b)
        this.#head = result.blocks[result.blocks.length - 1] ?? before
        for (const s of result.skippedTxs) this.#log.warn({ batchIndex: a.batchIndex.toString(), ...s }, 'skipped an invalid transaction in a batch')
      } else {
        this.#log.warn({ batchIndex: a.batchIndex.toString(), l1Tx: log.transactionHash, reason: result.reason }, 'ignored an invalid batch')
      }
      const record: DerivedBatchRecord = {
        batchIndex: a.batchIndex,
        valid: result.valid,
        ...(result.valid ? {} : { reason: result.reason }),
        firstBlock: a.firstL2Block,
        blockCount: Number(a.l2BlockCount),
        l2BlockNumber: this.#head.number,
        stateRoot: rootHex(this.#state.stateRoot()),
        accountsRoot: rootHex(this.#state.accountsRoot()),
        withdrawalCount: BigInt(this.#state.withdrawals.length),
        l1TxHash: log.transactionHash,
        l1BlockNumber: log.blockNumber,
        isBlob: a.isBlob,
        blobHashes: [...a.blobHashes],
        txCount: result.valid ? result.txCount : 0,
        skippedTxs: result.valid ? result.skippedTxs.length : 0,
      }
      this.#batches[Number(a.batchIndex)] = record
      this.#log.info(
        { batchIndex: a.batchIndex.toString(), valid: record.valid, safeHead: record.l2BlockNumber.toString(), txs: record.txCount, stateRoot: record.stateRoot },
        'batch derived',
      )
      for (const p of this.#proposals) if (p.batchIndex === a.batchIndex) this.#judge(p)
    } else if (e.eventName === 'StateRootProposed') {
      const a = e.args
      const p: ProposalRecord = {
        proposalIndex: a.proposalIndex,
        batchIndex: a.batchIndex,
        stateRoot: a.stateRoot,
        l2BlockNumber: a.l2BlockNumber,
        proposer: a.proposer,
        proposedAt: await this.#blockTime(log.blockNumber),
        l1TxHash: log.transactionHash,
        deleted: false,
      }
      this.#proposals[Number(a.proposalIndex)] = p
      this.#judge(p)
    } else if (e.eventName === 'ProposalsDeleted') {
      for (const p of this.#proposals) if (p.proposalIndex >= e.args.fromProposalIndex) p.deleted = true
    }
  }

  #judge(p: ProposalRecord): void {
    const b = this.#batches[Number(p.batchIndex)]
    if (!b) return
    p.derivedRoot = b.stateRoot
    p.agrees = b.stateRoot.toLowerCase() === p.stateRoot.toLowerCase() && b.l2BlockNumber === p.l2BlockNumber
    const fields = { proposalIndex: p.proposalIndex.toString(), batchIndex: p.batchIndex.toString(), proposed: p.stateRoot, derived: b.stateRoot }
    if (p.agrees) this.#log.info(fields, 'proposed state root matches derivation')
    else this.#log.error(fields, 'proposed state root is WRONG: it differs from what L1 data implies')
  }

  async #blockTime(n: bigint): Promise<number> {
    const cached = this.#blockTimes.get(n)
    if (cached !== undefined) return cached
    const b = await this.#m.publicClient.getBlock({ blockNumber: n })
    this.#blockTimes.set(n, Number(b.timestamp))
    return Number(b.timestamp)
  }

  /** The batch's bytes, checked against what L1 recorded; undefined when they do not match. */
  async #fetchData(log: L1Log, isBlob: boolean, blobHashes: Hex[], dataHash: Hex): Promise<Uint8Array | undefined> {
    const cached = this.#dataCache.get(log.transactionHash)
    if (cached) return cached
    let data: Uint8Array
    if (isBlob) {
      if (keccak256(blobHashes.length ? (`0x${blobHashes.map((h) => h.slice(2)).join('')}` as Hex) : '0x') !== dataHash) return undefined
      const blobs = await readBlobs(this.#m.publicClient, {
        txHash: log.transactionHash,
        versionedHashes: blobHashes,
        ...(this.#m.beaconUrl ? { beaconUrl: this.#m.beaconUrl } : {}),
      })
      try {
        data = blobsToData(blobs)
      } catch (err) {
        if (!isL2kitError(err)) throw err
        this.#log.warn({ l1Tx: log.transactionHash, reason: err.message }, 'blob payload is malformed')
        data = new Uint8Array(0)
      }
    } else {
      const tx = await this.#m.publicClient.getTransaction({ hash: log.transactionHash })
      try {
        const call = decodeFunctionData({ abi: rollupAbi, data: tx.input })
        if (call.functionName !== 'appendBatchCalldata') return undefined
        data = hexToBytes(call.args[3])
      } catch {
        // The batch came through another contract's call; its data is not in this tx's top-level input.
        throw new L2kitError('BATCH_DATA_UNAVAILABLE', `cannot find calldata batch in L1 tx ${log.transactionHash}`, { kind: 'temporary' })
      }
      if (keccak256(data) !== dataHash) return undefined
    }
    this.#dataCache.set(log.transactionHash, data)
    return data
  }

  /**
   * Proof that withdrawal `index` is in the state root of the newest proposal covering it; what
   * `Portal.finalizeWithdrawal` takes. Undefined while no proposal covers it yet.
   */
  withdrawalProof(index: bigint): { proposal: ProposalRecord; accountsRoot: Hex; siblings: Hex[]; withdrawalHash: Hex } | undefined {
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
      return { proposal: p, accountsRoot: b.accountsRoot, siblings, withdrawalHash: withdrawalHash(this.#state.withdrawals[Number(index)] as Withdrawal) }
    }
    return undefined
  }
}

function rootHex(r: unknown): Hex {
  return typeof r === 'string' ? (r as Hex) : bytesToHex(r as Uint8Array)
}

