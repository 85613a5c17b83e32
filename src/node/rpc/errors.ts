/** The errors of the Ethereum JSON-RPC, worded as geth words them (clients match on the text). */

import { L2kitError } from '../../core/errors.ts'
import type { Hex } from '../../core/types.ts'
import { RpcError } from '../rpcServer.ts'

export function invalidParams(message: string): L2kitError {
  return new L2kitError('INVALID_PARAMS', message)
}

/** geth's answer for a block it does not have (a future number, an unknown hash). */
export function headerNotFound(): RpcError {
  return new RpcError(-32000, 'header not found')
}

/** What a Solidity contract answers for a call it cannot handle: a revert, by default with empty data. */
export function executionReverted(data: Hex = '0x'): RpcError {
  return new RpcError(3, 'execution reverted', data)
}

/** A state read at a block older than the node keeps (geth's pruned "missing trie node"). */
export function historicalStateUnavailable(block: bigint, historyFrom: bigint): L2kitError {
  return new L2kitError(
    'HISTORICAL_STATE_UNAVAILABLE',
    `historical state not available: this node keeps account history from block ${historyFrom}, block ${block} was asked`,
    { details: { block: block.toString(), historyFrom: historyFrom.toString() } },
  )
}

/**
 * geth's wording for rejected transactions, which ethers and other clients parse to classify them (ethers v6:
 * /nonce/ + /too low/ → NONCE_EXPIRED, /insufficient funds/ → INSUFFICIENT_FUNDS, "only replay-protected" →
 * UNSUPPORTED_OPERATION); the typed `data.code` and details stay, with l2kit's own explanation as
 * `details.reason`.
 */
export function gethStyleError(err: L2kitError): L2kitError {
  const d = err.details as Record<string, string | undefined>
  let message: string | undefined
  switch (err.code) {
    case 'NONCE_TOO_LOW':
      message = `nonce too low: next nonce ${d.accountNonce}, tx nonce ${d.txNonce}`
      break
    case 'NONCE_TOO_HIGH':
      message = `nonce too high: next nonce ${d.accountNonce}, tx nonce ${d.txNonce}`
      break
    case 'INSUFFICIENT_BALANCE':
      message = `insufficient funds for gas * price + value: address ${d.sender} have ${d.balance} want ${d.required}`
      break
    case 'UNKNOWN_ACCOUNT':
      // The sender never received anything: on Ethereum that is an empty account, i.e. no funds.
      message = `insufficient funds for gas * price + value: address ${d.sender} have 0 (no account on this L2 yet)`
      break
    case 'GAS_LIMIT_TOO_LOW':
      message = `intrinsic gas too low: gas ${d.gasLimit}, minimum needed ${d.required}`
      break
    case 'UNPROTECTED_TX':
      message = 'only replay-protected (EIP-155) transactions allowed over RPC'
      break
    case 'WRONG_CHAIN_ID':
      message = 'invalid chain id for signer'
      break
    case 'FEE_CAP_TOO_LOW':
      message = `max fee per gas less than block base fee: ${err.message}`
      break
  }
  if (message === undefined) return err
  return new L2kitError(err.code, message, {
    kind: err.kind,
    details: { ...err.details, reason: err.message },
    cause: err,
  })
}
