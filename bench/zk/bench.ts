/**
 * `l2kit bench --family zk`: measures the ZK rollup (docs/zk.md) on this machine and writes bench/results/zk.json.
 * Figures, not assertions. Everything runs for real: the block circuit compiled by circom2, its Groth16 setup, the
 * L1 contracts on anvil, the node's own sequencer, prover workers and committer.
 *  A. circuit: compile the bench circuit (N chunks, depth D) and a second size at the same depth; constraints per
 *     transfer = the per-chunk slope of the two r1cs constraint counts
 *  B. Groth16 setup of the bench circuit (the INSECURE development setup; cached across runs)
 *  C. L1: anvil, the rollup deployed with the setup's verification key, one deposit (with an L2 key) per user; a
 *     direct L1 ERC-20 transfer of the DevToken measured for the cost ratio (as the optimistic bench does)
 *  D. sequencer: signed transfers soft-confirmed through `ZkSequencer.submit` (EdDSA-Poseidon verification,
 *     state update, durable pending log, sealing of full blocks) on a copy of the deposits
 *  E. proving: the deposit block as a warm-up, then `blocks` full transfer blocks with 1 prover worker and `blocks`
 *     more with 2 (real worker processes, `ZkProver`); seconds per proof and proven transfers per second
 *  F. L1 gas: the committer (`ZkCommitter`) commits and verifies every proven block on anvil — the deposit block
 *     alone (1 proof per verifyBlocks), then the transfer blocks k per commitBlocks and k proofs per verifyBlocks
 *  G. withdrawal latency: a node (`ZkNode`) restarted on the same store; a signed withdrawal → sealed → proven →
 *     committed and verified on L1 → pending balance credited → paid on L1
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type Address,
  createPublicClient,
  createWalletClient,
  erc20Abi,
  formatGwei,
  type Hex,
  http,
  parseEther,
  parseGwei,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import type { FlagSpec, ParsedArgs } from '../../src/cli/args.ts'
import { num } from '../../src/cli/args.ts'
import { devTokenAbi, devTokenBytecode, zkRollupAbi } from '../../src/generated/contracts.ts'
import { ANVIL_DEV_ACCOUNTS, startAnvil } from '../../src/l1/anvil.ts'
import { createL1Clients } from '../../src/l1/clients.ts'
import { deployContractWithReceipt } from '../../src/l1/deploy.ts'
import type { Logger } from '../../src/node/logger.ts'
import { openStore } from '../../src/node/store.ts'
import { depositZk, getZkTransaction, withdrawPendingBalance, withdrawZk } from '../../src/sdk/zk/index.ts'
import { type CompiledCircuit, compileBlockCircuit } from '../../src/zk/circuit.ts'
import { deployZkRollup } from '../../src/zk/l1/deploy.ts'
import { ZkCommitter, ZkRequestFollower } from '../../src/zk/l1sync.ts'
import { ZkNode } from '../../src/zk/node.ts'
import { loadZkCrypto, zkVerify } from '../../src/zk/protocol/crypto.ts'
import { addressToHex, OpType, signedMessage } from '../../src/zk/protocol/ops.ts'
import type { SignedZkTx } from '../../src/zk/protocol/state.ts'
import { ZkProver } from '../../src/zk/prover.ts'
import { ZkSequencer } from '../../src/zk/sequencer.ts'
import { defaultZkCacheDir, ensureGroth16Setup, type Groth16Setup } from '../../src/zk/setup/setup.ts'
import { ZkStore } from '../../src/zk/store.ts'
import { signTx, type TestUser, testUser } from '../../src/zk/testing/fixtures.ts'
import { machineInfo, writeResult } from '../harness.ts'

export const benchFlags: FlagSpec = {
  chunks: {
    type: 'string',
    description:
      'chunks per block N (= transfers per proof; 48 is the largest circom2 compiles within its 4 GiB WASM memory at depth 16)',
    default: '48',
  },
  depth: { type: 'string', description: 'account tree depth D', default: '16' },
  blocks: {
    type: 'string',
    description: 'full transfer blocks proven with 1 prover worker, and as many again with 2',
    default: '8',
  },
  'verify-batch': {
    type: 'string',
    description: 'k: blocks per commitBlocks and proofs per verifyBlocks transaction',
    default: '16',
  },
  transfers: {
    type: 'string',
    description: 'signed transfers soft-confirmed for the sequencer throughput',
    default: '2048',
  },
  'slope-chunks': {
    type: 'string',
    description:
      'second circuit size (chunks, same depth) for the constraints-per-transfer slope (default: N/4, at least 3; N+1 below 6)',
  },
  'block-time-ms': {
    type: 'string',
    description: "the withdrawal node's block time (a partial block is sealed this often)",
    default: '1000',
  },
  'base-fee-gwei': {
    type: 'string',
    description: 'scenario L1 execution base fee (gwei) for the cost ratio',
    default: '1',
  },
  'blob-fee-gwei': {
    type: 'string',
    description: 'scenario L1 blob base fee (gwei; the ZK rollup posts calldata, so unused but recorded)',
    default: '1',
  },
  'cache-dir': {
    type: 'string',
    description: 'where circuits and setups are cached (default $L2KIT_ZK_CACHE or ~/.cache/l2kit/zk)',
  },
  out: { type: 'string', description: 'result file', default: 'bench/results/zk.json' },
}

/** Published figures the results are set against (per transfer unless said). */
export const ZK_ANCHORS = {
  pubdataBytesPerTransfer: { hermez: 11, hubble: 12, zkSyncLite: 20, loopring: 22 },
  groth16VerifyGas: 222_000,
  zkSyncLiteMaxTps: 2_000,
  notes:
    'Hermez ~11 B, Hubble 12 B (BLS aggregate signatures), zkSync Lite 20 B, Loopring 22 B per transfer on L1; ' +
    'a standalone Groth16 verification ~222k gas (EIP-1108 pairings); zkSync Lite quotes up to ~2,000 TPS',
} as const

const TARGETS = {
  pubdataBytesPerTransfer: 10,
  transfersPerProof: 32,
  l1GasPerTransfer: 2_000,
  /** the withdrawal may take one proof, the block time and this much more (L1 transactions, polling) */
  withdrawalSlackSeconds: 10,
}

