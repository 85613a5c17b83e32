/**
 * Plasma: the operator's open block and UTXO count, transfers per second (from the committed blocks), the latest
 * block root on L1, the watcher's verdict on every block, and the exit queue (PlasmaFramework events) with each
 * exit's countdown to its exitable time and a button that processes the due exits (`processExits`, SDK).
 */
import type { Address, Hex } from 'viem'
import { plasmaFrameworkAbi } from '../../../src/generated/contracts.ts'
import { processExits } from '../../../src/sdk/plasma/processExits.ts'
import type { PlasmaSummary } from '../config.ts'
import { eth } from '../dom.ts'
import { type Ctx, EventScanner, Panel, type PendingItem } from '../panel.ts'
import { RateWindow } from '../rate.ts'
import { rpc } from '../rpc.ts'

type Info = {
  openBlock: string
  pending: number
  utxos: number
  deployBlock: string
  exitPeriodSeconds: string
}
type WatcherStatus = {
  blocks: { valid: number; invalid: number; withheld: number; waiting: number }
  byzantine: unknown[]
  massExitStarted: boolean
}

export class PlasmaPanel extends Panel {
  readonly #s: PlasmaSummary
  readonly #framework: EventScanner
  readonly #rate = new RateWindow()
  #scanned = false

  constructor(ctx: Ctx, s: PlasmaSummary) {
    super('plasma', 'Plasma', ctx)
    this.#s = s
    this.#framework = new EventScanner(ctx.wallet.publicClient, s.contracts.framework, plasmaFrameworkAbi)
  }

  async poll(): Promise<void> {
    const info = await rpc<Info>(this.#s.operator.rpc, 'plasma_getInfo')
    this.#framework.fromBlock = BigInt(info.deployBlock)
    const fresh = await this.#framework.scan()
    // transfers in blocks committed since the page opened (the first scan is history)
    if (this.#scanned)
      for (const l of fresh)
        if (l.eventName === 'BlockSubmitted') {
          const b = await rpc<{ transactions: unknown[] }>(this.#s.operator.rpc, 'plasma_getBlock', [
            String(l.args.blknum),
          ])
          this.#rate.add(b.transactions.length)
        }
    this.#scanned = true
    const watcher =
      this.#s.watcher.rpc === null
        ? undefined
        : await rpc<WatcherStatus>(this.#s.watcher.rpc, 'plasma_watcherStatus').catch(
            (err: unknown) => err as Error,
          )
    this.field('head', 'open block', info.openBlock)
    this.field('tps', 'transfers/s', this.#rate.perSecond().toFixed(1))
    this.field('txs-seen', 'transfers since page opened', this.#rate.total)
    this.field('pending-txs', 'transfers in the open block', info.pending)
    this.field('utxos', 'unspent outputs', info.utxos)
    this.field('exit-period', 'exit period', `${info.exitPeriodSeconds} s`)
    this.field(
      'watcher',
      'watcher',
      watcher === undefined
        ? 'not running'
        : watcher instanceof Error
          ? `down: ${watcher.message}`
          : `${watcher.blocks.valid} blocks valid, ${watcher.blocks.invalid} invalid, ${watcher.blocks.withheld} withheld${watcher.massExitStarted ? ' — MASS EXIT started' : ''}`,
    )
    const root = this.#framework.last('BlockSubmitted')
    this.l1Commitment(
      'Latest block root on L1',
      root && {
        what: `block ${root.args.blknum}, root ${String(root.args.root).slice(0, 14)}…`,
        txHash: root.transactionHash,
        block: root.blockNumber,
      },
    )
    this.pending('Exit queue', this.#exits(), 'no exits in the queue')
  }

  #exits(): PendingItem[] {
    const open = new Map<string, { what: string; exitableAt: number }>()
    for (const l of this.#framework.logs) {
      const id = String(l.args.exitId)
      if (l.eventName === 'ExitStarted')
        open.set(id, {
          what: `exit ${id.slice(0, 10)}…: ${l.args.token === '0x0000000000000000000000000000000000000000' ? eth(l.args.amount as bigint) : `${l.args.amount} of ${String(l.args.token).slice(0, 10)}…`} by ${String(l.args.owner).slice(0, 10)}…`,
          exitableAt: Number(l.args.exitableAt),
        })
      else if (l.eventName === 'InFlightExitStarted')
        open.set(id, {
          what: `in-flight exit of tx ${String(l.args.txHash).slice(0, 12)}…`,
          exitableAt: Number(l.args.exitableAt),
        })
      else if (
        ['ExitFinalized', 'ExitSkipped', 'ExitChallenged', 'InFlightExitFinalized'].includes(l.eventName)
      )
        open.delete(id)
    }
    const now = this.ctx.l1Now()
    return [...open].map(([id, e]) => ({
      id,
      what: e.what,
      status: e.exitableAt <= now ? 'exitable: process the queue' : 'waiting out the exit period',
      readyAt: e.exitableAt,
      claimable: e.exitableAt <= now,
      claim: async (l1): Promise<Hex> =>
        (await processExits({ l1, framework: this.#s.contracts.framework as Address })).txHash,
    }))
  }
}
