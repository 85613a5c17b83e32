/**
 * Action tests of `Challenger`: its own derivation is stepped over a fake L1 (src/optimistic/testing), proposals
 * are made there by a real fault-injecting `Proposer` or by hand, and the challenger judges them
 * (`evaluate`), builds the challenge (`buildChallenge`) and runs a round (`checkAll`). The fake Rollup does not
 * re-execute challenges (forge tests do): its verdict on a challenge is the test's `onChallenge`.
 */
import { encodeFunctionData, keccak256, parseEther } from 'viem'
import { afterEach, describe, expect, it } from 'vitest'
import { type StateHeader, stateCommitment } from '../core/commitment.ts'
import type { Address, Hex } from '../core/types.ts'
import { rollupAbi } from '../generated/contracts.ts'
import { dataToBlobs } from '../l1/blobs.ts'
import { Challenger, challengeCommitment } from './challenger.ts'
import { corruptBatchData, type FaultKind } from './faults.ts'
import { Proposer } from './proposer.ts'
import { decodeStepWitness } from './protocol/stepWitness.ts'
import { traceBytes } from './protocol/trace.ts'
import {
  alice,
  bob,
  carol,
  chain,
  encodeBlocks,
  ethTransfer,
  fund,
  l1Recipient,
  mallory,
  newDerivation,
  recordingLogger,
  type World,
  withdrawEth,
  world,
} from './testing/actors.ts'
import { bytesHex, FakeSender, L1Feed, REWARD_DELAY_BLOCKS } from './testing/fakeL1.ts'

const worlds: World[] = []
afterEach(async () => {
  for (const w of worlds.splice(0)) await w.close()
})

const ATTACKER: Address = '0x000000000000000000000000000000000000bad0'
const CHALLENGER: Address = '0x000000000000000000000000000000000000c4a1'
const EMPTY_RANGE = { commitments: '0x', values: [], proofs: '0x' }

/**
 * L2 block 1 applies deposits to alice and bob (rows 0, 1, block end 2); block 2 holds alice → bob (row 3),
 * bob → carol (row 4, carol's account is new), alice's withdrawal (row 5), block end (row 6): 7 rows, posted as
 * batch 0 (corrupted first for the faults that corrupt the batch). The attacker's proposer works from the
 * node's derivation; the challenger from its own.
 */
async function scene(corrupt?: FaultKind) {
  const w = await world()
  worlds.push(w)
  fund(w.l1, [alice, bob])
  await w.feed.sync()
  await w.seal()
  await w.seal([
    ethTransfer(alice, bob.address, 0n, parseEther('0.25')),
    ethTransfer(bob, carol.address, 0n, parseEther('0.5')),
    withdrawEth(alice, l1Recipient, 1n, parseEther('0.2')),
  ])
  const batch = encodeBlocks(w.store, 1n, 2n)
  const data = corrupt ? (corruptBatchData(corrupt, batch.data) as Uint8Array) : batch.data
  const posted = w.l1.appendBatchCalldata({ ...batch, data })
  w.l1.mine()
  await w.feed.sync()

  const attacker = new FakeSender(w.l1, ATTACKER)
  const proposer = new Proposer(
    {},
    {
      publicClient: w.l1.client,
      txManager: attacker,
      contracts: w.l1.contracts,
      derivation: w.derivation,
      logger: recordingLogger(),
      originalBatchData: (h) => (h === posted.dataHash ? batch.data : undefined),
    },
  )
  const verifier = newDerivation(w.l1)
  const verifierFeed = new L1Feed(w.l1, verifier)
  const sender = new FakeSender(w.l1, CHALLENGER)
  const challenger = new Challenger(
    {},
    {
      chain,
      publicClient: w.l1.client,
      txManager: sender,
      contracts: w.l1.contracts,
      derivation: verifier,
      logger: recordingLogger(),
    },
  )
  await verifierFeed.sync()
  return { w, data, proposer, attacker, verifier, verifierFeed, sender, challenger }
}

type Scene = Awaited<ReturnType<typeof scene>>

