/**
 * `npm run bench` (l2kit bench): measures the optimistic rollup on this machine and writes
 * bench/results/optimistic.json. Figures, not assertions.
 *  A. sequencer throughput: signed transfers accepted (decoded, signature-recovered, executed, durably logged)
 *  B. L1 bytes per transfer of the blocks of A in the provable v3 wire format the batcher posts (uncompressed
 *     124-byte rows), plus the proposer's trace (32 bytes per row); v1+brotli kept as a labelled comparison
 *  C. L1 gas per transfer: real v3 batches posted to the real contracts on anvil, as blobs and as calldata, each
 *     with a proposal carrying its real trace (executeBatchV3 from the sequencer's pre-state; a blob for blob
 *     batches, calldata for calldata batches, as the proposer does); ratios against direct L1 ETH and ERC-20
 *     transfers at scenario prices; then one honest (losing) challenge of each kind on those full-size batches
 *  D. latencies on a running devnet: deposit → L2 balance, send → receipt (soft confirmation)
 *  E. fraud proofs (bench/optimistic/fraudProofs.ts): forge gas of each proof step, bonds and window, and a bad proposal of
 *     each fault kind deleted on a devnet (challenge kind, step, gas, seconds to deletion)
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  concatHex,
  createPublicClient,
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
import type { FlagSpec, ParsedArgs } from '../../src/cli/args.ts'
import { num } from '../../src/cli/args.ts'
import type { StateHeader } from '../../src/core/commitment.ts'
import { activeSignatureBackend } from '../../src/core/signature.ts'
import type { L2State } from '../../src/core/state.ts'
import type { Address, Batch, Deposit, TokenInfo } from '../../src/core/types.ts'
import { devTokenAbi, devTokenBytecode, rollupAbi } from '../../src/generated/contracts.ts'
import { ANVIL_DEV_ACCOUNTS, startAnvil } from '../../src/l1/anvil.ts'
import { openingsForRange, rangeProofArgs } from '../../src/l1/blobProofs.ts'
import { blobCountForData, blobsToSidecars, dataToBlobs, maxBlobDataBytes } from '../../src/l1/blobs.ts'
import { createL1Clients } from '../../src/l1/clients.ts'
import { type CommittedData, dataRangeProof } from '../../src/l1/dataProofs.ts'
import { deployContractWithReceipt } from '../../src/l1/deploy.ts'
import { TxManager } from '../../src/l1/txManager.ts'
import { type Logger, silentLogger } from '../../src/node/logger.ts'
import { MAX_CALLDATA_BATCH_BYTES } from '../../src/optimistic/batcher.ts'
import type { L2Block } from '../../src/optimistic/block.ts'
import { ChainStore } from '../../src/optimistic/chainStore.ts'
import { DEFAULT_L2_BASE_FEE } from '../../src/optimistic/config.ts'
import { deployRollup } from '../../src/optimistic/deploy.ts'
import { startDevnet, waitFor } from '../../src/optimistic/devnet.ts'
import { FAULT_KINDS, parseFaultKind } from '../../src/optimistic/faults.ts'
import { L2_TOKEN_1, loadAccounts, makeTransfers } from '../../src/optimistic/loadgen.ts'
import {
  dataLengthV3,
  encodeBatchV3,
  ROW_TYPE,
  rowAtV3,
  rowDataOffsetV3,
  TX_KIND_CODE,
  V3_ROW_BYTES,
} from '../../src/optimistic/protocol/batchCodecV3.ts'
import { buildStepWitness } from '../../src/optimistic/protocol/stepWitness.ts'
import { executeBatchV3, traceBytes } from '../../src/optimistic/protocol/trace.ts'
import { Sequencer } from '../../src/optimistic/sequencer.ts'
import { defineL2Chain } from '../../src/sdk/defineL2Chain.ts'
import { depositEth } from '../../src/sdk/optimistic/depositEth.ts'
import { machineInfo, writeResult } from '../harness.ts'
import { attackMatrix, devnetBondSettings, forgeGasFigures, proofStepGas } from './fraudProofs.ts'
import { type RestartPoint, restartBench } from './restart.ts'
import { encodeBatch } from './v1/batchCodec.ts'
import { compressBatchData } from './v1/compression.ts'

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
  faults: {
    type: 'string',
    description: `fault kinds attacked on a devnet (comma separated, or "none"): ${FAULT_KINDS.join(',')}`,
    default: FAULT_KINDS.join(','),
  },
  'restart-batches': {
    type: 'string',
    description: 'chain lengths (batches, comma separated, or "none") at which a derivation restart is timed',
    default: '100,300',
  },
  out: { type: 'string', description: 'result file', default: 'bench/results/optimistic.json' },
}

const CHAIN_ID = 42069n

/** A v3 batch as the batcher would post it: whole blocks, uncompressed rows. */
type V3Batch = {
  data: Uint8Array
  txs: number
  rows: number
  firstBlock: bigint
  blockCount: number
  depositCountAfter: bigint
}
/** A v3 batch with its real trace (leaves L0..LR) and the headers around it. */
type TracedBatch = V3Batch & { leaves: Hex[]; pre: StateHeader; preBlockNumber: bigint; end: StateHeader }

