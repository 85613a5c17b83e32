/**
 * The proposer: for every batch, in order, posts with a bond the state its own derivation computed from L1
 * data, with the batch's trace (the state commitment after every row: docs/optimistic.md) as a blob (or as
 * calldata when the batch itself is calldata or blobs are unavailable). It proposes only what it derived, never
 * what the sequencer says, so an honest proposer is honest even if the sequencer is not. It never builds on a
 * live parent whose commitment differs from its own: it waits for the challenger to delete that one.
 *
 * Faults (`fault`): for tests and `l2kit demo --attack`, the proposer can post ONE wrong trace of a chosen kind
 * (src/optimistic/faults.ts) and then goes back to honest proposals once the bad one is deleted.
 *
 * L1 reorgs: derivation can lag the canonical chain either way, so before proposing it asks L1 itself which
 * batch comes next and whether the block that carried it is still canonical. A proposal a reorg dropped is made
 * again once derivation has re-derived the batch on the new chain.
 */
import { concatHex, decodeEventLog, encodeFunctionData, keccak256 } from 'viem'
import type { StateHeader } from '../core/commitment.ts'
import type { Address, Hex } from '../core/types.ts'
import { rollupAbi } from '../generated/contracts.ts'
import { blobsToSidecars, dataToBlobs } from '../l1/blobs.ts'
import type { L1PublicClient } from '../l1/clients.ts'
import type { L1TxSender } from '../l1/reorgAwareSender.ts'
import { Poller } from '../node/lifecycle.ts'
import type { Logger } from '../node/logger.ts'
import type { ProposerOptions, RollupContracts } from './config.ts'
import { defaultProposerOptions, validateProposerOptions } from './config.ts'
import type { Derivation, DerivedBatchRecord, ProposalRecord } from './derivation.ts'
import { type FaultKind, type FaultyTrace, faultCorruptsBatch, faultyTrace } from './faults.ts'
import { traceBytes } from './protocol/trace.ts'

/** The Rollup's `MAX_CALLDATA_TRACE_BYTES`: longer traces of blob batches go in blobs. */
export const MAX_CALLDATA_TRACE_BYTES = 24 * 1024

export type ProposalPosted = {
  proposalIndex: bigint
  /** The fault this proposal carries (undefined = honest). */
  fault?: FaultKind
  batchIndex: bigint
  stateRoot: string
  l2BlockNumber: bigint
  l1TxHash: string
  l1GasUsed: bigint
  l1FeeWei: bigint
}

export type ProposerModules = {
  publicClient: L1PublicClient
  /** The operator account (a TxManager, or the node's ReorgAwareSender around it). */
  txManager: L1TxSender
  contracts: RollupContracts
  derivation: Derivation
  logger: Logger
  /** A fault-injecting batcher's uncorrupted data for a batch it corrupted, by the batch's data hash. */
  originalBatchData?: (dataHash: Hex) => Uint8Array | undefined
}

/** A fault to inject once: its kind and who profits. */
export type ProposerFault = { kind: FaultKind; attacker: Address }

export class Proposer {
  readonly options: ProposerOptions
  readonly #m: ProposerModules
  readonly #log: Logger
  #loop: Poller | undefined
  /** Proposals this proposer made that are on the canonical chain as far as it knows (pruned after reorgs). */
  readonly posted: ProposalPosted[] = []
  /** Set by `onL1Reorg`: `posted` is checked against L1 before the next proposal. */
  #reorged = false
  /** The fault still to inject (cleared once a faulty proposal is posted). */
  #fault: ProposerFault | undefined
  /** Faulty proposals made on purpose, with the forged state each commits to. */
  readonly faulty: { proposalIndex: bigint; batchIndex: bigint; kind: FaultKind; forged: FaultyTrace }[] = []
  /** Parent commitment we last refused to build on (logged once). */
  #refusedParent: Hex | undefined

  constructor(options: Partial<ProposerOptions>, modules: ProposerModules) {
    this.options = validateProposerOptions({ ...defaultProposerOptions, ...options })
    this.#m = modules
    this.#log = modules.logger.child({ component: 'proposer' })
    this.#fault = options.fault
  }

  /** Arms a fault: the next batch that can carry it gets a wrong proposal of that kind. */
  injectFault(fault: ProposerFault): void {
    this.#fault = fault
  }

  /** The fault still waiting for a batch that can carry it. */
  get pendingFault(): ProposerFault | undefined {
    return this.#fault
  }