/** The attacker proposes batch `batchIndex` with these leaves (and end state) as `proposeCalldata`. */
async function proposeCalldata(s: Scene, batchIndex: bigint, leaves: Hex[], end: StateHeader) {
  const batch = s.verifier.batches[Number(batchIndex)]
  if (!batch) throw new Error(`batch ${batchIndex} not derived`)
  await s.attacker.send({
    to: s.w.l1.contracts.rollup,
    value: s.w.l1.proposalBond,
    data: encodeFunctionData({
      abi: rollupAbi,
      functionName: 'proposeCalldata',
      args: [batchIndex, batch.dataHash, end, bytesHex(traceBytes(leaves))],
    }),
  })
  await s.verifierFeed.sync()
  return s.verifier.proposals[s.verifier.proposals.length - 1]
}

/** The attacker proposes batch 0 with a trace in a blob: `payload` = the trace data as the blob holds it. */
async function proposeBlob(s: Scene, payload: Uint8Array, stepCount: bigint, end: StateHeader) {
  const batch = s.verifier.batches[0]
  if (!batch) throw new Error('batch 0 not derived')
  const blobs = dataToBlobs(payload)
  await s.attacker.send({
    to: s.w.l1.contracts.rollup,
    value: s.w.l1.proposalBond,
    blobs,
    data: encodeFunctionData({
      abi: rollupAbi,
      functionName: 'propose',
      args: [0n, batch.dataHash, end, stepCount, blobs.length],
    }),
  })
  await s.verifierFeed.sync()
  return s.verifier.proposals[s.verifier.proposals.length - 1]
}

