/**
 * Four validators in one process over real BOLT 8 links, with a stand-in execution engine (transactions are
 * `0x01 ‖ sender ‖ nonce`): the consensus driver, the journal, block parts, gossip and sync, without the EVM.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { bytesToHex, concatBytes, hexToBytes } from '../core/bytes.ts'
import { keccak256 } from '../core/hash.ts'
import { silentLogger } from '../core/logger.ts'
import type { Address, Hex } from '../core/types.ts'
import { findFreePort } from '../l1/anvil.ts'
import { nodeIdFromPrivateKey } from '../node/p2p/index.ts'
import { openStore, type Store } from '../node/store.ts'
import type { PoolEntry } from './mempool.ts'
import {
  type BlockHeader,
  blockHash,
  depositsRoot,
  EMPTY_BLOOM,
  receiptsRoot,
  type SidechainBlock,
  txsRoot,
  validatorsHash,
  withdrawalsRoot,
  ZERO_HASH,
} from './protocol/block.ts'
import { type DoubleSignEvidence, type SignedVote, verifyEvidence } from './protocol/messages.ts'
import { TEST_DOMAIN, testValidators } from './protocol/testing.ts'
import { type EpochSet, sortValidators, type Validator, ValidatorSet } from './protocol/validatorSet.ts'
import { type SidechainEngine, SidechainValidator, type StakeSource } from './validator.ts'

/** What L1's StakeManager shows, as a test sets it (`sets` by epoch; the newest is `latest`). */
class FakeStake implements StakeSource {
  readonly sets = new Map<bigint, Validator[]>()
  latest(): EpochSet | undefined {
    let best: bigint | undefined
    for (const e of this.sets.keys()) if (best === undefined || e > best) best = e
    return best === undefined ? undefined : { epoch: best, validators: this.sets.get(best) as Validator[] }
  }
  setAt(epoch: bigint): Validator[] | undefined {
    return this.sets.get(epoch)
  }
  async refresh(): Promise<void> {}
}

