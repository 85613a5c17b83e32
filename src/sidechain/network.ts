/**
 * The validators' mesh: every validator keeps one authenticated, encrypted connection (`node/p2p`, BOLT 8) to every
 * other. The one with the lower node id dials (so a pair has one link), redialling with a growing delay while the
 * peer is away; the higher one dials too when no link came within `DIAL_GRACE_MS` (a validator that joined later
 * is in nobody's peer list), and when both links exist the lower id's wins on both ends. Inbound connections are
 * accepted only from the configured peers' keys and those `admit` accepts (the current validators, and keys L1
 * shows staked) — a stranger's handshake succeeds but the link is closed at once. A frame that does not decode is dropped and counted; three
 * hundred of them in a minute cut that link.
 */
import type { Logger } from '../core/logger.ts'
import type { Address } from '../core/types.ts'
import {
  connectPeer,
  createPeerServer,
  type NodeId,
  nodeIdFromPrivateKey,
  nodeIdToAddress,
  normalizeNodeId,
  type PeerConnection,
  type PeerServer,
  parsePeerAddress,
} from '../node/p2p/index.ts'
import { decodeWire, encodeWire, type WireMessage } from './protocol/wire.ts'

export type ValidatorNetworkOptions = {
  privateKey: string
  host: string
  port: number
  /** `<nodeId>@host:port` of the other validators. */
  peers: readonly string[]
  /** Node ids allowed to connect (the validators' keys); defaults to the peers'. */
  allowed?: readonly NodeId[]
  /** Also accepts a node whose key's address this returns true for. */
  admit?: (address: Address) => boolean
}

export type Peer = { nodeId: NodeId; address: Address }
export type WireHandler = (from: Peer, message: WireMessage) => void

const MAX_BAD_FRAMES_PER_MINUTE = 300
const REDIAL_MIN_MS = 250
const REDIAL_MAX_MS = 5_000
/** How long the higher node id waits for the lower one to dial before it dials itself. */
const DIAL_GRACE_MS = 2_000

export class ValidatorNetwork {
  readonly nodeId: NodeId
  readonly #options: ValidatorNetworkOptions
  readonly #log: Logger
  readonly #allowed: Set<NodeId>
  readonly #dial: Map<NodeId, string>
  readonly #links = new Map<NodeId, PeerConnection>()
  readonly #handlers = new Set<WireHandler>()
  readonly #connectHandlers = new Set<(peer: Peer) => void>()
  readonly #timers = new Set<ReturnType<typeof setTimeout>>()
  readonly #addresses = new Map<NodeId, Address>()
  #server: PeerServer | undefined
  #stopped = false
  /** Frames that did not decode, per peer, in the current minute. */
  readonly #badFrames = new Map<NodeId, { since: number; count: number }>()
  malformedFrames = 0

  constructor(options: ValidatorNetworkOptions, logger: Logger) {
    this.#options = options
    this.#log = logger
    this.nodeId = nodeIdFromPrivateKey(options.privateKey)
    this.#dial = new Map()
    for (const a of options.peers) {
      const parsed = parsePeerAddress(a)
      if (parsed.nodeId !== this.nodeId) this.#dial.set(parsed.nodeId, a)
    }
    this.#allowed = new Set((options.allowed ?? [...this.#dial.keys()]).map((n) => normalizeNodeId(n)))
  }

