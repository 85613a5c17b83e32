/**
 * The operator account's L1 sender for the batcher and the proposer: a TxManager that notices when an L1 reorg
 * dropped one of its transactions before it signs the next one.
 *
 * Why: the TxManager counts nonces itself. When a reorg (or `anvil_rollback`) drops our mined transactions the
 * account's nonce on L1 goes back, and a transaction signed with the counted nonce would wait in the pool for a
 * nonce that never comes. Before each send this checks that the L1 block of the newest transaction we saw mined
 * is still canonical (one `eth_getBlockByNumber`), and if not, makes the TxManager read the nonce again.
 */
import type { Address, Hex } from 'viem'
import type { Logger } from '../core/logger.ts'
import type { L1PublicClient } from './clients.ts'
import type { TxManager, TxRequest, TxResult } from './txManager.ts'

/** What the batcher and the proposer need to send L1 transactions (a TxManager is one). */
export type L1TxSender = {
  readonly address: Address
  send(request: TxRequest): Promise<TxResult>
  /** Forget the counted nonce (after an L1 reorg); the next send reads it from the node. */
  resetNonce(): void
}

export class ReorgAwareSender implements L1TxSender {
  readonly address: Address
  readonly #txManager: TxManager
  readonly #client: L1PublicClient
  readonly #log: Logger
  /** L1 block of the newest transaction this sender saw mined. */
  #lastMined: { number: bigint; hash: Hex } | undefined

  constructor(modules: { txManager: TxManager; publicClient: L1PublicClient; logger: Logger }) {
    this.#txManager = modules.txManager
    this.#client = modules.publicClient
    this.#log = modules.logger.child({ component: 'l1Sender' })
    this.address = modules.txManager.address
  }

  async send(request: TxRequest): Promise<TxResult> {
    await this.checkCanonical()
    const result = await this.#txManager.send(request)
    const mined = { number: result.receipt.blockNumber, hash: result.receipt.blockHash }
    if (this.#lastMined === undefined || mined.number >= this.#lastMined.number) this.#lastMined = mined
    return result
  }

  resetNonce(): void {
    this.#txManager.resetNonce()
  }

  /** True when the newest transaction we saw mined is still canonical; otherwise resets the nonce. */
  async checkCanonical(): Promise<boolean> {
    const last = this.#lastMined
    if (last === undefined) return true
    const block = await this.#client.getBlock({ blockNumber: last.number }).catch((err: unknown) => {
      if (err instanceof Error && err.name === 'BlockNotFoundError') return undefined
      throw err
    })
    if (block?.hash === last.hash) return true
    this.#log.warn(
      { l1Block: last.number.toString(), was: last.hash, now: block?.hash ?? 'gone' },
      'an L1 reorg dropped our latest transaction: reading the nonce from L1 again',
    )
    this.#lastMined = undefined
    this.#txManager.resetNonce()
    return false
  }
}
