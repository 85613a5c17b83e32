/**
 * A bare JSON-RPC call to the l2kit node over fetch: what read-only commands (`status`) need, without loading
 * viem (~0.4 s of every call). Errors are typed: L2_UNREACHABLE when nothing answers, the node's own error code
 * (its `data.code`, e.g. WITHDRAWAL_NOT_FOUND) when it refuses.
 */
import { type ErrorCode, L2kitError } from '../core/errors.ts'

export async function l2Request<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  let body: { result?: unknown; error?: { code: number; message: string; data?: unknown } }
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      signal: AbortSignal.timeout(10_000),
    })
    body = (await response.json()) as typeof body
  } catch (err) {
    const why =
      err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err)
    throw new L2kitError(
      'L2_UNREACHABLE',
      `no l2kit node answers at ${url} (${why}); start one with 'l2kit up' or pass --l2-rpc`,
      { kind: 'temporary' },
    )
  }
  if (body.error) {
    const data = body.error.data as { code?: unknown } | undefined
    const code = typeof data?.code === 'string' ? data.code : `RPC_${body.error.code}`
    // The node's own code, passed through as the node named it (any node version: not checked against ours).
    throw new L2kitError(code as ErrorCode, `${method}: ${body.error.message}`, {
      details: { rpcCode: body.error.code },
    })
  }
  return body.result as T
}
