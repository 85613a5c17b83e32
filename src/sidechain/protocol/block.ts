/**
 * Sidechain blocks: the header validators vote on (by its hash), the body (signed transactions and the L1 deposits
 * applied at the block's start), their canonical binary codec, and the commitments the header carries (body roots,
 * receipts, logs bloom, the withdrawals tree L1 pays from). Pure.
 *
 * Wire format (integers big-endian, fixed width; exactly one encoding per block; at most `MAX_BLOCK_BYTES`):
 *
 *   block   = version 0x02 ‖ header ‖ txCount u32 ‖ (len u32 ‖ tx[len])* ‖ depositCount u32 ‖ deposit* ‖
 *             validatorCount u32 ‖ validator*                     (validatorCount 0: the set does not change)
 *   header  = number u64 ‖ parentHash[32] ‖ timestamp u64 ‖ proposer[20] ‖ gasLimit u64 ‖ baseFee u256 ‖
 *             gasUsed u64 ‖ txsRoot[32] ‖ depositsRoot[32] ‖ stateRoot[32] ‖ receiptsRoot[32] ‖ logsBloom[256] ‖
 *             withdrawalsRoot[32] ‖ withdrawalCount u32 ‖ epoch u64 ‖ nextValidatorsHash[32]    (576 bytes)
 *   deposit = id u256 ‖ from[20] ‖ to[20] ‖ token[20] ‖ amount u256                              (124 bytes)
 *   validator = address[20] ‖ power u128                                                          (36 bytes)
 *
 * Validator-set changes (docs/sidechain.md, "Validator-set changes"): `epoch` is the L1 StakeManager epoch of the
 * set that decides the next height and `nextValidatorsHash` that set's hash (`validatorsHash`). A block that moves
 * to a newer epoch carries the new set in its body (canonical order); every other block repeats its parent's two.
 *
 * A transaction is 1..`MAX_TX_BYTES` bytes of a signed EIP-2718 transaction (checked by execution, not here).
 * `blockHash = keccak256(header)`: the header commits to the body through `txsRoot` (keccak256 of the transaction
 * hashes in order) and `depositsRoot` (keccak256 of the deposit leaves in order); `checkBlockBody` verifies both.
 */
import { ByteReader, ByteWriter, bytesToHex, concatBytes, hexToBytes } from '../../core/bytes.ts'
import { L2kitError } from '../../core/errors.ts'
import { keccak256 } from '../../core/hash.ts'
import { KeccakTree, keccakTreeRoot } from '../../core/keccakTree.ts'
import type { Address, Hex } from '../../core/types.ts'
import { SidechainErrorCode } from './errors.ts'
import { MAX_VALIDATORS, type Validator, validatorSetProblems } from './validatorSet.ts'

/** An L1 deposit as the sidechain applies it (`SidechainBridge.Deposited`). `token` 0x0 = ETH. */
export type Deposit = { id: bigint; from: Address; to: Address; token: Address; amount: bigint }
/** A withdrawal started on the sidechain (`L2Bridge.WithdrawalInitiated`), paid on L1. `token` is the L1 token. */
export type Withdrawal = { id: bigint; from: Address; to: Address; token: Address; amount: bigint }

export type BlockHeader = {
  number: bigint
  parentHash: Hex
  /** Unix seconds, at least the parent's. */
  timestamp: number
  /** The validator that proposed the block: its `coinbase` (priority fees go there; the base fee is burnt). */
  proposer: Address
  gasLimit: bigint
  baseFee: bigint
  /** Gas of the block's transactions (deposits are free and not counted). */
  gasUsed: bigint
  txsRoot: Hex
  depositsRoot: Hex
  /** The state commitment after the block (see src/sidechain/evm/stateRoot.ts: a hash chain of state diffs). */
  stateRoot: Hex
  /** `receiptsRoot(receipts)`. */
  receiptsRoot: Hex
  /** Ethereum's 2048-bit bloom of every log of the block (256 bytes). */
  logsBloom: Hex
  /** Root of the depth-16 keccak tree of the block's withdrawal leaves, in order. */
  withdrawalsRoot: Hex
  withdrawalCount: number
  /** The L1 StakeManager epoch of the validator set that decides the next height. */
  epoch: bigint
  /** `validatorsHash` of that set. */
  nextValidatorsHash: Hex
}

