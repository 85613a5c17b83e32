import type { Address, Hex } from 'viem'
import { L2kitError } from '../../core/errors.ts'
import {
  MAX_INPUTS,
  type PlasmaOutput,
  type PlasmaTx,
  txToJson,
  txTypedData,
} from '../../plasma/protocol/tx.ts'
import type { AnyWalletClient } from '../types.ts'
import {
  ETH_TOKEN,
  listUtxos,
  operatorClient,
  type PlasmaChain,
  PlasmaErrorCode,
  plasmaDomain,
} from './shared.ts'

export type TransferPlasmaParameters = {
  chain: PlasmaChain
  /** signs the inputs as EIP-712 typed data (`eth_signTypedData_v4`): a local account or an injected wallet */
  wallet: AnyWalletClient
  to: Address
  amount: bigint
  token?: Address
  /** free 32 bytes (default: random), e.g. an invoice id */
  metadata?: Hex
  /** a watcher to tell about the transaction, so it can exit it in flight if its block is withheld */
  watcherUrl?: string
}

export type TransferPlasmaResult = { txHash: Hex; blknum: bigint; txIndex: number; tx: PlasmaTx; sigs: Hex[] }

/**
 * Pays `amount` of `token` to `to` on the Plasma chain: picks the sender's outputs (largest first, at most 4), adds
 * change back to the sender, has the wallet sign the typed transaction once per input, and sends it to the operator,
 * which answers once it has stored it. Refused transactions keep the operator's code (PLASMA_SPENT_INPUT, …).
 */
export async function transferPlasma(p: TransferPlasmaParameters): Promise<TransferPlasmaResult> {
  const from = p.wallet.account.address.toLowerCase() as Address
  const token = (p.token ?? ETH_TOKEN).toLowerCase() as Address
  if (typeof p.amount !== 'bigint' || p.amount <= 0n) {
    throw new L2kitError('INVALID_AMOUNT', `a transfer must move more than 0, got ${String(p.amount)}`)
  }
  const mine = (await listUtxos(p.chain, from))
    .filter((u) => u.token === token)
    .sort((a, b) => (a.amount > b.amount ? -1 : a.amount < b.amount ? 1 : 0))
  const inputs: bigint[] = []
  let sum = 0n
  for (const u of mine) {
    if (sum >= p.amount || inputs.length === MAX_INPUTS) break
    inputs.push(u.utxoPos)
    sum += u.amount
  }
  if (sum < p.amount) {
    throw new L2kitError(
      PlasmaErrorCode.insufficientFunds,
      `${from} has ${sum} of ${token} in its ${Math.min(mine.length, MAX_INPUTS)} largest outputs, needs ${p.amount}`,
      { details: { have: sum.toString(), need: p.amount.toString() } },
    )
  }
  const outputs: PlasmaOutput[] = [{ owner: p.to.toLowerCase() as Address, token, amount: p.amount }]
  if (sum > p.amount) outputs.push({ owner: from, token, amount: sum - p.amount })
  const metadata = p.metadata ?? randomMetadata()
  const tx: PlasmaTx = { inputs, outputs, metadata }
  const typed = txTypedData(plasmaDomain(p.chain), tx)
  // Every input is ours, and a signature does not depend on the input it is for: one typed-data signature, once
  // per input (the contract checks each against its input's owner).
  const sig = await p.wallet.signTypedData({
    ...typed,
    domain: { ...typed.domain, chainId: Number(typed.domain.chainId) },
    account: p.wallet.account,
  } as never)
  const sigs: Hex[] = inputs.map(() => sig)
  const signed = { tx: txToJson(tx), sigs }
  if (p.watcherUrl !== undefined) {
    await operatorClient({ operatorUrl: p.watcherUrl }).request('plasma_watchTransaction', [signed])
  }
  const accepted = await operatorClient(p.chain).request<{ txHash: Hex; blknum: string; txIndex: number }>(
    'plasma_sendTransaction',
    [signed],
  )
  return { txHash: accepted.txHash, blknum: BigInt(accepted.blknum), txIndex: accepted.txIndex, tx, sigs }
}

function randomMetadata(): Hex {
  const b = crypto.getRandomValues(new Uint8Array(32))
  return `0x${[...b].map((x) => x.toString(16).padStart(2, '0')).join('')}`
}
