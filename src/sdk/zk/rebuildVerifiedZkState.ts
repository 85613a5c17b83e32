import { type Address, decodeFunctionData, type Hex, hexToBigInt, hexToBytes } from 'viem'
import { L2kitError } from '../../core/errors.ts'
import { zkRollupAbi } from '../../generated/contracts.ts'
import { loadZkCrypto } from '../../zk/protocol/crypto.ts'
import {
  blockCommitment,
  decodePubdata,
  isPriorityOp,
  nextPriorityHash,
  OpType,
  type PriorityRequest,
} from '../../zk/protocol/ops.ts'
import { applyProvenPubdata, ZkState } from '../../zk/protocol/state.ts'
import type { AnyPublicClient } from '../types.ts'
import { checkAddress } from './shared.ts'

/** The rollup's verified state, rebuilt from L1 alone. */
export type VerifiedZkState = {
  /** the account tree after the last verified block (`siblings(i)` gives exodus's Merkle proofs) */
  state: ZkState
  /** blocks applied: 1..verifiedBlocks */
  verifiedBlocks: number
  /** the contract's `verifiedRoot`, which `state.root()` equals (when verifiedBlocks > 0) */
  verifiedRoot: bigint
  /** priority requests the verified blocks consumed */
  verifiedRequests: number
  /** every priority request queued up to `l1BlockNumber` (index = request index) */
  requests: PriorityRequest[]
  /** the L1 block the state was read at */
  l1BlockNumber: bigint
}

type CommitInput = { last: number; blocks: readonly { newRoot: Hex; pubdata: Hex }[] }

/**
 * Rebuilds the rollup's verified state from L1 alone, without the operator's node (docs/zk.md): the priority
 * requests from `PriorityRequest` events (their Poseidon chain checked against the hashes L1 stored), and each
 * verified block's pubdata from the calldata of the `commitBlocks` transaction that committed it (the LAST
 * `BlockCommitted` of each number: an unverified block may have been reverted and committed again). Blocks
 * 1..totalBlocksVerified are applied in order with `applyProvenPubdata`; each block's commitment is recomputed from
 * that calldata and compared with the one L1 stored, its root with the event's, and the final root with the
 * contract's `verifiedRoot`, so an RPC that lies about any of it is caught (typed errors, nothing returned).
 *
 * Everything is read as of one L1 block (`toBlock`, default the latest). `fromBlock` (default 0) should be at or
 * before the rollup's deployment; `logBlockRange` splits log queries for RPCs that cap their range. A block
 * committed through another contract (not a direct call of the rollup) cannot be read from its transaction's
 * input and is refused with `COMMITTED_DATA_UNAVAILABLE`.
 */
