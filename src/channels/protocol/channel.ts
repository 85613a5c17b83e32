/**
 * The off-chain channel state machine (docs/channels.md, "Off-chain updates"): one side proposes a batch of changes
 * (direct payments, HTLC add / fulfil / fail) with its signature over the next state; the other checks, stores and
 * answers with its signature and the revocation of the previous state; the proposer stores both and revokes too.
 *
 * Pure: every transition returns the record to store and the message to send, and the caller must store the
 * record (durably) before it sends the message. So a node never revokes a state before it holds a newer state
 * signed by both, and the newest fully signed state it holds is always safe to publish.
 *
 * One update is in flight per channel. When both sides propose at once, A's proposal wins: B drops its own (which A
 * never signed, so it can never be published) and re-proposes its changes on top of A's.
 *
 * Preimages are not kept in the record (it is rewritten on every update and would grow with every payment): a
 * fulfil comes out as a `fulfilled` event carrying its preimage, which the node stores in the same transaction.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, hexToBytes } from '../../core/bytes.ts'
import { L2kitError } from '../../core/errors.ts'
import type { Address, Hex } from '../../core/types.ts'
import { ChannelErrorCode } from './errors.ts'
import {
  type ChannelDomain,
  type ChannelParams,
  type ChannelState,
  type Htlc,
  isSignedBy,
  MAX_HTLCS,
  openingState,
  revocationDigest,
  signDigest,
  stateDigest,
  stateProblem,
} from './state.ts'

export type Side = 'A' | 'B'

/** An HTLC while pending in a channel: `id` is unique per offering side. */
export type PendingHtlc = Htlc & { id: bigint }

/** One change in an update; `from` is implied: the proposer. */
export type Change =
  /** proposer pays `amount` to the other side */
  | { kind: 'pay'; amount: bigint }
  /** proposer offers an HTLC; `onion` is forwarded opaque (the next hop's packet), not part of the signed state */
  | { kind: 'add'; id: bigint; amount: bigint; paymentHash: Hex; expiry: bigint; onion?: Hex }
  /** proposer (the receiver of the other side's HTLC `id`) claims it with the preimage */
  | { kind: 'fulfill'; id: bigint; preimage: Hex }
  /** proposer (the receiver) gives the other side's HTLC `id` back; `reason` is an opaque error onion */
  | { kind: 'fail'; id: bigint; reason?: Hex }

/** Everything a party knows about a channel; what the node stores (JSON-able through its codec). */
export type ChannelRecord = {
  domain: ChannelDomain
  channelId: Hex
  params: ChannelParams
  /** which party this node is */
  side: Side
  /** the counterparty's node id (its secp256k1 compressed key, hex), when a node keeps the record */
  peer?: string
  /** newest state signed by both (seq 0: the implicit opening state, no signatures) */
  state: ChannelState
  sigA: Hex | null
  sigB: Hex | null
  /** pending HTLCs of `state` with their ids (same order as `state.htlcs`) */
  htlcs: PendingHtlc[]
  /** next HTLC id this node offers */
  nextHtlcId: bigint
  /** the counterparty's newest revocation: it revoked every state with seq ≤ this (-1: none yet) */
  theirRevokedSeq: bigint
  theirRevocationSig: Hex | null
  /** this node revoked every state with seq ≤ this (-1: none yet) */
  ourRevokedSeq: bigint
  /** an update this node proposed and signed, not yet answered */
  proposed: { seq: bigint; changes: Change[]; state: ChannelState; htlcs: PendingHtlc[]; ourSig: Hex } | null
}

/** Wire messages of the update protocol (the node frames and encodes them). */
export type UpdateMessage = { type: 'update'; channelId: Hex; seq: bigint; changes: Change[]; sig: Hex }
export type AckMessage = { type: 'ack'; channelId: Hex; seq: bigint; sig: Hex; revocation: Hex }
export type RevokeMessage = { type: 'revoke'; channelId: Hex; seq: bigint; revocation: Hex }

