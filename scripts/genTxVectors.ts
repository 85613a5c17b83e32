/**
 * Generates contracts/test/vectors/TxVectors.sol: single-transaction fraud-proof steps computed by the TypeScript
 * state machine (src/core/state.ts) and transaction codec (src/core/l2tx.ts), for
 * contracts/src/optimistic/TxExecutor.sol and L2TxLib.sol. Every case is a wallet-signed raw transaction (signed
 * with the src/optimistic/loadgen.ts signers, decoded with `decodeRawTransaction`) applied to an evolving state: its
 * pre-state root, the Merkle witnesses in TxExecutor's sequential format, the expected sender, signing hash,
 * post-state root (from `L2State.applyTx`) or the reason it is skipped.
 *
 * Run `npx tsx scripts/genTxVectors.ts`; src/core/txVectors.test.ts fails when the committed file is stale.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { getAddress } from 'viem'
import { bytesToHex } from '../src/core/bytes.ts'
import {
  ACCOUNTS_TREE_DEPTH,
  BALANCES_TREE_DEPTH,
  GAS,
  L2_FEE_VAULT_ADDRESS,
  WITHDRAWALS_TREE_DEPTH,
} from '../src/core/constants.ts'
import { L2kitError } from '../src/core/errors.ts'
import { keccakHasher } from '../src/core/hash.ts'
import { decodeRawTransaction, signingHash } from '../src/core/l2tx.ts'
import { SparseMerkleTree, zeroHashes } from '../src/core/smt.ts'
import { accountLeafHash, L2State, l2TokenAddress, stateRootOf, withdrawalHash } from '../src/core/state.ts'
import type { Address, Hex, L2Operation, L2Tx, TxFees } from '../src/core/types.ts'
import { loadAccounts, signL2Tx } from '../src/optimistic/loadgen.ts'
import { vectorAddress } from './genVectors.ts'

/** Where the generated library lives, relative to the repository root. */
export const TX_VECTORS_PATH = 'contracts/test/vectors/TxVectors.sol'

const CHAIN_ID = 901n
const BASE_FEE = 10n ** 9n
const ETHER = 10n ** 18n
const GWEI = 10n ** 9n
const MAX_UINT256 = (1n << 256n) - 1n

/** `TxExecutor.Skip`, by the `L2kitError` code `applyTx` throws. */
export const SKIP_CODES: Record<string, number> = {
  NONE: 0,
  INVALID_SIGNATURE: 1,
  NONCE_TOO_LOW: 2,
  NONCE_TOO_HIGH: 2,
  NONCE_OVERFLOW: 3,
  GAS_LIMIT_TOO_LOW: 4,
  FEE_CAP_TOO_LOW: 5,
  UNKNOWN_TOKEN: 6,
  AMOUNT_NOT_PACKABLE: 7,
  INSUFFICIENT_BALANCE: 8,
  INSUFFICIENT_TOKEN_BALANCE: 9,
  BALANCE_OVERFLOW: 10,
  ACCOUNTS_FULL: 11,
  WITHDRAWALS_FULL: 12,
}

const KINDS: Record<L2Operation['kind'], number> = {
  ethTransfer: 0,
  tokenTransfer: 1,
  withdrawEth: 2,
  withdrawToken: 3,
}

export type AccountWitness = {
  index: number
  owner: Address
  nonce: bigint
  balancesRoot: Hex
  siblings: Hex[]
}
export type BalanceWitness = { amount: bigint; siblings: Hex[] }
export type Witness = {
  accountsRoot: Hex
  withdrawalsRoot: Hex
  sender?: AccountWitness
  senderEth?: BalanceWitness
  senderToken?: BalanceWitness
  recipient?: AccountWitness
  recipientBalance?: BalanceWitness
  vault?: AccountWitness
  vaultEth?: BalanceWitness
  withdrawalSiblings?: Hex[]
}

