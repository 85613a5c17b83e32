/**
 * The ZK rollup's state machine (docs/zk.md, "State" and "Block pubdata"): accounts in core's sparse Merkle tree
 * with a Poseidon hasher, operations checked exactly as the circuit checks them, and — for every chunk — the
 * circuit's slot witness (the accounts before the operation and their Merkle paths).
 *
 * Every refusal is a typed L2kitError and leaves the state untouched: checks run before any write.
 */
import { keccak_256 } from '@noble/hashes/sha3.js'
import { bytesToHex } from '../../core/bytes.ts'
import { L2kitError } from '../../core/errors.ts'
import { SparseMerkleTree } from '../../core/smt.ts'
import type { Hex } from '../../core/types.ts'
import {
  bytesToField,
  dummySignatureInputs,
  fieldToBytes,
  poseidon,
  poseidonHasher,
  pubKeyHash,
  type ZkPublicKey,
  type ZkSignature,
  zkVerify,
} from './crypto.ts'
import './errors.ts'
import {
  type Address,
  blockCommitment,
  type ChangePubKeyOp,
  type DepositOp,
  encodePubdata,
  type FullExitOp,
  isPackable,
  isPriorityOp,
  MAX_ACCOUNT_INDEX,
  MAX_AMOUNT,
  MAX_NONCE,
  nextPriorityHash,
  OpType,
  opChunksOf,
  type PriorityRequest,
  type PubdataOp,
  type SignedOp,
  signedMessage,
  TOKENS,
  type ZkOp,
} from './ops.ts'

export type Account = {
  readonly pkHash: bigint
  readonly owner: Address
  readonly nonce: number
  readonly balances: readonly bigint[]
}

export const EMPTY_ACCOUNT: Account = { pkHash: 0n, owner: 0n, nonce: 0, balances: [0n, 0n, 0n, 0n] }

export function isEmptyAccount(a: Account): boolean {
  return a.pkHash === 0n && a.owner === 0n && a.nonce === 0 && a.balances.every((b) => b === 0n)
}

export function packBalances(balances: readonly bigint[]): bigint {
  return balances.reduce((acc, b, t) => acc + (b << BigInt(56 * t)), 0n)
}

export function ownerNonce(a: Account): bigint {
  return a.owner + (BigInt(a.nonce) << 160n)
}

/** The leaf value: 0 for the empty account, else H(pkHash, ownerNonce, balances). */
export function accountLeaf(a: Account): bigint {
  if (isEmptyAccount(a)) return 0n
  return poseidon([a.pkHash, ownerNonce(a), packBalances(a.balances)])
}

/** A transfer / transfer to a new account / withdrawal with its L2 signature. */
export type SignedZkTx = SignedOp & { readonly pubKey: ZkPublicKey; readonly signature: ZkSignature }

/** What the circuit needs for one chunk slot (names as in circuits/zk/block.circom's `Slot`). */
export type SlotWitness = {
  chunk: bigint
  amount: bigint
  addr: bigint
  reqPkHash: bigint
  Ax: bigint
  Ay: bigint
  R8x: bigint
  R8y: bigint
  S: bigint
  aIndex: number
  aPkHash: bigint
  aOwner: bigint
  aNonce: number
  aBalance: bigint[]
  aSiblings: bigint[]
  bIndex: number
  bPkHash: bigint
  bOwner: bigint
  bNonce: number
  bBalance: bigint[]
  bSiblings: bigint[]
}

function refuse(code: ConstructorParameters<typeof L2kitError>[0], message: string, details = {}): never {
  throw new L2kitError(code, message, { details })
}

export class ZkState {
  readonly depth: number
  private tree: SparseMerkleTree
  private accounts: Map<number, Account>
  /** owner → account indices it owns, in creation order */
  private byOwner: Map<Address, number[]>
  private nextIndex: number

  constructor(depth: number) {
    if (!Number.isInteger(depth) || depth < 1 || depth > 16) {
      throw new RangeError(`account tree depth must be 1..16, got ${depth}`)
    }
    this.depth = depth
    this.tree = new SparseMerkleTree(depth, poseidonHasher)
    this.accounts = new Map()
    this.byOwner = new Map()
    this.nextIndex = 0
  }

