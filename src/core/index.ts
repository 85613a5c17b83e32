/**
 * l2kit core: pure logic shared by every L2 family (no I/O, no clocks): bytes, varints, amounts, hashes and
 * signatures, sparse Merkle trees (accounts, withdrawals, addresses), the L2 transaction codec, the token state
 * machine and its state commitment, errors and shared types. A family's own wire formats and proofs live in
 * `src/<family>/protocol/` (the optimistic rollup's batch format, trace and step witness there).
 */
export * from './addressTree.ts'
export * from './amount.ts'
export * from './bytes.ts'
export * from './commitment.ts'
export * from './constants.ts'
export * from './errors.ts'
export * from './hash.ts'
export * from './l2tx.ts'
export * from './signature.ts'
export * from './smt.ts'
export * from './state.ts'
export * from './types.ts'
export * from './varint.ts'
