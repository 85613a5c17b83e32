// biome-ignore-all lint/style/noNonNullAssertion: tests index data they just built
import { concat, encodePacked, type Hex, keccak256 } from 'viem'
import { describe, expect, it } from 'vitest'
import { buildWitness, type Witness as GenWitness } from '../../../scripts/genTxVectors.ts'
import { verifyAddressProof } from '../../core/addressTree.ts'
import { bytesToHex, concatBytes } from '../../core/bytes.ts'
import { stateCommitment } from '../../core/commitment.ts'
import { L2kitError } from '../../core/errors.ts'
import { keccakHasher } from '../../core/hash.ts'
import { decodeRawTransaction, recoverSender } from '../../core/l2tx.ts'
import { zeroHashes } from '../../core/smt.ts'
import { type AccountWitness, type BalanceWitness, L2State, l2TokenAddress } from '../../core/state.ts'
import type { Address, Deposit, L2Operation, L2Tx, TxFees } from '../../core/types.ts'
import { loadAccounts, signL2Tx } from '../loadgen.ts'
import {
  encodeBlockEndRowV3,
  encodeDepositRowV3,
  encodeHeaderV3,
  encodeTxRowV3,
  parseRowV3,
  rowAtV3,
} from './batchCodecV3.ts'
import {
  buildDepositTxWitness,
  buildStepWitness,
  buildTxExecutorWitness,
  decodeStepWitness,
  emptyStepWitness,
  encodeStepWitness,
  STEP_WITNESS_BYTES,
  type TxExecutorWitness,
} from './stepWitness.ts'
import { executeBatchV3, executeRowV3 } from './trace.ts'

const CHAIN_ID = 901n
const BASE_FEE = 10n ** 9n
const ETHER = 10n ** 18n
const GWEI = 10n ** 9n
const MAX_UINT256 = (1n << 256n) - 1n
const ZERO: Hex = `0x${'00'.repeat(32)}`
const ZEROS = zeroHashes(keccakHasher).map(bytesToHex)

type Signer = { address: Address; privateKey: Hex }
const signers = loadAccounts(6, 'l2kit-stepwitness-') as Signer[]
const stranger = (i: number): Address => `0x${(0xbeef0000 + i).toString(16).padStart(40, '0')}` as Address

function rng(seed: number) {
  let s = seed >>> 0
  return (n: number): number => {
    s = (s * 1103515245 + 12345) >>> 0
    return (s >>> 8) % n
  }
}

/** A state with tokens 1 and 2, some balances (one near 2^256), a few withdrawals. */
function scenario(): L2State {
  const state = new L2State({ chainId: CHAIN_ID, baseFee: BASE_FEE })
  for (const index of [1, 2])
    state.registerToken({
      index,
      l1Address: `0x${'1'.repeat(39)}${index}` as Address,
      l2Address: l2TokenAddress(index),
      name: `T${index}`,
      symbol: `T${index}`,
      decimals: 18,
    })
  const deposits: [Address, number, bigint][] = [
    [signers[0]!.address, 0, 10n * ETHER],
    [signers[1]!.address, 0, 5n * ETHER],
    [signers[0]!.address, 1, 1000n * ETHER],
    [signers[2]!.address, 2, 2_500_000n],
    [signers[2]!.address, 0, ETHER],
    [signers[3]!.address, 2, MAX_UINT256 - 10n],
    [signers[3]!.address, 0, ETHER],
  ]
  deposits.forEach(([to, tokenIndex, amount], i) => {
    state.applyDeposit({ index: BigInt(i), from: to, to, tokenIndex, amount })
  })
  const w = (signer: Signer, op: L2Operation) => {
    const raw = signL2Tx(
      { nonce: state.getNonce(signer.address), gasLimit: 100_000n, fees: legacy(2n * GWEI), op },
      CHAIN_ID,
      signer.privateKey,
    )
    const d = decodeRawTransaction(raw, { chainId: CHAIN_ID })
    state.applyTx(d.tx, d.sender)
  }
  w(signers[0]!, { kind: 'withdrawEth', recipient: stranger(1), amount: ETHER })
  w(signers[1]!, { kind: 'withdrawEth', recipient: stranger(2), amount: ETHER })
  w(signers[0]!, { kind: 'withdrawToken', tokenIndex: 1, recipient: stranger(3), amount: ETHER })
  return state
}

