/**
 * BOLT 8, exactly: the `Noise_XK_secp256k1_ChaChaPoly_SHA256` handshake (acts one, two and three of 50, 50 and 66
 * bytes; the initiator knows the responder's static public key) and the transport messages that follow it
 * (2-byte big-endian length + MAC, body + MAC, ChaCha20-Poly1305 IETF with the nonce as a little-endian 64-bit
 * counter after 4 zero bytes, each key rotated with `HKDF(ck, k)` once its nonce reaches 1,000).
 *
 * Pure: no I/O, no clock. The only randomness is the ephemeral key, which a caller may inject (the BOLT 8 test
 * vectors do). ECDH runs on libsecp256k1 through the `secp256k1` package's native binding when it loads (~30x faster
 * than pure JS, which matters for a server that answers every act one), else on `@noble/curves`; ChaCha20-Poly1305 on
 * node:crypto (OpenSSL) when it has it, else on `@noble/ciphers`. Both give identical bytes (the tests run the
 * vectors on each).
 */
import { createCipheriv, createDecipheriv, getCiphers } from 'node:crypto'
import { createRequire } from 'node:module'
import { chacha20poly1305 } from '@noble/ciphers/chacha.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { L2kitError } from '../../core/errors.ts'

export const NOISE_PROTOCOL_NAME = 'Noise_XK_secp256k1_ChaChaPoly_SHA256'
export const NOISE_PROLOGUE = 'lightning'
/** The only handshake version BOLT 8 defines; any other is rejected. */
export const HANDSHAKE_VERSION = 0
export const ACT_ONE_LENGTH = 50
export const ACT_TWO_LENGTH = 50
export const ACT_THREE_LENGTH = 66
/** Poly1305 tag. */
export const MAC_LENGTH = 16
/** The encrypted 2-byte length and its MAC. */
export const LENGTH_PREFIX_LENGTH = 2 + MAC_LENGTH
/** Largest plaintext of one transport message. */
export const MAX_MESSAGE_LENGTH = 65_535
/** Largest transport packet: `2 + 16 + 65535 + 16`. */
export const MAX_PACKET_LENGTH = LENGTH_PREFIX_LENGTH + MAX_MESSAGE_LENGTH + MAC_LENGTH
/** A key is rotated once its nonce reaches this (every 500 messages: a message takes two nonces). */
export const KEY_ROTATION_INTERVAL = 1_000
/** Length of a compressed secp256k1 public key (a node id). */
export const PUBLIC_KEY_LENGTH = 33

/** Why a handshake failed: the names the BOLT 8 test vectors use. */
export type HandshakeFailure =
  | 'ACT1_READ_FAILED'
  | 'ACT1_BAD_VERSION'
  | 'ACT1_BAD_PUBKEY'
  | 'ACT1_BAD_TAG'
  | 'ACT2_READ_FAILED'
  | 'ACT2_BAD_VERSION'
  | 'ACT2_BAD_PUBKEY'
  | 'ACT2_BAD_TAG'
  | 'ACT3_READ_FAILED'
  | 'ACT3_BAD_VERSION'
  | 'ACT3_BAD_CIPHERTEXT'
  | 'ACT3_BAD_PUBKEY'
  | 'ACT3_BAD_TAG'
  | 'OUT_OF_ORDER'

const EMPTY = new Uint8Array(0)
const encoder = new TextEncoder()

// ---------------------------------------------------------------------------------------------------------------
// Backends

export type EcdhBackendName = 'native' | 'noble'
export type AeadBackendName = 'node' | 'noble'

