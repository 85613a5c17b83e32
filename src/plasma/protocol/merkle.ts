/**
 * A Plasma block's transaction tree (docs/plasma.md, "Blocks"): binary keccak, depth 16, leaves at depth 16 in
 * transaction order, empty leaves `bytes32(0)`. Fixed depth, so a proof is always 16 siblings (512 bytes) and an inner
 * node can never pass for a leaf. Pure.
 */
import { bytesToHex, concatBytes, equalBytes, hexToBytes } from '../../core/bytes.ts'
import { L2kitError } from '../../core/errors.ts'
import { keccak256Pair, keccakHasher } from '../../core/hash.ts'
import { zeroHashes } from '../../core/smt.ts'
import type { Hex } from '../../core/types.ts'
import { PlasmaErrorCode } from './errors.ts'

export const BLOCK_TREE_DEPTH = 16
export const MAX_BLOCK_TXS = 1 << BLOCK_TREE_DEPTH
const zeros = zeroHashes(keccakHasher, BLOCK_TREE_DEPTH)

/** Every level of the tree over `leaves` (level 0 the leaves), the empty right ends left implicit. */
function levels(leaves: readonly Uint8Array[]): Uint8Array[][] {
  if (leaves.length > MAX_BLOCK_TXS) {
    throw new L2kitError(PlasmaErrorCode.busy, `a block holds at most ${MAX_BLOCK_TXS} transactions`)
  }
  const out: Uint8Array[][] = [leaves.slice()]
  for (let d = 0; d < BLOCK_TREE_DEPTH; d++) {
    const below = out[d] as Uint8Array[]
    const above: Uint8Array[] = []
    for (let i = 0; i < below.length; i += 2) {
      above.push(keccak256Pair(below[i] as Uint8Array, below[i + 1] ?? (zeros[d] as Uint8Array)))
    }
    out.push(above)
  }
  return out
}

/** Root of a block's leaves (an empty block's root is the all-empty tree's). */
export function blockRoot(leaves: readonly Uint8Array[]): Uint8Array {
  return levels(leaves)[BLOCK_TREE_DEPTH]?.[0] ?? (zeros[BLOCK_TREE_DEPTH] as Uint8Array)
}

/** A tree kept to answer many proofs of one block. */
export class BlockTree {
  readonly #levels: Uint8Array[][]
  constructor(leaves: readonly Uint8Array[]) {
    this.#levels = levels(leaves)
  }
  get root(): Uint8Array {
    return this.#levels[BLOCK_TREE_DEPTH]?.[0] ?? (zeros[BLOCK_TREE_DEPTH] as Uint8Array)
  }
  /** The 16 siblings of leaf `index` from the leaf level up, concatenated (512 bytes, the contract's `proof`). */
  proof(index: number): Hex {
    if (!Number.isInteger(index) || index < 0 || index >= MAX_BLOCK_TXS) {
      throw new L2kitError(PlasmaErrorCode.badProof, `no leaf ${index} in a block of ${MAX_BLOCK_TXS}`)
    }
    const siblings: Uint8Array[] = []
    let i = index
    for (let d = 0; d < BLOCK_TREE_DEPTH; d++) {
      siblings.push((this.#levels[d] as Uint8Array[])[i ^ 1] ?? (zeros[d] as Uint8Array))
      i >>= 1
    }
    return bytesToHex(concatBytes(...siblings))
  }
}

/** The root a 512-byte proof leads to from `leaf` at `index`. Throws `PLASMA_BAD_PROOF` on a wrong length. */
export function rootFromProof(leaf: Uint8Array, index: number, proof: Hex): Uint8Array {
  const p = hexToBytes(proof, PlasmaErrorCode.badProof)
  if (p.length !== 32 * BLOCK_TREE_DEPTH) {
    throw new L2kitError(
      PlasmaErrorCode.badProof,
      `a proof is ${32 * BLOCK_TREE_DEPTH} bytes, got ${p.length}`,
    )
  }
  let node = leaf
  let i = index
  for (let d = 0; d < BLOCK_TREE_DEPTH; d++) {
    const sibling = p.subarray(32 * d, 32 * d + 32)
    node = (i & 1) === 0 ? keccak256Pair(node, sibling) : keccak256Pair(sibling, node)
    i >>= 1
  }
  return node
}

export function verifyProof(leaf: Uint8Array, index: number, proof: Hex, root: Uint8Array): boolean {
  try {
    return equalBytes(rootFromProof(leaf, index, proof), root)
  } catch {
    return false
  }
}
