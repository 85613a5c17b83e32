/**
 * Small circuits for the setup tests, written inline and compiled with circom2 (the npm WASM build) into a
 * temporary directory: a chain of squarings with ONE public input, and one with two public inputs and two outputs.
 */
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { FR } from './snarkjsCompat.ts'

const require = createRequire(import.meta.url)

/** x = t[n−1] with t[0] = a·b, t[i] = t[i−1]² + a: n constraints, public input x, private a and b. */
export function chainCircuit(n: number): string {
  return `pragma circom 2.0.0;
template Chain(n) {
  signal input x;
  signal input a;
  signal input b;
  signal t[n];
  t[0] <== a * b;
  for (var i = 1; i < n; i++) t[i] <== t[i-1] * t[i-1] + a;
  x === t[n-1];
}
component main {public [x]} = Chain(${n});
`
}

/** The public input of chainCircuit(n) for private inputs a, b. */
export function chainOutput(n: number, a: bigint, b: bigint): bigint {
  let t = (a * b) % FR
  for (let i = 1; i < n; i++) t = (t * t + a) % FR
  return t
}

/** Two public inputs, two outputs, a linear constraint: exercises several IC points and public-signal rows. */
export const MULTI_CIRCUIT = `pragma circom 2.0.0;
template M(n) {
  signal input p1;
  signal input p2;
  signal input a;
  signal output o1;
  signal output o2;
  signal t[n];
  t[0] <== a * p1;
  for (var i = 1; i < n; i++) t[i] <== t[i-1] * (t[i-1] + 3*p2) + i;
  o1 <== t[n-1] * a;
  o2 <== o1 + p1 + 7;
}
component main {public [p1, p2]} = M(40);
`

/** Compiles `source` as `<dir>/<name>.circom`; returns the r1cs and witness-generator paths. */
export async function compileCircuit(
  dir: string,
  name: string,
  source: string,
): Promise<{ r1csPath: string; wasmPath: string }> {
  writeFileSync(join(dir, `${name}.circom`), source)
  const cli = join(dirname(require.resolve('circom2/package.json')), 'cli.js')
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [cli, `${name}.circom`, '--r1cs', '--wasm', '-o', '.'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (d) => {
      out += String(d)
    })
    child.stderr.on('data', (d) => {
      out += String(d)
    })
    child.on('error', reject)
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`circom2 failed (${code}): ${out}`)),
    )
  })
  return { r1csPath: join(dir, `${name}.r1cs`), wasmPath: join(dir, `${name}_js`, `${name}.wasm`) }
}

/** Stops snarkjs's shared curve (its worker threads would keep the test process alive). */
export async function stopSnarkjsCurve(): Promise<void> {
  const g = globalThis as { curve_bn128?: { terminate(): Promise<void> } | null }
  await g.curve_bn128?.terminate()
}
