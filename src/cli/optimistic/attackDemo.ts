/**
 * `l2kit demo --attack KIND`: a fresh devnet whose operator posts one wrong state root of the chosen kind; the
 * node's challenger proves it wrong on L1 inside the window, the bond is slashed, and a withdrawal proven against
 * the bad root is refused. With `--json` the last line is the report (fault, caught, bondSlashed,
 * withdrawalAgainstBadRootRejected, proofGas, ...).
 */
import { formatEther, type Hex } from 'viem'
import { ANVIL_DEV_ACCOUNTS } from '../../l1/anvil.ts'
import type { Logger } from '../../node/logger.ts'
import { startDevnet } from '../../optimistic/devnet.ts'
import { FAULT_DESCRIPTIONS, type FaultKind } from '../../optimistic/faults.ts'
import { printJson, table } from '../output.ts'
import { runAttack } from './attack.ts'

export async function runAttackDemo(
  kind: FaultKind,
  options: { json: boolean; challengeWindowSeconds: bigint },
  logger: Logger,
  onShutdown: (fn: () => Promise<void>) => void,
): Promise<void> {
  const say = (s: string) => {
    if (!options.json) process.stdout.write(`${s}\n`)
  }
  const t0 = performance.now()
  say(`== Attack demo: ${kind}\n   ${FAULT_DESCRIPTIONS[kind]}`)
  say(
    '== 1. Fresh devnet: anvil, contracts, sequencer, batcher, proposer, verifier and a challenger (anvil account 9)',
  )
  const devnet = await startDevnet(
    {
      rpcPort: 0,
      devAccounts: 0,
      challengeWindowSeconds: options.challengeWindowSeconds,
      batcher: { dataMode: 'blob', maxBatchAgeMs: 500, intervalMs: 300 },
      proposer: { intervalMs: 300 },
      challenger: { intervalMs: 300 },
    },
    { logger },
  )
  onShutdown(() => devnet.stop())
  say(
    table([
      ['L1', devnet.l1Rpc],
      ['rollup', devnet.contracts.rollup],
      ['challenge window', `${options.challengeWindowSeconds} s`],
      ['started in', `${((performance.now() - t0) / 1000).toFixed(1)} s`],
    ]),
  )
  let n = 2
  const report = await runAttack(devnet, kind, {
    userKey: ANVIL_DEV_ACCOUNTS[1]?.privateKey as Hex,
    recipient: ANVIL_DEV_ACCOUNTS[2]?.address as Hex,
    onStep: (m) => say(`== ${n++}. ${m}`),
  })
  say(
    `\n${table([
      ['fault', report.fault],
      [
        'caught',
        `${report.caught ? 'yes' : 'NO'} (${report.challengeKind} challenge, step ${report.challengeStep}: ${report.challengeReason})`,
      ],
      ['proof gas', `${report.proofGas.toLocaleString('en-US')} (one L1 transaction)`],
      [
        'bad proposal → deletion',
        `${report.secondsToDeletion} s of a ${report.challengeWindowSeconds} s window`,
      ],
      [
        'bond slashed',
        `${report.bondSlashed ? 'yes' : 'NO'}: ${formatEther(BigInt(report.proposalBondWei))} ETH bond, challenger got ${formatEther(BigInt(report.challengerPayoutWei))} ETH (incl. its own bond back), ${formatEther(BigInt(report.burntWei))} ETH burnt`,
      ],
      [
        'withdrawal against the bad root',
        report.withdrawalAgainstBadRootRejected
          ? `refused (${report.rejection})`
          : `NOT refused (${report.rejection ?? 'no withdrawal in the forged state'})`,
      ],
      ['honest re-proposal', report.honestReproposal ? 'yes, and it agrees with derivation' : 'not seen'],
    ])}`,
  )
  if (options.json) printJson(report)
  if (!report.caught || !report.bondSlashed || !report.withdrawalAgainstBadRootRejected) process.exitCode = 1
}
