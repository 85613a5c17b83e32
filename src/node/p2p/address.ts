/**
 * Node ids and peer addresses. A node id is the node's 33-byte compressed secp256k1 public key as 66 lowercase hex
 * digits (no `0x`, as Lightning writes it; `0x`-prefixed or upper-case input is accepted and normalised). A peer
 * address is `<nodeId>@host:port` (`[v6]:port` for IPv6), or `<nodeId>@ws://host:port[/path]` (also `wss://`).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { L2kitError } from '../../core/errors.ts'
import { publicKeyToAddress } from '../../core/signature.ts'
import type { Address } from '../../core/types.ts'
import { compressedPublicKey, isValidCompressedPublicKey, PUBLIC_KEY_LENGTH } from './noise.ts'

/** A node id: 66 lowercase hex digits of a compressed secp256k1 public key. */
export type NodeId = string

function bytesToPlainHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

function invalidNodeId(value: unknown): L2kitError {
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 80)) : typeof value
  return new L2kitError(
    'INVALID_PUBLIC_KEY',
    `${shown} is not a node id (66 hex digits of a compressed secp256k1 public key)`,
  )
}

/** The 33 bytes of a node id (hex string, with or without `0x`, or bytes). Throws INVALID_PUBLIC_KEY. */
export function nodeIdToBytes(nodeId: NodeId | Uint8Array): Uint8Array {
  if (nodeId instanceof Uint8Array) {
    if (!isValidCompressedPublicKey(nodeId)) throw invalidNodeId('bytes')
    return nodeId.slice()
  }
  if (typeof nodeId !== 'string') throw invalidNodeId(nodeId)
  const hex = nodeId.startsWith('0x') || nodeId.startsWith('0X') ? nodeId.slice(2) : nodeId
  if (hex.length !== PUBLIC_KEY_LENGTH * 2 || !/^[0-9a-fA-F]+$/.test(hex)) throw invalidNodeId(nodeId)
  const bytes = new Uint8Array(Buffer.from(hex, 'hex'))
  if (!isValidCompressedPublicKey(bytes)) throw invalidNodeId(nodeId)
  return bytes
}

/** The canonical form of a node id (66 lowercase hex digits). Throws INVALID_PUBLIC_KEY. */
export function normalizeNodeId(nodeId: NodeId | Uint8Array): NodeId {
  return bytesToPlainHex(nodeIdToBytes(nodeId))
}

/** True for a valid node id string (either case, `0x` optional). */
export function isNodeId(value: unknown): value is NodeId {
  if (typeof value !== 'string') return false
  try {
    nodeIdToBytes(value)
    return true
  } catch {
    return false
  }
}

/** The node id of a static private key (bytes or hex, `0x` optional). Throws INVALID_PRIVATE_KEY. */
export function nodeIdFromPrivateKey(privateKey: Uint8Array | string): NodeId {
  return bytesToPlainHex(compressedPublicKey(privateKeyBytes(privateKey)))
}

/** The 32 bytes of a private key given as bytes or hex (`0x` optional). Throws INVALID_PRIVATE_KEY. */
export function privateKeyBytes(privateKey: Uint8Array | string): Uint8Array {
  if (privateKey instanceof Uint8Array) {
    if (privateKey.length !== 32) throw new L2kitError('INVALID_PRIVATE_KEY', 'a private key is 32 bytes')
    return privateKey
  }
  if (typeof privateKey === 'string') {
    const hex = privateKey.startsWith('0x') || privateKey.startsWith('0X') ? privateKey.slice(2) : privateKey
    if (hex.length === 64 && /^[0-9a-fA-F]+$/.test(hex)) return new Uint8Array(Buffer.from(hex, 'hex'))
  }
  throw new L2kitError('INVALID_PRIVATE_KEY', 'a private key is 32 bytes or 64 hex digits')
}

/** A parsed peer address. */
export interface PeerAddress {
  nodeId: NodeId
  /** Host name or IP (IPv6 without brackets). */
  host: string
  port: number
  /** The WebSocket URL to connect to (`ws://host:port` unless the address gave a URL). */
  url: string
}

function invalidAddress(address: unknown, why: string): L2kitError {
  const shown = typeof address === 'string' ? JSON.stringify(address.slice(0, 200)) : typeof address
  return new L2kitError('P2P_INVALID_ADDRESS', `${shown} is not a peer address (<nodeId>@host:port): ${why}`)
}

/** Parses `<nodeId>@host:port`, `<nodeId>@[v6]:port` or `<nodeId>@ws(s)://…`. Throws P2P_INVALID_ADDRESS. */
export function parsePeerAddress(address: string): PeerAddress {
  if (typeof address !== 'string') throw invalidAddress(address, 'not a string')
  const at = address.indexOf('@')
  if (at < 0) throw invalidAddress(address, 'no @ between the node id and the host')
  let nodeId: NodeId
  try {
    nodeId = normalizeNodeId(address.slice(0, at))
  } catch {
    throw invalidAddress(address, 'the node id is not 66 hex digits of a compressed public key')
  }
  const rest = address.slice(at + 1).trim()
  if (/^wss?:\/\//i.test(rest)) {
    let url: URL
    try {
      url = new URL(rest)
    } catch {
      throw invalidAddress(address, 'the URL does not parse')
    }
    const port = url.port === '' ? (url.protocol === 'wss:' ? 443 : 80) : Number(url.port)
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
    if (host === '') throw invalidAddress(address, 'no host')
    const text = url.toString()
    return { nodeId, host, port, url: url.pathname === '/' && url.search === '' ? text.slice(0, -1) : text }
  }
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:/@[\]]+)):(\d{1,5})$/.exec(rest)
  if (match === null) throw invalidAddress(address, 'expected host:port after the @')
  const host = (match[1] ?? match[2]) as string
  const port = Number(match[3])
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw invalidAddress(address, 'port out of range')
  return { nodeId, host, port, url: `ws://${urlHost(host)}:${port}` }
}

/** `<nodeId>@host:port` (brackets around an IPv6 host). */
export function formatPeerAddress(nodeId: NodeId | Uint8Array, host: string, port: number): string {
  return `${normalizeNodeId(nodeId)}@${urlHost(host)}:${port}`
}

/** A host as it goes in a URL: IPv6 in brackets; the any-address becomes loopback (what a local client dials). */
export function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1'
  if (host === '::') return '[::1]'
  return host.includes(':') ? `[${host}]` : host
}

/** The Ethereum address of a node id (the same secp256k1 key): how channel peers and sidechain validators are known on L1. */
export function nodeIdToAddress(nodeId: NodeId | Uint8Array): Address {
  return publicKeyToAddress(secp256k1.Point.fromBytes(nodeIdToBytes(nodeId)).toBytes(false))
}
