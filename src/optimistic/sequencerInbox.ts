/**
 * What the sequencer takes from L1, as derivation delivers it: bridged tokens, deposits (stored for inclusion once
 * `depositConfirmations` L1 blocks deep), transactions queued for force inclusion (included like RPC submissions,
 * well inside the inclusion window) and forced batches (the sequencer re-syncs onto them). It also reconciles the
 * stored deposits after an L1 reorg, and after a resume from a saved derivation checkpoint re-queues the deposits
 * still waiting for confirmations.
 */
import { isL2kitError } from '../core/errors.ts'
import { encodeRawTransaction } from '../core/l2tx.ts'
import type { Address, Deposit, TokenInfo } from '../core/types.ts'
import { portalAbi } from '../generated/contracts.ts'
import type { L1PublicClient } from '../l1/clients.ts'
import type { Service } from '../node/lifecycle.ts'
import type { Logger } from '../node/logger.ts'
import type { Metrics } from '../node/metrics.ts'
import type { ChainStore } from './chainStore.ts'
import type { Derivation, DerivationReorg, ForcedBatchEffects, ForcedTx, L1Position } from './derivation.ts'
import { parseRowV3 } from './protocol/batchCodecV3.ts'
import type { Sequencer } from './sequencer.ts'

export type SequencerInboxOptions = {
  chainId: bigint
  portal: Address
  /** L1 blocks a deposit must be buried under before the sequencer includes it. */
  depositConfirmations: number
  /** Tests and demos only: a sequencer that never includes L1 deposits. */
  withholdDeposits?: boolean | undefined
}

export type SequencerInboxModules = {
  sequencer: Sequencer
  store: ChainStore
  /** The node's derivation (read when called: it is created after the inbox). */
  derivation: () => Derivation
  publicClient: () => L1PublicClient
  logger: Logger
  metrics: Metrics
}

export class SequencerInbox implements Service {
  readonly name = 'sequencer inbox'
  readonly #o: SequencerInboxOptions
  readonly #m: SequencerInboxModules
  readonly #log: Logger
  readonly #reorgedIncluded: ReturnType<Metrics['counter']>
  /** Deposits seen on L1 but not yet `depositConfirmations` deep, by index. */
  #unconfirmedDeposits: { deposit: Deposit; l1BlockNumber: bigint }[] = []

