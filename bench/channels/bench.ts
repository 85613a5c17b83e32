/**
 * The state channels bench (`l2kit channels bench`, part of `npm run bench`) → bench/results/channels.json. On a
 * fresh anvil with real nodes (BOLT 8 links, LMDB stores fsynced before every signature):
 *  A. direct payments between two nodes: N concurrent payments, each resolved only once the update carrying it is
 *     stored signed by both (updates batch what is queued meanwhile) → paymentsPerSecondPerChannel;
 *  B. multi-hop: invoice payments A → B → C one after another (onion HTLCs, add + fulfil on both hops) → p50 / p99;
 *  C. gas of every on-chain step, measured from receipts on anvil: open, cooperative close, unilateral close,
 *     dispute, penalty, settle, settle with an HTLC claimed on L1, preimage reveal;
 *  D. L1 gas per payment of the session (opens + cooperative closes / payments) beside L1 transfers.
 */

import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { sha256 } from '@noble/hashes/sha2.js'
import { type Address, type Hex, parseEther } from 'viem'
import { startChannelsDevnet } from '../../src/channels/devnet.ts'
import { channelOpenTx, hubCalls } from '../../src/channels/l1/hubEvents.ts'
import { ChannelNode } from '../../src/channels/node.ts'
import {
  type ChannelRecord,
  newChannelRecord,
  propose,
  receiveUpdate,
} from '../../src/channels/protocol/channel.ts'
import { channelIdOf } from '../../src/channels/protocol/state.ts'
import type { FlagSpec, ParsedArgs } from '../../src/cli/args.ts'
import { num } from '../../src/cli/args.ts'
import { bytesToHex, hexToBytes } from '../../src/core/bytes.ts'
import { channelHubAbi } from '../../src/generated/contracts.ts'
import { ANVIL_DEV_ACCOUNTS, startAnvil } from '../../src/l1/anvil.ts'
import { createL1Clients, type L1ClientsWithWallet } from '../../src/l1/clients.ts'
import type { Logger } from '../../src/node/logger.ts'
import { machineInfo, writeResult } from '../harness.ts'

export const benchFlags: FlagSpec = {
  payments: { type: 'string', description: 'direct payments between two nodes (A.)', default: '20000' },
  'multi-hop': {
    type: 'string',
    description: 'invoice payments A → B → C, one at a time (B.)',
    default: '200',
  },
  out: { type: 'string', description: 'result file', default: 'bench/results/channels.json' },
}

/** Published figures the results are set against. */
export const CHANNEL_ANCHORS = {
  paymentsPerSecond: { eclair: 89, cln: 61, lnd: 33, source: 'bottlepay benchmark, two nodes' },
  raidenGas: { open: 112_922, deposit: 60_110, close: 112_715, settle: 125_052 },
} as const

const key = (i: number) => (ANVIL_DEV_ACCOUNTS[i] as { privateKey: Hex }).privateKey
const round = (x: number, d = 2) => Number(x.toFixed(d))

