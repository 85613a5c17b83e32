import { beforeAll, describe, expect, it } from 'vitest'
import {
  changePubKeyRequest,
  depositRequest,
  fullExitRequest,
  signTx,
  testUser,
} from '../testing/fixtures.ts'
import { loadZkCrypto, zkSign } from './crypto.ts'
import { decodePubdata, MAX_AMOUNT, OpType, signedMessage } from './ops.ts'
import { applyProvenPubdata, buildBlock, ZkState } from './state.ts'

beforeAll(loadZkCrypto)

function funded(): ZkState {
  const state = new ZkState(8)
  const a = testUser('alice')
  const b = testUser('bob')
  state.apply(
    { type: OpType.deposit, account: 0, token: 0, amount: 1000n, owner: a.address, pkHash: a.pkHash },
    { request: depositRequest(a.address, 0, 1000n, a.pkHash) },
  )
  state.apply(
    { type: OpType.deposit, account: 1, token: 0, amount: 10n, owner: b.address, pkHash: 0n },
    { request: depositRequest(b.address, 0, 10n) },
  )
  return state
}

describe('ZkState refusals (typed, and nothing changes)', () => {
  const alice = () => testUser('alice')
  const cases: [string, (s: ZkState) => unknown, string][] = [
    [
      'bad signature',
      (s) =>
        s.apply({
          ...signTx(alice(), { type: 2, from: 0, to: 1, token: 0, amount: 5n, nonce: 0 }),
          amount: 6n,
        }),
      'INVALID_SIGNATURE',
    ],
    [
      'wrong key',
      (s) =>
        s.apply(signTx(testUser('mallory'), { type: 2, from: 0, to: 1, token: 0, amount: 5n, nonce: 0 })),
      'INVALID_SIGNATURE',
    ],
    [
      'nonce too high',
      (s) => s.apply(signTx(alice(), { type: 2, from: 0, to: 1, token: 0, amount: 5n, nonce: 1 })),
      'NONCE_TOO_HIGH',
    ],
    [
      'over balance',
      (s) => s.apply(signTx(alice(), { type: 2, from: 0, to: 1, token: 0, amount: 1001n, nonce: 0 })),
      'INSUFFICIENT_BALANCE',
    ],
    [
      'not packable',
      (s) =>
        s.apply(signTx(alice(), { type: 2, from: 0, to: 1, token: 0, amount: (1n << 35n) + 1n, nonce: 0 })),
      'AMOUNT_NOT_PACKABLE',
    ],
    [
      'unknown account',
      (s) => s.apply(signTx(alice(), { type: 2, from: 0, to: 7, token: 0, amount: 5n, nonce: 0 })),
      'UNKNOWN_ACCOUNT',
    ],
    [
      'account outside the tree',
      (s) => s.apply(signTx(alice(), { type: 2, from: 0, to: 256, token: 0, amount: 5n, nonce: 0 })),
      'INVALID_ACCOUNT_INDEX',
    ],
    [
      'unknown token',
      (s) => s.apply(signTx(alice(), { type: 2, from: 0, to: 1, token: 4, amount: 5n, nonce: 0 })),
      'INVALID_TOKEN_INDEX',
    ],
    [
      'amount too large',
      (s) =>
        s.apply(
          signTx(alice(), { type: 4, from: 0, token: 0, amount: MAX_AMOUNT + 1n, nonce: 0, toAddress: 1n }),
        ),
      'INVALID_AMOUNT',
    ],
    [
      'no L2 key',
      (s) => s.apply(signTx(testUser('bob'), { type: 2, from: 1, to: 0, token: 0, amount: 5n, nonce: 0 })),
      'ZK_NO_L2_KEY',
    ],
    [
      'transfer to new onto a taken account',
      (s) =>
        s.apply(signTx(alice(), { type: 3, from: 0, to: 1, token: 0, amount: 5n, nonce: 0, toAddress: 5n })),
      'ZK_ACCOUNT_TAKEN',
    ],
    [
      'withdraw to address 0',
      (s) => s.apply(signTx(alice(), { type: 4, from: 0, token: 0, amount: 5n, nonce: 0, toAddress: 0n })),
      'INVALID_ADDRESS',
    ],
    [
      "deposit into another owner's account",
      (s) =>
        s.apply(
          { type: 1, account: 0, token: 0, amount: 1n, owner: 5n, pkHash: 0n },
          { request: depositRequest(5n, 0, 1n) },
        ),
      'ZK_ACCOUNT_TAKEN',
    ],
    [
      'deposit that does not match its request',
      (s) =>
        s.apply(
          { type: 1, account: 2, token: 0, amount: 2n, owner: 5n, pkHash: 0n },
          { request: depositRequest(5n, 0, 1n) },
        ),
      'ZK_PRIORITY_MISMATCH',
    ],
    [
      'deposit without its request',
      (s) => s.apply({ type: 1, account: 2, token: 0, amount: 2n, owner: 5n, pkHash: 0n }),
      'ZK_PRIORITY_MISMATCH',
    ],
    [
      'balance overflow',
      (s) =>
        s.apply(
          { type: 1, account: 0, token: 0, amount: MAX_AMOUNT, owner: alice().address, pkHash: 0n },
          { request: depositRequest(alice().address, 0, MAX_AMOUNT) },
        ),
      'BALANCE_OVERFLOW',
    ],
  ]
  for (const [name, run, code] of cases) {
    it(name, () => {
      const state = funded()
      const root = state.root()
      expect(() => run(state)).toThrow(expect.objectContaining({ code }))
      expect(state.root()).toBe(root)
      expect(state.account(0).nonce).toBe(0)
    })
  }

  it('nonce too low (a replayed transfer)', () => {
    const state = funded()
    const tx = signTx(alice(), { type: 2, from: 0, to: 1, token: 0, amount: 5n, nonce: 0 })
    state.apply(tx)
    const root = state.root()
    expect(() => state.apply(tx)).toThrow(expect.objectContaining({ code: 'NONCE_TOO_LOW' }))
    expect(state.root()).toBe(root)
  })

  it('a full exit by a stranger withdraws nothing; change-pubkey by a stranger changes nothing', () => {
    const state = funded()
    const root = state.root()
    const slots = state.apply(
      { type: OpType.fullExit, account: 0, token: 0, requester: 5n, amount: 0n },
      { request: fullExitRequest(5n, 0, 0) },
    )
    expect(slots[0]?.amount).toBe(0n)
    state.apply(
      { type: OpType.changePubKey, account: 0, requester: 5n, pkHash: 9n },
      { request: changePubKeyRequest(5n, 0, 9n) },
    )
    expect(state.root()).toBe(root)
  })
})

