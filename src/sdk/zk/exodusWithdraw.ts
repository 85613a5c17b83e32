import { type Address, type Hex, parseEventLogs, type TransactionReceipt } from 'viem'
import { L2kitError } from '../../core/errors.ts'
import { zkRollupAbi } from '../../generated/contracts.ts'
import { ownerNonce, packBalances, type ZkState } from '../../zk/protocol/state.ts'
import { writeContractChecked } from '../l1Tx.ts'
import { rebuildVerifiedZkState, type VerifiedZkState } from './rebuildVerifiedZkState.ts'
import {
  addressOf,
  checkAccountIndex,
  checkAddress,
  checkTokenId,
  requireExodusMode,
  type ZkL1Clients,
} from './shared.ts'

export type ZkExodusWithdrawal = {
  l1TxHash: Hex
  receipt: TransactionReceipt
  /** the account's owner, who was paid */
  owner: Address
  /** L2 units withdrawn (the whole verified balance of the token) */
  units: bigint
  /** base units (wei for ETH) paid to `owner` */
  amount: bigint
  /** the verified state used, to pass again for the account's other tokens */
  verified: VerifiedZkState
}

/** The arguments `ZkRollup.exodusWithdraw` proves an account leaf with: its fields and its siblings, bottom-up. */
export type ZkExodusProof = { pkHash: bigint; ownerNonce: bigint; balances: bigint; siblings: bigint[] }

/** The exodus proof of an account of a (rebuilt, verified) state. */
export function zkExodusProof(state: ZkState, accountIndex: number): ZkExodusProof {
  const account = state.account(accountIndex)
  return {
    pkHash: account.pkHash,
    ownerNonce: ownerNonce(account),
    balances: packBalances(account.balances),
    siblings: state.siblings(accountIndex),
  }
}

/**
 * Exodus: withdraws the whole verified balance of `token` of account `accountIndex` WITHOUT the operator's node.
 * The verified state is rebuilt from L1 alone (rebuildVerifiedZkState: events and commit calldata, checked against
 * the contract's `verifiedRoot`), and the contract is given the account's leaf fields and Merkle siblings; it pays
 * the leaf's owner directly (no pending balance to claim). Anyone may call it; the owner is paid. Once per
 * (account, token).
 *
 * Refuses before sending: not in exodus mode (`UNSUPPORTED_OPERATION`), already withdrawn
 * (`WITHDRAWAL_ALREADY_FINALIZED`), an account with no owner (`UNKNOWN_ACCOUNT`) or a zero balance
 * (`INSUFFICIENT_BALANCE`). Pass `verified` (from a previous call or rebuildVerifiedZkState) to skip the rebuild
 * for another token or account; `depth`, if given, must be the contract's.
 */
export async function exodusWithdraw(parameters: {
  l1: ZkL1Clients
  rollup: Address
  accountIndex: number
  /** token id: 0 = ETH */
  token: number
  depth?: number
  /** L1 block at or before the rollup's deployment (log queries start there; default 0) */
  fromBlock?: bigint
  logBlockRange?: bigint
  verified?: VerifiedZkState
}): Promise<ZkExodusWithdrawal> {
  const { l1 } = parameters
  const rollup = checkAddress(parameters.rollup, 'rollup')
  const accountIndex = checkAccountIndex(parameters.accountIndex)
  const token = checkTokenId(parameters.token)
  await requireExodusMode(l1.publicClient, rollup, 'exodusWithdraw')
  const exited = await l1.publicClient.readContract({
    address: rollup,
    abi: zkRollupAbi,
    functionName: 'isExited',
    args: [BigInt(accountIndex), token],
  })
  if (exited) {
    throw new L2kitError(
      'WITHDRAWAL_ALREADY_FINALIZED',
      `token ${token} of account ${accountIndex} was already withdrawn by exodus`,
      { details: { accountIndex, token } },
    )
  }
  const verified =
    parameters.verified ??
    (await rebuildVerifiedZkState({
      publicClient: l1.publicClient,
      rollup,
      ...(parameters.fromBlock === undefined ? {} : { fromBlock: parameters.fromBlock }),
      ...(parameters.logBlockRange === undefined ? {} : { logBlockRange: parameters.logBlockRange }),
    }))
  const { state } = verified
  if (parameters.depth !== undefined && parameters.depth !== state.depth) {
    throw new L2kitError(
      'INVALID_OPTIONS',
      `depth ${parameters.depth} is not the rollup's account tree depth ${state.depth}`,
    )
  }
  if (accountIndex >= state.capacity) {
    throw new L2kitError(
      'INVALID_ACCOUNT_INDEX',
      `account ${accountIndex} is outside the tree (depth ${state.depth})`,
    )
  }
  const account = state.account(accountIndex)
  if (account.owner === 0n) {
    throw new L2kitError('UNKNOWN_ACCOUNT', `account ${accountIndex} has no owner in the verified state`, {
      details: { accountIndex, verifiedBlocks: verified.verifiedBlocks },
    })
  }
  const units = account.balances[token] ?? 0n
  if (units === 0n) {
    throw new L2kitError(
      'INSUFFICIENT_BALANCE',
      `account ${accountIndex} has no verified balance of token ${token}: nothing to withdraw`,
      { details: { accountIndex, token } },
    )
  }
  const proof = zkExodusProof(state, accountIndex)
  const { hash, receipt } = await writeContractChecked(l1, {
    address: rollup,
    abi: zkRollupAbi,
    functionName: 'exodusWithdraw',
    args: [accountIndex, token, proof.pkHash, proof.ownerNonce, proof.balances, proof.siblings],
    what: 'exodusWithdraw',
  })
  const event = parseEventLogs({ abi: zkRollupAbi, logs: receipt.logs, eventName: 'ExodusWithdrawal' }).find(
    (e) => e.address.toLowerCase() === rollup.toLowerCase(),
  )
  if (!event)
    throw new L2kitError('L1_EVENT_MISSING', `exodusWithdraw ${hash} emitted no ExodusWithdrawal event`)
  return {
    l1TxHash: hash,
    receipt,
    owner: addressOf(account.owner),
    units,
    amount: event.args.amount,
    verified,
  }
}
