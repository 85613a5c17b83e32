/**
 * Onion routing for multi-hop HTLCs (BOLT 4's Sphinx in l2kit form): the payer wraps one encrypted layer per hop
 * so that each hop, with its own X25519 key, peels exactly one layer and learns only its own instructions and the
 * packet to hand on; and the failure onions that travel back so the payer learns which hop refused. Pure.
 *
 * Onion packet, always ONION_PACKET_LENGTH = 3,465 bytes whatever the route length and the hop's position:
 *
 *     version (1) = 0 ‖ ephemeral X25519 public key (32) ‖ routing info (20 × 170 = 3,400) ‖ tag (32)
 *
 * - `tag = HMAC-SHA256(mu, version ‖ ephemeral key ‖ routing info ‖ associated data)`. BOLT 4 leaves the version
 *   and the key out of the MAC; we put them in because X25519 ignores the key's top bit (and reduces u mod p), so
 *   an unauthenticated key byte could be changed without changing the shared secret. The associated data is the
 *   HTLC's payment hash (32 bytes): a packet moved to another HTLC fails its tag.
 * - The routing info is 20 frames of HOP_FRAME_LENGTH = 170 bytes; a hop decrypts `routing info ‖ 170 zero bytes`
 *   with ChaCha20 (key `rho`, zero nonce), reads the first frame, and the next 3,400 bytes are the next hop's
 *   routing info. A frame is `payload (138) ‖ next tag (32)`, the payload being one of:
 *
 *       forward (kind 0): kind (1) ‖ amount (uint256, 32) ‖ expiry (uint64, 8) ‖ next node id (33, compressed
 *                         secp256k1) ‖ next hop's ephemeral X25519 public key (32) ‖ zero (32)
 *       final   (kind 1): kind (1) ‖ amount (uint256, 32) ‖ expiry (uint64, 8) ‖ payment secret (32) ‖
 *                         total amount (uint256, 32) ‖ zero (33)
 *
 *   all integers big-endian; `amount` is what the hop must forward (the final hop: receive), in token units,
 *   `expiry` the outgoing HTLC's expiry (L1 timestamp, seconds). The next tag is the next packet's tag; it is all
 *   zero exactly in the final frame. Unused bytes must be zero.
 * - Unused space is never zero on the wire: the payer starts the routing info from a ChaCha20 stream keyed by
 *   `pad` (from the session key) and appends BOLT 4's filler, so the routing info a hop forwards looks random and
 *   no hop learns its position or the route length (the final hop learns only that it is final), while every tag
 *   still checks.
 * - Per-hop keys: `ss = SHA-256(X25519(ephemeral secret, hop's public key))`; `rho`, `mu`, `um`, `ammag`, `pad`
 *   (and our `replay`) are `HMAC-SHA256(key = ASCII name, ss)` as in BOLT 4 (`pad` from the session key).
 *
 * Ephemeral keys: a **fresh ephemeral key per hop, carried inside the previous hop's layer**, not BOLT 4's key
 * blinding. Blinding needs `E_{i+1} = b_i · E_i` with the payer computing `(e · b_0 ⋯ b_{i-1}) · P_i` in one go, and
 * X25519 clamps every scalar (clears the low 3 bits, sets bit 254), so the product of clamped scalars is not a
 * clamped scalar and noble's ladder refuses unclamped ones. Applying the blindings one ladder at a time does
 * compose, but costs the payer O(n²) ladders (≈ 230 for 20 hops) and every hop two; blinding with unclamped
 * Edwards arithmetic would need subgroup checks we would have to get right. A fresh key per hop costs 32 bytes per
 * frame and nothing else: plain X25519 everywhere, one ladder per peel, 2n for the payer. It reveals nothing more
 * than blinding: hop i knows E_{i+1} in both schemes. The payer derives the per-hop secrets from its session key
 * (`HMAC-SHA256(session key, "l2kit onion ephemeral" ‖ i)`), so a build is reproducible from its session key.
 *
 * Replays: `replayTag = HMAC-SHA256("replay", ss)` is the same for every copy of a packet (same ephemeral key and
 * hop key), so a hop that remembers the tags of packets it forwarded (until their HTLCs expire) refuses a replay.
 *
 * Failure onion, always FAILURE_PACKET_LENGTH = 288 bytes:
 *
 *     HMAC-SHA256(um, rest) (32) ‖ code (uint16) ‖ data length (uint16) ‖ data (≤ 252) ‖ zero padding to 252
 *
 * encrypted with ChaCha20 keyed by the failing hop's `ammag`; every hop back XORs its own `ammag` stream on top; the
 * payer strips the layers in route order and the first hop whose `um` MAC checks is the one that failed.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { randomBytes, utf8ToBytes } from '@noble/hashes/utils.js'
import { bigintToBytes, bytesToBigint, concatBytes } from '../../core/bytes.ts'
import { L2kitError } from '../../core/errors.ts'
import { ChannelErrorCode } from './errors.ts'
import {
  chacha20Xor,
  hmacSha256,
  isCompressedSecp256k1Key,
  x25519PublicKey,
  x25519SharedSecret,
} from './fastCrypto.ts'

/** Packet format version; any other first byte is refused, so a future format cannot be misread. */
export const ONION_VERSION = 0
/** Longest route an onion carries (BOLT 4's 20); the packet is sized for it whatever the real length. */
export const MAX_HOPS = 20
/** Bytes of one hop's payload (the larger of the forward and final layouts). */
export const HOP_PAYLOAD_LENGTH = 138
/** Bytes of every tag (HMAC-SHA256). */
export const TAG_LENGTH = 32
/** Bytes of one routing-info frame: payload and the next packet's tag. */
export const HOP_FRAME_LENGTH = HOP_PAYLOAD_LENGTH + TAG_LENGTH
/** Bytes of the routing info: room for MAX_HOPS frames. */
export const ROUTING_INFO_LENGTH = MAX_HOPS * HOP_FRAME_LENGTH
/** Bytes of every onion packet. */
export const ONION_PACKET_LENGTH = 1 + 32 + ROUTING_INFO_LENGTH + TAG_LENGTH
/** Largest failure data a failing hop can send back. */
export const FAILURE_DATA_MAX = 252
/** Bytes of every failure onion (fixed, so its length says nothing about the failure). */
export const FAILURE_PACKET_LENGTH = TAG_LENGTH + 2 + 2 + FAILURE_DATA_MAX

