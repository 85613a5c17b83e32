// biome-ignore-all lint/style/noNonNullAssertion: tests index data they just built
import { concat, encodePacked, type Hex as ViemHex, keccak256 as viemKeccak } from 'viem'
import { describe, expect, it } from 'vitest'
import { AddressTree, emptyAddressesRoot, verifyAddressProof } from './addressTree.ts'
import { bytesToAddress, bytesToHex, hexToBytes } from './bytes.ts'
import { stateCommitment } from './commitment.ts'
import { GAS, L2_FEE_VAULT_ADDRESS } from './constants.ts'
import { isL2kitError, type L2kitError } from './errors.ts'
import { keccak256, keccakHasher } from './hash.ts'
import { SparseMerkleTree } from './smt.ts'
import {
  accountLeafHash,
  balancesRootOf,
  computeEffectiveGasPrice,
  L2State,
  l2TokenAddress,
  stateRootOf,
  tokenIndexFromL2Address,
  withdrawalHash,
} from './state.ts'
import type { Address, L2Operation, L2Tx, TxFees } from './types.ts'

const ETHER = 10n ** 18n
const GWEI = 10n ** 9n
const BASE_FEE = GWEI
const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000'

const addr = (label: string): Address => bytesToAddress(keccak256(new TextEncoder().encode(label)), 12)
const alice = addr('alice')
const bob = addr('bob')
const carol = addr('carol')
const L1_TOKEN = addr('l1 token')

const legacy = (gasPrice = BASE_FEE): TxFees => ({ type: 'legacy', gasPrice })
const eip1559 = (maxFeePerGas = 2n * BASE_FEE, maxPriorityFeePerGas = 0n): TxFees => ({
  type: 'eip1559',
  maxFeePerGas,
  maxPriorityFeePerGas,
})

function tx(op: L2Operation, nonce: bigint, fees: TxFees = legacy(), gasLimit = 100_000n): L2Tx {
  return { nonce, gasLimit, fees, op, signature: { r: 1n, s: 2n, yParity: 0 } }
}

/** A state with one token, alice (10 ETH, 1000 tokens) and bob (1 ETH). */
function fundedState(): L2State {
  const state = new L2State({ chainId: 901n, baseFee: BASE_FEE })
  state.registerToken({
    index: 1,
    l1Address: L1_TOKEN,
    l2Address: l2TokenAddress(1),
    name: 'Dev',
    symbol: 'DEV',
    decimals: 18,
  })
  state.applyDeposit({ index: 0n, from: alice, to: alice, tokenIndex: 0, amount: 10n * ETHER })
  state.applyDeposit({ index: 1n, from: alice, to: alice, tokenIndex: 1, amount: 1000n * ETHER })
  state.applyDeposit({ index: 2n, from: bob, to: bob, tokenIndex: 0, amount: ETHER })
  return state
}

/** Runs `action`, expects an L2kitError with `code`, and checks that nothing at all changed. */
function expectRejected(state: L2State, action: () => unknown, code: string): L2kitError {
  const rootBefore = state.stateRoot()
  const before = JSON.stringify(state.snapshot())
  let caught: unknown
  try {
    action()
  } catch (error) {
    caught = error
  }
  expect(isL2kitError(caught), `expected an L2kitError ${code}, got ${String(caught)}`).toBe(true)
  const error = caught as L2kitError
  expect(error.code).toBe(code)
  expect(error.message.length).toBeGreaterThan(20)
  expect(() => JSON.stringify(error.toJSON())).not.toThrow()
  expect(JSON.stringify(state.snapshot())).toBe(before)
  expect(state.stateRoot()).toBe(rootBefore)
  return error
}

/** Naive spec implementation of the state root with viem only (no core/hash, no core/smt). */
function naiveStateRoot(state: L2State): ViemHex {
  const zeros: ViemHex[] = [`0x${'00'.repeat(32)}`]
  for (let i = 0; i < 32; i++) zeros.push(viemKeccak(concat([zeros[i]!, zeros[i]!])))
  const root = (leaves: Map<bigint, ViemHex>, depth: number): ViemHex => {
    let level = new Map(leaves)
    for (let h = 0; h < depth; h++) {
      const next = new Map<bigint, ViemHex>()
      for (const k of level.keys()) {
        const p = k >> 1n
        if (next.has(p)) continue
        next.set(p, viemKeccak(concat([level.get(p * 2n) ?? zeros[h]!, level.get(p * 2n + 1n) ?? zeros[h]!])))
      }
      level = next
    }
    return level.get(0n) ?? zeros[depth]!
  }
  const accounts = new Map<bigint, ViemHex>()
  for (let i = 0; i < state.accountCount; i++) {
    const account = state.getAccount(state.addressAt(i)!)!
    const balances = new Map<bigint, ViemHex>()
    for (const [t, amount] of account.balances)
      if (amount !== 0n) balances.set(BigInt(t), `0x${amount.toString(16).padStart(64, '0')}`)
    const balancesRoot = root(balances, 8)
    accounts.set(
      BigInt(i),
      viemKeccak(
        encodePacked(['address', 'uint64', 'bytes32'], [account.address, account.nonce, balancesRoot]),
      ),
    )
  }
  const withdrawals = new Map<bigint, ViemHex>()
  for (const w of state.withdrawals) withdrawals.set(w.index, withdrawalHash(w))
  return viemKeccak(concat([root(accounts, 32), root(withdrawals, 32)]))
}

function totals(state: L2State): Map<number, bigint> {
  const sums = new Map<number, bigint>()
  for (let i = 0; i < state.accountCount; i++) {
    for (const [t, amount] of state.getAccount(state.addressAt(i)!)!.balances)
      sums.set(t, (sums.get(t) ?? 0n) + amount)
  }
  return sums
}

