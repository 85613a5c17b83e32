import { describe, expect, it } from 'vitest'
import { bytesToHex } from '../../core/bytes.ts'
import { keccak256, keccak256Pair } from '../../core/hash.ts'
import { BLOCK_TREE_DEPTH, BlockTree, blockRoot, rootFromProof, verifyProof } from './merkle.ts'

const leaf = (i: number) => keccak256(new Uint8Array([i, i >> 8]))

describe('block tree', () => {
  it('matches a naive full tree of depth 16 for a few leaves', () => {
    const leaves = [leaf(1), leaf(2), leaf(3)]
    let level: Uint8Array[] = Array.from(
      { length: 1 << BLOCK_TREE_DEPTH },
      (_, i) => leaves[i] ?? new Uint8Array(32),
    )
    while (level.length > 1) {
      const up: Uint8Array[] = []
      for (let i = 0; i < level.length; i += 2)
        up.push(keccak256Pair(level[i] as Uint8Array, level[i + 1] as Uint8Array))
      level = up
    }
    expect(bytesToHex(blockRoot(leaves))).toBe(bytesToHex(level[0] as Uint8Array))
  })

  it('proves every leaf and rejects a wrong leaf, index or length', () => {
    const leaves = Array.from({ length: 37 }, (_, i) => leaf(i))
    const tree = new BlockTree(leaves)
    for (let i = 0; i < leaves.length; i++) {
      expect(verifyProof(leaves[i] as Uint8Array, i, tree.proof(i), tree.root)).toBe(true)
    }
    expect(verifyProof(leaf(99), 3, tree.proof(3), tree.root)).toBe(false)
    expect(verifyProof(leaves[3] as Uint8Array, 4, tree.proof(3), tree.root)).toBe(false)
    // an empty slot is provably empty
    expect(verifyProof(new Uint8Array(32), 40, tree.proof(40), tree.root)).toBe(true)
    expect(() => rootFromProof(leaf(1), 1, '0x1234')).toThrow(
      expect.objectContaining({ code: 'PLASMA_BAD_PROOF' }),
    )
  })
})
