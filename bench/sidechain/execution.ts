/**
 * Micro-benchmark of the sidechain's execution layer on one core: simple ETH transfers and ERC-20 transfers
 * (DevToken, OpenZeppelin's ERC20), each measured as the proposer builds blocks (`buildBlock`), as another validator
 * re-executes them (`executeBlock`, senders known from its mempool, and cold: decoded and recovered), and as blocks
 * are committed (`commitBlock`, one fsynced LMDB transaction each).
 *
 * Usage: npx tsx bench/sidechain/execution.ts [--txs 20000] [--block 2000] [--json]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  encodeDeployData,
  encodeFunctionData,
  keccak256,
  serializeTransaction,
  type TransactionSerializable,
} from 'viem'
import { bytesToHex } from '../../src/core/bytes.ts'
import { silentLogger } from '../../src/core/logger.ts'
import { privateKeyToAddress, signHash } from '../../src/core/signature.ts'
import type { Address, Hex } from '../../src/core/types.ts'
import { devTokenAbi, devTokenBytecode } from '../../src/generated/contracts.ts'
import { openStore, type Store } from '../../src/node/store.ts'
import { createSidechainExecution, type SidechainExecution } from '../../src/sidechain/evm/execution.ts'
import type { PoolTx } from '../../src/sidechain/evm/tx.ts'

const args = process.argv.slice(2)
const arg = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? Number(args[i + 1]) : dflt
}
const TXS = arg('txs', 20_000)
const BLOCK = arg('block', 2_000)
const SENDERS = Math.min(BLOCK, 1_000)
const CHAIN_ID = 7011n
const GWEI = 1_000_000_000n

const keys: Hex[] = Array.from({ length: SENDERS }, (_, i) => bytesToHex(keccakSeed(i)))
function keccakSeed(i: number): Uint8Array {
  return Uint8Array.from(Buffer.from(keccak256(`0x${(i + 1).toString(16).padStart(8, '0')}`).slice(2), 'hex'))
}
const senders: Address[] = keys.map((k) => privateKeyToAddress(k))
const nonces = new Map<Address, number>()

function sign(key: Hex, tx: TransactionSerializable): Hex {
  const hash = keccak256(serializeTransaction(tx))
  const sig = signHash(hash as Hex, key)
  return serializeTransaction(tx, {
    r: `0x${sig.r.toString(16).padStart(64, '0')}`,
    s: `0x${sig.s.toString(16).padStart(64, '0')}`,
    yParity: sig.yParity,
  }) as Hex
}

function tx(i: number, to: Address | undefined, data: Hex, value: bigint, gas: bigint): Hex {
  const key = keys[i % SENDERS] as Hex
  const from = senders[i % SENDERS] as Address
  const nonce = nonces.get(from) ?? 0
  nonces.set(from, nonce + 1)
  return sign(key, {
    type: 'eip1559',
    chainId: Number(CHAIN_ID),
    nonce,
    ...(to === undefined ? {} : { to }),
    data,
    value,
    gas,
    maxFeePerGas: 2n * GWEI,
    maxPriorityFeePerGas: GWEI / 10n,
  })
}

const stores: Store[] = []
async function open(dir: string): Promise<SidechainExecution> {
  const store = await openStore({ path: dir })
  stores.push(store)
  return createSidechainExecution(
    {
      chainId: CHAIN_ID,
      gasLimit: 1_000_000_000n,
      genesis: { timestamp: 1_700_000_000, alloc: Object.fromEntries(senders.map((a) => [a, 10n ** 24n])) },
    },
    { store, logger: silentLogger },
  )
}

type Stage = 'checkTx' | 'build' | 'executeKnown' | 'executeCold' | 'commit'
const STAGES: Stage[] = ['checkTx', 'build', 'executeKnown', 'executeCold', 'commit']
/** Per stage: transfers/s over the whole run, and the median and best block (this machine is shared: see both). */
type Figures = Record<Stage, { overall: number; medianBlock: number; bestBlock: number }>

