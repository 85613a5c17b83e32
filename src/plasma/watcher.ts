/**
 * The Plasma watcher (docs/plasma.md, "Attacks and what answers them"): follows PlasmaFramework on L1, downloads
 * every committed block from the operator, checks it against its root and every transaction against its own UTXO
 * view, and acts:
 * - an exit of a spent output, of an output of an invalid transaction, or of a double spend → challenged at once
 *   (the bond comes to the watcher's challenger key);
 * - an invalid transaction in a block, or a block whose data does not arrive within `withholdTimeoutMs` → the
 *   chain is byzantine: mass exit, i.e. every output the watched users own in the last valid state is exited
 *   (standard exits), and their in-flight transactions (`track`) are exited in flight;
 * - optionally, mature exits are processed.
 * Its view is rebuilt from L1 and the operator at every start (it keeps no state of its own: what it checks is
 * public), and `status()` says what it saw and did.
 */
import { type Address, decodeEventLog, decodeFunctionData, encodeFunctionData, type Hex } from 'viem'
import { bytesToHex, hexToBytes } from '../core/bytes.ts'
import { L2kitError } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'
import { plasmaFrameworkAbi } from '../generated/contracts.ts'
import type { L1PublicClient } from '../l1/clients.ts'
import { l1Now } from '../l1/time.ts'
import type { TxManager } from '../l1/txManager.ts'
import { rpcRequest } from '../node/rpcClient.ts'
import { PlasmaErrorCode } from './protocol/errors.ts'
import { checkTransfer, type OutputState } from './protocol/ledger.ts'
import { BlockTree } from './protocol/merkle.ts'
import {
  decodeTx,
  decodeUtxoPos,
  depositTx,
  encodeTx as encodeTxBytes,
  encodeUtxoPos,
  isDepositBlock,
  leafOf,
  outputIdOf,
  type PlasmaDomain,
  type PlasmaOutput,
  type PlasmaTx,
  type SignedPlasmaTx,
  sigsBytes,
  splitSigs,
  txHashOf,
} from './protocol/tx.ts'

export type PlasmaWatcherOptions = {
  /** How often L1 and the operator are read. */
  pollMs: number
  /** A committed block whose data the operator has not served after this long is treated as withheld. */
  withholdTimeoutMs: number
  /** Challenge bad exits automatically. */
  challenge: boolean
  /** Start exits for the watched users when the chain turns byzantine. */
  massExit: boolean
  /** Call processExits when the queue's first exit is mature. */
  processExits: boolean
}

export const defaultPlasmaWatcherOptions: PlasmaWatcherOptions = {
  pollMs: 500,
  withholdTimeoutMs: 5_000,
  challenge: true,
  massExit: true,
  processExits: true,
}

/** A user the watcher acts for: its address and a transaction manager that signs as it (exits must be its own). */
export type WatchedUser = { address: Address; txManager: TxManager }

export type PlasmaWatcherModules = {
  publicClient: L1PublicClient
  operatorUrl: string
  framework: Address
  chainId: bigint
  deployBlock: bigint
  /** signs challenges and processExits; receives the bonds of the exits it challenges */
  challenger: TxManager
  users: readonly WatchedUser[]
  logger: Logger
}

type ViewTx = {
  txHash: Hex
  txBytes: Hex
  sigs: Hex[]
  tx: PlasmaTx
  blknum: bigint
  txIndex: number
  problem?: TxProblem
}
type TxProblem = { code: string; message: string; input?: bigint }
type ViewOutput = { output: PlasmaOutput; creator: ViewTx; spentBy?: { tx: ViewTx; inputIndex: number } }
type ViewBlock = {
  blknum: bigint
  root: Hex
  timestamp: bigint
  status: 'valid' | 'invalid' | 'withheld' | 'waiting'
  firstSeen: number
  txs?: ViewTx[]
}

export type ByzantineEvent = { kind: 'invalid-tx' | 'withheld'; blknum: string; detail: string; at: number }
export type WatcherAction = {
  kind: 'challenge' | 'standard-exit' | 'in-flight-exit' | 'process-exits'
  detail: string
  l1TxHash?: Hex
  gasUsed?: string
  ok: boolean
  at: number
}

