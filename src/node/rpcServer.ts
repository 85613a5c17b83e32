import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { type WebSocket, WebSocketServer } from 'ws'
import { ErrorKind, isL2kitError, L2kitError } from '../core/errors.ts'
import { bigintToQuantity, jsonSafe } from '../core/json.ts'
import type { Service } from './lifecycle.ts'
import type { Logger } from './logger.ts'
import type { Metrics } from './metrics.ts'
import { assertValidOptions, isIntegerInRange, withDefaults } from './options.ts'

/** JSON-RPC 2.0 error codes (spec) and the Ethereum ones of EIP-1474 that l2kit uses. */
export const JsonRpcErrorCode = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
  /** Generic server error; geth answers most rejected transactions with it (nonce too low, insufficient funds). */
  serverError: -32000,
  resourceNotFound: -32001,
  resourceUnavailable: -32002,
  transactionRejected: -32003,
  methodNotSupported: -32004,
  limitExceeded: -32005,
} as const

/**
 * JSON-RPC error code for each L2kitError code a handler may throw, for the codes every family shares (core's
 * transaction checks and state machine, the generic eth methods). Codes not listed fall back by kind:
 * invalidInput → -32000, temporary/reset → -32002, critical → -32603 ("internal error", message hidden).
 * A family adds its own with `server.registerErrorCodes({ MY_CODE: -32003 })` (or replaces the table with the
 * `errorCodes` option).
 */
export const defaultRpcErrorCodes: Readonly<Record<string, number>> = Object.freeze({
  // Malformed input: the request itself is wrong.
  INVALID_PARAMS: JsonRpcErrorCode.invalidParams,
  INVALID_HEX: JsonRpcErrorCode.invalidParams,
  INVALID_ADDRESS: JsonRpcErrorCode.invalidParams,
  INVALID_AMOUNT: JsonRpcErrorCode.invalidParams,
  INVALID_BLOCK_TAG: JsonRpcErrorCode.invalidParams,
  VALUE_OUT_OF_RANGE: JsonRpcErrorCode.invalidParams,
  MALFORMED_DATA: JsonRpcErrorCode.invalidParams,
  MALFORMED_TRANSACTION: JsonRpcErrorCode.invalidParams,
  TX_TOO_LARGE: JsonRpcErrorCode.invalidParams,
  // Valid transaction, wrong for the current state: what geth answers with -32000.
  NONCE_TOO_LOW: JsonRpcErrorCode.serverError,
  NONCE_TOO_HIGH: JsonRpcErrorCode.serverError,
  NONCE_OVERFLOW: JsonRpcErrorCode.serverError,
  INSUFFICIENT_BALANCE: JsonRpcErrorCode.serverError,
  INSUFFICIENT_TOKEN_BALANCE: JsonRpcErrorCode.serverError,
  BALANCE_OVERFLOW: JsonRpcErrorCode.serverError,
  INVALID_SIGNATURE: JsonRpcErrorCode.serverError,
  WRONG_CHAIN_ID: JsonRpcErrorCode.serverError,
  UNPROTECTED_TX: JsonRpcErrorCode.serverError,
  GAS_LIMIT_TOO_LOW: JsonRpcErrorCode.serverError,
  FEE_CAP_TOO_LOW: JsonRpcErrorCode.serverError,
  INVALID_FEE: JsonRpcErrorCode.serverError,
  ALREADY_KNOWN: JsonRpcErrorCode.serverError,
  // geth answers state it pruned ("missing trie node") with -32000 too.
  HISTORICAL_STATE_UNAVAILABLE: JsonRpcErrorCode.serverError,
  // Well-formed but outside what l2kit's L2 supports: rejected.
  UNSUPPORTED_TX_TYPE: JsonRpcErrorCode.transactionRejected,
  CONTRACT_CREATION_UNSUPPORTED: JsonRpcErrorCode.transactionRejected,
  ACCESS_LIST_UNSUPPORTED: JsonRpcErrorCode.transactionRejected,
  UNSUPPORTED_CALL: JsonRpcErrorCode.transactionRejected,
  UNSUPPORTED_OPERATION: JsonRpcErrorCode.transactionRejected,
  AMOUNT_NOT_PACKABLE: JsonRpcErrorCode.transactionRejected,
  NONCE_TOO_LARGE: JsonRpcErrorCode.transactionRejected,
  GAS_LIMIT_TOO_LARGE: JsonRpcErrorCode.transactionRejected,
  FEE_NOT_PACKABLE: JsonRpcErrorCode.transactionRejected,
  UNKNOWN_TOKEN: JsonRpcErrorCode.transactionRejected,
  INVALID_TOKEN: JsonRpcErrorCode.transactionRejected,
  INVALID_TOKEN_INDEX: JsonRpcErrorCode.transactionRejected,
  ACCOUNTS_FULL: JsonRpcErrorCode.transactionRejected,
  WITHDRAWALS_FULL: JsonRpcErrorCode.transactionRejected,
  // Methods, resources, limits.
  UNSUPPORTED_METHOD: JsonRpcErrorCode.methodNotFound,
  NOT_FOUND: JsonRpcErrorCode.resourceNotFound,
  UNKNOWN_BLOCK: JsonRpcErrorCode.resourceNotFound,
  TXPOOL_FULL: JsonRpcErrorCode.limitExceeded,
  RATE_LIMITED: JsonRpcErrorCode.limitExceeded,
})

