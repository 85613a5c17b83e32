import { encodeAbiParameters, hashTypedData, keccak256 as viemKeccak } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import { bytesToHex, hexToBytes } from '../../core/bytes.ts'
import { isL2kitError } from '../../core/errors.ts'
import { ledgerFixture } from './testing.ts'
import {
  decodeTx,
  decodeUtxoPos,
  depositTx,
  encodeTx,
  encodeUtxoPos,
  type PlasmaTx,
  signTx,
  txDigest,
  txFromJson,
  txHashOf,
  txToJson,
  txTypedData,
} from './tx.ts'

const TX_TUPLE = {
  type: 'tuple',
  components: [
    { name: 'inputs', type: 'uint256[]' },
    {
      name: 'outputs',
      type: 'tuple[]',
      components: [
        { name: 'owner', type: 'address' },
        { name: 'token', type: 'address' },
        { name: 'amount', type: 'uint256' },
      ],
    },
    { name: 'metadata', type: 'bytes32' },
  ],
} as const

const { domain, alice, bob } = ledgerFixture()
const tx: PlasmaTx = {
  inputs: [encodeUtxoPos({ blknum: 1000n, txIndex: 3, oIndex: 1 }), 2_000_000_000n],
  outputs: [
    { owner: bob.address, token: '0x0000000000000000000000000000000000000000', amount: 5n },
    { owner: alice.address, token: '0x00000000000000000000000000000000000000aa', amount: 10n ** 30n },
  ],
  metadata: `0x${'ab'.repeat(32)}`,
}

describe('Plasma transactions', () => {
  it('encodes exactly as abi.encode of the Transaction tuple, and decodes back', () => {
    const viem = encodeAbiParameters(
      [TX_TUPLE],
      [{ ...tx, inputs: [...tx.inputs], outputs: [...tx.outputs] }],
    )
    expect(bytesToHex(encodeTx(tx))).toBe(viem)
    expect(decodeTx(hexToBytes(viem))).toEqual(tx)
    expect(bytesToHex(txHashOf(tx))).toBe(viemKeccak(viem))
  })

  it('refuses non-canonical and truncated bytes', () => {
    const good = encodeTx(tx)
    const variants: Uint8Array[] = [
      good.subarray(0, good.length - 32),
      new Uint8Array([...good, ...new Uint8Array(32)]),
    ]
    const offset = good.slice()
    offset[31] = 0x40
    variants.push(offset)
    const dirtyAddress = good.slice()
    dirtyAddress[32 * 7] = 1 // high byte of the first output's owner word
    variants.push(dirtyAddress)
    for (const v of variants) {
      expect(() => decodeTx(v)).toThrow(expect.objectContaining({ code: 'PLASMA_MALFORMED_TX' }))
    }
  })

  it('enforces the structural rules', () => {
    const bad: PlasmaTx[] = [
      { ...tx, inputs: [] },
      { ...tx, inputs: [1n, 1n] },
      { ...tx, outputs: [] },
      { ...tx, outputs: [{ ...(tx.outputs[0] as PlasmaTx['outputs'][number]), amount: 0n }] },
      { ...tx, inputs: [1_000_000_000n + 7n] },
    ]
    for (const b of bad) {
      let error: unknown
      try {
        decodeTx(encodeTx(b))
      } catch (e) {
        error = e
      }
      expect(isL2kitError(error, 'PLASMA_MALFORMED_TX')).toBe(true)
    }
  })

  it('positions round-trip', () => {
    const p = { blknum: 123_000n, txIndex: 65_535, oIndex: 3 }
    expect(decodeUtxoPos(encodeUtxoPos(p))).toEqual(p)
  })

  it('signs the same EIP-712 digest a wallet signs with eth_signTypedData_v4', async () => {
    const typed = txTypedData(domain, tx)
    expect(bytesToHex(txDigest(domain, tx))).toBe(hashTypedData(typed))
    const account = privateKeyToAccount(alice.key)
    const walletSig = await account.signTypedData(typed)
    const [ourSig] = signTx(domain, tx, [alice.key])
    expect(ourSig).toBe(walletSig)
  })

  it('round-trips JSON and refuses junk', () => {
    expect(txFromJson(JSON.parse(JSON.stringify(txToJson(tx))))).toEqual(tx)
    for (const junk of [null, 1, {}, { inputs: ['x'], outputs: [] }, { ...txToJson(tx), metadata: '0x12' }]) {
      expect(() => txFromJson(junk)).toThrow(expect.objectContaining({ code: 'PLASMA_MALFORMED_TX' }))
    }
  })

  it('builds the deposit transaction with its block number as metadata', () => {
    const d = depositTx(1001n, {
      owner: alice.address,
      token: '0x0000000000000000000000000000000000000000',
      amount: 1n,
    })
    expect(decodeTx(encodeTx(d), 'deposit')).toEqual(d)
    expect(BigInt(d.metadata)).toBe(1001n)
  })
})
