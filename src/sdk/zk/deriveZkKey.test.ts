import { createWalletClient, custom, hexToBytes } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { beforeAll, describe, expect, it } from 'vitest'
import { isL2kitError } from '../../core/errors.ts'
import {
  loadZkCrypto,
  pubKeyHash,
  zkKeyMessage,
  zkPrivateKeyFromSignature,
  zkPublicKey,
  zkSign,
  zkVerify,
} from '../../zk/protocol/crypto.ts'
import { deriveZkKey } from './deriveZkKey.ts'

beforeAll(loadZkCrypto)

const ROLLUP = '0x5FbDB2315678afecb367f032d93F642f64180aa3' as const
const PK = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d' as const

/** A wallet whose transport refuses every call: signing with a local account needs no RPC. */
function wallet(privateKey: `0x${string}` = PK) {
  const calls: string[] = []
  const walletClient = createWalletClient({
    account: privateKeyToAccount(privateKey),
    transport: custom({
      request: async ({ method }: { method: string }) => {
        calls.push(method)
        throw new Error(`no RPC in this test (${method})`)
      },
    }),
  })
  return { walletClient, calls }
}

describe('deriveZkKey', () => {
  it('is deterministic, needs no RPC with a local account, and is keccak256 of the personal_sign signature', async () => {
    const { walletClient, calls } = wallet()
    const a = await deriveZkKey({ walletClient, chainId: 31337, rollup: ROLLUP })
    const b = await deriveZkKey({
      walletClient,
      chainId: 31337,
      rollup: ROLLUP.toLowerCase() as `0x${string}`,
    })
    expect(calls).toEqual([])
    expect(a.privateKey).toEqual(b.privateKey)
    expect(a.pkHash).toBe(b.pkHash)

    const signature = await privateKeyToAccount(PK).signMessage({ message: zkKeyMessage(31337, ROLLUP) })
    const expected = zkPrivateKeyFromSignature(hexToBytes(signature))
    expect(a.privateKey).toEqual(expected)
    expect(a.pubKey).toEqual(zkPublicKey(expected))
    expect(a.pkHash).toBe(pubKeyHash(zkPublicKey(expected)))
    const sig = zkSign(a.privateKey, 42n)
    expect(zkVerify(42n, sig, a.pubKey)).toBe(true)
  })

  it('differs per chain, per rollup and per wallet', async () => {
    const { walletClient } = wallet()
    const base = await deriveZkKey({ walletClient, chainId: 31337, rollup: ROLLUP })
    const otherChain = await deriveZkKey({ walletClient, chainId: 1, rollup: ROLLUP })
    const otherRollup = await deriveZkKey({
      walletClient,
      chainId: 31337,
      rollup: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512',
    })
    const otherWallet = await deriveZkKey({
      walletClient: wallet('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a').walletClient,
      chainId: 31337,
      rollup: ROLLUP,
    })
    const hashes = new Set([base, otherChain, otherRollup, otherWallet].map((k) => k.pkHash))
    expect(hashes.size).toBe(4)
  })

  it('takes the chain id from the wallet client when not given, and refuses a bad rollup address', async () => {
    const { walletClient } = wallet()
    const withChain = createWalletClient({
      account: walletClient.account,
      chain: {
        id: 31337,
        name: 'anvil',
        nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
        rpcUrls: { default: { http: [] } },
      },
      transport: custom({
        request: async () => {
          throw new Error('no RPC')
        },
      }),
    })
    const implicit = await deriveZkKey({ walletClient: withChain, rollup: ROLLUP })
    const explicit = await deriveZkKey({ walletClient, chainId: 31337, rollup: ROLLUP })
    expect(implicit.pkHash).toBe(explicit.pkHash)
    const err = await deriveZkKey({ walletClient, chainId: 1, rollup: '0x1234' as `0x${string}` }).catch(
      (e) => e,
    )
    expect(isL2kitError(err, 'INVALID_ADDRESS')).toBe(true)
  })
})
