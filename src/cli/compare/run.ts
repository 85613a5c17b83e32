/**
 * One comparison: an embedded anvil, the workload's accounts and dev ERC-20 on it, then each row's phase in turn
 * (the L1 baseline, each chosen family, the optimistic rollup again with calldata batches), each under its own time
 * budget so a family that fails or hangs is reported and the others still run; then the attack demos; then
 * compare.json, compare.md and the SVG charts.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { ATTACK_CATALOGUE, type AttackSpec } from '../../compare/attacks.ts'
import { renderCharts } from '../../compare/charts.ts'
import { CHART_FILES, markdownReport } from '../../compare/markdown.ts'
import { type PhaseContext, type PhaseHooks, runPhase } from '../../compare/runner.ts'
import type {
  AttackOutcome,
  CompareResult,
  FamilyName,
  PriceScenario,
  RowId,
  RowResult,
  Workload,
} from '../../compare/types.ts'
import { L2kitError } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import { startAnvil } from '../../l1/anvil.ts'
import { createL1Clients } from '../../l1/clients.ts'
import { attacksFor, runAttackDemo } from './attackRuns.ts'
import { runL1Baseline } from './baseline.ts'
import { runChannels } from './channels.ts'
import { runOptimistic } from './optimistic.ts'
import { runPlasma } from './plasma.ts'
import { runSidechain } from './sidechain.ts'
import { type CompareEnv, newRow, prepareAccounts } from './workload.ts'
import { runZk } from './zk.ts'

export type CompareOptions = {
  families: FamilyName[]
  /** the same transfers directly on L1 */
  baseline: boolean
  /** the optimistic rollup a second time with calldata batches (the Dencun question; needs `optimistic`) */
  dencun: boolean
  workload: Workload
  prices: PriceScenario
  /** run the attack demos, reuse the previous compare.json's outcomes, or leave them out */
  attacks: 'run' | 'reuse' | 'none'
  outDir: string
  /** seconds each family's phase may take (the ZK rollup's also gets its proof budget) */
  phaseBudgetSeconds: number
  zkProofBudgetSeconds: number
  plasmaExitPeriodSeconds: number
  /** which attack demos to run (default: the catalogue's, for the chosen families) */
  attackList?: readonly AttackSpec[]
  logger: Logger
  step: (message: string) => void
  hooks?: PhaseHooks
}

type Driver = (env: CompareEnv, ctx: PhaseContext, row: RowResult) => Promise<void>

const ROWS: { id: RowId; family: FamilyName | 'l1'; label: string; driver: Driver }[] = [
  { id: 'l1', family: 'l1', label: 'Ethereum L1 (baseline)', driver: runL1Baseline },
  {
    id: 'optimistic',
    family: 'optimistic',
    label: 'Optimistic rollup (blobs)',
    driver: (e, c, r) => runOptimistic(e, c, r, 'blob'),
  },
  {
    id: 'optimistic-calldata',
    family: 'optimistic',
    label: 'Optimistic rollup (calldata, pre-Dencun)',
    driver: (e, c, r) => runOptimistic(e, c, r, 'calldata'),
  },
  { id: 'channels', family: 'channels', label: 'State channels', driver: runChannels },
  { id: 'plasma', family: 'plasma', label: 'Plasma', driver: runPlasma },
  { id: 'sidechain', family: 'sidechain', label: 'Sidechain', driver: runSidechain },
  // last: its prover takes both cores while it proves, and nothing else is timed after it
  { id: 'zk', family: 'zk', label: 'ZK rollup', driver: runZk },
]

function machine(): CompareResult['machine'] {
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    loadAverageAtStart: loadavg().map((x) => Number(x.toFixed(2))),
  }
}

/** The previous run's attack outcomes (for --no-attacks), relabelled with where they come from. */
export function previousAttacks(path: string, families: readonly FamilyName[]): AttackOutcome[] {
  if (!existsSync(path)) return []
  try {
    const prev = JSON.parse(readFileSync(path, 'utf8')) as Partial<CompareResult>
    const when = prev.date ?? 'unknown date'
    return (prev.attacks?.outcomes ?? [])
      .filter((o) => families.includes(o.family))
      .map((o) => ({
        ...o,
        source: o.source === 'this run' ? `previous run (${when})` : o.source,
      }))
  } catch {
    return []
  }
}

