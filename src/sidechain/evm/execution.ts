/**
 * The sidechain's execution layer: what a validator node asks of the EVM chain. It admits transactions to the
 * mempool (`checkTx`), builds the next block as a proposer (`buildBlock`), checks a proposed block by re-executing
 * it (`executeBlock`), commits a decided block with its certificate (`commitBlock`: one durable LMDB transaction),
 * and answers reads (blocks, the commit certificates, withdrawals, state, calls) for the node and the JSON-RPC.
 *
 * State: the head's accounts, code and storage in the chain store, read through a warm cache (`HeadState`); a block
 * executes on an in-memory overlay (`OverlayState`) whose diff the commit writes. The state root is a hash chain of
 * those diffs (`stateRoot.ts`), not a Merkle-Patricia root: `eth_getProof` is not offered.
 *
 * Every operation on the head (build, execute, commit, genesis) runs one at a time, in call order; reads never
 * wait. A block's execution is cached by its hash, so `commitBlock` after `executeBlock` (or `buildBlock`) does not
 * execute it again.
 *
 * The EVM is ethereumjs' at the chosen hardfork (Prague by default) without its beacon-chain parts: no blob
 * transactions (BLOBHASH is 0, BLOBBASEFEE 1), no EIP-4788 beacon-root or EIP-2935 history system contracts
 * (BLOCKHASH reads the committed blocks' hashes, 256 back), PREVRANDAO is the parent's hash (not randomness), the
 * base fee is a fixed chain parameter (burnt) and the priority fee goes to the proposer (COINBASE). The pairing
 * precompiles are priced `pairingGasFactor` × Ethereum's (see `evmParams`).
 */
import type { Common } from '@ethereumjs/common'
import { Address as EthAddress, KECCAK256_NULL } from '@ethereumjs/util'
import { encodeFunctionData } from 'viem'
import { bytesToHex, hexToBytes } from '../../core/bytes.ts'
import { isL2kitError, L2kitError } from '../../core/errors.ts'
import { keccak256 } from '../../core/hash.ts'
import type { Logger } from '../../core/logger.ts'
import type { Address, Hex } from '../../core/types.ts'
import { l2BridgeAbi, l2BridgeBytecode } from '../../generated/contracts.ts'
import type { Store } from '../../node/store.ts'
import { SidechainChainStore, type StoredBlock, type StoredTx } from '../chainStore.ts'
import { L2_BRIDGE_ADDRESS, SYSTEM_ADDRESS } from '../protocol/addresses.ts'
import {
  type BlockHeader,
  type BlockLog,
  blockHash,
  checkBlockBody,
  type Deposit,
  depositsRoot,
  encodeBlock,
  genesisHeader,
  logsBloom,
  MAX_BLOCK_WITHDRAWALS,
  type Receipt,
  receiptsRoot,
  type SidechainBlock,
  txsRootOfHashes,
  validatorsHash,
  type Withdrawal,
  withdrawalsRoot,
  ZERO_HASH,
} from '../protocol/block.ts'
import { SidechainErrorCode } from '../protocol/errors.ts'
import type { SignedVote } from '../protocol/messages.ts'
import { type Validator, validatorSetProblems } from '../protocol/validatorSet.ts'
import { EMPTY_STATE, HeadState, HistoricalState } from './committedState.ts'
import {
  blockHashSource,
  evmParams,
  newEvm,
  type SidechainHardfork,
  SUPPORTED_HARDFORKS,
  sidechainCommon,
} from './evmFactory.ts'
import {
  type BlockEnv,
  type ExecContext,
  evmBlock,
  executeSystemCall,
  executeTx,
  runInitCode,
  staticProblem,
  type TxOutcome,
  txProblem,
} from './executor.ts'
import { OverlayState, type StateDiff, type StateReader } from './overlayState.ts'
import { nextStateRoot } from './stateRoot.ts'
import { decodeTx, type PoolTx, parseTx, recoverTx, type TxRules } from './tx.ts'

export { L2_BRIDGE_ADDRESS, SYSTEM_ADDRESS } from '../protocol/addresses.ts'
/** `WithdrawalInitiated(uint256 indexed id, address indexed from, address indexed to, address l1Token, uint256 amount)`. */
export const WITHDRAWAL_INITIATED_TOPIC: Hex = bytesToHex(
  keccak256(new TextEncoder().encode('WithdrawalInitiated(uint256,address,address,address,uint256)')),
)
/** Gas a deposit finalization may use (EIP-4788's system-call budget); charged to no one. */
export const SYSTEM_CALL_GAS = 30_000_000n

export type SidechainGenesis = {
  /** Wei per address at block 0. */
  alloc: Record<Address, bigint>
  /** Unix seconds of block 0. */
  timestamp: number
  /** The L1 StakeManager epoch of the genesis validator set (0 when omitted). */
  epoch?: bigint
  /** The genesis validator set in canonical order (what block 0's `nextValidatorsHash` names; none when omitted). */
  validators?: readonly Validator[]
}