export async function rebuildVerifiedZkState(parameters: {
  publicClient: AnyPublicClient
  rollup: Address
  fromBlock?: bigint
  toBlock?: bigint
  logBlockRange?: bigint
}): Promise<VerifiedZkState> {
  const { publicClient } = parameters
  const rollup = checkAddress(parameters.rollup, 'rollup')
  const fromBlock = parameters.fromBlock ?? 0n
  const l1BlockNumber = parameters.toBlock ?? (await publicClient.getBlockNumber({ cacheTime: 0 }))
  await loadZkCrypto()

  const at = { address: rollup, abi: zkRollupAbi, blockNumber: l1BlockNumber } as const
  const [depth, verifiedBlocksBig, verifiedRootHex, verifiedRequestsBig, totalRequestsBig, genesisRootHex] =
    await Promise.all([
      publicClient.readContract({ ...at, functionName: 'depth' }),
      publicClient.readContract({ ...at, functionName: 'totalBlocksVerified' }),
      publicClient.readContract({ ...at, functionName: 'verifiedRoot' }),
      publicClient.readContract({ ...at, functionName: 'verifiedPriorityRequests' }),
      publicClient.readContract({ ...at, functionName: 'totalPriorityRequests' }),
      publicClient.readContract({ ...at, functionName: 'genesisRoot' }),
    ])
  const verifiedBlocks = Number(verifiedBlocksBig)
  const verifiedRequests = Number(verifiedRequestsBig)
  const totalRequests = Number(totalRequestsBig)
  const verifiedRoot = hexToBigInt(verifiedRootHex)

  // ---- the priority queue, its chain checked against L1's
  const requestLogs = await inRanges(fromBlock, l1BlockNumber, parameters.logBlockRange, (from, to) =>
    publicClient.getContractEvents({
      address: rollup,
      abi: zkRollupAbi,
      eventName: 'PriorityRequest',
      fromBlock: from,
      toBlock: to,
      strict: true,
    }),
  )
  const requests: PriorityRequest[] = []
  const chainHashes: bigint[] = []
  for (const log of requestLogs) {
    const i = Number(log.args.requestIndex)
    const kind = log.args.kind
    if (kind !== OpType.deposit && kind !== OpType.fullExit && kind !== OpType.changePubKey) {
      throw new L2kitError('MALFORMED_DATA', `priority request ${i} has unknown kind ${kind}`, {
        details: { requestIndex: i, kind },
      })
    }
    requests[i] = {
      type: kind,
      address: hexToBigInt(log.args.account),
      token: log.args.token,
      amount: log.args.amount,
      account: log.args.accountIndex,
      pkHash: log.args.pkHash,
    }
    chainHashes[i] = log.args.chainHash
  }
  if (requests.length < totalRequests) {
    throw missing(
      `${totalRequests} priority requests are queued but only ${requests.length} PriorityRequest events were found from L1 block ${fromBlock}: pass an earlier fromBlock (the rollup's deployment block)`,
    )
  }
  // p[0] = 0; chain[n] = p[n]
  const chain: bigint[] = [0n]
  for (let i = 0; i < totalRequests; i++) {
    const r = requests[i]
    if (r === undefined) {
      throw missing(
        `the PriorityRequest event of request ${i} was not found from L1 block ${fromBlock}: pass an earlier fromBlock (the rollup's deployment block)`,
      )
    }
    const p = nextPriorityHash(chain[i] as bigint, r)
    if (p !== chainHashes[i]) {
      throw new L2kitError(
        'COMMITTED_DATA_MISMATCH',
        `priority request ${i} read from L1 does not hash to the chain value L1 emitted: the RPC's logs are wrong`,
        { details: { requestIndex: i }, kind: 'critical' },
      )
    }
    chain.push(p)
  }

  // ---- the verified blocks: the last commit of each number
  const state = new ZkState(Number(depth))
  if (verifiedBlocks === 0) {
    // nothing verified: the verified state is the empty tree (the contract's genesis root is not compared: it
    // hashes empty leaves differently, see the report of src/sdk/zk)
    return { state, verifiedBlocks, verifiedRoot, verifiedRequests, requests, l1BlockNumber }
  }
  const commitLogs = await inRanges(fromBlock, l1BlockNumber, parameters.logBlockRange, (from, to) =>
    publicClient.getContractEvents({
      address: rollup,
      abi: zkRollupAbi,
      eventName: 'BlockCommitted',
      fromBlock: from,
      toBlock: to,
      strict: true,
    }),
  )
  type CommitLog = (typeof commitLogs)[number]
  const lastCommit = new Map<number, CommitLog>()
  const byChainOrder = (a: CommitLog, b: CommitLog): number =>
    a.blockNumber !== b.blockNumber ? (a.blockNumber < b.blockNumber ? -1 : 1) : a.logIndex - b.logIndex
  for (const log of commitLogs.sort(byChainOrder)) {
    const n = log.args.blockNumber
    if (n >= 1 && n <= verifiedBlocks) lastCommit.set(n, log) // in chain order: the last commit wins
  }

  const inputs = new Map<Hex, Promise<CommitInput>>()
  const commitInput = (hash: Hex): Promise<CommitInput> => {
    let p = inputs.get(hash)
    if (p === undefined) {
      p = readCommitInput(publicClient, rollup, hash)
      inputs.set(hash, p)
    }
    return p
  }
  // fetch the commit transactions ahead (a few at a time), apply in order
  for (let n = 1; n <= Math.min(verifiedBlocks, 8); n++) {
    const log = lastCommit.get(n)
    if (log !== undefined) commitInput(log.transactionHash).catch(() => {})
  }

  let consumed = 0
  let oldRoot = hexToBigInt(genesisRootHex)
  for (let n = 1; n <= verifiedBlocks; n++) {
    const log = lastCommit.get(n)
    if (log === undefined) {
      throw missing(
        `no BlockCommitted event for verified block ${n} from L1 block ${fromBlock}: pass an earlier fromBlock`,
      )
    }
    const ahead = lastCommit.get(n + 8)
    if (ahead !== undefined) commitInput(ahead.transactionHash).catch(() => {})
    const input = await commitInput(log.transactionHash)
    const block = input.blocks[n - input.last - 1]
    if (block === undefined) {
      throw new L2kitError(
        'COMMITTED_DATA_MISMATCH',
        `commitBlocks transaction ${log.transactionHash} does not carry block ${n}`,
        { details: { block: n, txHash: log.transactionHash }, kind: 'critical' },
      )
    }
    const ev = log.args
    const newRoot = hexToBigInt(ev.newRoot)
    const before = Number(ev.priorityOpsBefore)
    const count = Number(ev.priorityOps)
    const pubdata = hexToBytes(block.pubdata)
    const pAfter = chain[before + count]
    // the commitment binds the pubdata, both roots and the requests consumed: check it before reading the pubdata
    const commitment =
      pAfter === undefined
        ? undefined
        : blockCommitment(oldRoot, newRoot, chain[before] as bigint, pAfter, pubdata)
    const mismatch = (): L2kitError =>
      new L2kitError(
        'COMMITTED_DATA_MISMATCH',
        `block ${n}'s calldata (transaction ${log.transactionHash}) does not match what L1 stored for it`,
        { details: { block: n, txHash: log.transactionHash }, kind: 'critical' },
      )
    if (
      hexToBigInt(block.newRoot) !== newRoot ||
      before !== consumed ||
      commitment !== hexToBigInt(ev.commitment)
    ) {
      throw mismatch()
    }
    const ops = decodePubdata(pubdata)
    if (ops.filter((op) => isPriorityOp(op.type)).length !== count) throw mismatch()
    applyProvenPubdata(state, ops, requests.slice(before, before + count))
    if (state.root() !== newRoot) {
      throw new L2kitError(
        'STATE_ROOT_MISMATCH',
        `block ${n} applied to the rebuilt state gives root ${state.root()}, L1 committed ${newRoot}`,
        { details: { block: n }, kind: 'critical' },
      )
    }
    consumed += count
    oldRoot = newRoot
  }
  if (state.root() !== verifiedRoot || consumed !== verifiedRequests) {
    throw new L2kitError(
      'STATE_ROOT_MISMATCH',
      `the rebuilt state (root ${state.root()}, ${consumed} requests) is not the contract's verified one (root ${verifiedRoot}, ${verifiedRequests} requests)`,
      { kind: 'critical' },
    )
  }
  return { state, verifiedBlocks, verifiedRoot, verifiedRequests, requests, l1BlockNumber }
}

