import { describe, expect, it } from 'vitest'
import { silentLogger } from '../node/logger.ts'
import { Batcher, type BatcherModules, type BatchPlan, MAX_CALLDATA_BATCH_BYTES } from './batcher.ts'
import { batcherLagRisk } from './config.ts'

describe('batcher data mode', () => {
  // Only what chooseDataMode touches before it would price anything on L1.
  const modules = { logger: silentLogger, publicClient: {} } as unknown as BatcherModules
  const plan = (bytes: number) =>
    ({ data: new Uint8Array(bytes), blocks: [], txCount: 0 }) as unknown as BatchPlan

  it('never posts a batch as calldata when its step challenge would not fit one L1 transaction', async () => {
    const batcher = new Batcher({ dataMode: 'auto' }, modules)
    const choice = await batcher.chooseDataMode(plan(MAX_CALLDATA_BATCH_BYTES + 1))
    expect(choice.mode).toBe('blob')
    expect(choice.reason).toMatch(/challengeable/)
  })

  it('keeps configured modes (planBatch caps calldata batches at the same size)', async () => {
    expect((await new Batcher({ dataMode: 'blob' }, modules).chooseDataMode(plan(10))).mode).toBe('blob')
    expect((await new Batcher({ dataMode: 'calldata' }, modules).chooseDataMode(plan(10))).mode).toBe(
      'calldata',
    )
  })
})

describe('batcher lag against the inclusion window', () => {
  it('flags a batcher that may post after half the Rollup inclusion window, and not one well inside it', () => {
    expect(batcherLagRisk(2_000, 10n)).toBeUndefined()
    expect(batcherLagRisk(4_999, 10n)).toBeUndefined()
    expect(batcherLagRisk(5_000, 10n)).toMatch(/inclusion window \(10 s\)/)
    expect(batcherLagRisk(3_600_000, 43_200n)).toBeUndefined() // 1 h against a 12 h window (OP Stack-like)
    expect(batcherLagRisk(3_600_000, 10n)).toBeDefined()
  })
})
