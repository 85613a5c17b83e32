/**
 * Crash soak (`npm run soak`, `npx tsx bench/optimistic/crashSoak.ts --rounds 50`): a real node process (`l2kit up` on an
 * anvil L1) takes transfers from several senders as fast as they can send them over HTTP JSON-RPC, and is
 * SIGKILLed at a random moment (seeded), then restarted on the same data dir, round after round. After each
 * restart it checks:
 *  - lost: every acknowledged transaction is in a sealed block;
 *  - duplicated: no transaction appears twice, no (sender, nonce) twice, the node's nonces are the replay's;
 *  - clean replay: the blocks the node serves, re-executed from genesis + the deposits with `L2State`, give every
 *    block's state root, the node's balances and nonces; total ETH on L2 (fee vault included) = deposits;
 *  - the independent verifier (derivation from L1 data alone, `l2kit_status`) derives the same block hashes
 *    (hence state roots) wherever it has got to, and at the end it derives the whole chain.
 * The load generator re-reads its nonces from `eth_getTransactionCount` after each restart, like a wallet: a
 * transaction in flight at the kill may or may not have landed. A transaction is a pure function of (sender,
 * nonce), so a resent one is byte-identical to the first attempt.
 * Used by test/e2e/crashSoak.test.ts with a few rounds; run as a script it writes bench/results/crashSoak.json.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { createPublicClient, createWalletClient, http, keccak256, parseEther, toHex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { GAS, L2_FEE_VAULT_ADDRESS } from '../../src/core/constants.ts'
import { decodeRawTransaction } from '../../src/core/l2tx.ts'
import { L2State } from '../../src/core/state.ts'
import type { Address, Deposit, Hex } from '../../src/core/types.ts'
import { ANVIL_DEV_ACCOUNTS, type AnvilInstance, findFreePort, startAnvil } from '../../src/l1/anvil.ts'
import { DEFAULT_L2_BASE_FEE, DEFAULT_L2_CHAIN_ID } from '../../src/optimistic/config.ts'
import { type LoadAccount, loadAccounts, rng, signL2Tx, walletFees } from '../../src/optimistic/loadgen.ts'
import { depositEth } from '../../src/sdk/optimistic/depositEth.ts'
import {
  killNodeProcess,
  launchNodeProcess,
  type NodeProcess,
  type RpcClient,
  RpcError,
  rpcClient,
  startNodeProcess,
} from '../../test/e2e/optimistic/nodeProcess.ts'
import { machineInfo, writeResult } from '../harness.ts'

export type CrashSoakOptions = {
  rounds: number
  /** Seeds the kill moments and the transfers: the same seed replays the same schedule. */
  seed: number
  senders: number
  /** ETH deposited on L2 for each sender. */
  depositEth: bigint
  blockTimeMs: number
  /** The kill comes this long after the load started: uniform in [min, max] ms. */
  minKillDelayMs: number
  maxKillDelayMs: number
  /** Share of rounds in which the restarted node is also killed once while it starts (replaying its log). */
  startupKillShare: number
  /** Wait for the verifier to derive the whole chain from L1 every this many rounds (0 = only at the end). */
  verifyEvery: number
  /** How long the final (and periodic) wait for the verifier may take. */
  verifierTimeoutMs: number
  /** No new round starts after this much time (ms); the soak stops early and says so. */
  maxDurationMs: number
  /** Upper bound of transfers per sender per round (a safety net; the kill ends a round long before). */
  maxTxsPerSenderPerRound: number
  /** Where the node keeps its state (default: a fresh temp dir, removed at the end unless keepDataDir). */
  dataDir?: string
  keepDataDir: boolean
  /** One line per round and the setup steps. */
  log: (line: string) => void
}

export const defaultCrashSoakOptions: CrashSoakOptions = {
  rounds: 50,
  seed: 1,
  senders: 8,
  depositEth: parseEther('100'),
  blockTimeMs: 200,
  minKillDelayMs: 50,
  maxKillDelayMs: 1_500,
  startupKillShare: 0.2,
  verifyEvery: 10,
  verifierTimeoutMs: 60_000,
  maxDurationMs: 3_600_000,
  maxTxsPerSenderPerRound: 100_000,
  keepDataDir: false,
  log: () => undefined,
}