interface EcdhBackend {
  readonly name: EcdhBackendName
  /** `SHA-256(compressed(priv · pub))`; throws when `pub` is not a point of the curve. */
  ecdh(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array
  /** Compressed public key of a valid private key. */
  publicKey(privateKey: Uint8Array): Uint8Array
}

interface AeadBackend {
  readonly name: AeadBackendName
  /** ChaCha20-Poly1305 (RFC 8439): ciphertext ‖ 16-byte tag. */
  seal(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, plaintext: Uint8Array): Uint8Array
  /** The plaintext, or undefined when the tag does not check. */
  open(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, sealed: Uint8Array): Uint8Array | undefined
}

const nobleEcdh: EcdhBackend = {
  name: 'noble',
  ecdh: (privateKey, publicKey) => sha256(secp256k1.getSharedSecret(privateKey, publicKey, true)),
  publicKey: (privateKey) => secp256k1.getPublicKey(privateKey, true),
}

const nobleAead: AeadBackend = {
  name: 'noble',
  seal: (key, nonce, ad, plaintext) => chacha20poly1305(key, nonce, ad).encrypt(plaintext),
  open(key, nonce, ad, sealed) {
    if (sealed.length < MAC_LENGTH) return undefined
    try {
      return chacha20poly1305(key, nonce, ad).decrypt(sealed)
    } catch {
      return undefined
    }
  },
}

function asBytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
}

const nodeAead: AeadBackend = {
  name: 'node',
  seal(key, nonce, ad, plaintext) {
    const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: MAC_LENGTH })
    if (ad.length > 0) cipher.setAAD(ad, { plaintextLength: plaintext.length })
    const body = cipher.update(plaintext)
    cipher.final()
    const out = new Uint8Array(body.length + MAC_LENGTH)
    out.set(body, 0)
    out.set(cipher.getAuthTag(), body.length)
    return out
  },
  open(key, nonce, ad, sealed) {
    if (sealed.length < MAC_LENGTH) return undefined
    const bodyLength = sealed.length - MAC_LENGTH
    const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: MAC_LENGTH })
    if (ad.length > 0) decipher.setAAD(ad, { plaintextLength: bodyLength })
    decipher.setAuthTag(sealed.subarray(bodyLength))
    const body = decipher.update(sealed.subarray(0, bodyLength))
    try {
      decipher.final()
    } catch {
      return undefined
    }
    return asBytes(body)
  },
}

type NativeSecp256k1 = {
  ecdh(publicKey: Uint8Array, privateKey: Uint8Array, options: object, output: Uint8Array): Uint8Array
  publicKeyCreate(privateKey: Uint8Array, compressed?: boolean): Uint8Array
}

// A known answer from the BOLT 8 vectors (act one's `es`): a native binary that disagrees is not used.
const SELF_TEST_PRIVATE = new Uint8Array(32).fill(0x12)
const SELF_TEST_PUBLIC = '028d7500dd4c12685d1f568b4c2b5048e8534b873319f3a8daa612b469132ec7f7'
const SELF_TEST_SECRET = '1e2fb3c8fe8fb9f262f649f64d26ecf0f2c0a805a767cf02dc2d77a6ef1fdcc3'

function loadNativeEcdh(): EcdhBackend | undefined {
  try {
    const require = createRequire(import.meta.url)
    // `secp256k1/bindings.js` is the native build only (the package's main silently falls back to elliptic).
    const native = require('secp256k1/bindings.js') as NativeSecp256k1
    const backend: EcdhBackend = {
      name: 'native',
      // libsecp256k1's default ECDH hash is SHA-256(0x02|0x03 ‖ x): exactly BOLT 8's ECDH.
      ecdh: (privateKey, publicKey) => native.ecdh(publicKey, privateKey, {}, new Uint8Array(32)),
      publicKey: (privateKey) => native.publicKeyCreate(privateKey, true),
    }
    const secret = backend.ecdh(SELF_TEST_PRIVATE, Buffer.from(SELF_TEST_PUBLIC, 'hex'))
    return Buffer.from(secret).toString('hex') === SELF_TEST_SECRET ? backend : undefined
  } catch {
    return undefined
  }
}