describe('L2State genesis', () => {
  it('starts with only the fee vault, at account index 0, and the spec root', () => {
    const state = new L2State({ chainId: 901n, baseFee: BASE_FEE })
    expect(state.accountCount).toBe(1)
    expect(state.addressAt(0)).toBe(L2_FEE_VAULT_ADDRESS)
    expect(state.indexOf(L2_FEE_VAULT_ADDRESS)).toBe(0)
    expect(state.depositCount).toBe(0n)
    expect(state.withdrawals).toHaveLength(0)
    expect(state.stateRoot()).toBe(naiveStateRoot(state))
  })

  it('rejects a non-positive chain id or a negative base fee', () => {
    expect(() => new L2State({ chainId: 0n, baseFee: 1n })).toThrow(/chainId/)
    expect(() => new L2State({ chainId: 1n, baseFee: -1n })).toThrow(/baseFee/)
  })
})

describe('deposits', () => {
  it('credits the recipient, creating accounts in order of first appearance', () => {
    const state = fundedState()
    expect(state.indexOf(alice)).toBe(1)
    expect(state.indexOf(bob)).toBe(2)
    expect(state.getBalance(alice)).toBe(10n * ETHER)
    expect(state.getBalance(alice, 1)).toBe(1000n * ETHER)
    expect(state.depositCount).toBe(3n)
    const outcome = state.applyDeposit({
      index: 3n,
      from: carol,
      to: carol.toUpperCase().replace('0X', '0x') as Address,
      tokenIndex: 0,
      amount: 5n,
    })
    expect(outcome).toEqual({ accountIndex: 3, newAccount: true, credited: true })
    expect(state.getBalance(carol)).toBe(5n)
    expect(state.addressAt(3)).toBe(carol)
    expect(
      state.applyDeposit({ index: 4n, from: carol, to: carol, tokenIndex: 0, amount: 5n }).newAccount,
    ).toBe(false)
    expect(state.getBalance(carol)).toBe(10n)
  })

  it('creates an account even for a zero deposit (first appearance)', () => {
    const state = fundedState()
    state.applyDeposit({ index: 3n, from: carol, to: carol, tokenIndex: 0, amount: 0n })
    expect(state.indexOf(carol)).toBe(3)
    expect(state.getAccount(carol)!.balances.size).toBe(0)
    expect(state.stateRoot()).toBe(naiveStateRoot(state))
  })

  it('rejects a deposit whose index is not the next one, changing nothing', () => {
    const state = fundedState()
    const error = expectRejected(
      state,
      () => state.applyDeposit({ index: 5n, from: carol, to: carol, tokenIndex: 0, amount: 1n }),
      'DEPOSIT_OUT_OF_ORDER',
    )
    expect(error.details).toMatchObject({ depositIndex: '5', expected: '3' })
    expectRejected(
      state,
      () => state.applyDeposit({ index: 2n, from: carol, to: carol, tokenIndex: 0, amount: 1n }),
      'DEPOSIT_OUT_OF_ORDER',
    )
  })

  it('rejects a deposit of an unregistered token, changing nothing (not even creating the account)', () => {
    const state = fundedState()
    expectRejected(
      state,
      () => state.applyDeposit({ index: 3n, from: carol, to: carol, tokenIndex: 2, amount: 1n }),
      'UNKNOWN_TOKEN',
    )
    expect(state.indexOf(carol)).toBeUndefined()
  })

  it('rejects malformed deposits (bad address, amount beyond uint256)', () => {
    const state = fundedState()
    expectRejected(
      state,
      () =>
        state.applyDeposit({ index: 3n, from: carol, to: '0x1234' as Address, tokenIndex: 0, amount: 1n }),
      'INVALID_ADDRESS',
    )
    expectRejected(
      state,
      () => state.applyDeposit({ index: 3n, from: carol, to: carol, tokenIndex: 0, amount: 1n << 256n }),
      'INVALID_DEPOSIT',
    )
    expectRejected(
      state,
      () => state.applyDeposit({ index: 3n, from: carol, to: carol, tokenIndex: 0, amount: -1n }),
      'INVALID_DEPOSIT',
    )
  })

  it('consumes without credit a deposit that would overflow a balance (malicious L1 token), so later deposits still apply', () => {
    const state = fundedState()
    const max = (1n << 256n) - 1n
    state.applyDeposit({ index: 3n, from: carol, to: carol, tokenIndex: 1, amount: max })
    expect(
      state.applyDeposit({ index: 4n, from: carol, to: carol, tokenIndex: 1, amount: 1n }),
    ).toMatchObject({ credited: false })
    expect(state.getBalance(carol, 1)).toBe(max)
    expect(state.depositCount).toBe(5n)
  })
})

