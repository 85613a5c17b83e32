/**
 * Plasma transactions as PlasmaFramework sees them (docs/plasma.md, "Identities, transactions, signatures"): output
 * positions, the canonical ABI bytes and their hash, the EIP-712 digest a wallet signs, signatures per input, leaves
 * and output ids. Pure. The bytes are encoded and decoded by hand (the operator hashes every transaction it takes;
 * viem's generic coder is ~10× slower); tx.test.ts checks them against viem's `encodeAbiParameters`.
 */
import { bytesToBigint, bytesToHex, concatBytes, hexToBytes } from '../../core/bytes.ts'
import {
  abiWord,
  type Eip712Domain,
  signDigest65,
  signerOf65,
  typedDataDigest,
  typeHash,
} from '../../core/eip712.ts'
import { L2kitError } from '../../core/errors.ts'
import { keccak256 } from '../../core/hash.ts'
import type { Address, Hex } from '../../core/types.ts'
import { PlasmaErrorCode } from './errors.ts'

export const MAX_INPUTS = 4
export const MAX_OUTPUTS = 4
/** Operator blocks are numbered 1000, 2000, …; deposit blocks take the numbers between. */
export const CHILD_BLOCK_INTERVAL = 1000n
const BLOCK_OFFSET = 1_000_000_000n
const TX_OFFSET = 10_000n
/** The zero address: the token id of ETH. */
export const ETH_TOKEN: Address = '0x0000000000000000000000000000000000000000'

export type PlasmaOutput = { owner: Address; token: Address; amount: bigint }
export type PlasmaTx = { inputs: readonly bigint[]; outputs: readonly PlasmaOutput[]; metadata: Hex }
/** A transaction with one 65-byte signature per input, in input order. */
export type SignedPlasmaTx = { tx: PlasmaTx; sigs: readonly Hex[] }
export type OutputPosition = { blknum: bigint; txIndex: number; oIndex: number }

/** The EIP-712 domain of one PlasmaFramework. */
export type PlasmaDomain = { chainId: bigint; framework: Address }

const malformed = (why: string, details: Record<string, unknown> = {}): never => {
  throw new L2kitError(PlasmaErrorCode.malformedTx, `malformed Plasma transaction: ${why}`, { details })
}

/** `blknum · 10^9 + txIndex · 10^4 + oIndex`. */
export function encodeUtxoPos(p: OutputPosition): bigint {
  return p.blknum * BLOCK_OFFSET + BigInt(p.txIndex) * TX_OFFSET + BigInt(p.oIndex)
}

export function decodeUtxoPos(pos: bigint): OutputPosition {
  return {
    blknum: pos / BLOCK_OFFSET,
    txIndex: Number((pos % BLOCK_OFFSET) / TX_OFFSET),
    oIndex: Number(pos % TX_OFFSET),
  }
}

export function isDepositBlock(blknum: bigint): boolean {
  return blknum % CHILD_BLOCK_INTERVAL !== 0n
}

/** The deposit transaction PlasmaFramework builds for a deposit into block `blknum`. */
export function depositTx(blknum: bigint, output: PlasmaOutput): PlasmaTx {
  return { inputs: [], outputs: [output], metadata: bytesToHex(abiWord(blknum)) }
}

