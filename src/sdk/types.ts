/** Client shapes the SDK actions take: plain viem clients, on L1 and on the L2. */
import type { Account, Chain, PublicClient, Transport, WalletClient } from 'viem'

export type AnyPublicClient = PublicClient<Transport, Chain | undefined>
export type AnyWalletClient = WalletClient<Transport, Chain | undefined, Account>
