import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Address, Hex } from 'viem'
import { describe, expect, it } from 'vitest'
import { isL2kitError } from '../../core/errors.ts'
import { zkRollupBytecode, zkRollupLinkReferences } from '../../generated/contracts.ts'
import { libraryPlaceholder, linkBytecode } from './link.ts'
import {
  BN254_Q,
  proofToWords,
  publicInput,
  type SnarkjsGroth16Proof,
  type SnarkjsVerificationKey,
  verificationKeyToArgs,
} from './proof.ts'

const fixture = JSON.parse(
  readFileSync(
    fileURLToPath(new URL('../../../contracts/test/zk/fixtures/groth16.json', import.meta.url)),
    'utf8',
  ),
) as {
  verificationKey: SnarkjsVerificationKey
  verifierArgs: Record<string, string[]>
  proofs: { input: string; proof: SnarkjsGroth16Proof; calldata: string[] }[]
}

describe('proofToWords', () => {
  it("puts a snarkjs proof in the verifier's order (G2 imaginary part first), as the fixture's Solidity words", () => {
    for (const p of fixture.proofs) {
      expect(proofToWords(p.proof)).toEqual(p.calldata.map(BigInt))
    }
    const p = fixture.proofs[0]!.proof
    const w = proofToWords(p)
    expect(w[2]).toBe(BigInt(p.pi_b[0]![1]!))
    expect(w[3]).toBe(BigInt(p.pi_b[0]![0]!))
  })

  it('refuses malformed proofs with ZK_L1_BAD_PROOF', () => {
    const p = fixture.proofs[0]!.proof
    const bad: SnarkjsGroth16Proof[] = [
      { ...p, pi_a: [p.pi_a[0]!, p.pi_a[1]!, '2'] },
      { ...p, pi_a: [p.pi_a[0]!, (BN254_Q + 1n).toString(), '1'] },
      { ...p, pi_c: ['x', p.pi_c[1]!, '1'] },
      { ...p, pi_b: [p.pi_b[0]!, p.pi_b[1]!, ['0', '1']] },
      { ...p, pi_b: [p.pi_b[0]!] },
      { ...p, protocol: 'plonk' },
    ]
    for (const b of bad) {
      expect(() => proofToWords(b)).toThrowError(expect.objectContaining({ code: 'ZK_L1_BAD_PROOF' }))
    }
    expect(() => publicInput(-1n)).toThrow()
    expect(publicInput('42')).toBe(42n)
  })
})

describe('verificationKeyToArgs', () => {
  it("gives the verifier's constructor argument", () => {
    const args = verificationKeyToArgs(fixture.verificationKey)
    for (const [name, words] of Object.entries(fixture.verifierArgs)) {
      expect(args[name as keyof typeof args]).toEqual(words.map(BigInt))
    }
  })

  it('refuses a key for another number of public inputs', () => {
    const error = (() => {
      try {
        verificationKeyToArgs({
          ...fixture.verificationKey,
          nPublic: 0,
          IC: fixture.verificationKey.IC.slice(0, 1),
        })
      } catch (e) {
        return e
      }
    })()
    expect(isL2kitError(error, 'ZK_L1_BAD_VERIFICATION_KEY')).toBe(true)
  })
})

describe('linkBytecode', () => {
  const libraries: Record<string, Address> = {
    PoseidonT3: '0x3333333C0A88F9BE4fd23ed0536F9B6c427e3B93',
    PoseidonT4: '0x4443338EF595F44e0121df4C21102677B142ECF0',
  }

  it('writes each address at each placeholder and leaves none', () => {
    const linked = linkBytecode(zkRollupBytecode, zkRollupLinkReferences, libraries)
    expect(linked).not.toContain('__$')
    expect(linked.length).toBe(zkRollupBytecode.length)
    for (const ref of zkRollupLinkReferences) {
      expect(ref.offsets.length).toBeGreaterThan(0)
      for (const offset of ref.offsets) {
        expect(`0x${linked.slice(2 + offset * 2, 2 + offset * 2 + 40)}`).toBe(
          libraries[ref.library]!.toLowerCase(),
        )
      }
    }
    expect(zkRollupBytecode).toContain(
      libraryPlaceholder('../node_modules/poseidon-solidity/PoseidonT3.sol', 'PoseidonT3'),
    )
  })

  it('fails with ZK_L1_LINK_FAILED on a missing library, a wrong offset or a left-over placeholder', () => {
    const code = (f: () => unknown) => {
      try {
        f()
      } catch (e) {
        return isL2kitError(e, 'ZK_L1_LINK_FAILED')
      }
      return false
    }
    expect(
      code(() =>
        linkBytecode(zkRollupBytecode, zkRollupLinkReferences, { PoseidonT3: libraries.PoseidonT3! }),
      ),
    ).toBe(true)
    const shifted = zkRollupLinkReferences.map((r) => ({ ...r, offsets: r.offsets.map((o) => o + 1) }))
    expect(code(() => linkBytecode(zkRollupBytecode, shifted, libraries))).toBe(true)
    expect(code(() => linkBytecode(zkRollupBytecode, zkRollupLinkReferences.slice(0, 1), libraries))).toBe(
      true,
    )
    expect(code(() => linkBytecode('0x00' as Hex, [], {}))).toBe(false)
  })
})
