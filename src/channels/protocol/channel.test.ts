import { sha256 } from '@noble/hashes/sha2.js'
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import { bytesToHex, hexToBytes } from '../../core/bytes.ts'
import { isL2kitError } from '../../core/errors.ts'
import type { Address, Hex } from '../../core/types.ts'
import {
  alreadyApplied,
  type Change,
  type ChannelPolicy,
  type ChannelRecord,
  newChannelRecord,
  propose,
  receiveAck,
  receiveRevoke,
  receiveUpdate,
  reestablish,
  reestablishMessage,
} from './channel.ts'
import {
  type ChannelDomain,
  type ChannelParams,
  channelIdOf,
  isSignedBy,
  revocationDigest,
  stateDigest,
} from './state.ts'

const KEY_A: Hex = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'
const KEY_B: Hex = '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a'
const KEY_M: Hex = '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6'
const domain: ChannelDomain = {
  chainId: 31337n,
  hub: '0x5FbDB2315678afecb367f032d93F642f64180aa3' as Address,
}
const params: ChannelParams = {
  partyA: privateKeyToAccount(KEY_A).address,
  partyB: privateKeyToAccount(KEY_B).address,
  token: '0x0000000000000000000000000000000000000000',
  total: 1_000n,
  disputeWindow: 60n,
  nonce: 7n,
}
const id = channelIdOf(domain, params)
const policy: ChannelPolicy = { now: 1_000n, minExpiryDelta: 100n }
const preimage = `0x${'ab'.repeat(32)}` as Hex
const paymentHash = bytesToHex(sha256(hexToBytes(preimage)))

function code(f: () => unknown): string | undefined {
  try {
    f()
  } catch (e) {
    return isL2kitError(e) ? e.code : `untyped: ${String(e)}`
  }
  return undefined
}

/** Runs one full update from `from` and returns both records. */
function roundTrip(a: ChannelRecord, b: ChannelRecord, from: 'A' | 'B', changes: Change[]) {
  const [p, q, pk, qk] = from === 'A' ? [a, b, KEY_A, KEY_B] : [b, a, KEY_B, KEY_A]
  const s1 = propose(p, changes, pk)
  const s2 = receiveUpdate(q, s1.message, qk, policy)
  const s3 = receiveAck(s1.record, s2.message, pk)
  const q2 = receiveRevoke(s2.record, s3.message)
  return from === 'A'
    ? { a: s3.record, b: q2, events: s3.events }
    : { a: q2, b: s3.record, events: s3.events }
}

