/**
 * What a family's node answers so the generic `eth_*` methods (`createEthMethods`) can serve wallets: its
 * sealed blocks in a neutral Ethereum-like form, its pending transactions, state reads and the few calls that
 * change or simulate state. Everything Ethereum-shaped (tags, hashes, tries, blooms, filters, geth's wording)
 * is built on top of it in `src/node/rpc/`.
 */
import type { Address, Hex } from '../../core/types.ts'

/** A log as a transaction emits it, before its block and position are attached. */
export type TxLog = { address: Address; topics: Hex[]; data: Hex }

/** An executed transaction. Only successful transactions are executed, so every receipt has status 1. */
export type ViewTx = {
  /** keccak256 of `raw`. */
  hash: Hex
  /** The signed transaction (EIP-2718 bytes: legacy with EIP-155, or type 2); nonce, fees, to, data come from it. */
  raw: Hex
  /** The recovered sender. */
  from: Address
  /** Gas charged: the fee is `gasUsed × effectiveGasPrice` wei. */
  gasUsed: bigint
  /** Wei per gas paid. */
  effectiveGasPrice: bigint
  /** Its logs in order, computed on demand (the same answer every call). */
  logs(): readonly TxLog[]
}

/** A sealed block. Immutable once sealed: derived data (blooms, tries) is cached by `hash`. */
export type ViewBlock = {
  number: bigint
  hash: Hex
  parentHash: Hex
  /** Unix seconds. */
  timestamp: number
  /** The family's state commitment at the end of the block. */
  stateRoot: Hex
  txs: readonly ViewTx[]
}

/** The state a read sees: `'live'` (every executed transaction, sealed or not) or the end of sealed block n. */
export type StateAt = 'live' | bigint

/** An eth_call / eth_estimateGas request: string fields lowercased as given, not validated (as before). */
export type CallRequest = { from?: Address; to?: Address; data: Hex }

export interface ChainView {
  /** EIP-155 chain id. */
  readonly chainId: bigint
  /** Wei per gas of every block (eth_gasPrice; no priority fee is needed). */
  readonly baseFee: bigint
  /** Gas limit of every block. */
  readonly blockGasLimit: bigint
  /** The `miner` of every block: where fees go. */
  readonly coinbase: Address
  /** Target ms between blocks: a receipt asked for an unsealed transaction waits about two of them. */
  readonly blockTimeMs: number
  /** The newest sealed block (`latest`, `safe`, `finalized`). */
  head(): ViewBlock
  /** Sealed block `number`; undefined past the head. */
  block(number: bigint): ViewBlock | undefined
  /** A sealed block by hash; undefined when unknown or past the head. */
  blockByHash(hash: Hex): ViewBlock | undefined
  /** Executed transactions not sealed yet, in order: the pending block's. */
  pendingTxs(): readonly ViewTx[]
  /** The state commitment after every executed transaction: the pending block's `stateRoot`. */
  pendingStateRoot(): Hex
  /** A transaction by hash: sealed (its block, never past the head, and index) or pending (no block). */
  transaction(hash: Hex): { tx: ViewTx; block?: ViewBlock; index?: number } | undefined
  /**
   * State reads. `at` is never past the head; a sealed block whose state the node no longer keeps throws
   * `historicalStateUnavailable` (errors.ts). `balance` is ETH in wei; `storage` a 32-byte word.
   */
  balance(address: Address, at: StateAt): bigint
  nonce(address: Address, at: StateAt): bigint
  code(address: Address, at: StateAt): Hex
  storage(address: Address, slot: bigint, at: StateAt): Hex
  /** eth_call's return data; a revert throws `executionReverted` (errors.ts). */
  call(request: CallRequest, at: StateAt): Hex
  /** Gas the request would use. */
  estimateGas(request: CallRequest, at: StateAt): bigint
  /** Executes a signed transaction (soft confirmation); resolves to its hash once acknowledged. */
  sendRawTransaction(raw: Hex): Promise<Hex>
  /** Called with every block once it is sealed and the head (in order). */
  onBlock(listener: (block: ViewBlock) => void): void
}
