/**
 * The address index tree (docs/optimistic.md, "State commitment"): a sparse Merkle tree of depth 160 keyed by
 * `uint160(address)` whose leaf is `bytes32(uint256(accountIndex + 1))` big-endian (0 = no account). It makes
 * "this address has no account" provable on L1, which the index-keyed accounts tree cannot.
 *
 * Hashing convention as every l2kit tree (src/core/smt.ts): `node = hash2(left, right)`, empty leaf = 32 zero
 * bytes, `zero[i+1] = hash2(zero[i], zero[i])`, siblings bottom-up, at level `i` the running node is the right child
 * when bit `i` of the key is 1.
 *
 * Storage is a binary radix trie (branch nodes only where two keys part), not 160 levels of nodes: n accounts
 * cost ~2n small objects. `set` only queues the entry (the state machine's account creation stays O(1) and
 * hash-free); the queue is merged into the trie when the tree is next read. Merged nodes are immutable (later
 * merges copy the path, ~log2(n) nodes; nodes created within one merge are updated in place) and each memoizes
 * its subtree hash the first time it is asked for, so:
 * - `root()` hashes only the nodes created since the previous `root()`, about 160 hashes per new key minus the
 *   upper levels new keys share;
 * - `clone()` is O(1) plus the queue: the two trees share every node (a memoized hash is a pure function of the
 *   node, so filling it in from either copy is harmless).
 */
import { bytesToHex, hexToBytes, isAddress } from './bytes.ts'
import { L2kitError } from './errors.ts'
import { type Hasher, keccakHasher } from './hash.ts'
import { zeroHashes } from './smt.ts'
import type { Hex } from './types.ts'

/** Depth of the address tree: one level per bit of an address. */
export const ADDRESS_TREE_DEPTH = 160

/** A membership (`leaf = index + 1`) or non-membership (`leaf = 0`) proof, as `StepVerifier.AddressProof`. */
export type AddressProof = {
  /** `accountIndex + 1`, or 0 when the address has no account. */
  leaf: bigint
  /** 160 siblings, bottom-up. */
  siblings: Hex[]
}

/** Largest account index the tree takes (the accounts tree has 2^32 leaves). */
const MAX_ACCOUNT_INDEX = 2 ** 32 - 1
const MAX_UINT256 = (1n << 256n) - 1n

/** Identifies one merge of queued entries: nodes it created may be updated in place until it ends. */
type MergeToken = object

type TrieNode = {
  /** Height of the subtree this node is the root of: 0 for a leaf, 1..160 for a branch. */
  readonly height: number
  /** `key >> height` for every key below this node (a leaf's own key). */
  readonly prefix: bigint
  /** Branch children (both non-empty); null for a leaf. Left = bit `height - 1` is 0. Fixed after its merge. */
  left: TrieNode | null
  right: TrieNode | null
  /** Leaf value `index + 1` (0 for a branch). Fixed after its merge. */
  value: number
  /** The merge that created the node; only that merge may change it (it is unhashed and unshared until then). */
  readonly owner: MergeToken
  /**
   * Memo, filled in lazily: bytes [0, 32) = the subtree root at `height`; [32, 64) = the same subtree lifted to
   * `liftHeight` (a checkpoint on the way up its edge, see `lift`). Both are pure functions of the node.
   */
  memo: Uint8Array | undefined
  /** Height of the checkpoint in `memo[32, 64)`; -1 = none. */
  liftHeight: number
}

function leafNode(key: bigint, value: number, owner: MergeToken): TrieNode {
  return { height: 0, prefix: key, left: null, right: null, value, owner, memo: undefined, liftHeight: -1 }
}

function branchNode(
  height: number,
  prefix: bigint,
  left: TrieNode,
  right: TrieNode,
  owner: MergeToken,
): TrieNode {
  return { height, prefix, left, right, value: 0, owner, memo: undefined, liftHeight: -1 }
}

/**
 * How far below an edge's top the lift checkpoint sits. A new key parting inside an edge lowers its top to the
 * split level, almost always by a few levels (the split lands near where the key space is already dense); then the
 * edge is re-lifted from the checkpoint (<= this many hashes) instead of from the node (~160 - log2(n) hashes).
 */
const LIFT_CHECKPOINT_DEPTH = 16

/** Number of bits of a positive bigint. */
function bitLength(value: bigint): number {
  return value.toString(2).length
}

/** Hashes the 64 bytes `src[srcOffset, +64)` into `dst[dstOffset, +32)`; `src` and `dst` may alias. */
type HashInto = (src: Uint8Array, srcOffset: number, dst: Uint8Array, dstOffset: number) => void

