/**
 * The validators' peer messages (docs/sidechain.md, "Validator network"): one binary frame per message inside the
 * BOLT 8 transport (`node/p2p`), whose frames hold at most 65,535 bytes — so a block travels in parts. The decoder is
 * strict: any frame that is not exactly one well-formed message throws `SIDECHAIN_MALFORMED_MESSAGE`, nothing else.
 */
import { ByteReader, ByteWriter, bytesToHex, hexToBytes } from '../../core/bytes.ts'
import { L2kitError } from '../../core/errors.ts'
import type { Hex } from '../../core/types.ts'
import { type Checkpoint, checkCheckpoint } from './checkpoint.ts'
import { SidechainErrorCode } from './errors.ts'
import {
  type ConsensusMessage,
  decodeMessage,
  encodeMessage,
  MAX_MESSAGE_BYTES,
  type SignedVote,
} from './messages.ts'

/** Bytes of block data per part (a part frame stays well under BOLT 8's 65,535-byte message). */
export const BLOCK_PART_BYTES = 60_000
/** Largest encoded block a validator accepts (bounds the parts: 140). */
export const MAX_BLOCK_BYTES = 8 * 1024 * 1024
export const MAX_BLOCK_PARTS = Math.ceil(MAX_BLOCK_BYTES / BLOCK_PART_BYTES)
/** Largest signed transaction gossiped (what `eth_sendRawTransaction` accepts). */
export const MAX_TX_BYTES = 128 * 1024
/** Most precommits in a commit certificate (the validator set's bound). */
export const MAX_COMMIT_VOTES = 10_000
/** A frame never exceeds BOLT 8's message bound. */
export const MAX_FRAME_BYTES = 65_535

export type WireMessage =
  /** Sent on connect and after each commit: where the sender's chain is. */
  | { kind: 'status'; height: bigint; headHash: Hex }
  | { kind: 'consensus'; message: ConsensusMessage }
  /** Part `index` of `total` of the encoded block `blockHash` at `height`. */
  | { kind: 'blockPart'; height: bigint; blockHash: Hex; index: number; total: number; data: Uint8Array }
  /** Signed transactions for the mempool (gossip). */
  | { kind: 'txs'; txs: Uint8Array[] }
  /** Please send the parts of this block (a proposal's, or a committed one). */
  | { kind: 'getBlock'; height: bigint; blockHash: Hex }
  /** Please send committed blocks from `fromHeight` on (each as `commit` followed by its parts). */
  | { kind: 'syncRequest'; fromHeight: bigint }
  /** The precommits that decided `blockHash` at `height` (a commit certificate). */
  | { kind: 'commit'; height: bigint; blockHash: Hex; votes: SignedVote[] }
  /** A validator's signature over a checkpoint. */
  | { kind: 'checkpointSignature'; checkpoint: Checkpoint; signature: Hex }

const KIND_BYTE = {
  status: 0x10,
  consensus: 0x11,
  blockPart: 0x12,
  txs: 0x13,
  getBlock: 0x14,
  syncRequest: 0x15,
  commit: 0x16,
  checkpointSignature: 0x17,
} as const

function malformed(reason: string): never {
  throw new L2kitError(SidechainErrorCode.malformedMessage, `malformed peer message: ${reason}`)
}

export function encodeWire(m: WireMessage): Uint8Array {
  const w = new ByteWriter(256)
  w.u8(KIND_BYTE[m.kind])
  switch (m.kind) {
    case 'status':
      w.uintBE(m.height, 8).bytes(hexToBytes(m.headHash))
      break
    case 'consensus': {
      const bytes = encodeMessage(m.message)
      w.u8(bytes.length).bytes(bytes)
      break
    }
    case 'blockPart':
      if (m.data.length > BLOCK_PART_BYTES) malformed('a block part is too long')
      w.uintBE(m.height, 8)
        .bytes(hexToBytes(m.blockHash))
        .uintBE(BigInt(m.index), 2)
        .uintBE(BigInt(m.total), 2)
        .u32be(m.data.length)
        .bytes(m.data)
      break
    case 'txs':
      w.uintBE(BigInt(m.txs.length), 2)
      for (const tx of m.txs) w.u32be(tx.length).bytes(tx)
      break
    case 'getBlock':
      w.uintBE(m.height, 8).bytes(hexToBytes(m.blockHash))
      break
    case 'syncRequest':
      w.uintBE(m.fromHeight, 8)
      break
    case 'commit':
      w.uintBE(m.height, 8).bytes(hexToBytes(m.blockHash)).uintBE(BigInt(m.votes.length), 2)
      for (const v of m.votes) {
        const bytes = encodeMessage(v)
        w.u8(bytes.length).bytes(bytes)
      }
      break
    case 'checkpointSignature': {
      const c = m.checkpoint
      checkCheckpoint(c)
      w.uintBE(c.number, 8)
        .uintBE(c.startBlock, 8)
        .uintBE(c.endBlock, 8)
        .bytes(hexToBytes(c.blocksRoot))
        .bytes(hexToBytes(c.stateRoot))
        .bytes(hexToBytes(c.withdrawalsRoot))
        .u32be(c.withdrawalCount)
        .bytes(hexToBytes(m.signature))
      break
    }
  }
  const out = w.finish()
  if (out.length > MAX_FRAME_BYTES) malformed(`a ${m.kind} message of ${out.length} bytes exceeds one frame`)
  return out
}

