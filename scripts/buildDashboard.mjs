#!/usr/bin/env node
// Builds the web dashboard (dashboard/ → dashboard/dist) with Vite when its output is missing or stale.
//
// Stale means: a source file the last bundle was made from (listed with its sha256 in dist/.l2kit-build.json by
// the Vite config's plugin) changed or is gone, or package-lock.json changed. The output is never committed, so
// `npm ci && npm start` builds it on the first `l2kit up`; `npm test` runs this first so the e2e files that start
// `l2kit up` in parallel find it built. Concurrent builders take a lock (a directory holding the owner's pid),
// build aside and swap the result in, so a reader never sees a half-written bundle.
//
//   node scripts/buildDashboard.mjs            build if stale; prints one JSON line { built, ms, dist }
//   node scripts/buildDashboard.mjs --force    build anyway
//   node scripts/buildDashboard.mjs --check    exit 0 when fresh, 1 when a build is needed (builds nothing)
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const dashboard = join(root, 'dashboard')
const dist = join(dashboard, 'dist')
const lockDir = join(dashboard, '.build-lock')
const STAMP = '.l2kit-build.json'

/** Why the built output cannot be used as it is, or undefined when it is fresh. */
export function staleReason() {
  const stampPath = join(dist, STAMP)
  if (!existsSync(join(dist, 'index.html')) || !existsSync(stampPath)) return 'not built yet'
  let inputs
  try {
    inputs = JSON.parse(readFileSync(stampPath, 'utf8')).inputs
  } catch {
    return 'unreadable build stamp'
  }
  if (typeof inputs !== 'object' || inputs === null || Object.keys(inputs).length === 0)
    return 'empty build stamp'
  for (const [rel, hash] of Object.entries(inputs)) {
    const abs = join(root, rel)
    if (!existsSync(abs)) return `${rel} is gone`
    if (createHash('sha256').update(readFileSync(abs)).digest('hex') !== hash) return `${rel} changed`
  }
  return undefined
}

const alive = (pid) => {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return err.code === 'EPERM'
  }
}

/** Takes the build lock: waits while a live process holds it, takes over one whose owner died. */
async function lock(log) {
  const deadline = Date.now() + 10 * 60_000
  let told = false
  for (;;) {
    try {
      mkdirSync(lockDir)
      writeFileSync(join(lockDir, 'pid'), String(process.pid))
      return
    } catch (err) {
      if (err.code !== 'EEXIST') throw err
    }
    let owner = Number.NaN
    try {
      owner = Number(readFileSync(join(lockDir, 'pid'), 'utf8'))
    } catch {
      // the owner is between mkdir and writing its pid: give it a moment, unless the lock is old
      if (Date.now() - statSync(lockDir, { throwIfNoEntry: false })?.mtimeMs < 5_000) owner = -1
    }
    if (owner !== -1 && (!Number.isInteger(owner) || !alive(owner))) {
      rmSync(lockDir, { recursive: true, force: true })
      continue
    }
    if (!told) log('another process is building the dashboard; waiting for it')
    told = true
    if (Date.now() > deadline) throw new Error(`timed out waiting for the dashboard build lock ${lockDir}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

function unlock() {
  rmSync(lockDir, { recursive: true, force: true })
}

/** Runs `vite build` in a child process with the output directed to `outDir`. */
function viteBuild(outDir) {
  const viteBin = join(dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js')
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [viteBin, 'build', '--config', join(dashboard, 'vite.config.ts')], {
      cwd: dashboard,
      env: { ...process.env, L2KIT_DASHBOARD_OUT: outDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (d) => {
      output += d
    })
    child.stderr.on('data', (d) => {
      output += d
    })
    child.once('error', reject)
    child.once('exit', (code, signal) => {
      if (code === 0) resolve()
      else reject(new Error(`vite build failed (${signal ?? `exit ${code}`}): ${output.trim().slice(-4000)}`))
    })
  })
}

/**
 * Builds the dashboard unless its output is fresh. Resolves to `{ built, reason?, ms, dist }`; rejects with the
 * build's own error output.
 */
export async function ensureDashboardBuilt({ force = false, log = () => undefined } = {}) {
  const began = Date.now()
  let reason = force ? 'forced' : staleReason()
  if (reason === undefined) return { built: false, ms: Date.now() - began, dist }
  await lock(log)
  try {
    // someone else may have built it while we waited
    if (!force) reason = staleReason()
    if (reason === undefined) return { built: false, ms: Date.now() - began, dist }
    log(`building the dashboard with Vite (${reason})`)
    const tmp = join(dashboard, `.dist-${process.pid}`)
    const old = join(dashboard, `.dist-old-${process.pid}`)
    rmSync(tmp, { recursive: true, force: true })
    try {
      await viteBuild(tmp)
      if (existsSync(dist)) renameSync(dist, old)
      renameSync(tmp, dist)
    } finally {
      rmSync(tmp, { recursive: true, force: true })
      rmSync(old, { recursive: true, force: true })
    }
    return { built: true, reason, ms: Date.now() - began, dist }
  } finally {
    unlock()
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2)
  if (args.includes('--check')) {
    const reason = staleReason()
    if (reason !== undefined) process.stderr.write(`dashboard build needed: ${reason}\n`)
    process.exit(reason === undefined ? 0 : 1)
  }
  try {
    const result = await ensureDashboardBuilt({
      force: args.includes('--force'),
      log: (m) => process.stderr.write(`» ${m}\n`),
    })
    process.stdout.write(`${JSON.stringify(result)}\n`)
  } catch (err) {
    process.stderr.write(`DASHBOARD_BUILD_FAILED: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(1)
  }
}
