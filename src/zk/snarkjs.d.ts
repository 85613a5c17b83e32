// Minimal types for the parts of snarkjs 0.7 l2kit uses (shared by src/zk and src/zk/setup: extend here).
declare module 'snarkjs' {
  export type Groth16Proof = {
    pi_a: [string, string, string]
    pi_b: [[string, string], [string, string], [string, string]]
    pi_c: [string, string, string]
    protocol: 'groth16'
    curve: 'bn128'
  }
  export type VerificationKey = {
    protocol: 'groth16'
    curve: 'bn128'
    nPublic: number
    vk_alpha_1: string[]
    vk_beta_2: string[][]
    vk_gamma_2: string[][]
    vk_delta_2: string[][]
    IC: string[][]
    [key: string]: unknown
  }
  /** A file name or an in-memory buffer `{ type: 'mem', data? }`. */
  export type FileArg = string | { type: 'mem'; data?: Uint8Array }
  export type Logger = {
    debug?(m: string): void
    info?(m: string): void
    warn?(m: string): void
    error?(m: string): void
  }
  export const groth16: {
    prove(
      zkey: FileArg,
      witness: FileArg,
      logger?: Logger,
    ): Promise<{ proof: Groth16Proof; publicSignals: string[] }>
    fullProve(
      input: Record<string, unknown>,
      wasm: FileArg,
      zkey: FileArg,
      logger?: Logger,
    ): Promise<{ proof: Groth16Proof; publicSignals: string[] }>
    verify(
      vk: VerificationKey,
      publicSignals: readonly (string | bigint)[],
      proof: Groth16Proof,
      logger?: Logger,
    ): Promise<boolean>
  }
  export const wtns: {
    calculate(input: Record<string, unknown>, wasm: FileArg, out: FileArg, options?: unknown): Promise<void>
    check(r1cs: FileArg, wtns: FileArg, logger?: Logger): Promise<boolean>
  }
  export const zKey: {
    newZKey(r1cs: FileArg, ptau: FileArg, zkey: FileArg, logger?: Logger): Promise<unknown>
    beacon(
      zkeyOld: FileArg,
      zkeyNew: FileArg,
      name: string,
      beaconHashStr: string,
      numIterationsExp: number,
      logger?: Logger,
    ): Promise<unknown>
    exportVerificationKey(zkey: FileArg, logger?: Logger): Promise<VerificationKey>
    verifyFromR1cs(r1cs: FileArg, ptau: FileArg, zkey: FileArg, logger?: Logger): Promise<boolean>
  }
  export const powersOfTau: {
    verify(ptau: FileArg, logger?: Logger): Promise<boolean>
    [key: string]: (...args: never[]) => Promise<unknown>
  }
  export const r1cs: {
    info(
      r1cs: FileArg,
      logger?: Logger,
    ): Promise<{
      nConstraints: number
      nVars: number
      nOutputs: number
      nPubInputs: number
      nPrvInputs: number
    }>
  }
}
