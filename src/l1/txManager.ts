/**
 * Sends L1 transactions from one account and sees them through to a receipt.
 *
 * - Nonces are tracked here (one TxManager per account and process): nonce assignment and the first broadcast
 *   are serialized; waiting for receipts runs concurrently. A `nonce too low` answer resyncs from the node.
 * - Fees: base fee of the next block (from `eth_feeHistory`) × margin + the median tip of recent blocks; blob
 *   txs add `maxFeePerBlobGas` = `eth_blobBaseFee` × margin (at least 1 wei).
 * - A tx not mined within `resubmitAfterMs` is re-signed with the same nonce and bumped fees (replacement rules:
 *   +10 % for normal txs in geth/reth, +100 % for blob txs, so blob fees are bumped by `blobFeeBumpPercent`).
 * - Reverts become `L1_TX_REVERTED` with the decoded reason when the node gives revert data.
 * - Every result carries the L1 cost measured from the receipt (execution gas + blob gas).
 */
import {
  type Abi,
  type Address,
  BaseError,
  decodeErrorResult,
  type Hex,
  keccak256,
  type LocalAccount,
  type TransactionReceipt,
  type TransactionSerializable,
} from 'viem'
import { ErrorKind, L2kitError } from '../core/errors.ts'
import { type BlobSidecars, blobsToSidecars, MAX_BLOBS_PER_TX, sidecarsToViem } from './blobs.ts'
import type { L1PublicClient, L1WalletClient } from './clients.ts'
import { L1ErrorCode } from './errors.ts'
import { getKzg } from './kzg.ts'
import { type Logger, silentLogger } from './types.ts'

export interface TxManagerOptions {
  /** Blocks the receipt must be under (1 = included). Note: with automine nobody mines further blocks by itself. */
  confirmations: number
  /** Blocks of `eth_feeHistory` used to estimate the tip. */
  feeHistoryBlocks: number
  /** Percentile of tips paid in recent blocks that we pay. */
  rewardPercentile: number
  /** Lowest tip we offer (wei). */
  minPriorityFeeWei: bigint
  /** maxFeePerGas = next base fee × this / 100 + tip (200 survives ~6 full blocks of base fee growth). */
  baseFeeMultiplierPercent: bigint
  /** maxFeePerBlobGas = blob base fee × this / 100, at least 1 wei. */
  blobBaseFeeMultiplierPercent: bigint
  /** Gas limit = estimate × this / 100 (not applied to an explicit `gas`). */
  gasLimitMultiplierPercent: bigint
  /** Re-send with bumped fees when no receipt after this long. */
  resubmitAfterMs: number
  /** Fee bump of a replacement (≥ 12.5 so it clears every client's replacement rule, geth's is 10). */
  feeBumpPercent: bigint
  /** Fee bump (all three fees) of a blob tx replacement: geth's and reth's blob pools require +100 %. */
  blobFeeBumpPercent: bigint
  /** Never offer more than this maxFeePerGas (wei); undefined = no cap. */
  maxFeePerGasCapWei?: bigint
  /** Never offer more than this maxFeePerBlobGas (wei); undefined = no cap. */
  maxFeePerBlobGasCapWei?: bigint
  /** Give up waiting (L1_TX_TIMEOUT, temporary) after this long. */
  receiptTimeoutMs: number
  /** How often receipts are polled. */
  pollingIntervalMs: number
  /** Retries of a read that failed for a temporary reason (network, rate limit). */
  rpcRetries: number
  rpcRetryDelayMs: number
  /** After `nonce too low` on a replacement, how long to look for one of our receipts before calling it a conflict. */
  nonceConflictGraceMs: number
}

export const defaultTxManagerOptions: TxManagerOptions = {
  confirmations: 1,
  feeHistoryBlocks: 10,
  rewardPercentile: 50,
  minPriorityFeeWei: 1_000_000n,
  baseFeeMultiplierPercent: 200n,
  blobBaseFeeMultiplierPercent: 200n,
  gasLimitMultiplierPercent: 120n,
  resubmitAfterMs: 24_000,
  feeBumpPercent: 13n,
  blobFeeBumpPercent: 100n,
  receiptTimeoutMs: 300_000,
  pollingIntervalMs: 250,
  rpcRetries: 3,
  rpcRetryDelayMs: 200,
  nonceConflictGraceMs: 5_000,
}

