/**
 * What the ZK actions share: the client shapes they take, the L2 key type, calls to the node's `zk_*` methods with
 * its typed refusals turned back into L2kitErrors, and the small checks every action runs before it sends anything.
 * Internal to `src/sdk/zk/` except for the exported types (re-exported by index.ts).
 */
import { type Address, getAddress, type Hex, isAddress, parseEventLogs, type TransactionReceipt } from 'viem'
import { type ErrorCode, L2kitError } from '../../core/errors.ts'
import type { ZkPrivateKey, ZkPublicKey } from '../../zk/protocol/crypto.ts'
import '../../zk/protocol/errors.ts'
import { zkRollupAbi } from '../../generated/contracts.ts'
import { MAX_ACCOUNT_INDEX, MAX_AMOUNT, MAX_NONCE, TOKENS } from '../../zk/protocol/ops.ts'
import type { AnyPublicClient, AnyWalletClient } from '../types.ts'

/** Anything with an EIP-1193 `request` pointed at a ZK node: a viem client (`http(nodeUrl)`), a provider, a fake. */
export type ZkNodeClient = { request(args: { method: string; params?: unknown }): Promise<unknown> }

/** The L1 clients an action that sends L1 transactions takes. */
export type ZkL1Clients = { walletClient: AnyWalletClient; publicClient: AnyPublicClient }

/**
 * An L2 key: the EdDSA private key (32 bytes, never leaves the process), its BabyJubjub public key and
 * `pkHash = H(Ax, Ay)` (what the account leaf stores and what L1 requests carry).
 */
export type ZkKey = {
  readonly privateKey: ZkPrivateKey
  readonly pubKey: ZkPublicKey
  readonly pkHash: bigint
}

/** An account as the node reports it (its soft state: every accepted transaction applied). */
export type ZkAccount = {
  index: number
  /** the L1 address that owns the account; null for an empty (unused) index */
  owner: Address | null
  /** `H(Ax, Ay)` of the registered L2 key, 0n if none */
  pkHash: bigint
  nonce: number
  /** per token id (0 = ETH), in L2 units */
  balances: bigint[]
  /** balances as of the last verified block, when the node reports them */
  verifiedBalances: bigint[] | null
}

/** Where a ZK transaction is: accepted, in a sealed block, committed on L1, or proven on L1 (final). */
export type ZkTxStatus = 'soft' | 'sealed' | 'committed' | 'verified'

// ---------------------------------------------------------------------------------------------------- the node

/**
 * Calls a `zk_*` method. The node answers refusals with `data: { code, details }` (an L2kitError code such as
 * NONCE_TOO_LOW or ZK_ACCOUNT_TAKEN): they are thrown again as an L2kitError with that code, whatever the
 * client wrapped them in, so callers can test `isL2kitError(e, 'NONCE_TOO_LOW')`. Other errors pass unchanged.
 */
export async function nodeRequest(node: ZkNodeClient, method: string, params: unknown[]): Promise<unknown> {
  try {
    return await node.request({ method, params })
  } catch (err) {
    throw fromNodeError(err, method)
  }
}

function fromNodeError(err: unknown, method: string): unknown {
  let e: unknown = err
  for (let depth = 0; depth < 8 && typeof e === 'object' && e !== null; depth++) {
    const data = (e as { data?: unknown }).data
    if (typeof data === 'object' && data !== null && typeof (data as { code?: unknown }).code === 'string') {
      const { code, details } = data as { code: string; details?: unknown }
      const fields = e as { details?: unknown; message?: unknown }
      const text = typeof fields.details === 'string' ? fields.details : String(fields.message ?? code)
      return new L2kitError(code as ErrorCode, `the ZK node refused ${method}: ${text}`, {
        details: {
          method,
          ...(typeof details === 'object' && details !== null ? (details as Record<string, unknown>) : {}),
        },
        cause: err,
      })
    }
    e = (e as { cause?: unknown }).cause
  }
  return err
}

