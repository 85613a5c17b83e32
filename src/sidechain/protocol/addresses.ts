/** The sidechain's fixed addresses (docs/sidechain.md, "Execution"): what the EVM, the node, the CLI and wallets agree on. */
import type { Address } from '../../core/types.ts'

/** EIP-4788's system address: the sender of deposit finalizations (no one holds its key). */
export const SYSTEM_ADDRESS: Address = '0xfffffffffffffffffffffffffffffffffffffffe'
/** The L2 bridge predeploy (`contracts/src/sidechain/L2Bridge.sol`). */
export const L2_BRIDGE_ADDRESS: Address = '0x5c00000000000000000000000000000000000001'
