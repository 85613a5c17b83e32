import { mkdirSync } from 'node:fs'
import type { Database, Key as LmdbKey, RootDatabase } from 'lmdb'
import { IF_EXISTS, open } from 'lmdb'
import { L2kitError } from '../core/errors.ts'
import { fromTaggedJson, toTaggedJson } from '../core/json.ts'
import { assertValidOptions, isIntegerInRange, withDefaults } from './options.ts'

/**
 * How values are written:
 * - `msgpack`: compact binary for plain data (objects, arrays, strings, numbers, **bigints of any size**,
 *   booleans, null, Uint8Array). Maps and class instances come back as plain objects.
 * - `json`: readable text; bigints and Uint8Arrays are tagged (`{"$bigint":"…"}`, `{"$bytes":"0x…"}`) and
 *   come back as bigint and Uint8Array.
 * - `binary`: the value is a Uint8Array stored as is.
 */
export type ValueEncoding = 'msgpack' | 'json' | 'binary'

/**
 * How keys are written; the order of keys on disk is the order of `getRange`:
 * - `ordered` (default): strings, numbers (numeric order) and arrays of them (element by element),
 *   lmdb's ordered-binary format. Numbers come back as numbers.
 * - `uint64`: an unsigned integer (bigint or safe-integer number) as 8 big-endian bytes; numeric order;
 *   keys come back as bigint. For block numbers, batch indices, deposit indices.
 * - `binary`: raw bytes (hashes), byte-wise order; keys come back as Uint8Array.
 */
export type KeyEncoding = 'ordered' | 'uint64' | 'binary'

/** An `ordered` key: lmdb's ordered-binary types we rely on. */
export type OrderedKey = string | number | readonly (string | number)[]

/** The key a caller passes, per key encoding. */
export type KeyInput<E extends KeyEncoding> = E extends 'uint64'
  ? bigint | number
  : E extends 'binary'
    ? Uint8Array
    : OrderedKey

/** The key `getRange` returns, per key encoding. */
export type KeyOutput<E extends KeyEncoding> = E extends 'uint64'
  ? bigint
  : E extends 'binary'
    ? Uint8Array
    : OrderedKey

export interface StoreOptions {
  /** Directory of the database (created if missing). */
  path: string
  /** Maximum number of named sub-databases. */
  maxDbs: number
  /** Open for reading only (another process may write). */
  readOnly: boolean
}

export const defaultStoreOptions: Omit<StoreOptions, 'path'> = {
  maxDbs: 64,
  readOnly: false,
}

export interface StoreDbOptions<E extends KeyEncoding> {
  encoding?: ValueEncoding
  keyEncoding?: E
}

/** Bounds of a range scan. `start` is included, `end` excluded; with `reverse`, start is the upper end. */
export interface RangeOptions<E extends KeyEncoding> {
  start?: KeyInput<E>
  end?: KeyInput<E>
  reverse?: boolean
  limit?: number
}

export interface StoreEntry<K, V> {
  key: K
  value: V
}

/**
 * The embedded, durable key-value store of a node (LMDB).
 *
 * Durability: every write promise (`put`, `remove`, `transaction`) resolves only after its LMDB transaction
 * has been committed **and fsynced** (`fdatasync`) to disk, so acknowledged data survives a crash of the
 * process or the machine. Concurrent writes are grouped by lmdb into one transaction and one sync (group
 * commit), so throughput grows with concurrency while each write keeps that guarantee.
 */
export class Store {
  readonly path: string
  readonly options: StoreOptions
  private readonly root: RootDatabase
  private readonly dbs = new Map<string, { encoding: ValueEncoding; keyEncoding: KeyEncoding; db: StoreDb }>()
  private closed = false

  /** Use `openStore`. */
  constructor(options: StoreOptions, root: RootDatabase) {
    this.options = options
    this.path = options.path
    this.root = root
  }

  /**
   * A named sub-database with fixed value and key encodings. Asking again for the same name returns the
   * same instance; asking with other encodings throws.
   */
  db<V, E extends KeyEncoding = 'ordered'>(name: string, options: StoreDbOptions<E> = {}): StoreDb<V, E> {
    this.assertOpen()
    const encoding = options.encoding ?? 'msgpack'
    const keyEncoding: KeyEncoding = options.keyEncoding ?? 'ordered'
    if (typeof name !== 'string' || name === '') {
      throw new L2kitError('INVALID_STORE_DB', 'a sub-database needs a non-empty name')
    }
    if (
      !['msgpack', 'json', 'binary'].includes(encoding) ||
      !['ordered', 'uint64', 'binary'].includes(keyEncoding)
    ) {
      throw new L2kitError(
        'INVALID_STORE_DB',
        `sub-database ${name}: unknown encoding ${encoding}/${keyEncoding}`,
        {
          details: { name, encoding, keyEncoding },
        },
      )
    }
    const existing = this.dbs.get(name)
    if (existing !== undefined) {
      if (existing.encoding !== encoding || existing.keyEncoding !== keyEncoding) {
        throw new L2kitError(
          'INVALID_STORE_DB',
          `sub-database ${name} is already open with encoding ${existing.encoding}/${existing.keyEncoding}`,
          { details: { name, encoding, keyEncoding } },
        )
      }
      return existing.db as unknown as StoreDb<V, E>
    }
    const lmdbDb = this.root.openDB<unknown, LmdbKey>(name, {
      encoding: encoding === 'msgpack' ? 'msgpack' : encoding === 'json' ? 'string' : 'binary',
      keyEncoding: keyEncoding === 'ordered' ? 'ordered-binary' : 'binary',
      ...(encoding === 'msgpack' ? msgpackOptions : {}),
    })
    const db = new StoreDb<V, E>(name, encoding, keyEncoding as E, lmdbDb, () => this.assertOpen())
    this.dbs.set(name, { encoding, keyEncoding, db: db as unknown as StoreDb })
    return db
  }

