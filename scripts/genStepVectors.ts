/**
 * Generates contracts/test/vectors/StepVectors.sol: one-step fraud-proof cases for `StepVerifier.executeRow`
 * (docs/optimistic.md), computed by the TypeScript side: v3 rows (src/optimistic/protocol/batchCodecV3.ts), executed with the
 * trace's row semantics (src/optimistic/protocol/trace.ts `executeRowV3`) on one evolving `L2State`, with the witness, its
 * `abi.encode` bytes and the expected post header from src/optimistic/protocol/stepWitness.ts `buildStepWitness`.
 *
 * Every case is one row applied to the state the previous case left (skips and no-ops leave it unchanged), so
 * `cases[i].post == cases[i + 1].pre`. The L1 side a verifier needs is in the file too: the deposit queue (its
 * rolling hashes, `Portal.depositHashAt`) and the token registry (`Portal.tokenAt`).
 *
 * Run `npx tsx scripts/genStepVectors.ts`; src/core/stepVectors.test.ts fails when the committed file is stale.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { getAddress, keccak256 } from 'viem'
import { bytesToHex } from '../src/core/bytes.ts'
import { type StateHeader, stateCommitment } from '../src/core/commitment.ts'
import { L2_FEE_VAULT_ADDRESS } from '../src/core/constants.ts'
import { nextDepositQueueHash } from '../src/core/depositQueue.ts'
import { keccakHasher } from '../src/core/hash.ts'
import { decodeRawTransaction } from '../src/core/l2tx.ts'
import { SECP256K1_N } from '../src/core/signature.ts'
import { zeroHashes } from '../src/core/smt.ts'
import { L2State, l2TokenAddress } from '../src/core/state.ts'
import type { Address, Deposit, Hex, L2Operation, L2Tx, TxFees } from '../src/core/types.ts'
import { loadAccounts, signL2Tx } from '../src/optimistic/loadgen.ts'
import {
  encodeBlockEndRowV3,
  encodeDepositRowV3,
  encodeTxRowV3,
  parseRowV3,
  TX_FLAG_Y_PARITY,
  V3_TX_OFFSETS,
} from '../src/optimistic/protocol/batchCodecV3.ts'
import { buildStepWitness, type StepWitness } from '../src/optimistic/protocol/stepWitness.ts'
import { executeRowV3, type RowOutcomeV3 } from '../src/optimistic/protocol/trace.ts'
import { vectorAddress } from './genVectors.ts'

/** Where the generated library lives, relative to the repository root. */
export const STEP_VECTORS_PATH = 'contracts/test/vectors/StepVectors.sol'

const CHAIN_ID = 901n
const BASE_FEE = 10n ** 9n
const ETHER = 10n ** 18n
const GWEI = 10n ** 9n
const MAX_UINT256 = (1n << 256n) - 1n
const ZERO_ADDRESS: Address = '0x0000000000000000000000000000000000000000'

/** One row executed on the state the previous case left. */
export type StepCase = {
  name: string
  pre: StateHeader
  preCommitment: Hex
  row: Uint8Array
  chainId: bigint
  baseFee: bigint
  batchDepositCountAfter: bigint
  witness: StepWitness
  /** `abi.encode(StepWitness)` from viem. */
  encoded: Hex
  post: StateHeader
  postCommitment: Hex
  outcome: RowOutcomeV3
}

/** The cases plus the L1 state they assume. */
export type StepVectorSet = {
  cases: StepCase[]
  /** The L1 deposit queue, in order. */
  deposits: Deposit[]
  /** `Portal.depositHashAt(i)`. */
  depositHashes: Hex[]
  /** `Portal.tokenAt(i)` = `tokens[i - 1]`. */
  tokens: Address[]
}

/** `keccak256(abi.encode(previousHash, index, from, to, tokenIndex, amount))`, as the Portal rolls it. */
/** The Portal's rolling deposit queue hash (one definition, in core). */
export const nextDepositHash = nextDepositQueueHash

/** A short description of what a row did, for the vector's `outcome` string. */
export function describeOutcome(o: RowOutcomeV3): string {
  if (!o.applied) return `noop ${o.code}`
  if (o.kind === 'tx') return 'applied tx'
  if (o.kind === 'deposit') return `applied deposit ${o.depositIndex}`
  return `closed block ${o.blockNumber}`
}

