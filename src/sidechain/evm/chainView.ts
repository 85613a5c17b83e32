/**
 * The sidechain as a `ChainView` (src/node/rpc/chainView.ts) for `createEthMethods`: what wallets, viem, ethers and
 * cast read. A BFT chain has no soft confirmations: the "live" state is the committed head's, `pending` shows the
 * mempool's transactions (not executed), and `eth_sendRawTransaction` hands the transaction to the mempool
 * (`pool.add`). Reverted transactions have receipts with status 0; calls and gas estimates run the EVM on the state
 * at the block asked; `eth_createAccessList` traces the call. No `eth_getProof`: the state root is a hash chain of
 * block diffs, not a trie (stateRoot.ts).
 */
import { bytesToHex } from '../../core/bytes.ts'
import { L2kitError } from '../../core/errors.ts'
import type { Address, Hex } from '../../core/types.ts'
import type {
  AccessListResult,
  CallRequest,
  ChainView,
  StateAt,
  ViewBlock,
  ViewTx,
} from '../../node/rpc/chainView.ts'
import { executionReverted, historicalStateUnavailable } from '../../node/rpc/errors.ts'
import { RpcError } from '../../node/rpcServer.ts'
import type { StoredBlock, StoredTx } from '../chainStore.ts'
import { SidechainErrorCode } from '../protocol/errors.ts'
import type { SidechainExecution } from './execution.ts'
import { type CallMessage, executeCall, type TxOutcome } from './executor.ts'
import { effectiveGasPrice, intrinsicGasOf, type PoolTx } from './tx.ts'

/** What the view needs of the validator's mempool. */
export type ChainViewPool = {
  /** Transactions waiting for a block, in the order the node would propose them. */
  pendingTxs(): readonly PoolTx[]
  lookup(hash: Hex): PoolTx | undefined
  /** Checks and admits a signed transaction; resolves to its hash once durable. */
  add(raw: Hex): Promise<Hex>
}

/** JSON-RPC codes of the execution layer's own errors (register them with `RpcServer.registerErrorCodes`). */
export const sidechainExecutionRpcErrorCodes: Readonly<Record<string, number>> = Object.freeze({
  [SidechainErrorCode.invalidTx]: -32000,
  [SidechainErrorCode.invalidBlock]: -32000,
})

const ZERO_ADDRESS: Address = `0x${'00'.repeat(20)}`
const RECENT_BLOCKS = 256
/** geth's estimateGas stops once the bounds are within 1.5% of each other. */
const ESTIMATE_ERROR_RATIO_PER_MILLE = 15n

function storedToViewTx(t: StoredTx): ViewTx {
  return {
    hash: t.hash,
    raw: t.raw,
    from: t.from,
    gasUsed: t.gasUsed,
    effectiveGasPrice: t.effectiveGasPrice,
    logs: () => t.logs,
    status: t.status,
    ...(t.contractAddress === undefined ? {} : { contractAddress: t.contractAddress }),
  }
}

function invalidCall(message: string): L2kitError {
  return new L2kitError('INVALID_PARAMS', message)
}

