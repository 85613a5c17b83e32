import { createPublicClient, getAddress, type Hex, http } from 'viem'
import { beforeAll, describe, expect, it } from 'vitest'
import { isL2kitError } from '../../core/errors.ts'
import { loadZkCrypto, zkVerify } from '../../zk/protocol/crypto.ts'
import { closestPackable, OpType, signedMessage } from '../../zk/protocol/ops.ts'
import { type SignedZkTx, zkTxHash } from '../../zk/protocol/state.ts'
import { parseZkTx } from '../../zk/protocol/txJson.ts'
import { zkKeyFromPrivateKey } from './deriveZkKey.ts'
import { getZkAccount } from './getZkAccount.ts'
import type { ZkKey, ZkNodeClient } from './shared.ts'
import { transferZk, zkTransferAmount } from './transferZk.ts'
import { waitForZkTransaction } from './waitForZkTransaction.ts'
import { withdrawZk } from './withdrawZk.ts'

const ALICE = getAddress('0x70997970c51812dc3a010c7d01b50e0d17dc79c8')
const BOB = getAddress('0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc')
const CAROL = getAddress('0x90f79bf6eb2c4f870365e785982e1f101e93b906')

let key: ZkKey
beforeAll(async () => {
  await loadZkCrypto()
  key = zkKeyFromPrivateKey(new Uint8Array(32).fill(7))
})

type Call = { method: string; params: unknown[] }
type AccountJson = {
  index: number
  owner: string | null
  pkHash: string
  nonce: number
  balances: string[]
  verifiedBalances: null
}

/** A fake ZK node: accounts in memory, every call recorded, transactions checked as the real node parses them. */
function fakeNode(options: { statuses?: string[] } = {}) {
  const calls: Call[] = []
  const sent: SignedZkTx[] = []
  const accounts = new Map<number, AccountJson>([
    [
      0,
      {
        index: 0,
        owner: ALICE,
        pkHash: key.pkHash.toString(),
        nonce: 3,
        balances: ['5000000000', '0', '0', '0'],
        verifiedBalances: null,
      },
    ],
    [
      1,
      { index: 1, owner: BOB, pkHash: '0', nonce: 0, balances: ['1', '0', '0', '0'], verifiedBalances: null },
    ],
    [
      4,
      { index: 4, owner: BOB, pkHash: '0', nonce: 0, balances: ['0', '0', '0', '0'], verifiedBalances: null },
    ],
  ])
  const statuses = [...(options.statuses ?? [])]
  const empty = (index: number): AccountJson => ({
    index,
    owner: null,
    pkHash: '0',
    nonce: 0,
    balances: ['0', '0', '0', '0'],
    verifiedBalances: null,
  })
  const node = {
    async request({ method, params }: { method: string; params?: unknown }): Promise<unknown> {
      const p = (params ?? []) as unknown[]
      calls.push({ method, params: p })
      switch (method) {
        case 'zk_getAccount':
          return accounts.get(p[0] as number) ?? empty(p[0] as number)
        case 'zk_getAccountsByOwner':
          return [...accounts.values()].filter(
            (a) => a.owner?.toLowerCase() === (p[0] as string).toLowerCase(),
          )
        case 'zk_getFreeAccountIndex':
          return 2
        case 'zk_sendTransaction': {
          const tx = parseZkTx(p[0])
          const account = accounts.get(tx.from)
          if (account && tx.nonce < account.nonce) {
            throw {
              code: -32003,
              message: 'nonce too low',
              data: { code: 'NONCE_TOO_LOW', details: { nonce: tx.nonce } },
            }
          }
          sent.push(tx)
          return { hash: zkTxHash(tx), status: 'soft' }
        }
        case 'zk_getTransaction': {
          const status = statuses.shift() ?? 'verified'
          return status === 'unknown' ? null : { hash: p[0], status, block: status === 'soft' ? null : 7 }
        }
        default:
          throw new Error(`unexpected ${method}`)
      }
    },
  }
  return { node, calls, sent, accounts }
}

function expectValidSignature(tx: SignedZkTx): void {
  expect(tx.pubKey).toEqual(key.pubKey)
  expect(zkVerify(signedMessage(tx), tx.signature, tx.pubKey)).toBe(true)
}

