/**
 * Authenticated, encrypted peer connections over WebSocket: the BOLT 8 handshake of `noise.ts` in the first three
 * binary frames (acts one, two, three), then one Noise transport message per binary frame. Shared by the state
 * channel nodes and the sidechain validators (docs/channels.md, "Peer transport").
 *
 * Hostile input never crashes the process and never gets through: a handshake act of the wrong length, version or
 * MAC, a text frame, a transport frame that fails its MAC (BOLT 8) or a frame over the bound (`maxPayload`) ends
 * that one connection with a typed error; a handshake must finish within `handshakeTimeoutMs`; at most
 * `maxPendingHandshakes` unauthenticated connections exist at once (the next ones get HTTP 503).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocket, WebSocketServer } from 'ws'
import { ErrorKind, isL2kitError, L2kitError } from '../../core/errors.ts'
import { type Logger, silentLogger } from '../../core/logger.ts'
import { assertValidOptions, isIntegerInRange } from '../options.ts'
import {
  formatPeerAddress,
  type NodeId,
  nodeIdFromPrivateKey,
  nodeIdToBytes,
  normalizeNodeId,
  parsePeerAddress,
  privateKeyBytes,
  urlHost,
} from './address.ts'
import {
  assertPrivateKey,
  MAX_PACKET_LENGTH,
  NoiseInitiator,
  NoiseResponder,
  type NoiseSession,
  type NoiseTransport,
} from './noise.ts'

/** Received messages kept while nobody consumes them; past this the socket is paused (TCP pushes back). */
const QUEUE_HIGH_WATER = 256
/** After `close()`, the peer gets this long to answer the close frame before the socket is cut. */
const CLOSE_GRACE_MS = 2_000

export const defaultPeerOptions = {
  host: '127.0.0.1',
  port: 0,
  handshakeTimeoutMs: 10_000,
  maxPendingHandshakes: 64,
  maxConnections: 1_024,
  keepAliveMs: 30_000,
  connectTimeoutMs: 10_000,
} as const

/** Why a connection ended: undefined for a clean close by either side, else the error. */
export type PeerCloseListener = (error: L2kitError | undefined) => void
export type PeerMessageListener = (message: Uint8Array) => void

function rawToBytes(data: WebSocket.RawData): Uint8Array {
  if (Array.isArray(data)) {
    const joined = Buffer.concat(data)
    return new Uint8Array(joined.buffer, joined.byteOffset, joined.byteLength)
  }
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
}

function asL2kitError(error: unknown, code: 'P2P_HANDSHAKE_FAILED' | 'P2P_BAD_FRAME'): L2kitError {
  if (isL2kitError(error)) return error
  return new L2kitError(code, error instanceof Error ? error.message : String(error), { cause: error })
}

