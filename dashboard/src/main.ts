/**
 * The dashboard: reads the devnet's summary from the server that served this page, then polls every running
 * family's public JSON-RPC and the L1 on its own loop, so one slow or dead family shows as down (with the reason)
 * and never holds up the others.
 */
import { renderCharts } from './charts.ts'
import { type DashboardConfig, loadConfig } from './config.ts'
import { h } from './dom.ts'
import { ChannelsPanel } from './families/channels.ts'
import { L1Panel } from './families/l1.ts'
import { OptimisticPanel } from './families/optimistic.ts'
import { PlasmaPanel } from './families/plasma.ts'
import { SidechainPanel } from './families/sidechain.ts'
import { ZkPanel } from './families/zk.ts'
import { BrokenPanel, type Ctx, type Panel } from './panel.ts'
import { reason, rpc, withTimeout } from './rpc.ts'
import { Wallet } from './wallet.ts'

const FAMILY_NAMES = ['optimistic', 'zk', 'channels', 'plasma', 'sidechain'] as const

async function main(): Promise<void> {
  const boot = document.getElementById('boot') as HTMLElement
  let config: DashboardConfig
  try {
    config = await loadConfig()
  } catch (err) {
    boot.textContent = `Cannot read the devnet's configuration: ${reason(err)}`
    boot.className = 'error'
    return
  }
  const pollMs = Number(new URLSearchParams(location.search).get('poll') ?? config.dashboard?.pollMs ?? 1000)
  // the summary names the L1's chain id only when the optimistic rollup runs: else ask the L1
  const l1ChainId =
    config.l1ChainId ?? (await rpc<string>(config.l1Rpc, 'eth_chainId').then(Number, () => 31337))
  const wallet = new Wallet(config.l1Rpc, l1ChainId, config.dashboard?.devAccounts ?? [])
  wallet.render(document.getElementById('wallet') as HTMLElement)
  let l1: L1Panel | undefined
  const ctx: Ctx = {
    config,
    wallet,
    l1Now: () => Math.max(l1?.timestamp ?? 0, Math.floor(Date.now() / 1000)),
  }
  l1 = new L1Panel('l1', 'Ethereum L1', ctx)
  const panels: Panel[] = [l1]
  const f = config.families
  // a bad entry in one family's summary must not take the page down with it
  const make: Record<(typeof FAMILY_NAMES)[number], () => Panel | undefined> = {
    optimistic: () => f.optimistic && new OptimisticPanel(ctx, f.optimistic),
    zk: () => f.zk && new ZkPanel(ctx, f.zk),
    channels: () => f.channels && new ChannelsPanel(ctx, f.channels),
    plasma: () => f.plasma && new PlasmaPanel(ctx, f.plasma),
    sidechain: () => f.sidechain && new SidechainPanel(ctx, f.sidechain),
  }
  const notRunning: string[] = []
  for (const name of FAMILY_NAMES) {
    try {
      const panel = make[name]()
      if (panel) panels.push(panel)
      else notRunning.push(name)
    } catch (err) {
      panels.push(new BrokenPanel(name, ctx, err))
    }
  }
  const grid = document.getElementById('families') as HTMLElement
  grid.replaceChildren(...panels.map((p) => p.root))
  boot.replaceChildren(
    notRunning.length === 0
      ? 'Every family is running.'
      : `Not started in this devnet: ${notRunning.join(', ')} (l2kit up --family …).`,
  )
  for (const panel of panels) loop(panel, pollMs)
  setInterval(() => {
    for (const p of panels) p.tick()
  }, 1000)
  void renderCharts(document.getElementById('charts') as HTMLElement)
}

/** Polls one panel forever; a failure or a poll slower than 10 s marks it down until the next good poll. */
function loop(panel: Panel, pollMs: number): void {
  const run = async () => {
    try {
      await withTimeout(panel.poll(), Math.max(10_000, pollMs * 5), `${panel.family} poll`)
      panel.setUp()
    } catch (err) {
      panel.setDown(err)
    }
    setTimeout(run, pollMs)
  }
  void run()
}

void main().catch((err: unknown) => {
  document.body.prepend(h('p', { class: 'error' }, `dashboard failed: ${reason(err)}`))
})
