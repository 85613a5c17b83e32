/**
 * An in-process L1 for action tests of the optimistic rollup's roles (OP Stack's "action tests"): no anvil, no
 * network, no timers. The test mines L1 blocks by hand, delivers their logs to a `Derivation` (`L1Feed`) and
 * steps the proposer and the challenger itself.
 *
 * What it models (enough for the roles to run unchanged, not the contracts' whole logic: forge tests those):
 * - blocks: number, hash (a new branch after `reorg` gets new hashes), parent hash, timestamp; transactions with
 *   their input, sender and blobs; logs with their block, transaction and log index.
 * - Portal: `TokenRegistered`, `DepositQueued` (with the rolling queue hash).
 * - Rollup: batches (`appendBatchCalldata`, `appendBatch` with blobs, `appendForcedBatch`), the forced queue,
 *   proposals with the checks `propose` / `proposeCalldata` make (bond, batch index = live parent + 1, batch data
 *   hash, calldata trace length/start/end, blob trace size), `ProposalsDeleted` (what a won challenge does),
 *   challenge commitments. A challenge is judged by the test (`onChallenge`), never by this model.
 *
 * `client` is a fake viem public client (cast to `L1PublicClient`) that implements only:
 * - `getBlockNumber()`, `getBlock({ blockHash } | { blockNumber } | { blockTag } | none)`, `getTransaction({ hash })`;
 * - `readContract` of the Rollup views the proposer and the challenger read: `nextProposalParent`,
 *   `lastLiveProposal`, `getProposal`, `proposalCount`, `batchCount`, `proposalBond`, `challengeBond`,
 *   `challengeWindow`, `parentCommitment`, `pendingReward`;
 * - `call` of a challenge (the challenger's simulation): answers what `onChallenge` decides;
 * - `request` of `anvil_getBlobsByTransactionHash` (how `readBlobs` reads blobs without a beacon node) and
 *   `evm_mine` (mines an empty block).
 * Anything else throws `FakeL1: … not implemented`, so a role that starts using more of L1 fails loudly here.
 */

import {
  type Abi,
  type AbiEvent,
  concatHex,
  decodeFunctionData,
  encodeAbiParameters,
  encodeEventTopics,
  encodeFunctionData,
  type Hex,
  keccak256,
  numberToHex,
  type TransactionReceipt,
} from 'viem'
import { type StateHeader, stateCommitment, stateRootOfHeader } from '../../core/commitment.ts'
import { nextDepositQueueHash } from '../../core/depositQueue.ts'
import { L2kitError } from '../../core/errors.ts'
import { l2TokenAddress } from '../../core/tokenAddress.ts'
import type { Address, Deposit, TokenInfo } from '../../core/types.ts'
import { portalAbi, rollupAbi } from '../../generated/contracts.ts'
import { blobsToSidecars, dataToBlobs } from '../../l1/blobs.ts'
import type { L1PublicClient } from '../../l1/clients.ts'
import { L1ErrorCode } from '../../l1/errors.ts'
import type { L1TxSender } from '../../l1/reorgAwareSender.ts'
import type { TxRequest, TxResult } from '../../l1/txManager.ts'
import type { RollupContracts } from '../config.ts'
import type { Derivation, L1Log } from '../derivation.ts'
import { encodeHeaderV3, ROW_TYPE, V3_HEADER_BYTES, V3_ROW_BYTES } from '../protocol/batchCodecV3.ts'
import { blobBatchDataHash } from '../protocol/dataHash.ts'
import { leavesFromTraceData } from '../protocol/trace.ts'

export type FakeBlock = {
  number: bigint
  hash: Hex
  parentHash: Hex
  timestamp: bigint
  logs: L1Log[]
  txHashes: Hex[]
}

export type FakeTx = {
  hash: Hex
  from: Address
  to: Address
  input: Hex
  value: bigint
  blobs: Uint8Array[]
  blobVersionedHashes: Hex[]
  blockNumber: bigint
  blockHash: Hex
}

type LogBody = { address: Address; topics: L1Log['topics']; data: Hex }
type PendingTx = Omit<FakeTx, 'blockNumber' | 'blockHash'> & { logs: LogBody[] }

export type ProposalModel = {
  stateRoot: Hex
  commitment: Hex
  traceHash: Hex
  batchIndex: bigint
  l2BlockNumber: bigint
  bond: bigint
  proposer: Address
  proposedAt: bigint
  deleted: boolean
  bondClaimed: boolean
  traceIsBlob: boolean
  slashed: boolean
  stepCount: bigint
  /** Index + 1 of the newest live proposal when this one was made (0 = genesis): its parent. */
  parentPlusOne: number
}

export type BatchModel = {
  firstL2Block: bigint
  l2BlockCount: number
  depositCountAfter: bigint
  isBlob: boolean
  forced: boolean
  dataHash: Hex
}

