/**
 * The challenger: follows L1 through its own derivation (L1 data alone), reads the trace of every proposal, and
 * when a proposal is wrong proves it on L1 with the cheapest decisive challenge (docs/optimistic.md):
 *   1. trace bounds (blob traces): the length prefix, the first leaf (≠ the parent's commitment) or the last leaf
 *      (≠ the proposal's commitment) is wrong;
 *   2. step count: the batch proves another number of steps (its row count, or 0 when it is invalid);
 *   3. one step: the first leaf that differs from the honest trace, re-executed on L1 from the previous leaf.
 * Proposals are checked in order; a wrong parent is challenged first (its deletion takes the children with it).
 * Every challenge is simulated before it is sent, so an honest challenger never loses its bond.
 */
import {
  type Address,
  decodeEventLog,
  encodeAbiParameters,
  encodeFunctionData,
  keccak256,
  numberToHex,
} from 'viem'
import type { StateHeader } from '../core/commitment.ts'
import { isL2kitError, L2kitError } from '../core/errors.ts'
import type { Hex } from '../core/types.ts'
import { rollupAbi } from '../generated/contracts.ts'
import { openingsForRange, rangeProofArgs } from '../l1/blobProofs.ts'
import { blobsToPayload } from '../l1/blobs.ts'
import type { L1PublicClient } from '../l1/clients.ts'
import { readCommittedData } from '../l1/committedData.ts'
import { type CommittedData, type DataProofArgs, dataRangeProof } from '../l1/dataProofs.ts'
import type { L1TxSender } from '../l1/reorgAwareSender.ts'
import { Poller } from '../node/lifecycle.ts'
import type { Logger } from '../node/logger.ts'
import type { ChainConfig, ChallengerOptions, RollupContracts } from './config.ts'
import { defaultChallengerOptions, validateChallengerOptions } from './config.ts'
import type { Derivation, DerivedBatchRecord, ProposalRecord } from './derivation.ts'
import { rowDataOffsetV3, V3_HEADER_BYTES, V3_ROW_BYTES } from './protocol/batchCodecV3.ts'
import { buildStepWitness } from './protocol/stepWitness.ts'
import { executeBatchV3, leavesFromTraceData } from './protocol/trace.ts'

export const CHALLENGE_KIND = { traceBounds: 1, stepCount: 2, step: 3 } as const
export type ChallengeKind = keyof typeof CHALLENGE_KIND

/** What is wrong with a proposal, as the challenge that proves it. */
export type Verdict =
  | { ok: true }
  | { ok: false; kind: 'traceBounds'; bound: 0 | 1 | 2; reason: string }
  | { ok: false; kind: 'stepCount'; provenSteps: number; reason: string }
  | { ok: false; kind: 'step'; step: number; reason: string }
  /** Cannot judge (yet): the batch is not derived, its proof material is gone, the trace is unreadable. */
  | { ok: undefined; reason: string }

export type ChallengeResult = {
  proposalIndex: bigint
  kind: ChallengeKind
  /** kind 1: the bound; kind 2: the proven step count; kind 3: the step. */
  step: number
  won: boolean
  l1TxHash: Hex
  gasUsed: bigint
  /** Gas of the commitment sent before the challenge (`Rollup.commitChallenge`). */
  commitGasUsed: bigint
  /** What the Rollup owes the challenger (its bond + half the proposer's) on a win. */
  payoutWei: bigint
  burntWei: bigint
  reason: string
}

export type ChallengerModules = {
  chain: ChainConfig
  publicClient: L1PublicClient
  /** The challenger's own L1 account. */
  txManager: L1TxSender
  contracts: RollupContracts
  /** A derivation that keeps proof material (`proofMaterialBatches > 0`). */
  derivation: Derivation
  logger: Logger
  beaconUrl?: string
}

/** A transaction of a challenge: the function and its arguments, ready to encode. */
export type ChallengeCall = { functionName: string; args: readonly unknown[] }

