import { describe, expect, it } from 'vitest'
import {
  ADDRESS_TREE_DEPTH,
  AddressTree,
  addressRootFrom,
  emptyAddressesRoot,
  verifyAddressProof,
} from './addressTree.ts'
import { bytesToHex } from './bytes.ts'
import { isL2kitError } from './errors.ts'
import { keccak256Pair } from './hash.ts'
import type { Hex } from './types.ts'

/** `xs[i]`, failing the test when it is missing. */
function at<T>(xs: readonly T[], i: number): T {
  const v = xs[i]
  if (v === undefined) throw new Error(`no element ${i}`)
  return v
}

const addr = (n: bigint): string => `0x${n.toString(16).padStart(40, '0')}`

/** Deterministic pseudo-random addresses (xorshift), so failures reproduce. */
function randomAddresses(count: number, seed: bigint): string[] {
  let x = seed
  const out: string[] = []
  for (let i = 0; i < count; i++) {
    let v = 0n
    for (let k = 0; k < 3; k++) {
      x ^= (x << 13n) & 0xffffffffffffffffn
      x ^= x >> 7n
      x ^= (x << 17n) & 0xffffffffffffffffn
      v = (v << 64n) | x
    }
    out.push(addr(v & ((1n << 160n) - 1n)))
  }
  return out
}

function word(value: bigint): Uint8Array {
  const out = new Uint8Array(32)
  for (let i = 31, v = value; v > 0n; i--, v >>= 8n) out[i] = Number(v & 0xffn)
  return out
}

/** The definition, level by level over every occupied node: independent of the trie. */
function naiveRoot(entries: ReadonlyMap<string, number>): Hex {
  const zeros: Uint8Array[] = [new Uint8Array(32)]
  for (let i = 0; i < ADDRESS_TREE_DEPTH; i++) zeros.push(keccak256Pair(at(zeros, i), at(zeros, i)))
  let level = new Map<bigint, Uint8Array>()
  for (const [a, index] of entries) level.set(BigInt(a), word(BigInt(index) + 1n))
  for (let h = 0; h < ADDRESS_TREE_DEPTH; h++) {
    const next = new Map<bigint, Uint8Array>()
    for (const key of level.keys()) {
      const parent = key >> 1n
      if (next.has(parent)) continue
      const left = level.get(parent << 1n) ?? at(zeros, h)
      const right = level.get((parent << 1n) | 1n) ?? at(zeros, h)
      next.set(parent, keccak256Pair(left, right))
    }
    level = next
  }
  return bytesToHex(level.get(0n) ?? at(zeros, ADDRESS_TREE_DEPTH))
}

function treeOf(entries: ReadonlyMap<string, number>): AddressTree {
  const tree = new AddressTree()
  for (const [a, i] of entries) tree.set(a, i)
  return tree
}

/** Addresses that stress the trie: neighbours, keys parting at the top bit and at the bottom bit, extremes. */
const EDGE_CASES = [
  addr(0n),
  addr(1n),
  addr(2n),
  addr(3n),
  addr((1n << 160n) - 1n),
  addr(1n << 159n),
  addr((1n << 159n) | 1n),
  '0x4200000000000000000000000000000000000011',
  '0x4200000000000000000000000000000000000010',
]

