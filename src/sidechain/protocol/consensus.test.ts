import { describe, expect, it } from 'vitest'
import { isL2kitError } from '../../core/errors.ts'
import { errorCodeOf } from '../../core/testing.ts'
import type { Hex } from '../../core/types.ts'
import {
  type ConsensusAction,
  ConsensusMachine,
  type ConsensusOptions,
  defaultConsensusOptions,
  resolveConsensusOptions,
  timeoutMs,
  verifyCommit,
} from './consensus.ts'
import { SidechainErrorCode } from './errors.ts'
import {
  type ConsensusMessage,
  claimedSigner,
  NIL_HASH,
  type SignedProposal,
  type SignedVote,
  signProposal,
  signVote,
  type VoteType,
  verifyEvidence,
} from './messages.ts'
import { TEST_DOMAIN, type TestValidator, testBlockHash, testValidators } from './testing.ts'

const { validators, set } = testValidators([1n, 1n, 1n, 1n])
const byAddress = (a: string) => validators.find((v) => v.address === a) as TestValidator
/** The node under test proposes round 3, so rounds 0–2 are proposed by others. */
const me = byAddress(set.proposer(3))
const others = validators.filter((v) => v !== me) as [TestValidator, TestValidator, TestValidator]
const stranger = testValidators([1n, 1n, 1n, 1n, 1n]).validators.find(
  (v) => !set.has(v.address),
) as TestValidator
const proposerOf = (round: number, height = 1n) => {
  let s = set
  for (let h = 1n; h < height; h++) s = s.next()
  return byAddress(s.proposer(round))
}
const X = testBlockHash('X')
const Y = testBlockHash('Y')
const Z = testBlockHash('Z')

const vote = (v: TestValidator, type: VoteType, round: number, blockHash: Hex, height = 1n) =>
  signVote(TEST_DOMAIN, { type, height, round, blockHash }, v.signer)
const proposal = (round: number, blockHash: Hex, polRound = -1, height = 1n) =>
  signProposal(TEST_DOMAIN, { height, round, polRound, blockHash }, proposerOf(round, height).signer)
const machine = (options: Partial<ConsensusOptions> = {}, who: TestValidator | 'observer' = me) =>
  new ConsensusMachine(
    options,
    who === 'observer' ? { domain: TEST_DOMAIN } : { domain: TEST_DOMAIN, signer: who.signer },
  )
const started = (options: Partial<ConsensusOptions> = {}) => {
  const m = machine(options)
  m.start(1n, set)
  return m
}

/** The votes this node broadcast in `actions`. */
const myVotes = (actions: readonly ConsensusAction[]) =>
  actions.flatMap((a) =>
    a.type === 'broadcast' && a.message.type !== 'proposal' && a.message.validator === me.address
      ? [a.message]
      : [],
  )
const ofType = <T extends ConsensusAction['type']>(actions: readonly ConsensusAction[], type: T) =>
  actions.filter((a): a is Extract<ConsensusAction, { type: T }> => a.type === type)

const codeOf = errorCodeOf

function snapshot(m: ConsensusMachine): string {
  return JSON.stringify([m.state, [0, 1, 2, 3].map((r) => m.messagesAt(r)), m.ownMessages()], (_, v) =>
    typeof v === 'bigint' ? v.toString() : v,
  )
}

/** Own signed messages are persisted before they are broadcast (within one action list). */
function expectPersistedFirst(
  actions: readonly ConsensusAction[],
  earlier: readonly ConsensusMessage[] = [],
): void {
  const persisted = new Set(earlier)
  for (const a of actions) {
    if (a.type === 'persist') persisted.add(a.message)
    if (a.type === 'broadcast' && claimedSigner(a.message) === me.address) {
      expect(persisted.has(a.message)).toBe(true)
    }
  }
}