export type SidechainBlock = {
  header: BlockHeader
  /** Raw signed EIP-2718 transactions, in execution order. */
  txs: Hex[]
  /** L1 deposits applied before the transactions, consecutive ids. */
  deposits: Deposit[]
  /** The new validator set (canonical order) when the block moves to a newer L1 epoch; absent otherwise. */
  validators?: Validator[]
}

/** A log as a transaction emits it. */
export type BlockLog = { address: Address; topics: Hex[]; data: Hex }

/** What executing a transaction produced (what `receiptsRoot` commits to). */
export type Receipt = {
  /** 1 success, 0 reverted (included, gas charged). */
  status: 0 | 1
  gasUsed: bigint
  logs: BlockLog[]
  /** The contract a successful creation deployed. */
  contractAddress?: Address
}

export const BLOCK_FORMAT_VERSION = 2
export const MAX_BLOCK_BYTES = 8 * 1024 * 1024
/** Largest signed transaction in a block (geth's txpool limit). */
export const MAX_BLOCK_TX_BYTES = 128 * 1024
export const HEADER_BYTES = 576
export const DEPOSIT_BYTES = 124
export const VALIDATOR_BYTES = 36
export const WITHDRAWALS_TREE_DEPTH = 16
export const MAX_BLOCK_WITHDRAWALS = 2 ** WITHDRAWALS_TREE_DEPTH
export const ZERO_HASH: Hex = `0x${'00'.repeat(32)}`
export const ZERO_ADDRESS: Address = `0x${'00'.repeat(20)}`
export const EMPTY_BLOOM: Hex = `0x${'00'.repeat(256)}`

const U64_MAX = (1n << 64n) - 1n
const U256_LIMIT = 1n << 256n

function malformed(reason: string, details: Record<string, unknown> = {}): never {
  throw new L2kitError(SidechainErrorCode.malformedBlock, reason, { details })
}

function invalid(reason: string, details: Record<string, unknown> = {}): never {
  throw new L2kitError(SidechainErrorCode.invalidBlock, reason, { details })
}

// ---------------------------------------------------------------------------------------------------------------
// Commitments

/** `keccak256(abi.encode(uint256 id, address from, address to, address token, uint256 amount))`. */
function transferLeaf(t: Deposit | Withdrawal): Uint8Array {
  const w = new ByteWriter(160)
  w.uintBE(t.id, 32)
  w.uintBE(0n, 12).bytes(hexToBytes(t.from))
  w.uintBE(0n, 12).bytes(hexToBytes(t.to))
  w.uintBE(0n, 12).bytes(hexToBytes(t.token))
  w.uintBE(t.amount, 32)
  return keccak256(w.finish())
}

/** The L1 `Withdrawal` hash: `keccak256(abi.encode(id, from, to, token, amount))` (the withdrawals tree's leaf). */
export function withdrawalLeaf(w: Withdrawal): Uint8Array {
  return transferLeaf(w)
}

/** A deposit's leaf, the same encoding as a withdrawal's. */
export function depositLeaf(d: Deposit): Uint8Array {
  return transferLeaf(d)
}

/** Root of the depth-16 keccak tree over the withdrawals' leaves in order (empty: the all-empty tree). */
export function withdrawalsRoot(withdrawals: readonly Withdrawal[]): Hex {
  return bytesToHex(
    keccakTreeRoot(withdrawals.map(withdrawalLeaf), WITHDRAWALS_TREE_DEPTH, {
      tooManyLeaves: SidechainErrorCode.invalidBlock,
    }),
  )
}

/** The tree over a block's withdrawals, for proofs (`proof(index)`: 16 siblings bottom-up, 512 bytes). */
export function withdrawalsTree(withdrawals: readonly Withdrawal[]): KeccakTree {
  return new KeccakTree(withdrawals.map(withdrawalLeaf), WITHDRAWALS_TREE_DEPTH, {
    tooManyLeaves: SidechainErrorCode.invalidBlock,
  })
}

/** keccak256 of the transactions' hashes (keccak256 of each raw transaction) in order. */
export function txsRoot(txs: readonly Hex[]): Hex {
  return bytesToHex(keccak256(concatBytes(...txs.map((t) => keccak256(hexToBytes(t))))))
}

