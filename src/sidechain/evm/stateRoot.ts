/**
 * The sidechain's state commitment. There is no Merkle-Patricia trie (so no `eth_getProof`): the state root after
 * block n is a hash chain over the blocks' state diffs,
 *
 *   stateRoot(n) = keccak256(stateRoot(n − 1) ‖ keccak256(encodeStateDiff(diff(n))))      stateRoot(−1) = 0x00…00
 *
 * where diff(0) is the genesis state (alloc and predeploys) and diff(n) what block n changed, sorted. Two
 * validators agree on a root exactly when they applied the same diffs from the same genesis, so a divergent
 * execution is caught before anyone votes; it commits to the whole state without costing a tree update per write.
 *
 * Diff encoding (integers big-endian): accountCount u32 ‖ (address[20] ‖ exists u8 ‖ [nonce u64 ‖ balance u256 ‖
 * codeHash[32]])* ‖ clearedCount u32 ‖ address[20]* ‖ slotCount u32 ‖ (address[20] ‖ slot[32] ‖ value u256)* ‖
 * codeCount u32 ‖ codeHash[32]* — every list sorted as `OverlayState.diff` sorts it.
 */
import { ByteWriter, bytesToHex, concatBytes, hexToBytes } from '../../core/bytes.ts'
import { keccak256 } from '../../core/hash.ts'
import type { Hex } from '../../core/types.ts'
import type { StateDiff } from './overlayState.ts'

/** The diff's canonical bytes (see the file comment). */
export function encodeStateDiff(diff: StateDiff): Uint8Array {
  const w = new ByteWriter(64 + diff.accounts.length * 93 + diff.storage.length * 84)
  w.u32be(diff.accounts.length)
  for (const [address, record] of diff.accounts) {
    w.bytes(hexToBytes(`0x${address}`))
    if (record === null) w.u8(0)
    else w.u8(1).uintBE(record.nonce, 8).uintBE(record.balance, 32).bytes(record.codeHash)
  }
  w.u32be(diff.cleared.length)
  for (const address of diff.cleared) w.bytes(hexToBytes(`0x${address}`))
  w.u32be(diff.storage.length)
  for (const [address, slot, value] of diff.storage) {
    w.bytes(hexToBytes(`0x${address}`)).bytes(hexToBytes(`0x${slot}`))
    w.uintBE(0n, 32 - value.length).bytes(value)
  }
  w.u32be(diff.code.length)
  for (const [codeHash] of diff.code) w.bytes(hexToBytes(`0x${codeHash}`))
  return w.finish()
}

/** The next link of the chain: `keccak256(parentRoot ‖ keccak256(encodeStateDiff(diff)))`. */
export function nextStateRoot(parentRoot: Hex, diff: StateDiff): Hex {
  return bytesToHex(keccak256(concatBytes(hexToBytes(parentRoot), keccak256(encodeStateDiff(diff)))))
}
