// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {L2TxLib} from "./L2TxLib.sol";

/// @title TxExecutor
/// @notice Re-executes ONE l2kit L2 transaction on L1 against Merkle witnesses of the pre-state root and returns the
///         post-state root: the "one step" of a fraud proof. It follows `L2State.applyTx` (src/core/state.ts) and the
///         spec's check order (ARCHITECTURE.md, "Choices made while building v1"): account, nonce, gas limit, fee
///         cap, token, address, amount, ETH balance, token balance, overflow (then tree-full). A transaction that
///         fails a check is SKIPPED, as derivation does: the post-state root is the pre-state root and `skip` says
///         which check failed. A witness that does not match the roots REVERTS with a custom error (the prover's
///         fault, not the transaction's).
///
/// @dev Witness format (`Witness`). Leaves that live in the same tree are updated one after another, and every
///      witness is a Merkle proof against the root LEFT BY THE PREVIOUS UPDATE (not against the pre-state), so no
///      sibling has to be patched on chain and accounts that coincide (self-transfer, a transfer to the fee vault)
///      need no special case:
///        1. `accountsRoot`, `withdrawalsRoot`: the pre-state split; `keccak256(accountsRoot ‖ withdrawalsRoot)` must
///           be the pre-state root.
///        2. `sender`: leaf preimage (owner, nonce, balancesRoot) + 32 accounts-tree siblings against `accountsRoot`;
///           `owner` must be the recovered signer. `senderEth`: ETH balance (token 0) + 8 balances-tree siblings
///           against `sender.balancesRoot`. `senderToken` (token operations only): balance of `tokenIndex` +
///           siblings against the sender's balances root AFTER its ETH leaf was debited by the fee.
///           The new sender leaf (nonce + 1, new balances root) gives accounts root R1.
///        3. Transfers: `recipient` against R1 (if the recipient is the sender, this is the sender's updated
///           preimage). An existing account has `index < ctx.accountCount` and `owner == tx.to`; a NEW account has
///           `index == ctx.accountCount`, its preimage fields are ignored and its (empty) leaf is proven against R1.
///           `recipientBalance`: balance of the moved token + siblings against the recipient's balances root (for
///           a new account: 0 and the empty tree's siblings). Result: accounts root R2.
///           Withdrawals: `withdrawalSiblings` prove leaf `ctx.withdrawalCount` of `withdrawalsRoot` empty; the
///           withdrawal leaf is written there. R2 = R1.
///        4. Fee != 0: `vault` (index 0, owner = the fee vault) against R2 and `vaultEth` against its balances
///           root; the fee is credited, giving the final accounts root.
///      Witnesses a path does not reach (a skipped transaction's later steps, the recipient of a withdrawal, ...)
///      are ignored and may be zero.
///
///      Context (`Context`) the state root does not commit to and the fraud-proof game must bind: the chain id
///      and base fee (chain constants), `tokenCount` and the L1 address of the token (the Portal's registry),
///      `accountCount` and `withdrawalCount` before the transaction (the next free indices).
///
///      Not provable from the accounts root (accounts are keyed by index, not address), so the caller's job: that
///      a "new" recipient really has no account yet, and the `UNKNOWN_ACCOUNT` skip of a signer without an account
///      (this library needs the sender's leaf and reverts without it). `StepVerifier` does both with the address
///      tree of the state header, through `executeFrom`, whose `Outcome` says which recipient witness decided
///      the result (`recipientReached`, `newAccount`, `recipientIndex`).
///      A signature that is not canonical or recovers nobody gives `Skip.InvalidSignature`.
///
///      Gas is bounded: at most 3 accounts-tree paths (depth 32) verified and recomputed, 4 balances-tree paths
///      (depth 8), one withdrawals path, one ecrecover and one RLP payload (see TxExecutor.t.sol for measurements).
library TxExecutor {
    /// @notice Why a transaction was skipped (`None` = applied). Mirrors the `L2kitError` codes of `applyTx`.
    enum Skip {
        None,
        InvalidSignature,
        NonceMismatch,
        NonceOverflow,
        GasLimitTooLow,
        FeeCapTooLow,
        UnknownToken,
        AmountNotPackable,
        InsufficientBalance,
        InsufficientTokenBalance,
        BalanceOverflow,
        AccountsFull,
        WithdrawalsFull
    }

    /// @notice Chain constants and counters the state root does not commit to (see the library NatSpec).
    struct Context {
        uint256 chainId;
        uint256 baseFee;
        uint256 tokenCount;
        /// @dev L1 address of `tx.tokenIndex` (withdrawal leaves of token withdrawals); ignored for ETH.
        address l1Token;
        uint256 accountCount;
        uint256 withdrawalCount;
    }

    /// @notice An account leaf's preimage and its accounts-tree siblings (bottom-up).
    struct AccountWitness {
        uint256 index;
        address owner;
        uint64 nonce;
        bytes32 balancesRoot;
        bytes32[32] siblings;
    }

    /// @notice One balance (leaf = the amount as uint256) and its balances-tree siblings (bottom-up).
    struct BalanceWitness {
        uint256 amount;
        bytes32[8] siblings;
    }

    /// @notice Everything one transaction touches; each proof is against the root the previous step left.
    struct Witness {
        bytes32 accountsRoot;
        bytes32 withdrawalsRoot;
        AccountWitness sender;
        BalanceWitness senderEth;
        BalanceWitness senderToken;
        AccountWitness recipient;
        BalanceWitness recipientBalance;
        AccountWitness vault;
        BalanceWitness vaultEth;
        bytes32[32] withdrawalSiblings;
    }

    /// @notice Roles in `AccountWitnessMismatch` / `AccountIndexOutOfRange`.
    uint8 internal constant ROLE_SENDER = 0;
    uint8 internal constant ROLE_RECIPIENT = 1;
    uint8 internal constant ROLE_VAULT = 2;
    /// @notice Roles in `BalanceWitnessMismatch`.
    uint8 internal constant BALANCE_SENDER_ETH = 0;
    uint8 internal constant BALANCE_SENDER_TOKEN = 1;
    uint8 internal constant BALANCE_RECIPIENT = 2;
    uint8 internal constant BALANCE_VAULT = 3;

    /// @notice Fixed gas per operation kind (`GAS` in src/core/constants.ts).
    uint256 internal constant GAS_ETH_TRANSFER = 21_000;
    uint256 internal constant GAS_TOKEN_TRANSFER = 52_000;
    uint256 internal constant GAS_WITHDRAW_ETH = 60_000;
    uint256 internal constant GAS_WITHDRAW_TOKEN = 70_000;

    address internal constant FEE_VAULT = 0x4200000000000000000000000000000000000011;
    /// @notice Root of an empty depth-8 balances tree (`zero[8]`).
    bytes32 internal constant EMPTY_BALANCES_ROOT = 0x9867cc5f7f196b93bae1e27e6320742445d290f2263827498b54fec539f756af;
    uint256 internal constant MAX_TREE_ENTRIES = 1 << 32;

    /// @notice `keccak256(accountsRoot ‖ withdrawalsRoot)` of the witness is not the pre-state root.
    error StateRootMismatch(bytes32 preStateRoot, bytes32 witnessed);
    /// @notice An account witness does not prove its leaf against the current accounts root.
    error AccountWitnessMismatch(uint8 role);
    /// @notice A balance witness does not prove its leaf against the account's (current) balances root.
    error BalanceWitnessMismatch(uint8 role);
    /// @notice The sender witness is another account than the recovered signer's.
    error SenderMismatch(address recovered, address witnessed);
    /// @notice The recipient witness is another account than the transaction's recipient.
    error RecipientMismatch(address expected, address witnessed);
    /// @notice An account index is not below `accountCount` (or, for a new recipient, not equal to it).
    error AccountIndexOutOfRange(uint8 role, uint256 index, uint256 accountCount);
    /// @notice The vault witness is not account 0 owned by the fee vault.
    error FeeVaultMismatch(uint256 index, address owner);
    /// @notice `withdrawalSiblings` do not prove slot `withdrawalCount` empty.
    error WithdrawalWitnessMismatch(uint256 index);

    /// @notice What `executeFrom` did. On a skip the roots are the input roots and nothing was created (even when
    ///         `newAccount` says the recipient witness was a new account).
    /// @param recipientReached a transfer got past every sender check, so the recipient witness decided the
    ///        outcome (new or existing account, `BalanceOverflow`, `AccountsFull`): the caller must bind
    ///        `newAccount` / `recipientIndex` to the address tree (`StepVerifier` does).
    /// @param newAccount the recipient witness is a new account at `ctx.accountCount` (created iff applied).
    /// @param recipientIndex the recipient witness's account index.
    /// @param withdrawn a withdrawal leaf was appended at `ctx.withdrawalCount`.
    struct Outcome {
        Skip skip;
        bytes32 accountsRoot;
        bytes32 withdrawalsRoot;
        bool recipientReached;
        bool newAccount;
        uint256 recipientIndex;
        bool withdrawn;
    }

    /// @dev Values carried between the steps (keeps the stack shallow).
    struct Run {
        address from;
        uint256 token;
        uint256 fee;
        uint256 ethNeeded;
        bool coverable;
        bytes32 accountsRoot;
        bytes32 withdrawalsRoot;
        bool recipientReached;
        bool newAccount;
        uint256 recipientIndex;
    }

    /// @notice Applies `t` to the state `preStateRoot` and returns the post-state root, or the pre-state root and
    ///         the reason when the transaction is skipped. Reverts when a witness is wrong.
    function execute(bytes32 preStateRoot, L2TxLib.Tx memory t, Context memory ctx, Witness memory w)
        internal
        pure
        returns (bytes32 postStateRoot, Skip skip)
    {
        bytes32 witnessed = keccak256(abi.encodePacked(w.accountsRoot, w.withdrawalsRoot));
        if (witnessed != preStateRoot) revert StateRootMismatch(preStateRoot, witnessed);
        address from = L2TxLib.sender(t, ctx.chainId);
        if (from == address(0)) return (preStateRoot, Skip.InvalidSignature);
        Outcome memory o = executeFrom(w.accountsRoot, w.withdrawalsRoot, t, from, ctx, w);
        if (o.skip != Skip.None) return (preStateRoot, o.skip);
        return (keccak256(abi.encodePacked(o.accountsRoot, o.withdrawalsRoot)), Skip.None);
    }

    /// @notice Applies `t`, already known to be signed by `from` (non-zero), to the roots `accountsRoot`,
    ///         `withdrawalsRoot`. `w.accountsRoot` and `w.withdrawalsRoot` are ignored (the caller vouches for the
    ///         roots). Reverts when a witness is wrong.
    function executeFrom(
        bytes32 accountsRoot,
        bytes32 withdrawalsRoot,
        L2TxLib.Tx memory t,
        address from,
        Context memory ctx,
        Witness memory w
    ) internal pure returns (Outcome memory o) {
        Run memory run;
        run.accountsRoot = accountsRoot;
        run.withdrawalsRoot = withdrawalsRoot;
        run.from = from;
        o.accountsRoot = accountsRoot;
        o.withdrawalsRoot = withdrawalsRoot;

        Skip skip = _applySender(t, ctx, w, run);
        if (skip == Skip.None) {
            if (t.kind == L2TxLib.KIND_ETH_TRANSFER || t.kind == L2TxLib.KIND_TOKEN_TRANSFER) {
                skip = _applyRecipient(t, ctx, w, run);
                o.recipientReached = run.recipientReached;
                o.newAccount = run.newAccount;
                o.recipientIndex = run.recipientIndex;
            } else {
                skip = _applyWithdrawal(t, ctx, w, run);
            }
        }
        o.skip = skip;
        if (skip != Skip.None) return o;
        if (run.fee != 0) _applyFee(w, run);
        o.accountsRoot = run.accountsRoot;
        o.withdrawalsRoot = run.withdrawalsRoot;
        o.withdrawn = t.kind == L2TxLib.KIND_WITHDRAW_ETH || t.kind == L2TxLib.KIND_WITHDRAW_TOKEN;
    }

    /// @notice Fixed L2 gas of an operation kind.
    function gasOf(uint8 kind) internal pure returns (uint256) {
        if (kind == L2TxLib.KIND_ETH_TRANSFER) return GAS_ETH_TRANSFER;
        if (kind == L2TxLib.KIND_TOKEN_TRANSFER) return GAS_TOKEN_TRANSFER;
        if (kind == L2TxLib.KIND_WITHDRAW_ETH) return GAS_WITHDRAW_ETH;
        if (kind == L2TxLib.KIND_WITHDRAW_TOKEN) return GAS_WITHDRAW_TOKEN;
        revert L2TxLib.UnsupportedTx(kind, 0);
    }

    /// @notice `m * 10^e` with `m < 2^64` after removing trailing zeros (e <= 77 holds for every uint256).
    function isPackable(uint256 amount) internal pure returns (bool) {
        if (amount < 1 << 64) return true;
        while (amount % 10 == 0) amount /= 10;
        return amount < 1 << 64;
    }

    /// @notice `keccak256(abi.encodePacked(owner, uint64 nonce, balancesRoot))`.
    function accountLeaf(address owner, uint64 nonce, bytes32 balancesRoot) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(owner, nonce, balancesRoot));
    }

    // ------------------------------------------------------------------------------------------------ steps

    /// @dev Checks up to the token balance (all that needs only the sender), then debits it: accounts root R1.
    function _applySender(L2TxLib.Tx memory t, Context memory ctx, Witness memory w, Run memory run)
        private
        pure
        returns (Skip skip)
    {
        AccountWitness memory s = w.sender;
        if (s.owner != run.from) revert SenderMismatch(run.from, s.owner);
        if (s.index >= ctx.accountCount) revert AccountIndexOutOfRange(ROLE_SENDER, s.index, ctx.accountCount);
        if (root32(accountLeaf(s.owner, s.nonce, s.balancesRoot), s.index, s.siblings) != run.accountsRoot) {
            revert AccountWitnessMismatch(ROLE_SENDER);
        }
        skip = _checkTx(t, ctx, s.nonce, run);
        if (skip != Skip.None) return skip;
        return _debitSender(t, w, run);
    }

    /// @dev Nonce, gas limit, fee cap, token, amount; sets `run.token`, `run.fee`, `run.ethNeeded`.
    function _checkTx(L2TxLib.Tx memory t, Context memory ctx, uint64 nonce, Run memory run)
        private
        pure
        returns (Skip)
    {
        if (t.nonce != nonce) return Skip.NonceMismatch;
        if (nonce == type(uint64).max) return Skip.NonceOverflow;
        uint256 gas = gasOf(t.kind);
        if (t.gasLimit < gas) return Skip.GasLimitTooLow;
        (bool feeOk, uint256 price) = _effectiveGasPrice(t, ctx.baseFee);
        if (!feeOk) return Skip.FeeCapTooLow;
        bool tokenOp = t.kind == L2TxLib.KIND_TOKEN_TRANSFER || t.kind == L2TxLib.KIND_WITHDRAW_TOKEN;
        if (tokenOp && (t.tokenIndex == 0 || t.tokenIndex > ctx.tokenCount)) return Skip.UnknownToken;
        run.token = tokenOp ? t.tokenIndex : 0;
        // (address check: every `address` value is a valid address)
        if (!isPackable(t.amount)) return Skip.AmountNotPackable;
        // ETH needed: fee (+ amount for ETH operations); a product or sum past 2^256 can never be covered.
        (bool ok, uint256 needed) = _mul(gas, price);
        run.fee = needed;
        if (ok && run.token == 0) (ok, needed) = _add(needed, t.amount);
        run.ethNeeded = ok ? needed : type(uint256).max;
        run.coverable = ok;
        return Skip.None;
    }

    /// @dev ETH and token balance checks, then the sender's new leaf (nonce + 1): accounts root R1.
    function _debitSender(L2TxLib.Tx memory t, Witness memory w, Run memory run) private pure returns (Skip) {
        AccountWitness memory s = w.sender;
        uint256 ethBalance = w.senderEth.amount;
        if (balanceRoot(ethBalance, 0, w.senderEth.siblings) != s.balancesRoot) {
            revert BalanceWitnessMismatch(BALANCE_SENDER_ETH);
        }
        if (!run.coverable || ethBalance < run.ethNeeded) return Skip.InsufficientBalance;
        bytes32 balancesRoot = balanceRoot(ethBalance - run.ethNeeded, 0, w.senderEth.siblings);
        if (run.token != 0) {
            uint256 tokenBalance = w.senderToken.amount;
            if (balanceRoot(tokenBalance, run.token, w.senderToken.siblings) != balancesRoot) {
                revert BalanceWitnessMismatch(BALANCE_SENDER_TOKEN);
            }
            if (tokenBalance < t.amount) return Skip.InsufficientTokenBalance;
            balancesRoot = balanceRoot(tokenBalance - t.amount, run.token, w.senderToken.siblings);
        }
        run.accountsRoot = root32(accountLeaf(s.owner, s.nonce + 1, balancesRoot), s.index, s.siblings);
        return Skip.None;
    }

    /// @dev Credits the transfer recipient (existing or new account), proven against R1: accounts root R2.
    function _applyRecipient(L2TxLib.Tx memory t, Context memory ctx, Witness memory w, Run memory run)
        private
        pure
        returns (Skip)
    {
        AccountWitness memory r = w.recipient;
        bool isNew = r.index == ctx.accountCount;
        run.recipientReached = true;
        run.newAccount = isNew;
        run.recipientIndex = r.index;
        address owner = r.owner;
        uint64 nonce = r.nonce;
        bytes32 balancesRoot = r.balancesRoot;
        bytes32 leaf;
        if (isNew) {
            if (ctx.accountCount >= MAX_TREE_ENTRIES) return Skip.AccountsFull;
            (owner, nonce, balancesRoot) = (t.to, 0, EMPTY_BALANCES_ROOT);
        } else {
            if (r.index > ctx.accountCount) revert AccountIndexOutOfRange(ROLE_RECIPIENT, r.index, ctx.accountCount);
            if (owner != t.to) revert RecipientMismatch(t.to, owner);
            leaf = accountLeaf(owner, nonce, balancesRoot);
        }
        if (root32(leaf, r.index, r.siblings) != run.accountsRoot) revert AccountWitnessMismatch(ROLE_RECIPIENT);
        uint256 balance = w.recipientBalance.amount;
        if (balanceRoot(balance, run.token, w.recipientBalance.siblings) != balancesRoot) {
            revert BalanceWitnessMismatch(BALANCE_RECIPIENT);
        }
        // Self-transfers cannot overflow: the amount was just debited from this very balance.
        (bool ok, uint256 credited) = _add(balance, t.amount);
        if (!ok) return Skip.BalanceOverflow;
        balancesRoot = balanceRoot(credited, run.token, w.recipientBalance.siblings);
        run.accountsRoot = root32(accountLeaf(owner, nonce, balancesRoot), r.index, r.siblings);
        return Skip.None;
    }

    /// @dev Appends the withdrawal leaf at `ctx.withdrawalCount`, proven empty.
    function _applyWithdrawal(L2TxLib.Tx memory t, Context memory ctx, Witness memory w, Run memory run)
        private
        pure
        returns (Skip)
    {
        uint256 k = ctx.withdrawalCount;
        if (k >= MAX_TREE_ENTRIES) return Skip.WithdrawalsFull;
        if (root32(bytes32(0), k, w.withdrawalSiblings) != run.withdrawalsRoot) revert WithdrawalWitnessMismatch(k);
        address l1Token = run.token == 0 ? address(0) : ctx.l1Token;
        bytes32 leaf = keccak256(abi.encode(k, run.from, t.to, l1Token, t.amount));
        run.withdrawalsRoot = root32(leaf, k, w.withdrawalSiblings);
        return Skip.None;
    }

    /// @dev Credits the fee to the vault (account 0), proven against R2.
    function _applyFee(Witness memory w, Run memory run) private pure {
        AccountWitness memory v = w.vault;
        if (v.index != 0 || v.owner != FEE_VAULT) revert FeeVaultMismatch(v.index, v.owner);
        if (root32(accountLeaf(v.owner, v.nonce, v.balancesRoot), 0, v.siblings) != run.accountsRoot) {
            revert AccountWitnessMismatch(ROLE_VAULT);
        }
        uint256 balance = w.vaultEth.amount;
        if (balanceRoot(balance, 0, w.vaultEth.siblings) != v.balancesRoot) {
            revert BalanceWitnessMismatch(BALANCE_VAULT);
        }
        // Checked: the vault cannot hold more than all ETH ever deposited.
        bytes32 balancesRoot = balanceRoot(balance + run.fee, 0, w.vaultEth.siblings);
        run.accountsRoot = root32(accountLeaf(v.owner, v.nonce, balancesRoot), 0, v.siblings);
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /// @dev `computeEffectiveGasPrice` of state.ts; `ok = false` is FEE_CAP_TOO_LOW.
    function _effectiveGasPrice(L2TxLib.Tx memory t, uint256 baseFee) private pure returns (bool ok, uint256) {
        uint256 cap = t.maxFeePerGas;
        if (cap < baseFee) return (false, 0);
        if (t.feeType == L2TxLib.FEE_LEGACY) return (true, cap);
        // min(cap, baseFee + tip) without overflowing: cap - baseFee >= 0 here.
        if (t.maxPriorityFeePerGas >= cap - baseFee) return (true, cap);
        return (true, baseFee + t.maxPriorityFeePerGas);
    }

    function _mul(uint256 a, uint256 b) private pure returns (bool ok, uint256 c) {
        unchecked {
            if (a == 0) return (true, 0);
            c = a * b;
            ok = c / a == b;
        }
    }

    function _add(uint256 a, uint256 b) private pure returns (bool ok, uint256 c) {
        unchecked {
            c = a + b;
            ok = c >= a;
        }
    }

    /// @dev Root of a depth-32 tree with `leaf` at `index`.
    function root32(bytes32 leaf, uint256 index, bytes32[32] memory siblings) internal pure returns (bytes32 root) {
        assembly ("memory-safe") {
            root := leaf
            for { let i := 0 } lt(i, 32) { i := add(i, 1) } {
                let isRight := and(shr(i, index), 1)
                mstore(mul(isRight, 0x20), root)
                mstore(mul(iszero(isRight), 0x20), mload(add(siblings, shl(5, i))))
                root := keccak256(0x00, 0x40)
            }
        }
    }

    /// @dev Root of a depth-8 balances tree with `amount` at leaf `token`.
    function balanceRoot(uint256 amount, uint256 token, bytes32[8] memory siblings)
        internal
        pure
        returns (bytes32 root)
    {
        assembly ("memory-safe") {
            root := amount
            for { let i := 0 } lt(i, 8) { i := add(i, 1) } {
                let isRight := and(shr(i, token), 1)
                mstore(mul(isRight, 0x20), root)
                mstore(mul(iszero(isRight), 0x20), mload(add(siblings, shl(5, i))))
                root := keccak256(0x00, 0x40)
            }
        }
    }
}