class FakeEngine implements SidechainEngine {
  readonly blocks: { block: SidechainBlock; hash: Hex; commit: SignedVote[] }[] = []
  readonly nonces = new Map<Address, bigint>()
  constructor() {
    const header: BlockHeader = this.#header(-1n, ZERO_HASH, 0, `0x${'00'.repeat(20)}`, [], undefined)
    const block = { header, txs: [], deposits: [] }
    this.blocks.push({ block, hash: blockHash(header), commit: [] })
  }
  #header(
    parent: bigint,
    parentHash: Hex,
    timestamp: number,
    proposer: Address,
    txs: Hex[],
    update: EpochSet | undefined,
  ): BlockHeader {
    const parentHeader = this.blocks[Number(parent)]?.block.header
    return {
      number: parent + 1n,
      parentHash,
      timestamp,
      proposer,
      gasLimit: 30_000_000n,
      baseFee: 1n,
      gasUsed: 0n,
      txsRoot: txsRoot(txs),
      depositsRoot: depositsRoot([]),
      stateRoot: bytesToHex(keccak256(concatBytes(hexToBytes(parentHash), hexToBytes(txsRoot(txs))))),
      receiptsRoot: receiptsRoot([]),
      logsBloom: EMPTY_BLOOM,
      withdrawalsRoot: withdrawalsRoot([]),
      withdrawalCount: 0,
      epoch: update?.epoch ?? parentHeader?.epoch ?? 0n,
      nextValidatorsHash:
        update === undefined
          ? (parentHeader?.nextValidatorsHash ?? ZERO_HASH)
          : validatorsHash(update.validators),
    }
  }
  head() {
    const last = this.blocks[this.blocks.length - 1] as (typeof this.blocks)[0]
    return { number: last.block.header.number, hash: last.hash, timestamp: last.block.header.timestamp }
  }
  parse(raw: Hex): PoolEntry {
    const b = hexToBytes(raw)
    if (b.length !== 29 || b[0] !== 1) throw new Error('not a test tx')
    const from = bytesToHex(b.subarray(1, 21)) as Address
    const nonce = BigInt(bytesToHex(b.subarray(21)))
    return { hash: bytesToHex(keccak256(b)), raw, from, nonce, maxFee: 1n }
  }
  async checkTx(raw: Hex): Promise<PoolEntry> {
    const e = this.parse(raw)
    if (e.nonce < this.nonceOf(e.from)) throw new Error('nonce too low')
    return e
  }
  nonceOf(a: Address): bigint {
    return this.nonces.get(a) ?? 0n
  }
  nextDepositId(): bigint {
    return 0n
  }
  #run(txs: readonly PoolEntry[]): { ok: PoolEntry[]; nonces: Map<Address, bigint> } {
    const nonces = new Map<Address, bigint>()
    const ok: PoolEntry[] = []
    for (const t of txs) {
      const n = nonces.get(t.from) ?? this.nonceOf(t.from)
      if (t.nonce !== n) continue
      nonces.set(t.from, n + 1n)
      ok.push(t)
    }
    return { ok, nonces }
  }
  async buildBlock(p: {
    timestamp: number
    proposer: Address
    candidates: PoolEntry[]
    validatorUpdate?: EpochSet
  }) {
    const { ok } = this.#run(p.candidates)
    const head = this.head()
    const txs = ok.map((t) => t.raw)
    const header = this.#header(head.number, head.hash, p.timestamp, p.proposer, txs, p.validatorUpdate)
    const block: SidechainBlock = {
      header,
      txs,
      deposits: [],
      ...(p.validatorUpdate === undefined ? {} : { validators: p.validatorUpdate.validators }),
    }
    return { block, hash: blockHash(header), dropped: [] }
  }
  async executeBlock(block: SidechainBlock): Promise<Hex> {
    const head = this.head()
    const entries = block.txs.map((r) => this.parse(r))
    if (this.#run(entries).ok.length !== entries.length) throw new Error('a transaction out of nonce order')
    const h = block.header
    const update =
      block.validators === undefined ? undefined : { epoch: h.epoch, validators: block.validators }
    const parentEpoch = this.blocks[Number(head.number)]?.block.header.epoch ?? 0n
    if (update !== undefined && update.epoch <= parentEpoch)
      throw new Error('the epoch does not move forward')
    const expect = this.#header(head.number, head.hash, h.timestamp, h.proposer, block.txs, update)
    if (blockHash(expect) !== blockHash(h)) throw new Error('not the block execution gives')
    return blockHash(h)
  }
  async commitBlock(block: SidechainBlock, commit: SignedVote[]): Promise<void> {
    const { nonces } = this.#run(block.txs.map((r) => this.parse(r)))
    for (const [a, n] of nonces) this.nonces.set(a, n)
    this.blocks.push({ block, hash: blockHash(block.header), commit })
  }
  blockAt(n: bigint) {
    return this.blocks[Number(n)]?.block
  }
  commitOf(n: bigint) {
    return this.blocks[Number(n)]?.commit
  }
}

function testTx(sender: number, nonce: bigint): Hex {
  const from = `${sender.toString(16).padStart(40, '0')}`
  return `0x01${from}${nonce.toString(16).padStart(16, '0')}` as Hex
}

async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

