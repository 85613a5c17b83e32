/**
 * The block circuit against the TypeScript model: blocks the model builds satisfy the circuit, and each kind of
 * invalid operation makes witness generation fail at the constraint meant to catch it (checked by source line).
 */
import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { BLOCK_CIRCUIT_SOURCE, type CompiledCircuit, compileBlockCircuit } from './circuit.ts'
import { loadZkCrypto, zkSign } from './protocol/crypto.ts'
import { blockCommitment, nextPriorityHash, OpType, packAmount, signedMessage } from './protocol/ops.ts'
import { type BlockWitness, buildBlock, ZkState } from './protocol/state.ts'
import { changePubKeyRequest, depositRequest, fullExitRequest, signTx, testUser } from './testing/fixtures.ts'
import { calculateWitness } from './witness.ts'

const CHUNKS = 3
const DEPTH = 4
const cacheDir = process.env.L2KIT_ZK_CACHE ?? join(homedir(), '.cache', 'l2kit', 'zk')

let circuit: CompiledCircuit
const source = readFileSync(BLOCK_CIRCUIT_SOURCE, 'utf8').split('\n')

/** The 1-based line of the constraint `text` in block.circom (failing witnesses name it). */
function lineOf(text: string): number {
  const index = source.findIndex((line) => line.includes(text))
  if (index < 0) throw new Error(`no line contains ${text}`)
  return index + 1
}

async function expectFailureAt(
  input: Record<string, unknown>,
  template: string,
  line: number,
): Promise<void> {
  const error = await calculateWitness(circuit.wasmPath, input).then(
    () => undefined,
    (e: unknown) => e as Error & { code?: string; details?: { circom?: string } },
  )
  expect(error, 'the witness must fail').toBeDefined()
  expect(error?.code).toBe('ZK_WITNESS_FAILED')
  expect(error?.details?.circom ?? '').toMatch(new RegExp(`${template}_\\d+ line: ${line}\\b`))
}

beforeAll(async () => {
  await loadZkCrypto()
  circuit = await compileBlockCircuit({ chunks: CHUNKS, depth: DEPTH }, { cacheDir })
}, 300_000)

const alice = () => testUser('alice')
const bob = () => testUser('bob')
const carol = () => testUser('carol')

/** Alice (account 0, 1000) and Bob (account 1, 5) with keys, then Alice pays Bob 300. */
function firstBlock(state: ZkState): BlockWitness {
  const a = alice()
  const b = bob()
  return buildBlock(
    state,
    [
      {
        op: { type: OpType.deposit, account: 0, token: 0, amount: 1000n, owner: a.address, pkHash: a.pkHash },
        request: depositRequest(a.address, 0, 1000n, a.pkHash),
      },
      {
        op: { type: OpType.deposit, account: 1, token: 0, amount: 5n, owner: b.address, pkHash: b.pkHash },
        request: depositRequest(b.address, 0, 5n, b.pkHash),
      },
      { op: signTx(a, { type: OpType.transfer, from: 0, to: 1, token: 0, amount: 300n, nonce: 0 }) },
    ],
    CHUNKS,
    0n,
  )
}

