/**
 * iden3's binary container (used by .ptau, .zkey, .r1cs): 4-byte magic, u32 version, u32 section count, then
 * sections of (u32 type, u64 size, bytes), all little-endian. A writer that lays the sections out in advance (sizes
 * known) so their contents can be written in any order, and readers for the section table, an r1cs and a ptau header.
 */
import { type FileHandle, open } from 'node:fs/promises'
import { L2kitError } from '../../core/errors.ts'
import './errors.ts'
import { FR, leToBigint } from './snarkjsCompat.ts'

/** The BN254 base field order q. */
export const FQ = 21888242871839275222246405745257275088696311157297823662689037894645226208583n

export type SectionLayout = { id: number; size: number; offset: number }

/** A file whose sections' sizes are fixed up front; `write(id, at, bytes)` writes inside section `id`. */
export class BinFileWriter {
  readonly sections = new Map<number, SectionLayout>()
  private constructor(
    private readonly fh: FileHandle,
    readonly path: string,
  ) {}

  static async create(
    path: string,
    magic: string,
    version: number,
    sections: { id: number; size: number }[],
  ): Promise<BinFileWriter> {
    const fh = await open(path, 'w+')
    const w = new BinFileWriter(fh, path)
    const head = new Uint8Array(12)
    const dv = new DataView(head.buffer)
    for (let i = 0; i < 4; i++) head[i] = magic.charCodeAt(i)
    dv.setUint32(4, version, true)
    dv.setUint32(8, sections.length, true)
    await w.writeAt(0, head)
    let pos = 12
    for (const s of sections) {
      const h = new Uint8Array(12)
      const hv = new DataView(h.buffer)
      hv.setUint32(0, s.id, true)
      hv.setBigUint64(4, BigInt(s.size), true)
      await w.writeAt(pos, h)
      w.sections.set(s.id, { id: s.id, size: s.size, offset: pos + 12 })
      pos += 12 + s.size
    }
    return w
  }

  async writeAt(position: number, bytes: Uint8Array): Promise<void> {
    let done = 0
    while (done < bytes.length) {
      const { bytesWritten } = await this.fh.write(bytes, done, bytes.length - done, position + done)
      done += bytesWritten
    }
  }

  /** Writes `bytes` at offset `at` inside section `id` (bounds checked). */
  async write(id: number, at: number, bytes: Uint8Array): Promise<void> {
    const s = this.sections.get(id)
    if (s === undefined) throw new Error(`no section ${id}`)
    if (at < 0 || at + bytes.length > s.size) throw new Error(`write outside section ${id}`)
    await this.writeAt(s.offset + at, bytes)
  }

  async read(id: number, at: number, length: number): Promise<Uint8Array> {
    const s = this.sections.get(id)
    if (s === undefined || at + length > s.size) throw new Error(`read outside section ${id}`)
    const out = new Uint8Array(length)
    let done = 0
    while (done < length) {
      const { bytesRead } = await this.fh.read(out, done, length - done, s.offset + at + done)
      if (bytesRead === 0) throw new Error('short read')
      done += bytesRead
    }
    return out
  }

  async close(): Promise<void> {
    await this.fh.sync()
    await this.fh.close()
  }

  async abort(): Promise<void> {
    await this.fh.close().catch(() => {})
  }
}

/** A section table: type → list of { offset, size } (a type may repeat in a malformed file). */
export type SectionTable = Map<number, { offset: number; size: number }[]>

/** Reads the magic and the section table of an iden3 binary file (not the section contents). */
export async function readSectionTable(
  fh: FileHandle,
  magic: string,
): Promise<{ version: number; sections: SectionTable }> {
  const { size } = await fh.stat()
  const head = await readAt(fh, 0, 12)
  const m = String.fromCharCode(...head.subarray(0, 4))
  if (m !== magic) throw new Error(`not a ${magic} file (magic ${JSON.stringify(m)})`)
  const dv = new DataView(head.buffer, head.byteOffset, 12)
  const version = dv.getUint32(4, true)
  const n = dv.getUint32(8, true)
  const sections: SectionTable = new Map()
  let pos = 12
  for (let i = 0; i < n; i++) {
    const h = await readAt(fh, pos, 12)
    const hv = new DataView(h.buffer, h.byteOffset, 12)
    const id = hv.getUint32(0, true)
    const len = Number(hv.getBigUint64(4, true))
    if (pos + 12 + len > size) throw new Error(`section ${id} runs past the end of the file (truncated?)`)
    const list = sections.get(id) ?? []
    list.push({ offset: pos + 12, size: len })
    sections.set(id, list)
    pos += 12 + len
  }
  return { version, sections }
}

