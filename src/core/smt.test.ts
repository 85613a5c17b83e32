// biome-ignore-all lint/style/noNonNullAssertion: tests index data they just built
import { describe, expect, it } from 'vitest'
import { type Hasher, keccakHasher } from './hash.ts'
import { SparseMerkleTree, zeroHashes } from './smt.ts'

/** Deterministic xorshift32 stream, so failures reproduce. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return x >>> 0
  }
}

function randomLeaf(next: () => number): Uint8Array {
  const leaf = new Uint8Array(32)
  for (let i = 0; i < 32; i += 4) new DataView(leaf.buffer).setUint32(i, next())
  return leaf
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

/** Reference: the full recursive definition over a dense map of leaves, no caching, no sparsity tricks. */
function naiveRoot(hasher: Hasher, depth: number, leaves: Map<bigint, Uint8Array>): Uint8Array {
  const zeros = zeroHashes(hasher)
  const rec = (height: number, prefix: bigint): Uint8Array => {
    // prefix = index of the node at `height`; empty subtree shortcut keeps the recursion finite.
    const lo = prefix << BigInt(height)
    const hi = (prefix + 1n) << BigInt(height)
    let any = false
    for (const k of leaves.keys()) if (k >= lo && k < hi) any = true
    if (!any) return zeros[height]!
    if (height === 0) return leaves.get(prefix)!
    return hasher.hash2(rec(height - 1, prefix * 2n), rec(height - 1, prefix * 2n + 1n))
  }
  return rec(depth, 0n)
}

