/**
 * A channel node: its secp256k1 identity (node id = compressed public key; the same key owns its L1 funds), the
 * BOLT 8 peer transport, durable channel records, and the update protocol of docs/channels.md driven per channel.
 *
 * Durability rule: every record is stored (fsynced) before the message it produced is sent, and a payment is
 * reported done only after the update carrying it is stored as signed by both (an invoice payment: once the
 * fulfil with its preimage is stored). Each message handled is one LMDB commit: what it settles elsewhere (a
 * payment, a forward record, a preimage, a proposal it queues on another channel) rides the same commit, issued
 * before LMDB starts it (docs/channels.md, "Storing"). Payments queued while an update is in flight go together in
 * the next one (up to `maxChangesPerUpdate`), as Lightning batches HTLCs under one commitment_signed: that is what
 * makes thousands of persisted payments per second per channel possible.
 *
 * Channels in ETH or an ERC-20 (approved for exactly the amount at open), direct and onion-routed payments,
 * reestablish after a reconnection or a restart (with the HTLCs a restart left re-examined from the store), the L1
 * watcher (penalty, dispute, reveal, settle) and a watchtower hand-off.
 */

import { randomBytes } from 'node:crypto'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { type Address, erc20Abi, type Hex, parseEventLogs } from 'viem'
import { bytesToHex, hexToBytes } from '../core/bytes.ts'
import { L2kitError } from '../core/errors.ts'
import { type Logger, silentLogger } from '../core/logger.ts'
import { channelHubAbi, preimageRegistryAbi } from '../generated/contracts.ts'
import type { L1PublicClient, L1WalletClient } from '../l1/clients.ts'
import {
  normalizeNodeId as checkNodeId,
  connectPeer,
  createPeerServer,
  type NodeId,
  nodeIdToAddress,
  type PeerConnection,
  type PeerServer,
  parsePeerAddress,
} from '../node/p2p/index.ts'
import { openStore, type Store } from '../node/store.ts'
import { hubCalls, type PublishedState, readHubEvents } from './l1/hubEvents.ts'
import {
  alreadyApplied,
  applyChanges,
  type Change,
  type ChannelRecord,
  type HtlcEvent,
  newChannelRecord,
  type PendingHtlc,
  propose,
  receiveAck,
  receiveRevoke,
  receiveUpdate,
  reestablish,
  reestablishMessage,
} from './protocol/channel.ts'
import { ChannelErrorCode } from './protocol/errors.ts'
import { createInvoice, decodeInvoice } from './protocol/invoice.ts'
import {
  buildOnion,
  createFailure,
  decodeFailure,
  deriveOnionKey,
  type HopPayload,
  OnionFailureCode,
  peelOnion,
  wrapFailure,
} from './protocol/onion.ts'
import {
  type ChannelDomain,
  type ChannelParams,
  channelIdOf,
  cooperativeCloseDigest,
  isSignedBy,
  signDigest,
} from './protocol/state.ts'
import {
  type AnnouncementMessage,
  announcementDigest,
  decodeMessage,
  encodeMessage,
  MAX_MESSAGE_BYTES,
  NO_SIGNATURE,
  type WireMessage,
} from './protocol/wire.ts'
import { findRoute, type RouteEdge } from './router.ts'
import { ChannelStore, htlcKey, type StoredForward, type StoredPayment } from './store.ts'

export type ChannelNodeOptions = {
  dataDir: string
  /** the node's secp256k1 key: its identity and its L1 account */
  privateKey: Hex
  hub: Address
  /** peer listener; port 0 takes a free one */
  host: string
  port: number
  /** at most this many changes (payments, HTLC changes) per signed update */
  maxChangesPerUpdate: number
  /** an incoming HTLC must expire at least this many seconds from now */
  minExpiryDelta: bigint
  /** forwarding fee: base (token units) + rate (parts per million of the forwarded amount) */
  feeBase: bigint
  feeRate: bigint
  /** seconds a forwarding node keeps between its incoming and outgoing HTLC expiries (its time to claim on L1) */
  expiryDelta: bigint
  /** seconds from now the payee's HTLC expires at */
  finalExpiryDelta: bigint
  /** how often L1 is polled for closes of our channels (ms) */
  l1PollMs: number
  /** the shared preimage registry (to reveal preimages of HTLCs settled on L1) */
  registry: Address | null
  /**
   * FAULT INJECTION (attack demos and tests): behave like a malicious node. `withholdPreimage`: take a fulfil from
   * downstream but never pass the preimage upstream, neither off-chain nor on L1. `offlineOnFulfil`: go offline
   * (stop, as a crash or a cut cable would) the moment a downstream peer sends an update carrying a fulfil, before
   * reading it: the payee must then claim on L1.
   */
  faults: { withholdPreimage?: boolean; offlineOnFulfil?: boolean }
}

/** The channel token of ETH. */
const ETH = '0x0000000000000000000000000000000000000000' as Address

/** How long after a close's deadline the side that did not publish waits for the publisher to settle it. */
const SETTLE_GRACE_SECONDS = 30n

export const defaultChannelNodeOptions = {
  host: '127.0.0.1',
  port: 0,
  maxChangesPerUpdate: 128,
  minExpiryDelta: 300n,
  feeBase: 1_000n,
  feeRate: 100n,
  expiryDelta: 600n,
  finalExpiryDelta: 900n,
  l1PollMs: 500,
  registry: null,
  faults: {},
} as const

export type ChannelNodeModules = {
  publicClient: L1PublicClient
  walletClient: L1WalletClient
  logger?: Logger
  /** a watchtower to hand the peer's revocations to (it punishes an old-state close while we are offline) */
  tower?: { watch(entry: TowerEntry): Promise<void> }
}

/** What a watchtower needs to punish `cheater` if it publishes any state with seq ≤ revokedSeq: nothing more. */
export type TowerEntry = {
  params: ChannelParams
  channelId: Hex
  cheater: Address
  revokedSeq: bigint
  revocation: Hex
}

type Waiter = { resolve: () => void; reject: (e: unknown) => void }
/**
 * A change waiting for the next update; `persist` adds its own records (a payment, a forward) to the LMDB transaction
 * that stores the proposal carrying it, so they are on disk before the proposal is sent and cost no fsync of their own.
 */
type QueuedChange = { change: Change; waiter: Waiter; persist?: (() => void) | undefined }
/** What handling an HTLC event adds to the transaction of the message that carried it, and does once it is stored. */
type Staged = { stage: (() => void)[]; after: (() => void)[] }

const normalizedIds = new Map<string, string>()
/**
 * The p2p layer's `normalizeNodeId` (lower-case hex, checked to be a point on secp256k1: ~0.3 ms) once per distinct
 * input; every message handled checks its channel's peer.
 */
function normalizeNodeId(nodeId: NodeId | Uint8Array): string {
  const k = typeof nodeId === 'string' ? nodeId : bytesToHex(nodeId)
  let id = normalizedIds.get(k)
  if (id === undefined) {
    id = checkNodeId(nodeId)
    if (normalizedIds.size >= 10_000) normalizedIds.clear()
    normalizedIds.set(k, id)
  }
  return id
}

/** Runtime state of one channel (the durable part is its ChannelRecord). */
type Live = {
  /** messages of this channel are handled one at a time, in order */
  chain: Promise<void>
  queue: QueuedChange[]
  /** waiters of the changes in our update in flight */
  inFlight: QueuedChange[]
  /** the peer accepted the channel (checked it on L1) */
  accepted: boolean
  acceptedWaiters: Waiter[]
  /** HTLC events of the peer's update, acted on once the peer revoked the state before it (irrevocable) */
  pendingEvents: { seq: bigint; event: HtlcEvent }[]
  /** next id for an HTLC this node offers in the channel */
  nextHtlcId: bigint | null
  closeWaiter?:
    | { resolve: (txHash: Hex) => void; reject: (e: unknown) => void; balanceA: bigint; balanceB: bigint }
    | undefined
}

export class ChannelNode {
  readonly options: ChannelNodeOptions
  readonly nodeId: string
  readonly address: Address
  private readonly m: ChannelNodeModules
  private readonly log: Logger
  private store!: Store
  private cs!: ChannelStore
  private server: PeerServer | undefined
  private domain!: ChannelDomain
  private readonly peers = new Map<string, PeerConnection>()
  private readonly live = new Map<string, Live>()
  /** payments received over direct updates (for stats) */
  received = 0n
  /** messages sent again after a reconnection (reestablish) */
  resent = 0
  private readonly onion: { privateKey: Uint8Array; publicKey: Uint8Array }
  private readonly peerInfo = new Map<string, { onionKey: Hex; feeBase: bigint; feeRate: bigint }>()
  private pollTimer: NodeJS.Timeout | undefined
  private readonly closingSent = new Set<string>()
  private polling: Promise<void> = Promise.resolve()
  private towerTimer: NodeJS.Timeout | undefined
  private readonly towerDirty = new Set<string>()
  /** L1 actions taken by the watcher (for tests, demos and the bench) */
  readonly l1Actions: {
    kind: 'penalize' | 'dispute' | 'settle' | 'reveal' | 'close'
    channelId: Hex
    txHash: Hex
    gas: bigint
  }[] = []
  /** incoming HTLCs (`htlcKey`) and forwards (`fwd:` + out key) this process already acted on */
  private readonly acted = new Set<string>()
  /** when each incoming HTLC was acted on (the audit re-acts on one whose answer was lost) */
  private readonly actedAt = new Map<string, number>()
  /** per channel: a summary of its state and since when it has not changed (the audit's quiet test) */
  private readonly quietSince = new Map<string, { sig: string; since: number; recovered: boolean }>()
  /**
   * Channels whose HTLCs a restart may have left unattended (the in-memory events of their last updates were
   * lost): re-examined from the store on reconnection and on each revocation until nothing is left to wait for.
   */
  private readonly recovering = new Set<string>()
  /**
   * How far L1 time runs ahead of this machine's clock (seconds, ≥ 0): HTLC expiries are judged by L1 block time,
   * which a devnet can move forward (evm_increaseTime); a stale head (no block for a while) is not "behind".
   */
  private l1Ahead = 0n
  private readonly paymentWaiters = new Map<
    string,
    { resolve: (preimage: Hex) => void; reject: (e: unknown) => void }
  >()