function missing(message: string): L2kitError {
  return new L2kitError('L1_EVENT_MISSING', message)
}

/** `query` over [from, to], in windows of `range` blocks if given, results concatenated in order. */
async function inRanges<T>(
  from: bigint,
  to: bigint,
  range: bigint | undefined,
  query: (from: bigint, to: bigint) => Promise<T[]>,
): Promise<T[]> {
  if (range === undefined) return query(from, to)
  if (range <= 0n) throw new L2kitError('INVALID_OPTIONS', 'logBlockRange must be positive')
  const out: T[] = []
  for (let start = from; start <= to; start += range) {
    const end = start + range - 1n < to ? start + range - 1n : to
    out.push(...(await query(start, end)))
  }
  return out
}

/** The `commitBlocks` / `commitAndVerifyBlocks` arguments of a transaction that called the rollup directly. */
async function readCommitInput(
  publicClient: AnyPublicClient,
  rollup: Address,
  hash: Hex,
): Promise<CommitInput> {
  const tx = await publicClient.getTransaction({ hash })
  const unavailable = (why: string) =>
    new L2kitError(
      'COMMITTED_DATA_UNAVAILABLE',
      `commit transaction ${hash} ${why}: its pubdata cannot be read from its input`,
      { details: { txHash: hash } },
    )
  if (tx.to?.toLowerCase() !== rollup.toLowerCase()) throw unavailable(`calls ${tx.to}, not the rollup`)
  const decoded = (() => {
    try {
      return decodeFunctionData({ abi: zkRollupAbi, data: tx.input })
    } catch (err) {
      throw new L2kitError(
        'COMMITTED_DATA_UNAVAILABLE',
        `commit transaction ${hash}'s input does not decode`,
        {
          details: { txHash: hash },
          cause: err,
        },
      )
    }
  })()
  if (decoded.functionName !== 'commitBlocks' && decoded.functionName !== 'commitAndVerifyBlocks') {
    throw unavailable(`is a ${decoded.functionName} call`)
  }
  // both take (last StoredBlock, blocks) first
  const [last, blocks] = decoded.args
  return { last: last.blockNumber, blocks }
}
