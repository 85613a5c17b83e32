/**
 * An INSECURE development powers-of-tau file, written directly from a KNOWN tau.
 *
 * The file is exactly what snarkjs 0.7.6 writes for `powersoftau new bn128 <power>`, then `powersoftau beacon` with
 * beacon hash sha256("l2kit dev ptau beacon\n" + beacon) and 2^10 iterations, then `powersoftau prepare phase2`:
 * its only contribution is a beacon, so tau, alpha and beta follow from the public beacon string and ANYONE CAN
 * RECOMPUTE THEM — proofs against keys made from this file can be forged. For tests, demos and benchmarks only;
 * production passes a public ceremony file instead (see setup.ts). The contribution's name says so too.
 *
 * Knowing tau makes every point a fixed-base multiple of a generator: tau^i·G (sections 2–5), and the Lagrange
 * sections 12–15 that `prepare phase2` computes with FFTs over the points are L_i(tau)·G with L_i(tau) evaluated as a
 * field element: L_i(tau) = (tau^n − 1)/n · w^i/(tau − w^i) on the domain of n = 2^p points (w = ffjavascript's
 * root of unity), for each p = 0..power (and power+1 for tau·G1, whose last input point is zero in snarkjs: its
 * level is L_i(tau) − tau^(2n−1)·w^i/(2n)). The multiplications run on worker threads (fixedBaseWorker.mjs).
 * `snarkjs.powersOfTau.verify` accepts the result (checked in the tests).
 */
import { createHash } from 'node:crypto'
import { rename, rm } from 'node:fs/promises'
import { L2kitError } from '../../core/errors.ts'
import './errors.ts'
import { BinFileWriter, FQ } from './binfile.ts'
import {
  chunks,
  type FixedBasePool,
  type Job,
  localEngine,
  singleThreadCurve,
  startFixedBaseWork,
} from './fixedBase.ts'
import type { Engine, Group } from './fixedBaseWorker.mjs'
import {
  bigintToLe,
  blake2b512,
  contributionParams,
  createPtauKey,
  FR,
  firstChallengeHash,
  frInv,
  fromPartialHash,
  frPow,
  type PtauKey,
  ptauPubKeyBytes,
  rngFromBeacon,
  rootOfUnity,
  toPartialHash,
} from './snarkjsCompat.ts'

/** sha256 iterations (as a power of two) of the beacon: snarkjs's minimum. */
export const DEV_BEACON_ITERATIONS_EXP = 10
/** The beacon l2kit's devnet uses when none is given. */
export const DEFAULT_DEV_BEACON = 'l2kit INSECURE development setup v1'
/** The contribution's name in the file (snarkjs prints it when verifying). */
export const DEV_PTAU_CONTRIBUTION_NAME = 'INSECURE l2kit dev ptau: known tau from a public beacon'
/** Largest power written: the tau·G1 Lagrange level power+1 must stay within Fr's 2^28 roots of unity. */
export const MAX_DEV_PTAU_POWER = 27

export type SetupProgress = { stage: string; done: number; total: number }

export type WriteDevPtauOptions = {
  /** 2^power points (constraints + public inputs + 1 of the largest circuit it serves) */
  power: number
  outPath: string
  /** public beacon string; tau, alpha and beta are derived from it (INSECURE: anyone can) */
  beacon: string
  onProgress?: (p: SetupProgress) => void
  /** worker threads (default: the machine's parallelism); ignored with `pool` */
  threads?: number
  /** an existing pool (e.g. shared with the zkey that follows) */
  pool?: FixedBasePool
}

export type DevPtauResult = {
  path: string
  power: number
  beacon: string
  /** hex of the snarkjs beacon hash (sha256 of the tagged beacon string) */
  beaconHash: string
  /** hex of the next challenge hash in the contribution (snarkjs prints it as "Next Challenge") */
  nextChallenge: string
  bytes: number
  seconds: number
}

