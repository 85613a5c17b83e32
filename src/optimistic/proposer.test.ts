/**
 * Action tests of `Proposer`: the node's derivation is stepped over a fake L1 (src/optimistic/testing), the
 * proposer's L1 account is a `FakeSender` that records every call and mines it on the fake Rollup (which makes
 * `proposeCalldata`'s and `propose`'s checks), and one round is `proposeNext()` (what its poller runs).
 */
import { keccak256, parseEther } from 'viem'
import { afterEach, describe, expect, it } from 'vitest'
import { stateCommitment } from '../core/commitment.ts'
import type { Address, Hex } from '../core/types.ts'
import { blobsToData } from '../l1/blobs.ts'
import type { ProposerOptions } from './config.ts'
import { Proposer } from './proposer.ts'
import { blobBatchDataHash } from './protocol/dataHash.ts'
import { traceBytes } from './protocol/trace.ts'
import {
  alice,
  bob,
  carol,
  encodeBlocks,
  ethTransfer,
  fund,
  mallory,
  proposeCalldataFrom,
  recordingLogger,
  type World,
  world,
} from './testing/actors.ts'
import { bytesHex, FakeSender } from './testing/fakeL1.ts'

const worlds: World[] = []
afterEach(async () => {
  for (const w of worlds.splice(0)) await w.close()
})

const OPERATOR: Address = '0x000000000000000000000000000000000000a0a0'
const OTHER: Address = '0x000000000000000000000000000000000000bad0'

/** A world with L2 blocks 1 (deposits) and 2 (a transfer) posted as batch 0 and derived. */
async function withBatch0(options: Parameters<typeof world>[0] = {}, mode: 'calldata' | 'blob' = 'calldata') {
  const w = await world(options)
  worlds.push(w)
  fund(w.l1, [alice, bob])
  await w.feed.sync()
  await w.seal()
  await w.seal([ethTransfer(alice, bob.address, 0n, parseEther('0.25'))])
  w.postBlocks(1n, 2n, mode)
  w.l1.mine()
  await w.feed.sync()
  return w
}

/** Seals block `n` with a transfer from bob (nonce `nonce`), posts it as the next batch, derives it. */
async function nextBatch(w: World, n: bigint, nonce: bigint) {
  await w.seal([ethTransfer(bob, carol.address, nonce, parseEther('0.01'))])
  w.postBlocks(n, n)
  w.l1.mine()
  await w.feed.sync()
}

function newProposer(w: World, options: Partial<ProposerOptions> = {}, address = OPERATOR) {
  const sender = new FakeSender(w.l1, address)
  const logger = recordingLogger()
  const proposer = new Proposer(options, {
    publicClient: w.l1.client,
    txManager: sender,
    contracts: w.l1.contracts,
    derivation: w.derivation,
    logger,
  })
  return { proposer, sender, logger }
}

/** Another proposer's `proposeCalldata` of batch `batchIndex` with `leaves`, mined. */
async function proposeAs(
  w: World,
  address: Address,
  batchIndex: bigint,
  leaves: Hex[],
  end = w.derivation.batches[Number(batchIndex)]?.postHeader,
) {
  await proposeCalldataFrom(new FakeSender(w.l1, address), w, batchIndex, leaves, end)
  await w.feed.sync()
}