describe('options', () => {
  it('has valid defaults and lists every problem of bad options', () => {
    expect(resolveConsensusOptions()).toEqual(defaultConsensusOptions)
    const bad = {
      timeoutProposeMs: 0,
      timeoutPrevoteDeltaMs: -1,
      maxFutureRounds: 1.5,
      bogus: 1,
    } as unknown as Partial<ConsensusOptions>
    try {
      resolveConsensusOptions(bad)
      expect.unreachable()
    } catch (e) {
      expect(isL2kitError(e, SidechainErrorCode.invalidOptions)).toBe(true)
      expect((e as { details: { problems: string[] } }).details.problems).toHaveLength(4)
    }
    expect(codeOf(() => machine(bad))).toBe(SidechainErrorCode.invalidOptions)
  })

  it('grows every timeout linearly with the round', () => {
    const o = resolveConsensusOptions({ timeoutProposeMs: 100, timeoutProposeDeltaMs: 10 })
    expect([0, 1, 5].map((r) => timeoutMs(o, 'propose', r))).toEqual([100, 110, 150])
    expect(timeoutMs(o, 'prevote', 2)).toBe(o.timeoutPrevoteMs + 2 * o.timeoutPrevoteDeltaMs)
    expect(timeoutMs(o, 'precommit', 3)).toBe(o.timeoutPrecommitMs + 3 * o.timeoutPrecommitDeltaMs)
  })
})

