/**
 * Test kit of the consensus core (not used by the nodes): fixed keys and a domain, a seeded xorshift RNG, and a
 * deterministic simulated network of consensus machines with virtual time, random delays, gossip, crashed nodes
 * and a scripted Byzantine validator. Everything is a pure function of the seed.
 */

import { bytesToHex } from '../../core/bytes.ts'
import { L2kitError } from '../../core/errors.ts'
import { keccak256 } from '../../core/hash.ts'
import { xorshift32 } from '../../core/testing.ts'
import type { Address, Hex } from '../../core/types.ts'
import { type ConsensusAction, ConsensusMachine, type ConsensusOptions, type Step } from './consensus.ts'
import {
  type ConsensusMessage,
  claimedSigner,
  type DoubleSignEvidence,
  type MessageSigner,
  messageKey,
  NIL_HASH,
  privateKeySigner,
  type SidechainDomain,
  signProposal,
  signVote,
  type VoteType,
} from './messages.ts'
import { sortValidators, ValidatorSet } from './validatorSet.ts'

export const TEST_DOMAIN: SidechainDomain = {
  chainId: 31337n,
  stakeManager: '0x5fbdb2315678afecb367f032d93f642f64180aa3',
}

/** A seeded xorshift32 generator: the only randomness of the tests. */
export type Rng = {
  /** A uint32. */
  next(): number
  /** An integer in [0, n). */
  int(n: number): number
  /** True with probability p. */
  chance(p: number): boolean
  pick<T>(items: readonly T[]): T
}

export function xorshift(seed: number): Rng {
  const next = xorshift32(seed)
  return {
    next,
    int: (n) => next() % n,
    chance: (p) => next() / 0x1_0000_0000 < p,
    pick: (items) => items[next() % items.length] as (typeof items)[number],
  }
}

export type TestValidator = { key: Hex; address: Address; signer: MessageSigner; power: bigint }

/** `powers.length` validators with fixed keys, in canonical order, and their set (fresh priorities). */
export function testValidators(powers: readonly bigint[]): {
  validators: TestValidator[]
  set: ValidatorSet
} {
  const keyed = powers.map((power, i) => {
    const key = `0x${(0x5eed_0000 + i + 1).toString(16).padStart(64, '0')}` as Hex
    const signer = privateKeySigner(key)
    return { key, address: signer.address, signer, power }
  })
  keyed.sort((a, b) => (a.address < b.address ? -1 : 1))
  const set = ValidatorSet.create(sortValidators(keyed.map((v) => ({ address: v.address, power: v.power }))))
  return { validators: keyed, set }
}

/** A block hash made of its parts (distinct parts, distinct blocks). */
export function testBlockHash(...parts: (string | number | bigint)[]): Hex {
  return bytesToHex(keccak256(new TextEncoder().encode(parts.join('/'))))
}

// ---------------------------------------------------------------------------------------------------------------
// The simulated network

export type SimulationOptions = {
  seed: number
  /** Voting powers; the validators are `testValidators(powers)` (canonical order). */
  powers: readonly bigint[]
  /** Heights to decide: 1 … heights. */
  heights: number
  /** Indexes (canonical order) of Byzantine validators, run by the scripted adversary. */
  byzantine?: readonly number[]
  /** Indexes of validators that are down the whole run (never send, never receive). */
  down?: readonly number[]
  /** Message delay in [1, maxDelayMs] ms once the network is stable. */
  maxDelayMs?: number
  /** Before `gstMs`, a message is slow (delay up to `slowDelayMs`) with probability `slowChance`. */
  gstMs?: number
  slowChance?: number
  slowDelayMs?: number
  consensus?: Partial<ConsensusOptions>
  /** Safety valve: stop after this many events. */
  maxEvents?: number
  /** Called with a line per honest state change (debugging a seed). */
  trace?: (line: string) => void
}

export type Decision = { round: number; blockHash: Hex }

