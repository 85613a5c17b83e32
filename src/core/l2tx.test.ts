import type { TransactionSerializable } from 'viem'
import { serializeTransaction, toRlp, keccak256 as viemKeccak256 } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import { bytesToHex, hexToBytes } from './bytes.ts'
import { L2_BRIDGE_ADDRESS } from './constants.ts'
import { isL2kitError } from './errors.ts'
import { keccak256 } from './hash.ts'
import {
  checkRowLimits,
  decodeRawTransaction,
  decodeRawTransactionUnrecovered,
  encodeRawTransaction,
  MAX_ROW_GAS_LIMIT,
  MAX_ROW_NONCE,
  operationToCall,
  recoverSender,
  signingHash,
  signingHashBytes,
  txHash,
} from './l2tx.ts'
import { activeSignatureBackend, SECP256K1_N, signHash } from './signature.ts'
import { l2TokenAddress } from './state.ts'
import type { Address, Hex, L2Operation, L2Tx } from './types.ts'

const CHAIN_ID = 901n
const account = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d')
const SENDER = account.address.toLowerCase()
const BOB: Address = '0x000000000000000000000000000000000000beef'
const CAROL: Address = '0x1234567890abcdef1234567890abcdef12345678'

function code(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    return isL2kitError(error) ? error.code : `non-l2kit: ${String(error)}`
  }
  return undefined
}

/** Minimal big-endian hex of an integer, as RLP wants it ('0x' for zero). */
function int(v: bigint | number): Hex {
  if (BigInt(v) === 0n) return '0x'
  const h = BigInt(v).toString(16)
  return `0x${h.length % 2 ? `0${h}` : h}`
}

const ops: L2Operation[] = [
  { kind: 'ethTransfer', to: BOB, amount: 15n * 10n ** 17n },
  { kind: 'ethTransfer', to: CAROL, amount: 0n },
  { kind: 'tokenTransfer', tokenIndex: 1, to: BOB, amount: 250_000_000n },
  { kind: 'tokenTransfer', tokenIndex: 255, to: CAROL, amount: 18446744073709551615n * 10n ** 20n },
  { kind: 'withdrawEth', recipient: CAROL, amount: 10n ** 18n },
  { kind: 'withdrawToken', tokenIndex: 16, recipient: BOB, amount: 7n },
]

type TxShape = 'legacy' | 'eip1559'

async function signOp(
  op: L2Operation,
  type: TxShape,
  nonce: number,
  overrides: Partial<TransactionSerializable> = {},
) {
  const call = operationToCall(op)
  const base = {
    chainId: Number(CHAIN_ID),
    nonce,
    gas: 60_000n,
    to: call.to,
    value: call.value,
    data: call.data,
  }
  const tx =
    type === 'legacy'
      ? { ...base, type: 'legacy' as const, gasPrice: 1_000_000_007n }
      : {
          ...base,
          type: 'eip1559' as const,
          maxFeePerGas: 3_000_000_000n,
          maxPriorityFeePerGas: 1_500_000_000n,
        }
  return (await account.signTransaction({ ...tx, ...overrides } as TransactionSerializable)) as Hex
}

