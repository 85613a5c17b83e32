import { keccak_256 } from '@noble/hashes/sha3.js'
import { buildEddsa, type Eddsa } from 'circomlibjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { loadZkCrypto, zkPublicKey, zkSign, zkVerify } from './crypto.ts'

let ref: Eddsa
beforeAll(async () => {
  await loadZkCrypto()
  ref = await buildEddsa()
})

describe('BabyJubjub EdDSA-Poseidon on noble points', () => {
  it("makes the same keys and signatures as circomlibjs, and each verifies the other's", () => {
    for (let i = 0; i < 8; i++) {
      const prv = keccak_256(new Uint8Array([i, 7]))
      const msg = (123456789n << BigInt(i * 20)) + BigInt(i)
      const pub = zkPublicKey(prv)
      const [rx, ry] = ref.prv2pub(prv)
      expect(pub).toEqual({ x: ref.F.toObject(rx), y: ref.F.toObject(ry) })
      const sig = zkSign(prv, msg)
      const refSig = ref.signPoseidon(prv, ref.F.e(msg))
      expect(sig).toEqual({
        r8x: ref.F.toObject(refSig.R8[0]),
        r8y: ref.F.toObject(refSig.R8[1]),
        s: refSig.S,
      })
      expect(zkVerify(msg, sig, pub)).toBe(true)
      expect(ref.verifyPoseidon(ref.F.e(msg), refSig, [rx, ry])).toBe(true)
    }
  })

  it('refuses other messages, other keys, S out of range and points off the curve', () => {
    const prv = keccak_256(new Uint8Array([1]))
    const pub = zkPublicKey(prv)
    const sig = zkSign(prv, 42n)
    expect(zkVerify(43n, sig, pub)).toBe(false)
    expect(zkVerify(42n, sig, zkPublicKey(keccak_256(new Uint8Array([2]))))).toBe(false)
    expect(
      zkVerify(
        42n,
        { ...sig, s: sig.s + 2736030358979909402780800718157159386076813972158567259200215660948447373041n },
        pub,
      ),
    ).toBe(false)
    expect(zkVerify(42n, { ...sig, r8x: sig.r8x + 1n }, pub)).toBe(false)
    expect(zkVerify(42n, sig, { x: pub.x, y: pub.y + 1n })).toBe(false)
  })
})
