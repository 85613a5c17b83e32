/**
 * Fixed-depth sparse Merkle trees (ARCHITECTURE.md, "State and its root").
 *
 * `node = hash2(left, right)`, empty leaf = 32 zero bytes, `zero[i+1] = hash2(zero[i], zero[i])`; proofs list the
 * siblings bottom-up and at level `i` the running node is the right child when bit `i` of the leaf index is 1.
 * This is exactly what contracts/src/common/SparseMerkle.sol verifies.
 */
import { type Hasher, keccakHasher } from './hash.ts'

/** A leaf index: `number` or `bigint`, in `[0, 2^depth)`. */
export type LeafIndex = number | bigint

/** Deepest supported tree. */
export const MAX_TREE_DEPTH = 64
/** Trees up to this depth key their nodes by `number` (exact below 2^53); deeper ones by `bigint`. */
const MAX_NUMBER_KEYED_DEPTH = 52

const EMPTY_LEAF = new Uint8Array(32)

/** zero hashes per hasher: `zeros[i]` = root of an empty subtree of height `i`, as deep as any tree asked. */
const zeroCache = new WeakMap<Hasher, Uint8Array[]>()

/**
 * Roots of empty subtrees of height 0..`depth` for `hasher` (`[0]` is the empty leaf; default depth 64, the
 * address tree asks for 160). Cached per hasher, shared by every tree; do not mutate.
 */
export function zeroHashes(hasher: Hasher, depth: number = MAX_TREE_DEPTH): readonly Uint8Array[] {
  let zeros = zeroCache.get(hasher)
  if (zeros === undefined) {
    zeros = [EMPTY_LEAF]
    zeroCache.set(hasher, zeros)
  }
  while (zeros.length <= depth) {
    const below = zeros[zeros.length - 1] as Uint8Array
    zeros.push(hasher.hash2(below, below))
  }
  return zeros
}

function isZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false
  return true
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function checkDepth(depth: number): void {
  if (!Number.isInteger(depth) || depth < 1 || depth > MAX_TREE_DEPTH) {
    throw new RangeError(
      `Sparse Merkle tree depth must be an integer in [1, ${MAX_TREE_DEPTH}], got ${depth}`,
    )
  }
}

function checkWord(bytes: Uint8Array, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) {
    throw new RangeError(
      `${what} must be 32 bytes, got ${bytes instanceof Uint8Array ? bytes.length : typeof bytes}`,
    )
  }
}

/** The index as a bigint, checked to lie in [0, 2^depth). */
function bigIndex(index: LeafIndex, depth: number): bigint {
  if (typeof index === 'number' && !Number.isSafeInteger(index)) {
    throw new RangeError(`Leaf index must be a safe integer, got ${index}`)
  }
  const i = BigInt(index)
  if (i < 0n || i >> BigInt(depth) !== 0n) {
    throw new RangeError(`Leaf index ${i} is outside a depth-${depth} tree (0 <= index < 2^${depth})`)
  }
  return i
}

type Key = number | bigint

/** Hashes the 64 bytes `src[srcOffset, +64)` into `dst[dstOffset, +32)`. */
type HashInto = (src: Uint8Array, srcOffset: number, dst: Uint8Array, dstOffset: number) => void

function hashIntoFor(hasher: Hasher): HashInto {
  const into = hasher.hash2Into
  if (into !== undefined) return (src, so, dst, d) => into.call(hasher, src, so, dst, d)
  return (src, so, dst, d) =>
    dst.set(hasher.hash2(src.subarray(so, so + 32), src.subarray(so + 32, so + 64)), d)
}

/**
 * Storage for one tree level: for every non-empty node at height `h + 1`, its two children (height `h`) side by
 * side as one 64-byte block — exactly the hash input — in a shared slab. `occupied` has bit 0/1 set when the
 * left/right child is non-empty; an empty child holds the zero hash of height `h`. A block with no non-empty
 * child is freed, so "no block" = empty subtree. One Map lookup per node and no per-node allocations.
 */
class PairLevel {
  slots: Map<Key, number>
  slab: Uint8Array
  occupied: Uint8Array
  free: number[]
  /** Slots handed out so far (high-water mark). */
  used: number
  /** Zero hash of the children's height. */
  readonly zero: Uint8Array

