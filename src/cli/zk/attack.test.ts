import { describe, expect, it } from 'vitest'
import { isL2kitError } from '../../core/errors.ts'
import { runZkAttack, ZK_ATTACK_DESCRIPTIONS, ZK_ATTACKS, type ZkAttack } from './attack.ts'

describe('zk attacks', () => {
  it('names the four attacks, each described', () => {
    expect([...ZK_ATTACKS]).toEqual(['invalid-proof', 'wrong-root', 'censor-exit', 'operator-gone'])
    for (const kind of ZK_ATTACKS) expect(ZK_ATTACK_DESCRIPTIONS[kind].length).toBeGreaterThan(20)
  })

  it('refuses an unknown attack before touching L1', async () => {
    const err = await runZkAttack('fake-proof' as ZkAttack, {
      l1RpcUrl: 'http://127.0.0.1:1',
      dataDir: '/nonexistent/never-created',
      chunks: 3,
      depth: 4,
    }).catch((e: unknown) => e)
    expect(isL2kitError(err, 'INVALID_ARGUMENTS')).toBe(true)
    expect((err as Error).message).toContain('invalid-proof')
  })
})
