/**
 * The Groth16 proving key of a circuit, made once and cached.
 *
 * - With `ptauPath` (production: a public powers-of-tau ceremony file, prepared for phase 2, e.g. Hermez's
 *   `powersOfTau28_hez_final_NN.ptau`): snarkjs `zkey new`, then one contribution with fresh secret randomness
 *   (discarded: nobody knows delta unless this machine was compromised while it ran), then a beacon contribution.
 *   A phase 2 with only a public beacon would make delta public and proofs forgeable, so the secret one is always
 *   made. A deployment that must not trust the machine that ran this runs a multi-party phase 2 instead.
 * - Without it: the INSECURE development setup — devPtau.ts then devZkey.ts from a known tau/alpha/beta/delta
 *   derived from the public `beacon` string. Anyone can forge proofs; `insecure: true` says so.
 *
 * Cache: `<cacheDir>/groth16/<key>/` with `circuit.zkey` and `setup.json` (the key's sha256, the verification key
 * and how it was made), keyed by the r1cs file's sha256 and the ptau's identity; dev ptaus under
 * `<cacheDir>/ptau/`. Files are written under temporary names and renamed into place, `setup.json` last, and a hit
 * is re-hashed, so a killed run or a damaged file is rebuilt, never used.
 */
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import type { VerificationKey } from 'snarkjs'
import * as snarkjs from 'snarkjs'
import { L2kitError } from '../../core/errors.ts'
import { type Logger, silentLogger } from '../../core/logger.ts'
import './errors.ts'
import {
  circuitPower,
  errMessage,
  readAt,
  readPtauInfo,
  readR1csHeader,
  readSectionTable,
  uniqueSection,
} from './binfile.ts'
import {
  DEFAULT_DEV_BEACON,
  DEV_BEACON_ITERATIONS_EXP,
  devPtauBeaconHash,
  MAX_DEV_PTAU_POWER,
  type SetupProgress,
  writeDevPtau,
} from './devPtau.ts'
import { writeDevZkey } from './devZkey.ts'
import { FixedBasePool, singleThreadCurve } from './fixedBase.ts'

/** Where the setup cache lives unless the caller says otherwise: `$L2KIT_ZK_CACHE` or `~/.cache/l2kit/zk`. */
export function defaultZkCacheDir(): string {
  const env = process.env.L2KIT_ZK_CACHE
  return env !== undefined && env !== '' ? env : join(homedir(), '.cache', 'l2kit', 'zk')
}

export type PtauSource =
  | {
      kind: 'dev'
      /** INSECURE: tau is derived from the public beacon */
      insecure: true
      path: string
      power: number
      beacon: string
      /** snarkjs beacon hash of the ptau's only contribution (hex) */
      beaconHash: string
    }
  | {
      kind: 'file'
      path: string
      power: number
      /** sha256 of the file's size, header and contributions section (hex): what the cache is keyed by */
      id: string
    }

/** How delta (phase 2) was made. */
export type Phase2Source =
  | { kind: 'dev-beacon'; insecure: true; beacon: string; beaconHash: string; numIterationsExp: number }
  | { kind: 'random+beacon'; beacon: string; beaconHash: string; numIterationsExp: number }

export type Groth16SetupOptions = {
  r1csPath: string
  /** cache directory (the caller decides; see defaultZkCacheDir) */
  cacheDir: string
  /** a public ceremony ptau (prepared for phase 2): production. Absent: the INSECURE development setup. */
  ptauPath?: string
  /** the public beacon string (dev: derives the toxic waste; production: the final beacon contribution) */
  beacon?: string
  onProgress?: (p: SetupProgress) => void
  logger?: Logger
  /** worker threads of the development setup (default: the machine's parallelism) */
  threads?: number
}

export type Groth16Setup = {
  zkeyPath: string
  verificationKey: VerificationKey
  /** true for the development setup: anyone can forge proofs */
  insecure: boolean
  ptauSource: PtauSource
  phase2: Phase2Source
  /** seconds this call took (a cache hit: reading and checking the entry) */
  setupSeconds: number
  /** seconds the key took to make when it was made */
  builtSeconds: number
  cached: boolean
  /** the cache entry's key */
  key: string
  nConstraints: number
  /** log2 of the circuit's domain */
  power: number
}

