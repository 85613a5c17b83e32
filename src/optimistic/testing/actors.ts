/**
 * Actors for in-process action tests of the optimistic rollup's roles: a real `Sequencer` over a `ChainStore` in
 * a temp dir (its clock injected, its block timer never firing: blocks are sealed by hand), a fake L1
 * (`FakeL1`), the node's `Derivation` fed by hand (`L1Feed`), and the batcher's one job done by hand (`postBlocks`
 * encodes sealed blocks as v3 batch data, exactly as `Batcher` does, and appends them on the fake L1).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bytesToHex, encodeFunctionData, parseEther } from 'viem'
import { GAS } from '../../core/constants.ts'
import { silentLogger } from '../../core/logger.ts'
import type { Address, Batch, Deposit, Hex, L2Tx, TokenInfo } from '../../core/types.ts'
import { rollupAbi } from '../../generated/contracts.ts'
import type { L2Block } from '../block.ts'
import { ChainStore } from '../chainStore.ts'
import type { ChainConfig } from '../config.ts'
import { genesisStateHeader } from '../deploy.ts'
import { Derivation, type DerivationModules, type ForcedTx } from '../derivation.ts'
import { type LoadAccount, loadAccounts, signL2Tx, walletFees } from '../loadgen.ts'
import { encodeBatchV3 } from '../protocol/batchCodecV3.ts'
import { traceBytes } from '../protocol/trace.ts'
import { Sequencer } from '../sequencer.ts'
import { FakeL1, type FakeL1Options, type FakeSender, L1Feed } from './fakeL1.ts'

export const chain: ChainConfig = { chainId: 42069n, baseFee: 1_000_000n, genesisTimestamp: 0 }

export const [alice, bob, carol, mallory] = loadAccounts(4, 'actions-') as [
  LoadAccount,
  LoadAccount,
  LoadAccount,
  LoadAccount,
]

/** An L1 address that receives withdrawals. */
export const l1Recipient: Address = '0x00000000000000000000000000000000000001e1'

import { recordingLogger } from '../../core/logger.ts'

export { type LogRecord, recordingLogger } from '../../core/logger.ts'

// ---------------------------------------------------------------------------------------------- L2 transactions

const fees = walletFees(chain.baseFee)

export function ethTransfer(from: LoadAccount, to: Address, nonce: bigint, amount: bigint): Hex {
  return signL2Tx(
    { nonce, gasLimit: GAS.ethTransfer, fees, op: { kind: 'ethTransfer', to, amount } },
    chain.chainId,
    from.privateKey,
  )
}

export function tokenTransfer(
  from: LoadAccount,
  to: Address,
  nonce: bigint,
  tokenIndex: number,
  amount: bigint,
): Hex {
  return signL2Tx(
    { nonce, gasLimit: GAS.tokenTransfer, fees, op: { kind: 'tokenTransfer', tokenIndex, to, amount } },
    chain.chainId,
    from.privateKey,
  )
}

export function withdrawEth(from: LoadAccount, recipient: Address, nonce: bigint, amount: bigint): Hex {
  return signL2Tx(
    { nonce, gasLimit: GAS.withdrawEth, fees, op: { kind: 'withdrawEth', recipient, amount } },
    chain.chainId,
    from.privateKey,
  )
}

/** The batch data v3 of sealed blocks `first..last`, as the batcher encodes it (`Batcher.#encode`). */
export function encodeBlocks(
  store: ChainStore,
  first: bigint,
  last: bigint,
): { data: Uint8Array; firstL2Block: bigint; l2BlockCount: number; depositCountAfter: bigint; txs: L2Tx[] } {
  const blocks: L2Block[] = []
  for (let n = first; n <= last; n++) {
    const b = store.getBlock(n)
    if (!b) throw new Error(`block ${n} is not sealed`)
    blocks.push(b)
  }
  const before = first <= 1n ? 0n : (store.getBlock(first - 1n)?.depositCountAfter ?? 0n)
  const batch: Batch = {
    firstBlockNumber: first,
    blocks: blocks.map((b) => ({
      timestamp: b.timestamp,
      depositCountAfter: b.depositCountAfter,
      txs: b.txs.map((t) => t.tx),
    })),
  }
  return {
    data: encodeBatchV3(batch, before),
    firstL2Block: first,
    l2BlockCount: blocks.length,
    depositCountAfter: (blocks[blocks.length - 1] as L2Block).depositCountAfter,
    txs: blocks.flatMap((b) => b.txs.map((t) => t.tx)),
  }
}

// ---------------------------------------------------------------------------------------------- the world