type Signer = { address: Address; privateKey: Hex }

/** Builds the evolving state and every case, in order. Deterministic. */
export function buildStepCases(): StepVectorSet {
  const state = new L2State({ chainId: CHAIN_ID, baseFee: BASE_FEE })
  const [alice, bob, carol, outsider] = loadAccounts(4, 'l2kit-stepvectors-') as [
    Signer,
    Signer,
    Signer,
    Signer,
  ]
  const tokens = [vectorAddress('l1-token-1'), vectorAddress('l1-token-2'), vectorAddress('l1-token-3')]
  const fresh = vectorAddress('step-fresh-recipient')
  const fresh2 = vectorAddress('step-fresh-recipient-2')
  const depositor = vectorAddress('step-l1-depositor')
  const queue: [Address, number, bigint][] = [
    [alice.address, 0, 10n * ETHER], // 0: new account, ETH
    [alice.address, 0, ETHER], // 1: existing account, ETH
    [bob.address, 2, 2_500_000_000n], // 2: new account, token 2 first (tokenCount 0 -> 2)
    [bob.address, 0, 5n * ETHER], // 3
    [alice.address, 1, 1_000n * ETHER], // 4: existing account, token 1 (tokenCount stays 2)
    [carol.address, 2, MAX_UINT256 - 10n], // 5: new account near the top of uint256
    [carol.address, 0, ETHER], // 6
    [carol.address, 2, 100n], // 7: would overflow: consumed without crediting
    [fresh2, 3, 1n], // 8: token 3 (registered on L1, not applied in these cases)
  ]
  const deposits: Deposit[] = queue.map(([to, tokenIndex, amount], i) => ({
    index: BigInt(i),
    from: depositor,
    to: to.toLowerCase() as Address,
    tokenIndex,
    amount,
  }))
  const depositHashes: Hex[] = []
  let h: Hex = `0x${'00'.repeat(32)}`
  for (const d of deposits) {
    h = nextDepositHash(h, d)
    depositHashes.push(h)
  }
  tokens.forEach((l1Address, i) => {
    state.registerToken({
      index: i + 1,
      l1Address,
      l2Address: l2TokenAddress(i + 1),
      name: `Token ${i + 1}`,
      symbol: `T${i + 1}`,
      decimals: 18,
    })
  })

  const cases: StepCase[] = []
  let blockNumber = 0n
  const run = (name: string, row: Uint8Array, batchDepositCountAfter = BigInt(deposits.length - 1)): void => {
    const ctx = {
      chainId: CHAIN_ID,
      baseFee: BASE_FEE,
      batchDepositCountAfter,
      deposits: (i: bigint) => deposits[Number(i)],
    }
    const built = buildStepWitness(state, blockNumber, row, ctx)
    const preCommitment = stateCommitment(built.pre)
    if (stateCommitment(state.stateHeader(blockNumber)) !== preCommitment)
      throw new Error(`${name}: buildStepWitness changed the pre-state`)
    // Advance the case state the way the trace does (the builder worked on a clone).
    const step = executeRowV3(state, blockNumber, row, ctx)
    blockNumber = step.blockNumber
    const post = state.stateHeader(blockNumber)
    if (stateCommitment(post) !== stateCommitment(built.expectedPost))
      throw new Error(`${name}: expected post header differs from executing the row`)
    cases.push({
      name,
      pre: built.pre,
      preCommitment,
      row,
      chainId: CHAIN_ID,
      baseFee: BASE_FEE,
      batchDepositCountAfter,
      witness: built.witness,
      encoded: built.encoded,
      post,
      postCommitment: stateCommitment(post),
      outcome: built.outcome,
    })
  }
  const legacy = (gasPrice = 2n * GWEI): TxFees => ({ type: 'legacy', gasPrice })
  const eip1559 = (maxFeePerGas = 3n * GWEI, maxPriorityFeePerGas = GWEI / 2n): TxFees => ({
    type: 'eip1559',
    maxFeePerGas,
    maxPriorityFeePerGas,
  })
  const signed = (
    signer: Signer,
    fees: TxFees,
    op: L2Operation,
    opts: { nonceDelta?: bigint; gasLimit?: bigint } = {},
  ): L2Tx => {
    const nonce = state.getNonce(signer.address) + (opts.nonceDelta ?? 0n)
    const raw = signL2Tx(
      { nonce, gasLimit: opts.gasLimit ?? 100_000n, fees, op },
      CHAIN_ID,
      signer.privateKey,
    )
    return decodeRawTransaction(raw, { chainId: CHAIN_ID }).tx
  }
  const txRow = (signer: Signer, fees: TxFees, op: L2Operation, opts = {}): Uint8Array =>
    encodeTxRowV3(signed(signer, fees, op, opts))
  const mutate = (row: Uint8Array, at: number, value: number): Uint8Array => {
    const copy = row.slice()
    copy[at] = value
    return copy
  }

  // Deposits and blocks.
  run('deposit: ETH to a new account', encodeDepositRowV3())
  run('deposit: ETH to an existing account', encodeDepositRowV3())
  run('deposit: first deposit of token 2 to a new account (tokenCount 0 -> 2)', encodeDepositRowV3())
  run('deposit: ETH', encodeDepositRowV3())
  run('deposit: token 1 to an existing account (tokenCount stays 2)', encodeDepositRowV3())
  run('deposit: token 2 near 2^256 to a new account', encodeDepositRowV3())
  run('deposit: ETH to carol', encodeDepositRowV3())
  run('noop: deposit row beyond batchDepositCountAfter', encodeDepositRowV3(), state.depositCount)
  run('block end: closes block 1', encodeBlockEndRowV3(1_700_000_000n))
  run('deposit: would overflow the balance, consumed without crediting', encodeDepositRowV3())

  // Applied transactions.
  run(
    'tx: ETH transfer (EIP-1559) to an existing account',
    txRow(alice, eip1559(), { kind: 'ethTransfer', to: bob.address, amount: ETHER }),
  )
  run(
    'tx: ETH transfer (legacy) to a new account',
    txRow(bob, legacy(), { kind: 'ethTransfer', to: fresh, amount: ETHER / 4n }),
  )
  run(
    'tx: token transfer (legacy) to an existing account',
    txRow(alice, legacy(), { kind: 'tokenTransfer', tokenIndex: 1, to: carol.address, amount: 250n * ETHER }),
  )
  run(
    'tx: token transfer to a new account',
    txRow(bob, eip1559(2n * GWEI, 0n), { kind: 'tokenTransfer', tokenIndex: 2, to: fresh2, amount: 5_000n }),
  )
  run(
    'tx: ETH withdrawal',
    txRow(bob, eip1559(), { kind: 'withdrawEth', recipient: vectorAddress('bob-l1'), amount: ETHER }),
  )
  run(
    'tx: token withdrawal',
    txRow(alice, legacy(), {
      kind: 'withdrawToken',
      tokenIndex: 1,
      recipient: vectorAddress('alice-l1'),
      amount: 100n * ETHER,
    }),
  )
  run(
    'tx: ETH transfer to self',
    txRow(bob, legacy(BASE_FEE), { kind: 'ethTransfer', to: bob.address, amount: 1n }),
  )
  run(
    'tx: ETH transfer to the fee vault',
    txRow(alice, eip1559(), { kind: 'ethTransfer', to: L2_FEE_VAULT_ADDRESS, amount: GWEI }),
  )

  // Skipped transactions (each a no-op step).
  const tiny: L2Operation = { kind: 'ethTransfer', to: bob.address, amount: 1n }
  run('skip: nonce too high', txRow(alice, eip1559(), tiny, { nonceDelta: 1n }))
  run('skip: nonce too low', txRow(alice, eip1559(), tiny, { nonceDelta: -1n }))
  run(
    'skip: gas limit too low',
    txRow(
      alice,
      eip1559(),
      { kind: 'withdrawEth', recipient: alice.address, amount: 1n },
      { gasLimit: 59_999n },
    ),
  )
  run('skip: fee cap below the base fee', txRow(alice, legacy(BASE_FEE - 1n), tiny))
  run(
    'skip: token above tokenCount (registered on L1, first deposit not applied yet)',
    txRow(alice, eip1559(), { kind: 'tokenTransfer', tokenIndex: 3, to: bob.address, amount: 0n }),
  )
  run(
    'skip: insufficient ETH balance',
    txRow(bob, eip1559(), { kind: 'ethTransfer', to: alice.address, amount: 1_000n * ETHER }),
  )
  run(
    'skip: insufficient token balance',
    txRow(bob, eip1559(), { kind: 'withdrawToken', tokenIndex: 1, recipient: bob.address, amount: 1n }),
  )
  run('skip: fee past 2^256', txRow(alice, eip1559(10n ** 77n, 10n ** 77n), tiny))
  run(
    'skip: recipient balance overflow',
    txRow(bob, eip1559(), { kind: 'tokenTransfer', tokenIndex: 2, to: carol.address, amount: 100n }),
  )
  run(
    'skip: unknown sender (no account)',
    txRow(outsider, eip1559(), { kind: 'ethTransfer', to: alice.address, amount: 0n }),
  )

  // Bad signatures (well-formed rows, sender not recoverable).
  const good = signed(alice, eip1559(), tiny)
  const highS: L2Tx = {
    ...good,
    signature: {
      r: good.signature.r,
      s: SECP256K1_N - good.signature.s,
      yParity: good.signature.yParity === 0 ? 1 : 0,
    },
  }
  run('noop: bad signature (high s)', encodeTxRowV3(highS))
  run('noop: bad signature (r = 0)', encodeTxRowV3({ ...good, signature: { ...good.signature, r: 0n } }))

  // Malformed rows.
  const goodRow = encodeTxRowV3(good)
  run(
    'noop: malformed tx row (flag bit 4)',
    mutate(goodRow, V3_TX_OFFSETS.flags, (goodRow[1] as number) | 0x10),
  )
  run('noop: malformed tx row (byte 123)', mutate(goodRow, 123, 1))
  run('noop: malformed tx row (ETH kind with a token index)', mutate(goodRow, V3_TX_OFFSETS.tokenIndex, 1))
  const nonCanonical = goodRow.slice()
  nonCanonical.fill(0, V3_TX_OFFSETS.amount, V3_TX_OFFSETS.amount + 9)
  nonCanonical[V3_TX_OFFSETS.amount] = 1
  nonCanonical[V3_TX_OFFSETS.amount + 8] = 10
  run('noop: malformed tx row (non-canonical amount)', nonCanonical)
  const legacyRow = encodeTxRowV3(signed(alice, legacy(), tiny))
  run('noop: malformed tx row (legacy with non-zero fee1)', mutate(legacyRow, V3_TX_OFFSETS.fee1 + 8, 1))
  run('noop: malformed deposit row', mutate(encodeDepositRowV3(), 5, 1))
  run('noop: malformed block-end row', mutate(encodeBlockEndRowV3(1_700_000_100n), 9, 1))
  run('noop: unknown row type', mutate(encodeDepositRowV3(), 0, 3))
  // A valid signature over other fields: recovers a random address without an account.
  run(
    'skip: flipped yParity recovers another signer (unknown sender)',
    mutate(goodRow, V3_TX_OFFSETS.flags, (goodRow[1] as number) ^ TX_FLAG_Y_PARITY),
  )

  run('block end: closes block 2', encodeBlockEndRowV3(1_700_000_012n))
  return { cases, deposits, depositHashes, tokens }
}

