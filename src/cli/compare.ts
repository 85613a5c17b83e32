/**
 * `l2kit compare`: every family on one embedded L1, the same workload side by side, measured, priced, attacked;
 * writes bench/results/compare.{json,md} and SVG charts. `l2kit choose`: a ranked answer from that file.
 */
import { join } from 'node:path'
import { parseEther } from 'viem'
import { TRUST_LEVELS, type TrustLevel, verdictOf } from '../compare/attacks.ts'
import { choose, chooseText } from '../compare/choose.ts'
import { parseDuration } from '../compare/duration.ts'
import { dencun, formatUsd, priceScenario } from '../compare/prices.ts'
import type { PhaseHooks } from '../compare/runner.ts'
import { summaryTable, textTable } from '../compare/table.ts'
import { type CompareResult, FAMILY_NAMES, type FamilyName } from '../compare/types.ts'
import { L2kitError } from '../core/errors.ts'
import type { Logger } from '../node/logger.ts'
import { type FlagSpec, num, type ParsedArgs, str } from './args.ts'
import { printJson, progress } from './output.ts'

export const compareFlags: FlagSpec = {
  family: {
    type: 'string',
    description: `families to compare, comma separated (default: all: ${FAMILY_NAMES.join(',')}); the L1 baseline always runs`,
  },
  accounts: { type: 'string', description: 'accounts in the workload (M)', default: '6' },
  transfers: {
    type: 'string',
    description: 'transfers among them (N), every other one in the dev ERC-20',
    default: '240',
  },
  withdrawals: {
    type: 'string',
    description: 'withdrawals back to L1, each timed until spendable',
    default: '2',
  },
  'no-attacks': {
    type: 'boolean',
    description:
      "skip the attack demos and reuse the previous compare.json's outcomes (labelled as such in the report)",
  },
  'base-fee-gwei': { type: 'string', description: 'price scenario: L1 execution base fee, gwei (default 1)' },
  'blob-fee-gwei': { type: 'string', description: 'price scenario: L1 blob base fee, gwei (default 0.0625)' },
  'eth-usd': { type: 'string', description: 'price scenario: USD per ETH (default 3000)' },
  'phase-timeout': {
    type: 'string',
    description: 'seconds one family may take before it is stopped and reported as failed',
    default: '420',
  },
  'zk-proof-budget': {
    type: 'string',
    description: 'seconds the ZK rollup gets to prove its blocks (what is not proven by then is reported so)',
    default: '240',
  },
  'plasma-exit-period': {
    type: 'string',
    description: "Plasma's exit period on the compare devnet, seconds (production: 7 days)",
    default: '20',
  },
  'out-dir': {
    type: 'string',
    description: 'where compare.json, compare.md and the SVGs go',
    default: 'bench/results',
  },
}

function positiveInt(args: ParsedArgs, flag: string, max: number): number {
  const v = num(args.values[flag], flag)
  if (v === undefined || !Number.isSafeInteger(v) || v < 1 || v > max)
    throw new L2kitError('INVALID_ARGUMENTS', `--${flag} must be a whole number from 1 to ${max}`)
  return v
}

function optionalNumber(args: ParsedArgs, flag: string): number | undefined {
  return num(args.values[flag], flag)
}

/** `--family a,b`: a subset of the families (any subset works). */
export function compareFamilies(arg: string | undefined): FamilyName[] {
  if (arg === undefined || arg.trim() === '') return [...FAMILY_NAMES]
  const names = [...new Set(arg.split(',').map((x) => x.trim().toLowerCase()))].filter((x) => x !== '')
  const wrong = names.filter((n) => !(FAMILY_NAMES as readonly string[]).includes(n))
  if (wrong.length > 0 || names.length === 0)
    throw new L2kitError(
      'INVALID_ARGUMENTS',
      `--family: ${wrong.map((w) => `"${w}"`).join(', ') || 'nothing'} is not a family (families: ${FAMILY_NAMES.join(', ')})`,
    )
  return names as FamilyName[]
}

