/**
 * The optimistic node's JSON-RPC surface: the standard `eth_*` methods wallets and viem need, answered from the
 * sequencer's state and the chain store, and `l2kit_*` methods for rollup status and withdrawals.
 */
import {
  decodeFunctionData,
  encodeAbiParameters,
  encodeEventTopics,
  isAddress,
  numberToHex,
  parseAbi,
  parseTransaction,
  toHex,
  type Hex as ViemHex,
} from 'viem'
import { GAS, L2_BRIDGE_ADDRESS, L2_FEE_VAULT_ADDRESS, SELECTORS } from '../core/constants.ts'
import { L2kitError } from '../core/errors.ts'
import { tokenIndexFromL2Address } from '../core/state.ts'
import type { Address, Hex, TokenInfo } from '../core/types.ts'
import type { BlockTx, L2Block } from './block.ts'
import type { ChainStore } from './chainStore.ts'
import type { ChainConfig } from './config.ts'
import type { Sequencer } from './sequencer.ts'

export type RpcHandler = (params: unknown[]) => unknown | Promise<unknown>

/** What the node reports through `l2kit_status` and the withdrawal methods; implemented by OptimisticNode. */
export type RollupStatusSource = {
  status(): unknown
  withdrawalProof(withdrawalIndex: bigint): unknown
  /** L1 contract addresses and the L1 RPC the node uses, so tools need only the L2 URL. */
  contracts(): unknown
}

const EMPTY_UNCLES: Hex = '0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347'
const ZERO_BLOOM: Hex = `0x${'00'.repeat(256)}`
/** A placeholder code so wallets treat system addresses as contracts (they only check for non-empty code). */
const SYSTEM_CODE: Hex = '0x6080604052600080fd'

const erc20Abi = parseAbi([
  'function balanceOf(address) view returns (uint256)',
  'function decimals() view returns (uint8)',
  'function symbol() view returns (string)',
  'function name() view returns (string)',
  'function totalSupply() view returns (uint256)',
  'function allowance(address,address) view returns (uint256)',
  'event Transfer(address indexed from, address indexed to, uint256 value)',
])
const bridgeEventsAbi = parseAbi([
  'event WithdrawalInitiated(uint256 indexed withdrawalIndex, address indexed sender, address indexed recipient, address l1Token, uint256 amount)',
])

function invalidParams(message: string): L2kitError {
  return new L2kitError('INVALID_PARAMS', message)
}

function param<T = unknown>(params: unknown[], i: number, name: string): T {
  if (params.length <= i) throw invalidParams(`missing parameter ${i + 1} (${name})`)
  return params[i] as T
}

function addressParam(params: unknown[], i: number, name: string): Address {
  const v = param(params, i, name)
  if (typeof v !== 'string' || !isAddress(v, { strict: false }))
    throw invalidParams(`${name} must be a 0x-prefixed 20-byte address`)
  return v.toLowerCase() as Address
}

function quantity(v: unknown, name: string): bigint {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]+$/.test(v))
    throw invalidParams(`${name} must be a hex quantity`)
  return BigInt(v)
}

