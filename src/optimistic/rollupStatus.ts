/**
 * The rollup's status and withdrawal API (`l2kit_status`, `l2kit_getWithdrawalProof`, `l2kit_contracts`, and
 * `l2kit status`): read from the sequencer, its chain store, the node's derivation and the independent verifier.
 */
import { L2kitError } from '../core/errors.ts'
import type { L1PublicClient } from '../l1/clients.ts'
import type { ChainStore } from './chainStore.ts'
import type { ChainConfig, RollupContracts } from './config.ts'
import type { Derivation, DerivationStart } from './derivation.ts'
import type { RollupContractsInfo, RollupStatusInfo, WithdrawalProof } from './protocol/rpcSchema.ts'
import type { Sequencer } from './sequencer.ts'

export type RollupStatusModules = {
  chain: ChainConfig
  contracts: RollupContracts
  l1RpcUrl: string
  publicClient: L1PublicClient
  sequencer: Sequencer
  store: ChainStore
  derivation: Derivation
  verifier: Derivation | undefined
  /** The Rollup's challenge window (seconds), read from L1 at start. */
  challengeWindow: () => bigint
}

export type { RollupContractsInfo } from './protocol/rpcSchema.ts'

export class RollupStatus {
  readonly #m: RollupStatusModules

  constructor(modules: RollupStatusModules) {
    this.#m = modules
  }

  /** L1 contract addresses and the L1 RPC the node uses, so tools need only the L2 URL. */
  contracts(): RollupContractsInfo {
    const m = this.#m
    return {
      l1Rpc: m.l1RpcUrl,
      l1ChainId: m.publicClient.chain.id,
      portal: m.contracts.portal,
      rollup: m.contracts.rollup,
      devToken: m.contracts.devToken ?? null,
      deployBlock: m.contracts.deployBlock.toString(),
      l2ChainId: m.chain.chainId.toString(),
      genesisTimestamp: m.chain.genesisTimestamp,
      baseFee: m.chain.baseFee.toString(),
    }
  }