/** Payload kinds on the wire. */
const KIND_FORWARD = 0
const KIND_FINAL = 1
const UINT256_LIMIT = 1n << 256n
const UINT64_LIMIT = 1n << 64n
const KEY_RHO = utf8ToBytes('rho')
const KEY_MU = utf8ToBytes('mu')
const KEY_UM = utf8ToBytes('um')
const KEY_AMMAG = utf8ToBytes('ammag')
const KEY_PAD = utf8ToBytes('pad')
const KEY_REPLAY = utf8ToBytes('replay')
const EPHEMERAL_LABEL = utf8ToBytes('l2kit onion ephemeral')
const ONION_KEY_LABEL = utf8ToBytes('l2kit onion key')

/** What a forwarding hop is told: where to send the HTLC, how much and with what expiry. */
export type ForwardHopPayload = {
  /** The next hop's node id (33-byte compressed secp256k1 key). */
  nextNodeId: Uint8Array
  /** Amount of the outgoing HTLC (token units). */
  amount: bigint
  /** Expiry of the outgoing HTLC (L1 timestamp, seconds). */
  expiry: bigint
}

/** What the payee is told: the HTLC it should receive and the invoice's payment secret and total. */
export type FinalHopPayload = {
  nextNodeId: null
  /** Amount this HTLC must carry (token units). */
  amount: bigint
  /** Expiry this HTLC must carry (L1 timestamp, seconds). */
  expiry: bigint
  /** The invoice's payment secret (32 bytes): proves the payer read the invoice, so a hop cannot probe the payee. */
  paymentSecret: Uint8Array
  /** Total of the payment (≥ amount; larger when the payment is split over several HTLCs). */
  totalAmount: bigint
}

export type HopPayload = ForwardHopPayload | FinalHopPayload

/** One hop of a route as the payer sees it. */
export type OnionHop = { x25519PublicKey: Uint8Array; payload: HopPayload }

/** A peeled layer: this hop's payload, the packet for the next hop, and the secrets a hop keeps. */
export type PeeledOnion = (
  | { payload: ForwardHopPayload; nextPacket: Uint8Array }
  | { payload: FinalHopPayload; nextPacket: null }
) & {
  /** Same for every copy of this packet: remember it to refuse replays. */
  replayTag: Uint8Array
  /** This hop's shared secret with the payer: keep it with the HTLC to create or wrap a failure onion. */
  sharedSecret: Uint8Array
}