/** snarkjs's beacon hash of the development ptau for `beacon`. */
export function devPtauBeaconHash(beacon: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`l2kit dev ptau beacon\n${beacon}`).digest())
}

/** The toxic waste of the development ptau (INSECURE by construction: this is how anyone recomputes it). */
export type DevPtauSecrets = { tau: bigint; alpha: bigint; beta: bigint }

/** tau, alpha, beta of the development ptau for `beacon` (the same for every power). */
export async function devPtauSecrets(beacon: string): Promise<DevPtauSecrets> {
  const curve = await singleThreadCurve()
  const rng = rngFromBeacon(devPtauBeaconHash(beacon), DEV_BEACON_ITERATIONS_EXP)
  const Fr = curve.Fr
  return {
    tau: Fr.toObject(Fr.fromRng(rng)),
    alpha: Fr.toObject(Fr.fromRng(rng)),
    beta: Fr.toObject(Fr.fromRng(rng)),
  }
}

const G1_BYTES = 64
const G2_BYTES = 128
/** snarkjs hashes contributions in chunks of 2^20/(point size) points; the stored hasher state depends on it. */
const HASH_CHUNK: Record<Group, number> = { g1: (1 << 20) / G1_BYTES, g2: (1 << 20) / G2_BYTES }

type SectionJob = Job & { section: number; at: number }

