/**
 * ERC-20 channels between real nodes on a real anvil, with the dev token (contracts/src/common/DevToken.sol): the
 * opener approves the hub for exactly the amount (only when its allowance is short) and opens; a short balance is a
 * typed error with nothing sent; payments direct and by a token invoice (an ETH invoice finds no route over token
 * channels); a cooperative close pays exactly the last balances in tokens; the L1 watcher penalises an old state
 * published in a token channel (the whole channel in tokens to the victim) and settles an honest unilateral close
 * after the window at exactly the last balances; a 2-hop token payment is forwarded in the token.
 */
import { type Address, erc20Abi, type Hex, parseUnits } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hubCalls } from '../../../src/channels/l1/hubEvents.ts'
import type { ChannelNode } from '../../../src/channels/node.ts'
import type { ChannelRecord } from '../../../src/channels/protocol/channel.ts'
import { isL2kitError } from '../../../src/core/errors.ts'
import { devTokenAbi, devTokenBytecode } from '../../../src/generated/contracts.ts'
import { createL1Clients, type L1ClientsWithWallet } from '../../../src/l1/clients.ts'
import { deployContract } from '../../../src/l1/deploy.ts'
import { type ChannelsL1, key, setUp } from './l1Fixture.ts'

const units = (x: string) => parseUnits(x, 6) // a 6-decimal token, as USDC
const EACH = units('1000')
const [KA, KB] = [key(1), key(2)]
const [A, B] = [privateKeyToAccount(KA).address, privateKeyToAccount(KB).address]

let env: ChannelsL1
let token: Address
let l1: L1ClientsWithWallet
let alice: ChannelNode
let bob: ChannelNode
let carol: ChannelNode | undefined

const tokenBalance = (owner: Address) =>
  l1.publicClient.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [owner] })
const allowance = (owner: Address) =>
  l1.publicClient.readContract({
    address: token,
    abi: erc20Abi,
    functionName: 'allowance',
    args: [owner, env.hub],
  })
const approvals = async (owner: Address) =>
  (
    await l1.publicClient.getContractEvents({
      address: token,
      abi: erc20Abi,
      eventName: 'Approval',
      args: { owner },
      fromBlock: 0n,
    })
  ).map((e) => e.args.value)

async function until(what: string, f: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await f()) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`timed out waiting for ${what}`)
}

async function warp(seconds: number): Promise<void> {
  await l1.publicClient.request({ method: 'evm_increaseTime' as never, params: [seconds] as never })
  await l1.publicClient.request({ method: 'evm_mine' as never })
}

beforeAll(async () => {
  env = await setUp('erc20')
  l1 = await createL1Clients({ rpcUrl: env.anvil.rpcUrl, privateKey: key(0) })
  token = await deployContract(l1.walletClient, l1.publicClient, {
    abi: devTokenAbi,
    bytecode: devTokenBytecode,
    args: ['Dev USD', 'DUSD', 6, [A, B], EACH],
    name: 'DevToken',
  })
  const opts = { registry: env.registry, l1PollMs: 100 }
  alice = await env.node('alice', KA, opts)
  bob = await env.node('bob', KB, opts)
  await alice.start()
  await alice.connect(await bob.start())
}, 120_000)

afterAll(async () => {
  await Promise.all([alice?.stop(), bob?.stop(), carol?.stop()])
  await env?.tearDown()
})

