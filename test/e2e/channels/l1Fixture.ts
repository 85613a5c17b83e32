/**
 * What the channel e2e tests share: a fresh anvil with ChannelHub and PreimageRegistry deployed, a temporary data
 * dir, and channel nodes on it (each key its own identity and L1 account). Call `setUp` in beforeAll and
 * `tearDown` in afterAll.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Address, Hex } from 'viem'
import { deployChannelContracts } from '../../../src/channels/l1/deploy.ts'
import { ChannelNode, type ChannelNodeOptions } from '../../../src/channels/node.ts'
import { ANVIL_DEV_ACCOUNTS, type AnvilInstance, startAnvil } from '../../../src/l1/anvil.ts'
import { createL1Clients } from '../../../src/l1/clients.ts'

export const key = (i: number) => (ANVIL_DEV_ACCOUNTS[i] as { privateKey: Hex }).privateKey

export type ChannelsL1 = {
  anvil: AnvilInstance
  hub: Address
  registry: Address
  dir: string
  node(name: string, k: Hex, options?: Partial<ChannelNodeOptions>): Promise<ChannelNode>
  tearDown(): Promise<void>
}

export async function setUp(prefix: string): Promise<ChannelsL1> {
  const anvil = await startAnvil()
  const dir = mkdtempSync(join(tmpdir(), `l2kit-channels-${prefix}-`))
  const c = await createL1Clients({ rpcUrl: anvil.rpcUrl, privateKey: key(0) })
  const { hub, registry } = await deployChannelContracts(c.walletClient, c.publicClient)
  return {
    anvil,
    hub,
    registry,
    dir,
    async node(name, k, options = {}) {
      const cl = await createL1Clients({ rpcUrl: anvil.rpcUrl, privateKey: k })
      return new ChannelNode(
        { dataDir: join(dir, name), privateKey: k, hub, ...options },
        { publicClient: cl.publicClient, walletClient: cl.walletClient },
      )
    },
    async tearDown() {
      await anvil.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
