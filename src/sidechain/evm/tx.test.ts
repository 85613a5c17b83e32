import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import { bytesToHex, hexToBytes } from '../../core/bytes.ts'
import { isL2kitError } from '../../core/errors.ts'
import { xorshift32 } from '../../core/testing.ts'
import type { Hex } from '../../core/types.ts'
import { decodeTx, intrinsicGasOf, parseTx, recoverTx } from './tx.ts'

const key: Hex = `0x${'42'.repeat(32)}`
const account = privateKeyToAccount(key)
const rules = { chainId: 7011n, calldataFloor: true }
const BOB: Hex = `0x${'b0'.repeat(20)}`

describe('sidechain transaction decoding', () => {
  it('decodes type 2 (with an access list) and EIP-155 legacy transactions and recovers their sender', async () => {
    const t2 = (await account.signTransaction({
      type: 'eip1559',
      chainId: 7011,
      nonce: 9,
      to: BOB,
      value: 5n,
      gas: 50_000n,
      maxFeePerGas: 30n,
      maxPriorityFeePerGas: 2n,
      data: '0x00ff',
      accessList: [{ address: BOB, storageKeys: [`0x${'01'.repeat(32)}`] }],
    })) as Hex
    const tx = recoverTx(decodeTx(t2, rules))
    expect(tx).toMatchObject({
      type: 'eip1559',
      from: account.address.toLowerCase(),
      nonce: 9n,
      to: BOB,
      value: 5n,
      gasLimit: 50_000n,
      maxFee: 30n,
      tip: 2n,
      size: hexToBytes(t2).length,
    })
    // 21,000 + 4 (zero byte) + 16 (non-zero) + 2,400 + 1,900; floor 21,000 + 10 · 5 tokens.
    expect(tx.intrinsicGas).toBe(25_320n)
    expect(tx.floorGas).toBe(21_050n)
    const legacy = (await account.signTransaction({
      type: 'legacy',
      chainId: 7011,
      nonce: 0,
      gas: 100_000n,
      gasPrice: 7n,
      data: '0x6000',
    })) as Hex
    const created = parseTx(legacy, rules)
    expect(created).toMatchObject({ type: 'legacy', to: undefined, maxFee: 7n, tip: 7n })
    // Creation: +32,000 and 2 per init-code word (EIP-3860).
    expect(created.intrinsicGas).toBe(21_000n + 16n + 4n + 32_000n + 2n)
    expect(intrinsicGasOf({ to: BOB, data: new Uint8Array(0), accessList: [] }, false)).toEqual({
      intrinsicGas: 21_000n,
      floorGas: 0n,
    })
  })

  it('survives 6,000 mutated transactions: typed errors only, never a crash', async () => {
    const rng = xorshift32(7)
    const seeds = [
      hexToBytes(
        (await account.signTransaction({
          type: 'eip1559',
          chainId: 7011,
          nonce: 1,
          to: BOB,
          gas: 21_000n,
          maxFeePerGas: 3n,
          maxPriorityFeePerGas: 1n,
        })) as Hex,
      ),
      hexToBytes(
        (await account.signTransaction({
          type: 'legacy',
          chainId: 7011,
          nonce: 1,
          to: BOB,
          gas: 21_000n,
          gasPrice: 3n,
        })) as Hex,
      ),
    ]
    const codes = new Set<string>()
    let ok = 0
    for (let i = 0; i < 6_000; i++) {
      const base = seeds[i % 2] as Uint8Array
      let input: Uint8Array
      if (i % 3 === 0) {
        input = base.slice()
        for (let f = 0; f < 1 + (rng() % 4); f++) {
          const at = rng() % input.length
          input[at] = rng() & 0xff
        }
      } else if (i % 3 === 1) {
        input = base.slice(0, rng() % base.length)
      } else {
        input = Uint8Array.from({ length: rng() % 200 }, () => rng() & 0xff)
      }
      try {
        parseTx(bytesToHex(input), rules)
        ok++
      } catch (err) {
        if (!isL2kitError(err)) throw err
        codes.add(err.code)
      }
    }
    expect(ok).toBeLessThan(6_000)
    for (const c of codes) {
      expect([
        'MALFORMED_TRANSACTION',
        'INVALID_SIGNATURE',
        'WRONG_CHAIN_ID',
        'UNSUPPORTED_TX_TYPE',
        'UNPROTECTED_TX',
        'INVALID_FEE',
        'TX_TOO_LARGE',
        'INVALID_HEX',
      ]).toContain(c)
    }
  })
})
