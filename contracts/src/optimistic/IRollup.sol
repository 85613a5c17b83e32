// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IRollup
/// @notice What the portal needs from the rollup: the state root of a finalized proposal.
interface IRollup {
    /// @notice State root of proposal `proposalIndex`; reverts `ProposalNotFinalized` unless it is final.
    function finalizedStateRoot(uint256 proposalIndex) external view returns (bytes32);
}
