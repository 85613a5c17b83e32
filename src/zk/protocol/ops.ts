/**
 * The ZK rollup's wire formats (docs/zk.md): packed amounts, the 10-byte pubdata chunks, priority requests and
 * their Poseidon chain, the signed message, and the block commitment. Pure; the circuit and ZkRollup.sol compute
 * exactly the same things.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { L2kitError } from '../../core/errors.ts'
import { FIELD, fieldToBytes, poseidon } from './crypto.ts'
import './errors.ts'

/** Bytes per pubdata chunk. */
export const CHUNK_BYTES = 10
/** Token slots per account (token 0 = ETH). */
export const TOKENS = 4
/** Amounts and balances are < 2^56 units. */
export const AMOUNT_BITS = 56
export const MAX_AMOUNT = (1n << 56n) - 1n
/** Account indices are 16 bits on the wire (the tree may be shallower). */
export const MAX_ACCOUNT_INDEX = 0xffff
/** Nonces are 32 bits. */
export const MAX_NONCE = 0xffffffff

export const OpType = {
  noop: 0,
  deposit: 1,
  transfer: 2,
  transferToNew: 3,
  withdraw: 4,
  fullExit: 5,
  changePubKey: 6,
} as const
export type OpType = (typeof OpType)[keyof typeof OpType]

/** Chunks each operation takes (TRANSFER_TO_NEW and WITHDRAW carry a 160-bit address in 2 more). */
export function opChunks(type: OpType): number {
  return type === OpType.transferToNew || type === OpType.withdraw ? 3 : 1
}

export function isPriorityOp(type: OpType): boolean {
  return type === OpType.deposit || type === OpType.fullExit || type === OpType.changePubKey
}

// ---- packed amounts: mantissa (35 bits) << 5 | exponent (5 bits), value mantissa * 10^exponent

const MANTISSA_BITS = 35n
const MAX_MANTISSA = (1n << MANTISSA_BITS) - 1n

/** The packed form of `amount`, or undefined if it has none (too many significant digits, or >= 2^56). */
export function packAmount(amount: bigint): bigint | undefined {
  if (amount < 0n || amount > MAX_AMOUNT) return undefined
  let mantissa = amount
  let exponent = 0n
  while (mantissa > MAX_MANTISSA && mantissa % 10n === 0n && exponent < 31n) {
    mantissa /= 10n
    exponent += 1n
  }
  if (mantissa > MAX_MANTISSA) return undefined
  return (mantissa << 5n) | exponent
}

export function unpackAmount(packed: bigint): bigint {
  return (packed >> 5n) * 10n ** (packed & 31n)
}

export function isPackable(amount: bigint): boolean {
  return packAmount(amount) !== undefined
}

/** The largest packable amount <= `amount` (what a wallet rounds a transfer down to). */
export function closestPackable(amount: bigint): bigint {
  if (amount > MAX_AMOUNT) amount = MAX_AMOUNT
  let scale = 1n
  let m = amount
  while (m > MAX_MANTISSA) {
    m /= 10n
    scale *= 10n
  }
  return m * scale
}

// ---- operations

export type Address = bigint

export type DepositOp = {
  type: typeof OpType.deposit
  account: number
  token: number
  amount: bigint
  /** the request's owner address and optional key (from L1) */
  owner: Address
  pkHash: bigint
}
export type TransferOp = {
  type: typeof OpType.transfer
  from: number
  to: number
  token: number
  amount: bigint
  nonce: number
}
export type TransferToNewOp = {
  type: typeof OpType.transferToNew
  from: number
  to: number
  token: number
  amount: bigint
  nonce: number
  toAddress: Address
}
export type WithdrawOp = {
  type: typeof OpType.withdraw
  from: number
  token: number
  amount: bigint
  nonce: number
  toAddress: Address
}
export type FullExitOp = {
  type: typeof OpType.fullExit
  account: number
  token: number
  /** the requester (from L1) */
  requester: Address
  /** what was withdrawn: the whole balance if `requester` owns the account, else 0 */
  amount: bigint
}
export type ChangePubKeyOp = {
  type: typeof OpType.changePubKey
  account: number
  requester: Address
  pkHash: bigint
}
export type NoopOp = { type: typeof OpType.noop }
export type ZkOp =
  | NoopOp
  | DepositOp
  | TransferOp
  | TransferToNewOp
  | WithdrawOp
  | FullExitOp
  | ChangePubKeyOp
export type SignedOp = TransferOp | TransferToNewOp | WithdrawOp

