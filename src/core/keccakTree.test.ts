import { describe, expect, it } from 'vitest'
import { bytesToHex, hexToBytes } from './bytes.ts'
import { keccak256, keccak256Pair } from './hash.ts'
import { KeccakTree, keccakRootFromProof, keccakTreeRoot, verifyKeccakProof } from './keccakTree.ts'

const leaf = (i: number) => keccak256(new Uint8Array([i, i >> 8]))

/** The naive full tree: every leaf slot materialised. */
function naiveRoot(leaves: Uint8Array[], depth: number): Uint8Array {
  let level: Uint8Array[] = Array.from({ length: 2 ** depth }, (_, i) => leaves[i] ?? new Uint8Array(32))
  while (level.length > 1) {
    const up: Uint8Array[] = []
    for (let i = 0; i < level.length; i += 2)
      up.push(keccak256Pair(level[i] as Uint8Array, level[i + 1] as Uint8Array))
    level = up
  }
  return level[0] as Uint8Array
}

/** SparseMerkle.sol's computeRoot, step for step: bit i of the index set = the running node is the right child. */
function solidityComputeRoot(node: Uint8Array, index: number, siblings: Uint8Array[]): Uint8Array {
  let root = node
  siblings.forEach((s, i) => {
    root = ((index >> i) & 1) === 1 ? keccak256Pair(s, root) : keccak256Pair(root, s)
  })
  return root
}

describe('keccak tree', () => {
  it('matches a naive full tree for several depths and leaf counts', () => {
    for (const depth of [1, 3, 5, 10]) {
      for (const n of [0, 1, 2, 3, 2 ** depth]) {
        const leaves = Array.from({ length: Math.min(n, 2 ** depth) }, (_, i) => leaf(i))
        expect(bytesToHex(keccakTreeRoot(leaves, depth))).toBe(bytesToHex(naiveRoot(leaves, depth)))
      }
    }
  })

  it('proves every leaf as SparseMerkle.computeRoot checks it, and rejects wrong leaves, indices, lengths', () => {
    const depth = 16
    const leaves = Array.from({ length: 37 }, (_, i) => leaf(i))
    const tree = new KeccakTree(leaves, depth)
    for (let i = 0; i < leaves.length; i++) {
      const proof = tree.proof(i)
      expect(verifyKeccakProof(leaves[i] as Uint8Array, i, proof, tree.root, depth)).toBe(true)
      const bytes = hexToBytes(proof)
      const siblings = Array.from({ length: depth }, (_, d) => bytes.subarray(32 * d, 32 * d + 32))
      expect(bytesToHex(solidityComputeRoot(leaves[i] as Uint8Array, i, siblings))).toBe(
        bytesToHex(tree.root),
      )
    }
    expect(verifyKeccakProof(leaf(99), 3, tree.proof(3), tree.root, depth)).toBe(false)
    expect(verifyKeccakProof(leaves[3] as Uint8Array, 4, tree.proof(3), tree.root, depth)).toBe(false)
    expect(verifyKeccakProof(new Uint8Array(32), 40, tree.proof(40), tree.root, depth)).toBe(true)
    expect(() => keccakRootFromProof(leaf(1), 1, '0x1234', depth)).toThrow(
      expect.objectContaining({ code: 'INVALID_PROOF' }),
    )
    expect(() => keccakRootFromProof(leaf(1), 2 ** depth, tree.proof(0), depth)).toThrow(
      expect.objectContaining({ code: 'INVALID_PROOF' }),
    )
  })

  it('refuses more leaves than the depth holds and depths out of range, with the caller’s codes', () => {
    expect(() => keccakTreeRoot([leaf(0), leaf(1), leaf(2)], 1)).toThrow(
      expect.objectContaining({ code: 'VALUE_OUT_OF_RANGE' }),
    )
    expect(
      () => new KeccakTree([leaf(0), leaf(1), leaf(2)], 1, { tooManyLeaves: 'WITHDRAWALS_FULL' }),
    ).toThrow(expect.objectContaining({ code: 'WITHDRAWALS_FULL' }))
    expect(() => keccakTreeRoot([], 0)).toThrow(expect.objectContaining({ code: 'VALUE_OUT_OF_RANGE' }))
    expect(() => new KeccakTree([], 4).proof(16)).toThrow(expect.objectContaining({ code: 'INVALID_PROOF' }))
  })
})