describe('decodeRawTransaction / encodeRawTransaction against viem-signed transactions', () => {
  for (const type of ['legacy', 'eip1559'] as const) {
    for (const op of ops) {
      it(`round-trips a ${type} ${op.kind} byte for byte and recovers the sender`, async () => {
        const raw = await signOp(op, type, 42)
        const decoded = decodeRawTransaction(raw, { chainId: CHAIN_ID })
        expect(decoded.sender).toBe(SENDER)
        expect(decoded.tx.op).toEqual(op)
        expect(decoded.tx.nonce).toBe(42n)
        expect(decoded.tx.gasLimit).toBe(60_000n)
        expect(decoded.tx.fees.type).toBe(type)
        expect(decoded.hash).toBe(viemKeccak256(raw))
        expect(bytesToHex(decoded.raw)).toBe(raw)
        const rebuilt = encodeRawTransaction(decoded.tx, CHAIN_ID)
        expect(bytesToHex(rebuilt)).toBe(raw)
        expect(txHash(rebuilt)).toBe(decoded.hash)
        expect(recoverSender(decoded.tx, CHAIN_ID)).toBe(SENDER)
        // Same bytes as a Uint8Array input.
        expect(decodeRawTransaction(hexToBytes(raw), { chainId: CHAIN_ID }).sender).toBe(SENDER)
      })
    }
  }

  it('computes the signing hash wallets sign', () => {
    const call = operationToCall(ops[2] as L2Operation)
    const unsigned = {
      chainId: Number(CHAIN_ID),
      nonce: 3,
      gas: 52_000n,
      to: call.to,
      value: call.value,
      data: call.data,
    }
    const tx = {
      nonce: 3n,
      gasLimit: 52_000n,
      op: ops[2] as L2Operation,
      signature: { r: 1n, s: 1n, yParity: 0 as const },
    }
    expect(signingHash({ ...tx, fees: { type: 'legacy', gasPrice: 5n } }, CHAIN_ID)).toBe(
      viemKeccak256(serializeTransaction({ ...unsigned, type: 'legacy', gasPrice: 5n })),
    )
    expect(
      signingHash({ ...tx, fees: { type: 'eip1559', maxFeePerGas: 9n, maxPriorityFeePerGas: 2n } }, CHAIN_ID),
    ).toBe(
      viemKeccak256(
        serializeTransaction({ ...unsigned, type: 'eip1559', maxFeePerGas: 9n, maxPriorityFeePerGas: 2n }),
      ),
    )
  })

  it('handles edge values: zero fees, huge nonce and fees, long chain id', async () => {
    const cases: Partial<TransactionSerializable>[] = [
      { nonce: 0, gasPrice: 0n, type: 'legacy' } as Partial<TransactionSerializable>,
      { nonce: 2 ** 53 - 1 } as Partial<TransactionSerializable>,
      { maxFeePerGas: 2n ** 256n - 1n, maxPriorityFeePerGas: 0n },
    ]
    for (const c of cases) {
      const raw = await signOp(ops[0] as L2Operation, c.type === 'legacy' ? 'legacy' : 'eip1559', 1, c)
      // Beyond the row limits (tested below): the codec itself still round-trips them exactly.
      const d = decodeRawTransaction(raw, { chainId: CHAIN_ID, rowLimits: false })
      expect(bytesToHex(encodeRawTransaction(d.tx, CHAIN_ID))).toBe(raw)
      expect(d.sender).toBe(SENDER)
    }
    const bigChain = 2n ** 40n + 3n
    for (const type of ['legacy', 'eip1559'] as const) {
      const raw = await signOp(ops[4] as L2Operation, type, 1, { chainId: Number(bigChain) })
      const d = decodeRawTransaction(raw, { chainId: bigChain })
      expect(d.sender).toBe(SENDER)
      expect(bytesToHex(encodeRawTransaction(d.tx, bigChain))).toBe(raw)
    }
  })
})

