// biome-ignore-all lint/style/noNonNullAssertion: tests index data they just built
import { describe, expect, it } from 'vitest'
import { bytesToHex, concatBytes } from '../../core/bytes.ts'
import { isL2kitError } from '../../core/errors.ts'
import { decodeRawTransaction } from '../../core/l2tx.ts'
import { SECP256K1_HALF_N } from '../../core/signature.ts'
import type { Address, Batch, L2Operation, L2Tx, TxFees } from '../../core/types.ts'
import { loadAccounts, signL2Tx } from '../loadgen.ts'
import {
  BATCH_CODEC_V3_VERSION,
  blobPayloadFromData,
  checkBatchV3,
  dataFromBlobPayload,
  dataLengthV3,
  encodeBatchV3,
  encodeBlockEndRowV3,
  encodeDepositRowV3,
  encodeHeaderV3,
  encodeTxRowV3,
  parseRowV3,
  ROW_TYPE,
  rowAtV3,
  rowDataOffsetV3,
  rowPayloadOffsetV3,
  txRowProblemV3,
  V3_HEADER_BYTES,
  V3_MAX_GAS_LIMIT,
  V3_MAX_NONCE,
  V3_ROW_BYTES,
  V3_TX_OFFSETS,
} from './batchCodecV3.ts'

const CHAIN_ID = 901n
const ETHER = 10n ** 18n
const GWEI = 10n ** 9n

const addr = (i: number): Address => `0x${(0xa0000000 + i).toString(16).padStart(40, '0')}` as Address

function tx(op: L2Operation, over: Partial<Omit<L2Tx, 'op'>> = {}): L2Tx {
  return {
    nonce: 7n,
    gasLimit: 100_000n,
    fees: { type: 'eip1559', maxFeePerGas: 3n * GWEI, maxPriorityFeePerGas: GWEI / 2n },
    op,
    signature: { r: 0x1234n, s: SECP256K1_HALF_N - 5n, yParity: 1 },
    ...over,
  }
}

const legacy = (gasPrice = 2n * GWEI): TxFees => ({ type: 'legacy', gasPrice })

/** Every operation kind, both fee types, both parities, field extremes. */
function sampleTxs(): L2Tx[] {
  const [alice, bob] = loadAccounts(2, 'l2kit-v3-codec-') as [
    { address: Address; privateKey: `0x${string}` },
    { address: Address; privateKey: `0x${string}` },
  ]
  const signed = decodeRawTransaction(
    signL2Tx(
      {
        nonce: 3n,
        gasLimit: 21_000n,
        fees: legacy(),
        op: { kind: 'ethTransfer', to: bob.address, amount: ETHER / 3n },
      },
      CHAIN_ID,
      alice.privateKey,
    ),
    { chainId: CHAIN_ID },
  ).tx
  return [
    signed,
    tx({ kind: 'ethTransfer', to: addr(1), amount: 15n * 10n ** 17n }),
    tx({ kind: 'tokenTransfer', tokenIndex: 1, to: addr(2), amount: 123n }, { fees: legacy() }),
    tx({ kind: 'tokenTransfer', tokenIndex: 255, to: addr(3), amount: 0n }),
    tx(
      { kind: 'withdrawEth', recipient: addr(4), amount: ETHER },
      { signature: { r: 1n, s: 2n, yParity: 0 } },
    ),
    tx({ kind: 'withdrawToken', tokenIndex: 9, recipient: addr(5), amount: (1n << 64n) - 1n }),
    tx(
      { kind: 'ethTransfer', to: addr(6), amount: 99_999n * 10n ** 70n },
      {
        nonce: V3_MAX_NONCE,
        gasLimit: V3_MAX_GAS_LIMIT,
        fees: { type: 'eip1559', maxFeePerGas: (1n << 64n) - 1n, maxPriorityFeePerGas: 10n ** 77n },
      },
    ),
    tx({ kind: 'ethTransfer', to: addr(7), amount: 1n }, { nonce: 0n, gasLimit: 0n, fees: legacy(0n) }),
  ]
}

