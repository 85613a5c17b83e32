import { type Address, type Hex, type TransactionReceipt, toHex } from 'viem'
import { isL2kitError, L2kitError } from '../../core/errors.ts'
import { sidechainBridgeAbi } from '../../generated/contracts.ts'
import { writeContractChecked } from '../l1Tx.ts'
import { type SidechainChain, type SidechainL1Clients, validatorClient } from './shared.ts'

export type SidechainWithdrawalProof = {
  withdrawal: { id: bigint; from: Address; to: Address; token: Address; amount: bigint }
  block: bigint
  checkpoint: bigint
  index: number
  proof: Hex
}

/** The proof of withdrawal `id` once its checkpoint is on L1; throws `SIDECHAIN_WITHDRAWAL_NOT_READY` before. */
export async function getSidechainWithdrawalProof(
  chain: Pick<SidechainChain, 'rpcUrl'>,
  withdrawalId: bigint,
): Promise<SidechainWithdrawalProof> {
  const r = await validatorClient(chain).request<{
    withdrawal: { id: string; from: Address; to: Address; token: Address; amount: string }
    block: string
    checkpoint: string
    index: number
    proof: Hex
  }>('sidechain_getWithdrawalProof', [toHex(withdrawalId)])
  return {
    withdrawal: { ...r.withdrawal, id: BigInt(r.withdrawal.id), amount: BigInt(r.withdrawal.amount) },
    block: BigInt(r.block),
    checkpoint: BigInt(r.checkpoint),
    index: r.index,
    proof: r.proof,
  }
}

/** A concatenated proof (32 bytes per level, bottom-up) as the `bytes32[]` the bridge's `finalizeWithdrawal` takes. */
export function proofSiblings(proof: Hex): Hex[] {
  const siblings: Hex[] = []
  for (let i = 2; i < proof.length; i += 64) siblings.push(`0x${proof.slice(i, i + 64)}`)
  return siblings
}

export type ProveAndFinalizeParameters = {
  chain: SidechainChain
  /** Who sends the L1 transaction (anyone: the withdrawal pays its recipient). */
  l1: SidechainL1Clients
  withdrawalId: bigint
  /** Wait this long for the covering checkpoint to reach L1 (default 0: fail at once when it has not). */
  waitMs?: number
  /** Poll period while waiting (default 1 s). */
  pollMs?: number
  onWait?: (message: string) => void
}

export type ProveAndFinalizeResult = {
  txHash: Hex
  receipt: TransactionReceipt
  gasUsed: bigint
  proof: SidechainWithdrawalProof
  /** From the withdrawal's request to the L1 payout, when this call waited. */
  waitedMs: number
}

/**
 * Pays a sidechain withdrawal on L1: fetches its Merkle proof against the accepted checkpoint that covers it (waiting
 * up to `waitMs` for that checkpoint) and calls `SidechainBridge.finalizeWithdrawal`. Paid once; a second call
 * reverts with `AlreadyFinalized`.
 */
export async function proveAndFinalizeSidechainWithdrawal(
  p: ProveAndFinalizeParameters,
): Promise<ProveAndFinalizeResult> {
  const started = Date.now()
  const deadline = started + (p.waitMs ?? 0)
  let proof: SidechainWithdrawalProof | undefined
  for (;;) {
    try {
      proof = await getSidechainWithdrawalProof(p.chain, p.withdrawalId)
      break
    } catch (e) {
      if (!isL2kitError(e) || e.code !== 'SIDECHAIN_WITHDRAWAL_NOT_READY' || Date.now() >= deadline) throw e
      p.onWait?.(e.message)
      await new Promise((r) => setTimeout(r, p.pollMs ?? 1_000))
    }
  }
  const w = proof.withdrawal
  const siblings: Hex[] = []
  for (let i = 2; i < proof.proof.length; i += 64) siblings.push(`0x${proof.proof.slice(i, i + 64)}`)
  if (siblings.length !== 16)
    throw new L2kitError('INVALID_PROOF', 'the validator answered a proof of the wrong depth')
  const sent = await writeContractChecked(p.l1, {
    address: p.chain.bridge,
    abi: sidechainBridgeAbi,
    functionName: 'finalizeWithdrawal',
    args: [w, proof.checkpoint, BigInt(proof.index), siblings],
    what: 'sidechain withdrawal finalization',
  })
  return {
    txHash: sent.hash,
    receipt: sent.receipt,
    gasUsed: sent.receipt.gasUsed,
    proof,
    waitedMs: Date.now() - started,
  }
}
