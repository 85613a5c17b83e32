/**
 * Fraud-proof figures for `npm run bench` (docs/optimistic.md):
 *  (a) gas of each on-chain proof step, worst case, from the forge gas tests (contracts/test/optimistic:
 *      Challenge.t.sol `ChallengeGas*`, StepVerifier.t.sol `test_gas_worstCasePerRowType`, Gas.t.sol `GasTest`),
 *      parsed from their logged figures;
 *  (b) the devnet's bond and window settings;
 *  (c) a bad proposal of every fault kind run end to end on a devnet (`runAttack`): challenge kind, step, the
 *      challenge transaction's gas and the seconds from the bad proposal to its deletion.
 */
import { execFile } from 'node:child_process'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { formatEther, type Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { type AttackReport, runAttack } from '../../src/cli/optimistic/attack.ts'
import { rollupAbi } from '../../src/generated/contracts.ts'
import { ANVIL_DEV_ACCOUNTS } from '../../src/l1/anvil.ts'
import type { Logger } from '../../src/node/logger.ts'
import { defaultDevnetOptions, startDevnet } from '../../src/optimistic/devnet.ts'
import { FAULT_KINDS, type FaultKind } from '../../src/optimistic/faults.ts'

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** The forge gas tests this module runs (contract regex, test regex). */
export const FORGE_GAS_COMMAND = [
  'scripts/forge.mjs',
  'test',
  '--match-contract',
  '^(ChallengeGas.*|GasTest|StepVerifierTest|ExploitsTest)$',
  '--match-test',
  '^(test_gas|test_stackingThousands|test_theLargestPossibleChallenge)',
  '-vv',
] as const

export type ForgeGasFigures = {
  command: string
  /** contract → label → gas, exactly as the tests log them (execution gas of the call, no 21,000, no calldata). */
  byContract: Record<string, Record<string, number>>
  failed: string[]
}

/** Runs the forge gas tests and parses every `label: number` line they log. */
export async function forgeGasFigures(log: (s: string) => void): Promise<ForgeGasFigures> {
  const command = `node ${FORGE_GAS_COMMAND.map((a) => (/[|^$*()]/.test(a) ? `'${a}'` : a)).join(' ')}`
  log(`   ${command}`)
  const stdout = await new Promise<string>((ok, fail) => {
    execFile(
      process.execPath,
      [...FORGE_GAS_COMMAND],
      { cwd: projectRoot, maxBuffer: 64 * 1024 * 1024 },
      (error, out, err) => {
        // A failing test exits non-zero: still parse what passed, and report what failed.
        if (error && !out) fail(new Error(`forge test failed: ${err || error.message}`))
        else ok(out)
      },
    )
  })
  const byContract: Record<string, Record<string, number>> = {}
  const failed: string[] = []
  let contract = ''
  let inLogs = false
  for (const line of stdout.split('\n')) {
    const ran = /^Ran \d+ tests? for [^:]+:(\w+)/.exec(line)
    if (ran) {
      contract = ran[1] as string
      byContract[contract] ??= {}
      inLogs = false
      continue
    }
    if (/^\[(PASS|FAIL)/.test(line)) {
      if (line.startsWith('[FAIL')) failed.push(`${contract}: ${line}`)
      inLogs = false
      continue
    }
    if (/^Logs:/.test(line)) {
      inLogs = true
      continue
    }
    const figure = /^\s+(.+?):\s+(\d+)\s*$/.exec(line)
    if (inLogs && figure && contract) {
      const label = (figure[1] as string).trim()
      ;(byContract[contract] as Record<string, number>)[label] = Number(figure[2])
    } else if (line.trim() === '') inLogs = false
  }
  return { command, byContract, failed }
}

function pick(f: ForgeGasFigures, contract: string, label: string): number | null {
  return f.byContract[contract]?.[label] ?? null
}

/** The worst-case figures per challenge kind, as named entries (null = the test did not log it). */
export function proofStepGas(f: ForgeGasFigures) {
  const rowWorst = (label: string) => pick(f, 'StepVerifierTest', label)
  const ethNewLost = pick(
    f,
    'ChallengeGasKind3Test',
    'gas: challengeStep, ETH transfer to a new account (lost)',
  )
  const ethNewWon = pick(
    f,
    'ChallengeGasKind3WonTest',
    'gas: challengeStep, ETH transfer to a new account (won)',
  )
  const tokenNewRow = rowWorst('tx: token transfer, new recipient')
  const ethNewRow = rowWorst('tx: ETH transfer, new recipient')
  const delta = tokenNewRow !== null && ethNewRow !== null ? tokenNewRow - ethNewRow : null
  return {
    kind1TraceBounds: {
      lengthPrefix1OpeningLost: pick(
        f,
        'ChallengeGasKind1Test',
        'gas: challengeTraceBounds length (1 opening, lost)',
      ),
      firstLeaf2OpeningsLost: pick(
        f,
        'ChallengeGasKind1Test',
        'gas: challengeTraceBounds first leaf (2 openings, lost)',
      ),
      lastLeaf2OpeningsWon: pick(
        f,
        'ChallengeGasKind1Test',
        'gas: challengeTraceBounds last leaf (2 openings, won)',
      ),
    },
    kind2StepCount: {
      blobBatch2Blobs5OpeningsLost: pick(
        f,
        'ChallengeGasKind2Test',
        'gas: challengeStepCount, 2 blobs, 5 openings (lost)',
      ),
      blobBatch2Blobs5OpeningsWon: pick(
        f,
        'ChallengeGasKind2WonTest',
        'gas: challengeStepCount, 2 blobs, 5 openings (won)',
      ),
      calldataBatch: null as number | null,
      calldataBatchNote:
        'not logged by the forge gas tests (ChallengeTest.test_stepCountOfACalldataBatchThroughChallenges asserts ' +
        'without logging gas): measured on anvil instead, as a whole transaction on a full-size calldata batch, in ' +
        'fraudProofs.honestChallengesOnBenchBatches ("kind 2 step count, calldata batch …")',
    },
    kind3Step: {
      ethTransferNewAccountCalldataRowLost: ethNewLost,
      ethTransferNewAccountCalldataRowWon: ethNewWon,
      tokenTransferNewAccountAllBlob7OpeningsLost: pick(
        f,
        'ChallengeGasKind3AllBlobTest',
        'gas: challengeStep, token transfer to a new account, all from blobs, 7 openings (lost)',
      ),
      tokenTransferNewAccountAllBlob7OpeningsWon: pick(
        f,
        'ChallengeGasKind3AllBlobWonTest',
        'gas: challengeStep, token transfer to a new account, all from blobs, 7 openings (won)',
      ),
      /** Only for comparison with the measured figure above: ETH figure + the executeRow difference. */
      tokenTransferNewAccountCalldataRowWonDerived:
        ethNewWon !== null && delta !== null ? ethNewWon + delta : (null as number | null),
      tokenTransferNewAccountDerivedNote:
        'derived, not measured: challengeStep (ETH transfer to a new account, calldata row, won) + ' +
        '[executeRow(token transfer, new recipient) − executeRow(ETH transfer, new recipient)]',
      depositNewAccountLost: pick(
        f,
        'ChallengeGasKind3Test',
        'gas: challengeStep, deposit creating an account (lost)',
      ),
      ethWithdrawalLost: pick(f, 'ChallengeGasKind3Test', 'gas: challengeStep, ETH withdrawal (lost)'),
      blockEndLost: pick(f, 'ChallengeGasKind3Test', 'gas: challengeStep, block end (lost)'),
      depositRowFromBlob4OpeningsLost: pick(
        f,
        'ChallengeGasKind3BlobTest',
        'gas: challengeStep, deposit row from a blob, 4 openings (lost)',
      ),
      witnessCalldataBytes: pick(f, 'ChallengeGasKind3Test', 'calldata: witness bytes'),
    },
    /** Issue 7: a winning challenge's gas with proposals stacked on the wrong root (deletion is O(1) in them). */
    stackedProposals: {
      nothingStacked: pick(f, 'ExploitsTest', 'gas: challenge of a wrong root, nothing stacked'),
      hundredStacked: pick(f, 'ExploitsTest', 'gas: challenge of a wrong root, 100 proposals stacked on it'),
      stacked3300: pick(f, 'ExploitsTest', 'gas: challenge of a wrong root, 3,300 proposals stacked on it'),
    },
    /** Issue 7: calldata bytes of the largest possible challenges (a public mempool takes up to 131,072). */
    largestChallengeCalldataBytes: {
      challengeStep: pick(f, 'ExploitsTest', 'bytes: largest challengeStep calldata'),
      challengeStepCount: pick(f, 'ExploitsTest', 'bytes: largest challengeStepCount calldata'),
    },
    executeRowWorstCasePerRowType: f.byContract.StepVerifierTest ?? {},
    proposeAndAppend: f.byContract.GasTest ?? {},
  }
}

export type AttackRow = {
  fault: FaultKind
  ok: boolean
  error?: string
  challengeKind?: string
  challengeStep?: number
  /** Gas of the whole challenge transaction (receipt: 21,000 + calldata + execution). */
  proofGas?: number
  secondsToDeletion?: number
  wallSeconds?: number
  caught?: boolean
  bondSlashed?: boolean
  withdrawalAgainstBadRootRejected?: boolean
  honestReproposal?: boolean
  challengerPayoutWei?: string
  burntWei?: string
}

export const ATTACK_DEVNET = {
  challengeWindowSeconds: 30n,
  batcherMaxBatchAgeMs: 300,
} as const

/**
 * Runs `runAttack` for each kind on one devnet (blob batches, max batch age 300 ms, a 30 s window), like
 * test/e2e/fraudProofs.test.ts. A kind that fails is recorded with its error, never dropped.
 */
export async function attackMatrix(
  kinds: readonly FaultKind[],
  logger: Logger,
  log: (s: string) => void,
  onShutdown: (fn: () => Promise<void>) => void,
) {
  const devnet = await startDevnet(
    {
      rpcPort: 0,
      devAccounts: 0,
      challengeWindowSeconds: ATTACK_DEVNET.challengeWindowSeconds,
      proposalBond: defaultDevnetOptions.proposalBond,
      challengeBond: defaultDevnetOptions.challengeBond,
      sequencer: { blockTimeMs: 100, l1PollIntervalMs: 100 },
      batcher: { dataMode: 'blob', intervalMs: 200, maxBatchAgeMs: ATTACK_DEVNET.batcherMaxBatchAgeMs },
      proposer: { intervalMs: 200 },
      challenger: { intervalMs: 200 },
    },
    { logger },
  )
  onShutdown(() => devnet.stop())
  const l1 = devnet.l1.publicClient
  const rollup = devnet.contracts.rollup
  const [window, proposalBond, challengeBond] = await Promise.all([
    l1.readContract({ address: rollup, abi: rollupAbi, functionName: 'challengeWindow' }),
    l1.readContract({ address: rollup, abi: rollupAbi, functionName: 'proposalBond' }),
    l1.readContract({ address: rollup, abi: rollupAbi, functionName: 'challengeBond' }),
  ])
  const rows: AttackRow[] = []
  const reports: AttackReport[] = []
  try {
    for (const kind of kinds) {
      // A fresh recipient: the transfer creates an L2 account, the worst case of a transfer step.
      const recipient = privateKeyToAccount(generatePrivateKey()).address
      const started = performance.now()
      try {
        const r = await runAttack(devnet, kind, {
          userKey: ANVIL_DEV_ACCOUNTS[1]?.privateKey as Hex,
          recipient,
          timeoutMs: 90_000,
        })
        reports.push(r)
        rows.push({
          fault: kind,
          ok: r.caught,
          ...(r.challengeKind === undefined ? {} : { challengeKind: r.challengeKind }),
          ...(r.challengeStep === undefined ? {} : { challengeStep: r.challengeStep }),
          proofGas: r.proofGas,
          secondsToDeletion: r.secondsToDeletion,
          wallSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
          caught: r.caught,
          bondSlashed: r.bondSlashed,
          withdrawalAgainstBadRootRejected: r.withdrawalAgainstBadRootRejected,
          honestReproposal: r.honestReproposal,
          challengerPayoutWei: r.challengerPayoutWei,
          burntWei: r.burntWei,
        })
        log(
          `   ${kind}: ${r.challengeKind} challenge, step ${r.challengeStep}, ${r.proofGas} gas, deleted ${r.secondsToDeletion} s after the proposal`,
        )
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error)
        rows.push({ fault: kind, ok: false, error: message })
        log(`   ${kind}: NOT MEASURED (${message})`)
      }
    }
  } finally {
    await devnet.stop()
  }
  const slashed = reports.find((r) => r.bondSlashed)
  return {
    rows,
    settings: {
      challengeWindowSeconds: Number(window),
      proposalBondEth: formatEther(proposalBond),
      challengeBondEth: formatEther(challengeBond),
      batcherMaxBatchAgeMs: ATTACK_DEVNET.batcherMaxBatchAgeMs,
      measuredSplit: slashed
        ? {
            challengerPayoutEth: formatEther(BigInt(slashed.challengerPayoutWei)),
            challengerNetGainEth: formatEther(BigInt(slashed.challengerPayoutWei) - challengeBond),
            burntEth: formatEther(BigInt(slashed.burntWei)),
          }
        : null,
    },
  }
}

/** What `l2kit up` starts with (defaultDevnetOptions) and the split rule of docs/optimistic.md. */
export function devnetBondSettings() {
  const d = defaultDevnetOptions
  return {
    defaultDevnet: {
      challengeWindowSeconds: Number(d.challengeWindowSeconds),
      proposalBondEth: formatEther(d.proposalBond),
      challengeBondEth: formatEther(d.challengeBond),
    },
    split:
      'a won challenge slashes the proposal bond: half to the challenger (plus its own challenge bond back), the ' +
      'rest burnt (sent to 0x…dEaD); a lost challenge (well-formed evidence showing the proposal right) pays the ' +
      "challenger's bond to the proposer; malformed evidence reverts and costs only gas",
    onWinChallengerReceivesEth: formatEther(d.challengeBond + d.proposalBond / 2n),
    onWinBurntEth: formatEther(d.proposalBond - d.proposalBond / 2n),
  }
}

export { FAULT_KINDS }