function sampleBatch(): Batch {
  const txs = sampleTxs()
  return {
    firstBlockNumber: 42n,
    blocks: [
      { timestamp: 1_700_000_000, depositCountAfter: 12n, txs: txs.slice(0, 3) },
      { timestamp: 1_700_000_002, depositCountAfter: 12n, txs: [] },
      { timestamp: 1_700_000_002, depositCountAfter: 13n, txs: txs.slice(3) },
      { timestamp: Number.MAX_SAFE_INTEGER, depositCountAfter: 13n, txs: [] },
    ],
  }
}

function setRow(data: Uint8Array, r: number, row: Uint8Array): Uint8Array {
  const copy = data.slice()
  copy.set(row, rowDataOffsetV3(r))
  return copy
}

function noopReason(row: Uint8Array): string {
  const parsed = parseRowV3(row)
  if (parsed.type !== 'noop') throw new Error(`expected a no-op row, got ${parsed.type}`)
  return parsed.reason
}

describe('batch codec v3: layout', () => {
  it('puts every row on a field-element boundary (4 elements per row)', () => {
    expect(V3_HEADER_BYTES).toBe(27)
    expect(V3_ROW_BYTES).toBe(124)
    for (const r of [0, 1, 2, 1000]) {
      expect(rowPayloadOffsetV3(r)).toBe(31 * (1 + 4 * r))
      expect(rowDataOffsetV3(r)).toBe(27 + 124 * r)
    }
    expect(dataLengthV3(5)).toBe(27 + 5 * 124)
  })

  it('writes the header fields at the spec offsets', () => {
    const h = encodeHeaderV3(0x0102030405060708n, 0x0a0b0c0d)
    expect(bytesToHex(h)).toBe(`0x030102030405060708${'0a0b0c0d'}${'00'.repeat(14)}`)
  })

  it('writes a tx row byte for byte as the spec lays it out', () => {
    const t = tx(
      { kind: 'withdrawToken', tokenIndex: 7, recipient: addr(9), amount: 25n * 10n ** 17n },
      {
        nonce: 0x0102030405n,
        gasLimit: 0x0a0b0c0dn,
        fees: { type: 'eip1559', maxFeePerGas: 3n * GWEI, maxPriorityFeePerGas: 12n },
        signature: { r: 0xaan, s: 0xbbn, yParity: 1 },
      },
    )
    const row = encodeTxRowV3(t)
    const expected =
      '0x00' + // tx
      '0f' + // kind 3 | eip1559 (4) | yParity (8)
      '07' + // token
      '0a0b0c0d' + // gas limit
      `09${'0000000000000003'}` + // 3e9 = 3 * 10^9
      `00${'000000000000000c'}` + // 12
      `11${'0000000000000019'}` + // 25 * 10^17
      '0102030405' + // nonce
      addr(9).slice(2) +
      'aa'.padStart(64, '0') +
      'bb'.padStart(64, '0') +
      '00'
    expect(bytesToHex(row)).toBe(expected)
    expect(bytesToHex(encodeBlockEndRowV3(0x1122n))).toBe(`0x02${'0000000000001122'}${'00'.repeat(115)}`)
    expect(bytesToHex(encodeDepositRowV3())).toBe(`0x01${'00'.repeat(123)}`)
  })
})

