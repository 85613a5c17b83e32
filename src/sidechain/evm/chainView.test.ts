/**
 * The sidechain's JSON-RPC as a client the project did not write sees it: viem against `createEthMethods` over the
 * sidechain ChainView, served by a real `RpcServer`. Blocks are produced by a tiny in-test proposer (build + commit
 * shortly after each accepted transaction).
 */
import { execFile } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { promisify } from 'node:util'
import { type Contract, ContractFactory, isError, JsonRpcProvider, Wallet } from 'ethers'
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  defineChain,
  encodeAbiParameters,
  encodeFunctionData,
  http,
  keccak256,
  parseEther,
  type Hex as ViemHex,
} from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../core/logger.ts'
import type { Address, Hex } from '../../core/types.ts'
import { devTokenAbi, devTokenBytecode } from '../../generated/contracts.ts'
import { createEthMethods } from '../../node/rpc/ethMethods.ts'
import { RpcServer } from '../../node/rpcServer.ts'
import { createChainView, sidechainExecutionRpcErrorCodes } from './chainView.ts'
import type { SidechainExecution } from './execution.ts'
import {
  openTestExecution,
  TEST_ACCOUNTS,
  TEST_ADDRESSES,
  TEST_CHAIN_ID,
  TEST_KEYS,
  TEST_PROPOSER,
} from './testing/chain.ts'
import type { PoolTx } from './tx.ts'

let execution: SidechainExecution
let dir: string
let server: RpcServer
let url: string
const pending: PoolTx[] = []
let producing: Promise<void> | undefined

/** Builds and commits a block with what the pool holds (one at a time). */
function produceSoon(): void {
  producing ??= (async () => {
    await new Promise((r) => setTimeout(r, 20))
    const candidates = pending.splice(0)
    const built = await execution.buildBlock({
      timestamp: Math.max(execution.head().header.timestamp, Math.floor(Date.now() / 1000)),
      proposer: TEST_PROPOSER,
      deposits: [],
      candidates,
    })
    await execution.commitBlock(built.block, [])
    producing = undefined
    if (pending.length > 0) produceSoon()
  })()
}

const chain = defineChain({
  id: Number(TEST_CHAIN_ID),
  name: 'l2kit sidechain (test)',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: ['http://127.0.0.1'] } },
})

beforeAll(async () => {
  ;({ execution, dir } = await openTestExecution())
  const view = createChainView({
    execution,
    pool: {
      pendingTxs: () => pending,
      lookup: (hash) => pending.find((t) => t.hash === hash),
      add: async (raw) => {
        const tx = await execution.checkTx(raw)
        pending.push(tx)
        produceSoon()
        return tx.hash
      },
    },
    peerCount: () => 3,
    blockTimeMs: 100,
  })
  server = new RpcServer({ port: 0 }, { logger: silentLogger })
  server.registerAll(createEthMethods(view, { clientVersion: 'l2kit/test/sidechain' }) as never)
  server.registerErrorCodes(sidechainExecutionRpcErrorCodes)
  url = await server.start()
})

