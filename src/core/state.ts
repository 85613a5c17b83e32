/**
 * The L2 token state machine shared by every l2kit L2 family (ARCHITECTURE.md, "State and its root" and
 * "L2 transactions"): accounts with a nonce and per-token balances, the token registry, deposits from L1 and
 * withdrawals to L1, and the Merkle roots that commit to all of it.
 *
 * Execution never hashes: `applyTx` / `applyDeposit` only move numbers in Maps and mark accounts dirty. Roots are
 * computed on demand and incrementally (only dirty accounts are rehashed, then one sparse-tree flush), so a block
 * of thousands of transactions costs one root computation, not one per transaction. The address tree of the
 * fraud-proof commitment (src/core/addressTree.ts) follows the same rule: creating an account links one trie path
 * (no hashing), and its ~160 hashes run when `addressesRoot()` is asked; transfers between existing accounts never
 * touch it.
 *
 * Addresses are stored and returned in lowercase (core's canonical form); inputs may use any case.
 * Only the Merkle node hash is pluggable (`StateConfig.hasher`); the leaf encodings and `stateRoot` are keccak256
 * as the spec defines them (the ZK family will define its own leaves if it needs different ones).
 */
import { type AddressProof, AddressTree } from './addressTree.ts'
import { isPackable, packAmount } from './amount.ts'
import { bytesToHex, hexToBytes, isAddress, writeBigintBE } from './bytes.ts'
import type { StateHeader } from './commitment.ts'
import {
  ACCOUNTS_TREE_DEPTH,
  BALANCES_TREE_DEPTH,
  ETH_TOKEN_INDEX,
  GAS,
  L2_FEE_VAULT_ADDRESS,
  MAX_TOKENS,
  WITHDRAWALS_TREE_DEPTH,
} from './constants.ts'
import { type ErrorCode, ErrorKind, L2kitError } from './errors.ts'
import { type Hasher, keccak256, keccakHasher } from './hash.ts'
import { SparseMerkleTree } from './smt.ts'
import type { Address, Deposit, Hex, L2Operation, L2Tx, TokenInfo, TxFees, Withdrawal } from './types.ts'

// ---------------------------------------------------------------------------------------------------------------
// Public types

/** What a state is built from. `hasher` defaults to keccak256 (the optimistic rollup's). */
export type StateConfig = {
  chainId: bigint
  /** The L2 base fee in wei per gas, a chain constant. */
  baseFee: bigint
  hasher?: Hasher
}

/** What executing a transaction produced, for its receipt. */
export type TxReceiptData = {
  gasUsed: bigint
  effectiveGasPrice: bigint
  /** `gasUsed * effectiveGasPrice`, paid to the fee vault. */
  fee: bigint
  /** The withdrawal leaf appended, for withdraw operations. */
  withdrawal?: Withdrawal
}

/** What applying a deposit did. */
export type DepositOutcome = {
  /** Account index of the recipient. */
  accountIndex: number
  /** True when the recipient got an account (a new index) from this deposit. */
  newAccount: boolean
  /**
   * False only when crediting would push the recipient's balance past 2^256 - 1 (possible with a malicious L1
   * token that lies about transfers). The deposit is then consumed without effect, so the chain cannot be stalled.
   */
  credited: boolean
}

/** Read-only view of an account. Balances hold only non-zero entries; key = token index (0 = ETH). */
export type AccountView = {
  readonly index: number
  readonly address: Address
  readonly nonce: bigint
  readonly balances: ReadonlyMap<number, bigint>
}

/** Everything `Portal.finalizeWithdrawal(proposalIndex, w, accountsRoot, siblings)` needs, plus the roots. */
export type WithdrawalProof = {
  withdrawal: Withdrawal
  withdrawalHash: Hex
  accountsRoot: Hex
  withdrawalsRoot: Hex
  /** Withdrawals-tree siblings, bottom-up (32). */
  siblings: Hex[]
  /** keccak256(accountsRoot ‖ withdrawalsRoot): must equal the finalized proposal's state root. */
  stateRoot: Hex
}

/** An account's membership proof in the accounts tree (for fraud proofs and light clients). */
export type AccountProof = {
  index: number
  address: Address
  nonce: bigint
  balancesRoot: Hex
  leaf: Hex
  /** Accounts-tree siblings, bottom-up (32). */
  siblings: Hex[]
  accountsRoot: Hex
  withdrawalsRoot: Hex
  stateRoot: Hex
}

/**
 * An account leaf's preimage and its accounts-tree siblings, shaped as `TxExecutor.AccountWitness` (viem-encodable).
 * For an unused index (a new account's slot): zero owner, nonce 0, the empty balances root, and the siblings that
 * prove the slot empty.
 */
export type AccountWitness = {
  index: bigint
  owner: Address
  nonce: bigint
  balancesRoot: Hex
  /** Accounts-tree siblings, bottom-up (32). */
  siblings: Hex[]
}

/** One balance and its balances-tree siblings, shaped as `TxExecutor.BalanceWitness` (viem-encodable). */
export type BalanceWitness = {
  amount: bigint
  /** Balances-tree siblings, bottom-up (8). */
  siblings: Hex[]
}

/** What changed since the last `takeDirty()`: write these to the store. Indices ascending. */
export type StateChanges = {
  accounts: number[]
  withdrawals: number[]
  tokens: number[]
  /** Current deposit count (cheap to write every time). */
  depositCount: bigint
}

/** JSON-safe account: bigints as decimal strings, only non-zero balances, ascending token index. */
export type AccountSnapshot = {
  address: Address
  nonce: string
  balances: [tokenIndex: number, amount: string][]
}

/** JSON-safe withdrawal: bigints as decimal strings. */
export type WithdrawalSnapshot = {
  index: string
  sender: Address
  recipient: Address
  l1Token: Address
  amount: string
}

/** JSON-safe full state: `L2State.fromSnapshot(config, state.snapshot())` rebuilds an identical state. */
export type StateSnapshot = {
  version: 1
  depositCount: string
  /** The largest token index of any deposit applied (`L2State.tokenCount`). */
  tokenCount: number
  tokens: TokenInfo[]
  /** By account index; `accounts[0]` is the fee vault. */
  accounts: AccountSnapshot[]
  /** By withdrawal index. */
  withdrawals: WithdrawalSnapshot[]
}

// ---------------------------------------------------------------------------------------------------------------
// Pure helpers

