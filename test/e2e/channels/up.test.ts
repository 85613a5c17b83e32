/**
 * `l2kit up --family channels` as an OS process, driven with the CLI as a user would: the `--json` ready line lists
 * nodes A, B, C (ids, RPC and peer addresses, channels) and the watchtower under `families.channels`; an invoice
 * from C is paid from A through B; `channels status` shows the new balances; after a SIGKILL the same data dir
 * resumes the same contracts and channels with the balances acknowledged before the kill; then a cooperative
 * close pays out exactly those balances on L1.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { killAll, launchL2kit, rpc, runL2kit } from '../processes.ts'

type Channel = { channelId: string; peer: string; local: string; remote: string; seq: string; l1?: string }
type NodeInfo = {
  name: string
  nodeId: string
  address: string
  rpc: string
  peer: string
  channels: Channel[]
}
type Ready = {
  ready: true
  l1Rpc: string
  families: {
    channels: {
      contracts: { hub: string; registry: string; devToken?: string }
      watchtower: { rpc: string }
      nodes: NodeInfo[]
      resumed: boolean
    }
  }
}

const dataDir = mkdtempSync(join(tmpdir(), 'l2kit-channels-up-'))
afterAll(async () => {
  await killAll()
  rmSync(dataDir, { recursive: true, force: true })
})

const up = () =>
  launchL2kit<Ready>([
    'up',
    '--family',
    'channels',
    '--json',
    '--channels-port',
    '0',
    '--data-dir',
    dataDir,
    '--log-level',
    'warn',
  ])

describe('l2kit up --family channels', () => {
  it('starts A, B, C and a watchtower, pays by invoice through the CLI, resumes after SIGKILL, closes', async () => {
    const first = up()
    const r = await first.ready
    const ch = r.families.channels
    expect(ch.nodes.map((n) => n.name)).toEqual(['A', 'B', 'C'])
    const [a, b, c] = ch.nodes as [NodeInfo, NodeInfo, NodeInfo]
    expect(a.channels).toHaveLength(1)
    expect(b.channels).toHaveLength(2)
    expect(a.channels[0]?.peer).toBe(b.nodeId)
    expect(a.peer.startsWith(`${a.nodeId}@`)).toBe(true)
    for (const n of [a, b, c]) {
      expect(await rpc(n.rpc, 'l2kit_family')).toMatchObject({ family: 'channels' })
    }
    expect(await rpc(ch.watchtower.rpc, 'tower_status')).toMatchObject({ hub: ch.contracts.hub })

    const { invoice } = await runL2kit<{ invoice: string }>([
      'channels',
      'invoice',
      '--rpc',
      c.rpc,
      '--amount',
      '0.01',
      '--description',
      'e2e coffee',
    ])
    expect(invoice.startsWith('l2kc')).toBe(true)
    const paid = await runL2kit<{ preimage: string; fee: string; hops: number }>([
      'channels',
      'pay',
      invoice,
      '--rpc',
      a.rpc,
    ])
    expect(paid.hops).toBe(2)
    expect(paid.preimage).toMatch(/^0x[0-9a-f]{64}$/)
    const fee = BigInt(paid.fee)
    expect(fee).toBeGreaterThan(0n)
    // paying the same invoice again is refused with a typed error, and changes nothing
    await expect(runL2kit(['channels', 'pay', invoice, '--rpc', a.rpc])).rejects.toThrow(/already paid/)

    const statusA = await runL2kit<{ nodeId: string; channels: Channel[]; watchtower: string | null }>([
      'channels',
      'status',
      '--rpc',
      a.rpc,
    ])
    expect(statusA.nodeId).toBe(a.nodeId)
    expect(statusA.watchtower).toBe(ch.watchtower.rpc)
    const cent = 10n ** 16n
    expect(BigInt(statusA.channels[0]?.local ?? '0')).toBe(10n ** 18n - cent - fee)
    expect(statusA.channels[0]?.l1).toBe('open')
    // the watchtower got the nodes' revocations
    await expect
      .poll(async () => (await rpc<{ watching: number }>(ch.watchtower.rpc, 'tower_status')).watching, {
        timeout: 10_000,
      })
      .toBeGreaterThan(0)

    // a DEV token channel C → B opened with the CLI (approve + open), paid in DEV by invoice
    expect(ch.contracts.devToken).toMatch(/^0x[0-9a-fA-F]{40}$/)
    const dev = await runL2kit<Channel & { token: string; total: string }>([
      'channels',
      'open',
      '--rpc',
      c.rpc,
      '--peer',
      b.peer,
      '--amount',
      '100',
      '--token',
      'DEV',
    ])
    expect(dev.token.toLowerCase()).toBe(ch.contracts.devToken?.toLowerCase())
    expect(dev.total).toBe((100n * 10n ** 18n).toString())
    const devInvoice = await runL2kit<{ invoice: string }>([
      'channels',
      'invoice',
      '--rpc',
      b.rpc,
      '--amount',
      '5',
      '--token',
      'DEV',
    ])
    await runL2kit(['channels', 'pay', devInvoice.invoice, '--rpc', c.rpc])
    const cDev = (await rpc<Channel[]>(c.rpc, 'channels_list')).find((x) => x.channelId === dev.channelId)
    expect(cDev?.local).toBe((95n * 10n ** 18n).toString())

    first.child.kill('SIGKILL')
    await first.exited
    const second = up()
    const r2 = await second.ready
    const ch2 = r2.families.channels
    expect(ch2.resumed).toBe(true)
    expect(ch2.contracts.hub).toBe(ch.contracts.hub)
    const [a2, , c2] = ch2.nodes as [NodeInfo, NodeInfo, NodeInfo]
    expect(a2.nodeId).toBe(a.nodeId)
    expect(a2.channels[0]?.channelId).toBe(a.channels[0]?.channelId)
    expect(BigInt(a2.channels[0]?.local ?? '0')).toBe(10n ** 18n - cent - fee)
    const c2bc = c2.channels.find((x) => x.channelId === c.channels[0]?.channelId)
    expect(BigInt(c2bc?.local ?? '0')).toBe(cent)

    // cooperative close of C's ETH channel pays C exactly its balance on L1
    const before = BigInt(await rpc<string>(r2.l1Rpc, 'eth_getBalance', [c2.address, 'latest']))
    const closed = await runL2kit<{ closed: { mode: string; txHash: string }[] }>([
      'channels',
      'close',
      '--rpc',
      c2.rpc,
      '--channel',
      c2bc?.channelId as string,
    ])
    expect(closed.closed).toHaveLength(1)
    expect(closed.closed[0]?.mode).toBe('cooperative')
    const after = BigInt(await rpc<string>(r2.l1Rpc, 'eth_getBalance', [c2.address, 'latest']))
    // C sent no transaction (B, the proposer's peer, or C itself may pay the gas): it gains at least its balance minus gas
    const receipt = await rpc<{ from: string; gasUsed: string; effectiveGasPrice: string }>(
      r2.l1Rpc,
      'eth_getTransactionReceipt',
      [closed.closed[0]?.txHash],
    )
    const gasPaid =
      receipt.from.toLowerCase() === c2.address.toLowerCase()
        ? BigInt(receipt.gasUsed) * BigInt(receipt.effectiveGasPrice)
        : 0n
    expect(after - before + gasPaid).toBe(cent)
    second.child.kill('SIGTERM')
    await second.exited
  }, 300_000)
})
