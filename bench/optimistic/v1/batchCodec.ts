/**
 * The raw batch codec: a compact, columnar encoding of consecutive L2 blocks, designed to be brotli-compressed
 * (`compression.ts`) and posted to L1. Senders are not written (recovered from signatures); recipients known at
 * the start of the batch are written as account indices.
 *
 * Columnar means each field is written for all transactions before the next field, so equal values sit next to
 * each other and brotli's entropy coder sees one distribution per column. Wallet-chosen values that repeat (tx
 * type, gas limit, fees, operation kind, token) are folded into a small dictionary of "profiles", leaving one
 * profile index per tx. What remains per tx is essentially its entropy: nonce, recipient, amount, yParity bit and
 * the 64 signature bytes.
 *
 * Layout (v1; varint = unsigned LEB128, minimal):
 * ```
 * u8      version = 1
 * varint  firstBlockNumber                      (< 2^64)
 * varint  blockCount                            (>= 1)
 * varint  timestamp of block 0, then blockCount-1 timestamp deltas
 * varint  depositCountAfter of block 0, then blockCount-1 deltas     (< 2^64)
 * varint  txCount per block                     (n = total)
 * varint  profileCount, then per profile:
 *           u8 shape = kind (bits 0-1: ethTransfer, tokenTransfer, withdrawEth, withdrawToken) | eip1559 (bit 2)
 *           u8 tokenIndex (1..255; token kinds only)
 *           varint gasLimit (< 2^64), then gasPrice (legacy) or maxFeePerGas, maxPriorityFeePerGas (< 2^256)
 * varint  profileIndex per tx
 * u8      yParity bits, 8 txs per byte, tx 8i+j at bit j of byte i (unused bits 0)
 * varint  nonce per tx                          (< 2^64)
 * varint  recipient per tx: account index + 1, or 0 = new address (< 2^32 + 1)
 * 20B     one address per 0 above, in order
 * u8      amount exponent per tx; then varint amount mantissa per tx (canonical packed amounts)
 * 32B+32B r, s per tx
 * ```
 * Decoding rejects anything else (truncation, trailing bytes, non-minimal varints, non-canonical amounts, unknown
 * indices, out-of-range values) with `L2kitError('INVALID_BATCH')` and never throws anything else on its own.
 */
import { packAmount, packedAmountProblem } from '../../../src/core/amount.ts'
import { ByteReader, ByteWriter, hexToBytes } from '../../../src/core/bytes.ts'
import { L2kitError } from '../../../src/core/errors.ts'
import type { Address, Batch, BatchBlock, L2Operation, L2Tx, TxFees } from '../../../src/core/types.ts'

/** Current raw batch format version (first byte). */
export const BATCH_CODEC_VERSION = 1
/** Default cap on blocks per decoded batch. */
export const DEFAULT_MAX_BATCH_BLOCKS = 100_000
/** Default cap on transactions per decoded batch (16 MiB of signatures alone). */
export const DEFAULT_MAX_BATCH_TXS = 262_144

/** What the encoder needs from the state at the start of the batch. */
export type BatchEncodeContext = {
  /** Account index of an address known at the start of the batch (addresses are passed lowercase). */
  indexOf(address: Address): number | undefined
}

/** What the decoder needs from the state at the start of the batch, plus size limits. */
export type BatchDecodeContext = {
  /** Address at an account index known at the start of the batch. */
  addressAt(index: number): Address | undefined
  maxBlocks?: number | undefined
  maxTxs?: number | undefined
}

const KIND_CODE = { ethTransfer: 0, tokenTransfer: 1, withdrawEth: 2, withdrawToken: 3 } as const
const KINDS = ['ethTransfer', 'tokenTransfer', 'withdrawEth', 'withdrawToken'] as const
type Kind = (typeof KINDS)[number]
const MAX_ACCOUNT_INDEX = 2 ** 32 - 1
const TWO_POW_64 = 1n << 64n
const TWO_POW_256 = 1n << 256n

function invalid(reason: string, details: Record<string, unknown> = {}): never {
  throw new L2kitError('INVALID_BATCH', reason, { details })
}

function cannotEncode(reason: string, details: Record<string, unknown> = {}): never {
  throw new L2kitError('INVALID_BATCH', `cannot encode batch: ${reason}`, { details })
}

function recipientOf(op: L2Operation): Address {
  return op.kind === 'ethTransfer' || op.kind === 'tokenTransfer' ? op.to : op.recipient
}

function isTokenKind(kind: Kind): boolean {
  return kind === 'tokenTransfer' || kind === 'withdrawToken'
}

