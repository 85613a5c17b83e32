/**
 * Hashing for l2kit's Merkle trees and leaf encodings.
 *
 * Keccak-256 runs on a tiny WebAssembly Keccak-f[1600] (64-bit lanes, native rotations) that this file assembles
 * at import from the short emitter below — no binary blob, no I/O. Merkle root updates sit in the sequencer's hot
 * path, and on the reference 2-core machine this is ~2M `hash2`/s against ~150k/s for a generic JS sponge. If
 * WebAssembly is unavailable (e.g. a page whose CSP forbids it) the same functions fall back to @noble/hashes.
 * Both paths are checked against @noble/hashes in hash.test.ts.
 */
import { keccak_256 } from '@noble/hashes/sha3.js'

/** A two-to-one compression function for Merkle nodes: `node = hash2(left, right)`, 32-byte inputs and output. */
export type Hasher = {
  /** Stable name, e.g. `keccak256`; lets stored trees record which hash built them. */
  readonly name: string
  hash2(left: Uint8Array, right: Uint8Array): Uint8Array
  /**
   * Optional allocation-free form of `hash2` for tree internals: compresses the 64 bytes `src[srcOffset, +64)`
   * (left ‖ right) into `dst[dstOffset, +32)`. Must equal `hash2` on the two halves; `src` and `dst` may alias.
   */
  hash2Into?(src: Uint8Array, srcOffset: number, dst: Uint8Array, dstOffset: number): void
}

/** Keccak-256 rate in bytes (1088 bits): the bytes absorbed per permutation. */
const RATE = 136
/** Sponge state size in bytes (25 lanes of 64 bits). */
const STATE_BYTES = 200

// ---------------------------------------------------------------------------------------------------------------
// The WebAssembly permutation. Memory layout: bytes [0, 200) = the sponge state (25 little-endian u64 lanes,
// lane x + 5y), [200, 392) = the 24 round constants. Export `m` = memory, `f` = Keccak-f[1600] on the state.

/** Rotation offsets r[x][y] of the ρ step. */
const RHO = [
  [0, 36, 3, 41, 18],
  [1, 44, 10, 45, 2],
  [62, 6, 43, 15, 61],
  [28, 55, 25, 21, 56],
  [27, 20, 39, 8, 14],
] as const

/** The 24 ι round constants, from the spec's LFSR rc(t) (x^8 + x^6 + x^5 + x^4 + 1). */
function roundConstants(): bigint[] {
  const rcBit = (t: number): number => {
    let r = 1
    for (let i = 0; i < t % 255; i++) {
      r <<= 1
      if (r & 0x100) r ^= 0x171
    }
    return r & 1
  }
  const out: bigint[] = []
  for (let round = 0; round < 24; round++) {
    let c = 0n
    for (let j = 0; j <= 6; j++) if (rcBit(j + 7 * round)) c |= 1n << BigInt((1 << j) - 1)
    out.push(c)
  }
  return out
}

function uleb(n: number): number[] {
  const out: number[] = []
  do {
    let byte = n & 0x7f
    n >>>= 7
    if (n !== 0) byte |= 0x80
    out.push(byte)
  } while (n !== 0)
  return out
}

function sleb64(value: bigint): number[] {
  const out: number[] = []
  let v = BigInt.asIntN(64, value)
  for (;;) {
    const byte = Number(v & 0x7fn)
    v >>= 7n
    if ((v === 0n && (byte & 0x40) === 0) || (v === -1n && (byte & 0x40) !== 0)) {
      out.push(byte)
      return out
    }
    out.push(byte | 0x80)
  }
}

