/**
 * `l2kit sidechain demo [--attack KIND] [--json]`: on a fresh anvil with 4 validators, the honest run (deposit,
 * an ERC-20 deployed and used through viem, transfers, a checkpoint on L1, a withdrawal proven against it) or one
 * attack with what it achieves: `validator-down` (one of four crashes), `equivocate` (a validator double-signs),
 * `minority-forgery` (one validator forges a checkpoint paying itself), `majority-theft` (three of four collude and
 * drain the bridge — the sidechain trust model, measured, not hidden). The last stdout line with --json has
 * `family`, `attack`, `chainKeptFinality`, `caught`, `slashed`, `honestFundsLost` and `gas`.
 */
import { type Address, erc20Abi, formatEther, type Hex, parseEther, parseEventLogs } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import type { Logger } from '../../core/logger.ts'
import {
  devTokenAbi,
  devTokenBytecode,
  sidechainBridgeAbi,
  stakeManagerAbi,
} from '../../generated/contracts.ts'
import { createL1Clients } from '../../l1/clients.ts'
import { writeContractChecked } from '../../sdk/l1Tx.ts'
import {
  depositToSidechain,
  getValidators,
  proofSiblings,
  proveAndFinalizeSidechainWithdrawal,
  withdrawFromSidechain,
} from '../../sdk/sidechain/index.ts'
import { checkpointArg } from '../../sidechain/l1.ts'
import { withdrawalsTree } from '../../sidechain/protocol/block.ts'
import {
  type Checkpoint,
  packCheckpointSignatures,
  signCheckpoint,
} from '../../sidechain/protocol/checkpoint.ts'
import { privateKeySigner } from '../../sidechain/protocol/messages.ts'
import type { ParsedArgs } from '../args.ts'
import { attackArg, num } from '../args.ts'
import { demoOutput } from '../output.ts'
import { SIDECHAIN_ATTACKS } from './commands.ts'
import { type SidechainStage, startSidechainStage } from './scenario.ts'

type Attack = (typeof SIDECHAIN_ATTACKS)[number]

