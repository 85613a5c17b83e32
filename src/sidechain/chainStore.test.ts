import { spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { KECCAK256_NULL } from '@ethereumjs/util'
import { describe, expect, it } from 'vitest'
import type { Hex } from '../core/types.ts'
import { openStore } from '../node/store.ts'
import { decodeAccount, encodeAccount, SidechainChainStore, type StoredBlock } from './chainStore.ts'
import { openTestExecution, TEST_ADDRESSES, tempDir } from './evm/testing/chain.ts'
import { genesisHeader } from './protocol/block.ts'

const A = 'aa'.repeat(20)
const SLOT = `${'00'.repeat(31)}01`

function block(number: bigint): StoredBlock {
  const header = {
    ...genesisHeader({
      timestamp: 1,
      gasLimit: 1n,
      baseFee: 0n,
      stateRoot: `0x${'00'.repeat(32)}`,
      epoch: 0n,
      validators: [],
    }),
    number,
  }
  return {
    number,
    hash: `0x${number.toString(16).padStart(64, '0')}` as Hex,
    header,
    txs: [],
    deposits: [],
    withdrawals: [],
  }
}

describe('sidechain chain store', () => {
  it('encodes accounts in 72 bytes', () => {
    const a = { nonce: 7n, balance: (1n << 255n) + 3n, codeHash: KECCAK256_NULL }
    const bytes = encodeAccount(a)
    expect(bytes.length).toBe(72)
    expect(decodeAccount(bytes)).toEqual(a)
  })

  it('keeps the head state and every older value, and commits only the next block', async () => {
    const dir = tempDir()
    const store = await openStore({ path: dir })
    try {
      const chain = SidechainChainStore.open(store)
      const rec = (balance: bigint) => ({ nonce: 0n, balance, codeHash: KECCAK256_NULL })
      const empty = { accounts: [], storage: [], cleared: [], code: [] }
      await chain.commitBlockAtomically(
        block(0n),
        { ...empty, accounts: [[A, rec(1n)]], storage: [[A, SLOT, Uint8Array.of(5)]] },
        [],
        0n,
      )
      await chain.commitBlockAtomically(block(1n), { ...empty, accounts: [[A, rec(2n)]] }, [], 3n)
      await chain.commitBlockAtomically(
        block(2n),
        { ...empty, accounts: [[A, null]], storage: [[A, SLOT, new Uint8Array(0)]] },
        [],
        3n,
      )
      await expect(chain.commitBlockAtomically(block(5n), empty, [], 3n)).rejects.toMatchObject({
        code: 'SIDECHAIN_INVALID_STATE',
      })
      expect(chain.headNumber()).toBe(2n)
      expect(chain.account(A)).toBeUndefined()
      expect(chain.accountAt(A, 0n)?.balance).toBe(1n)
      expect(chain.accountAt(A, 1n)?.balance).toBe(2n)
      expect(chain.accountAt(A, 2n)).toBeUndefined()
      expect(chain.accountAt('bb'.repeat(20), 2n)).toBeUndefined()
      expect(chain.storageAt(A, SLOT, 1n)).toEqual(Uint8Array.of(5))
      expect(chain.storage(A, SLOT)).toEqual(new Uint8Array(0))
      expect(chain.hasStorage(A)).toBe(false)
      expect(chain.nextDepositId()).toBe(3n)
    } finally {
      await store.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('reopens consistent after the committing process is SIGKILLed: the old head or the new one, never half', async () => {
    const dir = tempDir('l2kit-sc-crash-')
    const script = fileURLToPath(new URL('./evm/testing/crashCommitter.ts', import.meta.url))
    const child = spawn(process.execPath, ['--import', 'tsx', script, dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const committed: bigint[] = []
    let buffered = ''
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_c, signal) => resolve(signal)),
    )
    // Kill at an arbitrary moment after some commits: during a build, an execution or a commit transaction.
    const target = 8 + Math.floor(Math.random() * 8)
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject)
      child.on('exit', () => reject(new Error('the committer exited before it was killed')))
      child.stdout.setEncoding('utf8')
      child.stdout.on('data', (chunk: string) => {
        buffered += chunk
        const lines = buffered.split('\n')
        buffered = lines.pop() ?? ''
        for (const line of lines) {
          const [word, n] = line.split(' ')
          if (word === 'committed' && n !== undefined) committed.push(BigInt(n))
        }
        if (committed.length >= target && !child.killed) {
          setTimeout(
            () => {
              child.kill('SIGKILL')
              resolve()
            },
            Math.floor(Math.random() * 40),
          )
        }
      })
    })
    expect(await exited).toBe('SIGKILL')
    const lastAcked = committed.at(-1) as bigint

    const reopened = await openTestExecution(dir)
    const replay = await openTestExecution()
    try {
      const head = reopened.execution.head()
      // Every acknowledged block survived; at most the one being committed at the kill went further.
      expect(head.number).toBeGreaterThanOrEqual(lastAcked)
      expect(head.number).toBeLessThanOrEqual(lastAcked + 1n)
      // Replaying the stored blocks on a fresh chain gives the same hashes and roots, and the same state as the
      // reopened store holds: no block is half-applied.
      for (let n = 1n; n <= head.number; n++) {
        const b = reopened.execution.block(n) as StoredBlock
        const sidechainBlock = { header: b.header, txs: b.txs.map((t) => t.raw), deposits: b.deposits }
        expect(await replay.execution.executeBlock(sidechainBlock)).toBe(b.hash)
        await replay.execution.commitBlock(sidechainBlock, [])
      }
      expect(replay.execution.head().header.stateRoot).toBe(head.header.stateRoot)
      for (const a of TEST_ADDRESSES) {
        expect(reopened.execution.stateReader('head').account(a.slice(2))).toEqual(
          replay.execution.stateReader('head').account(a.slice(2)),
        )
      }
      expect(reopened.execution.nextDepositId()).toBe(replay.execution.nextDepositId())
    } finally {
      await reopened.execution.close()
      await replay.execution.close()
      rmSync(dir, { recursive: true, force: true })
      rmSync(replay.dir, { recursive: true, force: true })
    }
  }, 60_000)
})
