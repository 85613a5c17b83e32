import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import { L2kitError } from '../../core/errors.ts'
import { errorCodeOf } from '../../core/testing.ts'
import type { Address, Hex } from '../../core/types.ts'
import {
  type ChannelPolicy,
  newChannelRecord,
  propose,
  receiveAck,
  receiveRevoke,
  receiveUpdate,
} from './channel.ts'
import { ChannelErrorCode } from './errors.ts'
import { type ChannelDomain, type ChannelParams, channelIdOf } from './state.ts'
import { decodeMessage, encodeMessage, MAX_MESSAGE_BYTES, type WireMessage } from './wire.ts'

const KEY_A: Hex = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'
const KEY_B: Hex = '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a'
const domain: ChannelDomain = {
  chainId: 31337n,
  hub: '0x5fbdb2315678afecb367f032d93f642f64180aa3' as Address,
}
const params: ChannelParams = {
  partyA: privateKeyToAccount(KEY_A).address.toLowerCase() as Address,
  partyB: privateKeyToAccount(KEY_B).address.toLowerCase() as Address,
  token: '0x0000000000000000000000000000000000000000',
  total: 1_000_000n,
  disputeWindow: 60n,
  nonce: 1n,
}
const id = channelIdOf(domain, params)
const policy: ChannelPolicy = { now: 1_000n, minExpiryDelta: 100n }
const h32 = (b: string) => `0x${b.repeat(32)}` as Hex
const sig65 = `0x${'11'.repeat(64)}1b` as Hex

const samples: WireMessage[] = [
  { type: 'init', chainId: 31337n, hub: domain.hub, onionKey: h32('aa'), feeBase: 1000n, feeRate: 100n },
  { type: 'channel_opened', params, channelId: id, txHash: h32('bb') },
  { type: 'channel_accepted', channelId: id },
  {
    type: 'update',
    channelId: id,
    seq: 1n,
    changes: [
      { kind: 'pay', amount: 5n },
      { kind: 'add', id: 0n, amount: 7n, paymentHash: h32('cc'), expiry: 2_000n, onion: '0x0102' },
      { kind: 'fulfill', id: 3n, preimage: h32('dd') },
      { kind: 'fail', id: 4n, reason: '0x99' },
      { kind: 'fail', id: 5n },
    ],
    sig: sig65,
  },
  { type: 'ack', channelId: id, seq: 1n, sig: sig65, revocation: sig65 },
  { type: 'revoke', channelId: id, seq: 0n, revocation: sig65 },
  { type: 'reestablish', channelId: id, seq: 3n, theirRevokedSeq: -1n },
  { type: 'reestablish', channelId: id, seq: 3n, theirRevokedSeq: 2n },
  { type: 'close_request', channelId: id, balanceA: 1n, balanceB: 2n, sig: sig65 },
  { type: 'close_accept', channelId: id, sig: sig65 },
  {
    type: 'announcement',
    channelId: id,
    params,
    nodeA: `0x02${'11'.repeat(32)}`,
    nodeB: `0x03${'22'.repeat(32)}`,
    onionKeyA: h32('33'),
    onionKeyB: h32('44'),
    feeBaseA: 1n,
    feeRateA: 100n,
    feeBaseB: 2n,
    feeRateB: 200n,
    sigA: sig65,
    sigB: sig65,
  },
  { type: 'error', channelId: null, code: 'CHANNEL_BAD_SIGNATURE', message: 'no' },
  { type: 'ping', nonce: 9n },
  { type: 'pong', nonce: 9n },
]

const codeOf = errorCodeOf