describe('transactions', () => {
  it('transfers ETH: nonce +1, amount moved, fee = gas x price to the vault, new recipient gets the next index', () => {
    const state = fundedState()
    const receipt = state.applyTx(
      tx({ kind: 'ethTransfer', to: carol, amount: ETHER }, 0n, legacy(3n * GWEI)),
      alice,
    )
    const fee = GAS.ethTransfer * 3n * GWEI
    expect(receipt).toEqual({ gasUsed: GAS.ethTransfer, effectiveGasPrice: 3n * GWEI, fee })
    expect(state.getNonce(alice)).toBe(1n)
    expect(state.getBalance(alice)).toBe(9n * ETHER - fee)
    expect(state.getBalance(carol)).toBe(ETHER)
    expect(state.getBalance(L2_FEE_VAULT_ADDRESS)).toBe(fee)
    expect(state.indexOf(carol)).toBe(3)
    expect(state.stateRoot()).toBe(naiveStateRoot(state))
  })

  it('transfers a token: token moves, ETH pays only the fee', () => {
    const state = fundedState()
    const receipt = state.applyTx(
      tx(
        { kind: 'tokenTransfer', tokenIndex: 1, to: bob, amount: 250n * ETHER },
        0n,
        eip1559(5n * GWEI, 2n * GWEI),
      ),
      alice,
    )
    expect(receipt.effectiveGasPrice).toBe(3n * GWEI) // min(5, 1 + 2) gwei
    expect(receipt.fee).toBe(GAS.tokenTransfer * 3n * GWEI)
    expect(state.getBalance(alice, 1)).toBe(750n * ETHER)
    expect(state.getBalance(bob, 1)).toBe(250n * ETHER)
    expect(state.getBalance(alice)).toBe(10n * ETHER - receipt.fee)
    expect(state.stateRoot()).toBe(naiveStateRoot(state))
  })

  it('withdraws ETH: burns amount + fee from the sender and appends withdrawal 0 with l1Token = 0', () => {
    const state = fundedState()
    const l1Recipient = addr('alice on L1')
    const receipt = state.applyTx(
      tx({ kind: 'withdrawEth', recipient: l1Recipient, amount: 2n * ETHER }, 0n),
      alice,
    )
    expect(receipt.gasUsed).toBe(GAS.withdrawEth)
    expect(receipt.withdrawal).toEqual({
      index: 0n,
      sender: alice,
      recipient: l1Recipient,
      l1Token: ZERO_ADDRESS,
      amount: 2n * ETHER,
    })
    expect(state.getBalance(alice)).toBe(8n * ETHER - receipt.fee)
    expect(state.withdrawals).toHaveLength(1)
    expect(state.getWithdrawal(0n)).toEqual(receipt.withdrawal)
    expect(state.indexOf(l1Recipient)).toBeUndefined() // withdrawals create no L2 account
    expect(state.stateRoot()).toBe(naiveStateRoot(state))
  })

  it('withdraws a token: burns the tokens, records the L1 token address, numbers withdrawals in order', () => {
    const state = fundedState()
    state.applyTx(tx({ kind: 'withdrawEth', recipient: alice, amount: 1n }, 0n), alice)
    const receipt = state.applyTx(
      tx({ kind: 'withdrawToken', tokenIndex: 1, recipient: alice, amount: 400n * ETHER }, 1n),
      alice,
    )
    expect(receipt.gasUsed).toBe(GAS.withdrawToken)
    expect(receipt.withdrawal).toMatchObject({
      index: 1n,
      l1Token: L1_TOKEN.toLowerCase(),
      amount: 400n * ETHER,
    })
    expect(state.getBalance(alice, 1)).toBe(600n * ETHER)
    expect(state.stateRoot()).toBe(naiveStateRoot(state))
  })

  it('handles a transfer to oneself: only the fee and the nonce change', () => {
    const state = fundedState()
    const receipt = state.applyTx(tx({ kind: 'ethTransfer', to: alice, amount: 3n * ETHER }, 0n), alice)
    expect(state.getBalance(alice)).toBe(10n * ETHER - receipt.fee)
    expect(state.getNonce(alice)).toBe(1n)
  })

  it('lets a transaction spend exactly the whole balance (amount + fee), leaving an empty balance leaf', () => {
    const state = fundedState()
    const fee = GAS.ethTransfer * BASE_FEE
    state.applyTx(tx({ kind: 'ethTransfer', to: carol, amount: ETHER - fee }, 0n), bob)
    expect(state.getBalance(bob)).toBe(0n)
    expect(state.getAccount(bob)!.balances.has(0)).toBe(false)
    expect(state.stateRoot()).toBe(naiveStateRoot(state))
  })

  it('accepts addresses in any case and stores them lowercase', () => {
    const state = fundedState()
    const upper = `0x${carol.slice(2).toUpperCase()}` as Address
    state.applyTx(
      tx({ kind: 'ethTransfer', to: upper, amount: 1n }, 0n),
      `0x${alice.slice(2).toUpperCase()}` as Address,
    )
    expect(state.addressAt(3)).toBe(carol)
    expect(state.getBalance(upper)).toBe(1n)
  })

  it('checkTx validates without changing anything', () => {
    const state = fundedState()
    const root = state.stateRoot()
    state.checkTx(tx({ kind: 'ethTransfer', to: carol, amount: ETHER }, 0n), alice)
    expect(state.stateRoot()).toBe(root)
    expect(state.getNonce(alice)).toBe(0n)
    expect(() => state.checkTx(tx({ kind: 'ethTransfer', to: carol, amount: ETHER }, 1n), alice)).toThrow(
      /ahead/,
    )
  })
})

