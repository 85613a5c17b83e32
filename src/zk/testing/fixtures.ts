/**
 * Test helpers for the ZK rollup: deterministic L2 keys and signed transactions, and priority requests the way
 * ZkRollup.sol records them. Test-only (imported by tests and the bench, never by a node).
 */
import { keccak_256 } from '@noble/hashes/sha3.js'
import { pubKeyHash, type ZkPrivateKey, type ZkPublicKey, zkPublicKey, zkSign } from '../protocol/crypto.ts'
import { type Address, OpType, type PriorityRequest, type SignedOp, signedMessage } from '../protocol/ops.ts'
import type { SignedZkTx } from '../protocol/state.ts'

export type TestUser = { privateKey: ZkPrivateKey; pubKey: ZkPublicKey; pkHash: bigint; address: Address }

/** A deterministic user: L2 key from keccak(name), L1 address from keccak(name) too. */
export function testUser(name: string): TestUser {
  const privateKey = keccak_256(new TextEncoder().encode(`l2kit zk test key ${name}`))
  const pubKey = zkPublicKey(privateKey)
  const addressBytes = keccak_256(new TextEncoder().encode(`l2kit zk test address ${name}`)).slice(12)
  let address = 0n
  for (const b of addressBytes) address = (address << 8n) | BigInt(b)
  return { privateKey, pubKey, pkHash: pubKeyHash(pubKey), address }
}

/** Signs an operation with a user's L2 key. */
export function signTx(user: TestUser, op: SignedOp): SignedZkTx {
  return { ...op, pubKey: user.pubKey, signature: zkSign(user.privateKey, signedMessage(op)) }
}

export function depositRequest(owner: Address, token: number, amount: bigint, pkHash = 0n): PriorityRequest {
  return { type: OpType.deposit, address: owner, token, amount, account: 0, pkHash }
}

export function fullExitRequest(requester: Address, account: number, token: number): PriorityRequest {
  return { type: OpType.fullExit, address: requester, token, amount: 0n, account, pkHash: 0n }
}

export function changePubKeyRequest(requester: Address, account: number, pkHash: bigint): PriorityRequest {
  return { type: OpType.changePubKey, address: requester, token: 0, amount: 0n, account, pkHash }
}