  /** An independent copy (a block builder tries operations on it). */
  clone(): ZkState {
    const copy = new ZkState(this.depth)
    copy.tree = this.tree.clone()
    copy.accounts = new Map(this.accounts)
    copy.byOwner = new Map([...this.byOwner].map(([k, v]) => [k, v.slice()]))
    copy.nextIndex = this.nextIndex
    return copy
  }

  get capacity(): number {
    return Math.min(2 ** this.depth, MAX_ACCOUNT_INDEX + 1)
  }

  root(): bigint {
    return bytesToField(this.tree.root())
  }

  account(index: number): Account {
    return this.accounts.get(index) ?? EMPTY_ACCOUNT
  }

  /** Accounts owned by an L1 address. */
  accountsOf(owner: Address): readonly number[] {
    return this.byOwner.get(owner) ?? []
  }

  /** Every non-empty account, by index. */
  entries(): IterableIterator<[number, Account]> {
    return this.accounts.entries()
  }

  /** The index a new account gets next (lowest never used). */
  freeIndex(): number {
    while (this.nextIndex < this.capacity && this.accounts.has(this.nextIndex)) this.nextIndex++
    if (this.nextIndex >= this.capacity) refuse('ACCOUNTS_FULL', `all ${this.capacity} accounts are in use`)
    return this.nextIndex
  }

  /** Siblings of an account's leaf, bottom-up. */
  siblings(index: number): bigint[] {
    return this.tree.proof(index).map(bytesToField)
  }