describe('row limits: only transactions a v3 batch row can hold are accepted', () => {
  const decodeCode = (raw: Hex): string | undefined =>
    code(() => decodeRawTransaction(raw, { chainId: CHAIN_ID }))

  it('accepts nonces below 2^40 and rejects 2^40 with NONCE_TOO_LARGE (both tx types)', async () => {
    expect(MAX_ROW_NONCE).toBe(2n ** 40n - 1n)
    for (const type of ['legacy', 'eip1559'] as const) {
      const ok = await signOp(ops[0] as L2Operation, type, 2 ** 40 - 1)
      expect(decodeRawTransaction(ok, { chainId: CHAIN_ID }).tx.nonce).toBe(2n ** 40n - 1n)
      const tooLarge = await signOp(ops[0] as L2Operation, type, 2 ** 40)
      expect(decodeCode(tooLarge)).toBe('NONCE_TOO_LARGE')
      expect(code(() => decodeRawTransactionUnrecovered(tooLarge, { chainId: CHAIN_ID }))).toBe(
        'NONCE_TOO_LARGE',
      )
      expect(decodeRawTransaction(tooLarge, { chainId: CHAIN_ID, rowLimits: false }).tx.nonce).toBe(2n ** 40n)
    }
  })

  it('accepts gas limits below 2^32 and rejects 2^32 with GAS_LIMIT_TOO_LARGE (both tx types)', async () => {
    expect(MAX_ROW_GAS_LIMIT).toBe(2n ** 32n - 1n)
    for (const type of ['legacy', 'eip1559'] as const) {
      const ok = await signOp(ops[2] as L2Operation, type, 1, { gas: 2n ** 32n - 1n })
      expect(decodeRawTransaction(ok, { chainId: CHAIN_ID }).tx.gasLimit).toBe(2n ** 32n - 1n)
      expect(decodeCode(await signOp(ops[2] as L2Operation, type, 1, { gas: 2n ** 32n }))).toBe(
        'GAS_LIMIT_TOO_LARGE',
      )
      expect(decodeCode(await signOp(ops[2] as L2Operation, type, 1, { gas: 2n ** 64n - 1n }))).toBe(
        'GAS_LIMIT_TOO_LARGE',
      )
    }
  })

  it('rejects each fee field that is not a packed amount with FEE_NOT_PACKABLE, naming the field', async () => {
    const unpackable = 2n ** 64n + 1n // 20 significant digits, no trailing zero
    const packableHuge = 10n ** 30n // 1e30: huge but packable
    const legacyOk = await signOp(ops[0] as L2Operation, 'legacy', 1, {
      gasPrice: packableHuge,
    } as Partial<TransactionSerializable>)
    expect(decodeRawTransaction(legacyOk, { chainId: CHAIN_ID }).tx.fees).toEqual({
      type: 'legacy',
      gasPrice: packableHuge,
    })
    const edge = await signOp(ops[0] as L2Operation, 'eip1559', 1, {
      maxFeePerGas: 2n ** 64n - 1n,
      maxPriorityFeePerGas: 2n ** 64n - 1n,
    })
    expect(decodeCode(edge)).toBeUndefined()
    const cases: [Partial<TransactionSerializable>, TxShape, string][] = [
      [{ gasPrice: unpackable } as Partial<TransactionSerializable>, 'legacy', 'gasPrice'],
      [{ maxFeePerGas: unpackable, maxPriorityFeePerGas: 0n }, 'eip1559', 'maxFeePerGas'],
      [{ maxFeePerGas: packableHuge, maxPriorityFeePerGas: unpackable }, 'eip1559', 'maxPriorityFeePerGas'],
    ]
    for (const [overrides, type, field] of cases) {
      const raw = await signOp(ops[0] as L2Operation, type, 1, overrides)
      let caught: unknown
      try {
        decodeRawTransaction(raw, { chainId: CHAIN_ID })
      } catch (error) {
        caught = error
      }
      expect(isL2kitError(caught, 'FEE_NOT_PACKABLE')).toBe(true)
      if (!isL2kitError(caught)) return
      expect(caught.message).toContain(field)
      expect(caught.message).toMatch(/m \* 10\^e with m < 2\^64/)
      expect(caught.details).toMatchObject({
        field,
        value: unpackable.toString(),
        suggestedBelow: '18446744073709551610',
      })
      expect(decodeRawTransaction(raw, { chainId: CHAIN_ID, rowLimits: false }).sender).toBe(SENDER)
    }
  })

  it('checks an L2Tx directly, with messages that state the limit', () => {
    const base: L2Tx = {
      nonce: 0n,
      gasLimit: 21_000n,
      fees: { type: 'legacy', gasPrice: 1n },
      op: ops[0] as L2Operation,
      signature: { r: 1n, s: 1n, yParity: 0 },
    }
    expect(() => checkRowLimits(base)).not.toThrow()
    expect(() => checkRowLimits({ ...base, nonce: 2n ** 40n })).toThrow(/below 2\^40/)
    expect(() => checkRowLimits({ ...base, gasLimit: 2n ** 32n })).toThrow(/below 2\^32/)
    expect(() =>
      checkRowLimits({ ...base, fees: { type: 'legacy', gasPrice: 123456789012345678901n } }),
    ).toThrow(/gasPrice 123456789012345678901 wei/)
  })
})