/** Splits `txs` into `txs` messages that each fit in one frame. */
export function txBatches(txs: readonly Uint8Array[]): WireMessage[] {
  const out: WireMessage[] = []
  let batch: Uint8Array[] = []
  let size = 3
  for (const tx of txs) {
    if (tx.length + 4 + 3 > MAX_FRAME_BYTES) continue // never gossiped: larger than any frame
    if (size + 4 + tx.length > MAX_FRAME_BYTES || batch.length === 0xffff) {
      out.push({ kind: 'txs', txs: batch })
      batch = []
      size = 3
    }
    batch.push(tx)
    size += 4 + tx.length
  }
  if (batch.length > 0) out.push({ kind: 'txs', txs: batch })
  return out
}

/** Splits an encoded block into its parts (at least one). */
export function blockParts(height: bigint, blockHash: Hex, encoded: Uint8Array): WireMessage[] {
  if (encoded.length > MAX_BLOCK_BYTES) malformed('the block exceeds the largest block')
  const total = Math.max(1, Math.ceil(encoded.length / BLOCK_PART_BYTES))
  const parts: WireMessage[] = []
  for (let index = 0; index < total; index++) {
    const data = encoded.subarray(index * BLOCK_PART_BYTES, (index + 1) * BLOCK_PART_BYTES)
    parts.push({ kind: 'blockPart', height, blockHash, index, total, data })
  }
  return parts
}

function u64(r: ByteReader): bigint {
  return r.uintBE(8)
}

function hash(r: ByteReader): Hex {
  return bytesToHex(r.bytesView(32))
}

function consensusBytes(r: ByteReader): ConsensusMessage {
  const length = r.u8()
  if (length === 0 || length > MAX_MESSAGE_BYTES) malformed('bad consensus message length')
  return decodeMessage(r.bytesCopy(length))
}

/** Decodes one frame; throws `SIDECHAIN_MALFORMED_MESSAGE` for anything else. */
export function decodeWire(bytes: Uint8Array): WireMessage {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) malformed('empty')
  if (bytes.length > MAX_FRAME_BYTES) malformed('longer than a frame')
  const r = new ByteReader(bytes, SidechainErrorCode.malformedMessage)
  const kind = r.u8()
  let m: WireMessage
  switch (kind) {
    case KIND_BYTE.status:
      m = { kind: 'status', height: u64(r), headHash: hash(r) }
      break
    case KIND_BYTE.consensus:
      m = { kind: 'consensus', message: consensusBytes(r) }
      break
    case KIND_BYTE.blockPart: {
      const height = u64(r)
      const blockHash = hash(r)
      const index = Number(r.uintBE(2))
      const total = Number(r.uintBE(2))
      const length = r.u32be()
      if (total === 0 || total > MAX_BLOCK_PARTS) malformed(`a block has 1 to ${MAX_BLOCK_PARTS} parts`)
      if (index >= total) malformed('part index beyond the total')
      if (length === 0 || length > BLOCK_PART_BYTES) malformed('bad part length')
      m = { kind: 'blockPart', height, blockHash, index, total, data: r.bytesCopy(length) }
      break
    }
    case KIND_BYTE.txs: {
      const count = Number(r.uintBE(2))
      if (count === 0) malformed('no transactions')
      const txs: Uint8Array[] = []
      for (let i = 0; i < count; i++) {
        const length = r.u32be()
        if (length === 0 || length > MAX_TX_BYTES) malformed('bad transaction length')
        txs.push(r.bytesCopy(length))
      }
      m = { kind: 'txs', txs }
      break
    }
    case KIND_BYTE.getBlock:
      m = { kind: 'getBlock', height: u64(r), blockHash: hash(r) }
      break
    case KIND_BYTE.syncRequest:
      m = { kind: 'syncRequest', fromHeight: u64(r) }
      break
    case KIND_BYTE.commit: {
      const height = u64(r)
      const blockHash = hash(r)
      const count = Number(r.uintBE(2))
      if (count === 0 || count > MAX_COMMIT_VOTES) malformed('bad commit size')
      const votes: SignedVote[] = []
      for (let i = 0; i < count; i++) {
        const v = consensusBytes(r)
        if (v.type !== 'precommit') malformed('a commit holds precommits only')
        votes.push(v)
      }
      m = { kind: 'commit', height, blockHash, votes }
      break
    }
    case KIND_BYTE.checkpointSignature: {
      const checkpoint: Checkpoint = {
        number: u64(r),
        startBlock: u64(r),
        endBlock: u64(r),
        blocksRoot: hash(r),
        stateRoot: hash(r),
        withdrawalsRoot: hash(r),
        withdrawalCount: r.u32be(),
      }
      checkCheckpoint(checkpoint)
      m = { kind: 'checkpointSignature', checkpoint, signature: bytesToHex(r.bytesView(65)) }
      break
    }
    default:
      return malformed(`unknown message kind ${kind}`)
  }
  r.end()
  return m
}