  async start(): Promise<void> {
    // Failures are logged and retried with backoff by the poller; only a critical error stops the loop.
    this.#loop = new Poller(
      { name: 'proposer', intervalMs: this.options.intervalMs, runImmediately: false },
      {
        logger: this.#log,
        step: async () => {
          await this.proposeNext()
        },
      },
    )
    await this.#loop.start()
  }

  async stop(): Promise<void> {
    await this.#loop?.stop()
  }

  /**
   * Whether the live parent can be built on without risking our bond: a proposal built on one that a challenge
   * later deletes forfeits its bond. A right end state is not enough (a parent with the right root but a wrong
   * trace or step count can still be slashed, and with it everything built on it): the parent must be final,
   * or its step count and whole trace must be exactly what derivation computed (the trace hash of our own
   * encoding of the derived leaves). Otherwise wait: the challenger deletes a wrong parent, a right one finalizes.
   */
  /**
   * Whether a new proposal on the live parent cannot be deleted with it: every live ancestor still inside the
   * challenge window (the parent and the ones before it, up to the first final one) must have the step count and
   * whole trace we derive. A slashed proposal takes every later one with it, so one wrong ancestor — even below a
   * right parent — would burn our bond. Finality is judged by L1 time (the latest L1 block), which the Rollup uses.
   */
  async #parentIsSafeToBuildOn(nextBatch: bigint, parentCommitment: Hex): Promise<boolean> {
    if (nextBatch === 0n) return true // genesis
    const parent = this.#m.derivation.latestLiveProposal()
    if (!parent || parent.batchIndex !== nextBatch - 1n) return false
    if (parent.commitment.toLowerCase() !== parentCommitment.toLowerCase()) return false
    if (this.#challengeWindow === undefined)
      this.#challengeWindow = await this.#m.publicClient.readContract({
        address: this.#m.contracts.rollup,
        abi: rollupAbi,
        functionName: 'challengeWindow',
      })
    const window = Number(this.#challengeWindow)
    const l1Now = Number((await this.#m.publicClient.getBlock({ blockTag: 'latest' })).timestamp)
    const proposals = this.#m.derivation.proposals
    for (let i = Number(parent.proposalIndex); i >= 0; i--) {
      const p = proposals[i]
      if (!p || p.deleted) continue
      if (p.proposedAt + window <= l1Now) return true // final: no challenge can delete it (or what is above it)
      if (!this.#traceMatches(p)) return false
    }
    return true
  }

  /** The live proposal's step count and whole trace equal what derivation computed for its batch (cached). */
  #traceMatches(p: ProposalRecord): boolean {
    // Keyed by index and L1 tx: after an L1 reorg the same index can name another proposal.
    const key = `${p.proposalIndex}:${p.l1TxHash}`
    const verified = this.#verifiedParents.get(key)
    if (verified !== undefined) return verified
    const batch = this.#m.derivation.batches[Number(p.batchIndex)]
    // Not judged yet, or judged wrong: not cached (after an L1 reorg derivation judges it again).
    if (!batch || p.agrees !== true || p.stepCount !== BigInt(batch.rowCount)) return false
    const bytes = traceBytes(batch.leaves)
    const expected = p.traceIsBlob
      ? keccak256(concatHex(blobsToSidecars(dataToBlobs(bytes)).versionedHashes))
      : keccak256(bytes)
    const ok = expected.toLowerCase() === p.traceHash.toLowerCase()
    if (!ok)
      this.#log.error(
        { proposalIndex: p.proposalIndex.toString(), batchIndex: p.batchIndex.toString() },
        'a live proposal below the next one has the right state but a trace that differs from ours: not building on it until it is final or deleted',
      )
    this.#verifiedParents.set(key, ok)
    if (this.#verifiedParents.size > 256)
      this.#verifiedParents.delete(this.#verifiedParents.keys().next().value as string)
    return ok
  }

  #challengeWindow: bigint | undefined
  /** Parents whose trace was compared with ours (by proposal index), so blob traces are committed to once. */
  readonly #verifiedParents = new Map<string, boolean>()

  /** The node's derivation saw an L1 reorg: re-check our proposals against L1 before proposing again. */
  onL1Reorg(): void {
    this.#reorged = true
  }

  /** Proposes the next batch L1 expects (the live parent's batch + 1) once derivation has derived it. */
  async proposeNext(): Promise<ProposalPosted | undefined> {
    if (this.#reorged) await this.#prunePosted()
    const client = this.#m.publicClient
    const { rollup } = this.#m.contracts
    const [nextBatch, parentCommitment] = await client.readContract({
      address: rollup,
      abi: rollupAbi,
      functionName: 'nextProposalParent',
    })
    const batch = this.#m.derivation.batches[Number(nextBatch)]
    if (!batch) return undefined
    if (!(await this.#canonicalAndUncovered(batch))) return undefined
    if (batch.leaves[0]?.toLowerCase() !== parentCommitment.toLowerCase()) {
      if (this.#refusedParent !== parentCommitment) {
        this.#refusedParent = parentCommitment
        this.#log.error(
          { batchIndex: nextBatch.toString(), parentCommitment, derived: batch.leaves[0] },
          'the live proposal before this batch is WRONG: not building on it (a challenge will delete it)',
        )
      }
      return undefined
    }
    if (!(await this.#parentIsSafeToBuildOn(nextBatch, parentCommitment))) return undefined
    let trace: { leaves: Hex[]; end: StateHeader; stepCount: number } = {
      leaves: batch.leaves,
      end: batch.postHeader,
      stepCount: batch.rowCount,
    }
    let fault: FaultKind | undefined
    let forgedTrace: FaultyTrace | undefined
    if (this.#fault) {
      const forged = this.#forge(batch, this.#fault)
      if (forged) {
        trace = forged
        forgedTrace = forged
        fault = this.#fault.kind
        this.#log.warn(
          { batchIndex: batch.batchIndex.toString(), fault, description: forged.description },
          'FAULT INJECTION: proposing a wrong state on purpose',
        )
      }
    }
    const earlier = this.posted.find((q) => q.batchIndex === batch.batchIndex)
    if (earlier) {
      const deleted = this.#m.derivation.proposals[Number(earlier.proposalIndex)]?.deleted === true
      this.#log.warn(
        { proposalIndex: earlier.proposalIndex.toString(), batchIndex: batch.batchIndex.toString() },
        deleted
          ? 'our earlier proposal of this batch was deleted by a challenge: proposing it again'
          : 'proposal dropped by an L1 reorg: proposing it again',
      )
      this.posted.splice(this.posted.indexOf(earlier), 1)
    }
    const bond = await client.readContract({ address: rollup, abi: rollupAbi, functionName: 'proposalBond' })
    const bytes = traceBytes(trace.leaves)
    // The Rollup takes calldata traces up to MAX_CALLDATA_TRACE_BYTES (challenge transactions must fit 128 KiB).
    const useBlob =
      batch.isBlob && (this.options.traceMode !== 'calldata' || bytes.length > MAX_CALLDATA_TRACE_BYTES)
    const traceBlobs = useBlob ? dataToBlobs(bytes) : []
    const result = useBlob
      ? await this.#m.txManager.send({
          to: rollup,
          value: bond,
          data: encodeFunctionData({
            abi: rollupAbi,
            functionName: 'propose',
            args: [batch.batchIndex, batch.dataHash, trace.end, BigInt(trace.stepCount), traceBlobs.length],
          }),
          blobs: traceBlobs,
          abi: rollupAbi,
          label: 'propose',
        })
      : await this.#m.txManager.send({
          to: rollup,
          value: bond,
          data: encodeFunctionData({
            abi: rollupAbi,
            functionName: 'proposeCalldata',
            args: [batch.batchIndex, batch.dataHash, trace.end, `0x${Buffer.from(bytes).toString('hex')}`],
          }),
          abi: rollupAbi,
          label: 'propose',
        })
    if (fault) this.#fault = undefined
    for (const l of result.receipt.logs) {
      try {
        const e = decodeEventLog({ abi: rollupAbi, data: l.data, topics: l.topics })
        if (e.eventName === 'StateRootProposed') {
          const p: ProposalPosted = {
            proposalIndex: e.args.proposalIndex,
            ...(fault ? { fault } : {}),
            batchIndex: batch.batchIndex,
            stateRoot: e.args.stateRoot,
            l2BlockNumber: e.args.l2BlockNumber,
            l1TxHash: result.txHash,
            l1GasUsed: result.gasUsed,
            l1FeeWei: result.l1FeeWei,
          }
          this.posted.push(p)
          if (fault && forgedTrace)
            this.faulty.push({
              proposalIndex: p.proposalIndex,
              batchIndex: batch.batchIndex,
              kind: fault,
              forged: forgedTrace,
            })
          this.#log.info(
            {
              proposalIndex: p.proposalIndex.toString(),
              batchIndex: p.batchIndex.toString(),
              l2Block: p.l2BlockNumber.toString(),
              stateRoot: p.stateRoot,
              steps: trace.stepCount,
              trace: useBlob ? 'blob' : 'calldata',
              bondWei: bond.toString(),
              ...(fault ? { fault } : {}),
            },
            'state root proposed',
          )
          return p
        }
      } catch {
        // not a Rollup event
      }
    }
    return undefined
  }

  /** The faulty trace for `batch`, or undefined when this batch cannot carry the fault. */
  #forge(batch: DerivedBatchRecord, fault: ProposerFault): ReturnType<typeof faultyTrace> {
    const material = this.#m.derivation.proofMaterial(batch.batchIndex)
    if (!material) return undefined
    const data = faultCorruptsBatch(fault.kind) ? this.#m.originalBatchData?.(batch.dataHash) : material.data
    if (!data) return undefined
    return faultyTrace(fault.kind, {
      pre: material.preState,
      preBlockNumber: material.preBlockNumber,
      data,
      chainId: material.preState.chainId,
      batchDepositCountAfter: batch.depositCountAfter,
      deposits: (i) => this.#m.derivation.deposits[Number(i)],
      attacker: fault.attacker,
    })
  }

  /**
   * Asks L1 (at one block) whether `batch` is what derivation says and still needs a proposal: the L1 block that
   * carried it must be canonical (else derivation has not caught up with a reorg yet: it will re-derive), and
   * no live proposal may cover it already (ours may be mined before derivation reads it back).
   */
  async #canonicalAndUncovered(batch: DerivedBatchRecord): Promise<boolean> {
    const client = this.#m.publicClient
    const head = await client.getBlockNumber({ cacheTime: 0 })
    const carrier = await client.getBlock({ blockNumber: batch.l1BlockNumber }).catch(() => undefined)
    if (batch.l1BlockNumber > head || carrier?.hash !== batch.l1BlockHash) {
      this.#log.info(
        { batchIndex: batch.batchIndex.toString(), l1Block: batch.l1BlockNumber.toString() },
        'the derived batch is no longer on the canonical L1 chain: waiting for derivation to follow the reorg',
      )
      return false
    }
    const rollup = this.#m.contracts.rollup
    const [exists, index] = await client.readContract({
      address: rollup,
      abi: rollupAbi,
      functionName: 'lastLiveProposal',
      blockNumber: head,
    })
    if (!exists) return true
    const live = await client.readContract({
      address: rollup,
      abi: rollupAbi,
      functionName: 'getProposal',
      args: [index],
      blockNumber: head,
    })
    return BigInt(live.batchIndex) < batch.batchIndex
  }

  /** Drops from `posted` the proposals the canonical chain no longer holds (an L1 reorg removed them). */
  async #prunePosted(): Promise<void> {
    const client = this.#m.publicClient
    const rollup = this.#m.contracts.rollup
    const count = await client.readContract({
      address: rollup,
      abi: rollupAbi,
      functionName: 'proposalCount',
    })
    for (let i = this.posted.length - 1; i >= 0; i--) {
      const p = this.posted[i] as ProposalPosted
      let onChain: { stateRoot: string; batchIndex: bigint; proposer: string } | undefined
      if (p.proposalIndex < count) {
        const r = await client.readContract({
          address: rollup,
          abi: rollupAbi,
          functionName: 'getProposal',
          args: [p.proposalIndex],
        })
        onChain = { stateRoot: r.stateRoot, batchIndex: BigInt(r.batchIndex), proposer: r.proposer }
      }
      const same =
        onChain !== undefined &&
        onChain.stateRoot.toLowerCase() === p.stateRoot.toLowerCase() &&
        onChain.batchIndex === p.batchIndex &&
        onChain.proposer.toLowerCase() === this.#m.txManager.address.toLowerCase()
      if (same) break
      this.posted.splice(i, 1)
      this.#log.warn(
        { proposalIndex: p.proposalIndex.toString(), batchIndex: p.batchIndex.toString(), l1Tx: p.l1TxHash },
        'proposal dropped by an L1 reorg: it will be made again once its batch is re-derived',
      )
    }
    this.#reorged = false
  }
}
