// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {DevToken} from "../../src/common/DevToken.sol";
import {IPortal} from "../../src/optimistic/IPortal.sol";
import {L2TxLib} from "../../src/optimistic/L2TxLib.sol";
import {Portal} from "../../src/optimistic/Portal.sol";
import {StateCommitment} from "../../src/optimistic/StateCommitment.sol";
import {StepVerifier, StepVerifierExecutor} from "../../src/optimistic/StepVerifier.sol";
import {TxExecutor} from "../../src/optimistic/TxExecutor.sol";
import {AddressTreeRef} from "../common/AddressTree.t.sol";
import {MerkleTree} from "../utils/MerkleTree.sol";
import {Test} from "../utils/Test.sol";
import {StepVectors} from "../vectors/StepVectors.sol";

/// @dev The `sign` cheatcode (not declared in test/utils/Vm.sol).
interface VmSigner {
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
}

/// @notice The portal's deposit queue and token registry as the spec defines them (`Portal._enqueue`'s rolling hash,
///         `depositHashAt(i)` = the hash after deposit i, `tokenAt` reverting for unregistered indices).
contract MockStepPortal {
    bytes32[] internal _hashes;
    address[] internal _tokens;

    function enqueue(address from, address to, uint16 tokenIndex, uint256 amount) external returns (uint256 index) {
        index = _hashes.length;
        bytes32 prev = index == 0 ? bytes32(0) : _hashes[index - 1];
        _hashes.push(keccak256(abi.encode(prev, index, from, to, tokenIndex, amount)));
    }

    function registerToken(address l1Token) external {
        _tokens.push(l1Token);
    }

    function depositHashAt(uint256 index) external view returns (bytes32) {
        require(index < _hashes.length, "no such deposit");
        return _hashes[index];
    }

    function depositCount() external view returns (uint256) {
        return _hashes.length;
    }

    function tokenAt(uint16 tokenIndex) external view returns (address) {
        require(tokenIndex <= _tokens.length, "unknown token");
        return tokenIndex == 0 ? address(0) : _tokens[tokenIndex - 1];
    }
}

/// @dev External entry point, so reverts can be expected and calldata decoding is measured too.
contract StepVerifierHarness {
    function executeRow(
        StateCommitment.StateHeader memory pre,
        bytes memory row,
        StepVerifier.StepContext memory ctx,
        bytes memory witness
    ) external view returns (StateCommitment.StateHeader memory) {
        return StepVerifier.executeRow(pre, row, ctx, witness);
    }

    function decodeWitness(bytes memory witness) external pure returns (StepVerifier.StepWitness memory) {
        return StepVerifier.decodeWitness(witness);
    }

    /// @dev Gas of `executeRow` alone, measured in this fresh call frame (the test contract's own memory is large,
    ///      so measuring there would add its memory-expansion cost). Includes `abi.decode` of the witness.
    function executeRowGas(
        StateCommitment.StateHeader memory pre,
        bytes memory row,
        StepVerifier.StepContext memory ctx,
        bytes memory witness
    ) external view returns (StateCommitment.StateHeader memory post, uint256 gasUsed) {
        uint256 before = gasleft();
        post = StepVerifier.executeRow(pre, row, ctx, witness);
        gasUsed = before - gasleft();
    }
}

/// @notice A small L2 state kept the obvious way (arrays, roots recomputed from scratch with the reference trees),
///         that builds StepVerifier witnesses and the expected post-state headers.
abstract contract StepModel is Test {
    struct Acct {
        address owner;
        uint64 nonce;
        uint256[4] bal; // tokens 0..3
    }

    struct Model {
        Acct[8] accts;
        uint256 count;
        bytes32[4] withdrawals;
        uint256 withdrawalCount;
        uint64 depositCount;
        uint64 blockNumber;
        uint16 tokenCount;
    }

    address internal constant FEE_VAULT = 0x4200000000000000000000000000000000000011;

    function _genesis() internal pure returns (Model memory m) {
        m.accts[0].owner = FEE_VAULT;
        m.count = 1;
    }

    function _clone(Model memory m) internal pure returns (Model memory c) {
        for (uint256 i = 0; i < 8; i++) {
            c.accts[i].owner = m.accts[i].owner;
            c.accts[i].nonce = m.accts[i].nonce;
            for (uint256 t = 0; t < 4; t++) {
                c.accts[i].bal[t] = m.accts[i].bal[t];
            }
        }
        for (uint256 k = 0; k < 4; k++) {
            c.withdrawals[k] = m.withdrawals[k];
        }
        c.count = m.count;
        c.withdrawalCount = m.withdrawalCount;
        c.depositCount = m.depositCount;
        c.blockNumber = m.blockNumber;
        c.tokenCount = m.tokenCount;
    }

    function _indexOf(Model memory m, address a) internal pure returns (bool found, uint256 index) {
        for (uint256 i = 0; i < m.count; i++) {
            if (m.accts[i].owner == a) return (true, i);
        }
        return (false, m.count);
    }

    // ------------------------------------------------------------------ trees

    function _balances(Model memory m, uint256 i)
        internal
        pure
        returns (uint256[] memory indices, bytes32[] memory leaves)
    {
        uint256 n;
        for (uint256 t = 0; t < 4; t++) {
            if (m.accts[i].bal[t] != 0) n++;
        }
        indices = new uint256[](n);
        leaves = new bytes32[](n);
        n = 0;
        for (uint256 t = 0; t < 4; t++) {
            if (m.accts[i].bal[t] != 0) {
                indices[n] = t;
                leaves[n] = bytes32(m.accts[i].bal[t]);
                n++;
            }
        }
    }

    function _balancesRoot(Model memory m, uint256 i) internal pure returns (bytes32) {
        (uint256[] memory indices, bytes32[] memory leaves) = _balances(m, i);
        return MerkleTree.root(8, indices, leaves);
    }

    function _accounts(Model memory m) internal pure returns (uint256[] memory indices, bytes32[] memory leaves) {
        indices = new uint256[](m.count);
        leaves = new bytes32[](m.count);
        for (uint256 i = 0; i < m.count; i++) {
            indices[i] = i;
            leaves[i] = TxExecutor.accountLeaf(m.accts[i].owner, m.accts[i].nonce, _balancesRoot(m, i));
        }
    }

    function _withdrawalsTree(Model memory m)
        internal
        pure
        returns (uint256[] memory indices, bytes32[] memory leaves)
    {
        indices = new uint256[](m.withdrawalCount);
        leaves = new bytes32[](m.withdrawalCount);
        for (uint256 k = 0; k < m.withdrawalCount; k++) {
            indices[k] = k;
            leaves[k] = m.withdrawals[k];
        }
    }

    function _addresses(Model memory m) internal pure returns (address[] memory keys, bytes32[] memory leaves) {
        keys = new address[](m.count);
        leaves = new bytes32[](m.count);
        for (uint256 i = 0; i < m.count; i++) {
            keys[i] = m.accts[i].owner;
            leaves[i] = bytes32(i + 1);
        }
    }

    function _header(Model memory m) internal pure returns (StateCommitment.StateHeader memory h) {
        (uint256[] memory ai, bytes32[] memory al) = _accounts(m);
        (uint256[] memory wi, bytes32[] memory wl) = _withdrawalsTree(m);
        (address[] memory keys, bytes32[] memory leaves) = _addresses(m);
        h.accountsRoot = MerkleTree.root(32, ai, al);
        h.withdrawalsRoot = MerkleTree.root(32, wi, wl);
        h.addressesRoot = AddressTreeRef.rootOf(keys, leaves);
        h.accountCount = uint64(m.count);
        h.withdrawalCount = uint64(m.withdrawalCount);
        h.depositCount = m.depositCount;
        h.blockNumber = m.blockNumber;
        h.tokenCount = m.tokenCount;
    }

    // ------------------------------------------------------------------ witnesses

    function _addressProof(Model memory m, address key) internal pure returns (StepVerifier.AddressProof memory p) {
        (address[] memory keys, bytes32[] memory leaves) = _addresses(m);
        (, p.siblings) = AddressTreeRef.rootAndProof(keys, leaves, key);
        (bool found, uint256 index) = _indexOf(m, key);
        p.leaf = found ? index + 1 : 0;
    }

    /// @dev Account `i` (or the empty slot `i == count`) against the model's current accounts root.
    function _accountWitness(Model memory m, uint256 i) internal pure returns (TxExecutor.AccountWitness memory a) {
        (uint256[] memory indices, bytes32[] memory leaves) = _accounts(m);
        a.index = i;
        a.siblings = MerkleTree.proof32(i, indices, leaves);
        if (i < m.count) {
            a.owner = m.accts[i].owner;
            a.nonce = m.accts[i].nonce;
            a.balancesRoot = _balancesRoot(m, i);
        }
    }

    function _balanceWitness(Model memory m, uint256 i, uint256 token)
        internal
        pure
        returns (TxExecutor.BalanceWitness memory b)
    {
        uint256[] memory indices;
        bytes32[] memory leaves;
        if (i < m.count) {
            (indices, leaves) = _balances(m, i);
            b.amount = m.accts[i].bal[token];
        }
        bytes32[] memory siblings = MerkleTree.proof(8, token, indices, leaves);
        for (uint256 l = 0; l < 8; l++) {
            b.siblings[l] = siblings[l];
        }
    }

    /// @dev Witness of deposit `d` (the next one) and the model after it (as `L2State.applyDeposit`).
    function _depositWitness(Model memory pre, StepVerifier.Deposit memory d)
        internal
        pure
        returns (StepVerifier.StepWitness memory w, Model memory m)
    {
        m = _clone(pre);
        w.deposit = d;
        w.recipient = _addressProof(m, d.to);
        (bool found, uint256 i) = _indexOf(m, d.to);
        w.tx.recipient = _accountWitness(m, i);
        w.tx.recipientBalance = _balanceWitness(m, i, d.tokenIndex);
        if (!found) {
            m.accts[i].owner = d.to;
            m.count++;
        }
        uint256 balance = m.accts[i].bal[d.tokenIndex];
        unchecked {
            if (balance + d.amount >= balance) m.accts[i].bal[d.tokenIndex] = balance + d.amount;
        }
        if (d.tokenIndex > m.tokenCount) m.tokenCount = d.tokenIndex;
        m.depositCount++;
    }

    /// @dev Witness of `t` signed by `from` paying `fee`, built step by step as TxExecutor reads it, and the model
    ///      after it when it applies (`applied = false`: the builder stopped where the transaction is skipped).
    function _txWitness(Model memory pre, L2TxLib.Tx memory t, address from, uint256 fee, address l1Token)
        internal
        pure
        returns (StepVerifier.StepWitness memory w, Model memory m, bool applied)
    {
        m = _clone(pre);
        w.sender = _addressProof(m, from);
        (bool found, uint256 s) = _indexOf(m, from);
        if (!found || !_debitSender(m, w, t, s, fee)) return (w, m, false);
        bool ok = t.kind == L2TxLib.KIND_ETH_TRANSFER || t.kind == L2TxLib.KIND_TOKEN_TRANSFER
            ? _creditRecipient(m, w, t)
            : _appendWithdrawal(m, w, t, from, l1Token);
        if (!ok) return (w, m, false);
        if (fee != 0) {
            w.tx.vault = _accountWitness(m, 0);
            w.tx.vaultEth = _balanceWitness(m, 0, 0);
            m.accts[0].bal[0] += fee;
        }
        applied = true;
    }

    function _tokenOf(L2TxLib.Tx memory t) internal pure returns (uint256) {
        bool tokenOp = t.kind == L2TxLib.KIND_TOKEN_TRANSFER || t.kind == L2TxLib.KIND_WITHDRAW_TOKEN;
        return tokenOp ? t.tokenIndex : 0;
    }

    function _debitSender(
        Model memory m,
        StepVerifier.StepWitness memory w,
        L2TxLib.Tx memory t,
        uint256 s,
        uint256 fee
    ) internal pure returns (bool) {
        w.tx.sender = _accountWitness(m, s);
        w.tx.senderEth = _balanceWitness(m, s, 0);
        bool tokenOp = t.kind == L2TxLib.KIND_TOKEN_TRANSFER || t.kind == L2TxLib.KIND_WITHDRAW_TOKEN;
        uint256 token = _tokenOf(t);
        uint256 ethNeeded = fee + (tokenOp ? 0 : t.amount);
        if (t.nonce != m.accts[s].nonce || m.accts[s].bal[0] < ethNeeded) return false;
        if (tokenOp && (token == 0 || token > m.tokenCount)) return false;
        m.accts[s].bal[0] -= ethNeeded;
        if (tokenOp) {
            w.tx.senderToken = _balanceWitness(m, s, token);
            if (m.accts[s].bal[token] < t.amount) return false;
            m.accts[s].bal[token] -= t.amount;
        }
        m.accts[s].nonce++;
        return true;
    }

    function _creditRecipient(Model memory m, StepVerifier.StepWitness memory w, L2TxLib.Tx memory t)
        internal
        pure
        returns (bool)
    {
        uint256 token = _tokenOf(t);
        w.recipient = _addressProof(m, t.to);
        (bool known, uint256 r) = _indexOf(m, t.to);
        w.tx.recipient = _accountWitness(m, r);
        w.tx.recipientBalance = _balanceWitness(m, r, token);
        unchecked {
            if (m.accts[r].bal[token] + t.amount < t.amount) return false;
        }
        if (!known) {
            m.accts[r].owner = t.to;
            m.count++;
        }
        m.accts[r].bal[token] += t.amount;
        return true;
    }

    function _appendWithdrawal(
        Model memory m,
        StepVerifier.StepWitness memory w,
        L2TxLib.Tx memory t,
        address from,
        address l1Token
    ) internal pure returns (bool) {
        (uint256[] memory wi, bytes32[] memory wl) = _withdrawalsTree(m);
        w.tx.withdrawalSiblings = MerkleTree.proof32(m.withdrawalCount, wi, wl);
        address token = _tokenOf(t) == 0 ? address(0) : l1Token;
        m.withdrawals[m.withdrawalCount] = keccak256(abi.encode(m.withdrawalCount, from, t.to, token, t.amount));
        m.withdrawalCount++;
        return true;
    }

    // ------------------------------------------------------------------ rows

    /// @dev Canonical packed (exponent, mantissa) of a packable amount.
    function _pack(uint256 v) internal pure returns (uint8 e, uint64 mantissa) {
        if (v == 0) return (0, 0);
        while (v % 10 == 0) {
            v /= 10;
            e++;
        }
        require(v < 1 << 64, "not packable");
        // forge-lint: disable-next-line(unsafe-typecast)
        mantissa = uint64(v);
    }

    function _packed(uint256 v) internal pure returns (bytes memory) {
        (uint8 e, uint64 mantissa) = _pack(v);
        return abi.encodePacked(e, mantissa);
    }

    function _txRow(L2TxLib.Tx memory t) internal pure returns (bytes memory) {
        uint8 flags = t.kind | (t.feeType == L2TxLib.FEE_EIP1559 ? 4 : 0) | (t.yParity << 3);
        bytes memory head = abi.encodePacked(uint8(0), flags, t.tokenIndex, uint32(t.gasLimit));
        bytes memory fees = abi.encodePacked(_packed(t.maxFeePerGas), _packed(t.maxPriorityFeePerGas));
        bytes memory tail =
            abi.encodePacked(_packed(t.amount), uint40(t.nonce), t.to, bytes32(t.r), bytes32(t.s), uint8(0));
        return bytes.concat(head, fees, tail);
    }

    function _depositRow() internal pure returns (bytes memory row) {
        row = new bytes(124);
        row[0] = 0x01;
    }

    function _blockEndRow(uint64 timestamp) internal pure returns (bytes memory row) {
        row = bytes.concat(abi.encodePacked(uint8(2), timestamp), new bytes(115));
    }
}