/** Writes the development ptau of 2^power to `outPath` (atomically: a temporary file renamed into place). */
export async function writeDevPtau(options: WriteDevPtauOptions): Promise<DevPtauResult> {
  const { power, outPath, beacon } = options
  if (!Number.isInteger(power) || power < 1 || power > MAX_DEV_PTAU_POWER) {
    throw new L2kitError(
      'INVALID_OPTIONS',
      `ptau power must be an integer in [1, ${MAX_DEV_PTAU_POWER}], got ${power}`,
    )
  }
  const started = performance.now()
  const curve = await singleThreadCurve()
  const N = 2 ** power
  const beaconHash = devPtauBeaconHash(beacon)
  const challenge = firstChallengeHash(curve, power)
  const key: PtauKey = createPtauKey(curve, challenge, rngFromBeacon(beaconHash, DEV_BEACON_ITERATIONS_EXP))
  const tau = curve.Fr.toObject(key.tau.prvKey)
  const alpha = curve.Fr.toObject(key.alpha.prvKey)
  const beta = curve.Fr.toObject(key.beta.prvKey)
  if (tau === 0n || alpha === 0n || beta === 0n || frPow(tau, BigInt(2 * N)) === 1n) {
    throw new L2kitError(
      'ZK_SETUP_DEGENERATE_TOXIC_WASTE',
      `beacon ${JSON.stringify(beacon)} gives a degenerate tau`,
    )
  }

  const params = contributionParams(DEV_PTAU_CONTRIBUTION_NAME, {
    numIterationsExp: DEV_BEACON_ITERATIONS_EXP,
    hash: beaconHash,
  })
  const contributionBytes =
    4 + 3 * G1_BYTES + 2 * G2_BYTES + 6 * G1_BYTES + 3 * G2_BYTES + 216 + 64 + 4 + 4 + params.length
  const layout = [
    { id: 1, size: 4 + 32 + 4 + 4 },
    { id: 2, size: (2 * N - 1) * G1_BYTES },
    { id: 3, size: N * G2_BYTES },
    { id: 4, size: N * G1_BYTES },
    { id: 5, size: N * G1_BYTES },
    { id: 6, size: G2_BYTES },
    { id: 7, size: contributionBytes },
    { id: 12, size: (4 * N - 1) * G1_BYTES },
    { id: 13, size: (2 * N - 1) * G2_BYTES },
    { id: 14, size: (2 * N - 1) * G1_BYTES },
    { id: 15, size: (2 * N - 1) * G1_BYTES },
  ]
  const totalBytes = 12 + layout.reduce((a, s) => a + 12 + s.size, 0)

  // work, for progress: points of each group
  const g1Points = 2 * N - 1 + 2 * N + (4 * N - 1) + 2 * (2 * N - 1)
  const g2Points = N + 1 + (2 * N - 1)
  const tmpPath = `${outPath}.tmp-${process.pid}-${Date.now()}`
  const { pool, progress, release } = await startFixedBaseWork({ g1Points, g2Points }, options)
  let file: BinFileWriter | undefined
  try {
    await pool.prepare({ g1: g1Points, g2: g2Points })
    file = await BinFileWriter.create(tmpPath, 'ptau', 1, layout)
    const f = file
    const head = new Uint8Array(44)
    const hv = new DataView(head.buffer)
    hv.setUint32(0, 32, true)
    head.set(bigintToLe(FQ), 4)
    hv.setUint32(36, power, true)
    hv.setUint32(40, power, true)
    await f.write(1, 0, head)

    // sections 2–6: the powers; the response hash runs over their compressed form, in snarkjs's chunks
    const responseHasher = blake2b512()
    responseHasher.update(challenge)
    const firsts = new Map<number, Uint8Array>()
    const powerJobs = function* (): Generator<SectionJob> {
      const sections: [number, Group, number, bigint][] = [
        [2, 'g1', 2 * N - 1, 1n],
        [3, 'g2', N, 1n],
        [4, 'g1', N, alpha],
        [5, 'g1', N, beta],
        [6, 'g2', 1, beta],
      ]
      for (const [section, group, count, factor] of sections) {
        const size = group === 'g1' ? G1_BYTES : G2_BYTES
        for (const c of chunks(count, HASH_CHUNK[group])) {
          const first = (factor * frPow(tau, BigInt(c.start))) % FR
          yield {
            section,
            at: c.start * size,
            group,
            count: c.count,
            spec: { kind: 'powers', first, ratio: tau },
            c: true,
          }
        }
      }
    }
    await pool.runOrdered(powerJobs(), async (res, job) => {
      const lem = res.lem as Uint8Array
      if (job.at === 0)
        firsts.set(
          job.section,
          lem.slice(0, Math.min(lem.length, 2 * (job.group === 'g1' ? G1_BYTES : G2_BYTES))),
        )
      responseHasher.update(res.c as Uint8Array)
      await f.write(job.section, job.at, lem)
      progress('ptau: powers of tau', job)
    })

    const partialHash = toPartialHash(responseHasher)
    const pubKeyU = ptauPubKeyBytes(curve, key, false)
    responseHasher.update(pubKeyU)
    const responseHash = responseHasher.digest()
    // self-check: snarkjs recomputes the response hash from the stored partial state
    if (!bytesEqual(fromPartialHash(partialHash).update(pubKeyU).digest(), responseHash)) {
      throw new Error('partial hash does not round-trip (unexpected @noble/hashes internals)')
    }

    // sections 12–15 (Lagrange evaluations) on the workers while this thread hashes sections 2–6 again
    const lagrange = pool.runOrdered(lagrangeJobs(curve, power, tau, alpha, beta), async (res, job) => {
      await f.write(job.section, job.at, res.lem as Uint8Array)
      progress('ptau: Lagrange basis', job)
    })
    lagrange.catch(() => {})
    const nextChallenge = await nextChallengeHash(f, responseHash, N)
    await lagrange

    // section 7: the one (beacon) contribution
    const c = new Uint8Array(contributionBytes)
    const cv = new DataView(c.buffer)
    let pos = 0
    const put = (b: Uint8Array): void => {
      c.set(b, pos)
      pos += b.length
    }
    const first = (section: number, index: number, size: number): Uint8Array => {
      const b = firsts.get(section)
      if (b === undefined) throw new Error(`missing first points of section ${section}`)
      return b.subarray(index * size, (index + 1) * size)
    }
    cv.setUint32(pos, 1, true)
    pos += 4
    put(first(2, 1, G1_BYTES)) // tau·G1
    put(first(3, 1, G2_BYTES)) // tau·G2
    put(first(4, 0, G1_BYTES)) // alpha·G1
    put(first(5, 0, G1_BYTES)) // beta·G1
    put(first(6, 0, G2_BYTES)) // beta·G2
    put(ptauPubKeyBytes(curve, key, true))
    put(partialHash)
    put(nextChallenge)
    cv.setUint32(pos, 1, true) // type: beacon
    pos += 4
    cv.setUint32(pos, params.length, true)
    pos += 4
    put(params)
    await f.write(7, 0, c)

    await f.close()
    file = undefined
    await rename(tmpPath, outPath)
    return {
      path: outPath,
      power,
      beacon,
      beaconHash: Buffer.from(beaconHash).toString('hex'),
      nextChallenge: Buffer.from(nextChallenge).toString('hex'),
      bytes: totalBytes,
      seconds: (performance.now() - started) / 1000,
    }
  } catch (err) {
    await file?.abort()
    await rm(tmpPath, { force: true })
    throw err
  } finally {
    await release()
  }
}