describe('decodeRawTransaction rejects what the L2 does not support', () => {
  it('rejects the wrong chain id (both tx types)', async () => {
    for (const type of ['legacy', 'eip1559'] as const) {
      const raw = await signOp(ops[0] as L2Operation, type, 0, { chainId: 1 })
      expect(code(() => decodeRawTransaction(raw, { chainId: CHAIN_ID }))).toBe('WRONG_CHAIN_ID')
    }
  })

  it('rejects pre-EIP-155 legacy transactions as unprotected', async () => {
    const raw = (await account.signTransaction({
      type: 'legacy',
      nonce: 0,
      gasPrice: 1n,
      gas: 21_000n,
      to: BOB,
      value: 1n,
    })) as Hex
    expect(code(() => decodeRawTransaction(raw, { chainId: CHAIN_ID }))).toBe('UNPROTECTED_TX')
  })

  it('rejects tx types 1, 3, 4 and unknown ones', async () => {
    const type1 = (await account.signTransaction({
      type: 'eip2930',
      chainId: Number(CHAIN_ID),
      nonce: 0,
      gasPrice: 1n,
      gas: 21_000n,
      to: BOB,
      value: 1n,
      accessList: [],
    })) as Hex
    const e = code(() => decodeRawTransaction(type1, { chainId: CHAIN_ID }))
    expect(e).toBe('UNSUPPORTED_TX_TYPE')
    for (const prefix of ['03', '04', '05', '7f', '00']) {
      expect(code(() => decodeRawTransaction(`0x${prefix}c0`, { chainId: CHAIN_ID }))).toBe(
        'UNSUPPORTED_TX_TYPE',
      )
    }
  })

  it('rejects contract creation', async () => {
    const raw = (await account.signTransaction({
      type: 'eip1559',
      chainId: Number(CHAIN_ID),
      nonce: 0,
      maxFeePerGas: 1n,
      maxPriorityFeePerGas: 1n,
      gas: 100_000n,
      data: '0x6000',
    })) as Hex
    expect(code(() => decodeRawTransaction(raw, { chainId: CHAIN_ID }))).toBe('CONTRACT_CREATION_UNSUPPORTED')
  })

  it('rejects a non-empty access list', async () => {
    const raw = await signOp(ops[0] as L2Operation, 'eip1559', 0, {
      accessList: [{ address: BOB, storageKeys: [] }],
    } as Partial<TransactionSerializable>)
    expect(code(() => decodeRawTransaction(raw, { chainId: CHAIN_ID }))).toBe('ACCESS_LIST_UNSUPPORTED')
  })

  it('rejects calls other than the four operations, with a message saying what is supported', async () => {
    const token = l2TokenAddress(3)
    const transfer = operationToCall({ kind: 'tokenTransfer', tokenIndex: 3, to: BOB, amount: 5n }).data
    const withdrawEth = operationToCall({ kind: 'withdrawEth', recipient: BOB, amount: 5n }).data
    const withdrawToken = operationToCall({
      kind: 'withdrawToken',
      tokenIndex: 3,
      recipient: BOB,
      amount: 5n,
    }).data
    const dirtyAddress = `${transfer.slice(0, 10)}ff${transfer.slice(12)}` as Hex
    const cases: { to: Address; value: bigint; data: Hex; why: string }[] = [
      { to: BOB, value: 1n, data: '0x12', why: 'calldata on a plain transfer' },
      { to: BOB, value: 0n, data: transfer, why: 'token calldata sent to a non-token address' },
      { to: token, value: 0n, data: '0x095ea7b3', why: 'approve on a token' },
      { to: token, value: 0n, data: `${transfer}00`, why: 'trailing calldata' },
      { to: token, value: 0n, data: transfer.slice(0, -2) as Hex, why: 'short calldata' },
      { to: token, value: 0n, data: dirtyAddress, why: 'dirty address padding' },
      { to: token, value: 1n, data: transfer, why: 'ETH sent with a token transfer' },
      { to: token, value: 1n, data: '0x', why: 'ETH sent to a token' },
      { to: '0x4200000000000000000000000000000000001000', value: 1n, data: '0x', why: 'token index 0' },
      { to: L2_BRIDGE_ADDRESS, value: 1n, data: '0x', why: 'ETH to the bridge without withdrawETH' },
      { to: L2_BRIDGE_ADDRESS, value: 1n, data: '0xdeadbeef', why: 'unknown bridge function' },
      { to: L2_BRIDGE_ADDRESS, value: 1n, data: `${withdrawEth}00`, why: 'withdrawETH with trailing bytes' },
      { to: L2_BRIDGE_ADDRESS, value: 1n, data: withdrawToken, why: 'withdrawERC20 with value' },
      {
        to: L2_BRIDGE_ADDRESS,
        value: 0n,
        data: `${withdrawToken.slice(0, 34)}${BOB.slice(2)}${withdrawToken.slice(74)}` as Hex,
        why: 'withdrawERC20 of a non-token address',
      },
    ]
    for (const c of cases) {
      const raw = (await account.signTransaction({
        type: 'eip1559',
        chainId: Number(CHAIN_ID),
        nonce: 0,
        maxFeePerGas: 1n,
        maxPriorityFeePerGas: 1n,
        gas: 100_000n,
        to: c.to,
        value: c.value,
        data: c.data,
      })) as Hex
      let message = ''
      try {
        decodeRawTransaction(raw, { chainId: CHAIN_ID })
      } catch (error) {
        expect(isL2kitError(error, 'UNSUPPORTED_CALL'), `${c.why}: ${String(error)}`).toBe(true)
        message = (error as Error).message
      }
      expect(message, c.why).toContain('ETH and ERC-20 transfers and withdrawals only')
    }
  })

  it('rejects amounts that are not packable, suggesting one that is', async () => {
    for (const op of [
      { kind: 'ethTransfer', to: BOB, amount: 123456789012345678901n },
      { kind: 'tokenTransfer', tokenIndex: 2, to: BOB, amount: 2n ** 255n },
      { kind: 'withdrawToken', tokenIndex: 2, recipient: BOB, amount: 2n ** 70n + 1n },
    ] as L2Operation[]) {
      const raw = await signOp(op, 'eip1559', 0)
      let err: unknown
      try {
        decodeRawTransaction(raw, { chainId: CHAIN_ID })
      } catch (e) {
        err = e
      }
      expect(isL2kitError(err, 'AMOUNT_NOT_PACKABLE')).toBe(true)
      expect((err as Error).message).toMatch(/Round it, e\.g\. to \d+/)
    }
  })

  it('rejects oversized transactions before parsing them', async () => {
    const raw = await signOp(ops[0] as L2Operation, 'eip1559', 0)
    expect(code(() => decodeRawTransaction(raw, { chainId: CHAIN_ID, maxTxBytes: 50 }))).toBe('TX_TOO_LARGE')
    expect(code(() => decodeRawTransaction(hexToBytes(raw), { chainId: CHAIN_ID, maxTxBytes: 50 }))).toBe(
      'TX_TOO_LARGE',
    )
  })
})

