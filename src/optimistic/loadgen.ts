/**
 * Load generation: many accounts and wallet-like signed L2 transfers, signed fast (native secp256k1 when it
 * loads) so a benchmark measures the sequencer, not the signer. Shared by the bench and the crash tests.
 */
import { bytesToHex, keccak256, toBytes } from 'viem'
import { GAS } from '../core/constants.ts'
import { encodeRawTransaction, signingHashBytes } from '../core/l2tx.ts'
import { privateKeyToAddress, signHash } from '../core/signature.ts'
import { l2TokenAddress } from '../core/tokenAddress.ts'
import type { Address, Hex, L2Tx } from '../core/types.ts'

export type LoadAccount = { address: Address; privateKey: Hex }

/** Deterministic accounts: key i = keccak256("l2kit-load-" + i). */
export function loadAccounts(count: number, seed = 'l2kit-load-'): LoadAccount[] {
  return Array.from({ length: count }, (_, i) => {
    const privateKey = keccak256(toBytes(`${seed}${i}`))
    return { address: privateKeyToAddress(privateKey), privateKey }
  })
}

/** Fee fields a viem wallet would set against an l2kit node (base fee × 1.2, no tip). */
export function walletFees(baseFee: bigint): L2Tx['fees'] {
  return { type: 'eip1559', maxFeePerGas: (baseFee * 12n) / 10n, maxPriorityFeePerGas: 0n }
}

/** Signs an L2 transaction and returns its raw bytes as hex. */
export function signL2Tx(tx: Omit<L2Tx, 'signature'>, chainId: bigint, privateKey: Hex): Hex {
  const unsigned: L2Tx = { ...tx, signature: { r: 1n, s: 1n, yParity: 0 } }
  const signature = signHash(signingHashBytes(unsigned, chainId), privateKey)
  return bytesToHex(encodeRawTransaction({ ...unsigned, signature }, chainId))
}

/** Deterministic pseudo-random numbers (xorshift), so runs are comparable. */
export function rng(seed = 42): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 4294967296
  }
}

/**
 * `count` transfers among `accounts` (nonces tracked from `startNonces`), `tokenShare` of them ERC-20 transfers of
 * token 1, the rest ETH, with wallet-like amounts (a few significant digits) and wallet fee fields.
 */
export function makeTransfers(p: {
  accounts: LoadAccount[]
  count: number
  chainId: bigint
  baseFee: bigint
  tokenShare?: number
  nonces?: Map<string, bigint>
  seed?: number
}): Hex[] {
  const rand = rng(p.seed ?? 42)
  const nonces = p.nonces ?? new Map<string, bigint>()
  const fees = walletFees(p.baseFee)
  const out: Hex[] = []
  for (let i = 0; i < p.count; i++) {
    const from = p.accounts[i % p.accounts.length] as LoadAccount
    let to = p.accounts[Math.floor(rand() * p.accounts.length)] as LoadAccount
    if (to === from) to = p.accounts[(i + 1) % p.accounts.length] as LoadAccount
    const nonce = nonces.get(from.address) ?? 0n
    nonces.set(from.address, nonce + 1n)
    const token = rand() < (p.tokenShare ?? 0.3)
    // e.g. 0.0374 ETH or 12.5 tokens: what people send.
    const amount = BigInt(1 + Math.floor(rand() * 999)) * 10n ** BigInt(token ? 17 : 14)
    const op: L2Tx['op'] = token
      ? { kind: 'tokenTransfer', tokenIndex: 1, to: to.address, amount }
      : { kind: 'ethTransfer', to: to.address, amount }
    out.push(
      signL2Tx(
        { nonce, gasLimit: token ? GAS.tokenTransfer : GAS.ethTransfer, fees, op },
        p.chainId,
        from.privateKey,
      ),
    )
  }
  return out
}

export const L2_TOKEN_1: Address = l2TokenAddress(1)
