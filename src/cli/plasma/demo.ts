/**
 * `l2kit plasma demo`: a scripted run on a fresh anvil — deposits, transfers among four accounts signed as EIP-712
 * typed data, blocks committed to L1 as one root each, the watcher checking every block, an exit after the exit
 * period, and the L1 cost beside the same transfers on L1 and on the optimistic rollup. `--attack KIND` runs one
 * attack end to end instead (`runPlasmaAttack`); the last line is the result object (`--json`).
 */
import { existsSync, readFileSync } from 'node:fs'
import { type Address, formatEther, type Hex, parseEther } from 'viem'
import { bytesToHex } from '../../core/bytes.ts'
import { L2kitError } from '../../core/errors.ts'
import { plasmaFrameworkAbi } from '../../generated/contracts.ts'
import type { Logger } from '../../node/logger.ts'
import { ETH_TOKEN, encodeTx, type PlasmaTx, signTx, sigsBytes } from '../../plasma/protocol/tx.ts'
import { writeContractChecked } from '../../sdk/l1Tx.ts'
import { evidenceFromOperator, listUtxos, startExit } from '../../sdk/plasma/index.ts'
import type { ParsedArgs } from '../args.ts'
import { attackArg, num } from '../args.ts'
import { demoOutput, printJson, table } from '../output.ts'
import { PLASMA_ATTACKS } from './commands.ts'
import {
  accountsOf,
  DEMO_DEPOSIT,
  honestLoss,
  startPlasmaStage,
  USER_NAMES,
  type UserName,
} from './scenario.ts'

export type PlasmaAttack = (typeof PLASMA_ATTACKS)[number]
const L1_TRANSFER_GAS = 21_000n

export async function runPlasmaDemo(
  args: ParsedArgs,
  logger: Logger,
  onShutdown: (fn: () => Promise<void>) => void,
): Promise<void> {
  const json = args.values.json === true
  const { say, step, show } = demoOutput(json)
  const attack = attackArg(args, PLASMA_ATTACKS)
  const exitPeriod = BigInt(num(args.values['exit-period'], 'exit-period') ?? 3600)
  if (attack !== undefined) {
    show(await runPlasmaAttack(attack, { exitPeriod, logger, step, onShutdown }))
    return
  }
  const stage = await startPlasmaStage({ exitPeriod, logger, step })
  onShutdown(() => stage.stop())
  try {
    const transfers = num(args.values.transfers, 'transfers') ?? 20
    const depositGas: bigint[] = []
    for (const u of ['alice', 'bob', 'carol'] as const)
      depositGas.push((await stage.deposit(u, DEMO_DEPOSIT)).gas)
    step(`deposits: alice, bob, carol 10 ETH each (${depositGas[0]?.toLocaleString('en-US')} gas each)`)
    const amount = parseEther('0.1')
    const t0 = performance.now()
    for (let i = 0; i < transfers; i++) {
      const from = USER_NAMES[i % 3] as UserName
      const to = USER_NAMES[(i % 3) + 1] as UserName
      await stage.transfer(from, to, amount)
    }
    const transferMs = performance.now() - t0
    await stage.commit()
    const blocks = (await stage.operatorL1.publicClient.getContractEvents({
      address: stage.net.framework,
      abi: plasmaFrameworkAbi,
      eventName: 'BlockSubmitted',
      fromBlock: stage.net.deployBlock,
    })) as { transactionHash: Hex }[]
    let submitGas = 0n
    for (const b of blocks) submitGas += await stage.gasOf(b.transactionHash)
    step(
      `${transfers} transfers in ${blocks.length} block(s); the roots cost ${submitGas.toLocaleString('en-US')} gas on L1`,
    )
    await stage.waitFor(
      'the watcher to check every block',
      () =>
        (stage.net.watcher?.status().blocks.waiting ?? 0) === 0 &&
        (stage.net.watcher?.status().blocks.valid ?? 0) >= blocks.length + 3,
    )
    const watcher = stage.net.watcher?.status()
    step(
      `the watcher checked ${watcher?.blocks.valid} blocks: ${watcher?.byzantine.length === 0 ? 'all valid' : 'BYZANTINE'}`,
    )
    // dave exits what he received
    const dave = stage.users.dave
    const outputs = await listUtxos(stage.chain, dave.account.address)
    const exitGas: bigint[] = []
    for (const u of outputs)
      exitGas.push((await startExit({ l1: dave, chain: stage.chain, utxoPos: u.utxoPos })).receipt.gasUsed)
    const daveBefore = await stage.operatorL1.publicClient.getBalance({ address: dave.account.address })
    step(`dave exits his ${outputs.length} output(s); the exit period (${exitPeriod} s, warped) runs`)
    const processGas = await stage.processAll()
    const daveGot =
      (await stage.operatorL1.publicClient.getBalance({ address: dave.account.address })) - daveBefore
    step(`dave received ${formatEther(daveGot)} ETH on L1 (his exits plus their bonds back)`)
    const direct = L1_TRANSFER_GAS * BigInt(transfers)
    const optimistic = optimisticBlobFigures()
    const result = {
      family: 'plasma',
      attack: null,
      transfers,
      // one client paying one transfer at a time over JSON-RPC (listing outputs, signing, waiting for the fsync)
      clientTransfersPerSecond: Number(((transfers * 1000) / transferMs).toFixed(1)),
      blocks: blocks.length,
      gas: {
        deposit: depositGas[0],
        submitBlockTotal: submitGas,
        startExit: exitGas[0],
        processExits: processGas,
      },
      l1GasPerTransfer: Number(submitGas) / transfers,
      directL1TransfersGas: direct,
      optimisticRollupL1GasPerTransfer: optimistic,
      exitPeriodSeconds: exitPeriod,
      daveReceivedWei: daveGot,
      caught: null,
      honestFundsLost: null,
    }
    say(
      table([
        ['transfers (EIP-712 signed, 4 accounts)', String(transfers)],
        ['blocks committed (one root each)', `${blocks.length}: ${submitGas.toLocaleString('en-US')} gas`],
        [
          'L1 gas per transfer',
          `${result.l1GasPerTransfer.toFixed(0)} (here; a full block of 65,536 costs ~1)`,
        ],
        ['the same transfers on L1', `${direct.toLocaleString('en-US')} gas (21,000 each)`],
        [
          'optimistic rollup (blob batches)',
          optimistic === null
            ? 'run npm run bench for bench/results/optimistic.json'
            : `${optimistic.executionGas} execution gas + ${optimistic.blobGas} blob gas per transfer (bench/results/optimistic.json)`,
        ],
        ['exit', `${exitGas[0]?.toLocaleString('en-US')} gas to start; paid after ${exitPeriod} s`],
      ]),
    )
    if (json) printJson(result)
  } finally {
    await stage.stop()
  }
}

