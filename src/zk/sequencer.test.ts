import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { openStore } from '../node/store.ts'
import { loadZkCrypto } from './protocol/crypto.ts'
import { nextPriorityHash, OpType, type PriorityRequest } from './protocol/ops.ts'
import { ZkSequencer } from './sequencer.ts'
import { ZkStore } from './store.ts'
import { depositRequest, signTx, testUser } from './testing/fixtures.ts'

beforeAll(loadZkCrypto)

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

async function open(dir: string): Promise<ZkStore> {
  return new ZkStore(await openStore({ path: dir }))
}

async function addRequest(store: ZkStore, request: PriorityRequest): Promise<void> {
  const index = store.requestCount()
  const hashAfter = nextPriorityHash(store.chainHashBefore(index), request)
  await store.requests.put(index, { index, request, hashAfter, expiry: 0, l1BlockNumber: 1n, l1TxHash: '0x' })
}

describe('ZkSequencer', () => {
  it('soft-confirms, seals blocks of N chunks, and restarts without losing anything acknowledged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zkseq-'))
    dirs.push(dir)
    const alice = testUser('alice')
    const bob = testUser('bob')
    let store = await open(dir)
    await addRequest(store, depositRequest(alice.address, 0, 1000n, alice.pkHash))
    await addRequest(store, depositRequest(bob.address, 0, 10n, bob.pkHash))
    let seq = new ZkSequencer({ chunks: 3, depth: 4, blockTimeMs: 60_000, maxBlockDelayMs: 0 }, { store })
    await seq.start()
    expect(seq.softState().account(0).balances[0]).toBe(1000n)
    expect(seq.softState().account(1).owner).toBe(bob.address)
    const t1 = await seq.submit(
      signTx(alice, { type: OpType.transfer, from: 0, to: 1, token: 0, amount: 100n, nonce: 0 }),
    )
    await expect(
      seq.submit(signTx(alice, { type: OpType.transfer, from: 0, to: 1, token: 0, amount: 100n, nonce: 0 })),
    ).rejects.toMatchObject({ code: 'NONCE_TOO_LOW' })
    await seq.submit(
      signTx(bob, {
        type: OpType.withdraw,
        from: 1,
        token: 0,
        amount: 50n,
        nonce: 0,
        toAddress: bob.address,
      }),
    )
    await seq.tick()
    // 2 deposits + transfer = 3 chunks → block 1; the withdrawal (3 chunks) → block 2
    expect(seq.sealedBlockCount()).toBe(2)
    expect(store.blocks.get(1)?.txHashes).toEqual([t1.hash])
    expect(store.blocks.get(2)?.withdrawals).toEqual([{ address: bob.address, token: 0, amount: 50n }])
    expect(store.jobs.get(2)?.status).toBe('queued')
    await seq.submit(signTx(alice, { type: OpType.transfer, from: 0, to: 1, token: 0, amount: 7n, nonce: 1 }))
    const root = seq.softState().root()
    await seq.stop()
    await store.store.close()

    store = await open(dir)
    seq = new ZkSequencer({ chunks: 3, depth: 4, blockTimeMs: 60_000 }, { store })
    await seq.start()
    expect(seq.softState().root()).toBe(root)
    expect(seq.pendingCount()).toBe(1)
    expect(seq.sealedState().root()).toBe(store.blocks.get(2)?.newRoot)
    // blocks 1 and 2 wait for a prover: a partly filled block waits to fill up (maxBlockDelayMs)
    await seq.tick()
    expect(seq.sealedBlockCount()).toBe(2)
    await seq.stop()
    seq = new ZkSequencer({ chunks: 3, depth: 4, blockTimeMs: 60_000, maxBlockDelayMs: 0 }, { store })
    await seq.start()
    await seq.tick()
    expect(seq.sealedBlockCount()).toBe(3)
    expect(store.blocks.get(3)?.pBefore).toBe(store.blocks.get(2)?.pAfter)
    await seq.stop()
    await store.store.close()
  })
})
