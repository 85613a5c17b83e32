/**
 * The ZK rollup's attacks, end to end on a real L1 (anvil: the exodus attacks move its clock): a fresh devnet, four
 * honest users (anvil accounts 1..4) who deposit with their L2 keys and transfer to each other until it is all proven
 * and verified on L1, then the operator (anvil account 9) misbehaves in one of four ways:
 *
 * - `invalid-proof`: it commits a block and calls `verifyBlocks` with proofs that are not the block's (another
 *   block's valid proof, a mutated one): L1 reverts `InvalidProof` and the verified root does not move.
 * - `wrong-root`: it commits a block's real pubdata with a new root that credits the operator with a user's balance;
 *   the honest proof does not verify against that block (`InvalidProof`), the honest block is not the committed one
 *   (`StoredBlockMismatch`), and the circuit refuses any witness for the committed commitment; the operator reverts
 *   the block and the honest one is committed and verified instead.
 * - `censor-exit`: the operator keeps producing blocks but never includes L1 requests; a user's `requestFullExit`
 *   expires, anyone activates exodus, and every user leaves with a Merkle proof against the last verified root,
 *   rebuilt from L1 data alone; a deposit never included is refunded.
 * - `operator-gone`: the node stops for good with a deposit queued; same exodus.
 *
 * `honestFundsLost` is MEASURED per honest user from L1 alone (historical balances, every transaction it sent and
 * its receipt, the verified state rebuilt from L1): ETH it put in − ETH it got back − what it still legitimately holds
 * (its verified, not yet exited L2 balance, its pending balance on the rollup, its deposits still queued) − what it
 * gave the other honest users on L2; summed over the users. Shared by the CLI demo and the adversarial e2e tests.
 */
import { mkdirSync, mkdtempSync } from 'node:fs'
import { join } from 'node:path'
import {
  type Address,
  type Chain,
  createPublicClient,
  createTestClient,
  createWalletClient,
  type Hex,
  http,
  type PublicClient,
  parseEther,
  parseEventLogs,
  type TransactionReceipt,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { L2kitError } from '../../core/errors.ts'
import { zkRollupAbi } from '../../generated/contracts.ts'
import { ANVIL_DEV_ACCOUNTS } from '../../l1/anvil.ts'
import {
  activateZkExodusMode,
  depositZk,
  deriveZkKey,
  exodusWithdraw,
  getZkAccount,
  rebuildVerifiedZkState,
  refundOutstandingDeposits,
  requestFullExit,
  transferZk,
  type VerifiedZkState,
  waitForZkTransaction,
  type ZkKey,
  zkExodusProof,
} from '../../sdk/zk/index.ts'
import { revertName } from '../../sdk/zk/shared.ts'
import { startZkDevnet, type ZkDevnet, type ZkDevnetOptions } from '../../zk/devnet.ts'
import { BN254_Q, type ProofWords, proofToWords } from '../../zk/l1/proof.ts'
import { type L1StoredBlock, storedBlockOf, withdrawalsForL1 } from '../../zk/l1sync.ts'
import { blockCommitment, decodePubdata, OpType, type PriorityRequest } from '../../zk/protocol/ops.ts'
import { applyProvenPubdata, type BlockItem, buildBlock, requestItem } from '../../zk/protocol/state.ts'
import type { PendingItem, SealedBlock } from '../../zk/store.ts'
import { calculateWitness } from '../../zk/witness.ts'
import '../errors.ts'

export const ZK_ATTACKS = ['invalid-proof', 'wrong-root', 'censor-exit', 'operator-gone'] as const
export type ZkAttack = (typeof ZK_ATTACKS)[number]

export const ZK_ATTACK_DESCRIPTIONS: Record<ZkAttack, string> = {
  'invalid-proof':
    "the operator commits a block and tries to verify it with proofs that are not its own (another block's valid proof, a mutated proof)",
  'wrong-root':
    "the operator commits a block's real pubdata with a new root that moves a user's balance to the operator, then tries to verify it with the real block's proof",
  'censor-exit':
    "the operator keeps making blocks but never includes L1 requests: a user's full exit and a deposit are censored",
  'operator-gone': "the operator's node stops for good, with a deposit still queued on L1",
}

/** One honest user's money, measured from L1 (wei, decimal strings). */
export type ZkUserOutcome = {
  name: string
  address: Address
  /** its L2 account indices */
  accounts: number[]
  /** ETH it sent to the rollup (deposits) */
  putInWei: string
  /** ETH that came back to it: L1 balance change + its gas + what it put in */
  gotBackWei: string
  /** gas it paid for its own L1 transactions (gasUsed × effectiveGasPrice of every one) */
  gasWei: string
  /** what it still legitimately holds: verified L2 balance not exited + pending balance on L1 + queued deposits */
  stillHeldWei: string
  /** L2 value it gave other honest users in verified transfers, minus what it received from them */
  transferredToOthersWei: string
  /** putIn − gotBack − stillHeld − transferredToOthers: 0 when the attack took nothing from it */
  lostWei: string
}

export type ZkExodusOutcome = {
  /** the expired request that allowed exodus, and who activated it */
  expiredRequest: string
  activatedBy: Address
  /** every exodus withdrawal: the leaf's owner was paid exactly its verified balance */
  withdrawals: {
    accountIndex: number
    owner: Address
    calledBy: Address
    verifiedBalanceWei: string
    paidWei: string
    gas: string
  }[]
  /** every user's verified balance was paid in full, to its owner, once */
  everyoneGotExactBalance: boolean
  /** deposits never verified, credited back and paid out */
  refunds: { requestIndex: string; owner: Address; amountWei: string }[]
  /** a user exodus-withdrew someone else's account: the owner was paid, the caller got nothing but its gas bill */
  thirdParty: {
    caller: Address
    accountIndex: number
    owner: Address
    /** caller's L1 balance change plus its gas for that transaction: 0 */
    callerGainedWei: string
    ownerGainedWei: string
  }
  /** withdrawing the same (account, token) again */
  secondWithdrawal: string
}

export type ZkAttackResult = {
  family: 'zk'
  attack: ZkAttack
  caught: boolean
  /** wei, decimal: summed over the honest users (see ZkUserOutcome), measured */
  honestFundsLost: string
  /** gas of the relevant L1 transactions (the attack's, the recovery's, exodus's) */
  gas: Record<string, string>
  detail: string
  description: string
  rollup: Address
  operator: Address
  /** each refused attempt → the custom error L1 refused it with */
  rejections: Record<string, string>
  verifiedRootBefore: Hex
  verifiedRootAfter: Hex
  verifiedBlocks: number
  users: ZkUserOutcome[]
  /** wrong-root: the commitment L1 computed for the forged block, and the one the honest proof proves */
  commitments?: { committed: Hex; proven: Hex }
  exodus?: ZkExodusOutcome
  /** seconds the node's prover took per block */
  proofSeconds: Record<string, number>
  /** the insecure development setup: its toxic waste is public (see detail) */
  insecureSetup: boolean
  seconds: number
}

export type ZkAttackOptions = {
  l1RpcUrl: string
  /** a fresh subfolder is made in it */
  dataDir: string
  chunks: number
  depth: number
  cacheDir?: string
  onStep?: (line: string) => void
}

const GWEI = 1_000_000_000n
/** Seconds an L1 request may wait in the exodus attacks (the clock is then moved past it). */
const SHORT_DEADLINE = 60
const TIMEOUT_MS = 240_000

type User = {
  name: string
  address: Address
  l1: { walletClient: ReturnType<typeof walletFor>; publicClient: PublicClient }
  key?: ZkKey
  account?: number
}

type Transfer = { from: number; to: number; units: bigint; hash: Hex; block: number | null }

type Ctx = {
  kind: ZkAttack
  options: ZkAttackOptions
  step: (line: string) => void
  chain: Chain
  publicClient: PublicClient
  devnetOptions: ZkDevnetOptions
  devnet: ZkDevnet
  nodeRunning: boolean
  rollup: Address
  deployBlock: bigint
  operator: ReturnType<typeof walletFor>
  users: User[]
  transfers: Transfer[]
  gas: Record<string, string>
  rejections: Record<string, string>
  proofSeconds: Record<string, number>
  startBlock: bigint
}

function keyOf(i: number): Hex {
  const account = ANVIL_DEV_ACCOUNTS[i]
  if (account === undefined) throw new L2kitError('ATTACK_SETUP', `anvil account ${i} does not exist`)
  return account.privateKey
}

function walletFor(url: string, chain: Chain, privateKey: Hex) {
  return createWalletClient({ account: privateKeyToAccount(privateKey), chain, transport: http(url) })
}

function hex32(v: bigint): Hex {
  return `0x${v.toString(16).padStart(64, '0')}`
}

function bytesHex(b: Uint8Array): Hex {
  return `0x${Buffer.from(b).toString('hex')}`
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs = TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new L2kitError('ATTACK_SETUP', `timed out waiting for ${what}`)
    await sleep(200)
  }
}