  constructor(
    options: Partial<ChannelNodeOptions> & Pick<ChannelNodeOptions, 'dataDir' | 'privateKey' | 'hub'>,
    modules: ChannelNodeModules,
  ) {
    this.options = { ...defaultChannelNodeOptions, ...options }
    this.m = modules
    this.nodeId = normalizeNodeId(bytesToHex(secp256k1.getPublicKey(hexToBytes(options.privateKey), true)))
    this.address = nodeIdToAddress(this.nodeId)
    this.onion = deriveOnionKey(hexToBytes(options.privateKey))
    this.log = (modules.logger ?? silentLogger).child({
      role: 'channel-node',
      node: this.nodeId.slice(0, 10),
    })
  }

  /** Opens the store, starts the peer listener; returns the peer address `<nodeId>@host:port`. */
  async start(): Promise<string> {
    this.store = await openStore({ path: this.options.dataDir })
    this.cs = new ChannelStore(this.store)
    for (const r of this.cs.allChannels()) this.recovering.add(r.channelId.toLowerCase())
    const chainId = BigInt(await this.m.publicClient.getChainId())
    this.domain = { chainId, hub: this.options.hub }
    this.trackL1Time((await this.m.publicClient.getBlock()).timestamp)
    this.server = await createPeerServer({
      staticPrivateKey: this.options.privateKey,
      host: this.options.host,
      port: this.options.port,
      onConnection: (conn) => this.attach(conn),
    })
    if (this.cs.meta.get('l1Cursor') === undefined) {
      await this.cs.meta.put('l1Cursor', (await this.m.publicClient.getBlockNumber()).toString())
    }
    this.pollTimer = setInterval(() => {
      this.polling = this.polling
        .then(() => this.pollL1())
        .catch((err: unknown) => this.log.warn({ err }, 'L1 poll failed'))
    }, this.options.l1PollMs)
    this.log.info({ address: this.server.address, channels: this.cs.allChannels().length }, 'channel node up')
    return this.server.address
  }

  async stop(): Promise<void> {
    if (this.pollTimer) clearInterval(this.pollTimer)
    if (this.towerTimer) clearTimeout(this.towerTimer)
    await this.polling.catch(() => undefined)
    for (const c of this.peers.values()) await c.close().catch(() => undefined)
    this.peers.clear()
    await this.server?.close()
    // let handlers in progress finish their writes
    await Promise.all([...this.live.values()].map((l) => l.chain.catch(() => undefined)))
    await this.store?.close()
  }

  /** Connects to a peer (`<nodeId>@host:port`); returns its node id. */
  async connect(peerAddress: string): Promise<string> {
    const parsed = parsePeerAddress(peerAddress)
    const existing = this.peers.get(parsed.nodeId)
    if (existing !== undefined && !existing.isClosed) return parsed.nodeId
    const conn = await connectPeer({ address: peerAddress, staticPrivateKey: this.options.privateKey })
    this.attach(conn)
    return parsed.nodeId
  }

  /** `<nodeId>@host:port`, where peers reach this node (after start). */
  get peerAddress(): string {
    if (this.server === undefined)
      throw new L2kitError(ChannelErrorCode.unexpectedMessage, 'the node is not started')
    return this.server.address
  }

  /** Drops the connection to a peer (as a network failure would); `connect` again to resume. */
  async disconnect(peerId: string): Promise<void> {
    const id = normalizeNodeId(peerId)
    const conn = this.peers.get(id)
    this.peers.delete(id)
    await conn?.close()
  }

  channel(channelId: Hex): ChannelRecord | undefined {
    return this.cs.channel(channelId)
  }

  channels(): ChannelRecord[] {
    return this.cs.allChannels()
  }

  /**
   * Opens and funds a channel with a connected peer on L1 (this node is party A and locks `amount` of ETH, or of the
   * ERC-20 `token`: the hub is approved for exactly `amount` first when the allowance is short), then waits until
   * the peer has checked it on L1 and accepted it. CHANNEL_INSUFFICIENT_FUNDS when the balance is short (nothing is
   * sent), CHANNEL_BAD_TOKEN for a token that does not answer as an ERC-20.
   */
  async openChannel(p: {
    peer: string
    amount: bigint
    token?: Address
    disputeWindow?: bigint
  }): Promise<Hex> {
    if (typeof p.amount !== 'bigint' || p.amount <= 0n) {
      throw new L2kitError(
        ChannelErrorCode.invalidState,
        `a channel must lock more than 0, got ${String(p.amount)}`,
      )
    }
    const peerId = normalizeNodeId(p.peer)
    // an inbound connection may still be finishing its handshake on our side
    for (let i = 0; i < 40 && (this.peers.get(peerId)?.isClosed ?? true); i++) {
      await new Promise((r) => setTimeout(r, 50))
    }
    const conn = this.peers.get(peerId)
    if (conn === undefined || conn.isClosed) {
      throw new L2kitError(ChannelErrorCode.unknownChannel, `not connected to ${peerId}: connect first`)
    }
    const token = (p.token ?? ETH).toLowerCase() as Address
    const params: ChannelParams = {
      partyA: this.address,
      partyB: nodeIdToAddress(peerId),
      token,
      total: p.amount,
      disputeWindow: p.disputeWindow ?? 3_600n,
      nonce: BigInt(Date.now()),
    }
    const channelId = channelIdOf(this.domain, params)
    await this.fundOpen(token, p.amount)
    const txHash = await this.m.walletClient.writeContract({
      address: this.options.hub,
      abi: channelHubAbi,
      functionName: 'open',
      args: [params],
      ...(token === ETH ? { value: params.total } : {}),
      account: this.m.walletClient.account ?? null,
      chain: this.m.walletClient.chain ?? null,
    } as never)
    const receipt = await this.m.publicClient.waitForTransactionReceipt({ hash: txHash })
    if (receipt.status !== 'success')
      throw new L2kitError('L1_TX_REVERTED', `channel open ${txHash} reverted`)
    const record = { ...newChannelRecord(this.domain, channelId, params, 'A'), peer: peerId }
    await this.cs.putChannel(record)
    const live = this.liveOf(channelId)
    const accepted = new Promise<void>((resolve, reject) => live.acceptedWaiters.push({ resolve, reject }))
    this.send(peerId, { type: 'channel_opened', params, channelId, txHash })
    await accepted
    this.log.info({ channelId, amount: p.amount.toString(), peer: peerId }, 'channel open')
    return channelId
  }

  /**
   * Checks that this node's L1 account holds `amount` of `token` (ETH: the zero address) and, for an ERC-20, that
   * the hub may pull it: approves exactly `amount` when the allowance is short and waits for the approval's receipt.
   */
  private async fundOpen(token: Address, amount: bigint): Promise<void> {
    const owner = this.address
    const short = (balance: bigint, what: string) =>
      new L2kitError(
        ChannelErrorCode.insufficientFunds,
        `cannot lock ${amount} ${what}: the account ${owner} holds ${balance}`,
        { details: { token, amount: amount.toString(), balance: balance.toString() } },
      )
    if (token === ETH) {
      const balance = await this.m.publicClient.getBalance({ address: owner })
      if (balance < amount) throw short(balance, 'wei')
      return
    }
    const read = async (functionName: 'balanceOf' | 'allowance', args: readonly Address[]) => {
      try {
        return (await this.m.publicClient.readContract({
          address: token,
          abi: erc20Abi,
          functionName,
          args,
        } as never)) as bigint
      } catch (err) {
        throw new L2kitError(
          ChannelErrorCode.badToken,
          `${token} does not answer ${functionName} as an ERC-20`,
          {
            cause: err,
            details: { token },
          },
        )
      }
    }
    const balance = await read('balanceOf', [owner])
    if (balance < amount) throw short(balance, `of token ${token}`)
    const allowance = await read('allowance', [owner, this.options.hub])
    if (allowance >= amount) return
    const hash = await this.m.walletClient.writeContract({
      address: token,
      abi: erc20Abi,
      functionName: 'approve',
      args: [this.options.hub, amount],
      account: this.m.walletClient.account ?? null,
      chain: this.m.walletClient.chain ?? null,
    } as never)
    const receipt = await this.m.publicClient.waitForTransactionReceipt({ hash })
    if (receipt.status !== 'success') {
      throw new L2kitError(
        'L1_TX_REVERTED',
        `approving the hub for ${amount} of ${token} (${hash}) reverted`,
        {
          details: { txHash: hash },
        },
      )
    }
    this.log.info({ token, amount: amount.toString(), txHash: hash }, 'hub approved for the channel amount')
  }

  /**
   * Pays `amount` to the channel's other side. Resolves once the update carrying it is stored signed by both (and
   * the previous state revoked); payments made meanwhile share the next update.
   */
  pay(channelId: Hex, amount: bigint): Promise<void> {
    return this.enqueue(channelId, { kind: 'pay', amount })
  }

  /** Proposes a cooperative close at the current balances; resolves with the L1 transaction that paid out. */
  async closeCooperatively(channelId: Hex): Promise<Hex> {
    const record = this.requireChannel(channelId)
    const live = this.liveOf(channelId)
    await live.chain
    if (record.htlcs.length > 0 || record.proposed !== null || live.queue.length > 0) {
      throw new L2kitError(ChannelErrorCode.unexpectedMessage, 'pending HTLCs or updates: settle them first')
    }
    const { balanceA, balanceB } = record.state
    const sig = signDigest(
      cooperativeCloseDigest(record.domain, record.channelId, balanceA, balanceB),
      this.options.privateKey,
    )
    const done = new Promise<Hex>((resolve, reject) => {
      live.closeWaiter = { resolve, reject, balanceA, balanceB }
    })
    this.send(this.peerOf(record), {
      type: 'close_request',
      channelId: record.channelId,
      balanceA,
      balanceB,
      sig,
    })
    return done
  }

  // ------------------------------------------------------------------------------------------------ internals

  private peerOf(record: ChannelRecord): string {
    return nodeIdFromParty(record)
  }

  private requireChannel(channelId: Hex): ChannelRecord {
    const r = this.cs.channel(channelId)
    if (r === undefined) throw new L2kitError(ChannelErrorCode.unknownChannel, `unknown channel ${channelId}`)
    return r
  }

  private liveOf(channelId: Hex): Live {
    const id = channelId.toLowerCase()
    let l = this.live.get(id)
    if (l === undefined) {
      l = {
        chain: Promise.resolve(),
        queue: [],
        inFlight: [],
        accepted: false,
        acceptedWaiters: [],
        pendingEvents: [],
        nextHtlcId: null,
      }
      this.live.set(id, l)
    }
    return l
  }

