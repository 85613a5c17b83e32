/**
 * Batch data, the bytes committed on L1: `0x01 ‖ brotli(raw batch)` (ARCHITECTURE.md, "Batches and L1 data").
 *
 * Compression uses brotli at maximum quality (11), generic mode, and a 64 KiB window (`lgwin` 16, smaller for
 * small inputs). The window is deliberately small: raw batches are ~90% random signature bytes, and at quality
 * 11 brotli makes one meta-block of up to 2^(lgwin+1) bytes; when one meta-block holds the whole batch, brotli's
 * "is this compressible?" heuristic (`ShouldCompress`: few matches + high sampled entropy) regularly decides to
 * store it raw, losing the columns' compression (measured: 6 of 10 batches of 3,000 txs with lgwin >= 18, +1.3
 * bytes/tx on average). With lgwin 16 the signature-only meta-blocks are stored and the column meta-blocks
 * compressed: within 0.03 bytes/tx of compressing the columns alone, over 100+ measured batches of 1,500..20,000
 * txs, never stored. Columns are each far below 64 KiB for realistic batches, so the window costs nothing.
 *
 * Decompression is zip-bomb safe: output is capped (`maxOutputLength`, 16 MiB by default) and every failure —
 * unknown version, corrupt or truncated stream, bytes after the stream, output over the cap — is
 * `L2kitError('INVALID_BATCH')`.
 */
import {
  type BrotliOptions,
  brotliCompressSync,
  brotliDecompressSync,
  constants as zlibConstants,
} from 'node:zlib'
import { L2kitError } from '../../../src/core/errors.ts'

/** First byte of batch data: brotli-compressed raw batch. */
export const BATCH_DATA_BROTLI = 0x01
/** Default cap on the decompressed size of one batch. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 16 * 1024 * 1024

/** Largest brotli window used (see the file comment for why it is not bigger). */
const MAX_WINDOW_BITS = 16

/** Brotli window bits for `size` bytes: the smallest window holding them, at most `MAX_WINDOW_BITS`. */
function windowBits(size: number): number {
  let bits = 10
  // The usable window is 2^bits - 16 bytes.
  while (bits < MAX_WINDOW_BITS && (1 << bits) - 16 < size) bits++
  return bits
}

/** `0x01 ‖ brotli(raw)` at quality 11. */
export function compressBatchData(raw: Uint8Array): Uint8Array {
  const compressed = brotliCompressSync(raw, {
    params: {
      [zlibConstants.BROTLI_PARAM_QUALITY]: zlibConstants.BROTLI_MAX_QUALITY,
      [zlibConstants.BROTLI_PARAM_MODE]: zlibConstants.BROTLI_MODE_GENERIC,
      [zlibConstants.BROTLI_PARAM_LGWIN]: windowBits(raw.length),
      [zlibConstants.BROTLI_PARAM_SIZE_HINT]: raw.length,
    },
  })
  const out = new Uint8Array(1 + compressed.length)
  out[0] = BATCH_DATA_BROTLI
  out.set(compressed, 1)
  return out
}

function invalid(reason: string, details: Record<string, unknown>, cause?: unknown): never {
  throw new L2kitError('INVALID_BATCH', reason, { details, ...(cause === undefined ? {} : { cause }) })
}

/**
 * The raw batch inside batch data. Throws `INVALID_BATCH` for an unknown version byte, a corrupt or truncated
 * brotli stream, bytes after the stream, or more than `maxBytes` of output (checked while decompressing, so a
 * zip bomb stops at the cap).
 */
export function decompressBatchData(
  data: Uint8Array,
  maxBytes: number = DEFAULT_MAX_DECOMPRESSED_BYTES,
): Uint8Array {
  if (data.length === 0) invalid('batch data is empty', {})
  if (data[0] !== BATCH_DATA_BROTLI) {
    invalid(`unknown batch data version 0x${(data[0] as number).toString(16).padStart(2, '0')}`, {
      version: data[0],
    })
  }
  const stream = data.subarray(1)
  // `info: true` (documented, missing from @types/node) also returns the engine, whose `bytesWritten` is the
  // input actually consumed.
  const options: BrotliOptions & { info: true } = { maxOutputLength: maxBytes, info: true }
  let result: { buffer: Buffer; engine: { bytesWritten: number } }
  try {
    result = brotliDecompressSync(stream, options) as unknown as {
      buffer: Buffer
      engine: { bytesWritten: number }
    }
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
      invalid(`batch decompresses to more than ${maxBytes} bytes`, { maxBytes }, error)
    }
    invalid(`batch data is not a valid brotli stream: ${(error as Error).message}`, { code }, error)
  }
  // brotli stops at the end of its stream; anything after it would be silently ignored, so refuse it.
  if (result.engine.bytesWritten !== stream.length) {
    invalid(`${stream.length - result.engine.bytesWritten} unexpected bytes after the brotli stream`, {
      trailing: stream.length - result.engine.bytesWritten,
    })
  }
  const buf = result.buffer
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length)
}