/** Assembles the module: one function `f` = load 25 lanes, 24 rounds of θ ρ π χ ι in a loop, store. */
function assembleKeccakModule(): Uint8Array {
  // Locals: a[0..25) lanes, b[25..50) after ρπ, c[50..55) column parities, d = 55, round counter (i32) = 56.
  const A = (i: number): number => i
  const B = (i: number): number => 25 + i
  const C = (x: number): number => 50 + x
  const D = 55
  const ROUND = 56
  const op = {
    get: 0x20,
    set: 0x21,
    tee: 0x22,
    i64load: 0x29,
    i64store: 0x37,
    i32const: 0x41,
    i64const: 0x42,
  }
  const I64_AND = 0x83
  const I64_XOR = 0x85
  const I64_ROTL = 0x89
  const code: number[] = []
  const get = (local: number): void => void code.push(op.get, ...uleb(local))
  const set = (local: number): void => void code.push(op.set, ...uleb(local))
  const i64 = (value: bigint): void => void code.push(op.i64const, ...sleb64(value))

  for (let i = 0; i < 25; i++) {
    code.push(op.i32const, 0, op.i64load, 3, ...uleb(8 * i))
    set(A(i))
  }
  code.push(0x03, 0x40) // loop (no result)
  // θ: c[x] = xor of column x; d = c[x-1] ^ rotl(c[x+1], 1); fused with ρ and π: b[y, 2x+3y] = rotl(a[x,y] ^ d, r[x][y]).
  for (let x = 0; x < 5; x++) {
    get(A(x))
    for (let y = 1; y < 5; y++) {
      get(A(x + 5 * y))
      code.push(I64_XOR)
    }
    set(C(x))
  }
  for (let x = 0; x < 5; x++) {
    get(C((x + 4) % 5))
    get(C((x + 1) % 5))
    i64(1n)
    code.push(I64_ROTL, I64_XOR)
    set(D)
    for (let y = 0; y < 5; y++) {
      get(A(x + 5 * y))
      get(D)
      code.push(I64_XOR)
      const r = (RHO[x] as readonly number[])[y] as number
      if (r !== 0) {
        i64(BigInt(r))
        code.push(I64_ROTL)
      }
      set(B(y + 5 * ((2 * x + 3 * y) % 5)))
    }
  }
  // χ: a[x,y] = b[x,y] ^ (~b[x+1,y] & b[x+2,y]).
  for (let y = 0; y < 5; y++) {
    for (let x = 0; x < 5; x++) {
      get(B(x + 5 * y))
      get(B(((x + 1) % 5) + 5 * y))
      i64(-1n)
      code.push(I64_XOR)
      get(B(((x + 2) % 5) + 5 * y))
      code.push(I64_AND, I64_XOR)
      set(A(x + 5 * y))
    }
  }
  // ι: a[0] ^= RC[round] (memory 200 + 8 * round); loop while ++round < 24.
  get(A(0))
  get(ROUND)
  code.push(op.i32const, 3, 0x74 /* i32.shl */, op.i64load, 3, ...uleb(STATE_BYTES), I64_XOR)
  set(A(0))
  get(ROUND)
  code.push(op.i32const, 1, 0x6a /* i32.add */, op.tee, ...uleb(ROUND), op.i32const, 24, 0x49 /* i32.lt_u */)
  code.push(0x0d, 0) // br_if 0 (back to loop start)
  code.push(0x0b) // end loop
  for (let i = 0; i < 25; i++) {
    code.push(op.i32const, 0)
    get(A(i))
    code.push(op.i64store, 3, ...uleb(8 * i))
  }
  code.push(0x0b) // end function

  const locals = [2, ...uleb(56), 0x7e /* i64 */, 1, 0x7f /* i32 */]
  const body = [...uleb(locals.length + code.length), ...locals, ...code]
  const constants: number[] = []
  for (const c of roundConstants())
    for (let k = 0n; k < 8n; k++) constants.push(Number((c >> (8n * k)) & 0xffn))
  const section = (id: number, content: number[]): number[] => [id, ...uleb(content.length), ...content]
  const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))]
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // magic, version 1
    ...section(1, [1, 0x60, 0, 0]), // types: () -> ()
    ...section(3, [1, 0]), // functions: f has type 0
    ...section(5, [1, 0x00, 1]), // memory: 1 page, no maximum
    ...section(7, [2, ...name('m'), 0x02, 0, ...name('f'), 0x00, 0]), // exports
    ...section(10, [1, ...body]), // code
    ...section(11, [1, 0, op.i32const, ...uleb(STATE_BYTES), 0x0b, ...uleb(constants.length), ...constants]), // data
  ])
}

type Sponge = { readonly memory: Uint8Array; readonly permute: () => void }

/** The slice of the WebAssembly API used here (the project's TS lib has neither DOM nor WebAssembly typings). */
type MinimalWebAssembly = {
  Module: new (bytes: Uint8Array) => object
  Instance: new (module: object) => { exports: { m: { buffer: ArrayBuffer }; f: () => void } }
}