/** What an HTLC change means for the node's payment logic once the update is committed. */
export type HtlcEvent =
  | { kind: 'added'; htlc: PendingHtlc; onion?: Hex }
  | { kind: 'fulfilled'; htlc: PendingHtlc; preimage: Hex }
  | { kind: 'failed'; htlc: PendingHtlc; reason?: Hex }
  | { kind: 'paid'; amount: bigint }

/** Limits a node applies to HTLCs it is offered. */
export type ChannelPolicy = {
  /** now, L1 seconds */
  now: bigint
  /** an incoming HTLC must expire at least this long from now */
  minExpiryDelta: bigint
}

function fail(code: ChannelErrorCode, message: string, details: Record<string, unknown> = {}): never {
  throw new L2kitError(code, message, { details })
}

const other = (s: Side): Side => (s === 'A' ? 'B' : 'A')
const dirOf = (offerer: Side) => (offerer === 'A' ? 0 : 1) as 0 | 1

/** Creates the record of a newly opened channel. */
export function newChannelRecord(
  domain: ChannelDomain,
  channelId: Hex,
  params: ChannelParams,
  side: Side,
): ChannelRecord {
  return {
    domain,
    channelId,
    params,
    side,
    state: openingState(channelId, params),
    sigA: null,
    sigB: null,
    htlcs: [],
    nextHtlcId: 0n,
    theirRevokedSeq: -1n,
    theirRevocationSig: null,
    ourRevokedSeq: -1n,
    proposed: null,
  }
}

/** What `side` can spend now: its balance (HTLCs it offered are already out of it). */
export function spendable(record: ChannelRecord, side: Side = record.side): bigint {
  return side === 'A' ? record.state.balanceA : record.state.balanceB
}

function addrOf(record: ChannelRecord, side: Side): Address {
  return side === 'A' ? record.params.partyA : record.params.partyB
}

const isHex32 = (h: unknown): h is Hex => typeof h === 'string' && /^0x[0-9a-fA-F]{64}$/.test(h)

/**
 * Applies `changes` proposed by `proposer` to the record's current state. Throws a typed error for any change the
 * receiving side must refuse (amounts, capacity, unknown ids, wrong preimages, expiries), changing nothing.
 */
