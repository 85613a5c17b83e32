/** Deploys the state channels' L1 contracts: the shared PreimageRegistry and the ChannelHub that uses it. */
import type { Address } from 'viem'
import {
  channelHubAbi,
  channelHubBytecode,
  preimageRegistryAbi,
  preimageRegistryBytecode,
} from '../../generated/contracts.ts'
import type { L1PublicClient, L1WalletClient } from '../../l1/clients.ts'
import { deployContractWithReceipt } from '../../l1/deploy.ts'

export type ChannelContracts = {
  hub: Address
  registry: Address
  /** the L1 block of the hub's deployment: where event following starts */
  deployBlock: bigint
}

export async function deployChannelContracts(
  walletClient: L1WalletClient,
  publicClient: L1PublicClient,
): Promise<ChannelContracts> {
  const registry = await deployContractWithReceipt(walletClient, publicClient, {
    abi: preimageRegistryAbi,
    bytecode: preimageRegistryBytecode,
    name: 'PreimageRegistry',
  })
  const hub = await deployContractWithReceipt(walletClient, publicClient, {
    abi: channelHubAbi,
    bytecode: channelHubBytecode,
    args: [registry.address],
    name: 'ChannelHub',
  })
  return { hub: hub.address, registry: registry.address, deployBlock: hub.receipt.blockNumber }
}
