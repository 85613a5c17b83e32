import { beforeAll, describe, expect, it } from 'vitest'
import { loadZkCrypto } from './crypto.ts'
import {
  blockCommitment,
  CHUNK_BYTES,
  closestPackable,
  decodePubdata,
  encodePubdata,
  isPackable,
  MAX_AMOUNT,
  OpType,
  packAmount,
  unpackAmount,
  type ZkOp,
} from './ops.ts'

beforeAll(loadZkCrypto)

describe('packed amounts', () => {
  it('round-trips what it packs and refuses the rest', () => {
    for (const amount of [
      0n,
      1n,
      999n,
      10n ** 9n,
      123_456_789n * 10n ** 7n,
      (1n << 35n) - 1n,
      5n * 10n ** 16n,
    ]) {
      const packed = packAmount(amount)
      expect(packed, String(amount)).toBeDefined()
      expect(unpackAmount(packed as bigint)).toBe(amount)
      expect(packed as bigint).toBeLessThan(1n << 40n)
    }
    expect(isPackable((1n << 35n) + 1n)).toBe(false) // 36 significant bits, no trailing zero
    expect(isPackable(MAX_AMOUNT + 1n)).toBe(false)
    expect(isPackable(-1n)).toBe(false)
  })

  it('rounds down to the closest packable amount', () => {
    const amount = 123_456_789_012_345n
    const rounded = closestPackable(amount)
    expect(isPackable(rounded)).toBe(true)
    expect(rounded).toBeLessThanOrEqual(amount)
    expect(amount - rounded).toBeLessThan(100_000n)
  })
})

describe('pubdata', () => {
  const ops: ZkOp[] = [
    { type: OpType.deposit, account: 3, token: 1, amount: 77n, owner: 0xabcn, pkHash: 5n },
    { type: OpType.transfer, from: 3, to: 9, token: 1, amount: 70n, nonce: 0 },
    {
      type: OpType.transferToNew,
      from: 3,
      to: 10,
      token: 0,
      amount: 10n ** 12n,
      nonce: 1,
      toAddress: (1n << 159n) | 7n,
    },
    { type: OpType.withdraw, from: 9, token: 1, amount: 12_345n, nonce: 0, toAddress: 0x1234n },
    { type: OpType.fullExit, account: 9, token: 1, requester: 0x99n, amount: 58n },
    { type: OpType.changePubKey, account: 3, requester: 0xabcn, pkHash: 11n },
  ]

  it('is 10 bytes per chunk, 10 per transfer, and decodes back', () => {
    const pubdata = encodePubdata(ops, 12)
    expect(pubdata.length).toBe(12 * CHUNK_BYTES)
    expect(encodePubdata([ops[1] as ZkOp], 1).length).toBe(10)
    const decoded = decodePubdata(pubdata)
    expect(decoded.map((o) => o.type)).toEqual([1, 2, 3, 4, 5, 6, 0, 0])
    expect(decoded[2]).toEqual({
      type: 3,
      from: 3,
      to: 10,
      token: 0,
      amount: 10n ** 12n,
      toAddress: (1n << 159n) | 7n,
    })
    expect(decoded[3]).toEqual({ type: 4, from: 9, token: 1, amount: 12_345n, toAddress: 0x1234n })
    expect(decoded[4]).toEqual({ type: 5, account: 9, token: 1, amount: 58n })
  })

  it('refuses malformed pubdata with a typed error', () => {
    const bad = (bytes: Uint8Array) => () => decodePubdata(bytes)
    expect(bad(new Uint8Array(15))).toThrow(expect.objectContaining({ code: 'ZK_MALFORMED_PUBDATA' }))
    const unknownType = new Uint8Array(10)
    unknownType[0] = 7 << 5
    expect(bad(unknownType)).toThrow(/unknown operation type 7/)
    const dirtyNoop = new Uint8Array(10)
    dirtyNoop[9] = 1
    expect(bad(dirtyNoop)).toThrow(/NOOP chunk must be all zeros/)
    const truncated = encodePubdata([ops[3] as ZkOp], 3).slice(0, 20)
    expect(bad(truncated)).toThrow(/runs past the block/)
    const badToken = encodePubdata([ops[0] as ZkOp], 1)
    badToken[2] = (badToken[2] as number) | 0x04 // token bit 2 → token 5
    expect(bad(badToken)).toThrow(/token/)
    expect(() => encodePubdata(ops, 5)).toThrow(expect.objectContaining({ code: 'ZK_BLOCK_FULL' }))
  })

  it('commits to roots, the priority chain and the bytes', () => {
    const pubdata = encodePubdata(ops, 12)
    const c = blockCommitment(1n, 2n, 3n, 4n, pubdata)
    expect(c).toBeLessThan(1n << 253n)
    expect(blockCommitment(1n, 2n, 3n, 5n, pubdata)).not.toBe(c)
    const flipped = pubdata.slice()
    flipped[40] = (flipped[40] as number) ^ 1
    expect(blockCommitment(1n, 2n, 3n, 4n, flipped)).not.toBe(c)
  })
})