export async function readAt(fh: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length)
  let done = 0
  while (done < length) {
    const { bytesRead } = await fh.read(out, done, length - done, position + done)
    if (bytesRead === 0) throw new Error(`short read at ${position + done}`)
    done += bytesRead
  }
  return out
}

export function uniqueSection(sections: SectionTable, id: number): { offset: number; size: number } {
  const list = sections.get(id)
  if (list === undefined || list.length === 0) throw new Error(`missing section ${id}`)
  if (list.length > 1) throw new Error(`section ${id} appears twice`)
  return list[0] as { offset: number; size: number }
}

export type PtauInfo = {
  power: number
  ceremonyPower: number
  /** sections 12–15 present (`prepare phase2` was run): required for Groth16 */
  prepared: boolean
  sections: SectionTable
}

/** Reads a .ptau header. Throws ZK_SETUP_BAD_PTAU when the file is not a BN254 ptau. */
export async function readPtauInfo(path: string): Promise<PtauInfo> {
  let fh: FileHandle | undefined
  try {
    fh = await open(path, 'r')
    const { sections } = await readSectionTable(fh, 'ptau')
    const h = uniqueSection(sections, 1)
    const b = await readAt(fh, h.offset, h.size)
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength)
    const n8 = dv.getUint32(0, true)
    if (n8 !== 32) throw new Error(`field size ${n8} bytes (BN254 has 32)`)
    const q = leToBigint(b, 4, 32)
    if (q !== FQ) throw new Error('not a BN254 (bn128) file')
    const power = dv.getUint32(36, true)
    const ceremonyPower = dv.getUint32(40, true)
    const prepared = [12, 13, 14, 15].every((id) => sections.has(id))
    return { power, ceremonyPower, prepared, sections }
  } catch (err) {
    throw new L2kitError(
      'ZK_SETUP_BAD_PTAU',
      `${path}: not a usable powers-of-tau file: ${errMessage(err)}`,
      {
        details: { path },
        cause: err,
      },
    )
  } finally {
    await fh?.close()
  }
}

export type R1csHeader = {
  nWires: number
  nPubOut: number
  nPubIn: number
  nPrvIn: number
  nLabels: bigint
  nConstraints: number
  /** outputs + public inputs (snarkjs's nPublic) */
  nPublic: number
}

export type R1cs = {
  header: R1csHeader
  /** the constraints section: for each constraint, A, B and C as (u32 count, then (u32 wire, 32-byte coefficient)) */
  constraints: Uint8Array
}

/** Reads an r1cs file's header. Throws ZK_SETUP_BAD_R1CS. */
export async function readR1csHeader(path: string): Promise<R1csHeader> {
  return (await readR1csFile(path, false)).header
}

/** Reads an r1cs file (header and constraints). Throws ZK_SETUP_BAD_R1CS. */
export function readR1cs(path: string): Promise<R1cs> {
  return readR1csFile(path, true)
}

async function readR1csFile(path: string, withConstraints: boolean): Promise<R1cs> {
  let fh: FileHandle | undefined
  try {
    fh = await open(path, 'r')
    const { sections } = await readSectionTable(fh, 'r1cs')
    const h = uniqueSection(sections, 1)
    const b = await readAt(fh, h.offset, h.size)
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength)
    const n8 = dv.getUint32(0, true)
    if (n8 !== 32) throw new Error(`field size ${n8} bytes (BN254 has 32)`)
    const prime = leToBigint(b, 4, 32)
    if (prime !== FR) throw new Error('not over the BN254 scalar field (compile with circom --prime bn128)')
    let p = 36
    const u32 = (): number => {
      const v = dv.getUint32(p, true)
      p += 4
      return v
    }
    const nWires = u32()
    const nPubOut = u32()
    const nPubIn = u32()
    const nPrvIn = u32()
    const nLabels = dv.getBigUint64(p, true)
    p += 8
    const nConstraints = u32()
    const c = uniqueSection(sections, 2)
    const constraints = withConstraints ? await readAt(fh, c.offset, c.size) : new Uint8Array(0)
    const header = { nWires, nPubOut, nPubIn, nPrvIn, nLabels, nConstraints, nPublic: nPubOut + nPubIn }
    return { header, constraints }
  } catch (err) {
    throw new L2kitError('ZK_SETUP_BAD_R1CS', `${path}: not a usable r1cs file: ${errMessage(err)}`, {
      details: { path },
      cause: err,
    })
  } finally {
    await fh?.close()
  }
}

/** log2 of the evaluation domain snarkjs gives a circuit: 2^p > constraints + public signals (p >= 1). */
export function circuitPower(header: R1csHeader): number {
  const n = header.nConstraints + header.nPublic
  if (n <= 0) return 1
  return 32 - Math.clz32(n)
}

export function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
