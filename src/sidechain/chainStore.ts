/**
 * The sidechain's durable chain (LMDB, through node's `BlockStore`): committed blocks with their receipts, the
 * commit certificate (the precommits that decided each block), the EVM state at the head (accounts, code,
 * storage) and its history (every account and slot value as of each block that changed it), the next L1 deposit
 * id, and the withdrawals per block. `commitBlockAtomically` writes one block and everything it changed in ONE
 * transaction, durable (fsync) before it resolves, so a crash leaves either the old head or the new one, with the
 * state that goes with it.
 *
 * Tables (sub-databases of the caller's store; the node may keep its own tables in the same store): BlockStore's
 * `meta`, `blocks`, `blockByHash`, `txIndex`, `pending`; and `scCommits`, `evmAccounts`, `evmCode`, `evmStorage`,
 * `evmAccountHistory`, `evmStorageHistory`.
 */
import { concatBytes } from '../core/bytes.ts'
import { L2kitError } from '../core/errors.ts'
import type { Address, Hex } from '../core/types.ts'
import { BlockStore } from '../node/blockStore.ts'
import type { Store, StoreDb } from '../node/store.ts'
import type { AccountRecord, StateDiff } from './evm/overlayState.ts'
import type { BlockHeader, BlockLog, Deposit, Withdrawal } from './protocol/block.ts'
import { SidechainErrorCode } from './protocol/errors.ts'
import type { SignedVote } from './protocol/messages.ts'
import type { Validator } from './protocol/validatorSet.ts'

/** A transaction as committed: the raw bytes and what executing it gave (its receipt). */
export type StoredTx = {
  hash: Hex
  raw: Hex
  from: Address
  gasUsed: bigint
  effectiveGasPrice: bigint
  status: 0 | 1
  contractAddress?: Address
  logs: BlockLog[]
}

/** A committed block: header, body, receipts and the withdrawals it started. */
export type StoredBlock = {
  number: bigint
  hash: Hex
  header: BlockHeader
  txs: StoredTx[]
  deposits: Deposit[]
  withdrawals: Withdrawal[]
  /** The new validator set when the block moved to a newer L1 epoch. */
  validators?: Validator[]
}

const ACCOUNT_BYTES = 72
const EMPTY = new Uint8Array(0)

/** nonce u64 ‖ balance u256 ‖ codeHash[32]. */
export function encodeAccount(a: AccountRecord): Uint8Array {
  const out = new Uint8Array(ACCOUNT_BYTES)
  const view = new DataView(out.buffer)
  view.setBigUint64(0, a.nonce)
  let b = a.balance
  for (let i = 39; i >= 8; i--) {
    out[i] = Number(b & 0xffn)
    b >>= 8n
  }
  out.set(a.codeHash, 40)
  return out
}

export function decodeAccount(bytes: Uint8Array): AccountRecord {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let balance = 0n
  for (let i = 8; i < 40; i++) balance = (balance << 8n) | BigInt(bytes[i] as number)
  return { nonce: view.getBigUint64(0), balance, codeHash: bytes.slice(40, 72) }
}

function hex40(address: string): Uint8Array {
  return Buffer.from(address, 'hex')
}

function u64(n: bigint): Uint8Array {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, n)
  return out
}

/** Storage values are kept minimal (no leading zero byte); zero is "no entry". */
function minimalValue(padded: Uint8Array): Uint8Array {
  let i = 0
  while (i < padded.length && padded[i] === 0) i++
  return padded.subarray(i)
}

function pad32(value: Uint8Array): Uint8Array {
  if (value.length === 32) return value
  const out = new Uint8Array(32)
  out.set(value, 32 - value.length)
  return out
}

export class SidechainChainStore extends BlockStore<StoredBlock> {
  readonly #commits: StoreDb<SignedVote[], 'uint64'>
  readonly #accounts: StoreDb<Uint8Array, 'binary'>
  readonly #code: StoreDb<Uint8Array, 'binary'>
  readonly #storage: StoreDb<Uint8Array, 'binary'>
  readonly #accountHistory: StoreDb<Uint8Array, 'binary'>
  readonly #storageHistory: StoreDb<Uint8Array, 'binary'>

  protected constructor(store: Store) {
    super(store)
    this.#commits = store.db('scCommits', { keyEncoding: 'uint64' })
    const binary = { encoding: 'binary', keyEncoding: 'binary' } as const
    this.#accounts = store.db('evmAccounts', binary)
    this.#code = store.db('evmCode', binary)
    this.#storage = store.db('evmStorage', binary)
    this.#accountHistory = store.db('evmAccountHistory', binary)
    this.#storageHistory = store.db('evmStorageHistory', binary)
  }

  /** The chain store over an open `Store` (the caller opened it and closes it, or calls `close()` here). */
  static open(store: Store): SidechainChainStore {
    return new SidechainChainStore(store)
  }

  // ---- blocks ----

  /** The committed head block; undefined before genesis. */
  head(): StoredBlock | undefined {
    const n = this.headNumber()
    return n === undefined ? undefined : this.getBlock(n)
  }

