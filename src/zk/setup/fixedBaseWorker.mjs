// Fixed-base scalar multiplication on BN254 (G1 and G2) with ffjavascript's WASM curve code, for the development
// (known-tau, INSECURE) Groth16 setup in devPtau.ts / devZkey.ts. Plain JS so it runs in a worker thread without a
// TypeScript loader (and next to an esbuild bundle of src/). Used two ways:
//  - as a worker thread (started by fixedBase.ts): answers { id, cmd, ... } messages with { id, ok, result | error };
//  - imported on the calling thread: `createEngine(code, info)` for the same operations without a worker.
//
// Every point the setup writes is k·G for a known scalar k. A point is the sum of one precomputed table entry per
// `w`-bit window of k (table[win][d] = d·2^(w·win)·G, affine Montgomery = snarkjs's LEM layout), and the sums of a
// batch of points are formed with affine additions sharing one field inversion per window (Montgomery's trick): about
// half the field multiplications of Jacobian additions (measured here: ~1.3x faster on G1, ~1.6x on G2).
//
// Scalars are generated in the worker where possible (Montgomery form, `frm_*`), from a few public parameters:
//  - powers:   first·ratio^i                                  (tau^i, alpha·tau^i, …)
//  - lagrange: c·w_i/(tau − w_i) + e·w_i, w_i = w0·step^i     (Lagrange basis at tau, scaled; see devPtau.ts)
//  - explicit: given scalars (normal form, 32 bytes little-endian each)
// Output points: affine LEM (as written to .ptau/.zkey), and on request uncompressed (U) or compressed (C) forms for
// the hashes snarkjs keeps in its files.

import { parentPort, workerData } from 'node:worker_threads'

const FR_BYTES = 32
const MAX_PAGES = 65536 // 4 GiB of 64 KiB pages (wasm32 limit)

/**
 * @param {Uint8Array} code ffjavascript's bn128 WASM module (`curve.tm.code` of a single-thread curve)
 * @param {{ pG1gen: number, pG2gen: number, pFree: number }} info pointers inside that module's static memory
 */
export async function createEngine(code, info) {
  const module = await WebAssembly.compile(code)
  const memory = new WebAssembly.Memory({
    initial: Math.max(25, Math.ceil((info.pFree + (1 << 20)) / 65536)),
    maximum: MAX_PAGES,
  })
  const instance = await WebAssembly.instantiate(module, { env: { memory } })
  return new Engine(instance.exports, memory, info)
}

class Engine {
  constructor(ex, memory, info) {
    this.ex = ex
    this.memory = memory
    this.info = info
    // Our allocations start after the module's static data (the free pointer at address 0 when instantiated).
    this.top = align(new Uint32Array(memory.buffer, 0, 1)[0])
    this.groups = {
      g1: { name: 'g1', n8: 32, c: 'g1m', f: 'f1m', pGen: info.pG1gen, table: undefined },
      g2: { name: 'g2', n8: 64, c: 'g2m', f: 'f2m', pGen: info.pG2gen, table: undefined },
    }
    this.refresh()
  }

  refresh() {
    this.u8 = new Uint8Array(this.memory.buffer)
    this.u32 = new Uint32Array(this.memory.buffer)
  }

  /** Bump allocation (8-byte aligned); `scratch` more bytes stay available past it for the WASM batch functions. */
  alloc(bytes, scratch = 1 << 20) {
    const p = align(this.top)
    this.top = p + bytes
    this.reserve(scratch)
    return p
  }

  /**
   * The WASM batch functions (batchInverse, batchToAffine, …) take their working space from the free pointer at
   * address 0 onwards without growing memory: keep the pointer at our top and `scratch` bytes of memory past it.
   */
  reserve(scratch) {
    const need = this.top + scratch
    if (need > this.memory.buffer.byteLength) {
      const pages = Math.ceil((need - this.memory.buffer.byteLength) / 65536)
      this.memory.grow(pages)
      this.refresh()
    }
    this.u32[0] = align(this.top)
  }

  mark() {
    return this.top
  }

  release(mark) {
    this.top = mark
    this.u32[0] = align(this.top)
  }

