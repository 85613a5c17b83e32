/**
 * The dashboard's HTTP server: the built web app's static files, `GET /api/config` (the devnet's summary, the
 * same data as `l2kit up --json`) and `GET /api/compare` (`bench/results/compare.json` when it exists). It proxies
 * nothing: the page talks to the nodes' own JSON-RPC (which answers CORS) and to the L1 directly.
 */
import { createReadStream, existsSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, resolve, sep } from 'node:path'
import { L2kitError } from '../core/errors.ts'
import { jsonSafe } from '../core/json.ts'
import type { Logger } from './logger.ts'
import { assertValidOptions, isIntegerInRange, withDefaults } from './options.ts'

export interface DashboardServerOptions {
  host: string
  /** 0 picks a free port. */
  port: number
  /** When `port` is busy, take any free port instead of failing (for a default port nobody asked for). */
  fallbackToFreePort: boolean
  /** The Vite build output (holds index.html). */
  distDir: string
  /** `l2kit compare`'s results; answered 404 with a hint while the file does not exist. */
  compareFile: string | undefined
}

export const defaultDashboardServerOptions: DashboardServerOptions = {
  host: '127.0.0.1',
  port: 0,
  fallbackToFreePort: false,
  distDir: '',
  compareFile: undefined,
}

export interface DashboardServerModules {
  logger: Logger
  /** What `/api/config` answers, read on every request (the summary may grow as families start). */
  config: () => unknown
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
}

/** Serves the dashboard; `start()` resolves to its URL, `stop()` closes it. */
export class DashboardServer {
  readonly options: DashboardServerOptions
  readonly #m: DashboardServerModules
  #server: Server | undefined
  #url: string | undefined

  constructor(options: Partial<DashboardServerOptions>, modules: DashboardServerModules) {
    const o = withDefaults(defaultDashboardServerOptions, options)
    const problems: string[] = []
    if (typeof o.host !== 'string' || o.host === '') problems.push('host must be a non-empty string')
    if (!isIntegerInRange(o.port, 0, 65_535)) problems.push('port must be an integer in [0, 65535]')
    if (typeof o.distDir !== 'string' || o.distDir === '') problems.push('distDir must be a directory path')
    assertValidOptions('dashboard server', problems)
    this.options = o
    this.#m = modules
  }

  get url(): string | undefined {
    return this.#url
  }

  async start(): Promise<string> {
    if (this.#url !== undefined) return this.#url
    const index = join(this.options.distDir, 'index.html')
    if (!existsSync(index)) {
      throw new L2kitError('DASHBOARD_NOT_BUILT', `the dashboard is not built: ${index} is missing`, {
        details: { distDir: this.options.distDir },
        kind: 'critical',
      })
    }
    const server = createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => {
        this.#m.logger.error({ err, url: req.url }, 'dashboard: request failed')
        if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error')
        else res.destroy()
      })
    })
    server.keepAliveTimeout = 5_000
    const listen = (port: number) =>
      new Promise<void>((ok, fail) => {
        server.once('error', fail)
        server.listen(port, this.options.host, () => {
          server.off('error', fail)
          ok()
        })
      })
    try {
      await listen(this.options.port).catch(async (error: NodeJS.ErrnoException) => {
        if (!this.options.fallbackToFreePort || error.code !== 'EADDRINUSE' || this.options.port === 0)
          throw error
        this.#m.logger.warn(
          { port: this.options.port },
          'dashboard port busy: listening on a free port instead',
        )
        await listen(0)
      })
    } catch (error) {
      throw new L2kitError(
        'DASHBOARD_LISTEN_FAILED',
        `cannot listen on ${this.options.host}:${this.options.port}: ${(error as Error).message}`,
        { kind: 'critical', details: { host: this.options.host, port: this.options.port }, cause: error },
      )
    }
    const { port } = server.address() as AddressInfo
    this.#server = server
    const host = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host
    this.#url = `http://${host}:${port}/`
    this.#m.logger.info({ url: this.#url }, 'dashboard listening')
    return this.#url
  }

  async stop(): Promise<void> {
    const server = this.#server
    if (server === undefined) return
    this.#server = undefined
    this.#url = undefined
    const closed = new Promise<void>((ok) => server.close(() => ok()))
    server.closeIdleConnections()
    const force = setTimeout(() => server.closeAllConnections(), 2_000)
    await closed
    clearTimeout(force)
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD')
      send(res, 405, 'text/plain; charset=utf-8', 'method not allowed')
      return
    }
    const path = decodePath(req.url ?? '/')
    if (path === undefined) {
      send(res, 400, 'text/plain; charset=utf-8', 'bad path')
      return
    }
    res.setHeader('Cache-Control', 'no-store')
    if (path === '/api/config') {
      sendJson(res, 200, jsonSafe(this.#m.config(), 'decimal'))
      return
    }
    if (path === '/api/compare') {
      await this.#compare(res)
      return
    }
    if (path.startsWith('/api/')) {
      sendJson(res, 404, { error: `no such endpoint: ${path}` })
      return
    }
    await this.#static(path, req.method === 'HEAD', res)
  }

  async #compare(res: ServerResponse): Promise<void> {
    const file = this.options.compareFile
    const hint = { error: 'no compare results yet: run l2kit compare', file: file ?? null }
    if (file === undefined || !existsSync(file)) {
      sendJson(res, 404, hint)
      return
    }
    let text: string
    try {
      text = await readFile(file, 'utf8')
      JSON.parse(text)
    } catch (err) {
      // written while we read it, or not JSON: say so rather than hand the page half a file
      sendJson(res, 503, { error: `compare results unreadable: ${(err as Error).message}`, file })
      return
    }
    send(res, 200, CONTENT_TYPES['.json'] as string, text)
  }

  async #static(path: string, head: boolean, res: ServerResponse): Promise<void> {
    const root = resolve(this.options.distDir)
    let file = resolve(root, `.${path}`)
    // never outside the build output, whatever the URL says
    if (file !== root && !file.startsWith(root + sep)) {
      send(res, 403, 'text/plain; charset=utf-8', 'forbidden')
      return
    }
    let info = await stat(file).catch(() => undefined)
    if (info?.isDirectory()) {
      file = join(file, 'index.html')
      info = await stat(file).catch(() => undefined)
    }
    if (info === undefined || !info.isFile()) {
      send(res, 404, 'text/plain; charset=utf-8', 'not found')
      return
    }
    const type = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream'
    res.writeHead(200, { 'Content-Type': type, 'Content-Length': info.size })
    if (head) {
      res.end()
      return
    }
    createReadStream(file).pipe(res)
  }
}

/** The URL's path, percent-decoded and normalised; undefined when it cannot be decoded or holds a NUL. */
function decodePath(url: string): string | undefined {
  const raw = url.split('?')[0]?.split('#')[0] ?? '/'
  let path: string
  try {
    path = decodeURIComponent(raw)
  } catch {
    return undefined
  }
  if (path.includes('\0') || !path.startsWith('/')) return undefined
  return normalize(path).split(sep).join('/')
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) })
  res.end(body)
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, CONTENT_TYPES['.json'] as string, JSON.stringify(value))
}