export type SimulationResult = {
  /** Per honest node index: height → decision. */
  decisions: Map<number, Map<bigint, Decision>>
  /** Evidence emitted by honest nodes. */
  evidence: DoubleSignEvidence[]
  /** Own messages an honest node broadcast without having persisted them first (must be 0). */
  unpersistedBroadcasts: number
  /** Two different own messages an honest node signed for one slot (must be 0). */
  honestDoubleSigns: number
  /** Typed rejections seen by honest nodes, by code. */
  rejections: Map<string, number>
  /** Honest proposals that re-proposed a valid value with its proof-of-lock round (L28 exercised). */
  reproposals: number
  events: number
  timeMs: number
  highestRound: number
}

type Event =
  | { at: number; seq: number; kind: 'deliver'; node: number; message: ConsensusMessage }
  | { at: number; seq: number; kind: 'timeout'; node: number; height: bigint; round: number; step: Step }
  | { at: number; seq: number; kind: 'block'; node: number; height: bigint; blockHash: Hex }
  | { at: number; seq: number; kind: 'propose'; node: number; height: bigint; round: number }

/** A binary min-heap of events by (time, sequence number): deterministic order for equal times. */
class EventQueue {
  private heap: Event[] = []
  get size(): number {
    return this.heap.length
  }
  private less(a: Event, b: Event): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq)
  }
  push(e: Event): void {
    const h = this.heap
    h.push(e)
    let i = h.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.less(h[i] as Event, h[parent] as Event)) break
      ;[h[i], h[parent]] = [h[parent] as Event, h[i] as Event]
      i = parent
    }
  }
  pop(): Event | undefined {
    const h = this.heap
    const top = h[0]
    const last = h.pop()
    if (h.length > 0 && last !== undefined) {
      h[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < h.length && this.less(h[l] as Event, h[m] as Event)) m = l
        if (r < h.length && this.less(h[r] as Event, h[m] as Event)) m = r
        if (m === i) break
        ;[h[i], h[m]] = [h[m] as Event, h[i] as Event]
        i = m
      }
    }
    return top
  }
}

/**
 * Runs `heights` heights of consensus among `powers.length` validators. Honest validators are `ConsensusMachine`s;
 * every message an honest node accepts is gossiped on to everyone (so what one honest node got, all eventually get,
 * the paper's assumption). Blocks are hashes; every block named anywhere is valid and fetchable.
 */
