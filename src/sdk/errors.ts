/** Error codes raised by the SDK's actions, registered in core's union. */
/** Codes of the SDK. */
export const SdkErrorCode = {
  l2EventMissing: 'L2_EVENT_MISSING',
  l2TxFailed: 'L2_TX_FAILED',
  withdrawalAlreadyFinalized: 'WITHDRAWAL_ALREADY_FINALIZED',
  withdrawalNotReady: 'WITHDRAWAL_NOT_READY',
} as const
export type SdkErrorCode = (typeof SdkErrorCode)[keyof typeof SdkErrorCode]

declare module '../core/errors.ts' {
  interface ErrorCodeRegistry extends Record<SdkErrorCode, true> {}
}
