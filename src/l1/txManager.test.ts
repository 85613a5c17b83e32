import { type Address, type Hex, parseEther } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isL2kitError, type L2kitError } from '../core/errors.ts'
import { ANVIL_DEV_ACCOUNTS, type AnvilInstance, startAnvil } from './anvil.ts'
import { dataToBlobs } from './blobs.ts'
import { createL1Clients, type L1ClientsWithWallet } from './clients.ts'
import { deployContract } from './deploy.ts'
import {
  blobCheckerInitCode,
  boomInitCode,
  nopeAbi,
  nopeInitCode,
  pingAbi,
  pingInitCode,
} from './testContracts.ts'
import { TxManager, type TxManagerOptions } from './txManager.ts'

let anvil: AnvilInstance
let rpc: <T = unknown>(method: string, params?: unknown[]) => Promise<T>
const contracts: Record<'ping' | 'boom' | 'nope' | 'blobChecker', Address> = {} as never

async function clientsFor(index: number): Promise<L1ClientsWithWallet> {
  return createL1Clients({
    rpcUrl: anvil.rpcUrl,
    chainId: anvil.chainId,
    privateKey: ANVIL_DEV_ACCOUNTS[index]!.privateKey,
  })
}
function managerFor(c: L1ClientsWithWallet, options: Partial<TxManagerOptions> = {}): TxManager {
  return new TxManager(options, {
    publicClient: c.publicClient,
    walletClient: c.walletClient,
    account: c.account,
  })
}
async function until<T>(check: () => Promise<T | undefined>, timeoutMs = 5_000): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined || Date.now() > deadline) return value
    await new Promise((r) => setTimeout(r, 25))
  }
}
async function failure(promise: Promise<unknown>): Promise<L2kitError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!isL2kitError(error)) throw new Error(`expected an L2kitError, got ${String(error)}`)
  return error
}

beforeAll(async () => {
  anvil = await startAnvil()
  const c = await clientsFor(9)
  rpc = (method, params = []) => c.publicClient.request({ method, params } as never)
  const abi = [] as const
  contracts.ping = await deployContract(c.walletClient, c.publicClient, {
    abi: pingAbi,
    bytecode: pingInitCode,
    args: [1n],
  })
  contracts.boom = await deployContract(c.walletClient, c.publicClient, { abi, bytecode: boomInitCode })
  contracts.nope = await deployContract(c.walletClient, c.publicClient, { abi, bytecode: nopeInitCode })
  contracts.blobChecker = await deployContract(c.walletClient, c.publicClient, {
    abi,
    bytecode: blobCheckerInitCode,
  })
})
afterAll(async () => {
  await anvil?.stop()
})

