/**
 * Peer messages of the channel protocol and their strict codec. A message travels as UTF-8 JSON in one BOLT 8
 * transport message (≤ 65,535 bytes); amounts, sequence numbers and times are decimal strings (bigints), byte
 * strings are 0x-hex of a fixed length. `decodeMessage` checks every field — type, length, range — and refuses
 * unknown fields, so a hostile peer's message either decodes to exactly one of these shapes or is a
 * `CHANNEL_MALFORMED_MESSAGE` error that changes nothing.
 */
import { concatBytes, hexToBytes } from '../../core/bytes.ts'
import { L2kitError } from '../../core/errors.ts'
import { keccak256 } from '../../core/hash.ts'
import type { Address, Hex } from '../../core/types.ts'
import type { AckMessage, Change, ReestablishMessage, RevokeMessage, UpdateMessage } from './channel.ts'
import { ChannelErrorCode } from './errors.ts'
import { type ChannelParams, MAX_HTLCS } from './state.ts'

/** Largest encoded message (the BOLT 8 plaintext limit). */
export const MAX_MESSAGE_BYTES = 65_535

/**
 * First message on a connection: which L1 and hub the peer's channels live on, its onion key (X25519) and the fee
 * it charges to forward (base in token units + rate in parts per million).
 */
export type InitMessage = {
  type: 'init'
  chainId: bigint
  hub: Address
  onionKey: Hex
  feeBase: bigint
  feeRate: bigint
}
/** The opener funded a channel on L1 (`ChannelHub.open`); the peer checks it there before using it. */
export type ChannelOpenedMessage = {
  type: 'channel_opened'
  params: ChannelParams
  channelId: Hex
  txHash: Hex
}
/** The peer found the channel open on L1 with these parameters and takes part in it. */
export type ChannelAcceptedMessage = { type: 'channel_accepted'; channelId: Hex }
/** A cooperative close at these balances, signed by the sender (`CooperativeClose` typed data). */
export type CloseRequestMessage = {
  type: 'close_request'
  channelId: Hex
  balanceA: bigint
  balanceB: bigint
  sig: Hex
}
/** The other side's signature on the same close; either side may now submit it. */
export type CloseAcceptMessage = { type: 'close_accept'; channelId: Hex; sig: Hex }
/**
 * A channel offered to the routing graph, signed by both ends over `announcementDigest`: its parameters (so anyone
 * can check it on L1 and that the node ids are its parties), both ends' onion keys and forwarding fees.
 */
export type AnnouncementMessage = {
  type: 'announcement'
  channelId: Hex
  params: ChannelParams
  nodeA: Hex
  nodeB: Hex
  onionKeyA: Hex
  onionKeyB: Hex
  feeBaseA: bigint
  feeRateA: bigint
  feeBaseB: bigint
  feeRateB: bigint
  /** 65 zero bytes while only the other end has signed (the two ends sign in turn) */
  sigA: Hex
  sigB: Hex
}
/** A refusal: which message failed and why (the stable error code and a human message). */
export type ErrorMessage = { type: 'error'; channelId: Hex | null; code: string; message: string }
export type PingMessage = { type: 'ping'; nonce: bigint }
export type PongMessage = { type: 'pong'; nonce: bigint }

export type WireMessage =
  | InitMessage
  | ChannelOpenedMessage
  | ChannelAcceptedMessage
  | UpdateMessage
  | AckMessage
  | RevokeMessage
  | ReestablishMessage
  | CloseRequestMessage
  | CloseAcceptMessage
  | AnnouncementMessage
  | ErrorMessage
  | PingMessage
  | PongMessage

function bad(message: string, details: Record<string, unknown> = {}): never {
  throw new L2kitError(ChannelErrorCode.malformedMessage, `malformed peer message: ${message}`, { details })
}

const U256_MAX = (1n << 256n) - 1n
const U64_MAX = (1n << 64n) - 1n

type Obj = Record<string, unknown>

function fieldsExactly(o: Obj, allowed: readonly string[], optional: readonly string[] = []): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k) && !optional.includes(k)) bad(`unknown field '${k}'`)
  }
  for (const k of allowed) if (!(k in o)) bad(`missing field '${k}'`)
}

function uint(o: Obj, k: string, max: bigint = U256_MAX): bigint {
  const v = o[k]
  if (typeof v !== 'string' || !/^(0|[1-9][0-9]{0,77})$/.test(v)) bad(`'${k}' must be a decimal string`)
  const n = BigInt(v)
  if (n > max) bad(`'${k}' is out of range`)
  return n
}

function hexN(o: Obj, k: string, bytes: number): Hex {
  const v = o[k]
  if (typeof v !== 'string' || v.length !== 2 + 2 * bytes || !/^0x[0-9a-fA-F]*$/.test(v)) {
    bad(`'${k}' must be ${bytes} bytes of 0x-hex`)
  }
  return v.toLowerCase() as Hex
}

