/**
 * Deploys the ZK rollup's L1 contracts: the Poseidon libraries (poseidon-solidity's own build, reused where it
 * already sits at its deterministic address, as on public chains), the Groth16 verifier with the circuit's
 * verification key, and `ZkRollup` linked to the libraries (contracts/src/zk, docs/zk.md "L1 contract").
 */
import { type Address, concat, type Hex, isAddress, zeroAddress } from 'viem'
import { ErrorKind, L2kitError } from '../../core/errors.ts'
import {
  groth16VerifierAbi,
  groth16VerifierBytecode,
  poseidonT3Abi,
  poseidonT3Bytecode,
  poseidonT3Deployment,
  poseidonT4Abi,
  poseidonT4Bytecode,
  poseidonT4Deployment,
  zkRollupAbi,
  zkRollupBytecode,
  zkRollupLinkReferences,
} from '../../generated/contracts.ts'
import type { L1PublicClient, L1WalletClient } from '../../l1/clients.ts'
import { deployContractWithReceipt } from '../../l1/deploy.ts'
import { L1ErrorCode } from '../../l1/errors.ts'
import { assertValidOptions, isIntegerInRange } from '../../node/options.ts'
import { ZkL1ErrorCode } from './errors.ts'
import { linkBytecode } from './link.ts'
import { type SnarkjsVerificationKey, verificationKeyToArgs } from './proof.ts'

/** Chunks per block when the caller does not say (docs/zk.md: N = 32..64 is the target range). */
export const DEFAULT_ZK_CHUNKS = 32
/** Bounds the contract accepts (ZkRollup's constructor). */
export const ZK_MAX_DEPTH = 16
export const ZK_MIN_CHUNKS = 3
export const ZK_MAX_CHUNKS = 4096

/** circomlibjs's Poseidon of (1, 2) and (1, 2, 3): checks a library before it is trusted. */
const POSEIDON_T3_1_2 = 7853200120776062878684798364095072458815029376092732009249414926327459813530n
const POSEIDON_T4_1_2_3 = 6542985608222806190361240322586112750744169038454362455181422643027100751666n

export interface DeployZkRollupParameters {
  walletClient: L1WalletClient
  publicClient: L1PublicClient
  /** The block circuit's snarkjs `verification_key.json` (one public input: the block commitment). */
  verificationKey: SnarkjsVerificationKey
  /** Account tree depth D (1..16). */
  depth: number
  /** Chunks N per block (3..4096); `DEFAULT_ZK_CHUNKS` when omitted. */
  chunks?: number
  /** Seconds a priority request may wait for a verified block before exodus can be activated. */
  priorityDeadlineSeconds: number
  /** The only account allowed to commit and revert blocks. */
  operator: Address
  /** Registers ERC-20 tokens. */
  governor: Address
}

export interface PoseidonLibraries {
  poseidonT3: Address
  poseidonT4: Address
}

export interface ZkRollupDeployment extends PoseidonLibraries {
  rollup: Address
  verifier: Address
  /** L1 block of the rollup's deployment (log followers start there). */
  deployBlock: bigint
  /** Root of the empty tree of depth D (block 0's root), as the contract computed it. */
  genesisRoot: Hex
  depth: number
  chunks: number
  priorityDeadlineSeconds: number
}

