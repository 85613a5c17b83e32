#!/usr/bin/env node
// Runs the TypeScript CLI without a separate compile step to forget.
//
// Fast path: an esbuild bundle of src/ (and bench/), dependencies left external so Node loads them natively,
// cached under node_modules/.cache/l2kit-cli/<hash of the sources' paths, sizes and mtimes> and rebuilt (~0.2 s)
// whenever a source changes. Loading the .ts files through tsx's module hooks instead costs about 1 ms per
// module, dependencies included: ~1 s for viem alone, on every call (`l2kit status` 1.4 s → 0.5 s, `--help`
// 0.35 s → 0.1 s). Each subcommand is its own chunk (main.ts imports them lazily).
// Fallback, and always for `bench` (it locates files relative to its own source) or with L2KIT_NO_BUNDLE=1: tsx.
import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const verbose = process.argv.includes('--verbose') || Boolean(process.env.DEBUG)

/** Every source file under `dir` with its size and mtime (tests excluded: the CLI never imports them). */
function listSources(dir, out) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) listSources(path, out)
    else if (/\.(ts|mts|mjs|js|json)$/.test(entry.name) && !entry.name.endsWith('.test.ts')) {
      const s = statSync(path)
      out.push(`${path}\0${s.size}\0${s.mtimeMs}`)
    }
  }
  return out
}

/** Path of the bundle's entry, building it if the sources changed; undefined when bundling is not possible. */
async function bundledEntry() {
  const sources = [...listSources(join(root, 'src'), []), ...listSources(join(root, 'bench'), [])]
  sources.push(`${fileURLToPath(import.meta.url)}\0${statSync(fileURLToPath(import.meta.url)).mtimeMs}`)
  const hash = createHash('sha256').update(sources.join('\n')).digest('hex').slice(0, 16)
  const cacheRoot = join(root, 'node_modules', '.cache', 'l2kit-cli')
  const outdir = join(cacheRoot, hash)
  const entry = join(outdir, 'main.js')
  if (existsSync(entry)) return entry
  // esbuild comes with tsx (a dependency); resolve it from there so no second copy is needed.
  const requireFromTsx = createRequire(createRequire(import.meta.url).resolve('tsx/package.json'))
  const esbuild = requireFromTsx('esbuild')
  // Built aside and renamed into place, so concurrent first calls never see a half-written bundle.
  const tmp = join(cacheRoot, `tmp-${process.pid}-${Date.now()}`)
  mkdirSync(tmp, { recursive: true })
  try {
    await esbuild.build({
      entryPoints: [join(root, 'src/cli/main.ts')],
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      outdir: tmp,
      sourcemap: 'linked',
      logLevel: 'silent',
    })
    // Worker scripts are loaded by URL next to the module that starts them (new URL('./x.mjs', import.meta.url)).
    for (const dir of ['src/node', 'src/zk', 'src/zk/setup']) {
      for (const f of readdirSync(join(root, dir)))
        if (f.endsWith('.mjs')) copyFileSync(join(root, dir, f), join(tmp, f))
    }
    try {
      renameSync(tmp, outdir)
    } catch {
      // another process put the same bundle in place first
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true })
    // esbuild keeps a service process for further builds; there are none, so do not leave it running.
    await esbuild.stop?.()
  }
  pruneOldBundles(cacheRoot, hash)
  return existsSync(entry) ? entry : undefined
}

/** Bundles of older sources pile up while someone edits src/; drop those not touched for a day. */
function pruneOldBundles(cacheRoot, keep) {
  const dayAgo = Date.now() - 86_400_000
  for (const name of readdirSync(cacheRoot)) {
    const path = join(cacheRoot, name)
    if (name !== keep && statSync(path).mtimeMs < dayAgo) rmSync(path, { recursive: true, force: true })
  }
}

async function runWithTsx() {
  const { register } = await import('tsx/esm/api')
  register()
  await import('../src/cli/main.ts')
}

if (process.argv[2] === 'bench' || process.argv[3] === 'bench' || process.env.L2KIT_NO_BUNDLE === '1') {
  await runWithTsx()
} else {
  let entry
  try {
    entry = await bundledEntry()
  } catch (err) {
    if (verbose)
      process.stderr.write(`l2kit: no bundle (${err instanceof Error ? err.message : err}); using tsx\n`)
  }
  if (entry === undefined) await runWithTsx()
  else {
    // Stack traces point into src/ (through the bundle's source map) when someone asked for them.
    if (verbose) process.setSourceMapsEnabled(true)
    await import(pathToFileURL(entry).href)
  }
}
