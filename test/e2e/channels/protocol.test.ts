/**
 * The channel protocol against the real ChannelHub on anvil, without nodes: states built and signed by the pure
 * state machine (src/channels/protocol/channel.ts) are what the contract accepts — the same digests and ids, a
 * cooperative close paying exactly the last balances, an old-state close punished (by the victim, and by a
 * watchtower while the victim is offline), HTLCs resolved on chain through the shared preimage registry, and a
 * dispute replacing a published state with a newer one.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { type Address, createPublicClient, createWalletClient, type Hex, http, parseEther } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deployChannelContracts } from '../../../src/channels/l1/deploy.ts'
import {
  type Change,
  type ChannelRecord,
  newChannelRecord,
  propose,
  receiveAck,
  receiveRevoke,
  receiveUpdate,
} from '../../../src/channels/protocol/channel.ts'
import {
  type ChannelDomain,
  type ChannelParams,
  channelIdOf,
  cooperativeCloseDigest,
  htlcsHash,
  revocationDigest,
  signDigest,
  stateDigest,
} from '../../../src/channels/protocol/state.ts'
import { bytesToHex, hexToBytes } from '../../../src/core/bytes.ts'
import { channelHubAbi } from '../../../src/generated/contracts.ts'
import { ANVIL_DEV_ACCOUNTS, type AnvilInstance, startAnvil } from '../../../src/l1/anvil.ts'
import {
  closeChannelCooperatively,
  closeChannelUnilaterally,
  disputeChannel,
  getChannelOnL1,
  openChannel,
  penalizeChannel,
  revealPreimage,
  settleChannel,
} from '../../../src/sdk/channels/index.ts'

let anvil: AnvilInstance
let hub: Address
let registry: Address
let domain: ChannelDomain

const key = (i: number) => (ANVIL_DEV_ACCOUNTS[i] as { privateKey: Hex }).privateKey
const KEY_A = key(3)
const KEY_B = key(4)
const KEY_TOWER = key(5)

function l1For(k: Hex) {
  const account = privateKeyToAccount(k)
  const transport = http(anvil.rpcUrl)
  return {
    walletClient: createWalletClient({
      account,
      transport,
      chain: {
        id: anvil.chainId,
        name: 'anvil',
        nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
        rpcUrls: { default: { http: [anvil.rpcUrl] } },
      },
    }),
    publicClient: createPublicClient({ transport }),
  }
}

const policyAt = (now: bigint) => ({ now, minExpiryDelta: 60n })

/** One full update (propose → ack → revoke) from `from`; returns both sides' new records. */
function update(a: ChannelRecord, b: ChannelRecord, from: 'A' | 'B', changes: Change[], now: bigint) {
  const [p, q, pk, qk] = from === 'A' ? [a, b, KEY_A, KEY_B] : [b, a, KEY_B, KEY_A]
  const s1 = propose(p, changes, pk)
  const s2 = receiveUpdate(q, s1.message, qk, policyAt(now))
  const s3 = receiveAck(s1.record, s2.message, pk)
  const q2 = receiveRevoke(s2.record, s3.message)
  return from === 'A' ? { a: s3.record, b: q2 } : { a: q2, b: s3.record }
}

async function l1Now(): Promise<bigint> {
  const block = await l1For(KEY_A).publicClient.getBlock()
  return block.timestamp
}

async function warp(seconds: number): Promise<void> {
  const c = l1For(KEY_A).publicClient
  await c.request({ method: 'evm_increaseTime' as never, params: [seconds] as never })
  await c.request({ method: 'evm_mine' as never })
}

const balanceOf = (k: Hex) => l1For(k).publicClient.getBalance({ address: privateKeyToAccount(k).address })

async function openAB(amount: bigint, disputeWindow = 60n) {
  const opened = await openChannel({
    l1: l1For(KEY_A),
    hub,
    peer: privateKeyToAccount(KEY_B).address,
    amount,
    disputeWindow,
  })
  return {
    params: opened.params,
    a: newChannelRecord(domain, opened.channelId, opened.params, 'A'),
    b: newChannelRecord(domain, opened.channelId, opened.params, 'B'),
    gas: opened.receipt.gasUsed,
  }
}

beforeAll(async () => {
  anvil = await startAnvil()
  const deployer = l1For(key(0))
  const c = await deployChannelContracts(deployer.walletClient as never, deployer.publicClient as never)
  hub = c.hub
  registry = c.registry
  domain = { chainId: BigInt(anvil.chainId), hub }
}, 120_000)

afterAll(async () => {
  await anvil?.stop()
})

