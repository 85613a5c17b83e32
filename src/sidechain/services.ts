/**
 * A sidechain validator as one service (what `l2kit sidechain validator` and `l2kit up` run, one process each): its
 * LMDB store (chain, state, journal, mempool), the EVM (`evm/execution.ts`), the consensus node
 * (`validator.ts`) on its p2p port, the L1 deposit follower, the checkpointer, double-sign reporting, and its
 * JSON-RPC (the standard `eth_*` methods wallets and Foundry use, plus `sidechain_*`).
 */
import { mkdirSync } from 'node:fs'
import type { Logger } from '../core/logger.ts'
import { silentLogger } from '../core/logger.ts'
import type { Address, Hex } from '../core/types.ts'
import { createL1Clients } from '../l1/clients.ts'
import { TxManager } from '../l1/txManager.ts'
import { Metrics } from '../node/metrics.ts'
import { assertValidOptions } from '../node/options.ts'
import { createEthMethods } from '../node/rpc/ethMethods.ts'
import { RpcServer } from '../node/rpcServer.ts'
import {
  checkRpcListen,
  defaultRpcListen,
  type RpcListenOptions,
  type ServedRole,
  servedRole,
} from '../node/servedRole.ts'
import { openStore, type Store } from '../node/store.ts'
import { type CheckpointChain, Checkpointer } from './checkpointer.ts'
import { createChainView, sidechainExecutionRpcErrorCodes } from './evm/chainView.ts'
import {
  createSidechainExecution,
  L2_BRIDGE_ADDRESS,
  type SidechainExecution,
  type SidechainGenesis,
} from './evm/execution.ts'
import type { PoolTx } from './evm/tx.ts'
import { checkpointCount, SidechainL1Follower, submitCheckpoint, submitEvidence } from './l1.ts'
import type { ConsensusOptions } from './protocol/consensus.ts'
import { privateKeySigner } from './protocol/messages.ts'
import { type Validator, ValidatorSet } from './protocol/validatorSet.ts'
import { sidechainMethods, sidechainRpcErrorCodes } from './rpc.ts'
import { type SidechainEngine, SidechainValidator } from './validator.ts'

export type SidechainValidatorServiceOptions = {
  dataDir: string
  /** The validator's key: consensus signatures, its p2p identity, its L1 transactions (evidence, checkpoints). */
  privateKey: Hex
  l1RpcUrl: string
  stakeManager: Address
  bridge: Address
  /** The L1 block the contracts were deployed in (deposits are read from there). */
  deployBlock: bigint
  /** The sidechain's EIP-155 chain id. */
  chainId: bigint
  genesis: SidechainGenesis
  genesisValidators: readonly Validator[]
  /** The L1 StakeManager epoch of `genesisValidators` (later epochs' sets are followed from L1). */
  genesisEpoch: bigint
  gasLimit?: bigint
  baseFee?: bigint
  blockTimeMs?: number
  /** Blocks per L1 checkpoint (0: none). */
  checkpointInterval?: number
  /** L1 blocks on top of a deposit before it is minted. */
  confirmations?: number
  p2p: { host: string; port: number; peers: readonly string[] }
  rpc?: Partial<RpcListenOptions>
  consensus?: Partial<ConsensusOptions>
  misbehave?: 'equivocate'
  /** Reported by sidechain_getInfo (the devnet's DEV ERC-20 on L1). */
  devToken?: Address
}

export type SidechainValidatorService = ServedRole<SidechainValidator<PoolTx>> & {
  store: Store
  execution: SidechainExecution
  checkpointer: Checkpointer
  /** Deposits and validator sets followed from L1. */
  l1Follower: SidechainL1Follower
}

/**
 * Why a candidate left out of a block will never fit any later block either (the mempool forgets it): a used nonce,
 * a sender who can no longer pay, a fee below the chain's fixed base fee, or a transaction the EVM refuses. A nonce
 * gap or a full block is not permanent.
 */
const PERMANENT_DROPS = new Set([
  'NONCE_TOO_LOW',
  'INSUFFICIENT_BALANCE',
  'FEE_CAP_TOO_LOW',
  'SIDECHAIN_INVALID_TX',
])