export class Challenger {
  readonly options: ChallengerOptions
  readonly #m: ChallengerModules
  readonly #log: Logger
  #loop: Poller | undefined
  /**
   * Proposals already judged right or already challenged, keyed by index AND the L1 tx that made them: after an
   * L1 reorg the same index can name another proposal, which must be judged afresh.
   */
  readonly #settled = new Set<string>()
  /** Traces read from L1, by the same key. */
  readonly #traces = new Map<string, Hex[] | { unreadable: string }>()
  readonly results: ChallengeResult[] = []

  constructor(options: Partial<ChallengerOptions>, modules: ChallengerModules) {
    this.options = validateChallengerOptions({ ...defaultChallengerOptions, ...options })
    this.#m = modules
    this.#log = modules.logger.child({ component: 'challenger' })
  }

  /** The L1 account that challenges (and is paid). */
  get address(): Address {
    return this.#m.txManager.address
  }

  async start(): Promise<void> {
    this.#loop = new Poller(
      { name: 'challenger', intervalMs: this.options.intervalMs, runImmediately: false },
      { logger: this.#log, step: async () => void (await this.checkAll()) },
    )
    await this.#loop.start()
  }

  async stop(): Promise<void> {
    await this.#loop?.stop()
  }

  /** Checks every live proposal not judged yet, in order, and challenges the first wrong one. */
  async checkAll(): Promise<ChallengeResult[]> {
    await this.#claimMaturedRewards()
    const done: ChallengeResult[] = []
    for (const p of this.#m.derivation.proposals) {
      if (!p || p.deleted || this.#settled.has(keyOf(p))) continue
      const verdict = await this.evaluate(p)
      if (verdict.ok === undefined) return done // judged in order: wait for this one
      if (verdict.ok) {
        this.#settled.add(keyOf(p))
        this.#log.info(
          { proposalIndex: p.proposalIndex.toString(), batchIndex: p.batchIndex.toString() },
          'proposal checked: its trace and state match L1 data',
        )
        continue
      }
      this.#log.error(
        {
          proposalIndex: p.proposalIndex.toString(),
          batchIndex: p.batchIndex.toString(),
          challenge: verdict.kind,
          reason: verdict.reason,
        },
        'WRONG proposal found: challenging it',
      )
      const result = await this.challenge(p, verdict)
      done.push(result)
      this.#settled.add(keyOf(p))
      return done // later proposals were deleted with it (or are judged next round)
    }
    return done
  }

  /** Judges one proposal against derivation's honest trace. */
  async evaluate(p: ProposalRecord): Promise<Verdict> {
    const d = this.#m.derivation
    const batch = d.batches[Number(p.batchIndex)]
    if (!batch) return { ok: undefined, reason: `batch ${p.batchIndex} not derived yet` }
    const trace = await this.#trace(p)
    if (!Array.isArray(trace)) {
      // A blob trace whose payload does not even hold whole leaves: its length prefix is wrong.
      return { ok: false, kind: 'traceBounds', bound: 0, reason: trace.unreadable }
    }
    const honest = batch.leaves
    const parent = this.#parentCommitment(p)
    if (p.traceIsBlob) {
      if (trace.length !== Number(p.stepCount) + 1)
        return {
          ok: false,
          kind: 'traceBounds',
          bound: 0,
          reason: `trace holds ${trace.length} leaves, the proposal declares ${p.stepCount} steps`,
        }
      if (parent !== undefined && trace[0]?.toLowerCase() !== parent.toLowerCase())
        return {
          ok: false,
          kind: 'traceBounds',
          bound: 1,
          reason: 'the first leaf is not the parent commitment',
        }
      if (trace[trace.length - 1]?.toLowerCase() !== p.commitment.toLowerCase())
        return {
          ok: false,
          kind: 'traceBounds',
          bound: 2,
          reason: 'the last leaf is not the proposal commitment',
        }
    }
    if (Number(p.stepCount) !== batch.rowCount)
      return {
        ok: false,
        kind: 'stepCount',
        provenSteps: batch.rowCount,
        reason: batch.valid
          ? `the batch has ${batch.rowCount} rows, the proposal claims ${p.stepCount} steps`
          : `the batch is invalid (${batch.reason}), so nothing changes, but the proposal claims ${p.stepCount} steps`,
      }
    if (trace[0]?.toLowerCase() !== honest[0]?.toLowerCase()) {
      // The parent is wrong too: it is challenged first (it comes first in order), so this cannot be reached
      // unless the parent is final. A final wrong parent is outside what a challenger can fix.
      return {
        ok: undefined,
        reason: 'the trace starts from a state derivation never reached (wrong parent)',
      }
    }
    for (let s = 1; s < honest.length; s++) {
      if (trace[s]?.toLowerCase() !== honest[s]?.toLowerCase())
        return {
          ok: false,
          kind: 'step',
          step: s,
          reason: `leaf ${s} (after row ${s - 1}) differs from derivation`,
        }
    }
    return { ok: true }
  }

  /** Builds the challenge transaction for a verdict. Exported for tests (e.g. a deliberately wrong challenge). */
  async buildChallenge(p: ProposalRecord, verdict: Exclude<Verdict, { ok: true } | { ok: undefined }>) {
    const d = this.#m.derivation
    const batch = d.batches[Number(p.batchIndex)] as DerivedBatchRecord
    const material = await d.loadProofMaterial(p.batchIndex)
    if (!material)
      throw new L2kitError('PROOF_MATERIAL_MISSING', `no proof material kept for batch ${p.batchIndex}`, {
        kind: 'temporary',
      })
    const traceSource = await this.#traceSource(p)
    if (verdict.kind === 'traceBounds') {
      const proof =
        verdict.bound === 0
          ? dataLengthOf(traceSource)
          : dataRangeProof(traceSource, verdict.bound === 1 ? 0 : 32 * Number(p.stepCount), 32)
      return { functionName: 'challengeTraceBounds', args: [p.proposalIndex, verdict.bound, proof] } as const
    }
    const preHeader = material.preState.stateHeader(material.preBlockNumber)
    if (verdict.kind === 'stepCount') {
      const src = material.committed
      const headerProof = src.isBlob ? payloadProof(src, 0, 31) : dataRangeProof(src, 0, V3_HEADER_BYTES)
      const rows = headerRowCount(material.data)
      const lastRow =
        src.isBlob &&
        rows !== undefined &&
        rows > 0 &&
        material.data[0] === 3 &&
        material.data.length >= rowDataOffsetV3(rows)
          ? rangeProofArgs(openingsForRange(src.blobs, rowDataOffsetV3(rows - 1) + 4, V3_ROW_BYTES))
          : { commitments: '0x' as Hex, values: [] as Hex[], proofs: '0x' as Hex }
      return {
        functionName: 'challengeStepCount',
        args: [p.proposalIndex, preHeader, headerProof, lastRow],
      } as const
    }
    // One step: replay the batch on a copy of the pre-state up to the row, then prove that row.
    const s = verdict.step
    const state = material.preState.clone()
    const prefix = executeBatchV3(state, material.data, {
      chainId: this.#m.chain.chainId,
      blockNumber: material.preBlockNumber,
      batchDepositCountAfter: batch.depositCountAfter,
      deposits: (i) => d.deposits[Number(i)],
      stopBeforeRow: s - 1,
      forced: batch.forced,
    })
    const row = material.data.subarray(rowDataOffsetV3(s - 1), rowDataOffsetV3(s))
    const w = buildStepWitness(state, prefix.blockNumber, row, {
      chainId: this.#m.chain.chainId,
      baseFee: this.#m.chain.baseFee,
      batchDepositCountAfter: batch.depositCountAfter,
      deposits: (i) => d.deposits[Number(i)],
    })
    const pre = state.stateHeader(prefix.blockNumber)
    return {
      functionName: 'challengeStep',
      args: [
        p.proposalIndex,
        BigInt(s),
        pre,
        dataRangeProof(traceSource, 32 * (s - 1), 64),
        dataRangeProof(material.committed, rowDataOffsetV3(s - 1), V3_ROW_BYTES),
        w.encoded,
      ],
    } as const
  }

  /** Sends the challenge for `verdict` with the challenge bond and reports how it settled. */
  async challenge(
    p: ProposalRecord,
    verdict: Exclude<Verdict, { ok: true } | { ok: undefined }>,
    options: { simulate?: boolean } = {},
  ): Promise<ChallengeResult> {
    const { rollup } = this.#m.contracts
    const client = this.#m.publicClient
    const call = await this.buildChallenge(p, verdict)
    const bond = await client.readContract({ address: rollup, abi: rollupAbi, functionName: 'challengeBond' })
    const data = encodeFunctionData({
      abi: rollupAbi,
      functionName: call.functionName,
      args: call.args,
    } as never)
    const commitment = challengeCommitment(this.#m.txManager.address, data)
    if (options.simulate !== false) {
      // A challenge whose evidence does not check reverts with the Rollup's custom error: see it before paying.
      // The commitment is not on L1 yet: the simulation assumes it (state override of its storage slot).
      const sim = await client.call({
        account: this.#m.txManager.address,
        to: rollup,
        data,
        value: bond,
        stateOverride: [
          {
            address: rollup,
            stateDiff: [{ slot: challengeCommittedAtSlot(commitment), value: numberToHex(1n, { size: 32 }) }],
          },
        ],
      })
      const won = sim.data !== undefined && BigInt(sim.data) === 1n
      if (!won)
        throw new L2kitError(
          'CHALLENGE_WOULD_LOSE',
          `the ${verdict.kind} challenge of proposal ${p.proposalIndex} would lose`,
          {
            kind: 'critical',
          },
        )
    }
    // Commit first and reveal in a later block: a copy of our challenge seen in the mempool cannot win (the
    // Rollup pays only a sender that committed to the exact calldata in an earlier block).
    const committed = await this.#m.txManager.send({
      to: rollup,
      data: encodeFunctionData({ abi: rollupAbi, functionName: 'commitChallenge', args: [commitment] }),
      abi: rollupAbi,
      label: 'challenge commitment',
    })
    await waitForLaterBlock(client, committed.receipt.blockNumber)
    let result: Awaited<ReturnType<L1TxSender['send']>>
    try {
      result = await this.#m.txManager.send({
        to: rollup,
        value: bond,
        data,
        abi: rollupAbi,
        label: 'challenge',
      })
    } catch (err) {
      // Someone else's copy of our challenge landed first: the Rollup holds the reward for REWARD_DELAY_BLOCKS,
      // and our older commitment to the same evidence takes it over.
      if (
        isL2kitError(err) &&
        /ProposalAlreadyDeleted/.test(`${err.message} ${JSON.stringify(err.details ?? {})}`)
      )
        await this.#contestReward(p.proposalIndex)
      throw err
    }
    const step =
      verdict.kind === 'traceBounds'
        ? verdict.bound
        : verdict.kind === 'stepCount'
          ? verdict.provenSteps
          : verdict.step
    let outcome: ChallengeResult = {
      proposalIndex: p.proposalIndex,
      kind: verdict.kind,
      step,
      won: false,
      l1TxHash: result.txHash,
      gasUsed: result.gasUsed,
      commitGasUsed: committed.gasUsed,
      payoutWei: 0n,
      burntWei: 0n,
      reason: verdict.reason,
    }
    for (const l of result.receipt.logs) {
      try {
        const e = decodeEventLog({ abi: rollupAbi, data: l.data, topics: l.topics })
        if (e.eventName === 'ChallengeWon')
          outcome = { ...outcome, won: true, payoutWei: e.args.challengerPayout, burntWei: e.args.burnt }
      } catch {
        // another contract's log
      }
    }
    this.results.push(outcome)
    const fields = {
      proposalIndex: p.proposalIndex.toString(),
      challenge: verdict.kind,
      step,
      gasUsed: result.gasUsed.toString(),
      l1Tx: result.txHash,
    }
    if (outcome.won)
      this.#log.warn(
        { ...fields, payoutWei: outcome.payoutWei.toString(), burntWei: outcome.burntWei.toString() },
        'challenge WON: the proposal and every proposal built on it are deleted, the proposer bond is slashed',
      )
    else
      this.#log.error(
        fields,
        'challenge LOST: the evidence showed the proposal right; our bond went to the proposer',
      )
    if (outcome.won) {
      await this.#withdrawPayout() // our challenge bond, back at once
      this.#heldRewards.add(p.proposalIndex) // the reward after REWARD_DELAY_BLOCKS
    }
    return outcome
  }

  /** Rewards of our winning challenges the Rollup still holds (claimed once their hold is over). */
  readonly #heldRewards = new Set<bigint>()

  async #contestReward(proposalIndex: bigint): Promise<void> {
    try {
      await this.#m.txManager.send({
        to: this.#m.contracts.rollup,
        data: encodeFunctionData({
          abi: rollupAbi,
          functionName: 'contestChallengeReward',
          args: [proposalIndex],
        }),
        abi: rollupAbi,
        label: 'contestChallengeReward',
      })
      this.#heldRewards.add(proposalIndex)
      this.#log.warn(
        { proposalIndex: proposalIndex.toString() },
        'a copy of our challenge landed first: took its reward over with our older commitment',
      )
    } catch (err) {
      this.#log.warn(
        { proposalIndex: proposalIndex.toString(), err: String(err) },
        'could not contest the reward',
      )
    }
  }

  /** Credits and withdraws the rewards whose hold is over (`claimChallengeReward`, then `withdrawPayout`). */
  async #claimMaturedRewards(): Promise<void> {
    if (this.#heldRewards.size === 0) return
    const client = this.#m.publicClient
    const { rollup } = this.#m.contracts
    const head = await client.getBlockNumber({ cacheTime: 0 })
    let claimed = false
    for (const proposalIndex of [...this.#heldRewards]) {
      const r = await client.readContract({
        address: rollup,
        abi: rollupAbi,
        functionName: 'pendingReward',
        args: [proposalIndex],
      })
      if (r.amount === 0n || r.holder.toLowerCase() !== this.#m.txManager.address.toLowerCase()) {
        this.#heldRewards.delete(proposalIndex) // paid, or taken over by an older commitment
        continue
      }
      if (head < r.claimableAt) continue
      await this.#m.txManager.send({
        to: rollup,
        data: encodeFunctionData({
          abi: rollupAbi,
          functionName: 'claimChallengeReward',
          args: [proposalIndex],
        }),
        abi: rollupAbi,
        label: 'claimChallengeReward',
      })
      this.#heldRewards.delete(proposalIndex)
      claimed = true
    }
    if (claimed) await this.#withdrawPayout()
  }

  async #withdrawPayout(): Promise<void> {
    const { rollup } = this.#m.contracts
    try {
      await this.#m.txManager.send({
        to: rollup,
        data: encodeFunctionData({ abi: rollupAbi, functionName: 'withdrawPayout' }),
        abi: rollupAbi,
        label: 'withdrawPayout',
      })
    } catch (err) {
      this.#log.warn(
        { err: String(err) },
        'could not withdraw the challenge payout yet (retried after the next win)',
      )
    }
  }

  #parentCommitment(p: ProposalRecord): Hex | undefined {
    const proposals = this.#m.derivation.proposals
    for (let i = Number(p.proposalIndex) - 1; i >= 0; i--) {
      const q = proposals[i]
      if (q && !q.deleted && q.batchIndex < p.batchIndex) return q.commitment
    }
    // No live parent: the genesis commitment, which is the first batch's honest first leaf.
    return this.#m.derivation.batches[0]?.leaves[0]
  }

  /** The trace as committed on L1 (blob transaction's blobs, or the proposing transaction's calldata). */
  #traceSource(p: ProposalRecord): Promise<CommittedData> {
    return readCommittedData(
      this.#m.publicClient,
      p.l1TxHash,
      p.traceIsBlob
        ? { kind: 'blobs', versionedHashes: p.traceBlobHashes, beaconUrl: this.#m.beaconUrl }
        : { kind: 'calldata', abi: rollupAbi, functionName: 'proposeCalldata', argIndex: 3 },
    )
  }

  async #trace(p: ProposalRecord): Promise<Hex[] | { unreadable: string }> {
    const cached = this.#traces.get(keyOf(p))
    if (cached) return cached
    const src = await this.#traceSource(p)
    let trace: Hex[] | { unreadable: string }
    if (src.isBlob) {
      const payload = blobsToPayload(src.blobs)
      const length = new DataView(payload.buffer, payload.byteOffset).getUint32(0, false)
      try {
        if (4 + length > payload.length) throw new Error(`length prefix ${length} exceeds the blobs`)
        trace = leavesFromTraceData(payload.subarray(4, 4 + length))
      } catch (err) {
        trace = { unreadable: isL2kitError(err) ? err.message : String(err) }
      }
    } else {
      trace = leavesFromTraceData(src.data)
    }
    this.#traces.set(keyOf(p), trace)
    return trace
  }
}

