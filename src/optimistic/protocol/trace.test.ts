// biome-ignore-all lint/style/noNonNullAssertion: tests index data they just built
import { describe, expect, it } from 'vitest'
import { concatBytes } from '../../core/bytes.ts'
import { stateCommitment } from '../../core/commitment.ts'
import { isL2kitError } from '../../core/errors.ts'
import { decodeRawTransaction, recoverSender } from '../../core/l2tx.ts'
import { SECP256K1_N } from '../../core/signature.ts'
import { L2State, l2TokenAddress } from '../../core/state.ts'
import type { Address, Batch, Deposit, Hex, L2Operation, L2Tx, TxFees } from '../../core/types.ts'
import { loadAccounts, signL2Tx } from '../loadgen.ts'
import {
  checkBatchV3,
  encodeBatchV3,
  encodeBlockEndRowV3,
  encodeDepositRowV3,
  encodeHeaderV3,
  encodeTxRowV3,
  rowDataOffsetV3,
} from './batchCodecV3.ts'
import {
  executeBatchV3,
  executeRowV3,
  leavesFromTraceData,
  type TraceContextV3,
  traceBytes,
  traceLeafPayloadOffset,
} from './trace.ts'

const CHAIN_ID = 901n
const BASE_FEE = 10n ** 9n
const ETHER = 10n ** 18n
const GWEI = 10n ** 9n

type Signer = { address: Address; privateKey: Hex }
const [alice, bob, outsider] = loadAccounts(3, 'l2kit-trace-') as [Signer, Signer, Signer]
const fresh = '0x00000000000000000000000000000000000f4e54' as Address
const TOKEN_1 = '0x1111111111111111111111111111111111111111' as Address

const queue: Deposit[] = [
  {
    index: 0n,
    from: alice.address,
    to: alice.address.toLowerCase() as Address,
    tokenIndex: 0,
    amount: 10n * ETHER,
  },
  {
    index: 1n,
    from: bob.address,
    to: bob.address.toLowerCase() as Address,
    tokenIndex: 0,
    amount: 3n * ETHER,
  },
  { index: 2n, from: alice.address, to: alice.address.toLowerCase() as Address, tokenIndex: 1, amount: 500n },
  { index: 3n, from: bob.address, to: fresh, tokenIndex: 0, amount: 1n },
]

function genesis(): L2State {
  const state = new L2State({ chainId: CHAIN_ID, baseFee: BASE_FEE })
  state.registerToken({
    index: 1,
    l1Address: TOKEN_1,
    l2Address: l2TokenAddress(1),
    name: 'T',
    symbol: 'T',
    decimals: 18,
  })
  return state
}

const fees: TxFees = { type: 'eip1559', maxFeePerGas: 2n * GWEI, maxPriorityFeePerGas: 0n }

function signed(
  signer: Signer,
  nonce: bigint,
  op: L2Operation,
  gasLimit = 100_000n,
): { tx: L2Tx; hash: Hex } {
  const d = decodeRawTransaction(signL2Tx({ nonce, gasLimit, fees, op }, CHAIN_ID, signer.privateKey), {
    chainId: CHAIN_ID,
  })
  return { tx: d.tx, hash: d.hash }
}

function ctx(over: Partial<TraceContextV3> = {}): TraceContextV3 {
  return {
    blockNumber: 0n,
    batchDepositCountAfter: 4n,
    deposits: (i) => queue[Number(i)],
    chainId: CHAIN_ID,
    ...over,
  }
}

/** Two blocks: deposits 0-2 then transfers (one failing), deposit 3 then a withdrawal and a token transfer. */
function sampleBatch() {
  const t1 = signed(alice, 0n, { kind: 'ethTransfer', to: bob.address, amount: ETHER })
  const failing = signed(bob, 5n, { kind: 'ethTransfer', to: alice.address, amount: 1n }) // nonce too high
  const t2 = signed(bob, 0n, { kind: 'ethTransfer', to: fresh, amount: ETHER / 2n })
  const t3 = signed(alice, 1n, { kind: 'withdrawEth', recipient: alice.address, amount: ETHER })
  const t4 = signed(alice, 2n, { kind: 'tokenTransfer', tokenIndex: 1, to: fresh, amount: 100n })
  const batch: Batch = {
    firstBlockNumber: 1n,
    blocks: [
      { timestamp: 1000, depositCountAfter: 3n, txs: [t1.tx, failing.tx, t2.tx] },
      { timestamp: 1002, depositCountAfter: 4n, txs: [t3.tx, t4.tx] },
    ],
  }
  return {
    batch,
    applied: [
      [t1, t2],
      [t3, t4],
    ],
    failing,
  }
}

