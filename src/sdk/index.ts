/**
 * What every family's SDK shares: `defineL2Chain` (a viem chain for an l2kit L2) and the L1 transaction helpers
 * (gas with a margin, receipts checked). Each family's actions are in `src/sdk/<family>/` (`l2kit/sdk/<family>`).
 */
export { defineL2Chain } from './defineL2Chain.ts'
export * from './errors.ts'
export {
  GAS_MARGIN_MIN,
  GAS_MARGIN_PERCENT,
  requireSuccess,
  withGasMargin,
  writeContractChecked,
} from './l1Tx.ts'
export type { AnyPublicClient, AnyWalletClient } from './types.ts'