export function applyChanges(
  record: ChannelRecord,
  proposer: Side,
  changes: readonly Change[],
  policy: ChannelPolicy | null,
): { state: ChannelState; htlcs: PendingHtlc[]; events: HtlcEvent[] } {
  if (!Array.isArray(changes) || changes.length === 0 || changes.length > 2 * MAX_HTLCS) {
    fail(ChannelErrorCode.malformedMessage, `an update carries 1..${2 * MAX_HTLCS} changes`)
  }
  let balA = record.state.balanceA
  let balB = record.state.balanceB
  const htlcs = [...record.htlcs]
  const events: HtlcEvent[] = []
  const receiver = other(proposer)
  const debit = (side: Side, amount: bigint) => {
    const have = side === 'A' ? balA : balB
    if (amount > have) {
      fail(ChannelErrorCode.overCapacity, `${amount} is more than the ${have} side ${side} can spend`, {
        amount: amount.toString(),
        spendable: have.toString(),
      })
    }
    if (side === 'A') balA -= amount
    else balB -= amount
  }
  const credit = (side: Side, amount: bigint) => {
    if (side === 'A') balA += amount
    else balB += amount
  }
  for (const c of changes) {
    if (c === null || typeof c !== 'object')
      fail(ChannelErrorCode.malformedMessage, 'a change must be an object')
    switch (c.kind) {
      case 'pay': {
        if (typeof c.amount !== 'bigint' || c.amount <= 0n) {
          fail(ChannelErrorCode.invalidState, 'a payment amount must be > 0')
        }
        debit(proposer, c.amount)
        credit(receiver, c.amount)
        events.push({ kind: 'paid', amount: c.amount })
        break
      }
      case 'add': {
        if (typeof c.amount !== 'bigint' || c.amount <= 0n) {
          fail(ChannelErrorCode.invalidState, 'an HTLC amount must be > 0')
        }
        if (!isHex32(c.paymentHash)) fail(ChannelErrorCode.malformedMessage, 'a payment hash is 32 bytes')
        if (typeof c.expiry !== 'bigint' || c.expiry <= 0n || c.expiry >= 1n << 64n) {
          fail(ChannelErrorCode.badExpiry, 'an HTLC expiry is a uint64 timestamp')
        }
        if (policy !== null && c.expiry < policy.now + policy.minExpiryDelta) {
          fail(
            ChannelErrorCode.badExpiry,
            `the HTLC expires at ${c.expiry}, too soon (needs ≥ now + ${policy.minExpiryDelta})`,
            {
              expiry: c.expiry.toString(),
              now: policy.now.toString(),
            },
          )
        }
        const direction = dirOf(proposer)
        if (typeof c.id !== 'bigint' || htlcs.some((h) => h.direction === direction && h.id === c.id)) {
          fail(ChannelErrorCode.malformedMessage, `HTLC id ${String(c.id)} is already pending`)
        }
        if (
          htlcs.some(
            (h) => h.direction === direction && h.paymentHash.toLowerCase() === c.paymentHash.toLowerCase(),
          )
        ) {
          fail(ChannelErrorCode.malformedMessage, 'an HTLC with this payment hash is already pending')
        }
        if (htlcs.length >= MAX_HTLCS) {
          fail(ChannelErrorCode.overCapacity, `at most ${MAX_HTLCS} HTLCs may be pending in a channel`)
        }
        debit(proposer, c.amount)
        const htlc: PendingHtlc = {
          id: c.id,
          direction,
          amount: c.amount,
          paymentHash: c.paymentHash.toLowerCase() as Hex,
          expiry: c.expiry,
        }
        htlcs.push(htlc)
        events.push(c.onion === undefined ? { kind: 'added', htlc } : { kind: 'added', htlc, onion: c.onion })
        break
      }
      case 'fulfill':
      case 'fail': {
        // the proposer settles an HTLC the other side offered to it
        const direction = dirOf(receiver)
        const i = htlcs.findIndex((h) => h.direction === direction && h.id === c.id)
        if (i < 0)
          fail(ChannelErrorCode.badPreimage, `no pending HTLC ${String(c.id)} offered to side ${proposer}`)
        const htlc = htlcs[i] as PendingHtlc
        if (c.kind === 'fulfill') {
          if (!isHex32(c.preimage)) fail(ChannelErrorCode.badPreimage, 'a preimage is 32 bytes')
          if (bytesToHex(sha256(hexToBytes(c.preimage))) !== htlc.paymentHash.toLowerCase()) {
            fail(ChannelErrorCode.badPreimage, 'the preimage does not hash to the HTLC’s payment hash')
          }
          credit(proposer, htlc.amount)
          events.push({ kind: 'fulfilled', htlc, preimage: c.preimage.toLowerCase() as Hex })
        } else {
          credit(receiver, htlc.amount)
          events.push(
            c.reason === undefined ? { kind: 'failed', htlc } : { kind: 'failed', htlc, reason: c.reason },
          )
        }
        htlcs.splice(i, 1)
        break
      }
      default:
        fail(
          ChannelErrorCode.malformedMessage,
          `unknown change kind ${String((c as { kind?: unknown }).kind)}`,
        )
    }
  }
  htlcs.sort((x, y) => x.direction - y.direction || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))
  const state: ChannelState = {
    channelId: record.channelId,
    seq: record.state.seq + 1n,
    balanceA: balA,
    balanceB: balB,
    htlcs: htlcs.map(({ direction, amount, paymentHash, expiry }) => ({
      direction,
      amount,
      paymentHash,
      expiry,
    })),
  }
  const problem = stateProblem(record.channelId, record.params, state)
  if (problem !== undefined) fail(ChannelErrorCode.invalidState, problem)
  return { state, htlcs, events }
}