export type WorldOptions = {
  l1?: Partial<FakeL1Options>
  /** Extra modules of the node's derivation (callbacks, checkpoint interval). */
  derivation?: Partial<Omit<DerivationModules, 'chain' | 'contracts' | 'publicClient'>>
}

/** What the node's derivation told its callbacks. */
export type Callbacks = {
  deposits: Deposit[]
  tokens: TokenInfo[]
  forcedTxs: ForcedTx[]
}

export type World = Awaited<ReturnType<typeof world>>

/**
 * A rollup with one operator: the fake L1, a real sequencer over a chain store in a temp dir (its clock at
 * `clock.ms`), and the node's derivation fed by `feed`. Like the node's `SequencerInbox`, the deposits and
 * tokens derivation reports are stored for the sequencer. `close()` stops the sequencer and removes the dir.
 */
export async function world(options: WorldOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'l2kit-actions-'))
  const store = await ChainStore.open(dir)
  const clock = { ms: 1_700_000_000_000 }
  // A block time of an hour: the sequencer's timer never fires in a test; blocks are sealed with sealNow().
  const seq = new Sequencer(
    { blockTimeMs: 3_600_000 },
    { chain, store, logger: silentLogger, now: () => clock.ms, recoveryThreads: 0 },
  )
  await seq.start()
  const l1 = new FakeL1({ genesis: genesisStateHeader(chain), ...options.l1 })
  const logger = recordingLogger()
  const seen: Callbacks = { deposits: [], tokens: [], forcedTxs: [] }
  const derivation = newDerivation(l1, {
    logger,
    onDeposit: async (d) => {
      seen.deposits.push(d)
      await store.putDeposits([d])
    },
    onToken: async (t) => {
      seen.tokens.push(t)
      seq.registerToken(t)
      await store.putToken(t)
    },
    onForcedTx: (f) => {
      seen.forcedTxs.push(f)
    },
    ...options.derivation,
  })
  const feed = new L1Feed(l1, derivation)

  /** Seals the open block `seconds` after the previous one (submitting `raws` first). */
  async function seal(raws: Hex[] = [], seconds = 2): Promise<L2Block> {
    clock.ms += seconds * 1000
    for (const raw of raws) await seq.submitRawTransaction(raw)
    const b = await seq.sealNow()
    if (!b) throw new Error('nothing to seal')
    return b
  }

  /** The batcher's job: appends sealed blocks `first..last` to the fake L1 (calldata or blobs); mine to post. */
  function postBlocks(first: bigint, last: bigint, mode: 'calldata' | 'blob' = 'calldata') {
    const e = encodeBlocks(store, first, last)
    const posted = mode === 'blob' ? l1.appendBatchBlobs(e) : l1.appendBatchCalldata(e)
    return { ...e, ...posted }
  }

  async function close(): Promise<void> {
    await seq.stop()
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  }

  return { dir, store, clock, seq, l1, logger, derivation, feed, seen, seal, postBlocks, close }
}

/** Another derivation over the same fake L1 (a verifier, a challenger's own, a fresh one to compare with). */
export function newDerivation(
  l1: FakeL1,
  modules: Partial<Omit<DerivationModules, 'chain' | 'contracts' | 'publicClient'>> = {},
): Derivation {
  return new Derivation({
    chain,
    contracts: l1.contracts,
    publicClient: l1.client,
    logger: silentLogger,
    ...modules,
  })
}

/** Deposits `amount` (1 ETH) to each of `to` on the fake L1 and mines it. */
export function fund(l1: FakeL1, to: LoadAccount[], amount = parseEther('1')): Deposit[] {
  const out = to.map((u) => l1.deposit({ from: u.address, to: u.address, amount }))
  l1.mine()
  return out
}

/** `sender` proposes batch `batchIndex` with `leaves` (and their end state) as `proposeCalldata`, mined. */
export function proposeCalldataFrom(
  sender: FakeSender,
  w: World,
  batchIndex: bigint,
  leaves: Hex[],
  end = w.derivation.batches[Number(batchIndex)]?.postHeader,
) {
  const batch = w.derivation.batches[Number(batchIndex)]
  if (!batch || !end) throw new Error(`batch ${batchIndex} not derived`)
  return sender.send({
    to: w.l1.contracts.rollup,
    value: w.l1.proposalBond,
    data: encodeFunctionData({
      abi: rollupAbi,
      functionName: 'proposeCalldata',
      args: [batchIndex, batch.dataHash, end, bytesToHex(traceBytes(leaves))],
    }),
  })
}
