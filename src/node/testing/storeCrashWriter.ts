/**
 * Test helper process for the store crash test: writes entries as fast as it can with many concurrent
 * writers and prints `put <i>` / `tx <i>` on stdout only after the write promise resolved. The parent
 * kills it with SIGKILL mid-way and checks that every printed write is in the store.
 *
 * Usage: node --import tsx storeCrashWriter.ts <storePath> <concurrency>
 */
import { writeSync } from 'node:fs'
import { openStore } from '../store.ts'

const [path, concurrencyArg] = process.argv.slice(2)
if (path === undefined) throw new Error('usage: storeCrashWriter.ts <storePath> <concurrency>')
const concurrency = Number(concurrencyArg ?? '64')

const store = await openStore({ path })
const entries = store.db<{ i: number; payload: string }, 'uint64'>('entries', { keyEncoding: 'uint64' })
const left = store.db<bigint, 'uint64'>('left', { keyEncoding: 'uint64' })
const right = store.db<bigint, 'uint64'>('right', { keyEncoding: 'uint64' })
const payload = 'x'.repeat(100)

/**
 * Synchronous writes to fd 1, so a line is out before the next write starts. The pipe is non-blocking: when the
 * parent reads slowly (a loaded machine) a write fails with EAGAIN, so wait a moment and write the rest again.
 */
function writeLine(line: string): void {
  let buf = Buffer.from(line)
  while (buf.length > 0) {
    try {
      buf = buf.subarray(writeSync(1, buf))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2)
    }
  }
}

writeLine('ready\n')
let next = 0
async function writer(): Promise<void> {
  for (;;) {
    const i = next++
    if (i % 2 === 0) {
      await entries.put(i, { i, payload })
      writeLine(`put ${i}\n`)
    } else {
      await store.transaction(() => {
        void left.put(i, BigInt(i) * 10n ** 30n)
        void right.put(i, -BigInt(i))
      })
      writeLine(`tx ${i}\n`)
    }
  }
}
await Promise.all(Array.from({ length: concurrency }, writer))