describe('one height, message by message', () => {
  it('prevotes a valid proposal, locks on > 2/3 prevotes, decides on > 2/3 precommits with a checkable commit', () => {
    const m = machine()
    const first = m.start(1n, set)
    expect(first).toEqual([{ type: 'scheduleTimeout', height: 1n, round: 0, step: 'propose', ms: 3000 }])

    const a1 = m.receiveProposal(proposal(0, X), true)
    expect(a1.map((a) => a.type)).toEqual(['persist', 'broadcast'])
    expect(myVotes(a1)).toMatchObject([{ type: 'prevote', round: 0, blockHash: X }])
    expectPersistedFirst(a1)

    expect(m.receiveVote(vote(others[0], 'prevote', 0, X))).toEqual([])
    const a2 = m.receiveVote(vote(others[1], 'prevote', 0, X))
    expect(myVotes(a2)).toMatchObject([{ type: 'precommit', round: 0, blockHash: X }])
    expectPersistedFirst(a2)
    expect(m.state).toMatchObject({
      step: 'precommit',
      lockedValue: X,
      lockedRound: 0,
      validValue: X,
      validRound: 0,
    })

    expect(m.receiveVote(vote(others[2], 'precommit', 0, NIL_HASH))).toEqual([])
    expect(m.receiveVote(vote(others[0], 'precommit', 0, X))).toEqual([
      { type: 'scheduleTimeout', height: 1n, round: 0, step: 'precommit', ms: 1000 }, // > 2/3 precommitted (L47)
    ])
    const a4 = m.receiveVote(vote(others[1], 'precommit', 0, X))
    const [decision] = ofType(a4, 'decide')
    expect(decision).toMatchObject({ height: 1n, round: 0, blockHash: X })
    expect(decision?.commit).toHaveLength(3)
    expect(verifyCommit(TEST_DOMAIN, set, 1n, X, decision?.commit ?? [])).toBe(0)
    expect(m.state.decided).toBe(true)

    // the height is over: late messages change nothing; the next height starts fresh
    expect(m.receiveVote(vote(others[2], 'precommit', 0, X))).toEqual([])
    expect(m.timeout(1n, 0, 'precommit')).toEqual([])
    m.start(2n)
    expect(m.state).toMatchObject({ height: 2n, round: 0, step: 'propose', decided: false, lockedRound: -1 })
    expect(m.receiveVote(vote(others[2], 'precommit', 0, Y))).toEqual([])
    expect(codeOf(() => m.start(2n))).toBe(SidechainErrorCode.wrongHeight)
  })

  it('as proposer asks for a block, proposes it (persisted first), and prevotes it', () => {
    const proposer = proposerOf(0)
    const m = machine({}, proposer)
    expect(m.start(1n, set)).toEqual([
      { type: 'requestBlock', height: 1n, round: 0 },
      { type: 'scheduleTimeout', height: 1n, round: 0, step: 'propose', ms: 3000 },
    ])
    const actions = m.proposeBlock(1n, 0, X)
    expect(
      actions.map((a) => `${a.type}:${a.type === 'persist' || a.type === 'broadcast' ? a.message.type : ''}`),
    ).toEqual(['persist:proposal', 'broadcast:proposal', 'persist:prevote', 'broadcast:prevote'])
    expect(m.proposeBlock(1n, 0, Y)).toEqual([]) // late answer: the round moved past its propose step
    expect(codeOf(() => started().proposeBlock(1n, 0, X))).toBe(SidechainErrorCode.invalidState) // not the proposer
    expect(codeOf(() => m.proposeBlock(1n, 0, NIL_HASH))).toBe(SidechainErrorCode.malformedMessage)
  })

  it('asks for a block it has not judged and prevotes only after the verdict', () => {
    const m = started()
    const a1 = m.receiveProposal(proposal(0, X))
    expect(a1).toEqual([{ type: 'needBlock', height: 1n, blockHash: X }])
    expect(myVotes(m.receiveBlock(1n, X, true))).toMatchObject([{ type: 'prevote', blockHash: X }])

    const n = started()
    n.receiveProposal(proposal(0, Y))
    expect(myVotes(n.receiveBlock(1n, Y, false))).toMatchObject([{ type: 'prevote', blockHash: NIL_HASH }])
  })

  it('decides a block it only knows from > 2/3 precommits once it fetched it (an equivocating proposer gave it another)', () => {
    const m = started()
    m.receiveProposal(proposal(0, Y), true)
    m.receiveVote(vote(others[0], 'precommit', 0, X))
    const a = m.receiveVote(vote(others[1], 'precommit', 0, X))
    expect(ofType(a, 'decide')).toEqual([])
    m.receiveVote(vote(others[2], 'precommit', 0, X))
    expect(ofType(m.receiveVote(vote(others[2], 'prevote', 0, X)), 'needBlock')).toEqual([])
    // asked once, when the quorum appeared
    const b = started()
    b.receiveVote(vote(others[0], 'precommit', 0, X))
    b.receiveVote(vote(others[1], 'precommit', 0, X))
    expect(b.receiveVote(vote(others[2], 'precommit', 0, X))).toContainEqual({
      type: 'needBlock',
      height: 1n,
      blockHash: X,
    })
    expect(ofType(b.receiveBlock(1n, X, true), 'decide')).toMatchObject([{ blockHash: X, round: 0 }])
    expect(ofType(m.receiveBlock(1n, X, true), 'decide')).toMatchObject([{ blockHash: X }])
  })

  it('walks the timeouts: nil prevote, nil precommit, next round with longer timeouts (L57, L61, L65)', () => {
    const m = started()
    expect(myVotes(m.timeout(1n, 0, 'propose'))).toMatchObject([{ type: 'prevote', blockHash: NIL_HASH }])
    m.receiveVote(vote(others[0], 'prevote', 0, X))
    expect(m.receiveVote(vote(others[1], 'prevote', 0, Y))).toEqual([
      { type: 'scheduleTimeout', height: 1n, round: 0, step: 'prevote', ms: 1000 }, // L34
    ])
    expect(myVotes(m.timeout(1n, 0, 'prevote'))).toMatchObject([{ type: 'precommit', blockHash: NIL_HASH }])
    expect(m.timeout(1n, 0, 'prevote')).toEqual([]) // stale
    const next = m.timeout(1n, 0, 'precommit')
    expect(next).toEqual([{ type: 'scheduleTimeout', height: 1n, round: 1, step: 'propose', ms: 3500 }])
    expect(m.state).toMatchObject({ round: 1, step: 'propose' })
    expect(m.timeout(1n, 0, 'propose')).toEqual([]) // an old round's timeout does nothing
    expect(m.timeout(2n, 1, 'propose')).toEqual([])
  })

  it('precommits nil at once on > 2/3 nil prevotes (L44)', () => {
    const m = started()
    m.timeout(1n, 0, 'propose')
    m.receiveVote(vote(others[0], 'prevote', 0, NIL_HASH))
    expect(myVotes(m.receiveVote(vote(others[1], 'prevote', 0, NIL_HASH)))).toMatchObject([
      { type: 'precommit', blockHash: NIL_HASH },
    ])
  })

  it('skips to a round where validators with > 1/3 of the power already are (L55), not on fewer', () => {
    const m = started()
    expect(m.receiveVote(vote(others[0], 'prevote', 2, NIL_HASH))).toEqual([])
    expect(m.state.round).toBe(0)
    const a = m.receiveVote(vote(others[1], 'precommit', 2, NIL_HASH))
    expect(a).toContainEqual({ type: 'scheduleTimeout', height: 1n, round: 2, step: 'propose', ms: 4000 })
    expect(m.state).toMatchObject({ round: 2, step: 'propose' })
  })

  it('follows as an observer without a key: decides, never signs', () => {
    const m = machine({}, 'observer')
    m.start(1n, set)
    const all = [
      ...m.receiveProposal(proposal(0, X), true),
      ...others.flatMap((v) => m.receiveVote(vote(v, 'prevote', 0, X))),
      ...others.flatMap((v) => m.receiveVote(vote(v, 'precommit', 0, X))),
    ]
    expect(ofType(all, 'broadcast')).toEqual([])
    expect(ofType(all, 'persist')).toEqual([])
    expect(ofType(all, 'decide')).toMatchObject([{ blockHash: X }])
  })
})

