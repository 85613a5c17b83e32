/**
 * rebuildVerifiedZkState against a fake L1 (a viem client over a custom transport answering eth_call, eth_getLogs
 * and eth_getTransactionByHash from a scripted history): a block reverted and committed again, two blocks in one
 * commit transaction, a committed but unverified block and an unverified deposit. No anvil, no node.
 */
import {
  type Abi,
  type AbiEvent,
  type Address,
  createPublicClient,
  custom,
  decodeFunctionData,
  encodeAbiParameters,
  encodeEventTopics,
  encodeFunctionData,
  encodeFunctionResult,
  getAddress,
  type Hex,
  numberToHex,
  toHex,
} from 'viem'
import { beforeAll, describe, expect, it } from 'vitest'
import { isL2kitError } from '../../core/errors.ts'
import { zkRollupAbi } from '../../generated/contracts.ts'
import { loadZkCrypto, poseidon, zkSign } from '../../zk/protocol/crypto.ts'
import {
  nextPriorityHash,
  OpType,
  type PriorityRequest,
  type SignedOp,
  signedMessage,
} from '../../zk/protocol/ops.ts'
import {
  type BlockItem,
  type BlockWitness,
  buildBlock,
  type SignedZkTx,
  ZkState,
} from '../../zk/protocol/state.ts'
import { zkKeyFromPrivateKey } from './deriveZkKey.ts'
import { zkExodusProof } from './exodusWithdraw.ts'
import { rebuildVerifiedZkState } from './rebuildVerifiedZkState.ts'
import type { ZkKey } from './shared.ts'

const ROLLUP = getAddress('0x5fbdb2315678afecb367f032d93f642f64180aa3')
const OTHER = getAddress('0xe7f1725e7734ce288f8367e1bb143e90bb3f0512')
const ALICE = BigInt('0x70997970c51812dc3a010c7d01b50e0d17dc79c8')
const BOB = BigInt('0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc')
const CAROL = BigInt('0x90f79bf6eb2c4f870365e785982e1f101e93b906')
const DEPTH = 4
const CHUNKS = 8

let alice: ZkKey
let bobKey: ZkKey
beforeAll(async () => {
  await loadZkCrypto()
  alice = zkKeyFromPrivateKey(new Uint8Array(32).fill(1))
  bobKey = zkKeyFromPrivateKey(new Uint8Array(32).fill(2))
})

const hex32 = (v: bigint): Hex => toHex(v, { size: 32 })
const addr = (v: bigint): Address => getAddress(`0x${v.toString(16).padStart(40, '0')}`)

function sign(key: ZkKey, op: SignedOp): SignedZkTx {
  return { ...op, pubKey: key.pubKey, signature: zkSign(key.privateKey, signedMessage(op)) }
}

type Log = { eventName: string; args: Record<string, unknown>; tx: Hex; block: number }
type StoredBlock = {
  blockNumber: number
  priorityOpsBefore: bigint
  priorityOps: bigint
  newRoot: Hex
  commitment: Hex
  withdrawalsHash: Hex
}

/** A scripted L1 history of the rollup. */
class FakeL1 {
  logs: Log[] = []
  txs = new Map<Hex, { to: Address; input: Hex; block: number }>()
  requests: PriorityRequest[] = []
  chain: bigint[] = [0n]
  l1Block = 10
  view: Record<string, unknown> = {}
  private nextTx = 1

  txHash(): Hex {
    return hex32(BigInt(this.nextTx++) * 0x1111n)
  }

  request(r: PriorityRequest): void {
    const i = this.requests.length
    this.requests.push(r)
    this.chain.push(nextPriorityHash(this.chain[i] as bigint, r))
    this.logs.push({
      eventName: 'PriorityRequest',
      args: {
        requestIndex: BigInt(i),
        kind: r.type,
        account: addr(r.address),
        token: r.token,
        amount: r.amount,
        accountIndex: r.account,
        pkHash: r.pkHash,
        chainHash: this.chain[i + 1],
        expiry: 1000n,
      },
      tx: this.txHash(),
      block: this.l1Block++,
    })
  }

