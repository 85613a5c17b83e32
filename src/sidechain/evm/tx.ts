/**
 * Signed Ethereum transactions as the sidechain accepts them: legacy with EIP-155 replay protection and EIP-1559
 * (type 2, access lists allowed); every other type (EIP-2930, blobs, EIP-7702) is refused with
 * `UNSUPPORTED_TX_TYPE`. Decoding is strict (canonical RLP, canonical integers, low-s signatures), the sender is
 * recovered with libsecp256k1 through core's signature backend, and the result is plain data (`PoolTx`) the
 * mempool keeps and the block builder executes without decoding or recovering again.
 */
import { decode as rlpDecode, encode as rlpEncode } from '@ethereumjs/rlp'
import { bytesToHex, concatBytes, hexToBytes } from '../../core/bytes.ts'
import { L2kitError } from '../../core/errors.ts'
import { keccak256 } from '../../core/hash.ts'
import { recoverAddressFromBytes, SECP256K1_HALF_N, SECP256K1_N } from '../../core/signature.ts'
import type { Address, Hex } from '../../core/types.ts'

/** Largest signed transaction accepted (geth's txpool limit). */
export const MAX_TX_BYTES = 128 * 1024
/** EIP-3860: largest init code of a creation transaction. */
export const MAX_INITCODE_BYTES = 2 * 24_576
/** EIP-2681: a nonce is below 2^64 − 1. */
export const MAX_NONCE = (1n << 64n) - 2n

export type AccessListItem = { address: Address; storageKeys: Hex[] }

/** A decoded, signature-checked transaction with its sender: what the mempool keeps and blocks execute. */
export type PoolTx = {
  /** keccak256 of `raw` (the transaction hash). */
  hash: Hex
  /** The signed EIP-2718 bytes. */
  raw: Hex
  /** Byte length of `raw`. */
  size: number
  type: 'legacy' | 'eip1559'
  /** The recovered sender, lowercase. */
  from: Address
  nonce: bigint
  gasLimit: bigint
  /** Wei per gas the sender pays at most: legacy `gasPrice`, type 2 `maxFeePerGas`. */
  maxFee: bigint
  /** Most wei per gas above the base fee that go to the proposer: legacy `gasPrice`, type 2 `maxPriorityFeePerGas`. */
  tip: bigint
  /** Recipient, lowercase; undefined for a contract creation. */
  to: Address | undefined
  value: bigint
  data: Uint8Array
  accessList: AccessListItem[]
  /** Gas charged before any execution (EIP-2028 calldata, EIP-2930 list, creation and EIP-3860 init code words). */
  intrinsicGas: bigint
  /** EIP-7623's calldata floor (Prague on): the least gas the transaction is charged. 0 before Prague. */
  floorGas: bigint
}

/** What `decodeTx` has before the (costly) sender recovery. */
export type UnrecoveredTx = Omit<PoolTx, 'from'> & { signingHash: Uint8Array; rs: Uint8Array; yParity: 0 | 1 }

export type TxRules = {
  chainId: bigint
  /** EIP-7623 calldata floor (Prague and later). */
  calldataFloor: boolean
}

const TWO_256 = 1n << 256n

function malformed(message: string, details: Record<string, unknown> = {}): never {
  throw new L2kitError('MALFORMED_TRANSACTION', message, { details })
}

function bytesToBig(b: Uint8Array): bigint {
  if (b.length === 0) return 0n
  return BigInt(bytesToHex(b))
}

/** A canonical RLP integer field (no leading zero byte) below `limit`. */
function int(item: unknown, field: string, limit: bigint = TWO_256): bigint {
  if (!(item instanceof Uint8Array)) malformed(`${field} must be an RLP string`)
  if (item.length > 0 && item[0] === 0) malformed(`${field} has a leading zero byte (non-canonical integer)`)
  if (item.length > 32) malformed(`${field} is longer than 32 bytes`)
  const v = bytesToBig(item)
  if (v >= limit) malformed(`${field} is out of range`, { [field]: v.toString() })
  return v
}

