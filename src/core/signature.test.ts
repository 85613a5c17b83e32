import { sign, privateKeyToAddress as viemPrivateKeyToAddress } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import { bytesToHex, hexToBytes } from './bytes.ts'
import { isL2kitError } from './errors.ts'
import { keccak256 } from './hash.ts'
import {
  activeSignatureBackend,
  getSignatureBackend,
  privateKeyToAddress,
  recoverAddress,
  recoverPublicKey,
  SECP256K1_HALF_N,
  SECP256K1_N,
  signatureProblem,
  signHash,
  useSignatureBackend,
} from './signature.ts'
import type { Hex, Signature } from './types.ts'

const KEY: Hex = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'
const ADDRESS = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8'

function code(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    return isL2kitError(error) ? error.code : `non-l2kit: ${String(error)}`
  }
  return undefined
}

function hashOf(i: number): Uint8Array {
  return keccak256(new TextEncoder().encode(`message ${i}`))
}

describe('signatures', () => {
  it('uses the native libsecp256k1 binding here', () => {
    // The prebuilt binding ships for linux-x64; if this fails the sequencer would be ~20x slower.
    expect(activeSignatureBackend()).toBe('native')
    expect(getSignatureBackend('noble')?.name).toBe('noble')
  })

  it('derives the same address as viem', () => {
    expect(privateKeyToAddress(KEY)).toBe(ADDRESS)
    expect(viemPrivateKeyToAddress(KEY).toLowerCase()).toBe(ADDRESS)
  })

  for (const backend of ['native', 'noble'] as const) {
    it(`signs like viem and recovers the signer (${backend})`, async () => {
      const previous = activeSignatureBackend()
      useSignatureBackend(backend)
      try {
        for (let i = 0; i < 20; i++) {
          const hash = hashOf(i)
          const ours = signHash(hash, KEY)
          const theirs = await sign({ hash: bytesToHex(hash), privateKey: KEY })
          expect(ours.r).toBe(BigInt(theirs.r))
          expect(ours.s).toBe(BigInt(theirs.s))
          expect(ours.yParity).toBe(theirs.yParity)
          expect(recoverAddress(hash, ours)).toBe(ADDRESS)
          expect(recoverAddress(bytesToHex(hash), ours)).toBe(ADDRESS)
        }
      } finally {
        useSignatureBackend(previous)
      }
    })
  }

  it('gives identical public keys on both backends, including for the wrong parity', () => {
    const native = getSignatureBackend('native')
    const noble = getSignatureBackend('noble')
    if (native === undefined || noble === undefined) throw new Error('backend missing')
    for (let i = 0; i < 10; i++) {
      const hash = hashOf(100 + i)
      const { rs, recoveryId } = native.sign(hash, hexToBytes(KEY))
      for (const id of [recoveryId, recoveryId ^ 1]) {
        expect(bytesToHex(native.recover(hash, rs, id))).toBe(bytesToHex(noble.recover(hash, rs, id)))
      }
    }
  })

  it('rejects high-s (EIP-2) and out-of-range r and s', () => {
    const hash = hashOf(1)
    const good = signHash(hash, KEY)
    const highS: Signature = { r: good.r, s: SECP256K1_N - good.s, yParity: good.yParity === 0 ? 1 : 0 }
    expect(signatureProblem(highS)).toContain('EIP-2')
    expect(code(() => recoverAddress(hash, highS))).toBe('INVALID_SIGNATURE')
    const bad: Signature[] = [
      { r: 0n, s: good.s, yParity: 0 },
      { r: SECP256K1_N, s: good.s, yParity: 0 },
      { r: good.r, s: 0n, yParity: 0 },
      { r: good.r, s: SECP256K1_HALF_N + 1n, yParity: 0 },
      { r: good.r, s: good.s, yParity: 2 as 0 },
    ]
    for (const sig of bad) expect(code(() => recoverAddress(hash, sig))).toBe('INVALID_SIGNATURE')
    expect(signatureProblem({ r: good.r, s: SECP256K1_HALF_N, yParity: 0 })).toBeUndefined()
  })

  for (const backend of ['native', 'noble'] as const) {
    it(`rejects an r that is not the x of a curve point (${backend})`, () => {
      const previous = activeSignatureBackend()
      useSignatureBackend(backend)
      try {
        // x = 5: 5^3 + 7 = 132 is not a square mod p, so there is no point with this x.
        expect(code(() => recoverAddress(hashOf(1), { r: 5n, s: 1n, yParity: 0 }))).toBe('INVALID_SIGNATURE')
      } finally {
        useSignatureBackend(previous)
      }
    })
  }

  it('rejects bad hashes and private keys', () => {
    const sig = signHash(hashOf(1), KEY)
    expect(code(() => recoverPublicKey(new Uint8Array(31), sig))).toBe('INVALID_SIGNATURE')
    expect(code(() => signHash(hashOf(1), new Uint8Array(32)))).toBe('INVALID_PRIVATE_KEY')
    expect(code(() => signHash(hashOf(1), '0x1234'))).toBe('INVALID_PRIVATE_KEY')
  })

  it('a different hash recovers a different address', () => {
    const sig = signHash(hashOf(1), KEY)
    expect(recoverAddress(hashOf(2), sig)).not.toBe(ADDRESS)
  })
})
