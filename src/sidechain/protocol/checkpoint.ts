/**
 * Checkpoints: what the validators sign for the L1 `SidechainBridge` every N blocks (docs/sidechain.md,
 * "Checkpoints and the bridge"). A checkpoint covers blocks `startBlock..endBlock`: a root over their hashes and
 * the end state, and the depth-16 tree of every withdrawal they hold, which L1 then pays against a Merkle proof.
 * Signed as EIP-712 under the bridge's own domain, so a checkpoint signature can never pass for a consensus vote.
 */
import { bytesToHex, concatBytes, hexToBytes } from '../../core/bytes.ts'
import { abiWord, type Eip712Domain, signerOf65, typedDataDigest, typeHash } from '../../core/eip712.ts'
import { L2kitError } from '../../core/errors.ts'
import { keccak256 } from '../../core/hash.ts'
import type { Address, Hex } from '../../core/types.ts'
import { SidechainErrorCode } from './errors.ts'
import type { MessageSigner } from './messages.ts'

/** Most withdrawals one checkpoint holds: the withdrawal tree has depth 16. */
export const MAX_CHECKPOINT_WITHDRAWALS = 1 << 16

export type Checkpoint = {
  /** Sequential from 0. */
  number: bigint
  /** First block covered (1 for the first checkpoint, then the previous `endBlock + 1`). */
  startBlock: bigint
  /** Last block covered (inclusive). */
  endBlock: bigint
  /** Root of the keccak tree of the covered blocks' hashes (`blocksRoot`). */
  blocksRoot: Hex
  /** The state root at the end of `endBlock`. */
  stateRoot: Hex
  /** Depth-16 tree of the covered withdrawals' leaves, in block order. */
  withdrawalsRoot: Hex
  withdrawalCount: number
}

/** The bridge's EIP-712 domain (its own, distinct from the consensus votes' StakeManager domain). */
export type BridgeDomain = { chainId: bigint; bridge: Address }

const CHECKPOINT_TYPEHASH = typeHash(
  'Checkpoint(uint64 number,uint64 startBlock,uint64 endBlock,bytes32 blocksRoot,bytes32 stateRoot,bytes32 withdrawalsRoot,uint32 withdrawalCount)',
)

export function bridgeEip712Domain(domain: BridgeDomain): Eip712Domain {
  return {
    name: 'l2kit sidechain bridge',
    version: '1',
    chainId: domain.chainId,
    verifyingContract: domain.bridge,
  }
}

function bad(reason: string): never {
  throw new L2kitError(SidechainErrorCode.malformedMessage, `malformed checkpoint: ${reason}`)
}

const U64 = (1n << 64n) - 1n
const HASH_RE = /^0x[0-9a-f]{64}$/

/** Throws `SIDECHAIN_MALFORMED_MESSAGE` unless every field is in range and canonical. */
export function checkCheckpoint(cp: Checkpoint): void {
  for (const k of ['number', 'startBlock', 'endBlock'] as const) {
    if (typeof cp[k] !== 'bigint' || cp[k] < 0n || cp[k] > U64) bad(`${k} is not a u64`)
  }
  if (cp.endBlock < cp.startBlock) bad('endBlock is below startBlock')
  for (const k of ['blocksRoot', 'stateRoot', 'withdrawalsRoot'] as const) {
    if (typeof cp[k] !== 'string' || !HASH_RE.test(cp[k])) bad(`${k} is not a lowercase 32-byte hex`)
  }
  if (
    !Number.isSafeInteger(cp.withdrawalCount) ||
    cp.withdrawalCount < 0 ||
    cp.withdrawalCount > MAX_CHECKPOINT_WITHDRAWALS
  )
    bad(`withdrawalCount must be in [0, ${MAX_CHECKPOINT_WITHDRAWALS}]`)
}

/** The EIP-712 digest the validators sign (what the bridge's `hashCheckpoint` returns). */
export function checkpointDigest(domain: BridgeDomain, cp: Checkpoint): Uint8Array {
  checkCheckpoint(cp)
  return typedDataDigest(
    bridgeEip712Domain(domain),
    keccak256(
      concatBytes(
        CHECKPOINT_TYPEHASH,
        abiWord(cp.number),
        abiWord(cp.startBlock),
        abiWord(cp.endBlock),
        hexToBytes(cp.blocksRoot),
        hexToBytes(cp.stateRoot),
        hexToBytes(cp.withdrawalsRoot),
        abiWord(BigInt(cp.withdrawalCount)),
      ),
    ),
  )
}

export function signCheckpoint(domain: BridgeDomain, cp: Checkpoint, signer: MessageSigner): Hex {
  return signer.signDigest(checkpointDigest(domain, cp))
}

/** The signer of a checkpoint signature; throws `SIDECHAIN_BAD_SIGNATURE`. */
export function checkpointSigner(domain: BridgeDomain, cp: Checkpoint, signature: Hex): Address {
  return signerOf65(checkpointDigest(domain, cp), signature, SidechainErrorCode.badSignature)
}

/** A stable identity of a checkpoint's content (signatures over equal content are interchangeable). */
export function checkpointKey(cp: Checkpoint): Hex {
  return bytesToHex(
    keccak256(
      concatBytes(
        abiWord(cp.number),
        abiWord(cp.startBlock),
        abiWord(cp.endBlock),
        hexToBytes(cp.blocksRoot),
        hexToBytes(cp.stateRoot),
        hexToBytes(cp.withdrawalsRoot),
        abiWord(BigInt(cp.withdrawalCount)),
      ),
    ),
  )
}

/**
 * The bridge's packed signature list: 65-byte signatures ordered by strictly ascending signer address (the
 * contract refuses any other order, which is how it rules out a signer counted twice).
 */
export function packCheckpointSignatures(signatures: readonly { signer: Address; signature: Hex }[]): Hex {
  const sorted = [...signatures].sort((a, b) => (a.signer < b.signer ? -1 : a.signer > b.signer ? 1 : 0))
  for (let i = 1; i < sorted.length; i++) {
    if ((sorted[i] as { signer: Address }).signer === (sorted[i - 1] as { signer: Address }).signer)
      bad('two signatures by one signer')
  }
  return bytesToHex(concatBytes(...sorted.map((s) => hexToBytes(s.signature))))
}