describe('TxManager', () => {
  it('sends a transfer and reports its measured L1 cost', async () => {
    const c = await clientsFor(0)
    const tm = managerFor(c)
    const to = privateKeyToAccount(generatePrivateKey()).address
    const result = await tm.send({ to, value: 12345n })
    expect(result.receipt.status).toBe('success')
    expect(result.gasUsed).toBe(21_000n)
    expect(result.blobGasUsed).toBe(0n)
    expect(result.l1FeeWei).toBe(21_000n * result.effectiveGasPrice)
    expect(result.attempts).toBe(1)
    expect(await c.publicClient.getBalance({ address: to })).toBe(12345n)
  })

  it('serializes concurrent sends from one account with consecutive nonces', async () => {
    const c = await clientsFor(1)
    const tm = managerFor(c)
    const start = await c.publicClient.getTransactionCount({ address: c.account.address })
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        tm.send({ to: contracts.ping, data: `0x${i.toString(16).padStart(64, '0')}` }),
      ),
    )
    expect(results.map((r) => r.nonce).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 8 }, (_, i) => start + i),
    )
    expect(results.every((r) => r.receipt.status === 'success')).toBe(true)
  })

  it('resyncs its nonce when another sender used the account (nonce too low)', async () => {
    const c = await clientsFor(2)
    const tm = managerFor(c)
    await tm.send({ to: contracts.ping, data: '0x01' })
    const hash = await c.walletClient.sendTransaction({ to: contracts.ping, data: '0x02' })
    await c.publicClient.waitForTransactionReceipt({ hash })
    const result = await tm.send({ to: contracts.ping, data: '0x03' })
    expect(result.receipt.status).toBe('success')
    expect(result.nonce).toBe((await c.publicClient.getTransactionCount({ address: c.account.address })) - 1)
  })

  it('turns a revert during estimation into L1_TX_REVERTED with the reason', async () => {
    const tm = managerFor(await clientsFor(3))
    const error = await failure(tm.send({ to: contracts.boom, data: '0x', label: 'boom' }))
    expect(error.code).toBe('L1_TX_REVERTED')
    expect(error.details).toMatchObject({ reason: 'boom', stage: 'estimateGas' })
    const custom = await failure(tm.send({ to: contracts.nope, abi: nopeAbi }))
    expect(custom.details.reason).toBe('Nope(7)')
  })

  it('reports a revert mined with an explicit gas limit, with the decoded reason and its cost', async () => {
    const c = await clientsFor(3)
    const tm = managerFor(c)
    const error = await failure(tm.send({ to: contracts.boom, gas: 60_000n }))
    expect(error.code).toBe('L1_TX_REVERTED')
    expect(error.details).toMatchObject({ reason: 'boom', stage: 'mined' })
    expect(error.details.l1FeeWei).toBeGreaterThan(0n)
    // The nonce was used: the next send still works.
    expect((await tm.send({ to: contracts.ping, data: '0x' })).receipt.status).toBe('success')
  })

  it('creates a contract when `to` is omitted', async () => {
    const tm = managerFor(await clientsFor(4))
    const result = await tm.send({ data: pingInitCode })
    expect(result.receipt.contractAddress).toMatch(/^0x[0-9a-fA-F]{40}$/)
  })

  it('estimates the gas of a call that reads blobhash (versioned hashes passed to eth_estimateGas)', async () => {
    const tm = managerFor(await clientsFor(4))
    const ok = await tm.send({ to: contracts.blobChecker, blobs: dataToBlobs(new Uint8Array([1, 2, 3])) })
    expect(ok.receipt.status).toBe('success')
    expect(ok.blobGasUsed).toBe(131_072n)
    expect(ok.l1FeeWei).toBe(ok.gasUsed * ok.effectiveGasPrice + 131_072n * ok.blobGasPrice)
    expect((await failure(tm.send({ to: contracts.blobChecker }))).code).toBe('L1_TX_REVERTED')
  })

  it('waits for the requested confirmations', async () => {
    const tm = managerFor(await clientsFor(5), { confirmations: 3, pollingIntervalMs: 20 })
    let done = false
    const pending = tm.send({ to: contracts.ping, data: '0x' }).then((r) => {
      done = true
      return r
    })
    await new Promise((r) => setTimeout(r, 300))
    expect(done).toBe(false)
    await rpc('anvil_mine', ['0x2'])
    const result = await pending
    expect((await rpc<Hex>('eth_blockNumber')) && BigInt(await rpc<Hex>('eth_blockNumber'))).toBe(
      result.receipt.blockNumber + 2n,
    )
  })

  it('prices from the fee market and estimates costs', async () => {
    const tm = managerFor(await clientsFor(5))
    const fees = await tm.estimateFees({ blobs: true })
    expect(fees.maxFeePerGas).toBe(fees.baseFee * 2n + fees.priorityFee)
    expect(fees.maxFeePerBlobGas).toBe(fees.blobBaseFee! * 2n > 0n ? fees.blobBaseFee! * 2n : 1n)
    const cost = await tm.estimateCost({ gas: 100_000n, blobCount: 2 })
    expect(cost.maxWei).toBeGreaterThanOrEqual(cost.expectedWei)
  })

  it('fails with L1_INSUFFICIENT_FUNDS from an empty account', async () => {
    const c = await createL1Clients({
      rpcUrl: anvil.rpcUrl,
      chainId: anvil.chainId,
      privateKey: generatePrivateKey(),
    })
    const error = await failure(managerFor(c).send({ to: contracts.ping, value: parseEther('1') }))
    expect(error.code).toBe('L1_INSUFFICIENT_FUNDS')
  })
})

