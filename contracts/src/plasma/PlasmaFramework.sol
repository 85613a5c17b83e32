// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {PlasmaMerkle, PlasmaTx} from "./PlasmaTx.sol";
import {PriorityQueue} from "./PriorityQueue.sol";

/// @title PlasmaFramework
/// @notice The L1 contract of l2kit's More Viable Plasma (docs/plasma.md, the normative protocol): the operator's
///         block roots and the deposit blocks between them, standard exits of outputs with their three challenges,
///         in-flight exits of transactions with the canonicity game, and one priority queue that pays exits oldest
///         first, never more per token than was deposited.
/// @dev Positions: `utxoPos = blknum·1e9 + txIndex·1e4 + oIndex`; a transaction position is the same with oIndex 0.
///      Exit ids are the priority keys themselves, `exitableAt << 192 | position << 64 | exitSeq` (exitSeq = how many
///      exits were queued before), so an id tells its exited position and `processExits` finds the exit from the
///      key it pops. `_exitOf[exitId]` is the exit's output id (standard exit) or transaction hash (in-flight exit),
///      cleared when the exit is challenged away or processed: the queue keeps such a key (no removal from the
///      middle of a heap) and `processExits` drops it when it reaches it.
///
///      Storage per standard exit: two slots of `_outputs[outputId]` (owner and amount, token and the paid flag) and
///      the `_exitOf` slot. Amounts fit 96 bits because `deposited[token]` is capped at `MAX_TOTAL_DEPOSIT`
///      (2^96 − 1): no payable amount can be larger, so a larger one is refused when an exit starts.
///
///      An in-flight exit (keyed by its transaction hash) stores one header word (see `_ifeHeader`), per input its
///      owner and amount and its output id, per output its owner and amount, and its distinct tokens
///      (`_ifeData`); competitors' and responses' positions go to `_ifePositions` when they happen. The
///      transaction's bytes themselves are passed again by challengers (they hash to the key).
///
///      Payouts are pushed (ETH with `ETH_PUSH_GAS`, an ERC-20 `transfer` with `TOKEN_PUSH_GAS`, so neither a
///      recipient nor a token can stall the queue); a push that fails is credited to `withdrawable[token][owner]`.
contract PlasmaFramework is EIP712, ReentrancyGuardTransient {
    using PriorityQueue for PriorityQueue.Heap;
    using SafeERC20 for IERC20;

    /// @notice A block: its Merkle root and the L1 timestamp it was recorded at (0 = no such block).
    struct Block {
        bytes32 root;
        uint64 timestamp;
    }

    /// @notice A transaction shown included: its bytes, its signatures (the leaf's), its transaction position
    ///         (`blknum·1e9 + txIndex·1e4`) and the 512-byte inclusion proof. In `challengeNonCanonical`,
    ///         `position == 0` means a competitor not included anywhere (`proof` is then ignored).
    struct Inclusion {
        bytes txBytes;
        bytes sigs;
        uint256 position;
        bytes proof;
    }

    /// @notice Which cheat a challenge proved.
    enum ChallengeKind {
        Spent,
        InvalidTx,
        DoubleSpend,
        NonCanonical,
        OutputSpent
    }

    /// @dev Per output id: the pending standard exit of it (owner ≠ 0 while there is one) and whether it was paid.
    struct Output {
        address owner;
        uint96 amount;
        address token;
        bool paid;
    }

    /// @notice Operator blocks are numbered 1000, 2000, …; deposit blocks take the numbers in between.
    uint256 public constant CHILD_BLOCK_INTERVAL = 1000;
    /// @notice `utxoPos = blknum · BLOCK_OFFSET + txIndex · TX_OFFSET + oIndex`.
    uint256 public constant BLOCK_OFFSET = 1_000_000_000;
    /// @notice See `BLOCK_OFFSET`.
    uint256 public constant TX_OFFSET = 10_000;
    /// @notice Largest transaction index in a block (depth-16 tree).
    uint256 public constant MAX_TX_INDEX = 65_535;
    /// @notice Cap on `deposited[token]` (cumulative), so every payable amount fits the 96-bit storage fields.
    uint256 public constant MAX_TOTAL_DEPOSIT = type(uint96).max;
    /// @notice Longest exit period accepted by the constructor.
    uint256 public constant MAX_EXIT_PERIOD = 365 days;
    /// @notice Gas given to an ETH recipient when a payout or bond is pushed (a recipient that needs more, or
    ///         reverts, is credited and calls `withdraw`).
    uint256 public constant ETH_PUSH_GAS = 30_000;
    /// @notice Gas given to an ERC-20's `transfer` when a payout is pushed (a token that needs more, or fails, is
    ///         credited and the owner calls `withdraw`).
    uint256 public constant TOKEN_PUSH_GAS = 100_000;
    /// @notice The competitor position recorded for a competitor that is not included.
    uint256 public constant NOT_INCLUDED = type(uint128).max;

    // In-flight exit header word: starter (bits 0..159) | exitableAt (160..199) | flags (200, 201) | input count
    // (204..206) | output count (207..209) | removed inputs mask (210..213) | removed outputs mask (214..217) | per
    // input i and output j the index of its token in the exit's token list (2 bits at 218 + 2i, 226 + 2j).
    uint256 private constant F_NON_CANONICAL = 1 << 200;
    uint256 private constant F_FINALIZED = 1 << 201;
    uint256 private constant N_IN_SHIFT = 204;
    uint256 private constant N_OUT_SHIFT = 207;
    uint256 private constant REMOVED_IN_SHIFT = 210;
    uint256 private constant REMOVED_OUT_SHIFT = 214;
    uint256 private constant REMOVED_IN_0 = 1 << 210; // REMOVED_IN_SHIFT
    uint256 private constant REMOVED_OUT_0 = 1 << 214; // REMOVED_OUT_SHIFT
    uint256 private constant TOKEN_IDX_SHIFT = 218;
    // `_ifeData[txHash]` slots: input entries, input output ids, output entries, tokens (4 each).
    uint256 private constant D_INPUT = 0;
    uint256 private constant D_INPUT_ID = 4;
    uint256 private constant D_OUTPUT = 8;
    uint256 private constant D_TOKEN = 12;

    /// @notice The only account that may submit blocks.
    address public immutable operator;
    /// @notice Exit period `EP`, in seconds.
    uint256 public immutable exitPeriod;
    /// @notice Bond (wei) of a standard exit.
    uint256 public immutable standardExitBond;
    /// @notice Bond (wei) of an in-flight exit.
    uint256 public immutable inFlightExitBond;

    /// @notice Block `blknum`'s root and timestamp.
    mapping(uint256 blknum => Block) public blocks;
    /// @notice The number the next operator block will take.
    uint64 public nextChildBlock;
    /// @notice The number the next deposit block will take.
    uint64 public nextDepositBlock;
    /// @notice Everything ever deposited, per token (`address(0)` = ETH).
    mapping(address token => uint256) public deposited;
    /// @notice Everything ever paid out by exits, per token; never above `deposited[token]`.
    mapping(address token => uint256) public paid;
    /// @notice Payouts and bonds that could not be pushed: `withdrawable[token][owner]`, taken with `withdraw`.
    mapping(address token => mapping(address owner => uint256)) public withdrawable;

    PriorityQueue.Heap private _queue;
    /// @dev Exit id → output id (standard exit) or transaction hash (in-flight exit); 0 once gone.
    mapping(uint256 exitId => bytes32) private _exitOf;
    mapping(bytes32 outputId => Output) private _outputs;
    mapping(bytes32 txHash => uint256) private _ifeHeader;
    /// @dev Oldest competitor position shown (bits 0..127, 0 = none) | position of the last response (128..255).
    mapping(bytes32 txHash => uint256) private _ifePositions;
    /// @dev See `D_INPUT` …: entries are `owner | amount << 160`.
    mapping(bytes32 txHash => mapping(uint256 slot => uint256)) private _ifeData;

    /// @notice The operator submitted block `blknum` with `root`.
    event BlockSubmitted(uint256 indexed blknum, bytes32 root, uint64 timestamp);
    /// @notice Deposit block `blknum` holds the deposit transaction paying `amount` of `token` to `owner`.
    event DepositCreated(uint256 indexed blknum, address indexed owner, address indexed token, uint256 amount);
    /// @notice `owner` started the standard exit `exitId` (the priority key) of output `utxoPos` (`outputId`).
    event ExitStarted(
        uint256 indexed exitId,
        address indexed owner,
        uint256 utxoPos,
        bytes32 outputId,
        address token,
        uint256 amount,
        uint64 exitableAt
    );
    /// @notice Standard exit `exitId` was deleted by `challenger`'s proof of `kind`; the bond went to `challenger`.
    event ExitChallenged(uint256 indexed exitId, address indexed challenger, ChallengeKind kind);
    /// @notice Exit `exitId` paid `amount` of `token` to `owner` for `outputId` (once per output of an in-flight
    ///         exit).
    event ExitFinalized(
        uint256 indexed exitId, bytes32 indexed outputId, address indexed owner, address token, uint256 amount
    );
    /// @notice Exit `exitId` could not pay `amount` of `token` for `outputId`: it would have paid out more than was
    ///         deposited. Nothing was paid or marked.
    event ExitUnfunded(uint256 indexed exitId, bytes32 indexed outputId, address token, uint256 amount);
    /// @notice Exit `exitId` did not pay `outputId`: it was already paid by another exit.
    event ExitSkipped(uint256 indexed exitId, bytes32 indexed outputId);
    /// @notice `starter` started the in-flight exit `exitId` of transaction `txHash`, whose youngest input is
    ///         `position`.
    event InFlightExitStarted(
        uint256 indexed exitId, address indexed starter, bytes32 indexed txHash, uint256 position, uint64 exitableAt
    );
    /// @notice `challenger` removed input `index` (kind `NonCanonical`, the exit now non-canonical, the competitor at
    ///         `competitorPosition`, `NOT_INCLUDED` if none) or output `index` (kind `OutputSpent`, position 0) of
    ///         the in-flight exit of `txHash`.
    event InFlightExitChallenged(
        bytes32 indexed txHash,
        address indexed challenger,
        ChallengeKind kind,
        uint256 index,
        uint256 competitorPosition
    );
    /// @notice `responder` showed the in-flight transaction `txHash` included at `position`, older than every
    ///         competitor shown: the exit is canonical again.
    event InFlightExitResponded(bytes32 indexed txHash, address indexed responder, uint256 position);
    /// @notice In-flight exit `exitId` of `txHash` was processed, paying its outputs (`canonical`) or its inputs.
    event InFlightExitFinalized(uint256 indexed exitId, bytes32 indexed txHash, bool canonical);
    /// @notice A push of `amount` of `token` to `owner` failed and was credited to `withdrawable[token][owner]`.
    event PayoutCredited(address indexed token, address indexed owner, uint256 amount);
    /// @notice `owner` withdrew its credited `amount` of `token`.
    event Withdrawn(address indexed token, address indexed owner, uint256 amount);

    /// @notice Constructor arguments out of range (operator 0, exit period 0 or above `MAX_EXIT_PERIOD`).
    error InvalidConfig();
    /// @notice Only the operator may submit blocks.
    error NotOperator(address caller);
    /// @notice 999 deposit blocks already follow the last operator block.
    error TooManyDeposits();
    /// @notice A deposit of 0.
    error ZeroDeposit();
    /// @notice A deposit to the zero address (its output could never be exited).
    error ZeroOwner();
    /// @notice The deposit would take `deposited[token]` above `MAX_TOTAL_DEPOSIT`.
    error DepositCapExceeded(address token, uint256 deposited, uint256 amount);
    /// @notice `msg.value` is `sent` where `expected` was due.
    error ValueMismatch(uint256 expected, uint256 sent);
    /// @notice The token has no code.
    error TokenNotContract(address token);
    /// @notice The contract received `received` of `token` where `expected` was pulled.
    error TokenTransferMismatch(address token, uint256 expected, uint256 received);
    /// @notice Bytes that are not the canonical encoding of a transaction.
    error MalformedTransaction();
    /// @notice A transaction with `count` inputs (at most 4).
    error TooManyInputs(uint256 count);
    /// @notice A transaction with `count` outputs (1 to 4).
    error OutputCountOutOfRange(uint256 count);
    /// @notice Output `index` has owner 0.
    error ZeroOutputOwner(uint256 index);
    /// @notice Output `index` has amount 0.
    error ZeroOutputAmount(uint256 index);
    /// @notice Input `index` repeats an earlier input (its position, or in an in-flight exit its output id: a
    ///         transaction included twice has one output id at two positions).
    error DuplicateInput(uint256 index);
    /// @notice A position whose transaction index is above `MAX_TX_INDEX`, a transaction position with an output
    ///         index, or a response's position not after the transaction's inputs.
    error InvalidPosition(uint256 position);
    /// @notice No block `blknum` was recorded.
    error BlockNotFound(uint256 blknum);
    /// @notice The leaf is not at `position` in its block.
    error NotIncluded(uint256 position);
    /// @notice Output `oIndex` of a transaction with `count` outputs.
    error OutputIndexOutOfRange(uint256 oIndex, uint256 count);
    /// @notice Input `index` of a transaction with `count` inputs.
    error InputIndexOutOfRange(uint256 index, uint256 count);
    /// @notice Only the output's `owner` may exit it.
    error NotOutputOwner(address owner, address caller);
    /// @notice An amount above `MAX_TOTAL_DEPOSIT` (it could never be paid).
    error AmountTooLarge(uint256 amount);
    /// @notice `outputId` already has a standard exit pending.
    error OutputAlreadyExiting(bytes32 outputId);
    /// @notice `outputId` was already paid.
    error OutputAlreadyPaid(bytes32 outputId);
    /// @notice No standard exit `exitId` is pending.
    error ExitNotFound(uint256 exitId);
    /// @notice The transaction given is not the one the exit exits.
    error NotTheExitingTransaction();
    /// @notice The exiting transaction is at transaction position `expected`, not `given`.
    error WrongPosition(uint256 expected, uint256 given);
    /// @notice The input given is not `expected`.
    error WrongInput(uint256 expected, uint256 given);
    /// @notice A signature that is not `signer`'s over the transaction's digest (wrong key, malformed, high s).
    error BadSignature(address signer);
    /// @notice The signatures are `given` bytes, not 65 per input (`expected`).
    error SignaturesLengthMismatch(uint256 expected, uint256 given);
    /// @notice Arrays given per input do not have one entry per input.
    error LengthMismatch();
    /// @notice The proof given for input `index` does not show its creating transaction (or an empty leaf).
    error InputNotProven(uint256 index);
    /// @notice The output of a deposit transaction: the contract built it, it is valid.
    error DepositTransaction();
    /// @notice `challengeInvalidTx` found the exiting transaction valid.
    error TransactionValid();
    /// @notice The competitor at `position` is not older than `bound`.
    error CompetitorNotOlder(uint256 position, uint256 bound);
    /// @notice The competitor is the in-flight transaction itself.
    error CompetitorIsTheTransaction();
    /// @notice An in-flight exit of a transaction without inputs.
    error NoInputs();
    /// @notice The sums of inputs and outputs in `token` differ.
    error AmountsNotBalanced(address token);
    /// @notice `txHash` already had an in-flight exit.
    error InFlightExitExists(bytes32 txHash);
    /// @notice `txHash` has no in-flight exit pending.
    error InFlightExitNotFound(bytes32 txHash);
    /// @notice Non-canonical challenges ended at `deadline`.
    error NonCanonicalWindowOver(uint256 deadline);
    /// @notice Responses ended at `deadline`.
    error ResponseWindowOver(uint256 deadline);
    /// @notice The in-flight exit is canonical: nothing to respond to.
    error AlreadyCanonical();
    /// @notice The response's position is not older than the oldest competitor shown.
    error NotOlderThanCompetitors(uint256 position, uint256 oldestCompetitor);
    /// @notice Output `index` of the in-flight exit was already removed.
    error OutputAlreadyRemoved(uint256 index);
    /// @notice `owner` has nothing credited in `token`.
    error NothingToWithdraw(address token, address owner);
    /// @notice Sending `amount` wei to `to` failed.
    error EthTransferFailed(address to, uint256 amount);

    /// @param operator_ The only account that may submit blocks.
    /// @param exitPeriod_ `EP` in seconds (1 … `MAX_EXIT_PERIOD`).
    /// @param standardExitBond_ Bond of a standard exit, wei.
    /// @param inFlightExitBond_ Bond of an in-flight exit, wei.
    constructor(address operator_, uint256 exitPeriod_, uint256 standardExitBond_, uint256 inFlightExitBond_)
        EIP712("l2kit Plasma", "1")
    {
        if (operator_ == address(0) || exitPeriod_ == 0 || exitPeriod_ > MAX_EXIT_PERIOD) revert InvalidConfig();
        operator = operator_;
        exitPeriod = exitPeriod_;
        standardExitBond = standardExitBond_;
        inFlightExitBond = inFlightExitBond_;
        nextChildBlock = 1000; // CHILD_BLOCK_INTERVAL
        nextDepositBlock = 1;
    }

    // ----------------------------------------------------------------------------------------------- blocks

    /// @notice Records the operator's next block (`nextChildBlock`) with `root`; deposits then number from it + 1.
    /// @return blknum The block's number.
    function submitBlock(bytes32 root) external returns (uint256 blknum) {
        if (msg.sender != operator) revert NotOperator(msg.sender);
        blknum = nextChildBlock;
        // forge-lint: disable-next-line(unsafe-typecast) a timestamp fits 64 bits
        uint64 timestamp = uint64(block.timestamp);
        blocks[blknum] = Block(root, timestamp);
        // forge-lint: disable-start(unsafe-typecast) block numbers grow by 1000 per L1 transaction
        nextChildBlock = uint64(blknum + CHILD_BLOCK_INTERVAL);
        nextDepositBlock = uint64(blknum + 1);
        // forge-lint: disable-end(unsafe-typecast)
        emit BlockSubmitted(blknum, root, timestamp);
    }

    /// @notice Deposits `msg.value` wei for `owner` as a new deposit block.
    /// @return blknum The deposit block.
    function depositEth(address owner) external payable returns (uint256 blknum) {
        return _deposit(owner, address(0), msg.value);
    }

    /// @notice Deposits `amount` of ERC-20 `token` (pulled from the caller with `transferFrom`: approve first) for
    ///         `owner` as a new deposit block. Tokens that deliver less than `amount` are refused.
    /// @return blknum The deposit block.
    function depositToken(address owner, address token, uint256 amount) external nonReentrant returns (uint256 blknum) {
        if (amount == 0) revert ZeroDeposit();
        if (token.code.length == 0) revert TokenNotContract(token);
        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = IERC20(token).balanceOf(address(this)) - before;
        if (received != amount) revert TokenTransferMismatch(token, amount, received);
        return _deposit(owner, token, amount);
    }

    // ----------------------------------------------------------------------------------------- standard exit

    /// @notice Starts the standard exit of output `utxoPos` (the caller must own it): `txBytes` and `sigs` form the
    ///         leaf included at the position's block and index (`proof`), `msg.value` is `standardExitBond`.
    /// @return exitId The exit's id, its priority key.
    function startStandardExit(uint256 utxoPos, bytes calldata txBytes, bytes calldata sigs, bytes calldata proof)
        external
        payable
        returns (uint256 exitId)
    {
        if (msg.value != standardExitBond) revert ValueMismatch(standardExitBond, msg.value);
        _requireTx(txBytes);
        uint256 oIndex = utxoPos % TX_OFFSET;
        uint256 nOut = PlasmaTx.outputCount(txBytes);
        if (oIndex >= nOut) revert OutputIndexOutOfRange(oIndex, nOut);
        bytes32 txHash = keccak256(txBytes);
        uint64 timestamp = _checkInclusion(utxoPos, txHash, sigs, proof);
        return _startStandardExit(utxoPos, txBytes, outputIdOf(txHash, oIndex), timestamp);
    }

    /// @notice Deletes standard exit `exitId` with a transaction (included or not) that spends the exited output:
    ///         its input `inputIndex` is the exited position and `sig` (65 bytes) is the exit owner's signature of
    ///         it. The bond goes to the caller.
    function challengeSpent(uint256 exitId, bytes calldata spendingTx, uint256 inputIndex, bytes calldata sig)
        external
        nonReentrant
    {
        (bytes32 outputId, address owner) = _standardExit(exitId);
        _requireInput(spendingTx, inputIndex, _positionOf(exitId));
        _checkSignature(_digest(spendingTx), sig, owner);
        _challenged(exitId, outputId, ChallengeKind.Spent);
    }

    /// @notice Deletes standard exit `exitId` by showing its transaction invalid: `exiting` is its leaf (bytes,
    ///         signatures, proof) at its transaction position, and for every input `i` `inputTxs[i]` / `inputSigs[i]`
    ///         / `inputProofs[i]` are the leaf at that input's position (an empty `inputTxs[i]` proves the leaf
    ///         empty; an input whose block was never recorded needs nothing). The transaction is invalid when it has
    ///         no input, its signatures are not 65 bytes per input, an input does not exist (no block, an empty
    ///         leaf, not a transaction, no such output, or not older than the transaction), two inputs spend one
    ///         output id, a signature is not the input owner's, or a token's inputs and outputs do not sum alike.
    ///         The bond goes to the caller.
    function challengeInvalidTx(
        uint256 exitId,
        Inclusion calldata exiting,
        bytes[] calldata inputTxs,
        bytes[] calldata inputSigs,
        bytes[] calldata inputProofs
    ) external nonReentrant {
        bytes32 outputId = _checkExitingTx(exitId, exiting);
        if ((exiting.position / BLOCK_OFFSET) % CHILD_BLOCK_INTERVAL != 0) revert DepositTransaction();
        uint256 nIn = PlasmaTx.inputCount(exiting.txBytes);
        if (inputTxs.length != nIn || inputSigs.length != nIn || inputProofs.length != nIn) revert LengthMismatch();
        if (!_isInvalid(exiting, inputTxs, inputSigs, inputProofs)) revert TransactionValid();
        _challenged(exitId, outputId, ChallengeKind.InvalidTx);
    }

    /// @notice Deletes standard exit `exitId` by showing `competitor`, included at a position older than the
    ///         exiting transaction's (it may be the same transaction included earlier), spending the exiting
    ///         transaction's input `inputIndex` as its input `competitorInputIndex`, signed for it by the key that
    ///         signed that input of the exiting transaction (`exiting`: the exit's leaf at its transaction
    ///         position). If that key is the input's owner, the exiting transaction spends an output spent before;
    ///         if not, the exiting transaction is invalid anyway. The bond goes to the caller.
    function challengeDoubleSpend(
        uint256 exitId,
        Inclusion calldata exiting,
        uint256 inputIndex,
        Inclusion calldata competitor,
        uint256 competitorInputIndex
    ) external nonReentrant {
        bytes32 outputId = _checkExitingTx(exitId, exiting);
        bytes calldata txBytes = exiting.txBytes;
        uint256 nIn = PlasmaTx.inputCount(txBytes);
        if (inputIndex >= nIn) revert InputIndexOutOfRange(inputIndex, nIn);
        if (exiting.sigs.length != 65 * nIn) revert SignaturesLengthMismatch(65 * nIn, exiting.sigs.length);
        address signer = _signer(_digest(txBytes), exiting.sigs[65 * inputIndex:65 * inputIndex + 65]);
        if (competitor.position >= exiting.position) revert CompetitorNotOlder(competitor.position, exiting.position);
        _checkCompetitor(competitor, competitorInputIndex, PlasmaTx.input(txBytes, inputIndex), signer);
        _checkTxInclusion(competitor);
        _challenged(exitId, outputId, ChallengeKind.DoubleSpend);
    }

    // ---------------------------------------------------------------------------------------- in-flight exit

    /// @notice Starts the in-flight exit of transaction `txBytes`: `sigs` are its 65-byte signatures, one per input,
    ///         each by the owner of the output the input spends, and for every input `i` `inputTxs[i]` /
    ///         `inputSigs[i]` / `inputProofs[i]` are the leaf of that output's creating transaction at the input's
    ///         position. Every input must be unpaid and the amounts balance per token; `msg.value` is
    ///         `inFlightExitBond`. One in-flight exit per transaction, ever.
    /// @return exitId The exit's id, its priority key (position: the youngest input).
    function startInFlightExit(
        bytes calldata txBytes,
        bytes calldata sigs,
        bytes[] calldata inputTxs,
        bytes[] calldata inputSigs,
        bytes[] calldata inputProofs
    ) external payable returns (uint256 exitId) {
        if (msg.value != inFlightExitBond) {
            revert ValueMismatch(inFlightExitBond, msg.value);
        }
        InFlightStart memory st = _inFlightOutputs(txBytes, sigs.length);
        if (inputTxs.length != st.nIn || inputSigs.length != st.nIn || inputProofs.length != st.nIn) {
            revert LengthMismatch();
        }
        for (uint256 i = 0; i < st.nIn; i++) {
            _inFlightInput(st, i, inputTxs[i], inputSigs[i], inputProofs[i]);
        }
        for (uint256 i = 0; i < st.nIn; i++) {
            _checkSignature(st.tally.digest, sigs[65 * i:65 * i + 65], st.owners[i]);
        }
        return _finishInFlight(st);
    }

    /// @notice Makes the in-flight exit of `txBytes` non-canonical and removes its input `inputIndex`, before
    ///         `exitableAt − EP/2`: `competitor` is another transaction spending that input (as its input
    ///         `competitorInputIndex`), signed for it by the input's owner, included at `competitor.position` or
    ///         not included (`position` 0). After a response, only a competitor included before the response's
    ///         position is accepted.
    function challengeNonCanonical(
        bytes calldata txBytes,
        uint256 inputIndex,
        Inclusion calldata competitor,
        uint256 competitorInputIndex
    ) external {
        bytes32 txHash = keccak256(txBytes);
        uint256 header = _liveInFlight(txHash);
        uint256 deadline = _exitableAtOf(header) - exitPeriod / 2;
        if (block.timestamp >= deadline) revert NonCanonicalWindowOver(deadline);
        uint256 nIn = (header >> N_IN_SHIFT) & 7;
        if (inputIndex >= nIn) revert InputIndexOutOfRange(inputIndex, nIn);
        if (keccak256(competitor.txBytes) == txHash) revert CompetitorIsTheTransaction();
        address owner = address(uint160(_ifeData[txHash][D_INPUT + inputIndex]));
        _checkCompetitor(competitor, competitorInputIndex, PlasmaTx.input(txBytes, inputIndex), owner);
        uint256 cPos = NOT_INCLUDED;
        if (competitor.position != 0) {
            _checkTxInclusion(competitor);
            cPos = competitor.position;
        }
        uint256 positions = _ifePositions[txHash];
        uint256 responded = positions >> 128;
        if (responded != 0 && cPos >= responded) revert CompetitorNotOlder(cPos, responded);
        uint256 oldest = positions & NOT_INCLUDED;
        if (oldest == 0 || cPos < oldest) _ifePositions[txHash] = (responded << 128) | cPos;
        _ifeHeader[txHash] = header | F_NON_CANONICAL | (REMOVED_IN_0 << inputIndex);
        emit InFlightExitChallenged(txHash, msg.sender, ChallengeKind.NonCanonical, inputIndex, cPos);
    }

    /// @notice Makes the non-canonical in-flight exit of `tx.txBytes` canonical again, before its `exitableAt`, by
    ///         showing the transaction included at `tx.position`, older than every competitor shown.
    function respondToNonCanonical(Inclusion calldata tx_) external {
        bytes32 txHash = keccak256(tx_.txBytes);
        uint256 header = _liveInFlight(txHash);
        uint256 deadline = _exitableAtOf(header);
        if (block.timestamp >= deadline) revert ResponseWindowOver(deadline);
        if (header & F_NON_CANONICAL == 0) revert AlreadyCanonical();
        uint256 oldest = _ifePositions[txHash] & NOT_INCLUDED;
        if (tx_.position >= oldest) revert NotOlderThanCompetitors(tx_.position, oldest);
        for (uint256 i = 0; i < ((header >> N_IN_SHIFT) & 7); i++) {
            // an inclusion before an input's own output was created cannot be the valid one
            if (tx_.position <= PlasmaTx.input(tx_.txBytes, i)) revert InvalidPosition(tx_.position);
        }
        _checkTxInclusion(tx_);
        _ifePositions[txHash] = (tx_.position << 128) | oldest;
        _ifeHeader[txHash] = header & ~F_NON_CANONICAL;
        emit InFlightExitResponded(txHash, msg.sender, tx_.position);
    }

    /// @notice Removes output `outputIndex` of the in-flight exit of `tx.txBytes` (included at `tx.position`, shown
    ///         with its leaf and proof): `spendingTx` (included or not) spends it as its input `inputIndex`, and
    ///         `sig` (65 bytes) is the output owner's signature of it.
    function challengeOutputSpent(
        Inclusion calldata tx_,
        uint256 outputIndex,
        bytes calldata spendingTx,
        uint256 inputIndex,
        bytes calldata sig
    ) external {
        bytes32 txHash = keccak256(tx_.txBytes);
        uint256 header = _liveInFlight(txHash);
        {
            uint256 nOut = (header >> N_OUT_SHIFT) & 7;
            if (outputIndex >= nOut) revert OutputIndexOutOfRange(outputIndex, nOut);
        }
        if ((header >> (REMOVED_OUT_SHIFT + outputIndex)) & 1 != 0) revert OutputAlreadyRemoved(outputIndex);
        _checkTxInclusion(tx_);
        _requireInput(spendingTx, inputIndex, tx_.position + outputIndex);
        _checkSignature(_digest(spendingTx), sig, _outputOwner(tx_, outputIndex));
        _ifeHeader[txHash] = header | (REMOVED_OUT_0 << outputIndex);
        emit InFlightExitChallenged(txHash, msg.sender, ChallengeKind.OutputSpent, outputIndex, 0);
    }

    // ------------------------------------------------------------------------------------------- processing

    /// @notice Processes up to `max` exits from the front of the queue whose `exitableAt` has passed, oldest key
    ///         first: pays each still pending exit (see `ExitFinalized`, `ExitUnfunded`, `ExitSkipped`) and returns
    ///         its bond to its owner or starter; keys of exits challenged away are dropped (and count). Anyone may
    ///         call it.
    /// @return processed Keys popped.
    function processExits(uint256 max) external nonReentrant returns (uint256 processed) {
        while (processed < max && _queue.size != 0) {
            uint256 exitId = _queue.top();
            if (exitId >> 192 > block.timestamp) break;
            _queue.pop();
            unchecked {
                processed++;
            }
            bytes32 id = _exitOf[exitId];
            if (id == bytes32(0)) continue;
            delete _exitOf[exitId];
            Output storage out = _outputs[id];
            if (out.owner != address(0)) _processStandard(exitId, id, out);
            else _processInFlight(exitId, id);
        }
    }

    /// @notice Pays the caller everything credited to it in `token` (`address(0)` = ETH) after failed pushes.
    /// @return amount The amount paid.
    function withdraw(address token) external nonReentrant returns (uint256 amount) {
        amount = withdrawable[token][msg.sender];
        if (amount == 0) revert NothingToWithdraw(token, msg.sender);
        withdrawable[token][msg.sender] = 0;
        emit Withdrawn(token, msg.sender, amount);
        if (token == address(0)) {
            (bool ok,) = msg.sender.call{value: amount}("");
            if (!ok) revert EthTransferFailed(msg.sender, amount);
        } else {
            IERC20(token).safeTransfer(msg.sender, amount);
        }
    }

    // ------------------------------------------------------------------------------------------------ views

    /// @notice Standard exit `exitId`: its output id, owner, token, amount, exited position and `exitableAt`
    ///         (owner 0 when no such exit is pending).
    function getExit(uint256 exitId)
        external
        view
        returns (bytes32 outputId, address owner, address token, uint256 amount, uint256 utxoPos, uint64 exitableAt)
    {
        outputId = _exitOf[exitId];
        Output storage out = _outputs[outputId];
        if (outputId == bytes32(0) || out.owner == address(0)) return (bytes32(0), address(0), address(0), 0, 0, 0);
        // forge-lint: disable-next-line(unsafe-typecast) the key's top 64 bits
        return (outputId, out.owner, out.token, out.amount, _positionOf(exitId), uint64(exitId >> 192));
    }

    /// @notice What exit `exitId` exits while it is pending: an output id (standard) or a transaction hash
    ///         (in-flight); 0 once challenged away or processed.
    function exitOf(uint256 exitId) external view returns (bytes32) {
        return _exitOf[exitId];
    }

    /// @notice The in-flight exit of `txHash` (all zero if none was started). `removedInputs` / `removedOutputs`
    ///         are bit masks; `oldestCompetitor` is 0 when none was shown, `NOT_INCLUDED` for a competitor that is
    ///         not included; `respondedPosition` is the last response's position (0 = none).
    function getInFlightExit(bytes32 txHash)
        external
        view
        returns (
            address starter,
            uint64 exitableAt,
            bool canonical,
            bool finalized,
            uint8 inputCount,
            uint8 outputCount,
            uint8 removedInputs,
            uint8 removedOutputs,
            uint256 oldestCompetitor,
            uint256 respondedPosition
        )
    {
        uint256 h = _ifeHeader[txHash];
        uint256 positions = _ifePositions[txHash];
        // forge-lint: disable-start(unsafe-typecast) fields of the header word
        return (
            address(uint160(h)),
            _exitableAtOf(h),
            h != 0 && h & F_NON_CANONICAL == 0,
            h & F_FINALIZED != 0,
            uint8((h >> N_IN_SHIFT) & 7),
            uint8((h >> N_OUT_SHIFT) & 7),
            uint8((h >> REMOVED_IN_SHIFT) & 15),
            uint8((h >> REMOVED_OUT_SHIFT) & 15),
            positions & NOT_INCLUDED,
            positions >> 128
        );
        // forge-lint: disable-end(unsafe-typecast)
    }

    /// @notice Keys in the exit queue (including those of exits challenged away, dropped when reached).
    function queueSize() external view returns (uint256) {
        return _queue.size;
    }

    /// @notice The smallest key in the exit queue (0 when empty).
    function queueTop() external view returns (uint256) {
        return _queue.top();
    }

    /// @notice Whether `outputId` was paid (or marked paid by an in-flight exit).
    function isOutputPaid(bytes32 outputId) external view returns (bool) {
        return _outputs[outputId].paid;
    }

    /// @notice The id of output `oIndex` of transaction `txHash`: `keccak256(abi.encode(txHash, oIndex))`.
    function outputIdOf(bytes32 txHash, uint256 oIndex) public pure returns (bytes32 id) {
        assembly ("memory-safe") {
            mstore(0x00, txHash)
            mstore(0x20, oIndex)
            id := keccak256(0x00, 0x40)
        }
    }

    /// @notice The EIP-712 digest the input owners sign for transaction `txBytes` (reverts on malformed bytes).
    function hashTransaction(bytes calldata txBytes) external view returns (bytes32) {
        _requireTx(txBytes);
        return _digest(txBytes);
    }

    /// @notice The EIP-712 domain separator (name "l2kit Plasma", version "1", this chain, this contract).
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ------------------------------------------------------------------------------------------------ internal

    /// @dev Records the deposit block of `amount` of `token` for `owner` (the value is already received).
    function _deposit(address owner, address token, uint256 amount) private returns (uint256 blknum) {
        if (amount == 0) revert ZeroDeposit();
        if (owner == address(0)) revert ZeroOwner();
        uint256 total = deposited[token];
        if (amount > MAX_TOTAL_DEPOSIT - total) revert DepositCapExceeded(token, total, amount);
        blknum = nextDepositBlock;
        if (blknum >= nextChildBlock) revert TooManyDeposits();
        // forge-lint: disable-next-line(unsafe-typecast) below nextChildBlock, a uint64
        nextDepositBlock = uint64(blknum + 1);
        deposited[token] = total + amount;
        bytes32 root = PlasmaMerkle.singleLeafRoot(
            keccak256(abi.encodePacked(PlasmaTx.depositTxHash(blknum, owner, token, amount), keccak256("")))
        );
        // forge-lint: disable-next-line(unsafe-typecast) a timestamp fits 64 bits
        blocks[blknum] = Block(root, uint64(block.timestamp));
        emit DepositCreated(blknum, owner, token, amount);
    }

    /// @dev Reverts with the rule `txBytes` breaks, if any.
    function _requireTx(bytes calldata txBytes) private pure {
        (uint256 code, uint256 index) = PlasmaTx.check(txBytes);
        if (code == PlasmaTx.OK) return;
        if (code == PlasmaTx.MALFORMED) revert MalformedTransaction();
        if (code == PlasmaTx.TOO_MANY_INPUTS) revert TooManyInputs(index);
        if (code == PlasmaTx.BAD_OUTPUT_COUNT) revert OutputCountOutOfRange(index);
        if (code == PlasmaTx.ZERO_OWNER) revert ZeroOutputOwner(index);
        if (code == PlasmaTx.ZERO_AMOUNT) revert ZeroOutputAmount(index);
        revert DuplicateInput(index);
    }

    /// @dev Reverts unless `txBytes` is a transaction whose input `inputIndex` is `position`.
    function _requireInput(bytes calldata txBytes, uint256 inputIndex, uint256 position) private pure {
        _requireTx(txBytes);
        uint256 nIn = PlasmaTx.inputCount(txBytes);
        if (inputIndex >= nIn) revert InputIndexOutOfRange(inputIndex, nIn);
        uint256 given = PlasmaTx.input(txBytes, inputIndex);
        if (given != position) revert WrongInput(position, given);
    }

    /// @dev The EIP-712 digest of a checked transaction.
    function _digest(bytes calldata txBytes) private view returns (bytes32) {
        return _hashTypedDataV4(PlasmaTx.structHash(txBytes));
    }

    /// @dev Reverts unless `signature` is a 65-byte low-s signature of `digest` by `signer`.
    function _checkSignature(bytes32 digest, bytes calldata signature, address signer) private pure {
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (err != ECDSA.RecoverError.NoError || recovered != signer) revert BadSignature(signer);
    }

    /// @dev Whether `signature` is a 65-byte low-s signature of `digest` by `signer`.
    function _signedBy(bytes32 digest, bytes calldata signature, address signer) private pure returns (bool) {
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, signature);
        return err == ECDSA.RecoverError.NoError && recovered == signer;
    }

    /// @dev The signer of `digest` by the 65-byte low-s `signature`; reverts `BadSignature(0)` if malformed.
    function _signer(bytes32 digest, bytes calldata signature) private pure returns (address recovered) {
        ECDSA.RecoverError err;
        (recovered, err,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (err != ECDSA.RecoverError.NoError) revert BadSignature(address(0));
    }

    /// @dev Reverts unless the leaf of `txHash` and `sigs` is at `position`'s block and transaction index (its
    ///      output index is ignored). Returns the block's timestamp.
    function _checkInclusion(uint256 position, bytes32 txHash, bytes calldata sigs, bytes calldata proof)
        private
        view
        returns (uint64 timestamp)
    {
        uint256 txIndex = (position % BLOCK_OFFSET) / TX_OFFSET;
        if (txIndex > MAX_TX_INDEX) revert InvalidPosition(position);
        Block storage b = blocks[position / BLOCK_OFFSET];
        timestamp = b.timestamp;
        if (timestamp == 0) revert BlockNotFound(position / BLOCK_OFFSET);
        if (PlasmaMerkle.root(PlasmaMerkle.leaf(txHash, sigs), txIndex, proof) != b.root) {
            revert NotIncluded(position);
        }
    }

    /// @dev Reverts unless `inc` is included at its transaction position (no output index).
    function _checkTxInclusion(Inclusion calldata inc) private view {
        if (inc.position % TX_OFFSET != 0) revert InvalidPosition(inc.position);
        _checkInclusion(inc.position, keccak256(inc.txBytes), inc.sigs, inc.proof);
    }

    /// @dev Reverts unless `competitor` is a transaction whose input `inputIndex` is `spent`, signed for it (its
    ///      `65·inputIndex`-th signature) by `signer`.
    function _checkCompetitor(Inclusion calldata competitor, uint256 inputIndex, uint256 spent, address signer)
        private
        view
    {
        bytes calldata ctx = competitor.txBytes;
        _requireInput(ctx, inputIndex, spent);
        bytes calldata csigs = competitor.sigs;
        if (csigs.length < 65 * inputIndex + 65) revert BadSignature(signer);
        _checkSignature(_digest(ctx), csigs[65 * inputIndex:65 * inputIndex + 65], signer);
    }

    /// @dev `exitableAt` of an exit whose (youngest) output is at `position` in a block recorded at `timestamp`:
    ///      `now + EP` for a deposit block, `max(timestamp + 2·EP, now + EP)` for an operator block.
    function _exitableAt(uint256 position, uint64 timestamp) private view returns (uint64) {
        uint256 soonest = block.timestamp + exitPeriod;
        uint256 aged = uint256(timestamp) + 2 * exitPeriod;
        if ((position / BLOCK_OFFSET) % CHILD_BLOCK_INTERVAL != 0 || aged < soonest) aged = soonest;
        // forge-lint: disable-next-line(unsafe-typecast) timestamps plus at most two years
        return uint64(aged);
    }

    /// @dev The second half of `startStandardExit`, once the leaf is shown included.
    function _startStandardExit(uint256 utxoPos, bytes calldata txBytes, bytes32 outputId, uint64 timestamp)
        private
        returns (uint256 exitId)
    {
        (address owner, address token, uint256 amount) = PlasmaTx.output(txBytes, utxoPos % TX_OFFSET);
        if (owner != msg.sender) revert NotOutputOwner(owner, msg.sender);
        if (amount > MAX_TOTAL_DEPOSIT) revert AmountTooLarge(amount);
        Output storage out = _outputs[outputId];
        if (out.owner != address(0)) revert OutputAlreadyExiting(outputId);
        if (out.paid) revert OutputAlreadyPaid(outputId);
        uint64 exitableAt = _exitableAt(utxoPos, timestamp);
        exitId = _enqueue(exitableAt, utxoPos, outputId);
        // forge-lint: disable-next-line(unsafe-typecast) checked against MAX_TOTAL_DEPOSIT above
        (out.owner, out.amount, out.token) = (owner, uint96(amount), token);
        emit ExitStarted(exitId, owner, utxoPos, outputId, token, amount, exitableAt);
    }

    /// @dev Queues an exit of `id` (output id or transaction hash) and returns its id, the priority key.
    function _enqueue(uint64 exitableAt, uint256 position, bytes32 id) private returns (uint256 exitId) {
        exitId = (uint256(exitableAt) << 192) | (position << 64) | _queue.pushed;
        _queue.push(exitId);
        _exitOf[exitId] = id;
    }

    /// @dev The position bits of an exit id.
    function _positionOf(uint256 exitId) private pure returns (uint256) {
        return (exitId >> 64) & type(uint128).max;
    }

    /// @dev The pending standard exit `exitId`: its output id and owner; reverts `ExitNotFound`.
    function _standardExit(uint256 exitId) private view returns (bytes32 outputId, address owner) {
        outputId = _exitOf[exitId];
        owner = _outputs[outputId].owner;
        if (outputId == bytes32(0) || owner == address(0)) revert ExitNotFound(exitId);
    }

    /// @dev Reverts unless standard exit `exitId` is pending and `exiting` is its leaf at its transaction position.
    ///      Returns the exit's output id.
    function _checkExitingTx(uint256 exitId, Inclusion calldata exiting) private view returns (bytes32 outputId) {
        (outputId,) = _standardExit(exitId);
        uint256 utxoPos = _positionOf(exitId);
        uint256 oIndex = utxoPos % TX_OFFSET;
        if (exiting.position != utxoPos - oIndex) revert WrongPosition(utxoPos - oIndex, exiting.position);
        bytes32 txHash = keccak256(exiting.txBytes);
        if (outputIdOf(txHash, oIndex) != outputId) revert NotTheExitingTransaction();
        _checkInclusion(utxoPos, txHash, exiting.sigs, exiting.proof);
    }

    /// @dev Deletes standard exit `exitId` (keeping its output's paid flag) and pays its bond to the caller.
    function _challenged(uint256 exitId, bytes32 outputId, ChallengeKind kind) private {
        delete _exitOf[exitId];
        Output storage out = _outputs[outputId];
        (out.owner, out.amount, out.token) = (address(0), 0, address(0));
        emit ExitChallenged(exitId, msg.sender, kind);
        _pay(address(0), msg.sender, standardExitBond);
    }

    /// @dev Per-token sums of a transaction's inputs and outputs (at most 8 tokens) and its EIP-712 digest.
    struct Tally {
        bytes32 digest;
        bytes32[4] ids;
        uint256 count;
        address[8] tokens;
        uint256[8] inputs;
        uint256[8] outputs;
    }

    /// @dev The state of an in-flight exit being started.
    struct InFlightStart {
        bytes32 txHash;
        uint256 nIn;
        uint256 nTokens;
        uint256 header;
        uint256 youngest;
        uint64 youngestTimestamp;
        uint256[4] inputs;
        address[4] owners;
        Tally tally;
    }

    /// @dev Whether the exiting transaction `exiting` (its included leaf, in an operator block) is invalid, given
    ///      every input's leaf. Reverts `InputNotProven` when an input's leaf is not shown.
    function _isInvalid(
        Inclusion calldata exiting,
        bytes[] calldata inputTxs,
        bytes[] calldata inputSigs,
        bytes[] calldata inputProofs
    ) private view returns (bool) {
        uint256 nIn = PlasmaTx.inputCount(exiting.txBytes);
        // no input in an operator block: its outputs exceed its (empty) inputs
        if (nIn == 0 || exiting.sigs.length != 65 * nIn) return true;
        Tally memory tally;
        if (!_addOutputs(tally, exiting.txBytes)) return true;
        for (uint256 i = 0; i < nIn; i++) {
            if (_inputInvalid(tally, exiting, i, inputTxs[i], inputSigs[i], inputProofs[i])) return true;
        }
        for (uint256 k = 0; k < tally.count; k++) {
            if (tally.inputs[k] != tally.outputs[k]) return true;
        }
        return false;
    }

    /// @dev Adds the outputs of `txBytes` to `tally` and sets its digest; false on overflow.
    function _addOutputs(Tally memory tally, bytes calldata txBytes) private view returns (bool) {
        uint256 nOut = PlasmaTx.outputCount(txBytes);
        for (uint256 j = 0; j < nOut; j++) {
            (, address token, uint256 amount) = PlasmaTx.output(txBytes, j);
            if (!_add(tally, token, amount, false)) return false;
        }
        tally.digest = _digest(txBytes);
        return true;
    }

    /// @dev Whether input `i` of `exiting` makes it invalid (does not exist, is not signed by its owner, or
    ///      overflows its token's sum); else adds it to `tally`.
    function _inputInvalid(
        Tally memory tally,
        Inclusion calldata exiting,
        uint256 i,
        bytes calldata itx,
        bytes calldata isigs,
        bytes calldata iproof
    ) private view returns (bool) {
        uint256 pos = PlasmaTx.input(exiting.txBytes, i);
        if (pos >= exiting.position) return true; // not created before the transaction
        (bool exists, uint256 at) = _inputOutput(i, pos, itx, isigs, iproof);
        if (!exists) return true;
        // two inputs spending one output (its transaction included twice, at two positions)
        if (_repeatsId(tally, i, outputIdOf(keccak256(itx), pos % TX_OFFSET))) return true;
        if (!_signedBy(tally.digest, exiting.sigs[65 * i:65 * i + 65], address(uint160(_word(at))))) return true;
        return !_add(tally, address(uint160(_word(at + 0x20))), _word(at + 0x40), true);
    }

    /// @dev Records `id` as input `i`'s output id in `tally`; whether an earlier input has the same one.
    function _repeatsId(Tally memory tally, uint256 i, bytes32 id) private pure returns (bool) {
        for (uint256 k = 0; k < i; k++) {
            if (tally.ids[k] == id) return true;
        }
        tally.ids[i] = id;
        return false;
    }

    /// @dev The calldata word at offset `at`.
    function _word(uint256 at) private pure returns (uint256 w) {
        assembly ("memory-safe") {
            w := calldataload(at)
        }
    }

    /// @dev Adds `amount` of `token` to the inputs' or outputs' sum; false on overflow.
    function _add(Tally memory tally, address token, uint256 amount, bool isInput) private pure returns (bool) {
        uint256 k = 0;
        while (k < tally.count && tally.tokens[k] != token) k++;
        if (k == tally.count) {
            tally.tokens[k] = token;
            tally.count = k + 1;
        }
        uint256 before = isInput ? tally.inputs[k] : tally.outputs[k];
        uint256 sum;
        unchecked {
            sum = before + amount;
        }
        if (sum < before) return false;
        if (isInput) tally.inputs[k] = sum;
        else tally.outputs[k] = sum;
        return true;
    }

    /// @dev The output input `index` spends, at `pos`, from its leaf (`itx` / `isigs` / `iproof`; `itx` empty for
    ///      an empty leaf): `exists` false when its block was never recorded, the position cannot be in a block,
    ///      the leaf is empty, not a transaction, or has no such output; else `at`, the output's calldata offset.
    ///      Reverts `InputNotProven` when the leaf shown is not the one at the position.
    function _inputOutput(uint256 index, uint256 pos, bytes calldata itx, bytes calldata isigs, bytes calldata iproof)
        private
        view
        returns (bool exists, uint256 at)
    {
        uint256 oIndex = pos % TX_OFFSET;
        {
            uint256 txIndex = (pos % BLOCK_OFFSET) / TX_OFFSET;
            Block storage b = blocks[pos / BLOCK_OFFSET];
            if (b.timestamp == 0 || txIndex > MAX_TX_INDEX || oIndex >= PlasmaTx.MAX_OUTPUTS) return (false, 0);
            bytes32 leaf = itx.length == 0 ? bytes32(0) : PlasmaMerkle.leaf(keccak256(itx), isigs);
            if (PlasmaMerkle.root(leaf, txIndex, iproof) != b.root) revert InputNotProven(index);
        }
        if (itx.length == 0) return (false, 0);
        (uint256 code,) = PlasmaTx.check(itx);
        if (code != PlasmaTx.OK || oIndex >= PlasmaTx.outputCount(itx)) return (false, 0);
        return (true, PlasmaTx.outputAt(itx, oIndex));
    }

    /// @dev Checks the in-flight transaction, stores its outputs and token list, and starts its header.
    function _inFlightOutputs(bytes calldata txBytes, uint256 sigsLength) private returns (InFlightStart memory st) {
        _requireTx(txBytes);
        uint256 nIn = PlasmaTx.inputCount(txBytes);
        if (nIn == 0) revert NoInputs();
        if (sigsLength != 65 * nIn) revert SignaturesLengthMismatch(65 * nIn, sigsLength);
        bytes32 txHash = keccak256(txBytes);
        if (_ifeHeader[txHash] != 0) revert InFlightExitExists(txHash);
        st.txHash = txHash;
        st.nIn = nIn;
        for (uint256 i = 0; i < nIn; i++) {
            st.inputs[i] = PlasmaTx.input(txBytes, i);
        }
        Tally memory tally = st.tally;
        tally.digest = _digest(txBytes);
        mapping(uint256 => uint256) storage data = _ifeData[txHash];
        uint256 nOut = PlasmaTx.outputCount(txBytes);
        uint256 header = uint256(uint160(msg.sender)) | (nIn << N_IN_SHIFT) | (nOut << N_OUT_SHIFT);
        for (uint256 j = 0; j < nOut; j++) {
            (address owner, address token, uint256 amount) = PlasmaTx.output(txBytes, j);
            if (amount > MAX_TOTAL_DEPOSIT) revert AmountTooLarge(amount);
            _add(tally, token, amount, false); // at most 4 amounts below 2^96: no overflow
            header |= _tokenIndex(tally, token) << (TOKEN_IDX_SHIFT + 8 + 2 * j);
            data[D_OUTPUT + j] = uint256(uint160(owner)) | (amount << 160);
        }
        for (uint256 k = 0; k < tally.count; k++) {
            data[D_TOKEN + k] = uint256(uint160(tally.tokens[k]));
        }
        st.nTokens = tally.count;
        st.header = header;
    }

    /// @dev Verifies input `i` (at `st.inputs[i]`) of the in-flight transaction from its creating transaction's leaf (it
    ///      exists and is unpaid) and records it (its owner, who must have signed it, in `st.owners`).
    function _inFlightInput(
        InFlightStart memory st,
        uint256 i,
        bytes calldata itx,
        bytes calldata isigs,
        bytes calldata iproof
    ) private {
        uint256 pos = st.inputs[i];
        _requireTx(itx);
        uint256 oIndex = pos % TX_OFFSET;
        if (oIndex >= PlasmaTx.outputCount(itx)) revert OutputIndexOutOfRange(oIndex, PlasmaTx.outputCount(itx));
        bytes32 itxHash = keccak256(itx);
        uint256 at = PlasmaTx.outputAt(itx, oIndex);
        uint64 timestamp = _checkInclusion(pos, itxHash, isigs, iproof);
        _recordInput(st, i, timestamp, outputIdOf(itxHash, oIndex), at);
    }

    /// @dev Records input `i` (in a block of `timestamp`, spending `outputId` whose fields are at
    ///      calldata offset `at`) of the in-flight exit being started.
    function _recordInput(InFlightStart memory st, uint256 i, uint64 timestamp, bytes32 outputId, uint256 at) private {
        uint256 pos = st.inputs[i];
        if (_outputs[outputId].paid) revert OutputAlreadyPaid(outputId);
        if (_repeatsId(st.tally, i, outputId)) revert DuplicateInput(i);
        (address owner, address token, uint256 amount) = PlasmaTx.readOutput(at);
        st.owners[i] = owner;
        if (amount > MAX_TOTAL_DEPOSIT) revert AmountTooLarge(amount);
        Tally memory tally = st.tally;
        _add(tally, token, amount, true);
        if (tally.count != st.nTokens) revert AmountsNotBalanced(token);
        st.header |= _tokenIndex(tally, token) << (TOKEN_IDX_SHIFT + 2 * i);
        mapping(uint256 => uint256) storage data = _ifeData[st.txHash];
        data[D_INPUT + i] = uint256(uint160(owner)) | (amount << 160);
        data[D_INPUT_ID + i] = uint256(outputId);
        if (pos > st.youngest) (st.youngest, st.youngestTimestamp) = (pos, timestamp);
    }

    /// @dev Checks the balance of the in-flight exit being started, stores its header and queues it.
    function _finishInFlight(InFlightStart memory st) private returns (uint256 exitId) {
        Tally memory tally = st.tally;
        for (uint256 k = 0; k < st.nTokens; k++) {
            if (tally.inputs[k] != tally.outputs[k]) revert AmountsNotBalanced(tally.tokens[k]);
        }
        uint64 exitableAt = _exitableAt(st.youngest, st.youngestTimestamp);
        _ifeHeader[st.txHash] = st.header | (uint256(exitableAt) << 160);
        exitId = _enqueue(exitableAt, st.youngest, st.txHash);
        emit InFlightExitStarted(exitId, msg.sender, st.txHash, st.youngest, exitableAt);
    }

    /// @dev Index of `token` in `tally.tokens` (it is there).
    function _tokenIndex(Tally memory tally, address token) private pure returns (uint256 k) {
        while (tally.tokens[k] != token) k++;
    }

    /// @dev Owner of output `j` of the (checked) transaction in `inc`.
    function _outputOwner(Inclusion calldata inc, uint256 j) private pure returns (address) {
        return PlasmaTx.ownerOf(inc.txBytes, j);
    }

    /// @dev The header of the pending (started, not processed) in-flight exit of `txHash`.
    function _liveInFlight(bytes32 txHash) private view returns (uint256 header) {
        header = _ifeHeader[txHash];
        if (header == 0 || header & F_FINALIZED != 0) revert InFlightExitNotFound(txHash);
    }

    function _exitableAtOf(uint256 header) private pure returns (uint64) {
        // forge-lint: disable-next-line(unsafe-typecast) a 40-bit field
        return uint64((header >> 160) & 0xff_ffff_ffff);
    }

    /// @dev Pays a standard exit (unless its output was paid meanwhile, or the payout is unfunded) and returns its
    ///      bond to its owner in every case.
    function _processStandard(uint256 exitId, bytes32 outputId, Output storage out) private {
        (address owner, uint256 amount, address token, bool wasPaid) = (out.owner, out.amount, out.token, out.paid);
        (out.owner, out.amount, out.token) = (address(0), 0, address(0));
        if (wasPaid) {
            emit ExitSkipped(exitId, outputId);
        } else if (_fund(exitId, outputId, token, amount)) {
            out.paid = true;
            emit ExitFinalized(exitId, outputId, owner, token, amount);
            _pay(token, owner, amount);
        }
        _pay(address(0), owner, standardExitBond);
    }

    /// @dev Pays an in-flight exit: its outputs when canonical and none of its inputs was paid meanwhile, else its
    ///      inputs; skips removed entries and paid output ids; marks the paid entries, a canonical exit's inputs and
    ///      a non-canonical exit's outputs paid; returns the bond to the starter.
    function _processInFlight(uint256 exitId, bytes32 txHash) private {
        uint256 header = _ifeHeader[txHash];
        mapping(uint256 => uint256) storage data = _ifeData[txHash];
        uint256 nIn = (header >> N_IN_SHIFT) & 7;
        uint256 nOut = (header >> N_OUT_SHIFT) & 7;
        bool canonical = header & F_NON_CANONICAL == 0;
        for (uint256 i = 0; canonical && i < nIn; i++) {
            if (_outputs[bytes32(data[D_INPUT_ID + i])].paid) canonical = false;
        }
        for (uint256 i = 0; i < nIn; i++) {
            bytes32 id = bytes32(data[D_INPUT_ID + i]);
            if (canonical) _outputs[id].paid = true;
            else if ((header >> (REMOVED_IN_SHIFT + i)) & 1 == 0) _payEntry(exitId, id, data, header, i);
            (data[D_INPUT + i], data[D_INPUT_ID + i]) = (0, 0);
        }
        for (uint256 j = 0; j < nOut; j++) {
            bytes32 id = outputIdOf(txHash, j);
            if (!canonical) _outputs[id].paid = true;
            else if ((header >> (REMOVED_OUT_SHIFT + j)) & 1 == 0) _payEntry(exitId, id, data, header, 4 + j);
            data[D_OUTPUT + j] = 0;
        }
        for (uint256 k = 0; k < 4 && data[D_TOKEN + k] != 0; k++) {
            data[D_TOKEN + k] = 0;
        }
        _ifeHeader[txHash] = header | F_FINALIZED;
        emit InFlightExitFinalized(exitId, txHash, canonical);
        // forge-lint: disable-next-line(unsafe-typecast) the header's starter field
        _pay(address(0), address(uint160(header)), inFlightExitBond);
    }

    /// @dev Pays entry `e` (input 0..3, output 4..7) of an in-flight exit for output id `id`, unless paid or
    ///      unfunded.
    function _payEntry(uint256 exitId, bytes32 id, mapping(uint256 => uint256) storage data, uint256 header, uint256 e)
        private
    {
        Output storage out = _outputs[id];
        if (out.paid) {
            emit ExitSkipped(exitId, id);
            return;
        }
        uint256 entry = data[e < 4 ? D_INPUT + e : D_OUTPUT + e - 4];
        address token = address(uint160(data[D_TOKEN + ((header >> (TOKEN_IDX_SHIFT + 2 * e)) & 3)]));
        // forge-lint: disable-next-line(unsafe-typecast) the entry's owner field
        address owner = address(uint160(entry));
        uint256 amount = entry >> 160;
        if (!_fund(exitId, id, token, amount)) return;
        out.paid = true;
        emit ExitFinalized(exitId, id, owner, token, amount);
        _pay(token, owner, amount);
    }

    /// @dev Books `amount` of `token` as paid unless that would exceed what was deposited (then `ExitUnfunded`).
    function _fund(uint256 exitId, bytes32 outputId, address token, uint256 amount) private returns (bool) {
        uint256 total = paid[token] + amount;
        if (total > deposited[token]) {
            emit ExitUnfunded(exitId, outputId, token, amount);
            return false;
        }
        paid[token] = total;
        return true;
    }

    /// @dev Pushes `amount` of `token` to `to` with a gas cap; credits it to `withdrawable` if the push fails.
    function _pay(address token, address to, uint256 amount) private {
        if (amount == 0) return;
        bool ok;
        if (token == address(0)) {
            uint256 gasLimit = ETH_PUSH_GAS;
            assembly ("memory-safe") {
                ok := call(gasLimit, to, amount, 0, 0, 0, 0) // no return data copied
            }
        } else {
            bytes memory data = abi.encodeCall(IERC20.transfer, (to, amount));
            uint256 gasLimit = TOKEN_PUSH_GAS;
            assembly ("memory-safe") {
                // at most 32 bytes of return data copied (to scratch space); SafeERC20's rule: no data and code,
                // or a 32-byte true
                ok := call(gasLimit, token, 0, add(data, 0x20), mload(data), 0x00, 0x20)
                if ok {
                    switch returndatasize()
                    case 0 { ok := gt(extcodesize(token), 0) }
                    default { ok := and(gt(returndatasize(), 31), eq(mload(0x00), 1)) }
                }
            }
        }
        if (!ok) {
            withdrawable[token][to] += amount;
            emit PayoutCredited(token, to, amount);
        }
    }
}
