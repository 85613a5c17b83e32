import { describe, expect, it } from 'vitest'
import { loadAccounts, makeTransfers } from '../../bench/loadgen.ts'
import { encodeBatch } from './batchCodec.ts'
import {
  BATCH_CODEC_V2_VERSION,
  type BatchHeaderV2,
  blockEntryOffset,
  dataLengthV2,
  decodeBatchHeaderV2,
  decodeBatchV2,
  decodeBlockEntryV2,
  decodeNewAddressV2,
  decodeProfileV2,
  decodeTxRowV2,
  encodeBatchV2,
  newAddressOffset,
  parseTxRowV2,
  profileOffset,
  txRowOffset,
  V2_ADDRESS_BYTES,
  V2_BLOCK_BYTES,
  V2_PAYLOAD_PREFIX_BYTES,
  V2_PROFILE_BYTES,
  V2_ROW_BYTES,
  V2_UNIT_BYTES,
} from './batchCodecV2.ts'
import { bytesToHex } from './bytes.ts'
import { compressBatchData } from './compression.ts'
import { isL2kitError } from './errors.ts'
import { decodeRawTransaction } from './l2tx.ts'
import { SECP256K1_HALF_N } from './signature.ts'
import type { Address, Batch, L2Operation, L2Tx, TxFees } from './types.ts'

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
          maxPriorityFeePerGas: [0n, r.big(30)][r.int(2)] as bigint,
        }
  const recipient = () =>
    r.next() < 0.7 ? addressOf(r.int(opts.known + 20)) : addressOf(10_000_000 + r.int(30))
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

/** Payload = uint32 length ‖ data, as the blob carries it. */
function payloadOf(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(V2_PAYLOAD_PREFIX_BYTES + data.length)
  new DataView(out.buffer).setUint32(0, data.length)
  out.set(data, V2_PAYLOAD_PREFIX_BYTES)
  return out
}