export async function runSidechainDemo(
  args: ParsedArgs,
  logger: Logger,
  onShutdown: (fn: () => Promise<void>) => void,
): Promise<void> {
  const json = args.values.json === true
  const { say, step, show } = demoOutput(json)
  const attack = attackArg(args, SIDECHAIN_ATTACKS)
  if (attack !== undefined) {
    show(await runSidechainAttack(attack, { logger, step, onShutdown }))
    return
  }
  const transfers = num(args.values.transfers, 'transfers') ?? 40
  const stage = await startSidechainStage({ logger, step })
  onShutdown(() => stage.stop())
  try {
    const { alice, bob, carol } = stage.users
    const pc = stage.client(0)

    step('deposit: bob locks 2 ETH in the L1 bridge')
    const before = await pc.getBalance({ address: bob.account.address })
    const t0 = Date.now()
    const d = await depositToSidechain({ l1: bob.l1, bridge: stage.net.bridge, amount: parseEther('2') })
    await stage.waitFor(
      'the deposit minted',
      async () => (await pc.getBalance({ address: bob.account.address })) === before + parseEther('2'),
    )
    const depositLatency = (Date.now() - t0) / 1000
    step(`minted on the sidechain after ${depositLatency.toFixed(2)} s (L1 gas ${d.receipt.gasUsed})`)

    step('alice deploys an ERC-20 on the sidechain with viem (a real EVM) and pays through it')
    const deploy = await alice.l2.deployContract({
      abi: devTokenAbi,
      bytecode: devTokenBytecode,
      args: ['Side Token', 'SIDE', 18, [alice.account.address], parseEther('1000000')],
      account: alice.account,
      chain: stage.chain,
    })
    const deployed = await pc.waitForTransactionReceipt({ hash: deploy })
    const token = deployed.contractAddress as Address
    const startHeight = await stage.height()
    const t1 = Date.now()
    let nonce = await pc.getTransactionCount({ address: alice.account.address, blockTag: 'latest' })
    const hashes: Hex[] = []
    for (let i = 0; i < transfers; i++) {
      const to = i % 2 === 0 ? bob.account.address : carol.account.address
      if (i % 2 === 0)
        hashes.push(
          await alice.l2.sendTransaction({
            to,
            value: parseEther('0.01'),
            nonce: nonce++,
            account: alice.account,
            chain: stage.chain,
          }),
        )
      else
        hashes.push(
          await alice.l2.writeContract({
            address: token,
            abi: erc20Abi,
            functionName: 'transfer',
            args: [to, parseEther('1')],
            nonce: nonce++,
            account: alice.account,
            chain: stage.chain,
          }),
        )
    }
    const receipts = await Promise.all(hashes.map((hash) => pc.waitForTransactionReceipt({ hash })))
    const ms = Date.now() - t1
    const failed = receipts.filter((r) => r.status !== 'success').length
    const blocks = (await stage.height()) - startHeight
    step(
      `${transfers} transfers (half ETH, half ERC-20) committed by 4 validators in ${ms} ms, ${blocks} blocks, ${failed} failed`,
    )

    step('bob withdraws 1 ETH: burnt on the sidechain, paid on L1 against the next checkpoint')
    const t2 = Date.now()
    const w = await withdrawFromSidechain({
      chain: { rpcUrl: stage.rpcUrl },
      wallet: bob.l2,
      publicClient: pc,
      amount: parseEther('1'),
    })
    const fin = await proveAndFinalizeSidechainWithdrawal({
      chain: { rpcUrl: stage.rpcUrl, bridge: stage.net.bridge },
      l1: bob.l1,
      withdrawalId: w.withdrawalId,
      waitMs: 120_000,
      pollMs: 250,
    })
    const withdrawalLatency = (Date.now() - t2) / 1000
    const checkpoints = await bob.l1.publicClient.getContractEvents({
      address: stage.net.bridge,
      abi: sidechainBridgeAbi,
      eventName: 'CheckpointSubmitted',
      fromBlock: stage.net.deployBlock,
    })
    let checkpointGas = 0n
    for (const c of checkpoints)
      checkpointGas += (await bob.l1.publicClient.getTransactionReceipt({ hash: c.transactionHash as Hex }))
        .gasUsed
    const head = await stage.height()
    const same = await stage.sameChain([0, 1, 2, 3])
    say(
      `checkpoint ${fin.proof.checkpoint} covered the withdrawal; paid ${formatEther(fin.proof.withdrawal.amount)} ETH on L1 after ${withdrawalLatency.toFixed(1)} s`,
    )
    show({
      family: 'sidechain',
      attack: null,
      transfers,
      failedTransfers: failed,
      blocks: head.toString(),
      clientTransfersPerSecond: Number(((transfers * 1000) / ms).toFixed(1)),
      chainKeptFinality: same.same,
      gas: {
        deposit: d.receipt.gasUsed.toString(),
        checkpoints: checkpoints.length,
        checkpointsTotal: checkpointGas.toString(),
        checkpointAverage:
          checkpoints.length === 0 ? null : (checkpointGas / BigInt(checkpoints.length)).toString(),
        finalizeWithdrawal: fin.gasUsed.toString(),
      },
      l1GasPerSidechainBlock: Number((Number(checkpointGas) / Number(head)).toFixed(1)),
      depositLatencySeconds: depositLatency,
      withdrawalLatencySeconds: withdrawalLatency,
      caught: null,
      slashed: null,
      honestFundsLost: null,
    })
  } finally {
    await stage.stop()
  }
}

type AttackContext = {
  logger: Logger
  step: (message: string) => void
  onShutdown: (fn: () => Promise<void>) => void
}

