/**
 * The optimistic rollup node: sequencer + batcher + proposer + its own derivation, an independent verifier,
 * and the L2 JSON-RPC server, wired together with one L1 account (the rollup's batcher/proposer).
 *
 * L1 reorgs: the node's derivation notices them and rebuilds itself; the node then makes the L1 account read its
 * nonce again, lets the batcher re-post what was dropped and the proposer re-check its proposals, and reconciles
 * the deposits it stored for the sequencer. Deposits reach the sequencer only once they are
 * `sequencer.depositConfirmations` L1 blocks deep. With 0 (the devnet default) a deposit the sequencer already
 * included can be reorged away: the sequencer cannot take it back, so its chain then diverges from what L1
 * implies. The node logs that as an error (and counts it in `l1_reorged_included_deposits_total`); the proposer
 * still proposes only what L1 data implies, so L1 stays safe. Use confirmations deeper than the reorgs you expect.
 */
import { join } from 'node:path'
import { isL2kitError, L2kitError } from '../core/errors.ts'
import { encodeRawTransaction } from '../core/l2tx.ts'
import type { Deposit, TokenInfo } from '../core/types.ts'
import { portalAbi, rollupAbi } from '../generated/contracts.ts'
import type { L1ClientsWithWallet, L1PublicClient } from '../l1/clients.ts'
import { createL1Clients } from '../l1/clients.ts'
import { getKzg } from '../l1/kzg.ts'
import { ReorgAwareSender } from '../l1/reorgAwareSender.ts'
import { TxManager } from '../l1/txManager.ts'
import type { Logger } from '../node/logger.ts'
import { createMetrics, type Metrics } from '../node/metrics.ts'
import { RpcServer } from '../node/rpcServer.ts'
import { Batcher } from './batcher.ts'
import { ChainStore } from './chainStore.ts'
import { Challenger } from './challenger.ts'
import type { OptimisticNodeOptions } from './config.ts'
import { batcherLagRisk, defaultBatcherOptions } from './config.ts'
import {
  Derivation,
  type DerivationReorg,
  type DerivationStart,
  type ForcedBatchEffects,
  type ForcedTx,
  type L1Position,
} from './derivation.ts'
import { DerivationStore } from './derivationStore.ts'
import { faultCorruptsBatch } from './faults.ts'
import { Proposer } from './proposer.ts'
import { parseRowV3 } from './protocol/batchCodecV3.ts'
import { createRpcMethods } from './rpcMethods.ts'
import { Sequencer } from './sequencer.ts'

export type NodeStatus = Awaited<ReturnType<OptimisticNode['status']>>

export class OptimisticNode {
  readonly options: OptimisticNodeOptions
  readonly log: Logger
  store!: ChainStore
  sequencer!: Sequencer
  #l1!: L1ClientsWithWallet
  #verifierClient!: L1PublicClient
  txManager!: TxManager
  derivation!: Derivation
  verifier: Derivation | undefined
  batcher!: Batcher
  proposer!: Proposer
  /** Follows L1 with the verifier's derivation and challenges wrong proposals (undefined when disabled). */
  challenger: Challenger | undefined
  rpc!: RpcServer
  rpcUrl = ''
  #challengeWindow = 0n
  #started = false
  readonly metrics: Metrics = createMetrics({ collectProcessMetrics: true })
  #gaugeTimer: NodeJS.Timeout | undefined
  #sender!: ReorgAwareSender
  /** Deposits seen on L1 but not yet `depositConfirmations` deep, by index. */
  #unconfirmedDeposits: { deposit: Deposit; l1BlockNumber: bigint }[] = []
  /** Durable checkpoints of the node's derivation and of the verifier's (closed at stop). */
  readonly #derivationStores: DerivationStore[] = []
  #reorgs!: ReturnType<Metrics['counter']>
  #reorgedIncludedDeposits!: ReturnType<Metrics['counter']>

