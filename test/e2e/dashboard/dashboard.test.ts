/**
 * The web dashboard in a real headless Chromium (Debian's `chromium`, driven by playwright-core) against a real
 * devnet: `l2kit up` as an OS process with the optimistic rollup, the channels, Plasma and a one-validator
 * sidechain. The page must show every family up, its live values must move as L2 transfers land, it must claim an
 * optimistic and a sidechain withdrawal on L1 (dev-key mode) and process a Plasma exit, and a family whose node is
 * dead or hangs must show as down with the reason while the others keep working. Screenshots go to
 * bench/results/dashboard-*.png.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Browser, chromium, type Page } from 'playwright-core'
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hex,
  http,
  parseAbiItem,
  parseEther,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureChromium } from '../../../scripts/ensureChromium.mjs'
import { repoRoot } from '../../../src/cli/dashboard.ts'
import { ANVIL_DEV_ACCOUNTS } from '../../../src/l1/anvil.ts'
import { DashboardServer } from '../../../src/node/dashboard.ts'
import { silentLogger } from '../../../src/node/logger.ts'
import { initiateWithdrawal } from '../../../src/sdk/optimistic/initiateWithdrawal.ts'
import { launchL2kit, runL2kit } from '../processes.ts'

type Ready = {
  ready: true
  l1Rpc: string
  l2Rpc: string
  l2ChainId: number
  dashboardUrl: string | null
  dashboardError?: string
  contracts: { portal: Hex }
  families: {
    plasma: { operator: { rpc: string }; contracts: { framework: Hex } }
    sidechain: { validators: { rpc: string }[] }
  }
}

const root = repoRoot()
const results = join(root, 'bench', 'results')
const dataDir = mkdtempSync(join(tmpdir(), 'l2kit-dashboard-'))
const acct = (i: number) => ANVIL_DEV_ACCOUNTS[i] as { address: Hex; privateKey: Hex }

let browser: Browser | undefined
let up: ReturnType<typeof launchL2kit<Ready>> | undefined
let ready: Ready
const servers: Server[] = []
const dashboards: DashboardServer[] = []

async function until<T>(
  what: string,
  timeoutMs: number,
  f: () => Promise<T | undefined | false>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await f()
      if (v !== undefined && v !== false) return v
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

const field = (page: Page, family: string, name: string) =>
  page
    .locator(`[data-family="${family}"] [data-field="${name}"]`)
    .first()
    .textContent()
    .then((t) => t ?? '')

beforeAll(async () => {
  // installs Debian's chromium when missing (as root), else fails naming the command: never a silent skip
  const executablePath = ensureChromium()
  up = launchL2kit<Ready>(
    [
      'up',
      '--family',
      'optimistic,channels,plasma,sidechain',
      '--json',
      '--data-dir',
      dataDir,
      '--port',
      '0',
      '--batch-mode',
      'blob',
      '--channels-port',
      '0',
      '--plasma-port',
      '0',
      '--plasma-exit-period',
      '4',
      '--sidechain-port',
      '0',
      '--sidechain-validators',
      '1',
      '--sidechain-checkpoint-interval',
      '4',
      '--dashboard-port',
      '0',
      '--log-level',
      'warn',
    ],
    240_000,
  )
  ready = await up.ready
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-dev-shm-usage'] })
}, 900_000)

afterAll(async () => {
  await browser?.close()
  for (const d of dashboards) await d.stop()
  for (const s of servers) s.closeAllConnections()
  for (const s of servers) await new Promise((r) => s.close(r))
  if (up !== undefined && up.child.exitCode === null) {
    // SIGTERM lets `l2kit up` stop its anvil and validator processes; SIGKILL only if it hangs
    up.child.kill('SIGTERM')
    const timer = setTimeout(() => up?.child.kill('SIGKILL'), 30_000)
    await up.exited
    clearTimeout(timer)
  }
  rmSync(dataDir, { recursive: true, force: true })
}, 60_000)

describe('the web dashboard in headless Chromium', () => {
  it('shows every family live, moves as transfers land, and claims two withdrawals on L1 and sees a Plasma exit paid', async () => {
    expect(ready.dashboardError).toBeUndefined()
    expect(ready.dashboardUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
    const page = await (browser as Browser).newPage({ viewport: { width: 1500, height: 1100 } })
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(ready.dashboardUrl as string)
    for (const family of ['l1', 'optimistic', 'channels', 'plasma', 'sidechain'])
      await page.locator(`[data-family="${family}"][data-status="up"]`).waitFor({ timeout: 60_000 })
    await expect(
      page
        .locator('#boot')
        .textContent()
        .then((t) => t ?? ''),
    ).resolves.toContain('Not started in this devnet: zk')
    // channel graph with capacities; sidechain validator set
    await page
      .locator('[data-family="channels"] svg [data-field="capacity"]')
      .first()
      .waitFor({ timeout: 30_000 })
    expect(await page.locator('[data-family="channels"] svg line').count()).toBe(2)
    expect(await page.locator('[data-family="sidechain"] tr[data-validator]').count()).toBe(1)
    // the sidechain's votes: the one validator's prevote of the height being decided (a block hash or nil)
    await until('a sidechain prevote on the page', 20_000, async () =>
      /^(0x|nil)/.test(
        (await page.locator('[data-family="sidechain"] [data-vote="prevote"]').first().textContent()) ?? '',
      ),
    )
    // charts: compare.json when it exists, else how to make it
    await page.locator('#charts [data-chart] svg, #charts [data-field="compare-missing"]').first().waitFor()

    // live values move as L2 transfers land
    const headBefore = Number(await field(page, 'optimistic', 'head'))
    const seenBefore = Number(await field(page, 'optimistic', 'txs-seen'))
    const l2 = defineChain({
      id: ready.l2ChainId,
      name: 'l2',
      nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
      rpcUrls: { default: { http: [ready.l2Rpc] } },
    })
    const alice = createWalletClient({
      account: privateKeyToAccount(acct(3).privateKey),
      chain: l2,
      transport: http(),
    })
    const l2Public = createPublicClient({ chain: l2, transport: http() })
    for (let i = 0; i < 5; i++) {
      const hash = await alice.sendTransaction({ to: acct(4).address, value: parseEther('0.01') })
      await l2Public.waitForTransactionReceipt({ hash, pollingInterval: 100 })
    }
    await until('the page to count the transfers', 30_000, async () => {
      const seen = Number(await field(page, 'optimistic', 'txs-seen'))
      return seen >= seenBefore + 5 && Number(await field(page, 'optimistic', 'head')) > headBefore
    })
    expect(Number(await field(page, 'optimistic', 'tps'))).toBeGreaterThan(0)
    // the latest batch on L1 with its transaction (and blob hashes, or calldata)
    await until('a batch on L1', 30_000, async () => /^0x/.test(await field(page, 'optimistic', 'l1-tx')))
    const blob = page.locator('[data-family="optimistic"] [data-field="l1-blobs"] [data-full]').first()
    expect(await blob.getAttribute('data-full')).toMatch(/^0x01[0-9a-f]{62}$/)

    // a withdrawal: listed with its countdown, claimable after the challenge window, claimed through the page
    const bob = acct(2)
    const bobWallet = createWalletClient({
      account: privateKeyToAccount(bob.privateKey),
      chain: l2,
      transport: http(),
    })
    const w = await initiateWithdrawal(
      { walletClient: bobWallet, publicClient: l2Public },
      { amount: parseEther('1') },
    )
    const row = page.locator(`[data-family="optimistic"] tr[data-pending="${w.withdrawalIndex}"]`)
    await row.waitFor({ timeout: 30_000 })
    await until('the challenge-window countdown', 60_000, async () =>
      /\d+ s|min/.test(
        await row
          .locator('[data-field="countdown"]')
          .textContent()
          .then((t) => t ?? ''),
      ),
    )
    await page.screenshot({ path: join(results, 'dashboard-withdrawal-pending.png'), fullPage: true })
    const l1 = createPublicClient({ transport: http(ready.l1Rpc) })
    // meanwhile a sidechain withdrawal (of ETH deposited through the bridge: it pays back only what came in)
    const dave = acct(1)
    const sc = [
      '--rpc',
      ready.families.sidechain.validators[0]?.rpc as string,
      '--private-key',
      dave.privateKey,
    ]
    await runL2kit(['sidechain', 'deposit', '--amount', '1', '--wait', ...sc], 120_000)
    const sw = await runL2kit<{ withdrawalId: string }>(
      ['sidechain', 'withdraw', '--amount', '0.5', '--no-wait', ...sc],
      120_000,
    )
    const bobBefore = await l1.getBalance({ address: bob.address })
    const claim = row.locator('button[data-action="claim"]')
    await until('the claim button', 90_000, async () => claim.isEnabled())
    await claim.click()
    const claimed = page.locator(
      `[data-family="optimistic"] tr[data-pending="${w.withdrawalIndex}"] [data-field="claim-result"]`,
    )
    const claimTx = await until('the claim to land', 60_000, async () => {
      const text = (await claimed.textContent().catch(() => '')) ?? ''
      if (text.startsWith('claim failed')) throw new Error(text)
      return text.startsWith('claimed in 0x')
        ? ((await claimed.getAttribute('data-tx')) ?? undefined)
        : undefined
    })
    // paid on L1 to bob (the claim's gas was paid by the page's dev key, anvil account 1)
    const paid = await l1.getLogs({
      address: ready.contracts.portal,
      event: parseAbiItem(
        'event WithdrawalFinalized(bytes32 indexed withdrawalHash, uint256 indexed withdrawalIndex, address indexed recipient, address l1Token, uint256 amount)',
      ),
      fromBlock: 0n,
    })
    const ours = paid.find((l) => l.args.withdrawalIndex === w.withdrawalIndex)
    expect(ours?.transactionHash).toBe(claimTx)
    expect(await l1.getBalance({ address: bob.address })).toBe(bobBefore + parseEther('1'))

    // the sidechain withdrawal: listed with its countdown to the covering checkpoint, then claimed
    const swRow = page.locator(`[data-family="sidechain"] tr[data-pending="${sw.withdrawalId}"]`)
    await swRow.waitFor({ timeout: 30_000 })
    const swClaim = swRow.locator('button[data-action="claim"]')
    await until('the checkpoint covering the sidechain withdrawal', 90_000, async () => swClaim.isEnabled())
    const daveBefore = await l1.getBalance({ address: dave.address })
    await swClaim.click()
    await until('the sidechain withdrawal to be paid', 60_000, async () => {
      const text =
        (await swRow
          .locator('[data-field="claim-result"]')
          .textContent()
          .catch(() => '')) ?? ''
      if (text.startsWith('claim failed')) throw new Error(text)
      return text.startsWith('claimed in 0x')
    })
    // the page's dev key is anvil account 1 (dave) here: paid 0.5 ETH, minus the claim's own gas
    const daveAfter = await l1.getBalance({ address: dave.address })
    expect(daveAfter > daveBefore + parseEther('0.49')).toBe(true)

    // a Plasma exit in the queue with its countdown, processed through the page
    const op = ['--operator', ready.families.plasma.operator.rpc]
    const carol = acct(5)
    await runL2kit(['plasma', 'deposit', '--amount', '0.5', '--private-key', carol.privateKey, ...op])
    // a transfer, so the operator commits a block root (the deposit must be followed first)
    await until('a Plasma transfer', 60_000, async () =>
      runL2kit(
        [
          'plasma',
          'transfer',
          '--to',
          acct(4).address,
          '--amount',
          '0.1',
          '--private-key',
          carol.privateKey,
          ...op,
        ],
        60_000,
      ).then(() => true),
    )
    await until('the block root on L1', 30_000, async () => /^0x/.test(await field(page, 'plasma', 'l1-tx')))
    // the operator must have followed the deposit before it can hand out the exit data
    await until('the exit to start', 60_000, async () =>
      runL2kit(['plasma', 'exit', '--no-wait', '--private-key', carol.privateKey, ...op], 60_000).then(
        () => true,
      ),
    )
    const exitRow = page.locator('[data-family="plasma"] tr[data-pending]').first()
    await exitRow.waitFor({ timeout: 30_000 })
    const exitClaim = exitRow.locator('button[data-action="claim"]')
    // The watcher `l2kit up` runs processes mature exits too (it checks every 0.5 s): the page's button and the
    // watcher race for the same L1 call once the exit period has passed. Either way the exit must end up paid.
    await until('the exit period to pass', 90_000, async () => {
      if ((await exitRow.count()) === 0) return true
      return exitClaim.isEnabled({ timeout: 1_000 }).catch(() => false)
    })
    await page.screenshot({ path: join(results, 'dashboard-overview.png'), fullPage: true })
    if ((await exitRow.count()) > 0) await exitClaim.click({ timeout: 5_000 }).catch(() => undefined)
    await until('the exit to be processed (by the page, or by the watcher first)', 60_000, async () => {
      const text = await page
        .locator('[data-family="plasma"] [data-field="claim-result"]')
        .first()
        .textContent({ timeout: 1_000 })
        .then((t) => t ?? '')
        .catch(() => '')
      if (text.startsWith('claimed in 0x')) return true
      // processed by the watcher: the queue is empty (a failed page claim is fine only then)
      return (await page.locator('[data-family="plasma"] [data-field="pending-empty"]').count()) > 0
    })
    expect(errors).toEqual([])
    await page.close()
  }, 300_000)

  it('shows a dead and a hanging family as down with the reason, and the others still live', async () => {
    // a node that accepts connections and never answers, and a port where nothing listens
    const hanging = createServer(() => undefined)
    servers.push(hanging)
    await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r))
    const dead = createServer()
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r))
    const deadPort = (dead.address() as AddressInfo).port
    await new Promise((r) => dead.close(r))
    const hangingUrl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`
    const compareDir = mkdtempSync(join(tmpdir(), 'l2kit-dashboard-compare-'))
    const compareFile = join(compareDir, 'compare.json')
    writeFileSync(compareFile, JSON.stringify(compareFixture()))
    const server = new DashboardServer(
      { distDir: join(root, 'dashboard', 'dist'), compareFile },
      {
        logger: silentLogger,
        config: () => ({
          l1Rpc: ready.l1Rpc,
          families: {
            optimistic: (ready.families as Record<string, unknown>).optimistic,
            zk: {
              rpc: `http://127.0.0.1:${deadPort}`,
              contracts: { rollup: ready.contracts.portal },
              chunks: 4,
            },
            plasma: {
              operator: { rpc: hangingUrl },
              watcher: { rpc: null, users: [] },
              contracts: { framework: ready.families.plasma.contracts.framework },
              exitPeriodSeconds: 4,
            },
          },
        }),
      },
    )
    dashboards.push(server)
    const url = await server.start()
    const page = await (browser as Browser).newPage({ viewport: { width: 1500, height: 1000 } })
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(url)
    await page.locator('[data-family="zk"][data-status="down"]').waitFor({ timeout: 30_000 })
    expect(await field(page, 'zk', 'down-reason')).toMatch(
      /down: zk_status at http:\/\/127\.0\.0\.1:\d+: unreachable/,
    )
    await page.locator('[data-family="plasma"][data-status="down"]').waitFor({ timeout: 30_000 })
    expect(await field(page, 'plasma', 'down-reason')).toMatch(/no answer within/)
    await page.locator('[data-family="optimistic"][data-status="up"]').waitFor({ timeout: 30_000 })
    // the compare results drawn by vega-embed
    await page.locator('#charts [data-chart="cost"] svg').waitFor({ timeout: 30_000 })
    expect(await page.locator('#charts [data-chart] svg').count()).toBe(3)
    mkdirSync(results, { recursive: true })
    await page.screenshot({ path: join(results, 'dashboard-down.png'), fullPage: true })
    expect(errors).toEqual([])
    await page.close()
    rmSync(compareDir, { recursive: true, force: true })
  }, 120_000)
})

/** The fields of compare.json the charts draw (bench/results/compare.json's shape, src/compare/types.ts). */
function compareFixture() {
  const row = (
    id: string,
    label: string,
    gas: number,
    blobGas: number,
    tps: number,
    measured: number,
    prod: number,
  ) => ({
    id,
    label,
    status: 'ok',
    transfers: { perSecond: tps },
    perTransfer: { gas, blobGas, bytes: null },
    withdrawal: { measuredSeconds: measured, devnet: { seconds: measured }, production: { seconds: prod } },
  })
  return {
    version: 1,
    date: '2026-01-01T00:00:00Z',
    prices: { baseFeeGwei: 1, blobBaseFeeGwei: 1, ethUsd: 3000, source: 'fixture' },
    rows: [
      row('l1', 'L1 directly', 21_000, 0, 30, 0, 0),
      row('optimistic', 'Optimistic rollup (blobs)', 53, 173, 800, 15, 604_800),
      row('plasma', 'Plasma', 1.1, 0, 700, 70, 604_800),
    ],
  }
}
