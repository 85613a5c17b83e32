/**
 * One card per family (and one for the L1): a status badge (up, or down with the reason), live fields, the latest
 * commitment on L1, a family-specific body, and the pending withdrawals or exits with a countdown and a claim button.
 * A panel's `poll` throws when its node is unreachable; the loop in main.ts then marks it down and keeps going.
 */
import type { Abi, Address, Hex } from 'viem'
import type { AnyPublicClient } from '../../src/sdk/types.ts'
import type { DashboardConfig } from './config.ts'
import { duration, h, short } from './dom.ts'
import { reason } from './rpc.ts'
import type { L1Clients, Wallet } from './wallet.ts'

export type Ctx = {
  config: DashboardConfig
  wallet: Wallet
  /** L1 time as the next block will see it (seconds): an idle automining anvil's head can lag the clock. */
  l1Now(): number
}

export type PendingItem = {
  id: string
  what: string
  status: string
  /** When it becomes claimable (L1 seconds); a countdown runs to it. */
  readyAt?: number
  claimable: boolean
  /** Sends the claim on L1; resolves to its transaction hash. */
  claim?: (l1: L1Clients) => Promise<Hex>
}

type ClaimState = { state: 'claiming' | 'claimed' | 'failed'; text: string; what: string; hash?: Hex }

export abstract class Panel {
  readonly family: string
  readonly root: HTMLElement
  protected readonly ctx: Ctx
  readonly #badge: HTMLElement
  readonly #reason: HTMLElement
  readonly #fields: HTMLElement
  readonly #l1: HTMLElement
  protected readonly body: HTMLElement
  readonly #pending: HTMLElement
  readonly #claims = new Map<string, ClaimState>()
  #items: PendingItem[] = []
  #title = 'Pending'

  constructor(family: string, title: string, ctx: Ctx, extra: Node[] = []) {
    this.family = family
    this.ctx = ctx
    this.#badge = h('span', { class: 'badge', 'data-field': 'status' }, 'connecting')
    this.#reason = h('p', { class: 'reason', 'data-field': 'down-reason', hidden: true })
    this.#fields = h('dl', { class: 'fields' })
    this.#l1 = h('div', { 'data-section': 'l1' })
    this.body = h('div', { 'data-section': 'body' })
    this.#pending = h('div', { 'data-section': 'pending' })
    this.root = h(
      'section',
      { class: 'card', 'data-family': family },
      h('h2', {}, title, this.#badge, ...extra),
      this.#reason,
      this.#fields,
      this.#l1,
      this.body,
      this.#pending,
    )
  }

  abstract poll(): Promise<void>

  setUp(): void {
    this.#badge.textContent = 'up'
    this.#badge.className = 'badge up'
    this.root.dataset.status = 'up'
    this.#reason.hidden = true
  }

  setDown(err: unknown): void {
    this.#badge.textContent = 'down'
    this.#badge.className = 'badge down'
    this.root.dataset.status = 'down'
    this.#reason.hidden = false
    this.#reason.textContent = `down: ${reason(err)}`
  }

  /** Sets (or adds) one live field; `data-field` lets tests and scripts read it. */
  field(name: string, label: string, value: string | number | Node): void {
    let dd = this.#fields.querySelector<HTMLElement>(`dd[data-field="${name}"]`)
    if (dd === null) {
      dd = h('dd', { 'data-field': name })
      this.#fields.append(h('dt', {}, label), dd)
    }
    if (typeof value === 'object') dd.replaceChildren(value)
    else if (dd.textContent !== String(value)) dd.textContent = String(value)
  }

  /** The latest commitment on L1: what it is, its transaction, its blob versioned hashes. */
  l1Commitment(
    title: string,
    c: { what: string; txHash: Hex; block: bigint; blobHashes?: readonly Hex[] } | undefined,
  ): void {
    if (c === undefined) {
      this.#l1.replaceChildren(h('h3', {}, title), h('p', { class: 'muted' }, 'nothing on L1 yet'))
      return
    }
    const blobs = c.blobHashes ?? []
    this.#l1.replaceChildren(
      h('h3', {}, title),
      h(
        'dl',
        { class: 'fields', 'data-field': 'l1-commitment' },
        h('dt', {}, 'what'),
        h('dd', { 'data-field': 'l1-what' }, c.what),
        h('dt', {}, 'L1 tx'),
        h('dd', { 'data-field': 'l1-tx' }, short(c.txHash)),
        h('dt', {}, 'L1 block'),
        h('dd', {}, c.block.toString()),
        h('dt', {}, 'blobs'),
        h(
          'dd',
          { 'data-field': 'l1-blobs' },
          blobs.length === 0 ? 'none (calldata)' : h('span', {}, ...blobs.flatMap((b) => [short(b), ' '])),
        ),
      ),
    )
  }

