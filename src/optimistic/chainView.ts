/**
 * The optimistic rollup as a ChainView (src/node/rpc/chainView.ts): blocks from the chain store, the live state
 * and pending transactions from the sequencer. Its token state model is what makes it more than Ethereum
 * shapes: balances come from `L2State` (live) or the store's account history (at a block), bridged tokens answer
 * ERC-20 calls at their L2 addresses, logs are synthesized from transfers and withdrawals (`txLogs`), and the
 * system addresses (bridge, tokens) show code so wallets treat them as contracts.
 */
import {
  decodeFunctionData,
  encodeAbiParameters,
  encodeFunctionResult,
  parseAbi,
  type Hex as ViemHex,
} from 'viem'
import { GAS, L2_BRIDGE_ADDRESS, L2_FEE_VAULT_ADDRESS, SELECTORS } from '../core/constants.ts'
import { L2kitError } from '../core/errors.ts'
import { tokenIndexFromL2Address } from '../core/state.ts'
import type { Address, Hex, TokenInfo } from '../core/types.ts'
import type { CallRequest, ChainView, StateAt, TxLog, ViewBlock, ViewTx } from '../node/rpc/chainView.ts'
import { executionReverted, historicalStateUnavailable } from '../node/rpc/errors.ts'
import type { BlockTx, L2Block } from './block.ts'
import type { AccountRecord, ChainStore } from './chainStore.ts'
import type { ChainConfig } from './config.ts'
import { txLogs } from './rpcEncoding.ts'
import type { Sequencer } from './sequencer.ts'

/** A placeholder code so wallets treat system addresses as contracts (they only check for non-empty code). */
const SYSTEM_CODE: Hex = '0x6080604052600080fd'
const ZERO_WORD: Hex = `0x${'00'.repeat(32)}`
/** Converted blocks kept (each holds at most `maxBlockRows` transactions, 500 by default). */
const RECENT_BLOCKS = 128

const erc20Abi = parseAbi([
  'function balanceOf(address) view returns (uint256)',
  'function decimals() view returns (uint8)',
  'function symbol() view returns (string)',
  'function name() view returns (string)',
  'function totalSupply() view returns (uint256)',
  'function allowance(address,address) view returns (uint256)',
  'function transfer(address,uint256) returns (bool)',
])