  constructor(zero: Uint8Array, source?: PairLevel) {
    this.zero = zero
    if (source === undefined) {
      this.slots = new Map()
      this.slab = new Uint8Array(64 * 4)
      this.occupied = new Uint8Array(4)
      this.free = []
      this.used = 0
    } else {
      this.slots = new Map(source.slots)
      this.slab = source.slab.slice(0, Math.max(64, source.used * 64))
      this.occupied = source.occupied.slice(0, Math.max(1, source.used))
      this.free = source.free.slice()
      this.used = source.used
    }
  }

  /** The slot of `key`'s block, allocating one (both children empty) if needed. May grow (replace) the slab. */
  ensure(key: Key): number {
    const existing = this.slots.get(key)
    if (existing !== undefined) return existing
    let slot = this.free.pop()
    if (slot === undefined) {
      slot = this.used++
      if (slot === this.occupied.length) {
        const slab = new Uint8Array(this.slab.length * 2)
        slab.set(this.slab)
        this.slab = slab
        const occupied = new Uint8Array(this.occupied.length * 2)
        occupied.set(this.occupied)
        this.occupied = occupied
      }
    }
    const offset = slot * 64
    this.slab.set(this.zero, offset)
    this.slab.set(this.zero, offset + 32)
    this.occupied[slot] = 0
    this.slots.set(key, slot)
    return slot
  }

  /** Makes child `half` of `key`'s block empty; frees the block when both are. False if it was already empty. */
  clear(key: Key, half: number): boolean {
    const slot = this.slots.get(key)
    if (slot === undefined) return false
    const bit = 1 << half
    const occupied = this.occupied[slot] as number
    if ((occupied & bit) === 0) return false
    if (occupied === bit) {
      this.slots.delete(key)
      this.free.push(slot)
    } else {
      this.slab.set(this.zero, slot * 64 + half * 32)
      this.occupied[slot] = occupied & ~bit
    }
    return true
  }
}

/**
 * A sparse Merkle tree of fixed depth that stores only non-empty nodes and updates lazily: `set` records the
 * leaf and marks its path dirty; `root()` rehashes the dirty paths once, level by level over sorted, deduplicated
 * positions, so `n` updates cost about `n × depth` hashes minus the upper levels they share, however many `set`s
 * came before. Returned byte arrays are copies; the tree never exposes its own storage.
 */
export class SparseMerkleTree {
  readonly depth: number
  readonly hasher: Hasher
  /** `zeros[i]` = root of an empty subtree of height i. */
  private readonly zeros: readonly Uint8Array[]
  private readonly hashInto: HashInto
  /** True when positions are bigints (depth > 52). */
  private readonly bigKeys: boolean
  /** `levels[h]` holds the children (height h) of every non-empty node at height h + 1; h in [0, depth). */
  private readonly levels: PairLevel[]
  private rootNode: Uint8Array
  private leafCount: number
  /** Level-0 block keys (parents of leaves) touched since the last flush. */
  private dirty: Set<Key>

  constructor(depth: number, hasher: Hasher = keccakHasher) {
    checkDepth(depth)
    this.depth = depth
    this.hasher = hasher
    this.zeros = zeroHashes(hasher)
    this.hashInto = hashIntoFor(hasher)
    this.bigKeys = depth > MAX_NUMBER_KEYED_DEPTH
    this.levels = Array.from({ length: depth }, (_, h) => new PairLevel(this.zero(h)))
    this.rootNode = this.zero(depth)
    this.leafCount = 0
    this.dirty = new Set()
  }

  /** Number of non-empty leaves. */
  get size(): number {
    return this.leafCount
  }

  /** Sets leaf `index` to a 32-byte value (copied); all zeros deletes it. O(1): hashing waits for `root()`. */
  set(index: LeafIndex, leaf: Uint8Array): void {
    checkWord(leaf, 'Leaf')
    const key = this.key(index)
    const parent = this.parentOf(key)
    const half = this.halfOf(key)
    const leaves = this.level(0)
    if (isZero(leaf)) {
      if (!leaves.clear(parent, half)) return
      this.leafCount--
    } else {
      const slot = leaves.ensure(parent)
      const bit = 1 << half
      const occupied = leaves.occupied[slot] as number
      if ((occupied & bit) === 0) {
        leaves.occupied[slot] = occupied | bit
        this.leafCount++
      }
      leaves.slab.set(leaf, slot * 64 + half * 32)
    }
    this.dirty.add(parent)
  }

  /** The leaf at `index` (32 zero bytes when empty), as a copy. */
  get(index: LeafIndex): Uint8Array {
    const key = this.key(index)
    return this.child(0, this.parentOf(key), this.halfOf(key))
  }