export interface TxManagerModules {
  publicClient: L1PublicClient
  /** Optional: only its account is used (signing is local). */
  walletClient?: L1WalletClient
  /** The local (private-key) account that signs. */
  account: LocalAccount
  logger?: Logger
}

/** What to send. Omit `to` to create a contract (`data` = init code). */
export interface TxRequest {
  to?: Address
  data?: Hex
  value?: bigint
  /** Raw blobs (131,072 bytes each, up to 6); sidecars are computed once and reused by replacements. */
  blobs?: readonly Uint8Array[]
  /** Precomputed sidecars (instead of `blobs`). */
  sidecars?: BlobSidecars
  /** Explicit gas limit (skips estimation; needed e.g. for calls `eth_estimateGas` gets wrong). */
  gas?: bigint
  /** ABI used to decode custom errors of a revert. */
  abi?: Abi
  /** Confirmations for this tx (overrides the option). */
  confirmations?: number
  /** Short label for logs ("appendBatch", "propose"). */
  label?: string
}

/** Fees offered by one signed attempt. */
export interface TxFees {
  maxFeePerGas: bigint
  maxPriorityFeePerGas: bigint
  maxFeePerBlobGas?: bigint
}

/** Fee market snapshot used to price a tx. */
export interface FeeEstimate extends TxFees {
  /** Base fee of the next block. */
  baseFee: bigint
  /** Tip we would pay. */
  priorityFee: bigint
  /** Blob base fee (undefined when not asked). */
  blobBaseFee?: bigint
}

/** A mined (and confirmed) transaction with its measured L1 cost. */
export interface TxResult {
  txHash: Hex
  nonce: number
  receipt: TransactionReceipt
  gasUsed: bigint
  effectiveGasPrice: bigint
  blobGasUsed: bigint
  blobGasPrice: bigint
  /** gasUsed × effectiveGasPrice + blobGasUsed × blobGasPrice. */
  l1FeeWei: bigint
  /** How many signed versions (first send + fee bumps) were broadcast. */
  attempts: number
}

interface Attempt {
  hash: Hex
  raw: Hex
  fees: TxFees
}

interface Prepared {
  request: TxRequest
  gas: bigint
  sidecars?: BlobSidecars
}

type BroadcastOutcome =
  | 'sent'
  | 'nonceTooLow'
  | 'nonceTooHigh'
  | 'underpriced'
  | 'insufficientFunds'
  | 'network'
  | 'other'

/** Every message along an error's cause chain, lowercased (nodes word the same condition in many ways). */
function errorText(error: unknown): string {
  const parts: string[] = []
  let current: unknown = error
  for (let depth = 0; current !== undefined && current !== null && depth < 8; depth++) {
    if (current instanceof Error) {
      parts.push(current.message)
      const details = (current as { details?: unknown }).details
      if (typeof details === 'string') parts.push(details)
      current = current.cause
    } else {
      parts.push(String(current))
      break
    }
  }
  return parts.join(' | ').toLowerCase()
}

function classifyBroadcastError(error: unknown): BroadcastOutcome {
  const text = errorText(error)
  if (/already known|known transaction|already imported|already exists|alreadyknown/.test(text)) return 'sent'
  if (/nonce too low|nonce is too low|oldnonce|nonce has already been used|invalid nonce.*lower/.test(text))
    return 'nonceTooLow'
  if (/nonce too high|nonce gap/.test(text)) return 'nonceTooHigh'
  if (/underpriced|fee too low|replacement|max fee per gas less than block base fee|feecap/.test(text))
    return 'underpriced'
  if (/insufficient funds|insufficient balance/.test(text)) return 'insufficientFunds'
  if (isTemporaryRpcError(error)) return 'network'
  return 'other'
}