export type RoundReport = {
  round: number
  killAfterMs: number
  /** The restarted node was also killed once while starting, after this many ms. */
  startupKillAfterMs: number | null
  /** Transfers acknowledged in this round. */
  acked: number
  /** Sent, not acknowledged (the kill came first), yet in the chain after the restart. */
  landedUnacked: number
  /** Sent, not acknowledged, not in the chain: a wallet would resend them (same bytes). */
  notLanded: number
  rejected: number
  /** Longest stretch of the load (from its start) in which no sender got an acknowledgement: a stalled node. */
  maxAckGapMs: number
  restartMs: number
  /** L2 head after the restart, once the replayed open block was sealed. */
  head: number
  lost: number
  duplicated: number
  replayRootOk: boolean
  balancesOk: boolean
  conserved: boolean
  verifierSafeHead: number
  verifierAgrees: boolean
  problems: string[]
}

export type CrashSoakReport = {
  options: Omit<CrashSoakOptions, 'log' | 'depositEth'> & { depositEth: string }
  roundsRun: number
  stoppedEarly: string | null
  acked: number
  lost: number
  duplicated: number
  landedUnacked: number
  notLanded: number
  rejected: number
  blocks: number
  transactionsInChain: number
  restartMs: { mean: number; max: number }
  ackedPerSecondOfLoad: number
  /** Longest stall seen by the load generator in any round (ms). */
  maxAckGapMs: number
  finalReplayRootOk: boolean
  verifier: {
    caughtUp: boolean
    safeHead: number
    safeHeadHashMatches: boolean
    agreesWithAllProposals: boolean
    proposalsChecked: number
    invalidBatches: { batchIndex: string; reason: string }[]
  }
  problems: string[]
  rounds: RoundReport[]
  durationMs: number
}

type SentTx = { sender: number; nonce: bigint; raw: Hex; hash: Hex }
type VerifierStatus = {
  safeHead: string
  safeHeadHash: Hex
  sequencerHashAtSafeHead: Hex | null
  proposalsChecked: number
  agreesWithAllProposals: boolean
  disagreements: string[]
  invalidBatches: { batchIndex: string; reason: string }[]
}
type RpcBlock = { number: Hex; hash: Hex; parentHash: Hex; stateRoot: Hex; transactions: Hex[] }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const MAX_PROBLEMS = 50

