/** The CLI's bare JSON-RPC call to an l2kit node (no viem: ~0.4 s saved on every read command). */
import { rpcRequest } from '../node/rpcClient.ts'

export function l2Request<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  return rpcRequest<T>(url, method, params, {
    unreachableHint: "start one with 'l2kit up' or pass --l2-rpc",
  })
}