  constructor(options: SequencerInboxOptions, modules: SequencerInboxModules) {
    this.#o = options
    this.#m = modules
    this.#log = modules.logger
    this.#reorgedIncluded = modules.metrics.counter(
      'l1_reorged_included_deposits_total',
      'deposits the sequencer had included that an L1 reorg removed or changed (the sequencer chain diverged)',
    )
  }

  async onToken(t: TokenInfo): Promise<void> {
    const known = this.#m.store.listTokens().find((x) => x.index === t.index)
    if (known && known.l1Address.toLowerCase() !== t.l1Address.toLowerCase()) {
      this.#log.error(
        { tokenIndex: t.index, registered: known.l1Address, nowOnL1: t.l1Address },
        'an L1 reorg registered a different token at an index the sequencer already uses: its L2 token ' +
          'metadata (and withdrawals of it) now differ from L1',
      )
      return
    }
    await this.#m.store.putToken(t)
    this.#m.sequencer.registerToken(t)
  }

  /** A deposit log from L1: stored for the sequencer now (0 confirmations) or once deep enough. */
  async onDeposit(d: Deposit, l1: L1Position): Promise<void> {
    if (this.#o.withholdDeposits === true) {
      this.#log.warn(
        { depositIndex: d.index.toString() },
        'MALICIOUS MODE: withholding an L1 deposit from L2',
      )
      return
    }
    const stored = this.#m.store.getDeposit(d.index)
    if (stored !== undefined) {
      // Delivered again after a reorg.
      if (sameDeposit(stored, d)) return
      if (d.index < this.#m.sequencer.state.depositCount) {
        this.#reorgedIncluded.inc()
        this.#log.error(
          {
            depositIndex: d.index.toString(),
            included: describeDeposit(stored),
            nowOnL1: describeDeposit(d),
          },
          'an L1 reorg CHANGED a deposit the sequencer already included: the sequencer chain has diverged from L1 ' +
            '(derivation and the proposer follow L1; raise sequencer.depositConfirmations)',
        )
        return
      }
      this.#log.warn(
        { depositIndex: d.index.toString() },
        'an L1 reorg changed a deposit not yet included: storing the new one',
      )
      await this.#m.store.putDeposits([d])
      return
    }
    if (this.#o.depositConfirmations === 0) {
      await this.#m.store.putDeposits([d])
      return
    }
    this.#unconfirmedDeposits = this.#unconfirmedDeposits.filter((x) => x.deposit.index !== d.index)
    this.#unconfirmedDeposits.push({ deposit: d, l1BlockNumber: l1.blockNumber })
    this.#unconfirmedDeposits.sort((a, b) => (a.deposit.index < b.deposit.index ? -1 : 1))
  }

  /** Runs after the node's derivation started: re-queues what a resume from a checkpoint does not deliver again. */
  async start(): Promise<void> {
    this.requeueAfterResume()
  }

  async stop(): Promise<void> {}

  /**
   * After resuming from a saved checkpoint, deposits queued on L1 before it are not delivered again: the ones
   * still waiting for confirmations (not stored for the sequencer yet) wait again here.
   */
  requeueAfterResume(): void {
    const d = this.#m.derivation()
    if (d.startedFrom.from !== 'checkpoint' || this.#o.withholdDeposits === true) return
    for (let i = this.#m.store.depositCount(); i < BigInt(d.deposits.length); i++) {
      const deposit = d.deposits[Number(i)] as Deposit
      this.#unconfirmedDeposits.push({ deposit, l1BlockNumber: d.depositL1Block(i) ?? 0n })
    }
  }

  /** Stores, in queue order, the waiting deposits that are now `depositConfirmations` L1 blocks deep. */
  async releaseDeposits(l1: L1Position): Promise<void> {
    const confirmations = BigInt(this.#o.depositConfirmations)
    const ready: Deposit[] = []
    let next = this.#m.store.depositCount()
    for (const x of this.#unconfirmedDeposits) {
      if (x.deposit.index !== next || x.l1BlockNumber + confirmations > l1.blockNumber) break
      ready.push(x.deposit)
      next++
    }
    if (ready.length === 0) return
    await this.#m.store.putDeposits(ready)
    this.#unconfirmedDeposits = this.#unconfirmedDeposits.slice(ready.length)
  }

  /** Derivation rebuilt itself for an L1 reorg: forget what the reorg removed and report what it changed. */
  async onReorg(e: DerivationReorg): Promise<void> {
    this.#unconfirmedDeposits = this.#unconfirmedDeposits.filter((x) => x.l1BlockNumber <= e.commonAncestor)
    // Stored deposits after those derivation kept are forgotten unless the sequencer included them: the new
    // chain's logs come next and store again the ones it still has.
    const kept = BigInt(this.#m.derivation().deposits.length)
    const included = this.#m.sequencer.state.depositCount
    const from = kept > included ? kept : included
    if (this.#m.store.depositCount() > from) {
      const removed = await this.#m.store.removeDepositsFrom(from)
      this.#log.warn(
        { fromIndex: from.toString(), removed },
        'forgot deposits from reorged L1 blocks that the sequencer had not included (stored again if still on L1)',
      )
    }
    if (included > kept) {
      const onL1 = await this.#m.publicClient().readContract({
        address: this.#o.portal,
        abi: portalAbi,
        functionName: 'depositCount',
      })
      if (included > onL1) {
        this.#reorgedIncluded.inc(Number(included - onL1))
        this.#log.error(
          { included: included.toString(), depositsOnL1: onL1.toString(), lost: `${onL1}..${included - 1n}` },
          'an L1 reorg REMOVED deposits the sequencer already included: the sequencer chain has diverged from L1 ' +
            '(batches of those blocks revert until L1 has that many deposits; raise sequencer.depositConfirmations)',
        )
      } else {
        this.#log.warn(
          { deposits: `${kept}..${included - 1n}` },
          'deposits the sequencer already included were in reorged L1 blocks: checking them as the new chain is read',
        )
      }
    }
  }

  async onForcedTx(f: ForcedTx): Promise<void> {
    const parsed = parseRowV3(f.row)
    if (parsed.type !== 'tx') {
      this.#log.warn(
        { index: f.index.toString(), reason: parsed.type === 'noop' ? parsed.reason : parsed.type },
        'forced queue entry is not a transaction row',
      )
      return
    }
    try {
      const hash = await this.#m.sequencer.submitRawTransaction(
        encodeRawTransaction(parsed.tx, this.#o.chainId),
      )
      this.#log.info(
        { index: f.index.toString(), txHash: hash },
        'included a transaction from the L1 forced queue',
      )
    } catch (err) {
      this.#log.info(
        { index: f.index.toString(), code: isL2kitError(err) ? err.code : undefined, err: String(err) },
        'a transaction from the L1 forced queue was not included (if it is valid, it will be forced after the window)',
      )
    }
  }

  /** A forced batch changed L1's canonical state: move the sequencer's unsafe blocks onto it (finding 8). */
  async onForcedBatch(e: ForcedBatchEffects): Promise<void> {
    const dropped = await this.#m.sequencer.resyncAfterForcedBatch(e)
    if (dropped.length > 0)
      this.#log.warn(
        { batchIndex: e.batchIndex.toString(), droppedTxs: dropped },
        'transactions the sequencer had accepted no longer apply after the forced batch: dropped (their receipts are gone)',
      )
  }
}

function sameDeposit(a: Deposit, b: Deposit): boolean {
  return (
    a.index === b.index &&
    a.from.toLowerCase() === b.from.toLowerCase() &&
    a.to.toLowerCase() === b.to.toLowerCase() &&
    a.tokenIndex === b.tokenIndex &&
    a.amount === b.amount
  )
}

function describeDeposit(d: Deposit) {
  return { from: d.from, to: d.to, tokenIndex: d.tokenIndex, amount: d.amount.toString() }
}
