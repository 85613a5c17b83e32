import type { Hex } from 'viem'
import { L2kitError } from '../../core/errors.ts'
import { loadZkCrypto, zkSign } from '../../zk/protocol/crypto.ts'
import { type SignedOp, signedMessage } from '../../zk/protocol/ops.ts'
import { type SignedZkTx, zkTxHash } from '../../zk/protocol/state.ts'
import { type ZkTxJson, zkTxToJson } from '../../zk/protocol/txJson.ts'
import { checkKey, nodeRequest, type ZkKey, type ZkNodeClient, type ZkTxStatus } from './shared.ts'

/**
 * Signs a transfer, transfer to a new account or withdrawal with an L2 key: EdDSA-Poseidon over
 * `signedMessage(op)` (docs/zk.md, "Signed message"). Offline; transferZk and withdrawZk build `op` for you.
 */
export async function signZkTx(parameters: { key: ZkKey; op: SignedOp }): Promise<SignedZkTx> {
  const { key, op } = parameters
  checkKey(key)
  await loadZkCrypto()
  return { ...op, pubKey: key.pubKey, signature: zkSign(key.privateKey, signedMessage(op)) }
}

/**
 * Sends a signed transaction to the node (`zk_sendTransaction`, the JSON of `zkTxToJson`). Resolves once the node
 * accepted it (soft confirmation); its refusals are typed L2kitErrors (NONCE_TOO_LOW, INSUFFICIENT_BALANCE, …).
 */
export async function sendZkTx(parameters: {
  node: ZkNodeClient
  tx: SignedZkTx
}): Promise<{ hash: Hex; status: ZkTxStatus; json: ZkTxJson }> {
  const json = zkTxToJson(parameters.tx)
  const answer = await nodeRequest(parameters.node, 'zk_sendTransaction', [json])
  const hash = (answer as { hash?: unknown } | null)?.hash
  if (typeof hash !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(hash)) {
    throw new L2kitError(
      'MALFORMED_DATA',
      "the ZK node's zk_sendTransaction answer has no transaction hash",
      {
        details: { answer },
      },
    )
  }
  const status = (answer as { status?: unknown }).status
  return {
    hash: hash.toLowerCase() as Hex,
    status: status === 'sealed' || status === 'committed' || status === 'verified' ? status : 'soft',
    json,
  }
}

/** The transaction id the node will report for a signed transaction (`zkTxHash`). */
export function zkTransactionHash(tx: SignedZkTx): Hex {
  return zkTxHash(tx)
}
