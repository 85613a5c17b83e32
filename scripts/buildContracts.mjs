#!/usr/bin/env node
// Builds the Solidity contracts with forge (sources only; `forge test` compiles the tests) and writes
// src/generated/contracts.ts (ABIs as `as const` literals and creation bytecode) for the deployable contracts.
// Skips everything when contracts/src, foundry.toml and this script are unchanged since the generated file was
// written (their hash is stored in it). `--force` rebuilds anyway. A contract that uses linked libraries (the ZK
// rollup's Poseidon) also gets `<prefix>LinkReferences` (library name → byte offsets of the 20-byte placeholders in
// the creation bytecode) for `linkBytecode` (src/zk/l1/link.ts).
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { contractsDir, forgeBinaryPath } from './forge.mjs'

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)
const outputFile = resolve(projectRoot, 'src/generated/contracts.ts')
/** Contracts exported to TypeScript: artifact name → identifier prefix. */
const deployable = [
  ['Portal', 'portal'],
  ['Rollup', 'rollup'],
  ['DevToken', 'devToken'],
  ['Groth16Verifier', 'groth16Verifier'],
  ['ZkRollup', 'zkRollup'],
  ['ChannelHub', 'channelHub'],
  ['PreimageRegistry', 'preimageRegistry'],
  ['PlasmaFramework', 'plasmaFramework'],
  ['StakeManager', 'stakeManager'],
  ['SidechainBridge', 'sidechainBridge'],
  ['L2Bridge', 'l2Bridge'],
  ['BridgedERC20', 'bridgedErc20'],
]
/**
 * Libraries exported with forge's ABI but the npm package's own precompiled bytecode, and its deterministic
 * deployment (CREATE2 salt, address, factory): poseidon-solidity's build costs about half the gas per hash of ours
 * (T3 ~19k vs ~30k, T4 ~35k vs ~78k: ours is legacy codegen), and it already sits at those addresses on public
 * chains. Artifact name → identifier prefix, package, key in the package's exports.
 */
const packaged = [
  ['PoseidonT3', 'poseidonT3', 'poseidon-solidity', 'PoseidonT3'],
  ['PoseidonT4', 'poseidonT4', 'poseidon-solidity', 'PoseidonT4'],
]
const force = process.argv.includes('--force')

function listFiles(dir) {
  const files = []
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) files.push(...listFiles(path))
    else if (entry.endsWith('.sol')) files.push(path)
  }
  return files
}

/** Hash of everything that determines the artifacts we export. */
function sourcesHash() {
  const hash = createHash('sha256')
  const inputs = [
    ...listFiles(join(contractsDir, 'src')),
    join(contractsDir, 'foundry.toml'),
    fileURLToPath(import.meta.url),
    ...[...new Set(packaged.map(([, , pkg]) => pkg))].map((pkg) => require.resolve(`${pkg}/package.json`)),
  ]
  for (const file of inputs) {
    hash.update(relative(projectRoot, file))
    hash.update('\0')
    hash.update(readFileSync(file))
    hash.update('\0')
  }
  return hash.digest('hex')
}

function storedHash() {
  if (!existsSync(outputFile)) return undefined
  return /^\/\/ sources-sha256: ([0-9a-f]{64})$/m.exec(readFileSync(outputFile, 'utf8'))?.[1]
}

