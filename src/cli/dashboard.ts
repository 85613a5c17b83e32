/**
 * `l2kit up`'s web dashboard: builds it with Vite when its output is missing or stale (scripts/buildDashboard.mjs,
 * in a child process so Vite never loads into the devnet's process) and serves it with `DashboardServer`, whose
 * `/api/config` answers the same summary as the `--json` line plus the dev keys of an embedded anvil.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { L2kitError } from '../core/errors.ts'
import { ANVIL_DEV_ACCOUNTS } from '../l1/anvil.ts'
import { DashboardServer } from '../node/dashboard.ts'
import type { Logger } from '../node/logger.ts'
import { num, type ParsedArgs, str } from './args.ts'

/** The dashboard's default port (`--dashboard-port`); a free one is taken when it is busy and nobody asked for it. */
export const DEFAULT_DASHBOARD_PORT = 8590

/** The repository holding dashboard/ and scripts/: found upward from this module (the CLI may run from a bundle). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 8; i++) {
    if (
      existsSync(join(dir, 'dashboard', 'index.html')) &&
      existsSync(join(dir, 'scripts', 'buildDashboard.mjs'))
    )
      return dir
    dir = dirname(dir)
  }
  throw new L2kitError(
    'DASHBOARD_NOT_BUILT',
    'cannot find the dashboard sources (dashboard/index.html) above the CLI',
  )
}

/** Builds the dashboard if its output is missing or stale; resolves to the build output's folder. */
export async function ensureDashboardBuilt(
  root: string,
  logger: Logger,
  onStep: (message: string) => void,
): Promise<string> {
  const script = join(root, 'scripts', 'buildDashboard.mjs')
  const began = Date.now()
  const out = await new Promise<string>((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [script],
      { cwd: root, maxBuffer: 10_000_000, timeout: 15 * 60_000 },
      (error, stdout, stderr) => {
        if (error)
          reject(
            new L2kitError(
              'DASHBOARD_BUILD_FAILED',
              `the dashboard build failed: ${stderr.trim().slice(-2000)}`,
              {
                cause: error,
              },
            ),
          )
        else resolve(stdout)
      },
    )
    // progress lines ("building the dashboard with Vite …") as they come
    child.stderr?.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n')) if (line.startsWith('» ')) onStep(line.slice(2))
    })
  })
  const result = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { built?: boolean; dist?: string }
  logger.info({ built: result.built, ms: Date.now() - began }, 'dashboard build checked')
  return result.dist ?? join(root, 'dashboard', 'dist')
}

export type StartedDashboard = { url: string; stop(): Promise<void> }

/**
 * Builds (when needed) and serves the dashboard for a running devnet. `summary` is what `--json` prints; the dev
 * keys handed to the page are anvil's well-known user accounts 1–5, and only on an embedded anvil.
 */
export async function startDashboard(
  args: ParsedArgs,
  summary: Record<string, unknown>,
  logger: Logger,
  onStep: (message: string) => void,
): Promise<StartedDashboard> {
  const log = logger.child({ component: 'dashboard' })
  const root = repoRoot()
  const distDir = await ensureDashboardBuilt(root, log, onStep)
  const embeddedL1 = str(args.values['l1-rpc']) === undefined
  const devAccounts = embeddedL1
    ? [1, 2, 3, 4, 5].flatMap((i) => {
        const a = ANVIL_DEV_ACCOUNTS[i]
        return a ? [{ address: a.address, privateKey: a.privateKey }] : []
      })
    : []
  const port = num(args.values['dashboard-port'], 'dashboard-port') ?? DEFAULT_DASHBOARD_PORT
  const server = new DashboardServer(
    {
      host: str(args.values.host) ?? '127.0.0.1',
      port,
      fallbackToFreePort: args.defaulted?.has('dashboard-port') ?? true,
      distDir,
      compareFile: join(root, 'bench', 'results', 'compare.json'),
    },
    { logger: log, config: () => ({ ...summary, dashboard: { devAccounts } }) },
  )
  const url = await server.start()
  return { url, stop: () => server.stop() }
}
