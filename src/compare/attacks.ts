/**
 * The attack demos compare runs, who attacks in each and what it tries, and the verdicts drawn from their measured
 * outcomes: "who can steal or freeze funds" is never typed by hand, it is what the demo measured on L1.
 */
import type { AttackOutcome, FamilyName } from './types.ts'

/** What trusting a family means, from least to most: L1 and math only, a validator majority, an operator. */
export const TRUST_LEVELS = ['rollup', 'validators', 'operator'] as const
export type TrustLevel = (typeof TRUST_LEVELS)[number]

export type AttackSpec = {
  family: FamilyName
  attack: string
  attacker: string
  /** which trust level the attacker stands for: a theft by it means the family needs that much trust */
  attackerTrust: TrustLevel
  goal: 'steal' | 'freeze'
  /** seconds the demo may take before it is stopped and reported as failed */
  timeoutSeconds: number
}

/** The attacks `l2kit compare --attacks` runs: for each family, the ways an insider could steal or freeze funds. */
export const ATTACK_CATALOGUE: readonly AttackSpec[] = [
  {
    family: 'optimistic',
    attack: 'wrong-balance',
    attacker: 'the proposer (operator) posts a state root that credits itself',
    attackerTrust: 'operator',
    goal: 'steal',
    timeoutSeconds: 180,
  },
  {
    family: 'optimistic',
    attack: 'forged-withdrawal',
    attacker: 'the proposer (operator) posts a root holding a withdrawal nobody made',
    attackerTrust: 'operator',
    goal: 'steal',
    timeoutSeconds: 180,
  },
  {
    family: 'zk',
    attack: 'wrong-root',
    attacker: 'the operator commits a block whose new root pays itself',
    attackerTrust: 'operator',
    goal: 'steal',
    timeoutSeconds: 420,
  },
  {
    family: 'zk',
    attack: 'operator-gone',
    attacker: 'the operator stops for good with a deposit queued',
    attackerTrust: 'operator',
    goal: 'freeze',
    timeoutSeconds: 420,
  },
  {
    family: 'channels',
    attack: 'old-state-offline',
    attacker: 'the channel counterparty closes with a revoked state while the victim is offline',
    attackerTrust: 'operator',
    goal: 'steal',
    timeoutSeconds: 120,
  },
  {
    family: 'channels',
    attack: 'withhold-preimage',
    attacker: 'a routing node takes the payment and withholds the preimage',
    attackerTrust: 'operator',
    goal: 'steal',
    timeoutSeconds: 120,
  },
  {
    family: 'plasma',
    attack: 'invalid-tx',
    attacker: 'the operator puts a transaction spending a user’s output in a block',
    attackerTrust: 'operator',
    goal: 'steal',
    timeoutSeconds: 120,
  },
  {
    family: 'plasma',
    attack: 'withhold',
    attacker: 'the operator commits a block and withholds its data',
    attackerTrust: 'operator',
    goal: 'freeze',
    timeoutSeconds: 120,
  },
  {
    family: 'sidechain',
    attack: 'majority-theft',
    attacker: '3 of 4 validators (> ⅔ of the stake) sign a forged checkpoint',
    attackerTrust: 'validators',
    goal: 'steal',
    timeoutSeconds: 120,
  },
  {
    family: 'sidechain',
    attack: 'minority-forgery',
    attacker: '1 of 4 validators signs a forged checkpoint alone',
    attackerTrust: 'operator',
    goal: 'steal',
    timeoutSeconds: 120,
  },
  {
    family: 'sidechain',
    attack: 'validator-down',
    attacker: '1 of 4 validators goes offline',
    attackerTrust: 'operator',
    goal: 'freeze',
    timeoutSeconds: 120,
  },
]

export function attackSpec(family: string, attack: string): AttackSpec | undefined {
  return ATTACK_CATALOGUE.find((a) => a.family === family && a.attack === attack)
}

/** Honest wei lost in an outcome: a bigint, or undefined when the demo failed or did not say. */
export function lostWei(o: AttackOutcome): bigint | undefined {
  if (o.status !== 'ok' || o.honestFundsLostWei === null) return undefined
  try {
    return BigInt(o.honestFundsLostWei)
  } catch {
    return undefined
  }
}

/** One line: "3 of 4 validators … → took 10 ETH of honest funds" / "→ caught, nothing lost". */
export function verdictOf(o: AttackOutcome): string {
  if (o.status !== 'ok') return `not measured (${o.error ?? 'the demo failed'})`
  const lost = lostWei(o)
  if (lost === undefined) return o.caught ? 'caught (losses not measured)' : 'outcome not measured'
  if (lost > 0n)
    return `took ${formatEth(lost)} ETH of honest funds${o.caught ? ' (detected, not prevented)' : ''}`
  if (o.caught === true) return 'caught, nothing lost'
  return 'nothing lost'
}

/** Per family: who can steal (measured theft), who tried and failed, and what trust the family needs. */
export function familySecurity(
  family: FamilyName,
  outcomes: readonly AttackOutcome[],
): {
  measured: number
  canSteal: string[]
  cannotSteal: string[]
  canFreeze: string[]
  cannotFreeze: string[]
  /** the least trust that covers every attacker who took honest funds in a demo */
  trustNeeded: TrustLevel
} {
  const mine = outcomes.filter((o) => o.family === family && o.status === 'ok')
  const r = {
    measured: mine.length,
    canSteal: [] as string[],
    cannotSteal: [] as string[],
    canFreeze: [] as string[],
    cannotFreeze: [] as string[],
    trustNeeded: 'rollup' as TrustLevel,
  }
  for (const o of mine) {
    const lost = lostWei(o)
    const who = shortAttacker(o)
    const took = lost !== undefined && lost > 0n
    if (o.goal === 'steal') (took ? r.canSteal : r.cannotSteal).push(who)
    else (took ? r.canFreeze : r.cannotFreeze).push(who)
    if (took) {
      const need = attackSpec(o.family, o.attack)?.attackerTrust ?? 'operator'
      if (TRUST_LEVELS.indexOf(need) > TRUST_LEVELS.indexOf(r.trustNeeded)) r.trustNeeded = need
    }
  }
  return r
}

/** "3 of 4 validators (majority-theft)". */
export function shortAttacker(o: Pick<AttackOutcome, 'attacker' | 'attack'>): string {
  const who = o.attacker.split(/ (posts|commits|stops|closes|takes|puts|sign|signs|goes)\b/)[0] ?? o.attacker
  return `${who} (${o.attack})`
}

function formatEth(wei: bigint): string {
  const whole = wei / 10n ** 18n
  const frac = (wei % 10n ** 18n).toString().padStart(18, '0').slice(0, 4).replace(/0+$/, '')
  return frac ? `${whole}.${frac}` : `${whole}`
}
