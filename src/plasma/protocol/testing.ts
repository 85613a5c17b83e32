/** Fixed keys and a domain for the Plasma protocol's unit tests (not used by the nodes). */
import { privateKeyToAddress } from '../../core/signature.ts'
import type { Address, Hex } from '../../core/types.ts'
import type { PlasmaDomain } from './tx.ts'

export type TestKey = { key: Hex; address: Address }
const key = (n: number): TestKey => {
  const k = `0x${n.toString(16).padStart(64, '0')}` as Hex
  return { key: k, address: privateKeyToAddress(k) }
}

export function ledgerFixture(): { domain: PlasmaDomain; alice: TestKey; bob: TestKey; carol: TestKey } {
  return {
    domain: { chainId: 31337n, framework: '0x5fbdb2315678afecb367f032d93f642f64180aa3' },
    alice: key(0xa11ce),
    bob: key(0xb0b),
    carol: key(0xca201),
  }
}