/** `txsRoot` from already known transaction hashes. */
export function txsRootOfHashes(hashes: readonly Hex[]): Hex {
  return bytesToHex(keccak256(concatBytes(...hashes.map((h) => hexToBytes(h)))))
}

/** keccak256 of the set's `address ‖ power u128` entries in canonical order: what a header's `nextValidatorsHash` is. */
export function validatorsHash(validators: readonly Validator[]): Hex {
  const w = new ByteWriter(VALIDATOR_BYTES * validators.length)
  for (const v of validators) w.bytes(hexToBytes(v.address)).uintBE(v.power, 16)
  return bytesToHex(keccak256(w.finish()))
}

/** keccak256 of the deposits' leaves in order. */
export function depositsRoot(deposits: readonly Deposit[]): Hex {
  return bytesToHex(keccak256(concatBytes(...deposits.map(depositLeaf))))
}

/**
 * A receipt's canonical bytes: status u8 ‖ gasUsed u64 ‖ hasContract u8 ‖ [contractAddress 20] ‖ logCount u32 ‖
 * per log: address 20 ‖ topicCount u8 ‖ topics 32 each ‖ dataLength u32 ‖ data.
 */
export function encodeReceipt(r: Receipt): Uint8Array {
  const w = new ByteWriter(64)
  w.u8(r.status).uintBE(r.gasUsed, 8)
  if (r.contractAddress === undefined) w.u8(0)
  else w.u8(1).bytes(hexToBytes(r.contractAddress))
  w.u32be(r.logs.length)
  for (const log of r.logs) {
    w.bytes(hexToBytes(log.address)).u8(log.topics.length)
    for (const t of log.topics) w.bytes(hexToBytes(t))
    const data = hexToBytes(log.data)
    w.u32be(data.length).bytes(data)
  }
  return w.finish()
}

/** keccak256 of the receipts' hashes (keccak256 of `encodeReceipt`) in order. */
export function receiptsRoot(receipts: readonly Receipt[]): Hex {
  return bytesToHex(keccak256(concatBytes(...receipts.map((r) => keccak256(encodeReceipt(r))))))
}

/** Adds an address or topic to a 256-byte bloom (Ethereum's: 3 bits from the low 11 bits of keccak byte pairs). */
function bloomAdd(bloom: Uint8Array, value: Uint8Array): void {
  const h = keccak256(value)
  for (let i = 0; i < 6; i += 2) {
    const bit = (((h[i] as number) << 8) | (h[i + 1] as number)) & 2047
    const byte = 255 - (bit >> 3)
    bloom[byte] = (bloom[byte] as number) | (1 << (bit & 7))
  }
}

/** Ethereum's logs bloom over the given logs (256 bytes, as hex). */
export function logsBloom(logs: Iterable<BlockLog>): Hex {
  const bloom = new Uint8Array(256)
  for (const log of logs) {
    bloomAdd(bloom, hexToBytes(log.address))
    for (const t of log.topics) bloomAdd(bloom, hexToBytes(t))
  }
  return bytesToHex(bloom)
}

// ---------------------------------------------------------------------------------------------------------------
// Shape checks

function isHexOfBytes(v: unknown, n: number): v is Hex {
  return typeof v === 'string' && v.length === 2 + 2 * n && /^0x[0-9a-f]*$/.test(v)
}

function isU(v: unknown, limit: bigint): v is bigint {
  return typeof v === 'bigint' && v >= 0n && v < limit
}

