/**
 * Tiny hand-assembled contracts for the l1 tests (no compiler needed). Test support only; not exported by the
 * package index.
 */
import { type Hex, keccak256, toFunctionSelector, toHex } from 'viem'

/** Init code that deploys `runtime` as is: PUSH2 len DUP1 PUSH1 12 PUSH1 0 CODECOPY PUSH1 0 RETURN ‖ runtime. */
export function initCodeFor(runtime: Hex): Hex {
  const length = (runtime.length - 2) / 2
  if (length > 0xffff) throw new Error('runtime too long')
  return `0x61${length.toString(16).padStart(4, '0')}80600c6000396000f3${runtime.slice(2)}`
}

/** `event Ping(uint256 value)` */
export const pingEvent = {
  type: 'event',
  name: 'Ping',
  inputs: [{ name: 'value', type: 'uint256', indexed: false }],
} as const
export const pingAbi = [
  pingEvent,
  { type: 'constructor', inputs: [{ name: 'unused', type: 'uint256' }], stateMutability: 'nonpayable' },
] as const
export const pingTopic = keccak256(toHex('Ping(uint256)'))

/** Emits `Ping(first 32 bytes of calldata)` for any call: CALLDATACOPY(0,0,size); LOG1(0, 32, topic); STOP. */
export const pingRuntime: Hex = `0x366000600037${`7f${pingTopic.slice(2)}`}60206000a100`
export const pingInitCode: Hex = initCodeFor(pingRuntime)

/** ABI-encoded `Error("boom")`. */
export const boomRevertData: Hex = `0x08c379a0${'20'.padStart(64, '0')}${'4'.padStart(64, '0')}${toHex('boom').slice(2).padEnd(64, '0')}`

/** Runtime that always reverts with `data`: PUSH1 len PUSH1 12 PUSH1 0 CODECOPY PUSH1 len PUSH1 0 REVERT ‖ data. */
export function revertingRuntime(data: Hex): Hex {
  const length = (data.length - 2) / 2
  if (length > 0xff) throw new Error('revert data too long')
  const len = length.toString(16).padStart(2, '0')
  return `0x60${len}600c60003960${len}6000fd${data.slice(2)}`
}

/** Always reverts with `Error("boom")`. */
export const boomRuntime: Hex = revertingRuntime(boomRevertData)
export const boomInitCode: Hex = initCodeFor(boomRuntime)

/** `error Nope(uint256 code)`, and a contract that always reverts with `Nope(7)`. */
export const nopeAbi = [{ type: 'error', name: 'Nope', inputs: [{ name: 'code', type: 'uint256' }] }] as const
export const nopeRevertData: Hex = `${toFunctionSelector('Nope(uint256)')}${'7'.padStart(64, '0')}`
export const nopeInitCode: Hex = initCodeFor(revertingRuntime(nopeRevertData))

/** Reverts (no data) unless the tx carries a blob: PUSH1 0 BLOBHASH PUSH1 10 JUMPI PUSH1 0 DUP1 REVERT JUMPDEST STOP. */
export const blobCheckerRuntime: Hex = '0x600049600a57600080fd5b00'
export const blobCheckerInitCode: Hex = initCodeFor(blobCheckerRuntime)

/** Init code whose constructor reverts (REVERT(0, 0)). */
export const revertingInitCode: Hex = '0x60006000fd'
