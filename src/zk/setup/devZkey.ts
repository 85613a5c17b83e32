/**
 * An INSECURE development Groth16 proving key (.zkey), written directly from KNOWN toxic waste.
 *
 * The file is exactly what snarkjs 0.7.6 writes for `zkey new <r1cs> <dev ptau>` followed by `zkey beacon` with
 * beacon hash sha256("l2kit dev zkey beacon\n" + beacon) and 2^10 iterations, where the dev ptau is devPtau.ts's
 * for the same beacon: tau, alpha, beta come from that ptau's beacon and delta from this one, so ANYONE CAN
 * RECOMPUTE THEM AND FORGE PROOFS. For tests, demos and benchmarks only (production: setup.ts with a ceremony file).
 *
 * Instead of multi-exponentiations over the ptau's Lagrange points, every wire's polynomials are evaluated at tau as
 * field elements — A_s(tau) = Σ_c a_cs·L_c(tau) over the domain of D = 2^p points, and likewise B, C, plus snarkjs's
 * extra rows binding the public signals (A_s += L_(nConstraints+s) for s <= nPublic) — and each point is one
 * fixed-base multiplication (fixedBaseWorker.mjs):
 *   A_s·G1, B_s·G1, B_s·G2                      sections 5, 6, 7
 *   IC_s = (β·A_s + α·B_s + C_s)·G1 (γ = 1)     section 3, s <= nPublic
 *   (β·A_s + α·B_s + C_s)/δ·G1                   section 8, s > nPublic
 *   H_i = L'_(2i+1)(tau)/δ·G1, i < D              section 9: the odd points of the Lagrange basis of 2D points
 *                                                (snarkjs's prover evaluates A·B − C on that coset)
 * where L' is snarkjs's level p+1 of the ptau's tau·G1 Lagrange section (truncated when p = the ptau's power, see
 * devPtau.ts). The circuit hash (`csHash`, which `zkey verify` and contributions use) is computed the way
 * `zkey new` computes it: over the points before the beacon (δ = 1), including its H points tau^i·(tau^D − 1)·G1
 * (D − 1 of them below 2^15 points, D from 2^15 on — for D equal to the ptau's size the last one is read past the
 * tau·G1 section by snarkjs, and reproduced here byte for byte).
 */
import { createHash } from 'node:crypto'
import { rename, rm } from 'node:fs/promises'
import { setImmediate as yieldNow } from 'node:timers/promises'
import { L2kitError } from '../../core/errors.ts'
import './errors.ts'
import { BinFileWriter, circuitPower, FQ, readR1cs } from './binfile.ts'
import { DEV_BEACON_ITERATIONS_EXP, devPtauSecrets, type SetupProgress } from './devPtau.ts'
import {
  chunks,
  type FixedBasePool,
  type Job,
  type JobResult,
  localEngine,
  singleThreadCurve,
  startFixedBaseWork,
} from './fixedBase.ts'
import type { Group } from './fixedBaseWorker.mjs'
import {
  bigintToLe,
  blake2b512,
  contributionParams,
  FR,
  frInv,
  frPow,
  hashToG2,
  rngFromBeacon,
  rootOfUnity,
} from './snarkjsCompat.ts'

/** The zkey contribution's name (snarkjs prints it when verifying). */
export const DEV_ZKEY_CONTRIBUTION_NAME = 'INSECURE l2kit dev zkey: known delta from a public beacon'
/** Largest domain of the direct key: 2^27 (H uses the 2^28 roots of unity). */
export const MAX_DEV_ZKEY_POWER = 27

export type WriteDevZkeyOptions = {
  r1csPath: string
  outPath: string
  /** the public beacon string of the dev ptau (and of this key's delta); INSECURE: anyone can recompute both */
  beacon: string
  /** power of the dev ptau this key goes with (default and minimum: the circuit's own power) */
  ptauPower?: number
  onProgress?: (p: SetupProgress) => void
  /** worker threads (default: the machine's parallelism); ignored with `pool` */
  threads?: number
  pool?: FixedBasePool
}

export type DevZkeyResult = {
  path: string
  nConstraints: number
  nVars: number
  nPublic: number
  /** log2 of the domain (D = 2^power) */
  power: number
  ptauPower: number
  /** hex of the circuit hash snarkjs prints ("Circuit hash") */
  csHash: string
  /** hex of the zkey beacon hash */
  beaconHash: string
  bytes: number
  seconds: number
}

