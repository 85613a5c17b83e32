/** The optimistic rollup family: node roles, wire formats, L1 bindings. */

export { Batcher, type BatchPlan, type DataChoice } from './batcher.ts'
export * from './block.ts'
export { ChainStore, type PostedBatch } from './chainStore.ts'
export * from './config.ts'
export { deployRollup, genesisStateRoot } from './deploy.ts'
export { Derivation, type DerivedBatchRecord, type ProposalRecord } from './derivation.ts'
export { type BatchHeader, type DeriveResult, deriveBatch } from './deriveBatch.ts'
export { type Devnet, type DevnetOptions, defaultDevnetOptions, startDevnet } from './devnet.ts'
export { OptimisticNode } from './node.ts'
export { Proposer } from './proposer.ts'
export { createRpcMethods } from './rpcMethods.ts'
export { Sequencer } from './sequencer.ts'