const legacy = (gasPrice: bigint): TxFees => ({ type: 'legacy', gasPrice })

function sign(
  state: L2State,
  signer: Signer,
  op: L2Operation,
  over: Partial<Omit<L2Tx, 'op' | 'signature'>> = {},
) {
  const unsigned = {
    nonce: state.getNonce(signer.address),
    gasLimit: 100_000n,
    fees: { type: 'eip1559', maxFeePerGas: 3n * GWEI, maxPriorityFeePerGas: GWEI / 2n } as TxFees,
    op,
    ...over,
  }
  return decodeRawTransaction(signL2Tx(unsigned, CHAIN_ID, signer.privateKey), { chainId: CHAIN_ID })
}

/** genTxVectors' witness with its gaps as zeros (its optional fields are the unreached ones). */
function genAsStruct(g: GenWitness): TxExecutorWitness {
  const w = emptyStepWitness().tx
  const acc = (a: GenWitness['sender']): AccountWitness | undefined =>
    a === undefined
      ? undefined
      : {
          index: BigInt(a.index),
          owner: a.owner,
          nonce: a.nonce,
          balancesRoot: a.balancesRoot,
          siblings: a.siblings,
        }
  const bal = (b: GenWitness['senderEth']): BalanceWitness | undefined =>
    b === undefined ? undefined : { amount: b.amount, siblings: b.siblings }
  w.accountsRoot = g.accountsRoot
  w.withdrawalsRoot = g.withdrawalsRoot
  w.sender = acc(g.sender) ?? w.sender
  w.senderEth = bal(g.senderEth) ?? w.senderEth
  w.senderToken = bal(g.senderToken) ?? w.senderToken
  w.recipient = acc(g.recipient) ?? w.recipient
  w.recipientBalance = bal(g.recipientBalance) ?? w.recipientBalance
  w.vault = acc(g.vault) ?? w.vault
  w.vaultEth = bal(g.vaultEth) ?? w.vaultEth
  w.withdrawalSiblings = g.withdrawalSiblings ?? w.withdrawalSiblings
  return w
}

/** Every field of `mine` that is not zero equals `theirs`. */
function expectFilledFieldsEqual(mine: TxExecutorWitness, theirs: TxExecutorWitness, label: string): void {
  const isZeroAccount = (a: AccountWitness) =>
    a.index === 0n &&
    a.owner === '0x0000000000000000000000000000000000000000' &&
    a.siblings.every((s) => s === ZERO)
  const isZeroBalance = (b: BalanceWitness) => b.amount === 0n && b.siblings.every((s) => s === ZERO)
  for (const k of ['sender', 'recipient', 'vault'] as const)
    if (!isZeroAccount(mine[k])) expect(mine[k], `${label}: ${k}`).toEqual(theirs[k])
  for (const k of ['senderEth', 'senderToken', 'recipientBalance', 'vaultEth'] as const)
    if (!isZeroBalance(mine[k])) expect(mine[k], `${label}: ${k}`).toEqual(theirs[k])
  if (!mine.withdrawalSiblings.every((s) => s === ZERO))
    expect(mine.withdrawalSiblings, `${label}: withdrawalSiblings`).toEqual(theirs.withdrawalSiblings)
  expect(mine.accountsRoot).toBe(theirs.accountsRoot)
  expect(mine.withdrawalsRoot).toBe(theirs.withdrawalsRoot)
}