export type JsonRpcId = string | number | null

export interface JsonRpcError {
  code: number
  message: string
  data?: unknown
}

/** Throw from a handler to answer with an exact JSON-RPC error (e.g. code 3 "execution reverted" with data). */
export class RpcError extends Error {
  readonly code: number
  readonly data: unknown
  constructor(code: number, message: string, data?: unknown) {
    super(message)
    this.name = 'RpcError'
    this.code = code
    this.data = data
  }
}

/** A connection that can carry server-to-client notifications (a WebSocket); absent for HTTP requests. */
export interface RpcConnection {
  /** Sends `{"jsonrpc":"2.0","method":…,"params":…}` on this connection (dropped if it is closed). */
  notify(method: string, params: unknown): void
  /** Runs `listener` once when the connection closes (at once if it already has). */
  onClose(listener: () => void): void
}

export interface RpcContext {
  /** Set for requests that arrived over a WebSocket: subscriptions push their results through it. */
  connection?: RpcConnection
  method: string
  /** The request id; undefined for a notification (no response is sent). */
  id: JsonRpcId | undefined
  remoteAddress: string | undefined
  logger: Logger
}

/** A method implementation: positional params in, JSON-serialisable result out (bigints become hex quantities). */
export type RpcHandler = (params: unknown[], ctx: RpcContext) => unknown

export interface RpcServerOptions {
  host: string
  /** 0 picks a free port. */
  port: number
  maxBodyBytes: number
  maxBatchSize: number
  /** Cross-origin access for browser wallets and dapps: `true` = any origin, or a list of allowed origins. */
  cors: boolean | readonly string[]
  /** A request (headers and body) must arrive within this time. */
  requestTimeoutMs: number
  /** On stop, in-flight requests get this long before their connections are cut. */
  stopGraceMs: number
  /** L2kitError code → JSON-RPC error code (`registerErrorCodes` adds to it). */
  errorCodes: Readonly<Record<string, number>>
  /** Accept WebSocket upgrades on the same port (JSON-RPC over WebSocket, with subscriptions). */
  websocket: boolean
  /** When `port` is busy, take any free port instead of failing (for a default port nobody asked for). */
  fallbackToFreePort: boolean
}

export const defaultRpcServerOptions: RpcServerOptions = {
  host: '127.0.0.1',
  port: 0,
  maxBodyBytes: 1_000_000,
  maxBatchSize: 100,
  cors: true,
  requestTimeoutMs: 30_000,
  stopGraceMs: 5_000,
  errorCodes: defaultRpcErrorCodes,
  websocket: true,
  fallbackToFreePort: false,
}

export interface RpcServerModules {
  logger: Logger
  /** Served at GET /metrics; the server also records its request counts and latencies there. */
  metrics?: Metrics
  /** Called for GET /health; its result is added to the answer; throwing answers 503. */
  healthCheck?: () => unknown
}

interface Parsed {
  id: JsonRpcId | undefined
  method: string
  params: unknown
}

type Outcome = { result: unknown } | { error: JsonRpcError }