describe('transferZk', () => {
  it('takes a plain viem client for the node (type-level)', () => {
    const node: ZkNodeClient = createPublicClient({ transport: http('http://127.0.0.1:1') })
    expect(typeof node.request).toBe('function')
  })

  it('to an account index: reads the nonce, signs, sends JSON the node parses, whose signature verifies', async () => {
    const { node, calls, sent } = fakeNode()
    const result = await transferZk({ node, key, from: 0, to: 1, token: 0, amount: 1_000_000n })
    expect(calls.map((c) => c.method)).toEqual(['zk_getAccount', 'zk_sendTransaction'])
    expect(calls[0]?.params).toEqual([0])
    const json = calls[1]?.params[0]
    expect(json).toMatchObject({ type: 'transfer', from: 0, to: 1, token: 0, amount: '1000000', nonce: 3 })
    const tx = parseZkTx(json)
    expectValidSignature(tx)
    expect(sent).toHaveLength(1)
    expect(result).toEqual({ hash: zkTxHash(tx), type: 'transfer', to: 1, nonce: 3, amount: 1_000_000n })
  })

  it('to an address with accounts: a TRANSFER to its first account', async () => {
    const { node, calls } = fakeNode()
    const result = await transferZk({ node, key, from: 0, to: BOB, token: 0, amount: 10n })
    expect(result.type).toBe('transfer')
    expect(result.to).toBe(1)
    expect(calls.map((c) => c.method)).toEqual([
      'zk_getAccount',
      'zk_getAccountsByOwner',
      'zk_sendTransaction',
    ])
    expectValidSignature(parseZkTx(calls[2]?.params[0]))
  })

  it('to an address with no account: TRANSFER_TO_NEW at the node’s free index, owned by that address', async () => {
    const { node, calls } = fakeNode()
    const result = await transferZk({ node, key, from: 0, to: CAROL, token: 0, amount: 25n })
    expect(result).toMatchObject({ type: 'transferToNew', to: 2, nonce: 3, amount: 25n })
    expect(calls.map((c) => c.method)).toEqual([
      'zk_getAccount',
      'zk_getAccountsByOwner',
      'zk_getFreeAccountIndex',
      'zk_sendTransaction',
    ])
    const tx = parseZkTx(calls[3]?.params[0])
    expect(tx.type).toBe(OpType.transferToNew)
    if (tx.type !== OpType.transferToNew) throw new Error('unreachable')
    expect(tx.to).toBe(2)
    expect(tx.toAddress).toBe(BigInt(CAROL))
    expectValidSignature(tx)
    // the address is part of the signed message: another recipient address does not verify
    expect(zkVerify(signedMessage({ ...tx, toAddress: BigInt(BOB) }), tx.signature, tx.pubKey)).toBe(false)
  })

  it('refuses a non-packable amount before any call, naming closestPackable; roundDown sends that amount', async () => {
    const amount = (1n << 35n) + 1n
    const { node, calls } = fakeNode()
    const err = await transferZk({ node, key, from: 0, to: 1, token: 0, amount }).catch((e) => e)
    expect(isL2kitError(err, 'AMOUNT_NOT_PACKABLE')).toBe(true)
    expect(err.details.closestPackable).toBe(closestPackable(amount).toString())
    expect(err.message).toContain(closestPackable(amount).toString())
    expect(calls).toEqual([])

    expect(zkTransferAmount(amount, { roundDown: true })).toBe(closestPackable(amount))
    const rich = fakeNode()
    ;(rich.accounts.get(0) as AccountJson).balances[0] = (1n << 40n).toString()
    const sent = await transferZk({ node: rich.node, key, from: 0, to: 1, token: 0, amount, roundDown: true })
    expect(sent.amount).toBe(closestPackable(amount))
    expect(parseZkTx(rich.calls[1]?.params[0]).amount).toBe(closestPackable(amount))
  })

  it('refuses bad input before any call: token, indices, amount, address', async () => {
    const { node, calls } = fakeNode()
    const cases: [Parameters<typeof transferZk>[0], string][] = [
      [{ node, key, from: 0, to: 1, token: 4, amount: 1n }, 'INVALID_TOKEN_INDEX'],
      [{ node, key, from: -1, to: 1, token: 0, amount: 1n }, 'INVALID_ACCOUNT_INDEX'],
      [{ node, key, from: 0, to: 70_000, token: 0, amount: 1n }, 'INVALID_ACCOUNT_INDEX'],
      [{ node, key, from: 0, to: 1, token: 0, amount: 0n }, 'INVALID_AMOUNT'],
      [{ node, key, from: 0, to: 1, token: 0, amount: 1n << 56n }, 'INVALID_AMOUNT'],
      [{ node, key, from: 0, to: '0x1234' as Hex, token: 0, amount: 1n }, 'INVALID_ADDRESS'],
    ]
    for (const [p, code] of cases) {
      const err = await transferZk(p).catch((e) => e)
      expect(isL2kitError(err) ? err.code : err).toBe(code)
    }
    expect(calls).toEqual([])
  })

  it('checks the sender on the node first: no key, another key, short balance (nothing sent)', async () => {
    const { node, sent } = fakeNode()
    const other = zkKeyFromPrivateKey(new Uint8Array(32).fill(9))
    const cases: [Parameters<typeof transferZk>[0], string][] = [
      [{ node, key, from: 1, to: 0, token: 0, amount: 1n }, 'ZK_NO_L2_KEY'],
      [{ node, key: other, from: 0, to: 1, token: 0, amount: 1n }, 'INVALID_SIGNATURE'],
      [{ node, key, from: 0, to: 1, token: 0, amount: 5_000_000_001n }, 'INSUFFICIENT_BALANCE'],
      [{ node, key, from: 0, to: 1, token: 1, amount: 1n }, 'INSUFFICIENT_BALANCE'],
      [{ node, key, from: 9, to: 1, token: 0, amount: 1n }, 'UNKNOWN_ACCOUNT'],
    ]
    for (const [p, code] of cases) {
      const err = await transferZk(p).catch((e) => e)
      expect(isL2kitError(err) ? err.code : err).toBe(code)
    }
    expect(sent).toEqual([])
  })

  it('turns the node’s typed refusal back into an L2kitError with its code', async () => {
    const { node } = fakeNode()
    const err = await transferZk({ node, key, from: 0, to: 1, token: 0, amount: 1n, nonce: 2 }).catch(
      (e) => e,
    )
    expect(isL2kitError(err, 'NONCE_TOO_LOW')).toBe(true)
    expect(err.message).toMatch(/zk_sendTransaction: nonce too low/)
    expect(err.details).toMatchObject({ method: 'zk_sendTransaction', nonce: 2 })
  })
})