function readRollup<N extends 'verifiedRoot' | 'totalBlocksVerified' | 'totalBlocksCommitted'>(
  ctx: Ctx,
  functionName: N,
) {
  return ctx.publicClient.readContract({ address: ctx.rollup, abi: zkRollupAbi, functionName })
}

async function counters(ctx: Ctx) {
  const read = (
    functionName:
      | 'totalPriorityRequests'
      | 'verifiedPriorityRequests'
      | 'totalBlocksVerified'
      | 'totalBlocksCommitted',
  ) => ctx.publicClient.readContract({ address: ctx.rollup, abi: zkRollupAbi, functionName })
  const [requests, verifiedRequests, verified, committed] = await Promise.all([
    read('totalPriorityRequests'),
    read('verifiedPriorityRequests'),
    read('totalBlocksVerified'),
    read('totalBlocksCommitted'),
  ])
  return {
    requests: Number(requests),
    verifiedRequests: Number(verifiedRequests),
    verified: Number(verified),
    committed: Number(committed),
  }
}

function nodeClient(ctx: Ctx) {
  return createPublicClient({ transport: http(ctx.devnet.rpcUrl) })
}

/** The StoredBlock L1 keeps for block `n` (genesis for 0), from the node's store. */
async function storedBlock(ctx: Ctx, n: number): Promise<L1StoredBlock> {
  if (n === 0) {
    return (await ctx.publicClient.readContract({
      address: ctx.rollup,
      abi: zkRollupAbi,
      functionName: 'genesisBlock',
    })) as L1StoredBlock
  }
  return storedBlockOf(sealedBlock(ctx, n))
}

function sealedBlock(ctx: Ctx, n: number): SealedBlock {
  const b = ctx.devnet.node.store.blocks.get(n)
  if (b === undefined) throw new L2kitError('ATTACK_SETUP', `block ${n} is not in the node's store`)
  return b
}

function proofWordsOf(ctx: Ctx, n: number): ProofWords {
  const p = ctx.devnet.node.store.proofs.get(n)
  if (p === undefined) throw new L2kitError('ATTACK_SETUP', `block ${n} has no proof in the node's store`)
  return proofToWords(p.proof as never)
}

/** An L1 transaction of the operator, sent as is (explicit gas: no estimate, so a refused call is mined too). */
async function operatorSend(
  ctx: Ctx,
  functionName: 'commitBlocks' | 'verifyBlocks' | 'revertBlocks',
  args: readonly unknown[],
  gas: bigint,
): Promise<TransactionReceipt> {
  const hash = await ctx.operator.writeContract({
    address: ctx.rollup,
    abi: zkRollupAbi,
    functionName,
    args: args as never,
    gas,
  })
  return ctx.publicClient.waitForTransactionReceipt({ hash })
}

/** An operator call that must succeed. */
async function operatorCall(
  ctx: Ctx,
  label: string,
  functionName: 'commitBlocks' | 'verifyBlocks' | 'revertBlocks',
  args: readonly unknown[],
  gas: bigint,
): Promise<TransactionReceipt> {
  const receipt = await operatorSend(ctx, functionName, args, gas)
  if (receipt.status !== 'success') {
    throw new L2kitError('ATTACK_SETUP', `${label} reverted on L1 (tx ${receipt.transactionHash})`)
  }
  ctx.gas[label] = receipt.gasUsed.toString()
  return receipt
}

/**
 * An attack transaction: first simulated (to decode the custom error L1 refuses it with), then sent for real so the
 * refusal is an L1 transaction with a receipt. Returns the error name (undefined if L1 accepted it: not caught).
 */