/** A move to a newer L1 epoch's validator set, carried by the block that makes it. */
export type ValidatorUpdate = { epoch: bigint; validators: Validator[] }

export type SidechainExecutionOptions = {
  /** EIP-155 chain id of the sidechain. */
  chainId: bigint
  /** Gas limit of every block. */
  gasLimit: bigint
  /** Wei per gas of every block: a fixed chain parameter, burnt; the priority fee goes to the proposer. */
  baseFee: bigint
  hardfork: SidechainHardfork
  genesis: SidechainGenesis
  /** Most gas an eth_call / eth_estimateGas may use (geth's RPCGasCap). */
  callGasCap: bigint
  /** Creation code of the L2 bridge predeploy (default: the generated `L2Bridge`). */
  bridgeCreationCode: Hex
  /**
   * The pairing precompiles (BN254, BLS12-381) cost this many times Ethereum's gas (evmFactory.ts `evmParams`):
   * ethereumjs runs them ~10× slower than geth, and at Ethereum's price one block of pairings would stall every
   * validator for ~10 s. Default 10; 1 restores Ethereum's schedule exactly.
   */
  pairingGasFactor: bigint
}

export const defaultSidechainExecutionOptions: Omit<SidechainExecutionOptions, 'chainId' | 'genesis'> = {
  gasLimit: 30_000_000n,
  baseFee: 1_000_000_000n,
  hardfork: 'prague',
  callGasCap: 50_000_000n,
  bridgeCreationCode: l2BridgeBytecode as Hex,
  pairingGasFactor: 10n,
}

export type SidechainExecutionModules = { store: Store; logger: Logger }

/** A withdrawal with where it is: its block and its index among that block's withdrawals (its tree leaf). */
export type LocatedWithdrawal = Withdrawal & { blockNumber: bigint; index: number }

export type BuildResult = {
  block: SidechainBlock
  hash: Hex
  /**
   * Candidates left out, with why: `code` is the typed error's (NONCE_TOO_LOW and INSUFFICIENT_BALANCE will not get
   * better on later heads except by new funds; NONCE_TOO_HIGH, a gap, may; SIDECHAIN_INVALID_TX "exceeds block gas
   * limit" only did not fit in this block), `reason` geth's wording.
   */
  dropped: { hash: Hex; reason: string; code: string }[]
}

/** What executing a block gave: everything the commit writes. */
type Executed = {
  hash: Hex
  block: SidechainBlock
  stored: StoredBlock
  diff: StateDiff
  nextDepositId: bigint
}

function problems(o: SidechainExecutionOptions): string[] {
  const p: string[] = []
  if (typeof o.chainId !== 'bigint' || o.chainId < 1n || o.chainId > BigInt(Number.MAX_SAFE_INTEGER))
    p.push('chainId must be a bigint in [1, 2^53)')
  if (typeof o.gasLimit !== 'bigint' || o.gasLimit < 21_000n || o.gasLimit > 1_000_000_000n)
    p.push('gasLimit must be a bigint in [21000, 1e9]')
  if (typeof o.baseFee !== 'bigint' || o.baseFee < 0n || o.baseFee >= 1n << 128n)
    p.push('baseFee must be a non-negative bigint below 2^128')
  if (!SUPPORTED_HARDFORKS.includes(o.hardfork))
    p.push(`hardfork must be one of ${SUPPORTED_HARDFORKS.join(', ')}`)
  if (typeof o.callGasCap !== 'bigint' || o.callGasCap < 21_000n)
    p.push('callGasCap must be a bigint ≥ 21000')
  if (typeof o.pairingGasFactor !== 'bigint' || o.pairingGasFactor < 1n || o.pairingGasFactor > 1_000n)
    p.push('pairingGasFactor must be a bigint in [1, 1000]')
  if (typeof o.bridgeCreationCode !== 'string' || !/^0x([0-9a-fA-F]{2})+$/.test(o.bridgeCreationCode))
    p.push('bridgeCreationCode must be hex bytes')
  const g = o.genesis as SidechainGenesis | undefined
  if (g === undefined || typeof g !== 'object') p.push('genesis is required: { alloc, timestamp }')
  else {
    if (!Number.isSafeInteger(g.timestamp) || g.timestamp < 0)
      p.push('genesis.timestamp must be unix seconds')
    if (typeof g.alloc !== 'object' || g.alloc === null) p.push('genesis.alloc must map addresses to wei')
    else
      for (const [a, wei] of Object.entries(g.alloc)) {
        if (!/^0x[0-9a-fA-F]{40}$/.test(a)) p.push(`genesis.alloc: ${a} is not an address`)
        if (typeof wei !== 'bigint' || wei < 0n || wei >= 1n << 256n)
          p.push(`genesis.alloc[${a}] must be wei (bigint)`)
      }
  }
  return p
}

