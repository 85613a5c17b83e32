// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {SparseMerkle} from "../common/SparseMerkle.sol";
import {IPortal} from "./IPortal.sol";
import {IRollup} from "./IRollup.sol";

/// @title Portal
/// @notice L1 side of l2kit's optimistic rollup bridge. Deposits (ETH and ERC-20) are queued in a rolling hash chain
///         that L2 derivation replays; withdrawals are paid once each, against the state root of a finalized
///         proposal of the `Rollup`, with a depth-32 sparse Merkle proof of the withdrawal leaf.
/// @dev Protocol: ARCHITECTURE.md, "Protocol specification". Token index 0 is ETH; ERC-20 tokens are numbered
///      1..255 in registration order (the L2 balances tree has depth 8). Per-token totals make the "never pays out
///      more than was deposited" invariant checkable on chain, and bound any token's L2 supply by 2^256 - 1.
contract Portal is IPortal, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice A withdrawal as recorded in the L2 withdrawals tree (leaf `index`).
    /// @param index Position in the withdrawals tree (withdrawals are numbered 0, 1, 2, … in L2 execution order).
    /// @param sender L2 account that withdrew.
    /// @param recipient L1 account that receives the funds.
    /// @param l1Token L1 token address, `address(0)` for ETH.
    /// @param amount Base units.
    struct Withdrawal {
        uint256 index;
        address sender;
        address recipient;
        address l1Token;
        uint256 amount;
    }

    /// @notice Highest token index: the L2 balances tree has 256 leaves and leaf 0 is ETH.
    uint16 public constant MAX_TOKENS = 255;
    /// @notice Token index of ETH.
    uint16 public constant ETH_TOKEN_INDEX = 0;
    /// @notice Fee (wei) of registering one of the first 16 tokens; it doubles every 16 registrations (token 255
    ///         costs 2^15 times as much), and is burnt. Token indices are scarce (the L2 balances tree has 255
    ///         token leaves): early, real tokens pay little, while squatting every slot to lock real tokens out
    ///         costs 16·(2^16 − 1)·0.001 ≈ 1,049 ETH, and the last slots alone are dearer than any gain.
    uint256 public constant TOKEN_REGISTRATION_BASE_FEE = 0.001 ether;
    /// @notice Registrations per doubling of the registration fee.
    uint256 public constant TOKEN_FEE_DOUBLING_EVERY = 16;
    /// @notice Smallest payout (base units) from which a fee charged on top is learnt (`topFeeBps`).
    uint256 public constant MIN_FEE_LEARNING_PAYOUT = 1e6;
    /// @notice Where registration fees go.
    address public constant BURN_ADDRESS = 0x000000000000000000000000000000000000dEaD;
    /// @dev Gas given to each `name()`/`symbol()`/`decimals()` probe of a token being registered.
    uint256 private constant METADATA_GAS = 100_000;
    /// @dev Longest token name or symbol kept (longer ones are truncated), so a token cannot bloat the event.
    uint256 private constant MAX_METADATA_BYTES = 64;

    /// @notice Account allowed to call `initialize` once.
    address public immutable deployer;
    /// @notice The rollup whose finalized state roots prove withdrawals; zero until `initialize`.
    IRollup public rollup;

    uint256 private _depositCount;
    /// @dev Rolling queue hash after each deposit (`depositHashAt`); the fraud-proof game opens deposits with it.
    mapping(uint256 depositIndex => bytes32) private _depositHashes;
    /// @dev L1 timestamp of each deposit (`depositQueuedAt`), four uint64 per slot: deposit `i` is bits
    ///      `64·(i % 4) .. 64·(i % 4) + 63` of slot `i / 4`, so three deposits in four pay no new slot.
    mapping(uint256 slotIndex => uint256) private _depositTimes;
    uint16 private _tokenCount;
    mapping(address l1Token => uint16) private _tokenIndexOf;
    mapping(uint16 tokenIndex => address) private _tokenAt;
    mapping(bytes32 withdrawalHash => bool) private _finalized;

    /// @notice Base units ever deposited, per L1 token (`address(0)` = ETH).
    mapping(address l1Token => uint256) public totalDeposited;
    /// @notice Fee (basis points) a token was seen to charge the portal on top of what it sent, per L1 token; the
    ///         portal keeps that much back when it pays the rest of its balance out.
    mapping(address l1Token => uint256) public topFeeBps;
    /// @notice Base units ever paid out by withdrawals, per L1 token (`address(0)` = ETH).
    mapping(address l1Token => uint256) public totalWithdrawn;

    /// @notice A token was deposited for the first time and got an L2 token index.
    event TokenRegistered(
        uint16 indexed tokenIndex, address indexed l1Token, string name, string symbol, uint8 decimals
    );
    /// @notice A deposit joined the queue; L2 credits it when a block's `depositCountAfter` passes `depositIndex`.
    event DepositQueued(
        uint256 indexed depositIndex,
        address indexed from,
        address indexed to,
        uint16 tokenIndex,
        uint256 amount,
        bytes32 queueHash
    );
    /// @notice A withdrawal was paid.
    event WithdrawalFinalized(
        bytes32 indexed withdrawalHash,
        uint256 indexed withdrawalIndex,
        address indexed recipient,
        address l1Token,
        uint256 amount
    );
    /// @notice The portal held less of the token than it owes (a shrinking balance): the withdrawal was paid its
    ///         pro-rata share `paid` of `owed`.
    event WithdrawalShortPaid(bytes32 indexed withdrawalHash, uint256 owed, uint256 paid);
    /// @notice `initialize` linked the portal to its rollup.
    event RollupSet(address indexed rollup);

    /// @notice A deposit of zero (or a token transfer that delivered nothing).
    error ZeroAmount();
    /// @notice Deposit to `address(0)`, or `initialize(address(0))`.
    error ZeroAddress();
    /// @notice `depositERC20` with an address that holds no contract code.
    error NotAContract(address l1Token);
    /// @notice All 255 token indices are taken.
    error TooManyTokens();
    /// @notice `depositERC20` must send exactly the token's registration fee (`tokenRegistrationFee`): the fee of
    ///         the next registration for a new token, 0 for a registered one.
    error IncorrectRegistrationFee(uint256 sent, uint256 required);
    /// @notice Burning a registration fee failed.
    error FeeBurnFailed(uint256 amount);
    /// @notice `initialize` called by someone other than the deployer.
    error NotDeployer(address caller);
    /// @notice `initialize` called a second time.
    error AlreadyInitialized();
    /// @notice `finalizeWithdrawal` before `initialize`.
    error NotInitialized();
    /// @notice The withdrawal with this hash was already paid.
    error WithdrawalAlreadyFinalized(bytes32 withdrawalHash);
    /// @notice The withdrawal leaf, its proof and `accountsRoot` do not hash to the proposal's state root.
    error InvalidWithdrawalProof(bytes32 expectedStateRoot, bytes32 provenStateRoot);
    /// @notice The withdrawal names an ERC-20 that was never deposited.
    error UnknownToken(address l1Token);
    /// @notice Paying the withdrawal would exceed what was ever deposited of that token.
    error WithdrawalExceedsDeposits(address l1Token, uint256 amount, uint256 available);
    /// @notice `finalizeWithdrawalTo` from someone other than the withdrawal's recipient.
    error NotRecipient(address caller, address recipient);
    /// @notice The ETH transfer to the recipient failed.
    error EthTransferFailed(address recipient, uint256 amount);
    /// @notice `tokenAt` with an index that is not registered.
    error UnknownTokenIndex(uint16 tokenIndex);
    /// @notice `depositHashAt` with an index that was not queued yet.
    error UnknownDeposit(uint256 depositIndex, uint256 depositCount);

    constructor() {
        deployer = msg.sender;
    }

    // ------------------------------------------------------------------ setup

    /// @notice Links the portal to its rollup. Once, by the deployer (the rollup's constructor needs the portal
    ///         address, so the two are linked after both exist).
    /// @param rollup_ The `Rollup` contract.
    function initialize(address rollup_) external {
        if (msg.sender != deployer) revert NotDeployer(msg.sender);
        if (address(rollup) != address(0)) revert AlreadyInitialized();
        if (rollup_ == address(0)) revert ZeroAddress();
        rollup = IRollup(rollup_);
        emit RollupSet(rollup_);
    }

    // ---------------------------------------------------------------- deposits

    /// @notice Deposits `msg.value` wei of ETH for L2 account `to`.
    /// @param to L2 recipient.
    /// @return depositIndex Index of the deposit in the queue.
    function depositETH(address to) external payable nonReentrant returns (uint256 depositIndex) {
        if (msg.value == 0) revert ZeroAmount();
        if (to == address(0)) revert ZeroAddress();
        totalDeposited[address(0)] += msg.value;
        return _enqueue(to, ETH_TOKEN_INDEX, msg.value);
    }

    /// @notice Deposits `amount` of ERC-20 `l1Token` for L2 account `to`; the portal must be approved first.
    ///         Registers the token on its first deposit, for exactly `tokenRegistrationFee(l1Token)` wei (burnt);
    ///         later deposits send no ETH. Credits what the portal actually received, so a fee-on-transfer token
    ///         cannot credit more than it delivered.
    /// @param l1Token The ERC-20 on L1.
    /// @param to L2 recipient.
    /// @param amount Base units to pull from the caller.
    /// @return depositIndex Index of the deposit in the queue.
    function depositERC20(address l1Token, address to, uint256 amount)
        external
        payable
        nonReentrant
        returns (uint256 depositIndex)
    {
        if (amount == 0) revert ZeroAmount();
        if (to == address(0)) revert ZeroAddress();
        if (l1Token.code.length == 0) revert NotAContract(l1Token);
        uint16 tokenIndex = _tokenIndexOf[l1Token];
        if (tokenIndex == 0) {
            uint256 fee = _nextRegistrationFee();
            if (msg.value != fee) revert IncorrectRegistrationFee(msg.value, fee);
            tokenIndex = _registerToken(l1Token);
            (bool burnt,) = BURN_ADDRESS.call{value: fee}("");
            if (!burnt) revert FeeBurnFailed(fee);
        } else if (msg.value != 0) {
            revert IncorrectRegistrationFee(msg.value, 0);
        }

        IERC20 token = IERC20(l1Token);
        uint256 balanceBefore = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 balanceAfter = token.balanceOf(address(this));
        if (balanceAfter <= balanceBefore) revert ZeroAmount();
        uint256 received = balanceAfter - balanceBefore;

        totalDeposited[l1Token] += received;
        return _enqueue(to, tokenIndex, received);
    }

    // ------------------------------------------------------------- withdrawals

    /// @notice Pays withdrawal `w`, proven against the state root of finalized proposal `proposalIndex`:
    ///         `stateRoot == keccak256(accountsRoot ‖ withdrawalsRoot)` where `withdrawalsRoot` is the depth-32
    ///         sparse Merkle root of leaf `withdrawalHash(w)` at index `w.index` with `siblings` (bottom-up).
    ///         Each withdrawal is paid once, to `w.recipient`, whoever calls. ERC-20 payouts follow the
    ///         non-standard token policy (`_payToken`).
    /// @param proposalIndex A finalized proposal of the rollup (any one whose state includes the withdrawal).
    /// @param w The withdrawal.
    /// @param accountsRoot The accounts root of that state.
    /// @param siblings Proof of the withdrawal leaf in the withdrawals tree, bottom-up.
    function finalizeWithdrawal(
        uint256 proposalIndex,
        Withdrawal calldata w,
        bytes32 accountsRoot,
        bytes32[32] calldata siblings
    ) external nonReentrant {
        _finalizeWithdrawal(proposalIndex, w, accountsRoot, siblings, w.recipient);
    }

    /// @notice As `finalizeWithdrawal`, but paid to `payTo`; only `w.recipient` may call. For a recipient that
    ///         cannot receive: a token that blocklists it, or a contract that refuses ETH. Without this such a
    ///         withdrawal would be stranded for good.
    /// @param payTo Where the funds go instead of `w.recipient`.
    function finalizeWithdrawalTo(
        uint256 proposalIndex,
        Withdrawal calldata w,
        bytes32 accountsRoot,
        bytes32[32] calldata siblings,
        address payTo
    ) external nonReentrant {
        if (msg.sender != w.recipient) revert NotRecipient(msg.sender, w.recipient);
        if (payTo == address(0)) revert ZeroAddress();
        _finalizeWithdrawal(proposalIndex, w, accountsRoot, siblings, payTo);
    }

    // ------------------------------------------------------------------- views

    /// @notice Number of deposits queued so far (the next deposit's index).
    function depositCount() external view returns (uint256) {
        return _depositCount;
    }

    /// @notice Rolling hash of every deposit so far (zero before the first).
    function queueHash() external view returns (bytes32) {
        uint256 count = _depositCount;
        return count == 0 ? bytes32(0) : _depositHashes[count - 1];
    }

    /// @notice Rolling queue hash right after deposit `depositIndex`:
    ///         `keccak256(abi.encode(depositHashAt(i - 1) (zero for i = 0), i, from, to, tokenIndex, amount))`, so
    ///         deposit `i`'s content is provable on L1 from `depositHashAt(i - 1)` and `depositHashAt(i)`.
    ///         Reverts `UnknownDeposit` unless `depositIndex < depositCount()`.
    function depositHashAt(uint256 depositIndex) external view returns (bytes32) {
        uint256 count = _depositCount;
        if (depositIndex >= count) revert UnknownDeposit(depositIndex, count);
        return _depositHashes[depositIndex];
    }

    /// @notice L1 timestamp of the block that queued deposit `depositIndex`; force inclusion
    ///         (`Rollup.appendForcedBatch`) lets anyone apply it once it is `inclusionWindow` seconds old.
    ///         Reverts `UnknownDeposit` unless `depositIndex < depositCount()`.
    function depositQueuedAt(uint256 depositIndex) external view returns (uint64) {
        uint256 count = _depositCount;
        if (depositIndex >= count) revert UnknownDeposit(depositIndex, count);
        // forge-lint: disable-next-line(unsafe-typecast) one 64-bit lane of the packed slot
        return uint64(_depositTimes[depositIndex >> 2] >> ((depositIndex & 3) << 6));
    }

    /// @notice Token index of `l1Token` (1..255), 0 if it was never deposited.
    function tokenIndexOf(address l1Token) external view returns (uint16) {
        return _tokenIndexOf[l1Token];
    }

    /// @notice L1 address of token index `tokenIndex`: `address(0)` for 0 (ETH); reverts for unregistered indices.
    function tokenAt(uint16 tokenIndex) external view returns (address) {
        if (tokenIndex > _tokenCount) revert UnknownTokenIndex(tokenIndex);
        return _tokenAt[tokenIndex];
    }

    /// @notice Wei `depositERC20` of `l1Token` must send: 0 once it is registered, else the fee of the next
    ///         registration (`TOKEN_REGISTRATION_BASE_FEE` doubled once per 16 tokens already registered).
    function tokenRegistrationFee(address l1Token) external view returns (uint256) {
        return _tokenIndexOf[l1Token] != 0 ? 0 : _nextRegistrationFee();
    }

    /// @notice Number of registered ERC-20 tokens (the highest token index in use).
    function tokenCount() external view returns (uint16) {
        return _tokenCount;
    }

    /// @notice Leaf of the L2 withdrawals tree for `w`:
    ///         `keccak256(abi.encode(index, sender, recipient, l1Token, amount))`.
    function withdrawalHash(Withdrawal calldata w) external pure returns (bytes32) {
        return _withdrawalHash(w);
    }

    /// @notice Whether the withdrawal with this hash was paid.
    function isWithdrawalFinalized(bytes32 hash) external view returns (bool) {
        return _finalized[hash];
    }

    // ---------------------------------------------------------------- internal

    function _finalizeWithdrawal(
        uint256 proposalIndex,
        Withdrawal calldata w,
        bytes32 accountsRoot,
        bytes32[32] calldata siblings,
        address payTo
    ) private {
        IRollup rollup_ = rollup;
        if (address(rollup_) == address(0)) revert NotInitialized();
        bytes32 hash = _withdrawalHash(w);
        if (_finalized[hash]) revert WithdrawalAlreadyFinalized(hash);
        bytes32 stateRoot = rollup_.finalizedStateRoot(proposalIndex);
        bytes32 withdrawalsRoot = SparseMerkle.computeRoot(hash, w.index, siblings);
        bytes32 provenStateRoot = keccak256(abi.encodePacked(accountsRoot, withdrawalsRoot));
        if (provenStateRoot != stateRoot) revert InvalidWithdrawalProof(stateRoot, provenStateRoot);

        _finalized[hash] = true;
        uint256 outstanding = _recordWithdrawal(w.l1Token, w.amount);
        emit WithdrawalFinalized(hash, w.index, w.recipient, w.l1Token, w.amount);

        if (w.l1Token == address(0)) {
            (bool ok,) = payTo.call{value: w.amount}("");
            if (!ok) revert EthTransferFailed(payTo, w.amount);
        } else {
            _payToken(hash, IERC20(w.l1Token), payTo, w.amount, outstanding);
        }
    }

    /// @dev Checks the token and that `amount` fits in what was deposited and not withdrawn yet (`outstanding`,
    ///      returned), and counts it as withdrawn.
    function _recordWithdrawal(address l1Token, uint256 amount) private returns (uint256 outstanding) {
        if (l1Token != address(0) && _tokenIndexOf[l1Token] == 0) revert UnknownToken(l1Token);
        uint256 withdrawnBefore = totalWithdrawn[l1Token];
        outstanding = totalDeposited[l1Token] - withdrawnBefore;
        if (amount > outstanding) revert WithdrawalExceedsDeposits(l1Token, amount, outstanding);
        totalWithdrawn[l1Token] = withdrawnBefore + amount;
    }

    /// @dev The bridge's policy for non-standard ERC-20s (docs/optimistic.md "Tokens the bridge accepts"):
    ///      - fee-on-transfer on deposit: only what arrived is credited (`depositERC20`);
    ///      - a balance that shrinks (negative rebase): the portal then holds less than it owes
    ///        (`outstanding`); each withdrawal is paid its pro-rata share
    ///        `amount · balance / outstanding` (the loss is shared by every holder, not dumped on the last ones,
    ///        whose withdrawals would revert for good) and `WithdrawalShortPaid` says so;
    ///        A fee charged to the portal on top of what it sends lowers the balance the same way, so later
    ///        withdrawals of that token share that cost too; the portal learns the fee's rate from the first
    ///        such transfer (`topFeeBps`) and keeps it back, so the last withdrawals do not revert once the
    ///        balance runs out (a token whose very first payout is the whole balance can still fail: retry);
    ///      - a token that blocklists the recipient: `finalizeWithdrawalTo` lets the recipient name another
    ///        address.
    function _payToken(bytes32 hash, IERC20 token, address payTo, uint256 amount, uint256 outstanding) private {
        uint256 balance = token.balanceOf(address(this));
        uint256 pay = balance >= outstanding ? amount : amount * balance / outstanding;
        uint256 feeBps = topFeeBps[address(token)];
        if (feeBps != 0) pay = _leaveRoomForFee(pay, balance, feeBps);
        if (pay == 0) {
            emit WithdrawalShortPaid(hash, amount, 0);
            return;
        }
        if (!_tryTransfer(token, payTo, pay)) {
            // A payout that takes (nearly) the whole balance fails when the token charges a fee on top that the
            // portal has not learnt yet: retry leaving room for a 1 %, then a 10 % fee. Any other failure (a
            // blocklisted recipient, a paused token) fails these too, and the withdrawal reverts untouched.
            bool paid;
            if (pay * 10_100 / 10_000 > balance) {
                uint16[2] memory guesses = [uint16(100), 1_000];
                for (uint256 i = 0; i < guesses.length && !paid; i++) {
                    uint256 smaller = _leaveRoomForFee(pay, balance, guesses[i]);
                    if (smaller != 0 && smaller < pay && _tryTransfer(token, payTo, smaller)) {
                        pay = smaller;
                        paid = true;
                    }
                }
            }
            if (!paid) revert SafeERC20.SafeERC20FailedOperation(address(token));
        }
        if (pay < amount) emit WithdrawalShortPaid(hash, amount, pay);
        uint256 spent = balance - token.balanceOf(address(this));
        // A fee on top: learn its rate so the last withdrawals can still be paid. Only from payouts large enough
        // that a token's rounding (one unit, e.g. a share-based balance) cannot pass for a fee, and rounded down:
        // a dust withdrawal must not teach the portal a huge rate that then halves every later payout.
        if (spent > pay && pay >= MIN_FEE_LEARNING_PAYOUT) {
            uint256 bps = (spent - pay) * 10_000 / pay;
            if (bps > feeBps) topFeeBps[address(token)] = bps;
        }
    }

    /// @dev `pay`, lowered if needed so that `pay` plus a fee of `feeBps` on top fits in `balance`.
    function _leaveRoomForFee(uint256 pay, uint256 balance, uint256 feeBps) private pure returns (uint256) {
        uint256 cap = balance * 10_000 / (10_000 + feeBps);
        return pay > cap ? cap : pay;
    }

    /// @dev `transfer` as SafeERC20 judges it (no revert data, or `true`), without reverting.
    function _tryTransfer(IERC20 token, address to, uint256 amount) private returns (bool) {
        (bool ok, bytes memory data) = address(token).call(abi.encodeCall(IERC20.transfer, (to, amount)));
        return ok && (data.length == 0 ? address(token).code.length > 0 : data.length >= 32 && abi.decode(data, (bool)));
    }

    function _withdrawalHash(Withdrawal calldata w) private pure returns (bytes32) {
        return keccak256(abi.encode(w.index, w.sender, w.recipient, w.l1Token, w.amount));
    }

    /// @dev Appends a deposit to the queue, extends the rolling hash (stored per deposit) and records the deposit's
    ///      L1 timestamp in its 64-bit lane (lanes of later deposits are still zero, so OR-ing is a write).
    function _enqueue(address to, uint16 tokenIndex, uint256 amount) private returns (uint256 depositIndex) {
        depositIndex = _depositCount;
        bytes32 previous = depositIndex == 0 ? bytes32(0) : _depositHashes[depositIndex - 1];
        bytes32 next = keccak256(abi.encode(previous, depositIndex, msg.sender, to, tokenIndex, amount));
        _depositHashes[depositIndex] = next;
        _depositTimes[depositIndex >> 2] |= uint256(uint64(block.timestamp)) << ((depositIndex & 3) << 6);
        _depositCount = depositIndex + 1;
        emit DepositQueued(depositIndex, msg.sender, to, tokenIndex, amount, next);
    }

    function _nextRegistrationFee() private view returns (uint256) {
        return TOKEN_REGISTRATION_BASE_FEE << (_tokenCount / TOKEN_FEE_DOUBLING_EVERY);
    }

    /// @dev Gives `l1Token` the next token index and announces it with its metadata (read defensively: a token
    ///      without `name`/`symbol`/`decimals`, or with odd return data, registers as ("", "", 18)).
    function _registerToken(address l1Token) private returns (uint16 tokenIndex) {
        uint16 count = _tokenCount;
        if (count >= MAX_TOKENS) revert TooManyTokens();
        tokenIndex = count + 1;
        _tokenCount = tokenIndex;
        _tokenIndexOf[l1Token] = tokenIndex;
        _tokenAt[tokenIndex] = l1Token;
        emit TokenRegistered(
            tokenIndex,
            l1Token,
            _readString(l1Token, IERC20Metadata.name.selector),
            _readString(l1Token, IERC20Metadata.symbol.selector),
            _readDecimals(l1Token)
        );
    }

    /// @dev `string` (ABI-encoded) or `bytes32` (zero-padded, as old tokens do) returned by a metadata getter;
    ///      "" when the call fails or returns anything else. At most `MAX_METADATA_BYTES` bytes are kept.
    function _readString(address token, bytes4 selector) private view returns (string memory result) {
        (bool ok, bytes memory data) = token.staticcall{gas: METADATA_GAS}(abi.encodeWithSelector(selector));
        if (!ok) return "";
        if (data.length == 32) {
            // forge-lint: disable-next-line(unsafe-typecast) exactly 32 bytes long
            bytes32 word = bytes32(data);
            uint256 length = 0;
            while (length < 32 && word[length] != 0) length++;
            result = new string(length);
            for (uint256 i = 0; i < length; i++) {
                bytes(result)[i] = word[i];
            }
            return result;
        }
        if (data.length < 64) return "";
        uint256 offset;
        uint256 strLength;
        assembly ("memory-safe") {
            offset := mload(add(data, 0x20))
        }
        if (offset > data.length - 32) return "";
        assembly ("memory-safe") {
            strLength := mload(add(add(data, 0x20), offset))
        }
        if (strLength > data.length - 32 - offset) return "";
        if (strLength > MAX_METADATA_BYTES) strLength = MAX_METADATA_BYTES;
        result = new string(strLength);
        for (uint256 i = 0; i < strLength; i++) {
            bytes(result)[i] = data[32 + offset + i];
        }
    }

    /// @dev `decimals()` if the token answers with a value that fits a uint8, else 18.
    function _readDecimals(address token) private view returns (uint8) {
        (bool ok, bytes memory data) =
            token.staticcall{gas: METADATA_GAS}(abi.encodeWithSelector(IERC20Metadata.decimals.selector));
        if (!ok || data.length < 32) return 18;
        uint256 value = abi.decode(data, (uint256));
        // forge-lint: disable-next-line(unsafe-typecast) range checked on this line
        return value > type(uint8).max ? 18 : uint8(value);
    }
}
