/**
 * The JSON form of a signed ZK transaction (what the SDK sends to `zk_sendTransaction`): numbers as decimal strings
 * so nothing loses precision. `parseZkTx` accepts exactly this shape and refuses anything else with a typed error
 * that says which field is wrong — the node's RPC boundary.
 */
import { L2kitError } from '../../core/errors.ts'
import { FIELD } from './crypto.ts'
import './errors.ts'
import { MAX_ACCOUNT_INDEX, MAX_AMOUNT, MAX_NONCE, OpType, TOKENS } from './ops.ts'
import type { SignedZkTx } from './state.ts'

export type ZkTxJson = {
  type: 'transfer' | 'transferToNew' | 'withdraw'
  from: number
  to?: number
  token: number
  amount: string
  nonce: number
  /** 0x-prefixed 20-byte address (transferToNew: the new account's owner; withdraw: the L1 recipient) */
  toAddress?: string
  pubKey: { x: string; y: string }
  signature: { r8x: string; r8y: string; s: string }
}

const TYPES = {
  transfer: OpType.transfer,
  transferToNew: OpType.transferToNew,
  withdraw: OpType.withdraw,
} as const

export function zkTxToJson(tx: SignedZkTx): ZkTxJson {
  const type =
    tx.type === OpType.transfer ? 'transfer' : tx.type === OpType.transferToNew ? 'transferToNew' : 'withdraw'
  const json: ZkTxJson = {
    type,
    from: tx.from,
    token: tx.token,
    amount: tx.amount.toString(),
    nonce: tx.nonce,
    pubKey: { x: tx.pubKey.x.toString(), y: tx.pubKey.y.toString() },
    signature: {
      r8x: tx.signature.r8x.toString(),
      r8y: tx.signature.r8y.toString(),
      s: tx.signature.s.toString(),
    },
  }
  if (tx.type !== OpType.withdraw) json.to = tx.to
  if (tx.type !== OpType.transfer) json.toAddress = `0x${tx.toAddress.toString(16).padStart(40, '0')}`
  return json
}

function bad(field: string, problem: string): never {
  throw new L2kitError('MALFORMED_TRANSACTION', `transaction field ${field}: ${problem}`, {
    details: { field },
  })
}

function integer(v: unknown, field: string, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max)
    bad(field, `must be an integer in 0..${max}`)
  return v
}

function decimal(v: unknown, field: string, max: bigint): bigint {
  if (typeof v !== 'string' || !/^(0|[1-9][0-9]{0,77})$/.test(v)) bad(field, 'must be a decimal string')
  const n = BigInt(v)
  if (n > max) bad(field, `must be at most ${max}`)
  return n
}

function record(v: unknown, field: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(field, 'must be an object')
  return v as Record<string, unknown>
}

/** Parses and range-checks a transaction from JSON; business rules (balance, nonce, signature) are the state's. */
export function parseZkTx(value: unknown): SignedZkTx {
  const o = record(value, 'transaction')
  const allowed = new Set([
    'type',
    'from',
    'to',
    'token',
    'amount',
    'nonce',
    'toAddress',
    'pubKey',
    'signature',
  ])
  for (const key of Object.keys(o)) if (!allowed.has(key)) bad(key, 'is not a transaction field')
  if (typeof o.type !== 'string' || !(o.type in TYPES))
    bad('type', 'must be transfer, transferToNew or withdraw')
  const type = TYPES[o.type as keyof typeof TYPES]
  const from = integer(o.from, 'from', MAX_ACCOUNT_INDEX)
  const token = integer(o.token, 'token', TOKENS - 1)
  const amount = decimal(o.amount, 'amount', MAX_AMOUNT)
  const nonce = integer(o.nonce, 'nonce', MAX_NONCE)
  const pk = record(o.pubKey, 'pubKey')
  const sig = record(o.signature, 'signature')
  const pubKey = { x: decimal(pk.x, 'pubKey.x', FIELD - 1n), y: decimal(pk.y, 'pubKey.y', FIELD - 1n) }
  const signature = {
    r8x: decimal(sig.r8x, 'signature.r8x', FIELD - 1n),
    r8y: decimal(sig.r8y, 'signature.r8y', FIELD - 1n),
    s: decimal(sig.s, 'signature.s', FIELD - 1n),
  }
  const address = (): bigint => {
    if (typeof o.toAddress !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(o.toAddress)) {
      bad('toAddress', 'must be a 0x-prefixed 20-byte address')
    }
    const a = BigInt(o.toAddress)
    if (a === 0n) bad('toAddress', 'must not be the zero address')
    return a
  }
  if (type === OpType.withdraw) {
    if (o.to !== undefined) bad('to', 'a withdrawal has no L2 recipient')
    return { type, from, token, amount, nonce, toAddress: address(), pubKey, signature }
  }
  const to = integer(o.to, 'to', MAX_ACCOUNT_INDEX)
  if (type === OpType.transfer) {
    if (o.toAddress !== undefined) bad('toAddress', 'a transfer to an existing account has no address')
    return { type, from, to, token, amount, nonce, pubKey, signature }
  }
  return { type, from, to, token, amount, nonce, toAddress: address(), pubKey, signature }
}
