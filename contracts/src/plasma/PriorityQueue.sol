// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title PriorityQueue
/// @notice A binary min-heap of `uint256` keys in storage (docs/plasma.md "Priority"): the exit queue of
///         `PlasmaFramework`, smallest key first.
/// @dev 1-indexed (`nodes[1]` is the minimum, the children of `i` are `2i` and `2i + 1`). Gas choices:
///      - `size` and `pushed` share one slot, so a push reads and writes one counter word;
///      - a slot vacated by a pop is never cleared: the next push that reaches it pays a non-zero → non-zero write
///        (2,900) instead of a zero → non-zero one (20,000), and the pop pays no clearing either;
///      - sifts move a hole instead of swapping, one write per level.
///      `pushed` counts every key ever inserted: the framework uses it as the exit sequence number.
library PriorityQueue {
    /// @param size Keys in the heap.
    /// @param pushed Keys ever inserted (never decreases).
    /// @param nodes `nodes[1..size]` is the heap; slots above `size` hold stale values.
    struct Heap {
        uint128 size;
        uint128 pushed;
        mapping(uint256 index => uint256) nodes;
    }

    /// @notice The heap is empty.
    error QueueEmpty();

    /// @notice Inserts `key` (read `pushed` first to use the insertion's sequence number inside the key).
    function push(Heap storage heap, uint256 key) internal {
        uint256 i;
        unchecked {
            // uint128 counters cannot overflow with one insertion per call
            i = uint256(heap.size) + 1;
            // forge-lint: disable-next-line(unsafe-typecast) size + 1, and size is a uint128
            heap.size = uint128(i);
            heap.pushed += 1;
        }
        mapping(uint256 => uint256) storage nodes = heap.nodes;
        // sift the hole at the new leaf up, then place `key` in it
        while (i > 1) {
            uint256 parent = i >> 1;
            uint256 parentKey = nodes[parent];
            if (parentKey <= key) break;
            nodes[i] = parentKey;
            i = parent;
        }
        nodes[i] = key;
    }

    /// @notice Removes and returns the smallest key; reverts `QueueEmpty` when there is none.
    function pop(Heap storage heap) internal returns (uint256 min) {
        uint256 size = heap.size;
        if (size == 0) revert QueueEmpty();
        mapping(uint256 => uint256) storage nodes = heap.nodes;
        min = nodes[1];
        uint256 last = nodes[size];
        unchecked {
            size -= 1;
        }
        // forge-lint: disable-next-line(unsafe-typecast) size only decreased from a uint128
        heap.size = uint128(size);
        if (size == 0) return min;
        // sift the hole at the root down, then place `last` in it
        uint256 i = 1;
        while (true) {
            uint256 child = i << 1;
            if (child > size) break;
            uint256 childKey = nodes[child];
            if (child < size) {
                uint256 right = nodes[child + 1];
                if (right < childKey) {
                    child += 1;
                    childKey = right;
                }
            }
            if (last <= childKey) break;
            nodes[i] = childKey;
            i = child;
        }
        nodes[i] = last;
    }

    /// @notice The smallest key, 0 when the heap is empty.
    function top(Heap storage heap) internal view returns (uint256) {
        return heap.size == 0 ? 0 : heap.nodes[1];
    }
}