/** JSON value as a TypeScript literal (single quotes, no trailing commas), readable one entry per line. */
function toLiteral(value, indent = '') {
  const inner = `${indent}  `
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]'
    return `[\n${value.map((v) => `${inner}${toLiteral(v, inner)}`).join(',\n')},\n${indent}]`
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
    if (entries.length === 0) return '{}'
    const flat = entries.every(([, v]) => v === null || typeof v !== 'object')
    const parts = entries.map(
      ([k, v]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : `'${k}'`}: ${toLiteral(v, inner)}`,
    )
    if (flat) return `{ ${parts.join(', ')} }`
    return `{\n${parts.map((p) => `${inner}${p}`).join(',\n')},\n${indent}}`
  }
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
  return JSON.stringify(value)
}

/** forge's `linkReferences` ({ source: { library: [{ start, length }] } }) as a flat, sorted list. */
function linkReferencesOf(linkReferences) {
  const out = []
  for (const [source, libraries] of Object.entries(linkReferences ?? {})) {
    for (const [library, refs] of Object.entries(libraries)) {
      out.push({ library, source, offsets: refs.map((r) => r.start) })
      if (refs.some((r) => r.length !== 20)) throw new Error(`${library}: link reference length is not 20`)
    }
  }
  return out.sort((a, b) => a.library.localeCompare(b.library))
}

const hash = sourcesHash()
if (!force && storedHash() === hash) {
  console.log('contracts: unchanged, src/generated/contracts.ts is up to date')
  process.exit(0)
}

const started = Date.now()
function forgeBuild(extra = []) {
  const build = spawnSync(forgeBinaryPath(), ['build', '--skip', 'test', ...extra], {
    cwd: contractsDir,
    encoding: 'utf8',
  })
  if (build.status !== 0) {
    process.stderr.write(build.stdout ?? '')
    process.stderr.write(build.stderr ?? '')
    console.error(`contracts: forge build failed (exit ${build.status ?? build.signal})`)
    process.exit(1)
  }
}
forgeBuild()
// `forge lint` leaves ABI-only artifacts that forge's cache then considers fresh: rebuild without the cache once.
const hasBytecode = (name) => {
  try {
    const artifact = JSON.parse(
      readFileSync(join(contractsDir, 'out', `${name}.sol`, `${name}.json`), 'utf8'),
    )
    return typeof artifact.bytecode?.object === 'string' && artifact.bytecode.object.length > 2
  } catch {
    return false
  }
}
if (!deployable.every(([name]) => hasBytecode(name))) forgeBuild(['--force'])

let body = ''
const sizes = []
for (const [name, prefix] of deployable) {
  const artifactPath = join(contractsDir, 'out', `${name}.sol`, `${name}.json`)
  const artifact = JSON.parse(readFileSync(artifactPath, 'utf8'))
  const bytecode = artifact.bytecode?.object
  if (typeof bytecode !== 'string' || !bytecode.startsWith('0x') || bytecode.length <= 2) {
    console.error(`contracts: ${relative(projectRoot, artifactPath)} has no creation bytecode`)
    process.exit(1)
  }
  const runtimeSize = ((artifact.deployedBytecode?.object?.length ?? 2) - 2) / 2
  sizes.push(`${name} ${runtimeSize} B`)
  body += `/** ABI of \`${name}\` (contracts/src). */\n`
  body += `export const ${prefix}Abi = ${toLiteral(artifact.abi)} as const\n\n`
  const links = linkReferencesOf(artifact.bytecode?.linkReferences)
  if (links.length > 0) {
    body += `/** Creation bytecode of \`${name}\`, NOT deployable as is: link its libraries first (\`${prefix}LinkReferences\`). */\n`
  } else {
    body += `/** Creation bytecode of \`${name}\` (constructor arguments are appended ABI-encoded). */\n`
  }
  body += `export const ${prefix}Bytecode = '${bytecode}' as const\n\n`
  if (links.length > 0) {
    body += `/** Libraries \`${name}\` links: name, source and the byte offsets of its 20-byte placeholders in the creation bytecode. */\n`
    body += `export const ${prefix}LinkReferences = ${toLiteral(links)} as const\n\n`
  }
}

for (const [name, prefix, pkg, key] of packaged) {
  const artifact = JSON.parse(readFileSync(join(contractsDir, 'out', `${name}.sol`, `${name}.json`), 'utf8'))
  const deployment = require(pkg)[key]
  const version = require(`${pkg}/package.json`).version
  if (!/^0x[0-9a-f]+$/i.test(deployment?.bytecode ?? '')) {
    console.error(`contracts: ${pkg} has no bytecode for ${key}`)
    process.exit(1)
  }
  sizes.push(`${name} (${pkg} ${version})`)
  body += `/** ABI of \`${name}\` (${pkg}, linked library). */\n`
  body += `export const ${prefix}Abi = ${toLiteral(artifact.abi)} as const\n\n`
  body += `/** Creation bytecode of \`${name}\` as ${pkg} ${version} ships it (its own build of the same source). */\n`
  body += `export const ${prefix}Bytecode = '${deployment.bytecode}' as const\n\n`
  body += `/** ${pkg}'s deterministic deployment of \`${name}\`: CREATE2 through \`factory\` with \`salt\` gives \`address\`. */\n`
  body += `export const ${prefix}Deployment = ${toLiteral({ factory: deployment.proxyAddress, salt: deployment.salt, address: deployment.address })} as const\n\n`
}

const header = [
  '// generated by scripts/buildContracts.mjs — do not edit',
  `// sources-sha256: ${hash}`,
  '/* biome-ignore-all format: generated */',
  '',
].join('\n')
mkdirSync(dirname(outputFile), { recursive: true })
writeFileSync(outputFile, `${header}\n${body.trimEnd()}\n`)
console.log(
  `contracts: built in ${((Date.now() - started) / 1000).toFixed(1)} s, wrote src/generated/contracts.ts (${sizes.join(', ')})`,
)