/** Why a transaction breaks the structural rules (counts, distinct inputs, owners, amounts), or undefined. */
export function structureProblem(
  tx: PlasmaTx,
  kind: 'transfer' | 'deposit' = 'transfer',
): string | undefined {
  if (kind === 'deposit') {
    if (tx.inputs.length !== 0 || tx.outputs.length !== 1) return 'a deposit has no inputs and one output'
  } else {
    if (tx.inputs.length < 1 || tx.inputs.length > MAX_INPUTS)
      return `a transfer has 1 to ${MAX_INPUTS} inputs`
    if (new Set(tx.inputs).size !== tx.inputs.length) return 'inputs must be distinct'
    for (const pos of tx.inputs) {
      if (pos <= 0n || pos >= 1n << 256n) return 'an input position must be a positive uint256'
      const p = decodeUtxoPos(pos)
      if (p.oIndex >= MAX_OUTPUTS) return `input ${pos} names output ${p.oIndex}; a transaction has at most 4`
      if (p.blknum === 0n) return `input ${pos} names block 0`
    }
  }
  if (tx.outputs.length < 1 || tx.outputs.length > MAX_OUTPUTS)
    return `a transaction has 1 to ${MAX_OUTPUTS} outputs`
  for (const o of tx.outputs) {
    if (!/^0x[0-9a-fA-F]{40}$/.test(o.owner) || BigInt(o.owner) === 0n)
      return 'an output owner must be an address ≠ 0'
    if (!/^0x[0-9a-fA-F]{40}$/.test(o.token)) return 'an output token must be an address (0x0 for ETH)'
    if (typeof o.amount !== 'bigint' || o.amount <= 0n || o.amount >= 1n << 256n)
      return 'an output amount must be > 0 and fit a uint256'
  }
  if (!/^0x[0-9a-fA-F]{64}$/.test(tx.metadata)) return 'metadata must be 32 bytes of hex'
  return undefined
}

/** `abi.encode(tx)` of the `Transaction` tuple, canonical. */
export function encodeTx(tx: PlasmaTx): Uint8Array {
  const nIn = tx.inputs.length
  const nOut = tx.outputs.length
  const out = new Uint8Array(32 * (4 + 1 + nIn + 1 + 3 * nOut))
  out[31] = 0x20
  out.set(abiWord(0x60n), 32)
  out.set(abiWord(BigInt(0x60 + 32 + 32 * nIn)), 64)
  out.set(hexToBytes(tx.metadata, PlasmaErrorCode.malformedTx), 96)
  let at = 128
  out.set(abiWord(BigInt(nIn)), at)
  at += 32
  for (const pos of tx.inputs) {
    out.set(abiWord(pos), at)
    at += 32
  }
  out.set(abiWord(BigInt(nOut)), at)
  at += 32
  for (const o of tx.outputs) {
    out.set(hexToBytes(o.owner, PlasmaErrorCode.malformedTx), at + 12)
    out.set(hexToBytes(o.token, PlasmaErrorCode.malformedTx), at + 44)
    out.set(abiWord(o.amount), at + 64)
    at += 96
  }
  return out
}

const wordAt = (b: Uint8Array, at: number) => bytesToBigint(b.subarray(at, at + 32))
const addressAt = (b: Uint8Array, at: number): Address => {
  for (let i = at; i < at + 12; i++) if (b[i] !== 0) malformed('an address word has non-zero high bytes')
  return bytesToHex(b.subarray(at + 12, at + 32)) as Address
}

/**
 * Decodes canonical transaction bytes (what `encodeTx` makes, and nothing else: offsets, lengths and padding must be
 * exactly those) and checks the structural rules. Throws `PLASMA_MALFORMED_TX`.
 */