describe('hostile input changes nothing', () => {
  it('refuses strangers, forgeries, duplicates, wrong proposers and far rounds with typed errors', () => {
    const m = started({ maxFutureRounds: 5 })
    m.receiveProposal(proposal(0, X), true)
    m.receiveVote(vote(others[0], 'prevote', 0, X))
    const before = snapshot(m)
    const good = vote(others[1], 'prevote', 0, X)
    const cases: [() => unknown, string][] = [
      [() => m.receiveVote(vote(stranger, 'prevote', 0, X)), SidechainErrorCode.notValidator],
      [() => m.receiveVote({ ...good, validator: others[2].address }), SidechainErrorCode.badSignature],
      [() => m.receiveVote({ ...good, blockHash: Y }), SidechainErrorCode.badSignature],
      [() => m.receiveVote(vote(others[0], 'prevote', 0, X)), SidechainErrorCode.duplicateMessage],
      [() => m.receiveProposal(proposal(0, X), true), SidechainErrorCode.duplicateMessage],
      [
        () =>
          m.receiveProposal(
            signProposal(
              TEST_DOMAIN,
              { height: 1n, round: 0, polRound: -1, blockHash: Y },
              (others.find((v) => v !== proposerOf(0)) as TestValidator).signer,
            ),
            true,
          ),
        SidechainErrorCode.wrongProposer,
      ],
      [() => m.receiveVote(vote(others[1], 'prevote', 6, X)), SidechainErrorCode.wrongRound],
      [() => m.receiveVote(vote(others[1], 'prevote', 0, X, 3n)), SidechainErrorCode.wrongHeight],
      [() => m.receiveVote({ ...good, extra: 1 } as SignedVote), SidechainErrorCode.malformedMessage],
      [() => m.receiveVote(proposal(1, X) as unknown as SignedVote), SidechainErrorCode.malformedMessage],
      [() => m.receiveProposal(good as unknown as SignedProposal), SidechainErrorCode.malformedMessage],
      [() => m.receiveBlock(1n, '0x12' as Hex, true), SidechainErrorCode.malformedMessage],
    ]
    for (const [f, code] of cases) {
      expect(codeOf(f)).toBe(code)
      expect(snapshot(m)).toBe(before)
    }
    expect(codeOf(() => machine().receiveVote(good))).toBe(SidechainErrorCode.invalidState) // not started
    expect(codeOf(() => machine().start(1n))).toBe(SidechainErrorCode.invalidState) // first start needs the set
  })

  it('turns a double vote into evidence, once per slot; both votes count toward their blocks', () => {
    const m = started()
    const [a, b] = others
    m.receiveVote(vote(a, 'prevote', 0, X))
    const second = vote(a, 'prevote', 0, Y)
    const actions = m.receiveVote(second)
    const [evidence] = ofType(actions, 'evidence')
    expect(evidence?.evidence).toMatchObject({
      kind: 'duplicateVote',
      first: { blockHash: X },
      second: { blockHash: Y },
    })
    expect(
      verifyEvidence(TEST_DOMAIN, (evidence as Extract<ConsensusAction, { type: 'evidence' }>).evidence),
    ).toBe(a.address)
    expect(ofType(m.receiveVote(vote(a, 'prevote', 0, Z)), 'evidence')).toEqual([]) // already reported
    expect(codeOf(() => m.receiveVote(second))).toBe(SidechainErrorCode.duplicateMessage)
    // a's power counts for X and for Y (an honest node that saw Y first ends with the same view), once in the total
    m.receiveVote(vote(b, 'prevote', 0, Y))
    expect(m.messagesAt(0).prevotes.filter((v) => v.blockHash === Y)).toHaveLength(2)
    expect(m.state.step).toBe('propose')
  })

  it('bounds the conflicting votes one validator can make us keep', () => {
    const m = started({ maxEquivocationsPerValidator: 2 })
    const a = others[0]
    m.receiveVote(vote(a, 'prevote', 0, X))
    m.receiveVote(vote(a, 'prevote', 0, Y))
    m.receiveVote(vote(a, 'prevote', 0, Z))
    const before = snapshot(m)
    expect(codeOf(() => m.receiveVote(vote(a, 'prevote', 0, testBlockHash('W'))))).toBe(
      SidechainErrorCode.equivocationLimit,
    )
    expect(snapshot(m)).toBe(before)
    m.receiveVote(vote(others[1], 'prevote', 0, testBlockHash('W'))) // others are unaffected
  })

  it('turns two proposals of one proposer into evidence and acts on the first only', () => {
    const m = started()
    expect(myVotes(m.receiveProposal(proposal(0, X), true))).toMatchObject([{ blockHash: X }])
    const actions = m.receiveProposal(proposal(0, Y), true)
    expect(ofType(actions, 'evidence')).toMatchObject([{ evidence: { kind: 'duplicateProposal' } }])
    expect(myVotes(actions)).toEqual([])
    expect(codeOf(() => m.receiveProposal(proposal(0, Z), true))).toBe(SidechainErrorCode.duplicateMessage)
  })

  it('ignores past heights, buffers the next one (bounded, checked) and replays it at start', () => {
    const m = started({ maxBufferedPerValidator: 2 })
    const p2 = proposal(0, Y, -1, 2n)
    expect(m.receiveProposal(p2, true)).toEqual([])
    const v = others.find((o) => o.address !== p2.proposer) as TestValidator
    const pv = vote(v, 'prevote', 0, Y, 2n)
    expect(m.receiveVote(pv)).toEqual([])
    expect(codeOf(() => m.receiveVote(pv))).toBe(SidechainErrorCode.duplicateMessage)
    m.receiveVote(vote(v, 'precommit', 0, Y, 2n))
    expect(codeOf(() => m.receiveVote(vote(v, 'prevote', 1, Y, 2n)))).toBe(SidechainErrorCode.bufferFull)
    expect(codeOf(() => m.receiveVote(vote(stranger, 'prevote', 0, Y, 2n)))).toBe(
      SidechainErrorCode.notValidator,
    )
    expect(codeOf(() => m.receiveVote({ ...vote(others[1], 'prevote', 0, Y, 2n), blockHash: Z }))).toBe(
      SidechainErrorCode.badSignature,
    )
    expect(codeOf(() => m.receiveVote(vote(others[1], 'prevote', 65, Y, 2n)))).toBe(
      SidechainErrorCode.wrongRound,
    )
    expect(m.state.height).toBe(1n)
    // height 1 ends (any way); height 2 starts with its buffered proposal and votes
    for (const v of others) m.receiveVote(vote(v, 'precommit', 0, X))
    m.receiveBlock(1n, X, true)
    expect(m.state.decided).toBe(true)
    const replayed = m.start(2n)
    expect(myVotes(replayed)).toMatchObject([{ type: 'prevote', height: 2n, round: 0, blockHash: Y }])
    expect(m.messagesAt(0).prevotes.map((x) => x.validator)).toContain(v.address)
    expect(m.receiveVote(vote(others[1], 'prevote', 0, X, 1n))).toEqual([]) // the past: ignored
  })
})

