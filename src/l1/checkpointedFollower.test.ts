import type { Hex } from 'viem'
import { describe, expect, it } from 'vitest'
import {
  CheckpointedFollower,
  type FollowerReorg,
  type L1Log,
  type L1StateMachine,
} from './checkpointedFollower.ts'
import type { L1PublicClient } from './clients.ts'

const hash = (n: bigint, branch = 'a'): Hex => `0x${branch.repeat(2)}${n.toString(16).padStart(62, '0')}`

/** A log carrying `value` in its data, in block `n` (of `branch`). */
function log(n: bigint, index: number, value: number, branch = 'a'): L1Log {
  return {
    address: '0x0000000000000000000000000000000000000001',
    topics: [],
    data: `0x${value.toString(16).padStart(64, '0')}`,
    blockNumber: n,
    blockHash: hash(n, branch),
    transactionHash: hash(n * 100n + BigInt(index), branch),
    logIndex: index,
  }
}

/** A state machine that sums the values it applied, and reports each applied value as an effect. */
function summer(effect: (v: number) => void = () => undefined) {
  const m = { sum: 0, applied: 0 }
  const machine: L1StateMachine<{ sum: number; applied: number }> = {
    apply: async (l, ctx) => {
      const v = Number(BigInt(l.data))
      m.sum += v
      m.applied++
      ctx.effect(() => effect(v))
    },
    snapshot: () => ({ ...m }),
    restore: (s) => {
      m.sum = s?.sum ?? 0
      m.applied = s?.applied ?? 0
    },
  }
  return { m, machine }
}

function follower(
  machine: L1StateMachine<{ sum: number; applied: number }>,
  onReorg?: (e: FollowerReorg) => void,
) {
  return new CheckpointedFollower(
    {
      addresses: [],
      events: [],
      fromBlock: 0n,
      pollingIntervalMs: 1_000,
      checkpointIntervalBlocks: 2,
      maxCheckpoints: 3,
    },
    { publicClient: {} as L1PublicClient, machine, ...(onReorg ? { onReorg } : {}) },
  )
}

async function feed(f: ReturnType<typeof follower>, blocks: [bigint, number[]][], branch = 'a') {
  for (const [n, values] of blocks) {
    for (const [i, v] of values.entries()) await f.processLog(log(n, i, v, branch))
    await f.l1Processed({ blockNumber: n, blockHash: hash(n, branch) })
  }
}

describe('CheckpointedFollower', () => {
  it('applies each log once, however often a range is delivered', async () => {
    const { m, machine } = summer()
    const f = follower(machine)
    await feed(f, [[1n, [1, 2]]])
    await feed(f, [[1n, [1, 2]]]) // delivered again after a failure
    expect(m).toEqual({ sum: 3, applied: 2 })
  })

  it('on a reorg restores the newest checkpoint at or before the ancestor and replays the kept logs, like a fresh one', async () => {
    const { m, machine } = summer()
    const reorgs: FollowerReorg[] = []
    const f = follower(machine, (e) => void reorgs.push(e))
    await feed(f, [
      [1n, [1]],
      [2n, [2]],
      [3n, [4]],
      [4n, [8]],
      [5n, [16]],
      [6n, [32]],
    ])
    expect(m.sum).toBe(63)
    await f.reorg(3n, 6n)
    expect(m).toEqual({ sum: 7, applied: 3 })
    expect(reorgs).toEqual([
      { commonAncestor: 3n, previousBlock: 6n, droppedLogs: [log(4n, 0, 8), log(5n, 0, 16), log(6n, 0, 32)] },
    ])
    await feed(f, [[4n, [100]]], 'b')
    const { m: fresh, machine: freshMachine } = summer()
    await feed(follower(freshMachine), [
      [1n, [1]],
      [2n, [2]],
      [3n, [4]],
    ])
    await feed(follower(freshMachine), [[4n, [100]]], 'b')
    expect(m).toEqual(fresh)
  })

  it('runs a failing effect again (not the log) when the range is delivered again, and never during a replay', async () => {
    let fail = 1
    const seen: number[] = []
    const { m, machine } = summer((v) => {
      if (fail-- > 0) throw new Error('store busy')
      seen.push(v)
    })
    const f = follower(machine)
    await expect(feed(f, [[1n, [5]]])).rejects.toThrow('store busy')
    expect(f.busy).toBe(true)
    await feed(f, [
      [1n, [5]],
      [2n, [6]],
      [3n, [7]],
    ])
    expect(m).toEqual({ sum: 18, applied: 3 })
    expect(seen).toEqual([5, 6, 7])
    await f.reorg(2n, 3n) // replays 5 and 6 from the start: no effect runs again
    expect(seen).toEqual([5, 6, 7])
    expect(m.sum).toBe(11)
  })
})
