/**
 * The optimistic node's JSON-RPC surface: the standard `eth_*` methods (src/node/rpc, over this family's
 * ChainView) and `l2kit_*` methods for rollup status and withdrawals.
 */
import { toHex } from 'viem'
import { createEthMethods, type RpcMethod } from '../node/rpc/ethMethods.ts'
import { param, quantity } from '../node/rpc/params.ts'
import { JsonRpcErrorCode } from '../node/rpcServer.ts'
import type { ChainStore } from './chainStore.ts'
import { createChainView } from './chainView.ts'
import type { ChainConfig } from './config.ts'
import type {
  L2kitMethod,
  L2kitResult,
  RollupContractsInfo,
  RollupStatusInfo,
  WithdrawalProof,
} from './protocol/rpcSchema.ts'
import type { Sequencer } from './sequencer.ts'

/** `ctx.connection` is set for WebSocket requests (eth_subscribe needs it). */
export type RpcHandler = RpcMethod

/** What the node reports through `l2kit_status` and the withdrawal methods; implemented by OptimisticNode. */
export type RollupStatusSource = {
  status(): Promise<RollupStatusInfo> | RollupStatusInfo
  withdrawalProof(withdrawalIndex: bigint): Promise<WithdrawalProof> | WithdrawalProof
  /** L1 contract addresses and the L1 RPC the node uses, so tools need only the L2 URL. */
  contracts(): RollupContractsInfo
}

/** The `l2kit_*` handlers, each typed by the schema the SDK reads with. */
type L2kitHandlers = { [M in L2kitMethod]: (params: unknown[]) => L2kitResult<M> | Promise<L2kitResult<M>> }

/** JSON-RPC codes of the L2kitErrors only this family raises (the generic ones are the server's defaults). */
export const optimisticRpcErrorCodes: Readonly<Record<string, number>> = Object.freeze({
  // The test-only censoring sequencer refuses a sender.
  TX_CENSORED: JsonRpcErrorCode.transactionRejected,
})

export function createRpcMethods(deps: {
  chain: ChainConfig
  sequencer: Sequencer
  store: ChainStore
  status: RollupStatusSource
  /** Wall clock in ms (filters expire); injectable for tests. */
  now?: () => number
  /** The server these methods are registered on: this family's error codes are registered there too. */
  rpc?: { registerErrorCodes(codes: Readonly<Record<string, number>>): unknown }
}): Record<string, RpcHandler> {
  const { chain, sequencer, store } = deps
  deps.rpc?.registerErrorCodes(optimisticRpcErrorCodes)
  const view = createChainView({ chain, sequencer, store })
  const l2kit: L2kitHandlers = {
    /** Which L2 family this node runs (every l2kit node answers it, so a client can tell them apart). */
    l2kit_family: () => ({ family: 'optimistic', chainId: toHex(chain.chainId) }),
    l2kit_status: () => deps.status.status(),
    l2kit_getWithdrawalProof: (p) =>
      deps.status.withdrawalProof(quantity(param(p, 0, 'withdrawal index'), 'withdrawal index')),
    l2kit_contracts: () => deps.status.contracts(),
    l2kit_tokens: () => [...sequencer.state.tokens],
    l2kit_batches: () => store.listBatches(),
  }
  return {
    ...createEthMethods(view, {
      clientVersion: 'l2kit/0.1.0/optimistic',
      ...(deps.now === undefined ? {} : { now: deps.now }),
    }),
    ...l2kit,
  }
}
