/** What every L2 node needs: logging, metrics, the embedded store, JSON-RPC (and the shared eth_* methods), lifecycle. */
export * from './errors.ts'
export * from './lifecycle.ts'
export * from './logger.ts'
export * from './metrics.ts'
export * from './options.ts'
export * from './rpc/index.ts'
export * from './rpcServer.ts'
export * from './store.ts'
