import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { isL2kitError } from '../core/errors.ts'
import { silentLogger } from '../core/logger.ts'
import { DashboardServer } from './dashboard.ts'

const dir = mkdtempSync(join(tmpdir(), 'l2kit-dashboard-unit-'))
const dist = join(dir, 'dist')
mkdirSync(join(dist, 'assets'), { recursive: true })
writeFileSync(join(dist, 'index.html'), '<!doctype html><title>x</title>')
writeFileSync(join(dist, 'assets', 'app.js'), 'console.log(1)')
writeFileSync(join(dir, 'secret.txt'), 'not for the page')
const compareFile = join(dir, 'compare.json')

const started: DashboardServer[] = []
afterEach(async () => {
  for (const s of started.splice(0)) await s.stop()
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function serve(config: () => unknown = () => ({ l1Rpc: 'http://x', families: {}, big: 10n ** 30n })) {
  const s = new DashboardServer({ distDir: dist, compareFile }, { logger: silentLogger, config })
  started.push(s)
  return { server: s, url: await s.start() }
}

async function rejectsWithCode(p: Promise<unknown>, code: string): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(isL2kitError(err) ? err.code : err).toBe(code)
}

/** A raw GET (fetch would normalise `..` away before the server sees it). */
function get(
  url: string,
  path: string,
  method = 'GET',
): Promise<{ status: number; type: string; body: string }> {
  const u = new URL(url)
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method }, (res) => {
      let body = ''
      res.on('data', (d: Buffer) => {
        body += d.toString()
      })
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }),
      )
    })
    req.on('error', reject)
    req.end()
  })
}

describe('DashboardServer', () => {
  it('serves the built page and its assets with their content types', async () => {
    const { url } = await serve()
    const index = await get(url, '/')
    expect(index.status).toBe(200)
    expect(index.type).toContain('text/html')
    const js = await get(url, '/assets/app.js')
    expect(js.status).toBe(200)
    expect(js.type).toContain('text/javascript')
    expect((await get(url, '/nope.js')).status).toBe(404)
  })

  it('answers the devnet summary at /api/config, bigints as decimal strings, read on every request', async () => {
    let n = 0
    const { url } = await serve(() => ({ l1Rpc: 'http://127.0.0.1:1', n: ++n, big: 10n ** 30n }))
    const first = JSON.parse((await get(url, '/api/config')).body)
    expect(first).toEqual({ l1Rpc: 'http://127.0.0.1:1', n: 1, big: '1000000000000000000000000000000' })
    expect(JSON.parse((await get(url, '/api/config')).body).n).toBe(2)
  })

  it('says to run l2kit compare until compare.json exists, then serves it', async () => {
    rmSync(compareFile, { force: true })
    const { url } = await serve()
    const missing = await get(url, '/api/compare')
    expect(missing.status).toBe(404)
    expect(JSON.parse(missing.body).error).toMatch(/run l2kit compare/)
    writeFileSync(compareFile, '{"version":1,"rows":[]}')
    const found = await get(url, '/api/compare')
    expect(found.status).toBe(200)
    expect(JSON.parse(found.body)).toEqual({ version: 1, rows: [] })
    writeFileSync(compareFile, '{"half a fi')
    expect((await get(url, '/api/compare')).status).toBe(503)
  })

  it('never serves a file outside the build output, and only GET and HEAD', async () => {
    const { url } = await serve()
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt']) {
      const r = await get(url, path)
      expect(r.body).not.toContain('not for the page')
      expect([403, 404]).toContain(r.status)
    }
    expect((await get(url, '/%E0%A4%A', 'GET')).status).toBe(400)
    expect((await get(url, '/', 'POST')).status).toBe(405)
    const head = await get(url, '/', 'HEAD')
    expect(head.status).toBe(200)
    expect(head.body).toBe('')
    expect((await get(url, '/api/unknown')).status).toBe(404)
  })

  it('takes a free port when its default is busy, and fails on a chosen busy port', async () => {
    const { server: first } = await serve()
    const port = Number(new URL(first.url as string).port)
    const fallback = new DashboardServer(
      { distDir: dist, port, fallbackToFreePort: true, compareFile: undefined },
      { logger: silentLogger, config: () => ({}) },
    )
    started.push(fallback)
    expect(new URL(await fallback.start()).port).not.toBe(String(port))
    const strict = new DashboardServer(
      { distDir: dist, port, compareFile: undefined },
      { logger: silentLogger, config: () => ({}) },
    )
    await rejectsWithCode(strict.start(), 'DASHBOARD_LISTEN_FAILED')
  })

  it('refuses to start without a build and rejects bad options', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'l2kit-dashboard-empty-'))
    const s = new DashboardServer({ distDir: empty }, { logger: silentLogger, config: () => ({}) })
    await rejectsWithCode(s.start(), 'DASHBOARD_NOT_BUILT')
    rmSync(empty, { recursive: true, force: true })
    expect(
      () => new DashboardServer({ distDir: '', port: -1 }, { logger: silentLogger, config: () => ({}) }),
    ).toThrow(/distDir.*|port/)
  })
})
