/**
 * State channels: the channel graph (nodes A, B, C; capacities and each side's balance), channel updates per second,
 * the watchtower, the latest ChannelHub event on L1, and channels closing on L1 with their dispute-window countdown
 * and a settle button (ChannelHub.settle with the state the close published, through the SDK's checked L1 write).
 */
import type { Address, Hex } from 'viem'
import { channelHubAbi } from '../../../src/generated/contracts.ts'
import { writeContractChecked } from '../../../src/sdk/l1Tx.ts'
import type { ChannelsSummary } from '../config.ts'
import { eth, h } from '../dom.ts'
import { type Ctx, EventScanner, Panel, type PendingItem } from '../panel.ts'
import { RateWindow } from '../rate.ts'
import { rpc } from '../rpc.ts'

type ChannelJson = {
  channelId: Hex
  peer: string | null
  side: 'A' | 'B'
  total: string
  local: string
  remote: string
  balanceA: string
  balanceB: string
  seq: string
  pendingHtlcs: number
  l1?: string
}
type Edge = { channelId: Hex; from: string; to: string; capacity: string }
type Htlc = { direction: number; amount: bigint; paymentHash: Hex; expiry: bigint }

const SVG = 'http://www.w3.org/2000/svg'
const key = (nodeId: string) => nodeId.toLowerCase().replace(/^0x/, '')

export class ChannelsPanel extends Panel {
  readonly #s: ChannelsSummary
  readonly #hub: EventScanner
  readonly #rate = new RateWindow()
  /** Highest sequence number seen per channel: each update raises it by one. */
  readonly #seq = new Map<string, bigint>()
  readonly #graph: HTMLElement