type SetupMeta = Omit<Groth16Setup, 'zkeyPath' | 'setupSeconds' | 'cached'> & {
  version: 1
  zkeySha256: string
  r1csSha256: string
  createdAt: string
}

const CACHE_VERSION = 1

/** Returns the cached key for the circuit, making it first if needed. */
export async function ensureGroth16Setup(options: Groth16SetupOptions): Promise<Groth16Setup> {
  const started = performance.now()
  const log = (options.logger ?? silentLogger).child({ module: 'zk-setup' })
  const r1csSha256 = await sha256File(options.r1csPath).catch((err: unknown) => {
    throw new L2kitError('ZK_SETUP_BAD_R1CS', `${options.r1csPath}: cannot read: ${errMessage(err)}`, {
      cause: err,
    })
  })
  const r1csHeader = await readR1csHeader(options.r1csPath)
  const power = circuitPower(r1csHeader)
  const nConstraints = r1csHeader.nConstraints
  const beacon = options.beacon ?? DEFAULT_DEV_BEACON

  let ptauIdentity: string
  let filePtau: { path: string; power: number; id: string } | undefined
  if (options.ptauPath !== undefined) {
    const info = await readPtauInfo(options.ptauPath)
    if (!info.prepared) {
      throw new L2kitError(
        'ZK_SETUP_BAD_PTAU',
        `${options.ptauPath} is not prepared for phase 2: run \`snarkjs powersoftau prepare phase2\` on it (or use a *_final_ ceremony file)`,
        { details: { path: options.ptauPath } },
      )
    }
    if (info.power < power) throw ptauTooSmall(options.ptauPath, info.power, power, r1csHeader)
    const id = await ptauId(options.ptauPath)
    filePtau = { path: options.ptauPath, power: info.power, id }
    ptauIdentity = `file:${id}`
  } else {
    if (power > MAX_DEV_PTAU_POWER) {
      throw new L2kitError(
        'ZK_SETUP_CIRCUIT_TOO_LARGE',
        `the circuit needs 2^${power} points; the development setup supports up to 2^${MAX_DEV_PTAU_POWER}`,
        { details: { power, nConstraints } },
      )
    }
    ptauIdentity = `dev:${sha256Hex(beacon)}:${power}`
  }
  const key = sha256Hex(JSON.stringify({ v: CACHE_VERSION, r1cs: r1csSha256, ptau: ptauIdentity })).slice(
    0,
    32,
  )
  const dir = join(options.cacheDir, 'groth16', key)
  const zkeyPath = join(dir, 'circuit.zkey')
  const metaPath = join(dir, 'setup.json')

  const hit = await readEntry(metaPath, zkeyPath, log)
  if (hit !== undefined) {
    const setupSeconds = (performance.now() - started) / 1000
    log.info({ key, zkeyPath, insecure: hit.insecure, setupSeconds }, 'Groth16 setup from cache')
    if (hit.insecure)
      log.warn('INSECURE development Groth16 setup (known toxic waste): anyone can forge proofs')
    return { ...stripMeta(hit), zkeyPath, setupSeconds, cached: true }
  }

  await mkdir(dir, { recursive: true })
  let ptauSource: PtauSource
  let phase2: Phase2Source
  const tmpZkey = `${zkeyPath}.tmp-${process.pid}-${Date.now()}`
  try {
    if (filePtau !== undefined) {
      ptauSource = { kind: 'file', ...filePtau }
      log.info(
        { key, ptau: filePtau.path, power },
        'making the Groth16 key from a ceremony ptau (snarkjs: slow)',
      )
      phase2 = await ceremonyZkey(options.r1csPath, filePtau.path, tmpZkey, beacon, log, options.onProgress)
    } else {
      log.warn(
        { key, power, beacon },
        'making an INSECURE development Groth16 setup (known toxic waste from a public beacon): anyone can forge proofs',
      )
      const made = await devSetup(options, beacon, power, tmpZkey, log)
      ptauSource = made.ptauSource
      phase2 = made.phase2
    }
    const verificationKey = await exportVerificationKey(tmpZkey)
    const zkeySha256 = await sha256File(tmpZkey)
    await rename(tmpZkey, zkeyPath)
    const builtSeconds = (performance.now() - started) / 1000
    const meta: SetupMeta = {
      version: CACHE_VERSION,
      key,
      verificationKey,
      insecure: ptauSource.kind === 'dev',
      ptauSource,
      phase2,
      builtSeconds,
      nConstraints,
      power,
      zkeySha256,
      r1csSha256,
      createdAt: new Date().toISOString(),
    }
    const tmpMeta = `${metaPath}.tmp-${process.pid}-${Date.now()}`
    await writeFile(tmpMeta, `${JSON.stringify(meta, null, 2)}\n`)
    await rename(tmpMeta, metaPath)
    log.info({ key, zkeyPath, builtSeconds, insecure: meta.insecure }, 'Groth16 setup made')
    return { ...stripMeta(meta), zkeyPath, setupSeconds: builtSeconds, cached: false }
  } catch (err) {
    await rm(tmpZkey, { force: true })
    throw err
  }
}