describe('rejected transactions leave the state unchanged', () => {
  const cases: { name: string; code: string; sender: Address; tx: L2Tx }[] = [
    {
      name: 'a sender with no account',
      code: 'UNKNOWN_ACCOUNT',
      sender: carol,
      tx: tx({ kind: 'ethTransfer', to: bob, amount: 0n }, 0n),
    },
    {
      name: 'a nonce that was already used',
      code: 'NONCE_TOO_LOW',
      sender: alice,
      tx: tx({ kind: 'ethTransfer', to: bob, amount: 1n }, 0n),
    },
    {
      name: 'a nonce from the future',
      code: 'NONCE_TOO_HIGH',
      sender: alice,
      tx: tx({ kind: 'ethTransfer', to: bob, amount: 1n }, 5n),
    },
    {
      name: 'a gas limit below the fixed gas',
      code: 'GAS_LIMIT_TOO_LOW',
      sender: alice,
      tx: tx({ kind: 'ethTransfer', to: bob, amount: 1n }, 1n, legacy(), 20_999n),
    },
    {
      name: 'a token transfer with an ETH transfer gas limit',
      code: 'GAS_LIMIT_TOO_LOW',
      sender: alice,
      tx: tx({ kind: 'tokenTransfer', tokenIndex: 1, to: bob, amount: 1n }, 1n, legacy(), 21_000n),
    },
    {
      name: 'a legacy gas price below the base fee',
      code: 'FEE_CAP_TOO_LOW',
      sender: alice,
      tx: tx({ kind: 'ethTransfer', to: bob, amount: 1n }, 1n, legacy(BASE_FEE - 1n)),
    },
    {
      name: 'a max fee below the base fee',
      code: 'FEE_CAP_TOO_LOW',
      sender: alice,
      tx: tx({ kind: 'ethTransfer', to: bob, amount: 1n }, 1n, eip1559(BASE_FEE - 1n, 10n * GWEI)),
    },
    {
      name: 'a negative priority fee',
      code: 'INVALID_FEE',
      sender: alice,
      tx: tx({ kind: 'ethTransfer', to: bob, amount: 1n }, 1n, eip1559(BASE_FEE, -1n)),
    },
    {
      name: 'an unregistered token transfer',
      code: 'UNKNOWN_TOKEN',
      sender: alice,
      tx: tx({ kind: 'tokenTransfer', tokenIndex: 2, to: bob, amount: 1n }, 1n),
    },
    {
      name: 'a token transfer of token 0 (ETH is not an ERC-20)',
      code: 'UNKNOWN_TOKEN',
      sender: alice,
      tx: tx({ kind: 'tokenTransfer', tokenIndex: 0, to: bob, amount: 1n }, 1n),
    },
    {
      name: 'an unregistered token withdrawal',
      code: 'UNKNOWN_TOKEN',
      sender: alice,
      tx: tx({ kind: 'withdrawToken', tokenIndex: 9, recipient: bob, amount: 1n }, 1n),
    },
    {
      name: 'a malformed recipient',
      code: 'INVALID_ADDRESS',
      sender: alice,
      tx: tx({ kind: 'ethTransfer', to: '0xabc' as Address, amount: 1n }, 1n),
    },
    {
      name: 'an amount that is not packable',
      code: 'AMOUNT_NOT_PACKABLE',
      sender: alice,
      tx: tx({ kind: 'ethTransfer', to: bob, amount: 123456789012345678901n }, 1n),
    },
    {
      name: 'a negative amount',
      code: 'AMOUNT_NOT_PACKABLE',
      sender: alice,
      tx: tx({ kind: 'withdrawEth', recipient: bob, amount: -1n }, 1n),
    },
    {
      name: 'an ETH amount beyond the balance',
      code: 'INSUFFICIENT_BALANCE',
      sender: alice,
      tx: tx({ kind: 'ethTransfer', to: bob, amount: 10n * ETHER }, 1n),
    },
    {
      name: 'a balance that covers the amount but not the fee',
      code: 'INSUFFICIENT_BALANCE',
      sender: bob,
      tx: tx({ kind: 'withdrawEth', recipient: bob, amount: ETHER }, 0n),
    },
    {
      name: 'a token transfer whose fee the ETH balance cannot pay',
      code: 'INSUFFICIENT_BALANCE',
      sender: alice,
      tx: tx({ kind: 'tokenTransfer', tokenIndex: 1, to: bob, amount: 1n }, 1n, legacy(10n ** 15n)),
    },
    {
      name: 'a token amount beyond the token balance',
      code: 'INSUFFICIENT_TOKEN_BALANCE',
      sender: bob,
      tx: tx({ kind: 'tokenTransfer', tokenIndex: 1, to: alice, amount: 1n }, 0n),
    },
    {
      name: 'a token withdrawal beyond the token balance',
      code: 'INSUFFICIENT_TOKEN_BALANCE',
      sender: alice,
      tx: tx({ kind: 'withdrawToken', tokenIndex: 1, recipient: alice, amount: 1001n * ETHER }, 1n),
    },
  ]
  for (const c of cases) {
    it(`rejects ${c.name} with ${c.code}`, () => {
      const state = fundedState()
      state.applyTx(tx({ kind: 'ethTransfer', to: bob, amount: 1n }, 0n), alice) // alice is at nonce 1 now
      const error = expectRejected(state, () => state.applyTx(c.tx, c.sender), c.code)
      expectRejected(state, () => state.checkTx(c.tx, c.sender), c.code)
      expect(Object.keys(error.details).length).toBeGreaterThan(0)
    })
  }

  it('explains an insufficient balance with the numbers', () => {
    const state = fundedState()
    const error = expectRejected(
      state,
      () => state.applyTx(tx({ kind: 'withdrawEth', recipient: bob, amount: ETHER }, 0n), bob),
      'INSUFFICIENT_BALANCE',
    )
    expect(error.details).toMatchObject({
      balance: ETHER.toString(),
      required: (ETHER + GAS.withdrawEth * BASE_FEE).toString(),
    })
    expect(error.message).toContain(bob)
  })

  it('rejects a credit that would overflow the recipient balance (BALANCE_OVERFLOW)', () => {
    const state = fundedState()
    const max = (1n << 256n) - 1n
    state.applyDeposit({ index: 3n, from: bob, to: bob, tokenIndex: 1, amount: max - 10n })
    expectRejected(
      state,
      () => state.applyTx(tx({ kind: 'tokenTransfer', tokenIndex: 1, to: bob, amount: 11n }, 0n), alice),
      'BALANCE_OVERFLOW',
    )
    state.applyTx(tx({ kind: 'tokenTransfer', tokenIndex: 1, to: bob, amount: 10n }, 0n), alice)
    expect(state.getBalance(bob, 1)).toBe(max)
  })
})

