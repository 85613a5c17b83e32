import { brotliCompressSync, constants as zlibConstants } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { bytesToHex } from '../../../src/core/bytes.ts'
import { isL2kitError } from '../../../src/core/errors.ts'
import { keccak256 } from '../../../src/core/hash.ts'
import { recoverSender, signingHashBytes } from '../../../src/core/l2tx.ts'
import { privateKeyToAddress, signHash } from '../../../src/core/signature.ts'
import type { Address, Batch, L2Operation, L2Tx, TxFees } from '../../../src/core/types.ts'
import { decodeBatch, encodeBatch } from './batchCodec.ts'
import { compressBatchData, decompressBatchData } from './compression.ts'

const CHAIN_ID = 901n

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
  return { next, int, pick: <T>(items: readonly T[]) => items[int(items.length)] as T }
}

/**
 * A realistic batch: `txs` wallet-signed transactions from `accounts` senders. 60% ETH transfers, 35% ERC-20
 * transfers (one token dominant), 5% withdrawals; 80% EIP-1559 with the fee values common wallets derive from a
 * constant L2 base fee, 20% legacy; wallet gas limits; ~95% of recipients already known (a few popular ones),
 * amounts with 1..8 significant digits; nonces continuing per sender.
 */
function realisticBatch(seed: number, txs: number, accounts: number) {
  const r = rng(seed)
  const keys = Array.from({ length: accounts }, (_, i) =>
    keccak256(new TextEncoder().encode(`wallet ${seed} ${i}`)),
  )
  const senders = keys.map((k) => privateKeyToAddress(k))
  const known: Address[] = [...senders]
  for (let i = 0; i < 100; i++)
    known.push(bytesToHex(keccak256(Uint8Array.of(seed, i))).slice(0, 42) as Address)
  const index = new Map<string, number>(known.map((a, i) => [a, i + 1])) // index 0 is the fee vault
  const popular = known.slice(0, 20)
  const nonces = senders.map(() => (r.next() < 0.5 ? r.int(20) : r.int(300)))
  const base = 1_000_000n
  const fees: [TxFees, number][] = [
    [{ type: 'eip1559', maxFeePerGas: base * 2n + 1_000_000n, maxPriorityFeePerGas: 1_000_000n }, 0.35],
    [
      { type: 'eip1559', maxFeePerGas: (base * 12n) / 10n + 1_000_000n, maxPriorityFeePerGas: 1_000_000n },
      0.25,
    ],
    [
      { type: 'eip1559', maxFeePerGas: base * 2n + 1_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n },
      0.1,
    ],
    [{ type: 'eip1559', maxFeePerGas: base * 3n + 1_500_000n, maxPriorityFeePerGas: 1_500_000n }, 0.1],
    [{ type: 'legacy', gasPrice: base + 1_000_000n }, 0.12],
    [{ type: 'legacy', gasPrice: ((base + 1_000_000n) * 11n) / 10n }, 0.08],
  ]
  const pickFees = (): TxFees => {
    let x = r.next()
    for (const [f, w] of fees) {
      x -= w
      if (x < 0) return f
    }
    return fees[0]?.[0] as TxFees
  }
  const recipient = (): Address => {
    const x = r.next()
    if (x < 0.05)
      return bytesToHex(keccak256(Uint8Array.of(r.int(256), r.int(256), r.int(256), 7))).slice(
        0,
        42,
      ) as Address
    return x < 0.35 ? r.pick(popular) : r.pick(known)
  }
  const amount = (decimals: number): bigint => {
    const x = r.next()
    const digits = x < 0.5 ? 1 + r.int(2) : x < 0.8 ? 3 + r.int(2) : 6 + r.int(3)
    let m = BigInt(1 + r.int(9))
    for (let i = 1; i < digits; i++) m = m * 10n + BigInt(r.int(10))
    const e = decimals + r.int(4) - digits - 1
    return e >= 0 ? m * 10n ** BigInt(e) : m
  }
  const all: L2Tx[] = []
  for (let i = 0; i < txs; i++) {
    const s = r.int(accounts)
    const k = r.next()
    const tokenIndex = r.next() < 0.6 ? 1 : 1 + r.int(5)
    const decimals = tokenIndex === 1 ? 6 : 18
    let op: L2Operation
    let gasLimit: bigint
    if (k < 0.6) {
      op = { kind: 'ethTransfer', to: recipient(), amount: amount(18) }
      gasLimit = 21_000n
    } else if (k < 0.95) {
      op = { kind: 'tokenTransfer', tokenIndex, to: recipient(), amount: amount(decimals) }
      gasLimit = r.next() < 0.7 ? 52_000n : 78_000n
    } else if (k < 0.98) {
      op = { kind: 'withdrawEth', recipient: senders[s] as Address, amount: amount(18) }
      gasLimit = 60_000n
    } else {
      op = { kind: 'withdrawToken', tokenIndex, recipient: senders[s] as Address, amount: amount(decimals) }
      gasLimit = 70_000n
    }
    const nonce = BigInt(nonces[s] as number)
    nonces[s] = (nonces[s] as number) + 1
    const unsigned: L2Tx = { nonce, gasLimit, fees: pickFees(), op, signature: { r: 1n, s: 1n, yParity: 0 } }
    all.push({
      ...unsigned,
      signature: signHash(signingHashBytes(unsigned, CHAIN_ID), keys[s] as Uint8Array),
    })
  }
  const blocks: Batch['blocks'] = []
  const perBlock = Math.ceil(txs / 20)
  let deposits = 1_000n
  for (let b = 0; b * perBlock < txs; b++) {
    deposits += BigInt(r.int(3))
    blocks.push({
      timestamp: 1_700_000_000 + 2 * b,
      depositCountAfter: deposits,
      txs: all.slice(b * perBlock, (b + 1) * perBlock),
    })
  }
  return {
    batch: { firstBlockNumber: 777n, blocks } satisfies Batch,
    senders: all.map((_, i) => i),
    indexOf: (a: Address) => index.get(a),
    addressAt: (i: number) => known[i - 1],
  }
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    return isL2kitError(error) ? error.code : `non-l2kit: ${String(error)}`
  }
  return undefined
}

