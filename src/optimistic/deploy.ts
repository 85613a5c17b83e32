/** Deploys the optimistic rollup's L1 contracts (and, on a devnet, the development ERC-20). */
import { bytesToHex, encodeFunctionData } from 'viem'
import type { StateHeader } from '../core/commitment.ts'
import { L2State } from '../core/state.ts'
import type { Address, Hex } from '../core/types.ts'
import {
  devTokenAbi,
  devTokenBytecode,
  portalAbi,
  portalBytecode,
  rollupAbi,
  rollupBytecode,
} from '../generated/contracts.ts'
import type { L1PublicClient, L1WalletClient } from '../l1/clients.ts'
import { deployContractWithReceipt } from '../l1/deploy.ts'
import type { ChainConfig, RollupContracts } from './config.ts'

export type DeployRollupParameters = {
  chain: ChainConfig
  /** The account allowed to post batches. */
  batcher: Address
  challengeWindowSeconds: bigint
  proposalBond: bigint
  /** Exact wei a challenger locks; lost to the proposer if the challenge's evidence shows the proposal right. */
  challengeBond: bigint
  /** Seconds a transaction queued on L1 (`queueForcedTx`) waits before anyone may force it in. */
  inclusionWindowSeconds: bigint
  /**
   * The first proposal's parent; default the empty chain's (`genesisStateHeader`). A bench starts a Rollup on a
   * state built off-chain instead.
   */
  genesis?: StateHeader
  /** Mint a development ERC-20 to these L1 accounts. */
  devToken?: { holders: Address[]; amountEach: bigint; name?: string; symbol?: string; decimals?: number }
}

/** The genesis state header (the first proposal's parent) every node computes for this chain config. */
export function genesisStateHeader(chain: ChainConfig): StateHeader {
  return new L2State({ chainId: chain.chainId, baseFee: chain.baseFee }).stateHeader(0n)
}

/** The genesis state root every node computes for this chain config. */
export function genesisStateRoot(chain: ChainConfig): Hex {
  const r: unknown = new L2State({ chainId: chain.chainId, baseFee: chain.baseFee }).stateRoot()
  return typeof r === 'string' ? (r as Hex) : bytesToHex(r as Uint8Array)
}

export async function deployRollup(
  walletClient: L1WalletClient,
  publicClient: L1PublicClient,
  p: DeployRollupParameters,
): Promise<RollupContracts> {
  const portal = await deployContractWithReceipt(walletClient, publicClient, {
    abi: portalAbi,
    bytecode: portalBytecode,
    name: 'Portal',
  })
  const rollup = await deployContractWithReceipt(walletClient, publicClient, {
    abi: rollupAbi,
    bytecode: rollupBytecode,
    name: 'Rollup',
    args: [
      portal.address,
      p.batcher,
      p.challengeWindowSeconds,
      p.proposalBond,
      p.challengeBond,
      p.genesis ?? genesisStateHeader(p.chain),
      p.chain.chainId,
      p.chain.baseFee,
      p.inclusionWindowSeconds,
    ],
  })
  const initHash = await walletClient.sendTransaction({
    to: portal.address,
    data: encodeFunctionData({ abi: portalAbi, functionName: 'initialize', args: [rollup.address] }),
  })
  await publicClient.waitForTransactionReceipt({ hash: initHash })
  let devToken: Address | undefined
  if (p.devToken) {
    const t = p.devToken
    devToken = (
      await deployContractWithReceipt(walletClient, publicClient, {
        abi: devTokenAbi,
        bytecode: devTokenBytecode,
        name: 'DevToken',
        args: [t.name ?? 'l2kit Dev Token', t.symbol ?? 'DEV', t.decimals ?? 18, t.holders, t.amountEach],
      })
    ).address
  }
  return {
    portal: portal.address,
    rollup: rollup.address,
    ...(devToken ? { devToken } : {}),
    deployBlock: portal.receipt.blockNumber,
  }
}
