/** The Ethereum JSON-RPC methods every family's node serves to wallets, behind the family's `ChainView`. */
export * from './chainView.ts'
export * from './encoding.ts'
export * from './errors.ts'
export * from './ethMethods.ts'
export * from './params.ts'
