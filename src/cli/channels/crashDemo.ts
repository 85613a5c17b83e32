/**
 * `l2kit channels demo --attack crash-mid-payment`: nodes A, B, C as separate processes; A pays C through B many
 * times at once and B, the intermediary, is killed with SIGKILL while the HTLCs are in flight, then started again
 * on its data dir. Caught when, once the channels are quiet, both ends of each channel hold the same state, no
 * HTLC is left and every payment is complete on every hop or undone on every hop (none half-applied).
 * Nobody cheated, so nobody is punished: an honest node that crashes must not be penalised either (nothing closes).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { formatEther, type Hex, parseEther } from 'viem'
import { deployChannelContracts } from '../../channels/l1/deploy.ts'
import { channelOpenTx } from '../../channels/l1/hubEvents.ts'
import { ANVIL_DEV_ACCOUNTS, startAnvil } from '../../l1/anvil.ts'
import { createL1Clients } from '../../l1/clients.ts'
import { ChannelProcessNet, paymentAccounting } from './processNet.ts'

const key = (i: number) => (ANVIL_DEV_ACCOUNTS[i] as { privateKey: Hex }).privateKey

export async function runCrashMidPayment(o: {
  payments: number
  step: (message: string) => void
  onShutdown: (fn: () => Promise<void>) => void
}): Promise<Record<string, unknown>> {
  const anvil = await startAnvil()
  const dir = mkdtempSync(join(tmpdir(), 'l2kit-channels-crash-'))
  let net: ChannelProcessNet | undefined
  const cleanup = async () => {
    await net?.stopAll()
    await anvil.stop()
    rmSync(dir, { recursive: true, force: true })
  }
  o.onShutdown(cleanup)
  try {
    const l1 = await createL1Clients({ rpcUrl: anvil.rpcUrl, privateKey: key(0) })
    const { hub, registry } = await deployChannelContracts(l1.walletClient, l1.publicClient)
    net = new ChannelProcessNet({
      bin: process.argv[1] as string,
      l1RpcUrl: anvil.rpcUrl,
      hub,
      registry,
      dir,
      keys: { a: key(1), b: key(2), c: key(3) },
    })
    for (const n of ['a', 'b', 'c'] as const) await net.start(n)
    o.step('nodes A, B, C running as separate processes')
    const total = parseEther('1')
    const opened = [
      await net.request<{ channelId: Hex }>('a', 'channels_open', [
        { peer: net.info('b').peer, amount: total.toString() },
      ]),
      await net.request<{ channelId: Hex }>('b', 'channels_open', [
        { peer: net.info('c').peer, amount: total.toString() },
      ]),
    ]
    const openGas = await Promise.all(
      opened.map(async (c) => {
        const tx = await channelOpenTx(l1.publicClient, hub, c.channelId)
        return tx === undefined ? 0n : (await l1.publicClient.getTransactionReceipt({ hash: tx })).gasUsed
      }),
    )
    for (let i = 0; i < 200; i++) {
      if ((await net.request<unknown[]>('a', 'channels_graph')).length >= 4) break
      await new Promise((r) => setTimeout(r, 100))
    }
    o.step('channels A–B and B–C open and announced')
    const amount = parseEther('0.001')
    const invoices = await Promise.all(
      Array.from(
        { length: o.payments },
        async (_, i) =>
          (
            await net?.request<{ invoice: string }>('c', 'channels_createInvoice', [
              { amount: amount.toString(), description: `crash demo ${i}` },
            ])
          )?.invoice as string,
      ),
    )
    let fee: bigint | undefined
    const pays = invoices.map((inv) =>
      (net as ChannelProcessNet).request<{ fee: string }>('a', 'channels_payInvoice', [inv]).then(
        (r) => {
          fee = BigInt(r.fee)
          return 'paid' as const
        },
        () => 'failed' as const,
      ),
    )
    // let some HTLCs get to B and some through it, then kill B with them in flight
    await new Promise((r) => setTimeout(r, 40))
    const inFlight = (await net.channels('a'))[0]?.pendingHtlcs ?? 0
    await net.kill('b')
    o.step(
      `A sent ${o.payments} payments to C at once; B killed with SIGKILL (${inFlight} HTLC(s) pending at A)`,
    )
    await net.start('b')
    o.step('B restarted on its data dir; channels re-established with A and C')
    const q = await net.quiet(90_000)
    const outcomes = await Promise.all(
      pays.map((p) => Promise.race([p, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 15_000))])),
    )
    const k = BigInt(q.bc[1].local) / amount
    const f = fee ?? (k > 0n ? (BigInt(q.ab[1].local) - k * amount) / k : 0n)
    const acc = paymentAccounting(q, amount, f, { ab: total, bc: total })
    const reported = outcomes.filter((x) => x === 'paid').length
    const hung = outcomes.filter((x) => x === 'hung').length
    o.step(
      `after the restart: ${acc.completed} payments complete on both hops, ${o.payments - Number(acc.completed)} undone on both; A was told ${reported} succeeded${hung ? `, ${hung} calls still waiting` : ''}`,
    )
    const phases = [...q.ab, ...q.bc].map((c) => c.l1)
    return {
      family: 'channels',
      attack: 'crash-mid-payment',
      caught: acc.consistent && hung === 0 && BigInt(reported) <= acc.completed,
      punished: false,
      honestFundsLost: acc.honestFundsLost,
      completed: Number(acc.completed),
      undone: o.payments - Number(acc.completed),
      reportedToPayer: reported,
      htlcsPendingAtKill: inFlight,
      channelsStillOpen: phases.every((p) => p === 'open'),
      detail: `B crashed mid-payment and came back from its store: A–B and B–C agree on both ends (seq ${q.ab[0].seq} and ${q.bc[0].seq}), B earned exactly ${formatEther(acc.completed * f)} ETH in fees, nothing was closed or penalised`,
      gas: { open: openGas, recovery: 0n },
    }
  } finally {
    await cleanup()
  }
}