  /** Commits blocks after `last` in one transaction (to the rollup unless `to`), emitting BlockCommitted each. */
  commit(
    last: StoredBlock,
    blocks: { number: number; w: BlockWitness; before: number }[],
    to = ROLLUP,
  ): StoredBlock[] {
    const tx = this.txHash()
    const input = encodeFunctionData({
      abi: zkRollupAbi,
      functionName: 'commitBlocks',
      args: [last, blocks.map((b) => ({ newRoot: hex32(b.w.newRoot), pubdata: toHex(b.w.pubdata) }))],
    })
    const block = this.l1Block++
    this.txs.set(tx, { to, input, block })
    return blocks.map((b) => {
      const sb: StoredBlock = {
        blockNumber: b.number,
        priorityOpsBefore: BigInt(b.before),
        priorityOps: BigInt(b.w.priorityOps),
        newRoot: hex32(b.w.newRoot),
        commitment: hex32(b.w.commitment),
        withdrawalsHash: hex32(0n),
      }
      this.logs.push({ eventName: 'BlockCommitted', args: { ...sb }, tx, block })
      return sb
    })
  }

  encodeLog(log: Log, logIndex: number) {
    const event = (zkRollupAbi as Abi).find(
      (x): x is AbiEvent => x.type === 'event' && x.name === log.eventName,
    ) as AbiEvent
    const topics = encodeEventTopics({
      abi: [event],
      eventName: log.eventName,
      args: Object.fromEntries(
        event.inputs.filter((i) => i.indexed).map((i) => [i.name, log.args[i.name as string]]),
      ),
    } as never)
    const plain = event.inputs.filter((i) => !i.indexed)
    return {
      address: ROLLUP.toLowerCase(),
      topics,
      data: encodeAbiParameters(
        plain,
        plain.map((i) => log.args[i.name as string]),
      ),
      blockNumber: numberToHex(log.block),
      blockHash: hex32(BigInt(log.block)),
      transactionHash: log.tx,
      transactionIndex: '0x0',
      logIndex: numberToHex(logIndex),
      removed: false,
    }
  }

  client() {
    const calls: string[] = []
    const transport = custom({
      request: async ({ method, params }: { method: string; params?: unknown }) => {
        calls.push(method)
        const p = (params ?? []) as unknown[]
        switch (method) {
          case 'eth_chainId':
            return '0x7a69'
          case 'eth_blockNumber':
            return numberToHex(this.l1Block)
          case 'eth_call': {
            const { data } = p[0] as { data: Hex }
            const { functionName } = decodeFunctionData({ abi: zkRollupAbi, data })
            if (!(functionName in this.view)) throw new Error(`unexpected eth_call ${functionName}`)
            return encodeFunctionResult({
              abi: zkRollupAbi,
              functionName,
              result: this.view[functionName],
            } as never)
          }
          case 'eth_getLogs': {
            const filter = p[0] as { topics?: (Hex | null)[]; fromBlock: Hex; toBlock: Hex }
            const topic0 = filter.topics?.[0]
            return this.logs
              .map((l, i) => this.encodeLog(l, i))
              .filter(
                (l) =>
                  (topic0 == null || l.topics[0] === topic0) &&
                  BigInt(l.blockNumber) >= BigInt(filter.fromBlock) &&
                  BigInt(l.blockNumber) <= BigInt(filter.toBlock),
              )
          }
          case 'eth_getTransactionByHash': {
            const hash = p[0] as Hex
            const tx = this.txs.get(hash)
            if (!tx) return null
            return {
              hash,
              input: tx.input,
              to: tx.to.toLowerCase(),
              from: addr(ALICE).toLowerCase(),
              blockNumber: numberToHex(tx.block),
              blockHash: hex32(BigInt(tx.block)),
              transactionIndex: '0x0',
              nonce: '0x0',
              gas: '0x100000',
              gasPrice: '0x1',
              value: '0x0',
              type: '0x0',
              v: '0x1b',
              r: '0x1',
              s: '0x1',
              chainId: '0x7a69',
            }
          }
          default:
            throw new Error(`unexpected ${method}`)
        }
      },
    })
    return { publicClient: createPublicClient({ transport }), calls }
  }
}

const deposit = (owner: bigint, amount: bigint, pkHash = 0n): PriorityRequest => ({
  type: OpType.deposit,
  address: owner,
  token: 0,
  amount,
  account: 0,
  pkHash,
})

/**
 * History: block 1 (2 deposits, a transfer), block 2 committed, reverted, committed again differently in one
 * transaction with block 3; blocks 1..2 verified; block 3 and deposit 3 unverified.
 */
