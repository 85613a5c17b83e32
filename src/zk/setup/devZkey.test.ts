import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as snarkjs from 'snarkjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEV_BEACON_ITERATIONS_EXP, writeDevPtau } from './devPtau.ts'
import { DEV_ZKEY_CONTRIBUTION_NAME, devZkeyBeaconHash, writeDevZkey } from './devZkey.ts'
import { FixedBasePool } from './fixedBase.ts'
import { exportVerificationKey } from './setup.ts'
import { chainCircuit, chainOutput, compileCircuit, MULTI_CIRCUIT, stopSnarkjsCurve } from './testCircuits.ts'

const dir = mkdtempSync(join(tmpdir(), 'l2kit-devzkey-'))
const beacon = 'zkey test beacon'
const CHAIN = 300
let chain: { r1csPath: string; wasmPath: string }
let multi: { r1csPath: string; wasmPath: string }
let pool: FixedBasePool

beforeAll(async () => {
  ;[chain, multi] = await Promise.all([
    compileCircuit(dir, 'chain', chainCircuit(CHAIN)),
    compileCircuit(dir, 'multi', MULTI_CIRCUIT),
  ])
  pool = await FixedBasePool.start()
})
afterAll(async () => {
  await pool?.close()
  await stopSnarkjsCurve()
  rmSync(dir, { recursive: true, force: true })
})

type ZkeyApi = {
  newZKey(r1cs: string, ptau: string, zkey: string): Promise<unknown>
  beacon(a: string, b: string, name: string, hex: string, exp: number): Promise<unknown>
}

/** snarkjs's own key for the same toxic waste: zkey new on the dev ptau, then the same beacon. */
async function snarkjsKey(r1csPath: string, ptauPath: string, out: string): Promise<void> {
  const z = snarkjs.zKey as unknown as ZkeyApi
  await z.newZKey(r1csPath, ptauPath, `${out}.0`)
  const hex = Buffer.from(devZkeyBeaconHash(beacon)).toString('hex')
  await z.beacon(`${out}.0`, out, DEV_ZKEY_CONTRIBUTION_NAME, hex, DEV_BEACON_ITERATIONS_EXP)
}

describe('writeDevZkey', () => {
  it('proves and verifies; a changed public input does not verify; equals snarkjs zkey new + beacon', async () => {
    // 300 constraints + 1 public + 1 → domain 2^9; the ptau of exactly that power (its truncated H level)
    const ptau = await writeDevPtau({ power: 9, outPath: join(dir, 'p9.ptau'), beacon, pool })
    const z = await writeDevZkey({ r1csPath: chain.r1csPath, outPath: join(dir, 'chain.zkey'), beacon, pool })
    expect(z).toMatchObject({ nConstraints: CHAIN, nPublic: 1, power: 9, ptauPower: 9 })

    const a = 3n
    const b = 5n
    const x = chainOutput(CHAIN, a, b)
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(
      { x: x.toString(), a: a.toString(), b: b.toString() },
      chain.wasmPath,
      z.path,
    )
    expect(publicSignals).toEqual([x.toString()])
    const vk = await exportVerificationKey(z.path)
    expect(await snarkjs.groth16.verify(vk, publicSignals, proof)).toBe(true)
    expect(await snarkjs.groth16.verify(vk, [(x + 1n).toString()], proof)).toBe(false)

    // the same toxic waste through snarkjs: the same file, so the same verification key
    await snarkjsKey(chain.r1csPath, ptau.path, join(dir, 'chain.snarkjs.zkey'))
    expect(readFileSync(z.path).equals(readFileSync(join(dir, 'chain.snarkjs.zkey')))).toBe(true)
    expect(vk).toEqual(await snarkjs.zKey.exportVerificationKey(z.path))
    expect(readFileSync(z.path).includes(Buffer.from(DEV_ZKEY_CONTRIBUTION_NAME))).toBe(true)
  })

  it('several public signals and a larger ptau: equals snarkjs, proves and verifies', async () => {
    // 42 constraints + 4 public (2 outputs, 2 inputs) → 2^6; a ptau of 2^7 (full H level)
    const ptau = await writeDevPtau({ power: 7, outPath: join(dir, 'p7.ptau'), beacon, pool })
    const z = await writeDevZkey({
      r1csPath: multi.r1csPath,
      outPath: join(dir, 'multi.zkey'),
      beacon,
      ptauPower: 7,
      pool,
    })
    expect(z).toMatchObject({ nPublic: 4, power: 6, ptauPower: 7 })
    await snarkjsKey(multi.r1csPath, ptau.path, join(dir, 'multi.snarkjs.zkey'))
    expect(readFileSync(z.path).equals(readFileSync(join(dir, 'multi.snarkjs.zkey')))).toBe(true)
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(
      { p1: '11', p2: '13', a: '17' },
      multi.wasmPath,
      z.path,
    )
    expect(publicSignals).toHaveLength(4)
    const vk = await exportVerificationKey(z.path)
    expect(await snarkjs.groth16.verify(vk, publicSignals, proof)).toBe(true)
    const tampered = [...publicSignals]
    tampered[3] = '12'
    expect(await snarkjs.groth16.verify(vk, tampered, proof)).toBe(false)
  })

  it('refuses a ptau smaller than the circuit with a typed error', async () => {
    await expect(
      writeDevZkey({ r1csPath: chain.r1csPath, outPath: join(dir, 'x.zkey'), beacon, ptauPower: 8, pool }),
    ).rejects.toMatchObject({ code: 'ZK_SETUP_PTAU_TOO_SMALL' })
  })
})