describe('conservation and proofs', () => {
  /** Deterministic random workload: deposits, transfers and withdrawals among a few accounts. */
  function randomWorkload(seed: number, steps: number): { state: L2State; deposited: Map<number, bigint> } {
    let x = seed
    const next = (n: number): number => {
      x ^= x << 13
      x ^= x >>> 17
      x ^= x << 5
      return (x >>> 0) % n
    }
    const state = fundedState()
    const deposited = new Map<number, bigint>([
      [0, 11n * ETHER],
      [1, 1000n * ETHER],
    ])
    const people = [alice, bob, carol, addr('dave'), addr('erin')]
    for (let step = 0; step < steps; step++) {
      const sender = people[next(people.length)]!
      const other = people[next(people.length)]!
      const amount = BigInt(next(5)) * 10n ** BigInt(15 + next(4))
      const token = next(2)
      const kind = next(5)
      if (kind === 0) {
        state.applyDeposit({ index: state.depositCount, from: sender, to: other, tokenIndex: token, amount })
        deposited.set(token, (deposited.get(token) ?? 0n) + amount)
        continue
      }
      const op: L2Operation =
        kind === 1
          ? { kind: 'ethTransfer', to: other, amount }
          : kind === 2
            ? { kind: 'tokenTransfer', tokenIndex: 1, to: other, amount }
            : kind === 3
              ? { kind: 'withdrawEth', recipient: other, amount }
              : { kind: 'withdrawToken', tokenIndex: 1, recipient: other, amount }
      const fees = next(2)
        ? legacy(BASE_FEE + BigInt(next(3)) * GWEI)
        : eip1559(3n * GWEI, BigInt(next(3)) * GWEI)
      try {
        state.applyTx(tx(op, state.getNonce(sender) + (next(10) === 0 ? 1n : 0n), fees), sender)
      } catch (error) {
        expect(isL2kitError(error)).toBe(true)
      }
    }
    return { state, deposited }
  }

  it('conserves value: balances + withdrawn = deposited, per token (fees stay in the vault)', () => {
    const { state, deposited } = randomWorkload(7, 600)
    const sums = totals(state)
    const withdrawn = new Map<string, bigint>()
    for (const w of state.withdrawals) withdrawn.set(w.l1Token, (withdrawn.get(w.l1Token) ?? 0n) + w.amount)
    expect(state.withdrawals.length).toBeGreaterThan(10)
    expect((sums.get(0) ?? 0n) + (withdrawn.get(ZERO_ADDRESS) ?? 0n)).toBe(deposited.get(0))
    expect((sums.get(1) ?? 0n) + (withdrawn.get(L1_TOKEN.toLowerCase()) ?? 0n)).toBe(deposited.get(1))
    expect(state.getBalance(L2_FEE_VAULT_ADDRESS)).toBeGreaterThan(0n)
  })

  it('computes incrementally the same root as a from-scratch spec implementation, at every point', () => {
    const state = fundedState()
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 5; i++) {
        state.applyTx(
          tx(
            { kind: 'ethTransfer', to: addr(`r${round}-${i}`), amount: BigInt(i + 1) * GWEI },
            state.getNonce(alice),
          ),
          alice,
        )
      }
      state.applyTx(tx({ kind: 'withdrawEth', recipient: bob, amount: GWEI }, state.getNonce(bob)), bob)
      expect(state.stateRoot()).toBe(naiveStateRoot(state))
    }
  })

  it('proves every withdrawal against the state root, in the shape the L1 portal takes', () => {
    const { state } = randomWorkload(11, 300)
    const stateRoot = state.stateRoot()
    for (const w of state.withdrawals) {
      const proof = state.withdrawalProof(w.index)
      expect(proof.withdrawal).toBe(w)
      expect(proof.withdrawalHash).toBe(withdrawalHash(w))
      expect(proof.siblings).toHaveLength(32)
      expect(proof.stateRoot).toBe(stateRoot)
      const withdrawalsRoot = SparseMerkleTree.computeRoot(
        keccakHasher,
        32,
        hexToBytes(proof.withdrawalHash),
        w.index,
        proof.siblings.map((s) => hexToBytes(s)),
      )
      expect(stateRootOf(proof.accountsRoot, withdrawalsRoot)).toBe(stateRoot)
      // The proof does not verify a tampered withdrawal.
      const forged = withdrawalHash({ ...w, amount: w.amount + 1n })
      const forgedRoot = SparseMerkleTree.computeRoot(
        keccakHasher,
        32,
        hexToBytes(forged),
        w.index,
        proof.siblings.map((s) => hexToBytes(s)),
      )
      expect(stateRootOf(proof.accountsRoot, forgedRoot)).not.toBe(stateRoot)
    }
    expect(() => state.withdrawalProof(state.withdrawals.length)).toThrow(/does not exist/)
  })

  it('proves accounts against the accounts root', () => {
    const { state } = randomWorkload(12, 100)
    for (let i = 0; i < state.accountCount; i++) {
      const proof = state.accountProof(i)
      expect(proof.leaf).toBe(accountLeafHash(proof.address, proof.nonce, proof.balancesRoot))
      expect(proof.leaf).toBe(state.accountLeaf(i))
      expect(proof.balancesRoot).toBe(balancesRootOf(state.getAccount(proof.address)!.balances))
      expect(
        SparseMerkleTree.verifyProof(
          keccakHasher,
          32,
          hexToBytes(proof.accountsRoot),
          hexToBytes(proof.leaf),
          i,
          proof.siblings.map((s) => hexToBytes(s)),
        ),
      ).toBe(true)
    }
    expect(state.accountLeaf(state.accountCount)).toBe(`0x${'00'.repeat(32)}`)
  })
})