/** The profile bytes (shape, token, gas, fees) of a tx. */
function writeProfile(w: ByteWriter, tx: L2Tx): void {
  const kind = KIND_CODE[tx.op.kind]
  if (kind === undefined) cannotEncode(`unknown operation kind ${String(tx.op.kind)}`)
  w.u8(kind | (tx.fees.type === 'eip1559' ? 4 : 0))
  if (tx.op.kind === 'tokenTransfer' || tx.op.kind === 'withdrawToken') {
    const t = tx.op.tokenIndex
    if (!Number.isInteger(t) || t < 1 || t > 255) cannotEncode(`token index ${t} is not 1..255`)
    w.u8(t)
  }
  if (tx.gasLimit < 0n || tx.gasLimit >= TWO_POW_64) cannotEncode('gasLimit out of range')
  w.varbig(tx.gasLimit)
  const fees =
    tx.fees.type === 'legacy' ? [tx.fees.gasPrice] : [tx.fees.maxFeePerGas, tx.fees.maxPriorityFeePerGas]
  for (const fee of fees) {
    if (fee < 0n || fee >= TWO_POW_256) cannotEncode('fee out of range')
    w.varbig(fee)
  }
}

/**
 * Raw (uncompressed) bytes of `batch`. Recipients that `ctx.indexOf` knows are written as indices; the caller
 * must pass the state as it is at the start of the batch. Throws `INVALID_BATCH` (or `AMOUNT_NOT_PACKABLE`) if
 * the batch cannot be represented (no blocks, decreasing timestamps or deposit counts, out-of-range values).
 */
export function encodeBatch(batch: Batch, ctx: BatchEncodeContext): Uint8Array {
  const blocks = batch.blocks
  if (blocks.length === 0) cannotEncode('a batch needs at least one block')
  if (batch.firstBlockNumber < 0n || batch.firstBlockNumber >= TWO_POW_64)
    cannotEncode('firstBlockNumber out of range')
  const txs: L2Tx[] = []
  for (const b of blocks) for (const tx of b.txs) txs.push(tx)
  const n = txs.length
  const w = new ByteWriter(256 + n * 80)

  w.u8(BATCH_CODEC_VERSION).varbig(batch.firstBlockNumber).varint(blocks.length)
  const first = blocks[0] as BatchBlock
  w.varint(first.timestamp)
  for (let i = 1; i < blocks.length; i++) {
    const delta = (blocks[i] as BatchBlock).timestamp - (blocks[i - 1] as BatchBlock).timestamp
    if (delta < 0) cannotEncode(`block ${i} of the batch has a timestamp earlier than the block before it`)
    w.varint(delta)
  }
  if (first.depositCountAfter < 0n || first.depositCountAfter >= TWO_POW_64)
    cannotEncode('deposit count out of range')
  w.varbig(first.depositCountAfter)
  for (let i = 1; i < blocks.length; i++) {
    const delta =
      (blocks[i] as BatchBlock).depositCountAfter - (blocks[i - 1] as BatchBlock).depositCountAfter
    if (delta < 0n)
      cannotEncode(`block ${i} of the batch has a smaller depositCountAfter than the block before it`)
    w.varbig(delta)
  }
  for (const b of blocks) w.varint(b.txs.length)

  // Profiles, numbered in order of first use.
  const profileIds = new Map<string, number>()
  const profiles = new ByteWriter(256)
  const profileOfTx: number[] = new Array(n)
  for (let i = 0; i < n; i++) {
    const one = new ByteWriter(64)
    writeProfile(one, txs[i] as L2Tx)
    const bytes = one.finish()
    const key = String.fromCharCode(...bytes)
    let id = profileIds.get(key)
    if (id === undefined) {
      id = profileIds.size
      profileIds.set(key, id)
      profiles.bytes(bytes)
    }
    profileOfTx[i] = id
  }
  w.varint(profileIds.size).bytes(profiles.finish())
  for (let i = 0; i < n; i++) w.varint(profileOfTx[i] as number)

  for (let i = 0; i < n; i += 8) {
    let bits = 0
    for (let j = 0; j < 8 && i + j < n; j++) {
      const y = (txs[i + j] as L2Tx).signature.yParity
      if (y !== 0 && y !== 1) cannotEncode(`yParity must be 0 or 1, got ${String(y)}`)
      bits |= y << j
    }
    w.u8(bits)
  }

  for (const tx of txs) {
    if (tx.nonce < 0n || tx.nonce >= TWO_POW_64) cannotEncode('nonce out of range')
    w.varbig(tx.nonce)
  }

  const fresh: Address[] = []
  for (const tx of txs) {
    const address = recipientOf(tx.op).toLowerCase() as Address
    const index = ctx.indexOf(address)
    if (index === undefined) {
      w.varint(0)
      fresh.push(address)
    } else {
      if (!Number.isInteger(index) || index < 0 || index > MAX_ACCOUNT_INDEX) {
        cannotEncode(`account index ${index} of ${address} is out of range`)
      }
      w.varint(index + 1)
    }
  }
  for (const address of fresh) {
    const bytes = hexToBytes(address, 'INVALID_BATCH')
    if (bytes.length !== 20) cannotEncode(`recipient ${address} is not an address`)
    w.bytes(bytes)
  }

  const packed = txs.map((tx) => packAmount(tx.op.amount))
  for (const p of packed) w.u8(p.exponent)
  for (const p of packed) w.varbig(p.mantissa)

  for (const tx of txs) {
    const { r, s } = tx.signature
    if (r < 0n || r >= TWO_POW_256 || s < 0n || s >= TWO_POW_256) cannotEncode('signature r/s out of range')
    w.uintBE(r, 32).uintBE(s, 32)
  }
  return w.finish()
}