function checkAddress(a: bigint): void {
  if (a < 0n || a >> 160n !== 0n) throw new L2kitError('INVALID_ADDRESS', `address ${a} is not 160 bits`)
}

/** The 80-bit starting chunk of an operation (type | A | token | X). */
export function opChunk(op: ZkOp): bigint {
  const chunk = (type: number, a: number, token: number, x: bigint): bigint =>
    (BigInt(type) << 77n) | (BigInt(a) << 61n) | (BigInt(token) << 56n) | x
  switch (op.type) {
    case OpType.noop:
      return 0n
    case OpType.deposit:
      return chunk(op.type, op.account, op.token, op.amount)
    case OpType.transfer:
    case OpType.transferToNew: {
      const packed = packAmount(op.amount)
      if (packed === undefined) {
        throw new L2kitError(
          'AMOUNT_NOT_PACKABLE',
          `amount ${op.amount} has no packed form (35-bit mantissa × 10^e)`,
        )
      }
      return chunk(op.type, op.from, op.token, (BigInt(op.to) << 40n) | packed)
    }
    case OpType.withdraw:
      return chunk(op.type, op.from, op.token, op.amount)
    case OpType.fullExit:
      return chunk(op.type, op.account, op.token, op.amount)
    case OpType.changePubKey:
      return chunk(op.type, op.account, 0, 0n)
  }
}

/** All chunks of an operation (its start and, for TRANSFER_TO_NEW / WITHDRAW, the address halves). */
export function opChunksOf(op: ZkOp): bigint[] {
  const first = opChunk(op)
  if (op.type === OpType.transferToNew || op.type === OpType.withdraw) {
    checkAddress(op.toAddress)
    return [first, op.toAddress >> 80n, op.toAddress & ((1n << 80n) - 1n)]
  }
  return [first]
}

/** Pubdata of a block: the operations' chunks, padded with NOOPs to `chunks`. */
export function encodePubdata(ops: readonly ZkOp[], chunks: number): Uint8Array {
  const all = ops.flatMap(opChunksOf)
  if (all.length > chunks) {
    throw new L2kitError('ZK_BLOCK_FULL', `${all.length} chunks do not fit a block of ${chunks}`)
  }
  const out = new Uint8Array(chunks * CHUNK_BYTES)
  all.forEach((c, i) => {
    let v = c
    for (let j = CHUNK_BYTES - 1; j >= 0; j--) {
      out[i * CHUNK_BYTES + j] = Number(v & 0xffn)
      v >>= 8n
    }
  })
  return out
}

/** One decoded operation as L1 sees it (no L1 request data: the chain binds that). */
export type PubdataOp =
  | { type: typeof OpType.noop }
  | { type: typeof OpType.deposit; account: number; token: number; amount: bigint }
  | { type: typeof OpType.transfer; from: number; to: number; token: number; amount: bigint }
  | {
      type: typeof OpType.transferToNew
      from: number
      to: number
      token: number
      amount: bigint
      toAddress: Address
    }
  | { type: typeof OpType.withdraw; from: number; token: number; amount: bigint; toAddress: Address }
  | { type: typeof OpType.fullExit; account: number; token: number; amount: bigint }
  | { type: typeof OpType.changePubKey; account: number }

function malformed(message: string, details: Record<string, unknown> = {}): L2kitError {
  return new L2kitError('ZK_MALFORMED_PUBDATA', message, { details })
}

