/** What the user-facing commands need: the L2 node's URL, and from it the L1 URL and contract addresses. */
import { createPublicClient, createWalletClient, http } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { type ErrorCode, isL2kitError, L2kitError } from '../../core/errors.ts'
import { createL1Clients } from '../../l1/clients.ts'
import { DEFAULT_L2_RPC } from '../../optimistic/config.ts'
import type { RollupContractsInfo } from '../../optimistic/protocol/rpcSchema.ts'
import { defineL2Chain } from '../../sdk/defineL2Chain.ts'
import type { ParsedArgs } from '../args.ts'
import { requireKey, str } from '../args.ts'

export type NodeContracts = RollupContractsInfo

/** The node's `l2kit_contracts` answer, or `L2_UNREACHABLE` saying how to start or name one. */
export async function readNodeContracts(l2Rpc: string): Promise<RollupContractsInfo> {
  const probe = createPublicClient({ transport: http(l2Rpc, { retryCount: 0, timeout: 10_000 }) })
  try {
    return (await probe.request({
      method: 'l2kit_contracts' as 'eth_chainId',
    })) as unknown as RollupContractsInfo
  } catch (err) {
    throw new L2kitError(
      'L2_UNREACHABLE',
      `no l2kit node answers at ${l2Rpc} (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); start one with 'l2kit up' or pass --l2-rpc`,
      { kind: 'temporary' },
    )
  }
}

export async function connectL2(args: ParsedArgs) {
  const l2Rpc = str(args.values['l2-rpc']) ?? DEFAULT_L2_RPC
  const info = await readNodeContracts(l2Rpc)
  const chain = defineL2Chain({ chainId: Number(info.l2ChainId), rpcUrl: l2Rpc })
  const l2Public = createPublicClient({ chain, transport: http(l2Rpc) })
  const l1Rpc = str(args.values['l1-rpc']) ?? info.l1Rpc
  return { l2Rpc, l1Rpc, info, chain, l2Public }
}

export async function walletsFor(args: ParsedArgs) {
  const ctx = await connectL2(args)
  const key = requireKey(args)
  const account = privateKeyToAccount(key)
  const l2Wallet = createWalletClient({ account, chain: ctx.chain, transport: http(ctx.l2Rpc) })
  const l1 = await createL1Clients({ rpcUrl: ctx.l1Rpc, privateKey: key })
  return { ...ctx, account, l2Wallet, l1 }
}

/**
 * The node's refusal inside a viem error, as an L2kitError with the node's stable code (`INSUFFICIENT_BALANCE`,
 * `NONCE_TOO_LOW`, …) and its one-line message, so the CLI prints that rather than viem's stack. Anything else is
 * returned unchanged.
 */
export function nodeRefusal(err: unknown, what: string): unknown {
  if (isL2kitError(err)) return err
  let e: unknown = err
  for (let depth = 0; depth < 10 && typeof e === 'object' && e !== null; depth++) {
    const data = (e as { data?: unknown }).data
    const code = typeof data === 'object' && data !== null ? (data as { code?: unknown }).code : undefined
    if (typeof code === 'string') {
      const detail = (e as { details?: unknown }).details
      const message = typeof detail === 'string' ? detail : (e as Error).message
      // The node's own code, passed through as the node named it.
      return new L2kitError(code as ErrorCode, `${what}: ${message.split('\n')[0]}`, { cause: err })
    }
    e = (e as { cause?: unknown }).cause
  }
  return err
}
