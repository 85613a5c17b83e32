/**
 * Witness generation for the block circuit: circom's WebAssembly witness calculator (through snarkjs) evaluates
 * every signal and fails on the first constraint the input does not satisfy — the same checks the proof makes.
 */
import * as snarkjs from 'snarkjs'
import { L2kitError } from '../core/errors.ts'
import './protocol/errors.ts'

/** Circuit input with bigints/numbers as decimal strings, nested arrays kept. */
export function toCircuitInput(input: Record<string, unknown>): Record<string, unknown> {
  const convert = (v: unknown): unknown => {
    if (typeof v === 'bigint' || typeof v === 'number') return v.toString()
    if (Array.isArray(v)) return v.map(convert)
    return v
  }
  return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, convert(v)]))
}

/** Computes the witness (`.wtns` bytes); throws ZK_WITNESS_FAILED with circom's message if a constraint fails. */
export async function calculateWitness(
  wasmPath: string,
  input: Record<string, unknown>,
): Promise<Uint8Array> {
  const out: { type: 'mem'; data?: Uint8Array } = { type: 'mem' }
  try {
    await snarkjs.wtns.calculate(toCircuitInput(input), wasmPath, out)
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    throw new L2kitError(
      'ZK_WITNESS_FAILED',
      `the block does not satisfy the circuit: ${message.split('\n')[0]}`,
      {
        details: { circom: message.slice(0, 2000) },
        cause: error,
      },
    )
  }
  if (out.data === undefined)
    throw new L2kitError('ZK_WITNESS_FAILED', 'the witness calculator returned no data')
  return out.data
}