// ---------------------------------------------------------------------------------------------------------------
// Rendering

/** Roots of empty subtrees of height 0..160 (core's `zeroHashes` stops at 64; the address tree is 160 deep). */
const ZEROS: Hex[] = (() => {
  const zeros = zeroHashes(keccakHasher).slice(0, 1)
  for (let i = 0; i < 160; i++) zeros.push(keccakHasher.hash2(zeros[i] as Uint8Array, zeros[i] as Uint8Array))
  return zeros.map(bytesToHex)
})()
const ZERO_WORD: Hex = `0x${'00'.repeat(32)}`

const hex32 = (hex: string): string => {
  if (!/^0x[0-9a-f]{64}$/.test(hex)) throw new Error(`not a 32-byte word: ${hex}`)
  return hex
}

/**
 * Lines for a sibling array: nothing when it is all zero (an unreached witness); otherwise `_blank(target)` (the
 * empty subtrees, zero[level]) and the entries that differ from them.
 */
function siblingLines(target: string, siblings: readonly Hex[]): string[] {
  if (siblings.every((s) => s === ZERO_WORD)) return []
  return [
    `_blank(${target});`,
    ...siblings.flatMap((s, i) => (s === ZEROS[i] ? [] : [`${target}[${i}] = ${hex32(s)};`])),
  ]
}

