/**
 * Action tests of `Derivation`: a real sequencer produces L2 blocks, the test posts them as v3 batches on a fake
 * L1 (src/optimistic/testing/fakeL1.ts), mines L1 blocks by hand and delivers their logs (`processLog`,
 * `l1Processed`) as the log follower would. No anvil, no network, no timers.
 */
import { bytesToHex, concatHex, keccak256, parseEther, zeroAddress } from 'viem'
import { afterEach, describe, expect, it } from 'vitest'
import { stateCommitment } from '../core/commitment.ts'
import { decodeRawTransaction } from '../core/l2tx.ts'
import { stateRootOf, withdrawalHash } from '../core/state.ts'
import type { Hex } from '../core/types.ts'
import type { DerivationReorg } from './derivation.ts'
import { corruptBatchData, faultyTrace } from './faults.ts'
import { encodeTxRowV3 } from './protocol/batchCodecV3.ts'
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
  proposeCalldataFrom,
  tokenTransfer,
  type World,
  withdrawEth,
  world,
} from './testing/actors.ts'
import { FakeSender, L1Feed } from './testing/fakeL1.ts'

const worlds: World[] = []
afterEach(async () => {
  for (const w of worlds.splice(0)) await w.close()
})

async function open(options: Parameters<typeof world>[0] = {}): Promise<World> {
  const w = await world(options)
  worlds.push(w)
  return w
}