/** Runs `raws` through A (checkTx, build, commit), B (execute with known senders) and C (execute cold). */
async function run(
  a: SidechainExecution,
  b: SidechainExecution,
  c: SidechainExecution,
  raws: Hex[],
): Promise<Figures> {
  const ms: Record<Stage, number[]> = {
    checkTx: [],
    build: [],
    executeKnown: [],
    executeCold: [],
    commit: [],
  }
  const counts: number[] = []
  let ts = a.head().header.timestamp
  const timed = async <T>(stage: Stage, f: () => Promise<T>): Promise<T> => {
    const t = performance.now()
    const out = await f()
    ms[stage].push(performance.now() - t)
    return out
  }
  for (let off = 0; off < raws.length; off += BLOCK) {
    const chunk = raws.slice(off, off + BLOCK)
    counts.push(chunk.length)
    const pool = await timed('checkTx', async () => {
      const out: PoolTx[] = []
      for (const raw of chunk) out.push(await a.checkTx(raw))
      return out
    })
    for (const raw of chunk) await b.checkTx(raw)
    const built = await timed('build', () =>
      a.buildBlock({ timestamp: ++ts, proposer: senders[0] as Address, deposits: [], candidates: pool }),
    )
    if (built.dropped.length > 0)
      throw new Error(`dropped ${built.dropped.length}: ${built.dropped[0]?.reason}`)
    await timed('executeKnown', () => b.executeBlock(built.block))
    await timed('executeCold', () => c.executeBlock(built.block))
    await timed('commit', () => a.commitBlock(built.block, []))
    await b.commitBlock(built.block, [])
    await c.commitBlock(built.block, [])
  }
  const figures = {} as Figures
  for (const stage of STAGES) {
    const rates = ms[stage].map((t, i) => ((counts[i] as number) / t) * 1000).sort((x, y) => x - y)
    const total = ms[stage].reduce((x, y) => x + y, 0)
    figures[stage] = {
      overall: Math.round((raws.length / total) * 1000),
      medianBlock: Math.round(rates[Math.floor(rates.length / 2)] ?? 0),
      bestBlock: Math.round(rates.at(-1) ?? 0),
    }
  }
  return figures
}

const dirs = [0, 1, 2].map(() => mkdtempSync(join(tmpdir(), 'l2kit-sc-bench-')))
try {
  const [a, b, c] = (await Promise.all(dirs.map(open))) as [
    SidechainExecution,
    SidechainExecution,
    SidechainExecution,
  ]
  // Warm-up and token deployment (one block).
  const deploy = tx(
    0,
    undefined,
    encodeDeployData({
      abi: devTokenAbi,
      bytecode: devTokenBytecode,
      args: ['Bench', 'BEN', 18, senders, 10n ** 24n],
    }) as Hex,
    0n,
    60_000_000n,
  )
  const warm = Array.from({ length: SENDERS - 1 }, (_, i) =>
    tx(i + 1, senders[0] as Address, '0x', 1n, 21_000n),
  )
  await run(a, b, c, [deploy, ...warm])
  const tokenAddress = a.transaction(keccak256(deploy) as Hex)?.tx.contractAddress as Address
  const eth = Array.from({ length: args.includes('--erc20-only') ? 0 : TXS }, (_, i) =>
    tx(i, `0x${(0x100000 + i).toString(16).padStart(40, '0')}` as Address, '0x', 1n, 21_000n),
  )
  const ethFigures = args.includes('--erc20-only') ? undefined : await run(a, b, c, eth)
  const transfer = (i: number) =>
    encodeFunctionData({
      abi: devTokenAbi,
      functionName: 'transfer',
      args: [`0x${(0x200000 + i).toString(16).padStart(40, '0')}`, 5n],
    }) as Hex
  const erc20 = Array.from({ length: TXS }, (_, i) => tx(i, tokenAddress, transfer(i), 0n, 60_000n))
  const erc20Figures = await run(a, b, c, erc20)
  const result = {
    machine: { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version },
    txs: TXS,
    txsPerBlock: BLOCK,
    ethTransfersPerSecond: ethFigures,
    erc20TransfersPerSecond: erc20Figures,
  }
  if (args.includes('--json')) console.log(JSON.stringify(result))
  else {
    console.log(`sidechain execution, one core (${result.machine.cpu}), ${TXS} txs, ${BLOCK} per block`)
    console.log('transfers/s: overall / median block / best block')
    console.log(`${''.padEnd(8)}${STAGES.map((s) => s.padStart(22)).join('')}`)
    for (const [name, f] of [
      ['ETH', ethFigures],
      ['ERC-20', erc20Figures],
    ] as const) {
      if (f === undefined) continue
      const cell = (s: Stage) => `${f[s].overall} / ${f[s].medianBlock} / ${f[s].bestBlock}`.padStart(22)
      console.log(`${name.padEnd(8)}${STAGES.map(cell).join('')}`)
    }
  }
  await Promise.all([a.close(), b.close(), c.close()])
  await Promise.all(stores.map((s) => s.close()))
} finally {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
}
