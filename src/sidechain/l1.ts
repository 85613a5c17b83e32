/**
 * The sidechain's L1 bindings: the validator set of every `StakeManager` epoch and the deposits of the
 * `SidechainBridge`, followed with a number of confirmations, double-sign evidence sent to `slashDoubleSign`, and
 * checkpoints submitted with their signatures.
 */
import { encodeFunctionData, getAbiItem } from 'viem'
import type { Logger } from '../core/logger.ts'
import type { Address, Hex } from '../core/types.ts'
import { sidechainBridgeAbi, stakeManagerAbi } from '../generated/contracts.ts'
import type { L1PublicClient } from '../l1/clients.ts'
import { LogFollower } from '../l1/logFollower.ts'
import type { TxManager, TxResult } from '../l1/txManager.ts'
import type { Deposit } from './protocol/block.ts'
import type { Checkpoint } from './protocol/checkpoint.ts'
import { type DoubleSignEvidence, type SignedVote, VOTE_TYPE_CODE } from './protocol/messages.ts'
import { type EpochSet, sortValidators, type Validator } from './protocol/validatorSet.ts'
import type { DepositSource, StakeSource } from './validator.ts'

/** The active validators and their power (stake in wei), in canonical order, with the epoch, at one L1 block. */
export async function readValidatorSet(
  client: L1PublicClient,
  stakeManager: Address,
  blockNumber?: bigint,
): Promise<EpochSet> {
  const at = blockNumber ?? (await client.getBlockNumber({ cacheTime: 0 }))
  const [[addrs, powers], epoch] = (await Promise.all([
    client.readContract({
      address: stakeManager,
      abi: stakeManagerAbi,
      functionName: 'validators',
      blockNumber: at,
    }),
    client.readContract({
      address: stakeManager,
      abi: stakeManagerAbi,
      functionName: 'epoch',
      blockNumber: at,
    }),
  ])) as [readonly [readonly Address[], readonly bigint[]], bigint]
  return {
    epoch,
    validators: sortValidators(
      addrs.map((a, i) => ({ address: a.toLowerCase() as Address, power: powers[i] as bigint })),
    ),
  }
}

const depositedEvent = getAbiItem({ abi: sidechainBridgeAbi, name: 'Deposited' })
const powerChangedEvent = getAbiItem({ abi: stakeManagerAbi, name: 'PowerChanged' })
const FOLLOWED_EVENTS = [depositedEvent, powerChangedEvent] as const

/** Epoch snapshots kept for checking proposals (a proposal can only name an epoch after the chain's current one). */
const KEPT_EPOCHS = 256

export type SidechainL1FollowerOptions = {
  bridge: Address
  stakeManager: Address
  /** L1 block to start reading from (the contracts' deployment block: every `PowerChanged` is after it). */
  fromBlock: bigint
  /** An event counts once this many L1 blocks are on top of its block (0: its block is the head). */
  confirmations: number
  pollMs: number
}

type PowerChange = { blockNumber: bigint; validator: Address; power: bigint; epoch: bigint }

/**
 * Follows the bridge's `Deposited` and the StakeManager's `PowerChanged` (through `l1/LogFollower`: confirmations,
 * reorgs) — what a proposer puts in blocks and what every validator checks a proposed block against: deposits by id,
 * and the validator set of every epoch, rebuilt from the power changes since deployment.
 */
export class SidechainL1Follower implements DepositSource, StakeSource {
  readonly options: SidechainL1FollowerOptions
  readonly #log: Logger
  readonly #follower: LogFollower<typeof FOLLOWED_EVENTS>
  readonly #deposits = new Map<bigint, Deposit & { blockNumber: bigint }>()
  /** Every power change followed (replayed after a reorg), and the powers after the last one. */
  #changes: PowerChange[] = []
  readonly #powers = new Map<Address, bigint>()
  readonly #sets = new Map<bigint, Validator[]>()
  #latest: EpochSet | undefined