export async function runCompare(
  args: ParsedArgs,
  logger: Logger,
  o: { hooks?: PhaseHooks; attacks?: 'run' | 'reuse' | 'none' } = {},
): Promise<CompareResult> {
  const families = compareFamilies(str(args.values.family))
  const accounts = positiveInt(args, 'accounts', 64)
  const transfers = positiveInt(args, 'transfers', 100_000)
  const withdrawals = positiveInt(args, 'withdrawals', accounts)
  const prices = priceScenario({
    baseFeeGwei: optionalNumber(args, 'base-fee-gwei'),
    blobBaseFeeGwei: optionalNumber(args, 'blob-fee-gwei'),
    ethUsd: optionalNumber(args, 'eth-usd'),
  })
  const outDir = str(args.values['out-dir']) ?? 'bench/results'
  const { runComparison } = await import('./compare/run.ts')
  const started = performance.now()
  const { result, files } = await runComparison({
    families,
    baseline: true,
    dencun: true,
    workload: {
      accounts,
      transfers,
      withdrawals,
      ethAmountWei: parseEther('0.001').toString(),
      tokenAmount: parseEther('1').toString(),
    },
    prices,
    attacks: o.attacks ?? (args.values['no-attacks'] === true ? 'reuse' : 'run'),
    outDir,
    phaseBudgetSeconds: positiveInt(args, 'phase-timeout', 86_400),
    zkProofBudgetSeconds: positiveInt(args, 'zk-proof-budget', 86_400),
    plasmaExitPeriodSeconds: positiveInt(args, 'plasma-exit-period', 30 * 86_400),
    logger,
    step: progress,
    ...(o.hooks ? { hooks: o.hooks } : {}),
  })
  if (args.values.json === true) printJson(result)
  else process.stdout.write(`${compareText(result, files, (performance.now() - started) / 1000)}\n`)
  return result
}

/** What the terminal shows: the table, the Dencun answer, the attack verdicts, the files. */
export function compareText(result: CompareResult, files: string[], seconds: number): string {
  const p = result.prices
  const d = dencun(
    p,
    result.rows.find((r) => r.id === 'optimistic'),
    result.rows.find((r) => r.id === 'optimistic-calldata'),
  )
  const lines = [
    '',
    `l2kit compare: ${result.workload.accounts} accounts, ${result.workload.transfers} transfers, ${result.workload.withdrawals} withdrawals per row; prices ${p.baseFeeGwei} gwei / ${p.blobBaseFeeGwei} gwei blob / $${p.ethUsd} per ETH`,
    '',
    textTable(summaryTable(result)),
    '',
    d
      ? `Dencun: blobs ${formatUsd(d.blobUsd)} vs calldata ${formatUsd(d.calldataUsd)} per transfer: ${d.savingPercent.toFixed(1)} % cheaper (usual claim: 80–90 %)`
      : 'Dencun: not answered (both optimistic rows must succeed)',
    '',
    `Attacks (${result.attacks.source}):`,
    ...result.attacks.outcomes.map((o) => `  ${o.family}/${o.attack}: ${verdictOf(o)}`),
  ]
  const failed = result.rows.filter((r) => r.status !== 'ok')
  if (failed.length > 0) {
    lines.push('', 'Failed rows (the others are measured):')
    for (const r of failed)
      lines.push(
        `  ${r.label}: ${r.failure ? `[${r.failure.code}] in ${r.failure.stage}: ${r.failure.message}` : r.status}`,
      )
  }
  lines.push('', `Written in ${Math.round(seconds)} s: ${files.join(', ')}`)
  return lines.join('\n')
}

export const chooseFlags: FlagSpec = {
  'need-evm': { type: 'boolean', description: 'only L2s that run contracts (an EVM)' },
  'max-withdrawal-delay': {
    type: 'string',
    description: 'longest acceptable wait to get funds back to L1 in production, e.g. 1h, 30m, 7d',
  },
  trust: {
    type: 'string',
    description:
      'the most you will trust: rollup (L1 and math only), validators (a validator majority), operator (anyone)',
    default: 'operator',
  },
  'payments-per-day': {
    type: 'string',
    description: 'your payments per day (prices the options)',
    default: '100',
  },
  results: {
    type: 'string',
    description: 'the comparison to answer from',
    default: join('bench', 'results', 'compare.json'),
  },
}

export async function runChoose(args: ParsedArgs): Promise<void> {
  const trust = str(args.values.trust) ?? 'operator'
  if (!(TRUST_LEVELS as readonly string[]).includes(trust))
    throw new L2kitError(
      'INVALID_ARGUMENTS',
      `--trust must be one of ${TRUST_LEVELS.join(', ')}, got "${trust}"`,
    )
  const payments = num(args.values['payments-per-day'], 'payments-per-day') ?? 100
  if (!Number.isFinite(payments) || payments < 0)
    throw new L2kitError('INVALID_ARGUMENTS', '--payments-per-day must be a number ≥ 0')
  const delay = str(args.values['max-withdrawal-delay'])
  const { readCompareResult } = await import('./compare/run.ts')
  const result = readCompareResult(str(args.values.results) ?? join('bench', 'results', 'compare.json'))
  const answer = choose(result, {
    needEvm: args.values['need-evm'] === true,
    maxWithdrawalDelaySeconds: delay === undefined ? undefined : parseDuration(delay, 'max-withdrawal-delay'),
    trust: trust as TrustLevel,
    paymentsPerDay: payments,
  })
  if (args.values.json === true) printJson(answer)
  else process.stdout.write(`${chooseText(answer)}\n`)
}