const DEPOSIT_ETH = parseEther('1')
/** L2 units (gwei) per transfer: small and packable */
const TRANSFER_UNITS = 1_000n
const WITHDRAW_UNITS = 100_000_000n // 0.1 ETH

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const round = (x: number, d = 2) => Number(x.toFixed(d))

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  if (s.length === 0) return Number.NaN
  const m = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2
}

/** EIP-2028 calldata gas of bytes (16 per non-zero byte, 4 per zero byte). */
function calldataGas(bytes: Uint8Array): number {
  let g = 0
  for (const b of bytes) g += b === 0 ? 4 : 16
  return g
}

function int(args: ParsedArgs, name: string, fallback: number, min: number, max: number): number {
  const v = num(args.values[name], name) ?? fallback
  if (!Number.isInteger(v) || v < min || v > max)
    throw new Error(`--${name} must be an integer in ${min}..${max}, got ${v}`)
  return v
}

/** Setup progress: a line per stage and per ~20 % of a stage (as the devnet prints it). */
function setupProgress(log: (s: string) => void) {
  let stage = ''
  let shown = -1
  let startedStage = performance.now()
  return (p: { stage: string; done: number; total: number }) => {
    const pct = p.total > 0 ? Math.floor((p.done / p.total) * 5) * 20 : 0
    if (p.stage !== stage) {
      stage = p.stage
      shown = -1
      startedStage = performance.now()
    }
    if (pct > shown) {
      shown = pct
      log(`   setup: ${p.stage} ${pct}% (${((performance.now() - startedStage) / 1000).toFixed(0)} s)`)
    }
  }
}

/** Signed transfers: user i sends to user i+1 round robin, each sender's nonces in order. */
function signTransfers(users: readonly TestUser[], count: number, nonces: number[]): SignedZkTx[] {
  const txs: SignedZkTx[] = []
  for (let i = 0; i < count; i++) {
    const from = i % users.length
    const to = (from + 1) % users.length
    const nonce = nonces[from] ?? 0
    nonces[from] = nonce + 1
    txs.push(
      signTx(users[from] as TestUser, {
        type: OpType.transfer,
        from,
        to,
        token: 0,
        amount: TRANSFER_UNITS,
        nonce,
      }),
    )
  }
  return txs
}

/** Waits until every block in `blocks` has a stored proof; throws if a job ran out of attempts. */
async function waitForProofs(
  store: ZkStore,
  blocks: readonly number[],
  what: string,
  log: (s: string) => void,
  maxAttempts: number,
): Promise<void> {
  const started = performance.now()
  let reported = started
  for (;;) {
    const done = blocks.filter((b) => store.proofs.has(b)).length
    if (done === blocks.length) return
    for (const b of blocks) {
      const job = store.jobs.get(b)
      if (job !== undefined && job.status === 'queued' && job.attempts >= maxAttempts)
        throw new Error(`block ${b} failed to prove ${job.attempts} times (see the prover's log)`)
    }
    if (performance.now() - reported > 30_000) {
      reported = performance.now()
      log(`   … ${what}: ${done}/${blocks.length} proven after ${((reported - started) / 1000).toFixed(0)} s`)
    }
    await sleep(100)
  }
}

