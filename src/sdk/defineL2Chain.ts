import { defineChain } from 'viem'

/** A viem chain for an l2kit L2 (ETH as native currency), so walletClient.sendTransaction works unchanged. */
export function defineL2Chain(parameters: { chainId: number; rpcUrl: string; name?: string }) {
  return defineChain({
    id: parameters.chainId,
    name: parameters.name ?? `l2kit optimistic ${parameters.chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [parameters.rpcUrl] } },
  })
}
