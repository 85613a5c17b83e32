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
import { rollupAbi } from '../generated/contracts.ts'
import type { L1ClientsWithWallet } from '../l1/clients.ts'
import { createL1Clients } from '../l1/clients.ts'
import { getKzg } from '../l1/kzg.ts'
import { ReorgAwareSender } from '../l1/reorgAwareSender.ts'
import { TxManager } from '../l1/txManager.ts'
import { type Service, ServiceGroup } from '../node/lifecycle.ts'
import type { Logger } from '../node/logger.ts'
import { createMetrics, type Metrics } from '../node/metrics.ts'
import { RpcServer } from '../node/rpcServer.ts'
import type { Batcher } from './batcher.ts'
import { ChainStore } from './chainStore.ts'
import type { Challenger } from './challenger.ts'
import type { OptimisticNodeOptions } from './config.ts'
import { batcherLagRisk, defaultBatcherOptions } from './config.ts'
import type { Derivation, DerivationReorg } from './derivation.ts'
import { faultCorruptsBatch } from './faults.ts'
import type { Proposer } from './proposer.ts'
import { RollupStatus } from './rollupStatus.ts'
import { createRpcMethods } from './rpcMethods.ts'
import type { Sequencer } from './sequencer.ts'
import { SequencerInbox } from './sequencerInbox.ts'
import {
  checkpointDirOf,
  createBatcherService,
  createChallengerService,
  createDerivationService,
  createProposerService,
  createSequencerService,
} from './services.ts'

export type NodeStatus = Awaited<ReturnType<OptimisticNode['status']>>

/**
 * Composes the roles (`services.ts`) in one `ServiceGroup`, started in this order and stopped in reverse:
 * sequencer → derivation → sequencer inbox → verifier → batcher → proposer → challenger → RPC. The sequencer stops
 * last, so every acknowledged transaction is sealed or logged.
 */