describe('batch codec v2 (provable)', () => {
  it('round-trips random batches exactly, all op kinds and fee types, on whole field-element units', () => {
    const seenKinds = new Set<string>()
    const seenFees = new Set<string>()
    let known = 0
    let fresh = 0
    for (let seed = 1; seed <= 40; seed++) {
      const batch = randomBatch(seed, {
        blocks: 1 + (seed % 7),
        txsPerBlock: seed % 3 === 0 ? 0 : 30,
        known: 50,
      })
      const st = stateWith(50)
      const bytes = encodeBatchV2(batch, st)
      expect(bytes[0]).toBe(BATCH_CODEC_V2_VERSION)
      expect((bytes.length + V2_PAYLOAD_PREFIX_BYTES) % V2_UNIT_BYTES).toBe(0)
      const decoded = decodeBatchV2(bytes, st)
      expect(decoded).toEqual(batch)
      expect(bytesToHex(encodeBatchV2(decoded, st))).toBe(bytesToHex(bytes))
      for (const b of batch.blocks)
        for (const tx of b.txs) {
          seenKinds.add(tx.op.kind)
          seenFees.add(tx.fees.type)
          const to = tx.op.kind === 'ethTransfer' || tx.op.kind === 'tokenTransfer' ? tx.op.to : undefined
          if (to !== undefined && st.indexOf(to) !== undefined) known++
          else fresh++
        }
    }
    expect(seenKinds.size).toBe(4)
    expect(seenFees.size).toBe(2)
    expect(known).toBeGreaterThan(100)
    expect(fresh).toBeGreaterThan(100)
  })

  it('decodes any single row at txRowOffset to the same tx (what the fraud prover opens)', () => {
    const st = stateWith(50)
    for (let seed = 1; seed <= 10; seed++) {
      const batch = randomBatch(seed * 13, { blocks: 4, txsPerBlock: 20, known: 50 })
      const data = encodeBatchV2(batch, st)
      const payload = payloadOf(data)
      const header: BatchHeaderV2 = decodeBatchHeaderV2(data)
      expect(dataLengthV2(header)).toBe(data.length)
      const slice = (o: number, len: number) => {
        expect(o % V2_UNIT_BYTES).toBe(0) // every record starts on a field element
        return payload.slice(o, o + len)
      }
      const txs = batch.blocks.flatMap((b) => b.txs)
      const newAddressAt = (k: number) =>
        k < header.newAddressCount
          ? decodeNewAddressV2(slice(newAddressOffset(header, k), V2_ADDRESS_BYTES)).address
          : undefined
      for (let j = 0; j < txs.length; j++) {
        const row = slice(txRowOffset(header, j), V2_ROW_BYTES)
        const parsed = parseTxRowV2(row)
        const profile = decodeProfileV2(slice(profileOffset(header, parsed.profileIndex), V2_PROFILE_BYTES))
        expect(profile.firstTx).toBeLessThanOrEqual(j)
        const tx = decodeTxRowV2(row, profile, { addressAt: st.addressAt, newAddressAt })
        expect(tx).toEqual(txs[j])
      }
      // Block entries locate tx j's block with two openings.
      let end = 0
      for (let b = 0; b < header.blockCount; b++) {
        const e = decodeBlockEntryV2(slice(blockEntryOffset(header, b), V2_BLOCK_BYTES))
        end += batch.blocks[b]?.txs.length ?? 0
        expect(e).toEqual({
          timestamp: batch.blocks[b]?.timestamp,
          depositCountAfter: batch.blocks[b]?.depositCountAfter,
          txEnd: end,
        })
      }
    }
  })

  it('writes withdrawals to raw addresses, dedups new addresses and profiles', () => {
    const st = stateWith(10)
    const tx = (op: L2Operation): L2Tx => ({
      nonce: 0n,
      gasLimit: 21_000n,
      fees: { type: 'legacy', gasPrice: 1n },
      op,
      signature: { r: 1n, s: 1n, yParity: 0 },
    })
    const batch: Batch = {
      firstBlockNumber: 1n,
      blocks: [
        {
          timestamp: 1,
          depositCountAfter: 0n,
          txs: [
            tx({ kind: 'ethTransfer', to: addressOf(3), amount: 1n }),
            tx({ kind: 'withdrawEth', recipient: addressOf(3), amount: 1n }),
            tx({ kind: 'ethTransfer', to: addressOf(30), amount: 2n }),
            tx({ kind: 'ethTransfer', to: addressOf(30), amount: 3n }),
          ],
        },
      ],
    }
    const data = encodeBatchV2(batch, st)
    const h = decodeBatchHeaderV2(data)
    expect(h).toEqual({
      firstBlockNumber: 1n,
      blockCount: 1,
      txCount: 4,
      profileCount: 2,
      newAddressCount: 2,
    })
    expect(data.length).toBe(31 * (1 + 1 + 3 * 2 + 3 * 4 + 2) - 4)
    const rows = [0, 1, 2, 3].map((j) =>
      parseTxRowV2(payloadOf(data).slice(txRowOffset(h, j), txRowOffset(h, j) + V2_ROW_BYTES)),
    )
    expect(rows.map((r) => [r.recipientIsNew, r.recipientIndex])).toEqual([
      [false, 3],
      [true, 0],
      [true, 1],
      [true, 1],
    ])
    expect(decodeBatchV2(data, st)).toEqual(batch)
    // A known index the start state lacks is invalid.
    expect(codeOf(() => decodeBatchV2(data, stateWith(3)))).toBe('INVALID_BATCH')
    // A transfer to a new address that is in fact known is not canonical: rejected when indexOf is given.
    expect(codeOf(() => decodeBatchV2(data, stateWith(40)))).toBe('INVALID_BATCH')
    expect(decodeBatchV2(data, { addressAt: stateWith(40).addressAt })).toEqual(batch)
    // ... but a withdrawal to a known address is always a new address.
    const w = encodeBatchV2(
      { ...batch, blocks: [{ ...(batch.blocks[0] as Batch['blocks'][0]), txs: [] }] },
      st,
    )
    expect(decodeBatchV2(w, st).blocks[0]?.txs).toEqual([])
    // A withdrawal row that claims a known index is rejected.
    const bad = data.slice()
    const o = txRowOffset(h, 1) - V2_PAYLOAD_PREFIX_BYTES
    bad[o + 2] = 0
    expect(codeOf(() => decodeBatchV2(bad, st))).toBe('INVALID_BATCH')
    // ... and so is the single row, given its profile.
    const badRow = payloadOf(bad).slice(txRowOffset(h, 1), txRowOffset(h, 1) + V2_ROW_BYTES)
    const profile = decodeProfileV2(
      payloadOf(bad).slice(profileOffset(h, 1), profileOffset(h, 1) + V2_PROFILE_BYTES),
    )
    expect(profile.kind).toBe('withdrawEth')
    const rowCtx = { addressAt: st.addressAt, newAddressAt: () => addressOf(99) }
    expect(codeOf(() => decodeTxRowV2(badRow, profile, rowCtx))).toBe('INVALID_BATCH')
  })

  it('refuses to encode batches it cannot represent', () => {
    const st = stateWith(0)
    const good = randomBatch(3, { blocks: 2, txsPerBlock: 3, known: 0 })
    const b0 = good.blocks[0]
    const b1 = good.blocks[1]
    if (b0 === undefined || b1 === undefined) throw new Error('fixture')
    expect(codeOf(() => encodeBatchV2({ firstBlockNumber: 0n, blocks: [] }, st))).toBe('INVALID_BATCH')
    expect(
      codeOf(() => encodeBatchV2({ ...good, blocks: [b0, { ...b1, timestamp: b0.timestamp - 1 }] }, st)),
    ).toBe('INVALID_BATCH')
    expect(
      codeOf(() =>
        encodeBatchV2({ ...good, blocks: [b0, { ...b1, depositCountAfter: b0.depositCountAfter - 1n }] }, st),
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
    expect(codeOf(() => encodeBatchV2(withTx(tx), st))).toBe('AMOUNT_NOT_PACKABLE')
    const ok = { ...tx, op: { ...tx.op, amount: 1n } }
    expect(codeOf(() => encodeBatchV2(withTx({ ...ok, nonce: 2n ** 64n }), st))).toBe('INVALID_BATCH')
    expect(codeOf(() => encodeBatchV2(withTx({ ...ok, gasLimit: -1n }), st))).toBe('INVALID_BATCH')
    expect(
      codeOf(() => encodeBatchV2(withTx({ ...ok, fees: { type: 'legacy', gasPrice: 2n ** 256n } }), st)),
    ).toBe('INVALID_BATCH')
    expect(
      codeOf(() =>
        encodeBatchV2(
          withTx({ ...ok, op: { kind: 'tokenTransfer', tokenIndex: 0, to: addressOf(1), amount: 1n } }),
          st,
        ),
      ),
    ).toBe('INVALID_BATCH')
  })

  it('rejects specific non-canonical encodings as INVALID_BATCH', () => {
    const st = stateWith(50)
    const batch = randomBatch(7, { blocks: 3, txsPerBlock: 6, known: 50 })
    const data = encodeBatchV2(batch, st)
    const h = decodeBatchHeaderV2(data)
    expect(h.txCount).toBeGreaterThan(2)
    expect(h.profileCount).toBeGreaterThan(1)
    const P = V2_PAYLOAD_PREFIX_BYTES
    const mutate = (f: (m: Uint8Array) => void) => {
      const m = data.slice()
      f(m)
      return m
    }
    const row0 = txRowOffset(h, 0) - P
    const prof1 = profileOffset(h, 1) - P
    const cases: [string, Uint8Array][] = [
      ['empty', new Uint8Array()],
      ['unknown version', mutate((m) => (m[0] = 1))],
      ['header padding', mutate((m) => (m[26] = 1))],
      ['trailing unit', Uint8Array.from([...data, ...new Uint8Array(31)])],
      ['one byte short', data.subarray(0, data.length - 1)],
      ['zero blocks', mutate((m) => m.set([0, 0, 0, 0], 9))],
      ['block padding', mutate((m) => (m[blockEntryOffset(h, 0) - P + 30] = 1))],
      [
        'last txEnd wrong',
        mutate(
          (m) => (m[blockEntryOffset(h, 2) - P + 19] = (m[blockEntryOffset(h, 2) - P + 19] as number) ^ 1),
        ),
      ],
      ['profile padding', mutate((m) => (m[prof1 + 92] = 1))],
      ['profile shape bits', mutate((m) => (m[prof1] = (m[prof1] as number) | 8))],
      ['profile order', mutate((m) => m.set([0, 0, 0, 0], prof1 + 2))],
      ['row padding', mutate((m) => (m[row0 + 92] = 1))],
      ['row flag bits', mutate((m) => (m[row0 + 2] = (m[row0 + 2] as number) | 4))],
      ['row unknown profile', mutate((m) => m.set([0xff, 0xff], row0))],
      [
        'non-canonical amount',
        mutate((m) => {
          m[row0 + 3] = 0
          m.set([0, 0, 0, 0, 0, 0, 0, 10], row0 + 4)
        }),
      ],
    ]
    for (const [why, d] of cases)
      expect(
        codeOf(() => decodeBatchV2(d, st)),
        why,
      ).toBe('INVALID_BATCH')
    expect(codeOf(() => decodeBatchV2(data, { ...st, maxTxs: h.txCount - 1 }))).toBe('INVALID_BATCH')
    expect(codeOf(() => decodeBatchV2(data, { ...st, maxBlocks: 2 }))).toBe('INVALID_BATCH')
    expect(decodeBatchV2(data, st)).toEqual(batch)
  })

  it('never throws anything but INVALID_BATCH on random bytes', () => {
    const r = rng(99)
    const st = stateWith(100)
    for (let i = 0; i < 3000; i++) {
      // Random lengths, half of them of a valid total length (27 mod 31), with a plausible header.
      let len = r.int(i < 1500 ? 40 : 800)
      if (i % 2 === 1) len = 31 * (1 + r.int(20)) - 4
      const data = Uint8Array.from({ length: len }, () => r.int(256))
      if (i % 2 === 0 && len > 0) data[0] = 2
      if (i % 2 === 1) {
        data.fill(0, 0, 27)
        data[0] = 2
        data[12] = r.int(3) // blockCount
        data[16] = r.int(6) // txCount
        data[18] = r.int(3) // profileCount
        data[22] = r.int(3) // newAddressCount
      }
      const c = codeOf(() => decodeBatchV2(data, st))
      if (c !== undefined) expect(c).toBe('INVALID_BATCH')
    }
  })

  it('mutated valid batches either decode to a batch that re-encodes to the same bytes, or are INVALID_BATCH', () => {
    const r = rng(7)
    const st = stateWith(50)
    let accepted = 0
    for (let seed = 1; seed <= 5; seed++) {
      const data = encodeBatchV2(randomBatch(seed, { blocks: 3, txsPerBlock: 5, known: 50 }), st)
      for (let len = 0; len < data.length; len += 7)
        expect(codeOf(() => decodeBatchV2(data.subarray(0, len), st))).toBe('INVALID_BATCH')
      for (let i = 0; i < 1000; i++) {
        const m = data.slice()
        m[r.int(m.length)] = r.int(256)
        let decoded: Batch
        try {
          decoded = decodeBatchV2(m, st)
        } catch (error) {
          expect(isL2kitError(error, 'INVALID_BATCH'), String(error)).toBe(true)
          continue
        }
        accepted++
        expect(bytesToHex(encodeBatchV2(decoded, st))).toBe(bytesToHex(m))
      }
    }
    expect(accepted).toBeGreaterThan(0)
  })

  it('every single-byte change of a small valid batch is re-encoded identically or INVALID_BATCH', () => {
    const st = stateWith(50)
    const batch = randomBatch(11, { blocks: 3, txsPerBlock: 4, known: 50 })
    const data = encodeBatchV2(batch, st)
    expect(decodeBatchHeaderV2(data).txCount).toBeGreaterThan(3)
    let accepted = 0
    for (let i = 0; i < data.length; i++) {
      const orig = data[i] as number
      for (const v of new Set([0, 1, 0xff, orig ^ 0x80, orig ^ 1])) {
        if (v === orig) continue
        const m = data.slice()
        m[i] = v
        let decoded: Batch
        try {
          decoded = decodeBatchV2(m, st)
        } catch (error) {
          expect(isL2kitError(error, 'INVALID_BATCH'), String(error)).toBe(true)
          continue
        }
        accepted++
        expect(bytesToHex(encodeBatchV2(decoded, st)), `byte ${i} = ${v}`).toBe(bytesToHex(m))
      }
    }
    expect(accepted).toBeGreaterThan(0)
  })

  it('lets errors of the state lookup through unchanged', () => {
    const tx: L2Tx = {
      nonce: 0n,
      gasLimit: 1n,
      fees: { type: 'legacy', gasPrice: 1n },
      op: { kind: 'ethTransfer', to: addressOf(3), amount: 1n },
      signature: { r: 1n, s: 2n, yParity: 1 },
    }
    const data = encodeBatchV2(
      { firstBlockNumber: 0n, blocks: [{ timestamp: 0, depositCountAfter: 0n, txs: [tx] }] },
      stateWith(50),
    )
    const failing = {
      addressAt: () => {
        throw new Error('store offline')
      },
    }
    expect(() => decodeBatchV2(data, failing)).toThrow('store offline')
  })

  it('size report: ~2,000 real signed transfers', () => {
    const chainId = 42069n
    const accounts = loadAccounts(500)
    const raws = makeTransfers({ accounts, count: 2000, chainId, baseFee: 1_000_000n })
    const txs = raws.map((raw) => decodeRawTransaction(raw, { chainId }).tx)
    // All accounts known at the start of the batch (the steady state); 2 s blocks of 100 txs.
    const index = new Map(accounts.map((a, i) => [a.address.toLowerCase(), i]))
    const st = {
      indexOf: (a: Address) => index.get(a),
      addressAt: (i: number) => accounts[i]?.address.toLowerCase() as Address | undefined,
    }
    const blocks = Array.from({ length: 20 }, (_, b) => ({
      timestamp: 1_700_000_000 + 2 * b,
      depositCountAfter: 5n,
      txs: txs.slice(b * 100, b * 100 + 100),
    }))
    const batch: Batch = { firstBlockNumber: 1000n, blocks }
    const v2 = encodeBatchV2(batch, st)
    expect(decodeBatchV2(v2, st)).toEqual(batch)
    const v1raw = encodeBatch(batch, st)
    const v1 = compressBatchData(v1raw)
    const per = (n: number) => (n / txs.length).toFixed(2)
    console.log(
      `batch v2 size: ${txs.length} transfers in ${blocks.length} blocks, ${v2.length} bytes = ${per(v2.length)} B/transfer ` +
        `(${((v2.length + 4) / 31).toFixed(0)} field elements; v1 raw ${per(v1raw.length)}, v1 brotli ${per(v1.length)})`,
    )
    expect(v2.length / txs.length).toBeLessThan(94)
  })
})