const MAX_UINT256 = (1n << 256n) - 1n
const MAX_UINT64 = (1n << 64n) - 1n
const TWO_POW_64 = 1n << 64n
/** Leaf indices of the depth-32 trees. */
const MAX_TREE_ENTRIES = 2 ** 32
const ZERO_ADDRESS: Address = '0x0000000000000000000000000000000000000000'

import { l2TokenAddress, tokenIndexFromL2Address } from './tokenAddress.ts'

export { l2TokenAddress, tokenIndexFromL2Address }

/**
 * The price per gas a transaction pays: `gasPrice` (legacy) or `min(maxFeePerGas, baseFee + maxPriorityFeePerGas)`.
 * Throws `FEE_CAP_TOO_LOW` when the cap (legacy: the price) is below the base fee, `INVALID_FEE` for a negative
 * priority fee.
 */
export function computeEffectiveGasPrice(fees: TxFees, baseFee: bigint): bigint {
  if (fees.type === 'legacy') {
    if (fees.gasPrice < baseFee) {
      throw new L2kitError(
        'FEE_CAP_TOO_LOW',
        `gas price ${fees.gasPrice} wei is below the L2 base fee of ${baseFee} wei; raise it to at least ${baseFee}`,
        { details: { gasPrice: fees.gasPrice.toString(), baseFee: baseFee.toString() } },
      )
    }
    return fees.gasPrice
  }
  if (fees.maxFeePerGas < baseFee) {
    throw new L2kitError(
      'FEE_CAP_TOO_LOW',
      `max fee per gas ${fees.maxFeePerGas} wei is below the L2 base fee of ${baseFee} wei; raise it to at least ${baseFee}`,
      { details: { maxFeePerGas: fees.maxFeePerGas.toString(), baseFee: baseFee.toString() } },
    )
  }
  if (fees.maxPriorityFeePerGas < 0n) {
    throw new L2kitError('INVALID_FEE', `max priority fee per gas ${fees.maxPriorityFeePerGas} is negative`, {
      details: { maxPriorityFeePerGas: fees.maxPriorityFeePerGas.toString() },
    })
  }
  const tipped = baseFee + fees.maxPriorityFeePerGas
  // biome-ignore lint/complexity/useMathMinMax: bigints (Math.min takes numbers only)
  return tipped < fees.maxFeePerGas ? tipped : fees.maxFeePerGas
}

function writeAddress(target: Uint8Array, offset: number, address: string): void {
  if (!isAddress(address)) {
    throw new L2kitError('INVALID_ADDRESS', `not an address: ${String(address).slice(0, 60)}`, {
      details: { value: String(address).slice(0, 60) },
    })
  }
  target.set(hexToBytes(address), offset)
}

function accountLeafBytes(owner: string, nonce: bigint, balancesRoot: Uint8Array): Uint8Array {
  const packed = new Uint8Array(60)
  writeAddress(packed, 0, owner)
  writeBigintBE(packed, 20, nonce, 8)
  packed.set(balancesRoot, 28)
  return keccak256(packed)
}

function withdrawalHashBytes(w: Withdrawal): Uint8Array {
  const encoded = new Uint8Array(160)
  writeBigintBE(encoded, 0, w.index, 32)
  writeAddress(encoded, 44, w.sender)
  writeAddress(encoded, 76, w.recipient)
  writeAddress(encoded, 108, w.l1Token)
  writeBigintBE(encoded, 128, w.amount, 32)
  return keccak256(encoded)
}

function hexWord(value: Hex | Uint8Array, what: string): Uint8Array {
  const bytes = typeof value === 'string' ? hexToBytes(value) : value
  if (bytes.length !== 32)
    throw new L2kitError('INVALID_HEX', `${what} must be 32 bytes, got ${bytes.length}`)
  return bytes
}

/** `keccak256(abi.encodePacked(address owner, uint64 nonce, bytes32 balancesRoot))`: the accounts-tree leaf. */
export function accountLeafHash(owner: Address, nonce: bigint, balancesRoot: Hex | Uint8Array): Hex {
  return bytesToHex(accountLeafBytes(owner, nonce, hexWord(balancesRoot, 'balancesRoot')))
}

/** `keccak256(abi.encode(uint256 index, address sender, address recipient, address l1Token, uint256 amount))`. */
export function withdrawalHash(w: Withdrawal): Hex {
  return bytesToHex(withdrawalHashBytes(w))
}

/** The balances-tree root (depth 8, leaf t = balance of token t as uint256 big-endian) of a balance map. */
export function balancesRootOf(balances: ReadonlyMap<number, bigint>, hasher: Hasher = keccakHasher): Hex {
  return bytesToHex(balancesRootBytes(balances, hasher))
}

function balancesRootBytes(balances: ReadonlyMap<number, bigint>, hasher: Hasher): Uint8Array {
  const leaves: [number, Uint8Array][] = []
  for (const [token, amount] of balances) {
    if (amount === 0n) continue
    const leaf = new Uint8Array(32)
    writeBigintBE(leaf, 0, amount, 32)
    leaves.push([token, leaf])
  }
  return SparseMerkleTree.rootOf(hasher, BALANCES_TREE_DEPTH, leaves)
}

/** `keccak256(accountsRoot ‖ withdrawalsRoot)`. */
export function stateRootOf(accountsRoot: Hex | Uint8Array, withdrawalsRoot: Hex | Uint8Array): Hex {
  const packed = new Uint8Array(64)
  packed.set(hexWord(accountsRoot, 'accountsRoot'), 0)
  packed.set(hexWord(withdrawalsRoot, 'withdrawalsRoot'), 32)
  return bytesToHex(keccak256(packed))
}

// ---------------------------------------------------------------------------------------------------------------
// Errors

const str = (value: bigint): string => value.toString()

function invalid(code: ErrorCode, message: string, details: Record<string, unknown>): L2kitError {
  return new L2kitError(code, message, { details })
}

function checkAmount(amount: bigint, what: string): void {
  if (amount >= 0n && amount < TWO_POW_64) return
  if (isPackable(amount)) return
  try {
    packAmount(amount)
  } catch (error) {
    if (error instanceof L2kitError) {
      throw new L2kitError(error.code, `${what}: ${error.message}`, { details: { ...error.details } })
    }
    throw error
  }
}

function checkAddress(address: string, what: string): string {
  if (!isAddress(address)) {
    throw invalid('INVALID_ADDRESS', `${what} is not an address: ${String(address).slice(0, 60)}`, {
      value: String(address).slice(0, 60),
    })
  }
  return address.toLowerCase()
}

// ---------------------------------------------------------------------------------------------------------------
// The state

