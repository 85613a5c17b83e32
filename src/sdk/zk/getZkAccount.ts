import type { Address } from 'viem'
import { L2kitError } from '../../core/errors.ts'
import {
  checkAccountIndex,
  checkAddress,
  nodeRequest,
  parseAccountJson,
  type ZkAccount,
  type ZkNodeClient,
} from './shared.ts'

/**
 * Reads an account from the node (its soft state: every accepted transaction applied), by index or by owner
 * (the owner's first account). Null when the index is unused or the owner has no account.
 */
export async function getZkAccount(
  parameters: { node: ZkNodeClient; index: number } | { node: ZkNodeClient; owner: Address },
): Promise<ZkAccount | null> {
  if ('owner' in parameters) {
    const [first] = await getZkAccountsByOwner(parameters)
    return first ?? null
  }
  const index = checkAccountIndex(parameters.index)
  const account = parseAccountJson(
    await nodeRequest(parameters.node, 'zk_getAccount', [index]),
    'zk_getAccount',
  )
  return account.owner === null ? null : account
}

/** Every account an L1 address owns, in creation order (empty if none). */
export async function getZkAccountsByOwner(parameters: {
  node: ZkNodeClient
  owner: Address
}): Promise<ZkAccount[]> {
  const owner = checkAddress(parameters.owner, 'owner')
  const method = 'zk_getAccountsByOwner'
  const answer = await nodeRequest(parameters.node, method, [owner])
  if (!Array.isArray(answer)) {
    throw new L2kitError('MALFORMED_DATA', `the ZK node's ${method} answer is not an array`, {
      details: { answer },
    })
  }
  return answer.map((a) => parseAccountJson(a, method))
}
