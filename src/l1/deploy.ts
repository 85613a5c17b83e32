/**
 * Generic contract deployment (artifacts come from `src/generated/contracts.ts`, but nothing here depends on them).
 */
import {
  type Abi,
  type Address,
  type ContractConstructorArgs,
  encodeDeployData,
  type Hex,
  type TransactionReceipt,
} from 'viem'
import { ErrorKind, L2kitError } from '../core/errors.ts'
import type { L1PublicClient, L1WalletClient } from './clients.ts'
import { L1ErrorCode } from './errors.ts'
import { decodeRevertReason, revertDataOf } from './txManager.ts'

export type DeployContractParameters<TAbi extends Abi | readonly unknown[]> = {
  abi: TAbi
  bytecode: Hex
  /** Constructor arguments (omit when the constructor takes none). */
  args?: ContractConstructorArgs<TAbi>
  /** Explicit gas limit (skips estimation). */
  gas?: bigint
  /** Optional name for error messages. */
  name?: string
}

export interface DeployedContract {
  address: Address
  txHash: Hex
  receipt: TransactionReceipt
}

/** Deploys a contract, waits for its receipt, returns its address. Throws `L1_DEPLOY_FAILED`. */
export async function deployContract<const TAbi extends Abi | readonly unknown[]>(
  walletClient: L1WalletClient,
  publicClient: L1PublicClient,
  parameters: DeployContractParameters<TAbi>,
): Promise<Address> {
  return (await deployContractWithReceipt(walletClient, publicClient, parameters)).address
}

/** `deployContract`, also returning the tx hash and receipt (deployment block, gas used). */
export async function deployContractWithReceipt<const TAbi extends Abi | readonly unknown[]>(
  walletClient: L1WalletClient,
  publicClient: L1PublicClient,
  parameters: DeployContractParameters<TAbi>,
): Promise<DeployedContract> {
  const name = parameters.name ?? 'contract'
  const fail = (message: string, cause?: unknown, details: Record<string, unknown> = {}) =>
    new L2kitError(L1ErrorCode.deployFailed, `deploying ${name} failed: ${message}`, {
      kind: ErrorKind.critical,
      details: { name, ...details },
      ...(cause === undefined ? {} : { cause }),
    })

  let data: Hex
  try {
    data = encodeDeployData({
      abi: parameters.abi as Abi,
      bytecode: parameters.bytecode,
      ...(parameters.args === undefined ? {} : { args: parameters.args as readonly unknown[] }),
    })
  } catch (cause) {
    throw fail('bad constructor arguments', cause)
  }

  let txHash: Hex
  try {
    txHash = await walletClient.sendTransaction({
      data,
      ...(parameters.gas === undefined ? {} : { gas: parameters.gas }),
    })
  } catch (cause) {
    const revertData = revertDataOf(cause)
    const reason =
      revertData !== undefined
        ? decodeRevertReason(revertData, parameters.abi as Abi)
        : cause instanceof Error
          ? cause.message.split('\n')[0]
          : String(cause)
    throw fail(reason ?? 'unknown error', cause, { revertData })
  }

  let receipt: TransactionReceipt
  try {
    receipt = await publicClient.waitForTransactionReceipt({ hash: txHash })
  } catch (cause) {
    throw fail(`no receipt for ${txHash}`, cause, { txHash })
  }
  if (receipt.status !== 'success') throw fail(`constructor reverted (tx ${txHash})`, undefined, { txHash })
  if (receipt.contractAddress === null || receipt.contractAddress === undefined) {
    throw fail(`receipt of ${txHash} has no contract address`, undefined, { txHash })
  }
  return { address: receipt.contractAddress, txHash, receipt }
}
