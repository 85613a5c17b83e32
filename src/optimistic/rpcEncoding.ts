/**
 * The logs of the optimistic rollup's transactions. The L2 runs no EVM: the logs are those its system contracts
 * would emit, so wallets and indexers see token transfers and withdrawals as on Ethereum. The generic encodings
 * (blooms, receipts, tries) are in src/node/rpc/encoding.ts.
 */
import { encodeAbiParameters, encodeEventTopics, parseAbi } from 'viem'
import { L2_BRIDGE_ADDRESS } from '../core/constants.ts'
import type { Address, Hex } from '../core/types.ts'
import type { TxLog } from '../node/rpc/chainView.ts'
import type { BlockTx } from './block.ts'

const transferAbi = parseAbi(['event Transfer(address indexed from, address indexed to, uint256 value)'])
const bridgeEventsAbi = parseAbi([
  'event WithdrawalInitiated(uint256 indexed withdrawalIndex, address indexed sender, address indexed recipient, address l1Token, uint256 amount)',
])

/**
 * The logs a transaction emits: an ERC-20 `Transfer` from the bridged token for a token transfer, a
 * `WithdrawalInitiated` from the L2 bridge for a withdrawal; ETH transfers emit none (as on Ethereum).
 */
export function txLogs(t: BlockTx, tokenAddress: (tokenIndex: number) => Address): TxLog[] {
  const op = t.tx.op
  if (op.kind === 'tokenTransfer') {
    return [
      {
        address: tokenAddress(op.tokenIndex),
        topics: encodeEventTopics({
          abi: transferAbi,
          eventName: 'Transfer',
          args: { from: t.sender, to: op.to },
        }) as Hex[],
        data: encodeAbiParameters([{ type: 'uint256' }], [op.amount]),
      },
    ]
  }
  if ((op.kind === 'withdrawEth' || op.kind === 'withdrawToken') && t.withdrawal) {
    return [
      {
        address: L2_BRIDGE_ADDRESS.toLowerCase() as Address,
        topics: encodeEventTopics({
          abi: bridgeEventsAbi,
          eventName: 'WithdrawalInitiated',
          args: { withdrawalIndex: t.withdrawal.index, sender: t.sender, recipient: op.recipient },
        }) as Hex[],
        data: encodeAbiParameters(
          [{ type: 'address' }, { type: 'uint256' }],
          [t.withdrawal.l1Token, t.withdrawal.amount],
        ),
      },
    ]
  }
  return []
}