/** The optimistic rollup's measured L1 cost per transfer in blob mode (its bench file, `npm run bench`), if present. */
export function optimisticBlobFigures(): { executionGas: number; blobGas: number; source: string } | null {
  const path = 'bench/results/optimistic.json'
  if (!existsSync(path)) return null
  try {
    const r = JSON.parse(readFileSync(path, 'utf8')) as {
      l1GasPerTransferBlob?: number
      blobGasPerTransfer?: number
    }
    if (typeof r.l1GasPerTransferBlob !== 'number' || typeof r.blobGasPerTransfer !== 'number') return null
    return { executionGas: r.l1GasPerTransferBlob, blobGas: r.blobGasPerTransfer, source: path }
  } catch {
    return null
  }
}

export type PlasmaAttackResult = {
  family: 'plasma'
  attack: PlasmaAttack
  caught: boolean
  honestFundsLost: bigint
  /** per honest user: what it owned on the Plasma chain and what the exits paid it back on L1 (wei) */
  accounts?: Record<string, { owned: bigint; paid: bigint }>
  bondSlashed: bigint | null
  gas: Record<string, bigint | bigint[] | number | null>
  detail: string
  watcher: { saw: string[]; did: string[] }
}

/**
 * One attack end to end on a fresh anvil (docs/plasma.md, "Attacks and what answers them"). Setup for every attack:
 * alice, bob and carol deposit 10 ETH each, alice pays bob 1 ETH and bob pays carol 2 ETH (from his deposit), committed.
 */