function malformed(method: string, what: string, value: unknown): L2kitError {
  return new L2kitError('MALFORMED_DATA', `the ZK node's ${method} answer is malformed: ${what}`, {
    details: { method, value },
  })
}

function decimalBig(v: unknown, method: string, field: string): bigint {
  if (typeof v !== 'string' || !/^[0-9]+$/.test(v))
    throw malformed(method, `${field} is not a decimal string`, v)
  return BigInt(v)
}

/** Parses one account object of `zk_getAccount` / `zk_getAccountsByOwner`. */
export function parseAccountJson(value: unknown, method: string): ZkAccount {
  if (typeof value !== 'object' || value === null) throw malformed(method, 'not an account object', value)
  const o = value as Record<string, unknown>
  if (typeof o.index !== 'number' || !Number.isInteger(o.index)) throw malformed(method, 'index', value)
  if (typeof o.nonce !== 'number' || !Number.isInteger(o.nonce)) throw malformed(method, 'nonce', value)
  if (o.owner !== null && (typeof o.owner !== 'string' || !isAddress(o.owner, { strict: false }))) {
    throw malformed(method, 'owner', value)
  }
  const list = (v: unknown, field: string): bigint[] => {
    if (!Array.isArray(v)) throw malformed(method, `${field} is not an array`, value)
    return v.map((b, i) => decimalBig(b, method, `${field}[${i}]`))
  }
  return {
    index: o.index,
    owner: o.owner === null ? null : getAddress(o.owner as string),
    pkHash: decimalBig(o.pkHash, method, 'pkHash'),
    nonce: o.nonce,
    balances: list(o.balances, 'balances'),
    verifiedBalances:
      o.verifiedBalances === null || o.verifiedBalances === undefined
        ? null
        : list(o.verifiedBalances, 'verifiedBalances'),
  }
}

// ---------------------------------------------------------------------------------------------- input checks

export function checkAccountIndex(index: unknown, what = 'account index'): number {
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > MAX_ACCOUNT_INDEX) {
    throw new L2kitError('INVALID_ACCOUNT_INDEX', `${what} must be an integer in 0..${MAX_ACCOUNT_INDEX}`, {
      details: { index },
    })
  }
  return index
}

export function checkTokenId(token: unknown): number {
  if (typeof token !== 'number' || !Number.isInteger(token) || token < 0 || token >= TOKENS) {
    throw new L2kitError(
      'INVALID_TOKEN_INDEX',
      `token must be a token id in 0..${TOKENS - 1} (0 = ETH; an ERC-20's id: getZkToken)`,
      { details: { token } },
    )
  }
  return token
}

/** An amount of L2 units a transfer or withdrawal moves: 1..2^56-1. */
export function checkUnits(amount: unknown): bigint {
  if (typeof amount !== 'bigint' || amount <= 0n || amount > MAX_AMOUNT) {
    throw new L2kitError(
      'INVALID_AMOUNT',
      `amount must be a bigint of L2 units in 1..2^56-1, got ${String(amount)}`,
      {
        details: { amount: String(amount) },
      },
    )
  }
  return amount
}

export function checkAddress(address: unknown, what: string): Address {
  if (typeof address !== 'string' || !isAddress(address, { strict: false })) {
    throw new L2kitError('INVALID_ADDRESS', `${what} is not an address: ${String(address)}`, {
      details: { address },
    })
  }
  if (BigInt(address) === 0n) throw new L2kitError('INVALID_ADDRESS', `${what} must not be the zero address`)
  return getAddress(address)
}

export function checkKey(key: ZkKey): void {
  if (
    typeof key !== 'object' ||
    key === null ||
    !(key.privateKey instanceof Uint8Array) ||
    key.privateKey.length !== 32 ||
    typeof key.pkHash !== 'bigint'
  ) {
    throw new L2kitError(
      'INVALID_PRIVATE_KEY',
      'key must be a ZkKey ({ privateKey (32 bytes), pubKey, pkHash }): deriveZkKey',
    )
  }
}