function accountLines(target: string, a: StepWitness['tx']['sender']): string[] {
  const lines: string[] = []
  if (a.index !== 0n) lines.push(`${target}.index = ${a.index};`)
  if (a.owner !== ZERO_ADDRESS) lines.push(`${target}.owner = ${getAddress(a.owner)};`)
  if (a.nonce !== 0n) lines.push(`${target}.nonce = ${a.nonce};`)
  if (a.balancesRoot !== ZERO_WORD) lines.push(`${target}.balancesRoot = ${hex32(a.balancesRoot)};`)
  return [...lines, ...siblingLines(`${target}.siblings`, a.siblings)]
}

function balanceLines(target: string, b: StepWitness['tx']['senderEth']): string[] {
  return [
    ...(b.amount === 0n ? [] : [`${target}.amount = ${b.amount};`]),
    ...siblingLines(`${target}.siblings`, b.siblings),
  ]
}

function headerLiteral(h: StateHeader): string {
  return (
    `StateCommitment.StateHeader(${hex32(h.accountsRoot)}, ${hex32(h.withdrawalsRoot)}, ${hex32(h.addressesRoot)}, ` +
    `${h.accountCount}, ${h.withdrawalCount}, ${h.depositCount}, ${h.blockNumber}, ${h.tokenCount})`
  )
}

