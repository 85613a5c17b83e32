/**
 * The validity rules of a transfer against a set of outputs (docs/plasma.md, "A transfer is valid when"), shared by
 * the operator (what it accepts), the watcher (what it checks in every block) and the SDK. Pure: the caller passes
 * how to look an output up.
 */
import { bytesToBigint, bytesToHex, hexToBytes } from '../../core/bytes.ts'
import { L2kitError } from '../../core/errors.ts'
import { keccak256 } from '../../core/hash.ts'
import { SECP256K1_HALF_N, SECP256K1_N } from '../../core/signature.ts'
import type { Address, Hex } from '../../core/types.ts'
import { PlasmaErrorCode } from './errors.ts'
import {
  decodeUtxoPos,
  encodeTx,
  type PlasmaDomain,
  type PlasmaOutput,
  type SignedPlasmaTx,
  signerOfInput,
  structureProblem,
  txDigest,
} from './tx.ts'

/** What a lookup knows of an output: unknown (undefined), unspent, or spent by a transaction. */
/** `spentBy`: the spending transaction's hash, or `exit` for an output being exited on L1. */
export type OutputState = { output: PlasmaOutput; spentBy?: Hex | 'exit' }

export type CheckedTransfer = { txHash: Uint8Array; txHashHex: Hex; txBytes: Uint8Array; digest: Uint8Array }

/** What can be computed before the UTXO set is read: the bytes, hashes and each input's signer (recovered elsewhere). */
export type PreparedTransfer = {
  txBytes: Uint8Array
  txHash: Uint8Array
  digest: Uint8Array
  signers: readonly Address[]
}

/** A 65-byte signature split for recovery, after the checks OpenZeppelin's ECDSA makes (length, r, low s, v). */
export function splitSignature(sig: Hex): { rs: Uint8Array; yParity: 0 | 1 } {
  const bad = (why: string): never => {
    throw new L2kitError(PlasmaErrorCode.badSignature, `bad signature: ${why}`)
  }
  if (typeof sig !== 'string' || !/^0x[0-9a-fA-F]{130}$/.test(sig))
    bad('expected 65 bytes as 0x-prefixed hex')
  const b = hexToBytes(sig)
  const r = bytesToBigint(b.subarray(0, 32))
  const s = bytesToBigint(b.subarray(32, 64))
  const v = b[64] as number
  if (r === 0n || r >= SECP256K1_N) bad('r out of range')
  if (s === 0n || s > SECP256K1_HALF_N) bad('s is zero or in the upper half of the curve order (EIP-2)')
  if (v !== 27 && v !== 28) bad(`v must be 27 or 28, got ${v}`)
  return { rs: b.subarray(0, 64), yParity: v === 28 ? 1 : 0 }
}

/**
 * Checks a signed transfer: structure, every input known and unspent, one valid signature per input by its owner,
 * per token inputs = outputs. Returns the hashes; throws an L2kitError with the first problem's code.
 */
export function checkTransfer(
  domain: PlasmaDomain,
  signed: SignedPlasmaTx,
  lookup: (pos: bigint) => OutputState | undefined,
  prepared?: PreparedTransfer,
): CheckedTransfer {
  const { tx, sigs } = signed
  checkShape(signed)
  const digest = prepared?.digest ?? txDigest(domain, tx)
  const txBytes = prepared?.txBytes ?? encodeTx(tx)
  const txHash = prepared?.txHash ?? keccak256(txBytes)
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
        state.spentBy === 'exit'
          ? `input ${i} (${pos}) is being exited on L1`
          : `input ${i} (${pos}) was already spent by ${state.spentBy}`,
        {
          details: { input: pos.toString(), spentBy: state.spentBy },
        },
      )
    }
    const signer = prepared?.signers[i] ?? signerOfInput(digest, sigs[i] as Hex)
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
  return { txHash, txHashHex: bytesToHex(txHash), txBytes, digest }
}

/** Structure and one signature per input; throws PLASMA_MALFORMED_TX or PLASMA_BAD_SIGNATURE. */
export function checkShape(signed: SignedPlasmaTx): void {
  const problem = structureProblem(signed.tx)
  if (problem !== undefined) {
    throw new L2kitError(PlasmaErrorCode.malformedTx, `malformed Plasma transaction: ${problem}`)
  }
  if (signed.sigs.length !== signed.tx.inputs.length) {
    throw new L2kitError(
      PlasmaErrorCode.badSignature,
      `a transaction needs one signature per input: ${signed.tx.inputs.length} inputs, ${signed.sigs.length} signatures`,
    )
  }
}
