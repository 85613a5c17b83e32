/**
 * A role behind its own JSON-RPC server, as every family's node roles run (a channel node, a watchtower, a Plasma
 * operator or watcher): the role starts first, the server last (and stops first), both as one service.
 */
import type { Logger } from '../core/logger.ts'
import { type RoleService, roleService, ServiceGroup } from './lifecycle.ts'
import { isIntegerInRange } from './options.ts'
import type { RpcServer } from './rpcServer.ts'

export type RpcListenOptions = { host: string; port: number; fallbackToFreePort: boolean }
export const defaultRpcListen: RpcListenOptions = { host: '127.0.0.1', port: 0, fallbackToFreePort: false }

/** Adds what is wrong with a listen address to `problems`. */
export function checkRpcListen(rpc: RpcListenOptions, problems: string[]): void {
  if (typeof rpc.host !== 'string' || rpc.host === '') problems.push('rpc.host must be a non-empty string')
  if (!isIntegerInRange(rpc.port, 0, 65_535)) problems.push('rpc.port must be an integer in [0, 65535]')
}

/** A role behind its own JSON-RPC server: the role starts first, the server last (and stops first). */
export type ServedRole<R> = RoleService<R> & { readonly rpc: RpcServer; readonly rpcUrl: () => string }

export function servedRole<R extends { start(): Promise<unknown>; stop(): Promise<void> }>(
  name: string,
  role: R,
  rpc: RpcServer,
  logger: Logger,
): ServedRole<R> {
  let url: string | undefined
  const group = new ServiceGroup(
    { name },
    {
      logger,
      services: [
        roleService(`${name}-role`, role),
        {
          name: `${name}-rpc`,
          start: async () => {
            url = await rpc.start()
          },
          stop: () => rpc.stop().catch(() => undefined),
        },
      ],
    },
  )
  return {
    name,
    role,
    rpc,
    start: () => group.start(),
    stop: () => group.stop(),
    rpcUrl: () => {
      if (url === undefined) throw new Error(`${name}: not started`)
      return url
    },
  }
}
