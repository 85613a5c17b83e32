/**
 * In-order admission, what a sequencer needs to take transactions as fast as it can verify them: each submission's
 * independent part (`prepare`: signature recovery on worker threads) runs concurrently with the others'; its
 * `commit` (validate and apply to the state) runs in arrival order, one at a time. A failed `prepare` is thrown at
 * its turn, so the order of answers is the order of arrival either way.
 */
export class OrderedAdmission {
  #nextTicket = 0
  #turn = 0
  readonly #waiting = new Map<number, () => void>()

  /** Takes a place in line now (synchronously), prepares concurrently, commits in line order. */
  async admit<P, C>(prepare: () => Promise<P>, commit: (prepared: P) => C): Promise<C> {
    const ticket = this.#nextTicket++
    let prepared: { ok: true; value: P } | { ok: false; error: unknown }
    try {
      prepared = { ok: true, value: await prepare() }
    } catch (error) {
      prepared = { ok: false, error }
    }
    await this.#waitTurn(ticket)
    try {
      if (!prepared.ok) throw prepared.error
      return commit(prepared.value)
    } finally {
      this.#endTurn()
    }
  }

  #waitTurn(ticket: number): Promise<void> | undefined {
    if (ticket === this.#turn) return undefined
    return new Promise((resolve) => this.#waiting.set(ticket, resolve))
  }

  #endTurn(): void {
    this.#turn++
    const next = this.#waiting.get(this.#turn)
    if (next) {
      this.#waiting.delete(this.#turn)
      next()
    }
  }
}
