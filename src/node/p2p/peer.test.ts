/**
 * The peer transport over real loopback WebSockets: round trips both ways across key rotations, the 65,535-byte
 * bound, authentication (a wrong node id fails), timeouts, the unauthenticated-connection cap, frames that fail
 * their MAC or exceed the bound, keep-alive, clean closes; a throughput figure is logged, not asserted.
 */
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import { isL2kitError, type L2kitError } from '../../core/errors.ts'
import { formatPeerAddress, nodeIdFromPrivateKey, normalizeNodeId, parsePeerAddress } from './address.ts'
import {
  compressedPublicKey,
  MAX_MESSAGE_LENGTH,
  NoiseInitiator,
  NoiseResponder,
  type NoiseTransport,
  noiseBackends,
  randomPrivateKey,
} from './noise.ts'
import {
  connectPeer,
  createPeerServer,
  type PeerConnection,
  type PeerServer,
  type PeerServerOptions,
} from './peer.ts'

const cleanups: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function startServer(options: Partial<PeerServerOptions> = {}): Promise<{
  server: PeerServer
  key: Uint8Array
  inbound: PeerConnection[]
  next: () => Promise<PeerConnection>
}> {
  const key = randomPrivateKey()
  const inbound: PeerConnection[] = []
  const waiting: ((c: PeerConnection) => void)[] = []
  const server = await createPeerServer({
    staticPrivateKey: key,
    onConnection: (connection) => {
      inbound.push(connection)
      waiting.shift()?.(connection)
    },
    ...options,
  })
  cleanups.push(() => server.close())
  let taken = 0
  const next = (): Promise<PeerConnection> => {
    const have = inbound[taken]
    taken += 1
    return have !== undefined ? Promise.resolve(have) : new Promise((resolve) => waiting.push(resolve))
  }
  return { server, key, inbound, next }
}

async function dial(server: PeerServer, key = randomPrivateKey()): Promise<PeerConnection> {
  const connection = await connectPeer({
    url: server.url,
    remoteNodeId: server.nodeId,
    staticPrivateKey: key,
  })
  cleanups.push(() => connection.close())
  return connection
}

function closedWith(connection: PeerConnection): Promise<L2kitError | undefined> {
  return new Promise((resolve) => connection.onClose(resolve))
}

async function rejection(promise: Promise<unknown>): Promise<L2kitError> {
  try {
    await promise
  } catch (error) {
    if (isL2kitError(error)) return error
    throw error
  }
  throw new Error('expected a rejection')
}

/** A raw WebSocket that runs the initiator's handshake itself (to send what connectPeer never would). */
async function rawSession(
  server: PeerServer,
  wsOptions: ConstructorParameters<typeof WebSocket>[2] = {},
): Promise<{ ws: WebSocket; transport: NoiseTransport }> {
  const ws = new WebSocket(server.url, { perMessageDeflate: false, ...wsOptions })
  ws.on('error', () => {})
  await once(ws, 'open')
  const initiator = new NoiseInitiator({
    staticPrivateKey: randomPrivateKey(),
    remoteStaticKey: Buffer.from(server.nodeId, 'hex'),
  })
  ws.send(initiator.writeActOne())
  const [data] = (await once(ws, 'message')) as [Buffer]
  const { actThree, session } = initiator.readActTwo(new Uint8Array(data))
  ws.send(actThree)
  return { ws, transport: session.transport }
}

const bytes = (length: number, seed: number): Uint8Array =>
  new Uint8Array(length).map((_, i) => (i * 31 + seed) & 0xff)