type Profile = { kind: Kind; tokenIndex: number; gasLimit: bigint; fees: TxFees }

function readProfile(r: ByteReader, i: number): Profile {
  const shape = r.u8()
  if (shape > 7) r.fail(`profile ${i} has unknown shape bits 0x${shape.toString(16)}`)
  const kind = KINDS[shape & 3] as Kind
  let tokenIndex = 0
  if (isTokenKind(kind)) {
    tokenIndex = r.u8()
    if (tokenIndex === 0) r.fail(`profile ${i} has token index 0 (ETH) for a token operation`)
  }
  const gasLimit = r.varbig(64)
  const fees: TxFees =
    (shape & 4) === 0
      ? { type: 'legacy', gasPrice: r.varbig(256) }
      : { type: 'eip1559', maxFeePerGas: r.varbig(256), maxPriorityFeePerGas: r.varbig(256) }
  return { kind, tokenIndex, gasLimit, fees }
}

function copyFees(fees: TxFees): TxFees {
  return fees.type === 'legacy'
    ? { type: 'legacy', gasPrice: fees.gasPrice }
    : { type: 'eip1559', maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas }
}

function makeOp(p: Profile, recipient: Address, amount: bigint): L2Operation {
  switch (p.kind) {
    case 'ethTransfer':
      return { kind: 'ethTransfer', to: recipient, amount }
    case 'tokenTransfer':
      return { kind: 'tokenTransfer', tokenIndex: p.tokenIndex, to: recipient, amount }
    case 'withdrawEth':
      return { kind: 'withdrawEth', recipient, amount }
    case 'withdrawToken':
      return { kind: 'withdrawToken', tokenIndex: p.tokenIndex, recipient, amount }
  }
}

/** Parsed columns, before recipient indices are resolved through the context. */
type Parsed = {
  firstBlockNumber: bigint
  timestamps: number[]
  depositCounts: bigint[]
  txCounts: number[]
  profiles: Profile[]
  profileOfTx: number[]
  yParity: (0 | 1)[]
  nonces: bigint[]
  refs: number[]
  fresh: Address[]
  amounts: bigint[]
  r: bigint[]
  s: bigint[]
}