export async function runComparison(o: CompareOptions): Promise<{ result: CompareResult; files: string[] }> {
  const t0 = performance.now()
  const started = new Date()
  const outDir = resolve(o.outDir)
  const jsonPath = join(outDir, 'compare.json')
  // read before anything is overwritten
  const reused = o.attacks === 'reuse' ? previousAttacks(jsonPath, o.families) : []
  const dataDir = mkdtempSync(join(tmpdir(), 'l2kit-compare-'))
  o.step('starting the embedded L1 (anvil) every row shares')
  const anvil = await startAnvil({ logPath: join(dataDir, 'anvil.log') })
  const rows: RowResult[] = []
  try {
    const l1 = (await createL1Clients({ rpcUrl: anvil.rpcUrl })).publicClient
    o.step(`preparing ${o.workload.accounts} accounts and the dev ERC-20 on L1`)
    const prepared = await prepareAccounts(anvil.rpcUrl, l1, o.workload.accounts)
    const env: CompareEnv = {
      l1Rpc: anvil.rpcUrl,
      l1,
      ...prepared,
      workload: o.workload,
      dataDir,
      logger: o.logger,
      zkProofBudgetSeconds: o.zkProofBudgetSeconds,
      plasmaExitPeriodSeconds: o.plasmaExitPeriodSeconds,
    }
    const chosen = ROWS.filter((r) =>
      r.id === 'l1'
        ? o.baseline
        : r.id === 'optimistic-calldata'
          ? o.dencun && o.families.includes('optimistic')
          : o.families.includes(r.family as FamilyName),
    )
    for (const [i, spec] of chosen.entries()) {
      const row = newRow(spec.id, spec.family, spec.label)
      o.step(`[${i + 1}/${chosen.length}] ${spec.label}`)
      const budget = (o.phaseBudgetSeconds + (spec.id === 'zk' ? o.zkProofBudgetSeconds : 0)) * 1000
      const r = await runPhase(spec.id, budget, (ctx) => spec.driver(env, ctx, row), {
        step: o.step,
        ...(o.hooks ? { hooks: o.hooks } : {}),
      })
      row.phaseSeconds = r.seconds
      row.stages = r.stages
      if (r.ok) row.status = 'ok'
      else {
        row.status = 'failed'
        row.failure = r.failure
        o.step(`${spec.label}: FAILED in ${r.failure.stage}: [${r.failure.code}] ${r.failure.message}`)
      }
      rows.push(row)
    }
  } finally {
    await anvil.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }

  let outcomes: AttackOutcome[] = []
  let source = 'not run'
  if (o.attacks === 'run') {
    const specs = attacksFor(o.families, o.attackList ?? ATTACK_CATALOGUE)
    o.step(`running ${specs.length} attack demos (each on its own fresh anvil)`)
    for (const spec of specs) outcomes.push(await runAttackDemo(spec, { step: o.step }))
    source = 'this run'
  } else if (o.attacks === 'reuse') {
    outcomes = reused
    source =
      reused.length > 0
        ? `reused from the previous compare.json (${reused[0]?.source ?? ''}), not measured in this run`
        : 'not run, and no previous compare.json had any'
  }

  const files = ['compare.json', 'compare.md', ...Object.values(CHART_FILES)]
  const result: CompareResult = {
    version: 1,
    date: started.toISOString(),
    machine: machine(),
    seconds: Math.round((performance.now() - t0) / 100) / 10,
    workload: o.workload,
    prices: o.prices,
    rows,
    attacks: { ran: o.attacks === 'run', source, outcomes },
    files: files.map((f) => relative(process.cwd(), join(outDir, f)) || f),
  }
  mkdirSync(outDir, { recursive: true })
  writeFileSync(jsonPath, `${JSON.stringify(result, null, 2)}\n`)
  writeFileSync(join(outDir, 'compare.md'), markdownReport(result))
  const charts = await renderCharts(result)
  for (const [name, svg] of Object.entries(charts))
    writeFileSync(join(outDir, CHART_FILES[name as keyof typeof CHART_FILES]), svg)
  return { result, files: files.map((f) => join(outDir, f)) }
}

/** Reads a compare.json for `l2kit choose` (COMPARE_RESULTS_MISSING tells to run `l2kit compare` first). */
export function readCompareResult(path: string): CompareResult {
  if (!existsSync(path)) {
    throw new L2kitError(
      'COMPARE_RESULTS_MISSING',
      `no comparison at ${path}: run \`l2kit compare\` first (it measures every family and writes that file), or pass --results`,
    )
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new L2kitError('COMPARE_RESULTS_INVALID', `${path} is not JSON: ${(err as Error).message}`)
  }
  const r = parsed as Partial<CompareResult>
  if (r.version !== 1 || !Array.isArray(r.rows) || r.prices === undefined || r.attacks === undefined) {
    throw new L2kitError(
      'COMPARE_RESULTS_INVALID',
      `${path} is not a result of this version of \`l2kit compare\`: run it again`,
    )
  }
  return r as CompareResult
}
