/**
 * The ZK node's two L1 loops.
 *
 * `ZkRequestFollower` reads `PriorityRequest` events into `ZkStore.requests` (checking each chain hash against the
 * one the node computes, so a node never builds on a queue it misread) and tells the sequencer.
 *
 * `ZkCommitter` posts sealed blocks with `commitBlocks` in order as soon as they are sealed (the data is on L1 before
 * the proof exists), and `verifyBlocks` for the next committed blocks whose proofs are ready — several per
 * transaction when they are (one batched pairing check). A block is final only when `BlocksVerified` covers it.
 * Verification gas is set explicitly: estimating a pairing-heavy call is unreliable.
 */
import {
  type Address,
  encodeAbiParameters,
  type Hex,
  keccak256,
  type PublicClient,
  parseEventLogs,
  type WalletClient,
} from 'viem'
import { L2kitError } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'
import { silentLogger } from '../core/logger.ts'
import { zkRollupAbi } from '../generated/contracts.ts'
import type { Metrics } from '../node/metrics.ts'
import { assertValidOptions, isIntegerInRange, withDefaults } from '../node/options.ts'
import { proofToWords } from './l1/proof.ts'
import { fieldToBytes } from './protocol/crypto.ts'
import { addressToHex, nextPriorityHash, OpType, type PriorityRequest } from './protocol/ops.ts'
import type { SealedBlock, StoredRequest, Withdrawal, ZkStore } from './store.ts'

export type L1StoredBlock = {
  blockNumber: number
  priorityOpsBefore: bigint
  priorityOps: bigint
  newRoot: Hex
  commitment: Hex
  withdrawalsHash: Hex
}

const withdrawalsType = [
  {
    type: 'tuple[]',
    components: [
      { name: 'recipient', type: 'address' },
      { name: 'token', type: 'uint8' },
      { name: 'amount', type: 'uint64' },
    ],
  },
] as const

export function toAddress(a: bigint): Address {
  return addressToHex(a) as Address
}

function hex32(v: bigint): Hex {
  return `0x${Buffer.from(fieldToBytes(v)).toString('hex')}` as Hex
}

export function withdrawalsForL1(ws: readonly Withdrawal[]) {
  return ws.map((w) => ({ recipient: toAddress(w.address), token: w.token, amount: w.amount }))
}

/** `keccak256(abi.encode(Withdrawal[]))`, as ZkRollup stores it. */
export function withdrawalsHash(ws: readonly Withdrawal[]): Hex {
  return keccak256(encodeAbiParameters(withdrawalsType, [withdrawalsForL1(ws)]))
}

/** The StoredBlock L1 keeps for a sealed block. */
export function storedBlockOf(b: SealedBlock): L1StoredBlock {
  return {
    blockNumber: b.number,
    priorityOpsBefore: BigInt(b.firstRequest),
    priorityOps: BigInt(b.priorityOps),
    newRoot: hex32(b.newRoot),
    commitment: hex32(b.commitment),
    withdrawalsHash: withdrawalsHash(b.withdrawals),
  }
}

export type ZkL1Modules = {
  store: ZkStore
  publicClient: PublicClient
  rollup: Address
  logger?: Logger
  metrics?: Metrics
}

export type ZkRequestFollowerOptions = { pollMs: number; fromBlock: bigint; maxRange: bigint }
export const defaultZkRequestFollowerOptions: ZkRequestFollowerOptions = {
  pollMs: 250,
  fromBlock: 0n,
  maxRange: 5000n,
}

export class ZkRequestFollower {
  readonly options: ZkRequestFollowerOptions
  private readonly m: ZkL1Modules & { onRequests?: () => void }
  private readonly log: Logger
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> = Promise.resolve()

  constructor(
    options: Partial<ZkRequestFollowerOptions>,
    modules: ZkL1Modules & { onRequests?: () => void },
  ) {
    this.options = withDefaults(defaultZkRequestFollowerOptions, options)
    this.m = modules
    this.log = (modules.logger ?? silentLogger).child({ role: 'zk-follower' })
  }

  async start(): Promise<void> {
    await this.poll()
    this.timer = setInterval(() => {
      this.running = this.running
        .then(async () => {
          await this.poll()
        })
        .catch((err: unknown) => this.log.warn({ err }, 'L1 poll failed'))
    }, this.options.pollMs)
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    await this.running.catch(() => {})
  }

