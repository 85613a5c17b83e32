/**
 * Test helper process for the SIGKILL test: commits blocks of ETH transfers (and every few blocks an ERC-20 deposit
 * through the bridge predeploy) as fast as it can, and prints `committed <number> <hash>` only after `commitBlock`
 * resolved. The parent kills it with SIGKILL at some point and checks the store it leaves.
 *
 * Usage: node --import tsx crashCommitter.ts <storePath>
 */
import { writeSync } from 'node:fs'
import type { Address, Hex } from '../../../core/types.ts'
import { openTestExecution, signTx, TEST_ADDRESSES, TEST_PROPOSER } from './chain.ts'

const [dir] = process.argv.slice(2)
if (dir === undefined) throw new Error('usage: crashCommitter.ts <storePath>')
const { execution } = await openTestExecution(dir)
writeSync(1, 'ready\n')
for (;;) {
  const head = execution.head()
  const raws: Hex[] = []
  for (let i = 0; i < 4; i++) {
    const from = TEST_ADDRESSES[i] as Address
    const nonce = Number(execution.stateReader('head').account(from.slice(2))?.nonce ?? 0n)
    for (let k = 0; k < 5; k++) {
      raws.push(
        await signTx(i, {
          nonce: nonce + k,
          to: `0x${(Number(head.number) * 100 + i * 10 + k + 1).toString(16).padStart(40, '0')}` as Address,
          value: 1n,
        }),
      )
    }
  }
  const candidates = await Promise.all(raws.map((r) => execution.checkTx(r)))
  const next = execution.nextDepositId()
  const deposits =
    head.number % 3n === 0n
      ? [
          {
            id: next,
            from: TEST_PROPOSER,
            to: TEST_ADDRESSES[0] as Address,
            token: '0x00000000000000000000000000000000000070ce' as Address,
            amount: 5n,
          },
        ]
      : []
  const { block, hash } = await execution.buildBlock({
    timestamp: head.header.timestamp + 1,
    proposer: TEST_PROPOSER,
    deposits,
    candidates,
  })
  await execution.commitBlock(block, [])
  writeSync(1, `committed ${block.header.number} ${hash}\n`)
}
