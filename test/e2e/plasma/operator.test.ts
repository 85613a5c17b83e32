/**
 * (4) A restarted operator serves every block and every transaction it acknowledged: the operator runs as its own
 * process (`l2kit plasma operator`), takes transfers, is killed with SIGKILL right after its last answer, and starts
 * again on the same data dir.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Hex, parseEther } from 'viem'
import { afterAll, describe, expect, it } from 'vitest'
import { plasmaFrameworkAbi } from '../../../src/generated/contracts.ts'
import { ANVIL_DEV_ACCOUNTS, startAnvil } from '../../../src/l1/anvil.ts'
import { createL1Clients } from '../../../src/l1/clients.ts'
import {
  DEFAULT_IN_FLIGHT_EXIT_BOND,
  DEFAULT_STANDARD_EXIT_BOND,
  deployPlasmaFramework,
} from '../../../src/plasma/devnet.ts'
import { ETH_TOKEN, type PlasmaTx, signTx, txToJson } from '../../../src/plasma/protocol/tx.ts'
import {
  depositPlasma,
  getPlasmaBalance,
  listUtxos,
  startExit,
  transferPlasma,
} from '../../../src/sdk/plasma/index.ts'
import { killAll, launchL2kit, rpc } from '../processes.ts'

const key = (i: number) => (ANVIL_DEV_ACCOUNTS[i] as { privateKey: Hex }).privateKey
const dir = mkdtempSync(join(tmpdir(), 'l2kit-plasma-op-'))
afterAll(async () => {
  await killAll()
  rmSync(dir, { recursive: true, force: true })
})

describe('Plasma operator restart', () => {
  it('serves every block and acknowledged transaction after SIGKILL', async () => {
    const anvil = await startAnvil()
    try {
      const operatorL1 = await createL1Clients({ rpcUrl: anvil.rpcUrl, privateKey: key(0) })
      const fw = await deployPlasmaFramework(operatorL1, {
        operator: operatorL1.account.address,
        exitPeriod: 60n,
        standardExitBond: DEFAULT_STANDARD_EXIT_BOND,
        inFlightExitBond: DEFAULT_IN_FLIGHT_EXIT_BOND,
      })
      const args = [
        'plasma',
        'operator',
        '--private-key',
        key(0),
        '--framework',
        fw.address,
        '--deploy-block',
        fw.deployBlock.toString(),
        '--data-dir',
        dir,
        '--l1-rpc',
        anvil.rpcUrl,
        '--block-interval-ms',
        '300',
        '--json',
        '--log-level',
        'warn',
      ]
      let op = launchL2kit<{ rpc: string }>(args)
      let url = (await op.ready).rpc
      const chain = { operatorUrl: url, framework: fw.address, chainId: BigInt(anvil.chainId) }
      const alice = await createL1Clients({ rpcUrl: anvil.rpcUrl, privateKey: key(1) })
      const bob = await createL1Clients({ rpcUrl: anvil.rpcUrl, privateKey: key(2) })
      await depositPlasma({ l1: alice, framework: fw.address, amount: parseEther('5') })
      for (let i = 0; i < 100; i++) {
        if ((await getPlasmaBalance({ chain, owner: alice.account.address })) > 0n) break
        await new Promise((r) => setTimeout(r, 100))
      }
      const acked: Hex[] = []
      for (let i = 0; i < 25; i++) {
        const t = await transferPlasma({
          chain,
          wallet: alice.walletClient,
          to: bob.account.address,
          amount: parseEther('0.01'),
        })
        acked.push(t.txHash)
        if (i === 12) await new Promise((r) => setTimeout(r, 700)) // some blocks sealed and committed, the rest open
      }
      // hostile transactions over JSON-RPC: each refused with its code, nothing changes
      const info0 = await rpc<{ utxos: number; pending: number }>(url, 'plasma_getInfo')
      const [spendable] = await listUtxos(chain, alice.account.address)
      const pos = (spendable as { utxoPos: bigint }).utxoPos
      const amount = (spendable as { amount: bigint }).amount
      const pay = (inputs: bigint[], amountOut: bigint): PlasmaTx => ({
        inputs,
        outputs: [{ owner: bob.account.address.toLowerCase() as Hex, token: ETH_TOKEN, amount: amountOut }],
        metadata: `0x${'42'.repeat(32)}`,
      })
      const domain = { chainId: BigInt(anvil.chainId), framework: fw.address }
      const hostile: [string, PlasmaTx, Hex[]][] = [
        ['PLASMA_BAD_SIGNATURE', pay([pos], amount), signTx(domain, pay([pos], amount), [key(3)])],
        ['PLASMA_UNBALANCED', pay([pos], amount + 1n), signTx(domain, pay([pos], amount + 1n), [key(1)])],
        [
          'PLASMA_UNKNOWN_INPUT',
          pay([77_000_000_000n], 1n),
          signTx(domain, pay([77_000_000_000n], 1n), [key(1)]),
        ],
        [
          'PLASMA_SPENT_INPUT',
          pay([1_000_000_000n], parseEther('5')),
          signTx(domain, pay([1_000_000_000n], parseEther('5')), [key(1)]),
        ],
      ]
      for (const [code, tx, sigs] of hostile) {
        const err = await rpc(url, 'plasma_sendTransaction', [{ tx: txToJson(tx), sigs }]).then(
          () => undefined,
          (e: Error & { code?: string }) => e,
        )
        expect(err?.code, code).toBe(code)
      }
      const garbage = await rpc(url, 'plasma_sendTransaction', [{ txBytes: '0x1234', sigs: [] }]).catch(
        (e: Error & { code?: string }) => e,
      )
      expect((garbage as { code?: string }).code).toBe('PLASMA_MALFORMED_TX')
      // Nothing changed: the same outputs (a block may have been sealed meanwhile: pending moves into it).
      expect((await rpc<{ utxos: number }>(url, 'plasma_getInfo')).utxos).toBe(info0.utxos)

      const before = await Promise.all(
        acked.map((h) => rpc<{ blknum: string; txIndex: number } | null>(url, 'plasma_getTransaction', [h])),
      )
      op.child.kill('SIGKILL')
      await op.exited
      op = launchL2kit<{ rpc: string }>(args)
      url = (await op.ready).rpc
      for (const [i, h] of acked.entries()) {
        const t = await rpc<{ blknum: string; txIndex: number } | null>(url, 'plasma_getTransaction', [h])
        expect(t, `acknowledged transaction ${i}`).not.toBeNull()
        expect(t?.blknum).toBe(before[i]?.blknum)
        expect(t?.txIndex).toBe(before[i]?.txIndex)
      }
      expect(await getPlasmaBalance({ chain: { operatorUrl: url }, owner: bob.account.address })).toBe(
        parseEther('0.25'),
      )
      // every block it had is served again, and every sealed root reaches L1 with the same root
      const blocks = new Set(before.map((t) => t?.blknum as string))
      for (let i = 0; i < 100; i++) {
        const all = await Promise.all(
          [...blocks].map((b) =>
            rpc<{ committed: boolean }>(url, 'plasma_getTransaction', [
              acked[before.findIndex((t) => t?.blknum === b)] as Hex,
            ]),
          ),
        )
        if (all.every((t) => t.committed)) break
        await new Promise((r) => setTimeout(r, 200))
      }
      for (const b of blocks) {
        const served = await rpc<{ root: Hex; l1TxHash: Hex | null }>(url, 'plasma_getBlock', [b])
        const [root] = (await operatorL1.publicClient.readContract({
          address: fw.address,
          abi: plasmaFrameworkAbi,
          functionName: 'blocks',
          args: [BigInt(b)],
        })) as readonly [Hex, bigint]
        expect(root).toBe(served.root)
      }
      // an output being exited on L1 is no longer spendable through the operator
      const [exiting] = await listUtxos({ operatorUrl: url }, alice.account.address)
      const ePos = (exiting as { utxoPos: bigint }).utxoPos
      await startExit({ l1: alice, chain: { ...chain, operatorUrl: url }, utxoPos: ePos })
      for (let i = 0; i < 100; i++) {
        const left = await listUtxos({ operatorUrl: url }, alice.account.address)
        if (!left.some((u) => u.utxoPos === ePos)) break
        await new Promise((r) => setTimeout(r, 100))
      }
      const spendExiting = pay([ePos], (exiting as { amount: bigint }).amount)
      const refused = await rpc(url, 'plasma_sendTransaction', [
        { tx: txToJson(spendExiting), sigs: signTx(domain, spendExiting, [key(1)]) },
      ]).catch((e: Error & { code?: string }) => e)
      expect((refused as { code?: string }).code).toBe('PLASMA_SPENT_INPUT')
      expect((refused as Error).message).toMatch(/exited on L1/)
      op.child.kill('SIGTERM')
      await op.exited
    } finally {
      await anvil.stop()
    }
  }, 180_000)
})
