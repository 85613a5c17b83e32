/**
 * Starts one family on compare's L1 exactly as `l2kit up --family <name> --l1-rpc <anvil>` would (src/cli/up.ts),
 * with compare's own keys (funded on the anvil) and free ports, so every family runs its devnet settings.
 */
import { join } from 'node:path'
import { parseEther } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import type { PhaseContext } from '../../compare/runner.ts'
import type { FamilyName } from '../../compare/types.ts'
import type { ParsedArgs } from '../args.ts'
import { startFromArgs, type UpResult } from '../up.ts'
import { type CompareEnv, roleKey, setL1Balance } from './workload.ts'

export type StartedFamily = UpResult & { keys: { operator: `0x${string}`; challenger: `0x${string}` } }

export async function startFamily(
  env: CompareEnv,
  ctx: PhaseContext,
  family: FamilyName,
  o: { variant?: string; values?: Record<string, string> } = {},
): Promise<StartedFamily> {
  const name = o.variant ?? family
  const keys = {
    operator: roleKey(`${name} operator`),
    challenger: roleKey(`${name} challenger`),
  }
  for (const k of Object.values(keys))
    await setL1Balance(env.l1, privateKeyToAccount(k).address, parseEther('10000'))
  const args: ParsedArgs = {
    values: {
      family,
      'l1-rpc': env.l1Rpc,
      'data-dir': join(env.dataDir, name),
      'private-key': keys.operator,
      'challenger-key': keys.challenger,
      port: '0',
      'zk-private-key': keys.operator,
      'zk-port': '0',
      'channels-private-key': keys.operator,
      'channels-port': '0',
      'plasma-private-key': keys.operator,
      'plasma-port': '0',
      'plasma-exit-period': String(env.plasmaExitPeriodSeconds),
      'sidechain-private-key': keys.operator,
      'sidechain-port': '0',
      'log-level': 'warn',
      ...o.values,
    },
    positionals: [],
    // nothing defaulted: port 0 means "any free port" and must not fall back to a fixed default
    defaulted: new Set(),
  }
  const started = await startFromArgs(args, env.logger, false)
  ctx.onCleanup(() => started.stop())
  return { ...started, keys }
}
