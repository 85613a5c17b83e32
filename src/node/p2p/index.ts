/** The peer transport (docs/channels.md, "Peer transport"): BOLT 8 Noise_XK over WebSocket, shared by the state
 * channel nodes and the sidechain validators. */
export * from './address.ts'
export * from './errors.ts'
export * from './noise.ts'
export * from './peer.ts'