  setBytes(p, bytes) {
    this.u8.set(bytes, p)
  }

  getBytes(p, n) {
    return this.u8.slice(p, p + n)
  }

  // ---- scalars (Fr) ----

  /** Writes a bigint (0 <= x < r) as a Montgomery Fr element at p. */
  frFromBigint(p, x) {
    const b = bigintToLe(x)
    this.u8.set(b, p)
    this.ex.frm_toMontgomery(p, p)
  }

  /** count scalars first·ratio^i in normal form at the returned pointer (count·32 bytes + 8 bytes of padding). */
  scalarsPowers(first, ratio, count) {
    const ex = this.ex
    const p = this.alloc(count * FR_BYTES + 8)
    const m = this.mark()
    const pRatio = this.alloc(FR_BYTES)
    this.frFromBigint(pRatio, ratio)
    if (count > 0) this.frFromBigint(p, first)
    for (let i = 1; i < count; i++) ex.frm_mul(p + (i - 1) * FR_BYTES, pRatio, p + i * FR_BYTES)
    ex.frm_batchFromMontgomery(p, count, p)
    this.release(m)
    this.u8.fill(0, p + count * FR_BYTES, p + count * FR_BYTES + 8)
    return p
  }

  /**
   * count scalars c·w_i/(tau − w_i) + e·w_i with w_i = w0·step^i, normal form (or Montgomery with `montgomery`).
   * The caller makes sure tau is not one of the w_i (tau^n != 1 for the domain).
   */
  scalarsLagrange(tau, c, e, w0, step, count, montgomery = false) {
    const ex = this.ex
    const p = this.alloc(count * FR_BYTES + 8)
    const m = this.mark()
    const pW = this.alloc(count * FR_BYTES)
    const pD = this.alloc(count * FR_BYTES)
    const k = this.alloc(4 * FR_BYTES)
    const pTau = k
    const pC = k + FR_BYTES
    const pE = k + 2 * FR_BYTES
    const pStep = k + 3 * FR_BYTES
    this.frFromBigint(pTau, tau)
    this.frFromBigint(pC, c)
    this.frFromBigint(pE, e)
    this.frFromBigint(pStep, step)
    if (count > 0) this.frFromBigint(pW, w0)
    for (let i = 1; i < count; i++) ex.frm_mul(pW + (i - 1) * FR_BYTES, pStep, pW + i * FR_BYTES)
    for (let i = 0; i < count; i++) ex.frm_sub(pTau, pW + i * FR_BYTES, pD + i * FR_BYTES)
    this.reserve((count + 2) * FR_BYTES)
    ex.frm_batchInverse(pD, FR_BYTES, count, pD, FR_BYTES)
    const eIsZero = e === 0n
    for (let i = 0; i < count; i++) {
      const pw = pW + i * FR_BYTES
      const pd = pD + i * FR_BYTES
      const out = p + i * FR_BYTES
      ex.frm_mul(pw, pd, out) // w_i/(tau − w_i)
      ex.frm_mul(out, pC, out) // · c
      if (!eIsZero) {
        ex.frm_mul(pw, pE, pd) // e·w_i (pd is free now)
        ex.frm_add(out, pd, out)
      }
    }
    if (!montgomery) ex.frm_batchFromMontgomery(p, count, p)
    this.release(m)
    this.u8.fill(0, p + count * FR_BYTES, p + count * FR_BYTES + 8)
    return p
  }

  /** Copies explicit scalars (normal form, 32 bytes each) into memory; returns their pointer. */
  scalarsExplicit(bytes) {
    const count = bytes.length / FR_BYTES
    const p = this.alloc(count * FR_BYTES + 8)
    this.u8.set(bytes, p)
    this.u8.fill(0, p + count * FR_BYTES, p + count * FR_BYTES + 8)
    return p
  }

  // ---- fixed-base tables ----

  /** Windows of a `w`-bit table (enough for scalars < r < 2^254) and the bytes of one window. */
  tableShape(g, w) {
    const G = this.groups[g]
    const entries = 2 ** w
    return { windows: Math.ceil(254 / w), entries, windowBytes: entries * 2 * G.n8 }
  }

