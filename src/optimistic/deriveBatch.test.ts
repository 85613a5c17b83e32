import { parseEther } from 'viem'
import { describe, expect, it } from 'vitest'
import { stateCommitment } from '../core/commitment.ts'
import { GAS } from '../core/constants.ts'
import { decodeRawTransaction } from '../core/l2tx.ts'
import { L2State } from '../core/state.ts'
import type { Batch, Deposit, L2Tx } from '../core/types.ts'
import { genesisBlock } from './block.ts'
import { type DeriveContext, deriveBatch } from './deriveBatch.ts'
import { type LoadAccount, loadAccounts, signL2Tx, walletFees } from './loadgen.ts'
import { encodeBatchV3 } from './protocol/batchCodecV3.ts'

const chainId = 42069n
const baseFee = 1_000_000n
const accounts = loadAccounts(2, 'derive-')
const alice = accounts[0] as LoadAccount
const bob = accounts[1] as LoadAccount

function fresh(): { state: L2State; ctx: DeriveContext; deposits: Deposit[] } {
  const state = new L2State({ chainId, baseFee })
  const g = genesisBlock(0, state.stateRoot())
  const deposits: Deposit[] = [
    { index: 0n, from: alice.address, to: alice.address, tokenIndex: 0, amount: parseEther('1') },
  ]
  return {
    state,
    deposits,
    ctx: { chainId, deposits, parent: { number: 0n, hash: g.hash, timestamp: 0, depositCountAfter: 0n } },
  }
}

function transfer(nonce: bigint, amount: bigint): L2Tx {
  const raw = signL2Tx(
    {
      nonce,
      gasLimit: GAS.ethTransfer,
      fees: walletFees(baseFee),
      op: { kind: 'ethTransfer', to: bob.address, amount },
    },
    chainId,
    alice.privateKey,
  )
  return decodeRawTransaction(raw, { chainId }).tx
}

function data(batch: Batch, _state?: L2State): Uint8Array {
  return encodeBatchV3(batch, 0n)
}

const header = { batchIndex: 0n, firstL2Block: 1n, l2BlockCount: 1, depositCountAfter: 1n }

describe('deriveBatch', () => {
  it('applies deposits then transactions and returns the block with its state root', () => {
    const { state, ctx } = fresh()
    const batch: Batch = {
      firstBlockNumber: 1n,
      blocks: [{ timestamp: 5, depositCountAfter: 1n, txs: [transfer(0n, parseEther('0.25'))] }],
    }
    const r = deriveBatch(state, data(batch, state), header, ctx)
    const pre = stateCommitment(fresh().state.stateHeader(0n))
    expect(r.valid).toBe(true)
    expect(r.blocks).toHaveLength(1)
    expect(r.blocks[0]?.stateRoot).toBe(state.stateRoot())
    expect(state.getBalance(bob.address, 0)).toBe(parseEther('0.25'))
    // deposit row, tx row, block end: three steps, the trace runs from the pre-state to the post-state
    expect(r.rowCount).toBe(3)
    expect(r.leaves).toHaveLength(4)
    expect(r.leaves[0]).toBe(pre)
    expect(r.leaves[3]).toBe(stateCommitment(state.stateHeader(1n)))
  })

  it('skips a transaction that fails execution and keeps the rest of the batch', () => {
    const { state, ctx } = fresh()
    const batch: Batch = {
      firstBlockNumber: 1n,
      blocks: [
        {
          timestamp: 5,
          depositCountAfter: 1n,
          txs: [transfer(0n, parseEther('5')), transfer(0n, parseEther('0.5'))],
        },
      ],
    }
    const r = deriveBatch(state, data(batch, state), header, ctx)
    expect(r.valid && r.skippedRows.map((s) => s.code)).toEqual(['INSUFFICIENT_BALANCE'])
    expect(r.txCount).toBe(1)
    expect(state.getBalance(bob.address, 0)).toBe(parseEther('0.5'))
  })

  it('treats a deposit row beyond what the batch declared on L1 as a no-op', () => {
    const { state, ctx } = fresh()
    const batch: Batch = { firstBlockNumber: 1n, blocks: [{ timestamp: 5, depositCountAfter: 1n, txs: [] }] }
    const r = deriveBatch(state, data(batch), { ...header, depositCountAfter: 0n }, ctx)
    expect(r.valid).toBe(true)
    expect(r.skippedRows.map((s) => s.code)).toEqual(['DEPOSIT_BEYOND_BATCH'])
    expect(state.depositCount).toBe(0n)
  })

  it.each([
    ['undecodable bytes', () => new Uint8Array([1, 2, 3]), header, /./],
    [
      'a batch that does not start at the next block',
      () => data({ firstBlockNumber: 7n, blocks: [{ timestamp: 5, depositCountAfter: 1n, txs: [] }] }),
      { ...header, firstL2Block: 7n },
      /7/,
    ],
    [
      'a batch whose last row is not a block end',
      () => {
        const d = data({ firstBlockNumber: 1n, blocks: [{ timestamp: 5, depositCountAfter: 1n, txs: [] }] })
        d[d.length - 124] = 1 // the block end becomes a deposit row
        return d
      },
      header,
      /block end/,
    ],
  ])('ignores %s whole and leaves the state untouched', (_name, make, h, reason) => {
    const { state, ctx } = fresh()
    const before = state.stateRoot()
    const r = deriveBatch(state, make(), h, ctx)
    expect(r.valid).toBe(false)
    expect(r.reason).toMatch(reason)
    expect(r.leaves).toHaveLength(1)
    expect(r.rowCount).toBe(0)
    expect(state.stateRoot()).toBe(before)
    expect(state.depositCount).toBe(0n)
  })
})
