import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { isL2kitError } from '../core/errors.ts'
import { FAULT_KINDS } from '../optimistic/faults.ts'
import { FAULT_KIND_NAMES } from './flags.ts'
import { nodeRefusal } from './optimistic/l2Context.ts'
import { parseAmountText } from './optimistic/tokens.ts'
import { describeWithdrawalStatus } from './optimistic/withdraw.ts'
import { costComparison } from './output.ts'
import { describeBatch } from './status.ts'
import { chooseFamilies } from './up.ts'

describe('CLI wording and input checks (issue 7, finding 15)', () => {
  it('refuses an amount with more decimals than the token has instead of rounding it', () => {
    expect(() => parseAmountText('0.1234567890123456789', 18, 'ETH')).toThrowError(
      /more decimals than ETH has \(18\)/,
    )
    expect(() => parseAmountText('1.001', 2, 'USD')).toThrowError(/INVALID|decimals/)
    expect(parseAmountText('0.123456789012345678', 18)).toBe(123456789012345678n)
    expect(parseAmountText('1.500', 2)).toBe(150n) // trailing zeros change nothing
    expect(() => parseAmountText('0', 18)).toThrowError(/more than 0/)
  })

  it('words the rollup cost right both ways', () => {
    expect(costComparison(100n, 80n)).toBe('1.3× cheaper on the rollup here')
    expect(costComparison(80n, 100n)).toBe('1.25× dearer on the rollup here')
    expect(costComparison(100n, 100n)).toBe('the same cost on the rollup here')
    expect(costComparison(100n, 0n)).toBe('free on the rollup here')
  })

  it('shows a batch as a block range and marks forced batches', () => {
    const base = {
      batchIndex: '3',
      l1TxHash: '0x' as const,
      isBlob: true,
      blobHashes: ['0x01' as const],
      txCount: 5,
    }
    expect(describeBatch({ ...base, firstBlock: '1', blockCount: 2, dataBytes: 300 })).toBe(
      '#3: blocks 1–2, 5 txs, 300 bytes as 1 blob(s)',
    )
    expect(describeBatch({ ...base, firstBlock: '7', blockCount: 1, dataBytes: 300 })).toMatch(/: block 7,/)
    expect(
      describeBatch({
        ...base,
        isBlob: false,
        blobHashes: [],
        firstBlock: '9',
        blockCount: 3,
        dataBytes: null,
        forced: true,
      }),
    ).toBe('#3 (forced from the L1 queue): blocks 9–11, 5 txs, calldata')
  })

  it('says a withdrawal status in words', () => {
    const proof = { proposalIndex: '4' } as never
    expect(describeWithdrawalStatus({ status: 'ready-to-finalize', proof })).toBe(
      'challenge window over (proposal #4 is final): finalizing on L1',
    )
    expect(describeWithdrawalStatus({ status: 'in-challenge-window', secondsLeft: 3, proof })).toMatch(
      /3 s left/,
    )
  })

  it("turns the node's refusal inside a viem error into a typed error", () => {
    const viemLike = Object.assign(new Error('Transaction failed\n\nlong details'), {
      cause: { details: 'insufficient balance: has 1, needs 2', data: { code: 'INSUFFICIENT_BALANCE' } },
    })
    const e = nodeRefusal(viemLike, 'the L2 node refused the transfer')
    expect(isL2kitError(e, 'INSUFFICIENT_BALANCE')).toBe(true)
    expect((e as Error).message).toBe(
      'the L2 node refused the transfer: insufficient balance: has 1, needs 2',
    )
    const other = new Error('x')
    expect(nodeRefusal(other, 'y')).toBe(other)
  })

  it('keeps help light: the flag module imports nothing but args, and lists every fault kind', () => {
    const source = readFileSync(join(import.meta.dirname, 'flags.ts'), 'utf8')
    const imports = [...source.matchAll(/^import .* from '(.*)'$/gm)].map((m) => m[1])
    expect(imports).toEqual(['./args.ts'])
    expect([...FAULT_KIND_NAMES]).toEqual([...FAULT_KINDS])
  })
})

describe('l2kit up --family', () => {
  it('starts every built family by default and accepts them by name in any case', () => {
    expect(chooseFamilies(undefined)).toEqual(['optimistic', 'zk', 'channels', 'plasma', 'sidechain'])
    expect(chooseFamilies('PLASMA,channels,Sidechain')).toEqual(['plasma', 'channels', 'sidechain'])
    expect(chooseFamilies(' Optimistic ')).toEqual(['optimistic'])
  })
  it('names every unknown family at once', () => {
    expect(() => chooseFamilies('optimistic,zkk,sidechian')).toThrow(
      /"zkk" is not a family .*; "sidechian" is not a family/,
    )
  })
})
