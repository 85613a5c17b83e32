/**
 * The ZK node's JSON-RPC methods (`zk_*`, plus `l2kit_family`). Values that can exceed 2^53 are decimal strings;
 * addresses are 0x-hex. Every bad parameter is a typed error (JSON-RPC invalid params), never a crash.
 */
import { L2kitError } from '../core/errors.ts'
import type { RpcHandler } from '../node/rpcServer.ts'
import { JsonRpcErrorCode } from '../node/rpcServer.ts'
import { MAX_ACCOUNT_INDEX, addressToHex as toAddress } from './protocol/ops.ts'
import { parseZkTx } from './protocol/txJson.ts'
import type { ZkSequencer } from './sequencer.ts'
import type { ZkStore } from './store.ts'

/** JSON-RPC codes of the errors only this family raises. */
export const zkRpcErrorCodes: Readonly<Record<string, number>> = Object.freeze({
  ZK_NO_L2_KEY: JsonRpcErrorCode.transactionRejected,
  ZK_ACCOUNT_TAKEN: JsonRpcErrorCode.transactionRejected,
  ZK_BLOCK_FULL: JsonRpcErrorCode.transactionRejected,
  ZK_MALFORMED_PUBDATA: JsonRpcErrorCode.invalidParams,
  ZK_PRIORITY_MISMATCH: JsonRpcErrorCode.internalError,
  ZK_WITNESS_FAILED: JsonRpcErrorCode.internalError,
  ZK_PROOF_FAILED: JsonRpcErrorCode.internalError,
})

export type ZkRpcDeps = {
  chainId: number
  sequencer: ZkSequencer
  store: ZkStore
  l1Status: () => { committed: number; verified: number; exodus: boolean }
  info: () => Record<string, unknown>
  rpc?: { registerErrorCodes(codes: Readonly<Record<string, number>>): unknown }
}

function param(params: unknown[], i: number, what: string): unknown {
  if (!Array.isArray(params) || params.length <= i) {
    throw new L2kitError('INVALID_PARAMS', `missing parameter ${i}: ${what}`)
  }
  return params[i]
}

function accountIndex(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_ACCOUNT_INDEX) {
    throw new L2kitError('INVALID_PARAMS', `an account index is an integer in 0..${MAX_ACCOUNT_INDEX}`)
  }
  return v
}

function address(v: unknown): bigint {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(v)) {
    throw new L2kitError('INVALID_PARAMS', 'an address is 0x followed by 40 hex digits')
  }
  return BigInt(v)
}

export function createZkRpcMethods(deps: ZkRpcDeps): Record<string, RpcHandler> {
  const { sequencer, store } = deps
  deps.rpc?.registerErrorCodes(zkRpcErrorCodes)
  const accountJson = (index: number) => {
    const soft = sequencer.softState().account(index)
    return {
      index,
      owner: soft.owner === 0n ? null : toAddress(soft.owner),
      pkHash: soft.pkHash.toString(),
      nonce: soft.nonce,
      balances: soft.balances.map((b) => b.toString()),
      verifiedBalances: null as string[] | null,
    }
  }
  const blockStatus = (block: number): 'sealed' | 'committed' | 'verified' => {
    const s = deps.l1Status()
    return block <= s.verified ? 'verified' : block <= s.committed ? 'committed' : 'sealed'
  }
  return {
    l2kit_family: () => ({ family: 'zk', chainId: `0x${deps.chainId.toString(16)}` }),
    zk_sendTransaction: async (params) => {
      const tx = parseZkTx(param(params, 0, 'signed transaction'))
      const { hash } = await sequencer.submit(tx)
      return { hash, status: 'soft' }
    },
    zk_getAccount: (params) => accountJson(accountIndex(param(params, 0, 'account index'))),
    zk_getAccountsByOwner: (params) => {
      const owner = address(param(params, 0, 'owner address'))
      return sequencer
        .softState()
        .accountsOf(owner)
        .map((i) => accountJson(i))
    },
    zk_getFreeAccountIndex: () => sequencer.softState().freeIndex(),
    zk_getTransaction: (params) => {
      const hash = param(params, 0, 'transaction hash')
      if (typeof hash !== 'string' || !/^0x[0-9a-f]{64}$/.test(hash)) {
        throw new L2kitError('INVALID_PARAMS', 'a transaction hash is 0x followed by 64 lowercase hex digits')
      }
      const at = store.txs.get(hash)
      if (at === undefined) return null
      if (at.status === 'pending') return { hash, status: 'soft', block: null }
      return { hash, status: blockStatus(at.block), block: at.block }
    },
    zk_getBlock: (params) => {
      const n = param(params, 0, 'block number')
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
        throw new L2kitError('INVALID_PARAMS', 'a block number is an integer >= 1')
      }
      const b = store.blocks.get(n)
      if (b === undefined) return null
      const proof = store.proofs.get(n)
      return {
        number: b.number,
        status: blockStatus(n),
        newRoot: b.newRoot.toString(),
        commitment: b.commitment.toString(),
        pubdata: `0x${Buffer.from(b.pubdata).toString('hex')}`,
        priorityOps: b.priorityOps,
        txs: b.txHashes,
        withdrawals: b.withdrawals.map((w) => ({
          address: toAddress(w.address),
          token: w.token,
          amount: w.amount.toString(),
        })),
        proven: proof !== undefined,
        proofSeconds: proof?.seconds ?? null,
      }
    },
    zk_status: () => {
      const l1 = deps.l1Status()
      return {
        ...deps.info(),
        sealedBlocks: sequencer.sealedBlockCount(),
        committedBlocks: l1.committed,
        verifiedBlocks: l1.verified,
        exodusMode: l1.exodus,
        pendingOperations: sequencer.pendingCount(),
        proveBacklog: store.jobs.count(),
        provenBlocks: store.proofs.count(),
        l1Requests: store.requestCount(),
        softRoot: sequencer.softState().root().toString(),
        sealedRoot: sequencer.sealedState().root().toString(),
      }
    },
  }
}