type Model = {
  depositCount: bigint
  queueHash: Hex
  tokenCount: number
  forcedTxCount: bigint
  batches: BatchModel[]
  proposals: ProposalModel[]
  lastLivePlusOne: number
  /** `commitChallenge` commitments and the block that recorded them. */
  commitments: Map<Hex, bigint>
  rewards: Map<bigint, { holder: Address; claimableAt: bigint; amount: bigint }>
}

/** A challenge transaction as the fake Rollup sees it (the test's `onChallenge` decides the outcome). */
export type ChallengeSeen = {
  functionName: 'challengeTraceBounds' | 'challengeStepCount' | 'challengeStep'
  args: readonly unknown[]
  proposalIndex: bigint
  challenger: Address
  /** A simulation (`eth_call`, the commitment assumed) rather than a mined transaction. */
  simulated: boolean
}

export type FakeL1Options = {
  /** Timestamp of the deployment block (default: now, so proposals are inside their challenge window). */
  startTime?: bigint
  /** Seconds between blocks. */
  blockTime?: bigint
  challengeWindow?: bigint
  proposalBond?: bigint
  challengeBond?: bigint
  /** The genesis state header (the first proposal's parent). */
  genesis: StateHeader
}

const ZERO: Hex = `0x${'00'.repeat(32)}`
const ZERO_ADDRESS: Address = '0x0000000000000000000000000000000000000000'
const CHALLENGE_KINDS = { challengeTraceBounds: 1, challengeStepCount: 2, challengeStep: 3 } as const
export const REWARD_DELAY_BLOCKS = 10n

/** The topics and data of one event, encoded as the contract would emit it. */
export function encodeEvent(
  abi: Abi,
  eventName: string,
  args: Record<string, unknown>,
): Omit<LogBody, 'address'> {
  const event = abi.find((x) => x.type === 'event' && x.name === eventName) as AbiEvent | undefined
  if (!event) throw new Error(`FakeL1: no event ${eventName}`)
  const topics = encodeEventTopics({ abi: [event], eventName, args } as never) as L1Log['topics']
  const plain = event.inputs.filter((i) => !i.indexed)
  const data = encodeAbiParameters(
    plain,
    plain.map((i) => args[i.name as string]),
  )
  return { topics, data }
}

export class FakeL1 {
  readonly contracts: RollupContracts = {
    portal: '0x00000000000000000000000000000000000a11ce',
    rollup: '0x0000000000000000000000000000000000000b0b',
    deployBlock: 0n,
  }
  /** The rollup's registered batcher. */
  readonly batcher: Address = '0x00000000000000000000000000000000000ba7c4'
  readonly genesisCommitment: Hex
  readonly challengeWindow: bigint
  readonly proposalBond: bigint
  readonly challengeBond: bigint
  readonly blockTime: bigint
  /** Decides every challenge (simulated or sent); unset: challenges revert. */
  onChallenge: ((c: ChallengeSeen) => 'won' | 'lost') | undefined
  /** Runs before the block `evm_mine` asks for (e.g. someone else's transaction lands in it). */
  onEvmMine: (() => void) | undefined
  /** Every challenge the fake Rollup was asked to judge, simulations included. */
  readonly challenges: ChallengeSeen[] = []
  /** Every block ever mined, by hash (a node still answers a reorged-out block by its hash). */
  readonly #byHash = new Map<Hex, FakeBlock>()
  readonly #txs = new Map<Hex, FakeTx>()
  readonly #canonical: FakeBlock[] = []
  /** The model after each canonical block (what a reorg restores). */
  readonly #snapshots: Model[] = []
  #model: Model
  #pending: PendingTx[] = []
  #branch = 0
  #txCount = 0

