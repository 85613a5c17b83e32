import { bytesToHex, type Hex, hexToBytes } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isL2kitError } from '../core/errors.ts'
import { ANVIL_DEV_ACCOUNTS, type AnvilInstance, startAnvil } from './anvil.ts'
import { blobsToData, blobsToSidecars, dataToBlobs } from './blobs.ts'
import { createL1Clients, type L1ClientsWithWallet } from './clients.ts'
import { getKzg, kzgSetupMs } from './kzg.ts'
import { readBlobs } from './readBlobs.ts'
import { TxManager } from './txManager.ts'

let anvil: AnvilInstance
let c: L1ClientsWithWallet
let tm: TxManager
const inbox = privateKeyToAccount(generatePrivateKey()).address

function payload(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length)
  let x = seed
  for (let i = 0; i < length; i++) {
    x = (x * 1664525 + 1013904223) >>> 0
    out[i] = x >>> 24
  }
  return out
}
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b))

beforeAll(async () => {
  anvil = await startAnvil()
  c = await createL1Clients({
    rpcUrl: anvil.rpcUrl,
    chainId: anvil.chainId,
    privateKey: ANVIL_DEV_ACCOUNTS[0]!.privateKey,
  })
  tm = new TxManager({ pollingIntervalMs: 10 }, { publicClient: c.publicClient, account: c.account })
  getKzg()
  await anvil.kzgReady
})
afterAll(async () => {
  await anvil?.stop()
})

describe('batch data on L1 (e2e against anvil)', () => {
  it('posts 200 KB as 2 blobs and reads them back byte-exact (anvil RPC and beacon API)', async () => {
    const data = payload(200 * 1024, 42)
    const blobs = dataToBlobs(data)
    expect(blobs).toHaveLength(2)
    const sidecarStart = performance.now()
    const sidecars = blobsToSidecars(blobs)
    const sidecarMs = performance.now() - sidecarStart
    const sendStart = performance.now()
    const result = await tm.send({ to: inbox, sidecars, label: 'batch' })
    const sendMs = performance.now() - sendStart
    console.log(
      `kzg setup ${kzgSetupMs()?.toFixed(0)} ms; 2 sidecars ${sidecarMs.toFixed(0)} ms; ` +
        `blob tx send→receipt ${sendMs.toFixed(0)} ms; gas ${result.gasUsed}, blob gas ${result.blobGasUsed}, ` +
        `fee ${result.l1FeeWei} wei`,
    )
    expect(result.receipt.status).toBe('success')
    expect(result.blobGasUsed).toBe(2n * 131_072n)

    const tx = await c.publicClient.getTransaction({ hash: result.txHash })
    expect(tx.type).toBe('eip4844')
    expect(tx.blobVersionedHashes).toEqual(sidecars.versionedHashes)

    const viaRpc = await readBlobs(c.publicClient, {
      txHash: result.txHash,
      versionedHashes: tx.blobVersionedHashes!,
    })
    expect(same(blobsToData(viaRpc), data)).toBe(true)

    // Anvil also serves the beacon API (`/eth/v1/beacon/blobs/{block}`) on its RPC port.
    const viaBeacon = await readBlobs(c.publicClient, {
      txHash: result.txHash,
      versionedHashes: [...tx.blobVersionedHashes!].reverse(),
      beaconUrl: anvil.rpcUrl,
      blockNumber: result.receipt.blockNumber,
    })
    expect(same(viaBeacon[0]!, viaRpc[1]!)).toBe(true)
    expect(same(blobsToData([...viaBeacon].reverse()), data)).toBe(true)
  })

  it('refuses to return a blob that does not match the requested versioned hash', async () => {
    const blobs = dataToBlobs(payload(1000, 7))
    const result = await tm.send({ to: inbox, blobs })
    const other = blobsToSidecars(dataToBlobs(payload(1000, 8))).versionedHashes[0]!
    const error = await readBlobs(c.publicClient, { txHash: result.txHash, versionedHashes: [other] }).catch(
      (e: unknown) => e,
    )
    expect(isL2kitError(error, 'BLOB_NOT_FOUND')).toBe(true)
  })

  it('posts 100 KB as calldata and reads it back byte-exact from the transaction', async () => {
    const data = payload(100 * 1024, 99)
    const result = await tm.send({ to: inbox, data: bytesToHex(data), label: 'batch (calldata)' })
    expect(result.receipt.status).toBe('success')
    const tx = await c.publicClient.getTransaction({ hash: result.txHash })
    expect(same(hexToBytes(tx.input as Hex), data)).toBe(true)
    // Prague's calldata floor (EIP-7623): 21,000 + 10 × tokens, where a non-zero byte is 4 tokens.
    const zeros = data.filter((b) => b === 0).length
    expect(result.gasUsed).toBe(21_000n + 10n * BigInt(zeros + 4 * (data.length - zeros)))
    console.log(`100 KB calldata: gas ${result.gasUsed}, fee ${result.l1FeeWei} wei`)
  })
})