/** Validated options with defaults; throws `SIDECHAIN_INVALID_OPTIONS` listing every problem. */
export function resolveSidechainExecutionOptions(
  options: Partial<SidechainExecutionOptions> & Pick<SidechainExecutionOptions, 'chainId' | 'genesis'>,
): SidechainExecutionOptions {
  const o = { ...defaultSidechainExecutionOptions, ...options } as SidechainExecutionOptions
  const p = problems(o)
  if (p.length > 0) {
    throw new L2kitError(
      SidechainErrorCode.invalidOptions,
      `invalid sidechain execution options: ${p.join('; ')}`,
      {
        details: { problems: p },
      },
    )
  }
  return o
}

function invalidBlock(reason: string, details: Record<string, unknown> = {}): L2kitError {
  return new L2kitError(SidechainErrorCode.invalidBlock, `invalid block: ${reason}`, { details })
}

const WORD = 64

/** The bridge's `WithdrawalInitiated` logs in a block's successful receipts, in order. */
function withdrawalsOf(txs: readonly StoredTx[]): Withdrawal[] {
  const out: Withdrawal[] = []
  for (const t of txs) {
    if (t.status !== 1) continue
    for (const log of t.logs) {
      if (log.address !== L2_BRIDGE_ADDRESS || log.topics[0] !== WITHDRAWAL_INITIATED_TOPIC) continue
      if (log.topics.length !== 4 || log.data.length !== 2 + 2 * WORD) continue
      out.push({
        id: BigInt(log.topics[1] as Hex),
        from: `0x${(log.topics[2] as Hex).slice(26)}` as Address,
        to: `0x${(log.topics[3] as Hex).slice(26)}` as Address,
        token: `0x${log.data.slice(2 + 24, 2 + WORD)}` as Address,
        amount: BigInt(`0x${log.data.slice(2 + WORD)}`),
      })
    }
  }
  return out
}

/** One operation on the head at a time. */
class Serial {
  #tail: Promise<unknown> = Promise.resolve()
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#tail.then(fn, fn)
    this.#tail = next.catch(() => undefined)
    return next
  }
}

/** A bounded map of decoded transactions (oldest forgotten first). */
class TxCache {
  readonly #map = new Map<string, PoolTx>()
  readonly #max: number
  constructor(max: number) {
    this.#max = max
  }
  get(key: string): PoolTx | undefined {
    return this.#map.get(key)
  }
  set(key: string, tx: PoolTx): void {
    if (this.#map.size >= this.#max) this.#map.delete(this.#map.keys().next().value as string)
    this.#map.set(key, tx)
  }
}

export class SidechainExecution {
  readonly options: SidechainExecutionOptions
  readonly chainStore: SidechainChainStore
  readonly #logger: Logger
  readonly #common: Common
  readonly #rules: TxRules
  readonly #headState: HeadState
  readonly #serial = new Serial()
  readonly #executed = new Map<Hex, Executed>()
  readonly #txs = new TxCache(65_536)
  readonly #listeners = new Set<(block: StoredBlock) => void>()
  readonly #txGasCap: bigint | undefined
  readonly #evmParams: ReturnType<typeof evmParams>
  #head: StoredBlock | undefined

  private constructor(options: SidechainExecutionOptions, modules: SidechainExecutionModules) {
    this.options = options
    this.#logger = modules.logger
    this.chainStore = SidechainChainStore.open(modules.store)
    this.#common = sidechainCommon(options.chainId, options.hardfork)
    this.#rules = { chainId: options.chainId, calldataFloor: this.#common.isActivatedEIP(7623) }
    this.#txGasCap = this.#common.isActivatedEIP(7825) ? 1n << 24n : undefined
    this.#evmParams = evmParams(options.pairingGasFactor)
    this.#headState = new HeadState(this.chainStore)
    this.#head = this.chainStore.head()
  }

  /** Opens the execution over `modules.store`: writes genesis on an empty store, checks it on a used one. */
  static async create(
    options: Partial<SidechainExecutionOptions> & Pick<SidechainExecutionOptions, 'chainId' | 'genesis'>,
    modules: SidechainExecutionModules,
  ): Promise<SidechainExecution> {
    const execution = new SidechainExecution(resolveSidechainExecutionOptions(options), modules)
    await execution.#initGenesis()
    return execution
  }

  // ---- genesis ----

