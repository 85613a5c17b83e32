/** Protocol constants shared by the node, the codec, the contracts and (later) the fraud proof. */
import type { Address } from './types.ts'

/** Depth of the accounts tree (leaf index = account index) and of the withdrawals tree (leaf index = withdrawal index). */
export const ACCOUNTS_TREE_DEPTH = 32
export const WITHDRAWALS_TREE_DEPTH = 32
/** Depth of each account's balances tree (leaf index = token index; 0 is ETH). */
export const BALANCES_TREE_DEPTH = 8
/** Token index 0 is ETH; ERC-20 tokens get 1..MAX_TOKENS in the order the L1 portal registers them. */
export const ETH_TOKEN_INDEX = 0
export const MAX_TOKENS = 255

/** L2 system addresses (OP Stack's predeploy range, so wallets show familiar addresses). */
export const L2_BRIDGE_ADDRESS: Address = '0x4200000000000000000000000000000000000010'
/** Receives every L2 transaction fee. Account index 0 at genesis. */
export const L2_FEE_VAULT_ADDRESS: Address = '0x4200000000000000000000000000000000000011'
/** L2 address of bridged token `i` (1..255) is this prefix followed by `i` as two hex digits. */
export const L2_TOKEN_ADDRESS_PREFIX = '0x42000000000000000000000000000000000010'

/** Gas each supported L2 operation uses; fixed, so fees are predictable and derivation needs no EVM. */
export const GAS = {
  ethTransfer: 21_000n,
  tokenTransfer: 52_000n,
  withdrawEth: 60_000n,
  withdrawToken: 70_000n,
} as const

/** Selectors of the L2 calls the sequencer understands. */
export const SELECTORS = {
  /** transfer(address,uint256) on a bridged token's L2 address. */
  erc20Transfer: '0xa9059cbb',
  /** withdrawETH(address l1Recipient) on L2_BRIDGE_ADDRESS, amount = tx value. */
  withdrawEth: '0x690d8320',
  /** withdrawERC20(address l2Token,address l1Recipient,uint256 amount) on L2_BRIDGE_ADDRESS. */
  withdrawErc20: '0x44004cc1',
} as const
