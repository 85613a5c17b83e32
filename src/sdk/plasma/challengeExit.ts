import type { Address, Hex, TransactionReceipt } from 'viem'
import { plasmaFrameworkAbi } from '../../generated/contracts.ts'
import { writeContractChecked } from '../l1Tx.ts'
import type { PlasmaL1Clients } from './shared.ts'

/**
 * A transaction shown included: its leaf (bytes and concatenated signatures), its transaction position
 * (`blknum · 10^9 + txIndex · 10^4`) and its 512-byte proof.
 */
export type PlasmaInclusion = { txBytes: Hex; sigs: Hex; position: bigint; proof: Hex }

/** The evidence of one challenge (docs/plasma.md, "Standard exit"). */
export type ExitChallenge =
  /** the exited output was spent: a transaction (included or not) whose input `inputIndex` is it, signed by its owner */
  | { kind: 'spent'; spendingTx: Hex; inputIndex: bigint; sig: Hex }
  /** the exiting transaction is invalid: its inclusion, and every input's creating leaf and proof (empty: none) */
  | {
      kind: 'invalid-tx'
      exiting: PlasmaInclusion
      inputTxs: Hex[]
      inputSigs: Hex[]
      inputProofs: Hex[]
    }
  /** the exiting transaction double-spends: an older included transaction spends the same input */
  | {
      kind: 'double-spend'
      exiting: PlasmaInclusion
      inputIndex: bigint
      competitor: PlasmaInclusion
      competitorInputIndex: bigint
    }

/**
 * Challenges standard exit `exitId` with the evidence that it is a cheat; the exit is deleted and its bond paid to
 * the caller. A challenge that proves nothing reverts with the contract's reason and changes nothing.
 */
export async function challengeExit(p: {
  l1: PlasmaL1Clients
  framework: Address
  exitId: bigint
  challenge: ExitChallenge
}): Promise<{ txHash: Hex; receipt: TransactionReceipt }> {
  const c = p.challenge
  const common = {
    address: p.framework,
    abi: plasmaFrameworkAbi,
    what: `Plasma challenge (${c.kind})`,
  } as const
  const sent =
    c.kind === 'spent'
      ? await writeContractChecked(p.l1, {
          ...common,
          functionName: 'challengeSpent',
          args: [p.exitId, c.spendingTx, c.inputIndex, c.sig],
        })
      : c.kind === 'invalid-tx'
        ? await writeContractChecked(p.l1, {
            ...common,
            functionName: 'challengeInvalidTx',
            args: [p.exitId, c.exiting, c.inputTxs, c.inputSigs, c.inputProofs],
          })
        : await writeContractChecked(p.l1, {
            ...common,
            functionName: 'challengeDoubleSpend',
            args: [p.exitId, c.exiting, c.inputIndex, c.competitor, c.competitorInputIndex],
          })
  return { txHash: sent.hash, receipt: sent.receipt }
}
