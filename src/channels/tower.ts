/**
 * A watchtower: it holds, per channel, the newest revocation a client received from its peer, follows ChannelHub
 * on L1, and when that peer publishes any state the revocation covers, it sends the penalty — which pays the whole
 * channel to the client, never to the tower. What it holds lets it do nothing else: no state to publish, no key.
 * Every entry is checked (the signature is the cheater's over the revocation) and stored before it is acknowledged.
 */
import type { Address, Hex } from 'viem'
import { L2kitError } from '../core/errors.ts'
import { type Logger, silentLogger } from '../core/logger.ts'
import type { L1PublicClient, L1WalletClient } from '../l1/clients.ts'
import { openStore, type Store, type StoreDb } from '../node/store.ts'
import { hubCalls, readHubEvents } from './l1/hubEvents.ts'
import type { TowerEntry } from './node.ts'
import { ChannelErrorCode } from './protocol/errors.ts'
import { type ChannelDomain, channelIdOf, isSignedBy, revocationDigest } from './protocol/state.ts'

export type WatchtowerOptions = { dataDir: string; hub: Address; pollMs: number }

export class Watchtower {
  readonly options: WatchtowerOptions
  private readonly m: { publicClient: L1PublicClient; walletClient: L1WalletClient; logger?: Logger }
  private readonly log: Logger
  private store!: Store
  private entries!: StoreDb<TowerEntry>
  private meta!: StoreDb<string>
  private domain!: ChannelDomain
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> = Promise.resolve()
  /** penalties sent (for tests, demos and the bench) */
  readonly penalties: { channelId: Hex; txHash: Hex; gas: bigint }[] = []

  constructor(
    options: Partial<WatchtowerOptions> & Pick<WatchtowerOptions, 'dataDir' | 'hub'>,
    modules: { publicClient: L1PublicClient; walletClient: L1WalletClient; logger?: Logger },
  ) {
    this.options = { pollMs: 500, ...options }
    this.m = modules
    this.log = (modules.logger ?? silentLogger).child({ role: 'watchtower' })
  }

  async start(): Promise<void> {
    this.store = await openStore({ path: this.options.dataDir })
    this.entries = this.store.db<TowerEntry>('entries')
    this.meta = this.store.db<string>('meta')
    this.domain = { chainId: BigInt(await this.m.publicClient.getChainId()), hub: this.options.hub }
    if (this.meta.get('l1Cursor') === undefined) {
      await this.meta.put('l1Cursor', (await this.m.publicClient.getBlockNumber()).toString())
    }
    this.timer = setInterval(() => {
      this.running = this.running
        .then(() => this.poll())
        .catch((err: unknown) => this.log.warn({ err }, 'tower poll failed'))
    }, this.options.pollMs)
    this.log.info({ watching: this.entries.count() }, 'watchtower up')
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    await this.running.catch(() => undefined)
    await this.store?.close()
  }

  /** Takes a client's newest revocation of its peer (checked, stored durably; an older one than held is ignored). */
  async watch(entry: TowerEntry): Promise<void> {
    const bad = (why: string): never => {
      throw new L2kitError(ChannelErrorCode.badSignature, `watchtower refused the entry: ${why}`)
    }
    if (channelIdOf(this.domain, entry.params) !== entry.channelId.toLowerCase())
      bad('the id does not match the channel')
    const cheater = entry.cheater.toLowerCase()
    if (cheater !== entry.params.partyA.toLowerCase() && cheater !== entry.params.partyB.toLowerCase()) {
      bad('the cheater is not a party of the channel')
    }
    if (
      !isSignedBy(
        revocationDigest(this.domain, entry.channelId, entry.revokedSeq),
        entry.revocation,
        entry.cheater,
      )
    ) {
      bad('the revocation is not signed by the cheater')
    }
    const key = `${entry.channelId.toLowerCase()}:${cheater}`
    const held = this.entries.get(key)
    if (held !== undefined && held.revokedSeq >= entry.revokedSeq) return
    await this.entries.put(key, entry)
  }

  watching(): number {
    return this.entries.count()
  }

  private async poll(): Promise<void> {
    const from = BigInt(this.meta.get('l1Cursor') as string)
    const head = await this.m.publicClient.getBlockNumber()
    if (head < from) return
    for (const e of await readHubEvents(this.m.publicClient, this.options.hub, from, head)) {
      if (e.kind !== 'closing' && e.kind !== 'disputed') continue
      const entry = this.entries.get(`${e.channelId.toLowerCase()}:${e.submitter.toLowerCase()}`)
      if (entry === undefined || e.seq > entry.revokedSeq) continue
      try {
        const { txHash, gasUsed } = await hubCalls.penalize(
          { ...this.m, hub: this.options.hub },
          entry.params,
          entry.revokedSeq,
          entry.revocation,
        )
        this.penalties.push({ channelId: e.channelId, txHash, gas: gasUsed })
        this.log.warn(
          { channelId: e.channelId, cheater: e.submitter, seq: e.seq.toString(), txHash },
          'revoked state published: penalised for the offline victim',
        )
      } catch (err) {
        this.log.info(
          { err, channelId: e.channelId },
          'penalty not sent (already settled or penalised by the victim)',
        )
      }
    }
    await this.meta.put('l1Cursor', (head + 1n).toString())
  }
}
