/**
 * The optimistic rollup: heads (L2, safe, finalized), transactions per second, the latest batch and state-root
 * proposal on L1 (Rollup events, with the batch's blob hashes), the verifier's verdict, and every pending
 * withdrawal with its challenge-window countdown and a claim (Portal.finalizeWithdrawal through the SDK).
 */
import { createPublicClient, type Hex, http } from 'viem'
import { rollupAbi } from '../../../src/generated/contracts.ts'
import type { RollupStatusInfo, WithdrawalProof } from '../../../src/optimistic/protocol/rpcSchema.ts'
import { proveAndFinalizeWithdrawal } from '../../../src/sdk/optimistic/proveAndFinalizeWithdrawal.ts'
import type { OptimisticSummary } from '../config.ts'
import { eth } from '../dom.ts'
import { type Ctx, EventScanner, Panel, type PendingItem } from '../panel.ts'
import { RpcError, rpc } from '../rpc.ts'
import { addToWalletButton } from '../wallet.ts'
import { EvmHead } from './evm.ts'

export class OptimisticPanel extends Panel {
  readonly #s: OptimisticSummary
  readonly #head: EvmHead
  readonly #rollup: EventScanner
  readonly #l2Client

  constructor(ctx: Ctx, s: OptimisticSummary) {
    super('optimistic', 'Optimistic rollup', ctx, [
      addToWalletButton({ id: s.l2ChainId, name: `l2kit optimistic ${s.l2ChainId}`, rpcUrl: s.l2Rpc }),
    ])
    this.#s = s
    this.#head = new EvmHead(s.l2Rpc)
    this.#rollup = new EventScanner(ctx.wallet.publicClient, s.contracts.rollup, rollupAbi)
    this.#l2Client = createPublicClient({ transport: http(s.l2Rpc, { timeout: 10_000 }) })
  }

  async poll(): Promise<void> {
    const url = this.#s.l2Rpc
    const [status, head] = await Promise.all([rpc<RollupStatusInfo>(url, 'l2kit_status'), this.#head.poll()])
    await this.#rollup.scan()
    this.field('head', 'L2 head', head.toString())
    this.field('tps', 'transactions/s', this.#head.rate.perSecond().toFixed(1))
    this.field('txs-seen', 'txs since page opened', this.#head.rate.total)
    this.field('safe-head', 'safe head (derived from L1)', status.safeHead)
    this.field('finalized-head', 'finalized head', status.finalizedHead)
    this.field('deposits', 'deposits included', status.depositsIncluded)
    this.field(
      'verifier',
      'independent verifier',
      status.verifier === null
        ? 'not running'
        : status.verifier.agreesWithAllProposals
          ? `agrees with all ${status.verifier.proposalsChecked} proposals checked`
          : `DISAGREES: proposals ${status.verifier.disagreements.join(', ') || '—'}`,
    )
    this.field('challenge-window', 'challenge window', `${status.challengeWindowSeconds} s`)
    const proposal = this.#rollup.last('StateRootProposed')
    this.field(
      'proposal',
      'latest proposal',
      proposal === undefined
        ? 'none yet'
        : `#${proposal.args.proposalIndex} for batch ${proposal.args.batchIndex}, L2 block ${proposal.args.l2BlockNumber}`,
    )
    const batch = this.#rollup.last('BatchAppended', 'ForcedBatchAppended')
    this.l1Commitment(
      'Latest batch on L1',
      batch && {
        what:
          batch.eventName === 'ForcedBatchAppended'
            ? `forced batch ${batch.args.batchIndex}`
            : `batch ${batch.args.batchIndex}: L2 blocks ${batch.args.firstL2Block}+${batch.args.l2BlockCount} (${batch.args.isBlob ? 'blobs' : 'calldata'})`,
        txHash: batch.transactionHash,
        block: batch.blockNumber,
        blobHashes: (batch.args.blobHashes as readonly Hex[] | undefined) ?? [],
      },
    )
    this.pending('Pending withdrawals', await this.#withdrawals(status))
  }

  async #withdrawals(status: RollupStatusInfo): Promise<PendingItem[]> {
    const items: PendingItem[] = []
    for (const w of status.pendingWithdrawals) {
      const index = BigInt(w.index)
      const what = `#${w.index}: ${w.l1Token === '0x0000000000000000000000000000000000000000' ? eth(w.amount) : `${w.amount} of ${w.l1Token}`} to ${w.recipient.slice(0, 10)}…`
      let proof: WithdrawalProof
      try {
        proof = await rpc<WithdrawalProof>(this.#s.l2Rpc, 'l2kit_getWithdrawalProof', [
          `0x${index.toString(16)}`,
        ])
      } catch (err) {
        if (!(err instanceof RpcError) || !err.code.startsWith('WITHDRAWAL_')) throw err
        items.push({
          id: w.index,
          what,
          status: err.code === 'WITHDRAWAL_NOT_PROPOSED' ? 'waiting for a proposal' : 'waiting for its batch',
          claimable: false,
        })
        continue
      }
      const ready = proof.secondsToFinality === 0
      items.push({
        id: w.index,
        what,
        status: proof.finalized
          ? 'paid on L1'
          : ready
            ? 'ready to claim'
            : `in challenge window (proposal ${proof.proposalIndex})`,
        readyAt: proof.finalizesAt,
        claimable: ready && !proof.finalized,
        claim: async (l1) =>
          (
            await proveAndFinalizeWithdrawal(
              {
                l1WalletClient: l1.walletClient,
                l1PublicClient: l1.publicClient,
                l2PublicClient: this.#l2Client,
              },
              { portal: this.#s.contracts.portal, withdrawalIndex: index },
            )
          ).l1TxHash,
      })
    }
    return items
  }
}
