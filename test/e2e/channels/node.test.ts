/**
 * Two channel nodes on a real anvil, talking over the BOLT 8 transport: connect, open a channel on L1 (the peer
 * checks it there before accepting), many concurrent payments batched into signed updates, a payment over
 * capacity refused alone, a restart that keeps every acknowledged payment, and a cooperative close that pays
 * exactly the last balances.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Address, type Hex, parseEther } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deployChannelContracts } from '../../../src/channels/l1/deploy.ts'
import { ChannelNode } from '../../../src/channels/node.ts'
import { isL2kitError } from '../../../src/core/errors.ts'
import { ANVIL_DEV_ACCOUNTS, type AnvilInstance, startAnvil } from '../../../src/l1/anvil.ts'
import { createL1Clients } from '../../../src/l1/clients.ts'

let anvil: AnvilInstance
let hub: Address
let dir: string
const key = (i: number) => (ANVIL_DEV_ACCOUNTS[i] as { privateKey: Hex }).privateKey

async function node(name: string, k: Hex): Promise<ChannelNode> {
  const c = await createL1Clients({ rpcUrl: anvil.rpcUrl, privateKey: k })
  return new ChannelNode(
    { dataDir: join(dir, name), privateKey: k, hub },
    { publicClient: c.publicClient, walletClient: c.walletClient },
  )
}

beforeAll(async () => {
  anvil = await startAnvil()
  dir = mkdtempSync(join(tmpdir(), 'l2kit-channels-node-'))
  const c = await createL1Clients({ rpcUrl: anvil.rpcUrl, privateKey: key(0) })
  hub = (await deployChannelContracts(c.walletClient, c.publicClient)).hub
}, 120_000)

afterAll(async () => {
  await anvil?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('channel nodes', () => {
  it('open → batched concurrent payments → restart → cooperative close pays the last balances', async () => {
    let alice = await node('alice', key(6))
    let bob = await node('bob', key(7))
    await alice.start()
    const bobAddress = await bob.start()
    await alice.connect(bobAddress)
    const channelId = await alice.openChannel({ peer: bob.nodeId, amount: parseEther('1') })
    expect(bob.channel(channelId)?.side).toBe('B')

    const count = 2_000
    const amount = 1_000_000_000n // 1 gwei each
    const started = performance.now()
    await Promise.all(Array.from({ length: count }, () => alice.pay(channelId, amount)))
    const seconds = (performance.now() - started) / 1000
    console.log(
      `channels: ${count} persisted payments in ${seconds.toFixed(2)} s = ${(count / seconds).toFixed(0)}/s`,
    )
    const a = alice.channel(channelId)
    expect(a?.state.balanceB).toBe(BigInt(count) * amount)
    expect(a?.state.seq).toBeLessThan(count) // batched: fewer signed states than payments
    // a payment the channel cannot carry fails alone and changes nothing
    let refused: unknown
    await alice.pay(channelId, parseEther('2')).catch((e: unknown) => {
      refused = e
    })
    expect(isL2kitError(refused, 'CHANNEL_OVER_CAPACITY')).toBe(true)

    // both restart from their stores: every acknowledged payment is still there, on both sides
    await Promise.all([alice.stop(), bob.stop()])
    alice = await node('alice', key(6))
    bob = await node('bob', key(7))
    await alice.start()
    const again = await bob.start()
    await alice.connect(again)
    const b = bob.channel(channelId)
    expect(b?.state).toEqual(alice.channel(channelId)?.state)
    expect(b?.state.balanceB).toBe(BigInt(count) * amount)

    const c = await createL1Clients({ rpcUrl: anvil.rpcUrl })
    const bobBefore = await c.publicClient.getBalance({ address: bob.address })
    await alice.closeCooperatively(channelId)
    expect((await c.publicClient.getBalance({ address: bob.address })) - bobBefore).toBe(
      BigInt(count) * amount,
    )
    await Promise.all([alice.stop(), bob.stop()])
  }, 180_000)

  it('loses nothing when the connection drops mid-payment: reestablish completes every payment on both sides', async () => {
    const alice = await node('alice2', key(8))
    const bob = await node('bob2', key(9))
    await alice.start()
    const bobAddress = await bob.start()
    await alice.connect(bobAddress)
    const channelId = await alice.openChannel({ peer: bob.nodeId, amount: parseEther('1') })
    for (let round = 0; round < 5; round++) {
      const payments = Array.from({ length: 200 }, () => alice.pay(channelId, 1_000_000_000n))
      // cut the link while updates are in flight, at a different point each round
      await new Promise((r) => setTimeout(r, 2 + round * 3))
      await alice.disconnect(bob.nodeId)
      await new Promise((r) => setTimeout(r, 20))
      await alice.connect(bobAddress)
      await Promise.all(payments)
    }
    await new Promise((r) => setTimeout(r, 100))
    console.log(`channels: after 5 cut links, alice re-sent ${alice.resent} and bob ${bob.resent} messages`)
    expect(alice.resent + bob.resent).toBeGreaterThan(0)
    const a = alice.channel(channelId)
    const b = bob.channel(channelId)
    expect(a?.state).toEqual(b?.state)
    expect(a?.state.balanceB).toBe(1_000n * 1_000_000_000n)
    expect(a?.proposed).toBeNull()
    expect(b?.proposed).toBeNull()
    expect(b?.theirRevokedSeq).toBe((b?.state.seq ?? 0n) - 1n)
    await Promise.all([alice.stop(), bob.stop()])
  }, 120_000)
})
