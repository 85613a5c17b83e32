/**
 * JSON-RPC to the nodes' public endpoints, with a timeout: a slow or dead node must show as down, never hang the
 * page. Errors keep the node's typed code (`data.code`) so the panel can say why.
 */

export class RpcError extends Error {
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.name = 'RpcError'
    this.code = code
  }
}

let nextId = 1

export async function rpc<T>(
  url: string,
  method: string,
  params: unknown[] = [],
  timeoutMs = 5_000,
): Promise<T> {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), timeoutMs)
  let res: Response
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }),
      signal: controller.signal,
    })
  } catch (err) {
    if (controller.signal.aborted)
      throw new RpcError('TIMEOUT', `${method} at ${url}: no answer within ${timeoutMs / 1000} s`)
    throw new RpcError('UNREACHABLE', `${method} at ${url}: unreachable (${(err as Error).message})`)
  } finally {
    clearTimeout(timer)
  }
  if (!res.ok && res.headers.get('content-type')?.includes('json') !== true)
    throw new RpcError('HTTP_ERROR', `${method} at ${url}: HTTP ${res.status}`)
  const body = (await res.json()) as {
    result?: T
    error?: { code: number; message: string; data?: { code?: string } }
  }
  if (body.error !== undefined)
    throw new RpcError(body.error.data?.code ?? String(body.error.code), `${method}: ${body.error.message}`)
  return body.result as T
}

/** The message of anything thrown, first line only (viem's errors run to many lines). */
export function reason(err: unknown): string {
  const message =
    err instanceof Error ? ((err as { shortMessage?: string }).shortMessage ?? err.message) : String(err)
  return message.split('\n')[0] ?? message
}

/** Rejects when `p` takes longer than `ms`. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new RpcError('TIMEOUT', `${what}: no answer within ${ms / 1000} s`)),
      ms,
    )
    p.then(
      (v) => {
        clearTimeout(timer)
        resolve(v)
      },
      (e: unknown) => {
        clearTimeout(timer)
        reject(e)
      },
    )
  })
}