const KIND_CODE = { ethTransfer: 0, tokenTransfer: 1, withdrawEth: 2, withdrawToken: 3 } as const

/** `v.isTx` and `v.tx` (L2TxLib.Tx) of a well-formed tx row. */
function txLines(row: Uint8Array): string[] {
  const parsed = parseRowV3(row)
  if (parsed.type !== 'tx') return []
  const t = parsed.tx
  const op = t.op
  const token = op.kind === 'tokenTransfer' || op.kind === 'withdrawToken' ? op.tokenIndex : 0
  const to = op.kind === 'ethTransfer' || op.kind === 'tokenTransfer' ? op.to : op.recipient
  const [feeType, fee0, fee1] =
    t.fees.type === 'legacy'
      ? [0, t.fees.gasPrice, 0n]
      : [2, t.fees.maxFeePerGas, t.fees.maxPriorityFeePerGas]
  return [
    'v.isTx = true;',
    `v.tx = L2TxLib.Tx(${t.nonce}, ${t.gasLimit}, ${feeType}, ${fee0}, ${fee1}, ${KIND_CODE[op.kind]}, ${token}, ` +
      `${getAddress(to)}, ${op.amount}, ${t.signature.r}, ${t.signature.s}, ${t.signature.yParity});`,
  ]
}

