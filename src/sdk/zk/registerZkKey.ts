import type { Address, Hex, TransactionReceipt } from 'viem'
import { L2kitError } from '../../core/errors.ts'
import { zkRollupAbi } from '../../generated/contracts.ts'
import { FIELD } from '../../zk/protocol/crypto.ts'
import { writeContractChecked } from '../l1Tx.ts'
import { getZkAccount, getZkAccountsByOwner } from './getZkAccount.ts'
import {
  checkAccountIndex,
  checkAddress,
  priorityRequestOf,
  type ZkL1Clients,
  type ZkNodeClient,
} from './shared.ts'

export type ZkRegisterKeyResult = {
  l1TxHash: Hex
  receipt: TransactionReceipt
  /** the CHANGE_PUBKEY request's index in the L1 priority queue */
  requestIndex: bigint
  expiry: bigint
  accountIndex: number
}

/**
 * The owner's L1 authorisation of an L2 key for an existing account: `changePubKey(accountIndex, pkHash)` on L1,
 * a priority request the operator must include; it takes effect only if the sender owns the account (the L1
 * transaction is the authorisation), once a block includes it.
 *
 * Without `accountIndex` the node finds the sender's first account. An owner with no account yet is refused
 * (`UNKNOWN_ACCOUNT`): they register their key with their first deposit (`depositZk({ pkHash })`). With a node, an
 * account owned by someone else is refused too (`ZK_ACCOUNT_TAKEN`: the request would be ignored).
 */
export async function registerZkKey(parameters: {
  l1: ZkL1Clients
  rollup: Address
  pkHash: bigint
  accountIndex?: number
  node?: ZkNodeClient
}): Promise<ZkRegisterKeyResult> {
  const { l1, node } = parameters
  const rollup = checkAddress(parameters.rollup, 'rollup')
  const pkHash = parameters.pkHash
  if (typeof pkHash !== 'bigint' || pkHash <= 0n || pkHash >= FIELD) {
    throw new L2kitError('INVALID_PUBLIC_KEY', 'pkHash must be a non-zero field element (a ZkKey.pkHash)')
  }
  const sender = l1.walletClient.account.address
  let accountIndex: number
  if (parameters.accountIndex !== undefined) {
    accountIndex = checkAccountIndex(parameters.accountIndex)
    if (node !== undefined) {
      const account = await getZkAccount({ node, index: accountIndex })
      if (account === null) {
        throw new L2kitError(
          'UNKNOWN_ACCOUNT',
          `account ${accountIndex} does not exist: a first deposit creates an account with its key (depositZk with pkHash)`,
          { details: { accountIndex } },
        )
      }
      if (account.owner?.toLowerCase() !== sender.toLowerCase()) {
        throw new L2kitError(
          'ZK_ACCOUNT_TAKEN',
          `account ${accountIndex} belongs to ${account.owner}, not ${sender}: the request would be ignored`,
          { details: { accountIndex, owner: account.owner } },
        )
      }
    }
  } else {
    if (node === undefined) {
      throw new L2kitError(
        'INVALID_OPTIONS',
        'registerZkKey needs accountIndex, or a node to find the account by',
      )
    }
    const [first] = await getZkAccountsByOwner({ node, owner: sender })
    if (first === undefined) {
      throw new L2kitError(
        'UNKNOWN_ACCOUNT',
        `${sender} has no L2 account yet: deposit with depositZk({ ..., pkHash }) to create one with this key`,
        { details: { owner: sender } },
      )
    }
    accountIndex = first.index
  }
  const { hash, receipt } = await writeContractChecked(l1, {
    address: rollup,
    abi: zkRollupAbi,
    functionName: 'changePubKey',
    args: [accountIndex, pkHash],
    what: 'changePubKey',
  })
  const event = priorityRequestOf(rollup, hash, receipt, 'changePubKey')
  return { l1TxHash: hash, receipt, requestIndex: event.requestIndex, expiry: event.expiry, accountIndex }
}