describe('executeBatchV3', () => {
  it('derives what applying the blocks directly gives, with one leaf per row', () => {
    const { batch, applied } = sampleBatch()
    const data = encodeBatchV3(batch, 0n)
    const state = genesis()
    const L0 = stateCommitment(state.stateHeader(0n))
    const trace = executeBatchV3(state, data, ctx())
    expect(trace.valid).toBe(true)
    expect(trace.rowCount).toBe(3 + 3 + 1 + 1 + 2 + 1)
    expect(trace.leaves.length).toBe(trace.rowCount + 1)
    expect(trace.leaves[0]).toBe(L0)
    expect(trace.leaves.at(-1)).toBe(stateCommitment(state.stateHeader(2n)))
    expect(trace.blockNumber).toBe(2n)

    expect(trace.blocks.map((b) => [b.number, b.timestamp, b.depositCountAfter])).toEqual([
      [1n, 1000n, 3n],
      [2n, 1002n, 4n],
    ])
    expect(trace.blocks.map((b) => b.txs.map((t) => t.hash))).toEqual(
      applied.map((txs) => txs.map((t) => t.hash)),
    )
    expect(trace.blocks[0]!.txs.map((t) => t.sender)).toEqual([
      alice.address.toLowerCase(),
      bob.address.toLowerCase(),
    ])
    expect(state.getBalance(fresh)).toBe(ETHER / 2n + 1n)
    expect(state.getBalance(fresh, 1)).toBe(100n)
    expect(state.withdrawals.length).toBe(1)
    expect(state.tokenCount).toBe(1)
    const outcomes = trace.outcomes.map((o) => (o.applied ? `${o.kind}` : `${o.kind}:${o.code}`))
    expect(outcomes).toEqual([
      'deposit',
      'deposit',
      'deposit',
      'tx',
      'tx:NONCE_TOO_HIGH',
      'tx',
      'blockEnd',
      'deposit',
      'tx',
      'tx',
      'blockEnd',
    ])
    // a skipped row repeats the previous leaf; every other row changes it
    trace.outcomes.forEach((o, r) => {
      if (o.applied) expect(trace.leaves[r + 1], `row ${r}`).not.toBe(trace.leaves[r])
      else expect(trace.leaves[r + 1], `row ${r}`).toBe(trace.leaves[r])
    })
  })

  it('matches the block roots of plain L2State execution', () => {
    const { batch } = sampleBatch()
    const state = genesis()
    const trace = executeBatchV3(state, encodeBatchV3(batch, 0n), ctx())
    const direct = genesis()
    const roots: Hex[] = []
    for (const block of batch.blocks) {
      while (direct.depositCount < block.depositCountAfter)
        direct.applyDeposit(queue[Number(direct.depositCount)]!)
      for (const tx of block.txs) {
        try {
          direct.applyTx(tx, recoverSender(tx, CHAIN_ID))
        } catch (e) {
          if (!isL2kitError(e)) throw e
        }
      }
      roots.push(direct.stateRoot())
    }
    expect(trace.blocks.map((b) => b.stateRoot)).toEqual(roots)
  })

  it('leaves an invalid batch with the single leaf L0 and the state unchanged', () => {
    const { batch } = sampleBatch()
    const data = encodeBatchV3(batch, 0n)
    const state = genesis()
    const L0 = stateCommitment(state.stateHeader(0n))
    for (const [bad, c] of [
      [data, ctx({ blockNumber: 1n })], // firstBlockNumber mismatch
      [data.subarray(0, data.length - 1), ctx()],
      [concatBytes(encodeHeaderV3(1n, 1), encodeDepositRowV3()), ctx()], // last row not a block end
    ] as const) {
      const trace = executeBatchV3(state, bad, c)
      expect(trace.valid).toBe(false)
      expect(trace.reason).toBeTypeOf('string')
      expect(trace.rowCount).toBe(0)
      expect(trace.blocks).toEqual([])
      expect(trace.blockNumber).toBe(c.blockNumber)
      expect(trace.leaves).toEqual([stateCommitment(state.stateHeader(c.blockNumber))])
    }
    expect(stateCommitment(state.stateHeader(0n))).toBe(L0)
    expect(state.depositCount).toBe(0n)
  })

  it('stops before a row: a prefix of the full trace, the state after exactly those rows', () => {
    const { batch } = sampleBatch()
    const data = encodeBatchV3(batch, 0n)
    const full = executeBatchV3(genesis(), data, ctx())
    for (const stop of [0, 1, 4, 7, full.rowCount, full.rowCount + 5]) {
      const state = genesis()
      const part = executeBatchV3(state, data, ctx({ stopBeforeRow: stop }))
      const n = Math.min(stop, full.rowCount)
      expect(part.leaves).toEqual(full.leaves.slice(0, n + 1))
      expect(stateCommitment(state.stateHeader(part.blockNumber))).toBe(full.leaves[n])
      expect(part.outcomes.length).toBe(n)
    }
  })
})