function caseLines(c: StepCase): string[] {
  const w = c.witness
  const t = w.tx
  return [
    `v.name = ${JSON.stringify(c.name)};`,
    `v.outcome = ${JSON.stringify(describeOutcome(c.outcome))};`,
    `v.pre = ${headerLiteral(c.pre)};`,
    `v.preCommitment = ${hex32(c.preCommitment)};`,
    `v.row = hex"${bytesToHex(c.row).slice(2)}";`,
    ...txLines(c.row),
    `v.chainId = ${c.chainId};`,
    `v.baseFee = ${c.baseFee};`,
    `v.batchDepositCountAfter = ${c.batchDepositCountAfter};`,
    `v.post = ${headerLiteral(c.post)};`,
    `v.postCommitment = ${hex32(c.postCommitment)};`,
    `v.witnessHash = ${hex32(keccak256(c.encoded))};`,
    ...(t.accountsRoot === ZERO_WORD ? [] : [`v.w.tx.accountsRoot = ${hex32(t.accountsRoot)};`]),
    ...(t.withdrawalsRoot === ZERO_WORD ? [] : [`v.w.tx.withdrawalsRoot = ${hex32(t.withdrawalsRoot)};`]),
    ...accountLines('v.w.tx.sender', t.sender),
    ...balanceLines('v.w.tx.senderEth', t.senderEth),
    ...balanceLines('v.w.tx.senderToken', t.senderToken),
    ...accountLines('v.w.tx.recipient', t.recipient),
    ...balanceLines('v.w.tx.recipientBalance', t.recipientBalance),
    ...accountLines('v.w.tx.vault', t.vault),
    ...balanceLines('v.w.tx.vaultEth', t.vaultEth),
    ...siblingLines('v.w.tx.withdrawalSiblings', t.withdrawalSiblings),
    ...(w.sender.leaf === 0n ? [] : [`v.w.sender.leaf = ${w.sender.leaf};`]),
    ...siblingLines('v.w.sender.siblings', w.sender.siblings),
    ...(w.recipient.leaf === 0n ? [] : [`v.w.recipient.leaf = ${w.recipient.leaf};`]),
    ...siblingLines('v.w.recipient.siblings', w.recipient.siblings),
    ...(w.deposit.to === ZERO_ADDRESS && w.deposit.from === ZERO_ADDRESS
      ? []
      : [
          `v.w.deposit = Deposit(${getAddress(w.deposit.from)}, ${getAddress(w.deposit.to)}, ${w.deposit.tokenIndex}, ${w.deposit.amount});`,
        ]),
  ]
}

