import { describe, expect, it } from 'vitest'
import { bytesToHex } from '../../core/bytes.ts'
import { errorCodeOf, xorshift32 } from '../../core/testing.ts'
import type { Hex } from '../../core/types.ts'
import { type Checkpoint, checkpointSigner, packCheckpointSignatures, signCheckpoint } from './checkpoint.ts'
import { signProposal, signVote } from './messages.ts'
import { TEST_DOMAIN, testBlockHash, testValidators } from './testing.ts'
import {
  BLOCK_PART_BYTES,
  blockParts,
  decodeWire,
  encodeWire,
  MAX_FRAME_BYTES,
  txBatches,
  type WireMessage,
} from './wire.ts'

const { validators } = testValidators([1n, 1n, 1n, 1n])
const [a, b] = validators as [(typeof validators)[0], (typeof validators)[0]]
const block = testBlockHash('b', 1)
const checkpoint: Checkpoint = {
  number: 0n,
  startBlock: 1n,
  endBlock: 16n,
  blocksRoot: testBlockHash('blocks'),
  stateRoot: testBlockHash('state'),
  withdrawalsRoot: testBlockHash('withdrawals'),
  withdrawalCount: 3,
}
const bridgeDomain = { chainId: 31337n, bridge: '0x0000000000000000000000000000000000000b1d' as const }

function samples(): WireMessage[] {
  const precommits = validators
    .slice(0, 3)
    .map((v) =>
      signVote(TEST_DOMAIN, { type: 'precommit', height: 5n, round: 1, blockHash: block }, v.signer),
    )
  return [
    { kind: 'status', height: 12n, headHash: block },
    {
      kind: 'consensus',
      message: signProposal(TEST_DOMAIN, { height: 5n, round: 1, polRound: -1, blockHash: block }, a.signer),
    },
    {
      kind: 'consensus',
      message: signVote(TEST_DOMAIN, { type: 'prevote', height: 5n, round: 0, blockHash: block }, b.signer),
    },
    { kind: 'blockPart', height: 5n, blockHash: block, index: 1, total: 3, data: new Uint8Array([1, 2, 3]) },
    { kind: 'txs', txs: [new Uint8Array([0x02, 1]), new Uint8Array(300).fill(7)] },
    { kind: 'getBlock', height: 5n, blockHash: block },
    { kind: 'syncRequest', fromHeight: 77n },
    { kind: 'commit', height: 5n, blockHash: block, votes: precommits },
    {
      kind: 'checkpointSignature',
      checkpoint,
      signature: signCheckpoint(bridgeDomain, checkpoint, a.signer),
    },
  ]
}

describe('sidechain peer messages', () => {
  it('round-trips every kind', () => {
    for (const m of samples()) expect(decodeWire(encodeWire(m))).toEqual(m)
  })

  it('splits a block into frames and joins it back', () => {
    const encoded = new Uint8Array(BLOCK_PART_BYTES * 2 + 17).map((_, i) => i & 0xff)
    const parts = blockParts(9n, block, encoded)
    expect(parts).toHaveLength(3)
    const joined: number[] = []
    for (const p of parts) {
      const bytes = encodeWire(p)
      expect(bytes.length).toBeLessThanOrEqual(MAX_FRAME_BYTES)
      const back = decodeWire(bytes)
      if (back.kind !== 'blockPart') throw new Error('kind')
      joined.push(...back.data)
    }
    expect(bytesToHex(new Uint8Array(joined))).toBe(bytesToHex(encoded))
  })

  it('batches transactions within one frame each', () => {
    const txs = Array.from({ length: 1000 }, (_, i) => new Uint8Array(200).fill(i & 0xff))
    const batches = txBatches(txs)
    expect(batches.length).toBeGreaterThan(1)
    let count = 0
    for (const m of batches) {
      const bytes = encodeWire(m)
      expect(bytes.length).toBeLessThanOrEqual(MAX_FRAME_BYTES)
      const back = decodeWire(bytes)
      if (back.kind === 'txs') count += back.txs.length
    }
    expect(count).toBe(1000)
  })

  it('checkpoint signatures recover their signer and pack in ascending order', () => {
    const sigs = validators.map((v) => ({
      signer: v.address,
      signature: signCheckpoint(bridgeDomain, checkpoint, v.signer),
    }))
    for (const s of sigs) expect(checkpointSigner(bridgeDomain, checkpoint, s.signature)).toBe(s.signer)
    const packed = packCheckpointSignatures([...sigs].reverse())
    expect(packed.length).toBe(2 + 130 * 4)
    expect(packed.slice(2, 132)).toBe((sigs[0] as { signature: Hex }).signature.slice(2))
    expect(() => packCheckpointSignatures([sigs[0], sigs[0]] as typeof sigs)).toThrow()
  })

  it('refuses 12,000 malformed frames with the typed error only', () => {
    const rand = xorshift32(0xc0ffee)
    const valid = samples().map(encodeWire)
    let refused = 0
    for (let i = 0; i < 12_000; i++) {
      const base = valid[rand() % valid.length] as Uint8Array
      let bytes: Uint8Array
      switch (rand() % 5) {
        case 0: // truncated
          bytes = base.slice(0, rand() % base.length)
          break
        case 1: // extended
          bytes = new Uint8Array([...base, ...new Uint8Array(1 + (rand() % 8)).map(() => rand() & 0xff)])
          break
        case 2: {
          // one byte flipped (the kind, a length, a field)
          bytes = base.slice()
          const at = rand() % bytes.length
          bytes[at] = (bytes[at] as number) ^ (1 + (rand() % 255))
          break
        }
        case 3: // random bytes behind a valid kind byte
          bytes = new Uint8Array(1 + (rand() % 300)).map(() => rand() & 0xff)
          bytes[0] = 0x10 + (rand() % 9)
          break
        default: // random bytes
          bytes = new Uint8Array(rand() % 200).map(() => rand() & 0xff)
      }
      let decoded: WireMessage | undefined
      const code = errorCodeOf(() => {
        decoded = decodeWire(bytes)
      })
      if (decoded === undefined) {
        expect(code).toBe('SIDECHAIN_MALFORMED_MESSAGE')
        refused++
      } else {
        // A flip may land on a field any value of which is valid (a height, a hash, part data): then the
        // message must re-encode to exactly these bytes (one encoding per message).
        expect(bytesToHex(encodeWire(decoded))).toBe(bytesToHex(bytes))
      }
    }
    expect(refused).toBeGreaterThan(9_000)
  })
})
