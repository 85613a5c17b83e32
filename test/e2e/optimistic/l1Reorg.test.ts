/**
 * L1 reorgs on a real anvil (`anvil_reorg` keeps the height with new blocks, `anvil_rollback` shortens the chain),
 * 1, 8 and 64 blocks deep: batches and proposals on the dropped blocks are posted and proposed again, the
 * verifier's safe head equals the sequencer's, and every derivation equals one that never saw the old branch.
 * Deposits: with confirmations a reorged deposit is never included; without, an included one that is reorged
 * away is reported loudly.
 */

import { pino } from 'pino'
import { createWalletClient, encodeFunctionData, type Hex, http, parseEther, toHex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rollupAbi } from '../../../src/generated/contracts.ts'
import { ANVIL_DEV_ACCOUNTS } from '../../../src/l1/anvil.ts'
import { silentLogger } from '../../../src/node/logger.ts'
import { Derivation } from '../../../src/optimistic/derivation.ts'
import { type Devnet, type DevnetOptions, startDevnet } from '../../../src/optimistic/devnet.ts'
import { depositEth } from '../../../src/sdk/optimistic/depositEth.ts'
import { clientsFor, until } from './helpers.ts'

type LogLine = { level: number; msg: string; [k: string]: unknown }

/** A devnet like `testDevnet`, with its warnings and errors captured. */
async function reorgDevnet(options: Partial<DevnetOptions>, lines: LogLine[]): Promise<Devnet> {
  const logger = pino({ level: 'warn' }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) })
  return startDevnet(
    {
      rpcPort: 0,
      devAccounts: 2,
      challengeWindowSeconds: 2n,
      sequencer: { blockTimeMs: 100, l1PollIntervalMs: 100 },
      // Blocks are posted by the test (postPending(true)); only re-posts after a reorg happen by themselves.
      batcher: { dataMode: 'blob', intervalMs: 200, maxBatchAgeMs: 3_600_000, targetBatchBytes: 10_000_000 },
      proposer: { intervalMs: 200 },
      ...options,
    },
    { logger },
  )
}

function l1Rpc(devnet: Devnet, method: string, params: unknown[]): Promise<unknown> {
  return devnet.l1.publicClient.request({ method, params } as never)
}

const l1Head = (devnet: Devnet) => devnet.l1.publicClient.getBlockNumber({ cacheTime: 0 })

/** What a derivation concluded, in comparable form. */
function summary(d: Derivation) {
  return {
    safeHead: { number: d.safeHead.number, hash: d.safeHead.hash, stateRoot: d.safeHead.stateRoot },
    stateRoot: d.state.stateRoot(),
    deposits: d.deposits.length,
    tokens: d.tokens.length,
    batches: d.batches.map((b) => ({
      batchIndex: b.batchIndex,
      valid: b.valid,
      firstBlock: b.firstBlock,
      blockCount: b.blockCount,
      stateRoot: b.stateRoot,
      l1TxHash: b.l1TxHash,
      l1BlockHash: b.l1BlockHash,
    })),
    proposals: d.proposals.map((p) => ({
      proposalIndex: p.proposalIndex,
      batchIndex: p.batchIndex,
      stateRoot: p.stateRoot,
      deleted: p.deleted,
      agrees: p.agrees,
      proposedAt: p.proposedAt,
      l1BlockHash: p.l1BlockHash,
    })),
  }
}