/** Deploys the verifier and the rollup (and the Poseidon libraries if L1 lacks them). Throws `L1_DEPLOY_FAILED`. */
export async function deployZkRollup(parameters: DeployZkRollupParameters): Promise<ZkRollupDeployment> {
  const { walletClient, publicClient } = parameters
  const chunks = parameters.chunks ?? DEFAULT_ZK_CHUNKS
  const problems: string[] = []
  if (!isIntegerInRange(parameters.depth, 1, ZK_MAX_DEPTH)) problems.push(`depth must be 1..${ZK_MAX_DEPTH}`)
  if (!isIntegerInRange(chunks, ZK_MIN_CHUNKS, ZK_MAX_CHUNKS)) {
    problems.push(`chunks must be ${ZK_MIN_CHUNKS}..${ZK_MAX_CHUNKS}`)
  }
  if (!isIntegerInRange(parameters.priorityDeadlineSeconds, 1, 2 ** 32 - 1)) {
    problems.push('priorityDeadlineSeconds must be 1..2^32 - 1')
  }
  for (const role of ['operator', 'governor'] as const) {
    const a = parameters[role]
    if (typeof a !== 'string' || !isAddress(a, { strict: false }) || a.toLowerCase() === zeroAddress) {
      problems.push(`${role} must be a non-zero address`)
    }
  }
  assertValidOptions('deployZkRollup', problems)
  const vk = verificationKeyToArgs(parameters.verificationKey)

  const libraries = await deployPoseidonLibraries(walletClient, publicClient)
  const verifier = await deployContractWithReceipt(walletClient, publicClient, {
    abi: groth16VerifierAbi,
    bytecode: groth16VerifierBytecode,
    args: [vk],
    name: 'Groth16Verifier',
  })
  const bytecode = linkBytecode(zkRollupBytecode, zkRollupLinkReferences, {
    PoseidonT3: libraries.poseidonT3,
    PoseidonT4: libraries.poseidonT4,
  })
  const rollup = await deployContractWithReceipt(walletClient, publicClient, {
    abi: zkRollupAbi,
    bytecode,
    args: [
      verifier.address,
      BigInt(parameters.depth),
      BigInt(chunks),
      BigInt(parameters.priorityDeadlineSeconds),
      parameters.operator,
      parameters.governor,
    ],
    name: 'ZkRollup',
  })
  const genesisRoot = await publicClient.readContract({
    address: rollup.address,
    abi: zkRollupAbi,
    functionName: 'genesisRoot',
  })
  return {
    ...libraries,
    rollup: rollup.address,
    verifier: verifier.address,
    deployBlock: rollup.receipt.blockNumber,
    genesisRoot,
    depth: parameters.depth,
    chunks,
    priorityDeadlineSeconds: parameters.priorityDeadlineSeconds,
  }
}

/**
 * The PoseidonT3 / PoseidonT4 libraries: reused at poseidon-solidity's deterministic addresses when there (checked
 * against circomlibjs), else created there through the deterministic deployment factory when L1 has it (anvil and
 * public chains do), else deployed plainly.
 */
export async function deployPoseidonLibraries(
  walletClient: L1WalletClient,
  publicClient: L1PublicClient,
): Promise<PoseidonLibraries> {
  const poseidonT3 = await ensureLibrary(walletClient, publicClient, {
    name: 'PoseidonT3',
    bytecode: poseidonT3Bytecode,
    deployment: poseidonT3Deployment,
    check: async (address) =>
      (await publicClient.readContract({
        address,
        abi: poseidonT3Abi,
        functionName: 'hash',
        args: [[1n, 2n]],
      })) === POSEIDON_T3_1_2,
  })
  const poseidonT4 = await ensureLibrary(walletClient, publicClient, {
    name: 'PoseidonT4',
    bytecode: poseidonT4Bytecode,
    deployment: poseidonT4Deployment,
    check: async (address) =>
      (await publicClient.readContract({
        address,
        abi: poseidonT4Abi,
        functionName: 'hash',
        args: [[1n, 2n, 3n]],
      })) === POSEIDON_T4_1_2_3,
  })
  return { poseidonT3, poseidonT4 }
}

interface LibrarySpec {
  name: string
  bytecode: Hex
  deployment: { readonly factory: string; readonly salt: string; readonly address: string }
  check: (address: Address) => Promise<boolean>
}

async function ensureLibrary(
  walletClient: L1WalletClient,
  publicClient: L1PublicClient,
  spec: LibrarySpec,
): Promise<Address> {
  const canonical = spec.deployment.address as Address
  const factory = spec.deployment.factory as Address
  let address: Address
  if (await hasCode(publicClient, canonical)) {
    address = canonical
  } else if (await hasCode(publicClient, factory)) {
    const hash = await walletClient.sendTransaction({
      to: factory,
      data: concat([spec.deployment.salt as Hex, spec.bytecode]),
    })
    const receipt = await publicClient.waitForTransactionReceipt({ hash })
    if (receipt.status !== 'success' || !(await hasCode(publicClient, canonical))) {
      throw new L2kitError(
        L1ErrorCode.deployFailed,
        `deploying ${spec.name} through the CREATE2 factory failed`,
        {
          kind: ErrorKind.critical,
          details: { name: spec.name, txHash: hash, factory },
        },
      )
    }
    address = canonical
  } else {
    address = (
      await deployContractWithReceipt(walletClient, publicClient, {
        abi: [],
        bytecode: spec.bytecode,
        name: spec.name,
      })
    ).address
  }
  if (!(await spec.check(address))) {
    throw new L2kitError(
      ZkL1ErrorCode.poseidonMismatch,
      `${spec.name} at ${address} does not hash like circomlibjs`,
      {
        kind: ErrorKind.critical,
        details: { name: spec.name, address },
      },
    )
  }
  return address
}

async function hasCode(publicClient: L1PublicClient, address: Address): Promise<boolean> {
  const code = await publicClient.getCode({ address })
  return code !== undefined && code !== '0x'
}