async function attempt(
  ctx: Ctx,
  label: string,
  functionName: 'commitBlocks' | 'verifyBlocks' | 'revertBlocks',
  args: readonly unknown[],
  gas: bigint,
): Promise<{ error: string | undefined; reverted: boolean }> {
  let error: string | undefined
  try {
    await ctx.publicClient.simulateContract({
      address: ctx.rollup,
      abi: zkRollupAbi,
      functionName,
      args: args as never,
      account: ctx.operator.account.address,
    })
  } catch (err) {
    error = revertName(err) ?? (err instanceof Error ? err.message.split('\n')[0] : String(err))
  }
  const receipt = await operatorSend(ctx, functionName, args, gas)
  const reverted = receipt.status !== 'success'
  ctx.gas[label] = receipt.gasUsed.toString()
  ctx.rejections[label] = reverted ? (error ?? 'reverted') : 'ACCEPTED'
  return { error, reverted }
}

function verifyGas(withdrawals: number): bigint {
  return 400_000n + 120_000n + 60_000n * BigInt(withdrawals)
}

// ------------------------------------------------------------------------------------------------ the devnet

async function startDevnet(ctx: Pick<Ctx, 'devnetOptions' | 'step'>): Promise<ZkDevnet> {
  return startZkDevnet(ctx.devnetOptions, { onStep: (m) => ctx.step(m) })
}

async function stopNode(ctx: Ctx): Promise<void> {
  if (!ctx.nodeRunning) return
  ctx.nodeRunning = false
  for (const { value } of ctx.devnet.node.store.proofs.getRange()) {
    ctx.proofSeconds[String(value.block)] = Math.round(value.seconds * 10) / 10
  }
  await ctx.devnet.stop()
}

/**
 * Deposits with L2 keys and transfers between the users, until everything is verified on L1. The sequencer seals a
 * partly filled block only while no block waits for a prover, so the honest phase usually takes two proofs: alice,
 * bob and carol's deposits, then (sent while those are proven) two transfers and dave's deposit, a full block.
 */
async function fundHonestUsers(ctx: Ctx): Promise<void> {
  const { rollup } = ctx
  const node = nodeClient(ctx)
  const amounts = [parseEther('1'), parseEther('0.5'), parseEther('0.3'), parseEther('0.2')]
  const deposit = async (u: User, amount: bigint) => {
    const result = await depositZk({
      l1: u.l1,
      rollup,
      token: 'ETH',
      amount,
      pkHash: (u.key as ZkKey).pkHash,
    })
    ctx.gas[`depositETH(${u.name})`] = result.receipt.gasUsed.toString()
  }
  const accountOf = async (u: User) => {
    await waitUntil(`${u.name}'s L2 account`, async () => {
      const account = await getZkAccount({ node, owner: u.address })
      if (account !== null) u.account = account.index
      return account !== null
    })
  }
  ctx.step(
    `honest users ${ctx.users.map((u) => u.name).join(', ')} derive their L2 keys; alice, bob and carol deposit ${amounts
      .slice(0, 3)
      .map((a) => `${Number(a) / 1e18}`)
      .join(' / ')} ETH`,
  )
  await Promise.all(
    ctx.users.map(async (u) => {
      u.key = await deriveZkKey({ walletClient: u.l1.walletClient, rollup })
    }),
  )
  const [alice, bob, carol, dave] = ctx.users as [User, User, User, User]
  await Promise.all([alice, bob, carol].map((u, i) => deposit(u, amounts[i] as bigint)))
  await Promise.all([alice, bob, carol].map(accountOf))
  ctx.step('transfers alice → bob 0.1 ETH and bob → carol 0.05 ETH; dave deposits 0.2 ETH')
  const sent = [await transfer(ctx, 0, 1, 100_000_000n), await transfer(ctx, 1, 2, 50_000_000n)]
  await deposit(dave, amounts[3] as bigint)
  await accountOf(dave)
  for (const t of sent) await waitForTransfer(ctx, t, 'verified')
  await waitUntil('the deposits to be verified on L1', async () => {
    const c = await counters(ctx)
    return c.verifiedRequests >= ctx.users.length
  })
  const c = await counters(ctx)
  ctx.step(
    `all proven and verified on L1 (${c.verified} blocks); accounts ${ctx.users.map((u) => `${u.name} #${u.account}`).join(', ')}`,
  )
}

async function transfer(ctx: Ctx, from: number, to: number, units: bigint): Promise<Transfer> {
  const sender = ctx.users[from] as User
  const recipient = ctx.users[to] as User
  const r = await transferZk({
    node: nodeClient(ctx),
    key: sender.key as ZkKey,
    from: sender.account as number,
    to: recipient.account as number,
    token: 0,
    amount: units,
  })
  const t: Transfer = { from, to, units, hash: r.hash, block: null }
  ctx.transfers.push(t)
  return t
}

/** Waits until transfer `t` reaches `status` and records the block it is in. */
async function waitForTransfer(ctx: Ctx, t: Transfer, status: 'sealed' | 'verified'): Promise<number> {
  const info = await waitForZkTransaction({
    node: nodeClient(ctx),
    hash: t.hash,
    status,
    timeoutMs: TIMEOUT_MS,
  })
  t.block = info.block
  return info.block as number
}

/**
 * Three transfers sent together (dave → alice 0.01, carol → dave 0.02, bob → carol 0.03 ETH) fill a block, sealed at
 * once; waits until it is proven (the committer is stopped: nothing posts it). Returns the number of the (first)
 * block that holds them.
 */
async function provenTransferBlock(ctx: Ctx): Promise<number> {
  const plan: [number, number, bigint][] = [
    [3, 0, 10_000_000n],
    [2, 3, 20_000_000n],
    [1, 2, 30_000_000n],
  ]
  const sent = await Promise.all(plan.map(([from, to, units]) => transfer(ctx, from, to, units)))
  for (const t of sent) await waitForTransfer(ctx, t, 'sealed')
  const n = Math.min(...sent.map((t) => t.block as number))
  await waitUntil(`the proof of block ${n}`, () => ctx.devnet.node.store.proofs.get(n) !== undefined)
  return n
}

// ------------------------------------------------------------------------------------------------ the attacks