/** snarkjs's beacon hash of the development zkey for `beacon`. */
export function devZkeyBeaconHash(beacon: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`l2kit dev zkey beacon\n${beacon}`).digest())
}

/** delta of the development zkey for `beacon` (INSECURE by construction). */
export async function devZkeyDelta(beacon: string): Promise<bigint> {
  const curve = await singleThreadCurve()
  const rng = rngFromBeacon(devZkeyBeaconHash(beacon), DEV_BEACON_ITERATIONS_EXP)
  return curve.Fr.toObject(curve.Fr.fromRng(rng))
}

const G1 = 64
const G2 = 128
const FRB = 32
const CHUNK: Record<Group, number> = { g1: 16384, g2: 8192 }

type ZJob = Job & {
  /** section written (undefined: hashed only) */
  section?: number
  at: number
  /** hashU32(value) before this job's points (first job of a hashed section) */
  hashLength?: number
  hash: boolean
}

/** Writes the development zkey of `r1csPath` to `outPath` (atomically). */
export async function writeDevZkey(options: WriteDevZkeyOptions): Promise<DevZkeyResult> {
  const started = performance.now()
  const { outPath, beacon } = options
  const r1cs = await readR1cs(options.r1csPath)
  const h = r1cs.header
  const nVars = h.nWires
  const nPublic = h.nPublic
  const nConstraints = h.nConstraints
  const power = circuitPower(h)
  if (power > MAX_DEV_ZKEY_POWER) {
    throw new L2kitError(
      'ZK_SETUP_CIRCUIT_TOO_LARGE',
      `the circuit needs 2^${power} points; the development key supports up to 2^${MAX_DEV_ZKEY_POWER}`,
      { details: { power, nConstraints, nPublic } },
    )
  }
  const ptauPower = options.ptauPower ?? power
  if (ptauPower < power) {
    throw new L2kitError(
      'ZK_SETUP_PTAU_TOO_SMALL',
      `the circuit needs a ptau of 2^${power} (constraints ${nConstraints} + public ${nPublic} + 1), got 2^${ptauPower}`,
      { details: { power, ptauPower, nConstraints, nPublic } },
    )
  }
  const D = 2 ** power
  const N = 2 ** ptauPower

  const curve = await singleThreadCurve()
  const { tau, alpha, beta } = await devPtauSecrets(beacon)
  const beaconHash = devZkeyBeaconHash(beacon)
  const rng = rngFromBeacon(beaconHash, DEV_BEACON_ITERATIONS_EXP)
  const deltaFr = curve.Fr.fromRng(rng)
  const delta = curve.Fr.toObject(deltaFr)
  const deltaInv = frInv(delta)
  if (frPow(tau, BigInt(2 * D)) === 1n) {
    throw new L2kitError(
      'ZK_SETUP_DEGENERATE_TOXIC_WASTE',
      `beacon ${JSON.stringify(beacon)} gives a degenerate tau`,
    )
  }

  // fixed points of the header and the contribution
  const g1 = (s: bigint): Uint8Array => lem(curve.G1, curve.G1.toAffine(curve.G1.timesScalar(curve.G1.g, s)))
  const g2 = (s: bigint): Uint8Array => lem(curve.G2, curve.G2.toAffine(curve.G2.timesScalar(curve.G2.g, s)))
  const alpha1 = g1(alpha)
  const beta1 = g1(beta)
  const beta2 = g2(beta)
  const gamma2 = lem(curve.G2, curve.G2.g)
  const delta1 = g1(delta)
  const delta2 = g2(delta)
  const gen1 = lem(curve.G1, curve.G1.g)

  // coefficient count of section 4: A and B terms, plus one A term per public signal (and the one)
  const cons = r1cs.constraints
  const cv = new DataView(cons.buffer, cons.byteOffset, cons.byteLength)
  let nCoefs = nPublic + 1
  {
    let p = 0
    for (let c = 0; c < nConstraints; c++) {
      for (let m = 0; m < 3; m++) {
        if (p + 4 > cons.length) throw badR1cs(options.r1csPath, 'constraints section is truncated')
        const n = cv.getUint32(p, true)
        if (m < 2) nCoefs += n
        p += 4 + n * (4 + FRB)
      }
    }
    if (p !== cons.length) throw badR1cs(options.r1csPath, 'constraints section has trailing bytes')
  }

  const params = contributionParams(DEV_ZKEY_CONTRIBUTION_NAME, {
    numIterationsExp: DEV_BEACON_ITERATIONS_EXP,
    hash: beaconHash,
  })
  const layout = [
    { id: 1, size: 4 },
    { id: 2, size: 4 + 32 + 4 + 32 + 12 + 3 * G1 + 3 * G2 },
    { id: 3, size: (nPublic + 1) * G1 },
    { id: 4, size: 4 + nCoefs * (12 + FRB) },
    { id: 5, size: nVars * G1 },
    { id: 6, size: nVars * G1 },
    { id: 7, size: nVars * G2 },
    { id: 8, size: (nVars - nPublic - 1) * G1 },
    { id: 9, size: D * G1 },
    { id: 10, size: 64 + 4 + 3 * G1 + G2 + 64 + 4 + 4 + params.length },
  ]
  const totalBytes = 12 + layout.reduce((a, s) => a + 12 + s.size, 0)

  // H points of the circuit hash: D − 1 below 2^15 points, D from there on (snarkjs's chunking)
  const hashedH = D <= 1 << 14 ? D - 1 : D
  const garbageH = hashedH === D && D === N
  const g1Points = D + hashedH + 4 * nVars - nPublic - 1
  const g2Points = nVars
  const tmpPath = `${outPath}.tmp-${process.pid}-${Date.now()}`
  const { pool, progress, release } = await startFixedBaseWork({ g1Points, g2Points }, options)
  let file: BinFileWriter | undefined
  try {
    await pool.prepare({ g1: g1Points, g2: g2Points })
    file = await BinFileWriter.create(tmpPath, 'zkey', 1, layout)
    const f = file

    // sections 1 and 2
    const s1 = new Uint8Array(4)
    new DataView(s1.buffer).setUint32(0, 1, true)
    await f.write(1, 0, s1)
    const s2 = new Uint8Array(layout[1]?.size ?? 0)
    {
      const v = new DataView(s2.buffer)
      v.setUint32(0, 32, true)
      s2.set(bigintToLe(FQ), 4)
      v.setUint32(36, 32, true)
      s2.set(bigintToLe(FR), 40)
      v.setUint32(72, nVars, true)
      v.setUint32(76, nPublic, true)
      v.setUint32(80, D, true)
      let p = 84
      for (const b of [alpha1, beta1, beta2, gamma2, delta1, delta2]) {
        s2.set(b, p)
        p += b.length
      }
    }
    await f.write(2, 0, s2)

    // Phase 1 on the workers: section 9 (H) and the circuit hash's H points, while this thread reads the r1cs
    const hLevel = rootOfUnity(curve, power + 1)
    const twoDInv = frInv(BigInt(2 * D))
    const hC = (((deltaInv * (frPow(tau, BigInt(2 * D)) - 1n + FR)) % FR) * twoDInv) % FR
    const hE =
      power === ptauPower
        ? (FR - ((((deltaInv * frPow(tau, BigInt(2 * D - 1))) % FR) * twoDInv) % FR)) % FR
        : 0n
    const hStep = (hLevel * hLevel) % FR
    const tauD1 = (frPow(tau, BigInt(D)) - 1n + FR) % FR
    const hashHParts: Uint8Array[] = []
    const phase1 = function* (): Generator<ZJob> {
      for (const ch of chunks(D, CHUNK.g1)) {
        yield {
          section: 9,
          at: ch.start * G1,
          hash: false,
          group: 'g1',
          count: ch.count,
          spec: {
            kind: 'lagrange',
            tau,
            c: hC,
            e: hE,
            w0: frPow(hLevel, BigInt(2 * ch.start + 1)),
            step: hStep,
          },
        }
      }
      for (const ch of chunks(garbageH ? hashedH - 1 : hashedH, CHUNK.g1)) {
        yield {
          at: 0,
          hash: true,
          group: 'g1',
          count: ch.count,
          spec: { kind: 'powers', first: (tauD1 * frPow(tau, BigInt(ch.start))) % FR, ratio: tau },
          lem: false,
          u: true,
        }
      }
    }
    const phase1Done = pool.runOrdered(phase1(), async (res, job) => {
      if (job.section !== undefined) await f.write(job.section, job.at, res.lem as Uint8Array)
      else hashHParts.push(res.u as Uint8Array)
      progress('zkey: H', job)
    })
    phase1Done.catch(() => {})

    // this thread: wire polynomials at tau (Montgomery field elements in a local WASM engine)
    const eng = await localEngine()
    const ex = eng.ex as Record<string, (...a: number[]) => number>
    const fr = {
      toMont: ex.frm_toMontgomery as (a: number, r: number) => void,
      mul: ex.frm_mul as (a: number, b: number, r: number) => void,
      add: ex.frm_add as (a: number, b: number, r: number) => void,
      fromMontBatch: ex.frm_batchFromMontgomery as (a: number, n: number, r: number) => void,
    }
    const wD = rootOfUnity(curve, power)
    const cL = ((frPow(tau, BigInt(D)) - 1n + FR) * frInv(BigInt(D))) % FR
    const pL = eng.scalarsLagrange(tau, cL, 0n, 1n, wD, D, true)
    const pA = eng.alloc(nVars * FRB)
    const pB = eng.alloc(nVars * FRB)
    const pC = eng.alloc(nVars * FRB)
    const pK = eng.alloc(8 * FRB)
    const pTmp = pK
    const pTmp2 = pK + FRB
    const pAlpha = pK + 2 * FRB
    const pBeta = pK + 3 * FRB
    const pDeltaInv = pK + 4 * FRB
    const pOne = pK + 5 * FRB
    eng.reserve(1 << 20)
    const u8 = eng.u8
    u8.fill(0, pA, pA + 3 * nVars * FRB)
    eng.frFromBigint(pAlpha, alpha)
    eng.frFromBigint(pBeta, beta)
    eng.frFromBigint(pDeltaInv, deltaInv)
    eng.frFromBigint(pOne, 1n)
    const coefs = new Uint8Array(4 + nCoefs * (12 + FRB))
    const coefsV = new DataView(coefs.buffer)
    coefsV.setUint32(0, nCoefs, true)
    let cp = 4
    const pushCoef = (m: number, c: number, s: number, pMont: number): void => {
      coefsV.setUint32(cp, m, true)
      coefsV.setUint32(cp + 4, c, true)
      coefsV.setUint32(cp + 8, s, true)
      // snarkjs stores coefficient·R² (the Montgomery form of its Montgomery form)
      fr.toMont(pMont, pTmp2)
      coefs.set(u8.subarray(pTmp2, pTmp2 + FRB), cp + 12)
      cp += 12 + FRB
    }
    const acc = [pA, pB, pC] as const
    let p = 0
    for (let c = 0; c < nConstraints; c++) {
      const pLc = pL + c * FRB
      for (let m = 0; m < 3; m++) {
        const n = cv.getUint32(p, true)
        p += 4
        const pAcc = acc[m] as number
        for (let i = 0; i < n; i++) {
          const s = cv.getUint32(p, true)
          if (s >= nVars) throw badR1cs(options.r1csPath, `constraint ${c} uses wire ${s} of ${nVars}`)
          u8.set(cons.subarray(p + 4, p + 4 + FRB), pTmp)
          p += 4 + FRB
          fr.toMont(pTmp, pTmp)
          if (m < 2) pushCoef(m, c, s, pTmp)
          fr.mul(pTmp, pLc, pTmp)
          fr.add(pAcc + s * FRB, pTmp, pAcc + s * FRB)
        }
      }
      if ((c & 0x3fff) === 0x3fff) await yieldNow() // let the pool hand out jobs
    }
    for (let s = 0; s <= nPublic; s++) {
      const pLc = pL + (nConstraints + s) * FRB
      fr.add(pA + s * FRB, pLc, pA + s * FRB)
      pushCoef(0, nConstraints + s, s, pOne)
    }
    if (cp !== coefs.length) throw new Error('coefficient count mismatch')
    await f.write(4, 0, coefs)

    // IC (s <= nPublic) and L (s > nPublic): β·A + α·B + C, and L/δ for the file
    const pK2 = eng.alloc(nVars * FRB) // β·A + α·B + C for every wire
    const pLd = eng.alloc(nVars * FRB)
    eng.reserve(1 << 20)
    for (let s = 0; s < nVars; s++) {
      const o = s * FRB
      fr.mul(pA + o, pBeta, pK2 + o)
      fr.mul(pB + o, pAlpha, pTmp)
      fr.add(pK2 + o, pTmp, pK2 + o)
      fr.add(pK2 + o, pC + o, pK2 + o)
      fr.mul(pK2 + o, pDeltaInv, pLd + o)
    }
    for (const q of [pA, pB, pK2, pLd]) fr.fromMontBatch(q, nVars, q)
    const scalarsA = eng.getBytes(pA, nVars * FRB)
    const scalarsB = eng.getBytes(pB, nVars * FRB)
    const scalarsK = eng.getBytes(pK2, nVars * FRB)
    const scalarsLd = eng.getBytes(pLd, nVars * FRB)

    // the circuit hash: header (δ = 1) … then sections in snarkjs's order: IC, H, C, A, B1, B2
    const csHasher = blake2b512()
    for (const b of [alpha1, beta1, beta2, gamma2, gen1, gamma2]) csHasher.update(lemToUOne(curve, b))
    const hashU32 = (n: number): void => {
      const b = new Uint8Array(4)
      new DataView(b.buffer).setUint32(0, n, false)
      csHasher.update(b)
    }

    const explicit = function* (
      all: Uint8Array,
      from: number,
      to: number,
      group: Group,
      opts: { section?: number; hash: boolean; lem: boolean },
    ): Generator<ZJob> {
      const size = group === 'g1' ? G1 : G2
      let first = true
      for (const ch of chunks(to - from, CHUNK[group])) {
        const a = (from + ch.start) * FRB
        yield {
          ...(opts.section === undefined ? {} : { section: opts.section }),
          at: ch.start * size,
          hash: opts.hash,
          ...(opts.hash && first ? { hashLength: to - from } : {}),
          group,
          count: ch.count,
          spec: { kind: 'explicit', scalars: all.slice(a, a + ch.count * FRB) },
          lem: opts.lem,
          u: opts.hash,
        }
        first = false
      }
      if (first && opts.hash) {
        // an empty section is still announced in the hash
        yield {
          at: 0,
          hash: true,
          hashLength: 0,
          group,
          count: 0,
          spec: { kind: 'explicit', scalars: new Uint8Array(0) },
        }
      }
    }
    let hHashed = false
    const hashH = async (): Promise<void> => {
      await phase1Done
      hashU32(D - 1)
      for (const part of hashHParts) csHasher.update(part)
      if (garbageH) csHasher.update(garbageHPoint(eng, curve, tau, D, N))
      hashHParts.length = 0
      hHashed = true
    }
    const phase2 = function* (): Generator<ZJob & { stage: string }> {
      for (const j of explicit(scalarsK, 0, nPublic + 1, 'g1', { section: 3, hash: true, lem: true }))
        yield { ...j, stage: 'IC' }
      for (const j of explicit(scalarsK, nPublic + 1, nVars, 'g1', { hash: true, lem: false }))
        yield { ...j, stage: 'Lhash' }
      for (const j of explicit(scalarsA, 0, nVars, 'g1', { section: 5, hash: true, lem: true }))
        yield { ...j, stage: 'A' }
      for (const j of explicit(scalarsB, 0, nVars, 'g1', { section: 6, hash: true, lem: true }))
        yield { ...j, stage: 'B1' }
      for (const j of explicit(scalarsB, 0, nVars, 'g2', { section: 7, hash: true, lem: true }))
        yield { ...j, stage: 'B2' }
      for (const j of explicit(scalarsLd, nPublic + 1, nVars, 'g1', { section: 8, hash: false, lem: true }))
        yield { ...j, stage: 'L' }
    }
    await pool.runOrdered(phase2(), async (res: JobResult, job) => {
      if (job.stage === 'Lhash' && !hHashed) await hashH()
      if (job.hash) {
        if (job.hashLength !== undefined) hashU32(job.hashLength)
        if (res.u !== undefined) csHasher.update(res.u)
      }
      if (job.section !== undefined && res.lem !== undefined) await f.write(job.section, job.at, res.lem)
      progress(`zkey: ${job.stage}`, job)
    })
    if (!hHashed) await hashH()
    const csHash = csHasher.digest()

    // section 10: the circuit hash and the beacon contribution (delta)
    const g1s = curve.G1.toAffine(curve.G1.fromRng(rng))
    const g1sx = curve.G1.toAffine(curve.G1.timesFr(g1s, deltaFr))
    const transcriptHasher = blake2b512()
    transcriptHasher.update(csHash)
    transcriptHasher.update(curve.G1.toUncompressed(g1s))
    transcriptHasher.update(curve.G1.toUncompressed(g1sx))
    const transcript = transcriptHasher.digest()
    const g2sp = hashToG2(curve, transcript)
    const g2spx = curve.G2.toAffine(curve.G2.timesFr(g2sp, deltaFr))
    const s10 = new Uint8Array(layout[9]?.size ?? 0)
    {
      const v = new DataView(s10.buffer)
      let q = 0
      const put = (b: Uint8Array): void => {
        s10.set(b, q)
        q += b.length
      }
      put(csHash)
      v.setUint32(q, 1, true)
      q += 4
      put(delta1)
      put(lem(curve.G1, g1s))
      put(lem(curve.G1, g1sx))
      put(lem(curve.G2, g2spx))
      put(transcript)
      v.setUint32(q, 1, true) // type: beacon
      q += 4
      v.setUint32(q, params.length, true)
      q += 4
      put(params)
    }
    await f.write(10, 0, s10)

    await f.close()
    file = undefined
    await rename(tmpPath, outPath)
    return {
      path: outPath,
      nConstraints,
      nVars,
      nPublic,
      power,
      ptauPower,
      csHash: Buffer.from(csHash).toString('hex'),
      beaconHash: Buffer.from(beaconHash).toString('hex'),
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

type Curve = Awaited<ReturnType<typeof singleThreadCurve>>

function lem(G: Curve['G1'], p: Uint8Array): Uint8Array {
  const b = new Uint8Array(G.F.n8 * 2)
  G.toRprLEM(b, 0, G.toAffine(p))
  return b
}

function lemToUOne(curve: Curve, b: Uint8Array): Uint8Array {
  const G = b.length === G1 ? curve.G1 : curve.G2
  const u = new Uint8Array(b.length)
  G.toRprUncompressed(u, 0, G.fromRprLEM(b, 0))
  return u
}

/**
 * The last H point of snarkjs's circuit hash when the domain equals the ptau's size: it subtracts tau^(D−1)·G1 from
 * the 64 bytes after the tau·G1 section of the ptau (section 3's header, then the first 52 bytes of G2's generator).
 */
function garbageHPoint(
  eng: Awaited<ReturnType<typeof localEngine>>,
  curve: Curve,
  tau: bigint,
  D: number,
  N: number,
): Uint8Array {
  const raw = new Uint8Array(G1)
  const v = new DataView(raw.buffer)
  v.setUint32(0, 3, true)
  v.setBigUint64(4, BigInt(N * G2), true)
  raw.set(lem(curve.G2, curve.G2.g).subarray(0, G1 - 12), 12)
  const t = lem(curve.G1, curve.G1.timesScalar(curve.G1.g, frPow(tau, BigInt(D - 1))))
  const m = eng.mark()
  try {
    const p1 = eng.alloc(G1)
    const p2 = eng.alloc(G1)
    const pJ = eng.alloc(3 * 32)
    eng.reserve(1 << 16)
    eng.setBytes(p1, raw)
    eng.setBytes(p2, t)
    const ex = eng.ex as Record<string, (...a: number[]) => number>
    ex.g1m_subAffine?.(p1, p2, pJ)
    ex.g1m_batchToAffine?.(pJ, 1, pJ)
    ex.g1m_batchLEMtoU?.(pJ, 1, pJ)
    return eng.getBytes(pJ, G1)
  } finally {
    eng.release(m)
  }
}

function badR1cs(path: string, why: string): L2kitError {
  return new L2kitError('ZK_SETUP_BAD_R1CS', `${path}: ${why}`, { details: { path } })
}