/** Runs the soak: anvil, the node process, deposits, then `rounds` × (load, SIGKILL, restart, check). */
export async function runCrashSoak(partial: Partial<CrashSoakOptions> = {}): Promise<CrashSoakReport> {
  const o: CrashSoakOptions = { ...defaultCrashSoakOptions, ...partial }
  const log = o.log
  const t0 = performance.now()
  const chainId = DEFAULT_L2_CHAIN_ID
  const baseFee = DEFAULT_L2_BASE_FEE
  const fees = walletFees(baseFee)
  const rand = rng(o.seed)
  // xorshift starts small from a small seed: skip its first outputs so the first kill moments are spread out too.
  for (let i = 0; i < 8; i++) rand()
  const problems: string[] = []
  const problem = (p: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push(p)
    log(`  PROBLEM: ${p}`)
  }

  const users: LoadAccount[] = loadAccounts(o.senders, `crash-soak-${o.seed}-`)

  // ---- every transfer is a pure function of (sender, nonce) ----
  const bySenderNonce = new Map<string, SentTx>()
  const byHash = new Map<string, SentTx>()
  function txFor(sender: number, nonce: bigint): SentTx {
    const key = `${sender}:${nonce}`
    const known = bySenderNonce.get(key)
    if (known) return known
    const r = rng((o.seed * 1_000_003 + sender * 7_919 + Number(nonce) * 104_729) >>> 0)
    r()
    const to = users[(sender + 1 + Math.floor(r() * (users.length - 1))) % users.length] as LoadAccount
    // 0.000001 .. 0.000999 ETH: balances stay far from zero however the random walk goes.
    const amount = BigInt(1 + Math.floor(r() * 999)) * 10n ** 12n
    const from = users[sender] as LoadAccount
    const raw = signL2Tx(
      { nonce, gasLimit: GAS.ethTransfer, fees, op: { kind: 'ethTransfer', to: to.address, amount } },
      chainId,
      from.privateKey,
    )
    const tx: SentTx = { sender, nonce, raw, hash: keccak256(raw) }
    bySenderNonce.set(key, tx)
    byHash.set(tx.hash.toLowerCase(), tx)
    return tx
  }

  // ---- what the checks accumulate across rounds ----
  const acked = new Set<string>()
  const attempted = new Set<string>()
  const included = new Map<string, number>() // tx hash → block number
  const blockHashes: Hex[] = [] // index = block number (as this run verified it)
  const deposits: Deposit[] = []
  let replay = new L2State({ chainId, baseFee })
  let replayedThrough = 0
  let depositHead = 0
  let duplicatedTotal = 0

  let anvil: AnvilInstance | undefined
  let node: NodeProcess | undefined
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'l2kit-soak-'))
  mkdirSync(dataDir, { recursive: true })
  const rounds: RoundReport[] = []
  let stoppedEarly: string | null = null
  let loadMs = 0
  let finalReplayRootOk = false
  const verifier: CrashSoakReport['verifier'] = {
    caughtUp: false,
    safeHead: 0,
    safeHeadHashMatches: false,
    agreesWithAllProposals: false,
    proposalsChecked: 0,
    invalidBatches: [],
  }

  try {
    anvil = await startAnvil({})
    const port = await findFreePort()
    const nodeOptions = { l1Rpc: anvil.rpcUrl, dataDir, port, blockTimeMs: o.blockTimeMs }
    const start = () => startNodeProcess(nodeOptions)
    node = await start()
    log(
      `node up on ${node.info.l2Rpc} (pid ${node.pid}, ${Math.round(node.startMs)} ms), data dir ${dataDir}`,
    )

    // ---- fund the senders through the bridge, and wait until the deposits are sealed ----
    const funderKey = ANVIL_DEV_ACCOUNTS[1]?.privateKey as Hex
    const chain = {
      id: anvil.chainId,
      name: 'anvil',
      nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
      rpcUrls: { default: { http: [anvil.rpcUrl] } },
    }
    const funder = createWalletClient({
      account: privateKeyToAccount(funderKey),
      chain,
      transport: http(anvil.rpcUrl),
    })
    const l1Public = createPublicClient({ chain, transport: http(anvil.rpcUrl) })
    for (const u of users) {
      const d = await depositEth(
        { walletClient: funder, publicClient: l1Public },
        { portal: node.info.contracts.portal, amount: o.depositEth, to: u.address },
      )
      deposits.push({
        index: d.depositIndex,
        from: funder.account.address,
        to: u.address,
        tokenIndex: 0,
        amount: o.depositEth,
      })
    }
    deposits.sort((a, b) => (a.index < b.index ? -1 : 1))
    for (const d of deposits) replay.applyDeposit(d)
    const depositRoot = replay.stateRoot()
    {
      const rpc = rpcClient(node.info.l2Rpc)
      const deadline = Date.now() + 60_000
      for (;;) {
        const b = await rpc.request<RpcBlock>('eth_getBlockByNumber', ['latest', false])
        if (b.stateRoot === depositRoot) {
          depositHead = Number(b.number)
          break
        }
        if (Date.now() > deadline)
          throw new Error(
            `the deposits were not sealed on L2 within 60 s (head root ${b.stateRoot}, expected ${depositRoot})`,
          )
        await sleep(100)
      }
      const early = await rpc.batch<RpcBlock>(
        Array.from({ length: depositHead + 1 }, (_, n) => ({
          method: 'eth_getBlockByNumber',
          params: [toHex(n), false],
        })),
      )
      for (const b of early) {
        if (b.transactions.length > 0)
          throw new Error(`block ${Number(b.number)} has transactions before the soak sent any`)
        blockHashes[Number(b.number)] = b.hash
      }
      replayedThrough = depositHead
      rpc.close()
    }
    log(
      `${users.length} senders funded with ${o.depositEth / 10n ** 18n} ETH each on L2 (deposits sealed by block ${depositHead})`,
    )

    for (let round = 1; round <= o.rounds; round++) {
      if (performance.now() - t0 > o.maxDurationMs) {
        stoppedEarly = `time budget of ${o.maxDurationMs} ms reached after ${round - 1} rounds`
        break
      }
      const roundProblemsBefore = problems.length
      // ---- load, then a SIGKILL at a random moment ----
      let rpc = rpcClient((node as NodeProcess).info.l2Rpc)
      const nonces = await rpc.batch<Hex>(
        users.map((u) => ({ method: 'eth_getTransactionCount', params: [u.address, 'latest'] })),
      )
      const roundAcked: SentTx[] = []
      const roundSent: SentTx[] = []
      const ackTimes: number[] = []
      let rejected = 0
      let stop = false
      let killedAt = Number.POSITIVE_INFINITY
      const earlyStops: string[] = []
      const loadStarted = performance.now()
      const loops = users.map(async (_u, s) => {
        let nonce = BigInt(nonces[s] as Hex)
        for (let i = 0; i < o.maxTxsPerSenderPerRound && !stop; i++) {
          const tx = txFor(s, nonce)
          roundSent.push(tx)
          attempted.add(tx.hash.toLowerCase())
          try {
            const hash = await rpc.request<Hex>('eth_sendRawTransaction', [tx.raw])
            if (hash.toLowerCase() !== tx.hash.toLowerCase())
              problem(`round ${round}: node answered hash ${hash} for ${tx.hash}`)
            acked.add(tx.hash.toLowerCase())
            roundAcked.push(tx)
            ackTimes.push(performance.now())
            nonce++
          } catch (err) {
            const at = performance.now()
            if (at < killedAt && !(err instanceof RpcError)) {
              earlyStops.push(`sender ${s} at ${Math.round(at - loadStarted)} ms: ${(err as Error).message}`)
            }
            if (err instanceof RpcError) {
              rejected++
              problem(
                `round ${round}: sender ${s} nonce ${nonce} rejected: ${err.message} ${JSON.stringify(err.data)}`,
              )
            }
            return // the connection broke (the kill) or the node refused: this sender is done for the round
          }
        }
      })
      const killAfterMs = Math.round(o.minKillDelayMs + rand() * (o.maxKillDelayMs - o.minKillDelayMs))
      await sleep(killAfterMs)
      killedAt = performance.now()
      await killNodeProcess(node as NodeProcess)
      stop = true
      await Promise.all(loops)
      loadMs += performance.now() - loadStarted
      let maxAckGapMs = 0
      for (let i = 0, prev = loadStarted; i < ackTimes.length; prev = ackTimes[i] as number, i++) {
        maxAckGapMs = Math.max(maxAckGapMs, (ackTimes[i] as number) - prev)
      }
      // The stretch from the last acknowledgement to the kill counts too (a node that stopped answering).
      maxAckGapMs = Math.round(
        Math.max(maxAckGapMs, killedAt - (ackTimes[ackTimes.length - 1] ?? loadStarted)),
      )
      if (earlyStops.length > 0)
        problem(`round ${round}: connections failed before the kill: ${earlyStops.slice(0, 3).join('; ')}`)
      rpc.close()

      // ---- restart on the same data dir (sometimes killing it once more while it replays) ----
      let startupKillAfterMs: number | null = null
      const restartStarted = performance.now()
      if (rand() < o.startupKillShare) {
        // Kill it again while it opens the store and replays its log (or just after, if it was quicker).
        startupKillAfterMs = Math.round(rand() * (node as NodeProcess).startMs)
        const attempt = launchNodeProcess(nodeOptions)
        attempt.ready.catch(() => undefined)
        await Promise.race([attempt.exited, sleep(startupKillAfterMs)])
        await killNodeProcess(attempt)
      }
      try {
        node = await start()
      } catch (err) {
        problem(`round ${round}: the node did not restart: ${(err as Error).message}`)
        stoppedEarly = `node failed to restart in round ${round}`
        break
      }
      const restartMs = Math.round(performance.now() - restartStarted)

      // ---- checks ----
      rpc = rpcClient(node.info.l2Rpc)
      const c = await checkNode(rpc, round, roundAcked)
      rpc.close()
      const roundSentUnique = new Map(roundSent.map((t) => [t.hash.toLowerCase(), t]))
      const ackedHere = new Set(roundAcked.map((t) => t.hash.toLowerCase()))
      let landedUnacked = 0
      let notLanded = 0
      for (const h of roundSentUnique.keys()) {
        if (ackedHere.has(h) || acked.has(h)) continue
        if (included.has(h)) landedUnacked++
        else notLanded++
      }
      const report: RoundReport = {
        round,
        killAfterMs,
        startupKillAfterMs,
        acked: roundAcked.length,
        landedUnacked,
        notLanded,
        rejected,
        maxAckGapMs,
        restartMs,
        ...c,
        problems: problems.slice(roundProblemsBefore),
      }
      rounds.push(report)
      log(
        `round ${String(round).padStart(3)}/${o.rounds}  kill after ${String(killAfterMs).padStart(4)} ms` +
          `${startupKillAfterMs !== null ? ` (+ kill during restart at ${startupKillAfterMs} ms)` : ''}` +
          `  acked ${String(report.acked).padStart(5)} (total ${acked.size}, longest wait ${maxAckGapMs} ms)  landed-unacked ${landedUnacked}  not-landed ${notLanded}` +
          `  restart ${(restartMs / 1000).toFixed(1)} s  head ${c.head}  lost ${c.lost}  dup ${c.duplicated}` +
          `  root ${c.replayRootOk ? 'ok' : 'MISMATCH'}  balances ${c.balancesOk && c.conserved ? 'ok' : 'MISMATCH'}` +
          `  verifier safe ${c.verifierSafeHead} ${c.verifierAgrees ? 'ok' : 'DISAGREES'}`,
      )
      if (o.verifyEvery > 0 && round % o.verifyEvery === 0 && round < o.rounds) {
        const v = await waitForVerifier(node.info.l2Rpc, Math.min(o.verifierTimeoutMs, 30_000))
        log(
          `  verifier derived the chain from L1 up to ${v.safeHead} (head ${blockHashes.length - 1}): ${v.caughtUp && v.safeHeadHashMatches ? 'same blocks' : 'NOT CAUGHT UP / DIFFERENT'}`,
        )
        if (!v.caughtUp || !v.safeHeadHashMatches) {
          problem(
            `round ${round}: the verifier derived up to ${v.safeHead} of ${blockHashes.length - 1} (hash ${v.safeHeadHashMatches ? 'same' : 'different'}; invalid batches ${JSON.stringify(v.invalidBatches)})`,
          )
        }
      }
    }

    // ---- the end: a clean replay from scratch, and the independent verifier over the whole chain ----
    if (node && node.child.exitCode === null && node.child.signalCode === null) {
      const rpc = rpcClient(node.info.l2Rpc)
      const fresh = new L2State({ chainId, baseFee })
      for (const d of deposits) fresh.applyDeposit(d)
      const head = blockHashes.length - 1
      const blocks = await rpc.batch<RpcBlock>(
        Array.from({ length: head - depositHead }, (_, k) => ({
          method: 'eth_getBlockByNumber',
          params: [toHex(depositHead + 1 + k), false],
        })),
      )
      for (const b of blocks) {
        for (const h of b.transactions) {
          const t = byHash.get(h.toLowerCase())
          if (t)
            fresh.applyTx(
              decodeRawTransaction(t.raw, { chainId }).tx,
              (users[t.sender] as LoadAccount).address,
            )
        }
      }
      const last = blocks[blocks.length - 1]
      finalReplayRootOk =
        last === undefined ? fresh.stateRoot() === depositRoot : fresh.stateRoot() === last.stateRoot
      if (!finalReplayRootOk)
        problem(`final clean replay root ${fresh.stateRoot()} differs from the head's ${last?.stateRoot}`)
      rpc.close()
      Object.assign(verifier, await waitForVerifier(node.info.l2Rpc, o.verifierTimeoutMs))
      log(
        `verifier: derived from L1 up to block ${verifier.safeHead} of ${head}: ${verifier.caughtUp ? 'caught up' : 'NOT caught up'}, ` +
          `${verifier.safeHeadHashMatches ? 'same block hash' : 'DIFFERENT block hash'}, ${verifier.proposalsChecked} proposals checked, ` +
          `${verifier.agreesWithAllProposals ? 'agrees with all' : 'DISAGREES'}, invalid batches ${verifier.invalidBatches.length}`,
      )
      if (!verifier.caughtUp)
        problem(
          `the verifier did not derive the chain up to the head ${head} within ${o.verifierTimeoutMs} ms (safe head ${verifier.safeHead}; invalid batches ${JSON.stringify(verifier.invalidBatches)})`,
        )
      else if (!verifier.safeHeadHashMatches)
        problem(`the verifier derived a different block ${verifier.safeHead} from L1`)
      if (!verifier.agreesWithAllProposals) problem('the verifier disagrees with a proposed root')
    }
  } finally {
    if (node && node.child.exitCode === null && node.child.signalCode === null) {
      node.child.kill('SIGTERM')
      await Promise.race([node.exited, sleep(10_000)])
      await killNodeProcess(node)
    }
    await anvil?.stop()
    if (!o.keepDataDir && o.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true })
  }

  const restarts = rounds.map((r) => r.restartMs)
  return {
    options: { ...o, log: undefined, depositEth: o.depositEth.toString() } as CrashSoakReport['options'],
    roundsRun: rounds.length,
    stoppedEarly,
    acked: acked.size,
    lost: rounds.reduce((m, r) => Math.max(m, r.lost), 0),
    duplicated: duplicatedTotal,
    landedUnacked: rounds.reduce((s, r) => s + r.landedUnacked, 0),
    notLanded: rounds.reduce((s, r) => s + r.notLanded, 0),
    rejected: rounds.reduce((s, r) => s + r.rejected, 0),
    blocks: blockHashes.length - 1,
    transactionsInChain: included.size,
    restartMs: {
      mean: restarts.length ? Math.round(restarts.reduce((a, b) => a + b, 0) / restarts.length) : 0,
      max: restarts.length ? Math.max(...restarts) : 0,
    },
    ackedPerSecondOfLoad: loadMs > 0 ? Math.round((acked.size / loadMs) * 1000) : 0,
    maxAckGapMs: rounds.reduce((m, r) => Math.max(m, r.maxAckGapMs), 0),
    finalReplayRootOk,
    verifier,
    problems,
    rounds,
    durationMs: Math.round(performance.now() - t0),
  }

  /** Everything a round checks on the restarted node. */
  async function checkNode(rpc: RpcClient, round: number, roundAcked: SentTx[]) {
    const where = `round ${round}`
    // 1. The replayed open block gets sealed within a tick or two: wait until each sender's last tx is in a block.
    const deadline = Date.now() + 20_000
    let nodeNonces: bigint[] = []
    for (;;) {
      nodeNonces = (
        await rpc.batch<Hex>(
          users.map((u) => ({ method: 'eth_getTransactionCount', params: [u.address, 'latest'] })),
        )
      ).map((n) => BigInt(n))
      const lastTxs = nodeNonces.flatMap((n, s) => (n > 0n ? [bySenderNonce.get(`${s}:${n - 1n}`)] : []))
      if (lastTxs.some((t) => t === undefined)) {
        problem(
          `${where}: the node reports a nonce for which no transaction was ever sent (${nodeNonces.join(',')})`,
        )
        break
      }
      const found = await rpc.batch<{ blockNumber: Hex | null } | null>(
        lastTxs.map((t) => ({ method: 'eth_getTransactionByHash', params: [(t as SentTx).hash] })),
      )
      if (found.every((f) => f !== null && f.blockNumber !== null)) {
        // The tx index becomes readable a moment before eth_blockNumber moves to its block: wait for both.
        const highest = Math.max(0, ...found.map((f) => Number(f?.blockNumber ?? 0)))
        if (Number(await rpc.request<Hex>('eth_blockNumber')) >= highest) break
      }
      if (Date.now() > deadline) {
        problem(`${where}: the replayed transactions were not sealed within 20 s`)
        break
      }
      await sleep(50)
    }
    // 2. Fetch the chain; blocks seen before must be unchanged; replay the new ones and check every root.
    const head = Number(await rpc.request<Hex>('eth_blockNumber'))
    if (head < blockHashes.length - 1)
      problem(`${where}: head went back from ${blockHashes.length - 1} to ${head}`)
    const blocks = await rpc.batch<RpcBlock>(
      Array.from({ length: head }, (_, k) => ({
        method: 'eth_getBlockByNumber',
        params: [toHex(k + 1), false],
      })),
    )
    let replayRootOk = true
    let duplicated = 0
    for (const b of blocks) {
      const n = Number(b.number)
      const seen = blockHashes[n]
      if (seen !== undefined) {
        if (seen !== b.hash) problem(`${where}: block ${n} changed across the restart (${seen} → ${b.hash})`)
        continue
      }
      if (blockHashes[n - 1] !== b.parentHash)
        problem(`${where}: block ${n} parent ${b.parentHash} is not block ${n - 1} ${blockHashes[n - 1]}`)
      blockHashes[n] = b.hash
      if (n <= replayedThrough) continue
      for (const h of b.transactions) {
        const key = h.toLowerCase()
        const t = byHash.get(key)
        if (!t) {
          problem(`${where}: block ${n} holds transaction ${h} that nobody sent`)
          replayRootOk = false
          continue
        }
        if (included.has(key)) {
          duplicated++
          problem(
            `${where}: transaction ${h} (sender ${t.sender} nonce ${t.nonce}) is in block ${included.get(key)} and again in block ${n}`,
          )
          continue
        }
        included.set(key, n)
        const d = decodeRawTransaction(t.raw, { chainId })
        if (d.sender.toLowerCase() !== (users[t.sender] as LoadAccount).address.toLowerCase())
          problem(`${where}: ${h} recovers to ${d.sender}`)
        try {
          replay.applyTx(d.tx, d.sender)
        } catch (err) {
          duplicated++
          replayRootOk = false
          problem(
            `${where}: a clean replay refuses ${h} (sender ${t.sender} nonce ${t.nonce}) in block ${n}: ${(err as Error).message}`,
          )
        }
      }
      const root = replay.stateRoot()
      if (root !== b.stateRoot) {
        replayRootOk = false
        problem(`${where}: block ${n} state root ${b.stateRoot} differs from the clean replay's ${root}`)
        // Resync so one mismatch is reported once, not in every later block.
        replay = rebuildFromIncluded()
      }
      replayedThrough = n
    }
    duplicatedTotal += duplicated
    // 3. Every acknowledged transaction (all rounds) is in a sealed block, and the node finds this round's ones.
    let lost = 0
    for (const h of acked) if (!included.has(h)) lost++
    if (lost > 0) problem(`${where}: ${lost} acknowledged transactions are not in the chain`)
    const lookups = await rpc.batch<{ blockNumber: Hex | null; hash: Hex } | null>(
      roundAcked.map((t) => ({ method: 'eth_getTransactionByHash', params: [t.hash] })),
    )
    const invisible = lookups.filter((l) => l === null || l.blockNumber === null).length
    if (invisible > 0)
      problem(
        `${where}: eth_getTransactionByHash misses ${invisible} transactions acknowledged in this round`,
      )
    // 4. Exactly once per nonce: the node's nonce = the replay's = the number of the sender's txs in the chain.
    const perSender = users.map(() => 0n)
    for (const h of included.keys()) {
      const t = byHash.get(h) as SentTx
      perSender[t.sender] = (perSender[t.sender] as bigint) + 1n
    }
    for (const [s, u] of users.entries()) {
      const n = nodeNonces[s]
      if (n !== replay.getNonce(u.address) || n !== perSender[s]) {
        problem(
          `${where}: sender ${s} nonce: node ${n}, clean replay ${replay.getNonce(u.address)}, transactions in the chain ${perSender[s]}`,
        )
      }
      const beyond = bySenderNonce.get(`${s}:${n}`)
      if (beyond && acked.has(beyond.hash.toLowerCase()))
        problem(`${where}: sender ${s} nonce ${n} was acknowledged but the node's nonce is ${n}`)
    }
    // 5. Balances equal the replay's, and ETH is conserved (the fee vault counts).
    const addrs: Address[] = [...users.map((u) => u.address), L2_FEE_VAULT_ADDRESS]
    const balances = (
      await rpc.batch<Hex>(addrs.map((a) => ({ method: 'eth_getBalance', params: [a, 'latest'] })))
    ).map((b) => BigInt(b))
    let balancesOk = true
    let sum = 0n
    for (const [i, a] of addrs.entries()) {
      sum += balances[i] as bigint
      if (balances[i] !== replay.getBalance(a, 0)) {
        balancesOk = false
        problem(`${where}: balance of ${a}: node ${balances[i]}, clean replay ${replay.getBalance(a, 0)}`)
      }
    }
    const totalDeposits = o.depositEth * BigInt(users.length)
    const conserved = sum === totalDeposits
    if (!conserved) problem(`${where}: ETH on L2 ${sum} ≠ deposits ${totalDeposits}`)
    // 6. The independent verifier, wherever it has got to since the restart, derived the same blocks.
    const status = await rpc.request<{ verifier: VerifierStatus | null }>('l2kit_status')
    const v = status.verifier
    let verifierAgrees = true
    let verifierSafeHead = 0
    if (v) {
      verifierSafeHead = Number(v.safeHead)
      const ours = blockHashes[verifierSafeHead]
      if (verifierSafeHead > 0 && ours !== undefined && ours !== v.safeHeadHash) {
        verifierAgrees = false
        problem(
          `${where}: the verifier derived block ${verifierSafeHead} as ${v.safeHeadHash}, the node serves ${ours}`,
        )
      }
      if (!v.agreesWithAllProposals) {
        verifierAgrees = false
        problem(`${where}: the verifier disagrees with proposals ${v.disagreements.join(',')}`)
      }
    }
    return { head, lost, duplicated, replayRootOk, balancesOk, conserved, verifierSafeHead, verifierAgrees }
  }

  /** A replay state from genesis, the deposits and every included transaction in chain order (after a mismatch). */
  function rebuildFromIncluded(): L2State {
    const s = new L2State({ chainId, baseFee })
    for (const d of deposits) s.applyDeposit(d)
    const ordered = [...included.entries()].sort((a, b) => a[1] - b[1])
    for (const [h] of ordered) {
      const t = byHash.get(h) as SentTx
      try {
        s.applyTx(decodeRawTransaction(t.raw, { chainId }).tx, (users[t.sender] as LoadAccount).address)
      } catch {
        // reported already
      }
    }
    return s
  }

  /** Polls `l2kit_status` until the verifier's safe head reaches the head this run verified (or times out). */
  async function waitForVerifier(url: string, timeoutMs: number): Promise<CrashSoakReport['verifier']> {
    const rpc = rpcClient(url)
    const target = blockHashes.length - 1
    const deadline = Date.now() + timeoutMs
    let v: VerifierStatus | null = null
    try {
      for (;;) {
        v = (await rpc.request<{ verifier: VerifierStatus | null }>('l2kit_status')).verifier
        if (!v) break
        if (Number(v.safeHead) >= target || Date.now() > deadline) break
        await sleep(250)
      }
    } finally {
      rpc.close()
    }
    if (!v) return { ...verifier, caughtUp: false }
    const safeHead = Number(v.safeHead)
    return {
      caughtUp: safeHead >= target,
      safeHead,
      safeHeadHashMatches: blockHashes[safeHead] === v.safeHeadHash,
      agreesWithAllProposals: v.agreesWithAllProposals,
      proposalsChecked: v.proposalsChecked,
      invalidBatches: v.invalidBatches,
    }
  }
}