function hashIntoFor(hasher: Hasher): HashInto {
  const into = hasher.hash2Into
  if (into !== undefined) return (src, so, dst, d) => into.call(hasher, src, so, dst, d)
  return (src, so, dst, d) =>
    dst.set(hasher.hash2(src.subarray(so, so + 32), src.subarray(so + 32, so + 64)), d)
}

const zeroCache = new WeakMap<Hasher, { bytes: readonly Uint8Array[]; hex: readonly Hex[] }>()

/** `zero[i]` (root of an empty subtree of height i) for i in [0, 160], as bytes (smt's zero hashes) and hex. */
function zerosOf(hasher: Hasher): { bytes: readonly Uint8Array[]; hex: readonly Hex[] } {
  let zeros = zeroCache.get(hasher)
  if (zeros === undefined) {
    const bytes = zeroHashes(hasher, ADDRESS_TREE_DEPTH).slice(0, ADDRESS_TREE_DEPTH + 1)
    zeros = { bytes, hex: bytes.map(bytesToHex) }
    zeroCache.set(hasher, zeros)
  }
  return zeros
}

/** `uint160(address)`; throws `INVALID_ADDRESS` for anything but a 20-byte hex address. */
export function addressKey(address: string): bigint {
  if (!isAddress(address)) {
    throw new L2kitError('INVALID_ADDRESS', `not an address: ${String(address).slice(0, 60)}`, {
      details: { value: String(address).slice(0, 60) },
    })
  }
  return BigInt(address)
}

function checkIndex(index: number): void {
  if (!Number.isSafeInteger(index) || index < 0 || index > MAX_ACCOUNT_INDEX) {
    throw new L2kitError(
      'INVALID_ACCOUNT_INDEX',
      `account index must be an integer in [0, 2^32), got ${String(index)}`,
      { details: { index: String(index) } },
    )
  }
}

function leafWord(leaf: bigint): Uint8Array {
  const word = new Uint8Array(32)
  let v = leaf
  for (let i = 31; i >= 0 && v !== 0n; i--) {
    word[i] = Number(v & 0xffn)
    v >>= 8n
  }
  return word
}

/** Root of the empty address tree (`zero[160]`). */
export function emptyAddressesRoot(hasher: Hasher = keccakHasher): Hex {
  return zerosOf(hasher).hex[ADDRESS_TREE_DEPTH] as Hex
}

/**
 * The address-tree root implied by `leaf` (`index + 1`, or 0 for "no account") at `address` and its 160
 * siblings (bottom-up). Throws `INVALID_ADDRESS` / `INVALID_PROOF` on malformed input.
 */
export function addressRootFrom(
  address: string,
  leaf: bigint,
  siblings: readonly Hex[],
  hasher: Hasher = keccakHasher,
): Hex {
  const key = addressKey(address)
  if (typeof leaf !== 'bigint' || leaf < 0n || leaf > MAX_UINT256) {
    throw new L2kitError('INVALID_PROOF', `address leaf must be a uint256, got ${String(leaf)}`)
  }
  if (siblings.length !== ADDRESS_TREE_DEPTH) {
    throw new L2kitError(
      'INVALID_PROOF',
      `an address proof has ${ADDRESS_TREE_DEPTH} siblings, got ${siblings.length}`,
    )
  }
  let node = leafWord(leaf)
  for (let level = 0; level < ADDRESS_TREE_DEPTH; level++) {
    const sibling = hexToBytes(siblings[level] as Hex, 'INVALID_PROOF')
    if (sibling.length !== 32)
      throw new L2kitError('INVALID_PROOF', `sibling ${level} must be 32 bytes, got ${sibling.length}`)
    node = (key >> BigInt(level)) & 1n ? hasher.hash2(sibling, node) : hasher.hash2(node, sibling)
  }
  return bytesToHex(node)
}

/** Whether `siblings` prove `leaf` at `address` under `root`. False (never throws) for a malformed proof. */
export function verifyAddressProof(
  root: Hex,
  address: string,
  leaf: bigint,
  siblings: readonly Hex[],
  hasher: Hasher = keccakHasher,
): boolean {
  try {
    return addressRootFrom(address, leaf, siblings, hasher) === root.toLowerCase()
  } catch {
    return false
  }
}

/**
 * The depth-160 address → account index tree. Not a general key-value store: entries are only added or
 * overwritten (accounts are never deleted), which keeps the trie free of empty branches.
 */