  /** Reads new PriorityRequest events up to the L1 head. */
  async poll(): Promise<number> {
    const { store, publicClient, rollup } = this.m
    const head = await publicClient.getBlockNumber()
    const cursor = (store.meta.get('l1Cursor') as bigint | undefined) ?? this.options.fromBlock
    if (cursor > head) return 0
    let added = 0
    for (let from = cursor; from <= head; from += this.options.maxRange) {
      const to = from + this.options.maxRange - 1n < head ? from + this.options.maxRange - 1n : head
      const logs = await publicClient.getContractEvents({
        address: rollup,
        abi: zkRollupAbi,
        eventName: 'PriorityRequest',
        fromBlock: from,
        toBlock: to,
      })
      const entries: StoredRequest[] = []
      let next = store.requestCount()
      let p = store.chainHashBefore(next)
      for (const log of logs) {
        const a = log.args as {
          requestIndex: bigint
          kind: number
          account: Address
          token: number
          amount: bigint
          accountIndex: number
          pkHash: bigint
          chainHash: bigint
          expiry: bigint
        }
        const index = Number(a.requestIndex)
        if (index < next) continue // seen before a restart
        if (index !== next) {
          throw new L2kitError('ZK_PRIORITY_MISMATCH', `L1 request ${index} arrived before ${next}`, {
            kind: 'critical',
          })
        }
        const request: PriorityRequest = {
          type: a.kind as PriorityRequest['type'],
          address: BigInt(a.account),
          token: a.token,
          amount: a.amount,
          account: a.kind === OpType.deposit ? 0 : a.accountIndex,
          pkHash: a.pkHash,
        }
        p = nextPriorityHash(p, request)
        if (p !== a.chainHash) {
          throw new L2kitError(
            'ZK_PRIORITY_MISMATCH',
            `L1 request ${index}'s chain hash differs from the node's`,
            {
              kind: 'critical',
              details: { l1: a.chainHash.toString(), node: p.toString() },
            },
          )
        }
        entries.push({
          index,
          request,
          hashAfter: p,
          expiry: Number(a.expiry),
          l1BlockNumber: log.blockNumber ?? 0n,
          l1TxHash: log.transactionHash ?? '0x',
        })
        next++
      }
      await store.store.transaction(() => {
        for (const e of entries) void store.requests.put(e.index, e)
        void store.meta.put('l1Cursor', to + 1n)
      })
      added += entries.length
    }
    if (added > 0) {
      this.log.info({ added, total: store.requestCount() }, 'L1 priority requests stored')
      this.m.onRequests?.()
    }
    return added
  }
}

export type ZkCommitterOptions = {
  pollMs: number
  /**
   * 'separate': `commitBlocks` as soon as a block is sealed (its data is on L1 before its proof), `verifyBlocks`
   * when proven. 'combined': one `commitAndVerifyBlocks` per batch of proven blocks — no storage slot and no second
   * transaction per block, so less L1 gas per transfer; the data reaches L1 with the proof.
   */
  mode: 'separate' | 'combined'
  /** most blocks per commitBlocks transaction */
  maxCommitBlocks: number
  /** most proofs per verifyBlocks transaction */
  maxVerifyBlocks: number
  /** wait this long for more proofs before verifying fewer than maxVerifyBlocks */
  verifyBatchWaitMs: number
}
export const defaultZkCommitterOptions: ZkCommitterOptions = {
  pollMs: 250,
  mode: 'separate',
  maxCommitBlocks: 8,
  maxVerifyBlocks: 8,
  verifyBatchWaitMs: 0,
}

export type ZkCommitterModules = ZkL1Modules & { walletClient: WalletClient }

export type L1Status = { committed: number; verified: number; exodus: boolean }

export class ZkCommitter {
  readonly options: ZkCommitterOptions
  private readonly m: ZkCommitterModules
  private readonly log: Logger
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> = Promise.resolve()
  private firstReadyAt: number | undefined
  /** gas of the last commit / verify, for status and the bench */
  readonly gas = {
    commit: [] as { blocks: number; gas: bigint }[],
    verify: [] as { blocks: number; gas: bigint }[],
    combined: [] as { blocks: number; gas: bigint }[],
  }
  private status: L1Status = { committed: 0, verified: 0, exodus: false }

