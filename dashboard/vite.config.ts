/**
 * Vite build of the dashboard. `scripts/buildDashboard.mjs` runs it (from `l2kit up` when the output is missing or
 * stale, and from `npm test`); the plugin records every source file the bundle was made from with its hash, so the
 * next start can tell whether a rebuild is needed without rebuilding.
 */
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig, type Plugin } from 'vite'

const here = dirname(fileURLToPath(import.meta.url))
const repo = resolve(here, '..')
const outDir = process.env.L2KIT_DASHBOARD_OUT ?? join(here, 'dist')

/** Writes `.l2kit-build.json`: each input (repo-relative path) with its sha256, and the lockfile's. */
function buildStamp(): Plugin {
  let ids: string[] = []
  return {
    name: 'l2kit-build-stamp',
    apply: 'build',
    generateBundle() {
      ids = [...this.getModuleIds()]
    },
    closeBundle() {
      const inputs: Record<string, string> = {}
      const add = (abs: string) => {
        const rel = relative(repo, abs).split('\\').join('/')
        if (rel.startsWith('..') || rel.startsWith('node_modules/')) return
        inputs[rel] = createHash('sha256').update(readFileSync(abs)).digest('hex')
      }
      for (const id of ids) {
        const file = id.split('?')[0] ?? ''
        if (file.startsWith('/') && !file.includes('\0')) add(file)
      }
      for (const extra of ['package-lock.json', 'dashboard/vite.config.ts', 'dashboard/index.html'])
        add(join(repo, extra))
      writeFileSync(join(outDir, '.l2kit-build.json'), `${JSON.stringify({ inputs }, null, 1)}\n`)
    },
  }
}

export default defineConfig({
  root: here,
  base: './',
  logLevel: 'warn',
  plugins: [buildStamp()],
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // vega is large; one chunk of it is expected
    chunkSizeWarningLimit: 2_000,
  },
})