describe('locking (d)', () => {
  /** Round 0: X proposed, me and two others prevote X (me locks X), precommits split; then round 1. */
  function lockedOnXInRound0(): ConsensusMachine {
    const m = started()
    m.receiveProposal(proposal(0, X), true)
    m.receiveVote(vote(others[0], 'prevote', 0, X))
    m.receiveVote(vote(others[1], 'prevote', 0, X))
    expect(m.state).toMatchObject({ lockedValue: X, lockedRound: 0 })
    m.receiveVote(vote(others[0], 'precommit', 0, NIL_HASH))
    m.receiveVote(vote(others[1], 'precommit', 0, NIL_HASH))
    m.timeout(1n, 0, 'precommit')
    expect(m.state).toMatchObject({ round: 1, step: 'propose' })
    return m
  }

  it('a locked node prevotes nil for another block proposed without a proof of lock', () => {
    const m = lockedOnXInRound0()
    expect(myVotes(m.receiveProposal(proposal(1, Y), true))).toMatchObject([
      { type: 'prevote', round: 1, blockHash: NIL_HASH },
    ])
    expect(m.state).toMatchObject({ lockedValue: X, lockedRound: 0 })
  })

  it('still prevotes its locked block when it is proposed again', () => {
    const m = lockedOnXInRound0()
    expect(myVotes(m.receiveProposal(proposal(1, X, 0), true))).toMatchObject([{ round: 1, blockHash: X }])
  })

  it('waits for the proof of lock a re-proposal claims, and prevotes the new block once > 2/3 prevoted it then', () => {
    const m = lockedOnXInRound0()
    m.receiveProposal(proposal(1, Y), true) // prevote nil in round 1
    m.timeout(1n, 1, 'prevote')
    m.timeout(1n, 1, 'precommit')
    expect(m.state).toMatchObject({ round: 2, step: 'propose' })
    // round 2 re-proposes Y claiming a proof of lock in round 1 that this node has not seen
    expect(myVotes(m.receiveProposal(proposal(2, Y, 1), true))).toEqual([])
    expect(m.state.step).toBe('propose')
    expect(myVotes(m.receiveVote(vote(others[0], 'prevote', 1, Y)))).toEqual([])
    expect(myVotes(m.receiveVote(vote(others[1], 'prevote', 1, Y)))).toEqual([])
    // the third prevote makes > 2/3 for Y in round 1 ≥ our lock round 0: the lock may move
    expect(myVotes(m.receiveVote(vote(others[2], 'prevote', 1, Y)))).toMatchObject([
      { type: 'prevote', round: 2, blockHash: Y },
    ])
  })

  it('refuses a proof of lock older than its own lock', () => {
    const m = started()
    // round 0 goes by with nil; > 2/3 of the others prevoted Y in round 0, but we learn it only later
    m.timeout(1n, 0, 'propose')
    m.timeout(1n, 0, 'prevote')
    m.timeout(1n, 0, 'precommit')
    // round 1: lock on X
    m.receiveProposal(proposal(1, X), true)
    m.receiveVote(vote(others[0], 'prevote', 1, X))
    m.receiveVote(vote(others[1], 'prevote', 1, X))
    expect(m.state).toMatchObject({ lockedValue: X, lockedRound: 1 })
    m.timeout(1n, 1, 'precommit')
    for (const v of others) m.receiveVote(vote(v, 'prevote', 0, Y))
    // round 2: Y with its (real) proof of lock from round 0 < our lock round 1
    expect(myVotes(m.receiveProposal(proposal(2, Y, 0), true))).toMatchObject([
      { type: 'prevote', round: 2, blockHash: NIL_HASH },
    ])
  })
})