function keyOf(p: ProposalRecord): string {
  return `${p.proposalIndex}:${p.l1TxHash.toLowerCase()}`
}

/** The committed header's row count (undefined if the data is too short to have a header). */
function headerRowCount(data: Uint8Array): number | undefined {
  if (data.length < V3_HEADER_BYTES) return undefined
  return new DataView(data.buffer, data.byteOffset).getUint32(9, false)
}

/** Openings of payload bytes `[offset, offset + length)` (blob sources only), as a DataProof. */
function payloadProof(
  src: Extract<CommittedData, { isBlob: true }>,
  offset: number,
  length: number,
): DataProofArgs {
  return {
    versionedHashes: [...src.versionedHashes],
    range: rangeProofArgs(openingsForRange(src.blobs, offset, length)),
    data: '0x',
  }
}

function dataLengthOf(src: CommittedData): DataProofArgs {
  if (!src.isBlob) return dataRangeProof(src, 0, 1)
  return payloadProof(src, 0, 4)
}

export type { StateHeader }

/** Storage slot of `Rollup.challengeCommittedAt` (`forge inspect Rollup storageLayout`; checked by an e2e test). */
export const CHALLENGE_COMMITTED_AT_SLOT = 6n

/** `keccak256(abi.encode(challenger, keccak256(calldata)))`: what `Rollup.commitChallenge` takes. */
export function challengeCommitment(challenger: Address, calldata: Hex): Hex {
  return keccak256(
    encodeAbiParameters([{ type: 'address' }, { type: 'bytes32' }], [challenger, keccak256(calldata)]),
  )
}

/** Storage slot of `challengeCommittedAt[commitment]`. */
export function challengeCommittedAtSlot(commitment: Hex): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: 'bytes32' }, { type: 'uint256' }],
      [commitment, CHALLENGE_COMMITTED_AT_SLOT],
    ),
  )
}

/** Resolves once L1 has a block after `blockNumber` (anvil mines on demand: ask it to). */
async function waitForLaterBlock(client: L1PublicClient, blockNumber: bigint): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if ((await client.getBlockNumber({ cacheTime: 0 })) > blockNumber) return
    if (i === 0)
      await client.request({ method: 'evm_mine' as never, params: [] as never }).catch(() => undefined)
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new L2kitError('TIMEOUT', `no L1 block after ${blockNumber} within 60 s`, { kind: 'temporary' })
}