  /** The pending withdrawals or exits; claim buttons keep their state across polls. */
  pending(title: string, live: PendingItem[], empty = 'none pending'): void {
    this.#items = live
    this.#title = title
    // what this page claimed stays listed (with its L1 transaction) after the node stops reporting it pending
    const items = [...live]
    for (const [id, c] of this.#claims)
      if (c.state === 'claimed' && !live.some((x) => x.id === id))
        items.push({ id, what: c.what, status: 'paid on L1', claimable: false })
    if (items.length === 0) {
      this.#pending.replaceChildren(
        h('h3', {}, title),
        h('p', { class: 'muted', 'data-field': 'pending-empty' }, empty),
      )
      return
    }
    const rows = items.map((it) => {
      const claim = this.#claims.get(it.id)
      const button = h(
        'button',
        { 'data-action': 'claim', disabled: !it.claimable || claim?.state === 'claiming' },
        'Claim',
      )
      button.addEventListener('click', () => void this.#claim(it.id))
      return h(
        'tr',
        { 'data-pending': it.id },
        h('td', {}, it.what),
        h('td', { 'data-field': 'pending-status' }, it.status),
        h(
          'td',
          {
            'data-field': 'countdown',
            'data-ready-at': it.readyAt === undefined ? undefined : String(it.readyAt),
          },
          countdownText(it, this.ctx.l1Now()),
        ),
        h(
          'td',
          {},
          it.claim ? button : '',
          claim
            ? h(
                'div',
                {
                  'data-field': 'claim-result',
                  'data-tx': claim.hash,
                  class: `claim-result ${claim.state === 'failed' ? 'error' : 'muted'}`,
                },
                claim.text,
                claim.hash ? short(claim.hash) : '',
              )
            : '',
        ),
      )
    })
    this.#pending.replaceChildren(
      h('h3', {}, title),
      h(
        'table',
        {},
        h('tr', {}, h('th', {}, 'what'), h('th', {}, 'status'), h('th', {}, 'countdown'), h('th', {}, '')),
        ...rows,
      ),
    )
  }

  /** Once a second: the countdowns move without waiting for the next poll. */
  tick(): void {
    const now = this.ctx.l1Now()
    for (const td of this.#pending.querySelectorAll<HTMLElement>('td[data-field="countdown"]')) {
      const at = td.dataset.readyAt
      if (at !== undefined) td.textContent = Number(at) > now ? duration(Number(at) - now) : 'ready'
    }
  }

  async #claim(id: string): Promise<void> {
    const item = this.#items.find((x) => x.id === id)
    if (item?.claim === undefined) return
    this.#claims.set(id, { state: 'claiming', text: 'claiming…', what: item.what })
    this.pending(this.#title, this.#items)
    try {
      const clients = await this.ctx.wallet.l1Clients()
      const hash = await item.claim(clients)
      this.#claims.set(id, { state: 'claimed', text: 'claimed in ', hash, what: item.what })
    } catch (err) {
      this.#claims.set(id, { state: 'failed', text: `claim failed: ${reason(err)}`, what: item.what })
    }
    this.pending(this.#title, this.#items)
  }
}

function countdownText(it: PendingItem, now: number): string {
  if (it.readyAt === undefined) return it.claimable ? 'ready' : '—'
  return it.readyAt > now ? duration(it.readyAt - now) : 'ready'
}

type DecodedLog = {
  eventName: string
  args: Record<string, unknown>
  transactionHash: Hex
  blockNumber: bigint
  logIndex: number
}

/**
 * Follows one contract's events (on L1, or on an EVM L2) with `getLogs`, a block range at a time from where it stopped. (A devnet does
 * not reorg under the page; after a reorg a reload re-reads everything.)
 */
export class EventScanner {
  readonly #client: AnyPublicClient
  readonly #address: Address
  readonly #abi: Abi
  #from: bigint
  #scanned = false
  readonly logs: DecodedLog[] = []

  constructor(client: AnyPublicClient, address: Address, abi: Abi, fromBlock = 0n) {
    this.#client = client
    this.#address = address
    this.#abi = abi
    this.#from = fromBlock
  }

  /** Where the first scan starts (a contract's deploy block); ignored once scanning began. */
  set fromBlock(block: bigint) {
    if (!this.#scanned) this.#from = block
  }

  /** Reads the logs since the last call; returns the new ones (also kept in `logs`). */
  async scan(): Promise<DecodedLog[]> {
    const client = this.#client
    const head = await client.getBlockNumber()
    this.#scanned = true
    const found: DecodedLog[] = []
    while (this.#from <= head) {
      const to = this.#from + 50_000n > head ? head : this.#from + 50_000n
      const logs = (await client.getContractEvents({
        address: this.#address,
        abi: this.#abi,
        fromBlock: this.#from,
        toBlock: to,
      })) as unknown as DecodedLog[]
      // kept as each range is read: a failure later in the loop must not lose them
      found.push(...logs)
      this.logs.push(...logs)
      this.#from = to + 1n
    }
    return found
  }

  last(...names: string[]): DecodedLog | undefined {
    for (let i = this.logs.length - 1; i >= 0; i--) {
      const l = this.logs[i]
      if (l !== undefined && names.includes(l.eventName)) return l
    }
    return undefined
  }
}

const blobCache = new Map<Hex, readonly Hex[]>()

/** The blob versioned hashes a transaction carried (none for calldata), read once per transaction. */
export async function blobHashesOf(ctx: Ctx, txHash: Hex): Promise<readonly Hex[]> {
  const cached = blobCache.get(txHash)
  if (cached !== undefined) return cached
  const tx = await ctx.wallet.publicClient.getTransaction({ hash: txHash })
  const hashes = (tx as { blobVersionedHashes?: readonly Hex[] }).blobVersionedHashes ?? []
  blobCache.set(txHash, hashes)
  return hashes
}

/** A family whose panel could not even be built (a malformed summary): shown down with the reason. */
export class BrokenPanel extends Panel {
  readonly #err: unknown

  constructor(family: string, ctx: Ctx, err: unknown) {
    super(family, family, ctx)
    this.#err = err
  }

  async poll(): Promise<void> {
    throw this.#err
  }
}
