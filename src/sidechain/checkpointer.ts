/**
 * Checkpoints to L1 (docs/sidechain.md, "Checkpoints and the bridge"). Checkpoint `c` covers blocks
 * `c·N + 1 … (c + 1)·N` (N = `interval`): once a validator committed block `(c + 1)·N` it builds the checkpoint from
 * its own chain, signs it (EIP-712, the bridge's domain), and sends the signature to the other validators. It keeps
 * the signatures of the same content from validators of the set; with more than ⅔ of the power, the checkpoint's
 * submitter (validator `c mod n` in canonical order) sends it to the bridge at once, and every other validator
 * sends it too if L1 still lacks it `fallbackMs · rank` later — so one honest validator with L1 gas is enough.
 *
 * A withdrawal is final on L1 once its checkpoint is accepted: `proof(id)` gives what the bridge's
 * `finalizeWithdrawal` takes.
 */
import { bytesToHex, hexToBytes } from '../core/bytes.ts'
import { L2kitError } from '../core/errors.ts'
import { KeccakTree, keccakTreeRoot } from '../core/keccakTree.ts'
import type { Logger } from '../core/logger.ts'
import type { Address, Hex } from '../core/types.ts'
import type { Peer } from './network.ts'
import { type SidechainBlock, type Withdrawal, withdrawalLeaf } from './protocol/block.ts'
import {
  type BridgeDomain,
  type Checkpoint,
  checkpointKey,
  checkpointSigner,
  MAX_CHECKPOINT_WITHDRAWALS,
  packCheckpointSignatures,
  signCheckpoint,
} from './protocol/checkpoint.ts'
import { SidechainErrorCode } from './protocol/errors.ts'
import type { MessageSigner } from './protocol/messages.ts'
import type { ValidatorSet } from './protocol/validatorSet.ts'
import type { WireMessage } from './protocol/wire.ts'

/** Depth of the blocks tree and the withdrawals tree of a checkpoint. */
export const CHECKPOINT_TREE_DEPTH = 16

/** What the checkpointer reads of the chain. */
export interface CheckpointChain {
  head(): { number: bigint }
  blockAt(number: bigint): SidechainBlock | undefined
  blockHashAt(number: bigint): Hex | undefined
  /** Withdrawals of blocks `from…to` in order. */
  withdrawals(from: bigint, to: bigint): { withdrawal: Withdrawal; block: bigint }[]
  /** The block holding withdrawal `id`, if any. */
  withdrawalBlock(id: bigint): bigint | undefined
}

export interface CheckpointL1 {
  /** How many checkpoints the bridge accepted. */
  count(): Promise<bigint>
  submit(checkpoint: Checkpoint, signatures: Hex): Promise<{ txHash: Hex; gasUsed: bigint }>
}

export type CheckpointerOptions = {
  /** Blocks per checkpoint (≤ 65,536); 0 disables checkpoints. */
  interval: number
  domain: BridgeDomain
  /** A non-designated validator submits after `fallbackMs · rank` if L1 still lacks the checkpoint. */
  fallbackMs: number
  /** How often to re-read L1's checkpoint count and re-send our signature of a checkpoint still missing there. */
  pollMs: number
}

export type CheckpointRecord = {
  checkpoint: Checkpoint
  signatures: Map<Address, Hex>
  submittedTx?: Hex
  gasUsed?: bigint
}

export class Checkpointer {
  readonly options: CheckpointerOptions
  readonly #chain: CheckpointChain
  readonly #l1: CheckpointL1 | undefined
  readonly #signer: MessageSigner
  readonly #validators: () => ValidatorSet
  readonly #broadcast: (m: WireMessage) => void
  readonly #log: Logger
  readonly #records = new Map<bigint, CheckpointRecord>()
  /** Signatures that arrived before we built the checkpoint ourselves. */
  readonly #early = new Map<bigint, { checkpoint: Checkpoint; signature: Hex }[]>()
  #l1Count = 0n
  #timer: ReturnType<typeof setTimeout> | undefined
  #stopped = true
  #submitting = new Set<bigint>()
  /** Last measured gas of an accepted submission of ours. */
  lastGasUsed: bigint | undefined

  constructor(
    options: CheckpointerOptions,
    modules: {
      chain: CheckpointChain
      l1?: CheckpointL1 | undefined
      signer: MessageSigner
      validators: () => ValidatorSet
      broadcast: (m: WireMessage) => void
      logger: Logger
    },
  ) {
    this.options = options
    this.#chain = modules.chain
    this.#l1 = modules.l1
    this.#signer = modules.signer
    this.#validators = modules.validators
    this.#broadcast = modules.broadcast
    this.#log = modules.logger.child({ role: 'sidechain-checkpointer' })
  }

