import { describe, expect, it } from 'vitest'
import { bytesToHex } from '../core/bytes.ts'
import { isL2kitError } from '../core/errors.ts'
import { xorshift32 } from '../core/testing.ts'
import { ledgerFixture } from './protocol/testing.ts'
import { decodeTx, ETH_TOKEN, encodeTx, type PlasmaTx, signTx, txToJson } from './protocol/tx.ts'
import { signedTxParam } from './rpc.ts'

const rng = xorshift32

const { domain, alice, bob } = ledgerFixture()
const good: PlasmaTx = {
  inputs: [1_000_000_000n, 2_000_010_002n],
  outputs: [
    { owner: bob.address, token: ETH_TOKEN, amount: 7n },
    { owner: alice.address, token: ETH_TOKEN, amount: 3n },
  ],
  metadata: `0x${'11'.repeat(32)}`,
}
const sigs = signTx(domain, good, [alice.key, alice.key])

describe('the operator RPC refuses hostile transactions with typed errors', () => {
  it('accepts a well-formed signed transaction (JSON and bytes)', () => {
    expect(signedTxParam({ tx: txToJson(good), sigs }).tx).toEqual(good)
    expect(signedTxParam({ txBytes: bytesToHex(encodeTx(good)), sigs }).tx).toEqual(good)
  })

  it('10,000 mutated byte strings and JSON bodies: never a crash, only PLASMA_*/INVALID_PARAMS errors', () => {
    const next = rng(0x9a5a)
    const base = encodeTx(good)
    let refused = 0
    let accepted = 0
    for (let i = 0; i < 10_000; i++) {
      let input: unknown
      const kind = next() % 4
      if (kind === 0) {
        const b = base.slice(0, next() % (base.length + 64))
        for (let k = next() % 4; k > 0; k--) if (b.length > 0) b[next() % b.length] = next() & 0xff
        input = { txBytes: bytesToHex(b), sigs }
      } else if (kind === 1) {
        const j = JSON.parse(JSON.stringify(txToJson(good))) as Record<string, unknown>
        const fields = ['inputs', 'outputs', 'metadata'] as const
        const f = fields[next() % 3] as string
        const junk = [null, 1, -1, 'x', [], {}, ['1e3'], [{ owner: 1 }], '0x', 2 ** 60, ['-5']]
        j[f] = junk[next() % junk.length]
        input = { tx: j, sigs }
      } else if (kind === 2) {
        const junkSigs = [[], ['0x'], [1], 'nope', [sigs[0], sigs[1], sigs[0], sigs[1], sigs[0]], null]
        input = { tx: txToJson(good), sigs: junkSigs[next() % junkSigs.length] }
      } else {
        const junk = [null, 0, 'tx', [], { txBytes: 5 }, { txBytes: '0xzz' }, { tx: null }]
        input = junk[next() % junk.length]
      }
      try {
        signedTxParam(input)
        accepted++
      } catch (e) {
        if (!isL2kitError(e) || !/^(PLASMA_|INVALID_)/.test(e.code)) throw e
        refused++
      }
    }
    expect(refused).toBeGreaterThan(9_000)
    expect(refused + accepted).toBe(10_000)
  })

  it('a decoded mutation is always canonical: it re-encodes to the same bytes', () => {
    const next = rng(7)
    const base = encodeTx(good)
    for (let i = 0; i < 5_000; i++) {
      const b = base.slice()
      b[next() % b.length] = next() & 0xff
      try {
        const tx = decodeTx(b)
        expect(bytesToHex(encodeTx(tx))).toBe(bytesToHex(b))
      } catch (e) {
        expect(isL2kitError(e, 'PLASMA_MALFORMED_TX')).toBe(true)
      }
    }
  })
})