export async function runSidechainAttack(
  attack: Attack,
  ctx: AttackContext,
): Promise<Record<string, unknown>> {
  const stage = await startSidechainStage({
    logger: ctx.logger,
    step: ctx.step,
    // majority-theft and minority-forgery forge checkpoints themselves: the honest ones come rarely then.
    ...(attack === 'majority-theft' || attack === 'minority-forgery' ? { checkpointInterval: 10_000 } : {}),
    ...(attack === 'equivocate' ? { misbehave: { index: 1, kind: 'equivocate' as const } } : {}),
  })
  ctx.onShutdown(() => stage.stop())
  try {
    switch (attack) {
      case 'validator-down':
        return await validatorDown(stage, ctx.step)
      case 'equivocate':
        return await equivocate(stage, ctx.step)
      case 'minority-forgery':
        return await forgery(stage, ctx.step, 1)
      case 'majority-theft':
        return await forgery(stage, ctx.step, 3)
    }
  } finally {
    await stage.stop()
  }
}

async function payments(stage: SidechainStage, n: number): Promise<number> {
  const { alice, bob } = stage.users
  const pc = stage.client(0)
  let nonce = await pc.getTransactionCount({ address: alice.account.address, blockTag: 'latest' })
  const hashes: Hex[] = []
  for (let i = 0; i < n; i++)
    hashes.push(
      await alice.l2.sendTransaction({
        to: bob.account.address,
        value: parseEther('0.001'),
        nonce: nonce++,
        account: alice.account,
        chain: stage.chain,
      }),
    )
  const receipts = await Promise.all(
    hashes.map((hash) => pc.waitForTransactionReceipt({ hash, timeout: 60_000 })),
  )
  return receipts.filter((r) => r.status === 'success').length
}

async function validatorDown(
  stage: SidechainStage,
  step: (m: string) => void,
): Promise<Record<string, unknown>> {
  await stage.waitFor('a few blocks', async () => (await stage.height()) >= 3n)
  step('validator 3 of 4 crashes')
  await stage.net.stopValidator(3)
  const at = await stage.height()
  const paid = await payments(stage, 10)
  await stage.waitFor('8 more blocks without it', async () => (await stage.height()) >= at + 8n)
  const whileDown = (await stage.height()) - at
  step(`the other three kept committing: ${whileDown} blocks, ${paid}/10 payments; validator 3 restarts`)
  const t = Date.now()
  await stage.net.startValidator(3)
  await stage.waitFor(
    'validator 3 caught up',
    async () => (await stage.height(3)) >= (await stage.height(0)) - 1n,
  )
  const same = await stage.sameChain([0, 1, 2, 3])
  step(`validator 3 caught up in ${Date.now() - t} ms; all four hold the same ${same.upTo} blocks`)
  return {
    family: 'sidechain',
    attack: 'validator-down',
    chainKeptFinality: whileDown >= 8n && same.same,
    caught: null,
    slashed: null,
    honestFundsLost: '0',
    gas: {},
    detail: {
      blocksWhileDown: whileDown.toString(),
      paymentsCommittedWhileDown: paid,
      catchUpMs: Date.now() - t,
      toleratedFaults: 'f = ⌊(n−1)/3⌋ = 1 of 4; with 2 of 4 down the chain halts (no fork) until one returns',
    },
  }
}