  async #genesis(): Promise<{ stored: StoredBlock; diff: StateDiff }> {
    const o = this.options
    const state = new OverlayState(EMPTY_STATE)
    const env: BlockEnv = {
      number: 0n,
      timestamp: o.genesis.timestamp,
      coinbase: `0x${'00'.repeat(20)}`,
      gasLimit: o.gasLimit,
      baseFee: o.baseFee,
      prevRandao: new Uint8Array(32),
    }
    const ctx = await this.#context(state, env)
    for (const [address, wei] of Object.entries(o.genesis.alloc)) {
      const key = address.slice(2).toLowerCase()
      const prev = state.accountRecord(key)
      state.setAccountRecord(key, {
        nonce: prev?.nonce ?? 0n,
        balance: wei,
        codeHash: prev?.codeHash ?? KECCAK256_NULL,
      })
    }
    const runtime = await runInitCode(
      ctx,
      SYSTEM_ADDRESS,
      L2_BRIDGE_ADDRESS,
      hexToBytes(o.bridgeCreationCode),
    )
    const bridge = new EthAddress(hexToBytes(L2_BRIDGE_ADDRESS))
    await state.putCode(bridge, runtime)
    await state.modifyAccountFields(bridge, { nonce: 1n })
    const diff = state.diff()
    const header = genesisHeader({
      timestamp: o.genesis.timestamp,
      gasLimit: o.gasLimit,
      baseFee: o.baseFee,
      stateRoot: nextStateRoot(ZERO_HASH, diff),
      epoch: o.genesis.epoch ?? 0n,
      validators: o.genesis.validators ?? [],
    })
    const hash = blockHash(header)
    return { stored: { number: 0n, hash, header, txs: [], deposits: [], withdrawals: [] }, diff }
  }