function loadNodeAead(): AeadBackend | undefined {
  try {
    if (!getCiphers().includes('chacha20-poly1305')) return undefined
    const key = new Uint8Array(32).fill(1)
    const nonce = new Uint8Array(12)
    const sealed = nodeAead.seal(key, nonce, EMPTY, new Uint8Array([1, 2, 3]))
    const reference = nobleAead.seal(key, nonce, EMPTY, new Uint8Array([1, 2, 3]))
    return Buffer.from(sealed).equals(Buffer.from(reference)) ? nodeAead : undefined
  } catch {
    return undefined
  }
}

const nativeEcdh = loadNativeEcdh()
const nodeAeadLoaded = loadNodeAead()
let ecdhBackend: EcdhBackend = nativeEcdh ?? nobleEcdh
let aeadBackend: AeadBackend = nodeAeadLoaded ?? nobleAead

/** Which implementations the transport uses now. */
export function noiseBackends(): { ecdh: EcdhBackendName; aead: AeadBackendName } {
  return { ecdh: ecdhBackend.name, aead: aeadBackend.name }
}

/** Which implementations this process can use (the pure-JS ones always). */
export function availableNoiseBackends(): { ecdh: EcdhBackendName[]; aead: AeadBackendName[] } {
  return {
    ecdh: nativeEcdh ? ['native', 'noble'] : ['noble'],
    aead: nodeAeadLoaded ? ['node', 'noble'] : ['noble'],
  }
}