async function network(
  options: { misbehave?: number; count?: number; stake?: (i: number) => StakeSource } = {},
) {
  const { validators } = testValidators(Array.from({ length: options.count ?? 4 }, () => 1n))
  // The genesis set is the first four; any more are keys that may stake later.
  const set = ValidatorSet.create(
    sortValidators(validators.slice(0, 4).map((v) => ({ address: v.address, power: v.power }))),
  )
  const ports = await Promise.all(validators.map(() => findFreePort()))
  const addresses = validators.map((v, i) => `${nodeIdFromPrivateKey(v.key.slice(2))}@127.0.0.1:${ports[i]}`)
  const engines = validators.map(() => new FakeEngine())
  const stores: Store[] = []
  for (const _ of validators) {
    const dir = mkdtempSync(join(tmpdir(), 'l2kit-sc-validator-'))
    dirs.push(dir)
    stores.push(await openStore({ path: dir }))
  }
  const evidence: DoubleSignEvidence[][] = validators.map(() => [])
  const make = (i: number) =>
    new SidechainValidator(
      {
        privateKey: (validators[i] as { key: Hex }).key,
        domain: TEST_DOMAIN,
        genesisValidators: set.validators,
        p2p: { host: '127.0.0.1', port: ports[i] as number, peers: addresses },
        blockTimeMs: 60,
        consensus: {
          timeoutProposeMs: 400,
          timeoutProposeDeltaMs: 100,
          timeoutPrevoteMs: 200,
          timeoutPrevoteDeltaMs: 100,
          timeoutPrecommitMs: 200,
          timeoutPrecommitDeltaMs: 100,
        },
        ...(options.misbehave === i ? { misbehave: 'equivocate' as const } : {}),
      },
      {
        store: stores[i] as Store,
        engine: engines[i] as FakeEngine,
        logger: silentLogger,
        onEvidence: (e) => (evidence[i] as DoubleSignEvidence[]).push(e),
        ...(options.stake === undefined ? {} : { stake: options.stake(i) }),
      },
    )
  // Keys beyond the genesis four are not started here (they join later).
  const nodes = validators.slice(0, 4).map((_, i) => make(i))
  const height = (i: number) => (engines[i] as FakeEngine).head().number
  const close = async () => {
    await Promise.all(nodes.map((n) => n?.stop()))
    await Promise.all(stores.map((s) => s.close()))
  }
  return { validators, engines, nodes, make, height, evidence, close }
}

