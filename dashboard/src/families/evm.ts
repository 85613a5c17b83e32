/** Head and transactions per second of an EVM-shaped L2 (the optimistic rollup, the sidechain) over eth_* calls. */
import { RateWindow } from '../rate.ts'
import { rpc } from '../rpc.ts'

export class EvmHead {
  readonly #url: string
  #head: bigint | undefined
  readonly rate = new RateWindow()

  constructor(url: string) {
    this.#url = url
  }

  /** Reads the head; counts the transactions of the blocks since the last call (at most 32). */
  async poll(): Promise<bigint> {
    const head = BigInt(await rpc<string>(this.#url, 'eth_blockNumber'))
    if (this.#head !== undefined && head > this.#head) {
      const from = head - this.#head > 32n ? head - 31n : this.#head + 1n
      const counts = await Promise.all(
        Array.from({ length: Number(head - from + 1n) }, (_, i) =>
          rpc<string | null>(this.#url, 'eth_getBlockTransactionCountByNumber', [
            `0x${(from + BigInt(i)).toString(16)}`,
          ]),
        ),
      )
      this.rate.add(counts.reduce((s, c) => s + (c === null ? 0 : Number(c)), 0))
    }
    this.#head = head
    return head
  }
}
