/**
 * The execution layer's transaction rules against ethereumjs' own `runTx` (the reference state transition): the
 * same transactions on the same state must use the same gas, end in the same status, and leave the same balances,
 * nonces, code and storage — transfers (plain ones are applied without the EVM: to fresh addresses, to oneself, to
 * the proposer, and one to a precompile that is not plain), legacy and access-list transactions, a deployment, token transfers with a
 * storage refund, a revert, an out-of-gas call, a contract self-destructed in its creating transaction (EIP-6780),
 * and a calldata-heavy transfer charged EIP-7623's floor.
 */
import { rmSync } from 'node:fs'
import { createBlock } from '@ethereumjs/block'
import { createTxFromRLP } from '@ethereumjs/tx'
import { Account, Address as EthAddress, hexToBytes as ethHexToBytes } from '@ethereumjs/util'
import { createVM, runTx } from '@ethereumjs/vm'
import {
  encodeAbiParameters,
  encodeDeployData,
  encodeFunctionData,
  getContractAddress,
  keccak256,
  type Hex as ViemHex,
} from 'viem'
import { describe, expect, it } from 'vitest'
import type { Address, Hex } from '../../core/types.ts'
import { devTokenAbi, devTokenBytecode } from '../../generated/contracts.ts'
import { sidechainCommon } from './evmFactory.ts'
import { L2_BRIDGE_ADDRESS } from './execution.ts'
import {
  GWEI,
  openTestExecution,
  signTx,
  TEST_ACCOUNTS,
  TEST_ADDRESSES,
  TEST_CHAIN_ID,
  TEST_PROPOSER,
} from './testing/chain.ts'

const [ALICE, BOB] = TEST_ADDRESSES as [Address, Address]
const FRESH_1: Address = '0x00000000000000000000000000000000000f7e51'
const FRESH_2: Address = '0x00000000000000000000000000000000000f7e52'
const IDENTITY: Address = '0x0000000000000000000000000000000000000004'

