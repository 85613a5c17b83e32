// Minimal types for the parts of circomlibjs (iden3's reference Poseidon / BabyJubjub EdDSA in JS) l2kit uses.
declare module 'circomlibjs' {
  /** A field element in circomlibjs's internal (Montgomery) representation. */
  export type FieldElement = Uint8Array
  export interface Field {
    e(value: bigint | number | string | FieldElement): FieldElement
    toObject(value: FieldElement): bigint
    eq(a: FieldElement, b: FieldElement): boolean
  }
  export interface Poseidon {
    (inputs: ReadonlyArray<bigint | FieldElement>): FieldElement
    F: Field
  }
  export function buildPoseidon(): Promise<Poseidon>
  export interface BabyJub {
    F: Field
    Base8: [FieldElement, FieldElement]
    subOrder: bigint
    inCurve(point: [FieldElement, FieldElement]): boolean
    packPoint(point: [FieldElement, FieldElement]): Uint8Array
    unpackPoint(packed: Uint8Array): [FieldElement, FieldElement] | null
  }
  export interface Signature {
    R8: [FieldElement, FieldElement]
    S: bigint
  }
  export interface Eddsa {
    babyJub: BabyJub
    F: Field
    poseidon: Poseidon
    prv2pub(privateKey: Uint8Array): [FieldElement, FieldElement]
    signPoseidon(privateKey: Uint8Array, message: FieldElement): Signature
    verifyPoseidon(
      message: FieldElement,
      signature: Signature,
      publicKey: [FieldElement, FieldElement],
    ): boolean
  }
  export function buildEddsa(): Promise<Eddsa>
  export function buildBabyjub(): Promise<BabyJub>
}
