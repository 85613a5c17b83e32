/**
 * Hostile input against a live peer server: over 10,000 random and mutated frames (random bytes as act one,
 * truncated, extended and bit-flipped acts, text frames, flipped MAC bits, replays, truncated and oversized frames
 * after a genuine handshake). Every hostile connection must be cut by the server, nothing hostile may reach the
 * application, the process must see no unhandled rejection or exception, nothing may be logged at error level, and
 * the server must keep serving a good client afterwards. Seeded (`P2P_FUZZ_SEED`; the mix is reproducible up to
 * the interleaving of the concurrent connections).
 */
import { once } from 'node:events'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { type LogRecord, recordingLogger } from '../../core/logger.ts'
import {
  ACT_ONE_LENGTH,
  ACT_THREE_LENGTH,
  MAX_PACKET_LENGTH,
  NoiseInitiator,
  type NoiseTransport,
  randomPrivateKey,
} from './noise.ts'
import { connectPeer, createPeerServer, type PeerConnection, type PeerServer } from './peer.ts'

const SEED = Number(process.env.P2P_FUZZ_SEED ?? 0x5eed1234)
const SESSIONS = 2_200
const CONCURRENCY = 16
const MIN_FRAMES = 10_000

/** mulberry32 */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const random = prng(SEED)
const int = (n: number): number => Math.floor(random() * n)
const randomBytes = (length: number): Uint8Array => {
  const out = new Uint8Array(length)
  for (let i = 0; i < length; i++) out[i] = int(256)
  return out
}
/** Flips 1-3 random bits, truncates, extends, or replaces a byte. */
function mutate(frame: Uint8Array): Uint8Array {
  const kind = int(5)
  if (kind === 0 && frame.length > 0) return frame.slice(0, int(frame.length))
  if (kind === 1) return new Uint8Array([...frame, ...randomBytes(1 + int(8))])
  const out = frame.slice()
  if (out.length === 0) return randomBytes(1 + int(60))
  if (kind === 2) {
    const i = int(out.length)
    out[i] = ((out[i] as number) + 1 + int(255)) & 0xff
    return out
  }
  for (let n = 1 + int(3); n > 0; n--) {
    const i = int(out.length)
    out[i] = (out[i] as number) ^ (1 << int(8))
  }
  return out
}

/** Good application messages start with this; nothing else may ever reach the server's application. */
const GOOD = 0xa5

let server: PeerServer
const records: LogRecord[] = []
const appMessages: Uint8Array[] = []
const inboundErrors = new Map<string, number>()
const problems: unknown[] = []
const onProblem = (error: unknown): void => {
  problems.push(error)
}

beforeAll(async () => {
  process.on('unhandledRejection', onProblem)
  process.on('uncaughtException', onProblem)
  server = await createPeerServer({
    staticPrivateKey: randomPrivateKey(),
    logger: recordingLogger(records),
    handshakeTimeoutMs: 3_000,
    maxPendingHandshakes: 64,
    onConnection: (connection: PeerConnection) => {
      connection.onMessage((m) => appMessages.push(m))
      connection.onClose((error) => {
        const key = error?.code ?? 'clean'
        inboundErrors.set(key, (inboundErrors.get(key) ?? 0) + 1)
      })
    },
  })
})

afterAll(async () => {
  await server?.close()
  process.off('unhandledRejection', onProblem)
  process.off('uncaughtException', onProblem)
})

interface Outcome {
  /** Hostile frames sent (genuine handshake acts and messages not counted). */
  frames: number
  cutByServer: boolean
  kind: string
  /** The connection got through the handshake (its end is then counted by the server's onClose). */
  authenticated: boolean
}

/** Opens a raw WebSocket to the server; resolves `closed` when the server ends it. */
async function open(): Promise<{ ws: WebSocket; closed: Promise<void> }> {
  const ws = new WebSocket(server.url, { perMessageDeflate: false, maxPayload: MAX_PACKET_LENGTH })
  ws.on('error', () => {})
  const closed = once(ws, 'close').then(() => undefined)
  await once(ws, 'open')
  return { ws, closed }
}

function nextMessage(ws: WebSocket): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const onMessage = (data: Buffer): void => {
      ws.off('close', onClose)
      resolve(new Uint8Array(data))
    }
    const onClose = (): void => {
      ws.off('message', onMessage)
      reject(new Error('closed before the server answered'))
    }
    ws.once('message', onMessage)
    ws.once('close', onClose)
  })
}

/** Waits for the server to cut the connection; gives up (and reports it) after 5 s. */
async function cut(ws: WebSocket, closed: Promise<void>): Promise<boolean> {
  const timer = new Promise<false>((resolve) => setTimeout(() => resolve(false), 5_000).unref())
  const result = await Promise.race([closed.then(() => true as const), timer])
  if (!result) ws.terminate()
  return result
}

/** More hostile frames right behind the first (0-8): the server must ignore what follows a failure. */
function trailing(ws: WebSocket): number {
  const n = int(9)
  for (let i = 0; i < n; i++) ws.send(int(4) === 0 ? 'text' : randomBytes(int(120)))
  return n
}