describe('peer message codec', () => {
  it('round-trips every message type exactly', () => {
    for (const m of samples) expect(decodeMessage(encodeMessage(m))).toEqual(m)
  })

  it('refuses unknown fields, missing fields, bad lengths, out-of-range numbers and oversized frames', () => {
    const cases: unknown[] = [
      { type: 'ping', nonce: '1', extra: 1 },
      { type: 'ping' },
      { type: 'ping', nonce: 1 },
      { type: 'ping', nonce: '-1' },
      { type: 'ping', nonce: '01' },
      { type: 'ping', nonce: (1n << 64n).toString() },
      { type: 'ack', channelId: id, seq: '1', sig: '0x11', revocation: sig65 },
      { type: 'update', channelId: id, seq: '1', changes: [], sig: sig65 },
      { type: 'update', channelId: id, seq: '1', changes: [{ kind: 'steal', amount: '1' }], sig: sig65 },
      {
        type: 'update',
        channelId: id,
        seq: '1',
        changes: [{ kind: 'pay', amount: '1', to: 'me' }],
        sig: sig65,
      },
      { type: 'nope' },
      [],
      null,
      'string',
    ]
    for (const c of cases) {
      expect(codeOf(() => decodeMessage(JSON.stringify(c)))).toBe(ChannelErrorCode.malformedMessage)
    }
    expect(codeOf(() => decodeMessage(new Uint8Array([0xff, 0xfe])))).toBe(ChannelErrorCode.malformedMessage)
    expect(codeOf(() => decodeMessage(new Uint8Array(MAX_MESSAGE_BYTES + 1)))).toBe(
      ChannelErrorCode.malformedMessage,
    )
  })

  it('survives 10,000 mutated messages fed to the channel state machine: typed errors only, no state change', () => {
    // a channel after one payment, with a valid next update / ack / revoke to mutate
    const a0 = newChannelRecord(domain, id, params, 'A')
    const b0 = newChannelRecord(domain, id, params, 'B')
    const s1 = propose(a0, [{ kind: 'pay', amount: 100n }], KEY_A)
    const s2 = receiveUpdate(b0, s1.message, KEY_B, policy)
    const s3 = receiveAck(s1.record, s2.message, KEY_A)
    const bRecord = receiveRevoke(s2.record, s3.message)
    const aRecord = s3.record
    const next = propose(aRecord, [{ kind: 'pay', amount: 10n }], KEY_A)
    const nextAck = receiveUpdate(bRecord, next.message, KEY_B, policy).message
    const valid = [next.message, nextAck, s3.message, ...samples].map((m) =>
      new TextDecoder().decode(encodeMessage(m)),
    )
    const frozenA = structuredClone(next.record)
    const frozenB = structuredClone(bRecord)

    let seed = 0x2545f491
    const rnd = (n: number) => {
      seed ^= seed << 13
      seed ^= seed >>> 17
      seed ^= seed << 5
      return (seed >>> 0) % n
    }
    const mutate = (s: string): string => {
      const chars = [...s]
      const ops = 1 + rnd(4)
      for (let i = 0; i < ops; i++) {
        const at = rnd(chars.length)
        switch (rnd(5)) {
          case 0:
            chars[at] = String.fromCharCode(32 + rnd(95))
            break
          case 1:
            chars.splice(at, 1 + rnd(8))
            break
          case 2:
            chars.splice(at, 0, ...'"0x00",'.slice(rnd(6)))
            break
          case 3:
            chars[at] = '0123456789abcdef'[rnd(16)] as string
            break
          default:
            chars.splice(at, 0, String(rnd(10)))
        }
      }
      return chars.join('')
    }
    let decoded = 0
    let refused = 0
    for (let i = 0; i < 10_000; i++) {
      const text = mutate(valid[rnd(valid.length)] as string)
      try {
        const m = decodeMessage(text)
        decoded++
        if (m.type === 'update') receiveUpdate(bRecord, m, KEY_B, policy)
        else if (m.type === 'ack') receiveAck(next.record, m, KEY_A)
        else if (m.type === 'revoke') receiveRevoke(bRecord, m)
      } catch (e) {
        if (!(e instanceof L2kitError) || !e.code.startsWith('CHANNEL_')) throw e
        refused++
      }
    }
    expect(refused).toBeGreaterThan(9_000)
    expect(decoded).toBeGreaterThan(0)
    expect(next.record).toEqual(frozenA)
    expect(bRecord).toEqual(frozenB)
    expect(aRecord.state.seq).toBe(1n)
  })
})