type Account = {
  index: number
  address: Address
  nonce: bigint
  /** Non-zero balances only. */
  balances: Map<number, bigint>
  /** Cached balances-tree root; undefined after a balance changed. */
  balancesRoot: Uint8Array | undefined
}

/** A validated transaction, ready to execute without further checks. */
type Plan = {
  sender: Account
  gas: bigint
  effectiveGasPrice: bigint
  fee: bigint
  kind: L2Operation['kind']
  /** Lowercase recipient (L2 account for transfers, L1 address for withdrawals). */
  to: Address
  tokenIndex: number
  amount: bigint
}

/**
 * The token state machine. Mutated only through `applyDeposit`, `applyTx` and `registerToken` (and the restore
 * helpers `importAccount` / `importWithdrawal`). Every failing call throws an `L2kitError` and changes nothing.
 */
export class L2State {
  readonly chainId: bigint
  readonly baseFee: bigint
  readonly hasher: Hasher

  private readonly accountsByAddress: Map<string, Account>
  private readonly accountList: Account[]
  /** `tokenList[i - 1]` = token i. */
  private readonly tokenList: TokenInfo[]
  private readonly tokensByL2Address: Map<string, TokenInfo>
  private readonly withdrawalList: Withdrawal[]
  private deposits: bigint
  /** Largest token index of any applied deposit: a transaction may name tokens 1..depositedTokens only. */
  private depositedTokens: number

  private readonly accountsTree: SparseMerkleTree
  private readonly withdrawalsTree: SparseMerkleTree
  /** address → index + 1 for every account, hashed lazily (docs/optimistic.md, `addressesRoot`). */
  private readonly addressTree: AddressTree
  /** Accounts whose leaf must be recomputed before the next root. */
  private readonly rootDirtyAccounts: Set<number>
  /** Withdrawals [0, withdrawalsInTree) are in the withdrawals tree. */
  private withdrawalsInTree: number
  /** Changes not yet handed out by takeDirty(). */
  private readonly persistDirtyAccounts: Set<number>
  private persistedWithdrawals: number
  private persistedTokens: number

  constructor(config: StateConfig) {
    if (typeof config.chainId !== 'bigint' || config.chainId <= 0n) {
      throw invalid('INVALID_CONFIG', `chainId must be a positive bigint, got ${String(config.chainId)}`, {})
    }
    if (typeof config.baseFee !== 'bigint' || config.baseFee < 0n) {
      throw invalid(
        'INVALID_CONFIG',
        `baseFee must be a non-negative bigint, got ${String(config.baseFee)}`,
        {},
      )
    }
    this.chainId = config.chainId
    this.baseFee = config.baseFee
    this.hasher = config.hasher ?? keccakHasher
    this.accountsByAddress = new Map()
    this.accountList = []
    this.tokenList = []
    this.tokensByL2Address = new Map()
    this.withdrawalList = []
    this.deposits = 0n
    this.depositedTokens = 0
    this.accountsTree = new SparseMerkleTree(ACCOUNTS_TREE_DEPTH, this.hasher)
    this.withdrawalsTree = new SparseMerkleTree(WITHDRAWALS_TREE_DEPTH, this.hasher)
    this.addressTree = new AddressTree(this.hasher)
    this.rootDirtyAccounts = new Set()
    this.withdrawalsInTree = 0
    this.persistDirtyAccounts = new Set()
    this.persistedWithdrawals = 0
    this.persistedTokens = 0
    // Genesis: the fee vault is account 0.
    this.createAccount(L2_FEE_VAULT_ADDRESS)
  }

  // ----- readers -------------------------------------------------------------------------------------------------

  /** Number of accounts (the next account index). */
  get accountCount(): number {
    return this.accountList.length
  }

  /** Deposits applied so far (= index of the next deposit). */
  get depositCount(): bigint {
    return this.deposits
  }

  /**
   * The largest token index of any deposit applied so far (0 at genesis): the state header's `tokenCount`.
   * Transactions may name tokens 1..tokenCount; a registered token whose first deposit is not applied yet is
   * unknown to them (the fraud proof can only see deposits, not the L1 registry).
   */
  get tokenCount(): number {
    return this.depositedTokens
  }

  /** Registered tokens in index order (`tokens[i - 1].index === i`). */
  get tokens(): readonly TokenInfo[] {
    return this.tokenList
  }

  /** Withdrawals in index order. */
  get withdrawals(): readonly Withdrawal[] {
    return this.withdrawalList
  }

  getAccount(address: string): AccountView | undefined {
    return this.accountsByAddress.get(address.toLowerCase())
  }

  /** Balance of `tokenIndex` (0 = ETH); 0 for unknown accounts or tokens. */
  getBalance(address: string, tokenIndex: number = ETH_TOKEN_INDEX): bigint {
    return this.accountsByAddress.get(address.toLowerCase())?.balances.get(tokenIndex) ?? 0n
  }

  /** Next nonce of `address` (0 for unknown accounts, like `eth_getTransactionCount`). */
  getNonce(address: string): bigint {
    return this.accountsByAddress.get(address.toLowerCase())?.nonce ?? 0n
  }

  indexOf(address: string): number | undefined {
    return this.accountsByAddress.get(address.toLowerCase())?.index
  }

  addressAt(index: number): Address | undefined {
    return this.accountList[index]?.address
  }

  getToken(tokenIndex: number): TokenInfo | undefined {
    return tokenIndex >= 1 ? this.tokenList[tokenIndex - 1] : undefined
  }

  getTokenByL2Address(address: string): TokenInfo | undefined {
    return this.tokensByL2Address.get(address.toLowerCase())
  }

  getWithdrawal(index: number | bigint): Withdrawal | undefined {
    const i = Number(index)
    return Number.isSafeInteger(i) && i >= 0 ? this.withdrawalList[i] : undefined
  }

  // ----- tokens --------------------------------------------------------------------------------------------------

