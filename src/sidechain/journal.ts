/**
 * The consensus journal: what a validator must find after a crash to never sign twice (docs/sidechain.md,
 * "Persistence"). Every message it signs is written here, fsynced, before it leaves the process; the height's
 * validator set (with its proposer priorities) is kept beside them. A restarted validator `restore`s its machine
 * from this, so it re-sends what it signed instead of signing anew.
 */

import { bytesToHex, hexToBytes } from '../core/bytes.ts'
import { L2kitError } from '../core/errors.ts'
import type { Hex } from '../core/types.ts'
import type { Store, StoreDb } from '../node/store.ts'
import type { PersistedConsensusState } from './protocol/consensus.ts'
import { SidechainErrorCode } from './protocol/errors.ts'
import { type ConsensusMessage, decodeMessage, encodeMessage, messageKey } from './protocol/messages.ts'
import { type Validator, ValidatorSet, type ValidatorWithPriority } from './protocol/validatorSet.ts'

type SetRecord = { height: bigint; validators: { address: Hex; power: string; proposerPriority: string }[] }

export class ConsensusJournal {
  readonly #meta: StoreDb<unknown, 'ordered'>
  /** [height, message key] → encoded message. */
  readonly #own: StoreDb<Hex, 'ordered'>

  constructor(store: Store) {
    this.#meta = store.db('consensusMeta')
    this.#own = store.db<Hex>('consensusOwn')
  }

  /**
   * The set of the height last recorded, advanced to `height`: priorities step once per height, and a committed
   * block that moved to a new L1 epoch (`changeAt(h)`: its new set) makes that set the next height's.
   */
  validatorsAt(
    height: bigint,
    genesis: ValidatorSet,
    changeAt: (height: bigint) => readonly Validator[] | undefined,
  ): ValidatorSet {
    const rec = this.#meta.get('set') as SetRecord | undefined
    let set = genesis
    let at = 1n
    if (rec !== undefined && rec.height <= height) {
      set = ValidatorSet.fromData(
        rec.validators.map(
          (v): ValidatorWithPriority => ({
            address: v.address as ValidatorWithPriority['address'],
            power: BigInt(v.power),
            proposerPriority: BigInt(v.proposerPriority),
          }),
        ),
      )
      at = rec.height
    }
    for (; at < height; at++) {
      const change = changeAt(at)
      set = change === undefined ? set.next() : ValidatorSet.create(change)
    }
    return set
  }

  /** Records the set of `height` (once it starts) so a restart does not replay every height from genesis. */
  recordValidators(height: bigint, set: ValidatorSet): Promise<void> {
    const rec: SetRecord = {
      height,
      validators: set.toData().map((v) => ({
        address: v.address,
        power: v.power.toString(),
        proposerPriority: v.proposerPriority.toString(),
      })),
    }
    return this.#meta.put('set', rec)
  }

  /** Makes an own message durable; resolves once it is on disk. */
  persist(message: ConsensusMessage): Promise<void> {
    return this.#own.put([message.height.toString(), messageKey(message)], bytesToHex(encodeMessage(message)))
  }

  /** What this validator signed at `height`. */
  ownMessages(height: bigint): ConsensusMessage[] {
    const prefix = height.toString()
    const out: ConsensusMessage[] = []
    for (const { key, value } of this.#own.getRange()) {
      if ((key as readonly string[])[0] !== prefix) continue
      try {
        out.push(decodeMessage(hexToBytes(value)))
      } catch (e) {
        throw new L2kitError(SidechainErrorCode.nodeState, 'the consensus journal holds a corrupt message', {
          cause: e,
        })
      }
    }
    return out
  }

  /** The state to restore at `height`, or undefined when this validator signed nothing there. */
  restoreState(height: bigint, validators: ValidatorSet): PersistedConsensusState | undefined {
    const ownMessages = this.ownMessages(height)
    return ownMessages.length === 0 ? undefined : { height, validators, ownMessages }
  }

  /** Forgets the messages of heights below `height` (decided: they can never be signed again anyway). */
  async prune(height: bigint): Promise<void> {
    const stale: (readonly string[])[] = []
    for (const key of this.#own.getKeys()) {
      const h = BigInt((key as readonly string[])[0] as string)
      if (h < height) stale.push(key as readonly string[])
    }
    await Promise.all(stale.map((k) => this.#own.remove(k)))
  }
}