/** The EVM as the consensus node sees it. */
export function engineOf(ex: SidechainExecution): SidechainEngine<PoolTx> {
  return {
    head: () => {
      const h = ex.head()
      return { number: h.number, hash: h.hash, timestamp: h.header.timestamp }
    },
    checkTx: (raw) => ex.checkTx(raw),
    nonceOf: (a) => ex.stateReader('head').account(a.slice(2))?.nonce ?? 0n,
    nextDepositId: () => ex.nextDepositId(),
    buildBlock: async (p) => {
      const r = await ex.buildBlock(p)
      return {
        ...r,
        dropped: r.dropped.map((d) => ({
          ...d,
          permanent: PERMANENT_DROPS.has(d.code),
        })),
      }
    },
    executeBlock: (b) => ex.executeBlock(b),
    commitBlock: (b, c) => ex.commitBlock(b, c),
    blockAt: (n) => {
      const s = ex.block(n)
      return s === undefined
        ? undefined
        : {
            header: s.header,
            txs: s.txs.map((t) => t.raw),
            deposits: s.deposits,
            ...(s.validators === undefined ? {} : { validators: s.validators }),
          }
    },
    commitOf: (n) => ex.commitOf(n),
  }
}

/** The chain as the checkpointer reads it (withdrawal ids indexed as blocks commit). */
export function checkpointChainOf(ex: SidechainExecution): CheckpointChain {
  const engine = engineOf(ex)
  const blockOfWithdrawal = new Map<bigint, bigint>()
  for (const w of ex.withdrawals(1n, ex.head().number)) blockOfWithdrawal.set(w.id, w.blockNumber)
  ex.onCommit((b) => {
    for (const w of b.withdrawals) blockOfWithdrawal.set(w.id, b.number)
  })
  const chain: CheckpointChain = {
    head: () => ({ number: ex.head().number }),
    blockAt: (n) => engine.blockAt(n),
    blockHashAt: (n) => ex.block(n)?.hash,
    withdrawals: (from, to) =>
      ex.withdrawals(from, to).map((w) => ({
        withdrawal: { id: w.id, from: w.from, to: w.to, token: w.token, amount: w.amount },
        block: w.blockNumber,
      })),
    withdrawalBlock: (id) => blockOfWithdrawal.get(id),
  }
  return chain
}