  private attach(conn: PeerConnection): void {
    const peerId = normalizeNodeId(conn.remoteNodeId)
    const previous = this.peers.get(peerId)
    if (previous !== undefined && previous !== conn) void previous.close().catch(() => undefined)
    this.peers.set(peerId, conn)
    conn.onMessage((bytes) => this.onBytes(peerId, bytes))
    conn.onClose(() => {
      if (this.peers.get(peerId) === conn) this.peers.delete(peerId)
    })
    this.safeSend(peerId, {
      type: 'init',
      chainId: this.domain.chainId,
      hub: this.options.hub,
      onionKey: bytesToHex(this.onion.publicKey),
      feeBase: this.options.feeBase,
      feeRate: this.options.feeRate,
    })
    for (const e of this.cs.graph.getRange()) {
      if (e.value.sigA !== NO_SIGNATURE && e.value.sigB !== NO_SIGNATURE) this.safeSend(peerId, e.value)
    }
    // tell the peer where each of our channels with it stands, so lost messages are sent again
    for (const record of this.cs.allChannels()) {
      if (record.peer === undefined || normalizeNodeId(record.peer) !== peerId) continue
      const live = this.liveOf(record.channelId)
      live.chain = live.chain.then(() => {
        const now = this.cs.channel(record.channelId)
        if (now !== undefined) this.safeSend(peerId, reestablishMessage(now))
      })
    }
  }

  private send(peerId: string, message: WireMessage): void {
    const conn = this.peers.get(peerId)
    if (conn === undefined || conn.isClosed) {
      throw new L2kitError(
        ChannelErrorCode.unexpectedMessage,
        `peer ${peerId.slice(0, 12)}… is not connected`,
      )
    }
    conn.send(encodeMessage(message))
  }

  private onBytes(peerId: string, bytes: Uint8Array): void {
    let msg: WireMessage
    try {
      msg = decodeMessage(bytes)
    } catch (err) {
      this.refuse(peerId, null, err)
      return
    }
    const channelId = 'channelId' in msg && msg.channelId !== null ? msg.channelId : null
    if (channelId === null) {
      if (msg.type === 'ping') this.safeSend(peerId, { type: 'pong', nonce: msg.nonce })
      else if (msg.type === 'init') {
        if (msg.chainId !== this.domain.chainId || msg.hub.toLowerCase() !== this.options.hub.toLowerCase()) {
          this.refuse(
            peerId,
            null,
            new L2kitError(ChannelErrorCode.unexpectedMessage, 'the peer is on another L1 or hub'),
          )
          return
        }
        this.peerInfo.set(peerId, { onionKey: msg.onionKey, feeBase: msg.feeBase, feeRate: msg.feeRate })
      } else if (msg.type === 'error')
        this.log.warn({ peer: peerId, code: msg.code, message: msg.message }, 'peer refused')
      return
    }
    // one message at a time per channel, in arrival order
    const live = this.liveOf(channelId)
    live.chain = live.chain
      .then(() => this.handle(peerId, msg))
      .catch((err: unknown) => {
        // never answer an error with an error (two nodes would ping-pong)
        if (msg.type === 'error') this.log.warn({ err, peer: peerId }, 'handling a peer error failed')
        else this.refuse(peerId, channelId, err)
      })
  }

  private refuse(peerId: string, channelId: Hex | null, err: unknown): void {
    const e = err instanceof L2kitError ? err : new L2kitError(ChannelErrorCode.malformedMessage, String(err))
    this.log.warn(
      { peer: peerId.slice(0, 12), channelId, code: e.code, err: e.message },
      'peer message refused',
    )
    this.safeSend(peerId, { type: 'error', channelId, code: e.code, message: e.message.slice(0, 1_000) })
  }

  /**
   * Sends an update, ack or revoke whose record is stored. If the peer is gone it is not lost: reestablish sends it
   * again on reconnection, so the handler goes on (the update is committed on our side whatever the link does).
   */
  private sendStored(peerId: string, message: WireMessage): void {
    try {
      this.send(peerId, message)
    } catch (err) {
      this.log.debug(
        { err, peer: peerId.slice(0, 12), type: message.type },
        'not sent: goes again on reconnection',
      )
    }
  }

  private safeSend(peerId: string, message: WireMessage): void {
    try {
      this.send(peerId, message)
    } catch {
      // the peer went away; nothing to tell it
    }
  }

  private checkParty(peerId: string, record: ChannelRecord): void {
    if (nodeIdFromParty(record) !== peerId) {
      throw new L2kitError(ChannelErrorCode.unknownChannel, 'this channel is not with the sending peer')
    }
  }

  private async handle(peerId: string, msg: WireMessage): Promise<void> {
    switch (msg.type) {
      case 'channel_opened':
        return this.onOpened(peerId, msg.params, msg.channelId)
      case 'channel_accepted': {
        const record = this.requireChannel(msg.channelId)
        this.checkParty(peerId, record)
        const live = this.liveOf(msg.channelId)
        live.accepted = true
        for (const w of live.acceptedWaiters.splice(0)) w.resolve()
        return
      }
      case 'update': {
        const record = this.requireChannel(msg.channelId)
        this.checkParty(peerId, record)
        if (alreadyApplied(record, msg)) return
        if (this.options.faults.offlineOnFulfil === true && msg.changes.some((c) => c.kind === 'fulfill')) {
          this.log.warn(
            { channelId: msg.channelId },
            'FAULT INJECTION: going offline before reading a fulfil',
          )
          void this.stop()
          return
        }
        const now = this.nowL1()
        const r = receiveUpdate(record, msg, this.options.privateKey, {
          now,
          minExpiryDelta: this.options.minExpiryDelta,
        })
        const live = this.liveOf(msg.channelId)
        // knowing a preimage early only helps: a fulfil is acted on at once (a payment of ours completes in this
        // transaction; a forwarded one is claimed upstream by a proposal that rides the same LMDB commit); the
        // other events wait for the peer's revocation
        const staged: Staged = { stage: [], after: [] }
        const seq = r.record.state.seq
        for (const e of r.events) {
          if (e.kind === 'added') {
            // kept until our fulfil or fail of it is acked, so a restarted node can still act on it
            const incoming = { seq, onion: e.onion ?? null }
            staged.stage.push(() => void this.cs.onions.put(htlcKey(msg.channelId, e.htlc.id), incoming))
          }
          if (e.kind !== 'fulfilled') continue
          staged.stage.push(() => void this.cs.preimages.put(e.htlc.paymentHash, e.preimage))
          this.onOurHtlcFulfilled(msg.channelId, e.htlc, e.preimage, staged)
        }
        await this.cs.putChannel(r.record, stagedWrites(staged))
        this.sendStored(peerId, r.message)
        for (const f of staged.after) f()
        for (const e of r.events) {
          if (e.kind === 'paid') this.received += e.amount
          else if (e.kind !== 'fulfilled') live.pendingEvents.push({ seq: r.record.state.seq, event: e })
        }
        if (r.dropped !== null) {
          // A's update won over ours: our changes go again, first. A proposal re-sent from the store after a
          // restart has no waiters in memory: its fulfils and fails (obligations to the peer) are queued again from
          // the dropped changes; its adds and payments are not (their payments fail through the recovery)
          const again =
            live.inFlight.length > 0
              ? live.inFlight.splice(0)
              : r.dropped
                  .filter((c) => c.kind === 'fulfill' || c.kind === 'fail')
                  .map((change) => ({
                    change,
                    waiter: { resolve: () => undefined, reject: () => undefined },
                  }))
          live.queue.unshift(...again) // proposed when the peer's revocation comes (the revoke handler)
        }
        return
      }
      case 'ack': {
        const record = this.requireChannel(msg.channelId)
        this.checkParty(peerId, record)
        if (alreadyApplied(record, msg)) return
        const r = receiveAck(record, msg, this.options.privateKey)
        const staged: Staged = { stage: [], after: [] }
        for (const e of r.events) {
          if (e.kind !== 'fulfilled' && e.kind !== 'failed') continue
          // our fulfil or fail of the peer's HTLC is committed: nothing left to act on
          const k = htlcKey(msg.channelId, e.htlc.id)
          staged.stage.push(() => void this.cs.onions.remove(k))
          staged.after.push(() => this.acted.delete(k))
          if (e.kind !== 'fulfilled') continue
          staged.stage.push(() => void this.cs.preimages.put(e.htlc.paymentHash, e.preimage))
          this.onInvoicePaid(e.htlc.paymentHash, staged)
        }
        await this.cs.putChannel(r.record, stagedWrites(staged))
        this.towerPush(msg.channelId)
        this.sendStored(peerId, r.message)
        const live = this.liveOf(msg.channelId)
        for (const q of live.inFlight.splice(0)) q.waiter.resolve()
        for (const f of staged.after) f()
        // what was queued meanwhile goes at once, on this handler's turn of the chain
        await this.proposeQueued(msg.channelId).catch((err: unknown) =>
          this.log.warn({ err, channelId: msg.channelId }, 'proposing an update failed'),
        )
        return
      }
      case 'revoke': {
        const record = this.requireChannel(msg.channelId)
        this.checkParty(peerId, record)
        if (alreadyApplied(record, msg)) return
        const next = receiveRevoke(record, msg)
        // the peer's HTLC changes are irrevocable now: act on them. What that writes (a failed payment) joins this
        // message's transaction; the changes it queues (the payee's fulfil, a forward's outgoing HTLC) are proposed
        // at once and their records ride the same LMDB commit (this channel's here, another channel's through its
        // handler chain, which runs before LMDB starts the commit)
        const live = this.liveOf(msg.channelId)
        const staged: Staged = { stage: [], after: [] }
        // the events of update k are irrevocable once the peer revoked k - 1
        const due = live.pendingEvents.filter((p) => p.seq <= next.theirRevokedSeq + 1n).map((p) => p.event)
        live.pendingEvents = live.pendingEvents.filter((p) => p.seq > next.theirRevokedSeq + 1n)
        for (const e of due) {
          if (e.kind === 'added') this.onIncomingHtlc(msg.channelId, e.htlc, e.onion)
          else if (e.kind === 'failed') this.onOurHtlcFailed(msg.channelId, e.htlc, e.reason, staged)
        }
        const written = this.cs.putChannel(next, stagedWrites(staged))
        if (this.recovering.size > 0) this.sweepRecovering()
        const proposed = this.proposeQueued(msg.channelId).catch((err: unknown) =>
          this.log.warn({ err, channelId: msg.channelId }, 'proposing an update failed'),
        )
        await written
        this.towerPush(msg.channelId)
        for (const f of staged.after) f()
        await proposed
        return
      }
      case 'announcement':
        return this.onAnnouncement(peerId, msg)
      case 'reestablish': {
        const record = this.requireChannel(msg.channelId)
        this.checkParty(peerId, record)
        this.liveOf(msg.channelId).accepted = true
        for (const m of reestablish(record, msg, this.options.privateKey)) {
          this.resent++
          this.log.info(
            { channelId: record.channelId, type: m.type, seq: m.seq.toString() },
            'sent again after reconnection',
          )
          this.send(peerId, m)
        }
        if (this.recovering.size > 0) this.sweepRecovering()
        return
      }
      case 'error': {
        // our update was refused: the peer never signed it, so it is dropped and its payments fail (A's update in
        // flight is the one refusal that is not final: B drops its own proposal when A's arrives)
        const record = this.cs.channel(msg.channelId as Hex)
        if (record === undefined || record.proposed === null || record.peer === undefined) return
        if (normalizeNodeId(record.peer) !== peerId) return
        this.log.warn(
          { channelId: msg.channelId, code: msg.code, message: msg.message },
          'peer refused our update',
        )
        if (msg.code === ChannelErrorCode.unexpectedMessage && record.side === 'B') return
        await this.cs.putChannel({ ...record, proposed: null })
        const live = this.liveOf(record.channelId)
        for (const q of live.inFlight.splice(0)) {
          q.waiter.reject(
            new L2kitError(ChannelErrorCode.paymentFailed, `the peer refused the update: ${msg.message}`),
          )
        }
        await this.proposeQueued(record.channelId).catch((err: unknown) =>
          this.log.warn({ err, channelId: record.channelId }, 'proposing an update failed'),
        )
        return
      }
      case 'close_request': {
        const record = this.requireChannel(msg.channelId)
        this.checkParty(peerId, record)
        if (record.htlcs.length > 0 || record.proposed !== null) {
          throw new L2kitError(
            ChannelErrorCode.unexpectedMessage,
            'cannot close with pending HTLCs or updates',
          )
        }
        if (msg.balanceA !== record.state.balanceA || msg.balanceB !== record.state.balanceB) {
          throw new L2kitError(
            ChannelErrorCode.invalidState,
            'the close balances are not the current state’s',
          )
        }
        const digest = cooperativeCloseDigest(record.domain, record.channelId, msg.balanceA, msg.balanceB)
        const them = record.side === 'A' ? record.params.partyB : record.params.partyA
        if (!isSignedBy(digest, msg.sig, them)) {
          throw new L2kitError(ChannelErrorCode.badSignature, 'the close request is not signed by the peer')
        }
        this.send(peerId, {
          type: 'close_accept',
          channelId: record.channelId,
          sig: signDigest(digest, this.options.privateKey),
        })
        return
      }
      case 'close_accept': {
        const record = this.requireChannel(msg.channelId)
        this.checkParty(peerId, record)
        const live = this.liveOf(msg.channelId)
        const w = live.closeWaiter
        if (w === undefined)
          throw new L2kitError(ChannelErrorCode.unexpectedMessage, 'no close was requested')
        live.closeWaiter = undefined
        try {
          const digest = cooperativeCloseDigest(record.domain, record.channelId, w.balanceA, w.balanceB)
          const them = record.side === 'A' ? record.params.partyB : record.params.partyA
          if (!isSignedBy(digest, msg.sig, them)) {
            throw new L2kitError(
              ChannelErrorCode.badSignature,
              'the close acceptance is not signed by the peer',
            )
          }
          const ours = signDigest(digest, this.options.privateKey)
          const [sigA, sigB] = record.side === 'A' ? [ours, msg.sig] : [msg.sig, ours]
          const hash = await this.m.walletClient.writeContract({
            address: this.options.hub,
            abi: channelHubAbi,
            functionName: 'closeCooperative',
            args: [record.params, w.balanceA, w.balanceB, sigA, sigB],
            account: this.m.walletClient.account ?? null,
            chain: this.m.walletClient.chain ?? null,
          } as never)
          const receipt = await this.m.publicClient.waitForTransactionReceipt({ hash })
          if (receipt.status !== 'success')
            throw new L2kitError('L1_TX_REVERTED', `cooperative close ${hash} reverted`)
          this.log.info({ channelId: record.channelId, txHash: hash }, 'channel closed cooperatively')
          w.resolve(hash)
        } catch (err) {
          w.reject(err)
        }
        return
      }
      default:
        throw new L2kitError(ChannelErrorCode.unexpectedMessage, `unexpected ${msg.type} message`)
    }
  }