/** Every problem of an in-memory header (lowercase hex, ranges); empty when it encodes. */
export function headerProblems(h: BlockHeader): string[] {
  const p: string[] = []
  if (!isU(h.number, U64_MAX + 1n)) p.push('number must be a uint64 bigint')
  if (!isHexOfBytes(h.parentHash, 32)) p.push('parentHash must be 32 bytes of lowercase hex')
  if (!Number.isSafeInteger(h.timestamp) || h.timestamp < 0)
    p.push('timestamp must be a safe non-negative integer')
  if (!isHexOfBytes(h.proposer, 20)) p.push('proposer must be a lowercase address')
  if (!isU(h.gasLimit, U64_MAX + 1n)) p.push('gasLimit must be a uint64 bigint')
  if (!isU(h.baseFee, U256_LIMIT)) p.push('baseFee must be a uint256 bigint')
  if (!isU(h.gasUsed, U64_MAX + 1n) || (typeof h.gasLimit === 'bigint' && h.gasUsed > h.gasLimit))
    p.push('gasUsed must be a uint64 bigint not above gasLimit')
  for (const k of ['txsRoot', 'depositsRoot', 'stateRoot', 'receiptsRoot', 'withdrawalsRoot'] as const) {
    if (!isHexOfBytes(h[k], 32)) p.push(`${k} must be 32 bytes of lowercase hex`)
  }
  if (!isHexOfBytes(h.logsBloom, 256)) p.push('logsBloom must be 256 bytes of lowercase hex')
  if (
    !Number.isInteger(h.withdrawalCount) ||
    h.withdrawalCount < 0 ||
    h.withdrawalCount > MAX_BLOCK_WITHDRAWALS
  )
    p.push(`withdrawalCount must be an integer in [0, ${MAX_BLOCK_WITHDRAWALS}]`)
  if (!isU(h.epoch, U64_MAX + 1n)) p.push('epoch must be a uint64 bigint')
  if (!isHexOfBytes(h.nextValidatorsHash, 32)) p.push('nextValidatorsHash must be 32 bytes of lowercase hex')
  return p
}

function depositProblems(d: Deposit, i: number): string[] {
  const p: string[] = []
  if (!isU(d.id, U256_LIMIT)) p.push(`deposit ${i}: id must be a uint256 bigint`)
  for (const k of ['from', 'to', 'token'] as const)
    if (!isHexOfBytes(d[k], 20)) p.push(`deposit ${i}: ${k} must be a lowercase address`)
  if (!isU(d.amount, U256_LIMIT)) p.push(`deposit ${i}: amount must be a uint256 bigint`)
  return p
}

// ---------------------------------------------------------------------------------------------------------------
// Codec

function writeHeader(w: ByteWriter, h: BlockHeader): void {
  w.uintBE(h.number, 8)
    .bytes(hexToBytes(h.parentHash))
    .uintBE(BigInt(h.timestamp), 8)
    .bytes(hexToBytes(h.proposer))
    .uintBE(h.gasLimit, 8)
    .uintBE(h.baseFee, 32)
    .uintBE(h.gasUsed, 8)
    .bytes(hexToBytes(h.txsRoot))
    .bytes(hexToBytes(h.depositsRoot))
    .bytes(hexToBytes(h.stateRoot))
    .bytes(hexToBytes(h.receiptsRoot))
    .bytes(hexToBytes(h.logsBloom))
    .bytes(hexToBytes(h.withdrawalsRoot))
    .u32be(h.withdrawalCount)
    .uintBE(h.epoch, 8)
    .bytes(hexToBytes(h.nextValidatorsHash))
}

/** The header's canonical 576 bytes. Throws `SIDECHAIN_MALFORMED_BLOCK` listing every problem of a bad header. */
export function encodeHeader(h: BlockHeader): Uint8Array {
  const problems = headerProblems(h)
  if (problems.length > 0) malformed(`bad block header: ${problems.join('; ')}`, { problems })
  const w = new ByteWriter(HEADER_BYTES)
  writeHeader(w, h)
  return w.finish()
}

/** keccak256 of the canonical header: the hash validators vote on. */
export function blockHash(h: BlockHeader): Hex {
  return bytesToHex(keccak256(encodeHeader(h)))
}

function readHash(r: ByteReader): Hex {
  return bytesToHex(r.bytesView(32, 'a hash'))
}

