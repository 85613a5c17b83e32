import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildBn128 } from 'ffjavascript'
import * as snarkjs from 'snarkjs'
import { afterAll, describe, expect, it } from 'vitest'
import { readPtauInfo } from './binfile.ts'
import {
  DEV_BEACON_ITERATIONS_EXP,
  DEV_PTAU_CONTRIBUTION_NAME,
  devPtauBeaconHash,
  devPtauSecrets,
  writeDevPtau,
} from './devPtau.ts'
import { singleThreadCurve } from './fixedBase.ts'
import { stopSnarkjsCurve } from './testCircuits.ts'

const dir = mkdtempSync(join(tmpdir(), 'l2kit-devptau-'))
afterAll(async () => {
  await stopSnarkjsCurve()
  rmSync(dir, { recursive: true, force: true })
})

type PtauApi = {
  newAccumulator(curve: unknown, power: number, out: string): Promise<unknown>
  beacon(
    oldPtau: string,
    newPtau: string,
    name: string,
    beaconHex: string,
    iterationsExp: number,
  ): Promise<unknown>
  preparePhase2(oldPtau: string, newPtau: string): Promise<unknown>
}

describe('writeDevPtau', () => {
  it('writes what snarkjs writes for new + beacon + prepare phase2 (byte for byte)', async () => {
    const power = 5
    const beacon = 'unit test beacon'
    const pt = snarkjs.powersOfTau as unknown as PtauApi
    await pt.newAccumulator(await buildBn128(), power, join(dir, 's0.ptau'))
    const hex = Buffer.from(devPtauBeaconHash(beacon)).toString('hex')
    await pt.beacon(
      join(dir, 's0.ptau'),
      join(dir, 's1.ptau'),
      DEV_PTAU_CONTRIBUTION_NAME,
      hex,
      DEV_BEACON_ITERATIONS_EXP,
    )
    await pt.preparePhase2(join(dir, 's1.ptau'), join(dir, 'snarkjs.ptau'))
    const r = await writeDevPtau({ power, outPath: join(dir, 'dev5.ptau'), beacon, threads: 2 })
    expect(r.bytes).toBe(readFileSync(r.path).length)
    expect(readFileSync(r.path).equals(readFileSync(join(dir, 'snarkjs.ptau')))).toBe(true)
  })

  it('is accepted by snarkjs powersOfTau.verify at 2^11, labelled INSECURE, and its tau is the known one', async () => {
    const progress: number[] = []
    const r = await writeDevPtau({
      power: 11,
      outPath: join(dir, 'dev11.ptau'),
      beacon: 'another beacon',
      onProgress: (p) => progress.push(p.done / p.total),
    })
    expect(progress.at(-1)).toBeCloseTo(1, 5)
    expect(await snarkjs.powersOfTau.verify(r.path)).toBe(true)
    const info = await readPtauInfo(r.path)
    expect(info).toMatchObject({ power: 11, ceremonyPower: 11, prepared: true })
    const bytes = readFileSync(r.path)
    expect(bytes.includes(Buffer.from(DEV_PTAU_CONTRIBUTION_NAME))).toBe(true)
    expect(DEV_PTAU_CONTRIBUTION_NAME).toMatch(/INSECURE/)
    // anyone can recompute tau from the beacon: tau·G1 is the second point of section 2
    const { tau } = await devPtauSecrets('another beacon')
    const curve = await singleThreadCurve()
    const s2 = info.sections.get(2)?.[0]
    if (s2 === undefined) throw new Error('no section 2')
    const tauG1 = bytes.subarray(s2.offset + 64, s2.offset + 128)
    expect(curve.G1.eq(curve.G1.fromRprLEM(tauG1, 0), curve.G1.timesScalar(curve.G1.g, tau))).toBe(true)
  })

  it('refuses a power it cannot write', async () => {
    await expect(writeDevPtau({ power: 0, outPath: join(dir, 'x.ptau'), beacon: 'b' })).rejects.toMatchObject(
      {
        code: 'INVALID_OPTIONS',
      },
    )
  })
})