describe('channel protocol on ChannelHub', () => {
  it('computes the same channel ids and EIP-712 digests as the contract', async () => {
    const pc = l1For(KEY_A).publicClient
    const params: ChannelParams = {
      partyA: privateKeyToAccount(KEY_A).address,
      partyB: privateKeyToAccount(KEY_B).address,
      token: '0x0000000000000000000000000000000000000000',
      total: 12345n,
      disputeWindow: 60n,
      nonce: 9n,
    }
    const id = channelIdOf(domain, params)
    expect(
      await pc.readContract({ address: hub, abi: channelHubAbi, functionName: 'channelId', args: [params] }),
    ).toBe(id)
    const htlcs = [
      {
        direction: 0 as const,
        amount: 5n,
        paymentHash: `0x${'ab'.repeat(32)}` as Hex,
        expiry: 1_900_000_000n,
      },
      {
        direction: 1 as const,
        amount: 7n,
        paymentHash: `0x${'cd'.repeat(32)}` as Hex,
        expiry: 1_900_000_100n,
      },
    ]
    const hh = htlcsHash(htlcs)
    expect(
      await pc.readContract({ address: hub, abi: channelHubAbi, functionName: 'htlcsHash', args: [htlcs] }),
    ).toBe(hh)
    const state = { channelId: id, seq: 4n, balanceA: 12000n, balanceB: 333n, htlcs }
    expect(
      await pc.readContract({
        address: hub,
        abi: channelHubAbi,
        functionName: 'hashState',
        args: [{ channelId: id, seq: 4n, balanceA: 12000n, balanceB: 333n, htlcsHash: hh }],
      }),
    ).toBe(bytesToHex(stateDigest(domain, state)))
    expect(
      await pc.readContract({
        address: hub,
        abi: channelHubAbi,
        functionName: 'hashRevocation',
        args: [id, 3n],
      }),
    ).toBe(bytesToHex(revocationDigest(domain, id, 3n)))
    expect(
      await pc.readContract({
        address: hub,
        abi: channelHubAbi,
        functionName: 'hashCooperativeClose',
        args: [id, 1n, 2n],
      }),
    ).toBe(bytesToHex(cooperativeCloseDigest(domain, id, 1n, 2n)))
  })

  it('pays exactly the last balances on a cooperative close', async () => {
    let { a, b, params } = await openAB(parseEther('1'))
    const now = await l1Now()
    for (const amount of [parseEther('0.1'), parseEther('0.05'), parseEther('0.15')]) {
      ;({ a, b } = update(a, b, 'A', [{ kind: 'pay', amount }], now))
    }
    expect(b.state.balanceB).toBe(parseEther('0.3'))
    const digest = cooperativeCloseDigest(domain, a.channelId, a.state.balanceA, a.state.balanceB)
    const bBefore = await balanceOf(KEY_B)
    const aBefore = await balanceOf(KEY_A)
    const closed = await closeChannelCooperatively({
      l1: l1For(KEY_A),
      hub,
      params,
      balanceA: a.state.balanceA,
      balanceB: a.state.balanceB,
      sigA: signDigest(digest, KEY_A),
      sigB: signDigest(digest, KEY_B),
    })
    const gasPaid = closed.receipt.gasUsed * closed.receipt.effectiveGasPrice
    expect((await balanceOf(KEY_B)) - bBefore).toBe(parseEther('0.3'))
    expect((await balanceOf(KEY_A)) - aBefore + gasPaid).toBe(parseEther('0.7'))
    expect(
      (await getChannelOnL1({ publicClient: l1For(KEY_A).publicClient, hub, channelId: a.channelId })).phase,
    ).toBe('settled')
  })

  it('punishes a close with a revoked state: the victim takes the whole channel', async () => {
    let { a, b, params } = await openAB(parseEther('1'))
    const now = await l1Now()
    ;({ a, b } = update(a, b, 'A', [{ kind: 'pay', amount: parseEther('0.2') }], now))
    const old = { state: a.state, sigA: a.sigA as Hex, sigB: a.sigB as Hex } // seq 1: A still holds 0.8
    ;({ a, b } = update(a, b, 'A', [{ kind: 'pay', amount: parseEther('0.5') }], now))
    expect(b.theirRevokedSeq).toBe(1n) // B holds A's revocation of seq 1
    // A cheats: publishes seq 1 (0.8 for A) instead of seq 2 (0.3 for A)
    await closeChannelUnilaterally({ l1: l1For(KEY_A), hub, params, ...old })
    // a revocation that does not cover the published state is refused
    await expect(
      penalizeChannel({
        l1: l1For(KEY_B),
        hub,
        params,
        revokedSeq: 0n,
        revocation: signDigest(revocationDigest(domain, a.channelId, 0n), KEY_A),
      }),
    ).rejects.toThrow(/RevocationTooOld/)
    const bBefore = await balanceOf(KEY_B)
    const penalty = await penalizeChannel({
      l1: l1For(KEY_B),
      hub,
      params,
      revokedSeq: b.theirRevokedSeq,
      revocation: b.theirRevocationSig as Hex,
    })
    const gasPaid = penalty.receipt.gasUsed * penalty.receipt.effectiveGasPrice
    expect((await balanceOf(KEY_B)) - bBefore + gasPaid).toBe(parseEther('1'))
  })

  it('lets a watchtower punish for an offline victim, paying the victim and not itself', async () => {
    let { a, b, params } = await openAB(parseEther('1'))
    const now = await l1Now()
    ;({ a, b } = update(a, b, 'A', [{ kind: 'pay', amount: parseEther('0.1') }], now))
    const old = { state: a.state, sigA: a.sigA as Hex, sigB: a.sigB as Hex }
    ;({ a, b } = update(a, b, 'A', [{ kind: 'pay', amount: parseEther('0.1') }], now))
    // what B hands its tower: the channel, A's newest revocation (it can only make A lose, to B's benefit)
    const tower = { params, revokedSeq: b.theirRevokedSeq, revocation: b.theirRevocationSig as Hex }
    await closeChannelUnilaterally({ l1: l1For(KEY_A), hub, params, ...old })
    const bBefore = await balanceOf(KEY_B)
    const towerBefore = await balanceOf(KEY_TOWER)
    const penalty = await penalizeChannel({ l1: l1For(KEY_TOWER), hub, ...tower })
    expect((await balanceOf(KEY_B)) - bBefore).toBe(parseEther('1'))
    const towerGas = penalty.receipt.gasUsed * penalty.receipt.effectiveGasPrice
    expect((await balanceOf(KEY_TOWER)) - towerBefore).toBe(-towerGas)
  })

  it('resolves HTLCs on chain: revealed in time → receiver, expired unrevealed → sender', async () => {
    let { a, b, params } = await openAB(parseEther('1'))
    const now = await l1Now()
    const preimage = bytesToHex(sha256(new TextEncoder().encode(`claimed ${now}`)))
    const paymentHash = bytesToHex(sha256(hexToBytes(preimage)))
    const lostHash = bytesToHex(sha256(new TextEncoder().encode(`never revealed ${now}`)))
    ;({ a, b } = update(
      a,
      b,
      'A',
      [
        { kind: 'add', id: 0n, amount: parseEther('0.1'), paymentHash, expiry: now + 3_600n },
        { kind: 'add', id: 1n, amount: parseEther('0.2'), paymentHash: lostHash, expiry: now + 600n },
      ],
      now,
    ))
    // A goes silent; B closes with the newest state and reveals the preimage on L1 (one reveal for every hop)
    await closeChannelUnilaterally({
      l1: l1For(KEY_B),
      hub,
      params,
      state: b.state,
      sigA: b.sigA as Hex,
      sigB: b.sigB as Hex,
    })
    await revealPreimage({ l1: l1For(KEY_B), registry, preimage })
    await expect(settleChannel({ l1: l1For(KEY_B), hub, params, state: b.state })).rejects.toThrow(
      /DisputeWindowOpen/,
    )
    await warp(120) // past the dispute window, not past the unrevealed HTLC's expiry
    await expect(settleChannel({ l1: l1For(KEY_B), hub, params, state: b.state })).rejects.toThrow(
      /HtlcPending/,
    )
    await warp(600)
    const aBefore = await balanceOf(KEY_A)
    const bBefore = await balanceOf(KEY_B)
    const settled = await settleChannel({ l1: l1For(KEY_TOWER), hub, params, state: b.state })
    expect(settled.receipt.status).toBe('success')
    expect((await balanceOf(KEY_B)) - bBefore).toBe(parseEther('0.1'))
    expect((await balanceOf(KEY_A)) - aBefore).toBe(parseEther('0.9'))
  })

  it('replaces a published state by a newer one in a dispute and settles that', async () => {
    let { a, b, params } = await openAB(parseEther('1'))
    const now = await l1Now()
    ;({ a, b } = update(a, b, 'A', [{ kind: 'pay', amount: parseEther('0.25') }], now))
    const old = { state: a.state, sigA: a.sigA as Hex, sigB: a.sigB as Hex }
    ;({ a, b } = update(a, b, 'A', [{ kind: 'pay', amount: parseEther('0.25') }], now))
    await closeChannelUnilaterally({ l1: l1For(KEY_A), hub, params, ...old })
    await disputeChannel({
      l1: l1For(KEY_B),
      hub,
      params,
      state: b.state,
      sigA: b.sigA as Hex,
      sigB: b.sigB as Hex,
    })
    const status = await getChannelOnL1({
      publicClient: l1For(KEY_A).publicClient,
      hub,
      channelId: a.channelId,
    })
    expect(status).toMatchObject({ phase: 'closing', seq: 2n, submitter: 'B' })
    // an older state can no longer come back
    await expect(closeChannelUnilaterally({ l1: l1For(KEY_A), hub, params, ...old })).rejects.toThrow(
      /WrongPhase/,
    )
    await warp(61)
    const bBefore = await balanceOf(KEY_B)
    await settleChannel({ l1: l1For(KEY_TOWER), hub, params, state: b.state })
    expect((await balanceOf(KEY_B)) - bBefore).toBe(parseEther('0.5'))
  })
})