export async function runBench(
  args: ParsedArgs,
  logger: Logger,
  onShutdown: (fn: () => Promise<void>) => void,
): Promise<void> {
  const payments = num(args.values.payments, 'payments') ?? 20_000
  const multiHop = num(args.values['multi-hop'], 'multi-hop') ?? 200
  const out = (args.values.out as string | undefined) ?? 'bench/results/channels.json'
  const log = (s: string) => process.stderr.write(`» ${s}\n`)
  const loadAtStart = loadavg()
  const anvil = await startAnvil()
  const dir = mkdtempSync(join(tmpdir(), 'l2kit-channels-bench-'))
  const stops: (() => Promise<void>)[] = []
  const cleanup = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined)
    await anvil.stop()
    rmSync(dir, { recursive: true, force: true })
  }
  onShutdown(cleanup)
  try {
    const clients = new Map<Hex, L1ClientsWithWallet>()
    const l1 = async (k: Hex) => {
      let c = clients.get(k)
      if (c === undefined) {
        c = await createL1Clients({ rpcUrl: anvil.rpcUrl, privateKey: k })
        clients.set(k, c)
      }
      return c
    }
    const pc = (await l1(key(0))).publicClient
    const gasOf = async (hash: Hex) => (await pc.getTransactionReceipt({ hash })).gasUsed
    const warp = async (s: number) => {
      await pc.request({ method: 'evm_increaseTime' as never, params: [s] as never })
      await pc.request({ method: 'evm_mine' as never })
    }
    const net = await startChannelsDevnet(
      {
        l1RpcUrl: anvil.rpcUrl,
        dataDir: dir,
        deployerKey: key(0),
        keys: { a: key(1), b: key(2), c: key(3), tower: key(8) },
        channelAmount: parseEther('100'),
        disputeWindow: 60n,
        towerClients: [],
        l1PollMs: 100,
      },
      { logger },
    )
    stops.push(() => net.stop())
    const { hub, registry, a, b, c } = net
    const { ab, bc } = net.channels
    const mk = async (name: string, k: Hex) => {
      const cl = await l1(k)
      const n = new ChannelNode(
        { dataDir: join(dir, name), privateKey: k, hub, registry, l1PollMs: 100 },
        { publicClient: cl.publicClient, walletClient: cl.walletClient, logger },
      )
      await n.start()
      stops.push(() => n.stop())
      return n
    }
    const until = async (f: () => boolean) => {
      for (let i = 0; i < 600 && !f(); i++) await new Promise((r) => setTimeout(r, 50))
    }

    // ---- A. direct payments
    log(`A. ${payments} direct payments between two nodes (persisted before each signature)`)
    const seq0 = (a.channel(ab) as ChannelRecord).state.seq
    const t0 = performance.now()
    await Promise.all(Array.from({ length: payments }, () => a.pay(ab, 1_000_000_000n)))
    const directSeconds = (performance.now() - t0) / 1000
    const updates = Number((a.channel(ab) as ChannelRecord).state.seq - seq0)
    const paymentsPerSecondPerChannel = payments / directSeconds
    log(
      `   ${round(paymentsPerSecondPerChannel, 0)} payments/s (${updates} signed updates, ${round(payments / updates, 1)} payments each)`,
    )

    // ---- B. multi-hop latency
    log(`B. ${multiHop} invoice payments A → B → C, one at a time`)
    const lat: number[] = []
    for (let i = 0; i < multiHop; i++) {
      const invoice = await c.createInvoice({ amount: 1_000_000_000_000n })
      const t = performance.now()
      await a.payInvoice(invoice)
      lat.push(performance.now() - t)
    }
    lat.sort((x, y) => x - y)
    const pct = (p: number) => round(lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? Number.NaN)
    log(`   p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms`)

    // ---- C. gas of each on-chain step
    log('C. gas of each on-chain step (receipts on anvil)')
    const openTx = await channelOpenTx(pc, hub, ab)
    if (openTx === undefined) throw new Error(`no ChannelOpened for ${ab}`)
    const openGas = await gasOf(openTx)
    await new Promise((r) => setTimeout(r, 200))
    const coopClose = await gasOf(await b.closeCooperatively(bc))
    // unilateral close with an old state, answered by a dispute; then a penalty; then settle; then an HTLC on L1
    const x = await mk('x', key(4))
    const y = await mk('y', key(5))
    await x.connect(y.peerAddress)
    const xy1 = await x.openChannel({ peer: y.nodeId, amount: parseEther('1'), disputeWindow: 60n })
    await x.pay(xy1, parseEther('0.1'))
    const old = x.channel(xy1) as ChannelRecord
    await x.pay(xy1, parseEther('0.1'))
    const cx = await l1(key(4))
    const cheat = await hubCalls.closeUnilateral(
      { ...cx, hub },
      old.params,
      old.state,
      old.sigA as Hex,
      old.sigB as Hex,
    )
    await until(() => y.l1Actions.some((q) => q.kind === 'penalize'))
    const penalty = y.l1Actions.find((q) => q.kind === 'penalize')?.gas ?? 0n
    const xy2 = await x.openChannel({ peer: y.nodeId, amount: parseEther('1'), disputeWindow: 60n })
    await x.pay(xy2, parseEther('0.1'))
    await y.closeUnilaterally(xy2)
    const unilateral = y.l1Actions.filter((q) => q.kind === 'close').at(-1)?.gas ?? 0n
    await warp(61)
    await until(() => y.l1Actions.some((q) => q.kind === 'settle'))
    const settle = y.l1Actions.find((q) => q.kind === 'settle')?.gas ?? 0n
    // dispute: x publishes an older state; y's node would answer with the penalty, the bench sends the dispute
    // (newer state) first to measure it
    const xy3 = await x.openChannel({ peer: y.nodeId, amount: parseEther('1'), disputeWindow: 60n })
    await x.pay(xy3, parseEther('0.1'))
    const older = x.channel(xy3) as ChannelRecord
    await x.pay(xy3, parseEther('0.1'))
    const newest = y.channel(xy3) as ChannelRecord
    await hubCalls.closeUnilateral(
      { ...cx, hub },
      older.params,
      older.state,
      older.sigA as Hex,
      older.sigB as Hex,
    )
    const cy = await l1(key(5))
    const dispute = (
      await hubCalls.dispute(
        { ...cy, hub },
        newest.params,
        newest.state,
        newest.sigA as Hex,
        newest.sigB as Hex,
      )
    ).gasUsed
    // an HTLC claimed on L1: C's node reveals and settles (withhold-style: B does not take the fulfil)
    const htlc = await htlcOnChain(l1, hub, registry, warp)

    const sessionGas = Number(openGas) * 2 + Number(coopClose) * 2
    const sessionPayments = payments + multiHop
    const result = {
      machine: {
        ...machineInfo(),
        loadAverageAtStart: loadAtStart.map((v) => round(v)),
        loadAverageAtEnd: loadavg().map((v) => round(v)),
      },
      config: { payments, multiHop, disputeWindowSeconds: 60 },
      paymentsPerSecondPerChannel: round(paymentsPerSecondPerChannel, 0),
      directPayments: {
        payments,
        seconds: round(directSeconds, 3),
        signedUpdates: updates,
        paymentsPerUpdate: round(payments / updates, 1),
        note: 'concurrent pay() calls on one channel; each resolves after the update carrying it is stored (fsync) signed by both and the old state revoked; queued payments share the next update (≤ 128)',
      },
      multiHopLatencyMs: {
        p50: pct(0.5),
        p99: pct(0.99),
        payments: multiHop,
        hops: 2,
        note: 'A pays C through B by invoice, one payment at a time, from the call to the preimage stored at A: 8 messages and 9 LMDB commits (fsync) in a row (test/e2e/channels/latency.test.ts); B passes the fulfil upstream in the commit that stores it, A resolves without waiting for the rest of its update',
      },
      gas: {
        open: Number(openGas),
        coopClose: Number(coopClose),
        unilateralClose: Number(unilateral),
        dispute: Number(dispute),
        settle: Number(settle),
        htlcClaimOnChain: htlc.settle,
        preimageReveal: htlc.reveal,
        penalty: Number(penalty),
        cheaterUnilateralClose: Number(cheat.gasUsed),
        note: 'receipt gas (21,000 + calldata + execution) of each transaction on anvil; htlcClaimOnChain = settle of a closed channel whose HTLC was claimed with a preimage revealed on L1 (the reveal itself is preimageReveal, shared by every hop)',
      },
      l1GasPerPayment: round(sessionGas / sessionPayments, 3),
      l1Session: {
        gas: sessionGas,
        payments: sessionPayments,
        directL1TransfersGas: 21_000 * sessionPayments,
        note: 'two channels opened and closed cooperatively around all the payments of A. and B.',
      },
      anchors: CHANNEL_ANCHORS,
      targets: {
        paymentsPerSecond: {
          target: '≥ 1,000',
          measured: round(paymentsPerSecondPerChannel, 0),
          met: paymentsPerSecondPerChannel >= 1_000,
        },
        multiHopP50Ms: { target: '≤ 20', measured: pct(0.5), met: pct(0.5) <= 20 },
        belowRaiden: {
          open: Number(openGas) < CHANNEL_ANCHORS.raidenGas.open + CHANNEL_ANCHORS.raidenGas.deposit,
          close:
            Number(coopClose) < CHANNEL_ANCHORS.raidenGas.close &&
            Number(unilateral) < CHANNEL_ANCHORS.raidenGas.close,
          settle: Number(settle) < CHANNEL_ANCHORS.raidenGas.settle,
        },
      },
    }
    const file = writeResult(out, result)
    log(`wrote ${file}`)
    process.stdout.write(
      `${JSON.stringify({ paymentsPerSecondPerChannel: result.paymentsPerSecondPerChannel, multiHopLatencyMs: result.multiHopLatencyMs, gas: result.gas, l1GasPerPayment: result.l1GasPerPayment })}\n`,
    )
  } finally {
    await cleanup()
  }
}