/** The development ptau (cached by power and beacon) and the key made directly from the known toxic waste. */
async function devSetup(
  options: Groth16SetupOptions,
  beacon: string,
  power: number,
  outPath: string,
  log: Logger,
): Promise<{ ptauSource: PtauSource; phase2: Phase2Source }> {
  const ptauDir = join(options.cacheDir, 'ptau')
  await mkdir(ptauDir, { recursive: true })
  const beaconId = sha256Hex(beacon).slice(0, 16)
  const ptauPath = join(ptauDir, `dev-${power}-${beaconId}.ptau`)
  const ptauMeta = `${ptauPath}.json`
  const pool = await FixedBasePool.start(options.threads === undefined ? {} : { threads: options.threads })
  try {
    let ok = false
    try {
      const m = JSON.parse(await readFile(ptauMeta, 'utf8')) as {
        sha256?: string
        beacon?: string
        power?: number
      }
      ok = m.beacon === beacon && m.power === power && m.sha256 === (await sha256File(ptauPath))
      if (!ok) log.warn({ ptauPath }, 'cached development ptau does not match its record; making it again')
    } catch {
      ok = false
    }
    if (!ok) {
      await rm(ptauMeta, { force: true })
      const r = await writeDevPtau({
        power,
        outPath: ptauPath,
        beacon,
        pool,
        onProgress: (p) => options.onProgress?.({ ...p, stage: `dev ${p.stage}` }),
      })
      log.info({ ptauPath, power, seconds: r.seconds }, 'development ptau made (INSECURE: known tau)')
      const tmp = `${ptauMeta}.tmp-${process.pid}-${Date.now()}`
      await writeFile(
        tmp,
        `${JSON.stringify({ power, beacon, sha256: await sha256File(ptauPath), seconds: r.seconds })}\n`,
      )
      await rename(tmp, ptauMeta)
    }
    const z = await writeDevZkey({
      r1csPath: options.r1csPath,
      outPath,
      beacon,
      ptauPower: power,
      pool,
      onProgress: (p) => options.onProgress?.({ ...p, stage: `dev ${p.stage}` }),
    })
    log.info(
      { seconds: z.seconds, power: z.power, nConstraints: z.nConstraints },
      'development zkey made (INSECURE: known toxic waste)',
    )
    return {
      ptauSource: {
        kind: 'dev',
        insecure: true,
        path: ptauPath,
        power,
        beacon,
        beaconHash: Buffer.from(devPtauBeaconHash(beacon)).toString('hex'),
      },
      phase2: {
        kind: 'dev-beacon',
        insecure: true,
        beacon,
        beaconHash: z.beaconHash,
        numIterationsExp: DEV_BEACON_ITERATIONS_EXP,
      },
    }
  } finally {
    await pool.close()
  }
}

