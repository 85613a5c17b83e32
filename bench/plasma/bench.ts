/**
 * The Plasma bench (`l2kit plasma bench`, part of `npm run bench`) → bench/results/plasma.json. On a fresh anvil with
 * the real operator (LMDB, fsync before every answer) and PlasmaFramework:
 *  A. operatorTps: N transfers signed beforehand (EIP-712, one input each), submitted at once to the operator, which
 *     checks each (signature recovery, UTXO set, amounts), applies it and answers once it is on disk;
 *  B. L1 gas and bytes per transfer: the block roots' gas (measured from receipts) amortised over the transfers in
 *     the block, at the measured block size and at a full block (65,536), beside the optimistic rollup's blob-mode
 *     figures from bench/results/optimistic.json at the same price scenario; the block size where Plasma's cost per
 *     transfer is 1/10 of the rollup's;
 *  C. gas of every exit-game step, from receipts on anvil: deposit (ETH, ERC-20), submitBlock, startStandardExit,
 *     processExits per exit, and the attack runs' challengeSpent, challengeInvalidTx, startInFlightExit;
 *  D. a mass exit of M users (start + process), and how many users can start an exit within one exit period at 30M gas
 *     per L1 block.
 */
import { loadavg } from 'node:os'
import { type Address, formatGwei, type Hex, parseEther, parseGwei } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import type { FlagSpec, ParsedArgs } from '../../src/cli/args.ts'
import { num, str } from '../../src/cli/args.ts'
import { optimisticBlobFigures, runPlasmaAttack } from '../../src/cli/plasma/demo.ts'
import { startPlasmaStage } from '../../src/cli/plasma/scenario.ts'
import { bytesToHex } from '../../src/core/bytes.ts'
import { keccak256 } from '../../src/core/hash.ts'
import { devTokenAbi, devTokenBytecode, plasmaFrameworkAbi } from '../../src/generated/contracts.ts'
import { createL1Clients } from '../../src/l1/clients.ts'
import { deployContractWithReceipt } from '../../src/l1/deploy.ts'
import type { Logger } from '../../src/node/logger.ts'
import { MAX_BLOCK_TXS } from '../../src/plasma/protocol/merkle.ts'
import { ETH_TOKEN, encodeUtxoPos, type PlasmaTx, signTx } from '../../src/plasma/protocol/tx.ts'
import { depositPlasma, processExits, startExit } from '../../src/sdk/plasma/index.ts'
import { machineInfo, writeResult } from '../harness.ts'

export const benchFlags: FlagSpec = {
  transfers: {
    type: 'string',
    description: 'transfers submitted at once to the operator (A.)',
    default: '20000',
  },
  'mass-exit-users': { type: 'string', description: 'users in the mass exit (D.)', default: '40' },
  'base-fee-gwei': { type: 'string', description: 'scenario L1 execution base fee (gwei)', default: '1' },
  'blob-fee-gwei': { type: 'string', description: 'scenario L1 blob base fee (gwei)', default: '1' },
  'no-attacks': {
    type: 'boolean',
    description: 'skip the attack runs that measure the challenge and in-flight exit gas (C.)',
  },
  out: { type: 'string', description: 'result file', default: 'bench/results/plasma.json' },
}

/** Published figures the results are set against. */
export const PLASMA_ANCHORS = {
  omgChallengeGas: 306_302,
  plasmaChamberSingleExitGas: 438_292,
  targets: { startExitGas: 200_000, challengeGas: 200_000, operatorTps: 5_000, costVsOptimisticBlob: 0.1 },
} as const

const EXIT_PERIOD_7_DAYS = 7 * 24 * 3600
const L1_BLOCK_SECONDS = 12
const L1_BLOCK_GAS = 30_000_000
const round = (x: number, d = 2) => Number(x.toFixed(d))

