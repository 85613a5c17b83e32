// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AddressTree} from "../common/AddressTree.sol";
import {IPortal} from "./IPortal.sol";
import {L2TxLib} from "./L2TxLib.sol";
import {StateCommitment} from "./StateCommitment.sol";
import {TxExecutor} from "./TxExecutor.sol";

/// @notice The two portal reads a step needs. Declared here (not taken from `IPortal`) so this library does not
///         depend on which functions `IPortal` lists; `StepContext.portal` is cast to it.
interface IStepPortal {
    /// @notice Rolling queue hash after deposit `depositIndex`:
    ///         `keccak256(abi.encode(hashAt(i - 1) or 0 for i = 0, i, from, to, tokenIndex, amount))`.
    function depositHashAt(uint256 depositIndex) external view returns (bytes32);

    /// @notice L1 address of a registered token index.
    function tokenAt(uint16 tokenIndex) external view returns (address);
}

/// @title StepVerifier
/// @notice Re-executes ONE row of a v3 batch on L1 from the pre-state header and Merkle witnesses and returns the
///         post-state header: the one-step proof of the fraud-proof game (docs/optimistic.md, "Row semantics"
///         and "Interfaces between the parts"). `Rollup.challengeStep` compares `commitment(post)` with the
///         proposer's trace leaf.
/// @dev Rows (124 bytes, offsets in bytes):
///        tx:        [0] 0 | [1] flags (bits 0-1 kind, bit 2 eip1559, bit 3 yParity, bits 4-7 zero) | [2] tokenIndex
///                   | [3..7) u32 gasLimit | [7..16) fee0 | [16..25) fee1 | [25..34) amount (packed: u8 exponent,
///                   u64 mantissa, canonical) | [34..39) u40 nonce | [39..59) target | [59..91) r | [91..123) s
///                   | [123] zero
///        deposit:   [0] 1 | [1..124) zero
///        block end: [0] 2 | [1..9) u64 timestamp | [9..124) zero
///      A malformed row, an unknown row type, a skipped transaction and a deposit row past the batch's
///      `depositCountAfter` are no-ops: `post == pre`. The witness is decoded only when the row needs it (a
///      well-formed tx row whose signature recovers a signer, or a deposit row that applies), so block ends and
///      no-ops may come with an empty witness. A witness that does not match the pre-state reverts with a custom
///      error (this library's or `TxExecutor`'s): the prover's fault, never the row's.
///
///      Witness use per row (`StepWitness`):
///        tx:      `sender` = the recovered signer's address leaf against `pre.addressesRoot` (0 → UNKNOWN_ACCOUNT
///                 → no-op); `tx` = TxExecutor's sequential witnesses (its `accountsRoot`/`withdrawalsRoot` fields
///                 are ignored: the header gives them), with `tx.sender.index` = leaf − 1. Transfers that get past
///                 the sender's checks: `recipient` = the target's address leaf; leaf j + 1 → `tx.recipient.index`
///                 must be j; leaf 0 → `tx.recipient.index` must be `accountCount` (a new account, inserted in the
///                 address tree with the same siblings).
///        deposit: `deposit` = deposit #pre.depositCount, checked against `portal.depositHashAt`; `recipient` =
///                 its `to`'s address leaf; `tx.recipient` / `tx.recipientBalance` = the recipient's account and
///                 balance of the deposited token against `pre.accountsRoot` (a new account: index
///                 `accountCount`, empty leaf, balance 0 with the empty balances tree's siblings).
///
///      Choices the spec leaves open (mirroring `L2State`): a deposit that would need a new account when the
///      accounts tree is full (2^32 accounts, where `L2State` throws ACCOUNTS_FULL) is a no-op; a deposit that
///      would overflow the recipient's balance is consumed without crediting (depositCount and tokenCount still
///      advance); `tokenCount = max(tokenCount, deposit.tokenIndex)` for every consumed deposit.
library StepVerifier {
    /// @notice An address-tree leaf and its 160 siblings (bottom-up). `leaf` = account index + 1, or 0.
    struct AddressProof {
        uint256 leaf;
        bytes32[160] siblings;
    }

    /// @notice One L1 deposit as `Portal._enqueue` hashed it.
    struct Deposit {
        address from;
        address to;
        uint16 tokenIndex;
        uint256 amount;
    }

    /// @notice Everything a step may need; parts a path does not reach may be zero.
    struct StepWitness {
        TxExecutor.Witness tx;
        AddressProof sender;
        AddressProof recipient;
        Deposit deposit;
    }

    /// @notice What the step needs besides the pre-state: chain constants, the batch's declared deposit count,
    ///         and the portal (deposit hashes, token addresses).
    struct StepContext {
        uint256 chainId;
        uint256 baseFee;
        uint64 batchDepositCountAfter;
        IPortal portal;
    }

    uint256 internal constant ROW_LENGTH = 124;
    uint8 internal constant ROW_TX = 0;
    uint8 internal constant ROW_DEPOSIT = 1;
    uint8 internal constant ROW_BLOCK_END = 2;
    /// @notice `abi.encode(StepWitness)` is static: 178 (TxExecutor.Witness) + 2 × 161 + 4 words.
    uint256 internal constant WITNESS_LENGTH = 504 * 32;
    /// @notice Largest token index (balances tree depth 8; `Portal.MAX_TOKENS`).
    uint256 internal constant MAX_TOKEN_INDEX = 255;
    uint256 private constant MAX_UINT256 = type(uint256).max;

    /// @notice Roles in `AddressProofMismatch`, `AddressLeafOutOfRange`.
    uint8 internal constant ROLE_SENDER = 0;
    uint8 internal constant ROLE_RECIPIENT = 1;

    /// @notice The row is not 124 bytes (the caller's bug: rows are cut from the batch at fixed offsets).
    error RowLength(uint256 length);
    /// @notice The witness is not `abi.encode(StepWitness)` (504 words).
    error WitnessLength(uint256 length);
    /// @notice An address, uint64 or uint16 field of the witness has bits set above its type's width.
    error WitnessNotCanonical();
    /// @notice An address proof does not prove its leaf at `key` against `pre.addressesRoot`.
    error AddressProofMismatch(uint8 role, address key);
    /// @notice An address leaf names an account index at or past `accountCount`.
    error AddressLeafOutOfRange(uint8 role, uint256 leaf, uint256 accountCount);
    /// @notice The sender account witness is another index than the address tree's.
    error SenderIndexMismatch(uint256 addressIndex, uint256 witnessIndex);
    /// @notice The recipient account witness (`tx.recipient.index`) disagrees with the address leaf: it must be
    ///         `leaf − 1`, or `accountCount` (a new account) when the leaf is 0.
    error RecipientIndexMismatch(uint256 addressLeaf, uint256 witnessIndex, uint256 accountCount);
    /// @notice The deposit witness is not deposit `depositIndex` of the portal's queue.
    error DepositMismatch(uint256 depositIndex, bytes32 expected, bytes32 witnessed);
    /// @notice A deposit's token index does not fit the balances tree (impossible with `Portal`).
    error DepositTokenOutOfRange(uint256 tokenIndex);

    /// @notice The state header after applying `row` to `pre` (see the library NatSpec). Reverts on a wrong witness.
    function executeRow(
        StateCommitment.StateHeader memory pre,
        bytes memory row,
        StepContext memory ctx,
        bytes memory witness
    ) internal view returns (StateCommitment.StateHeader memory post) {
        if (row.length != ROW_LENGTH) revert RowLength(row.length);
        uint8 rowType = uint8(row[0]);
        if (rowType == ROW_TX) return _txRow(pre, row, ctx, witness);
        if (rowType == ROW_DEPOSIT) return _depositRow(pre, row, ctx, witness);
        if (rowType == ROW_BLOCK_END) {
            post = _copy(pre);
            if (_isZero(row, 9)) post.blockNumber = pre.blockNumber + 1;
            return post;
        }
        return _copy(pre);
    }

    // ------------------------------------------------------------------------------------------------ rows

    function _txRow(
        StateCommitment.StateHeader memory pre,
        bytes memory row,
        StepContext memory ctx,
        bytes memory witness
    ) private view returns (StateCommitment.StateHeader memory) {
        (bool ok, L2TxLib.Tx memory t) = decodeTxRow(row);
        if (!ok) return _copy(pre);
        address from = L2TxLib.sender(t, ctx.chainId);
        if (from == address(0)) return _copy(pre); // INVALID_SIGNATURE: skipped
        return _applyTx(pre, t, from, _executorContext(pre, ctx, t), decodeWitness(witness));
    }

    function _applyTx(
        StateCommitment.StateHeader memory pre,
        L2TxLib.Tx memory t,
        address from,
        TxExecutor.Context memory c,
        StepWitness memory w
    ) private pure returns (StateCommitment.StateHeader memory post) {
        post = _copy(pre);
        uint256 senderLeaf = _checkAddress(ROLE_SENDER, from, w.sender, pre);
        if (senderLeaf == 0) return post; // UNKNOWN_ACCOUNT: skipped
        if (w.tx.sender.index != senderLeaf - 1) revert SenderIndexMismatch(senderLeaf - 1, w.tx.sender.index);

        TxExecutor.Outcome memory o = TxExecutor.executeFrom(pre.accountsRoot, pre.withdrawalsRoot, t, from, c, w.tx);
        // The recipient's new/existing status decided the outcome: bind it to the address tree.
        if (o.recipientReached) _bindRecipient(t.to, w.recipient, o, pre);
        if (o.skip != TxExecutor.Skip.None) return post;

        post.accountsRoot = o.accountsRoot;
        post.withdrawalsRoot = o.withdrawalsRoot;
        if (o.newAccount) {
            post.addressesRoot =
                AddressTree.computeRoot(t.to, bytes32(uint256(pre.accountCount) + 1), w.recipient.siblings);
            post.accountCount = pre.accountCount + 1;
        }
        if (o.withdrawn) post.withdrawalCount = pre.withdrawalCount + 1;
    }

    /// @dev TxExecutor's context from the header and the portal.
    function _executorContext(StateCommitment.StateHeader memory pre, StepContext memory ctx, L2TxLib.Tx memory t)
        private
        view
        returns (TxExecutor.Context memory c)
    {
        c = TxExecutor.Context({
            chainId: ctx.chainId,
            baseFee: ctx.baseFee,
            tokenCount: pre.tokenCount,
            l1Token: address(0),
            accountCount: pre.accountCount,
            withdrawalCount: pre.withdrawalCount
        });
        // Only a token withdrawal writes the L1 token; an unknown token index is skipped before that (and the
        // portal reverts for it), so ask only for known ones.
        if (t.kind == L2TxLib.KIND_WITHDRAW_TOKEN && t.tokenIndex <= pre.tokenCount) {
            c.l1Token = IStepPortal(address(ctx.portal)).tokenAt(t.tokenIndex);
        }
    }

    /// @dev The recipient witness TxExecutor used must be the address tree's: leaf j + 1 → index j, leaf 0 → new.
    function _bindRecipient(
        address to,
        AddressProof memory proof,
        TxExecutor.Outcome memory o,
        StateCommitment.StateHeader memory pre
    ) private pure {
        uint256 leaf = _checkAddress(ROLE_RECIPIENT, to, proof, pre);
        bool consistent = leaf == 0 ? o.newAccount : !o.newAccount && o.recipientIndex == leaf - 1;
        if (!consistent) revert RecipientIndexMismatch(leaf, o.recipientIndex, pre.accountCount);
    }

    function _depositRow(
        StateCommitment.StateHeader memory pre,
        bytes memory row,
        StepContext memory ctx,
        bytes memory witness
    ) private view returns (StateCommitment.StateHeader memory post) {
        post = _copy(pre);
        if (!_isZero(row, 1)) return post;
        uint64 index = pre.depositCount;
        if (index >= ctx.batchDepositCountAfter) return post;
        StepWitness memory w = decodeWitness(witness);
        Deposit memory d = w.deposit;
        _checkDeposit(IStepPortal(address(ctx.portal)), index, d);
        if (d.tokenIndex > MAX_TOKEN_INDEX) revert DepositTokenOutOfRange(d.tokenIndex);

        uint256 leaf = _checkAddress(ROLE_RECIPIENT, d.to, w.recipient, pre);
        TxExecutor.AccountWitness memory r = w.tx.recipient;
        TxExecutor.BalanceWitness memory b = w.tx.recipientBalance;
        if (leaf == 0) {
            if (r.index != pre.accountCount) revert RecipientIndexMismatch(0, r.index, pre.accountCount);
            if (pre.accountCount >= TxExecutor.MAX_TREE_ENTRIES) return post; // ACCOUNTS_FULL (see NatSpec)
            if (TxExecutor.root32(bytes32(0), r.index, r.siblings) != pre.accountsRoot) {
                revert TxExecutor.AccountWitnessMismatch(TxExecutor.ROLE_RECIPIENT);
            }
            if (TxExecutor.balanceRoot(b.amount, d.tokenIndex, b.siblings) != TxExecutor.EMPTY_BALANCES_ROOT) {
                revert TxExecutor.BalanceWitnessMismatch(TxExecutor.BALANCE_RECIPIENT);
            }
            // b.amount is 0 here (it proved against the empty tree); a new balance never overflows.
            bytes32 balancesRoot = TxExecutor.balanceRoot(d.amount, d.tokenIndex, b.siblings);
            post.accountsRoot = TxExecutor.root32(TxExecutor.accountLeaf(d.to, 0, balancesRoot), r.index, r.siblings);
            post.addressesRoot =
                AddressTree.computeRoot(d.to, bytes32(uint256(pre.accountCount) + 1), w.recipient.siblings);
            post.accountCount = pre.accountCount + 1;
        } else {
            if (r.index != leaf - 1) revert RecipientIndexMismatch(leaf, r.index, pre.accountCount);
            if (r.owner != d.to) revert TxExecutor.RecipientMismatch(d.to, r.owner);
            if (
                TxExecutor.root32(TxExecutor.accountLeaf(r.owner, r.nonce, r.balancesRoot), r.index, r.siblings)
                    != pre.accountsRoot
            ) revert TxExecutor.AccountWitnessMismatch(TxExecutor.ROLE_RECIPIENT);
            if (TxExecutor.balanceRoot(b.amount, d.tokenIndex, b.siblings) != r.balancesRoot) {
                revert TxExecutor.BalanceWitnessMismatch(TxExecutor.BALANCE_RECIPIENT);
            }
            // Credited unless it would overflow (consumed without effect); a zero amount changes nothing.
            if (d.amount != 0 && b.amount <= MAX_UINT256 - d.amount) {
                bytes32 balancesRoot = TxExecutor.balanceRoot(b.amount + d.amount, d.tokenIndex, b.siblings);
                post.accountsRoot =
                    TxExecutor.root32(TxExecutor.accountLeaf(r.owner, r.nonce, balancesRoot), r.index, r.siblings);
            }
        }
        if (d.tokenIndex > pre.tokenCount) post.tokenCount = d.tokenIndex;
        post.depositCount = index + 1;
    }

    // ------------------------------------------------------------------------------------------------ decoding

    /// @notice The transaction a tx row holds, or `ok = false` when the row is malformed (a no-op): flag bits 4-7
    ///         or byte 123 set, a token index outside its kind's range (0 for ETH kinds, 1..255 for token kinds),
    ///         a non-canonical packed fee or amount, or a legacy row with a non-zero fee1. Expects 124 bytes.
    function decodeTxRow(bytes memory row) internal pure returns (bool ok, L2TxLib.Tx memory t) {
        uint256 w0;
        uint256 lastByte;
        assembly ("memory-safe") {
            let p := add(row, 0x20)
            w0 := mload(p)
            mstore(t, shr(216, mload(add(p, 34)))) // nonce (u40)
            mstore(add(t, 0xe0), shr(96, mload(add(p, 39)))) // to
            mstore(add(t, 0x120), mload(add(p, 59))) // r
            mstore(add(t, 0x140), mload(add(p, 91))) // s
            lastByte := and(mload(add(p, 92)), 0xff)
        }
        uint256 flags = (w0 >> 240) & 0xff;
        if (flags >> 4 != 0 || lastByte != 0) return (false, t);
        // forge-lint: disable-next-line(unsafe-typecast)
        t.kind = uint8(flags & 3);
        // forge-lint: disable-next-line(unsafe-typecast)
        t.tokenIndex = uint8(w0 >> 232);
        bool tokenKind = t.kind == L2TxLib.KIND_TOKEN_TRANSFER || t.kind == L2TxLib.KIND_WITHDRAW_TOKEN;
        if (tokenKind ? t.tokenIndex == 0 : t.tokenIndex != 0) return (false, t);
        t.feeType = (flags >> 2) & 1 == 1 ? L2TxLib.FEE_EIP1559 : L2TxLib.FEE_LEGACY;
        // forge-lint: disable-next-line(unsafe-typecast)
        t.yParity = uint8((flags >> 3) & 1);
        // forge-lint: disable-next-line(unsafe-typecast)
        t.gasLimit = uint64((w0 >> 200) & 0xffffffff);
        (ok, t.maxFeePerGas) = _unpackAt(row, 7);
        if (!ok) return (false, t);
        // fee1 of a legacy row must be all zero bytes: the canonical zero (0, 0) is the only encoding of 0.
        (ok, t.maxPriorityFeePerGas) = _unpackAt(row, 16);
        if (!ok || (t.feeType == L2TxLib.FEE_LEGACY && t.maxPriorityFeePerGas != 0)) return (false, t);
        (ok, t.amount) = _unpackAt(row, 25);
    }

    /// @dev The packed field (u8 exponent, u64 mantissa) at `offset` of the row.
    function _unpackAt(bytes memory row, uint256 offset) private pure returns (bool, uint256) {
        uint256 word;
        assembly ("memory-safe") {
            word := mload(add(add(row, 0x20), offset))
        }
        return unpackAmount(word >> 248, (word >> 184) & 0xffffffffffffffff);
    }

    /// @notice `mantissa · 10^exponent` if (exponent, mantissa) is a canonical packed uint256 (amount.ts,
    ///         `packedAmountProblem`): exponent <= 77, zero only as (0, 0), no trailing decimal zero in the
    ///         mantissa, no overflow. The mantissa is a u64 by the row's width.
    function unpackAmount(uint256 exponent, uint256 mantissa) internal pure returns (bool ok, uint256 value) {
        if (exponent > 77) return (false, 0);
        if (mantissa == 0) return (exponent == 0, 0);
        if (mantissa % 10 == 0) return (false, 0);
        uint256 scale;
        unchecked {
            scale = 10 ** exponent; // < 2^256 for exponent <= 77
        }
        if (mantissa > MAX_UINT256 / scale) return (false, 0);
        return (true, mantissa * scale);
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /// @notice `abi.decode(witness, (StepWitness))`, without copying: the struct's sibling arrays and its
    ///         `deposit` point INTO `witness` (the encoding of a static struct holds them exactly as memory does),
    ///         only the small struct heads are allocated. ~2k gas instead of ~41k for `abi.decode`. Same result
    ///         and the same strictness: the length must be 504 words, and address / uint64 / uint16 fields must
    ///         fit their types (`WitnessNotCanonical`, where `abi.decode` reverts without data).
    /// @dev The result aliases `witness`: neither may be written while the other is in use (nothing here writes).
    function decodeWitness(bytes memory witness) internal pure returns (StepWitness memory) {
        return _asStepWitness(_witnessPointer)(witness);
    }

    /// @dev Reinterprets the returned pointer as a `StepWitness` (a returned memory struct is never allocated).
    function _asStepWitness(function(bytes memory) internal pure returns (uint256) f)
        private
        pure
        returns (function(bytes memory) internal pure returns (StepWitness memory) g)
    {
        assembly ("memory-safe") {
            g := f
        }
    }

    /// @dev Word offsets in `abi.encode(StepWitness)`: TxExecutor.Witness (0..177: roots 0-1, sender 2, senderEth
    ///      38, senderToken 47, recipient 56, recipientBalance 92, vault 101, vaultEth 137, withdrawalSiblings 146),
    ///      sender AddressProof 178, recipient AddressProof 339, deposit 500..503.
    function _witnessPointer(bytes memory witness) private pure returns (uint256 w) {
        if (witness.length != WITNESS_LENGTH) revert WitnessLength(witness.length);
        bool canonical;
        assembly ("memory-safe") {
            let b := add(witness, 0x20)
            function word(base, k) -> v {
                v := mload(add(base, shl(5, k)))
            }
            // owners (address) 3, 57, 102; nonces (uint64) 4, 58, 103; deposit from/to (address) 500, 501,
            // tokenIndex (uint16) 502.
            let dirty := or(or(shr(160, word(b, 3)), shr(160, word(b, 57))), shr(160, word(b, 102)))
            dirty := or(dirty, or(or(shr(64, word(b, 4)), shr(64, word(b, 58))), shr(64, word(b, 103))))
            dirty := or(dirty, or(or(shr(160, word(b, 500)), shr(160, word(b, 501))), shr(16, word(b, 502))))
            canonical := iszero(dirty)

            // AccountWitness head: index, owner, nonce, balancesRoot, siblings pointer.
            function account(dst, src) {
                mstore(dst, mload(src))
                mstore(add(dst, 0x20), mload(add(src, 0x20)))
                mstore(add(dst, 0x40), mload(add(src, 0x40)))
                mstore(add(dst, 0x60), mload(add(src, 0x60)))
                mstore(add(dst, 0x80), add(src, 0x80))
            }
            // BalanceWitness / AddressProof head: value, siblings pointer.
            function pair(dst, src) {
                mstore(dst, mload(src))
                mstore(add(dst, 0x20), add(src, 0x20))
            }
            let f := mload(0x40)
            let t := f // TxExecutor.Witness head, 10 words
            mstore(t, word(b, 0))
            mstore(add(t, 0x20), word(b, 1))
            account(add(f, 0x140), add(b, shl(5, 2)))
            mstore(add(t, 0x40), add(f, 0x140))
            pair(add(f, 0x1e0), add(b, shl(5, 38)))
            mstore(add(t, 0x60), add(f, 0x1e0))
            pair(add(f, 0x220), add(b, shl(5, 47)))
            mstore(add(t, 0x80), add(f, 0x220))
            account(add(f, 0x260), add(b, shl(5, 56)))
            mstore(add(t, 0xa0), add(f, 0x260))
            pair(add(f, 0x300), add(b, shl(5, 92)))
            mstore(add(t, 0xc0), add(f, 0x300))
            account(add(f, 0x340), add(b, shl(5, 101)))
            mstore(add(t, 0xe0), add(f, 0x340))
            pair(add(f, 0x3e0), add(b, shl(5, 137)))
            mstore(add(t, 0x100), add(f, 0x3e0))
            mstore(add(t, 0x120), add(b, shl(5, 146)))
            pair(add(f, 0x420), add(b, shl(5, 178))) // sender AddressProof
            pair(add(f, 0x460), add(b, shl(5, 339))) // recipient AddressProof
            w := add(f, 0x4a0) // StepWitness head: tx, sender, recipient, deposit
            mstore(w, t)
            mstore(add(w, 0x20), add(f, 0x420))
            mstore(add(w, 0x40), add(f, 0x460))
            mstore(add(w, 0x60), add(b, shl(5, 500)))
            mstore(0x40, add(f, 0x520)) // 41 words of heads
        }
        if (!canonical) revert WitnessNotCanonical();
    }

    /// @dev Proves `proof.leaf` at `key` against `pre.addressesRoot` and returns it (index + 1, or 0).
    function _checkAddress(uint8 role, address key, AddressProof memory proof, StateCommitment.StateHeader memory pre)
        private
        pure
        returns (uint256 leaf)
    {
        leaf = proof.leaf;
        if (AddressTree.computeRoot(key, bytes32(leaf), proof.siblings) != pre.addressesRoot) {
            revert AddressProofMismatch(role, key);
        }
        if (leaf > pre.accountCount) revert AddressLeafOutOfRange(role, leaf, pre.accountCount);
    }

    /// @dev Deposit `index` of the queue must hash, on top of deposit `index − 1`'s hash, to the portal's hash.
    function _checkDeposit(IStepPortal portal, uint256 index, Deposit memory d) private view {
        bytes32 prev = index == 0 ? bytes32(0) : portal.depositHashAt(index - 1);
        bytes32 expected = portal.depositHashAt(index);
        bytes32 witnessed = keccak256(abi.encode(prev, index, d.from, d.to, d.tokenIndex, d.amount));
        if (witnessed != expected) revert DepositMismatch(index, expected, witnessed);
    }

    /// @dev True when bytes [from, 124) of the row are zero (from >= 1; reads stay inside the row).
    function _isZero(bytes memory row, uint256 from) private pure returns (bool zero) {
        assembly ("memory-safe") {
            let p := add(row, 0x20)
            let acc := 0
            for { let o := from } lt(o, 92) { o := add(o, 32) } { acc := or(acc, mload(add(p, o))) }
            acc := or(acc, mload(add(p, 92)))
            zero := iszero(acc)
        }
    }

    function _copy(StateCommitment.StateHeader memory h) private pure returns (StateCommitment.StateHeader memory c) {
        c = StateCommitment.StateHeader({
            accountsRoot: h.accountsRoot,
            withdrawalsRoot: h.withdrawalsRoot,
            addressesRoot: h.addressesRoot,
            accountCount: h.accountCount,
            withdrawalCount: h.withdrawalCount,
            depositCount: h.depositCount,
            blockNumber: h.blockNumber,
            tokenCount: h.tokenCount
        });
    }
}

/// @title StepVerifierExecutor
/// @notice `StepVerifier.executeRow` behind an external call, for a contract that cannot hold the library's code:
///         the library inlines ~11 KB (StepVerifier, TxExecutor, L2TxLib, AddressTree), and `Rollup` with it inlined
///         passes the EIP-170 runtime limit of 24,576 bytes. Stateless and permissionless; create it in the
///         caller's constructor (`new StepVerifierExecutor()`: the code then rides in the caller's initcode, limit
///         49,152, not in its runtime) or deploy it once and pass its address. Custom errors bubble up unchanged
///         through a Solidity high-level call. Costs one call and one more copy of the witness (~10k gas).
contract StepVerifierExecutor {
    /// @notice See `StepVerifier.executeRow`.
    function executeRow(
        StateCommitment.StateHeader calldata pre,
        bytes calldata row,
        StepVerifier.StepContext calldata ctx,
        bytes calldata witness
    ) external view returns (StateCommitment.StateHeader memory) {
        return StepVerifier.executeRow(pre, row, ctx, witness);
    }
}