  constructor(ctx: Ctx, s: ChannelsSummary) {
    super('channels', 'State channels', ctx)
    this.#s = s
    this.#hub = new EventScanner(ctx.wallet.publicClient, s.contracts.hub, channelHubAbi)
    this.#graph = h('div', { 'data-field': 'graph' })
    this.body.append(h('h3', {}, 'Channel graph'), this.#graph)
  }

  async poll(): Promise<void> {
    const nodes = await Promise.all(
      this.#s.nodes.map(async (n) => {
        try {
          return { ...n, channels: await rpc<ChannelJson[]>(n.rpc, 'channels_list'), down: undefined }
        } catch (err) {
          return { ...n, channels: [] as ChannelJson[], down: err }
        }
      }),
    )
    const live = nodes.filter((n) => n.down === undefined)
    if (live.length === 0) throw nodes[0]?.down ?? new Error('no channel node configured')
    const edges = await rpc<Edge[]>(live[0]?.rpc ?? '', 'channels_graph')
    let updates = 0n
    for (const n of live)
      for (const c of n.channels) {
        const seq = BigInt(c.seq)
        const before = this.#seq.get(c.channelId)
        if (before !== undefined && seq > before) updates += seq - before
        if (before === undefined || seq > before) this.#seq.set(c.channelId, seq)
      }
    this.#rate.add(Number(updates))
    const tower = await rpc<{ watching: number; penalties: unknown[] }>(
      this.#s.watchtower.rpc,
      'tower_status',
    ).catch(() => undefined)
    await this.#hub.scan()
    this.field('head', 'channels', String(this.#seq.size))
    this.field('tps', 'channel updates/s', this.#rate.perSecond().toFixed(1))
    this.field('txs-seen', 'updates since page opened', this.#rate.total)
    this.field(
      'nodes',
      'nodes',
      nodes.map((n) => `${n.name} ${n.down === undefined ? 'up' : 'DOWN'}`).join(', '),
    )
    this.field(
      'tower',
      'watchtower',
      tower === undefined ? 'down' : `watching ${tower.watching}, ${tower.penalties.length} penalties sent`,
    )
    this.#drawGraph(nodes, edges)
    const last = this.#hub.last(
      'ChannelOpened',
      'ChannelClosing',
      'ChannelDisputed',
      'ChannelSettled',
      'ChannelClosedCooperatively',
      'ChannelPenalized',
    )
    this.l1Commitment(
      'Latest channel event on L1',
      last && {
        what: `${last.eventName} ${String(last.args.channelId).slice(0, 12)}…`,
        txHash: last.transactionHash,
        block: last.blockNumber,
      },
    )
    this.pending('Channels closing on L1', this.#closing())
  }

  #closing(): PendingItem[] {
    const opened = new Map<string, Record<string, unknown>>()
    const closing = new Map<string, Record<string, unknown>>()
    for (const l of this.#hub.logs) {
      const id = String(l.args.channelId)
      if (l.eventName === 'ChannelOpened') opened.set(id, l.args)
      else if (l.eventName === 'ChannelClosing' || l.eventName === 'ChannelDisputed') closing.set(id, l.args)
      else if (l.eventName !== 'PayoutCredited' && l.eventName !== 'Withdrawn') closing.delete(id)
    }
    const items: PendingItem[] = []
    for (const [id, c] of closing) {
      const o = opened.get(id)
      const deadline = Number(c.deadline as bigint)
      const ready = deadline <= this.ctx.l1Now()
      items.push({
        id,
        what: `${id.slice(0, 12)}…: A ${eth(c.balanceA as bigint)}, B ${eth(c.balanceB as bigint)}`,
        status: ready ? 'dispute window over: settle pays both sides' : 'in dispute window',
        readyAt: deadline,
        claimable: ready && o !== undefined,
        ...(o === undefined
          ? {}
          : {
              claim: async (l1): Promise<Hex> =>
                (
                  await writeContractChecked(l1, {
                    address: this.#s.contracts.hub,
                    abi: channelHubAbi,
                    functionName: 'settle',
                    args: [
                      {
                        partyA: o.partyA as Address,
                        partyB: o.partyB as Address,
                        token: o.token as Address,
                        total: o.total as bigint,
                        disputeWindow: o.disputeWindow as bigint,
                        nonce: o.nonce as bigint,
                      },
                      c.balanceA as bigint,
                      c.balanceB as bigint,
                      (c.htlcs as readonly Htlc[]).map((x) => ({ ...x })),
                    ],
                    what: 'channel settle',
                  })
                ).hash,
            }),
      })
    }
    return items
  }

  /** Nodes on a circle, one line per channel labelled with its capacity and both balances. */
  #drawGraph(
    nodes: { name: string; nodeId: string; channels: ChannelJson[]; down: unknown }[],
    edges: Edge[],
  ): void {
    const width = 440
    const height = 180
    const svg = document.createElementNS(SVG, 'svg')
    svg.setAttribute('class', 'graph')
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`)
    svg.setAttribute('width', String(width))
    svg.setAttribute('height', String(height))
    const at = new Map<string, { x: number; y: number; name: string }>()
    nodes.forEach((n, i) => {
      const x = 40 + (i * (width - 80)) / Math.max(1, nodes.length - 1)
      const y = i % 2 === 0 ? 30 : 150
      at.set(key(n.nodeId), { x, y, name: n.name })
    })
    const balances = new Map<string, ChannelJson>()
    for (const n of nodes) for (const c of n.channels) balances.set(c.channelId, c)
    const el = (tag: string, attrs: Record<string, string | number>, text?: string) => {
      const e = document.createElementNS(SVG, tag)
      for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v))
      if (text !== undefined) e.textContent = text
      svg.append(e)
      return e
    }
    // the graph has one edge per direction (capacity = what that side can send): one line per channel
    const byChannel = new Map<string, Edge[]>()
    for (const e of edges) byChannel.set(e.channelId, [...(byChannel.get(e.channelId) ?? []), e])
    for (const [channelId, dirs] of byChannel) {
      const first = dirs[0] as Edge
      const a = at.get(key(first.from))
      const b = at.get(key(first.to))
      if (a === undefined || b === undefined) continue
      el('line', {
        x1: a.x,
        y1: a.y,
        x2: b.x,
        y2: b.y,
        stroke: '#8c959f',
        'stroke-width': 3,
        'data-channel': channelId,
      })
      const c = balances.get(channelId)
      const mx = (a.x + b.x) / 2
      const my = (a.y + b.y) / 2
      // one line per direction (what that side can still send), then what the channel locks
      const texts = dirs.map(
        (d) => `${at.get(key(d.from))?.name ?? '?'}→${at.get(key(d.to))?.name ?? '?'} ${eth(d.capacity)}`,
      )
      if (c !== undefined) texts.push(`locked ${eth(c.total)}, seq ${c.seq}`)
      texts.forEach((text, k) => {
        const attrs = { x: mx, y: my - 8 + k * 13, 'text-anchor': 'middle' }
        el(
          'text',
          k < dirs.length ? { ...attrs, 'data-field': 'capacity' } : { ...attrs, fill: '#57606a' },
          text,
        )
      })
    }
    for (const n of nodes) {
      const p = at.get(key(n.nodeId))
      if (p === undefined) continue
      el('circle', { cx: p.x, cy: p.y, r: 16, fill: n.down === undefined ? '#0969da' : '#cf222e' })
      el('text', { x: p.x, y: p.y + 4, 'text-anchor': 'middle', fill: '#fff', 'font-weight': 'bold' }, n.name)
    }
    this.#graph.replaceChildren(svg)
  }
}