async function equivocate(
  stage: SidechainStage,
  step: (m: string) => void,
): Promise<Record<string, unknown>> {
  const cheater = stage.net.validators[1] as { address: Address }
  const l1 = stage.users.alice.l1.publicClient
  step(`validator 1 (${cheater.address}) signs two different prevotes in every round it votes`)
  const stakeBefore = (await l1.readContract({
    address: stage.net.stakeManager,
    abi: stakeManagerAbi,
    functionName: 'powerOf',
    args: [cheater.address],
  })) as bigint
  const slashedEvent = await stage.waitFor('the double sign slashed on L1', async () => {
    const events = await l1.getContractEvents({
      address: stage.net.stakeManager,
      abi: stakeManagerAbi,
      eventName: 'Slashed',
      fromBlock: stage.net.deployBlock,
    })
    return events[0]
  })
  const receipt = await l1.getTransactionReceipt({ hash: slashedEvent.transactionHash as Hex })
  const stakeAfter = (await l1.readContract({
    address: stage.net.stakeManager,
    abi: stakeManagerAbi,
    functionName: 'powerOf',
    args: [cheater.address],
  })) as bigint
  // Slashing is a StakeManager epoch: the sidechain moves to the set without the cheater.
  const setAfter = await stage.waitFor('the cheater out of the sidechain set', async () => {
    const v = await getValidators({ rpcUrl: (stage.net.validators[0] as { rpcUrl: string }).rpcUrl })
    return v.validators.some((x) => x.address === cheater.address) ? undefined : v
  })
  const paid = await payments(stage, 5)
  const same = await stage.sameChain([0, 1, 2, 3])
  step(
    `an honest validator sent the two signed votes to the StakeManager: ${formatEther(stakeBefore)} ETH slashed (gas ${receipt.gasUsed}); the sidechain dropped it from its set at L1 epoch ${setAfter.epoch} and goes on (${paid}/5 payments) with the same blocks everywhere`,
  )
  return {
    family: 'sidechain',
    attack: 'equivocate',
    chainKeptFinality: same.same && paid === 5,
    caught: true,
    slashed: (stakeBefore - stakeAfter).toString(),
    honestFundsLost: '0',
    gas: { slashDoubleSign: receipt.gasUsed.toString() },
    detail: {
      cheater: cheater.address,
      l1TxHash: slashedEvent.transactionHash,
      reporter: receipt.from,
      commonBlocks: same.upTo.toString(),
      removedFromSetAtEpoch: setAfter.epoch.toString(),
      validatorsAfter: setAfter.validators.length,
    },
  }
}

/**
 * `signers` validators forge a checkpoint whose withdrawal tree holds one withdrawal nobody made: the whole bridge
 * balance to the first forger. With 1 of 4 the bridge refuses it (too little stake); with 3 of 4 it pays.
 */
