/**
 * One-step-proof witnesses (docs/optimistic.md, "Interfaces between the parts"): for one v3 row and the state
 * before it, the `StepVerifier.StepWitness` that `StepVerifier.executeRow` needs to re-execute the row on L1, its
 * exact `abi.encode` bytes, and the state header the row must end at.
 *
 * `StepWitness = { TxExecutor.Witness tx; AddressProof sender; AddressProof recipient; Deposit deposit }`:
 * - `tx`: TxExecutor's sequential format (contracts/src/optimistic/TxExecutor.sol): every Merkle witness is a proof
 *   against the root LEFT BY THE PREVIOUS UPDATE (sender → recipient or withdrawal slot → fee vault). It is built
 *   here from the pre-state's own proofs with a small path cache (`PathTree`), so it costs O(tree depth), not
 *   O(state). A deposit row uses only `tx.accountsRoot`, `tx.withdrawalsRoot`, `tx.recipient` and
 *   `tx.recipientBalance` (the credited account against the pre accounts root; a new account is
 *   `index = accountCount` with a zero preimage and the empty slot's siblings, balance 0 with the empty
 *   balances-tree siblings, as TxExecutor takes a new transfer recipient).
 * - `sender`: tx rows with a recoverable signature: the recovered signer's address-tree proof (leaf 0 = no
 *   account, the row is skipped).
 * - `recipient`: transfers and deposits: the recipient's address-tree proof (leaf 0 = a new account at
 *   accountCount). Both address proofs are against the pre-state's addressesRoot.
 * - `deposit`: deposit rows that apply: deposit #pre.depositCount.
 * Witnesses a path does not reach are zero (all zero bytes), as the spec allows. Witnesses are filled exactly as
 * far as TxExecutor reads them: the sender and its ETH balance whenever the sender has an account, then each
 * later witness only when every check before it passed.
 */
import { type AbiParameter, decodeAbiParameters, encodeAbiParameters } from 'viem'
import { ADDRESS_TREE_DEPTH, addressRootFrom } from '../../core/addressTree.ts'
import { isPackable } from '../../core/amount.ts'
import { bytesToHex, hexToBytes, writeBigintBE } from '../../core/bytes.ts'
import type { StateHeader } from '../../core/commitment.ts'
import {
  ACCOUNTS_TREE_DEPTH,
  BALANCES_TREE_DEPTH,
  ETH_TOKEN_INDEX,
  GAS,
  WITHDRAWALS_TREE_DEPTH,
} from '../../core/constants.ts'
import { ErrorKind, L2kitError } from '../../core/errors.ts'
import type { Hasher } from '../../core/hash.ts'
import { recoverSender } from '../../core/l2tx.ts'
import { SparseMerkleTree, zeroHashes } from '../../core/smt.ts'
import {
  type AccountWitness,
  accountLeafHash,
  type BalanceWitness,
  type L2State,
  withdrawalHash,
} from '../../core/state.ts'
import type { Address, Deposit, Hex, L2Tx, TxFees } from '../../core/types.ts'
import { parseRowV3, type RowV3 } from './batchCodecV3.ts'
import { executeRowV3, type RowContextV3, type RowOutcomeV3 } from './trace.ts'

// ---------------------------------------------------------------------------------------------------------------
// The witness, its ABI

/** `TxExecutor.Witness`. */
export type TxExecutorWitness = {
  accountsRoot: Hex
  withdrawalsRoot: Hex
  sender: AccountWitness
  senderEth: BalanceWitness
  senderToken: BalanceWitness
  recipient: AccountWitness
  recipientBalance: BalanceWitness
  vault: AccountWitness
  vaultEth: BalanceWitness
  /** 32 siblings. */
  withdrawalSiblings: Hex[]
}
/** `StepVerifier.AddressProof`: leaf = account index + 1, or 0 = no account; 160 siblings bottom-up. */
export type StepAddressProof = { leaf: bigint; siblings: Hex[] }
/** `StepVerifier.Deposit`. */
export type StepDeposit = { from: Address; to: Address; tokenIndex: number; amount: bigint }
/** `StepVerifier.StepWitness`. */
export type StepWitness = {
  tx: TxExecutorWitness
  sender: StepAddressProof
  recipient: StepAddressProof
  deposit: StepDeposit
}

