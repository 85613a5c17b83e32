/**
 * Transaction execution on ethereumjs' EVM (interpreter, precompiles, gas rules of the chosen hardfork), with the
 * transaction-level rules done here rather than by `@ethereumjs/vm`'s `runTx` — which copies its `Common` for every
 * transaction object and checks far more than a chain without blobs, beacon roots or EIP-7702 needs. What this file
 * does is Ethereum's state transition (EELS `process_transaction`) for legacy and EIP-1559 transactions:
 *
 * - validity (`txProblem`): nonce equal to the sender's, sender without code (EIP-3607), `maxFee ≥ baseFee`,
 *   gas limit ≥ intrinsic gas and EIP-7623's floor, ≤ the gas left in the block (and EIP-7825's cap from Osaka),
 *   balance ≥ gasLimit · maxFee + value;
 * - the sender pays gasLimit · effectiveGasPrice up front and its nonce goes up; precompiles, sender, recipient and
 *   coinbase are warm (EIP-2929/3651) with the access list;
 * - the message runs with gasLimit − intrinsic; refunds are capped at a fifth (EIP-3529); the floor applies
 *   (EIP-7623); unused gas is paid back; the coinbase gets gasUsed · (effectiveGasPrice − baseFee); the base fee is
 *   burnt; contracts self-destructed in their creating transaction are deleted (EIP-6780); touched empty accounts
 *   are removed (EIP-161).
 *
 * A reverted or failed message is still a valid transaction: status 0, gas charged, its logs dropped.
 */
import type { Common } from '@ethereumjs/common'
import type { EVM } from '@ethereumjs/evm'
import { Account, Address as EthAddress, bytesToHex as ethBytesToHex, KECCAK256_NULL } from '@ethereumjs/util'
import { bytesToHex, hexToBytes } from '../../core/bytes.ts'
import { L2kitError } from '../../core/errors.ts'
import type { Address, Hex } from '../../core/types.ts'
import type { BlockLog } from '../protocol/block.ts'
import { SidechainErrorCode } from '../protocol/errors.ts'
import type { AccountRecord, OverlayState } from './overlayState.ts'
import { effectiveGasPrice, type PoolTx } from './tx.ts'

/** The block a transaction runs in, as the EVM's opcodes see it. */
export type BlockEnv = {
  number: bigint
  timestamp: number
  coinbase: Address
  gasLimit: bigint
  baseFee: bigint
  /** PREVRANDAO: the parent's hash (a BFT chain has no beacon randomness; do not use it as such). */
  prevRandao: Uint8Array
}

/** The EVM's `Block` duck type. */
export type EvmBlock = {
  header: {
    number: bigint
    coinbase: EthAddress
    timestamp: bigint
    difficulty: bigint
    prevRandao: Uint8Array
    gasLimit: bigint
    baseFeePerGas: bigint
    getBlobGasPrice(): bigint
  }
}

export function evmBlock(env: BlockEnv): EvmBlock {
  return {
    header: {
      number: env.number,
      coinbase: new EthAddress(hexToBytes(env.coinbase)),
      timestamp: BigInt(env.timestamp),
      difficulty: 0n,
      prevRandao: env.prevRandao,
      gasLimit: env.gasLimit,
      baseFeePerGas: env.baseFee,
      // No blobs: BLOBBASEFEE answers EIP-4844's minimum.
      getBlobGasPrice: () => 1n,
    },
  }
}

export type ExecContext = {
  evm: EVM
  state: OverlayState
  common: Common
  env: BlockEnv
  block: EvmBlock
  /** EIP-7825 (Osaka): a transaction's gas limit is at most 2^24. */
  txGasCap: bigint | undefined
}

export type TxOutcome = {
  status: 0 | 1
  gasUsed: bigint
  effectiveGasPrice: bigint
  logs: BlockLog[]
  contractAddress?: Address
  /** Return data, or the revert data of a reverted message. */
  returnValue: Uint8Array
  /** The EVM's error for a failed message (`revert`, `out of gas`, …). */
  error?: string
}

const EMPTY_ACCOUNT: AccountRecord = { nonce: 0n, balance: 0n, codeHash: KECCAK256_NULL }