/** Network failures, timeouts, rate limits, 5xx: worth retrying. */
export function isTemporaryRpcError(error: unknown): boolean {
  if (error instanceof BaseError) {
    const temporary = error.walk((e) => {
      const name = (e as { name?: string }).name
      const status = (e as { status?: number }).status
      const code = (e as { code?: number }).code
      return (
        name === 'HttpRequestError' ||
        name === 'TimeoutError' ||
        name === 'LimitExceededRpcError' ||
        name === 'ResourceUnavailableRpcError' ||
        (typeof status === 'number' && (status === 429 || status >= 500)) ||
        code === -32005 ||
        code === 429
      )
    })
    if (temporary) return true
  }
  return /fetch failed|econnrefused|econnreset|socket hang up|timed? ?out|rate limit|too many requests/.test(
    errorText(error),
  )
}

/** Revert data (`0x…`) carried somewhere in an error's cause chain. */
export function revertDataOf(error: unknown): Hex | undefined {
  let current: unknown = error
  for (let depth = 0; current !== undefined && current !== null && depth < 10; depth++) {
    const data = (current as { data?: unknown }).data
    if (typeof data === 'string' && data.startsWith('0x') && data.length >= 10) return data as Hex
    if (typeof data === 'object' && data !== null) {
      const inner = (data as { data?: unknown }).data
      if (typeof inner === 'string' && inner.startsWith('0x') && inner.length >= 10) return inner as Hex
    }
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

/** Human-readable revert reason: `Error(string)`, `Panic(uint256)` or a custom error of `abi`. */
export function decodeRevertReason(data: Hex, abi?: Abi): string {
  try {
    const decoded = decodeErrorResult({ abi: abi ?? [], data })
    const args = (decoded.args ?? []).map((arg) =>
      typeof arg === 'bigint' ? arg.toString() : JSON.stringify(arg),
    )
    if (decoded.errorName === 'Error' && decoded.args?.[0] !== undefined) return String(decoded.args[0])
    return `${decoded.errorName}(${args.join(', ')})`
  } catch {
    return `unknown revert data ${data.length > 74 ? `${data.slice(0, 74)}…` : data}`
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

function bump(value: bigint, percent: bigint): bigint {
  return (value * (100n + percent) + 99n) / 100n
}

const max = (a: bigint, b: bigint) => (a > b ? a : b)
const min = (a: bigint, b: bigint) => (a < b ? a : b)

export class TxManager {
  readonly options: TxManagerOptions
  readonly address: Address
  private readonly client: L1PublicClient
  private readonly account: LocalAccount
  private readonly log: Logger
  private nextNonce: number | undefined
  private queue: Promise<unknown> = Promise.resolve()

  constructor(options: Partial<TxManagerOptions>, modules: TxManagerModules) {
    this.options = { ...defaultTxManagerOptions, ...options }
    if (this.options.confirmations < 1)
      throw new L2kitError(L1ErrorCode.invalidOptions, 'confirmations must be ≥ 1')
    if (this.options.feeBumpPercent < 10n || this.options.blobFeeBumpPercent < 10n) {
      throw new L2kitError(L1ErrorCode.invalidOptions, 'fee bumps below 10 % are refused by every client')
    }
    this.client = modules.publicClient
    this.account = modules.account
    this.address = modules.account.address
    this.log = (modules.logger ?? silentLogger).child({ component: 'txManager', from: this.address })
  }

  /** Forget the tracked nonce; the next send reads it from the node (`pending`). */
  resetNonce(): void {
    this.nextNonce = undefined
  }

  /**
   * Sends a transaction and waits for its receipt (with `confirmations`). Throws `L1_TX_REVERTED` on a revert
   * (in estimation or on chain), `L1_TX_TIMEOUT` if not mined in time, `L1_INSUFFICIENT_FUNDS`, `L1_TX_FAILED`.
   */
  async send(request: TxRequest): Promise<TxResult> {
    const prepared = await this.prepare(request)
    const first = await this.serialized(() => this.broadcastFirst(prepared))
    return this.waitForReceipt(prepared, first.nonce, first.attempt)
  }

  /** Current fee market as this manager would price a tx (with blob fees when `blobs`). */
  async estimateFees(options: { blobs?: boolean } = {}): Promise<FeeEstimate> {
    const o = this.options
    const { baseFee, priorityFee } = await this.retry('fee history', async () => {
      try {
        const history = await this.client.getFeeHistory({
          blockCount: o.feeHistoryBlocks,
          rewardPercentiles: [o.rewardPercentile],
        })
        const next = history.baseFeePerGas[history.baseFeePerGas.length - 1] ?? 0n
        const tips = (history.reward ?? [])
          .map((r) => r[0] ?? 0n)
          .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
        const median = tips.length === 0 ? 0n : (tips[Math.floor(tips.length / 2)] ?? 0n)
        return { baseFee: next, priorityFee: max(median, o.minPriorityFeeWei) }
      } catch (error) {
        if (isTemporaryRpcError(error)) throw error
        // A node without eth_feeHistory: latest base fee and its suggested tip.
        const block = await this.client.getBlock({ blockTag: 'latest' })
        const tip = await this.client.estimateMaxPriorityFeePerGas().catch(() => 0n)
        return { baseFee: block.baseFeePerGas ?? 0n, priorityFee: max(tip, o.minPriorityFeeWei) }
      }
    })
    let maxFeePerGas = (baseFee * o.baseFeeMultiplierPercent) / 100n + priorityFee
    if (o.maxFeePerGasCapWei !== undefined) maxFeePerGas = min(maxFeePerGas, o.maxFeePerGasCapWei)
    if (maxFeePerGas < baseFee) {
      throw new L2kitError(
        L1ErrorCode.feeCapExceeded,
        `base fee ${baseFee} wei is above the cap ${o.maxFeePerGasCapWei} wei`,
        { kind: ErrorKind.temporary, details: { baseFee, cap: o.maxFeePerGasCapWei } },
      )
    }
    const estimate: FeeEstimate = {
      baseFee,
      priorityFee,
      maxFeePerGas,
      maxPriorityFeePerGas: min(priorityFee, maxFeePerGas),
    }
    if (options.blobs === true) {
      const blobBaseFee = await this.retry('blob base fee', () => this.client.getBlobBaseFee())
      let maxFeePerBlobGas = max((blobBaseFee * o.blobBaseFeeMultiplierPercent) / 100n, 1n)
      if (o.maxFeePerBlobGasCapWei !== undefined)
        maxFeePerBlobGas = min(maxFeePerBlobGas, o.maxFeePerBlobGasCapWei)
      estimate.blobBaseFee = blobBaseFee
      estimate.maxFeePerBlobGas = maxFeePerBlobGas
    }
    return estimate
  }

  /**
   * What a tx would cost now: `expectedWei` at the current base fees + our tip, `maxWei` at the fee caps we would
   * sign (the balance the sender needs).
   */
  async estimateCost(parameters: {
    gas: bigint
    blobCount?: number
  }): Promise<{ expectedWei: bigint; maxWei: bigint }> {
    const blobCount = parameters.blobCount ?? 0
    const fees = await this.estimateFees({ blobs: blobCount > 0 })
    const blobGas = BigInt(blobCount) * 131_072n
    return {
      expectedWei: parameters.gas * (fees.baseFee + fees.priorityFee) + blobGas * (fees.blobBaseFee ?? 0n),
      maxWei: parameters.gas * fees.maxFeePerGas + blobGas * (fees.maxFeePerBlobGas ?? 0n),
    }
  }

  // --- internals -------------------------------------------------------------------------------------------

  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task)
    this.queue = run.catch(() => undefined)
    return run
  }

  private async retry<T>(what: string, call: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call()
      } catch (error) {
        if (!isTemporaryRpcError(error) || attempt >= this.options.rpcRetries) {
          if (error instanceof L2kitError) throw error
          throw new L2kitError(L1ErrorCode.rpcError, `L1 ${what} failed: ${errorText(error).slice(0, 300)}`, {
            kind: isTemporaryRpcError(error) ? ErrorKind.temporary : ErrorKind.critical,
            cause: error,
          })
        }
        await sleep(this.options.rpcRetryDelayMs * 2 ** attempt)
      }
    }
  }

  private async prepare(request: TxRequest): Promise<Prepared> {
    let sidecars = request.sidecars
    if (sidecars === undefined && request.blobs !== undefined && request.blobs.length > 0) {
      if (request.blobs.length > MAX_BLOBS_PER_TX) {
        throw new L2kitError(
          L1ErrorCode.batchTooLarge,
          `${request.blobs.length} blobs (max ${MAX_BLOBS_PER_TX})`,
        )
      }
      sidecars = blobsToSidecars(request.blobs, getKzg())
    }
    const gas = request.gas ?? (await this.estimateGas(request, sidecars))
    return sidecars === undefined ? { request, gas } : { request, gas, sidecars }
  }

  private async estimateGas(request: TxRequest, sidecars: BlobSidecars | undefined): Promise<bigint> {
    try {
      const estimate = await this.retry('gas estimation', () =>
        this.client.estimateGas({
          account: this.address,
          prepare: false,
          ...(request.to === undefined ? {} : { to: request.to }),
          ...(request.data === undefined ? {} : { data: request.data }),
          ...(request.value === undefined ? {} : { value: request.value }),
          ...(sidecars === undefined ? {} : { blobVersionedHashes: sidecars.versionedHashes }),
        } as Parameters<L1PublicClient['estimateGas']>[0]),
      )
      return (estimate * this.options.gasLimitMultiplierPercent) / 100n
    } catch (error) {
      const cause = error instanceof L2kitError && error.cause !== undefined ? error.cause : error
      if (isTemporaryRpcError(cause)) throw error
      const data = revertDataOf(cause)
      const reverted = data !== undefined || /revert/.test(errorText(cause))
      if (!reverted) {
        if (/insufficient funds/.test(errorText(cause))) throw this.insufficientFunds(cause)
        throw new L2kitError(
          L1ErrorCode.txFailed,
          `gas estimation failed: ${errorText(cause).slice(0, 300)}`,
          {
            kind: ErrorKind.critical,
            details: { to: request.to, label: request.label },
            cause,
          },
        )
      }
      const reason = data === undefined ? 'execution reverted' : decodeRevertReason(data, request.abi)
      throw new L2kitError(
        L1ErrorCode.txReverted,
        `${request.label ?? 'transaction'} would revert: ${reason}`,
        {
          kind: ErrorKind.invalidInput,
          details: { reason, revertData: data, to: request.to, stage: 'estimateGas', label: request.label },
          cause,
        },
      )
    }
  }

  private insufficientFunds(cause: unknown): L2kitError {
    return new L2kitError(L1ErrorCode.insufficientFunds, `${this.address} cannot pay for the transaction`, {
      kind: ErrorKind.critical,
      details: { from: this.address },
      cause,
    })
  }

  private async sign(prepared: Prepared, nonce: number, fees: TxFees): Promise<Attempt> {
    const { request, gas, sidecars } = prepared
    const chainId = this.client.chain.id
    const common = {
      chainId,
      nonce,
      gas,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      ...(request.to === undefined ? {} : { to: request.to }),
      ...(request.data === undefined ? {} : { data: request.data }),
      ...(request.value === undefined ? {} : { value: request.value }),
    }
    if (sidecars === undefined) {
      const raw = await this.account.signTransaction({
        ...common,
        type: 'eip1559',
      } as TransactionSerializable)
      return { hash: keccak256(raw), raw, fees }
    }
    if (request.to === undefined)
      throw new L2kitError(L1ErrorCode.txFailed, 'a blob transaction needs a `to`')
    const blobTx = {
      ...common,
      type: 'eip4844',
      maxFeePerBlobGas: fees.maxFeePerBlobGas ?? 1n,
      blobVersionedHashes: sidecars.versionedHashes,
    }
    const raw = await this.account.signTransaction({
      ...blobTx,
      sidecars: sidecarsToViem(sidecars),
    } as TransactionSerializable)
    // The tx hash covers the payload without the sidecars (the network wrapper is not hashed).
    const bare = await this.account.signTransaction({ ...blobTx, sidecars: false } as TransactionSerializable)
    return { hash: keccak256(bare), raw, fees }
  }

  private async broadcast(attempt: Attempt): Promise<BroadcastOutcome> {
    try {
      await this.client.sendRawTransaction({ serializedTransaction: attempt.raw })
      return 'sent'
    } catch (error) {
      const outcome = classifyBroadcastError(error)
      this.log.debug(
        { txHash: attempt.hash, outcome, error: errorText(error).slice(0, 300) },
        'broadcast refused',
      )
      if (outcome === 'other') throw error
      return outcome
    }
  }

  private async currentNonce(): Promise<number> {
    if (this.nextNonce === undefined) {
      this.nextNonce = await this.retry('nonce', () =>
        this.client.getTransactionCount({ address: this.address, blockTag: 'pending' }),
      )
    }
    return this.nextNonce
  }

  private async freshFees(prepared: Prepared): Promise<TxFees> {
    const estimate = await this.estimateFees({ blobs: prepared.sidecars !== undefined })
    const fees: TxFees = {
      maxFeePerGas: estimate.maxFeePerGas,
      maxPriorityFeePerGas: estimate.maxPriorityFeePerGas,
    }
    if (estimate.maxFeePerBlobGas !== undefined) fees.maxFeePerBlobGas = estimate.maxFeePerBlobGas
    return fees
  }

  /** Fees of a replacement: previous fees bumped enough for the replacement rules, and at least the market's. */
  private bumpedFees(previous: TxFees, market: TxFees, isBlob: boolean): TxFees {
    const o = this.options
    const percent = isBlob ? o.blobFeeBumpPercent : o.feeBumpPercent
    let maxFeePerGas = max(bump(previous.maxFeePerGas, percent), market.maxFeePerGas)
    let maxPriorityFeePerGas = max(bump(previous.maxPriorityFeePerGas, percent), market.maxPriorityFeePerGas)
    if (o.maxFeePerGasCapWei !== undefined) maxFeePerGas = min(maxFeePerGas, o.maxFeePerGasCapWei)
    maxPriorityFeePerGas = min(maxPriorityFeePerGas, maxFeePerGas)
    const fees: TxFees = { maxFeePerGas, maxPriorityFeePerGas }
    if (isBlob) {
      let blob = max(bump(previous.maxFeePerBlobGas ?? 1n, percent), market.maxFeePerBlobGas ?? 1n)
      if (o.maxFeePerBlobGasCapWei !== undefined) blob = min(blob, o.maxFeePerBlobGasCapWei)
      fees.maxFeePerBlobGas = blob
    }
    return fees
  }

  /** Assigns a nonce and broadcasts the first version (runs serialized per account). */
  private async broadcastFirst(prepared: Prepared): Promise<{ nonce: number; attempt: Attempt }> {
    const isBlob = prepared.sidecars !== undefined
    let fees = await this.freshFees(prepared)
    for (let round = 0; round < 8; round++) {
      const nonce = await this.currentNonce()
      const attempt = await this.sign(prepared, nonce, fees)
      let outcome: BroadcastOutcome
      try {
        outcome = await this.broadcast(attempt)
      } catch (error) {
        this.nextNonce = undefined
        throw new L2kitError(
          L1ErrorCode.txFailed,
          `L1 node refused the transaction: ${errorText(error).slice(0, 300)}`,
          {
            kind: ErrorKind.critical,
            details: { txHash: attempt.hash, nonce, label: prepared.request.label },
            cause: error,
          },
        )
      }
      switch (outcome) {
        case 'sent':
          this.nextNonce = nonce + 1
          this.log.info(
            {
              txHash: attempt.hash,
              nonce,
              label: prepared.request.label,
              blobs: prepared.sidecars?.blobs.length ?? 0,
              gas: prepared.gas,
              maxFeePerGas: fees.maxFeePerGas,
            },
            'tx sent',
          )
          return { nonce, attempt }
        case 'nonceTooLow':
        case 'nonceTooHigh':
          this.log.warn({ nonce, outcome }, 'nonce out of sync, reading it from the node')
          this.nextNonce = undefined
          break
        case 'underpriced':
          // Another tx (e.g. from a previous run) holds this nonce in the pool, or the base fee jumped.
          fees = this.bumpedFees(fees, await this.freshFees(prepared), isBlob)
          this.log.warn({ nonce, maxFeePerGas: fees.maxFeePerGas }, 'underpriced, bumping fees')
          break
        case 'insufficientFunds':
          this.nextNonce = undefined
          throw this.insufficientFunds(undefined)
        case 'network':
          await sleep(this.options.rpcRetryDelayMs * 2 ** Math.min(round, 5))
          break
        case 'other':
          break
      }
    }
    this.nextNonce = undefined
    throw new L2kitError(L1ErrorCode.txFailed, 'could not broadcast the transaction after 8 rounds', {
      kind: ErrorKind.temporary,
      details: { label: prepared.request.label },
    })
  }

  private async receiptOf(hash: Hex): Promise<TransactionReceipt | undefined> {
    try {
      return await this.client.getTransactionReceipt({ hash })
    } catch (error) {
      if (error instanceof BaseError && error.name === 'TransactionReceiptNotFoundError') return undefined
      if (isTemporaryRpcError(error)) return undefined
      throw error
    }
  }

  private async waitForReceipt(prepared: Prepared, nonce: number, first: Attempt): Promise<TxResult> {
    const o = this.options
    const confirmations = prepared.request.confirmations ?? o.confirmations
    const isBlob = prepared.sidecars !== undefined
    const attempts: Attempt[] = [first]
    const deadline = Date.now() + o.receiptTimeoutMs
    let lastSentAt = Date.now()
    let nonceUsedSince: number | undefined
    // The attempt we last saw mined (waiting for confirmations): if its receipt disappears, a reorg took it out.
    let mined: Attempt | undefined
    for (;;) {
      let found = false
      for (let i = attempts.length - 1; i >= 0; i--) {
        const attempt = attempts[i] as Attempt
        const receipt = await this.receiptOf(attempt.hash)
        if (receipt === undefined) continue
        found = true
        mined = attempt
        const head = await this.retry('block number', () => this.client.getBlockNumber({ cacheTime: 0 }))
        if (head - receipt.blockNumber + 1n >= BigInt(confirmations)) {
          return this.finish(prepared, nonce, attempt, receipt, attempts.length)
        }
        lastSentAt = Date.now() // mined: no bumping while waiting for confirmations
        break
      }
      if (!found && mined !== undefined) {
        // Reorged out before its confirmations: the new chain's nodes may not hold it in their pools, so send
        // the same signed transaction again at once rather than after `resubmitAfterMs`.
        const again = mined
        mined = undefined
        const outcome = await this.broadcastOrOther(again)
        if (outcome === 'nonceTooLow') nonceUsedSince = Date.now()
        this.log.warn(
          { nonce, txHash: again.hash, outcome, label: prepared.request.label },
          'mined transaction reorged out before its confirmations: re-broadcast at once',
        )
        lastSentAt = Date.now()
      }
      if (Date.now() > deadline) {
        throw new L2kitError(
          L1ErrorCode.txTimeout,
          `tx nonce ${nonce} not confirmed within ${o.receiptTimeoutMs} ms`,
          {
            kind: ErrorKind.temporary,
            details: { nonce, txHashes: attempts.map((a) => a.hash), label: prepared.request.label },
          },
        )
      }
      if (nonceUsedSince !== undefined && Date.now() - nonceUsedSince > o.nonceConflictGraceMs) {
        throw new L2kitError(
          L1ErrorCode.nonceConflict,
          `nonce ${nonce} of ${this.address} was used by a transaction this manager did not send`,
          { kind: ErrorKind.critical, details: { nonce, txHashes: attempts.map((a) => a.hash) } },
        )
      }
      if (nonceUsedSince === undefined && Date.now() - lastSentAt >= o.resubmitAfterMs) {
        const previous = attempts[attempts.length - 1] as Attempt
        const fees = this.bumpedFees(previous.fees, await this.freshFees(prepared), isBlob)
        const same =
          fees.maxFeePerGas === previous.fees.maxFeePerGas &&
          fees.maxPriorityFeePerGas === previous.fees.maxPriorityFeePerGas &&
          fees.maxFeePerBlobGas === previous.fees.maxFeePerBlobGas
        // At the fee caps a bump is impossible: re-broadcast the same tx (it may have been dropped).
        const attempt = same ? previous : await this.sign(prepared, nonce, fees)
        const outcome = await this.broadcastOrOther(attempt)
        if (outcome === 'nonceTooLow') nonceUsedSince = Date.now()
        if (!same && (outcome === 'sent' || outcome === 'underpriced')) attempts.push(attempt)
        this.log.warn(
          {
            nonce,
            txHash: attempt.hash,
            outcome,
            maxFeePerGas: fees.maxFeePerGas,
            blobFee: fees.maxFeePerBlobGas,
          },
          'not mined yet, re-sent with bumped fees',
        )
        lastSentAt = Date.now()
      }
      await sleep(o.pollingIntervalMs)
    }
  }

  /** A re-broadcast while waiting: an unexpected failure only means "try again later". */
  private async broadcastOrOther(attempt: Attempt): Promise<BroadcastOutcome> {
    try {
      return await this.broadcast(attempt)
    } catch {
      return 'other'
    }
  }

  private async finish(
    prepared: Prepared,
    nonce: number,
    attempt: Attempt,
    receipt: TransactionReceipt,
    attempts: number,
  ): Promise<TxResult> {
    const gasUsed = receipt.gasUsed
    const effectiveGasPrice = receipt.effectiveGasPrice
    const blobGasUsed = receipt.blobGasUsed ?? 0n
    const blobGasPrice = receipt.blobGasPrice ?? 0n
    if (receipt.status === 'reverted') {
      const reason = await this.replayRevert(prepared, receipt)
      throw new L2kitError(
        L1ErrorCode.txReverted,
        `${prepared.request.label ?? 'transaction'} ${receipt.transactionHash} reverted: ${reason.reason}`,
        {
          kind: ErrorKind.invalidInput,
          details: {
            txHash: receipt.transactionHash,
            blockNumber: receipt.blockNumber,
            reason: reason.reason,
            revertData: reason.data,
            gasUsed,
            l1FeeWei: gasUsed * effectiveGasPrice + blobGasUsed * blobGasPrice,
            stage: 'mined',
            label: prepared.request.label,
          },
        },
      )
    }
    const result: TxResult = {
      txHash: attempt.hash,
      nonce,
      receipt,
      gasUsed,
      effectiveGasPrice,
      blobGasUsed,
      blobGasPrice,
      l1FeeWei: gasUsed * effectiveGasPrice + blobGasUsed * blobGasPrice,
      attempts,
    }
    this.log.info(
      {
        txHash: attempt.hash,
        nonce,
        block: receipt.blockNumber,
        gasUsed,
        blobGasUsed,
        l1FeeWei: result.l1FeeWei,
        label: prepared.request.label,
      },
      'tx mined',
    )
    return result
  }

  /** Replays a reverted tx with `eth_call` on the parent block's state to get its revert data. */
  private async replayRevert(
    prepared: Prepared,
    receipt: TransactionReceipt,
  ): Promise<{ reason: string; data?: Hex }> {
    const { request, gas, sidecars } = prepared
    try {
      await this.client.call({
        account: this.address,
        gas,
        blockNumber: receipt.blockNumber - 1n,
        ...(request.to === undefined ? {} : { to: request.to }),
        ...(request.data === undefined ? {} : { data: request.data }),
        ...(request.value === undefined ? {} : { value: request.value }),
        ...(sidecars === undefined ? {} : { blobVersionedHashes: sidecars.versionedHashes }),
      } as Parameters<L1PublicClient['call']>[0])
    } catch (error) {
      const data = revertDataOf(error)
      if (data !== undefined) return { reason: decodeRevertReason(data, request.abi), data }
      if (/out of gas/.test(errorText(error))) return { reason: 'out of gas' }
      return { reason: `execution reverted (${errorText(error).slice(0, 120)})` }
    }
    if (receipt.gasUsed >= gas) return { reason: 'out of gas' }
    return {
      reason:
        'execution reverted (replay on the parent block succeeded; depends on earlier txs in the block)',
    }
  }
}