export function decodeTx(bytes: Uint8Array, kind: 'transfer' | 'deposit' = 'transfer'): PlasmaTx {
  if (bytes.length < 32 * 7 || bytes.length % 32 !== 0)
    malformed(`${bytes.length} bytes is not a transaction`)
  if (wordAt(bytes, 0) !== 0x20n || wordAt(bytes, 32) !== 0x60n)
    malformed('unexpected tuple or inputs offset')
  const nIn = wordAt(bytes, 128)
  if (nIn > BigInt(MAX_INPUTS)) malformed(`${nIn} inputs (at most ${MAX_INPUTS})`)
  const n = Number(nIn)
  if (wordAt(bytes, 64) !== BigInt(0x60 + 32 + 32 * n)) malformed('unexpected outputs offset')
  const outAt = 128 + 32 + 32 * n
  if (bytes.length < outAt + 32) malformed('truncated')
  const nOut = wordAt(bytes, outAt)
  if (nOut > BigInt(MAX_OUTPUTS)) malformed(`${nOut} outputs (at most ${MAX_OUTPUTS})`)
  const m = Number(nOut)
  if (bytes.length !== outAt + 32 + 96 * m) malformed('length does not match the input and output counts')
  const inputs: bigint[] = []
  for (let i = 0; i < n; i++) inputs.push(wordAt(bytes, 160 + 32 * i))
  const outputs: PlasmaOutput[] = []
  for (let j = 0; j < m; j++) {
    const at = outAt + 32 + 96 * j
    outputs.push({
      owner: addressAt(bytes, at),
      token: addressAt(bytes, at + 32),
      amount: wordAt(bytes, at + 64),
    })
  }
  const tx: PlasmaTx = { inputs, outputs, metadata: bytesToHex(bytes.subarray(96, 128)) }
  const problem = structureProblem(tx, kind)
  if (problem !== undefined) malformed(problem)
  return tx
}

export function txHashOf(tx: PlasmaTx): Uint8Array {
  return keccak256(encodeTx(tx))
}

/** `keccak256(abi.encode(txHash, oIndex))`: what is exited, at most once, wherever the transaction was included. */
export function outputIdOf(txHash: Uint8Array, oIndex: number): Hex {
  return bytesToHex(keccak256(concatBytes(txHash, abiWord(BigInt(oIndex)))))
}

/** `keccak256(txHash ‖ keccak256(sigs))`: the block tree's leaf of a signed transaction. */
export function leafOf(txHash: Uint8Array, sigs: readonly Hex[]): Uint8Array {
  const sigBytes = concatBytes(...sigs.map((s) => hexToBytes(s, PlasmaErrorCode.badSignature)))
  return keccak256(concatBytes(txHash, keccak256(sigBytes)))
}

/** The concatenated signatures as the contract takes them (`bytes sigs`). */
export function sigsBytes(sigs: readonly Hex[]): Hex {
  return bytesToHex(concatBytes(...sigs.map((s) => hexToBytes(s, PlasmaErrorCode.badSignature))))
}

/** Splits a contract `bytes sigs` into 65-byte signatures. */
export function splitSigs(sigs: Hex): Hex[] {
  const b = hexToBytes(sigs, PlasmaErrorCode.badSignature)
  if (b.length % 65 !== 0) malformed('signatures are 65 bytes each')
  const out: Hex[] = []
  for (let i = 0; i < b.length; i += 65) out.push(bytesToHex(b.subarray(i, i + 65)))
  return out
}

const OUTPUT_TYPEHASH = typeHash('Output(address owner,address token,uint256 amount)')
const TX_TYPEHASH = typeHash(
  'Transaction(uint256[] inputs,Output[] outputs,bytes32 metadata)Output(address owner,address token,uint256 amount)',
)

export function plasmaEip712Domain(domain: PlasmaDomain): Eip712Domain {
  return { name: 'l2kit Plasma', version: '1', chainId: domain.chainId, verifyingContract: domain.framework }
}

/** The EIP-712 digest every input owner signs. */
export function txDigest(domain: PlasmaDomain, tx: PlasmaTx): Uint8Array {
  const inputsHash = keccak256(concatBytes(...tx.inputs.map(abiWord)))
  const outputsHash = keccak256(
    concatBytes(
      ...tx.outputs.map((o) =>
        keccak256(
          concatBytes(OUTPUT_TYPEHASH, abiWord(BigInt(o.owner)), abiWord(BigInt(o.token)), abiWord(o.amount)),
        ),
      ),
    ),
  )
  const structHash = keccak256(
    concatBytes(TX_TYPEHASH, inputsHash, outputsHash, hexToBytes(tx.metadata, PlasmaErrorCode.malformedTx)),
  )
  return typedDataDigest(plasmaEip712Domain(domain), structHash)
}

