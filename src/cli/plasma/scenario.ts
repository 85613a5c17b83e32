/**
 * The Plasma demo's and attack runs' stage: a fresh anvil, the Plasma devnet on it (operator = anvil account 0,
 * watcher key = account 5, users alice/bob/carol/dave = accounts 1–4, all watched), wallets for the users, and what
 * every run needs: deposits, transfers, waiting for L1 commitments, time warps, exit processing and the payouts by
 * owner. Used by `l2kit plasma demo`, its attacks and the end-to-end tests.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Address, type Hex, parseEther } from 'viem'
import { L2kitError } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import { plasmaFrameworkAbi } from '../../generated/contracts.ts'
import { ANVIL_DEV_ACCOUNTS, type AnvilInstance, startAnvil } from '../../l1/anvil.ts'
import { createL1Clients, type L1ClientsWithWallet } from '../../l1/clients.ts'
import { type PlasmaDevnet, startPlasmaDevnet } from '../../plasma/devnet.ts'
import type { PlasmaOperatorOptions } from '../../plasma/operator.ts'
import { depositPlasma, type PlasmaChain, processExits, transferPlasma } from '../../sdk/plasma/index.ts'

export const USER_NAMES = ['alice', 'bob', 'carol', 'dave'] as const
export type UserName = (typeof USER_NAMES)[number]

const key = (i: number) => (ANVIL_DEV_ACCOUNTS[i] as { privateKey: Hex }).privateKey

export type PlasmaStage = {
  anvil: AnvilInstance
  net: PlasmaDevnet
  chain: PlasmaChain
  operatorL1: L1ClientsWithWallet
  users: Record<UserName, L1ClientsWithWallet>
  /** what each user should own on the Plasma chain (ETH), kept by the run as it deposits and pays */
  expected: Map<Address, bigint>
  deposit(user: UserName, amount: bigint): Promise<{ utxoPos: bigint; gas: bigint }>
  transfer(from: UserName, to: UserName, amount: bigint, o?: { watcher?: boolean }): Promise<{ txHash: Hex }>
  /** Seals the open block and waits until every sealed root is on L1. */
  commit(): Promise<void>
  /** Waits until the operator's view includes a deposit block (it follows L1). */
  waitFor(what: string, f: () => boolean | Promise<boolean>, ms?: number): Promise<void>
  warp(seconds: bigint): Promise<void>
  /** Warps past every exit's exitableAt and processes the whole queue; returns the gas of each processExits call. */
  processAll(): Promise<bigint[]>
  /** ETH paid by exits, per owner (ExitFinalized events). */
  paidByOwner(): Promise<Map<Address, bigint>>
  gasOf(hash: Hex): Promise<bigint>
  stop(): Promise<void>
}