/** The Solidity source of StepVectors.sol. */
export function renderStepVectors(set: StepVectorSet = buildStepCases()): string {
  const { cases, deposits, depositHashes, tokens } = set
  const out: string[] = []
  const line = (s = ''): void => void out.push(s)
  const blankFor = (n: number): void => {
    line(`    function _blank(bytes32[${n}] memory s) private pure {`)
    line('        bytes32 z = bytes32(0);')
    line(`        for (uint256 i = 0; i < ${n}; i++) {`)
    line('            s[i] = z;')
    line('            z = keccak256(abi.encodePacked(z, z));')
    line('        }')
    line('    }')
  }
  line('// SPDX-License-Identifier: MIT')
  line('pragma solidity ^0.8.24;')
  line()
  line('import {L2TxLib} from "../../src/optimistic/L2TxLib.sol";')
  line('import {StateCommitment} from "../../src/optimistic/StateCommitment.sol";')
  line('import {TxExecutor} from "../../src/optimistic/TxExecutor.sol";')
  line()
  line(
    '// GENERATED by scripts/genStepVectors.ts from src/core (batchCodecV3, trace.executeRowV3, stepWitness). Do not',
  )
  line(
    '// edit: run `npx tsx scripts/genStepVectors.ts`. src/core/stepVectors.test.ts fails when this file is stale.',
  )
  line('//')
  line('// One-step fraud-proof cases for StepVerifier.executeRow (docs/optimistic.md). Format:')
  line(
    '// - `get(i)` (i < COUNT) returns case i. Case i executes ONE 124-byte v3 row (`row`) on the state `pre`',
  )
  line('//   (`preCommitment = StateCommitment.commitment(pre)`) with StepContext(chainId, baseFee,')
  line(
    '//   batchDepositCountAfter, portal) and must return exactly `post` (`postCommitment`). Cases run on one',
  )
  line(
    '//   evolving state: `get(i).post == get(i + 1).pre`. `outcome` says what the row does ("applied tx",',
  )
  line(
    '//   "applied deposit <index>", "closed block <n>", or "noop <CODE>" with the TypeScript skip/no-op code).',
  )
  line(
    '// - `witness` = abi.encode(StepWitness) of case i, byte-identical to the TypeScript encoding: `get` builds it',
  )
  line(
    '//   from the struct `w` and requires keccak256(witness) == witnessHash (the hash of the TypeScript bytes).',
  )
  line(
    "//   `StepWitness`, `AddressProof` and `Deposit` here have the exact layout of the spec's StepVerifier structs.",
  )
  line('//   Witnesses a row does not reach are zero.')
  line(
    '// - The L1 side: the deposit queue (`DEPOSIT_COUNT`, `depositAt(i)`, `depositHashAt(i)` = Portal.depositHashAt)',
  )
  line(
    '//   and the token registry (`TOKEN_COUNT`, `tokenAt(t)` = Portal.tokenAt), e.g. to fill a mock portal.',
  )
  line(
    `// Chain id ${CHAIN_ID}, base fee ${BASE_FEE} wei; ${cases.length} cases, ${deposits.length} queued deposits.`,
  )
  line('library StepVectors {')
  line('    struct AddressProof { uint256 leaf; bytes32[160] siblings; }')
  line('    struct Deposit { address from; address to; uint16 tokenIndex; uint256 amount; }')
  line(
    '    struct StepWitness { TxExecutor.Witness tx; AddressProof sender; AddressProof recipient; Deposit deposit; }',
  )
  line(
    '    struct StepVector { string name; string outcome; StateCommitment.StateHeader pre; bytes32 preCommitment; bytes row; bool isTx; L2TxLib.Tx tx; uint256 chainId; uint256 baseFee; uint64 batchDepositCountAfter; StepWitness w; bytes witness; bytes32 witnessHash; StateCommitment.StateHeader post; bytes32 postCommitment; }',
  )
  line()
  line(`    uint256 internal constant COUNT = ${cases.length};`)
  line(`    uint256 internal constant DEPOSIT_COUNT = ${deposits.length};`)
  line(`    uint16 internal constant TOKEN_COUNT = ${tokens.length};`)
  line()
  line('    function get(uint256 i) internal pure returns (StepVector memory v) {')
  cases.forEach((_, i) => {
    line(`        ${i === 0 ? 'if' : '} else if'} (i == ${i}) {`)
    line(`            _case${i}(v);`)
  })
  line('        } else {')
  line('            revert("StepVectors: no such case");')
  line('        }')
  line('        v.witness = abi.encode(v.w);')
  line(
    '        require(keccak256(v.witness) == v.witnessHash, "StepVectors: witness encoding differs from TypeScript");',
  )
  line('    }')
  line()
  line('    /// @notice Deposit `i` of the L1 queue.')
  line('    function depositAt(uint256 i) internal pure returns (Deposit memory) {')
  deposits.forEach((d, i) => {
    line(
      `        if (i == ${i}) return Deposit(${getAddress(d.from)}, ${getAddress(d.to)}, ${d.tokenIndex}, ${d.amount});`,
    )
  })
  line('        revert("StepVectors: no such deposit");')
  line('    }')
  line()
  line('    /// @notice Rolling queue hash after deposit `i` (Portal.depositHashAt).')
  line('    function depositHashAt(uint256 i) internal pure returns (bytes32) {')
  depositHashes.forEach((hash, i) => {
    line(`        if (i == ${i}) return ${hex32(hash)};`)
  })
  line('        revert("StepVectors: no such deposit");')
  line('    }')
  line()
  line('    /// @notice L1 address of token `t` (1..TOKEN_COUNT), Portal.tokenAt.')
  line('    function tokenAt(uint16 t) internal pure returns (address) {')
  tokens.forEach((a, i) => {
    line(`        if (t == ${i + 1}) return ${getAddress(a)};`)
  })
  line('        revert("StepVectors: no such token");')
  line('    }')
  line()
  blankFor(8)
  line()
  blankFor(32)
  line()
  blankFor(160)
  cases.forEach((c, i) => {
    line()
    line(`    // ${c.name}`)
    line(`    function _case${i}(StepVector memory v) private pure {`)
    for (const l of caseLines(c)) line(`        ${l}`)
    line('    }')
  })
  line('}')
  return `${out.join('\n')}\n`
}

/** Writes the vectors file under `repoRoot`; returns its absolute path. */
export function writeStepVectors(repoRoot: string): string {
  const path = resolve(repoRoot, STEP_VECTORS_PATH)
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, renderStepVectors())
  return path
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const path = writeStepVectors(resolve(dirname(fileURLToPath(import.meta.url)), '..'))
  console.log(`wrote ${path}`)
}