const ACCOUNT_WITNESS_COMPONENTS = [
  { name: 'index', type: 'uint256' },
  { name: 'owner', type: 'address' },
  { name: 'nonce', type: 'uint64' },
  { name: 'balancesRoot', type: 'bytes32' },
  { name: 'siblings', type: 'bytes32[32]' },
] as const
const BALANCE_WITNESS_COMPONENTS = [
  { name: 'amount', type: 'uint256' },
  { name: 'siblings', type: 'bytes32[8]' },
] as const
const ADDRESS_PROOF_COMPONENTS = [
  { name: 'leaf', type: 'uint256' },
  { name: 'siblings', type: 'bytes32[160]' },
] as const

/** ABI of `TxExecutor.Witness` (a tuple parameter named `tx`). */
export const TX_EXECUTOR_WITNESS_ABI = {
  name: 'tx',
  type: 'tuple',
  components: [
    { name: 'accountsRoot', type: 'bytes32' },
    { name: 'withdrawalsRoot', type: 'bytes32' },
    { name: 'sender', type: 'tuple', components: ACCOUNT_WITNESS_COMPONENTS },
    { name: 'senderEth', type: 'tuple', components: BALANCE_WITNESS_COMPONENTS },
    { name: 'senderToken', type: 'tuple', components: BALANCE_WITNESS_COMPONENTS },
    { name: 'recipient', type: 'tuple', components: ACCOUNT_WITNESS_COMPONENTS },
    { name: 'recipientBalance', type: 'tuple', components: BALANCE_WITNESS_COMPONENTS },
    { name: 'vault', type: 'tuple', components: ACCOUNT_WITNESS_COMPONENTS },
    { name: 'vaultEth', type: 'tuple', components: BALANCE_WITNESS_COMPONENTS },
    { name: 'withdrawalSiblings', type: 'bytes32[32]' },
  ],
} as const satisfies AbiParameter

/**
 * `encodeAbiParameters(STEP_WITNESS_ABI_PARAMETERS, [witness])` = Solidity `abi.encode(StepWitness)` (every member is
 * static, so it is the members' words in order: 504 words, 16,128 bytes).
 */
export const STEP_WITNESS_ABI_PARAMETERS = [
  {
    name: 'witness',
    type: 'tuple',
    components: [
      TX_EXECUTOR_WITNESS_ABI,
      { name: 'sender', type: 'tuple', components: ADDRESS_PROOF_COMPONENTS },
      { name: 'recipient', type: 'tuple', components: ADDRESS_PROOF_COMPONENTS },
      {
        name: 'deposit',
        type: 'tuple',
        components: [
          { name: 'from', type: 'address' },
          { name: 'to', type: 'address' },
          { name: 'tokenIndex', type: 'uint16' },
          { name: 'amount', type: 'uint256' },
        ],
      },
    ],
  },
] as const satisfies readonly AbiParameter[]

/** Byte length of an encoded `StepWitness`. */
export const STEP_WITNESS_BYTES = 504 * 32

/** The ABI parameters without viem's literal tuple types (fixed arrays are plain arrays in this module). */
const LOOSE_PARAMETERS: readonly AbiParameter[] = STEP_WITNESS_ABI_PARAMETERS