function readHeader(r: ByteReader): BlockHeader {
  const number = r.uintBE(8)
  const parentHash = readHash(r)
  const timestamp = r.uintBE(8)
  if (timestamp > BigInt(Number.MAX_SAFE_INTEGER)) r.fail('timestamp is beyond 2^53')
  const proposer = r.address()
  const gasLimit = r.uintBE(8)
  const baseFee = r.uintBE(32)
  const gasUsed = r.uintBE(8)
  if (gasUsed > gasLimit) r.fail('gasUsed is above gasLimit')
  const header: BlockHeader = {
    number,
    parentHash,
    timestamp: Number(timestamp),
    proposer,
    gasLimit,
    baseFee,
    gasUsed,
    txsRoot: readHash(r),
    depositsRoot: readHash(r),
    stateRoot: readHash(r),
    receiptsRoot: readHash(r),
    logsBloom: bytesToHex(r.bytesView(256, 'the logs bloom')),
    withdrawalsRoot: readHash(r),
    withdrawalCount: r.u32be(),
    epoch: r.uintBE(8),
    nextValidatorsHash: readHash(r),
  }
  if (header.withdrawalCount > MAX_BLOCK_WITHDRAWALS)
    r.fail(`withdrawalCount is above ${MAX_BLOCK_WITHDRAWALS}`)
  return header
}

/** Decodes exactly a 576-byte header. Throws `SIDECHAIN_MALFORMED_BLOCK`. */
export function decodeHeader(bytes: Uint8Array): BlockHeader {
  if (!(bytes instanceof Uint8Array) || bytes.length !== HEADER_BYTES)
    malformed(`a header is ${HEADER_BYTES} bytes`)
  const r = new ByteReader(bytes, SidechainErrorCode.malformedBlock)
  const h = readHeader(r)
  r.end()
  return h
}

/** The block's canonical bytes. Throws `SIDECHAIN_MALFORMED_BLOCK` for a block that does not fit the format. */
export function encodeBlock(block: SidechainBlock): Uint8Array {
  const problems = headerProblems(block.header)
  if (!Array.isArray(block.txs)) problems.push('txs must be a list')
  if (!Array.isArray(block.deposits)) problems.push('deposits must be a list')
  if (problems.length === 0) {
    block.txs.forEach((t, i) => {
      if (typeof t !== 'string' || !/^0x([0-9a-f]{2})+$/.test(t))
        problems.push(`tx ${i} must be lowercase hex bytes`)
      else if ((t.length - 2) / 2 > MAX_BLOCK_TX_BYTES)
        problems.push(`tx ${i} is over ${MAX_BLOCK_TX_BYTES} bytes`)
    })
    block.deposits.forEach((d, i) => {
      problems.push(...depositProblems(d, i))
    })
    if (block.validators !== undefined)
      problems.push(...validatorSetProblems(block.validators).map((p) => `new validator set: ${p}`))
  }
  if (problems.length > 0) malformed(`bad block: ${problems.slice(0, 10).join('; ')}`, { problems })
  const validators = block.validators ?? []
  let size =
    1 + HEADER_BYTES + 4 + 4 + DEPOSIT_BYTES * block.deposits.length + 4 + VALIDATOR_BYTES * validators.length
  for (const t of block.txs) size += 4 + (t.length - 2) / 2
  if (size > MAX_BLOCK_BYTES)
    malformed(`a block is at most ${MAX_BLOCK_BYTES} bytes, this one ${size}`, { size })
  const w = new ByteWriter(size)
  w.u8(BLOCK_FORMAT_VERSION)
  writeHeader(w, block.header)
  w.u32be(block.txs.length)
  for (const t of block.txs) {
    const b = hexToBytes(t)
    w.u32be(b.length).bytes(b)
  }
  w.u32be(block.deposits.length)
  for (const d of block.deposits) {
    w.uintBE(d.id, 32)
      .bytes(hexToBytes(d.from))
      .bytes(hexToBytes(d.to))
      .bytes(hexToBytes(d.token))
      .uintBE(d.amount, 32)
  }
  w.u32be(validators.length)
  for (const v of validators) w.bytes(hexToBytes(v.address)).uintBE(v.power, 16)
  return w.finish()
}

/**
 * Decodes a block, strictly: the version, every length within what is left, no trailing bytes, at most
 * `MAX_BLOCK_BYTES`. Any problem throws `SIDECHAIN_MALFORMED_BLOCK` (and nothing else). The body roots are not
 * checked here (`checkBlockBody`).
 */