  /** Builds the whole table of group g for `w`-bit windows and keeps it for mulFixed. */
  buildTable(g, w) {
    const G = this.groups[g]
    if (G.table) {
      if (G.table.w === w) return
      throw new Error(`table for ${g} already built with w=${G.table.w}`)
    }
    const { windows, windowBytes } = this.tableShape(g, w)
    const pTable = this.alloc(windows * windowBytes)
    this.buildWindows(g, w, 0, windows, pTable)
    G.table = { w, windows, pTable }
  }

  /** Builds windows [k0, k1) of the table and returns their bytes (another engine builds the rest). */
  buildTablePart(g, w, k0, k1) {
    const { windowBytes } = this.tableShape(g, w)
    const m = this.mark()
    try {
      const p = this.alloc((k1 - k0) * windowBytes)
      this.buildWindows(g, w, k0, k1, p)
      return this.getBytes(p, (k1 - k0) * windowBytes)
    } finally {
      this.release(m)
    }
  }

  /** Keeps a whole table built elsewhere (the concatenated parts). */
  setTable(g, w, bytes) {
    const G = this.groups[g]
    if (G.table) throw new Error(`table for ${g} already set`)
    const { windows, windowBytes } = this.tableShape(g, w)
    if (bytes.length !== windows * windowBytes) throw new Error('table size mismatch')
    const pTable = this.alloc(windows * windowBytes)
    this.u8.set(bytes, pTable)
    G.table = { w, windows, pTable }
  }

  /** Writes windows [k0, k1) at p: window k holds d·2^(w·k)·G for d in [0, 2^w), affine LEM, entry 0 = zeros. */
  buildWindows(g, w, k0, k1, p) {
    const G = this.groups[g]
    const { entries, windowBytes } = this.tableShape(g, w)
    const sP = 2 * G.n8
    const ex = this.ex
    const c = G.c
    const m = this.mark()
    const pJac = this.alloc(3 * G.n8)
    const pBase = this.alloc(sP)
    // base of window k: 2^(w·k)·G
    ex[`${c}_copyAffine`](G.pGen, pBase)
    ex[`${c}_toJacobian`](pBase, pJac)
    for (let i = 0; i < w * k0; i++) ex[`${c}_double`](pJac, pJac)
    const half = entries / 2
    const pDiff = this.alloc(Math.max(1, half) * G.n8)
    const pInv = this.alloc(Math.max(1, half) * G.n8)
    const pTmp = this.alloc(3 * G.n8)
    this.reserve((half + 2) * G.n8 + (1 << 16))
    for (let k = k0; k < k1; k++) {
      if (k > k0) for (let i = 0; i < w; i++) ex[`${c}_double`](pJac, pJac)
      const pT = p + (k - k0) * windowBytes
      this.u8.fill(0, pT, pT + sP) // entry 0: the point at infinity (zeros, as batchToAffine writes it)
      ex[`${c}_toAffine`](pJac, pT + sP)
      // entries [h, 2h): T[h] = 2·T[h/2], T[h + i] = T[i] + T[h] (independent: one shared inversion)
      for (let h = 2; h < entries; h *= 2) {
        const pH = pT + h * sP
        const pJ2 = pTmp // 3·n8 bytes: room for a Jacobian point
        ex[`${c}_doubleAffine`](pT + (h / 2) * sP, pJ2)
        ex[`${c}_toAffine`](pJ2, pH)
        this.affineAddBatch(G, pH, pT, h, pDiff, pInv, pTmp)
      }
    }
    this.release(m)
  }