describe('restart without double signing (e)', () => {
  /** A node that prevoted X in round 0 (and maybe more), and what it persisted. */
  function beforeCrash(moreSteps = false): { persisted: ConsensusMessage[] } {
    const m = started()
    const actions = [...m.receiveProposal(proposal(0, X), true)]
    if (moreSteps) {
      actions.push(...m.receiveVote(vote(others[0], 'prevote', 0, X)))
      actions.push(...m.receiveVote(vote(others[1], 'prevote', 0, X)))
    }
    expectPersistedFirst(actions)
    const persisted = ofType(actions, 'persist').map((a) => a.message)
    expect(persisted).toEqual(m.ownMessages())
    return { persisted }
  }

  it('restores round, step and lock from the persisted messages and re-sends them', () => {
    const { persisted } = beforeCrash(true)
    const m = machine()
    const actions = m.restore({ height: 1n, validators: set, ownMessages: persisted })
    expect(m.state).toMatchObject({ height: 1n, round: 0, step: 'precommit', lockedValue: X, lockedRound: 0 })
    expect(ofType(actions, 'persist')).toEqual([])
    expect(ofType(actions, 'broadcast').map((a) => a.message)).toEqual(persisted)
    expect(actions).toContainEqual({
      type: 'scheduleTimeout',
      height: 1n,
      round: 0,
      step: 'precommit',
      ms: 1000,
    })
    // the lock survives the restart: another block without proof of lock gets nil
    m.timeout(1n, 0, 'precommit')
    expect(myVotes(m.receiveProposal(proposal(1, Y), true))).toMatchObject([
      { round: 1, blockHash: NIL_HASH },
    ])
  })

  it('a restored node never signs a second, different vote for a (height, round, type) it signed', () => {
    const { persisted } = beforeCrash()
    const m = machine()
    const all: ConsensusAction[] = [...m.restore({ height: 1n, validators: set, ownMessages: persisted })]
    expect(m.state).toMatchObject({ round: 0, step: 'prevote' })
    // a (Byzantine) proposer now shows it Y; the propose timeout fires late; > 2/3 prevote nil
    all.push(...m.receiveProposal(proposal(0, Y), true))
    all.push(...m.timeout(1n, 0, 'propose'))
    all.push(...m.receiveVote(vote(others[0], 'prevote', 0, NIL_HASH)))
    all.push(...m.receiveVote(vote(others[1], 'prevote', 0, NIL_HASH)))
    all.push(...m.receiveVote(vote(others[2], 'prevote', 0, NIL_HASH)))
    const prevotes = myVotes(all).filter((v) => v.type === 'prevote' && v.round === 0)
    expect(prevotes.length).toBeGreaterThan(0)
    for (const v of prevotes) expect(v).toEqual(persisted[0]) // only ever the persisted X prevote
    expect(ofType(all, 'persist').map((a) => a.message.type)).toEqual(['precommit']) // a new type is fine
  })

  it('a node that lost its journal but hears its own vote back keeps to it instead of signing another', () => {
    const { persisted } = beforeCrash()
    const m = started() // no restore: the journal is gone
    m.receiveVote(persisted[0] as SignedVote) // gossip brings our own prevote back
    const actions = m.timeout(1n, 0, 'propose') // would be a nil prevote
    expect(myVotes(actions)).toEqual([persisted[0]])
    expect(ofType(actions, 'persist')).toEqual([])
  })

  it('refuses to restore inconsistent data', () => {
    const { persisted } = beforeCrash()
    const conflicting = vote(me, 'prevote', 0, Y)
    expect(
      codeOf(() =>
        machine().restore({ height: 1n, validators: set, ownMessages: [...persisted, conflicting] }),
      ),
    ).toBe(SidechainErrorCode.invalidState)
    expect(
      codeOf(() =>
        machine().restore({ height: 1n, validators: set, ownMessages: [vote(others[0], 'prevote', 0, X)] }),
      ),
    ).toBe(SidechainErrorCode.invalidState)
    expect(codeOf(() => machine().restore({ height: 2n, validators: set, ownMessages: persisted }))).toBe(
      SidechainErrorCode.invalidState,
    )
    expect(codeOf(() => started().restore({ height: 1n, validators: set, ownMessages: persisted }))).toBe(
      SidechainErrorCode.invalidState,
    )
    expect(
      codeOf(() => machine({}, 'observer').restore({ height: 1n, validators: set, ownMessages: [] })),
    ).toBe(SidechainErrorCode.invalidState)
    // the same message twice is harmless
    machine().restore({ height: 1n, validators: set, ownMessages: [...persisted, ...persisted] })
  })

  it('a restored proposer re-proposes nothing new in a round it proposed', () => {
    const proposer = proposerOf(0)
    const m = machine({}, proposer)
    m.start(1n, set)
    const persisted = ofType(m.proposeBlock(1n, 0, X), 'persist').map((a) => a.message)
    const r = machine({}, proposer)
    const actions = r.restore({ height: 1n, validators: set, ownMessages: persisted })
    expect(ofType(actions, 'persist')).toEqual([])
    expect(ofType(actions, 'requestBlock')).toEqual([])
    expect(r.state).toMatchObject({ step: 'prevote' })
  })

  it('a restored proposer refuses to propose a different block in a round it proposed', () => {
    const proposer = proposerOf(1)
    // it had re-proposed X in round 1 with a proof of lock from round 0 (whose prevotes it no longer has)
    const persisted = signProposal(
      TEST_DOMAIN,
      { height: 1n, round: 1, polRound: 0, blockHash: X },
      proposer.signer,
    )
    const r = machine({}, proposer)
    r.restore({ height: 1n, validators: set, ownMessages: [persisted] })
    expect(r.state).toMatchObject({ round: 1, step: 'propose' }) // waiting for the proof of lock
    expect(codeOf(() => r.proposeBlock(1n, 1, Y))).toBe(SidechainErrorCode.doubleSignRefused)
    const again = r.proposeBlock(1n, 1, X)
    expect(again).toEqual([{ type: 'broadcast', message: persisted }]) // the same proposal, not signed again
  })
})