  /** `<nodeId>@host:port` of this validator (after `start`). */
  get address(): string {
    if (this.#server === undefined) throw new Error('not started')
    return this.#server.address
  }

  get port(): number {
    return this.#server?.port ?? 0
  }

  /** Peers connected now. */
  peers(): Peer[] {
    return [...this.#links.keys()].map((nodeId) => this.#peer(nodeId))
  }

  onMessage(handler: WireHandler): void {
    this.#handlers.add(handler)
  }

  onConnect(handler: (peer: Peer) => void): void {
    this.#connectHandlers.add(handler)
  }

  async start(): Promise<void> {
    this.#server = await createPeerServer({
      staticPrivateKey: this.#options.privateKey,
      host: this.#options.host,
      port: this.#options.port,
      logger: this.#log,
      keepAliveMs: 5_000,
      onConnection: (conn) => {
        if (
          !this.#allowed.has(conn.remoteNodeId) &&
          !(this.#options.admit?.(this.#peer(conn.remoteNodeId).address) ?? false)
        ) {
          this.#log.warn({ peer: conn.remoteNodeId }, 'refused a peer that is not a validator')
          void conn.closeWith(1008, 'not a validator')
          return
        }
        this.#attach(conn)
      },
    })
    for (const nodeId of this.#dial.keys()) this.#redial(nodeId, this.nodeId < nodeId ? 0 : DIAL_GRACE_MS)
  }

  #peer(nodeId: NodeId): Peer {
    let address = this.#addresses.get(nodeId)
    if (address === undefined) {
      address = nodeIdToAddress(nodeId)
      this.#addresses.set(nodeId, address)
    }
    return { nodeId, address }
  }

  #redial(nodeId: NodeId, delayMs: number): void {
    if (this.#stopped) return
    const timer = setTimeout(async () => {
      this.#timers.delete(timer)
      if (this.#stopped || this.#links.has(nodeId)) return
      try {
        const conn = await connectPeer({
          address: this.#dial.get(nodeId) as string,
          staticPrivateKey: this.#options.privateKey,
          timeoutMs: 5_000,
          keepAliveMs: 5_000,
          logger: this.#log,
        })
        if (this.#stopped) {
          void conn.close()
          return
        }
        this.#attach(conn)
      } catch (e) {
        this.#log.debug({ peer: nodeId, err: e }, 'validator unreachable; dialling again')
        this.#redial(nodeId, Math.min(REDIAL_MAX_MS, Math.max(REDIAL_MIN_MS, delayMs * 2)))
      }
    }, delayMs)
    this.#timers.add(timer)
  }

  #attach(conn: PeerConnection): void {
    const nodeId = conn.remoteNodeId
    const old = this.#links.get(nodeId)
    if (old !== undefined) {
      // Both ends dialled: the lower id's link wins on both ends. Otherwise the peer restarted: its new link wins.
      const initiator = (c: PeerConnection) => (c.direction === 'outbound' ? this.nodeId : nodeId)
      if (initiator(old) < initiator(conn)) {
        void conn.close()
        return
      }
      void old.close()
    }
    this.#links.set(nodeId, conn)
    const peer = this.#peer(nodeId)
    this.#log.info({ peer: peer.address, direction: conn.direction }, 'validator connected')
    conn.onMessage((bytes) => {
      let message: WireMessage
      try {
        message = decodeWire(bytes)
      } catch (e) {
        this.malformedFrames++
        const now = Date.now()
        const bad = this.#badFrames.get(nodeId)
        const rec = bad === undefined || now - bad.since > 60_000 ? { since: now, count: 0 } : bad
        rec.count++
        this.#badFrames.set(nodeId, rec)
        this.#log.warn({ peer: peer.address, err: e }, 'dropped a malformed peer message')
        if (rec.count > MAX_BAD_FRAMES_PER_MINUTE) void conn.closeWith(1008, 'too many malformed messages')
        return
      }
      for (const h of this.#handlers) h(peer, message)
    })
    conn.onClose((error) => {
      if (this.#links.get(nodeId) === conn) this.#links.delete(nodeId)
      this.#log.info({ peer: peer.address, reason: error?.message }, 'validator disconnected')
      if (this.#dial.has(nodeId)) this.#redial(nodeId, this.nodeId < nodeId ? REDIAL_MIN_MS : DIAL_GRACE_MS)
    })
    for (const h of this.#connectHandlers) h(peer)
  }

  /** Sends to every connected validator. */
  broadcast(message: WireMessage): void {
    this.broadcastBytes(encodeWire(message))
  }

  broadcastBytes(bytes: Uint8Array): void {
    for (const conn of this.#links.values()) {
      try {
        conn.send(bytes)
      } catch {
        // closing: the close handler redials
      }
    }
  }

  /** Sends to one validator if connected; false when it is not. */
  send(nodeId: NodeId, message: WireMessage): boolean {
    const conn = this.#links.get(nodeId)
    if (conn === undefined) return false
    try {
      conn.send(encodeWire(message))
      return true
    } catch {
      return false
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true
    for (const t of this.#timers) clearTimeout(t)
    this.#timers.clear()
    await Promise.all([...this.#links.values()].map((c) => c.close().catch(() => undefined)))
    await this.#server?.close()
  }
}