describe('row semantics', () => {
  /** A state after deposits 0..2 at block 1. */
  function funded(): L2State {
    const state = genesis()
    for (let i = 0; i < 3; i++) state.applyDeposit(queue[i]!)
    return state
  }
  const run = (state: L2State, row: Uint8Array, over: Partial<TraceContextV3> = {}) =>
    executeRowV3(state, 1n, row, { ...ctx(), ...over })
  const expectNoop = (row: Uint8Array, code: string, over: Partial<TraceContextV3> = {}) => {
    const state = funded()
    const before = stateCommitment(state.stateHeader(1n))
    const step = run(state, row, over)
    expect(step.outcome.applied).toBe(false)
    if (!step.outcome.applied) expect(step.outcome.code).toBe(code)
    expect(step.blockNumber).toBe(1n)
    expect(stateCommitment(state.stateHeader(1n))).toBe(before)
  }
  const good = signed(alice, 0n, { kind: 'ethTransfer', to: bob.address, amount: 1n }).tx

  it('applies a well-formed transaction from a known sender', () => {
    const state = funded()
    const step = run(state, encodeTxRowV3(good))
    expect(step.outcome).toMatchObject({ kind: 'tx', applied: true })
    expect(state.getNonce(alice.address)).toBe(1n)
  })

  it('no-op: malformed tx row', () => {
    const row = encodeTxRowV3(good)
    row[1] = (row[1] as number) | 0x80
    expectNoop(row, 'MALFORMED_ROW')
  })

  it('no-op: unknown row type', () => {
    const row = encodeDepositRowV3()
    row[0] = 7
    expectNoop(row, 'UNKNOWN_ROW_TYPE')
  })

  it('no-op: a signature that is not canonical or recovers nobody', () => {
    expectNoop(
      encodeTxRowV3({
        ...good,
        signature: {
          ...good.signature,
          s: SECP256K1_N - good.signature.s,
          yParity: good.signature.yParity ? 0 : 1,
        },
      }),
      'INVALID_SIGNATURE',
    )
    expectNoop(encodeTxRowV3({ ...good, signature: { ...good.signature, r: 0n } }), 'INVALID_SIGNATURE')
  })

  it('skip: a sender without an account', () => {
    expectNoop(
      encodeTxRowV3(signed(outsider, 0n, { kind: 'ethTransfer', to: bob.address, amount: 0n }).tx),
      'UNKNOWN_ACCOUNT',
    )
  })

  it("skip: derivation's failing checks (e.g. a token whose first deposit is not applied)", () => {
    const state = genesis()
    state.applyDeposit(queue[0]!)
    const row = encodeTxRowV3(
      signed(alice, 0n, { kind: 'tokenTransfer', tokenIndex: 1, to: bob.address, amount: 0n }).tx,
    )
    const step = executeRowV3(state, 0n, row, ctx())
    expect(step.outcome).toMatchObject({ applied: false, code: 'UNKNOWN_TOKEN' })
  })

  it('deposit row: applies deposit #depositCount below batchDepositCountAfter, else no-op', () => {
    const state = funded()
    const step = run(state, encodeDepositRowV3())
    expect(step.outcome).toEqual({ kind: 'deposit', applied: true, depositIndex: 3n })
    expect(state.depositCount).toBe(4n)
    expectNoop(encodeDepositRowV3(), 'DEPOSIT_BEYOND_BATCH', { batchDepositCountAfter: 3n })
    expectNoop(encodeDepositRowV3(), 'DEPOSIT_BEYOND_BATCH', { batchDepositCountAfter: 0n })
    const malformed = encodeDepositRowV3()
    malformed[123] = 1
    expectNoop(malformed, 'MALFORMED_ROW')
  })

  it('deposit row: a deposit the context does not know is a caller error', () => {
    expect(() => run(funded(), encodeDepositRowV3(), { deposits: () => undefined })).toThrow(
      expect.objectContaining({ code: 'MISSING_DEPOSIT' }),
    )
  })

  it('block-end row: blockNumber + 1 (it changes the leaf), malformed → no-op', () => {
    const state = funded()
    const before = stateCommitment(state.stateHeader(1n))
    const step = run(state, encodeBlockEndRowV3(77n))
    expect(step).toEqual({
      blockNumber: 2n,
      outcome: { kind: 'blockEnd', applied: true, blockNumber: 2n, timestamp: 77n },
    })
    expect(stateCommitment(state.stateHeader(2n))).not.toBe(before)
    const malformed = encodeBlockEndRowV3(77n)
    malformed[9] = 1
    expectNoop(malformed, 'MALFORMED_ROW')
  })

  it('rejects a context for another chain', () => {
    expect(() => run(funded(), encodeBlockEndRowV3(1n), { chainId: 1n })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    )
  })

  it('a malformed row inside a valid batch is one no-op step', () => {
    const { batch } = sampleBatch()
    const data = encodeBatchV3(batch, 0n)
    data[rowDataOffsetV3(3) + 123] = 1 // the first tx row
    const trace = executeBatchV3(genesis(), data, ctx())
    expect(trace.valid).toBe(true)
    expect(trace.outcomes[3]).toMatchObject({ kind: 'tx', applied: false, code: 'MALFORMED_ROW' })
    expect(trace.leaves[4]).toBe(trace.leaves[3])
    expect(trace.blocks[0]!.txs.length).toBe(1)
  })
})