/** A 160-bit integer as a checksummed address. */
export function addressOf(value: bigint): Address {
  return getAddress(`0x${value.toString(16).padStart(40, '0')}`)
}

// ---------------------------------------------------------------------------------------------------- L1

/** The request index and expiry of the `PriorityRequest` a successful L1 transaction emitted. */
export function priorityRequestOf(
  rollup: Address,
  hash: Hex,
  receipt: TransactionReceipt,
  what: string,
): { requestIndex: bigint; expiry: bigint; amount: bigint; token: number } {
  const event = parseEventLogs({ abi: zkRollupAbi, logs: receipt.logs, eventName: 'PriorityRequest' }).find(
    (e) => e.address.toLowerCase() === rollup.toLowerCase(),
  )
  if (!event) {
    throw new L2kitError('L1_EVENT_MISSING', `${what} transaction ${hash} emitted no PriorityRequest event`, {
      details: { txHash: hash },
    })
  }
  return {
    requestIndex: event.args.requestIndex,
    expiry: event.args.expiry,
    amount: event.args.amount,
    token: event.args.token,
  }
}

export { revertName } from '../l1Tx.ts'

/** Throws UNSUPPORTED_OPERATION unless the rollup is (or is not, `expected = false`) in exodus mode. */
export async function requireExodusMode(
  publicClient: AnyPublicClient,
  rollup: Address,
  what: string,
  expected = true,
): Promise<void> {
  const exodus = await publicClient.readContract({
    address: rollup,
    abi: zkRollupAbi,
    functionName: 'exodusMode',
  })
  if (exodus !== expected) {
    throw new L2kitError(
      'UNSUPPORTED_OPERATION',
      expected
        ? `${what} is only possible in exodus mode, and rollup ${rollup} is not in it (activateZkExodusMode once a priority request has expired)`
        : `${what} is not possible: rollup ${rollup} is in exodus mode (use exodusWithdraw)`,
      { details: { rollup } },
    )
  }
}

/**
 * The sender's next nonce, read from the node, after checking what the node would refuse anyway but with a
 * clearer message: the account exists, has this key registered, and holds `amount` of `token`.
 */
export async function senderNonce(
  node: ZkNodeClient,
  from: number,
  key: ZkKey,
  token: number,
  amount: bigint,
): Promise<number> {
  const account = parseAccountJson(await nodeRequest(node, 'zk_getAccount', [from]), 'zk_getAccount')
  if (account.owner === null) {
    throw new L2kitError('UNKNOWN_ACCOUNT', `account ${from} does not exist`, { details: { from } })
  }
  if (account.pkHash === 0n) {
    throw new L2kitError(
      'ZK_NO_L2_KEY',
      `account ${from} has no L2 key: register one with registerZkKey (or with the first deposit's pkHash)`,
      { details: { from } },
    )
  }
  if (account.pkHash !== key.pkHash) {
    throw new L2kitError(
      'INVALID_SIGNATURE',
      `this L2 key is not account ${from}'s registered key (pkHash ${account.pkHash}): registerZkKey, or derive the key for this rollup and chain`,
      { details: { from, registered: account.pkHash.toString(), key: key.pkHash.toString() } },
    )
  }
  const balance = account.balances[token] ?? 0n
  if (balance < amount) {
    throw new L2kitError(
      'INSUFFICIENT_BALANCE',
      `account ${from} has ${balance} units of token ${token}, needs ${amount}`,
      { details: { from, token, balance: balance.toString(), amount: amount.toString() } },
    )
  }
  return account.nonce
}

export function checkNonce(nonce: unknown): number {
  if (typeof nonce !== 'number' || !Number.isInteger(nonce) || nonce < 0 || nonce > MAX_NONCE) {
    throw new L2kitError('INVALID_OPTIONS', `nonce must be an integer in 0..${MAX_NONCE}`, {
      details: { nonce },
    })
  }
  return nonce
}