/** Root from a leaf and bottom-up siblings, with viem's keccak (independent of core/smt). */
function viemRoot(leaf: Hex, index: bigint, siblings: readonly Hex[]): Hex {
  let node = leaf
  siblings.forEach((sibling, level) => {
    node =
      (index >> BigInt(level)) & 1n ? keccak256(concat([sibling, node])) : keccak256(concat([node, sibling]))
  })
  return node
}
const accountLeaf = (a: AccountWitness): Hex =>
  keccak256(encodePacked(['address', 'uint64', 'bytes32'], [a.owner, a.nonce, a.balancesRoot]))
const word = (v: bigint): Hex => `0x${v.toString(16).padStart(64, '0')}`

describe('buildTxExecutorWitness', () => {
  it('matches the independent genTxVectors builder (random transactions, applied and skipped)', () => {
    const state = scenario()
    const rand = rng(7)
    let applied = 0
    let skipped = 0
    for (let i = 0; i < 150; i++) {
      const signer = signers[rand(5)]!
      const kind = (['ethTransfer', 'tokenTransfer', 'withdrawEth', 'withdrawToken'] as const)[rand(4)]!
      const token = 1 + rand(3) // 3 = unknown token
      const to = rand(3) === 0 ? stranger(100 + rand(5)) : signers[rand(6)]!.address
      const amount = [0n, 1n, 10n ** 17n, 3n * ETHER, 200n][rand(5)]!
      const op: L2Operation =
        kind === 'ethTransfer'
          ? { kind, to, amount }
          : kind === 'tokenTransfer'
            ? { kind, tokenIndex: token, to, amount }
            : kind === 'withdrawEth'
              ? { kind, recipient: to, amount }
              : { kind, tokenIndex: token, recipient: to, amount }
      const over: Partial<Omit<L2Tx, 'op' | 'signature'>> = {}
      const r = rand(10)
      if (r === 0) over.nonce = state.getNonce(signer.address) + 1n
      if (r === 1) over.gasLimit = 20_000n
      if (r === 2) over.fees = legacy(BASE_FEE - 1n)
      if (r === 3) over.fees = legacy(0n)
      const d = sign(state, signer, op, over)
      const mine = buildTxExecutorWitness(state, d.tx, d.sender, state.tokenCount)
      const theirs = buildWitness(state, d.tx, d.sender)
      const after = state.clone()
      let ok = true
      try {
        after.applyTx(d.tx, d.sender)
      } catch (e) {
        if (!(e instanceof L2kitError)) throw e
        ok = false
      }
      if (ok) {
        applied++
        expect(mine.witness, `case ${i}`).toEqual(genAsStruct(theirs.witness))
        expect(mine.post).toEqual({
          accountsRoot: after.accountsRoot(),
          withdrawalsRoot: after.withdrawalsRoot(),
        })
        state.applyTx(d.tx, d.sender)
      } else {
        skipped++
        expect(mine.post, `case ${i}`).toBeUndefined()
        expectFilledFieldsEqual(mine.witness, genAsStruct(theirs.witness), `case ${i}`)
      }
    }
    expect(applied).toBeGreaterThan(30)
    expect(skipped).toBeGreaterThan(30)
  })

  it('proves each update against the root the previous one left (sequential format), checked with viem', () => {
    const state = scenario()
    // sender 1 and a brand-new recipient: the recipient's empty slot shares upper nodes with the sender
    const d = sign(state, signers[0]!, { kind: 'ethTransfer', to: stranger(9), amount: ETHER })
    const { witness: w, post } = buildTxExecutorWitness(state, d.tx, d.sender, 2)
    expect(w.accountsRoot).toBe(state.accountsRoot())
    expect(viemRoot(accountLeaf(w.sender), w.sender.index, w.sender.siblings)).toBe(w.accountsRoot)
    expect(viemRoot(word(w.senderEth.amount), 0n, w.senderEth.siblings)).toBe(w.sender.balancesRoot)
    expect(w.recipient.index).toBe(BigInt(state.accountCount))
    expect(w.recipient.owner).toBe('0x0000000000000000000000000000000000000000')
    expect(w.recipientBalance).toEqual({ amount: 0n, siblings: ZEROS.slice(0, 8) })
    // the empty slot is NOT provable against the pre root once the sender changed a shared node...
    const emptyAgainstPre = viemRoot(ZERO, w.recipient.index, w.recipient.siblings) === w.accountsRoot
    expect(emptyAgainstPre).toBe(false)
    // ...but the vault's witness proves against the root after sender and recipient were written
    const after = state.clone()
    after.applyTx(d.tx, d.sender)
    expect(post?.accountsRoot).toBe(after.accountsRoot())
    expect(w.vault.index).toBe(0n)
    expect(w.vault.owner).toBe('0x4200000000000000000000000000000000000011')
  })

  it('handles a self-transfer and a transfer to the fee vault (aliasing)', () => {
    const state = scenario()
    for (const to of [signers[1]!.address, '0x4200000000000000000000000000000000000011' as Address]) {
      const d = sign(state, signers[1]!, { kind: 'ethTransfer', to, amount: ETHER / 10n })
      const mine = buildTxExecutorWitness(state, d.tx, d.sender, 2)
      expect(mine.witness).toEqual(genAsStruct(buildWitness(state, d.tx, d.sender).witness))
      state.applyTx(d.tx, d.sender)
      expect(mine.post?.accountsRoot).toBe(state.accountsRoot())
    }
  })

  it('fills only the roots for an unknown sender', () => {
    const state = scenario()
    const outsider = loadAccounts(1, 'l2kit-stepwitness-outsider-')[0] as Signer
    const d = sign(state, outsider, { kind: 'ethTransfer', to: signers[0]!.address, amount: 1n })
    const { witness, post } = buildTxExecutorWitness(state, d.tx, d.sender, 2)
    expect(post).toBeUndefined()
    expect(witness).toEqual({
      ...emptyStepWitness().tx,
      accountsRoot: state.accountsRoot(),
      withdrawalsRoot: state.withdrawalsRoot(),
    })
  })

  it('skips a token above tokenCount before reading any balance past the sender', () => {
    const state = scenario()
    const d = sign(state, signers[0]!, {
      kind: 'tokenTransfer',
      tokenIndex: 2,
      to: signers[1]!.address,
      amount: 0n,
    })
    expect(buildTxExecutorWitness(state, d.tx, d.sender, 2).post).toBeDefined()
    const skipped = buildTxExecutorWitness(state, d.tx, d.sender, 1)
    expect(skipped.post).toBeUndefined()
    expect(skipped.witness.senderToken.siblings.every((s) => s === ZERO)).toBe(true)
  })
})