  /** The peer says it opened a channel with us: check it on L1, then store and accept it. */
  private async onOpened(peerId: string, params: ChannelParams, channelId: Hex): Promise<void> {
    if (this.cs.channel(channelId) !== undefined) {
      this.send(peerId, { type: 'channel_accepted', channelId })
      return
    }
    if (params.partyB.toLowerCase() !== this.address.toLowerCase()) {
      throw new L2kitError(ChannelErrorCode.invalidState, 'the channel’s party B is not this node')
    }
    if (params.partyA.toLowerCase() !== nodeIdToAddress(peerId).toLowerCase()) {
      throw new L2kitError(ChannelErrorCode.invalidState, 'the channel’s party A is not the sending peer')
    }
    if (channelIdOf(this.domain, params) !== channelId.toLowerCase()) {
      throw new L2kitError(ChannelErrorCode.invalidState, 'the channel id does not match its parameters')
    }
    const [phase] = await this.m.publicClient.readContract({
      address: this.options.hub,
      abi: channelHubAbi,
      functionName: 'status',
      args: [channelId],
    })
    if (phase !== 1)
      throw new L2kitError(ChannelErrorCode.unknownChannel, `channel ${channelId} is not open on L1`)
    await this.cs.putChannel({ ...newChannelRecord(this.domain, channelId, params, 'B'), peer: peerId })
    this.liveOf(channelId).accepted = true
    this.send(peerId, { type: 'channel_accepted', channelId })
    this.log.info(
      { channelId, total: params.total.toString(), peer: peerId },
      'channel accepted (checked on L1)',
    )
    // offer the channel to the routing graph: we sign first, the opener co-signs and gossips it
    const a = this.peerInfo.get(peerId)
    if (a !== undefined) {
      const ann = {
        type: 'announcement' as const,
        channelId: channelId.toLowerCase() as Hex,
        params,
        nodeA: `0x${peerId}` as Hex,
        nodeB: `0x${this.nodeId}` as Hex,
        onionKeyA: a.onionKey,
        onionKeyB: bytesToHex(this.onion.publicKey),
        feeBaseA: a.feeBase,
        feeRateA: a.feeRate,
        feeBaseB: this.options.feeBase,
        feeRateB: this.options.feeRate,
      }
      const sigB = signDigest(announcementDigest(ann), this.options.privateKey)
      await this.cs.graph.put(ann.channelId, { ...ann, sigA: NO_SIGNATURE, sigB })
      this.send(peerId, { ...ann, sigA: NO_SIGNATURE, sigB })
    }
  }

  // --------------------------------------------------------------------------------------- L1: closes, watcher

  /** Closes a channel alone with the newest state signed by both; the watcher settles it after the window. */
  async closeUnilaterally(channelId: Hex): Promise<Hex> {
    const record = this.requireChannel(channelId)
    await this.liveOf(channelId).chain
    const r = this.requireChannel(channelId)
    const { txHash, gasUsed } = await hubCalls.closeUnilateral(
      this.writer(),
      r.params,
      r.state,
      r.sigA ?? '0x',
      r.sigB ?? '0x',
    )
    this.l1Actions.push({ kind: 'close', channelId: record.channelId, txHash, gas: gasUsed })
    this.log.info(
      { channelId, seq: r.state.seq.toString(), txHash },
      'channel closed unilaterally (dispute window open)',
    )
    return txHash
  }

  private writer() {
    return { publicClient: this.m.publicClient, walletClient: this.m.walletClient, hub: this.options.hub }
  }

  /** Hands the peer's newest revocation to the tower (coalesced: one push per channel per 200 ms). */
  private towerPush(channelId: Hex): void {
    if (this.m.tower === undefined) return
    this.towerDirty.add(channelId.toLowerCase())
    if (this.towerTimer !== undefined) return
    this.towerTimer = setTimeout(() => {
      this.towerTimer = undefined
      const ids = [...this.towerDirty]
      this.towerDirty.clear()
      for (const id of ids) {
        const r = this.cs.channel(id as Hex)
        if (r === undefined || r.theirRevocationSig === null) continue
        const cheater = r.side === 'A' ? r.params.partyB : r.params.partyA
        this.m.tower
          ?.watch({
            params: r.params,
            channelId: r.channelId,
            cheater,
            revokedSeq: r.theirRevokedSeq,
            revocation: r.theirRevocationSig,
          })
          .catch((err: unknown) =>
            this.log.warn({ err, channelId: id }, 'the watchtower did not take the revocation'),
          )
      }
    }, 200)
  }

