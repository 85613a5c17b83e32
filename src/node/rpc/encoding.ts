/**
 * Ethereum encodings the JSON-RPC needs so standard clients can check what they read: 2048-bit log blooms,
 * consensus receipt encodings and Merkle-Patricia trie roots (a block's `transactionsRoot` / `receiptsRoot` are
 * the tries Ethereum builds, so a client can verify a transaction or receipt against its block). No family's
 * protocol uses them: block hashes and proofs are the family's own.
 */
import { concatHex, hexToBytes, numberToHex, toRlp, type Hex as ViemHex } from 'viem'
import { bytesToHex } from '../../core/bytes.ts'
import { keccak256 as keccakBytes } from '../../core/hash.ts'
import type { Hex } from '../../core/types.ts'
import type { TxLog } from './chainView.ts'

export const EMPTY_TRIE_ROOT: Hex = '0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421'

/** Adds `value` (an address or topic) to a 256-byte bloom: 3 bits from the low 11 bits of keccak byte pairs. */
function bloomAdd(bloom: Uint8Array, value: Hex): void {
  const h = keccakBytes(hexToBytes(value as ViemHex))
  for (let i = 0; i < 6; i += 2) {
    const bit = (((h[i] as number) << 8) | (h[i + 1] as number)) & 2047
    const byte = 255 - (bit >> 3)
    bloom[byte] = (bloom[byte] as number) | (1 << (bit & 7))
  }
}

export function logsBloom(logs: readonly TxLog[]): Uint8Array {
  const bloom = new Uint8Array(256)
  for (const log of logs) {
    bloomAdd(bloom, log.address)
    for (const topic of log.topics) bloomAdd(bloom, topic)
  }
  return bloom
}

export function orBlooms(blooms: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(256)
  for (const b of blooms) for (let i = 0; i < 256; i++) out[i] = (out[i] as number) | (b[i] as number)
  return out
}

function rlpQuantity(n: bigint): ViemHex {
  return n === 0n ? '0x' : numberToHex(n)
}

/** The consensus encoding of a receipt (EIP-2718: `type ‖ rlp([status, cumulativeGas, bloom, logs])`). */
export function encodeReceipt(
  type: 'legacy' | 'eip1559',
  cumulativeGasUsed: bigint,
  bloom: Uint8Array,
  logs: readonly TxLog[],
  status: 0 | 1 = 1,
): Hex {
  const body = toRlp([
    status === 1 ? '0x01' : '0x',
    rlpQuantity(cumulativeGasUsed),
    toHexBytes(bloom),
    logs.map((l) => [l.address as ViemHex, l.topics as ViemHex[], l.data as ViemHex]),
  ])
  return type === 'legacy' ? body : concatHex(['0x02', body])
}

function toHexBytes(b: Uint8Array): ViemHex {
  return `0x${Buffer.from(b).toString('hex')}`
}

type TrieNode = ViemHex | readonly TrieNode[]

function nibblesOf(hex: ViemHex): number[] {
  return [...hex.slice(2)].map((c) => Number.parseInt(c, 16))
}

/** Hex-prefix encoding of a nibble path (Yellow Paper appendix C). */
function hexPrefix(nibbles: readonly number[], leaf: boolean): ViemHex {
  const flag = (leaf ? 2 : 0) + (nibbles.length % 2)
  const all = nibbles.length % 2 === 1 ? [flag, ...nibbles] : [flag, 0, ...nibbles]
  return `0x${all.map((n) => n.toString(16)).join('')}`
}

/** A child reference: the node itself when its encoding is under 32 bytes, else its hash (core's keccak: a
 * block's tries hash thousands of nodes, and an explorer asks for every block). */
function ref(node: TrieNode): TrieNode {
  const enc = toRlp(node as ViemHex[], 'bytes')
  return enc.length < 32 ? node : (bytesToHex(keccakBytes(enc)) as ViemHex)
}

function buildNode(items: readonly { key: number[]; value: ViemHex }[], depth: number): TrieNode {
  const first = items[0] as { key: number[]; value: ViemHex }
  if (items.length === 1) return [hexPrefix(first.key.slice(depth), true), first.value]
  let common = 0
  for (;;) {
    const nibble = first.key[depth + common]
    if (nibble === undefined || !items.every((it) => it.key[depth + common] === nibble)) break
    common++
  }
  if (common > 0) {
    return [hexPrefix(first.key.slice(depth, depth + common), false), ref(buildNode(items, depth + common))]
  }
  const branch: TrieNode[] = []
  for (let n = 0; n < 16; n++) {
    const group = items.filter((it) => it.key[depth] === n)
    branch.push(group.length === 0 ? '0x' : ref(buildNode(group, depth + 1)))
  }
  const here = items.find((it) => it.key.length === depth)
  branch.push(here ? here.value : '0x')
  return branch
}

/**
 * Root of the Merkle-Patricia trie Ethereum builds over a block's list (transactions or receipts): key
 * `rlp(index)`, value the item's encoding. Built in memory in one pass; blocks are small enough.
 */
export function orderedTrieRoot(values: readonly Hex[]): Hex {
  if (values.length === 0) return EMPTY_TRIE_ROOT
  const items = values.map((value, i) => ({ key: nibblesOf(toRlp(rlpQuantity(BigInt(i)))), value }))
  items.sort((a, b) => {
    for (let i = 0; i < Math.min(a.key.length, b.key.length); i++) {
      const d = (a.key[i] as number) - (b.key[i] as number)
      if (d !== 0) return d
    }
    return a.key.length - b.key.length
  })
  return bytesToHex(
    keccakBytes(toRlp(buildNode(items as { key: number[]; value: ViemHex }[], 0) as ViemHex[], 'bytes')),
  )
}
