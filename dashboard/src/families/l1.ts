/** The L1: head, block time, transactions per second, base fee and blob base fee (anvil or any Ethereum RPC). */
import { formatGwei } from 'viem'
import { Panel } from '../panel.ts'
import { RateWindow } from '../rate.ts'

export class L1Panel extends Panel {
  #head: bigint | undefined
  readonly #rate = new RateWindow()
  /** Latest block's timestamp (seconds), read by every panel's countdowns. */
  timestamp = 0

  async poll(): Promise<void> {
    const client = this.ctx.wallet.publicClient
    const block = await client.getBlock({ blockTag: 'latest' })
    if (this.#head !== undefined && block.number > this.#head) {
      // count the transactions of every block since the last poll (at most 32: older ones are history)
      const from = block.number - this.#head > 32n ? block.number - 31n : this.#head + 1n
      for (let n = from; n < block.number; n++)
        this.#rate.add(await client.getBlockTransactionCount({ blockNumber: n }))
      this.#rate.add(block.transactions.length)
    }
    this.#head = block.number
    this.timestamp = Number(block.timestamp)
    const blobFee = await client.getBlobBaseFee().catch(() => undefined)
    this.field('head', 'head block', block.number.toString())
    this.field('tps', 'transactions/s', this.#rate.perSecond().toFixed(1))
    this.field('txs-seen', 'txs since page opened', this.#rate.total)
    this.field(
      'base-fee',
      'base fee',
      block.baseFeePerGas === null ? '—' : `${formatGwei(block.baseFeePerGas)} gwei`,
    )
    this.field('blob-fee', 'blob base fee', blobFee === undefined ? '—' : `${formatGwei(blobFee)} gwei`)
    this.field('rpc', 'RPC', this.ctx.config.l1Rpc)
    this.field('chain-id', 'chain id', String(await client.getChainId()))
  }
}