describe('buildDepositTxWitness', () => {
  it('proves the credited account against the pre accounts root and ends at applyDeposit roots', () => {
    const state = scenario()
    const cases: [Address, number, bigint][] = [
      [signers[0]!.address, 0, ETHER], // existing, ETH
      [signers[2]!.address, 1, 5n], // existing, a token it never held
      [stranger(77), 2, 1n], // new account
      [stranger(78), 0, 0n], // new account, zero amount
      [signers[3]!.address, 2, 100n], // would overflow: consumed without credit
    ]
    for (const [to, tokenIndex, amount] of cases) {
      const d = { index: state.depositCount, from: stranger(5), to, tokenIndex, amount }
      const { witness: w, post } = buildDepositTxWitness(state, d)
      const existing = state.indexOf(to)
      if (existing === undefined) {
        expect(w.recipient.index).toBe(BigInt(state.accountCount))
        expect(viemRoot(ZERO, w.recipient.index, w.recipient.siblings)).toBe(state.accountsRoot())
        expect(w.recipientBalance).toEqual({ amount: 0n, siblings: ZEROS.slice(0, 8) })
      } else {
        expect(w.recipient.index).toBe(BigInt(existing))
        expect(viemRoot(accountLeaf(w.recipient), w.recipient.index, w.recipient.siblings)).toBe(
          state.accountsRoot(),
        )
        expect(
          viemRoot(word(w.recipientBalance.amount), BigInt(tokenIndex), w.recipientBalance.siblings),
        ).toBe(w.recipient.balancesRoot)
      }
      expect(w.sender).toEqual(emptyStepWitness().tx.sender)
      state.applyDeposit(d)
      expect(post).toEqual({ accountsRoot: state.accountsRoot(), withdrawalsRoot: state.withdrawalsRoot() })
    }
  })
})

