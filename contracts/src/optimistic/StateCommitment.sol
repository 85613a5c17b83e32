// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title StateCommitment
/// @notice The L2 state as the fraud-proof game sees it: the two roots the state root commits to, the address index
///         tree, and the counters every step needs (docs/optimistic.md, "State commitment"). One trace leaf is
///         `commitment(header)`.
library StateCommitment {
    /// @notice Preimage of a trace leaf.
    struct StateHeader {
        bytes32 accountsRoot;
        bytes32 withdrawalsRoot;
        bytes32 addressesRoot;
        uint64 accountCount;
        uint64 withdrawalCount;
        uint64 depositCount;
        uint64 blockNumber;
        uint16 tokenCount;
    }

    /// @notice `keccak256(abi.encodePacked(accountsRoot, withdrawalsRoot, addressesRoot, accountCount,
    ///         withdrawalCount, depositCount, blockNumber, tokenCount))`, 130 bytes hashed.
    function commitment(StateHeader memory h) internal pure returns (bytes32) {
        return keccak256(
            abi.encodePacked(
                h.accountsRoot,
                h.withdrawalsRoot,
                h.addressesRoot,
                h.accountCount,
                h.withdrawalCount,
                h.depositCount,
                h.blockNumber,
                h.tokenCount
            )
        );
    }

    /// @notice The state root withdrawals are proven against: `keccak256(accountsRoot ‖ withdrawalsRoot)`.
    function stateRoot(StateHeader memory h) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(h.accountsRoot, h.withdrawalsRoot));
    }
}