/** Decodes pubdata into operations (NOOPs included), rejecting anything the circuit would not accept. */
export function decodePubdata(pubdata: Uint8Array): PubdataOp[] {
  if (pubdata.length % CHUNK_BYTES !== 0) {
    throw malformed(`pubdata length ${pubdata.length} is not a multiple of ${CHUNK_BYTES}`)
  }
  const chunks: bigint[] = []
  for (let i = 0; i < pubdata.length; i += CHUNK_BYTES) {
    let v = 0n
    for (let j = 0; j < CHUNK_BYTES; j++) v = (v << 8n) | BigInt(pubdata[i + j] as number)
    chunks.push(v)
  }
  const ops: PubdataOp[] = []
  for (let i = 0; i < chunks.length; ) {
    const c = chunks[i] as bigint
    const type = Number(c >> 77n)
    const a = Number((c >> 61n) & 0xffffn)
    const token = Number((c >> 56n) & 31n)
    const x = c & MAX_AMOUNT
    if (type !== OpType.noop && token >= TOKENS) throw malformed(`chunk ${i}: token ${token} >= ${TOKENS}`)
    const address = (): bigint => {
      if (i + 2 >= chunks.length) throw malformed(`chunk ${i}: the operation's address runs past the block`)
      return ((chunks[i + 1] as bigint) << 80n) | (chunks[i + 2] as bigint)
    }
    switch (type) {
      case OpType.noop:
        if (c !== 0n) throw malformed(`chunk ${i}: a NOOP chunk must be all zeros`)
        ops.push({ type })
        break
      case OpType.deposit:
        ops.push({ type, account: a, token, amount: x })
        break
      case OpType.transfer:
        ops.push({ type, from: a, to: Number(x >> 40n), token, amount: checkedUnpack(x, i) })
        break
      case OpType.transferToNew:
        ops.push({
          type,
          from: a,
          to: Number(x >> 40n),
          token,
          amount: checkedUnpack(x, i),
          toAddress: address(),
        })
        break
      case OpType.withdraw:
        ops.push({ type, from: a, token, amount: x, toAddress: address() })
        break
      case OpType.fullExit:
        ops.push({ type, account: a, token, amount: x })
        break
      case OpType.changePubKey:
        if (token !== 0 || x !== 0n) throw malformed(`chunk ${i}: CHANGE_PUBKEY has token 0 and no amount`)
        ops.push({ type, account: a })
        break
      default:
        throw malformed(`chunk ${i}: unknown operation type ${type}`)
    }
    i += opChunks(type as OpType)
  }
  return ops
}

function checkedUnpack(x: bigint, chunk: number): bigint {
  const amount = unpackAmount(x & ((1n << 40n) - 1n))
  if (amount > MAX_AMOUNT) throw malformed(`chunk ${chunk}: packed amount ${amount} is >= 2^56`)
  return amount
}

// ---- signed message

/** The field element an L2 key signs for a transfer, transfer to a new account or withdrawal. */
export function signedMessage(op: SignedOp): bigint {
  const b = op.type === OpType.withdraw ? 0n : BigInt(op.to)
  const packed =
    BigInt(op.type) +
    (BigInt(op.from) << 3n) +
    (b << 19n) +
    (BigInt(op.token) << 35n) +
    (op.amount << 40n) +
    (BigInt(op.nonce) << 96n)
  const address = op.type === OpType.transfer ? 0n : op.toAddress
  return poseidon([packed, address])
}

// ---- priority requests

export type PriorityRequest = {
  type: typeof OpType.deposit | typeof OpType.fullExit | typeof OpType.changePubKey
  /** deposit: the owner to credit; full exit / change pubkey: the requester */
  address: Address
  token: number
  /** deposit amount in units; 0 otherwise */
  amount: bigint
  /** full exit / change pubkey: the account; 0 for deposits */
  account: number
  /** deposit: optional key for a new account; change pubkey: the new key; 0 otherwise */
  pkHash: bigint
}

/** The 240-bit packed word of a request. */
export function packRequest(r: PriorityRequest): bigint {
  return (
    BigInt(r.type) +
    (BigInt(r.token) << 3n) +
    (r.amount << 8n) +
    (BigInt(r.account) << 64n) +
    (r.address << 80n)
  )
}

/** `p[n+1] = H(p[n], a_n, pkHash_n)`. */
export function nextPriorityHash(previous: bigint, r: PriorityRequest): bigint {
  return poseidon([previous, packRequest(r), r.pkHash])
}

// ---- commitment

/** `sha256(oldRoot ‖ newRoot ‖ pBefore ‖ pAfter ‖ pubdata) mod 2^253`: the proof's only public input. */
export function blockCommitment(
  oldRoot: bigint,
  newRoot: bigint,
  pBefore: bigint,
  pAfter: bigint,
  pubdata: Uint8Array,
): bigint {
  for (const v of [oldRoot, newRoot, pBefore, pAfter]) {
    if (v < 0n || v >= FIELD) throw new RangeError(`${v} is not a field element`)
  }
  const input = new Uint8Array(128 + pubdata.length)
  input.set(fieldToBytes(oldRoot), 0)
  input.set(fieldToBytes(newRoot), 32)
  input.set(fieldToBytes(pBefore), 64)
  input.set(fieldToBytes(pAfter), 96)
  input.set(pubdata, 128)
  const digest = sha256(input)
  let v = 0n
  for (const b of digest) v = (v << 8n) | BigInt(b)
  return v & ((1n << 253n) - 1n)
}

/** A 160-bit address as 0x-hex (20 bytes, lowercase). */
export function addressToHex(a: Address): `0x${string}` {
  return `0x${a.toString(16).padStart(40, '0')}`
}