describe('rebuilding from proven pubdata', () => {
  it('gives the same root as the sequencer', () => {
    const a = testUser('alice')
    const c = testUser('carol')
    const sequencer = new ZkState(8)
    const follower = new ZkState(8)
    const requests = [
      depositRequest(a.address, 0, 1000n, a.pkHash),
      depositRequest(a.address, 2, 50n),
      fullExitRequest(a.address, 0, 2),
    ]
    const block = buildBlock(
      sequencer,
      [
        {
          op: { type: 1, account: 0, token: 0, amount: 1000n, owner: a.address, pkHash: a.pkHash },
          request: requests[0] as never,
        },
        {
          op: { type: 1, account: 0, token: 2, amount: 50n, owner: a.address, pkHash: 0n },
          request: requests[1] as never,
        },
        { op: signTx(a, { type: 2, from: 0, to: 0, token: 0, amount: 1n, nonce: 0 }) },
        {
          op: signTx(a, { type: 3, from: 0, to: 4, token: 0, amount: 100n, nonce: 1, toAddress: c.address }),
        },
        { op: signTx(a, { type: 4, from: 0, token: 0, amount: 7n, nonce: 2, toAddress: a.address }) },
        {
          op: { type: 5, account: 0, token: 2, requester: a.address, amount: 0n },
          request: requests[2] as never,
        },
      ],
      16,
      0n,
    )
    applyProvenPubdata(follower, decodePubdata(block.pubdata), requests)
    expect(follower.root()).toBe(sequencer.root())
    expect(follower.account(4).owner).toBe(c.address)
    expect(follower.account(0).balances).toEqual([893n, 0n, 0n, 0n])
    expect(() =>
      applyProvenPubdata(new ZkState(8), decodePubdata(block.pubdata), requests.slice(0, 2)),
    ).toThrow(expect.objectContaining({ code: 'ZK_PRIORITY_MISMATCH' }))
  })

  it('signatures are bound to the nonce', () => {
    const a = testUser('alice')
    const op = { type: 2, from: 0, to: 1, token: 0, amount: 5n, nonce: 0 } as const
    expect(signedMessage(op)).not.toBe(signedMessage({ ...op, nonce: 1 }))
    expect(zkSign(a.privateKey, signedMessage(op))).not.toEqual(
      zkSign(a.privateKey, signedMessage({ ...op, nonce: 1 })),
    )
  })
})