export type TxContext = {
  chainId: bigint
  baseFee: bigint
  tokenCount: number
  l1Token: Address
  accountCount: number
  withdrawalCount: number
}

export type TxCase = {
  name: string
  raw: Hex
  tx: L2Tx
  sender: Address
  signingHash: Hex
  preStateRoot: Hex
  postStateRoot: Hex
  /** `TxExecutor.Skip` value (0 = applied). */
  skip: number
  /** The `L2kitError` code of a skipped transaction. */
  error?: string
  ctx: TxContext
  witness: Witness
}

// ---------------------------------------------------------------------------------------------------------------
// Witness builder: an independent re-play of one transaction on Merkle trees, step by step, recording each proof
// against the root the previous step left (TxExecutor's format). It checks nothing; it stops where the arithmetic
// cannot go on (a balance would go negative or overflow), which is where TxExecutor stops too.

type ModelAccount = { index: number; owner: Address; nonce: bigint; balances: Map<number, bigint> }

class Model {
  readonly accounts: ModelAccount[]
  readonly accountsTree = new SparseMerkleTree(ACCOUNTS_TREE_DEPTH)
  readonly withdrawalsTree = new SparseMerkleTree(WITHDRAWALS_TREE_DEPTH)
  withdrawalCount: number

  constructor(state: L2State) {
    const snap = state.snapshot()
    this.accounts = snap.accounts.map((a, index) => ({
      index,
      owner: a.address,
      nonce: BigInt(a.nonce),
      balances: new Map(a.balances.map(([t, v]) => [t, BigInt(v)])),
    }))
    for (const a of this.accounts) this.writeAccount(a)
    snap.withdrawals.forEach((w, k) => {
      this.withdrawalsTree.set(
        k,
        hexBytes(
          withdrawalHash({
            index: BigInt(w.index),
            sender: w.sender,
            recipient: w.recipient,
            l1Token: w.l1Token,
            amount: BigInt(w.amount),
          }),
        ),
      )
    })
    this.withdrawalCount = snap.withdrawals.length
    if (this.stateRoot() !== state.stateRoot()) throw new Error('witness model disagrees with the state root')
  }

  balancesTree(a: ModelAccount): SparseMerkleTree {
    const tree = new SparseMerkleTree(BALANCES_TREE_DEPTH)
    for (const [t, v] of a.balances) if (v !== 0n) tree.set(t, word(v))
    return tree
  }

  balancesRoot(a: ModelAccount): Hex {
    return bytesToHex(this.balancesTree(a).root())
  }

  writeAccount(a: ModelAccount): void {
    this.accountsTree.set(a.index, hexBytes(accountLeafHash(a.owner, a.nonce, this.balancesRoot(a))))
  }

  accountWitness(a: ModelAccount): AccountWitness {
    return {
      index: a.index,
      owner: a.owner,
      nonce: a.nonce,
      balancesRoot: this.balancesRoot(a),
      siblings: this.accountsTree.proof(a.index).map(bytesToHex),
    }
  }

  balanceWitness(a: ModelAccount, token: number): BalanceWitness {
    return {
      amount: a.balances.get(token) ?? 0n,
      siblings: this.balancesTree(a).proof(token).map(bytesToHex),
    }
  }

  setBalance(a: ModelAccount, token: number, value: bigint): void {
    a.balances.set(token, value)
  }

  stateRoot(): Hex {
    return stateRootOf(this.accountsTree.root(), this.withdrawalsTree.root())
  }
}

const hexBytes = (hex: Hex): Uint8Array => Uint8Array.from(Buffer.from(hex.slice(2), 'hex'))
const word = (v: bigint): Uint8Array => hexBytes(`0x${v.toString(16).padStart(64, '0')}`)

function effectiveGasPrice(fees: TxFees, baseFee: bigint): bigint | undefined {
  if (fees.type === 'legacy') return fees.gasPrice < baseFee ? undefined : fees.gasPrice
  if (fees.maxFeePerGas < baseFee) return undefined
  const tipped = baseFee + fees.maxPriorityFeePerGas
  // biome-ignore lint/complexity/useMathMinMax: bigints (Math.min takes numbers only)
  return tipped < fees.maxFeePerGas ? tipped : fees.maxFeePerGas
}

