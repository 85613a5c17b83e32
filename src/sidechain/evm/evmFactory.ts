/**
 * The ethereumjs pieces every execution shares: the `Common` of the chain (chain id, hardfork, core's WebAssembly
 * keccak and libsecp256k1 for the ECRECOVER precompile, c-kzg loaded on the first point-evaluation call) and a
 * fresh EVM over an overlay.
 */
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { type Common, createCustomCommon, Mainnet } from '@ethereumjs/common'
import { createEVM, type EVM, type EVMMockBlockchainInterface, paramsEVM } from '@ethereumjs/evm'
import { hexToBytes } from '../../core/bytes.ts'
import { keccak256 } from '../../core/hash.ts'
import type { Hex } from '../../core/types.ts'
import type { OverlayState } from './overlayState.ts'

/** Hardforks without beacon-chain parts this chain can run (blob transactions are refused under each). */
export const SUPPORTED_HARDFORKS = ['cancun', 'prague', 'osaka'] as const
export type SidechainHardfork = (typeof SUPPORTED_HARDFORKS)[number]

type NativeSecp = {
  ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed?: boolean): Uint8Array
}
type CKzg = {
  loadTrustedSetup(precompute: number): void
  verifyKzgProof(commitment: Uint8Array, z: Uint8Array, y: Uint8Array, proof: Uint8Array): boolean
}

const require = createRequire(import.meta.url)
let native: NativeSecp | undefined
let ckzg: CKzg | undefined

function nativeSecp(): NativeSecp {
  native ??= require('secp256k1/bindings.js') as NativeSecp
  return native
}

/** ECRECOVER for ethereumjs (64-byte public key out), on libsecp256k1. Throws when no key matches. */
function ecrecover(
  msgHash: Uint8Array,
  v: bigint,
  r: Uint8Array,
  s: Uint8Array,
  chainId?: bigint,
): Uint8Array {
  const recid =
    v <= 1n ? Number(v) : chainId === undefined ? Number(v - 27n) : Number(v - (chainId * 2n + 35n))
  if (recid !== 0 && recid !== 1) throw new Error('invalid recovery id')
  if (r.length > 32 || s.length > 32) throw new Error('invalid signature')
  const sig = new Uint8Array(64)
  sig.set(r, 32 - r.length)
  sig.set(s, 64 - s.length)
  return nativeSecp().ecdsaRecover(sig, recid, msgHash, false).subarray(1)
}

/** EIP-4844's point evaluation only (no blobs here): c-kzg and its trusted setup are loaded on first use. */
const pointEvaluationKzg = {
  verifyProof(commitment: string, z: string, y: string, proof: string): boolean {
    if (ckzg === undefined) {
      const lib = require('c-kzg') as CKzg
      try {
        lib.loadTrustedSetup(0)
      } catch (err) {
        if (!(err instanceof Error && /already loaded/i.test(err.message))) throw err
      }
      ckzg = lib
    }
    return ckzg.verifyKzgProof(hexToBytes(commitment), hexToBytes(z), hexToBytes(y), hexToBytes(proof))
  },
}

export function sidechainCommon(chainId: bigint, hardfork: SidechainHardfork): Common {
  return createCustomCommon({ chainId: Number(chainId) }, Mainnet, {
    hardfork,
    customCrypto: { keccak256, ecrecover, kzg: pointEvaluationKzg as never },
  })
}

/** BLOCKHASH's source: the hashes of committed blocks (the EVM asks only for the 256 before the current one). */
export function blockHashSource(hashOf: (n: bigint) => Hex | undefined): EVMMockBlockchainInterface {
  const source: EVMMockBlockchainInterface = {
    getBlock: async (n: number) => {
      const h = hashOf(BigInt(n))
      const bytes = h === undefined ? new Uint8Array(32) : hexToBytes(h)
      return { hash: () => bytes }
    },
    putBlock: async () => {},
    shallowCopy: () => source,
  }
  return source
}

const tuned = new WeakSet<Common>()

/**
 * Speeds up a `Common` whose hardfork and EIPs never change (ours): `isActivatedEIP` (a linear scan of an array,
 * asked on every opcode) becomes a set lookup, `param` (a `BigInt()` conversion per call) a memo. Called once the
 * first EVM registered its parameters on it (the EVM adds its own table to the common at construction; later EVMs
 * add the same values again).
 */
