/**
 * A bare JSON-RPC 2.0 call over fetch: what a client of an l2kit node needs (the CLI's read commands, a channel node
 * talking to its watchtower) without loading viem. Errors are typed: L2_UNREACHABLE when nothing answers (with the
 * caller's hint), otherwise the server's own error code (its `data.code`, e.g. CHANNEL_NO_ROUTE) when it refuses.
 */
import { type ErrorCode, L2kitError } from '../core/errors.ts'

export type RpcRequestOptions = {
  /** appended to the "nothing answers" message: how to start or name the server */
  unreachableHint?: string
  timeoutMs?: number
}

export async function rpcRequest<T>(
  url: string,
  method: string,
  params: unknown[] = [],
  options: RpcRequestOptions = {},
): Promise<T> {
  let body: { result?: unknown; error?: { code: number; message: string; data?: unknown } }
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    })
    body = (await response.json()) as typeof body
  } catch (err) {
    const why =
      err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err)
    throw new L2kitError(
      'L2_UNREACHABLE',
      `no l2kit node answers at ${url} (${why})${options.unreachableHint ? `; ${options.unreachableHint}` : ''}`,
      { kind: 'temporary' },
    )
  }
  if (body.error) {
    const data = body.error.data as { code?: unknown } | undefined
    const code = typeof data?.code === 'string' ? data.code : `RPC_${body.error.code}`
    // The server's own code, passed through as it named it (any version: not checked against ours).
    throw new L2kitError(code as ErrorCode, `${method}: ${body.error.message}`, {
      details: { rpcCode: body.error.code },
    })
  }
  return body.result as T
}
