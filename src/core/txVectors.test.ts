// biome-ignore-all lint/style/noNonNullAssertion: tests index data they just built
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import {
  concat,
  encodeFunctionData,
  encodePacked,
  type Hex,
  keccak256,
  parseAbi,
  recoverAddress,
  serializeTransaction,
} from 'viem'
import { describe, expect, it } from 'vitest'
import { buildTxCases, renderTxVectors, TX_VECTORS_PATH, type TxCase } from '../../scripts/genTxVectors.ts'

const repoRoot = resolve(import.meta.dirname, '..', '..')
const cases = buildTxCases()

const BRIDGE = '0x4200000000000000000000000000000000000010'
const abi = parseAbi([
  'function transfer(address to, uint256 amount)',
  'function withdrawETH(address l1Recipient)',
  'function withdrawERC20(address l2Token, address l1Recipient, uint256 amount)',
])
const tokenAddress = (t: number): Hex =>
  `0x42000000000000000000000000000000000010${t.toString(16).padStart(2, '0')}`

/** Root from a leaf and bottom-up siblings, with viem's keccak (independent of core/hash and core/smt). */
function viemComputeRoot(leaf: Hex, index: bigint, siblings: readonly Hex[]): Hex {
  let node = leaf
  siblings.forEach((sibling, level) => {
    node =
      (index >> BigInt(level)) & 1n ? keccak256(concat([sibling, node])) : keccak256(concat([node, sibling]))
  })
  return node
}

/** The call a wallet signs, built with viem's ABI encoder (independent of core/l2tx). */
function viemCall(c: TxCase): { to: Hex; value: bigint; data: Hex } {
  const op = c.tx.op
  switch (op.kind) {
    case 'ethTransfer':
      return { to: op.to, value: op.amount, data: '0x' }
    case 'tokenTransfer':
      return {
        to: tokenAddress(op.tokenIndex),
        value: 0n,
        data: encodeFunctionData({ abi, functionName: 'transfer', args: [op.to, op.amount] }),
      }
    case 'withdrawEth':
      return {
        to: BRIDGE,
        value: op.amount,
        data: encodeFunctionData({ abi, functionName: 'withdrawETH', args: [op.recipient] }),
      }
    case 'withdrawToken':
      return {
        to: BRIDGE,
        value: 0n,
        data: encodeFunctionData({
          abi,
          functionName: 'withdrawERC20',
          args: [tokenAddress(op.tokenIndex), op.recipient, op.amount],
        }),
      }
  }
}

function viemSigningHash(c: TxCase): Hex {
  const { to, value, data } = viemCall(c)
  const base = {
    chainId: Number(c.ctx.chainId),
    nonce: Number(c.tx.nonce),
    gas: c.tx.gasLimit,
    to,
    value,
    data,
  }
  const fees = c.tx.fees
  const unsigned =
    fees.type === 'legacy'
      ? serializeTransaction({ ...base, type: 'legacy', gasPrice: fees.gasPrice })
      : serializeTransaction({
          ...base,
          type: 'eip1559',
          maxFeePerGas: fees.maxFeePerGas,
          maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
          accessList: [],
        })
  return keccak256(unsigned)
}

const leafOf = (owner: Hex, nonce: bigint, balancesRoot: Hex): Hex =>
  keccak256(encodePacked(['address', 'uint64', 'bytes32'], [owner, nonce, balancesRoot]))

describe('TxVectors.sol', () => {
  it('is up to date with src/core (regenerate with `npx tsx scripts/genTxVectors.ts`)', () => {
    const committed = readFileSync(resolve(repoRoot, TX_VECTORS_PATH), 'utf8')
    expect(committed).toBe(renderTxVectors())
  })

  it('keeps the interface the Solidity tests depend on', () => {
    const text = renderTxVectors(cases)
    expect(text).toContain(
      'struct TxVector { string name; bytes32 preStateRoot; bytes32 postStateRoot; uint8 skip; address sender; bytes32 signingHash; L2TxLib.Tx tx; TxExecutor.Context ctx; TxExecutor.Witness w; }',
    )
    expect(text).toContain('function get(uint256 i) internal pure returns (TxVector memory v)')
    expect(text).toContain(`uint256 internal constant COUNT = ${cases.length};`)
  })

  it('covers every operation, new recipients, aliasing and the skips the brief asks for', () => {
    const applied = cases.filter((c) => c.skip === 0)
    expect(new Set(applied.map((c) => c.tx.op.kind))).toEqual(
      new Set(['ethTransfer', 'tokenTransfer', 'withdrawEth', 'withdrawToken']),
    )
    expect(applied.some((c) => c.witness.recipient?.index === c.ctx.accountCount)).toBe(true)
    expect(new Set(cases.map((c) => c.error).filter((e) => e !== undefined))).toEqual(
      new Set([
        'NONCE_TOO_HIGH',
        'NONCE_TOO_LOW',
        'GAS_LIMIT_TOO_LOW',
        'FEE_CAP_TOO_LOW',
        'UNKNOWN_TOKEN',
        'INSUFFICIENT_BALANCE',
        'INSUFFICIENT_TOKEN_BALANCE',
        'BALANCE_OVERFLOW',
      ]),
    )
    for (const c of cases) if (c.skip !== 0) expect(c.postStateRoot).toBe(c.preStateRoot)
    for (const c of applied) expect(c.postStateRoot).not.toBe(c.preStateRoot)
    for (let i = 1; i < cases.length; i++) expect(cases[i]!.preStateRoot).toBe(cases[i - 1]!.postStateRoot)
  })

  it('holds signing hashes and senders that viem computes the same way', async () => {
    for (const c of cases) {
      expect(viemSigningHash(c), c.name).toBe(c.signingHash)
      const { r, s, yParity } = c.tx.signature
      const recovered = await recoverAddress({
        hash: c.signingHash,
        signature: {
          r: `0x${r.toString(16).padStart(64, '0')}`,
          s: `0x${s.toString(16).padStart(64, '0')}`,
          yParity,
        },
      })
      expect(recovered.toLowerCase(), c.name).toBe(c.sender)
    }
  })

  it('holds sender witnesses that prove against the pre-state root (viem keccak)', () => {
    for (const c of cases) {
      const w = c.witness
      expect(keccak256(concat([w.accountsRoot, w.withdrawalsRoot])), c.name).toBe(c.preStateRoot)
      const s = w.sender!
      expect(viemComputeRoot(leafOf(s.owner, s.nonce, s.balancesRoot), BigInt(s.index), s.siblings)).toBe(
        w.accountsRoot,
      )
      const eth = `0x${w.senderEth!.amount.toString(16).padStart(64, '0')}` as Hex
      expect(viemComputeRoot(eth, 0n, w.senderEth!.siblings)).toBe(s.balancesRoot)
    }
  })

  it('needs the sequential format: a later witness differs from its pre-state proof when paths share nodes', () => {
    const c = cases[0]!
    const w = c.witness
    // Sender 1 and recipient 2 share the level-1 node, which the sender's update changed.
    expect(w.sender!.index).toBe(1)
    expect(w.recipient!.index).toBe(2)
    const pre = leafOf(w.recipient!.owner, w.recipient!.nonce, w.recipient!.balancesRoot)
    expect(viemComputeRoot(pre, 2n, w.recipient!.siblings)).not.toBe(w.accountsRoot)
  })

  it('builds the same cases every time (deterministic)', () => {
    expect(renderTxVectors(buildTxCases())).toBe(renderTxVectors(cases))
  })
})