describe('sidechain validators (stand-in execution)', () => {
  it('an equivocating validator is caught by every honest one, and no conflicting blocks are committed', async () => {
    const net = await network({ misbehave: 1 })
    try {
      await Promise.all(net.nodes.map((n) => n.start()))
      await until('5 blocks on every honest validator', () => [0, 2, 3].every((i) => net.height(i) >= 5n))
      const cheater = (net.validators[1] as { address: Address }).address
      await until('evidence at every honest validator', () =>
        [0, 2, 3].every((i) => (net.evidence[i]?.length ?? 0) > 0),
      )
      for (const i of [0, 2, 3]) {
        const e = net.evidence[i]?.[0] as DoubleSignEvidence
        expect(e.kind).toBe('duplicateVote')
        expect(e.first.type === 'proposal' ? e.first.proposer : e.first.validator).toBe(cheater)
        expect(verifyEvidence(TEST_DOMAIN, e)).toBe(cheater)
      }
      expect(net.evidence[1]).toHaveLength(0)
      const common = net.engines.reduce((m, e) => (e.head().number < m ? e.head().number : m), net.height(0))
      for (let h = 1n; h <= common; h++)
        expect(new Set(net.engines.map((e) => e.blocks[Number(h)]?.hash)).size).toBe(1)
    } finally {
      await net.close()
    }
  }, 60_000)

  it('commit, survive one down, halt without forking at two down, resume and catch up', async () => {
    const { engines, nodes, make, close } = await network()
    try {
      await Promise.all(nodes.map((n) => n.start()))
      const height = (i: number) => (engines[i] as FakeEngine).head().number
      await until('5 blocks on every validator', () => engines.every((_, i) => height(i) >= 5n))

      // Transactions sent to one validator are gossiped and committed by all.
      for (let n = 0n; n < 20n; n++) await (nodes[0] as SidechainValidator).submitTransaction(testTx(7, n))
      await until('the 20 transactions committed everywhere', () =>
        engines.every((e) => e.nonceOf(`0x${(7).toString(16).padStart(40, '0')}`) === 20n),
      )

      // One of four down: the other three keep committing.
      await (nodes[3] as SidechainValidator).stop()
      const at = height(0)
      await until('3 validators keep committing', () => height(0) >= at + 5n)

      // Two of four down: no quorum, the chain halts (and does not fork).
      await (nodes[2] as SidechainValidator).stop()
      await new Promise((r) => setTimeout(r, 300))
      const halted = height(0)
      await new Promise((r) => setTimeout(r, 1_500))
      expect(height(0)).toBeLessThanOrEqual(halted + 1n)
      expect(height(1)).toBeLessThanOrEqual(halted + 1n)

      // One returns (same store and chain: its journal is restored): the chain resumes.
      nodes[2] = make(2)
      await (nodes[2] as SidechainValidator).start()
      await until('the chain resumes with 3 of 4', () => height(0) >= halted + 5n)

      // The fourth returns late and catches up through sync.
      nodes[3] = make(3)
      await (nodes[3] as SidechainValidator).start()
      await until(
        'the late validator catches up',
        () => height(3) >= height(0) - 1n && height(3) > halted + 5n,
      )

      // No fork: every validator's block at every common height is the same.
      const common = engines.reduce((m, e) => (e.head().number < m ? e.head().number : m), height(0))
      for (let h = 1n; h <= common; h++) {
        const hashes = new Set(engines.map((e) => e.blocks[Number(h)]?.hash))
        expect(hashes.size).toBe(1)
      }
    } finally {
      await close()
    }
  }, 60_000)

  it('moves to the validator set L1 shows: a staked fifth joins and signs; a set L1 never had is refused', async () => {
    // Validator 1 is Byzantine here: its "L1" claims an epoch in which it alone holds all the power.
    const honest = new FakeStake()
    const forged = new FakeStake()
    const net = await network({ count: 5, stake: (i) => (i === 1 ? forged : honest) })
    const [v0, v1, v2, v3, v4] = net.validators as { address: Address }[]
    const genesis = sortValidators(
      [v0, v1, v2, v3].map((v) => ({ address: (v as { address: Address }).address, power: 1n })),
    )
    honest.sets.set(0n, genesis)
    forged.sets.set(0n, genesis)
    forged.sets.set(1n, [{ address: (v1 as { address: Address }).address, power: 1_000n }])
    try {
      await Promise.all(net.nodes.map((n) => n?.start()))
      await until('8 blocks on the honest validators', () => [0, 2, 3].every((i) => net.height(i) >= 8n))
      const e0 = net.engines[0] as FakeEngine
      // The forged set never commits, and neither does any block validator 1 proposed with it.
      for (let h = 1n; h <= e0.head().number; h++) {
        const b = e0.blockAt(h) as SidechainBlock
        expect(b.validators).toBeUndefined()
        expect(b.header.epoch).toBe(0n)
        expect(b.header.proposer).not.toBe((v1 as { address: Address }).address)
      }

      // L1 now shows a fifth validator staked (epoch 1): the honest proposers move the chain to that set, and the
      // fifth — in nobody's peer list — is admitted to the mesh because L1 shows its stake, syncs and signs.
      const five = sortValidators(
        [v0, v1, v2, v3, v4].map((v) => ({ address: (v as { address: Address }).address, power: 1n })),
      )
      honest.sets.set(1n, five)
      const from = e0.head().number
      await until(
        'a block moving to epoch 1',
        () => (e0.blockAt(e0.head().number)?.header.epoch ?? 0n) === 1n,
      )
      let changedAt = from
      while ((e0.blockAt(changedAt)?.header.epoch ?? 0n) !== 1n) changedAt++
      expect(e0.blockAt(changedAt)?.validators).toEqual(five)
      await until('the next height decided by the five', () =>
        (net.nodes[0] as SidechainValidator).validatorSet().has((v4 as { address: Address }).address),
      )
      net.nodes[4] = net.make(4)
      await (net.nodes[4] as SidechainValidator).start()
      await until(
        'the fifth signs commits',
        () => {
          const head = e0.head().number
          return (
            head > changedAt + 1n &&
            (e0.commitOf(head) ?? []).some((v) => v.validator === (v4 as { address: Address }).address)
          )
        },
        30_000,
      )
      // With five validators of equal power, four must sign: the chain commits with the fifth's votes counted.
      const head = e0.head().number
      expect(BigInt((e0.commitOf(head) ?? []).length)).toBeGreaterThanOrEqual(4n)
      await until('the fifth holds the chain', () => net.height(4) >= head)
      for (let h = 1n; h <= head; h++)
        expect(new Set([0, 2, 3, 4].map((i) => net.engines[i]?.blocks[Number(h)]?.hash)).size).toBe(1)
      // The Byzantine one, whose "L1" shows another epoch 1, refuses the real change (and does not spin on it).
      const refused = (net.nodes[1] as SidechainValidator).status().rejectedMessages
        .SIDECHAIN_UNKNOWN_VALIDATOR_SET
      expect(refused).toBeGreaterThan(0)
      expect(refused).toBeLessThan(100)
    } finally {
      await net.close()
    }
  }, 60_000)
})
