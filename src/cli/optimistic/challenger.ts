/**
 * `l2kit challenger`: a standalone challenger. It derives the L2 chain from L1 alone (its own state, its own L1
 * client), reads the trace of every proposal and challenges wrong ones with its own bond, logging what it found
 * and what it did. The rollup's addresses and chain constants come from flags or, by default, from an l2kit node
 * (`--l2-rpc`); nothing else is taken from the node.
 */
import type { Address, Hex } from 'viem'
import { createL1Clients } from '../../l1/clients.ts'
import { getKzg } from '../../l1/kzg.ts'
import { TxManager } from '../../l1/txManager.ts'
import { ServiceGroup } from '../../node/lifecycle.ts'
import type { Logger } from '../../node/logger.ts'
import { DEFAULT_L2_RPC, defaultChallengerOptions } from '../../optimistic/config.ts'
import {
  checkpointDirOf,
  createChallengerService,
  createDerivationService,
} from '../../optimistic/services.ts'
import { num, type ParsedArgs, requireKey, str } from '../args.ts'
import { readNodeContracts } from './l2Context.ts'

export async function runChallenger(
  args: ParsedArgs,
  logger: Logger,
  onShutdown: (fn: () => Promise<void>) => void,
): Promise<void> {
  const v = args.values
  const key = requireKey(args)
  const info = await readNodeContracts(str(v['l2-rpc']) ?? DEFAULT_L2_RPC)
  const l1Rpc = str(v['l1-rpc']) ?? info.l1Rpc
  const contracts = {
    portal: (str(v.portal) ?? info.portal) as Address,
    rollup: (str(v.rollup) ?? info.rollup) as Address,
    deployBlock: BigInt(str(v['deploy-block']) ?? info.deployBlock),
  }
  const chain = {
    chainId: BigInt(info.l2ChainId),
    baseFee: BigInt(info.baseFee),
    genesisTimestamp: info.genesisTimestamp,
  }
  getKzg()
  const clients = await createL1Clients({ rpcUrl: l1Rpc, privateKey: key as Hex })
  const dataDir = str(v['data-dir'])
  // The same services a node composes: a derivation (checkpoints in --data-dir) and a challenger on it.
  const derivation = createDerivationService(
    { name: 'derivation', checkpointDir: dataDir ? checkpointDirOf(dataDir, 'derivation') : undefined },
    {
      chain,
      contracts,
      publicClient: clients.publicClient,
      logger: logger.child({ component: 'derivation' }),
    },
  )
  const challenger = createChallengerService(
    { intervalMs: num(v['interval-ms'], 'interval-ms') ?? defaultChallengerOptions.intervalMs },
    {
      chain,
      publicClient: clients.publicClient,
      txManager: new TxManager({}, { publicClient: clients.publicClient, account: clients.account, logger }),
      contracts,
      derivation: derivation.role,
      logger,
    },
  )
  const group = new ServiceGroup({ name: 'challenger' }, { logger, services: [derivation, challenger] })
  onShutdown(() => group.stop())
  await group.start()
  logger.info(
    { l1Rpc, rollup: contracts.rollup, challenger: clients.account.address },
    'challenger running: deriving from L1 and checking every proposal (Ctrl-C stops)',
  )
  await new Promise(() => undefined)
}