export function createRpcMethods(deps: {
  chain: ChainConfig
  sequencer: Sequencer
  store: ChainStore
  status: RollupStatusSource
}): Record<string, RpcHandler> {
  const { chain, sequencer, store } = deps
  const hexChainId = numberToHex(chain.chainId)

  function resolveBlock(tag: unknown): L2Block | undefined {
    const head = sequencer.head
    if (tag === undefined || tag === 'latest' || tag === 'pending' || tag === 'safe' || tag === 'finalized') {
      return head
    }
    if (tag === 'earliest') return store.getBlock(0n)
    const n = quantity(tag, 'block number')
    return n > head.number ? undefined : store.getBlock(n)
  }

  function tokenAt(address: Address): TokenInfo | undefined {
    const index = tokenIndexFromL2Address(address)
    return index === undefined ? undefined : sequencer.state.tokens.find((t: TokenInfo) => t.index === index)
  }

  function formatTx(
    t: BlockTx,
    block: L2Block | undefined,
    index: number | undefined,
  ): Record<string, unknown> {
    const p = parseTransaction(t.raw as ViemHex)
    const yParity = t.tx.signature.yParity
    const v = p.type === 'legacy' ? chain.chainId * 2n + 35n + BigInt(yParity) : BigInt(yParity)
    return {
      hash: t.hash,
      type: p.type === 'legacy' ? '0x0' : '0x2',
      chainId: hexChainId,
      nonce: toHex(t.tx.nonce),
      blockHash: block?.hash ?? null,
      blockNumber: block ? toHex(block.number) : null,
      transactionIndex: index === undefined ? null : toHex(index),
      from: t.sender,
      to: p.to ?? null,
      value: toHex(p.value ?? 0n),
      gas: toHex(t.tx.gasLimit),
      gasPrice: toHex(t.effectiveGasPrice),
      ...(p.type === 'eip1559'
        ? {
            maxFeePerGas: toHex(p.maxFeePerGas ?? 0n),
            maxPriorityFeePerGas: toHex(p.maxPriorityFeePerGas ?? 0n),
            accessList: [],
          }
        : {}),
      input: p.data ?? '0x',
      v: toHex(v),
      yParity: toHex(yParity),
      r: toHex(t.tx.signature.r),
      s: toHex(t.tx.signature.s),
    }
  }

  function receiptLogs(
    t: BlockTx,
    block: L2Block,
    txIndex: number,
    firstLogIndex: number,
  ): Record<string, unknown>[] {
    const base = {
      blockHash: block.hash,
      blockNumber: toHex(block.number),
      transactionHash: t.hash,
      transactionIndex: toHex(txIndex),
      removed: false,
    }
    const op = t.tx.op
    if (op.kind === 'tokenTransfer') {
      return [
        {
          ...base,
          logIndex: toHex(firstLogIndex),
          address: tokenAddressOf(op.tokenIndex),
          topics: encodeEventTopics({
            abi: erc20Abi,
            eventName: 'Transfer',
            args: { from: t.sender, to: op.to },
          }),
          data: encodeAbiParameters([{ type: 'uint256' }], [op.amount]),
        },
      ]
    }
    if ((op.kind === 'withdrawEth' || op.kind === 'withdrawToken') && t.withdrawal) {
      return [
        {
          ...base,
          logIndex: toHex(firstLogIndex),
          address: L2_BRIDGE_ADDRESS,
          topics: encodeEventTopics({
            abi: bridgeEventsAbi,
            eventName: 'WithdrawalInitiated',
            args: { withdrawalIndex: t.withdrawal.index, sender: t.sender, recipient: op.recipient },
          }),
          data: encodeAbiParameters(
            [{ type: 'address' }, { type: 'uint256' }],
            [t.withdrawal.l1Token, t.withdrawal.amount],
          ),
        },
      ]
    }
    return []
  }

  function totalSupply(tokenIndex: number): bigint {
    const state = sequencer.state
    let sum = 0n
    for (let i = 0; i < state.accountCount; i++) {
      const a = state.addressAt(i)
      if (a) sum += state.getBalance(a, tokenIndex)
    }
    return sum
  }

  function tokenAddressOf(index: number): Address {
    const t = sequencer.state.tokens.find((x: TokenInfo) => x.index === index)
    return (t?.l2Address ?? L2_FEE_VAULT_ADDRESS) as Address
  }

  function formatReceipt(t: BlockTx, block: L2Block, index: number): Record<string, unknown> {
    let cumulative = 0n
    let logIndex = 0
    for (let i = 0; i < index; i++) {
      const prev = block.txs[i] as BlockTx
      cumulative += prev.gasUsed
      logIndex += prev.tx.op.kind === 'tokenTransfer' || prev.withdrawal ? 1 : 0
    }
    const p = parseTransaction(t.raw as ViemHex)
    return {
      transactionHash: t.hash,
      transactionIndex: toHex(index),
      blockHash: block.hash,
      blockNumber: toHex(block.number),
      from: t.sender,
      to: p.to ?? null,
      cumulativeGasUsed: toHex(cumulative + t.gasUsed),
      gasUsed: toHex(t.gasUsed),
      effectiveGasPrice: toHex(t.effectiveGasPrice),
      contractAddress: null,
      logs: receiptLogs(t, block, index, logIndex),
      logsBloom: ZERO_BLOOM,
      status: '0x1',
      type: p.type === 'legacy' ? '0x0' : '0x2',
    }
  }

  function formatBlock(b: L2Block, full: boolean): Record<string, unknown> {
    const gasUsed = b.txs.reduce((s, t) => s + t.gasUsed, 0n)
    return {
      number: toHex(b.number),
      hash: b.hash,
      parentHash: b.parentHash,
      nonce: '0x0000000000000000',
      sha3Uncles: EMPTY_UNCLES,
      logsBloom: ZERO_BLOOM,
      transactionsRoot: b.stateRoot,
      stateRoot: b.stateRoot,
      receiptsRoot: b.stateRoot,
      miner: L2_FEE_VAULT_ADDRESS,
      difficulty: '0x0',
      totalDifficulty: '0x0',
      extraData: '0x',
      size: toHex(500 + b.txs.reduce((s, t) => s + (t.raw.length - 2) / 2, 0)),
      gasLimit: toHex(sequencer.options.blockGasLimit),
      gasUsed: toHex(gasUsed),
      timestamp: toHex(b.timestamp),
      baseFeePerGas: toHex(chain.baseFee),
      mixHash: `0x${'00'.repeat(32)}`,
      uncles: [],
      transactions: full ? b.txs.map((t, i) => formatTx(t, b, i)) : b.txs.map((t) => t.hash),
    }
  }

  function findTx(hash: Hex): { t: BlockTx; block?: L2Block; index?: number } | undefined {
    const loc = store.getTxLocation(hash)
    // A seal becomes readable in the store a moment before the sequencer moves its head: until then the tx is
    // still shown as pending, so no answer names a block beyond eth_blockNumber.
    if (loc && loc.blockNumber <= sequencer.head.number) {
      const block = store.getBlock(loc.blockNumber)
      const t = block?.txs[loc.index]
      if (block && t) return { t, block, index: loc.index }
    }
    const pending = sequencer.getPendingTx(hash)
    return pending ? { t: pending } : undefined
  }

  /** Gas a call would use; the L2 has fixed gas per supported operation. */
  function estimate(call: Record<string, unknown>): bigint {
    const to = typeof call.to === 'string' ? (call.to.toLowerCase() as Address) : undefined
    const data =
      typeof call.data === 'string' ? call.data : typeof call.input === 'string' ? call.input : '0x'
    if (to === undefined) {
      throw new L2kitError(
        'CONTRACT_CREATION_UNSUPPORTED',
        'contract deployment is not supported on this L2 yet',
      )
    }
    if (tokenIndexFromL2Address(to) !== undefined) {
      if (data.startsWith(SELECTORS.erc20Transfer)) return GAS.tokenTransfer
      throw new L2kitError(
        'UNSUPPORTED_CALL',
        'bridged tokens on this L2 support transfer(address,uint256) only',
      )
    }
    if (to === L2_BRIDGE_ADDRESS.toLowerCase()) {
      if (data.startsWith(SELECTORS.withdrawEth)) return GAS.withdrawEth
      if (data.startsWith(SELECTORS.withdrawErc20)) return GAS.withdrawToken
      throw new L2kitError(
        'UNSUPPORTED_CALL',
        'the L2 bridge supports withdrawETH(address) and withdrawERC20(address,address,uint256) only',
      )
    }
    if (data !== '0x' && data !== '') {
      throw new L2kitError(
        'UNSUPPORTED_CALL',
        'calls to arbitrary contracts are not supported on this L2 yet; send plain ETH or call a bridged token',
      )
    }
    return GAS.ethTransfer
  }

  function call(callObj: Record<string, unknown>): Hex {
    const to = typeof callObj.to === 'string' ? (callObj.to.toLowerCase() as Address) : undefined
    const data = (
      typeof callObj.data === 'string'
        ? callObj.data
        : typeof callObj.input === 'string'
          ? callObj.input
          : '0x'
    ) as ViemHex
    if (to === undefined)
      throw new L2kitError(
        'CONTRACT_CREATION_UNSUPPORTED',
        'contract deployment is not supported on this L2 yet',
      )
    const index = tokenIndexFromL2Address(to)
    if (index !== undefined) {
      const token = tokenAt(to)
      if (!token) throw new L2kitError('UNKNOWN_TOKEN', `no bridged token is registered at ${to}`)
      let decoded: ReturnType<typeof decodeFunctionData<typeof erc20Abi>>
      try {
        decoded = decodeFunctionData({ abi: erc20Abi, data })
      } catch {
        throw new L2kitError(
          'UNSUPPORTED_CALL',
          'bridged tokens answer balanceOf, decimals, symbol, name, totalSupply and allowance only',
        )
      }
      switch (decoded.functionName) {
        case 'balanceOf':
          return encodeAbiParameters(
            [{ type: 'uint256' }],
            [sequencer.state.getBalance(decoded.args[0], index)],
          )
        case 'decimals':
          return encodeAbiParameters([{ type: 'uint8' }], [token.decimals])
        case 'symbol':
          return encodeAbiParameters([{ type: 'string' }], [token.symbol])
        case 'name':
          return encodeAbiParameters([{ type: 'string' }], [token.name])
        case 'totalSupply':
          return encodeAbiParameters([{ type: 'uint256' }], [totalSupply(index)])
        case 'allowance':
          return encodeAbiParameters([{ type: 'uint256' }], [0n])
      }
    }
    if (data === '0x' && to !== L2_BRIDGE_ADDRESS.toLowerCase()) return '0x'
    throw new L2kitError(
      'UNSUPPORTED_CALL',
      `eth_call to ${to} is not supported: this L2 runs no arbitrary contracts yet`,
    )
  }

  const methods: Record<string, RpcHandler> = {
    eth_chainId: () => hexChainId,
    net_version: () => chain.chainId.toString(),
    net_listening: () => true,
    web3_clientVersion: () => 'l2kit/0.1.0/optimistic',
    eth_syncing: () => false,
    eth_accounts: () => [],
    eth_blockNumber: () => toHex(sequencer.head.number),
    eth_getBalance: (p) => toHex(sequencer.state.getBalance(addressParam(p, 0, 'address'), 0)),
    eth_getTransactionCount: (p) => {
      const address = addressParam(p, 0, 'address')
      return toHex(sequencer.state.getNonce(address))
    },
    eth_getCode: (p) => {
      const a = addressParam(p, 0, 'address')
      return a === L2_BRIDGE_ADDRESS.toLowerCase() || tokenAt(a) ? SYSTEM_CODE : '0x'
    },
    eth_sendRawTransaction: async (p) => {
      const raw = param<unknown>(p, 0, 'signed transaction')
      if (typeof raw !== 'string' || !/^0x([0-9a-fA-F]{2})+$/.test(raw)) {
        throw new L2kitError('MALFORMED_TRANSACTION', 'the signed transaction must be 0x-prefixed hex bytes')
      }
      return sequencer.submitRawTransaction(raw as Hex)
    },
    eth_getTransactionByHash: (p) => {
      const found = findTx(String(param(p, 0, 'hash')) as Hex)
      return found ? formatTx(found.t, found.block, found.index) : null
    },
    eth_getTransactionReceipt: (p) => {
      const found = findTx(String(param(p, 0, 'hash')) as Hex)
      if (!found?.block || found.index === undefined) return null
      return formatReceipt(found.t, found.block, found.index)
    },
    eth_getBlockByNumber: (p) => {
      const b = resolveBlock(param(p, 0, 'block'))
      return b ? formatBlock(b, p[1] === true) : null
    },
    eth_getBlockByHash: (p) => {
      const b = store.getBlockByHash(String(param(p, 0, 'hash')) as Hex)
      return b ? formatBlock(b, p[1] === true) : null
    },
    eth_getBlockTransactionCountByNumber: (p) => {
      const b = resolveBlock(param(p, 0, 'block'))
      return b ? toHex(b.txs.length) : null
    },
    eth_gasPrice: () => toHex(chain.baseFee),
    eth_maxPriorityFeePerGas: () => '0x0',
    eth_feeHistory: (p) => {
      const count = Math.max(1, Math.min(1024, Number(typeof p[0] === 'string' ? BigInt(p[0]) : (p[0] ?? 1))))
      const newest = resolveBlock(p[1] ?? 'latest') ?? sequencer.head
      const oldest = newest.number - BigInt(count) + 1n < 0n ? 0n : newest.number - BigInt(count) + 1n
      const n = Number(newest.number - oldest) + 1
      const percentiles = Array.isArray(p[2]) ? p[2] : []
      return {
        oldestBlock: toHex(oldest),
        baseFeePerGas: Array.from({ length: n + 1 }, () => toHex(chain.baseFee)),
        gasUsedRatio: Array.from({ length: n }, () => 0),
        reward: Array.from({ length: n }, () => percentiles.map(() => '0x0')),
      }
    },
    eth_estimateGas: (p) => toHex(estimate(param<Record<string, unknown>>(p, 0, 'transaction') ?? {})),
    eth_call: (p) => call(param<Record<string, unknown>>(p, 0, 'call') ?? {}),
    l2kit_status: () => deps.status.status(),
    l2kit_getWithdrawalProof: (p) =>
      deps.status.withdrawalProof(quantity(param(p, 0, 'withdrawal index'), 'withdrawal index')),
    l2kit_contracts: () => deps.status.contracts(),
    l2kit_tokens: () => sequencer.state.tokens,
    l2kit_batches: () => store.listBatches(),
  }
  return methods
}
