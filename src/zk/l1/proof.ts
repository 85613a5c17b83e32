/**
 * snarkjs's Groth16 JSON (proofs and verification keys) in the word order of the L1 verifier
 * (contracts/src/zk/Groth16Verifier.sol): a proof is `uint256[8]` = `[A.x, A.y, B.x1, B.x0, B.y1, B.y0, C.x, C.y]`.
 * G2 coordinates are `c0 + c1·u` in F_q², snarkjs writes `[c0, c1]` and the EVM's pairing precompile (EIP-197) takes
 * `c1` first, as snarkjs's own exported verifier does.
 */
import { ErrorKind, L2kitError } from '../../core/errors.ts'
import { ZkL1ErrorCode } from './errors.ts'

/** BN254 base field modulus: every coordinate is below it. */
export const BN254_Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n
/** BN254 scalar field modulus: public inputs are below it. */
export const BN254_R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n

type Num = string | bigint | number

/** A Groth16 proof as snarkjs writes it (`proof.json`): projective coordinates with z = 1. */
export interface SnarkjsGroth16Proof {
  readonly pi_a: readonly Num[]
  readonly pi_b: readonly (readonly Num[])[]
  readonly pi_c: readonly Num[]
  readonly protocol?: string
  readonly curve?: string
}

/** A Groth16 verification key as snarkjs writes it (`verification_key.json`). */
export interface SnarkjsVerificationKey {
  readonly protocol?: string
  readonly curve?: string
  readonly nPublic: number
  readonly vk_alpha_1: readonly Num[]
  readonly vk_beta_2: readonly (readonly Num[])[]
  readonly vk_gamma_2: readonly (readonly Num[])[]
  readonly vk_delta_2: readonly (readonly Num[])[]
  readonly IC: readonly (readonly Num[])[]
}

/** The verifier's `uint256[8]` proof. */
export type ProofWords = readonly [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint]
type G1Words = readonly [bigint, bigint]
type G2Words = readonly [bigint, bigint, bigint, bigint]

/** The verifier's constructor argument (`Groth16Verifier.VerifyingKey`), G2 points in EVM order. */
export interface VerifierKeyArgs {
  readonly alpha1: G1Words
  readonly beta2: G2Words
  readonly gamma2: G2Words
  readonly delta2: G2Words
  readonly ic0: G1Words
  readonly ic1: G1Words
}

function badProof(message: string): L2kitError {
  return new L2kitError(ZkL1ErrorCode.badProof, `bad Groth16 proof: ${message}`, {
    kind: ErrorKind.invalidInput,
  })
}

function badKey(message: string): L2kitError {
  return new L2kitError(ZkL1ErrorCode.badVerificationKey, `bad verification key: ${message}`, {
    kind: ErrorKind.invalidInput,
  })
}

function isInteger(value: Num | undefined, expected: bigint): boolean {
  try {
    return value !== undefined && BigInt(value) === expected
  } catch {
    return false
  }
}

function coordinate(value: Num | undefined, what: string, fail: (m: string) => L2kitError): bigint {
  let v: bigint
  try {
    if (value === undefined || (typeof value === 'string' && !/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(value)))
      throw 0
    v = BigInt(value)
  } catch {
    throw fail(`${what} is not an integer (${String(value)})`)
  }
  if (v < 0n || v >= BN254_Q) throw fail(`${what} is not below the base field modulus`)
  return v
}

function g1(point: readonly Num[] | undefined, what: string, fail: (m: string) => L2kitError): G1Words {
  if (!Array.isArray(point) || (point.length !== 2 && point.length !== 3))
    throw fail(`${what} is not a G1 point`)
  if (point.length === 3 && !isInteger(point[2], 1n)) throw fail(`${what} is not affine (z != 1)`)
  return [coordinate(point[0], `${what}.x`, fail), coordinate(point[1], `${what}.y`, fail)]
}

function g2(
  point: readonly (readonly Num[])[] | undefined,
  what: string,
  fail: (m: string) => L2kitError,
): G2Words {
  if (!Array.isArray(point) || (point.length !== 2 && point.length !== 3))
    throw fail(`${what} is not a G2 point`)
  const [x, y, z] = point
  if (!Array.isArray(x) || x.length !== 2 || !Array.isArray(y) || y.length !== 2) {
    throw fail(`${what} is not a G2 point`)
  }
  if (z !== undefined && (!Array.isArray(z) || !isInteger(z[0], 1n) || !isInteger(z[1], 0n))) {
    throw fail(`${what} is not affine (z != 1)`)
  }
  // snarkjs: [[x0, x1], [y0, y1]] (real part first); the EVM: [x1, x0, y1, y0]
  return [
    coordinate(x[1], `${what}.x1`, fail),
    coordinate(x[0], `${what}.x0`, fail),
    coordinate(y[1], `${what}.y1`, fail),
    coordinate(y[0], `${what}.y0`, fail),
  ]
}

/** snarkjs proof JSON → the verifier's `uint256[8]`. Throws `ZK_L1_BAD_PROOF` for anything malformed. */
export function proofToWords(proof: SnarkjsGroth16Proof): ProofWords {
  if (proof === null || typeof proof !== 'object') throw badProof('not an object')
  if (proof.protocol !== undefined && proof.protocol !== 'groth16')
    throw badProof(`protocol ${proof.protocol}`)
  if (proof.curve !== undefined && proof.curve !== 'bn128') throw badProof(`curve ${proof.curve}`)
  const a = g1(proof.pi_a, 'pi_a', badProof)
  const b = g2(proof.pi_b, 'pi_b', badProof)
  const c = g1(proof.pi_c, 'pi_c', badProof)
  return [a[0], a[1], b[0], b[1], b[2], b[3], c[0], c[1]]
}

/** snarkjs verification key JSON (one public input) → the verifier's constructor argument. */
export function verificationKeyToArgs(vk: SnarkjsVerificationKey): VerifierKeyArgs {
  if (vk === null || typeof vk !== 'object') throw badKey('not an object')
  if (vk.protocol !== undefined && vk.protocol !== 'groth16') throw badKey(`protocol ${vk.protocol}`)
  if (vk.curve !== undefined && vk.curve !== 'bn128') throw badKey(`curve ${vk.curve}`)
  if (vk.nPublic !== 1 || !Array.isArray(vk.IC) || vk.IC.length !== 2) {
    throw badKey(`the verifier takes exactly one public input (nPublic = ${vk.nPublic})`)
  }
  return {
    alpha1: g1(vk.vk_alpha_1, 'vk_alpha_1', badKey),
    beta2: g2(vk.vk_beta_2, 'vk_beta_2', badKey),
    gamma2: g2(vk.vk_gamma_2, 'vk_gamma_2', badKey),
    delta2: g2(vk.vk_delta_2, 'vk_delta_2', badKey),
    ic0: g1(vk.IC[0], 'IC[0]', badKey),
    ic1: g1(vk.IC[1], 'IC[1]', badKey),
  }
}

/** A public input as the verifier takes it; throws `ZK_L1_BAD_PROOF` unless it is below the scalar field modulus. */
export function publicInput(value: Num): bigint {
  let v: bigint
  try {
    v = BigInt(value)
  } catch {
    throw badProof(`public input is not an integer (${String(value)})`)
  }
  if (v < 0n || v >= BN254_R) throw badProof('public input is not below the scalar field modulus')
  return v
}
