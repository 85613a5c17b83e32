import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Abi, Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isL2kitError } from '../core/errors.ts'
import { ANVIL_DEV_ACCOUNTS, type AnvilInstance, startAnvil } from './anvil.ts'
import { createL1Clients, type L1ClientsWithWallet } from './clients.ts'
import { deployContract, deployContractWithReceipt } from './deploy.ts'
import { pingAbi, pingInitCode, pingRuntime, revertingInitCode } from './testContracts.ts'

let anvil: AnvilInstance
let c: L1ClientsWithWallet

beforeAll(async () => {
  anvil = await startAnvil({ warmUpKzg: false })
  c = await createL1Clients({
    rpcUrl: anvil.rpcUrl,
    chainId: anvil.chainId,
    privateKey: ANVIL_DEV_ACCOUNTS[0]!.privateKey,
  })
})
afterAll(async () => {
  await anvil?.stop()
})

describe('deployContract', () => {
  it('deploys init code with encoded constructor arguments and returns the address', async () => {
    const address = await deployContract(c.walletClient, c.publicClient, {
      abi: pingAbi,
      bytecode: pingInitCode,
      args: [42n],
    })
    expect(await c.publicClient.getCode({ address })).toBe(pingRuntime)
  })

  it('returns the receipt too (deployment block for log followers)', async () => {
    const deployed = await deployContractWithReceipt(c.walletClient, c.publicClient, {
      abi: [],
      bytecode: pingInitCode,
    })
    expect(deployed.receipt.status).toBe('success')
    expect(deployed.receipt.contractAddress?.toLowerCase()).toBe(deployed.address.toLowerCase())
  })

  it('throws L1_DEPLOY_FAILED when the constructor reverts', async () => {
    const error = await deployContract(c.walletClient, c.publicClient, {
      abi: [],
      bytecode: revertingInitCode,
      name: 'Reverter',
    }).catch((e: unknown) => e)
    expect(isL2kitError(error, 'L1_DEPLOY_FAILED')).toBe(true)
    expect((error as Error).message).toContain('Reverter')
  })

  it('throws L1_DEPLOY_FAILED when a mined constructor reverts (explicit gas)', async () => {
    const error = await deployContract(c.walletClient, c.publicClient, {
      abi: [],
      bytecode: revertingInitCode,
      gas: 100_000n,
    }).catch((e: unknown) => e)
    expect(isL2kitError(error, 'L1_DEPLOY_FAILED')).toBe(true)
    expect((error as { details: { txHash?: Hex } }).details.txHash).toMatch(/^0x/)
  })

  // The generated artifacts belong to another part of the project; deploy one when it exists.
  const generated = fileURLToPath(new URL('../generated/contracts.ts', import.meta.url))
  it.skipIf(!existsSync(generated))('deploys the generated DevToken artifact', async () => {
    const artifacts = (await import(/* @vite-ignore */ generated)) as Record<string, unknown>
    const abi = artifacts.devTokenAbi as Abi | undefined
    const bytecode = artifacts.devTokenBytecode as Hex | undefined
    if (abi === undefined || bytecode === undefined) return
    const ctor = abi.find((item) => item.type === 'constructor')
    const args = ctor?.type === 'constructor' ? ctor.inputs.map((input) => defaultArg(input.type)) : []
    const address = await deployContract(c.walletClient, c.publicClient, {
      abi,
      bytecode,
      args,
      name: 'DevToken',
    })
    expect((await c.publicClient.getCode({ address }))?.length).toBeGreaterThan(2)
  })
})

function defaultArg(type: string): unknown {
  if (type.endsWith('[]')) return [defaultArg(type.slice(0, -2))]
  if (type === 'string') return 'Dev'
  if (type === 'address') return ANVIL_DEV_ACCOUNTS[0]!.address
  if (type.startsWith('uint') || type.startsWith('int')) return 18n
  if (type === 'bool') return false
  return undefined
}
