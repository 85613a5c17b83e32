/**
 * Bench F: how long a derivation takes to be ready (caught up with L1) after a restart, from its saved checkpoint
 * and from the deployment, as the chain grows. Each batch is posted by the devnet's batcher (calldata, one
 * transfer and one withdrawal) and proposed by its proposer, so the L1 holds what a real chain holds.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createPublicClient, createWalletClient, type Hex, http, parseEther } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { silentLogger } from '../../src/node/logger.ts'
import { Derivation } from '../../src/optimistic/derivation.ts'
import { DerivationStore } from '../../src/optimistic/derivationStore.ts'
import { startDevnet } from '../../src/optimistic/devnet.ts'
import { defineL2Chain } from '../../src/sdk/defineL2Chain.ts'
import { initiateWithdrawal } from '../../src/sdk/optimistic/initiateWithdrawal.ts'

export type RestartPoint = {
  batches: number
  l1Blocks: number
  /** start() + sync() of a derivation that reads L1 from the deployment. */
  fromDeploymentSeconds: number
  /** start() + sync() of a derivation resuming from the checkpoint saved at the previous point's stop. */
  fromCheckpointSeconds: number
  /** Loading the saved checkpoint alone (part of fromCheckpointSeconds). */
  checkpointLoadMs: number
  /** Batches derived after the checkpoint (posted since it was saved). */
  batchesAfterCheckpoint: number
}

/**
 * Posts batches up to each of `points` (e.g. [100, 200]); at each, times a derivation from the deployment and one
 * resuming from the checkpoint saved when the previous one stopped (the newest `resumeLag` batches come after it).
 */
export async function restartBench(
  points: number[],
  log: (s: string) => void,
  onShutdown: (fn: () => Promise<void>) => void,
): Promise<RestartPoint[]> {
  const devnet = await startDevnet(
    {
      rpcPort: 0,
      devAccounts: 2,
      sequencer: { blockTimeMs: 50, l1PollIntervalMs: 100 },
      batcher: {
        dataMode: 'calldata',
        intervalMs: 100,
        maxBatchAgeMs: 3_600_000,
        targetBatchBytes: 10_000_000,
      },
      proposer: { intervalMs: 100 },
      verifier: false,
      challenger: { enabled: false },
    },
    { logger: silentLogger },
  )
  onShutdown(() => devnet.stop())
  const dir = mkdtempSync(join(tmpdir(), 'l2kit-bench-restart-'))
  const store = await DerivationStore.open(dir)
  try {
    const [a, b] = devnet.accounts
    const account = privateKeyToAccount(a?.privateKey as Hex)
    const chain = defineL2Chain({ chainId: Number(devnet.chain.chainId), rpcUrl: devnet.l2Rpc })
    const l2Public = createPublicClient({ chain, transport: http(devnet.l2Rpc) })
    const l2Wallet = createWalletClient({ account, chain, transport: http(devnet.l2Rpc) })
    const modules = {
      chain: devnet.chain,
      contracts: devnet.contracts,
      publicClient: devnet.l1.publicClient,
      logger: silentLogger,
      pollingIntervalMs: 100,
    }
    const timed = async (d: Derivation) => {
      const t = performance.now()
      await d.start()
      await d.sync()
      const s = (performance.now() - t) / 1000
      await d.stop()
      return s
    }
    let posted = 0
    const post = async () => {
      const hash = await l2Wallet.sendTransaction({ to: b?.address as Hex, value: parseEther('0.001') })
      await l2Public.waitForTransactionReceipt({ hash, pollingInterval: 20 })
      await initiateWithdrawal({ walletClient: l2Wallet, publicClient: l2Public }, { amount: 1n })
      await devnet.node.sequencer.sealNow()
      await devnet.node.batcher.postPending(true)
      posted++
    }
    const result: RestartPoint[] = []
    for (const target of points) {
      // The checkpoint is saved a few batches before the point, as when a node stops and the chain goes on.
      const lag = Math.min(5, target)
      while (posted < target - lag) await post()
      const saver = new Derivation({ ...modules, checkpointStore: store })
      await saver.start()
      await saver.sync()
      await saver.stop()
      const savedBatches = saver.batches.length
      while (posted < target) await post()
      await devnet.node.derivation.sync()
      const full = await timed(new Derivation(modules))
      const resumed = new Derivation({ ...modules, checkpointStore: store })
      const fromCheckpoint = await timed(resumed)
      const started = resumed.startedFrom
      if (started.from !== 'checkpoint') throw new Error(`the restart did not resume: ${started.reason}`)
      const l1Blocks = Number(await devnet.l1.publicClient.getBlockNumber({ cacheTime: 0 }))
      result.push({
        batches: resumed.batches.length,
        l1Blocks,
        fromDeploymentSeconds: Number(full.toFixed(3)),
        fromCheckpointSeconds: Number(fromCheckpoint.toFixed(3)),
        checkpointLoadMs: started.loadMs,
        batchesAfterCheckpoint: resumed.batches.length - savedBatches,
      })
      log(
        `   ${resumed.batches.length} batches (${l1Blocks} L1 blocks): ready in ${full.toFixed(2)} s from the deployment, ${fromCheckpoint.toFixed(2)} s from the checkpoint (load ${started.loadMs} ms, ${resumed.batches.length - savedBatches} batches after it)`,
      )
    }
    return result
  } finally {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
    await devnet.stop()
  }
}