/** The witness of `tx` from `sender` against `state`, plus the root the re-play ends at (if it got through). */
export function buildWitness(
  state: L2State,
  tx: L2Tx,
  sender: Address,
): { witness: Witness; postStateRoot?: Hex } {
  const m = new Model(state)
  const witness: Witness = {
    accountsRoot: bytesToHex(m.accountsTree.root()),
    withdrawalsRoot: bytesToHex(m.withdrawalsTree.root()),
  }
  const s = m.accounts.find((a) => a.owner === sender.toLowerCase())
  if (s === undefined) return { witness }
  witness.sender = m.accountWitness(s)
  witness.senderEth = m.balanceWitness(s, 0)
  const op = tx.op
  const price = effectiveGasPrice(tx.fees, state.baseFee)
  if (price === undefined) return { witness }
  const fee = GAS[op.kind] * price
  const token = op.kind === 'tokenTransfer' || op.kind === 'withdrawToken' ? op.tokenIndex : 0
  const ethNeeded = token === 0 ? fee + op.amount : fee
  const eth = s.balances.get(0) ?? 0n
  if (eth < ethNeeded) return { witness }
  m.setBalance(s, 0, eth - ethNeeded)
  if (token !== 0) {
    witness.senderToken = m.balanceWitness(s, token)
    const balance = s.balances.get(token) ?? 0n
    if (balance < op.amount) return { witness }
    m.setBalance(s, token, balance - op.amount)
  }
  s.nonce += 1n
  m.writeAccount(s)
  if (op.kind === 'ethTransfer' || op.kind === 'tokenTransfer') {
    const to = op.to.toLowerCase() as Address
    let r = m.accounts.find((a) => a.owner === to)
    if (r === undefined) {
      r = { index: m.accounts.length, owner: to, nonce: 0n, balances: new Map() }
      m.accounts.push(r)
      // A new account's preimage is ignored on chain: report zeros, with the (empty) slot's siblings.
      witness.recipient = {
        ...m.accountWitness(r),
        owner: '0x0000000000000000000000000000000000000000',
        balancesRoot: `0x${'00'.repeat(32)}`,
      }
    } else {
      witness.recipient = m.accountWitness(r)
    }
    witness.recipientBalance = m.balanceWitness(r, token)
    const credited = (r.balances.get(token) ?? 0n) + op.amount
    if (credited > MAX_UINT256) return { witness }
    m.setBalance(r, token, credited)
    m.writeAccount(r)
  } else {
    const k = m.withdrawalCount
    witness.withdrawalSiblings = m.withdrawalsTree.proof(k).map(bytesToHex)
    const l1Token =
      token === 0
        ? '0x0000000000000000000000000000000000000000'
        : (state.getToken(token)?.l1Address as Address)
    m.withdrawalsTree.set(
      k,
      hexBytes(
        withdrawalHash({
          index: BigInt(k),
          sender: s.owner,
          recipient: op.recipient,
          l1Token,
          amount: op.amount,
        }),
      ),
    )
  }
  if (fee !== 0n) {
    const v = m.accounts[0] as ModelAccount
    witness.vault = m.accountWitness(v)
    witness.vaultEth = m.balanceWitness(v, 0)
    m.setBalance(v, 0, (v.balances.get(0) ?? 0n) + fee)
    m.writeAccount(v)
  }
  return { witness, postStateRoot: m.stateRoot() }
}

// ---------------------------------------------------------------------------------------------------------------
// The cases

