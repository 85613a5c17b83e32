import { encodeFunctionData, type Hex, keccak256, parseAbi } from 'viem'
import { describe, expect, it } from 'vitest'
import { isL2kitError } from '../core/errors.ts'
import type { L1PublicClient } from './clients.ts'
import { readCommittedData } from './committedData.ts'

const abi = parseAbi(['function post(uint256 a, bytes data)', 'function other(bytes data)'])
const DATA: Hex = '0xdeadbeef'
const TX: Hex = `0x${'11'.repeat(32)}`

/** A public client that knows one transaction, with this input. */
const clientWith = (input: Hex) =>
  ({ getTransaction: async ({ hash }: { hash: Hex }) => ({ hash, input }) }) as unknown as L1PublicClient

const source = (expectedHash?: Hex) =>
  ({ kind: 'calldata', abi, functionName: 'post', argIndex: 1, expectedHash }) as const

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p
  } catch (err) {
    if (isL2kitError(err)) return `${err.code}/${err.kind}`
    throw err
  }
  return undefined
}

describe('readCommittedData (calldata)', () => {
  const input = encodeFunctionData({ abi, functionName: 'post', args: [7n, DATA] })

  it('returns the bytes argument of the top-level call when it matches the recorded hash', async () => {
    const d = await readCommittedData(clientWith(input), TX, source(keccak256(DATA)))
    expect(d).toEqual({ isBlob: false, data: new Uint8Array([0xde, 0xad, 0xbe, 0xef]) })
  })

  it('refuses data that does not match the recorded hash (a lying RPC): temporary', async () => {
    expect(await codeOf(readCommittedData(clientWith(input), TX, source(keccak256('0x00'))))).toBe(
      'COMMITTED_DATA_MISMATCH/temporary',
    )
  })

  it('says the data is unavailable when the transaction called another function (e.g. through a contract)', async () => {
    const other = encodeFunctionData({ abi, functionName: 'other', args: [DATA] })
    expect(await codeOf(readCommittedData(clientWith(other), TX, source()))).toBe(
      'COMMITTED_DATA_UNAVAILABLE/temporary',
    )
    expect(await codeOf(readCommittedData(clientWith('0x1234'), TX, source()))).toBe(
      'COMMITTED_DATA_UNAVAILABLE/temporary',
    )
  })
})