export function createChainView(deps: {
  execution: SidechainExecution
  pool: ChainViewPool
  peerCount?: () => number
  blockTimeMs: number
}): ChainView {
  const { execution, pool } = deps
  const o = execution.options
  const recent = new Map<string, ViewBlock>()
  /** The active precompiles' addresses (unprefixed), left out of access lists as geth does. */
  let precompiles: Set<string> | undefined

  function viewBlock(b: StoredBlock): ViewBlock {
    const cached = recent.get(b.hash)
    if (cached) return cached
    const v: ViewBlock = {
      number: b.number,
      hash: b.hash,
      parentHash: b.header.parentHash,
      timestamp: b.header.timestamp,
      stateRoot: b.header.stateRoot,
      txs: b.txs.map(storedToViewTx),
      coinbase: b.header.proposer,
    }
    if (recent.size >= RECENT_BLOCKS) recent.delete(recent.keys().next().value as string)
    recent.set(b.hash, v)
    return v
  }

  function pendingViewTx(t: PoolTx): ViewTx {
    return {
      hash: t.hash,
      raw: t.raw,
      from: t.from,
      gasUsed: 0n,
      effectiveGasPrice: effectiveGasPrice(t, o.baseFee),
      logs: () => [],
    }
  }

  function readerAt(at: StateAt) {
    if (at === 'live') return execution.stateReader('head')
    if (at < 0n || at > execution.head().number) throw historicalStateUnavailable(at, 0n)
    return execution.stateReader(at)
  }

  function key(address: Address): string {
    return address.slice(2).toLowerCase()
  }

  /** An eth_call request as the message the EVM runs (geth's defaults: zero sender, gas cap, no fee). */
  function message(request: CallRequest, gasLimit: bigint): CallMessage {
    if (request.from !== undefined && !/^0x[0-9a-f]{40}$/.test(request.from))
      throw invalidCall('from must be a 20-byte address')
    if (request.to !== undefined && !/^0x[0-9a-f]{40}$/.test(request.to))
      throw invalidCall('to must be a 20-byte address')
    if (!/^0x([0-9a-fA-F]{2})*$/.test(request.data)) throw invalidCall('data must be hex bytes')
    const data = Buffer.from(request.data.slice(2), 'hex')
    const accessList = request.accessList ?? []
    const { intrinsicGas, floorGas } = intrinsicGasOf(
      { to: request.to, data, accessList },
      execution.txRules.calldataFloor,
    )
    const tip = request.maxPriorityFeePerGas ?? 0n
    const gasPrice =
      request.gasPrice ??
      (request.maxFeePerGas === undefined
        ? 0n
        : request.maxFeePerGas < o.baseFee + tip
          ? request.maxFeePerGas
          : o.baseFee + tip)
    return {
      from: request.from ?? ZERO_ADDRESS,
      to: request.to,
      value: request.value ?? 0n,
      data,
      gasLimit,
      gasPrice,
      accessList,
      intrinsicGas,
      floorGas,
    }
  }

  function gasCap(request: CallRequest): bigint {
    const asked = request.gas ?? o.gasLimit
    // biome-ignore lint/complexity/useMathMinMax: bigints (Math.min/max take numbers only)
    return asked < o.callGasCap ? asked : o.callGasCap
  }

  async function run(
    msg: CallMessage,
    at: StateAt,
    options: { reportAccessList?: boolean } = {},
  ): Promise<TxOutcome & { accessList?: Map<string, Set<string>> }> {
    // biome-ignore lint/complexity/useMathMinMax: bigints (Math.min/max take numbers only)
    const needed = msg.intrinsicGas > msg.floorGas ? msg.intrinsicGas : msg.floorGas
    if (msg.gasLimit < needed) {
      throw new RpcError(-32000, `intrinsic gas too low: have ${msg.gasLimit}, want ${needed}`)
    }
    const ctx = await execution.callContext(at === 'live' ? 'head' : at)
    return executeCall(ctx, msg, options)
  }

  /** geth's answers for a failed call: code 3 with the revert data, else -32000 with the EVM's error. */
  function callError(out: TxOutcome): Error {
    if (out.error === 'revert') return executionReverted(bytesToHex(out.returnValue))
    if (out.error === 'insufficient balance') return new RpcError(-32000, 'insufficient funds for transfer')
    return new RpcError(-32000, out.error ?? 'execution failed')
  }

  async function call(request: CallRequest, at: StateAt): Promise<Hex> {
    readerAt(at)
    const out = await run(message(request, gasCap(request)), at)
    if (out.status === 0) throw callError(out)
    return bytesToHex(out.returnValue)
  }

  async function estimateGas(request: CallRequest, at: StateAt): Promise<bigint> {
    const reader = readerAt(at)
    let hi = gasCap(request)
    const base = message(request, hi)
    const feeCap = request.gasPrice ?? request.maxFeePerGas ?? 0n
    if (feeCap > 0n && request.from !== undefined) {
      // geth: what the sender can pay for at this fee cap bounds the search.
      const balance = reader.account(key(request.from))?.balance ?? 0n
      const available = balance - base.value
      if (available < 0n) throw new RpcError(-32000, 'insufficient funds for transfer')
      const allowance = available / feeCap
      if (allowance < hi) hi = allowance
    }
    // geth's shortcut: a plain value transfer to an account without code (not a precompile) costs exactly the
    // intrinsic gas.
    if (
      base.to !== undefined &&
      BigInt(base.to) > 0xffffn &&
      base.data.length === 0 &&
      base.accessList.length === 0
    ) {
      const target = reader.account(key(base.to))
      const hasCode = target !== undefined && reader.code(target.codeHash).length > 0
      const balance = reader.account(key(base.from))?.balance ?? 0n
      if (!hasCode && balance >= base.value && hi >= 21_000n) return 21_000n
    }
    const first = await run({ ...base, gasLimit: hi }, at)
    if (first.status === 0) {
      if (first.error === 'revert' || first.error === 'insufficient balance') throw callError(first)
      throw new RpcError(-32000, `gas required exceeds allowance (${hi})`)
    }
    // biome-ignore lint/complexity/useMathMinMax: bigints (Math.min/max take numbers only)
    const floor = base.intrinsicGas > base.floorGas ? base.intrinsicGas : base.floorGas
    let lo = floor - 1n
    const ok = async (gas: bigint) => (await run({ ...base, gasLimit: gas }, at)).status === 1
    // Most calls need a little more than what they used (refunds, the 63/64 rule): try that first.
    const guess = ((first.gasUsed + 2_300n) * 64n) / 63n
    if (guess > lo && guess < hi) {
      if (await ok(guess)) hi = guess
      else lo = guess
    }
    while (hi - lo > 1n && (hi - lo) * 1000n > hi * ESTIMATE_ERROR_RATIO_PER_MILLE) {
      const mid = (hi + lo) / 2n
      if (await ok(mid)) hi = mid
      else lo = mid
    }
    return hi
  }

  async function createAccessList(request: CallRequest, at: StateAt): Promise<AccessListResult> {
    readerAt(at)
    const msg = message(request, gasCap(request))
    const traced = await run(msg, at, { reportAccessList: true })
    precompiles ??= new Set((await execution.callContext('head')).evm.precompiles.keys())
    const skip = new Set([key(msg.from), ...(msg.to === undefined ? [] : [key(msg.to)])])
    const accessList: AccessListResult['accessList'] = []
    for (const [address, slots] of traced.accessList ?? new Map<string, Set<string>>()) {
      if (skip.has(address) || precompiles.has(address)) continue
      accessList.push({
        address: `0x${address}` as Address,
        storageKeys: [...slots].map((s) => `0x${s.padStart(64, '0')}` as Hex),
      })
    }
    const withList = await run({ ...msg, accessList, ...withIntrinsic(msg, accessList) }, at)
    return {
      accessList,
      gasUsed: withList.gasUsed,
      ...(withList.status === 0
        ? { error: withList.error === 'revert' ? 'execution reverted' : (withList.error ?? 'failed') }
        : {}),
    }
  }

  function withIntrinsic(msg: CallMessage, accessList: CallMessage['accessList']) {
    return intrinsicGasOf({ to: msg.to, data: msg.data, accessList }, execution.txRules.calldataFloor)
  }

  return {
    chainId: o.chainId,
    baseFee: o.baseFee,
    blockGasLimit: o.gasLimit,
    get coinbase() {
      return execution.head().header.proposer
    },
    blockTimeMs: deps.blockTimeMs,
    head: () => viewBlock(execution.head()),
    block: (n) => {
      const b = execution.block(n)
      return b && viewBlock(b)
    },
    blockByHash: (hash) => {
      const b = execution.blockByHash(hash)
      return b && viewBlock(b)
    },
    pendingTxs: () => pool.pendingTxs().map(pendingViewTx),
    pendingStateRoot: () => execution.head().header.stateRoot,
    transaction: (hash) => {
      const found = execution.transaction(hash)
      if (found) return { tx: storedToViewTx(found.tx), block: viewBlock(found.block), index: found.index }
      const pending = pool.lookup(hash)
      return pending ? { tx: pendingViewTx(pending) } : undefined
    },
    balance: (address, at) => readerAt(at).account(key(address))?.balance ?? 0n,
    nonce: (address, at) => {
      const committed = readerAt(at).account(key(address))?.nonce ?? 0n
      if (at !== 'live') return committed
      // 'latest'/'pending': the head's nonce moved past the sender's consecutive transactions waiting in the
      // mempool, as geth's pending nonce, so a wallet sending several in a row does not reuse a nonce.
      const waiting = new Set<bigint>()
      for (const t of pool.pendingTxs()) if (t.from === address.toLowerCase()) waiting.add(t.nonce)
      let next = committed
      while (waiting.has(next)) next++
      return next
    },
    code: (address, at) => {
      const reader = readerAt(at)
      const account = reader.account(key(address))
      return account === undefined ? '0x' : bytesToHex(reader.code(account.codeHash))
    },
    storage: (address, slot, at) => {
      const value = readerAt(at).storage(key(address), slot.toString(16).padStart(64, '0'))
      return `0x${Buffer.from(value).toString('hex').padStart(64, '0')}` as Hex
    },
    call,
    estimateGas,
    createAccessList,
    sendRawTransaction: (raw) => pool.add(raw),
    onBlock: (listener) => {
      execution.onCommit((b) => listener(viewBlock(b)))
    },
    ...(deps.peerCount === undefined ? {} : { peerCount: deps.peerCount }),
  }
}
