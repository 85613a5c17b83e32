/**
 * Linking library addresses into creation bytecode compiled with unlinked libraries (solc leaves a 40-character
 * placeholder `__$<first 34 hex chars of keccak256("<source>:<Library>")>$__` where each address goes; forge's
 * `linkReferences` give their byte offsets, exported by scripts/buildContracts.mjs as `<prefix>LinkReferences`).
 */
import { type Address, type Hex, isAddress, keccak256, stringToHex } from 'viem'
import { ErrorKind, L2kitError } from '../../core/errors.ts'
import { ZkL1ErrorCode } from './errors.ts'

/** Where one library's address goes in a contract's creation bytecode. */
export interface LinkReference {
  /** Library name, e.g. `PoseidonT3`. */
  readonly library: string
  /** Source path the compiler saw (part of the placeholder's hash). */
  readonly source: string
  /** Byte offsets of its 20-byte placeholders. */
  readonly offsets: readonly number[]
}

/** The placeholder solc writes for library `library` of `source`. */
export function libraryPlaceholder(source: string, library: string): string {
  return `__$${keccak256(stringToHex(`${source}:${library}`)).slice(2, 36)}$__`
}

/**
 * Returns `bytecode` with every library of `references` linked to its address in `libraries` (by library name).
 * Throws `ZK_L1_LINK_FAILED` if a library has no valid address, a placeholder is not where a reference says, or a
 * placeholder is left over.
 */
export function linkBytecode(
  bytecode: Hex,
  references: readonly LinkReference[],
  libraries: Readonly<Record<string, Address>>,
): Hex {
  const fail = (message: string, details: Record<string, unknown> = {}) =>
    new L2kitError(ZkL1ErrorCode.linkFailed, `linking failed: ${message}`, {
      kind: ErrorKind.critical,
      details,
    })
  let code = bytecode.slice(2)
  for (const ref of references) {
    const address = libraries[ref.library]
    if (address === undefined || !isAddress(address, { strict: false })) {
      throw fail(`no address for library ${ref.library}`, { library: ref.library, address })
    }
    const placeholder = libraryPlaceholder(ref.source, ref.library)
    for (const offset of ref.offsets) {
      const at = offset * 2
      if (code.slice(at, at + 40) !== placeholder) {
        throw fail(`no ${ref.library} placeholder at byte ${offset}`, { library: ref.library, offset })
      }
      code = code.slice(0, at) + address.slice(2).toLowerCase() + code.slice(at + 40)
    }
  }
  const left = /__\$[0-9a-f]{34}\$__/.exec(code)
  if (left !== null) throw fail(`unlinked library placeholder ${left[0]} at byte ${left.index / 2}`)
  return `0x${code}`
}
