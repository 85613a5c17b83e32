/**
 * Start-up of the devnet (issue 7, finding 10): `npm start` used to time out ~3 times in 5 waiting for the dev
 * deposits. The portal packs 4 deposit timestamps per storage slot, so the deposit that opens a new slot costs
 * ~17k more gas than the estimate made just before another deposit landed; five parallel deposits with bare
 * estimates then reverted out of gas, unchecked. These tests pin the cause and start the devnet repeatedly.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createWalletClient, type Hex, http, parseEther } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import { isL2kitError } from '../../../src/core/errors.ts'
import { portalAbi } from '../../../src/generated/contracts.ts'
import { ANVIL_DEV_ACCOUNTS } from '../../../src/l1/anvil.ts'
import { withGasMargin } from '../../../src/sdk/l1Tx.ts'
import { depositEth } from '../../../src/sdk/optimistic/depositEth.ts'
import { getL2Balance } from '../../../src/sdk/optimistic/getL2Balance.ts'
import { clientsFor, testDevnet, until } from './helpers.ts'

const L2_DEV: Hex = '0x4200000000000000000000000000000000001001'

describe('devnet start-up', () => {
  it('a deposit opening a new timestamp slot costs more than the estimate before it, and the margin covers it', async () => {
    const devnet = await testDevnet({ devAccounts: 0 })
    try {
      const portal = devnet.contracts.portal
      const l1 = devnet.l1.publicClient
      const a = ANVIL_DEV_ACCOUNTS[1] as { privateKey: Hex }
      const b = ANVIL_DEV_ACCOUNTS[2] as { privateKey: Hex }
      const wallet = (key: Hex) =>
        createWalletClient({
          account: privateKeyToAccount(key),
          chain: l1.chain,
          transport: http(devnet.l1Rpc),
        })
      // Deposits 0..2 fill slot 0 (index 3 is its last); deposit 4 opens slot 1.
      for (let i = 0; i < 3; i++)
        await depositEth({ walletClient: wallet(a.privateKey), publicClient: l1 }, { portal, amount: 1n })
      expect(await l1.readContract({ address: portal, abi: portalAbi, functionName: 'depositCount' })).toBe(
        3n,
      )
      // b estimates now (its deposit would be #3, in slot 0) …
      const estimate = await l1.estimateContractGas({
        address: portal,
        abi: portalAbi,
        functionName: 'depositETH',
        args: [privateKeyToAccount(b.privateKey).address],
        value: 1n,
        account: privateKeyToAccount(b.privateKey),
      })
      // … but a's deposit #3 lands first, so b's becomes #4 and opens slot 1.
      await depositEth({ walletClient: wallet(a.privateKey), publicClient: l1 }, { portal, amount: 1n })
      const landed = await depositEth(
        { walletClient: wallet(b.privateKey), publicClient: l1 },
        { portal, amount: 1n },
      )
      expect(landed.depositIndex).toBe(4n)
      expect(landed.l1GasUsed).toBeGreaterThan(estimate) // a bare estimate would have run out of gas
      expect(landed.l1GasUsed).toBeLessThanOrEqual(withGasMargin(estimate))
    } finally {
      await devnet.stop()
    }
  })

  it('funds every dev account on L2 on each of 5 starts in a row, and removes its temp dir', async () => {
    for (let round = 0; round < 5; round++) {
      const devnet = await testDevnet({ devAccounts: 5 })
      try {
        expect(devnet.accounts).toHaveLength(5)
        for (const account of devnet.accounts) {
          const c = clientsFor(devnet, account.privateKey)
          expect(await getL2Balance(c.l2Public, { address: account.address })).toBe(parseEther('100'))
          expect(await getL2Balance(c.l2Public, { address: account.address, l2Token: L2_DEV })).toBe(
            parseEther('1000'),
          )
        }
        expect(devnet.node.sequencer.state.depositCount).toBe(10n)
      } finally {
        await devnet.stop()
      }
      expect(existsSync(devnet.dataDir)).toBe(false)
    }
  }, 300_000)

  it('refuses to resume when the L1 lost a deposit the L2 chain already included (an L1 that lost its last seconds)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'l2kit-lost-deposit-'))
    try {
      const first = await testDevnet({ dataDir, devAccounts: 1 })
      const l1 = first.l1.publicClient
      const snapshot = await l1.request({ method: 'evm_snapshot' as 'eth_chainId' })
      const a = ANVIL_DEV_ACCOUNTS[3] as { privateKey: Hex }
      const wallet = createWalletClient({
        account: privateKeyToAccount(a.privateKey),
        chain: l1.chain,
        transport: http(first.l1Rpc),
      })
      const d = await depositEth(
        { walletClient: wallet, publicClient: l1 },
        { portal: first.contracts.portal, amount: parseEther('1') },
      )
      await until(() => first.node.sequencer.state.depositCount > d.depositIndex, 20_000, 'the deposit on L2')
      // The L1 forgets its last blocks (as an anvil killed between two state dumps would) while the L2 keeps them.
      await l1.request({ method: 'evm_revert' as 'eth_chainId', params: [snapshot] as never })
      await first.stop()
      const restart = testDevnet({ dataDir, devAccounts: 1 })
      await expect(restart).rejects.toSatisfy(
        (e: unknown) =>
          isL2kitError(e, 'L1_MISMATCH') && /included 3 deposits but L1 has only 2/.test(String(e)),
      )
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  }, 120_000)
})
