/** The SDK's JSON-RPC client of l2kit nodes (not Ethereum methods: viem does those). */
import { createClient, http } from 'viem'
import { type ErrorCode, L2kitError } from '../core/errors.ts'

/** A JSON-RPC client of an l2kit node (a channel node, a Plasma operator): its errors keep the node's code. */
export type NodeRpcClient = { url: string; request<T>(method: string, params?: unknown[]): Promise<T> }

/**
 * A client of the node at `url`: an error the node answers with an l2kit code (`data.code`, e.g. CHANNEL_NO_ROUTE,
 * PLASMA_SPENT_INPUT) is thrown as an L2kitError with that code; no answer at all is `L2_UNREACHABLE` with the hint.
 */
export function createNodeRpcClient(
  url: string,
  o: { what: string; unreachableHint: string },
): NodeRpcClient {
  const client = createClient({ transport: http(url, { retryCount: 0, timeout: 120_000 }) })
  return {
    url,
    async request<T>(method: string, params: unknown[] = []): Promise<T> {
      try {
        return (await client.request({ method: method as never, params: params as never })) as T
      } catch (err) {
        type ViemError = {
          code?: number
          data?: { code?: unknown }
          shortMessage?: string
          details?: string
          cause?: unknown
        }
        // viem wraps the JSON-RPC error (with our data.code) in a class per code: walk the causes
        let e = err as ViemError
        for (let c: ViemError | undefined = e; c !== undefined; c = c.cause as ViemError | undefined) {
          if (typeof c.data?.code === 'string') {
            e = c
            break
          }
        }
        const code = typeof e.data?.code === 'string' ? e.data.code : undefined
        if (code !== undefined) {
          throw new L2kitError(code as ErrorCode, e.details ?? e.shortMessage ?? String(err), {
            details: { rpcCode: e.code },
          })
        }
        if (e.code === undefined || e.code === -1) {
          throw new L2kitError(
            'L2_UNREACHABLE',
            `no ${o.what} answers at ${url} (${e.details ?? e.shortMessage ?? String(err)}); ${o.unreachableHint}`,
            { kind: 'temporary' },
          )
        }
        throw err
      }
    },
  }
}