type InFlight = {
  txHash: Hex
  exitId: bigint
  /** the L1 transaction that started it (its calldata holds the transaction) */
  startTx: Hex
  signed?: { tx: PlasmaTx; txBytes: Hex; sigs: Hex[] }
  /** the oldest competitor someone showed, until a response */
  competitorPosition?: bigint | undefined
  /** the moves already made */
  done: Set<string>
}

type ExitSeen = {
  exitId: bigint
  owner: Address
  utxoPos: bigint
  outputId: Hex
  amount: bigint
  token: Address
  challenged?: boolean
}

export class PlasmaWatcher {
  readonly options: PlasmaWatcherOptions
  readonly domain: PlasmaDomain
  readonly #m: PlasmaWatcherModules
  readonly #log: Logger
  readonly #blocks = new Map<bigint, ViewBlock>()
  readonly #order: bigint[] = []
  readonly #outputs = new Map<bigint, ViewOutput>()
  readonly #trees = new Map<bigint, BlockTree>()
  readonly #tracked = new Map<Hex, SignedPlasmaTx>()
  readonly #exits = new Map<bigint, ExitSeen>()
  readonly #inFlight = new Map<Hex, InFlight>()
  /** outputs paid by a standard exit → how many blocks L1 had committed then (later blocks must not spend them) */
  readonly #paidOut = new Map<bigint, number>()
  /** every transaction of the downloaded blocks by hash (the first inclusion) */
  readonly #txs = new Map<Hex, ViewTx>()
  readonly byzantine: ByzantineEvent[] = []
  readonly actions: WatcherAction[] = []
  #verifiedUpTo = 0
  #cursor: bigint
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined
  #stopped = true
  #massExitStarted = false
  #massExitDone = false
  /** outputs (standard exits) and transactions (in-flight exits) the mass exit already exited */
  readonly #exited = new Set<string>()
  readonly #failures = new Map<string, number>()

  constructor(options: Partial<PlasmaWatcherOptions>, modules: PlasmaWatcherModules) {
    this.options = { ...defaultPlasmaWatcherOptions, ...options }
    if (!(this.options.pollMs >= 10) || !(this.options.withholdTimeoutMs >= 0)) {
      throw new L2kitError(PlasmaErrorCode.invalidOptions, 'pollMs must be ≥ 10 and withholdTimeoutMs ≥ 0')
    }
    this.#m = modules
    this.#log = modules.logger
    this.#cursor = modules.deployBlock
    this.domain = { chainId: modules.chainId, framework: modules.framework }
  }

  async start(): Promise<void> {
    this.#stopped = false
    await this.poll()
    this.#schedule()
    this.#log.info({ users: this.#m.users.map((u) => u.address) }, 'plasma watcher started')
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    await this.#running
  }

  /** Remembers a transaction a watched user signed, so it can be exited in flight if its block is withheld. */
  track(signed: SignedPlasmaTx): void {
    this.#tracked.set(bytesToHex(txHashOf(signed.tx)), signed)
  }

  #schedule(): void {
    if (this.#stopped) return
    this.#timer = setTimeout(() => {
      void this.poll()
        .catch((e) => this.#log.warn({ err: e }, 'watcher poll failed; retrying'))
        .finally(() => this.#schedule())
    }, this.options.pollMs)
  }

