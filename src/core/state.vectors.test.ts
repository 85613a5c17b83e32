// biome-ignore-all lint/style/noNonNullAssertion: tests index data they just built
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { concat, encodeAbiParameters, encodePacked, type Hex, keccak256 } from 'viem'
import { describe, expect, it } from 'vitest'
import { buildVectorState, renderStateVectors, STATE_VECTORS_PATH } from '../../scripts/genVectors.ts'

const repoRoot = resolve(import.meta.dirname, '..', '..')

/** Root from a leaf and bottom-up siblings, with viem's keccak (independent of core/hash and core/smt). */
function viemComputeRoot(leaf: Hex, index: bigint, siblings: readonly Hex[]): Hex {
  let node = leaf
  siblings.forEach((sibling, level) => {
    node =
      (index >> BigInt(level)) & 1n ? keccak256(concat([sibling, node])) : keccak256(concat([node, sibling]))
  })
  return node
}

describe('StateVectors.sol', () => {
  it('is up to date with the state machine (regenerate with `npx tsx scripts/genVectors.ts`)', () => {
    const committed = readFileSync(resolve(repoRoot, STATE_VECTORS_PATH), 'utf8')
    expect(committed).toBe(renderStateVectors())
  })

  it('keeps the interface the Solidity tests depend on', () => {
    const text = renderStateVectors()
    expect(text).toContain(
      'struct WithdrawalVector { bytes32 stateRoot; bytes32 accountsRoot; uint256 index; address sender; address recipient; address l1Token; uint256 amount; bytes32 withdrawalHash; bytes32[32] siblings; }',
    )
    expect(text).toContain('function withdrawalVectors() internal pure returns (WithdrawalVector[] memory v)')
    expect(text).toContain(
      'struct AccountVector { address owner; uint64 nonce; bytes32 balancesRoot; bytes32 leaf; }',
    )
    expect(text).toContain('function accountVectors() internal pure returns (AccountVector[] memory v)')
  })

  it('holds withdrawal proofs that an independent (viem) implementation of the spec accepts', () => {
    const state = buildVectorState()
    expect(state.withdrawals.length).toBeGreaterThanOrEqual(4)
    for (const w of state.withdrawals) {
      const proof = state.withdrawalProof(w.index)
      const hash = keccak256(
        encodeAbiParameters(
          [
            { type: 'uint256' },
            { type: 'address' },
            { type: 'address' },
            { type: 'address' },
            { type: 'uint256' },
          ],
          [w.index, w.sender, w.recipient, w.l1Token, w.amount],
        ),
      )
      expect(proof.withdrawalHash).toBe(hash)
      const withdrawalsRoot = viemComputeRoot(hash, w.index, proof.siblings)
      expect(keccak256(encodePacked(['bytes32', 'bytes32'], [proof.accountsRoot, withdrawalsRoot]))).toBe(
        proof.stateRoot,
      )
      expect(proof.stateRoot).toBe(state.stateRoot())
    }
  })

  it('holds account leaves that match abi.encodePacked(owner, uint64 nonce, balancesRoot) and the accounts root', () => {
    const state = buildVectorState()
    for (let i = 0; i < state.accountCount; i++) {
      const proof = state.accountProof(i)
      expect(proof.leaf).toBe(
        keccak256(
          encodePacked(['address', 'uint64', 'bytes32'], [proof.address, proof.nonce, proof.balancesRoot]),
        ),
      )
      expect(viemComputeRoot(proof.leaf, BigInt(i), proof.siblings)).toBe(state.accountsRoot())
    }
  })

  it('builds the same state every time (deterministic)', () => {
    expect(buildVectorState().stateRoot()).toBe(buildVectorState().stateRoot())
  })
})
