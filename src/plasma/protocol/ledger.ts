/**
 * The validity rules of a transfer against a set of outputs (docs/plasma.md, "A transfer is valid when"), shared by
 * the operator (what it accepts), the watcher (what it checks in every block) and the SDK. Pure: the caller passes
 * how to look an output up.
 */
import { bytesToHex } from '../../core/bytes.ts'
import { L2kitError } from '../../core/errors.ts'
import type { Address, Hex } from '../../core/types.ts'
import { PlasmaErrorCode } from './errors.ts'
import {
  decodeUtxoPos,
  type PlasmaDomain,
  type PlasmaOutput,
  type SignedPlasmaTx,
  signerOfInput,
  structureProblem,
  txDigest,
  txHashOf,
} from './tx.ts'

/** What a lookup knows of an output: unknown (undefined), unspent, or spent by a transaction. */
export type OutputState = { output: PlasmaOutput; spentBy?: Hex }

export type CheckedTransfer = { txHash: Uint8Array; txHashHex: Hex; digest: Uint8Array }

/**
 * Checks a signed transfer: structure, every input known and unspent, one valid signature per input by its owner,
 * per token inputs = outputs. Returns the hashes; throws an L2kitError with the first problem's code.
 */
export function checkTransfer(
  domain: PlasmaDomain,
  signed: SignedPlasmaTx,
  lookup: (pos: bigint) => OutputState | undefined,
): CheckedTransfer {
  const { tx, sigs } = signed
  const problem = structureProblem(tx)
  if (problem !== undefined)
    throw new L2kitError(PlasmaErrorCode.malformedTx, `malformed Plasma transaction: ${problem}`)
  if (sigs.length !== tx.inputs.length) {
    throw new L2kitError(
      PlasmaErrorCode.badSignature,
      `a transaction needs one signature per input: ${tx.inputs.length} inputs, ${sigs.length} signatures`,
    )
  }
  const digest = txDigest(domain, tx)
  const txHash = txHashOf(tx)
  const sums = new Map<Address, bigint>()
  tx.inputs.forEach((pos, i) => {
    const state = lookup(pos)
    if (state === undefined) {
      const p = decodeUtxoPos(pos)
      throw new L2kitError(
        PlasmaErrorCode.unknownInput,
        `input ${i} (block ${p.blknum}, tx ${p.txIndex}, output ${p.oIndex}) is not a known output`,
        { details: { input: pos.toString() } },
      )
    }
    if (state.spentBy !== undefined) {
      throw new L2kitError(
        PlasmaErrorCode.spentInput,
        `input ${i} (${pos}) was already spent by ${state.spentBy}`,
        {
          details: { input: pos.toString(), spentBy: state.spentBy },
        },
      )
    }
    const signer = signerOfInput(digest, sigs[i] as Hex)
    if (signer !== state.output.owner.toLowerCase()) {
      throw new L2kitError(
        PlasmaErrorCode.badSignature,
        `input ${i} is owned by ${state.output.owner}, but its signature is by ${signer}`,
        { details: { input: pos.toString(), owner: state.output.owner, signer } },
      )
    }
    const token = state.output.token.toLowerCase() as Address
    sums.set(token, (sums.get(token) ?? 0n) + state.output.amount)
  })
  for (const o of tx.outputs) {
    const token = o.token.toLowerCase() as Address
    sums.set(token, (sums.get(token) ?? 0n) - o.amount)
  }
  for (const [token, diff] of sums) {
    if (diff !== 0n) {
      throw new L2kitError(
        PlasmaErrorCode.unbalanced,
        diff < 0n
          ? `outputs exceed inputs by ${-diff} of token ${token}`
          : `inputs exceed outputs by ${diff} of token ${token} (there is no fee: add a change output)`,
        { details: { token, difference: diff.toString() } },
      )
    }
  }
  return { txHash, txHashHex: bytesToHex(txHash), digest }
}