export async function createSidechainValidatorService(
  options: SidechainValidatorServiceOptions,
  modules: { logger?: Logger } = {},
): Promise<SidechainValidatorService> {
  const rpcOptions = { ...defaultRpcListen, ...options.rpc }
  const problems: string[] = []
  checkRpcListen(rpcOptions, problems)
  if (!/^0x[0-9a-fA-F]{64}$/.test(options.privateKey)) problems.push('privateKey must be a 32-byte hex key')
  if (!/^0x[0-9a-fA-F]{40}$/.test(options.stakeManager)) problems.push('stakeManager must be an address')
  if (!/^0x[0-9a-fA-F]{40}$/.test(options.bridge)) problems.push('bridge must be an address')
  if (typeof options.dataDir !== 'string' || options.dataDir === '') problems.push('dataDir must be a path')
  const interval = options.checkpointInterval ?? 16
  if (!Number.isSafeInteger(interval) || interval < 0 || interval > 65_536)
    problems.push('checkpointInterval must be an integer in [0, 65536]')
  const confirmations = options.confirmations ?? 1
  if (!Number.isSafeInteger(confirmations) || confirmations < 0 || confirmations > 1_000)
    problems.push('confirmations must be an integer in [0, 1000]')
  const blockTimeMs = options.blockTimeMs ?? 1_000
  if (!Number.isSafeInteger(blockTimeMs) || blockTimeMs < 10 || blockTimeMs > 600_000)
    problems.push('blockTimeMs must be an integer in [10, 600000]')
  assertValidOptions('sidechain validator', problems)
  const logger = (modules.logger ?? silentLogger).child({ component: 'sidechain' })
  const l1 = await createL1Clients({ rpcUrl: options.l1RpcUrl, privateKey: options.privateKey })
  const l1ChainId = BigInt(await l1.publicClient.getChainId())
  mkdirSync(options.dataDir, { recursive: true })
  const store = await openStore({ path: options.dataDir })
  const execution = await createSidechainExecution(
    {
      chainId: options.chainId,
      genesis: { ...options.genesis, epoch: options.genesisEpoch, validators: options.genesisValidators },
      ...(options.gasLimit !== undefined ? { gasLimit: options.gasLimit } : {}),
      ...(options.baseFee !== undefined ? { baseFee: options.baseFee } : {}),
    },
    { store, logger },
  )
  const l1Follower = new SidechainL1Follower(
    {
      bridge: options.bridge,
      stakeManager: options.stakeManager,
      fromBlock: options.deployBlock,
      confirmations,
      pollMs: 500,
    },
    { publicClient: l1.publicClient, logger },
  )
  const txManager = new TxManager(
    {},
    {
      publicClient: l1.publicClient,
      account: l1.account,
      logger: logger.child({ component: 'sidechain-l1' }),
    },
  )
  const validator = new SidechainValidator<PoolTx>(
    {
      privateKey: options.privateKey,
      domain: { chainId: l1ChainId, stakeManager: options.stakeManager.toLowerCase() as Address },
      genesisValidators: options.genesisValidators,
      p2p: options.p2p,
      blockTimeMs,
      consensus: options.consensus ?? {},
      ...(options.misbehave ? { misbehave: options.misbehave } : {}),
    },
    {
      store,
      engine: engineOf(execution),
      deposits: l1Follower,
      stake: l1Follower,
      logger,
      onEvidence: (e) => {
        submitEvidence(txManager, options.stakeManager, e)
          .then((r) => {
            if (r !== undefined)
              logger.warn(
                { l1TxHash: r.txHash, gasUsed: r.gasUsed.toString() },
                'double-sign evidence accepted on L1: the validator is slashed',
              )
          })
          .catch((err) => logger.warn({ err }, 'submitting double-sign evidence failed (already slashed?)'))
      },
    },
  )
  let checkpointSet: { epoch: bigint; set: ValidatorSet } | undefined
  const checkpointer = new Checkpointer(
    {
      interval,
      domain: { chainId: l1ChainId, bridge: options.bridge.toLowerCase() as Address },
      fallbackMs: 3_000,
      pollMs: 2_000,
    },
    {
      chain: checkpointChainOf(execution),
      l1: {
        count: () => checkpointCount(l1.publicClient, options.bridge),
        submit: async (cp, sigs) => {
          const r = await submitCheckpoint(txManager, options.bridge, cp, sigs)
          return { txHash: r.txHash, gasUsed: r.gasUsed }
        },
      },
      signer: privateKeySigner(options.privateKey),
      // L1 counts checkpoint signatures against the StakeManager's set: ours as followed from L1 (the sidechain's
      // own set lags it by an agreed block, and a validator that just unbonded no longer counts there).
      validators: () => {
        const l1Set = l1Follower.latest()
        if (l1Set === undefined || l1Set.validators.length === 0) return validator.validatorSet()
        if (checkpointSet?.epoch !== l1Set.epoch)
          checkpointSet = { epoch: l1Set.epoch, set: ValidatorSet.create(l1Set.validators) }
        return checkpointSet.set
      },
      broadcast: (m) => validator.network.broadcast(m),
      logger,
    },
  )
  validator.onCheckpointSignature((peer, cp, sig) => checkpointer.receive(peer, cp, sig))
  validator.onCommit(() => {
    try {
      checkpointer.onCommitted()
    } catch (err) {
      logger.error({ err }, 'checkpointing failed')
    }
  })

  const metrics = new Metrics()
  const rpc = new RpcServer(rpcOptions, {
    logger: logger.child({ component: 'sidechain-rpc' }),
    metrics,
    healthCheck: () => ({ height: execution.head().number.toString() }),
  })
  rpc.registerErrorCodes({ ...sidechainExecutionRpcErrorCodes, ...sidechainRpcErrorCodes })
  const view = createChainView({
    execution,
    pool: {
      pendingTxs: () => validator.mempool.entries(),
      lookup: (h) => validator.mempool.get(h),
      add: (raw) => validator.submitTransaction(raw),
    },
    peerCount: () => validator.network.peers().length,
    blockTimeMs,
  })
  rpc.registerAll(createEthMethods(view, { clientVersion: 'l2kit/0.1.0/sidechain' }))
  rpc.registerAll(
    sidechainMethods({
      validator,
      checkpointer,
      info: {
        chainId: options.chainId,
        l1ChainId,
        stakeManager: options.stakeManager,
        bridge: options.bridge,
        l2Bridge: L2_BRIDGE_ADDRESS,
        deployBlock: options.deployBlock,
        checkpointInterval: interval,
        blockTimeMs,
        l1RpcUrl: options.l1RpcUrl,
        devToken: options.devToken,
      },
    }),
  )
  const role = {
    start: async () => {
      await l1Follower.start()
      await validator.start()
      await checkpointer.start()
    },
    stop: async () => {
      await checkpointer.stop()
      await validator.stop()
      await l1Follower.stop()
    },
  }
  const served = servedRole('sidechain-validator', role, rpc, logger)
  return {
    ...served,
    role: validator,
    store,
    execution,
    checkpointer,
    l1Follower,
    stop: async () => {
      try {
        await served.stop()
      } finally {
        await execution.close().catch(() => undefined)
        await store.close().catch(() => undefined)
      }
    },
  }
}
