/**
 * A validator's own JSON-RPC methods beside the standard `eth_*` ones: `sidechain_getInfo`, `sidechain_status`,
 * `sidechain_validators`, `sidechain_votes`, `sidechain_getWithdrawalProof`, `sidechain_getCheckpoint`, and `l2kit_family`. Amounts
 * and heights are decimal strings, hashes and addresses 0x-hex.
 */
import { L2kitError } from '../core/errors.ts'
import type { Address, Hex } from '../core/types.ts'
import { param } from '../node/rpc/params.ts'
import { JsonRpcErrorCode, type RpcHandler } from '../node/rpcServer.ts'
import type { Checkpointer } from './checkpointer.ts'
import type { PoolTx } from './evm/tx.ts'
import { SidechainErrorCode } from './protocol/errors.ts'
import type { SidechainValidator } from './validator.ts'

/** JSON-RPC codes of the errors only this family raises. */
export const sidechainRpcErrorCodes: Readonly<Record<string, number>> = Object.freeze({
  [SidechainErrorCode.replacementUnderpriced]: JsonRpcErrorCode.serverError,
  [SidechainErrorCode.mempoolFull]: JsonRpcErrorCode.limitExceeded,
  [SidechainErrorCode.invalidTx]: JsonRpcErrorCode.serverError,
  [SidechainErrorCode.withdrawalNotReady]: JsonRpcErrorCode.resourceUnavailable,
})

export type SidechainInfo = {
  chainId: bigint
  l1ChainId: bigint
  stakeManager: Address
  bridge: Address
  l2Bridge: Address
  deployBlock: bigint
  checkpointInterval: number
  blockTimeMs: number
  l1RpcUrl?: string | undefined
  devToken?: Address | undefined
}

function idParam(params: unknown[], index: number, what: string): bigint {
  const v = param<unknown>(params, index, what)
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v)
  if (typeof v === 'string' && /^(0x[0-9a-fA-F]{1,64}|[0-9]{1,78})$/.test(v)) return BigInt(v)
  throw new L2kitError('INVALID_PARAMS', `${what} must be a non-negative integer (decimal or 0x-hex)`)
}

export function sidechainMethods(ctx: {
  validator: SidechainValidator<PoolTx>
  checkpointer: Checkpointer | undefined
  info: SidechainInfo
}): Record<string, RpcHandler> {
  const { validator, checkpointer, info } = ctx
  return {
    l2kit_family: () => ({ family: 'sidechain' }),
    sidechain_getInfo: () => ({
      family: 'sidechain',
      chainId: info.chainId.toString(),
      l1ChainId: info.l1ChainId.toString(),
      stakeManager: info.stakeManager,
      bridge: info.bridge,
      l2Bridge: info.l2Bridge,
      deployBlock: info.deployBlock.toString(),
      checkpointInterval: info.checkpointInterval,
      blockTimeMs: info.blockTimeMs,
      l1Rpc: info.l1RpcUrl ?? null,
      devToken: info.devToken ?? null,
      validator: validator.address,
    }),
    sidechain_status: () => {
      const s = validator.status()
      return {
        ...s,
        height: s.height.toString(),
        checkpointsOnL1: checkpointer?.acceptedOnL1.toString() ?? null,
        p2p: validator.network.address,
      }
    },
    sidechain_validators: () => {
      const set = validator.validatorSet()
      return {
        epoch: validator.epoch().toString(),
        totalPower: set.totalPower.toString(),
        quorum: set.quorum.toString(),
        validators: set.toData().map((v) => ({
          address: v.address,
          power: v.power.toString(),
          proposerPriority: v.proposerPriority.toString(),
        })),
        connected: validator.network.peers().map((p) => p.address),
      }
    },
    sidechain_votes: () => {
      const v = validator.votes()
      return {
        height: v.height.toString(),
        round: v.round,
        step: v.step,
        proposer: v.proposer ?? null,
        proposal: v.proposal ?? null,
        prevotes: v.prevotes,
        precommits: v.precommits,
        lastCommit: { height: v.lastCommit.height.toString(), signers: v.lastCommit.signers },
      }
    },
    sidechain_getWithdrawalProof: (params) => {
      if (checkpointer === undefined)
        throw new L2kitError(SidechainErrorCode.withdrawalNotReady, 'this validator makes no checkpoints')
      const p = checkpointer.proof(idParam(params, 0, 'withdrawal id'))
      return {
        withdrawal: {
          id: p.withdrawal.id.toString(),
          from: p.withdrawal.from,
          to: p.withdrawal.to,
          token: p.withdrawal.token,
          amount: p.withdrawal.amount.toString(),
        },
        block: p.block.toString(),
        checkpoint: p.checkpoint.toString(),
        index: p.index,
        proof: p.proof,
      }
    },
    sidechain_getCheckpoint: (params) => {
      if (checkpointer === undefined) return null
      const c = idParam(params, 0, 'checkpoint number')
      const rec = checkpointer.record(c)
      if (rec === undefined) return null
      return {
        number: rec.checkpoint.number.toString(),
        startBlock: rec.checkpoint.startBlock.toString(),
        endBlock: rec.checkpoint.endBlock.toString(),
        blocksRoot: rec.checkpoint.blocksRoot,
        stateRoot: rec.checkpoint.stateRoot,
        withdrawalsRoot: rec.checkpoint.withdrawalsRoot,
        withdrawalCount: rec.checkpoint.withdrawalCount,
        signers: [...rec.signatures.keys()],
        power: checkpointer.signedPower(rec).toString(),
        l1TxHash: (rec.submittedTx ?? null) as Hex | null,
      }
    },
  }
}