async function invalidProof(ctx: Ctx): Promise<{ caught: boolean; detail: string }> {
  ctx.step("the operator takes L1 posting into its own hands (the node's committer is stopped)")
  await ctx.devnet.node.committer.stop()
  const rootBefore = await readRollup(ctx, 'verifiedRoot')
  const verifiedBefore = Number(await readRollup(ctx, 'totalBlocksVerified'))
  const n = await provenTransferBlock(ctx)
  if (n !== verifiedBefore + 1) throw new L2kitError('ATTACK_SETUP', `block ${n} is not the next to verify`)
  const block = storedBlockOf(sealedBlock(ctx, n))
  const withdrawals = withdrawalsForL1(sealedBlock(ctx, n).withdrawals)
  ctx.step(`block ${n} (three transfers between the users) sealed and proven; the operator commits it`)
  await operatorCall(
    ctx,
    'commitBlocks',
    'commitBlocks',
    [
      await storedBlock(ctx, n - 1),
      [{ newRoot: block.newRoot, pubdata: bytesHex(sealedBlock(ctx, n).pubdata) }],
    ],
    1_000_000n,
  )
  const honest = proofWordsOf(ctx, n)
  const other = proofWordsOf(ctx, n - 1)
  const mutated = [...honest] as unknown as bigint[]
  mutated[1] = (BN254_Q - (honest[1] as bigint)) % BN254_Q // −A: still a curve point, not the proof
  const gas = verifyGas(withdrawals.length)
  ctx.step(`the operator calls verifyBlocks for block ${n} with block ${n - 1}'s (valid) proof`)
  const a = await attempt(
    ctx,
    'verifyBlocks(another block proof)',
    'verifyBlocks',
    [[block], [other], [withdrawals]],
    gas,
  )
  ctx.step(`  → ${a.reverted ? `reverted ${a.error}` : 'ACCEPTED'}; now with a mutated proof (A negated)`)
  const b = await attempt(
    ctx,
    'verifyBlocks(mutated proof)',
    'verifyBlocks',
    [[block], [mutated], [withdrawals]],
    gas,
  )
  ctx.step(`  → ${b.reverted ? `reverted ${b.error}` : 'ACCEPTED'}`)
  const rootAfterAttack = await readRollup(ctx, 'verifiedRoot')
  const verifiedAfterAttack = Number(await readRollup(ctx, 'totalBlocksVerified'))
  const unmoved = rootAfterAttack === rootBefore && verifiedAfterAttack === verifiedBefore
  ctx.step(`verified root ${unmoved ? 'unchanged' : 'MOVED'}; block ${n} is then verified with its own proof`)
  await operatorCall(ctx, 'verifyBlocks(own proof)', 'verifyBlocks', [[block], [honest], [withdrawals]], gas)
  const caught =
    a.reverted && b.reverted && a.error === 'InvalidProof' && b.error === 'InvalidProof' && unmoved
  return {
    caught,
    detail: `Block ${n} was committed, then verifyBlocks was called with block ${n - 1}'s valid proof (${a.error ?? 'ACCEPTED'}) and with its own proof mutated (${b.error ?? 'ACCEPTED'}): the proof's public input is the block's commitment, so no other proof verifies it. The verified root ${unmoved ? 'did not move' : 'MOVED'} (${verifiedBefore} blocks verified). The block's own proof then verified it and the honest transfer in it is final.`,
  }
}

/** The items a sealed block applied, for buildBlock (its L1 requests from the node's store). */
function blockItems(ctx: Ctx, block: SealedBlock): BlockItem[] {
  const store = ctx.devnet.node.store
  return block.items.map((item: PendingItem): BlockItem => {
    if (item.kind === 'tx') return { op: item.tx }
    const stored = store.requests.get(item.index)
    if (stored === undefined) throw new L2kitError('ATTACK_SETUP', `request ${item.index} is not stored`)
    return requestItem(stored.request, item.account)
  })
}

function blockRequests(ctx: Ctx, block: SealedBlock): PriorityRequest[] {
  const out: PriorityRequest[] = []
  for (let i = block.firstRequest; i < block.firstRequest + block.priorityOps; i++) {
    const r = ctx.devnet.node.store.requests.get(i)
    if (r === undefined) throw new L2kitError('ATTACK_SETUP', `request ${i} is not stored`)
    out.push(r.request)
  }
  return out
}

