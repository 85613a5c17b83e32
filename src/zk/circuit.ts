/**
 * Compiling the block circuit (circuits/zk/block.circom) with circom2 — the npm WASM build of circom 2 — into an
 * r1cs and a witness generator, cached by a hash of everything that determines them. circom2 cannot follow include
 * paths, so the build copies circomlib's circuits next to the source. Compiling takes ~20 s for a 3-chunk depth-4
 * block and minutes (GBs of memory) for the benchmark's 32-chunk depth-16 block, hence the cache.
 */
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { L2kitError } from '../core/errors.ts'
import './protocol/errors.ts'

/** The checkout holding circuits/ (walks up: the CLI may run this module from a bundle under node_modules/.cache). */
function findProjectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    if (existsSync(join(dir, 'circuits', 'zk', 'block.circom'))) return dir
    const up = dirname(dir)
    if (up === dir) return resolve(dirname(fileURLToPath(import.meta.url)), '../..')
    dir = up
  }
}
const projectRoot = findProjectRoot()
const require = createRequire(import.meta.url)

export const BLOCK_CIRCUIT_SOURCE = join(projectRoot, 'circuits/zk/block.circom')

export type CircuitParams = {
  /** chunks per block (N) */
  chunks: number
  /** account tree depth (D) */
  depth: number
}

export type CompiledCircuit = CircuitParams & {
  /** cache key: sha256 of the source, circomlib, circom2's version and the parameters */
  key: string
  dir: string
  r1csPath: string
  wasmPath: string
  constraints: number
  compileSeconds: number
  cached: boolean
}

function packageDir(name: string): string {
  return dirname(require.resolve(`${name}/package.json`))
}

function hashDir(hash: ReturnType<typeof createHash>, dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) hashDir(hash, path)
    else if (entry.name.endsWith('.circom')) {
      hash.update(entry.name)
      hash.update(readFileSync(path))
    }
  }
}

/** The cache key of a circuit: changes whenever anything that shapes the r1cs changes. */
export function circuitKey(params: CircuitParams): string {
  const hash = createHash('sha256')
  hash.update(readFileSync(BLOCK_CIRCUIT_SOURCE))
  hashDir(hash, join(packageDir('circomlib'), 'circuits'))
  hash.update(JSON.parse(readFileSync(join(packageDir('circom2'), 'package.json'), 'utf8')).version as string)
  hash.update(`N=${params.chunks};D=${params.depth}`)
  return hash.digest('hex').slice(0, 32)
}

function checkParams(params: CircuitParams): void {
  const problems: string[] = []
  if (!Number.isInteger(params.chunks) || params.chunks < 1 || params.chunks > 256) {
    problems.push(`chunks must be an integer in 1..256, got ${params.chunks}`)
  }
  if (!Number.isInteger(params.depth) || params.depth < 1 || params.depth > 16) {
    problems.push(`depth must be an integer in 1..16, got ${params.depth}`)
  }
  if (problems.length > 0)
    throw new L2kitError('INVALID_OPTIONS', `Invalid circuit parameters: ${problems.join('; ')}`)
}

/** The number of constraints in an r1cs file (its header). */
export function r1csConstraints(r1csPath: string): number {
  const data = readFileSync(r1csPath)
  // "r1cs" magic, version, section count, then sections (type u32, size u64); section 1 = header
  let offset = 12
  const sections = data.readUInt32LE(8)
  for (let s = 0; s < sections; s++) {
    const type = data.readUInt32LE(offset)
    const size = Number(data.readBigUInt64LE(offset + 4))
    offset += 12
    if (type === 1) {
      const fieldSize = data.readUInt32LE(offset)
      // fieldSize, prime, nWires, nPubOut, nPubIn, nPrvIn, nLabels (u64), nConstraints
      return data.readUInt32LE(offset + 4 + fieldSize + 4 * 4 + 8)
    }
    offset += size
  }
  throw new L2kitError('ZK_CIRCUIT_BUILD_FAILED', `${r1csPath} has no r1cs header section`)
}

/**
 * Compiles the block circuit for `params` into `cacheDir/circuits/<key>/` (or returns the cached build). Writes
 * into a temporary folder renamed at the end, so a killed compile never leaves a half-written entry.
 */
export async function compileBlockCircuit(
  params: CircuitParams,
  options: { cacheDir: string; onProgress?: (line: string) => void },
): Promise<CompiledCircuit> {
  checkParams(params)
  const key = circuitKey(params)
  const dir = join(options.cacheDir, 'circuits', key)
  const r1csPath = join(dir, 'main.r1cs')
  const wasmPath = join(dir, 'main_js', 'main.wasm')
  const done = join(dir, 'done.json')
  if (existsSync(done) && existsSync(r1csPath) && existsSync(wasmPath)) {
    const meta = JSON.parse(readFileSync(done, 'utf8')) as { constraints: number; compileSeconds: number }
    return { ...params, key, dir, r1csPath, wasmPath, ...meta, cached: true }
  }
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`
  mkdirSync(tmp, { recursive: true })
  try {
    cpSync(join(packageDir('circomlib'), 'circuits'), join(tmp, 'circomlib'), { recursive: true })
    cpSync(BLOCK_CIRCUIT_SOURCE, join(tmp, 'block.circom'))
    writeFileSync(
      join(tmp, 'main.circom'),
      `pragma circom 2.1.0;\ninclude "block.circom";\ncomponent main {public [commitment]} = Block(${params.chunks}, ${params.depth});\n`,
    )
    const started = Date.now()
    options.onProgress?.(`compiling the ZK block circuit (${params.chunks} chunks, depth ${params.depth})…`)
    const output = await run(
      process.execPath,
      [join(packageDir('circom2'), 'cli.js'), 'main.circom', '--r1cs', '--wasm', '--O2', '-o', '.'],
      tmp,
    )
    const compileSeconds = (Date.now() - started) / 1000
    const constraints = r1csConstraints(join(tmp, 'main.r1cs'))
    options.onProgress?.(`compiled: ${constraints} constraints in ${compileSeconds.toFixed(1)} s`)
    rmSync(join(tmp, 'circomlib'), { recursive: true, force: true })
    writeFileSync(
      join(tmp, 'done.json'),
      JSON.stringify({ constraints, compileSeconds, output: output.slice(-2000) }),
    )
    mkdirSync(dirname(dir), { recursive: true })
    // Another process (a parallel test file) may have finished the same build first: keep its entry, which may
    // be in use, and drop ours.
    if (!existsSync(done)) {
      rmSync(dir, { recursive: true, force: true })
      try {
        renameSync(tmp, dir)
      } catch (error) {
        if (!existsSync(done)) throw error
      }
    }
    rmSync(tmp, { recursive: true, force: true })
    return { ...params, key, dir, r1csPath, wasmPath, constraints, compileSeconds, cached: false }
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true })
    throw error
  }
}

function run(command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString()
    })
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString()
    })
    child.on('error', reject)
    child.on('close', (code) => {
      if (code === 0 && !/error\[/i.test(output)) resolvePromise(output)
      else {
        reject(
          new L2kitError(
            'ZK_CIRCUIT_BUILD_FAILED',
            `circom2 failed to compile the block circuit (exit ${code})`,
            {
              kind: 'critical',
              details: { output: output.slice(-4000) },
            },
          ),
        )
      }
    })
  })
}