  /**
   * Runs `fn` in one write transaction and commits it durably: every `put`/`remove` made inside (on any
   * sub-database, without awaiting) is applied all together or not at all. If `fn` throws, nothing is
   * written and the promise rejects with that error. `fn` must be synchronous; reads inside see the
   * transaction's own writes. Resolves to `fn`'s result once the commit is on disk.
   */
  transaction<T>(fn: () => T): Promise<T> {
    this.assertOpen()
    return this.root.childTransaction(() => {
      const result = fn()
      if (isThenable(result)) {
        throw new L2kitError(
          'ASYNC_STORE_TRANSACTION',
          'store.transaction() callbacks must be synchronous: read and write inside, await outside',
        )
      }
      return result
    })
  }

  get isOpen(): boolean {
    return !this.closed
  }

  /** Waits for pending writes, then closes the database. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.root.close()
  }

  private assertOpen(): void {
    if (this.closed)
      throw new L2kitError('STORE_CLOSED', `the store at ${this.path} is closed`, { kind: 'critical' })
  }
}

/** A typed sub-database of a `Store`. */
export class StoreDb<V = unknown, E extends KeyEncoding = KeyEncoding> {
  readonly name: string
  readonly encoding: ValueEncoding
  readonly keyEncoding: E
  private readonly db: Database<unknown, LmdbKey>
  private readonly assertOpen: () => void

  /** Use `store.db()`. */
  constructor(
    name: string,
    encoding: ValueEncoding,
    keyEncoding: E,
    db: Database<unknown, LmdbKey>,
    assertOpen: () => void,
  ) {
    this.name = name
    this.encoding = encoding
    this.keyEncoding = keyEncoding
    this.db = db
    this.assertOpen = assertOpen
  }

  /** The value at `key`, or undefined. Reads see every write whose promise has resolved. */
  get(key: KeyInput<E>): V | undefined {
    this.assertOpen()
    const raw = this.db.get(this.encodeKey(key))
    return raw === undefined ? undefined : this.decodeValue(raw)
  }

  has(key: KeyInput<E>): boolean {
    this.assertOpen()
    return this.db.doesExist(this.encodeKey(key))
  }

  /**
   * Writes `value` at `key`; resolves once it is durable on disk. Inside `store.transaction(fn)` the write
   * is applied to that transaction at once (do not await it there).
   */
  put(key: KeyInput<E>, value: V): Promise<void> {
    this.assertOpen()
    return this.db.put(this.encodeKey(key), this.encodeValue(value)).then(() => undefined)
  }

  /** Deletes `key`; resolves to whether it existed, once the deletion is durable. */
  remove(key: KeyInput<E>): Promise<boolean> {
    this.assertOpen()
    return this.db.remove(this.encodeKey(key), IF_EXISTS)
  }

  /** Entries in key order (a consistent snapshot), lazily; see `RangeOptions`. */
  *getRange(options: RangeOptions<E> = {}): IterableIterator<StoreEntry<KeyOutput<E>, V>> {
    this.assertOpen()
    const range: { start?: LmdbKey; end?: LmdbKey; reverse?: boolean; limit?: number; snapshot: boolean } = {
      snapshot: true,
    }
    if (options.start !== undefined) range.start = this.encodeKey(options.start)
    if (options.end !== undefined) range.end = this.encodeKey(options.end)
    if (options.reverse !== undefined) range.reverse = options.reverse
    if (options.limit !== undefined) range.limit = options.limit
    for (const { key, value } of this.db.getRange(range)) {
      yield { key: this.decodeKey(key), value: this.decodeValue(value) }
    }
  }

  /** Keys in order, lazily. */
  *getKeys(options: RangeOptions<E> = {}): IterableIterator<KeyOutput<E>> {
    for (const entry of this.getRange(options)) yield entry.key
  }

  /** The entry with the greatest key, or undefined if the database is empty. */
  last(): StoreEntry<KeyOutput<E>, V> | undefined {
    for (const entry of this.getRange({ reverse: true, limit: 1 })) return entry
    return undefined
  }

  /** Number of entries in a range (whole database by default). */
  count(options: RangeOptions<E> = {}): number {
    let n = 0
    for (const _ of this.getKeys(options)) n++
    return n
  }

