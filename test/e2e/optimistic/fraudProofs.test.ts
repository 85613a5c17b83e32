/**
 * Adversarial end to end: for every fault kind the operator posts one wrong proposal (two kinds also post bad
 * batch data), and the node's challenger (its own account, its own derivation from L1) must prove it wrong on L1
 * inside the window; the bond is slashed, a withdrawal proven against the bad root is refused, and the honest
 * proposer re-proposes the batch. Then a malicious challenge of an honest root loses its bond and the root
 * survives to finalization.
 */
import { type Hex, parseEther } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AttackReport, runAttack } from '../../../src/cli/optimistic/attack.ts'
import { rollupAbi } from '../../../src/generated/contracts.ts'
import { ANVIL_DEV_ACCOUNTS } from '../../../src/l1/anvil.ts'
import type { Devnet } from '../../../src/optimistic/devnet.ts'
import { FAULT_KINDS } from '../../../src/optimistic/faults.ts'
import { depositEth } from '../../../src/sdk/optimistic/depositEth.ts'
import { clientsFor, testDevnet, until } from './helpers.ts'

const WINDOW = 30n

describe('fraud proofs on anvil: every fault kind is caught', () => {
  let devnet: Devnet
  const reports: AttackReport[] = []

  beforeAll(async () => {
    devnet = await testDevnet({
      devAccounts: 0,
      challengeWindowSeconds: WINDOW,
      proposalBond: parseEther('0.1'),
      challengeBond: parseEther('0.05'),
      batcher: { dataMode: 'blob', intervalMs: 200, maxBatchAgeMs: 300 },
      proposer: { intervalMs: 200 },
      challenger: { intervalMs: 200 },
    })
  })
  afterAll(async () => {
    if (reports.length)
      console.log(
        JSON.stringify(
          reports.map((r) => ({
            fault: r.fault,
            kind: r.challengeKind,
            step: r.challengeStep,
            gas: r.proofGas,
            seconds: r.secondsToDeletion,
          })),
        ),
      )
    await devnet?.stop()
  })

  it.each(FAULT_KINDS.map((k) => [k]))(
    '%s: caught inside the window, bond slashed, withdrawal against the bad root refused',
    async (kind) => {
      const report = await runAttack(devnet, kind, {
        userKey: ANVIL_DEV_ACCOUNTS[1]?.privateKey as Hex,
        recipient: ANVIL_DEV_ACCOUNTS[2]?.address as Hex,
        timeoutMs: 90_000,
      })
      reports.push(report)
      expect(report.caught).toBe(true)
      expect(report.secondsToDeletion).toBeLessThanOrEqual(Number(WINDOW))
      expect(report.bondSlashed).toBe(true)
      expect(BigInt(report.burntWei)).toBe(parseEther('0.05'))
      expect(BigInt(report.challengerPayoutWei)).toBe(parseEther('0.1'))
      expect(report.withdrawalAgainstBadRootRejected).toBe(true)
      expect(report.honestReproposal).toBe(true)
      expect(report.proofGas).toBeGreaterThan(21_000)
      expect(report.proofGas).toBeLessThan(5_000_000)
    },
    150_000,
  )

  it('an honest root survives a malicious challenge, which loses its bond to the proposer', async () => {
    const node = devnet.node
    const challenger = node.challenger
    if (!challenger) throw new Error('no challenger')
    const l1 = devnet.l1.publicClient
    const rollup = devnet.contracts.rollup
    // A batch of its own (a deposit) so this test also runs alone.
    const user = clientsFor(devnet, ANVIL_DEV_ACCOUNTS[3]?.privateKey as Hex)
    const dep = await depositEth(
      { walletClient: user.l1Wallet, publicClient: l1 },
      { portal: devnet.contracts.portal, amount: parseEther('1') },
    )
    const honest = await until(
      () =>
        [...node.derivation.proposals]
          .reverse()
          .find(
            (p) =>
              p &&
              !p.deleted &&
              p.agrees === true &&
              p.stepCount > 0n &&
              (node.derivation.batches[Number(p.batchIndex)]?.depositCountAfter ?? 0n) > dep.depositIndex,
          ),
      60_000,
      'an honest proposal with steps',
    )
    const owedBefore = await l1.readContract({
      address: rollup,
      abi: rollupAbi,
      functionName: 'payouts',
      args: [honest.proposer],
    })
    const result = await challenger.challenge(
      honest,
      { ok: false, kind: 'step', step: 1, reason: 'malicious: step 1 is right' },
      { simulate: false },
    )
    expect(result.won).toBe(false)
    const owedAfter = await l1.readContract({
      address: rollup,
      abi: rollupAbi,
      functionName: 'payouts',
      args: [honest.proposer],
    })
    expect(owedAfter - owedBefore).toBe(parseEther('0.05'))
    const p = await l1.readContract({
      address: rollup,
      abi: rollupAbi,
      functionName: 'getProposal',
      args: [honest.proposalIndex],
    })
    expect(p.deleted).toBe(false)
    // A wrong step count claim loses too.
    const second = await challenger.challenge(
      honest,
      { ok: false, kind: 'stepCount', provenSteps: 0, reason: 'malicious: the step count is right' },
      { simulate: false },
    )
    expect(second.won).toBe(false)
    // An idle devnet mines no L1 blocks, so move L1 time past the window instead of waiting for one.
    await l1.request({ method: 'evm_increaseTime' as never, params: [Number(WINDOW) + 1] as never })
    await l1.request({ method: 'evm_mine' as never, params: [] as never })
    expect(
      await l1.readContract({
        address: rollup,
        abi: rollupAbi,
        functionName: 'isFinalized',
        args: [honest.proposalIndex],
      }),
    ).toBe(true)
  }, 120_000)

  it('the challenger claims each held reward once its hold is over, and nobody else gets it', async () => {
    const challenger = devnet.node.challenger
    if (!challenger) throw new Error('no challenger')
    const l1 = devnet.l1.publicClient
    const rollup = devnet.contracts.rollup
    const won = challenger.results.filter((r) => r.won)
    expect(won.length).toBeGreaterThanOrEqual(FAULT_KINDS.length)
    const delay = await l1.readContract({
      address: rollup,
      abi: rollupAbi,
      functionName: 'REWARD_DELAY_BLOCKS',
    })
    // Let the hold pass (an idle devnet mines no L1 blocks by itself), then the challenger's next round claims.
    for (let i = 0n; i <= delay; i++) await l1.request({ method: 'evm_mine' as never, params: [] as never })
    for (const r of won) {
      const held = await until(
        async () => {
          const p = await l1.readContract({
            address: rollup,
            abi: rollupAbi,
            functionName: 'pendingReward',
            args: [r.proposalIndex],
          })
          return p.amount === 0n ? p : undefined
        },
        30_000,
        `the reward of proposal ${r.proposalIndex} claimed`,
      )
      expect(held.holder.toLowerCase()).toBe(challenger.address.toLowerCase())
    }
  }, 60_000)
})