describe('transaction execution matches ethereumjs runTx', () => {
  it('gives the same gas, status and state for every kind of transaction', async () => {
    const { execution, dir } = await openTestExecution()
    try {
      // The reference: ethereumjs' VM with the same genesis accounts and the bridge's code.
      const common = sidechainCommon(TEST_CHAIN_ID, 'prague')
      const vm = await createVM({ common })
      const head = execution.stateReader('head')
      for (const a of [...TEST_ADDRESSES, L2_BRIDGE_ADDRESS]) {
        const r = head.account(a.slice(2))
        if (!r) continue
        const address = new EthAddress(ethHexToBytes(a))
        await vm.stateManager.putAccount(address, new Account(r.nonce, r.balance))
        const code = head.code(r.codeHash)
        if (code.length > 0) await vm.stateManager.putCode(address, code)
      }

      const token = getContractAddress({ from: ALICE, nonce: 2n }).toLowerCase() as Address
      const transfer = (to: Address, amount: bigint) =>
        encodeFunctionData({ abi: devTokenAbi, functionName: 'transfer', args: [to, amount] }) as ViemHex
      const account = TEST_ACCOUNTS[0]
      if (!account) throw new Error('no account')
      const raws: Hex[] = [
        await signTx(0, { nonce: 0, to: BOB, value: 1_000n }),
        (await account.signTransaction({
          type: 'legacy',
          chainId: Number(TEST_CHAIN_ID),
          nonce: 1,
          to: BOB,
          value: 5n,
          gas: 21_000n,
          gasPrice: 3n * GWEI,
        })) as Hex,
        await signTx(0, {
          nonce: 2,
          gas: 2_000_000n,
          data: encodeDeployData({
            abi: devTokenAbi,
            bytecode: devTokenBytecode,
            args: ['D', 'D', 18, [ALICE], 1_000n],
          }) as ViemHex,
        }),
        await signTx(0, { nonce: 3, to: token, gas: 100_000n, data: transfer(BOB, 300n) }),
        await signTx(0, { nonce: 4, to: token, gas: 100_000n, data: transfer(BOB, 10_000n) }),
        await signTx(0, { nonce: 5, to: token, gas: 30_000n, data: transfer(BOB, 1n) }),
        await signTx(0, {
          nonce: 6,
          to: token,
          gas: 100_000n,
          data: transfer(BOB, 1n),
          accessList: [{ address: token, storageKeys: [`0x${'00'.repeat(31)}01`] }],
        }),
        // Bob sends back everything: his balance slot goes to zero (a storage refund).
        await signTx(1, { nonce: 0, to: token, gas: 100_000n, data: transfer(ALICE, 301n) }),
        // Init code CALLER SELFDESTRUCT: created and destroyed in one transaction, the value back to the caller.
        await signTx(0, { nonce: 7, gas: 100_000n, value: 77n, data: '0x33ff' }),
        // 2,000 non-zero bytes of calldata to an account without code: the EIP-7623 floor applies.
        await signTx(0, { nonce: 8, to: BOB, gas: 200_000n, data: `0x${'ab'.repeat(2_000)}` }),
        // Plain transfers (applied without the EVM): nothing to a fresh address (no account appears), value to a
        // fresh address, to oneself, to the block's proposer; and value to a precompile (runs it: not plain).
        await signTx(0, { nonce: 9, to: FRESH_1, value: 0n }),
        await signTx(0, { nonce: 10, to: FRESH_2, value: 123n }),
        await signTx(0, { nonce: 11, to: ALICE, value: 10n }),
        await signTx(0, { nonce: 12, to: TEST_PROPOSER, value: 7n }),
        await signTx(0, { nonce: 13, to: IDENTITY, value: 1n, gas: 30_000n }),
      ]
      const candidates = await Promise.all(raws.map((r) => execution.checkTx(r)))
      const built = await execution.buildBlock({
        timestamp: execution.head().header.timestamp + 1,
        proposer: TEST_PROPOSER,
        deposits: [],
        candidates,
      })
      expect(built.dropped).toEqual([])
      await execution.commitBlock(built.block, [])
      const mine = execution.head().txs

      const block = createBlock(
        {
          header: {
            number: 1n,
            coinbase: TEST_PROPOSER,
            timestamp: BigInt(execution.head().header.timestamp),
            gasLimit: execution.options.gasLimit,
            baseFeePerGas: execution.options.baseFee,
          },
        },
        { common },
      )
      let cumulative = 0n
      for (const [i, raw] of raws.entries()) {
        const tx = createTxFromRLP(ethHexToBytes(raw), { common })
        const r = await runTx(vm, { tx, block, blockGasUsed: cumulative })
        cumulative += r.totalGasSpent
        expect({ i, gas: mine[i]?.gasUsed, status: mine[i]?.status }).toEqual({
          i,
          gas: r.totalGasSpent,
          status: r.execResult.exceptionError === undefined ? 1 : 0,
        })
        if (r.createdAddress && r.execResult.exceptionError === undefined && i === 2) {
          expect(mine[i]?.contractAddress).toBe(r.createdAddress.toString())
        }
      }
      expect(mine.map((t) => t.status)).toEqual([1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1])
      // The identity precompile charged its own gas on top of the 21,000.
      expect(mine[14]?.gasUsed).toBeGreaterThan(21_000n)
      const after = execution.stateReader('head')
      const selfDestructed = getContractAddress({ from: ALICE, nonce: 7n }).toLowerCase()
      for (const a of [ALICE, BOB, TEST_PROPOSER, token, selfDestructed, FRESH_1, FRESH_2, IDENTITY]) {
        const reference = await vm.stateManager.getAccount(new EthAddress(ethHexToBytes(a as Hex)))
        const ours = after.account(a.slice(2))
        expect({ a, nonce: ours?.nonce, balance: ours?.balance }).toEqual({
          a,
          nonce: reference?.nonce,
          balance: reference?.balance,
        })
      }
      for (const holder of [ALICE, BOB]) {
        const slot = keccak256(encodeAbiParameters([{ type: 'address' }, { type: 'uint256' }], [holder, 0n]))
        const reference = await vm.stateManager.getStorage(
          new EthAddress(ethHexToBytes(token)),
          ethHexToBytes(slot),
        )
        expect(Buffer.from(after.storage(token.slice(2), slot.slice(2))).toString('hex')).toBe(
          Buffer.from(reference).toString('hex'),
        )
      }
    } finally {
      await execution.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