  /**
   * A safety net for answers lost on the way (a proposal dropped after a refusal, a restart between a decision and
   * its proposal): an incoming HTLC acted on over 10 s ago that is still committed, not forwarded, and has no
   * fulfil, fail or outgoing add queued, in flight or proposed anywhere, is acted on again from its stored onion.
   */
  private auditIncomingHtlcs(): void {
    const now = Date.now()
    const settles = (id: bigint) => (c: Change) => (c.kind === 'fulfill' || c.kind === 'fail') && c.id === id
    for (const r of this.cs.allChannels()) {
      const id = r.channelId
      const idl = id.toLowerCase()
      if (this.cs.meta.get(`ended:${idl}`) !== undefined || this.cs.meta.get(`closing:${idl}`) !== undefined)
        continue
      const live = this.live.get(idl)
      if (
        live === undefined ||
        r.peer === undefined ||
        (this.peers.get(normalizeNodeId(r.peer))?.isClosed ?? true)
      )
        continue
      // a queue left waiting with nothing in flight (its trigger was lost): propose it now
      if (live.queue.length > 0 && live.inFlight.length === 0 && r.proposed === null) this.pump(id)
      // a channel unchanged for 5 s has every write of its last messages committed: what the restart recovery
      // checks (forwards whose outgoing HTLC is gone, payments whose HTLC is gone) is checked again, idempotently
      const sig = `${r.state.seq}:${r.proposed?.seq ?? '-'}:${r.theirRevokedSeq}:${live.queue.length}:${live.inFlight.length}`
      const seen = this.quietSince.get(idl)
      if (seen === undefined || seen.sig !== sig)
        this.quietSince.set(idl, { sig, since: now, recovered: false })
      const quiet =
        seen !== undefined &&
        seen.sig === sig &&
        now - seen.since >= 5_000 &&
        r.proposed === null &&
        live.inFlight.length === 0 &&
        r.theirRevokedSeq >= r.state.seq - 1n
      if (!quiet) continue
      // once per quiet period: recover reads every stored payment
      if (!seen.recovered) {
        seen.recovered = true
        this.recover(r)
      }
      const theirs = r.side === 'A' ? 1 : 0
      for (const h of r.htlcs) {
        if (h.direction !== theirs) continue
        const k = htlcKey(id, h.id)
        const at = this.actedAt.get(k)
        if (at !== undefined && now - at < 10_000) continue
        const mine = settles(h.id)
        if ([...live.queue, ...live.inFlight].some((q) => mine(q.change))) continue
        const f = this.cs.forwardByIn(id, h.id)
        if (f?.status === 'pending') continue // the downstream HTLC decides (recover handles one that is gone)
        const outgoing = [...this.live.values()].some((l) =>
          [...l.queue, ...l.inFlight].some(
            (q) =>
              q.change.kind === 'add' && q.change.paymentHash.toLowerCase() === h.paymentHash.toLowerCase(),
          ),
        )
        if (outgoing) continue
        const preimage = this.cs.preimages.get(h.paymentHash.toLowerCase())
        let change: Change | undefined
        if (f?.status === 'succeeded' && preimage !== undefined)
          change = { kind: 'fulfill', id: h.id, preimage }
        else if (f?.status === 'failed') {
          const reason = createFailure({
            sharedSecret: hexToBytes(f.sharedSecret),
            code: OnionFailureCode.temporaryChannelFailure,
          })
          change = { kind: 'fail', id: h.id, reason: bytesToHex(reason) }
        }
        this.log.warn(
          { channelId: id, htlcId: h.id.toString(), forward: f?.status ?? null },
          'an incoming HTLC is still unanswered in a quiet channel: answering it again',
        )
        if (change !== undefined) {
          this.enqueue(id, change).catch((err: unknown) =>
            this.log.warn({ err, channelId: id }, 'answering an HTLC again failed'),
          )
          continue
        }
        if (f !== undefined) continue // forwarded once: never forward it again
        const incoming = this.cs.onions.get(k)
        if (incoming === undefined) continue
        this.acted.delete(k)
        this.actedAt.delete(k)
        this.onIncomingHtlc(id, h, incoming.onion ?? undefined)
      }
    }
  }

  private trackL1Time(blockTimestamp: bigint): void {
    const wall = BigInt(Math.floor(Date.now() / 1000))
    this.l1Ahead = blockTimestamp > wall ? blockTimestamp - wall : 0n
  }

  /** Now in L1 time (seconds): what HTLC expiries are set and checked against. */
  private nowL1(): bigint {
    return BigInt(Math.floor(Date.now() / 1000)) + this.l1Ahead
  }

  /** One L1 poll: react to closes of our channels (penalty, dispute, preimage reveal) and settle expired ones. */
  private async pollL1(): Promise<void> {
    const from = BigInt(this.cs.meta.get('l1Cursor') as string)
    // one request per poll: the head's number and its timestamp (L1 time) together
    const latest = await this.m.publicClient.getBlock()
    const head = latest.number
    if (head >= from) {
      const events = await readHubEvents(this.m.publicClient, this.options.hub, from, head)
      for (const e of events) {
        // a channel closing or closed on L1 routes nothing any more: out of the graph (ours and others')
        if (this.cs.graph.has(e.channelId.toLowerCase()))
          await this.cs.graph.remove(e.channelId.toLowerCase())
        const record = this.cs.channel(e.channelId)
        if (record === undefined) continue
        if (e.kind === 'closing' || e.kind === 'disputed') {
          // one event's answer failing (e.g. a watchtower was faster) must not hold up the others
          await this.onPublished(record, e).catch((err: unknown) =>
            this.log.warn({ err, channelId: record.channelId }, 'answering a published state failed'),
          )
        } else {
          await this.cs.meta.remove(`closing:${record.channelId.toLowerCase()}`)
          await this.cs.meta.put(`ended:${record.channelId.toLowerCase()}`, e.kind)
          this.log.info({ channelId: record.channelId, how: e.kind }, 'channel ended on L1')
        }
      }
      if (this.options.registry !== null) await this.onReveals(from, head)
      await this.cs.meta.put('l1Cursor', (head + 1n).toString())
    }
    const l1Now = latest.timestamp
    this.trackL1Time(l1Now)
    this.auditIncomingHtlcs()
    await this.goOnChainIfNeeded(l1Now)
    // settle what is past its deadline (both sides try; the first wins)
    const now = l1Now
    for (const { key, value } of this.cs.meta.getRange({ start: 'closing:', end: 'closing;' })) {
      const pub = value as PublishedState
      if (now <= pub.deadline) continue
      const record = this.cs.channel(pub.channelId)
      if (record === undefined) continue
      // the submitter settles first; the other side only if it has not after a grace period (one payer of gas)
      const ours = pub.submitter.toLowerCase() === this.address.toLowerCase()
      if (!ours && now <= pub.deadline + SETTLE_GRACE_SECONDS) continue
      try {
        // every HTLC must be revealed in time or expired, and nobody may have settled it yet: ask before paying gas
        await this.m.publicClient.simulateContract({
          address: this.options.hub,
          abi: channelHubAbi,
          functionName: 'settle',
          args: [record.params, pub.balanceA, pub.balanceB, pub.htlcs],
          account: this.m.walletClient.account ?? null,
        } as never)
      } catch {
        continue
      }
      try {
        const { txHash, gasUsed } = await hubCalls.settle(this.writer(), record.params, pub)
        this.l1Actions.push({ kind: 'settle', channelId: record.channelId, txHash, gas: gasUsed })
        await this.cs.meta.remove(key as string)
        this.log.info({ channelId: record.channelId, txHash }, 'channel settled on L1')
      } catch (err) {
        this.log.debug({ err, channelId: record.channelId }, 'settle not possible yet (or done by the peer)')
      }
    }
  }

  /** The preimage of a payment hash if this node knows it: its own invoice, or a fulfil seen in any channel. */
  private knownPreimage(paymentHash: Hex): Hex | undefined {
    const h = paymentHash.toLowerCase()
    return this.cs.invoices.get(h)?.preimage ?? this.cs.preimages.get(h)
  }

  /**
   * An HTLC offered to us whose preimage we know but the peer has not taken off-chain (it is offline or withholds
   * its ack) must be claimed on L1 before it expires: close the channel and reveal the preimage (onPublished).
   */
  private async goOnChainIfNeeded(now: bigint): Promise<void> {
    const margin = this.options.expiryDelta / 2n
    for (const r of this.cs.allChannels()) {
      const id = r.channelId.toLowerCase()
      if (this.closingSent.has(id)) continue
      if (this.cs.meta.get(`closing:${id}`) !== undefined || this.cs.meta.get(`ended:${id}`) !== undefined)
        continue
      const toUs = r.side === 'A' ? 1 : 0
      const urgent = r.htlcs.some(
        (h) =>
          // one we can claim, about to expire off-chain
          (h.direction === toUs &&
            h.expiry - now < margin &&
            this.options.faults.withholdPreimage !== true &&
            this.knownPreimage(h.paymentHash) !== undefined) ||
          // one we offered, expired and never settled: take it back on L1
          (h.direction !== toUs && h.expiry < now),
      )
      if (!urgent) continue
      this.log.warn(
        { channelId: r.channelId },
        'an HTLC must be resolved on chain (claim or expired refund): closing',
      )
      this.closingSent.add(id)
      await this.closeUnilaterally(r.channelId)
    }
  }

  /** Preimages revealed on L1 for HTLCs we forwarded: claim the upstream HTLC with them. */
  private async onReveals(from: bigint, to: bigint): Promise<void> {
    const logs = await this.m.publicClient.getLogs({
      address: this.options.registry as Address,
      fromBlock: from,
      toBlock: to,
    })
    for (const e of parseEventLogs({ abi: preimageRegistryAbi, logs, eventName: 'PreimageRevealed' })) {
      const hash = e.args.hash.toLowerCase()
      for (const { value: f } of this.cs.forwards.getRange({ start: 'out:', end: 'out;' })) {
        if (f.paymentHash.toLowerCase() !== hash || f.status !== 'pending') continue
        await this.cs.putForward({ ...f, status: 'succeeded' })
        this.log.info(
          { paymentHash: hash, channelId: f.inChannel },
          'preimage revealed on L1: claiming upstream',
        )
        this.enqueue(f.inChannel, { kind: 'fulfill', id: f.inHtlcId, preimage: e.args.preimage }).catch(
          (err: unknown) => this.log.warn({ err, channelId: f.inChannel }, 'claiming upstream failed'),
        )
      }
    }
  }

  /** A state of ours was published on L1: punish a revoked one, replace an old one, claim our HTLCs. */
  private async onPublished(record: ChannelRecord, e: PublishedState): Promise<void> {
    await this.cs.meta.put(`closing:${record.channelId.toLowerCase()}`, e)
    const byUs = e.submitter.toLowerCase() === this.address.toLowerCase()
    this.log.warn(
      { channelId: record.channelId, seq: e.seq.toString(), byUs, ours: record.state.seq.toString() },
      'channel state published on L1',
    )
    if (!byUs && record.theirRevocationSig !== null && e.seq <= record.theirRevokedSeq) {
      const { txHash, gasUsed } = await hubCalls.penalize(
        this.writer(),
        record.params,
        record.theirRevokedSeq,
        record.theirRevocationSig,
      )
      this.l1Actions.push({ kind: 'penalize', channelId: record.channelId, txHash, gas: gasUsed })
      this.log.warn(
        { channelId: record.channelId, txHash },
        'the peer published a revoked state: penalised, the whole channel is ours',
      )
      return
    }
    if (!byUs && e.seq < record.state.seq && record.sigA !== null && record.sigB !== null) {
      const { txHash, gasUsed } = await hubCalls.dispute(
        this.writer(),
        record.params,
        record.state,
        record.sigA,
        record.sigB,
      )
      this.l1Actions.push({ kind: 'dispute', channelId: record.channelId, txHash, gas: gasUsed })
      this.log.warn(
        { channelId: record.channelId, txHash },
        'an older state was published: replaced by our newest',
      )
      return
    }
    // HTLCs offered to us whose preimage we know: reveal it on L1 before they expire
    const toUs = record.side === 'A' ? 1 : 0
    for (const h of e.htlcs) {
      if (h.direction !== toUs || this.options.registry === null) continue
      if (this.options.faults.withholdPreimage === true) continue
      const preimage = this.knownPreimage(h.paymentHash)
      if (preimage === undefined) continue
      const { txHash, gasUsed } = await hubCalls.reveal(this.m, this.options.registry, preimage)
      this.l1Actions.push({ kind: 'reveal', channelId: record.channelId, txHash, gas: gasUsed })
      this.log.info({ channelId: record.channelId, paymentHash: h.paymentHash }, 'preimage revealed on L1')
    }
  }

