/** What every family's bench shares: the machine a figure was measured on, and writing a result file. */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { dirname, resolve } from 'node:path'

export type Machine = { cpu: string; cores: number; memoryGiB: number; node: string }

/** This machine, as every `bench/results/*.json` states it. */
export function machineInfo(): Machine {
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  }
}

/** Writes `result` as indented JSON to `path` (folders created); returns the absolute path. */
export function writeResult(path: string, result: unknown): string {
  const out = resolve(path)
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`)
  return out
}
