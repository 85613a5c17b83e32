/**
 * The critical path of a 2-hop invoice payment A → B → C on real nodes (BOLT 8 links, LMDB stores on disk),
 * counted rather than timed, so it holds on any machine: every peer message sent and every LMDB commit (one fsync
 * each) until `payInvoice` resolves. What it pins (docs/channels.md, "Payments over several hops"):
 * - eight messages in a row carry the payment: the add on each hop (update, ack, revoke), then C's fulfil, which B
 *   passes upstream as soon as it is stored, without waiting for the rest of the B–C update;
 * - the payer resolves as soon as the fulfil (its preimage) is stored: it does not wait for the rest of the A–B
 *   update either;
 * - one LMDB commit per message handled: the payment and its onion secrets ride the proposal's commit, the forward
 *   record rides the outgoing HTLC's proposal, which rides the commit of the revocation that made the incoming HTLC
 *   irrevocable; the upstream fulfil rides the commit of the downstream fulfil; so 9 commits in a row (A 3, B 4, C 2).
 * The bench (`l2kit channels bench`) times the same path.
 */
import { parseEther } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ChannelNode } from '../../../src/channels/node.ts'
import type { WireMessage } from '../../../src/channels/protocol/wire.ts'
import { type ChannelsL1, key, setUp } from './l1Fixture.ts'

let env: ChannelsL1
let nodes: { a: ChannelNode; b: ChannelNode; c: ChannelNode }
type Name = keyof typeof nodes
type Event = { kind: 'send'; from: Name; to: Name; type: string } | { kind: 'commit'; node: Name }
let trace: Event[] | null = null

const nameOf = (nodeId: string): Name =>
  (Object.entries(nodes).find(([, n]) => n.nodeId === nodeId)?.[0] ?? '?') as Name

/** Records the node's sends and its store's commits into `trace` while a trace is open (test instrumentation). */
function instrument(name: Name, node: ChannelNode): void {
  const internals = node as unknown as {
    send(peerId: string, message: WireMessage): void
    store: { root: { on(event: 'aftercommit', f: () => void): void } }
  }
  const send = internals.send.bind(node)
  internals.send = (peerId, message) => {
    trace?.push({ kind: 'send', from: name, to: nameOf(peerId), type: message.type })
    send(peerId, message)
  }
  internals.store.root.on('aftercommit', () => trace?.push({ kind: 'commit', node: name }))
}

beforeAll(async () => {
  env = await setUp('latency')
  // no L1 polling during the payments: its cursor writes would be commits of their own
  const opts = { registry: env.registry, l1PollMs: 600_000 }
  nodes = {
    a: await env.node('a', key(1), opts),
    b: await env.node('b', key(2), opts),
    c: await env.node('c', key(3), opts),
  }
  await nodes.a.start()
  const bAddress = await nodes.b.start()
  const cAddress = await nodes.c.start()
  await nodes.a.connect(bAddress)
  await nodes.b.connect(cAddress)
  await nodes.a.openChannel({ peer: nodes.b.nodeId, amount: parseEther('10') })
  await nodes.b.openChannel({ peer: nodes.c.nodeId, amount: parseEther('10') })
  for (let i = 0; i < 200 && nodes.a.graphEdges().length < 4; i++) await new Promise((r) => setTimeout(r, 25))
  for (const [name, node] of Object.entries(nodes)) instrument(name as Name, node)
}, 120_000)

afterAll(async () => {
  await Promise.all(Object.values(nodes ?? {}).map((n) => n.stop()))
  await env?.tearDown()
})

/** Pays one invoice C issued; returns what happened until payInvoice resolved, and the milliseconds it took. */
async function tracedPayment(): Promise<{ events: Event[]; ms: number }> {
  const invoice = await nodes.c.createInvoice({ amount: 1_000_000_000n })
  await new Promise((r) => setTimeout(r, 20)) // the invoice's own commit is done
  trace = []
  const t = performance.now()
  await nodes.a.payInvoice(invoice)
  const ms = performance.now() - t
  const events = trace
  trace = null
  // let the rest of both updates finish before the next payment
  await new Promise((r) => setTimeout(r, 50))
  return { events, ms }
}

describe('2-hop payment latency: the critical path', () => {
  it('is 8 messages and 9 LMDB commits in a row; B passes the fulfil upstream at once, A resolves on the stored preimage', async () => {
    await tracedPayment() // warm-up
    const { events, ms } = await tracedPayment()
    const label = (e: Event) => (e.kind === 'send' ? `${e.from}→${e.to} ${e.type}` : `${e.node} commit`)
    console.log(`2-hop payment in ${ms.toFixed(1)} ms:\n  ${events.map(label).join('\n  ')}`)
    // C finishing the B–C fulfil (storing B's ack, sending its revocation) runs beside A's last step, off the path:
    // B passed the fulfil upstream without waiting for it
    const ackToC = events.findIndex((e) => label(e) === 'b→c ack')
    const upstream = events.findIndex((e) => label(e) === 'b→a update')
    const revokeFromC = events.findIndex((e) => label(e) === 'c→b revoke')
    expect(upstream).toBeGreaterThan(ackToC)
    if (revokeFromC >= 0) expect(revokeFromC).toBeGreaterThan(upstream)
    // after B's ack to C, the rest of the B–C exchange (C storing the ack and revoking, B storing that revocation)
    // runs beside the path and may interleave with A's last step in any order: only A's side is the path
    const onPath = (e: Event) => label(e) === 'b→a update' || (e.kind === 'commit' ? e.node === 'a' : e.from === 'a')
    const path = events.filter((e, i) => i <= ackToC || onPath(e)).map(label)
    // one commit per message handled, each before the message it allows is sent: 8 messages and 9 commits in a row
    expect(path).toEqual([
      'a commit', // the proposal + the payment and its onion secrets
      'a→b update', // add, A–B
      'b commit',
      'b→a ack',
      'a commit',
      'a→b revoke', // the HTLC is irrevocable at B: it forwards
      'b commit', // A's revocation + B's forward record + B's proposal to C
      'b→c update', // add, B–C
      'c commit',
      'c→b ack',
      'b commit',
      'b→c revoke', // irrevocable at C: it fulfils
      'c commit', // B's revocation + C's fulfil proposal
      'c→b update', // fulfil, B–C
      'b commit', // C's fulfil with the preimage + B's fulfil proposal to A
      'b→c ack',
      'b→a update', // fulfil, A–B
      'a commit', // the fulfil with the preimage + the payment's status
      'a→b ack', // payInvoice resolves now, before B's revocation comes back
    ])
  }, 60_000)

  it('times 30 payments one at a time (reported, not asserted: the bench measures it)', async () => {
    const lat: number[] = []
    for (let i = 0; i < 30; i++) lat.push((await tracedPayment()).ms)
    lat.sort((x, y) => x - y)
    console.log(`2-hop payments: p50 ${lat[15]?.toFixed(1)} ms, max ${lat[29]?.toFixed(1)} ms`)
    const a = nodes.a.channels()[0]
    expect(a?.state.htlcs).toEqual([])
    expect((a?.state.balanceB ?? 0n) > 0n).toBe(true)
  }, 60_000)
})
