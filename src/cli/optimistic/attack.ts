/**
 * One attack on a running devnet, end to end: a user deposits, transfers and withdraws on L2; the operator posts a
 * wrong proposal of the chosen kind (and, for two kinds, bad batch data); the challenger must delete it on L1,
 * slash the bond, and a withdrawal proven against the bad root must be refused. Shared by `l2kit demo --attack`
 * and the adversarial end-to-end tests, so both show exactly the same thing.
 */
import {
  type Address,
  createPublicClient,
  createWalletClient,
  encodeFunctionData,
  type Hex,
  http,
  parseEther,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { GAS, L2_BRIDGE_ADDRESS } from '../../core/constants.ts'
import { L2kitError } from '../../core/errors.ts'
import { portalAbi, rollupAbi } from '../../generated/contracts.ts'
import type { ChallengeResult } from '../../optimistic/challenger.ts'
import type { Devnet } from '../../optimistic/devnet.ts'
import { waitFor } from '../../optimistic/devnet.ts'
import { FAULT_DESCRIPTIONS, type FaultKind, faultCorruptsBatch } from '../../optimistic/faults.ts'
import { defineL2Chain } from '../../sdk/defineL2Chain.ts'
import { depositEth } from '../../sdk/optimistic/depositEth.ts'
import { getL2Balance } from '../../sdk/optimistic/getL2Balance.ts'
import { l2BridgeAbi } from '../../sdk/optimistic/initiateWithdrawal.ts'

export type AttackReport = {
  family: 'optimistic'
  attack: FaultKind
  /** Wei of honest users' funds the attack took (null if the withdrawal against the bad root was not refused). */
  honestFundsLost: string | null
  /** Gas of the proof (same as `proofGas`). */
  gas: number
  fault: FaultKind
  description: string
  /** The wrong proposal was deleted by a challenge inside its window. */
  caught: boolean
  /** The challenge that caught it: `traceBounds`, `stepCount` or `step`, and its step / bound / proven count. */
  challengeKind?: string
  challengeStep?: number
  challengeReason?: string
  /** Gas of the L1 transaction that proved the fault. */
  proofGas: number
  /** The wrong proposal's bond was slashed (half to the challenger, the rest burnt). */
  bondSlashed: boolean
  proposalBondWei: string
  challengerPayoutWei: string
  burntWei: string
  /** A withdrawal proof that checks against the wrong root was refused by the portal after the deletion. */
  withdrawalAgainstBadRootRejected: boolean
  rejection?: string
  badProposalIndex: string
  batchIndex: string
  /** Seconds from the L1 block of the wrong proposal to the L1 block of its deletion. */
  secondsToDeletion: number
  challengeWindowSeconds: number
  /** An honest proposal for the same batch followed and agrees with derivation. */
  honestReproposal: boolean
}

export type AttackParameters = {
  /** Funded on L1; deposits, transfers and withdraws on L2. */
  userKey: Hex
  /** Receives the L2 transfer. */
  recipient: Address
  timeoutMs?: number
  onStep?: (message: string) => void
}

export async function runAttack(devnet: Devnet, kind: FaultKind, p: AttackParameters): Promise<AttackReport> {
  const step = p.onStep ?? (() => undefined)
  const timeout = p.timeoutMs ?? 120_000
  const node = devnet.node
  const challenger = node.challenger
  if (!challenger)
    throw new L2kitError('NO_CHALLENGER', 'the devnet runs no challenger: nothing would catch the attack')
  const l1 = devnet.l1.publicClient
  const { rollup, portal } = devnet.contracts
  const user = privateKeyToAccount(p.userKey)
  const l1Wallet = createWalletClient({ account: user, chain: l1.chain, transport: http(devnet.l1Rpc) })
  const chain = defineL2Chain({ chainId: Number(devnet.chain.chainId), rpcUrl: devnet.l2Rpc })
  const l2Public = createPublicClient({ chain, transport: http(devnet.l2Rpc) })

  step('the user deposits 5 ETH through the portal')
  const before = await getL2Balance(l2Public, { address: user.address })
  await depositEth({ walletClient: l1Wallet, publicClient: l1 }, { portal, amount: parseEther('5') })
  await waitFor(
    async () => (await getL2Balance(l2Public, { address: user.address })) >= before + parseEther('5'),
    timeout,
    'deposit on L2',
  )
  // Let everything so far be batched and honestly proposed, so the fault lands in a batch of its own.
  await waitFor(
    () => {
      const b = node.derivation.latestBatch()
      const live = node.derivation.latestLiveProposal()
      return (
        b !== undefined && node.sequencer.head.number <= b.l2BlockNumber && live?.batchIndex === b.batchIndex
      )
    },
    timeout,
    'the deposit batched and proposed',
  )
  const window = Number(
    await l1.readContract({ address: rollup, abi: rollupAbi, functionName: 'challengeWindow' }),
  )
  const proposalBond = await l1.readContract({
    address: rollup,
    abi: rollupAbi,
    functionName: 'proposalBond',
  })

  step(`arming the fault: ${FAULT_DESCRIPTIONS[kind]}`)
  node.proposer.injectFault({ kind, attacker: devnet.operator })
  if (faultCorruptsBatch(kind)) node.batcher.injectFault(kind)
  const faultsBefore = node.proposer.faulty.length

  step('the user withdraws 1 ETH and transfers 0.5 ETH on L2')
  // Signed up front and sent back to back so both land in one block, hence one batch: the faulty proposal's
  // batch then holds the withdrawal that the attack proves against the wrong root. The withdrawal goes first:
  // skip-tx leaves out the transfer after it, which (same sender, next nonce) would otherwise take it down too.
  const nonce = await l2Public.getTransactionCount({ address: user.address })
  const fees = { maxFeePerGas: devnet.chain.baseFee * 2n, maxPriorityFeePerGas: 0n, type: 'eip1559' as const }
  const chainId = Number(devnet.chain.chainId)
  const withdrawal = await user.signTransaction({
    to: L2_BRIDGE_ADDRESS,
    value: parseEther('1'),
    data: encodeFunctionData({ abi: l2BridgeAbi, functionName: 'withdrawETH', args: [user.address] }),
    nonce,
    gas: GAS.withdrawEth,
    chainId,
    ...fees,
  })
  const transfer = await user.signTransaction({
    to: p.recipient,
    value: parseEther('0.5'),
    nonce: nonce + 1,
    gas: GAS.ethTransfer,
    chainId,
    ...fees,
  })
  await l2Public.sendRawTransaction({ serializedTransaction: withdrawal })
  const transferHash = await l2Public.sendRawTransaction({ serializedTransaction: transfer })
  await l2Public.waitForTransactionReceipt({ hash: transferHash })

  await waitFor(() => node.proposer.faulty.length > faultsBefore, timeout, 'the wrong proposal')
  const bad = node.proposer.faulty[node.proposer.faulty.length - 1] as (typeof node.proposer.faulty)[number]
  step(`wrong proposal ${bad.proposalIndex} posted for batch ${bad.batchIndex}; waiting for the challenger`)

  let result: ChallengeResult | undefined
  await waitFor(
    () => {
      result = challenger.results.find((r) => r.proposalIndex === bad.proposalIndex && r.won)
      return result !== undefined
    },
    Math.max(timeout, window * 1000),
    'the challenger to catch the wrong proposal',
    200,
  )
  const won = result as ChallengeResult
  const onChain = await l1.readContract({
    address: rollup,
    abi: rollupAbi,
    functionName: 'getProposal',
    args: [bad.proposalIndex],
  })
  const proposedAt = Number(onChain.proposedAt)
  const deletionReceipt = await l1.getTransactionReceipt({ hash: won.l1TxHash })
  const deletedAt = Number((await l1.getBlock({ blockNumber: deletionReceipt.blockNumber })).timestamp)
  step(`caught by a ${won.kind} challenge (step ${won.step}, ${won.gasUsed} gas); proposal deleted`)

  // A withdrawal in the forged state, proven against the forged root: the portal must refuse it now, and forever.
  const forged = bad.forged.state
  let rejected = false
  let rejection: string | undefined
  // Every kind leaves the user's withdrawal in the forged state (skip-tx skips the transfer): never report a
  // default when nothing was tried.
  if (forged.withdrawals.length === 0)
    throw new L2kitError(
      'ATTACK_SETUP',
      `the forged state of the ${kind} attack holds no withdrawal: nothing to prove against the wrong root`,
    )
  {
    const proof = forged.withdrawalProof(forged.withdrawals.length - 1)
    if (proof.stateRoot.toLowerCase() !== onChain.stateRoot.toLowerCase())
      throw new L2kitError('ATTACK_SETUP', 'the forged withdrawal proof does not match the wrong root')
    try {
      await l1.simulateContract({
        address: portal,
        // The refusal comes from the Rollup (finalizedStateRoot) and bubbles up through the portal.
        abi: [...portalAbi, ...rollupAbi.filter((x) => x.type === 'error')],
        functionName: 'finalizeWithdrawal',
        args: [bad.proposalIndex, proof.withdrawal, proof.accountsRoot, proof.siblings as never],
        account: user.address,
      })
    } catch (err) {
      rejection = errorName(err)
      rejected = /ProposalNotFinalized/.test(rejection)
    }
  }

  step('waiting for the honest proposer to propose the batch again')
  let honest = false
  try {
    await waitFor(
      () =>
        node.derivation.proposals.some(
          (q) =>
            q &&
            q.batchIndex === bad.batchIndex &&
            !q.deleted &&
            q.proposalIndex > bad.proposalIndex &&
            q.agrees === true,
        ),
      timeout,
      'an honest re-proposal',
    )
    honest = true
  } catch {
    honest = false
  }
  const after = await l1.readContract({
    address: rollup,
    abi: rollupAbi,
    functionName: 'getProposal',
    args: [bad.proposalIndex],
  })
  return {
    // The keys every family's attack demo ends with (DESIGN: family, attack, caught, honestFundsLost, gas).
    family: 'optimistic',
    attack: kind,
    // The only way the bad root could take funds is a withdrawal proven against it; the portal refused it.
    honestFundsLost: rejected ? '0' : null,
    gas: Number(won.gasUsed),
    fault: kind,
    description: FAULT_DESCRIPTIONS[kind],
    caught: after.deleted && deletedAt - proposedAt <= window,
    challengeKind: won.kind,
    challengeStep: won.step,
    challengeReason: won.reason,
    proofGas: Number(won.gasUsed),
    bondSlashed: after.slashed && won.burntWei > 0n,
    proposalBondWei: proposalBond.toString(),
    challengerPayoutWei: won.payoutWei.toString(),
    burntWei: won.burntWei.toString(),
    withdrawalAgainstBadRootRejected: rejected,
    ...(rejection ? { rejection } : {}),
    badProposalIndex: bad.proposalIndex.toString(),
    batchIndex: bad.batchIndex.toString(),
    secondsToDeletion: deletedAt - proposedAt,
    challengeWindowSeconds: window,
    honestReproposal: honest,
  }
}

function errorName(err: unknown): string {
  const e = err as { shortMessage?: string; message?: string; cause?: { data?: { errorName?: string } } }
  return e.cause?.data?.errorName ?? e.shortMessage ?? e.message ?? String(err)
}