/** `abi.encode(StepWitness)`. Throws if a sibling array has the wrong length or a value does not fit its type. */
export function encodeStepWitness(witness: StepWitness): Hex {
  const lengths: [string, readonly unknown[], number][] = [
    ['tx.sender', witness.tx.sender.siblings, ACCOUNTS_TREE_DEPTH],
    ['tx.recipient', witness.tx.recipient.siblings, ACCOUNTS_TREE_DEPTH],
    ['tx.vault', witness.tx.vault.siblings, ACCOUNTS_TREE_DEPTH],
    ['tx.senderEth', witness.tx.senderEth.siblings, BALANCES_TREE_DEPTH],
    ['tx.senderToken', witness.tx.senderToken.siblings, BALANCES_TREE_DEPTH],
    ['tx.recipientBalance', witness.tx.recipientBalance.siblings, BALANCES_TREE_DEPTH],
    ['tx.vaultEth', witness.tx.vaultEth.siblings, BALANCES_TREE_DEPTH],
    ['tx.withdrawalSiblings', witness.tx.withdrawalSiblings, WITHDRAWALS_TREE_DEPTH],
    ['sender', witness.sender.siblings, ADDRESS_TREE_DEPTH],
    ['recipient', witness.recipient.siblings, ADDRESS_TREE_DEPTH],
  ]
  for (const [what, siblings, depth] of lengths)
    if (siblings.length !== depth)
      throw new L2kitError('INVALID_ARGUMENT', `${what} has ${siblings.length} siblings, not ${depth}`)
  return encodeAbiParameters(LOOSE_PARAMETERS, [witness])
}

type LooseAccount = {
  index: bigint
  owner: Address
  nonce: bigint
  balancesRoot: Hex
  siblings: readonly Hex[]
}
type LooseBalance = { amount: bigint; siblings: readonly Hex[] }
type LooseProof = { leaf: bigint; siblings: readonly Hex[] }

/** The witness in `abi.encode(StepWitness)` bytes (addresses lowercase). */
export function decodeStepWitness(encoded: Hex): StepWitness {
  const [w] = decodeAbiParameters(LOOSE_PARAMETERS, encoded) as unknown as [
    {
      tx: {
        accountsRoot: Hex
        withdrawalsRoot: Hex
        sender: LooseAccount
        senderEth: LooseBalance
        senderToken: LooseBalance
        recipient: LooseAccount
        recipientBalance: LooseBalance
        vault: LooseAccount
        vaultEth: LooseBalance
        withdrawalSiblings: readonly Hex[]
      }
      sender: LooseProof
      recipient: LooseProof
      deposit: { from: Address; to: Address; tokenIndex: number; amount: bigint }
    },
  ]
  const account = (a: LooseAccount): AccountWitness => ({
    index: a.index,
    owner: a.owner.toLowerCase() as Address,
    nonce: a.nonce,
    balancesRoot: a.balancesRoot,
    siblings: [...a.siblings],
  })
  const balance = (b: LooseBalance): BalanceWitness => ({ amount: b.amount, siblings: [...b.siblings] })
  const proof = (p: LooseProof): StepAddressProof => ({ leaf: p.leaf, siblings: [...p.siblings] })
  return {
    tx: {
      accountsRoot: w.tx.accountsRoot,
      withdrawalsRoot: w.tx.withdrawalsRoot,
      sender: account(w.tx.sender),
      senderEth: balance(w.tx.senderEth),
      senderToken: balance(w.tx.senderToken),
      recipient: account(w.tx.recipient),
      recipientBalance: balance(w.tx.recipientBalance),
      vault: account(w.tx.vault),
      vaultEth: balance(w.tx.vaultEth),
      withdrawalSiblings: [...w.tx.withdrawalSiblings],
    },
    sender: proof(w.sender),
    recipient: proof(w.recipient),
    deposit: {
      from: w.deposit.from.toLowerCase() as Address,
      to: w.deposit.to.toLowerCase() as Address,
      tokenIndex: w.deposit.tokenIndex,
      amount: w.deposit.amount,
    },
  }
}

const ZERO_WORD: Hex = `0x${'00'.repeat(32)}`
const ZERO_ADDRESS: Address = '0x0000000000000000000000000000000000000000'
const zeros = (n: number): Hex[] => new Array<Hex>(n).fill(ZERO_WORD)
const zeroAccount = (): AccountWitness => ({
  index: 0n,
  owner: ZERO_ADDRESS,
  nonce: 0n,
  balancesRoot: ZERO_WORD,
  siblings: zeros(ACCOUNTS_TREE_DEPTH),
})
const zeroBalance = (): BalanceWitness => ({ amount: 0n, siblings: zeros(BALANCES_TREE_DEPTH) })

