/** What `/api/config` answers: the `l2kit up --json` summary, plus the dev keys on an embedded L1. */
import type { Address, Hex } from 'viem'

export type DevAccount = { address: Address; privateKey: Hex }

export type OptimisticSummary = {
  l2Rpc: string
  l2ChainId: number
  contracts: { portal: Address; rollup: Address; devToken?: Address; devTokenL2?: Address }
  challengeWindowSeconds: number
}
export type ZkSummary = { rpc: string; contracts: { rollup: Address; verifier: Address }; chunks: number }
export type ChannelsSummary = {
  contracts: { hub: Address; registry: Address }
  watchtower: { rpc: string }
  nodes: { name: string; nodeId: string; address: Address; rpc: string; peer: string }[]
}
export type PlasmaSummary = {
  operator: { rpc: string }
  watcher: { rpc: string | null; users: Address[] }
  contracts: { framework: Address }
  exitPeriodSeconds: number
}
export type SidechainSummary = {
  chainId: number
  validators: { address: Address; rpc: string; p2p: string }[]
  contracts: { stakeManager: Address; bridge: Address; l2Bridge: Address }
  checkpointInterval: number
}

export type DashboardConfig = {
  l1Rpc: string
  l1ChainId?: number
  families: {
    optimistic?: OptimisticSummary
    zk?: ZkSummary
    channels?: ChannelsSummary
    plasma?: PlasmaSummary
    sidechain?: SidechainSummary
  }
  dashboard?: { devAccounts?: DevAccount[]; pollMs?: number }
}

export async function loadConfig(): Promise<DashboardConfig> {
  const res = await fetch('./api/config', { cache: 'no-store' })
  if (!res.ok) throw new Error(`/api/config answered ${res.status}`)
  const config = (await res.json()) as DashboardConfig
  if (typeof config.l1Rpc !== 'string' || typeof config.families !== 'object' || config.families === null)
    throw new Error('/api/config is not an l2kit devnet summary')
  return config
}