describe('withdrawZk', () => {
  it('signs a WITHDRAW to an L1 address (any amount, no packing) that the node parses and verifies', async () => {
    const { node, calls } = fakeNode()
    const amount = (1n << 35n) + 1n // not packable, fine for a withdrawal
    const rich = fakeNode()
    ;(rich.accounts.get(0) as AccountJson).balances[0] = (1n << 40n).toString()
    const result = await withdrawZk({ node: rich.node, key, from: 0, token: 0, amount, to: CAROL })
    expect(calls).toEqual([])
    const json = rich.calls[1]?.params[0]
    expect(json).toMatchObject({ type: 'withdraw', from: 0, token: 0, amount: amount.toString(), nonce: 3 })
    expect((json as { toAddress: string }).toAddress.toLowerCase()).toBe(CAROL.toLowerCase())
    const tx = parseZkTx(json)
    expectValidSignature(tx)
    expect(result).toEqual({ hash: zkTxHash(tx), nonce: 3, amount })
    const err = await withdrawZk({
      node,
      key,
      from: 0,
      token: 0,
      amount: 1n,
      to: '0x0000000000000000000000000000000000000000',
    }).catch((e) => e)
    expect(isL2kitError(err, 'INVALID_ADDRESS')).toBe(true)
  })
})

describe('getZkAccount and waitForZkTransaction', () => {
  it('reads accounts by index and owner (null when none)', async () => {
    const { node } = fakeNode()
    expect(await getZkAccount({ node, index: 0 })).toEqual({
      index: 0,
      owner: ALICE,
      pkHash: key.pkHash,
      nonce: 3,
      balances: [5_000_000_000n, 0n, 0n, 0n],
      verifiedBalances: null,
    })
    expect(await getZkAccount({ node, index: 3 })).toBeNull()
    expect((await getZkAccount({ node, owner: BOB }))?.index).toBe(1)
    expect(await getZkAccount({ node, owner: CAROL })).toBeNull()
  })

  it('polls until the status is reached, and times out saying where it got to', async () => {
    const hash = `0x${'ab'.repeat(32)}` as Hex
    const { node } = fakeNode({ statuses: ['unknown', 'soft', 'sealed', 'committed', 'verified'] })
    const done = await waitForZkTransaction({ node, hash, status: 'committed', pollIntervalMs: 1 })
    expect(done).toEqual({ hash, status: 'committed', block: 7 })

    const slow = fakeNode({ statuses: Array(1000).fill('sealed') })
    const err = await waitForZkTransaction({ node: slow.node, hash, timeoutMs: 30, pollIntervalMs: 5 }).catch(
      (e) => e,
    )
    expect(isL2kitError(err, 'TIMEOUT')).toBe(true)
    expect(err.message).toMatch(/is sealed \(block 7\), not verified/)
  })
})
