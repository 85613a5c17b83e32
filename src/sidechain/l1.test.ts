/**
 * `SidechainL1Follower` against a real anvil: the validator set of every StakeManager epoch rebuilt from
 * `PowerChanged` (joins, unbonding), deposits by id, confirmations honoured, and an L1 reorg (anvil's snapshot and
 * revert, then a different chain) undoing what the dropped blocks said.
 */
import { createTestClient, encodeFunctionData, http, parseEther } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../core/logger.ts'
import type { Address, Hex } from '../core/types.ts'
import { sidechainBridgeAbi, stakeManagerAbi } from '../generated/contracts.ts'
import { ANVIL_DEV_ACCOUNTS, type AnvilInstance, startAnvil } from '../l1/anvil.ts'
import { createL1Clients } from '../l1/clients.ts'
import { deploySidechainL1, derivedValidatorKey, stakeValidators } from './deploy.ts'
import { readValidatorSet, SidechainL1Follower } from './l1.ts'

let anvil: AnvilInstance | undefined
afterAll(async () => {
  await anvil?.stop()
})

describe('SidechainL1Follower', () => {
  it('rebuilds every epoch’s set and the deposits, waits for confirmations, and undoes a reorg', async () => {
    anvil = await startAnvil()
    const rpcUrl = anvil.rpcUrl
    const funder = (ANVIL_DEV_ACCOUNTS[9] as { privateKey: Hex }).privateKey
    const deployer = await createL1Clients({ rpcUrl, privateKey: funder })
    const testClient = createTestClient({ mode: 'anvil', transport: http(rpcUrl) })
    const d = await deploySidechainL1(deployer, {
      minStake: parseEther('1'),
      unbondingDelaySeconds: 60n,
      maxValidators: 10n,
    })
    const keys = [0, 1, 2, 3].map((i) => derivedValidatorKey(funder, i))
    const addr = (i: number) => privateKeyToAccount(keys[i] as Hex).address.toLowerCase() as Address
    await stakeValidators(deployer, {
      l1RpcUrl: rpcUrl,
      stakeManager: d.stakeManager,
      keys: keys.slice(0, 2),
      stake: parseEther('2'),
    })

    const follower = new SidechainL1Follower(
      {
        bridge: d.bridge,
        stakeManager: d.stakeManager,
        fromBlock: d.deployBlock,
        confirmations: 1,
        pollMs: 100_000,
      },
      { publicClient: deployer.publicClient, logger: silentLogger },
    )
    const mine = () => testClient.mine({ blocks: 1 })
    await mine()
    await follower.refresh()
    const two = await readValidatorSet(deployer.publicClient, d.stakeManager)
    expect(follower.latest()).toEqual(two)
    expect(two.validators.map((v) => v.address).sort()).toEqual([addr(0), addr(1)].sort())

    // A third validator, then a deposit at the head: the deposit is not counted before one more block is on top
    // (confirmations: 1), the stake below it is.
    await stakeValidators(deployer, {
      l1RpcUrl: rpcUrl,
      stakeManager: d.stakeManager,
      keys: [keys[2] as Hex],
      stake: parseEther('3'),
    })
    const sent = await deployer.walletClient.sendTransaction({
      to: d.bridge,
      data: encodeFunctionData({ abi: sidechainBridgeAbi, functionName: 'depositETH', args: [addr(3)] }),
      value: 5n,
    })
    await deployer.publicClient.waitForTransactionReceipt({ hash: sent })
    await follower.refresh()
    expect(follower.get(0n)).toBeUndefined()
    expect(follower.latest()?.validators).toHaveLength(3)
    await mine()
    await follower.refresh()
    expect(follower.get(0n)).toMatchObject({ id: 0n, to: addr(3), amount: 5n })
    const three = follower.latest()
    expect(three?.validators).toHaveLength(3)
    expect(follower.setAt(two.epoch)).toEqual(two.validators)

    // A reorg: the chain goes back to before validator 0 unbonds, and takes another way (validator 3 joins).
    const snapshot = await testClient.snapshot()
    const v0 = await createL1Clients({ rpcUrl, privateKey: keys[0] as Hex })
    const unbond = await v0.walletClient.sendTransaction({
      to: d.stakeManager,
      data: encodeFunctionData({ abi: stakeManagerAbi, functionName: 'startUnbond' }),
    })
    await v0.publicClient.waitForTransactionReceipt({ hash: unbond })
    await mine()
    await follower.refresh()
    expect(follower.latest()?.validators.map((v) => v.address)).not.toContain(addr(0))
    const unbondEpoch = follower.latest()?.epoch as bigint

    await testClient.revert({ id: snapshot })
    await stakeValidators(deployer, {
      l1RpcUrl: rpcUrl,
      stakeManager: d.stakeManager,
      keys: [keys[3] as Hex],
      stake: parseEther('4'),
    })
    await mine()
    await mine()
    await follower.refresh()
    const after = follower.latest()
    // Same epoch number as the dropped unbonding, another set: validator 0 is back, validator 3 is in.
    expect(after?.epoch).toBe(unbondEpoch)
    expect(after?.validators.map((v) => v.address)).toContain(addr(0))
    expect(after?.validators.map((v) => v.address)).toContain(addr(3))
    expect(after).toEqual(await readValidatorSet(deployer.publicClient, d.stakeManager))
    expect(follower.get(0n)).toMatchObject({ amount: 5n })
    await follower.stop()
  }, 60_000)
})