/**
 * A JSON-RPC 2.0 server over HTTP (node:http): single and batch requests, notifications, CORS with
 * preflight, GET /health and GET /metrics. L2kitErrors become JSON-RPC errors through `errorCodes`, with
 * the same message and `data: { code, details }`; unexpected errors become -32603 "internal error" and are
 * logged with their stack, never sent.
 */
export class RpcServer implements Service {
  readonly name = 'rpc'
  readonly options: RpcServerOptions
  private readonly logger: Logger
  private readonly modules: RpcServerModules
  private readonly handlers = new Map<string, RpcHandler>()
  /** `options.errorCodes` plus what families registered. */
  private readonly errorCodes: Map<string, number>
  private server: Server | undefined
  private boundUrl: string | undefined
  private readonly inflight = new Set<ServerResponse>()
  private closing = false
  private wss: WebSocketServer | undefined
  private readonly requestsTotal
  private readonly durationSeconds

  constructor(options: Partial<RpcServerOptions>, modules: RpcServerModules) {
    const o = withDefaults(defaultRpcServerOptions, options)
    const problems: string[] = []
    if (typeof o.host !== 'string' || o.host === '') problems.push('host must be a non-empty string')
    if (!isIntegerInRange(o.port, 0, 65_535)) problems.push('port must be an integer in [0, 65535]')
    if (!isIntegerInRange(o.maxBodyBytes, 64, 1_000_000_000))
      problems.push('maxBodyBytes must be an integer >= 64')
    if (!isIntegerInRange(o.maxBatchSize, 1, 100_000)) problems.push('maxBatchSize must be an integer >= 1')
    if (
      typeof o.cors !== 'boolean' &&
      !(Array.isArray(o.cors) && o.cors.every((x) => typeof x === 'string'))
    ) {
      problems.push('cors must be a boolean or a list of origins')
    }
    if (!isIntegerInRange(o.requestTimeoutMs, 1, 3_600_000))
      problems.push('requestTimeoutMs must be a positive integer')
    if (!isIntegerInRange(o.stopGraceMs, 0, 3_600_000)) problems.push('stopGraceMs must be an integer >= 0')
    if (typeof o.websocket !== 'boolean') problems.push('websocket must be a boolean')
    if (typeof o.errorCodes !== 'object' || o.errorCodes === null)
      problems.push('errorCodes must be an object')
    else if (!Object.values(o.errorCodes).every((c) => Number.isInteger(c)))
      problems.push('errorCodes must be integers')
    assertValidOptions('rpc server', problems)
    this.options = o
    this.errorCodes = new Map(Object.entries(o.errorCodes))
    this.modules = modules
    this.logger = modules.logger
    this.requestsTotal = modules.metrics?.counter(
      'rpc_requests_total',
      'JSON-RPC calls by method and outcome',
      ['method', 'outcome'],
    )
    this.durationSeconds = modules.metrics?.histogram(
      'rpc_request_duration_seconds',
      'JSON-RPC call duration',
      {
        labelNames: ['method'],
      },
    )
  }

  /** Adds a method. Throws if the name is taken. */
  register(method: string, handler: RpcHandler): this {
    if (typeof method !== 'string' || method === '' || method.startsWith('rpc.')) {
      throw new L2kitError('INVALID_RPC_METHOD', `cannot register a method named ${JSON.stringify(method)}`)
    }
    if (typeof handler !== 'function')
      throw new L2kitError('INVALID_RPC_METHOD', `${method}: handler must be a function`)
    if (this.handlers.has(method))
      throw new L2kitError('RPC_METHOD_EXISTS', `method ${method} is already registered`)
    this.handlers.set(method, handler)
    return this
  }

  /**
   * Adds L2kitError code → JSON-RPC error code mappings (a family's own codes). Throws if a code is already
   * mapped to a different JSON-RPC code; the same mapping again is a no-op.
   */
  registerErrorCodes(codes: Readonly<Record<string, number>>): this {
    for (const [code, rpcCode] of Object.entries(codes)) {
      if (!Number.isInteger(rpcCode))
        throw new L2kitError('INVALID_RPC_ERROR_CODE', `${code}: the JSON-RPC error code must be an integer`)
      const known = this.errorCodes.get(code)
      if (known !== undefined && known !== rpcCode)
        throw new L2kitError(
          'RPC_ERROR_CODE_EXISTS',
          `error code ${code} is already answered with ${known}, not ${rpcCode}`,
        )
    }
    for (const [code, rpcCode] of Object.entries(codes)) this.errorCodes.set(code, rpcCode)
    return this
  }