  // ------------------------------------------------------------------------------------ invoices and payments

  /** Issues an invoice: a fresh preimage (kept in the store) whose sha256 the payer's HTLCs lock to. */
  async createInvoice(p: {
    amount: bigint | null
    description?: string
    expirySeconds?: bigint
    /** the token the payment is in (an ERC-20; default ETH): only channels of that token carry it */
    token?: Address
  }): Promise<string> {
    const token = (p.token ?? ETH).toLowerCase() as Address
    const preimage = randomBytes(32)
    const paymentHash = sha256(preimage)
    const paymentSecret = randomBytes(32)
    const createdAt = BigInt(Math.floor(Date.now() / 1000))
    const expirySeconds = p.expirySeconds ?? 3_600n
    const invoice = createInvoice({
      payeePrivateKey: hexToBytes(this.options.privateKey),
      chainId: Number(this.domain.chainId),
      paymentHash,
      paymentSecret,
      amount: p.amount,
      description: p.description ?? '',
      expirySeconds,
      createdAt,
      token,
    })
    await this.cs.invoices.put(bytesToHex(paymentHash), {
      paymentHash: bytesToHex(paymentHash),
      preimage: bytesToHex(preimage),
      paymentSecret: bytesToHex(paymentSecret),
      amount: p.amount,
      invoice,
      description: p.description ?? '',
      createdAt: Number(createdAt),
      expiresAt: Number(createdAt + expirySeconds),
      status: 'open',
      token,
    })
    return invoice
  }

  /**
   * The directed edges of the graph as this node sees it (its own channels at their spendable balance); with
   * `token`, only the channels in that token (a payment never changes token on the way).
   */
  graphEdges(token?: Address): RouteEdge[] {
    const edges: RouteEdge[] = []
    const own = new Map(this.cs.allChannels().map((r) => [r.channelId.toLowerCase(), r]))
    for (const { value: a } of this.cs.graph.getRange()) {
      if (a.sigA === NO_SIGNATURE || a.sigB === NO_SIGNATURE) continue
      if (token !== undefined && a.params.token.toLowerCase() !== token.toLowerCase()) continue
      const nodeA = normalizeNodeId(a.nodeA)
      const nodeB = normalizeNodeId(a.nodeB)
      const mine = own.get(a.channelId.toLowerCase())
      const capA = mine === undefined ? a.params.total : mine.state.balanceA
      const capB = mine === undefined ? a.params.total : mine.state.balanceB
      edges.push({
        channelId: a.channelId,
        from: nodeA,
        to: nodeB,
        capacity: capA,
        feeBase: a.feeBaseA,
        feeRate: a.feeRateA,
      })
      edges.push({
        channelId: a.channelId,
        from: nodeB,
        to: nodeA,
        capacity: capB,
        feeBase: a.feeBaseB,
        feeRate: a.feeRateB,
      })
    }
    return edges
  }

  /**
   * Pays an invoice over the cheapest route (onion-routed HTLCs). Resolves with the preimage once the first hop
   * fulfilled it; rejects with CHANNEL_PAYMENT_FAILED (saying which hop failed and why) or CHANNEL_NO_ROUTE.
   */
  async payInvoice(
    invoiceString: string,
    amountIfOpen?: bigint,
  ): Promise<{ preimage: Hex; fee: bigint; hops: number }> {
    const inv = decodeInvoice(invoiceString, { expectedChainId: Number(this.domain.chainId) })
    const amount = inv.amount ?? amountIfOpen
    if (amount === undefined || amount <= 0n) {
      throw new L2kitError(ChannelErrorCode.badInvoice, 'the invoice has no amount: say how much to pay')
    }
    const payee = normalizeNodeId(inv.payeeNodeId)
    const paymentHash = bytesToHex(inv.paymentHash)
    // an invoice is paid once: a second payment would only be refused by the payee after fees were locked
    const earlier = this.cs.payments.get(paymentHash)
    if (earlier !== undefined && earlier.status !== 'failed') {
      throw new L2kitError(
        ChannelErrorCode.badInvoice,
        earlier.status === 'succeeded'
          ? `this invoice is already paid (preimage ${earlier.preimage ?? 'stored'})`
          : 'a payment of this invoice is already in flight',
        { details: { paymentHash, status: earlier.status } },
      )
    }
    const now = this.nowL1()
    const route = findRoute({
      edges: this.graphEdges(inv.token),
      payer: this.nodeId,
      payee,
      amount,
      finalExpiry: now + (inv.minFinalExpiryDelta ?? this.options.finalExpiryDelta),
      expiryDelta: this.options.expiryDelta,
    })
    if (route === null || route.length === 0) {
      throw new L2kitError(ChannelErrorCode.noRoute, `no route to ${payee.slice(0, 12)}… for ${amount}`)
    }
    const onionKeys = new Map<string, Hex>()
    for (const { value: a } of this.cs.graph.getRange()) {
      onionKeys.set(normalizeNodeId(a.nodeA), a.onionKeyA)
      onionKeys.set(normalizeNodeId(a.nodeB), a.onionKeyB)
    }
    const hops = route.map((h, i) => {
      const key = onionKeys.get(h.to)
      if (key === undefined) throw new L2kitError(ChannelErrorCode.noRoute, `no onion key for ${h.to}`)
      const next = route[i + 1]
      const payload: HopPayload =
        next === undefined
          ? {
              nextNodeId: null,
              amount: h.amount,
              expiry: h.expiry,
              paymentSecret: inv.paymentSecret,
              totalAmount: amount,
            }
          : { nextNodeId: hexToBytes(`0x${next.to}`), amount: next.amount, expiry: next.expiry }
      return { x25519PublicKey: hexToBytes(key), payload }
    })
    const { packet, sharedSecrets } = buildOnion({ route: hops, associatedData: inv.paymentHash })
    const first = route[0] as (typeof route)[number]
    const live = this.liveOf(first.channelId)
    const record = this.requireChannel(first.channelId)
    live.nextHtlcId ??= record.nextHtlcId
    if (this.paymentWaiters.has(paymentHash) || this.cs.payments.get(paymentHash)?.status === 'pending') {
      throw new L2kitError(ChannelErrorCode.paymentFailed, 'this invoice is already being paid')
    }
    const htlcId = live.nextHtlcId
    live.nextHtlcId += 1n
    const payment: StoredPayment = {
      paymentHash,
      amount,
      sent: first.amount,
      route: route.map((h) => `0x${h.to}` as Hex),
      firstChannel: first.channelId,
      htlcId,
      status: 'pending',
      createdAt: Date.now(),
    }
    const settled = new Promise<Hex>((resolve, reject) =>
      this.paymentWaiters.set(paymentHash, { resolve, reject }),
    )
    // the payment and its onion secrets are stored in the transaction of the proposal carrying its HTLC
    const added = this.enqueue(
      first.channelId,
      {
        kind: 'add',
        id: htlcId,
        amount: first.amount,
        paymentHash,
        expiry: first.expiry,
        onion: bytesToHex(packet),
      },
      () => {
        void this.cs.payments.put(paymentHash, payment)
        void this.cs.meta.put(
          `secrets:${paymentHash}`,
          sharedSecrets.map((x) => bytesToHex(x)),
        )
      },
    )
    added.catch(async (err: unknown) => {
      // never proposed (over capacity, not stored) or refused by the peer: the HTLC never existed
      const w = this.paymentWaiters.get(paymentHash)
      this.paymentWaiters.delete(paymentHash)
      const stored = this.cs.payments.get(paymentHash)
      if (stored !== undefined && stored.status === 'pending') {
        await this.cs.payments
          .put(paymentHash, {
            ...stored,
            status: 'failed',
            failure: { code: 'refused', message: String((err as Error).message ?? err) },
            settledAt: Date.now(),
          })
          .catch(() => undefined)
      }
      w?.reject(err)
    })
    // resolves once the preimage came back and is stored (the update carrying it, with the payment's new status)
    const preimage = await settled
    return { preimage, fee: first.amount - amount, hops: route.length }
  }

