/** l2kit/sdk/sidechain: viem-style actions for the sidechain family (docs/sidechain.md). */
export * from './depositToSidechain.ts'
export * from './getValidators.ts'
export * from './proveAndFinalizeSidechainWithdrawal.ts'
export type { SidechainChain, SidechainInfo, SidechainL1Clients } from './shared.ts'
export { ETH_TOKEN, getSidechainInfo, sidechainViemChain } from './shared.ts'
export * from './withdrawFromSidechain.ts'