  /** Adds several methods at once. */
  registerAll(methods: Readonly<Record<string, RpcHandler>>): this {
    for (const [method, handler] of Object.entries(methods)) this.register(method, handler)
    return this
  }

  get methods(): string[] {
    return [...this.handlers.keys()]
  }

  /** The URL clients use, once started. */
  get url(): string | undefined {
    return this.boundUrl
  }

  /** Listens on host:port; resolves to the URL (e.g. `http://127.0.0.1:43117`). */
  async start(): Promise<string> {
    if (this.boundUrl !== undefined) return this.boundUrl
    const server = createServer((req, res) => {
      // While stopping, answer requests that still arrive on open keep-alive connections, then close them.
      if (this.closing) res.setHeader('Connection', 'close')
      this.inflight.add(res)
      res.once('close', () => this.inflight.delete(res))
      this.handleHttp(req, res).catch((error: unknown) => {
        this.logger.error({ err: error }, 'rpc: unhandled error in the HTTP handler')
        if (!res.headersSent) this.sendJson(res, 500, errorResponse(null, internalError()))
        else res.destroy()
      })
    })
    server.requestTimeout = this.options.requestTimeoutMs
    server.headersTimeout = Math.min(this.options.requestTimeoutMs, 60_000)
    server.keepAliveTimeout = 5_000
    const listen = (port: number) =>
      new Promise<void>((resolve, reject) => {
        const onError = (error: Error) => reject(error)
        server.once('error', onError)
        server.listen(port, this.options.host, () => {
          server.off('error', onError)
          resolve()
        })
      })
    try {
      await listen(this.options.port).catch(async (error: NodeJS.ErrnoException) => {
        if (!this.options.fallbackToFreePort || error.code !== 'EADDRINUSE' || this.options.port === 0)
          throw error
        this.logger.warn({ port: this.options.port }, 'port busy: listening on a free port instead')
        await listen(0)
      })
    } catch (error) {
      throw new L2kitError(
        'RPC_LISTEN_FAILED',
        `cannot listen on ${this.options.host}:${this.options.port}: ${(error as Error).message}`,
        { kind: 'critical', details: { host: this.options.host, port: this.options.port }, cause: error },
      )
    }
    server.on('error', (error) => this.logger.error({ err: error }, 'rpc server error'))
    if (this.options.websocket) this.acceptWebSockets(server)
    const address = server.address() as AddressInfo
    this.server = server
    this.boundUrl = `http://${urlHost(this.options.host)}:${address.port}`
    this.logger.info({ url: this.boundUrl, methods: this.handlers.size }, 'rpc server listening')
    return this.boundUrl
  }

  /** Stops accepting connections, lets in-flight requests finish (up to `stopGraceMs`), then closes. */
  async stop(): Promise<void> {
    const server = this.server
    if (server === undefined) return
    this.server = undefined
    this.boundUrl = undefined
    this.closing = true
    const wss = this.wss
    this.wss = undefined
    if (wss) {
      for (const ws of wss.clients) ws.close(1001, 'server stopping')
      wss.close()
    }
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    // Sockets upgraded to WebSockets are no longer tracked by the HTTP server: end the ones still open.
    if (wss)
      setTimeout(
        () => {
          for (const ws of wss.clients) ws.terminate()
        },
        Math.min(this.options.stopGraceMs, 1_000),
      ).unref()
    // Requests being handled close their connection once answered; idle ones close now.
    for (const res of this.inflight) if (!res.headersSent) res.setHeader('Connection', 'close')
    server.closeIdleConnections()
    const force = setTimeout(() => server.closeAllConnections(), this.options.stopGraceMs)
    await closed
    clearTimeout(force)
    this.closing = false
    this.logger.info('rpc server stopped')
  }

