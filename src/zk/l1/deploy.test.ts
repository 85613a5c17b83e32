import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { type Address, encodeAbiParameters, type Hex, keccak256 } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isL2kitError } from '../../core/errors.ts'
import { groth16VerifierAbi, poseidonT3Abi, poseidonT4Abi, zkRollupAbi } from '../../generated/contracts.ts'
import { ANVIL_DEV_ACCOUNTS, type AnvilInstance, startAnvil } from '../../l1/anvil.ts'
import { createL1Clients, type L1ClientsWithWallet } from '../../l1/clients.ts'
import { FIELD, loadZkCrypto, poseidon } from '../protocol/crypto.ts'
import { ZkState } from '../protocol/state.ts'
import { deployZkRollup, type ZkRollupDeployment } from './deploy.ts'
import {
  type ProofWords,
  proofToWords,
  type SnarkjsGroth16Proof,
  type SnarkjsVerificationKey,
} from './proof.ts'

/** The Groth16 fixture of the contract tests (scripts/zkVerifierFixture.mjs; INSECURE toy circuit and key). */
interface Fixture {
  verificationKey: SnarkjsVerificationKey
  proofs: { input: string; proof: SnarkjsGroth16Proof; calldata: string[] }[]
  scenario: {
    depth: number
    chunks: number
    genesisRoot: string
    deposit: { owner: Address; token: number; units: string; pkHash: string; packed: string }
    p1: string
    withdrawal: { owner: Address; token: number; units: string }
    newRoot: string
    pubdata: Hex
    commitment: string
    proofIndex: number
  }
}
const fixture = JSON.parse(
  readFileSync(
    fileURLToPath(new URL('../../../contracts/test/zk/fixtures/groth16.json', import.meta.url)),
    'utf8',
  ),
) as Fixture

const hex32 = (v: bigint | string): Hex => `0x${BigInt(v).toString(16).padStart(64, '0')}`

let anvil: AnvilInstance
let governor: L1ClientsWithWallet
let operator: L1ClientsWithWallet
let user: L1ClientsWithWallet
let deployed: ZkRollupDeployment

beforeAll(async () => {
  anvil = await startAnvil({ warmUpKzg: false })
  const clients = async (i: number) =>
    (await createL1Clients({
      rpcUrl: anvil.rpcUrl,
      chainId: anvil.chainId,
      privateKey: ANVIL_DEV_ACCOUNTS[i]!.privateKey,
    })) as L1ClientsWithWallet
  governor = await clients(0)
  operator = await clients(1)
  user = await clients(2)
  await loadZkCrypto()
  deployed = await deployZkRollup({
    walletClient: governor.walletClient,
    publicClient: governor.publicClient,
    verificationKey: fixture.verificationKey,
    depth: fixture.scenario.depth,
    chunks: fixture.scenario.chunks,
    priorityDeadlineSeconds: 3600,
    operator: operator.account.address,
    governor: governor.account.address,
  })
})
afterAll(async () => {
  await anvil?.stop()
})