describe('SparseMerkleTree', () => {
  it('has the zero hash of its height as the root when empty, and zero[i+1] = H(zero[i], zero[i])', () => {
    const zeros = zeroHashes(keccakHasher)
    expect(zeros[0]).toEqual(new Uint8Array(32))
    for (let i = 0; i < 64; i++) expect(zeros[i + 1]).toEqual(keccakHasher.hash2(zeros[i]!, zeros[i]!))
    for (const depth of [1, 8, 32, 64]) expect(new SparseMerkleTree(depth).root()).toEqual(zeros[depth])
    // Well-known keccak zero hash of height 1 (as in the deposit contract).
    expect(hex(zeros[1]!)).toBe('ad3228b676f7d3cd4284a5443f17f1962b36e491b30a40b2405849e597ba5fb5')
  })

  it('matches a naive full recomputation on random sets of leaves, across depths and update batches', () => {
    for (const depth of [1, 2, 5, 8, 16, 32, 53, 64]) {
      const next = rng(depth * 101)
      const tree = new SparseMerkleTree(depth)
      const reference = new Map<bigint, Uint8Array>()
      const max = depth >= 31 ? 2 ** 31 : 2 ** depth
      for (let round = 0; round < 4; round++) {
        for (let n = 0; n < 25; n++) {
          // Mix small (clustered) and large (spread) indices; for deep trees also indices above 2^52.
          let index: bigint = BigInt(n % 3 === 0 ? next() % Math.min(max, 64) : next() % max)
          if (depth > 52 && n % 5 === 0) index = (BigInt(next()) << BigInt(depth - 32)) | BigInt(next() % 4)
          const leaf = n % 7 === 6 ? new Uint8Array(32) : randomLeaf(next)
          tree.set(index, leaf)
          if (leaf.every((b) => b === 0)) reference.delete(index)
          else reference.set(index, leaf)
        }
        expect(hex(tree.root()), `depth ${depth} round ${round}`).toBe(
          hex(naiveRoot(keccakHasher, depth, reference)),
        )
        expect(tree.size).toBe(reference.size)
      }
    }
  })

  it('accepts number and bigint indices interchangeably, up to 2^32 - 1 in a depth-32 tree', () => {
    const a = new SparseMerkleTree(32)
    const b = new SparseMerkleTree(32)
    const leaf = randomLeaf(rng(3))
    a.set(2 ** 32 - 1, leaf)
    b.set(2n ** 32n - 1n, leaf)
    a.set(2 ** 31, leaf)
    b.set(2n ** 31n, leaf)
    expect(a.root()).toEqual(b.root())
    expect(a.get(4294967295n)).toEqual(leaf)
    expect(b.has(2 ** 31)).toBe(true)
  })

  it('rejects indices outside the tree and leaves that are not 32 bytes', () => {
    const tree = new SparseMerkleTree(8)
    expect(() => tree.set(256, new Uint8Array(32))).toThrow(RangeError)
    expect(() => tree.set(-1, new Uint8Array(32))).toThrow(RangeError)
    expect(() => tree.set(1.5, new Uint8Array(32))).toThrow(RangeError)
    expect(() => tree.set(256n, new Uint8Array(32))).toThrow(RangeError)
    expect(() => tree.set(0, new Uint8Array(31))).toThrow(RangeError)
    expect(() => new SparseMerkleTree(0)).toThrow(RangeError)
    expect(() => new SparseMerkleTree(65)).toThrow(RangeError)
  })

  it('deletes a leaf set to all zeros, restoring the previous root exactly', () => {
    const next = rng(11)
    const tree = new SparseMerkleTree(32)
    for (let i = 0; i < 50; i++) tree.set(next(), randomLeaf(next))
    const before = tree.root()
    const sizeBefore = tree.size
    tree.set(123456789, randomLeaf(next))
    expect(tree.root()).not.toEqual(before)
    tree.set(123456789, new Uint8Array(32))
    expect(tree.root()).toEqual(before)
    expect(tree.size).toBe(sizeBefore)
    expect(tree.get(123456789)).toEqual(new Uint8Array(32))
  })

  it('returns to the empty root when every leaf is deleted, without stale inner nodes', () => {
    const next = rng(12)
    const tree = new SparseMerkleTree(32)
    const indices = Array.from({ length: 40 }, () => next())
    for (const i of indices) tree.set(i, randomLeaf(next))
    tree.root()
    for (const i of indices) tree.set(i, new Uint8Array(32))
    expect(tree.root()).toEqual(zeroHashes(keccakHasher)[32])
    // Re-adding one leaf gives the same root as a fresh tree with only that leaf.
    const leaf = randomLeaf(next)
    tree.set(7, leaf)
    const fresh = new SparseMerkleTree(32)
    fresh.set(7, leaf)
    expect(tree.root()).toEqual(fresh.root())
  })

  it('gives the same root however updates are grouped between root() calls', () => {
    const next = rng(13)
    const updates = Array.from(
      { length: 300 },
      (_, i) => [next() % 1000, i % 9 === 0 ? new Uint8Array(32) : randomLeaf(next)] as const,
    )
    const once = new SparseMerkleTree(32)
    const often = new SparseMerkleTree(32)
    for (const [i, leaf] of updates) {
      once.set(i, leaf)
      often.set(i, leaf)
      often.root()
    }
    expect(once.root()).toEqual(often.root())
  })

  it('produces proofs that verify, and that fail for another leaf, index or root', () => {
    const next = rng(14)
    const tree = new SparseMerkleTree(32)
    const indices = [0, 1, 2, 3, 1000, 2 ** 32 - 1, 2 ** 31]
    for (const i of indices) tree.set(i, randomLeaf(next))
    for (let n = 0; n < 30; n++) tree.set(next(), randomLeaf(next))
    const root = tree.root()
    for (const i of [...indices, 5 /* empty leaf: proof of non-membership */]) {
      const leaf = tree.get(i)
      const siblings = tree.proof(i)
      expect(siblings).toHaveLength(32)
      expect(SparseMerkleTree.verifyProof(keccakHasher, 32, root, leaf, i, siblings)).toBe(true)
      expect(SparseMerkleTree.computeRoot(keccakHasher, 32, leaf, i, siblings)).toEqual(root)
      expect(SparseMerkleTree.verifyProof(keccakHasher, 32, root, randomLeaf(next), i, siblings)).toBe(false)
      // Moving a non-empty leaf to its sibling position changes the root (an empty one next to an empty one cannot).
      if (i !== 5)
        expect(
          SparseMerkleTree.verifyProof(keccakHasher, 32, root, leaf, i % 2 ? i - 1 : i + 1, siblings),
        ).toBe(false)
      expect(SparseMerkleTree.verifyProof(keccakHasher, 32, randomLeaf(next), leaf, i, siblings)).toBe(false)
    }
  })

  it('proves leaves of a depth-64 tree at indices beyond 2^53 (bigint positions)', () => {
    const next = rng(21)
    const tree = new SparseMerkleTree(64)
    const indices = [0n, 2n ** 64n - 1n, 2n ** 53n + 1n, 2n ** 63n, 12345n]
    for (const i of indices) tree.set(i, randomLeaf(next))
    const root = tree.root()
    for (const i of indices) {
      expect(SparseMerkleTree.verifyProof(keccakHasher, 64, root, tree.get(i), i, tree.proof(i))).toBe(true)
    }
    expect(() => tree.set(2n ** 64n, randomLeaf(next))).toThrow(RangeError)
    expect(new Set(Array.from(tree.entries(), ([i]) => i))).toEqual(new Set(indices))
  })

  it('lists non-empty leaves with entries()', () => {
    const tree = new SparseMerkleTree(32)
    const a = randomLeaf(rng(22))
    const b = randomLeaf(rng(23))
    tree.set(4, a)
    tree.set(5, b)
    tree.set(2 ** 32 - 1, a)
    tree.set(5, new Uint8Array(32))
    const entries = new Map(tree.entries())
    expect(entries).toEqual(
      new Map([
        [4, a],
        [2 ** 32 - 1, a],
      ]),
    )
  })

  it('treats malformed proofs as invalid instead of throwing in verifyProof', () => {
    const tree = new SparseMerkleTree(8)
    tree.set(3, randomLeaf(rng(15)))
    const root = tree.root()
    const siblings = tree.proof(3)
    expect(SparseMerkleTree.verifyProof(keccakHasher, 8, root, tree.get(3), 3, siblings.slice(1))).toBe(false)
    expect(SparseMerkleTree.verifyProof(keccakHasher, 8, root, tree.get(3), 256, siblings)).toBe(false)
    expect(() => SparseMerkleTree.computeRoot(keccakHasher, 8, tree.get(3), 3, siblings.slice(1))).toThrow(
      RangeError,
    )
  })

  it('puts the running node on the right at level i when bit i of the index is 1', () => {
    const leaf = randomLeaf(rng(16))
    const tree = new SparseMerkleTree(2)
    tree.set(2, leaf) // binary 10: left child at level 0, right child at level 1
    const z = zeroHashes(keccakHasher)
    const expected = keccakHasher.hash2(z[1]!, keccakHasher.hash2(leaf, z[0]!))
    expect(tree.root()).toEqual(expected)
    expect(tree.proof(2)).toEqual([z[0], z[1]])
  })

  it('never exposes internal storage: mutating returned or passed arrays does not change the tree', () => {
    const tree = new SparseMerkleTree(8)
    const leaf = randomLeaf(rng(17))
    tree.set(1, leaf)
    const root = tree.root()
    leaf.fill(9)
    tree.get(1).fill(9)
    tree.root().fill(9)
    tree.proof(1)[0]!.fill(9)
    expect(tree.root()).toEqual(root)
  })

  it('clones into an independent tree', () => {
    const next = rng(18)
    const tree = new SparseMerkleTree(32)
    for (let i = 0; i < 20; i++) tree.set(next(), randomLeaf(next))
    tree.set(5, randomLeaf(next)) // dirty at clone time
    const copy = tree.clone()
    expect(copy.root()).toEqual(tree.root())
    copy.set(6, randomLeaf(next))
    expect(copy.root()).not.toEqual(tree.root())
    expect(tree.has(6)).toBe(false)
  })

  it('computes rootOf a small leaf set equal to the tree root', () => {
    const next = rng(19)
    for (const count of [0, 1, 2, 5, 40, 256]) {
      const tree = new SparseMerkleTree(8)
      const leaves: [number, Uint8Array][] = []
      for (let i = 0; i < count; i++) {
        const index = count === 256 ? i : next() % 256
        if (leaves.some(([k]) => k === index)) continue
        const leaf = i % 4 === 3 ? new Uint8Array(32) : randomLeaf(next)
        leaves.push([index, leaf])
        tree.set(index, leaf)
      }
      expect(SparseMerkleTree.rootOf(keccakHasher, 8, leaves)).toEqual(tree.root())
    }
    expect(() =>
      SparseMerkleTree.rootOf(keccakHasher, 8, [
        [1, new Uint8Array(32)],
        [1, new Uint8Array(32)],
      ]),
    ).toThrow(/twice/)
  })

  it('works with a pluggable hasher', () => {
    const xorHasher: Hasher = {
      name: 'xor-test',
      hash2: (l, r) => l.map((b, i) => (b ^ (r[i]! * 3) ^ 1) & 0xff),
    }
    const tree = new SparseMerkleTree(16, xorHasher)
    const reference = new Map<bigint, Uint8Array>()
    const next = rng(20)
    for (let i = 0; i < 30; i++) {
      const index = next() % 65536
      const leaf = randomLeaf(next)
      tree.set(index, leaf)
      reference.set(BigInt(index), leaf)
    }
    expect(tree.root()).toEqual(naiveRoot(xorHasher, 16, reference))
    const root = tree.root()
    const [index] = reference.keys()
    expect(
      SparseMerkleTree.verifyProof(xorHasher, 16, root, reference.get(index!)!, index!, tree.proof(index!)),
    ).toBe(true)
  })
})