async function wrongRoot(
  ctx: Ctx,
): Promise<{ caught: boolean; detail: string; commitments: { committed: Hex; proven: Hex } }> {
  ctx.step("the operator takes L1 posting into its own hands (the node's committer is stopped)")
  await ctx.devnet.node.committer.stop()
  const rootBefore = await readRollup(ctx, 'verifiedRoot')
  const verifiedBefore = Number(await readRollup(ctx, 'totalBlocksVerified'))
  const n = await provenTransferBlock(ctx)
  if (n !== verifiedBefore + 1) throw new L2kitError('ATTACK_SETUP', `block ${n} is not the next to verify`)
  const sealed = sealedBlock(ctx, n)
  const honestStored = storedBlockOf(sealed)
  const withdrawals = withdrawalsForL1(sealed.withdrawals)

  // The forged root: the block's real effect, then the victim's whole balance moved to a new operator account.
  const verified = await rebuildVerifiedZkState({
    publicClient: ctx.publicClient,
    rollup: ctx.rollup,
    fromBlock: ctx.deployBlock,
  })
  const honestAfter = verified.state.clone()
  applyProvenPubdata(honestAfter, decodePubdata(sealed.pubdata), blockRequests(ctx, sealed))
  if (honestAfter.root() !== sealed.newRoot) {
    throw new L2kitError('ATTACK_SETUP', `block ${n} applied to the L1-rebuilt state does not give its root`)
  }
  const victim = ctx.users[0] as User
  const stolen = honestAfter.account(victim.account as number).balances[0] as bigint
  const forged = honestAfter.clone()
  const operatorAccount = forged.freeIndex()
  forged.applyProven(
    {
      type: OpType.transferToNew,
      from: victim.account as number,
      to: operatorAccount,
      token: 0,
      amount: stolen,
      toAddress: BigInt(ctx.operator.account.address),
    },
    undefined,
  )
  const forgedRoot = forged.root()
  ctx.step(
    `block ${n} (three transfers between the users) sealed and proven; the operator commits its pubdata with a FORGED root: ${victim.name}'s ${Number(stolen) / 1e9} ETH moved to a new account #${operatorAccount} of the operator`,
  )
  const commit = await operatorCall(
    ctx,
    'commitBlocks(forged root)',
    'commitBlocks',
    [await storedBlock(ctx, n - 1), [{ newRoot: hex32(forgedRoot), pubdata: bytesHex(sealed.pubdata) }]],
    1_000_000n,
  )
  const event = parseEventLogs({ abi: zkRollupAbi, logs: commit.logs, eventName: 'BlockCommitted' })[0]
  if (event === undefined) throw new L2kitError('ATTACK_SETUP', 'commitBlocks emitted no BlockCommitted')
  const forgedStored: L1StoredBlock = {
    blockNumber: event.args.blockNumber,
    priorityOpsBefore: event.args.priorityOpsBefore,
    priorityOps: event.args.priorityOps,
    newRoot: event.args.newRoot,
    commitment: event.args.commitment,
    withdrawalsHash: event.args.withdrawalsHash,
  }
  const local = blockCommitment(sealed.oldRoot, forgedRoot, sealed.pBefore, sealed.pAfter, sealed.pubdata)
  if (hex32(local) !== forgedStored.commitment) {
    throw new L2kitError(
      'ATTACK_SETUP',
      'L1 computed another commitment for the forged block than docs/zk.md says',
    )
  }
  const proofRecord = ctx.devnet.node.store.proofs.get(n)
  const proven = BigInt(proofRecord?.publicSignals[0] ?? '0')
  const commitments = { committed: forgedStored.commitment, proven: hex32(proven) }
  ctx.step(
    `L1 computed commitment ${forgedStored.commitment.slice(0, 14)}… for the forged block; the honest proof proves ${hex32(proven).slice(0, 14)}…`,
  )
  const honest = proofWordsOf(ctx, n)
  const gas = verifyGas(withdrawals.length)
  const a = await attempt(
    ctx,
    'verifyBlocks(forged block, real proof)',
    'verifyBlocks',
    [[forgedStored], [honest], [withdrawals]],
    gas,
  )
  ctx.step(
    `  verify the forged block with the real proof → ${a.reverted ? `reverted ${a.error}` : 'ACCEPTED'}`,
  )
  const b = await attempt(
    ctx,
    'verifyBlocks(honest StoredBlock, real proof)',
    'verifyBlocks',
    [[honestStored], [honest], [withdrawals]],
    gas,
  )
  ctx.step(`  pass the honest StoredBlock instead → ${b.reverted ? `reverted ${b.error}` : 'ACCEPTED'}`)

  // No valid proof can exist: the circuit computes the new root from the old root and the pubdata; the witness
  // of the real block satisfies it, and the same witness claiming the committed commitment does not.
  const input = buildBlock(
    verified.state.clone(),
    blockItems(ctx, sealed),
    ctx.options.chunks,
    sealed.pBefore,
    {
      verifySignatures: false,
    },
  ).input
  if (input.commitment !== proven)
    throw new L2kitError('ATTACK_SETUP', `the rebuilt witness is not block ${n}'s`)
  await calculateWitness(ctx.devnet.circuit.wasmPath, input) // the honest block: satisfied
  let witnessRefused = false
  let witnessError = ''
  try {
    await calculateWitness(ctx.devnet.circuit.wasmPath, {
      ...input,
      commitment: BigInt(forgedStored.commitment),
    })
  } catch (err) {
    witnessRefused = true
    witnessError = err instanceof Error ? err.message : String(err)
  }
  ctx.rejections['circuit witness(committed commitment)'] = witnessRefused ? 'ZK_WITNESS_FAILED' : 'ACCEPTED'
  ctx.step(
    `  the circuit with the committed commitment as its public input → ${witnessRefused ? 'no witness (a constraint fails)' : 'SATISFIED'}`,
  )
  const unmoved =
    (await readRollup(ctx, 'verifiedRoot')) === rootBefore &&
    Number(await readRollup(ctx, 'totalBlocksVerified')) === verifiedBefore

  ctx.step(`the operator reverts the forged block, commits the real one and verifies it with its proof`)
  await operatorCall(ctx, 'revertBlocks', 'revertBlocks', [await storedBlock(ctx, n - 1)], 200_000n)
  const recommit = await operatorCall(
    ctx,
    'commitBlocks(real block)',
    'commitBlocks',
    [await storedBlock(ctx, n - 1), [{ newRoot: honestStored.newRoot, pubdata: bytesHex(sealed.pubdata) }]],
    1_000_000n,
  )
  const again = parseEventLogs({ abi: zkRollupAbi, logs: recommit.logs, eventName: 'BlockCommitted' })[0]
  if (again?.args.commitment !== honestStored.commitment) {
    throw new L2kitError('ATTACK_SETUP', 'L1 computed another commitment for the real block')
  }
  await operatorCall(
    ctx,
    'verifyBlocks(real block)',
    'verifyBlocks',
    [[honestStored], [honest], [withdrawals]],
    gas,
  )
  const caught =
    a.reverted &&
    a.error === 'InvalidProof' &&
    b.reverted &&
    b.error === 'StoredBlockMismatch' &&
    witnessRefused &&
    commitments.committed !== commitments.proven &&
    unmoved
  return {
    caught,
    commitments,
    detail: `Block ${n}'s real pubdata was committed with a forged root that gives ${victim.name}'s ${stolen} gwei to the operator. L1 computed the commitment sha256(oldRoot ‖ forgedRoot ‖ pBefore ‖ pAfter ‖ pubdata) = ${commitments.committed}, while the real block's proof proves ${commitments.proven}: verifying the forged block with it reverted ${a.error ?? 'ACCEPTED'}, passing the honest StoredBlock reverted ${b.error ?? 'ACCEPTED'}, and the circuit has no witness for the committed commitment (${witnessRefused ? witnessError.slice(0, 120) : 'SATISFIED'}), because it recomputes the new root from the old one and the pubdata. The verified root ${unmoved ? 'did not move' : 'MOVED'}; the operator reverted the block and the real one was committed and verified. (Soundness assumes a trusted setup: this devnet's INSECURE development setup has public toxic waste, with which anyone could forge a proof; even then ZkRollup never pays out more than was deposited.)`,
  }
}

// ------------------------------------------------------------------------------------------------ exodus

/**
 * Right after the request that will expire: activating exodus is refused while it is within its deadline (the check
 * runs at once, so the real time the rest of the scenario takes cannot have passed the deadline yet).
 */
async function activateTooEarly(ctx: Ctx): Promise<void> {
  const watcher = {
    walletClient: walletFor(ctx.options.l1RpcUrl, ctx.chain, keyOf(5)),
    publicClient: ctx.publicClient,
  }
  let outcome = 'ACCEPTED'
  try {
    await activateZkExodusMode({ l1: watcher, rollup: ctx.rollup })
  } catch (err) {
    outcome = revertName(err) ?? (err as { details?: { revert?: string } }).details?.revert ?? String(err)
  }
  ctx.rejections['activateExodusMode(before deadline)'] = outcome
  ctx.step(`activateExodusMode within the deadline → ${outcome}`)
  if (outcome === 'ACCEPTED') throw new L2kitError('ATTACK_SETUP', 'exodus was activated before the deadline')
}