/** Step 1: this node proposes `changes`. Store the returned record, then send the message. */
export function propose(
  record: ChannelRecord,
  changes: Change[],
  privateKey: Uint8Array | Hex,
): { record: ChannelRecord; message: UpdateMessage } {
  if (record.proposed !== null) fail(ChannelErrorCode.unexpectedMessage, 'an update is already in flight')
  const { state, htlcs } = applyChanges(record, record.side, changes, null)
  let nextHtlcId = record.nextHtlcId
  for (const c of changes) if (c.kind === 'add' && c.id >= nextHtlcId) nextHtlcId = c.id + 1n
  const ourSig = signDigest(stateDigest(record.domain, state), privateKey)
  return {
    record: { ...record, nextHtlcId, proposed: { seq: state.seq, changes, state, htlcs, ourSig } },
    message: { type: 'update', channelId: record.channelId, seq: state.seq, changes, sig: ourSig },
  }
}

/**
 * Step 2: the counterparty's update arrives. Checks everything, then returns the new record (state n + 1 signed by
 * both, our revocation of n) and the ack to send after storing it. A concurrent proposal of ours is dropped when
 * we are B (A's wins, see the header); when we are A, B's proposal is refused with `unexpectedMessage`.
 */
export function receiveUpdate(
  record: ChannelRecord,
  msg: UpdateMessage,
  privateKey: Uint8Array | Hex,
  policy: ChannelPolicy,
): { record: ChannelRecord; message: AckMessage; events: HtlcEvent[]; dropped: Change[] | null } {
  if (msg.channelId.toLowerCase() !== record.channelId.toLowerCase()) {
    fail(ChannelErrorCode.unknownChannel, 'the update is for another channel')
  }
  let base = record
  let dropped: Change[] | null = null
  if (record.proposed !== null) {
    if (record.side === 'A')
      fail(ChannelErrorCode.unexpectedMessage, 'A’s own update is in flight; B must wait')
    dropped = record.proposed.changes
    base = { ...record, proposed: null }
  }
  if (msg.seq !== base.state.seq + 1n) {
    fail(ChannelErrorCode.wrongSequence, `expected seq ${base.state.seq + 1n}, got ${String(msg.seq)}`)
  }
  const them = other(base.side)
  const { state, htlcs, events } = applyChanges(base, them, msg.changes, policy)
  const digest = stateDigest(base.domain, state)
  if (!isSignedBy(digest, msg.sig, addrOf(base, them))) {
    fail(ChannelErrorCode.badSignature, 'the update’s signature is not the counterparty’s over the new state')
  }
  const ourSig = signDigest(digest, privateKey)
  const revokedSeq = base.state.seq
  const revocation = signDigest(revocationDigest(base.domain, base.channelId, revokedSeq), privateKey)
  const next: ChannelRecord = {
    ...base,
    state,
    htlcs,
    sigA: base.side === 'A' ? ourSig : msg.sig,
    sigB: base.side === 'B' ? ourSig : msg.sig,
    ourRevokedSeq: revokedSeq,
  }
  return {
    record: next,
    message: { type: 'ack', channelId: base.channelId, seq: state.seq, sig: ourSig, revocation },
    events,
    dropped,
  }
}

/**
 * Step 3: the ack to our proposal arrives: their signature on n + 1 and their revocation of n. Returns the new
 * record and our revocation to send after storing it, plus what the update did.
 */
