/**
 * The ZK rollup end to end on a real anvil with the CI-sized circuit (3 chunks, depth 4): deposit with an L2 key
 * → transfers → blocks proven and verified on L1 → a withdrawal paid from the verified block. Then the node is
 * restarted and carries on from its store.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createPublicClient, createWalletClient, http, parseEther } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Hex } from '../../../src/core/types.ts'
import { ANVIL_DEV_ACCOUNTS, type AnvilInstance, startAnvil } from '../../../src/l1/anvil.ts'
import {
  depositZk,
  deriveZkKey,
  getZkAccount,
  transferZk,
  waitForZkTransaction,
  withdrawPendingBalance,
  withdrawZk,
} from '../../../src/sdk/zk/index.ts'
import { startZkDevnet, type ZkDevnet } from '../../../src/zk/devnet.ts'

const CHUNKS = 3
const DEPTH = 4

let anvil: AnvilInstance
let devnet: ZkDevnet
let dataDir: string

const key = (i: number) => (ANVIL_DEV_ACCOUNTS[i] as { privateKey: Hex }).privateKey

function l1For(i: number) {
  const account = privateKeyToAccount(key(i))
  const transport = http(anvil.rpcUrl)
  return {
    walletClient: createWalletClient({
      account,
      transport,
      chain: {
        id: anvil.chainId,
        name: 'anvil',
        nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
        rpcUrls: { default: { http: [anvil.rpcUrl] } },
      },
    }),
    publicClient: createPublicClient({ transport }),
  }
}

async function start(commitMode: 'separate' | 'combined' = 'separate'): Promise<ZkDevnet> {
  return startZkDevnet({
    commitMode,
    l1RpcUrl: anvil.rpcUrl,
    deployerKey: key(0),
    operatorKey: key(9),
    dataDir,
    chunks: CHUNKS,
    depth: DEPTH,
    priorityDeadlineSeconds: 3600,
    provers: 1,
    blockTimeMs: 300,
  })
}

beforeAll(async () => {
  anvil = await startAnvil()
  dataDir = mkdtempSync(join(tmpdir(), 'l2kit-zk-e2e-'))
  devnet = await start()
}, 600_000)

afterAll(async () => {
  await devnet?.stop()
  await anvil?.stop()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

describe('ZK rollup on anvil', () => {
  it('deposit → transfer → proof verified on L1 → withdrawal paid', async () => {
    const rollup = devnet.deployment.rollup
    const node = createPublicClient({ transport: http(devnet.rpcUrl) })
    const alice = l1For(1)
    const bob = l1For(2)
    const aliceKey = await deriveZkKey({ walletClient: alice.walletClient, rollup })
    const bobKey = await deriveZkKey({ walletClient: bob.walletClient, rollup })
    await depositZk({ l1: alice, rollup, token: 'ETH', amount: parseEther('1'), pkHash: aliceKey.pkHash })
    await depositZk({ l1: bob, rollup, token: 'ETH', amount: parseEther('0.5'), pkHash: bobKey.pkHash })
    // the node follows L1 and soft-applies both deposits
    const accountOf = async (owner: `0x${string}`) => {
      for (let i = 0; i < 200; i++) {
        const account = await getZkAccount({ node, owner })
        if (account !== null) return account
        await new Promise((r) => setTimeout(r, 100))
      }
      throw new Error(`no L2 account for ${owner}`)
    }
    const aliceAccount = await accountOf(alice.walletClient.account.address)
    const bobAccount = await accountOf(bob.walletClient.account.address)
    const t = await transferZk({
      node,
      key: aliceKey,
      from: aliceAccount.index,
      to: bob.walletClient.account.address,
      token: 0,
      amount: 100_000_000n, // 0.1 ETH in gwei units
    })
    await waitForZkTransaction({ node, hash: t.hash, status: 'verified', timeoutMs: 180_000 })
    const w = await withdrawZk({
      node,
      key: bobKey,
      from: bobAccount.index,
      token: 0,
      amount: 200_000_000n,
      to: bob.walletClient.account.address,
    })
    await waitForZkTransaction({ node, hash: w.hash, status: 'verified', timeoutMs: 180_000 })
    const before = await bob.publicClient.getBalance({ address: bob.walletClient.account.address })
    const paid = await withdrawPendingBalance({ l1: bob, rollup, token: 0 })
    expect(paid.amount).toBe(parseEther('0.2'))
    const after = await bob.publicClient.getBalance({ address: bob.walletClient.account.address })
    expect(after - before).toBeGreaterThan(parseEther('0.19'))
    const bobNow = await getZkAccount({ node, index: bobAccount.index })
    expect(bobNow?.balances[0]).toBe(500_000_000n + 100_000_000n - 200_000_000n)
  }, 400_000)

  it('restarts from its store and keeps going', async () => {
    const node = createPublicClient({ transport: http(devnet.rpcUrl) })
    const before = (await node.request({ method: 'zk_status' as never })) as {
      sealedBlocks: number
      softRoot: string
    }
    await devnet.stop()
    devnet = await start()
    const again = createPublicClient({ transport: http(devnet.rpcUrl) })
    const after = (await again.request({ method: 'zk_status' as never })) as {
      sealedBlocks: number
      softRoot: string
    }
    expect(after.sealedBlocks).toBe(before.sealedBlocks)
    expect(after.softRoot).toBe(before.softRoot)
  }, 300_000)

  it('in combined mode one commitAndVerifyBlocks transaction commits, verifies and pays a withdrawal', async () => {
    await devnet.stop()
    devnet = await start('combined')
    const rollup = devnet.deployment.rollup
    const node = createPublicClient({ transport: http(devnet.rpcUrl) })
    const bob = l1For(2)
    const bobKey = await deriveZkKey({ walletClient: bob.walletClient, rollup })
    const bobAccount = await getZkAccount({ node, owner: bob.walletClient.account.address })
    if (bobAccount === null) throw new Error('bob has no account')
    const w = await withdrawZk({
      node,
      key: bobKey,
      from: bobAccount.index,
      token: 0,
      amount: 50_000_000n,
      to: bob.walletClient.account.address,
    })
    await waitForZkTransaction({ node, hash: w.hash, status: 'verified', timeoutMs: 180_000 })
    expect(devnet.node.committer.gas.combined.length).toBeGreaterThan(0)
    expect(devnet.node.committer.gas.commit).toHaveLength(0)
    const paid = await withdrawPendingBalance({ l1: bob, rollup, token: 0 })
    expect(paid.amount).toBe(parseEther('0.05'))
  }, 300_000)
})
