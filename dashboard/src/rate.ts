/** Transactions per second over a sliding window of what the page saw land (wall-clock, not block time). */
export class RateWindow {
  readonly #windowMs: number
  #events: { at: number; count: number }[] = []
  #total = 0

  constructor(windowMs = 10_000) {
    this.#windowMs = windowMs
  }

  add(count: number, at = Date.now()): void {
    if (count <= 0) return
    this.#events.push({ at, count })
    this.#total += count
  }

  /** Transactions seen since the page opened. */
  get total(): number {
    return this.#total
  }

  perSecond(now = Date.now()): number {
    this.#events = this.#events.filter((e) => now - e.at <= this.#windowMs)
    return this.#events.reduce((s, e) => s + e.count, 0) / (this.#windowMs / 1000)
  }
}