/** The jobs of sections 12–15: Lagrange basis at tau (times 1, 1, alpha, beta) for every level. */
function* lagrangeJobs(
  curve: Awaited<ReturnType<typeof singleThreadCurve>>,
  power: number,
  tau: bigint,
  alpha: bigint,
  beta: bigint,
): Generator<SectionJob> {
  const sections: [number, Group, bigint, number][] = [
    [12, 'g1', 1n, power + 1],
    [13, 'g2', 1n, power],
    [14, 'g1', alpha, power],
    [15, 'g1', beta, power],
  ]
  for (const [section, group, factor, maxLevel] of sections) {
    const size = group === 'g1' ? G1_BYTES : G2_BYTES
    for (let p = 0; p <= maxLevel; p++) {
      const n = 2 ** p
      const w = rootOfUnity(curve, p)
      const nInv = frInv(BigInt(n))
      const c = (((factor * (frPow(tau, BigInt(n)) - 1n + FR)) % FR) * nInv) % FR
      // the level above `power` (tau·G1 only) is the transform of tau^0..tau^(n−2) and a zero point
      const e = p === power + 1 ? (FR - ((((factor * frPow(tau, BigInt(n - 1))) % FR) * nInv) % FR)) % FR : 0n
      for (const ch of chunks(n, HASH_CHUNK[group])) {
        yield {
          section,
          at: (n - 1 + ch.start) * size,
          group,
          count: ch.count,
          spec: { kind: 'lagrange', tau, c, e, w0: frPow(w, BigInt(ch.start)), step: w },
        }
      }
    }
  }
}

/** snarkjs's next challenge: blake2b(response hash ‖ sections 2–6 uncompressed), read back from the file. */
async function nextChallengeHash(f: BinFileWriter, responseHash: Uint8Array, N: number): Promise<Uint8Array> {
  const engine = await localEngine()
  const hasher = blake2b512()
  hasher.update(responseHash)
  const sections: [number, Group, number][] = [
    [2, 'g1', 2 * N - 1],
    [3, 'g2', N],
    [4, 'g1', N],
    [5, 'g1', N],
    [6, 'g2', 1],
  ]
  for (const [section, group, count] of sections) {
    const size = group === 'g1' ? G1_BYTES : G2_BYTES
    for (const c of chunks(count, HASH_CHUNK[group])) {
      const lem = await f.read(section, c.start * size, c.count * size)
      hasher.update(lemToU(engine, group, lem))
    }
  }
  return hasher.digest()
}

/** Affine LEM points → uncompressed (snarkjs's hash input), on the calling thread's engine. */
export function lemToU(engine: Engine, group: Group, lem: Uint8Array): Uint8Array {
  const size = group === 'g1' ? G1_BYTES : G2_BYTES
  const m = engine.mark()
  try {
    const p = engine.alloc(lem.length)
    engine.setBytes(p, lem)
    engine.ex[`${group}m_batchLEMtoU`]?.(p, lem.length / size, p)
    return engine.getBytes(p, lem.length)
  } finally {
    engine.release(m)
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}
