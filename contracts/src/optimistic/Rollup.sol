// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {BlobData} from "../common/BlobData.sol";
import {DataSource} from "./DataSource.sol";
import {IPortal} from "./IPortal.sol";
import {IRollup} from "./IRollup.sol";
import {StateCommitment} from "./StateCommitment.sol";
import {StepVerifier, StepVerifierExecutor} from "./StepVerifier.sol";

/// @title Rollup
/// @notice L1 record of l2kit's optimistic rollup: the batcher appends batches of L2 blocks (data in blobs or in
///         calldata, committed by hash), and anyone with a bond proposes the state after the next batch together
///         with the batch's trace (the state commitment after each row). A proposal is final `challengeWindow`
///         seconds after it was made unless a challenge deleted it; then the portal pays withdrawals against it and
///         its bond returns. Challenges are non-interactive: one transaction proves the trace's bounds, its step
///         count or one step wrong (docs/optimistic.md, the normative spec).
///         Censorship resistance (docs/optimistic.md "Force inclusion"): anyone may queue an L2 transaction here
///         (`queueForcedTx`); once it has waited `inclusionWindow` seconds anyone may append it, with the queued
///         transactions before it, as a forced batch the contract builds itself (`appendForcedBatch`). The same
///         call forces in the portal's deposits that have waited `inclusionWindow` seconds (deposit rows).
/// @dev Batches are not checked for continuity here: derivation ignores invalid batches whole, so the L1 record
///      must accept them rather than wedge the chain. Challenge payouts are pulled (`withdrawPayout`), so a
///      proposer that refuses ETH cannot make a losing challenge revert.
contract Rollup is IRollup, ReentrancyGuardTransient {
    /// @notice A batch of consecutive L2 blocks as committed on L1.
    /// @param dataHash keccak256 of the batch data (calldata path) or of the concatenated blob versioned hashes.
    /// @param firstL2Block Number of the batch's first L2 block (as declared by the batcher).
    /// @param l2BlockCount Number of L2 blocks in the batch (as declared).
    /// @param depositCountAfter Deposits applied after the batch's last block (as declared).
    /// @param isBlob Whether the data is in blobs (`appendBatch`) or in calldata (`appendBatchCalldata`,
    ///        `appendForcedBatch`).
    /// @param forced Whether the batch is a forced batch (`appendForcedBatch`): calldata data built by the contract
    ///        (header with firstBlockNumber 0 ‖ deposit rows ‖ queued tx rows), valid by construction;
    ///        `firstL2Block` and `l2BlockCount` are 0 and `depositCountAfter` is the caller's `dueDepositCount` when
    ///        it has deposit rows, else the previous batch's.
    /// @param l1Block L1 block that included the batch.
    /// @param appendedAt L1 timestamp of that block.
    struct Batch {
        bytes32 dataHash;
        uint64 firstL2Block;
        uint32 l2BlockCount;
        uint64 depositCountAfter;
        bool isBlob;
        bool forced;
        uint64 l1Block;
        uint64 appendedAt;
    }

    /// @notice A transaction queued for force inclusion.
    /// @param hash keccak256 of its 124-byte v3 tx row.
    /// @param queuedAt L1 timestamp of the queuing block; the row is due at `queuedAt + inclusionWindow`.
    struct ForcedTx {
        bytes32 hash;
        uint64 queuedAt;
    }

    /// @notice A proposal: the L2 state after deriving every batch up to and including `batchIndex`, with the trace
    ///         of that batch (the state commitment after each of its rows, docs/optimistic.md "Trace").
    /// @param stateRoot `keccak256(accountsRoot ‖ withdrawalsRoot)` of the end state; withdrawals prove against it.
    /// @param commitment `StateCommitment.commitment(end)`, the trace's last leaf.
    /// @param traceHash keccak256 of the trace blobs' versioned hashes (blob trace) or of the trace bytes (calldata).
    /// @param batchIndex The batch the proposal covers (its live parent's batch + 1, or 0).
    /// @param l2BlockNumber `end.blockNumber`, the last L2 block covered.
    /// @param bond Wei locked with the proposal.
    /// @param proposer Account that posted the proposal and its bond.
    /// @param proposedAt L1 timestamp of the proposal; final at `proposedAt + challengeWindow` unless deleted.
    /// @param deleted Whether the proposal was deleted: slashed, or built on a slashed proposal (it never finalizes).
    ///        Stored for the slashed one only; `getProposal` computes it for all.
    /// @param bondClaimed Whether the bond was paid back (or slashed).
    /// @param traceIsBlob Whether the trace is in blobs (`propose`) or was given as calldata (`proposeCalldata`).
    /// @param slashed Whether a challenge proved this proposal wrong (its bond was split and burnt).
    /// @param stepCount Number of steps of the trace (leaves L0..L_stepCount): the batch's row count, or 0 for an
    ///        invalid batch.
    struct Proposal {
        bytes32 stateRoot;
        bytes32 commitment;
        bytes32 traceHash;
        uint64 batchIndex;
        uint64 l2BlockNumber;
        uint128 bond;
        address proposer;
        uint64 proposedAt;
        bool deleted;
        bool bondClaimed;
        bool traceIsBlob;
        bool slashed;
        uint64 stepCount;
    }

    /// @notice Most blobs one L1 transaction can carry.
    uint256 public constant MAX_BLOBS_PER_BATCH = 6;
    /// @notice Batch data v3: version byte.
    uint8 public constant BATCH_VERSION = 3;
    /// @notice Batch data v3: header bytes (version, firstBlockNumber, rowCount, 14 zero bytes).
    uint256 public constant HEADER_BYTES = 27;
    /// @notice Batch data v3: bytes per row (4 field elements of payload).
    uint256 public constant ROW_BYTES = 124;
    /// @notice Batch data v3: row type of a transaction (the only row type that can be forced).
    uint8 public constant ROW_TYPE_TX = 0;
    /// @notice Batch data v3: row type of a deposit (type byte 1, 123 zero bytes).
    uint8 public constant ROW_TYPE_DEPOSIT = 1;
    /// @notice Batch data v3: row type of a block end.
    uint8 public constant ROW_TYPE_BLOCK_END = 2;
    /// @notice Most queued transaction rows one forced batch may carry.
    uint256 public constant MAX_FORCED_ROWS = 64;
    /// @notice Most deposit rows one forced batch may carry (before its transaction rows).
    uint256 public constant MAX_FORCED_DEPOSIT_ROWS = 64;
    /// @notice Largest calldata batch (`appendBatchCalldata`). With `MAX_CALLDATA_TRACE_BYTES` and the fixed 16,128-byte
    ///         step witness, every challenge transaction stays under 128 KiB, the largest transaction geth's and
    ///         reth's public pools accept, so a challenger never needs a private builder (528 rows at most).
    uint256 public constant MAX_CALLDATA_BATCH_BYTES = 64 * 1024;
    /// @notice Largest calldata trace (`proposeCalldata`): 768 leaves, more than any calldata batch needs; a longer
    ///         trace (a blob batch of more rows) must go in blobs (`propose`).
    uint256 public constant MAX_CALLDATA_TRACE_BYTES = 24 * 1024;
    /// @notice Gas whose price (at the queuing block's base fee) `queueForcedTx` charges and burns: every forced
    ///         batch makes the proposers post a proposal (~160k gas and a bond locked for a window), so queuing
    ///         must cost a flooder more than its batches cost the proposers.
    uint256 public constant FORCED_TX_FEE_GAS = 300_000;
    /// @notice L1 blocks a challenge reward is held before it is paid (`claimChallengeReward`), during which a
    ///         challenger that committed to the same evidence earlier takes it over (`contestChallengeReward`): a
    ///         copier that commits after seeing a reveal held up in the mempool wins the race, not the reward.
    uint256 public constant REWARD_DELAY_BLOCKS = 10;
    /// @notice Bytes per trace leaf (one state commitment).
    uint256 public constant LEAF_BYTES = 32;
    /// @notice Where the burnt half of a slashed bond goes.
    address public constant BURN_ADDRESS = 0x000000000000000000000000000000000000dEaD;

    /// @notice Challenge kind 1: the blob trace's length prefix, first leaf or last leaf.
    uint8 public constant KIND_TRACE_BOUNDS = 1;
    /// @notice Challenge kind 2: the proposal's step count against the batch's header and last row.
    uint8 public constant KIND_STEP_COUNT = 2;
    /// @notice Challenge kind 3: one step re-executed on L1.
    uint8 public constant KIND_STEP = 3;

    /// @notice `challengeTraceBounds` bound: the trace's length prefix must be `32·(stepCount + 1)`.
    uint8 public constant BOUND_LENGTH = 0;
    /// @notice `challengeTraceBounds` bound: leaf 0 must be the parent's commitment (genesis for the first).
    uint8 public constant BOUND_FIRST_LEAF = 1;
    /// @notice `challengeTraceBounds` bound: leaf `stepCount` must be the proposal's commitment.
    uint8 public constant BOUND_LAST_LEAF = 2;

    /// @notice The portal whose deposit queue batches consume.
    IPortal public immutable portal;
    /// @notice The only account allowed to append batches.
    address public immutable batcher;
    /// @notice Seconds after which an undeleted proposal is final.
    uint256 public immutable challengeWindow;
    /// @notice Exact wei each proposal must lock.
    uint256 public immutable proposalBond;
    /// @notice Exact wei each challenge must lock.
    uint256 public immutable challengeBond;
    /// @notice State root of L2 genesis (block 0).
    bytes32 public immutable genesisStateRoot;
    /// @notice State commitment of L2 genesis: leaf 0 of the first proposal's trace.
    bytes32 public immutable genesisCommitment;
    /// @notice L2 chain id (signatures of re-executed transactions are bound to it).
    uint256 public immutable l2ChainId;
    /// @notice L2 base fee per gas that re-executed transactions pay.
    uint256 public immutable l2BaseFee;
    /// @notice Runs `StepVerifier.executeRow` for challenge kind 3: with the library inlined the Rollup would pass
    ///         the EIP-170 runtime limit, so its code lives in this contract, created by the constructor.
    StepVerifierExecutor public immutable stepExecutor;
    /// @notice Seconds a queued transaction waits for the sequencer before anyone may force it in
    ///         (`appendForcedBatch`).
    uint256 public immutable inclusionWindow;

    Batch[] private _batches;
    Proposal[] private _proposals;
    /// @dev Index + 1 of the newest undeleted proposal; 0 when there is none.
    uint256 private _lastLivePlusOne;
    /// @dev For proposal `i`, the value `_lastLivePlusOne` had when `i` was proposed (its parent + 1, 0 = genesis),
    ///      stored as the distance `i - value` so the usual case (the previous proposal, value == i) costs no storage
    ///      write. `_deleteFrom` uses it to find the newest proposal that survives a deletion.
    mapping(uint256 proposalIndex => uint256) private _previousLiveDistance;
    /// @dev Proposals invalidated by won challenges, as disjoint index ranges sorted by start: entry `k < _rangeCount`
    ///      packs `from` (high 128 bits) and `to` (low 128 bits), meaning proposals `from .. to − 1` are deleted
    ///      (proposal `from` was slashed; the others were built on it). Entries at `k >= _rangeCount` are stale.
    mapping(uint256 k => uint256) private _ranges;
    /// @dev Number of live entries of `_ranges`.
    uint256 private _rangeCount;
    /// @notice L1 block in which each challenge commitment was made (`commitChallenge`); 0 = none.
    mapping(bytes32 commitment => uint256) public challengeCommittedAt;

    /// @notice The reward of the challenge that slashed a proposal, held `REWARD_DELAY_BLOCKS` so that whoever
    ///         committed to the same evidence first can take it over (`contestChallengeReward`).
    /// @param holder Who gets it: the winner, or an earlier committer that contested.
    /// @param committedAt L1 block of the holder's commitment.
    /// @param claimableAt First L1 block at which `claimChallengeReward` pays it.
    /// @param amount Wei (half the slashed bond); 0 once paid.
    /// @param callHash keccak256 of the winning challenge's calldata.
    struct PendingReward {
        address holder;
        uint64 committedAt;
        uint64 claimableAt;
        uint128 amount;
        bytes32 callHash;
    }

    mapping(uint256 proposalIndex => PendingReward) private _rewards;
    /// @notice Wei owed to each account by settled challenges, paid by `withdrawPayout`.
    mapping(address account => uint256) public payouts;
    /// @dev The forced-transaction queue: entry `i` is the `i`-th `queueForcedTx`.
    mapping(uint256 index => ForcedTx) private _forcedTxs;
    /// @dev Number of queued forced transactions (packed with the next field in one slot).
    uint64 private _forcedTxCount;
    /// @dev Number of queued forced transactions appended by `appendForcedBatch` (a prefix of the queue).
    uint64 private _forcedIncludedCount;
    /// @dev Deposits forced batches have covered: each deposit is forced at most once, so deposit rows cannot be
    ///      used to append forced batches for free (each batch costs every proposer a proposal).
    uint64 private _forcedDepositCount;

    /// @notice The batcher appended batch `batchIndex`. `blobHashes` lists the versioned hashes of its blobs
    ///         (empty for calldata batches, whose data is the input of the appending transaction).
    event BatchAppended(
        uint256 indexed batchIndex,
        uint64 firstL2Block,
        uint32 l2BlockCount,
        uint64 depositCountAfter,
        bool isBlob,
        bytes32 dataHash,
        bytes32[] blobHashes
    );
    /// @notice `queuedBy` queued forced transaction `index`: its v3 tx row, due at `queuedAt + inclusionWindow`.
    event ForcedTxQueued(uint256 indexed index, address indexed queuedBy, bytes row, uint64 queuedAt);
    /// @notice Batch `batchIndex` is a forced batch: its deposit rows (type 1) then the queued transactions
    ///         `firstForcedIndex ..` (as many as it has tx rows); `data` is its whole batch data (header ‖ deposit rows
    ///         ‖ tx rows; `keccak256(data)` is its data hash). Emitted just before the batch's `BatchAppended`.
    event ForcedBatchAppended(uint256 indexed batchIndex, uint256 firstForcedIndex, bytes data);
    /// @notice Proposal `proposalIndex` claims the state after batch `batchIndex`. A challenger reads the trace from
    ///         `traceBlobHashes` (blob trace: the versioned hashes of the proposing transaction's blobs, leaf s at
    ///         payload offset 4 + 32s) or from the proposing transaction's input (calldata trace, empty list).
    event StateRootProposed(
        uint256 indexed proposalIndex,
        uint256 indexed batchIndex,
        address indexed proposer,
        bytes32 stateRoot,
        bytes32 commitment,
        uint64 l2BlockNumber,
        uint64 stepCount,
        bool traceIsBlob,
        bytes32 traceHash,
        bytes32[] traceBlobHashes
    );
    /// @notice Proposals `fromProposalIndex` up to (excluding) `toProposalIndex` are deleted: the first was slashed,
    ///         the others were built on it (some may have been deleted already); none will ever finalize.
    event ProposalsDeleted(uint256 indexed fromProposalIndex, uint256 toProposalIndex);
    /// @notice The bond of a finalized proposal was paid back to its proposer.
    event BondClaimed(uint256 indexed proposalIndex, address indexed proposer, uint256 amount);
    /// @notice Proposal `proposalIndex` was built on a slashed proposal: its bond (`amount`) is forfeited and burnt.
    event BondForfeited(uint256 indexed proposalIndex, address indexed proposer, uint256 amount);
    /// @notice The reward for slashing proposal `proposalIndex` moved from `from` to `to`, whose commitment to the same
    ///         evidence is older.
    event ChallengeRewardContested(uint256 indexed proposalIndex, address indexed from, address indexed to);
    /// @notice The reward for slashing proposal `proposalIndex` was credited to `holder`'s payouts.
    event ChallengeRewardClaimed(uint256 indexed proposalIndex, address indexed holder, uint256 amount);
    /// @notice `challenger` committed to a challenge (`commitment = keccak256(abi.encode(challenger,
    ///         keccak256(challengeCalldata)))`); only a committed challenger can win, from the next block on.
    event ChallengeCommitted(bytes32 indexed commitment, address indexed challenger);
    /// @notice A challenge proved proposal `proposalIndex` wrong: it and every later proposal are deleted;
    ///         `challengerPayout` (the challenge bond + half the proposal bond) is owed to the challenger, `burnt` went
    ///         to `BURN_ADDRESS`. `step`: kind 1 the bound (0 length, 1 first leaf, 2 last leaf), kind 2 the step
    ///         count the batch proves, kind 3 the step.
    event ChallengeWon(
        uint256 indexed proposalIndex,
        uint8 indexed kind,
        address indexed challenger,
        uint64 step,
        uint256 challengerPayout,
        uint256 burnt
    );
    /// @notice A challenge's evidence showed proposal `proposalIndex` right: the challenge bond (`proposerPayout`) is
    ///         owed to the proposer. `step` as in `ChallengeWon`.
    event ChallengeLost(
        uint256 indexed proposalIndex,
        uint8 indexed kind,
        address indexed challenger,
        uint64 step,
        address proposer,
        uint256 proposerPayout
    );
    /// @notice `account` withdrew what challenges owed it.
    event PayoutWithdrawn(address indexed account, uint256 amount);

    /// @notice A constructor address argument is zero.
    error ZeroAddress();
    /// @notice The proposal bond does not fit the 128 bits stored per proposal.
    error BondTooLarge(uint256 proposalBond);
    /// @notice Only the batcher may append batches.
    error NotBatcher(address caller);
    /// @notice `blobCount` is 0 or above `MAX_BLOBS_PER_BATCH`.
    error InvalidBlobCount(uint256 blobCount);
    /// @notice The transaction carries no blob at `blobIndex` (blobhash is zero).
    error MissingBlob(uint256 blobIndex);
    /// @notice A calldata batch without data.
    error EmptyBatchData();
    /// @notice A calldata batch over `MAX_CALLDATA_BATCH_BYTES` (blob batches have no such limit).
    error BatchDataTooLarge(uint256 length, uint256 max);
    /// @notice A calldata trace over `MAX_CALLDATA_TRACE_BYTES`: propose it in blobs.
    error TraceTooLarge(uint256 length, uint256 max);
    /// @notice A batch declaring zero L2 blocks.
    error EmptyBatch();
    /// @notice The batch consumes deposits the portal has not queued yet.
    error DepositCountTooHigh(uint64 depositCountAfter, uint256 portalDepositCount);
    /// @notice `msg.value` is not exactly the required bond (proposal or challenge).
    error IncorrectBond(uint256 sent, uint256 required);
    /// @notice No batch with this index.
    error UnknownBatch(uint256 batchIndex);
    /// @notice The batch's recorded data hash is not the one the proposer expected (an L1 reorg moved batches).
    error BatchDataHashMismatch(uint256 batchIndex, bytes32 recorded, bytes32 expected);
    /// @notice A proposal must name the batch after its live parent's (0 when there is no live proposal).
    error UnexpectedBatchIndex(uint256 batchIndex, uint256 expected);
    /// @notice A blob trace of `stepCount + 1` leaves does not fit in `traceBlobCount` blobs.
    error TraceExceedsBlobs(uint256 stepCount, uint256 traceBlobCount);
    /// @notice A calldata trace whose length is zero or not a multiple of 32.
    error InvalidTraceLength(uint256 length);
    /// @notice A calldata trace whose leaf 0 is not the parent's commitment.
    error TraceStartMismatch(bytes32 expected, bytes32 actual);
    /// @notice A calldata trace whose last leaf is not the commitment of the proposed end state.
    error TraceEndMismatch(bytes32 expected, bytes32 actual);
    /// @notice No proposal with this index.
    error UnknownProposal(uint256 proposalIndex);
    /// @notice The proposal is unknown, deleted, or still inside its challenge window.
    error ProposalNotFinalized(uint256 proposalIndex);
    /// @notice The proposal is already deleted.
    error ProposalAlreadyDeleted(uint256 proposalIndex);
    /// @notice The proposal is final (its challenge window is over) and can no longer be challenged or deleted.
    error ProposalAlreadyFinal(uint256 proposalIndex);
    /// @notice The bond of this proposal was already paid back.
    error BondAlreadyClaimed(uint256 proposalIndex);
    /// @notice The bond of this proposal was slashed by a winning challenge.
    error BondSlashed(uint256 proposalIndex);
    /// @notice A winning challenge needs the sender's commitment to this exact call, made in an earlier block
    ///         (`commitChallenge`), so nobody can copy a pending challenge and take its reward.
    error ChallengeNotCommitted(bytes32 commitment);
    /// @notice No reward is held for this proposal (it was not slashed, or its reward was paid).
    error NoPendingReward(uint256 proposalIndex);
    /// @notice The reward is held until `claimableAt`.
    error RewardNotClaimableYet(uint256 proposalIndex, uint256 claimableAt);
    /// @notice The reward was already claimable: too late to contest it.
    error RewardNoLongerContestable(uint256 proposalIndex);
    /// @notice The caller has no commitment to the winning evidence older than the holder's.
    error NoEarlierCommitment(uint256 proposalIndex);
    /// @notice Sending the bond to the proposer failed.
    error BondTransferFailed(address proposer, uint256 amount);
    /// @notice `challengeTraceBounds` on a calldata trace: its bounds were checked when it was proposed.
    error TraceBoundsCheckedAtProposal(uint256 proposalIndex);
    /// @notice `challengeTraceBounds` with a bound other than 0, 1, 2.
    error InvalidTraceBound(uint8 bound);
    /// @notice The parent state header does not hash to the parent's commitment (genesis for the first proposal).
    error ParentHeaderMismatch(bytes32 expected, bytes32 actual);
    /// @notice `challengeStep` with a step outside `1..stepCount`.
    error InvalidStep(uint256 step, uint256 stepCount);
    /// @notice The pre-state header does not hash to trace leaf `step − 1`.
    error PreStateMismatch(bytes32 leaf, bytes32 actual);
    /// @notice Sending the burnt half of a slashed bond to `BURN_ADDRESS` failed.
    error BurnFailed(uint256 amount);
    /// @notice `withdrawPayout` with nothing owed.
    error NothingToWithdraw(address account);
    /// @notice Sending a payout failed.
    error PayoutTransferFailed(address account, uint256 amount);
    /// @notice The inclusion window does not fit in 64 bits.
    error InclusionWindowTooLarge(uint256 inclusionWindowSeconds);
    /// @notice `queueForcedTx` paid less than `forcedTxFee()`.
    error ForcedTxFeeTooLow(uint256 sent, uint256 required);
    /// @notice `appendForcedBatch` stopped before a queued transaction that is due: a forced batch takes every due
    ///         queued transaction (up to `MAX_FORCED_ROWS`), so a queue cannot be split into one batch per row.
    error DueForcedTxLeftOut(uint256 index);
    /// @notice Refunding the part of a forced transaction fee above `forcedTxFee()` failed.
    error FeeRefundFailed(uint256 amount);
    /// @notice `queueForcedTx` with a row that is not 124 bytes long.
    error InvalidForcedRowLength(uint256 length);
    /// @notice `queueForcedTx` with a row whose type byte is not 0 (a tx row).
    error ForcedRowNotATx(uint8 rowType);
    /// @notice `appendForcedBatch` without rows (no deposit row and no transaction row).
    error NoForcedRows();
    /// @notice `appendForcedBatch` with more than `MAX_FORCED_ROWS` transaction rows.
    error TooManyForcedRows(uint256 rowCount);
    /// @notice `appendForcedBatch` with more than `MAX_FORCED_DEPOSIT_ROWS` deposit rows.
    error TooManyForcedDepositRows(uint256 depositRows);
    /// @notice Deposit rows must cover deposits no forced batch covered yet, one row each: exactly
    ///         `dueDepositCount − forcedDepositCount()` rows, and at least one.
    error ForcedDepositsNotNew(uint256 dueDepositCount, uint256 forcedDepositCount, uint256 depositRows);
    /// @notice Portal deposit `index` may be forced in only from `dueAt` (its `depositQueuedAt + inclusionWindow`).
    error ForcedDepositNotDue(uint256 index, uint256 dueAt);
    /// @notice No forced transaction with this index has been queued.
    error ForcedTxNotQueued(uint256 index);
    /// @notice Forced transaction `index` may be forced in only from `dueAt` (its `queuedAt + inclusionWindow`).
    error ForcedTxNotDue(uint256 index, uint256 dueAt);
    /// @notice The row given for forced transaction `index` is not the queued one (its hash differs).
    error ForcedRowMismatch(uint256 index);

    modifier onlyBatcher() {
        if (msg.sender != batcher) revert NotBatcher(msg.sender);
        _;
    }

    /// @param portal_ The `Portal` (its `initialize` is then called with this rollup).
    /// @param batcher_ The account allowed to append batches.
    /// @param challengeWindowSeconds Seconds until a proposal is final.
    /// @param proposalBond_ Exact wei each proposal locks.
    /// @param challengeBond_ Exact wei each challenge locks.
    /// @param genesis State header of L2 block 0 (leaf 0 of the first trace).
    /// @param l2ChainId_ L2 chain id.
    /// @param l2BaseFee_ L2 base fee per gas.
    /// @param inclusionWindowSeconds Seconds a queued forced transaction waits before `appendForcedBatch` may take
    ///        it (below 2^64).
    constructor(
        address portal_,
        address batcher_,
        uint256 challengeWindowSeconds,
        uint256 proposalBond_,
        uint256 challengeBond_,
        StateCommitment.StateHeader memory genesis,
        uint256 l2ChainId_,
        uint256 l2BaseFee_,
        uint256 inclusionWindowSeconds
    ) {
        if (portal_ == address(0) || batcher_ == address(0)) revert ZeroAddress();
        if (proposalBond_ > type(uint128).max) revert BondTooLarge(proposalBond_);
        if (inclusionWindowSeconds > type(uint64).max) revert InclusionWindowTooLarge(inclusionWindowSeconds);
        portal = IPortal(portal_);
        batcher = batcher_;
        challengeWindow = challengeWindowSeconds;
        proposalBond = proposalBond_;
        challengeBond = challengeBond_;
        genesisStateRoot = StateCommitment.stateRoot(genesis);
        genesisCommitment = StateCommitment.commitment(genesis);
        stepExecutor = new StepVerifierExecutor();
        l2ChainId = l2ChainId_;
        l2BaseFee = l2BaseFee_;
        inclusionWindow = inclusionWindowSeconds;
    }

    // ----------------------------------------------------------------- batches

    /// @notice Appends a batch whose data is in the first `blobCount` blobs of this (type 3) transaction.
    ///         `dataHash = keccak256(abi.encodePacked(versionedHashes))`.
    /// @param firstL2Block Number of the batch's first L2 block.
    /// @param l2BlockCount Number of L2 blocks in the batch.
    /// @param depositCountAfter Deposits applied after the batch's last block; at most `portal.depositCount()`.
    /// @param blobCount Number of blobs carrying the data, 1..6.
    /// @return batchIndex Index of the new batch.
    function appendBatch(uint64 firstL2Block, uint32 l2BlockCount, uint64 depositCountAfter, uint8 blobCount)
        external
        onlyBatcher
        returns (uint256 batchIndex)
    {
        bytes32[] memory blobHashes = _blobHashes(blobCount);
        bytes32 dataHash = keccak256(abi.encodePacked(blobHashes));
        return _append(firstL2Block, l2BlockCount, depositCountAfter, true, dataHash, blobHashes);
    }

    /// @notice Appends a batch whose data is `data` itself (derivation reads it from this transaction's input).
    ///         `dataHash = keccak256(data)`.
    /// @param firstL2Block Number of the batch's first L2 block.
    /// @param l2BlockCount Number of L2 blocks in the batch.
    /// @param depositCountAfter Deposits applied after the batch's last block; at most `portal.depositCount()`.
    /// @param data The batch data.
    /// @return batchIndex Index of the new batch.
    function appendBatchCalldata(
        uint64 firstL2Block,
        uint32 l2BlockCount,
        uint64 depositCountAfter,
        bytes calldata data
    ) external onlyBatcher returns (uint256 batchIndex) {
        if (data.length == 0) revert EmptyBatchData();
        if (data.length > MAX_CALLDATA_BATCH_BYTES) revert BatchDataTooLarge(data.length, MAX_CALLDATA_BATCH_BYTES);
        return _append(firstL2Block, l2BlockCount, depositCountAfter, false, keccak256(data), new bytes32[](0));
    }

    // --------------------------------------------------------- force inclusion

    /// @notice Queues an L2 transaction for force inclusion: `row` is its 124-byte v3 tx row (byte 0 = 0; the rest is
    ///         not checked here: a malformed row is a no-op step). The sequencer should include it within
    ///         `inclusionWindow` seconds; from then on anyone may append it with `appendForcedBatch`. Burns
    ///         `forcedTxFee()` (the excess of `msg.value` is refunded), so flooding the queue costs the flooder
    ///         more than the proposals its forced batches make the proposers post.
    /// @param row The v3 tx row.
    /// @return index The transaction's index in the forced queue.
    function queueForcedTx(bytes calldata row) external payable nonReentrant returns (uint256 index) {
        if (row.length != ROW_BYTES) revert InvalidForcedRowLength(row.length);
        uint8 rowType = uint8(row[0]);
        if (rowType != ROW_TYPE_TX) revert ForcedRowNotATx(rowType);
        uint256 fee = forcedTxFee();
        if (msg.value < fee) revert ForcedTxFeeTooLow(msg.value, fee);
        index = _forcedTxCount;
        uint64 queuedAt = uint64(block.timestamp);
        _forcedTxs[index] = ForcedTx({hash: keccak256(row), queuedAt: queuedAt});
        // forge-lint: disable-next-line(unsafe-typecast) one queue entry per call: far below 2^64
        _forcedTxCount = uint64(index + 1);
        emit ForcedTxQueued(index, msg.sender, row, queuedAt);
        if (fee != 0) {
            (bool burnt,) = BURN_ADDRESS.call{value: fee}("");
            if (!burnt) revert BurnFailed(fee);
        }
        if (msg.value > fee) {
            (bool refunded,) = msg.sender.call{value: msg.value - fee}("");
            if (!refunded) revert FeeRefundFailed(msg.value - fee);
        }
    }

    /// @notice Wei `queueForcedTx` burns in this block: `FORCED_TX_FEE_GAS` at the block's base fee (send more to
    ///         allow for a rising base fee: the excess is refunded).
    function forcedTxFee() public view returns (uint256) {
        return FORCED_TX_FEE_GAS * block.basefee;
    }

    /// @notice Appends a forced batch; anyone may call. It carries `depositRows` (0..`MAX_FORCED_DEPOSIT_ROWS`)
    ///         deposit rows, then the next `rows.length` (0..`MAX_FORCED_ROWS`) queued forced transactions in queue
    ///         order from `forcedIncludedCount()`, each due (`queuedAt + inclusionWindow <= block.timestamp`) and
    ///         exactly as queued, and every due one up to the limit (no batch per row); at least one row in all. `dueDepositCount` (at most `portal.depositCount()`)
    ///         counts the deposits the batch may apply: deposit `dueDepositCount − 1`, if any, must be due
    ///         (`portal.depositQueuedAt + inclusionWindow <= block.timestamp`). The contract builds the data,
    ///         `header(version 3, firstBlockNumber 0, rowCount = depositRows + rows.length) ‖ depositRows × (type 1,
    ///         123 zero bytes) ‖ rows`, records it as a calldata batch with `forced = true`, `dataHash =
    ///         keccak256(data)` and `depositCountAfter = dueDepositCount` when `depositRows > 0` (else the previous
    ///         batch's), and emits `ForcedBatchAppended` (with the data) then `BatchAppended`.
    /// @dev Moves no ETH; its only external calls are views of the portal, made only when `dueDepositCount > 0`.
    ///      Deposit rows apply the next deposits while the L2 state's depositCount < the batch's
    ///      `depositCountAfter` and are no-ops after (a deposit the sequencer already applied). Each deposit is
    ///      forced at most once: deposit rows cover the deposits from `forcedDepositCount()` to `dueDepositCount`,
    ///      exactly one row each, so nobody can append forced batches of no-op rows for free (each costs every
    ///      proposer a proposal), nor mark deposits forced that no row applied.
    /// @param rows The queued transaction rows, each exactly as queued (may be empty when `depositRows > 0`).
    /// @param dueDepositCount Deposits the batch's deposit rows may apply up to (the batch's `depositCountAfter`
    ///        when `depositRows > 0`).
    /// @param depositRows Number of deposit rows before the transaction rows.
    /// @return batchIndex Index of the new batch.
    function appendForcedBatch(bytes[] calldata rows, uint64 dueDepositCount, uint16 depositRows)
        external
        returns (uint256 batchIndex)
    {
        uint256 n = rows.length;
        uint256 d = depositRows;
        if (d > MAX_FORCED_DEPOSIT_ROWS) revert TooManyForcedDepositRows(d);
        if (n > MAX_FORCED_ROWS) revert TooManyForcedRows(n);
        if (d + n == 0) revert NoForcedRows();
        if (dueDepositCount != 0) _checkDepositsDue(dueDepositCount);
        if (d != 0) {
            // One row per deposit the counter moves past: the L2 state's deposit count is always at least the
            // counter (each forced batch's rows apply deposits up to it), so exactly `due − forced` rows are
            // enough to apply every deposit below `due`, and nobody can move the counter past deposits that no
            // row applied (which would leave them unforceable for good).
            uint256 forced = _forcedDepositCount;
            if (dueDepositCount <= forced || d != dueDepositCount - forced) {
                revert ForcedDepositsNotNew(dueDepositCount, forced, d);
            }
            _forcedDepositCount = dueDepositCount;
        }
        uint256 first = _forcedIncludedCount;
        if (n != 0) {
            uint256 queued = _forcedTxCount;
            if (first + n > queued) revert ForcedTxNotQueued(queued);
            // Queue times never decrease, so when the last row is due all of them are.
            uint256 last = first + n - 1;
            if (uint256(_forcedTxs[last].queuedAt) + inclusionWindow > block.timestamp) _revertNotDue(first, last);
        }
        uint256 rowCount = d + n;
        bytes memory data = new bytes(HEADER_BYTES + ROW_BYTES * rowCount); // zero-filled
        assembly ("memory-safe") {
            let base := add(data, 0x20)
            // version 3 ‖ firstBlockNumber 0 (8 bytes) ‖ rowCount (4 bytes) ‖ zero bytes
            mstore(base, or(shl(248, 3), shl(152, rowCount)))
            // deposit rows: type byte 1, the other 123 bytes stay zero
            for { let k := 0 } lt(k, d) { k := add(k, 1) } { mstore8(add(base, add(27, mul(124, k))), 1) }
        }
        for (uint256 i = 0; i < n; i++) {
            bytes calldata row = rows[i];
            if (row.length != ROW_BYTES) revert ForcedRowMismatch(first + i);
            bytes32 rowHash;
            assembly ("memory-safe") {
                let at := add(add(data, 0x20), add(27, mul(124, add(d, i))))
                calldatacopy(at, row.offset, 124)
                rowHash := keccak256(at, 124)
            }
            if (rowHash != _forcedTxs[first + i].hash) revert ForcedRowMismatch(first + i);
        }
        // Every due queued transaction goes in (up to the row limit): the next one, if any, must not be due yet.
        if (n < MAX_FORCED_ROWS) {
            uint256 next = first + n;
            if (next < _forcedTxCount && uint256(_forcedTxs[next].queuedAt) + inclusionWindow <= block.timestamp) {
                revert DueForcedTxLeftOut(next);
            }
        }
        // forge-lint: disable-next-line(unsafe-typecast) first + n <= _forcedTxCount, a uint64
        if (n != 0) _forcedIncludedCount = uint64(first + n);
        batchIndex = _batches.length;
        uint64 depositCountAfter =
            d != 0 ? dueDepositCount : batchIndex == 0 ? 0 : _batches[batchIndex - 1].depositCountAfter;
        emit ForcedBatchAppended(batchIndex, first, data);
        _record(0, 0, depositCountAfter, false, true, keccak256(data), new bytes32[](0));
    }

    /// @notice Moves `forcedDepositCount()` up to the deposit count of finalized proposal `proposalIndex`'s state
    ///         (`end` is its header: `commitment(end)` must be the proposal's). Deposits a finalized state has
    ///         applied need no forcing, so this spares forcers a row per deposit the sequencer included honestly
    ///         (without it, forcing a deposit after N honest ones takes N/64 forced batches of no-op rows). Safe
    ///         for the counter's invariant: the L2 state derives on top of a finalized state, so its deposit count
    ///         is at least that state's. Anyone may call; returns the new counter.
    function syncForcedDepositCount(uint256 proposalIndex, StateCommitment.StateHeader calldata end)
        external
        returns (uint256)
    {
        if (!isFinalized(proposalIndex)) revert ProposalNotFinalized(proposalIndex);
        bytes32 expected = _proposals[proposalIndex].commitment;
        bytes32 supplied = StateCommitment.commitment(end);
        if (supplied != expected) revert ParentHeaderMismatch(expected, supplied);
        if (end.depositCount > _forcedDepositCount) _forcedDepositCount = end.depositCount;
        return _forcedDepositCount;
    }

    // --------------------------------------------------------------- proposals

    /// @notice Proposes `end` as the L2 state after batch `batchIndex`, with the batch's trace (leaves L0..L_stepCount,
    ///         32 bytes each) in the first `traceBlobCount` blobs of this transaction (payload = uint32 length ‖
    ///         leaves). Locks exactly `proposalBond`. The trace's bounds are not checked here: `challengeTraceBounds`.
    /// @param batchIndex The live parent's batch index + 1 (0 when there is no live proposal).
    /// @param expectedBatchDataHash The batch's recorded data hash (binds the proposal to the batch it was computed
    ///        for, so a reorg that moved batches makes it revert instead of landing on another batch).
    /// @param end The state after the batch.
    /// @param stepCount Number of steps: the batch's row count if it is valid, else 0.
    /// @param traceBlobCount Number of blobs carrying the trace, 1..6.
    /// @return proposalIndex Index of the new proposal.
    function propose(
        uint256 batchIndex,
        bytes32 expectedBatchDataHash,
        StateCommitment.StateHeader calldata end,
        uint64 stepCount,
        uint8 traceBlobCount
    ) external payable returns (uint256 proposalIndex) {
        uint256 lastLivePlusOne = _checkProposal(batchIndex, expectedBatchDataHash);
        bytes32[] memory traceBlobHashes = _blobHashes(traceBlobCount);
        uint256 traceBytes = BlobData.LENGTH_PREFIX_BYTES + LEAF_BYTES * (uint256(stepCount) + 1);
        if (traceBytes > uint256(traceBlobCount) * BlobData.DATA_BYTES_PER_BLOB) {
            revert TraceExceedsBlobs(stepCount, traceBlobCount);
        }
        return _store(
            batchIndex,
            lastLivePlusOne,
            end,
            StateCommitment.commitment(end),
            stepCount,
            keccak256(abi.encodePacked(traceBlobHashes)),
            traceBlobHashes
        );
    }

    /// @notice Proposes `end` as the L2 state after batch `batchIndex` with the trace as calldata, checked at once:
    ///         `trace.length == 32·(stepCount + 1)`, leaf 0 = the parent's commitment (genesis for the first
    ///         proposal), last leaf = `commitment(end)`. Locks exactly `proposalBond`.
    /// @param batchIndex The live parent's batch index + 1 (0 when there is no live proposal).
    /// @param expectedBatchDataHash The batch's recorded data hash.
    /// @param end The state after the batch.
    /// @param trace Leaves L0..L_stepCount, 32 bytes each; `stepCount = trace.length / 32 − 1`.
    /// @return proposalIndex Index of the new proposal.
    function proposeCalldata(
        uint256 batchIndex,
        bytes32 expectedBatchDataHash,
        StateCommitment.StateHeader calldata end,
        bytes calldata trace
    ) external payable returns (uint256 proposalIndex) {
        uint256 lastLivePlusOne = _checkProposal(batchIndex, expectedBatchDataHash);
        uint256 length = trace.length;
        if (length == 0 || length % LEAF_BYTES != 0) revert InvalidTraceLength(length);
        if (length > MAX_CALLDATA_TRACE_BYTES) revert TraceTooLarge(length, MAX_CALLDATA_TRACE_BYTES);
        bytes32 first = bytes32(trace[0:LEAF_BYTES]);
        bytes32 parent = _commitmentOfPlusOne(lastLivePlusOne);
        if (first != parent) revert TraceStartMismatch(parent, first);
        bytes32 last = bytes32(trace[length - LEAF_BYTES:length]);
        bytes32 commitment = StateCommitment.commitment(end);
        if (last != commitment) revert TraceEndMismatch(commitment, last);
        // forge-lint: disable-next-line(unsafe-typecast) calldata is far shorter than 32·2^64 bytes
        uint64 stepCount = uint64(length / LEAF_BYTES - 1);
        return _store(batchIndex, lastLivePlusOne, end, commitment, stepCount, keccak256(trace), new bytes32[](0));
    }

    /// @notice Settles the bond of proposal `proposalIndex`, once; anyone may call. Finalized: paid back to its
    ///         proposer. Deleted because it was built on a slashed proposal: forfeited and burnt whole, so
    ///         stacking proposals on a wrong root costs the attacker a bond each, and each proposer answers for
    ///         the parent it chose. Nobody is paid from it: a share for the challenger would let an attacker who
    ///         slashes its own wrong root (with an accomplice's earlier commitment) profit from the bonds of
    ///         honest proposals built on it.
    /// @param proposalIndex The proposal.
    function claimBond(uint256 proposalIndex) external nonReentrant {
        if (proposalIndex >= _proposals.length) revert ProposalNotFinalized(proposalIndex);
        Proposal storage proposal = _proposals[proposalIndex];
        if (proposal.slashed) revert BondSlashed(proposalIndex);
        if (proposal.bondClaimed) revert BondAlreadyClaimed(proposalIndex);
        bool deleted = _isDeleted(proposalIndex);
        // Not deleted: final once its window is over (isFinalized without a second range lookup).
        if (!deleted && block.timestamp < uint256(proposal.proposedAt) + challengeWindow) {
            revert ProposalNotFinalized(proposalIndex);
        }
        proposal.bondClaimed = true;
        address proposer = proposal.proposer;
        uint256 amount = proposal.bond;
        if (deleted) {
            emit BondForfeited(proposalIndex, proposer, amount);
            (bool burnt,) = BURN_ADDRESS.call{value: amount}("");
            if (!burnt) revert BurnFailed(amount);
            return;
        }
        emit BondClaimed(proposalIndex, proposer, amount);
        (bool ok,) = proposer.call{value: amount}("");
        if (!ok) revert BondTransferFailed(proposer, amount);
    }

    // -------------------------------------------------------------- challenges

    /// @notice Challenge kind 1 (blob traces only): proves the trace's length prefix ≠ `32·(stepCount + 1)`
    ///         (`bound` 0, `proof` opens payload bytes [0, 4)), leaf 0 ≠ the parent's commitment (`bound` 1, `proof`
    ///         opens data bytes [0, 32)), or leaf `stepCount` ≠ the proposal's commitment (`bound` 2, data bytes
    ///         [32·stepCount, +32)). Wins if the opened value is wrong, loses (bond to the proposer) if it is right.
    ///         Exactly `challengeBond`, inside the window, proposal not deleted.
    /// @param proposalIndex The challenged proposal.
    /// @param bound Which bound: `BOUND_LENGTH`, `BOUND_FIRST_LEAF` or `BOUND_LAST_LEAF`.
    /// @param proof The trace's versioned hashes and the openings of the range.
    /// @return won Whether the challenge won.
    function challengeTraceBounds(uint256 proposalIndex, uint8 bound, DataSource.DataProof calldata proof)
        external
        payable
        nonReentrant
        returns (bool won)
    {
        Proposal storage proposal = _openChallenge(proposalIndex);
        if (!proposal.traceIsBlob) revert TraceBoundsCheckedAtProposal(proposalIndex);
        bytes32 traceHash = proposal.traceHash;
        uint256 stepCount = proposal.stepCount;
        if (bound == BOUND_LENGTH) {
            won = DataSource.dataLength(traceHash, true, proof) != LEAF_BYTES * (stepCount + 1);
        } else if (bound == BOUND_FIRST_LEAF) {
            bytes32 leaf = bytes32(DataSource.read(traceHash, true, 0, LEAF_BYTES, proof));
            won = leaf != _commitmentOfPlusOne(_previousLivePlusOne(proposalIndex));
        } else if (bound == BOUND_LAST_LEAF) {
            bytes32 leaf = bytes32(DataSource.read(traceHash, true, LEAF_BYTES * stepCount, LEAF_BYTES, proof));
            won = leaf != proposal.commitment;
        } else {
            revert InvalidTraceBound(bound);
        }
        _settle(proposalIndex, KIND_TRACE_BOUNDS, bound, won);
    }

    /// @notice Challenge kind 2: from the batch's header (data bytes [0, 27) and the data length, one opening for a
    ///         blob batch) and, when the header is valid, its last row, computes the step count the batch proves
    ///         (its row count if valid, else 0: docs/optimistic.md "Validity") and wins iff it differs from the
    ///         proposal's. Exactly `challengeBond`, inside the window, proposal not deleted.
    /// @param proposalIndex The challenged proposal.
    /// @param parent Preimage of the parent's commitment (the genesis header for the first proposal): its
    ///        `blockNumber + 1` must be the batch's `firstBlockNumber`.
    /// @param batchProof The batch data: blob → its versioned hashes and the openings of payload bytes [0, 31);
    ///        calldata → the whole data.
    /// @param lastRowRange Blob batches with a valid header: openings of the last row (data bytes
    ///        [27 + 124·(R − 1), +124)); ignored otherwise (may be empty).
    /// @return won Whether the challenge won.
    function challengeStepCount(
        uint256 proposalIndex,
        StateCommitment.StateHeader calldata parent,
        DataSource.DataProof calldata batchProof,
        BlobData.RangeProof calldata lastRowRange
    ) external payable nonReentrant returns (bool won) {
        Proposal storage proposal = _openChallenge(proposalIndex);
        bytes32 expectedParent = _commitmentOfPlusOne(_previousLivePlusOne(proposalIndex));
        bytes32 supplied = StateCommitment.commitment(parent);
        if (supplied != expectedParent) revert ParentHeaderMismatch(expectedParent, supplied);
        uint64 proven = _provenStepCount(proposal.batchIndex, parent.blockNumber, batchProof, lastRowRange);
        won = proven != proposal.stepCount;
        _settle(proposalIndex, KIND_STEP_COUNT, proven, won);
    }

    /// @notice Challenge kind 3: re-executes step `step` (row `step − 1` of the batch) on L1 from the pre-state
    ///         `pre` (the preimage of trace leaf `step − 1`) with `witness` (`StepVerifier`) and wins iff the
    ///         resulting commitment differs from trace leaf `step`. Exactly `challengeBond`, inside the window,
    ///         proposal not deleted. A wrong witness, opening or preimage reverts (it costs nothing but gas).
    /// @param proposalIndex The challenged proposal.
    /// @param step The step, `1..stepCount`.
    /// @param pre Preimage of leaf `step − 1`.
    /// @param traceProof Leaves `step − 1` and `step`: data bytes [32·(step − 1), +64) of the trace (blob: its
    ///        versioned hashes and the openings of payload [4 + 32·(step − 1), +64); calldata: the whole trace).
    /// @param rowProof Row `step − 1`: data bytes [27 + 124·(step − 1), +124) of the batch (blob: versioned hashes
    ///        and openings, exactly 4 field elements; calldata: the whole batch data).
    /// @param witness `abi.encode(StepVerifier.StepWitness)` for the row (zero parts where the row does not reach).
    /// @return won Whether the challenge won.
    function challengeStep(
        uint256 proposalIndex,
        uint64 step,
        StateCommitment.StateHeader calldata pre,
        DataSource.DataProof calldata traceProof,
        DataSource.DataProof calldata rowProof,
        bytes calldata witness
    ) external payable nonReentrant returns (bool won) {
        Proposal storage proposal = _openChallenge(proposalIndex);
        uint256 stepCount = proposal.stepCount;
        if (step == 0 || step > stepCount) revert InvalidStep(step, stepCount);
        bytes32 claimed = _claimedStep(proposal, step, pre, traceProof);
        won = _executeStep(proposal.batchIndex, step, pre, rowProof, witness) != claimed;
        _settle(proposalIndex, KIND_STEP, step, won);
    }

    /// @notice Commits to a challenge before sending it: `commitment = keccak256(abi.encode(msg.sender,
    ///         keccak256(challengeCalldata)))`, where `challengeCalldata` is the exact input of the later
    ///         `challengeTraceBounds` / `challengeStepCount` / `challengeStep` call. A challenge wins only for a
    ///         sender that committed to it in an earlier block, so copying a challenge seen in the mempool cannot
    ///         win its reward (the copier has no earlier commitment to evidence it had not seen). The commitment
    ///         hides the evidence. Costs no bond; a losing challenge needs no commitment. Committing again keeps
    ///         the first block.
    /// @param commitment The commitment.
    function commitChallenge(bytes32 commitment) external {
        // Idempotent: someone who copies a pending commit only records it earlier for its owner (the commitment
        // names the challenger), so the owner's own commit must not revert.
        if (challengeCommittedAt[commitment] != 0) return;
        challengeCommittedAt[commitment] = block.number;
        emit ChallengeCommitted(commitment, msg.sender);
    }

    /// @notice Credits the held reward for slashing proposal `proposalIndex` to its holder's payouts, from
    ///         `claimableAt` on; anyone may call.
    function claimChallengeReward(uint256 proposalIndex) external {
        PendingReward storage r = _rewards[proposalIndex];
        uint256 amount = r.amount;
        if (amount == 0) revert NoPendingReward(proposalIndex);
        if (block.number < r.claimableAt) revert RewardNotClaimableYet(proposalIndex, r.claimableAt);
        r.amount = 0;
        address holder = r.holder;
        payouts[holder] += amount;
        emit ChallengeRewardClaimed(proposalIndex, holder, amount);
    }

    /// @notice Takes over the held reward for slashing proposal `proposalIndex` with an older commitment to the
    ///         same evidence: `challengeCommittedAt[keccak256(abi.encode(msg.sender, callHash))]` earlier than the
    ///         holder's (before `claimableAt`). This is what makes the reward go to whoever committed first, even
    ///         when its own reveal was held up and a copier's landed first.
    function contestChallengeReward(uint256 proposalIndex) external {
        PendingReward storage r = _rewards[proposalIndex];
        if (r.amount == 0) revert NoPendingReward(proposalIndex);
        if (block.number >= r.claimableAt) revert RewardNoLongerContestable(proposalIndex);
        uint256 committedAt = challengeCommittedAt[keccak256(abi.encode(msg.sender, r.callHash))];
        if (committedAt == 0 || committedAt >= r.committedAt) revert NoEarlierCommitment(proposalIndex);
        emit ChallengeRewardContested(proposalIndex, r.holder, msg.sender);
        r.holder = msg.sender;
        r.committedAt = uint64(committedAt);
    }

    /// @notice The reward held for slashing proposal `proposalIndex` (`amount` 0 when none or paid).
    function pendingReward(uint256 proposalIndex) external view returns (PendingReward memory) {
        return _rewards[proposalIndex];
    }

    /// @notice Pays `msg.sender` what settled challenges owe it (challenge wins, and challenge bonds lost to it as
    ///         a proposer).
    function withdrawPayout() external nonReentrant {
        uint256 amount = payouts[msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        payouts[msg.sender] = 0;
        emit PayoutWithdrawn(msg.sender, amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert PayoutTransferFailed(msg.sender, amount);
    }

    // ------------------------------------------------------------------- views

    /// @notice Number of batches appended.
    function batchCount() external view returns (uint256) {
        return _batches.length;
    }

    /// @notice Number of forced transactions queued (`queueForcedTx`).
    function forcedTxCount() external view returns (uint256) {
        return _forcedTxCount;
    }

    /// @notice Number of queued forced transactions appended by `appendForcedBatch` (the queue's prefix already
    ///         forced in; the next forced batch starts at this index).
    function forcedIncludedCount() external view returns (uint256) {
        return _forcedIncludedCount;
    }

    /// @notice Deposits already covered by forced batches' deposit rows (the next forced batch covers later ones).
    function forcedDepositCount() external view returns (uint256) {
        return _forcedDepositCount;
    }

    /// @notice Forced transaction `index`: the keccak256 of its row and when it was queued; reverts
    ///         `ForcedTxNotQueued` if there is none.
    function forcedTx(uint256 index) external view returns (bytes32 hash, uint64 queuedAt) {
        if (index >= _forcedTxCount) revert ForcedTxNotQueued(index);
        ForcedTx storage entry = _forcedTxs[index];
        return (entry.hash, entry.queuedAt);
    }

    /// @notice Number of proposals made (deleted ones included).
    function proposalCount() external view returns (uint256) {
        return _proposals.length;
    }

    /// @notice Batch `batchIndex`; reverts `UnknownBatch` if there is none.
    function getBatch(uint256 batchIndex) external view returns (Batch memory) {
        if (batchIndex >= _batches.length) revert UnknownBatch(batchIndex);
        return _batches[batchIndex];
    }

    /// @notice Proposal `proposalIndex`; reverts `UnknownProposal` if there is none.
    function getProposal(uint256 proposalIndex) external view returns (Proposal memory) {
        if (proposalIndex >= _proposals.length) revert UnknownProposal(proposalIndex);
        Proposal memory proposal = _proposals[proposalIndex];
        proposal.deleted = _isDeleted(proposalIndex);
        return proposal;
    }

    /// @notice Leaf 0 of proposal `proposalIndex`'s trace: the commitment of the proposal it followed (its parent),
    ///         or `genesisCommitment` for a proposal made with no live proposal before it.
    function parentCommitment(uint256 proposalIndex) external view returns (bytes32) {
        if (proposalIndex >= _proposals.length) revert UnknownProposal(proposalIndex);
        return _commitmentOfPlusOne(_previousLivePlusOne(proposalIndex));
    }

    /// @notice What the next proposal must follow: the batch index it must name and the commitment its trace must
    ///         start from (the newest live proposal's, or genesis).
    function nextProposalParent() external view returns (uint256 batchIndex, bytes32 commitment) {
        uint256 plusOne = _lastLivePlusOne;
        batchIndex = plusOne == 0 ? 0 : uint256(_proposals[plusOne - 1].batchIndex) + 1;
        commitment = _commitmentOfPlusOne(plusOne);
    }

    /// @notice Whether proposal `proposalIndex` exists, is not deleted and its challenge window has passed.
    function isFinalized(uint256 proposalIndex) public view returns (bool) {
        if (proposalIndex >= _proposals.length) return false;
        // Not deleted means no ancestor was slashed either (a slash deletes every proposal built on the slashed
        // one), and an ancestor was proposed earlier, so its window ended first: the parent has finalized.
        return block.timestamp >= uint256(_proposals[proposalIndex].proposedAt) + challengeWindow
            && !_isDeleted(proposalIndex);
    }

    /// @notice State root of proposal `proposalIndex`; reverts `ProposalNotFinalized` unless it is final.
    function finalizedStateRoot(uint256 proposalIndex) external view returns (bytes32) {
        if (!isFinalized(proposalIndex)) revert ProposalNotFinalized(proposalIndex);
        return _proposals[proposalIndex].stateRoot;
    }

    /// @notice The newest undeleted proposal, if any (final or not).
    function lastLiveProposal() external view returns (bool exists, uint256 proposalIndex) {
        uint256 plusOne = _lastLivePlusOne;
        return plusOne == 0 ? (false, 0) : (true, plusOne - 1);
    }

    /// @notice The newest finalized proposal, if any. Walks back over the undeleted proposals still in their window.
    function latestFinalizedProposal() external view returns (bool exists, uint256 proposalIndex) {
        uint256 plusOne = _lastLivePlusOne;
        while (plusOne != 0) {
            uint256 index = plusOne - 1;
            if (isFinalized(index)) return (true, index);
            plusOne = _previousLivePlusOne(index);
        }
        return (false, 0);
    }

    // ---------------------------------------------------------------- internal

    function _append(
        uint64 firstL2Block,
        uint32 l2BlockCount,
        uint64 depositCountAfter,
        bool isBlob,
        bytes32 dataHash,
        bytes32[] memory blobHashes
    ) private returns (uint256 batchIndex) {
        if (l2BlockCount == 0) revert EmptyBatch();
        uint256 portalDepositCount = portal.depositCount();
        if (depositCountAfter > portalDepositCount) revert DepositCountTooHigh(depositCountAfter, portalDepositCount);
        return _record(firstL2Block, l2BlockCount, depositCountAfter, isBlob, false, dataHash, blobHashes);
    }

    /// @dev Stores batch `_batches.length` and emits its `BatchAppended` (no checks: the callers make them).
    function _record(
        uint64 firstL2Block,
        uint32 l2BlockCount,
        uint64 depositCountAfter,
        bool isBlob,
        bool forced,
        bytes32 dataHash,
        bytes32[] memory blobHashes
    ) private returns (uint256 batchIndex) {
        batchIndex = _batches.length;
        _batches.push(
            Batch({
                dataHash: dataHash,
                firstL2Block: firstL2Block,
                l2BlockCount: l2BlockCount,
                depositCountAfter: depositCountAfter,
                isBlob: isBlob,
                forced: forced,
                l1Block: uint64(block.number),
                appendedAt: uint64(block.timestamp)
            })
        );
        emit BatchAppended(batchIndex, firstL2Block, l2BlockCount, depositCountAfter, isBlob, dataHash, blobHashes);
    }

    /// @dev Reverts `ForcedTxNotDue` for the first queued transaction in `from ..= last` that is not due yet (the
    ///      caller knows `last` is not).
    function _revertNotDue(uint256 from, uint256 last) private view {
        uint256 index = from;
        uint256 dueAt = uint256(_forcedTxs[index].queuedAt) + inclusionWindow;
        while (dueAt <= block.timestamp && index < last) {
            index++;
            dueAt = uint256(_forcedTxs[index].queuedAt) + inclusionWindow;
        }
        revert ForcedTxNotDue(index, dueAt);
    }

    /// @dev Reverts unless the portal has queued `dueDepositCount` (> 0) deposits and the last of them is due.
    function _checkDepositsDue(uint64 dueDepositCount) private view {
        uint256 portalDepositCount = portal.depositCount();
        if (dueDepositCount > portalDepositCount) revert DepositCountTooHigh(dueDepositCount, portalDepositCount);
        uint256 index = uint256(dueDepositCount) - 1;
        uint256 dueAt = uint256(portal.depositQueuedAt(index)) + inclusionWindow;
        if (dueAt > block.timestamp) revert ForcedDepositNotDue(index, dueAt);
    }

    /// @dev Versioned hashes of this transaction's first `blobCount` blobs (1..6, each present).
    function _blobHashes(uint256 blobCount) private view returns (bytes32[] memory hashes) {
        if (blobCount == 0 || blobCount > MAX_BLOBS_PER_BATCH) revert InvalidBlobCount(blobCount);
        hashes = new bytes32[](blobCount);
        for (uint256 i = 0; i < blobCount; i++) {
            bytes32 versionedHash = blobhash(i);
            if (versionedHash == bytes32(0)) revert MissingBlob(i);
            hashes[i] = versionedHash;
        }
    }

    /// @dev Checks the bond and the batch a new proposal names; returns `_lastLivePlusOne` (its parent + 1).
    function _checkProposal(uint256 batchIndex, bytes32 expectedBatchDataHash)
        private
        view
        returns (uint256 lastLivePlusOne)
    {
        if (msg.value != proposalBond) revert IncorrectBond(msg.value, proposalBond);
        if (batchIndex >= _batches.length) revert UnknownBatch(batchIndex);
        bytes32 recorded = _batches[batchIndex].dataHash;
        if (recorded != expectedBatchDataHash) {
            revert BatchDataHashMismatch(batchIndex, recorded, expectedBatchDataHash);
        }
        lastLivePlusOne = _lastLivePlusOne;
        uint256 expected = lastLivePlusOne == 0 ? 0 : uint256(_proposals[lastLivePlusOne - 1].batchIndex) + 1;
        if (batchIndex != expected) revert UnexpectedBatchIndex(batchIndex, expected);
    }

    function _store(
        uint256 batchIndex,
        uint256 lastLivePlusOne,
        StateCommitment.StateHeader calldata end,
        bytes32 commitment,
        uint64 stepCount,
        bytes32 traceHash,
        bytes32[] memory traceBlobHashes
    ) private returns (uint256 proposalIndex) {
        proposalIndex = _proposals.length;
        bytes32 stateRoot = StateCommitment.stateRoot(end);
        _proposals.push(
            Proposal({
                stateRoot: stateRoot,
                commitment: commitment,
                traceHash: traceHash,
                // forge-lint: disable-next-line(unsafe-typecast) batchIndex < batchCount, far below 2^64
                batchIndex: uint64(batchIndex),
                l2BlockNumber: end.blockNumber,
                bond: uint128(msg.value), // == proposalBond, checked to fit in the constructor
                proposer: msg.sender,
                proposedAt: uint64(block.timestamp),
                deleted: false,
                bondClaimed: false,
                traceIsBlob: traceBlobHashes.length != 0,
                slashed: false,
                stepCount: stepCount
            })
        );
        if (lastLivePlusOne != proposalIndex) _previousLiveDistance[proposalIndex] = proposalIndex - lastLivePlusOne;
        _lastLivePlusOne = proposalIndex + 1;
        emit StateRootProposed(
            proposalIndex,
            batchIndex,
            msg.sender,
            stateRoot,
            commitment,
            end.blockNumber,
            stepCount,
            traceBlobHashes.length != 0,
            traceHash,
            traceBlobHashes
        );
    }

    /// @dev Index + 1 of the newest undeleted proposal at the time `proposalIndex` was made (0 = none): its parent.
    function _previousLivePlusOne(uint256 proposalIndex) private view returns (uint256) {
        return proposalIndex - _previousLiveDistance[proposalIndex];
    }

    /// @dev Commitment of proposal `plusOne − 1`, or the genesis commitment for 0.
    function _commitmentOfPlusOne(uint256 plusOne) private view returns (bytes32) {
        return plusOne == 0 ? genesisCommitment : _proposals[plusOne - 1].commitment;
    }

    /// @dev Checks the challenge bond and that proposal `proposalIndex` can still be challenged.
    function _openChallenge(uint256 proposalIndex) private view returns (Proposal storage proposal) {
        if (msg.value != challengeBond) revert IncorrectBond(msg.value, challengeBond);
        if (proposalIndex >= _proposals.length) revert UnknownProposal(proposalIndex);
        proposal = _proposals[proposalIndex];
        if (block.timestamp >= uint256(proposal.proposedAt) + challengeWindow) {
            revert ProposalAlreadyFinal(proposalIndex);
        }
        if (_isDeleted(proposalIndex)) revert ProposalAlreadyDeleted(proposalIndex);
    }

    /// @dev Outcome of a challenge. Won: the sender must have committed to this exact call in an earlier block
    ///      (`commitChallenge`: a copy of a pending challenge sent by someone else cannot win); the proposal is
    ///      slashed (half its bond + the challenge bond owed to the challenger, the rest burnt) and it and every
    ///      proposal built on it are deleted, in O(1) whatever their number. Lost: the challenge bond is owed to
    ///      the proposer.
    function _settle(uint256 proposalIndex, uint8 kind, uint64 step, bool won) private {
        Proposal storage proposal = _proposals[proposalIndex];
        if (won) {
            bytes32 commitment = keccak256(abi.encode(msg.sender, keccak256(msg.data)));
            uint256 committedAt = challengeCommittedAt[commitment];
            if (committedAt == 0 || committedAt >= block.number) revert ChallengeNotCommitted(commitment);
            uint256 bond = proposal.bond;
            uint256 reward = bond / 2;
            uint256 burnt = bond - reward;
            proposal.slashed = true;
            proposal.bondClaimed = true;
            _deleteFrom(proposalIndex);
            uint256 challengerPayout = reward + msg.value;
            // The challenge bond comes back at once; the reward is held for REWARD_DELAY_BLOCKS (contest).
            payouts[msg.sender] += msg.value;
            _rewards[proposalIndex] = PendingReward({
                holder: msg.sender,
                committedAt: uint64(committedAt),
                claimableAt: uint64(block.number + REWARD_DELAY_BLOCKS),
                amount: uint128(reward),
                callHash: keccak256(msg.data)
            });
            emit ChallengeWon(proposalIndex, kind, msg.sender, step, challengerPayout, burnt);
            if (burnt != 0) {
                (bool ok,) = BURN_ADDRESS.call{value: burnt}("");
                if (!ok) revert BurnFailed(burnt);
            }
        } else {
            address proposer = proposal.proposer;
            payouts[proposer] += msg.value;
            emit ChallengeLost(proposalIndex, kind, msg.sender, step, proposer, msg.value);
        }
    }

    /// @dev Opens trace leaves `step − 1` and `step`, checks `pre` against the first, returns the second.
    function _claimedStep(
        Proposal storage proposal,
        uint256 step,
        StateCommitment.StateHeader calldata pre,
        DataSource.DataProof calldata traceProof
    ) private view returns (bytes32 claimed) {
        bytes memory leaves = DataSource.read(
            proposal.traceHash, proposal.traceIsBlob, LEAF_BYTES * (step - 1), 2 * LEAF_BYTES, traceProof
        );
        bytes32 before;
        assembly ("memory-safe") {
            before := mload(add(leaves, 0x20))
            claimed := mload(add(leaves, 0x40))
        }
        bytes32 supplied = StateCommitment.commitment(pre);
        if (supplied != before) revert PreStateMismatch(before, supplied);
    }

    /// @dev Commitment after row `step − 1` of batch `batchIndex` applied to `pre` (StepVerifier).
    function _executeStep(
        uint256 batchIndex,
        uint256 step,
        StateCommitment.StateHeader calldata pre,
        DataSource.DataProof calldata rowProof,
        bytes calldata witness
    ) private view returns (bytes32) {
        Batch storage batch = _batches[batchIndex];
        bytes memory row =
            DataSource.read(batch.dataHash, batch.isBlob, HEADER_BYTES + ROW_BYTES * (step - 1), ROW_BYTES, rowProof);
        StepVerifier.StepContext memory ctx = StepVerifier.StepContext({
            chainId: l2ChainId, baseFee: l2BaseFee, batchDepositCountAfter: batch.depositCountAfter, portal: portal
        });
        return StateCommitment.commitment(stepExecutor.executeRow(pre, row, ctx, witness));
    }

    /// @dev The step count batch `batchIndex` proves given the pre-state's block number: its row count if it is
    ///      valid (docs/optimistic.md "Validity"), else 0. A forced batch is valid iff its header and length are
    ///      well-formed (always, by construction): neither its firstBlockNumber nor its last row is checked.
    function _provenStepCount(
        uint256 batchIndex,
        uint64 preBlockNumber,
        DataSource.DataProof calldata batchProof,
        BlobData.RangeProof calldata lastRowRange
    ) internal view returns (uint64) {
        Batch storage batch = _batches[batchIndex];
        bool isBlob = batch.isBlob;
        (uint256 dataLength, bytes memory head) = DataSource.readHead(batch.dataHash, isBlob, HEADER_BYTES, batchProof);
        if (dataLength < HEADER_BYTES) return 0;
        uint256 word;
        assembly ("memory-safe") {
            word := mload(add(head, 0x20))
        }
        // word = version (1) ‖ firstBlockNumber (8) ‖ rowCount (4) ‖ 14 zero bytes ‖ 5 bytes past the header.
        if (word >> 248 != BATCH_VERSION) return 0;
        if ((word >> 40) & type(uint112).max != 0) return 0;
        uint256 rowCount = (word >> 152) & type(uint32).max;
        if (rowCount == 0 || dataLength != HEADER_BYTES + ROW_BYTES * rowCount) return 0;
        if (
            isBlob
                && dataLength + BlobData.LENGTH_PREFIX_BYTES
                    > batchProof.versionedHashes.length * BlobData.DATA_BYTES_PER_BLOB
        ) return 0;
        // forge-lint: disable-next-line(unsafe-typecast) rowCount < 2^32
        if (batch.forced) return uint64(rowCount);
        if ((word >> 184) & type(uint64).max != uint256(preBlockNumber) + 1) return 0;
        uint256 lastRow = HEADER_BYTES + ROW_BYTES * (rowCount - 1);
        bytes memory row = isBlob
            ? DataSource.readBlob(batchProof.versionedHashes, lastRow, ROW_BYTES, lastRowRange)
            : DataSource.readCalldata(batchProof.data, lastRow, ROW_BYTES);
        if (!_isBlockEnd(row)) return 0;
        // forge-lint: disable-next-line(unsafe-typecast) rowCount < 2^32
        return uint64(rowCount);
    }

    /// @dev Whether the 124-byte `row` is a well-formed block end: type 2, u64 timestamp, bytes 9..124 zero.
    function _isBlockEnd(bytes memory row) private pure returns (bool ok) {
        assembly ("memory-safe") {
            let p := add(row, 0x20)
            let w0 := mload(p)
            ok := and(eq(shr(248, w0), 2), iszero(and(w0, sub(shl(184, 1), 1))))
            ok := and(ok, iszero(or(mload(add(p, 0x20)), mload(add(p, 0x40)))))
            ok := and(ok, iszero(shr(32, mload(add(p, 0x60)))))
        }
    }

    /// @dev Deletes proposal `proposalIndex` (live) and every proposal built on it, in O(log n) whatever their
    ///      number, and makes its parent the one new proposals must follow. While `proposalIndex` is live every
    ///      later proposal descends from it (new proposals follow the newest live one, and a deletion after it
    ///      only rewinds to a descendant of it), so "built on it" is exactly the index range
    ///      `proposalIndex .. proposalCount() − 1`: one range entry records it. Ranges never overlap partly (a
    ///      live proposal is outside every range, and an earlier range ends at most at today's count), so the
    ///      entries stay sorted and disjoint: the new one replaces those it contains. Bonds of the deleted
    ///      proposals stay in the contract: the challenged one's is split by `_settle`, the others are forfeited
    ///      (`claimBond`).
    function _deleteFrom(uint256 proposalIndex) internal {
        uint256 count = _proposals.length;
        if (proposalIndex >= count) revert UnknownProposal(proposalIndex);
        if (_isDeleted(proposalIndex)) revert ProposalAlreadyDeleted(proposalIndex);
        if (isFinalized(proposalIndex)) revert ProposalAlreadyFinal(proposalIndex);
        _proposals[proposalIndex].deleted = true;
        // Entries 0 .. at − 1 start below proposalIndex (and end at or before it); the rest start inside the new
        // range and are contained in it.
        uint256 at = _firstRangeStartingAtOrAfter(proposalIndex);
        _ranges[at] = (proposalIndex << 128) | count;
        _rangeCount = at + 1;
        // Proposal `proposalIndex` was live, so the proposal that was newest when it was made still is.
        _lastLivePlusOne = _previousLivePlusOne(proposalIndex);
        emit ProposalsDeleted(proposalIndex, count);
    }

    /// @dev Index of the first live range entry whose start is `>= proposalIndex` (`_rangeCount` if none).
    function _firstRangeStartingAtOrAfter(uint256 proposalIndex) private view returns (uint256 lo) {
        uint256 hi = _rangeCount;
        while (lo < hi) {
            uint256 mid = (lo + hi) >> 1;
            if (_ranges[mid] >> 128 < proposalIndex) lo = mid + 1;
            else hi = mid;
        }
    }

    /// @dev Whether proposal `proposalIndex` was deleted (slashed, or built on a slashed proposal): it lies in the
    ///      last range starting at or before it. O(log ranges).
    function _isDeleted(uint256 proposalIndex) private view returns (bool) {
        uint256 at = _firstRangeStartingAtOrAfter(proposalIndex + 1); // first entry starting after it
        return at != 0 && proposalIndex < (_ranges[at - 1] & type(uint128).max);
    }
}
