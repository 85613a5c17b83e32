/** `l2kit zk demo --attack KIND`: runs one attack on a fresh devnet and prints how it was caught. */
import { L2kitError } from '../../core/errors.ts'
import { printJson, table } from '../output.ts'
import { runZkAttack, ZK_ATTACKS, type ZkAttack } from './attack.ts'

export async function runZkAttackDemo(
  kind: string,
  options: {
    l1RpcUrl: string
    dataDir: string
    chunks: number
    depth: number
    json: boolean
    onStep: (line: string) => void
  },
): Promise<void> {
  if (!(ZK_ATTACKS as readonly string[]).includes(kind)) {
    throw new L2kitError('INVALID_ARGUMENTS', `--attack must be one of ${ZK_ATTACKS.join(', ')}, got ${kind}`)
  }
  const result = await runZkAttack(kind as ZkAttack, {
    l1RpcUrl: options.l1RpcUrl,
    dataDir: options.dataDir,
    chunks: options.chunks,
    depth: options.depth,
    onStep: options.onStep,
  })
  if (options.json) printJson(result)
  else {
    process.stdout.write(
      `${table([
        ['attack', result.attack],
        ['caught', String(result.caught)],
        ['honest funds lost (wei)', result.honestFundsLost],
        ['what happened', result.detail],
        ...Object.entries(result.gas).map(([k, v]): [string, string] => [`gas: ${k}`, v]),
      ])}\n`,
    )
  }
}
