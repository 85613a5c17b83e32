/** What every sidechain action shares: the chain (a validator's JSON-RPC and the L1 contracts), the L1 clients. */
import { type Address, type Chain, defineChain } from 'viem'
import { createNodeRpcClient, type NodeRpcClient } from '../nodeRpcClient.ts'
import type { AnyPublicClient, AnyWalletClient } from '../types.ts'

/** ETH as a bridge token (the zero address). */
export const ETH_TOKEN: Address = '0x0000000000000000000000000000000000000000'

/**
 * A sidechain: any validator's JSON-RPC URL (the standard eth_* methods and sidechain_*), and its L1 bridge. The L2
 * bridge predeploy's address comes from the validator (`sidechain_getInfo`).
 */
export type SidechainChain = { rpcUrl: string; bridge: Address }

/** The sidechain as a viem `Chain` (for wallet and public clients on a validator's JSON-RPC). */
export function sidechainViemChain(chainId: bigint | number, rpcUrl: string): Chain {
  return defineChain({
    id: Number(chainId),
    name: 'l2kit sidechain',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  })
}

export type SidechainL1Clients = { walletClient: AnyWalletClient; publicClient: AnyPublicClient }

/** A validator's JSON-RPC client (errors keep the node's SIDECHAIN_* codes). */
export function validatorClient(chain: Pick<SidechainChain, 'rpcUrl'>): NodeRpcClient {
  return createNodeRpcClient(chain.rpcUrl, {
    what: 'sidechain validator',
    unreachableHint: "start one with 'l2kit up' or 'l2kit sidechain validator'",
  })
}

export type SidechainInfo = {
  chainId: bigint
  l1ChainId: bigint
  stakeManager: Address
  bridge: Address
  l2Bridge: Address
  checkpointInterval: number
  blockTimeMs: number
  devToken: Address | null
}

export async function getSidechainInfo(chain: Pick<SidechainChain, 'rpcUrl'>): Promise<SidechainInfo> {
  const r = await validatorClient(chain).request<Record<string, unknown>>('sidechain_getInfo')
  return {
    chainId: BigInt(r.chainId as string),
    l1ChainId: BigInt(r.l1ChainId as string),
    stakeManager: r.stakeManager as Address,
    bridge: r.bridge as Address,
    l2Bridge: r.l2Bridge as Address,
    checkpointInterval: r.checkpointInterval as number,
    blockTimeMs: r.blockTimeMs as number,
    devToken: (r.devToken ?? null) as Address | null,
  }
}