  /**
   * Registers a bridged token, as the portal's `TokenRegistered` event announced it. Indices are assigned by L1 in
   * order, so `info.index` must be the next one (1, 2, …) and `l2Address` must be `l2TokenAddress(index)`.
   */
  registerToken(info: TokenInfo): void {
    const expected = this.tokenList.length + 1
    if (info.index !== expected) {
      throw invalid(
        'INVALID_TOKEN',
        `token index ${info.index} registered out of order: the next token index is ${expected}`,
        { tokenIndex: info.index, expected },
      )
    }
    if (expected > MAX_TOKENS) {
      throw invalid('INVALID_TOKEN', `at most ${MAX_TOKENS} tokens can be registered`, {
        tokenIndex: info.index,
      })
    }
    const l2Address = l2TokenAddress(info.index)
    if (typeof info.l2Address !== 'string' || info.l2Address.toLowerCase() !== l2Address) {
      throw invalid(
        'INVALID_TOKEN',
        `token ${info.index} must have L2 address ${l2Address}, got ${info.l2Address}`,
        {
          tokenIndex: info.index,
          l2Address: info.l2Address,
        },
      )
    }
    const l1Address = checkAddress(info.l1Address, `token ${info.index} L1 address`) as Address
    if (this.tokenList.some((t) => t.l1Address === l1Address)) {
      throw invalid('INVALID_TOKEN', `L1 token ${l1Address} is already registered`, { l1Address })
    }
    const token: TokenInfo = Object.freeze({
      index: info.index,
      l1Address,
      l2Address,
      name: info.name,
      symbol: info.symbol,
      decimals: info.decimals,
    })
    this.tokenList.push(token)
    this.tokensByL2Address.set(l2Address, token)
  }

  // ----- deposits ------------------------------------------------------------------------------------------------

  /**
   * Applies the next L1 deposit: credits `d.to` (creating its account if new) and advances `depositCount`.
   * Throws `DEPOSIT_OUT_OF_ORDER` unless `d.index === depositCount`, `UNKNOWN_TOKEN` for an unregistered token,
   * `INVALID_DEPOSIT` for a malformed one; nothing changes then.
   */
  applyDeposit(d: Deposit): DepositOutcome {
    if (d.index !== this.deposits) {
      throw invalid(
        'DEPOSIT_OUT_OF_ORDER',
        `deposit ${d.index} cannot be applied now: the next deposit to apply is ${this.deposits}`,
        { depositIndex: str(d.index), expected: str(this.deposits) },
      )
    }
    const to = checkAddress(d.to, `deposit ${d.index} recipient`)
    if (typeof d.amount !== 'bigint' || d.amount < 0n || d.amount > MAX_UINT256) {
      throw invalid('INVALID_DEPOSIT', `deposit ${d.index} amount ${String(d.amount)} is not a uint256`, {
        depositIndex: str(d.index),
        amount: String(d.amount),
      })
    }
    this.checkToken(d.tokenIndex, true)
    let account = this.accountsByAddress.get(to)
    const newAccount = account === undefined
    const balance = account?.balances.get(d.tokenIndex) ?? 0n
    const credited = balance + d.amount <= MAX_UINT256
    account ??= this.createAccount(to as Address)
    if (credited && d.amount !== 0n) this.setBalance(account, d.tokenIndex, balance + d.amount)
    this.deposits++
    // Every applied deposit counts, credited or not (docs/optimistic.md: tokenCount = max(tokenCount, tokenIndex)).
    if (d.tokenIndex > this.depositedTokens) this.depositedTokens = d.tokenIndex
    return { accountIndex: account.index, newAccount, credited }
  }

  // ----- transactions --------------------------------------------------------------------------------------------

  /**
   * Executes `tx` sent by `sender` (recovered from its signature by the caller): checks everything first, then
   * bumps the nonce, moves balances, pays the fee to the vault and, for withdrawals, burns the amount and appends
   * a withdrawal. Throws (state unchanged) `UNKNOWN_ACCOUNT`, `NONCE_TOO_LOW`, `NONCE_TOO_HIGH`,
   * `NONCE_OVERFLOW`, `UNSUPPORTED_OPERATION`, `GAS_LIMIT_TOO_LOW`, `FEE_CAP_TOO_LOW`, `INVALID_FEE`,
   * `UNKNOWN_TOKEN`, `INVALID_ADDRESS`, `AMOUNT_NOT_PACKABLE`, `INSUFFICIENT_BALANCE`,
   * `INSUFFICIENT_TOKEN_BALANCE`, then `BALANCE_OVERFLOW` / `ACCOUNTS_FULL` / `WITHDRAWALS_FULL` (checked in that
   * order, so the first failing check names the error).
   */
  applyTx(tx: L2Tx, sender: Address): TxReceiptData {
    const plan = this.plan(tx, sender)
    return this.execute(plan)
  }

  /** Runs every check `applyTx` would, without changing anything. Throws the same errors. */
  checkTx(tx: L2Tx, sender: Address): void {
    this.plan(tx, sender)
  }