  constructor(options: OptimisticNodeOptions, modules: { logger: Logger }) {
    this.options = options
    this.log = modules.logger
  }

  get l1(): L1ClientsWithWallet {
    return this.#l1
  }

  async start(): Promise<void> {
    const o = this.options
    this.store = await ChainStore.open(join(o.dataDir, 'chain'))
    this.sequencer = new Sequencer(o.sequencer, { chain: o.chain, store: this.store, logger: this.log })
    this.#l1 = await createL1Clients({ rpcUrl: o.l1RpcUrl, privateKey: o.operatorKey })
    this.txManager = new TxManager(
      {},
      { publicClient: this.#l1.publicClient, account: this.#l1.account, logger: this.log },
    )
    this.#sender = new ReorgAwareSender({
      txManager: this.txManager,
      publicClient: this.#l1.publicClient,
      logger: this.log,
    })
    this.#reorgs = this.metrics.counter('l1_reorgs_total', 'L1 reorgs the node followed')
    this.#reorgedIncludedDeposits = this.metrics.counter(
      'l1_reorged_included_deposits_total',
      'deposits the sequencer had included that an L1 reorg removed or changed (the sequencer chain diverged)',
    )
    this.#challengeWindow = await this.#l1.publicClient.readContract({
      address: o.contracts.rollup,
      abi: rollupAbi,
      functionName: 'challengeWindow',
    })
    const lagRisk = batcherLagRisk(
      { ...defaultBatcherOptions, ...o.batcher }.maxBatchAgeMs,
      await this.#l1.publicClient.readContract({
        address: o.contracts.rollup,
        abi: rollupAbi,
        functionName: 'inclusionWindow',
      }),
    )
    if (lagRisk) this.log.warn({ component: 'node' }, lagRisk)
    await this.sequencer.start()
    // Load the KZG trusted setup now (~2 s, synchronous) rather than stall the first blob batch or blob read.
    getKzg()
    const checkpoints = await this.#openDerivationStore('derivation')
    this.derivation = new Derivation({
      checkpointStore: checkpoints,
      chain: o.chain,
      contracts: o.contracts,
      publicClient: this.#l1.publicClient,
      logger: this.log.child({ component: 'derivation' }),
      pollingIntervalMs: o.sequencer.l1PollIntervalMs,
      onToken: (t) => this.#onToken(t),
      onDeposit: (d, l1) => this.#onDeposit(d, l1),
      onForcedTx: (f) => this.#onForcedTx(f),
      onForcedBatch: (e) => this.#onForcedBatch(e),
      onL1Progress: (l1) => this.#releaseDeposits(l1),
      onReorg: (e) => this.#onL1Reorg(e),
    })
    await this.derivation.start()
    this.#requeueUnconfirmedDeposits()
    if (o.verifier) {
      // Independent: its own L1 client, its own state, nothing from the sequencer.
      this.#verifierClient = (await createL1Clients({ rpcUrl: o.l1RpcUrl })).publicClient
      this.verifier = new Derivation({
        checkpointStore: await this.#openDerivationStore('verifier'),
        chain: o.chain,
        contracts: o.contracts,
        publicClient: this.#verifierClient,
        logger: this.log.child({ component: 'verifier' }),
        pollingIntervalMs: o.sequencer.l1PollIntervalMs,
      })
      await this.verifier.start()
    }
    this.batcher = new Batcher(o.batcher, {
      store: this.store,
      state: () => this.sequencer.state,
      publicClient: this.#l1.publicClient,
      txManager: this.#sender,
      contracts: o.contracts,
      logger: this.log,
      ...(o.proposer.fault && faultCorruptsBatch(o.proposer.fault.kind)
        ? { fault: o.proposer.fault.kind }
        : {}),
    })
    await this.batcher.start()
    this.proposer = new Proposer(o.proposer, {
      publicClient: this.#l1.publicClient,
      txManager: this.#sender,
      contracts: o.contracts,
      derivation: this.derivation,
      logger: this.log,
      originalBatchData: (h) => this.batcher.originalData(h),
    })
    await this.proposer.start()
    if (o.challenger.enabled && o.challenger.privateKey) {
      // Its own L1 account (bonds and nonces apart from the operator's) and, when there is one, the
      // independent verifier's derivation: it judges proposals from L1 data alone.
      const clients = await createL1Clients({ rpcUrl: o.l1RpcUrl, privateKey: o.challenger.privateKey })
      const log = this.log.child({ component: 'challenger' })
      this.challenger = new Challenger(o.challenger, {
        chain: o.chain,
        publicClient: clients.publicClient,
        txManager: new TxManager(
          {},
          { publicClient: clients.publicClient, account: clients.account, logger: log },
        ),
        contracts: o.contracts,
        derivation: this.verifier ?? this.derivation,
        logger: this.log,
      })
      await this.challenger.start()
    } else if (o.challenger.enabled) {
      this.log.warn(
        'no challenger key: wrong proposals will not be challenged by this node (set challenger.privateKey)',
      )
    }
    this.#wireMetrics()
    this.rpc = new RpcServer(
      { host: o.rpc.host, port: o.rpc.port, fallbackToFreePort: o.rpc.fallbackToFreePort === true },
      {
        logger: this.log.child({ component: 'rpc' }),
        metrics: this.metrics,
        healthCheck: () => ({ l2Head: this.sequencer.head.number.toString() }),
      },
    )
    const methods = createRpcMethods({
      chain: o.chain,
      sequencer: this.sequencer,
      store: this.store,
      rpc: this.rpc,
      status: {
        status: () => this.status(),
        withdrawalProof: (i) => this.withdrawalProof(i),
        contracts: () => ({
          l1Rpc: o.l1RpcUrl,
          l1ChainId: this.#l1.publicClient.chain.id,
          portal: o.contracts.portal,
          rollup: o.contracts.rollup,
          devToken: o.contracts.devToken ?? null,
          deployBlock: o.contracts.deployBlock.toString(),
          l2ChainId: o.chain.chainId.toString(),
          genesisTimestamp: o.chain.genesisTimestamp,
          baseFee: o.chain.baseFee.toString(),
        }),
      },
    })
    for (const [name, handler] of Object.entries(methods)) this.rpc.register(name, handler)
    this.rpcUrl = await this.rpc.start()
    this.#started = true
    this.log.info({ rpc: this.rpcUrl, chainId: o.chain.chainId.toString() }, 'optimistic rollup node started')
  }

  /**
   * A transaction queued on L1 for force inclusion: include it like an RPC submission, well inside the
   * inclusion window (after which anyone can force it and it would land in L1's order, not ours).
   */
  /** A forced batch changed L1's canonical state: move the sequencer's unsafe blocks onto it (finding 8). */
  async #onForcedBatch(e: ForcedBatchEffects): Promise<void> {
    const dropped = await this.sequencer.resyncAfterForcedBatch(e)
    if (dropped.length > 0)
      this.log.warn(
        { batchIndex: e.batchIndex.toString(), droppedTxs: dropped },
        'transactions the sequencer had accepted no longer apply after the forced batch: dropped (their receipts are gone)',
      )
  }

  async #onForcedTx(f: ForcedTx): Promise<void> {
    const parsed = parseRowV3(f.row)
    if (parsed.type !== 'tx') {
      this.log.warn(
        { index: f.index.toString(), reason: parsed.type === 'noop' ? parsed.reason : parsed.type },
        'forced queue entry is not a transaction row',
      )
      return
    }
    try {
      const hash = await this.sequencer.submitRawTransaction(
        encodeRawTransaction(parsed.tx, this.options.chain.chainId),
      )
      this.log.info(
        { index: f.index.toString(), txHash: hash },
        'included a transaction from the L1 forced queue',
      )
    } catch (err) {
      this.log.info(
        { index: f.index.toString(), code: isL2kitError(err) ? err.code : undefined, err: String(err) },
        'a transaction from the L1 forced queue was not included (if it is valid, it will be forced after the window)',
      )
    }
  }

  async #onToken(t: TokenInfo): Promise<void> {
    const known = this.store.listTokens().find((x) => x.index === t.index)
    if (known && known.l1Address.toLowerCase() !== t.l1Address.toLowerCase()) {
      this.log.error(
        { tokenIndex: t.index, registered: known.l1Address, nowOnL1: t.l1Address },
        'an L1 reorg registered a different token at an index the sequencer already uses: its L2 token ' +
          'metadata (and withdrawals of it) now differ from L1',
      )
      return
    }
    await this.store.putToken(t)
    this.sequencer.registerToken(t)
  }

  /** A deposit log from L1: stored for the sequencer now (0 confirmations) or once deep enough. */
  async #onDeposit(d: Deposit, l1: L1Position): Promise<void> {
    if (this.options.sequencer.withholdDeposits === true) {
      this.log.warn({ depositIndex: d.index.toString() }, 'MALICIOUS MODE: withholding an L1 deposit from L2')
      return
    }
    const stored = this.store.getDeposit(d.index)
    if (stored !== undefined) {
      // Delivered again after a reorg.
      if (sameDeposit(stored, d)) return
      if (d.index < this.sequencer.state.depositCount) {
        this.#reorgedIncludedDeposits.inc()
        this.log.error(
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
      this.log.warn(
        { depositIndex: d.index.toString() },
        'an L1 reorg changed a deposit not yet included: storing the new one',
      )
      await this.store.putDeposits([d])
      return
    }
    if (this.options.sequencer.depositConfirmations === 0) {
      await this.store.putDeposits([d])
      return
    }
    this.#unconfirmedDeposits = this.#unconfirmedDeposits.filter((x) => x.deposit.index !== d.index)
    this.#unconfirmedDeposits.push({ deposit: d, l1BlockNumber: l1.blockNumber })
    this.#unconfirmedDeposits.sort((a, b) => (a.deposit.index < b.deposit.index ? -1 : 1))
  }

  async #openDerivationStore(name: string): Promise<DerivationStore> {
    const store = await DerivationStore.open(join(this.options.dataDir, name))
    this.#derivationStores.push(store)
    return store
  }

  /**
   * After resuming from a saved checkpoint, deposits queued on L1 before it are not delivered again: the ones
   * still waiting for confirmations (not stored for the sequencer yet) wait again here.
   */
  #requeueUnconfirmedDeposits(): void {
    const d = this.derivation
    if (d.startedFrom.from !== 'checkpoint' || this.options.sequencer.withholdDeposits === true) return
    for (let i = this.store.depositCount(); i < BigInt(d.deposits.length); i++) {
      const deposit = d.deposits[Number(i)] as Deposit
      this.#unconfirmedDeposits.push({ deposit, l1BlockNumber: d.depositL1Block(i) ?? 0n })
    }
  }

  /** Stores, in queue order, the waiting deposits that are now `depositConfirmations` L1 blocks deep. */
  async #releaseDeposits(l1: L1Position): Promise<void> {
    const confirmations = BigInt(this.options.sequencer.depositConfirmations)
    const ready: Deposit[] = []
    let next = this.store.depositCount()
    for (const x of this.#unconfirmedDeposits) {
      if (x.deposit.index !== next || x.l1BlockNumber + confirmations > l1.blockNumber) break
      ready.push(x.deposit)
      next++
    }
    if (ready.length === 0) return
    await this.store.putDeposits(ready)
    this.#unconfirmedDeposits = this.#unconfirmedDeposits.slice(ready.length)
  }

  /** The node's derivation rebuilt itself for an L1 reorg: bring the other parts to the new chain. */
  async #onL1Reorg(e: DerivationReorg): Promise<void> {
    this.#reorgs.inc()
    this.#sender?.resetNonce()
    this.proposer?.onL1Reorg()
    // Re-post dropped batches now rather than at the next tick (rounds are serialized inside the batcher).
    void this.batcher
      ?.postPending()
      .catch((err: unknown) =>
        this.log.warn({ err: String(err) }, 'batch re-posting after an L1 reorg failed; will retry'),
      )
    this.#unconfirmedDeposits = this.#unconfirmedDeposits.filter((x) => x.l1BlockNumber <= e.commonAncestor)
    // Stored deposits after those derivation kept are forgotten unless the sequencer included them: the new
    // chain's logs come next and store again the ones it still has.
    const kept = BigInt(this.derivation.deposits.length)
    const included = this.sequencer.state.depositCount
    const from = kept > included ? kept : included
    if (this.store.depositCount() > from) {
      const removed = await this.store.removeDepositsFrom(from)
      this.log.warn(
        { fromIndex: from.toString(), removed },
        'forgot deposits from reorged L1 blocks that the sequencer had not included (stored again if still on L1)',
      )
    }
    if (included > kept) {
      const onL1 = await this.#l1.publicClient.readContract({
        address: this.options.contracts.portal,
        abi: portalAbi,
        functionName: 'depositCount',
      })
      if (included > onL1) {
        this.#reorgedIncludedDeposits.inc(Number(included - onL1))
        this.log.error(
          { included: included.toString(), depositsOnL1: onL1.toString(), lost: `${onL1}..${included - 1n}` },
          'an L1 reorg REMOVED deposits the sequencer already included: the sequencer chain has diverged from L1 ' +
            '(batches of those blocks revert until L1 has that many deposits; raise sequencer.depositConfirmations)',
        )
      } else {
        this.log.warn(
          { deposits: `${kept}..${included - 1n}` },
          'deposits the sequencer already included were in reorged L1 blocks: checking them as the new chain is read',
        )
      }
    }
  }

  /** Stops in reverse order; the sequencer last so every acknowledged transaction is sealed or logged. */
  async stop(): Promise<void> {
    if (!this.#started) {
      await this.store?.close().catch(() => undefined)
      for (const s of this.#derivationStores) await s.close().catch(() => undefined)
      return
    }
    this.#started = false
    if (this.#gaugeTimer) clearInterval(this.#gaugeTimer)
    await this.rpc.stop().catch(() => undefined)
    await this.challenger?.stop()
    await this.proposer.stop()
    await this.batcher.stop()
    await this.verifier?.stop()
    await this.derivation.stop()
    await this.sequencer.stop()
    await this.store.close()
    for (const s of this.#derivationStores) await s.close()
    this.log.info('optimistic rollup node stopped')
  }

  /** Prometheus metrics at GET /metrics on the RPC port: what the node did, in units. */
  #wireMetrics(): void {
    const m = this.metrics
    const txs = m.counter('sequencer_transactions_total', 'L2 transactions sealed into blocks')
    const blocks = m.counter('sequencer_blocks_total', 'L2 blocks sealed')
    const deposits = m.counter('sequencer_deposits_total', 'L1 deposits included in L2 blocks')
    this.sequencer.on('block', (b) => {
      blocks.inc()
      txs.inc(b.txs.length)
      deposits.inc(b.deposits.length)
    })
    const head = m.gauge('l2_head_blocks', 'newest sealed L2 block')
    const safe = m.gauge('safe_head_blocks', 'newest L2 block derived from L1 data')
    const verifierSafe = m.gauge(
      'verifier_safe_head_blocks',
      'newest L2 block the independent verifier derived',
    )
    const batches = m.gauge('batches_posted_batches', 'batches this node posted to L1')
    const batchBytes = m.gauge('batches_posted_bytes', 'bytes of batch data this node posted to L1')
    const l1Fees = m.gauge('batches_l1_fee_wei', 'L1 fees this node paid for batches')
    const agree = m.gauge(
      'verifier_agrees_ratio',
      '1 when the verifier agrees with every proposed root, else 0',
    )
    const update = () => {
      head.set(Number(this.sequencer.head.number))
      safe.set(Number(this.derivation.safeHead.number))
      if (this.verifier) {
        verifierSafe.set(Number(this.verifier.safeHead.number))
        agree.set(this.verifier.proposals.every((p) => p === undefined || p.agrees !== false) ? 1 : 0)
      }
      const posted = this.store.listBatches()
      batches.set(posted.length)
      batchBytes.set(posted.reduce((s, b) => s + b.dataBytes, 0))
      l1Fees.set(Number(posted.reduce((s, b) => s + b.l1FeeWei, 0n)))
    }
    this.#gaugeTimer = setInterval(update, 1_000)
    this.#gaugeTimer.unref()
  }

  get challengeWindowSeconds(): bigint {
    return this.#challengeWindow
  }

  /** Rollup status for `l2kit status` and `l2kit_status`. */
  async status() {
    const l1Block = await this.#l1.publicClient.getBlock()
    const now = await this.#l1Now(l1Block.timestamp)
    const window = Number(this.#challengeWindow)
    const proposals = this.derivation.proposals.filter((p) => p !== undefined)
    const finalized = [...proposals].reverse().find((p) => !p.deleted && p.proposedAt + window <= now)
    const last = this.store.lastBatch()
    const derivedLast = this.derivation.latestBatch()
    const forcedLast = derivedLast?.forced ? derivedLast : undefined
    const v = this.verifier
    const vProposals = v ? v.proposals.filter((p) => p !== undefined) : []
    // The sequencer's block at the verifier's safe head must be the block L1 implies. When it is not (e.g. the
    // L1 lost blocks the sequencer built on), the node has forked from L1 and status must not say it agrees.
    const sequencerHashAtSafeHead = v ? (this.store.getBlock(v.safeHead.number)?.hash ?? null) : null
    const sequencerAgreesWithL1 =
      !v ||
      sequencerHashAtSafeHead === v.safeHead.hash ||
      (v.safeHead.number === 0n && sequencerHashAtSafeHead === null)
    const pendingWithdrawals = this.sequencer.state.withdrawals
      .filter((w) => !this.derivation.finalizedWithdrawals.has(w.index))
      .map((w) => ({ ...w, index: w.index.toString(), amount: w.amount.toString() }))
    return {
      chainId: this.options.chain.chainId.toString(),
      l1BlockNumber: l1Block.number.toString(),
      l2Head: this.sequencer.head.number.toString(),
      depositsIncluded: this.sequencer.state.depositCount.toString(),
      depositsQueuedOnL1: this.derivation.deposits.length.toString(),
      safeHead: this.derivation.safeHead.number.toString(),
      /** Whether the node's derivation resumed from its saved checkpoint at start, or derived from the deployment. */
      derivationStart: startJson(this.derivation.startedFrom),
      finalizedHead: finalized ? finalized.l2BlockNumber.toString() : '0',
      challengeWindowSeconds: window,
      lastBatch:
        // A forced batch (the Rollup built it from its L1 queue) is newer than any the batcher posted.
        forcedLast && (!last || forcedLast.batchIndex > last.batchIndex)
          ? {
              batchIndex: forcedLast.batchIndex.toString(),
              l1TxHash: forcedLast.l1TxHash,
              l1BlockNumber: forcedLast.l1BlockNumber.toString(),
              isBlob: false,
              blobHashes: [],
              firstBlock: forcedLast.firstBlock.toString(),
              blockCount: forcedLast.blockCount,
              dataBytes: null,
              txCount: forcedLast.txCount,
              l1FeeWei: null,
              forced: true,
            }
          : last
            ? {
                batchIndex: last.batchIndex.toString(),
                l1TxHash: last.l1TxHash,
                l1BlockNumber: last.l1BlockNumber.toString(),
                isBlob: last.isBlob,
                blobHashes: last.blobHashes,
                firstBlock: last.firstBlock.toString(),
                blockCount: last.blockCount,
                dataBytes: last.dataBytes,
                txCount: last.txCount,
                l1FeeWei: last.l1FeeWei.toString(),
                forced: false,
              }
            : null,
      proposals: proposals.map((p) => ({
        proposalIndex: p.proposalIndex.toString(),
        batchIndex: p.batchIndex.toString(),
        l2BlockNumber: p.l2BlockNumber.toString(),
        stateRoot: p.stateRoot,
        deleted: p.deleted,
        finalized: !p.deleted && p.proposedAt + window <= now,
        secondsToFinality: Math.max(0, p.proposedAt + window - now),
      })),
      verifier: v
        ? {
            safeHead: v.safeHead.number.toString(),
            safeHeadHash: v.safeHead.hash,
            sequencerHashAtSafeHead,
            sequencerAgreesWithL1,
            proposalsChecked: vProposals.filter((p) => p.agrees !== undefined).length,
            // Agreement means with L1 too: never reported while the sequencer's chain differs at the safe head.
            agreesWithAllProposals: sequencerAgreesWithL1 && vProposals.every((p) => p.agrees !== false),
            disagreements: vProposals
              .filter((p) => p.agrees === false)
              .map((p) => p.proposalIndex.toString()),
            invalidBatches: v.batches
              .filter((b) => b && !b.valid)
              .map((b) => ({ batchIndex: b.batchIndex.toString(), reason: b.reason })),
          }
        : null,
      pendingWithdrawals,
    }
  }

  /**
   * L1 time as the next L1 block will see it. An automining devnet makes blocks only for transactions, so its
   * latest block can be far behind the clock the next block will carry; a live chain is within a slot of it.
   */
  async #l1Now(latest?: bigint): Promise<number> {
    const ts = latest ?? (await this.#l1.publicClient.getBlock()).timestamp
    return Math.max(Number(ts), Math.floor(Date.now() / 1000))
  }

  /** What `Portal.finalizeWithdrawal` needs for withdrawal `index`, against the newest proposal covering it. */
  async withdrawalProof(index: bigint) {
    const w = this.derivation.state.withdrawals[Number(index)]
    if (!w) {
      throw new L2kitError(
        'WITHDRAWAL_NOT_FOUND',
        `withdrawal ${index} is not in a batch derived from L1 yet`,
        { kind: 'temporary' },
      )
    }
    const proof = this.derivation.withdrawalProof(index)
    if (!proof) {
      throw new L2kitError(
        'WITHDRAWAL_NOT_PROPOSED',
        `no state root covering withdrawal ${index} has been proposed yet`,
        { kind: 'temporary' },
      )
    }
    const now = await this.#l1Now()
    const finalizesAt = proof.proposal.proposedAt + Number(this.#challengeWindow)
    return {
      withdrawal: {
        index: w.index.toString(),
        sender: w.sender,
        recipient: w.recipient,
        l1Token: w.l1Token,
        amount: w.amount.toString(),
      },
      withdrawalHash: proof.withdrawalHash,
      proposalIndex: proof.proposal.proposalIndex.toString(),
      stateRoot: proof.proposal.stateRoot,
      accountsRoot: proof.accountsRoot,
      siblings: proof.siblings,
      finalizesAt,
      secondsToFinality: Math.max(0, finalizesAt - now),
      finalized: this.derivation.finalizedWithdrawals.has(w.index),
    }
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

function startJson(s: DerivationStart): Record<string, string | number> {
  return s.from === 'checkpoint'
    ? { from: s.from, l1Block: s.l1Block.toString(), batches: s.batches, loadMs: s.loadMs }
    : { from: s.from, reason: s.reason }
}