export function createChainView(deps: {
  chain: ChainConfig
  sequencer: Sequencer
  store: ChainStore
}): ChainView {
  const { chain, sequencer, store } = deps

  function tokenAt(address: Address): TokenInfo | undefined {
    const index = tokenIndexFromL2Address(address)
    return index === undefined ? undefined : sequencer.state.tokens.find((t: TokenInfo) => t.index === index)
  }

  function tokenAddressOf(index: number): Address {
    const t = sequencer.state.tokens.find((x: TokenInfo) => x.index === index)
    return (t?.l2Address ?? L2_FEE_VAULT_ADDRESS).toLowerCase() as Address
  }

  function viewTx(t: BlockTx): ViewTx {
    let logs: TxLog[] | undefined
    return {
      hash: t.hash,
      raw: t.raw,
      from: t.sender,
      gasUsed: t.gasUsed,
      effectiveGasPrice: t.effectiveGasPrice,
      logs: () => {
        logs ??= txLogs(t, tokenAddressOf)
        return logs
      },
    }
  }

  // Sealed blocks never change (a re-synced block has a new hash): recent conversions are kept by hash, so
  // a block's lazily computed logs are computed once.
  const recent = new Map<string, ViewBlock>()
  function viewBlock(b: L2Block): ViewBlock {
    const cached = recent.get(b.hash)
    if (cached) return cached
    const v: ViewBlock = {
      number: b.number,
      hash: b.hash,
      parentHash: b.parentHash,
      timestamp: b.timestamp,
      stateRoot: b.stateRoot,
      txs: b.txs.map(viewTx),
    }
    if (recent.size >= RECENT_BLOCKS) recent.delete(recent.keys().next().value as string)
    recent.set(b.hash, v)
    return v
  }

  /** The account at the end of block `n` from the chain store's history. */
  function accountAt(address: Address, n: bigint): AccountRecord | undefined {
    const from = store.historyFrom() ?? 0n
    if (n < from) throw historicalStateUnavailable(n, from)
    return store.accountAt(address, n)
  }

  function balanceAt(address: Address, tokenIndex: number, at: StateAt): bigint {
    if (at === 'live') return sequencer.state.getBalance(address, tokenIndex)
    const rec = accountAt(address, at)
    return rec?.balances.find(([t]) => t === tokenIndex)?.[1] ?? 0n
  }

  function totalSupply(tokenIndex: number, at: StateAt): bigint {
    const state = sequencer.state
    let sum = 0n
    // Every account that ever existed is in the live state (accounts are never removed).
    for (let i = 0; i < state.accountCount; i++) {
      const a = state.addressAt(i)
      if (a) sum += balanceAt(a, tokenIndex, at)
    }
    return sum
  }

  function contractCreation(): L2kitError {
    return new L2kitError(
      'CONTRACT_CREATION_UNSUPPORTED',
      'contract deployment is not supported on this L2 yet',
    )
  }

  /** Bridged tokens answer the ERC-20 views and simulate `transfer`; the bridge and other calls are refused. */
  function call({ from, to, data }: CallRequest, at: StateAt): Hex {
    if (to === undefined) throw contractCreation()
    const index = tokenIndexFromL2Address(to)
    if (index !== undefined) {
      const token = tokenAt(to)
      // Like a call to an address without code on Ethereum: success, empty return data.
      if (!token) return '0x'
      let decoded: ReturnType<typeof decodeFunctionData<typeof erc20Abi>>
      try {
        decoded = decodeFunctionData({ abi: erc20Abi, data: data as ViemHex })
      } catch {
        // An ERC-20 contract has no fallback: an unknown selector reverts.
        throw executionReverted()
      }
      switch (decoded.functionName) {
        case 'balanceOf':
          return encodeAbiParameters([{ type: 'uint256' }], [balanceAt(decoded.args[0], index, at)])
        case 'decimals':
          return encodeAbiParameters([{ type: 'uint8' }], [token.decimals])
        case 'symbol':
          return encodeAbiParameters([{ type: 'string' }], [token.symbol])
        case 'name':
          return encodeAbiParameters([{ type: 'string' }], [token.name])
        case 'totalSupply':
          return encodeAbiParameters([{ type: 'uint256' }], [totalSupply(index, at)])
        case 'allowance':
          return encodeAbiParameters([{ type: 'uint256' }], [0n])
        case 'transfer': {
          // A simulation (viem's simulateContract, ethers' staticCall): true if the sender holds the amount.
          const have = from === undefined ? 0n : balanceAt(from, index, at)
          if (have < decoded.args[1]) throw executionReverted()
          return encodeFunctionResult({ abi: erc20Abi, functionName: 'transfer', result: true })
        }
      }
    }
    if (data === '0x' && to !== L2_BRIDGE_ADDRESS.toLowerCase()) return '0x'
    throw new L2kitError(
      'UNSUPPORTED_CALL',
      `eth_call to ${to} is not supported: this L2 runs no arbitrary contracts yet`,
    )
  }

  /** The L2 has fixed gas per supported operation. */
  function estimateGas({ to, data }: CallRequest): bigint {
    if (to === undefined) throw contractCreation()
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
    if (data !== '0x' && (data as string) !== '') {
      throw new L2kitError(
        'UNSUPPORTED_CALL',
        'calls to arbitrary contracts are not supported on this L2 yet; send plain ETH or call a bridged token',
      )
    }
    return GAS.ethTransfer
  }

  return {
    chainId: chain.chainId,
    baseFee: chain.baseFee,
    get blockGasLimit() {
      return sequencer.options.blockGasLimit
    },
    coinbase: L2_FEE_VAULT_ADDRESS,
    get blockTimeMs() {
      return sequencer.options.blockTimeMs
    },
    head: () => viewBlock(sequencer.head),
    block: (n) => {
      const b = n > sequencer.head.number ? undefined : store.getBlock(n)
      return b && viewBlock(b)
    },
    blockByHash: (hash) => {
      const b = store.getBlockByHash(hash)
      return b && b.number <= sequencer.head.number ? viewBlock(b) : undefined
    },
    pendingTxs: () => sequencer.unsealedTxs.map(viewTx),
    pendingStateRoot: () => sequencer.state.stateRoot(),
    transaction: (hash) => {
      const loc = store.getTxLocation(hash)
      // A seal becomes readable in the store a moment before the sequencer moves its head: until then the tx is
      // still shown as pending, so no answer names a block beyond eth_blockNumber.
      if (loc && loc.blockNumber <= sequencer.head.number) {
        const block = store.getBlock(loc.blockNumber)
        const t = block?.txs[loc.index]
        if (block && t) return { tx: viewTx(t), block: viewBlock(block), index: loc.index }
      }
      const pending = sequencer.getPendingTx(hash)
      return pending ? { tx: viewTx(pending) } : undefined
    },
    balance: (address, at) => balanceAt(address, 0, at),
    nonce: (address, at) =>
      at === 'live' ? sequencer.state.getNonce(address) : (accountAt(address, at)?.nonce ?? 0n),
    code: (address) => (address === L2_BRIDGE_ADDRESS.toLowerCase() || tokenAt(address) ? SYSTEM_CODE : '0x'),
    // No contract on this L2 keeps EVM storage.
    storage: () => ZERO_WORD,
    call,
    estimateGas,
    sendRawTransaction: (raw) => sequencer.submitRawTransaction(raw),
    onBlock: (listener) => {
      sequencer.on('block', (b) => listener(viewBlock(b)))
    },
  }
}