async function handshakeAttack(): Promise<Outcome> {
  const { ws, closed } = await open()
  const initiator = new NoiseInitiator({
    staticPrivateKey: randomPrivateKey(),
    remoteStaticKey: Buffer.from(server.nodeId, 'hex'),
  })
  const actOne = initiator.writeActOne()
  let frames = 0
  let kind: string
  const choice = int(8)
  if (choice <= 2) {
    kind = 'random act one'
    ws.send(randomBytes(int(3) === 0 ? ACT_ONE_LENGTH : int(200)))
  } else if (choice <= 4) {
    kind = 'mutated act one'
    ws.send(mutate(actOne))
  } else if (choice === 5) {
    kind = 'text act one'
    ws.send(Buffer.from(actOne).toString('latin1'))
  } else {
    kind = 'bad act three'
    ws.send(actOne)
    const actTwo = await nextMessage(ws)
    const { actThree } = initiator.readActTwo(actTwo)
    ws.send(int(3) === 0 ? randomBytes(int(2) === 0 ? ACT_THREE_LENGTH : int(200)) : mutate(actThree))
  }
  frames += 1 + trailing(ws)
  return { frames, cutByServer: await cut(ws, closed), kind, authenticated: false }
}

async function session(): Promise<{ ws: WebSocket; closed: Promise<void>; transport: NoiseTransport }> {
  const { ws, closed } = await open()
  const initiator = new NoiseInitiator({
    staticPrivateKey: randomPrivateKey(),
    remoteStaticKey: Buffer.from(server.nodeId, 'hex'),
  })
  ws.send(initiator.writeActOne())
  const { actThree, session } = initiator.readActTwo(await nextMessage(ws))
  ws.send(actThree)
  return { ws, closed, transport: session.transport }
}

async function transportAttack(): Promise<Outcome> {
  const { ws, closed, transport } = await session()
  let frames = 0
  // Some genuine traffic first.
  for (let i = int(4); i > 0; i--) ws.send(transport.encrypt(new Uint8Array([GOOD, ...randomBytes(int(64))])))
  const choice = int(7)
  let kind: string
  if (choice <= 2) {
    kind = 'flipped bits'
    const packet = transport.encrypt(new Uint8Array([0x00, ...randomBytes(int(300))]))
    for (let n = 1 + int(2); n > 0; n--) {
      const i = int(packet.length)
      packet[i] = (packet[i] as number) ^ (1 << int(8))
    }
    ws.send(packet)
  } else if (choice === 3) {
    kind = 'replay'
    const packet = transport.encrypt(new Uint8Array([GOOD, 1]))
    ws.send(packet)
    ws.send(packet)
    frames += 1
  } else if (choice === 4) {
    kind = 'truncated or extended'
    const packet = transport.encrypt(new Uint8Array([0x00, ...randomBytes(int(100))]))
    ws.send(
      int(2) === 0
        ? packet.slice(0, int(packet.length))
        : new Uint8Array([...packet, ...randomBytes(1 + int(4))]),
    )
  } else if (choice === 5) {
    kind = 'random frame'
    ws.send(randomBytes(int(400)))
  } else {
    kind = 'oversized frame'
    ws.send(randomBytes(MAX_PACKET_LENGTH + 1 + int(100)))
  }
  frames += 1 + trailing(ws)
  return { frames, cutByServer: await cut(ws, closed), kind, authenticated: true }
}

describe('peer server under hostile input', () => {
  it(`survives ${MIN_FRAMES}+ random and mutated frames (seed ${SEED}) and keeps serving`, async () => {
    const started = performance.now()
    const outcomes: Outcome[] = []
    let launched = 0
    let sent = 0
    const worker = async (): Promise<void> => {
      while (launched < SESSIONS || sent < MIN_FRAMES) {
        launched += 1
        const outcome = await (int(3) === 0 ? transportAttack() : handshakeAttack())
        sent += outcome.frames
        outcomes.push(outcome)
      }
    }
    await Promise.all(Array.from({ length: CONCURRENCY }, worker))
    const frames = outcomes.reduce((sum, o) => sum + o.frames, 0)
    const kinds = new Map<string, number>()
    for (const o of outcomes) kinds.set(o.kind, (kinds.get(o.kind) ?? 0) + 1)
    const seconds = (performance.now() - started) / 1000
    console.log(
      `p2p fuzz: ${frames} hostile frames in ${outcomes.length} connections (each cut by the server), ${seconds.toFixed(1)} s; ` +
        `${JSON.stringify(Object.fromEntries(kinds))}; inbound closes ${JSON.stringify(Object.fromEntries(inboundErrors))}`,
    )

    expect(frames).toBeGreaterThanOrEqual(MIN_FRAMES)
    expect(outcomes.filter((o) => !o.cutByServer).map((o) => o.kind)).toEqual([])
    expect(problems).toEqual([])
    expect(records.filter((r) => r.level === 'error' || r.level === 'fatal')).toEqual([])
    // Only genuine messages reached the application.
    expect(appMessages.every((m) => m[0] === GOOD)).toBe(true)
    // Every authenticated hostile connection ended with a typed error, none cleanly.
    expect(inboundErrors.get('clean')).toBeUndefined()
    const typed = [...inboundErrors.values()].reduce((a, b) => a + b, 0)
    expect(typed).toBe(outcomes.filter((o) => o.authenticated).length)

    // Still serving: a good client round trip, and no handshake or connection left behind.
    const client = await connectPeer({
      url: server.url,
      remoteNodeId: server.nodeId,
      staticPrivateKey: randomPrivateKey(),
    })
    const echoed = new Promise<Uint8Array>((resolve) => client.onMessage(resolve))
    const inbound = await new Promise<PeerConnection>((resolve) => {
      const check = (): void => {
        const found = [...server.connections].find((c) => c.remoteNodeId === client.localNodeId)
        if (found) resolve(found)
        else setTimeout(check, 5)
      }
      check()
    })
    inbound.onMessage((m) => inbound.send(m))
    client.send(new Uint8Array([GOOD, 42]))
    expect([...(await echoed)]).toEqual([GOOD, 42])
    await client.close()
    expect(server.pendingHandshakes).toBe(0)
  }, 60_000)
})