  private plan(tx: L2Tx, senderAddress: Address): Plan {
    const sender =
      typeof senderAddress === 'string' ? this.accountsByAddress.get(senderAddress.toLowerCase()) : undefined
    if (sender === undefined) {
      throw invalid(
        'UNKNOWN_ACCOUNT',
        `${String(senderAddress)} has no account on this L2 yet: it must receive a deposit or a transfer before it can send`,
        { sender: String(senderAddress) },
      )
    }
    if (tx.nonce !== sender.nonce) {
      const low = tx.nonce < sender.nonce
      throw invalid(
        low ? 'NONCE_TOO_LOW' : 'NONCE_TOO_HIGH',
        low
          ? `nonce ${tx.nonce} of ${sender.address} was already used; its next nonce is ${sender.nonce}`
          : `nonce ${tx.nonce} of ${sender.address} is ahead of its next nonce ${sender.nonce}; send the missing transactions first`,
        { sender: sender.address, txNonce: str(tx.nonce), accountNonce: str(sender.nonce) },
      )
    }
    if (sender.nonce >= MAX_UINT64) {
      throw new L2kitError('NONCE_OVERFLOW', `${sender.address} has used every nonce (2^64 - 1)`, {
        details: { sender: sender.address, accountNonce: str(sender.nonce) },
      })
    }
    const op = tx.op
    const gas = Object.hasOwn(GAS, op.kind) ? GAS[op.kind] : undefined
    if (gas === undefined) {
      throw invalid('UNSUPPORTED_OPERATION', `operation ${String(op.kind)} is not supported`, {
        kind: String(op.kind),
      })
    }
    if (tx.gasLimit < gas) {
      throw invalid(
        'GAS_LIMIT_TOO_LOW',
        `gas limit ${tx.gasLimit} is below the ${gas} gas a ${op.kind} uses on this L2`,
        { gasLimit: str(tx.gasLimit), required: str(gas), kind: op.kind },
      )
    }
    const effectiveGasPrice = computeEffectiveGasPrice(tx.fees, this.baseFee)
    const fee = gas * effectiveGasPrice

    let tokenIndex = ETH_TOKEN_INDEX
    let to: string
    switch (op.kind) {
      case 'ethTransfer':
        to = checkAddress(op.to, 'transfer recipient')
        break
      case 'tokenTransfer':
        tokenIndex = op.tokenIndex
        this.checkTxToken(tokenIndex)
        to = checkAddress(op.to, 'transfer recipient')
        break
      case 'withdrawEth':
        to = checkAddress(op.recipient, 'withdrawal recipient')
        break
      case 'withdrawToken':
        tokenIndex = op.tokenIndex
        this.checkTxToken(tokenIndex)
        to = checkAddress(op.recipient, 'withdrawal recipient')
        break
    }
    const amount = op.amount
    checkAmount(amount, op.kind)

    const ethBalance = sender.balances.get(ETH_TOKEN_INDEX) ?? 0n
    const ethNeeded = tokenIndex === ETH_TOKEN_INDEX ? fee + amount : fee
    if (ethBalance < ethNeeded) {
      const what =
        tokenIndex === ETH_TOKEN_INDEX
          ? `the fee (${fee} wei) plus the amount (${amount} wei)`
          : `the fee (${fee} wei)`
      throw invalid(
        'INSUFFICIENT_BALANCE',
        `${sender.address} has ${ethBalance} wei but needs ${ethNeeded} wei for ${what}; fee = ${gas} gas × ${effectiveGasPrice} wei`,
        {
          sender: sender.address,
          balance: str(ethBalance),
          required: str(ethNeeded),
          fee: str(fee),
          amount: str(amount),
          gas: str(gas),
          effectiveGasPrice: str(effectiveGasPrice),
        },
      )
    }
    if (tokenIndex !== ETH_TOKEN_INDEX) {
      const tokenBalance = sender.balances.get(tokenIndex) ?? 0n
      if (tokenBalance < amount) {
        const token = this.tokenList[tokenIndex - 1] as TokenInfo
        throw invalid(
          'INSUFFICIENT_TOKEN_BALANCE',
          `${sender.address} has ${tokenBalance} ${token.symbol} (token ${tokenIndex}, base units) but the transaction moves ${amount}`,
          { sender: sender.address, tokenIndex, balance: str(tokenBalance), required: str(amount) },
        )
      }
    }
    const isTransfer = op.kind === 'ethTransfer' || op.kind === 'tokenTransfer'
    if (isTransfer) {
      const recipient = this.accountsByAddress.get(to)
      if (recipient === undefined && this.accountList.length >= MAX_TREE_ENTRIES) {
        throw new L2kitError('ACCOUNTS_FULL', 'the accounts tree is full (2^32 accounts)', {
          kind: ErrorKind.critical,
        })
      }
      if (recipient !== undefined && recipient !== sender) {
        const balance = recipient.balances.get(tokenIndex) ?? 0n
        if (balance + amount > MAX_UINT256) {
          throw invalid(
            'BALANCE_OVERFLOW',
            `crediting ${amount} to ${recipient.address} would overflow its token ${tokenIndex} balance (uint256)`,
            { recipient: recipient.address, tokenIndex, balance: str(balance), amount: str(amount) },
          )
        }
      }
    } else if (this.withdrawalList.length >= MAX_TREE_ENTRIES) {
      throw new L2kitError('WITHDRAWALS_FULL', 'the withdrawals tree is full (2^32 withdrawals)', {
        kind: ErrorKind.critical,
      })
    }
    return { sender, gas, effectiveGasPrice, fee, kind: op.kind, to: to as Address, tokenIndex, amount }
  }

  private execute(plan: Plan): TxReceiptData {
    const { sender, fee, amount, tokenIndex } = plan
    sender.nonce++
    this.markDirty(sender)
    // Every read below happens after the previous write, so sender = recipient = vault aliasing is handled.
    if (tokenIndex === ETH_TOKEN_INDEX) {
      this.setBalance(sender, ETH_TOKEN_INDEX, (sender.balances.get(ETH_TOKEN_INDEX) ?? 0n) - fee - amount)
    } else {
      if (fee !== 0n)
        this.setBalance(sender, ETH_TOKEN_INDEX, (sender.balances.get(ETH_TOKEN_INDEX) ?? 0n) - fee)
      this.setBalance(sender, tokenIndex, (sender.balances.get(tokenIndex) ?? 0n) - amount)
    }
    let withdrawal: Withdrawal | undefined
    if (plan.kind === 'ethTransfer' || plan.kind === 'tokenTransfer') {
      const recipient = this.accountsByAddress.get(plan.to) ?? this.createAccount(plan.to)
      this.setBalance(recipient, tokenIndex, (recipient.balances.get(tokenIndex) ?? 0n) + amount)
    } else {
      withdrawal = Object.freeze({
        index: BigInt(this.withdrawalList.length),
        sender: sender.address,
        recipient: plan.to,
        l1Token:
          tokenIndex === ETH_TOKEN_INDEX
            ? ZERO_ADDRESS
            : (this.tokenList[tokenIndex - 1] as TokenInfo).l1Address,
        amount,
      })
      this.withdrawalList.push(withdrawal)
    }
    if (fee !== 0n) {
      const vault = this.accountList[0] as Account
      this.setBalance(vault, ETH_TOKEN_INDEX, (vault.balances.get(ETH_TOKEN_INDEX) ?? 0n) + fee)
    }
    const receipt: TxReceiptData = { gasUsed: plan.gas, effectiveGasPrice: plan.effectiveGasPrice, fee }
    if (withdrawal !== undefined) receipt.withdrawal = withdrawal
    return receipt
  }

  /** Throws `UNKNOWN_TOKEN` unless `tokenIndex` is a registered token (or ETH, when `allowEth`). */
  private checkToken(tokenIndex: number, allowEth: boolean): void {
    if (allowEth && tokenIndex === ETH_TOKEN_INDEX) return
    if (!Number.isInteger(tokenIndex) || tokenIndex < 1 || tokenIndex > this.tokenList.length) {
      const registered =
        this.tokenList.length === 0 ? 'none registered yet' : `registered: 1..${this.tokenList.length}`
      throw invalid('UNKNOWN_TOKEN', `token index ${tokenIndex} is not a bridged token (${registered})`, {
        tokenIndex,
        tokenCount: this.tokenList.length,
      })
    }
  }