  /** The precommits that decided block `number` (empty for genesis); undefined when not committed. */
  commitOf(number: bigint): SignedVote[] | undefined {
    return this.#commits.get(number)
  }

  /** The id the next L1 deposit must have (deposits are applied consecutively from 0). */
  nextDepositId(): bigint {
    return this.getMeta<bigint>('nextDepositId') ?? 0n
  }

  /** Stored configuration (chain id, genesis hash…), to refuse reopening a store with another chain. */
  config<T>(): T | undefined {
    return this.getMeta<T>('config')
  }

  // ---- state at the head ----

  account(address: string): AccountRecord | undefined {
    const v = this.#accounts.get(hex40(address))
    return v === undefined ? undefined : decodeAccount(v)
  }

  storage(address: string, slot: string): Uint8Array {
    return this.#storage.get(Buffer.from(address + slot, 'hex')) ?? EMPTY
  }

  code(codeHash: Uint8Array): Uint8Array {
    return this.#code.get(codeHash) ?? EMPTY
  }

  /** Whether `address` has any non-zero slot at the head. */
  hasStorage(address: string): boolean {
    const prefix = hex40(address)
    for (const key of this.#storage.getKeys({ start: prefix, limit: 1 })) {
      return Buffer.compare(key.subarray(0, 20), prefix) === 0
    }
    return false
  }

  // ---- state at an older block (history) ----

  /** The account as of the end of block `n`. */
  accountAt(address: string, n: bigint): AccountRecord | undefined {
    const prefix = hex40(address)
    for (const { key, value } of this.#accountHistory.getRange({
      start: concatBytes(prefix, u64(n)),
      end: prefix,
      reverse: true,
      limit: 1,
    })) {
      if (key.length !== 28 || Buffer.compare(key.subarray(0, 20), prefix) !== 0) return undefined
      return value.length === 0 || value[0] === 0 ? undefined : decodeAccount(value.subarray(1))
    }
    return undefined
  }

  /** A slot's value as of the end of block `n` (minimal bytes, empty for zero). */
  storageAt(address: string, slot: string, n: bigint): Uint8Array {
    const prefix = Buffer.from(address + slot, 'hex')
    for (const { key, value } of this.#storageHistory.getRange({
      start: concatBytes(prefix, u64(n)),
      end: prefix,
      reverse: true,
      limit: 1,
    })) {
      if (key.length !== 60 || Buffer.compare(key.subarray(0, 52), prefix) !== 0) return EMPTY
      return minimalValue(value)
    }
    return EMPTY
  }

  // ---- commits ----

  /**
   * Writes block `block` (the next one, or genesis on an empty store) with everything it changed, in ONE durable
   * transaction: the block and its tx index, the commit certificate, the state diff at the head and in the
   * history, the next deposit id, the head. Resolves once on disk.
   */
  async commitBlockAtomically(
    block: StoredBlock,
    diff: StateDiff,
    commit: readonly SignedVote[],
    nextDepositId: bigint,
    config?: unknown,
  ): Promise<void> {
    await this.transaction(() => {
      const head = this.headNumber()
      const expected = head === undefined ? 0n : head + 1n
      if (block.number !== expected) {
        throw new L2kitError(
          SidechainErrorCode.invalidState,
          `block ${block.number} is not the next block (the head is ${head ?? 'none'})`,
        )
      }
      this.putBlockInTransaction(block)
      void this.#commits.put(block.number, [...commit])
      this.#applyDiff(diff, block.number)
      this.putMetaInTransaction('nextDepositId', nextDepositId)
      if (config !== undefined) this.putMetaInTransaction('config', config)
      this.setHeadInTransaction(block.number, null)
    })
  }

  #applyDiff(diff: StateDiff, n: bigint): void {
    const at = u64(n)
    for (const [codeHash, code] of diff.code) void this.#code.put(Buffer.from(codeHash, 'hex'), code)
    for (const address of diff.cleared) {
      const prefix = hex40(address)
      const end = concatBytes(prefix, new Uint8Array(32).fill(0xff), new Uint8Array([0xff]))
      const keys = [...this.#storage.getKeys({ start: prefix, end })]
      for (const key of keys) {
        if (Buffer.compare(key.subarray(0, 20), prefix) !== 0) break
        void this.#storage.remove(key)
        void this.#storageHistory.put(concatBytes(key, at), new Uint8Array(32))
      }
    }
    for (const [address, record] of diff.accounts) {
      const key = hex40(address)
      if (record === null) {
        void this.#accounts.remove(key)
        void this.#accountHistory.put(concatBytes(key, at), new Uint8Array([0]))
      } else {
        const value = encodeAccount(record)
        void this.#accounts.put(key, value)
        void this.#accountHistory.put(concatBytes(key, at), concatBytes(new Uint8Array([1]), value))
      }
    }
    for (const [address, slot, value] of diff.storage) {
      const key = Buffer.from(address + slot, 'hex')
      if (value.length === 0) void this.#storage.remove(key)
      else void this.#storage.put(key, value)
      void this.#storageHistory.put(concatBytes(key, at), pad32(value))
    }
  }
}
