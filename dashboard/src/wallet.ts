/**
 * Who signs the page's L1 transactions (claims): an injected EIP-1193 wallet (MetaMask, …) or, on a devnet with
 * an embedded anvil, one of its well-known dev keys. Also "Add to wallet" (`wallet_addEthereumChain`).
 */
import {
  type Address,
  type Chain,
  createPublicClient,
  createWalletClient,
  custom,
  defineChain,
  type EIP1193Provider,
  http,
  numberToHex,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import type { AnyPublicClient, AnyWalletClient } from '../../src/sdk/types.ts'
import type { DevAccount } from './config.ts'
import { h } from './dom.ts'

declare global {
  interface Window {
    ethereum?: EIP1193Provider
  }
}

export type L1Clients = { walletClient: AnyWalletClient; publicClient: AnyPublicClient }

export class Wallet {
  readonly l1Chain: Chain
  readonly publicClient: AnyPublicClient
  readonly #dev: DevAccount[]
  /** 'injected' or the index of a dev account. */
  #choice: string

  constructor(l1Rpc: string, l1ChainId: number, devAccounts: DevAccount[]) {
    this.l1Chain = defineChain({
      id: l1ChainId,
      name: `l2kit L1 ${l1ChainId}`,
      nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
      rpcUrls: { default: { http: [l1Rpc] } },
    })
    this.publicClient = createPublicClient({
      chain: this.l1Chain,
      transport: http(l1Rpc, { timeout: 15_000 }),
    })
    this.#dev = devAccounts
    this.#choice = devAccounts.length > 0 ? '0' : 'injected'
  }

  /** The selector in the header. */
  render(container: HTMLElement): void {
    const select = h('select', { 'data-field': 'wallet-mode', 'aria-label': 'who signs L1 transactions' })
    for (const [i, a] of this.#dev.entries())
      select.append(h('option', { value: String(i) }, `dev key ${a.address.slice(0, 8)}… (devnet)`))
    select.append(
      h(
        'option',
        { value: 'injected' },
        window.ethereum ? 'injected wallet (EIP-1193)' : 'injected wallet (none found)',
      ),
    )
    select.value = this.#choice
    select.addEventListener('change', () => {
      this.#choice = select.value
    })
    container.replaceChildren(h('span', { class: 'muted' }, 'claims signed by '), select)
  }

  /** Clients for one L1 transaction, as the SDK actions take them. */
  async l1Clients(): Promise<L1Clients> {
    if (this.#choice !== 'injected') {
      const dev = this.#dev[Number(this.#choice)]
      if (dev === undefined) throw new Error('no such dev account')
      const walletClient = createWalletClient({
        account: privateKeyToAccount(dev.privateKey),
        chain: this.l1Chain,
        transport: http(this.l1Chain.rpcUrls.default.http[0]),
      })
      return { walletClient, publicClient: this.publicClient }
    }
    const provider = window.ethereum
    if (provider === undefined)
      throw new Error('no injected wallet (install MetaMask, or pick a dev key on a devnet)')
    const [address] = (await provider.request({ method: 'eth_requestAccounts' })) as Address[]
    if (address === undefined) throw new Error('the wallet shared no account')
    await switchChain(provider, this.l1Chain)
    const walletClient = createWalletClient({
      account: address,
      chain: this.l1Chain,
      transport: custom(provider),
    })
    return { walletClient, publicClient: this.publicClient }
  }
}

function addChainParams(chain: { id: number; name: string; rpcUrl: string }) {
  return {
    chainId: numberToHex(chain.id),
    chainName: chain.name,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: [chain.rpcUrl],
  }
}

async function switchChain(provider: EIP1193Provider, chain: Chain): Promise<void> {
  try {
    await provider.request({
      method: 'wallet_switchEthereumChain',
      params: [{ chainId: numberToHex(chain.id) }],
    })
  } catch (err) {
    // 4902: the wallet does not know the chain yet
    if ((err as { code?: number }).code !== 4902) throw err
    await provider.request({
      method: 'wallet_addEthereumChain',
      params: [
        addChainParams({ id: chain.id, name: chain.name, rpcUrl: chain.rpcUrls.default.http[0] ?? '' }),
      ],
    })
  }
}

/** An "Add to wallet" button for an EVM-compatible L2. */
export function addToWalletButton(chain: { id: number; name: string; rpcUrl: string }): HTMLButtonElement {
  const button = h(
    'button',
    { 'data-action': 'add-to-wallet', title: `chain id ${chain.id}, ${chain.rpcUrl}` },
    'Add to wallet',
  )
  button.addEventListener('click', async () => {
    const provider = window.ethereum
    if (provider === undefined) {
      button.title = 'no injected wallet found (MetaMask or another EIP-1193 wallet)'
      button.textContent = 'no wallet found'
      return
    }
    try {
      await provider.request({ method: 'wallet_addEthereumChain', params: [addChainParams(chain)] })
      button.textContent = 'added'
    } catch (err) {
      button.textContent = 'not added'
      button.title = (err as Error).message
    }
  })
  return button
}