describe('batch codec v3: round trip', () => {
  it('encodes deposits, txs and block ends in block order and parses every row back', () => {
    const batch = sampleBatch()
    const data = encodeBatchV3(batch, 10n)
    // block 0: 2 deposits (10, 11) + 3 txs + end; block 1: end; block 2: 1 deposit + 5 txs + end; block 3: end
    const rows = 2 + 3 + 1 + 1 + 1 + 5 + 1 + 1
    expect(data.length).toBe(dataLengthV3(rows))
    expect(checkBatchV3(data, 42n)).toEqual({ valid: true, rowCount: rows, firstBlockNumber: 42n })
    const parsed = Array.from({ length: rows }, (_, r) => parseRowV3(rowAtV3(data, r)))
    expect(parsed.map((p) => p.type)).toEqual([
      'deposit',
      'deposit',
      'tx',
      'tx',
      'tx',
      'blockEnd',
      'blockEnd',
      'deposit',
      'tx',
      'tx',
      'tx',
      'tx',
      'tx',
      'blockEnd',
      'blockEnd',
    ])
    const txs = parsed.flatMap((p) => (p.type === 'tx' ? [p.tx] : []))
    expect(txs).toEqual(batch.blocks.flatMap((b) => b.txs))
    const stamps = parsed.flatMap((p) => (p.type === 'blockEnd' ? [p.timestamp] : []))
    expect(stamps).toEqual(batch.blocks.map((b) => BigInt(b.timestamp)))
  })

  it('round-trips a wallet-signed tx to the same raw bytes (same hash and sender)', () => {
    const signed = sampleTxs()[0]!
    const back = parseRowV3(encodeTxRowV3(signed))
    expect(back).toEqual({ type: 'tx', tx: signed })
  })

  it('round-trips random txs', () => {
    let seed = 12345
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0
      return seed % n
    }
    const kinds = ['ethTransfer', 'tokenTransfer', 'withdrawEth', 'withdrawToken'] as const
    for (let i = 0; i < 300; i++) {
      const kind = kinds[rand(4)]!
      const amount = BigInt(rand(1_000_000)) * 10n ** BigInt(rand(40))
      const token = 1 + rand(255)
      const op: L2Operation =
        kind === 'ethTransfer'
          ? { kind, to: addr(rand(1000)), amount }
          : kind === 'tokenTransfer'
            ? { kind, tokenIndex: token, to: addr(rand(1000)), amount }
            : kind === 'withdrawEth'
              ? { kind, recipient: addr(rand(1000)), amount }
              : { kind, tokenIndex: token, recipient: addr(rand(1000)), amount }
      const t = tx(op, {
        nonce: BigInt(rand(1 << 30)) * BigInt(rand(1000)),
        gasLimit: BigInt(rand(1 << 30)),
        fees:
          rand(2) === 0
            ? legacy(BigInt(rand(1 << 30)) * 10n ** BigInt(rand(10)))
            : {
                type: 'eip1559',
                maxFeePerGas: BigInt(rand(1 << 30)) * 10n ** BigInt(rand(10)),
                maxPriorityFeePerGas: BigInt(rand(1 << 20)),
              },
        signature: { r: BigInt(rand(1 << 30)) << 200n, s: BigInt(rand(1 << 30)), yParity: rand(2) as 0 | 1 },
      })
      expect(parseRowV3(encodeTxRowV3(t))).toEqual({ type: 'tx', tx: t })
    }
  })

  it('starts deposit rows at depositCountBefore', () => {
    const data = encodeBatchV3(
      { firstBlockNumber: 1n, blocks: [{ timestamp: 5, depositCountAfter: 3n, txs: [] }] },
      0n,
    )
    expect(checkBatchV3(data, 1n)).toEqual({ valid: true, rowCount: 4, firstBlockNumber: 1n })
    const none = encodeBatchV3(
      { firstBlockNumber: 1n, blocks: [{ timestamp: 5, depositCountAfter: 3n, txs: [] }] },
      3n,
    )
    expect(checkBatchV3(none, 1n)).toEqual({ valid: true, rowCount: 1, firstBlockNumber: 1n })
  })
})

