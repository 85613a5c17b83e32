/** A small, hand-made comparison result for the compare module's tests (the numbers are shaped like a real run's). */

import { ROW_FACTS } from './facts.ts'
import { DEFAULT_PRICES } from './prices.ts'
import type { AttackOutcome, CompareResult, RowId, RowResult } from './types.ts'

export function fakeRow(
  id: RowId,
  o: Partial<RowResult> & { gas?: number; blobGas?: number; tps?: number } = {},
): RowResult {
  const { gas, blobGas, tps, ...rest } = o
  const family = id === 'l1' ? 'l1' : id === 'optimistic-calldata' ? 'optimistic' : id
  return {
    id,
    family,
    label: ROW_FACTS[id].type,
    status: 'ok',
    stages: ['deposits', 'transfers'],
    phaseSeconds: 30,
    transfers: { done: 100, eth: 50, token: 50, seconds: 1, perSecond: tps ?? 100, confirmedBy: 'test' },
    depositLatencySeconds: 0.5,
    depositConfirmedBy: 'test',
    withdrawal: {
      measuredSeconds: 12,
      what: 'test',
      devnet: { setting: 'test', seconds: 10 },
      production: ROW_FACTS[id].production,
    },
    l1: {
      operator: {
        txs: 2,
        gas: (gas ?? 1000) * 100,
        blobGas: (blobGas ?? 0) * 100,
        calldataBytes: 1000,
        blobs: 0,
        byFunction: {},
      },
      depositGas: 60_000,
      withdrawalGas: 100_000,
    },
    perTransfer: { gas: gas ?? 1000, blobGas: blobGas ?? 0, bytes: 10 },
    capitalLockedWei: null,
    evm: { supported: id === 'l1' || id === 'sidechain', evidence: 'test' },
    wallets: ROW_FACTS[id].wallets,
    notes: [],
    ...rest,
  }
}

export function fakeOutcome(
  o: Partial<AttackOutcome> & Pick<AttackOutcome, 'family' | 'attack'>,
): AttackOutcome {
  return {
    attacker: `${o.family} insider`,
    goal: 'steal',
    status: 'ok',
    caught: true,
    honestFundsLostWei: '0',
    seconds: 3,
    source: 'this run',
    ...o,
  }
}

export function fakeResult(): CompareResult {
  return {
    version: 1,
    date: '2026-12-07T00:00:00.000Z',
    machine: { cpu: 'test cpu', cores: 2, memoryGiB: 24, node: 'v20' },
    seconds: 600,
    workload: {
      accounts: 6,
      transfers: 100,
      withdrawals: 2,
      ethAmountWei: '1000000000000000',
      tokenAmount: '1',
    },
    prices: DEFAULT_PRICES,
    rows: [
      fakeRow('l1', {
        gas: 30_000,
        tps: 150,
        depositLatencySeconds: 0,
        withdrawal: {
          measuredSeconds: 0,
          what: '',
          devnet: { setting: '', seconds: 0 },
          production: ROW_FACTS.l1.production,
        },
      }),
      fakeRow('optimistic', { gas: 1_500, blobGas: 1_100, tps: 500 }),
      fakeRow('optimistic-calldata', { gas: 3_500, tps: 500 }),
      fakeRow('zk', {
        gas: 2_500,
        tps: 60,
        proven: { transfers: 40, verifiedBlocks: 10, sealedBlocks: 30, seconds: 200, perSecond: 0.2 },
      }),
      fakeRow('channels', { gas: 1_100, tps: 900, capitalLockedWei: '250000000000000000' }),
      fakeRow('plasma', { gas: 40, tps: 80 }),
      fakeRow('sidechain', { gas: 300, tps: 300 }),
    ],
    attacks: {
      ran: true,
      source: 'this run',
      outcomes: [
        fakeOutcome({ family: 'optimistic', attack: 'wrong-balance' }),
        fakeOutcome({ family: 'zk', attack: 'wrong-root' }),
        fakeOutcome({ family: 'channels', attack: 'old-state-offline' }),
        fakeOutcome({ family: 'plasma', attack: 'withhold', goal: 'freeze' }),
        fakeOutcome({
          family: 'sidechain',
          attack: 'majority-theft',
          attacker: '3 of 4 validators (> ⅔ of the stake) sign a forged checkpoint',
          caught: false,
          honestFundsLostWei: '10000000000000000000',
        }),
      ],
    },
    files: ['bench/results/compare.json'],
  }
}