function hexUpTo(o: Obj, k: string, maxBytes: number): Hex {
  const v = o[k]
  if (
    typeof v !== 'string' ||
    v.length % 2 !== 0 ||
    v.length > 2 + 2 * maxBytes ||
    !/^0x[0-9a-fA-F]*$/.test(v)
  ) {
    bad(`'${k}' must be at most ${maxBytes} bytes of 0x-hex`)
  }
  return v.toLowerCase() as Hex
}

const address = (o: Obj, k: string) => hexN(o, k, 20) as Address
const bytes32 = (o: Obj, k: string) => hexN(o, k, 32)
const sig = (o: Obj, k: string) => hexN(o, k, 65)
const nodeId = (o: Obj, k: string) => hexN(o, k, 33)

function text(o: Obj, k: string, max: number): string {
  const v = o[k]
  if (typeof v !== 'string' || v.length > max) bad(`'${k}' must be a string of at most ${max} characters`)
  return v
}

function obj(v: unknown, what: string): Obj {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) bad(`${what} must be an object`)
  return v as Obj
}

/** Largest onion packet carried in an `add` change (the onion module's fixed size is below it). */
const MAX_ONION_BYTES = 4_096
/** Largest error onion in a `fail` change. */
const MAX_REASON_BYTES = 1_024

function change(v: unknown): Change {
  const c = obj(v, 'a change')
  switch (c.kind) {
    case 'pay':
      fieldsExactly(c, ['kind', 'amount'])
      return { kind: 'pay', amount: uint(c, 'amount') }
    case 'add': {
      fieldsExactly(c, ['kind', 'id', 'amount', 'paymentHash', 'expiry'], ['onion'])
      const out: Change = {
        kind: 'add',
        id: uint(c, 'id', U64_MAX),
        amount: uint(c, 'amount'),
        paymentHash: bytes32(c, 'paymentHash'),
        expiry: uint(c, 'expiry', U64_MAX),
      }
      return c.onion === undefined ? out : { ...out, onion: hexUpTo(c, 'onion', MAX_ONION_BYTES) }
    }
    case 'fulfill':
      fieldsExactly(c, ['kind', 'id', 'preimage'])
      return { kind: 'fulfill', id: uint(c, 'id', U64_MAX), preimage: bytes32(c, 'preimage') }
    case 'fail': {
      fieldsExactly(c, ['kind', 'id'], ['reason'])
      const out: Change = { kind: 'fail', id: uint(c, 'id', U64_MAX) }
      return c.reason === undefined ? out : { ...out, reason: hexUpTo(c, 'reason', MAX_REASON_BYTES) }
    }
    default:
      return bad(`unknown change kind ${JSON.stringify(String(c.kind)).slice(0, 40)}`)
  }
}

function params(v: unknown): ChannelParams {
  const p = obj(v, 'params')
  fieldsExactly(p, ['partyA', 'partyB', 'token', 'total', 'disputeWindow', 'nonce'])
  return {
    partyA: address(p, 'partyA'),
    partyB: address(p, 'partyB'),
    token: address(p, 'token'),
    total: uint(p, 'total'),
    disputeWindow: uint(p, 'disputeWindow', U64_MAX),
    nonce: uint(p, 'nonce', U64_MAX),
  }
}

