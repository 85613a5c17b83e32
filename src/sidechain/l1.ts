/**
 * The sidechain's L1 bindings: the validator set from the `StakeManager`, deposits followed from the
 * `SidechainBridge` with a number of confirmations, double-sign evidence sent to `slashDoubleSign`, and
 * checkpoints submitted with their signatures.
 */
import { decodeEventLog, encodeFunctionData, getAbiItem } from 'viem'
import type { Logger } from '../core/logger.ts'
import type { Address, Hex } from '../core/types.ts'
import { sidechainBridgeAbi, stakeManagerAbi } from '../generated/contracts.ts'
import type { L1PublicClient } from '../l1/clients.ts'
import type { TxManager, TxResult } from '../l1/txManager.ts'
import type { Deposit } from './protocol/block.ts'
import type { Checkpoint } from './protocol/checkpoint.ts'
import { type DoubleSignEvidence, type SignedVote, VOTE_TYPE_CODE } from './protocol/messages.ts'
import { sortValidators, type Validator } from './protocol/validatorSet.ts'
import type { DepositSource } from './validator.ts'

/** The active validators and their power (stake in wei), in canonical order. */
export async function readValidatorSet(client: L1PublicClient, stakeManager: Address): Promise<Validator[]> {
  const [addrs, powers] = (await client.readContract({
    address: stakeManager,
    abi: stakeManagerAbi,
    functionName: 'validators',
  })) as readonly [readonly Address[], readonly bigint[]]
  return sortValidators(
    addrs.map((a, i) => ({ address: a.toLowerCase() as Address, power: powers[i] as bigint })),
  )
}

const depositedEvent = getAbiItem({ abi: sidechainBridgeAbi, name: 'Deposited' })

export type DepositFollowerOptions = {
  bridge: Address
  /** L1 block to start reading from (the bridge's deployment block). */
  fromBlock: bigint
  /** A deposit counts once this many L1 blocks are on top of its block (0: its block is the head). */
  confirmations: number
  pollMs: number
}

/**
 * Follows `Deposited` from the bridge: what the proposer puts in blocks and what every validator checks a
 * proposed block's deposits against. Deposits are kept by id; only those at least `confirmations` deep count.
 */
export class DepositFollower implements DepositSource {
  readonly options: DepositFollowerOptions
  readonly #client: L1PublicClient
  readonly #log: Logger
  readonly #deposits = new Map<bigint, Deposit>()
  #cursor: bigint
  #timer: ReturnType<typeof setTimeout> | undefined
  #polling: Promise<void> | undefined
  #stopped = true

  constructor(options: DepositFollowerOptions, modules: { publicClient: L1PublicClient; logger: Logger }) {
    this.options = options
    this.#client = modules.publicClient
    this.#log = modules.logger.child({ role: 'sidechain-deposits' })
    this.#cursor = options.fromBlock
  }

  get size(): number {
    return this.#deposits.size
  }

  confirmed(fromId: bigint, max: number): Deposit[] {
    const out: Deposit[] = []
    for (let id = fromId; out.length < max; id++) {
      const d = this.#deposits.get(id)
      if (d === undefined) break
      out.push(d)
    }
    return out
  }

  get(id: bigint): Deposit | undefined {
    return this.#deposits.get(id)
  }

  async start(): Promise<void> {
    this.#stopped = false
    await this.refresh()
    this.#schedule()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    await this.#polling?.catch(() => undefined)
  }

  #schedule(): void {
    if (this.#stopped) return
    this.#timer = setTimeout(() => {
      this.refresh()
        .catch((e) => this.#log.warn({ err: e }, 'reading L1 deposits failed; retrying'))
        .finally(() => this.#schedule())
    }, this.options.pollMs)
  }

  /** Reads deposits up to the confirmed L1 head (one read at a time). */
  refresh(): Promise<void> {
    this.#polling ??= this.#poll().finally(() => {
      this.#polling = undefined
    })
    return this.#polling
  }

  async #poll(): Promise<void> {
    const head = await this.#client.getBlockNumber()
    const last = head - BigInt(this.options.confirmations)
    while (this.#cursor <= last) {
      const to = last < this.#cursor + 9_999n ? last : this.#cursor + 9_999n
      const logs = await this.#client.getLogs({
        address: this.options.bridge,
        event: depositedEvent,
        fromBlock: this.#cursor,
        toBlock: to,
      })
      for (const log of logs) {
        const { args } = decodeEventLog({ abi: sidechainBridgeAbi, data: log.data, topics: log.topics })
        const a = args as { id: bigint; from: Address; to: Address; token: Address; amount: bigint }
        this.#deposits.set(a.id, {
          id: a.id,
          from: a.from.toLowerCase() as Address,
          to: a.to.toLowerCase() as Address,
          token: a.token.toLowerCase() as Address,
          amount: a.amount,
        })
      }
      if (logs.length > 0)
        this.#log.info({ deposits: logs.length, upTo: to.toString() }, 'deposits seen on L1')
      this.#cursor = to + 1n
    }
  }
}

function l1Vote(v: SignedVote): { voteType: number; height: bigint; round: number; blockHash: Hex } {
  return { voteType: VOTE_TYPE_CODE[v.type], height: v.height, round: v.round, blockHash: v.blockHash }
}

/** Sends double-sign evidence to the StakeManager (votes only: L1 slashes conflicting votes, not proposals). */
export async function submitEvidence(
  txManager: TxManager,
  stakeManager: Address,
  evidence: DoubleSignEvidence,
): Promise<TxResult | undefined> {
  if (evidence.kind !== 'duplicateVote') return undefined
  const { first, second } = evidence
  return txManager.send({
    to: stakeManager,
    data: encodeFunctionData({
      abi: stakeManagerAbi,
      functionName: 'slashDoubleSign',
      args: [l1Vote(first), first.signature, l1Vote(second), second.signature],
    }),
    abi: stakeManagerAbi,
    label: 'slashDoubleSign',
  })
}

export function checkpointArg(cp: Checkpoint) {
  return {
    number: cp.number,
    startBlock: cp.startBlock,
    endBlock: cp.endBlock,
    blocksRoot: cp.blocksRoot,
    stateRoot: cp.stateRoot,
    withdrawalsRoot: cp.withdrawalsRoot,
    withdrawalCount: cp.withdrawalCount,
  }
}

/** Submits a checkpoint with its packed signatures (`packCheckpointSignatures`). */
export function submitCheckpoint(
  txManager: TxManager,
  bridge: Address,
  checkpoint: Checkpoint,
  signatures: Hex,
): Promise<TxResult> {
  return txManager.send({
    to: bridge,
    data: encodeFunctionData({
      abi: sidechainBridgeAbi,
      functionName: 'submitCheckpoint',
      args: [checkpointArg(checkpoint), signatures],
    }),
    abi: sidechainBridgeAbi,
    label: 'submitCheckpoint',
  })
}

/** How many checkpoints L1 has accepted. */
export async function checkpointCount(client: L1PublicClient, bridge: Address): Promise<bigint> {
  return (await client.readContract({
    address: bridge,
    abi: sidechainBridgeAbi,
    functionName: 'checkpointCount',
  })) as bigint
}
