/** What the `l2kit zk` commands share: the node (its `zk_status` names the L1 and the rollup), keys, amounts. */
import { createPublicClient, formatUnits, type Hex, http, parseUnits } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { isL2kitError, L2kitError } from '../../core/errors.ts'
import { createL1Clients } from '../../l1/clients.ts'
import { deriveZkKey, type ZkKey } from '../../sdk/zk/index.ts'
import { loadZkCrypto } from '../../zk/protocol/crypto.ts'
import type { FlagSpec, ParsedArgs } from '../args.ts'
import { requireKey, str } from '../args.ts'

export const DEFAULT_ZK_RPC_PORT = 8549
export const DEFAULT_ZK_RPC = `http://127.0.0.1:${DEFAULT_ZK_RPC_PORT}`
/** ETH's L2 unit: 1 gwei. */
export const ETH_UNIT = 10n ** 9n

export const zkNodeFlags: FlagSpec = {
  'zk-rpc': { type: 'string', description: 'JSON-RPC URL of an l2kit ZK node', default: DEFAULT_ZK_RPC },
  'l1-rpc': { type: 'string', description: 'L1 JSON-RPC URL (default: the one the node reports)' },
}

export type ZkNodeInfo = {
  family: 'zk'
  rollup: Hex
  l1Rpc: string
  deployBlock: string
  chunks: number
  depth: number
  sealedBlocks: number
  committedBlocks: number
  verifiedBlocks: number
  exodusMode: boolean
  pendingOperations: number
  proveBacklog: number
  provenBlocks: number
  l1Requests: number
}

export async function readZkStatus(zkRpc: string): Promise<ZkNodeInfo> {
  const client = createPublicClient({ transport: http(zkRpc, { retryCount: 0, timeout: 10_000 }) })
  try {
    return (await client.request({ method: 'zk_status' as never })) as ZkNodeInfo
  } catch (err) {
    throw new L2kitError(
      'L2_UNREACHABLE',
      `no l2kit ZK node answers at ${zkRpc} (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); start one with 'l2kit up' or pass --zk-rpc`,
      { kind: 'temporary' },
    )
  }
}

/** The node, the L1 clients of `--private-key`, and the L2 key derived from it (as a wallet would sign). */
export async function zkContext(args: ParsedArgs) {
  await loadZkCrypto()
  const zkRpc = str(args.values['zk-rpc']) ?? DEFAULT_ZK_RPC
  const info = await readZkStatus(zkRpc)
  const node = createPublicClient({ transport: http(zkRpc) })
  const privateKey = requireKey(args)
  const l1 = await createL1Clients({ rpcUrl: str(args.values['l1-rpc']) ?? info.l1Rpc, privateKey })
  const key: ZkKey = await deriveZkKey({
    walletClient: l1.walletClient,
    rollup: info.rollup,
    chainId: l1.chain.id,
  })
  return { zkRpc, info, node, l1, key, address: privateKeyToAccount(privateKey).address }
}

/** `--amount` in ETH (or token units of `decimals`) → base units, checked to be a whole number of L2 units. */
export function parseAmount(
  args: ParsedArgs,
  unit = ETH_UNIT,
  decimals = 18,
): { base: bigint; units: bigint } {
  const text = str(args.values.amount)
  if (text === undefined) throw new L2kitError('INVALID_ARGUMENTS', '--amount is required, e.g. --amount 0.5')
  let base: bigint
  try {
    base = parseUnits(text, decimals)
  } catch {
    throw new L2kitError('INVALID_ARGUMENTS', `--amount ${text} is not a number`)
  }
  if (base <= 0n) throw new L2kitError('INVALID_ARGUMENTS', '--amount must be positive')
  if (base % unit !== 0n) {
    throw new L2kitError(
      'INVALID_AMOUNT',
      `--amount ${text} is not a whole number of L2 units (${formatUnits(unit, decimals)})`,
    )
  }
  return { base, units: base / unit }
}

export function formatUnitsEth(units: bigint): string {
  return `${formatUnits(units * ETH_UNIT, 18)} ETH`
}

/** Runs `fn`, turning a node refusal carried inside viem's error into the node's typed error. */
export async function nodeCall<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (isL2kitError(err)) throw err
    throw new L2kitError(
      'L2_UNREACHABLE',
      `${what}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
      {
        cause: err,
      },
    )
  }
}