describe('block circuit', () => {
  it('has one public input and the measured size', () => {
    expect(circuit.constraints).toBeGreaterThan(100_000)
    expect(circuit.constraints).toBeLessThan(131_072) // fits a 2^17 setup
  })

  it('accepts every kind of valid operation the model builds', async () => {
    const state = new ZkState(DEPTH)
    const b1 = firstBlock(state)
    expect(b1.commitment).toBe(blockCommitment(b1.oldRoot, b1.newRoot, 0n, b1.pAfter, b1.pubdata))
    await calculateWitness(circuit.wasmPath, b1.input)
    const b2 = buildBlock(
      state,
      [
        {
          op: signTx(bob(), {
            type: OpType.withdraw,
            from: 1,
            token: 0,
            amount: 100n,
            nonce: 0,
            toAddress: bob().address,
          }),
        },
      ],
      CHUNKS,
      b1.pAfter,
    )
    await calculateWitness(circuit.wasmPath, b2.input)
    const b3 = buildBlock(
      state,
      [
        {
          op: signTx(alice(), {
            type: OpType.transferToNew,
            from: 0,
            to: 2,
            token: 0,
            amount: 50n,
            nonce: 1,
            toAddress: carol().address,
          }),
        },
      ],
      CHUNKS,
      b2.pAfter,
    )
    await calculateWitness(circuit.wasmPath, b3.input)
    // full exit by the owner (whole balance), full exit by a stranger (nothing), change of key by the owner
    const requests = [
      fullExitRequest(bob().address, 1, 0),
      fullExitRequest(carol().address, 0, 0),
      changePubKeyRequest(carol().address, 2, carol().pkHash),
    ] as const
    const b4 = buildBlock(
      state,
      [
        {
          op: { type: OpType.fullExit, account: 1, token: 0, requester: bob().address, amount: 0n },
          request: requests[0],
        },
        {
          op: { type: OpType.fullExit, account: 0, token: 0, requester: carol().address, amount: 0n },
          request: requests[1],
        },
        {
          op: { type: OpType.changePubKey, account: 2, requester: carol().address, pkHash: carol().pkHash },
          request: requests[2],
        },
      ],
      CHUNKS,
      b3.pAfter,
    )
    expect(state.account(1).balances[0]).toBe(0n)
    expect(state.account(0).balances[0]).toBe(650n)
    expect(state.account(2).pkHash).toBe(carol().pkHash)
    let p = b3.pAfter
    for (const r of requests) p = nextPriorityHash(p, r)
    expect(b4.pAfter).toBe(p)
    await calculateWitness(circuit.wasmPath, b4.input)
    // an empty block (all NOOPs)
    await calculateWitness(circuit.wasmPath, buildBlock(state, [], CHUNKS, b4.pAfter).input)
  }, 60_000)

  it('rejects a bad signature', async () => {
    const block = firstBlock(new ZkState(DEPTH))
    const input = structuredClone(block.input) as { S: bigint[] }
    input.S[2] = (input.S[2] as bigint) + 1n
    await expectFailureAt(input, 'Slot', lineOf('sig.M <== msg.out;'))
  })

  it('rejects a signature for another nonce', async () => {
    const block = firstBlock(new ZkState(DEPTH))
    const input = structuredClone(block.input) as { R8x: bigint[]; R8y: bigint[]; S: bigint[] }
    const sig = zkSign(
      alice().privateKey,
      signedMessage({ type: OpType.transfer, from: 0, to: 1, token: 0, amount: 300n, nonce: 1 }),
    )
    input.R8x[2] = sig.r8x
    input.R8y[2] = sig.r8y
    input.S[2] = sig.s
    await expectFailureAt(input, 'Slot', lineOf('sig.M <== msg.out;'))
  })

  it('rejects spending more than the balance even when signed', async () => {
    const block = firstBlock(new ZkState(DEPTH))
    const input = structuredClone(block.input) as {
      chunk: bigint[]
      amount: bigint[]
      R8x: bigint[]
      R8y: bigint[]
      S: bigint[]
    }
    const amount = 2000n // Alice has 1000
    const op = { type: OpType.transfer, from: 0, to: 1, token: 0, amount, nonce: 0 } as const
    const sig = zkSign(alice().privateKey, signedMessage(op))
    input.chunk[2] = (2n << 77n) | (0n << 61n) | (1n << 40n) | (packAmount(amount) as bigint)
    input.amount[2] = amount
    input.R8x[2] = sig.r8x
    input.R8y[2] = sig.r8y
    input.S[2] = sig.s
    await expectFailureAt(input, 'Slot', lineOf('aNewSelBits.in <== aNewSel;'))
  })

  it("rejects an amount that is not the chunk's packed amount", async () => {
    const block = firstBlock(new ZkState(DEPTH))
    const input = structuredClone(block.input) as { amount: bigint[] }
    input.amount[2] = 301n
    await expectFailureAt(input, 'Slot', lineOf('fMove * (amount - unpacked) === 0;'))
  })

  it('rejects a token id outside the 4 slots', async () => {
    const block = firstBlock(new ZkState(DEPTH))
    const input = structuredClone(block.input) as { chunk: bigint[] }
    input.chunk[0] = (input.chunk[0] as bigint) | (4n << 56n)
    await expectFailureAt(input, 'Slot', lineOf('isOp * (cb.out[58] + cb.out[59] + cb.out[60]) === 0;'))
  })

  it('rejects a NOOP chunk that is not all zeros', async () => {
    const state = new ZkState(DEPTH)
    const block = buildBlock(state, [], CHUNKS, 0n)
    const input = structuredClone(block.input) as { chunk: bigint[] }
    input.chunk[1] = 5n
    await expectFailureAt(input, 'Slot', lineOf('fNoop * chunk === 0;'))
  })

  it('rejects a deposit into an account another owner holds', async () => {
    const state = new ZkState(DEPTH)
    const b1 = firstBlock(state)
    const a = alice()
    const block = buildBlock(
      state,
      [
        {
          op: { type: OpType.deposit, account: 0, token: 0, amount: 7n, owner: a.address, pkHash: 0n },
          request: depositRequest(a.address, 0, 7n),
        },
      ],
      CHUNKS,
      b1.pAfter,
    )
    const input = structuredClone(block.input) as { addr: bigint[] }
    input.addr[0] = bob().address
    await expectFailureAt(input, 'Slot', lineOf('depNotEmpty * (aOwner - addr) === 0;'))
  })

  it('rejects a proof input for other data and a wrong old root', async () => {
    const block = firstBlock(new ZkState(DEPTH))
    const otherData = { ...block.input, commitment: block.commitment + 1n }
    await expectFailureAt(otherData, 'Block', lineOf('commitment === c;'))
    const wrongRoot = { ...block.input, oldRoot: 12345n }
    await expectFailureAt(wrongRoot, 'Slot', lineOf('aOldRoot.root === rootIn;'))
  })

  it('rejects an operation whose address chunks run past the block', async () => {
    const state = new ZkState(DEPTH)
    const b1 = firstBlock(state)
    const block = buildBlock(state, [], CHUNKS, b1.pAfter)
    const input = structuredClone(block.input) as { chunk: bigint[] }
    // a WITHDRAW start in the last chunk (its address would need 2 more)
    input.chunk[2] = 4n << 77n
    await expect(calculateWitness(circuit.wasmPath, input)).rejects.toMatchObject({
      code: 'ZK_WITNESS_FAILED',
    })
  })
})
