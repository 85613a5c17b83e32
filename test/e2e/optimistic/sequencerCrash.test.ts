/**
 * SIGKILL the node process right after it acknowledged transactions: after a restart on the same data dir,
 * every acknowledged transaction is still there, exactly once, and the state is the replay of them.
 */
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createPublicClient, createWalletClient, type Hex, http, keccak256, parseEther } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ANVIL_DEV_ACCOUNTS, type AnvilInstance, findFreePort, startAnvil } from '../../../src/l1/anvil.ts'
import { DEFAULT_L2_BASE_FEE, DEFAULT_L2_CHAIN_ID } from '../../../src/optimistic/config.ts'
import { loadAccounts, makeTransfers } from '../../../src/optimistic/loadgen.ts'
import { depositEth } from '../../../src/sdk/optimistic/depositEth.ts'
import { until } from './helpers.ts'
import { killNodeProcess, type NodeProcess, startNodeProcess } from './nodeProcess.ts'

function startNode(l1Rpc: string, dataDir: string, port: number): Promise<NodeProcess> {
  return startNodeProcess({ l1Rpc, dataDir, port, blockTimeMs: 200 })
}

describe('sequencer crash safety', () => {
  let anvil: AnvilInstance
  let dataDir: string
  let child: ChildProcess | undefined

  beforeAll(async () => {
    anvil = await startAnvil({})
    dataDir = mkdtempSync(join(tmpdir(), 'l2kit-crash-'))
  })
  afterAll(async () => {
    child?.kill('SIGKILL')
    await anvil?.stop()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('keeps every acknowledged transaction across a SIGKILL', async () => {
    const port = await findFreePort()
    const first = await startNode(anvil.rpcUrl, dataDir, port)
    child = first.child
    const l2Rpc = first.info.l2Rpc
    const users = loadAccounts(4, 'crash-')
    // Fund the users on L1, then deposit to L2.
    const funderKey = ANVIL_DEV_ACCOUNTS[1]?.privateKey as Hex
    const l1Public = createPublicClient({ transport: http(anvil.rpcUrl) })
    const chain = {
      id: anvil.chainId,
      name: 'anvil',
      nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
      rpcUrls: { default: { http: [anvil.rpcUrl] } },
    }
    const funder = createWalletClient({
      account: privateKeyToAccount(funderKey),
      chain,
      transport: http(anvil.rpcUrl),
    })
    for (const u of users) {
      await depositEth(
        { walletClient: funder, publicClient: l1Public },
        { portal: first.info.contracts.portal, amount: parseEther('10'), to: u.address },
      )
    }
    const l2 = createPublicClient({ transport: http(l2Rpc) })
    await until(
      async () => (await l2.getBalance({ address: users[3]?.address as Hex })) > 0n,
      30_000,
      'deposits on L2',
    )

    const raws = makeTransfers({
      accounts: users,
      count: 400,
      chainId: DEFAULT_L2_CHAIN_ID,
      baseFee: DEFAULT_L2_BASE_FEE,
      tokenShare: 0,
    })
    // raws[i] is sent by users[i % 4] with nonce floor(i / 4).
    const hashes = raws.map((r) => keccak256(r))
    const acked = new Set<Hex>()
    let killed = false
    const loops = users.map(async (_u, s) => {
      for (let i = s; i < raws.length && !killed; i += users.length) {
        try {
          acked.add((await l2.request({ method: 'eth_sendRawTransaction', params: [raws[i] as Hex] })) as Hex)
        } catch {
          return // the kill cut the connection: this one and the rest are not acknowledged
        }
      }
    })
    await until(() => acked.size >= 150, 30_000, '150 acknowledged transactions')
    killed = true
    await killNodeProcess(first)
    await Promise.all(loops)

    const second = await startNode(anvil.rpcUrl, dataDir, port)
    child = second.child
    // Same data dir: the contracts deployed by the first start are reused, not deployed again.
    expect(second.info.contracts.portal).toBe(first.info.contracts.portal)
    const l2b = createPublicClient({ transport: http(second.info.l2Rpc) })
    // Every acknowledged transaction is there (sealed, or pending in the replayed open block).
    for (const hash of acked) {
      const tx = await l2b.request({ method: 'eth_getTransactionByHash', params: [hash] })
      expect(tx, `acknowledged ${hash} lost`).not.toBeNull()
    }
    // Exactly once: a sender's nonce n means its transactions with nonces 0..n-1 are all there, none after.
    for (const [s, u] of users.entries()) {
      const nonce = await l2b.getTransactionCount({ address: u.address })
      for (let i = s, k = 0; i < raws.length; i += users.length, k++) {
        const tx = await l2b.request({ method: 'eth_getTransactionByHash', params: [hashes[i] as Hex] })
        if (k < nonce) expect(tx, `nonce ${k} of sender ${s} missing`).not.toBeNull()
        else {
          expect(tx).toBeNull()
          expect(acked.has(hashes[i] as Hex)).toBe(false)
        }
      }
    }
    // The state is consistent: total ETH on L2 = deposits (fees go to the vault, which counts too).
    const vault = await l2b.getBalance({ address: '0x4200000000000000000000000000000000000011' })
    let total = vault
    for (const u of users) total += await l2b.getBalance({ address: u.address })
    expect(total).toBe(parseEther('40'))
    // And it keeps working: a new transfer after the restart is accepted.
    const next = makeTransfers({
      accounts: users.slice(0, 1),
      count: 1,
      chainId: DEFAULT_L2_CHAIN_ID,
      baseFee: DEFAULT_L2_BASE_FEE,
      tokenShare: 0,
      nonces: new Map([
        [
          users[0]?.address as string,
          BigInt(await l2b.getTransactionCount({ address: users[0]?.address as Hex })),
        ],
      ]),
    })
    await expect(
      l2b.request({ method: 'eth_sendRawTransaction', params: [next[0] as Hex] }),
    ).resolves.toMatch(/^0x/)
    child.kill('SIGTERM')
  }, 240_000)
})