function scenario() {
  const l1 = new FakeL1()
  const state = new ZkState(DEPTH)
  const genesis: StoredBlock = {
    blockNumber: 0,
    priorityOpsBefore: 0n,
    priorityOps: 0n,
    newRoot: hex32(state.root()),
    commitment: hex32(0n),
    withdrawalsHash: hex32(0n),
  }
  const r0 = deposit(ALICE, 1000n, alice.pkHash)
  const r1 = deposit(BOB, 50n)
  const r2: PriorityRequest = {
    type: OpType.changePubKey,
    address: BOB,
    token: 0,
    amount: 0n,
    account: 1,
    pkHash: bobKey.pkHash,
  }
  const r3 = deposit(CAROL, 9n)
  for (const r of [r0, r1, r2, r3]) l1.request(r)

  const items1: BlockItem[] = [
    {
      op: { type: OpType.deposit, account: 0, token: 0, amount: 1000n, owner: ALICE, pkHash: alice.pkHash },
      request: r0,
    },
    { op: { type: OpType.deposit, account: 1, token: 0, amount: 50n, owner: BOB, pkHash: 0n }, request: r1 },
    { op: sign(alice, { type: OpType.transfer, from: 0, to: 1, token: 0, amount: 100n, nonce: 0 }) },
  ]
  const w1 = buildBlock(state, items1, CHUNKS, l1.chain[0] as bigint)
  const [sb1] = l1.commit(genesis, [{ number: 1, w: w1, before: 0 }]) as [StoredBlock]

  // block 2, first version: committed then reverted (the operator dropped it)
  const dropped = buildBlock(
    state.clone(),
    [
      {
        op: sign(alice, {
          type: OpType.withdraw,
          from: 0,
          token: 0,
          amount: 900n,
          nonce: 1,
          toAddress: ALICE,
        }),
      },
    ],
    CHUNKS,
    l1.chain[2] as bigint,
  )
  l1.commit(sb1, [{ number: 2, w: dropped, before: 2 }])
  l1.logs.push({
    eventName: 'BlocksReverted',
    args: { newLastBlock: 1, previousLastBlock: 2, committedPriorityRequests: 2n },
    tx: l1.txHash(),
    block: l1.l1Block++,
  })

  // block 2 again (a change of key, a transfer to a new account, a withdrawal) and block 3, one transaction
  const w2 = buildBlock(
    state,
    [
      { op: { type: OpType.changePubKey, account: 1, requester: BOB, pkHash: bobKey.pkHash }, request: r2 },
      {
        op: sign(alice, {
          type: OpType.transferToNew,
          from: 0,
          to: 2,
          token: 0,
          amount: 30n,
          nonce: 1,
          toAddress: CAROL,
        }),
      },
      {
        op: sign(alice, { type: OpType.withdraw, from: 0, token: 0, amount: 7n, nonce: 2, toAddress: ALICE }),
      },
    ],
    CHUNKS,
    l1.chain[2] as bigint,
  )
  const verifiedState = state.clone()
  const w3 = buildBlock(
    state,
    [
      {
        op: { type: OpType.deposit, account: 3, token: 0, amount: 9n, owner: CAROL, pkHash: 0n },
        request: r3,
      },
    ],
    CHUNKS,
    l1.chain[3] as bigint,
  )
  l1.commit(sb1, [
    { number: 2, w: w2, before: 2 },
    { number: 3, w: w3, before: 3 },
  ])
  l1.view = {
    depth: BigInt(DEPTH),
    totalBlocksVerified: 2n,
    verifiedRoot: hex32(w2.newRoot),
    verifiedPriorityRequests: 3n,
    totalPriorityRequests: 4n,
    genesisRoot: genesis.newRoot,
  }
  return { l1, verifiedState, w2 }
}

/** The contract's exodus check, in JS: leaf = H(pkHash, ownerNonce, balances), then up the tree with the siblings. */
function exodusRoot(index: number, proof: ReturnType<typeof zkExodusProof>): bigint {
  let node = poseidon([proof.pkHash, proof.ownerNonce, proof.balances])
  proof.siblings.forEach((s, k) => {
    node = ((index >> k) & 1) === 0 ? poseidon([node, s]) : poseidon([s, node])
  })
  return node
}

