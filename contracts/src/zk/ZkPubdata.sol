// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ZkPubdata
/// @notice Reads a ZK rollup block's pubdata (docs/zk.md, "Block pubdata"): `N` chunks of 10 bytes, each starting
///         operation `type (3 bits) | A (16) | token (5) | X (56)`, big-endian. Counts and checks the priority
///         operations against the L1 queue and collects the withdrawals; also the block commitment.
/// @dev The circuit checks everything else about the operations (signatures, balances, NOOP chunks being zero);
///      L1 checks what it must know itself (priority requests consumed, withdrawals) and refuses data the circuit
///      can never prove (chunk type 7, a truncated operation, a token id ≥ TOKENS in a withdrawal), so a bad block
///      fails at commit instead of stalling the chain until `revertBlocks`.
library ZkPubdata {
    /// @notice Bytes per chunk.
    uint256 internal constant CHUNK_BYTES = 10;
    /// @notice Token slots per account (token ids 0..3; 0 is ETH).
    uint256 internal constant TOKENS = 4;

    uint256 internal constant NOOP = 0;
    uint256 internal constant DEPOSIT = 1;
    uint256 internal constant TRANSFER = 2;
    uint256 internal constant TRANSFER_TO_NEW = 3;
    uint256 internal constant WITHDRAW = 4;
    uint256 internal constant FULL_EXIT = 5;
    uint256 internal constant CHANGE_PUBKEY = 6;
    /// @dev Low 56 / 80 bits.
    uint256 private constant MASK56 = 0xffffffffffffff;
    uint256 private constant MASK80 = 0xffffffffffffffffffff;
    /// @dev Bits 7 and 5 of bytes 0, 10 and 20 of a word: three chunks starting there are all NOOP (000) or
    ///      TRANSFER (010) iff these bits are all 0.
    uint256 private constant SIMPLE3_MASK = 0xa0000000000000000000a0000000000000000000a00000000000000000000000;

    /// @notice A withdrawal a block makes: L1 pays `recipient` `amount` L2 units of `token` once the block is verified.
    /// @param recipient WITHDRAW: the address in the two continuation chunks; FULL_EXIT: the requester (queue).
    /// @param token Token id (< TOKENS).
    /// @param amount L2 units (< 2^56).
    struct Withdrawal {
        address recipient;
        uint8 token;
        uint64 amount;
    }

    /// @notice Chunk `chunkIndex` has type 7 (no such operation).
    error InvalidChunkType(uint256 chunkIndex, uint256 chunkType);
    /// @notice The operation starting at chunk `chunkIndex` needs more chunks than the block has left.
    error TruncatedOperation(uint256 chunkIndex);
    /// @notice The WITHDRAW at chunk `chunkIndex` names token id `token` ≥ TOKENS.
    error InvalidWithdrawalToken(uint256 chunkIndex, uint256 token);
    /// @notice The priority chunk at `chunkIndex` would consume request `requestIndex`, but only `totalRequests` are
    ///         queued.
    error TooManyPriorityOps(uint256 chunkIndex, uint256 requestIndex, uint256 totalRequests);
    /// @notice The priority chunk at `chunkIndex` does not match request `requestIndex` of the queue (kind, token,
    ///         amount for a deposit; account for a full exit or a key change).
    error PriorityOpMismatch(uint256 chunkIndex, uint256 requestIndex);

    /// @notice Walks `pubdata` (length already checked to be a multiple of 10) and returns how many priority requests
    ///         it consumes from `firstRequest` on, and `keccak256(abi.encode(Withdrawal[]))` of its withdrawals in
    ///         pubdata order.
    /// @param requests The queue's packed request words `a` (docs/zk.md "Priority queue"), by request index.
    /// @param totalRequests Requests queued so far.
    function parse(
        bytes calldata pubdata,
        uint256 firstRequest,
        uint256 totalRequests,
        mapping(uint256 => uint256) storage requests
    ) internal view returns (uint256 priorityOps, bytes32 withdrawalsHash) {
        // err: 0 = none, else code | chunkIndex << 8 | detail << 128 (code 1: chunk type 7, 2: truncated operation,
        // 3: withdrawal token, 4: too many priority ops, 5: priority op mismatch; detail: type, token or request).
        uint256 err;
        assembly ("memory-safe") {
            function request(r, slot) -> word {
                mstore(0, r)
                mstore(0x20, slot)
                word := sload(keccak256(0, 0x40))
            }
            // The low 80 bits the request consumed by priority chunk c (type t) must have:
            // type | token << 3 | amount << 8 | accountIndex << 64.
            function expectedRequest(c, t) -> e {
                e := or(t, shl(3, and(shr(56, c), 0x1f)))
                switch t
                case 1 { e := or(e, shl(8, and(c, MASK56))) } // DEPOSIT: token, amount (the operator picks A)
                case 5 { e := or(e, shl(64, and(shr(61, c), 0xffff))) } // FULL_EXIT: token, account (X = result)
                default { e := or(e, or(shl(8, and(c, MASK56)), shl(64, and(shr(61, c), 0xffff)))) } // CHANGE_PUBKEY
            }
            // Appends (recipient, token, amount) as abi.encode does; returns the new end.
            function push(ptr, recipient, token, amount) -> next {
                mstore(ptr, recipient)
                mstore(add(ptr, 0x20), token)
                mstore(add(ptr, 0x40), amount)
                next := add(ptr, 0x60)
            }

            // Scratch after the free memory pointer: ctx = [next request, total requests, queue slot, pubdata offset],
            // then the withdrawals as abi.encode(Withdrawal[]) (offset word, length word, 3 words each). The
            // function's own variables are only touched outside the loop (stack depth).
            let ctx := mload(0x40)
            mstore(ctx, firstRequest)
            mstore(add(ctx, 0x20), totalRequests)
            mstore(add(ctx, 0x40), requests.slot)
            mstore(add(ctx, 0x60), pubdata.offset)
            let ptr := pubdata.offset
            let end := add(ptr, mul(div(pubdata.length, CHUNK_BYTES), CHUNK_BYTES))
            let wEnd := add(ctx, 0xc0)
            let e := 0
            for {} lt(ptr, end) {} {
                // fast path: the next three chunks are NOOPs or TRANSFERs (nothing for L1)
                if iszero(gt(add(ptr, 30), end)) {
                    if iszero(and(calldataload(ptr), SIMPLE3_MASK)) {
                        ptr := add(ptr, 30)
                        continue
                    }
                }
                let c := shr(176, calldataload(ptr))
                let t := shr(77, c)
                // NOOP (0) and TRANSFER (2): nothing for L1 (bits 0 and 2 of 5)
                if and(shr(t, 5), 1) {
                    ptr := add(ptr, CHUNK_BYTES)
                    continue
                }
                switch t
                case 3 {
                    // TRANSFER_TO_NEW + 2 address chunks
                    if gt(add(ptr, 30), end) {
                        e := 2
                        break
                    }
                    ptr := add(ptr, 30)
                }
                case 4 {
                    // WITHDRAW + 2 chunks: the L1 recipient, high 80 bits first
                    if gt(add(ptr, 30), end) {
                        e := 2
                        break
                    }
                    if iszero(lt(and(shr(56, c), 0x1f), TOKENS)) {
                        e := or(3, shl(128, and(shr(56, c), 0x1f)))
                        break
                    }
                    let recipient :=
                        or(shl(80, shr(176, calldataload(add(ptr, 10)))), shr(176, calldataload(add(ptr, 20))))
                    wEnd := push(wEnd, recipient, and(shr(56, c), 0x1f), and(c, MASK56))
                    ptr := add(ptr, 30)
                }
                case 7 {
                    e := or(1, shl(128, t))
                    break
                }
                default {
                    // DEPOSIT (1), FULL_EXIT (5), CHANGE_PUBKEY (6): the next priority request.
                    let r := mload(ctx)
                    if iszero(lt(r, mload(add(ctx, 0x20)))) {
                        e := or(4, shl(128, r))
                        break
                    }
                    let word := request(r, mload(add(ctx, 0x40)))
                    if iszero(eq(and(word, MASK80), expectedRequest(c, t))) {
                        e := or(5, shl(128, r))
                        break
                    }
                    // FULL_EXIT with X > 0 pays the requester (the request's address).
                    if and(eq(t, 5), gt(and(c, MASK56), 0)) {
                        wEnd := push(wEnd, shr(80, word), and(shr(56, c), 0x1f), and(c, MASK56))
                    }
                    mstore(ctx, add(r, 1))
                    ptr := add(ptr, CHUNK_BYTES)
                }
            }
            // the failing chunk's index
            if e { e := or(e, shl(8, div(sub(ptr, mload(add(ctx, 0x60))), CHUNK_BYTES))) }
            let w := add(ctx, 0x80)
            mstore(w, 0x20)
            mstore(add(w, 0x20), div(sub(wEnd, add(w, 0x40)), 0x60))
            withdrawalsHash := keccak256(w, sub(wEnd, w))
            priorityOps := sub(mload(ctx), firstRequest)
            err := e
        }
        if (err != 0) {
            uint256 code = err & 0xff;
            uint256 chunkIndex = (err >> 8) & type(uint120).max;
            uint256 detail = err >> 128;
            if (code == 1) revert InvalidChunkType(chunkIndex, detail);
            if (code == 2) revert TruncatedOperation(chunkIndex);
            if (code == 3) revert InvalidWithdrawalToken(chunkIndex, detail);
            if (code == 4) revert TooManyPriorityOps(chunkIndex, detail, totalRequests);
            revert PriorityOpMismatch(chunkIndex, detail);
        }
    }

    /// @notice The block commitment, the circuit's single public input:
    ///         `uint256(sha256(oldRoot ‖ newRoot ‖ pBefore ‖ pAfter ‖ pubdata)) mod 2^253`.
    function commitment(bytes32 oldRoot, bytes32 newRoot, uint256 pBefore, uint256 pAfter, bytes calldata pubdata)
        internal
        pure
        returns (bytes32)
    {
        return bytes32(uint256(sha256(abi.encodePacked(oldRoot, newRoot, pBefore, pAfter, pubdata))) & ((1 << 253) - 1));
    }

    /// @notice `keccak256(abi.encode(withdrawals))`, the `withdrawalsHash` of a block with these withdrawals.
    function hashWithdrawals(Withdrawal[] calldata withdrawals) internal pure returns (bytes32) {
        return keccak256(abi.encode(withdrawals));
    }
}
