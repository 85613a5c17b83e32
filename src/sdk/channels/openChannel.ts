import { type Address, type Hex, parseEventLogs, type TransactionReceipt } from 'viem'
import { ChannelErrorCode } from '../../channels/protocol/errors.ts'
import { type ChannelParams, MAX_DISPUTE_WINDOW, MIN_DISPUTE_WINDOW } from '../../channels/protocol/state.ts'
import { L2kitError } from '../../core/errors.ts'
import { channelHubAbi } from '../../generated/contracts.ts'
import { approveIfNeeded, writeContractChecked } from '../l1Tx.ts'
import { type ChannelL1Clients, channelArg, ETH_TOKEN } from './shared.ts'

export type OpenChannelParameters = {
  l1: ChannelL1Clients
  hub: Address
  /** the other party's L1 address (the peer node's key) */
  peer: Address
  /** what this side locks in the channel (base units of the token); the peer starts at 0 */
  amount: bigint
  /** an ERC-20 (approved for `amount` first if needed), default ETH */
  token?: Address
  /** seconds the other side has to answer a unilateral close (default 1 hour) */
  disputeWindow?: bigint
  /** makes the id unique between the same parties (default: the current time in ms) */
  nonce?: bigint
}

export type OpenChannelResult = {
  channelId: Hex
  params: ChannelParams
  txHash: Hex
  receipt: TransactionReceipt
  approveTxHash?: Hex
}

/**
 * Opens and funds a channel on L1 in one transaction (`ChannelHub.open`, Lightning's single-funded open): the
 * caller is party A and locks `amount`; party B is `peer`.
 */
export async function openChannel(p: OpenChannelParameters): Promise<OpenChannelResult> {
  const account = p.l1.walletClient.account.address
  const token = (p.token ?? ETH_TOKEN).toLowerCase() as Address
  const disputeWindow = p.disputeWindow ?? 3_600n
  if (typeof p.amount !== 'bigint' || p.amount <= 0n) {
    throw new L2kitError('INVALID_AMOUNT', `a channel must lock more than 0, got ${String(p.amount)}`)
  }
  if (disputeWindow < MIN_DISPUTE_WINDOW || disputeWindow > MAX_DISPUTE_WINDOW) {
    throw new L2kitError(
      ChannelErrorCode.invalidState,
      `the dispute window must be ${MIN_DISPUTE_WINDOW} s .. ${MAX_DISPUTE_WINDOW} s, got ${disputeWindow}`,
    )
  }
  if (p.peer.toLowerCase() === account.toLowerCase()) {
    throw new L2kitError(ChannelErrorCode.invalidState, 'a channel needs two different parties')
  }
  const params: ChannelParams = {
    partyA: account.toLowerCase() as Address,
    partyB: p.peer.toLowerCase() as Address,
    token,
    total: p.amount,
    disputeWindow,
    nonce: p.nonce ?? BigInt(Date.now()),
  }
  const approveTxHash =
    token === ETH_TOKEN
      ? undefined
      : await approveIfNeeded(p.l1, {
          token,
          spender: p.hub,
          amount: p.amount,
          what: 'channel ERC-20 approval',
        })
  const { hash, receipt } = await writeContractChecked(p.l1, {
    address: p.hub,
    abi: channelHubAbi,
    functionName: 'open',
    args: [channelArg(params)],
    ...(token === ETH_TOKEN ? { value: p.amount } : {}),
    what: 'channel open',
  })
  const [opened] = parseEventLogs({ abi: channelHubAbi, logs: receipt.logs, eventName: 'ChannelOpened' })
  if (opened === undefined)
    throw new L2kitError('L1_TX_REVERTED', `channel open ${hash} emitted no ChannelOpened`)
  return {
    channelId: opened.args.channelId,
    params,
    txHash: hash,
    receipt,
    ...(approveTxHash === undefined ? {} : { approveTxHash }),
  }
}