/**
 * The gas of settling a channel whose state carries an HTLC claimed on L1: a channel opened on L1, one update adding
 * an HTLC (the pure state machine, both keys here), a unilateral close, the preimage revealed, settle after the
 * window. Returns the settle's receipt gas.
 */
async function htlcOnChain(
  l1: (k: Hex) => Promise<L1ClientsWithWallet>,
  hub: Address,
  registry: Address,
  warp: (s: number) => Promise<void>,
): Promise<{ settle: number; reveal: number }> {
  const [ka, kb] = [key(6), key(7)]
  const ca = await l1(ka)
  const cb = await l1(kb)
  const chainId = BigInt(await ca.publicClient.getChainId())
  const params = {
    partyA: ca.account.address.toLowerCase() as Address,
    partyB: cb.account.address.toLowerCase() as Address,
    token: '0x0000000000000000000000000000000000000000' as Address,
    total: parseEther('1'),
    disputeWindow: 60n,
    nonce: BigInt(Date.now()),
  }
  const domain = { chainId, hub }
  const id = channelIdOf(domain, params)
  const open = await ca.walletClient.writeContract({
    address: hub,
    abi: channelHubAbi,
    functionName: 'open',
    args: [params],
    value: params.total,
  })
  await ca.publicClient.waitForTransactionReceipt({ hash: open })
  const now = (await ca.publicClient.getBlock()).timestamp
  const preimage = bytesToHex(randomBytes(32))
  const paymentHash = bytesToHex(sha256(hexToBytes(preimage)))
  const ra = newChannelRecord(domain, id, params, 'A')
  const rb = newChannelRecord(domain, id, params, 'B')
  const s1 = propose(
    ra,
    [{ kind: 'add', id: 0n, amount: parseEther('0.1'), paymentHash, expiry: now + 3_600n }],
    ka,
  )
  const s2 = receiveUpdate(rb, s1.message, kb, { now, minExpiryDelta: 60n })
  const st = s2.record
  await hubCalls.closeUnilateral({ ...cb, hub }, params, st.state, st.sigA as Hex, st.sigB as Hex)
  const reveal = await hubCalls.reveal(cb, registry, preimage)
  await warp(61)
  const settle = await hubCalls.settle({ ...cb, hub }, params, st.state)
  return { settle: Number(settle.gasUsed), reveal: Number(reveal.gasUsed) }
}