describe('deployZkRollup', () => {
  it("deploys the rollup with the empty tree of depth D as its genesis root (the node's ZkState)", async () => {
    // the empty account is the leaf 0 (docs/zk.md); the node's tree is core's sparse Merkle tree with Poseidon
    let z = 0n
    for (let k = 0; k < fixture.scenario.depth; k++) z = poseidon([z, z])
    expect(deployed.genesisRoot).toBe(hex32(z))
    expect(deployed.genesisRoot).toBe(hex32(new ZkState(fixture.scenario.depth).root()))
    expect(deployed.genesisRoot).toBe(hex32(fixture.scenario.genesisRoot))
    const at = { address: deployed.rollup, abi: zkRollupAbi } as const
    const { publicClient } = governor
    expect(await publicClient.readContract({ ...at, functionName: 'depth' })).toBe(16n)
    expect(await publicClient.readContract({ ...at, functionName: 'chunks' })).toBe(32n)
    expect(await publicClient.readContract({ ...at, functionName: 'priorityDeadline' })).toBe(3600n)
    const op = await publicClient.readContract({ ...at, functionName: 'operator' })
    expect(op.toLowerCase()).toBe(operator.account.address.toLowerCase())
    const verifier = await publicClient.readContract({ ...at, functionName: 'verifier' })
    expect(verifier.toLowerCase()).toBe(deployed.verifier.toLowerCase())
  })

  it('puts the Poseidon libraries at their deterministic addresses, hashing like circomlibjs', async () => {
    expect(deployed.poseidonT3).toBe('0x3333333C0A88F9BE4fd23ed0536F9B6c427e3B93')
    expect(deployed.poseidonT4).toBe('0x4443338EF595F44e0121df4C21102677B142ECF0')
    const inputs = [0n, 1n, 2n, 12345678901234567890n, FIELD - 1n, FIELD / 3n]
    for (const a of inputs) {
      for (const b of inputs.slice(0, 3)) {
        const t3 = await governor.publicClient.readContract({
          address: deployed.poseidonT3,
          abi: poseidonT3Abi,
          functionName: 'hash',
          args: [[a, b]],
        })
        expect(t3).toBe(poseidon([a, b]))
        const t4 = await governor.publicClient.readContract({
          address: deployed.poseidonT4,
          abi: poseidonT4Abi,
          functionName: 'hash',
          args: [[b, a, (a + 7n) % FIELD]],
        })
        expect(t4).toBe(poseidon([b, a, (a + 7n) % FIELD]))
      }
    }
  })

  it('verifies fixture proofs through the deployed verifier and rejects a changed input', async () => {
    const words = fixture.proofs.map((p) => proofToWords(p.proof))
    const inputs = fixture.proofs.map((p) => BigInt(p.input))
    const verify = (proof: ProofWords, input: bigint) =>
      governor.publicClient.readContract({
        address: deployed.verifier,
        abi: groth16VerifierAbi,
        functionName: 'verifyProof',
        args: [proof, input],
      })
    expect(await verify(words[0]!, inputs[0]!)).toBe(true)
    expect(await verify(words[0]!, inputs[0]! + 1n)).toBe(false)
    expect(await verify(words[1]!, inputs[0]!)).toBe(false)
    const batch = await governor.publicClient.readContract({
      address: deployed.verifier,
      abi: groth16VerifierAbi,
      functionName: 'verifyBatch',
      args: [words, inputs],
    })
    expect(batch).toBe(true)
  })

  it('commits and verifies the fixture block (a real proof of its commitment) and pays the withdrawal', async () => {
    const s = fixture.scenario
    const at = { address: deployed.rollup, abi: zkRollupAbi } as const
    const deposit = await user.walletClient.writeContract({
      ...at,
      functionName: 'depositETH',
      args: [s.deposit.owner, BigInt(s.deposit.pkHash)],
      value: BigInt(s.deposit.units) * 10n ** 9n,
    })
    expect((await user.publicClient.waitForTransactionReceipt({ hash: deposit })).status).toBe('success')
    expect(await user.publicClient.readContract({ ...at, functionName: 'priorityChain', args: [1n] })).toBe(
      BigInt(s.p1),
    )

    const genesis = await operator.publicClient.readContract({ ...at, functionName: 'genesisBlock' })
    const commit = await operator.walletClient.writeContract({
      ...at,
      functionName: 'commitBlocks',
      args: [genesis, [{ newRoot: hex32(s.newRoot), pubdata: s.pubdata }]],
    })
    const committed = await operator.publicClient.waitForTransactionReceipt({ hash: commit })
    expect(committed.status).toBe('success')

    const withdrawals = [
      { recipient: s.withdrawal.owner, token: s.withdrawal.token, amount: BigInt(s.withdrawal.units) },
    ]
    const stored = {
      blockNumber: 1,
      priorityOpsBefore: 0n,
      priorityOps: 1n,
      newRoot: hex32(s.newRoot),
      commitment: hex32(s.commitment),
      withdrawalsHash: keccak256(
        encodeAbiParameters(
          [
            {
              type: 'tuple[]',
              components: [
                { name: 'recipient', type: 'address' },
                { name: 'token', type: 'uint8' },
                { name: 'amount', type: 'uint64' },
              ],
            },
          ],
          [withdrawals],
        ),
      ),
    }
    // Verification gas is explicit: estimating a pairing-heavy call is unreliable (and a precompile short of gas
    // reverts in this verifier rather than returning false).
    const verify = await user.walletClient.writeContract({
      ...at,
      functionName: 'verifyBlocks',
      args: [[stored], [proofToWords(fixture.proofs[s.proofIndex]!.proof)], [withdrawals]],
      gas: 600_000n,
    })
    const verified = await user.publicClient.waitForTransactionReceipt({ hash: verify })
    expect(verified.status).toBe('success')
    expect(await user.publicClient.readContract({ ...at, functionName: 'verifiedRoot' })).toBe(
      hex32(s.newRoot),
    )
    expect(
      await user.publicClient.readContract({
        ...at,
        functionName: 'pendingBalance',
        args: [s.withdrawal.owner, s.withdrawal.token],
      }),
    ).toBe(BigInt(s.withdrawal.units) * 10n ** 9n)
  })

  it('reuses the Poseidon libraries on a second deployment', async () => {
    const again = await deployZkRollup({
      walletClient: governor.walletClient,
      publicClient: governor.publicClient,
      verificationKey: fixture.verificationKey,
      depth: 4,
      priorityDeadlineSeconds: 60,
      operator: operator.account.address,
      governor: governor.account.address,
    })
    expect(again.poseidonT3).toBe(deployed.poseidonT3)
    expect(again.poseidonT4).toBe(deployed.poseidonT4)
    expect(again.chunks).toBe(32)
    expect(again.rollup).not.toBe(deployed.rollup)
  })

  it('lists every bad option at once', async () => {
    const error = await deployZkRollup({
      walletClient: governor.walletClient,
      publicClient: governor.publicClient,
      verificationKey: fixture.verificationKey,
      depth: 17,
      chunks: 2,
      priorityDeadlineSeconds: 0,
      operator: '0x0000000000000000000000000000000000000000',
      governor: governor.account.address,
    }).catch((e: unknown) => e)
    expect(isL2kitError(error, 'INVALID_OPTIONS')).toBe(true)
    expect((error as { details: { problems: string[] } }).details.problems).toHaveLength(4)
  })

  it('refuses a verification key with more than one public input', async () => {
    const vk = {
      ...fixture.verificationKey,
      nPublic: 2,
      IC: [...fixture.verificationKey.IC, fixture.verificationKey.IC[1]!],
    }
    const error = await deployZkRollup({
      walletClient: governor.walletClient,
      publicClient: governor.publicClient,
      verificationKey: vk,
      depth: 4,
      priorityDeadlineSeconds: 60,
      operator: operator.account.address,
      governor: governor.account.address,
    }).catch((e: unknown) => e)
    expect(isL2kitError(error, 'ZK_L1_BAD_VERIFICATION_KEY')).toBe(true)
  })
})