/** Decodes and checks one peer message (bytes or a string), or throws `CHANNEL_MALFORMED_MESSAGE`. */
export function decodeMessage(data: Uint8Array | string): WireMessage {
  const size = typeof data === 'string' ? Buffer.byteLength(data) : data.length
  if (size > MAX_MESSAGE_BYTES) bad(`${size} bytes is over the ${MAX_MESSAGE_BYTES}-byte limit`)
  let raw: unknown
  try {
    raw = JSON.parse(typeof data === 'string' ? data : new TextDecoder('utf-8', { fatal: true }).decode(data))
  } catch {
    return bad('not UTF-8 JSON')
  }
  const o = obj(raw, 'a message')
  switch (o.type) {
    case 'init':
      fieldsExactly(o, ['type', 'chainId', 'hub', 'onionKey', 'feeBase', 'feeRate'])
      return {
        type: 'init',
        chainId: uint(o, 'chainId', U64_MAX),
        hub: address(o, 'hub'),
        onionKey: bytes32(o, 'onionKey'),
        feeBase: uint(o, 'feeBase'),
        feeRate: uint(o, 'feeRate', 1_000_000n),
      }
    case 'channel_opened':
      fieldsExactly(o, ['type', 'params', 'channelId', 'txHash'])
      return {
        type: 'channel_opened',
        params: params(o.params),
        channelId: bytes32(o, 'channelId'),
        txHash: bytes32(o, 'txHash'),
      }
    case 'channel_accepted':
      fieldsExactly(o, ['type', 'channelId'])
      return { type: 'channel_accepted', channelId: bytes32(o, 'channelId') }
    case 'update': {
      fieldsExactly(o, ['type', 'channelId', 'seq', 'changes', 'sig'])
      if (!Array.isArray(o.changes) || o.changes.length === 0 || o.changes.length > 2 * MAX_HTLCS) {
        bad(`'changes' must be a list of 1..${2 * MAX_HTLCS} changes`)
      }
      return {
        type: 'update',
        channelId: bytes32(o, 'channelId'),
        seq: uint(o, 'seq', U64_MAX),
        changes: o.changes.map(change),
        sig: sig(o, 'sig'),
      }
    }
    case 'ack':
      fieldsExactly(o, ['type', 'channelId', 'seq', 'sig', 'revocation'])
      return {
        type: 'ack',
        channelId: bytes32(o, 'channelId'),
        seq: uint(o, 'seq', U64_MAX),
        sig: sig(o, 'sig'),
        revocation: sig(o, 'revocation'),
      }
    case 'revoke':
      fieldsExactly(o, ['type', 'channelId', 'seq', 'revocation'])
      return {
        type: 'revoke',
        channelId: bytes32(o, 'channelId'),
        seq: uint(o, 'seq', U64_MAX),
        revocation: sig(o, 'revocation'),
      }
    case 'reestablish': {
      fieldsExactly(o, ['type', 'channelId', 'seq', 'theirRevokedSeq'])
      const r = o.theirRevokedSeq
      if (r !== '-1' && typeof r !== 'string') bad('\'theirRevokedSeq\' must be a decimal string or "-1"')
      return {
        type: 'reestablish',
        channelId: bytes32(o, 'channelId'),
        seq: uint(o, 'seq', U64_MAX),
        theirRevokedSeq: r === '-1' ? -1n : uint(o, 'theirRevokedSeq', U64_MAX),
      }
    }
    case 'close_request':
      fieldsExactly(o, ['type', 'channelId', 'balanceA', 'balanceB', 'sig'])
      return {
        type: 'close_request',
        channelId: bytes32(o, 'channelId'),
        balanceA: uint(o, 'balanceA'),
        balanceB: uint(o, 'balanceB'),
        sig: sig(o, 'sig'),
      }
    case 'close_accept':
      fieldsExactly(o, ['type', 'channelId', 'sig'])
      return { type: 'close_accept', channelId: bytes32(o, 'channelId'), sig: sig(o, 'sig') }
    case 'announcement':
      fieldsExactly(o, [
        'type',
        'channelId',
        'params',
        'nodeA',
        'nodeB',
        'onionKeyA',
        'onionKeyB',
        'feeBaseA',
        'feeRateA',
        'feeBaseB',
        'feeRateB',
        'sigA',
        'sigB',
      ])
      return {
        type: 'announcement',
        channelId: bytes32(o, 'channelId'),
        params: params(o.params),
        nodeA: nodeId(o, 'nodeA'),
        nodeB: nodeId(o, 'nodeB'),
        onionKeyA: bytes32(o, 'onionKeyA'),
        onionKeyB: bytes32(o, 'onionKeyB'),
        feeBaseA: uint(o, 'feeBaseA'),
        feeRateA: uint(o, 'feeRateA', 1_000_000n),
        feeBaseB: uint(o, 'feeBaseB'),
        feeRateB: uint(o, 'feeRateB', 1_000_000n),
        sigA: sig(o, 'sigA'),
        sigB: sig(o, 'sigB'),
      }
    case 'error': {
      fieldsExactly(o, ['type', 'channelId', 'code', 'message'])
      return {
        type: 'error',
        channelId: o.channelId === null ? null : bytes32(o, 'channelId'),
        code: text(o, 'code', 64),
        message: text(o, 'message', 1_000),
      }
    }
    case 'ping':
    case 'pong':
      fieldsExactly(o, ['type', 'nonce'])
      return { type: o.type, nonce: uint(o, 'nonce', U64_MAX) }
    default:
      return bad(`unknown message type ${JSON.stringify(String(o.type)).slice(0, 40)}`)
  }
}

/** Encodes a message (bigints as decimal strings); throws if it would exceed the transport's message limit. */
export function encodeMessage(message: WireMessage): Uint8Array {
  const json = JSON.stringify(message, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))
  const bytes = new TextEncoder().encode(json)
  if (bytes.length > MAX_MESSAGE_BYTES) {
    throw new L2kitError(
      ChannelErrorCode.malformedMessage,
      `a ${message.type} message of ${bytes.length} bytes is over the ${MAX_MESSAGE_BYTES}-byte limit (split the update)`,
    )
  }
  return bytes
}

/** What both ends of an announced channel sign (keccak256 of a fixed layout; the id binds the parameters). */
export function announcementDigest(
  a: Omit<AnnouncementMessage, 'type' | 'sigA' | 'sigB' | 'params'>,
): Uint8Array {
  const word = (x: bigint) => hexToBytes(`0x${x.toString(16).padStart(64, '0')}`)
  return keccak256(
    concatBytes(
      new TextEncoder().encode('l2kit channel announcement v1'),
      hexToBytes(a.channelId),
      hexToBytes(a.nodeA),
      hexToBytes(a.nodeB),
      hexToBytes(a.onionKeyA),
      hexToBytes(a.onionKeyB),
      word(a.feeBaseA),
      word(a.feeRateA),
      word(a.feeBaseB),
      word(a.feeRateB),
    ),
  )
}

/** 65 zero bytes: the placeholder of a signature still to come. */
export const NO_SIGNATURE = `0x${'00'.repeat(65)}` as Hex