  /** Whether leaf `index` is non-empty. */
  has(index: LeafIndex): boolean {
    const key = this.key(index)
    const leaves = this.level(0)
    const slot = leaves.slots.get(this.parentOf(key))
    return slot !== undefined && ((leaves.occupied[slot] as number) & (1 << this.halfOf(key))) !== 0
  }

  /** Non-empty leaves as `[index, leaf copy]`, in no particular order (index is a bigint when depth > 52). */
  *entries(): IterableIterator<[Key, Uint8Array]> {
    const leaves = this.level(0)
    for (const [parent, slot] of leaves.slots) {
      const occupied = leaves.occupied[slot] as number
      for (let half = 0; half < 2; half++) {
        if ((occupied & (1 << half)) === 0) continue
        const index = this.bigKeys ? ((parent as bigint) << 1n) | BigInt(half) : (parent as number) * 2 + half
        yield [index, leaves.slab.slice(slot * 64 + half * 32, slot * 64 + half * 32 + 32)]
      }
    }
  }

  /** The root, after rehashing whatever changed since the last call. */
  root(): Uint8Array {
    this.flush()
    return this.rootNode.slice()
  }

  /** Siblings of leaf `index`, bottom-up (`depth` entries), for `verifyProof` / the Solidity `SparseMerkle`. */
  proof(index: LeafIndex): Uint8Array[] {
    this.flush()
    const siblings: Uint8Array[] = []
    let key = this.key(index)
    for (let height = 0; height < this.depth; height++) {
      const parent = this.parentOf(key)
      siblings.push(this.child(height, parent, 1 - this.halfOf(key)))
      key = parent
    }
    return siblings
  }

  /**
   * An independent copy: one Map copy and one slab copy per level, O(stored nodes) but mostly memcpy. Nothing is
   * shared afterwards.
   */
  clone(): SparseMerkleTree {
    const copy = new SparseMerkleTree(this.depth, this.hasher)
    for (let height = 0; height < this.depth; height++) {
      copy.levels[height] = new PairLevel(this.zero(height), this.level(height))
    }
    copy.rootNode = this.rootNode
    copy.leafCount = this.leafCount
    copy.dirty = new Set(this.dirty)
    return copy
  }

  /** Root of the tree holding `leaf` at `index`, given its siblings bottom-up. Throws on malformed input. */
  static computeRoot(
    hasher: Hasher,
    depth: number,
    leaf: Uint8Array,
    index: LeafIndex,
    siblings: readonly Uint8Array[],
  ): Uint8Array {
    checkDepth(depth)
    checkWord(leaf, 'Leaf')
    if (siblings.length !== depth) {
      throw new RangeError(`A depth-${depth} proof has ${depth} siblings, got ${siblings.length}`)
    }
    const bits = bigIndex(index, depth)
    let node = leaf
    for (let level = 0; level < depth; level++) {
      const sibling = siblings[level] as Uint8Array
      checkWord(sibling, `Sibling ${level}`)
      node = (bits >> BigInt(level)) & 1n ? hasher.hash2(sibling, node) : hasher.hash2(node, sibling)
    }
    return node
  }

  /** Whether `siblings` prove `leaf` at `index` under `root`. False (never throws) for a malformed proof. */
  static verifyProof(
    hasher: Hasher,
    depth: number,
    root: Uint8Array,
    leaf: Uint8Array,
    index: LeafIndex,
    siblings: readonly Uint8Array[],
  ): boolean {
    try {
      return equalBytes(SparseMerkleTree.computeRoot(hasher, depth, leaf, index, siblings), root)
    } catch {
      return false
    }
  }