describe('Proposer (action tests over a fake L1)', () => {
  it('proposes the next derived batch with its end header, step count and trace (proposeCalldata for a calldata batch)', async () => {
    const w = await withBatch0()
    const { proposer, sender } = newProposer(w)
    const batch = w.derivation.batches[0]
    if (!batch) throw new Error('batch 0 not derived')

    const posted = await proposer.proposeNext()
    expect(sender.sent.map((s) => s.functionName)).toEqual(['proposeCalldata'])
    const [call] = sender.sent
    expect(call?.request.value).toBe(w.l1.proposalBond)
    expect(call?.request.to).toBe(w.l1.contracts.rollup)
    const [batchIndex, dataHash, end, trace] = (call?.args ?? []) as [
      bigint,
      Hex,
      typeof batch.postHeader,
      Hex,
    ]
    expect(batchIndex).toBe(0n)
    // Bound to the batch's data as L1 recorded it: the keccak of the calldata batch.
    expect(dataHash).toBe(keccak256(bytesHex(encodeBlocks(w.store, 1n, 2n).data)))
    // The end header is the derived state after block 2: what the sequencer's state commits to.
    expect(end).toEqual(w.seq.state.stateHeader(2n))
    expect(stateCommitment(end)).toBe(batch.postCommitment)
    // The trace: L0 = genesis, one leaf per row (2 deposits, block end, the transfer, block end).
    expect(trace).toBe(bytesHex(traceBytes(batch.leaves)))
    expect((trace.length - 2) / 64).toBe(6)
    expect(batch.rowCount).toBe(5)
    expect(batch.leaves[0]).toBe(w.l1.genesisCommitment)
    expect(posted).toMatchObject({
      proposalIndex: 0n,
      batchIndex: 0n,
      stateRoot: batch.stateRoot,
      l2BlockNumber: 2n,
      l1TxHash: call?.result.txHash,
    })
    expect(proposer.posted).toEqual([posted])

    // Nothing more to propose until the next batch is derived; derivation reads the proposal back as right.
    expect(await proposer.proposeNext()).toBeUndefined()
    await w.feed.sync()
    expect(w.derivation.proposals[0]).toMatchObject({
      agrees: true,
      stepCount: 5n,
      traceHash: keccak256(trace),
    })
    expect(await proposer.proposeNext()).toBeUndefined()
    expect(sender.sent).toHaveLength(1)

    // Batch 1 builds on our own proposal (live, in its window: its trace is ours, so it is safe).
    await nextBatch(w, 3n, 0n)
    const second = await proposer.proposeNext()
    expect(second).toMatchObject({ proposalIndex: 1n, batchIndex: 1n, l2BlockNumber: 3n })
    const [, , end1, trace1] = (sender.sent[1]?.args ?? []) as [bigint, Hex, typeof batch.postHeader, Hex]
    expect(trace1.slice(0, 66)).toBe(batch.postCommitment)
    expect(stateCommitment(end1)).toBe(w.derivation.batches[1]?.postCommitment)
  })

  it('does not propose on a parent that is wrong, and proposes the batch again once a challenge deleted it', async () => {
    const w = await withBatch0()
    const { proposer, sender, logger } = newProposer(w)
    // Someone else proposed batch 0 with a wrong end state (an extra ETH for bob) before us.
    const b0 = w.derivation.batches[0]
    if (!b0) throw new Error('batch 0 not derived')
    const wrongEnd = { ...b0.postHeader, accountsRoot: keccak256('0x01') }
    await proposeAs(w, OTHER, 0n, [...b0.leaves.slice(0, -1), stateCommitment(wrongEnd)], wrongEnd)
    expect(w.derivation.proposals[0]?.agrees).toBe(false)
    await nextBatch(w, 3n, 0n)

    expect(await proposer.proposeNext()).toBeUndefined()
    expect(await proposer.proposeNext()).toBeUndefined()
    expect(sender.sent).toEqual([])
    const refused = logger.records.filter((r) => /live proposal before this batch is WRONG/.test(r.msg))
    expect(refused).toHaveLength(1) // logged once
    expect(refused[0]?.fields).toMatchObject({
      batchIndex: '1',
      parentCommitment: stateCommitment(wrongEnd),
      derived: b0.postCommitment,
    })

    // The challenger wins: L1 expects batch 0 again, which we propose, then batch 1 on top of it.
    w.l1.deleteProposalsFrom(0n)
    w.l1.mine()
    await w.feed.sync()
    expect(await proposer.proposeNext()).toMatchObject({
      proposalIndex: 1n,
      batchIndex: 0n,
      stateRoot: b0.stateRoot,
    })
    await w.feed.sync()
    expect(await proposer.proposeNext()).toMatchObject({ proposalIndex: 2n, batchIndex: 1n })
    await w.feed.sync()
    expect(w.derivation.proposals.map((p) => [p.batchIndex, p.agrees, p.deleted])).toEqual([
      [0n, false, true],
      [0n, true, false],
      [1n, true, false],
    ])
  })

  it.each([
    ['waits while the parent can still be challenged', 3_600n, 0n, false],
    ['builds on it once it is final', 10n, 100_000n, true],
  ])(
    'on a live parent with the right state but another trace, %s',
    async (_name, challengeWindow, age, builds) => {
      const w = await withBatch0({
        l1: { challengeWindow, startTime: BigInt(Math.floor(Date.now() / 1000)) - age },
      })
      const { proposer, sender, logger } = newProposer(w)
      const b0 = w.derivation.batches[0]
      if (!b0) throw new Error('batch 0 not derived')
      // Right end state and step count, a wrong leaf in the middle: derivation calls it right (it judges the
      // end state), but a challenge of that leaf would delete it with everything built on it.
      const leaves = [...b0.leaves]
      leaves[2] = keccak256('0x02')
      await proposeAs(w, OTHER, 0n, leaves)
      expect(w.derivation.proposals[0]?.agrees).toBe(true)
      await nextBatch(w, 3n, 0n)

      const posted = await proposer.proposeNext()
      if (builds) {
        expect(posted).toMatchObject({ proposalIndex: 1n, batchIndex: 1n })
        expect(sender.calls('proposeCalldata')).toHaveLength(1)
      } else {
        expect(posted).toBeUndefined()
        expect(sender.sent).toEqual([])
        expect(logger.records.some((r) => /a trace that differs from ours/.test(r.msg))).toBe(true)
      }
    },
  )

  // Was a bug (found by this test): only the live parent's trace was compared with ours, not its own live
  // ancestors'. An attacker proposes batch 0 with the right end state but a wrong leaf, then batch 1 on top of it
  // with an exactly right trace; building batch 2 on proposal 1 would lose our bond when proposal 0 is slashed
  // (the Rollup deletes every later proposal and burns their bonds). Every live, non-final ancestor is checked now.
  it('does not build on a right parent whose own live parent has another trace', async () => {
    const w = await withBatch0()
    const { proposer, sender } = newProposer(w)
    const b0 = w.derivation.batches[0]
    if (!b0) throw new Error('batch 0 not derived')
    const leaves = [...b0.leaves]
    leaves[2] = keccak256('0x02')
    await proposeAs(w, OTHER, 0n, leaves) // right end state, wrong leaf 2: slashable
    await nextBatch(w, 3n, 0n)
    await nextBatch(w, 4n, 1n)
    await proposeAs(w, OTHER, 1n, w.derivation.batches[1]?.leaves ?? []) // exactly right, on top of it
    expect(w.derivation.proposals.map((p) => p.agrees)).toEqual([true, true])

    const posted = await proposer.proposeNext()
    expect(posted).toBeUndefined() // actual: proposal 2 of batch 2, built on the slashable chain
    expect(sender.sent).toEqual([])
  })

  it('proposes again a proposal an L1 reorg dropped, and waits while its batch is on a reorged-out block', async () => {
    const w = await withBatch0()
    const { proposer, sender } = newProposer(w)
    const batchBlock = w.l1.head.number
    const first = await proposer.proposeNext()
    await w.feed.sync()
    expect(first?.proposalIndex).toBe(0n)

    // The L1 block with our proposal is reorged out; derivation follows, the node tells the proposer.
    w.l1.reorg(batchBlock)
    w.l1.mine()
    await w.feed.followReorg()
    await w.feed.sync()
    expect(w.derivation.proposals).toEqual([])
    proposer.onL1Reorg()
    const again = await proposer.proposeNext()
    expect(again).toMatchObject({ proposalIndex: 0n, batchIndex: 0n, stateRoot: first?.stateRoot })
    expect(again?.l1TxHash).not.toBe(first?.l1TxHash)
    expect(proposer.posted).toEqual([again])
    expect(sender.calls('proposeCalldata').map((s) => s.args)).toEqual([
      sender.sent[0]?.args,
      sender.sent[0]?.args,
    ])

    // A deeper reorg takes batch 1's block too: until derivation follows, the batch it holds is not canonical.
    await w.feed.sync()
    await nextBatch(w, 3n, 0n)
    const before = w.l1.head.number - 1n
    w.l1.reorg(before)
    w.l1.mine()
    expect(await proposer.proposeNext()).toBeUndefined()
    expect(sender.sent).toHaveLength(2)
    // The new branch carries batch 1 again; once derivation has followed, it is proposed from the new record.
    await w.feed.followReorg()
    w.postBlocks(3n, 3n)
    const carrier = w.l1.mine()
    await w.feed.sync()
    expect(w.derivation.batches[1]?.l1BlockHash).toBe(carrier.hash)
    expect(await proposer.proposeNext()).toMatchObject({ proposalIndex: 1n, batchIndex: 1n })
  })

  it('with a fault armed, posts one wrong trace of that kind, then does not build on it until it is deleted', async () => {
    const w = await withBatch0()
    const { proposer, sender, logger } = newProposer(w)
    const b0 = w.derivation.batches[0]
    if (!b0) throw new Error('batch 0 not derived')
    proposer.injectFault({ kind: 'forged-deposit', attacker: mallory.address })

    const posted = await proposer.proposeNext()
    expect(posted).toMatchObject({ proposalIndex: 0n, batchIndex: 0n, fault: 'forged-deposit' })
    expect(proposer.pendingFault).toBeUndefined()
    expect(proposer.faulty.map((f) => [f.proposalIndex, f.kind])).toEqual([[0n, 'forged-deposit']])
    const forged = proposer.faulty[0]?.forged
    // The forged state credits the attacker 100 ETH; the trace differs from the derived one from the row it forges.
    expect(forged?.state.getBalance(mallory.address)).toBe(parseEther('100'))
    expect(sender.sent[0]?.args[3]).toBe(bytesHex(traceBytes(forged?.leaves ?? [])))
    expect(forged?.leaves.length).toBe(b0.leaves.length)
    expect(forged?.leaves.slice(0, 4)).toEqual(b0.leaves.slice(0, 4))
    expect(forged?.leaves[4]).not.toBe(b0.leaves[4])
    expect(logger.records.some((r) => r.msg === 'FAULT INJECTION: proposing a wrong state on purpose')).toBe(
      true,
    )
    await w.feed.sync()
    expect(w.derivation.proposals[0]?.agrees).toBe(false)

    // Honest again: it does not build on its own wrong root.
    await nextBatch(w, 3n, 0n)
    expect(await proposer.proposeNext()).toBeUndefined()
    expect(sender.sent).toHaveLength(1)
    w.l1.deleteProposalsFrom(0n)
    w.l1.mine()
    await w.feed.sync()
    const honest = await proposer.proposeNext()
    expect(honest).toMatchObject({ proposalIndex: 1n, batchIndex: 0n, stateRoot: b0.stateRoot })
    expect(honest?.fault).toBeUndefined()
    expect(logger.records.some((r) => /deleted by a challenge: proposing it again/.test(r.msg))).toBe(true)
    await w.feed.sync()
    expect(w.derivation.proposals[1]?.agrees).toBe(true)
  })

  it('gives a blob batch its trace in a blob (propose with traceBlobCount), or in calldata with traceMode calldata', async () => {
    const w = await withBatch0({}, 'blob')
    const b0 = w.derivation.batches[0]
    if (!b0) throw new Error('batch 0 not derived')
    expect(b0).toMatchObject({ isBlob: true, valid: true, rowCount: 5 })
    expect(b0.dataHash).toBe(blobBatchDataHash(b0.blobHashes))

    const calldata = newProposer(w, { traceMode: 'calldata' })
    await calldata.proposer.proposeNext()
    expect(calldata.sender.sent.map((s) => [s.functionName, s.args[3]])).toEqual([
      ['proposeCalldata', bytesHex(traceBytes(b0.leaves))],
    ])
    w.l1.deleteProposalsFrom(0n)
    w.l1.mine()
    await w.feed.sync()

    const auto = newProposer(w)
    const posted = await auto.proposer.proposeNext()
    const [sent] = auto.sender.sent
    expect(sent?.functionName).toBe('propose')
    expect(sent?.args).toEqual([0n, b0.dataHash, b0.postHeader, 5n, 1])
    expect(sent?.request.blobs).toHaveLength(1)
    expect(blobsToData(sent?.request.blobs ?? [])).toEqual(traceBytes(b0.leaves))
    await w.feed.sync()
    const p = w.derivation.proposals[1]
    expect(p).toMatchObject({
      proposalIndex: posted?.proposalIndex,
      traceIsBlob: true,
      agrees: true,
      stepCount: 5n,
    })
    expect(p?.traceHash).toBe(blobBatchDataHash(p?.traceBlobHashes ?? []))
  })
})
