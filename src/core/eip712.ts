/**
 * EIP-712 typed-data digests and the 65-byte `r ‖ s ‖ v` signatures contracts check with OpenZeppelin's ECDSA, shared
 * by every family that has wallets sign typed data (channel states, Plasma transactions). Pure.
 */
import { bytesToHex, concatBytes, hexToBytes } from './bytes.ts'
import { type ErrorCode, L2kitError } from './errors.ts'
import { keccak256 } from './hash.ts'
import { recoverAddressFromBytes, SECP256K1_HALF_N, SECP256K1_N, signHash } from './signature.ts'
import type { Address, Hex } from './types.ts'

const utf8 = (s: string) => new TextEncoder().encode(s)

/** keccak256 of a type string, e.g. `Output(address owner,address token,uint256 amount)`. */
export function typeHash(type: string): Uint8Array {
  return keccak256(utf8(type))
}

/** A value as one 32-byte ABI word (big-endian; the caller keeps it within 0 ≤ x < 2^256). */
export function abiWord(x: bigint): Uint8Array {
  const out = new Uint8Array(32)
  let v = x
  for (let i = 31; i >= 0 && v > 0n; i--) {
    out[i] = Number(v & 0xffn)
    v >>= 8n
  }
  return out
}

const DOMAIN_TYPEHASH = typeHash(
  'EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)',
)

/** What an EIP-712 domain is made of here (every l2kit contract uses name, version, chain id and its address). */
export type Eip712Domain = { name: string; version: string; chainId: bigint; verifyingContract: Address }

const separators = new Map<string, Uint8Array>()

/** The domain separator, cached per (name, version, chain, contract). */
export function domainSeparatorOf(domain: Eip712Domain): Uint8Array {
  const key = `${domain.name}\n${domain.version}\n${domain.chainId}\n${domain.verifyingContract.toLowerCase()}`
  let s = separators.get(key)
  if (s === undefined) {
    s = keccak256(
      concatBytes(
        DOMAIN_TYPEHASH,
        keccak256(utf8(domain.name)),
        keccak256(utf8(domain.version)),
        abiWord(domain.chainId),
        abiWord(BigInt(domain.verifyingContract)),
      ),
    )
    separators.set(key, s)
  }
  return s
}

/** `keccak256(0x1901 ‖ domainSeparator ‖ structHash)`: what the signer signs. */
export function typedDataDigest(domain: Eip712Domain, structHash: Uint8Array): Uint8Array {
  return keccak256(concatBytes(new Uint8Array([0x19, 0x01]), domainSeparatorOf(domain), structHash))
}

/** A 65-byte `r ‖ s ‖ v` signature (v 27/28, low s) over a digest. */
export function signDigest65(digest: Uint8Array, privateKey: Uint8Array | Hex): Hex {
  const sig = signHash(digest, privateKey)
  return bytesToHex(concatBytes(abiWord(sig.r), abiWord(sig.s), new Uint8Array([27 + sig.yParity])))
}

/**
 * The address (lowercase) that signed `digest` with a 65-byte signature, or an L2kitError with `code` for one that
 * OpenZeppelin's ECDSA would reject (wrong length, r or s out of range, high s, v not 27/28, unrecoverable).
 */
export function signerOf65(digest: Uint8Array, signature: Hex | Uint8Array, code: ErrorCode): Address {
  const bad = (why: string): never => {
    throw new L2kitError(code, `bad signature: ${why}`)
  }
  let b: Uint8Array
  if (typeof signature === 'string') {
    if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) bad('expected 65 bytes as 0x-prefixed hex')
    b = hexToBytes(signature, code)
  } else {
    if (signature.length !== 65) bad(`expected 65 bytes, got ${signature.length}`)
    b = signature
  }
  const r = BigInt(bytesToHex(b.subarray(0, 32)))
  const s = BigInt(bytesToHex(b.subarray(32, 64)))
  const v = b[64] as number
  if (r === 0n || r >= SECP256K1_N) bad('r out of range')
  if (s === 0n || s > SECP256K1_HALF_N) bad('s is zero or in the upper half of the curve order (EIP-2)')
  if (v !== 27 && v !== 28) bad(`v must be 27 or 28, got ${v}`)
  try {
    return recoverAddressFromBytes(digest, b.subarray(0, 64), v === 28 ? 1 : 0)
  } catch {
    return bad('it matches no public key')
  }
}
