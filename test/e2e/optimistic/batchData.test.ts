/**
 * Batch data paths: the batcher picks calldata when live prices make it cheaper, derivation rebuilds the
 * same state from calldata, and a malformed batch on L1 is skipped with a logged reason, never a crash.
 */
import { encodeFunctionData, type Hex, parseEther } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rollupAbi } from '../../../src/generated/contracts.ts'
import type { Devnet } from '../../../src/optimistic/devnet.ts'
import { clientsFor, testDevnet, until } from './helpers.ts'

describe('batch data on L1', () => {
  let devnet: Devnet

  beforeAll(async () => {
    // A near-zero execution base fee makes a blob's fixed 131,072 blob gas the dearer way to post a small batch.
    devnet = await testDevnet({
      devAccounts: 2,
      anvilArgs: ['--base-fee', '1'],
      batcher: { dataMode: 'auto', intervalMs: 200, maxBatchAgeMs: 3_600_000, targetBatchBytes: 10_000_000 },
    })
  })
  afterAll(async () => {
    await devnet?.stop()
  })

  async function verifierCaughtUp() {
    const verifier = devnet.node.verifier
    if (!verifier) throw new Error('no verifier')
    const head = devnet.node.sequencer.head
    await until(
      async () => {
        await verifier.sync()
        return verifier.safeHead.number >= head.number
      },
      30_000,
      'verifier to reach the sequencer head',
    )
    expect(verifier.derivedBlock(head.number)?.stateRoot).toBe(head.stateRoot)
    return verifier
  }

  it('falls back to calldata when it is cheaper at live prices, and derives it the same', async () => {
    const [a, b] = devnet.accounts
    const alice = clientsFor(devnet, a?.privateKey as Hex)
    const hash = await alice.l2Wallet.sendTransaction({ to: b?.address as Hex, value: parseEther('0.5') })
    await alice.l2Public.waitForTransactionReceipt({ hash, pollingInterval: 50 })
    await devnet.node.sequencer.sealNow()
    const plan = devnet.node.batcher.planBatch(true)
    if (!plan) throw new Error('nothing to post')
    const choice = await devnet.node.batcher.chooseDataMode(plan)
    expect(choice.mode).toBe('calldata')
    expect(choice.calldataCostWei).toBeLessThan(choice.blobCostWei as bigint)
    const [posted] = await devnet.node.batcher.postPending(true)
    expect(posted?.isBlob).toBe(false)
    expect(posted?.blobHashes).toEqual([])
    await verifierCaughtUp()
  })

  it('skips a malformed batch with a logged reason and keeps deriving the batches after it', async () => {
    const verifier = await verifierCaughtUp()
    const next = devnet.node.sequencer.head.number + 1n
    const deposits = devnet.node.sequencer.head.depositCountAfter
    // The operator key is the registered batcher: post garbage through the node's own tx manager.
    await devnet.node.txManager.send({
      to: devnet.contracts.rollup,
      data: encodeFunctionData({
        abi: rollupAbi,
        functionName: 'appendBatchCalldata',
        args: [next, 1, deposits, '0x01deadbeefcafe'],
      }),
    })
    const garbageIndex = BigInt(devnet.node.store.listBatches().length)
    await until(
      async () => {
        await verifier.sync()
        return verifier.batches[Number(garbageIndex)]
      },
      30_000,
      'the garbage batch to be seen',
    )
    const record = verifier.batches[Number(garbageIndex)]
    expect(record?.valid).toBe(false)
    expect(record?.reason).toMatch(/shorter than the 27-byte header/)
    // Honest batches after it still derive (the garbage took no block numbers).
    const [a, b] = devnet.accounts
    const bob = clientsFor(devnet, b?.privateKey as Hex)
    const hash = await bob.l2Wallet.sendTransaction({ to: a?.address as Hex, value: parseEther('0.1') })
    await bob.l2Public.waitForTransactionReceipt({ hash, pollingInterval: 50 })
    await devnet.node.sequencer.sealNow()
    // The batcher's view of the next block is its own record, so it must also learn that index moved on.
    const posted = await devnet.node.batcher.postPending(true)
    expect(posted.length).toBe(1)
    await verifierCaughtUp()
  })
})