  /**
   * Table build step: for i in [1, h): T[h + i] = T[i] + T[h] (affine, one shared inversion).
   */
  affineAddBatch(G, pH, pT, h, pDiff, pInv, pTmp) {
    const ex = this.ex
    const f = G.f
    const n8 = G.n8
    const sP = 2 * n8
    const fsub = ex[`${f}_sub`]
    const fmul = ex[`${f}_mul`]
    const fsq = ex[`${f}_square`]
    const n = h - 1
    for (let i = 1; i < h; i++) fsub(pH, pT + i * sP, pDiff + (i - 1) * n8)
    ex[`${f}_batchInverse`](pDiff, n8, n, pInv, n8)
    const pL = pTmp
    const pX = pTmp + n8
    const pY = pTmp + 2 * n8
    for (let i = 1; i < h; i++) {
      const pA = pT + i * sP
      const pI = pInv + (i - 1) * n8
      const pR = pH + i * sP
      // λ = (yH − yA)/(xH − xA); x = λ² − xA − xH; y = λ(xA − x) − yA
      fsub(pH + n8, pA + n8, pL)
      fmul(pL, pI, pL)
      fsq(pL, pX)
      fsub(pX, pA, pX)
      fsub(pX, pH, pX)
      fsub(pA, pX, pY)
      fmul(pL, pY, pY)
      fsub(pY, pA + n8, pR + n8)
      this.u8.copyWithin(pR, pX, pX + n8)
    }
  }

  // ---- multiplication ----

  /**
   * count points k_i·G (affine LEM) for the normal-form scalars at pScalars, written at the returned pointer.
   * Zero scalars give the point at infinity as zeros (the representation snarkjs writes).
   */
  mulFixed(g, pScalars, count, batch = g === 'g1' ? 1024 : 256) {
    const G = this.groups[g]
    if (!G.table) throw new Error(`no table for ${g}`)
    const { w, windows, pTable } = G.table
    const n8 = G.n8
    const sP = 2 * n8
    const entries = 2 ** w
    const mask = entries - 1
    const ex = this.ex
    const f = G.f
    const c = G.c
    const fsub = ex[`${f}_sub`]
    const fmul = ex[`${f}_mul`]
    const fsq = ex[`${f}_square`]
    const fIsZero = ex[`${f}_isZero`]
    const pOut = this.alloc(count * sP)
    const m = this.mark()
    const B = Math.min(batch, Math.max(1, count))
    const pDiff = this.alloc(B * n8)
    const pInv = this.alloc(B * n8)
    const pTmp = this.alloc(3 * n8)
    const pJac = this.alloc(3 * n8)
    this.reserve((B + 2) * n8 + (1 << 16))
    const u8 = this.u8
    const dv = new DataView(this.memory.buffer)
    const set = new Uint8Array(B)
    const pend = new Int32Array(B)
    const pendT = new Int32Array(B)
    const pL = pTmp
    const pX = pTmp + n8
    const pY = pTmp + 2 * n8
    for (let b0 = 0; b0 < count; b0 += B) {
      const nb = Math.min(B, count - b0)
      const pAcc = pOut + b0 * sP
      set.fill(0)
      for (let k = 0; k < windows; k++) {
        const bit = k * w
        const byteOff = bit >>> 3
        const shift = bit & 7
        // the 4 bytes read may run into the next scalar (or the padding after the last): keep bits < 256 only
        const kMask = bit + w > 256 ? (1 << (256 - bit)) - 1 : mask
        const pTk = pTable + k * entries * sP
        let np = 0
        for (let j = 0; j < nb; j++) {
          const ps = pScalars + (b0 + j) * FR_BYTES + byteOff
          const d = (dv.getUint32(ps, true) >>> shift) & kMask
          if (d === 0) continue
          const pE = pTk + d * sP
          const pA = pAcc + j * sP
          if (set[j] === 0) {
            u8.copyWithin(pA, pE, pE + sP)
            set[j] = 1
            continue
          }
          pend[np] = j
          pendT[np] = pE
          fsub(pE, pA, pDiff + np * n8)
          np++
        }
        if (np === 0) continue
        ex[`${f}_batchInverse`](pDiff, n8, np, pInv, n8)
        for (let q = 0; q < np; q++) {
          const j = pend[q]
          const pA = pAcc + j * sP
          const pE = pendT[q]
          const pI = pInv + q * n8
          if (fIsZero(pI)) {
            // same x: doubling or P + (−P); rare, done with a Jacobian addition
            ex[`${c}_toJacobian`](pA, pJac)
            ex[`${c}_addMixed`](pJac, pE, pJac)
            if (ex[`${c}_isZero`](pJac)) {
              set[j] = 0
              u8.fill(0, pA, pA + sP)
            } else {
              ex[`${c}_toAffine`](pJac, pA)
            }
            continue
          }
          fsub(pE + n8, pA + n8, pL)
          fmul(pL, pI, pL)
          fsq(pL, pX)
          fsub(pX, pA, pX)
          fsub(pX, pE, pX)
          fsub(pA, pX, pY)
          fmul(pL, pY, pY)
          fsub(pY, pA + n8, pA + n8)
          u8.copyWithin(pA, pX, pX + n8)
        }
      }
      for (let j = 0; j < nb; j++) if (set[j] === 0) u8.fill(0, pAcc + j * sP, pAcc + (j + 1) * sP)
    }
    this.release(m)
    return pOut
  }