describe('decodeRawTransaction rejects malformed and non-canonical encodings', () => {
  const legacyFields = (overrides: Record<number, Hex | Hex[]> = {}): (Hex | Hex[])[] => {
    const fields: (Hex | Hex[])[] = [int(1), int(1_000_000_000), int(21_000), BOB, int(10n ** 18n), '0x']
    fields.push(int(CHAIN_ID * 2n + 35n), int(2n ** 255n), int(2n ** 250n))
    for (const [i, v] of Object.entries(overrides)) fields[Number(i)] = v
    return fields
  }
  const legacy = (overrides: Record<number, Hex | Hex[]> = {}) => toRlp(legacyFields(overrides))

  it('rejects high-s signatures and r/s out of range', async () => {
    const raw = await signOp(ops[0] as L2Operation, 'legacy', 0)
    const d = decodeRawTransaction(raw, { chainId: CHAIN_ID })
    const flipped = CHAIN_ID * 2n + 35n + BigInt(1 - d.tx.signature.yParity)
    const highS = legacy({
      0: int(0),
      1: int(1_000_000_007),
      2: int(60_000),
      4: int(15n * 10n ** 17n),
      6: int(flipped),
      7: int(d.tx.signature.r),
      8: int(SECP256K1_N - d.tx.signature.s),
    })
    expect(code(() => decodeRawTransaction(highS, { chainId: CHAIN_ID }))).toBe('INVALID_SIGNATURE')
    expect(code(() => decodeRawTransaction(legacy({ 7: '0x' }), { chainId: CHAIN_ID }))).toBe(
      'INVALID_SIGNATURE',
    )
    expect(code(() => decodeRawTransaction(legacy({ 7: int(SECP256K1_N) }), { chainId: CHAIN_ID }))).toBe(
      'INVALID_SIGNATURE',
    )
    expect(code(() => decodeRawTransaction(legacy({ 6: int(30) }), { chainId: CHAIN_ID }))).toBe(
      'INVALID_SIGNATURE',
    )
    // Well-formed but signs nothing recoverable: r = 5 is not the x of a curve point.
    expect(code(() => decodeRawTransaction(legacy({ 7: int(5), 8: int(1) }), { chainId: CHAIN_ID }))).toBe(
      'INVALID_SIGNATURE',
    )
  })

  it('accepts the hand-built baseline (so the cases below fail for the stated reason)', () => {
    const d = decodeRawTransaction(legacy(), { chainId: CHAIN_ID })
    expect(d.tx.op).toEqual({ kind: 'ethTransfer', to: BOB, amount: 10n ** 18n })
    expect(bytesToHex(encodeRawTransaction(d.tx, CHAIN_ID))).toBe(legacy())
  })

  it('rejects structural problems as MALFORMED_TRANSACTION', () => {
    const base = legacy()
    const bad: [string, Hex][] = [
      ['trailing byte', `${base}00`],
      ['truncated', base.slice(0, -2) as Hex],
      ['leading zero in an integer', legacy({ 0: '0x0001' })],
      ['zero encoded as 0x00', legacy({ 0: '0x00' })],
      ['8 fields', toRlp(legacyFields().slice(0, 8))],
      ['10 fields', toRlp([...legacyFields(), '0x'])],
      ['19-byte to', legacy({ 3: BOB.slice(0, -2) as Hex })],
      ['list as nonce', legacy({ 0: [] })],
      ['list as data', legacy({ 5: ['0x01'] })],
      ['nonce of 9 bytes', legacy({ 0: int(2n ** 64n) })],
      ['gas limit of 9 bytes', legacy({ 2: int(2n ** 64n) })],
      ['value of 33 bytes', legacy({ 4: int(2n ** 256n) })],
      ['string, not a list', '0x820102'],
      ['empty', '0x'],
      ['odd hex', '0xc'],
      ['not hex', '0xzz'],
    ]
    // Non-canonical RLP, spliced by hand: the nonce 0x01 written as 0x81 0x01 (single byte must encode itself).
    const nonCanonicalSingle = base.replace(/^0x(f8|f9)?([0-9a-f]{2})01/, (_m, long, len) => {
      const n = Number.parseInt(len, 16) + 1
      return `0x${long ?? ''}${n.toString(16)}8101`
    }) as Hex
    bad.push(['single byte in string form', nonCanonicalSingle])
    // Payload of the outer list in long form while it is short: re-encode a short list with 0xf8.
    const short = toRlp(['0x01'])
    bad.push(['long-form length for a short list', `0xf801${short.slice(4)}` as Hex])
    for (const [why, raw] of bad) {
      expect(
        code(() => decodeRawTransaction(raw, { chainId: CHAIN_ID })),
        why,
      ).toBe('MALFORMED_TRANSACTION')
    }
  })

  it('rejects a non-canonical EIP-1559 yParity and malformed access list', async () => {
    const fields: (Hex | Hex[])[] = [
      int(CHAIN_ID),
      int(0),
      int(1),
      int(2),
      int(21_000),
      BOB,
      int(1),
      '0x',
      [],
    ]
    const make = (yParity: Hex, accessList: Hex | Hex[] = [], r: Hex = int(2n ** 255n)) =>
      `0x02${toRlp([...fields.slice(0, 8), accessList, yParity, r, int(5)]).slice(2)}` as Hex
    expect(code(() => decodeRawTransaction(make('0x02'), { chainId: CHAIN_ID }))).toBe('INVALID_SIGNATURE')
    expect(code(() => decodeRawTransaction(make('0x00'), { chainId: CHAIN_ID }))).toBe(
      'MALFORMED_TRANSACTION',
    )
    expect(code(() => decodeRawTransaction(make('0x0101'), { chainId: CHAIN_ID }))).toBe(
      'MALFORMED_TRANSACTION',
    )
    expect(code(() => decodeRawTransaction(make('0x01', '0x'), { chainId: CHAIN_ID }))).toBe(
      'MALFORMED_TRANSACTION',
    )
  })

  it('throws only L2kitErrors on truncated and randomly mutated transactions', async () => {
    const raws: Uint8Array[] = []
    for (const type of ['legacy', 'eip1559'] as const) {
      for (const op of ops) raws.push(hexToBytes(await signOp(op, type, 7)))
    }
    let seed = 12345
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
      return (seed >>> 8) % n
    }
    let accepted = 0
    for (const raw of raws) {
      for (let len = 0; len < raw.length; len++) {
        const c = code(() => decodeRawTransaction(raw.subarray(0, len), { chainId: CHAIN_ID }))
        expect(c).toBeDefined()
        expect(c?.startsWith('non-l2kit')).toBe(false)
      }
      for (let i = 0; i < 300; i++) {
        const mutated = raw.slice()
        const flips = 1 + rnd(3)
        for (let f = 0; f < flips; f++) mutated[rnd(mutated.length)] = rnd(256)
        try {
          const d = decodeRawTransaction(mutated, { chainId: CHAIN_ID })
          // Whatever is accepted must re-encode to the same bytes (the batch codec relies on it).
          expect(bytesToHex(encodeRawTransaction(d.tx, CHAIN_ID))).toBe(bytesToHex(mutated))
          accepted++
        } catch (error) {
          expect(isL2kitError(error), String(error)).toBe(true)
        }
      }
    }
    // Mutating a fee or amount byte keeps a decodable tx (with a different sender); make sure some were exercised.
    expect(accepted).toBeGreaterThan(0)
  })
})