  get acceptedOnL1(): bigint {
    return this.#l1Count
  }

  async start(): Promise<void> {
    if (this.options.interval === 0) return
    this.#stopped = false
    await this.#poll().catch((e) => this.#log.warn({ err: e }, 'reading L1 checkpoints failed'))
    this.#schedule()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#timer !== undefined) clearTimeout(this.#timer)
  }

  #schedule(): void {
    if (this.#stopped) return
    this.#timer = setTimeout(() => {
      this.#poll()
        .catch((e) => this.#log.warn({ err: e }, 'reading L1 checkpoints failed'))
        .finally(() => this.#schedule())
    }, this.options.pollMs)
  }

  /** Re-reads L1, signs what is due and not on L1 yet, re-sends our signatures of checkpoints L1 still lacks. */
  async #poll(): Promise<void> {
    if (this.#l1 !== undefined) this.#l1Count = await this.#l1.count()
    for (const c of [...this.#records.keys()]) if (c + 16n < this.#l1Count) this.#records.delete(c)
    this.onCommitted()
    for (const [c, rec] of this.#records) {
      if (c < this.#l1Count) continue
      const mine = rec.signatures.get(this.#signer.address)
      if (mine !== undefined)
        this.#broadcast({ kind: 'checkpointSignature', checkpoint: rec.checkpoint, signature: mine })
      this.#maybeSubmit(c)
    }
  }

  /** Builds and signs every checkpoint the head completes (called after each commit). */
  onCommitted(): void {
    const n = BigInt(this.options.interval)
    if (n === 0n) return
    const head = this.#chain.head().number
    for (let c = this.#l1Count; (c + 1n) * n <= head; c++) {
      if (this.#records.has(c)) continue
      if (this.#chain.blockHashAt((c + 1n) * n) === undefined) break
      const checkpoint = this.build(c)
      const signature = signCheckpoint(this.options.domain, checkpoint, this.#signer)
      const rec: CheckpointRecord = { checkpoint, signatures: new Map() }
      this.#records.set(c, rec)
      this.#add(rec, this.#signer.address, signature)
      this.#broadcast({ kind: 'checkpointSignature', checkpoint, signature })
      this.#log.info(
        {
          checkpoint: c.toString(),
          blocks: `${checkpoint.startBlock}-${checkpoint.endBlock}`,
          withdrawals: checkpoint.withdrawalCount,
        },
        'signed a checkpoint',
      )
      for (const e of this.#early.get(c) ?? []) this.receive(undefined, e.checkpoint, e.signature)
      this.#early.delete(c)
    }
  }

  /** Checkpoint `c` as this validator's chain says it is. */
  build(c: bigint): Checkpoint {
    const n = BigInt(this.options.interval)
    const startBlock = c * n + 1n
    const endBlock = (c + 1n) * n
    const hashes: Uint8Array[] = []
    for (let b = startBlock; b <= endBlock; b++) {
      const h = this.#chain.blockHashAt(b)
      if (h === undefined)
        throw new L2kitError(SidechainErrorCode.nodeState, `block ${b} is not committed yet`)
      hashes.push(hexToBytes(h))
    }
    const end = this.#chain.blockAt(endBlock) as SidechainBlock
    const withdrawals = this.#chain.withdrawals(startBlock, endBlock)
    if (withdrawals.length > MAX_CHECKPOINT_WITHDRAWALS)
      throw new L2kitError(SidechainErrorCode.nodeState, 'too many withdrawals for one checkpoint')
    return {
      number: c,
      startBlock,
      endBlock,
      blocksRoot: bytesToHex(keccakTreeRoot(hashes, CHECKPOINT_TREE_DEPTH)),
      stateRoot: end.header.stateRoot,
      withdrawalsRoot: bytesToHex(
        keccakTreeRoot(
          withdrawals.map((w) => withdrawalLeaf(w.withdrawal)),
          CHECKPOINT_TREE_DEPTH,
        ),
      ),
      withdrawalCount: withdrawals.length,
    }
  }

  /** A peer's signature: kept when it signs the content we built and its signer is a validator. */
  receive(peer: Peer | undefined, checkpoint: Checkpoint, signature: Hex): void {
    if (checkpoint.number < this.#l1Count) return
    const rec = this.#records.get(checkpoint.number)
    if (rec === undefined) {
      const early = this.#early.get(checkpoint.number) ?? []
      if (early.length < 64 && checkpoint.number < this.#l1Count + 16n) {
        early.push({ checkpoint, signature })
        this.#early.set(checkpoint.number, early)
      }
      return
    }
    if (checkpointKey(rec.checkpoint) !== checkpointKey(checkpoint)) {
      this.#log.warn(
        { checkpoint: checkpoint.number.toString(), peer: peer?.address },
        'a validator signed a checkpoint that differs from our chain: ignored',
      )
      return
    }
    let signer: Address
    try {
      signer = checkpointSigner(this.options.domain, checkpoint, signature)
    } catch {
      return
    }
    if (!this.#validators().has(signer) || rec.signatures.has(signer)) return
    this.#add(rec, signer, signature)
    this.#maybeSubmit(checkpoint.number)
  }

  #add(rec: CheckpointRecord, signer: Address, signature: Hex): void {
    rec.signatures.set(signer, signature)
  }

  /** The power of the record's signers in the set L1 checks against now (a signer may have left it since). */
  signedPower(rec: CheckpointRecord): bigint {
    const set = this.#validators()
    let power = 0n
    for (const signer of rec.signatures.keys()) power += set.powerOf(signer)
    return power
  }

  record(c: bigint): CheckpointRecord | undefined {
    return this.#records.get(c)
  }

  #maybeSubmit(c: bigint): void {
    const l1 = this.#l1
    const rec = this.#records.get(c)
    if (l1 === undefined || rec === undefined || c !== this.#l1Count) return
    const set = this.#validators()
    if (!set.isQuorum(this.signedPower(rec)) || this.#submitting.has(c) || rec.submittedTx !== undefined)
      return
    const members = set.validators.map((v) => v.address)
    const designated = Number(c % BigInt(members.length))
    const mine = members.indexOf(this.#signer.address)
    const rank = (mine - designated + members.length) % members.length
    this.#submitting.add(c)
    const go = async () => {
      try {
        if (rank > 0 && (await l1.count()) > c) return
        // Just enough signatures, in ascending signer order: the fewer, the cheaper on L1.
        const chosen: { signer: Address; signature: Hex }[] = []
        let power = 0n
        for (const [signer, signature] of [...rec.signatures].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
          if (set.isQuorum(power)) break
          if (!set.has(signer)) continue // left the set since it signed: L1 would not count it
          chosen.push({ signer, signature })
          power += set.powerOf(signer)
        }
        const result = await l1.submit(rec.checkpoint, packCheckpointSignatures(chosen))
        rec.submittedTx = result.txHash
        rec.gasUsed = result.gasUsed
        this.lastGasUsed = result.gasUsed
        this.#l1Count = c + 1n
        this.#log.info(
          {
            checkpoint: c.toString(),
            l1TxHash: result.txHash,
            gasUsed: result.gasUsed.toString(),
            signers: chosen.length,
          },
          'checkpoint accepted on L1',
        )
        this.#maybeSubmit(c + 1n)
      } catch (e) {
        this.#log.warn(
          { checkpoint: c.toString(), err: e },
          'submitting the checkpoint failed (another validator may have)',
        )
      } finally {
        this.#submitting.delete(c)
      }
    }
    if (rank === 0) void go()
    else setTimeout(() => void go(), this.options.fallbackMs * rank)
  }

  /**
   * What `finalizeWithdrawal` needs for withdrawal `id`: the withdrawal, its checkpoint, its index there and the
   * depth-16 proof. Throws `SIDECHAIN_WITHDRAWAL_NOT_READY` until its checkpoint is accepted on L1.
   */
  proof(id: bigint): {
    withdrawal: Withdrawal
    checkpoint: bigint
    index: number
    proof: Hex
    block: bigint
  } {
    const notReady = (why: string): never => {
      throw new L2kitError(SidechainErrorCode.withdrawalNotReady, why, { kind: 'temporary' })
    }
    const block = this.#chain.withdrawalBlock(id)
    if (block === undefined) return notReady(`withdrawal ${id} is not in a committed block`)
    const n = BigInt(this.options.interval)
    if (n === 0n) return notReady('this sidechain has no checkpoints')
    const c = (block - 1n) / n
    if (c >= this.#l1Count)
      return notReady(
        `withdrawal ${id} is in block ${block}, covered by checkpoint ${c}, which L1 has not accepted yet (it has ${this.#l1Count})`,
      )
    const list = this.#chain.withdrawals(c * n + 1n, (c + 1n) * n)
    const index = list.findIndex((w) => w.withdrawal.id === id)
    if (index < 0) return notReady(`withdrawal ${id} is not in checkpoint ${c}`)
    const tree = new KeccakTree(
      list.map((w) => withdrawalLeaf(w.withdrawal)),
      CHECKPOINT_TREE_DEPTH,
    )
    return {
      withdrawal: (list[index] as { withdrawal: Withdrawal }).withdrawal,
      checkpoint: c,
      index,
      proof: tree.proof(index),
      block,
    }
  }
}
