/**
 * Long-lived nodes: a derivation with a checkpoint store resumes from its saved checkpoint instead of re-reading
 * L1 from the deployment, and ends exactly where one that derived everything from L1 ends — after more batches,
 * after an L1 reorg deeper than the checkpoint it resumed from, and when the checkpoint's L1 block was reorged
 * away while it was stopped. A prover still gets the proof material of a batch older than the restart.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bytesToHex, type Hex, parseEther } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../../src/node/logger.ts'
import {
  Derivation,
  type DerivationModules,
  type DerivationReorg,
} from '../../../src/optimistic/derivation.ts'
import { DerivationStore } from '../../../src/optimistic/derivationStore.ts'
import type { Devnet } from '../../../src/optimistic/devnet.ts'
import { initiateWithdrawal } from '../../../src/sdk/optimistic/initiateWithdrawal.ts'
import { clientsFor, testDevnet, until } from './helpers.ts'

/** What a derivation concluded, in comparable form. */
function summary(d: Derivation) {
  return {
    safeHead: d.safeHead,
    stateRoot: d.state.stateRoot(),
    withdrawals: d.state.withdrawals.length,
    deposits: [...d.deposits],
    tokens: [...d.tokens],
    forcedTxs: d.forcedTxs.length,
    batches: d.batches.map((b) => ({ ...b })),
    proposals: d.proposals.map((p) => ({ ...p })),
    finalizedWithdrawals: [...d.finalizedWithdrawals].sort(),
  }
}

const hex = (r: unknown): Hex => (typeof r === 'string' ? (r as Hex) : bytesToHex(r as Uint8Array))

