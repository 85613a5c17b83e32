/**
 * Payment requests (BOLT 11 in l2kit form): the payee hands the payer one bech32 string that says what to pay, to
 * whom, on which chain and until when, signed by the payee's node key so nobody on the way can change it. Pure.
 *
 * String: bech32 (BIP 173 checksum, no 90-character limit; at most MAX_INVOICE_LENGTH characters) of
 *
 *     hrp = "l2kc" + network tag          data = version (1) = 0 ‖ fields ‖ signature (65)
 *
 * - Network tag: `eth` (chain id 1), `sep` (11155111, Sepolia), `dev` (31337, the anvil devnet), otherwise `x` and the
 *   chain id in decimal without leading zeros (`l2kcx10` for chain id 10). So `l2kcdev1…` is a devnet invoice. The
 *   signature covers the hrp, so an invoice cannot be moved to another chain.
 * - Fields, BOLT-style tagged: `type (1) ‖ length (uint16) ‖ value`, types strictly increasing (no repeats).
 *   Unknown odd types are skipped (optional extensions); unknown even types are refused ("it's OK to be odd").
 *
 *       0  payment hash        32 bytes, required
 *       2  payment secret      32 bytes, required (only the payer learns it, so an intermediate hop cannot probe)
 *       4  payee node id       33 bytes (compressed secp256k1), required
 *       6  created at          uint64 (8 bytes), seconds, required
 *       8  expiry              uint32 (4 bytes), seconds after creation, ≥ 1, required
 *      10  token               20 bytes (the zero address = ETH), required
 *      12  amount              1–32 bytes big-endian without leading zero, > 0; absent = any amount
 *      14  description         UTF-8, at most 639 bytes; absent = empty
 *      16  min final expiry Δ  uint32 (4 bytes), seconds; absent = the payee's default
 *
 * - Signature: `r (32) ‖ s (32) ‖ recovery id (1, 0 or 1)`, secp256k1 ECDSA with low s over
 *   `SHA-256(UTF-8(hrp) ‖ version ‖ fields)` by the payee's node key; it must recover to the payee field.
 * - An invoice expires at `created at + expiry`: it is refused when `now ≥` that.
 * All integers big-endian.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { utf8ToBytes } from '@noble/hashes/utils.js'
import { bech32 } from '@scure/base'
import {
  addressToBytes,
  bigintToBytes,
  bigintToMinimalBytes,
  bytesToAddress,
  bytesToBigint,
  concatBytes,
  equalBytes,
  isAddress,
} from '../../core/bytes.ts'
import { L2kitError } from '../../core/errors.ts'
import type { Address } from '../../core/types.ts'
import { ChannelErrorCode } from './errors.ts'
import { recoverCompressed } from './fastCrypto.ts'

/** Every invoice's hrp starts with this (l2kit channels), then the network tag. */
export const INVOICE_PREFIX = 'l2kc'
/** Data format version; any other is refused, so a future format cannot be misread. */
export const INVOICE_VERSION = 0
/** Longest description (BOLT 11's limit), so an invoice stays a string people can pass around. */
export const MAX_DESCRIPTION_BYTES = 639
/** Longest invoice string decodeInvoice reads (the largest valid one is about 1,470), so junk cannot make it work hard. */
export const MAX_INVOICE_LENGTH = 2048
/** Expiry when the payee gives none: one hour, as BOLT 11. */
export const DEFAULT_EXPIRY_SECONDS = 3600n
/** Bytes of the trailing signature. */
const SIGNATURE_LENGTH = 65

/** Field types of the data part. */
const Field = {
  paymentHash: 0,
  paymentSecret: 2,
  payee: 4,
  createdAt: 6,
  expiry: 8,
  token: 10,
  amount: 12,
  description: 14,
  minFinalExpiryDelta: 16,
} as const

/** Chains with a word for a tag; every other chain id is `x<decimal>`. */
const NETWORK_TAGS: ReadonlyMap<number, string> = new Map([
  [1, 'eth'],
  [11155111, 'sep'],
  [31337, 'dev'],
])
const CHAIN_OF_TAG: ReadonlyMap<string, number> = new Map([...NETWORK_TAGS].map(([id, tag]) => [tag, id]))
const UINT32_LIMIT = 1n << 32n
const UINT64_LIMIT = 1n << 64n
const UINT256_LIMIT = 1n << 256n
const CURVE_N = secp256k1.Point.CURVE().n
const HALF_N = CURVE_N >> 1n
const ZERO_ADDRESS: Address = '0x0000000000000000000000000000000000000000'