function str(item: unknown, field: string): Uint8Array {
  if (!(item instanceof Uint8Array)) malformed(`${field} must be an RLP string`)
  return item
}

function destination(item: unknown): Address | undefined {
  const b = str(item, 'to')
  if (b.length === 0) return undefined
  if (b.length !== 20) malformed(`to must be empty (contract creation) or 20 bytes, got ${b.length}`)
  return bytesToHex(b) as Address
}

function accessList(item: unknown): AccessListItem[] {
  if (!Array.isArray(item)) malformed('accessList must be an RLP list')
  return item.map((entry) => {
    if (!Array.isArray(entry) || entry.length !== 2) malformed('an access list entry is [address, [keys]]')
    const address = str(entry[0], 'accessList address')
    if (address.length !== 20) malformed('an access list address is 20 bytes')
    const keys = entry[1]
    if (!Array.isArray(keys)) malformed('access list keys must be an RLP list')
    return {
      address: bytesToHex(address) as Address,
      storageKeys: keys.map((k) => {
        const key = str(k, 'accessList key')
        if (key.length !== 32) malformed('an access list storage key is 32 bytes')
        return bytesToHex(key)
      }),
    }
  })
}

/** EIP-2028 calldata tokens (EIP-7623): zero bytes count 1, others 4. */
function calldataTokens(data: Uint8Array): bigint {
  let zeros = 0
  for (let i = 0; i < data.length; i++) if (data[i] === 0) zeros++
  return BigInt(zeros + (data.length - zeros) * 4)
}

/**
 * Intrinsic gas (Shanghai and later): 21,000, +32,000 and 2 per init-code word for a creation (EIP-3860), 4 per
 * calldata token (16 per non-zero byte), 2,400 per access-list address and 1,900 per key; and EIP-7623's floor,
 * 21,000 + 10 per token.
 */
export function intrinsicGasOf(
  tx: Pick<PoolTx, 'to' | 'data' | 'accessList'>,
  calldataFloor: boolean,
): { intrinsicGas: bigint; floorGas: bigint } {
  const tokens = calldataTokens(tx.data)
  let gas = 21_000n + tokens * 4n
  if (tx.to === undefined) gas += 32_000n + ((BigInt(tx.data.length) + 31n) / 32n) * 2n
  for (const item of tx.accessList) gas += 2_400n + 1_900n * BigInt(item.storageKeys.length)
  return { intrinsicGas: gas, floorGas: calldataFloor ? 21_000n + tokens * 10n : 0n }
}

function checkSignature(r: bigint, s: bigint): void {
  if (r <= 0n || r >= SECP256K1_N) {
    throw new L2kitError('INVALID_SIGNATURE', 'signature r is out of range (must be 0 < r < n)')
  }
  if (s <= 0n || s > SECP256K1_HALF_N) {
    throw new L2kitError('INVALID_SIGNATURE', 'signature s must be in (0, n/2] (EIP-2 low s)')
  }
}

function rsBytes(r: Uint8Array, s: Uint8Array): Uint8Array {
  const out = new Uint8Array(64)
  out.set(r, 32 - r.length)
  out.set(s, 64 - s.length)
  return out
}

/**
 * Decodes and checks a signed transaction without recovering its sender: size, type, canonical RLP and integers,
 * chain id (EIP-155 for legacy), low-s signature, init code size. Throws `MALFORMED_TRANSACTION`,
 * `TX_TOO_LARGE`, `UNSUPPORTED_TX_TYPE`, `UNPROTECTED_TX`, `WRONG_CHAIN_ID` or `INVALID_SIGNATURE`.
 */