  /**
   * Throws `UNKNOWN_TOKEN` unless a transaction may name `tokenIndex`: 1..tokenCount (a deposit of it was applied).
   */
  private checkTxToken(tokenIndex: number): void {
    if (Number.isInteger(tokenIndex) && tokenIndex >= 1 && tokenIndex <= this.depositedTokens) return
    const registered = Number.isInteger(tokenIndex) && tokenIndex >= 1 && tokenIndex <= this.tokenList.length
    const message = registered
      ? `token index ${tokenIndex} is registered but no deposit of it has reached L2 yet (tokens usable so far: ${this.depositedTokens === 0 ? 'none' : `1..${this.depositedTokens}`})`
      : `token index ${tokenIndex} is not a bridged token (${this.tokenList.length === 0 ? 'none registered yet' : `registered: 1..${this.tokenList.length}`})`
    throw invalid('UNKNOWN_TOKEN', message, {
      tokenIndex,
      tokenCount: this.depositedTokens,
      registeredTokens: this.tokenList.length,
    })
  }

  private createAccount(address: Address): Account {
    const index = this.accountList.length
    if (index >= MAX_TREE_ENTRIES) {
      throw new L2kitError('ACCOUNTS_FULL', 'the accounts tree is full (2^32 accounts)', {
        kind: ErrorKind.critical,
      })
    }
    const account: Account = { index, address, nonce: 0n, balances: new Map(), balancesRoot: undefined }
    this.accountList.push(account)
    this.accountsByAddress.set(address, account)
    this.addressTree.set(address, index)
    this.markDirty(account)
    return account
  }

  private setBalance(account: Account, tokenIndex: number, value: bigint): void {
    if (value === 0n) account.balances.delete(tokenIndex)
    else account.balances.set(tokenIndex, value)
    account.balancesRoot = undefined
    this.markDirty(account)
  }

  private markDirty(account: Account): void {
    this.rootDirtyAccounts.add(account.index)
    this.persistDirtyAccounts.add(account.index)
  }

  // ----- roots and proofs ----------------------------------------------------------------------------------------

  /** keccak256(accountsRoot ‖ withdrawalsRoot). */
  stateRoot(): Hex {
    return stateRootOf(this.accountsRootBytes(), this.withdrawalsRootBytes())
  }

  accountsRoot(): Hex {
    return bytesToHex(this.accountsRootBytes())
  }

  withdrawalsRoot(): Hex {
    return bytesToHex(this.withdrawalsRootBytes())
  }

  /** Root of the address tree (depth 160, address → account index + 1). */
  addressesRoot(): Hex {
    return this.addressTree.root()
  }

  /**
   * The fraud-proof state header (docs/optimistic.md) of this state after L2 block `blockNumber` (the state does
   * not track blocks; the caller knows which block it closed last). `stateCommitment(header)` is the trace leaf.
   */
  stateHeader(blockNumber: bigint): StateHeader {
    return {
      accountsRoot: this.accountsRoot(),
      withdrawalsRoot: this.withdrawalsRoot(),
      addressesRoot: this.addressesRoot(),
      accountCount: BigInt(this.accountList.length),
      withdrawalCount: BigInt(this.withdrawalList.length),
      depositCount: this.deposits,
      blockNumber,
      tokenCount: this.depositedTokens,
    }
  }

  /**
   * Address-tree proof of `address` against `addressesRoot()`: membership (`leaf = index + 1`) when it has an
   * account, non-membership (`leaf = 0`) otherwise. Throws `INVALID_ADDRESS`.
   */
  addressProof(address: string): AddressProof {
    return this.addressTree.proof(checkAddress(address, 'address'))
  }

  /** The accounts-tree leaf of account `index` (zero for an unused index). */
  accountLeaf(index: number): Hex {
    this.flushAccounts()
    return bytesToHex(this.accountsTree.get(index))
  }

  /** Balances-tree root of account `index` (the empty tree's root for an unused index). */
  balancesRoot(index: number): Hex {
    const account = this.accountList[index]
    return bytesToHex(
      account === undefined ? balancesRootBytes(new Map(), this.hasher) : this.balancesRootOf(account),
    )
  }

  /** Proof of withdrawal `index` against the current state root, in the shape `Portal.finalizeWithdrawal` takes. */
  withdrawalProof(index: number | bigint): WithdrawalProof {
    const withdrawal = this.getWithdrawal(index)
    if (withdrawal === undefined) {
      throw invalid(
        'UNKNOWN_WITHDRAWAL',
        `withdrawal ${index} does not exist (there are ${this.withdrawalList.length})`,
        {
          withdrawalIndex: String(index),
          withdrawalCount: this.withdrawalList.length,
        },
      )
    }
    const accountsRoot = this.accountsRootBytes()
    const withdrawalsRoot = this.withdrawalsRootBytes()
    return {
      withdrawal,
      withdrawalHash: bytesToHex(this.withdrawalsTree.get(Number(withdrawal.index))),
      accountsRoot: bytesToHex(accountsRoot),
      withdrawalsRoot: bytesToHex(withdrawalsRoot),
      siblings: this.withdrawalsTree.proof(Number(withdrawal.index)).map(bytesToHex),
      stateRoot: stateRootOf(accountsRoot, withdrawalsRoot),
    }
  }

  /** Proof of account `index` in the accounts tree against the current state root. */
  accountProof(index: number): AccountProof {
    const account = this.accountList[index]
    if (account === undefined) {
      throw invalid(
        'UNKNOWN_ACCOUNT',
        `account index ${index} does not exist (there are ${this.accountList.length})`,
        {
          accountIndex: index,
        },
      )
    }
    const accountsRoot = this.accountsRootBytes()
    const withdrawalsRoot = this.withdrawalsRootBytes()
    return {
      index,
      address: account.address,
      nonce: account.nonce,
      balancesRoot: bytesToHex(this.balancesRootOf(account)),
      leaf: bytesToHex(this.accountsTree.get(index)),
      siblings: this.accountsTree.proof(index).map(bytesToHex),
      accountsRoot: bytesToHex(accountsRoot),
      withdrawalsRoot: bytesToHex(withdrawalsRoot),
      stateRoot: stateRootOf(accountsRoot, withdrawalsRoot),
    }
  }

  /**
   * Account `index`'s leaf preimage and 32 siblings against `accountsRoot()`, for any index in [0, 2^32): an
   * unused index (e.g. `accountCount`, where a new account goes) yields the zero preimage and its empty slot's
   * siblings. Throws `UNKNOWN_ACCOUNT` outside the tree.
   */
  accountWitness(index: number): AccountWitness {
    if (!Number.isSafeInteger(index) || index < 0 || index >= MAX_TREE_ENTRIES) {
      throw invalid('UNKNOWN_ACCOUNT', `account index ${index} is outside the accounts tree [0, 2^32)`, {
        accountIndex: index,
      })
    }
    this.flushAccounts()
    const account = this.accountList[index]
    return {
      index: BigInt(index),
      owner: account?.address ?? ZERO_ADDRESS,
      nonce: account?.nonce ?? 0n,
      balancesRoot: this.balancesRoot(index),
      siblings: this.accountsTree.proof(index).map(bytesToHex),
    }
  }

