import { describe, expect, it } from 'vitest'
import { bytesToHex } from '../../../src/core/bytes.ts'
import { isL2kitError } from '../../../src/core/errors.ts'
import { SECP256K1_HALF_N } from '../../../src/core/signature.ts'
import type { Address, Batch, L2Operation, L2Tx, TxFees } from '../../../src/core/types.ts'
import { BATCH_CODEC_VERSION, decodeBatch, encodeBatch } from './batchCodec.ts'

function rng(seed: number) {
  let s = seed >>> 0
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number) => Math.floor(next() * n)
  const big = (bits: number) => {
    let v = 0n
    for (let i = 0; i < bits; i += 16) v = (v << 16n) | BigInt(int(65536))
    return v & ((1n << BigInt(bits)) - 1n)
  }
  return { next, int, big }
}

function addressOf(i: number): Address {
  return `0x${(0xa0000000 + i).toString(16).padStart(40, '0')}` as Address
}

/** A state where accounts 0..known-1 exist (index i <-> addressOf(i)). */
function stateWith(known: number) {
  return {
    indexOf: (a: Address) => {
      const i = Number.parseInt(a.slice(2), 16) - 0xa0000000
      return i >= 0 && i < known && a === addressOf(i) ? i : undefined
    },
    addressAt: (i: number) => (i >= 0 && i < known ? addressOf(i) : undefined),
  }
}

function randomBatch(seed: number, opts: { blocks: number; txsPerBlock: number; known: number }): Batch {
  const r = rng(seed)
  const amount = () => {
    const choice = r.int(4)
    if (choice === 0) return 0n
    if (choice === 1) return BigInt(1 + r.int(999)) * 10n ** BigInt(r.int(30))
    if (choice === 2) return (r.big(64) | 1n) * 10n ** BigInt(r.int(58))
    return r.big(40)
  }
  const fees = (): TxFees =>
    r.next() < 0.5
      ? { type: 'legacy', gasPrice: [0n, 1_000_000_000n, r.big(256), r.big(40)][r.int(4)] as bigint }
      : {
          type: 'eip1559',
          maxFeePerGas: [2_000_000n, r.big(256)][r.int(2)] as bigint,
          maxPriorityFeePerGas: r.big(30),
        }
  const recipient = () =>
    r.next() < 0.7 ? addressOf(r.int(opts.known + 20)) : addressOf(10_000_000 + r.int(1e6))
  const op = (): L2Operation => {
    const k = r.int(4)
    const tokenIndex = 1 + r.int(255)
    if (k === 0) return { kind: 'ethTransfer', to: recipient(), amount: amount() }
    if (k === 1) return { kind: 'tokenTransfer', tokenIndex, to: recipient(), amount: amount() }
    if (k === 2) return { kind: 'withdrawEth', recipient: recipient(), amount: amount() }
    return { kind: 'withdrawToken', tokenIndex, recipient: recipient(), amount: amount() }
  }
  const tx = (): L2Tx => ({
    nonce: [0n, BigInt(r.int(1000)), 2n ** 64n - 1n][r.int(3)] as bigint,
    gasLimit: [21_000n, 52_000n, 2n ** 64n - 1n, 0n][r.int(4)] as bigint,
    fees: fees(),
    op: op(),
    signature: {
      r: r.big(256),
      s: r.next() < 0.9 ? r.big(255) % SECP256K1_HALF_N : r.big(256),
      yParity: r.int(2) as 0 | 1,
    },
  })
  let t = 1_700_000_000 + r.int(1000)
  let d = BigInt(r.int(100))
  const blocks = Array.from({ length: opts.blocks }, () => {
    t += r.int(3)
    d += BigInt(r.int(3))
    return {
      timestamp: t,
      depositCountAfter: d,
      txs: Array.from({ length: r.int(opts.txsPerBlock + 1) }, tx),
    }
  })
  return { firstBlockNumber: BigInt(r.int(1_000_000)), blocks }
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    return isL2kitError(error) ? error.code : `non-l2kit: ${String(error)}`
  }
  return undefined
}

