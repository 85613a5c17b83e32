import type { Address, Hex } from 'viem'
import { L2kitError } from '../../core/errors.ts'
import {
  closestPackable,
  isPackable,
  OpType,
  type TransferOp,
  type TransferToNewOp,
} from '../../zk/protocol/ops.ts'
import { getZkAccountsByOwner } from './getZkAccount.ts'
import {
  checkAccountIndex,
  checkAddress,
  checkKey,
  checkNonce,
  checkTokenId,
  checkUnits,
  nodeRequest,
  senderNonce,
  type ZkKey,
  type ZkNodeClient,
} from './shared.ts'
import { sendZkTx, signZkTx } from './signZkTx.ts'

export type ZkTransferResult = {
  /** the transaction id (`zk_getTransaction`, waitForZkTransaction) */
  hash: Hex
  /** `transferToNew` when `to` was an address with no account: the transfer created its account */
  type: 'transfer' | 'transferToNew'
  /** the recipient's account index */
  to: number
  nonce: number
  /** the amount sent, in L2 units (rounded down when `roundDown` was set) */
  amount: bigint
}

/**
 * The amount a transfer can carry: transfers pack their amount as `mantissa (35 bits) × 10^exponent` (docs/zk.md),
 * so an amount with too many significant digits has no packed form. Returns `amount` if packable; else rounds down
 * to `closestPackable(amount)` when `roundDown`, or throws `AMOUNT_NOT_PACKABLE` naming that amount.
 */
export function zkTransferAmount(amount: bigint, options: { roundDown?: boolean } = {}): bigint {
  checkUnits(amount)
  if (isPackable(amount)) return amount
  const closest = closestPackable(amount)
  if (options.roundDown === true) return closest
  throw new L2kitError(
    'AMOUNT_NOT_PACKABLE',
    `a transfer of ${amount} units has no packed form (35-bit mantissa × 10^e, about 10 significant digits): send ${closest} (closestPackable), or pass roundDown: true`,
    { details: { amount: amount.toString(), closestPackable: closest.toString() } },
  )
}

/**
 * Sends L2 units of a token from account `from` (whose registered L2 key is `key`) to an account index, or to an
 * L1 address: to its first account if it has one, else with TRANSFER_TO_NEW to the node's next free index (the
 * transfer creates the recipient's account, owned by that address). The amount is checked for packability before
 * anything is sent (`zkTransferAmount`). The nonce is the sender's current one from the node unless `nonce` is
 * given. Resolves when the node accepted the transaction (soft); waitForZkTransaction for more.
 *
 * Two transfers to new accounts in flight at once may pick the same free index: the second is refused with
 * `ZK_ACCOUNT_TAKEN`; send it again.
 */
export async function transferZk(parameters: {
  node: ZkNodeClient
  key: ZkKey
  from: number
  to: number | Address
  /** token id: 0 = ETH (getZkToken for an ERC-20's) */
  token: number
  /** L2 units (ETH: gwei) */
  amount: bigint
  /** round a non-packable amount down instead of refusing it */
  roundDown?: boolean
  nonce?: number
}): Promise<ZkTransferResult> {
  const { node, key } = parameters
  checkKey(key)
  const from = checkAccountIndex(parameters.from, 'from')
  const token = checkTokenId(parameters.token)
  const amount = zkTransferAmount(
    parameters.amount,
    parameters.roundDown === undefined ? {} : { roundDown: parameters.roundDown },
  )
  const toIndex = typeof parameters.to === 'number' ? checkAccountIndex(parameters.to, 'to') : undefined
  const toAddress =
    toIndex === undefined ? checkAddress(parameters.to, 'to (an account index or an L1 address)') : undefined
  const nonce =
    parameters.nonce !== undefined
      ? checkNonce(parameters.nonce)
      : await senderNonce(node, from, key, token, amount)

  let op: TransferOp | TransferToNewOp
  if (toAddress !== undefined) {
    const [existing] = await getZkAccountsByOwner({ node, owner: toAddress })
    if (existing !== undefined) {
      op = { type: OpType.transfer, from, to: existing.index, token, amount, nonce }
    } else {
      const free = await nodeRequest(node, 'zk_getFreeAccountIndex', [])
      op = {
        type: OpType.transferToNew,
        from,
        to: checkAccountIndex(free, 'the node’s free account index'),
        token,
        amount,
        nonce,
        toAddress: BigInt(toAddress),
      }
    }
  } else {
    op = { type: OpType.transfer, from, to: toIndex as number, token, amount, nonce }
  }
  const tx = await signZkTx({ key, op })
  const { hash } = await sendZkTx({ node, tx })
  return { hash, type: op.type === OpType.transfer ? 'transfer' : 'transferToNew', to: op.to, nonce, amount }
}