/** What a WebSocket that ended without our doing says about why. */
function socketCloseError(
  code: number,
  reason: string,
  socketError: Error | undefined,
): L2kitError | undefined {
  const wsCode = (socketError as NodeJS.ErrnoException | undefined)?.code
  if (wsCode === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' || code === 1009)
    return new L2kitError('P2P_FRAME_TOO_LARGE', `a WebSocket frame exceeded ${MAX_PACKET_LENGTH} bytes`, {
      details: { code, limit: MAX_PACKET_LENGTH },
    })
  if (typeof wsCode === 'string' && wsCode.startsWith('WS_ERR_'))
    return new L2kitError('P2P_BAD_FRAME', `invalid WebSocket frame: ${socketError?.message}`, {
      details: { reason: wsCode, code },
    })
  if (code === 1000 || code === 1001) return undefined
  return new L2kitError(
    'P2P_CLOSED',
    `the connection was cut (WebSocket close ${code}${reason ? ` ${reason}` : ''}${socketError ? `: ${socketError.message}` : ''})`,
    { kind: ErrorKind.temporary, details: { code, reason } },
  )
}

interface ConnectionSetup {
  session: NoiseSession
  localNodeId: NodeId
  direction: 'inbound' | 'outbound'
  remoteAddress: string | undefined
  logger: Logger
  keepAliveMs: number
}

/**
 * One authenticated, encrypted connection to a peer whose node id the handshake proved. Made by `connectPeer` and
 * by a peer server's `onConnection`, never directly.
 *
 * Receive with `onMessage(handler)` or by iterating (`for await (const m of connection)`), not both: messages go to
 * the handlers when there are some, else to the iterator's queue (kept until consumed; past 256 waiting messages the
 * socket is paused). A handler that throws is logged, the connection stays up.
 */
export class PeerConnection implements AsyncIterable<Uint8Array> {
  /** The peer's node id (33-byte compressed public key, hex), authenticated by the handshake. */
  readonly remoteNodeId: NodeId
  /** Our own node id. */
  readonly localNodeId: NodeId
  /** `outbound`: we dialled (the Noise initiator); `inbound`: the peer did. */
  readonly direction: 'inbound' | 'outbound'
  /** `ip:port` of an inbound peer, the URL dialled for an outbound one. */
  readonly remoteAddress: string | undefined
  /** The handshake hash, equal on both ends: sign it to bind something to this session. */
  readonly handshakeHash: Uint8Array

  private readonly ws: WebSocket
  private readonly transport: NoiseTransport
  private readonly logger: Logger
  private state: 'open' | 'closing' | 'closed' = 'open'
  private error: L2kitError | undefined
  private socketError: Error | undefined
  private readonly messageListeners = new Set<PeerMessageListener>()
  private readonly closeListeners = new Set<PeerCloseListener>()
  private readonly queue: Uint8Array[] = []
  private readonly waiters: ((result: IteratorResult<Uint8Array, undefined>) => void)[] = []
  private readonly closed: Promise<void>
  private resolveClosed: () => void = () => {}
  private keepAlive: NodeJS.Timeout | undefined
  private closeTimer: NodeJS.Timeout | undefined
  private alive = true
  private flushScheduled = false

  /** @internal Made by `connectPeer` and the peer server once the handshake is done. */
  constructor(ws: WebSocket, setup: ConnectionSetup) {
    this.ws = ws
    this.transport = setup.session.transport
    this.remoteNodeId = normalizeNodeId(setup.session.remoteStaticKey)
    this.localNodeId = setup.localNodeId
    this.direction = setup.direction
    this.remoteAddress = setup.remoteAddress
    this.handshakeHash = setup.session.handshakeHash
    this.logger = setup.logger.child({ peer: this.remoteNodeId, direction: this.direction })
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve
    })
    ws.on('message', this.onFrame)
    ws.on('close', this.onSocketClose)
    ws.on('error', (error) => {
      this.socketError ??= error
    })
    ws.on('pong', () => {
      this.alive = true
    })
    if (setup.keepAliveMs > 0) {
      this.keepAlive = setInterval(() => this.ping(), setup.keepAliveMs)
      this.keepAlive.unref()
    }
    // The socket may already be gone (the peer hung up right after act three).
    if (ws.readyState === WebSocket.CLOSED) queueMicrotask(() => this.onSocketClose(1006, Buffer.alloc(0)))
  }

  /** True once the connection is closed (or closing): `send` throws P2P_CLOSED. */
  get isClosed(): boolean {
    return this.state !== 'open' || this.error !== undefined
  }

  /** Why the connection ended, when it did not end cleanly. */
  get closeError(): L2kitError | undefined {
    return this.error
  }

  /** Bytes queued in the socket, not yet sent: a sender that outruns the network can wait for it to fall. */
  get bufferedAmount(): number {
    return this.ws.bufferedAmount
  }

  /**
   * Encrypts and sends one message (at most 65,535 bytes: else P2P_FRAME_TOO_LARGE and nothing is sent; the
   * connection stays open). Throws P2P_CLOSED once the connection is closing or closed. Messages arrive in order.
   */
  send(message: Uint8Array): void {
    if (this.isClosed || this.ws.readyState !== WebSocket.OPEN)
      throw new L2kitError('P2P_CLOSED', `the connection to ${this.remoteNodeId} is closed`, {
        kind: ErrorKind.temporary,
        details: { peer: this.remoteNodeId, reason: this.error?.code },
      })
    const packet = this.transport.encrypt(message)
    this.ws.send(packet, { binary: true })
  }

  /** Calls `listener` with each received message (and at once with those already waiting). Returns an unsubscribe. */
  onMessage(listener: PeerMessageListener): () => void {
    this.messageListeners.add(listener)
    if (this.queue.length > 0) this.scheduleFlush()
    return () => {
      this.messageListeners.delete(listener)
    }
  }

  /** Calls `listener` once when the connection has closed (soon after, if it already has). Returns an unsubscribe. */
  onClose(listener: PeerCloseListener): () => void {
    if (this.state === 'closed') {
      queueMicrotask(() => this.callCloseListener(listener))
      return () => {}
    }
    this.closeListeners.add(listener)
    return () => {
      this.closeListeners.delete(listener)
    }
  }

  /** Received messages, in order; ends when the connection closes (check `closeError` for why). */
  messages(): AsyncIterableIterator<Uint8Array> {
    let finished = false
    let pending: ((result: IteratorResult<Uint8Array, undefined>) => void) | undefined
    const done: IteratorResult<Uint8Array, undefined> = { value: undefined, done: true }
    const iterator: AsyncIterableIterator<Uint8Array> = {
      next: () => {
        if (finished) return Promise.resolve(done)
        const message = this.queue.shift()
        if (message !== undefined) {
          this.resumeIfDrained()
          return Promise.resolve({ value: message, done: false })
        }
        if (this.state === 'closed') {
          finished = true
          return Promise.resolve(done)
        }
        return new Promise((resolve) => {
          pending = (result) => {
            pending = undefined
            if (result.done) finished = true
            resolve(result)
          }
          this.waiters.push(pending)
        })
      },
      return: () => {
        finished = true
        if (pending !== undefined) {
          const index = this.waiters.indexOf(pending)
          if (index >= 0) this.waiters.splice(index, 1)
          pending(done)
        }
        return Promise.resolve(done)
      },
      [Symbol.asyncIterator]() {
        return iterator
      },
    }
    return iterator
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this.messages()
  }

  /** Closes cleanly (WebSocket close 1000; cut after 2 s without an answer). Resolves once closed. */
  close(): Promise<void> {
    return this.closeWith(1000, 'bye')
  }

  /** @internal */
  closeWith(code: number, reason: string): Promise<void> {
    if (this.state === 'open') {
      this.state = 'closing'
      try {
        this.ws.close(code, reason)
      } catch {
        this.ws.terminate()
      }
      this.closeTimer = setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS)
      this.closeTimer.unref()
    }
    return this.closed
  }

  /** Ends the connection at once because of `error` (BOLT 8: no further message to the peer). */
  private fail(error: L2kitError): void {
    if (this.state === 'closed' || this.error !== undefined) return
    this.error = error
    this.logger.debug({ err: error }, 'p2p: connection failed')
    this.ws.terminate()
  }

  private readonly onFrame = (data: WebSocket.RawData, isBinary: boolean): void => {
    if (this.state === 'closed' || this.error !== undefined) return
    this.alive = true
    if (!isBinary) {
      this.fail(
        new L2kitError('P2P_BAD_FRAME', 'a text frame: the transport takes binary frames only', {
          details: { reason: 'text' },
        }),
      )
      return
    }
    let message: Uint8Array
    try {
      message = this.transport.decrypt(rawToBytes(data))
    } catch (error) {
      this.fail(asL2kitError(error, 'P2P_BAD_FRAME'))
      return
    }
    this.deliver(message)
  }

  private deliver(message: Uint8Array): void {
    if (this.messageListeners.size > 0 && this.queue.length === 0) {
      this.callMessageListeners(message)
      return
    }
    const waiter = this.waiters.shift()
    if (waiter !== undefined) {
      waiter({ value: message, done: false })
      return
    }
    this.queue.push(message)
    if (this.messageListeners.size > 0) this.scheduleFlush()
    if (this.queue.length >= QUEUE_HIGH_WATER && !this.ws.isPaused) this.ws.pause()
  }

  private callMessageListeners(message: Uint8Array): void {
    for (const listener of this.messageListeners) {
      try {
        listener(message)
      } catch (error) {
        this.logger.error({ err: error }, 'p2p: a message handler threw')
      }
    }
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return
    this.flushScheduled = true
    queueMicrotask(() => {
      this.flushScheduled = false
      while (this.queue.length > 0 && this.messageListeners.size > 0)
        this.callMessageListeners(this.queue.shift() as Uint8Array)
      this.resumeIfDrained()
    })
  }

  private resumeIfDrained(): void {
    if (this.ws.isPaused && this.queue.length < QUEUE_HIGH_WATER / 2) this.ws.resume()
  }

  private ping(): void {
    if (this.state !== 'open' || this.error !== undefined) return
    // Paused because our own consumer is behind: the pong is unread, not missing.
    if (this.ws.isPaused) return
    if (!this.alive) {
      this.fail(
        new L2kitError('P2P_TIMEOUT', `peer ${this.remoteNodeId} stopped answering pings`, {
          kind: ErrorKind.temporary,
        }),
      )
      return
    }
    this.alive = false
    try {
      this.ws.ping()
    } catch {
      // The socket is closing: its close event follows.
    }
  }

  private readonly onSocketClose = (code: number, reason: Buffer): void => {
    if (this.state === 'closed') return
    const wasClosing = this.state === 'closing'
    this.state = 'closed'
    if (this.error === undefined && !wasClosing)
      this.error = socketCloseError(code, reason.toString('utf8').slice(0, 120), this.socketError)
    clearInterval(this.keepAlive)
    clearTimeout(this.closeTimer)
    this.transport.destroy()
    this.ws.off('message', this.onFrame)
    for (const waiter of this.waiters.splice(0)) waiter({ value: undefined, done: true })
    this.logger.debug({ code, err: this.error }, 'p2p: connection closed')
    for (const listener of [...this.closeListeners]) this.callCloseListener(listener)
    this.closeListeners.clear()
    this.resolveClosed()
  }

  private callCloseListener(listener: PeerCloseListener): void {
    try {
      listener(this.error)
    } catch (error) {
      this.logger.error({ err: error }, 'p2p: a close handler threw')
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Server

export interface PeerServerOptions {
  /** The node's static key (its node id is the public key). Bytes or 64 hex digits. */
  staticPrivateKey: Uint8Array | string
  /** Called with each authenticated inbound connection, right after act three. */
  onConnection: (connection: PeerConnection) => void
  /** Default 127.0.0.1. */
  host?: string | undefined
  /** Default 0: a free port. */
  port?: number | undefined
  logger?: Logger | undefined
  /** An inbound connection must finish the handshake within this time (default 10 s). */
  handshakeTimeoutMs?: number | undefined
  /** Unauthenticated connections at once (default 64); the next ones get HTTP 503. */
  maxPendingHandshakes?: number | undefined
  /** Connections at once, authenticated or not (default 1,024); the next ones get HTTP 503. */
  maxConnections?: number | undefined
  /** Ping period; a peer that has not answered by the next one is dropped (default 30 s; 0 = off). */
  keepAliveMs?: number | undefined
}

export interface PeerServer {
  /** `ws://host:port`. */
  readonly url: string
  /** `<nodeId>@host:port`, what a peer needs to dial us. */
  readonly address: string
  readonly nodeId: NodeId
  readonly host: string
  readonly port: number
  /** Authenticated connections now open. */
  readonly connections: ReadonlySet<PeerConnection>
  /** Connections still in the handshake. */
  readonly pendingHandshakes: number
  /** Stops accepting, cuts handshakes in progress, closes every connection (1001), then the listener. */
  close(): Promise<void>
}

function checkCommonOptions(
  problems: string[],
  o: { handshakeTimeoutMs?: unknown; keepAliveMs?: unknown; logger?: unknown },
): void {
  if (o.handshakeTimeoutMs !== undefined && !isIntegerInRange(o.handshakeTimeoutMs, 1, 3_600_000))
    problems.push('handshakeTimeoutMs must be a positive integer (ms)')
  if (o.keepAliveMs !== undefined && !isIntegerInRange(o.keepAliveMs, 0, 3_600_000))
    problems.push('keepAliveMs must be an integer >= 0 (ms)')
  if (o.logger !== undefined && (typeof o.logger !== 'object' || o.logger === null))
    problems.push('logger must be a logger')
}

function rejectUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
  socket.destroy()
}

/** Listens for peers on `ws://host:port`; resolves once listening. Throws INVALID_OPTIONS, P2P_LISTEN_FAILED. */
export async function createPeerServer(options: PeerServerOptions): Promise<PeerServer> {
  const problems: string[] = []
  let staticKey: Uint8Array | undefined
  try {
    staticKey = privateKeyBytes(options.staticPrivateKey).slice()
    assertPrivateKey(staticKey)
  } catch {
    problems.push('staticPrivateKey must be a valid secp256k1 private key (32 bytes or 64 hex digits)')
  }
  const host = options.host ?? defaultPeerOptions.host
  const port = options.port ?? defaultPeerOptions.port
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? defaultPeerOptions.handshakeTimeoutMs
  const maxPending = options.maxPendingHandshakes ?? defaultPeerOptions.maxPendingHandshakes
  const maxConnections = options.maxConnections ?? defaultPeerOptions.maxConnections
  const keepAliveMs = options.keepAliveMs ?? defaultPeerOptions.keepAliveMs
  if (typeof options.onConnection !== 'function') problems.push('onConnection must be a function')
  if (typeof host !== 'string' || host === '') problems.push('host must be a non-empty string')
  if (!isIntegerInRange(port, 0, 65_535)) problems.push('port must be an integer in [0, 65535]')
  if (!isIntegerInRange(maxPending, 1, 100_000)) problems.push('maxPendingHandshakes must be an integer >= 1')
  if (!isIntegerInRange(maxConnections, 1, 1_000_000)) problems.push('maxConnections must be an integer >= 1')
  checkCommonOptions(problems, options)
  assertValidOptions('peer server', problems)
  const listener = new PeerListener({
    staticKey: staticKey as Uint8Array,
    host,
    port,
    handshakeTimeoutMs,
    maxPending,
    maxConnections,
    keepAliveMs,
    logger: (options.logger ?? silentLogger).child({ component: 'p2p' }),
    onConnection: options.onConnection,
  })
  await listener.listen()
  return listener
}

interface ListenerSettings {
  staticKey: Uint8Array
  host: string
  port: number
  handshakeTimeoutMs: number
  maxPending: number
  maxConnections: number
  keepAliveMs: number
  logger: Logger
  onConnection: (connection: PeerConnection) => void
}

class PeerListener implements PeerServer {
  readonly nodeId: NodeId
  readonly host: string
  private boundPort = 0
  private readonly settings: ListenerSettings
  private readonly logger: Logger
  private readonly server: Server
  private readonly wss: WebSocketServer
  private readonly open = new Set<PeerConnection>()
  /** Sockets between the HTTP upgrade and the end of the handshake, with how to cut each. */
  private readonly pending = new Map<Duplex, () => void>()
  private closing: Promise<void> | undefined

  constructor(settings: ListenerSettings) {
    this.settings = settings
    this.logger = settings.logger
    this.host = settings.host
    this.nodeId = nodeIdFromPrivateKey(settings.staticKey)
    this.server = createServer(
      // Bounds how long a client may take to send its upgrade request (checked every interval).
      { connectionsCheckingInterval: Math.min(1_000, settings.handshakeTimeoutMs) },
      (_req, res) => {
        res.writeHead(426, { Connection: 'close', Upgrade: 'websocket', 'Content-Length': '0' })
        res.end()
      },
    )
    this.server.headersTimeout = settings.handshakeTimeoutMs
    this.server.requestTimeout = settings.handshakeTimeoutMs
    this.server.maxConnections = settings.maxConnections + settings.maxPending
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_PACKET_LENGTH,
      perMessageDeflate: false,
      clientTracking: false,
    })
    this.wss.on('error', (error) => this.logger.debug({ err: error }, 'p2p: WebSocket server error'))
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.onUpgrade(req, socket, head),
    )
    this.server.on('clientError', (error, socket) => {
      this.logger.debug({ err: error }, 'p2p: bad HTTP request')
      socket.destroy()
    })
  }

  get port(): number {
    return this.boundPort
  }

  get url(): string {
    return `ws://${urlHost(this.host)}:${this.boundPort}`
  }

  get address(): string {
    return formatPeerAddress(this.nodeId, this.host, this.boundPort)
  }

  get connections(): ReadonlySet<PeerConnection> {
    return this.open
  }

  get pendingHandshakes(): number {
    return this.pending.size
  }

  async listen(): Promise<void> {
    const { host, port } = this.settings
    try {
      await new Promise<void>((resolve, reject) => {
        this.server.once('error', reject)
        this.server.listen(port, host, () => {
          this.server.off('error', reject)
          resolve()
        })
      })
    } catch (error) {
      throw new L2kitError(
        'P2P_LISTEN_FAILED',
        `cannot listen on ${host}:${port}: ${(error as Error).message}`,
        {
          kind: ErrorKind.critical,
          details: { host, port },
          cause: error,
        },
      )
    }
    this.server.on('error', (error) => this.logger.error({ err: error }, 'p2p: server error'))
    this.boundPort = (this.server.address() as AddressInfo).port
    this.logger.info({ url: this.url, nodeId: this.nodeId }, 'p2p: listening for peers')
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown()
    return this.closing
  }

  private async shutdown(): Promise<void> {
    for (const cut of [...this.pending.values()]) cut()
    await Promise.all([...this.open].map((connection) => connection.closeWith(1001, 'server stopping')))
    this.wss.close()
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()))
    this.server.closeAllConnections()
    await closed
    this.logger.info({ url: this.url }, 'p2p: stopped')
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', (error) => this.logger.debug({ err: error }, 'p2p: socket error'))
    const { maxPending, maxConnections, handshakeTimeoutMs } = this.settings
    if (this.closing !== undefined) {
      rejectUpgrade(socket, 503, 'Service Unavailable')
      return
    }
    if (this.pending.size >= maxPending || this.pending.size + this.open.size >= maxConnections) {
      this.logger.debug(
        { pending: this.pending.size, open: this.open.size, remote: req.socket.remoteAddress },
        'p2p: refused a connection (too many)',
      )
      rejectUpgrade(socket, 503, 'Service Unavailable')
      return
    }
    let cut = (): void => {
      socket.destroy()
    }
    let settled = false
    const timer = setTimeout(() => cut(), handshakeTimeoutMs)
    const settle = (): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      this.pending.delete(socket)
    }
    this.pending.set(socket, () => cut())
    socket.once('close', settle)
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const remote = `${req.socket.remoteAddress}:${req.socket.remotePort}`
      const failHandshake = this.acceptInbound(ws, remote, settle)
      cut = () =>
        failHandshake(
          new L2kitError('P2P_TIMEOUT', `the handshake did not finish within ${handshakeTimeoutMs} ms`, {
            kind: ErrorKind.temporary,
          }),
        )
    })
  }

  /** Runs the responder's handshake on a new WebSocket; returns how to fail it from outside (timeout, shutdown). */
  private acceptInbound(ws: WebSocket, remote: string, settle: () => void): (error: L2kitError) => void {
    ws.on('error', (error) => this.logger.debug({ err: error, remote }, 'p2p: WebSocket error'))
    const responder = new NoiseResponder({ staticPrivateKey: this.settings.staticKey })
    let step: 'act1' | 'act3' | 'over' = 'act1'
    const fail = (error: L2kitError): void => {
      if (step === 'over') return
      step = 'over'
      settle()
      this.logger.debug({ err: error, remote }, 'p2p: inbound handshake failed')
      // BOLT 8: terminate without any further message.
      ws.terminate()
    }
    const onClose = (code: number): void => {
      if (step === 'over') return
      step = 'over'
      settle()
      this.logger.debug({ remote, code }, 'p2p: the peer left during the handshake')
    }
    const onMessage = (data: WebSocket.RawData, isBinary: boolean): void => {
      if (step === 'over') return
      if (!isBinary) {
        fail(
          new L2kitError('P2P_HANDSHAKE_FAILED', 'a text frame in the handshake', {
            details: { reason: 'text' },
          }),
        )
        return
      }
      try {
        const bytes = rawToBytes(data)
        if (step === 'act1') {
          const actTwo = responder.readActOne(bytes)
          step = 'act3'
          ws.send(actTwo, { binary: true })
          return
        }
        const session = responder.readActThree(bytes)
        step = 'over'
        settle()
        ws.off('message', onMessage)
        ws.off('close', onClose)
        this.accepted(ws, session, remote)
      } catch (error) {
        fail(asL2kitError(error, 'P2P_HANDSHAKE_FAILED'))
      }
    }
    ws.on('message', onMessage)
    ws.on('close', onClose)
    return fail
  }

  private accepted(ws: WebSocket, session: NoiseSession, remote: string): void {
    const connection = new PeerConnection(ws, {
      session,
      localNodeId: this.nodeId,
      direction: 'inbound',
      remoteAddress: remote,
      logger: this.logger,
      keepAliveMs: this.settings.keepAliveMs,
    })
    if (this.closing !== undefined) {
      void connection.closeWith(1001, 'server stopping')
      return
    }
    this.open.add(connection)
    connection.onClose(() => this.open.delete(connection))
    this.logger.debug({ peer: connection.remoteNodeId, remote }, 'p2p: peer connected')
    try {
      this.settings.onConnection(connection)
    } catch (error) {
      this.logger.error({ err: error, peer: connection.remoteNodeId }, 'p2p: onConnection threw; closing')
      void connection.close()
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Client

export interface ConnectPeerOptions {
  /** `<nodeId>@host:port`: or give `url` and `remoteNodeId`. */
  address?: string | undefined
  /** `ws://host:port`. */
  url?: string | undefined
  /** The node id we expect there: the handshake fails unless the peer holds its private key. */
  remoteNodeId?: NodeId | undefined
  /** Our static key (our node id is its public key). Bytes or 64 hex digits. */
  staticPrivateKey: Uint8Array | string
  /** The WebSocket and the handshake must be done within this time (default 10 s). */
  timeoutMs?: number | undefined
  logger?: Logger | undefined
  /** Ping period; a peer that has not answered by the next one is dropped (default 30 s; 0 = off). */
  keepAliveMs?: number | undefined
}

/**
 * Dials a peer and runs the initiator's handshake. Resolves to the connection once act three is sent; rejects with
 * P2P_CONNECT_FAILED (unreachable, refused, 503), P2P_HANDSHAKE_FAILED (not the node we expected, or a broken act
 * two), P2P_TIMEOUT, or INVALID_OPTIONS / INVALID_PUBLIC_KEY / INVALID_PRIVATE_KEY / P2P_INVALID_ADDRESS.
 */
export async function connectPeer(options: ConnectPeerOptions): Promise<PeerConnection> {
  let url: string
  let remoteNodeId: NodeId
  if (options.address !== undefined) {
    if (options.url !== undefined || options.remoteNodeId !== undefined)
      assertValidOptions('connectPeer', ['give either address, or url and remoteNodeId'])
    const parsed = parsePeerAddress(options.address)
    url = parsed.url
    remoteNodeId = parsed.nodeId
  } else {
    if (typeof options.url !== 'string' || !/^wss?:\/\//i.test(options.url))
      assertValidOptions('connectPeer', ['url must be a ws:// or wss:// URL (or give address)'])
    url = options.url as string
    if (options.remoteNodeId === undefined)
      assertValidOptions('connectPeer', ['remoteNodeId is required with url (the node id we expect there)'])
    remoteNodeId = normalizeNodeId(options.remoteNodeId as string)
  }
  const problems: string[] = []
  const timeoutMs = options.timeoutMs ?? defaultPeerOptions.connectTimeoutMs
  const keepAliveMs = options.keepAliveMs ?? defaultPeerOptions.keepAliveMs
  if (!isIntegerInRange(timeoutMs, 1, 3_600_000)) problems.push('timeoutMs must be a positive integer (ms)')
  checkCommonOptions(problems, options)
  assertValidOptions('connectPeer', problems)
  const staticKey = privateKeyBytes(options.staticPrivateKey)
  const initiator = new NoiseInitiator({
    staticPrivateKey: staticKey,
    remoteStaticKey: nodeIdToBytes(remoteNodeId),
  })
  const localNodeId = nodeIdFromPrivateKey(staticKey)
  const logger = (options.logger ?? silentLogger).child({ component: 'p2p' })

  return new Promise<PeerConnection>((resolve, reject) => {
    let ws: WebSocket
    try {
      ws = new WebSocket(url, {
        maxPayload: MAX_PACKET_LENGTH,
        perMessageDeflate: false,
        handshakeTimeout: timeoutMs,
        followRedirects: false,
      })
    } catch (error) {
      reject(
        new L2kitError('P2P_INVALID_ADDRESS', `cannot dial ${url}: ${(error as Error).message}`, {
          cause: error,
        }),
      )
      return
    }
    let step: 'connecting' | 'act2' | 'over' = 'connecting'
    let socketError: Error | undefined
    const fail = (error: L2kitError): void => {
      if (step === 'over') return
      step = 'over'
      clearTimeout(timer)
      ws.terminate()
      logger.debug({ err: error, url, peer: remoteNodeId }, 'p2p: outbound handshake failed')
      reject(error)
    }
    const timer = setTimeout(
      () =>
        fail(
          new L2kitError(
            'P2P_TIMEOUT',
            `connecting to ${remoteNodeId}@${url} took more than ${timeoutMs} ms`,
            {
              kind: ErrorKind.temporary,
              details: { url, peer: remoteNodeId },
            },
          ),
        ),
      timeoutMs,
    )
    ws.on('error', (error) => {
      socketError ??= error
    })
    ws.on('open', () => {
      if (step !== 'connecting') return
      try {
        ws.send(initiator.writeActOne(), { binary: true })
        step = 'act2'
      } catch (error) {
        fail(asL2kitError(error, 'P2P_HANDSHAKE_FAILED'))
      }
    })
    const onClose = (code: number): void => {
      if (step === 'connecting')
        fail(
          new L2kitError(
            'P2P_CONNECT_FAILED',
            `cannot open a WebSocket to ${url}: ${socketError?.message ?? `closed with ${code}`}`,
            { kind: ErrorKind.temporary, details: { url, peer: remoteNodeId }, cause: socketError },
          ),
        )
      else
        fail(
          new L2kitError(
            'P2P_HANDSHAKE_FAILED',
            `the peer at ${url} hung up during the handshake: it is not node ${remoteNodeId}, or it refused us`,
            { details: { reason: 'CLOSED_DURING_HANDSHAKE', url, peer: remoteNodeId, code } },
          ),
        )
    }
    const onMessage = (data: WebSocket.RawData, isBinary: boolean): void => {
      if (step === 'over') return
      if (step !== 'act2' || !isBinary) {
        fail(
          new L2kitError('P2P_HANDSHAKE_FAILED', 'the responder sent something other than act two', {
            details: { reason: 'ACT2_READ_FAILED', url, peer: remoteNodeId },
          }),
        )
        return
      }
      try {
        const { actThree, session } = initiator.readActTwo(rawToBytes(data))
        ws.send(actThree, { binary: true })
        step = 'over'
        clearTimeout(timer)
        ws.off('message', onMessage)
        ws.off('close', onClose)
        const connection = new PeerConnection(ws, {
          session,
          localNodeId,
          direction: 'outbound',
          remoteAddress: url,
          logger,
          keepAliveMs,
        })
        logger.debug({ peer: remoteNodeId, url }, 'p2p: connected to peer')
        resolve(connection)
      } catch (error) {
        fail(asL2kitError(error, 'P2P_HANDSHAKE_FAILED'))
      }
    }
    ws.on('message', onMessage)
    ws.on('close', onClose)
  })
}
