/**
 * `npm run bench` (l2kit bench): measures the optimistic rollup on this machine and writes
 * bench/results/optimistic.json. Figures, not assertions.
 *  A. sequencer throughput: signed transfers accepted (decoded, signature-recovered, executed, durably logged)
 *  B. L1 bytes per transfer after compression, from the batches of A
 *  C. L1 gas per transfer: the real compressed batches posted to the real contracts on anvil, as blobs and as
 *     calldata, plus a proposal per batch; ratios against direct L1 ETH and ERC-20 transfers at scenario prices
 *  D. latencies on a running devnet: deposit → L2 balance, send → receipt (soft confirmation)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import {
  createPublicClient,
  concatHex,
  createWalletClient,
  encodeFunctionData,
  erc20Abi,
  formatGwei,
  type Hex,
  http,
  keccak256,
  parseEther,
  parseGwei,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import type { FlagSpec, ParsedArgs } from '../src/cli/args.ts'
import { num } from '../src/cli/args.ts'
import { encodeBatch } from '../src/core/batchCodec.ts'
import { compressBatchData } from '../src/core/compression.ts'
import { activeSignatureBackend } from '../src/core/signature.ts'
import type { Address, Batch, Deposit, TokenInfo } from '../src/core/types.ts'
import { rollupAbi } from '../src/generated/contracts.ts'
import { ANVIL_DEV_ACCOUNTS, startAnvil } from '../src/l1/anvil.ts'
import { blobCountForData, blobsToSidecars, dataToBlobs, maxBlobDataBytes } from '../src/l1/blobs.ts'
import { createL1Clients } from '../src/l1/clients.ts'
import { TxManager } from '../src/l1/txManager.ts'
import type { Logger } from '../src/node/logger.ts'
import type { L2Block } from '../src/optimistic/block.ts'
import { ChainStore } from '../src/optimistic/chainStore.ts'
import { DEFAULT_L2_BASE_FEE } from '../src/optimistic/config.ts'
import { deployRollup, genesisStateHeader } from '../src/optimistic/deploy.ts'
import { startDevnet, waitFor } from '../src/optimistic/devnet.ts'
import { Sequencer } from '../src/optimistic/sequencer.ts'
import { defineL2Chain } from '../src/sdk/defineL2Chain.ts'
import { depositEth } from '../src/sdk/depositEth.ts'
import { L2_TOKEN_1, loadAccounts, makeTransfers } from './loadgen.ts'

export const benchFlags: FlagSpec = {
  transfers: { type: 'string', description: 'transfers submitted to the sequencer', default: '30000' },
  accounts: { type: 'string', description: 'accounts sending and receiving', default: '2000' },
  'base-fee-gwei': {
    type: 'string',
    description: 'scenario L1 execution base fee (gwei) for the cost ratios',
    default: '1',
  },
  'blob-fee-gwei': {
    type: 'string',
    description: 'scenario L1 blob base fee (gwei) for the cost ratios',
    default: '1',
  },
  out: { type: 'string', description: 'result file', default: 'bench/results/optimistic.json' },
}

const CHAIN_ID = 42069n

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] ?? Number.NaN
}

export async function runBench(
  args: ParsedArgs,
  logger: Logger,
  onShutdown: (fn: () => Promise<void>) => void,
): Promise<void> {
  const nTransfers = num(args.values.transfers, 'transfers') ?? 30_000
  const nAccounts = num(args.values.accounts, 'accounts') ?? 2_000
  const scenario = {
    baseFee: parseGwei(String(args.values['base-fee-gwei'] ?? '1')),
    blobBaseFee: parseGwei(String(args.values['blob-fee-gwei'] ?? '1')),
  }
  const out = String(args.values.out ?? 'bench/results/optimistic.json')
  const log = (s: string) => process.stderr.write(`» ${s}\n`)
  const quiet = logger.child({ component: 'bench' })

  // ---- A. sequencer throughput ----
  log(
    `A. sequencer: ${nAccounts} accounts, signing ${nTransfers} wallet-like transfers (signature backend: ${activeSignatureBackend()})`,
  )
  const dir = mkdtempSync(join(tmpdir(), 'l2kit-bench-'))
  const store = await ChainStore.open(dir)
  const seq = new Sequencer(
    { blockTimeMs: 100 },
    { chain: { chainId: CHAIN_ID, baseFee: DEFAULT_L2_BASE_FEE, genesisTimestamp: 0 }, store, logger: quiet },
  )
  await seq.start()
  const accounts = loadAccounts(nAccounts)
  const token: TokenInfo = {
    index: 1,
    l1Address: '0x00000000000000000000000000000000000000d1',
    l2Address: L2_TOKEN_1,
    name: 'Bench',
    symbol: 'BNC',
    decimals: 18,
  }
  await store.putToken(token)
  seq.registerToken(token)
  const deposits: Deposit[] = accounts.flatMap((a, i) => [
    { index: BigInt(2 * i), from: a.address, to: a.address, tokenIndex: 0, amount: parseEther('100') },
    { index: BigInt(2 * i + 1), from: a.address, to: a.address, tokenIndex: 1, amount: parseEther('100000') },
  ])
  await store.putDeposits(deposits)
  await seq.sealNow()
  const signStart = performance.now()
  const raws = makeTransfers({ accounts, count: nTransfers, chainId: CHAIN_ID, baseFee: DEFAULT_L2_BASE_FEE })
  const signSeconds = (performance.now() - signStart) / 1000
  log(`   signed in ${signSeconds.toFixed(1)} s; submitting with up to 4096 in flight`)
  const firstBlock = seq.head.number + 1n
  const t0 = performance.now()
  const inflight = new Set<Promise<unknown>>()
  let rejected = 0
  for (const raw of raws) {
    const p = seq.submitRawTransaction(raw).catch(() => {
      rejected++
    })
    inflight.add(p)
    void p.finally(() => inflight.delete(p))
    if (inflight.size >= 4096) await Promise.race(inflight)
  }
  await Promise.all(inflight)
  const acceptSeconds = (performance.now() - t0) / 1000
  const sequencerTps = (raws.length - rejected) / acceptSeconds
  await seq.sealNow()
  log(
    `   ${raws.length - rejected} accepted, ${rejected} rejected in ${acceptSeconds.toFixed(2)} s → ${sequencerTps.toFixed(0)} transfers/s`,
  )

  // ---- B. bytes per transfer ----
  const blocks: L2Block[] = []
  for (let n = firstBlock; n <= seq.head.number; n++) blocks.push(store.getBlock(n) as L2Block)
  const state = seq.state
  const capacity6 = maxBlobDataBytes(6)
  const capacityCalldata = 250_000
  function packBatches(limit: number): { data: Uint8Array; txs: number }[] {
    const result: { data: Uint8Array; txs: number }[] = []
    let i = 0
    while (i < blocks.length) {
      // Grow the run of blocks while the compressed batch fits the limit.
      let lo = i + 1
      let best: { data: Uint8Array; txs: number; end: number } | undefined
      let hi = blocks.length
      while (lo <= hi) {
        const mid = Math.floor((lo + hi) / 2)
        const run = blocks.slice(i, mid)
        const known = (run[0] as L2Block).accountCountBefore
        const batch: Batch = {
          firstBlockNumber: (run[0] as L2Block).number,
          blocks: run.map((b) => ({
            timestamp: b.timestamp,
            depositCountAfter: b.depositCountAfter,
            txs: b.txs.map((t) => t.tx),
          })),
        }
        const data = compressBatchData(
          encodeBatch(batch, {
            indexOf: (a: Address) => {
              const x = state.indexOf(a)
              return x !== undefined && x < known ? x : undefined
            },
          }),
        )
        if (data.length <= limit) {
          best = { data, txs: run.reduce((s, b) => s + b.txs.length, 0), end: mid }
          lo = mid + 1
        } else hi = mid - 1
      }
      if (!best) throw new Error('one block exceeds the batch limit')
      result.push({ data: best.data, txs: best.txs })
      i = best.end
    }
    return result
  }
  const blobBatches = packBatches(capacity6)
  const calldataBatches = packBatches(capacityCalldata)
  const totalBytes = blobBatches.reduce((s, b) => s + b.data.length, 0)
  const totalTxs = blobBatches.reduce((s, b) => s + b.txs, 0)
  const l1BytesPerTransfer = totalBytes / totalTxs
  log(
    `B. ${totalTxs} transfers → ${totalBytes} compressed bytes = ${l1BytesPerTransfer.toFixed(1)} L1 bytes per transfer (${blobBatches.length} full blob batches)`,
  )
  await seq.stop()
  await store.close()
  rmSync(dir, { recursive: true, force: true })

  // ---- C. L1 gas on real contracts ----
  log('C. posting those batches to the real contracts on anvil (blob and calldata)')
  const anvil = await startAnvil({})
  onShutdown(() => anvil.stop())
  const op = ANVIL_DEV_ACCOUNTS[0] as { privateKey: Hex }
  const l1 = await createL1Clients({ rpcUrl: anvil.rpcUrl, privateKey: op.privateKey })
  const contracts = await deployRollup(l1.walletClient, l1.publicClient, {
    chain: { chainId: CHAIN_ID, baseFee: DEFAULT_L2_BASE_FEE, genesisTimestamp: 0 },
    batcher: l1.account.address,
    challengeWindowSeconds: 10n,
    proposalBond: parseEther('0.1'),
    challengeBond: parseEther('0.05'),
    inclusionWindowSeconds: 10n,
    devToken: {
      holders: ANVIL_DEV_ACCOUNTS.slice(0, 3).map((a) => a.address),
      amountEach: parseEther('1000'),
    },
  })
  const tm = new TxManager({}, { publicClient: l1.publicClient, account: l1.account, logger: quiet })
  const blobRuns: { txs: number; gas: bigint; blobGas: bigint }[] = []
  for (const b of blobBatches.filter((x) => x.txs > 0).slice(0, 2)) {
    const blobs = dataToBlobs(b.data)
    const r = await tm.send({
      to: contracts.rollup,
      data: encodeFunctionData({
        abi: rollupAbi,
        functionName: 'appendBatch',
        args: [1n, 1, 0n, blobs.length],
      }),
      blobs,
      label: 'appendBatch',
    })
    blobRuns.push({ txs: b.txs, gas: r.gasUsed, blobGas: r.blobGasUsed })
  }
  const calldataRuns: { txs: number; gas: bigint }[] = []
  for (const b of calldataBatches.slice(0, 2)) {
    const r = await tm.send({
      to: contracts.rollup,
      data: encodeFunctionData({
        abi: rollupAbi,
        functionName: 'appendBatchCalldata',
        args: [1n, 1, 0n, `0x${Buffer.from(b.data).toString('hex')}`],
      }),
      label: 'appendBatchCalldata',
    })
    calldataRuns.push({ txs: b.txs, gas: r.gasUsed })
  }
  // The proposal of the first batch, with its trace (one 32-byte leaf per row) in a blob as the proposer posts it.
  const firstBlob = blobBatches.find((x) => x.txs > 0) as { data: Uint8Array; txs: number }
  const firstHashes = blobsToSidecars(dataToBlobs(firstBlob.data)).versionedHashes
  const traceSteps = firstBlob.txs + 1
  const traceBlobs = dataToBlobs(new Uint8Array(32 * (traceSteps + 1)))
  const prop = await tm.send({
    to: contracts.rollup,
    value: parseEther('0.1'),
    data: encodeFunctionData({
      abi: rollupAbi,
      functionName: 'propose',
      args: [
        0n,
        keccak256(concatHex(firstHashes)),
        genesisStateHeader({ chainId: CHAIN_ID, baseFee: DEFAULT_L2_BASE_FEE, genesisTimestamp: 0 }),
        BigInt(traceSteps),
        traceBlobs.length,
      ],
    }),
    blobs: traceBlobs,
    label: 'propose',
  })
  const proposeGas = prop.gasUsed
  // Direct L1 transfers for comparison (measured, not assumed).
  const user = createWalletClient({
    account: privateKeyToAccount(ANVIL_DEV_ACCOUNTS[1]?.privateKey as Hex),
    chain: l1.publicClient.chain,
    transport: http(anvil.rpcUrl),
  })
  const ethTx = await l1.publicClient.waitForTransactionReceipt({
    hash: await user.sendTransaction({ to: ANVIL_DEV_ACCOUNTS[2]?.address as Address, value: 1n }),
  })
  const ercTx = await l1.publicClient.waitForTransactionReceipt({
    hash: await user.writeContract({
      address: contracts.devToken as Address,
      abi: erc20Abi,
      functionName: 'transfer',
      args: [ANVIL_DEV_ACCOUNTS[2]?.address as Address, 10n ** 18n],
    }),
  })
  const [liveBlock, liveBlobFee] = await Promise.all([
    l1.publicClient.getBlock(),
    l1.publicClient.getBlobBaseFee(),
  ])
  await anvil.stop()

  const sumTx = (xs: { txs: number }[]) => xs.reduce((s, x) => s + x.txs, 0)
  const blobTxs = sumTx(blobRuns)
  const blobExecGasPerTransfer =
    (Number(blobRuns.reduce((s, x) => s + x.gas, 0n)) + Number(proposeGas) * blobRuns.length) / blobTxs
  const blobGasPerTransfer = Number(blobRuns.reduce((s, x) => s + x.blobGas, 0n)) / blobTxs
  const cdTxs = sumTx(calldataRuns)
  const l1GasPerTransferCalldata =
    (Number(calldataRuns.reduce((s, x) => s + x.gas, 0n)) + Number(proposeGas) * calldataRuns.length) / cdTxs
  const bf = Number(scenario.baseFee)
  const blobF = Number(scenario.blobBaseFee)
  const costBlobWei = blobExecGasPerTransfer * bf + blobGasPerTransfer * blobF
  const costCalldataWei = l1GasPerTransferCalldata * bf
  const directEthWei = Number(ethTx.gasUsed) * bf
  const directErcWei = Number(ercTx.gasUsed) * bf
  const costRatioVsL1EthTransfer = directEthWei / costBlobWei
  const costRatioVsL1Erc20Transfer = directErcWei / costBlobWei

  // ---- D. latencies on a running devnet ----
  log('D. latencies on a devnet (deposit → L2 balance; send → receipt)')
  const devnet = await startDevnet(
    { rpcPort: 0, devAccounts: 1, batcher: { dataMode: 'blob' } },
    { logger: quiet },
  )
  onShutdown(() => devnet.stop())
  const key = devnet.accounts[0]?.privateKey as Hex
  const me = privateKeyToAccount(key)
  const chain = defineL2Chain({ chainId: Number(devnet.chain.chainId), rpcUrl: devnet.l2Rpc })
  const l2Public = createPublicClient({ chain, transport: http(devnet.l2Rpc) })
  const l2Wallet = createWalletClient({ account: me, chain, transport: http(devnet.l2Rpc) })
  const l1Wallet = createWalletClient({
    account: me,
    chain: devnet.l1.publicClient.chain,
    transport: http(devnet.l1Rpc),
  })
  const depositLatencies: number[] = []
  for (let i = 0; i < 5; i++) {
    const before = await l2Public.getBalance({ address: me.address })
    const s = performance.now()
    await depositEth(
      { walletClient: l1Wallet, publicClient: devnet.l1.publicClient },
      { portal: devnet.contracts.portal, amount: parseEther('1') },
    )
    await waitFor(
      async () => (await l2Public.getBalance({ address: me.address })) > before,
      60_000,
      'deposit',
      10,
    )
    depositLatencies.push((performance.now() - s) / 1000)
  }
  const softLatencies: number[] = []
  for (let i = 0; i < 30; i++) {
    const s = performance.now()
    const hash = await l2Wallet.sendTransaction({
      to: ANVIL_DEV_ACCOUNTS[7]?.address as Address,
      value: parseEther('0.001'),
    })
    await l2Public.waitForTransactionReceipt({ hash, pollingInterval: 5 })
    softLatencies.push(performance.now() - s)
  }
  await devnet.stop()

  const result = {
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      signatureBackend: activeSignatureBackend(),
    },
    workload: { transfers: nTransfers, accounts: nAccounts, tokenShare: 0.3 },
    sequencerTps: Math.round(sequencerTps),
    l1BytesPerTransfer: Number(l1BytesPerTransfer.toFixed(2)),
    blobGasPerTransfer: Number(blobGasPerTransfer.toFixed(2)),
    l1GasPerTransferBlob: Number(blobExecGasPerTransfer.toFixed(2)),
    l1GasPerTransferCalldata: Number(l1GasPerTransferCalldata.toFixed(2)),
    costRatioVsL1EthTransfer: Number(costRatioVsL1EthTransfer.toFixed(1)),
    costRatioVsL1Erc20Transfer: Number(costRatioVsL1Erc20Transfer.toFixed(1)),
    depositLatencySeconds: Number(median(depositLatencies).toFixed(3)),
    softConfirmLatencyMs: Number(median(softLatencies).toFixed(1)),
    details: {
      blobBatches: blobRuns.map((r) => ({ txs: r.txs, execGas: Number(r.gas), blobGas: Number(r.blobGas) })),
      calldataBatches: calldataRuns.map((r) => ({ txs: r.txs, gas: Number(r.gas) })),
      proposeGas: Number(proposeGas),
      directL1EthTransferGas: Number(ethTx.gasUsed),
      directL1Erc20TransferGas: Number(ercTx.gasUsed),
      scenarioPrices: {
        baseFeeGwei: formatGwei(scenario.baseFee),
        blobBaseFeeGwei: formatGwei(scenario.blobBaseFee),
      },
      livePrices: { baseFeeWei: Number(liveBlock.baseFeePerGas ?? 0n), blobBaseFeeWei: Number(liveBlobFee) },
      costPerTransferWei: {
        blob: Math.round(costBlobWei),
        calldata: Math.round(costCalldataWei),
        directEth: directEthWei,
        directErc20: directErcWei,
      },
      costRatioCalldataVsL1Erc20Transfer: Number((directErcWei / costCalldataWei).toFixed(1)),
      depositLatenciesSeconds: depositLatencies.map((x) => Number(x.toFixed(3))),
      signSeconds: Number(signSeconds.toFixed(2)),
      blobsPerFullBatch: blobCountForData(blobBatches[0]?.data.length ?? 0),
    },
  }
  mkdirSync(join(out, '..'), { recursive: true })
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`)
  const rows: [string, string, string][] = [
    ['sequencer transfers/s (decode+recover+execute+durable)', String(result.sequencerTps), '≥ 10,000'],
    ['L1 bytes per transfer (compressed)', String(result.l1BytesPerTransfer), '≤ 80'],
    ['blob gas per transfer', String(result.blobGasPerTransfer), ''],
    ['L1 exec gas per transfer, blob mode (incl. proposal share)', String(result.l1GasPerTransferBlob), ''],
    [
      'L1 gas per transfer, calldata mode (incl. proposal share)',
      String(result.l1GasPerTransferCalldata),
      '',
    ],
    ['cost ratio vs direct L1 ETH transfer (blob mode)', `${result.costRatioVsL1EthTransfer}×`, ''],
    [
      'cost ratio vs direct L1 ERC-20 transfer (blob mode)',
      `${result.costRatioVsL1Erc20Transfer}×`,
      '≥ 100×',
    ],
    [
      'cost ratio vs direct L1 ERC-20 transfer (calldata mode)',
      `${result.details.costRatioCalldataVsL1Erc20Transfer}×`,
      '',
    ],
    ['deposit → L2 latency (median of 5), s', String(result.depositLatencySeconds), ''],
    ['soft confirmation latency (median of 30), ms', String(result.softConfirmLatencyMs), ''],
  ]
  const w = Math.max(...rows.map((r) => r[0].length))
  process.stdout.write(
    [
      `l2kit optimistic rollup benchmark — ${result.machine.cpu}, ${result.machine.cores} cores, node ${result.machine.node}`,
      `scenario prices: execution ${result.details.scenarioPrices.baseFeeGwei} gwei, blob ${result.details.scenarioPrices.blobBaseFeeGwei} gwei (live anvil: ${result.details.livePrices.baseFeeWei} wei, blob ${result.details.livePrices.blobBaseFeeWei} wei)`,
      '',
      `${'metric'.padEnd(w)}  ${'measured'.padStart(10)}  target`,
      ...rows.map(([k, v, t]) => `${k.padEnd(w)}  ${v.padStart(10)}  ${t}`),
      '',
      `written to ${out}`,
      '',
    ].join('\n'),
  )
}
