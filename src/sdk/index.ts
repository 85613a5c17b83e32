/** l2kit SDK: viem-style actions for apps, one per file. */
export { defineL2Chain } from './defineL2Chain.ts'
export { depositErc20 } from './depositErc20.ts'
export { type DepositResult, depositEth } from './depositEth.ts'
export { type ForcedInclusion, forceInclusion, MAX_FORCED_ROWS } from './forceInclusion.ts'
export { type ForcedTransaction, forceTransaction } from './forceTransaction.ts'
export { getL2Balance } from './getL2Balance.ts'
export {
  getWithdrawalProof,
  getWithdrawalStatus,
  type WithdrawalProof,
  type WithdrawalStatus,
} from './getWithdrawalStatus.ts'
export { type InitiatedWithdrawal, initiateWithdrawal, l2BridgeAbi } from './initiateWithdrawal.ts'
export { type FinalizedWithdrawal, proveAndFinalizeWithdrawal } from './proveAndFinalizeWithdrawal.ts'
