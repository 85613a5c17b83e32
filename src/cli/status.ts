/** `l2kit status`: heads, the last batch (L1 tx, blob hashes), proposals, verifier agreement, withdrawals. */
import type { FlagSpec, ParsedArgs } from './args.ts'
import { connectL2, l2Flags } from './l2Context.ts'
import { printJson, table } from './output.ts'

export const statusFlags: FlagSpec = { ...l2Flags }

type Status = {
  l2Head: string
  safeHead: string
  finalizedHead: string
  challengeWindowSeconds: number
  depositsIncluded: string
  lastBatch: null | {
    batchIndex: string
    l1TxHash: string
    isBlob: boolean
    blobHashes: string[]
    firstBlock: string
    blockCount: number
    dataBytes: number
    txCount: number
  }
  proposals: { proposalIndex: string; finalized: boolean; secondsToFinality: number }[]
  verifier: null | {
    safeHead: string
    agreesWithAllProposals: boolean
    proposalsChecked: number
    disagreements: string[]
  }
  pendingWithdrawals: unknown[]
}

export async function runStatus(args: ParsedArgs): Promise<void> {
  const ctx = await connectL2(args)
  const s = (await ctx.l2Public.request({ method: 'l2kit_status' as 'eth_chainId' })) as unknown as Status
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
      [
        'last batch',
        b
          ? `#${b.batchIndex}: blocks ${b.firstBlock}+${b.blockCount}, ${b.txCount} txs, ${b.dataBytes} bytes as ${b.isBlob ? `${b.blobHashes.length} blob(s)` : 'calldata'}`
          : 'none yet',
      ],
      ['  L1 tx', b?.l1TxHash ?? '-'],
      ...(b?.blobHashes.map((h, i) => [`  blob ${i}`, h] as [string, string]) ?? []),
      [
        'proposals',
        `${s.proposals.length} (${s.proposals.filter((p) => p.finalized).length} final; window ${s.challengeWindowSeconds} s)`,
      ],
      [
        'verifier',
        s.verifier
          ? `${s.verifier.agreesWithAllProposals ? 'agrees with every proposed root' : `DISAGREES with proposals ${s.verifier.disagreements.join(', ')}`} (${s.verifier.proposalsChecked} checked, safe head ${s.verifier.safeHead})`
          : 'not running',
      ],
      ['pending withdrawals', String(s.pendingWithdrawals.length)],
    ])}\n`,
  )
}
