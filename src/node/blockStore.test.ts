import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Hex } from '../core/types.ts'
import { BlockStore, type StoredBlock } from './blockStore.ts'
import { openStore, type Store } from './store.ts'

type Block = StoredBlock & { note: string }
const h = (n: number): Hex => `0x${n.toString(16).padStart(64, '0')}`

/** The smallest family store: the shared tables only. */
class TestStore extends BlockStore<Block, { next: bigint }> {
  static async at(path: string) {
    return new TestStore(await openStore({ path }))
  }
  constructor(store: Store) {
    super(store)
  }
  /** Replaces block `n` (as a re-sync would), in one transaction. */
  replace(block: Block, open: { next: bigint }) {
    return this.transaction(() => {
      this.removeBlockInTransaction(block.number)
      this.putBlockInTransaction(block)
      this.setHeadInTransaction(block.number, open)
    })
  }
}

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('BlockStore', () => {
  it('seals blocks with their hash and tx indexes, the head and the open block, and drops the absorbed pending entries', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'l2kit-blockstore-'))
    dirs.push(dir)
    const s = await TestStore.at(dir)
    await s.appendPending({ seq: 0, raw: '0xaa' })
    await s.appendPending({ seq: 1, raw: '0xbb' })
    await s.sealBlock(
      { number: 1n, hash: h(1), txs: [{ hash: h(100) }, { hash: h(101) }], note: 'one' },
      [0],
      {
        next: 2n,
      },
    )
    expect(s.headNumber()).toBe(1n)
    expect(s.getBlockByHash(h(1))?.note).toBe('one')
    expect(s.getTxLocation(h(101))).toEqual({ blockNumber: 1n, index: 1 })
    expect(s.getOpenBlock()).toEqual({ next: 2n })
    expect(s.listPending()).toEqual([{ seq: 1, raw: '0xbb' }])
    // A replaced block takes its indexes with it.
    await s.replace({ number: 1n, hash: h(2), txs: [{ hash: h(102) }], note: 'again' }, { next: 2n })
    expect(s.getBlockByHash(h(1))).toBeUndefined()
    expect(s.getTxLocation(h(100))).toBeUndefined()
    expect(s.getBlock(1n)?.note).toBe('again')
    await s.close()
    // Durable: a reopened store has it all.
    const again = await TestStore.at(dir)
    expect(again.getTxLocation(h(102))).toEqual({ blockNumber: 1n, index: 0 })
    expect(again.listPending()).toEqual([{ seq: 1, raw: '0xbb' }])
    await again.close()
  })
})
