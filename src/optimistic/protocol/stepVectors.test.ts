// biome-ignore-all lint/style/noNonNullAssertion: tests index data they just built
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { concat, type Hex, keccak256 } from 'viem'
import { describe, expect, it } from 'vitest'
import { buildStepCases, renderStepVectors, STEP_VECTORS_PATH } from '../../../scripts/genStepVectors.ts'
import { verifyAddressProof } from '../../core/addressTree.ts'
import { bytesToHex } from '../../core/bytes.ts'
import { stateCommitment } from '../../core/commitment.ts'
import { parseRowV3 } from './batchCodecV3.ts'
import { decodeStepWitness, STEP_WITNESS_BYTES } from './stepWitness.ts'

const repoRoot = resolve(import.meta.dirname, '..', '..', '..')
const set = buildStepCases()
const { cases } = set

describe('StepVectors.sol', () => {
  it('is up to date with src/core (regenerate with `npx tsx scripts/genStepVectors.ts`)', () => {
    const committed = readFileSync(resolve(repoRoot, STEP_VECTORS_PATH), 'utf8')
    expect(committed).toBe(renderStepVectors(set))
  })

  it('keeps the interface the Solidity tests depend on', () => {
    const text = renderStepVectors(set)
    expect(text).toContain(
      'struct StepWitness { TxExecutor.Witness tx; AddressProof sender; AddressProof recipient; Deposit deposit; }',
    )
    expect(text).toContain('struct AddressProof { uint256 leaf; bytes32[160] siblings; }')
    expect(text).toContain('struct Deposit { address from; address to; uint16 tokenIndex; uint256 amount; }')
    expect(text).toContain('function get(uint256 i) internal pure returns (StepVector memory v)')
    expect(text).toContain(`uint256 internal constant COUNT = ${cases.length};`)
  })

  it('covers every row kind, every applied operation, every reachable skip and every no-op the brief lists', () => {
    const names = cases.map((c) => c.name)
    for (const expected of [
      'tx: ETH transfer (EIP-1559) to an existing account',
      'tx: ETH transfer (legacy) to a new account',
      'tx: token transfer (legacy) to an existing account',
      'tx: ETH withdrawal',
      'tx: token withdrawal',
      'deposit: ETH to a new account',
      'deposit: ETH to an existing account',
      'noop: deposit row beyond batchDepositCountAfter',
      'block end: closes block 1',
      'noop: malformed block-end row',
    ])
      expect(names).toContain(expected)
    const codes = new Set(cases.flatMap((c) => (c.outcome.applied ? [] : [c.outcome.code])))
    expect(codes).toEqual(
      new Set([
        'DEPOSIT_BEYOND_BATCH',
        'NONCE_TOO_HIGH',
        'NONCE_TOO_LOW',
        'GAS_LIMIT_TOO_LOW',
        'FEE_CAP_TOO_LOW',
        'UNKNOWN_TOKEN',
        'INSUFFICIENT_BALANCE',
        'INSUFFICIENT_TOKEN_BALANCE',
        'BALANCE_OVERFLOW',
        'UNKNOWN_ACCOUNT',
        'INVALID_SIGNATURE',
        'MALFORMED_ROW',
        'UNKNOWN_ROW_TYPE',
      ]),
    )
    const applied = cases.filter((c) => c.outcome.applied && c.outcome.kind === 'tx')
    const kinds = new Set(
      applied.map((c) => {
        const p = parseRowV3(c.row)
        return p.type === 'tx' ? p.tx.op.kind : 'none'
      }),
    )
    expect(kinds).toEqual(new Set(['ethTransfer', 'tokenTransfer', 'withdrawEth', 'withdrawToken']))
    // new accounts from a transfer and from a deposit; tokenCount raised by a deposit
    expect(applied.some((c) => c.post.accountCount === c.pre.accountCount + 1n)).toBe(true)
    expect(
      cases.some(
        (c) =>
          c.outcome.kind === 'deposit' &&
          c.outcome.applied &&
          c.post.accountCount === c.pre.accountCount + 1n,
      ),
    ).toBe(true)
    expect(cases.some((c) => c.post.tokenCount > c.pre.tokenCount)).toBe(true)
  })

  it('chains the cases and changes the header exactly when a row applies', () => {
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i]!
      expect(stateCommitment(c.pre)).toBe(c.preCommitment)
      expect(stateCommitment(c.post)).toBe(c.postCommitment)
      if (i > 0) expect(c.preCommitment, c.name).toBe(cases[i - 1]!.postCommitment)
      if (c.outcome.applied) expect(c.postCommitment, c.name).not.toBe(c.preCommitment)
      else expect(c.postCommitment, c.name).toBe(c.preCommitment)
    }
  })

  it('holds witnesses that encode to 16,128 bytes, decode back, and open against the pre-state (viem keccak)', () => {
    for (const c of cases) {
      expect((c.encoded.length - 2) / 2).toBe(STEP_WITNESS_BYTES)
      expect(decodeStepWitness(c.encoded)).toEqual(c.witness)
      const w = c.witness
      if (c.outcome.applied && c.outcome.kind !== 'blockEnd') {
        expect(keccak256(concat([w.tx.accountsRoot, w.tx.withdrawalsRoot])), c.name).toBe(
          keccak256(concat([c.pre.accountsRoot, c.pre.withdrawalsRoot])),
        )
        const recipient =
          c.outcome.kind === 'deposit'
            ? w.deposit.to
            : (parseRowV3(c.row) as { tx: { op: { to: Hex } } }).tx.op.to
        if (recipient !== undefined)
          expect(
            verifyAddressProof(c.pre.addressesRoot, recipient, w.recipient.leaf, w.recipient.siblings),
          ).toBe(true)
      }
      if (c.outcome.kind === 'deposit' && c.outcome.applied) {
        const d = set.deposits[Number(c.pre.depositCount)]!
        expect(w.deposit).toEqual({ from: d.from, to: d.to, tokenIndex: d.tokenIndex, amount: d.amount })
      }
    }
  })

  it('rolls the deposit queue hash as the Portal does', () => {
    let h: Hex = `0x${'00'.repeat(32)}`
    set.deposits.forEach((d, i) => {
      const word = (v: bigint) => v.toString(16).padStart(64, '0')
      const encoded = `0x${h.slice(2)}${word(d.index)}${word(BigInt(d.from))}${word(BigInt(d.to))}${word(BigInt(d.tokenIndex))}${word(d.amount)}`
      h = keccak256(encoded as Hex)
      expect(set.depositHashes[i]).toBe(h)
    })
  })

  it('builds the same cases every time (deterministic)', () => {
    expect(renderStepVectors(buildStepCases())).toBe(renderStepVectors(set))
    expect(bytesToHex(cases[0]!.row)).toBe(`0x01${'00'.repeat(123)}`)
  })
})
