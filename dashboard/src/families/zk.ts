/**
 * The ZK rollup: sealed / committed / verified blocks, operations per second, the latest block commitment and
 * proof verification on L1 (ZkRollup events), and withdrawals: waiting for their block's proof, then credited on
 * L1 as a pending balance the page can claim (`withdrawPendingBalance`, through the SDK's checked L1 write).
 */
import type { Address, Hex } from 'viem'
import { zkRollupAbi } from '../../../src/generated/contracts.ts'
import { writeContractChecked } from '../../../src/sdk/l1Tx.ts'
import type { ZkSummary } from '../config.ts'
import { eth, short } from '../dom.ts'
import { type Ctx, EventScanner, Panel, type PendingItem } from '../panel.ts'
import { RateWindow } from '../rate.ts'
import { rpc } from '../rpc.ts'

type ZkStatus = {
  sealedBlocks: number
  committedBlocks: number
  verifiedBlocks: number
  exodusMode: boolean
  pendingOperations: number
  proveBacklog: number
  deployBlock?: string
}
type ZkBlock = {
  number: number
  status: string
  txs: string[]
  priorityOps: number
  withdrawals: { address: Address; token: number; amount: string }[]
}

export class ZkPanel extends Panel {
  readonly #s: ZkSummary
  readonly #events: EventScanner
  readonly #rate = new RateWindow()
  #sealed: number | undefined
  /** Sealed blocks read so far (their withdrawals), by number. */
  readonly #blocks = new Map<number, ZkBlock>()

  constructor(ctx: Ctx, s: ZkSummary) {
    super('zk', 'ZK rollup', ctx)
    this.#s = s
    this.#events = new EventScanner(ctx.wallet.publicClient, s.contracts.rollup, zkRollupAbi)
  }

  async poll(): Promise<void> {
    const url = this.#s.rpc
    const status = await rpc<ZkStatus>(url, 'zk_status')
    if (status.deployBlock !== undefined) this.#events.fromBlock = BigInt(status.deployBlock)
    // blocks sealed since the last poll: their operations count towards the rate (at most 16 read per poll)
    const from = Math.max(this.#sealed === undefined ? status.sealedBlocks - 15 : this.#sealed + 1, 1)
    for (let n = from; n <= status.sealedBlocks; n++) {
      const b = await rpc<ZkBlock | null>(url, 'zk_getBlock', [n])
      if (b === null) continue
      this.#blocks.set(n, b)
      if (this.#sealed !== undefined) this.#rate.add(b.txs.length + b.priorityOps)
    }
    this.#sealed = status.sealedBlocks
    await this.#events.scan()
    this.field('head', 'sealed blocks', status.sealedBlocks)
    this.field('tps', 'operations/s', this.#rate.perSecond().toFixed(1))
    this.field('txs-seen', 'operations since page opened', this.#rate.total)
    this.field('committed', 'committed on L1', status.committedBlocks)
    this.field('verified', 'proven and verified on L1', status.verifiedBlocks)
    this.field('backlog', 'waiting for a proof', status.proveBacklog)
    this.field('pending-ops', 'operations in the open block', status.pendingOperations)
    this.field(
      'exodus',
      'exodus mode',
      status.exodusMode ? 'ON: withdraw from the last verified state' : 'off',
    )
    const verified = this.#events.last('BlocksVerified')
    this.field(
      'proof',
      'latest proof verified',
      verified === undefined
        ? 'none yet'
        : (() => {
            const span = document.createElement('span')
            span.append(
              `blocks ${verified.args.firstBlock}–${verified.args.lastBlock} in `,
              short(verified.transactionHash),
            )
            return span
          })(),
    )
    const commit = this.#events.last('BlockCommitted')
    this.l1Commitment(
      'Latest block commitment on L1',
      commit && {
        what: `block ${commit.args.blockNumber}, root ${String(commit.args.newRoot).slice(0, 14)}…`,
        txHash: commit.transactionHash,
        block: commit.blockNumber,
        blobHashes: [],
      },
    )
    this.pending('Withdrawals', await this.#withdrawals(status))
  }

  async #withdrawals(status: ZkStatus): Promise<PendingItem[]> {
    const items: PendingItem[] = []
    for (const [n, b] of this.#blocks) {
      if (n <= status.verifiedBlocks) continue
      for (const [i, w] of b.withdrawals.entries())
        items.push({
          id: `block-${n}-${i}`,
          what: `${w.token === 0 ? eth(w.amount) : `${w.amount} of token ${w.token}`} to ${w.address.slice(0, 10)}… (block ${n})`,
          status:
            n <= status.committedBlocks
              ? 'committed, waiting for its proof'
              : 'sealed, waiting for commit and proof',
          claimable: false,
        })
    }
    // credited on L1 once verified: one claimable pending balance per owner and token
    const owners = new Map<string, { owner: Address; token: number }>()
    for (const l of this.#events.logs)
      if (l.eventName === 'WithdrawalCredited') {
        const owner = l.args.recipient as Address
        const token = Number(l.args.token)
        owners.set(`${owner}-${token}`, { owner, token })
      }
    const client = this.ctx.wallet.publicClient
    for (const [id, { owner, token }] of owners) {
      const pending = (await client.readContract({
        address: this.#s.contracts.rollup,
        abi: zkRollupAbi,
        functionName: 'pendingBalance',
        args: [owner, token],
      })) as bigint
      if (pending === 0n) continue
      items.push({
        id,
        what: `${token === 0 ? eth(pending) : `${pending} of token ${token}`} for ${owner.slice(0, 10)}…`,
        status: 'verified: pending balance on L1',
        claimable: true,
        claim: async (l1): Promise<Hex> =>
          (
            await writeContractChecked(l1, {
              address: this.#s.contracts.rollup,
              abi: zkRollupAbi,
              functionName: 'withdrawPendingBalance',
              args: [owner, token],
              what: 'withdrawPendingBalance',
            })
          ).hash,
      })
    }
    return items
  }
}