describe('trace data', () => {
  it('concatenates 32-byte leaves and reads them back', () => {
    const leaves: Hex[] = [`0x${'11'.repeat(32)}`, `0x${'22'.repeat(32)}`, `0x${'ab'.repeat(32)}`]
    const bytes = traceBytes(leaves)
    expect(bytes.length).toBe(96)
    expect(bytes[32]).toBe(0x22)
    expect(leavesFromTraceData(bytes)).toEqual(leaves)
    expect(traceLeafPayloadOffset(2)).toBe(4 + 64)
  })

  it('refuses trace data that is not whole leaves', () => {
    for (const bad of [new Uint8Array(0), new Uint8Array(31), new Uint8Array(65)]) {
      let caught: unknown
      try {
        leavesFromTraceData(bad)
      } catch (e) {
        caught = e
      }
      expect(isL2kitError(caught, 'INVALID_TRACE')).toBe(true)
    }
    expect(() => traceBytes([`0x${'11'.repeat(31)}`])).toThrow(
      expect.objectContaining({ code: 'INVALID_TRACE' }),
    )
  })
})

describe('forced batches (the Rollup builds them from its forced-transaction queue)', () => {
  /** header(firstBlockNumber 0) ‖ tx rows: no block end, as `appendForcedBatch` builds it. */
  function forcedData(rows: Uint8Array[]): Uint8Array {
    return concatBytes(encodeHeaderV3(0n, rows.length), ...rows)
  }

  it('are valid without the block rules, close no block, and apply their rows', () => {
    const state = genesis()
    for (let i = 0; i < 3; i++) state.applyDeposit(queue[i]!)
    const t = signed(alice, 0n, { kind: 'ethTransfer', to: bob.address, amount: ETHER }).tx
    const w = signed(alice, 1n, { kind: 'withdrawEth', recipient: alice.address, amount: ETHER }).tx
    const data = forcedData([encodeTxRowV3(t), encodeTxRowV3(w)])
    expect(checkBatchV3(data, 8n).valid).toBe(false) // as an ordinary batch: wrong first block, no block end
    expect(checkBatchV3(data, 8n, { forced: true })).toEqual({
      valid: true,
      rowCount: 2,
      firstBlockNumber: 0n,
    })
    const trace = executeBatchV3(state, data, ctx({ blockNumber: 7n, forced: true }))
    expect(trace.valid).toBe(true)
    expect(trace.blocks).toEqual([])
    expect(trace.blockNumber).toBe(7n)
    expect(trace.leaves).toHaveLength(3)
    expect(state.getNonce(alice.address)).toBe(2n)
    expect(state.withdrawals).toHaveLength(1)
  })

  it('a row the sequencer already included fails again by nonce: a no-op', () => {
    const state = genesis()
    for (let i = 0; i < 3; i++) state.applyDeposit(queue[i]!)
    const t = signed(alice, 0n, { kind: 'ethTransfer', to: bob.address, amount: ETHER }).tx
    executeRowV3(state, 1n, encodeTxRowV3(t), ctx())
    const before = stateCommitment(state.stateHeader(1n))
    const trace = executeBatchV3(
      state,
      forcedData([encodeTxRowV3(t)]),
      ctx({ blockNumber: 1n, forced: true }),
    )
    expect(trace.outcomes[0]).toMatchObject({ applied: false })
    expect(trace.leaves).toEqual([before, before])
  })
})