export function receiveAck(
  record: ChannelRecord,
  msg: AckMessage,
  privateKey: Uint8Array | Hex,
): { record: ChannelRecord; message: RevokeMessage; events: HtlcEvent[] } {
  const p = record.proposed
  if (p === null) fail(ChannelErrorCode.unexpectedMessage, 'no update of ours is awaiting an ack')
  if (msg.seq !== p.seq)
    fail(ChannelErrorCode.wrongSequence, `expected an ack of seq ${p.seq}, got ${String(msg.seq)}`)
  const them = other(record.side)
  const digest = stateDigest(record.domain, p.state)
  if (!isSignedBy(digest, msg.sig, addrOf(record, them))) {
    fail(
      ChannelErrorCode.badSignature,
      'the ack’s signature is not the counterparty’s over our proposed state',
    )
  }
  const revokedSeq = record.state.seq
  if (
    !isSignedBy(
      revocationDigest(record.domain, record.channelId, revokedSeq),
      msg.revocation,
      addrOf(record, them),
    )
  ) {
    fail(ChannelErrorCode.badSignature, `the ack’s revocation of seq ${revokedSeq} is not the counterparty’s`)
  }
  // recompute the events from our own view of the changes (we proposed them)
  const { events } = applyChanges(record, record.side, p.changes, null)
  const revocation = signDigest(revocationDigest(record.domain, record.channelId, revokedSeq), privateKey)
  const next: ChannelRecord = {
    ...record,
    state: p.state,
    htlcs: p.htlcs,
    sigA: record.side === 'A' ? p.ourSig : msg.sig,
    sigB: record.side === 'B' ? p.ourSig : msg.sig,
    theirRevokedSeq: revokedSeq,
    theirRevocationSig: msg.revocation,
    ourRevokedSeq: revokedSeq,
    proposed: null,
  }
  return {
    record: next,
    message: { type: 'revoke', channelId: record.channelId, seq: revokedSeq, revocation },
    events,
  }
}

/**
 * The proposer's revocation of the previous state arrives (the last step). Usually of `state.seq - 1`; an older one
 * (still newer than what the peer revoked so far) is taken too: after a reconnection the peer's next update can
 * overtake the revocation that was lost with the old link, and a revocation of seq k revokes every state ≤ k.
 */
export function receiveRevoke(record: ChannelRecord, msg: RevokeMessage): ChannelRecord {
  if (typeof msg.seq !== 'bigint' || msg.seq > record.state.seq - 1n || msg.seq <= record.theirRevokedSeq) {
    fail(
      ChannelErrorCode.wrongSequence,
      `expected a revocation of seq ${record.theirRevokedSeq + 1n}..${record.state.seq - 1n}, got ${String(msg.seq)}`,
    )
  }
  const them = other(record.side)
  if (
    !isSignedBy(
      revocationDigest(record.domain, record.channelId, msg.seq),
      msg.revocation,
      addrOf(record, them),
    )
  ) {
    fail(ChannelErrorCode.badSignature, `the revocation of seq ${msg.seq} is not the counterparty’s`)
  }
  return { ...record, theirRevokedSeq: msg.seq, theirRevocationSig: msg.revocation }
}

/**
 * Whether `msg` was applied already: an update or an ack of the current state carrying the peer's signature we hold
 * for it, or a revocation of a state the peer revoked before. Such a copy arrives when a reconnection races with
 * messages still in flight on the old link (the original and reestablish's copy both arrive); the node drops it
 * instead of refusing it (a refusal would make the peer drop the update it has in flight).
 */
export function alreadyApplied(
  record: ChannelRecord,
  msg: UpdateMessage | AckMessage | RevokeMessage,
): boolean {
  if (msg.type === 'revoke') return msg.seq <= record.theirRevokedSeq
  const theirSig = record.side === 'A' ? record.sigB : record.sigA
  if (msg.type === 'ack' && record.proposed !== null && record.proposed.seq === msg.seq) return false
  return msg.seq === record.state.seq && theirSig !== null && theirSig.toLowerCase() === msg.sig.toLowerCase()
}

/** The state to publish on a unilateral close: the newest one signed by both (never a revoked one). */
export function closingState(record: ChannelRecord): { state: ChannelState; sigA: Hex; sigB: Hex } {
  return { state: record.state, sigA: record.sigA ?? '0x', sigB: record.sigB ?? '0x' }
}

