/**
 * Helpers for the execution layer's tests (and the crash child process): a chain on a temporary store, funded
 * dev keys, signed transactions.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TransactionSerializable } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { silentLogger } from '../../../core/logger.ts'
import type { Address, Hex } from '../../../core/types.ts'
import { openStore } from '../../../node/store.ts'
import {
  createSidechainExecution,
  type SidechainExecution,
  type SidechainExecutionOptions,
} from '../execution.ts'

export const TEST_CHAIN_ID = 7011n
export const GWEI = 1_000_000_000n
export const TEST_KEYS: Hex[] = Array.from(
  { length: 4 },
  (_, i) => `0x${(i + 1).toString(16).padStart(64, '0')}` as Hex,
)
export const TEST_ACCOUNTS = TEST_KEYS.map((k) => privateKeyToAccount(k))
export const TEST_ADDRESSES: Address[] = TEST_ACCOUNTS.map((a) => a.address.toLowerCase() as Address)
export const TEST_PROPOSER: Address = '0x00000000000000000000000000000000000c0ffe'

export function testOptions(): Pick<SidechainExecutionOptions, 'chainId' | 'genesis'> {
  return {
    chainId: TEST_CHAIN_ID,
    genesis: {
      timestamp: 1_700_000_000,
      alloc: Object.fromEntries(TEST_ADDRESSES.map((a) => [a, 1_000n * 10n ** 18n])),
    },
  }
}

export function tempDir(prefix = 'l2kit-sc-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

/** An execution over a store at `dir` (a fresh temporary one by default). */
export async function openTestExecution(
  dir: string = tempDir(),
  options: Partial<SidechainExecutionOptions> = {},
): Promise<{ execution: SidechainExecution; dir: string }> {
  const store = await openStore({ path: dir })
  const execution = await createSidechainExecution(
    { ...testOptions(), ...options },
    { store, logger: silentLogger },
  )
  return { execution, dir }
}

/** A type-2 transaction signed by test account `i` (defaults: 1 gwei tip, 2 gwei cap, 21,000 gas). */
export function signTx(i: number, tx: Partial<TransactionSerializable> & { nonce: number }): Promise<Hex> {
  const account = TEST_ACCOUNTS[i]
  if (account === undefined) throw new Error(`no test account ${i}`)
  return account.signTransaction({
    type: 'eip1559',
    chainId: Number(TEST_CHAIN_ID),
    gas: 21_000n,
    maxFeePerGas: 2n * GWEI,
    maxPriorityFeePerGas: GWEI,
    ...tx,
  } as TransactionSerializable) as Promise<Hex>
}
