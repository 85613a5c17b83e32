#!/usr/bin/env node
// A `solc` executable for forge, backed by the `solc` npm package (solc-js), so `forge build` works offline.
// Forge only needs two modes: `--version` and `--standard-json` (input JSON on stdin, output JSON on stdout).
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, isAbsolute, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)

/** Value of a `--flag value` or `--flag=value` option, all occurrences. */
function optionValues(name) {
  const values = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    if (arg === name && i + 1 < args.length) values.push(args[++i])
    else if (arg.startsWith(`${name}=`)) values.push(arg.slice(name.length + 1))
  }
  return values
}

function loadSolc() {
  return require('solc')
}

if (args.includes('--version') || args.includes('-v')) {
  // solc-js reports e.g. `0.8.30+commit.73712a01.Emscripten.clang`; forge parses the `Version:` line.
  const version = loadSolc().version().replace('.Emscripten.clang', '.Linux.g++')
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${version}\n`)
  process.exit(0)
}

if (!args.includes('--standard-json')) {
  process.stderr.write('solc.mjs (solc-js wrapper) supports only --version and --standard-json\n')
  process.exit(1)
}

const searchRoots = [
  ...optionValues('--base-path'),
  ...optionValues('--include-path'),
  process.cwd(),
  resolve(projectRoot, 'contracts'),
  resolve(projectRoot, 'node_modules'),
  projectRoot,
]

/** Import callback: forge normally sends every source inline; this covers anything it left out. */
function findImports(path) {
  const candidates = isAbsolute(path) ? [path] : searchRoots.map((root) => resolve(root, path))
  for (const candidate of candidates) {
    if (existsSync(candidate)) return { contents: readFileSync(candidate, 'utf8') }
  }
  return { error: `File not found: ${path}` }
}

const chunks = []
process.stdin.on('data', (chunk) => chunks.push(chunk))
process.stdin.on('end', () => {
  const input = Buffer.concat(chunks).toString('utf8')
  const output = loadSolc().compile(input, { import: findImports })
  process.stdout.write(output)
})