  /**
   * Handles one parsed JSON-RPC payload (single or batch) exactly as the HTTP path does and returns the
   * serialized response, or undefined when nothing is to be sent (only notifications).
   */
  async handlePayload(
    payload: unknown,
    remoteAddress?: string,
    connection?: RpcConnection,
  ): Promise<string | undefined> {
    if (Array.isArray(payload)) {
      if (payload.length === 0) {
        return stringifyJson(
          errorResponse(null, { code: JsonRpcErrorCode.invalidRequest, message: 'empty batch' }),
        )
      }
      if (payload.length > this.options.maxBatchSize) {
        return stringifyJson(
          errorResponse(null, {
            code: JsonRpcErrorCode.limitExceeded,
            message: `batch of ${payload.length} requests exceeds the limit of ${this.options.maxBatchSize}`,
          }),
        )
      }
      const responses = await Promise.all(
        payload.map((request) => this.handleOne(request, remoteAddress, connection)),
      )
      const sent = responses.filter((r) => r !== undefined)
      return sent.length === 0 ? undefined : `[${sent.join(',')}]`
    }
    return this.handleOne(payload, remoteAddress, connection)
  }

  private async handleOne(
    request: unknown,
    remoteAddress: string | undefined,
    connection?: RpcConnection,
  ): Promise<string | undefined> {
    const parsed = parseRequest(request)
    if ('error' in parsed) return stringifyJson(errorResponse(parsed.id, parsed.error))
    const { id, method } = parsed
    const handler = this.handlers.get(method)
    const label = handler === undefined ? 'unknown' : method
    const began = performance.now()
    let outcome: Outcome
    if (handler === undefined) {
      outcome = {
        error: {
          code: JsonRpcErrorCode.methodNotFound,
          message: `the method ${method} does not exist or is not supported by l2kit's L2`,
          data: { method },
        },
      }
    } else if (parsed.params !== undefined && !Array.isArray(parsed.params)) {
      outcome = {
        error: {
          code: JsonRpcErrorCode.invalidParams,
          message: `${method}: params must be an array (by position)`,
        },
      }
    } else {
      const params = (parsed.params as unknown[] | undefined) ?? []
      try {
        const ctx: RpcContext = { method, id, remoteAddress, logger: this.logger }
        if (connection) ctx.connection = connection
        const result = await handler(params, ctx)
        outcome = { result: result === undefined ? null : result }
      } catch (error) {
        outcome = { error: this.toRpcError(error, method) }
      }
    }
    let text: string | undefined
    if (id !== undefined) {
      try {
        text = stringifyJson(
          'error' in outcome
            ? errorResponse(id, outcome.error)
            : { jsonrpc: '2.0', id, result: outcome.result },
        )
      } catch (error) {
        this.logger.error({ err: error, method }, 'rpc: cannot serialize the result')
        outcome = { error: internalError() }
        text = stringifyJson(errorResponse(id, outcome.error))
      }
    }
    const seconds = (performance.now() - began) / 1000
    this.requestsTotal?.inc({ method: label, outcome: 'error' in outcome ? 'error' : 'ok' })
    this.durationSeconds?.observe({ method: label }, seconds)
    if (this.logger.isLevelEnabled('debug')) {
      const error = 'error' in outcome ? outcome.error : undefined
      this.logger.debug({ method, ms: Math.round(seconds * 1e6) / 1e3, errorCode: error?.code }, 'rpc call')
    }
    return text
  }

  private toRpcError(error: unknown, method: string): JsonRpcError {
    if (error instanceof RpcError) {
      return error.data === undefined
        ? { code: error.code, message: error.message }
        : { code: error.code, message: error.message, data: jsonSafe(error.data, 'hex') }
    }
    if (isL2kitError(error)) {
      const mapped = this.errorCodes.get(error.code)
      if (mapped === undefined && error.kind === ErrorKind.critical) {
        this.logger.error({ err: error, method }, 'rpc handler raised a critical error')
        return { code: JsonRpcErrorCode.internalError, message: 'internal error', data: { code: error.code } }
      }
      const code =
        mapped ??
        (error.kind === ErrorKind.invalidInput
          ? JsonRpcErrorCode.serverError
          : JsonRpcErrorCode.resourceUnavailable)
      return {
        code,
        message: error.message,
        data: { code: error.code, details: jsonSafe(error.details, 'decimal') },
      }
    }
    this.logger.error({ err: error, method }, 'rpc handler failed')
    return internalError()
  }