describe('channel updates', () => {
  const a0 = newChannelRecord(domain, id, params, 'A')
  const b0 = newChannelRecord(domain, id, params, 'B')

  it('a direct payment leaves both sides with the same state signed by both and the old one revoked', () => {
    const { a, b } = roundTrip(a0, b0, 'A', [{ kind: 'pay', amount: 300n }])
    expect(a.state).toEqual(b.state)
    expect(a.state.balanceA).toBe(700n)
    expect(a.state.seq).toBe(1n)
    const digest = stateDigest(domain, a.state)
    expect(isSignedBy(digest, a.sigA as Hex, params.partyA)).toBe(true)
    expect(isSignedBy(digest, a.sigB as Hex, params.partyB)).toBe(true)
    expect(b.sigA).toBe(a.sigA)
    // each holds the other's revocation of seq 0
    expect(isSignedBy(revocationDigest(domain, id, 0n), a.theirRevocationSig as Hex, params.partyB)).toBe(
      true,
    )
    expect(isSignedBy(revocationDigest(domain, id, 0n), b.theirRevocationSig as Hex, params.partyA)).toBe(
      true,
    )
  })

  it('an HTLC is added, then fulfilled by the receiver with the preimage', () => {
    let { a, b } = roundTrip(a0, b0, 'A', [
      { kind: 'add', id: 0n, amount: 250n, paymentHash, expiry: 2_000n },
    ])
    expect(a.state.htlcs).toHaveLength(1)
    expect(a.state.balanceA).toBe(750n)
    const s1 = propose(b, [{ kind: 'fulfill', id: 0n, preimage }], KEY_B)
    const s2 = receiveUpdate(a, s1.message, KEY_A, policy)
    // A learns the preimage from the update itself (the node stores it with the record)
    expect(s2.events).toEqual([{ kind: 'fulfilled', htlc: a.htlcs[0], preimage }])
    const s3 = receiveAck(s1.record, s2.message, KEY_B)
    expect(s3.events).toEqual([{ kind: 'fulfilled', htlc: a.htlcs[0], preimage }])
    b = s3.record
    a = receiveRevoke(s2.record, s3.message)
    expect(b.state.htlcs).toHaveLength(0)
    expect(b.state.balanceB).toBe(250n)
    expect(a.state).toEqual(b.state)
    expect(a.state.seq).toBe(2n)
  })

  it('a failed HTLC goes back to its sender', () => {
    let { a, b } = roundTrip(a0, b0, 'A', [
      { kind: 'add', id: 0n, amount: 250n, paymentHash, expiry: 2_000n },
    ])
    ;({ a, b } = roundTrip(a, b, 'B', [{ kind: 'fail', id: 0n }]))
    expect(a.state.balanceA).toBe(1_000n)
    expect(b.state.htlcs).toHaveLength(0)
  })

  it('refuses hostile updates with typed errors and leaves the record unchanged', () => {
    const good = propose(a0, [{ kind: 'pay', amount: 10n }], KEY_A).message
    const before = structuredClone(b0)
    const cases: [string, () => unknown][] = [
      [
        'CHANNEL_BAD_SIGNATURE',
        () =>
          receiveUpdate(
            b0,
            { ...good, sig: propose(a0, [{ kind: 'pay', amount: 10n }], KEY_M).message.sig },
            KEY_B,
            policy,
          ),
      ],
      [
        'CHANNEL_BAD_SIGNATURE',
        () => receiveUpdate(b0, { ...good, changes: [{ kind: 'pay', amount: 11n }] }, KEY_B, policy),
      ],
      ['CHANNEL_WRONG_SEQUENCE', () => receiveUpdate(b0, { ...good, seq: 2n }, KEY_B, policy)],
      [
        'CHANNEL_UNKNOWN',
        () => receiveUpdate(b0, { ...good, channelId: `0x${'00'.repeat(32)}` }, KEY_B, policy),
      ],
      [
        'CHANNEL_OVER_CAPACITY',
        () => receiveUpdate(b0, { ...good, changes: [{ kind: 'pay', amount: 1_001n }] }, KEY_B, policy),
      ],
      [
        'CHANNEL_INVALID_STATE',
        () => receiveUpdate(b0, { ...good, changes: [{ kind: 'pay', amount: 0n }] }, KEY_B, policy),
      ],
      [
        'CHANNEL_BAD_EXPIRY',
        () =>
          receiveUpdate(
            b0,
            { ...good, changes: [{ kind: 'add', id: 0n, amount: 1n, paymentHash, expiry: 1_050n }] },
            KEY_B,
            policy,
          ),
      ],
      [
        'CHANNEL_BAD_PREIMAGE',
        () => receiveUpdate(b0, { ...good, changes: [{ kind: 'fulfill', id: 0n, preimage }] }, KEY_B, policy),
      ],
      ['CHANNEL_MALFORMED_MESSAGE', () => receiveUpdate(b0, { ...good, changes: [] }, KEY_B, policy)],
      [
        'CHANNEL_MALFORMED_MESSAGE',
        () =>
          receiveUpdate(b0, { ...good, changes: [{ kind: 'steal' } as unknown as Change] }, KEY_B, policy),
      ],
      // B offers an HTLC it cannot pay for (B holds nothing yet)
      [
        'CHANNEL_OVER_CAPACITY',
        () => propose(b0, [{ kind: 'add', id: 0n, amount: 1n, paymentHash, expiry: 2_000n }], KEY_B),
      ],
    ]
    for (const [expected, f] of cases) expect(code(f)).toBe(expected)
    expect(b0).toEqual(before)
  })

  it('rejects a fulfil with the wrong preimage and an ack or revocation by the wrong key', () => {
    const { a, b } = roundTrip(a0, b0, 'A', [
      { kind: 'add', id: 0n, amount: 250n, paymentHash, expiry: 2_000n },
    ])
    expect(
      code(() => propose(b, [{ kind: 'fulfill', id: 0n, preimage: `0x${'cd'.repeat(32)}` }], KEY_B)),
    ).toBe('CHANNEL_BAD_PREIMAGE')
    const s1 = propose(a, [{ kind: 'pay', amount: 5n }], KEY_A)
    const s2 = receiveUpdate(b, s1.message, KEY_B, policy)
    const forged = receiveUpdate(b, s1.message, KEY_M, policy).message
    expect(code(() => receiveAck(s1.record, { ...s2.message, sig: forged.sig }, KEY_A))).toBe(
      'CHANNEL_BAD_SIGNATURE',
    )
    expect(code(() => receiveAck(s1.record, { ...s2.message, revocation: forged.revocation }, KEY_A))).toBe(
      'CHANNEL_BAD_SIGNATURE',
    )
    const s3 = receiveAck(s1.record, s2.message, KEY_A)
    expect(code(() => receiveRevoke(s2.record, { ...s3.message, seq: 0n }))).toBe('CHANNEL_WRONG_SEQUENCE')
    expect(code(() => receiveAck(s3.record, s2.message, KEY_A))).toBe('CHANNEL_UNEXPECTED_MESSAGE')
  })

  it('when both propose at once, A’s update wins and B’s dropped changes can be re-proposed', () => {
    const { a, b } = roundTrip(a0, b0, 'A', [{ kind: 'pay', amount: 500n }])
    const fromA = propose(a, [{ kind: 'pay', amount: 100n }], KEY_A)
    const fromB = propose(b, [{ kind: 'pay', amount: 50n }], KEY_B)
    expect(code(() => receiveUpdate(fromA.record, fromB.message, KEY_A, policy))).toBe(
      'CHANNEL_UNEXPECTED_MESSAGE',
    )
    const atB = receiveUpdate(fromB.record, fromA.message, KEY_B, policy)
    expect(atB.dropped).toEqual([{ kind: 'pay', amount: 50n }])
    const atA = receiveAck(fromA.record, atB.message, KEY_A)
    const b2 = receiveRevoke(atB.record, atA.message)
    const again = roundTrip(atA.record, b2, 'B', atB.dropped as Change[])
    expect(again.a.state.balanceA).toBe(450n)
    expect(again.b.state.balanceB).toBe(550n)
  })

  it('reestablish re-sends exactly what was lost: an update, an ack, a revocation', () => {
    const { a, b } = roundTrip(a0, b0, 'A', [{ kind: 'pay', amount: 100n }])
    // 1. the update never arrived
    const s1 = propose(a, [{ kind: 'pay', amount: 5n }], KEY_A)
    let resend = reestablish(s1.record, reestablishMessage(b), KEY_A)
    expect(resend.map((m) => m.type)).toEqual(['update'])
    expect(reestablish(b, reestablishMessage(s1.record), KEY_B)).toEqual([])
    // 2. the ack was lost: B (at seq 2) sends it again, A (still at 1, proposal stored) sends nothing
    const s2 = receiveUpdate(b, resend[0] as never, KEY_B, policy)
    expect(reestablish(s1.record, reestablishMessage(s2.record), KEY_A)).toEqual([])
    resend = reestablish(s2.record, reestablishMessage(s1.record), KEY_B)
    expect(resend).toEqual([s2.message])
    // 3. the revocation was lost: A sends it again, and B accepts it
    const s3 = receiveAck(s1.record, resend[0] as never, KEY_A)
    resend = reestablish(s3.record, reestablishMessage(s2.record), KEY_A)
    expect(resend).toEqual([s3.message])
    const b3 = receiveRevoke(s2.record, resend[0] as never)
    expect(b3.state).toEqual(s3.record.state)
    expect(reestablish(s3.record, reestablishMessage(b3), KEY_A)).toEqual([])
    // 4. a peer two states away lost data: nothing is sent
    expect(code(() => reestablish(a0, { ...reestablishMessage(b3) }, KEY_A))).toBe('CHANNEL_WRONG_SEQUENCE')
    // 5. the revocation was lost and A's next proposal is stored on top: the revocation goes first, then the update
    // (the other order would have B refuse the revocation once it holds the newer state)
    const s5 = propose(s3.record, [{ kind: 'pay', amount: 7n }], KEY_A)
    resend = reestablish(s5.record, reestablishMessage(s2.record), KEY_A)
    expect(resend.map((m) => m.type)).toEqual(['revoke', 'update'])
    const b5 = receiveRevoke(s2.record, resend[0] as never)
    const b6 = receiveUpdate(b5, resend[1] as never, KEY_B, policy)
    expect(b6.record.state.balanceB).toBe(112n)
    // 6. B acked A's update and proposed its own on top; the ack was lost (A restarted): B sends the ack, then its
    // proposal, and A takes both in that order (found by the SIGKILL test: the proposal used to wait forever)
    const a7 = receiveAck(s5.record, b6.message, KEY_A)
    const b7 = receiveRevoke(b6.record, a7.message)
    const p8 = propose(a7.record, [{ kind: 'pay', amount: 3n }], KEY_A)
    const k8 = receiveUpdate(b7, p8.message, KEY_B, policy)
    const q9 = propose(k8.record, [{ kind: 'pay', amount: 1n }], KEY_B)
    resend = reestablish(q9.record, reestablishMessage(p8.record), KEY_B)
    expect(resend.map((m) => m.type)).toEqual(['ack', 'update'])
    const a8 = receiveAck(p8.record, resend[0] as never, KEY_A)
    const a9 = receiveUpdate(a8.record, resend[1] as never, KEY_A, policy)
    expect(a9.record.state.seq).toBe(q9.record.proposed?.seq)
  })

  it('after a reconnection race: a copy already applied is recognised, an overtaken revocation still taken', () => {
    const { a, b } = roundTrip(a0, b0, 'A', [{ kind: 'pay', amount: 100n }])
    // A's update 2 is acked, A's revocation of 1 is lost, A's update 3 (on top of 2) reaches B first
    const u2 = propose(a, [{ kind: 'pay', amount: 1n }], KEY_A)
    const k2 = receiveUpdate(b, u2.message, KEY_B, policy)
    const r2 = receiveAck(u2.record, k2.message, KEY_A)
    const u3 = propose(r2.record, [{ kind: 'pay', amount: 2n }], KEY_A)
    const k3 = receiveUpdate(k2.record, u3.message, KEY_B, policy)
    // copies of what B applied: the update and (at A) the ack
    expect(alreadyApplied(k3.record, u3.message)).toBe(true)
    expect(alreadyApplied(k3.record, u2.message)).toBe(false) // older than the state: a real sequence error
    expect(alreadyApplied(r2.record, k2.message)).toBe(true)
    expect(alreadyApplied(u3.record, k3.message)).toBe(false) // the awaited ack of u3
    // reestablish: B (at 3) tells A (at 2 with 3 proposed) it lacks A's revocation of 1; A sends only that
    const resend = reestablish(u3.record, reestablishMessage(k3.record), KEY_A)
    expect(resend).toEqual([r2.message])
    // the overtaken revocation of 1 is taken at seq 3, then the ack of 3 brings the revocation of 2
    const b4 = receiveRevoke(k3.record, r2.message)
    expect(b4.theirRevokedSeq).toBe(1n)
    expect(alreadyApplied(b4, r2.message)).toBe(true)
    const r3 = receiveAck(u3.record, k3.message, KEY_A)
    const b5 = receiveRevoke(b4, r3.message)
    expect(b5.theirRevokedSeq).toBe(2n)
    expect(b5.state).toEqual(r3.record.state)
    // a revocation of a state B does not hold as revocable yet is refused
    expect(code(() => receiveRevoke(k2.record, { ...r3.message }))).toBe('CHANNEL_WRONG_SEQUENCE')
  })
})
