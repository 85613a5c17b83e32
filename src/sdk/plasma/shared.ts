/** What every Plasma action shares: the chain it talks to, the operator's JSON-RPC, amounts from JSON. */
import type { Address, Hex } from 'viem'
import { PlasmaErrorCode } from '../../plasma/protocol/errors.ts'
import type { PlasmaDomain } from '../../plasma/protocol/tx.ts'
import { createNodeRpcClient, type NodeRpcClient } from '../nodeRpcClient.ts'
import type { AnyPublicClient, AnyWalletClient } from '../types.ts'

export { ETH_TOKEN } from '../../plasma/protocol/tx.ts'
export { PlasmaErrorCode }

/** A Plasma chain: its operator's JSON-RPC URL, its PlasmaFramework on L1 and L1's chain id. */
export type PlasmaChain = { operatorUrl: string; framework: Address; chainId: bigint }

export type PlasmaL1Clients = { walletClient: AnyWalletClient; publicClient: AnyPublicClient }

export function plasmaDomain(chain: PlasmaChain): PlasmaDomain {
  return { chainId: chain.chainId, framework: chain.framework }
}

/** The operator's JSON-RPC client (errors keep the operator's PLASMA_* codes). */
export function operatorClient(chain: Pick<PlasmaChain, 'operatorUrl'>): NodeRpcClient {
  return createNodeRpcClient(chain.operatorUrl, {
    what: 'Plasma operator',
    unreachableHint: "start one with 'l2kit up' or 'l2kit plasma operator'",
  })
}

/** An unspent output as the operator lists it. */
export type PlasmaUtxo = { utxoPos: bigint; owner: Address; token: Address; amount: bigint }

export async function listUtxos(
  chain: Pick<PlasmaChain, 'operatorUrl'>,
  owner: Address,
): Promise<PlasmaUtxo[]> {
  const raw = await operatorClient(chain).request<
    { utxoPos: string; owner: Address; token: Address; amount: string }[]
  >('plasma_getUtxos', [owner])
  return raw.map((u) => ({
    utxoPos: BigInt(u.utxoPos),
    owner: u.owner,
    token: u.token,
    amount: BigInt(u.amount),
  }))
}

/** A transaction as the operator serves it, with where it is and (once its block is sealed) its inclusion proof. */
export type PlasmaTxRecord = {
  txHash: Hex
  txBytes: Hex
  sigs: Hex[]
  blknum: bigint
  txIndex: number
  sealed: boolean
  committed: boolean
  proof: Hex | null
  outputs: bigint[]
}

export async function getPlasmaTransaction(
  chain: Pick<PlasmaChain, 'operatorUrl'>,
  txHash: Hex,
): Promise<PlasmaTxRecord | null> {
  const raw = await operatorClient(chain).request<Record<string, unknown> | null>('plasma_getTransaction', [
    txHash,
  ])
  if (raw === null) return null
  return {
    txHash: raw.txHash as Hex,
    txBytes: raw.txBytes as Hex,
    sigs: raw.sigs as Hex[],
    blknum: BigInt(raw.blknum as string),
    txIndex: raw.txIndex as number,
    sealed: raw.sealed as boolean,
    committed: raw.committed as boolean,
    proof: (raw.proof as Hex | null) ?? null,
    outputs: (raw.outputs as string[]).map(BigInt),
  }
}