  /**
   * JSON-RPC over WebSocket on the HTTP port (an `Upgrade: websocket` request to any path), as geth and anvil
   * serve it: the same methods, plus notifications for handlers that use `ctx.connection` (eth_subscribe).
   */
  private acceptWebSockets(server: Server): void {
    const wss = new WebSocketServer({ noServer: true, maxPayload: this.options.maxBodyBytes })
    this.wss = wss
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const cors = this.options.cors
      const origin = req.headers.origin
      // Browsers do not apply CORS to WebSockets: enforce the same allow-list here.
      if (this.closing || (Array.isArray(cors) && origin !== undefined && !cors.includes(origin))) {
        socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
        return
      }
      wss.handleUpgrade(req, socket, head, (ws) => this.serveWebSocket(ws, req.socket.remoteAddress))
    })
  }

  private serveWebSocket(ws: WebSocket, remoteAddress: string | undefined): void {
    const closeListeners: (() => void)[] = []
    let closed = false
    const connection: RpcConnection = {
      notify: (method, params) => {
        if (closed || ws.readyState !== ws.OPEN) return
        ws.send(stringifyJson({ jsonrpc: '2.0', method, params }))
      },
      onClose: (listener) => {
        if (closed) listener()
        else closeListeners.push(listener)
      },
    }
    ws.on('close', () => {
      closed = true
      for (const listener of closeListeners.splice(0)) {
        try {
          listener()
        } catch (error) {
          this.logger.error({ err: error }, 'rpc: a WebSocket close listener failed')
        }
      }
    })
    ws.on('error', (error) => this.logger.debug({ err: error }, 'rpc: WebSocket error'))
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? undefined : data.toString()
      let payload: unknown
      try {
        payload = JSON.parse(text ?? '')
      } catch {
        ws.send(
          stringifyJson(errorResponse(null, { code: JsonRpcErrorCode.parseError, message: 'parse error' })),
        )
        return
      }
      this.handlePayload(payload, remoteAddress, connection)
        .then((response) => {
          if (response !== undefined && ws.readyState === ws.OPEN) ws.send(response)
        })
        .catch((error: unknown) => this.logger.error({ err: error }, 'rpc: unhandled error on a WebSocket'))
    })
  }

  private async handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.setCorsHeaders(req, res)
    const path = (req.url ?? '/').split('?')[0]
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'Access-Control-Max-Age': '600', 'Content-Length': '0' })
      res.end()
      return
    }
    if (req.method === 'GET' && path === '/health') return this.handleHealth(res)
    if (req.method === 'GET' && path === '/metrics') {
      const metrics = this.modules.metrics
      if (metrics === undefined) return this.sendJson(res, 404, { error: 'metrics are not enabled' })
      const text = await metrics.metricsText()
      res.writeHead(200, { 'Content-Type': metrics.contentType, 'Content-Length': Buffer.byteLength(text) })
      res.end(text)
      return
    }
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST, GET, OPTIONS')
      return this.sendJson(res, req.method === 'GET' ? 404 : 405, {
        error: 'send JSON-RPC requests with POST; GET serves /health and /metrics',
      })
    }
    const body = await this.readBody(req)
    if (body === 'too large') {
      res.setHeader('Connection', 'close')
      return this.sendJson(
        res,
        413,
        errorResponse(null, {
          code: JsonRpcErrorCode.invalidRequest,
          message: `request body exceeds the limit of ${this.options.maxBodyBytes} bytes`,
        }),
      )
    }
    if (body === undefined) return // the client went away
    let payload: unknown
    try {
      payload = JSON.parse(body.toString('utf8'))
    } catch {
      return this.sendJson(
        res,
        200,
        errorResponse(null, { code: JsonRpcErrorCode.parseError, message: 'parse error' }),
      )
    }
    const response = await this.handlePayload(payload, req.socket.remoteAddress)
    if (response === undefined) {
      res.writeHead(204)
      res.end()
      return
    }
    this.sendText(res, 200, response)
  }

  private async handleHealth(res: ServerResponse): Promise<void> {
    const check = this.modules.healthCheck
    if (check === undefined) return this.sendJson(res, 200, { status: 'ok' })
    try {
      const result = await check()
      const extra =
        typeof result === 'object' && result !== null ? result : result === undefined ? {} : { result }
      this.sendJson(res, 200, { status: 'ok', ...extra })
    } catch (error) {
      this.logger.warn({ err: error }, 'health check failed')
      this.sendJson(res, 503, {
        status: 'error',
        message: error instanceof Error ? error.message : String(error),
      })
    }
  }

  private readBody(req: IncomingMessage): Promise<Buffer | 'too large' | undefined> {
    const limit = this.options.maxBodyBytes
    const declared = Number(req.headers['content-length'])
    if (Number.isFinite(declared) && declared > limit) {
      req.resume()
      return Promise.resolve('too large')
    }
    return new Promise((resolve) => {
      const chunks: Buffer[] = []
      let size = 0
      let done = false
      const finish = (value: Buffer | 'too large' | undefined) => {
        if (done) return
        done = true
        resolve(value)
      }
      req.on('data', (chunk: Buffer) => {
        if (done) return
        size += chunk.length
        if (size > limit) {
          chunks.length = 0
          finish('too large')
          return
        }
        chunks.push(chunk)
      })
      req.on('end', () => finish(Buffer.concat(chunks, size)))
      req.on('error', () => finish(undefined))
      req.on('close', () => finish(undefined))
    })
  }

  private setCorsHeaders(req: IncomingMessage, res: ServerResponse): void {
    const cors = this.options.cors
    if (cors === false) return
    const origin = req.headers.origin
    if (cors === true) res.setHeader('Access-Control-Allow-Origin', '*')
    else {
      res.setHeader('Vary', 'Origin')
      if (origin === undefined || !cors.includes(origin)) return
      res.setHeader('Access-Control-Allow-Origin', origin)
    }
    res.setHeader('Access-Control-Allow-Methods', 'POST, GET, OPTIONS')
    const requested = req.headers['access-control-request-headers']
    res.setHeader('Access-Control-Allow-Headers', typeof requested === 'string' ? requested : 'Content-Type')
  }

  private sendJson(res: ServerResponse, status: number, body: unknown): void {
    this.sendText(res, status, stringifyJson(body))
  }

  private sendText(res: ServerResponse, status: number, text: string): void {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) })
    res.end(text)
  }
}

