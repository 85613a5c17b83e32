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

/** Solidity's panic codes, as geth names them in its "execution reverted: …" messages. */
const PANIC_REASONS: Readonly<Record<number, string>> = {
  0: 'generic panic',
  1: 'assert(false)',
  17: 'arithmetic underflow or overflow',
  18: 'division or modulo by zero',
  33: 'enum overflow',
  34: 'invalid encoded storage byte array accessed',
  49: 'out-of-bounds array access; popping on an empty array',
  50: 'out-of-bounds access of an array or bytesN',
  65: 'out of memory',
  81: 'uninitialized function',
}

/** The reason of `Error(string)` / `Panic(uint256)` revert data, as geth's `abi.UnpackRevert`; undefined otherwise. */
export function revertReason(data: Hex): string | undefined {
  const hex = data.toLowerCase()
  try {
    if (hex.startsWith('0x08c379a0') && hex.length >= 10 + 128) {
      const body = hex.slice(10)
      const offset = Number.parseInt(body.slice(0, 64), 16)
      if (!Number.isSafeInteger(offset) || offset * 2 + 64 > body.length) return undefined
      const length = Number.parseInt(body.slice(offset * 2, offset * 2 + 64), 16)
      const start = offset * 2 + 64
      if (!Number.isSafeInteger(length) || start + length * 2 > body.length) return undefined
      return new TextDecoder('utf-8', { fatal: true }).decode(
        Buffer.from(body.slice(start, start + length * 2), 'hex'),
      )
    }
    if (hex.startsWith('0x4e487b71') && hex.length === 10 + 64) {
      const code = BigInt(`0x${hex.slice(10)}`)
      const known = code < 256n ? PANIC_REASONS[Number(code)] : undefined
      return known ?? `unknown panic code: 0x${code.toString(16)}`
    }
  } catch {
    return undefined
  }
  return undefined
}

/**
 * What a contract answers for a call it cannot handle, as geth answers it: code 3, `execution reverted` (plus
 * `: <reason>` for `Error(string)` and panics) and the raw revert data as `data`, which viem, ethers and cast decode
 * against the ABI's custom errors.
 */
export function executionReverted(data: Hex = '0x'): RpcError {
  const reason = revertReason(data)
  return new RpcError(3, reason === undefined ? 'execution reverted' : `execution reverted: ${reason}`, data)
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