describe('batch codec v3: what the encoder refuses', () => {
  const ok = tx({ kind: 'ethTransfer', to: addr(1), amount: 1n })
  const cases: [string, L2Tx, string][] = [
    ['nonce 2^40', { ...ok, nonce: V3_MAX_NONCE + 1n }, 'NONCE_TOO_LARGE'],
    ['gas limit 2^32', { ...ok, gasLimit: V3_MAX_GAS_LIMIT + 1n }, 'GAS_LIMIT_TOO_LARGE'],
    ['unpackable gas price', { ...ok, fees: legacy((1n << 64n) + 1n) }, 'FEE_NOT_PACKABLE'],
    [
      'unpackable priority fee',
      { ...ok, fees: { type: 'eip1559', maxFeePerGas: 1n, maxPriorityFeePerGas: (1n << 70n) + 1n } },
      'FEE_NOT_PACKABLE',
    ],
    [
      'unpackable amount',
      tx({ kind: 'ethTransfer', to: addr(1), amount: (1n << 64n) + 1n }),
      'AMOUNT_NOT_PACKABLE',
    ],
    [
      'token index 0 on a token kind',
      tx({ kind: 'tokenTransfer', tokenIndex: 0, to: addr(1), amount: 1n }),
      'INVALID_TRANSACTION',
    ],
    [
      'token index 256',
      tx({ kind: 'withdrawToken', tokenIndex: 256, recipient: addr(1), amount: 1n }),
      'INVALID_TRANSACTION',
    ],
  ]
  for (const [name, bad, code] of cases) {
    it(`refuses ${name} with ${code}`, () => {
      expect(txRowProblemV3(bad)?.code).toBe(code)
      expect(() => encodeTxRowV3(bad)).toThrow(expect.objectContaining({ code }))
      expect(() =>
        encodeBatchV3(
          { firstBlockNumber: 1n, blocks: [{ timestamp: 1, depositCountAfter: 0n, txs: [bad] }] },
          0n,
        ),
      ).toThrow(expect.objectContaining({ code }))
    })
  }

  it('accepts the largest values that fit', () => {
    expect(txRowProblemV3({ ...ok, nonce: V3_MAX_NONCE, gasLimit: V3_MAX_GAS_LIMIT })).toBeUndefined()
    expect(txRowProblemV3({ ...ok, fees: legacy((1n << 64n) - 1n) })).toBeUndefined()
  })

  it('refuses an empty batch and a decreasing deposit count', () => {
    const isInvalidBatch = (f: () => unknown) => {
      try {
        f()
      } catch (e) {
        return isL2kitError(e, 'INVALID_BATCH')
      }
      return false
    }
    expect(isInvalidBatch(() => encodeBatchV3({ firstBlockNumber: 1n, blocks: [] }, 0n))).toBe(true)
    expect(
      isInvalidBatch(() =>
        encodeBatchV3(
          { firstBlockNumber: 1n, blocks: [{ timestamp: 1, depositCountAfter: 1n, txs: [] }] },
          2n,
        ),
      ),
    ).toBe(true)
    expect(
      isInvalidBatch(() =>
        encodeBatchV3(
          { firstBlockNumber: 1n, blocks: [{ timestamp: -1, depositCountAfter: 0n, txs: [] }] },
          0n,
        ),
      ),
    ).toBe(true)
  })
})