/** What a node tells its peer on every (re)connection, per channel (BOLT 2's channel_reestablish). */
export type ReestablishMessage = {
  type: 'reestablish'
  channelId: Hex
  /** the newest state this node holds signed by both */
  seq: bigint
  /** the newest revocation of the peer's this node holds (-1: none) */
  theirRevokedSeq: bigint
}

export function reestablishMessage(record: ChannelRecord): ReestablishMessage {
  return {
    type: 'reestablish',
    channelId: record.channelId,
    seq: record.state.seq,
    theirRevokedSeq: record.theirRevokedSeq,
  }
}

/**
 * After a reconnection, the messages this node must send again so that both sides end on the same state, from what
 * the peer says it holds. Everything re-sent is what was already stored and sent once (signatures are deterministic),
 * so nothing new is signed: an update the peer never got, an ack whose answer never came, a revocation the peer
 * lacks. A peer more than one step away from us has lost data (or lies): a typed error, and nothing is sent.
 */
export function reestablish(
  record: ChannelRecord,
  peer: ReestablishMessage,
  privateKey: Uint8Array | Hex,
): (UpdateMessage | AckMessage | RevokeMessage)[] {
  if (peer.channelId.toLowerCase() !== record.channelId.toLowerCase()) {
    fail(ChannelErrorCode.unknownChannel, 'the reestablish is for another channel')
  }
  const ours = record.state.seq
  const out: (UpdateMessage | AckMessage | RevokeMessage)[] = []
  const p = record.proposed
  /** our revocation of the state before `ours`, if we made it and the peer lacks it */
  const lostRevocation = () => {
    if (ours > 0n && peer.theirRevokedSeq < ours - 1n && record.ourRevokedSeq >= ours - 1n) {
      out.push({
        type: 'revoke',
        channelId: record.channelId,
        seq: ours - 1n,
        revocation: signDigest(revocationDigest(record.domain, record.channelId, ours - 1n), privateKey),
      })
    }
  }
  if (peer.seq === ours + 1n) {
    // the peer took our proposal and acked it, the ack was lost: it re-sends the ack; from us only our revocation
    // of the state before `ours` if that was lost too (our proposal overtook it)
    if (p === null || p.seq !== peer.seq) {
      fail(
        ChannelErrorCode.wrongSequence,
        `the peer claims seq ${peer.seq}, ahead of anything we signed (${ours})`,
      )
    }
    lostRevocation()
    return out
  }
  if (peer.seq === ours) {
    // in the order they were first sent: the revocation of the state before `ours` (it completed the last update),
    // then our proposal on top of `ours` (the peer takes a revocation of ours - 1 only while it holds `ours`)
    lostRevocation() // our revocation of the previous state was lost
    if (p !== null) {
      // our proposal never reached the peer (or was refused): send it again
      out.push({ type: 'update', channelId: record.channelId, seq: p.seq, changes: p.changes, sig: p.ourSig })
    }
    return out
  }
  if (peer.seq === ours - 1n) {
    // we acked the peer's update (state `ours` is signed by both on our side); the ack was lost: send it again
    const ourSig = record.side === 'A' ? record.sigA : record.sigB
    if (ourSig === null || record.ourRevokedSeq < ours - 1n) {
      fail(ChannelErrorCode.wrongSequence, 'the peer is one state behind but we never acked that state')
    }
    out.push({
      type: 'ack',
      channelId: record.channelId,
      seq: ours,
      sig: ourSig,
      revocation: signDigest(revocationDigest(record.domain, record.channelId, ours - 1n), privateKey),
    })
    // and our proposal on top of `ours`, if we made one meanwhile: the peer takes it once the ack gave it `ours`
    // (without it, that proposal would wait forever: the peer's next reestablish finds both at `ours`)
    if (p !== null) {
      out.push({ type: 'update', channelId: record.channelId, seq: p.seq, changes: p.changes, sig: p.ourSig })
    }
    return out
  }
  return fail(
    ChannelErrorCode.wrongSequence,
    `the peer holds seq ${peer.seq} and we hold ${ours}: more than one step apart, one side lost data`,
  )
}
