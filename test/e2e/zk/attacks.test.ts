/**
 * The ZK rollup under attack, on a real anvil with the CI-sized circuit (3 chunks, depth 4): each attack runs on a
 * fresh deployment (one anvil for the file) through `runZkAttack`, the code `l2kit` demos use. Every one must be
 * caught, with the refusals L1 gives named (custom errors decoded by viem), and no honest user may lose a wei,
 * measured from L1 balances and receipts. Exodus: every user leaves with exactly its verified balance rebuilt from L1
 * alone, a second withdrawal of the same (account, token) reverts `AlreadyExited`, and a user who withdraws someone
 * else's account pays the gas and gets nothing: the leaf's owner is paid.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createPublicClient, http } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runZkAttack, type ZkAttack, type ZkAttackResult } from '../../../src/cli/zk/attack.ts'
import { zkRollupAbi } from '../../../src/generated/contracts.ts'
import { ANVIL_DEV_ACCOUNTS, type AnvilInstance, startAnvil } from '../../../src/l1/anvil.ts'
import { rebuildVerifiedZkState, zkExodusProof } from '../../../src/sdk/zk/index.ts'
import { revertName } from '../../../src/sdk/zk/shared.ts'

const CHUNKS = 3
const DEPTH = 4

let anvil: AnvilInstance
let dataDir: string
const results: Partial<Record<ZkAttack, ZkAttackResult>> = {}

beforeAll(async () => {
  anvil = await startAnvil()
  dataDir = mkdtempSync(join(tmpdir(), 'l2kit-zk-attacks-'))
}, 60_000)

afterAll(async () => {
  await anvil?.stop()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
  // the result JSON of each attack, as `l2kit` prints it last
  for (const r of Object.values(results)) process.stdout.write(`${JSON.stringify(r)}\n`)
})

async function run(kind: ZkAttack): Promise<ZkAttackResult> {
  const t0 = Date.now()
  const result = await runZkAttack(kind, {
    l1RpcUrl: anvil.rpcUrl,
    dataDir,
    chunks: CHUNKS,
    depth: DEPTH,
    onStep: (line) => {
      if (process.env.L2KIT_TEST_VERBOSE)
        process.stderr.write(`[${kind} ${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}\n`)
    },
  })
  results[kind] = result
  return result
}

function expectNoHonestLoss(r: ZkAttackResult): void {
  expect(r.honestFundsLost).toBe('0')
  expect(r.users).toHaveLength(4)
  for (const u of r.users) {
    expect(u.lostWei, `${u.name} lost`).toBe('0')
    expect(BigInt(u.putInWei)).toBeGreaterThan(0n)
    expect(BigInt(u.gasWei)).toBeGreaterThan(0n)
  }
}

/** The exodus checks every exodus attack must pass, plus a second withdrawal sent directly to the contract. */
async function expectCleanExodus(r: ZkAttackResult): Promise<void> {
  const exodus = r.exodus
  if (exodus === undefined) throw new Error('no exodus outcome')
  expect(r.rejections['activateExodusMode(before deadline)']).toBe('PriorityRequestNotExpired')
  expect(r.rejections['exodusWithdraw(same account and token again)']).toBe('AlreadyExited')
  expect(Object.keys(r.gas).filter((k) => k.startsWith('exodusWithdraw('))).toHaveLength(4)
  expect(exodus.everyoneGotExactBalance).toBe(true)
  // every honest user had a verified balance and got exactly it, paid to the leaf's owner
  expect(new Set(exodus.withdrawals.map((w) => w.owner))).toEqual(new Set(r.users.map((u) => u.address)))
  for (const w of exodus.withdrawals) {
    expect(w.paidWei).toBe(w.verifiedBalanceWei)
    expect(BigInt(w.paidWei)).toBeGreaterThan(0n)
  }
  // nothing is left on L2 for anyone: everything came back
  for (const u of r.users) expect(u.stillHeldWei).toBe('0')
  // a user who sends someone else's exodus withdrawal gets nothing; the owner gets its balance
  const third = exodus.thirdParty
  expect(third.caller).not.toBe(third.owner)
  expect(third.callerGainedWei).toBe('0')
  const paidToOwner = exodus.withdrawals.find((w) => w.accountIndex === third.accountIndex)
  expect(paidToOwner?.owner).toBe(third.owner)
  expect(third.ownerGainedWei).toBe(paidToOwner?.paidWei)
  // the deposit never processed came back
  expect(exodus.refunds.length).toBeGreaterThan(0)
  expect(exodus.secondWithdrawal).toBe('AlreadyExited')

  // A second exodusWithdraw of every (account, ETH), sent straight to the contract with a valid Merkle proof
  // against the verified root rebuilt from L1: AlreadyExited.
  const publicClient = createPublicClient({ transport: http(anvil.rpcUrl) })
  const verified = await rebuildVerifiedZkState({ publicClient, rollup: r.rollup })
  for (const w of exodus.withdrawals) {
    const proof = zkExodusProof(verified.state, w.accountIndex)
    const error = await publicClient
      .simulateContract({
        address: r.rollup,
        abi: zkRollupAbi,
        functionName: 'exodusWithdraw',
        args: [w.accountIndex, 0, proof.pkHash, proof.ownerNonce, proof.balances, proof.siblings],
        account: ANVIL_DEV_ACCOUNTS[6]?.address as `0x${string}`,
      })
      .then(
        () => 'accepted',
        (err: unknown) => revertName(err),
      )
    expect(error, `second exodus of account ${w.accountIndex}`).toBe('AlreadyExited')
  }
  expect(
    await publicClient.readContract({ address: r.rollup, abi: zkRollupAbi, functionName: 'exodusMode' }),
  ).toBe(true)
}

