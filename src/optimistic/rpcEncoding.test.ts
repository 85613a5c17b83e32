import { decodeEventLog, getAddress, parseAbi } from 'viem'
import { describe, expect, it } from 'vitest'
import { L2_BRIDGE_ADDRESS } from '../core/constants.ts'
import type { Address, L2Operation } from '../core/types.ts'
import type { BlockTx } from './block.ts'
import { txLogs } from './rpcEncoding.ts'

const abi = parseAbi([
  'event Transfer(address indexed from, address indexed to, uint256 value)',
  'event WithdrawalInitiated(uint256 indexed withdrawalIndex, address indexed sender, address indexed recipient, address l1Token, uint256 amount)',
])
const SENDER: Address = '0x00000000000000000000000000000000000000a1'
const TO: Address = '0x00000000000000000000000000000000000000b2'
const L1_TOKEN: Address = '0x00000000000000000000000000000000000000c3'
const tokenAddress = (i: number) =>
  `0x42000000000000000000000000000000000010${i.toString(16).padStart(2, '0')}` as Address

function blockTx(op: L2Operation, withdrawal?: BlockTx['withdrawal']): BlockTx {
  return {
    hash: `0x${'01'.repeat(32)}`,
    raw: '0x',
    sender: SENDER,
    tx: {
      nonce: 0n,
      gasLimit: 0n,
      fees: { type: 'legacy', gasPrice: 0n },
      op,
      signature: { r: 1n, s: 1n, yParity: 0 },
    },
    gasUsed: 0n,
    effectiveGasPrice: 0n,
    ...(withdrawal ? { withdrawal } : {}),
  }
}

describe('the logs of optimistic transactions', () => {
  it('a token transfer logs Transfer from the bridged token; an ETH transfer logs nothing', () => {
    const [log, ...rest] = txLogs(
      blockTx({ kind: 'tokenTransfer', tokenIndex: 3, to: TO, amount: 7n }),
      tokenAddress,
    )
    expect(rest).toEqual([])
    expect(log?.address).toBe(tokenAddress(3))
    expect(decodeEventLog({ abi, topics: log?.topics as never, data: log?.data })).toEqual({
      eventName: 'Transfer',
      args: { from: getAddress(SENDER), to: getAddress(TO), value: 7n },
    })
    expect(txLogs(blockTx({ kind: 'ethTransfer', to: TO, amount: 7n }), tokenAddress)).toEqual([])
  })

  it('a withdrawal logs WithdrawalInitiated from the L2 bridge with its index', () => {
    const op: L2Operation = { kind: 'withdrawToken', tokenIndex: 3, recipient: TO, amount: 9n }
    const withdrawal = { index: 4n, sender: SENDER, recipient: TO, l1Token: L1_TOKEN, amount: 9n }
    const [log] = txLogs(blockTx(op, withdrawal), tokenAddress)
    expect(log?.address).toBe(L2_BRIDGE_ADDRESS.toLowerCase())
    expect(decodeEventLog({ abi, topics: log?.topics as never, data: log?.data })).toEqual({
      eventName: 'WithdrawalInitiated',
      args: {
        withdrawalIndex: 4n,
        sender: getAddress(SENDER),
        recipient: getAddress(TO),
        l1Token: getAddress(L1_TOKEN),
        amount: 9n,
      },
    })
  })
})
