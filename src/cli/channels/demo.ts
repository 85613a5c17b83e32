/**
 * `l2kit channels demo`: a scripted run on a fresh anvil — channel nodes A, B, C (each its own key, BOLT 8 links,
 * LMDB stores) and a watchtower; channels A–B and B–C funded on L1; invoice payments from A to C routed through B
 * with onion HTLCs; cooperative closes; the session's L1 gas beside paying the same amounts as L1 transfers.
 * `--attack KIND` runs one attack end to end instead; the last line is the result object (`--json`).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { formatEther, type Hex, parseEther } from 'viem'
import { type ChannelsDevnet, startChannelsDevnet } from '../../channels/devnet.ts'
import { channelOpenTx, hubCalls } from '../../channels/l1/hubEvents.ts'
import type { ChannelRecord } from '../../channels/protocol/channel.ts'
import { L2kitError } from '../../core/errors.ts'
import { ANVIL_DEV_ACCOUNTS, startAnvil } from '../../l1/anvil.ts'
import type { Logger } from '../../node/logger.ts'
import type { ParsedArgs } from '../args.ts'
import { attackArg, num } from '../args.ts'
import { demoOutput, printJson, table } from '../output.ts'
import { CHANNEL_ATTACKS } from './commands.ts'

const key = (i: number) => (ANVIL_DEV_ACCOUNTS[i] as { privateKey: Hex }).privateKey
const L1_TRANSFER_GAS = 21_000n

export async function runChannelsDemo(
  args: ParsedArgs,
  logger: Logger,
  onShutdown: (fn: () => Promise<void>) => void,
): Promise<void> {
  const json = args.values.json === true
  const { say, step, show } = demoOutput(json)
  const attack = attackArg(args, CHANNEL_ATTACKS)
  const payments = num(args.values.payments, 'payments') ?? 20
  if (attack === 'crash-mid-payment') {
    const result = await (await import('./crashDemo.ts')).runCrashMidPayment({ payments, step, onShutdown })
    show(result)
    return
  }
  const anvil = await startAnvil()
  const dir = mkdtempSync(join(tmpdir(), 'l2kit-channels-demo-'))
  let net: ChannelsDevnet | undefined
  const cleanup = async () => {
    await net?.stop()
    await anvil.stop()
    rmSync(dir, { recursive: true, force: true })
  }
  onShutdown(cleanup)
  const until = async (what: string, f: () => boolean, ms = 30_000) => {
    const end = Date.now() + ms
    while (!f()) {
      if (Date.now() > end) throw new L2kitError('ATTACK_SETUP', `timed out waiting for ${what}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  try {
    net = await startChannelsDevnet(
      {
        l1RpcUrl: anvil.rpcUrl,
        dataDir: dir,
        deployerKey: key(0),
        keys: { a: key(1), b: key(2), c: key(3), tower: key(4) },
        channelAmount: parseEther('1'),
        disputeWindow: attack === undefined ? 3_600n : 60n,
        // the watchtower serves B when B goes offline (old-state-offline); otherwise B answers itself
        towerClients: attack === 'old-state-offline' ? ['b'] : [],
        faults: attack === 'withhold-preimage' ? { b: { withholdPreimage: true } } : {},
        l1PollMs: 100,
      },
      { logger, onStep: step },
    )
    const { a, b, c, tower, hub } = net
    const { ab, bc } = net.channels
    const l1 = net.l1
    const pc = (await l1(key(0))).publicClient
    const gasOf = async (hash: Hex) => {
      const r = await pc.getTransactionReceipt({ hash })
      return { gas: r.gasUsed, wei: r.gasUsed * r.effectiveGasPrice }
    }
    const warp = async (s: number) => {
      await pc.request({ method: 'evm_increaseTime' as never, params: [s] as never })
      await pc.request({ method: 'evm_mine' as never })
    }
    const openGas = await Promise.all(
      [ab, bc].map(async (id) => {
        const tx = await channelOpenTx(pc, hub, id)
        return tx === undefined ? 0n : (await gasOf(tx)).gas
      }),
    )
    step(`channel opens cost ${openGas.map((g) => g.toLocaleString('en-US')).join(' + ')} gas`)

    if (attack === undefined) {
      const latencies: number[] = []
      const amount = parseEther('0.001')
      for (let i = 0; i < payments; i++) {
        const invoice = await c.createInvoice({ amount, description: `demo payment ${i + 1}` })
        const t = performance.now()
        await a.payInvoice(invoice)
        latencies.push(performance.now() - t)
      }
      latencies.sort((x, y) => x - y)
      const pct = (p: number) =>
        latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0
      step(
        `${payments} payments A → B → C by invoice: p50 ${pct(0.5).toFixed(1)} ms, p99 ${pct(0.99).toFixed(1)} ms`,
      )
      await new Promise((r) => setTimeout(r, 200))
      const closeAb = await gasOf(await a.closeCooperatively(ab))
      const closeBc = await gasOf(await b.closeCooperatively(bc))
      const sessionGas = openGas.reduce((t, g) => t + g, 0n) + closeAb.gas + closeBc.gas
      const direct = L1_TRANSFER_GAS * BigInt(payments)
      const result = {
        family: 'channels',
        attack: null,
        payments,
        amountEachEth: formatEther(amount),
        multiHopLatencyMs: { p50: Number(pct(0.5).toFixed(2)), p99: Number(pct(0.99).toFixed(2)) },
        gas: { open: openGas, coopClose: [closeAb.gas, closeBc.gas], session: sessionGas },
        l1GasPerPayment: Number(sessionGas) / payments,
        directL1TransfersGas: direct,
        caught: null,
        honestFundsLost: null,
      }
      say(
        table([
          ['payments (2 hops, by invoice)', String(payments)],
          ['latency p50 / p99', `${result.multiHopLatencyMs.p50} / ${result.multiHopLatencyMs.p99} ms`],
          ['L1 gas: 2 opens + 2 cooperative closes', sessionGas.toLocaleString('en-US')],
          ['the same payments as L1 transfers', `${direct.toLocaleString('en-US')} gas (21,000 each)`],
          ['L1 gas per payment', result.l1GasPerPayment.toFixed(0)],
        ]),
      )
      if (json) printJson(result)
      return
    }

    // ---- attacks
    let result: Record<string, unknown>
    if (attack === 'old-state' || attack === 'old-state-offline') {
      // A cheats against B on A–B: it keeps an old state (A still had more), pays on, then publishes the old one
      await a.pay(ab, parseEther('0.1'))
      const old = a.channel(ab) as ChannelRecord
      for (let i = 0; i < 4; i++) await a.pay(ab, parseEther('0.1'))
      const owedToB = (b.channel(ab) as ChannelRecord).state.balanceB
      if (attack === 'old-state-offline') {
        await until('the tower to hold B’s newest revocation', () => tower.watching() > 0)
        await new Promise((r) => setTimeout(r, 400))
      }
      if (attack === 'old-state-offline') {
        step('B goes offline; only its watchtower watches L1')
        await b.stop()
      }
      const bBefore = await pc.getBalance({ address: b.address })
      const ca = await l1(key(1))
      step(
        `A publishes its revoked state seq ${old.state.seq} (A: ${formatEther(old.state.balanceA)} ETH) instead of seq ${a.channel(ab)?.state.seq}`,
      )
      const published = await hubCalls.closeUnilateral(
        { ...ca, hub },
        old.params,
        old.state,
        old.sigA as Hex,
        old.sigB as Hex,
      )
      if (attack === 'old-state')
        await until('B’s penalty', () => b.l1Actions.some((x) => x.kind === 'penalize'))
      else await until('the watchtower’s penalty', () => tower.penalties.length > 0)
      const penaltyTx =
        attack === 'old-state'
          ? b.l1Actions.find((x) => x.kind === 'penalize')?.txHash
          : tower.penalties[0]?.txHash
      const penalty = await gasOf(penaltyTx as Hex)
      const bAfter = await pc.getBalance({ address: b.address })
      const received = bAfter - bBefore + (attack === 'old-state' ? penalty.wei : 0n)
      const lost = received >= owedToB ? 0n : owedToB - received
      step(
        `penalised by ${attack === 'old-state' ? 'B itself' : 'the watchtower'}: B received ${formatEther(received)} ETH (it was owed ${formatEther(owedToB)})`,
      )
      result = {
        family: 'channels',
        attack,
        caught: true,
        punished: received === parseEther('1'),
        honestFundsLost: lost,
        cheaterLost: parseEther('1') - owedToB,
        penalisedBy: attack === 'old-state' ? 'victim node' : 'watchtower',
        gas: { cheaterClose: published.gasUsed, penalty: penalty.gas },
      }
    } else {
      // withhold-preimage: B takes the preimage from C but never passes it back to A
      const amount = parseEther('0.1')
      const pay = a.payInvoice(await c.createInvoice({ amount }))
      pay.catch(() => undefined)
      await until('C paid by B off-chain', () => (c.channel(bc) as ChannelRecord).state.balanceB === amount)
      step(
        'C was paid by B; B withholds the preimage from A. A waits for its HTLC to expire, then takes it back on L1',
      )
      const aBefore = await pc.getBalance({ address: a.address })
      await warp(1_600)
      await until('A closes on L1', () => a.l1Actions.some((x) => x.kind === 'close'))
      await warp(61)
      await until('A settles', () => a.l1Actions.some((x) => x.kind === 'settle'))
      let aGas = 0n
      let gasTotal = 0n
      for (const x of a.l1Actions) {
        const g = await gasOf(x.txHash)
        aGas += g.wei
        gasTotal += g.gas
      }
      const aGot = (await pc.getBalance({ address: a.address })) - aBefore + aGas
      const cPaid = (c.channel(bc) as ChannelRecord).state.balanceB
      result = {
        family: 'channels',
        attack,
        caught: true,
        punished: true,
        honestFundsLost: parseEther('1') - aGot + (amount - cPaid),
        detail: `A recovered ${formatEther(aGot)} ETH on L1 (its HTLC refunded after expiry); C keeps the ${formatEther(cPaid)} ETH B paid it; B, the withholder, bears it`,
        gas: { close: gasTotal },
      }
    }
    show(result)
  } finally {
    await cleanup()
  }
}