function parseRequest(request: unknown): Parsed | { id: JsonRpcId; error: JsonRpcError } {
  const invalid = (id: JsonRpcId, why: string) => ({
    id,
    error: { code: JsonRpcErrorCode.invalidRequest, message: `invalid request: ${why}` },
  })
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    return invalid(null, 'expected a JSON-RPC request object')
  }
  const r = request as Record<string, unknown>
  const hasId = Object.hasOwn(r, 'id')
  const id = r.id
  const validId = id === null || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id))
  if (hasId && !validId) return invalid(null, 'id must be a string, a number or null')
  const echoId = hasId ? (id as JsonRpcId) : null
  if (r.jsonrpc !== '2.0') return invalid(echoId, 'jsonrpc must be "2.0"')
  if (typeof r.method !== 'string' || r.method === '')
    return invalid(echoId, 'method must be a non-empty string')
  if (r.params !== undefined && (typeof r.params !== 'object' || r.params === null)) {
    return invalid(echoId, 'params must be an array or an object')
  }
  return { id: hasId ? (id as JsonRpcId) : undefined, method: r.method, params: r.params }
}

function errorResponse(id: JsonRpcId, error: JsonRpcError) {
  return { jsonrpc: '2.0' as const, id, error }
}

function internalError(): JsonRpcError {
  return { code: JsonRpcErrorCode.internalError, message: 'internal error' }
}

function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1'
  if (host === '::') return '[::1]'
  return host.includes(':') ? `[${host}]` : host
}

/**
 * Serializes a response, never failing on bigints (written as `0x` hex quantities, as Ethereum JSON-RPC
 * does) or bytes (`0x` hex). Throws only on cycles.
 */
export function stringifyJson(value: unknown): string {
  return JSON.stringify(value, function (this: unknown, key: string, v: unknown) {
    const raw = (this as Record<string, unknown>)[key]
    if (typeof raw === 'bigint') return bigintToQuantity(raw)
    if (raw instanceof Uint8Array) return bytesToHexString(raw)
    return v
  })
}

function bytesToHexString(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`
}

export type { jsonSafe }
