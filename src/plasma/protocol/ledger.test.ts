import { describe, expect, it } from 'vitest'
import type { Hex } from '../../core/types.ts'
import { checkTransfer, type OutputState } from './ledger.ts'
import { ledgerFixture } from './testing.ts'
import { ETH_TOKEN, type PlasmaTx, signTx } from './tx.ts'

const { domain, alice, bob, carol } = ledgerFixture()
const TOKEN = '0x00000000000000000000000000000000000000aa'
const outputs = new Map<bigint, OutputState>([
  [1_000_000_000n, { output: { owner: alice.address, token: ETH_TOKEN, amount: 100n } }],
  [2_000_000_000n, { output: { owner: alice.address, token: TOKEN, amount: 7n } }],
  [3_000_000_000n, { output: { owner: bob.address, token: ETH_TOKEN, amount: 1n }, spentBy: '0x01' }],
])
const lookup = (pos: bigint) => outputs.get(pos)
const pay: PlasmaTx = {
  inputs: [1_000_000_000n, 2_000_000_000n],
  outputs: [
    { owner: bob.address, token: ETH_TOKEN, amount: 60n },
    { owner: alice.address, token: ETH_TOKEN, amount: 40n },
    { owner: carol.address, token: TOKEN, amount: 7n },
  ],
  metadata: `0x${'00'.repeat(32)}`,
}
const code = (fn: () => unknown) => {
  try {
    fn()
  } catch (e) {
    return (e as { code?: string }).code
  }
  return 'accepted'
}

describe('checkTransfer', () => {
  it('accepts a balanced transfer signed by the owners, ETH and a token together', () => {
    const sigs = signTx(domain, pay, [alice.key, alice.key])
    expect(checkTransfer(domain, { tx: pay, sigs }, lookup).txHashHex).toMatch(/^0x[0-9a-f]{64}$/)
  })

  it('refuses a forged signature, unknown and spent inputs, and unbalanced amounts', () => {
    const sigs = signTx(domain, pay, [alice.key, alice.key])
    expect(
      code(() => checkTransfer(domain, { tx: pay, sigs: signTx(domain, pay, [bob.key, alice.key]) }, lookup)),
    ).toBe('PLASMA_BAD_SIGNATURE')
    expect(code(() => checkTransfer(domain, { tx: pay, sigs: [sigs[0] as Hex] }, lookup))).toBe(
      'PLASMA_BAD_SIGNATURE',
    )
    expect(code(() => checkTransfer(domain, { tx: pay, sigs: [sigs[0] as Hex, '0x1234'] }, lookup))).toBe(
      'PLASMA_BAD_SIGNATURE',
    )
    const unknown = { ...pay, inputs: [1_000_000_000n, 4_000_000_000n] }
    expect(
      code(() =>
        checkTransfer(domain, { tx: unknown, sigs: signTx(domain, unknown, [alice.key, alice.key]) }, lookup),
      ),
    ).toBe('PLASMA_UNKNOWN_INPUT')
    const spent: PlasmaTx = {
      inputs: [3_000_000_000n],
      outputs: [{ owner: alice.address, token: ETH_TOKEN, amount: 1n }],
      metadata: pay.metadata,
    }
    expect(
      code(() => checkTransfer(domain, { tx: spent, sigs: signTx(domain, spent, [bob.key]) }, lookup)),
    ).toBe('PLASMA_SPENT_INPUT')
    const inflate = {
      ...pay,
      outputs: [...pay.outputs, { owner: carol.address, token: ETH_TOKEN, amount: 1n }],
    }
    expect(
      code(() =>
        checkTransfer(domain, { tx: inflate, sigs: signTx(domain, inflate, [alice.key, alice.key]) }, lookup),
      ),
    ).toBe('PLASMA_UNBALANCED')
  })
})