/** A decoded failure onion: which hop failed (0 = the first hop after the payer), why, and its data. */
export type OnionFailure = { hopIndex: number; code: number; data: Uint8Array }

/** Failure codes a hop reports; any uint16 travels, these are the ones l2kit nodes send. */
export const OnionFailureCode = {
  /** The hop could not read the onion of its next hop (bad version or tag): sent by the hop before it. */
  invalidOnion: 1,
  /** The next node id is not a peer this hop has an open channel with. */
  unknownNextPeer: 2,
  /** The outgoing channel cannot carry the HTLC now (capacity, HTLC count); another route may work. */
  temporaryChannelFailure: 3,
  /** The hop is temporarily unable to forward (shutting down, L1 unreachable). */
  temporaryNodeFailure: 4,
  /** The incoming amount does not cover the outgoing amount plus the hop's fee. */
  feeInsufficient: 5,
  /** The outgoing expiry leaves the hop less than its safety delta before the incoming HTLC expires. */
  expiryTooSoon: 6,
  /** Unknown payment hash, wrong payment secret or amount: one code so a prober learns nothing. */
  incorrectPaymentDetails: 7,
  /** The final HTLC's expiry is below the invoice's minimum final expiry delta. */
  finalExpiryTooSoon: 8,
} as const
export type OnionFailureCode = (typeof OnionFailureCode)[keyof typeof OnionFailureCode]

/** Every refusal of this module, with a short machine-readable reason beside the message. */
function bad(reason: string, message: string, details: Record<string, unknown> = {}): never {
  throw new L2kitError(ChannelErrorCode.badOnion, message, { details: { reason, ...details } })
}

function checkLength(value: unknown, length: number, what: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    bad('input', `${what} must be ${length} bytes`, {
      length: value instanceof Uint8Array ? value.length : null,
    })
  }
}

function deriveKey(name: Uint8Array, secret: Uint8Array): Uint8Array {
  return hmacSha256(name, secret)
}

function stream(key: Uint8Array, length: number): Uint8Array {
  return chacha20Xor(key, new Uint8Array(length))
}

function xorInto(target: Uint8Array, source: Uint8Array): void {
  for (let i = 0; i < target.length; i++) target[i] = (target[i] as number) ^ (source[i] as number)
}

/** Constant-time tag comparison, so a forger learns nothing from how long a refusal took. */
function tagsEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number)
  return diff === 0
}

function isZero(bytes: Uint8Array): boolean {
  let acc = 0
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i] as number
  return acc === 0
}

/** SHA-256 of the X25519 point, as BOLT 4 hashes its ECDH point; null for a low-order (all-zero result) key. */
function sharedSecretOf(secret: Uint8Array, publicKey: Uint8Array, longLived = false): Uint8Array | null {
  try {
    return sha256(x25519SharedSecret(secret, publicKey, longLived))
  } catch {
    return null
  }
}

function isNodeId(bytes: Uint8Array): boolean {
  return isCompressedSecp256k1Key(bytes)
}

/**
 * A node's X25519 onion key pair, derived from its secp256k1 node key, so the node needs no second secret and can
 * announce the public half beside its node id: `private = SHA-256("l2kit onion key" ‖ node private key)`.
 */
export function deriveOnionKey(nodePrivateKey: Uint8Array): {
  privateKey: Uint8Array
  publicKey: Uint8Array
} {
  checkLength(nodePrivateKey, 32, 'the node private key')
  if (!secp256k1.utils.isValidSecretKey(nodePrivateKey)) bad('input', 'not a valid secp256k1 private key')
  const privateKey = sha256(concatBytes(ONION_KEY_LABEL, nodePrivateKey))
  return { privateKey, publicKey: x25519PublicKey(privateKey) }
}

