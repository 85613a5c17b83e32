/**
 * The Plasma operator's JSON-RPC (`plasma_*`, plus `l2kit_family`). Amounts and positions are decimal strings;
 * hashes, roots, transaction bytes and signatures 0x-hex. Every bad parameter is a typed error (invalid params, or
 * the PLASMA_* code of the refused transaction), never a crash, and changes nothing.
 */
import type { Address, Hex } from 'viem'
import { hexToBytes } from '../core/bytes.ts'
import { L2kitError } from '../core/errors.ts'
import { addressParam, hashParam, param } from '../node/rpc/params.ts'
import { JsonRpcErrorCode, type RpcHandler } from '../node/rpcServer.ts'
import type { PlasmaOperator } from './operator.ts'
import { PlasmaErrorCode } from './protocol/errors.ts'
import { decodeTx, decodeUtxoPos, encodeUtxoPos, txFromJson, txToJson } from './protocol/tx.ts'
import type { StoredBlock, StoredTx } from './store.ts'

/** At most this many outputs in one plasma_getUtxos answer (default 1,000). */
export const MAX_UTXOS_PER_ANSWER = 10_000

/** JSON-RPC codes of the errors only this family raises. */
export const plasmaRpcErrorCodes: Readonly<Record<string, number>> = Object.freeze({
  [PlasmaErrorCode.malformedTx]: JsonRpcErrorCode.invalidParams,
  [PlasmaErrorCode.badSignature]: JsonRpcErrorCode.invalidParams,
  [PlasmaErrorCode.badProof]: JsonRpcErrorCode.invalidParams,
  [PlasmaErrorCode.unknownInput]: JsonRpcErrorCode.transactionRejected,
  [PlasmaErrorCode.spentInput]: JsonRpcErrorCode.transactionRejected,
  [PlasmaErrorCode.unbalanced]: JsonRpcErrorCode.transactionRejected,
  [PlasmaErrorCode.blockUnavailable]: JsonRpcErrorCode.resourceNotFound,
  [PlasmaErrorCode.busy]: JsonRpcErrorCode.limitExceeded,
})

const invalid = (message: string): never => {
  throw new L2kitError('INVALID_PARAMS', message)
}

function blknumParam(v: unknown): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) return BigInt(v)
  if (typeof v === 'string' && /^[1-9][0-9]{0,30}$/.test(v)) return BigInt(v)
  if (typeof v === 'string' && /^0x[0-9a-fA-F]{1,30}$/.test(v) && BigInt(v) > 0n) return BigInt(v)
  return invalid('a block number is a positive integer (decimal string, 0x quantity or number)')
}

/** A signed transaction from JSON: `{ tx: {inputs, outputs, metadata} | txBytes: 0x…, sigs: [0x…] }`. */
export function signedTxParam(v: unknown): { tx: ReturnType<typeof txFromJson>; sigs: Hex[] } {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    return invalid('the transaction must be an object')
  const o = v as Record<string, unknown>
  let tx: ReturnType<typeof txFromJson>
  if (typeof o.txBytes === 'string') {
    if (!/^0x([0-9a-fA-F]{2})*$/.test(o.txBytes) || o.txBytes.length > 2 + 2 * 2048)
      return invalid('txBytes must be 0x-hex of at most 2048 bytes')
    tx = decodeTx(hexToBytes(o.txBytes))
  } else {
    tx = txFromJson(o.tx)
  }
  if (!Array.isArray(o.sigs) || o.sigs.length > 4)
    return invalid('sigs must be an array of one signature per input')
  const sigs = o.sigs.map((s, i) => {
    if (typeof s !== 'string' || !/^0x[0-9a-fA-F]{130}$/.test(s))
      return invalid(`sigs[${i}] must be 65 bytes of 0x-hex`)
    return s.toLowerCase() as Hex
  })
  return { tx, sigs }
}

export function storedTxJson(t: StoredTx) {
  return {
    txHash: t.txHash,
    txBytes: t.txBytes,
    sigs: t.sigs,
    tx: txToJson(decodeTx(hexToBytes(t.txBytes), t.sigs.length === 0 ? 'deposit' : 'transfer')),
  }
}

export function blockJson(b: StoredBlock) {
  return {
    blknum: b.blknum.toString(),
    kind: b.kind,
    root: b.root,
    sealedAt: b.sealedAt,
    l1TxHash: b.l1TxHash ?? null,
    transactions: b.txs.map(storedTxJson),
  }
}