  async #initGenesis(): Promise<void> {
    const { stored, diff } = await this.#genesis()
    // What execution depends on beyond the genesis block itself (which commits to the alloc, the predeploy, the
    // gas limit, the base fee and the timestamp).
    const config = {
      chainId: this.options.chainId,
      hardfork: this.options.hardfork,
      pairingGasFactor: this.options.pairingGasFactor,
      genesisHash: stored.hash,
    }
    const existing = this.chainStore.getBlock(0n)
    if (existing !== undefined) {
      const kept = this.chainStore.config<typeof config>()
      const differs =
        existing.hash !== stored.hash ||
        (kept !== undefined &&
          (kept.chainId !== config.chainId ||
            kept.hardfork !== config.hardfork ||
            (kept.pairingGasFactor ?? config.pairingGasFactor) !== config.pairingGasFactor))
      if (differs) {
        throw new L2kitError(
          SidechainErrorCode.invalidOptions,
          `the store holds another chain: genesis ${existing.hash} (chain ${kept?.chainId}, ${kept?.hardfork}), these options make ${stored.hash} (chain ${config.chainId}, ${config.hardfork})`,
          { details: { stored: existing.hash, expected: stored.hash } },
        )
      }
      return
    }
    await this.chainStore.commitBlockAtomically(stored, diff, [], 0n, config)
    this.#head = stored
    this.#logger.info({ hash: stored.hash, stateRoot: stored.header.stateRoot }, 'sidechain genesis written')
  }

  // ---- contexts ----

  async #context(state: OverlayState, env: BlockEnv): Promise<ExecContext> {
    const evm = await newEvm(
      this.#common,
      state,
      blockHashSource((n) => this.#hashOf(n)),
      this.#evmParams,
    )
    return { evm, state, common: this.#common, env, block: evmBlock(env), txGasCap: this.#txGasCap }
  }

  /** Hashes of recent blocks (BLOCKHASH reaches 256 back) without decoding whole stored blocks. */
  readonly #recentHashes = new Map<bigint, Hex>()
  #hashOf(n: bigint): Hex | undefined {
    const known = this.#recentHashes.get(n)
    if (known !== undefined) return known
    const h = this.chainStore.getBlock(n)?.hash
    if (h !== undefined) {
      if (this.#recentHashes.size >= 512)
        this.#recentHashes.delete(this.#recentHashes.keys().next().value as bigint)
      this.#recentHashes.set(n, h)
    }
    return h
  }

  /**
   * The reader of the state at the end of block `at` (`'head'`: the committed head, cached). A head reader stays
   * on the block it was taken at: once a later block is committed it answers from the history, so a call that
   * spans a commit never mixes two states.
   */
  stateReader(at: bigint | 'head'): StateReader {
    const head = this.head().number
    const n = at === 'head' ? head : at
    if (n !== head) return new HistoricalState(this.chainStore, n)
    const live = this.#headState
    let past: HistoricalState | undefined
    const current = (): StateReader => {
      if (this.head().number === n) return live
      past ??= new HistoricalState(this.chainStore, n)
      return past
    }
    return {
      account: (address) => current().account(address),
      storage: (address, slot) => current().storage(address, slot),
      hasStorage: (address) => current().hasStorage(address),
      code: (codeHash) => live.code(codeHash),
    }
  }

  /** Seeds the decoded-transaction cache with a transaction recovered elsewhere (the node's recovery pool). */
  rememberTx(tx: PoolTx): void {
    this.#txs.set(tx.raw.toLowerCase(), tx)
  }

  /** A fresh execution context over the state at the end of `at`, as if in the next block (calls). */
  async callContext(at: bigint | 'head', overrides: { timestamp?: number } = {}): Promise<ExecContext> {
    const head = this.head()
    const base = at === 'head' ? head : (this.chainStore.getBlock(at) ?? head)
    const state = new OverlayState(this.stateReader(at))
    return this.#context(state, {
      number: base.number + 1n,
      timestamp: overrides.timestamp ?? Math.max(base.header.timestamp, Math.floor(Date.now() / 1000)),
      coinbase: base.header.proposer,
      gasLimit: this.options.gasLimit,
      baseFee: this.options.baseFee,
      prevRandao: hexToBytes(base.hash),
    })
  }

  get txRules(): TxRules {
    return this.#rules
  }

  get txGasCap(): bigint | undefined {
    return this.#txGasCap
  }

  // ---- reads ----

  head(): StoredBlock {
    const h = this.#head
    if (h === undefined) throw new L2kitError(SidechainErrorCode.invalidState, 'the chain has no genesis yet')
    return h
  }

  block(number: bigint): StoredBlock | undefined {
    if (number > this.head().number || number < 0n) return undefined
    if (number === this.head().number) return this.head()
    // Committed blocks never change (BFT finality): recent ones are kept decoded for the RPC's range reads.
    const cached = this.#recentBlocks.get(number)
    if (cached !== undefined) return cached
    const b = this.chainStore.getBlock(number)
    if (b !== undefined) {
      if (this.#recentBlocks.size >= 64)
        this.#recentBlocks.delete(this.#recentBlocks.keys().next().value as bigint)
      this.#recentBlocks.set(number, b)
    }
    return b
  }

  readonly #recentBlocks = new Map<bigint, StoredBlock>()

  blockByHash(hash: Hex): StoredBlock | undefined {
    const b = this.chainStore.getBlockByHash(hash)
    return b !== undefined && b.number <= this.head().number ? b : undefined
  }

  /** A committed transaction with its block and index. */
  transaction(hash: Hex): { tx: StoredTx; block: StoredBlock; index: number } | undefined {
    const loc = this.chainStore.getTxLocation(hash)
    if (loc === undefined || loc.blockNumber > this.head().number) return undefined
    const block = this.block(loc.blockNumber)
    const tx = block?.txs[loc.index]
    return block && tx ? { tx, block, index: loc.index } : undefined
  }

  commitOf(number: bigint): SignedVote[] | undefined {
    return number > this.head().number ? undefined : this.chainStore.commitOf(number)
  }

  nextDepositId(): bigint {
    return this.chainStore.nextDepositId()
  }

  stateRoot(number: bigint): Hex | undefined {
    return this.block(number)?.header.stateRoot
  }

  /** Withdrawals started in blocks `fromBlock..toBlock` (inclusive, clamped to the head), in order. */
  withdrawals(fromBlock: bigint, toBlock: bigint): LocatedWithdrawal[] {
    const out: LocatedWithdrawal[] = []
    const last = toBlock < this.head().number ? toBlock : this.head().number
    for (let n = fromBlock < 0n ? 0n : fromBlock; n <= last; n++) {
      const b = this.block(n)
      b?.withdrawals.forEach((w, index) => {
        out.push({ ...w, blockNumber: n, index })
      })
    }
    return out
  }

  /** Called with every committed block, in order, once it is durable and the head. */
  onCommit(listener: (block: StoredBlock) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  // ---- mempool admission ----

  /**
   * Decodes and checks a signed transaction for the mempool against the head state: type (legacy EIP-155 or
   * type 2), chain id, signature, size, intrinsic gas ≤ gas limit ≤ block gas limit, maxFee ≥ baseFee,
   * nonce ≥ the sender's, balance ≥ gasLimit · maxFee + value. `sender`: an already recovered sender (skips the
   * recovery; the caller vouches for it). Throws the typed error (NONCE_TOO_LOW, INSUFFICIENT_BALANCE, …).
   */
  async checkTx(raw: Hex, options: { sender?: Address } = {}): Promise<PoolTx> {
    const tx = this.#decode(raw, options.sender)
    const account = this.#headState.account(tx.from.slice(2)) ?? {
      nonce: 0n,
      balance: 0n,
      codeHash: KECCAK256_NULL,
    }
    if (tx.nonce < account.nonce) {
      throw new L2kitError(
        'NONCE_TOO_LOW',
        `nonce too low: next nonce ${account.nonce}, tx nonce ${tx.nonce}`,
        {
          details: { sender: tx.from, accountNonce: account.nonce.toString(), txNonce: tx.nonce.toString() },
        },
      )
    }
    const problem = staticProblem(tx, account, this.options.baseFee, this.options.gasLimit, this.#txGasCap)
    if (problem !== undefined) throw problem
    return tx
  }

  /**
   * Decodes (and recovers, unless given) a raw transaction; remembered by its raw bytes, so a transaction the
   * mempool admitted is not recovered again when a proposed block contains it.
   */
  #decode(raw: Hex, sender?: Address): PoolTx {
    const key = raw.toLowerCase()
    const cached = this.#txs.get(key)
    if (cached !== undefined) return cached
    const tx =
      sender === undefined ? recoverTx(decodeTx(raw, this.#rules)) : parseTx(raw, this.#rules, sender)
    this.#txs.set(key, tx)
    return tx
  }

  // ---- blocks ----

  /**
   * Builds the next block on the head as its proposer: the deposits in order (ETH credited directly, ERC-20 through
   * the bridge predeploy as a system call), then the candidates in the given order, leaving out (`dropped`) those
   * not executable now. A reverted transaction is included (status 0).
   */
  buildBlock(input: {
    timestamp: number
    proposer: Address
    deposits: readonly Deposit[]
    candidates: readonly PoolTx[]
    /** A newer L1 epoch's validator set to move to (decides from the next height on). */
    validatorUpdate?: ValidatorUpdate
  }): Promise<BuildResult> {
    return this.#serial.run(async () => {
      const head = this.head()
      if (!Number.isSafeInteger(input.timestamp) || input.timestamp < head.header.timestamp) {
        throw invalidBlock(`timestamp ${input.timestamp} is before the parent's ${head.header.timestamp}`)
      }
      this.#checkDeposits(input.deposits)
      this.#checkUpdate(head, input.validatorUpdate)
      const env = this.#env(head, input.timestamp, input.proposer.toLowerCase() as Address)
      const state = new OverlayState(this.#headState)
      const ctx = await this.#context(state, env)
      await this.#applyDeposits(ctx, input.deposits)
      const dropped: BuildResult['dropped'] = []
      const included: { tx: PoolTx; outcome: TxOutcome }[] = []
      let gasUsed = 0n
      let withdrawalCount = 0
      for (const tx of input.candidates) {
        const problem = txProblem(state, tx, env.baseFee, env.gasLimit - gasUsed, this.#txGasCap)
        if (problem !== undefined) {
          dropped.push({ hash: tx.hash, reason: problem.message, code: problem.code })
          continue
        }
        await state.checkpoint()
        let outcome: TxOutcome
        try {
          outcome = await executeTx(ctx, tx)
        } catch (err) {
          await state.revert()
          this.#logger.error({ err, hash: tx.hash }, 'transaction execution failed inside the EVM')
          dropped.push({
            hash: tx.hash,
            reason: `execution failed: ${(err as Error).message}`,
            code: SidechainErrorCode.invalidTx,
          })
          continue
        }
        const w = withdrawalsOf([{ status: outcome.status, logs: outcome.logs } as StoredTx]).length
        if (withdrawalCount + w > MAX_BLOCK_WITHDRAWALS) {
          await state.revert()
          dropped.push({
            hash: tx.hash,
            reason: 'the block’s withdrawals tree is full',
            code: SidechainErrorCode.invalidTx,
          })
          continue
        }
        await state.commit()
        withdrawalCount += w
        gasUsed += outcome.gasUsed
        included.push({ tx, outcome })
      }
      const executed = this.#assemble(head, env, input.deposits, included, state, input.validatorUpdate)
      this.#remember(executed)
      return { block: executed.block, hash: executed.hash, dropped }
    })
  }

  /**
   * A validator's check of a proposed block on the head: body roots, number, parent, timestamp, gas limit, base
   * fee, deposits consecutive from `nextDepositId()`, every transaction valid where it stands, and every header
   * field equal to the re-execution's. Resolves to its hash; throws `SIDECHAIN_INVALID_BLOCK` with the reason (and
   * `SIDECHAIN_MALFORMED_BLOCK` for a block that does not fit the format); changes no state.
   */
  executeBlock(block: SidechainBlock): Promise<Hex> {
    return this.#serial.run(async () => (await this.#execute(block)).hash)
  }

  async #execute(block: SidechainBlock): Promise<Executed> {
    const hash = blockHash(block.header)
    const cached = this.#executed.get(hash)
    if (cached !== undefined && cached.block.header.parentHash === this.head().hash) return cached
    encodeBlock(block) // shape and size (SIDECHAIN_MALFORMED_BLOCK)
    const head = this.head()
    const h = block.header
    if (h.number !== head.number + 1n)
      throw invalidBlock(`number ${h.number}, the next is ${head.number + 1n}`)
    if (h.parentHash !== head.hash) throw invalidBlock(`parent ${h.parentHash} is not the head ${head.hash}`)
    if (h.timestamp < head.header.timestamp)
      throw invalidBlock(`timestamp ${h.timestamp} is before the parent's ${head.header.timestamp}`)
    if (h.gasLimit !== this.options.gasLimit)
      throw invalidBlock(`gas limit ${h.gasLimit} is not ${this.options.gasLimit}`)
    if (h.baseFee !== this.options.baseFee)
      throw invalidBlock(`base fee ${h.baseFee} is not ${this.options.baseFee}`)
    const txs = block.txs.map((raw, i) => {
      try {
        return this.#decode(raw)
      } catch (err) {
        if (!isL2kitError(err)) throw err
        throw invalidBlock(`transaction ${i}: ${err.message}`, { index: i, code: err.code })
      }
    })
    checkBlockBody(
      block,
      txs.map((t) => t.hash),
    )
    this.#checkDeposits(block.deposits)
    const update =
      block.validators === undefined ? undefined : { epoch: h.epoch, validators: block.validators }
    this.#checkUpdate(head, update)
    const env = this.#env(head, h.timestamp, h.proposer)
    const state = new OverlayState(this.#headState)
    const ctx = await this.#context(state, env)
    await this.#applyDeposits(ctx, block.deposits)
    const included: { tx: PoolTx; outcome: TxOutcome }[] = []
    let gasUsed = 0n
    for (const [i, tx] of txs.entries()) {
      const problem = txProblem(state, tx, env.baseFee, env.gasLimit - gasUsed, this.#txGasCap)
      if (problem !== undefined) {
        throw invalidBlock(`transaction ${i} (${tx.hash}) is not valid here: ${problem.message}`, {
          index: i,
          code: problem.code,
        })
      }
      let outcome: TxOutcome
      try {
        outcome = await executeTx(ctx, tx)
      } catch (err) {
        // A fault inside the EVM (not an EVM error: those are receipts); the proposer's build drops such a one.
        throw invalidBlock(`transaction ${i} (${tx.hash}) failed inside the EVM: ${(err as Error).message}`, {
          index: i,
        })
      }
      gasUsed += outcome.gasUsed
      included.push({ tx, outcome })
    }
    const executed = this.#assemble(head, env, block.deposits, included, state, update)
    const mine = executed.block.header
    for (const field of Object.keys(mine) as (keyof BlockHeader)[]) {
      if (mine[field] !== h[field]) {
        throw invalidBlock(`${field} is ${String(h[field])}, re-execution gives ${String(mine[field])}`, {
          field,
        })
      }
    }
    this.#remember(executed)
    return executed
  }

  #env(head: StoredBlock, timestamp: number, proposer: Address): BlockEnv {
    return {
      number: head.number + 1n,
      timestamp,
      coinbase: proposer,
      gasLimit: this.options.gasLimit,
      baseFee: this.options.baseFee,
      prevRandao: hexToBytes(head.hash),
    }
  }

  /** Epochs only move forward, and only with the new set in the body (whether L1 has it is the validator's check). */
  #checkUpdate(head: StoredBlock, update: ValidatorUpdate | undefined): void {
    if (update === undefined) return
    if (update.epoch <= head.header.epoch)
      throw invalidBlock(`validator-set epoch ${update.epoch} is not after the parent's ${head.header.epoch}`)
    const problems = validatorSetProblems(update.validators)
    if (problems.length > 0) throw invalidBlock(`the new validator set is not valid: ${problems.join('; ')}`)
  }

  #checkDeposits(deposits: readonly Deposit[]): void {
    let next = this.chainStore.nextDepositId()
    for (const d of deposits) {
      if (d.id !== next) throw invalidBlock(`deposit ${d.id} is out of order: the next deposit is ${next}`)
      next++
    }
  }

  async #applyDeposits(ctx: ExecContext, deposits: readonly Deposit[]): Promise<void> {
    for (const d of deposits) {
      if (d.token === '0x0000000000000000000000000000000000000000') {
        const key = d.to.slice(2).toLowerCase()
        const prev = ctx.state.accountRecord(key)
        const balance = (prev?.balance ?? 0n) + d.amount
        // A balance past 2^256 − 1 (impossible with real ETH) consumes the deposit without crediting.
        if (balance >= 1n << 256n) continue
        ctx.state.setAccountRecord(key, {
          nonce: prev?.nonce ?? 0n,
          balance,
          codeHash: prev?.codeHash ?? KECCAK256_NULL,
        })
        continue
      }
      const data = encodeFunctionData({
        abi: l2BridgeAbi,
        functionName: 'finalizeERC20Deposit',
        args: [d.id, d.token, d.to, d.amount],
      })
      const out = await executeSystemCall(
        ctx,
        SYSTEM_ADDRESS,
        L2_BRIDGE_ADDRESS,
        hexToBytes(data as Hex),
        SYSTEM_CALL_GAS,
      )
      if (out.status === 0) {
        this.#logger.warn(
          { depositId: d.id.toString(), error: out.error, revert: bytesToHex(out.returnValue) },
          'ERC-20 deposit finalization reverted: the deposit is consumed without minting',
        )
      }
    }
  }

  #assemble(
    head: StoredBlock,
    env: BlockEnv,
    deposits: readonly Deposit[],
    included: { tx: PoolTx; outcome: TxOutcome }[],
    state: OverlayState,
    update: ValidatorUpdate | undefined,
  ): Executed {
    const txs: StoredTx[] = included.map(({ tx, outcome }) => ({
      hash: tx.hash,
      raw: tx.raw,
      from: tx.from,
      gasUsed: outcome.gasUsed,
      effectiveGasPrice: outcome.effectiveGasPrice,
      status: outcome.status,
      ...(outcome.contractAddress === undefined ? {} : { contractAddress: outcome.contractAddress }),
      logs: outcome.logs,
    }))
    const receipts: Receipt[] = txs.map((t) => ({
      status: t.status,
      gasUsed: t.gasUsed,
      logs: t.logs,
      ...(t.contractAddress === undefined ? {} : { contractAddress: t.contractAddress }),
    }))
    const withdrawals = withdrawalsOf(txs)
    const diff = state.diff()
    const allLogs: BlockLog[] = []
    for (const t of txs) for (const l of t.logs) allLogs.push(l)
    const header: BlockHeader = {
      number: env.number,
      parentHash: head.hash,
      timestamp: env.timestamp,
      proposer: env.coinbase,
      gasLimit: env.gasLimit,
      baseFee: env.baseFee,
      gasUsed: txs.reduce((s, t) => s + t.gasUsed, 0n),
      txsRoot: txsRootOfHashes(txs.map((t) => t.hash)),
      depositsRoot: depositsRoot(deposits),
      stateRoot: nextStateRoot(head.header.stateRoot, diff),
      receiptsRoot: receiptsRoot(receipts),
      logsBloom: logsBloom(allLogs),
      withdrawalsRoot: withdrawalsRoot(withdrawals),
      withdrawalCount: withdrawals.length,
      epoch: update?.epoch ?? head.header.epoch,
      nextValidatorsHash:
        update === undefined ? head.header.nextValidatorsHash : validatorsHash(update.validators),
    }
    const hash = blockHash(header)
    const block: SidechainBlock = {
      header,
      txs: txs.map((t) => t.raw),
      deposits: [...deposits],
      ...(update === undefined ? {} : { validators: [...update.validators] }),
    }
    const nextDepositId =
      deposits.length === 0 ? this.chainStore.nextDepositId() : (deposits.at(-1) as Deposit).id + 1n
    return {
      hash,
      block,
      stored: {
        number: header.number,
        hash,
        header,
        txs,
        deposits: [...deposits],
        withdrawals,
        ...(update === undefined ? {} : { validators: [...update.validators] }),
      },
      diff,
      nextDepositId,
    }
  }

  #remember(executed: Executed): void {
    // Only blocks on the current head are useful; a handful of competing proposals at most.
    if (this.#executed.size >= 16) this.#executed.delete(this.#executed.keys().next().value as Hex)
    this.#executed.set(executed.hash, executed)
  }

  /**
   * Commits a decided block with the precommits that decided it: durable in one LMDB transaction (block,
   * receipts, tx index, commit, state, deposit cursor, head). Executes it first unless `executeBlock` or
   * `buildBlock` already did. After it resolves the block is the head and served.
   */
  commitBlock(block: SidechainBlock, commit: readonly SignedVote[]): Promise<void> {
    return this.#serial.run(async () => {
      const executed = await this.#execute(block)
      const head = this.head()
      this.#headState.beginCommit(head.number)
      let ok = false
      try {
        await this.chainStore.commitBlockAtomically(
          executed.stored,
          executed.diff,
          commit,
          executed.nextDepositId,
        )
        ok = true
      } finally {
        this.#headState.endCommit(ok ? executed.diff : undefined)
      }
      this.#head = executed.stored
      this.#executed.clear()
      for (const listener of this.#listeners) {
        try {
          listener(executed.stored)
        } catch (err) {
          this.#logger.error({ err }, 'a commit listener failed')
        }
      }
    })
  }

  /** Waits for the operations in progress (build, execute, commit). The store is the caller's to close. */
  async close(): Promise<void> {
    await this.#serial.run(async () => undefined)
  }
}

/** `SidechainExecution.create`: the factory the node uses. */
export function createSidechainExecution(
  options: Partial<SidechainExecutionOptions> & Pick<SidechainExecutionOptions, 'chainId' | 'genesis'>,
  modules: SidechainExecutionModules,
): Promise<SidechainExecution> {
  return SidechainExecution.create(options, modules)
}