function instantiateSponge(): Sponge | undefined {
  const wasm = (globalThis as unknown as { WebAssembly?: MinimalWebAssembly }).WebAssembly
  if (wasm === undefined) return undefined
  try {
    const { exports } = new wasm.Instance(new wasm.Module(assembleKeccakModule()))
    return { memory: new Uint8Array(exports.m.buffer, 0, STATE_BYTES), permute: exports.f }
  } catch {
    return undefined
  }
}

/** The WebAssembly sponge, or undefined when WebAssembly is unavailable (then @noble/hashes is used). */
const sponge = instantiateSponge()

/** Bytes [64, 200) of the state for a 64-byte message: padding 0x01 at byte 64, 0x80 at byte 135, zero capacity. */
const PAIR_PADDING = (() => {
  const tail = new Uint8Array(STATE_BYTES - 64)
  tail[0] = 0x01
  tail[RATE - 1 - 64] = 0x80
  return tail
})()

function keccak256Wasm(s: Sponge, bytes: Uint8Array): Uint8Array {
  const mem = s.memory
  const length = bytes.length
  let offset = 0
  if (length >= RATE) {
    mem.fill(0)
    for (; offset + RATE <= length; offset += RATE) {
      for (let i = 0; i < RATE; i++) mem[i] = (mem[i] as number) ^ (bytes[offset + i] as number)
      s.permute()
    }
    for (let i = offset; i < length; i++) mem[i - offset] = (mem[i - offset] as number) ^ (bytes[i] as number)
  } else {
    mem.set(bytes, 0)
    mem.fill(0, length)
  }
  mem[length - offset] = (mem[length - offset] as number) ^ 0x01
  mem[RATE - 1] = (mem[RATE - 1] as number) ^ 0x80
  s.permute()
  return mem.slice(0, 32)
}

/** Keccak-256 (Ethereum's: original padding 0x01, not SHA3-256) of arbitrary bytes. */
export function keccak256(bytes: Uint8Array): Uint8Array {
  return sponge === undefined ? keccak_256(bytes) : keccak256Wasm(sponge, bytes)
}

/**
 * keccak256(left ‖ right) for two 32-byte words: one sponge block, no concatenation buffer.
 * Throws on any other length (a wrong length would silently hash something else).
 */
export function keccak256Pair(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (left.length !== 32 || right.length !== 32) {
    throw new RangeError(
      `keccak256Pair expects two 32-byte words, got ${left.length} and ${right.length} bytes`,
    )
  }
  if (sponge === undefined) {
    const joined = new Uint8Array(64)
    joined.set(left, 0)
    joined.set(right, 32)
    return keccak_256(joined)
  }
  const mem = sponge.memory
  mem.set(left, 0)
  mem.set(right, 32)
  mem.set(PAIR_PADDING, 64)
  sponge.permute()
  return mem.slice(0, 32)
}

/** keccak256 of `src[srcOffset, +64)` written to `dst[dstOffset, +32)`: `Hasher.hash2Into` without any allocation. */
export function keccak256PairInto(
  src: Uint8Array,
  srcOffset: number,
  dst: Uint8Array,
  dstOffset: number,
): void {
  if (srcOffset < 0 || srcOffset + 64 > src.length || dstOffset < 0 || dstOffset + 32 > dst.length) {
    throw new RangeError('keccak256PairInto: offsets out of range')
  }
  if (sponge === undefined) {
    dst.set(keccak_256(src.subarray(srcOffset, srcOffset + 64)), dstOffset)
    return
  }
  const mem = sponge.memory
  for (let i = 0; i < 64; i++) mem[i] = src[srcOffset + i] as number
  mem.set(PAIR_PADDING, 64)
  sponge.permute()
  for (let i = 0; i < 32; i++) dst[dstOffset + i] = mem[i] as number
}

/** The Ethereum hasher: `node = keccak256(left ‖ right)`, as the Solidity `SparseMerkle` library computes it. */
export const keccakHasher: Hasher = { name: 'keccak256', hash2: keccak256Pair, hash2Into: keccak256PairInto }

/** Whether keccak256 runs on WebAssembly here (false = the slower @noble/hashes fallback). For logs and benches. */
export const keccakUsesWasm: boolean = sponge !== undefined
