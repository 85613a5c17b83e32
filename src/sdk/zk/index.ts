/**
 * The ZK rollup's SDK (`src/sdk/zk/`): viem-based actions, one per file, each taking one parameters object.
 *
 * - Keys: deriveZkKey (the wallet signs a fixed message; deterministic), registerZkKey (L1 authorisation of a key
 *   for an existing account).
 * - L1 → L2: depositZk (ETH or a registered ERC-20, optionally registering the key of a new account),
 *   requestFullExit (censorship-resistant withdrawal of a whole balance).
 * - L2 (through the operator's node): transferZk, withdrawZk, getZkAccount, waitForZkTransaction.
 * - Payouts and exodus (L1 only, no node): withdrawPendingBalance, activateZkExodusMode,
 *   rebuildVerifiedZkState, exodusWithdraw, refundOutstandingDeposits.
 *
 * Amounts on L2 are in the token's L2 unit (ETH: 1 gwei); deposits take base units (wei). Token ids: 0 = ETH,
 * 1..3 = registered ERC-20s (getZkToken). Every refusal is a typed L2kitError, raised before anything is sent
 * when the input alone shows it.
 */
export * from '../index.ts'
export { activateZkExodusMode, type ZkExodusActivation } from './activateZkExodusMode.ts'
export { depositZk, type ZkDepositResult, zkDepositUnits } from './depositZk.ts'
export { deriveZkKey, zkKeyFromPrivateKey } from './deriveZkKey.ts'
export {
  exodusWithdraw,
  type ZkExodusProof,
  type ZkExodusWithdrawal,
  zkExodusProof,
} from './exodusWithdraw.ts'
export { getZkAccount, getZkAccountsByOwner } from './getZkAccount.ts'
export { getZkToken, ZK_ETH, type ZkToken } from './getZkToken.ts'
export { rebuildVerifiedZkState, type VerifiedZkState } from './rebuildVerifiedZkState.ts'
export {
  refundOutstandingDeposits,
  type ZkDepositRefund,
  type ZkRefundResult,
} from './refundOutstandingDeposits.ts'
export { registerZkKey, type ZkRegisterKeyResult } from './registerZkKey.ts'
export { requestFullExit, type ZkFullExitResult } from './requestFullExit.ts'
export type { ZkAccount, ZkKey, ZkL1Clients, ZkNodeClient, ZkTxStatus } from './shared.ts'
export { sendZkTx, signZkTx, zkTransactionHash } from './signZkTx.ts'
export { transferZk, type ZkTransferResult, zkTransferAmount } from './transferZk.ts'
export {
  getZkTransaction,
  waitForZkTransaction,
  type ZkTransactionInfo,
} from './waitForZkTransaction.ts'
export { withdrawPendingBalance, type ZkPendingWithdrawalResult } from './withdrawPendingBalance.ts'
export { withdrawZk, type ZkWithdrawResult } from './withdrawZk.ts'
