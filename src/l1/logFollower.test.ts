import { type Address, encodeAbiParameters, type Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isL2kitError } from '../core/errors.ts'
import { ANVIL_DEV_ACCOUNTS, type AnvilInstance, startAnvil } from './anvil.ts'
import { createL1Clients, type L1ClientsWithWallet } from './clients.ts'
import { deployContract } from './deploy.ts'
import {
  type FollowedLog,
  LogFollower,
  type LogFollowerOptions,
  type LogRange,
  type ReorgEvent,
} from './logFollower.ts'
import { pingAbi, pingEvent, pingInitCode } from './testContracts.ts'

const events = [pingEvent] as const
type PingLog = FollowedLog<typeof events>

let anvil: AnvilInstance
let c: L1ClientsWithWallet
let ping: Address
const sender = ANVIL_DEV_ACCOUNTS[0]!.address

const rpc = <T = unknown>(method: string, params: unknown[] = []) =>
  c.publicClient.request({ method, params } as never) as Promise<T>
const pingData = (value: bigint): Hex => encodeAbiParameters([{ type: 'uint256' }], [value])

/** One ping tx per block (automine), resolving once the last one is mined (automine mines just after the send returns). */
async function pings(values: readonly bigint[]): Promise<void> {
  let last: Hex | undefined
  for (const value of values)
    last = await c.walletClient.sendTransaction({ to: ping, data: pingData(value), gas: 50_000n })
  while (
    last !== undefined &&
    (await c.publicClient.getTransactionReceipt({ hash: last }).catch(() => undefined)) === undefined
  ) {
    await new Promise((r) => setTimeout(r, 5))
  }
}
async function head(): Promise<bigint> {
  return c.publicClient.getBlockNumber({ cacheTime: 0 })
}
/** Replaces the last `depth` blocks with new ones; `values[i]` is pinged in new block `i` (one per block). */
async function reorg(depth: number, values: readonly bigint[]): Promise<void> {
  await rpc('anvil_reorg', [
    depth,
    values.map((v, i) => [{ from: sender, to: ping, data: pingData(v), gas: '0xc350' }, i]),
  ])
}

/** What a consumer derives from the follower: the logs it currently believes in. */
class Consumer {
  logs: PingLog[] = []
  ranges: LogRange[] = []
  reorgs: ReorgEvent[] = []
  onLogs = (logs: PingLog[], range: LogRange) => {
    const last = this.logs[this.logs.length - 1]
    for (const log of logs) {
      // In order, and never twice.
      if (last !== undefined)
        expect(log.blockNumber > last.blockNumber || log.logIndex > last.logIndex).toBe(true)
    }
    this.logs.push(...logs)
    this.ranges.push(range)
  }
  onReorg = (event: ReorgEvent) => {
    this.reorgs.push(event)
    this.logs = this.logs.filter((log) => log.blockNumber <= event.commonAncestor)
  }
  values(): bigint[] {
    return this.logs.map((log) => log.args.value)
  }
}

function follow(
  consumer: Consumer,
  options: Partial<LogFollowerOptions<typeof events>> & { fromBlock: bigint },
) {
  return new LogFollower(
    { addresses: [ping], events, pollingIntervalMs: 25, ...options },
    { publicClient: c.publicClient, handler: consumer },
  )
}

/** The consumer's view equals the canonical chain's logs (values, block hashes, tx hashes). */
async function expectCanonical(consumer: Consumer, fromBlock: bigint): Promise<void> {
  const canonical = await c.publicClient.getLogs({
    address: ping,
    events,
    fromBlock,
    toBlock: 'latest',
    strict: true,
  })
  const key = (log: { blockHash: Hex; transactionHash: Hex; logIndex: number; args: { value: bigint } }) =>
    `${log.blockHash}/${log.transactionHash}/${log.logIndex}/${log.args.value}`
  expect(consumer.logs.map(key)).toEqual(canonical.map(key))
}