function key(address: Address): string {
  return address.slice(2)
}

function isEmptyCode(codeHash: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) if (codeHash[i] !== KECCAK256_NULL[i]) return false
  return true
}

/**
 * Why `tx` cannot be included now, as the typed error wallets understand (NONCE_TOO_LOW / NONCE_TOO_HIGH,
 * INSUFFICIENT_BALANCE, GAS_LIMIT_TOO_LOW, FEE_CAP_TOO_LOW, SIDECHAIN_INVALID_TX); undefined when it can.
 * `gasLeft` is the block's remaining gas.
 */
export function txProblem(
  state: OverlayState,
  tx: PoolTx,
  baseFee: bigint,
  gasLeft: bigint,
  txGasCap: bigint | undefined,
): L2kitError | undefined {
  const account = state.accountRecord(key(tx.from)) ?? EMPTY_ACCOUNT
  if (tx.nonce !== account.nonce) {
    const low = tx.nonce < account.nonce
    return new L2kitError(
      low ? 'NONCE_TOO_LOW' : 'NONCE_TOO_HIGH',
      `nonce too ${low ? 'low' : 'high'}: next nonce ${account.nonce}, tx nonce ${tx.nonce}`,
      { details: { sender: tx.from, accountNonce: account.nonce.toString(), txNonce: tx.nonce.toString() } },
    )
  }
  return staticProblem(tx, account, baseFee, gasLeft, txGasCap)
}

/** The checks that do not depend on the nonce (the mempool accepts future nonces). */
export function staticProblem(
  tx: PoolTx,
  account: AccountRecord,
  baseFee: bigint,
  gasLeft: bigint,
  txGasCap: bigint | undefined,
): L2kitError | undefined {
  if (!isEmptyCode(account.codeHash)) {
    return new L2kitError(SidechainErrorCode.invalidTx, `sender not an eoa: ${tx.from} has code (EIP-3607)`, {
      details: { sender: tx.from },
    })
  }
  // biome-ignore lint/complexity/useMathMinMax: bigints (Math.min/max take numbers only)
  const required = tx.intrinsicGas > tx.floorGas ? tx.intrinsicGas : tx.floorGas
  if (tx.gasLimit < required) {
    return new L2kitError(
      'GAS_LIMIT_TOO_LOW',
      `intrinsic gas too low: gas ${tx.gasLimit}, minimum needed ${required}`,
      {
        details: { gasLimit: tx.gasLimit.toString(), required: required.toString() },
      },
    )
  }
  if (txGasCap !== undefined && tx.gasLimit > txGasCap) {
    return new L2kitError(
      SidechainErrorCode.invalidTx,
      `gas limit ${tx.gasLimit} is above the cap ${txGasCap}`,
      {
        details: { gasLimit: tx.gasLimit.toString(), cap: txGasCap.toString() },
      },
    )
  }
  if (tx.gasLimit > gasLeft) {
    return new L2kitError(
      SidechainErrorCode.invalidTx,
      `exceeds block gas limit: ${tx.gasLimit} > ${gasLeft}`,
      {
        details: { gasLimit: tx.gasLimit.toString(), gasLeft: gasLeft.toString() },
      },
    )
  }
  if (tx.maxFee < baseFee) {
    return new L2kitError(
      'FEE_CAP_TOO_LOW',
      `max fee per gas less than block base fee: ${tx.maxFee} < ${baseFee}`,
      {
        details: { maxFeePerGas: tx.maxFee.toString(), baseFee: baseFee.toString() },
      },
    )
  }
  const cost = tx.gasLimit * tx.maxFee + tx.value
  if (account.balance < cost) {
    return new L2kitError(
      'INSUFFICIENT_BALANCE',
      `insufficient funds for gas * price + value: balance ${account.balance}, cost ${cost}`,
      { details: { sender: tx.from, balance: account.balance.toString(), required: cost.toString() } },
    )
  }
  return undefined
}

function toAccount(r: AccountRecord): Account {
  return new Account(r.nonce, r.balance, undefined, r.codeHash)
}

