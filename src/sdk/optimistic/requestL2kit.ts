/** Typed calls of the optimistic node's own JSON-RPC methods (`l2kit_*`), by the schema the node is typed by. */
import type { L2kitMethod, L2kitParams, L2kitResult } from '../../optimistic/protocol/rpcSchema.ts'

/** Anything with an EIP-1193 `request` (a viem client, a provider). */
export type RequestClient = { request(args: { method: string; params?: unknown }): Promise<unknown> }

/** One typed `l2kit_*` call: the schema gives the parameters and the result's type. */
export async function requestL2kit<M extends L2kitMethod>(
  client: RequestClient,
  method: M,
  ...params: L2kitParams<M> extends [] ? [] : [L2kitParams<M>]
): Promise<L2kitResult<M>> {
  const [p] = params
  return (await client.request({ method, ...(p ? { params: p } : {}) })) as L2kitResult<M>
}
