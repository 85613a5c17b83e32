/**
 * The sidechain's validator set follows L1 stake (docs/sidechain.md, "Validator-set changes"), with 4 validators on
 * a real anvil: a fifth key stakes on the StakeManager → the chain moves to the new epoch's set, the fifth's node
 * (in no other validator's peer list) is admitted because L1 shows its stake, syncs and signs; one of the first four
 * starts unbonding → it leaves the set, so the chain then commits with two of the original four stopped (3 of the 4
 * remaining), and a checkpoint signed by the new set is accepted on L1.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeFunctionData, parseEther } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, describe, expect, it } from 'vitest'
import {
  SIDECHAIN_FUNDER_KEY,
  type SidechainStage,
  startSidechainStage,
} from '../../../src/cli/sidechain/scenario.ts'
import { silentLogger } from '../../../src/core/logger.ts'
import type { Address, Hex } from '../../../src/core/types.ts'
import { stakeManagerAbi } from '../../../src/generated/contracts.ts'
import { findFreePort } from '../../../src/l1/anvil.ts'
import { createL1Clients } from '../../../src/l1/clients.ts'
import { getValidators } from '../../../src/sdk/sidechain/index.ts'
import { derivedValidatorKey, stakeValidators } from '../../../src/sidechain/deploy.ts'
import { startValidatorFromConfig, validatorConfigOf } from '../../../src/sidechain/devnet.ts'
import { checkpointCount } from '../../../src/sidechain/l1.ts'
import type { SidechainValidatorService } from '../../../src/sidechain/services.ts'

let stage: SidechainStage | undefined
let joiner: SidechainValidatorService | undefined
const dir = mkdtempSync(join(tmpdir(), 'l2kit-sc-joiner-'))
afterAll(async () => {
  await joiner?.stop().catch(() => undefined)
  await stage?.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('sidechain validator set from L1 stake', () => {
  it('a staked fifth joins and signs; an unbonding validator leaves; checkpoints keep landing', async () => {
    stage = await startSidechainStage({ logger: silentLogger })
    const s = stage
    const net = s.net
    const l1Rpc = s.anvil.rpcUrl
    const rpc = (i: number) => ({ rpcUrl: (net.validators[i] as { rpcUrl: string }).rpcUrl })
    const before = await getValidators(rpc(0))
    expect(before.validators).toHaveLength(4)

    // A fifth key stakes on L1.
    const key = derivedValidatorKey(SIDECHAIN_FUNDER_KEY, 4)
    const fifth = privateKeyToAccount(key).address.toLowerCase() as Address
    const deployer = await createL1Clients({ rpcUrl: l1Rpc, privateKey: SIDECHAIN_FUNDER_KEY })
    await stakeValidators(deployer, {
      l1RpcUrl: l1Rpc,
      stakeManager: net.stakeManager,
      keys: [key],
      stake: parseEther('32'),
    })
    const joined = await s.waitFor('the chain to move to the set with the fifth', async () => {
      const v = await getValidators(rpc(0))
      return v.validators.some((x) => x.address === fifth) ? v : undefined
    })
    expect(joined.epoch).toBeGreaterThan(before.epoch)
    expect(joined.validators).toHaveLength(5)

    // Its node starts with only the others' addresses; they accept it because L1 shows its stake.
    const deployment = {
      ...net.deployment,
      validators: [
        ...net.deployment.validators,
        { index: 4, address: fifth, p2pPort: await findFreePort(), rpcPort: await findFreePort() },
      ],
    }
    const config = validatorConfigOf(
      {
        funderKey: SIDECHAIN_FUNDER_KEY,
        dataDir: dir,
        l1RpcUrl: l1Rpc,
        host: '127.0.0.1',
        fallbackToFreePort: true,
      },
      deployment,
      4,
    )
    joiner = await startValidatorFromConfig(config, silentLogger)
    const j = joiner
    const v0 = (net.services as SidechainValidatorService[])[0] as SidechainValidatorService
    await s.waitFor('the fifth to sign commit certificates', async () => {
      const head = v0.execution.head().number
      return (v0.execution.commitOf(head) ?? []).some((v) => v.validator === fifth)
    })
    await s.waitFor(
      'the fifth to hold the chain',
      async () => j.execution.head().number >= v0.execution.head().number - 1n,
    )

    // Validator 0 starts unbonding: it leaves the set at the next epoch.
    const leaver = privateKeyToAccount(s.validatorKey(0)).address.toLowerCase() as Address
    const leaverL1 = await createL1Clients({ rpcUrl: l1Rpc, privateKey: s.validatorKey(0) as Hex })
    const hash = await leaverL1.walletClient.sendTransaction({
      to: net.stakeManager,
      data: encodeFunctionData({ abi: stakeManagerAbi, functionName: 'startUnbond' }),
    })
    expect((await leaverL1.publicClient.waitForTransactionReceipt({ hash })).status).toBe('success')
    const left = await s.waitFor('the chain to drop the unbonding validator', async () => {
      const v = await getValidators(rpc(1))
      return v.validators.some((x) => x.address === leaver) ? undefined : v
    })
    expect(left.validators.map((v) => v.address).sort()).toEqual(
      joined.validators
        .map((v) => v.address)
        .filter((a) => a !== leaver)
        .sort(),
    )

    // Two of the original four stop: with the set now {1, 2, 3, fifth}, three of four still decide.
    const checkpointsBefore = await checkpointCount(deployer.publicClient, net.bridge)
    await net.stopValidator(0)
    await net.stopValidator(1)
    const v2 = (net.services as SidechainValidatorService[])[2] as SidechainValidatorService
    const at = v2.execution.head().number
    await s.waitFor(
      'three of the new four to keep committing',
      async () => v2.execution.head().number >= at + 5n,
      60_000,
    )
    // A checkpoint signed by the new set is accepted by the bridge (which checks the StakeManager's set).
    await s.waitFor(
      'a checkpoint of the new set on L1',
      async () => (await checkpointCount(deployer.publicClient, net.bridge)) > checkpointsBefore,
      60_000,
    )
    expect(j.execution.head().number).toBeGreaterThan(at)
  }, 240_000)
})
