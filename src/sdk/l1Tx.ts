/**
 * How the SDK sends L1 transactions: gas estimated with a margin, receipts always checked.
 *
 * Why a margin: an estimate is made against the state before our transaction, and other transactions landing
 * first can make ours dearer. The portal packs 4 deposit timestamps per storage slot, so the deposit that opens
 * a new slot costs ~17k more gas (a fresh SSTORE) than the one estimated just before; parallel deposits with a
 * bare estimate then revert out of gas. The margin covers one new storage slot whatever the estimate.
 */
import {
  type Abi,
  type Address,
  BaseError,
  type ContractFunctionArgs,
  type ContractFunctionName,
  ContractFunctionRevertedError,
  erc20Abi,
  type Hex,
  type TransactionReceipt,
} from 'viem'
import { isL2kitError, L2kitError } from '../core/errors.ts'
import type { AnyPublicClient, AnyWalletClient } from './types.ts'

/** Gas a fresh storage slot costs (cold SSTORE 0 → non-zero, 22.1k) with room to spare. */
export const GAS_MARGIN_MIN = 30_000n
/** Proportional part of the margin, in percent of the estimate. */
export const GAS_MARGIN_PERCENT = 25n

/** `estimate` plus the larger of +25 % and +30k gas. */
export function withGasMargin(estimate: bigint): bigint {
  const proportional = (estimate * GAS_MARGIN_PERCENT) / 100n
  return estimate + (proportional > GAS_MARGIN_MIN ? proportional : GAS_MARGIN_MIN)
}

/**
 * Waits for the receipt of `hash` and throws `L1_TX_REVERTED` naming the transaction when it failed
 * (`what` says which call, e.g. "deposit"). A reverted transaction is never reported as done.
 */
export async function requireSuccess(
  publicClient: AnyPublicClient,
  hash: Hex,
  what: string,
): Promise<TransactionReceipt> {
  const receipt = await publicClient.waitForTransactionReceipt({ hash })
  if (receipt.status !== 'success') {
    throw new L2kitError(
      'L1_TX_REVERTED',
      `${what} transaction ${hash} reverted on L1 (gas used ${receipt.gasUsed}, block ${receipt.blockNumber})`,
      {
        details: {
          txHash: hash,
          gasUsed: receipt.gasUsed.toString(),
          blockNumber: receipt.blockNumber.toString(),
        },
      },
    )
  }
  return receipt
}

/**
 * Calls a contract function on L1: estimates the gas, adds the margin, sends, and waits for a successful
 * receipt. Returns the hash and the receipt; throws `L1_TX_REVERTED` (with the hash) if it reverted.
 */
export async function writeContractChecked<
  const TAbi extends Abi,
  TName extends ContractFunctionName<TAbi, 'nonpayable' | 'payable'>,
>(
  l1: { walletClient: AnyWalletClient; publicClient: AnyPublicClient },
  parameters: {
    address: Address
    abi: TAbi
    functionName: TName
    args: ContractFunctionArgs<TAbi, 'nonpayable' | 'payable', TName>
    value?: bigint
    /** Names the call in errors. */
    what: string
  },
): Promise<{ hash: Hex; receipt: TransactionReceipt }> {
  const account = l1.walletClient.account
  const call = {
    address: parameters.address,
    abi: parameters.abi,
    functionName: parameters.functionName,
    args: parameters.args,
    account,
    ...(parameters.value !== undefined && parameters.value > 0n ? { value: parameters.value } : {}),
  }
  // Loose types here: viem's overloads do not narrow over a generic ABI; the call shape is checked above.
  let estimate: bigint
  try {
    estimate = await l1.publicClient.estimateContractGas(call as never)
  } catch (err) {
    // a revert in estimation: say which custom error (and its arguments) instead of viem's whole dump
    const reverted =
      err instanceof BaseError
        ? (err.walk(
            (e) => e instanceof ContractFunctionRevertedError,
          ) as ContractFunctionRevertedError | null)
        : null
    if (reverted?.data !== undefined) {
      const args = (reverted.data.args ?? []).map((a) => String(a)).join(', ')
      throw new L2kitError(
        'L1_TX_REVERTED',
        `${parameters.what} would revert: ${reverted.data.errorName}(${args})`,
        {
          details: { errorName: reverted.data.errorName, args: (reverted.data.args ?? []).map(String) },
          cause: err,
        },
      )
    }
    throw err
  }
  const hash = await l1.walletClient.writeContract({
    ...(call as never as Record<string, unknown>),
    chain: l1.walletClient.chain,
    gas: withGasMargin(estimate),
  } as never)
  const receipt = await requireSuccess(l1.publicClient, hash, parameters.what)
  return { hash, receipt }
}

/**
 * Approves `spender` for exactly `amount` of an ERC-20 when its allowance is lower (what a deposit or a channel open
 * pulls with `transferFrom`); returns the approval's hash, or undefined when none was needed.
 */
export async function approveIfNeeded(
  l1: { walletClient: AnyWalletClient; publicClient: AnyPublicClient },
  p: { token: Address; spender: Address; amount: bigint; what: string },
): Promise<Hex | undefined> {
  const owner = l1.walletClient.account.address
  const allowance = await l1.publicClient.readContract({
    address: p.token,
    abi: erc20Abi,
    functionName: 'allowance',
    args: [owner, p.spender],
  })
  if (allowance >= p.amount) return undefined
  const { hash } = await writeContractChecked(l1, {
    address: p.token,
    abi: erc20Abi,
    functionName: 'approve',
    args: [p.spender, p.amount],
    what: p.what,
  })
  return hash
}

/**
 * The custom error name of a contract revert (e.g. `UnknownToken`), if any: from a viem error, or from the
 * L1_TX_REVERTED error `writeContractChecked` raises for a call that would revert.
 */
export function revertName(err: unknown): string | undefined {
  if (isL2kitError(err) && typeof err.details.errorName === 'string') return err.details.errorName
  if (!(err instanceof BaseError)) return undefined
  const revert = err.walk((e) => e instanceof ContractFunctionRevertedError)
  return revert instanceof ContractFunctionRevertedError ? revert.data?.errorName : undefined
}
