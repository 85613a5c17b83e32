/**
 * Standard clients against the L2 JSON-RPC: ethers v6 (errors it can classify, logs through queryFilter,
 * state at a past block), Foundry's cast (`cast logs`, `cast balance --block`), and the answer shapes geth and
 * anvil give for blocks, filters, fee history and bad parameters.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { promisify } from 'node:util'
import { Contract, isError, JsonRpcProvider, Wallet, WebSocketProvider } from 'ethers'
import { type Hex, keccak256, toHex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Devnet } from '../../../src/optimistic/devnet.ts'
import { testDevnet, until } from './helpers.ts'

const CAST = 'node_modules/@foundry-rs/cast-linux-amd64/bin/cast'
const TRANSFER_TOPIC = keccak256(toHex('Transfer(address,address,uint256)'))
const erc20 = [
  'function transfer(address to, uint256 amount) returns (bool)',
  'function balanceOf(address) view returns (uint256)',
  'event Transfer(address indexed from, address indexed to, uint256 value)',
]

type RpcReply = { result?: unknown; error?: { code: number; message: string; data?: unknown } }

describe('L2 JSON-RPC compatibility with standard clients', () => {
  let devnet: Devnet
  let provider: JsonRpcProvider
  let alice: Wallet
  let bob: Wallet
  let token: string
  let rpc: (method: string, params: unknown[]) => Promise<RpcReply>

  beforeAll(async () => {
    devnet = await testDevnet({ devAccounts: 2 })
    provider = new JsonRpcProvider(devnet.l2Rpc, Number(devnet.chain.chainId), {
      staticNetwork: true,
      pollingInterval: 100,
      // ethers reuses an identical answer for 250 ms by default: the nonce of back-to-back sends would repeat.
      cacheTimeout: -1,
    })
    alice = new Wallet(devnet.accounts[0]?.privateKey as string, provider)
    bob = new Wallet(devnet.accounts[1]?.privateKey as string, provider)
    rpc = async (method, params) => {
      const res = await fetch(devnet.l2Rpc, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      })
      return (await res.json()) as RpcReply
    }
    const tokens = (await rpc('l2kit_tokens', [])).result as { l2Address: string }[]
    token = tokens[0]?.l2Address as string
  }, 120_000)
  afterAll(async () => {
    provider?.destroy()
    await devnet?.stop()
  })

  it('ethers classifies rejected transactions: NONCE_EXPIRED and INSUFFICIENT_FUNDS', async () => {
    const sent = await alice.sendTransaction({ to: bob.address, value: 1000n })
    await sent.wait()
    const stale = alice.sendTransaction({ to: bob.address, value: 1000n, nonce: 0 })
    await expect(stale).rejects.toSatisfy((e) => isError(e, 'NONCE_EXPIRED'))
    const tooMuch = alice.sendTransaction({ to: bob.address, value: 10n ** 30n })
    await expect(tooMuch).rejects.toSatisfy((e) => isError(e, 'INSUFFICIENT_FUNDS'))
    // The geth wording, and l2kit's typed code beside it.
    const raw = await alice.signTransaction(
      await alice.populateTransaction({ to: bob.address, value: 1n, nonce: 0 }),
    )
    const reply = await rpc('eth_sendRawTransaction', [raw])
    expect(reply.error?.code).toBe(-32000)
    expect(reply.error?.message).toMatch(/^nonce too low: next nonce \d+, tx nonce 0$/)
    expect(reply.error?.data).toMatchObject({ code: 'NONCE_TOO_LOW' })
  })

  it('token transfers have Transfer logs: receipts, blooms, eth_getLogs filters and ethers queryFilter', async () => {
    const dev = new Contract(token, erc20, alice)
    const tx = await dev.getFunction('transfer')(bob.address, 5n * 10n ** 18n)
    const receipt = await tx.wait()
    expect(receipt.logs).toHaveLength(1)
    const log = receipt.logs[0]
    expect(log.address.toLowerCase()).toBe(token.toLowerCase())
    expect(log.topics[0]).toBe(TRANSFER_TOPIC)
    expect(receipt.logsBloom).not.toBe(`0x${'00'.repeat(256)}`)

    const events = await dev.queryFilter(dev.getEvent('Transfer')(null, bob.address), 0, 'latest')
    expect(events.map((e) => e.transactionHash)).toContain(receipt.hash)
    const none = await dev.queryFilter(dev.getEvent('Transfer')(bob.address), 0, 'latest')
    expect(none).toHaveLength(0)

    const block = (await rpc('eth_getBlockByNumber', [toHex(receipt.blockNumber), false])).result as Record<
      string,
      Hex
    >
    expect(block.logsBloom).toBe(receipt.logsBloom)
    const byHash = (await rpc('eth_getLogs', [{ blockHash: receipt.blockHash, address: token }])).result
    expect(byHash).toEqual([
      expect.objectContaining({ transactionHash: receipt.hash, logIndex: '0x0', removed: false }),
    ])
    const wrongAddress = await rpc('eth_getLogs', [{ fromBlock: '0x0', address: bob.address }])
    expect(wrongAddress.result).toEqual([])
    const both = await rpc('eth_getLogs', [{ blockHash: receipt.blockHash, fromBlock: '0x0' }])
    expect(both.error?.code).toBe(-32602)

    // ETH transfers emit nothing.
    const eth = await (await alice.sendTransaction({ to: bob.address, value: 1n })).wait()
    expect(eth?.logs).toHaveLength(0)
    expect(eth?.logsBloom).toBe(`0x${'00'.repeat(256)}`)
  })

  it('answers the state at a past block, and header not found for a future one', async () => {
    const before = await provider.getBlockNumber()
    const balanceBefore = await provider.getBalance(bob.address, before)
    const nonceBefore = await provider.getTransactionCount(alice.address, before)
    const dev = new Contract(token, erc20, provider)
    const tokenBefore: bigint = await dev.getFunction('balanceOf')(bob.address, { blockTag: before })
    await (await alice.sendTransaction({ to: bob.address, value: 777n })).wait()
    await (await (dev.connect(alice) as Contract).getFunction('transfer')(bob.address, 3n)).wait()
    const after = await provider.getBlockNumber()
    expect(after).toBeGreaterThan(before)
    expect(await provider.getBalance(bob.address, before)).toBe(balanceBefore)
    expect(await provider.getBalance(bob.address, after)).toBe(balanceBefore + 777n)
    expect(await provider.getTransactionCount(alice.address, before)).toBe(nonceBefore)
    expect(await provider.getTransactionCount(alice.address, after)).toBe(nonceBefore + 2)
    expect(await dev.getFunction('balanceOf')(bob.address, { blockTag: before })).toBe(tokenBefore)
    expect(await dev.getFunction('balanceOf')(bob.address, { blockTag: after })).toBe(tokenBefore + 3n)
    // EIP-1898 by hash.
    const blockBefore = await provider.getBlock(before)
    const byHash = await rpc('eth_getBalance', [bob.address, { blockHash: blockBefore?.hash }])
    expect(BigInt(byHash.result as string)).toBe(balanceBefore)
    expect(BigInt((await rpc('eth_getBalance', [bob.address, '0x0'])).result as string)).toBe(0n)

    const future = await rpc('eth_getBalance', [bob.address, toHex(after + 1000)])
    expect(future.error).toMatchObject({ code: -32000, message: 'header not found' })
    const unknownHash = await rpc('eth_getTransactionCount', [
      bob.address,
      { blockHash: `0x${'12'.repeat(32)}` },
    ])
    expect(unknownHash.error).toMatchObject({ code: -32000, message: 'header not found' })
    const call = await rpc('eth_call', [{ to: token, data: '0x70a08231' }, toHex(after + 1000)])
    expect(call.error?.code).toBe(-32000)
  })

  it('Foundry cast reads logs and balances at a block', async () => {
    if (!existsSync(CAST)) return
    const run = promisify(execFile)
    const head = await provider.getBlockNumber()
    const logs = await run(CAST, [
      'logs',
      '--rpc-url',
      devnet.l2Rpc,
      '--from-block',
      '0',
      '--to-block',
      'latest',
      '--address',
      token,
      '--json',
      TRANSFER_TOPIC,
    ])
    const parsed = JSON.parse(logs.stdout) as { address: string; topics: string[] }[]
    expect(parsed.length).toBeGreaterThanOrEqual(2)
    expect(parsed[0]?.topics[0]).toBe(TRANSFER_TOPIC)
    const balance = await run(CAST, [
      'balance',
      '--rpc-url',
      devnet.l2Rpc,
      '--block',
      String(head),
      bob.address,
    ])
    expect(BigInt(balance.stdout.trim())).toBe(await provider.getBalance(bob.address, head))
    // cast send: nonce, fee estimation, submission and the receipt wait, all over the L2 RPC.
    const sent = await run(CAST, [
      'send',
      '--rpc-url',
      devnet.l2Rpc,
      '--private-key',
      devnet.accounts[1]?.privateKey as string,
      '--json',
      token,
      'transfer(address,uint256)',
      alice.address,
      '7',
    ])
    const castReceipt = JSON.parse(sent.stdout) as { status: string; logs: unknown[] }
    expect(castReceipt.status).toBe('0x1')
    expect(castReceipt.logs).toHaveLength(1)
    const block = await run(CAST, ['block', '--rpc-url', devnet.l2Rpc, '--json', 'latest'])
    expect(JSON.parse(block.stdout).number).toBe(toHex(await provider.getBlockNumber()))
  })

  it('blocks have their own roots, a pending view, receipts by block and transactions by index', async () => {
    const head = await provider.getBlockNumber()
    const a = (await rpc('eth_getBlockByNumber', [toHex(head), false])).result as Record<string, Hex>
    const b = (await rpc('eth_getBlockByNumber', [toHex(head - 1), false])).result as Record<string, Hex>
    expect(a.stateRoot).not.toBe(b.stateRoot)
    expect(a.transactionsRoot).not.toBe(a.stateRoot)
    expect(a.receiptsRoot).not.toBe(a.transactionsRoot)
    expect(a.transactionsRoot).not.toBe(b.transactionsRoot)
    const empty = (await rpc('eth_getBlockByNumber', ['0x0', false])).result as Record<string, Hex>
    expect(empty.transactionsRoot).toBe('0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421')

    const pending = (await rpc('eth_getBlockByNumber', ['pending', false])).result as Record<string, unknown>
    expect(pending.number).toBe(toHex(head + 1))
    expect(pending.hash).toBeNull()
    expect(pending.parentHash).toBe(a.hash)
    expect((await provider.getBlock('pending'))?.number).toBe(head + 1)

    const receipts = (await rpc('eth_getBlockReceipts', [toHex(head)])).result as { transactionHash: Hex }[]
    const txs = a.transactions as unknown as Hex[]
    expect(receipts.map((r) => r.transactionHash)).toEqual(txs)
    const byIndex = (await rpc('eth_getTransactionByBlockNumberAndIndex', [toHex(head), '0x0'])).result as {
      hash: Hex
    }
    expect(byIndex.hash).toBe(txs[0])
    const byHashIndex = (await rpc('eth_getTransactionByBlockHashAndIndex', [a.hash, '0x0'])).result as {
      hash: Hex
    }
    expect(byHashIndex.hash).toBe(txs[0])
    expect((await rpc('eth_getTransactionByBlockNumberAndIndex', [toHex(head), '0x99'])).result).toBeNull()
    expect((await rpc('eth_getBlockReceipts', [toHex(head + 100)])).result).toBeNull()
  })

  it('block and log filters report what happened since the last poll', async () => {
    const blockFilter = (await rpc('eth_newBlockFilter', [])).result as Hex
    const logFilter = (await rpc('eth_newFilter', [{ address: token, topics: [TRANSFER_TOPIC] }]))
      .result as Hex
    expect((await rpc('eth_getFilterChanges', [blockFilter])).result).toEqual([])
    const dev = new Contract(token, erc20, alice)
    const receipt = await (await dev.getFunction('transfer')(bob.address, 1n)).wait()
    const hashes = await until(async () => {
      const r = (await rpc('eth_getFilterChanges', [blockFilter])).result as Hex[]
      return r.length > 0 ? r : undefined
    })
    expect(hashes).toContain(receipt.blockHash)
    const logs = (await rpc('eth_getFilterChanges', [logFilter])).result as { transactionHash: Hex }[]
    expect(logs.map((l) => l.transactionHash)).toContain(receipt.hash)
    expect((await rpc('eth_getFilterChanges', [logFilter])).result).toEqual([])
    expect((await rpc('eth_uninstallFilter', [blockFilter])).result).toBe(true)
    expect((await rpc('eth_getFilterChanges', [blockFilter])).error).toMatchObject({
      code: -32000,
      message: 'filter not found',
    })
    // ethers' contract.on polls through these filters (eth_newFilter, then eth_getFilterChanges per new block).
    let resolveSeen: (hash: string) => void = () => undefined
    const seen = new Promise<string>((resolve) => {
      resolveSeen = resolve
    })
    // With a topic filter ethers passes only the event payload (it decodes no arguments).
    await dev.on(dev.getEvent('Transfer')(alice.address), (...args: { log: { transactionHash: string } }[]) =>
      resolveSeen(args[args.length - 1]?.log.transactionHash as string),
    )
    // The subscription installs its filter asynchronously: logs of blocks sealed before that are not reported.
    await new Promise((r) => setTimeout(r, 500))
    const next = await (await dev.getFunction('transfer')(bob.address, 2n)).wait()
    expect(await seen).toBe(next.hash)
    await dev.removeAllListeners()
  })

  it('eth_feeHistory answers like geth: real gas used ratio, blob fields, percentile checks', async () => {
    const head = await provider.getBlockNumber()
    const h = (await rpc('eth_feeHistory', ['0x2', 'latest'])).result as Record<string, unknown[]>
    expect(h.baseFeePerGas).toHaveLength(3)
    expect(h.baseFeePerBlobGas).toHaveLength(3)
    expect(h.blobGasUsedRatio).toHaveLength(2)
    expect(h.reward).toEqual([])
    expect((h.gasUsedRatio as number[]).some((r) => r > 0)).toBe(true)
    const withRewards = (await rpc('eth_feeHistory', ['0x2', 'latest', [10, 50]])).result as {
      reward: Hex[][]
    }
    expect(withRewards.reward).toHaveLength(2)
    expect(withRewards.reward[0]).toHaveLength(2)
    expect((await rpc('eth_feeHistory', ['0x2', 'latest', [50, 10]])).error?.code).toBe(-32602)
    expect((await rpc('eth_feeHistory', ['0x2', 'latest', [101]])).error?.code).toBe(-32602)
    expect((await rpc('eth_feeHistory', ['latest'])).error?.code).toBe(-32602)
    expect((await rpc('eth_feeHistory', ['0x1', toHex(head + 50)])).error?.code).toBe(-32000)
    const fee = await provider.getFeeData()
    expect(fee.gasPrice).toBeGreaterThan(0n)
  })

  it('bad hashes are invalid params, an unknown token selector reverts, misc methods answer', async () => {
    for (const bad of ['', [], '0x1234']) {
      const r = await rpc('eth_getTransactionByHash', [bad])
      expect(r.error?.code).toBe(-32602)
      expect(r.error?.message).toMatch(/32-byte/)
    }
    expect((await rpc('eth_getTransactionReceipt', [''])).error?.code).toBe(-32602)
    expect((await rpc('eth_getBlockByHash', ['', false])).error?.code).toBe(-32602)
    const reverted = await rpc('eth_call', [{ to: token, data: '0x12345678' }, 'latest'])
    expect(reverted.error).toEqual({ code: 3, message: 'execution reverted', data: '0x' })
    await expect(provider.call({ to: token, data: '0x12345678' })).rejects.toSatisfy((e) =>
      isError(e, 'CALL_EXCEPTION'),
    )
    expect((await rpc('eth_getStorageAt', [token, '0x0', 'latest'])).result).toBe(`0x${'00'.repeat(32)}`)
    expect((await rpc('eth_blobBaseFee', [])).result).toBe('0x0')
    expect((await rpc('net_peerCount', [])).result).toBe('0x0')
    expect((await rpc('net_listening', [])).result).toBe(true)
    expect((await rpc('web3_clientVersion', [])).result).toMatch(/^l2kit\//)
    const access = (
      await rpc('eth_createAccessList', [{ from: alice.address, to: bob.address, value: '0x1' }])
    ).result
    expect(access).toEqual({ accessList: [], gasUsed: '0x5208' })
  })

  it('serves JSON-RPC over WebSocket on the same port: ethers block and Transfer subscriptions', async () => {
    const ws = new WebSocketProvider(devnet.l2Rpc.replace(/^http/, 'ws'), Number(devnet.chain.chainId), {
      staticNetwork: true,
    })
    try {
      expect(await ws.getBlockNumber()).toBe(await provider.getBlockNumber())
      const head = new Promise<number>((resolve) => {
        void ws.once('block', (n: number) => resolve(n))
      })
      let resolveLog: (hash: string) => void = () => undefined
      const transferSeen = new Promise<string>((resolve) => {
        resolveLog = resolve
      })
      const watched = new Contract(token, erc20, ws)
      await watched.on(
        watched.getEvent('Transfer')(alice.address),
        (...args: { log: { transactionHash: string } }[]) =>
          resolveLog(args[args.length - 1]?.log.transactionHash as string),
      )
      // ethers sends eth_subscribe asynchronously after on() resolves.
      await new Promise((r) => setTimeout(r, 300))
      const dev = new Contract(token, erc20, alice)
      const receipt = await (await dev.getFunction('transfer')(bob.address, 4n)).wait()
      expect(await head).toBeGreaterThanOrEqual(receipt.blockNumber)
      expect(await transferSeen).toBe(receipt.hash)
      await watched.removeAllListeners()
      // ethers sends eth_unsubscribe asynchronously too: let it finish, or destroy() cancels it and the
      // cancelled request surfaces as an unhandled rejection.
      await new Promise((r) => setTimeout(r, 300))
    } finally {
      await ws.destroy().catch(() => undefined)
    }
    const overHttp = await rpc('eth_subscribe', ['newHeads'])
    expect(overHttp.error).toMatchObject({ code: -32601, message: 'notifications not supported' })
  })
})
