// Types of fixedBaseWorker.mjs (the engine can also run on the calling thread).
export type Group = 'g1' | 'g2'

export type ScalarSpec =
  | { kind: 'powers'; first: bigint; ratio: bigint }
  | { kind: 'lagrange'; tau: bigint; c: bigint; e: bigint; w0: bigint; step: bigint }
  | { kind: 'explicit'; scalars: Uint8Array }

export type Job = {
  group: Group
  count: number
  spec: ScalarSpec
  /** affine LEM points (default true) */
  lem?: boolean
  /** uncompressed points (snarkjs's hash input) */
  u?: boolean
  /** compressed points */
  c?: boolean
  /** only the scalars (normal form, 32 bytes little-endian each) */
  scalarsOnly?: boolean
}

export type JobResult = { lem?: Uint8Array; u?: Uint8Array; c?: Uint8Array; scalars?: Uint8Array }

export type EngineInfo = { pG1gen: number; pG2gen: number; pFree: number }

export interface Engine {
  readonly ex: Record<string, (...args: number[]) => number>
  readonly u8: Uint8Array
  alloc(bytes: number, scratch?: number): number
  reserve(scratch: number): void
  mark(): number
  release(mark: number): void
  setBytes(p: number, bytes: Uint8Array): void
  getBytes(p: number, n: number): Uint8Array
  frFromBigint(p: number, x: bigint): void
  scalarsLagrange(
    tau: bigint,
    c: bigint,
    e: bigint,
    w0: bigint,
    step: bigint,
    count: number,
    montgomery?: boolean,
  ): number
  tableShape(g: Group, w: number): { windows: number; entries: number; windowBytes: number }
  buildTable(g: Group, w: number): void
  buildTablePart(g: Group, w: number, k0: number, k1: number): Uint8Array
  setTable(g: Group, w: number, bytes: Uint8Array): void
  convert(g: Group, p: number, count: number, form: 'u' | 'c'): { p: number; bytes: number }
  run(job: Job): JobResult
}

export function createEngine(code: Uint8Array, info: EngineInfo): Promise<Engine>
