/** l2kit/sdk/channels: viem-style actions for the state channels family (docs/channels.md). */
export * from './closeChannelOnL1.ts'
export * from './getChannelOnL1.ts'
export * from './node.ts'
export * from './openChannel.ts'
export * from './revealPreimage.ts'
export type { ChannelL1Clients } from './shared.ts'
export { ETH_TOKEN } from './shared.ts'