export function decodeBlock(bytes: Uint8Array): SidechainBlock {
  if (!(bytes instanceof Uint8Array)) malformed('a block is bytes')
  if (bytes.length > MAX_BLOCK_BYTES)
    malformed(`a block is at most ${MAX_BLOCK_BYTES} bytes, got ${bytes.length}`)
  const r = new ByteReader(bytes, SidechainErrorCode.malformedBlock)
  const version = r.u8()
  if (version !== BLOCK_FORMAT_VERSION) r.fail(`unknown block format version ${version}`)
  const header = readHeader(r)
  const txCount = r.u32be()
  // Each transaction takes at least 5 bytes: refuse a count the rest cannot hold before allocating anything.
  if (txCount * 5 > r.remaining) r.fail(`${txCount} transactions cannot fit in ${r.remaining} bytes`)
  const txs: Hex[] = []
  for (let i = 0; i < txCount; i++) {
    const len = r.u32be()
    if (len === 0 || len > MAX_BLOCK_TX_BYTES)
      r.fail(`transaction ${i} length ${len} is not in [1, ${MAX_BLOCK_TX_BYTES}]`)
    txs.push(bytesToHex(r.bytesView(len, `transaction ${i}`)))
  }
  const depositCount = r.u32be()
  if (depositCount * DEPOSIT_BYTES + 4 > r.remaining)
    r.fail(`${depositCount} deposits take ${depositCount * DEPOSIT_BYTES} bytes, ${r.remaining} are left`)
  const deposits: Deposit[] = []
  for (let i = 0; i < depositCount; i++) {
    deposits.push({
      id: r.uintBE(32),
      from: r.address(),
      to: r.address(),
      token: r.address(),
      amount: r.uintBE(32),
    })
  }
  const validatorCount = r.u32be()
  if (validatorCount > MAX_VALIDATORS || validatorCount * VALIDATOR_BYTES !== r.remaining)
    r.fail(
      `${validatorCount} validators do not fit the ${r.remaining} bytes left (at most ${MAX_VALIDATORS})`,
    )
  const validators: Validator[] = []
  for (let i = 0; i < validatorCount; i++) validators.push({ address: r.address(), power: r.uintBE(16) })
  r.end()
  if (validatorCount === 0) return { header, txs, deposits }
  const problems = validatorSetProblems(validators)
  if (problems.length > 0)
    malformed(`bad new validator set: ${problems.slice(0, 5).join('; ')}`, { problems })
  return { header, txs, deposits, validators }
}

/**
 * Throws `SIDECHAIN_INVALID_BLOCK` unless the header's `txsRoot` and `depositsRoot` are the body's, and a new
 * validator set in the body is the one `nextValidatorsHash` names. (Whether the epoch may change here is the
 * parent's business: execution checks it.)
 */
export function checkBlockBody(block: SidechainBlock, txHashes?: readonly Hex[]): void {
  const t = txHashes === undefined ? txsRoot(block.txs) : txsRootOfHashes(txHashes)
  if (t !== block.header.txsRoot)
    invalid('txsRoot is not the root of the block’s transactions', { expected: t })
  const d = depositsRoot(block.deposits)
  if (d !== block.header.depositsRoot)
    invalid('depositsRoot is not the root of the block’s deposits', { expected: d })
  if (block.validators !== undefined) {
    const v = validatorsHash(block.validators)
    if (v !== block.header.nextValidatorsHash)
      invalid('nextValidatorsHash is not the hash of the block’s new validator set', { expected: v })
  }
}

/** Block 0: no parent, no body, the genesis state's root. */
export function genesisHeader(o: {
  timestamp: number
  gasLimit: bigint
  baseFee: bigint
  stateRoot: Hex
  /** The L1 StakeManager epoch of the genesis validator set, and that set. */
  epoch: bigint
  validators: readonly Validator[]
}): BlockHeader {
  return {
    number: 0n,
    parentHash: ZERO_HASH,
    timestamp: o.timestamp,
    proposer: ZERO_ADDRESS,
    gasLimit: o.gasLimit,
    baseFee: o.baseFee,
    gasUsed: 0n,
    txsRoot: txsRoot([]),
    depositsRoot: depositsRoot([]),
    stateRoot: o.stateRoot,
    receiptsRoot: receiptsRoot([]),
    logsBloom: EMPTY_BLOOM,
    withdrawalsRoot: withdrawalsRoot([]),
    withdrawalCount: 0,
    epoch: o.epoch,
    nextValidatorsHash: validatorsHash(o.validators),
  }
}