describe('TxManager fee bumping (automine off)', () => {
  beforeAll(async () => {
    await rpc('evm_setAutomine', [false])
  })
  afterAll(async () => {
    await rpc('evm_setAutomine', [true])
  })

  async function mineWhenBumped(
    tm: TxManager,
    attemptsWanted: number,
    send: Promise<unknown>,
  ): Promise<void> {
    // Let the manager re-send `attemptsWanted - 1` times, then mine one block.
    const waitMs = tm.options.resubmitAfterMs * attemptsWanted + 150
    await Promise.race([send, new Promise((r) => setTimeout(r, waitMs))])
    await rpc('evm_mine')
  }

  it('re-sends with the same nonce and fees raised by ≥ 12.5 % when not mined in time', async () => {
    const c = await clientsFor(6)
    const tm = managerFor(c, { resubmitAfterMs: 250, pollingIntervalMs: 25 })
    const send = tm.send({ to: contracts.ping, data: '0x' })
    await mineWhenBumped(tm, 3, send)
    const result = await send
    expect(result.attempts).toBeGreaterThanOrEqual(3)
    const pool = await rpc<{ pending: Record<string, unknown> }>('txpool_content')
    expect(Object.keys(pool.pending)).toHaveLength(0)
    const tx = await c.publicClient.getTransaction({ hash: result.txHash })
    const first = await tm.estimateFees()
    expect(tx.nonce).toBe(result.nonce)
    expect(tx.maxPriorityFeePerGas! * 100n).toBeGreaterThanOrEqual(first.priorityFee * 127n) // two bumps of 13 %
  })

  it('bumps all three fees of a blob tx by 100 %', async () => {
    const c = await clientsFor(7)
    const tm = managerFor(c, { resubmitAfterMs: 300, pollingIntervalMs: 25 })
    const blobs = dataToBlobs(new Uint8Array(1000).fill(5))
    const before = await tm.estimateFees({ blobs: true })
    const send = tm.send({ to: contracts.blobChecker, blobs, gas: 100_000n })
    await mineWhenBumped(tm, 2, send)
    const result = await send
    expect(result.attempts).toBeGreaterThanOrEqual(2)
    const tx = await c.publicClient.getTransaction({ hash: result.txHash })
    expect(tx.maxFeePerBlobGas).toBeGreaterThanOrEqual(before.maxFeePerBlobGas! * 2n)
    expect(tx.maxFeePerGas).toBeGreaterThanOrEqual(before.maxFeePerGas * 2n)
    expect(tx.maxPriorityFeePerGas).toBeGreaterThanOrEqual(before.maxPriorityFeePerGas * 2n)
    expect(result.blobGasUsed).toBe(131_072n)
  })

  it('re-broadcasts a transaction reorged out before its confirmations at once, not after resubmitAfterMs', async () => {
    const c = await clientsFor(4)
    const tm = managerFor(c, { confirmations: 2, resubmitAfterMs: 60_000, pollingIntervalMs: 25 })
    const send = tm.send({ to: contracts.ping, data: '0x' })
    await new Promise((r) => setTimeout(r, 200))
    await rpc('evm_mine')
    const first = await until(async () => {
      const pool = await rpc<{ pending: Record<string, unknown> }>('txpool_content')
      return Object.keys(pool.pending).length === 0 ? true : undefined
    })
    expect(first).toBe(true)
    // the manager sees the receipt (1 of 2 confirmations); generous: other test files may be proving on both cores
    await new Promise((r) => setTimeout(r, 1000))
    // Reorg the block out; anvil drops its transactions, so only the manager can bring it back.
    await rpc('anvil_rollback', [1])
    await rpc('evm_mine') // the replacement block, without our transaction
    const resent = await until(async () => {
      const pool = await rpc<{ pending: Record<string, Record<string, unknown>> }>('txpool_content')
      return pool.pending[c.account.address] ?? pool.pending[c.account.address.toLowerCase()]
    }, 10_000)
    expect(resent).toBeDefined() // back in the pool within seconds, far before resubmitAfterMs (60 s)
    await rpc('evm_mine')
    await rpc('evm_mine')
    const result = await send
    expect(result.attempts).toBe(1)
  })

  it('times out with L1_TX_TIMEOUT (temporary) when never mined', async () => {
    const tm = managerFor(await clientsFor(8), {
      resubmitAfterMs: 10_000,
      receiptTimeoutMs: 300,
      pollingIntervalMs: 25,
    })
    const error = await failure(tm.send({ to: contracts.ping, data: '0x', gas: 50_000n }))
    expect(error.code).toBe('L1_TX_TIMEOUT')
    expect(error.kind).toBe('temporary')
    await rpc('evm_mine')
  })
})