  constructor(options: FakeL1Options) {
    this.genesisCommitment = stateCommitment(options.genesis)
    this.challengeWindow = options.challengeWindow ?? 3_600n
    this.proposalBond = options.proposalBond ?? 10n ** 17n
    this.challengeBond = options.challengeBond ?? 10n ** 16n
    this.blockTime = options.blockTime ?? 12n
    this.#model = {
      depositCount: 0n,
      queueHash: ZERO,
      tokenCount: 0,
      forcedTxCount: 0n,
      batches: [],
      proposals: [],
      lastLivePlusOne: 0,
      commitments: new Map(),
      rewards: new Map(),
    }
    const genesis: FakeBlock = {
      number: 0n,
      hash: this.#blockHash(0n, ZERO),
      parentHash: ZERO,
      timestamp: options.startTime ?? BigInt(Math.floor(Date.now() / 1000)),
      logs: [],
      txHashes: [],
    }
    this.#canonical.push(genesis)
    this.#byHash.set(genesis.hash, genesis)
    this.#snapshots.push(structuredClone(this.#model))
  }

  // ------------------------------------------------------------------------------------------------ chain

  get head(): FakeBlock {
    return this.#canonical[this.#canonical.length - 1] as FakeBlock
  }

  /** Canonical block `n` (undefined past the head). */
  block(n: bigint): FakeBlock | undefined {
    return this.#canonical[Number(n)]
  }

  blockByHash(hash: Hex): FakeBlock | undefined {
    return this.#byHash.get(hash)
  }

  tx(hash: Hex): FakeTx | undefined {
    return this.#txs.get(hash)
  }

  /** The timestamp the next mined block gets. */
  get pendingTimestamp(): bigint {
    return this.head.timestamp + this.blockTime
  }

  /** Read-only view of the Rollup model (batches and proposals as L1 holds them now, pending included). */
  get rollup(): Readonly<Pick<Model, 'batches' | 'proposals' | 'lastLivePlusOne' | 'depositCount'>> {
    return this.#model
  }

  /** Seals the pending transactions into a new canonical block (an empty one when none is pending). */
  mine(): FakeBlock {
    const parent = this.head
    const number = parent.number + 1n
    const hash = this.#blockHash(number, parent.hash)
    const block: FakeBlock = {
      number,
      hash,
      parentHash: parent.hash,
      timestamp: this.pendingTimestamp,
      logs: [],
      txHashes: [],
    }
    for (const p of this.#pending) {
      const { logs, ...tx } = p
      this.#txs.set(tx.hash, { ...tx, blockNumber: number, blockHash: hash })
      block.txHashes.push(tx.hash)
      for (const l of logs)
        block.logs.push({
          ...l,
          blockNumber: number,
          blockHash: hash,
          transactionHash: tx.hash,
          logIndex: block.logs.length,
        })
    }
    this.#pending = []
    this.#canonical.push(block)
    this.#byHash.set(hash, block)
    this.#snapshots.push(structuredClone(this.#model))
    return block
  }

  /**
   * An L1 reorg: every block after `commonAncestor` leaves the canonical chain (with its effects on the model and
   * anything pending); blocks mined from now on are a new branch with new hashes.
   */
  reorg(commonAncestor: bigint): FakeBlock[] {
    if (commonAncestor >= this.head.number) throw new Error('FakeL1: a reorg needs blocks after the ancestor')
    const dropped = this.#canonical.splice(Number(commonAncestor) + 1)
    this.#snapshots.splice(Number(commonAncestor) + 1)
    this.#model = structuredClone(this.#snapshots[Number(commonAncestor)] as Model)
    this.#pending = []
    this.#branch++
    return dropped
  }

  #blockHash(number: bigint, parentHash: Hex): Hex {
    return keccak256(
      encodeAbiParameters(
        [{ type: 'uint256' }, { type: 'bytes32' }, { type: 'uint256' }],
        [number, parentHash, BigInt(this.#branch)],
      ),
    )
  }

  #queue(
    tx: { from: Address; to: Address; input: Hex; value?: bigint; blobs?: Uint8Array[]; hashes?: Hex[] },
    logs: LogBody[],
  ): PendingTx {
    const hash = keccak256(
      concatHex([
        tx.input,
        numberToHex(this.#txCount++, { size: 32 }),
        numberToHex(this.#branch, { size: 32 }),
      ]),
    )
    const p: PendingTx = {
      hash,
      from: tx.from,
      to: tx.to,
      input: tx.input,
      value: tx.value ?? 0n,
      blobs: tx.blobs ?? [],
      blobVersionedHashes: tx.hashes ?? [],
      logs,
    }
    this.#pending.push(p)
    return p
  }

  #portalLog(eventName: string, args: Record<string, unknown>): LogBody {
    return { address: this.contracts.portal, ...encodeEvent(portalAbi, eventName, args) }
  }

  #rollupLog(eventName: string, args: Record<string, unknown>): LogBody {
    return { address: this.contracts.rollup, ...encodeEvent(rollupAbi, eventName, args) }
  }

  // ------------------------------------------------------------------------------------------------ Portal

  /** `depositERC20`'s first use of a token: registers it (`TokenRegistered`). */
  registerToken(p: { l1Token: Address; name: string; symbol: string; decimals: number }): TokenInfo {
    const index = ++this.#model.tokenCount
    this.#queue({ from: ZERO_ADDRESS, to: this.contracts.portal, input: '0x' }, [
      this.#portalLog('TokenRegistered', { tokenIndex: index, ...p }),
    ])
    return {
      index,
      l1Address: p.l1Token,
      l2Address: l2TokenAddress(index),
      name: p.name,
      symbol: p.symbol,
      decimals: p.decimals,
    }
  }

  /** `depositETH` / `depositERC20`: queues deposit #depositCount (`DepositQueued` with the rolling hash). */
  deposit(p: { from: Address; to: Address; amount: bigint; tokenIndex?: number }): Deposit {
    const index = this.#model.depositCount++
    const tokenIndex = p.tokenIndex ?? 0
    const queueHash = nextDepositQueueHash(this.#model.queueHash, {
      index,
      from: p.from,
      to: p.to,
      tokenIndex,
      amount: p.amount,
    })
    this.#model.queueHash = queueHash
    this.#queue({ from: p.from, to: this.contracts.portal, input: '0x', value: p.amount }, [
      this.#portalLog('DepositQueued', {
        depositIndex: index,
        from: p.from,
        to: p.to,
        tokenIndex,
        amount: p.amount,
        queueHash,
      }),
    ])
    return { index, from: p.from, to: p.to, tokenIndex, amount: p.amount }
  }

  // ------------------------------------------------------------------------------------------------ Rollup

  #appendBatch(b: Omit<BatchModel, 'forced'>, blobHashes: Hex[]): { batchIndex: bigint; logs: LogBody[] } {
    if (b.depositCountAfter > this.#model.depositCount)
      throw revert('DepositCountTooHigh', `${b.depositCountAfter} > ${this.#model.depositCount}`)
    const batchIndex = BigInt(this.#model.batches.length)
    this.#model.batches.push({ ...b, forced: false })
    return {
      batchIndex,
      logs: [this.#rollupLog('BatchAppended', { batchIndex, ...b, blobHashes })],
    }
  }

  /** `appendBatchCalldata(firstL2Block, l2BlockCount, depositCountAfter, data)` by the batcher. */
  appendBatchCalldata(p: {
    firstL2Block: bigint
    l2BlockCount: number
    depositCountAfter: bigint
    data: Uint8Array
  }): { batchIndex: bigint; txHash: Hex; dataHash: Hex } {
    const data = bytesHex(p.data)
    const dataHash = keccak256(data)
    const { batchIndex, logs } = this.#appendBatch(
      {
        firstL2Block: p.firstL2Block,
        l2BlockCount: p.l2BlockCount,
        depositCountAfter: p.depositCountAfter,
        isBlob: false,
        dataHash,
      },
      [],
    )
    const input = encodeFunctionData({
      abi: rollupAbi,
      functionName: 'appendBatchCalldata',
      args: [p.firstL2Block, p.l2BlockCount, p.depositCountAfter, data],
    })
    const tx = this.#queue({ from: this.batcher, to: this.contracts.rollup, input }, logs)
    return { batchIndex, txHash: tx.hash, dataHash }
  }

  /** `appendBatch(firstL2Block, l2BlockCount, depositCountAfter, blobCount)` with the data in blobs (KZG). */
  appendBatchBlobs(p: {
    firstL2Block: bigint
    l2BlockCount: number
    depositCountAfter: bigint
    data: Uint8Array
  }): { batchIndex: bigint; txHash: Hex; dataHash: Hex } {
    const blobs = dataToBlobs(p.data)
    const hashes = [...blobsToSidecars(blobs).versionedHashes]
    const dataHash = blobBatchDataHash(hashes)
    const { batchIndex, logs } = this.#appendBatch(
      {
        firstL2Block: p.firstL2Block,
        l2BlockCount: p.l2BlockCount,
        depositCountAfter: p.depositCountAfter,
        isBlob: true,
        dataHash,
      },
      hashes,
    )
    const input = encodeFunctionData({
      abi: rollupAbi,
      functionName: 'appendBatch',
      args: [p.firstL2Block, p.l2BlockCount, p.depositCountAfter, blobs.length],
    })
    const tx = this.#queue({ from: this.batcher, to: this.contracts.rollup, input, blobs, hashes }, logs)
    return { batchIndex, txHash: tx.hash, dataHash }
  }

  /** `queueForcedTx(row)`: a 124-byte v3 tx row queued for force inclusion (`ForcedTxQueued`). */
  queueForcedTx(row: Uint8Array, queuedBy: Address): bigint {
    if (row.length !== V3_ROW_BYTES) throw revert('InvalidForcedRow', `${row.length} bytes`)
    const index = this.#model.forcedTxCount++
    this.#queue({ from: queuedBy, to: this.contracts.rollup, input: bytesHex(row) }, [
      this.#rollupLog('ForcedTxQueued', {
        index,
        queuedBy,
        row: bytesHex(row),
        queuedAt: this.pendingTimestamp,
      }),
    ])
    return index
  }

  /**
   * `appendForcedBatch` as the Rollup builds it: header (version 3, first block 0) ‖ `depositRows` deposit rows ‖
   * the queued tx rows; `ForcedBatchAppended` just before its `BatchAppended` (no due-time checks here).
   */
  appendForcedBatch(p: {
    rows: Uint8Array[]
    firstForcedIndex: bigint
    depositRows?: number
    dueDepositCount?: bigint
  }): {
    batchIndex: bigint
    data: Uint8Array
  } {
    const depositRows = p.depositRows ?? 0
    const rowCount = depositRows + p.rows.length
    const data = new Uint8Array(V3_HEADER_BYTES + V3_ROW_BYTES * rowCount)
    data.set(encodeHeaderV3(0n, rowCount), 0)
    for (let i = 0; i < depositRows; i++) data[V3_HEADER_BYTES + V3_ROW_BYTES * i] = ROW_TYPE.deposit
    p.rows.forEach((r, i) => {
      data.set(r, V3_HEADER_BYTES + V3_ROW_BYTES * (depositRows + i))
    })
    const batches = this.#model.batches
    const depositCountAfter =
      depositRows > 0 ? (p.dueDepositCount ?? 0n) : (batches[batches.length - 1]?.depositCountAfter ?? 0n)
    const batchIndex = BigInt(batches.length)
    const dataHash = keccak256(data)
    batches.push({
      firstL2Block: 0n,
      l2BlockCount: 0,
      depositCountAfter,
      isBlob: false,
      forced: true,
      dataHash,
    })
    this.#queue({ from: ZERO_ADDRESS, to: this.contracts.rollup, input: '0x' }, [
      this.#rollupLog('ForcedBatchAppended', {
        batchIndex,
        firstForcedIndex: p.firstForcedIndex,
        data: bytesHex(data),
      }),
      this.#rollupLog('BatchAppended', {
        batchIndex,
        firstL2Block: 0n,
        l2BlockCount: 0,
        depositCountAfter,
        isBlob: false,
        dataHash,
        blobHashes: [],
      }),
    ])
    return { batchIndex, data }
  }

  /** What a won challenge does to proposal `index`: it and every later proposal are deleted (`ProposalsDeleted`). */
  deleteProposalsFrom(index: bigint): void {
    this.#queue({ from: ZERO_ADDRESS, to: this.contracts.rollup, input: '0x' }, this.#delete(index, false))
  }

  #delete(index: bigint, slashed: boolean): LogBody[] {
    const m = this.#model
    const p = m.proposals[Number(index)]
    if (!p || p.deleted) throw revert('ProposalAlreadyDeleted', String(index))
    for (const q of m.proposals.slice(Number(index))) q.deleted = true
    p.slashed = slashed
    m.lastLivePlusOne = p.parentPlusOne
    return [
      this.#rollupLog('ProposalsDeleted', {
        fromProposalIndex: index,
        toProposalIndex: BigInt(m.proposals.length),
      }),
    ]
  }

  #commitmentOfPlusOne(plusOne: number): Hex {
    return plusOne === 0
      ? this.genesisCommitment
      : (this.#model.proposals[plusOne - 1] as ProposalModel).commitment
  }

  #checkProposal(value: bigint, batchIndex: bigint, expectedHash: Hex): void {
    const m = this.#model
    if (value !== this.proposalBond) throw revert('IncorrectBond', `${value}`)
    const batch = m.batches[Number(batchIndex)]
    if (!batch) throw revert('UnknownBatch', String(batchIndex))
    if (batch.dataHash !== expectedHash)
      throw revert('BatchDataHashMismatch', `${batch.dataHash} != ${expectedHash}`)
    const plusOne = m.lastLivePlusOne
    const expected = plusOne === 0 ? 0n : (m.proposals[plusOne - 1] as ProposalModel).batchIndex + 1n
    if (batchIndex !== expected) throw revert('UnexpectedBatchIndex', `${batchIndex} != ${expected}`)
  }

  #store(
    from: Address,
    p: Omit<
      ProposalModel,
      | 'stateRoot'
      | 'commitment'
      | 'proposer'
      | 'proposedAt'
      | 'deleted'
      | 'bondClaimed'
      | 'slashed'
      | 'parentPlusOne'
      | 'l2BlockNumber'
    >,
    end: StateHeader,
    traceBlobHashes: Hex[],
  ): LogBody[] {
    const m = this.#model
    const proposalIndex = BigInt(m.proposals.length)
    const proposal: ProposalModel = {
      ...p,
      stateRoot: stateRootOfHeader(end),
      commitment: stateCommitment(end),
      l2BlockNumber: end.blockNumber,
      proposer: from,
      proposedAt: this.pendingTimestamp,
      deleted: false,
      bondClaimed: false,
      slashed: false,
      parentPlusOne: m.lastLivePlusOne,
    }
    m.proposals.push(proposal)
    m.lastLivePlusOne = m.proposals.length
    return [
      this.#rollupLog('StateRootProposed', {
        proposalIndex,
        batchIndex: p.batchIndex,
        proposer: from,
        stateRoot: proposal.stateRoot,
        commitment: proposal.commitment,
        l2BlockNumber: proposal.l2BlockNumber,
        stepCount: p.stepCount,
        traceIsBlob: p.traceIsBlob,
        traceHash: p.traceHash,
        traceBlobHashes,
      }),
    ]
  }

  /**
   * Executes a Rollup call from `from` (what a `TxManager.send` would do) and queues its transaction; throws
   * `L1_TX_REVERTED` with the custom error's name where the Rollup would revert. Mine the block to see its logs.
   */
  call(from: Address, request: TxRequest): PendingTx {
    if (request.to?.toLowerCase() !== this.contracts.rollup.toLowerCase())
      throw new Error(`FakeL1: calls to ${request.to} are not implemented`)
    const input = request.data ?? '0x'
    const value = request.value ?? 0n
    const call = decodeFunctionData({ abi: rollupAbi, data: input })
    let logs: LogBody[] = []
    let blobs: Uint8Array[] = []
    let hashes: Hex[] = []
    switch (call.functionName) {
      case 'proposeCalldata': {
        const [batchIndex, expectedHash, end, trace] = call.args
        this.#checkProposal(value, batchIndex, expectedHash)
        const length = (trace.length - 2) / 2
        if (length === 0 || length % 32 !== 0) throw revert('InvalidTraceLength', String(length))
        if (length > 24 * 1024) throw revert('TraceTooLarge', String(length))
        const leaves = leavesFromTraceData(hexBytes(trace))
        const parent = this.#commitmentOfPlusOne(this.#model.lastLivePlusOne)
        if (leaves[0] !== parent) throw revert('TraceStartMismatch', `${parent} != ${leaves[0]}`)
        const commitment = stateCommitment(end)
        if (leaves[leaves.length - 1] !== commitment)
          throw revert('TraceEndMismatch', `${commitment} != ${leaves[leaves.length - 1]}`)
        logs = this.#store(
          from,
          {
            batchIndex,
            bond: value,
            traceHash: keccak256(trace),
            traceIsBlob: false,
            stepCount: BigInt(leaves.length - 1),
          },
          end,
          [],
        )
        break
      }
      case 'propose': {
        const [batchIndex, expectedHash, end, stepCount, traceBlobCount] = call.args
        this.#checkProposal(value, batchIndex, expectedHash)
        blobs = [...(request.blobs ?? [])]
        if (blobs.length === 0 || blobs.length !== traceBlobCount)
          throw revert('TraceBlobCountMismatch', `${blobs.length}`)
        if (4n + 32n * (stepCount + 1n) > BigInt(blobs.length * 4096 * 31))
          throw revert('TraceExceedsBlobs', '')
        hashes = [...blobsToSidecars(blobs).versionedHashes]
        logs = this.#store(
          from,
          { batchIndex, bond: value, traceHash: keccak256(concatHex(hashes)), traceIsBlob: true, stepCount },
          end,
          hashes,
        )
        break
      }
      case 'commitChallenge': {
        const [commitment] = call.args
        if (!this.#model.commitments.has(commitment))
          this.#model.commitments.set(commitment, this.head.number + 1n)
        logs = [this.#rollupLog('ChallengeCommitted', { commitment, challenger: from })]
        break
      }
      case 'challengeTraceBounds':
      case 'challengeStepCount':
      case 'challengeStep': {
        if (value !== this.challengeBond) throw revert('IncorrectBond', `${value}`)
        const proposalIndex = call.args[0]
        const p = this.#model.proposals[Number(proposalIndex)]
        if (!p) throw revert('UnknownProposal', String(proposalIndex))
        if (p.deleted) throw revert('ProposalAlreadyDeleted', String(proposalIndex))
        const outcome = this.#judge({
          functionName: call.functionName,
          args: call.args,
          proposalIndex,
          challenger: from,
          simulated: false,
        })
        const kind = CHALLENGE_KINDS[call.functionName]
        const step = BigInt(call.args[1] as bigint | number)
        if (outcome === 'won') {
          const committedAt = this.#model.commitments.get(challengeCommitmentOf(from, input))
          if (committedAt === undefined || committedAt > this.head.number)
            throw revert('ChallengeNotCommitted', '')
          const reward = p.bond / 2n
          const burnt = p.bond - reward
          this.#model.rewards.set(proposalIndex, {
            holder: from,
            claimableAt: this.head.number + 1n + REWARD_DELAY_BLOCKS,
            amount: reward,
          })
          logs = [
            ...this.#delete(proposalIndex, true),
            this.#rollupLog('ChallengeWon', {
              proposalIndex,
              kind,
              challenger: from,
              step,
              challengerPayout: this.challengeBond + reward,
              burnt,
            }),
          ]
        } else {
          logs = [
            this.#rollupLog('ChallengeLost', {
              proposalIndex,
              kind,
              challenger: from,
              step,
              proposer: p.proposer,
              proposerPayout: value,
            }),
          ]
        }
        break
      }
      case 'claimChallengeReward': {
        const [proposalIndex] = call.args
        const r = this.#model.rewards.get(proposalIndex)
        if (!r || r.amount === 0n) throw revert('NoPendingReward', String(proposalIndex))
        if (this.head.number + 1n < r.claimableAt) throw revert('RewardStillHeld', String(r.claimableAt))
        this.#model.rewards.delete(proposalIndex)
        break
      }
      case 'withdrawPayout':
      case 'contestChallengeReward':
        break
      default:
        throw new Error(`FakeL1: Rollup.${call.functionName} is not implemented`)
    }
    return this.#queue({ from, to: this.contracts.rollup, input, value, blobs, hashes }, logs)
  }

  #judge(c: ChallengeSeen): 'won' | 'lost' {
    this.challenges.push(c)
    if (!this.onChallenge) throw revert('FakeL1CannotJudge', 'set onChallenge to decide challenges')
    return this.onChallenge(c)
  }

  // ------------------------------------------------------------------------------------------------ client

  /** The fake viem public client (see the file comment for what it implements). */
  readonly client: L1PublicClient = {
    getBlockNumber: async () => this.head.number,
    getBlock: async (args?: { blockHash?: Hex; blockNumber?: bigint; blockTag?: string }) => {
      const b =
        args?.blockHash !== undefined
          ? this.#byHash.get(args.blockHash)
          : args?.blockNumber !== undefined
            ? this.block(args.blockNumber)
            : this.head
      if (!b) throw new Error(`FakeL1: block ${args?.blockHash ?? args?.blockNumber} not found`)
      return { number: b.number, hash: b.hash, parentHash: b.parentHash, timestamp: b.timestamp }
    },
    getTransaction: async ({ hash }: { hash: Hex }) => {
      const tx = this.#txs.get(hash)
      if (!tx) throw new Error(`FakeL1: transaction ${hash} not found`)
      return { ...tx, blobs: undefined }
    },
    readContract: async (p: { address: Address; functionName: string; args?: readonly unknown[] }) =>
      this.#read(p.address, p.functionName, p.args ?? []),
    call: async (p: { account: Address; to: Address; data: Hex; value?: bigint }) => {
      const call = decodeFunctionData({ abi: rollupAbi, data: p.data })
      if (!(call.functionName in CHALLENGE_KINDS))
        throw new Error(`FakeL1: call of ${call.functionName} is not implemented`)
      const outcome = this.#judge({
        functionName: call.functionName as ChallengeSeen['functionName'],
        args: call.args ?? [],
        proposalIndex: (call.args as readonly unknown[])[0] as bigint,
        challenger: p.account,
        simulated: true,
      })
      return { data: encodeAbiParameters([{ type: 'bool' }], [outcome === 'won']) }
    },
    request: async ({ method, params }: { method: string; params?: unknown[] }) => {
      if (method === 'anvil_getBlobsByTransactionHash') {
        const tx = this.#txs.get((params ?? [])[0] as Hex)
        return tx ? tx.blobs.map((b) => bytesHex(b)) : null
      }
      if (method === 'evm_mine') {
        this.onEvmMine?.()
        this.mine()
        return '0x0'
      }
      throw new Error(`FakeL1: request ${method} is not implemented`)
    },
  } as unknown as L1PublicClient

  #read(address: Address, functionName: string, args: readonly unknown[]): unknown {
    if (address.toLowerCase() !== this.contracts.rollup.toLowerCase())
      throw new Error(`FakeL1: readContract on ${address} is not implemented`)
    const m = this.#model
    const plusOne = m.lastLivePlusOne
    switch (functionName) {
      case 'nextProposalParent':
        return [
          plusOne === 0 ? 0n : (m.proposals[plusOne - 1] as ProposalModel).batchIndex + 1n,
          this.#commitmentOfPlusOne(plusOne),
        ]
      case 'lastLiveProposal':
        return [plusOne !== 0, plusOne === 0 ? 0n : BigInt(plusOne - 1)]
      case 'getProposal': {
        const p = m.proposals[Number(args[0])]
        if (!p) throw revert('UnknownProposal', String(args[0]))
        const { parentPlusOne: _parent, ...view } = p
        return view
      }
      case 'parentCommitment': {
        const p = m.proposals[Number(args[0])]
        if (!p) throw revert('UnknownProposal', String(args[0]))
        return this.#commitmentOfPlusOne(p.parentPlusOne)
      }
      case 'proposalCount':
        return BigInt(m.proposals.length)
      case 'batchCount':
        return BigInt(m.batches.length)
      case 'proposalBond':
        return this.proposalBond
      case 'challengeBond':
        return this.challengeBond
      case 'challengeWindow':
        return this.challengeWindow
      case 'pendingReward': {
        const r = m.rewards.get(args[0] as bigint)
        return {
          holder: r?.holder ?? ZERO_ADDRESS,
          committedAt: 0n,
          claimableAt: r?.claimableAt ?? 0n,
          amount: r?.amount ?? 0n,
          callHash: ZERO,
        }
      }
      default:
        throw new Error(`FakeL1: readContract ${functionName} is not implemented`)
    }
  }
}