/** Switches implementations (tests and benchmarks). Throws INVALID_OPTIONS for one this process cannot load. */
export function useNoiseBackends(choice: { ecdh?: EcdhBackendName; aead?: AeadBackendName }): void {
  if (choice.ecdh !== undefined) {
    const backend = choice.ecdh === 'native' ? nativeEcdh : choice.ecdh === 'noble' ? nobleEcdh : undefined
    if (backend === undefined)
      throw new L2kitError('INVALID_OPTIONS', `ECDH backend ${String(choice.ecdh)} is not available`)
    ecdhBackend = backend
  }
  if (choice.aead !== undefined) {
    const backend = choice.aead === 'node' ? nodeAeadLoaded : choice.aead === 'noble' ? nobleAead : undefined
    if (backend === undefined)
      throw new L2kitError('INVALID_OPTIONS', `AEAD backend ${String(choice.aead)} is not available`)
    aeadBackend = backend
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Keys

/** True for a valid secp256k1 private key (32 bytes, 0 < k < n). */
export function isValidPrivateKey(key: unknown): key is Uint8Array {
  return key instanceof Uint8Array && key.length === 32 && secp256k1.utils.isValidSecretKey(key)
}

/** Throws INVALID_PRIVATE_KEY unless `key` is a valid secp256k1 private key. */
export function assertPrivateKey(key: unknown, what = 'private key'): asserts key is Uint8Array {
  if (!isValidPrivateKey(key))
    throw new L2kitError('INVALID_PRIVATE_KEY', `${what} must be 32 bytes, a valid secp256k1 private key`)
}

/** A fresh random private key (a node's static key or an ephemeral one). */
export function randomPrivateKey(): Uint8Array {
  return secp256k1.utils.randomSecretKey()
}

/** The 33-byte compressed public key of a private key (a node id as bytes). Throws INVALID_PRIVATE_KEY. */
export function compressedPublicKey(privateKey: Uint8Array): Uint8Array {
  assertPrivateKey(privateKey)
  return ecdhBackend.publicKey(privateKey)
}

/** True for a 33-byte compressed public key that is a point of secp256k1. */
export function isValidCompressedPublicKey(key: unknown): key is Uint8Array {
  if (!(key instanceof Uint8Array) || key.length !== PUBLIC_KEY_LENGTH || (key[0] !== 2 && key[0] !== 3))
    return false
  try {
    secp256k1.Point.fromBytes(key)
    return true
  } catch {
    return false
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Primitives of BOLT 8

/** The 96-bit nonce: 32 zero bits, then `n` as a little-endian 64-bit integer (n < 2^32 here). */
function nonceBytes(n: number): Uint8Array {
  const nonce = new Uint8Array(12)
  nonce[4] = n & 0xff
  nonce[5] = (n >>> 8) & 0xff
  nonce[6] = (n >>> 16) & 0xff
  nonce[7] = (n >>> 24) & 0xff
  return nonce
}

function hashConcat(a: Uint8Array, b: Uint8Array): Uint8Array {
  return sha256.create().update(a).update(b).digest()
}

/** `HKDF(salt, ikm)` with empty info, 64 bytes, split in two 32-byte halves. */
function hkdf2(salt: Uint8Array, ikm: Uint8Array): [Uint8Array, Uint8Array] {
  const out = hkdf(sha256, ikm, salt, EMPTY, 64)
  return [out.slice(0, 32), out.slice(32, 64)]
}

const INITIAL_CK = sha256(encoder.encode(NOISE_PROTOCOL_NAME))
const INITIAL_H = hashConcat(INITIAL_CK, encoder.encode(NOISE_PROLOGUE))

function handshakeError(reason: HandshakeFailure, message: string): L2kitError {
  return new L2kitError('P2P_HANDSHAKE_FAILED', `noise handshake failed: ${message}`, { details: { reason } })
}

/** ECDH with a remote key read off the wire; an invalid point is a handshake failure. */
function ecdhRemote(privateKey: Uint8Array, remote: Uint8Array, reason: HandshakeFailure): Uint8Array {
  if (remote.length !== PUBLIC_KEY_LENGTH || (remote[0] !== 2 && remote[0] !== 3))
    throw handshakeError(reason, 'the public key is not a compressed secp256k1 point')
  try {
    return ecdhBackend.ecdh(privateKey, remote)
  } catch {
    throw handshakeError(reason, 'the public key is not a point of secp256k1')
  }
}

function wipe(...keys: (Uint8Array | undefined)[]): void {
  for (const key of keys) key?.fill(0)
}

/** What a finished handshake gives each side. */
export interface NoiseSession {
  /** The other side's static public key (33 bytes compressed): its node id, authenticated by the handshake. */
  readonly remoteStaticKey: Uint8Array
  /** The final handshake hash `h`, the same on both sides: binds anything signed to this session. */
  readonly handshakeHash: Uint8Array
  /** Encrypts and decrypts the transport messages. */
  readonly transport: NoiseTransport
}

interface SymmetricState {
  ck: Uint8Array
  h: Uint8Array
}

function startState(responderStaticKey: Uint8Array): SymmetricState {
  return { ck: INITIAL_CK, h: hashConcat(INITIAL_H, responderStaticKey) }
}

function ephemeralKey(injected: Uint8Array | undefined): Uint8Array {
  if (injected === undefined) return randomPrivateKey()
  assertPrivateKey(injected, 'ephemeral private key')
  return injected.slice()
}

/**
 * The initiator's side (it knows the responder's node id): `writeActOne()`, then `readActTwo(act2)`, which returns
 * act three to send and the session. Any failure leaves it unusable (a handshake is never retried on the same state).
 */
export class NoiseInitiator {
  private readonly staticKey: Uint8Array
  private readonly staticPublic: Uint8Array
  private readonly remoteStatic: Uint8Array
  private readonly ephemeral: Uint8Array
  private readonly state: SymmetricState
  private step: 'act1' | 'act2' | 'done' | 'failed' = 'act1'

  constructor(options: {
    staticPrivateKey: Uint8Array
    /** The responder's node id (33-byte compressed public key). */
    remoteStaticKey: Uint8Array
    /** Injected only to reproduce test vectors: BOLT 8 requires a fresh random key per session. */
    ephemeralPrivateKey?: Uint8Array
  }) {
    assertPrivateKey(options.staticPrivateKey, 'static private key')
    if (!isValidCompressedPublicKey(options.remoteStaticKey))
      throw new L2kitError(
        'INVALID_PUBLIC_KEY',
        'the remote static key must be a 33-byte compressed secp256k1 public key',
      )
    this.staticKey = options.staticPrivateKey.slice()
    this.staticPublic = ecdhBackend.publicKey(this.staticKey)
    this.remoteStatic = options.remoteStaticKey.slice()
    this.ephemeral = ephemeralKey(options.ephemeralPrivateKey)
    this.state = startState(this.remoteStatic)
  }

  /** Act one (50 bytes): `0 ‖ e.pub ‖ MAC`. */
  writeActOne(): Uint8Array {
    if (this.step !== 'act1') throw handshakeError('OUT_OF_ORDER', `act one written at step ${this.step}`)
    const s = this.state
    const e = ecdhBackend.publicKey(this.ephemeral)
    s.h = hashConcat(s.h, e)
    const es = ecdhBackend.ecdh(this.ephemeral, this.remoteStatic)
    const [ck, tempK1] = hkdf2(s.ck, es)
    s.ck = ck
    const c = aeadBackend.seal(tempK1, nonceBytes(0), s.h, EMPTY)
    s.h = hashConcat(s.h, c)
    this.step = 'act2'
    const act = new Uint8Array(ACT_ONE_LENGTH)
    act[0] = HANDSHAKE_VERSION
    act.set(e, 1)
    act.set(c, 34)
    return act
  }

  /** Reads act two (50 bytes) and returns act three (66 bytes) with the session. Throws P2P_HANDSHAKE_FAILED. */
  readActTwo(act: Uint8Array): { actThree: Uint8Array; session: NoiseSession } {
    if (this.step !== 'act2') throw handshakeError('OUT_OF_ORDER', `act two read at step ${this.step}`)
    try {
      return this.actTwo(act)
    } catch (error) {
      this.step = 'failed'
      wipe(this.ephemeral, this.staticKey)
      throw error
    }
  }

  private actTwo(act: Uint8Array): { actThree: Uint8Array; session: NoiseSession } {
    if (!(act instanceof Uint8Array) || act.length !== ACT_TWO_LENGTH)
      throw handshakeError('ACT2_READ_FAILED', `act two must be ${ACT_TWO_LENGTH} bytes`)
    if (act[0] !== HANDSHAKE_VERSION) throw handshakeError('ACT2_BAD_VERSION', `unknown version ${act[0]}`)
    const s = this.state
    const re = act.subarray(1, 34)
    const c = act.subarray(34, 50)
    const ee = ecdhRemote(this.ephemeral, re, 'ACT2_BAD_PUBKEY')
    s.h = hashConcat(s.h, re)
    const [ck, tempK2] = hkdf2(s.ck, ee)
    s.ck = ck
    if (aeadBackend.open(tempK2, nonceBytes(0), s.h, c) === undefined)
      throw handshakeError(
        'ACT2_BAD_TAG',
        'act two MAC does not check: the responder is not the expected node',
      )
    s.h = hashConcat(s.h, c)
    // Act three: -> s, se
    const encryptedStatic = aeadBackend.seal(tempK2, nonceBytes(1), s.h, this.staticPublic)
    s.h = hashConcat(s.h, encryptedStatic)
    const se = ecdhBackend.ecdh(this.staticKey, re)
    const [ck3, tempK3] = hkdf2(s.ck, se)
    const t = aeadBackend.seal(tempK3, nonceBytes(0), s.h, EMPTY)
    const [sk, rk] = hkdf2(ck3, EMPTY)
    const actThree = new Uint8Array(ACT_THREE_LENGTH)
    actThree[0] = HANDSHAKE_VERSION
    actThree.set(encryptedStatic, 1)
    actThree.set(t, 50)
    this.step = 'done'
    const transport = new NoiseTransport({ sendingKey: sk, receivingKey: rk, chainingKey: ck3 })
    wipe(this.ephemeral, this.staticKey, tempK2, tempK3, ck)
    return { actThree, session: { remoteStaticKey: this.remoteStatic, handshakeHash: s.h, transport } }
  }
}

/**
 * The responder's side: `readActOne(act1)` returns act two to send, `readActThree(act3)` the session with the
 * initiator's authenticated static key. Any failure leaves it unusable; BOLT 8 then drops the connection without a
 * word.
 */
export class NoiseResponder {
  private readonly staticKey: Uint8Array
  private readonly ephemeral: Uint8Array
  private readonly state: SymmetricState
  private remoteEphemeral: Uint8Array | undefined
  private tempK2: Uint8Array | undefined
  private step: 'act1' | 'act3' | 'done' | 'failed' = 'act1'

  constructor(options: {
    staticPrivateKey: Uint8Array
    /** Injected only to reproduce test vectors: BOLT 8 requires a fresh random key per session. */
    ephemeralPrivateKey?: Uint8Array
  }) {
    assertPrivateKey(options.staticPrivateKey, 'static private key')
    this.staticKey = options.staticPrivateKey.slice()
    this.ephemeral = ephemeralKey(options.ephemeralPrivateKey)
    this.state = startState(ecdhBackend.publicKey(this.staticKey))
  }

  /** Reads act one (50 bytes) and returns act two (50 bytes). Throws P2P_HANDSHAKE_FAILED. */
  readActOne(act: Uint8Array): Uint8Array {
    if (this.step !== 'act1') throw handshakeError('OUT_OF_ORDER', `act one read at step ${this.step}`)
    try {
      return this.actOne(act)
    } catch (error) {
      this.fail()
      throw error
    }
  }

  /** Reads act three (66 bytes): the session. Throws P2P_HANDSHAKE_FAILED. */
  readActThree(act: Uint8Array): NoiseSession {
    if (this.step !== 'act3') throw handshakeError('OUT_OF_ORDER', `act three read at step ${this.step}`)
    try {
      return this.actThree(act)
    } catch (error) {
      this.fail()
      throw error
    }
  }

  private fail(): void {
    this.step = 'failed'
    wipe(this.ephemeral, this.staticKey, this.tempK2)
  }

  private actOne(act: Uint8Array): Uint8Array {
    if (!(act instanceof Uint8Array) || act.length !== ACT_ONE_LENGTH)
      throw handshakeError('ACT1_READ_FAILED', `act one must be ${ACT_ONE_LENGTH} bytes`)
    if (act[0] !== HANDSHAKE_VERSION) throw handshakeError('ACT1_BAD_VERSION', `unknown version ${act[0]}`)
    const s = this.state
    const re = act.slice(1, 34)
    const c = act.subarray(34, 50)
    const es = ecdhRemote(this.staticKey, re, 'ACT1_BAD_PUBKEY')
    s.h = hashConcat(s.h, re)
    const [ck1, tempK1] = hkdf2(s.ck, es)
    if (aeadBackend.open(tempK1, nonceBytes(0), s.h, c) === undefined)
      throw handshakeError(
        'ACT1_BAD_TAG',
        'act one MAC does not check: the initiator does not know our node id',
      )
    s.ck = ck1
    s.h = hashConcat(s.h, c)
    // Act two: <- e, ee
    const e = ecdhBackend.publicKey(this.ephemeral)
    s.h = hashConcat(s.h, e)
    const ee = ecdhBackend.ecdh(this.ephemeral, re)
    const [ck2, tempK2] = hkdf2(s.ck, ee)
    s.ck = ck2
    const c2 = aeadBackend.seal(tempK2, nonceBytes(0), s.h, EMPTY)
    s.h = hashConcat(s.h, c2)
    this.remoteEphemeral = re
    this.tempK2 = tempK2
    this.step = 'act3'
    wipe(tempK1, ck1)
    const out = new Uint8Array(ACT_TWO_LENGTH)
    out[0] = HANDSHAKE_VERSION
    out.set(e, 1)
    out.set(c2, 34)
    return out
  }

  private actThree(act: Uint8Array): NoiseSession {
    if (!(act instanceof Uint8Array) || act.length !== ACT_THREE_LENGTH)
      throw handshakeError('ACT3_READ_FAILED', `act three must be ${ACT_THREE_LENGTH} bytes`)
    if (act[0] !== HANDSHAKE_VERSION) throw handshakeError('ACT3_BAD_VERSION', `unknown version ${act[0]}`)
    const s = this.state
    const c = act.subarray(1, 50)
    const t = act.subarray(50, 66)
    const rs = aeadBackend.open(this.tempK2 as Uint8Array, nonceBytes(1), s.h, c)
    if (rs === undefined)
      throw handshakeError('ACT3_BAD_CIPHERTEXT', 'act three static key MAC does not check')
    s.h = hashConcat(s.h, c)
    const se = ecdhRemote(this.ephemeral, rs, 'ACT3_BAD_PUBKEY')
    const [ck3, tempK3] = hkdf2(s.ck, se)
    if (aeadBackend.open(tempK3, nonceBytes(0), s.h, t) === undefined)
      throw handshakeError('ACT3_BAD_TAG', 'act three MAC does not check')
    const [rk, sk] = hkdf2(ck3, EMPTY)
    this.step = 'done'
    const transport = new NoiseTransport({ sendingKey: sk, receivingKey: rk, chainingKey: ck3 })
    wipe(this.ephemeral, this.staticKey, this.tempK2, tempK3, this.remoteEphemeral)
    return { remoteStaticKey: rs.slice(), handshakeHash: s.h, transport }
  }
}

/** One direction's key, nonce and chaining key, rotated every 1,000 nonces. */
class CipherState {
  private key: Uint8Array
  private chainingKey: Uint8Array
  private nonce = 0

  constructor(key: Uint8Array, chainingKey: Uint8Array) {
    this.key = key.slice()
    this.chainingKey = chainingKey.slice()
  }

  seal(plaintext: Uint8Array): Uint8Array {
    const out = aeadBackend.seal(this.key, nonceBytes(this.nonce), EMPTY, plaintext)
    this.advance()
    return out
  }

  open(sealed: Uint8Array): Uint8Array | undefined {
    const out = aeadBackend.open(this.key, nonceBytes(this.nonce), EMPTY, sealed)
    this.advance()
    return out
  }

  private advance(): void {
    this.nonce += 1
    if (this.nonce < KEY_ROTATION_INTERVAL) return
    const [ck, k] = hkdf2(this.chainingKey, this.key)
    wipe(this.key, this.chainingKey)
    this.chainingKey = ck
    this.key = k
    this.nonce = 0
  }

  destroy(): void {
    wipe(this.key, this.chainingKey)
  }
}

function frameError(reason: string, message: string, details: Record<string, unknown> = {}): L2kitError {
  return new L2kitError('P2P_BAD_FRAME', message, { details: { reason, ...details } })
}

/**
 * The transport after the handshake: `encrypt(message)` gives one packet `lc ‖ c` (18 + length + 16 bytes);
 * `decrypt(packet)` takes one whole packet (one WebSocket frame). For a byte stream, `decryptLength(18 bytes)` then
 * `decryptBody(length + 16 bytes)`. A packet that fails (MAC, replay, reorder, bad length) throws P2P_BAD_FRAME and
 * breaks the receiving side for good: the nonces no longer agree, BOLT 8 drops the connection. Sending still works
 * until `destroy()`.
 */
export class NoiseTransport {
  private readonly sending: CipherState
  private readonly receiving: CipherState
  private expectedBody: number | undefined
  private broken: L2kitError | undefined

  constructor(keys: { sendingKey: Uint8Array; receivingKey: Uint8Array; chainingKey: Uint8Array }) {
    for (const [name, key] of Object.entries(keys)) {
      if (!(key instanceof Uint8Array) || key.length !== 32)
        throw new L2kitError('INVALID_OPTIONS', `${name} must be 32 bytes`)
    }
    this.sending = new CipherState(keys.sendingKey, keys.chainingKey)
    this.receiving = new CipherState(keys.receivingKey, keys.chainingKey)
  }

  /** The failure that broke the receiving side, if any. */
  get receiveError(): L2kitError | undefined {
    return this.broken
  }

  /** One packet for `message` (at most 65,535 bytes: else P2P_FRAME_TOO_LARGE and nothing changes). */
  encrypt(message: Uint8Array): Uint8Array {
    if (!(message instanceof Uint8Array))
      throw new L2kitError('P2P_BAD_FRAME', 'a message must be a Uint8Array', { details: { reason: 'type' } })
    if (message.length > MAX_MESSAGE_LENGTH)
      throw new L2kitError(
        'P2P_FRAME_TOO_LARGE',
        `a message holds at most ${MAX_MESSAGE_LENGTH} bytes, not ${message.length}`,
        { details: { length: message.length, max: MAX_MESSAGE_LENGTH } },
      )
    const length = new Uint8Array([message.length >>> 8, message.length & 0xff])
    const lc = this.sending.seal(length)
    const c = this.sending.seal(message)
    const packet = new Uint8Array(lc.length + c.length)
    packet.set(lc, 0)
    packet.set(c, lc.length)
    return packet
  }

  /** The message in one whole packet. Throws P2P_BAD_FRAME (and the transport stops receiving). */
  decrypt(packet: Uint8Array): Uint8Array {
    this.assertReceiving()
    if (!(packet instanceof Uint8Array) || packet.length < LENGTH_PREFIX_LENGTH + MAC_LENGTH)
      throw this.break(
        frameError('short', `a packet is at least ${LENGTH_PREFIX_LENGTH + MAC_LENGTH} bytes`, {
          length: packet?.length,
        }),
      )
    const length = this.decryptLength(packet.subarray(0, LENGTH_PREFIX_LENGTH))
    if (packet.length !== LENGTH_PREFIX_LENGTH + length + MAC_LENGTH)
      throw this.break(
        frameError('length', `the packet is ${packet.length} bytes but its length prefix says ${length}`, {
          length: packet.length,
          declared: length,
        }),
      )
    return this.decryptBody(packet.subarray(LENGTH_PREFIX_LENGTH))
  }

  /** Stream form, step 1: the 18-byte encrypted length prefix → the message length. */
  decryptLength(prefix: Uint8Array): number {
    this.assertReceiving()
    if (this.expectedBody !== undefined)
      throw this.break(frameError('order', 'a length prefix arrived where a body was expected'))
    if (!(prefix instanceof Uint8Array) || prefix.length !== LENGTH_PREFIX_LENGTH)
      throw this.break(frameError('short', `a length prefix is ${LENGTH_PREFIX_LENGTH} bytes`))
    const plain = this.receiving.open(prefix)
    if (plain === undefined || plain.length !== 2)
      throw this.break(frameError('mac', 'the length prefix MAC does not check'))
    const length = ((plain[0] as number) << 8) | (plain[1] as number)
    this.expectedBody = length
    return length
  }

  /** Stream form, step 2: the `length + 16` bytes of the body → the message. */
  decryptBody(body: Uint8Array): Uint8Array {
    this.assertReceiving()
    const expected = this.expectedBody
    if (expected === undefined)
      throw this.break(frameError('order', 'a body arrived before its length prefix'))
    if (!(body instanceof Uint8Array) || body.length !== expected + MAC_LENGTH)
      throw this.break(frameError('length', `the body must be ${expected + MAC_LENGTH} bytes`))
    this.expectedBody = undefined
    const plain = this.receiving.open(body)
    if (plain === undefined) throw this.break(frameError('mac', 'the message MAC does not check'))
    return plain
  }

  /** Forgets the keys. */
  destroy(): void {
    this.sending.destroy()
    this.receiving.destroy()
    this.broken ??= frameError('destroyed', 'the transport was destroyed')
  }

  private assertReceiving(): void {
    if (this.broken !== undefined)
      throw frameError(
        'broken',
        `the transport stopped receiving after an earlier failure: ${this.broken.message}`,
      )
  }

  private break(error: L2kitError): L2kitError {
    this.broken = error
    this.receiving.destroy()
    return error
  }
}
