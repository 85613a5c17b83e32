#!/usr/bin/env node
// Runs the forge binary shipped by @foundry-rs/forge in contracts/ with the given arguments:
//   node scripts/forge.mjs build | test [-vvv] [--gas-report] | ...
// stdio is inherited and the exit code passed through.
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** Absolute path of the forge binary for this platform (linux-amd64 is what the project installs). */
export function forgeBinaryPath() {
  const platform = `${process.platform}-${process.arch === 'x64' ? 'amd64' : process.arch}`
  const pkg = require.resolve(`@foundry-rs/forge-${platform}/package.json`)
  return resolve(dirname(pkg), 'bin', 'forge')
}

/** Directory of the Foundry project. */
export const contractsDir = resolve(projectRoot, 'contracts')

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const child = spawn(forgeBinaryPath(), process.argv.slice(2), { cwd: contractsDir, stdio: 'inherit' })
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
  child.on('error', (error) => {
    console.error(`forge: ${error.message}`)
    process.exit(1)
  })
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
}
