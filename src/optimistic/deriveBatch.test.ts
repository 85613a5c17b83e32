import { parseEther } from 'viem'
import { describe, expect, it } from 'vitest'
import { type LoadAccount, loadAccounts, signL2Tx, walletFees } from '../../bench/loadgen.ts'
import { encodeBatch } from '../core/batchCodec.ts'
import { compressBatchData } from '../core/compression.ts'
import { GAS } from '../core/constants.ts'
import { decodeRawTransaction } from '../core/l2tx.ts'
import { L2State } from '../core/state.ts'
import type { Batch, Deposit, L2Tx } from '../core/types.ts'
import { genesisBlock } from './block.ts'
import { type DeriveContext, deriveBatch } from './deriveBatch.ts'

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

function data(batch: Batch, state: L2State): Uint8Array {
  return compressBatchData(encodeBatch(batch, { indexOf: (a) => state.indexOf(a) }))
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
    expect(r.valid).toBe(true)
    if (!r.valid) return
    expect(r.blocks).toHaveLength(1)
    expect(r.blocks[0]?.stateRoot).toBe(state.stateRoot())
    expect(state.getBalance(bob.address, 0)).toBe(parseEther('0.25'))
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
    expect(r.valid && r.skippedTxs.map((s) => s.code)).toEqual(['INSUFFICIENT_BALANCE'])
    expect(state.getBalance(bob.address, 0)).toBe(parseEther('0.5'))
  })

  it.each([
    ['undecodable bytes', () => new Uint8Array([1, 2, 3]), header, /INVALID_BATCH/],
    [
      'a batch that does not start at the next block',
      (s: L2State) =>
        data({ firstBlockNumber: 7n, blocks: [{ timestamp: 5, depositCountAfter: 1n, txs: [] }] }, s),
      { ...header, firstL2Block: 7n },
      /expected 1/,
    ],
    [
      'deposits beyond what L1 queued',
      (s: L2State) =>
        data({ firstBlockNumber: 1n, blocks: [{ timestamp: 5, depositCountAfter: 2n, txs: [] }] }, s),
      { ...header, depositCountAfter: 2n },
      /only 1 queued/,
    ],
    [
      'a block count that disagrees with L1',
      (s: L2State) =>
        data({ firstBlockNumber: 1n, blocks: [{ timestamp: 5, depositCountAfter: 1n, txs: [] }] }, s),
      { ...header, l2BlockCount: 2 },
      /disagree/,
    ],
  ])('ignores %s whole and leaves the state untouched', (_name, make, h, reason) => {
    const { state, ctx } = fresh()
    const before = state.stateRoot()
    const r = deriveBatch(state, make(state), h, ctx)
    expect(r.valid).toBe(false)
    if (r.valid) return
    expect(r.reason).toMatch(reason)
    expect(state.stateRoot()).toBe(before)
    expect(state.depositCount).toBe(0n)
  })
})
