import { createPublicClient, createWalletClient, custom } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import { isL2kitError, type L2kitError } from '../../core/errors.ts'
import { depositZk, zkDepositUnits } from './depositZk.ts'

const GWEI = 1_000_000_000n
const ROLLUP = '0x5FbDB2315678afecb367f032d93F642f64180aa3' as const

function codeOf(f: () => unknown): [string | undefined, L2kitError | undefined] {
  try {
    f()
  } catch (e) {
    if (isL2kitError(e)) return [e.code, e]
    throw e
  }
  return [undefined, undefined]
}

describe('zkDepositUnits (the contract’s amount checks, before sending)', () => {
  it('converts whole units', () => {
    expect(zkDepositUnits(GWEI, GWEI)).toBe(1n)
    expect(zkDepositUnits(10n ** 18n, GWEI)).toBe(10n ** 9n)
    expect(zkDepositUnits(((1n << 56n) - 1n) * GWEI, GWEI)).toBe((1n << 56n) - 1n)
    expect(zkDepositUnits(5n, 1n)).toBe(5n)
  })

  it('refuses zero, negative, a fraction of the unit and 2^56 units, saying which', () => {
    for (const [amount, reason] of [
      [0n, 'not-positive'],
      [-GWEI, 'not-positive'],
      [GWEI + 1n, 'not-multiple-of-unit'],
      [999_999_999n, 'not-multiple-of-unit'],
      [(1n << 56n) * GWEI, 'too-large'],
    ] as const) {
      const [code, err] = codeOf(() => zkDepositUnits(amount, GWEI))
      expect(code).toBe('INVALID_AMOUNT')
      expect(err?.details.reason).toBe(reason)
    }
    const [, err] = codeOf(() => zkDepositUnits(1_500_000_001n, GWEI))
    expect(err?.message).toMatch(/1 gwei/)
    expect(err?.message).toMatch(/1000000000 or 2000000000 would be/)
  })
})

describe('depositZk', () => {
  it('refuses a bad ETH amount or key hash before any RPC', async () => {
    const calls: string[] = []
    const transport = custom({
      request: async ({ method }: { method: string }) => {
        calls.push(method)
        throw new Error('no RPC expected')
      },
    })
    const l1 = {
      walletClient: createWalletClient({
        account: privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'),
        transport,
      }),
      publicClient: createPublicClient({ transport }),
    }
    for (const amount of [0n, GWEI + 1n, (1n << 56n) * GWEI]) {
      const err = await depositZk({ l1, rollup: ROLLUP, token: 'ETH', amount }).catch((e) => e)
      expect(isL2kitError(err, 'INVALID_AMOUNT')).toBe(true)
    }
    const badKey = await depositZk({ l1, rollup: ROLLUP, token: 'ETH', amount: GWEI, pkHash: -1n }).catch(
      (e) => e,
    )
    expect(isL2kitError(badKey, 'INVALID_PUBLIC_KEY')).toBe(true)
    const badOwner = await depositZk({
      l1,
      rollup: ROLLUP,
      token: 'ETH',
      amount: GWEI,
      owner: '0x0000000000000000000000000000000000000000',
    }).catch((e) => e)
    expect(isL2kitError(badOwner, 'INVALID_ADDRESS')).toBe(true)
    expect(calls).toEqual([])
  })
})