  /** Deletes every entry of this sub-database, durably. */
  clear(): Promise<void> {
    this.assertOpen()
    return this.db.clearAsync()
  }

  private encodeKey(key: KeyInput<E>): LmdbKey {
    if (this.keyEncoding === 'uint64') return encodeUint64Key(key as bigint | number, this.name)
    if (this.keyEncoding === 'binary') {
      if (!(key instanceof Uint8Array) || key.length === 0) {
        throw new L2kitError('INVALID_STORE_KEY', `${this.name}: a binary key must be a non-empty Uint8Array`)
      }
      return Buffer.from(key.buffer, key.byteOffset, key.byteLength)
    }
    if (key === '' || (typeof key !== 'string' && typeof key !== 'number' && !Array.isArray(key))) {
      throw new L2kitError(
        'INVALID_STORE_KEY',
        `${this.name}: a key must be a non-empty string, a number or an array`,
      )
    }
    return key as LmdbKey
  }

  private decodeKey(key: LmdbKey): KeyOutput<E> {
    if (this.keyEncoding === 'uint64') return (key as Buffer).readBigUInt64BE(0) as KeyOutput<E>
    if (this.keyEncoding === 'binary') return new Uint8Array(key as Buffer) as KeyOutput<E>
    return key as KeyOutput<E>
  }

  private encodeValue(value: V): unknown {
    if (this.encoding === 'json') return toTaggedJson(value)
    if (this.encoding === 'binary') {
      if (!(value instanceof Uint8Array)) {
        throw new L2kitError('INVALID_STORE_VALUE', `${this.name}: binary values must be Uint8Array`)
      }
      return Buffer.from(value.buffer, value.byteOffset, value.byteLength)
    }
    return value
  }

  private decodeValue(raw: unknown): V {
    if (this.encoding === 'json') return fromTaggedJson<V>(raw as string)
    if (this.encoding === 'binary') return new Uint8Array(raw as Buffer) as V
    return buffersToUint8Arrays(raw) as V
  }
}

/** Opens (creating if needed) the store at `options.path`. */
export async function openStore(options: Partial<StoreOptions> & { path: string }): Promise<Store> {
  return openStoreSync(options)
}

/** `openStore` without the promise (LMDB opens synchronously): for a service that owns its store from creation. */
export function openStoreSync(options: Partial<StoreOptions> & { path: string }): Store {
  const o = withDefaults<StoreOptions>({ ...defaultStoreOptions, path: '' }, options)
  const problems: string[] = []
  if (typeof o.path !== 'string' || o.path === '') problems.push('path must be a directory path')
  if (!isIntegerInRange(o.maxDbs, 1, 10_000)) problems.push('maxDbs must be an integer in [1, 10000]')
  if (typeof o.readOnly !== 'boolean') problems.push('readOnly must be a boolean')
  assertValidOptions('store', problems)
  if (!o.readOnly) mkdirSync(o.path, { recursive: true })
  let root: RootDatabase
  try {
    root = open({
      path: o.path,
      noSubdir: false,
      maxDbs: o.maxDbs,
      readOnly: o.readOnly,
      // Durability: commit and fdatasync in the same step, so a resolved write is on disk. With
      // overlappingSync (lmdb's default on Linux) a write resolves at commit and is flushed later.
      overlappingSync: false,
      noSync: false,
      noMetaSync: false,
    })
  } catch (error) {
    throw new L2kitError(
      'STORE_OPEN_FAILED',
      `cannot open the store at ${o.path}: ${(error as Error).message}`,
      {
        kind: 'critical',
        details: { path: o.path },
        cause: error,
      },
    )
  }
  return new Store(o, root)
}

const msgpackOptions = { useRecords: false, useBigIntExtension: true } as Record<string, unknown>

const UINT64_MAX = (1n << 64n) - 1n

function encodeUint64Key(key: bigint | number, dbName: string): Buffer {
  let value: bigint
  if (typeof key === 'bigint') value = key
  else if (typeof key === 'number' && Number.isSafeInteger(key)) value = BigInt(key)
  else throw new L2kitError('INVALID_STORE_KEY', `${dbName}: a uint64 key must be a bigint or a safe integer`)
  if (value < 0n || value > UINT64_MAX) {
    throw new L2kitError('INVALID_STORE_KEY', `${dbName}: uint64 key ${value} is out of range`, {
      details: { key: value },
    })
  }
  const buffer = Buffer.alloc(8)
  buffer.writeBigUInt64BE(value)
  return buffer
}

/** msgpack decodes bytes as Node Buffers; give callers plain Uint8Arrays so values compare equal. */
function buffersToUint8Arrays(value: unknown): unknown {
  if (value instanceof Uint8Array) {
    return Buffer.isBuffer(value) ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : value
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = buffersToUint8Arrays(value[i])
    return value
  }
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>
    for (const key of Object.keys(record)) record[key] = buffersToUint8Arrays(record[key])
  }
  return value
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}