/**
 * The transaction as EIP-712 typed data for a wallet (`eth_signTypedData_v4`, viem's `signTypedData`): the same
 * digest as `txDigest`.
 */
export function txTypedData(domain: PlasmaDomain, tx: PlasmaTx) {
  return {
    domain: {
      name: 'l2kit Plasma',
      version: '1',
      chainId: domain.chainId,
      verifyingContract: domain.framework,
    },
    types: {
      Output: [
        { name: 'owner', type: 'address' },
        { name: 'token', type: 'address' },
        { name: 'amount', type: 'uint256' },
      ],
      Transaction: [
        { name: 'inputs', type: 'uint256[]' },
        { name: 'outputs', type: 'Output[]' },
        { name: 'metadata', type: 'bytes32' },
      ],
    },
    primaryType: 'Transaction',
    message: { inputs: [...tx.inputs], outputs: tx.outputs.map((o) => ({ ...o })), metadata: tx.metadata },
  } as const
}

/** Signs every input with the key that owns it (one key may own several inputs). */
export function signTx(domain: PlasmaDomain, tx: PlasmaTx, keys: readonly (Uint8Array | Hex)[]): Hex[] {
  const digest = txDigest(domain, tx)
  return keys.map((k) => signDigest65(digest, k))
}

/** The address that signed input `i`'s signature over `digest`; throws `PLASMA_BAD_SIGNATURE`. */
export function signerOfInput(digest: Uint8Array, sig: Hex): Address {
  return signerOf65(digest, sig, PlasmaErrorCode.badSignature)
}

/** A transaction as JSON (amounts and positions as decimal strings), what the operator's RPC takes and serves. */
export type PlasmaTxJson = {
  inputs: string[]
  outputs: { owner: string; token: string; amount: string }[]
  metadata: string
}

export function txToJson(tx: PlasmaTx): PlasmaTxJson {
  return {
    inputs: tx.inputs.map(String),
    outputs: tx.outputs.map((o) => ({ owner: o.owner, token: o.token, amount: o.amount.toString() })),
    metadata: tx.metadata,
  }
}

const decimal = (v: unknown, what: string): bigint => {
  if (typeof v === 'string' && /^(0|[1-9][0-9]{0,77})$/.test(v)) return BigInt(v)
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v)
  return malformed(`${what} must be a non-negative decimal integer`)
}

/** Parses and checks a transaction from JSON; throws `PLASMA_MALFORMED_TX` on anything off. */
export function txFromJson(value: unknown): PlasmaTx {
  if (typeof value !== 'object' || value === null) return malformed('expected an object')
  const v = value as Record<string, unknown>
  if (!Array.isArray(v.inputs) || !Array.isArray(v.outputs))
    return malformed('inputs and outputs must be arrays')
  if (v.inputs.length > MAX_INPUTS || v.outputs.length > MAX_OUTPUTS)
    return malformed('too many inputs or outputs')
  const tx: PlasmaTx = {
    inputs: v.inputs.map((x, i) => decimal(x, `inputs[${i}]`)),
    outputs: v.outputs.map((o, i) => {
      if (typeof o !== 'object' || o === null) return malformed(`outputs[${i}] must be an object`)
      const r = o as Record<string, unknown>
      if (typeof r.owner !== 'string' || typeof r.token !== 'string')
        return malformed(`outputs[${i}] needs owner and token addresses`)
      return {
        owner: r.owner.toLowerCase() as Address,
        token: r.token.toLowerCase() as Address,
        amount: decimal(r.amount, `outputs[${i}].amount`),
      }
    }),
    metadata: (typeof v.metadata === 'string' ? v.metadata.toLowerCase() : '') as Hex,
  }
  const problem = structureProblem(tx)
  if (problem !== undefined) malformed(problem)
  return tx
}