function firstDifference(a: readonly Hex[], b: readonly Hex[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i
  return -1
}

/** Payload bytes `[offset, offset + length)` read from a range proof's field-element values (`y`, byte 0 zero). */
function openedBytes(values: readonly Hex[], offset: number, length: number): Hex {
  const first = Math.floor(offset / 31)
  const payload = values.map((v) => v.slice(4)).join('')
  const skip = offset - 31 * first
  return `0x${payload.slice(2 * skip, 2 * (skip + length))}`
}

describe('Challenger (action tests over a fake L1)', () => {
  it('judges an honest proposal { ok: true } (calldata and blob traces), and a round challenges nothing', async () => {
    const s = await scene()
    const batch = s.verifier.batches[0]
    if (!batch) throw new Error('batch 0 not derived')
    // A proposal whose batch the challenger's derivation has not derived yet cannot be judged.
    const early = await s.proposer.proposeNext()
    expect(early?.proposalIndex).toBe(0n)
    await s.w.feed.sync()
    const unjudged = s.w.derivation.proposals[0]
    if (!unjudged) throw new Error('no proposal')
    const lagging = new Challenger({}, { ...challengerModules(s), derivation: newDerivation(s.w.l1) })
    expect(await lagging.evaluate(unjudged)).toEqual({ ok: undefined, reason: 'batch 0 not derived yet' })

    await s.verifierFeed.sync()
    const p = s.verifier.proposals[0]
    if (!p) throw new Error('no proposal')
    expect(p.traceIsBlob).toBe(false)
    expect(await s.challenger.evaluate(p)).toEqual({ ok: true })

    s.w.l1.deleteProposalsFrom(0n)
    s.w.l1.mine()
    const blob = await proposeBlob(s, traceBytes(batch.leaves), BigInt(batch.rowCount), batch.postHeader)
    expect(blob?.traceIsBlob).toBe(true)
    expect(await s.challenger.evaluate(blob as NonNullable<typeof blob>)).toEqual({ ok: true })

    expect(await s.challenger.checkAll()).toEqual([])
    expect(s.sender.sent).toEqual([])
    expect(s.w.l1.challenges).toEqual([])
  })

  it.each([
    // kind, the first wrong leaf, the signer of the row it re-executes (undefined: no account witness)
    ['wrong-balance', 6, alice], // the last applied transaction (row 5, the withdrawal) credits alice 1 ETH
    ['skip-tx', 5, bob], // the last transfer (row 4) is left out
    ['forged-deposit', 6, alice], // forged after row 5
    ['forged-withdrawal', 6, alice],
    ['bad-signature', 6, undefined], // L1's row 5 does not verify: derivation skips it, the proposer applied it
  ] as const)(
    'finds the first wrong leaf of a %s proposal (step %i) and buildChallenge proves that step with challengeStep',
    async (kind, step, signer) => {
      const s = await scene(kind === 'bad-signature' ? kind : undefined)
      s.proposer.injectFault({ kind, attacker: mallory.address })
      const posted = await s.proposer.proposeNext()
      expect(posted?.fault).toBe(kind)
      await s.verifierFeed.sync()
      const p = s.verifier.proposals[0]
      const honest = s.verifier.batches[0]
      const forged = s.proposer.faulty[0]?.forged
      if (!p || !honest || !forged) throw new Error('no proposal')
      expect(firstDifference(forged.leaves, honest.leaves)).toBe(step)

      const verdict = await s.challenger.evaluate(p)
      expect(verdict).toEqual({
        ok: false,
        kind: 'step',
        step,
        reason: `leaf ${step} (after row ${step - 1}) differs from derivation`,
      })
      if (verdict.ok !== false) throw new Error('not a wrong verdict')
      const call = await s.challenger.buildChallenge(p, verdict)
      expect(call.functionName).toBe('challengeStep')
      const [proposalIndex, stepArg, pre, traceProof, rowProof, witness] = call.args as unknown as [
        bigint,
        bigint,
        StateHeader,
        { versionedHashes: Hex[]; range: unknown; data: Hex },
        { versionedHashes: Hex[]; range: unknown; data: Hex },
        Hex,
      ]
      expect([proposalIndex, stepArg]).toEqual([0n, BigInt(step)])
      // The state before the row: the last leaf both traces agree on.
      expect(stateCommitment(pre)).toBe(honest.leaves[step - 1])
      expect(stateCommitment(pre)).toBe(forged.leaves[step - 1])
      // Calldata evidence: the whole trace as proposed, the whole batch as L1 holds it.
      expect(traceProof).toEqual({
        versionedHashes: [],
        range: EMPTY_RANGE,
        data: bytesHex(traceBytes(forged.leaves)),
      })
      expect(rowProof).toEqual({ versionedHashes: [], range: EMPTY_RANGE, data: bytesHex(s.data) })
      const decoded = decodeStepWitness(witness)
      if (signer) {
        // The witness opens the row's sender (accounts keep their index: alice 1, bob 2, after the fee vault).
        expect(decoded.tx.sender.owner).toBe(signer.address.toLowerCase())
        expect(decoded.sender.leaf).toBe(BigInt((s.verifier.state.indexOf(signer.address) ?? -2) + 1))
        expect(decoded.sender.leaf).toBe(signer === alice ? 2n : 3n)
        expect(decoded.tx.accountsRoot).toBe(pre.accountsRoot)
      }
    },
  )

  it('proves an invalid batch claimed to execute with challengeStepCount (provenSteps 0)', async () => {
    const s = await scene('garbage-batch')
    s.proposer.injectFault({ kind: 'garbage-batch', attacker: mallory.address })
    await s.proposer.proposeNext()
    await s.verifierFeed.sync()
    const p = s.verifier.proposals[0]
    const batch = s.verifier.batches[0]
    if (!p || !batch) throw new Error('no proposal')
    expect(batch.valid).toBe(false)
    expect(p.stepCount).toBe(7n)
    const verdict = await s.challenger.evaluate(p)
    expect(verdict).toEqual({
      ok: false,
      kind: 'stepCount',
      provenSteps: 0,
      reason:
        'the batch is invalid (batch version is 255, not 3), so nothing changes, but the proposal claims 7 steps',
    })
    if (verdict.ok !== false) throw new Error('not a wrong verdict')
    const call = await s.challenger.buildChallenge(p, verdict)
    expect(call.functionName).toBe('challengeStepCount')
    const [proposalIndex, parent, headerProof, lastRow] = call.args as unknown as [
      bigint,
      StateHeader,
      unknown,
      unknown,
    ]
    expect(proposalIndex).toBe(0n)
    expect(stateCommitment(parent)).toBe(s.w.l1.genesisCommitment)
    expect(headerProof).toEqual({ versionedHashes: [], range: EMPTY_RANGE, data: bytesHex(s.data) })
    expect(lastRow).toEqual(EMPTY_RANGE)
  })

  it('proves a right end state with a wrong step count (an extra leaf) with challengeStepCount', async () => {
    const s = await scene()
    const batch = s.verifier.batches[0]
    if (!batch) throw new Error('batch 0 not derived')
    const p = await proposeCalldata(s, 0n, [...batch.leaves, batch.postCommitment], batch.postHeader)
    if (!p) throw new Error('no proposal')
    expect([p.stateRoot, p.stepCount]).toEqual([batch.stateRoot, 8n])
    const verdict = await s.challenger.evaluate(p)
    expect(verdict).toEqual({
      ok: false,
      kind: 'stepCount',
      provenSteps: 7,
      reason: 'the batch has 7 rows, the proposal claims 8 steps',
    })
    if (verdict.ok !== false) throw new Error('not a wrong verdict')
    const call = await s.challenger.buildChallenge(p, verdict)
    expect(call.functionName).toBe('challengeStepCount')
    expect(call.args[2]).toEqual({ versionedHashes: [], range: EMPTY_RANGE, data: bytesHex(s.data) })
  })

  it.each([
    ['a length prefix that disagrees with the step count', 0, (l: Hex[]) => traceBytes(l.slice(0, -1)), 4],
    ['a length that is not whole leaves', 0, (l: Hex[]) => traceBytes(l).subarray(0, 33), 4],
    [
      'a first leaf that is not the parent commitment',
      1,
      (l: Hex[]) => traceBytes([keccak256('0x01'), ...l.slice(1)]),
      32,
    ],
    [
      'a last leaf that is not the proposal commitment',
      2,
      (l: Hex[]) => traceBytes([...l.slice(0, -1), keccak256('0x02')]),
      32,
    ],
  ] as const)(
    'checks the bounds of a blob trace: %s is proven with challengeTraceBounds (bound %i)',
    async (_name, bound, payload, openedLength) => {
      const s = await scene()
      const batch = s.verifier.batches[0]
      if (!batch) throw new Error('batch 0 not derived')
      const trace = payload(batch.leaves)
      const p = await proposeBlob(s, trace, BigInt(batch.rowCount), batch.postHeader)
      if (!p) throw new Error('no proposal')
      const verdict = await s.challenger.evaluate(p)
      expect(verdict).toMatchObject({ ok: false, kind: 'traceBounds', bound })
      if (verdict.ok !== false) throw new Error('not a wrong verdict')
      const call = await s.challenger.buildChallenge(p, verdict)
      expect(call.functionName).toBe('challengeTraceBounds')
      const [proposalIndex, boundArg, proof] = call.args as unknown as [
        bigint,
        number,
        { versionedHashes: Hex[]; range: { values: Hex[] }; data: Hex },
      ]
      expect([proposalIndex, boundArg]).toEqual([0n, bound])
      expect(proof.versionedHashes).toEqual(p.traceBlobHashes)
      expect(proof.data).toBe('0x')
      // The openings show the bytes the challenge is about: the length prefix, leaf 0 or leaf stepCount.
      const offset = bound === 0 ? 0 : bound === 1 ? 4 : 4 + 32 * Number(p.stepCount)
      const expected =
        bound === 0
          ? `0x${trace.length.toString(16).padStart(8, '0')}`
          : bytesHex(trace.subarray(offset - 4, offset - 4 + 32))
      expect(openedBytes(proof.range.values, offset, openedLength)).toBe(expected)
    },
  )

  it('waits on a proposal built on a wrong parent; a round challenges the parent first, then claims the reward', async () => {
    const s = await scene()
    s.proposer.injectFault({ kind: 'wrong-balance', attacker: mallory.address })
    await s.proposer.proposeNext()
    await s.w.feed.sync()
    // Batch 1, and the attacker's proposal of it built on its own wrong root.
    await s.w.seal([ethTransfer(carol, alice.address, 0n, parseEther('0.1'))])
    s.w.postBlocks(3n, 3n)
    s.w.l1.mine()
    await s.verifierFeed.sync()
    const wrongParent = s.proposer.faulty[0]?.forged
    const b1 = s.verifier.batches[1]
    if (!wrongParent || !b1) throw new Error('no batch 1')
    const child = await proposeCalldata(
      s,
      1n,
      [stateCommitment(wrongParent.end), ...b1.leaves.slice(1)],
      b1.postHeader,
    )
    if (!child) throw new Error('no proposal')
    expect(await s.challenger.evaluate(child)).toEqual({
      ok: undefined,
      reason: 'the trace starts from a state derivation never reached (wrong parent)',
    })

    // The fake Rollup's verdict: the challenge of proposal 0 wins (forge proves the real one re-executes the step).
    s.w.l1.onChallenge = (c) => (c.proposalIndex === 0n ? 'won' : 'lost')
    const results = await s.challenger.checkAll()
    const reward = s.w.l1.proposalBond / 2n
    expect(results).toEqual([
      expect.objectContaining({
        proposalIndex: 0n,
        kind: 'step',
        step: 6,
        won: true,
        payoutWei: s.w.l1.challengeBond + reward,
        burntWei: s.w.l1.proposalBond - reward,
      }),
    ])
    // Simulated first, committed, revealed in a later block, then the bond withdrawn.
    expect(s.sender.sent.map((t) => t.functionName)).toEqual([
      'commitChallenge',
      'challengeStep',
      'withdrawPayout',
    ])
    const [commit, reveal] = s.sender.sent
    expect(commit?.args[0]).toBe(challengeCommitment(CHALLENGER, reveal?.request.data as Hex))
    expect((reveal?.result.receipt.blockNumber ?? 0n) > (commit?.result.receipt.blockNumber ?? 0n)).toBe(true)
    expect(reveal?.request.value).toBe(s.w.l1.challengeBond)
    expect(s.w.l1.challenges.map((c) => [c.proposalIndex, c.functionName, c.simulated])).toEqual([
      [0n, 'challengeStep', true],
      [0n, 'challengeStep', false],
    ])
    await s.verifierFeed.sync()
    expect(s.verifier.proposals.map((p) => p.deleted)).toEqual([true, true])

    // Next round: nothing left to challenge, the reward is still held.
    expect(await s.challenger.checkAll()).toEqual([])
    expect(s.sender.sent).toHaveLength(3)
    for (let i = 0n; i < REWARD_DELAY_BLOCKS; i++) s.w.l1.mine()
    expect(await s.challenger.checkAll()).toEqual([])
    expect(s.sender.sent.slice(3).map((t) => [t.functionName, t.args])).toEqual([
      ['claimChallengeReward', [0n]],
      ['withdrawPayout', []],
    ])
  })
  it('takes the reward over when a copy of its challenge landed between its commitment and its reveal', async () => {
    const s = await scene()
    s.proposer.injectFault({ kind: 'skip-tx', attacker: mallory.address })
    await s.proposer.proposeNext()
    await s.verifierFeed.sync()
    s.w.l1.onChallenge = () => 'won'
    // While the challenger waits a block after committing, a copier's challenge deletes the proposal.
    s.w.l1.onEvmMine = () => {
      s.w.l1.onEvmMine = undefined
      s.w.l1.deleteProposalsFrom(0n)
    }
    await expect(s.challenger.checkAll()).rejects.toMatchObject({ code: 'L1_TX_REVERTED' })
    expect(s.sender.sent.map((t) => [t.functionName, t.args])).toEqual([
      ['commitChallenge', [expect.any(String)]],
      ['contestChallengeReward', [0n]],
    ])
  })
})

function challengerModules(s: Scene) {
  return {
    chain,
    publicClient: s.w.l1.client,
    txManager: new FakeSender(s.w.l1, CHALLENGER),
    contracts: s.w.l1.contracts,
    derivation: s.verifier,
    logger: recordingLogger(),
  }
}
