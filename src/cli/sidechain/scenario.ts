/**
 * The sidechain demo's, attack runs' and bench's stage: a fresh anvil, 4 validators (keys derived from anvil account
 * 9, in this process), users alice/bob/carol (anvil accounts 1–3, 100 ETH each on the sidechain at genesis), viem
 * clients on the sidechain and on L1, and what every run needs: waiting for heights, comparing validators' chains.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type Address,
  type Chain,
  createPublicClient,
  createWalletClient,
  type Hex,
  http,
  type PublicClient,
  parseEther,
} from 'viem'
import { type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts'
import type { Logger } from '../../core/logger.ts'
import { ANVIL_DEV_ACCOUNTS, type AnvilInstance, startAnvil } from '../../l1/anvil.ts'
import { createL1Clients, type L1ClientsWithWallet } from '../../l1/clients.ts'
import { sidechainViemChain } from '../../sdk/sidechain/index.ts'
import type { AnyWalletClient } from '../../sdk/types.ts'
import { derivedValidatorKey } from '../../sidechain/deploy.ts'
import {
  type SidechainDevnet,
  type SidechainDevnetOptions,
  startSidechainDevnet,
} from '../../sidechain/devnet.ts'

export const SIDECHAIN_USERS = ['alice', 'bob', 'carol'] as const
export type SidechainUser = (typeof SIDECHAIN_USERS)[number]

const key = (i: number) => (ANVIL_DEV_ACCOUNTS[i] as { privateKey: Hex }).privateKey
export const SIDECHAIN_FUNDER_KEY = key(9)
export const GENESIS_BALANCE = parseEther('100')

export type SidechainStage = {
  anvil: AnvilInstance
  net: SidechainDevnet
  chain: Chain
  rpcUrl: string
  /** A client on validator i's JSON-RPC. */
  client(i: number): PublicClient
  users: Record<SidechainUser, { account: PrivateKeyAccount; l2: AnyWalletClient; l1: L1ClientsWithWallet }>
  validatorKey(i: number): Hex
  height(i?: number): Promise<bigint>
  waitFor<T>(what: string, f: () => Promise<T | undefined | false>, ms?: number): Promise<T>
  /** Whether every running validator holds the same block at every height they all have (from `from`). */
  sameChain(indexes: readonly number[], from?: bigint): Promise<{ same: boolean; upTo: bigint }>
  stop(): Promise<void>
}

export async function startSidechainStage(
  o: Partial<SidechainDevnetOptions> & { logger?: Logger; step?: (message: string) => void } = {},
): Promise<SidechainStage> {
  const anvil = await startAnvil()
  const dir = mkdtempSync(join(tmpdir(), 'l2kit-sidechain-'))
  let net: SidechainDevnet | undefined
  const stop = async () => {
    await net?.stop()
    await anvil.stop()
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    const accounts = SIDECHAIN_USERS.map((_, i) => privateKeyToAccount(key(i + 1)))
    const { logger, step, ...devnet } = o
    net = await startSidechainDevnet(
      {
        l1RpcUrl: anvil.rpcUrl,
        dataDir: dir,
        funderKey: SIDECHAIN_FUNDER_KEY,
        blockTimeMs: 250,
        checkpointInterval: 4,
        confirmations: 0,
        alloc: Object.fromEntries(accounts.map((a) => [a.address, GENESIS_BALANCE])) as Record<
          Address,
          bigint
        >,
        ...devnet,
      },
      { ...(logger ? { logger } : {}), ...(step ? { onStep: step } : {}) },
    )
    const rpcUrl = (net.validators[0] as { rpcUrl: string }).rpcUrl
    const chain = sidechainViemChain(net.chainId, rpcUrl)
    const clients = net.validators.map((v) =>
      createPublicClient({ chain, transport: http(v.rpcUrl, { retryCount: 0 }) }),
    ) as PublicClient[]
    const users = {} as SidechainStage['users']
    for (const [i, name] of SIDECHAIN_USERS.entries()) {
      const account = accounts[i] as PrivateKeyAccount
      users[name] = {
        account,
        l2: createWalletClient({ chain, account, transport: http(rpcUrl) }),
        l1: await createL1Clients({ rpcUrl: anvil.rpcUrl, privateKey: key(i + 1) }),
      }
    }
    const the = net
    const stage: SidechainStage = {
      anvil,
      net: the,
      chain,
      rpcUrl,
      client: (i) => clients[i] as PublicClient,
      users,
      validatorKey: (i) => derivedValidatorKey(SIDECHAIN_FUNDER_KEY, i),
      height: async (i = 0) => (clients[i] as PublicClient).getBlockNumber({ cacheTime: 0 }),
      waitFor: async (what, f, ms = 120_000) => {
        const deadline = Date.now() + ms
        for (;;) {
          const v = await f()
          if (v !== undefined && v !== false) return v as never
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
          await new Promise((r) => setTimeout(r, 150))
        }
      },
      sameChain: async (indexes, from = 1n) => {
        const heads = await Promise.all(indexes.map((i) => stage.height(i)))
        const upTo = heads.reduce((m, h) => (h < m ? h : m))
        for (let h = from; h <= upTo; h++) {
          const hashes = await Promise.all(
            indexes.map(async (i) => (await (clients[i] as PublicClient).getBlock({ blockNumber: h })).hash),
          )
          if (new Set(hashes).size !== 1) return { same: false, upTo }
        }
        return { same: true, upTo }
      },
      stop,
    }
    return stage
  } catch (e) {
    await stop().catch(() => undefined)
    throw e
  }
}
