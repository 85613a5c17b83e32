import type { Address, Hex } from 'viem'
import { OpType, type WithdrawOp } from '../../zk/protocol/ops.ts'
import {
  checkAccountIndex,
  checkAddress,
  checkKey,
  checkNonce,
  checkTokenId,
  checkUnits,
  senderNonce,
  type ZkKey,
  type ZkNodeClient,
} from './shared.ts'
import { sendZkTx, signZkTx } from './signZkTx.ts'

export type ZkWithdrawResult = { hash: Hex; nonce: number; amount: bigint }

/**
 * Withdraws L2 units of a token from account `from` to an L1 address (a signed WITHDRAW; any amount up to 2^56-1
 * units, no packing). Once its block is verified on L1, `amount × unit` base units are credited to `to`'s pending
 * balance on the rollup: claim them with withdrawPendingBalance (anyone may, `to` is paid). Resolves when the node
 * accepted the transaction; waitForZkTransaction({ status: 'verified' }) waits for the proof.
 */
export async function withdrawZk(parameters: {
  node: ZkNodeClient
  key: ZkKey
  from: number
  /** token id: 0 = ETH */
  token: number
  /** L2 units (ETH: gwei) */
  amount: bigint
  /** the L1 recipient */
  to: Address
  nonce?: number
}): Promise<ZkWithdrawResult> {
  const { node, key } = parameters
  checkKey(key)
  const from = checkAccountIndex(parameters.from, 'from')
  const token = checkTokenId(parameters.token)
  const amount = checkUnits(parameters.amount)
  const to = checkAddress(parameters.to, 'to')
  const nonce =
    parameters.nonce !== undefined
      ? checkNonce(parameters.nonce)
      : await senderNonce(node, from, key, token, amount)
  const op: WithdrawOp = { type: OpType.withdraw, from, token, amount, nonce, toAddress: BigInt(to) }
  const { hash } = await sendZkTx({ node, tx: await signZkTx({ key, op }) })
  return { hash, nonce, amount }
}
