import { encodeAbiParameters, keccak256 as viemKeccak } from 'viem'
import { describe, expect, it } from 'vitest'
import { bytesToHex, hexToBytes } from '../../core/bytes.ts'
import { errorCodeOf, xorshift32 } from '../../core/testing.ts'
import type { Address, Hex } from '../../core/types.ts'
import {
  type BlockHeader,
  blockHash,
  checkBlockBody,
  DEPOSIT_BYTES,
  type Deposit,
  decodeBlock,
  decodeHeader,
  depositsRoot,
  encodeBlock,
  encodeHeader,
  genesisHeader,
  HEADER_BYTES,
  logsBloom,
  MAX_BLOCK_BYTES,
  receiptsRoot,
  type SidechainBlock,
  txsRoot,
  VALIDATOR_BYTES,
  validatorsHash,
  type Withdrawal,
  withdrawalLeaf,
  withdrawalsRoot,
  withdrawalsTree,
} from './block.ts'

const A = `0x${'aa'.repeat(20)}` as Address
const B = `0x${'bb'.repeat(20)}` as Address
const T = `0x${'cc'.repeat(20)}` as Address
const NEXT_SET = [
  { address: A, power: 5n },
  { address: B, power: (1n << 127n) - 1n },
]

function sampleBlock(): SidechainBlock {
  const txs: Hex[] = ['0x02f86a0180', '0xf86b8085', `0x${'11'.repeat(300)}`]
  const deposits: Deposit[] = [
    { id: 7n, from: A, to: B, token: `0x${'00'.repeat(20)}`, amount: 10n ** 18n },
    { id: 8n, from: A, to: B, token: T, amount: (1n << 256n) - 1n },
  ]
  const header: BlockHeader = {
    number: 12n,
    parentHash: `0x${'01'.repeat(32)}`,
    timestamp: 1_700_000_123,
    proposer: A,
    gasLimit: 30_000_000n,
    baseFee: 1_000_000_000n,
    gasUsed: 21_000n,
    txsRoot: txsRoot(txs),
    depositsRoot: depositsRoot(deposits),
    stateRoot: `0x${'02'.repeat(32)}`,
    receiptsRoot: receiptsRoot([{ status: 1, gasUsed: 21_000n, logs: [] }]),
    logsBloom: logsBloom([{ address: T, topics: [`0x${'03'.repeat(32)}`], data: '0x' }]),
    withdrawalsRoot: withdrawalsRoot([]),
    withdrawalCount: 0,
    epoch: 3n,
    nextValidatorsHash: validatorsHash(NEXT_SET),
  }
  return { header, txs, deposits, validators: NEXT_SET }
}