export async function runPlasmaAttack(
  attack: PlasmaAttack,
  o: {
    exitPeriod?: bigint
    logger?: Logger
    step?: (s: string) => void
    onShutdown?: (fn: () => Promise<void>) => void
  },
): Promise<PlasmaAttackResult> {
  const step = o.step ?? (() => undefined)
  const exitPeriod = o.exitPeriod ?? 3600n
  const stage = await startPlasmaStage({ exitPeriod, ...(o.logger ? { logger: o.logger } : {}), step })
  o.onShutdown?.(() => stage.stop())
  try {
    const aliceDeposit = await stage.deposit('alice', DEMO_DEPOSIT)
    const bobDepositPos = (await stage.deposit('bob', DEMO_DEPOSIT)).utxoPos
    await stage.deposit('carol', DEMO_DEPOSIT)
    await stage.transfer('alice', 'bob', parseEther('1'))
    await stage.transfer('bob', 'carol', parseEther('2'))
    await stage.commit()
    const watcher = stage.net.watcher
    if (watcher === undefined) throw new L2kitError('ATTACK_SETUP', 'the attack runs need the watcher')
    await stage.waitFor('the watcher to check the honest blocks', () => watcher.status().blocks.valid >= 4)
    const bond = (await stage.operatorL1.publicClient.readContract({
      address: stage.net.framework,
      abi: plasmaFrameworkAbi,
      functionName: 'standardExitBond',
    })) as bigint
    const actionsGas = (kind: string) =>
      watcher.actions.filter((a) => a.kind === kind && a.ok).map((a) => BigInt(a.gasUsed ?? '0'))
    const sum = (xs: bigint[]) => xs.reduce((t, x) => t + x, 0n)
    const challenged = (what: string) =>
      stage.waitFor(what, () => watcher.actions.some((a) => a.kind === 'challenge' && a.ok))
    /** What the watcher saw and did, for the result. */
    const report = () => ({
      saw: watcher.byzantine.map((b) => b.detail),
      did: watcher.actions.map((a) => `${a.kind}: ${a.detail}`),
    })
    const operator = stage.net.operator
    const domain = operator.domain
    const operatorKey = (await import('../../l1/anvil.ts')).ANVIL_DEV_ACCOUNTS[0]?.privateKey as Hex
    const operatorAddress = stage.operatorL1.account.address.toLowerCase() as Address
    let result: PlasmaAttackResult

    if (attack === 'invalid-tx' || attack === 'invalid-exit') {
      let stolenPos: bigint
      let thief: 'operator' | 'dave'
      let detail: string
      if (attack === 'invalid-tx') {
        // The operator spends carol's largest output to itself, signing with its own key (not carol's).
        const carolOut = (await listUtxos(stage.chain, stage.users.carol.account.address)).sort((a, b) =>
          a.amount > b.amount ? -1 : 1,
        )[0]
        if (carolOut === undefined) throw new L2kitError('ATTACK_SETUP', 'carol has no output')
        const theft: PlasmaTx = {
          inputs: [carolOut.utxoPos],
          outputs: [{ owner: operatorAddress, token: ETH_TOKEN, amount: carolOut.amount }],
          metadata: `0x${'ee'.repeat(32)}`,
        }
        const accepted = await operator.includeUnchecked({
          tx: theft,
          sigs: signTx(domain, theft, [operatorKey]),
        })
        stolenPos = accepted.blknum * 1_000_000_000n + BigInt(accepted.txIndex) * 10_000n
        thief = 'operator'
        detail = `the operator put a transaction spending carol's ${formatEther(carolOut.amount)} ETH output to itself (signed by itself) into block ${accepted.blknum}`
      } else {
        // The operator mints for dave: an output of 50 ETH from an input of dave's 1 ETH (outputs exceed inputs).
        const d = await stage.deposit('dave', parseEther('1'))
        const dave = stage.users.dave.account.address.toLowerCase() as Address
        const mint: PlasmaTx = {
          inputs: [d.utxoPos],
          outputs: [{ owner: dave, token: ETH_TOKEN, amount: parseEther('50') }],
          metadata: `0x${'dd'.repeat(32)}`,
        }
        const daveKey = (await import('../../l1/anvil.ts')).ANVIL_DEV_ACCOUNTS[4]?.privateKey as Hex
        const accepted = await operator.includeUnchecked({ tx: mint, sigs: signTx(domain, mint, [daveKey]) })
        stolenPos = accepted.blknum * 1_000_000_000n + BigInt(accepted.txIndex) * 10_000n
        thief = 'dave'
        // dave is in on it: his deposit is not an honest balance
        stage.expected.delete(dave)
        detail = `the operator put dave's transaction turning 1 ETH into 50 ETH into block ${accepted.blknum}`
      }
      await stage.commit()
      step(detail)
      await stage.waitFor('the watcher to see the invalid transaction', () =>
        watcher.byzantine.some((b) => b.kind === 'invalid-tx'),
      )
      step(`the watcher saw it: ${watcher.byzantine[0]?.detail}`)
      await stage.waitFor(
        'the mass exit',
        () => watcher.status().massExitStarted && watcher.actions.some((a) => a.kind === 'standard-exit'),
      )
      const thiefL1 = thief === 'operator' ? stage.operatorL1 : stage.users.dave
      const evidence = await evidenceFromOperator(stage.chain, stolenPos)
      const thiefExit = await startExit({ l1: thiefL1, chain: stage.chain, utxoPos: stolenPos, evidence })
      step(
        `the ${thief} exits the forged output (${formatEther(thiefExit.amount)} ETH), bond ${formatEther(bond)} ETH`,
      )
      await challenged('the watcher to challenge the forged exit')
      await stage.waitFor('the mass exit to finish', () => watcher.status().massExitDone)
      const processGas = await stage.processAll()
      const paid = await stage.paidByOwner()
      const thiefPaid = paid.get(thiefL1.account.address.toLowerCase() as Address) ?? 0n
      const lost = honestLoss(stage, paid, ['alice', 'bob', 'carol'])
      const accounts = accountsOf(stage, paid, ['alice', 'bob', 'carol'])
      const challenge = watcher.actions.find((a) => a.kind === 'challenge' && a.ok)
      result = {
        family: 'plasma',
        attack,
        caught: challenge !== undefined && watcher.byzantine.length > 0 && thiefPaid < thiefExit.amount,
        honestFundsLost: lost,
        accounts,
        bondSlashed: challenge !== undefined ? bond : 0n,
        gas: {
          forgedExit: thiefExit.receipt.gasUsed,
          challengeInvalidTx: BigInt(challenge?.gasUsed ?? '0'),
          massExitStandardExits: actionsGas('standard-exit').length,
          massExitGas: sum([...actionsGas('standard-exit'), ...actionsGas('in-flight-exit')]),
          processExits: processGas,
        },
        detail: `${detail}; the watcher mass-exited alice, bob and carol (paid first: older outputs) and challenged the forged exit; of its ${formatEther(thiefExit.amount)} ETH, the ${thief} got ${formatEther(thiefPaid)} ETH (only what it owned honestly)`,
        watcher: report(),
      }
    } else if (attack === 'withhold') {
      operator.faults.withhold = true
      // bob pays carol; the block holding it is committed but its data withheld
      await stage.transfer('bob', 'carol', parseEther('3'), { watcher: true })
      await stage.commit()
      step('the operator committed a block root and withholds its data (bob → carol 3 ETH is in it)')
      await stage.waitFor('the watcher to call the block withheld', () =>
        watcher.byzantine.some((b) => b.kind === 'withheld'),
      )
      step(`the watcher: ${watcher.byzantine[0]?.detail}`)
      await stage.waitFor('the mass exit (standard and in-flight exits)', () => watcher.status().massExitDone)
      const processGas = await stage.processAll()
      const paid = await stage.paidByOwner()
      const lost = honestLoss(stage, paid, ['alice', 'bob', 'carol'])
      const accounts = accountsOf(stage, paid, ['alice', 'bob', 'carol'])
      const ife = watcher.actions.find((a) => a.kind === 'in-flight-exit' && a.ok)
      result = {
        family: 'plasma',
        attack,
        caught: watcher.byzantine.some((b) => b.kind === 'withheld'),
        honestFundsLost: lost,
        accounts,
        bondSlashed: null,
        gas: {
          standardExit: actionsGas('standard-exit')[0] ?? null,
          inFlightExit: BigInt(ife?.gasUsed ?? '0'),
          massExitGas: sum([...actionsGas('standard-exit'), ...actionsGas('in-flight-exit')]),
          processExits: processGas,
        },
        detail: `every watched user exited within the exit period: ${actionsGas('standard-exit').length} standard exits and ${actionsGas('in-flight-exit').length} in-flight exit (bob → carol, paid to carol as its outputs say)`,
        watcher: report(),
      }
    } else if (attack === 'in-flight-double-spend') {
      // bob signs a second spend of the deposit he already spent paying carol, and exits it in flight: were it
      // canonical, it would pay bob his 10 ETH again while carol's output from the first spend exits too
      const bobDeposit = bobDepositPos
      const double: PlasmaTx = {
        inputs: [bobDeposit],
        outputs: [
          {
            owner: stage.users.bob.account.address.toLowerCase() as Address,
            token: ETH_TOKEN,
            amount: DEMO_DEPOSIT,
          },
        ],
        metadata: `0x${'bb'.repeat(32)}`,
      }
      const bobKey = (await import('../../l1/anvil.ts')).ANVIL_DEV_ACCOUNTS[2]?.privateKey as Hex
      const sigs = signTx(domain, double, [bobKey])
      const input = await evidenceFromOperator(stage.chain, bobDeposit)
      const ifeBond = (await stage.operatorL1.publicClient.readContract({
        address: stage.net.framework,
        abi: plasmaFrameworkAbi,
        functionName: 'inFlightExitBond',
      })) as bigint
      const started = await writeContractChecked(stage.users.bob, {
        address: stage.net.framework,
        abi: plasmaFrameworkAbi,
        functionName: 'startInFlightExit',
        args: [
          bytesToHex(encodeTx(double)),
          sigsBytes(sigs),
          [input.txBytes],
          [sigsBytes(input.sigs)],
          [input.proof],
        ],
        value: ifeBond,
        what: 'in-flight exit',
      })
      step('bob signs a second spend of the deposit he paid carol with, and exits it in flight')
      await challenged('the watcher to show the first spend (non-canonical)')
      const processGas = await stage.processAll()
      const paid = await stage.paidByOwner()
      const bobPaid = paid.get(stage.users.bob.account.address.toLowerCase() as Address) ?? 0n
      const challenge = watcher.actions.find((a) => a.kind === 'challenge' && a.ok)
      result = {
        family: 'plasma',
        attack,
        caught: challenge !== undefined && bobPaid === 0n,
        // what the double spend's exit paid out of other users' funds
        honestFundsLost: bobPaid,
        bondSlashed: 0n,
        gas: {
          startInFlightExit: started.receipt.gasUsed,
          challengeNonCanonical: BigInt(challenge?.gasUsed ?? '0'),
          processExits: processGas,
        },
        detail: `the watcher showed the included first spend (bob → carol): the in-flight exit turned non-canonical with that input removed, so it paid ${formatEther(bobPaid)} ETH; its bond went back to bob (in-flight exit bonds only cover processing, see docs/plasma.md)`,
        watcher: report(),
      }
    } else {
      // spent-exit: alice exits her deposit, which she spent paying bob
      const evidence = await evidenceFromOperator(stage.chain, aliceDeposit.utxoPos)
      const exit = await startExit({
        l1: stage.users.alice,
        chain: stage.chain,
        utxoPos: aliceDeposit.utxoPos,
        evidence,
      })
      step(`alice exits her deposit output (${formatEther(exit.amount)} ETH), which she spent paying bob`)
      await challenged('the watcher to challenge the spent exit')
      const processGas = await stage.processAll()
      const paidEvents = await stage.operatorL1.publicClient.getContractEvents({
        address: stage.net.framework,
        abi: plasmaFrameworkAbi,
        eventName: 'ExitFinalized',
        fromBlock: stage.net.deployBlock,
      })
      const exitPaid = paidEvents.some((e) => (e.args as { exitId: bigint }).exitId === exit.exitId)
      const challenge = watcher.actions.find((a) => a.kind === 'challenge' && a.ok)
      // bob's and carol's balances are untouched: what alice's cheat could have taken from them is what its exit
      // would have paid
      result = {
        family: 'plasma',
        attack,
        caught: challenge !== undefined && !exitPaid,
        honestFundsLost: exitPaid ? exit.amount : 0n,
        bondSlashed: challenge !== undefined ? bond : 0n,
        gas: {
          spentExit: exit.receipt.gasUsed,
          challengeSpent: BigInt(challenge?.gasUsed ?? '0'),
          processExits: processGas,
        },
        detail: `alice's exit of a spent output was challenged with her own signed spend; it never paid, her ${formatEther(bond)} ETH bond went to the watcher`,
        watcher: report(),
      }
    }
    step(`${attack}: caught ${result.caught}, honest funds lost ${result.honestFundsLost} wei`)
    return result
  } finally {
    await stage.stop()
  }
}