function checkPayload(payload: HopPayload, index: number, isLast: boolean): void {
  const at = { hop: index }
  if (typeof payload.amount !== 'bigint' || payload.amount <= 0n || payload.amount >= UINT256_LIMIT) {
    bad('input', `hop ${index}: the amount must be a uint256 > 0`, at)
  }
  if (typeof payload.expiry !== 'bigint' || payload.expiry < 0n || payload.expiry >= UINT64_LIMIT) {
    bad('input', `hop ${index}: the expiry must be a uint64`, at)
  }
  if (payload.nextNodeId === null) {
    if (!isLast) bad('input', `hop ${index}: only the last hop is final (nextNodeId null)`, at)
    checkLength(payload.paymentSecret, 32, `hop ${index}: the payment secret`)
    const total = payload.totalAmount
    if (typeof total !== 'bigint' || total < payload.amount || total >= UINT256_LIMIT) {
      bad('input', `hop ${index}: the total amount must be a uint256 ≥ the amount`, at)
    }
  } else {
    if (isLast) bad('input', `hop ${index}: the last hop must be final (nextNodeId null)`, at)
    if (!(payload.nextNodeId instanceof Uint8Array) || !isNodeId(payload.nextNodeId)) {
      bad('input', `hop ${index}: nextNodeId must be a 33-byte compressed secp256k1 public key`, at)
    }
  }
}

/** The payload bytes of a checked hop; `nextEphemeralKey` is the next hop's key (forward payloads only). */
function encodePayload(payload: HopPayload, nextEphemeralKey: Uint8Array | undefined): Uint8Array {
  const out = new Uint8Array(HOP_PAYLOAD_LENGTH)
  out.set(bigintToBytes(payload.amount, 32), 1)
  out.set(bigintToBytes(payload.expiry, 8), 33)
  if (payload.nextNodeId === null) {
    out[0] = KIND_FINAL
    out.set(payload.paymentSecret, 41)
    out.set(bigintToBytes(payload.totalAmount, 32), 73)
  } else {
    out[0] = KIND_FORWARD
    out.set(payload.nextNodeId, 41)
    out.set(nextEphemeralKey ?? new Uint8Array(32), 74)
  }
  return out
}

/** Decodes an authenticated payload; strict all the same (zero padding, valid node id), so one packet reads one way. */
function decodePayload(bytes: Uint8Array): { payload: HopPayload; nextEphemeralKey: Uint8Array | null } {
  const kind = bytes[0]
  const amount = bytesToBigint(bytes.subarray(1, 33))
  const expiry = bytesToBigint(bytes.subarray(33, 41))
  if (amount === 0n) bad('payload', 'the hop payload has a zero amount')
  if (kind === KIND_FORWARD) {
    const nextNodeId = bytes.slice(41, 74)
    if (!isZero(bytes.subarray(106, HOP_PAYLOAD_LENGTH)))
      bad('payload', 'the forward payload has non-zero padding')
    if (!isNodeId(nextNodeId)) bad('payload', 'the forward payload has an invalid next node id')
    return { payload: { nextNodeId, amount, expiry }, nextEphemeralKey: bytes.slice(74, 106) }
  }
  if (kind === KIND_FINAL) {
    const totalAmount = bytesToBigint(bytes.subarray(73, 105))
    if (!isZero(bytes.subarray(105, HOP_PAYLOAD_LENGTH)))
      bad('payload', 'the final payload has non-zero padding')
    if (totalAmount < amount) bad('payload', 'the final payload has a total below its amount')
    return {
      payload: { nextNodeId: null, amount, expiry, paymentSecret: bytes.slice(41, 73), totalAmount },
      nextEphemeralKey: null,
    }
  }
  return bad('payload', `unknown hop payload kind ${kind}`, { kind })
}

/**
 * Builds the onion for `route` (hop 0 = the payer's peer, last = the payee) bound to `associatedData` (the HTLC's
 * payment hash). Returns the packet for hop 0 and every hop's shared secret, which the payer keeps to read a
 * failure onion. `sessionKey` (32 random bytes by default) determines every ephemeral key: never reuse one.
 */
