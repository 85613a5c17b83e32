/**
 * Four validator processes on anvil (what `l2kit up` runs): Foundry's `cast` — a client l2kit did not write —
 * deploys and calls a contract through a validator's JSON-RPC; then validators are SIGKILLed at random moments while
 * payments flow: no fork, every transaction a receipt was given for stays committed on every validator, and nobody
 * double-signs (no evidence, no slashing on L1). Rounds: 4 in CI, L2KIT_SIDECHAIN_KILL_ROUNDS for a longer soak.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createPublicClient, createWalletClient, defineChain, type Hex, http, parseEther } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, describe, expect, it } from 'vitest'
import { xorshift32 } from '../../../src/core/testing.ts'
import { devTokenBytecode, stakeManagerAbi } from '../../../src/generated/contracts.ts'
import { ANVIL_DEV_ACCOUNTS, type AnvilInstance, startAnvil } from '../../../src/l1/anvil.ts'
import { type SidechainDevnet, startSidechainDevnet } from '../../../src/sidechain/devnet.ts'

const key = (i: number) => (ANVIL_DEV_ACCOUNTS[i] as { privateKey: Hex }).privateKey
const CAST = join(process.cwd(), 'node_modules/@foundry-rs/cast-linux-amd64/bin/cast')
const ROUNDS = Number(process.env.L2KIT_SIDECHAIN_KILL_ROUNDS ?? 4)

let anvil: AnvilInstance | undefined
let net: SidechainDevnet | undefined
const dir = mkdtempSync(join(tmpdir(), 'l2kit-sidechain-procs-'))
afterAll(async () => {
  await net?.stop()
  await anvil?.stop()
  rmSync(dir, { recursive: true, force: true })
})

async function until<T>(what: string, f: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await f().catch(() => undefined)
    if (v !== undefined && v !== false) return v as T
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

describe('sidechain validator processes', () => {
  it('cast deploys and calls; SIGKILLed validators never fork, lose a commit or double-sign', async () => {
    anvil = await startAnvil()
    const alice = privateKeyToAccount(key(1))
    net = await startSidechainDevnet({
      l1RpcUrl: anvil.rpcUrl,
      dataDir: dir,
      funderKey: key(9),
      mode: 'process',
      blockTimeMs: 200,
      checkpointInterval: 8,
      confirmations: 0,
      alloc: { [alice.address]: parseEther('1000') },
      logLevel: 'warn',
    })
    const url = (i: number) => (net as SidechainDevnet).validators[i]?.rpcUrl as string
    const cast = (...args: string[]) => execFileSync(CAST, args, { encoding: 'utf8', timeout: 60_000 }).trim()

    // Foundry's cast against validator 1: chain id, deploy (cast send --create), call, logs.
    expect(cast('chain-id', '--rpc-url', url(1))).toBe(String(net.chainId))
    const deployed = JSON.parse(
      cast(
        'send',
        '--json',
        '--private-key',
        key(1),
        '--rpc-url',
        url(1),
        '--create',
        `${devTokenBytecode}${execFileSync(
          CAST,
          [
            'abi-encode',
            'f(string,string,uint8,address[],uint256)',
            'Cast',
            'CST',
            '18',
            `[${alice.address}]`,
            '1000',
          ],
          { encoding: 'utf8' },
        )
          .trim()
          .slice(2)}`,
      ),
    ) as { contractAddress: string; status: string }
    expect(deployed.status).toBe('0x1')
    expect(
      cast(
        'call',
        '--rpc-url',
        url(2),
        deployed.contractAddress,
        'balanceOf(address)(uint256)',
        alice.address,
      ),
    ).toBe('1000')
    cast(
      'send',
      '--private-key',
      key(1),
      '--rpc-url',
      url(1),
      deployed.contractAddress,
      'transfer(address,uint256)',
      '0x000000000000000000000000000000000000dEaD',
      '7',
    )
    expect(
      cast(
        'call',
        '--rpc-url',
        url(3),
        deployed.contractAddress,
        'balanceOf(address)(uint256)',
        '0x000000000000000000000000000000000000dEaD',
      ),
    ).toBe('7')

    // SIGKILL rounds: a random validator dies at a random moment while payments go to a running one.
    const rand = xorshift32(0x51de)
    const committed: Hex[] = []
    for (let round = 0; round < ROUNDS; round++) {
      const victim = rand() % 4
      const via = (victim + 1 + (rand() % 3)) % 4
      const chain = defineChain({
        id: Number(net.chainId),
        name: 'sidechain',
        nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
        rpcUrls: { default: { http: [url(via)] } },
      })
      const pc = createPublicClient({ chain, transport: http(url(via)) })
      const wallet = createWalletClient({ chain, account: alice, transport: http(url(via)) })
      let nonce = await pc.getTransactionCount({ address: alice.address })
      const sent: Hex[] = []
      for (let i = 0; i < 5; i++)
        sent.push(await wallet.sendTransaction({ to: `0x${'be'.repeat(20)}`, value: 1n, nonce: nonce++ }))
      await new Promise((r) => setTimeout(r, rand() % 400))
      await net.stopValidator(victim, 'SIGKILL')
      for (const hash of sent) {
        const receipt = await pc.waitForTransactionReceipt({ hash, timeout: 60_000 })
        expect(receipt.status).toBe('success')
        committed.push(hash)
      }
      await new Promise((r) => setTimeout(r, 200 + (rand() % 1000)))
      await net.startValidator(victim)
      const head = await pc.getBlockNumber({ cacheTime: 0 })
      const victimClient = createPublicClient({ chain, transport: http(url(victim)) })
      await until(
        `validator ${victim} back at height ${head}`,
        async () => (await victimClient.getBlockNumber({ cacheTime: 0 })) >= head,
      )
    }

    // Every validator holds the same chain and every committed transaction.
    const clients = [0, 1, 2, 3].map((i) => createPublicClient({ transport: http(url(i)) }))
    const heads = await Promise.all(clients.map((c) => c.getBlockNumber({ cacheTime: 0 })))
    const common = heads.reduce((m, h) => (h < m ? h : m))
    for (let h = 1n; h <= common; h++) {
      const hashes = await Promise.all(clients.map(async (c) => (await c.getBlock({ blockNumber: h })).hash))
      expect(new Set(hashes).size).toBe(1)
    }
    for (const hash of committed) {
      for (const c of clients) {
        const r = await until(`receipt of ${hash}`, async () => c.getTransactionReceipt({ hash }))
        expect(r.status).toBe('success')
      }
    }
    // No double sign: no validator saw evidence, and L1 slashed nobody.
    for (let i = 0; i < 4; i++) {
      const status = (await (
        await fetch(url(i), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'sidechain_status', params: [] }),
        })
      ).json()) as { result: { evidence: number } }
      expect(status.result.evidence).toBe(0)
    }
    const l1 = createPublicClient({ transport: http(anvil.rpcUrl) })
    const slashed = await l1.getContractEvents({
      address: net.stakeManager,
      abi: stakeManagerAbi,
      eventName: 'Slashed',
      fromBlock: 0n,
    })
    expect(slashed).toHaveLength(0)
  }, 420_000)
})
