/**
 * The operator RPC under fire: 10,000+ malformed requests (random JSON, mutated valid transactions, bad
 * signatures, wrong nonces, over-balance amounts, unknown accounts and tokens) each get a JSON-RPC error with a
 * code and a message; nothing crashes and the state changes only for the valid transactions sent in between.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../core/logger.ts'
import { RpcServer } from '../node/rpcServer.ts'
import { openStore } from '../node/store.ts'
import { loadZkCrypto } from './protocol/crypto.ts'
import { nextPriorityHash, OpType, type PriorityRequest } from './protocol/ops.ts'
import { zkTxToJson } from './protocol/txJson.ts'
import { createZkRpcMethods } from './rpc.ts'
import { ZkSequencer } from './sequencer.ts'
import { ZkStore } from './store.ts'
import { depositRequest, signTx, testUser } from './testing/fixtures.ts'

let dir: string
let store: ZkStore
let sequencer: ZkSequencer
let server: RpcServer
let url: string

async function addRequest(request: PriorityRequest): Promise<void> {
  const index = store.requestCount()
  const hashAfter = nextPriorityHash(store.chainHashBefore(index), request)
  await store.requests.put(index, { index, request, hashAfter, expiry: 0, l1BlockNumber: 1n, l1TxHash: '0x' })
}

beforeAll(async () => {
  await loadZkCrypto()
  dir = mkdtempSync(join(tmpdir(), 'zkrpc-'))
  store = new ZkStore(await openStore({ path: dir }))
  const alice = testUser('alice')
  const bob = testUser('bob')
  await addRequest(depositRequest(alice.address, 0, 1_000_000n, alice.pkHash))
  await addRequest(depositRequest(bob.address, 0, 10n, bob.pkHash))
  sequencer = new ZkSequencer({ chunks: 8, depth: 8, blockTimeMs: 60_000, maxPending: 100_000 }, { store })
  await sequencer.start()
  server = new RpcServer({ port: 0, maxBatchSize: 1000 }, { logger: silentLogger })
  const methods = createZkRpcMethods({
    chainId: 31337,
    sequencer,
    store,
    rpc: server,
    l1Status: () => ({ committed: 0, verified: 0, exodus: false }),
    info: () => ({ family: 'zk' }),
  })
  for (const [name, handler] of Object.entries(methods)) server.register(name, handler)
  url = await server.start()
})

afterAll(async () => {
  await server?.stop()
  await sequencer?.stop()
  await store?.store.close()
  rmSync(dir, { recursive: true, force: true })
})

async function post(body: string): Promise<unknown> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  return res.json()
}

/** A deterministic PRNG so a failure reproduces. */
function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

describe('zk operator RPC', () => {
  it('answers l2kit_family and accounts', async () => {
    expect(
      await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'l2kit_family', params: [] })),
    ).toMatchObject({
      result: { family: 'zk' },
    })
    const r = (await post(
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'zk_getAccount', params: [0] }),
    )) as {
      result: { balances: string[] }
    }
    expect(r.result.balances[0]).toBe('1000000')
  })

  it('survives 10,000 malformed requests with typed errors and no state change', async () => {
    const alice = testUser('alice')
    const random = rng(42)
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T
    const junk: unknown[] = [
      null,
      true,
      0,
      -1,
      1.5,
      2 ** 60,
      '',
      'x',
      '0x',
      '-5',
      '1e9',
      [],
      {},
      [[]],
      { a: 1 },
      '9'.repeat(90),
    ]
    const valid = zkTxToJson(
      signTx(alice, { type: OpType.transfer, from: 0, to: 1, token: 0, amount: 5n, nonce: 0 }),
    )
    const fields = Object.keys(valid) as (keyof typeof valid)[]
    const mutate = (): unknown => {
      const tx: Record<string, unknown> = structuredClone(valid)
      const kind = random()
      if (kind < 0.3) tx[pick(fields)] = pick(junk)
      else if (kind < 0.4) delete tx[pick(fields)]
      else if (kind < 0.5) tx[`extra${Math.floor(random() * 3)}`] = 1
      else if (kind < 0.6)
        tx.amount = String(10n ** 7n + BigInt(Math.floor(random() * 1000))) // over balance
      else if (kind < 0.7)
        tx.nonce = 1 + Math.floor(random() * 10) // nonce too high
      else if (kind < 0.8)
        tx.to = 2 + Math.floor(random() * 200) // unknown account
      else if (kind < 0.85)
        tx.token = 4 + Math.floor(random() * 10) // unknown token
      else if (kind < 0.95)
        (tx.signature as Record<string, string>).s = String(BigInt((valid.signature as { s: string }).s) + 1n)
      else tx.type = pick(['deposit', 'fullExit', 'TRANSFER', 7])
      return tx
    }
    const methods = [
      'zk_sendTransaction',
      'zk_getAccount',
      'zk_getTransaction',
      'zk_getBlock',
      'zk_getAccountsByOwner',
      'zk_nope',
    ]
    const root = sequencer.softState().root()
    let errors = 0
    let accepted = 0
    const total = 10_200
    for (let sent = 0; sent < total; sent += 200) {
      const batch = []
      for (let i = 0; i < 200; i++) {
        const method = random() < 0.8 ? 'zk_sendTransaction' : pick(methods)
        const params =
          method === 'zk_sendTransaction' ? (random() < 0.9 ? [mutate()] : pick(junk)) : [pick(junk)]
        batch.push({ jsonrpc: '2.0', id: sent + i, method, params })
      }
      const answers = (await post(JSON.stringify(batch))) as {
        id: number
        error?: { code: number; message: string }
        result?: unknown
      }[]
      expect(answers).toHaveLength(200)
      for (const a of answers) {
        if (a.error) {
          errors++
          expect(typeof a.error.code).toBe('number')
          expect(a.error.message.length).toBeGreaterThan(5)
        } else {
          // reads answer (null for unknown things); a send succeeds only if the "mutation" left the one valid
          // transaction intact (e.g. nonce replaced by 0), and only once: its nonce is then used
          expect(a.result === null || typeof a.result === 'object').toBe(true)
          if ((a.result as { status?: string } | null)?.status === 'soft') accepted++
        }
      }
    }
    expect(errors).toBeGreaterThan(total * 0.8)
    // raw garbage bodies too
    for (const body of ['{', '[', 'null', '{"jsonrpc":"2.0"}', '\u0000\u0001', '[1,2,3]']) {
      const a = (await post(body)) as { error?: { code: number } } | { error?: { code: number } }[]
      const first = Array.isArray(a) ? a[0] : a
      expect(first?.error?.code).toBeTypeOf('number')
    }
    expect(accepted).toBeLessThanOrEqual(1)
    if (accepted === 0) expect(sequencer.softState().root()).toBe(root)
    expect(sequencer.softState().account(0).nonce).toBe(accepted)
    expect(sequencer.softState().account(1).balances[0]).toBe(10n + 5n * BigInt(accepted))
    expect(sequencer.pendingCount()).toBe(2 + accepted) // the two deposits and at most the one valid transfer
    // and the node still takes a valid transaction
    const next = zkTxToJson(
      signTx(alice, { type: OpType.transfer, from: 0, to: 1, token: 0, amount: 5n, nonce: accepted }),
    )
    const ok = (await post(
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'zk_sendTransaction', params: [next] }),
    )) as {
      result: { hash: string; status: string }
    }
    expect(ok.result.status).toBe('soft')
    expect(sequencer.softState().account(1).balances[0]).toBe(15n + 5n * BigInt(accepted))
  }, 120_000)
})
