/** Error codes raised by the node runtime (store, RPC server, lifecycle, metrics), registered in core's union. */
/** Codes of the node runtime. */
export const NodeErrorCode = {
  asyncStoreTransaction: 'ASYNC_STORE_TRANSACTION',
  channelClosed: 'CHANNEL_CLOSED',
  dashboardBuildFailed: 'DASHBOARD_BUILD_FAILED',
  dashboardListenFailed: 'DASHBOARD_LISTEN_FAILED',
  dashboardNotBuilt: 'DASHBOARD_NOT_BUILT',
  historicalStateUnavailable: 'HISTORICAL_STATE_UNAVAILABLE',
  invalidMetric: 'INVALID_METRIC',
  invalidParams: 'INVALID_PARAMS',
  invalidRpcErrorCode: 'INVALID_RPC_ERROR_CODE',
  invalidRpcMethod: 'INVALID_RPC_METHOD',
  invalidStoreDb: 'INVALID_STORE_DB',
  invalidStoreKey: 'INVALID_STORE_KEY',
  invalidStoreValue: 'INVALID_STORE_VALUE',
  l1Unavailable: 'L1_UNAVAILABLE',
  rpcErrorCodeExists: 'RPC_ERROR_CODE_EXISTS',
  rpcListenFailed: 'RPC_LISTEN_FAILED',
  rpcMethodExists: 'RPC_METHOD_EXISTS',
  serviceGroupRunning: 'SERVICE_GROUP_RUNNING',
  stateCorrupt: 'STATE_CORRUPT',
  stateRootMismatch: 'STATE_ROOT_MISMATCH',
  stopped: 'STOPPED',
  storeClosed: 'STORE_CLOSED',
  storeOpenFailed: 'STORE_OPEN_FAILED',
} as const
export type NodeErrorCode = (typeof NodeErrorCode)[keyof typeof NodeErrorCode]

declare module '../core/errors.ts' {
  interface ErrorCodeRegistry extends Record<NodeErrorCode, true> {}
}
