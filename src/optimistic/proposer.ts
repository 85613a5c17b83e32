/**
 * The proposer: posts, with a bond, the state root that its own derivation pipeline computed from L1 data for
 * the newest derived batch. It proposes only what it derived, never what the sequencer says, so an honest
 * proposer is honest even if the sequencer is not.
 *
 * L1 reorgs: derivation can lag the canonical chain either way (our proposal mined but not read back yet, or a
 * reorg not noticed yet), so before proposing it asks L1 itself: is the block that carried the derived batch
 * still canonical, and does a live proposal already cover that batch? A proposal a reorg dropped is simply made
 * again once derivation has re-derived the batch on the new chain.
 */
import { decodeEventLog, encodeFunctionData } from 'viem'
import { rollupAbi } from '../generated/contracts.ts'
import type { L1PublicClient } from '../l1/clients.ts'
import { Poller } from '../node/lifecycle.ts'
import type { Logger } from '../node/logger.ts'
import type { ProposerOptions, RollupContracts } from './config.ts'
import { defaultProposerOptions } from './config.ts'
import type { Derivation, DerivedBatchRecord } from './derivation.ts'
import type { L1TxSender } from './reorgAwareSender.ts'

export type ProposalPosted = {
  proposalIndex: bigint
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
}

export class Proposer {
  readonly options: ProposerOptions
  readonly #m: ProposerModules
  readonly #log: Logger
  #loop: Poller | undefined
  /** Proposals this proposer made that are on the canonical chain as far as it knows (pruned after reorgs). */
  readonly posted: ProposalPosted[] = []
  /** Set by `onL1Reorg`: `posted` is checked against L1 before the next proposal. */
  #reorged = false

  constructor(options: Partial<ProposerOptions>, modules: ProposerModules) {
    this.options = { ...defaultProposerOptions, ...options }
    this.#m = modules
    this.#log = modules.logger.child({ component: 'proposer' })
  }

  async start(): Promise<void> {
    // Failures are logged and retried with backoff by the poller; only a critical error stops the loop.
    this.#loop = new Poller(
      { name: 'proposer', intervalMs: this.options.intervalMs, runImmediately: false },
      {
        logger: this.#log,
        step: async () => {
          await this.proposeLatest()
        },
      },
    )
    await this.#loop.start()
  }

  async stop(): Promise<void> {
    await this.#loop?.stop()
  }

  /** The node's derivation saw an L1 reorg: re-check our proposals against L1 before proposing again. */
  onL1Reorg(): void {
    this.#reorged = true
  }

  /** Proposes the root after the newest derived batch if no live proposal on the canonical chain covers it. */
  async proposeLatest(): Promise<ProposalPosted | undefined> {
    if (this.#reorged) await this.#prunePosted()
    const latest = this.#m.derivation.latestBatch()
    if (!latest) return undefined
    const lastProposed = this.#m.derivation.latestLiveProposal()
    if (lastProposed && lastProposed.batchIndex >= latest.batchIndex) return undefined
    if (!(await this.#canonicalAndUncovered(latest))) return undefined
    const { rollup } = this.#m.contracts
    const bond = await this.#m.publicClient.readContract({
      address: rollup,
      abi: rollupAbi,
      functionName: 'proposalBond',
    })
    const result = await this.#m.txManager.send({
      to: rollup,
      value: bond,
      data: encodeFunctionData({
        abi: rollupAbi,
        functionName: 'propose',
        args: [latest.batchIndex, latest.stateRoot, latest.l2BlockNumber],
      }),
      abi: rollupAbi,
      label: 'propose',
    })
    for (const l of result.receipt.logs) {
      try {
        const e = decodeEventLog({ abi: rollupAbi, data: l.data, topics: l.topics })
        if (e.eventName === 'StateRootProposed') {
          const p: ProposalPosted = {
            proposalIndex: e.args.proposalIndex,
            batchIndex: latest.batchIndex,
            stateRoot: latest.stateRoot,
            l2BlockNumber: latest.l2BlockNumber,
            l1TxHash: result.txHash,
            l1GasUsed: result.gasUsed,
            l1FeeWei: result.l1FeeWei,
          }
          this.posted.push(p)
          this.#log.info(
            {
              proposalIndex: p.proposalIndex.toString(),
              batchIndex: p.batchIndex.toString(),
              l2Block: p.l2BlockNumber.toString(),
              stateRoot: p.stateRoot,
              bondWei: bond.toString(),
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