function parse(bytes: Uint8Array, maxBlocks: number, maxTxs: number): Parsed {
  const rd = new ByteReader(bytes, 'INVALID_BATCH')
  const version = rd.u8()
  if (version !== BATCH_CODEC_VERSION) rd.fail(`unknown batch codec version ${version}`, { version })
  const firstBlockNumber = rd.varbig(64)
  const blockCount = rd.varint(maxBlocks)
  if (blockCount === 0) rd.fail('batch has no blocks')
  // Every block takes at least three bytes below; refuse counts the data cannot hold before allocating.
  if (blockCount > rd.remaining)
    rd.fail(`batch declares ${blockCount} blocks but has ${rd.remaining} bytes left`)

  const timestamps: number[] = new Array(blockCount)
  let t = rd.varint()
  timestamps[0] = t
  for (let i = 1; i < blockCount; i++) {
    t += rd.varint()
    if (t > Number.MAX_SAFE_INTEGER) rd.fail('block timestamp overflows')
    timestamps[i] = t
  }
  const depositCounts: bigint[] = new Array(blockCount)
  let d = rd.varbig(64)
  depositCounts[0] = d
  for (let i = 1; i < blockCount; i++) {
    d += rd.varbig(64)
    if (d >= TWO_POW_64) rd.fail('deposit count overflows 64 bits')
    depositCounts[i] = d
  }
  const txCounts: number[] = new Array(blockCount)
  let n = 0
  for (let i = 0; i < blockCount; i++) {
    const c = rd.varint(maxTxs)
    n += c
    if (n > maxTxs) rd.fail(`batch has more than ${maxTxs} transactions`)
    txCounts[i] = c
  }
  // Each tx carries 64 signature bytes at least.
  if (n * 64 > rd.remaining)
    rd.fail(`batch declares ${n} transactions but has only ${rd.remaining} bytes left`)

  const profileCount = rd.varint(n)
  const profiles: Profile[] = new Array(profileCount)
  for (let i = 0; i < profileCount; i++) profiles[i] = readProfile(rd, i)
  const profileOfTx: number[] = new Array(n)
  for (let i = 0; i < n; i++) {
    const p = rd.varint()
    if (p >= profileCount) rd.fail(`transaction ${i} uses profile ${p}, only ${profileCount} defined`)
    profileOfTx[i] = p
  }

  const yParity: (0 | 1)[] = new Array(n)
  for (let i = 0; i < n; i += 8) {
    const bits = rd.u8()
    const used = Math.min(8, n - i)
    if (bits >> used !== 0) rd.fail('unused yParity bits are not zero')
    for (let j = 0; j < used; j++) yParity[i + j] = ((bits >> j) & 1) as 0 | 1
  }

  const nonces: bigint[] = new Array(n)
  for (let i = 0; i < n; i++) nonces[i] = rd.varbig(64)

  const refs: number[] = new Array(n)
  let freshCount = 0
  for (let i = 0; i < n; i++) {
    const ref = rd.varint(MAX_ACCOUNT_INDEX + 1)
    if (ref === 0) freshCount++
    refs[i] = ref
  }
  const fresh: Address[] = new Array(freshCount)
  for (let i = 0; i < freshCount; i++) fresh[i] = rd.address()

  const exponents = rd.bytesView(n, 'amount exponents')
  const amounts: bigint[] = new Array(n)
  for (let i = 0; i < n; i++) {
    const mantissa = rd.varbig(64)
    const exponent = exponents[i] as number
    const problem = packedAmountProblem(mantissa, exponent)
    if (problem !== undefined) rd.fail(`transaction ${i}: ${problem}`)
    amounts[i] = mantissa * 10n ** BigInt(exponent)
  }

  const r: bigint[] = new Array(n)
  const s: bigint[] = new Array(n)
  for (let i = 0; i < n; i++) {
    r[i] = rd.uintBE(32)
    s[i] = rd.uintBE(32)
  }
  rd.end()
  return {
    firstBlockNumber,
    timestamps,
    depositCounts,
    txCounts,
    profiles,
    profileOfTx,
    yParity,
    nonces,
    refs,
    fresh,
    amounts,
    r,
    s,
  }
}

/**
 * The batch encoded in `bytes`. Recipient indices are resolved with `ctx.addressAt` (the state at the start of
 * the batch). Every problem with the bytes is `L2kitError('INVALID_BATCH', reason)`; errors thrown by `ctx`
 * itself propagate unchanged (a failing store must not make a batch look invalid).
 */
export function decodeBatch(bytes: Uint8Array, ctx: BatchDecodeContext): Batch {
  let p: Parsed
  try {
    p = parse(bytes, ctx.maxBlocks ?? DEFAULT_MAX_BATCH_BLOCKS, ctx.maxTxs ?? DEFAULT_MAX_BATCH_TXS)
  } catch (error) {
    if (error instanceof L2kitError && error.code === 'INVALID_BATCH') throw error
    // Defensive: the parser should only raise INVALID_BATCH; anything else is still a bad batch.
    throw new L2kitError('INVALID_BATCH', `batch could not be decoded: ${String(error)}`, { cause: error })
  }

  const resolved = new Map<number, Address>()
  let freshIndex = 0
  const blocks: BatchBlock[] = []
  let i = 0
  for (let b = 0; b < p.txCounts.length; b++) {
    const txs: L2Tx[] = []
    const count = p.txCounts[b] as number
    for (let k = 0; k < count; k++, i++) {
      const ref = p.refs[i] as number
      let recipient: Address
      if (ref === 0) {
        recipient = p.fresh[freshIndex++] as Address
      } else {
        let known = resolved.get(ref)
        if (known === undefined) {
          known = ctx.addressAt(ref - 1)
          if (known === undefined)
            invalid(`transaction ${i} refers to unknown account index ${ref - 1}`, { index: ref - 1 })
          known = known.toLowerCase() as Address
          resolved.set(ref, known)
        }
        recipient = known
      }
      const profile = p.profiles[p.profileOfTx[i] as number] as Profile
      txs.push({
        nonce: p.nonces[i] as bigint,
        gasLimit: profile.gasLimit,
        fees: copyFees(profile.fees),
        op: makeOp(profile, recipient, p.amounts[i] as bigint),
        signature: { r: p.r[i] as bigint, s: p.s[i] as bigint, yParity: p.yParity[i] as 0 | 1 },
      })
    }
    blocks.push({
      timestamp: p.timestamps[b] as number,
      depositCountAfter: p.depositCounts[b] as bigint,
      txs,
    })
  }
  return { firstBlockNumber: p.firstBlockNumber, blocks }
}