function logsOf(raw: unknown): BlockLog[] {
  if (!Array.isArray(raw)) return []
  return raw.map((l) => {
    const [address, topics, data] = l as [Uint8Array, Uint8Array[], Uint8Array]
    return {
      address: bytesToHex(address) as Address,
      topics: topics.map((t) => bytesToHex(t)),
      data: bytesToHex(data),
    }
  })
}

/** Warms what EIP-2929/2930/3651 warm before a transaction's message runs. */
function warm(
  ctx: ExecContext,
  from: Address,
  to: Address | undefined,
  accessList: PoolTx['accessList'],
): void {
  const journal = ctx.evm.journal
  for (const address of ctx.evm.precompiles.keys()) journal.addAlwaysWarmAddress(address)
  journal.addAlwaysWarmAddress(key(from))
  if (to !== undefined) journal.addAlwaysWarmAddress(key(to))
  journal.addAlwaysWarmAddress(key(ctx.env.coinbase))
  for (const item of accessList) {
    journal.addAlwaysWarmAddress(key(item.address), true)
    for (const slot of item.storageKeys) journal.addAlwaysWarmSlot(key(item.address), slot.slice(2), true)
  }
}

/** Gas a transaction (or call) is charged: intrinsic + execution, minus refunds capped at a fifth (EIP-3529), at
 * least EIP-7623's floor. */
function chargedGas(
  tx: { intrinsicGas: bigint; floorGas: bigint },
  exec: { executionGasUsed: bigint; gasRefund?: bigint },
): bigint {
  let gasUsed = tx.intrinsicGas + exec.executionGasUsed
  const refund = exec.gasRefund ?? 0n
  const maxRefund = gasUsed / 5n
  gasUsed -= refund < maxRefund ? refund : maxRefund
  return gasUsed < tx.floorGas ? tx.floorGas : gasUsed
}

/**
 * Whether `tx` is a plain value transfer: to an address without code that is not a precompile, with no data. Such
 * a message runs no EVM code at all (no gas beyond the intrinsic, no logs, no refund), so `executeTx` applies it
 * directly — the same state changes, in the same order, as the EVM path (tested against it).
 */
function isPlainTransfer(ctx: ExecContext, tx: PoolTx): tx is PoolTx & { to: Address } {
  if (tx.to === undefined || tx.data.length !== 0) return false
  const to = key(tx.to)
  if (ctx.evm.precompiles.has(to)) return false
  const recipient = ctx.state.accountRecord(to)
  return recipient === undefined || isEmptyCode(recipient.codeHash)
}

function isEmptyAccount(r: AccountRecord): boolean {
  return r.nonce === 0n && r.balance === 0n && isEmptyCode(r.codeHash)
}

/** A plain value transfer, as the EVM path would do it (see `isPlainTransfer`). */
function executePlainTransfer(ctx: ExecContext, tx: PoolTx & { to: Address }): TxOutcome {
  const { state, env } = ctx
  const gasPrice = effectiveGasPrice(tx, env.baseFee)
  const gasUsed = chargedGas(tx, { executionGasUsed: 0n })
  const account = (k: string) => state.accountRecord(k) ?? EMPTY_ACCOUNT
  const from = key(tx.from)
  const to = key(tx.to)
  const coinbase = key(env.coinbase)
  // The fee up front and the nonce, the value, the unused gas back, the proposer's tip: executeTx's order.
  const s = account(from)
  state.setAccountRecord(from, {
    ...s,
    nonce: s.nonce + 1n,
    balance: s.balance - tx.gasLimit * gasPrice - tx.value,
  })
  const r = account(to)
  state.setAccountRecord(to, { ...r, balance: r.balance + tx.value })
  const back = account(from)
  state.setAccountRecord(from, { ...back, balance: back.balance + (tx.gasLimit - gasUsed) * gasPrice })
  const miner = account(coinbase)
  state.setAccountRecord(coinbase, { ...miner, balance: miner.balance + (gasPrice - env.baseFee) * gasUsed })
  // EIP-161: touched accounts left empty are removed (a zero-value transfer to a fresh address creates nothing).
  for (const k of [from, to, coinbase]) {
    const a = state.accountRecord(k)
    if (a !== undefined && isEmptyAccount(a)) state.setAccountRecord(k, null)
  }
  return { status: 1, gasUsed, effectiveGasPrice: gasPrice, logs: [], returnValue: new Uint8Array(0) }
}