/** Builds the evolving state and every case, in order. Deterministic. */
export function buildTxCases(): TxCase[] {
  const state = new L2State({ chainId: CHAIN_ID, baseFee: BASE_FEE })
  const [alice, bob, carol, dave] = loadAccounts(4, 'l2kit-txvectors-') as [
    { address: Address; privateKey: Hex },
    { address: Address; privateKey: Hex },
    { address: Address; privateKey: Hex },
    { address: Address; privateKey: Hex },
  ]
  const tokenOne = vectorAddress('l1-token-1')
  const tokenTwo = vectorAddress('l1-token-2')
  state.registerToken({
    index: 1,
    l1Address: tokenOne,
    l2Address: l2TokenAddress(1),
    name: 'Dev Token',
    symbol: 'DEV',
    decimals: 18,
  })
  state.registerToken({
    index: 2,
    l1Address: tokenTwo,
    l2Address: l2TokenAddress(2),
    name: 'USD Coin',
    symbol: 'USDC',
    decimals: 6,
  })
  const deposits: [Address, number, bigint][] = [
    [alice.address, 0, 10n * ETHER],
    [bob.address, 0, 5n * ETHER],
    [alice.address, 1, 1_000n * ETHER],
    [carol.address, 2, 2_500_000_000n],
    [carol.address, 0, ETHER / 2n],
    // Near the top of uint256, so a transfer to dave can overflow (only a malicious L1 token can do this).
    [dave.address, 2, MAX_UINT256 - 10n],
  ]
  deposits.forEach(([to, tokenIndex, amount], i) => {
    state.applyDeposit({ index: BigInt(i), from: to, to, tokenIndex, amount })
  })

  const legacy = (gasPrice = 2n * GWEI): TxFees => ({ type: 'legacy', gasPrice })
  const eip1559 = (maxFeePerGas = 3n * GWEI, maxPriorityFeePerGas = GWEI / 2n): TxFees => ({
    type: 'eip1559',
    maxFeePerGas,
    maxPriorityFeePerGas,
  })
  const cases: TxCase[] = []
  const run = (
    name: string,
    signer: { address: Address; privateKey: Hex },
    fees: TxFees,
    op: L2Operation,
    opts: { nonceDelta?: bigint; gasLimit?: bigint } = {},
  ): void => {
    const nonce = state.getNonce(signer.address) + (opts.nonceDelta ?? 0n)
    const raw = signL2Tx(
      { nonce, gasLimit: opts.gasLimit ?? 100_000n, fees, op },
      CHAIN_ID,
      signer.privateKey,
    )
    // rowLimits off: some vectors (32-byte fees, a 64-bit gas limit) exercise TxExecutor beyond what a v3 batch
    // row (and so the sequencer) accepts.
    const decoded = decodeRawTransaction(raw, { chainId: CHAIN_ID, rowLimits: false })
    if (decoded.sender !== signer.address.toLowerCase()) throw new Error(`${name}: sender mismatch`)
    const token = op.kind === 'tokenTransfer' || op.kind === 'withdrawToken' ? op.tokenIndex : 0
    const ctx: TxContext = {
      chainId: CHAIN_ID,
      baseFee: BASE_FEE,
      tokenCount: state.tokens.length,
      l1Token: state.getToken(token)?.l1Address ?? '0x0000000000000000000000000000000000000000',
      accountCount: state.accountCount,
      withdrawalCount: state.withdrawals.length,
    }
    const preStateRoot = state.stateRoot()
    const { witness, postStateRoot: replayed } = buildWitness(state, decoded.tx, decoded.sender)
    let skip = 0
    let error: string | undefined
    try {
      state.applyTx(decoded.tx, decoded.sender)
    } catch (e) {
      if (!(e instanceof L2kitError)) throw e
      error = e.code
      const code = SKIP_CODES[e.code]
      if (code === undefined) throw new Error(`${name}: no Skip value for ${e.code}`)
      skip = code
    }
    const postStateRoot = state.stateRoot()
    if (skip === 0 && replayed !== postStateRoot) {
      throw new Error(`${name}: witness re-play ends at ${replayed}, the state machine at ${postStateRoot}`)
    }
    const c: TxCase = {
      name,
      raw,
      tx: decoded.tx,
      sender: decoded.sender,
      signingHash: signingHash(decoded.tx, CHAIN_ID),
      preStateRoot,
      postStateRoot,
      skip,
      ctx,
      witness,
    }
    if (error !== undefined) c.error = error
    cases.push(c)
  }

  const fresh = vectorAddress('tx-fresh-recipient')
  const fresh2 = vectorAddress('tx-fresh-recipient-2')
  run('ethTransfer (EIP-1559, existing recipient)', alice, eip1559(), {
    kind: 'ethTransfer',
    to: bob.address,
    amount: ETHER,
  })
  run('tokenTransfer (legacy, existing recipient)', alice, legacy(), {
    kind: 'tokenTransfer',
    tokenIndex: 1,
    to: carol.address,
    amount: 250n * ETHER,
  })
  run('ethTransfer to a new account', bob, eip1559(), { kind: 'ethTransfer', to: fresh, amount: ETHER / 4n })
  run('tokenTransfer to a new account', carol, eip1559(2n * GWEI, 0n), {
    kind: 'tokenTransfer',
    tokenIndex: 2,
    to: fresh2,
    amount: 500_000_000n,
  })
  run('withdrawEth', bob, eip1559(), {
    kind: 'withdrawEth',
    recipient: vectorAddress('bob-l1'),
    amount: ETHER,
  })
  run('withdrawToken (legacy)', alice, legacy(), {
    kind: 'withdrawToken',
    tokenIndex: 1,
    recipient: vectorAddress('alice-l1'),
    amount: 100n * ETHER,
  })
  run('withdrawToken (EIP-1559, to the sender itself)', carol, eip1559(), {
    kind: 'withdrawToken',
    tokenIndex: 2,
    recipient: carol.address,
    amount: 1_000_000_000n,
  })
  run('ethTransfer to self', bob, legacy(BASE_FEE), { kind: 'ethTransfer', to: bob.address, amount: ETHER })
  run('ethTransfer to the fee vault', alice, eip1559(), {
    kind: 'ethTransfer',
    to: L2_FEE_VAULT_ADDRESS,
    amount: GWEI,
  })
  run(
    'skip: nonce too high',
    alice,
    eip1559(),
    { kind: 'ethTransfer', to: bob.address, amount: 1n },
    {
      nonceDelta: 1n,
    },
  )
  run(
    'skip: nonce too low',
    alice,
    eip1559(),
    { kind: 'ethTransfer', to: bob.address, amount: 1n },
    {
      nonceDelta: -1n,
    },
  )
  run(
    'skip: gas limit too low',
    alice,
    eip1559(),
    { kind: 'withdrawEth', recipient: alice.address, amount: 1n },
    {
      gasLimit: 59_999n,
    },
  )
  run('skip: fee cap below the base fee', alice, legacy(BASE_FEE - 1n), {
    kind: 'ethTransfer',
    to: bob.address,
    amount: 1n,
  })
  run('skip: unknown token', alice, eip1559(), {
    kind: 'tokenTransfer',
    tokenIndex: 3,
    to: bob.address,
    amount: 1n,
  })
  run('skip: insufficient ETH balance', bob, eip1559(), {
    kind: 'ethTransfer',
    to: alice.address,
    amount: 1_000n * ETHER,
  })
  run('skip: insufficient token balance', bob, eip1559(), {
    kind: 'withdrawToken',
    tokenIndex: 1,
    recipient: bob.address,
    amount: 1n,
  })
  run('skip: fee past 2^256 (32-byte RLP integers)', alice, eip1559(MAX_UINT256, MAX_UINT256 - 1n), {
    kind: 'ethTransfer',
    to: bob.address,
    amount: 1n,
  })
  run(
    'ethTransfer with the largest gas limit',
    bob,
    legacy(),
    { kind: 'ethTransfer', to: alice.address, amount: 1n },
    { gasLimit: (1n << 64n) - 1n },
  )
  run('skip: recipient balance overflow', carol, eip1559(), {
    kind: 'tokenTransfer',
    tokenIndex: 2,
    to: dave.address,
    amount: 100n,
  })
  return cases
}

