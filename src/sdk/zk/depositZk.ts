import { type Address, erc20Abi, type Hex, type TransactionReceipt } from 'viem'
import { L2kitError } from '../../core/errors.ts'
import { zkRollupAbi } from '../../generated/contracts.ts'
import { FIELD } from '../../zk/protocol/crypto.ts'
import { MAX_AMOUNT } from '../../zk/protocol/ops.ts'
import { writeContractChecked } from '../l1Tx.ts'
import { getZkToken, ZK_ETH, type ZkToken } from './getZkToken.ts'
import { checkAddress, priorityRequestOf, type ZkL1Clients } from './shared.ts'

export type ZkDepositResult = {
  l1TxHash: Hex
  receipt: TransactionReceipt
  /** the deposit's index in the L1 priority queue */
  requestIndex: bigint
  /** L1 timestamp by which the operator must have it in a verified block (else exodus can be activated) */
  expiry: bigint
  tokenId: number
  /** the amount in L2 units (what the L2 balance grows by) */
  units: bigint
  /** the ERC-20 approval sent first, if the allowance was short */
  approveTxHash?: Hex
}

/**
 * The L2 units a deposit of `amount` base units is, or a typed `INVALID_AMOUNT` saying what is wrong: not positive,
 * not a whole number of the token's unit (ETH: 1 gwei = 10^9 wei), or not below 2^56 units. Exactly the contract's
 * checks, made before anything is sent.
 */
export function zkDepositUnits(amount: bigint, unit: bigint): bigint {
  if (typeof amount !== 'bigint' || amount <= 0n) {
    throw new L2kitError(
      'INVALID_AMOUNT',
      `a deposit must be more than 0 base units, got ${String(amount)}`,
      {
        details: { amount: String(amount), reason: 'not-positive' },
      },
    )
  }
  if (amount % unit !== 0n) {
    const down = amount - (amount % unit)
    const nearest = down > 0n ? `${down} or ${down + unit}` : `${unit}`
    throw new L2kitError(
      'INVALID_AMOUNT',
      `a deposit must be a whole number of the token's L2 unit (${unit} base units${unit === ZK_ETH.unit ? ' = 1 gwei' : ''}): ${amount} is not; ${nearest} would be`,
      { details: { amount: amount.toString(), unit: unit.toString(), reason: 'not-multiple-of-unit' } },
    )
  }
  const units = amount / unit
  if (units > MAX_AMOUNT) {
    throw new L2kitError(
      'INVALID_AMOUNT',
      `a deposit must be below 2^56 L2 units (${(MAX_AMOUNT + 1n) * unit} base units): ${amount} is ${units} units`,
      { details: { amount: amount.toString(), unit: unit.toString(), reason: 'too-large' } },
    )
  }
  return units
}

/**
 * Deposits ETH or a registered ERC-20 into the ZK rollup (a priority request the operator must include). `amount`
 * is in wei / the token's base units and must be a whole number of the token's L2 unit (checked before sending:
 * `zkDepositUnits`). `owner` (default: the sender) owns the L2 balance. `pkHash` registers that L2 key if the
 * deposit creates the owner's account (its first deposit); it is ignored when an existing account is credited
 * (then use registerZkKey). An ERC-20 is approved first if the allowance is short.
 */
export async function depositZk(parameters: {
  l1: ZkL1Clients
  rollup: Address
  token: Address | 'ETH'
  amount: bigint
  owner?: Address
  pkHash?: bigint
}): Promise<ZkDepositResult> {
  const { l1 } = parameters
  const rollup = checkAddress(parameters.rollup, 'rollup')
  const owner = checkAddress(parameters.owner ?? l1.walletClient.account.address, 'owner')
  const pkHash = parameters.pkHash ?? 0n
  if (typeof pkHash !== 'bigint' || pkHash < 0n || pkHash >= FIELD) {
    throw new L2kitError(
      'INVALID_PUBLIC_KEY',
      'pkHash must be a field element (a ZkKey.pkHash), or 0 for none',
    )
  }
  const isEth =
    parameters.token === 'ETH' ||
    (typeof parameters.token === 'string' && /^0x0{40}$/i.test(parameters.token))
  // ETH is checked before any RPC; an ERC-20 needs its unit from the rollup first
  if (isEth) zkDepositUnits(parameters.amount, ZK_ETH.unit)
  const token: ZkToken = isEth
    ? ZK_ETH
    : await getZkToken({ publicClient: l1.publicClient, rollup, token: parameters.token })
  const units = zkDepositUnits(parameters.amount, token.unit)

  let approveTxHash: Hex | undefined
  let sent: { hash: Hex; receipt: TransactionReceipt }
  if (token.id === 0) {
    sent = await writeContractChecked(l1, {
      address: rollup,
      abi: zkRollupAbi,
      functionName: 'depositETH',
      args: [owner, pkHash],
      value: parameters.amount,
      what: 'depositETH',
    })
  } else {
    const allowance = await l1.publicClient.readContract({
      address: token.address,
      abi: erc20Abi,
      functionName: 'allowance',
      args: [l1.walletClient.account.address, rollup],
    })
    if (allowance < parameters.amount) {
      approveTxHash = (
        await writeContractChecked(l1, {
          address: token.address,
          abi: erc20Abi,
          functionName: 'approve',
          args: [rollup, parameters.amount],
          what: 'approve',
        })
      ).hash
    }
    sent = await writeContractChecked(l1, {
      address: rollup,
      abi: zkRollupAbi,
      functionName: 'depositERC20',
      args: [token.address, parameters.amount, owner, pkHash],
      what: 'depositERC20',
    })
  }
  const event = priorityRequestOf(rollup, sent.hash, sent.receipt, 'deposit')
  const result: ZkDepositResult = {
    l1TxHash: sent.hash,
    receipt: sent.receipt,
    requestIndex: event.requestIndex,
    expiry: event.expiry,
    tokenId: token.id,
    units,
  }
  if (approveTxHash !== undefined) result.approveTxHash = approveTxHash
  return result
}