  /**
   * Balance of token `tokenIndex` (0 = ETH) of account `accountIndex` and its 8 siblings against the account's
   * balances root (`balancesRoot(accountIndex)`); an unused account index gives 0 and the empty tree's siblings.
   */
  balanceWitness(accountIndex: number, tokenIndex: number): BalanceWitness {
    if (!Number.isInteger(tokenIndex) || tokenIndex < 0 || tokenIndex > MAX_TOKENS) {
      throw invalid(
        'UNKNOWN_TOKEN',
        `token index ${tokenIndex} is outside the balances tree [0, ${MAX_TOKENS}]`,
        {
          tokenIndex,
        },
      )
    }
    const balances = this.accountList[accountIndex]?.balances ?? new Map<number, bigint>()
    // A throwaway depth-8 tree: at most 256 leaves, so rebuilding it costs less than keeping one per account.
    const tree = new SparseMerkleTree(BALANCES_TREE_DEPTH, this.hasher)
    for (const [token, amount] of balances) {
      const leaf = new Uint8Array(32)
      writeBigintBE(leaf, 0, amount, 32)
      tree.set(token, leaf)
    }
    return { amount: balances.get(tokenIndex) ?? 0n, siblings: tree.proof(tokenIndex).map(bytesToHex) }
  }

  /**
   * Siblings (32, bottom-up) of withdrawal slot `index` against `withdrawalsRoot()`, used or not; the default,
   * `withdrawals.length`, is the empty slot the next withdrawal fills.
   */
  withdrawalSlotSiblings(index: number = this.withdrawalList.length): Hex[] {
    if (!Number.isSafeInteger(index) || index < 0 || index >= MAX_TREE_ENTRIES) {
      throw invalid(
        'UNKNOWN_WITHDRAWAL',
        `withdrawal index ${index} is outside the withdrawals tree [0, 2^32)`,
        {
          withdrawalIndex: index,
        },
      )
    }
    this.flushWithdrawals()
    return this.withdrawalsTree.proof(index).map(bytesToHex)
  }

  private balancesRootOf(account: Account): Uint8Array {
    account.balancesRoot ??= balancesRootBytes(account.balances, this.hasher)
    return account.balancesRoot
  }

  /** Rehashes the leaves of dirty accounts into the accounts tree (the tree itself rehashes lazily). */
  private flushAccounts(): void {
    if (this.rootDirtyAccounts.size === 0) return
    for (const index of this.rootDirtyAccounts) {
      const account = this.accountList[index] as Account
      if (account.nonce > MAX_UINT64) {
        throw new L2kitError('NONCE_OVERFLOW', `nonce of ${account.address} exceeds uint64`, {
          kind: ErrorKind.critical,
        })
      }
      this.accountsTree.set(
        index,
        accountLeafBytes(account.address, account.nonce, this.balancesRootOf(account)),
      )
    }
    this.rootDirtyAccounts.clear()
  }

  private flushWithdrawals(): void {
    for (; this.withdrawalsInTree < this.withdrawalList.length; this.withdrawalsInTree++) {
      const w = this.withdrawalList[this.withdrawalsInTree] as Withdrawal
      this.withdrawalsTree.set(this.withdrawalsInTree, withdrawalHashBytes(w))
    }
  }

  private accountsRootBytes(): Uint8Array {
    this.flushAccounts()
    return this.accountsTree.root()
  }

  private withdrawalsRootBytes(): Uint8Array {
    this.flushWithdrawals()
    return this.withdrawalsTree.root()
  }

  // ----- persistence ---------------------------------------------------------------------------------------------

  /**
   * Account indices, withdrawal indices and token indices changed or added since the previous call (or since
   * construction / `fromSnapshot`), and resets that record. The node writes exactly these to its store.
   */
  takeDirty(): StateChanges {
    const accounts = Array.from(this.persistDirtyAccounts).sort((a, b) => a - b)
    this.persistDirtyAccounts.clear()
    const withdrawals: number[] = []
    for (let i = this.persistedWithdrawals; i < this.withdrawalList.length; i++) withdrawals.push(i)
    this.persistedWithdrawals = this.withdrawalList.length
    const tokens: number[] = []
    for (let i = this.persistedTokens; i < this.tokenList.length; i++) tokens.push(i + 1)
    this.persistedTokens = this.tokenList.length
    return { accounts, withdrawals, tokens, depositCount: this.deposits }
  }

  /** Plain-data copy of account `index`. */
  exportAccount(index: number): AccountSnapshot {
    const account = this.accountList[index]
    if (account === undefined) {
      throw invalid(
        'UNKNOWN_ACCOUNT',
        `account index ${index} does not exist (there are ${this.accountList.length})`,
        {
          accountIndex: index,
        },
      )
    }
    const balances = Array.from(account.balances, ([token, amount]): [number, string] => [
      token,
      amount.toString(),
    ])
    balances.sort((a, b) => a[0] - b[0])
    return { address: account.address, nonce: account.nonce.toString(), balances }
  }

  /**
   * Restores account `index` from plain data: overwrites it if it exists (same address required), or appends it
   * when `index === accountCount`. For rebuilding a state from a store; not a protocol operation. Tokens must be
   * registered first. Does not mark the account for `takeDirty` (it came from the store).
   */
  importAccount(index: number, data: AccountSnapshot): void {
    const address = checkAddress(data.address, `account ${index} address`) as Address
    const nonce = parseUint(data.nonce, `account ${index} nonce`, MAX_UINT64)
    const balances = new Map<number, bigint>()
    for (const entry of data.balances) {
      const [token, raw] = entry
      this.checkToken(token, true)
      if (balances.has(token))
        throw invalid('INVALID_SNAPSHOT', `account ${index} lists token ${token} twice`, {})
      const amount = parseUint(raw, `account ${index} balance of token ${token}`, MAX_UINT256)
      if (amount !== 0n) balances.set(token, amount)
    }
    const existing = this.accountList[index]
    const holder = this.accountsByAddress.get(address)
    if (existing !== undefined) {
      if (existing.address !== address) {
        throw invalid('INVALID_SNAPSHOT', `account ${index} is ${existing.address}, not ${address}`, {
          accountIndex: index,
        })
      }
      existing.nonce = nonce
      existing.balances = balances
      existing.balancesRoot = undefined
      this.rootDirtyAccounts.add(index)
      return
    }
    if (index !== this.accountList.length) {
      throw invalid(
        'INVALID_SNAPSHOT',
        `account ${index} cannot be imported before account ${this.accountList.length}`,
        {
          accountIndex: index,
        },
      )
    }
    if (holder !== undefined) {
      throw invalid('INVALID_SNAPSHOT', `${address} already has account index ${holder.index}`, {
        accountIndex: index,
      })
    }
    const account = this.createAccount(address)
    this.persistDirtyAccounts.delete(account.index)
    account.nonce = nonce
    account.balances = balances
  }