export async function runBench(
  args: ParsedArgs,
  logger: Logger,
  onShutdown: (fn: () => Promise<void>) => void,
): Promise<void> {
  const log = (s: string) => process.stderr.write(`» ${s}\n`)
  const transfers = num(args.values.transfers, 'transfers') ?? 20_000
  const massUsers = num(args.values['mass-exit-users'], 'mass-exit-users') ?? 40
  const scenario = {
    baseFee: parseGwei(String(args.values['base-fee-gwei'] ?? '1')),
    blobBaseFee: parseGwei(String(args.values['blob-fee-gwei'] ?? '1')),
  }
  const out = str(args.values.out) ?? 'bench/results/plasma.json'
  const exitPeriod = 3600n
  const stage = await startPlasmaStage({
    exitPeriod,
    logger,
    watcher: false,
    operator: { blockIntervalMs: 3_600_000 },
  })
  onShutdown(() => stage.stop())
  try {
    const op = stage.net.operator
    const pc = stage.operatorL1.publicClient
    // ---- A. operator throughput
    const alice = stage.users.alice
    const aliceKey = (await import('../../src/l1/anvil.ts')).ANVIL_DEV_ACCOUNTS[1]?.privateKey as Hex
    const depositEth = await stage.deposit('alice', parseEther('1000'))
    // fan out: one deposit into `transfers` outputs of alice (4 per transaction, spending the open block's outputs)
    log(`A. splitting a deposit into ${transfers} outputs`)
    const me = alice.account.address.toLowerCase() as Address
    let frontier: bigint[] = [depositEth.utxoPos]
    let amounts = new Map<bigint, bigint>([[depositEth.utxoPos, parseEther('1000')]])
    const leaves: bigint[] = []
    while (frontier.length + leaves.length < transfers) {
      const next: bigint[] = []
      for (const pos of frontier) {
        if (next.length + leaves.length + frontier.length >= transfers + 4) {
          leaves.push(pos)
          continue
        }
        const value = amounts.get(pos) as bigint
        const part = value / 4n
        const tx: PlasmaTx = {
          inputs: [pos],
          outputs: [0, 1, 2, 3].map((i) => ({
            owner: me,
            token: ETH_TOKEN,
            amount: i === 3 ? value - 3n * part : part,
          })),
          metadata: bytesToHex(keccak256(new TextEncoder().encode(`split ${pos}`))),
        }
        const r = await op.submit({ tx, sigs: signTx(op.domain, tx, [aliceKey]) })
        for (let i = 0; i < 4; i++) {
          const p = encodeUtxoPos({ blknum: r.blknum, txIndex: r.txIndex, oIndex: i })
          next.push(p)
          amounts.set(p, (tx.outputs[i] as { amount: bigint }).amount)
        }
      }
      frontier = next
    }
    const sources = [...leaves, ...frontier].slice(0, transfers)
    await op.seal()
    await op.committed()
    const bob = stage.users.bob.account.address.toLowerCase() as Address
    log(`A. signing ${sources.length} transfers (not timed)`)
    const signed = sources.map((pos, i) => {
      const tx: PlasmaTx = {
        inputs: [pos],
        outputs: [{ owner: bob, token: ETH_TOKEN, amount: amounts.get(pos) as bigint }],
        metadata: bytesToHex(keccak256(new TextEncoder().encode(`bench ${i}`))),
      }
      return { tx, sigs: signTx(op.domain, tx, [aliceKey]) }
    })
    amounts = new Map()
    const load0 = loadavg()[0] ?? 0
    const t0 = performance.now()
    const accepted = await Promise.all(signed.map((s) => op.submit(s)))
    const seconds = (performance.now() - t0) / 1000
    const operatorTps = round(accepted.length / seconds, 0)
    log(
      `A. ${accepted.length} transfers checked, applied and persisted in ${seconds.toFixed(2)} s: ${operatorTps}/s`,
    )
    // ---- B. the block of those transfers, its root on L1
    const sealed = await op.seal()
    await op.committed()
    const block = op.getBlock(sealed as bigint)
    const submitGas = await stage.gasOf(block.l1TxHash as Hex)
    const submitTx = await pc.getTransaction({ hash: block.l1TxHash as Hex })
    const submitCalldataBytes = (submitTx.input.length - 2) / 2
    const txsInBlock = block.txs.length
    const l1GasPerTransfer = Number(submitGas) / txsInBlock
    const l1GasPerTransferFullBlock = Number(submitGas) / MAX_BLOCK_TXS
    const opt = optimisticBlobFigures()
    const plasmaWeiPerTransfer = (n: number) => (Number(submitGas) * Number(scenario.baseFee)) / n
    const optWeiPerTransfer =
      opt === null
        ? null
        : opt.executionGas * Number(scenario.baseFee) + opt.blobGas * Number(scenario.blobBaseFee)
    const ratioAt = (n: number) =>
      optWeiPerTransfer === null ? null : round(plasmaWeiPerTransfer(n) / optWeiPerTransfer, 5)
    const crossTenth =
      optWeiPerTransfer === null
        ? null
        : Math.ceil((Number(submitGas) * Number(scenario.baseFee)) / (0.1 * optWeiPerTransfer))
    log(
      `B. submitBlock ${submitGas} gas for ${txsInBlock} transfers: ${l1GasPerTransfer.toFixed(3)} gas/transfer`,
    )

    // ---- C. gas of the honest steps
    const carol = stage.users.carol
    const token = await deployContractWithReceipt(stage.operatorL1.walletClient, pc, {
      abi: devTokenAbi,
      bytecode: devTokenBytecode,
      name: 'DevToken',
      args: ['l2kit Dev Token', 'DEV', 18, [carol.account.address], parseEther('1000000')],
    })
    const tokenDeposit = await depositPlasma({
      l1: carol,
      framework: stage.net.framework,
      amount: parseEther('5'),
      token: token.address,
    })
    const bobOutput = op.utxosOf(stage.users.bob.account.address)[0] as { utxoPos: bigint }
    const firstExit = await startExit({ l1: stage.users.bob, chain: stage.chain, utxoPos: bobOutput.utxoPos })

    // ---- D. mass exit of M users, each with one output
    log(`D. mass exit of ${massUsers} users`)
    const funder = stage.operatorL1
    const userKeys = Array.from(
      { length: massUsers },
      (_, i) => bytesToHex(keccak256(new TextEncoder().encode(`l2kit plasma bench user ${i}`))) as Hex,
    )
    let nonce = await pc.getTransactionCount({ address: funder.account.address })
    const fund = await Promise.all(
      userKeys.map((k) =>
        funder.walletClient.sendTransaction({
          to: privateKeyToAccount(k).address,
          value: parseEther('1'),
          account: funder.account,
          chain: funder.walletClient.chain ?? null,
          nonce: nonce++,
        }),
      ),
    )
    for (const h of fund) await pc.waitForTransactionReceipt({ hash: h })
    const massL1 = await Promise.all(
      userKeys.map((k) => createL1Clients({ rpcUrl: stage.anvil.rpcUrl, privateKey: k })),
    )
    const massDeposits: { utxoPos: bigint }[] = []
    for (const l1 of massL1)
      massDeposits.push(
        await depositPlasma({ l1, framework: stage.net.framework, amount: parseEther('0.1') }),
      )
    await stage.waitFor(
      'the operator to see the mass-exit deposits',
      () => op.output((massDeposits.at(-1) as { utxoPos: bigint }).utxoPos) !== undefined,
    )
    let massStartGas = 0n
    for (const [i, l1] of massL1.entries()) {
      const e = await startExit({
        l1,
        chain: stage.chain,
        utxoPos: (massDeposits[i] as { utxoPos: bigint }).utxoPos,
      })
      massStartGas += e.receipt.gasUsed
    }
    const queued = (await pc.readContract({
      address: stage.net.framework,
      abi: plasmaFrameworkAbi,
      functionName: 'queueSize',
    })) as bigint
    await stage.warp(2n * exitPeriod + 10n)
    const processed = await processExits({ l1: funder, framework: stage.net.framework, max: queued })
    const processGasPerExit = Number(processed.receipt.gasUsed) / Number(queued)
    const startGasPerUser = Number(massStartGas) / massUsers
    const perBlock = Math.floor(L1_BLOCK_GAS / startGasPerUser)
    const usersPerExitPeriod = perBlock * Math.floor(EXIT_PERIOD_7_DAYS / L1_BLOCK_SECONDS)
    log(
      `D. ${massUsers} exits: start ${startGasPerUser.toFixed(0)} gas each, process ${processGasPerExit.toFixed(0)} gas each`,
    )
    await stage.stop()

    // ---- C. the attack runs' challenge and in-flight exit gas (each on its own anvil)
    const attacks: Record<string, unknown> = {}
    let challengeSpentGas: bigint | null = null
    let challengeInvalidTxGas: bigint | null = null
    let inFlightExitGas: bigint | null = null
    if (args.values['no-attacks'] !== true) {
      for (const kind of ['spent-exit', 'invalid-exit', 'withhold'] as const) {
        log(`C. attack ${kind}`)
        const r = await runPlasmaAttack(kind, { exitPeriod, logger })
        attacks[kind] = {
          caught: r.caught,
          honestFundsLost: r.honestFundsLost.toString(),
          bondSlashed: r.bondSlashed?.toString() ?? null,
        }
        if (kind === 'spent-exit') challengeSpentGas = r.gas.challengeSpent as bigint
        if (kind === 'invalid-exit') challengeInvalidTxGas = r.gas.challengeInvalidTx as bigint
        if (kind === 'withhold') inFlightExitGas = r.gas.inFlightExit as bigint
      }
    }

    const result = {
      machine: machineInfo(),
      loadAverageAtStart: round(load0),
      workload: {
        transfers: accepted.length,
        inputsPerTransfer: 1,
        massExitUsers: massUsers,
        exitPeriodSecondsBench: Number(exitPeriod),
      },
      operatorTps,
      l1GasPerTransfer: round(l1GasPerTransfer, 4),
      l1GasPerTransferFullBlock: round(l1GasPerTransferFullBlock, 4),
      l1BytesPerTransfer: round(submitCalldataBytes / txsInBlock, 5),
      l1BytesPerTransferFullBlock: round(submitCalldataBytes / MAX_BLOCK_TXS, 6),
      transfersInBlock: txsInBlock,
      gas: {
        deposit: Number(depositEth.gas),
        depositErc20: Number(tokenDeposit.receipt.gasUsed),
        submitBlock: Number(submitGas),
        startExit: Number(firstExit.receipt.gasUsed),
        challengeExit: challengeSpentGas === null ? null : Number(challengeSpentGas),
        challengeInvalidTx: challengeInvalidTxGas === null ? null : Number(challengeInvalidTxGas),
        startInFlightExit: inFlightExitGas === null ? null : Number(inFlightExitGas),
        processExitPerExit: round(processGasPerExit, 0),
        massExit: {
          users: massUsers,
          startTotal: Number(massStartGas),
          processTotal: Number(processed.receipt.gasUsed),
        },
      },
      massExitCapacity: {
        l1BlockGas: L1_BLOCK_GAS,
        exitsStartedPerL1Block: perBlock,
        usersPerSevenDayExitPeriod: usersPerExitPeriod,
        note: 'every L1 block full of exit starts and nothing else; processing can follow after the period',
      },
      exitPeriodSeconds: {
        bench: Number(exitPeriod),
        devnet: 60,
        production: EXIT_PERIOD_7_DAYS,
        productionNote: "Polygon's Plasma bridge: 7 days",
      },
      cost: {
        scenarioPrices: {
          baseFeeGwei: formatGwei(scenario.baseFee),
          blobBaseFeeGwei: formatGwei(scenario.blobBaseFee),
        },
        plasmaWeiPerTransfer: {
          measuredBlock: round(plasmaWeiPerTransfer(txsInBlock), 1),
          fullBlock: round(plasmaWeiPerTransfer(MAX_BLOCK_TXS), 1),
        },
        optimisticBlobWeiPerTransfer: optWeiPerTransfer === null ? null : round(optWeiPerTransfer, 1),
        optimisticSource:
          opt?.source ?? 'bench/results/optimistic.json missing: run `l2kit bench --family optimistic`',
        ratioToOptimisticBlob: { measuredBlock: ratioAt(txsInBlock), fullBlock: ratioAt(MAX_BLOCK_TXS) },
        blockSizeForOneTenthOfOptimistic: crossTenth,
      },
      attacks,
      anchors: PLASMA_ANCHORS,
    }
    const file = writeResult(out, result)
    log(`wrote ${file}`)
    process.stdout.write(
      `${JSON.stringify({ operatorTps, l1GasPerTransfer: result.l1GasPerTransfer, l1GasPerTransferFullBlock: result.l1GasPerTransferFullBlock, gas: result.gas, blockSizeForOneTenthOfOptimistic: crossTenth })}\n`,
    )
  } finally {
    await stage.stop()
  }
}