/// @notice StepVerifier against hand-built states: every row type, every no-op rule, every wrong-witness error, and
///         the gas of the worst case per row type.
contract StepVerifierTest is StepModel {
    VmSigner internal constant signer = VmSigner(address(uint160(uint256(keccak256("hevm cheat code")))));

    uint256 internal constant CHAIN_ID = 901;
    uint256 internal constant BASE_FEE = 1 gwei;
    uint256 internal constant ALICE_KEY = 0xA11CE;
    uint256 internal constant BOB_KEY = 0xB0B;
    uint256 internal constant DAVE_KEY = 0xDA7E;
    address internal constant TOKEN1_L1 = address(0x7001);
    address internal constant TOKEN2_L1 = address(0x7002);

    StepVerifierHarness internal harness;
    MockStepPortal internal portal;
    address internal alice;
    address internal bob;
    address internal carol;
    address internal dave;
    StepVerifier.Deposit[] internal queue;

    function setUp() public {
        harness = new StepVerifierHarness();
        portal = new MockStepPortal();
        alice = vm.addr(ALICE_KEY);
        bob = vm.addr(BOB_KEY);
        carol = vm.addr(0xCA201);
        dave = vm.addr(DAVE_KEY);
        portal.registerToken(TOKEN1_L1);
        portal.registerToken(TOKEN2_L1);
        _enqueue(address(0xD1), alice, 0, 10 ether); // #0 new account
        _enqueue(address(0xD1), alice, 1, 1000 ether); // #1 first token-1 deposit: tokenCount 1
        _enqueue(address(0xD2), bob, 0, 5 ether); // #2 new account
        _enqueue(address(0xD1), alice, 0, 1 ether); // #3 existing account
        _enqueue(address(0xD3), carol, 2, 0); // #4 zero amount, new account, tokenCount 2
        _enqueue(address(0xD2), bob, 1, type(uint256).max - 5); // #5 huge token balance
        _enqueue(address(0xD2), bob, 1, 6); // #6 would overflow: consumed without crediting
        _enqueue(address(0xD2), bob, 2, 77); // #7
    }

    function _enqueue(address from, address to, uint16 tokenIndex, uint256 amount) internal {
        portal.enqueue(from, to, tokenIndex, amount);
        queue.push(StepVerifier.Deposit({from: from, to: to, tokenIndex: tokenIndex, amount: amount}));
    }

    function _ctx() internal view returns (StepVerifier.StepContext memory) {
        return StepVerifier.StepContext({
            chainId: CHAIN_ID,
            baseFee: BASE_FEE,
            batchDepositCountAfter: uint64(queue.length),
            portal: IPortal(address(portal))
        });
    }

    function _step(Model memory pre, bytes memory row, bytes memory witness)
        internal
        view
        returns (StateCommitment.StateHeader memory)
    {
        return harness.executeRow(_header(pre), row, _ctx(), witness);
    }

    function _assertHeader(StateCommitment.StateHeader memory got, StateCommitment.StateHeader memory want)
        internal
        pure
    {
        assertEq(got.accountsRoot, want.accountsRoot, "accountsRoot");
        assertEq(got.withdrawalsRoot, want.withdrawalsRoot, "withdrawalsRoot");
        assertEq(got.addressesRoot, want.addressesRoot, "addressesRoot");
        assertEq(got.accountCount, want.accountCount, "accountCount");
        assertEq(got.withdrawalCount, want.withdrawalCount, "withdrawalCount");
        assertEq(got.depositCount, want.depositCount, "depositCount");
        assertEq(got.blockNumber, want.blockNumber, "blockNumber");
        assertEq(got.tokenCount, want.tokenCount, "tokenCount");
        assertEq(StateCommitment.commitment(got), StateCommitment.commitment(want), "commitment");
    }

    /// @dev Applies deposits [m.depositCount, upTo) through executeRow, checking each against the model.
    function _deposits(Model memory m, uint256 upTo) internal view returns (Model memory) {
        while (m.depositCount < upTo) {
            (StepVerifier.StepWitness memory w, Model memory next) = _depositWitness(m, queue[m.depositCount]);
            _assertHeader(_step(m, _depositRow(), abi.encode(w)), _header(next));
            m = next;
        }
        return m;
    }

    /// @dev Alice and bob funded (ETH and token 1), carol known with nothing, tokenCount 2.
    function _funded() internal view returns (Model memory) {
        return _deposits(_genesis(), queue.length);
    }

    function _sign(L2TxLib.Tx memory t, uint256 key) internal pure {
        (uint8 v, bytes32 r, bytes32 s) = signer.sign(key, L2TxLib.signingHash(t, CHAIN_ID));
        t.r = uint256(r);
        t.s = uint256(s);
        t.yParity = v - 27;
        if (t.s > L2TxLib.SECP256K1_HALF_N) {
            t.s = L2TxLib.SECP256K1_N - t.s;
            t.yParity ^= 1;
        }
    }

    /// @dev A signed transaction: EIP-1559 (maxFee 3 gwei, tip 1 gwei: 2 gwei paid) or legacy (2 gwei).
    function _tx(uint8 kind, uint8 tokenIndex, address to, uint256 amount, uint64 nonce, bool eip1559, uint256 key)
        internal
        pure
        returns (L2TxLib.Tx memory t)
    {
        t.nonce = nonce;
        t.gasLimit = 100_000;
        t.feeType = eip1559 ? L2TxLib.FEE_EIP1559 : L2TxLib.FEE_LEGACY;
        t.maxFeePerGas = eip1559 ? 3 gwei : 2 gwei;
        t.maxPriorityFeePerGas = eip1559 ? 1 gwei : 0;
        t.kind = kind;
        t.tokenIndex = tokenIndex;
        t.to = to;
        t.amount = amount;
        _sign(t, key);
    }

    function _fee(L2TxLib.Tx memory t) internal pure returns (uint256) {
        return TxExecutor.gasOf(t.kind) * 2 gwei;
    }

    /// @dev Runs `t` from `pre` and checks the result against the model (applied) or `pre` (skipped).
    function _runTx(Model memory pre, L2TxLib.Tx memory t, address from, bool expectApplied)
        internal
        view
        returns (Model memory post, StepVerifier.StepWitness memory w)
    {
        address l1Token = t.tokenIndex == 1 ? TOKEN1_L1 : t.tokenIndex == 2 ? TOKEN2_L1 : address(0);
        bool applied;
        (w, post, applied) = _txWitness(pre, t, from, _fee(t), l1Token);
        assertEq(applied, expectApplied, "model: applied");
        if (!applied) post = pre;
        _assertHeader(_step(pre, _txRow(t), abi.encode(w)), _header(post));
    }

    // ============================================================================== deposit rows

    function test_depositRows_newExistingZeroOverflowAndTokenCount() public view {
        Model memory m = _genesis();
        StateCommitment.StateHeader memory h0 = _header(m);
        m = _deposits(m, 2);
        assertEq(m.count, 2, "alice created once");
        assertEq(m.tokenCount, 1, "token 1 seen");
        m = _deposits(m, 5);
        assertEq(m.count, 4, "bob, carol (zero amount) created");
        assertEq(m.tokenCount, 2, "token 2 seen through a zero deposit");
        assertEq(m.accts[1].bal[0], 11 ether, "alice credited twice");
        m = _deposits(m, 7);
        assertEq(m.accts[2].bal[1], type(uint256).max - 5, "bob's overflowing deposit consumed uncredited");
        assertEq(m.depositCount, 7);
        assertTrue(StateCommitment.commitment(_header(m)) != StateCommitment.commitment(h0));
    }

    function test_depositRow_pastBatchDepositCountIsNoOp() public view {
        Model memory m = _deposits(_genesis(), 3);
        StepVerifier.StepContext memory ctx = _ctx();
        ctx.batchDepositCountAfter = 3;
        StateCommitment.StateHeader memory pre = _header(m);
        // No witness needed: nothing is read.
        _assertHeader(harness.executeRow(pre, _depositRow(), ctx, ""), pre);
        ctx.batchDepositCountAfter = 2;
        _assertHeader(harness.executeRow(pre, _depositRow(), ctx, ""), pre);
    }

    function test_depositRow_nonZeroPaddingIsNoOp() public view {
        Model memory m = _genesis();
        StateCommitment.StateHeader memory pre = _header(m);
        uint256[6] memory positions = [uint256(1), 2, 31, 32, 100, 123];
        for (uint256 k = 0; k < positions.length; k++) {
            bytes memory row = _depositRow();
            row[positions[k]] = 0x01;
            _assertHeader(harness.executeRow(pre, row, _ctx(), ""), pre);
        }
    }

    /// @dev The real Portal: deposit hashes (`depositHashAt`) and the token registry (`tokenAt`) as StepVerifier
    ///      reads them, through deposits of ETH and of a freshly registered ERC-20, then a token withdrawal.
    function test_realPortal_depositsAndTokenWithdrawal() public {
        Portal real = new Portal();
        address depositor = address(0xDE90);
        address[] memory holders = new address[](1);
        holders[0] = depositor;
        DevToken token = new DevToken("Dev Token", "DEV", 18, holders, 1_000 ether);
        vm.deal(depositor, 10 ether);
        vm.startPrank(depositor);
        real.depositETH{value: 2 ether}(alice);
        token.approve(address(real), 100 ether);
        real.depositERC20{value: real.tokenRegistrationFee(address(token))}(address(token), alice, 100 ether);
        vm.stopPrank();

        StepVerifier.StepContext memory ctx = _ctx();
        ctx.portal = IPortal(address(real));
        ctx.batchDepositCountAfter = 2;
        Model memory m = _genesis();
        StepVerifier.Deposit[2] memory ds = [
            StepVerifier.Deposit({from: depositor, to: alice, tokenIndex: 0, amount: 2 ether}),
            StepVerifier.Deposit({from: depositor, to: alice, tokenIndex: 1, amount: 100 ether})
        ];
        for (uint256 i = 0; i < 2; i++) {
            (StepVerifier.StepWitness memory dw, Model memory next) = _depositWitness(m, ds[i]);
            _assertHeader(harness.executeRow(_header(m), _depositRow(), ctx, abi.encode(dw)), _header(next));
            m = next;
        }
        // A deposit the portal does not hold (wrong amount) is refused.
        (StepVerifier.StepWitness memory bad,) = _depositWitness(_genesis(), ds[0]);
        bad.deposit.amount = 3 ether;
        vm.expectPartialRevert(StepVerifier.DepositMismatch.selector);
        harness.executeRow(_header(_genesis()), _depositRow(), ctx, abi.encode(bad));

        L2TxLib.Tx memory t = _tx(3, 1, address(0xE1), 40 ether, 0, true, ALICE_KEY);
        (StepVerifier.StepWitness memory w, Model memory post, bool applied) =
            _txWitness(m, t, alice, _fee(t), address(token));
        assertTrue(applied);
        _assertHeader(harness.executeRow(_header(m), _txRow(t), ctx, abi.encode(w)), _header(post));
        // The leaf names the registered L1 token: with another token it would be another root.
        (, Model memory other,) = _txWitness(m, t, alice, _fee(t), address(0xBAD));
        assertTrue(_header(other).withdrawalsRoot != _header(post).withdrawalsRoot);
    }

    // ============================================================================== block end and other rows

    function test_blockEndRow() public view {
        Model memory m = _genesis();
        Model memory next = _clone(m);
        next.blockNumber = 1;
        _assertHeader(_step(m, _blockEndRow(1_700_000_000), ""), _header(next));
        _assertHeader(_step(m, _blockEndRow(type(uint64).max), ""), _header(next));
        _assertHeader(_step(m, _blockEndRow(0), ""), _header(next));
    }

    function test_blockEndRow_nonZeroPaddingIsNoOp() public view {
        Model memory m = _genesis();
        uint256[5] memory positions = [uint256(9), 10, 40, 92, 123];
        for (uint256 k = 0; k < positions.length; k++) {
            bytes memory row = _blockEndRow(5);
            row[positions[k]] = 0x80;
            _assertHeader(_step(m, row, ""), _header(m));
        }
    }

    function test_unknownRowTypesAreNoOps() public view {
        Model memory m = _genesis();
        uint8[4] memory types = [3, 4, 0x80, 0xff];
        for (uint256 k = 0; k < types.length; k++) {
            bytes memory row = _blockEndRow(5);
            row[0] = bytes1(types[k]);
            _assertHeader(_step(m, row, ""), _header(m));
        }
    }

    function test_revert_rowLength() public {
        StateCommitment.StateHeader memory pre = _header(_genesis());
        StepVerifier.StepContext memory ctx = _ctx();
        vm.expectRevert(abi.encodeWithSelector(StepVerifier.RowLength.selector, 123));
        harness.executeRow(pre, new bytes(123), ctx, "");
        vm.expectRevert(abi.encodeWithSelector(StepVerifier.RowLength.selector, 125));
        harness.executeRow(pre, new bytes(125), ctx, "");
        vm.expectRevert(abi.encodeWithSelector(StepVerifier.RowLength.selector, 0));
        harness.executeRow(pre, "", ctx, "");
    }

    // ============================================================================== tx rows: applied

    function test_txRows_everyKindApplied() public view {
        Model memory m = _funded();
        // ETH transfer, legacy, existing recipient.
        (m,) = _runTx(m, _tx(0, 0, bob, 1 ether, 0, false, ALICE_KEY), alice, true);
        // ETH transfer, EIP-1559, new recipient (dave): a new account and address leaf.
        (m,) = _runTx(m, _tx(0, 0, dave, 0.25 ether, 1, true, ALICE_KEY), alice, true);
        assertEq(m.count, 5, "dave created");
        // Token transfer to an existing account (carol).
        (m,) = _runTx(m, _tx(1, 1, carol, 5 ether, 2, true, ALICE_KEY), alice, true);
        // The new account sends: dave withdraws ETH.
        (m,) = _runTx(m, _tx(2, 0, address(0xE1), 0.1 ether, 0, true, DAVE_KEY), dave, true);
        assertEq(m.withdrawalCount, 1);
        // Token withdrawal: the withdrawal leaf names the portal's L1 token.
        (m,) = _runTx(m, _tx(3, 2, address(0xE2), 7, 0, false, BOB_KEY), bob, true);
        assertEq(m.withdrawalCount, 2);
        // Self-transfer, and a transfer to the fee vault.
        (m,) = _runTx(m, _tx(0, 0, alice, 2 ether, 3, true, ALICE_KEY), alice, true);
        (m,) = _runTx(m, _tx(1, 1, FEE_VAULT, 1, 4, true, ALICE_KEY), alice, true);
        assertEq(m.count, 5, "no account created by a self or vault transfer");
    }

    function test_txRow_tokenTransferToNewAccount() public view {
        Model memory m = _funded();
        (m,) = _runTx(m, _tx(1, 1, dave, 123 * 10 ** 17, 0, true, ALICE_KEY), alice, true);
        assertEq(m.count, 5);
        assertEq(m.accts[4].owner, dave);
        assertEq(m.accts[4].bal[1], 123 * 10 ** 17);
    }

    function test_txRow_zeroFeeChain() public view {
        // baseFee 0 and a zero gas price: no vault witness needed (it stays zero).
        Model memory m = _funded();
        L2TxLib.Tx memory t = _tx(0, 0, bob, 1, 0, false, ALICE_KEY);
        t.maxFeePerGas = 0;
        _sign(t, ALICE_KEY);
        (StepVerifier.StepWitness memory w, Model memory post, bool applied) = _txWitness(m, t, alice, 0, address(0));
        assertTrue(applied);
        StepVerifier.StepContext memory ctx = _ctx();
        ctx.baseFee = 0;
        _assertHeader(harness.executeRow(_header(m), _txRow(t), ctx, abi.encode(w)), _header(post));
    }

    // ============================================================================== tx rows: skipped (no-op)

    function test_txRows_skippedAreNoOps() public view {
        Model memory m = _funded();
        // Nonce too high / too low.
        _runTx(m, _tx(0, 0, bob, 1 ether, 1, true, ALICE_KEY), alice, false);
        // Unknown token (token 3 never deposited).
        _runTx(m, _tx(1, 3, bob, 1, 0, true, ALICE_KEY), alice, false);
        // Insufficient ETH, insufficient token balance.
        _runTx(m, _tx(0, 0, bob, 100 ether, 0, true, ALICE_KEY), alice, false);
        _runTx(m, _tx(1, 1, bob, 1001 ether, 0, true, ALICE_KEY), alice, false);
        // Carol has an account but no ETH for the fee.
        _runTx(m, _tx(0, 0, bob, 0, 0, true, 0xCA201), carol, false);
        // Bob's token-1 balance is near 2^256: a transfer to him overflows (BALANCE_OVERFLOW).
        _runTx(m, _tx(1, 1, bob, 10, 0, true, ALICE_KEY), alice, false);
    }

    function test_txRow_checkOrderGasLimitAndFeeCap() public view {
        Model memory m = _funded();
        L2TxLib.Tx memory t = _tx(0, 0, bob, 1, 0, true, ALICE_KEY);
        t.gasLimit = 20_999;
        _sign(t, ALICE_KEY);
        _runTxSkipped(m, t, alice);
        t = _tx(0, 0, bob, 1, 0, true, ALICE_KEY);
        t.maxFeePerGas = BASE_FEE - 1;
        t.maxPriorityFeePerGas = 0;
        _sign(t, ALICE_KEY);
        _runTxSkipped(m, t, alice);
    }

    function _runTxSkipped(Model memory m, L2TxLib.Tx memory t, address from) internal view {
        (StepVerifier.StepWitness memory w,,) = _txWitness(m, t, from, 0, address(0));
        _assertHeader(_step(m, _txRow(t), abi.encode(w)), _header(m));
    }

    function test_txRow_unknownSenderIsNoOp() public view {
        Model memory m = _funded();
        L2TxLib.Tx memory t = _tx(0, 0, bob, 0, 0, true, 0x5EED);
        (StepVerifier.StepWitness memory w,, bool applied) = _txWitness(m, t, vm.addr(0x5EED), 0, address(0));
        assertFalse(applied);
        assertEq(w.sender.leaf, 0, "non-membership proof");
        _assertHeader(_step(m, _txRow(t), abi.encode(w)), _header(m));
    }

    function test_txRow_invalidSignatureIsNoOpWithoutWitness() public view {
        Model memory m = _funded();
        L2TxLib.Tx memory t = _tx(0, 0, bob, 1, 0, true, ALICE_KEY);
        t.s = L2TxLib.SECP256K1_N - t.s; // high s
        t.yParity ^= 1;
        _assertHeader(_step(m, _txRow(t), ""), _header(m));
        t = _tx(0, 0, bob, 1, 0, true, ALICE_KEY);
        t.r = 0;
        _assertHeader(_step(m, _txRow(t), ""), _header(m));
    }

    function test_txRow_fullTreesAreSkipped() public view {
        Model memory m = _funded();
        // Withdrawals tree full: the header says 2^32 withdrawals.
        L2TxLib.Tx memory t = _tx(2, 0, address(0xE1), 1, 0, true, ALICE_KEY);
        (StepVerifier.StepWitness memory w,,) = _txWitness(m, t, alice, _fee(t), address(0));
        StateCommitment.StateHeader memory pre = _header(m);
        pre.withdrawalCount = 1 << 32;
        _assertHeader(harness.executeRow(pre, _txRow(t), _ctx(), abi.encode(w)), pre);
        // Accounts tree full: a transfer to a new address (the header says 2^32 accounts).
        t = _tx(0, 0, dave, 1, 0, true, ALICE_KEY);
        (w,,) = _txWitness(m, t, alice, _fee(t), address(0));
        pre = _header(m);
        pre.accountCount = 1 << 32;
        w.tx.recipient.index = 1 << 32;
        _assertHeader(harness.executeRow(pre, _txRow(t), _ctx(), abi.encode(w)), pre);
    }

    // ============================================================================== tx rows: malformed (no-op)

    function _aliceToBob() internal pure returns (L2TxLib.Tx memory) {
        return _tx(0, 0, address(0xB0B0), 1 ether, 0, true, ALICE_KEY);
    }

    function _assertMalformed(bytes memory row) internal view {
        (bool ok,) = StepVerifier.decodeTxRow(row);
        assertFalse(ok, "decodes as malformed");
        StateCommitment.StateHeader memory pre = _header(_genesis());
        _assertHeader(harness.executeRow(pre, row, _ctx(), ""), pre);
    }

    function test_txRow_malformedFlagsAndPadding() public view {
        bytes memory good = _txRow(_aliceToBob());
        (bool ok,) = StepVerifier.decodeTxRow(good);
        assertTrue(ok, "the unmodified row decodes");
        bytes1[4] memory highBits = [bytes1(0x10), 0x20, 0x40, 0x80];
        for (uint256 k = 0; k < 4; k++) {
            bytes memory row = bytes.concat(good);
            row[1] = row[1] | highBits[k];
            _assertMalformed(row);
        }
        bytes memory last = bytes.concat(good);
        last[123] = 0x01;
        _assertMalformed(last);
    }

    function test_txRow_malformedTokenIndex() public view {
        L2TxLib.Tx memory t = _aliceToBob();
        t.tokenIndex = 1; // ETH kind with a token
        _assertMalformed(_txRow(t));
        t.kind = 2;
        _assertMalformed(_txRow(t));
        t.tokenIndex = 0; // token kinds with token 0
        t.kind = 1;
        _assertMalformed(_txRow(t));
        t.kind = 3;
        _assertMalformed(_txRow(t));
    }

    /// @dev Writes the packed field at `offset` (7 fee0, 16 fee1, 25 amount) raw.
    function _withPacked(bytes memory row, uint256 offset, uint8 e, uint64 mantissa)
        internal
        pure
        returns (bytes memory out)
    {
        out = bytes.concat(row);
        bytes memory field = abi.encodePacked(e, mantissa);
        for (uint256 i = 0; i < 9; i++) {
            out[offset + i] = field[i];
        }
    }

    function test_txRow_nonCanonicalPackedFields() public view {
        bytes memory good = _txRow(_aliceToBob());
        uint256[3] memory offsets = [uint256(7), 16, 25];
        for (uint256 k = 0; k < 3; k++) {
            uint256 o = offsets[k];
            _assertMalformed(_withPacked(good, o, 1, 10)); // trailing zero in the mantissa
            _assertMalformed(_withPacked(good, o, 78, 1)); // exponent > 77
            _assertMalformed(_withPacked(good, o, 255, 7));
            _assertMalformed(_withPacked(good, o, 3, 0)); // zero with an exponent
            _assertMalformed(_withPacked(good, o, 77, 12)); // 12e77 > 2^256
            _assertMalformed(_withPacked(good, o, 59, type(uint64).max)); // ~1.8e78
        }
        // Legacy rows must have an all-zero fee1, even a canonical one.
        L2TxLib.Tx memory t = _tx(0, 0, bob, 1, 0, false, ALICE_KEY);
        bytes memory legacy = _txRow(t);
        (bool ok,) = StepVerifier.decodeTxRow(legacy);
        assertTrue(ok);
        _assertMalformed(_withPacked(legacy, 16, 0, 1));
        _assertMalformed(_withPacked(legacy, 16, 9, 1));
        _assertMalformed(_withPacked(legacy, 16, 1, 0)); // non-canonical zero too
    }

    function test_unpackAmount() public pure {
        (bool ok, uint256 v) = StepVerifier.unpackAmount(0, 0);
        assertTrue(ok);
        assertEq(v, 0);
        (ok, v) = StepVerifier.unpackAmount(18, 15);
        assertTrue(ok);
        assertEq(v, 15 ether);
        (ok, v) = StepVerifier.unpackAmount(76, 11); // 1.1e77 < 2^256 - 1 ≈ 1.158e77
        assertTrue(ok);
        assertEq(v, 11 * 10 ** 76);
        (ok,) = StepVerifier.unpackAmount(76, 12);
        assertFalse(ok);
        (ok, v) = StepVerifier.unpackAmount(77, 1);
        assertTrue(ok);
        assertEq(v, 10 ** 77);
        (ok,) = StepVerifier.unpackAmount(77, 3);
        assertFalse(ok);
        (ok, v) = StepVerifier.unpackAmount(0, type(uint64).max);
        assertTrue(ok);
        assertEq(v, type(uint64).max);
        (ok,) = StepVerifier.unpackAmount(0, 10);
        assertFalse(ok);
    }

    function testFuzz_unpackAmountRoundTrip(uint256 value) public pure {
        value = bound(value, 0, type(uint128).max);
        if (!TxExecutor.isPackable(value)) return;
        (uint8 e, uint64 mantissa) = _pack(value);
        (bool ok, uint256 back) = StepVerifier.unpackAmount(e, mantissa);
        assertTrue(ok);
        assertEq(back, value);
        // Every other encoding of the same value is rejected.
        if (mantissa != 0 && e > 0 && uint256(mantissa) * 10 < 1 << 64) {
            (ok,) = StepVerifier.unpackAmount(e - 1, mantissa * 10);
            assertFalse(ok, "non-canonical twin");
        }
    }

    function testFuzz_decodeTxRowRoundTrip(
        uint8 kind,
        uint8 tokenIndex,
        uint32 gasLimit,
        uint64 fee0,
        uint64 fee1,
        uint64 amount,
        uint40 nonce,
        address to,
        bool eip1559,
        bytes32 r,
        bytes32 s,
        bool yParity
    ) public pure {
        L2TxLib.Tx memory t;
        t.kind = kind % 4;
        bool tokenKind = t.kind == 1 || t.kind == 3;
        t.tokenIndex = tokenKind ? uint8(bound(tokenIndex, 1, 255)) : 0;
        t.gasLimit = gasLimit;
        t.feeType = eip1559 ? L2TxLib.FEE_EIP1559 : L2TxLib.FEE_LEGACY;
        t.maxFeePerGas = uint256(fee0) * 10 ** 9;
        t.maxPriorityFeePerGas = eip1559 ? fee1 : 0;
        t.amount = uint256(amount) * 10 ** 50;
        t.nonce = nonce;
        t.to = to;
        t.r = uint256(r);
        t.s = uint256(s);
        t.yParity = yParity ? 1 : 0;
        (bool ok, L2TxLib.Tx memory d) = StepVerifier.decodeTxRow(_txRow(t));
        assertTrue(ok, "decodes");
        assertEq(keccak256(abi.encode(d)), keccak256(abi.encode(t)), "round trip");
    }

    // ============================================================================== differential fuzz

    /// @notice Random transactions (every kind, senders with and without funds, recipients existing, new, self
    ///         or the fee vault, zero to overdrawn amounts, both fee types) on the funded state: StepVerifier
    ///         agrees with the model (applied: its post-state; skipped: the pre-state).
    /// forge-config: default.fuzz.runs = 32
    function testFuzz_randomTxMatchesModel(uint256 seed, bool eip1559) public view {
        uint256 key = [ALICE_KEY, BOB_KEY, uint256(0xCA201)][seed % 3];
        L2TxLib.Tx memory t = _tx(_kindFor(seed), _tokenFor(seed), _targetFor(seed), _amountFor(seed), 0, eip1559, key);
        Model memory m = _funded();
        address l1Token = t.tokenIndex == 1 ? TOKEN1_L1 : t.tokenIndex == 2 ? TOKEN2_L1 : address(0);
        (StepVerifier.StepWitness memory w, Model memory post, bool applied) =
            _txWitness(m, t, vm.addr(key), _fee(t), l1Token);
        _assertHeader(_step(m, _txRow(t), abi.encode(w)), _header(applied ? post : m));
    }

    function _kindFor(uint256 seed) internal pure returns (uint8) {
        return uint8((seed >> 8) % 4);
    }

    /// @dev Token 3 is registered on L1 but never deposited (UNKNOWN_TOKEN).
    function _tokenFor(uint256 seed) internal pure returns (uint8) {
        uint8 kind = _kindFor(seed);
        return kind == 1 || kind == 3 ? uint8(1 + (seed >> 16) % 3) : 0;
    }

    function _targetFor(uint256 seed) internal view returns (address) {
        return [alice, bob, carol, dave, FEE_VAULT, address(uint160(0xF00D + (seed >> 64)))][(seed >> 24) % 6];
    }

    function _amountFor(uint256 seed) internal pure returns (uint256) {
        return [uint256(0), 1, 7 ether, 1000 ether, 2 ** 63, 10 ** 77][(seed >> 32) % 6];
    }

    // ============================================================================== witness decoding

    /// @dev A pseudo-random encoded StepWitness: every word random, the narrow fields masked to their types.
    function _randomWitness(uint256 seed) internal pure returns (bytes memory encoded) {
        encoded = new bytes(StepVerifier.WITNESS_LENGTH);
        for (uint256 k = 0; k < 504; k++) {
            uint256 v = uint256(keccak256(abi.encode(seed, k)));
            if (k == 3 || k == 57 || k == 102 || k == 500 || k == 501) v &= type(uint160).max;
            if (k == 4 || k == 58 || k == 103) v &= type(uint64).max;
            if (k == 502) v &= type(uint16).max;
            assembly ("memory-safe") {
                mstore(add(add(encoded, 0x20), shl(5, k)), v)
            }
        }
    }

    function testFuzz_decodeWitnessEqualsAbiDecode(uint256 seed) public view {
        bytes memory encoded = _randomWitness(seed);
        StepVerifier.StepWitness memory fast = harness.decodeWitness(encoded);
        StepVerifier.StepWitness memory reference_ = abi.decode(encoded, (StepVerifier.StepWitness));
        assertEq(keccak256(abi.encode(fast)), keccak256(encoded), "re-encodes to the input");
        assertEq(keccak256(abi.encode(fast)), keccak256(abi.encode(reference_)), "same as abi.decode");
        // Spot checks of fields in every part (the encoding is field by field in declaration order).
        assertEq(fast.tx.vault.siblings[31], reference_.tx.vault.siblings[31]);
        assertEq(fast.tx.withdrawalSiblings[0], reference_.tx.withdrawalSiblings[0]);
        assertEq(fast.recipient.siblings[159], reference_.recipient.siblings[159]);
        assertEq(fast.deposit.amount, reference_.deposit.amount);
    }

    function test_decodeWitnessLocalUseAndAllocation() public pure {
        bytes memory encoded = _randomWitness(1);
        StepVerifier.StepWitness memory w = StepVerifier.decodeWitness(encoded);
        // Memory allocated afterwards must not overlap the decoded heads.
        bytes memory later = new bytes(2048);
        for (uint256 i = 0; i < later.length; i++) {
            later[i] = 0xff;
        }
        assertEq(keccak256(abi.encode(w)), keccak256(encoded), "intact after later allocations");
    }

    function abiDecodeWitness(bytes memory encoded) external pure returns (StepVerifier.StepWitness memory) {
        return abi.decode(encoded, (StepVerifier.StepWitness));
    }

    function test_revert_witnessNotCanonical() public view {
        uint16[9] memory words = [uint16(3), 57, 102, 500, 501, 4, 58, 103, 502];
        uint16[9] memory widths = [uint16(160), 160, 160, 160, 160, 64, 64, 64, 16];
        for (uint256 i = 0; i < words.length; i++) {
            bytes memory encoded = _randomWitness(i);
            uint256 k = words[i];
            uint256 bit = uint256(1) << widths[i];
            assembly ("memory-safe") {
                let p := add(add(encoded, 0x20), shl(5, k))
                mstore(p, or(mload(p), bit))
            }
            (bool ok, bytes memory ret) =
                address(harness).staticcall(abi.encodeCall(StepVerifierHarness.decodeWitness, (encoded)));
            assertFalse(ok, "reverts");
            assertEq(keccak256(ret), keccak256(abi.encodeWithSelector(StepVerifier.WitnessNotCanonical.selector)));
            // abi.decode rejects the same encoding (without data).
            (ok,) = address(this).staticcall(abi.encodeCall(this.abiDecodeWitness, (encoded)));
            assertFalse(ok, "abi.decode reverts too");
        }
    }

    // ============================================================================== wrong witnesses (tx rows)

    function _aliceTransfer(address to)
        internal
        view
        returns (Model memory m, L2TxLib.Tx memory t, StepVerifier.StepWitness memory w)
    {
        m = _funded();
        t = _tx(0, 0, to, 1 ether, 0, true, ALICE_KEY);
        bool applied;
        (w,, applied) = _txWitness(m, t, alice, _fee(t), address(0));
        assertTrue(applied, "fixture applies");
    }

    function test_revert_witnessLength() public {
        (Model memory m, L2TxLib.Tx memory t,) = _aliceTransfer(bob);
        StateCommitment.StateHeader memory pre = _header(m);
        StepVerifier.StepContext memory ctx = _ctx();
        vm.expectRevert(abi.encodeWithSelector(StepVerifier.WitnessLength.selector, 0));
        harness.executeRow(pre, _txRow(t), ctx, "");
        vm.expectRevert(abi.encodeWithSelector(StepVerifier.WitnessLength.selector, 504 * 32 - 32));
        harness.executeRow(pre, _txRow(t), ctx, new bytes(504 * 32 - 32));
        // Deposit rows that apply need it too.
        vm.expectRevert(abi.encodeWithSelector(StepVerifier.WitnessLength.selector, 64));
        harness.executeRow(_header(_genesis()), _depositRow(), ctx, new bytes(64));
    }

    function test_revert_senderAddressProof() public {
        (Model memory m, L2TxLib.Tx memory t, StepVerifier.StepWitness memory w) = _aliceTransfer(bob);
        StateCommitment.StateHeader memory pre = _header(m);
        StepVerifier.StepContext memory ctx = _ctx();
        w.sender.siblings[159] = bytes32(uint256(w.sender.siblings[159]) ^ 1);
        vm.expectRevert(
            abi.encodeWithSelector(StepVerifier.AddressProofMismatch.selector, StepVerifier.ROLE_SENDER, alice)
        );
        harness.executeRow(pre, _txRow(t), ctx, abi.encode(w));
        // Claiming the sender has no account (to get the tx skipped) does not prove.
        (,, w) = _aliceTransfer(bob);
        w.sender.leaf = 0;
        vm.expectRevert(
            abi.encodeWithSelector(StepVerifier.AddressProofMismatch.selector, StepVerifier.ROLE_SENDER, alice)
        );
        harness.executeRow(pre, _txRow(t), ctx, abi.encode(w));
    }

    function test_revert_senderIndexMismatch() public {
        (Model memory m, L2TxLib.Tx memory t, StepVerifier.StepWitness memory w) = _aliceTransfer(bob);
        w.tx.sender.index = 2;
        vm.expectRevert(abi.encodeWithSelector(StepVerifier.SenderIndexMismatch.selector, 1, 2));
        harness.executeRow(_header(m), _txRow(t), _ctx(), abi.encode(w));
    }

    function test_revert_senderAccountWitness() public {
        (Model memory m, L2TxLib.Tx memory t, StepVerifier.StepWitness memory w) = _aliceTransfer(bob);
        StateCommitment.StateHeader memory pre = _header(m);
        StepVerifier.StepContext memory ctx = _ctx();
        w.tx.sender.nonce = 7; // would make the tx skip (nonce mismatch)
        vm.expectRevert(abi.encodeWithSelector(TxExecutor.AccountWitnessMismatch.selector, TxExecutor.ROLE_SENDER));
        harness.executeRow(pre, _txRow(t), ctx, abi.encode(w));
        (,, w) = _aliceTransfer(bob);
        w.tx.sender.owner = bob;
        vm.expectRevert(abi.encodeWithSelector(TxExecutor.SenderMismatch.selector, alice, bob));
        harness.executeRow(pre, _txRow(t), ctx, abi.encode(w));
        (,, w) = _aliceTransfer(bob);
        w.tx.senderEth.amount = 0; // would make the tx skip (insufficient balance)
        vm.expectRevert(
            abi.encodeWithSelector(TxExecutor.BalanceWitnessMismatch.selector, TxExecutor.BALANCE_SENDER_ETH)
        );
        harness.executeRow(pre, _txRow(t), ctx, abi.encode(w));
    }

    function test_revert_addressLeafOutOfRange() public {
        // A header whose accountCount is below the address tree's leaves (an inconsistent pre-state).
        (Model memory m, L2TxLib.Tx memory t, StepVerifier.StepWitness memory w) = _aliceTransfer(bob);
        StateCommitment.StateHeader memory pre = _header(m);
        pre.accountCount = 1;
        vm.expectRevert(
            abi.encodeWithSelector(StepVerifier.AddressLeafOutOfRange.selector, StepVerifier.ROLE_SENDER, 2, 1)
        );
        harness.executeRow(pre, _txRow(t), _ctx(), abi.encode(w));
    }

    function test_revert_recipientAddressProof() public {
        (Model memory m, L2TxLib.Tx memory t, StepVerifier.StepWitness memory w) = _aliceTransfer(bob);
        StateCommitment.StateHeader memory pre = _header(m);
        StepVerifier.StepContext memory ctx = _ctx();
        // Bob exists: a non-membership claim does not prove.
        w.recipient.leaf = 0;
        vm.expectRevert(
            abi.encodeWithSelector(StepVerifier.AddressProofMismatch.selector, StepVerifier.ROLE_RECIPIENT, bob)
        );
        harness.executeRow(pre, _txRow(t), ctx, abi.encode(w));
        // Dave is new: a membership claim does not prove either.
        (m, t, w) = _aliceTransfer(dave);
        w.recipient.leaf = 3;
        vm.expectRevert(
            abi.encodeWithSelector(StepVerifier.AddressProofMismatch.selector, StepVerifier.ROLE_RECIPIENT, dave)
        );
        harness.executeRow(pre, _txRow(t), ctx, abi.encode(w));
    }

    function test_revert_recipientIndexMismatch() public {
        // Bob (index 2, address leaf 3) exists, but the account witnesses treat him as a new account at
        // accountCount (an empty slot that does prove against R1): TxExecutor alone would accept it.
        (Model memory m, L2TxLib.Tx memory t, StepVerifier.StepWitness memory w) = _aliceTransfer(bob);
        w.tx.recipient = _emptySlotAfterSender(m, t);
        w.tx.recipientBalance.amount = 0;
        w.tx.recipientBalance.siblings = _emptyBalanceSiblings();
        w.tx.vault = _vaultAfterNewAccount(m, t);
        w.tx.vaultEth = _balanceWitness(m, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(StepVerifier.RecipientIndexMismatch.selector, 3, m.count, m.count));
        harness.executeRow(_header(m), _txRow(t), _ctx(), abi.encode(w));
    }

    /// @dev The model after alice's transfer `t` debited her (R1), as TxExecutor sees it before the recipient.
    function _afterSender(Model memory m, L2TxLib.Tx memory t) internal pure returns (Model memory a) {
        a = _clone(m);
        (, uint256 s) = _indexOf(a, vm.addr(ALICE_KEY));
        a.accts[s].bal[0] -= _fee(t) + t.amount;
        a.accts[s].nonce++;
    }

    function _emptySlotAfterSender(Model memory m, L2TxLib.Tx memory t)
        internal
        pure
        returns (TxExecutor.AccountWitness memory)
    {
        Model memory a = _afterSender(m, t);
        return _accountWitness(a, a.count);
    }

    function _emptyBalanceSiblings() internal pure returns (bytes32[8] memory siblings) {
        for (uint256 l = 0; l < 8; l++) {
            siblings[l] = MerkleTree.zeroHash(l);
        }
    }

    /// @dev Vault witness against R2 of the path where `t.to` would be a new account at `count`.
    function _vaultAfterNewAccount(Model memory m, L2TxLib.Tx memory t)
        internal
        pure
        returns (TxExecutor.AccountWitness memory)
    {
        Model memory a = _afterSender(m, t);
        a.accts[a.count].owner = t.to;
        a.accts[a.count].bal[0] = t.amount;
        a.count++;
        return _accountWitness(a, 0);
    }

    function test_revert_recipientAccountWitness() public {
        (Model memory m, L2TxLib.Tx memory t, StepVerifier.StepWitness memory w) = _aliceTransfer(bob);
        StateCommitment.StateHeader memory pre = _header(m);
        StepVerifier.StepContext memory ctx = _ctx();
        w.tx.recipient.owner = carol;
        vm.expectRevert(abi.encodeWithSelector(TxExecutor.RecipientMismatch.selector, bob, carol));
        harness.executeRow(pre, _txRow(t), ctx, abi.encode(w));
        (,, w) = _aliceTransfer(bob);
        w.tx.recipientBalance.amount = type(uint256).max; // would make the tx skip (balance overflow)
        vm.expectRevert(
            abi.encodeWithSelector(TxExecutor.BalanceWitnessMismatch.selector, TxExecutor.BALANCE_RECIPIENT)
        );
        harness.executeRow(pre, _txRow(t), ctx, abi.encode(w));
        (,, w) = _aliceTransfer(bob);
        w.tx.vault.siblings[3] = 0;
        vm.expectRevert(abi.encodeWithSelector(TxExecutor.AccountWitnessMismatch.selector, TxExecutor.ROLE_VAULT));
        harness.executeRow(pre, _txRow(t), ctx, abi.encode(w));
    }

    function test_revert_withdrawalWitness() public {
        Model memory m = _funded();
        L2TxLib.Tx memory t = _tx(3, 1, address(0xE1), 1 ether, 0, true, ALICE_KEY);
        (StepVerifier.StepWitness memory w,, bool applied) = _txWitness(m, t, alice, _fee(t), TOKEN1_L1);
        assertTrue(applied);
        w.tx.withdrawalSiblings[0] = bytes32(uint256(1));
        vm.expectRevert(abi.encodeWithSelector(TxExecutor.WithdrawalWitnessMismatch.selector, 0));
        harness.executeRow(_header(m), _txRow(t), _ctx(), abi.encode(w));
    }

    // ============================================================================== wrong witnesses (deposit rows)

    function _nextDeposit(Model memory m) internal view returns (StepVerifier.StepWitness memory w) {
        (w,) = _depositWitness(m, queue[m.depositCount]);
    }

    function test_revert_depositMismatch() public {
        Model memory m = _deposits(_genesis(), 3); // next: #3, alice ETH 1 ether (existing)
        StateCommitment.StateHeader memory pre = _header(m);
        StepVerifier.StepContext memory ctx = _ctx();
        StepVerifier.StepWitness memory w = _nextDeposit(m);
        bytes32 expected = portal.depositHashAt(3);
        w.deposit.amount += 1;
        bytes32 witnessed = keccak256(
            abi.encode(
                portal.depositHashAt(2),
                uint256(3),
                w.deposit.from,
                w.deposit.to,
                w.deposit.tokenIndex,
                w.deposit.amount
            )
        );
        vm.expectRevert(abi.encodeWithSelector(StepVerifier.DepositMismatch.selector, 3, expected, witnessed));
        harness.executeRow(pre, _depositRow(), ctx, abi.encode(w));
        // Another deposit of the queue (#2) is not deposit #3.
        w = _nextDeposit(m);
        w.deposit = queue[2];
        vm.expectPartialRevert(StepVerifier.DepositMismatch.selector);
        harness.executeRow(pre, _depositRow(), ctx, abi.encode(w));
        // The first deposit chains on zero.
        m = _genesis();
        w = _nextDeposit(m);
        w.deposit.from = address(0xBAD);
        vm.expectPartialRevert(StepVerifier.DepositMismatch.selector);
        harness.executeRow(_header(m), _depositRow(), ctx, abi.encode(w));
    }

    function test_revert_depositRecipientWitnesses() public {
        Model memory m = _deposits(_genesis(), 3); // next: #3 to alice (existing, index 1)
        StateCommitment.StateHeader memory pre = _header(m);
        StepVerifier.StepContext memory ctx = _ctx();
        StepVerifier.StepWitness memory w = _nextDeposit(m);
        w.recipient.leaf = 0;
        vm.expectRevert(
            abi.encodeWithSelector(StepVerifier.AddressProofMismatch.selector, StepVerifier.ROLE_RECIPIENT, alice)
        );
        harness.executeRow(pre, _depositRow(), ctx, abi.encode(w));
        w = _nextDeposit(m);
        w.tx.recipient.index = 2;
        vm.expectRevert(abi.encodeWithSelector(StepVerifier.RecipientIndexMismatch.selector, 2, 2, 3));
        harness.executeRow(pre, _depositRow(), ctx, abi.encode(w));
        w = _nextDeposit(m);
        w.tx.recipient.owner = bob;
        vm.expectRevert(abi.encodeWithSelector(TxExecutor.RecipientMismatch.selector, alice, bob));
        harness.executeRow(pre, _depositRow(), ctx, abi.encode(w));
        w = _nextDeposit(m);
        w.tx.recipient.nonce = 1;
        vm.expectRevert(abi.encodeWithSelector(TxExecutor.AccountWitnessMismatch.selector, TxExecutor.ROLE_RECIPIENT));
        harness.executeRow(pre, _depositRow(), ctx, abi.encode(w));
        w = _nextDeposit(m);
        w.tx.recipientBalance.amount -= 1;
        vm.expectRevert(
            abi.encodeWithSelector(TxExecutor.BalanceWitnessMismatch.selector, TxExecutor.BALANCE_RECIPIENT)
        );
        harness.executeRow(pre, _depositRow(), ctx, abi.encode(w));
    }

    function test_revert_depositNewRecipientWitnesses() public {
        Model memory m = _deposits(_genesis(), 2); // next: #2 to bob (new, index 2)
        StateCommitment.StateHeader memory pre = _header(m);
        StepVerifier.StepContext memory ctx = _ctx();
        StepVerifier.StepWitness memory w = _nextDeposit(m);
        w.tx.recipient.index = 1;
        vm.expectRevert(abi.encodeWithSelector(StepVerifier.RecipientIndexMismatch.selector, 0, 1, 2));
        harness.executeRow(pre, _depositRow(), ctx, abi.encode(w));
        w = _nextDeposit(m);
        w.tx.recipient.siblings[0] = bytes32(uint256(5));
        vm.expectRevert(abi.encodeWithSelector(TxExecutor.AccountWitnessMismatch.selector, TxExecutor.ROLE_RECIPIENT));
        harness.executeRow(pre, _depositRow(), ctx, abi.encode(w));
        w = _nextDeposit(m);
        w.tx.recipientBalance.amount = 1;
        vm.expectRevert(
            abi.encodeWithSelector(TxExecutor.BalanceWitnessMismatch.selector, TxExecutor.BALANCE_RECIPIENT)
        );
        harness.executeRow(pre, _depositRow(), ctx, abi.encode(w));
        w = _nextDeposit(m);
        w.recipient.siblings[0] = bytes32(uint256(5));
        vm.expectRevert(
            abi.encodeWithSelector(StepVerifier.AddressProofMismatch.selector, StepVerifier.ROLE_RECIPIENT, bob)
        );
        harness.executeRow(pre, _depositRow(), ctx, abi.encode(w));
    }

    function test_depositNeedingAnAccountWhenFullIsNoOp() public view {
        Model memory m = _deposits(_genesis(), 2); // next: #2 to bob (new)
        StepVerifier.StepWitness memory w = _nextDeposit(m);
        StateCommitment.StateHeader memory pre = _header(m);
        pre.accountCount = 1 << 32;
        w.tx.recipient.index = 1 << 32;
        _assertHeader(harness.executeRow(pre, _depositRow(), _ctx(), abi.encode(w)), pre);
    }

    function test_revert_depositTokenOutOfRange() public {
        MockStepPortal other = new MockStepPortal();
        other.enqueue(address(1), alice, 256, 1);
        Model memory m = _genesis();
        StepVerifier.StepWitness memory w;
        w.deposit = StepVerifier.Deposit({from: address(1), to: alice, tokenIndex: 256, amount: 1});
        StepVerifier.StepContext memory ctx = _ctx();
        ctx.portal = IPortal(address(other));
        vm.expectRevert(abi.encodeWithSelector(StepVerifier.DepositTokenOutOfRange.selector, 256));
        harness.executeRow(_header(m), _depositRow(), ctx, abi.encode(w));
    }

    // ============================================================================== external executor

    /// @dev The deployable executor returns what the library returns, and its custom errors reach the caller.
    function test_executorMatchesTheLibraryAndBubblesErrors() public {
        StepVerifierExecutor executor = new StepVerifierExecutor();
        Model memory m = _funded();
        L2TxLib.Tx memory t = _tx(1, 1, dave, 5, 0, true, ALICE_KEY);
        (StepVerifier.StepWitness memory w, Model memory post,) = _txWitness(m, t, alice, _fee(t), address(0));
        StateCommitment.StateHeader memory pre = _header(m);
        StepVerifier.StepContext memory ctx = _ctx();
        _assertHeader(executor.executeRow(pre, _txRow(t), ctx, abi.encode(w)), _header(post));
        Model memory b = _clone(m);
        b.blockNumber++;
        _assertHeader(executor.executeRow(pre, _blockEndRow(9), ctx, ""), _header(b));
        w.tx.sender.index = 3;
        vm.expectRevert(abi.encodeWithSelector(StepVerifier.SenderIndexMismatch.selector, 1, 3));
        executor.executeRow(pre, _txRow(t), ctx, abi.encode(w));
    }

    // ============================================================================== gas

    /// @dev Worst case per row type (executeRow including the witness decoding; not the calldata copy).
    function test_gas_worstCasePerRowType() public {
        Model memory m = _funded();
        StepVerifier.StepContext memory ctx = _ctx();

        // tx: token transfer to a new account (3 accounts paths, 4 balances paths, 2 address paths + insert).
        L2TxLib.Tx memory t = _tx(1, 1, dave, 5, 0, true, ALICE_KEY);
        (StepVerifier.StepWitness memory w, Model memory post,) = _txWitness(m, t, alice, _fee(t), address(0));
        _gas("tx: token transfer, new recipient", m, _txRow(t), ctx, abi.encode(w), _header(post));
        t = _tx(0, 0, dave, 5, 0, true, ALICE_KEY);
        (w, post,) = _txWitness(m, t, alice, _fee(t), address(0));
        _gas("tx: ETH transfer, new recipient", m, _txRow(t), ctx, abi.encode(w), _header(post));
        t = _tx(0, 0, bob, 5, 0, false, ALICE_KEY);
        (w, post,) = _txWitness(m, t, alice, _fee(t), address(0));
        _gas("tx: ETH transfer (legacy), existing recipient", m, _txRow(t), ctx, abi.encode(w), _header(post));
        t = _tx(3, 1, address(0xE1), 5, 0, true, ALICE_KEY);
        (w, post,) = _txWitness(m, t, alice, _fee(t), TOKEN1_L1);
        _gas("tx: token withdrawal", m, _txRow(t), ctx, abi.encode(w), _header(post));
        t = _tx(1, 1, bob, 10, 0, true, ALICE_KEY);
        (w,,) = _txWitness(m, t, alice, _fee(t), address(0));
        _gas("tx: skipped (balance overflow)", m, _txRow(t), ctx, abi.encode(w), _header(m));

        // deposit: token deposit creating an account; to an existing account.
        Model memory g = _deposits(_genesis(), 1);
        (w, post) = _depositWitness(g, queue[1]);
        _gas("deposit: existing account, new token", g, _depositRow(), ctx, abi.encode(w), _header(post));
        g = _deposits(g, 7);
        (w, post) = _depositWitness(g, queue[7]);
        _gas("deposit: existing account", g, _depositRow(), ctx, abi.encode(w), _header(post));
        g = _deposits(_genesis(), 2);
        (w, post) = _depositWitness(g, queue[2]);
        _gas("deposit: new account", g, _depositRow(), ctx, abi.encode(w), _header(post));

        Model memory b = _clone(m);
        b.blockNumber++;
        _gas("block end", m, _blockEndRow(1), ctx, "", _header(b));
    }

    function _gas(
        string memory name,
        Model memory pre,
        bytes memory row,
        StepVerifier.StepContext memory ctx,
        bytes memory witness,
        StateCommitment.StateHeader memory want
    ) internal {
        (StateCommitment.StateHeader memory got, uint256 used) = harness.executeRowGas(_header(pre), row, ctx, witness);
        _assertHeader(got, want);
        emit log_named_uint(name, used);
        assertLe(used, 250_000, name);
    }

    // ============================================================================== generated vectors (TypeScript)

    /// @dev A mock portal holding the vectors' deposit queue and token registry (checked against their hashes).
    function _vectorPortal() internal returns (MockStepPortal p) {
        p = new MockStepPortal();
        for (uint16 t = 1; t <= StepVectors.TOKEN_COUNT; t++) {
            p.registerToken(StepVectors.tokenAt(t));
        }
        for (uint256 i = 0; i < StepVectors.DEPOSIT_COUNT; i++) {
            StepVectors.Deposit memory d = StepVectors.depositAt(i);
            p.enqueue(d.from, d.to, d.tokenIndex, d.amount);
            assertEq(p.depositHashAt(i), StepVectors.depositHashAt(i), "vector deposit queue");
        }
    }

    function _vectorCtx(StepVectors.StepVector memory v, address p)
        internal
        pure
        returns (StepVerifier.StepContext memory)
    {
        return StepVerifier.StepContext(v.chainId, v.baseFee, v.batchDepositCountAfter, IPortal(p));
    }

    /// @notice Every case of test/vectors/StepVectors.sol (scripts/genStepVectors.ts, the TypeScript trace and
    ///         witness builder): executeRow, with the TypeScript witness bytes, returns exactly the TypeScript post
    ///         header, field by field; the same through StepVerifierExecutor. Logs the gas of each case.
    function test_stepVectors_everyCaseReachesTheTypeScriptPostHeader() public {
        MockStepPortal p = _vectorPortal();
        StepVerifierExecutor executor = new StepVerifierExecutor();
        bool[4] memory rowTypes;
        uint256 noOps;
        for (uint256 i = 0; i < StepVectors.COUNT; i++) {
            StepVectors.StepVector memory v = StepVectors.get(i);
            StepVerifier.StepContext memory ctx = _vectorCtx(v, address(p));
            (StateCommitment.StateHeader memory post, uint256 used) =
                harness.executeRowGas(v.pre, v.row, ctx, v.witness);
            emit log_named_uint(string.concat(vm.toString(i), " ", v.name, " (", v.outcome, ")"), used);
            _assertHeaderNamed(post, v.post, v.name);
            assertEq(StateCommitment.commitment(post), v.postCommitment, v.name);
            _assertHeaderNamed(executor.executeRow(v.pre, v.row, ctx, v.witness), v.post, v.name);
            // The struct the vector carries decodes from its bytes (same layout as StepVerifier.StepWitness).
            assertEq(keccak256(abi.encode(StepVerifier.decodeWitness(v.witness))), keccak256(v.witness), v.name);
            uint8 rowType = uint8(v.row[0]);
            rowTypes[rowType < 3 ? rowType : 3] = true;
            if (StateCommitment.commitment(v.pre) == v.postCommitment) noOps++;
        }
        for (uint256 k = 0; k < 4; k++) {
            assertTrue(rowTypes[k], "vectors cover tx, deposit, block-end and unknown rows");
        }
        assertGt(noOps, 10, "vectors cover no-ops");
        assertGt(StepVectors.COUNT - noOps, 10, "vectors cover applied rows");
    }

    function _assertHeaderNamed(
        StateCommitment.StateHeader memory got,
        StateCommitment.StateHeader memory want,
        string memory name
    ) internal pure {
        assertEq(got.accountsRoot, want.accountsRoot, string.concat(name, ": accountsRoot"));
        assertEq(got.withdrawalsRoot, want.withdrawalsRoot, string.concat(name, ": withdrawalsRoot"));
        assertEq(got.addressesRoot, want.addressesRoot, string.concat(name, ": addressesRoot"));
        assertEq(got.accountCount, want.accountCount, string.concat(name, ": accountCount"));
        assertEq(got.withdrawalCount, want.withdrawalCount, string.concat(name, ": withdrawalCount"));
        assertEq(got.depositCount, want.depositCount, string.concat(name, ": depositCount"));
        assertEq(got.blockNumber, want.blockNumber, string.concat(name, ": blockNumber"));
        assertEq(got.tokenCount, want.tokenCount, string.concat(name, ": tokenCount"));
    }

    /// @dev executeRow with `witness`: (true, post commitment), or (false, 0) when it reverts.
    function _tryVector(StepVectors.StepVector memory v, address p, bytes memory witness)
        internal
        view
        returns (bool ok, bytes32 commitment)
    {
        try harness.executeRow(v.pre, v.row, _vectorCtx(v, p), witness) returns (
            StateCommitment.StateHeader memory post
        ) {
            return (true, StateCommitment.commitment(post));
        } catch {
            return (false, 0);
        }
    }

    /// @dev Flips one bit of the witness in place (flip again to restore): no allocation per tampered run.
    function _flip(bytes memory witness, uint256 word, uint256 bit) internal pure {
        uint256 mask = uint256(1) << bit;
        assembly ("memory-safe") {
            let ptr := add(add(witness, 0x20), shl(5, word))
            mstore(ptr, xor(mload(ptr), mask))
        }
    }

    /// @dev executeRow with one bit of the vector's witness flipped.
    function _tryFlipped(StepVectors.StepVector memory v, address p, uint256 word, uint256 bit)
        internal
        view
        returns (bool ok, bytes32 commitment)
    {
        _flip(v.witness, word, bit);
        (ok, commitment) = _tryVector(v, p, v.witness);
        _flip(v.witness, word, bit);
    }

    /// @notice Soundness: the result is a function of (pre, row, context) only. Changing one bit of any witness
    ///         field (roots, indices, owners, nonces, balances, siblings, address leaves, the deposit) either
    ///         reverts or leaves the result unchanged (a part the row does not reach); it never yields another
    ///         post-state. Every case, one bit in each of 44 words covering every field kind.
    function test_stepVectors_witnessTamperingRevertsOrChangesNothing() public {
        MockStepPortal p = _vectorPortal();
        uint16[44] memory words = [
            uint16(0),
            1,
            2,
            3,
            4,
            5,
            6,
            37,
            38,
            39,
            46,
            47,
            48,
            55,
            56,
            57,
            58,
            59,
            60,
            91,
            92,
            93,
            101,
            102,
            103,
            104,
            105,
            137,
            138,
            146,
            177,
            178,
            179,
            250,
            338,
            339,
            340,
            420,
            499,
            500,
            501,
            502,
            503,
            250
        ];
        uint256 reverted;
        uint256 unchanged;
        for (uint256 i = 0; i < StepVectors.COUNT; i++) {
            StepVectors.StepVector memory v = StepVectors.get(i);
            for (uint256 k = 0; k < words.length; k++) {
                (bool ok, bytes32 c) = _tryFlipped(v, address(p), words[k], k % 3 == 0 ? 0 : 7);
                if (ok) {
                    assertEq(c, v.postCommitment, string.concat(v.name, ": tampered word ", vm.toString(words[k])));
                    unchanged++;
                } else {
                    reverted++;
                }
            }
        }
        emit log_named_uint("tampered witnesses rejected", reverted);
        emit log_named_uint("tampered witnesses ignored (part not reached)", unchanged);
        assertGt(reverted, 200, "tampering is detected");
        assertGt(unchanged, 200, "unreached parts are ignored");
    }

    /// @notice The same property, fuzzed over case, word and bit.
    function testFuzz_stepVectors_witnessTampering(uint256 caseIndex, uint256 word, uint8 bit) public {
        MockStepPortal p = _vectorPortal();
        StepVectors.StepVector memory v = StepVectors.get(bound(caseIndex, 0, StepVectors.COUNT - 1));
        (bool ok, bytes32 c) = _tryFlipped(v, address(p), bound(word, 0, 503), bit);
        if (ok) assertEq(c, v.postCommitment, v.name);
    }

    /// @notice Spec: "witnesses a path does not reach may be zero". Rows that never read a witness (block ends,
    ///         malformed or unknown rows, deposits past the batch's count, bad signatures) give the same result
    ///         with an empty witness; rows that read one give the same result with every part they do not reach
    ///         zeroed (tested part by part below on the TypeScript witnesses, which already zero them).
    function test_stepVectors_emptyWitnessWhereNothingIsRead() public {
        MockStepPortal p = _vectorPortal();
        uint256 empty;
        for (uint256 i = 0; i < StepVectors.COUNT; i++) {
            StepVectors.StepVector memory v = StepVectors.get(i);
            (bool ok, bytes32 c) = _tryVector(v, address(p), "");
            if (ok) {
                assertEq(c, v.postCommitment, v.name);
                empty++;
            } else {
                // A row that needs the witness: only a tx row with a valid signature or a deposit that applies.
                uint8 rowType = uint8(v.row[0]);
                assertTrue(rowType == 0 || rowType == 1, v.name);
            }
        }
        assertGt(empty, 10, "rows without witness");
    }
}