describe('StepWitness ABI encoding', () => {
  it('is 504 static words in declaration order and decodes back', () => {
    const w = emptyStepWitness()
    w.tx.accountsRoot = word(1n)
    w.tx.withdrawalsRoot = word(2n)
    w.tx.sender.index = 3n
    w.tx.withdrawalSiblings[31] = word(4n)
    w.sender.leaf = 5n
    w.sender.siblings[159] = word(6n)
    w.recipient.leaf = 7n
    w.deposit = { from: stranger(1), to: stranger(2), tokenIndex: 65535, amount: MAX_UINT256 }
    const encoded = encodeStepWitness(w)
    expect((encoded.length - 2) / 2).toBe(STEP_WITNESS_BYTES)
    const wordAt = (i: number): Hex => `0x${encoded.slice(2 + 64 * i, 2 + 64 * (i + 1))}`
    // tx: 2 roots + 3 accounts × 36 + 4 balances × 9 + 32 = 178 words
    expect(wordAt(0)).toBe(word(1n))
    expect(wordAt(1)).toBe(word(2n))
    expect(wordAt(2)).toBe(word(3n))
    expect(wordAt(177)).toBe(word(4n))
    expect(wordAt(178)).toBe(word(5n))
    expect(wordAt(178 + 160)).toBe(word(6n))
    expect(wordAt(339)).toBe(word(7n))
    expect(wordAt(500)).toBe(`0x${'0'.repeat(24)}${stranger(1).slice(2)}`)
    expect(wordAt(502)).toBe(word(65535n))
    expect(wordAt(503)).toBe(word(MAX_UINT256))
    expect(decodeStepWitness(encoded)).toEqual(w)
  })

  it('refuses sibling arrays of the wrong length', () => {
    const w = emptyStepWitness()
    w.recipient.siblings.pop()
    expect(() => encodeStepWitness(w)).toThrow(/recipient has 159 siblings/)
  })
})