export type PlasmaRpcContext = {
  operator: PlasmaOperator
  framework: Address
  chainId: bigint
  exitPeriodSeconds: bigint
  deployBlock: bigint
  /** the L1 JSON-RPC URL the operator uses (what users' commands default to) */
  l1RpcUrl?: string
  /** the devnet's DEV ERC-20 (`l2kit up`), so `--token DEV` resolves */
  devToken?: Address
}

export function plasmaOperatorMethods(ctx: PlasmaRpcContext): Record<string, RpcHandler> {
  const op = ctx.operator
  return {
    l2kit_family: () => ({ family: 'plasma', role: 'operator' }),
    plasma_getInfo: () => {
      const info = op.info()
      return {
        family: 'plasma',
        chainId: ctx.chainId.toString(),
        framework: ctx.framework,
        exitPeriodSeconds: ctx.exitPeriodSeconds.toString(),
        deployBlock: ctx.deployBlock.toString(),
        devToken: ctx.devToken ?? null,
        l1Rpc: ctx.l1RpcUrl ?? null,
        openBlock: info.openBlknum.toString(),
        pending: info.pending,
        utxos: info.utxos,
      }
    },
    plasma_sendTransaction: async (params) => {
      const signed = signedTxParam(param(params, 0, 'signed transaction'))
      const accepted = await op.submit(signed)
      return { txHash: accepted.txHash, blknum: accepted.blknum.toString(), txIndex: accepted.txIndex }
    },
    plasma_getTransaction: (params) => {
      const t = op.getTransaction(hashParam(params, 0, 'transaction hash'))
      if (t === undefined) return null
      return {
        ...storedTxJson(t),
        blknum: t.blknum.toString(),
        txIndex: t.txIndex,
        sealed: t.sealed,
        committed: t.committed,
        proof: t.proof ?? null,
        outputs: decodeTx(hexToBytes(t.txBytes), t.sigs.length === 0 ? 'deposit' : 'transfer').outputs.map(
          (_, oIndex) => encodeUtxoPos({ blknum: t.blknum, txIndex: t.txIndex, oIndex }).toString(),
        ),
      }
    },
    plasma_getExitData: (params) => {
      const v = param(params, 0, 'output position')
      if (typeof v !== 'string' || !/^[1-9][0-9]{0,40}$/.test(v))
        invalid('an output position is a decimal string')
      const utxoPos = BigInt(v as string)
      const { blknum, txIndex } = decodeUtxoPos(utxoPos)
      const block = op.getBlock(blknum)
      const t = block.txs[txIndex]
      if (t === undefined) {
        throw new L2kitError(PlasmaErrorCode.unknownInput, `block ${blknum} has no transaction ${txIndex}`)
      }
      return {
        utxoPos: utxoPos.toString(),
        txBytes: t.txBytes,
        sigs: t.sigs,
        proof: op.proof(block, txIndex),
        committed: block.l1TxHash !== undefined,
      }
    },
    plasma_getBlock: (params) => blockJson(op.getBlock(blknumParam(param(params, 0, 'block number')))),
    plasma_getUtxos: (params) => {
      const owner = addressParam(params, 0, 'owner')
      const limit = params[1] === undefined || params[1] === null ? 1000 : Number(params[1])
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_UTXOS_PER_ANSWER) {
        invalid(`limit must be 1..${MAX_UTXOS_PER_ANSWER}`)
      }
      // largest first: what a wallet spends first, and what a capped answer should not leave out
      return op
        .utxosOf(owner)
        .sort((a, b) => (a.output.amount > b.output.amount ? -1 : a.output.amount < b.output.amount ? 1 : 0))
        .slice(0, limit)
        .map(({ utxoPos, output }) => ({
          utxoPos: utxoPos.toString(),
          owner: output.owner,
          token: output.token,
          amount: output.amount.toString(),
        }))
    },
    plasma_getBalance: (params) => {
      const owner = addressParam(params, 0, 'owner')
      const token =
        params.length > 1 && params[1] !== undefined && params[1] !== null
          ? addressParam(params, 1, 'token')
          : undefined
      const totals: Record<string, string> = {}
      const sums = new Map<string, bigint>()
      for (const { output } of op.utxosOf(owner)) {
        if (token !== undefined && output.token !== token) continue
        sums.set(output.token, (sums.get(output.token) ?? 0n) + output.amount)
      }
      for (const [t, v] of sums) totals[t] = v.toString()
      return totals
    },
  }
}