  private checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.capacity) {
      refuse('INVALID_ACCOUNT_INDEX', `account ${index} is outside the tree (0..${this.capacity - 1})`, {
        index,
      })
    }
  }

  private checkToken(token: number): void {
    if (!Number.isInteger(token) || token < 0 || token >= TOKENS) {
      refuse('INVALID_TOKEN_INDEX', `token ${token} is not one of the ${TOKENS} token slots`, { token })
    }
  }

  private checkAmount(amount: bigint): void {
    if (typeof amount !== 'bigint' || amount < 0n || amount > MAX_AMOUNT) {
      refuse('INVALID_AMOUNT', `amount ${amount} is not in 0..2^56-1 units`, { amount: String(amount) })
    }
  }

  private write(index: number, next: Account): void {
    const before = this.accounts.get(index)
    this.accounts.set(index, next)
    this.tree.set(index, fieldToBytes(accountLeaf(next)))
    if (before === undefined || before.owner !== next.owner) {
      const list = this.byOwner.get(next.owner) ?? []
      list.push(index)
      this.byOwner.set(next.owner, list)
    }
  }

  /** The circuit's view of two accounts before an operation (B read after A's update, as the circuit does). */
  private slotBase(
    aIndex: number,
    bIndex: number,
  ): Omit<SlotWitness, 'bPkHash' | 'bOwner' | 'bNonce' | 'bBalance' | 'bSiblings'> & {
    fillB(): Pick<SlotWitness, 'bPkHash' | 'bOwner' | 'bNonce' | 'bBalance' | 'bSiblings'>
  } {
    const a = this.account(aIndex)
    const dummy = dummySignatureInputs()
    return {
      chunk: 0n,
      amount: 0n,
      addr: 0n,
      reqPkHash: 0n,
      Ax: dummy.key.x,
      Ay: dummy.key.y,
      R8x: dummy.signature.r8x,
      R8y: dummy.signature.r8y,
      S: dummy.signature.s,
      aIndex,
      aPkHash: a.pkHash,
      aOwner: a.owner,
      aNonce: a.nonce,
      aBalance: a.balances.slice(),
      aSiblings: this.siblings(aIndex),
      bIndex,
      fillB: () => {
        const b = this.account(bIndex)
        return {
          bPkHash: b.pkHash,
          bOwner: b.owner,
          bNonce: b.nonce,
          bBalance: b.balances.slice(),
          bSiblings: this.siblings(bIndex),
        }
      },
    }
  }

  private finish(base: ReturnType<ZkState['slotBase']>): SlotWitness {
    const { fillB, ...rest } = base
    return { ...rest, ...fillB() }
  }

  /** A slot that changes nothing: NOOP or a continuation chunk. */
  private idleSlot(chunk: bigint): SlotWitness {
    const base = this.slotBase(0, 0)
    base.chunk = chunk
    return this.finish(base)
  }

  /** Checks a priority request against the operation the block wants to make of it. */
  private checkRequest(op: DepositOp | FullExitOp | ChangePubKeyOp, request: PriorityRequest): void {
    const same =
      request.type === op.type &&
      (op.type === OpType.deposit
        ? request.address === op.owner &&
          request.token === op.token &&
          request.amount === op.amount &&
          request.pkHash === op.pkHash &&
          request.account === 0
        : op.type === OpType.fullExit
          ? request.address === op.requester && request.token === op.token && request.account === op.account
          : request.address === op.requester &&
            request.account === op.account &&
            request.pkHash === op.pkHash)
    if (!same) {
      refuse('ZK_PRIORITY_MISMATCH', `operation ${op.type} does not match the next L1 request`, { request })
    }
  }

  /**
   * Checks a signed transaction without applying it: the account's key, nonce, balance and the signature
   * (`verifySignature: false` when the caller already verified it, e.g. at admission).
   */
  checkSigned(tx: SignedZkTx, options: { verifySignature?: boolean } = {}): void {
    this.checkIndex(tx.from)
    this.checkToken(tx.token)
    this.checkAmount(tx.amount)
    const from = this.account(tx.from)
    if (from.pkHash === 0n) {
      refuse(
        'ZK_NO_L2_KEY',
        `account ${tx.from} has no L2 key: register one (deposit with a key or change-pubkey)`,
      )
    }
    if (pubKeyHash(tx.pubKey) !== from.pkHash) {
      refuse('INVALID_SIGNATURE', `the public key is not account ${tx.from}'s registered key`)
    }
    if (tx.nonce < from.nonce)
      refuse('NONCE_TOO_LOW', `nonce ${tx.nonce} is below account ${tx.from}'s ${from.nonce}`)
    if (tx.nonce > from.nonce)
      refuse('NONCE_TOO_HIGH', `nonce ${tx.nonce} is above account ${tx.from}'s ${from.nonce}`)
    if (from.nonce >= MAX_NONCE) refuse('NONCE_OVERFLOW', `account ${tx.from} has used all 2^32 nonces`)
    if ((from.balances[tx.token] as bigint) < tx.amount) {
      refuse(
        'INSUFFICIENT_BALANCE',
        `account ${tx.from} has ${from.balances[tx.token]} of token ${tx.token}, needs ${tx.amount}`,
      )
    }
    if (tx.type !== OpType.withdraw) {
      if (!isPackable(tx.amount)) {
        refuse(
          'AMOUNT_NOT_PACKABLE',
          `transfer amount ${tx.amount} has no packed form (at most ~10 significant digits)`,
        )
      }
      this.checkIndex(tx.to)
      const to = tx.to === tx.from ? from : this.account(tx.to)
      if (tx.type === OpType.transfer && to.owner === 0n) {
        refuse('UNKNOWN_ACCOUNT', `account ${tx.to} does not exist: use a transfer to a new account`)
      }
      if (tx.type === OpType.transferToNew && !isEmptyAccount(to)) {
        refuse('ZK_ACCOUNT_TAKEN', `account ${tx.to} is not empty`)
      }
      const after = (to.balances[tx.token] as bigint) + (tx.to === tx.from ? 0n : tx.amount)
      if (after > MAX_AMOUNT)
        refuse('BALANCE_OVERFLOW', `account ${tx.to}'s balance would exceed 2^56-1 units`)
    }
    if (tx.type !== OpType.transfer && (tx.toAddress <= 0n || tx.toAddress >> 160n !== 0n)) {
      refuse('INVALID_ADDRESS', `recipient address ${tx.toAddress} is not a non-zero 160-bit address`)
    }
    if (options.verifySignature !== false && !zkVerify(signedMessage(tx), tx.signature, tx.pubKey)) {
      refuse('INVALID_SIGNATURE', `the L2 signature does not verify for account ${tx.from}`)
    }
  }

  /** Applies an operation of a proven block (no checks beyond the request's presence). */
  applyProven(op: PubdataOp, request: PriorityRequest | undefined): void {
    const need = (): PriorityRequest => {
      if (request === undefined) refuse('ZK_PRIORITY_MISMATCH', `operation ${op.type} needs its L1 request`)
      return request
    }
    const credit = (index: number, token: number, amount: bigint, patch: Partial<Account> = {}): void => {
      const acc = this.account(index)
      const balances = acc.balances.slice()
      balances[token] = (balances[token] as bigint) + amount
      this.write(index, { ...acc, ...patch, balances })
    }
    switch (op.type) {
      case OpType.noop:
        return
      case OpType.deposit: {
        const r = need()
        const acc = this.account(op.account)
        credit(op.account, op.token, op.amount, {
          owner: r.address,
          pkHash: isEmptyAccount(acc) ? r.pkHash : acc.pkHash,
        })
        return
      }
      case OpType.transfer:
      case OpType.transferToNew:
      case OpType.withdraw: {
        const acc = this.account(op.from)
        credit(op.from, op.token, -op.amount, { nonce: acc.nonce + 1 })
        if (op.type === OpType.transfer) credit(op.to, op.token, op.amount)
        if (op.type === OpType.transferToNew) credit(op.to, op.token, op.amount, { owner: op.toAddress })
        return
      }
      case OpType.fullExit:
        need()
        if (op.amount > 0n) credit(op.account, op.token, -op.amount)
        return
      case OpType.changePubKey: {
        const r = need()
        const acc = this.account(op.account)
        if (acc.owner === r.address && r.address !== 0n) this.write(op.account, { ...acc, pkHash: r.pkHash })
        return
      }
    }
  }

  /**
   * Applies one operation; returns its slot witnesses (1 or 3). Priority operations take their L1 request, which
   * must match them. Throws (and changes nothing) if the circuit would reject the operation.
   */
  apply(
    op: ZkOp | SignedZkTx,
    options: { request?: PriorityRequest; verifySignature?: boolean } = {},
  ): SlotWitness[] {
    const chunks = opChunksOf(op)
    switch (op.type) {
      case OpType.noop:
        return [this.idleSlot(0n)]
      case OpType.deposit: {
        if (options.request === undefined) refuse('ZK_PRIORITY_MISMATCH', 'a deposit needs its L1 request')
        this.checkRequest(op, options.request)
        this.checkIndex(op.account)
        this.checkToken(op.token)
        this.checkAmount(op.amount)
        const acc = this.account(op.account)
        const empty = isEmptyAccount(acc)
        if (!empty && acc.owner !== op.owner) {
          refuse('ZK_ACCOUNT_TAKEN', `account ${op.account} belongs to another owner`, {
            account: op.account,
          })
        }
        const balance = (acc.balances[op.token] as bigint) + op.amount
        if (balance > MAX_AMOUNT)
          refuse('BALANCE_OVERFLOW', `account ${op.account}'s balance would exceed 2^56-1 units`)
        const base = this.slotBase(op.account, 0)
        base.chunk = chunks[0] as bigint
        base.amount = op.amount
        base.addr = op.owner
        base.reqPkHash = op.pkHash
        const balances = acc.balances.slice()
        balances[op.token] = balance
        this.write(op.account, {
          pkHash: empty ? op.pkHash : acc.pkHash,
          owner: op.owner,
          nonce: acc.nonce,
          balances,
        })
        return [this.finish(base)]
      }
      case OpType.fullExit: {
        if (options.request === undefined) refuse('ZK_PRIORITY_MISMATCH', 'a full exit needs its L1 request')
        this.checkIndex(op.account)
        this.checkToken(op.token)
        const acc = this.account(op.account)
        const amount =
          acc.owner === op.requester && op.requester !== 0n ? (acc.balances[op.token] as bigint) : 0n
        const resolved: FullExitOp = { ...op, amount }
        this.checkRequest(resolved, options.request)
        const base = this.slotBase(op.account, 0)
        base.chunk = opChunksOf(resolved)[0] as bigint
        base.amount = amount
        base.addr = op.requester
        if (amount > 0n) {
          const balances = acc.balances.slice()
          balances[op.token] = 0n
          this.write(op.account, { ...acc, balances })
        }
        return [this.finish(base)]
      }
      case OpType.changePubKey: {
        if (options.request === undefined)
          refuse('ZK_PRIORITY_MISMATCH', 'a change-pubkey needs its L1 request')
        this.checkRequest(op, options.request)
        this.checkIndex(op.account)
        const acc = this.account(op.account)
        const base = this.slotBase(op.account, 0)
        base.chunk = chunks[0] as bigint
        base.addr = op.requester
        base.reqPkHash = op.pkHash
        if (acc.owner === op.requester && op.requester !== 0n)
          this.write(op.account, { ...acc, pkHash: op.pkHash })
        return [this.finish(base)]
      }
      case OpType.transfer:
      case OpType.transferToNew:
      case OpType.withdraw: {
        if (!('signature' in op)) refuse('INVALID_SIGNATURE', 'a transfer or withdrawal must be signed')
        this.checkSigned(op, options.verifySignature === false ? { verifySignature: false } : {})
        const from = this.account(op.from)
        const toIndex = op.type === OpType.withdraw ? 0 : op.to
        const base = this.slotBase(op.from, toIndex)
        base.chunk = chunks[0] as bigint
        base.amount = op.amount
        base.addr = op.type === OpType.transfer ? 0n : op.toAddress
        base.Ax = op.pubKey.x
        base.Ay = op.pubKey.y
        base.R8x = op.signature.r8x
        base.R8y = op.signature.r8y
        base.S = op.signature.s
        const fromBalances = from.balances.slice()
        fromBalances[op.token] = (fromBalances[op.token] as bigint) - op.amount
        this.write(op.from, { ...from, nonce: from.nonce + 1, balances: fromBalances })
        if (op.type !== OpType.withdraw) {
          const to = this.account(op.to)
          const toBalances = to.balances.slice()
          toBalances[op.token] = (toBalances[op.token] as bigint) + op.amount
          const owner = op.type === OpType.transferToNew ? op.toAddress : to.owner
          // B's witness is read after A's update, exactly as the circuit reads B's path
          const slot = this.finish(base)
          this.write(op.to, { ...to, owner, balances: toBalances })
          return [slot, ...chunks.slice(1).map((c) => this.idleSlot(c))]
        }
        const slot = this.finish(base)
        return [slot, ...chunks.slice(1).map((c) => this.idleSlot(c))]
      }
    }
  }
}

