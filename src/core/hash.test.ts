// biome-ignore-all lint/style/noNonNullAssertion: tests index data they just built
import { keccak_256 } from '@noble/hashes/sha3.js'
import { describe, expect, it, vi } from 'vitest'
import { keccak256, keccak256Pair, keccakHasher, keccakUsesWasm } from './hash.ts'

function pseudoRandomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length)
  let x = seed >>> 0 || 1
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

describe('keccak256', () => {
  it('runs on WebAssembly in Node', () => {
    expect(keccakUsesWasm).toBe(true)
  })

  it('hashes the empty input to the well-known digest', () => {
    expect(hex(keccak256(new Uint8Array(0)))).toBe(
      'c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470',
    )
  })

  it('matches @noble/hashes at every length around the 136-byte rate boundary and beyond', () => {
    for (let length = 0; length <= 600; length++) {
      const message = pseudoRandomBytes(length, length + 1)
      expect(hex(keccak256(message)), `length ${length}`).toBe(hex(keccak_256(message)))
    }
  })

  it('accepts a subarray view with a non-zero offset', () => {
    const backing = pseudoRandomBytes(300, 9)
    const view = backing.subarray(3, 203)
    expect(hex(keccak256(view))).toBe(hex(keccak_256(view.slice())))
  })

  it('returns a fresh array each call (later calls do not overwrite earlier results)', () => {
    const a = keccak256(new Uint8Array([1]))
    const copy = a.slice()
    keccak256(new Uint8Array([2]))
    keccak256Pair(new Uint8Array(32), new Uint8Array(32))
    expect(a).toEqual(copy)
  })
})

describe('keccak256Pair / keccakHasher', () => {
  it('equals keccak256 of the 64-byte concatenation', () => {
    for (let seed = 1; seed < 200; seed++) {
      const left = pseudoRandomBytes(32, seed)
      const right = pseudoRandomBytes(32, seed * 7919)
      const joined = new Uint8Array(64)
      joined.set(left)
      joined.set(right, 32)
      expect(hex(keccakHasher.hash2(left, right))).toBe(hex(keccak_256(joined)))
    }
  })

  it('rejects inputs that are not 32 bytes', () => {
    expect(() => keccak256Pair(new Uint8Array(31), new Uint8Array(32))).toThrow(/32-byte/)
    expect(() => keccak256Pair(new Uint8Array(32), new Uint8Array(33))).toThrow(/32-byte/)
  })

  it('is named keccak256', () => {
    expect(keccakHasher.name).toBe('keccak256')
  })
})

describe('fallback without WebAssembly', () => {
  it('gives the same digests through @noble/hashes', async () => {
    vi.resetModules()
    vi.stubGlobal('WebAssembly', undefined)
    try {
      const fallback = await import('./hash.ts')
      expect(fallback.keccakUsesWasm).toBe(false)
      for (const length of [0, 5, 64, 136, 200]) {
        const message = pseudoRandomBytes(length, 3)
        expect(hex(fallback.keccak256(message))).toBe(hex(keccak_256(message)))
      }
      const left = pseudoRandomBytes(32, 4)
      const right = pseudoRandomBytes(32, 5)
      expect(hex(fallback.keccakHasher.hash2(left, right))).toBe(hex(keccakHasher.hash2(left, right)))
    } finally {
      vi.unstubAllGlobals()
      vi.resetModules()
    }
  })
})

describe('keccak256PairInto', () => {
  it('writes the same digest as hash2 at the given offsets, also when source and destination alias', () => {
    const buffer = pseudoRandomBytes(200, 77)
    const left = buffer.slice(10, 42)
    const right = buffer.slice(42, 74)
    const expected = keccakHasher.hash2(left, right)
    const out = new Uint8Array(50)
    keccakHasher.hash2Into!(buffer, 10, out, 7)
    expect(out.subarray(7, 39)).toEqual(expected)
    keccakHasher.hash2Into!(buffer, 10, buffer, 20)
    expect(buffer.subarray(20, 52)).toEqual(expected)
    expect(() => keccakHasher.hash2Into!(buffer, 150, out, 0)).toThrow(RangeError)
  })
})