/** snarkjs: zkey new, a contribution with secret randomness, then a beacon. */
async function ceremonyZkey(
  r1csPath: string,
  ptauPath: string,
  outPath: string,
  beacon: string,
  log: Logger,
  onProgress: ((p: SetupProgress) => void) | undefined,
): Promise<Phase2Source> {
  const lines: string[] = []
  const slog = {
    debug: (m: string) => log.debug(m),
    info: (m: string) => {
      lines.push(m)
      log.debug(m)
    },
    warn: (m: string) => {
      lines.push(m)
      log.warn(m)
    },
    error: (m: string) => {
      lines.push(m)
      log.error(m)
    },
  }
  const z = snarkjs.zKey as unknown as SnarkjsZkeyPhase2
  const t0 = `${outPath}.new`
  const t1 = `${outPath}.contrib`
  const fail = (step: string, cause?: unknown): L2kitError =>
    new L2kitError(
      'ZK_SETUP_SNARKJS_FAILED',
      `snarkjs ${step} failed: ${lines.slice(-3).join(' / ') || errMessage(cause)}`,
      {
        kind: 'critical',
        details: { log: lines.slice(-20), step },
        ...(cause === undefined ? {} : { cause }),
      },
    )
  const beaconHash = sha256Hex(`l2kit zkey beacon\n${beacon}`)
  try {
    onProgress?.({ stage: 'snarkjs zkey new', done: 0, total: 3 })
    let r: unknown
    try {
      r = await z.newZKey(r1csPath, ptauPath, t0, slog)
    } catch (err) {
      throw fail('zkey new', err)
    }
    if (!(r instanceof Uint8Array)) throw fail('zkey new')
    onProgress?.({ stage: 'snarkjs zkey contribute', done: 1, total: 3 })
    try {
      await z.contribute(
        t0,
        t1,
        'l2kit: random contribution (secret discarded)',
        randomBytes(32).toString('hex'),
        slog,
      )
    } catch (err) {
      throw fail('zkey contribute', err)
    }
    onProgress?.({ stage: 'snarkjs zkey beacon', done: 2, total: 3 })
    let b: unknown
    try {
      b = await z.beacon(t1, outPath, 'l2kit: final beacon', beaconHash, DEV_BEACON_ITERATIONS_EXP, slog)
    } catch (err) {
      throw fail('zkey beacon', err)
    }
    if (b === false) throw fail('zkey beacon')
    onProgress?.({ stage: 'snarkjs zkey beacon', done: 3, total: 3 })
    return { kind: 'random+beacon', beacon, beaconHash, numIterationsExp: DEV_BEACON_ITERATIONS_EXP }
  } finally {
    await rm(t0, { force: true })
    await rm(t1, { force: true })
  }
}

type SnarkjsLog = {
  debug(m: string): void
  info(m: string): void
  warn(m: string): void
  error(m: string): void
}
/** The snarkjs zKey calls used here beyond src/zk/snarkjs.d.ts. */
type SnarkjsZkeyPhase2 = {
  newZKey(r1cs: string, ptau: string, zkey: string, logger?: SnarkjsLog): Promise<unknown>
  contribute(
    zkeyOld: string,
    zkeyNew: string,
    name: string,
    entropy: string,
    logger?: SnarkjsLog,
  ): Promise<unknown>
  beacon(
    zkeyOld: string,
    zkeyNew: string,
    name: string,
    beaconHashHex: string,
    numIterationsExp: number,
    logger?: SnarkjsLog,
  ): Promise<unknown>
}

/**
 * The verification key of a Groth16 .zkey, as `snarkjs zkey export verificationkey` writes it (same fields, same
 * decimal strings), computed with a single-thread curve (snarkjs's own call starts its worker threads).
 */