describe('batch codec v3: malformed rows are no-ops', () => {
  const good = encodeTxRowV3(
    tx({ kind: 'tokenTransfer', tokenIndex: 4, to: addr(1), amount: 5n * 10n ** 18n }, { fees: legacy() }),
  )
  const goodEth = encodeTxRowV3(tx({ kind: 'ethTransfer', to: addr(1), amount: 5n }))
  const mutate = (row: Uint8Array, at: number, value: number): Uint8Array => {
    const copy = row.slice()
    copy[at] = value
    return copy
  }
  const O = V3_TX_OFFSETS

  it('parses the unmodified rows', () => {
    expect(parseRowV3(good).type).toBe('tx')
    expect(parseRowV3(goodEth).type).toBe('tx')
  })

  it('tx: any of flag bits 4-7', () => {
    for (const bit of [0x10, 0x20, 0x40, 0x80])
      expect(noopReason(mutate(good, O.flags, (good[O.flags] as number) | bit))).toMatch(/flag bits 4-7/)
  })

  it('tx: byte 123 not zero', () => {
    expect(noopReason(mutate(good, 123, 1))).toMatch(/byte 123/)
  })

  it('tx: token index out of its kind range', () => {
    expect(noopReason(mutate(good, O.tokenIndex, 0))).toMatch(/token index 0/)
    expect(noopReason(mutate(goodEth, O.tokenIndex, 1))).toMatch(/ethTransfer with token index 1/)
    const withdrawEth = encodeTxRowV3(tx({ kind: 'withdrawEth', recipient: addr(1), amount: 5n }))
    expect(noopReason(mutate(withdrawEth, O.tokenIndex, 255))).toMatch(/withdrawEth with token index 255/)
    const withdrawToken = encodeTxRowV3(
      tx({ kind: 'withdrawToken', tokenIndex: 1, recipient: addr(1), amount: 5n }),
    )
    expect(noopReason(mutate(withdrawToken, O.tokenIndex, 0))).toMatch(/withdrawToken with token index 0/)
    expect(parseRowV3(mutate(withdrawToken, O.tokenIndex, 255)).type).toBe('tx')
  })

  it('tx: non-canonical packed fields (fee0, fee1, amount)', () => {
    // mantissa ending in 0
    const trailingZero = (row: Uint8Array, o: number): Uint8Array => {
      const copy = row.slice()
      copy.fill(0, o, o + 9)
      copy[o] = 1
      copy[o + 8] = 10
      return copy
    }
    expect(noopReason(trailingZero(good, O.fee0))).toMatch(/fee0 .*not canonical/)
    expect(noopReason(trailingZero(goodEth, O.fee1))).toMatch(/fee1 .*not canonical/)
    expect(noopReason(trailingZero(good, O.amount))).toMatch(/not canonical/)
    // zero with a non-zero exponent
    const zeroExp = good.slice()
    zeroExp.fill(0, O.amount, O.amount + 9)
    zeroExp[O.amount] = 3
    expect(noopReason(zeroExp)).toMatch(/zero amount must have exponent 0/)
    // exponent above 77
    expect(noopReason(mutate(good, O.fee0, 78))).toMatch(/exponent 78/)
    // above uint256: 18446744073709551615e77
    const huge = good.slice()
    huge[O.amount] = 77
    huge.fill(0xff, O.amount + 1, O.amount + 9)
    expect(noopReason(huge)).toMatch(/exceeds uint256/)
  })

  it('tx: a legacy row with non-zero fee1 bytes', () => {
    expect(noopReason(mutate(good, O.fee1 + 8, 1))).toMatch(/legacy .*fee1/)
    // the same bytes are a fine priority fee in an EIP-1559 row
    const eip = mutate(good, O.flags, (good[O.flags] as number) | 0x04)
    expect(parseRowV3(mutate(eip, O.fee1 + 8, 1)).type).toBe('tx')
  })

  it('deposit: any non-zero byte after the type', () => {
    for (const at of [1, 60, 123])
      expect(noopReason(mutate(encodeDepositRowV3(), at, 1))).toMatch(/deposit row/)
  })

  it('block end: any non-zero byte in 9..123 (but any u64 timestamp)', () => {
    const end = encodeBlockEndRowV3((1n << 64n) - 1n)
    expect(parseRowV3(end)).toEqual({ type: 'blockEnd', timestamp: (1n << 64n) - 1n })
    for (const at of [9, 100, 123]) expect(noopReason(mutate(end, at, 1))).toMatch(/block-end row/)
  })

  it('any other row type', () => {
    for (const type of [3, 4, 0x80, 0xff])
      expect(noopReason(mutate(encodeDepositRowV3(), 0, type))).toMatch(/unknown row type/)
  })

  it('a bad signature is not malformed (the trace makes it a no-op)', () => {
    const zeroSig = good.slice()
    zeroSig.fill(0, O.r, O.r + 64)
    expect(parseRowV3(zeroSig).type).toBe('tx')
  })

  it('throws only on a row of the wrong length', () => {
    expect(() => parseRowV3(new Uint8Array(123))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    )
  })
})

