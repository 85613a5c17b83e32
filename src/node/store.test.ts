import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { isL2kitError } from '../core/errors.ts'
import { openStore, type Store } from './store.ts'

const dir = mkdtempSync(join(tmpdir(), 'l2kit-store-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let counter = 0
const freshPath = () => join(dir, `db${counter++}`)

async function codeOf(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn()
  } catch (e) {
    return isL2kitError(e) ? e.code : `not an L2kitError: ${String(e)}`
  }
  return undefined
}

async function withStore<T>(fn: (store: Store) => Promise<T>, path = freshPath()): Promise<T> {
  const store = await openStore({ path })
  try {
    return await fn(store)
  } finally {
    await store.close()
  }
}

describe('Store', () => {
  it('round-trips plain data with bigints and bytes in msgpack and json', async () => {
    await withStore(async (store) => {
      const value = {
        amount: 2n ** 255n + 1n,
        small: 5n,
        negative: -(2n ** 70n),
        nonce: 3,
        root: new Uint8Array([1, 2, 3]),
        list: ['a', { deep: 1n }],
        none: null,
      }
      for (const encoding of ['msgpack', 'json'] as const) {
        const db = store.db<typeof value>(`v-${encoding}`, { encoding })
        await db.put('k', value)
        const back = db.get('k')
        expect(back, encoding).toEqual(value)
        expect(back?.root, encoding).toBeInstanceOf(Uint8Array)
        expect(db.get('missing')).toBeUndefined()
      }
      const bin = store.db<Uint8Array>('bin', { encoding: 'binary' })
      const bytes = new Uint8Array([9, 8, 7, 6])
      await bin.put('raw', bytes.subarray(1, 3))
      expect(bin.get('raw')).toEqual(new Uint8Array([8, 7]))
    })
  })

  it('orders uint64 keys numerically and returns them as bigint', async () => {
    await withStore(async (store) => {
      const blocks = store.db<string, 'uint64'>('blocks', { keyEncoding: 'uint64' })
      const keys = [5n, 256n, 0n, 2n ** 64n - 1n, 1n, 2n ** 32n, 70000n]
      await Promise.all(keys.map((k) => blocks.put(k, `b${k}`)))
      const sorted = [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      expect([...blocks.getKeys()]).toEqual(sorted)
      expect([...blocks.getRange({ start: 5n, end: 2n ** 32n })].map((e) => e.key)).toEqual([
        5n,
        256n,
        70000n,
      ])
      expect([...blocks.getRange({ start: 300, reverse: true, limit: 2 })]).toEqual([
        { key: 256n, value: 'b256' },
        { key: 5n, value: 'b5' },
      ])
      expect(blocks.last()).toEqual({ key: 2n ** 64n - 1n, value: `b${2n ** 64n - 1n}` })
      expect(blocks.get(256)).toBe('b256')
      expect(blocks.count()).toBe(keys.length)
      expect(await codeOf(() => blocks.put(-1n, 'x'))).toBe('INVALID_STORE_KEY')
      expect(await codeOf(() => blocks.put(2n ** 64n, 'x'))).toBe('INVALID_STORE_KEY')
      expect(await codeOf(() => blocks.put(1.5, 'x'))).toBe('INVALID_STORE_KEY')
    })
  })

  it('orders binary keys byte-wise and ordered keys by type (numbers numerically, arrays element-wise)', async () => {
    await withStore(async (store) => {
      const hashes = store.db<number, 'binary'>('hashes', { keyEncoding: 'binary' })
      await hashes.put(new Uint8Array([2, 0]), 1)
      await hashes.put(new Uint8Array([1, 255, 3]), 2)
      await hashes.put(new Uint8Array([10]), 3)
      expect([...hashes.getRange()].map((e) => e.value)).toEqual([2, 1, 3])
      expect(hashes.get(new Uint8Array([1, 255, 3]))).toBe(2)
      expect(hashes.last()?.key).toEqual(new Uint8Array([10]))

      const ordered = store.db<string>('ordered')
      await ordered.put(10, 'ten')
      await ordered.put(9, 'nine')
      await ordered.put(['acct', 2], 'a2')
      await ordered.put(['acct', 10], 'a10')
      expect([...ordered.getKeys({ start: 0, end: 100 })]).toEqual([9, 10])
      expect([...ordered.getRange({ start: ['acct', 0], end: ['acct', 99] })].map((e) => e.value)).toEqual([
        'a2',
        'a10',
      ])
      expect(await ordered.remove(9)).toBe(true)
      expect(await ordered.remove(9)).toBe(false)
      expect(ordered.has(9)).toBe(false)
      await ordered.clear()
      expect(ordered.count()).toBe(0)
    })
  })

  it('commits every write of a transaction together, across sub-databases', async () => {
    await withStore(async (store) => {
      const accounts = store.db<bigint>('accounts')
      const meta = store.db<number>('meta')
      const result = await store.transaction(() => {
        void accounts.put('alice', 100n)
        void accounts.put('bob', 50n)
        void meta.put('head', 1)
        return accounts.get('alice')
      })
      expect(result).toBe(100n)
      expect(accounts.get('bob')).toBe(50n)
      expect(meta.get('head')).toBe(1)
    })
  })

  it('writes nothing from a transaction that throws, while concurrent puts still commit', async () => {
    await withStore(async (store) => {
      const accounts = store.db<bigint>('accounts')
      await accounts.put('alice', 100n)
      const outside = accounts.put('carol', 7n)
      const failed = store.transaction(() => {
        void accounts.put('alice', 0n)
        void accounts.put('bob', 100n)
        throw new Error('overdraft')
      })
      await expect(failed).rejects.toThrow('overdraft')
      await outside
      expect(accounts.get('alice')).toBe(100n)
      expect(accounts.get('bob')).toBeUndefined()
      expect(accounts.get('carol')).toBe(7n)
      const asyncTx = store.transaction(() => Promise.resolve(1))
      expect(await codeOf(() => asyncTx)).toBe('ASYNC_STORE_TRANSACTION')
    })
  })

  it('keeps data across close and reopen, and refuses use after close', async () => {
    const path = freshPath()
    await withStore(async (store) => {
      await store.db<string, 'uint64'>('blocks', { keyEncoding: 'uint64' }).put(1n, 'one')
    }, path)
    const store = await openStore({ path })
    const blocks = store.db<string, 'uint64'>('blocks', { keyEncoding: 'uint64' })
    expect(blocks.get(1n)).toBe('one')
    expect(await codeOf(() => store.db('blocks'))).toBe('INVALID_STORE_DB')
    await store.close()
    await store.close()
    expect(store.isOpen).toBe(false)
    expect(await codeOf(() => blocks.get(1n))).toBe('STORE_CLOSED')
  })

  it('rejects invalid options with INVALID_OPTIONS', async () => {
    expect(await codeOf(() => openStore({ path: '' }))).toBe('INVALID_OPTIONS')
    expect(await codeOf(() => openStore({ path: freshPath(), maxDbs: 0 }))).toBe('INVALID_OPTIONS')
  })

  it('keeps every acknowledged write when the writing process is SIGKILLed', async () => {
    const path = freshPath()
    const script = fileURLToPath(new URL('./testing/storeCrashWriter.ts', import.meta.url))
    const child = spawn(process.execPath, ['--import', 'tsx', script, path, '64'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const acked = { put: [] as number[], tx: [] as number[] }
    let buffered = ''
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    )
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject)
      child.on('exit', () => reject(new Error('writer exited before it was killed')))
      child.stdout.setEncoding('utf8')
      child.stdout.on('data', (chunk: string) => {
        buffered += chunk
        const lines = buffered.split('\n')
        buffered = lines.pop() ?? ''
        for (const line of lines) {
          const [kind, i] = line.split(' ')
          if ((kind === 'put' || kind === 'tx') && i !== undefined) acked[kind].push(Number(i))
        }
        if (acked.put.length + acked.tx.length >= 5000 && !child.killed) {
          child.kill('SIGKILL')
          resolve()
        }
      })
    })
    expect(await exited).toBe('SIGKILL')
    // Lines written after the kill decision but already in the pipe were acknowledged too.
    await new Promise((resolve) => setTimeout(resolve, 50))
    for (const line of buffered.split('\n')) {
      const [kind, i] = line.split(' ')
      if ((kind === 'put' || kind === 'tx') && i !== undefined) acked[kind].push(Number(i))
    }

    const store = await openStore({ path })
    try {
      const entries = store.db<{ i: number }, 'uint64'>('entries', { keyEncoding: 'uint64' })
      const left = store.db<bigint, 'uint64'>('left', { keyEncoding: 'uint64' })
      const right = store.db<bigint, 'uint64'>('right', { keyEncoding: 'uint64' })
      const missingPuts = acked.put.filter((i) => entries.get(i)?.i !== i)
      const missingTxs = acked.tx.filter(
        (i) => left.get(i) !== BigInt(i) * 10n ** 30n || right.get(i) !== -BigInt(i),
      )
      expect(missingPuts).toEqual([])
      expect(missingTxs).toEqual([])
      // Atomicity: a transaction's two writes are both present or both absent, acknowledged or not.
      const leftKeys = [...left.getKeys()]
      expect([...right.getKeys()]).toEqual(leftKeys)
      expect(acked.put.length).toBeGreaterThan(1000)
      expect(acked.tx.length).toBeGreaterThan(1000)
    } finally {
      await store.close()
    }
  })

  it('measures durable puts per second with many concurrent writers (group commit)', async () => {
    await withStore(async (store) => {
      const db = store.db<Uint8Array, 'uint64'>('bench', { keyEncoding: 'uint64', encoding: 'binary' })
      const value = new Uint8Array(200).fill(7)
      const report: string[] = []
      for (const concurrency of [1, 64, 1024]) {
        const total = concurrency === 1 ? 300 : 20_000
        let next = 0
        const started = performance.now()
        await Promise.all(
          Array.from({ length: concurrency }, async () => {
            while (next < total) await db.put(BigInt(concurrency * 1_000_000 + next++), value)
          }),
        )
        const seconds = (performance.now() - started) / 1000
        report.push(`${concurrency} writers: ${Math.round(total / seconds)} durable puts/s`)
      }
      console.info(`store throughput (200-byte values): ${report.join('; ')}`)
    })
  })
})