/** A decoded, verified invoice. */
export type Invoice = {
  chainId: number
  /** What the payer's HTLCs lock to (SHA-256 of the preimage only the payee knows). */
  paymentHash: Uint8Array
  /** Put in the final onion payload; the payee refuses HTLCs without it. */
  paymentSecret: Uint8Array
  /** 33-byte compressed secp256k1 node id; the signature recovers to it. */
  payeeNodeId: Uint8Array
  /** Token units to pay, or null when the payer chooses. */
  amount: bigint | null
  /** Lowercase token address; the zero address is ETH. */
  token: Address
  description: string
  /** Seconds (unix time). */
  createdAt: bigint
  /** Seconds after createdAt. */
  expirySeconds: bigint
  /** createdAt + expirySeconds: refused from then on. */
  expiresAt: bigint
  /** Smallest expiry delta (seconds) the final HTLC must leave, or null for the payee's default. */
  minFinalExpiryDelta: bigint | null
  /** `r ‖ s ‖ recovery id`, 65 bytes. */
  signature: Uint8Array
}

export type CreateInvoiceParams = {
  payeePrivateKey: Uint8Array
  chainId: number
  paymentHash: Uint8Array
  paymentSecret: Uint8Array
  /** Token units (> 0); absent or null: any amount. */
  amount?: bigint | null
  /** ERC-20 address; absent: ETH. */
  token?: Address
  description?: string
  /** Seconds after createdAt (default 3,600). */
  expirySeconds?: bigint
  /** Unix seconds (default: now). */
  createdAt?: bigint
  minFinalExpiryDelta?: bigint
}

/** Every refusal of this module, with a short machine-readable reason beside the message. */
function bad(reason: string, message: string, details: Record<string, unknown> = {}): never {
  throw new L2kitError(ChannelErrorCode.badInvoice, message, { details: { reason, ...details } })
}

function nowSeconds(): bigint {
  return BigInt(Math.floor(Date.now() / 1000))
}

function isChainId(chainId: unknown): chainId is number {
  return typeof chainId === 'number' && Number.isSafeInteger(chainId) && chainId > 0
}

/** The hrp of invoices on `chainId`: `l2kc` + `eth` | `sep` | `dev` | `x<decimal chain id>`. */
export function invoiceHrp(chainId: number): string {
  if (!isChainId(chainId)) bad('input', 'a chain id is a positive safe integer', { chainId })
  return INVOICE_PREFIX + (NETWORK_TAGS.get(chainId) ?? `x${chainId}`)
}

/** The chain id an hrp names; refused when it is not an l2kit channels hrp or not in canonical form. */
export function chainIdOfHrp(hrp: string): number {
  if (!hrp.startsWith(INVOICE_PREFIX)) {
    bad(
      'prefix',
      `not an l2kit channels invoice (prefix "${hrp.slice(0, 20)}", expected "${INVOICE_PREFIX}…")`,
    )
  }
  const tag = hrp.slice(INVOICE_PREFIX.length)
  const named = CHAIN_OF_TAG.get(tag)
  if (named !== undefined) return named
  const match = /^x([1-9][0-9]{0,15})$/.exec(tag)
  const chainId = match ? Number(match[1]) : Number.NaN
  if (!isChainId(chainId) || NETWORK_TAGS.has(chainId)) {
    bad('network', `unknown invoice network tag "${tag.slice(0, 20)}"`, { tag: tag.slice(0, 20) })
  }
  return chainId
}

function signingHash(hrp: string, unsigned: Uint8Array): Uint8Array {
  return sha256(concatBytes(utf8ToBytes(hrp), unsigned))
}

function field(type: number, value: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(type, value.length >> 8, value.length & 0xff), value)
}

function checkBytes(value: unknown, length: number, what: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== length)
    bad('input', `${what} must be ${length} bytes`)
}

function checkUint(value: unknown, limit: bigint, min: bigint, what: string): asserts value is bigint {
  if (typeof value !== 'bigint' || value < min || value >= limit) {
    bad('input', `${what} must be an integer in [${min}, ${limit})`, { value: String(value) })
  }
}

/** UTF-8 bytes of a description that survives a round trip (no lone surrogates), refused when too long. */
function descriptionBytes(description: string): Uint8Array {
  const bytes = utf8ToBytes(description)
  if (bytes.length > MAX_DESCRIPTION_BYTES) {
    bad('description', `the description is ${bytes.length} bytes, at most ${MAX_DESCRIPTION_BYTES}`)
  }
  if (new TextDecoder().decode(bytes) !== description)
    bad('description', 'the description is not valid Unicode')
  return bytes
}

