import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { mnemonicToAccount } from 'viem/accounts'
import { afterAll, describe, expect, it } from 'vitest'
import { isL2kitError } from '../core/errors.ts'
import { ANVIL_DEV_ACCOUNTS, ANVIL_DEV_MNEMONIC, type AnvilInstance, startAnvil } from './anvil.ts'
import { createL1Clients, defineL1Chain } from './clients.ts'
import type { Logger } from './types.ts'

const started: AnvilInstance[] = []
async function start(options: Parameters<typeof startAnvil>[0] = {}): Promise<AnvilInstance> {
  const anvil = await startAnvil(options)
  started.push(anvil)
  return anvil
}
afterAll(async () => {
  await Promise.all(started.map((a) => a.stop()))
})

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('startAnvil', () => {
  it('starts the real binary on a free port and answers eth_chainId', async () => {
    const anvil = await start()
    expect(anvil.chainId).toBe(31337)
    expect(anvil.rpcUrl).toBe(`http://127.0.0.1:${anvil.port}`)
    expect(readFileSync(`/proc/${anvil.pid}/cmdline`, 'utf8')).toContain('anvil')
    expect(readFileSync(`/proc/${anvil.pid}/cmdline`, 'utf8')).toContain('prague')
    expect(existsSync(anvil.logPath)).toBe(true)
    const { publicClient } = await createL1Clients({ rpcUrl: anvil.rpcUrl })
    expect(await publicClient.getChainId()).toBe(31337)
    expect(await publicClient.getBalance({ address: ANVIL_DEV_ACCOUNTS[0]!.address })).toBe(
      10_000n * 10n ** 18n,
    )
    // The KZG warm-up tx is rejected: no block, no nonce used.
    await anvil.kzgReady
    expect(await publicClient.getBlockNumber()).toBe(0n)
    expect(
      await publicClient.getTransactionCount({
        address: ANVIL_DEV_ACCOUNTS[0]!.address,
        blockTag: 'pending',
      }),
    ).toBe(0)
    expect(readFileSync(anvil.logPath, 'utf8')).not.toMatch(/panic/i)
  })

  it('runs two instances side by side with their own options', async () => {
    const [a, b] = await Promise.all([
      start({ chainId: 900, accounts: 2, balanceEth: 5 }),
      start({ chainId: 901, blockTime: 1 }),
    ])
    expect(a.port).not.toBe(b.port)
    expect(a.chainId).toBe(900)
    expect(b.chainId).toBe(901)
    const clients = await createL1Clients({ rpcUrl: a.rpcUrl })
    expect(clients.chain.id).toBe(900)
    expect(await clients.publicClient.getBalance({ address: ANVIL_DEV_ACCOUNTS[1]!.address })).toBe(
      5n * 10n ** 18n,
    )
    expect(await clients.publicClient.getBalance({ address: ANVIL_DEV_ACCOUNTS[2]!.address })).toBe(0n)
  })

  it('stops with SIGTERM, and stop() is idempotent', async () => {
    const anvil = await startAnvil()
    expect(alive(anvil.pid)).toBe(true)
    await anvil.stop()
    expect(alive(anvil.pid)).toBe(false)
    await anvil.stop()
  })

  it('persists the chain with --state across restarts', async () => {
    const statePath = join(mkdtempSync(join(tmpdir(), 'l2kit-state-')), 'state.json')
    const first = await startAnvil({ statePath })
    const c1 = await createL1Clients({ rpcUrl: first.rpcUrl, chainId: first.chainId })
    await c1.publicClient.request({ method: 'anvil_mine' as never, params: ['0x5'] as never })
    await first.stop()
    const second = await start({ statePath })
    const c2 = await createL1Clients({ rpcUrl: second.rpcUrl, chainId: second.chainId })
    expect(await c2.publicClient.getBlockNumber()).toBe(5n)
  })

  it('fails with L1_START_FAILED and the log tail when anvil cannot start', async () => {
    const error = await startAnvil({ hardfork: 'no-such-fork' }).catch((e: unknown) => e)
    expect(isL2kitError(error, 'L1_START_FAILED')).toBe(true)
    expect((error as Error).message).toMatch(/no-such-fork|hardfork/i)
  })
})

describe('dev accounts', () => {
  it('are the 10 accounts of the test mnemonic', () => {
    expect(ANVIL_DEV_ACCOUNTS).toHaveLength(10)
    ANVIL_DEV_ACCOUNTS.forEach((account, i) => {
      expect(mnemonicToAccount(ANVIL_DEV_MNEMONIC, { addressIndex: i }).address).toBe(account.address)
    })
  })
})

describe('createL1Clients', () => {
  it('fetches the chain id and builds a wallet client from a private key', async () => {
    const anvil = await start({ chainId: 1337 })
    const clients = await createL1Clients({
      rpcUrl: anvil.rpcUrl,
      privateKey: ANVIL_DEV_ACCOUNTS[3]!.privateKey,
    })
    expect(clients.chain.id).toBe(1337)
    expect(clients.account.address).toBe(ANVIL_DEV_ACCOUNTS[3]!.address)
    const hash = await clients.walletClient.sendTransaction({ to: ANVIL_DEV_ACCOUNTS[4]!.address, value: 1n })
    const receipt = await clients.publicClient.waitForTransactionReceipt({ hash })
    expect(receipt.status).toBe('success')
  })

  it('uses the known definition for well-known chain ids', () => {
    expect(defineL1Chain(1, 'http://x').name).toBe('Ethereum')
    expect(defineL1Chain(1, 'http://x').rpcUrls.default.http).toEqual(['http://x'])
    expect(defineL1Chain(424242, 'http://y').name).toBe('L1 424242')
  })

  it('accepts a pino logger as Logger', () => {
    const logger: Logger = pino({ level: 'silent' })
    logger.child({ component: 'x' }).info({ a: 1 }, 'typed')
  })
})
