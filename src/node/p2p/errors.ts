/**
 * Error codes of the peer transport (BOLT 8 over WebSocket, `src/node/p2p/`), registered in core's union. Every
 * hostile or broken input a peer can send maps to one of these, closes that one connection and changes nothing else.
 * Bad node ids and private keys use core's `INVALID_PUBLIC_KEY` / `INVALID_PRIVATE_KEY`.
 */
export const P2pErrorCode = {
  /** A handshake act of the wrong length or version, an invalid public key in it, or a MAC that does not check
   * (`details.reason` says which, with the names of the BOLT 8 test vectors: `ACT1_BAD_TAG`, …); also a responder
   * that is not the node id the initiator expected, or that hung up mid-handshake. */
  handshakeFailed: 'P2P_HANDSHAKE_FAILED',
  /** A transport frame that does not decrypt (MAC failure, replay, reorder), whose length prefix does not match the
   * frame, that is too short, or a text frame. BOLT 8: the connection is dropped at once. */
  badFrame: 'P2P_BAD_FRAME',
  /** A plaintext over 65,535 bytes (refused on send; the connection stays open), or a received WebSocket frame over
   * the bound (`maxPayload`: the connection is closed). */
  frameTooLarge: 'P2P_FRAME_TOO_LARGE',
  /** The handshake (or connect) did not finish in time, or the peer stopped answering keep-alive pings. */
  timeout: 'P2P_TIMEOUT',
  /** A send on a closed connection, or a connection the peer or the network cut without a clean close. */
  closed: 'P2P_CLOSED',
  /** The WebSocket to the peer could not be opened (refused, unreachable, or the server is full: HTTP 503). */
  connectFailed: 'P2P_CONNECT_FAILED',
  /** The peer server could not listen on its host and port. */
  listenFailed: 'P2P_LISTEN_FAILED',
  /** A peer address that is not `<nodeId>@host:port`. */
  invalidAddress: 'P2P_INVALID_ADDRESS',
} as const
export type P2pErrorCode = (typeof P2pErrorCode)[keyof typeof P2pErrorCode]

declare module '../../core/errors.ts' {
  interface ErrorCodeRegistry extends Record<P2pErrorCode, true> {}
}