export class AddressTree {
  readonly hasher: Hasher
  private readonly zeros: readonly Uint8Array[]
  private readonly zerosHex: readonly Hex[]
  private readonly hashInto: HashInto
  private rootNode: TrieNode | null
  /** Distinct keys in the trie (queued entries not counted). */
  private count: number
  /** Entries `set` since the last merge, in order: addresses (validated) and leaf values `index + 1`. */
  private queuedAddresses: string[]
  private queuedValues: number[]
  /** 64-byte work area for lifting a hash up a compressed edge (never live across a recursive call). */
  private readonly scratch: Uint8Array

  constructor(hasher: Hasher = keccakHasher) {
    this.hasher = hasher
    const zeros = zerosOf(hasher)
    this.zeros = zeros.bytes
    this.zerosHex = zeros.hex
    this.hashInto = hashIntoFor(hasher)
    this.rootNode = null
    this.count = 0
    this.queuedAddresses = []
    this.queuedValues = []
    this.scratch = new Uint8Array(64)
  }

  /** Number of addresses in the tree. */
  get size(): number {
    this.merge()
    return this.count
  }

  /**
   * Maps `address` to account `index` (leaf `index + 1`). O(1): the entry is queued, and merged and hashed when
   * the tree is next read. Throws `INVALID_ADDRESS` / `INVALID_ACCOUNT_INDEX` at once.
   */
  set(address: string, index: number): void {
    if (!isAddress(address)) addressKey(address) // throws INVALID_ADDRESS; the key itself is computed at merge
    checkIndex(index)
    this.queuedAddresses.push(address)
    this.queuedValues.push(index + 1)
  }

  /** The account index of `address`, or undefined when it has none. */
  get(address: string): number | undefined {
    const key = addressKey(address)
    this.merge()
    let node = this.rootNode
    while (node !== null) {
      if (key >> BigInt(node.height) !== node.prefix) return undefined
      if (node.height === 0) return node.value - 1
      node = (key >> BigInt(node.height - 1)) & 1n ? node.right : node.left
    }
    return undefined
  }

  /** The root, hashing whatever was inserted since the last call. */
  root(): Hex {
    return bytesToHex(this.rootBytes())
  }

  /** The root as bytes (a copy). */
  rootBytes(): Uint8Array {
    this.merge()
    const out = new Uint8Array(32)
    if (this.rootNode === null) out.set(this.zeros[ADDRESS_TREE_DEPTH] as Uint8Array)
    else this.lift(this.rootNode, ADDRESS_TREE_DEPTH, out, 0, true)
    return out
  }

  /**
   * Membership proof (`leaf = index + 1`) when `address` has an account, non-membership proof (`leaf = 0`)
   * otherwise; `siblings` are bottom-up, 160 of them, against `root()`.
   */
  proof(address: string): AddressProof {
    const key = addressKey(address)
    this.merge()
    const siblings: Hex[] = this.zerosHex.slice(0, ADDRESS_TREE_DEPTH)
    const word = new Uint8Array(32)
    let node = this.rootNode
    while (node !== null) {
      const diff = (key >> BigInt(node.height)) ^ node.prefix
      if (diff !== 0n) {
        // The key leaves node's path at level d, inside the edge: its sibling there is node's subtree lifted to
        // height d; everything else on the key's path is empty.
        const d = node.height + bitLength(diff) - 1
        this.lift(node, d, word, 0, false)
        siblings[d] = bytesToHex(word)
        return { leaf: 0n, siblings }
      }
      if (node.height === 0) return { leaf: BigInt(node.value), siblings }
      const h = node.height - 1
      const right = (key >> BigInt(h)) & 1n
      const other = (right ? node.left : node.right) as TrieNode
      this.lift(other, h, word, 0, true)
      siblings[h] = bytesToHex(word)
      node = right ? node.right : node.left
    }
    return { leaf: 0n, siblings }
  }

  /** An independent copy: O(1) for the trie (both trees share its immutable nodes) plus a copy of the queue. */
  clone(): AddressTree {
    const copy = new AddressTree(this.hasher)
    copy.rootNode = this.rootNode
    copy.count = this.count
    copy.queuedAddresses = this.queuedAddresses.slice()
    copy.queuedValues = this.queuedValues.slice()
    return copy
  }

  /** Inserts the queued entries, in order, under one fresh merge token. */
  private merge(): void {
    const addresses = this.queuedAddresses
    if (addresses.length === 0) return
    const values = this.queuedValues
    const token: MergeToken = {}
    let root = this.rootNode
    for (let i = 0; i < addresses.length; i++) {
      root = this.insert(root, BigInt(addresses[i] as string), values[i] as number, token)
    }
    this.rootNode = root
    this.queuedAddresses = []
    this.queuedValues = []
  }