  constructor(options: Partial<ZkCommitterOptions>, modules: ZkCommitterModules) {
    this.options = withDefaults(defaultZkCommitterOptions, options)
    const o = this.options
    const problems: string[] = []
    if (!isIntegerInRange(o.maxCommitBlocks, 1, 64)) problems.push('maxCommitBlocks must be in 1..64')
    if (!isIntegerInRange(o.maxVerifyBlocks, 1, 64)) problems.push('maxVerifyBlocks must be in 1..64')
    if (o.mode !== 'separate' && o.mode !== 'combined') problems.push("mode must be 'separate' or 'combined'")
    assertValidOptions('zk committer', problems)
    this.m = modules
    this.log = (modules.logger ?? silentLogger).child({ role: 'zk-committer' })
  }

  l1Status(): L1Status {
    return this.status
  }

  async start(): Promise<void> {
    await this.step()
    this.timer = setInterval(() => {
      this.running = this.running
        .then(() => this.step())
        .catch((err: unknown) => this.log.warn({ err }, 'committer step failed'))
    }, this.options.pollMs)
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    await this.running.catch(() => {})
  }

  private async read(): Promise<L1Status> {
    const { publicClient, rollup } = this.m
    const [committed, verified, exodus] = await Promise.all([
      publicClient.readContract({ address: rollup, abi: zkRollupAbi, functionName: 'totalBlocksCommitted' }),
      publicClient.readContract({ address: rollup, abi: zkRollupAbi, functionName: 'totalBlocksVerified' }),
      publicClient.readContract({ address: rollup, abi: zkRollupAbi, functionName: 'exodusMode' }),
    ])
    this.status = { committed: Number(committed), verified: Number(verified), exodus }
    return this.status
  }

  private async storedBlock(n: number): Promise<L1StoredBlock> {
    if (n === 0) {
      const g = await this.m.publicClient.readContract({
        address: this.m.rollup,
        abi: zkRollupAbi,
        functionName: 'genesisBlock',
      })
      return g as L1StoredBlock
    }
    const b = this.m.store.blocks.get(n)
    if (b === undefined)
      throw new L2kitError('ZK_PROOF_FAILED', `block ${n} is committed on L1 but not in the store`, {
        kind: 'critical',
      })
    return storedBlockOf(b)
  }

  /** One round: commit what is sealed, verify what is proven. */
  async step(): Promise<void> {
    const s = await this.read()
    if (s.exodus) return
    const sealed = this.m.store.sealedCount()
    if (this.options.mode === 'combined' && s.committed === s.verified) {
      if (sealed > s.committed) await this.commitAndVerify(s.committed, sealed)
      return
    }
    if (sealed > s.committed)
      await this.commit(s.committed, Math.min(sealed, s.committed + this.options.maxCommitBlocks))
    const after = await this.read()
    if (after.committed > after.verified) await this.verify(after.verified, after.committed)
  }

  private async send(
    functionName: 'commitBlocks' | 'verifyBlocks' | 'commitAndVerifyBlocks',
    args: readonly unknown[],
    gas?: bigint,
  ) {
    const { walletClient, publicClient, rollup } = this.m
    const account = walletClient.account
    if (account === undefined)
      throw new L2kitError('INVALID_OPTIONS', 'the committer needs a wallet with an account')
    const hash = await walletClient.writeContract({
      address: rollup,
      abi: zkRollupAbi,
      functionName,
      args: args as never,
      account,
      chain: walletClient.chain ?? null,
      ...(gas === undefined ? {} : { gas }),
    })
    const receipt = await publicClient.waitForTransactionReceipt({ hash })
    if (receipt.status !== 'success') {
      throw new L2kitError('ZK_PROOF_FAILED', `${functionName} reverted on L1 (tx ${hash})`, {
        details: { hash },
      })
    }
    return receipt
  }

  private async commit(lastCommitted: number, upTo: number): Promise<void> {
    const last = await this.storedBlock(lastCommitted)
    const blocks = []
    for (let n = lastCommitted + 1; n <= upTo; n++) {
      const b = this.m.store.blocks.get(n) as SealedBlock
      blocks.push({
        newRoot: hex32(b.newRoot),
        pubdata: `0x${Buffer.from(b.pubdata).toString('hex')}` as Hex,
      })
    }
    const receipt = await this.send('commitBlocks', [last, blocks])
    this.checkCommitments(receipt.logs)
    this.gas.commit.push({ blocks: blocks.length, gas: receipt.gasUsed })
    this.log.info(
      { blocks: `${lastCommitted + 1}..${upTo}`, gas: receipt.gasUsed.toString() },
      'blocks committed',
    )
  }