/**
 * Executes a valid transaction (the caller checked `txProblem`) on `ctx.state`: the fee, the message, the refunds,
 * the proposer's tip. Never throws for anything the transaction does; an exception here is an internal fault.
 * `viaEvm` forces the EVM path for a plain transfer (tests compare the two).
 */
export async function executeTx(ctx: ExecContext, tx: PoolTx, viaEvm = false): Promise<TxOutcome> {
  if (!viaEvm && isPlainTransfer(ctx, tx)) return executePlainTransfer(ctx, tx)
  const { evm, state, env } = ctx
  const journal = evm.journal
  const gasPrice = effectiveGasPrice(tx, env.baseFee)
  const sender = new EthAddress(hexToBytes(tx.from))
  await journal.cleanup()
  warm(ctx, tx.from, tx.to, tx.accessList)
  const before = state.accountRecord(key(tx.from)) ?? EMPTY_ACCOUNT
  await journal.putAccount(
    sender,
    toAccount({
      nonce: before.nonce + 1n,
      balance: before.balance - tx.gasLimit * gasPrice,
      codeHash: before.codeHash,
    }),
  )
  const result = await evm.runCall({
    block: ctx.block as never,
    gasPrice,
    caller: sender,
    origin: sender,
    gasLimit: tx.gasLimit - tx.intrinsicGas,
    ...(tx.to === undefined ? {} : { to: new EthAddress(hexToBytes(tx.to)) }),
    value: tx.value,
    data: tx.data,
    skipNonceIncrement: true,
  })
  const exec = result.execResult
  const gasUsed = chargedGas(tx, exec)
  const after = state.accountRecord(key(tx.from)) ?? EMPTY_ACCOUNT
  await journal.putAccount(
    sender,
    toAccount({ ...after, balance: after.balance + (tx.gasLimit - gasUsed) * gasPrice }),
  )
  const tip = (gasPrice - env.baseFee) * gasUsed
  const coinbase = ctx.block.header.coinbase
  const miner = state.accountRecord(key(env.coinbase)) ?? EMPTY_ACCOUNT
  await journal.putAccount(coinbase, toAccount({ ...miner, balance: miner.balance + tip }))
  if (exec.exceptionError === undefined && exec.selfdestruct !== undefined) {
    for (const address of [...exec.selfdestruct.keys()].sort()) {
      // EIP-6780: only a contract created in this transaction is deleted.
      if (exec.createdAddresses?.has(address) === true) {
        await journal.deleteAccount(new EthAddress(hexToBytes(address as Hex)))
      }
    }
  }
  await journal.cleanup()
  state.originalStorageCache.clear()
  const failed = exec.exceptionError !== undefined
  return {
    status: failed ? 0 : 1,
    gasUsed,
    effectiveGasPrice: gasPrice,
    logs: failed ? [] : logsOf(exec.logs),
    ...(!failed && tx.to === undefined && result.createdAddress !== undefined
      ? { contractAddress: result.createdAddress.toString() as Address }
      : {}),
    returnValue: exec.returnValue,
    ...(failed ? { error: exec.exceptionError?.error ?? 'failed' } : {}),
  }
}

/** An eth_call-style message: no nonce, no fee (the gas price only feeds GASPRICE), free caller. */
export type CallMessage = {
  from: Address
  to: Address | undefined
  value: bigint
  data: Uint8Array
  gasLimit: bigint
  gasPrice: bigint
  accessList: PoolTx['accessList']
  intrinsicGas: bigint
  floorGas: bigint
}

/**
 * Runs a call on `ctx.state` (thrown away by the caller). Gas used counts like a transaction's. With
 * `reportAccessList`, `accessList` lists every address and slot the call touched (EIP-2930 shape, unprefixed keys
 * as the journal keeps them).
 */
