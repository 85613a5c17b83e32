// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IPortal
/// @notice What the rollup needs from the portal: how many deposits L1 has queued, each deposit's rolling queue
///         hash (the fraud-proof game proves a deposit's content against it) and each deposit's L1 time (force
///         inclusion of deposits).
interface IPortal {
    /// @notice Number of deposits queued so far (the next deposit's index).
    function depositCount() external view returns (uint256);

    /// @notice Rolling queue hash right after deposit `depositIndex`
    ///         (`keccak256(abi.encode(previousHash, depositIndex, from, to, tokenIndex, amount))`, previous hash zero
    ///         for deposit 0); reverts unless `depositIndex < depositCount()`.
    function depositHashAt(uint256 depositIndex) external view returns (bytes32);

    /// @notice L1 timestamp of the block that queued deposit `depositIndex`; reverts unless
    ///         `depositIndex < depositCount()`.
    function depositQueuedAt(uint256 depositIndex) external view returns (uint64);
}