  /**
   * An HTLC offered to us is irrevocably committed: settle it (we are the payee) or forward it. Queues the change
   * (the fulfil, the fail, or the outgoing HTLC with its forward record to store in the same transaction).
   */
  private onIncomingHtlc(channelId: Hex, htlc: PendingHtlc, onionHex: Hex | undefined): void {
    this.acted.add(htlcKey(channelId, htlc.id))
    this.actedAt.set(htlcKey(channelId, htlc.id), Date.now())
    const failBack = (sharedSecret: Uint8Array | null, code: number) => {
      const reason = sharedSecret === null ? undefined : bytesToHex(createFailure({ sharedSecret, code }))
      this.enqueue(
        channelId,
        reason === undefined ? { kind: 'fail', id: htlc.id } : { kind: 'fail', id: htlc.id, reason },
      ).catch((err: unknown) => this.log.warn({ err, channelId }, 'failing an HTLC back failed'))
    }
    if (onionHex === undefined) {
      failBack(null, OnionFailureCode.invalidOnion)
      return
    }
    let peeled: ReturnType<typeof peelOnion>
    try {
      peeled = peelOnion({
        packet: hexToBytes(onionHex),
        x25519PrivateKey: this.onion.privateKey,
        associatedData: hexToBytes(htlc.paymentHash),
      })
    } catch {
      failBack(null, OnionFailureCode.invalidOnion)
      return
    }
    const ss = peeled.sharedSecret
    const now = this.nowL1()
    if (peeled.nextPacket === null) {
      // we are the payee
      const inv = this.cs.invoices.get(htlc.paymentHash)
      const p = peeled.payload
      const token = this.requireChannel(channelId).params.token.toLowerCase()
      const ok =
        inv !== undefined &&
        inv.status === 'open' &&
        token === (inv.token ?? ETH).toLowerCase() &&
        bytesToHex(p.paymentSecret) === inv.paymentSecret &&
        p.amount === htlc.amount &&
        (inv.amount === null || htlc.amount >= inv.amount) &&
        htlc.expiry >= p.expiry
      if (!ok) {
        failBack(ss, OnionFailureCode.incorrectPaymentDetails)
        return
      }
      this.enqueue(channelId, { kind: 'fulfill', id: htlc.id, preimage: inv.preimage }).catch(
        (err: unknown) => this.log.warn({ err, channelId }, 'fulfilling an HTLC failed'),
      )
      return
    }
    // forward, in the incoming channel's token
    const p = peeled.payload
    const next = normalizeNodeId(p.nextNodeId)
    const token = this.requireChannel(channelId).params.token.toLowerCase()
    const withNext = this.cs
      .allChannels()
      .filter(
        (r) =>
          r.peer !== undefined &&
          normalizeNodeId(r.peer) === next &&
          r.params.token.toLowerCase() === token &&
          this.cs.meta.get(`ended:${r.channelId.toLowerCase()}`) === undefined &&
          this.cs.meta.get(`closing:${r.channelId.toLowerCase()}`) === undefined,
      )
    if (withNext.length === 0) {
      failBack(ss, OnionFailureCode.unknownNextPeer)
      return
    }
    const out = withNext.find((r) => spendableOf(r) >= p.amount)
    if (out === undefined) {
      failBack(ss, OnionFailureCode.temporaryChannelFailure)
      return
    }
    const feeDue = this.options.feeBase + (p.amount * this.options.feeRate) / 1_000_000n
    if (htlc.amount < p.amount + feeDue) {
      failBack(ss, OnionFailureCode.feeInsufficient)
      return
    }
    if (htlc.expiry < p.expiry + this.options.expiryDelta || p.expiry < now + this.options.minExpiryDelta) {
      failBack(ss, OnionFailureCode.expiryTooSoon)
      return
    }
    const live = this.liveOf(out.channelId)
    live.nextHtlcId ??= out.nextHtlcId
    const outId = live.nextHtlcId
    live.nextHtlcId += 1n
    const forward: StoredForward = {
      paymentHash: htlc.paymentHash,
      inChannel: channelId,
      inHtlcId: htlc.id,
      inAmount: htlc.amount,
      outChannel: out.channelId,
      outHtlcId: outId,
      outAmount: p.amount,
      sharedSecret: bytesToHex(ss),
      status: 'pending',
    }
    // the in/out pair is stored in the transaction of the proposal adding the outgoing HTLC: a restarted node
    // knows what settles what for every HTLC it ever offered
    this.enqueue(
      out.channelId,
      {
        kind: 'add',
        id: outId,
        amount: p.amount,
        paymentHash: htlc.paymentHash,
        expiry: p.expiry,
        onion: bytesToHex(peeled.nextPacket),
      },
      () => this.cs.stageForward(forward),
    ).catch(() => {
      // a proposal the peer refused was stored with its forward: mark it failed
      if (this.cs.forwardByOut(out.channelId, outId) !== undefined) {
        this.cs.putForward({ ...forward, status: 'failed' }).catch(() => undefined)
      }
      failBack(ss, OnionFailureCode.temporaryChannelFailure)
    })
  }

  /**
   * The peer fulfilled an HTLC we offered (its update is being stored, with the preimage): claim upstream at once
   * (forward: the fulfil is queued on the incoming channel, its record stored with that proposal) or finish our
   * payment (its new status staged into the update's transaction, the payer told once that is stored).
   */
  private onOurHtlcFulfilled(channelId: Hex, htlc: PendingHtlc, preimage: Hex, staged: Staged): void {
    const f = this.cs.forwardByOut(channelId, htlc.id)
    if (f !== undefined) {
      if (this.options.faults.withholdPreimage === true) {
        this.log.warn(
          { paymentHash: htlc.paymentHash },
          'FAULT INJECTION: withholding the preimage from upstream',
        )
        return
      }
      if (f.status === 'succeeded') return // claimed already (its preimage was revealed on L1)
      this.enqueue(f.inChannel, { kind: 'fulfill', id: f.inHtlcId, preimage }, () =>
        this.cs.stageForward({ ...f, status: 'succeeded' }),
      ).catch((err: unknown) => this.log.warn({ err, channelId: f.inChannel }, 'claiming upstream failed'))
      return
    }
    const pay = this.cs.payments.get(htlc.paymentHash)
    if (pay !== undefined && pay.status === 'pending') {
      staged.stage.push(() => {
        void this.cs.payments.put(htlc.paymentHash, {
          ...pay,
          status: 'succeeded',
          preimage,
          settledAt: Date.now(),
        })
      })
      staged.after.push(() => {
        this.paymentWaiters.get(htlc.paymentHash)?.resolve(preimage)
        this.paymentWaiters.delete(htlc.paymentHash)
      })
    }
  }

  /**
   * The peer failed an HTLC we offered (irrevocably): fail upstream with our layer (the forward's status stored with
   * that proposal), or fail our payment (staged into the revocation's transaction, the payer told once stored).
   */
  private onOurHtlcFailed(channelId: Hex, htlc: PendingHtlc, reason: Hex | undefined, staged: Staged): void {
    const f = this.cs.forwardByOut(channelId, htlc.id)
    if (f !== undefined) {
      const ss = hexToBytes(f.sharedSecret)
      const wrapped =
        reason === undefined
          ? createFailure({ sharedSecret: ss, code: OnionFailureCode.temporaryChannelFailure })
          : wrapFailure({ sharedSecret: ss, failure: hexToBytes(reason) })
      this.enqueue(f.inChannel, { kind: 'fail', id: f.inHtlcId, reason: bytesToHex(wrapped) }, () =>
        this.cs.stageForward({ ...f, status: 'failed' }),
      ).catch((err: unknown) => this.log.warn({ err, channelId: f.inChannel }, 'failing upstream failed'))
      return
    }
    const pay = this.cs.payments.get(htlc.paymentHash)
    if (pay === undefined || pay.status !== 'pending') return
    let why = {
      code: 'unknown',
      message: 'the payment failed downstream',
      hop: undefined as number | undefined,
    }
    const secrets = this.cs.meta.get(`secrets:${htlc.paymentHash}`) as Hex[] | undefined
    if (reason !== undefined && secrets !== undefined) {
      try {
        const d = decodeFailure({
          failure: hexToBytes(reason),
          sharedSecrets: secrets.map((x) => hexToBytes(x)),
        })
        const name = Object.entries(OnionFailureCode).find(([, v]) => v === d.code)?.[0] ?? `code ${d.code}`
        why = {
          code: name,
          message: `hop ${d.hopIndex + 1} of ${pay.route.length} failed it: ${name}`,
          hop: d.hopIndex,
        }
      } catch {
        // an unreadable failure: still a failure
      }
    }
    staged.stage.push(() => {
      void this.cs.payments.put(htlc.paymentHash, {
        ...pay,
        status: 'failed',
        failure:
          why.hop === undefined
            ? { code: why.code, message: why.message }
            : (why as { code: string; message: string; hop: number }),
        settledAt: Date.now(),
      })
    })
    staged.after.push(() => {
      this.paymentWaiters
        .get(htlc.paymentHash)
        ?.reject(new L2kitError(ChannelErrorCode.paymentFailed, why.message, { details: { ...why } }))
      this.paymentWaiters.delete(htlc.paymentHash)
    })
  }

  /** Our fulfil of an incoming HTLC is committed: the invoice is paid (staged into the ack's transaction). */
  private onInvoicePaid(paymentHash: Hex, staged: Staged): void {
    const inv = this.cs.invoices.get(paymentHash)
    if (inv !== undefined && inv.status === 'open') {
      staged.stage.push(() => {
        void this.cs.invoices.put(paymentHash, { ...inv, status: 'paid', paidAt: Date.now() })
      })
      staged.after.push(() => this.log.info({ paymentHash }, 'invoice paid'))
    }
  }

  /** A channel announcement: co-sign our own half-signed one, or check a full one (and on L1) and pass it on. */
  private async onAnnouncement(peerId: string, a: AnnouncementMessage): Promise<void> {
    const known = this.cs.graph.get(a.channelId)
    if (known !== undefined && known.sigA !== NO_SIGNATURE && known.sigB !== NO_SIGNATURE) return
    if (channelIdOf(this.domain, a.params) !== a.channelId) {
      throw new L2kitError(
        ChannelErrorCode.invalidState,
        'the announcement’s id does not match its parameters',
      )
    }
    if (
      nodeIdToAddress(a.nodeA).toLowerCase() !== a.params.partyA.toLowerCase() ||
      nodeIdToAddress(a.nodeB).toLowerCase() !== a.params.partyB.toLowerCase()
    ) {
      throw new L2kitError(ChannelErrorCode.invalidState, 'the announced nodes are not the channel’s parties')
    }
    const digest = announcementDigest(a)
    const mineAsA = normalizeNodeId(a.nodeA) === this.nodeId && a.sigA === NO_SIGNATURE
    if (!isSignedBy(digest, a.sigB, a.params.partyB)) {
      throw new L2kitError(ChannelErrorCode.badSignature, 'the announcement is not signed by party B')
    }
    let full = a
    if (mineAsA) {
      if (
        a.onionKeyA !== bytesToHex(this.onion.publicKey) ||
        a.feeBaseA !== this.options.feeBase ||
        a.feeRateA !== this.options.feeRate
      ) {
        throw new L2kitError(
          ChannelErrorCode.invalidState,
          'the announcement misstates our onion key or fees',
        )
      }
      full = { ...a, sigA: signDigest(digest, this.options.privateKey) }
    } else if (!isSignedBy(digest, a.sigA, a.params.partyA)) {
      throw new L2kitError(ChannelErrorCode.badSignature, 'the announcement is not signed by party A')
    } else {
      const [phase] = await this.m.publicClient.readContract({
        address: this.options.hub,
        abi: channelHubAbi,
        functionName: 'status',
        args: [a.channelId],
      })
      if (phase !== 1)
        throw new L2kitError(ChannelErrorCode.unknownChannel, 'the announced channel is not open on L1')
    }
    await this.cs.graph.put(a.channelId, full)
    for (const [id] of this.peers) if (id !== peerId || mineAsA) this.safeSend(id, full)
  }