describe('persistence', () => {
  it('round-trips a snapshot through JSON to the same state root and data', () => {
    const state = fundedState()
    state.applyTx(tx({ kind: 'tokenTransfer', tokenIndex: 1, to: carol, amount: 5n }, 0n), alice)
    state.applyTx(
      tx({ kind: 'withdrawToken', tokenIndex: 1, recipient: carol, amount: 2n }, 1n, legacy(2n * GWEI)),
      alice,
    )
    const json = JSON.stringify(state.snapshot())
    const restored = L2State.fromSnapshot({ chainId: 901n, baseFee: BASE_FEE }, JSON.parse(json))
    expect(restored.stateRoot()).toBe(state.stateRoot())
    expect(JSON.stringify(restored.snapshot())).toBe(json)
    expect(restored.depositCount).toBe(state.depositCount)
    expect(restored.tokens).toEqual(state.tokens)
    expect(restored.takeDirty()).toEqual({ accounts: [], withdrawals: [], tokens: [], depositCount: 3n })
    // The restored state keeps executing identically.
    const next = tx({ kind: 'ethTransfer', to: addr('zed'), amount: 7n }, 2n)
    state.applyTx(next, alice)
    restored.applyTx(next, alice)
    expect(restored.stateRoot()).toBe(state.stateRoot())
  })

  it('rejects an inconsistent snapshot', () => {
    const snapshot = fundedState().snapshot()
    expect(() =>
      L2State.fromSnapshot(
        { chainId: 901n, baseFee: BASE_FEE },
        { ...snapshot, accounts: snapshot.accounts.slice(1) },
      ),
    ).toThrow(/fee vault/)
    const badBalance = structuredClone(snapshot)
    badBalance.accounts[1]!.balances[0]![1] = '-5'
    expect(() => L2State.fromSnapshot({ chainId: 901n, baseFee: BASE_FEE }, badBalance)).toThrow(/decimal/)
    const duplicate = structuredClone(snapshot)
    duplicate.accounts[2]!.address = duplicate.accounts[1]!.address
    expect(() => L2State.fromSnapshot({ chainId: 901n, baseFee: BASE_FEE }, duplicate)).toThrow(
      /already has account/,
    )
  })

  it('reports exactly the accounts, withdrawals and tokens changed since the last takeDirty()', () => {
    const state = fundedState()
    expect(state.takeDirty()).toEqual({ accounts: [0, 1, 2], withdrawals: [], tokens: [1], depositCount: 3n })
    expect(state.takeDirty()).toEqual({ accounts: [], withdrawals: [], tokens: [], depositCount: 3n })
    state.applyTx(tx({ kind: 'withdrawEth', recipient: bob, amount: 1n }, 0n), bob)
    expect(state.takeDirty()).toEqual({ accounts: [0, 2], withdrawals: [0], tokens: [], depositCount: 3n })
    state.applyTx(tx({ kind: 'ethTransfer', to: carol, amount: 1n }, 0n), alice)
    expect(state.takeDirty().accounts).toEqual([0, 1, 3])
    // A rejected transaction dirties nothing.
    expect(() => state.applyTx(tx({ kind: 'ethTransfer', to: carol, amount: 1n }, 0n), alice)).toThrow()
    expect(state.takeDirty().accounts).toEqual([])
  })

  it('restores from per-account and per-withdrawal records (what a node writes after takeDirty)', () => {
    const state = fundedState()
    state.applyTx(tx({ kind: 'withdrawEth', recipient: bob, amount: 1n }, 0n), bob)
    state.applyTx(tx({ kind: 'ethTransfer', to: carol, amount: 1n }, 0n), alice)
    const accounts = Array.from({ length: state.accountCount }, (_, i) =>
      JSON.parse(JSON.stringify(state.exportAccount(i))),
    )
    const withdrawals = state.withdrawals.map((_, i) => JSON.parse(JSON.stringify(state.exportWithdrawal(i))))
    const restored = new L2State({ chainId: 901n, baseFee: BASE_FEE })
    for (const token of state.tokens) restored.registerToken(token)
    for (const [i, a] of accounts.entries()) restored.importAccount(i, a)
    for (const w of withdrawals) restored.importWithdrawal(w)
    expect(restored.withdrawalsRoot()).toBe(state.withdrawalsRoot())
    expect(restored.accountsRoot()).toBe(state.accountsRoot())
    // Overwriting an existing account in place (a later store record) updates the root.
    restored.importAccount(2, { ...accounts[2], nonce: '9' })
    expect(restored.getNonce(bob)).toBe(9n)
    expect(restored.accountsRoot()).not.toBe(state.accountsRoot())
    expect(() => restored.importAccount(7, accounts[1])).toThrow(/before account/)
    expect(() => restored.importAccount(1, accounts[2])).toThrow(/is 0x/)
    expect(() => restored.importWithdrawal(withdrawals[0])).toThrow(/out of order/)
  })

  it('clones into an independent state with the same root', () => {
    const state = fundedState()
    state.applyTx(tx({ kind: 'ethTransfer', to: carol, amount: 1n }, 0n), alice) // dirty, root not computed yet
    const copy = state.clone()
    expect(copy.stateRoot()).toBe(state.stateRoot())
    copy.applyTx(tx({ kind: 'withdrawEth', recipient: carol, amount: 1n }, 1n), alice)
    expect(copy.stateRoot()).not.toBe(state.stateRoot())
    expect(state.getNonce(alice)).toBe(1n)
    expect(state.withdrawals).toHaveLength(0)
    expect(copy.stateRoot()).toBe(naiveStateRoot(copy))
    expect(state.stateRoot()).toBe(naiveStateRoot(state))
    expect(copy).toBeInstanceOf(L2State)
  })
})

describe('tokens and helpers', () => {
  it('registers tokens in L1 order only, at their canonical L2 address', () => {
    const state = new L2State({ chainId: 1n, baseFee: 0n })
    const info = { l1Address: L1_TOKEN, name: 'Dev', symbol: 'DEV', decimals: 18 }
    expect(() => state.registerToken({ ...info, index: 2, l2Address: l2TokenAddress(2) })).toThrow(
      /out of order/,
    )
    expect(() => state.registerToken({ ...info, index: 1, l2Address: l2TokenAddress(2) })).toThrow(
      /L2 address/,
    )
    state.registerToken({ ...info, index: 1, l2Address: l2TokenAddress(1) })
    expect(() => state.registerToken({ ...info, index: 2, l2Address: l2TokenAddress(2) })).toThrow(
      /already registered/,
    )
    expect(state.getToken(1)?.symbol).toBe('DEV')
    expect(state.getTokenByL2Address(l2TokenAddress(1).toUpperCase())?.index).toBe(1)
  })

  it('maps token indices to L2 addresses and back', () => {
    expect(l2TokenAddress(1)).toBe('0x4200000000000000000000000000000000001001')
    expect(l2TokenAddress(255)).toBe('0x42000000000000000000000000000000000010ff')
    expect(tokenIndexFromL2Address('0x42000000000000000000000000000000000010FF')).toBe(255)
    expect(tokenIndexFromL2Address('0x4200000000000000000000000000000000001000')).toBeUndefined()
    expect(tokenIndexFromL2Address('0x4200000000000000000000000000000000000010')).toBeUndefined()
    expect(tokenIndexFromL2Address(alice)).toBeUndefined()
    expect(() => l2TokenAddress(0)).toThrow()
    expect(() => l2TokenAddress(256)).toThrow()
  })

  it('computes the effective gas price per the spec', () => {
    expect(computeEffectiveGasPrice(legacy(7n), 5n)).toBe(7n)
    expect(computeEffectiveGasPrice(eip1559(10n, 2n), 5n)).toBe(7n)
    expect(computeEffectiveGasPrice(eip1559(6n, 2n), 5n)).toBe(6n)
    expect(computeEffectiveGasPrice(eip1559(5n, 0n), 5n)).toBe(5n)
    expect(() => computeEffectiveGasPrice(eip1559(4n, 9n), 5n)).toThrow(/base fee/)
    expect(() => computeEffectiveGasPrice(legacy(4n), 5n)).toThrow(/base fee/)
  })

  it('hashes leaves exactly as abi.encodePacked / abi.encode would', () => {
    const balancesRoot = `0x${'ab'.repeat(32)}` as const
    expect(accountLeafHash(alice, 7n, balancesRoot)).toBe(
      viemKeccak(encodePacked(['address', 'uint64', 'bytes32'], [alice, 7n, balancesRoot])),
    )
    expect(balancesRootOf(new Map())).toBe(balancesRootOf(new Map([[3, 0n]])))
  })
})