function tuneCommon(common: Common): void {
  if (tuned.has(common)) return
  tuned.add(common)
  const c = common as unknown as {
    _activatedEIPsCache: number[]
    isActivatedEIP(eip: number): boolean
    param(name: string): bigint
  }
  const active = new Set(c._activatedEIPsCache)
  if (!Array.isArray(c._activatedEIPsCache) || active.size === 0) return
  c.isActivatedEIP = (eip: number) => active.has(eip)
  const original = c.param.bind(common)
  const memo = new Map<string, bigint>()
  c.param = (name: string) => {
    let v = memo.get(name)
    if (v === undefined) {
      v = original(name)
      memo.set(name, v)
    }
    return v
  }
}

type JumpAnalysis = { jumps: Uint8Array; pushes: Record<number, bigint>; opcodesCached: unknown[] }
let jumpCachePatched = false

/**
 * ethereumjs analyses a contract's jump destinations (and caches its decoded opcodes) for every message it runs; a
 * token's code is the same for every transfer of a block. The analysis is a pure function of the code and of the
 * EVM's opcode table, and the interpreter only reads it, so it is memoised per (code bytes object, opcode table):
 * the head state hands out one `Uint8Array` per code hash. Best effort: if ethereumjs changes its internals, this
 * does nothing.
 */
async function patchJumpAnalysisCache(): Promise<void> {
  if (jumpCachePatched) return
  jumpCachePatched = true
  try {
    const cjsEntry = require.resolve('@ethereumjs/evm')
    const esmInterpreter = cjsEntry.replace(/[/\\]cjs[/\\]index\.js$/, '/esm/interpreter.js')
    if (esmInterpreter === cjsEntry) return
    const mod = (await import(pathToFileURL(esmInterpreter).href)) as {
      Interpreter?: { prototype: Record<string, unknown> }
    }
    const proto = mod.Interpreter?.prototype
    const original = proto?._getValidJumpDestinations as ((code: Uint8Array) => JumpAnalysis) | undefined
    if (proto === undefined || typeof original !== 'function') return
    const cache = new WeakMap<Uint8Array, WeakMap<object, JumpAnalysis>>()
    proto._getValidJumpDestinations = function (this: { _evm: Record<string, object> }, code: Uint8Array) {
      const table = this._evm._opcodeMap as object
      let perTable = cache.get(code)
      if (perTable === undefined) {
        perTable = new WeakMap()
        cache.set(code, perTable)
      }
      let analysis = perTable.get(table)
      if (analysis === undefined) {
        analysis = original.call(this, code)
        perTable.set(table, analysis)
      }
      return analysis
    }
  } catch {
    // Not the layout we know: run without the cache.
  }
}

/**
 * The EVM's gas parameters, with the pairing precompiles (BN254 0x08, EIP-1108; BLS12-381 0x0f, EIP-2537) priced
 * `pairingGasFactor` times Ethereum's. Their JavaScript implementations run ~10 ms per pair where geth's native
 * code runs ~1 ms, so at Ethereum's price one block of pairings (30M gas, ~880 pairs) would keep every validator busy
 * for ~10 s; a factor of 10 bounds that near 1 s. 1 = Ethereum's schedule.
 */
export function evmParams(pairingGasFactor: bigint): Record<string, Record<string, number>> {
  const params = JSON.parse(JSON.stringify(paramsEVM)) as Record<string, Record<string, number>>
  if (pairingGasFactor === 1n) return params
  const f = Number(pairingGasFactor)
  const bn = params['1679']
  if (bn?.bn254PairingGas !== undefined && bn.bn254PairingWordGas !== undefined) {
    bn.bn254PairingGas *= f
    bn.bn254PairingWordGas *= f
  }
  const bls = params['2537']
  if (bls?.bls12381PairingBaseGas !== undefined && bls.bls12381PairingPerPairGas !== undefined) {
    bls.bls12381PairingBaseGas *= f
    bls.bls12381PairingPerPairGas *= f
  }
  return params
}

export async function newEvm(
  common: Common,
  state: OverlayState,
  blocks: EVMMockBlockchainInterface,
  params: Record<string, Record<string, number>> = paramsEVM as never,
): Promise<EVM> {
  await patchJumpAnalysisCache()
  const evm = await createEVM({ common, stateManager: state, blockchain: blocks, params: params as never })
  tuneCommon(common)
  return evm
}