describe('peer transport over WebSocket', () => {
  it('authenticates both ends and carries messages both ways across key rotations, up to 65,535 bytes', async () => {
    const { server, next } = await startServer()
    const clientKey = randomPrivateKey()
    const client = await dial(server, clientKey)
    const inbound = await next()
    expect(client.remoteNodeId).toBe(server.nodeId)
    expect(client.localNodeId).toBe(nodeIdFromPrivateKey(clientKey))
    expect(inbound.remoteNodeId).toBe(nodeIdFromPrivateKey(clientKey))
    expect(inbound.direction).toBe('inbound')
    expect(client.direction).toBe('outbound')
    expect(Buffer.from(inbound.handshakeHash).equals(Buffer.from(client.handshakeHash))).toBe(true)
    expect(server.connections.size).toBe(1)

    // Server echoes; client sends 1,200 messages (2,400 nonces: two key rotations each way) of varied sizes.
    inbound.onMessage((m) => inbound.send(m))
    const count = 1_200
    const received: Uint8Array[] = []
    const allBack = new Promise<void>((resolve) =>
      client.onMessage((m) => {
        received.push(m)
        if (received.length === count + 1) resolve()
      }),
    )
    const sent: Uint8Array[] = []
    for (let i = 0; i < count; i++) {
      const m = bytes(i % 300, i)
      sent.push(m)
      client.send(m)
    }
    const largest = bytes(MAX_MESSAGE_LENGTH, 7)
    sent.push(largest)
    client.send(largest)
    await allBack
    for (let i = 0; i < sent.length; i++)
      expect(Buffer.from(received[i] as Uint8Array).equals(Buffer.from(sent[i] as Uint8Array)), `#${i}`).toBe(
        true,
      )

    // Too large: refused on send, nothing sent, the connection stays up.
    expect(() => client.send(new Uint8Array(MAX_MESSAGE_LENGTH + 1))).toThrow(
      expect.objectContaining({ code: 'P2P_FRAME_TOO_LARGE' }),
    )
    const one = new Promise<Uint8Array>((resolve) => {
      const off = client.onMessage((m) => {
        off()
        resolve(m)
      })
    })
    client.send(new Uint8Array([1, 2, 3]))
    expect([...(await one)]).toEqual([1, 2, 3])
    expect(client.isClosed).toBe(false)
  })

  it('delivers to an async iterator, queued messages first, and ends it on close', async () => {
    const { server, next } = await startServer()
    const client = await dial(server)
    const inbound = await next()
    for (let i = 0; i < 600; i++) inbound.send(new Uint8Array([i & 0xff, i >> 8]))
    const got: number[] = []
    for await (const m of client) {
      got.push((m[0] as number) | ((m[1] as number) << 8))
      if (got.length === 600) break
    }
    expect(got).toEqual(Array.from({ length: 600 }, (_, i) => i))
    const iterating = (async () => {
      const rest: Uint8Array[] = []
      for await (const m of client.messages()) rest.push(m)
      return rest.length
    })()
    inbound.send(new Uint8Array([9]))
    await new Promise((r) => setTimeout(r, 50))
    await inbound.close()
    expect(await iterating).toBe(1)
    expect(client.closeError).toBeUndefined()
  })

  it('connects by <nodeId>@host:port and parses peer addresses', async () => {
    const { server } = await startServer()
    expect(server.address).toBe(`${server.nodeId}@127.0.0.1:${server.port}`)
    const client = await connectPeer({ address: server.address, staticPrivateKey: randomPrivateKey() })
    cleanups.push(() => client.close())
    expect(client.remoteNodeId).toBe(server.nodeId)

    const id = server.nodeId
    expect(parsePeerAddress(`${id}@example.org:9735`)).toEqual({
      nodeId: id,
      host: 'example.org',
      port: 9735,
      url: 'ws://example.org:9735',
    })
    expect(parsePeerAddress(`0x${id.toUpperCase()}@[::1]:80`)).toEqual({
      nodeId: id,
      host: '::1',
      port: 80,
      url: 'ws://[::1]:80',
    })
    expect(parsePeerAddress(`${id}@wss://peer.example/p2p`).url).toBe('wss://peer.example/p2p')
    expect(parsePeerAddress(`${id}@ws://10.0.0.1:9000`).url).toBe('ws://10.0.0.1:9000')
    expect(formatPeerAddress(id, '::1', 5)).toBe(`${id}@[::1]:5`)
    for (const bad of [
      'nope',
      `${id}@host`,
      `${id}@host:0`,
      `${id}@host:70000`,
      `${id.slice(2)}@host:1`,
      `04${id.slice(2)}@host:1`,
      `${id}@:1`,
    ])
      expect(() => parsePeerAddress(bad), bad).toThrow(
        expect.objectContaining({ code: 'P2P_INVALID_ADDRESS' }),
      )
    expect(() => normalizeNodeId('zz')).toThrow(expect.objectContaining({ code: 'INVALID_PUBLIC_KEY' }))
  })

  it('fails the initiator when the responder is not the expected node id; the server keeps serving', async () => {
    const { server, inbound, next } = await startServer()
    const someoneElse = nodeIdFromPrivateKey(randomPrivateKey())
    const error = await rejection(
      connectPeer({ url: server.url, remoteNodeId: someoneElse, staticPrivateKey: randomPrivateKey() }),
    )
    expect(error.code).toBe('P2P_HANDSHAKE_FAILED')
    expect(inbound.length).toBe(0)

    // An impostor that answers act one anyway (it cannot know `es`): act two's MAC fails.
    const http = createServer()
    const wss = new WebSocketServer({ server: http })
    wss.on('connection', (ws) => {
      ws.on('message', () =>
        ws.send(Buffer.concat([Buffer.from([0]), compressedPublicKey(randomPrivateKey()), Buffer.alloc(16)])),
      )
    })
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
    cleanups.push(
      () =>
        new Promise((resolve) => {
          wss.close()
          http.close(resolve)
          http.closeAllConnections()
        }),
    )
    const impostorUrl = `ws://127.0.0.1:${(http.address() as AddressInfo).port}`
    const forged = await rejection(
      connectPeer({ url: impostorUrl, remoteNodeId: server.nodeId, staticPrivateKey: randomPrivateKey() }),
    )
    expect(forged.code).toBe('P2P_HANDSHAKE_FAILED')
    expect(forged.details.reason).toBe('ACT2_BAD_TAG')

    await dial(server)
    await next()
    expect(inbound.length).toBe(1)
    expect(server.pendingHandshakes).toBe(0)
  })

  it('reports refused connections, client-side timeouts and bad options with typed errors', async () => {
    const http = createServer()
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
    const port = (http.address() as AddressInfo).port
    await new Promise((resolve) => http.close(resolve))
    const remoteNodeId = nodeIdFromPrivateKey(randomPrivateKey())
    const refused = await rejection(
      connectPeer({ url: `ws://127.0.0.1:${port}`, remoteNodeId, staticPrivateKey: randomPrivateKey() }),
    )
    expect(refused.code).toBe('P2P_CONNECT_FAILED')
    expect(refused.kind).toBe('temporary')

    // A WebSocket server that never answers act one.
    const silent = new WebSocketServer({ port: 0, host: '127.0.0.1' })
    await once(silent, 'listening')
    cleanups.push(
      () =>
        new Promise((resolve) => {
          for (const c of silent.clients) c.terminate()
          silent.close(resolve)
        }),
    )
    const started = Date.now()
    const timedOut = await rejection(
      connectPeer({
        url: `ws://127.0.0.1:${(silent.address() as AddressInfo).port}`,
        remoteNodeId,
        staticPrivateKey: randomPrivateKey(),
        timeoutMs: 150,
      }),
    )
    expect(timedOut.code).toBe('P2P_TIMEOUT')
    expect(Date.now() - started).toBeLessThan(2_000)

    expect(
      (await rejection(connectPeer({ url: 'http://x', remoteNodeId, staticPrivateKey: randomPrivateKey() })))
        .code,
    ).toBe('INVALID_OPTIONS')
    expect(
      (
        await rejection(
          connectPeer({ url: 'ws://x:1', remoteNodeId: 'abc', staticPrivateKey: randomPrivateKey() }),
        )
      ).code,
    ).toBe('INVALID_PUBLIC_KEY')
    expect(
      (await rejection(connectPeer({ url: 'ws://x:1', remoteNodeId, staticPrivateKey: new Uint8Array(32) })))
        .code,
    ).toBe('INVALID_PRIVATE_KEY')
    expect(
      (await rejection(createPeerServer({ staticPrivateKey: 'zz', onConnection: () => {}, port: -1 })))
        .details.problems,
    ).toHaveLength(2)
  })

  it('cuts a handshake that does not finish in time, and caps unauthenticated connections', async () => {
    const { server, inbound, next } = await startServer({ handshakeTimeoutMs: 300, maxPendingHandshakes: 4 })
    const silent: WebSocket[] = []
    for (let i = 0; i < 4; i++) {
      const ws = new WebSocket(server.url)
      ws.on('error', () => {})
      await once(ws, 'open')
      silent.push(ws)
    }
    expect(server.pendingHandshakes).toBe(4)
    // The fifth unauthenticated connection is refused (HTTP 503), even a good client's.
    const full = await rejection(
      connectPeer({ url: server.url, remoteNodeId: server.nodeId, staticPrivateKey: randomPrivateKey() }),
    )
    expect(full.code).toBe('P2P_CONNECT_FAILED')
    expect(full.message).toMatch(/503/)
    // The silent ones are cut after 300 ms.
    const started = Date.now()
    await Promise.all(silent.map((ws) => once(ws, 'close')))
    expect(Date.now() - started).toBeLessThan(2_000)
    expect(server.pendingHandshakes).toBe(0)
    // An authenticated connection is not bound by the handshake timeout.
    const client = await dial(server)
    const peer = await next()
    expect(inbound.length).toBe(1)
    await new Promise((r) => setTimeout(r, 1_000))
    peer.onMessage((m) => peer.send(m))
    const back = new Promise<Uint8Array>((resolve) => client.onMessage(resolve))
    client.send(new Uint8Array([7]))
    expect([...(await back)]).toEqual([7])
  })

  it('drops a connection whose frame fails its MAC, is replayed, is text or exceeds the bound', async () => {
    const { server, next } = await startServer()
    const hostile: ((ws: WebSocket, t: NoiseTransport) => void)[] = [
      (ws, t) => {
        const p = t.encrypt(bytes(40, 1))
        p[25] = (p[25] as number) ^ 0x10
        ws.send(p)
      },
      (ws, t) => {
        const p = t.encrypt(bytes(40, 2))
        ws.send(p)
        ws.send(p)
      },
      (ws) => ws.send('hello'),
      (ws) => ws.send(new Uint8Array(MAX_MESSAGE_LENGTH + 40)),
    ]
    const expected = ['P2P_BAD_FRAME', 'P2P_BAD_FRAME', 'P2P_BAD_FRAME', 'P2P_FRAME_TOO_LARGE']
    for (const [i, attack] of hostile.entries()) {
      const { ws, transport } = await rawSession(server)
      const clientClosed = once(ws, 'close')
      const inbound = await next()
      const got: Uint8Array[] = []
      inbound.onMessage((m) => got.push(m))
      const ended = closedWith(inbound)
      ws.send(transport.encrypt(bytes(10, 9))) // a good one first
      attack(ws, transport)
      const error = await ended
      expect(error?.code, `attack ${i}`).toBe(expected[i])
      expect(got.length, `attack ${i}`).toBe(i === 1 ? 2 : 1) // the replay's first copy is genuine
      await clientClosed
    }
    expect(server.connections.size).toBe(0)
    await dial(server)
  })

  it('drops a peer that stops answering pings', async () => {
    const { server, next } = await startServer({ keepAliveMs: 100 })
    const { ws } = await rawSession(server, { autoPong: false })
    const clientClosed = once(ws, 'close')
    const inbound = await next()
    const error = await closedWith(inbound)
    expect(error?.code).toBe('P2P_TIMEOUT')
    await clientClosed
  })

  it('closes cleanly from either side; send after close throws P2P_CLOSED; server close ends every connection', async () => {
    const { server, next } = await startServer()
    const a = await dial(server)
    const aIn = await next()
    const aInClosed = closedWith(aIn)
    await a.close()
    expect(await aInClosed).toBeUndefined()
    expect(() => a.send(new Uint8Array(1))).toThrow(expect.objectContaining({ code: 'P2P_CLOSED' }))

    const b = await dial(server)
    await next()
    const bClosed = closedWith(b)
    await server.close()
    expect(await bClosed).toBeUndefined()
    expect(b.isClosed).toBe(true)
    const late = new Promise((resolve) => b.onClose(resolve)) // already closed: called at once
    expect(await late).toBeUndefined()
    expect((await rejection(dial(server))).code).toBe('P2P_CONNECT_FAILED')
  })

  it('throughput (logged, not asserted): handshakes and 100-byte messages', async () => {
    // The handshake alone, both sides in memory (CPU: 5 ECDH, 2 key generations, HKDFs, 6 AEADs).
    const inMemory = 100
    let started = performance.now()
    for (let i = 0; i < inMemory; i++) {
      const b = randomPrivateKey()
      const initiator = new NoiseInitiator({
        staticPrivateKey: randomPrivateKey(),
        remoteStaticKey: compressedPublicKey(b),
      })
      const responder = new NoiseResponder({ staticPrivateKey: b })
      responder.readActThree(initiator.readActTwo(responder.readActOne(initiator.writeActOne())).actThree)
    }
    const handshakeMs = (performance.now() - started) / inMemory

    // connectPeer over loopback: TCP, HTTP upgrade, three acts (until the initiator has sent act three).
    const { server, next } = await startServer()
    const connects = 40
    let connectMs = 0
    for (let i = 0; i < connects; i++) {
      started = performance.now()
      const c = await connectPeer({
        url: server.url,
        remoteNodeId: server.nodeId,
        staticPrivateKey: randomPrivateKey(),
      })
      connectMs += performance.now() - started
      await next()
      await c.close()
    }
    connectMs /= connects

    const client = await dial(server)
    const inbound = await next()
    const count = 20_000
    let got = 0
    const all = new Promise<void>((resolve) =>
      inbound.onMessage(() => {
        got += 1
        if (got === count) resolve()
      }),
    )
    const payload = bytes(100, 3)
    started = performance.now()
    for (let i = 0; i < count; i++) client.send(payload)
    await all
    const seconds = (performance.now() - started) / 1000
    console.log(
      `p2p (${JSON.stringify(noiseBackends())}): handshake ${handshakeMs.toFixed(2)} ms CPU (both sides, in memory); ` +
        `connectPeer ${connectMs.toFixed(2)} ms (loopback, sequential); ` +
        `${Math.round(count / seconds)} messages/s of 100 bytes one way (${count} in ${seconds.toFixed(2)} s)`,
    )
    expect(got).toBe(count)
  })
})