describe('AddressTree', () => {
  it('has the all-zero-leaves root when empty', () => {
    const tree = new AddressTree()
    expect(tree.root()).toBe(naiveRoot(new Map()))
    expect(emptyAddressesRoot()).toBe(tree.root())
    expect(tree.size).toBe(0)
  })

  it('matches the naive definition on small trees, edge-case keys included', () => {
    const cases: Map<string, number>[] = [
      new Map([[at(EDGE_CASES, 0), 0]]),
      new Map([[at(EDGE_CASES, 4), 7]]),
      new Map(EDGE_CASES.map((a, i) => [a, i])),
      new Map(randomAddresses(40, 0x1234567n).map((a, i) => [a, i * 3])),
      new Map([...EDGE_CASES, ...randomAddresses(20, 99n)].map((a, i) => [a, 1000 + i])),
    ]
    for (const entries of cases) expect(treeOf(entries).root()).toBe(naiveRoot(entries))
  })

  it('encodes the largest account index (leaf 2^32, beyond 32-bit integers) correctly', () => {
    const entries = new Map([
      [at(EDGE_CASES, 1), 2 ** 32 - 1],
      [at(EDGE_CASES, 7), 2 ** 31],
    ])
    const tree = treeOf(entries)
    expect(tree.root()).toBe(naiveRoot(entries))
    expect(tree.proof(at(EDGE_CASES, 1)).leaf).toBe(2n ** 32n)
    expect(() => tree.set(at(EDGE_CASES, 2), 2 ** 32)).toThrow(/\[0, 2\^32\)/)
    expect(() => tree.set(at(EDGE_CASES, 2), -1)).toThrow(/\[0, 2\^32\)/)
  })

  it('gets indices of members and undefined for non-members, in any case', () => {
    const entries = new Map(EDGE_CASES.map((a, i) => [a, i]))
    const tree = treeOf(entries)
    for (const [a, i] of entries) expect(tree.get(a)).toBe(i)
    expect(tree.get('0x4200000000000000000000000000000000000012')).toBeUndefined()
    expect(tree.get(addr(4n))).toBeUndefined()
    expect(tree.get('0xABCDEF0000000000000000000000000000000000')).toBeUndefined()
    tree.set('0xABCDEF0000000000000000000000000000000000', 77)
    expect(tree.get('0xabcdef0000000000000000000000000000000000')).toBe(77)
    expect(tree.size).toBe(EDGE_CASES.length + 1)
  })

  it('proves membership with leaf = index + 1 against the root', () => {
    const entries = new Map([...EDGE_CASES, ...randomAddresses(30, 5n)].map((a, i) => [a, i]))
    const tree = treeOf(entries)
    const root = tree.root()
    for (const [a, i] of entries) {
      const proof = tree.proof(a)
      expect(proof.leaf).toBe(BigInt(i) + 1n)
      expect(proof.siblings).toHaveLength(160)
      expect(verifyAddressProof(root, a, proof.leaf, proof.siblings)).toBe(true)
      expect(verifyAddressProof(root, a, proof.leaf + 1n, proof.siblings)).toBe(false)
      expect(verifyAddressProof(root, a, 0n, proof.siblings)).toBe(false)
    }
  })

  it('proves non-membership (leaf 0) whether the key parts inside an edge or lands on an empty child', () => {
    const entries = new Map(EDGE_CASES.map((a, i) => [a, i]))
    const tree = treeOf(entries)
    const root = tree.root()
    const absent = [
      addr(4n), // parts from 0..3 at bit 2, inside their shared edge
      addr(5n),
      '0x4200000000000000000000000000000000000012', // neighbour of the fee vault
      addr((1n << 159n) | 2n),
      addr((1n << 160n) - 2n),
      ...randomAddresses(10, 77n),
    ]
    for (const a of absent) {
      const proof = tree.proof(a)
      expect(proof.leaf).toBe(0n)
      expect(verifyAddressProof(root, a, 0n, proof.siblings)).toBe(true)
      // The same siblings with a non-zero leaf must not verify: an absent address cannot pose as a member.
      expect(verifyAddressProof(root, a, 1n, proof.siblings)).toBe(false)
    }
    const empty = new AddressTree()
    const proof = empty.proof(addr(9n))
    expect(verifyAddressProof(empty.root(), addr(9n), 0n, proof.siblings)).toBe(true)
  })

  it('keeps proofs right after updates, and a proof against an old root does not verify against the new one', () => {
    const first = randomAddresses(12, 31n)
    const later = randomAddresses(12, 32n)
    const tree = new AddressTree()
    const entries = new Map<string, number>()
    for (const [i, a] of first.entries()) {
      tree.set(a, i)
      entries.set(a, i)
    }
    const oldRoot = tree.root()
    const oldProof = tree.proof(at(later, 0))
    expect(verifyAddressProof(oldRoot, at(later, 0), 0n, oldProof.siblings)).toBe(true)
    for (const [i, a] of later.entries()) {
      tree.set(a, 100 + i)
      entries.set(a, 100 + i)
      // Interleave root() calls with inserts: memoized hashes must never go stale.
      if (i % 3 === 0) expect(tree.root()).toBe(naiveRoot(entries))
    }
    tree.set(at(first, 0), 555) // overwrite an existing entry
    entries.set(at(first, 0), 555)
    const root = tree.root()
    expect(root).toBe(naiveRoot(entries))
    expect(verifyAddressProof(root, at(later, 0), 0n, oldProof.siblings)).toBe(false)
    for (const [a, i] of entries) {
      const proof = tree.proof(a)
      expect(proof.leaf).toBe(BigInt(i) + 1n)
      expect(verifyAddressProof(root, a, proof.leaf, proof.siblings)).toBe(true)
    }
    expect(tree.size).toBe(24)
  })

  it('re-lifts a hashed edge correctly wherever a later key splits it (above, at or below its checkpoint)', () => {
    // Each key below splits the edge above addr(0) or addr(2^159) at a different height after a root() call.
    const splitters = [
      1n << 150n,
      1n << 140n,
      1n << 152n,
      1n << 60n,
      1n,
      1n << 155n,
      (1n << 159n) | (1n << 158n),
    ]
    const tree = new AddressTree()
    const entries = new Map<string, number>([
      [addr(0n), 0],
      [addr(1n << 159n), 1],
    ])
    for (const [a, i] of entries) tree.set(a, i)
    expect(tree.root()).toBe(naiveRoot(entries))
    const snapshots: [AddressTree, Map<string, number>][] = []
    for (const [i, key] of splitters.entries()) {
      snapshots.push([tree.clone(), new Map(entries)])
      tree.set(addr(key), 10 + i)
      entries.set(addr(key), 10 + i)
      expect(tree.root()).toBe(naiveRoot(entries))
      const proof = tree.proof(addr(0n))
      expect(verifyAddressProof(tree.root(), addr(0n), 1n, proof.siblings)).toBe(true)
    }
    // Older versions share nodes whose checkpoints later versions moved: their roots must not change.
    for (const [copy, copyEntries] of snapshots) expect(copy.root()).toBe(naiveRoot(copyEntries))
  })

  it('merges queued entries in order: the last set of an address wins, within a batch and across batches', () => {
    const keys = randomAddresses(6, 4242n)
    const tree = new AddressTree()
    const entries = new Map<string, number>()
    for (const [i, a] of keys.entries()) {
      tree.set(a, i)
      tree.set(a, i + 100) // overwrite inside the same (unmerged) batch
      entries.set(a, i + 100)
    }
    const copy = tree.clone() // copies the queue: both merge the same entries separately
    expect(tree.root()).toBe(naiveRoot(entries))
    expect(copy.root()).toBe(tree.root())
    copy.set(at(keys, 0), 7) // overwrite a merged (hashed, shared) leaf: the original must not see it
    expect(copy.get(at(keys, 0))).toBe(7)
    expect(tree.get(at(keys, 0))).toBe(100)
    expect(tree.root()).toBe(naiveRoot(entries))
    expect(copy.root()).toBe(naiveRoot(new Map([...entries, [at(keys, 0), 7]])))
    expect(tree.size).toBe(6)
    expect(copy.size).toBe(6)
  })

  it('clones in O(1) without sharing later changes', () => {
    const tree = treeOf(new Map(EDGE_CASES.slice(0, 4).map((a, i) => [a, i])))
    const before = tree.root()
    const copy = tree.clone()
    copy.set(at(EDGE_CASES, 5), 9)
    tree.set(at(EDGE_CASES, 6), 10)
    expect(copy.get(at(EDGE_CASES, 6))).toBeUndefined()
    expect(tree.get(at(EDGE_CASES, 5))).toBeUndefined()
    expect(copy.root()).toBe(
      naiveRoot(new Map([...EDGE_CASES.slice(0, 4).map((a, i) => [a, i] as const), [at(EDGE_CASES, 5), 9]])),
    )
    expect(tree.root()).not.toBe(before)
    expect(tree.clone().root()).toBe(tree.root())
  })

  it('computes roots from proofs and rejects malformed input', () => {
    const tree = treeOf(new Map([[at(EDGE_CASES, 7), 0]]))
    const proof = tree.proof(at(EDGE_CASES, 7))
    expect(addressRootFrom(at(EDGE_CASES, 7), 1n, proof.siblings)).toBe(tree.root())
    expect(() => addressRootFrom(at(EDGE_CASES, 7), 1n, proof.siblings.slice(1))).toThrow(/160 siblings/)
    expect(() => addressRootFrom('0x1234', 1n, proof.siblings)).toThrow(/not an address/)
    expect(verifyAddressProof(tree.root(), at(EDGE_CASES, 7), 1n, proof.siblings.slice(1))).toBe(false)
    expect(verifyAddressProof(tree.root(), at(EDGE_CASES, 7), -1n, proof.siblings)).toBe(false)
    try {
      tree.set('not an address', 1)
      expect.unreachable()
    } catch (error) {
      expect(isL2kitError(error, 'INVALID_ADDRESS')).toBe(true)
    }
  })
})