  /** Converts count affine LEM points at p to uncompressed (U, 2·n8 bytes each) or compressed (C, n8) form. */
  convert(g, p, count, form) {
    const G = this.groups[g]
    const size = form === 'u' ? 2 * G.n8 : G.n8
    const pOut = this.alloc(count * size)
    this.ex[`${G.c}_batchLEMto${form === 'u' ? 'U' : 'C'}`](p, count, pOut)
    return { p: pOut, bytes: count * size }
  }

  /**
   * One job: scalars (from `spec`), then the points, returned as copies: { lem?, u?, c?, scalars? }.
   * spec.kind: 'powers' { first, ratio } | 'lagrange' { tau, c, e, w0, step } | 'explicit' { scalars }.
   */
  run(job) {
    const m = this.mark()
    try {
      const { group, count, spec } = job
      let pS
      if (spec.kind === 'powers') pS = this.scalarsPowers(spec.first, spec.ratio, count)
      else if (spec.kind === 'lagrange')
        pS = this.scalarsLagrange(spec.tau, spec.c, spec.e, spec.w0, spec.step, count)
      else if (spec.kind === 'explicit') pS = this.scalarsExplicit(spec.scalars)
      else throw new Error(`unknown scalar kind ${spec.kind}`)
      const out = {}
      if (job.scalarsOnly) {
        out.scalars = this.getBytes(pS, count * FR_BYTES)
        return out
      }
      const G = this.groups[group]
      const pP = this.mulFixed(group, pS, count)
      const sP = 2 * G.n8
      if (job.lem !== false) out.lem = this.getBytes(pP, count * sP)
      if (job.u) {
        const r = this.convert(group, pP, count, 'u')
        out.u = this.getBytes(r.p, r.bytes)
      }
      if (job.c) {
        const r = this.convert(group, pP, count, 'c')
        out.c = this.getBytes(r.p, r.bytes)
      }
      return out
    } finally {
      this.release(m)
    }
  }
}

function align(p) {
  return (p + 7) & ~7
}

function bigintToLe(x) {
  const b = new Uint8Array(FR_BYTES)
  let v = x
  for (let i = 0; i < FR_BYTES; i++) {
    b[i] = Number(v & 0xffn)
    v >>= 8n
  }
  return b
}

// ---- worker entry ----

// Only in a worker started by fixedBase.ts (this module is also imported, possibly inside other workers).
if (parentPort && workerData?.l2kitFixedBase === true) {
  let engine
  parentPort.on('message', async (msg) => {
    const { id, cmd } = msg
    try {
      let result
      if (cmd === 'init') {
        engine = await createEngine(msg.code, msg.info)
        result = true
      } else if (cmd === 'table') {
        engine.buildTable(msg.group, msg.w)
        result = true
      } else if (cmd === 'tablePart') {
        result = { bytes: engine.buildTablePart(msg.group, msg.w, msg.k0, msg.k1) }
      } else if (cmd === 'tableSet') {
        engine.setTable(msg.group, msg.w, msg.bytes)
        result = true
      } else if (cmd === 'run') {
        result = engine.run(msg.job)
      } else {
        throw new Error(`unknown command ${cmd}`)
      }
      const transfer = []
      if (result && typeof result === 'object')
        for (const v of Object.values(result)) if (v instanceof Uint8Array) transfer.push(v.buffer)
      parentPort.postMessage({ id, ok: true, result }, transfer)
    } catch (err) {
      parentPort.postMessage({
        id,
        ok: false,
        error: err instanceof Error ? err.stack || err.message : String(err),
      })
    }
  })
}
