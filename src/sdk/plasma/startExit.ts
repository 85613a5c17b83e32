import { type Address, type Hex, parseEventLogs, type TransactionReceipt } from 'viem'
import { L2kitError } from '../../core/errors.ts'
import { plasmaFrameworkAbi } from '../../generated/contracts.ts'
import { sigsBytes } from '../../plasma/protocol/tx.ts'
import { writeContractChecked } from '../l1Tx.ts'
import { operatorClient, type PlasmaChain, PlasmaErrorCode, type PlasmaL1Clients } from './shared.ts'

export type StartExitParameters = {
  l1: PlasmaL1Clients
  chain: PlasmaChain
  /** the output to exit (yours) */
  utxoPos: bigint
  /** the creating transaction with its signatures and proof; default: asked from the operator */
  evidence?: { txBytes: Hex; sigs: Hex[]; proof: Hex }
}

export type StartExitResult = {
  exitId: bigint
  exitableAt: bigint
  amount: bigint
  token: Address
  txHash: Hex
  receipt: TransactionReceipt
  bond: bigint
}

/**
 * Starts a standard exit of one of your outputs: the transaction that created it, its signatures and its inclusion
 * proof (from the operator, or your own copy when the operator withholds), with the bond. Paid to you by
 * `processExits` after the exit period unless someone proves the output spent or invalid (then the bond is lost).
 */
export async function startExit(p: StartExitParameters): Promise<StartExitResult> {
  const evidence = p.evidence ?? (await evidenceFromOperator(p.chain, p.utxoPos))
  const bond = (await p.l1.publicClient.readContract({
    address: p.chain.framework,
    abi: plasmaFrameworkAbi,
    functionName: 'standardExitBond',
  })) as bigint
  const sent = await writeContractChecked(p.l1, {
    address: p.chain.framework,
    abi: plasmaFrameworkAbi,
    functionName: 'startStandardExit',
    args: [p.utxoPos, evidence.txBytes, sigsBytes(evidence.sigs), evidence.proof],
    value: bond,
    what: 'Plasma exit',
  })
  const [event] = parseEventLogs({
    abi: plasmaFrameworkAbi,
    logs: sent.receipt.logs,
    eventName: 'ExitStarted',
  })
  if (event === undefined)
    throw new L2kitError('L1_TX_REVERTED', `exit ${sent.hash} emitted no ExitStarted event`)
  const a = event.args as { exitId: bigint; exitableAt: bigint; amount: bigint; token: Address }
  return {
    exitId: a.exitId,
    exitableAt: BigInt(a.exitableAt),
    amount: a.amount,
    token: a.token,
    txHash: sent.hash,
    receipt: sent.receipt,
    bond,
  }
}

/** The creating transaction of an output and its inclusion proof, as the operator serves them. */
export async function evidenceFromOperator(
  chain: Pick<PlasmaChain, 'operatorUrl'>,
  utxoPos: bigint,
): Promise<{ txBytes: Hex; sigs: Hex[]; proof: Hex }> {
  const rec = await operatorClient(chain).request<{
    txBytes: Hex
    sigs: Hex[]
    proof: Hex
    committed: boolean
  }>('plasma_getExitData', [utxoPos.toString()])
  if (!rec.committed) {
    throw new L2kitError(
      PlasmaErrorCode.blockUnavailable,
      `output ${utxoPos} is not in a block committed to L1 yet; wait for the next block`,
      { kind: 'temporary' },
    )
  }
  return { txBytes: rec.txBytes, sigs: rec.sigs, proof: rec.proof }
}