export async function executeCall(
  ctx: ExecContext,
  msg: CallMessage,
  options: { reportAccessList?: boolean } = {},
): Promise<TxOutcome & { accessList?: Map<string, Set<string>> }> {
  const { evm, state } = ctx
  const journal = evm.journal
  await journal.cleanup()
  if (options.reportAccessList === true) journal.startReportingAccessList()
  warm(ctx, msg.from, msg.to, msg.accessList)
  const caller = new EthAddress(hexToBytes(msg.from))
  // The caller's nonce goes up as a transaction's would (a CREATE's address depends on it).
  const before = state.accountRecord(key(msg.from)) ?? EMPTY_ACCOUNT
  await journal.putAccount(caller, toAccount({ ...before, nonce: before.nonce + 1n }))
  const result = await evm.runCall({
    block: ctx.block as never,
    gasPrice: msg.gasPrice,
    caller,
    origin: caller,
    gasLimit: msg.gasLimit - msg.intrinsicGas,
    ...(msg.to === undefined ? {} : { to: new EthAddress(hexToBytes(msg.to)) }),
    value: msg.value,
    data: msg.data,
    skipNonceIncrement: true,
  })
  const exec = result.execResult
  const gasUsed = chargedGas(msg, exec)
  const failed = exec.exceptionError !== undefined
  const out: TxOutcome & { accessList?: Map<string, Set<string>> } = {
    ...(journal.accessList === undefined ? {} : { accessList: journal.accessList }),
    status: failed ? 0 : 1,
    gasUsed,
    effectiveGasPrice: msg.gasPrice,
    logs: failed ? [] : logsOf(exec.logs),
    returnValue: exec.returnValue,
    ...(failed ? { error: exec.exceptionError?.error ?? 'failed' } : {}),
  }
  if (!failed && msg.to === undefined && result.createdAddress !== undefined)
    out.contractAddress = result.createdAddress.toString() as Address
  state.originalStorageCache.clear()
  return out
}

/**
 * A system call (L1 deposit finalization): from `caller` (a sender no one holds a key for), no gas charged to
 * anyone, not counted in the block's gas, no nonce change; touched empty accounts removed as after a transaction.
 */
export async function executeSystemCall(
  ctx: ExecContext,
  caller: Address,
  to: Address,
  data: Uint8Array,
  gasLimit: bigint,
): Promise<TxOutcome> {
  const journal = ctx.evm.journal
  await journal.cleanup()
  const result = await ctx.evm.runCall({
    block: ctx.block as never,
    gasPrice: 0n,
    caller: new EthAddress(hexToBytes(caller)),
    to: new EthAddress(hexToBytes(to)),
    value: 0n,
    data,
    gasLimit,
    skipNonceIncrement: true,
  })
  await journal.cleanup()
  ctx.state.originalStorageCache.clear()
  const exec = result.execResult
  const failed = exec.exceptionError !== undefined
  return {
    status: failed ? 0 : 1,
    gasUsed: exec.executionGasUsed,
    effectiveGasPrice: 0n,
    logs: failed ? [] : logsOf(exec.logs),
    returnValue: exec.returnValue,
    ...(failed ? { error: exec.exceptionError?.error ?? 'failed' } : {}),
  }
}

/** Runs init code as `caller` in the context of `address` and returns the runtime code it answers (genesis predeploys). */
export async function runInitCode(
  ctx: ExecContext,
  caller: Address,
  address: Address,
  initCode: Uint8Array,
): Promise<Uint8Array> {
  const result = await ctx.evm.runCall({
    block: ctx.block as never,
    gasPrice: 0n,
    caller: new EthAddress(hexToBytes(caller)),
    to: new EthAddress(hexToBytes(address)),
    code: initCode,
    data: new Uint8Array(0),
    value: 0n,
    gasLimit: 30_000_000n,
    skipNonceIncrement: true,
  })
  if (result.execResult.exceptionError !== undefined) {
    throw new L2kitError(
      SidechainErrorCode.invalidOptions,
      `the predeploy's init code at ${address} failed: ${result.execResult.exceptionError.error}`,
      { details: { returnValue: ethBytesToHex(result.execResult.returnValue) } },
    )
  }
  await ctx.evm.journal.cleanup()
  ctx.state.originalStorageCache.clear()
  return result.execResult.returnValue
}
