/** `l2kit status`: heads, the last batch (L1 tx, blob hashes), proposals, verifier agreement, withdrawals. */
import { DEFAULT_L2_RPC } from '../optimistic/config.ts'
import type { BatchStatus, RollupStatusInfo } from '../optimistic/protocol/rpcSchema.ts'
import { type ParsedArgs, str } from './args.ts'
import { printJson, table } from './output.ts'
import { l2Request } from './rpc.ts'

/** What `l2kit_status` answers (the optimistic rollup's schema). */
type Status = RollupStatusInfo

export async function runStatus(args: ParsedArgs): Promise<void> {
  const s = await l2Request<Status>(str(args.values['l2-rpc']) ?? DEFAULT_L2_RPC, 'l2kit_status')
  if (args.values.json === true) {
    printJson({ ...s, verifierAgrees: s.verifier ? s.verifier.agreesWithAllProposals : null })
    return
  }
  const b = s.lastBatch
  process.stdout.write(
    `${table([
      ['L2 head (unsafe)', s.l2Head],
      ['safe head (on L1)', s.safeHead],
      ['finalized head', s.finalizedHead],
      ['deposits included', s.depositsIncluded],
      ['last batch', b ? describeBatch(b) : 'none yet'],
      ['  L1 tx', b?.l1TxHash ?? '-'],
      ...(b?.blobHashes.map((h, i) => [`  blob ${i}`, h] as [string, string]) ?? []),
      [
        'proposals',
        `${s.proposals.length} (${s.proposals.filter((p) => p.finalized).length} final; window ${s.challengeWindowSeconds} s)`,
      ],
      [
        'verifier',
        s.verifier
          ? `${describeAgreement(s.verifier)} (${s.verifier.proposalsChecked} checked, safe head ${s.verifier.safeHead})`
          : 'not running',
      ],
      ['pending withdrawals', String(s.pendingWithdrawals.length)],
    ])}\n`,
  )
}

/** "blocks 1–2" (a range, not "1+2"), forced batches marked as such. */
/** One line for a batch (only the fields it shows are needed). */
export function describeBatch(
  b: Pick<
    BatchStatus,
    'batchIndex' | 'l1TxHash' | 'isBlob' | 'blobHashes' | 'firstBlock' | 'blockCount' | 'txCount'
  > &
    Partial<Pick<BatchStatus, 'dataBytes' | 'forced'>>,
): string {
  const first = BigInt(b.firstBlock)
  const blocks =
    b.blockCount <= 0
      ? 'no blocks'
      : b.blockCount === 1
        ? `block ${first}`
        : `blocks ${first}–${first + BigInt(b.blockCount) - 1n}`
  const carrier = b.isBlob ? `${b.blobHashes.length} blob(s)` : 'calldata'
  const size =
    b.dataBytes === undefined || b.dataBytes === null ? carrier : `${b.dataBytes} bytes as ${carrier}`
  return `#${b.batchIndex}${b.forced ? ' (forced from the L1 queue)' : ''}: ${blocks}, ${b.txCount} txs, ${size}`
}

function describeAgreement(v: NonNullable<Status['verifier']>): string {
  if (v.sequencerAgreesWithL1 === false)
    return `DISAGREES: the sequencer's block at the safe head differs from what L1 implies (forked from L1)`
  if (!v.agreesWithAllProposals) return `DISAGREES with proposals ${v.disagreements.join(', ')}`
  return 'agrees with every proposed root'
}