/** `Rollup.commitChallenge`'s commitment for `calldata` sent by `challenger`. */
function challengeCommitmentOf(challenger: Address, calldata: Hex): Hex {
  return keccak256(
    encodeAbiParameters([{ type: 'address' }, { type: 'bytes32' }], [challenger, keccak256(calldata)]),
  )
}

function revert(error: string, detail: string): L2kitError {
  return new L2kitError(L1ErrorCode.txReverted, `reverted: ${error}(${detail})`, {
    kind: 'critical',
    details: { error },
  })
}

export function bytesHex(b: Uint8Array): Hex {
  return `0x${Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex')}`
}

function hexBytes(h: Hex): Uint8Array {
  return new Uint8Array(Buffer.from(h.slice(2), 'hex'))
}

/** One transaction an `FakeSender` sent: the request, its decoded call, and its result. */
export type SentTx = { request: TxRequest; functionName: string; args: readonly unknown[]; result: TxResult }

/**
 * The L1 account of a role (what `txManager` must implement, `L1TxSender`): each `send` executes the call on the
 * fake Rollup and mines it in its own block (like a TxManager waiting for the receipt on an automining L1), and
 * is recorded in `sent`. A revert throws `L1_TX_REVERTED` and records nothing.
 */
export class FakeSender implements L1TxSender {
  readonly sent: SentTx[] = []
  nonceResets = 0
  constructor(
    readonly l1: FakeL1,
    readonly address: Address,
  ) {}