/** Encodes and signs an invoice with the payee's node key (the node id in the invoice is derived from it). */
export function createInvoice(params: CreateInvoiceParams): string {
  const { payeePrivateKey, chainId, paymentHash, paymentSecret } = params
  const amount = params.amount ?? null
  const token = params.token ?? ZERO_ADDRESS
  const description = params.description ?? ''
  const expirySeconds = params.expirySeconds ?? DEFAULT_EXPIRY_SECONDS
  const createdAt = params.createdAt ?? nowSeconds()
  checkBytes(payeePrivateKey, 32, 'the payee private key')
  if (!secp256k1.utils.isValidSecretKey(payeePrivateKey)) bad('input', 'not a valid secp256k1 private key')
  checkBytes(paymentHash, 32, 'the payment hash')
  checkBytes(paymentSecret, 32, 'the payment secret')
  if (amount !== null) checkUint(amount, UINT256_LIMIT, 1n, 'the amount')
  if (!isAddress(token)) bad('input', 'the token must be an address (the zero address for ETH)')
  if (typeof description !== 'string') bad('input', 'the description must be a string')
  checkUint(expirySeconds, UINT32_LIMIT, 1n, 'the expiry (seconds)')
  checkUint(createdAt, UINT64_LIMIT, 0n, 'createdAt (seconds)')
  if (params.minFinalExpiryDelta !== undefined) {
    checkUint(params.minFinalExpiryDelta, UINT32_LIMIT, 0n, 'the min final expiry delta')
  }
  const hrp = invoiceHrp(chainId)
  const descBytes = descriptionBytes(description)

  const fields = [
    field(Field.paymentHash, paymentHash),
    field(Field.paymentSecret, paymentSecret),
    field(Field.payee, secp256k1.getPublicKey(payeePrivateKey, true)),
    field(Field.createdAt, bigintToBytes(createdAt, 8)),
    field(Field.expiry, bigintToBytes(expirySeconds, 4)),
    field(Field.token, addressToBytes(token)),
  ]
  if (amount !== null) fields.push(field(Field.amount, bigintToMinimalBytes(amount)))
  if (descBytes.length > 0) fields.push(field(Field.description, descBytes))
  if (params.minFinalExpiryDelta !== undefined) {
    fields.push(field(Field.minFinalExpiryDelta, bigintToBytes(params.minFinalExpiryDelta, 4)))
  }
  const unsigned = concatBytes(Uint8Array.of(INVOICE_VERSION), ...fields)
  const recovered = secp256k1.sign(signingHash(hrp, unsigned), payeePrivateKey, {
    prehash: false,
    lowS: true,
    format: 'recovered',
  })
  // noble's 'recovered' format is recovery ‖ r ‖ s; the wire has r ‖ s ‖ recovery, as BOLT 11.
  const signature = concatBytes(recovered.subarray(1), recovered.subarray(0, 1))
  return bech32.encode(hrp, bech32.toWords(concatBytes(unsigned, signature)), false)
}

/**
 * Decodes and verifies an invoice: checksum, network (`expectedChainId` when given), version, every field, the
 * payee's signature, and expiry against `now` (unix seconds, default the clock). Anything wrong is
 * CHANNEL_BAD_INVOICE with the reason in the message and `details.reason`.
 */