/** The address tree the state should hold: every account's address → its index, built independently. */
function expectedAddressesRoot(state: L2State): string {
  const tree = new AddressTree()
  for (let i = 0; i < state.accountCount; i++) tree.set(state.addressAt(i)!, i)
  return tree.root()
}

const word = (value: bigint): Uint8Array => hexToBytes(`0x${value.toString(16).padStart(64, '0')}`)

describe('fraud-proof commitment data', () => {
  it('puts the fee vault at leaf 1 of the address tree at genesis, with the spec genesis header', () => {
    const state = new L2State({ chainId: 901n, baseFee: BASE_FEE })
    const root = state.addressesRoot()
    expect(root).not.toBe(emptyAddressesRoot())
    const proof = state.addressProof(L2_FEE_VAULT_ADDRESS)
    expect(proof.leaf).toBe(1n)
    expect(verifyAddressProof(root, L2_FEE_VAULT_ADDRESS, 1n, proof.siblings)).toBe(true)
    const header = state.stateHeader(0n)
    expect(header).toEqual({
      accountsRoot: state.accountsRoot(),
      withdrawalsRoot: state.withdrawalsRoot(),
      addressesRoot: root,
      accountCount: 1n,
      withdrawalCount: 0n,
      depositCount: 0n,
      blockNumber: 0n,
      tokenCount: 0,
    })
    expect(stateCommitment(header)).toMatch(/^0x[0-9a-f]{64}$/)
  })

  it('adds every new account to the address tree (deposits, transfers, imports) and proves absent ones', () => {
    const state = fundedState()
    expect(state.addressesRoot()).toBe(expectedAddressesRoot(state))
    const before = state.addressesRoot()
    // Transfers between existing accounts leave the tree alone.
    state.applyTx(tx({ kind: 'ethTransfer', to: bob, amount: 1n }, 0n), alice)
    state.applyTx(tx({ kind: 'withdrawEth', recipient: carol, amount: 1n }, 1n), alice)
    expect(state.addressesRoot()).toBe(before)
    expect(state.addressProof(carol).leaf).toBe(0n) // a withdrawal recipient on L1 gets no L2 account
    state.applyTx(tx({ kind: 'tokenTransfer', tokenIndex: 1, to: carol, amount: 1n }, 2n), alice)
    state.applyDeposit({ index: 3n, from: alice, to: addr('dave'), tokenIndex: 0, amount: 0n })
    expect(state.addressesRoot()).not.toBe(before)
    expect(state.addressesRoot()).toBe(expectedAddressesRoot(state))
    const root = state.addressesRoot()
    for (const [i, who] of [L2_FEE_VAULT_ADDRESS, alice, bob, carol, addr('dave')].entries()) {
      const proof = state.addressProof(who.toUpperCase().replace('0X', '0x'))
      expect(proof.leaf).toBe(BigInt(i) + 1n)
      expect(verifyAddressProof(root, who, proof.leaf, proof.siblings)).toBe(true)
    }
    const absent = state.addressProof(addr('erin'))
    expect(absent.leaf).toBe(0n)
    expect(verifyAddressProof(root, addr('erin'), 0n, absent.siblings)).toBe(true)
    expect(() => state.addressProof('0x1234')).toThrow(/not an address/)

    const restored = L2State.fromSnapshot({ chainId: 901n, baseFee: BASE_FEE }, state.snapshot())
    expect(restored.addressesRoot()).toBe(root)
    const copy = state.clone()
    copy.applyTx(tx({ kind: 'ethTransfer', to: addr('frank'), amount: 1n }, 3n), alice)
    expect(copy.addressesRoot()).toBe(expectedAddressesRoot(copy))
    expect(state.addressesRoot()).toBe(root)
    expect(state.indexOf(addr('frank'))).toBeUndefined()
  })

  it('tracks tokenCount as the largest token index of any applied deposit, credited or not', () => {
    const state = new L2State({ chainId: 901n, baseFee: BASE_FEE })
    const info = { name: 'T', symbol: 'T', decimals: 18 }
    for (const index of [1, 2, 3])
      state.registerToken({
        ...info,
        index,
        l1Address: addr(`token ${index}`),
        l2Address: l2TokenAddress(index),
      })
    expect(state.tokenCount).toBe(0)
    state.applyDeposit({ index: 0n, from: alice, to: alice, tokenIndex: 0, amount: ETHER })
    expect(state.tokenCount).toBe(0)
    state.applyDeposit({ index: 1n, from: alice, to: alice, tokenIndex: 2, amount: 0n }) // zero still counts
    expect(state.tokenCount).toBe(2)
    state.applyDeposit({ index: 2n, from: alice, to: alice, tokenIndex: 1, amount: 5n })
    expect(state.tokenCount).toBe(2)
    // A deposit consumed without crediting (balance overflow) was still applied.
    state.applyDeposit({ index: 3n, from: alice, to: alice, tokenIndex: 3, amount: (1n << 256n) - 1n })
    const overflow = state.applyDeposit({ index: 4n, from: alice, to: alice, tokenIndex: 3, amount: 1n })
    expect(overflow.credited).toBe(false)
    expect(state.tokenCount).toBe(3)
    expect(state.stateHeader(7n).tokenCount).toBe(3)
    expect(state.snapshot().tokenCount).toBe(3)
    expect(L2State.fromSnapshot({ chainId: 901n, baseFee: BASE_FEE }, state.snapshot()).tokenCount).toBe(3)
    expect(state.clone().tokenCount).toBe(3)
    expect(() =>
      L2State.fromSnapshot({ chainId: 901n, baseFee: BASE_FEE }, { ...state.snapshot(), tokenCount: 4 }),
    ).toThrow(/tokenCount/)
  })

  it('rejects a transaction naming a registered token none of which has been deposited yet (UNKNOWN_TOKEN)', () => {
    const state = fundedState()
    state.registerToken({
      index: 2,
      l1Address: addr('second token'),
      l2Address: l2TokenAddress(2),
      name: 'Two',
      symbol: 'TWO',
      decimals: 6,
    })
    expect(state.tokenCount).toBe(1)
    const transfer = tx({ kind: 'tokenTransfer', tokenIndex: 2, to: bob, amount: 0n }, 0n)
    const error = expectRejected(state, () => state.applyTx(transfer, alice), 'UNKNOWN_TOKEN')
    expect(error.message).toMatch(/registered but no deposit/)
    expect(error.details).toMatchObject({ tokenIndex: 2, tokenCount: 1, registeredTokens: 2 })
    const withdrawal = tx({ kind: 'withdrawToken', tokenIndex: 2, recipient: bob, amount: 0n }, 0n)
    expectRejected(state, () => state.applyTx(withdrawal, alice), 'UNKNOWN_TOKEN')
    // The same check position as before: a nonce error still wins over the token.
    expectRejected(state, () => state.applyTx({ ...transfer, nonce: 5n }, alice), 'NONCE_TOO_HIGH')
    state.applyDeposit({ index: 3n, from: bob, to: bob, tokenIndex: 2, amount: 10n })
    state.applyTx(transfer, alice) // a zero-amount transfer of a now-known token
    expect(state.getNonce(alice)).toBe(1n)
  })

  it('gives account, balance and withdrawal-slot witnesses that verify, without changing the state', () => {
    const state = fundedState()
    state.applyTx(tx({ kind: 'withdrawToken', tokenIndex: 1, recipient: carol, amount: 3n }, 0n), alice)
    state.applyTx(tx({ kind: 'ethTransfer', to: carol, amount: 1n }, 1n), alice) // dirty: roots not computed
    const snapshotBefore = JSON.stringify(state.snapshot())
    const copy = state.clone()
    const accountsRoot = hexToBytes(copy.accountsRoot())
    const withdrawalsRoot = hexToBytes(copy.withdrawalsRoot())
    const hasher = keccakHasher
    for (let i = 0; i <= state.accountCount; i++) {
      const w = state.accountWitness(i)
      expect(w.siblings).toHaveLength(32)
      const leaf =
        i < state.accountCount
          ? hexToBytes(accountLeafHash(w.owner, w.nonce, w.balancesRoot))
          : new Uint8Array(32)
      expect(
        SparseMerkleTree.verifyProof(
          hasher,
          32,
          accountsRoot,
          leaf,
          i,
          w.siblings.map((h) => hexToBytes(h)),
        ),
      ).toBe(true)
      if (i === state.accountCount)
        expect(w).toMatchObject({ owner: ZERO_ADDRESS, nonce: 0n, index: BigInt(i) })
      else expect(w).toMatchObject({ owner: state.addressAt(i), nonce: state.getNonce(state.addressAt(i)!) })
      expect(w.balancesRoot).toBe(state.balancesRoot(i))
      for (const token of [0, 1, 5]) {
        const b = state.balanceWitness(i, token)
        expect(b.siblings).toHaveLength(8)
        expect(b.amount).toBe(i < state.accountCount ? state.getBalance(state.addressAt(i)!, token) : 0n)
        expect(
          SparseMerkleTree.verifyProof(
            hasher,
            8,
            hexToBytes(w.balancesRoot),
            word(b.amount),
            token,
            b.siblings.map((h) => hexToBytes(h)),
          ),
        ).toBe(true)
      }
    }
    expect(state.balanceWitness(1, 1).amount).toBe(1000n * ETHER - 3n)
    expect(() => state.balanceWitness(1, 256)).toThrow(/balances tree/)
    expect(() => state.accountWitness(2 ** 32)).toThrow(/accounts tree/)
    // The next withdrawal slot is empty; the used slot holds the withdrawal's hash.
    const next = state.withdrawalSlotSiblings()
    const verifyW = (leaf: Uint8Array, index: number, siblings: string[]) =>
      SparseMerkleTree.verifyProof(
        hasher,
        32,
        withdrawalsRoot,
        leaf,
        index,
        siblings.map((h) => hexToBytes(h)),
      )
    expect(verifyW(new Uint8Array(32), 1, next)).toBe(true)
    expect(
      verifyW(hexToBytes(withdrawalHash(state.withdrawals[0]!)), 0, state.withdrawalSlotSiblings(0)),
    ).toBe(true)
    expect(verifyW(new Uint8Array(32), 0, state.withdrawalSlotSiblings(0))).toBe(false)
    // Reading witnesses changed nothing a caller can see.
    expect(JSON.stringify(state.snapshot())).toBe(snapshotBefore)
    expect(state.stateRoot()).toBe(copy.stateRoot())
    expect(state.takeDirty().accounts).toEqual([0, 1, 2, 3])
    expect(bytesToHex(accountsRoot)).toBe(state.accountsRoot())
  })
})
