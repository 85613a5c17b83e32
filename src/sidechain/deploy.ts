/**
 * Puts a sidechain's L1 side in place: the `StakeManager` and the `SidechainBridge`, and validators funded from a
 * funder key and staked. Used by the devnet (`l2kit up`), the demo, the bench and the tests.
 */
import { type Address, encodeFunctionData, type Hex, keccak256, parseEther, toHex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import {
  sidechainBridgeAbi,
  sidechainBridgeBytecode,
  stakeManagerAbi,
  stakeManagerBytecode,
} from '../generated/contracts.ts'
import { createL1Clients, type L1ClientsWithWallet } from '../l1/clients.ts'
import { deployContractWithReceipt } from '../l1/deploy.ts'

export type SidechainL1Deployment = { stakeManager: Address; bridge: Address; deployBlock: bigint }

/** Validator `i`'s key derived from a funder key (the devnet's validators: deterministic, never reused elsewhere). */
export function derivedValidatorKey(funderKey: Hex, index: number): Hex {
  return keccak256(toHex(`${funderKey.toLowerCase()}:l2kit sidechain validator ${index}`))
}

export async function deploySidechainL1(
  deployer: L1ClientsWithWallet,
  o: { minStake: bigint; unbondingDelaySeconds: bigint; maxValidators: bigint },
): Promise<SidechainL1Deployment> {
  const sm = await deployContractWithReceipt(deployer.walletClient, deployer.publicClient, {
    abi: stakeManagerAbi,
    bytecode: stakeManagerBytecode,
    name: 'StakeManager',
    args: [o.minStake, o.unbondingDelaySeconds, o.maxValidators],
  })
  const bridge = await deployContractWithReceipt(deployer.walletClient, deployer.publicClient, {
    abi: sidechainBridgeAbi,
    bytecode: sidechainBridgeBytecode,
    name: 'SidechainBridge',
    args: [sm.address],
  })
  return { stakeManager: sm.address, bridge: bridge.address, deployBlock: sm.receipt.blockNumber }
}

/**
 * Funds each validator key from the deployer (stake plus `gasMoney` for its L1 transactions) and stakes it. Keys
 * already staked are left as they are.
 */
export async function stakeValidators(
  deployer: L1ClientsWithWallet,
  o: { l1RpcUrl: string; stakeManager: Address; keys: readonly Hex[]; stake: bigint; gasMoney?: bigint },
): Promise<void> {
  const gasMoney = o.gasMoney ?? parseEther('1')
  for (const key of o.keys) {
    const address = privateKeyToAccount(key).address
    const power = (await deployer.publicClient.readContract({
      address: o.stakeManager,
      abi: stakeManagerAbi,
      functionName: 'powerOf',
      args: [address],
    })) as bigint
    if (power > 0n) continue
    const have = await deployer.publicClient.getBalance({ address })
    const need = o.stake + gasMoney
    if (have < need) {
      const hash = await deployer.walletClient.sendTransaction({ to: address, value: need - have })
      await deployer.publicClient.waitForTransactionReceipt({ hash })
    }
    const v = await createL1Clients({ rpcUrl: o.l1RpcUrl, privateKey: key })
    const hash = await v.walletClient.sendTransaction({
      to: o.stakeManager,
      data: encodeFunctionData({ abi: stakeManagerAbi, functionName: 'stake' }),
      value: o.stake,
    })
    const receipt = await v.publicClient.waitForTransactionReceipt({ hash })
    if (receipt.status !== 'success') throw new Error(`staking ${address} failed (tx ${hash})`)
  }
}
