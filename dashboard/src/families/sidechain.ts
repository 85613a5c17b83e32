/**
 * The sidechain: each validator's height, round and step (up or down one by one), the validator set (its L1 epoch)
 * with stake and proposer priorities, the votes of the height being decided (`sidechain_votes`: each validator's
 * prevote and precommit in the current round, and who signed the head's commit), who signed the latest checkpoint, the
 * latest checkpoint on L1, transactions per second, and pending withdrawals with an estimated countdown to the
 * checkpoint that covers them and a claim (`proveAndFinalizeSidechainWithdrawal`, SDK).
 */
import { type Address, createPublicClient, type Hex, http } from 'viem'
import { l2BridgeAbi, sidechainBridgeAbi } from '../../../src/generated/contracts.ts'
import { proveAndFinalizeSidechainWithdrawal } from '../../../src/sdk/sidechain/proveAndFinalizeSidechainWithdrawal.ts'
import type { SidechainSummary } from '../config.ts'
import { eth, h, short } from '../dom.ts'
import { type Ctx, EventScanner, Panel, type PendingItem } from '../panel.ts'
import { RpcError, reason, rpc } from '../rpc.ts'
import { addToWalletButton } from '../wallet.ts'
import { EvmHead } from './evm.ts'

type Status = {
  address: Address
  height: string
  round: number
  step: string
  peers: number
  mempool: number
  syncing: boolean
}
type SetInfo = {
  epoch: string
  totalPower: string
  quorum: string
  validators: { address: Address; power: string; proposerPriority: string }[]
}
type Checkpoint = {
  number: string
  endBlock: string
  signers: Address[]
  power: string
  l1TxHash: Hex | null
}
type Votes = {
  height: string
  round: number
  proposer: Address | null
  prevotes: { validator: Address; blockHash: Hex }[]
  precommits: { validator: Address; blockHash: Hex }[]
  lastCommit: { height: string; signers: Address[] }
}
const NIL = `0x${'00'.repeat(32)}`
type Info = { deployBlock: string; blockTimeMs: number; checkpointInterval: number }

export class SidechainPanel extends Panel {
  readonly #s: SidechainSummary
  readonly #bridge: EventScanner
  readonly #heads = new Map<string, EvmHead>()
  readonly #withdrawals = new Map<string, EventScanner>()
  readonly #votes: HTMLElement
  #info: Info | undefined

