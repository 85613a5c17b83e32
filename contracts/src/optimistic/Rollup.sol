// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IPortal} from "./IPortal.sol";
import {IRollup} from "./IRollup.sol";

/// @title Rollup
/// @notice L1 record of l2kit's optimistic rollup: the batcher appends batches of L2 blocks (data in blobs or in
///         calldata, committed by hash), and anyone with a bond proposes the L2 state root after a batch. A proposal
///         is final `challengeWindow` seconds after it was made unless it was deleted (the fraud-proof game, a later
///         issue, deletes through `_deleteFrom`); then the portal pays withdrawals against it and its bond returns.
/// @dev Protocol: ARCHITECTURE.md. Batches are not checked for continuity here: derivation ignores invalid batches
///      whole, so the L1 record must accept them rather than wedge the chain.
contract Rollup is IRollup, ReentrancyGuardTransient {
    /// @notice A batch of consecutive L2 blocks as committed on L1.
    /// @param dataHash keccak256 of the batch data (calldata path) or of the concatenated blob versioned hashes.
    /// @param firstL2Block Number of the batch's first L2 block (as declared by the batcher).
    /// @param l2BlockCount Number of L2 blocks in the batch (as declared).
    /// @param depositCountAfter Deposits applied after the batch's last block (as declared).
    /// @param isBlob Whether the data is in blobs (`appendBatch`) or in calldata (`appendBatchCalldata`).
    /// @param l1Block L1 block that included the batch.
    /// @param appendedAt L1 timestamp of that block.
    struct Batch {
        bytes32 dataHash;
        uint64 firstL2Block;
        uint32 l2BlockCount;
        uint64 depositCountAfter;
        bool isBlob;
        uint64 l1Block;
        uint64 appendedAt;
    }

    /// @notice A proposed L2 state root: the state after deriving every batch up to and including `batchIndex`.
    /// @param stateRoot The proposed state root.
    /// @param batchIndex Last batch the state covers.
    /// @param l2BlockNumber Last L2 block the state covers.
    /// @param proposer Account that posted the proposal and its bond.
    /// @param proposedAt L1 timestamp of the proposal; final at `proposedAt + challengeWindow`.
    /// @param bond Wei locked with the proposal.
    /// @param deleted Whether the proposal was deleted (it never finalizes).
    /// @param bondClaimed Whether the bond was paid back.
    struct Proposal {
        bytes32 stateRoot;
        uint64 batchIndex;
        uint64 l2BlockNumber;
        uint128 bond;
        address proposer;
        uint64 proposedAt;
        bool deleted;
        bool bondClaimed;
    }

    /// @notice Most blobs one L1 transaction can carry.
    uint256 public constant MAX_BLOBS_PER_BATCH = 6;

    /// @notice The portal whose deposit queue batches consume.
    IPortal public immutable portal;
    /// @notice The only account allowed to append batches.
    address public immutable batcher;
    /// @notice Seconds after which an undeleted proposal is final.
    uint256 public immutable challengeWindow;
    /// @notice Exact wei each proposal must lock.
    uint256 public immutable proposalBond;
    /// @notice State root of L2 genesis (block 0), the pre-state of the first batch.
    bytes32 public immutable genesisStateRoot;

    Batch[] private _batches;
    Proposal[] private _proposals;
    /// @dev Index + 1 of the newest undeleted proposal; 0 when there is none.
    uint256 private _lastLivePlusOne;
    /// @dev For proposal `i`, the value `_lastLivePlusOne` had when `i` was proposed, stored as the distance
    ///      `i - value` so the usual case (the previous proposal, value == i) costs no storage write. `_deleteFrom`
    ///      uses it to find the newest proposal that survives a deletion.
    mapping(uint256 proposalIndex => uint256) private _previousLiveDistance;

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
    /// @notice A state root was proposed for the state after batch `batchIndex`.
    event StateRootProposed(
        uint256 indexed proposalIndex,
        uint256 indexed batchIndex,
        bytes32 stateRoot,
        uint64 l2BlockNumber,
        address indexed proposer
    );
    /// @notice Proposals `fromProposalIndex` up to (excluding) `toProposalIndex` are deleted (some may have been
    ///         already); they will never finalize.
    event ProposalsDeleted(uint256 indexed fromProposalIndex, uint256 toProposalIndex);
    /// @notice The bond of a finalized proposal was paid back to its proposer.
    event BondClaimed(uint256 indexed proposalIndex, address indexed proposer, uint256 amount);

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
    /// @notice A batch declaring zero L2 blocks.
    error EmptyBatch();
    /// @notice The batch consumes deposits the portal has not queued yet.
    error DepositCountTooHigh(uint64 depositCountAfter, uint256 portalDepositCount);
    /// @notice `msg.value` is not exactly the proposal bond.
    error IncorrectBond(uint256 sent, uint256 required);
    /// @notice No batch with this index.
    error UnknownBatch(uint256 batchIndex);
    /// @notice The proposal does not move past the newest undeleted proposal's batch.
    error BatchIndexNotIncreasing(uint256 batchIndex, uint256 lastProposedBatchIndex);
    /// @notice A proposal of the zero state root.
    error ZeroStateRoot();
    /// @notice No proposal with this index.
    error UnknownProposal(uint256 proposalIndex);
    /// @notice The proposal is unknown, deleted, or still inside its challenge window.
    error ProposalNotFinalized(uint256 proposalIndex);
    /// @notice The proposal is already deleted.
    error ProposalAlreadyDeleted(uint256 proposalIndex);
    /// @notice The proposal is final and can no longer be deleted.
    error ProposalAlreadyFinal(uint256 proposalIndex);
    /// @notice The bond of this proposal was already paid back.
    error BondAlreadyClaimed(uint256 proposalIndex);
    /// @notice Sending the bond to the proposer failed.
    error BondTransferFailed(address proposer, uint256 amount);

    modifier onlyBatcher() {
        if (msg.sender != batcher) revert NotBatcher(msg.sender);
        _;
    }

    /// @param portal_ The `Portal` (its `initialize` is then called with this rollup).
    /// @param batcher_ The account allowed to append batches.
    /// @param challengeWindowSeconds Seconds until a proposal is final.
    /// @param proposalBond_ Exact wei each proposal locks.
    /// @param genesisStateRoot_ State root of L2 block 0.
    constructor(
        address portal_,
        address batcher_,
        uint256 challengeWindowSeconds,
        uint256 proposalBond_,
        bytes32 genesisStateRoot_
    ) {
        if (portal_ == address(0) || batcher_ == address(0)) revert ZeroAddress();
        if (proposalBond_ > type(uint128).max) revert BondTooLarge(proposalBond_);
        portal = IPortal(portal_);
        batcher = batcher_;
        challengeWindow = challengeWindowSeconds;
        proposalBond = proposalBond_;
        genesisStateRoot = genesisStateRoot_;
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
        if (blobCount == 0 || blobCount > MAX_BLOBS_PER_BATCH) revert InvalidBlobCount(blobCount);
        bytes32[] memory blobHashes = new bytes32[](blobCount);
        for (uint256 i = 0; i < blobCount; i++) {
            bytes32 versionedHash = blobhash(i);
            if (versionedHash == bytes32(0)) revert MissingBlob(i);
            blobHashes[i] = versionedHash;
        }
        bytes32 dataHash = keccak256(abi.encodePacked(blobHashes));
        return _append(firstL2Block, l2BlockCount, depositCountAfter, true, dataHash, blobHashes);
    }

    /// @notice Appends a batch whose data is `data` itself (derivation reads it from this transaction's input).
    ///         `dataHash = keccak256(data)`.
    /// @param firstL2Block Number of the batch's first L2 block.
    /// @param l2BlockCount Number of L2 blocks in the batch.
    /// @param depositCountAfter Deposits applied after the batch's last block; at most `portal.depositCount()`.
    /// @param data The batch data (`0x01 ‖ brotli(raw)`).
    /// @return batchIndex Index of the new batch.
    function appendBatchCalldata(
        uint64 firstL2Block,
        uint32 l2BlockCount,
        uint64 depositCountAfter,
        bytes calldata data
    ) external onlyBatcher returns (uint256 batchIndex) {
        if (data.length == 0) revert EmptyBatchData();
        return _append(firstL2Block, l2BlockCount, depositCountAfter, false, keccak256(data), new bytes32[](0));
    }

    // --------------------------------------------------------------- proposals

    /// @notice Proposes `stateRoot` as the L2 state after batch `batchIndex` (L2 block `l2BlockNumber`), locking
    ///         exactly `proposalBond` wei. Batch indices of undeleted proposals strictly increase.
    /// @param batchIndex Last batch covered; an existing batch after the newest undeleted proposal's batch.
    /// @param stateRoot The proposed state root.
    /// @param l2BlockNumber Last L2 block covered.
    /// @return proposalIndex Index of the new proposal.
    function propose(uint256 batchIndex, bytes32 stateRoot, uint64 l2BlockNumber)
        external
        payable
        returns (uint256 proposalIndex)
    {
        if (msg.value != proposalBond) revert IncorrectBond(msg.value, proposalBond);
        if (batchIndex >= _batches.length) revert UnknownBatch(batchIndex);
        if (stateRoot == bytes32(0)) revert ZeroStateRoot();
        uint256 lastLivePlusOne = _lastLivePlusOne;
        if (lastLivePlusOne != 0) {
            uint256 lastBatchIndex = _proposals[lastLivePlusOne - 1].batchIndex;
            if (batchIndex <= lastBatchIndex) revert BatchIndexNotIncreasing(batchIndex, lastBatchIndex);
        }

        proposalIndex = _proposals.length;
        _proposals.push(
            Proposal({
                stateRoot: stateRoot,
                // forge-lint: disable-next-line(unsafe-typecast) batchIndex < batchCount, far below 2^64
                batchIndex: uint64(batchIndex),
                l2BlockNumber: l2BlockNumber,
                bond: uint128(msg.value), // == proposalBond, checked to fit in the constructor
                proposer: msg.sender,
                proposedAt: uint64(block.timestamp),
                deleted: false,
                bondClaimed: false
            })
        );
        if (lastLivePlusOne != proposalIndex) _previousLiveDistance[proposalIndex] = proposalIndex - lastLivePlusOne;
        _lastLivePlusOne = proposalIndex + 1;
        emit StateRootProposed(proposalIndex, batchIndex, stateRoot, l2BlockNumber, msg.sender);
    }

    /// @notice Pays the bond of finalized proposal `proposalIndex` back to its proposer, once; anyone may call.
    /// @param proposalIndex The proposal.
    function claimBond(uint256 proposalIndex) external nonReentrant {
        if (!isFinalized(proposalIndex)) revert ProposalNotFinalized(proposalIndex);
        Proposal storage proposal = _proposals[proposalIndex];
        if (proposal.bondClaimed) revert BondAlreadyClaimed(proposalIndex);
        proposal.bondClaimed = true;
        address proposer = proposal.proposer;
        uint256 amount = proposal.bond;
        emit BondClaimed(proposalIndex, proposer, amount);
        (bool ok,) = proposer.call{value: amount}("");
        if (!ok) revert BondTransferFailed(proposer, amount);
    }

    // ------------------------------------------------------------------- views

    /// @notice Number of batches appended.
    function batchCount() external view returns (uint256) {
        return _batches.length;
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
        return _proposals[proposalIndex];
    }

    /// @notice Whether proposal `proposalIndex` exists, is not deleted and its challenge window has passed.
    function isFinalized(uint256 proposalIndex) public view returns (bool) {
        if (proposalIndex >= _proposals.length) return false;
        Proposal storage proposal = _proposals[proposalIndex];
        return !proposal.deleted && block.timestamp >= uint256(proposal.proposedAt) + challengeWindow;
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
        batchIndex = _batches.length;
        _batches.push(
            Batch({
                dataHash: dataHash,
                firstL2Block: firstL2Block,
                l2BlockCount: l2BlockCount,
                depositCountAfter: depositCountAfter,
                isBlob: isBlob,
                l1Block: uint64(block.number),
                appendedAt: uint64(block.timestamp)
            })
        );
        emit BatchAppended(batchIndex, firstL2Block, l2BlockCount, depositCountAfter, isBlob, dataHash, blobHashes);
    }

    /// @dev Index + 1 of the newest undeleted proposal at the time `proposalIndex` was made (0 = none).
    function _previousLivePlusOne(uint256 proposalIndex) private view returns (uint256) {
        return proposalIndex - _previousLiveDistance[proposalIndex];
    }

    /// @dev Hook for the fraud-proof game: deletes proposal `proposalIndex` and every later one, so none of them
    ///      ever finalizes, and makes the newest proposal before it (if any) the one new proposals must follow.
    ///      Bonds of deleted proposals stay in the contract for the game to distribute.
    function _deleteFrom(uint256 proposalIndex) internal {
        uint256 count = _proposals.length;
        if (proposalIndex >= count) revert UnknownProposal(proposalIndex);
        if (_proposals[proposalIndex].deleted) revert ProposalAlreadyDeleted(proposalIndex);
        if (isFinalized(proposalIndex)) revert ProposalAlreadyFinal(proposalIndex);
        for (uint256 i = proposalIndex; i < count; i++) {
            Proposal storage proposal = _proposals[i];
            if (!proposal.deleted) proposal.deleted = true;
        }
        // Proposal `proposalIndex` was live, so the proposal that was newest when it was made still is.
        _lastLivePlusOne = _previousLivePlusOne(proposalIndex);
        emit ProposalsDeleted(proposalIndex, count);
    }
}