describe('sidechain block codec', () => {
  it('round-trips a block and its header exactly, and hashes the 576-byte header', () => {
    const block = sampleBlock()
    const bytes = encodeBlock(block)
    expect(decodeBlock(bytes)).toEqual(block)
    expect(bytesToHex(encodeBlock(decodeBlock(bytes)))).toBe(bytesToHex(bytes))
    const header = encodeHeader(block.header)
    expect(header.length).toBe(HEADER_BYTES)
    expect(decodeHeader(header)).toEqual(block.header)
    expect(blockHash(block.header)).toBe(viemKeccak(header))
    expect(bytes.length).toBe(
      1 + HEADER_BYTES + 4 + 3 * 4 + 5 + 4 + 300 + 4 + 2 * DEPOSIT_BYTES + 4 + 2 * VALIDATOR_BYTES,
    )
    checkBlockBody(block)
    // Without a set change the body ends with a zero count, and decodes without the field.
    const plain = { header: block.header, txs: block.txs, deposits: block.deposits }
    expect(decodeBlock(encodeBlock(plain))).toEqual(plain)
  })

  it('binds a new validator set to nextValidatorsHash, and refuses sets that are not canonical', () => {
    const block = sampleBlock()
    const other = [{ address: A, power: 6n }, ...(block.validators ?? []).slice(1)]
    expect(errorCodeOf(() => checkBlockBody({ ...block, validators: other }))).toBe('SIDECHAIN_INVALID_BLOCK')
    // Out of order, duplicate or zero power: not encodable, and not decodable either.
    const unsorted = [...(block.validators ?? [])].reverse()
    expect(errorCodeOf(() => encodeBlock({ ...block, validators: unsorted }))).toBe(
      'SIDECHAIN_MALFORMED_BLOCK',
    )
    const bytes = encodeBlock(block).slice()
    const firstPower = bytes.length - 2 * VALIDATOR_BYTES + 20
    bytes.fill(0, firstPower, firstPower + 16)
    expect(errorCodeOf(() => decodeBlock(bytes))).toBe('SIDECHAIN_MALFORMED_BLOCK')
    const swapped = encodeBlock(block).slice()
    const tail = swapped.length - 2 * VALIDATOR_BYTES
    const first = swapped.slice(tail, tail + VALIDATOR_BYTES)
    swapped.copyWithin(tail, tail + VALIDATOR_BYTES)
    swapped.set(first, tail + VALIDATOR_BYTES)
    expect(errorCodeOf(() => decodeBlock(swapped))).toBe('SIDECHAIN_MALFORMED_BLOCK')
  })

  it('refuses malformed blocks with SIDECHAIN_MALFORMED_BLOCK: version, lengths, trailing bytes, size', () => {
    const bytes = encodeBlock(sampleBlock())
    const code = (b: Uint8Array) => errorCodeOf(() => decodeBlock(b))
    expect(code(new Uint8Array(0))).toBe('SIDECHAIN_MALFORMED_BLOCK')
    expect(code(Uint8Array.from([1, ...bytes.subarray(1)]))).toBe('SIDECHAIN_MALFORMED_BLOCK')
    expect(code(bytes.subarray(0, bytes.length - 1))).toBe('SIDECHAIN_MALFORMED_BLOCK')
    expect(code(Uint8Array.from([...bytes, 0]))).toBe('SIDECHAIN_MALFORMED_BLOCK')
    expect(code(new Uint8Array(MAX_BLOCK_BYTES + 1))).toBe('SIDECHAIN_MALFORMED_BLOCK')
    // gasUsed above gasLimit
    const h = { ...sampleBlock().header, gasUsed: 40_000_000n }
    expect(errorCodeOf(() => encodeHeader(h))).toBe('SIDECHAIN_MALFORMED_BLOCK')
    // A transaction count the rest cannot hold is refused before anything is allocated.
    const huge = bytes.slice()
    huge.set([0xff, 0xff, 0xff, 0xff], 1 + HEADER_BYTES)
    expect(code(huge)).toBe('SIDECHAIN_MALFORMED_BLOCK')
    // An empty transaction.
    const empty = encodeBlock({ ...sampleBlock(), txs: [] }).slice()
    expect(
      code(Uint8Array.from([...empty.subarray(0, 1 + HEADER_BYTES), 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0])),
    ).toBe('SIDECHAIN_MALFORMED_BLOCK')
    // Bad in-memory blocks do not encode.
    expect(errorCodeOf(() => encodeBlock({ ...sampleBlock(), txs: ['0xABCD'] }))).toBe(
      'SIDECHAIN_MALFORMED_BLOCK',
    )
    expect(
      errorCodeOf(() => encodeBlock({ ...sampleBlock(), txs: [`0x${'00'.repeat(128 * 1024 + 1)}`] })),
    ).toBe('SIDECHAIN_MALFORMED_BLOCK')
    expect(
      errorCodeOf(() =>
        encodeBlock({ ...sampleBlock(), deposits: [{ id: -1n, from: A, to: B, token: T, amount: 1n }] }),
      ),
    ).toBe('SIDECHAIN_MALFORMED_BLOCK')
  })

  it('survives 12,000 malformed inputs: only the typed error, never a crash', () => {
    const rng = xorshift32(0x5c0de)
    const valid = encodeBlock(sampleBlock())
    let typed = 0
    let decoded = 0
    for (let i = 0; i < 12_000; i++) {
      let input: Uint8Array
      const kind = i % 4
      if (kind === 0) {
        // bit flips
        input = valid.slice()
        const flips = 1 + (rng() % 8)
        for (let f = 0; f < flips; f++) {
          const at = rng() % input.length
          input[at] = (input[at] as number) ^ (1 << (rng() % 8))
        }
      } else if (kind === 1) {
        // truncation or extension
        const n = rng() % (valid.length + 64)
        input = new Uint8Array(n)
        input.set(valid.subarray(0, Math.min(n, valid.length)))
        for (let j = valid.length; j < n; j++) input[j] = rng() & 0xff
      } else if (kind === 2) {
        // random bytes
        input = Uint8Array.from({ length: rng() % 2048 }, () => rng() & 0xff)
        if (input.length > 0) input[0] = 1
      } else {
        // a length field set to something random
        input = valid.slice()
        const at = 1 + HEADER_BYTES + (rng() % 8)
        input[at] = rng() & 0xff
      }
      try {
        const b = decodeBlock(input)
        decoded++
        // Whatever decodes re-encodes to the very same bytes (one encoding per block).
        expect(bytesToHex(encodeBlock(b))).toBe(bytesToHex(input))
      } catch (err) {
        expect((err as { code?: string }).code).toBe('SIDECHAIN_MALFORMED_BLOCK')
        typed++
      }
    }
    expect(typed + decoded).toBe(12_000)
    expect(typed).toBeGreaterThan(9_000)
  })

  it('checks the body roots against the header', () => {
    const block = sampleBlock()
    expect(errorCodeOf(() => checkBlockBody({ ...block, txs: block.txs.slice(1) }))).toBe(
      'SIDECHAIN_INVALID_BLOCK',
    )
    expect(errorCodeOf(() => checkBlockBody({ ...block, deposits: block.deposits.slice(1) }))).toBe(
      'SIDECHAIN_INVALID_BLOCK',
    )
    expect(errorCodeOf(() => checkBlockBody({ ...block, txs: [...block.txs].reverse() }))).toBe(
      'SIDECHAIN_INVALID_BLOCK',
    )
  })

  it('builds withdrawal leaves as the L1 contract hashes its Withdrawal struct, in a depth-16 tree', () => {
    const w: Withdrawal = { id: 3n, from: A, to: B, token: T, amount: 123n }
    const expected = viemKeccak(
      encodeAbiParameters(
        [
          { type: 'uint256' },
          { type: 'address' },
          { type: 'address' },
          { type: 'address' },
          { type: 'uint256' },
        ],
        [w.id, w.from, w.to, w.token, w.amount],
      ),
    )
    expect(bytesToHex(withdrawalLeaf(w))).toBe(expected)
    const list = [w, { ...w, id: 4n }, { ...w, id: 5n, token: `0x${'00'.repeat(20)}` as Address }]
    const tree = withdrawalsTree(list)
    expect(bytesToHex(tree.root)).toBe(withdrawalsRoot(list))
    expect(hexToBytes(tree.proof(2)).length).toBe(16 * 32)
    // An empty list has the all-empty tree's root, which is what genesis carries.
    expect(
      genesisHeader({
        timestamp: 0,
        gasLimit: 1n,
        baseFee: 0n,
        stateRoot: `0x${'00'.repeat(32)}`,
        epoch: 0n,
        validators: [],
      }).withdrawalsRoot,
    ).toBe(withdrawalsRoot([]))
  })
})
