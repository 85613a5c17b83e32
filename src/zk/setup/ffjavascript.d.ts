// Minimal types for the parts of ffjavascript 0.3 (snarkjs's field/curve library) the Groth16 setup uses.
// Move into a shared declaration if another part of l2kit needs more of the module.
declare module 'ffjavascript' {
  /** A random source as ffjavascript's ChaCha: `fromRng` methods draw from it. */
  export interface FfRng {
    nextU32(): number
    nextU64(): bigint
    nextBool(): boolean
  }
  export interface ChaChaConstructor {
    new (seed?: number[]): FfRng
  }
  /** ChaCha20 stream as used by snarkjs for beacons (seeded with 8 big-endian words of a hash). */
  export const ChaCha: ChaChaConstructor
  /** Field elements are Uint8Arrays in the WASM module's internal (Montgomery) form. */
  export interface FfWasmField {
    n8: number
    s: number
    /** 2^i-th roots of unity (i = 0..s), Montgomery form. */
    w: Uint8Array[]
    e(x: bigint | number | string): Uint8Array
    fromRng(rng: FfRng): Uint8Array
    toObject(a: Uint8Array): bigint
    fromObject(a: bigint): Uint8Array
    inv(a: Uint8Array): Uint8Array
    mul(a: Uint8Array, b: Uint8Array): Uint8Array
  }
  /** Points are Uint8Arrays: affine (2·n8 bytes, LEM) or Jacobian (3·n8 bytes). */
  export interface FfWasmCurve {
    F: { n8: number }
    g: Uint8Array
    zero: Uint8Array
    toAffine(p: Uint8Array): Uint8Array
    fromRng(rng: FfRng): Uint8Array
    timesFr(p: Uint8Array, s: Uint8Array): Uint8Array
    timesScalar(p: Uint8Array, s: bigint | Uint8Array): Uint8Array
    eq(a: Uint8Array, b: Uint8Array): boolean
    isZero(a: Uint8Array): boolean
    toRprLEM(buff: Uint8Array, offset: number, p: Uint8Array): void
    fromRprLEM(buff: Uint8Array, offset?: number): Uint8Array
    toRprUncompressed(buff: Uint8Array, offset: number, p: Uint8Array): void
    toUncompressed(p: Uint8Array): Uint8Array
    toObject(p: Uint8Array): bigint[] | bigint[][]
  }
  export interface FfBn128 {
    name: string
    q: bigint
    r: bigint
    Fr: FfWasmField
    F1: FfWasmField
    G1: FfWasmCurve
    G2: FfWasmCurve
    Gt: { toObject(a: Uint8Array): unknown }
    pairing(a: Uint8Array, b: Uint8Array): Uint8Array | Promise<Uint8Array>
    /** The thread manager; with `singleThread` it holds the WASM code and the module's static pointers. */
    tm: { code: Uint8Array; pG1gen: number; pG2gen: number; initalPFree: number }
    terminate(): Promise<void>
  }
  export function buildBn128(singleThread?: boolean): Promise<FfBn128>
}
