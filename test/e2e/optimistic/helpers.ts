/** Shared setup for end-to-end tests: a devnet on free ports, viem clients for its users. */
import { createPublicClient, createWalletClient, type Hex, http } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { silentLogger } from '../../../src/node/logger.ts'
import { type Devnet, type DevnetOptions, startDevnet } from '../../../src/optimistic/devnet.ts'
import { defineL2Chain } from '../../../src/sdk/defineL2Chain.ts'

export async function testDevnet(options: Partial<DevnetOptions> = {}): Promise<Devnet> {
  return startDevnet(
    {
      rpcPort: 0,
      devAccounts: 3,
      challengeWindowSeconds: 2n,
      sequencer: { blockTimeMs: 100, l1PollIntervalMs: 100 },
      // Tests post batches explicitly (postPending(true)) so they control timing.
      batcher: { intervalMs: 200, maxBatchAgeMs: 3_600_000, targetBatchBytes: 10_000_000 },
      proposer: { intervalMs: 200 },
      ...options,
    },
    { logger: silentLogger },
  )
}

export function clientsFor(devnet: Devnet, privateKey: Hex) {
  const account = privateKeyToAccount(privateKey)
  const chain = defineL2Chain({ chainId: Number(devnet.chain.chainId), rpcUrl: devnet.l2Rpc })
  return {
    account,
    l2Public: createPublicClient({ chain, transport: http(devnet.l2Rpc) }),
    l2Wallet: createWalletClient({ account, chain, transport: http(devnet.l2Rpc) }),
    l1Public: devnet.l1.publicClient,
    l1Wallet: createWalletClient({
      account,
      chain: devnet.l1.publicClient.chain,
      transport: http(devnet.l1Rpc),
    }),
  }
}

export async function until<T>(
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v !== undefined && v !== false) return v as T
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