/** One line of what a report says, for people. */
export function summarizeCrashSoak(r: CrashSoakReport): string {
  return [
    `rounds ${r.roundsRun}${r.stoppedEarly ? ` (stopped early: ${r.stoppedEarly})` : ''}`,
    `acknowledged ${r.acked}`,
    `lost ${r.lost}`,
    `duplicated ${r.duplicated}`,
    `landed unacknowledged ${r.landedUnacked}`,
    `resent after not landing ${r.notLanded}`,
    `rejected ${r.rejected}`,
    `blocks ${r.blocks}`,
    `restart ${(r.restartMs.mean / 1000).toFixed(1)} s mean / ${(r.restartMs.max / 1000).toFixed(1)} s max`,
    `longest wait for an acknowledgement ${r.maxAckGapMs} ms`,
    `clean replay root ${r.finalReplayRootOk ? 'ok' : 'MISMATCH'}`,
    `verifier ${r.verifier.caughtUp && r.verifier.safeHeadHashMatches ? 'derived the same chain from L1' : 'DID NOT derive the same chain'}`,
    `problems ${r.problems.length}`,
  ].join(', ')
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: String(defaultCrashSoakOptions.rounds) },
      seed: { type: 'string', default: String(defaultCrashSoakOptions.seed) },
      senders: { type: 'string', default: String(defaultCrashSoakOptions.senders) },
      'min-kill-ms': { type: 'string', default: String(defaultCrashSoakOptions.minKillDelayMs) },
      'max-kill-ms': { type: 'string', default: String(defaultCrashSoakOptions.maxKillDelayMs) },
      'verify-every': { type: 'string', default: String(defaultCrashSoakOptions.verifyEvery) },
      out: { type: 'string', default: 'bench/results/crashSoak.json' },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) {
    process.stdout.write(
      'npx tsx bench/optimistic/crashSoak.ts [--rounds 50] [--seed 1] [--senders 6] [--min-kill-ms 50] [--max-kill-ms 1500] [--verify-every 10] [--out bench/results/crashSoak.json]\n',
    )
    return
  }
  const int = (v: string | undefined, name: string) => {
    const n = Number(v)
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, got ${v}`)
    return n
  }
  const report = await runCrashSoak({
    rounds: int(values.rounds, 'rounds'),
    seed: int(values.seed, 'seed'),
    senders: Math.max(2, int(values.senders, 'senders')),
    minKillDelayMs: int(values['min-kill-ms'], 'min-kill-ms'),
    maxKillDelayMs: int(values['max-kill-ms'], 'max-kill-ms'),
    verifyEvery: int(values['verify-every'], 'verify-every'),
    log: (line) => process.stdout.write(`${line}\n`),
  })
  const result = {
    machine: machineInfo(),
    date: new Date().toISOString(),
    ...report,
  }
  const out = writeResult(values.out as string, result)
  process.stdout.write(`\n${summarizeCrashSoak(report)}\nwrote ${out}\n`)
  const ok =
    report.lost === 0 &&
    report.duplicated === 0 &&
    report.problems.length === 0 &&
    report.stoppedEarly === null
  process.exitCode = ok ? 0 : 1
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    process.exitCode = 1
  })
}
