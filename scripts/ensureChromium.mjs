#!/usr/bin/env node
// Finds the Chromium the browser tests drive with playwright-core (Playwright's own browser download is not
// reachable here: Debian's `chromium` package is). When it is missing and we run as root on a Debian-like system,
// installs it with apt-get; otherwise fails with the exact command to run. It never lets a test skip silently.
//
//   node scripts/ensureChromium.mjs     prints the binary's path (installing it first if needed)
import { execFileSync, spawnSync } from 'node:child_process'
import { accessSync, constants, existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const INSTALL_COMMAND = 'apt-get install -y chromium'

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome-stable',
  '/usr/bin/google-chrome',
]

const executable = (path) => {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** The Chromium binary: `L2KIT_CHROMIUM` when set, else the first of the usual paths; undefined when none. */
export function findChromium() {
  const given = process.env.L2KIT_CHROMIUM
  if (given) {
    if (!executable(given)) throw new Error(`L2KIT_CHROMIUM=${given} is not an executable file`)
    return given
  }
  return CANDIDATES.find(executable)
}

function apt(args, log) {
  log(`apt-get ${args.join(' ')}`)
  const r = spawnSync('apt-get', args, {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: 20 * 60_000,
  })
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() }
}

/**
 * The Chromium binary's path. Installs Debian's `chromium` first when it is missing and this process may
 * (root, apt-get present); otherwise throws an error naming the command to run.
 */
export function ensureChromium({ log = (m) => process.stderr.write(`» ${m}\n`) } = {}) {
  const found = findChromium()
  if (found) return found
  const root = typeof process.getuid === 'function' && process.getuid() === 0
  const hasApt = existsSync('/usr/bin/apt-get')
  if (!root || !hasApt) {
    throw new Error(
      `Chromium is missing: the dashboard's browser test needs it. Run \`sudo ${INSTALL_COMMAND}\`` +
        ' (or set L2KIT_CHROMIUM to a Chromium or Chrome binary).',
    )
  }
  log("Chromium is missing: installing Debian's chromium package (once; a few minutes)")
  let r = apt(['install', '-y', 'chromium'], log)
  // a fresh container may have no package index yet
  if (!r.ok) r = apt(['update'], log).ok ? apt(['install', '-y', 'chromium'], log) : r
  const installed = findChromium()
  if (!r.ok || !installed) {
    throw new Error(
      `installing Chromium failed; run \`${INSTALL_COMMAND}\` yourself. apt-get said: ${r.output.slice(-1500)}`,
    )
  }
  log(`Chromium installed: ${execFileSync(installed, ['--version'], { encoding: 'utf8' }).trim()}`)
  return installed
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    process.stdout.write(`${ensureChromium()}\n`)
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(1)
  }
}
