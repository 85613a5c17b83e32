/**
 * The proposer: posts, with a bond, the state root that its own derivation pipeline computed from L1 data for
 * the newest derived batch. It proposes only what it derived, never what the sequencer says, so an honest
 * proposer is honest even if the sequencer is not.
 */
import { decodeEventLog, encodeFunctionData } from 'viem'
import { isL2kitError } from '../core/errors.ts'
import { rollupAbi } from '../generated/contracts.ts'
import type { L1PublicClient } from '../l1/clients.ts'
import type { TxManager } from '../l1/txManager.ts'
import type { Logger } from '../node/logger.ts'
import type { ProposerOptions, RollupContracts } from './config.ts'
import { defaultProposerOptions } from './config.ts'
import type { Derivation } from './derivation.ts'

export type ProposalPosted = {
  proposalIndex: bigint
  batchIndex: bigint
  stateRoot: string
  l2BlockNumber: bigint
  l1TxHash: string
  l1GasUsed: bigint
  l1FeeWei: bigint
}

export class Proposer {
  readonly options: ProposerOptions
  readonly #m: { publicClient: L1PublicClient; txManager: TxManager; contracts: RollupContracts; derivation: Derivation; logger: Logger }
  readonly #log: Logger
  #timer: NodeJS.Timeout | undefined
  #running: Promise<unknown> | undefined
  #stopped = true
  readonly posted: ProposalPosted[] = []

  constructor(
    options: Partial<ProposerOptions>,
    modules: { publicClient: L1PublicClient; txManager: TxManager; contracts: RollupContracts; derivation: Derivation; logger: Logger },
  ) {
    this.options = { ...defaultProposerOptions, ...options }
    this.#m = modules
    this.#log = modules.logger.child({ component: 'proposer' })
  }

  async start(): Promise<void> {
    this.#stopped = false
    this.#timer = setInterval(() => {
      if (this.#running || this.#stopped) return
      this.#running = this.proposeLatest()
        .catch((err: unknown) =>
          this.#log.warn({ err: isL2kitError(err) ? `${err.code}: ${err.message}` : String(err) }, 'proposal failed; will retry'),
        )
        .finally(() => {
          this.#running = undefined
        })
    }, this.options.intervalMs)
  }

  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#timer) clearInterval(this.#timer)
    await this.#running
  }

  /** Proposes the root after the newest derived batch if no live proposal covers it yet. */
  async proposeLatest(): Promise<ProposalPosted | undefined> {
    const latest = this.#m.derivation.latestBatch()
    if (!latest) return undefined
    const lastProposed = this.#m.derivation.latestLiveProposal()
    if (lastProposed && lastProposed.batchIndex >= latest.batchIndex) return undefined
    // Our own proposal may be mined before derivation has read its event back from L1.
    const mine = this.posted[this.posted.length - 1]
    if (mine && mine.batchIndex >= latest.batchIndex && !this.#m.derivation.proposals[Number(mine.proposalIndex)]?.deleted) return undefined
    const { rollup } = this.#m.contracts
    const bond = await this.#m.publicClient.readContract({ address: rollup, abi: rollupAbi, functionName: 'proposalBond' })
    const result = await this.#m.txManager.send({
      to: rollup,
      value: bond,
      data: encodeFunctionData({ abi: rollupAbi, functionName: 'propose', args: [latest.batchIndex, latest.stateRoot, latest.l2BlockNumber] }),
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
            { proposalIndex: p.proposalIndex.toString(), batchIndex: p.batchIndex.toString(), l2Block: p.l2BlockNumber.toString(), stateRoot: p.stateRoot, bondWei: bond.toString() },
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
}
