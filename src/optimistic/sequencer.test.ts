import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseEther } from 'viem'
import { afterEach, describe, expect, it } from 'vitest'
import { GAS } from '../core/constants.ts'
import { decodeRawTransaction } from '../core/l2tx.ts'
import type { Deposit } from '../core/types.ts'
import { silentLogger } from '../node/logger.ts'
import { ChainStore } from './chainStore.ts'
import { loadAccounts, makeTransfers, signL2Tx, walletFees } from './loadgen.ts'
import { Sequencer } from './sequencer.ts'

const chain = { chainId: 42069n, baseFee: 1_000_000n, genesisTimestamp: 0 }
const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

async function open(dir: string, blockGasLimit = 100_000n, maxBlockRows = 500) {
  const store = await ChainStore.open(dir)
  // A long block time: blocks are cut only by the gas limit or sealNow() in these tests.
  const seq = new Sequencer(
    { blockTimeMs: 60_000, blockGasLimit, maxBlockRows },
    { chain, store, logger: silentLogger, recoveryThreads: 1 },
  )
  await seq.start()
  return { store, seq }
}

describe('Sequencer', () => {
  it('cuts a block when the next transaction would pass the gas limit, and replays to the same root after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'l2kit-seq-'))
    dirs.push(dir)
    const users = loadAccounts(3, 'seq-')
    const first = await open(dir)
    const deposits: Deposit[] = users.map((u, i) => ({
      index: BigInt(i),
      from: u.address,
      to: u.address,
      tokenIndex: 0,
      amount: parseEther('1'),
    }))
    await first.store.putDeposits(deposits)
    await first.seq.sealNow()
    const raws = makeTransfers({
      accounts: users,
      count: 10,
      chainId: chain.chainId,
      baseFee: chain.baseFee,
      tokenShare: 0,
    })
    for (const raw of raws) await first.seq.submitRawTransaction(raw)
    // 100k gas fits four 21k transfers: the ten transfers filled two blocks and left two open.
    await first.seq.stop()
    expect(first.seq.head.number).toBe(3n)
    expect(first.seq.head.txs).toHaveLength(4)
    const root = first.seq.state.stateRoot()
    const nonces = users.map((u) => first.seq.state.getNonce(u.address))
    await first.store.close()

    const second = await open(dir)
    expect(second.seq.state.stateRoot()).toBe(root)
    expect(users.map((u) => second.seq.state.getNonce(u.address))).toEqual(nonces)
    expect(second.seq.pendingBlockNumber).toBe(4n)
    // Acknowledged but unsealed transactions are still pending, then sealed.
    const sealed = await second.seq.sealNow()
    expect(sealed?.txs).toHaveLength(2)
    await second.seq.stop()
    await second.store.close()
  })

  it('cuts a block at its row limit (deposits + transactions + block end), so every block fits a calldata batch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'l2kit-seq-'))
    dirs.push(dir)
    const users = loadAccounts(3, 'rows-')
    const { store, seq } = await open(dir, 30_000_000n, 5)
    // Six deposits: the open block takes four (and its block end makes five); the rest open the next block.
    const deposits: Deposit[] = [...users, ...users].map((u, i) => ({
      index: BigInt(i),
      from: u.address,
      to: u.address,
      tokenIndex: 0,
      amount: parseEther('1'),
    }))
    await store.putDeposits(deposits)
    await seq.sealNow()
    expect(seq.head.deposits).toHaveLength(4)
    await seq.sealNow()
    expect(seq.head.deposits).toHaveLength(2)
    const raws = makeTransfers({
      accounts: users,
      count: 9,
      chainId: chain.chainId,
      baseFee: chain.baseFee,
      tokenShare: 0,
    })
    for (const raw of raws) await seq.submitRawTransaction(raw)
    await seq.sealNow()
    const sizes: number[] = []
    for (let n = 3n; n <= seq.head.number; n++) {
      const b = store.getBlock(n)
      if (b) sizes.push(b.deposits.length + b.txs.length + 1)
    }
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(9 + sizes.length)
    for (const rows of sizes) expect(rows).toBeLessThanOrEqual(5)
    await seq.stop()
    await store.close()
  })

  it('re-syncs onto a forced batch: blocks rebuilt on its state, a transaction whose nonce it took dropped, and a restart replays the same root', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'l2kit-seq-'))
    dirs.push(dir)
    const users = loadAccounts(3, 'resync-')
    const first = await open(dir, 30_000_000n)
    await first.store.putDeposits(
      users.map((u, i) => ({
        index: BigInt(i),
        from: u.address,
        to: u.address,
        tokenIndex: 0,
        amount: parseEther('1'),
      })),
    )
    await first.seq.sealNow() // block 1: the deposits
    const afterDeposits = first.seq.state.clone()
    const transfer = (to: string, nonce: bigint) =>
      signL2Tx(
        {
          nonce,
          gasLimit: GAS.ethTransfer,
          fees: walletFees(chain.baseFee),
          op: { kind: 'ethTransfer', to: to as `0x${string}`, amount: 1000n },
        },
        chain.chainId,
        users[0]?.privateKey as `0x${string}`,
      )
    const t1 = await first.seq.submitRawTransaction(transfer(users[1]?.address as string, 0n))
    await first.seq.sealNow() // block 2: t1
    const t2 = await first.seq.submitRawTransaction(transfer(users[1]?.address as string, 1n)) // open block
    // L1 forced another transaction of user 0 with nonce 0 right after block 1: t1's nonce is taken.
    const forcedRaw = transfer(users[2]?.address as string, 0n)
    const forced = decodeRawTransaction(forcedRaw, { chainId: chain.chainId })
    const state = afterDeposits.clone()
    state.applyTx(forced.tx, forced.sender)
    const dropped = await first.seq.resyncAfterForcedBatch({
      batchIndex: 1n,
      blockNumber: 1n,
      state,
      deposits: [],
      txs: [{ tx: forced.tx, hash: forced.hash, sender: forced.sender }],
    })
    expect(dropped).toEqual([t1])
    const rebuilt = first.store.getBlock(2n)
    expect(rebuilt?.txs).toHaveLength(0)
    expect(rebuilt?.forced?.txs.map((t) => t.hash)).toEqual([forced.hash])
    expect(first.store.getTxLocation(t1)).toBeUndefined()
    expect(first.seq.state.getBalance(users[2]?.address as `0x${string}`)).toBe(parseEther('1') + 1000n)
    expect(first.seq.state.getNonce(users[0]?.address as `0x${string}`)).toBe(2n) // forced, then t2
    // The history at block 2 says what L1 implies: the forced recipient credited, t1's recipient not.
    const ethAt = (i: number) =>
      first.store.accountAt(users[i]?.address as `0x${string}`, 2n)?.balances.find(([t]) => t === 0)?.[1]
    expect(ethAt(2)).toBe(parseEther('1') + 1000n)
    expect(ethAt(1)).toBe(parseEther('1'))
    await first.seq.sealNow()
    expect(first.seq.head.txs.map((t) => t.hash)).toEqual([t2])
    const root = first.seq.state.stateRoot()
    await first.seq.stop()
    await first.store.close()
    const second = await open(dir, 30_000_000n)
    expect(second.seq.state.stateRoot()).toEqual(root)
    await second.seq.stop()
    await second.store.close()
  })

  it('refuses a transaction whose nonce was already used, and leaves the state as it was', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'l2kit-seq-'))
    dirs.push(dir)
    const users = loadAccounts(2, 'seq2-')
    const { store, seq } = await open(dir)
    await store.putDeposits(
      users.map((u, i) => ({
        index: BigInt(i),
        from: u.address,
        to: u.address,
        tokenIndex: 0,
        amount: parseEther('1'),
      })),
    )
    await seq.sealNow()
    const [raw] = makeTransfers({
      accounts: users,
      count: 1,
      chainId: chain.chainId,
      baseFee: chain.baseFee,
      tokenShare: 0,
    })
    await seq.submitRawTransaction(raw as `0x${string}`)
    const root = seq.state.stateRoot()
    await expect(seq.submitRawTransaction(raw as `0x${string}`)).rejects.toMatchObject({
      code: 'NONCE_TOO_LOW',
    })
    expect(seq.state.stateRoot()).toBe(root)
    await seq.stop()
    await store.close()
  })

  it('records every touched account per block, so the state at a past block can be answered', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'l2kit-seq-'))
    dirs.push(dir)
    const users = loadAccounts(3, 'seq3-')
    const { store, seq } = await open(dir)
    expect(store.historyFrom()).toBe(0n)
    await store.putDeposits(
      users.map((u, i) => ({
        index: BigInt(i),
        from: u.address,
        to: u.address,
        tokenIndex: 0,
        amount: parseEther('1'),
      })),
    )
    const b1 = await seq.sealNow()
    for (const raw of makeTransfers({
      accounts: users,
      count: 3,
      chainId: chain.chainId,
      baseFee: chain.baseFee,
      tokenShare: 0,
    }))
      await seq.submitRawTransaction(raw)
    const b2 = await seq.sealNow()
    expect([b1?.number, b2?.number]).toEqual([1n, 2n])
    for (const u of users) {
      const a = u.address.toLowerCase() as `0x${string}`
      expect(store.accountAt(a, 0n)).toBeUndefined()
      expect(store.accountAt(a, 1n)).toEqual({ nonce: 0n, balances: [[0, parseEther('1')]] })
      expect(store.accountAt(a, 2n)?.nonce).toBe(1n)
      expect(store.accountAt(a, 7n)?.balances).toEqual([[0, seq.state.getBalance(a, 0)]])
    }
    await seq.stop()
    await store.close()

    // A data directory written before the history existed: it starts at the head, with every account.
    const dir2 = mkdtempSync(join(tmpdir(), 'l2kit-seq-'))
    dirs.push(dir2)
    const old = await open(dir2)
    await old.store.putDeposits([
      {
        index: 0n,
        from: users[0]?.address as `0x${string}`,
        to: users[0]?.address as `0x${string}`,
        tokenIndex: 0,
        amount: 5n,
      },
    ])
    await old.seq.sealNow()
    await old.seq.stop()
    await old.store.putMeta('historyFrom', undefined)
    await old.store.close()
    const reopened = await open(dir2)
    expect(reopened.store.historyFrom()).toBe(1n)
    expect(reopened.store.accountAt(users[0]?.address.toLowerCase() as `0x${string}`, 1n)).toEqual({
      nonce: 0n,
      balances: [[0, 5n]],
    })
    await reopened.seq.stop()
    await reopened.store.close()
  })
})