describe('commit certificates', () => {
  it('verifyCommit refuses short, mixed or duplicated certificates', () => {
    const commit = others.map((v) => vote(v, 'precommit', 2, X)) as [SignedVote, SignedVote, SignedVote]
    expect(verifyCommit(TEST_DOMAIN, set, 1n, X, commit)).toBe(2)
    const bad = (c: SignedVote[], hash: Hex = X) => codeOf(() => verifyCommit(TEST_DOMAIN, set, 1n, hash, c))
    expect(bad(commit.slice(0, 2))).toBe(SidechainErrorCode.invalidCommit)
    expect(bad([commit[0], commit[0], commit[1]])).toBe(SidechainErrorCode.invalidCommit)
    expect(bad([...commit.slice(0, 2), vote(others[2], 'precommit', 1, X)])).toBe(
      SidechainErrorCode.invalidCommit,
    )
    expect(bad([...commit.slice(0, 2), vote(others[2], 'prevote', 2, X)])).toBe(
      SidechainErrorCode.invalidCommit,
    )
    expect(bad(commit, Y)).toBe(SidechainErrorCode.invalidCommit)
    expect(bad([])).toBe(SidechainErrorCode.invalidCommit)
    expect(bad([...commit.slice(0, 2), { ...commit[2], blockHash: X, validator: others[0].address }])).toBe(
      SidechainErrorCode.invalidCommit,
    )
    expect(bad([...commit.slice(0, 2), { ...commit[2], signature: commit[0].signature }])).toBe(
      SidechainErrorCode.badSignature,
    )
    expect(bad([...commit.slice(0, 2), vote(stranger, 'precommit', 2, X)])).toBe(
      SidechainErrorCode.notValidator,
    )
  })
})