/**
 * Applies a block's decoded pubdata to `state` without signature checks: the block was proven on L1, so its
 * operations are valid. This is how anyone rebuilds the state from L1 data alone (exodus, a restarted follower).
 * `requests` are the block's priority requests in order (deposits need their owner and key from L1).
 */
export function applyProvenPubdata(
  state: ZkState,
  ops: readonly PubdataOp[],
  requests: readonly PriorityRequest[],
): void {
  let next = 0
  const request = (): PriorityRequest => {
    const r = requests[next++]
    if (r === undefined) refuse('ZK_PRIORITY_MISMATCH', 'the block consumes more L1 requests than were given')
    return r
  }
  for (const op of ops) state.applyProven(op, isPriorityOp(op.type) ? request() : undefined)
  if (next !== requests.length) {
    refuse('ZK_PRIORITY_MISMATCH', `the block consumed ${next} L1 requests, ${requests.length} were given`)
  }
}

/** A block ready to prove: its data for L1 and the circuit's full input. */
export type BlockWitness = {
  oldRoot: bigint
  newRoot: bigint
  pBefore: bigint
  pAfter: bigint
  pubdata: Uint8Array
  commitment: bigint
  /** priority requests consumed */
  priorityOps: number
  /** circuit input (signal name → value(s)), ready for snarkjs */
  input: Record<string, unknown>
}

