/**
 * Channel safety on a real anvil with real nodes: a peer that publishes a revoked state is punished by the
 * victim's own node while it is online, and by its watchtower while it is offline; an honest unilateral close is
 * settled after the dispute window at exactly the last balances. The cheater here is a node's own key publishing
 * an old state it stored earlier (what a modified node would do).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Address, type Hex, parseEther } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deployChannelContracts } from '../../../src/channels/l1/deploy.ts'
import { hubCalls } from '../../../src/channels/l1/hubEvents.ts'
import { ChannelNode, type ChannelNodeOptions, type TowerEntry } from '../../../src/channels/node.ts'
import type { ChannelRecord } from '../../../src/channels/protocol/channel.ts'
import { createWatchtowerService, RemoteWatchtower } from '../../../src/channels/services.ts'
import { ANVIL_DEV_ACCOUNTS, type AnvilInstance, startAnvil } from '../../../src/l1/anvil.ts'
import { createL1Clients, type L1ClientsWithWallet } from '../../../src/l1/clients.ts'

let anvil: AnvilInstance
let hub: Address
let registry: Address
let dir: string
const key = (i: number) => (ANVIL_DEV_ACCOUNTS[i] as { privateKey: Hex }).privateKey
const clients = new Map<Hex, L1ClientsWithWallet>()

async function l1(k: Hex): Promise<L1ClientsWithWallet> {
  let c = clients.get(k)
  if (c === undefined) {
    c = await createL1Clients({ rpcUrl: anvil.rpcUrl, privateKey: k })
    clients.set(k, c)
  }
  return c
}

async function node(
  name: string,
  k: Hex,
  tower?: { watch(entry: TowerEntry): Promise<void> },
): Promise<ChannelNode> {
  const c = await l1(k)
  return new ChannelNode(
    { dataDir: join(dir, name), privateKey: k, hub, registry, l1PollMs: 100 },
    { publicClient: c.publicClient, walletClient: c.walletClient, ...(tower ? { tower } : {}) },
  )
}

async function warp(seconds: number): Promise<void> {
  const c = await l1(key(0))
  await c.publicClient.request({ method: 'evm_increaseTime' as never, params: [seconds] as never })
  await c.publicClient.request({ method: 'evm_mine' as never })
}

async function until(what: string, f: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await f()) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/**
 * A → B → C with channels A–B and B–C (1 ETH each, 60 s windows), B misbehaving as `faults` says, and one invoice
 * payment of 0.1 ETH from A to C under way.
 */
async function lineWithFaultyB(
  names: [string, string, string],
  keys: [Hex, Hex, Hex],
  faults: ChannelNodeOptions['faults'],
) {
  const a = await node(names[0], keys[0])
  const bc = await l1(keys[1])
  const b = new ChannelNode(
    { dataDir: join(dir, names[1]), privateKey: keys[1], hub, registry, l1PollMs: 100, faults },
    { publicClient: bc.publicClient, walletClient: bc.walletClient },
  )
  const c = await node(names[2], keys[2])
  await a.start()
  await a.connect(await b.start())
  await b.connect(await c.start())
  const abId = await a.openChannel({ peer: b.nodeId, amount: parseEther('1'), disputeWindow: 60n })
  const bcId = await b.openChannel({ peer: c.nodeId, amount: parseEther('1'), disputeWindow: 60n })
  await until('the graph', () => a.graphEdges().length === 4)
  const amount = parseEther('0.1')
  const payment = a.payInvoice(await c.createInvoice({ amount }))
  payment.catch(() => undefined)
  return { a, b, c, ab: abId, bc: bcId, amount }
}

const balance = async (a: Address) => (await l1(key(0))).publicClient.getBalance({ address: a })

/** The cheater publishes an old state it kept (signed by both, revoked by itself since). */
async function publishOld(k: Hex, old: ChannelRecord) {
  const c = await l1(k)
  return hubCalls.closeUnilateral(
    { publicClient: c.publicClient, walletClient: c.walletClient, hub },
    old.params,
    old.state,
    old.sigA as Hex,
    old.sigB as Hex,
  )
}

beforeAll(async () => {
  anvil = await startAnvil()
  dir = mkdtempSync(join(tmpdir(), 'l2kit-channels-attacks-'))
  const c = await l1(key(0))
  const d = await deployChannelContracts(c.walletClient, c.publicClient)
  hub = d.hub
  registry = d.registry
}, 120_000)

