import { createPublicClient, http } from 'viem'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { type ErrorCode, isL2kitError, L2kitError } from '../core/errors.ts'
import { type Logger, recordingLogger } from '../core/logger.ts'
import { sleep } from './lifecycle.ts'
import { createMetrics, type Metrics } from './metrics.ts'
import {
  defaultRpcErrorCodes,
  JsonRpcErrorCode,
  type RpcConnection,
  RpcError,
  RpcServer,
  type RpcServerOptions,
} from './rpcServer.ts'

const servers: RpcServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()))
})

async function startServer(
  options: Partial<RpcServerOptions> = {},
  modules: { metrics?: Metrics; healthCheck?: () => unknown; logger?: Logger } = {},
) {
  const logger = recordingLogger()
  const server = new RpcServer(options, { logger, ...modules })
  server.register('eth_chainId', () => '0x10f2c')
  server.register('echo', (params) => params)
  server.register('big', () => ({
    value: 2n ** 70n,
    bytes: new Uint8Array([0xab, 0xcd]),
    nothing: undefined,
  }))
  server.register('void', () => undefined)
  servers.push(server)
  const url = await server.start()
  return { server, url, logger }
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await response.text()
  return {
    status: response.status,
    headers: response.headers,
    text,
    json: text === '' ? undefined : JSON.parse(text),
  }
}

const call = (method: string, params?: unknown, id: unknown = 1) => ({
  jsonrpc: '2.0',
  id,
  method,
  ...(params === undefined ? {} : { params }),
})