export async function exportVerificationKey(zkeyPath: string): Promise<VerificationKey> {
  const curve = await singleThreadCurve()
  const fh = await open(zkeyPath, 'r')
  try {
    const { sections } = await readSectionTable(fh, 'zkey')
    const s1 = uniqueSection(sections, 1)
    const protocol = new DataView((await readAt(fh, s1.offset, 4)).buffer).getUint32(0, true)
    if (protocol !== 1) throw new Error(`${zkeyPath}: not a Groth16 zkey (protocol ${protocol})`)
    const s2 = uniqueSection(sections, 2)
    const h = await readAt(fh, s2.offset, s2.size)
    const hv = new DataView(h.buffer)
    const nPublic = hv.getUint32(76, true)
    let p = 84
    const take = (n: number): Uint8Array => {
      const b = h.slice(p, p + n)
      p += n
      return b
    }
    const alpha1 = take(64)
    take(64) // beta1
    const beta2 = take(128)
    const gamma2 = take(128)
    take(64) // delta1
    const delta2 = take(128)
    const s3 = uniqueSection(sections, 3)
    const ic = await readAt(fh, s3.offset, (nPublic + 1) * 64)
    const alphaBeta = await curve.pairing(alpha1, beta2)
    const vk = {
      protocol: 'groth16',
      curve: curve.name,
      nPublic,
      vk_alpha_1: curve.G1.toObject(alpha1),
      vk_beta_2: curve.G2.toObject(beta2),
      vk_gamma_2: curve.G2.toObject(gamma2),
      vk_delta_2: curve.G2.toObject(delta2),
      vk_alphabeta_12: curve.Gt.toObject(alphaBeta),
      IC: Array.from({ length: nPublic + 1 }, (_, i) => curve.G1.toObject(ic.slice(i * 64, (i + 1) * 64))),
    }
    return stringifyBigInts(vk) as VerificationKey
  } finally {
    await fh.close()
  }
}

function stringifyBigInts(o: unknown): unknown {
  if (typeof o === 'bigint') return o.toString(10)
  if (Array.isArray(o)) return o.map(stringifyBigInts)
  if (o !== null && typeof o === 'object') {
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, stringifyBigInts(v)]))
  }
  return o
}

async function readEntry(metaPath: string, zkeyPath: string, log: Logger): Promise<SetupMeta | undefined> {
  let meta: SetupMeta
  try {
    meta = JSON.parse(await readFile(metaPath, 'utf8')) as SetupMeta
  } catch {
    return undefined
  }
  const problem = await (async (): Promise<string | undefined> => {
    if (meta.version !== CACHE_VERSION) return `version ${String(meta.version)}`
    try {
      if ((await sha256File(zkeyPath)) !== meta.zkeySha256)
        return 'the zkey does not match its recorded sha256'
    } catch (err) {
      return `the zkey is unreadable: ${errMessage(err)}`
    }
    return undefined
  })()
  if (problem === undefined) return meta
  log.warn({ metaPath, problem }, 'Groth16 setup cache entry is damaged; making it again')
  await rm(metaPath, { force: true })
  await rm(zkeyPath, { force: true })
  return undefined
}

function stripMeta(m: SetupMeta): Omit<Groth16Setup, 'zkeyPath' | 'setupSeconds' | 'cached'> {
  const { version: _v, zkeySha256: _z, r1csSha256: _r, createdAt: _c, ...rest } = m
  return rest
}

function ptauTooSmall(
  path: string,
  have: number,
  need: number,
  h: { nConstraints: number; nPublic: number },
): L2kitError {
  return new L2kitError(
    'ZK_SETUP_PTAU_TOO_SMALL',
    `${path} has 2^${have} powers; the circuit needs 2^${need} (constraints ${h.nConstraints} + public ${h.nPublic} + 1)`,
    { details: { path, ptauPower: have, needed: need, nConstraints: h.nConstraints, nPublic: h.nPublic } },
  )
}

/** A ceremony ptau's identity: sha256 of its size, header section and contributions section. */
async function ptauId(path: string): Promise<string> {
  const fh = await open(path, 'r')
  try {
    const { size } = await stat(path)
    const { sections } = await readSectionTable(fh, 'ptau')
    const h = createHash('sha256')
    h.update(String(size))
    for (const id of [1, 7]) {
      const s = uniqueSection(sections, id)
      h.update(await readAt(fh, s.offset, s.size))
    }
    return h.digest('hex')
  } catch (err) {
    throw new L2kitError('ZK_SETUP_BAD_PTAU', `${path}: ${errMessage(err)}`, {
      details: { path },
      cause: err,
    })
  } finally {
    await fh.close()
  }
}

function sha256Hex(s: string): string {
  return createHash('sha256').update(s).digest('hex')
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256')
    createReadStream(path, { highWaterMark: 1 << 22 })
      .on('data', (d) => h.update(d))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')))
  })
}