describe('batch codec v3: batch validity', () => {
  const data = encodeBatchV3(sampleBatch(), 10n)
  const rows = (data.length - 27) / 124
  const invalidReason = (d: Uint8Array, first = 42n): string => {
    const r = checkBatchV3(d, first)
    if (r.valid) throw new Error('expected an invalid batch')
    return r.reason
  }

  it('accepts the encoded batch', () => {
    expect(checkBatchV3(data, 42n).valid).toBe(true)
  })

  it('data shorter than the header', () => {
    expect(invalidReason(data.subarray(0, 26))).toMatch(/shorter than the 27-byte header/)
    expect(invalidReason(new Uint8Array(0))).toMatch(/shorter/)
  })

  it('version other than 3', () => {
    for (const v of [0, 1, 2, 4, 255]) {
      const d = data.slice()
      d[0] = v
      expect(invalidReason(d)).toMatch(/version/)
    }
    expect(data[0]).toBe(BATCH_CODEC_V3_VERSION)
  })

  it('non-zero header padding (bytes 13..26)', () => {
    for (const at of [13, 20, 26]) {
      const d = data.slice()
      d[at] = 1
      expect(invalidReason(d)).toMatch(new RegExp(`header byte ${at}`))
    }
  })

  it('rowCount 0', () => {
    expect(invalidReason(encodeHeaderV3(42n, 0))).toMatch(/no rows/)
  })

  it('length not exactly 27 + 124 rowCount', () => {
    expect(invalidReason(concatBytes(data, new Uint8Array(1)))).toMatch(/need exactly/)
    expect(invalidReason(data.subarray(0, data.length - 1))).toMatch(/need exactly/)
    expect(invalidReason(concatBytes(data, encodeBlockEndRowV3(1n)))).toMatch(/need exactly/)
    const more = data.slice()
    more.set(encodeHeaderV3(42n, rows - 1), 0)
    expect(invalidReason(more)).toMatch(/need exactly/)
  })

  it('firstBlockNumber other than pre.blockNumber + 1', () => {
    expect(invalidReason(data, 41n)).toMatch(/starts at block 42, the next block is 41/)
    expect(invalidReason(data, 43n)).toMatch(/the next block is 43/)
  })

  it('last row not a well-formed block end', () => {
    expect(invalidReason(setRow(data, rows - 1, encodeDepositRowV3()))).toMatch(/last row/)
    const malformedEnd = encodeBlockEndRowV3(5n)
    malformedEnd[50] = 1
    expect(invalidReason(setRow(data, rows - 1, malformedEnd))).toMatch(/last row/)
    expect(
      invalidReason(
        setRow(data, rows - 1, encodeTxRowV3(tx({ kind: 'ethTransfer', to: addr(1), amount: 1n }))),
      ),
    ).toMatch(/last row/)
  })

  it('malformed rows before the last one do not invalidate the batch', () => {
    const bad = encodeDepositRowV3()
    bad[0] = 9
    expect(checkBatchV3(setRow(data, 0, bad), 42n).valid).toBe(true)
    expect(checkBatchV3(setRow(data, 1, encodeBlockEndRowV3(0n).fill(1, 9)), 42n).valid).toBe(true)
  })

  it('a single block-end row is the smallest valid batch', () => {
    const d = concatBytes(encodeHeaderV3(1n, 1), encodeBlockEndRowV3(0n))
    expect(checkBatchV3(d, 1n)).toEqual({ valid: true, rowCount: 1, firstBlockNumber: 1n })
    expect(parseRowV3(rowAtV3(d, 0))).toEqual({ type: 'blockEnd', timestamp: 0n })
    expect(ROW_TYPE.blockEnd).toBe(2)
  })
})

describe('batch codec v3: blob payload', () => {
  const data = encodeBatchV3(sampleBatch(), 10n)

  it('reads the data behind the length prefix and ignores what follows', () => {
    const payload = blobPayloadFromData(data)
    expect(payload.length).toBe(4 + data.length)
    const padded = concatBytes(payload, new Uint8Array(31 * 7).fill(0xee))
    for (const p of [payload, padded]) {
      const r = dataFromBlobPayload(p)
      expect(r.ok).toBe(true)
      if (r.ok) expect(bytesToHex(r.data)).toBe(bytesToHex(data))
    }
  })

  it('the data offset d is payload offset d + 4', () => {
    const payload = blobPayloadFromData(data)
    expect(bytesToHex(payload.subarray(rowPayloadOffsetV3(3), rowPayloadOffsetV3(3) + 124))).toBe(
      bytesToHex(rowAtV3(data, 3)),
    )
  })

  it('fails when 4 + length exceeds the payload', () => {
    const payload = blobPayloadFromData(data)
    const r = dataFromBlobPayload(payload.subarray(0, payload.length - 1))
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.reason).toMatch(/length prefix/)
    expect(dataFromBlobPayload(new Uint8Array(3)).ok).toBe(false)
    expect(dataFromBlobPayload(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0, 0])).ok).toBe(false)
  })

  it('an empty data is a valid payload but an invalid batch', () => {
    const r = dataFromBlobPayload(new Uint8Array(31))
    expect(r.ok).toBe(true)
    if (r.ok) {
      expect(r.data.length).toBe(0)
      expect(checkBatchV3(r.data, 1n).valid).toBe(false)
    }
  })
})
