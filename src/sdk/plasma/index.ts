/** l2kit/sdk/plasma: viem-style actions for the Plasma family (docs/plasma.md). */
export * from './challengeExit.ts'
export * from './depositPlasma.ts'
export * from './getPlasmaBalance.ts'
export * from './processExits.ts'
export type { PlasmaChain, PlasmaL1Clients, PlasmaTxRecord, PlasmaUtxo } from './shared.ts'
export { ETH_TOKEN, getPlasmaTransaction, listUtxos } from './shared.ts'
export * from './startExit.ts'
export * from './transferPlasma.ts'