  /** One round: new L1 events, block downloads and checks, reactions. Serialised. */
  poll(): Promise<void> {
    if (this.#running !== undefined) return this.#running
    this.#running = this.#round().finally(() => {
      this.#running = undefined
    })
    return this.#running
  }

  async #round(): Promise<void> {
    const head = await this.#m.publicClient.getBlockNumber()
    if (head >= this.#cursor) {
      const logs = await this.#m.publicClient.getLogs({
        address: this.#m.framework,
        fromBlock: this.#cursor,
        toBlock: head,
      })
      for (const log of logs) {
        let ev: { eventName: string; args: Record<string, unknown> }
        try {
          ev = decodeEventLog({
            abi: plasmaFrameworkAbi,
            data: log.data,
            topics: log.topics,
          }) as unknown as typeof ev
        } catch {
          continue
        }
        this.#onEvent(ev, log.transactionHash ?? undefined)
      }
      this.#cursor = head + 1n
    }
    await this.#verifyBlocks()
    if (this.options.challenge) {
      await this.#challengeExits()
      await this.#answerInFlightExits()
    }
    if (this.options.massExit && this.byzantine.length > 0 && !this.#massExitDone) await this.#massExit()
    if (this.options.processExits) await this.#processMature()
  }

  #onEvent(ev: { eventName: string; args: Record<string, unknown> }, l1TxHash: Hex | undefined): void {
    const a = ev.args
    switch (ev.eventName) {
      case 'BlockSubmitted':
      case 'DepositCreated': {
        const blknum = a.blknum as bigint
        if (this.#blocks.has(blknum)) return
        if (ev.eventName === 'DepositCreated') {
          const output: PlasmaOutput = {
            owner: (a.owner as Address).toLowerCase() as Address,
            token: (a.token as Address).toLowerCase() as Address,
            amount: a.amount as bigint,
          }
          const tx = depositTx(blknum, output)
          const txHash = bytesToHex(txHashOf(tx))
          const vt: ViewTx = {
            txHash,
            txBytes: bytesToHex(encodeTxBytes(tx)),
            sigs: [],
            tx,
            blknum,
            txIndex: 0,
          }
          const tree = new BlockTree([leafOf(hexToBytes(txHash), [])])
          this.#trees.set(blknum, tree)
          this.#blocks.set(blknum, {
            blknum,
            root: bytesToHex(tree.root),
            timestamp: 0n,
            status: 'waiting',
            firstSeen: Date.now(),
            txs: [vt],
          })
        } else {
          this.#blocks.set(blknum, {
            blknum,
            root: a.root as Hex,
            timestamp: BigInt(a.timestamp as bigint),
            status: 'waiting',
            firstSeen: Date.now(),
          })
        }
        this.#order.push(blknum)
        return
      }
      case 'ExitStarted': {
        const exitId = a.exitId as bigint
        this.#exits.set(exitId, {
          exitId,
          owner: (a.owner as Address).toLowerCase() as Address,
          utxoPos: a.utxoPos as bigint,
          outputId: a.outputId as Hex,
          token: a.token as Address,
          amount: a.amount as bigint,
        })
        return
      }
      case 'ExitFinalized': {
        // paid on L1: a spend of it in any block committed from now on is a double spend
        const exit = this.#exits.get(a.exitId as bigint)
        if (exit !== undefined) this.#paidOut.set(exit.utxoPos, this.#order.length)
        this.#exits.delete(a.exitId as bigint)
        return
      }
      case 'ExitChallenged':
      case 'ExitUnfunded': {
        this.#exits.delete(a.exitId as bigint)
        return
      }
      case 'InFlightExitStarted': {
        if (l1TxHash === undefined) return
        const txHash = (a.txHash as Hex).toLowerCase() as Hex
        this.#inFlight.set(txHash, { txHash, exitId: a.exitId as bigint, startTx: l1TxHash, done: new Set() })
        return
      }
      case 'InFlightExitChallenged': {
        const ife = this.#inFlight.get((a.txHash as Hex).toLowerCase() as Hex)
        // kind 3: non-canonical (a competitor shown); the honest answer may be a response
        if (ife !== undefined && Number(a.kind) === 3) ife.competitorPosition = a.competitorPosition as bigint
        return
      }
      case 'InFlightExitResponded': {
        const ife = this.#inFlight.get((a.txHash as Hex).toLowerCase() as Hex)
        if (ife !== undefined) ife.competitorPosition = undefined
        return
      }
      case 'InFlightExitFinalized': {
        this.#inFlight.delete((a.txHash as Hex).toLowerCase() as Hex)
        return
      }
    }
  }

  /**
   * The honest moves in every in-flight exit: a transaction whose input the view shows spent by another, older
   * transaction is non-canonical (challengeNonCanonical); an output of an included transaction that was spent is
   * removed (challengeOutputSpent); a transaction the view shows included before a competitor someone showed is
   * defended (respondToNonCanonical). Each move is made once.
   */
  async #answerInFlightExits(): Promise<void> {
    for (const ife of this.#inFlight.values()) {
      const t = ife.signed ?? (await this.#inFlightTx(ife))
      if (t === undefined) continue
      ife.signed = t
      const included = this.#txs.get(ife.txHash)
      const inclusion = (v: ViewTx) => ({
        txBytes: v.txBytes,
        sigs: sigsBytes(v.sigs),
        position: encodeUtxoPos({ blknum: v.blknum, txIndex: v.txIndex, oIndex: 0 }),
        proof: this.proofOf(v.blknum, v.txIndex),
      })
      const once = async (
        id: string,
        kind: string,
        functionName: string,
        args: readonly unknown[],
        why: string,
      ) => {
        if (ife.done.has(id)) return
        ife.done.add(id)
        await this.#send(
          this.#m.challenger,
          'challenge',
          functionName,
          args,
          `${kind} in the in-flight exit of ${ife.txHash}: ${why}`,
        )
      }
      const txPos =
        included === undefined || included.problem !== undefined
          ? undefined
          : encodeUtxoPos({ blknum: included.blknum, txIndex: included.txIndex, oIndex: 0 })
      for (const [i, pos] of t.tx.inputs.entries()) {
        const spend = this.#outputs.get(pos)?.spentBy
        if (spend === undefined || spend.tx.txHash === ife.txHash) continue
        const cPos = encodeUtxoPos({ blknum: spend.tx.blknum, txIndex: spend.tx.txIndex, oIndex: 0 })
        if (txPos !== undefined && txPos < cPos) continue
        await once(
          `nc:${i}`,
          'non-canonical',
          'challengeNonCanonical',
          [t.txBytes, BigInt(i), inclusion(spend.tx), BigInt(spend.inputIndex)],
          `its input ${pos} was spent first by ${spend.tx.txHash}`,
        )
      }
      if (included !== undefined && included.problem === undefined) {
        for (const j of t.tx.outputs.keys()) {
          const out = this.#outputs.get(
            encodeUtxoPos({ blknum: included.blknum, txIndex: included.txIndex, oIndex: j }),
          )
          const spend = out?.spentBy
          if (spend === undefined) continue
          await once(
            `out:${j}`,
            'output-spent',
            'challengeOutputSpent',
            [
              inclusion(included),
              BigInt(j),
              spend.tx.txBytes,
              BigInt(spend.inputIndex),
              spend.tx.sigs[spend.inputIndex],
            ],
            `its output ${j} was spent by ${spend.tx.txHash}`,
          )
        }
        if (ife.competitorPosition !== undefined && txPos !== undefined && txPos < ife.competitorPosition) {
          const id = `respond:${ife.competitorPosition}`
          await once(
            id,
            'respond',
            'respondToNonCanonical',
            [inclusion(included)],
            `it is included at ${txPos}, before the competitor at ${ife.competitorPosition}`,
          )
        }
      }
    }
  }

  /** The in-flight transaction: from the view, a tracked one, or the calldata of the transaction that started the exit. */
  async #inFlightTx(ife: InFlight): Promise<{ tx: PlasmaTx; txBytes: Hex; sigs: Hex[] } | undefined> {
    const v = this.#txs.get(ife.txHash)
    if (v !== undefined) return { tx: v.tx, txBytes: v.txBytes, sigs: v.sigs }
    const tracked = this.#tracked.get(ife.txHash)
    if (tracked !== undefined)
      return { tx: tracked.tx, txBytes: bytesToHex(encodeTxBytes(tracked.tx)), sigs: [...tracked.sigs] }
    try {
      const l1tx = await this.#m.publicClient.getTransaction({ hash: ife.startTx })
      const call = decodeFunctionData({ abi: plasmaFrameworkAbi, data: l1tx.input })
      if (call.functionName !== 'startInFlightExit') return undefined
      const [txBytes, sigs] = call.args as unknown as [Hex, Hex]
      return { tx: decodeTx(hexToBytes(txBytes)), txBytes, sigs: splitSigs(sigs) }
    } catch (e) {
      this.#log.warn({ err: e, txHash: ife.txHash }, 'could not read an in-flight exit transaction')
      return undefined
    }
  }

  /** Downloads and checks blocks in order; stops at the first one whose data has not arrived. */
  async #verifyBlocks(): Promise<void> {
    while (this.#verifiedUpTo < this.#order.length) {
      const blknum = this.#order[this.#verifiedUpTo] as bigint
      const block = this.#blocks.get(blknum) as ViewBlock
      if (block.txs === undefined) {
        const fetched = await this.#fetchBlock(block)
        if (fetched === 'wait') return
        if (fetched === 'withheld') {
          block.status = 'withheld'
          this.#byzantine(
            'withheld',
            blknum,
            `the operator has not served block ${blknum} for ${this.options.withholdTimeoutMs} ms`,
          )
          // Later blocks spend outputs nobody can see: they cannot be checked; stop here.
          return
        }
      }
      this.#apply(block)
      this.#verifiedUpTo++
    }
  }

  async #fetchBlock(block: ViewBlock): Promise<'ok' | 'wait' | 'withheld'> {
    let answer: { root: Hex; transactions: { txBytes: Hex; sigs: Hex[] }[] } | undefined
    try {
      answer = await rpcRequest(this.#m.operatorUrl, 'plasma_getBlock', [block.blknum.toString()])
    } catch (e) {
      this.#log.debug({ err: e, blknum: block.blknum.toString() }, 'block not served yet')
    }
    if (answer !== undefined) {
      try {
        const txs = answer.transactions.map((t, txIndex): ViewTx => {
          const tx = decodeTx(hexToBytes(t.txBytes))
          return {
            txHash: bytesToHex(txHashOf(tx)),
            txBytes: t.txBytes,
            sigs: t.sigs,
            tx,
            blknum: block.blknum,
            txIndex,
          }
        })
        const tree = new BlockTree(txs.map((t) => leafOf(hexToBytes(t.txHash), t.sigs)))
        if (bytesToHex(tree.root) === block.root.toLowerCase()) {
          block.txs = txs
          this.#trees.set(block.blknum, tree)
          return 'ok'
        }
        this.#log.warn(
          { blknum: block.blknum.toString() },
          'the operator served data that does not match the committed root',
        )
      } catch (e) {
        this.#log.warn(
          { err: e, blknum: block.blknum.toString() },
          'the operator served a block that does not decode',
        )
      }
    }
    return Date.now() - block.firstSeen >= this.options.withholdTimeoutMs ? 'withheld' : 'wait'
  }

  /** Applies a downloaded block to the view; an invalid transaction makes the block (and the chain) byzantine. */
  #apply(block: ViewBlock): void {
    let invalid = 0
    for (const vt of block.txs ?? []) {
      if (vt.sigs.length === 0 && isDepositBlock(block.blknum)) {
        this.#create(vt)
        continue
      }
      try {
        checkTransfer(this.domain, { tx: vt.tx, sigs: vt.sigs }, (pos) => this.#lookup(pos))
      } catch (e) {
        const err = e as L2kitError
        vt.problem = {
          code: err.code,
          message: err.message,
          ...(err.details.input !== undefined ? { input: BigInt(err.details.input as string) } : {}),
        }
        invalid++
        this.#byzantine(
          'invalid-tx',
          block.blknum,
          `transaction ${vt.txIndex} (${vt.txHash}) is invalid: ${err.message}`,
        )
        // Its outputs exist on chain all the same (someone may try to exit them); its inputs stay unspent for
        // their owners, who never signed it — unless it is a double spend, whose input is spent anyway.
        this.#create(vt)
        continue
      }
      vt.tx.inputs.forEach((pos, inputIndex) => {
        const o = this.#outputs.get(pos)
        if (o !== undefined) o.spentBy = { tx: vt, inputIndex }
      })
      this.#create(vt)
    }
    block.status = invalid > 0 ? 'invalid' : 'valid'
  }

  #create(vt: ViewTx): void {
    if (!this.#txs.has(vt.txHash)) this.#txs.set(vt.txHash, vt)
    vt.tx.outputs.forEach((output, oIndex) => {
      this.#outputs.set(encodeUtxoPos({ blknum: vt.blknum, txIndex: vt.txIndex, oIndex }), {
        output,
        creator: vt,
      })
    })
  }

  #lookup(pos: bigint): OutputState | undefined {
    const o = this.#outputs.get(pos)
    if (o === undefined) return undefined
    const paidBefore = this.#paidOut.get(pos)
    if (paidBefore !== undefined && this.#verifiedUpTo >= paidBefore)
      return { output: o.output, spentBy: 'exit' }
    return o.spentBy === undefined ? { output: o.output } : { output: o.output, spentBy: o.spentBy.tx.txHash }
  }

  #byzantine(kind: ByzantineEvent['kind'], blknum: bigint, detail: string): void {
    this.byzantine.push({ kind, blknum: blknum.toString(), detail, at: Date.now() })
    this.#log.warn({ kind, blknum: blknum.toString(), detail }, 'byzantine operator detected')
  }

  // ---- challenges ----

  async #challengeExits(): Promise<void> {
    for (const exit of this.#exits.values()) {
      if (exit.challenged) continue
      const o = this.#outputs.get(exit.utxoPos)
      if (o === undefined) continue
      let request: { functionName: string; args: readonly unknown[]; why: string } | undefined
      if (o.spentBy !== undefined) {
        const spend = o.spentBy
        request = {
          functionName: 'challengeSpent',
          args: [exit.exitId, spend.tx.txBytes, BigInt(spend.inputIndex), spend.tx.sigs[spend.inputIndex]],
          why: `output ${exit.utxoPos} was spent by ${spend.tx.txHash}`,
        }
      } else if (o.creator.problem !== undefined) {
        request = this.#invalidTxChallenge(exit, o.creator)
      } else {
        const inflight = this.#trackedSpendOf(exit.utxoPos)
        if (inflight !== undefined) {
          request = {
            functionName: 'challengeSpent',
            args: [
              exit.exitId,
              bytesToHex(encodeTxBytes(inflight.signed.tx)),
              BigInt(inflight.inputIndex),
              inflight.signed.sigs[inflight.inputIndex],
            ],
            why: `output ${exit.utxoPos} was spent by a transaction its owner signed`,
          }
        }
      }
      if (request === undefined) continue
      exit.challenged = true
      await this.#send(
        this.#m.challenger,
        'challenge',
        request.functionName,
        request.args,
        `exit ${exit.exitId}: ${request.why}`,
      )
    }
  }

  #trackedSpendOf(pos: bigint): { signed: SignedPlasmaTx; inputIndex: number } | undefined {
    for (const signed of this.#tracked.values()) {
      const i = signed.tx.inputs.indexOf(pos)
      if (i >= 0) return { signed, inputIndex: i }
    }
    return undefined
  }

  #invalidTxChallenge(
    exit: ExitSeen,
    creator: ViewTx,
  ): { functionName: string; args: readonly unknown[]; why: string } | undefined {
    const problem = creator.problem as TxProblem
    const exiting = {
      txBytes: creator.txBytes,
      sigs: sigsBytes(creator.sigs),
      position: encodeUtxoPos({ blknum: creator.blknum, txIndex: creator.txIndex, oIndex: 0 }),
      proof: this.proofOf(creator.blknum, creator.txIndex),
    }
    if (problem.code === PlasmaErrorCode.spentInput && problem.input !== undefined) {
      const earlier = this.#outputs.get(problem.input)?.spentBy
      if (earlier === undefined) return undefined
      const inputIndex = creator.tx.inputs.indexOf(problem.input)
      return {
        functionName: 'challengeDoubleSpend',
        args: [
          exit.exitId,
          exiting,
          BigInt(inputIndex),
          {
            txBytes: earlier.tx.txBytes,
            sigs: sigsBytes(earlier.tx.sigs),
            position: encodeUtxoPos({ blknum: earlier.tx.blknum, txIndex: earlier.tx.txIndex, oIndex: 0 }),
            proof: this.proofOf(earlier.tx.blknum, earlier.tx.txIndex),
          },
          BigInt(earlier.inputIndex),
        ],
        why: `the exiting transaction double-spends ${problem.input}, spent earlier by ${earlier.tx.txHash}`,
      }
    }
    const inputTxs: Hex[] = []
    const inputSigs: Hex[] = []
    const inputProofs: Hex[] = []
    for (const pos of creator.tx.inputs) {
      const p = decodeUtxoPos(pos)
      const input = this.#outputs.get(pos)
      // An input that does not exist: its block unknown (nothing to show), or its leaf empty (shown empty).
      inputTxs.push(input === undefined ? '0x' : input.creator.txBytes)
      inputSigs.push(input === undefined ? '0x' : sigsBytes(input.creator.sigs))
      inputProofs.push(this.#trees.has(p.blknum) ? this.proofOf(p.blknum, p.txIndex) : '0x')
    }
    return {
      functionName: 'challengeInvalidTx',
      args: [exit.exitId, exiting, inputTxs, inputSigs, inputProofs],
      why: `output ${exit.utxoPos} comes from an invalid transaction: ${problem.message}`,
    }
  }

  /** The 512-byte inclusion proof of a transaction of a downloaded block. */
  proofOf(blknum: bigint, txIndex: number): Hex {
    const tree = this.#trees.get(blknum)
    if (tree === undefined)
      throw new L2kitError(PlasmaErrorCode.blockUnavailable, `block ${blknum} was not downloaded`)
    return tree.proof(txIndex)
  }

  // ---- mass exit ----

  /**
   * Exits every watched user (MoreVP): an output unspent in the last valid state by a standard exit; an output spent
   * at or after the bad block (or by a transaction the user signed that no available block shows) through an
   * in-flight exit of that spending transaction, whose priority is its inputs' (older than the bad block), and which
   * pays its outputs (canonical) or its inputs (if someone shows a competitor).
   */
  async #massExit(): Promise<void> {
    const first = this.byzantine[0] as ByzantineEvent
    const bad = BigInt(first.blknum)
    if (!this.#massExitStarted) {
      this.#log.warn(
        { badBlock: first.blknum, users: this.#m.users.length },
        'mass exit: exiting every watched user',
      )
    }
    this.#massExitStarted = true
    let incomplete = false
    // An exit that failed (L1 busy, a nonce race) is tried again next round, at most 3 times.
    const attempt = async (id: string, send: () => Promise<boolean>) => {
      if (this.#exited.has(id) || (this.#failures.get(id) ?? 0) >= 3) return
      this.#exited.add(id)
      if (!(await send())) {
        this.#exited.delete(id)
        this.#failures.set(id, (this.#failures.get(id) ?? 0) + 1)
        incomplete = true
      }
    }
    const read = (functionName: 'standardExitBond' | 'inFlightExitBond') =>
      this.#m.publicClient.readContract({
        address: this.#m.framework,
        abi: plasmaFrameworkAbi,
        functionName,
      }) as Promise<bigint>
    const [bond, ifeBond] = await Promise.all([read('standardExitBond'), read('inFlightExitBond')])
    for (const user of this.#m.users) {
      const me = user.address.toLowerCase()
      for (const [pos, o] of [...this.#outputs]) {
        if (o.output.owner !== me || o.creator.problem !== undefined) continue
        if (o.spentBy !== undefined && o.spentBy.tx.blknum < bad) continue
        const spender =
          o.spentBy !== undefined
            ? { txBytes: o.spentBy.tx.txBytes, sigs: o.spentBy.tx.sigs, tx: o.spentBy.tx.tx }
            : (() => {
                const t = this.#trackedSpendOf(pos)
                return t === undefined
                  ? undefined
                  : {
                      txBytes: bytesToHex(encodeTxBytes(t.signed.tx)),
                      sigs: [...t.signed.sigs],
                      tx: t.signed.tx,
                    }
              })()
        if (spender === undefined) {
          // already exiting or paid (e.g. after a restart of the watcher): nothing to do
          if (this.#paidOut.has(pos) || [...this.#exits.values()].some((e) => e.utxoPos === pos)) continue
          await attempt(`output:${pos}`, () =>
            this.#send(
              user.txManager,
              'standard-exit',
              'startStandardExit',
              [
                pos,
                o.creator.txBytes,
                sigsBytes(o.creator.sigs),
                this.proofOf(o.creator.blknum, o.creator.txIndex),
              ],
              `${me} exits output ${pos} (${o.output.amount} of ${o.output.token})`,
              bond,
            ),
          )
          continue
        }
        const txHash = bytesToHex(txHashOf(spender.tx))
        if (this.#exited.has(`tx:${txHash}`) || this.#inFlight.has(txHash)) continue
        const inputs = spender.tx.inputs.map((ip) => this.#outputs.get(ip))
        if (inputs.some((i) => i === undefined)) {
          this.#log.warn(
            { txHash },
            'cannot exit a transaction in flight: an input is not in any available block',
          )
          continue
        }
        const known = inputs as ViewOutput[]
        await attempt(`tx:${txHash}`, () =>
          this.#send(
            user.txManager,
            'in-flight-exit',
            'startInFlightExit',
            [
              spender.txBytes,
              sigsBytes(spender.sigs),
              known.map((i) => i.creator.txBytes),
              known.map((i) => sigsBytes(i.creator.sigs)),
              known.map((i) => this.proofOf(i.creator.blknum, i.creator.txIndex)),
            ],
            `${me} exits transaction ${txHash} in flight (it spends output ${pos})`,
            ifeBond,
          ),
        )
      }
    }
    this.#massExitDone = !incomplete
    if (this.#massExitDone) this.#log.warn({ exits: this.#exited.size }, 'mass exit done')
  }

  async #processMature(): Promise<void> {
    // Processing pays the owners whoever calls it; the watcher calls it for its users once the first exit is due.
    let key: bigint
    try {
      key = (await this.#m.publicClient.readContract({
        address: this.#m.framework,
        abi: plasmaFrameworkAbi,
        functionName: 'queueTop',
      })) as bigint
    } catch {
      return // an empty queue
    }
    if (key === 0n) return
    const exitableAt = key >> 192n
    const now = await l1Now(this.#m.publicClient)
    if (exitableAt > now) return
    await this.#send(this.#m.challenger, 'process-exits', 'processExits', [20n], 'processing mature exits')
  }

  async #send(
    tm: TxManager,
    kind: WatcherAction['kind'],
    functionName: string,
    args: readonly unknown[],
    detail: string,
    value?: bigint,
  ): Promise<boolean> {
    try {
      const result = await tm.send({
        to: this.#m.framework,
        data: encodeFunctionData({ abi: plasmaFrameworkAbi, functionName, args } as Parameters<
          typeof encodeFunctionData
        >[0]),
        ...(value !== undefined ? { value } : {}),
        abi: plasmaFrameworkAbi,
        label: functionName,
      })
      this.actions.push({
        kind,
        detail,
        l1TxHash: result.txHash,
        gasUsed: result.gasUsed.toString(),
        ok: true,
        at: Date.now(),
      })
      this.#log.info(
        { kind, detail, l1TxHash: result.txHash, gasUsed: result.gasUsed.toString() },
        'watcher acted',
      )
      return true
    } catch (e) {
      this.actions.push({ kind, detail: `${detail}: ${(e as Error).message}`, ok: false, at: Date.now() })
      this.#log.warn({ err: e, kind, detail }, 'watcher action failed')
      return false
    }
  }

  /** What the watcher saw and did, for `l2kit plasma status` and the dashboard. */
  status() {
    const counts = { valid: 0, invalid: 0, withheld: 0, waiting: 0 }
    for (const b of this.#blocks.values()) counts[b.status]++
    return {
      blocks: counts,
      verifiedUpTo: this.#order[this.#verifiedUpTo - 1]?.toString() ?? null,
      byzantine: this.byzantine,
      inFlightExits: [...this.#inFlight.keys()],
      openExits: [...this.#exits.values()].map((e) => ({
        exitId: e.exitId.toString(),
        owner: e.owner,
        utxoPos: e.utxoPos.toString(),
        amount: e.amount.toString(),
      })),
      actions: this.actions,
      watching: this.#m.users.map((u) => u.address),
      massExitStarted: this.#massExitStarted,
      massExitDone: this.#massExitDone,
    }
  }

  /** The view's output at a position: what the watched users' balances are computed from. */
  outputAt(pos: bigint): { output: PlasmaOutput; spent: boolean; valid: boolean; outputId: Hex } | undefined {
    const o = this.#outputs.get(pos)
    if (o === undefined) return undefined
    return {
      output: o.output,
      spent: o.spentBy !== undefined,
      valid: o.creator.problem === undefined,
      outputId: outputIdOf(hexToBytes(o.creator.txHash), decodeUtxoPos(pos).oIndex),
    }
  }
}