describe('throughput', () => {
  it('logs decode + sender recovery throughput for 10,000 distinct signed transfers', () => {
    const keys = Array.from({ length: 1000 }, (_, i) => keccak256(new TextEncoder().encode(`bench key ${i}`)))
    const raws: Uint8Array[] = []
    for (let i = 0; i < 10_000; i++) {
      const op: L2Operation =
        i % 3 === 0
          ? { kind: 'tokenTransfer', tokenIndex: 1, to: CAROL, amount: BigInt(i + 1) * 10_000n }
          : { kind: 'ethTransfer', to: BOB, amount: BigInt(i + 1) * 10n ** 14n }
      const unsigned: L2Tx = {
        nonce: BigInt(i >> 3),
        gasLimit: 52_000n,
        fees:
          i % 5 === 0
            ? { type: 'legacy', gasPrice: 2_000_000n }
            : { type: 'eip1559', maxFeePerGas: 3_000_000n, maxPriorityFeePerGas: 1_000_000n },
        op,
        signature: { r: 1n, s: 1n, yParity: 0 },
      }
      const signature = signHash(signingHashBytes(unsigned, CHAIN_ID), keys[i % keys.length] as Uint8Array)
      raws.push(encodeRawTransaction({ ...unsigned, signature }, CHAIN_ID))
    }
    const rates: number[] = []
    for (let round = 0; round < 3; round++) {
      const start = performance.now()
      for (const raw of raws) decodeRawTransaction(raw, { chainId: CHAIN_ID })
      rates.push(Math.round(raws.length / ((performance.now() - start) / 1000)))
    }
    console.log(
      `[l2tx] decode + recover (${activeSignatureBackend()}): ${rates.join(', ')} tx/s over 3 rounds of 10,000`,
    )
  })
})
