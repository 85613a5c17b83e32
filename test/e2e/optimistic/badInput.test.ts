/**
 * Hostile and malformed input over the L2 JSON-RPC: each gets a typed error with a stable code and a clear
 * message, and nothing in the state changes.
 */
import { encodeFunctionData, erc20Abi, type Hex, parseEther } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Devnet } from '../../../src/optimistic/devnet.ts'
import { testDevnet } from './helpers.ts'

type RpcReply = { result?: unknown; error?: { code: number; message: string; data?: { code?: string } } }

describe('L2 JSON-RPC rejects bad input without changing state', () => {
  let devnet: Devnet
  let rpc: (method: string, params: unknown[]) => Promise<RpcReply>
  let key: Hex
  let chainId: number

  beforeAll(async () => {
    devnet = await testDevnet({ devAccounts: 1 })
    key = devnet.accounts[0]?.privateKey as Hex
    chainId = Number(devnet.chain.chainId)
    rpc = async (method, params) => {
      const res = await fetch(devnet.l2Rpc, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      })
      return (await res.json()) as RpcReply
    }
  })
  afterAll(async () => {
    await devnet?.stop()
  })

  async function snapshot() {
    const me = privateKeyToAccount(key).address
    const [balance, nonce] = await Promise.all([
      rpc('eth_getBalance', [me, 'latest']),
      rpc('eth_getTransactionCount', [me, 'latest']),
    ])
    return { balance: balance.result, nonce: nonce.result, root: devnet.node.sequencer.state.stateRoot() }
  }

  async function sign(tx: Record<string, unknown>, signingChainId = chainId): Promise<Hex> {
    const account = privateKeyToAccount(key)
    const nonce = Number(
      BigInt((await rpc('eth_getTransactionCount', [account.address, 'latest'])).result as string),
    )
    return account.signTransaction({
      type: 'eip1559',
      chainId: signingChainId,
      nonce,
      gas: 21_000n,
      maxFeePerGas: 2_000_000n,
      maxPriorityFeePerGas: 0n,
      ...tx,
    } as Parameters<typeof account.signTransaction>[0])
  }

  async function expectRejected(raw: unknown, code: string) {
    const before = await snapshot()
    const reply = await rpc('eth_sendRawTransaction', [raw])
    expect(reply.error, `expected ${code}, got ${JSON.stringify(reply)}`).toBeDefined()
    expect(reply.error?.data?.code).toBe(code)
    expect(reply.error?.message.length).toBeGreaterThan(10)
    expect(await snapshot()).toEqual(before)
  }

  it('rejects a signature that does not verify', async () => {
    const raw = await sign({ to: '0x000000000000000000000000000000000000dEaD', value: 1000n })
    // Flip a byte inside s: the signature no longer recovers to a valid key/sender pairing we accept.
    const tampered = `${raw.slice(0, -4)}${raw.slice(-4, -2) === 'ff' ? '00' : 'ff'}${raw.slice(-2)}` as Hex
    const reply = await rpc('eth_sendRawTransaction', [tampered])
    // Either the signature is invalid, or it recovers to an account with no funds: never accepted as ours.
    expect(reply.error?.data?.code).toMatch(/INVALID_SIGNATURE|UNKNOWN_ACCOUNT|INSUFFICIENT_BALANCE/)
  })

  it('rejects a transaction signed for another chain', async () => {
    await expectRejected(
      await sign({ to: '0x000000000000000000000000000000000000dEaD', value: 1000n }, 1),
      'WRONG_CHAIN_ID',
    )
  })

  it('rejects a replayed transaction and a nonce from the future', async () => {
    const raw = await sign({ to: '0x000000000000000000000000000000000000dEaD', value: 1000n })
    expect((await rpc('eth_sendRawTransaction', [raw])).result).toMatch(/^0x/)
    await expectRejected(raw, 'NONCE_TOO_LOW')
    const account = privateKeyToAccount(key)
    const future = await account.signTransaction({
      type: 'eip1559',
      chainId,
      nonce: 999,
      gas: 21_000n,
      maxFeePerGas: 2_000_000n,
      maxPriorityFeePerGas: 0n,
      to: '0x000000000000000000000000000000000000dEaD',
      value: 1n,
    })
    await expectRejected(future, 'NONCE_TOO_HIGH')
  })

  it('rejects spending more than the balance', async () => {
    await expectRejected(
      await sign({ to: '0x000000000000000000000000000000000000dEaD', value: parseEther('1000000') }),
      'INSUFFICIENT_BALANCE',
    )
  })

  it('rejects a transfer of a token that is not bridged', async () => {
    const data = encodeFunctionData({
      abi: erc20Abi,
      functionName: 'transfer',
      args: ['0x000000000000000000000000000000000000dEaD', 1n],
    })
    await expectRejected(
      await sign({ to: '0x4200000000000000000000000000000000001005', data, gas: 52_000n }),
      'UNKNOWN_TOKEN',
    )
  })

  it('rejects an amount that does not fit the packed format', async () => {
    await expectRejected(
      await sign({ to: '0x000000000000000000000000000000000000dEaD', value: 10n ** 21n + 1n }),
      'AMOUNT_NOT_PACKABLE',
    )
  })

  it('rejects malformed transaction bytes', async () => {
    await expectRejected('0x02f8', 'MALFORMED_TRANSACTION')
    await expectRejected('not hex', 'MALFORMED_TRANSACTION')
  })

  it('rejects contract deployment and calls to arbitrary contracts', async () => {
    await expectRejected(await sign({ data: '0x6080604052', gas: 100_000n }), 'CONTRACT_CREATION_UNSUPPORTED')
    await expectRejected(
      await sign({ to: '0x000000000000000000000000000000000000dEaD', data: '0x12345678', gas: 100_000n }),
      'UNSUPPORTED_CALL',
    )
  })

  it('answers an unsupported method with method-not-found', async () => {
    const reply = await rpc('debug_traceTransaction', ['0x00'])
    expect(reply.error?.code).toBe(-32601)
    expect(reply.error?.message).toMatch(/debug_traceTransaction/)
  })

  it('refuses an oversized request body', async () => {
    const res = await fetch(devnet.l2Rpc, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'eth_sendRawTransaction',
        params: [`0x${'00'.repeat(2_000_000)}`],
      }),
    })
    expect(res.status).toBe(413)
  })

  it('refuses a signed transaction larger than the limit', async () => {
    await expectRejected(`0x02${'00'.repeat(8_000)}`, 'TX_TOO_LARGE')
  })
})