  async send(request: TxRequest): Promise<TxResult> {
    const tx = this.l1.call(this.address, request)
    const block = this.l1.mine()
    const logs = block.logs.filter((l) => l.transactionHash === tx.hash)
    const receipt = {
      transactionHash: tx.hash,
      blockNumber: block.number,
      blockHash: block.hash,
      status: 'success',
      logs,
    } as unknown as TransactionReceipt
    const result: TxResult = {
      txHash: tx.hash,
      nonce: this.sent.length,
      receipt,
      gasUsed: 100_000n,
      effectiveGasPrice: 1n,
      blobGasUsed: 0n,
      blobGasPrice: 0n,
      l1FeeWei: 100_000n,
      attempts: 1,
    }
    const call = decodeFunctionData({ abi: rollupAbi, data: request.data ?? '0x' })
    this.sent.push({ request, functionName: call.functionName, args: call.args ?? [], result })
    return result
  }

  resetNonce(): void {
    this.nonceResets++
  }

  /** The decoded calls sent, by function name. */
  calls(functionName?: string): SentTx[] {
    return functionName === undefined ? this.sent : this.sent.filter((s) => s.functionName === functionName)
  }
}

/**
 * Delivers L1 to one derivation as its `LogFollower` would: every canonical block after the last delivered one,
 * its logs in order (`processLog`), then `l1Processed`. It does not follow reorgs by itself: after
 * `FakeL1.reorg`, call `derivation.reorg(ancestor)` and `rewind(ancestor)` (or `followReorg()`).
 */
