/**
 * The EVM's view of the sidechain state while a block (or a call) executes: ethereumjs' `StateManagerInterface`
 * implemented as an in-memory overlay on top of a read-only base (the committed state at some block, see
 * `StateReader`). Writes land in the overlay only; nested calls checkpoint / commit / revert through an undo
 * journal (O(changes), not O(state)); the base is never written. After a block, `diff()` lists what differs from the
 * base, sorted — what the chain store writes in the commit transaction and what the state root commits to.
 *
 * No Merkle-Patricia trie exists: `getStateRoot` and friends are refused (the sidechain's state root is the hash
 * chain of the block diffs, `stateRoot.ts`), and every account reports the empty storage root (EIP-7610's
 * "non-empty storage" collision can only concern an address with storage but no code and no nonce, which nothing
 * on this chain creates).
 */
import type { AccountFields, StateManagerInterface } from '@ethereumjs/common'
import {
  Account,
  bytesToUnprefixedHex,
  type Address as EthAddress,
  KECCAK256_NULL,
  KECCAK256_RLP,
} from '@ethereumjs/util'
import { L2kitError } from '../../core/errors.ts'
import { keccak256 } from '../../core/hash.ts'
import { SidechainErrorCode } from '../protocol/errors.ts'

/** An account as the state stores it: no storage root (storage is kept per slot). */
export type AccountRecord = { nonce: bigint; balance: bigint; codeHash: Uint8Array }

/**
 * The committed state an overlay reads through. Keys are lowercase unprefixed hex: 40 characters for an address,
 * 64 for a storage slot (the 32-byte key). `storage` answers the minimal big-endian bytes (empty for zero).
 */
export interface StateReader {
  account(address: string): AccountRecord | undefined
  storage(address: string, slot: string): Uint8Array
  /** The code with this hash (empty when unknown: only the empty code's hash is ever asked without a store entry). */
  code(codeHash: Uint8Array): Uint8Array
  /** Whether the address has any non-zero slot (so a storage clear changes something). */
  hasStorage(address: string): boolean
}

/** One state change relative to the base, for the chain store and the state root. */
export type StateDiff = {
  /** Accounts whose record changed, by address (40 hex), sorted; `null` = the account no longer exists. */
  accounts: [string, AccountRecord | null][]
  /** Slots whose value changed, sorted by (address, slot); an empty value = zero (deleted). */
  storage: [string, string, Uint8Array][]
  /** Addresses whose whole storage was cleared first (before `storage` applies), sorted. */
  cleared: string[]
  /** New code by hash (hex, 64), sorted; code is immutable, so only additions exist. */
  code: [string, Uint8Array][]
}

const EMPTY = new Uint8Array(0)

type Undo =
  | { kind: 'account'; key: string; prev: AccountRecord | null | undefined }
  | { kind: 'slot'; key: string; slot: string; prev: Uint8Array | undefined }
  | { kind: 'clear'; key: string; prevSlots: Map<string, Uint8Array> | undefined; prevCleared: boolean }