  /** L1 must have computed the node's own commitment for every block it committed (else the node is broken). */
  private checkCommitments(logs: Parameters<typeof parseEventLogs>[0]['logs']): void {
    const events = parseEventLogs({ abi: zkRollupAbi, logs, eventName: 'BlockCommitted' })
    for (const e of events) {
      const mine = storedBlockOf(this.m.store.blocks.get(e.args.blockNumber) as SealedBlock)
      if (mine.commitment !== e.args.commitment) {
        throw new L2kitError(
          'ZK_PROOF_FAILED',
          `L1 computed another commitment for block ${e.args.blockNumber}`,
          {
            kind: 'critical',
            details: { l1: e.args.commitment, node: mine.commitment },
          },
        )
      }
    }
  }

  /** Blocks `from`.. that are sealed and proven, at most maxVerifyBlocks (none while waiting for a fuller batch). */
  private readyBatch(after: number, upTo: number): number[] {
    const ready: number[] = []
    for (let n = after + 1; n <= upTo && ready.length < this.options.maxVerifyBlocks; n++) {
      if (!this.m.store.proofs.has(n)) break
      ready.push(n)
    }
    if (ready.length === 0) return ready
    const more = upTo - after > ready.length
    if (ready.length < this.options.maxVerifyBlocks && more && this.options.verifyBatchWaitMs > 0) {
      this.firstReadyAt ??= Date.now()
      if (Date.now() - this.firstReadyAt < this.options.verifyBatchWaitMs) return []
    }
    this.firstReadyAt = undefined
    return ready
  }

  private verifyArgs(ready: number[]) {
    const proofs = ready.map((n) => proofToWords(this.m.store.proofs.get(n)?.proof as never))
    const withdrawals = ready.map((n) =>
      withdrawalsForL1((this.m.store.blocks.get(n) as SealedBlock).withdrawals),
    )
    const gas = 400_000n + 120_000n * BigInt(ready.length) + 60_000n * BigInt(withdrawals.flat().length)
    return { proofs, withdrawals, gas }
  }

  private async commitAndVerify(lastVerified: number, sealed: number): Promise<void> {
    const ready = this.readyBatch(lastVerified, sealed)
    if (ready.length === 0) return
    const last = await this.storedBlock(lastVerified)
    const blocks = ready.map((n) => {
      const b = this.m.store.blocks.get(n) as SealedBlock
      return { newRoot: hex32(b.newRoot), pubdata: `0x${Buffer.from(b.pubdata).toString('hex')}` as Hex }
    })
    const { proofs, withdrawals, gas } = this.verifyArgs(ready)
    // calldata and the commit loop on top of what verifyBlocks needs
    const pubdataGas = BigInt(blocks.reduce((t, b) => t + (b.pubdata.length - 2) / 2, 0)) * 40n
    const receipt = await this.send(
      'commitAndVerifyBlocks',
      [last, blocks, proofs, withdrawals],
      gas + 100_000n * BigInt(ready.length) + pubdataGas,
    )
    this.checkCommitments(receipt.logs)
    this.gas.combined.push({ blocks: ready.length, gas: receipt.gasUsed })
    this.log.info(
      { blocks: `${ready[0]}..${ready[ready.length - 1]}`, gas: receipt.gasUsed.toString() },
      'blocks committed and verified on L1 in one transaction: final',
    )
  }

  private async verify(lastVerified: number, committed: number): Promise<void> {
    const ready = this.readyBatch(lastVerified, committed)
    if (ready.length === 0) return
    const blocks = ready.map((n) => storedBlockOf(this.m.store.blocks.get(n) as SealedBlock))
    const { proofs, withdrawals, gas } = this.verifyArgs(ready)
    const receipt = await this.send('verifyBlocks', [blocks, proofs, withdrawals], gas)
    this.gas.verify.push({ blocks: ready.length, gas: receipt.gasUsed })
    this.log.info(
      { blocks: `${ready[0]}..${ready[ready.length - 1]}`, gas: receipt.gasUsed.toString() },
      'blocks verified on L1: final',
    )
  }
}
