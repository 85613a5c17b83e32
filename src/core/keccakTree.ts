/**
 * A fixed-depth binary keccak tree over a list of leaves in order (Plasma's block tree, the sidechain's withdrawals
 * tree): `node = keccak256(left ‖ right)`, empty leaf = 32 zero bytes, leaves at depth `depth` from index 0, the
 * empty right ends implicit. Proofs are the `depth` siblings bottom-up, concatenated; at level `i` the running node
 * is the right child when bit `i` of the leaf index is 1 — what contracts/src/common/SparseMerkle.sol `computeRoot`
 * checks. Fixed depth, so a proof is always `32 · depth` bytes and an inner node can never pass for a leaf. Pure.
 */
import { bytesToHex, concatBytes, equalBytes, hexToBytes } from './bytes.ts'
import { type ErrorCode, L2kitError } from './errors.ts'
import { keccak256Pair, keccakHasher } from './hash.ts'
import { zeroHashes } from './smt.ts'
import type { Hex } from './types.ts'

/** Deepest tree a list of leaves may have here (2^30 leaves would not fit in memory anyway). */
export const MAX_KECCAK_TREE_DEPTH = 30

/** Error codes a caller (a family) wants raised instead of core's: its own `TOO_MANY_LEAVES` / `BAD_PROOF`. */
export type KeccakTreeErrors = { tooManyLeaves?: ErrorCode; badProof?: ErrorCode }

function checkDepth(depth: number): void {
  if (!Number.isInteger(depth) || depth < 1 || depth > MAX_KECCAK_TREE_DEPTH) {
    throw new L2kitError(
      'VALUE_OUT_OF_RANGE',
      `a keccak tree's depth is an integer in [1, ${MAX_KECCAK_TREE_DEPTH}], got ${depth}`,
    )
  }
}

/** Every level of the tree over `leaves` (level 0 the leaves), the empty right ends left implicit. */
function levels(leaves: readonly Uint8Array[], depth: number, errors: KeccakTreeErrors): Uint8Array[][] {
  checkDepth(depth)
  const capacity = 2 ** depth
  if (leaves.length > capacity) {
    throw new L2kitError(
      errors.tooManyLeaves ?? 'VALUE_OUT_OF_RANGE',
      `a depth-${depth} tree holds at most ${capacity} leaves, got ${leaves.length}`,
    )
  }
  const zeros = zeroHashes(keccakHasher, depth)
  const out: Uint8Array[][] = [leaves.slice()]
  for (let d = 0; d < depth; d++) {
    const below = out[d] as Uint8Array[]
    const above: Uint8Array[] = []
    for (let i = 0; i < below.length; i += 2) {
      above.push(keccak256Pair(below[i] as Uint8Array, below[i + 1] ?? (zeros[d] as Uint8Array)))
    }
    out.push(above)
  }
  return out
}

/** Root of a depth-`depth` tree over `leaves` (no leaves: the all-empty tree's root). */
export function keccakTreeRoot(
  leaves: readonly Uint8Array[],
  depth: number,
  errors: KeccakTreeErrors = {},
): Uint8Array {
  return levels(leaves, depth, errors)[depth]?.[0] ?? (zeroHashes(keccakHasher, depth)[depth] as Uint8Array)
}

/** A tree kept to answer many proofs over one list of leaves. */
export class KeccakTree {
  readonly depth: number
  readonly #levels: Uint8Array[][]
  readonly #errors: KeccakTreeErrors

  constructor(leaves: readonly Uint8Array[], depth: number, errors: KeccakTreeErrors = {}) {
    this.depth = depth
    this.#errors = errors
    this.#levels = levels(leaves, depth, errors)
  }

  get root(): Uint8Array {
    return this.#levels[this.depth]?.[0] ?? (zeroHashes(keccakHasher, this.depth)[this.depth] as Uint8Array)
  }

  /** The `depth` siblings of leaf `index` from the leaf level up, concatenated (`32 · depth` bytes). */
  proof(index: number): Hex {
    if (!Number.isInteger(index) || index < 0 || index >= 2 ** this.depth) {
      throw new L2kitError(
        this.#errors.badProof ?? 'INVALID_PROOF',
        `no leaf ${index} in a tree of ${2 ** this.depth}`,
      )
    }
    const zeros = zeroHashes(keccakHasher, this.depth)
    const siblings: Uint8Array[] = []
    let i = index
    for (let d = 0; d < this.depth; d++) {
      siblings.push((this.#levels[d] as Uint8Array[])[i ^ 1] ?? (zeros[d] as Uint8Array))
      i = Math.floor(i / 2)
    }
    return bytesToHex(concatBytes(...siblings))
  }
}

/**
 * The root a `32 · depth`-byte proof leads to from `leaf` at `index`. Throws `INVALID_PROOF` (or `errors.badProof`)
 * on a wrong length or an index outside the tree.
 */
export function keccakRootFromProof(
  leaf: Uint8Array,
  index: number,
  proof: Hex,
  depth: number,
  errors: KeccakTreeErrors = {},
): Uint8Array {
  checkDepth(depth)
  const code = errors.badProof ?? 'INVALID_PROOF'
  const p = hexToBytes(proof, code)
  if (p.length !== 32 * depth) {
    throw new L2kitError(code, `a proof is ${32 * depth} bytes, got ${p.length}`)
  }
  if (!Number.isInteger(index) || index < 0 || index >= 2 ** depth) {
    throw new L2kitError(code, `no leaf ${index} in a tree of ${2 ** depth}`)
  }
  let node = leaf
  let i = index
  for (let d = 0; d < depth; d++) {
    const sibling = p.subarray(32 * d, 32 * d + 32)
    node = i % 2 === 0 ? keccak256Pair(node, sibling) : keccak256Pair(sibling, node)
    i = Math.floor(i / 2)
  }
  return node
}

/** Whether `proof` puts `leaf` at `index` under `root` (false for any malformed proof). */
export function verifyKeccakProof(
  leaf: Uint8Array,
  index: number,
  proof: Hex,
  root: Uint8Array,
  depth: number,
): boolean {
  try {
    return equalBytes(keccakRootFromProof(leaf, index, proof, depth), root)
  } catch {
    return false
  }
}