describe('buildStepWitness', () => {
  /** A batch covering every row kind, executed row by row against the trace. */
  function batchData(state: L2State) {
    const t = (signer: Signer, op: L2Operation, nonce: bigint): L2Tx =>
      decodeRawTransaction(
        signL2Tx({ nonce, gasLimit: 100_000n, fees: legacy(2n * GWEI), op }, CHAIN_ID, signer.privateKey),
        { chainId: CHAIN_ID },
      ).tx
    const a = signers[0]!
    const n = state.getNonce(a.address)
    const rows = [
      encodeDepositRowV3(),
      encodeTxRowV3(t(a, { kind: 'ethTransfer', to: stranger(500), amount: ETHER }, n)),
      encodeTxRowV3(
        t(a, { kind: 'tokenTransfer', tokenIndex: 1, to: signers[1]!.address, amount: 5n }, n + 1n),
      ),
      encodeTxRowV3(
        t(a, { kind: 'withdrawToken', tokenIndex: 1, recipient: stranger(1), amount: 5n }, n + 2n),
      ),
      encodeTxRowV3(t(a, { kind: 'ethTransfer', to: stranger(501), amount: ETHER }, n + 9n)), // skipped
      encodeTxRowV3(t(signers[5]!, { kind: 'ethTransfer', to: stranger(501), amount: 0n }, 0n)), // unknown sender
      encodeDepositRowV3(),
      encodeDepositRowV3(), // beyond batchDepositCountAfter
      encodeBlockEndRowV3(5n),
      encodeBlockEndRowV3(6n).fill(1, 100), // malformed
      encodeBlockEndRowV3(7n),
    ]
    return concatBytes(encodeHeaderV3(11n, rows.length), ...rows)
  }

  it('gives, for every row of a batch, the post header the trace reaches and leaves the pre-state alone', () => {
    const state = scenario()
    const queue: Deposit[] = [stranger(600), signers[2]!.address].map((to, i) => ({
      index: state.depositCount + BigInt(i),
      from: stranger(9),
      to: to.toLowerCase() as Address,
      tokenIndex: i,
      amount: 7n,
    }))
    const ctx = {
      chainId: CHAIN_ID,
      baseFee: BASE_FEE,
      batchDepositCountAfter: state.depositCount + 2n,
      deposits: (i: bigint) => queue[Number(i - state.depositCount)],
    }
    const data = batchData(state)
    const trace = executeBatchV3(state.clone(), data, { ...ctx, blockNumber: 10n })
    expect(trace.valid).toBe(true)
    const pre = state.clone()
    let blockNumber = 10n
    for (let r = 0; r < trace.rowCount; r++) {
      const before = stateCommitment(pre.stateHeader(blockNumber))
      const built = buildStepWitness(pre, blockNumber, rowAtV3(data, r), ctx)
      expect(stateCommitment(pre.stateHeader(blockNumber)), `row ${r} mutated the pre-state`).toBe(before)
      expect(stateCommitment(built.pre)).toBe(trace.leaves[r])
      expect(stateCommitment(built.expectedPost), `row ${r}`).toBe(trace.leaves[r + 1])
      expect(built.outcome).toEqual(trace.outcomes[r])
      expect(decodeStepWitness(built.encoded)).toEqual(built.witness)
      // address proofs open against the pre addresses root
      const w = built.witness
      const o = trace.outcomes[r]!
      if (o.kind === 'tx' && !(!o.applied && o.code === 'MALFORMED_ROW')) {
        const sender = recoverSender(parseTx(rowAtV3(data, r)), CHAIN_ID)
        expect(verifyAddressProof(built.pre.addressesRoot, sender, w.sender.leaf, w.sender.siblings)).toBe(
          true,
        )
      }
      if (o.kind === 'deposit' && o.applied) {
        const d = queue[Number(o.depositIndex - queue[0]!.index)]!
        expect(w.deposit).toEqual({ from: d.from, to: d.to, tokenIndex: d.tokenIndex, amount: d.amount })
      }
      blockNumber = executeRowV3(pre, blockNumber, rowAtV3(data, r), ctx).blockNumber
    }
    expect(blockNumber).toBe(trace.blockNumber)
  })

  it('zero witness for rows that read nothing (block end, malformed, deposit beyond the batch)', () => {
    const state = scenario()
    const ctx = {
      chainId: CHAIN_ID,
      baseFee: BASE_FEE,
      batchDepositCountAfter: state.depositCount,
      deposits: () => undefined,
    }
    for (const row of [encodeBlockEndRowV3(1n), encodeDepositRowV3(), encodeDepositRowV3().fill(9, 0, 1)]) {
      const built = buildStepWitness(state, 3n, row, ctx)
      expect(built.witness).toEqual(emptyStepWitness())
    }
  })

  it('refuses a context whose base fee is not the state one', () => {
    const state = scenario()
    expect(() =>
      buildStepWitness(state, 0n, encodeBlockEndRowV3(1n), {
        chainId: CHAIN_ID,
        baseFee: BASE_FEE + 1n,
        batchDepositCountAfter: 0n,
        deposits: () => undefined,
      }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
  })
})

function parseTx(row: Uint8Array): L2Tx {
  const parsed = parseRowV3(row)
  if (parsed.type !== 'tx') throw new Error('not a tx row')
  return parsed.tx
}