/** One operation of a block with what it needs: its L1 request (priority operations). */
export type BlockItem = { op: ZkOp | SignedZkTx; request?: PriorityRequest }

/** The block operation an L1 request becomes (`account`: where the sequencer put a deposit). */
export function requestItem(r: PriorityRequest, account: number): BlockItem {
  switch (r.type) {
    case OpType.deposit:
      return {
        op: { type: r.type, account, token: r.token, amount: r.amount, owner: r.address, pkHash: r.pkHash },
        request: r,
      }
    case OpType.fullExit:
      return {
        op: { type: r.type, account: r.account, token: r.token, requester: r.address, amount: 0n },
        request: r,
      }
    case OpType.changePubKey:
      return { op: { type: r.type, account: r.account, requester: r.address, pkHash: r.pkHash }, request: r }
  }
}

/**
 * Applies `items` to `state` (mutating it) and builds the block's witness, padded with NOOPs to `chunks`.
 * `pBefore` = the L1 priority chain hash before the block's first request.
 */
export function buildBlock(
  state: ZkState,
  items: readonly BlockItem[],
  chunks: number,
  pBefore: bigint,
  options: { verifySignatures?: boolean } = {},
): BlockWitness {
  const oldRoot = state.root()
  const slots: SlotWitness[] = []
  const ops: ZkOp[] = []
  let p = pBefore
  let priorityOps = 0
  for (const item of items) {
    const applyOptions: { request?: PriorityRequest; verifySignature?: boolean } = {}
    if (item.request !== undefined) applyOptions.request = item.request
    if (options.verifySignatures === false) applyOptions.verifySignature = false
    const needed = opChunksOf(item.op).length
    if (slots.length + needed > chunks) {
      refuse('ZK_BLOCK_FULL', `operation needs ${needed} chunks, ${chunks - slots.length} left in the block`)
    }
    const produced = state.apply(item.op, applyOptions)
    slots.push(...produced)
    if (item.op.type === OpType.fullExit) {
      // the chunk carries the amount actually withdrawn
      const amount = produced[0]?.amount ?? 0n
      ops.push({ ...item.op, amount })
    } else {
      ops.push(item.op)
    }
    if (item.request !== undefined) {
      p = nextPriorityHash(p, item.request)
      priorityOps++
    }
  }
  while (slots.length < chunks) slots.push(state.apply({ type: OpType.noop })[0] as SlotWitness)
  const newRoot = state.root()
  const pubdata = encodePubdata(ops, chunks)
  const commitment = blockCommitment(oldRoot, newRoot, pBefore, p, pubdata)
  const column = <K extends keyof SlotWitness>(key: K) => slots.map((s) => s[key])
  const input: Record<string, unknown> = { commitment, oldRoot, pBefore }
  for (const key of Object.keys(slots[0] as SlotWitness) as (keyof SlotWitness)[]) input[key] = column(key)
  return { oldRoot, newRoot, pBefore, pAfter: p, pubdata, commitment, priorityOps, input }
}

/** A signed transaction's id: keccak256(its chunks ‖ nonce (4 bytes) ‖ R8x ‖ R8y ‖ S), 0x-hex. */
export function zkTxHash(tx: SignedZkTx): Hex {
  const chunks = opChunksOf(tx)
  const bytes = new Uint8Array(chunks.length * 10 + 4 + 96)
  chunks.forEach((c, i) => {
    let v = c
    for (let j = 9; j >= 0; j--) {
      bytes[i * 10 + j] = Number(v & 0xffn)
      v >>= 8n
    }
  })
  const o = chunks.length * 10
  new DataView(bytes.buffer).setUint32(o, tx.nonce)
  bytes.set(fieldToBytes(tx.signature.r8x), o + 4)
  bytes.set(fieldToBytes(tx.signature.r8y), o + 36)
  bytes.set(fieldToBytes(tx.signature.s), o + 68)
  return bytesToHex(keccak_256(bytes))
}