function toHex(b: Uint8Array): Hex {
  return `0x${Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex')}`
}

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
  // A block holds at most maxBlockRows rows: the funding deposits take several blocks.
  while (seq.state.depositCount < BigInt(deposits.length)) await seq.sealNow()
  // The state the measured blocks start from: section C re-executes their v3 data from it to get real traces.
  const preState = seq.state.clone()
  const preBlockNumber = seq.head.number
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
  const finalStateRoot = state.stateRoot()
  const depositsBeforeFirst = (store.getBlock(firstBlock - 1n) as L2Block).depositCountAfter
  const depositsBefore = (i: number) =>
    i === 0 ? depositsBeforeFirst : (blocks[i - 1] as L2Block).depositCountAfter
  const toBatch = (run: L2Block[]): Batch => ({
    firstBlockNumber: (run[0] as L2Block).number,
    blocks: run.map((b) => ({
      timestamp: b.timestamp,
      depositCountAfter: b.depositCountAfter,
      txs: b.txs.map((t) => t.tx),
    })),
  })
  const capacity6 = maxBlobDataBytes(6)
  // What the batcher and the Rollup allow (every challenge transaction must fit a public mempool's 128 KiB).
  const capacityCalldata = MAX_CALLDATA_BATCH_BYTES
  // v3 (what the batcher posts): uncompressed fixed rows, so a batch is a run of whole blocks up to the limit.
  function packV3(limit: number): V3Batch[] {
    const result: V3Batch[] = []
    let i = 0
    while (i < blocks.length) {
      let end = i
      let rows = 0
      while (end < blocks.length) {
        const b = blocks[end] as L2Block
        const add = Number(b.depositCountAfter - depositsBefore(end)) + b.txs.length + 1
        if (dataLengthV3(rows + add) > limit) break
        rows += add
        end++
      }
      if (end === i) throw new Error('one block exceeds the batch limit')
      const run = blocks.slice(i, end)
      const data = encodeBatchV3(toBatch(run), depositsBefore(i))
      if (data.length !== dataLengthV3(rows)) throw new Error('v3 row count mismatch')
      result.push({
        data,
        txs: run.reduce((s, b) => s + b.txs.length, 0),
        rows,
        firstBlock: (run[0] as L2Block).number,
        blockCount: run.length,
        depositCountAfter: (run[run.length - 1] as L2Block).depositCountAfter,
      })
      i = end
    }
    return result
  }
  // v1 + brotli (the pre-fraud-proof format), kept only as a comparison: it cannot be proven row by row on L1.
  function packV1(limit: number): { data: Uint8Array; txs: number }[] {
    const result: { data: Uint8Array; txs: number }[] = []
    let i = 0
    while (i < blocks.length) {
      let lo = i + 1
      let best: { data: Uint8Array; txs: number; end: number } | undefined
      let hi = blocks.length
      while (lo <= hi) {
        const mid = Math.floor((lo + hi) / 2)
        const run = blocks.slice(i, mid)
        const known = (run[0] as L2Block).accountCountBefore
        const data = compressBatchData(
          encodeBatch(toBatch(run), {
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
  const blobBatches = packV3(capacity6)
  const calldataBatches = packV3(capacityCalldata)
  const v3Txs = blobBatches.reduce((s, b) => s + b.txs, 0)
  const v3Rows = blobBatches.reduce((s, b) => s + b.rows, 0)
  const v3DataBytes = blobBatches.reduce((s, b) => s + b.data.length, 0)
  const v3TraceBytes = blobBatches.reduce((s, b) => s + 32 * (b.rows + 1), 0)
  const v3BytesPerTransfer = v3DataBytes / v3Txs
  const traceBytesPerTransfer = v3TraceBytes / v3Txs
  const v3WithTraceBytesPerTransfer = (v3DataBytes + v3TraceBytes) / v3Txs
  const v1Batches = packV1(capacity6)
  const v1Bytes = v1Batches.reduce((s, b) => s + b.data.length, 0)
  const v1Txs = v1Batches.reduce((s, b) => s + b.txs, 0)
  const v1BytesPerTransfer = v1Bytes / v1Txs
  log(
    `B. v3: ${v3Txs} transfers in ${v3Rows} rows → ${v3DataBytes} data bytes (${v3BytesPerTransfer.toFixed(1)}/transfer) + ${v3TraceBytes} trace bytes (${traceBytesPerTransfer.toFixed(1)}/transfer) in ${blobBatches.length} batches of ≤ 6 blobs; v1+brotli (not provable): ${v1BytesPerTransfer.toFixed(1)}/transfer`,
  )

  // The real traces: the v3 data re-executed (executeBatchV3) from the sequencer's state before the transfers.
  const depositList = deposits
  const traceCtx = (b: V3Batch, blockNumber: bigint) => ({
    chainId: CHAIN_ID,
    blockNumber,
    batchDepositCountAfter: b.depositCountAfter,
    deposits: (i: bigint) => depositList[Number(i)],
  })
  function replay(batches: V3Batch[], count: number): { traced: TracedBatch[]; state: L2State } {
    const st = preState.clone()
    let blockNumber = preBlockNumber
    const traced: TracedBatch[] = []
    for (const b of batches.slice(0, count)) {
      const pre = st.stateHeader(blockNumber)
      const tr = executeBatchV3(st, b.data, traceCtx(b, blockNumber))
      if (!tr.valid || tr.rowCount !== b.rows)
        throw new Error(`bench batch is not a valid v3 batch: ${tr.reason}`)
      const skipped = tr.outcomes.filter((o) => !o.applied && o.kind === 'tx').length
      if (skipped > 0) throw new Error(`${skipped} transactions of a bench batch do not re-execute`)
      traced.push({
        ...b,
        leaves: tr.leaves,
        pre,
        preBlockNumber: blockNumber,
        end: st.stateHeader(tr.blockNumber),
      })
      blockNumber = tr.blockNumber
    }
    return { traced, state: st }
  }
  const replayStart = performance.now()
  const fullReplay = replay(blobBatches, blobBatches.length)
  const replaySeconds = (performance.now() - replayStart) / 1000
  const replayMatchesSequencer = fullReplay.state.stateRoot() === finalStateRoot
  log(
    `   traces: all ${blobBatches.length} blob batches re-executed in ${replaySeconds.toFixed(1)} s; final state root ${replayMatchesSequencer ? 'equals' : 'DIFFERS FROM'} the sequencer's`,
  )
  const blobTraced = fullReplay.traced.slice(0, 2)
  const calldataTraced = replay(calldataBatches, 2).traced
  await seq.stop()
  await store.close()
  rmSync(dir, { recursive: true, force: true })

  // ---- C. L1 gas on real contracts ----
  log(
    'C. posting v3 batches and their proposals (real traces) to the real contracts on anvil (blob and calldata)',
  )
  const anvil = await startAnvil({})
  onShutdown(() => anvil.stop())
  const op = ANVIL_DEV_ACCOUNTS[0] as { privateKey: Hex }
  const l1 = await createL1Clients({ rpcUrl: anvil.rpcUrl, privateKey: op.privateKey })
  const proposalBond = parseEther('0.1')
  const challengeBond = parseEther('0.05')
  // The Rollup's genesis is the bench's L2 state before the transfers (its 4,000 deposits exist only on L2 here),
  // so every proposal below is honest: its trace starts at the genesis commitment and ends at its end header.
  const deployBenchRollup = async (genesis: StateHeader) =>
    (
      await deployRollup(l1.walletClient, l1.publicClient, {
        chain: { chainId: CHAIN_ID, baseFee: DEFAULT_L2_BASE_FEE, genesisTimestamp: 0 },
        batcher: l1.account.address,
        challengeWindowSeconds: 3600n,
        proposalBond,
        challengeBond,
        // Force inclusion: nothing is ever queued here.
        inclusionWindowSeconds: 10n,
        genesis,
      })
    ).rollup
  const genesis = preState.stateHeader(preBlockNumber)
  const blobRollup = await deployBenchRollup(genesis)
  const calldataRollup = await deployBenchRollup(genesis)
  const devToken = (
    await deployContractWithReceipt(l1.walletClient, l1.publicClient, {
      abi: devTokenAbi,
      bytecode: devTokenBytecode,
      name: 'DevToken',
      args: ['Bench', 'BNC', 18, ANVIL_DEV_ACCOUNTS.slice(0, 3).map((a) => a.address), parseEther('1000')],
    })
  ).address
  const tm = new TxManager({}, { publicClient: l1.publicClient, account: l1.account, logger: quiet })
  type BlobRun = {
    txs: number
    rows: number
    appendGas: bigint
    dataBlobs: number
    dataBlobGas: bigint
    proposeGas: bigint
    traceBlobs: number
    traceBlobGas: bigint
  }
  const blobRuns: BlobRun[] = []
  const blobSources: { batch: CommittedData; trace: CommittedData; traced: TracedBatch }[] = []
  for (const [i, b] of blobTraced.entries()) {
    const blobs = dataToBlobs(b.data)
    const hashes = blobsToSidecars(blobs).versionedHashes
    const append = await tm.send({
      to: blobRollup,
      data: encodeFunctionData({
        abi: rollupAbi,
        functionName: 'appendBatch',
        // depositCountAfter 0: the bench L1 portal holds no deposits (these batches have no deposit rows).
        args: [b.firstBlock, b.blockCount, 0n, blobs.length],
      }),
      blobs,
      label: 'appendBatch',
    })
    const traceBlobs = dataToBlobs(traceBytes(b.leaves))
    const prop = await tm.send({
      to: blobRollup,
      value: proposalBond,
      data: encodeFunctionData({
        abi: rollupAbi,
        functionName: 'propose',
        args: [BigInt(i), keccak256(concatHex(hashes)), b.end, BigInt(b.rows), traceBlobs.length],
      }),
      blobs: traceBlobs,
      label: 'propose',
    })
    blobRuns.push({
      txs: b.txs,
      rows: b.rows,
      appendGas: append.gasUsed,
      dataBlobs: blobs.length,
      dataBlobGas: append.blobGasUsed,
      proposeGas: prop.gasUsed,
      traceBlobs: traceBlobs.length,
      traceBlobGas: prop.blobGasUsed,
    })
    blobSources.push({
      batch: { isBlob: true, blobs, versionedHashes: hashes },
      trace: {
        isBlob: true,
        blobs: traceBlobs,
        versionedHashes: blobsToSidecars(traceBlobs).versionedHashes,
      },
      traced: b,
    })
  }
  const calldataRuns: {
    txs: number
    rows: number
    appendGas: bigint
    proposeGas: bigint
    traceBytes: number
  }[] = []
  for (const [i, b] of calldataTraced.entries()) {
    const append = await tm.send({
      to: calldataRollup,
      data: encodeFunctionData({
        abi: rollupAbi,
        functionName: 'appendBatchCalldata',
        args: [b.firstBlock, b.blockCount, 0n, toHex(b.data)],
      }),
      label: 'appendBatchCalldata',
    })
    // What the proposer does for a calldata batch: the trace as calldata (checked at once by proposeCalldata).
    const trace = traceBytes(b.leaves)
    const prop = await tm.send({
      to: calldataRollup,
      value: proposalBond,
      data: encodeFunctionData({
        abi: rollupAbi,
        functionName: 'proposeCalldata',
        args: [BigInt(i), keccak256(b.data), b.end, toHex(trace)],
      }),
      label: 'proposeCalldata',
    })
    calldataRuns.push({
      txs: b.txs,
      rows: b.rows,
      appendGas: append.gasUsed,
      proposeGas: prop.gasUsed,
      traceBytes: trace.length,
    })
  }

  // Honest challenges against those proposals (each loses: the evidence shows the proposal right). Whole
  // transactions (21,000 + calldata + execution) on real data: the proof work a challenger pays, on full batches.
  log('   challenging the honest proposals once per kind (they must lose) on the real full-size batches')
  const honestChallenges: { name: string; gas: number }[] = []
  const sendChallenge = async (
    rollup: Address,
    name: string,
    call: { functionName: 'challengeTraceBounds' | 'challengeStepCount' | 'challengeStep'; args: unknown[] },
  ) => {
    try {
      const r = await tm.send({
        to: rollup,
        value: challengeBond,
        data: encodeFunctionData({
          abi: rollupAbi,
          functionName: call.functionName,
          args: call.args,
        } as never),
        abi: rollupAbi,
        label: call.functionName,
      })
      honestChallenges.push({ name, gas: Number(r.gasUsed) })
    } catch (error) {
      honestChallenges.push({
        name: `${name} — NOT MEASURED: ${(error as Error).message.split('\n')[0]}`,
        gas: 0,
      })
    }
  }
  const emptyRange = { commitments: '0x' as Hex, values: [] as Hex[], proofs: '0x' as Hex }
  const tokenRowOf = (data: Uint8Array, rows: number) => {
    for (let r = 0; r < rows; r++) {
      const row = rowAtV3(data, r)
      if (row[0] === ROW_TYPE.tx && ((row[1] as number) & 3) === TX_KIND_CODE.tokenTransfer) return r
    }
    return undefined
  }
  const stepCall = (
    src: { batch: CommittedData; trace: CommittedData; traced: TracedBatch },
    r: number,
  ): { functionName: 'challengeStep'; args: unknown[] } => {
    const t = src.traced
    const st = preState.clone()
    // The batches before this one (a real challenger keeps the pre-state of each batch).
    let blockNumber = preBlockNumber
    for (const earlier of (src.batch.isBlob ? blobTraced : calldataTraced).slice(
      0,
      (src.batch.isBlob ? blobTraced : calldataTraced).indexOf(t),
    ))
      blockNumber = executeBatchV3(st, earlier.data, traceCtx(earlier, blockNumber)).blockNumber
    const prefix = executeBatchV3(st, t.data, { ...traceCtx(t, blockNumber), stopBeforeRow: r })
    const row = t.data.subarray(rowDataOffsetV3(r), rowDataOffsetV3(r + 1))
    const w = buildStepWitness(st, prefix.blockNumber, row, {
      ...traceCtx(t, prefix.blockNumber),
      baseFee: DEFAULT_L2_BASE_FEE,
    })
    return {
      functionName: 'challengeStep',
      args: [
        0n,
        BigInt(r + 1),
        st.stateHeader(prefix.blockNumber),
        dataRangeProof(src.trace, 32 * r, 64),
        dataRangeProof(src.batch, rowDataOffsetV3(r), V3_ROW_BYTES),
        w.encoded,
      ],
    }
  }
  const blobSrc = blobSources[0]
  if (blobSrc?.trace.isBlob && blobSrc.batch.isBlob) {
    const t = blobSrc.traced
    const tr = blobSrc.trace
    const bt = blobSrc.batch
    await sendChallenge(blobRollup, `kind 1 trace length prefix (${tr.blobs.length}-blob trace, 1 opening)`, {
      functionName: 'challengeTraceBounds',
      args: [
        0n,
        0,
        {
          versionedHashes: [...tr.versionedHashes],
          range: rangeProofArgs(openingsForRange(tr.blobs, 0, 4)),
          data: '0x',
        },
      ],
    })
    await sendChallenge(blobRollup, 'kind 1 first leaf (2 openings)', {
      functionName: 'challengeTraceBounds',
      args: [0n, 1, dataRangeProof(tr, 0, 32)],
    })
    await sendChallenge(blobRollup, `kind 1 last leaf (leaf ${t.rows}, 2 openings)`, {
      functionName: 'challengeTraceBounds',
      args: [0n, 2, dataRangeProof(tr, 32 * t.rows, 32)],
    })
    await sendChallenge(blobRollup, `kind 2 step count, ${bt.blobs.length}-blob batch of ${t.rows} rows`, {
      functionName: 'challengeStepCount',
      args: [
        0n,
        t.pre,
        {
          versionedHashes: [...bt.versionedHashes],
          range: rangeProofArgs(openingsForRange(bt.blobs, 0, 31)),
          data: '0x',
        },
        rangeProofArgs(openingsForRange(bt.blobs, rowDataOffsetV3(t.rows - 1) + 4, V3_ROW_BYTES)),
      ],
    })
    const r = tokenRowOf(t.data, t.rows)
    if (r !== undefined)
      await sendChallenge(
        blobRollup,
        `kind 3 step ${r + 1}: token transfer (existing recipient), row from a ${bt.blobs.length}-blob batch (4 openings)`,
        stepCall(blobSrc, r),
      )
  }
  const cdSrcBatch = calldataTraced[0]
  if (cdSrcBatch) {
    const src = {
      batch: { isBlob: false, data: cdSrcBatch.data } as CommittedData,
      trace: { isBlob: false, data: traceBytes(cdSrcBatch.leaves) } as CommittedData,
      traced: cdSrcBatch,
    }
    await sendChallenge(
      calldataRollup,
      `kind 2 step count, calldata batch of ${cdSrcBatch.rows} rows (${cdSrcBatch.data.length} bytes as calldata)`,
      {
        functionName: 'challengeStepCount',
        args: [0n, cdSrcBatch.pre, dataRangeProof(src.batch, 0, 27), emptyRange],
      },
    )
    const r = tokenRowOf(cdSrcBatch.data, cdSrcBatch.rows)
    if (r !== undefined)
      await sendChallenge(
        calldataRollup,
        `kind 3 step ${r + 1}: token transfer (existing recipient), calldata batch + calldata trace (both whole)`,
        stepCall(src, r),
      )
  }
  const survived = await Promise.all(
    [blobRollup, calldataRollup].map(async (rollup) => {
      const p = await l1.publicClient.readContract({
        address: rollup,
        abi: rollupAbi,
        functionName: 'getProposal',
        args: [0n],
      })
      return !p.deleted
    }),
  )
  const honestProposalsSurvived = survived.every(Boolean)

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
      address: devToken,
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
  const sumBig = <T>(xs: T[], f: (x: T) => bigint) => Number(xs.reduce((s, x) => s + f(x), 0n))
  const blobTxs = sumTx(blobRuns)
  const blobExecGasPerTransfer = sumBig(blobRuns, (x) => x.appendGas + x.proposeGas) / blobTxs
  const dataBlobGasPerTransfer = sumBig(blobRuns, (x) => x.dataBlobGas) / blobTxs
  const traceBlobGasPerTransfer = sumBig(blobRuns, (x) => x.traceBlobGas) / blobTxs
  const blobGasPerTransfer = dataBlobGasPerTransfer + traceBlobGasPerTransfer
  const cdTxs = sumTx(calldataRuns)
  const l1GasPerTransferCalldata = sumBig(calldataRuns, (x) => x.appendGas + x.proposeGas) / cdTxs
  const calldataTraceGasPerTransfer = sumBig(calldataRuns, (x) => x.proposeGas) / cdTxs
  const bf = Number(scenario.baseFee)
  const blobF = Number(scenario.blobBaseFee)
  const costBlobWei = blobExecGasPerTransfer * bf + blobGasPerTransfer * blobF
  const costBlobDataOnlyWei = blobExecGasPerTransfer * bf + dataBlobGasPerTransfer * blobF
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

  // ---- F. restarts (run before E: its attack devnets are the slowest part) ----
  const restartArg = String(args.values['restart-batches'] ?? '100,300')
  const restartPoints =
    restartArg === 'none' ? [] : restartArg.split(',').map((x) => num(x.trim(), 'restart-batches') ?? 0)
  let restarts: RestartPoint[] = []
  let restartError: string | undefined
  if (restartPoints.length > 0) {
    log(
      `F. restart: a derivation ready after ${restartPoints.join(' / ')} batches, from a checkpoint vs from L1`,
    )
    try {
      restarts = await restartBench(restartPoints, log, onShutdown)
    } catch (error) {
      restartError = error instanceof Error ? error.message : String(error)
      log(`   restart NOT MEASURED: ${restartError}`)
    }
  }

  // ---- E. fraud proofs ----
  log('E. fraud proofs: gas of each on-chain proof step (forge gas tests, worst cases)')
  let forge: Awaited<ReturnType<typeof forgeGasFigures>> | undefined
  let forgeError: string | undefined
  try {
    forge = await forgeGasFigures(log)
  } catch (error) {
    forgeError = error instanceof Error ? error.message : String(error)
    log(`   forge gas tests NOT MEASURED: ${forgeError}`)
  }
  const steps = forge ? proofStepGas(forge) : undefined
  const faultArg = String(args.values.faults ?? FAULT_KINDS.join(','))
  const kinds = faultArg === 'none' ? [] : faultArg.split(',').map((k) => parseFaultKind(k.trim()))
  let attacks: Awaited<ReturnType<typeof attackMatrix>> | undefined
  let attacksError: string | undefined
  if (kinds.length > 0) {
    log(`   attacks on a devnet (blob batches, max batch age 300 ms, 30 s window): ${kinds.join(', ')}`)
    try {
      // The devnet's own logs (FAULT INJECTION warnings, challenger errors) are silenced: the table says it all.
      attacks = await attackMatrix(kinds, silentLogger, log, onShutdown)
    } catch (error) {
      attacksError = error instanceof Error ? error.message : String(error)
      log(`   attack devnet NOT MEASURED: ${attacksError}`)
    }
  }
  const attackRows = attacks?.rows ?? []
  const measuredAttacks = attackRows.filter((r) => r.ok)
  const maxBy = (xs: typeof attackRows, f: (r: (typeof attackRows)[number]) => number | undefined) =>
    xs.reduce((m, r) => Math.max(m, f(r) ?? 0), 0)

  const round = (x: number, d = 2) => Number(x.toFixed(d))
  const result = {
    machine: { ...machineInfo(), signatureBackend: activeSignatureBackend() },
    workload: { transfers: nTransfers, accounts: nAccounts, tokenShare: 0.3 },
    sequencerTps: Math.round(sequencerTps),
    // B: the provable v3 wire format (what the batcher posts) and the proposer's trace.
    l1BytesPerTransfer: round(v3BytesPerTransfer),
    l1BytesPerTransferWithTrace: round(v3WithTraceBytesPerTransfer),
    traceBytesPerTransfer: round(traceBytesPerTransfer),
    l1BytesPerTransferV1BrotliNotProvable: round(v1BytesPerTransfer),
    bytesTarget: {
      target: 80,
      setFor: 'v1 + brotli (issue 2), before fraud proofs',
      metByProvableFormat: v3WithTraceBytesPerTransfer <= 80,
      why:
        'a v3 tx row is a fixed 124 bytes (4 blob field elements), 65 of them the signature (r, s, yParity) alone; ' +
        'fixed uncompressed rows are what lets a challenge open one row with 4 KZG openings and re-execute it on ' +
        'L1; the proposer adds a 32-byte trace leaf per row',
    },
    // C: gas on the real contracts (v3 batches, real traces).
    blobGasPerTransfer: round(blobGasPerTransfer),
    l1GasPerTransferBlob: round(blobExecGasPerTransfer),
    l1GasPerTransferCalldata: round(l1GasPerTransferCalldata),
    costRatioVsL1EthTransfer: round(costRatioVsL1EthTransfer, 1),
    costRatioVsL1Erc20Transfer: round(costRatioVsL1Erc20Transfer, 1),
    depositLatencySeconds: round(median(depositLatencies), 3),
    softConfirmLatencyMs: round(median(softLatencies), 1),
    restart: {
      note:
        'F: start() + sync() of a derivation (the part of a node restart that grows with the chain): from the ' +
        'deployment (every batch read and executed again) vs from the checkpoint saved before the last 5 batches; ' +
        'calldata batches of one transfer and one withdrawal each, each proposed',
      ...(restartError ? { error: restartError } : {}),
      points: restarts,
    },
    fraudProofs: {
      proofStepGas: steps ?? null,
      proofStepGasSource: forge
        ? `${forge.command} (execution gas of the call as the test sees it: no 21,000, no calldata)`
        : `NOT MEASURED: ${forgeError}`,
      forgeFailures: forge?.failed ?? [],
      honestChallengesOnBenchBatches: {
        note:
          'whole challenge transactions (receipt gas: 21,000 + calldata + execution) against the honest proposals of ' +
          'section C (real full-size batches and traces); each loses, a won challenge also deletes and pays out ' +
          '(the forge figures show ~+50k)',
        challenges: honestChallenges,
        honestProposalsSurvived,
      },
      bonds: {
        ...devnetBondSettings(),
        attackDevnet: attacks?.settings ?? null,
      },
      attacks: {
        devnet:
          'startDevnet: blob batches, batcher maxBatchAgeMs 300 (intervalMs 200), proposer/challenger intervalMs 200, ' +
          'L2 blocks 100 ms, anvil mining a block per transaction, 30 s window; recipient of the transfer a fresh ' +
          'address (the transfer creates an account)',
        secondsToDeletionNote:
          'L1 block timestamps (1 s resolution) of the bad proposal and of the challenge that deleted it: the ' +
          "challenger's reaction (derive, detect, build the proof, get included), on an anvil that mines a block per " +
          'transaction; the window (30 s) bounds it from above. wallSeconds is the whole runAttack (deposit, fault, ' +
          'deletion, honest re-proposal)',
        kindsRun: kinds,
        kindsNotRun: FAULT_KINDS.filter((k) => !kinds.includes(k)),
        ...(attacksError ? { error: attacksError } : {}),
        matrix: attackRows,
        maxChallengeTxGas: maxBy(measuredAttacks, (r) => r.proofGas),
        maxSecondsToDeletion: maxBy(measuredAttacks, (r) => r.secondsToDeletion),
      },
    },
    details: {
      v3: {
        blobBatches: blobBatches.length,
        transfers: v3Txs,
        rows: v3Rows,
        rowsPerTransfer: round(v3Rows / v3Txs, 4),
        dataBytes: v3DataBytes,
        traceBytes: v3TraceBytes,
        v1BrotliBytes: v1Bytes,
        tracesReplayedSeconds: round(replaySeconds, 2),
        replayMatchesSequencerStateRoot: replayMatchesSequencer,
      },
      blobBatches: blobRuns.map((r) => ({
        txs: r.txs,
        rows: r.rows,
        appendBatchGas: Number(r.appendGas),
        dataBlobs: r.dataBlobs,
        dataBlobGas: Number(r.dataBlobGas),
        proposeGas: Number(r.proposeGas),
        traceBlobs: r.traceBlobs,
        traceBlobGas: Number(r.traceBlobGas),
      })),
      calldataBatches: calldataRuns.map((r) => ({
        txs: r.txs,
        rows: r.rows,
        appendBatchCalldataGas: Number(r.appendGas),
        proposeCalldataGas: Number(r.proposeGas),
        traceCalldataBytes: r.traceBytes,
      })),
      blobGasPerTransferData: round(dataBlobGasPerTransfer),
      blobGasPerTransferTrace: round(traceBlobGasPerTransfer),
      calldataModeTraceGasPerTransfer: round(calldataTraceGasPerTransfer),
      proposals:
        'real traces: the v3 data re-executed with executeBatchV3 from the sequencer state before the transfers; the ' +
        "bench Rollup's genesis is that state (the 4,000 setup deposits exist only on L2), so the proposals are " +
        'honest (proposeCalldata checks leaf 0 and the last leaf at once); batches declare depositCountAfter 0 ' +
        '(the bench L1 portal holds no deposits; the batches have no deposit rows)',
      directL1EthTransferGas: Number(ethTx.gasUsed),
      directL1Erc20TransferGas: Number(ercTx.gasUsed),
      scenarioPrices: {
        baseFeeGwei: formatGwei(scenario.baseFee),
        blobBaseFeeGwei: formatGwei(scenario.blobBaseFee),
      },
      livePrices: { baseFeeWei: Number(liveBlock.baseFeePerGas ?? 0n), blobBaseFeeWei: Number(liveBlobFee) },
      costPerTransferWei: {
        blob: Math.round(costBlobWei),
        blobWithoutTrace: Math.round(costBlobDataOnlyWei),
        calldata: Math.round(costCalldataWei),
        directEth: directEthWei,
        directErc20: directErcWei,
      },
      costRatioBlobWithoutTraceVsL1Erc20Transfer: round(directErcWei / costBlobDataOnlyWei, 1),
      costRatioCalldataVsL1Erc20Transfer: round(directErcWei / costCalldataWei, 1),
      costRatioCalldataVsL1EthTransfer: round(directEthWei / costCalldataWei, 1),
      depositLatenciesSeconds: depositLatencies.map((x) => round(x, 3)),
      signSeconds: round(signSeconds),
      blobsPerFullBatch: blobCountForData(blobBatches[0]?.data.length ?? 0),
    },
  }
  writeResult(out, result)

  const g = (x: number | null | undefined) =>
    x === null || x === undefined ? 'n/a' : x.toLocaleString('en-US')
  type Row = [string, string, string]
  const section = (title: string): Row => [`— ${title}`, '', '']
  const k = steps?.kind3Step
  const rows: Row[] = [
    section('A. sequencer'),
    ['sequencer transfers/s (decode+recover+execute+durable)', String(result.sequencerTps), '≥ 10,000'],
    section('B. L1 bytes per transfer'),
    [
      'v3 batch data (provable, uncompressed 124-byte rows)',
      String(result.l1BytesPerTransfer),
      '≤ 80: NOT MET',
    ],
    ['  + proposer trace (32 bytes per row, own blob)', String(result.traceBytesPerTransfer), ''],
    ['v3 data + trace (what L1 carries)', String(result.l1BytesPerTransferWithTrace), '≤ 80: NOT MET'],
    [
      'v1 + brotli, for comparison (NOT provable)',
      String(result.l1BytesPerTransferV1BrotliNotProvable),
      '≤ 80 (set for it)',
    ],
    section('C. L1 gas per transfer (v3 batches + proposals with real traces)'),
    ['blob gas per transfer (data + trace blobs)', String(result.blobGasPerTransfer), ''],
    ['  of which the trace blob', String(result.details.blobGasPerTransferTrace), ''],
    ['L1 exec gas per transfer, blob mode (append + propose)', String(result.l1GasPerTransferBlob), ''],
    [
      'L1 gas per transfer, calldata mode (append + proposeCalldata)',
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
    section('D. latencies'),
    ['deposit → L2 latency (median of 5), s', String(result.depositLatencySeconds), ''],
    ['soft confirmation latency (median of 30), ms', String(result.softConfirmLatencyMs), ''],
    section('F. restart: derivation ready (start + catch up with L1), s'),
    ...restarts.map(
      (r): Row => [
        `${r.batches} batches: from the deployment / from the checkpoint (5 batches behind)`,
        `${r.fromDeploymentSeconds} / ${r.fromCheckpointSeconds}`,
        'seconds, flat',
      ],
    ),
    section('E. fraud proofs: gas per proof step, worst case (forge, execution gas of the call)'),
    [
      'kind 1 trace bounds: length prefix, 1 opening (lost)',
      g(steps?.kind1TraceBounds.lengthPrefix1OpeningLost),
      '',
    ],
    ['kind 1 trace bounds: last leaf, 2 openings (won)', g(steps?.kind1TraceBounds.lastLeaf2OpeningsWon), ''],
    [
      'kind 2 step count: 2-blob batch, 5 openings (won)',
      g(steps?.kind2StepCount.blobBatch2Blobs5OpeningsWon),
      '',
    ],
    [
      'kind 3 step: token transfer to a new account, all from blobs, 7 openings (won)',
      g(k?.tokenTransferNewAccountAllBlob7OpeningsWon),
      'worst case',
    ],
    [
      'kind 3 step: token transfer to a new account, all from blobs (lost)',
      g(k?.tokenTransferNewAccountAllBlob7OpeningsLost),
      '',
    ],
    [
      'kind 3 step: ETH transfer to a new account, calldata row (won)',
      g(k?.ethTransferNewAccountCalldataRowWon),
      '',
    ],
    ['kind 3 step: deposit creating an account (lost)', g(k?.depositNewAccountLost), ''],
    ['kind 3 step: ETH withdrawal (lost)', g(k?.ethWithdrawalLost), ''],
    ['kind 3 step: block end (lost)', g(k?.blockEndLost), ''],
    ['kind 3 step: deposit row from a blob, 4 openings (lost)', g(k?.depositRowFromBlob4OpeningsLost), ''],
    [
      'kind 2 win with 0 / 100 / 3,300 proposals stacked on the wrong root',
      `${g(steps?.stackedProposals.nothingStacked)} / ${g(steps?.stackedProposals.hundredStacked)} / ${g(steps?.stackedProposals.stacked3300)}`,
      'same gas',
    ],
    [
      'largest possible challenge calldata: challengeStep / challengeStepCount, bytes',
      `${g(steps?.largestChallengeCalldataBytes.challengeStep)} / ${g(steps?.largestChallengeCalldataBytes.challengeStepCount)}`,
      '≤ 131,072',
    ],
    section('E. honest challenges on the bench batches (whole tx gas, each lost)'),
    ...honestChallenges.map((c): Row => [c.name, g(c.gas || null), '']),
    section('E. bonds and window'),
    [
      'default devnet: window s / proposal bond / challenge bond',
      `${result.fraudProofs.bonds.defaultDevnet.challengeWindowSeconds} / ${result.fraudProofs.bonds.defaultDevnet.proposalBondEth} / ${result.fraudProofs.bonds.defaultDevnet.challengeBondEth} ETH`,
      '',
    ],
    [
      'on a win: challenger gets (bond back + half) / burnt',
      `${result.fraudProofs.bonds.onWinChallengerReceivesEth} / ${result.fraudProofs.bonds.onWinBurntEth} ETH`,
      '',
    ],
    section(
      `E. attacks on a devnet (30 s window): challenge kind, step, whole challenge tx gas, s from proposal to deletion`,
    ),
    ...attackRows.map(
      (r): Row =>
        r.ok
          ? [
              r.fault,
              `${r.challengeKind} #${r.challengeStep}, ${g(r.proofGas)} gas, ${r.secondsToDeletion} s`,
              r.bondSlashed && r.withdrawalAgainstBadRootRejected ? 'slashed, withdrawal refused' : 'CHECK',
            ]
          : [r.fault, 'NOT MEASURED', r.error ?? 'not caught'],
    ),
    ...(kinds.length < FAULT_KINDS.length
      ? [[`not run: ${FAULT_KINDS.filter((x) => !kinds.includes(x)).join(', ')}`, '', ''] as Row]
      : []),
  ]
  const isSection = (r: Row) => r[0].startsWith('— ')
  const w = Math.max(...rows.filter((r) => !isSection(r)).map((r) => r[0].length))
  const vw = Math.max(10, ...rows.map((r) => r[1].length))
  process.stdout.write(
    [
      `l2kit optimistic rollup benchmark — ${result.machine.cpu}, ${result.machine.cores} cores, node ${result.machine.node}`,
      `scenario prices: execution ${result.details.scenarioPrices.baseFeeGwei} gwei, blob ${result.details.scenarioPrices.blobBaseFeeGwei} gwei (live anvil: ${result.details.livePrices.baseFeeWei} wei, blob ${result.details.livePrices.blobBaseFeeWei} wei)`,
      '',
      `${'metric'.padEnd(w)}  ${'measured'.padStart(vw)}  target`,
      ...rows.map(([key, v, t]) =>
        isSection([key, v, t]) ? key : `${key.padEnd(w)}  ${v.padStart(vw)}  ${t}`.trimEnd(),
      ),
      '',
      `The ≤ 80-byte target (issue 2) was set for v1 + brotli, which cannot be proven row by row. The provable v3`,
      `format does not meet it: a tx row is a fixed 124 bytes, 65 of them the signature alone, and the rows stay fixed`,
      `and uncompressed because that is what lets a challenge open one row with 4 KZG openings; the trace adds 32`,
      `bytes per row. Blob gas is paid per whole blob, so the per-transfer blob gas above includes unused blob space.`,
      '',
      `written to ${out}`,
      '',
    ].join('\n'),
  )
}
