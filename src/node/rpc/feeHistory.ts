/** eth_feeHistory as geth answers it, over a chain without blobs. */
import { toHex } from 'viem'
import type { Hex } from '../../core/types.ts'
import { RpcError } from '../rpcServer.ts'
import type { ChainView, ViewBlock } from './chainView.ts'
import { invalidParams } from './errors.ts'
import { isHeadTag, param, quantity } from './params.ts'
import { gasUsedOf } from './shapes.ts'

/** geth's cap on blockCount. */
const MAX_FEE_HISTORY_BLOCKS = 1024n

export function feeHistory(view: ChainView, p: unknown[]): Record<string, unknown> {
  const count = quantity(param(p, 0, 'blockCount'), 'blockCount')
  const newestTag = p[1] ?? 'latest'
  const head = view.head().number
  let newest: bigint
  if (isHeadTag(newestTag)) newest = head
  else if (newestTag === 'earliest') newest = 0n
  else {
    newest = quantity(newestTag, 'newestBlock')
    if (newest > head)
      throw new RpcError(-32000, `request beyond head block: requested ${newest}, head ${head}`)
  }
  const percentiles = p[2] ?? []
  if (!Array.isArray(percentiles)) throw invalidParams('rewardPercentiles must be a list of numbers')
  percentiles.forEach((x, i) => {
    if (typeof x !== 'number' || !Number.isFinite(x) || x < 0 || x > 100)
      throw invalidParams(`invalid reward percentile: ${JSON.stringify(x)} (must be in [0, 100])`)
    if (i > 0 && x < (percentiles[i - 1] as number))
      throw invalidParams(`invalid reward percentile: #${i - 1}:${percentiles[i - 1]} > #${i}:${x}`)
  })
  const n = count > MAX_FEE_HISTORY_BLOCKS ? MAX_FEE_HISTORY_BLOCKS : count
  if (n === 0n) return { oldestBlock: '0x0', baseFeePerGas: [], gasUsedRatio: [], reward: [] }
  const oldest = newest - n + 1n < 0n ? 0n : newest - n + 1n
  const blocks: ViewBlock[] = []
  for (let i = oldest; i <= newest; i++) {
    const b = view.block(i)
    if (b) blocks.push(b)
  }
  const limit = Number(view.blockGasLimit)
  return {
    oldestBlock: toHex(oldest),
    // One more than blocks: the next block's base fee.
    baseFeePerGas: Array.from({ length: blocks.length + 1 }, () => toHex(view.baseFee)),
    gasUsedRatio: blocks.map((b) => Number(gasUsedOf(b)) / limit),
    // No blob transactions (like op-geth's answer on an L2 without blobs).
    baseFeePerBlobGas: Array.from({ length: blocks.length + 1 }, () => '0x0'),
    blobGasUsedRatio: blocks.map(() => 0),
    reward:
      percentiles.length === 0
        ? []
        : blocks.map((b) => rewardPercentiles(b, view.baseFee, percentiles as number[])),
  }
}

/** geth's rule: tips sorted ascending, each percentile = the tip of the tx where cumulative gas reaches it. */
function rewardPercentiles(b: ViewBlock, baseFee: bigint, percentiles: number[]): Hex[] {
  if (b.txs.length === 0) return percentiles.map(() => '0x0')
  const gasUsed = gasUsedOf(b)
  const tips = b.txs
    .map((t) => ({ tip: t.effectiveGasPrice - baseFee, gas: t.gasUsed }))
    .sort((a, c) => (a.tip < c.tip ? -1 : a.tip > c.tip ? 1 : 0))
  return percentiles.map((pct) => {
    const threshold = (Number(gasUsed) * pct) / 100
    let sum = 0
    for (const t of tips) {
      sum += Number(t.gas)
      if (sum >= threshold) return toHex(t.tip < 0n ? 0n : t.tip)
    }
    const lastTip = (tips[tips.length - 1] as { tip: bigint }).tip
    return toHex(lastTip < 0n ? 0n : lastTip)
  })
}
