/**
 * The optimistic rollup's SDK: viem-style actions, one per file (`l2kit/sdk/optimistic`; `l2kit/sdk` is the same,
 * kept for scripts written before the families). The shared pieces (`defineL2Chain`, the L1 transaction helpers)
 * come from `src/sdk/` and are re-exported here.
 */

export type * from '../../optimistic/protocol/rpcSchema.ts'
export * from '../index.ts'
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
export { requestL2kit } from './requestL2kit.ts'