  /** Rollup status for `l2kit status` and `l2kit_status`. */
  async status(): Promise<RollupStatusInfo> {
    const l1Block = await this.#m.publicClient.getBlock()
    const now = await this.#l1Now(l1Block.timestamp)
    const window = Number(this.#m.challengeWindow())
    const proposals = this.#m.derivation.proposals.filter((p) => p !== undefined)
    const finalized = [...proposals].reverse().find((p) => !p.deleted && p.proposedAt + window <= now)
    const last = this.#m.store.lastBatch()
    const derivedLast = this.#m.derivation.latestBatch()
    const forcedLast = derivedLast?.forced ? derivedLast : undefined
    const v = this.#m.verifier
    const vProposals = v ? v.proposals.filter((p) => p !== undefined) : []
    // The sequencer's block at the verifier's safe head must be the block L1 implies. When it is not (e.g. the
    // L1 lost blocks the sequencer built on), the node has forked from L1 and status must not say it agrees.
    const sequencerHashAtSafeHead = v ? (this.#m.store.getBlock(v.safeHead.number)?.hash ?? null) : null
    const sequencerAgreesWithL1 =
      !v ||
      sequencerHashAtSafeHead === v.safeHead.hash ||
      (v.safeHead.number === 0n && sequencerHashAtSafeHead === null)
    const pendingWithdrawals = this.#m.sequencer.state.withdrawals
      .filter((w) => !this.#m.derivation.finalizedWithdrawals.has(w.index))
      .map((w) => ({ ...w, index: w.index.toString(), amount: w.amount.toString() }))
    return {
      chainId: this.#m.chain.chainId.toString(),
      l1BlockNumber: l1Block.number.toString(),
      l2Head: this.#m.sequencer.head.number.toString(),
      depositsIncluded: this.#m.sequencer.state.depositCount.toString(),
      depositsQueuedOnL1: this.#m.derivation.deposits.length.toString(),
      safeHead: this.#m.derivation.safeHead.number.toString(),
      /** Whether the node's derivation resumed from its saved checkpoint at start, or derived from the deployment. */
      derivationStart: startJson(this.#m.derivation.startedFrom),
      finalizedHead: finalized ? finalized.l2BlockNumber.toString() : '0',
      challengeWindowSeconds: window,
      lastBatch:
        // A forced batch (the Rollup built it from its L1 queue) is newer than any the batcher posted.
        forcedLast && (!last || forcedLast.batchIndex > last.batchIndex)
          ? {
              batchIndex: forcedLast.batchIndex.toString(),
              l1TxHash: forcedLast.l1TxHash,
              l1BlockNumber: forcedLast.l1BlockNumber.toString(),
              isBlob: false,
              blobHashes: [],
              firstBlock: forcedLast.firstBlock.toString(),
              blockCount: forcedLast.blockCount,
              dataBytes: null,
              txCount: forcedLast.txCount,
              l1FeeWei: null,
              forced: true,
            }
          : last
            ? {
                batchIndex: last.batchIndex.toString(),
                l1TxHash: last.l1TxHash,
                l1BlockNumber: last.l1BlockNumber.toString(),
                isBlob: last.isBlob,
                blobHashes: last.blobHashes,
                firstBlock: last.firstBlock.toString(),
                blockCount: last.blockCount,
                dataBytes: last.dataBytes,
                txCount: last.txCount,
                l1FeeWei: last.l1FeeWei.toString(),
                forced: false,
              }
            : null,
      proposals: proposals.map((p) => ({
        proposalIndex: p.proposalIndex.toString(),
        batchIndex: p.batchIndex.toString(),
        l2BlockNumber: p.l2BlockNumber.toString(),
        stateRoot: p.stateRoot,
        deleted: p.deleted,
        finalized: !p.deleted && p.proposedAt + window <= now,
        secondsToFinality: Math.max(0, p.proposedAt + window - now),
      })),
      verifier: v
        ? {
            safeHead: v.safeHead.number.toString(),
            safeHeadHash: v.safeHead.hash,
            sequencerHashAtSafeHead,
            sequencerAgreesWithL1,
            proposalsChecked: vProposals.filter((p) => p.agrees !== undefined).length,
            // Agreement means with L1 too: never reported while the sequencer's chain differs at the safe head.
            agreesWithAllProposals: sequencerAgreesWithL1 && vProposals.every((p) => p.agrees !== false),
            disagreements: vProposals
              .filter((p) => p.agrees === false)
              .map((p) => p.proposalIndex.toString()),
            invalidBatches: v.batches
              .filter((b) => b && !b.valid)
              .map((b) => ({ batchIndex: b.batchIndex.toString(), reason: b.reason })),
          }
        : null,
      pendingWithdrawals,
    }
  }

  /**
   * L1 time as the next L1 block will see it. An automining devnet makes blocks only for transactions, so its
   * latest block can be far behind the clock the next block will carry; a live chain is within a slot of it.
   */
  async #l1Now(latest?: bigint): Promise<number> {
    const ts = latest ?? (await this.#m.publicClient.getBlock()).timestamp
    return Math.max(Number(ts), Math.floor(Date.now() / 1000))
  }

  /** What `Portal.finalizeWithdrawal` needs for withdrawal `index`, against the newest proposal covering it. */
  async withdrawalProof(index: bigint): Promise<WithdrawalProof> {
    const w = this.#m.derivation.state.withdrawals[Number(index)]
    if (!w) {
      throw new L2kitError(
        'WITHDRAWAL_NOT_FOUND',
        `withdrawal ${index} is not in a batch derived from L1 yet`,
        { kind: 'temporary' },
      )
    }
    const proof = this.#m.derivation.withdrawalProof(index)
    if (!proof) {
      throw new L2kitError(
        'WITHDRAWAL_NOT_PROPOSED',
        `no state root covering withdrawal ${index} has been proposed yet`,
        { kind: 'temporary' },
      )
    }
    const now = await this.#l1Now()
    const finalizesAt = proof.proposal.proposedAt + Number(this.#m.challengeWindow())
    return {
      withdrawal: {
        index: w.index.toString(),
        sender: w.sender,
        recipient: w.recipient,
        l1Token: w.l1Token,
        amount: w.amount.toString(),
      },
      withdrawalHash: proof.withdrawalHash,
      proposalIndex: proof.proposal.proposalIndex.toString(),
      stateRoot: proof.proposal.stateRoot,
      accountsRoot: proof.accountsRoot,
      siblings: proof.siblings,
      finalizesAt,
      secondsToFinality: Math.max(0, finalizesAt - now),
      finalized: this.#m.derivation.finalizedWithdrawals.has(w.index),
    }
  }
}

function startJson(s: DerivationStart): Record<string, string | number> {
  return s.from === 'checkpoint'
    ? { from: s.from, l1Block: s.l1Block.toString(), batches: s.batches, loadMs: s.loadMs }
    : { from: s.from, reason: s.reason }
}