async function forgery(
  stage: SidechainStage,
  step: (m: string) => void,
  signers: number,
): Promise<Record<string, unknown>> {
  const { alice, bob } = stage.users
  const l1 = alice.l1.publicClient
  step('alice and bob deposit 5 ETH each into the bridge')
  for (const u of [alice, bob])
    await depositToSidechain({ l1: u.l1, bridge: stage.net.bridge, amount: parseEther('5') })
  await stage.waitFor(
    'the deposits minted',
    async () => (await stage.client(0).getBalance({ address: bob.account.address })) >= parseEther('105'),
  )
  const locked = await l1.getBalance({ address: stage.net.bridge })
  const forgers = [0, 1, 2].slice(0, signers).map((i) => stage.validatorKey(i))
  const thief = privateKeyToAccount(forgers[0] as Hex).address
  const withdrawal = {
    id: 1_000_000n,
    from: thief,
    to: thief,
    token: '0x0000000000000000000000000000000000000000' as Address,
    amount: locked,
  }
  const count = (await l1.readContract({
    address: stage.net.bridge,
    abi: sidechainBridgeAbi,
    functionName: 'checkpointCount',
  })) as bigint
  const start = (await l1.readContract({
    address: stage.net.bridge,
    abi: sidechainBridgeAbi,
    functionName: 'nextStartBlock',
  })) as bigint
  const tree = withdrawalsTree([withdrawal])
  const checkpoint: Checkpoint = {
    number: count,
    startBlock: start,
    endBlock: start,
    blocksRoot: `0x${'11'.repeat(32)}`,
    stateRoot: `0x${'22'.repeat(32)}`,
    withdrawalsRoot: `0x${Buffer.from(tree.root).toString('hex')}` as Hex,
    withdrawalCount: 1,
  }
  const domain = { chainId: BigInt(await l1.getChainId()), bridge: stage.net.bridge.toLowerCase() as Address }
  const sigs = forgers.map((k) => {
    const signer = privateKeySigner(k)
    return { signer: signer.address, signature: signCheckpoint(domain, checkpoint, signer) }
  })
  const thiefL1 = await createL1Clients({ rpcUrl: stage.anvil.rpcUrl, privateKey: forgers[0] as Hex })
  step(
    `${signers} of 4 validators sign a forged checkpoint paying ${formatEther(locked)} ETH (everything locked) to ${thief}`,
  )
  let submitGas: bigint | undefined
  let refusal: string | undefined
  try {
    const sent = await writeContractChecked(thiefL1, {
      address: stage.net.bridge,
      abi: sidechainBridgeAbi,
      functionName: 'submitCheckpoint',
      args: [checkpointArg(checkpoint), packCheckpointSignatures(sigs)],
      what: 'forged checkpoint',
    })
    submitGas = sent.receipt.gasUsed
  } catch (e) {
    refusal = (e as Error).message
  }
  let stolen = 0n
  let finalizeGas: bigint | undefined
  if (submitGas !== undefined) {
    const before = await l1.getBalance({ address: thief })
    const siblings = proofSiblings(tree.proof(0))
    const sent = await writeContractChecked(thiefL1, {
      address: stage.net.bridge,
      abi: sidechainBridgeAbi,
      functionName: 'finalizeWithdrawal',
      args: [withdrawal, count, 0n, siblings],
      what: 'forged withdrawal',
    })
    finalizeGas = sent.receipt.gasUsed
    const paid = parseEventLogs({
      abi: sidechainBridgeAbi,
      logs: sent.receipt.logs,
      eventName: 'WithdrawalFinalized',
    })
    stolen = paid.reduce((s, e) => s + (e.args as { amount: bigint }).amount, 0n)
    const after = await l1.getBalance({ address: thief })
    step(
      `the bridge paid it: ${formatEther(stolen)} ETH to the thieves (their L1 balance +${formatEther(after - before + sent.receipt.gasUsed * sent.receipt.effectiveGasPrice)}); the users' 10 ETH on the sidechain is now backed by nothing on L1`,
    )
  } else {
    step(`L1 refused it: ${refusal}`)
  }
  // Either way the sidechain itself goes on: the forgery is on L1, consensus never saw it.
  const paid = await payments(stage, 3)
  const same = await stage.sameChain([0, 1, 2, 3])
  const bridgeLeft = await l1.getBalance({ address: stage.net.bridge })
  return {
    family: 'sidechain',
    attack: signers === 3 ? 'majority-theft' : 'minority-forgery',
    chainKeptFinality: same.same && paid === 3,
    caught: submitGas === undefined,
    slashed: null,
    honestFundsLost: stolen.toString(),
    gas: {
      ...(submitGas !== undefined ? { forgedCheckpoint: submitGas.toString() } : {}),
      ...(finalizeGas !== undefined ? { forgedWithdrawal: finalizeGas.toString() } : {}),
    },
    detail: {
      signers: `${signers} of 4 (${signers === 3 ? 'more' : 'less'} than ⅔ of the stake)`,
      lockedBefore: locked.toString(),
      bridgeBalanceAfter: bridgeLeft.toString(),
      refusal: refusal === undefined ? null : refusal.slice(0, 200),
      trustModel:
        signers === 3
          ? 'a sidechain bridge trusts > ⅔ of the validators: together they can sign anything and L1 cannot tell; only what was deposited can be taken (the bridge never pays out more), and signing a checkpoint is not slashable'
          : 'fewer than ⅔ of the stake cannot make L1 accept a checkpoint; forging one is not double-signing, so it is refused, not slashed',
    },
  }
}
