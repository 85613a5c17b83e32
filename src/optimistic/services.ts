/**
 * The optimistic rollup's roles as services: `create<Role>Service(options, modules)` builds the role with its
 * validated options and returns it (`role`) inside a `Service` that a `ServiceGroup` starts in order and stops in
 * reverse. `OptimisticNode` composes them; `l2kit challenger` composes a derivation and a challenger the same way.
 */
import { join } from 'node:path'
import { type RoleService, roleService } from '../node/lifecycle.ts'
import { Batcher, type BatcherModules } from './batcher.ts'
import { Challenger, type ChallengerModules } from './challenger.ts'
import type { BatcherOptions, ChallengerOptions, ProposerOptions, SequencerOptions } from './config.ts'
import { Derivation, type DerivationModules } from './derivation.ts'
import { DerivationStore } from './derivationStore.ts'
import { Proposer, type ProposerModules } from './proposer.ts'
import { Sequencer, type SequencerModules } from './sequencer.ts'

export function createSequencerService(
  options: Partial<SequencerOptions>,
  modules: SequencerModules,
): RoleService<Sequencer> {
  return roleService('sequencer', new Sequencer(options, modules))
}

export function createBatcherService(
  options: Partial<BatcherOptions>,
  modules: BatcherModules,
): RoleService<Batcher> {
  return roleService('batcher', new Batcher(options, modules))
}

export function createProposerService(
  options: Partial<ProposerOptions>,
  modules: ProposerModules,
): RoleService<Proposer> {
  return roleService('proposer', new Proposer(options, modules))
}

export function createChallengerService(
  options: Partial<ChallengerOptions>,
  modules: ChallengerModules,
): RoleService<Challenger> {
  return roleService('challenger', new Challenger(options, modules))
}

export type DerivationServiceOptions = {
  /** Name in logs and in the service group (`derivation`, `verifier`). */
  name: string
  /** Folder of its durable checkpoints (a restart resumes there); none: it derives from the deployment at start. */
  checkpointDir?: string | undefined
}

/** A derivation, with its checkpoint store (opened now, closed when the service stops) when a folder is given. */
export function createDerivationService(
  options: DerivationServiceOptions,
  modules: Omit<DerivationModules, 'checkpointStore'>,
): RoleService<Derivation> {
  const store = options.checkpointDir ? DerivationStore.openSync(options.checkpointDir) : undefined
  const derivation = new Derivation({ ...modules, ...(store ? { checkpointStore: store } : {}) })
  return roleService(options.name, derivation, async () => store?.close())
}

/** Where a node keeps a derivation's checkpoints: `<dataDir>/<name>`. */
export function checkpointDirOf(dataDir: string, name: string): string {
  return join(dataDir, name)
}