export async function runBench(
  args: ParsedArgs,
  logger: Logger,
  onShutdown: (fn: () => Promise<void>) => void,
): Promise<void> {
  const chunks = int(args, 'chunks', 32, 3, 256)
  const depth = int(args, 'depth', 16, 1, 16)
  const blocksPerPhase = int(args, 'blocks', 4, 1, 64)
  const k = int(args, 'verify-batch', 8, 1, 64)
  const tpsTransfers = int(args, 'transfers', 2048, 1, 1_000_000)
  const blockTimeMs = int(args, 'block-time-ms', 1000, 10, 3_600_000)
  const slopeDefault = chunks >= 6 ? Math.max(3, Math.floor(chunks / 4)) : chunks + 1
  const slopeChunks = int(args, 'slope-chunks', slopeDefault, 3, 256)
  if (slopeChunks === chunks) throw new Error('--slope-chunks must differ from --chunks')
  const scenario = {
    baseFee: parseGwei(String(args.values['base-fee-gwei'] ?? '1')),
    blobBaseFee: parseGwei(String(args.values['blob-fee-gwei'] ?? '1')),
  }
  const cacheDir =
    typeof args.values['cache-dir'] === 'string' && args.values['cache-dir'] !== ''
      ? args.values['cache-dir']
      : defaultZkCacheDir()
  const out = String(args.values.out ?? 'bench/results/zk.json')
  const started = performance.now()
  const loadBefore = loadavg()
  const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)} s`
  const log = (s: string) => process.stderr.write(`» ${s}\n`)
  const quiet = logger.child({ component: 'bench' })
  const durations: Record<string, number> = {}
  const timed = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const t = performance.now()
    try {
      return await f()
    } finally {
      durations[name] = round((performance.now() - t) / 1000, 1)
    }
  }
  const tmpDirs: string[] = []
  const tmp = (prefix: string) => {
    const d = mkdtempSync(join(tmpdir(), prefix))
    tmpDirs.push(d)
    return d
  }
  const cleanups: (() => Promise<void>)[] = []
  /** Runs at the end (reverse order) or on shutdown, whichever comes first, and only once. */
  const cleanup = (fn: () => Promise<void>): (() => Promise<void>) => {
    let run: Promise<void> | undefined
    const once = () => {
      run ??= fn()
      return run
    }
    cleanups.push(once)
    onShutdown(once)
    return once
  }
  cleanup(async () => {
    for (const d of tmpDirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })
  await loadZkCrypto()
  log(
    `zk bench: N = ${chunks} chunks per block, D = ${depth}, ${blocksPerPhase} + ${blocksPerPhase} proven transfer blocks (1 then 2 prover workers), k = ${k}; cache ${cacheDir}`,
  )

  try {
    // ---- A. circuit ----
    const compile = async (n: number): Promise<CompiledCircuit> => {
      const t = performance.now()
      const c = await compileBlockCircuit(
        { chunks: n, depth },
        { cacheDir, onProgress: (line) => log(`   ${line}`) },
      )
      log(
        `   ${n} chunks × depth ${depth}: ${c.constraints.toLocaleString('en-US')} constraints${c.cached ? ` (cached; compiled in ${c.compileSeconds.toFixed(0)} s)` : ` compiled in ${((performance.now() - t) / 1000).toFixed(0)} s`}`,
      )
      return c
    }
    log(
      `A. compiling the block circuit (${chunks} chunks, depth ${depth}; 13 min and 4.2 GB at N = 48, D = 16 unless cached)`,
    )
    const circuit = await timed('compile', () => compile(chunks))
    log(`   and ${slopeChunks} chunks at the same depth for the per-chunk slope`)
    const slopeCircuit = await timed('compileSlope', () => compile(slopeChunks))
    const constraintsPerTransfer = (circuit.constraints - slopeCircuit.constraints) / (chunks - slopeChunks)

    // ---- B. setup ----
    log(
      `B. Groth16 setup (INSECURE development setup; ptau + zkey, cached after the first run) — ${elapsed()} so far`,
    )
    const ptauDir = join(cacheDir, 'ptau')
    const ptauFilesBefore = new Set(existsSync(ptauDir) ? readdirSync(ptauDir) : [])
    const setup: Groth16Setup = await timed('setup', () =>
      ensureGroth16Setup({
        r1csPath: circuit.r1csPath,
        cacheDir,
        logger: quiet,
        onProgress: setupProgress(log),
      }),
    )
    const ptauMeta =
      setup.ptauSource.kind === 'dev' && existsSync(`${setup.ptauSource.path}.json`)
        ? (JSON.parse(readFileSync(`${setup.ptauSource.path}.json`, 'utf8')) as { seconds?: number })
        : {}
    const ptauFile = setup.ptauSource.path.split('/').pop() ?? ''
    const ptauBuiltThisRun = !setup.cached && !ptauFilesBefore.has(ptauFile)
    log(
      `   2^${setup.power}: ${setup.cached ? 'cached' : 'made'} (built in ${setup.builtSeconds.toFixed(0)} s${ptauMeta.seconds !== undefined ? `; the ptau alone took ${ptauMeta.seconds.toFixed(0)} s` : ''})${setup.insecure ? ' — INSECURE development setup: known toxic waste, anyone can forge proofs' : ''}`,
    )

    // ---- C. L1 ----
    log(`C. anvil: deploying the verifier and the rollup; ${chunks} deposits with L2 keys — ${elapsed()}`)
    const anvil = await startAnvil({})
    cleanup(() => anvil.stop())
    const deployerKey = (ANVIL_DEV_ACCOUNTS[0] as { privateKey: Hex }).privateKey
    const operatorKey = (ANVIL_DEV_ACCOUNTS[9] as { privateKey: Hex }).privateKey
    const deployer = await createL1Clients({ rpcUrl: anvil.rpcUrl, privateKey: deployerKey })
    const operator = await createL1Clients({ rpcUrl: anvil.rpcUrl, privateKey: operatorKey })
    const deployment = await deployZkRollup({
      walletClient: deployer.walletClient,
      publicClient: deployer.publicClient,
      verificationKey: setup.verificationKey as never,
      depth,
      chunks,
      priorityDeadlineSeconds: 7 * 24 * 3600,
      operator: operator.account.address,
      governor: deployer.account.address,
    })
    const rollup = deployment.rollup
    const users = Array.from({ length: chunks }, (_, i) => testUser(`bench ${i}`))
    for (const u of users) {
      await depositZk({
        l1: deployer,
        rollup,
        token: 'ETH',
        amount: DEPOSIT_ETH,
        owner: addressToHex(u.address) as Address,
        pkHash: u.pkHash,
      })
    }
    // A direct L1 ERC-20 transfer for comparison (measured as the optimistic bench does: the DevToken, minted to
    // three dev accounts, account 1 → account 2).
    const devToken = (
      await deployContractWithReceipt(deployer.walletClient, deployer.publicClient, {
        abi: devTokenAbi,
        bytecode: devTokenBytecode,
        name: 'DevToken',
        args: ['Bench', 'BNC', 18, ANVIL_DEV_ACCOUNTS.slice(0, 3).map((a) => a.address), parseEther('1000')],
      })
    ).address
    const erc20User = createWalletClient({
      account: privateKeyToAccount(ANVIL_DEV_ACCOUNTS[1]?.privateKey as Hex),
      chain: deployer.publicClient.chain,
      transport: http(anvil.rpcUrl),
    })
    const ercTx = await deployer.publicClient.waitForTransactionReceipt({
      hash: await erc20User.writeContract({
        address: devToken,
        abi: erc20Abi,
        functionName: 'transfer',
        args: [ANVIL_DEV_ACCOUNTS[2]?.address as Address, 10n ** 18n],
      }),
    })
    const directErc20Gas = Number(ercTx.gasUsed)

    const l1Modules = (store: ZkStore) => ({
      store,
      publicClient: operator.publicClient,
      rollup,
      logger: quiet,
    })

    // ---- D. sequencer throughput (its own store: the pipeline's blocks below stay exactly full) ----
    const tpsCount = Math.ceil(tpsTransfers / chunks) * chunks
    log(
      `D. sequencer: signing ${tpsCount} transfers (EdDSA-Poseidon over BabyJubjub) and soft-confirming them through ZkSequencer.submit — ${elapsed()}`,
    )
    const tpsStore = new ZkStore(await openStore({ path: tmp('l2kit-zkbench-tps-') }))
    cleanup(() => tpsStore.store.close())
    await new ZkRequestFollower({ fromBlock: deployment.deployBlock }, l1Modules(tpsStore)).poll()
    const tpsSeq = new ZkSequencer(
      { chunks, depth, blockTimeMs: 3_600_000, maxPending: tpsCount + chunks },
      { store: tpsStore, logger: quiet },
    )
    await tpsSeq.start()
    await tpsSeq.tick()
    const tpsFirstBlock = tpsSeq.sealedBlockCount() + 1
    let t = performance.now()
    const tpsTxs = signTransfers(users, tpsCount, [])
    const signSeconds = (performance.now() - t) / 1000
    // EdDSA verification timed alone, per signature, just before and just after the submissions (the median of
    // both samples: the shared cores make single timings noisy).
    const verifySample = tpsTxs.slice(0, Math.min(50, tpsTxs.length))
    const verifyTimings: number[] = []
    const timeVerifications = () => {
      for (const tx of verifySample) {
        const v = performance.now()
        if (!zkVerify(signedMessage(tx), tx.signature, tx.pubKey))
          throw new Error('a bench signature is invalid')
        verifyTimings.push(performance.now() - v)
      }
    }
    timeVerifications()
    log(
      `   signed in ${signSeconds.toFixed(1)} s (${((signSeconds * 1000) / tpsCount).toFixed(1)} ms each); one EdDSA verification: ${median(verifyTimings).toFixed(1)} ms`,
    )
    const inflight = new Set<Promise<unknown>>()
    let rejected = 0
    t = performance.now()
    for (const tx of tpsTxs) {
      const p = tpsSeq.submit(tx).catch(() => {
        rejected++
      })
      inflight.add(p)
      void p.finally(() => inflight.delete(p))
      if (inflight.size >= 256) await Promise.race(inflight)
    }
    await Promise.all(inflight)
    const acceptSeconds = (performance.now() - t) / 1000
    const sequencerTps = (tpsCount - rejected) / acceptSeconds
    timeVerifications()
    const eddsaVerifyMs = median(verifyTimings)
    t = performance.now()
    await tpsSeq.tick()
    const tpsSealTailSeconds = (performance.now() - t) / 1000
    const tpsBlocks: { transfers: number }[] = []
    for (let n = tpsFirstBlock; n <= tpsSeq.sealedBlockCount(); n++)
      tpsBlocks.push({ transfers: tpsStore.blocks.get(n)?.txHashes.length ?? 0 })
    await tpsSeq.stop()
    log(
      `   ${tpsCount - rejected} soft-confirmed, ${rejected} rejected in ${acceptSeconds.toFixed(1)} s → ${sequencerTps.toFixed(1)} transfers/s (one submission ${(1000 / sequencerTps).toFixed(1)} ms; one EdDSA verification alone ${eddsaVerifyMs.toFixed(1)} ms); ${tpsBlocks.length} blocks sealed`,
    )

    // ---- E. proving ----
    const pipelineTransfers = 2 * blocksPerPhase * chunks
    log(
      `E. proving: sealing the deposit block and ${2 * blocksPerPhase} full transfer blocks (${pipelineTransfers} signed transfers) — ${elapsed()}`,
    )
    const nodeDir = tmp('l2kit-zkbench-node-')
    const store = new ZkStore(await openStore({ path: nodeDir }))
    const closeStore = cleanup(() => store.store.close())
    await new ZkRequestFollower({ fromBlock: deployment.deployBlock }, l1Modules(store)).poll()
    const seq = new ZkSequencer({ chunks, depth, blockTimeMs: 3_600_000 }, { store, logger: quiet })
    await seq.start()
    await seq.tick()
    if (seq.sealedBlockCount() !== 1)
      throw new Error(`expected 1 deposit block, got ${seq.sealedBlockCount()}`)
    const pipelineTxs = signTransfers(users, pipelineTransfers, [])
    // Whole blocks at a time, so every block is full (eager sealing never sees a partial block).
    for (let i = 0; i < pipelineTxs.length; i += chunks) {
      await Promise.all(pipelineTxs.slice(i, i + chunks).map((tx) => seq.submit(tx)))
      await seq.tick()
    }
    await seq.stop()
    const sealedCount = store.sealedCount()
    if (sealedCount !== 1 + 2 * blocksPerPhase)
      throw new Error(`expected ${1 + 2 * blocksPerPhase} sealed blocks, got ${sealedCount}`)
    const transferBlocks = Array.from({ length: 2 * blocksPerPhase }, (_, i) => i + 2)
    let pubdataBytes = 0
    let pubdataTransfers = 0
    let pubdataCalldataGas = 0
    for (const n of transferBlocks) {
      const b = store.blocks.get(n)
      if (b === undefined) throw new Error(`block ${n} is missing`)
      pubdataBytes += b.pubdata.length
      pubdataTransfers += b.txHashes.length
      pubdataCalldataGas += calldataGas(b.pubdata)
    }
    const pubdataBytesPerTransfer = pubdataBytes / pubdataTransfers
    // Jobs of the transfer blocks wait aside: each phase gets its own.
    for (const n of transferBlocks) await store.jobs.remove(n)
    const requeue = async (ns: number[]) => {
      await store.store.transaction(() => {
        for (const n of ns) void store.jobs.put(n, { block: n, status: 'queued', attempts: 0 })
      })
    }
    const proverModules = {
      store,
      wasmPath: circuit.wasmPath,
      zkeyPath: setup.zkeyPath,
      verificationKey: setup.verificationKey,
      logger: quiet,
    }
    const maxAttempts = 3
    const phase = async (workers: number, blocks: number[], warmup: boolean) => {
      const prover = new ZkProver({ workers, pollMs: 50, maxAttempts }, proverModules)
      const stop = cleanup(() => prover.stop())
      await prover.start()
      try {
        if (warmup) {
          log(`   warm-up: the deposit block (1 worker; the first proof also loads the circuit files)`)
          await waitForProofs(store, [1], 'warm-up', log, maxAttempts)
          log(`   warm-up proof: ${store.proofs.get(1)?.seconds.toFixed(1)} s — ${elapsed()}`)
        }
        log(`   ${blocks.length} transfer blocks with ${workers} worker${workers > 1 ? 's' : ''}`)
        const t0 = Date.now()
        await requeue(blocks)
        await waitForProofs(store, blocks, `${workers} worker(s)`, log, maxAttempts)
        const proofs = blocks.map((n) => store.proofs.get(n))
        const wall = (Math.max(...proofs.map((p) => p?.provedAt ?? Date.now())) - t0) / 1000
        const seconds = proofs.map((p) => p?.seconds ?? Number.NaN)
        const tps = (blocks.length * chunks) / wall
        log(
          `   ${workers} worker(s): ${blocks.length} proofs in ${wall.toFixed(1)} s (each ${seconds.map((s) => s.toFixed(1)).join(', ')} s) → ${tps.toFixed(2)} proven transfers/s — ${elapsed()}`,
        )
        return { workers, blocks: blocks.length, wallSeconds: wall, proofSeconds: seconds, tps }
      } finally {
        await stop()
      }
    }
    const one = await timed('prove1', () => phase(1, transferBlocks.slice(0, blocksPerPhase), true))
    const two = await timed('prove2', () => phase(2, transferBlocks.slice(blocksPerPhase), false))
    const proofSeconds = median(one.proofSeconds)
    const warmupProofSeconds = store.proofs.get(1)?.seconds ?? Number.NaN

    // ---- F. L1 gas ----
    log(
      `F. L1: committing and verifying the deposit block alone, then ${2 * blocksPerPhase} transfer blocks ${k} per transaction — ${elapsed()}`,
    )
    const committerModules = { ...l1Modules(store), walletClient: operator.walletClient }
    const request = operator.publicClient.request as unknown as (a: {
      method: string
      params?: unknown[]
    }) => Promise<unknown>
    // the same blocks and proofs go to L1 twice, from the same L1 state: separate commit + verify transactions,
    // then (after reverting to the snapshot) the combined commitAndVerifyBlocks
    const snapshot = await request({ method: 'evm_snapshot' })
    const runCommitter = async (mode: 'separate' | 'combined') => {
      const single = new ZkCommitter({ mode, maxCommitBlocks: 1, maxVerifyBlocks: 1 }, committerModules)
      await single.step()
      const batched = new ZkCommitter({ mode, maxCommitBlocks: k, maxVerifyBlocks: k }, committerModules)
      for (let i = 0; i < 2 * transferBlocks.length + 4; i++) {
        const s = batched.l1Status()
        if (s.verified >= sealedCount && s.committed >= sealedCount) break
        await batched.step()
      }
      const verifiedOnL1 = Number(
        await operator.publicClient.readContract({
          address: rollup,
          abi: zkRollupAbi,
          functionName: 'totalBlocksVerified',
        }),
      )
      if (verifiedOnL1 !== sealedCount)
        throw new Error(`${mode}: only ${verifiedOnL1} of ${sealedCount} blocks were verified on L1`)
      return { single, batched }
    }
    const { single, batched } = await runCommitter('separate')
    await request({ method: 'evm_revert', params: [snapshot] })
    const combinedRun = await runCommitter('combined')
    const combinedCalls = combinedRun.batched.gas.combined
    const combinedGas = combinedCalls.reduce((t, x) => t + Number(x.gas), 0)
    const combinedBlocks = combinedCalls.reduce((t, x) => t + x.blocks, 0)
    const combinedSingle = combinedRun.single.gas.combined[0]
    if (combinedBlocks !== transferBlocks.length || combinedSingle === undefined)
      throw new Error(
        `combined: ${combinedBlocks} of ${transferBlocks.length} transfer blocks in commitAndVerifyBlocks`,
      )
    const singleCommit = single.gas.commit[0]
    const singleVerify = single.gas.verify[0]
    if (singleCommit === undefined || singleVerify === undefined || singleVerify.blocks !== 1)
      throw new Error('the deposit block was not committed and verified on its own')
    const commitGas = batched.gas.commit.reduce((s, x) => s + Number(x.gas), 0)
    const verifyGas = batched.gas.verify.reduce((s, x) => s + Number(x.gas), 0)
    const verifiedByBatched = batched.gas.verify.reduce((s, x) => s + x.blocks, 0)
    const fullCalls = batched.gas.verify.filter((x) => x.blocks === k)
    const perCallK = fullCalls.length > 0 ? median(fullCalls.map((x) => Number(x.gas))) : Number.NaN
    const commitPerTransfer = commitGas / pubdataTransfers
    const verifyPerTransfer = verifyGas / pubdataTransfers
    const separatePerTransfer = commitPerTransfer + verifyPerTransfer
    const combinedPerTransfer = combinedGas / pubdataTransfers
    // the headline is the committer's cheaper mode (combined: one transaction and one storage slot per batch)
    const l1GasPerTransfer = Math.min(separatePerTransfer, combinedPerTransfer)
    const verifyPerProof = verifyGas / verifiedByBatched
    const marginalPerProof =
      fullCalls.length > 0 && k > 1 ? (perCallK - Number(singleVerify.gas)) / (k - 1) : Number.NaN
    const bf = Number(scenario.baseFee)
    const costPerTransferWei = l1GasPerTransfer * bf
    const directErc20Wei = directErc20Gas * bf
    const costRatioVsL1Erc20Transfer = directErc20Wei / costPerTransferWei
    log(
      `   separate: commit ${commitPerTransfer.toFixed(0)} + verify ${verifyPerTransfer.toFixed(0)} = ${separatePerTransfer.toFixed(0)} L1 gas per transfer; verifyBlocks: ${Number(singleVerify.gas)} gas for 1 proof, ${perCallK} for ${k}`,
    )
    log(
      `   combined: commitAndVerifyBlocks ${combinedPerTransfer.toFixed(0)} L1 gas per transfer (${combinedCalls.map((x) => `${x.blocks} blocks: ${x.gas}`).join(', ')})`,
    )
    await closeStore()

    // ---- G. withdrawal latency ----
    log(
      `G. withdrawal: a node restarted on the bench store (block time ${blockTimeMs} ms, 1 prover worker, k = ${k}); request → paid on L1 — ${elapsed()}`,
    )
    const node = new ZkNode(
      {
        dataDir: nodeDir,
        l1RpcUrl: anvil.rpcUrl,
        rollup,
        deployBlock: deployment.deployBlock,
        operatorKey,
        chunks,
        depth,
        circuit: {
          wasmPath: circuit.wasmPath,
          zkeyPath: setup.zkeyPath,
          verificationKey: setup.verificationKey,
        },
        sequencer: { blockTimeMs },
        prover: { workers: 1, pollMs: 50 },
        committer: { mode: 'combined', maxVerifyBlocks: k, maxCommitBlocks: k, pollMs: 100 },
      },
      { logger: quiet },
    )
    const stopNode = cleanup(() => node.stop())
    const rpcUrl = await timed('nodeStart', () => node.start())
    const nodeClient = createPublicClient({ transport: http(rpcUrl) })
    const recipient = privateKeyToAccount(`0x${'42'.repeat(32)}`).address
    const payer = await createL1Clients({
      rpcUrl: anvil.rpcUrl,
      privateKey: (ANVIL_DEV_ACCOUNTS[3] as { privateKey: Hex }).privateKey,
    })
    const withdrawer = users[0] as TestUser
    const marks: Record<string, number> = {}
    const t0 = Date.now()
    const withdrawal = await withdrawZk({
      node: nodeClient,
      key: withdrawer,
      from: 0,
      token: 0,
      amount: WITHDRAW_UNITS,
      to: recipient,
    })
    marks.softConfirmed = Date.now()
    const deadline = Date.now() + Math.max(600_000, 20 * proofSeconds * 1000)
    let withdrawBlock: number | null = null
    for (;;) {
      const info = await getZkTransaction({ node: nodeClient, hash: withdrawal.hash })
      if (info?.block !== null && info?.block !== undefined) {
        withdrawBlock = info.block
        marks.sealed ??= node.store.blocks.get(info.block)?.sealedAt ?? Date.now()
        const proof = node.store.proofs.get(info.block)
        if (proof !== undefined) marks.proven ??= proof.provedAt
        if (info.status === 'committed' || info.status === 'verified') marks.committed ??= Date.now()
        if (info.status === 'verified') marks.verified ??= Date.now()
      }
      const pending = await operator.publicClient.readContract({
        address: rollup,
        abi: zkRollupAbi,
        functionName: 'pendingBalance',
        args: [recipient, 0],
      })
      if (pending > 0n) {
        marks.credited = Date.now()
        break
      }
      if (Date.now() > deadline) throw new Error('the withdrawal was not credited on L1 in time')
      await sleep(50)
    }
    const paid = await withdrawPendingBalance({ l1: payer, rollup, token: 0, owner: recipient })
    marks.paid = Date.now()
    const received = await operator.publicClient.getBalance({ address: recipient })
    if (paid.amount !== WITHDRAW_UNITS * 10n ** 9n || received !== paid.amount)
      throw new Error(`the withdrawal paid ${paid.amount} wei, the recipient holds ${received}`)
    const withdrawProofSeconds =
      withdrawBlock === null ? Number.NaN : (node.store.proofs.get(withdrawBlock)?.seconds ?? Number.NaN)
    await stopNode()
    const since = (m: number | undefined) => (m === undefined ? null : round((m - t0) / 1000, 2))
    const withdrawalLatencySeconds = (marks.paid - t0) / 1000
    const withdrawalBound = proofSeconds + blockTimeMs / 1000 + TARGETS.withdrawalSlackSeconds
    log(
      `   paid on L1 ${withdrawalLatencySeconds.toFixed(1)} s after the request (sealed +${since(marks.sealed)} s, proven +${since(marks.proven)} s in ${withdrawProofSeconds.toFixed(1)} s, credited +${since(marks.credited)} s) — ${elapsed()}`,
    )
    await anvil.stop()

    // ---- result ----
    const oneWorker = one.tps
    const twoWorkers = two.tps
    const result = {
      machine: {
        ...machineInfo(),
        loadAverageAtStart: loadBefore.map((x) => round(x, 2)),
        loadAverageAtEnd: loadavg().map((x) => round(x, 2)),
        loadNote:
          '1/5/15-minute load averages: the cores are shared with other work, which slows every timed figure',
      },
      config: {
        chunks,
        depth,
        provers: [1, 2],
        k,
        blocksPerProverPhase: blocksPerPhase,
        sequencerTransfers: tpsCount,
        users: users.length,
        withdrawalBlockTimeMs: blockTimeMs,
        slopeChunks,
        setup: setup.insecure
          ? 'INSECURE development setup (known toxic waste; devnets only)'
          : 'ceremony ptau',
      },
      pubdataBytesPerTransfer: round(pubdataBytesPerTransfer, 2),
      constraintsPerTransfer: Math.round(constraintsPerTransfer),
      transfersPerProof: chunks,
      proofSeconds: round(proofSeconds, 2),
      provenTransfersPerSecond: round(oneWorker, 3),
      provenTransfersPerSecondByWorkers: {
        oneWorker: round(oneWorker, 3),
        twoWorkers: round(twoWorkers, 3),
        perWorkerWithTwo: round(twoWorkers / 2, 3),
        scalingTwoVsOne: round(twoWorkers / oneWorker, 2),
        note:
          'wall time from queueing the blocks to the last stored proof (each proof checked against the verification ' +
          'key); the 1-worker phase follows a warm-up proof, the 2 workers start cold (process fork + snarkjs load). ' +
          "snarkjs runs a proof's MSMs and FFTs on threads over every core (the witness calculation is single-threaded); " +
          'on cores shared with other work a second worker also wins a larger share of the CPU, which flatters the scaling',
      },
      proving: {
        warmupProofSeconds: round(warmupProofSeconds, 2),
        phases: [one, two].map((p) => ({
          workers: p.workers,
          blocks: p.blocks,
          wallSeconds: round(p.wallSeconds, 2),
          proofSeconds: p.proofSeconds.map((x) => round(x, 2)),
          provenTransfersPerSecond: round(p.tps, 3),
        })),
        note: 'proofSeconds: snarkjs groth16.fullProve (witness + proof) timed inside the worker process',
      },
      sequencerTps: round(sequencerTps, 1),
      sequencer: {
        eddsaVerifyMs: round(eddsaVerifyMs, 2),
        eddsaSignMs: round((signSeconds * 1000) / tpsCount, 2),
        submitMsPerTransfer: round(1000 / sequencerTps, 2),
        eddsaVerifyShareOfSubmit: round((eddsaVerifyMs * sequencerTps) / 1000, 2),
        acceptSeconds: round(acceptSeconds, 2),
        rejected,
        blocksSealed: tpsBlocks.length,
        transfersPerSealedBlock: round(
          tpsBlocks.reduce((s, b) => s + b.transfers, 0) / Math.max(1, tpsBlocks.length),
          2,
        ),
        sealTailSeconds: round(tpsSealTailSeconds, 2),
        note:
          'ZkSequencer.submit with real signatures: EdDSA-Poseidon verification (src/zk/protocol/babyjub.ts on ' +
          '@noble/curves, JavaScript, one thread), ' +
          'the soft state update (Poseidon Merkle paths), the durable pending log, and sealing of full blocks ' +
          '(buildBlock) in the same event loop; up to 256 submissions in flight. eddsaVerifyMs: the median of 2 × 50 ' +
          'verifications timed alone just before and after the submissions',
      },
      verifyGas: {
        perProof: Math.round(verifyPerProof),
        perVerifyBlocksCall: Math.round(perCallK),
        k,
        oneProofCall: Number(singleVerify.gas),
        marginalPerExtraProof: Math.round(marginalPerProof),
        note:
          'whole verifyBlocks transactions (receipt gas: 21,000 + calldata + execution; batched Groth16 check, k proofs ' +
          "in k + 3 pairings). oneProofCall is the deposit block verified alone; perProof = the transfer blocks' " +
          'verifyBlocks gas / proofs',
      },
      l1GasPerTransfer: round(l1GasPerTransfer, 1),
      l1Gas: {
        mode: combinedPerTransfer <= separatePerTransfer ? 'combined' : 'separate',
        combinedPerTransfer: round(combinedPerTransfer, 1),
        separatePerTransfer: round(separatePerTransfer, 1),
        combinedCalls: combinedCalls.map((x) => ({ blocks: x.blocks, gas: Number(x.gas) })),
        combinedDepositBlockAlone: Number(combinedSingle.gas),
        commitPerTransfer: round(commitPerTransfer, 1),
        verifyPerTransfer: round(verifyPerTransfer, 1),
        pubdataCalldataPerTransfer: round(pubdataCalldataGas / pubdataTransfers, 1),
        commitCalls: batched.gas.commit.map((x) => ({ blocks: x.blocks, gas: Number(x.gas) })),
        verifyCalls: batched.gas.verify.map((x) => ({ blocks: x.blocks, gas: Number(x.gas) })),
        depositBlockAlone: { commitGas: Number(singleCommit.gas), verifyGas: Number(singleVerify.gas) },
        blocksCommitted: batched.gas.commit.reduce((s, x) => s + x.blocks, 0),
        blocksVerified: verifiedByBatched,
        transfers: pubdataTransfers,
        note:
          'receipt gas of the transactions the committer sent for the full transfer blocks, divided by their ' +
          'transfers, in both committer modes from the same L1 state (anvil snapshot): separate = commitBlocks + ' +
          'verifyBlocks (commit/verify fields), combined = commitAndVerifyBlocks (one transaction per k blocks, ' +
          'only the last StoredBlock stored); l1GasPerTransfer is the cheaper one. The pubdata (10 bytes per chunk) ' +
          'travels as calldata; pubdataCalldataPerTransfer is its EIP-2028 share (16/4 gas per non-zero/zero byte)',
      },
      costRatioVsL1Erc20Transfer: round(costRatioVsL1Erc20Transfer, 2),
      cost: {
        scenarioPrices: {
          baseFeeGwei: formatGwei(scenario.baseFee),
          blobBaseFeeGwei: formatGwei(scenario.blobBaseFee),
        },
        directL1Erc20TransferGas: directErc20Gas,
        costPerTransferWei: Math.round(costPerTransferWei),
        directErc20Wei,
        note: 'calldata only (no blobs): the ratio is the direct ERC-20 transfer gas over the L1 gas per transfer',
      },
      withdrawalLatencySeconds: round(withdrawalLatencySeconds, 2),
      withdrawal: {
        creditedSeconds: since(marks.credited),
        softConfirmedSeconds: since(marks.softConfirmed),
        sealedSeconds: since(marks.sealed),
        provenSeconds: since(marks.proven),
        committedSeenSeconds: since(marks.committed),
        verifiedSeenSeconds: since(marks.verified),
        paidSeconds: since(marks.paid),
        proofSecondsOfItsBlock: round(withdrawProofSeconds, 2),
        block: withdrawBlock,
        note:
          'a node restarted on the bench store; withdrawZk (signed, over JSON-RPC) → sealed after the block time → ' +
          'proven by 1 worker (cold: first proof of a new worker process) → committed and verified on L1 by the ' +
          "node's committer → pendingBalance credited → withdrawPendingBalance paid the recipient (headline)",
      },
      setupSeconds: round(setup.builtSeconds, 1),
      setup: {
        cached: setup.cached,
        power: setup.power,
        insecure: setup.insecure,
        ptauSeconds: ptauMeta.seconds === undefined ? null : round(ptauMeta.seconds, 1),
        ptauBuiltThisRun,
        secondsThisRun: round(setup.setupSeconds, 1),
        note:
          'builtSeconds of ensureGroth16Setup: the ptau (when it was not cached yet) + the zkey, measured when the ' +
          'key was made; a cached entry reports the figure stored when it was made',
      },
      compileSeconds: round(circuit.compileSeconds, 1),
      circuit: {
        constraints: circuit.constraints,
        cached: circuit.cached,
        slope: {
          chunks: slopeChunks,
          constraints: slopeCircuit.constraints,
          compileSeconds: round(slopeCircuit.compileSeconds, 1),
          cached: slopeCircuit.cached,
        },
        note: "constraintsPerTransfer = (C(N) − C(slope chunks)) / (N − slope chunks), at the same depth; it includes each chunk's share of the SHA-256 commitment",
      },
      anchors: ZK_ANCHORS,
      targets: {
        pubdataBytesPerTransfer: {
          target: `≤ ${TARGETS.pubdataBytesPerTransfer}`,
          measured: round(pubdataBytesPerTransfer, 2),
          met: pubdataBytesPerTransfer <= TARGETS.pubdataBytesPerTransfer,
        },
        transfersPerProof: {
          target: `≥ ${TARGETS.transfersPerProof}`,
          measured: chunks,
          met: chunks >= TARGETS.transfersPerProof,
        },
        l1GasPerTransfer: {
          target: `≤ ${TARGETS.l1GasPerTransfer}`,
          measured: round(l1GasPerTransfer, 1),
          met: l1GasPerTransfer <= TARGETS.l1GasPerTransfer,
        },
        withdrawalWithinOneProofTime: {
          target: `≤ one proof time + the block time + ${TARGETS.withdrawalSlackSeconds} s (L1 transactions and polling)`,
          measured: round(withdrawalLatencySeconds, 2),
          bound: round(withdrawalBound, 2),
          met: withdrawalLatencySeconds <= withdrawalBound,
        },
      },
      durations: { ...durations, totalSeconds: round((performance.now() - started) / 1000, 1) },
    }
    writeResult(out, result)

    const g = (x: number) => (Number.isFinite(x) ? x.toLocaleString('en-US') : 'n/a')
    const yes = (m: boolean) => (m ? 'met' : 'NOT MET')
    const tg = result.targets
    type Row = [string, string, string]
    const section = (title: string): Row => [`— ${title}`, '', '']
    const rows: Row[] = [
      section('data and circuit'),
      [
        'pubdata bytes per transfer',
        String(result.pubdataBytesPerTransfer),
        `${tg.pubdataBytesPerTransfer.target}: ${yes(tg.pubdataBytesPerTransfer.met)}; Hermez ~11, Hubble 12, zkSync Lite 20, Loopring 22`,
      ],
      ['constraints per transfer (per-chunk slope)', g(result.constraintsPerTransfer), ''],
      [`constraints of the ${chunks}-chunk circuit (2^${setup.power} setup)`, g(circuit.constraints), ''],
      [
        'transfers per proof',
        String(chunks),
        `${tg.transfersPerProof.target}: ${yes(tg.transfersPerProof.met)}`,
      ],
      section('proving'),
      ['seconds per proof (1 worker, median)', String(result.proofSeconds), ''],
      ['proven transfers/s, 1 worker', String(result.provenTransfersPerSecondByWorkers.oneWorker), ''],
      [
        'proven transfers/s, 2 workers (scaling)',
        `${result.provenTransfersPerSecondByWorkers.twoWorkers} (${result.provenTransfersPerSecondByWorkers.scalingTwoVsOne}×)`,
        `${machineInfo().cores} cores`,
      ],
      ['sequencer soft-confirmed transfers/s', String(result.sequencerTps), 'zkSync Lite ≤ 2,000'],
      ['  one EdDSA-Poseidon verification, ms', String(result.sequencer.eddsaVerifyMs), ''],
      section('L1'),
      [`verifyBlocks gas per proof (k = ${k})`, g(result.verifyGas.perProof), 'Groth16 verify ~222,000'],
      [`verifyBlocks gas per call (k = ${k})`, g(result.verifyGas.perVerifyBlocksCall), ''],
      ['verifyBlocks gas, one proof alone', g(result.verifyGas.oneProofCall), ''],
      ['L1 gas per transfer: commit (incl. pubdata)', g(result.l1Gas.commitPerTransfer), ''],
      ['  of which the pubdata calldata', g(result.l1Gas.pubdataCalldataPerTransfer), ''],
      ['L1 gas per transfer: verify', g(result.l1Gas.verifyPerTransfer), ''],
      ['L1 gas per transfer: separate commit + verify', g(result.l1Gas.separatePerTransfer), ''],
      [`L1 gas per transfer: commitAndVerifyBlocks (k = ${k})`, g(result.l1Gas.combinedPerTransfer), ''],
      [
        'L1 gas per transfer: total',
        g(result.l1GasPerTransfer),
        `${tg.l1GasPerTransfer.target}: ${yes(tg.l1GasPerTransfer.met)}`,
      ],
      [
        'cost ratio vs direct L1 ERC-20 transfer',
        `${result.costRatioVsL1Erc20Transfer}×`,
        `(ERC-20 transfer ${g(directErc20Gas)} gas)`,
      ],
      section('latency and one-off costs'),
      [
        'withdrawal: request → paid on L1, s',
        String(result.withdrawalLatencySeconds),
        `≤ ${round(withdrawalBound, 1)} (one proof + block time + ${TARGETS.withdrawalSlackSeconds} s): ${yes(tg.withdrawalWithinOneProofTime.met)}`,
      ],
      ['setup (ptau + zkey), s', `${result.setupSeconds}${setup.cached ? ' (cached)' : ''}`, ''],
      ['circuit compile, s', `${result.compileSeconds}${circuit.cached ? ' (cached)' : ''}`, ''],
    ]
    const isSection = (r: Row) => r[0].startsWith('— ')
    const w = Math.max(...rows.filter((r) => !isSection(r)).map((r) => r[0].length))
    const vw = Math.max(10, ...rows.map((r) => r[1].length))
    process.stdout.write(
      [
        `l2kit ZK rollup benchmark — ${result.machine.cpu}, ${result.machine.cores} cores, node ${result.machine.node}`,
        `N = ${chunks} chunks per block, D = ${depth}, k = ${k} proofs per verifyBlocks; scenario base fee ${result.cost.scenarioPrices.baseFeeGwei} gwei${setup.insecure ? '; INSECURE development setup' : ''}`,
        `load average at start / end: ${result.machine.loadAverageAtStart[0]} / ${result.machine.loadAverageAtEnd[0]} (shared cores slow the timed figures)`,
        '',
        `${'metric'.padEnd(w)}  ${'measured'.padStart(vw)}  anchor / target`,
        ...rows.map(([key, v, t]) =>
          isSection([key, v, t]) ? key : `${key.padEnd(w)}  ${v.padStart(vw)}  ${t}`.trimEnd(),
        ),
        '',
        `written to ${out} (${elapsed()})`,
        '',
      ].join('\n'),
    )
  } finally {
    for (const fn of cleanups.reverse()) await fn().catch(() => {})
  }
}
