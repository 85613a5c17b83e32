import { type Address, hexToBytes } from 'viem'
import {
  loadZkCrypto,
  pubKeyHash,
  type ZkPrivateKey,
  zkKeyMessage,
  zkPrivateKeyFromSignature,
  zkPublicKey,
} from '../../zk/protocol/crypto.ts'
import type { AnyWalletClient } from '../types.ts'
import { checkAddress, type ZkKey } from './shared.ts'

/**
 * Derives the wallet's L2 key for one deployment (docs/zk.md, "L2 key derivation"): the wallet signs
 * (`personal_sign`) `zkKeyMessage(chainId, rollup)` and the EdDSA private key is keccak256 of the 65-byte signature.
 * Deterministic for a given wallet (ECDSA signatures are, RFC 6979), so the key never needs storing: derive it
 * again. A signature's `v` of 0/1 (some hardware wallets) is read as 27/28, the same signature, so such a wallet
 * derives the same key as a software wallet holding the same L1 key.
 *
 * `chainId` defaults to the wallet client's chain, else asks its transport (`eth_chainId`).
 */
export async function deriveZkKey(parameters: {
  walletClient: AnyWalletClient
  rollup: Address
  chainId?: number
}): Promise<ZkKey> {
  const { walletClient } = parameters
  const rollup = checkAddress(parameters.rollup, 'rollup')
  const chainId = parameters.chainId ?? walletClient.chain?.id ?? (await walletClient.getChainId())
  const signature = hexToBytes(
    await walletClient.signMessage({ account: walletClient.account, message: zkKeyMessage(chainId, rollup) }),
  )
  const v = signature[64]
  if (signature.length === 65 && (v === 0 || v === 1)) signature[64] = v + 27
  await loadZkCrypto()
  return zkKeyFromPrivateKey(zkPrivateKeyFromSignature(signature))
}

/** The full key (public key and its hash) of an L2 private key. Needs `loadZkCrypto()` to have resolved. */
export function zkKeyFromPrivateKey(privateKey: ZkPrivateKey): ZkKey {
  const pubKey = zkPublicKey(privateKey)
  return { privateKey, pubKey, pkHash: pubKeyHash(pubKey) }
}
