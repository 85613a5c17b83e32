/**
 * viem clients for L1: one public client (reads) and, with a private key, one wallet client (signs locally).
 * The chain definition is built from the chain id (read from the node when not given).
 */
import {
  type Chain,
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hex,
  type HttpTransport,
  http,
  type PrivateKeyAccount,
  type PublicClient,
  type WalletClient,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { ErrorKind, L2kitError } from '../core/errors.ts'
import { L1ErrorCode } from './errors.ts'

/** Read-only L1 client. */
export type L1PublicClient = PublicClient<HttpTransport, Chain>
/** Signing L1 client bound to a local private-key account. */
export type L1WalletClient = WalletClient<HttpTransport, Chain, PrivateKeyAccount>

export interface L1ClientsOptions {
  rpcUrl: string
  /** Signs locally; enables `walletClient` and `account`. Never logged. */
  privateKey?: Hex
  /** L1 chain id; fetched with `eth_chainId` when undefined. */
  chainId?: number
  /** Per-request timeout. */
  timeoutMs?: number
  /** Transport-level retries of failed HTTP requests (exponential backoff from `retryDelayMs`). */
  retryCount?: number
  retryDelayMs?: number
  /** How often viem polls (receipts, block numbers). Short by default: anvil answers in milliseconds. */
  pollingIntervalMs?: number
  /** Batch concurrent JSON-RPC calls into one HTTP request. */
  batch?: boolean
}

export const defaultL1ClientsOptions = {
  timeoutMs: 10_000,
  retryCount: 3,
  retryDelayMs: 150,
  pollingIntervalMs: 250,
  batch: false,
} as const

const noRpc = { default: { http: [] as string[] } }

export interface L1Clients {
  chain: Chain
  publicClient: L1PublicClient
}
export interface L1ClientsWithWallet extends L1Clients {
  walletClient: L1WalletClient
  account: PrivateKeyAccount
}

// The chains we know, written out rather than imported from 'viem/chains': that module loads every chain viem
// knows (hundreds of files), which cost every CLI call ~1.5 s. Only what viem uses from a chain is kept.
const MULTICALL3 = { multicall3: { address: '0xca11bde05977b3631167028862be2a173976ca11' as const } }
const knownChains: readonly Chain[] = [
  defineChain({
    id: 1,
    name: 'Ethereum',
    nativeCurrency: ether('Ether'),
    rpcUrls: noRpc,
    contracts: MULTICALL3,
  }),
  defineChain({
    id: 11155111,
    name: 'Sepolia',
    nativeCurrency: ether('Sepolia Ether'),
    rpcUrls: noRpc,
    contracts: MULTICALL3,
  }),
  defineChain({
    id: 17000,
    name: 'Holesky',
    nativeCurrency: ether('Holesky Ether'),
    rpcUrls: noRpc,
    contracts: MULTICALL3,
  }),
  defineChain({
    id: 560048,
    name: 'Hoodi',
    nativeCurrency: ether('Hoodi Ether'),
    rpcUrls: noRpc,
    contracts: MULTICALL3,
  }),
  defineChain({ id: 31337, name: 'Anvil', nativeCurrency: ether('Ether'), rpcUrls: noRpc }),
]
function ether(name: string) {
  return { name, symbol: 'ETH', decimals: 18 }
}

/** A viem chain for `chainId` at `rpcUrl`: the known definition (mainnet, sepolia, holesky, hoodi, anvil) when there is one. */
export function defineL1Chain(chainId: number, rpcUrl: string): Chain {
  const rpcUrls = { default: { http: [rpcUrl] } }
  const known = knownChains.find((chain) => chain.id === chainId)
  if (known !== undefined) return { ...known, rpcUrls }
  return defineChain({
    id: chainId,
    name: `L1 ${chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls,
  })
}

/** Reads `eth_chainId` from `rpcUrl`. */
export async function fetchChainId(rpcUrl: string, timeoutMs = 10_000): Promise<number> {
  const client = createPublicClient({ transport: http(rpcUrl, { timeout: timeoutMs, retryCount: 3 }) })
  try {
    return await client.getChainId()
  } catch (cause) {
    throw new L2kitError(L1ErrorCode.rpcError, `cannot read the chain id of ${rpcUrl}`, {
      kind: ErrorKind.temporary,
      details: { rpcUrl },
      cause,
    })
  }
}

/** Creates the L1 clients. With `privateKey`, also a wallet client and its account. */
export function createL1Clients(options: L1ClientsOptions & { privateKey: Hex }): Promise<L1ClientsWithWallet>
export function createL1Clients(options: L1ClientsOptions): Promise<L1Clients | L1ClientsWithWallet>
export async function createL1Clients(options: L1ClientsOptions): Promise<L1Clients | L1ClientsWithWallet> {
  const o = { ...defaultL1ClientsOptions, ...options }
  const chainId = o.chainId ?? (await fetchChainId(o.rpcUrl, o.timeoutMs))
  const chain = defineL1Chain(chainId, o.rpcUrl)
  const transport = http(o.rpcUrl, {
    timeout: o.timeoutMs,
    retryCount: o.retryCount,
    retryDelay: o.retryDelayMs,
    batch: o.batch,
  })
  const publicClient: L1PublicClient = createPublicClient({
    chain,
    transport,
    pollingInterval: o.pollingIntervalMs,
  })
  if (o.privateKey === undefined) return { chain, publicClient }
  const account = privateKeyToAccount(o.privateKey)
  const walletClient: L1WalletClient = createWalletClient({
    chain,
    transport,
    account,
    pollingInterval: o.pollingIntervalMs,
  })
  return { chain, publicClient, walletClient, account }
}