/** A witness whose every field is zero. */
export function emptyStepWitness(): StepWitness {
  return {
    tx: {
      accountsRoot: ZERO_WORD,
      withdrawalsRoot: ZERO_WORD,
      sender: zeroAccount(),
      senderEth: zeroBalance(),
      senderToken: zeroBalance(),
      recipient: zeroAccount(),
      recipientBalance: zeroBalance(),
      vault: zeroAccount(),
      vaultEth: zeroBalance(),
      withdrawalSiblings: zeros(WITHDRAWALS_TREE_DEPTH),
    },
    sender: { leaf: 0n, siblings: zeros(ADDRESS_TREE_DEPTH) },
    recipient: { leaf: 0n, siblings: zeros(ADDRESS_TREE_DEPTH) },
    deposit: { from: ZERO_ADDRESS, to: ZERO_ADDRESS, tokenIndex: 0, amount: 0n },
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Sequential Merkle witnesses from the pre-state's proofs

/**
 * The nodes of an append-only sparse Merkle tree that a few proofs reveal, updated in place. `addProof` records a
 * pre-state proof (never overwriting what is known: a known node is either the same pre-state value or newer);
 * `set` rewrites a leaf's path; `proof` reads siblings against the current root. A node that no proof revealed
 * and that lies wholly at or after `count` (the number of used leaves of the pre-state) is empty. Asking for any
 * other unknown node is a bug (`WITNESS_INCOMPLETE`).
 */
class PathTree {
  private readonly nodes = new Map<string, Uint8Array>()
  private readonly zero: readonly Uint8Array[]

  constructor(
    private readonly depth: number,
    private readonly hasher: Hasher,
    private readonly count: bigint,
  ) {
    this.zero = zeroHashes(hasher)
  }

  private node(level: number, index: bigint): Uint8Array {
    const known = this.nodes.get(`${level}:${index}`)
    if (known !== undefined) return known
    if (index << BigInt(level) >= this.count) return this.zero[level] as Uint8Array
    throw new L2kitError('WITNESS_INCOMPLETE', `tree node ${level}:${index} is not known`, {
      kind: ErrorKind.critical,
    })
  }

  private hashUp(index: bigint, level: number, node: Uint8Array, sibling: Uint8Array): Uint8Array {
    return ((index >> BigInt(level)) & 1n) === 1n
      ? this.hasher.hash2(sibling, node)
      : this.hasher.hash2(node, sibling)
  }

  addProof(index: bigint, leaf: Uint8Array, siblings: readonly Uint8Array[]): void {
    let node = leaf
    for (let level = 0; level < this.depth; level++) {
      const at = index >> BigInt(level)
      const sibling = siblings[level] as Uint8Array
      if (!this.nodes.has(`${level}:${at}`)) this.nodes.set(`${level}:${at}`, node)
      if (!this.nodes.has(`${level}:${at ^ 1n}`)) this.nodes.set(`${level}:${at ^ 1n}`, sibling)
      node = this.hashUp(index, level, node, sibling)
    }
    if (!this.nodes.has(`${this.depth}:0`)) this.nodes.set(`${this.depth}:0`, node)
  }

  set(index: bigint, leaf: Uint8Array): void {
    let node = leaf
    for (let level = 0; level < this.depth; level++) {
      const at = index >> BigInt(level)
      this.nodes.set(`${level}:${at}`, node)
      node = this.hashUp(index, level, node, this.node(level, at ^ 1n))
    }
    this.nodes.set(`${this.depth}:0`, node)
  }

  proof(index: bigint): Hex[] {
    const out: Hex[] = []
    for (let level = 0; level < this.depth; level++)
      out.push(bytesToHex(this.node(level, (index >> BigInt(level)) ^ 1n)))
    return out
  }

  root(): Hex {
    return bytesToHex(this.node(this.depth, 0n))
  }
}

type ModelAccount = { index: number; owner: Address; nonce: bigint; balances: SparseMerkleTree }

const word = (v: bigint): Uint8Array => {
  const out = new Uint8Array(32)
  writeBigintBE(out, 0, v, 32)
  return out
}
const MAX_UINT256 = (1n << 256n) - 1n
const MAX_UINT64 = (1n << 64n) - 1n
const MAX_TREE_ENTRIES = 1n << 32n

/** The accounts and withdrawals trees of a pre-state, as far as one step touches them. */
class StepModel {
  readonly accounts: PathTree
  readonly withdrawals: PathTree
  private readonly loaded = new Map<number, ModelAccount>()
  readonly accountCount: number
  withdrawalCount: number

  constructor(readonly state: L2State) {
    this.accountCount = state.accountCount
    this.withdrawalCount = state.withdrawals.length
    this.accounts = new PathTree(ACCOUNTS_TREE_DEPTH, state.hasher, BigInt(this.accountCount))
    this.withdrawals = new PathTree(WITHDRAWALS_TREE_DEPTH, state.hasher, BigInt(this.withdrawalCount))
    // The last used slot reveals every non-empty sibling of the first free one (append-only trees).
    this.account(this.accountCount - 1)
    const k = this.withdrawalCount
    if (k > 0) {
      const p = state.withdrawalProof(k - 1)
      this.withdrawals.addProof(
        BigInt(k - 1),
        hexToBytes(p.withdrawalHash),
        p.siblings.map((s) => hexToBytes(s)),
      )
    }
  }

  /** Account `index` of the pre-state (later: as updated by this step). */
  account(index: number): ModelAccount {
    const cached = this.loaded.get(index)
    if (cached !== undefined) return cached
    const p = this.state.accountProof(index)
    const balances = new SparseMerkleTree(BALANCES_TREE_DEPTH, this.state.hasher)
    for (const [token, amount] of this.state.getAccount(p.address)?.balances ?? new Map<number, bigint>())
      if (amount !== 0n) balances.set(token, word(amount))
    if (bytesToHex(balances.root()) !== p.balancesRoot)
      throw new L2kitError('WITNESS_INCOMPLETE', `balances of account ${index} disagree with its root`, {
        kind: ErrorKind.critical,
      })
    this.accounts.addProof(
      BigInt(index),
      hexToBytes(p.leaf),
      p.siblings.map((s) => hexToBytes(s)),
    )
    const account: ModelAccount = { index, owner: p.address, nonce: p.nonce, balances }
    this.loaded.set(index, account)
    return account
  }

  /** A new account at `accountCount`. */
  create(owner: Address): ModelAccount {
    const account: ModelAccount = {
      index: this.accountCount,
      owner,
      nonce: 0n,
      balances: new SparseMerkleTree(BALANCES_TREE_DEPTH, this.state.hasher),
    }
    this.loaded.set(account.index, account)
    return account
  }

  balance(a: ModelAccount, token: number): bigint {
    const leaf = a.balances.get(token)
    let v = 0n
    for (const b of leaf) v = (v << 8n) | BigInt(b)
    return v
  }

  witness(a: ModelAccount): AccountWitness {
    return {
      index: BigInt(a.index),
      owner: a.owner,
      nonce: a.nonce,
      balancesRoot: bytesToHex(a.balances.root()),
      siblings: this.accounts.proof(BigInt(a.index)),
    }
  }

  /** TxExecutor's witness of a new account: zero preimage, the empty slot's siblings. */
  newWitness(): AccountWitness {
    const index = BigInt(this.accountCount)
    return {
      index,
      owner: ZERO_ADDRESS,
      nonce: 0n,
      balancesRoot: ZERO_WORD,
      siblings: this.accounts.proof(index),
    }
  }

  balanceWitness(a: ModelAccount, token: number): BalanceWitness {
    return { amount: this.balance(a, token), siblings: a.balances.proof(token).map(bytesToHex) }
  }

  setBalance(a: ModelAccount, token: number, value: bigint): void {
    a.balances.set(token, word(value))
  }

  /** Writes `a`'s leaf into the accounts tree. */
  write(a: ModelAccount): void {
    this.accounts.set(BigInt(a.index), hexToBytes(accountLeafHash(a.owner, a.nonce, a.balances.root())))
  }
}

function effectiveGasPrice(fees: TxFees, baseFee: bigint): bigint | undefined {
  if (fees.type === 'legacy') return fees.gasPrice < baseFee ? undefined : fees.gasPrice
  if (fees.maxFeePerGas < baseFee) return undefined
  const tipped = baseFee + fees.maxPriorityFeePerGas
  // biome-ignore lint/complexity/useMathMinMax: bigints (Math.min takes numbers only)
  return tipped < fees.maxFeePerGas ? tipped : fees.maxFeePerGas
}

/** The TxExecutor witness of a built step, and the roots its re-play ends at when the step applies. */
export type TxWitnessResult = {
  witness: TxExecutorWitness
  /** Post roots when every check passed (the transaction / deposit applies); undefined when skipped. */
  post?: { accountsRoot: Hex; withdrawalsRoot: Hex }
}

function baseWitness(state: L2State): TxExecutorWitness {
  const w = emptyStepWitness().tx
  w.accountsRoot = state.accountsRoot()
  w.withdrawalsRoot = state.withdrawalsRoot()
  return w
}

/**
 * `TxExecutor.Witness` of `tx` signed by `sender` against `state` (not mutated), following TxExecutor's check
 * order: account, nonce, nonce overflow, gas limit, fee cap, token (`0 < token <= tokenCount`), amount, ETH
 * balance, token balance, then the recipient (balance overflow, accounts full) or the withdrawal slot, then the
 * fee vault. Stops where TxExecutor stops.
 */
export function buildTxExecutorWitness(
  state: L2State,
  tx: L2Tx,
  sender: Address,
  tokenCount: number,
): TxWitnessResult {
  const w = baseWitness(state)
  const senderIndex = state.indexOf(sender)
  if (senderIndex === undefined) return { witness: w }
  const m = new StepModel(state)
  const s = m.account(senderIndex)
  w.sender = m.witness(s)
  w.senderEth = m.balanceWitness(s, ETH_TOKEN_INDEX)

  const op = tx.op
  if (tx.nonce !== s.nonce || s.nonce >= MAX_UINT64) return { witness: w }
  const gas = GAS[op.kind]
  if (tx.gasLimit < gas) return { witness: w }
  const price = effectiveGasPrice(tx.fees, state.baseFee)
  if (price === undefined) return { witness: w }
  const token = op.kind === 'tokenTransfer' || op.kind === 'withdrawToken' ? op.tokenIndex : ETH_TOKEN_INDEX
  if (token !== ETH_TOKEN_INDEX && token > tokenCount) return { witness: w }
  if (!isPackable(op.amount)) return { witness: w }
  const fee = gas * price
  const ethNeeded = token === ETH_TOKEN_INDEX ? fee + op.amount : fee
  const eth = m.balance(s, ETH_TOKEN_INDEX)
  if (ethNeeded > MAX_UINT256 || eth < ethNeeded) return { witness: w }
  m.setBalance(s, ETH_TOKEN_INDEX, eth - ethNeeded)
  if (token !== ETH_TOKEN_INDEX) {
    w.senderToken = m.balanceWitness(s, token)
    const balance = m.balance(s, token)
    if (balance < op.amount) return { witness: w }
    m.setBalance(s, token, balance - op.amount)
  }
  s.nonce += 1n
  m.write(s)

  if (op.kind === 'ethTransfer' || op.kind === 'tokenTransfer') {
    const to = op.to.toLowerCase() as Address
    const known = state.indexOf(to)
    let r: ModelAccount
    if (known === undefined) {
      if (BigInt(m.accountCount) >= MAX_TREE_ENTRIES) return { witness: w }
      w.recipient = m.newWitness()
      r = m.create(to)
      w.recipientBalance = m.balanceWitness(r, token)
    } else {
      r = m.account(known)
      w.recipient = m.witness(r)
      w.recipientBalance = m.balanceWitness(r, token)
    }
    const credited = m.balance(r, token) + op.amount
    if (credited > MAX_UINT256) return { witness: w }
    m.setBalance(r, token, credited)
    m.write(r)
  } else {
    const k = BigInt(m.withdrawalCount)
    if (k >= MAX_TREE_ENTRIES) return { witness: w }
    w.withdrawalSiblings = m.withdrawals.proof(k)
    const l1Token = token === ETH_TOKEN_INDEX ? ZERO_ADDRESS : state.getToken(token)?.l1Address
    if (l1Token === undefined)
      throw new L2kitError('UNKNOWN_TOKEN', `token ${token} is not registered in the state`, {
        kind: ErrorKind.critical,
      })
    const leaf = withdrawalHash({
      index: k,
      sender: s.owner,
      recipient: op.recipient,
      l1Token,
      amount: op.amount,
    })
    m.withdrawals.set(k, hexToBytes(leaf))
  }
  if (fee !== 0n) {
    const v = m.account(0)
    w.vault = m.witness(v)
    w.vaultEth = m.balanceWitness(v, ETH_TOKEN_INDEX)
    m.setBalance(v, ETH_TOKEN_INDEX, m.balance(v, ETH_TOKEN_INDEX) + fee)
    m.write(v)
  }
  return {
    witness: w,
    post: { accountsRoot: m.accounts.root(), withdrawalsRoot: m.withdrawals.root() },
  }
}

/**
 * The `TxExecutor.Witness` part of a deposit row: `recipient` and `recipientBalance` (token `d.tokenIndex`) of
 * `d.to` against the pre accounts root, a new account as TxExecutor takes a new transfer recipient.
 */
export function buildDepositTxWitness(state: L2State, d: Deposit): TxWitnessResult {
  const w = baseWitness(state)
  const m = new StepModel(state)
  const to = d.to.toLowerCase() as Address
  const known = state.indexOf(to)
  let r: ModelAccount
  if (known === undefined) {
    w.recipient = m.newWitness()
    r = m.create(to)
  } else {
    r = m.account(known)
    w.recipient = m.witness(r)
  }
  w.recipientBalance = m.balanceWitness(r, d.tokenIndex)
  const credited = m.balance(r, d.tokenIndex) + d.amount
  if (credited <= MAX_UINT256) m.setBalance(r, d.tokenIndex, credited)
  m.write(r)
  return { witness: w, post: { accountsRoot: m.accounts.root(), withdrawalsRoot: m.withdrawals.root() } }
}

// ---------------------------------------------------------------------------------------------------------------
// One step

/** What `buildStepWitness` needs besides the state, the block number and the row. */
export type StepContextV3 = RowContextV3 & {
  /** The L2 base fee (a chain constant); must be the state's. */
  baseFee: bigint
}

/** The address a row credits (transfer recipient or deposit recipient). */
function recipientOf(parsed: RowV3, witness: StepWitness): Address {
  if (parsed.type === 'deposit') return witness.deposit.to
  if (parsed.type === 'tx' && (parsed.tx.op.kind === 'ethTransfer' || parsed.tx.op.kind === 'tokenTransfer'))
    return parsed.tx.op.to
  throw new L2kitError('WITNESS_MISMATCH', `a ${parsed.type} row cannot create an account`, {
    kind: ErrorKind.critical,
  })
}

/** A built step. */
export type StepWitnessResult = {
  witness: StepWitness
  /** `abi.encode(StepWitness)`, what `StepVerifier.executeRow` takes. */
  encoded: Hex
  /** The header `executeRow` must return: the pre-state after this row. */
  expectedPost: StateHeader
  /** The pre-state's header. */
  pre: StateHeader
  /** What the row does (as `executeRowV3` reports it). */
  outcome: RowOutcomeV3
}

/**
 * The one-step proof of `row` (124 bytes) executed on `state` (the pre-state, NOT mutated; its last closed block is
 * `blockNumber`): the witness, its `abi.encode` bytes, and the expected post header (from executing the row on a
 * clone with `executeRowV3`). Throws `WITNESS_MISMATCH` (critical) if the witness re-play and the state machine
 * disagree on the post roots, which would be a bug.
 */
export function buildStepWitness(
  state: L2State,
  blockNumber: bigint,
  row: Uint8Array,
  ctx: StepContextV3,
): StepWitnessResult {
  if (ctx.baseFee !== state.baseFee)
    throw new L2kitError('INVALID_ARGUMENT', `base fee ${ctx.baseFee} is not the state's (${state.baseFee})`)
  const pre = state.stateHeader(blockNumber)
  const post = state.clone()
  const step = executeRowV3(post, blockNumber, row, ctx)
  const expectedPost = post.stateHeader(step.blockNumber)

  const witness = emptyStepWitness()
  let replay: TxWitnessResult | undefined
  const parsed = parseRowV3(row)
  if (parsed.type === 'tx') {
    let sender: Address | undefined
    try {
      sender = recoverSender(parsed.tx, ctx.chainId)
    } catch (error) {
      if (!(error instanceof L2kitError)) throw error
    }
    if (sender !== undefined) {
      replay = buildTxExecutorWitness(state, parsed.tx, sender, pre.tokenCount)
      witness.tx = replay.witness
      witness.sender = state.addressProof(sender)
      const op = parsed.tx.op
      if (op.kind === 'ethTransfer' || op.kind === 'tokenTransfer')
        witness.recipient = state.addressProof(op.to)
    }
  } else if (parsed.type === 'deposit' && state.depositCount < ctx.batchDepositCountAfter) {
    const d = ctx.deposits(state.depositCount)
    if (d === undefined)
      throw new L2kitError('MISSING_DEPOSIT', `deposit ${state.depositCount} is not known`, {
        kind: ErrorKind.critical,
      })
    replay = buildDepositTxWitness(state, d)
    witness.tx = replay.witness
    witness.recipient = state.addressProof(d.to)
    witness.deposit = { from: d.from, to: d.to, tokenIndex: d.tokenIndex, amount: d.amount }
  }

  const changed = step.outcome.applied && (step.outcome.kind === 'tx' || step.outcome.kind === 'deposit')
  if (changed !== (replay?.post !== undefined))
    throw new L2kitError(
      'WITNESS_MISMATCH',
      `the witness re-play ${replay?.post === undefined ? 'skips' : 'applies'} a row the state machine ${changed ? 'applies' : 'skips'}`,
      { kind: ErrorKind.critical, details: { outcome: step.outcome } },
    )
  if (
    replay?.post !== undefined &&
    (replay.post.accountsRoot !== expectedPost.accountsRoot ||
      replay.post.withdrawalsRoot !== expectedPost.withdrawalsRoot)
  )
    throw new L2kitError(
      'WITNESS_MISMATCH',
      'the witness re-play ends at other roots than the state machine',
      {
        kind: ErrorKind.critical,
      },
    )
  // The address tree changes only when the row creates the recipient's account, at leaf accountCount + 1.
  const created = expectedPost.accountCount !== pre.accountCount
  if (created && witness.recipient.leaf !== 0n)
    throw new L2kitError('WITNESS_MISMATCH', 'a row created an account for a known recipient', {
      kind: ErrorKind.critical,
    })
  const addressesRoot = created
    ? addressRootFrom(recipientOf(parsed, witness), expectedPost.accountCount, witness.recipient.siblings)
    : pre.addressesRoot
  if (addressesRoot !== expectedPost.addressesRoot)
    throw new L2kitError(
      'WITNESS_MISMATCH',
      'the recipient address proof does not give the post addresses root',
      {
        kind: ErrorKind.critical,
      },
    )
  return { witness, encoded: encodeStepWitness(witness), expectedPost, pre, outcome: step.outcome }
}