afterAll(async () => {
  await anvil?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('channel attacks', () => {
  it('old-state close, victim online: its node penalises, the victim gets the whole channel', async () => {
    const mallory = await node('m1', key(1))
    const victim = await node('v1', key(2))
    await mallory.start()
    await mallory.connect(await victim.start())
    const id = await mallory.openChannel({
      peer: victim.nodeId,
      amount: parseEther('1'),
      disputeWindow: 600n,
    })
    await mallory.pay(id, parseEther('0.1'))
    const old = mallory.channel(id) as ChannelRecord // mallory still had 0.9 here
    for (let i = 0; i < 5; i++) await mallory.pay(id, parseEther('0.1'))
    const before = await balance(victim.address)
    await publishOld(key(1), old)
    await until('the penalty', () => victim.l1Actions.some((a) => a.kind === 'penalize'))
    const penalty = victim.l1Actions.find((a) => a.kind === 'penalize')
    const gasPrice = (
      await (await l1(key(0))).publicClient.getTransactionReceipt({ hash: penalty?.txHash as Hex })
    ).effectiveGasPrice
    expect((await balance(victim.address)) - before + (penalty?.gas ?? 0n) * gasPrice).toBe(parseEther('1'))
    await Promise.all([mallory.stop(), victim.stop()])
  }, 120_000)

  it('old-state close, victim offline: the watchtower (over its JSON-RPC) penalises within the window and gains nothing', async () => {
    const tc = await l1(key(3))
    const service = createWatchtowerService({ dataDir: join(dir, 'tower'), hub, pollMs: 100 }, tc)
    await service.start()
    const tower = service.role
    const mallory = await node('m2', key(4))
    // the victim's node reaches the tower as another process would: tower_watch over HTTP
    const victim = await node('v2', key(5), new RemoteWatchtower(service.rpcUrl()))
    await mallory.start()
    await mallory.connect(await victim.start())
    const id = await mallory.openChannel({
      peer: victim.nodeId,
      amount: parseEther('1'),
      disputeWindow: 600n,
    })
    await mallory.pay(id, parseEther('0.2'))
    const old = mallory.channel(id) as ChannelRecord
    await mallory.pay(id, parseEther('0.3'))
    await until('the tower to hold the revocation', () => tower.watching() > 0)
    await new Promise((r) => setTimeout(r, 400)) // the victim's node pushes its newest revocation
    await victim.stop() // offline from here on
    const before = await balance(victim.address)
    const towerBefore = await balance(tc.account.address)
    await publishOld(key(4), old)
    await until('the tower’s penalty', () => tower.penalties.length > 0)
    expect((await balance(victim.address)) - before).toBe(parseEther('1'))
    const p = tower.penalties[0]
    const receipt = await tc.publicClient.getTransactionReceipt({ hash: p?.txHash as Hex })
    expect((await balance(tc.account.address)) - towerBefore).toBe(
      -(receipt.gasUsed * receipt.effectiveGasPrice),
    )
    await Promise.all([mallory.stop(), service.stop()])
  }, 120_000)

  it('an honest unilateral close is settled after the dispute window at the last balances', async () => {
    const a = await node('a3', key(6))
    const b = await node('b3', key(7))
    await a.start()
    await a.connect(await b.start())
    const id = await a.openChannel({ peer: b.nodeId, amount: parseEther('1'), disputeWindow: 60n })
    for (let i = 0; i < 3; i++) await a.pay(id, parseEther('0.05'))
    const before = await balance(b.address)
    await b.closeUnilaterally(id)
    await new Promise((r) => setTimeout(r, 300)) // a sees it, does not dispute (it is the newest)
    expect(a.l1Actions.filter((x) => x.kind === 'penalize' || x.kind === 'dispute')).toHaveLength(0)
    await warp(61)
    await until('the settlement', () => b.l1Actions.some((x) => x.kind === 'settle'))
    expect(b.l1Actions.map((x) => x.kind)).toEqual(['close', 'settle']) // the closer settles; a does not race it
    const receipts = await Promise.all(
      b.l1Actions.map((x) =>
        (clients.get(key(7)) as L1ClientsWithWallet).publicClient.getTransactionReceipt({ hash: x.txHash }),
      ),
    )
    const bGas = receipts.reduce((t, r) => t + r.gasUsed * r.effectiveGasPrice, 0n)
    expect((await balance(b.address)) - before + bGas).toBe(parseEther('0.15'))
    await Promise.all([a.stop(), b.stop()])
  }, 120_000)

  it('an intermediary withholds the preimage: the payee keeps its payment, the payer takes its HTLC back on L1', async () => {
    const { a, b, c, ab, bc, amount } = await lineWithFaultyB(['a4', 'b4', 'c4'], [key(8), key(9), key(0)], {
      withholdPreimage: true,
    })
    // C is paid off-chain by B; B never passes the preimage back to A
    await until('C paid', () => c.channel(bc)?.state.balanceB === amount)
    await new Promise((r) => setTimeout(r, 300))
    expect(a.channel(ab)?.state.htlcs).toHaveLength(1)
    const aBefore = await balance(a.address)
    // A's HTLC expires (final 900 s + B's 600 s delta): A closes alone and takes it back after the window
    await warp(1_600)
    await until('A closes', () => a.l1Actions.some((x) => x.kind === 'close'))
    await warp(61)
    await until('A settles', () => a.l1Actions.some((x) => x.kind === 'settle'))
    const receipts = await Promise.all(
      a.l1Actions.map((x) =>
        (clients.get(key(8)) as L1ClientsWithWallet).publicClient.getTransactionReceipt({ hash: x.txHash }),
      ),
    )
    const aGas = receipts.reduce((t, r) => t + r.gasUsed * r.effectiveGasPrice, 0n)
    expect((await balance(a.address)) - aBefore + aGas).toBe(parseEther('1')) // all of A's funds, HTLC refunded
    expect(c.channel(bc)?.state.balanceB).toBe(amount) // C keeps what it was paid: B, the withholder, bears it
    await Promise.all([a.stop(), b.stop(), c.stop()])
  }, 120_000)

  // last: it moves L1 time ~1,700 s ahead of the wall clock the nodes set HTLC expiries by
  it('an intermediary goes offline mid-payment: the payee claims on L1 in time, and that one reveal pays B upstream too', async () => {
    const { a, b, c, ab, bc, amount } = await lineWithFaultyB(['a5', 'b5', 'c5'], [key(4), key(5), key(6)], {
      offlineOnFulfil: true,
    })
    // C fulfils; B goes offline before reading it: C is owed the HTLC, A's HTLC to B stays pending
    await until('C to have sent its fulfil', () => c.channel(bc)?.proposed !== null)
    await new Promise((r) => setTimeout(r, 300))
    expect(c.channel(bc)?.htlcs).toHaveLength(1)
    expect(a.channel(ab)?.htlcs).toHaveLength(1)
    const [aBefore, bBefore, cBefore] = (await Promise.all(
      [a.address, b.address, c.address].map(balance),
    )) as [bigint, bigint, bigint]
    const gasOf = async (k: Hex, n: ChannelNode) => {
      const pc = (await l1(k)).publicClient
      const rs = await Promise.all(n.l1Actions.map((x) => pc.getTransactionReceipt({ hash: x.txHash })))
      return rs.reduce((t, r) => t + r.gasUsed * r.effectiveGasPrice, 0n)
    }
    // C's HTLC expires 900 s after the payment; within expiryDelta / 2 (300 s) of it, C goes on chain alone
    await warp(650)
    await until(
      'C closes and reveals the preimage',
      () => c.l1Actions.some((x) => x.kind === 'reveal'),
      30_000,
    )
    await warp(61)
    await until('C settles', () => c.l1Actions.some((x) => x.kind === 'settle'))
    expect((await balance(c.address)) - cBefore + (await gasOf(key(6), c))).toBe(amount)
    // A's HTLC to B (600 s later) expires unsettled off-chain: A closes; the registry shows the preimage revealed
    // before that HTLC's expiry, so the settlement pays it to B, offline as it is
    await warp(900)
    await until('A closes', () => a.l1Actions.some((x) => x.kind === 'close'), 30_000)
    await warp(61)
    await until('A settles', () => a.l1Actions.some((x) => x.kind === 'settle'))
    const fee = (a.channel(ab)?.htlcs[0]?.amount ?? 0n) - amount
    expect(fee).toBeGreaterThan(0n)
    expect((await balance(a.address)) - aBefore + (await gasOf(key(4), a))).toBe(
      parseEther('1') - amount - fee,
    )
    // B sent nothing: it gets its B–C balance (1 − amount) and the A–B HTLC (amount + fee) = its fee on top
    expect((await balance(b.address)) - bBefore).toBe(parseEther('1') + fee)
    await Promise.all([a.stop(), c.stop()])
  }, 120_000)
})
