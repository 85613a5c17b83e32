/**
 * An ERC-20 on the Plasma chain end to end: a DEV deposit, a DEV payment beside an ETH one in the same block, the
 * payee's exit of its DEV output after the exit period, paid in DEV on L1.
 */
import { type Address, erc20Abi, parseEther } from 'viem'
import { afterAll, describe, expect, it } from 'vitest'
import { type PlasmaStage, startPlasmaStage } from '../../../src/cli/plasma/scenario.ts'
import {
  depositPlasma,
  getPlasmaBalance,
  listUtxos,
  startExit,
  transferPlasma,
} from '../../../src/sdk/plasma/index.ts'

let stage: PlasmaStage | undefined
afterAll(async () => {
  await stage?.stop()
})

describe('Plasma with the DEV ERC-20', () => {
  it('deposits, pays and exits DEV', async () => {
    stage = await startPlasmaStage({ exitPeriod: 600n, devToken: true })
    const s = stage
    const token = s.net.devToken as Address
    expect(token).toMatch(/^0x[0-9a-f]{40}$/i)
    const carol = s.users.carol
    const dave = s.users.dave
    const d = await depositPlasma({ l1: carol, framework: s.net.framework, amount: parseEther('100'), token })
    expect(d.approveTxHash).toBeDefined()
    await s.waitFor('the DEV deposit at the operator', () => s.net.operator.output(d.utxoPos) !== undefined)
    await s.deposit('carol', parseEther('1'))
    await transferPlasma({
      chain: s.chain,
      wallet: carol.walletClient,
      to: dave.account.address,
      amount: parseEther('40'),
      token,
    })
    await transferPlasma({
      chain: s.chain,
      wallet: carol.walletClient,
      to: dave.account.address,
      amount: parseEther('0.5'),
    })
    await s.commit()
    expect(await getPlasmaBalance({ chain: s.chain, owner: dave.account.address, token })).toBe(
      parseEther('40'),
    )
    expect(await getPlasmaBalance({ chain: s.chain, owner: carol.account.address, token })).toBe(
      parseEther('60'),
    )
    const devOutput = (await listUtxos(s.chain, dave.account.address)).find(
      (u) => u.token === token.toLowerCase(),
    )
    expect(devOutput?.amount).toBe(parseEther('40'))
    const before = await dave.publicClient.readContract({
      address: token,
      abi: erc20Abi,
      functionName: 'balanceOf',
      args: [dave.account.address],
    })
    const exit = await startExit({
      l1: dave,
      chain: s.chain,
      utxoPos: (devOutput as { utxoPos: bigint }).utxoPos,
    })
    expect(exit.token.toLowerCase()).toBe(token.toLowerCase())
    expect(exit.receipt.gasUsed).toBeLessThan(200_000n)
    await s.processAll()
    const after = await dave.publicClient.readContract({
      address: token,
      abi: erc20Abi,
      functionName: 'balanceOf',
      args: [dave.account.address],
    })
    expect(after - before).toBe(parseEther('40'))
  }, 180_000)
})
