// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IPortal
/// @notice What the rollup needs from the portal: how many deposits L1 has queued.
interface IPortal {
    /// @notice Number of deposits queued so far (the next deposit's index).
    function depositCount() external view returns (uint256);
}
