// Worker thread of RecoveryPool: recovers secp256k1 signers in batches. Plain JS so it runs without a TS loader.
// Request: { id, hashes: Uint8Array(32n), sigs: Uint8Array(64n), parities: Uint8Array(n) }
// Reply:   { id, addresses: Uint8Array(20n), ok: Uint8Array(n) } (ok[i] = 0 when recovery failed)
import { createRequire } from 'node:module'
import { parentPort } from 'node:worker_threads'
import { keccak_256 } from '@noble/hashes/sha3.js'

const require = createRequire(import.meta.url)
let recover
try {
  const native = require('secp256k1/bindings')
  recover = (sig, recid, hash) => native.ecdsaRecover(sig, recid, hash, false)
} catch {
  const { secp256k1 } = await import('@noble/curves/secp256k1.js')
  recover = (sig, recid, hash) => {
    const s = secp256k1.Signature.fromBytes(sig, 'compact').addRecoveryBit(recid)
    return s.recoverPublicKey(hash).toBytes(false)
  }
}

parentPort.on('message', ({ id, hashes, sigs, parities }) => {
  const n = parities.length
  const addresses = new Uint8Array(20 * n)
  const ok = new Uint8Array(n)
  for (let i = 0; i < n; i++) {
    try {
      const pub = recover(
        sigs.subarray(64 * i, 64 * i + 64),
        parities[i],
        hashes.subarray(32 * i, 32 * i + 32),
      )
      addresses.set(keccak_256(pub.subarray(1)).subarray(12), 20 * i)
      ok[i] = 1
    } catch {
      ok[i] = 0
    }
  }
  parentPort.postMessage({ id, addresses, ok }, [addresses.buffer, ok.buffer])
})