  /** Re-examines the channels a restart left (see `recovering`); drops each once nothing is left to wait for. */
  private sweepRecovering(): void {
    for (const id of [...this.recovering]) {
      const r = this.cs.channel(id as Hex)
      if (r === undefined || this.cs.meta.get(`ended:${id}`) !== undefined || this.recover(r)) {
        this.recovering.delete(id)
      }
    }
  }

  /**
   * What a restart may have left in a channel, acted on from the store: incoming HTLCs committed irrevocably but
   * never settled nor forwarded (their onions are stored), forwarded HTLCs whose outgoing side is gone (claim
   * upstream with the preimage, or fail upstream once the removal is irrevocable), and our payments whose HTLC is
   * gone. Returns true when nothing is left to wait for (later events take the ordinary path).
   */
  private recover(r: ChannelRecord): boolean {
    let done = true
    const id = r.channelId
    const idl = id.toLowerCase()
    const theirs = r.side === 'A' ? 1 : 0
    const irrevocable = r.theirRevokedSeq >= r.state.seq - 1n
    const canQueue = (channelId: Hex) => {
      const c = this.cs.channel(channelId)
      return c !== undefined && (c.side === 'B' || this.liveOf(channelId).accepted)
    }
    const settling = (htlcId: bigint) =>
      r.proposed?.changes.some((c) => (c.kind === 'fulfill' || c.kind === 'fail') && c.id === htlcId) ?? false
    // our HTLCs as of our newest view (a proposal of ours not yet acked included)
    const ours = [...r.htlcs, ...(r.proposed?.htlcs ?? [])].filter((h) => h.direction !== theirs)
    for (const h of r.htlcs) {
      if (h.direction !== theirs) continue
      const k = htlcKey(id, h.id)
      if (this.acted.has(k)) continue
      if (this.cs.forwardByIn(id, h.id) !== undefined || settling(h.id)) {
        this.acted.add(k)
        continue
      }
      const incoming = this.cs.onions.get(k)
      if (incoming === undefined) continue // nothing to act with: it resolves on L1 at expiry
      if (incoming.seq > r.theirRevokedSeq + 1n || !canQueue(id)) {
        done = false
        continue
      }
      this.log.info(
        { channelId: id, htlcId: h.id.toString() },
        'acting on an HTLC committed before the restart',
      )
      this.onIncomingHtlc(id, h, incoming.onion ?? undefined)
    }
    for (const { value: f } of this.cs.forwards.getRange({ start: `out:${idl}:`, end: `out:${idl};` })) {
      const k = `fwd:${htlcKey(id, f.outHtlcId)}`
      if (f.status !== 'pending' || this.acted.has(k) || ours.some((h) => h.id === f.outHtlcId)) continue
      // an outgoing add still queued (its proposal was dropped and will go again) is not gone
      const outLive = this.live.get(idl)
      if (
        outLive !== undefined &&
        [...outLive.queue, ...outLive.inFlight].some(
          (q) => q.change.kind === 'add' && q.change.id === f.outHtlcId,
        )
      ) {
        done = false
        continue
      }
      const preimage = this.cs.preimages.get(f.paymentHash.toLowerCase())
      if ((preimage === undefined && !irrevocable) || !canQueue(f.inChannel)) {
        done = false
        continue
      }
      this.acted.add(k)
      const change: Change =
        preimage !== undefined
          ? { kind: 'fulfill', id: f.inHtlcId, preimage }
          : {
              kind: 'fail',
              id: f.inHtlcId,
              reason: bytesToHex(
                createFailure({
                  sharedSecret: hexToBytes(f.sharedSecret),
                  code: OnionFailureCode.temporaryChannelFailure,
                }),
              ),
            }
      this.log.info(
        { channelId: f.inChannel, kind: change.kind },
        'settling upstream a forward left by the restart',
      )
      this.enqueue(f.inChannel, change, () =>
        this.cs.stageForward({ ...f, status: preimage !== undefined ? 'succeeded' : 'failed' }),
      ).catch((err: unknown) => this.log.warn({ err, channelId: f.inChannel }, 'settling upstream failed'))
    }
    for (const { value: pay } of this.cs.payments.getRange()) {
      if (pay.status !== 'pending' || pay.firstChannel.toLowerCase() !== idl) continue
      if (ours.some((h) => h.id === pay.htlcId)) continue
      const preimage = this.cs.preimages.get(pay.paymentHash.toLowerCase())
      if (preimage === undefined && !irrevocable) {
        done = false
        continue
      }
      const settled =
        preimage !== undefined
          ? { ...pay, status: 'succeeded' as const, preimage, settledAt: Date.now() }
          : {
              ...pay,
              status: 'failed' as const,
              failure: { code: 'unknown', message: 'the payment failed while this node was down' },
              settledAt: Date.now(),
            }
      void this.cs.payments.put(pay.paymentHash, settled).catch(() => undefined)
    }
    return done
  }

  private enqueue(channelId: Hex, change: Change, persist?: () => void): Promise<void> {
    const record = this.requireChannel(channelId)
    const live = this.liveOf(channelId)
    if (record.side === 'A' && !live.accepted) {
      return Promise.reject(
        new L2kitError(ChannelErrorCode.unexpectedMessage, 'the peer has not accepted the channel yet'),
      )
    }
    return new Promise<void>((resolve, reject) => {
      live.queue.push({ change, waiter: { resolve, reject }, persist })
      this.pump(channelId)
    })
  }

  /** Proposes the queued changes as one update when none is in flight, on the channel's handler chain. */
  private pump(channelId: Hex): void {
    const live = this.liveOf(channelId)
    live.chain = live.chain.then(() => this.proposeQueued(channelId))
    live.chain.catch((err: unknown) => this.log.warn({ err, channelId }, 'proposing an update failed'))
  }

  /**
   * Proposes the queued changes as one update unless one is in flight. Call only on the channel's handler chain
   * (from `pump`, or inline from a handler, which is on it). The proposal and the records its changes persist are
   * one LMDB transaction, written before the update is sent.
   */
  private proposeQueued(channelId: Hex): Promise<void> {
    const live = this.liveOf(channelId)
    const record = this.requireChannel(channelId)
    if (record.proposed !== null || live.inFlight.length > 0 || live.queue.length === 0)
      return Promise.resolve()
    // take what the sender can afford, in order; a payment it cannot afford fails alone
    const batch: QueuedChange[] = []
    let spendable = record.side === 'A' ? record.state.balanceA : record.state.balanceB
    // the update must fit one peer message (MAX_MESSAGE_BYTES): an add carries its onion (~7 KB as hex), so a
    // burst of HTLCs goes in several updates, ~8 adds each (found by the crash demo: 10 adds were refused)
    let bytes = 1_000
    const sizeOf = (c: Change) =>
      c.kind === 'add' ? (c.onion?.length ?? 0) + 400 : c.kind === 'fail' ? 1_200 : 300
    while (batch.length < this.options.maxChangesPerUpdate && live.queue.length > 0) {
      const q = live.queue[0] as QueuedChange
      if (batch.length > 0 && bytes + sizeOf(q.change) > MAX_MESSAGE_BYTES - 4_000) break
      bytes += sizeOf(q.change)
      const moves = q.change.kind === 'pay' || q.change.kind === 'add'
      const amount = moves ? (q.change as { amount: bigint }).amount : 0n
      if (moves && (amount > spendable || amount <= 0n)) {
        live.queue.shift()
        q.waiter.reject(
          new L2kitError(
            ChannelErrorCode.overCapacity,
            `cannot pay ${amount}: ${spendable} spendable in the channel`,
          ),
        )
        continue
      }
      spendable -= amount
      batch.push(live.queue.shift() as QueuedChange)
    }
    if (batch.length === 0) return Promise.resolve()
    const fail = (err: unknown) => {
      for (const q of batch) q.waiter.reject(err)
    }
    let r: ReturnType<typeof propose>
    try {
      r = propose(
        record,
        batch.map((q) => q.change),
        this.options.privateKey,
      )
    } catch {
      // a change the state cannot take (one HTLC too many, a duplicate payment hash): it fails alone, the rest go
      const good: QueuedChange[] = []
      for (const q of batch) {
        try {
          applyChanges(record, record.side, [...good.map((g) => g.change), q.change], null)
          good.push(q)
        } catch (err) {
          q.waiter.reject(err)
        }
      }
      batch.splice(0, batch.length, ...good)
      if (batch.length === 0) return Promise.resolve()
      try {
        r = propose(
          record,
          batch.map((q) => q.change),
          this.options.privateKey,
        )
      } catch (err) {
        fail(err)
        return Promise.resolve()
      }
    }
    const persists = batch.flatMap((q) => (q.persist === undefined ? [] : [q.persist]))
    live.inFlight = batch
    return this.cs
      .putChannel(
        r.record,
        persists.length === 0
          ? undefined
          : () => {
              for (const p of persists) p()
            },
      )
      .then(
        () => {
          try {
            this.send(this.peerOf(record), r.message)
          } catch (err) {
            // not sent: the proposal stays stored and goes again on reconnection (reestablish); its payments stay
            // pending until the peer acks or refuses it — never reported failed while they may still complete
            this.log.warn(
              { err, channelId },
              'update not sent (peer offline): it will be sent on reconnection',
            )
          }
        },
        (err: unknown) => {
          // not stored, so never sent: the changes fail
          if (live.inFlight === batch) live.inFlight = []
          fail(err)
          throw err
        },
      )
  }
}

/** The staged writes of HTLC events as one `putChannel` companion (undefined when there are none). */
function stagedWrites(staged: Staged): (() => void) | undefined {
  if (staged.stage.length === 0) return undefined
  return () => {
    for (const f of staged.stage) f()
  }
}

/** The peer's node id stored with a channel record. */
function nodeIdFromParty(record: ChannelRecord): string {
  const peer = record.peer
  if (peer === undefined)
    throw new L2kitError(ChannelErrorCode.unknownChannel, 'the channel has no known peer')
  return normalizeNodeId(peer)
}

function spendableOf(r: ChannelRecord): bigint {
  return r.side === 'A' ? r.state.balanceA : r.state.balanceB
}