async function exodus(ctx: Ctx): Promise<ZkExodusOutcome> {
  const test = createTestClient({ mode: 'anvil', transport: http(ctx.options.l1RpcUrl) })
  const watcher = {
    walletClient: walletFor(ctx.options.l1RpcUrl, ctx.chain, keyOf(5)),
    publicClient: ctx.publicClient,
  }
  ctx.step(`L1 time moves ${SHORT_DEADLINE + 5} s on, past the request's deadline`)
  await test.increaseTime({ seconds: SHORT_DEADLINE + 5 })
  await test.mine({ blocks: 1 })
  const activation = await activateZkExodusMode({ l1: watcher, rollup: ctx.rollup })
  ctx.gas.activateExodusMode = activation.receipt.gasUsed.toString()
  ctx.step(`a watcher (anvil account 5) activated exodus: request ${activation.requestIndex} expired`)
  await stopNode(ctx)
  ctx.step("the operator's node is down: from here on, only L1")

  const withdrawals: ZkExodusOutcome['withdrawals'] = []
  let exact = true
  let thirdParty: ZkExodusOutcome['thirdParty'] | undefined
  let lastVerified: VerifiedZkState | undefined
  const [, , carol, dave] = ctx.users as [User, User, User, User]
  for (const u of ctx.users) {
    // Each user rebuilds the verified state from L1 on its own: no node, no shared data.
    const verified = await rebuildVerifiedZkState({
      publicClient: ctx.publicClient,
      rollup: ctx.rollup,
      fromBlock: ctx.deployBlock,
    })
    lastVerified = verified
    for (const index of verified.state.accountsOf(BigInt(u.address))) {
      const units = verified.state.account(index).balances[0] as bigint
      if (units === 0n) continue
      // carol's account is withdrawn by dave: anyone may call, the leaf's owner is paid
      const caller = u === carol ? dave : u
      const ownerBefore = await ctx.publicClient.getBalance({ address: u.address })
      const callerBefore = await ctx.publicClient.getBalance({ address: caller.address })
      const w = await exodusWithdraw({
        l1: caller.l1,
        rollup: ctx.rollup,
        accountIndex: index,
        token: 0,
        depth: ctx.options.depth,
        fromBlock: ctx.deployBlock,
        verified,
      })
      const ownerAfter = await ctx.publicClient.getBalance({ address: u.address })
      const callerAfter = await ctx.publicClient.getBalance({ address: caller.address })
      const gasCost = w.receipt.gasUsed * w.receipt.effectiveGasPrice
      const ownerGained = ownerAfter - ownerBefore + (caller === u ? gasCost : 0n)
      if (w.owner !== u.address || w.amount !== units * GWEI || ownerGained !== units * GWEI) exact = false
      if (caller !== u) {
        thirdParty = {
          caller: caller.address,
          accountIndex: index,
          owner: u.address,
          callerGainedWei: (callerAfter - callerBefore + gasCost).toString(),
          ownerGainedWei: ownerGained.toString(),
        }
      }
      withdrawals.push({
        accountIndex: index,
        owner: w.owner,
        calledBy: caller.address,
        verifiedBalanceWei: (units * GWEI).toString(),
        paidWei: w.amount.toString(),
        gas: w.receipt.gasUsed.toString(),
      })
      ctx.gas[`exodusWithdraw(#${index} ${u.name}${caller === u ? '' : `, sent by ${caller.name}`})`] =
        w.receipt.gasUsed.toString()
      ctx.step(
        `exodusWithdraw of account #${index}${caller === u ? ` by ${u.name}` : ` by ${caller.name} for ${u.name}`}: ${u.name} paid ${Number(w.amount) / 1e18} ETH (verified balance ${Number(units) / 1e9} ETH), ${w.receipt.gasUsed} gas`,
      )
    }
  }
  // the same (account, token) again: refused on L1
  const alice = ctx.users[0] as User
  let secondWithdrawal = 'ACCEPTED'
  if (lastVerified !== undefined) {
    const proof = zkExodusProof(lastVerified.state, alice.account as number)
    try {
      await ctx.publicClient.simulateContract({
        address: ctx.rollup,
        abi: zkRollupAbi,
        functionName: 'exodusWithdraw',
        args: [alice.account as number, 0, proof.pkHash, proof.ownerNonce, proof.balances, proof.siblings],
        account: alice.address,
      })
    } catch (err) {
      secondWithdrawal = revertName(err) ?? String(err)
    }
  }
  ctx.rejections['exodusWithdraw(same account and token again)'] = secondWithdrawal
  ctx.step(`a second exodusWithdraw of ${alice.name}'s account → ${secondWithdrawal}`)

  const refund = await refundOutstandingDeposits({
    l1: dave.l1,
    rollup: ctx.rollup,
    withdrawFor: ctx.users.map((u) => u.address),
  })
  const refunds = refund.refunds.map((r) => ({
    requestIndex: r.requestIndex.toString(),
    owner: r.owner,
    amountWei: r.amount.toString(),
  }))
  for (const [i, hash] of refund.cancelTxHashes.entries()) {
    const receipt = await ctx.publicClient.getTransactionReceipt({ hash })
    ctx.gas[`cancelOutstandingDeposits${i === 0 ? '' : ` #${i + 1}`}`] = receipt.gasUsed.toString()
  }
  for (const p of refund.payouts) {
    const receipt = await ctx.publicClient.getTransactionReceipt({ hash: p.l1TxHash })
    const name = ctx.users.find((u) => u.address === p.owner)?.name ?? p.owner
    ctx.gas[`withdrawPendingBalance(refund of ${name})`] = receipt.gasUsed.toString()
  }
  ctx.step(
    `outstanding deposits refunded: ${refunds.map((r) => `request ${r.requestIndex}: ${Number(r.amountWei) / 1e18} ETH to ${ctx.users.find((u) => u.address === r.owner)?.name ?? r.owner}`).join(', ') || 'none'}`,
  )
  if (thirdParty === undefined)
    throw new L2kitError('ATTACK_SETUP', 'no third-party exodus withdrawal was made')
  return {
    expiredRequest: activation.requestIndex.toString(),
    activatedBy: watcher.walletClient.account.address,
    withdrawals,
    everyoneGotExactBalance: exact && withdrawals.length > 0,
    refunds,
    thirdParty,
    secondWithdrawal,
  }
}

async function censorExit(ctx: Ctx): Promise<{ caught: boolean; detail: string; exodus: ZkExodusOutcome }> {
  ctx.step('the operator restarts its node censoring every L1 request (censorRequests)')
  await stopNode(ctx)
  // a short block time: with requests censored, only the timer seals a lone transfer
  ctx.devnetOptions = { ...ctx.devnetOptions, censorRequests: true, blockTimeMs: 500 }
  ctx.devnet = await startDevnet(ctx)
  ctx.nodeRunning = true
  const [alice, bob, , dave] = ctx.users as [User, User, User, User]
  const exit = await requestFullExit({
    l1: alice.l1,
    rollup: ctx.rollup,
    accountIndex: alice.account as number,
    token: 0,
  })
  ctx.gas['requestFullExit(alice)'] = exit.receipt.gasUsed.toString()
  ctx.step(
    `${alice.name} requests a full exit on L1 (request ${exit.requestIndex}, expires at ${exit.expiry})`,
  )
  await activateTooEarly(ctx)
  const before = await counters(ctx)
  const t = await transfer(ctx, 1, 2, 30_000_000n)
  const block = await waitForTransfer(ctx, t, 'verified')
  const after = await counters(ctx)
  const censored = after.verified > before.verified && after.verifiedRequests < after.requests
  ctx.step(
    `the operator is alive (${bob.name}'s transfer verified in block ${block}) yet ${after.requests - after.verifiedRequests} L1 request(s) wait: censored`,
  )
  const late = await depositZk({ l1: dave.l1, rollup: ctx.rollup, token: 'ETH', amount: parseEther('0.1') })
  ctx.gas['depositETH(dave, censored)'] = late.receipt.gasUsed.toString()
  ctx.step(`${dave.name} deposits 0.1 ETH more (request ${late.requestIndex}): censored too`)
  const outcome = await exodus(ctx)
  const refunded = outcome.refunds.some((r) => r.requestIndex === late.requestIndex.toString())
  return {
    caught:
      censored &&
      outcome.expiredRequest === exit.requestIndex.toString() &&
      outcome.everyoneGotExactBalance &&
      refunded &&
      outcome.secondWithdrawal === 'AlreadyExited',
    exodus: outcome,
    detail: `The operator kept proving blocks (an L2 transfer was verified) but never included L1 requests: ${alice.name}'s full exit (request ${exit.requestIndex}) and ${dave.name}'s deposit waited. After the ${SHORT_DEADLINE} s priority deadline a watcher activated exodus; with the node down, every user rebuilt the verified state from L1 alone and withdrew exactly its verified balance with a Merkle proof (${dave.name} sent ${ctx.users[2]?.name}'s: the owner was paid, not the caller), a second withdrawal reverted ${outcome.secondWithdrawal}, and the censored deposit was refunded.`,
  }
}

async function operatorGone(ctx: Ctx): Promise<{ caught: boolean; detail: string; exodus: ZkExodusOutcome }> {
  const c = await counters(ctx)
  ctx.step(`the operator's node stops for good after ${c.verified} verified blocks`)
  await stopNode(ctx)
  const dave = ctx.users[3] as User
  const late = await depositZk({ l1: dave.l1, rollup: ctx.rollup, token: 'ETH', amount: parseEther('0.1') })
  ctx.gas['depositETH(dave, never processed)'] = late.receipt.gasUsed.toString()
  ctx.step(`${dave.name} deposits 0.1 ETH (request ${late.requestIndex}); nobody will ever process it`)
  await activateTooEarly(ctx)
  const outcome = await exodus(ctx)
  const refunded = outcome.refunds.some((r) => r.requestIndex === late.requestIndex.toString())
  return {
    caught:
      outcome.expiredRequest === late.requestIndex.toString() &&
      outcome.everyoneGotExactBalance &&
      refunded &&
      outcome.secondWithdrawal === 'AlreadyExited',
    exodus: outcome,
    detail: `The operator disappeared after ${c.verified} verified blocks with ${dave.name}'s deposit (request ${late.requestIndex}) queued. After the ${SHORT_DEADLINE} s priority deadline a watcher activated exodus; every user rebuilt the verified state from L1 alone and withdrew exactly its verified balance with a Merkle proof (one sent by another user: the owner was paid), a second withdrawal reverted ${outcome.secondWithdrawal}, and the queued deposit was refunded.`,
  }
}

// ------------------------------------------------------------------------------------------------ accounting

/**
 * Each honest user's money from L1 alone: its balance at the start and end blocks, every transaction it sent in
 * between (gas = gasUsed × effectiveGasPrice from the receipt; value sent to the rollup = put in), and what it still
 * legitimately holds in the verified state rebuilt from L1 (not exited), pending on the rollup, or queued.
 */
async function measure(ctx: Ctx): Promise<{ users: ZkUserOutcome[]; lost: bigint; state: VerifiedZkState }> {
  const pc = ctx.publicClient
  const endBlock = await pc.getBlockNumber({ cacheTime: 0 })
  const state = await rebuildVerifiedZkState({
    publicClient: pc,
    rollup: ctx.rollup,
    fromBlock: ctx.deployBlock,
  })
  const exodusMode = await pc.readContract({
    address: ctx.rollup,
    abi: zkRollupAbi,
    functionName: 'exodusMode',
  })
  // requests neither verified nor refunded: their deposits are still the depositor's
  const firstOpen = exodusMode
    ? Number(await pc.readContract({ address: ctx.rollup, abi: zkRollupAbi, functionName: 'refundCursor' }))
    : state.verifiedRequests
  const byAddress = new Map(ctx.users.map((u) => [u.address.toLowerCase(), u]))
  const gas = new Map<string, bigint>()
  const putIn = new Map<string, bigint>()
  for (let n = ctx.startBlock + 1n; n <= endBlock; n++) {
    const block = await pc.getBlock({ blockNumber: n, includeTransactions: true })
    for (const tx of block.transactions) {
      const from = tx.from.toLowerCase()
      if (!byAddress.has(from)) continue
      const receipt = await pc.getTransactionReceipt({ hash: tx.hash })
      gas.set(from, (gas.get(from) ?? 0n) + receipt.gasUsed * receipt.effectiveGasPrice)
      if (tx.to?.toLowerCase() === ctx.rollup.toLowerCase() && receipt.status === 'success') {
        putIn.set(from, (putIn.get(from) ?? 0n) + tx.value)
      }
    }
  }
  const verifiedBlocks = state.verifiedBlocks
  const users: ZkUserOutcome[] = []
  let lost = 0n
  for (const [i, u] of ctx.users.entries()) {
    const a = u.address.toLowerCase()
    const [start, end] = await Promise.all([
      pc.getBalance({ address: u.address, blockNumber: ctx.startBlock }),
      pc.getBalance({ address: u.address, blockNumber: endBlock }),
    ])
    const g = gas.get(a) ?? 0n
    const inWei = putIn.get(a) ?? 0n
    const gotBack = end - start + g + inWei
    let held = 0n
    const accounts = [...state.state.accountsOf(BigInt(u.address))]
    for (const index of accounts) {
      const exited =
        exodusMode &&
        (await pc.readContract({
          address: ctx.rollup,
          abi: zkRollupAbi,
          functionName: 'isExited',
          args: [BigInt(index), 0],
        }))
      if (!exited) held += (state.state.account(index).balances[0] as bigint) * GWEI
    }
    held += await pc.readContract({
      address: ctx.rollup,
      abi: zkRollupAbi,
      functionName: 'pendingBalance',
      args: [u.address, 0],
    })
    for (let r = firstOpen; r < state.requests.length; r++) {
      const req = state.requests[r]
      if (req?.type === OpType.deposit && req.token === 0 && req.address === BigInt(u.address)) {
        held += req.amount * GWEI
      }
    }
    let given = 0n
    for (const t of ctx.transfers) {
      if (t.block === null || t.block > verifiedBlocks) continue // never final: nothing moved
      if (t.from === i) given += t.units * GWEI
      if (t.to === i) given -= t.units * GWEI
    }
    const userLost = inWei - gotBack - held - given
    lost += userLost
    users.push({
      name: u.name,
      address: u.address,
      accounts,
      putInWei: inWei.toString(),
      gotBackWei: gotBack.toString(),
      gasWei: g.toString(),
      stillHeldWei: held.toString(),
      transferredToOthersWei: given.toString(),
      lostWei: userLost.toString(),
    })
  }
  return { users, lost, state }
}

// ------------------------------------------------------------------------------------------------ entry point

/**
 * Runs one attack on a fresh ZK devnet deployed on `l1RpcUrl` (an anvil: the exodus attacks use `evm_increaseTime`)
 * and returns what happened, measured on L1. Uses anvil's dev accounts: 0 deploys, 9 operates, 1..4 are the honest
 * users (alice, bob, carol, dave), 5 is a watcher who activates exodus.
 */
export async function runZkAttack(kind: ZkAttack, options: ZkAttackOptions): Promise<ZkAttackResult> {
  if (!(ZK_ATTACKS as readonly string[]).includes(kind)) {
    throw new L2kitError('INVALID_ARGUMENTS', `unknown zk attack ${String(kind)}: ${ZK_ATTACKS.join(', ')}`)
  }
  const t0 = performance.now()
  const step = options.onStep ?? (() => undefined)
  const url = options.l1RpcUrl
  // cacheTime 0: viem caches eth_blockNumber for 4 s by default, and the accounting reads the exact last block
  const publicClient = createPublicClient({ transport: http(url), cacheTime: 0 }) as PublicClient
  const chainId = await publicClient.getChainId()
  const chain: Chain = {
    id: chainId,
    name: 'l1',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [url] } },
  }
  mkdirSync(options.dataDir, { recursive: true })
  const dataDir = mkdtempSync(join(options.dataDir, `zk-attack-${kind}-`))
  const exodusAttack = kind === 'censor-exit' || kind === 'operator-gone'
  const devnetOptions: ZkDevnetOptions = {
    l1RpcUrl: url,
    deployerKey: keyOf(0),
    operatorKey: keyOf(9),
    dataDir,
    chunks: options.chunks,
    depth: options.depth,
    ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
    priorityDeadlineSeconds: exodusAttack ? SHORT_DEADLINE : 3600,
    provers: 1,
    // The sequencer seals a full block at once and a partial one only when the provers are idle: with a slow look
    // for work, operations sent together while a block is being proven share the next block (fewer proofs).
    blockTimeMs: 5_000,
    maxVerifyBlocks: 8,
  }
  step(`zk attack ${kind}: ${ZK_ATTACK_DESCRIPTIONS[kind]}`)
  const startBlock = await publicClient.getBlockNumber({ cacheTime: 0 })
  const devnet = await startDevnet({ devnetOptions, step })
  const names = ['alice', 'bob', 'carol', 'dave']
  const ctx: Ctx = {
    kind,
    options,
    step,
    chain,
    publicClient,
    devnetOptions,
    devnet,
    nodeRunning: true,
    rollup: devnet.deployment.rollup,
    deployBlock: devnet.deployment.deployBlock,
    operator: walletFor(url, chain, keyOf(9)),
    users: names.map((name, i) => {
      const walletClient = walletFor(url, chain, keyOf(i + 1))
      return { name, address: walletClient.account.address, l1: { walletClient, publicClient } }
    }),
    transfers: [],
    gas: {},
    rejections: {},
    proofSeconds: {},
    startBlock,
  }
  try {
    await fundHonestUsers(ctx)
    const verifiedRootBefore = await readRollup(ctx, 'verifiedRoot')
    const outcome: {
      caught: boolean
      detail: string
      commitments?: { committed: Hex; proven: Hex }
      exodus?: ZkExodusOutcome
    } =
      kind === 'invalid-proof'
        ? await invalidProof(ctx)
        : kind === 'wrong-root'
          ? await wrongRoot(ctx)
          : kind === 'censor-exit'
            ? await censorExit(ctx)
            : await operatorGone(ctx)
    await stopNode(ctx)
    const measured = await measure(ctx)
    const verifiedRootAfter = await readRollup(ctx, 'verifiedRoot')
    step(
      `honest funds lost, measured from L1: ${measured.lost} wei (${measured.users.map((u) => `${u.name} ${u.lostWei}`).join(', ')})`,
    )
    return {
      family: 'zk',
      attack: kind,
      caught: outcome.caught,
      honestFundsLost: measured.lost.toString(),
      gas: ctx.gas,
      detail: outcome.detail,
      description: ZK_ATTACK_DESCRIPTIONS[kind],
      rollup: ctx.rollup,
      operator: ctx.operator.account.address,
      rejections: ctx.rejections,
      verifiedRootBefore,
      verifiedRootAfter,
      verifiedBlocks: measured.state.verifiedBlocks,
      users: measured.users,
      ...(outcome.commitments === undefined ? {} : { commitments: outcome.commitments }),
      ...(outcome.exodus === undefined ? {} : { exodus: outcome.exodus }),
      proofSeconds: ctx.proofSeconds,
      insecureSetup: ctx.devnet.setup.insecure,
      seconds: Math.round((performance.now() - t0) / 100) / 10,
    }
  } finally {
    await stopNode(ctx).catch(() => undefined)
  }
}