describe('L1 reorgs: batches and proposals', () => {
  let devnet: Devnet
  const lines: LogLine[] = []

  beforeAll(async () => {
    devnet = await reorgDevnet({}, lines)
  })
  afterAll(async () => {
    await devnet?.stop()
  })

  const node = () => devnet.node
  const verifier = () => {
    const v = devnet.node.verifier
    if (!v) throw new Error('no verifier')
    return v
  }
  const logged = (msg: RegExp, since: number) => lines.slice(since).filter((l) => msg.test(l.msg))

  /** One L2 transfer, sealed into a block. */
  async function l2Activity(): Promise<void> {
    const [a, b] = devnet.accounts
    const alice = clientsFor(devnet, a?.privateKey as Hex)
    const hash = await alice.l2Wallet.sendTransaction({ to: b?.address as Hex, value: parseEther('0.01') })
    await alice.l2Public.waitForTransactionReceipt({ hash, pollingInterval: 50 })
    await node().sequencer.sealNow()
  }

  /** The live proposal on the canonical chain (read from the contract). */
  async function liveProposalOnL1() {
    const client = devnet.l1.publicClient
    const [exists, index] = await client.readContract({
      address: devnet.contracts.rollup,
      abi: rollupAbi,
      functionName: 'lastLiveProposal',
    })
    if (!exists) return undefined
    // two "latest" reads: under load a reorg or a state change can land between them (seen once in ~10 runs as
    // UnknownProposal for the index just read); callers poll, so a torn read counts as "not yet"
    const p = await client
      .readContract({
        address: devnet.contracts.rollup,
        abi: rollupAbi,
        functionName: 'getProposal',
        args: [index],
      })
      .catch(() => undefined)
    if (p === undefined) return undefined
    return { index, ...p }
  }

  /**
   * Waits until every sealed block is in a posted batch, the verifier derived them all and a live proposal
   * covers the newest batch; then checks the roots and that every derivation equals a fresh one.
   */
  async function expectConverged(): Promise<void> {
    const head = node().sequencer.head
    const v = verifier()
    let lag = ''
    const { latest } = await until(
      async () => {
        await Promise.all([node().derivation.sync(), v.sync()])
        const last = node().store.lastBatch()
        const latest = v.latestBatch()
        const live = v.latestLiveProposal()
        lag = JSON.stringify(
          {
            head: head.number,
            posted: last ? last.firstBlock + BigInt(last.blockCount) - 1n : null,
            safe: [node().derivation.safeHead.number, v.safeHead.number],
            latestBatch: latest?.batchIndex ?? null,
            liveProposal: [
              node().derivation.latestLiveProposal()?.batchIndex ?? null,
              live?.batchIndex ?? null,
            ],
            l1: [node().derivation.l1Position?.blockNumber ?? null, v.l1Position?.blockNumber ?? null],
          },
          (_k, x) => (typeof x === 'bigint' ? x.toString() : x),
        )
        if (!last || last.firstBlock + BigInt(last.blockCount) - 1n < head.number) return false
        if (v.safeHead.number !== head.number || node().derivation.safeHead.number !== head.number)
          return false
        if (!latest || !live || live.batchIndex !== latest.batchIndex) return false
        if (node().derivation.latestLiveProposal()?.batchIndex !== latest.batchIndex) return false
        return { latest, live }
      },
      20_000,
      'batcher, proposer and verifier to converge',
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}: ${lag}`)
    })
    expect(v.safeHead.stateRoot).toBe(head.stateRoot)
    expect(v.safeHead.hash).toBe(head.hash)
    expect(node().derivation.safeHead.hash).toBe(head.hash)
    const onL1 = await liveProposalOnL1()
    expect(onL1?.batchIndex).toBe(latest.batchIndex)
    expect(onL1?.stateRoot).toBe(head.stateRoot)
    expect(v.proposals.every((p) => p.agrees === true)).toBe(true)
    // Nothing posted twice: every batch on the canonical chain derives.
    expect(v.batches.every((b) => b.valid)).toBe(true)
    // The challenger followed the reorgs too: it judges every live proposal right and never challenged one.
    const challenger = node().challenger
    expect(challenger).toBeDefined()
    for (const p of v.proposals.filter((q) => !q.deleted))
      expect(await challenger?.evaluate(p)).toEqual({ ok: true })
    expect(challenger?.results).toEqual([])

    // Same conclusions as a derivation that never saw the old branch.
    const fresh = new Derivation({
      chain: devnet.chain,
      contracts: devnet.contracts,
      publicClient: devnet.l1.publicClient,
      logger: silentLogger,
      pollingIntervalMs: 100,
    })
    await fresh.start()
    try {
      await fresh.sync()
      await Promise.all([node().derivation.sync(), v.sync()])
      expect(summary(v)).toEqual(summary(fresh))
      expect(summary(node().derivation)).toEqual(summary(fresh))
    } finally {
      await fresh.stop()
    }
  }

  /** Every batch the batcher recorded is in a block of the canonical chain, and they cover the sequencer head. */
  async function allBatchesCanonical(): Promise<boolean> {
    const batches = node().store.listBatches()
    const last = batches.at(-1)
    if (!last || last.firstBlock + BigInt(last.blockCount) - 1n < node().sequencer.head.number) return false
    for (const b of batches) {
      const block = await devnet.l1.publicClient
        .getBlock({ blockNumber: b.l1BlockNumber })
        .catch(() => undefined)
      if (b.l1BlockHash === undefined || block?.hash !== b.l1BlockHash) return false
    }
    return true
  }

  /** Posts one batch and waits for the proposer to cover it on L1. */
  async function batchAndProposal(): Promise<void> {
    await l2Activity()
    const [posted] = await node().batcher.postPending(true)
    if (!posted) throw new Error('nothing posted')
    await until(
      async () => ((await liveProposalOnL1())?.batchIndex ?? -1n) >= posted.batchIndex,
      15_000,
      'the proposal of the new batch',
    )
    await proposerSawItsReceipt(posted.batchIndex)
  }

  /**
   * The proposer's send returned (the TxManager saw the receipt). Reorging a transaction away while its
   * TxManager still waits for the receipt leaves that send waiting until it re-broadcasts (24 s) and meets its
   * nonce reused: a TxManager limit (src/l1) that the test keeps out of its timing.
   */
  async function proposerSawItsReceipt(batchIndex: bigint): Promise<void> {
    await until(
      () => (node().proposer.posted.at(-1)?.batchIndex ?? -1n) >= batchIndex,
      15_000,
      'the proposer',
    )
  }

  it('starts converged', async () => {
    await batchAndProposal()
    await expectConverged()
  })

  it('depth 1 (anvil_reorg): a dropped batch is reposted, then a dropped proposal is made again', async () => {
    const since = lines.length
    // The batch alone on the reorged block: hold the proposer back until it is gone.
    await node().proposer.stop()
    await l2Activity()
    const [posted] = await node().batcher.postPending(true)
    expect(await l1Head(devnet)).toBe(posted?.l1BlockNumber)
    const replacement = {
      from: ANVIL_DEV_ACCOUNTS[9]?.address,
      to: ANVIL_DEV_ACCOUNTS[8]?.address,
      value: '0x1',
    }
    await l1Rpc(devnet, 'anvil_reorg', [1, [[replacement, 0]]])
    // The batcher notices by itself (derivation's reorg or its next round) and posts the blocks again.
    await until(
      async () => {
        const last = node().store.lastBatch()
        return (
          last && last.batchIndex === posted?.batchIndex && last.l1BlockNumber > (posted?.l1BlockNumber ?? 0n)
        )
      },
      15_000,
      'the dropped batch to be reposted',
    )
    expect(logged(/batch dropped by an L1 reorg/, since).length).toBeGreaterThan(0)
    await node().proposer.start()
    await until(
      async () => (await liveProposalOnL1())?.batchIndex === posted?.batchIndex,
      15_000,
      'the proposal',
    )
    await proposerSawItsReceipt(posted?.batchIndex ?? 0n)
    await expectConverged()

    // Now the proposal alone on the newest block.
    expect(await l1Head(devnet)).toBe(verifier().latestLiveProposal()?.l1BlockNumber)
    await l1Rpc(devnet, 'anvil_reorg', [1, []])
    expect((await liveProposalOnL1())?.batchIndex).toBe((posted?.batchIndex ?? 0n) - 1n)
    await until(
      async () => {
        const p = await liveProposalOnL1()
        // Right after the reorg the live proposal is the previous batch's again.
        return p && p.batchIndex === posted?.batchIndex
      },
      15_000,
      'the dropped proposal to be made again',
    )
    await expectConverged()
    expect(logged(/proposal dropped by an L1 reorg/, since).length).toBeGreaterThan(0)
  })

  for (const [depth, how] of [
    [8, 'anvil_rollback'],
    [64, 'anvil_reorg'],
  ] as const) {
    it(`depth ${depth} (${how}): two batches and two proposals are reposted and re-proposed`, async () => {
      if (depth === 64) {
        // Derivation checkpoints every 32 L1 blocks (when there are new logs): make one exist before the
        // ancestor, so the rebuild restores it instead of replaying from genesis.
        await l1Rpc(devnet, 'anvil_mine', ['0x28'])
        await batchAndProposal()
        await Promise.all([node().derivation.sync(), verifier().sync()])
      }
      const since = lines.length
      const ancestor = await l1Head(devnet)
      const batchesBefore = node().store.listBatches().length
      await batchAndProposal()
      await batchAndProposal()
      const dropped = node().store.listBatches().slice(batchesBefore)
      expect(dropped.length).toBe(2)
      const tip = await l1Head(devnet)
      expect(tip - ancestor).toBeLessThanOrEqual(BigInt(depth))
      await l1Rpc(devnet, 'anvil_mine', [`0x${(ancestor + BigInt(depth) - tip).toString(16)}`])
      expect(await l1Head(devnet)).toBe(ancestor + BigInt(depth))
      // Both derivations have seen every block that is about to go: they follow a reorg of the full depth.
      await Promise.all([node().derivation.sync(), verifier().sync()])
      if (how === 'anvil_rollback') await l1Rpc(devnet, how, [depth])
      else await l1Rpc(devnet, how, [depth, []])
      // Everything from `ancestor + 1` on is gone, so both batches and both proposals were dropped.
      await until(
        () => logged(/batch dropped by an L1 reorg/, since).length === 2,
        10_000,
        'the batcher to notice',
      )
      await until(allBatchesCanonical, 20_000, 'the blocks to be reposted')
      await expectConverged()
      // The dropped blocks are on L1 again (in one batch or more), each exactly once.
      const reposted = node().store.listBatches().slice(batchesBefore)
      const blocks = (bs: typeof dropped) =>
        bs.flatMap((b) => Array.from({ length: b.blockCount }, (_, i) => b.firstBlock + BigInt(i)))
      expect(blocks(reposted)).toEqual(blocks(dropped))
      expect(reposted.every((b) => b.l1BlockNumber > ancestor)).toBe(true)
      const reorgLines = logged(/L1 reorg: re-deriving/, since)
      expect(reorgLines.map((l) => l.component).sort()).toEqual(['derivation', 'verifier'])
      for (const line of reorgLines) {
        expect(line.commonAncestor).toBe(ancestor.toString())
        expect(line.depth).toBe(String(depth))
        expect(line.droppedBatches).toEqual(dropped.map((b) => b.batchIndex.toString()))
        expect(line.replayFrom).toMatch(depth === 64 ? /^checkpoint at L1 block/ : /.+/)
      }
      expect(logged(/proposal dropped by an L1 reorg/, since).length).toBe(2)
    })
  }

  it('adopts a batch of its blocks that L1 holds but its record lacks, instead of posting them twice', async () => {
    const since = lines.length
    await l2Activity()
    const plan = node().batcher.planBatch(true)
    if (!plan) throw new Error('nothing to post')
    const last = plan.blocks.at(-1)
    // As if a send had timed out and mined later: the batch is on L1, the batcher never recorded it.
    const sent = await node().txManager.send({
      to: devnet.contracts.rollup,
      data: encodeFunctionData({
        abi: rollupAbi,
        functionName: 'appendBatchCalldata',
        args: [
          plan.batch.firstBlockNumber,
          plan.blocks.length,
          last?.depositCountAfter ?? 0n,
          toHex(plan.data),
        ],
      }),
    })
    expect(await node().batcher.postPending(true)).toEqual([])
    expect(node().store.lastBatch()?.l1TxHash).toBe(sent.txHash)
    expect(logged(/adopted a batch of ours/, since).length).toBe(1)
    await expectConverged()
  })

  it('reports loudly a deposit the sequencer included and a reorg removed (depositConfirmations 0)', async () => {
    const since = lines.length
    const depositor = clientsFor(devnet, ANVIL_DEV_ACCOUNTS[7]?.privateKey as Hex)
    const recipient = privateKeyToAccount(ANVIL_DEV_ACCOUNTS[6]?.privateKey as Hex).address
    const before = node().sequencer.state.depositCount
    await depositEth(
      { walletClient: depositor.l1Wallet, publicClient: depositor.l1Public },
      { portal: devnet.contracts.portal, amount: parseEther('1'), to: recipient },
    )
    await until(() => node().sequencer.state.depositCount > before, 10_000, 'the deposit on L2')
    await node().sequencer.sealNow()
    await l1Rpc(devnet, 'anvil_rollback', [1])
    await until(
      async () => {
        await node().derivation.sync()
        return logged(/REMOVED deposits the sequencer already included/, since)[0]
      },
      10_000,
      'the loud report',
    )
    const report = logged(/REMOVED deposits the sequencer already included/, since)[0]
    expect(report?.level).toBe(50)
    expect(report?.lost).toBe(`${before}..${before}`)
    // Derivation and the verifier follow L1, which has no such deposit.
    await verifier().sync()
    expect(BigInt(verifier().deposits.length)).toBe(before)
    expect(BigInt(node().derivation.deposits.length)).toBe(before)
    // L1 refuses the diverged blocks, and the batcher says why.
    await expect(node().batcher.postPending(true)).rejects.toThrow(/DepositCountTooHigh/)
    expect(logged(/include deposits the portal no longer has/, since)[0]?.level).toBe(50)
  })
})

describe('L1 reorgs: deposits wait for confirmations', () => {
  let devnet: Devnet
  const lines: LogLine[] = []

  beforeAll(async () => {
    devnet = await reorgDevnet(
      { devAccounts: 0, sequencer: { blockTimeMs: 100, l1PollIntervalMs: 100, depositConfirmations: 2 } },
      lines,
    )
  })
  afterAll(async () => {
    await devnet?.stop()
  })

  it('never includes a deposit a reorg removed before it was deep enough, and includes the next one', async () => {
    const node = devnet.node
    const key = ANVIL_DEV_ACCOUNTS[5]?.privateKey as Hex
    const account = privateKeyToAccount(key)
    const l1 = {
      walletClient: createWalletClient({
        account,
        chain: devnet.l1.publicClient.chain,
        transport: http(devnet.l1Rpc),
      }),
      publicClient: devnet.l1.publicClient,
    }
    const first = await depositEth(l1, { portal: devnet.contracts.portal, amount: parseEther('1') })
    expect(first.depositIndex).toBe(0n)
    await node.derivation.sync()
    expect(node.derivation.deposits.length).toBe(1)
    // One block deep only: not stored for the sequencer.
    expect(node.store.depositCount()).toBe(0n)
    await l1Rpc(devnet, 'anvil_rollback', [1])
    await l1Rpc(devnet, 'anvil_mine', ['0x3'])
    await node.derivation.sync()
    await node.sequencer.sealNow()
    expect(node.derivation.deposits.length).toBe(0)
    expect(node.store.depositCount()).toBe(0n)
    expect(node.sequencer.state.depositCount).toBe(0n)

    const second = await depositEth(l1, { portal: devnet.contracts.portal, amount: parseEther('2') })
    expect(second.depositIndex).toBe(0n)
    await l1Rpc(devnet, 'anvil_mine', ['0x2'])
    await until(
      async () => {
        await node.derivation.sync()
        await node.sequencer.sealNow()
        return node.sequencer.state.getBalance(account.address) === parseEther('2')
      },
      10_000,
      'the confirmed deposit on L2',
    )
    expect(node.sequencer.state.depositCount).toBe(1n)
    expect(lines.filter((l) => l.level >= 50)).toEqual([])
  })
})