export function decodeInvoice(
  invoice: string,
  options: { now?: bigint; expectedChainId?: number } = {},
): Invoice {
  if (typeof invoice !== 'string') bad('format', 'an invoice is a string')
  if (invoice.length > MAX_INVOICE_LENGTH) {
    bad('format', `the invoice is ${invoice.length} characters, at most ${MAX_INVOICE_LENGTH}`)
  }
  let decoded: { prefix: string; words: number[] }
  try {
    decoded = bech32.decode(invoice, false)
  } catch (error) {
    return bad(
      'checksum',
      `not a valid bech32 string (bad checksum, character or case): ${(error as Error).message}`,
    )
  }
  const hrp = decoded.prefix
  const chainId = chainIdOfHrp(hrp)
  if (options.expectedChainId !== undefined && options.expectedChainId !== chainId) {
    bad('chain', `the invoice is for chain ${chainId}, expected chain ${options.expectedChainId}`, {
      chainId,
      expectedChainId: options.expectedChainId,
    })
  }
  const data = bech32.fromWordsUnsafe(decoded.words)
  if (!(data instanceof Uint8Array))
    bad('format', 'the invoice data has invalid bit padding (truncated or altered)')
  if (data.length < 1 + SIGNATURE_LENGTH) {
    bad(
      'truncated',
      `the invoice data is truncated (${data.length} bytes, needs at least ${1 + SIGNATURE_LENGTH})`,
    )
  }
  if (data[0] !== INVOICE_VERSION) bad('version', `unknown invoice version ${data[0]}`, { version: data[0] })

  const end = data.length - SIGNATURE_LENGTH
  const values = new Map<number, Uint8Array>()
  let offset = 1
  let lastType = -1
  while (offset < end) {
    if (end - offset < 3) bad('truncated', 'the invoice data is truncated (in a field header)', { offset })
    const type = data[offset] as number
    const length = ((data[offset + 1] as number) << 8) | (data[offset + 2] as number)
    offset += 3
    if (length > end - offset) {
      bad(
        'truncated',
        `the invoice data is truncated (field ${type} claims ${length} bytes, ${end - offset} left)`,
      )
    }
    if (type <= lastType) bad('field', `invoice field ${type} is repeated or out of order`, { type })
    lastType = type
    const value = data.subarray(offset, offset + length)
    offset += length
    if (type % 2 === 1 || type > Field.minFinalExpiryDelta) {
      if (type % 2 === 0) bad('field', `unknown required invoice field ${type}`, { type })
      continue // an optional extension this version does not read (still covered by the signature)
    }
    values.set(type, value)
  }

  const fixed = (type: number, length: number, name: string): Uint8Array => {
    const value = values.get(type)
    if (value === undefined) return bad('field', `the invoice has no ${name}`, { type })
    if (value.length !== length)
      bad('field', `the invoice's ${name} is ${value.length} bytes, expected ${length}`)
    return value.slice()
  }
  const paymentHash = fixed(Field.paymentHash, 32, 'payment hash')
  const paymentSecret = fixed(Field.paymentSecret, 32, 'payment secret')
  const payeeNodeId = fixed(Field.payee, 33, 'payee node id')
  const createdAt = bytesToBigint(fixed(Field.createdAt, 8, 'creation time'))
  const expirySeconds = bytesToBigint(fixed(Field.expiry, 4, 'expiry'))
  if (expirySeconds === 0n) bad('field', 'the invoice expiry is zero')
  const token = bytesToAddress(fixed(Field.token, 20, 'token'))

  let amount: bigint | null = null
  const amountBytes = values.get(Field.amount)
  if (amountBytes !== undefined) {
    if (amountBytes.length < 1 || amountBytes.length > 32 || amountBytes[0] === 0) {
      bad('field', 'the invoice amount must be 1 to 32 bytes without leading zero (and > 0)')
    }
    amount = bytesToBigint(amountBytes)
  }
  let description = ''
  const descBytes = values.get(Field.description)
  if (descBytes !== undefined) {
    if (descBytes.length > MAX_DESCRIPTION_BYTES) {
      bad('description', `the description is ${descBytes.length} bytes, at most ${MAX_DESCRIPTION_BYTES}`)
    }
    try {
      description = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(descBytes)
    } catch {
      bad('description', 'the description is not valid UTF-8')
    }
  }
  let minFinalExpiryDelta: bigint | null = null
  if (values.has(Field.minFinalExpiryDelta)) {
    minFinalExpiryDelta = bytesToBigint(fixed(Field.minFinalExpiryDelta, 4, 'min final expiry delta'))
  }

  const signature = data.slice(end)
  const r = bytesToBigint(signature.subarray(0, 32))
  const s = bytesToBigint(signature.subarray(32, 64))
  const recovery = signature[64] as number
  if (r === 0n || r >= CURVE_N || s === 0n || s > HALF_N || recovery > 1) {
    bad(
      'signature',
      'the invoice signature is malformed (r or s out of range, high s, or recovery id not 0 or 1)',
    )
  }
  let signer: Uint8Array
  try {
    signer = recoverCompressed(signingHash(hrp, data.subarray(0, end)), signature.subarray(0, 64), recovery)
  } catch {
    return bad('signature', 'the invoice signature recovers no public key')
  }
  if (!equalBytes(signer, payeeNodeId)) bad('signature', 'the invoice signature is not by the payee node')

  const expiresAt = createdAt + expirySeconds
  const now = options.now ?? nowSeconds()
  if (now >= expiresAt) {
    bad('expired', `the invoice expired at ${expiresAt} (now ${now})`, {
      expiresAt: expiresAt.toString(),
      now: now.toString(),
    })
  }
  return {
    chainId,
    paymentHash,
    paymentSecret,
    payeeNodeId,
    amount,
    token,
    description,
    createdAt,
    expirySeconds,
    expiresAt,
    minFinalExpiryDelta,
    signature,
  }
}