describe('batch codec', () => {
  it('round-trips random batches exactly (batch -> bytes -> batch -> same bytes)', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const batch = randomBatch(seed, {
        blocks: 1 + (seed % 7),
        txsPerBlock: seed % 3 === 0 ? 0 : 40,
        known: 50,
      })
      const st = stateWith(50)
      const bytes = encodeBatch(batch, st)
      expect(bytes[0]).toBe(BATCH_CODEC_VERSION)
      const decoded = decodeBatch(bytes, st)
      expect(decoded).toEqual(batch)
      expect(bytesToHex(encodeBatch(decoded, st))).toBe(bytesToHex(bytes))
    }
  })

  it('writes known recipients as indices and new ones as 20 bytes', () => {
    const tx = (to: Address): L2Tx => ({
      nonce: 0n,
      gasLimit: 21_000n,
      fees: { type: 'legacy', gasPrice: 1n },
      op: { kind: 'ethTransfer', to, amount: 1n },
      signature: { r: 1n, s: 1n, yParity: 0 },
    })
    const batch = (to: Address): Batch => ({
      firstBlockNumber: 1n,
      blocks: [{ timestamp: 1, depositCountAfter: 0n, txs: [tx(to)] }],
    })
    const known = encodeBatch(batch(addressOf(3)), stateWith(10))
    const fresh = encodeBatch(batch(addressOf(30)), stateWith(10))
    expect(fresh.length - known.length).toBe(20)
    // A recipient that became known only during the batch is still written in full: the decoder
    // resolves indices against the state at the start of the batch.
    expect(decodeBatch(fresh, stateWith(10))).toEqual(batch(addressOf(30)))
    expect(codeOf(() => decodeBatch(known, stateWith(3)))).toBe('INVALID_BATCH')
  })

  it('normalizes recipient case to lowercase', () => {
    const upper = '0xABCDEF0000000000000000000000000000000001' as Address
    const b: Batch = {
      firstBlockNumber: 0n,
      blocks: [
        {
          timestamp: 0,
          depositCountAfter: 0n,
          txs: [
            {
              nonce: 0n,
              gasLimit: 1n,
              fees: { type: 'legacy', gasPrice: 1n },
              op: { kind: 'ethTransfer', to: upper, amount: 5n },
              signature: { r: 1n, s: 2n, yParity: 1 },
            },
          ],
        },
      ],
    }
    const out = decodeBatch(encodeBatch(b, stateWith(0)), stateWith(0))
    expect(out.blocks[0]?.txs[0]?.op).toEqual({ kind: 'ethTransfer', to: upper.toLowerCase(), amount: 5n })
  })

  it('refuses to encode batches it cannot represent', () => {
    const st = stateWith(0)
    const good = randomBatch(3, { blocks: 2, txsPerBlock: 3, known: 0 })
    expect(codeOf(() => encodeBatch({ firstBlockNumber: 0n, blocks: [] }, st))).toBe('INVALID_BATCH')
    const b0 = good.blocks[0]
    const b1 = good.blocks[1]
    if (b0 === undefined || b1 === undefined) throw new Error('fixture')
    expect(
      codeOf(() => encodeBatch({ ...good, blocks: [b0, { ...b1, timestamp: b0.timestamp - 1 }] }, st)),
    ).toBe('INVALID_BATCH')
    expect(
      codeOf(() =>
        encodeBatch({ ...good, blocks: [b0, { ...b1, depositCountAfter: b0.depositCountAfter - 1n }] }, st),
      ),
    ).toBe('INVALID_BATCH')
    const tx: L2Tx = {
      nonce: 0n,
      gasLimit: 1n,
      fees: { type: 'legacy', gasPrice: 1n },
      op: { kind: 'ethTransfer', to: addressOf(1), amount: 123456789012345678901n },
      signature: { r: 1n, s: 2n, yParity: 1 },
    }
    const withTx = (t: L2Tx): Batch => ({
      firstBlockNumber: 0n,
      blocks: [{ timestamp: 0, depositCountAfter: 0n, txs: [t] }],
    })
    expect(codeOf(() => encodeBatch(withTx(tx), st))).toBe('AMOUNT_NOT_PACKABLE')
    expect(
      codeOf(() => encodeBatch(withTx({ ...tx, op: { ...tx.op, amount: 1n }, nonce: 2n ** 64n }), st)),
    ).toBe('INVALID_BATCH')
    expect(
      codeOf(() =>
        encodeBatch(
          withTx({ ...tx, op: { kind: 'tokenTransfer', tokenIndex: 0, to: addressOf(1), amount: 1n } }),
          st,
        ),
      ),
    ).toBe('INVALID_BATCH')
  })

  it('rejects specific malformed encodings as INVALID_BATCH', () => {
    const st = stateWith(50)
    const batch = randomBatch(7, { blocks: 2, txsPerBlock: 5, known: 50 })
    const bytes = encodeBatch(batch, st)
    const cases: [string, Uint8Array][] = [
      ['empty', new Uint8Array()],
      ['unknown version', Uint8Array.from([2, ...bytes.subarray(1)])],
      ['trailing byte', Uint8Array.from([...bytes, 0])],
      ['zero blocks', Uint8Array.from([1, 0, 0])],
      ['huge block count', Uint8Array.from([1, 0, 0xff, 0xff, 0x03])],
      ['huge tx count', Uint8Array.from([1, 0, 1, 0, 0, 0xff, 0xff, 0x0f])],
      ['non-minimal varint', Uint8Array.from([1, 0x80, 0x00, ...bytes.subarray(2)])],
    ]
    for (const [why, data] of cases)
      expect(
        codeOf(() => decodeBatch(data, st)),
        why,
      ).toBe('INVALID_BATCH')
    expect(codeOf(() => decodeBatch(bytes, { ...st, maxTxs: 3 }))).toBe('INVALID_BATCH')
    expect(codeOf(() => decodeBatch(bytes, { ...st, maxBlocks: 1 }))).toBe('INVALID_BATCH')
  })

  it('rejects a non-canonical amount and non-zero padding bits', () => {
    const tx: L2Tx = {
      nonce: 5n,
      gasLimit: 21_000n,
      fees: { type: 'legacy', gasPrice: 7n },
      op: { kind: 'ethTransfer', to: addressOf(1), amount: 3n },
      signature: { r: 9n, s: 9n, yParity: 0 },
    }
    const b: Batch = { firstBlockNumber: 0n, blocks: [{ timestamp: 0, depositCountAfter: 0n, txs: [tx] }] }
    const st = stateWith(5)
    const bytes = encodeBatch(b, st)
    // Tail: ... yParityBits(1) nonce(1) ref(1) exponent(1) mantissa(1) r,s(64).
    const tail = bytes.length - 64
    expect(bytes[tail - 1]).toBe(3)
    expect(bytes[tail - 2]).toBe(0)
    const nonCanonical = bytes.slice()
    nonCanonical[tail - 1] = 30 // 30 * 10^0: mantissa ending in zero
    expect(codeOf(() => decodeBatch(nonCanonical, st))).toBe('INVALID_BATCH')
    const paddingBits = bytes.slice()
    paddingBits[tail - 5] = 0x02 // yParity bit of a tx that does not exist
    expect(codeOf(() => decodeBatch(paddingBits, st))).toBe('INVALID_BATCH')
    expect(decodeBatch(bytes, st)).toEqual(b)
  })

  it('never throws anything but INVALID_BATCH on random bytes', () => {
    const r = rng(99)
    const st = stateWith(100)
    for (let i = 0; i < 5000; i++) {
      const len = r.int(i < 2500 ? 40 : 600)
      const data = Uint8Array.from({ length: len }, () => r.int(256))
      if (i % 2 === 0 && len > 0) data[0] = 1 // get past the version byte half the time
      const c = codeOf(() => decodeBatch(data, st))
      if (c !== undefined) expect(c).toBe('INVALID_BATCH')
    }
  })

  it('never throws anything but INVALID_BATCH on truncated or mutated valid batches', () => {
    const r = rng(7)
    const st = stateWith(50)
    let accepted = 0
    for (let seed = 1; seed <= 6; seed++) {
      const bytes = encodeBatch(randomBatch(seed, { blocks: 3, txsPerBlock: 6, known: 50 }), st)
      for (let len = 0; len < bytes.length; len++) {
        expect(codeOf(() => decodeBatch(bytes.subarray(0, len), st))).toBe('INVALID_BATCH')
      }
      for (let i = 0; i < 800; i++) {
        const m = bytes.slice()
        const flips = 1 + r.int(4)
        for (let f = 0; f < flips; f++) m[r.int(m.length)] = r.int(256)
        let decoded: Batch
        try {
          decoded = decodeBatch(m, st)
        } catch (error) {
          expect(isL2kitError(error, 'INVALID_BATCH'), String(error)).toBe(true)
          continue
        }
        accepted++
        // Whatever decodes is a well-formed batch: it re-encodes and decodes to the same thing.
        expect(decodeBatch(encodeBatch(decoded, st), st)).toEqual(decoded)
      }
    }
    expect(accepted).toBeGreaterThan(0)
  })

  it('lets errors of the state lookup through unchanged', () => {
    const st = stateWith(50)
    const tx: L2Tx = {
      nonce: 0n,
      gasLimit: 1n,
      fees: { type: 'legacy', gasPrice: 1n },
      op: { kind: 'ethTransfer', to: addressOf(3), amount: 1n },
      signature: { r: 1n, s: 2n, yParity: 1 },
    }
    const bytes = encodeBatch(
      { firstBlockNumber: 0n, blocks: [{ timestamp: 0, depositCountAfter: 0n, txs: [tx] }] },
      st,
    )
    const failing = {
      addressAt: () => {
        throw new Error('store offline')
      },
    }
    expect(() => decodeBatch(bytes, failing)).toThrow('store offline')
  })
})
