import { describe, expect, it } from 'vitest'
import type { Hex } from '../../core/types.ts'
import { EMPTY_TRIE_ROOT, encodeReceipt, logsBloom, orBlooms, orderedTrieRoot } from './encoding.ts'

/** A block anvil mined (chain 31337): an EIP-1559 transfer, a legacy transfer, a deployment emitting LOG1. */
const anvilBlock = {
  raws: [
    '0x02f868827a69800184b2d05e0082520894000000000000000000000000000000000000dead0180c001a024ea06f57faf36a31ca0ab766f9807bbad5accda8e0415dec9a5b38f49dc50f8a025a748b86a280b411cccf16cd77f5c035dac2c90ba61eab606b181a51edb4f26',
    '0xf8650184b2d05e0082520894000000000000000000000000000000000000beef028082f4f5a0557067c39574028194e89a8c52aef9529446b0a5fb51d5b3aec61d59d85141a5a07bf5f9a79642d3c65e619c49ebed0f6211876a303d134f082b88225cbeaa0fcc',
    '0x02f87c827a69020184b2d05e00830186a08080a77fabababababababababababababababababababababababababababababababab60006000a100c001a012a2f9a29c59ae28394a527f8b4e7e7ab6531950902d2ccb1b62ddbb03a205a4a036860ec7b54986bf4a90eabe819f7ac04feacaff046441dbc0a2d30a7352bee3',
  ] as Hex[],
  receipts: [
    { type: 'eip1559' as const, cumulative: 21_000n, logs: [] },
    { type: 'legacy' as const, cumulative: 42_000n, logs: [] },
    {
      type: 'eip1559' as const,
      cumulative: 96_351n,
      logs: [
        {
          address: '0xce3478a9e0167a6bc5716dc39dbbbfac38f27623' as Hex,
          topics: [`0x${'ab'.repeat(32)}`] as Hex[],
          data: '0x' as Hex,
        },
      ],
    },
  ],
  transactionsRoot: '0x95629079502388a67f0e6358bc018db383fca0e459e1010139f1904805871dec',
  receiptsRoot: '0xd8a92283865133ddffc30bcc60a62b08d1282cabb987bb5d5965dbaff81acfb2',
  logsBloom:
    '0x00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000040000000000000000000000000000000000000000000000000000000000000000000000000000000000000080000000000000000000000000000000000000000004000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000080000000000000100000080000000000000',
}

const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`

describe('Ethereum encodings of the L2 RPC', () => {
  it('computes the transactions root, receipts root and bloom anvil computed for the same block', () => {
    expect(orderedTrieRoot(anvilBlock.raws)).toBe(anvilBlock.transactionsRoot)
    const blooms = anvilBlock.receipts.map((r) => logsBloom(r.logs as never))
    const encoded = anvilBlock.receipts.map((r, i) =>
      encodeReceipt(r.type, r.cumulative, blooms[i] as Uint8Array, r.logs as never),
    )
    expect(orderedTrieRoot(encoded)).toBe(anvilBlock.receiptsRoot)
    expect(hex(orBlooms(blooms))).toBe(anvilBlock.logsBloom)
  })

  it('has the empty-trie root for an empty block and an empty bloom without logs', () => {
    expect(orderedTrieRoot([])).toBe(EMPTY_TRIE_ROOT)
    expect(hex(logsBloom([]))).toBe(`0x${'00'.repeat(256)}`)
  })

  it('handles lists past 128 items (rlp(0x80) keys share a prefix with rlp(128..))', () => {
    const many = Array.from({ length: 200 }, (_, i) => `0x${(i + 1).toString(16).padStart(4, '0')}` as Hex)
    const root = orderedTrieRoot(many)
    expect(root).toMatch(/^0x[0-9a-f]{64}$/)
    expect(orderedTrieRoot(many.slice(0, 199))).not.toBe(root)
  })
})