function unsupported(what: string): never {
  throw new L2kitError(
    SidechainErrorCode.invalidState,
    `${what}: the sidechain state has no Merkle-Patricia trie (its root is a hash chain of block diffs)`,
  )
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Minimal big-endian form: leading zero bytes stripped (the EVM already writes it so; this guards other writers). */
function minimal(value: Uint8Array): Uint8Array {
  let i = 0
  while (i < value.length && value[i] === 0) i++
  return i === 0 ? value : value.subarray(i)
}

export function sameAccount(
  a: AccountRecord | null | undefined,
  b: AccountRecord | null | undefined,
): boolean {
  if (a === undefined || a === null) return b === undefined || b === null
  if (b === undefined || b === null) return false
  return a.nonce === b.nonce && a.balance === b.balance && equalBytes(a.codeHash, b.codeHash)
}

export class OverlayState implements StateManagerInterface {
  readonly base: StateReader
  readonly #accounts = new Map<string, AccountRecord | null>()
  readonly #storage = new Map<string, Map<string, Uint8Array>>()
  readonly #cleared = new Set<string>()
  readonly #code = new Map<string, Uint8Array>()
  /** Undo entries since the outermost checkpoint; checkpoints are indices into it. */
  #journal: Undo[] = []
  readonly #checkpoints: number[] = []
  /** Slot values at the start of the current transaction (EIP-2200/3529 gas needs the "original" value). */
  readonly #original = new Map<string, Uint8Array>()

  constructor(base: StateReader) {
    this.base = base
  }

  // ---- plain-data access (the execution layer uses these directly; keys are unprefixed lowercase hex) ----

  accountRecord(key: string): AccountRecord | undefined {
    const o = this.#accounts.get(key)
    if (o !== undefined) return o === null ? undefined : o
    return this.base.account(key)
  }

  setAccountRecord(key: string, record: AccountRecord | null): void {
    if (this.#checkpoints.length > 0)
      this.#journal.push({ kind: 'account', key, prev: this.#accounts.get(key) })
    this.#accounts.set(key, record)
  }

  slot(key: string, slot: string): Uint8Array {
    const own = this.#storage.get(key)?.get(slot)
    if (own !== undefined) return own
    if (this.#cleared.has(key)) return EMPTY
    return this.base.storage(key, slot)
  }

  setSlot(key: string, slot: string, value: Uint8Array): void {
    let slots = this.#storage.get(key)
    if (slots === undefined) {
      slots = new Map()
      this.#storage.set(key, slots)
    }
    const originalKey = `${key}${slot}`
    if (!this.#original.has(originalKey)) this.#original.set(originalKey, this.slot(key, slot))
    if (this.#checkpoints.length > 0) this.#journal.push({ kind: 'slot', key, slot, prev: slots.get(slot) })
    slots.set(slot, minimal(value))
  }

  codeByHash(codeHash: Uint8Array): Uint8Array {
    if (equalBytes(codeHash, KECCAK256_NULL)) return EMPTY
    return this.#code.get(bytesToUnprefixedHex(codeHash)) ?? this.base.code(codeHash)
  }

  // ---- StateManagerInterface ----

  async getAccount(address: EthAddress): Promise<Account | undefined> {
    const r = this.accountRecord(bytesToUnprefixedHex(address.bytes))
    return r === undefined ? undefined : new Account(r.nonce, r.balance, KECCAK256_RLP, r.codeHash)
  }

  async putAccount(address: EthAddress, account?: Account): Promise<void> {
    const key = bytesToUnprefixedHex(address.bytes)
    if (account === undefined) {
      this.setAccountRecord(key, null)
      return
    }
    this.setAccountRecord(key, { nonce: account.nonce, balance: account.balance, codeHash: account.codeHash })
  }

  async deleteAccount(address: EthAddress): Promise<void> {
    const key = bytesToUnprefixedHex(address.bytes)
    this.setAccountRecord(key, null)
    this.#clear(key)
  }

  async modifyAccountFields(address: EthAddress, fields: AccountFields): Promise<void> {
    const key = bytesToUnprefixedHex(address.bytes)
    const r = this.accountRecord(key) ?? { nonce: 0n, balance: 0n, codeHash: KECCAK256_NULL }
    this.setAccountRecord(key, {
      nonce: fields.nonce ?? r.nonce,
      balance: fields.balance ?? r.balance,
      codeHash: fields.codeHash ?? r.codeHash,
    })
  }

  async putCode(address: EthAddress, value: Uint8Array): Promise<void> {
    const codeHash = value.length === 0 ? KECCAK256_NULL : keccak256(value)
    if (value.length > 0) this.#code.set(bytesToUnprefixedHex(codeHash), value)
    await this.modifyAccountFields(address, { codeHash })
  }

  async getCode(address: EthAddress): Promise<Uint8Array> {
    const r = this.accountRecord(bytesToUnprefixedHex(address.bytes))
    return r === undefined ? EMPTY : this.codeByHash(r.codeHash)
  }

  async getCodeSize(address: EthAddress): Promise<number> {
    return (await this.getCode(address)).length
  }

  async getStorage(address: EthAddress, key: Uint8Array): Promise<Uint8Array> {
    return this.slot(bytesToUnprefixedHex(address.bytes), bytesToUnprefixedHex(key))
  }

  async putStorage(address: EthAddress, key: Uint8Array, value: Uint8Array): Promise<void> {
    this.setSlot(bytesToUnprefixedHex(address.bytes), bytesToUnprefixedHex(key), value)
  }

  async clearStorage(address: EthAddress): Promise<void> {
    this.#clear(bytesToUnprefixedHex(address.bytes))
  }

  #clear(key: string): void {
    if (this.#checkpoints.length > 0) {
      this.#journal.push({
        kind: 'clear',
        key,
        prevSlots: this.#storage.get(key),
        prevCleared: this.#cleared.has(key),
      })
    }
    this.#storage.delete(key)
    this.#cleared.add(key)
  }

  async checkpoint(): Promise<void> {
    this.#checkpoints.push(this.#journal.length)
  }

  async commit(): Promise<void> {
    this.#checkpoints.pop()
    // Outside every checkpoint nothing can be reverted any more: forget the undo entries.
    if (this.#checkpoints.length === 0) this.#journal = []
  }

  async revert(): Promise<void> {
    const mark = this.#checkpoints.pop() ?? 0
    for (let i = this.#journal.length - 1; i >= mark; i--) {
      const u = this.#journal[i] as Undo
      if (u.kind === 'account') {
        if (u.prev === undefined) this.#accounts.delete(u.key)
        else this.#accounts.set(u.key, u.prev)
      } else if (u.kind === 'slot') {
        const slots = this.#storage.get(u.key)
        if (slots !== undefined) {
          if (u.prev === undefined) slots.delete(u.slot)
          else slots.set(u.slot, u.prev)
        }
      } else {
        if (u.prevSlots === undefined) this.#storage.delete(u.key)
        else this.#storage.set(u.key, u.prevSlots)
        if (!u.prevCleared) this.#cleared.delete(u.key)
      }
    }
    this.#journal.length = mark
  }

  /** The "original" storage of EIP-2200: slot values before the current transaction wrote them. */
  readonly originalStorageCache = {
    get: async (address: EthAddress, key: Uint8Array): Promise<Uint8Array> => {
      const a = bytesToUnprefixedHex(address.bytes)
      const s = bytesToUnprefixedHex(key)
      return this.#original.get(`${a}${s}`) ?? this.slot(a, s)
    },
    clear: (): void => {
      this.#original.clear()
    },
  }

  getStateRoot(): Promise<Uint8Array> {
    return unsupported('getStateRoot')
  }

  setStateRoot(): Promise<void> {
    return unsupported('setStateRoot')
  }

  hasStateRoot(): Promise<boolean> {
    return unsupported('hasStateRoot')
  }

  clearCaches(): void {}

  shallowCopy(): StateManagerInterface {
    return unsupported('shallowCopy')
  }

  /** Everything that differs from the base, sorted (deterministic: the state root hashes it). */
  diff(): StateDiff {
    const accounts: [string, AccountRecord | null][] = []
    for (const [key, record] of this.#accounts) {
      if (!sameAccount(record, this.base.account(key))) accounts.push([key, record])
    }
    accounts.sort((a, b) => (a[0] < b[0] ? -1 : 1))
    const storage: [string, string, Uint8Array][] = []
    for (const [key, slots] of this.#storage) {
      const cleared = this.#cleared.has(key)
      for (const [slot, value] of slots) {
        const before = cleared ? EMPTY : this.base.storage(key, slot)
        if (!equalBytes(before, value)) storage.push([key, slot, value])
      }
    }
    storage.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : 1))
    const code = [...this.#code].sort((a, b) => (a[0] < b[0] ? -1 : 1))
    // A clear matters only where the base had storage (every contract creation clears its fresh address).
    const cleared = [...this.#cleared].filter((a) => this.base.hasStorage(a)).sort()
    return { accounts, storage, cleared, code }
  }
}