// ---------------------------------------------------------------------------------------------------------------
// Rendering

const hex32 = (hex: string): string => {
  if (!/^0x[0-9a-f]{64}$/.test(hex)) throw new Error(`not a 32-byte word: ${hex}`)
  return hex
}

const ZEROS = zeroHashes(keccakHasher).map(bytesToHex)

/** Lines assigning `siblings` to `target`, skipping entries equal to the empty subtree (pre-filled). */
function siblingLines(target: string, siblings: Hex[] | undefined): string[] {
  if (siblings === undefined) return []
  return siblings.flatMap((s, i) => (s === ZEROS[i] ? [] : [`${target}[${i}] = ${hex32(s)};`]))
}

function accountLines(target: string, a: AccountWitness | undefined): string[] {
  if (a === undefined) return []
  return [
    `${target}.index = ${a.index};`,
    `${target}.owner = ${getAddress(a.owner)};`,
    `${target}.nonce = ${a.nonce};`,
    `${target}.balancesRoot = ${hex32(a.balancesRoot)};`,
    ...siblingLines(`${target}.siblings`, a.siblings),
  ]
}

function balanceLines(target: string, b: BalanceWitness | undefined): string[] {
  if (b === undefined) return []
  return [`${target}.amount = ${b.amount};`, ...siblingLines(`${target}.siblings`, b.siblings)]
}

