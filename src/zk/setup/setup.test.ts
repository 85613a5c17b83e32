import { closeSync, mkdtempSync, openSync, readdirSync, readSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildBn128 } from 'ffjavascript'
import * as snarkjs from 'snarkjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recordingLogger } from '../../core/logger.ts'
import { writeDevPtau } from './devPtau.ts'
import { defaultZkCacheDir, ensureGroth16Setup } from './setup.ts'
import { chainCircuit, chainOutput, compileCircuit, stopSnarkjsCurve } from './testCircuits.ts'

const dir = mkdtempSync(join(tmpdir(), 'l2kit-zksetup-'))
const cacheDir = join(dir, 'cache')
const CHAIN = 200
let chain: { r1csPath: string; wasmPath: string }

beforeAll(async () => {
  chain = await compileCircuit(dir, 'chain', chainCircuit(CHAIN))
})
afterAll(async () => {
  await stopSnarkjsCurve()
  rmSync(dir, { recursive: true, force: true })
})

async function proves(zkeyPath: string, vk: Parameters<typeof snarkjs.groth16.verify>[0]): Promise<boolean> {
  const x = chainOutput(CHAIN, 2n, 9n)
  const { proof, publicSignals } = await snarkjs.groth16.fullProve(
    { x: x.toString(), a: '2', b: '9' },
    chain.wasmPath,
    zkeyPath,
  )
  return snarkjs.groth16.verify(vk, publicSignals, proof)
}

describe('ensureGroth16Setup (development)', () => {
  it('makes an insecure dev key, then serves it from the cache; a damaged cache file is detected and rebuilt', async () => {
    const log = recordingLogger()
    const first = await ensureGroth16Setup({ r1csPath: chain.r1csPath, cacheDir, logger: log })
    expect(first).toMatchObject({ cached: false, insecure: true, power: 8, nConstraints: CHAIN })
    expect(first.ptauSource).toMatchObject({ kind: 'dev', insecure: true, power: 8 })
    expect(first.phase2.kind).toBe('dev-beacon')
    expect(first.verificationKey.nPublic).toBe(1)
    expect(log.records.some((r) => r.level === 'warn' && /INSECURE/.test(r.msg))).toBe(true)
    expect(await proves(first.zkeyPath, first.verificationKey)).toBe(true)

    const second = await ensureGroth16Setup({ r1csPath: chain.r1csPath, cacheDir })
    expect(second.cached).toBe(true)
    expect(second.zkeyPath).toBe(first.zkeyPath)
    expect(second.verificationKey).toEqual(first.verificationKey)
    expect(second.setupSeconds).toBeLessThan(first.setupSeconds)

    // flip one byte in the middle of the cached key
    const fd = openSync(first.zkeyPath, 'r+')
    const b = Buffer.alloc(1)
    readSync(fd, b, 0, 1, 5000)
    b[0] = (b[0] ?? 0) ^ 0xff
    writeSync(fd, b, 0, 1, 5000)
    closeSync(fd)
    const log3 = recordingLogger()
    const third = await ensureGroth16Setup({ r1csPath: chain.r1csPath, cacheDir, logger: log3 })
    expect(third.cached).toBe(false)
    expect(log3.records.some((r) => r.level === 'warn' && /damaged/.test(r.msg))).toBe(true)
    expect(third.verificationKey).toEqual(first.verificationKey) // deterministic: the same key again
    expect((await ensureGroth16Setup({ r1csPath: chain.r1csPath, cacheDir })).cached).toBe(true)
    // the dev ptau was reused, not made again; no temporary files left behind
    const ptauFiles = readdirSync(join(cacheDir, 'ptau'))
    expect(ptauFiles.filter((f) => f.endsWith('.ptau'))).toHaveLength(1)
    expect(ptauFiles.some((f) => f.includes('.tmp-'))).toBe(false)
    expect(readdirSync(join(cacheDir, 'groth16')).every((d) => !d.includes('.tmp-'))).toBe(true)
  })

  it('another beacon is another key', async () => {
    const a = await ensureGroth16Setup({ r1csPath: chain.r1csPath, cacheDir })
    const b = await ensureGroth16Setup({ r1csPath: chain.r1csPath, cacheDir, beacon: 'other' })
    expect(b.key).not.toBe(a.key)
    expect(b.verificationKey.vk_delta_2).not.toEqual(a.verificationKey.vk_delta_2)
  })
})

describe('ensureGroth16Setup (ceremony ptau)', () => {
  it('refuses a ptau too small for the circuit with a typed error', async () => {
    const small = await writeDevPtau({ power: 6, outPath: join(dir, 'small.ptau'), beacon: 'b' })
    await expect(
      ensureGroth16Setup({ r1csPath: chain.r1csPath, cacheDir, ptauPath: small.path }),
    ).rejects.toMatchObject({ code: 'ZK_SETUP_PTAU_TOO_SMALL', details: { ptauPower: 6, needed: 8 } })
  })

  it('refuses a ptau not prepared for phase 2, and a file that is no ptau', async () => {
    const pt = snarkjs.powersOfTau as unknown as {
      newAccumulator(c: unknown, p: number, o: string): Promise<unknown>
    }
    await pt.newAccumulator(await buildBn128(), 9, join(dir, 'raw.ptau'))
    await expect(
      ensureGroth16Setup({ r1csPath: chain.r1csPath, cacheDir, ptauPath: join(dir, 'raw.ptau') }),
    ).rejects.toMatchObject({ code: 'ZK_SETUP_BAD_PTAU' })
    await expect(
      ensureGroth16Setup({ r1csPath: chain.r1csPath, cacheDir, ptauPath: chain.r1csPath }),
    ).rejects.toMatchObject({ code: 'ZK_SETUP_BAD_PTAU' })
  })

  it('makes the key with snarkjs (zkey new, a secret contribution, a beacon): not insecure, proves', async () => {
    const ptau = await writeDevPtau({
      power: 8,
      outPath: join(dir, 'ceremony.ptau'),
      beacon: 'stand-in ceremony',
    })
    const s = await ensureGroth16Setup({
      r1csPath: chain.r1csPath,
      cacheDir,
      ptauPath: ptau.path,
      beacon: 'block 123',
    })
    expect(s).toMatchObject({ cached: false, insecure: false, ptauSource: { kind: 'file', power: 8 } })
    expect(s.phase2.kind).toBe('random+beacon')
    expect(await proves(s.zkeyPath, s.verificationKey)).toBe(true)
    const again = await ensureGroth16Setup({
      r1csPath: chain.r1csPath,
      cacheDir,
      ptauPath: ptau.path,
      beacon: 'block 123',
    })
    expect(again.cached).toBe(true)
    expect(again.verificationKey).toEqual(s.verificationKey)
  })
})

describe('defaultZkCacheDir', () => {
  it('follows L2KIT_ZK_CACHE, else ~/.cache/l2kit/zk', () => {
    const old = process.env.L2KIT_ZK_CACHE
    try {
      process.env.L2KIT_ZK_CACHE = '/somewhere/zk'
      expect(defaultZkCacheDir()).toBe('/somewhere/zk')
      delete process.env.L2KIT_ZK_CACHE
      expect(defaultZkCacheDir()).toMatch(/\.cache\/l2kit\/zk$/)
    } finally {
      if (old === undefined) delete process.env.L2KIT_ZK_CACHE
      else process.env.L2KIT_ZK_CACHE = old
    }
  })
})