describe('ZK rollup attacks on anvil', () => {
  it("invalid-proof: verifyBlocks with a proof that is not the block's reverts InvalidProof", async () => {
    const r = await run('invalid-proof')
    expect(r.family).toBe('zk')
    expect(r.caught).toBe(true)
    // both attempts were mined on L1 and reverted with the verifier's verdict
    expect(r.rejections).toEqual({
      'verifyBlocks(another block proof)': 'InvalidProof',
      'verifyBlocks(mutated proof)': 'InvalidProof',
    })
    expect(Number(r.gas['verifyBlocks(another block proof)'])).toBeGreaterThan(0)
    expect(Number(r.gas['verifyBlocks(mutated proof)'])).toBeGreaterThan(0)
    // the block itself was fine: its own proof verified it, and the verified root moved only then
    expect(Number(r.gas['verifyBlocks(own proof)'])).toBeGreaterThan(0)
    expect(r.verifiedRootAfter).not.toBe(r.verifiedRootBefore)
    expectNoHonestLoss(r)
    // honest users still hold everything they did not take out, in the verified state
    const held = r.users.reduce((s, u) => s + BigInt(u.stillHeldWei), 0n)
    expect(held).toBe(2_000_000_000_000_000_000n)
  }, 300_000)

  it('wrong-root: a block with a root its pubdata does not produce cannot be verified, and is reverted', async () => {
    const r = await run('wrong-root')
    expect(r.caught).toBe(true)
    expect(r.rejections).toEqual({
      'verifyBlocks(forged block, real proof)': 'InvalidProof',
      'verifyBlocks(honest StoredBlock, real proof)': 'StoredBlockMismatch',
      'circuit witness(committed commitment)': 'ZK_WITNESS_FAILED',
    })
    expect(r.commitments?.committed).toMatch(/^0x[0-9a-f]{64}$/)
    expect(r.commitments?.committed).not.toBe(r.commitments?.proven)
    expect(r.gas.revertBlocks).toBeDefined()
    expect(r.gas['verifyBlocks(real block)']).toBeDefined()
    expectNoHonestLoss(r)
  }, 300_000)

  it('censor-exit: a censored full exit expires, exodus pays every user exactly, deposits are refunded', async () => {
    const r = await run('censor-exit')
    expect(r.caught).toBe(true)
    expect(r.gas['requestFullExit(alice)']).toBeDefined()
    expect(r.gas.activateExodusMode).toBeDefined()
    await expectCleanExodus(r)
    expectNoHonestLoss(r)
  }, 300_000)

  it('operator-gone: the node stops for good, exodus pays every user exactly, the queued deposit is refunded', async () => {
    const r = await run('operator-gone')
    expect(r.caught).toBe(true)
    await expectCleanExodus(r)
    expectNoHonestLoss(r)
  }, 300_000)
})