describe('RpcServer', () => {
  it('answers viem clients', async () => {
    const { url } = await startServer()
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const client = createPublicClient({ transport: http(url) })
    expect(await client.getChainId()).toBe(0x10f2c)
    const batched = createPublicClient({ transport: http(url, { batch: true }) })
    expect(await Promise.all([batched.getChainId(), batched.getChainId()])).toEqual([0x10f2c, 0x10f2c])
  })

  it('serializes results safely: bigints as hex quantities, bytes as hex, undefined as null', async () => {
    const { url } = await startServer()
    expect((await post(url, call('big'))).json).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: { value: '0x400000000000000000', bytes: '0xabcd' },
    })
    expect((await post(url, call('void', [], 'abc'))).json).toEqual({
      jsonrpc: '2.0',
      id: 'abc',
      result: null,
    })
    expect((await post(url, call('echo', [1, 'x'], null))).json).toEqual({
      jsonrpc: '2.0',
      id: null,
      result: [1, 'x'],
    })
  })

  it('handles batches in order, leaving out notifications', async () => {
    const { server, url } = await startServer()
    const notified: unknown[] = []
    server.register('notify', (params) => {
      notified.push(params[0])
    })
    const { json } = await post(url, [
      call('echo', ['a'], 1),
      { jsonrpc: '2.0', method: 'notify', params: ['n1'] },
      call('nope', [], 2),
      { id: 3, method: 'echo' },
      call('echo', ['b'], 4),
      42,
    ])
    expect(json).toEqual([
      { jsonrpc: '2.0', id: 1, result: ['a'] },
      { jsonrpc: '2.0', id: 2, error: expect.objectContaining({ code: -32601 }) },
      { jsonrpc: '2.0', id: 3, error: expect.objectContaining({ code: -32600 }) },
      { jsonrpc: '2.0', id: 4, result: ['b'] },
      { jsonrpc: '2.0', id: null, error: expect.objectContaining({ code: -32600 }) },
    ])
    expect(notified).toEqual(['n1'])
    const onlyNotifications = await post(url, [{ jsonrpc: '2.0', method: 'notify', params: ['n2'] }])
    expect(onlyNotifications.status).toBe(204)
    expect(onlyNotifications.text).toBe('')
    const single = await post(url, { jsonrpc: '2.0', method: 'notify', params: ['n3'] })
    expect(single.status).toBe(204)
    expect(notified).toEqual(['n1', 'n2', 'n3'])
  })

  it('answers protocol errors with the standard codes', async () => {
    const { url } = await startServer({ maxBatchSize: 3 })
    const parse = await post(url, '{"jsonrpc": "2.0", "method": ')
    expect(parse.json).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } })
    expect((await post(url, { jsonrpc: '1.0', id: 5, method: 'echo' })).json.error.code).toBe(-32600)
    expect((await post(url, { jsonrpc: '2.0', id: 5, method: 7 })).json).toMatchObject({
      id: 5,
      error: { code: -32600 },
    })
    expect((await post(url, { jsonrpc: '2.0', id: { x: 1 }, method: 'echo' })).json).toMatchObject({
      id: null,
      error: { code: -32600 },
    })
    expect((await post(url, { jsonrpc: '2.0', id: 1, method: 'echo', params: 'x' })).json.error.code).toBe(
      -32600,
    )
    expect((await post(url, [])).json).toMatchObject({ id: null, error: { code: -32600 } })
    expect((await post(url, [call('echo'), call('echo'), call('echo'), call('echo')])).json).toMatchObject({
      id: null,
      error: { code: -32005, message: 'batch of 4 requests exceeds the limit of 3' },
    })
    const notFound = await post(url, call('eth_getProof', [], 9))
    expect(notFound.json.error).toEqual({
      code: -32601,
      message: "the method eth_getProof does not exist or is not supported by l2kit's L2",
      data: { method: 'eth_getProof' },
    })
    expect((await post(url, call('echo', { a: 1 }))).json.error.code).toBe(-32602)
  })

  it('maps L2kitErrors to JSON-RPC errors with the same message and { code, details }', async () => {
    const { server, url } = await startServer({
      errorCodes: { ...defaultRpcErrorCodes, CHANNEL_CLOSED: -32003 },
    })
    const throwing = (error: unknown) => () => {
      throw error
    }
    server.registerAll({
      nonceLow: throwing(
        new L2kitError('NONCE_TOO_LOW', 'nonce too low: next nonce 5, tx nonce 3', {
          details: { expected: 5n, got: 3n, nested: { amount: 10n ** 30n } },
        }),
      ),
      funds: throwing(new L2kitError('INSUFFICIENT_BALANCE', 'insufficient funds for gas * price + value')),
      malformed: throwing(new L2kitError('MALFORMED_TRANSACTION', 'not RLP')),
      txType: throwing(new L2kitError('UNSUPPORTED_TX_TYPE', 'blob transactions are not supported')),
      unknownCode: throwing(new L2kitError('SOMETHING_NEW' as ErrorCode, 'some new input problem')),
      extended: throwing(new L2kitError('CHANNEL_CLOSED', 'channel closed')),
      busy: throwing(new L2kitError('L1_UNAVAILABLE', 'L1 is not answering', { kind: 'temporary' })),
      broken: throwing(new L2kitError('STATE_CORRUPT', 'secret internal detail', { kind: 'critical' })),
      reverted: throwing(new RpcError(3, 'execution reverted', '0x08c379a0')),
    })
    const errorOf = async (method: string) => (await post(url, call(method, []))).json.error
    expect(await errorOf('nonceLow')).toEqual({
      code: -32000,
      message: 'nonce too low: next nonce 5, tx nonce 3',
      data: {
        code: 'NONCE_TOO_LOW',
        details: { expected: '5', got: '3', nested: { amount: '1000000000000000000000000000000' } },
      },
    })
    expect(await errorOf('funds')).toMatchObject({ code: -32000, data: { code: 'INSUFFICIENT_BALANCE' } })
    expect((await errorOf('malformed')).code).toBe(JsonRpcErrorCode.invalidParams)
    expect((await errorOf('txType')).code).toBe(JsonRpcErrorCode.transactionRejected)
    expect((await errorOf('unknownCode')).code).toBe(-32000)
    expect((await errorOf('extended')).code).toBe(-32003)
    expect(await errorOf('busy')).toMatchObject({ code: -32002, message: 'L1 is not answering' })
    expect(await errorOf('broken')).toEqual({
      code: -32603,
      message: 'internal error',
      data: { code: 'STATE_CORRUPT' },
    })
    expect(await errorOf('reverted')).toEqual({ code: 3, message: 'execution reverted', data: '0x08c379a0' })
  })

  it('lets a family register its own error codes, refusing a conflicting mapping', async () => {
    const { server, url } = await startServer()
    // A family's code is not the server's business until the family registers it.
    expect(defaultRpcErrorCodes.TX_CENSORED).toBeUndefined()
    server.register('censored', () => {
      throw new L2kitError('TX_CENSORED', 'this sequencer refuses transactions from 0xabc')
    })
    const errorOf = async () => (await post(url, call('censored', []))).json.error
    expect((await errorOf()).code).toBe(JsonRpcErrorCode.serverError)
    server.registerErrorCodes({ TX_CENSORED: JsonRpcErrorCode.transactionRejected })
    expect(await errorOf()).toEqual({
      code: -32003,
      message: 'this sequencer refuses transactions from 0xabc',
      data: { code: 'TX_CENSORED', details: {} },
    })
    // The same mapping again is fine; a different one, or one over a default, is a mistake.
    server.registerErrorCodes({ TX_CENSORED: -32003 })
    expect(() => server.registerErrorCodes({ TX_CENSORED: -32000 })).toThrow(/already answered with -32003/)
    expect(() => server.registerErrorCodes({ NONCE_TOO_LOW: -32003 })).toThrow(
      expect.objectContaining({ code: 'RPC_ERROR_CODE_EXISTS' }),
    )
    expect(() => server.registerErrorCodes({ OTHER: 1.5 })).toThrow(/must be an integer/)
  })

  it('hides unexpected errors behind -32603 and logs them with the stack', async () => {
    const { server, url, logger } = await startServer()
    server.register('crash', () => {
      throw new TypeError('cannot read properties of undefined (secret path /home/x)')
    })
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    server.register('cyclic', () => cyclic)
    const { text, json } = await post(url, [
      call('crash', [], 1),
      call('cyclic', [], 2),
      call('echo', [3], 3),
    ])
    expect(json).toEqual([
      { jsonrpc: '2.0', id: 1, error: { code: -32603, message: 'internal error' } },
      { jsonrpc: '2.0', id: 2, error: { code: -32603, message: 'internal error' } },
      { jsonrpc: '2.0', id: 3, result: [3] },
    ])
    expect(text).not.toContain('secret')
    const logged = logger.records.find((r) => r.level === 'error' && r.fields.method === 'crash')
    expect(logged?.fields.err).toBeInstanceOf(TypeError)
    expect((logged?.fields.err as Error | undefined)?.stack).toContain('rpcServer.test.ts')
  })

  it('gives viem clients the error code and message', async () => {
    const { server, url } = await startServer()
    server.register('eth_sendRawTransaction', () => {
      throw new L2kitError('NONCE_TOO_LOW', 'nonce too low: next nonce 5, tx nonce 3')
    })
    const client = createPublicClient({ transport: http(url, { retryCount: 0 }) })
    const error = await client
      .request({ method: 'eth_sendRawTransaction', params: ['0x00'] })
      .catch((e: unknown) => e)
    const walked = (error as { walk: (fn: (e: unknown) => boolean) => unknown }).walk(
      (e) => typeof (e as { code?: unknown }).code === 'number',
    ) as { code: number; details: string }
    expect(walked.code).toBe(-32000)
    expect(walked.details).toBe('nonce too low: next nonce 5, tx nonce 3')
  })

  it('refuses oversized bodies with 413 and a JSON-RPC error', async () => {
    const { url } = await startServer({ maxBodyBytes: 1000 })
    const big = JSON.stringify(call('echo', ['x'.repeat(5000)]))
    const declared = await post(url, big)
    expect(declared.status).toBe(413)
    expect(declared.json).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32600 } })
    // Streamed without Content-Length: the limit applies while reading.
    const encoder = new TextEncoder()
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 5; i++) controller.enqueue(encoder.encode(big.slice(i * 1000, (i + 1) * 1000)))
        controller.enqueue(encoder.encode(big.slice(5000)))
        controller.close()
      },
    })
    const streamed = await fetch(url, { method: 'POST', body: stream, duplex: 'half' } as RequestInit)
    expect(streamed.status).toBe(413)
    expect(((await streamed.json()) as { error: { code: number } }).error.code).toBe(-32600)
    // The server still works.
    expect((await post(url, call('echo', [1]))).json.result).toEqual([1])
  })

  it('allows browsers: CORS headers and OPTIONS preflight', async () => {
    const { url } = await startServer()
    const preflight = await fetch(url, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*')
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST')
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type')
    const response = await post(url, call('eth_chainId'), { origin: 'https://app.example' })
    expect(response.headers.get('access-control-allow-origin')).toBe('*')
  })

  it('limits CORS to listed origins, or turns it off', async () => {
    const listed = await startServer({ cors: ['https://wallet.example'] })
    const allowed = await post(listed.url, call('eth_chainId'), { origin: 'https://wallet.example' })
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://wallet.example')
    const other = await post(listed.url, call('eth_chainId'), { origin: 'https://evil.example' })
    expect(other.headers.get('access-control-allow-origin')).toBeNull()
    const off = await startServer({ cors: false })
    expect(
      (await post(off.url, call('eth_chainId'), { origin: 'x' })).headers.get('access-control-allow-origin'),
    ).toBeNull()
  })

  it('serves /health and /metrics', async () => {
    const metrics = createMetrics()
    let healthy = true
    const { url } = await startServer(
      {},
      {
        metrics,
        healthCheck: () => {
          if (!healthy) throw new Error('L1 unreachable')
          return { l2Block: 12 }
        },
      },
    )
    await post(url, call('eth_chainId'))
    await post(url, call('missing_method'))
    const health = await fetch(`${url}/health`)
    expect(health.status).toBe(200)
    expect(await health.json()).toEqual({ status: 'ok', l2Block: 12 })
    healthy = false
    const sick = await fetch(`${url}/health`)
    expect(sick.status).toBe(503)
    expect(await sick.json()).toEqual({ status: 'error', message: 'L1 unreachable' })
    const text = await (await fetch(`${url}/metrics`)).text()
    expect(text).toContain('l2kit_rpc_requests_total{method="eth_chainId",outcome="ok"} 1')
    expect(text).toContain('l2kit_rpc_requests_total{method="unknown",outcome="error"} 1')
    expect(text).toContain('l2kit_rpc_request_duration_seconds_bucket')
    const plain = await startServer()
    expect((await fetch(`${plain.url}/metrics`)).status).toBe(404)
    expect(await (await fetch(`${plain.url}/health`)).json()).toEqual({ status: 'ok' })
    expect((await fetch(`${plain.url}/other`)).status).toBe(404)
    expect((await fetch(plain.url, { method: 'PUT', body: '{}' })).status).toBe(405)
  })

  it('finishes in-flight requests on stop, then refuses connections', async () => {
    const { server, url } = await startServer()
    server.register('slow', async () => {
      await sleep(100)
      return 'done'
    })
    const pending = post(url, call('slow'))
    await sleep(20)
    await server.stop()
    expect((await pending).json.result).toBe('done')
    await expect(fetch(url, { method: 'POST', body: '{}' })).rejects.toThrow()
    await server.stop()
  })

  it('takes a free port when a default port is busy, if allowed', async () => {
    const { server, url } = await startServer()
    const port = Number(new URL(url).port)
    const second = new RpcServer({ port, fallbackToFreePort: true }, { logger: recordingLogger() })
    const secondUrl = await second.start()
    expect(Number(new URL(secondUrl).port)).not.toBe(port)
    await second.stop()
    await server.stop()
  })

  it('reports a taken port and rejects bad options and duplicate methods', async () => {
    const { server, url } = await startServer()
    const port = Number(new URL(url).port)
    const second = new RpcServer({ port }, { logger: recordingLogger() })
    const error = await second.start().catch((e: unknown) => e)
    expect(isL2kitError(error, 'RPC_LISTEN_FAILED')).toBe(true)
    expect(() => server.register('echo', () => 1)).toThrow(
      expect.objectContaining({ code: 'RPC_METHOD_EXISTS' }),
    )
    for (const options of [{ port: 70000 }, { maxBatchSize: 0 }, { cors: 'yes' }, { host: '' }]) {
      expect(() => new RpcServer(options as never, { logger: recordingLogger() })).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTIONS' }),
      )
    }
  })

  it('serves JSON-RPC over a WebSocket on the same port, with notifications and close listeners', async () => {
    const { server, url } = await startServer({ cors: ['https://wallet.example'] })
    let connection: RpcConnection | undefined
    let closed = false
    server.register('sub', (_params, ctx) => {
      connection = ctx.connection
      ctx.connection?.onClose(() => {
        closed = true
      })
      return ctx.connection ? 'ws' : 'http'
    })
    const ws = new WebSocket(url.replace(/^http/, 'ws'), { origin: 'https://wallet.example' })
    const messages: unknown[] = []
    ws.on('message', (data) => messages.push(JSON.parse(data.toString())))
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId' }))
    ws.send(
      JSON.stringify([
        { jsonrpc: '2.0', id: 2, method: 'sub' },
        { jsonrpc: '2.0', id: 3, method: 'nope' },
      ]),
    )
    ws.send('{not json')
    await until(() => messages.length >= 3)
    expect(messages).toContainEqual({ jsonrpc: '2.0', id: 1, result: '0x10f2c' })
    expect(messages).toContainEqual([
      { jsonrpc: '2.0', id: 2, result: 'ws' },
      expect.objectContaining({ id: 3, error: expect.objectContaining({ code: -32601 }) }),
    ])
    expect(messages).toContainEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32700, message: 'parse error' },
    })
    connection?.notify('eth_subscription', { subscription: '0x1', result: 5n })
    await until(() => messages.length >= 4)
    expect(messages[3]).toEqual({
      jsonrpc: '2.0',
      method: 'eth_subscription',
      params: { subscription: '0x1', result: '0x5' },
    })
    ws.close()
    await until(() => closed)
    // The HTTP path has no connection; an origin outside the allow-list cannot open a WebSocket.
    expect((await post(url, call('sub'))).json).toMatchObject({ result: 'http' })
    const refused = new WebSocket(url.replace(/^http/, 'ws'), { origin: 'https://evil.example' })
    await expect(
      new Promise((resolve, reject) => refused.once('open', resolve).once('error', reject)),
    ).rejects.toThrow(/403/)
  })

  it('closes open WebSockets when it stops', async () => {
    const { server, url } = await startServer()
    const ws = new WebSocket(url.replace(/^http/, 'ws'))
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
    const closedWith = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)))
    await server.stop()
    expect(await closedWith).toBe(1001)
  })
})

async function until(fn: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!fn()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await sleep(10)
  }
}