describe('Derivation (action tests over a fake L1)', () => {
  it("derives the sequencer's blocks and state root from batches and deposits", async () => {
    const w = await open()
    const token = w.l1.registerToken({
      l1Token: '0x00000000000000000000000000000000000070c1',
      name: 'Dev',
      symbol: 'DEV',
      decimals: 18,
    })
    w.l1.deposit({ from: alice.address, to: alice.address, amount: parseEther('1') })
    w.l1.deposit({ from: bob.address, to: bob.address, amount: parseEther('2') })
    w.l1.deposit({
      from: alice.address,
      to: alice.address,
      amount: 500n * 10n ** 18n,
      tokenIndex: token.index,
    })
    w.l1.mine()
    await w.feed.sync()
    // Derivation hands L1's deposits and token to the sequencer (the node's inbox does the same).
    expect(w.seen.deposits.map((d) => d.index)).toEqual([0n, 1n, 2n])
    expect(w.seen.tokens).toEqual([token])
    expect(w.derivation.tokens).toEqual([token])
    expect(w.store.depositCount()).toBe(3n)

    await w.seal() // block 1: the three deposits
    await w.seal([
      ethTransfer(alice, bob.address, 0n, parseEther('0.25')),
      ethTransfer(bob, carol.address, 0n, parseEther('0.5')),
    ])
    await w.seal([tokenTransfer(alice, carol.address, 1n, token.index, 20n * 10n ** 18n)])
    w.postBlocks(1n, 3n)
    w.l1.mine()
    await w.feed.sync()

    const b = w.derivation.batches[0]
    expect(b).toMatchObject({
      batchIndex: 0n,
      valid: true,
      firstBlock: 1n,
      blockCount: 3,
      l2BlockNumber: 3n,
      txCount: 3,
      skippedRows: 0,
    })
    // 3 deposit rows + 3 tx rows + 3 block ends
    expect(b?.rowCount).toBe(9)
    expect(b?.leaves).toHaveLength(10)
    expect(b?.stateRoot).toBe(w.seq.state.stateRoot())
    expect(b?.postCommitment).toBe(stateCommitment(w.seq.state.stateHeader(3n)))
    expect(b?.leaves[9]).toBe(b?.postCommitment)
    // Every derived block is the sequencer's block: same hash (so same parent, timestamp, txs, root, deposits).
    for (let n = 1n; n <= 3n; n++) {
      const sealed = w.store.getBlock(n)
      expect(w.derivation.derivedBlock(n)).toMatchObject({
        hash: sealed?.hash,
        stateRoot: sealed?.stateRoot,
        depositCountAfter: sealed?.depositCountAfter,
      })
    }
    expect(w.derivation.safeHead.hash).toBe(w.seq.head.hash)
    expect(w.derivation.state.getBalance(carol.address, token.index)).toBe(20n * 10n ** 18n)

    // The next batch goes on from there, with a deposit queued after the first batch.
    w.l1.deposit({ from: carol.address, to: carol.address, amount: parseEther('3') })
    w.l1.mine()
    await w.feed.sync()
    // Block 4: carol's transaction (a block takes new deposits only before its first transaction); block 5: deposit 3.
    await w.seal([ethTransfer(carol, alice.address, 0n, parseEther('0.1'))])
    await w.seal()
    expect(w.store.getBlock(5n)?.deposits.map((d) => d.index)).toEqual([3n])
    w.postBlocks(4n, 5n)
    w.l1.mine()
    await w.feed.sync()
    expect(w.derivation.batches[1]).toMatchObject({
      valid: true,
      firstBlock: 4n,
      l2BlockNumber: 5n,
      txCount: 1,
      rowCount: 4,
      depositCountAfter: 4n,
    })
    expect(w.derivation.batches[1]?.leaves[0]).toBe(b?.postCommitment)
    expect(w.derivation.safeHead).toMatchObject({
      number: 5n,
      hash: w.seq.head.hash,
      stateRoot: w.seq.head.stateRoot,
    })
    expect(w.derivation.state.stateRoot()).toBe(w.seq.state.stateRoot())
    expect(w.derivation.l1Position).toEqual({ blockNumber: w.l1.head.number, blockHash: w.l1.head.hash })
  })

  it('ignores an invalid batch with a reason and keeps deriving the next', async () => {
    const w = await open()
    fund(w.l1, [alice])
    await w.feed.sync()
    await w.seal()
    await w.seal([ethTransfer(alice, bob.address, 0n, parseEther('0.5'))])
    const genesisRoot = w.derivation.state.stateRoot()
    const good = encodeBlocks(w.store, 1n, 2n)
    // 1. undecodable data (an unknown version)
    w.l1.appendBatchCalldata({ ...good, data: corruptBatchData('garbage-batch', good.data) as Uint8Array })
    // 2. a batch that skips block 1
    const late = encodeBlocks(w.store, 2n, 2n)
    w.l1.appendBatchCalldata(late)
    w.l1.mine()
    await w.feed.sync()
    const [garbage, skipping] = w.derivation.batches
    expect(garbage).toMatchObject({ valid: false, rowCount: 0, l2BlockNumber: 0n, txCount: 0 })
    expect(garbage?.reason).toBe('batch version is 255, not 3')
    expect(skipping).toMatchObject({ valid: false, rowCount: 0, l2BlockNumber: 0n })
    expect(skipping?.reason).toBe('batch starts at block 2, the next block is 1')
    // An invalid batch changes nothing: its trace is the one leaf L0 and the state is still genesis.
    for (const b of [garbage, skipping])
      expect(b?.leaves).toEqual([stateCommitment(w.derivation.state.stateHeader(0n))])
    expect(w.derivation.safeHead.number).toBe(0n)
    expect(w.derivation.state.stateRoot()).toBe(genesisRoot)
    const warned = w.logger.records.filter((r) => r.msg === 'ignored an invalid batch')
    expect(warned.map((r) => [r.fields.batchIndex, r.fields.reason])).toEqual([
      ['0', garbage?.reason],
      ['1', skipping?.reason],
    ])

    // The sequencer reposts the real data: derived as if the invalid batches never came.
    w.postBlocks(1n, 2n)
    w.l1.mine()
    await w.feed.sync()
    expect(w.derivation.batches[2]).toMatchObject({ valid: true, l2BlockNumber: 2n, txCount: 1 })
    expect(w.derivation.safeHead.hash).toBe(w.seq.head.hash)
    expect(w.derivation.state.stateRoot()).toBe(w.seq.state.stateRoot())
  })

  it('judges a proposal right (agrees: true) or wrong (agrees: false) against its derived trace', async () => {
    const w = await open()
    const proposer = new FakeSender(w.l1, '0x0000000000000000000000000000000000000abc')
    fund(w.l1, [alice, bob])
    await w.feed.sync()
    await w.seal()
    await w.seal([ethTransfer(alice, bob.address, 0n, parseEther('0.25'))])
    w.postBlocks(1n, 2n)
    w.l1.mine()
    await w.feed.sync()
    const b0 = w.derivation.batches[0]
    if (!b0) throw new Error('batch 0 not derived')

    // Right: the derived end state, step count and trace.
    await proposeCalldataFrom(proposer, w, 0n, b0.leaves)
    await w.feed.sync()
    expect(w.derivation.proposals[0]).toMatchObject({
      proposalIndex: 0n,
      batchIndex: 0n,
      agrees: true,
      derivedRoot: b0.stateRoot,
      stateRoot: b0.stateRoot,
      stepCount: BigInt(b0.rowCount),
      l2BlockNumber: 2n,
    })

    await w.seal([ethTransfer(bob, carol.address, 0n, parseEther('0.5'))])
    w.postBlocks(3n, 3n)
    w.l1.mine()
    await w.feed.sync()
    const b1 = w.derivation.batches[1]
    const material = w.derivation.proofMaterial(1n)
    if (!b1 || !material) throw new Error('batch 1 not derived')

    // Wrong root: the recipient credited 1 ETH more.
    const forged = faultyTrace('wrong-balance', {
      pre: material.preState,
      preBlockNumber: material.preBlockNumber,
      data: material.data,
      chainId: chain.chainId,
      batchDepositCountAfter: b1.depositCountAfter,
      deposits: (i) => w.derivation.deposits[Number(i)],
      attacker: mallory.address,
    })
    if (!forged) throw new Error('no forged trace')
    await proposeCalldataFrom(proposer, w, 1n, forged.leaves, forged.end)
    await w.feed.sync()
    expect(w.derivation.proposals[1]).toMatchObject({ agrees: false, derivedRoot: b1.stateRoot })
    expect(w.derivation.proposals[1]?.stateRoot).not.toBe(b1.stateRoot)
    expect(w.logger.records.some((r) => r.level === 'error' && r.fields.proposalIndex === '1')).toBe(true)

    // A challenge deletes it; then a right root with a wrong step count (an extra leaf) is wrong too.
    w.l1.deleteProposalsFrom(1n)
    w.l1.mine()
    await w.feed.sync()
    expect(w.derivation.proposals[1]?.deleted).toBe(true)
    expect(w.derivation.latestLiveProposal()?.proposalIndex).toBe(0n)
    await proposeCalldataFrom(proposer, w, 1n, [...b1.leaves, b1.postCommitment])
    await w.feed.sync()
    expect(w.derivation.proposals[2]).toMatchObject({
      stateRoot: b1.stateRoot,
      stepCount: BigInt(b1.rowCount + 1),
      agrees: false,
    })

    w.l1.deleteProposalsFrom(2n)
    w.l1.mine()
    await proposeCalldataFrom(proposer, w, 1n, b1.leaves)
    await w.feed.sync()
    expect(w.derivation.proposals.map((p) => [p.proposalIndex, p.batchIndex, p.agrees, p.deleted])).toEqual([
      [0n, 0n, true, false],
      [1n, 1n, false, true],
      [2n, 1n, false, true],
      [3n, 1n, true, false],
    ])
    // The proposal time is the L1 block's.
    const block = w.l1.blockByHash(w.derivation.proposals[3]?.l1BlockHash as Hex)
    expect(w.derivation.proposals[3]?.proposedAt).toBe(Number(block?.timestamp))
  })

  it.each([
    ['no checkpoint before the ancestor: replay from genesis', 1_000],
    ['restoring the checkpoint before the ancestor and replaying the kept logs', 2],
  ])(
    'reorg(commonAncestor) undoes batches, proposals and deposits after it; the re-delivered logs give what a fresh derivation gives (%s)',
    async (_name, checkpointIntervalBlocks) => {
      const reorgs: DerivationReorg[] = []
      const w = await open({ derivation: { checkpointIntervalBlocks, onReorg: (e) => void reorgs.push(e) } })
      const proposer = new FakeSender(w.l1, '0x0000000000000000000000000000000000000abc')
      fund(w.l1, [alice, bob]) // L1 block 1: deposits 0, 1
      await w.feed.sync()
      await w.seal()
      await w.seal([ethTransfer(alice, bob.address, 0n, parseEther('0.25'))])
      w.postBlocks(1n, 2n)
      w.l1.mine() // 2: batch 0
      await w.feed.sync()
      await proposeCalldataFrom(proposer, w, 0n, w.derivation.batches[0]?.leaves ?? []) // 3: proposal 0
      await w.feed.sync()
      const before = {
        root: w.derivation.state.stateRoot(),
        head: w.derivation.safeHead,
        batch0: w.derivation.batches[0],
        proposal0: { ...w.derivation.proposals[0] },
      }
      w.l1.deposit({ from: carol.address, to: carol.address, amount: parseEther('1') })
      w.l1.mine() // 4: deposit 2
      await w.feed.sync()
      await w.seal() // L2 block 3: deposit 2
      await w.seal([ethTransfer(carol, alice.address, 0n, parseEther('0.5'))])
      const batch1 = encodeBlocks(w.store, 3n, 4n)
      w.l1.appendBatchCalldata(batch1)
      w.l1.mine() // 5: batch 1
      await w.feed.sync()
      await proposeCalldataFrom(proposer, w, 1n, w.derivation.batches[1]?.leaves ?? []) // 6: proposal 1
      await w.feed.sync()
      expect([
        w.derivation.batches.length,
        w.derivation.proposals.length,
        w.derivation.deposits.length,
      ]).toEqual([2, 2, 3])
      expect(w.derivation.safeHead.number).toBe(4n)

      // L1 reorgs back to block 3: derivation undoes what blocks 4..6 brought.
      w.l1.reorg(3n)
      await w.derivation.reorg(3n, 6n)
      w.feed.rewind(3n)
      expect(reorgs).toEqual([
        {
          commonAncestor: 3n,
          previousBlock: 6n,
          droppedLogs: 3,
          droppedBatches: [1n],
          droppedProposals: [1n],
          droppedDeposits: [2n],
        },
      ])
      expect([
        w.derivation.batches.length,
        w.derivation.proposals.length,
        w.derivation.deposits.length,
      ]).toEqual([1, 1, 2])
      expect(w.derivation.safeHead).toEqual(before.head)
      expect(w.derivation.state.stateRoot()).toBe(before.root)
      expect(w.derivation.batches[0]).toEqual(before.batch0)
      expect(w.derivation.proposals[0]).toEqual(before.proposal0)
      expect(w.derivation.derivedBlock(3n)).toBeUndefined()
      expect(w.derivation.l1Position).toBeUndefined()

      // The new branch: the deposit comes back with another amount, in the same block as the batch, and no proposal.
      const depositsSeen = w.seen.deposits.length
      w.l1.deposit({ from: carol.address, to: carol.address, amount: parseEther('2') })
      w.l1.appendBatchCalldata(batch1)
      w.l1.mine()
      w.l1.mine()
      await w.feed.sync()
      // Callbacks fire once per log L1 delivers, never for the replayed logs.
      expect(w.seen.deposits.length).toBe(depositsSeen + 1)
      expect(w.seen.deposits[w.seen.deposits.length - 1]?.amount).toBe(parseEther('2'))

      const fresh = newDerivation(w.l1)
      await new L1Feed(w.l1, fresh).sync()
      const view = (d: typeof fresh) => ({
        head: d.safeHead,
        root: d.state.stateRoot(),
        header: d.state.stateHeader(d.safeHead.number),
        deposits: d.deposits,
        batches: d.batches.map((b) => ({ ...b })),
        proposals: d.proposals.map((p) => ({ ...p })),
        l1: d.l1Position,
      })
      expect(view(w.derivation)).toEqual(view(fresh))
      // ... and that is the new branch's content: carol's deposit of 2 ETH, minus what she sent and its fee.
      expect(w.derivation.state.getBalance(carol.address)).toBe(parseEther('1.5') - 21_000n * chain.baseFee)
      expect(w.derivation.batches[1]?.l1BlockHash).toBe(w.l1.block(4n)?.hash)
    },
  )

  it('applies a log delivered twice once', async () => {
    const w = await open()
    fund(w.l1, [alice, bob])
    await w.feed.sync()
    await w.seal()
    await w.seal([ethTransfer(alice, bob.address, 0n, parseEther('0.25'))])
    w.postBlocks(1n, 2n)
    w.l1.deposit({ from: carol.address, to: carol.address, amount: parseEther('1') })
    const block = w.l1.mine()
    await w.feed.sync()
    const once = {
      root: w.derivation.state.stateRoot(),
      deposits: [...w.derivation.deposits],
      batches: w.derivation.batches.length,
      seen: w.seen.deposits.length,
    }
    // The follower re-delivers a whole range when a handler threw: the same logs again, and older ones.
    await w.feed.deliver(block)
    await w.feed.deliver(w.l1.block(1n) as NonNullable<ReturnType<typeof w.l1.block>>)
    for (const l of block.logs) await w.derivation.processLog(l)
    expect(w.derivation.state.stateRoot()).toBe(once.root)
    expect(w.derivation.deposits).toEqual(once.deposits)
    expect(w.derivation.batches).toHaveLength(once.batches)
    expect(w.seen.deposits).toHaveLength(once.seen)
    expect(w.derivation.state.depositCount).toBe(2n)
  })

  it('gives a withdrawal covered by an agreeing proposal a proof that verifies against its state root', async () => {
    const w = await open()
    const proposer = new FakeSender(w.l1, '0x0000000000000000000000000000000000000abc')
    fund(w.l1, [alice, bob])
    await w.feed.sync()
    await w.seal()
    await w.seal([
      withdrawEth(bob, l1Recipient, 0n, parseEther('0.3')),
      ethTransfer(alice, bob.address, 0n, parseEther('0.1')),
    ])
    await w.seal([withdrawEth(alice, l1Recipient, 1n, parseEther('0.2'))])
    w.postBlocks(1n, 3n)
    w.l1.mine()
    await w.feed.sync()
    const batch = w.derivation.batches[0]
    if (!batch) throw new Error('batch 0 not derived')
    expect(batch.withdrawalCount).toBe(2n)
    expect(w.derivation.withdrawalProof(0n)).toBeUndefined() // no proposal yet

    // A wrong proposal covers it: no proof against a root derivation disagrees with.
    const material = w.derivation.proofMaterial(0n)
    if (!material) throw new Error('no proof material')
    const forged = faultyTrace('forged-withdrawal', {
      pre: material.preState,
      preBlockNumber: material.preBlockNumber,
      data: material.data,
      chainId: chain.chainId,
      batchDepositCountAfter: batch.depositCountAfter,
      deposits: (i) => w.derivation.deposits[Number(i)],
      attacker: mallory.address,
    })
    if (!forged) throw new Error('no forged trace')
    await proposeCalldataFrom(proposer, w, 0n, forged.leaves, forged.end)
    await w.feed.sync()
    expect(w.derivation.proposals[0]?.agrees).toBe(false)
    expect(w.derivation.withdrawalProof(0n)).toBeUndefined()
    w.l1.deleteProposalsFrom(0n)
    w.l1.mine()
    await proposeCalldataFrom(proposer, w, 0n, batch.leaves)
    await w.feed.sync()

    for (const [index, sender, amount] of [
      [0n, bob, parseEther('0.3')],
      [1n, alice, parseEther('0.2')],
    ] as const) {
      const proof = w.derivation.withdrawalProof(index)
      if (!proof) throw new Error(`no proof for withdrawal ${index}`)
      expect(proof.proposal.proposalIndex).toBe(1n)
      expect(proof.withdrawalHash).toBe(
        withdrawalHash({
          index,
          sender: sender.address.toLowerCase() as Hex,
          recipient: l1Recipient,
          l1Token: zeroAddress,
          amount,
        }),
      )
      expect(proof.siblings).toHaveLength(32)
      // What Portal.finalizeWithdrawal checks: the siblings fold the leaf up to a withdrawals root (bit i of the
      // index = right child at level i) that, with the accounts root, hashes to the proposal's state root.
      let node = proof.withdrawalHash
      proof.siblings.forEach((sibling, i) => {
        node =
          ((index >> BigInt(i)) & 1n) === 1n
            ? keccak256(concatHex([sibling, node]))
            : keccak256(concatHex([node, sibling]))
      })
      expect(node).toBe(w.derivation.state.withdrawalsRoot())
      expect(proof.accountsRoot).toBe(w.seq.state.accountsRoot())
      expect(stateRootOf(proof.accountsRoot, node)).toBe(proof.proposal.stateRoot)
    }
    expect(w.derivation.withdrawalProof(2n)).toBeUndefined()
  })

  it('records a transaction queued for force inclusion and derives the forced batch that applies it', async () => {
    const forcedBatches: { batchIndex: bigint; blockNumber: bigint; root: Hex; txs: Hex[] }[] = []
    const w = await open({
      derivation: {
        onForcedBatch: (f) =>
          void forcedBatches.push({
            batchIndex: f.batchIndex,
            blockNumber: f.blockNumber,
            root: f.state.stateRoot(),
            txs: f.txs.map((t) => t.hash),
          }),
      },
    })
    fund(w.l1, [alice])
    await w.feed.sync()
    await w.seal()
    w.postBlocks(1n, 1n)
    w.l1.mine()
    await w.feed.sync()
    const raw = ethTransfer(alice, carol.address, 0n, parseEther('0.4'))
    const { tx, hash } = decodeRawTransaction(raw, { chainId: chain.chainId })
    const row = encodeTxRowV3(tx)
    w.l1.queueForcedTx(row, alice.address)
    w.l1.mine()
    await w.feed.sync()
    expect(w.derivation.forcedTxs.map((f) => [f.index, bytesToHex(f.row), f.queuedBy.toLowerCase()])).toEqual(
      [[0n, bytesToHex(row), alice.address.toLowerCase()]],
    )
    expect(w.seen.forcedTxs).toHaveLength(1)

    const { data } = w.l1.appendForcedBatch({ rows: [row], firstForcedIndex: 0n })
    w.l1.mine()
    await w.feed.sync()
    const b = w.derivation.batches[1]
    expect(b).toMatchObject({
      forced: true,
      valid: true,
      rowCount: 1,
      txCount: 0,
      l2BlockNumber: 1n,
      dataHash: keccak256(data),
    })
    // Forced rows close no block: the safe head stays, the state moves on.
    expect(w.derivation.safeHead.number).toBe(1n)
    expect(w.derivation.state.getBalance(carol.address)).toBe(parseEther('0.4'))
    expect(forcedBatches).toEqual([
      { batchIndex: 1n, blockNumber: 1n, root: w.derivation.state.stateRoot(), txs: [hash] },
    ])
    expect(b?.leaves).toEqual([
      w.derivation.batches[0]?.postCommitment,
      stateCommitment(w.derivation.state.stateHeader(1n)),
    ])
  })

  // Was a bug (found by this test): the deposit was recorded before `onDeposit` was awaited and the log marked
  // applied only after it, so a throwing callback made the re-delivered log record the deposit twice (every later
  // deposit index shifted). Now a log is applied once and its callbacks are retried until they succeed.
  it('applies a deposit once when onDeposit threw and the log is delivered again, and retries the callback', async () => {
    let failures = 1
    const delivered: bigint[] = []
    const w = await open({
      derivation: {
        onDeposit: (d) => {
          if (failures-- > 0) throw new Error('the inbox could not store the deposit')
          delivered.push(d.index)
        },
      },
    })
    w.l1.deposit({ from: alice.address, to: alice.address, amount: parseEther('1') })
    const block = w.l1.mine()
    await expect(w.feed.sync()).rejects.toThrow('could not store')
    await w.feed.deliver(block) // the follower re-delivers the range
    w.l1.deposit({ from: bob.address, to: bob.address, amount: parseEther('2') })
    w.l1.mine()
    await w.feed.sync()
    expect(w.derivation.deposits.map((d) => d.index)).toEqual([0n, 1n])
    expect(delivered).toEqual([0n, 1n])
  })

  // Was a bug (found by this test): a forced batch was derived before `onForcedBatch` was awaited, so a throwing
  // callback (the node's re-sync writes to LMDB) made the re-delivered log derive it again on its own post-state
  // (its tx row then failed by nonce and its trace started at the post-state).
  it('derives a forced batch once when onForcedBatch threw and the log is delivered again', async () => {
    let failures = 1
    const w = await open({
      derivation: {
        onForcedBatch: () => {
          if (failures-- > 0) throw new Error('the sequencer re-sync failed')
        },
      },
    })
    fund(w.l1, [alice])
    await w.feed.sync()
    await w.seal()
    w.postBlocks(1n, 1n)
    w.l1.mine()
    await w.feed.sync()
    const { tx } = decodeRawTransaction(ethTransfer(alice, carol.address, 0n, parseEther('0.4')), {
      chainId: chain.chainId,
    })
    const row = encodeTxRowV3(tx)
    w.l1.queueForcedTx(row, alice.address)
    w.l1.appendForcedBatch({ rows: [row], firstForcedIndex: 0n })
    const block = w.l1.mine()
    await expect(w.feed.sync()).rejects.toThrow('re-sync failed')
    await w.feed.deliver(block) // the follower re-delivers the range
    const b = w.derivation.batches[1]
    expect(b?.skippedRows).toBe(0)
    expect(b?.leaves[0]).toBe(w.derivation.batches[0]?.postCommitment)
    expect(w.derivation.state.getBalance(carol.address)).toBe(parseEther('0.4'))
  })
})