export class OptimisticNode {
  readonly options: OptimisticNodeOptions
  readonly log: Logger
  store!: ChainStore
  sequencer!: Sequencer
  #l1!: L1ClientsWithWallet
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
  readonly metrics: Metrics = createMetrics({ collectProcessMetrics: true })
  #gaugeTimer: NodeJS.Timeout | undefined
  #sender!: ReorgAwareSender
  #inbox!: SequencerInbox
  #status!: RollupStatus
  #group: ServiceGroup | undefined
  #reorgs!: ReturnType<Metrics['counter']>

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
    const services: Service[] = []
    try {
      await this.#build(services)
    } catch (err) {
      // Whatever was built owns resources (stores) even unstarted: stopping a service that never started is safe.
      for (const s of services.reverse()) await s.stop().catch(() => undefined)
      await this.store.close().catch(() => undefined)
      throw err
    }
    this.#group = new ServiceGroup({ name: 'node roles' }, { logger: this.log, services })
    try {
      await this.#group.start()
    } catch (err) {
      this.#group = undefined
      for (const s of services) await s.stop().catch(() => undefined)
      await this.store.close().catch(() => undefined)
      throw err
    }
    this.#wireMetrics()
    this.log.info({ rpc: this.rpcUrl, chainId: o.chain.chainId.toString() }, 'optimistic rollup node started')
  }

  /** Builds every role as a service (not started) and the parts around them, in start order. */
  async #build(services: Service[]): Promise<void> {
    const o = this.options
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
    // Load the KZG trusted setup now (~2 s, synchronous) rather than stall the first blob batch or blob read.
    getKzg()

    const sequencer = createSequencerService(o.sequencer, {
      chain: o.chain,
      store: this.store,
      logger: this.log,
    })
    services.push(sequencer)
    this.sequencer = sequencer.role
    const inbox = new SequencerInbox(
      {
        chainId: o.chain.chainId,
        portal: o.contracts.portal,
        depositConfirmations: o.sequencer.depositConfirmations,
        withholdDeposits: o.sequencer.withholdDeposits,
      },
      {
        sequencer: this.sequencer,
        store: this.store,
        derivation: () => this.derivation,
        publicClient: () => this.#l1.publicClient,
        logger: this.log,
        metrics: this.metrics,
      },
    )
    this.#inbox = inbox
    const derivation = createDerivationService(
      { name: 'derivation', checkpointDir: checkpointDirOf(o.dataDir, 'derivation') },
      {
        chain: o.chain,
        contracts: o.contracts,
        publicClient: this.#l1.publicClient,
        logger: this.log.child({ component: 'derivation' }),
        pollingIntervalMs: o.sequencer.l1PollIntervalMs,
        onToken: (t) => inbox.onToken(t),
        onDeposit: (d, l1) => inbox.onDeposit(d, l1),
        onForcedTx: (f) => inbox.onForcedTx(f),
        onForcedBatch: (e) => inbox.onForcedBatch(e),
        onL1Progress: (l1) => inbox.releaseDeposits(l1),
        onReorg: (e) => this.#onL1Reorg(e),
      },
    )
    services.push(derivation, inbox)
    this.derivation = derivation.role
    if (o.verifier) {
      // Independent: its own L1 client, its own state, nothing from the sequencer.
      const verifierClient = (await createL1Clients({ rpcUrl: o.l1RpcUrl })).publicClient
      const verifier = createDerivationService(
        { name: 'verifier', checkpointDir: checkpointDirOf(o.dataDir, 'verifier') },
        {
          chain: o.chain,
          contracts: o.contracts,
          publicClient: verifierClient,
          logger: this.log.child({ component: 'verifier' }),
          pollingIntervalMs: o.sequencer.l1PollIntervalMs,
        },
      )
      services.push(verifier)
      this.verifier = verifier.role
    }
    const batcher = createBatcherService(o.batcher, {
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
    services.push(batcher)
    this.batcher = batcher.role
    const proposer = createProposerService(o.proposer, {
      publicClient: this.#l1.publicClient,
      txManager: this.#sender,
      contracts: o.contracts,
      derivation: this.derivation,
      logger: this.log,
      originalBatchData: (h) => this.batcher.originalData(h),
    })
    services.push(proposer)
    this.proposer = proposer.role
    if (o.challenger.enabled && o.challenger.privateKey) {
      // Its own L1 account (bonds and nonces apart from the operator's) and, when there is one, the
      // independent verifier's derivation: it judges proposals from L1 data alone.
      const clients = await createL1Clients({ rpcUrl: o.l1RpcUrl, privateKey: o.challenger.privateKey })
      const log = this.log.child({ component: 'challenger' })
      const challenger = createChallengerService(o.challenger, {
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
      services.push(challenger)
      this.challenger = challenger.role
    } else if (o.challenger.enabled) {
      this.log.warn(
        'no challenger key: wrong proposals will not be challenged by this node (set challenger.privateKey)',
      )
    }
    this.#status = new RollupStatus({
      chain: o.chain,
      contracts: o.contracts,
      l1RpcUrl: o.l1RpcUrl,
      publicClient: this.#l1.publicClient,
      sequencer: this.sequencer,
      store: this.store,
      derivation: this.derivation,
      verifier: this.verifier,
      challengeWindow: () => this.#challengeWindow,
    })
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
        contracts: () => this.#status.contracts(),
      },
    })
    for (const [name, handler] of Object.entries(methods)) this.rpc.register(name, handler)
    const rpc = this.rpc
    services.push({
      name: 'rpc',
      start: async () => {
        this.rpcUrl = await rpc.start()
      },
      stop: () => rpc.stop().catch(() => undefined),
    })
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
    await this.#inbox.onReorg(e)
  }

  /** Stops every role in reverse start order (the sequencer last), then closes the chain store. */
  async stop(): Promise<void> {
    if (this.#gaugeTimer) clearInterval(this.#gaugeTimer)
    this.#gaugeTimer = undefined
    const group = this.#group
    if (group === undefined) return
    this.#group = undefined
    await group.stop()
    await this.store.close()
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
  status() {
    return this.#status.status()
  }

  /** What `Portal.finalizeWithdrawal` needs for withdrawal `index`, against the newest proposal covering it. */
  withdrawalProof(index: bigint) {
    return this.#status.withdrawalProof(index)
  }
}