  constructor(ctx: Ctx, s: SidechainSummary) {
    const rpcUrl = s.validators[0]?.rpc ?? ''
    super('sidechain', 'Sidechain', ctx, [
      addToWalletButton({ id: s.chainId, name: `l2kit sidechain ${s.chainId}`, rpcUrl }),
    ])
    this.#s = s
    this.#bridge = new EventScanner(ctx.wallet.publicClient, s.contracts.bridge, sidechainBridgeAbi)
    this.#votes = h('div', { 'data-field': 'validators' })
    this.body.append(h('h3', {}, 'Validators and votes'), this.#votes)
  }

  async poll(): Promise<void> {
    const statuses = await Promise.all(
      this.#s.validators.map((v) =>
        rpc<Status>(v.rpc, 'sidechain_status', [], 3_000).then(
          (s) => ({ v, s, down: undefined }),
          (err: unknown) => ({ v, s: undefined, down: reason(err) }),
        ),
      ),
    )
    const live = statuses.find((x) => x.s !== undefined)
    if (live === undefined)
      throw new RpcError('UNREACHABLE', `no validator answers: ${statuses[0]?.down ?? 'none configured'}`)
    const url = live.v.rpc
    this.#info ??= await rpc<Info>(url, 'sidechain_getInfo')
    this.#bridge.fromBlock = BigInt(this.#info.deployBlock)
    let head = this.#heads.get(url)
    if (head === undefined) {
      head = new EvmHead(url)
      this.#heads.set(url, head)
    }
    const height = await head.poll()
    const set = await rpc<SetInfo>(url, 'sidechain_validators')
    const votes = await rpc<Votes>(url, 'sidechain_votes')
    const vote = (list: Votes['prevotes'], a: Address) => {
      const v = list.find((x) => x.validator.toLowerCase() === a.toLowerCase())
      return v === undefined ? '—' : v.blockHash === NIL ? 'nil' : short(v.blockHash)
    }
    const committed = new Set(votes.lastCommit.signers.map((a) => a.toLowerCase()))
    await this.#bridge.scan()
    const lastCheckpoint = this.#bridge.last('CheckpointSubmitted')
    const checkpoint =
      lastCheckpoint === undefined
        ? null
        : await rpc<Checkpoint | null>(url, 'sidechain_getCheckpoint', [String(lastCheckpoint.args.number)])
    this.field('head', 'height', height.toString())
    this.field('tps', 'transactions/s', head.rate.perSecond().toFixed(1))
    this.field('txs-seen', 'txs since page opened', head.rate.total)
    this.field(
      'up',
      'validators up',
      `${statuses.filter((x) => x.s !== undefined).length} of ${statuses.length}`,
    )
    this.field('quorum', 'quorum (> ⅔ of the stake)', `${eth(set.quorum)} of ${eth(set.totalPower)}`)
    this.field('epoch', 'validator set (L1 epoch)', `${set.validators.length} validators, epoch ${set.epoch}`)
    this.field(
      'deciding',
      'deciding',
      `height ${votes.height}, round ${votes.round}${votes.proposer ? `, proposer ${short(votes.proposer)}` : ''}`,
    )
    this.field('checkpoint-interval', 'checkpoint every', `${this.#info.checkpointInterval} blocks`)
    this.field(
      'votes',
      'latest checkpoint signed by',
      checkpoint === null
        ? '—'
        : `${checkpoint.signers.length} of ${set.validators.length} validators, ${eth(checkpoint.power)} of ${eth(set.totalPower)} staked`,
    )
    const signers = new Set((checkpoint?.signers ?? []).map((a) => a.toLowerCase()))
    const power = new Map(set.validators.map((v) => [v.address.toLowerCase(), v]))
    this.#votes.replaceChildren(
      h(
        'table',
        {},
        h(
          'tr',
          {},
          ...[
            'validator',
            'stake',
            'priority',
            'height / round / step',
            'peers',
            'prevote',
            'precommit',
            'signed last commit',
            'signed last checkpoint',
          ].map((t) => h('th', {}, t)),
        ),
        ...statuses.map(({ v, s, down }) => {
          const p = power.get(v.address.toLowerCase())
          return h(
            'tr',
            { 'data-validator': v.address },
            h('td', {}, short(v.address)),
            h('td', {}, p ? eth(p.power) : '—'),
            h('td', {}, p?.proposerPriority ?? '—'),
            h(
              'td',
              { class: down ? 'error' : '' },
              s ? `${s.height} / ${s.round} / ${s.step}${s.syncing ? ' (syncing)' : ''}` : `down: ${down}`,
            ),
            h('td', {}, s ? String(s.peers) : '—'),
            h('td', { 'data-vote': 'prevote' }, vote(votes.prevotes, v.address)),
            h('td', { 'data-vote': 'precommit' }, vote(votes.precommits, v.address)),
            h('td', {}, committed.has(v.address.toLowerCase()) ? 'yes' : 'no'),
            h('td', {}, checkpoint === null ? '—' : signers.has(v.address.toLowerCase()) ? 'yes' : 'no'),
          )
        }),
      ),
    )
    this.l1Commitment(
      'Latest checkpoint on L1',
      lastCheckpoint && {
        what: `checkpoint ${lastCheckpoint.args.number}: blocks ${lastCheckpoint.args.startBlock}–${lastCheckpoint.args.endBlock}`,
        txHash: lastCheckpoint.transactionHash,
        block: lastCheckpoint.blockNumber,
      },
    )
    this.pending('Pending withdrawals', await this.#pending(url, height))
  }

  async #pending(url: string, height: bigint): Promise<PendingItem[]> {
    let scanner = this.#withdrawals.get(url)
    if (scanner === undefined) {
      // the sidechain's own logs (eth_getLogs on a validator): the L2 bridge's WithdrawalInitiated
      const client = createPublicClient({ transport: http(url, { timeout: 10_000 }) })
      scanner = new EventScanner(client, this.#s.contracts.l2Bridge, l2BridgeAbi)
      this.#withdrawals.set(url, scanner)
    }
    await scanner.scan()
    const paid = new Set(
      this.#bridge.logs.filter((l) => l.eventName === 'WithdrawalFinalized').map((l) => String(l.args.id)),
    )
    const info = this.#info as Info
    const items: PendingItem[] = []
    for (const l of scanner.logs) {
      if (l.eventName !== 'WithdrawalInitiated') continue
      const id = String(l.args.id)
      if (paid.has(id)) continue
      const what = `#${id}: ${eth(l.args.amount as bigint)} to ${String(l.args.to).slice(0, 10)}… (block ${l.blockNumber})`
      let ready = false
      try {
        await rpc(url, 'sidechain_getWithdrawalProof', [id])
        ready = true
      } catch (err) {
        if (!(err instanceof RpcError) || err.code !== 'SIDECHAIN_WITHDRAWAL_NOT_READY') throw err
      }
      // checkpoint c covers blocks up to (c+1)·N: an estimate from the block time, plus the L1 submission
      const n = BigInt(info.checkpointInterval)
      const end = ((l.blockNumber + n - 1n) / n) * n
      const eta = end > height ? (Number(end - height) * info.blockTimeMs) / 1000 + 1 : 0
      items.push({
        id,
        what,
        status: ready
          ? 'checkpointed on L1: ready to claim'
          : `waiting for the checkpoint covering block ${end}`,
        ...(ready ? {} : { readyAt: Math.ceil(this.ctx.l1Now() + eta) }),
        claimable: ready,
        claim: async (l1): Promise<Hex> =>
          (
            await proveAndFinalizeSidechainWithdrawal({
              chain: { rpcUrl: url, bridge: this.#s.contracts.bridge },
              l1,
              withdrawalId: BigInt(id),
            })
          ).txHash,
      })
    }
    return items
  }
}
