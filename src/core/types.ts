/** Data shapes shared across l2kit. Amounts are always bigint (wei or token base units). */

export type Hex = `0x${string}`
export type Address = `0x${string}`

/** A signature as carried in batches. `yParity` is 0 or 1 for every tx type (legacy v is rebuilt from the chain id). */
export type Signature = { r: bigint; s: bigint; yParity: 0 | 1 }

/** Fee fields exactly as signed. Legacy txs carry `gasPrice`; EIP-1559 txs the two max fees. */
export type TxFees =
  | { type: 'legacy'; gasPrice: bigint }
  | { type: 'eip1559'; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }

/** What an L2 transaction does. Every other call is rejected as unsupported. */
export type L2Operation =
  /** Plain value transfer: to = recipient, empty data. */
  | { kind: 'ethTransfer'; to: Address; amount: bigint }
  /** ERC-20 transfer(to, amount) sent to the bridged token's L2 address, value 0. */
  | { kind: 'tokenTransfer'; tokenIndex: number; to: Address; amount: bigint }
  /** withdrawETH(recipient) sent to L2_BRIDGE_ADDRESS with value = amount. */
  | { kind: 'withdrawEth'; recipient: Address; amount: bigint }
  /** withdrawERC20(l2Token, recipient, amount) sent to L2_BRIDGE_ADDRESS, value 0. */
  | { kind: 'withdrawToken'; tokenIndex: number; recipient: Address; amount: bigint }

/**
 * A wallet-signed L2 transaction in the form batches carry: every signed field, nothing derivable.
 * The raw Ethereum transaction (and so its hash and sender) is rebuilt from this plus the chain id.
 */
export type L2Tx = {
  nonce: bigint
  gasLimit: bigint
  fees: TxFees
  op: L2Operation
  signature: Signature
}

/** A deposit as the L1 portal queued it (`DepositQueued` event). */
export type Deposit = {
  index: bigint
  from: Address
  to: Address
  tokenIndex: number
  amount: bigint
}

/** An ERC-20 token as the L1 portal registered it (`TokenRegistered` event). */
export type TokenInfo = {
  index: number
  l1Address: Address
  l2Address: Address
  name: string
  symbol: string
  decimals: number
}

/** A withdrawal recorded in the L2 state's withdrawals tree, provable on L1 once its root is final. */
export type Withdrawal = {
  index: bigint
  sender: Address
  recipient: Address
  /** address(0) for ETH. */
  l1Token: Address
  amount: bigint
}

/** One L2 block as a batch carries it. */
export type BatchBlock = {
  /** Unix seconds. Non-decreasing. */
  timestamp: number
  /** Total deposits applied after this block (cumulative). Deposits are applied at the start of the block. */
  depositCountAfter: bigint
  txs: L2Tx[]
}

/** A run of consecutive L2 blocks posted to L1 together. */
export type Batch = {
  firstBlockNumber: bigint
  blocks: BatchBlock[]
}