export function decodeTx(input: Hex | Uint8Array, rules: TxRules): UnrecoveredTx {
  let raw: Uint8Array
  if (typeof input === 'string') {
    if (input.length > 2 + 2 * MAX_TX_BYTES) {
      throw new L2kitError('TX_TOO_LARGE', `a transaction is at most ${MAX_TX_BYTES} bytes`, {
        details: { size: (input.length - 2) / 2, max: MAX_TX_BYTES },
      })
    }
    raw = hexToBytes(input, 'MALFORMED_TRANSACTION')
  } else raw = input
  if (raw.length > MAX_TX_BYTES) {
    throw new L2kitError('TX_TOO_LARGE', `a transaction is at most ${MAX_TX_BYTES} bytes`, {
      details: { size: raw.length, max: MAX_TX_BYTES },
    })
  }
  if (raw.length === 0) malformed('an empty transaction')
  const first = raw[0] as number
  if (first <= 0x7f && first !== 2) {
    throw new L2kitError(
      'UNSUPPORTED_TX_TYPE',
      `transaction type ${first} is not supported: send a legacy (EIP-155) or EIP-1559 (type 2) transaction${first === 3 ? ' (no blobs on this chain)' : ''}`,
      { details: { type: first } },
    )
  }
  return first === 2 ? decodeEip1559(raw, rules) : decodeLegacy(raw, rules)
}

function rlpList(bytes: Uint8Array, what: string): unknown[] {
  let decoded: unknown
  try {
    decoded = rlpDecode(bytes)
  } catch (cause) {
    throw new L2kitError(
      'MALFORMED_TRANSACTION',
      `${what} is not canonical RLP: ${(cause as Error).message}`,
      {
        cause,
      },
    )
  }
  if (!Array.isArray(decoded)) malformed(`${what} must be an RLP list`)
  return decoded
}

function finish(base: Omit<UnrecoveredTx, 'intrinsicGas' | 'floorGas'>, rules: TxRules): UnrecoveredTx {
  if (base.to === undefined && base.data.length > MAX_INITCODE_BYTES) {
    throw new L2kitError('TX_TOO_LARGE', `init code is at most ${MAX_INITCODE_BYTES} bytes (EIP-3860)`, {
      details: { size: base.data.length, max: MAX_INITCODE_BYTES },
    })
  }
  return { ...base, ...intrinsicGasOf(base, rules.calldataFloor) }
}

function decodeEip1559(raw: Uint8Array, rules: TxRules): UnrecoveredTx {
  const f = rlpList(raw.subarray(1), 'an EIP-1559 transaction')
  if (f.length !== 12) malformed(`an EIP-1559 transaction has 12 fields, got ${f.length}`)
  const chainId = int(f[0], 'chainId')
  if (chainId !== rules.chainId) {
    throw new L2kitError('WRONG_CHAIN_ID', `chain id ${chainId} is not this chain's (${rules.chainId})`, {
      details: { got: chainId.toString(), expected: rules.chainId.toString() },
    })
  }
  const nonce = int(f[1], 'nonce', MAX_NONCE + 1n)
  const tip = int(f[2], 'maxPriorityFeePerGas')
  const maxFee = int(f[3], 'maxFeePerGas')
  const gasLimit = int(f[4], 'gas', 1n << 64n)
  const to = destination(f[5])
  const value = int(f[6], 'value')
  const data = str(f[7], 'data')
  const list = accessList(f[8])
  const yParity = int(f[9], 'yParity', 2n)
  const rB = str(f[10], 'r')
  const sB = str(f[11], 's')
  const r = int(rB, 'r')
  const s = int(sB, 's')
  checkSignature(r, s)
  if (tip > maxFee) {
    throw new L2kitError('INVALID_FEE', 'maxPriorityFeePerGas is above maxFeePerGas', {
      details: { maxPriorityFeePerGas: tip.toString(), maxFeePerGas: maxFee.toString() },
    })
  }
  if (gasLimit * maxFee >= TWO_256) malformed('gas × maxFeePerGas does not fit 256 bits')
  const signingHash = keccak256(concatBytes(new Uint8Array([2]), rlpEncode(f.slice(0, 9) as Uint8Array[])))
  return finish(
    {
      hash: bytesToHex(keccak256(raw)),
      raw: bytesToHex(raw),
      size: raw.length,
      type: 'eip1559',
      nonce,
      gasLimit,
      maxFee,
      tip,
      to,
      value,
      data,
      accessList: list,
      signingHash,
      rs: rsBytes(rB, sB),
      yParity: yParity === 1n ? 1 : 0,
    },
    rules,
  )
}

