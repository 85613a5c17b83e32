import { keccak256, toBytes } from 'viem'
import { describe, expect, it } from 'vitest'
import { bigintToBytes } from '../core/bytes.ts'
import { privateKeyToAddress, recoverAddressFromBytes, signHash } from '../core/signature.ts'
import { silentLogger } from './logger.ts'
import { RecoveryPool } from './recoveryPool.ts'

function signed(i: number) {
  const key = keccak256(toBytes(`pool-${i}`))
  const hash = toBytes(keccak256(toBytes(`msg-${i}`)))
  const sig = signHash(hash, key)
  const rs = new Uint8Array(64)
  rs.set(bigintToBytes(sig.r, 32), 0)
  rs.set(bigintToBytes(sig.s, 32), 32)
  return { hash, rs, yParity: sig.yParity, address: privateKeyToAddress(key) }
}

describe('RecoveryPool', () => {
  it('recovers the same signers on worker threads as inline, in batches', async () => {
    const pool = new RecoveryPool(
      { threads: 2, maxBatch: 64 },
      { logger: silentLogger, inline: recoverAddressFromBytes },
    )
    const items = Array.from({ length: 300 }, (_, i) => signed(i))
    const got = await Promise.all(items.map((x) => pool.recover(x.hash, x.rs, x.yParity)))
    expect(got).toEqual(items.map((x) => x.address))
    await pool.close()
  })

  it('rejects a signature that recovers to no key', async () => {
    const pool = new RecoveryPool({ threads: 1 }, { logger: silentLogger, inline: recoverAddressFromBytes })
    const bad = signed(1)
    // r = 0 is not a point: recovery must fail, not return some address.
    const rs = new Uint8Array(64)
    rs.set(bad.rs.subarray(32), 32)
    await expect(pool.recover(bad.hash, rs, 0)).rejects.toMatchObject({ code: 'INVALID_SIGNATURE' })
    await pool.close()
  })

  it('recovers inline when configured with no threads', async () => {
    const pool = new RecoveryPool({ threads: 0 }, { logger: silentLogger, inline: recoverAddressFromBytes })
    const x = signed(7)
    expect(await pool.recover(x.hash, x.rs, x.yParity)).toBe(x.address)
    await pool.close()
  })
})