export async function startPlasmaStage(o: {
  exitPeriod: bigint
  logger?: Logger
  step?: (message: string) => void
  withholdTimeoutMs?: number
  /** false: no watcher (the bench measures the operator alone) */
  watcher?: boolean
  /** deploy a DEV ERC-20 with 1,000,000 DEV for each user */
  devToken?: boolean
  operator?: Partial<PlasmaOperatorOptions>
}): Promise<PlasmaStage> {
  const anvil = await startAnvil()
  const dir = mkdtempSync(join(tmpdir(), 'l2kit-plasma-'))
  let net: PlasmaDevnet | undefined
  const stop = async () => {
    await net?.stop()
    await anvil.stop()
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    net = await startPlasmaDevnet(
      {
        l1RpcUrl: anvil.rpcUrl,
        dataDir: dir,
        deployerKey: key(0),
        operatorKey: key(0),
        challengerKey: key(5),
        userKeys: [key(1), key(2), key(3), key(4)],
        exitPeriod: o.exitPeriod,
        operator: { blockIntervalMs: 200, l1PollMs: 100, ...o.operator },
        startWatcher: o.watcher !== false,
        devToken: o.devToken === true,
        // The runs process exits themselves (to measure their gas).
        watcher: { pollMs: 100, withholdTimeoutMs: o.withholdTimeoutMs ?? 1_500, processExits: false },
      },
      { ...(o.logger ? { logger: o.logger } : {}), ...(o.step ? { onStep: o.step } : {}) },
    )
    const operatorL1 = await createL1Clients({ rpcUrl: anvil.rpcUrl, privateKey: key(0) })
    const users = {} as Record<UserName, L1ClientsWithWallet>
    for (const [i, name] of USER_NAMES.entries()) {
      users[name] = await createL1Clients({ rpcUrl: anvil.rpcUrl, privateKey: key(i + 1) })
    }
    const chain: PlasmaChain = {
      operatorUrl: net.rpcUrls.operator,
      framework: net.framework,
      chainId: BigInt(net.chainId),
    }
    const pc = operatorL1.publicClient
    const expected = new Map<Address, bigint>()
    const addr = (u: UserName) => users[u].account.address.toLowerCase() as Address
    const credit = (a: Address, v: bigint) => expected.set(a, (expected.get(a) ?? 0n) + v)
    const devnet = net
    const waitFor = async (what: string, f: () => boolean | Promise<boolean>, ms = 60_000) => {
      const end = Date.now() + ms
      while (!(await f())) {
        if (Date.now() > end) throw new L2kitError('ATTACK_SETUP', `timed out waiting for ${what}`)
        await new Promise((r) => setTimeout(r, 50))
      }
    }
    const stage: PlasmaStage = {
      anvil,
      net: devnet,
      chain,
      operatorL1,
      users,
      expected,
      async deposit(user, amount) {
        const d = await depositPlasma({ l1: users[user], framework: devnet.framework, amount })
        credit(addr(user), amount)
        await waitFor(
          `deposit block ${d.blknum} at the operator`,
          () => devnet.operator.output(d.utxoPos) !== undefined,
        )
        return { utxoPos: d.utxoPos, gas: d.receipt.gasUsed }
      },
      async transfer(from, to, amount, t = {}) {
        const r = await transferPlasma({
          chain,
          wallet: users[from].walletClient,
          to: addr(to),
          amount,
          ...(t.watcher === true && devnet.rpcUrls.watcher ? { watcherUrl: devnet.rpcUrls.watcher } : {}),
        })
        credit(addr(from), -amount)
        credit(addr(to), amount)
        return { txHash: r.txHash }
      },
      async commit() {
        await devnet.operator.seal()
        await devnet.operator.committed()
      },
      waitFor,
      async warp(seconds) {
        await pc.request({ method: 'evm_increaseTime' as never, params: [Number(seconds)] as never })
        await pc.request({ method: 'evm_mine' as never })
      },
      async processAll() {
        const gas: bigint[] = []
        await stage.warp(2n * o.exitPeriod + 10n)
        for (;;) {
          const size = (await pc.readContract({
            address: devnet.framework,
            abi: plasmaFrameworkAbi,
            functionName: 'queueSize',
          })) as bigint
          if (size === 0n) return gas
          const r = await processExits({ l1: operatorL1, framework: devnet.framework, max: 50n })
          gas.push(r.receipt.gasUsed)
        }
      },
      async paidByOwner() {
        const events = await pc.getContractEvents({
          address: devnet.framework,
          abi: plasmaFrameworkAbi,
          eventName: 'ExitFinalized',
          fromBlock: devnet.deployBlock,
        })
        const paid = new Map<Address, bigint>()
        for (const e of events) {
          const a = e.args as { owner: Address; token: Address; amount: bigint }
          if (BigInt(a.token) !== 0n) continue
          const owner = a.owner.toLowerCase() as Address
          paid.set(owner, (paid.get(owner) ?? 0n) + a.amount)
        }
        return paid
      },
      async gasOf(hash) {
        return (await pc.getTransactionReceipt({ hash })).gasUsed
      },
      stop,
    }
    return stage
  } catch (e) {
    await stop()
    throw e
  }
}

/** What honest users were owed and did not get back: Σ max(0, expected − paid) over the users. */
export function honestLoss(
  stage: PlasmaStage,
  paid: Map<Address, bigint>,
  honest: readonly UserName[],
): bigint {
  let lost = 0n
  for (const u of honest) {
    const a = stage.users[u].account.address.toLowerCase() as Address
    const owed = stage.expected.get(a) ?? 0n
    const got = paid.get(a) ?? 0n
    if (got < owed) lost += owed - got
  }
  return lost
}

export const DEMO_DEPOSIT = parseEther('10')

/** Per honest user: what it owned on the Plasma chain and what exits paid it on L1 (the attack results show them). */
export function accountsOf(
  stage: PlasmaStage,
  paid: Map<Address, bigint>,
  honest: readonly UserName[],
): Record<string, { owned: bigint; paid: bigint }> {
  const out: Record<string, { owned: bigint; paid: bigint }> = {}
  for (const u of honest) {
    const a = stage.users[u].account.address.toLowerCase() as Address
    out[u] = { owned: stage.expected.get(a) ?? 0n, paid: paid.get(a) ?? 0n }
  }
  return out
}
