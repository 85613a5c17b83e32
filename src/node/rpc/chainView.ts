/**
 * What a family's node answers so the generic `eth_*` methods (`createEthMethods`) can serve wallets: its
 * sealed blocks in a neutral Ethereum-like form, its pending transactions, state reads and the few calls that
 * change or simulate state. Everything Ethereum-shaped (tags, hashes, tries, blooms, filters, geth's wording)
 * is built on top of it in `src/node/rpc/`.
 */
import type { Address, Hex } from '../../core/types.ts'

/** A log as a transaction emits it, before its block and position are attached. */
export type TxLog = { address: Address; topics: Hex[]; data: Hex }

/** A value, or a promise of it: a family whose state lives on disk (an EVM) answers reads asynchronously. */
export type MaybePromise<T> = T | Promise<T>

/**
 * An executed transaction. A family that only executes successful transactions leaves `status` unset (receipt
 * status 1); an EVM chain includes reverted ones with `status: 0` (gas charged, no logs).
 */
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
  /** 1 (default): executed; 0: reverted (included, gas charged, state unchanged but for the fee and nonce). */
  status?: 0 | 1
  /** The contract a successful creation transaction deployed (the receipt's `contractAddress`). */
  contractAddress?: Address
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
  /** This block's fee recipient, when it differs per block (a validator chain's proposer); else `view.coinbase`. */
  coinbase?: Address
}

/** The state a read sees: `'live'` (every executed transaction, sealed or not) or the end of sealed block n. */
export type StateAt = 'live' | bigint

/**
 * An eth_call / eth_estimateGas / eth_createAccessList request. `from`, `to` and `data` are as given (lowercased,
 * not validated: a family checks what it reads); the numeric fields are parsed leniently like geth's (a hex
 * quantity, or a safe JSON integer; a malformed one is -32602), and absent when not given.
 */
export type CallRequest = {
  from?: Address
  to?: Address
  data: Hex
  /** Wei sent with the call. */
  value?: bigint
  /** Gas limit of the call (`gas`). */
  gas?: bigint
  /** Legacy gas price. */
  gasPrice?: bigint
  maxFeePerGas?: bigint
  maxPriorityFeePerGas?: bigint
  nonce?: bigint
  /** EIP-2930 access list, addresses and keys lowercased. */
  accessList?: { address: Address; storageKeys: Hex[] }[]
}

/** eth_createAccessList's answer (geth's shape before hex encoding). */
export type AccessListResult = {
  accessList: { address: Address; storageKeys: Hex[] }[]
  gasUsed: bigint
  /** A revert or failure while tracing: geth returns the list so far with this message. */
  error?: string
}

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
   * State reads (a value or a promise of it). `at` is never past the head; a sealed block whose state the node no
   * longer keeps throws `historicalStateUnavailable` (errors.ts). `balance` is ETH in wei; `storage` a 32-byte word.
   */
  balance(address: Address, at: StateAt): MaybePromise<bigint>
  nonce(address: Address, at: StateAt): MaybePromise<bigint>
  code(address: Address, at: StateAt): MaybePromise<Hex>
  storage(address: Address, slot: bigint, at: StateAt): MaybePromise<Hex>
  /** eth_call's return data; a revert throws `executionReverted(data)` (errors.ts). */
  call(request: CallRequest, at: StateAt): MaybePromise<Hex>
  /** Gas the request would use; a revert throws `executionReverted(data)`. */
  estimateGas(request: CallRequest, at: StateAt): MaybePromise<bigint>
  /**
   * eth_createAccessList, when the family can trace what a call touches (an EVM). Without it the answer is an
   * empty list and `estimateGas`'s figure (right for a chain without contract storage).
   */
  createAccessList?(request: CallRequest, at: StateAt): MaybePromise<AccessListResult>
  /** Connected peers (`net_peerCount`); a chain with one block producer has none (the default 0). */
  peerCount?(): number
  /** Executes a signed transaction (soft confirmation); resolves to its hash once acknowledged. */
  sendRawTransaction(raw: Hex): Promise<Hex>
  /** Called with every block once it is sealed and the head (in order). */
  onBlock(listener: (block: ViewBlock) => void): void
}