  /**
   * `node` with `key → value` inserted. Nodes of an earlier merge are never changed (they may be hashed or shared
   * with a clone): their path is copied. Nodes of this merge (`owner === token`) are updated in place.
   */
  private insert(node: TrieNode | null, key: bigint, value: number, token: MergeToken): TrieNode {
    if (node === null) {
      this.count++
      return leafNode(key, value, token)
    }
    const diff = (key >> BigInt(node.height)) ^ node.prefix
    if (diff !== 0n) {
      // The new key parts from everything below `node` at level d: a new branch of height d + 1 holds both.
      const d = node.height + bitLength(diff) - 1
      this.count++
      const leaf = leafNode(key, value, token)
      const prefix = key >> BigInt(d + 1)
      return (key >> BigInt(d)) & 1n
        ? branchNode(d + 1, prefix, node, leaf, token)
        : branchNode(d + 1, prefix, leaf, node, token)
    }
    if (node.height === 0) {
      if (node.value === value) return node
      if (node.owner !== token) return leafNode(key, value, token)
      node.value = value
      return node
    }
    const left = node.left as TrieNode
    const right = node.right as TrieNode
    const goRight = ((key >> BigInt(node.height - 1)) & 1n) === 1n
    if (node.owner === token) {
      if (goRight) node.right = this.insert(right, key, value, token)
      else node.left = this.insert(left, key, value, token)
      return node
    }
    return goRight
      ? branchNode(node.height, node.prefix, left, this.insert(right, key, value, token), token)
      : branchNode(node.height, node.prefix, this.insert(left, key, value, token), right, token)
  }

  /** The subtree root at `node.height` (`memo[0, 32)`), computed once per node. */
  private hashOf(node: TrieNode): Uint8Array {
    if (node.memo !== undefined) return node.memo
    const memo = new Uint8Array(64)
    if (node.height === 0) {
      // index + 1 can be 2^32: beyond 32-bit integer ops, so divide.
      for (let v = node.value, i = 31; v !== 0; i--, v = Math.floor(v / 256)) memo[i] = v % 256
    } else {
      // Children first: lifting uses the shared scratch, so no recursion may happen while it is in use.
      const left = node.left as TrieNode
      const right = node.right as TrieNode
      this.hashOf(left)
      this.hashOf(right)
      const pair = new Uint8Array(64)
      this.lift(left, node.height - 1, pair, 0, true)
      this.lift(right, node.height - 1, pair, 32, true)
      this.hashInto(pair, 0, memo, 0)
    }
    node.memo = memo
    return memo
  }

  /**
   * Writes the root of the height-`target` subtree that holds only `node`'s subtree (every other branch on the
   * way up is empty) to `out[offset, +32)`: `target - node.height` hashes against zero hashes, fewer when the
   * node's checkpoint lies on the way. `remember` (set for the edges of the trie itself, not for proofs of absent
   * keys) moves the checkpoint to `LIFT_CHECKPOINT_DEPTH` levels below `target`.
   */
  private lift(node: TrieNode, target: number, out: Uint8Array, offset: number, remember: boolean): void {
    const memo = this.hashOf(node)
    let level = node.height
    let from = 0
    if (node.liftHeight > level && node.liftHeight <= target) {
      level = node.liftHeight
      from = 32
    }
    if (level === target) {
      for (let i = 0; i < 32; i++) out[offset + i] = memo[from + i] as number
      return
    }
    const mark = remember ? Math.max(node.height, target - LIFT_CHECKPOINT_DEPTH) : -1
    const s = this.scratch
    const zeros = this.zeros
    const hashInto = this.hashInto
    // Bits of the key at levels >= `level`, consumed 32 at a time as numbers (cheaper than bigint per level).
    let rest = node.prefix >> BigInt(level - node.height)
    let chunk = Number(rest & 0xffffffffn)
    let inChunk = 0
    let half = (chunk & 1) * 32
    for (let i = 0; i < 32; i++) s[half + i] = memo[from + i] as number
    s.set(zeros[level] as Uint8Array, 32 - half)
    for (;;) {
      // `s` holds the two children (height `level`) of the next node up.
      if (level + 1 === target) {
        hashInto(s, 0, out, offset)
        return
      }
      level++
      if (++inChunk === 32) {
        rest >>= 32n
        chunk = Number(rest & 0xffffffffn)
        inChunk = 0
      }
      half = ((chunk >>> inChunk) & 1) * 32
      hashInto(s, 0, s, half)
      if (level === mark && level !== node.liftHeight) {
        for (let i = 0; i < 32; i++) memo[32 + i] = s[half + i] as number
        node.liftHeight = level
      }
      s.set(zeros[level] as Uint8Array, 32 - half)
    }
  }
}
