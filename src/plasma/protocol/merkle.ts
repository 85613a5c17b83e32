/**
 * A Plasma block's transaction tree (docs/plasma.md, "Blocks"): binary keccak, depth 16, leaves at depth 16 in
 * transaction order, empty leaves `bytes32(0)`. Fixed depth, so a proof is always 16 siblings (512 bytes) and an inner
 * node can never pass for a leaf. Pure; the tree itself is core's `KeccakTree` (the sidechain's withdrawals use the
 * same), with Plasma's error codes.
 */
import {
  KeccakTree,
  type KeccakTreeErrors,
  keccakRootFromProof,
  keccakTreeRoot,
  verifyKeccakProof,
} from '../../core/keccakTree.ts'
import type { Hex } from '../../core/types.ts'
import { PlasmaErrorCode } from './errors.ts'

export const BLOCK_TREE_DEPTH = 16
export const MAX_BLOCK_TXS = 1 << BLOCK_TREE_DEPTH
const errors: KeccakTreeErrors = { tooManyLeaves: PlasmaErrorCode.busy, badProof: PlasmaErrorCode.badProof }

/** Root of a block's leaves (an empty block's root is the all-empty tree's). */
export function blockRoot(leaves: readonly Uint8Array[]): Uint8Array {
  return keccakTreeRoot(leaves, BLOCK_TREE_DEPTH, errors)
}

/** A tree kept to answer many proofs of one block. */
export class BlockTree {
  readonly #tree: KeccakTree
  constructor(leaves: readonly Uint8Array[]) {
    this.#tree = new KeccakTree(leaves, BLOCK_TREE_DEPTH, errors)
  }
  get root(): Uint8Array {
    return this.#tree.root
  }
  /** The 16 siblings of leaf `index` from the leaf level up, concatenated (512 bytes, the contract's `proof`). */
  proof(index: number): Hex {
    return this.#tree.proof(index)
  }
}

/** The root a 512-byte proof leads to from `leaf` at `index`. Throws `PLASMA_BAD_PROOF` on a wrong length. */
export function rootFromProof(leaf: Uint8Array, index: number, proof: Hex): Uint8Array {
  return keccakRootFromProof(leaf, index, proof, BLOCK_TREE_DEPTH, errors)
}

export function verifyProof(leaf: Uint8Array, index: number, proof: Hex, root: Uint8Array): boolean {
  return verifyKeccakProof(leaf, index, proof, root, BLOCK_TREE_DEPTH)
}