export function buildOnion(params: {
  route: readonly OnionHop[]
  associatedData: Uint8Array
  sessionKey?: Uint8Array
}): { packet: Uint8Array; sharedSecrets: Uint8Array[] } {
  const { route, associatedData } = params
  const sessionKey = params.sessionKey ?? randomBytes(32)
  if (!Array.isArray(route) || route.length < 1 || route.length > MAX_HOPS) {
    bad('input', `a route has 1 to ${MAX_HOPS} hops`, { hops: Array.isArray(route) ? route.length : null })
  }
  checkLength(associatedData, 32, 'the associated data (payment hash)')
  checkLength(sessionKey, 32, 'the session key')
  const n = route.length
  route.forEach((hop, i) => {
    checkLength(hop.x25519PublicKey, 32, `hop ${i}: the X25519 public key`)
    checkPayload(hop.payload, i, i === n - 1)
  })

  const ephemeralSecrets = route.map((_, i) =>
    hmacSha256(sessionKey, concatBytes(EPHEMERAL_LABEL, Uint8Array.of(i))),
  )
  const ephemeralKeys = ephemeralSecrets.map((secret) => x25519PublicKey(secret))
  const sharedSecrets = route.map((hop, i) => {
    const ss = sharedSecretOf(ephemeralSecrets[i] as Uint8Array, hop.x25519PublicKey)
    return ss ?? bad('input', `hop ${i}: the X25519 public key is of low order`, { hop: i })
  })
  const streamLength = ROUTING_INFO_LENGTH + HOP_FRAME_LENGTH
  const rhoStreams = sharedSecrets.map((ss) => stream(deriveKey(KEY_RHO, ss), streamLength))

  // BOLT 4's filler: what hops 0..n-2 will shift into the tail of the routing info, so the last tags still check.
  const filler = new Uint8Array((n - 1) * HOP_FRAME_LENGTH)
  for (let i = 1; i < n; i++) {
    const rho = rhoStreams[i - 1] as Uint8Array
    xorInto(filler.subarray(0, i * HOP_FRAME_LENGTH), rho.subarray(streamLength - i * HOP_FRAME_LENGTH))
  }

  let routingInfo = stream(deriveKey(KEY_PAD, sessionKey), ROUTING_INFO_LENGTH)
  let nextTag: Uint8Array = new Uint8Array(TAG_LENGTH)
  const version = Uint8Array.of(ONION_VERSION)
  for (let i = n - 1; i >= 0; i--) {
    const hop = route[i] as OnionHop
    const shifted = new Uint8Array(ROUTING_INFO_LENGTH)
    shifted.set(encodePayload(hop.payload, ephemeralKeys[i + 1]), 0)
    shifted.set(nextTag, HOP_PAYLOAD_LENGTH)
    shifted.set(routingInfo.subarray(0, ROUTING_INFO_LENGTH - HOP_FRAME_LENGTH), HOP_FRAME_LENGTH)
    xorInto(shifted, rhoStreams[i] as Uint8Array)
    if (i === n - 1) shifted.set(filler, ROUTING_INFO_LENGTH - filler.length)
    routingInfo = shifted
    const mu = deriveKey(KEY_MU, sharedSecrets[i] as Uint8Array)
    nextTag = hmacSha256(
      mu,
      concatBytes(version, ephemeralKeys[i] as Uint8Array, routingInfo, associatedData),
    )
  }
  return { packet: concatBytes(version, ephemeralKeys[0] as Uint8Array, routingInfo, nextTag), sharedSecrets }
}

/**
 * Peels this hop's layer: checks the tag (so any change to the packet, the wrong key or another HTLC's payment hash
 * is refused), returns the payload, the packet for the next hop (null at the payee), and the tags the hop keeps.
 */
export function peelOnion(params: {
  packet: Uint8Array
  x25519PrivateKey: Uint8Array
  associatedData: Uint8Array
}): PeeledOnion {
  const { packet, x25519PrivateKey, associatedData } = params
  checkLength(x25519PrivateKey, 32, 'the X25519 private key')
  checkLength(associatedData, 32, 'the associated data (payment hash)')
  if (!(packet instanceof Uint8Array) || packet.length !== ONION_PACKET_LENGTH) {
    bad('length', `an onion packet is ${ONION_PACKET_LENGTH} bytes`, {
      length: packet instanceof Uint8Array ? packet.length : null,
    })
  }
  if (packet[0] !== ONION_VERSION)
    bad('version', `unknown onion version ${packet[0]}`, { version: packet[0] })
  const authenticated = packet.subarray(0, 33 + ROUTING_INFO_LENGTH)
  const ss = sharedSecretOf(x25519PrivateKey, packet.subarray(1, 33), true)
  if (ss === null) bad('key', 'the onion ephemeral key is of low order')
  const expected = hmacSha256(deriveKey(KEY_MU, ss), concatBytes(authenticated, associatedData))
  if (!tagsEqual(expected, packet.subarray(33 + ROUTING_INFO_LENGTH))) {
    bad('tag', 'the onion tag does not check (tampered, not for this node, or for another payment hash)')
  }

  const decrypted = concatBytes(
    packet.subarray(33, 33 + ROUTING_INFO_LENGTH),
    new Uint8Array(HOP_FRAME_LENGTH),
  )
  xorInto(decrypted, stream(deriveKey(KEY_RHO, ss), decrypted.length))
  const { payload, nextEphemeralKey } = decodePayload(decrypted.subarray(0, HOP_PAYLOAD_LENGTH))
  const nextTag = decrypted.slice(HOP_PAYLOAD_LENGTH, HOP_FRAME_LENGTH)
  const replayTag = deriveKey(KEY_REPLAY, ss)
  if (payload.nextNodeId === null) {
    if (!isZero(nextTag)) bad('payload', 'a final payload must be the last layer')
    return { payload, nextPacket: null, replayTag, sharedSecret: ss }
  }
  if (isZero(nextTag)) bad('payload', 'a forward payload is missing the next tag')
  const nextPacket = concatBytes(
    Uint8Array.of(ONION_VERSION),
    nextEphemeralKey as Uint8Array,
    decrypted.subarray(HOP_FRAME_LENGTH),
    nextTag,
  )
  return { payload, nextPacket, replayTag, sharedSecret: ss }
}