  constructor(
    options: SidechainL1FollowerOptions,
    modules: { publicClient: L1PublicClient; logger: Logger },
  ) {
    this.options = options
    this.#log = modules.logger.child({ role: 'sidechain-l1-follower' })
    this.#follower = new LogFollower(
      {
        addresses: [options.bridge, options.stakeManager],
        events: FOLLOWED_EVENTS,
        fromBlock: options.fromBlock,
        confirmations: options.confirmations,
        pollingIntervalMs: options.pollMs,
        maxBlockRange: 10_000n,
      },
      {
        publicClient: modules.publicClient,
        logger: this.#log,
        handler: {
          onLogs: (logs) => this.#onLogs(logs),
          onReorg: (e) => this.#onReorg(e.commonAncestor),
          onError: (err) => this.#log.error({ err }, 'following L1 stopped'),
        },
      },
    )
  }

  get size(): number {
    return this.#deposits.size
  }

  confirmed(fromId: bigint, max: number): Deposit[] {
    const out: Deposit[] = []
    for (let id = fromId; out.length < max; id++) {
      const d = this.#deposits.get(id)
      if (d === undefined) break
      out.push(depositOf(d))
    }
    return out
  }

  get(id: bigint): Deposit | undefined {
    const d = this.#deposits.get(id)
    return d === undefined ? undefined : depositOf(d)
  }

  latest(): EpochSet | undefined {
    return this.#latest
  }

  setAt(epoch: bigint): Validator[] | undefined {
    return this.#sets.get(epoch)
  }

  async start(): Promise<void> {
    await this.refresh()
    this.#follower.start()
  }

  stop(): Promise<void> {
    return this.#follower.stop()
  }

  /** Reads L1 up to the confirmed head now (one read at a time). */
  async refresh(): Promise<void> {
    await this.#follower.poll()
  }

  #onLogs(logs: readonly { eventName: string; args: unknown; blockNumber: bigint }[]): void {
    let deposits = 0
    let changed = false
    for (const log of logs) {
      if (log.eventName === 'Deposited') {
        const a = log.args as { id: bigint; from: Address; to: Address; token: Address; amount: bigint }
        this.#deposits.set(a.id, {
          id: a.id,
          from: a.from.toLowerCase() as Address,
          to: a.to.toLowerCase() as Address,
          token: a.token.toLowerCase() as Address,
          amount: a.amount,
          blockNumber: log.blockNumber,
        })
        deposits++
      } else if (log.eventName === 'PowerChanged') {
        const a = log.args as { validator: Address; power: bigint; epoch: bigint }
        const change = {
          blockNumber: log.blockNumber,
          validator: a.validator.toLowerCase() as Address,
          power: a.power,
          epoch: a.epoch,
        }
        this.#changes.push(change)
        this.#apply(change)
        changed = true
      }
    }
    if (deposits > 0) this.#log.info({ deposits }, 'deposits seen on L1')
    if (changed)
      this.#log.info(
        { epoch: this.#latest?.epoch.toString(), validators: this.#latest?.validators.length },
        'the L1 validator set changed',
      )
  }

  /** Applies one power change and keeps the set after it as its epoch's (StakeManager: one change per epoch). */
  #apply(c: PowerChange): void {
    if (c.power === 0n) this.#powers.delete(c.validator)
    else this.#powers.set(c.validator, c.power)
    const validators = sortValidators([...this.#powers].map(([address, power]) => ({ address, power })))
    this.#sets.set(c.epoch, validators)
    if (this.#sets.size > KEPT_EPOCHS) this.#sets.delete(this.#sets.keys().next().value as bigint)
    if (this.#latest === undefined || c.epoch >= this.#latest.epoch)
      this.#latest = { epoch: c.epoch, validators }
  }

  #onReorg(commonAncestor: bigint): void {
    for (const [id, d] of this.#deposits) if (d.blockNumber > commonAncestor) this.#deposits.delete(id)
    this.#changes = this.#changes.filter((c) => c.blockNumber <= commonAncestor)
    this.#powers.clear()
    this.#sets.clear()
    this.#latest = undefined
    for (const c of this.#changes) this.#apply(c)
    this.#log.warn(
      { commonAncestor: commonAncestor.toString() },
      'L1 reorganized: re-reading deposits and stake',
    )
  }
}

function depositOf(d: Deposit & { blockNumber: bigint }): Deposit {
  return { id: d.id, from: d.from, to: d.to, token: d.token, amount: d.amount }
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
