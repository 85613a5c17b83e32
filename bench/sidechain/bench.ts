/**
 * `l2kit sidechain bench` / `npm run bench`: the sidechain measured on this machine, 4 validator processes on anvil.
 *  A. throughput: pre-signed ETH transfers, then ERC-20 transfers (an ERC-20 deployed on the sidechain), submitted
 *     in JSON-RPC batches spread over the 4 validators; committed transfers/s from the first submission to the
 *     block that holds the last one.
 *  B. finality: a paced stream (default 50/s); per transfer the time from its submission to the first sight of the
 *     block that holds it (p50, p99).
 *  C. L1: checkpoint gas (measured on L1), amortised per transfer; deposit latency (L1 deposit → minted) and
 *     withdrawal latency (burn → paid on L1 against the covering checkpoint).
 *  D. baseline: the same ETH transfers sent to the devnet's own anvil (one EVM node, automine) — what a user would
 *     pick instead for a single-node EVM chain.
 * Writes bench/results/sidechain.json.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type Address,
  createPublicClient,
  createWalletClient,
  defineChain,
  encodeFunctionData,
  erc20Abi,
  type Hex,
  http,
  keccak256,
  parseEther,
  parseGwei,
  toHex,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import type { FlagSpec, ParsedArgs } from '../../src/cli/args.ts'
import { num, str } from '../../src/cli/args.ts'
import type { Logger } from '../../src/core/logger.ts'
import { devTokenAbi, devTokenBytecode, sidechainBridgeAbi } from '../../src/generated/contracts.ts'
import { ANVIL_DEV_ACCOUNTS, startAnvil } from '../../src/l1/anvil.ts'
import { createL1Clients } from '../../src/l1/clients.ts'
import {
  depositToSidechain,
  proveAndFinalizeSidechainWithdrawal,
  withdrawFromSidechain,
} from '../../src/sdk/sidechain/index.ts'
import { startSidechainDevnet } from '../../src/sidechain/devnet.ts'
import { machineInfo, writeResult } from '../harness.ts'

export const benchFlags: FlagSpec = {
  transfers: { type: 'string', description: 'ETH transfers in the throughput run (A.)', default: '6000' },
  'erc20-transfers': {
    type: 'string',
    description: 'ERC-20 transfers in the throughput run (A.)',
    default: '3000',
  },
  senders: { type: 'string', description: 'distinct sending accounts', default: '200' },
  'stream-rate': {
    type: 'string',
    description: 'transfers/s of the paced finality stream (B.)',
    default: '50',
  },
  'stream-seconds': { type: 'string', description: 'length of the finality stream (B.)', default: '10' },
  'block-time-ms': { type: 'string', description: 'target time between blocks', default: '250' },
  'gas-limit': { type: 'string', description: 'block gas limit', default: '100000000' },
  'checkpoint-interval': { type: 'string', description: 'blocks per checkpoint', default: '16' },
  'anvil-transfers': {
    type: 'string',
    description: 'ETH transfers for the anvil baseline (D.)',
    default: '2000',
  },
  out: { type: 'string', description: 'result file', default: 'bench/results/sidechain.json' },
}

export const SIDECHAIN_ANCHORS = {
  targets: { tps: 1_000, finalityP50Ms: 1_000, checkpointGas4Validators: 150_000 },
  polygonPos:
    'Polygon PoS: ~2 s blocks (Bor), checkpoints to Ethereum about every 30 min (Heimdall, 2/3+1 of stake)',
  cometBft: 'CometBFT: 1 s commit timeout by default; finality in one block',
} as const

const round = (x: number, d = 2) => Number(x.toFixed(d))
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0
}

type Signed = { raw: Hex; hash: Hex }

/** `counters[i]`, then counts it up (a sender's next nonce). */
function take(counters: number[], i: number): number {
  const n = counters[i] as number
  counters[i] = n + 1
  return n
}

async function rpcBatch(url: string, calls: { method: string; params: unknown[] }[]): Promise<unknown[]> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(calls.map((c, i) => ({ jsonrpc: '2.0', id: i, ...c }))),
  })
  const body = (await res.json()) as { id: number; result?: unknown; error?: { message: string } }[]
  return body.sort((a, b) => a.id - b.id).map((r) => r.error ?? r.result)
}

