// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title PreimageRegistry
/// @notice One shared registry of revealed HTLC preimages (docs/channels.md "L1 contracts"), as Raiden's
///         SecretRegistry: a preimage revealed once settles every hop of a multi-hop payment on L1, since each
///         `ChannelHub.settle` asks it when the payment hash was revealed.
/// @dev The payment hash is `sha256(preimage)` (Lightning's), the preimage exactly 32 bytes. Only the first reveal
///      is recorded: a repeated reveal changes nothing and emits nothing, so a reveal that was front-run (or sent
///      twice) does not revert and a batch of reveals never fails because one of them was already known.
contract PreimageRegistry {
    /// @notice Timestamp of the L1 block in which `sha256(preimage)` was first revealed (0 = never).
    mapping(bytes32 hash => uint64) public revealedAt;

    /// @notice `preimage` (with `sha256(preimage) == hash`) was revealed for the first time, in this block.
    event PreimageRevealed(bytes32 indexed hash, bytes32 preimage);

    /// @notice Records `preimage` as revealed now, unless its hash was already revealed.
    /// @return hash `sha256(preimage)`, the payment hash it unlocks.
    function reveal(bytes32 preimage) external returns (bytes32 hash) {
        hash = _reveal(preimage);
    }

    /// @notice `reveal` of each preimage in order (already revealed ones are skipped).
    function revealMany(bytes32[] calldata preimages) external {
        for (uint256 i = 0; i < preimages.length; i++) {
            _reveal(preimages[i]);
        }
    }

    function _reveal(bytes32 preimage) private returns (bytes32 hash) {
        hash = sha256(abi.encode(preimage));
        if (revealedAt[hash] == 0) {
            // forge-lint: disable-next-line(unsafe-typecast) a block timestamp is far below 2^64
            revealedAt[hash] = uint64(block.timestamp);
            emit PreimageRevealed(hash, preimage);
        }
    }
}