beforeAll(async () => {
  anvil = await startAnvil({ warmUpKzg: false })
  c = await createL1Clients({
    rpcUrl: anvil.rpcUrl,
    chainId: anvil.chainId,
    privateKey: ANVIL_DEV_ACCOUNTS[0]!.privateKey,
  })
  ping = await deployContract(c.walletClient, c.publicClient, {
    abi: pingAbi,
    bytecode: pingInitCode,
    args: [0n],
  })
})
afterAll(async () => {
  await anvil?.stop()
})

describe('LogFollower', () => {
  it('delivers decoded logs in order with block number, block hash, tx hash and log index', async () => {
    const fromBlock = (await head()) + 1n
    await pings([1n, 2n, 3n, 4n, 5n])
    const consumer = new Consumer()
    const follower = follow(consumer, { fromBlock })
    const result = await follower.poll()
    expect(consumer.values()).toEqual([1n, 2n, 3n, 4n, 5n])
    for (const log of consumer.logs) {
      expect(log.eventName).toBe('Ping')
      expect(log.address.toLowerCase()).toBe(ping.toLowerCase())
      expect(log.blockHash).toMatch(/^0x[0-9a-f]{64}$/)
      expect(log.transactionHash).toMatch(/^0x[0-9a-f]{64}$/)
      expect(typeof log.logIndex).toBe('number')
    }
    expect(result).toMatchObject({ logs: 5, reorgs: 0, blockNumber: await head() })
    const block = await c.publicClient.getBlock({ blockTag: 'latest' })
    expect(follower.cursor).toEqual({ blockNumber: block.number, blockHash: block.hash })
    await expectCanonical(consumer, fromBlock)
  })

  it.each([1, 5, 64])('survives a reorg of depth %i and re-delivers the new chain', async (depth) => {
    const fromBlock = (await head()) + 1n
    await pings(Array.from({ length: depth + 4 }, (_, i) => BigInt(100 + i)))
    const consumer = new Consumer()
    const follower = follow(consumer, { fromBlock, maxBlockRange: 50n })
    await follower.poll()
    const tip = await head()
    const oldHash = follower.cursor!.blockHash
    await reorg(depth, depth === 1 ? [9000n] : [9000n, 9001n])
    expect(await head()).toBe(tip) // same height, different blocks
    const result = await follower.poll()
    expect(result.reorgs).toBe(1)
    expect(consumer.reorgs).toHaveLength(1)
    expect(consumer.reorgs[0]).toMatchObject({
      commonAncestor: tip - BigInt(depth),
      previousCursor: { blockNumber: tip, blockHash: oldHash },
    })
    expect(consumer.values().slice(-2)).toEqual(depth === 1 ? [BigInt(100 + 3), 9000n] : [9000n, 9001n])
    await expectCanonical(consumer, fromBlock)
    expect(follower.cursor!.blockHash).toBe((await c.publicClient.getBlock({ blockTag: 'latest' })).hash)
  })

  it('survives anvil_rollback (a shorter chain) followed by new blocks', async () => {
    const fromBlock = (await head()) + 1n
    await pings([1n, 2n, 3n, 4n, 5n, 6n])
    const consumer = new Consumer()
    const follower = follow(consumer, { fromBlock })
    await follower.poll()
    const tip = await head()
    await rpc('anvil_rollback', [3])
    expect(await head()).toBe(tip - 3n)
    await follower.poll()
    expect(consumer.reorgs.map((r) => r.commonAncestor)).toEqual([tip - 3n])
    expect(consumer.values()).toEqual([1n, 2n, 3n])
    await pings([7n])
    await follower.poll()
    expect(consumer.values()).toEqual([1n, 2n, 3n, 7n])
    await expectCanonical(consumer, fromBlock)
  })

  it('survives evm_revert to a snapshot', async () => {
    const fromBlock = (await head()) + 1n
    await pings([1n])
    const snapshot = await rpc<Hex>('evm_snapshot')
    await pings([2n, 3n])
    const consumer = new Consumer()
    const follower = follow(consumer, { fromBlock })
    await follower.poll()
    await rpc('evm_revert', [snapshot])
    await pings([4n, 5n, 6n])
    await follower.poll()
    expect(consumer.reorgs).toHaveLength(1)
    expect(consumer.values()).toEqual([1n, 4n, 5n, 6n])
    await expectCanonical(consumer, fromBlock)
  })

  it('walks bounded block ranges and stays `confirmations` behind the head', async () => {
    const fromBlock = (await head()) + 1n
    await pings(Array.from({ length: 20 }, (_, i) => BigInt(i)))
    const consumer = new Consumer()
    const follower = follow(consumer, { fromBlock, maxBlockRange: 3n, confirmations: 2 })
    await follower.poll()
    expect(follower.cursor!.blockNumber).toBe((await head()) - 2n)
    expect(consumer.values()).toEqual(Array.from({ length: 18 }, (_, i) => BigInt(i)))
    expect(consumer.ranges.every((r) => r.toBlock - r.fromBlock < 3n)).toBe(true)
    expect(consumer.ranges.length).toBe(6)
  })

  it('catches up over many empty blocks (sparse history far from the head) and still handles a reorg', async () => {
    const fromBlock = (await head()) + 1n
    await pings([1n])
    await rpc('anvil_mine', ['0x190']) // 400 empty blocks
    await pings([2n, 3n])
    const consumer = new Consumer()
    const follower = follow(consumer, { fromBlock, maxBlockRange: 100n, historySize: 128 })
    await follower.poll()
    expect(consumer.values()).toEqual([1n, 2n, 3n])
    expect(follower.recentBlocks().length).toBeLessThanOrEqual(128)
    await reorg(3, [4n]) // the last 3 blocks: one empty, then the pings 2 and 3
    await follower.poll()
    expect(consumer.values()).toEqual([1n, 4n])
    await expectCanonical(consumer, fromBlock)
  })

  it('resumes from a persisted cursor and remembered blocks, noticing a reorg that happened meanwhile', async () => {
    const fromBlock = (await head()) + 1n
    await pings([1n, 2n, 3n, 4n])
    const consumer = new Consumer()
    const first = follow(consumer, { fromBlock })
    await first.poll()
    const saved = { cursor: first.cursor!, recentBlocks: first.recentBlocks() }
    await reorg(2, [5n])
    await pings([6n])
    const second = follow(consumer, { fromBlock, resume: saved })
    await second.poll()
    expect(consumer.reorgs).toHaveLength(1)
    expect(consumer.values()).toEqual([1n, 2n, 5n, 6n])
    await expectCanonical(consumer, fromBlock)
  })

  it('fails with L1_REORG_TOO_DEEP when no remembered block is canonical any more', async () => {
    const fromBlock = (await head()) + 1n
    await pings([1n, 2n])
    const consumer = new Consumer()
    const first = follow(consumer, { fromBlock })
    await first.poll()
    await reorg(1, [3n])
    const second = follow(consumer, { fromBlock, resume: { cursor: first.cursor! } })
    const error = await second.poll().catch((e: unknown) => e)
    expect(isL2kitError(error, 'L1_REORG_TOO_DEEP')).toBe(true)
  })

  it('follows in the background with start()/stop()', async () => {
    const fromBlock = (await head()) + 1n
    const consumer = new Consumer()
    const follower = follow(consumer, { fromBlock })
    follower.start()
    await pings([1n, 2n])
    const until = async (check: () => boolean) => {
      for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10))
      expect(check()).toBe(true)
    }
    await until(() => consumer.logs.length === 2)
    await reorg(1, [3n])
    await until(() => consumer.reorgs.length === 1 && consumer.logs.length === 2)
    await follower.stop()
    expect(consumer.values()).toEqual([1n, 3n])
    await expectCanonical(consumer, fromBlock)
  })
})