describe('batch data compression', () => {
  it('round-trips arbitrary bytes, prefixed with version 0x01', () => {
    for (const raw of [new Uint8Array(), Uint8Array.of(1, 2, 3), new Uint8Array(100_000).fill(7)]) {
      const data = compressBatchData(raw)
      expect(data[0]).toBe(0x01)
      expect(bytesToHex(decompressBatchData(data))).toBe(bytesToHex(raw))
    }
  })

  it('measures L1 bytes per wallet-signed transfer for realistic 2,000-3,000-tx batches (target <= 80)', () => {
    const rows: string[] = []
    for (const [seed, n] of [
      [1, 2000],
      [2, 2000],
      [3, 2000],
      [4, 3000],
    ] as const) {
      const { batch, indexOf, addressAt } = realisticBatch(seed, n, 500)
      const raw = encodeBatch(batch, { indexOf })
      const data = compressBatchData(raw)
      const back = decodeBatch(decompressBatchData(data), { addressAt })
      expect(back).toEqual(batch)
      rows.push(
        `${n} txs, seed ${seed}: raw ${(raw.length / n).toFixed(2)} B/tx, compressed ${(data.length / n).toFixed(2)} B/tx ` +
          `(signatures 64, everything else ${((data.length - 64 * n) / n).toFixed(2)})`,
      )
      expect(data.length / n).toBeLessThanOrEqual(80)
      // brotli must compress the columns, not store the whole batch raw (see compression.ts).
      expect(data.length).toBeLessThan(raw.length - n)
    }
    console.log(`[compression] realistic batches, 500 accounts:\n  ${rows.join('\n  ')}`)
  })

  it('keeps every sender recoverable through encode -> compress -> decompress -> decode', () => {
    const { batch, indexOf, addressAt } = realisticBatch(9, 200, 50)
    const back = decodeBatch(decompressBatchData(compressBatchData(encodeBatch(batch, { indexOf }))), {
      addressAt,
    })
    const original = batch.blocks.flatMap((b) => b.txs)
    const decoded = back.blocks.flatMap((b) => b.txs)
    for (let i = 0; i < original.length; i++) {
      expect(recoverSender(decoded[i] as L2Tx, CHAIN_ID)).toBe(recoverSender(original[i] as L2Tx, CHAIN_ID))
    }
  })

  it('rejects unknown versions, empty, corrupt, truncated and trailing data as INVALID_BATCH', () => {
    const data = compressBatchData(new TextEncoder().encode('l2kit batch '.repeat(100)))
    const cases: [string, Uint8Array][] = [
      ['empty', new Uint8Array()],
      ['version only', Uint8Array.of(1)],
      ['unknown version', Uint8Array.from([2, ...data.subarray(1)])],
      ['truncated', data.subarray(0, data.length - 1)],
      ['trailing bytes', Uint8Array.from([...data, 0])],
      ['garbage', Uint8Array.of(1, 0xff, 0xff, 0xff, 0xff)],
    ]
    for (const [why, bytes] of cases)
      expect(
        codeOf(() => decompressBatchData(bytes)),
        why,
      ).toBe('INVALID_BATCH')
  })

  it('stops a zip bomb at the output cap', () => {
    const bomb = brotliCompressSync(new Uint8Array(64 * 1024 * 1024), {
      params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 5 },
    })
    const data = Uint8Array.from([1, ...bomb])
    expect(data.length).toBeLessThan(100_000)
    const err = (() => {
      try {
        decompressBatchData(data)
      } catch (e) {
        return e
      }
    })()
    expect(isL2kitError(err, 'INVALID_BATCH')).toBe(true)
    expect((err as Error).message).toContain('more than 16777216 bytes')
    const exact = compressBatchData(new Uint8Array(1000))
    expect(decompressBatchData(exact, 1000).length).toBe(1000)
    expect(codeOf(() => decompressBatchData(exact, 999))).toBe('INVALID_BATCH')
  })

  it('never throws anything but INVALID_BATCH on random data', () => {
    const r = rng(5)
    const valid = compressBatchData(new TextEncoder().encode('some batch bytes '.repeat(50)))
    for (let i = 0; i < 3000; i++) {
      let data: Uint8Array
      if (i % 2 === 0) {
        data = Uint8Array.from({ length: 1 + r.int(200) }, () => r.int(256))
        data[0] = 1
      } else {
        data = valid.slice()
        for (let f = 0; f < 1 + r.int(3); f++) data[1 + r.int(data.length - 1)] = r.int(256)
      }
      const c = codeOf(() => decompressBatchData(data))
      if (c !== undefined) expect(c).toBe('INVALID_BATCH')
    }
  })
})