export class L1Feed {
  #last: { number: bigint; hash: Hex } | undefined
  constructor(
    readonly l1: FakeL1,
    readonly derivation: Derivation,
  ) {}

  get delivered(): { number: bigint; hash: Hex } | undefined {
    return this.#last
  }

  /** Delivers the new canonical blocks; returns them. Throws when the last delivered block was reorged out. */
  async sync(): Promise<FakeBlock[]> {
    const last = this.#last
    if (last && this.l1.block(last.number)?.hash !== last.hash)
      throw new Error(`L1Feed: block ${last.number} is no longer canonical: follow the reorg first`)
    const out: FakeBlock[] = []
    for (let n = last ? last.number + 1n : this.l1.contracts.deployBlock; n <= this.l1.head.number; n++) {
      const b = this.l1.block(n) as FakeBlock
      await this.deliver(b)
      out.push(b)
    }
    return out
  }

  /** Delivers one block (again, if the test wants a duplicate delivery). */
  async deliver(b: FakeBlock): Promise<void> {
    for (const l of b.logs) await this.derivation.processLog(l)
    await this.derivation.l1Processed({ blockNumber: b.number, blockHash: b.hash })
    if (this.#last === undefined || b.number > this.#last.number)
      this.#last = { number: b.number, hash: b.hash }
  }

  /** The next `sync` delivers the blocks after `n`. */
  rewind(n: bigint): void {
    const b = this.l1.block(n)
    if (!b) throw new Error(`L1Feed: no canonical block ${n}`)
    this.#last = { number: b.number, hash: b.hash }
  }

  /** What the log follower does on a reorg: the newest delivered block still canonical, `derivation.reorg` on it. */
  async followReorg(): Promise<bigint> {
    const last = this.#last
    if (!last) return -1n
    let n = last.number
    while (n > 0n && this.l1.block(n)?.hash !== this.#hashAt(n)) n--
    await this.derivation.reorg(n, last.number)
    this.rewind(n)
    return n
  }

  /** Hash of the delivered block `n` on the branch the feed followed (walking parents back from the last one). */
  #hashAt(n: bigint): Hex | undefined {
    let b = this.#last ? this.l1.blockByHash(this.#last.hash) : undefined
    while (b && b.number > n) b = this.l1.blockByHash(b.parentHash)
    return b?.hash
  }
}