describe('rebuildVerifiedZkState (fake L1)', () => {
  it('rebuilds the verified state: last commit of each block, multi-block commits, unverified data left out', async () => {
    const { l1, verifiedState, w2 } = scenario()
    const { publicClient, calls } = l1.client()
    const verified = await rebuildVerifiedZkState({ publicClient, rollup: ROLLUP })
    expect(calls).not.toContain('eth_sendRawTransaction')
    expect(verified.verifiedBlocks).toBe(2)
    expect(verified.verifiedRequests).toBe(3)
    expect(verified.requests).toHaveLength(4)
    expect(verified.state.root()).toBe(w2.newRoot)
    expect(verified.state.root()).toBe(verifiedState.root())
    for (const i of [0, 1, 2, 3]) expect(verified.state.account(i)).toEqual(verifiedState.account(i))
    expect(verified.state.account(0).balances[0]).toBe(1000n - 100n - 30n - 7n)
    expect(verified.state.account(1).pkHash).toBe(bobKey.pkHash)
    expect(verified.state.account(2).owner).toBe(CAROL)
    expect(verified.state.account(3).owner).toBe(0n) // carol's deposit is only in unverified block 3

    // the exodus arguments prove each account against the verified root, as the contract checks them
    for (const i of [0, 1, 2])
      expect(exodusRoot(i, zkExodusProof(verified.state, i))).toBe(verified.verifiedRoot)
    // ... and not for another index
    expect(exodusRoot(1, zkExodusProof(verified.state, 0))).not.toBe(verified.verifiedRoot)
  })

  it('queries logs in windows when asked (RPCs that cap the range)', async () => {
    const { l1, w2 } = scenario()
    const { publicClient, calls } = l1.client()
    const verified = await rebuildVerifiedZkState({
      publicClient,
      rollup: ROLLUP,
      fromBlock: 5n,
      logBlockRange: 3n,
    })
    expect(verified.state.root()).toBe(w2.newRoot)
    expect(calls.filter((m) => m === 'eth_getLogs').length).toBeGreaterThan(4)
  })

  it('refuses calldata that does not match what L1 stored (a lying RPC)', async () => {
    const { l1 } = scenario()
    const [hash, tx] = [...l1.txs.entries()][0] as [Hex, { to: Address; input: Hex; block: number }]
    // flip one byte of block 1's pubdata inside the calldata (near the end: the padding NOOP chunks)
    const bytes = tx.input.slice(2).match(/../g) as string[]
    const at = bytes.length - 40
    bytes[at] = bytes[at] === '00' ? '01' : '00'
    l1.txs.set(hash, { ...tx, input: `0x${bytes.join('')}` })
    const err = await rebuildVerifiedZkState({
      publicClient: l1.client().publicClient,
      rollup: ROLLUP,
    }).catch((e) => e)
    expect(isL2kitError(err, 'COMMITTED_DATA_MISMATCH')).toBe(true)
    expect(err.details.block).toBe(1)
  })

  it('refuses a priority request log that does not hash to the emitted chain value', async () => {
    const { l1 } = scenario()
    ;(l1.logs[1] as Log).args.amount = 51n
    const err = await rebuildVerifiedZkState({
      publicClient: l1.client().publicClient,
      rollup: ROLLUP,
    }).catch((e) => e)
    expect(isL2kitError(err, 'COMMITTED_DATA_MISMATCH')).toBe(true)
  })

  it('says when a block was committed through another contract, or logs are missing', async () => {
    const through = scenario()
    for (const [hash, tx] of through.l1.txs) through.l1.txs.set(hash, { ...tx, to: OTHER })
    const err = await rebuildVerifiedZkState({
      publicClient: through.l1.client().publicClient,
      rollup: ROLLUP,
    }).catch((e) => e)
    expect(isL2kitError(err, 'COMMITTED_DATA_UNAVAILABLE')).toBe(true)

    const late = scenario()
    const err2 = await rebuildVerifiedZkState({
      publicClient: late.l1.client().publicClient,
      rollup: ROLLUP,
      fromBlock: 12n,
    }).catch((e) => e)
    expect(isL2kitError(err2, 'L1_EVENT_MISSING')).toBe(true)
    expect(err2.message).toMatch(/fromBlock/)
  })

  it('refuses a verified root the rebuilt state does not reach', async () => {
    const { l1 } = scenario()
    l1.view.verifiedRoot = hex32(12345n)
    const err = await rebuildVerifiedZkState({
      publicClient: l1.client().publicClient,
      rollup: ROLLUP,
    }).catch((e) => e)
    expect(isL2kitError(err, 'STATE_ROOT_MISMATCH')).toBe(true)
  })
})