afterAll(async () => {
  await producing
  await server.stop()
  await execution.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('sidechain JSON-RPC through viem', () => {
  it('deploys, calls, estimates, transfers, reads logs, code, storage, fees and receipts', async () => {
    const publicClient = createPublicClient({ chain, transport: http(url) })
    const account = TEST_ACCOUNTS[0]
    if (!account) throw new Error('no account')
    const wallet = createWalletClient({ chain, account, transport: http(url) })
    const [alice, bob] = TEST_ADDRESSES as [Address, Address]

    expect(await publicClient.getChainId()).toBe(Number(TEST_CHAIN_ID))
    expect(await publicClient.request({ method: 'net_peerCount' as never })).toBe('0x3')

    // Deploy: the receipt names the contract.
    const deployHash = await wallet.deployContract({
      abi: devTokenAbi,
      bytecode: devTokenBytecode,
      args: ['Dev', 'DEV', 18, [alice], 1_000_000n],
    })
    const deployed = await publicClient.waitForTransactionReceipt({ hash: deployHash, pollingInterval: 50 })
    expect(deployed.status).toBe('success')
    const token = deployed.contractAddress as Address
    expect(token).toMatch(/^0x[0-9a-f]{40}$/)
    expect((await publicClient.getCode({ address: token }))?.length).toBeGreaterThan(100)

    // Calls and estimates.
    expect(
      await publicClient.readContract({
        address: token,
        abi: devTokenAbi,
        functionName: 'balanceOf',
        args: [alice],
      }),
    ).toBe(1_000_000n)
    const gas = await publicClient.estimateContractGas({
      account,
      address: token,
      abi: devTokenAbi,
      functionName: 'transfer',
      args: [bob, 250n],
    })
    expect(gas).toBeGreaterThan(21_000n)
    expect(gas).toBeLessThan(80_000n)

    // A transfer: logs through the receipt and eth_getLogs.
    const transferHash = await wallet.writeContract({
      address: token,
      abi: devTokenAbi,
      functionName: 'transfer',
      args: [bob, 250n],
    })
    const receipt = await publicClient.waitForTransactionReceipt({ hash: transferHash, pollingInterval: 50 })
    expect(receipt.status).toBe('success')
    expect(receipt.gasUsed).toBeLessThanOrEqual(gas)
    expect(receipt.logs).toHaveLength(1)
    const logs = await publicClient.getContractEvents({
      address: token,
      abi: devTokenAbi,
      eventName: 'Transfer',
      fromBlock: 0n,
    })
    expect(logs.map((l) => l.args)).toContainEqual({
      from: account.address,
      to: expect.stringMatching(/0x/i),
      value: 250n,
    })

    // Storage: OpenZeppelin's ERC20 keeps balances in a mapping at slot 0.
    const slot = keccak256(encodeAbiParameters([{ type: 'address' }, { type: 'uint256' }], [bob, 0n]))
    expect(BigInt((await publicClient.getStorageAt({ address: token, slot })) as ViemHex)).toBe(250n)

    // A revert: simulate decodes the custom error from the revert data.
    const failure = await publicClient
      .simulateContract({
        account,
        address: token,
        abi: devTokenAbi,
        functionName: 'transfer',
        args: [bob, 10n ** 30n],
      })
      .catch((e: unknown) => e)
    expect(failure).toBeInstanceOf(BaseError)
    const reverted = (failure as BaseError).walk((e) => e instanceof ContractFunctionRevertedError)
    expect((reverted as ContractFunctionRevertedError | null)?.data?.errorName).toBe(
      'ERC20InsufficientBalance',
    )

    // A reverted transaction is included: status reverted, gas charged.
    const revertedHash = await wallet.writeContract({
      address: token,
      abi: devTokenAbi,
      functionName: 'transfer',
      args: [bob, 10n ** 30n],
      gas: 100_000n,
    })
    const revertedReceipt = await publicClient.waitForTransactionReceipt({
      hash: revertedHash,
      pollingInterval: 50,
    })
    expect(revertedReceipt.status).toBe('reverted')
    expect(revertedReceipt.gasUsed).toBeGreaterThan(21_000n)

    // ETH: send and read balances; fee history and access lists.
    const before = await publicClient.getBalance({ address: bob })
    const sendHash = await wallet.sendTransaction({ to: bob, value: parseEther('1.5') })
    const sent = await publicClient.waitForTransactionReceipt({ hash: sendHash, pollingInterval: 50 })
    expect(sent.status).toBe('success')
    expect(sent.contractAddress ?? null).toBeNull()
    expect(await publicClient.getBalance({ address: bob })).toBe(before + parseEther('1.5'))
    const history = await publicClient.getFeeHistory({ blockCount: 4, rewardPercentiles: [50] })
    expect(history.baseFeePerGas.every((f) => f === execution.options.baseFee)).toBe(true)
    const block = await publicClient.getBlock({ blockNumber: sent.blockNumber })
    expect(block.miner.toLowerCase()).toBe(TEST_PROPOSER)
    expect(block.transactions).toContain(sendHash)
    const list = await publicClient.createAccessList({
      account: alice,
      to: token,
      data: encodeFunctionData({
        abi: devTokenAbi,
        functionName: 'transfer',
        args: [bob, 1n],
      }),
    })
    expect(list.accessList).toEqual([])
    expect(list.gasUsed).toBeGreaterThan(21_000n)
    expect((await publicClient.getTransaction({ hash: transferHash })).from.toLowerCase()).toBe(alice)
  }, 30_000)

  it('answers errors as geth does: nonce too low, insufficient funds', async () => {
    const publicClient = createPublicClient({ chain, transport: http(url) })
    const account = TEST_ACCOUNTS[2]
    if (!account) throw new Error('no account')
    const stale = await account.signTransaction({
      type: 'eip1559',
      chainId: Number(TEST_CHAIN_ID),
      nonce: 0,
      to: TEST_ADDRESSES[0],
      gas: 21_000n,
      maxFeePerGas: 2_000_000_000n,
      maxPriorityFeePerGas: 0n,
    })
    await publicClient.sendRawTransaction({ serializedTransaction: stale })
    await producing
    await new Promise((r) => setTimeout(r, 50))
    await producing
    const again = await publicClient
      .sendRawTransaction({ serializedTransaction: stale })
      .catch((e: Error) => e)
    expect(String((again as Error).message)).toMatch(/nonce too low/)
    const rich = await account.signTransaction({
      type: 'eip1559',
      chainId: Number(TEST_CHAIN_ID),
      nonce: 1,
      to: TEST_ADDRESSES[0],
      value: 10n ** 30n,
      gas: 21_000n,
      maxFeePerGas: 2_000_000_000n,
      maxPriorityFeePerGas: 0n,
    })
    const poor = await publicClient.sendRawTransaction({ serializedTransaction: rich }).catch((e: Error) => e)
    expect(String((poor as Error).message)).toMatch(/insufficient funds/)
    const tx: Hex = keccak256(stale) as Hex
    expect(execution.transaction(tx)?.tx.status).toBe(1)
  })

  it('serves ethers v6 (deploy, transfer, custom-error revert) and Foundry cast (send, call, estimate)', async () => {
    const provider = new JsonRpcProvider(url, Number(TEST_CHAIN_ID), {
      staticNetwork: true,
      cacheTimeout: -1,
    })
    provider.pollingInterval = 50
    const key = TEST_KEYS[3] as string
    const wallet = new Wallet(key, provider)
    const factory = new ContractFactory(devTokenAbi as never, devTokenBytecode, wallet)
    const token = (await factory.deploy('Eth', 'ETHS', 18, [wallet.address], 500n)) as unknown as Contract
    await token.waitForDeployment()
    const tokenAddress = (await token.getAddress()) as Address
    const tx = await (
      token.getFunction('transfer') as (...a: unknown[]) => Promise<{ wait(): Promise<{ status: number }> }>
    )(TEST_ADDRESSES[0], 20n)
    expect((await tx.wait()).status).toBe(1)
    expect(await token.getFunction('balanceOf')(wallet.address)).toBe(480n)
    const failure = await token
      .getFunction('transfer')
      .staticCall(TEST_ADDRESSES[0], 10_000n)
      .catch((e: unknown) => e)
    expect(isError(failure, 'CALL_EXCEPTION')).toBe(true)
    expect((failure as { revert?: { name: string } }).revert?.name).toBe('ERC20InsufficientBalance')
    provider.destroy()

    const CAST = 'node_modules/@foundry-rs/cast-linux-amd64/bin/cast'
    if (!existsSync(CAST)) return
    const run = promisify(execFile)
    const sent = await run(CAST, [
      'send',
      '--rpc-url',
      url,
      '--private-key',
      key,
      '--json',
      tokenAddress,
      'transfer(address,uint256)',
      TEST_ADDRESSES[1] as string,
      '7',
    ])
    const receipt = JSON.parse(sent.stdout) as { status: string; logs: unknown[] }
    expect(receipt.status).toBe('0x1')
    expect(receipt.logs).toHaveLength(1)
    const balance = await run(CAST, [
      'call',
      '--rpc-url',
      url,
      tokenAddress,
      'balanceOf(address)(uint256)',
      wallet.address,
    ])
    expect(balance.stdout.trim()).toBe('473')
    const estimate = await run(CAST, [
      'estimate',
      '--rpc-url',
      url,
      '--from',
      wallet.address,
      tokenAddress,
      'transfer(address,uint256)',
      TEST_ADDRESSES[1] as string,
      '1',
    ])
    expect(Number(estimate.stdout.trim())).toBeGreaterThan(21_000)
    const reverted = await run(CAST, [
      'call',
      '--rpc-url',
      url,
      '--from',
      wallet.address,
      tokenAddress,
      'transfer(address,uint256)',
      TEST_ADDRESSES[1] as string,
      '100000',
    ]).catch((e: { stderr: string }) => e)
    expect((reverted as { stderr: string }).stderr).toMatch(/0xe450d38c/)
  }, 30_000)
})