describe('derivation restarts from a saved checkpoint', () => {
  let devnet: Devnet
  let dir: string
  let store: DerivationStore

  beforeAll(async () => {
    devnet = await testDevnet({
      devAccounts: 2,
      // Blocks are posted by the test; the proposer proposes each batch.
      batcher: {
        dataMode: 'calldata',
        intervalMs: 200,
        maxBatchAgeMs: 3_600_000,
        targetBatchBytes: 10_000_000,
      },
      proposer: { intervalMs: 200 },
      verifier: false,
      challenger: { enabled: false },
    })
    dir = mkdtempSync(join(tmpdir(), 'l2kit-derivation-'))
    store = await DerivationStore.open(dir)
  })
  afterAll(async () => {
    await store?.close()
    await devnet?.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  const modules = (extra: Partial<DerivationModules> = {}): DerivationModules => ({
    chain: devnet.chain,
    contracts: devnet.contracts,
    publicClient: devnet.l1.publicClient,
    logger: silentLogger,
    pollingIntervalMs: 100,
    checkpointIntervalBlocks: 2,
    ...extra,
  })

  /** One transfer and one withdrawal on L2, posted as a batch; waits for its proposal. */
  async function batch(): Promise<void> {
    const [a, b] = devnet.accounts
    const alice = clientsFor(devnet, a?.privateKey as Hex)
    const h1 = await alice.l2Wallet.sendTransaction({ to: b?.address as Hex, value: parseEther('0.01') })
    await alice.l2Public.waitForTransactionReceipt({ hash: h1, pollingInterval: 50 })
    await initiateWithdrawal(
      { walletClient: alice.l2Wallet, publicClient: alice.l2Public },
      { amount: parseEther('0.001') },
    )
    await devnet.node.sequencer.sealNow()
    const [posted] = await devnet.node.batcher.postPending(true)
    if (!posted) throw new Error('nothing posted')
    await until(
      async () => {
        await devnet.node.derivation.sync()
        return (devnet.node.derivation.latestLiveProposal()?.batchIndex ?? -1n) >= posted.batchIndex
      },
      // Generous: after a deep L1 reorg the devnet re-posts and re-proposes what the reorg dropped first (once,
      // in a fresh-clone run, this took over 15 s).
      45_000,
      'the proposal of the new batch',
    )
  }

  /** A derivation that derives everything from L1 (no store), synced. */
  async function fresh(): Promise<Derivation> {
    const d = new Derivation(modules())
    await d.start()
    await d.sync()
    await d.stop()
    return d
  }

  /** Syncs `d` until it equals a derivation from the deployment (compared after each sync: the devnet may still be posting). */
  async function expectEqualsFresh(d: Derivation): Promise<void> {
    let last: unknown
    await until(
      async () => {
        await d.sync()
        const f = await fresh()
        last = { resumed: summary(d).safeHead, fresh: summary(f).safeHead }
        try {
          expect(summary(d)).toEqual(summary(f))
          return true
        } catch {
          return false
        }
      },
      20_000,
      'the resumed derivation to equal a fresh one',
    ).catch((err: unknown) => {
      throw new Error(
        `${String(err)}: ${JSON.stringify(last, (_k, x) => (typeof x === 'bigint' ? String(x) : x))}`,
      )
    })
    // (No second comparison after the loop: the devnet's proposer may re-propose in between, after a reorg.)
  }

  it('resumes at the L1 block it stopped at, derives the batches after it, and equals a fresh derivation', async () => {
    for (let i = 0; i < 3; i++) await batch()
    const first = new Derivation(modules({ checkpointStore: store }))
    await first.start()
    expect(first.startedFrom.from).toBe('deployment')
    await first.sync()
    await first.stop()
    const stoppedAt = first.l1Position?.blockNumber as bigint
    expect(first.batches.length).toBeGreaterThanOrEqual(3)

    for (let i = 0; i < 2; i++) await batch()
    const second = new Derivation(modules({ checkpointStore: store }))
    await second.start()
    try {
      const started = second.startedFrom
      expect(started).toMatchObject({ from: 'checkpoint', l1Block: stoppedAt, batches: first.batches.length })
      // Before reading L1 again it already holds everything up to the checkpoint.
      expect(second.batches.length).toBe(first.batches.length)
      expect(second.safeHead).toEqual(first.safeHead)
      await expectEqualsFresh(second)
      expect(second.batches.length).toBe(first.batches.length + 2)

      // A prover asking for a batch from before the restart gets its material, rebuilt from L1.
      const material = await second.loadProofMaterial(2n)
      expect(material).toBeDefined()
      expect(hex(material?.preState.stateRoot())).toBe(second.batches[1]?.stateRoot)
      expect(material?.preBlockNumber).toBe(second.batches[1]?.l2BlockNumber)
    } finally {
      await second.stop()
    }
  }, 120_000)

  it('saves checkpoints while running: a copy of its store taken mid-run (what a crash leaves) resumes', async () => {
    const before = store.load()?.l1Block as bigint
    const running = new Derivation(modules({ checkpointStore: store, checkpointPersistIntervalMs: 0 }))
    await running.start()
    const copyDir = mkdtempSync(join(tmpdir(), 'l2kit-derivation-crash-'))
    try {
      await batch()
      await batch()
      await running.sync()
      const saved = store.load()?.l1Block as bigint
      expect(saved).toBeGreaterThan(before)
      // The devnet is quiet (anvil mines only on transactions): no save is under way while the files are copied.
      cpSync(dir, copyDir, { recursive: true })
      const copy = await DerivationStore.open(copyDir)
      const again = new Derivation(modules({ checkpointStore: copy }))
      await again.start()
      try {
        expect(again.startedFrom).toMatchObject({ from: 'checkpoint', l1Block: saved })
        await expectEqualsFresh(again)
      } finally {
        await again.stop()
        await copy.close()
      }
    } finally {
      await running.stop()
      rmSync(copyDir, { recursive: true, force: true })
    }
  }, 120_000)

  it('follows an L1 reorg deeper than the checkpoint it resumed from by deriving again from the deployment', async () => {
    for (let i = 0; i < 3; i++) await batch()
    const d = new Derivation(modules({ checkpointStore: store }))
    await d.start()
    await d.sync()
    await d.stop()
    const reorgs: DerivationReorg[] = []
    const resumed = new Derivation(modules({ checkpointStore: store, onReorg: (e) => void reorgs.push(e) }))
    await resumed.start()
    try {
      const base = (resumed.startedFrom as { l1Block: bigint }).l1Block
      const head = await devnet.l1.publicClient.getBlockNumber({ cacheTime: 0 })
      // Replace every block from 3 before the checkpoint: the batch and proposal transactions in them are gone
      // (the devnet's batcher and proposer post them again).
      const depth = Number(head - base) + 3
      await devnet.l1.publicClient.request({ method: 'anvil_reorg', params: [depth, []] } as never)
      await expectEqualsFresh(resumed)
      expect(reorgs.at(-1)?.commonAncestor).toBeLessThan(base)
      // The batches before the reorged blocks are kept (derived again from L1), and it goes on after.
      expect(resumed.batches.length).toBeGreaterThanOrEqual(2)
      await batch()
      await expectEqualsFresh(resumed)
    } finally {
      await resumed.stop()
    }
  }, 120_000)

  it('derives from the deployment when the saved checkpoint L1 block was reorged away while stopped', async () => {
    await batch()
    const d = new Derivation(modules({ checkpointStore: store }))
    await d.start()
    await d.sync()
    await d.stop()
    await devnet.l1.publicClient.request({ method: 'anvil_reorg', params: [2, []] } as never)
    const again = new Derivation(modules({ checkpointStore: store }))
    await again.start()
    try {
      expect(again.startedFrom).toMatchObject({ from: 'deployment' })
      expect((again.startedFrom as { reason: string }).reason).toMatch(/no longer canonical/)
      await expectEqualsFresh(again)
    } finally {
      await again.stop()
    }
  }, 120_000)
})