/** Watches the heads of one validator; records when each transaction hash was first seen in a block. */
function watchCommits(url: string) {
  const seen = new Map<Hex, number>()
  let next: bigint | undefined
  let stopped = false
  const loop = (async () => {
    while (!stopped) {
      const [headHex] = (await rpcBatch(url, [{ method: 'eth_blockNumber', params: [] }])) as [string]
      const head = BigInt(headHex)
      if (next === undefined) next = head + 1n
      for (; next <= head; next++) {
        const [b] = (await rpcBatch(url, [
          { method: 'eth_getBlockByNumber', params: [toHex(next), false] },
        ])) as [{ transactions: Hex[] }]
        const now = performance.now()
        for (const h of b.transactions) seen.set(h, now)
      }
      await new Promise((r) => setTimeout(r, 10))
    }
  })()
  return {
    seen,
    stop: async () => {
      stopped = true
      await loop
    },
  }
}

export async function runBench(
  args: ParsedArgs,
  logger: Logger,
  onShutdown: (fn: () => Promise<void>) => void,
): Promise<void> {
  const log = (s: string) => process.stderr.write(`» ${s}\n`)
  const nEth = num(args.values.transfers, 'transfers') ?? 6_000
  const nErc = num(args.values['erc20-transfers'], 'erc20-transfers') ?? 3_000
  const nSenders = num(args.values.senders, 'senders') ?? 200
  const streamRate = num(args.values['stream-rate'], 'stream-rate') ?? 50
  const streamSeconds = num(args.values['stream-seconds'], 'stream-seconds') ?? 10
  const blockTimeMs = num(args.values['block-time-ms'], 'block-time-ms') ?? 250
  const gasLimit = BigInt(num(args.values['gas-limit'], 'gas-limit') ?? 100_000_000)
  const interval = num(args.values['checkpoint-interval'], 'checkpoint-interval') ?? 16
  const nAnvil = num(args.values['anvil-transfers'], 'anvil-transfers') ?? 2_000
  const out = str(args.values.out) ?? 'bench/results/sidechain.json'

  const anvil = await startAnvil()
  const dir = mkdtempSync(join(tmpdir(), 'l2kit-scbench-'))
  const senderKeys = Array.from({ length: nSenders }, (_, i) =>
    keccak256(toHex(`l2kit sidechain bench sender ${i}`)),
  )
  const senders = senderKeys.map((k) => privateKeyToAccount(k))
  const funderKey = (ANVIL_DEV_ACCOUNTS[9] as { privateKey: Hex }).privateKey
  const alice = privateKeyToAccount((ANVIL_DEV_ACCOUNTS[1] as { privateKey: Hex }).privateKey)
  log(`starting 4 validator processes (blocks every ${blockTimeMs} ms, gas limit ${gasLimit})`)
  const net = await startSidechainDevnet(
    {
      l1RpcUrl: anvil.rpcUrl,
      dataDir: dir,
      funderKey,
      mode: 'process',
      blockTimeMs,
      gasLimit,
      checkpointInterval: interval,
      confirmations: 0,
      logLevel: 'warn',
      alloc: Object.fromEntries([
        ...senders.map((s) => [s.address, parseEther('100')]),
        [alice.address, parseEther('100')],
      ]),
    },
    { logger },
  )
  const stopAll = async () => {
    await net.stop()
    await anvil.stop()
    rmSync(dir, { recursive: true, force: true })
  }
  onShutdown(stopAll)
  try {
    const urls = net.validators.map((v) => v.rpcUrl)
    const chain = defineChain({
      id: Number(net.chainId),
      name: 'sidechain',
      nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
      rpcUrls: { default: { http: [urls[0] as string] } },
    })
    const pc = createPublicClient({ chain, transport: http(urls[0]) })
    const gasPrice = parseGwei('2')
    const nonces = senders.map(() => 0)

    // ---- pre-signing (not timed)
    const signEth = async (n: number, chainId: number): Promise<Signed[]> => {
      const out: Signed[] = []
      for (let i = 0; i < n; i++) {
        const s = i % nSenders
        const raw = await (senders[s] as ReturnType<typeof privateKeyToAccount>).signTransaction({
          type: 'eip1559',
          chainId,
          nonce: take(nonces, s),
          to: `0x${(i % 997).toString(16).padStart(40, '0')}` as Address,
          value: 1n,
          gas: 21_000n,
          maxFeePerGas: gasPrice,
          maxPriorityFeePerGas: 1n,
        })
        out.push({ raw, hash: keccak256(raw) })
      }
      return out
    }
    log(`signing ${nEth} ETH transfers from ${nSenders} senders`)
    const ethTxs = await signEth(nEth, Number(net.chainId))

    // The ERC-20: alice deploys it and gives every sender tokens (not timed).
    const aliceL2 = createWalletClient({ chain, account: alice, transport: http(urls[0]) })
    const deploy = await aliceL2.deployContract({
      abi: devTokenAbi,
      bytecode: devTokenBytecode,
      args: ['Bench', 'BNC', 18, senders.map((s) => s.address), parseEther('1000000')],
    })
    const token = (await pc.waitForTransactionReceipt({ hash: deploy })).contractAddress as Address
    log(`signing ${nErc} ERC-20 transfers`)
    const ercTxs: Signed[] = []
    for (let i = 0; i < nErc; i++) {
      const s = i % nSenders
      const raw = await (senders[s] as ReturnType<typeof privateKeyToAccount>).signTransaction({
        type: 'eip1559',
        chainId: Number(net.chainId),
        nonce: take(nonces, s),
        to: token,
        data: encodeFunctionData({
          abi: erc20Abi,
          functionName: 'transfer',
          args: [(senders[(s + 1) % nSenders] as { address: Address }).address, 1n],
        }),
        gas: 80_000n,
        maxFeePerGas: gasPrice,
        maxPriorityFeePerGas: 1n,
      })
      ercTxs.push({ raw, hash: keccak256(raw) })
    }

    const submit = async (txs: Signed[]) => {
      const sentAt = new Map<Hex, number>()
      const batches: Signed[][] = []
      for (let i = 0; i < txs.length; i += 100) batches.push(txs.slice(i, i + 100))
      let refused = 0
      // 4 concurrent submitters, one per validator: gossip spreads them to the others.
      await Promise.all(
        urls.map(async (url, k) => {
          for (let b = k; b < batches.length; b += urls.length) {
            const batch = batches[b] as Signed[]
            const at = performance.now()
            for (const t of batch) sentAt.set(t.hash, at)
            const res = await rpcBatch(
              url,
              batch.map((t) => ({ method: 'eth_sendRawTransaction', params: [t.raw] })),
            )
            refused += res.filter((r) => typeof r !== 'string').length
          }
        }),
      )
      return { sentAt, refused }
    }

    const throughput = async (label: string, txs: Signed[]) => {
      const w = watchCommits(urls[0] as string)
      const t0 = performance.now()
      const { refused } = await submit(txs)
      const deadline = Date.now() + 300_000
      while (txs.some((t) => !w.seen.has(t.hash))) {
        if (Date.now() > deadline) break
        await new Promise((r) => setTimeout(r, 50))
      }
      await w.stop()
      const committed = txs.filter((t) => w.seen.has(t.hash))
      const last = Math.max(...committed.map((t) => w.seen.get(t.hash) as number))
      const tps = committed.length / ((last - t0) / 1000)
      log(
        `${label}: ${committed.length}/${txs.length} committed (${refused} refused) at ${Math.round(tps)} transfers/s`,
      )
      return {
        submitted: txs.length,
        committed: committed.length,
        refused,
        tps: Math.round(tps),
        seconds: round((last - t0) / 1000),
      }
    }

    const l1 = await createL1Clients({
      rpcUrl: anvil.rpcUrl,
      privateKey: (ANVIL_DEV_ACCOUNTS[1] as { privateKey: Hex }).privateKey,
    })
    const checkpointsBefore = (
      await l1.publicClient.getContractEvents({
        address: net.bridge,
        abi: sidechainBridgeAbi,
        eventName: 'CheckpointSubmitted',
        fromBlock: net.deployBlock,
      })
    ).length
    const heightBefore = await pc.getBlockNumber({ cacheTime: 0 })
    log('A. throughput')
    const eth = await throughput('ETH transfers', ethTxs)
    const erc = await throughput('ERC-20 transfers', ercTxs)
    const heightAfter = await pc.getBlockNumber({ cacheTime: 0 })

    // ---- B. finality under a paced stream
    log(`B. finality: ${streamRate}/s for ${streamSeconds} s`)
    const stream = await signEth(streamRate * streamSeconds, Number(net.chainId))
    const w = watchCommits(urls[0] as string)
    const sentAt = new Map<Hex, number>()
    const period = 1000 / streamRate
    const start = performance.now()
    for (const [i, t] of stream.entries()) {
      const due = start + i * period
      const wait = due - performance.now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      sentAt.set(t.hash, performance.now())
      void rpcBatch(urls[i % urls.length] as string, [{ method: 'eth_sendRawTransaction', params: [t.raw] }])
    }
    const deadline = Date.now() + 60_000
    while (stream.some((t) => !w.seen.has(t.hash)) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50))
    await w.stop()
    const latencies = stream
      .filter((t) => w.seen.has(t.hash))
      .map((t) => (w.seen.get(t.hash) as number) - (sentAt.get(t.hash) as number))
    const finalityMs = {
      p50: Math.round(pct(latencies, 50)),
      p99: Math.round(pct(latencies, 99)),
      samples: latencies.length,
    }
    log(`finality p50 ${finalityMs.p50} ms, p99 ${finalityMs.p99} ms`)

    // ---- C. L1 costs and bridge latencies
    log('C. deposit and withdrawal latency')
    const bal0 = await pc.getBalance({ address: alice.address })
    const td = performance.now()
    const dep = await depositToSidechain({ l1, bridge: net.bridge, amount: parseEther('1') })
    while ((await pc.getBalance({ address: alice.address })) < bal0 + parseEther('1'))
      await new Promise((r) => setTimeout(r, 50))
    const depositLatencySeconds = round((performance.now() - td) / 1000)
    const tw = performance.now()
    const wd = await withdrawFromSidechain({
      chain: { rpcUrl: urls[0] as string },
      wallet: aliceL2,
      publicClient: pc,
      amount: parseEther('0.5'),
    })
    const fin = await proveAndFinalizeSidechainWithdrawal({
      chain: { rpcUrl: urls[0] as string, bridge: net.bridge },
      l1,
      withdrawalId: wd.withdrawalId,
      waitMs: 300_000,
      pollMs: 100,
    })
    const withdrawalLatencySeconds = round((performance.now() - tw) / 1000)
    const events = await l1.publicClient.getContractEvents({
      address: net.bridge,
      abi: sidechainBridgeAbi,
      eventName: 'CheckpointSubmitted',
      fromBlock: net.deployBlock,
    })
    const gasOf = async (h: Hex) => (await l1.publicClient.getTransactionReceipt({ hash: h })).gasUsed
    const checkpointGasList = await Promise.all(events.map((e) => gasOf(e.transactionHash as Hex)))
    const checkpointGas =
      checkpointGasList.length === 0
        ? 0
        : Number(checkpointGasList.reduce((a, b) => a + b, 0n) / BigInt(checkpointGasList.length))
    const checkpointsInRun = events.length - checkpointsBefore
    const runCheckpointGas = checkpointGasList.slice(checkpointsBefore).reduce((a, b) => a + b, 0n)
    const runBlocks = Number(heightAfter - heightBefore)
    const transfersInRun = eth.committed + erc.committed
    // Amortised: each checkpoint covers `interval` blocks; the run's transfers filled `runBlocks` blocks.
    const l1GasPerTransfer =
      transfersInRun === 0 ? null : round((checkpointGas * (runBlocks / interval)) / transfersInRun, 3)

    // ---- D. the anvil baseline: the same ETH transfers on one EVM node
    log(`D. baseline: ${nAnvil} ETH transfers on anvil`)
    let anvilTps: number | null = null
    let anvilError: string | null = null
    try {
      const anvilChainId = await l1.publicClient.getChainId()
      const anvilSenders = senders.slice(0, Math.min(nSenders, 50))
      for (const s of anvilSenders)
        await rpcBatch(anvil.rpcUrl, [
          { method: 'anvil_setBalance', params: [s.address, toHex(parseEther('10'))] },
        ])
      const anvilNonces = await Promise.all(
        anvilSenders.map((s) => l1.publicClient.getTransactionCount({ address: s.address })),
      )
      const baseFee = (await l1.publicClient.getBlock()).baseFeePerGas ?? parseGwei('1')
      const anvilTxs: Signed[] = []
      for (let i = 0; i < nAnvil; i++) {
        const s = i % anvilSenders.length
        const raw = await (anvilSenders[s] as ReturnType<typeof privateKeyToAccount>).signTransaction({
          type: 'eip1559',
          chainId: anvilChainId,
          nonce: take(anvilNonces, s),
          to: `0x${(i % 997).toString(16).padStart(40, '0')}` as Address,
          value: 1n,
          gas: 21_000n,
          maxFeePerGas: baseFee * 4n + parseGwei('1'),
          maxPriorityFeePerGas: 1n,
        })
        anvilTxs.push({ raw, hash: keccak256(raw) })
      }
      const ta = performance.now()
      // Anvil mines each transaction as it arrives (automine): small batches, retried once if a request fails.
      for (let i = 0; i < anvilTxs.length; i += 20) {
        const calls = anvilTxs
          .slice(i, i + 20)
          .map((t) => ({ method: 'eth_sendRawTransaction', params: [t.raw] }))
        await rpcBatch(anvil.rpcUrl, calls).catch(async () => {
          await new Promise((r) => setTimeout(r, 500))
          return rpcBatch(anvil.rpcUrl, calls)
        })
      }
      await l1.publicClient.waitForTransactionReceipt({
        hash: (anvilTxs[anvilTxs.length - 1] as Signed).hash,
      })
      anvilTps = Math.round(anvilTxs.length / ((performance.now() - ta) / 1000))
      log(`anvil: ${anvilTps} transfers/s`)
    } catch (e) {
      anvilError = (e as Error).message
      log(`the anvil baseline failed: ${anvilError}`)
    }

    const result = {
      machine: machineInfo(),
      workload: {
        validators: 4,
        validatorProcesses: true,
        blockTimeMs,
        gasLimit: gasLimit.toString(),
        senders: nSenders,
        checkpointInterval: interval,
      },
      tps: {
        eth: eth.tps,
        erc20: erc.tps,
        overall: Math.round(transfersInRun / (eth.seconds + erc.seconds)),
      },
      throughput: { eth, erc20: erc },
      finalityMs: { ...finalityMs, streamRatePerSecond: streamRate },
      checkpointGas,
      checkpointGasNote:
        'SidechainBridge.submitCheckpoint with 3 of 4 ECDSA signatures, transaction total as measured on anvil (forge: ~7.9k more per extra signer; BLS aggregation only pays from ~37 validators)',
      checkpointsDuringRun: checkpointsInRun,
      checkpointGasDuringRun: Number(runCheckpointGas),
      l1GasPerTransfer,
      gas: {
        deposit: Number(dep.receipt.gasUsed),
        finalizeWithdrawal: Number(fin.gasUsed),
      },
      depositLatencySeconds,
      withdrawalLatencySeconds,
      withdrawalLatencyNote: `devnet: the next checkpoint every ${interval} blocks of ${blockTimeMs} ms; Polygon PoS checkpoints about every 30 minutes`,
      baseline: {
        anvilTps,
        what: 'the same pre-signed ETH transfers sent to the devnet anvil (automine): one EVM node, no consensus',
      },
      anchors: SIDECHAIN_ANCHORS,
    }
    const file = writeResult(out, result)
    log(`wrote ${file}`)
    process.stdout.write(
      `${JSON.stringify({ tps: result.tps, finalityMs, checkpointGas, l1GasPerTransfer, depositLatencySeconds, withdrawalLatencySeconds, anvilTps })}\n`,
    )
  } finally {
    await stopAll()
  }
}