describe('ERC-20 channels', () => {
  it('open (approving exactly the amount) → payments direct and by invoice → cooperative close: exact token balances on L1', async () => {
    const [a0, b0, hub0] = [await tokenBalance(A), await tokenBalance(B), await tokenBalance(env.hub)]
    expect(a0).toBe(EACH)

    // more than the account holds: a typed error, and no transaction at all (no approval either)
    const nonce0 = await l1.publicClient.getTransactionCount({ address: A })
    let short: unknown
    await alice.openChannel({ peer: bob.nodeId, amount: EACH + 1n, token }).catch((e: unknown) => {
      short = e
    })
    expect(isL2kitError(short, 'CHANNEL_INSUFFICIENT_FUNDS')).toBe(true)
    expect(await l1.publicClient.getTransactionCount({ address: A })).toBe(nonce0)
    // not a token at all: a typed error too
    let notToken: unknown
    await alice
      .openChannel({ peer: bob.nodeId, amount: 1n, token: env.registry })
      .catch((e: unknown) => (notToken = e))
    expect(isL2kitError(notToken, 'CHANNEL_BAD_TOKEN')).toBe(true)

    const total = units('100')
    const channelId = await alice.openChannel({ peer: bob.nodeId, amount: total, token })
    expect(await approvals(A)).toEqual([total]) // approved for exactly the amount, once
    expect(await allowance(A)).toBe(0n) // and the hub pulled exactly that
    expect(await tokenBalance(env.hub)).toBe(hub0 + total)
    expect(await tokenBalance(A)).toBe(a0 - total)
    expect(bob.channel(channelId)?.params.token).toBe(token.toLowerCase())

    // direct payments, batched into signed updates
    await Promise.all(Array.from({ length: 20 }, () => alice.pay(channelId, units('1'))))
    expect(bob.channel(channelId)?.state.balanceB).toBe(units('20'))

    // by invoice, in the token (the channel is announced once both signed it)
    await until('the announcement', () => alice.graphEdges(token).length === 2)
    const invoice = await bob.createInvoice({ amount: units('5'), token, description: 'token invoice' })
    const paid = await alice.payInvoice(invoice)
    expect(paid.hops).toBe(1)
    expect(paid.fee).toBe(0n)
    // an ETH invoice cannot ride a token channel
    let noRoute: unknown
    await alice
      .payInvoice(await bob.createInvoice({ amount: units('5') }))
      .catch((e: unknown) => (noRoute = e))
    expect(isL2kitError(noRoute, 'CHANNEL_NO_ROUTE')).toBe(true)

    await until('the invoice HTLC settled', () => (alice.channel(channelId)?.state.htlcs.length ?? 1) === 0)
    const last = alice.channel(channelId) as ChannelRecord
    expect(last.state.balanceB).toBe(units('25'))
    // B stores the last revocation a moment after A resolves (A does not wait for it): compare once B is there
    await until("B's record at A's sequence number", () => bob.channel(channelId)?.state.seq === last.state.seq)
    expect(bob.channel(channelId)?.state).toEqual(last.state)

    await alice.closeCooperatively(channelId)
    expect(await tokenBalance(A)).toBe(a0 - units('25'))
    expect(await tokenBalance(B)).toBe(b0 + units('25'))
    expect(await tokenBalance(env.hub)).toBe(hub0)
  }, 120_000)

  it('the L1 watcher in token channels: an old state is penalised with the whole channel, an honest close settles the last balances', async () => {
    // alice approves a large allowance herself: opening uses it, with no approval of its own
    const big = units('500')
    const approve = await l1.walletClient.writeContract({
      address: token,
      abi: erc20Abi,
      functionName: 'approve',
      args: [env.hub, big],
      account: privateKeyToAccount(KA),
      chain: l1.walletClient.chain,
    })
    await l1.publicClient.waitForTransactionReceipt({ hash: approve })
    const approvalsBefore = (await approvals(A)).length

    // 1. alice publishes a state she revoked: bob's node takes the whole channel, in tokens
    const [a0, b0] = [await tokenBalance(A), await tokenBalance(B)]
    const c1 = await alice.openChannel({ peer: bob.nodeId, amount: units('50'), token, disputeWindow: 60n })
    expect(await allowance(A)).toBe(big - units('50'))
    expect((await approvals(A)).length).toBe(approvalsBefore)
    await alice.pay(c1, units('10'))
    const old = alice.channel(c1) as ChannelRecord
    await alice.pay(c1, units('5'))
    const ca = await createL1Clients({ rpcUrl: env.anvil.rpcUrl, privateKey: KA })
    await hubCalls.closeUnilateral(
      { publicClient: ca.publicClient, walletClient: ca.walletClient, hub: env.hub },
      old.params,
      old.state,
      old.sigA as Hex,
      old.sigB as Hex,
    )
    await until('the penalty', () => bob.l1Actions.some((x) => x.kind === 'penalize' && x.channelId === c1))
    expect(await tokenBalance(B)).toBe(b0 + units('50'))
    expect(await tokenBalance(A)).toBe(a0 - units('50'))

    // 2. bob closes alone with the newest state; after the window his node settles it at the last balances
    const [a1, b1] = [await tokenBalance(A), await tokenBalance(B)]
    const c2 = await alice.openChannel({ peer: bob.nodeId, amount: units('30'), token, disputeWindow: 60n })
    await alice.pay(c2, units('7'))
    await bob.closeUnilaterally(c2)
    await warp(61)
    await until('the settlement', () => bob.l1Actions.some((x) => x.kind === 'settle' && x.channelId === c2))
    expect(await tokenBalance(A)).toBe(a1 - units('7'))
    expect(await tokenBalance(B)).toBe(b1 + units('7'))
  }, 120_000)

  it('a 2-hop token payment stays in the token: B forwards over its token channel to C, not its ETH one', async () => {
    carol = await env.node('carol', key(3), { registry: env.registry, l1PollMs: 100 })
    await bob.connect(await carol.start())
    const ab = await alice.openChannel({ peer: bob.nodeId, amount: units('40'), token })
    // B–C in ETH first (the first channel to C that B would find), then in the token
    const bcEth = await bob.openChannel({ peer: carol.nodeId, amount: 10n ** 18n })
    const bcToken = await bob.openChannel({ peer: carol.nodeId, amount: units('40'), token })
    // the graph holds the token channels A–B and B–C (the ones closed above leave it as the L1 watcher sees them)
    await until('the token graph', () => {
      const ids = alice.graphEdges(token).map((e) => e.channelId.toLowerCase())
      return ids.length === 4 && ids.every((id) => id === ab.toLowerCase() || id === bcToken.toLowerCase())
    })
    const amount = units('3')
    const paid = await alice.payInvoice(await carol.createInvoice({ amount, token }))
    expect(paid.hops).toBe(2)
    await until('the HTLCs settled', () =>
      [alice.channel(ab), bob.channel(ab), bob.channel(bcToken), carol?.channel(bcToken)].every(
        (r) => r?.state.htlcs.length === 0,
      ),
    )
    expect(carol.channel(bcToken)?.state.balanceB).toBe(amount)
    expect(carol.channel(bcEth)?.state.balanceB).toBe(0n)
    expect(bob.channel(ab)?.state.balanceB).toBe(amount + paid.fee)
  }, 120_000)
})