function caseLines(c: TxCase): string[] {
  const t = c.tx
  const op = t.op
  const token = op.kind === 'tokenTransfer' || op.kind === 'withdrawToken' ? op.tokenIndex : 0
  const to = op.kind === 'ethTransfer' || op.kind === 'tokenTransfer' ? op.to : op.recipient
  const w = c.witness
  return [
    `v.name = ${JSON.stringify(c.name)};`,
    `v.preStateRoot = ${hex32(c.preStateRoot)};`,
    `v.postStateRoot = ${hex32(c.postStateRoot)};`,
    `v.skip = ${c.skip};${c.error === undefined ? '' : ` // ${c.error}`}`,
    `v.sender = ${getAddress(c.sender)};`,
    `v.signingHash = ${hex32(c.signingHash)};`,
    `v.tx.nonce = ${t.nonce};`,
    `v.tx.gasLimit = ${t.gasLimit};`,
    `v.tx.feeType = ${t.fees.type === 'legacy' ? 0 : 2};`,
    `v.tx.maxFeePerGas = ${t.fees.type === 'legacy' ? t.fees.gasPrice : t.fees.maxFeePerGas};`,
    `v.tx.maxPriorityFeePerGas = ${t.fees.type === 'legacy' ? 0n : t.fees.maxPriorityFeePerGas};`,
    `v.tx.kind = ${KINDS[op.kind]};`,
    `v.tx.tokenIndex = ${token};`,
    `v.tx.to = ${getAddress(to)};`,
    `v.tx.amount = ${op.amount};`,
    `v.tx.r = ${t.signature.r};`,
    `v.tx.s = ${t.signature.s};`,
    `v.tx.yParity = ${t.signature.yParity};`,
    `v.ctx.chainId = ${c.ctx.chainId};`,
    `v.ctx.baseFee = ${c.ctx.baseFee};`,
    `v.ctx.tokenCount = ${c.ctx.tokenCount};`,
    `v.ctx.l1Token = ${getAddress(c.ctx.l1Token)};`,
    `v.ctx.accountCount = ${c.ctx.accountCount};`,
    `v.ctx.withdrawalCount = ${c.ctx.withdrawalCount};`,
    `v.w.accountsRoot = ${hex32(w.accountsRoot)};`,
    `v.w.withdrawalsRoot = ${hex32(w.withdrawalsRoot)};`,
    ...accountLines('v.w.sender', w.sender),
    ...balanceLines('v.w.senderEth', w.senderEth),
    ...balanceLines('v.w.senderToken', w.senderToken),
    ...accountLines('v.w.recipient', w.recipient),
    ...balanceLines('v.w.recipientBalance', w.recipientBalance),
    ...accountLines('v.w.vault', w.vault),
    ...balanceLines('v.w.vaultEth', w.vaultEth),
    ...siblingLines('v.w.withdrawalSiblings', w.withdrawalSiblings),
  ]
}