export function simulate(options: SimulationOptions): SimulationResult {
  const rng = xorshift(options.seed)
  const { validators, set } = testValidators(options.powers)
  const n = validators.length
  const byzantine = new Set(options.byzantine ?? [])
  const down = new Set(options.down ?? [])
  const honest = [...Array(n).keys()].filter((i) => !byzantine.has(i) && !down.has(i))
  const maxDelay = options.maxDelayMs ?? 100
  const gst = options.gstMs ?? 0
  const slowChance = options.slowChance ?? 0
  const slowDelay = options.slowDelayMs ?? 0
  const maxEvents = options.maxEvents ?? 500_000

  const sets: ValidatorSet[] = [set] // sets[h - 1] is the set of height h
  for (let h = 1; h < options.heights + 1; h++) sets.push((sets[h - 1] as ValidatorSet).next())
  const setAt = (height: bigint) => sets[Number(height) - 1] as ValidatorSet

  const machines = new Map<number, ConsensusMachine>()
  for (const i of honest) {
    machines.set(
      i,
      new ConsensusMachine(options.consensus ?? {}, {
        domain: TEST_DOMAIN,
        signer: (validators[i] as TestValidator).signer,
      }),
    )
  }
  const result: SimulationResult = {
    decisions: new Map(honest.map((i) => [i, new Map()])),
    evidence: [],
    unpersistedBroadcasts: 0,
    honestDoubleSigns: 0,
    rejections: new Map(),
    reproposals: 0,
    events: 0,
    timeMs: 0,
    highestRound: 0,
  }
  const seen = new Map<number, Set<Hex>>([...Array(n).keys()].map((i) => [i, new Set<Hex>()]))
  const persisted = new Map<number, Set<Hex>>(honest.map((i) => [i, new Set<Hex>()]))
  const ownSlots = new Map<string, Hex>()
  const queue = new EventQueue()
  let seq = 0
  let now = 0

  const delay = () =>
    now < gst && rng.chance(slowChance) ? 1 + rng.int(Math.max(1, slowDelay)) : 1 + rng.int(maxDelay)
  const send = (to: number, message: ConsensusMessage) => {
    if (down.has(to)) return
    queue.push({ at: now + delay(), seq: seq++, kind: 'deliver', node: to, message })
  }
  const sendAll = (from: number, message: ConsensusMessage) => {
    for (let j = 0; j < n; j++) if (j !== from) send(j, message)
  }

  // --- the Byzantine adversary: per (height, round) it learns of, conflicting proposals and votes ---------------
  const adversaryActed = new Set<string>()
  const roundValues = new Map<string, Hex[]>()
  const adversary = (message: ConsensusMessage) => {
    const key = `${message.height}/${message.round}`
    const values = roundValues.get(key) ?? []
    if (message.blockHash !== NIL_HASH && !values.includes(message.blockHash)) values.push(message.blockHash)
    roundValues.set(key, values)
    if (adversaryActed.has(key) || message.height > BigInt(options.heights)) return
    adversaryActed.add(key)
    const { height, round } = message
    for (const b of byzantine) {
      const me = validators[b] as TestValidator
      const evil = [
        testBlockHash('evil', b, height, round, 'a'),
        testBlockHash('evil', b, height, round, 'b'),
      ]
      const at = (extra: number) => now + delay() + extra
      // As proposer: one of two conflicting blocks to each honest node, at random.
      if (setAt(height).proposer(round) === me.address) {
        for (const i of honest) {
          const p = signProposal(
            TEST_DOMAIN,
            { height, round, polRound: -1, blockHash: evil[rng.int(2)] as Hex },
            me.signer,
          )
          queue.push({ at: at(0), seq: seq++, kind: 'deliver', node: i, message: p })
        }
      }
      // Prevotes and precommits: each honest node gets a different block (or nil), so it always equivocates.
      for (const type of ['prevote', 'precommit'] as VoteType[]) {
        const blocks = [...values, ...evil, NIL_HASH]
        const offset = rng.int(blocks.length)
        honest.forEach((i, k) => {
          const blockHash = blocks[(offset + k) % blocks.length] as Hex
          const v = signVote(TEST_DOMAIN, { type, height, round, blockHash }, me.signer)
          queue.push({ at: at(rng.int(maxDelay)), seq: seq++, kind: 'deliver', node: i, message: v })
        })
      }
      // And some garbage: a round far ahead (refused, so it cannot drag anyone there alone).
      const far = signVote(
        TEST_DOMAIN,
        { type: 'prevote', height, round: round + 10_000, blockHash: NIL_HASH },
        me.signer,
      )
      send(rng.pick(honest), far)
    }
  }

  // --- honest nodes: carry out the machine's actions ------------------------------------------------------------
  const apply = (i: number, actions: readonly ConsensusAction[]) => {
    const me = validators[i] as TestValidator
    for (const a of actions) {
      switch (a.type) {
        case 'persist':
          ;(persisted.get(i) as Set<Hex>).add(messageKey(a.message))
          break
        case 'broadcast': {
          const key = messageKey(a.message)
          if (claimedSigner(a.message) === me.address) {
            if (!(persisted.get(i) as Set<Hex>).has(key)) result.unpersistedBroadcasts++
            const slot = `${i}/${a.message.type}/${a.message.height}/${a.message.round}`
            const earlier = ownSlots.get(slot)
            if (earlier !== undefined && earlier !== key) result.honestDoubleSigns++
            if (earlier === undefined && a.message.type === 'proposal' && a.message.polRound >= 0)
              result.reproposals++
            ownSlots.set(slot, key)
          }
          ;(seen.get(i) as Set<Hex>).add(key)
          result.highestRound = Math.max(result.highestRound, a.message.round)
          sendAll(i, a.message)
          break
        }
        case 'scheduleTimeout':
          queue.push({ at: now + a.ms, seq: seq++, kind: 'timeout', node: i, ...a })
          break
        case 'requestBlock':
          queue.push({ at: now + 1 + rng.int(10), seq: seq++, kind: 'propose', node: i, ...a })
          break
        case 'needBlock':
          queue.push({ at: now + delay(), seq: seq++, kind: 'block', node: i, ...a })
          break
        case 'decide': {
          const decided = result.decisions.get(i) as Map<bigint, Decision>
          decided.set(a.height, { round: a.round, blockHash: a.blockHash })
          if (a.height < BigInt(options.heights)) {
            apply(i, (machines.get(i) as ConsensusMachine).start(a.height + 1n, setAt(a.height + 1n)))
          }
          break
        }
        case 'evidence':
          result.evidence.push(a.evidence)
          break
      }
    }
  }
  const guarded = (run: () => ConsensusAction[]): ConsensusAction[] | undefined => {
    try {
      return run()
    } catch (e) {
      if (!(e instanceof L2kitError)) throw e
      result.rejections.set(e.code, (result.rejections.get(e.code) ?? 0) + 1)
      return undefined
    }
  }

  for (const i of honest) apply(i, (machines.get(i) as ConsensusMachine).start(1n, setAt(1n)))

  const allDecided = () =>
    honest.every((i) => (result.decisions.get(i) as Map<bigint, Decision>).size === options.heights)
  while (queue.size > 0 && result.events < maxEvents && !allDecided()) {
    const e = queue.pop() as Event
    now = e.at
    result.events++
    if (byzantine.has(e.node)) {
      if (e.kind === 'deliver') adversary(e.message)
      continue
    }
    const m = machines.get(e.node)
    if (m === undefined) continue
    const before =
      options.trace === undefined
        ? ''
        : JSON.stringify(m.state, (_, v) => (typeof v === 'bigint' ? `${v}` : v))
    switch (e.kind) {
      case 'deliver': {
        const key = messageKey(e.message)
        const seenHere = seen.get(e.node) as Set<Hex>
        if (seenHere.has(key)) break // the network layer drops what this node already has
        seenHere.add(key)
        const msg = e.message
        const actions = guarded(() =>
          msg.type === 'proposal' ? m.receiveProposal(msg, true) : m.receiveVote(msg),
        )
        if (actions === undefined) break
        apply(e.node, actions)
        // Gossip: what an honest node accepted, it passes on (this is what lets everyone see an equivocation).
        if (claimedSigner(msg) !== (validators[e.node] as TestValidator).address) sendAll(e.node, msg)
        break
      }
      case 'timeout':
        apply(e.node, m.timeout(e.height, e.round, e.step))
        break
      case 'block':
        apply(e.node, m.receiveBlock(e.height, e.blockHash, true))
        break
      case 'propose': {
        const blockHash = testBlockHash('block', e.node, e.height, e.round)
        const actions = guarded(() => m.proposeBlock(e.height, e.round, blockHash))
        if (actions !== undefined) apply(e.node, actions)
        break
      }
    }
    if (options.trace !== undefined) {
      const after = JSON.stringify(m.state, (_, v) => (typeof v === 'bigint' ? `${v}` : v))
      if (after !== before) options.trace(`${now} node ${e.node} ${e.kind} ${describeEvent(e)} → ${after}`)
    }
  }
  result.timeMs = now
  return result
}

function describeEvent(e: Event): string {
  if (e.kind === 'deliver') {
    const m = e.message
    return `${m.type} h${m.height} r${m.round} ${m.blockHash.slice(0, 8)} from ${claimedSigner(m).slice(0, 8)}`
  }
  if (e.kind === 'timeout') return `${e.step} h${e.height} r${e.round}`
  return `h${e.height} ${e.kind === 'block' ? e.blockHash.slice(0, 8) : `r${e.round}`}`
}

/** Heights at which two honest nodes decided different blocks (safety violations; must be empty). */
export function conflictingDecisions(result: SimulationResult): bigint[] {
  const byHeight = new Map<bigint, Set<Hex>>()
  for (const decided of result.decisions.values()) {
    for (const [h, d] of decided) {
      const s = byHeight.get(h) ?? new Set<Hex>()
      s.add(d.blockHash)
      byHeight.set(h, s)
    }
  }
  return [...byHeight].filter(([, s]) => s.size > 1).map(([h]) => h)
}