/** The failing hop's failure onion: `code` and `data` authenticated with `um`, encrypted with `ammag`. */
export function createFailure(params: {
  sharedSecret: Uint8Array
  code: number
  data?: Uint8Array
}): Uint8Array {
  const { sharedSecret, code } = params
  const data = params.data ?? new Uint8Array(0)
  checkLength(sharedSecret, 32, 'the shared secret')
  if (!Number.isInteger(code) || code < 0 || code > 0xffff)
    bad('input', 'a failure code is a uint16', { code })
  if (!(data instanceof Uint8Array) || data.length > FAILURE_DATA_MAX) {
    bad('input', `failure data is at most ${FAILURE_DATA_MAX} bytes`)
  }
  const body = new Uint8Array(FAILURE_PACKET_LENGTH - TAG_LENGTH)
  body[0] = code >> 8
  body[1] = code & 0xff
  body[2] = data.length >> 8
  body[3] = data.length & 0xff
  body.set(data, 4)
  const plain = concatBytes(hmacSha256(deriveKey(KEY_UM, sharedSecret), body), body)
  return wrapFailure({ sharedSecret, failure: plain })
}

/** A hop on the way back adds its layer (XOR of its `ammag` stream), so the failure looks different on every link. */
export function wrapFailure(params: { sharedSecret: Uint8Array; failure: Uint8Array }): Uint8Array {
  const { sharedSecret, failure } = params
  checkLength(sharedSecret, 32, 'the shared secret')
  if (!(failure instanceof Uint8Array) || failure.length !== FAILURE_PACKET_LENGTH) {
    bad('length', `a failure onion is ${FAILURE_PACKET_LENGTH} bytes`)
  }
  return chacha20Xor(deriveKey(KEY_AMMAG, sharedSecret), failure)
}

/**
 * The payer strips the layers with `sharedSecrets` (from buildOnion, in route order) and reports the first hop
 * whose MAC checks; refused if none does (a hop garbled the failure on its way back).
 */
export function decodeFailure(params: {
  failure: Uint8Array
  sharedSecrets: readonly Uint8Array[]
}): OnionFailure {
  const { failure, sharedSecrets } = params
  if (!(failure instanceof Uint8Array) || failure.length !== FAILURE_PACKET_LENGTH) {
    bad('length', `a failure onion is ${FAILURE_PACKET_LENGTH} bytes`)
  }
  let current = failure
  for (let hopIndex = 0; hopIndex < sharedSecrets.length; hopIndex++) {
    const ss = sharedSecrets[hopIndex] as Uint8Array
    checkLength(ss, 32, `shared secret ${hopIndex}`)
    current = chacha20Xor(deriveKey(KEY_AMMAG, ss), current)
    const body = current.subarray(TAG_LENGTH)
    if (!tagsEqual(hmacSha256(deriveKey(KEY_UM, ss), body), current.subarray(0, TAG_LENGTH))) continue
    const code = ((body[0] as number) << 8) | (body[1] as number)
    const length = ((body[2] as number) << 8) | (body[3] as number)
    if (length > FAILURE_DATA_MAX) bad('failure', `failure data length ${length} exceeds ${FAILURE_DATA_MAX}`)
    if (!isZero(body.subarray(4 + length))) bad('failure', 'the failure onion has non-zero padding')
    return { hopIndex, code, data: body.slice(4, 4 + length) }
  }
  return bad('failure', 'no hop of the route authenticates this failure onion (garbled on its way back)')
}