/** The Solidity source of TxVectors.sol. */
export function renderTxVectors(cases: TxCase[] = buildTxCases()): string {
  const out: string[] = []
  const line = (s = ''): void => void out.push(s)
  line('// SPDX-License-Identifier: MIT')
  line('pragma solidity ^0.8.24;')
  line()
  line('import {L2TxLib} from "../../src/optimistic/L2TxLib.sol";')
  line('import {TxExecutor} from "../../src/optimistic/TxExecutor.sol";')
  line()
  line(
    '// GENERATED by scripts/genTxVectors.ts from src/core (L2State.applyTx, decodeRawTransaction). Do not edit:',
  )
  line('// run `npx tsx scripts/genTxVectors.ts`. src/core/txVectors.test.ts fails when this file is stale.')
  line(
    `// Chain id ${CHAIN_ID}, base fee ${BASE_FEE} wei; ${cases.length} transactions applied in order to one state.`,
  )
  line('// Siblings equal to the empty subtree of their level are not written: `blank()` pre-fills them.')
  line('library TxVectors {')
  line(
    '    struct TxVector { string name; bytes32 preStateRoot; bytes32 postStateRoot; uint8 skip; address sender; bytes32 signingHash; L2TxLib.Tx tx; TxExecutor.Context ctx; TxExecutor.Witness w; }',
  )
  line()
  line(`    uint256 internal constant COUNT = ${cases.length};`)
  line()
  line('    function get(uint256 i) internal pure returns (TxVector memory v) {')
  line('        v = blank();')
  cases.forEach((_, i) => {
    line(`        ${i === 0 ? 'if' : '} else if'} (i == ${i}) {`)
    line(`            _case${i}(v);`)
  })
  line('        } else {')
  line('            revert("TxVectors: no such case");')
  line('        }')
  line('    }')
  line()
  line('    /// @notice A vector whose every sibling array holds the empty subtrees (zero[level]).')
  line('    function blank() internal pure returns (TxVector memory v) {')
  line('        bytes32 z = bytes32(0);')
  line('        for (uint256 i = 0; i < 32; i++) {')
  line('            if (i < 8) {')
  line('                v.w.senderEth.siblings[i] = z;')
  line('                v.w.senderToken.siblings[i] = z;')
  line('                v.w.recipientBalance.siblings[i] = z;')
  line('                v.w.vaultEth.siblings[i] = z;')
  line('            }')
  line('            v.w.sender.siblings[i] = z;')
  line('            v.w.recipient.siblings[i] = z;')
  line('            v.w.vault.siblings[i] = z;')
  line('            v.w.withdrawalSiblings[i] = z;')
  line('            z = keccak256(abi.encodePacked(z, z));')
  line('        }')
  line('    }')
  cases.forEach((c, i) => {
    line()
    line(`    function _case${i}(TxVector memory v) private pure {`)
    for (const l of caseLines(c)) line(`        ${l}`)
    line('    }')
  })
  line('}')
  return `${out.join('\n')}\n`
}

/** Writes the vectors file under `repoRoot`; returns its absolute path. */
export function writeTxVectors(repoRoot: string): string {
  const path = resolve(repoRoot, TX_VECTORS_PATH)
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, renderTxVectors())
  return path
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const path = writeTxVectors(resolve(dirname(fileURLToPath(import.meta.url)), '..'))
  console.log(`wrote ${path}`)
}
