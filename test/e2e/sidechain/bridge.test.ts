/**
 * Four validators (in this process, real BOLT 8 links, real EVM) on a real anvil: viem deploys and uses an ERC-20 on
 * the sidechain through a validator's standard JSON-RPC, ETH is deposited from L1 and minted, withdrawn, checkpointed
 * on L1 by > ⅔ of the stake, and paid on L1 against the Merkle proof — once.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createPublicClient, createWalletClient, erc20Abi, type Hex, http, parseEther } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, describe, expect, it } from 'vitest'
import { devTokenAbi, devTokenBytecode } from '../../../src/generated/contracts.ts'
import { ANVIL_DEV_ACCOUNTS, type AnvilInstance, startAnvil } from '../../../src/l1/anvil.ts'
import { createL1Clients } from '../../../src/l1/clients.ts'
import {
  depositToSidechain,
  getValidators,
  proveAndFinalizeSidechainWithdrawal,
  sidechainViemChain,
  withdrawFromSidechain,
} from '../../../src/sdk/sidechain/index.ts'
import { type SidechainDevnet, startSidechainDevnet } from '../../../src/sidechain/devnet.ts'

const key = (i: number) => (ANVIL_DEV_ACCOUNTS[i] as { privateKey: Hex }).privateKey
let anvil: AnvilInstance | undefined
let net: SidechainDevnet | undefined
const dir = mkdtempSync(join(tmpdir(), 'l2kit-sidechain-e2e-'))
afterAll(async () => {
  await net?.stop()
  await anvil?.stop()
  rmSync(dir, { recursive: true, force: true })
})

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await f()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

describe('sidechain: EVM, bridge and checkpoints', () => {
  it('runs contracts through viem, mints deposits, pays withdrawals once', async () => {
    anvil = await startAnvil()
    const alice = privateKeyToAccount(key(1))
    const bob = privateKeyToAccount(key(2))
    net = await startSidechainDevnet({
      l1RpcUrl: anvil.rpcUrl,
      dataDir: dir,
      funderKey: key(9),
      blockTimeMs: 200,
      checkpointInterval: 4,
      confirmations: 0,
      alloc: { [alice.address]: parseEther('100') },
    })
    const rpcUrl = (net.validators[0] as { rpcUrl: string }).rpcUrl
    const otherRpc = (net.validators[2] as { rpcUrl: string }).rpcUrl
    const chain = sidechainViemChain(net.chainId, rpcUrl)
    const pc = createPublicClient({ chain, transport: http(rpcUrl) })
    const other = createPublicClient({ chain, transport: http(otherRpc) })
    const aliceL2 = createWalletClient({ chain, account: alice, transport: http(rpcUrl) })
    expect(await pc.getChainId()).toBe(Number(net.chainId))
    const set = await getValidators({ rpcUrl })
    expect(set.validators).toHaveLength(4)
    expect(set.quorum).toBe((set.totalPower * 2n) / 3n + 1n)

    // A plain ETH transfer, then a contract: deploy, call, logs — seen the same through another validator.
    const t = await aliceL2.sendTransaction({ to: bob.address, value: parseEther('1') })
    const tr = await pc.waitForTransactionReceipt({ hash: t })
    expect(tr.status).toBe('success')
    expect(await other.getBalance({ address: bob.address })).toBe(parseEther('1'))
    const deploy = await aliceL2.deployContract({
      abi: devTokenAbi,
      bytecode: devTokenBytecode,
      args: ['Side', 'SIDE', 18, [alice.address], parseEther('1000')],
    })
    const dr = await pc.waitForTransactionReceipt({ hash: deploy })
    expect(dr.status).toBe('success')
    const token = dr.contractAddress as Hex
    expect(await pc.getCode({ address: token })).toMatch(/^0x[0-9a-f]{100,}/)
    const pay = await aliceL2.writeContract({
      address: token,
      abi: erc20Abi,
      functionName: 'transfer',
      args: [bob.address, 5n],
    })
    const pr = await pc.waitForTransactionReceipt({ hash: pay })
    expect(pr.logs).toHaveLength(1)
    expect(
      await other.readContract({
        address: token,
        abi: erc20Abi,
        functionName: 'balanceOf',
        args: [bob.address],
      }),
    ).toBe(5n)
    const logs = await pc.getLogs({ address: token, fromBlock: 0n, toBlock: 'latest' })
    expect(logs.length).toBeGreaterThanOrEqual(2) // the mint at deployment and the transfer
    // A failing call is a revert viem decodes, not a crash.
    await expect(
      pc.simulateContract({
        address: token,
        abi: erc20Abi,
        functionName: 'transfer',
        args: [alice.address, 10n ** 30n],
        account: bob.address,
      }),
    ).rejects.toThrow(/revert|ERC20InsufficientBalance/i)

    // L1 → sidechain: a deposit of 2 ETH to bob is minted once the validators see it on L1.
    const bobL1 = await createL1Clients({ rpcUrl: anvil.rpcUrl, privateKey: key(2) })
    const d = await depositToSidechain({ l1: bobL1, bridge: net.bridge, amount: parseEther('2') })
    expect(d.depositId).toBe(0n)
    await until('the deposit minted on the sidechain', async () =>
      (await pc.getBalance({ address: bob.address })) === parseEther('3') ? true : undefined,
    )

    // Sidechain → L1: bob withdraws 1.5 ETH; once a checkpoint covering it is on L1, it is paid against the proof.
    const bobL2 = createWalletClient({ chain, account: bob, transport: http(rpcUrl) })
    const w = await withdrawFromSidechain({
      chain: { rpcUrl },
      wallet: bobL2,
      publicClient: pc,
      amount: parseEther('1.5'),
    })
    expect(w.withdrawalId).toBe(0n)
    const before = await bobL1.publicClient.getBalance({ address: bob.address })
    const fin = await proveAndFinalizeSidechainWithdrawal({
      chain: { rpcUrl, bridge: net.bridge },
      l1: bobL1,
      withdrawalId: w.withdrawalId,
      waitMs: 60_000,
    })
    const after = await bobL1.publicClient.getBalance({ address: bob.address })
    const fee = fin.receipt.gasUsed * fin.receipt.effectiveGasPrice
    expect(after - before + fee).toBe(parseEther('1.5'))
    // Once only.
    await expect(
      proveAndFinalizeSidechainWithdrawal({
        chain: { rpcUrl, bridge: net.bridge },
        l1: bobL1,
        withdrawalId: w.withdrawalId,
      }),
    ).rejects.toThrow(/AlreadyFinalized/)
  }, 240_000)
})