  /**
   * Root of a tree (depth <= 52) holding exactly `leaves` (`[index, leaf]`, any order, zero leaves ignored), without
   * building one: hashes only the occupied paths. Used for small per-account trees such as token balances.
   */
  static rootOf(hasher: Hasher, depth: number, leaves: Iterable<readonly [number, Uint8Array]>): Uint8Array {
    checkDepth(depth)
    if (depth > MAX_NUMBER_KEYED_DEPTH)
      throw new RangeError(`rootOf supports depth <= ${MAX_NUMBER_KEYED_DEPTH}`)
    const zeros = zeroHashes(hasher)
    const seen = new Set<number>()
    const entries: (readonly [number, Uint8Array])[] = []
    for (const entry of leaves) {
      const [index, leaf] = entry
      checkWord(leaf, 'Leaf')
      const key = Number(bigIndex(index, depth))
      if (seen.has(key)) throw new RangeError(`Leaf index ${key} given twice`)
      seen.add(key)
      if (!isZero(leaf)) entries.push([key, leaf])
    }
    if (entries.length === 0) return (zeros[depth] as Uint8Array).slice()
    entries.sort((a, b) => a[0] - b[0])
    let keys = entries.map((e) => e[0])
    let nodes = entries.map((e) => e[1])
    for (let level = 0; level < depth; level++) {
      const zero = zeros[level] as Uint8Array
      const nextKeys: number[] = []
      const nextNodes: Uint8Array[] = []
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i] as number
        const node = nodes[i] as Uint8Array
        if (key % 2 === 0) {
          if (keys[i + 1] === key + 1) {
            nextNodes.push(hasher.hash2(node, nodes[i + 1] as Uint8Array))
            i++
          } else {
            nextNodes.push(hasher.hash2(node, zero))
          }
        } else {
          nextNodes.push(hasher.hash2(zero, node))
        }
        nextKeys.push(parentNumber(key))
      }
      keys = nextKeys
      nodes = nextNodes
    }
    return (nodes[0] as Uint8Array).slice()
  }

  private level(height: number): PairLevel {
    return this.levels[height] as PairLevel
  }

  private zero(height: number): Uint8Array {
    return this.zeros[height] as Uint8Array
  }

  /** A leaf index as this tree's key type (number for depth <= 52, bigint above), checked to be in range. */
  private key(index: LeafIndex): Key {
    if (!this.bigKeys && typeof index === 'number') {
      if (!Number.isSafeInteger(index) || index < 0 || index >= 2 ** this.depth) {
        throw new RangeError(
          `Leaf index ${index} is outside a depth-${this.depth} tree (0 <= index < 2^${this.depth})`,
        )
      }
      return index
    }
    const i = bigIndex(index, this.depth)
    return this.bigKeys ? i : Number(i)
  }

  private parentOf(key: Key): Key {
    return this.bigKeys ? (key as bigint) >> 1n : parentNumber(key as number)
  }

  private halfOf(key: Key): number {
    return this.bigKeys ? Number((key as bigint) & 1n) : (key as number) & 1
  }

  /** Copy of child `half` of block `parent` at `height` (the zero hash when absent). */
  private child(height: number, parent: Key, half: number): Uint8Array {
    const level = this.level(height)
    const slot = level.slots.get(parent)
    if (slot === undefined) return this.zero(height).slice()
    const offset = slot * 64 + half * 32
    return level.slab.slice(offset, offset + 32)
  }

  /**
   * Rehashes every dirty path: at each height, for each dirty block (sorted, deduplicated), hash it straight into
   * its slot in the parent block one level up, or mark that slot empty if the block is gone.
   */
  private flush(): void {
    if (this.dirty.size === 0) return
    const keys = Array.from(this.dirty)
    this.dirty = new Set()
    if (this.bigKeys) (keys as bigint[]).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    else (keys as number[]).sort((a, b) => a - b)
    const hashInto = this.hashInto
    let count = keys.length
    for (let height = 0; height < this.depth - 1; height++) {
      const level = this.level(height)
      const up = this.level(height + 1)
      let written = 0
      let last: Key = -1
      for (let i = 0; i < count; i++) {
        const key = keys[i] as Key
        const slot = level.slots.get(key)
        const parent = this.parentOf(key)
        const half = this.halfOf(key)
        if (slot === undefined) {
          up.clear(parent, half)
        } else {
          const target = up.ensure(parent)
          hashInto(level.slab, slot * 64, up.slab, target * 64 + half * 32)
          up.occupied[target] = (up.occupied[target] as number) | (1 << half)
        }
        if (parent !== last) {
          keys[written++] = parent
          last = parent
        }
      }
      count = written
    }
    // The top block holds the root's two children.
    const top = this.level(this.depth - 1)
    const slot = top.slots.get(this.bigKeys ? 0n : 0)
    if (slot === undefined) {
      this.rootNode = this.zero(this.depth)
    } else {
      const root = new Uint8Array(32)
      hashInto(top.slab, slot * 64, root, 0)
      this.rootNode = root
    }
  }
}

/** floor(k / 2) for a non-negative integer below 2^53 (`>>` would truncate to 32 bits). */
function parentNumber(k: number): number {
  return (k - (k & 1)) / 2
}