  /** Plain-data copy of withdrawal `index`. */
  exportWithdrawal(index: number): WithdrawalSnapshot {
    const w = this.getWithdrawal(index)
    if (w === undefined) {
      throw invalid('UNKNOWN_WITHDRAWAL', `withdrawal ${index} does not exist`, { withdrawalIndex: index })
    }
    return {
      index: w.index.toString(),
      sender: w.sender,
      recipient: w.recipient,
      l1Token: w.l1Token,
      amount: w.amount.toString(),
    }
  }

  /** Appends a withdrawal from plain data (its index must be the next one). For restoring from a store. */
  importWithdrawal(data: WithdrawalSnapshot): void {
    const index = parseUint(data.index, 'withdrawal index', MAX_UINT64)
    if (index !== BigInt(this.withdrawalList.length)) {
      throw invalid(
        'INVALID_SNAPSHOT',
        `withdrawal ${index} imported out of order: expected ${this.withdrawalList.length}`,
        {},
      )
    }
    const withdrawal: Withdrawal = Object.freeze({
      index,
      sender: checkAddress(data.sender, `withdrawal ${index} sender`) as Address,
      recipient: checkAddress(data.recipient, `withdrawal ${index} recipient`) as Address,
      l1Token: checkAddress(data.l1Token, `withdrawal ${index} l1Token`) as Address,
      amount: parseUint(data.amount, `withdrawal ${index} amount`, MAX_UINT256),
    })
    this.withdrawalList.push(withdrawal)
    this.persistedWithdrawals = this.withdrawalList.length
  }

  /** Full plain-data (JSON-safe) dump of the state. */
  snapshot(): StateSnapshot {
    return {
      version: 1,
      depositCount: this.deposits.toString(),
      tokenCount: this.depositedTokens,
      tokens: this.tokenList.map((t) => ({ ...t })),
      accounts: this.accountList.map((_, i) => this.exportAccount(i)),
      withdrawals: this.withdrawalList.map((_, i) => this.exportWithdrawal(i)),
    }
  }

  /** Rebuilds a state from `snapshot()` output (or the same data assembled from a store). Nothing is dirty after. */
  static fromSnapshot(config: StateConfig, snapshot: StateSnapshot): L2State {
    if (snapshot.version !== 1) {
      throw invalid('INVALID_SNAPSHOT', `unsupported state snapshot version ${String(snapshot.version)}`, {})
    }
    const state = new L2State(config)
    for (const token of snapshot.tokens) state.registerToken(token)
    const vault = snapshot.accounts[0]
    if (vault === undefined || vault.address.toLowerCase() !== L2_FEE_VAULT_ADDRESS) {
      throw invalid('INVALID_SNAPSHOT', 'account 0 of a snapshot must be the fee vault', {})
    }
    for (const [index, account] of snapshot.accounts.entries()) state.importAccount(index, account)
    for (const w of snapshot.withdrawals) state.importWithdrawal(w)
    state.deposits = parseUint(snapshot.depositCount, 'depositCount', MAX_UINT64)
    const tokenCount = snapshot.tokenCount
    // Deposits need a registered token, so tokenCount never exceeds the registry.
    if (!Number.isInteger(tokenCount) || tokenCount < 0 || tokenCount > state.tokenList.length) {
      throw invalid(
        'INVALID_SNAPSHOT',
        `tokenCount must be an integer in 0..${state.tokenList.length} (the registered tokens), got ${String(tokenCount)}`,
        {},
      )
    }
    state.depositedTokens = tokenCount
    state.persistDirtyAccounts.clear()
    state.persistedTokens = state.tokenList.length
    return state
  }

  /**
   * An independent deep copy, for speculative execution and for a fraud-proof prover that replays a batch up to
   * one row and then reads witnesses (`accountWitness`, `balanceWitness`, `withdrawalSlotSiblings`,
   * `addressProof`, `stateHeader`) without disturbing the original. Cost: O(accounts + tree nodes) — every
   * account object and balance Map is copied and the accounts and withdrawals trees' slabs are memcpy'd; about
   * 1 µs per account plus ~100 bytes per tree node, so fine for thousands of accounts, noticeable (100s of ms) at
   * millions (a prover should clone once per batch and replay rows forward, not clone per row). The address tree
   * is shared in O(1) (its nodes are immutable); frozen withdrawals and token records are shared.
   */
  clone(): L2State {
    const copy = Object.create(L2State.prototype) as L2State
    const accountList = this.accountList.map(
      (a): Account => ({
        index: a.index,
        address: a.address,
        nonce: a.nonce,
        balances: new Map(a.balances),
        balancesRoot: a.balancesRoot,
      }),
    )
    const fields: Record<string, unknown> = {
      chainId: this.chainId,
      baseFee: this.baseFee,
      hasher: this.hasher,
      accountsByAddress: new Map(accountList.map((a) => [a.address, a])),
      accountList,
      tokenList: this.tokenList.slice(),
      tokensByL2Address: new Map(this.tokensByL2Address),
      withdrawalList: this.withdrawalList.slice(),
      deposits: this.deposits,
      depositedTokens: this.depositedTokens,
      accountsTree: this.accountsTree.clone(),
      withdrawalsTree: this.withdrawalsTree.clone(),
      addressTree: this.addressTree.clone(),
      rootDirtyAccounts: new Set(this.rootDirtyAccounts),
      withdrawalsInTree: this.withdrawalsInTree,
      persistDirtyAccounts: new Set(this.persistDirtyAccounts),
      persistedWithdrawals: this.persistedWithdrawals,
      persistedTokens: this.persistedTokens,
    }
    return Object.assign(copy, fields)
  }
}

function parseUint(value: string, what: string, max: bigint): bigint {
  if (typeof value !== 'string' || !/^(0|[1-9][0-9]*)$/.test(value)) {
    throw invalid('INVALID_SNAPSHOT', `${what} must be a decimal string, got ${JSON.stringify(value)}`, {})
  }
  const n = BigInt(value)
  if (n > max) throw invalid('INVALID_SNAPSHOT', `${what} ${value} is out of range`, {})
  return n
}