function decodeLegacy(raw: Uint8Array, rules: TxRules): UnrecoveredTx {
  const f = rlpList(raw, 'a legacy transaction')
  if (f.length !== 9) malformed(`a legacy transaction has 9 fields, got ${f.length}`)
  const nonce = int(f[0], 'nonce', MAX_NONCE + 1n)
  const gasPrice = int(f[1], 'gasPrice')
  const gasLimit = int(f[2], 'gas', 1n << 64n)
  const to = destination(f[3])
  const value = int(f[4], 'value')
  const data = str(f[5], 'data')
  const v = int(f[6], 'v')
  const rB = str(f[7], 'r')
  const sB = str(f[8], 's')
  const r = int(rB, 'r')
  const s = int(sB, 's')
  if (v === 27n || v === 28n) {
    throw new L2kitError('UNPROTECTED_TX', 'legacy transactions must be replay-protected (EIP-155)')
  }
  const yParity = v - rules.chainId * 2n - 35n
  if (yParity !== 0n && yParity !== 1n) {
    const claimed = v >= 35n ? (v - 35n) / 2n : undefined
    throw new L2kitError(
      'WRONG_CHAIN_ID',
      `v = ${v} does not sign for this chain (${rules.chainId})${claimed === undefined ? '' : `: it names chain ${claimed}`}`,
      { details: { v: v.toString(), expected: rules.chainId.toString() } },
    )
  }
  checkSignature(r, s)
  if (gasLimit * gasPrice >= TWO_256) malformed('gas × gasPrice does not fit 256 bits')
  const chainIdBytes = rlpUint(rules.chainId)
  const signingHash = keccak256(
    rlpEncode([...(f.slice(0, 6) as Uint8Array[]), chainIdBytes, new Uint8Array(0), new Uint8Array(0)]),
  )
  return finish(
    {
      hash: bytesToHex(keccak256(raw)),
      raw: bytesToHex(raw),
      size: raw.length,
      type: 'legacy',
      nonce,
      gasLimit,
      maxFee: gasPrice,
      tip: gasPrice,
      to,
      value,
      data,
      accessList: [],
      signingHash,
      rs: rsBytes(rB, sB),
      yParity: yParity === 1n ? 1 : 0,
    },
    rules,
  )
}

function rlpUint(v: bigint): Uint8Array {
  if (v === 0n) return new Uint8Array(0)
  let hex = v.toString(16)
  if (hex.length % 2 === 1) hex = `0${hex}`
  return hexToBytes(`0x${hex}`)
}

/** The sender of a decoded transaction (libsecp256k1). Throws `INVALID_SIGNATURE` when none matches. */
export function recoverTx(tx: UnrecoveredTx): PoolTx {
  const from = recoverAddressFromBytes(tx.signingHash, tx.rs, tx.yParity)
  const { signingHash: _h, rs: _rs, yParity: _y, ...rest } = tx
  return { ...rest, from }
}

/** `decodeTx` then `recoverTx`; with `sender`, the caller's already-recovered sender is taken instead. */
export function parseTx(raw: Hex | Uint8Array, rules: TxRules, sender?: Address): PoolTx {
  const tx = decodeTx(raw, rules)
  if (sender !== undefined) {
    const { signingHash: _h, rs: _rs, yParity: _y, ...rest } = tx
    return { ...rest, from: sender.toLowerCase() as Address }
  }
  return recoverTx(tx)
}

/** Wei per gas the transaction pays under `baseFee`: min(maxFee, baseFee + tip) (legacy: its gas price). */
export function effectiveGasPrice(tx: Pick<PoolTx, 'maxFee' | 'tip'>, baseFee: bigint): bigint {
  const capped = baseFee + tx.tip
  // biome-ignore lint/complexity/useMathMinMax: bigints (Math.min/max take numbers only)
  return capped < tx.maxFee ? capped : tx.maxFee
}
