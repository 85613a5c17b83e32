// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {SparseMerkle} from "../common/SparseMerkle.sol";
import {StakeManager} from "./StakeManager.sol";

/// @title SidechainBridge
/// @notice The L1 half of the sidechain's bridge: deposits of ETH and ERC-20s (credited on the sidechain by its
///         validators: ETH to the balance, tokens minted by the `L2Bridge` predeploy), checkpoints of the sidechain
///         signed by more than ⅔ of the validators' power in the `StakeManager`, and withdrawals paid against a
///         checkpoint's withdrawals root.
/// @dev **Trust model.** L1 checks signatures, not state transitions: a checkpoint is whatever a quorum (> ⅔ of the
///      current total power) signs. A quorum of colluding validators can therefore sign a checkpoint whose
///      withdrawals tree contains withdrawals that never happened on the sidechain and drain this bridge — but never
///      more per token than was deposited (`paid[token] ≤ deposited[token]`, checked on every payout), and
///      double-signing in consensus stays slashable in the `StakeManager`. Signers with less than the quorum can do
///      nothing.
///
///      Checkpoints are EIP-712 `Checkpoint` structs under the domain `{name: "l2kit sidechain bridge", version: "1",
///      chainId, verifyingContract: this}` (so a signature is good for one chain and one bridge only), signed by the
///      validators' consensus keys (their `StakeManager` addresses). They are sequential (`number` 0, 1, …) and
///      cover consecutive, non-empty ranges of sidechain blocks (the first starts at block 1). Signers are checked
///      against the **current** set (`StakeManager.powerOf` at submission), as 65-byte `r ‖ s ‖ v` signatures
///      (low s, v ∈ {27, 28}) in strictly ascending signer order (so no signer counts twice). Anyone may submit.
///
///      Withdrawals. A checkpoint's `withdrawalsRoot` is a depth-16 keccak tree (`SparseMerkle`'s rules: `node =
///      keccak256(left ‖ right)`, empty leaf = 32 zero bytes, siblings bottom-up, bit `i` of the index set = right
///      child at level `i`) whose leaf `i < withdrawalCount` is `keccak256(abi.encode(Withdrawal))` of the
///      sidechain's withdrawal, in `L2Bridge`'s id order. Each leaf is paid once (`AlreadyFinalized`).
///
///      Storage per checkpoint: only what withdrawals need, and only when the checkpoint has any — its
///      `withdrawalsRoot` (one slot) and its `withdrawalCount` (a `uint32`, eight per slot); the block range and the
///      other roots are in the `CheckpointSubmitted` event. The checkpoint counter and the next start block share
///      one slot (initialised in the constructor, so no submission pays for a zero-to-non-zero write there).
///
///      Payouts: ETH is pushed with `ETH_PUSH_GAS` (a recipient that reverts or needs more gas is credited and takes
///      it with `claim`, so no recipient can block its own finalization); ERC-20s are sent with SafeERC20 (a
///      reverting transfer reverts the finalization, which can be retried). Solvency: ETH enters through
///      `depositETH` only (no `receive`) and the balance is always ≥ `deposited[0] − paid[0] + totalCredits`; for a
///      token, the balance is ≥ `deposited[token] − paid[token]` (deposits count what the bridge actually received).
contract SidechainBridge is EIP712, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice A sidechain checkpoint as signed by the validators (EIP-712 `Checkpoint`).
    /// @param number Sequential, from 0.
    /// @param startBlock First sidechain block covered (1 for checkpoint 0, then the previous `endBlock` + 1).
    /// @param endBlock Last sidechain block covered (≥ `startBlock`).
    /// @param blocksRoot Commitment to the covered blocks' hashes (not interpreted on L1).
    /// @param stateRoot The sidechain's state root after `endBlock` (not interpreted on L1).
    /// @param withdrawalsRoot Root of the depth-16 tree of the withdrawals started in the covered blocks.
    /// @param withdrawalCount Number of leaves in that tree (≤ 65,536).
    struct Checkpoint {
        uint64 number;
        uint64 startBlock;
        uint64 endBlock;
        bytes32 blocksRoot;
        bytes32 stateRoot;
        bytes32 withdrawalsRoot;
        uint32 withdrawalCount;
    }

    /// @notice A withdrawal as `L2Bridge` started it (its `WithdrawalInitiated` event); the leaf is
    ///         `keccak256(abi.encode(w))`.
    /// @param id `L2Bridge`'s withdrawal id.
    /// @param from The sidechain account that withdrew.
    /// @param to The L1 recipient.
    /// @param token The L1 token, 0 for ETH.
    /// @param amount In the L1 token's base units (wei for ETH).
    struct Withdrawal {
        uint256 id;
        address from;
        address to;
        address token;
        uint256 amount;
    }

    /// @notice EIP-712 type hash of `Checkpoint`.
    bytes32 public constant CHECKPOINT_TYPEHASH = keccak256(
        "Checkpoint(uint64 number,uint64 startBlock,uint64 endBlock,bytes32 blocksRoot,bytes32 stateRoot,bytes32 withdrawalsRoot,uint32 withdrawalCount)"
    );
    /// @notice Depth of a checkpoint's withdrawals tree (the proof length).
    uint256 public constant WITHDRAWALS_DEPTH = 16;
    /// @notice Most withdrawals in one checkpoint (2^16, the tree's capacity).
    uint256 public constant MAX_WITHDRAWALS_PER_CHECKPOINT = 65_536;
    /// @notice Gas given to an ETH recipient when its withdrawal is pushed (a failed push is credited).
    uint256 public constant ETH_PUSH_GAS = 30_000;

    /// @notice The validators' stake: their current powers weigh checkpoint signatures.
    StakeManager public immutable stakeManager;

    /// @notice Checkpoints submitted so far; the next one must have this `number`.
    uint64 public checkpointCount;
    /// @notice First sidechain block the next checkpoint must start at.
    uint64 public nextStartBlock;
    /// @notice Deposits made so far (ETH and tokens); the next one gets this id.
    uint256 public depositCount;
    /// @notice ETH credited to recipients whose push failed, not claimed yet.
    uint256 public totalCredits;
    /// @notice Everything ever deposited per L1 token (0: ETH).
    mapping(address token => uint256) public deposited;
    /// @notice Everything ever paid out (or credited) per L1 token (0: ETH); never above `deposited`.
    mapping(address token => uint256) public paid;
    /// @notice ETH withdrawals whose push failed, taken with `claim`.
    mapping(address account => uint256) public credits;

    /// @dev withdrawalsRoot of checkpoints with withdrawals.
    mapping(uint256 number => bytes32) private _withdrawalsRoot;
    /// @dev withdrawalCount of checkpoint `n` is the `uint32` at bits `32·(n % 8)` of word `n / 8`.
    mapping(uint256 word => uint256) private _withdrawalCounts;
    /// @dev Leaves paid (or credited).
    mapping(bytes32 leaf => bool) private _finalized;

    /// @notice Deposit `id`: `from` deposited `amount` of `token` (0: ETH) for `to` on the sidechain.
    event Deposited(uint256 indexed id, address indexed from, address indexed to, address token, uint256 amount);
    /// @notice Checkpoint `number` (blocks `startBlock..endBlock`) was accepted, submitted by `submitter`.
    event CheckpointSubmitted(
        uint256 indexed number,
        uint64 startBlock,
        uint64 endBlock,
        bytes32 blocksRoot,
        bytes32 stateRoot,
        bytes32 withdrawalsRoot,
        uint32 withdrawalCount,
        address submitter
    );
    /// @notice Sidechain withdrawal `id` paid `amount` of `token` (0: ETH) to `to`, proven in `checkpointNumber`.
    event WithdrawalFinalized(
        uint256 indexed id, address indexed to, address token, uint256 amount, uint256 checkpointNumber
    );
    /// @notice The ETH push of `amount` to `to` failed; it was credited to `credits[to]`.
    event WithdrawalCredited(address indexed to, uint256 amount);
    /// @notice `account` claimed its credited `amount`.
    event Claimed(address indexed account, uint256 amount);

    /// @notice A zero amount (deposit or withdrawal), or a deposit of which the bridge received nothing.
    error ZeroAmount();
    /// @notice A zero recipient or token address.
    error ZeroAddress();
    /// @notice The checkpoint's `number` is `given`, the next one is `expected`.
    error WrongCheckpointNumber(uint256 expected, uint256 given);
    /// @notice The checkpoint starts at `given`, the next one must start at `expected`.
    error WrongStartBlock(uint64 expected, uint64 given);
    /// @notice `endBlock` < `startBlock`.
    error EmptyBlockRange(uint64 startBlock, uint64 endBlock);
    /// @notice `endBlock` is 2^64 − 1: no checkpoint could follow.
    error EndBlockTooLarge(uint64 endBlock);
    /// @notice More than `MAX_WITHDRAWALS_PER_CHECKPOINT` withdrawals.
    error TooManyWithdrawals(uint256 withdrawalCount);
    /// @notice The signatures' total length is not a multiple of 65.
    error SignaturesLength(uint256 length);
    /// @notice Signature `index` is malformed, non-canonical (high s, v ∉ {27, 28}) or recovers no address.
    error BadSignature(uint256 index);
    /// @notice The signer of signature `index` is not above the previous signer (order is strictly ascending).
    error SignersNotAscending(uint256 index);
    /// @notice `signer` has no power in the current validator set.
    error NotValidator(address signer);
    /// @notice The signers hold `have`; a quorum needs `needed` = ⌊2·total/3⌋ + 1.
    error InsufficientPower(uint256 have, uint256 needed);
    /// @notice No checkpoint `number` yet (`count` were submitted).
    error UnknownCheckpoint(uint256 number, uint256 count);
    /// @notice A withdrawal proof must have exactly `WITHDRAWALS_DEPTH` siblings.
    error BadProofLength(uint256 length);
    /// @notice Leaf `index` is not below the checkpoint's `withdrawalCount`.
    error WithdrawalIndexOutOfRange(uint256 index, uint256 withdrawalCount);
    /// @notice The proof gives `computedRoot`, not the checkpoint's `withdrawalsRoot`.
    error InvalidProof(bytes32 computedRoot, bytes32 withdrawalsRoot);
    /// @notice Withdrawal `leaf` was already paid.
    error AlreadyFinalized(bytes32 leaf);
    /// @notice Paying `amount` of `token` would exceed what was deposited (`available` = deposited − paid).
    error Insolvent(address token, uint256 amount, uint256 available);
    /// @notice Sending `amount` wei to `to` failed.
    error EthTransferFailed(address to, uint256 amount);
    /// @notice `account` has nothing credited.
    error NothingToClaim(address account);

    /// @param stakeManager_ The `StakeManager` whose active validators sign checkpoints.
    constructor(StakeManager stakeManager_) EIP712("l2kit sidechain bridge", "1") {
        stakeManager = stakeManager_;
        nextStartBlock = 1;
    }

    // ------------------------------------------------------------------------------------------------ deposits

    /// @notice Deposits `msg.value` wei for `to` on the sidechain.
    /// @return id The deposit's id.
    function depositETH(address to) external payable returns (uint256 id) {
        if (msg.value == 0) revert ZeroAmount();
        if (to == address(0)) revert ZeroAddress();
        deposited[address(0)] += msg.value;
        id = _recordDeposit(to, address(0), msg.value);
    }

    /// @notice Deposits `amount` of `token` (after `approve`) for `to` on the sidechain. What is credited (and
    ///         emitted) is what the bridge actually received, in case the token takes a fee.
    /// @return id The deposit's id.
    function depositERC20(address token, address to, uint256 amount) external nonReentrant returns (uint256 id) {
        if (amount == 0) revert ZeroAmount();
        if (token == address(0) || to == address(0)) revert ZeroAddress();
        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = IERC20(token).balanceOf(address(this)) - before;
        if (received == 0) revert ZeroAmount();
        deposited[token] += received;
        id = _recordDeposit(to, token, received);
    }

    // --------------------------------------------------------------------------------------------- checkpoints

    /// @notice Accepts the next checkpoint, signed by validators holding a quorum of the current power: `signatures`
    ///         is the signers' 65-byte `r ‖ s ‖ v` signatures of `hashCheckpoint(cp)`, concatenated in strictly
    ///         ascending signer order. Anyone may submit. Any failure reverts with its error and changes nothing.
    function submitCheckpoint(Checkpoint calldata cp, bytes calldata signatures) external {
        uint64 number = checkpointCount;
        uint64 start = nextStartBlock;
        if (cp.number != number) revert WrongCheckpointNumber(number, cp.number);
        if (cp.startBlock != start) revert WrongStartBlock(start, cp.startBlock);
        if (cp.endBlock < cp.startBlock) revert EmptyBlockRange(cp.startBlock, cp.endBlock);
        if (cp.endBlock == type(uint64).max) revert EndBlockTooLarge(cp.endBlock);
        uint32 count = cp.withdrawalCount;
        if (count > MAX_WITHDRAWALS_PER_CHECKPOINT) revert TooManyWithdrawals(count);

        _checkQuorum(hashCheckpoint(cp), signatures);

        checkpointCount = number + 1;
        nextStartBlock = cp.endBlock + 1;
        if (count != 0) {
            _withdrawalsRoot[number] = cp.withdrawalsRoot;
            _withdrawalCounts[number >> 3] |= uint256(count) << ((number & 7) << 5);
        }
        emit CheckpointSubmitted(
            number, cp.startBlock, cp.endBlock, cp.blocksRoot, cp.stateRoot, cp.withdrawalsRoot, count, msg.sender
        );
    }

    // --------------------------------------------------------------------------------------------- withdrawals

    /// @notice Pays withdrawal `w`, proven at leaf `index` of checkpoint `checkpointNumber`'s withdrawals tree by
    ///         `proof` (exactly `WITHDRAWALS_DEPTH` siblings, bottom-up). Anyone may call it for anyone; each leaf is
    ///         paid once, and never beyond what was deposited of its token. ETH is pushed to `w.to` (credited for
    ///         `claim` if the push fails); an ERC-20 is transferred.
    function finalizeWithdrawal(
        Withdrawal calldata w,
        uint256 checkpointNumber,
        uint256 index,
        bytes32[] calldata proof
    ) external nonReentrant {
        bytes32 leaf = _provenLeaf(w, checkpointNumber, index, proof);
        address token = w.token;
        uint256 amount = w.amount;
        uint256 paidBefore = paid[token];
        uint256 available = deposited[token] - paidBefore;
        if (amount > available) revert Insolvent(token, amount, available);
        _finalized[leaf] = true;
        paid[token] = paidBefore + amount;
        emit WithdrawalFinalized(w.id, w.to, token, amount, checkpointNumber);

        if (token == address(0)) {
            _pushEth(w.to, amount);
        } else {
            IERC20(token).safeTransfer(w.to, amount);
        }
    }

    /// @notice Sends the caller its credited ETH (withdrawals whose push failed), with all the gas it needs.
    function claim() external nonReentrant {
        uint256 amount = credits[msg.sender];
        if (amount == 0) revert NothingToClaim(msg.sender);
        credits[msg.sender] = 0;
        totalCredits -= amount;
        emit Claimed(msg.sender, amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert EthTransferFailed(msg.sender, amount);
    }

    // --------------------------------------------------------------------------------------------------- views

    /// @notice The EIP-712 digest validators sign for `cp`.
    function hashCheckpoint(Checkpoint calldata cp) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    CHECKPOINT_TYPEHASH,
                    cp.number,
                    cp.startBlock,
                    cp.endBlock,
                    cp.blocksRoot,
                    cp.stateRoot,
                    cp.withdrawalsRoot,
                    cp.withdrawalCount
                )
            )
        );
    }

    /// @notice What checkpoint `number` stored for withdrawals: its withdrawals root and count. A checkpoint without
    ///         withdrawals stores nothing: (0, 0) whatever root was signed (the event has it).
    function checkpointRoot(uint256 number) external view returns (bytes32 withdrawalsRoot, uint32 withdrawalCount) {
        if (number >= checkpointCount) revert UnknownCheckpoint(number, checkpointCount);
        withdrawalCount = _withdrawalCountOf(number);
        withdrawalsRoot = _withdrawalsRoot[number];
    }

    /// @notice The leaf of `w` in a withdrawals tree: `keccak256(abi.encode(w))`.
    function withdrawalLeaf(Withdrawal calldata w) public pure returns (bytes32) {
        return keccak256(abi.encode(w));
    }

    /// @notice Whether the withdrawal with this leaf was paid (or credited).
    function isFinalized(bytes32 leaf) external view returns (bool) {
        return _finalized[leaf];
    }

    /// @notice This contract's EIP-712 domain separator.
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ------------------------------------------------------------------------------------------------- private

    function _recordDeposit(address to, address token, uint256 amount) private returns (uint256 id) {
        id = depositCount;
        depositCount = id + 1;
        emit Deposited(id, msg.sender, to, token, amount);
    }

    /// @dev Reverts unless `signatures` are valid signatures of `digest` by current validators, strictly ascending,
    ///      whose powers sum to a quorum of the current total.
    function _checkQuorum(bytes32 digest, bytes calldata signatures) private view {
        uint256 length = signatures.length;
        if (length % 65 != 0) revert SignaturesLength(length);
        uint256 n = length / 65;
        StakeManager sm = stakeManager;
        address previous;
        uint256 power;
        for (uint256 i = 0; i < n; i++) {
            bytes32 r;
            bytes32 s;
            uint8 v;
            assembly ("memory-safe") {
                let at := add(signatures.offset, mul(i, 65))
                r := calldataload(at)
                s := calldataload(add(at, 0x20))
                v := byte(0, calldataload(add(at, 0x40)))
            }
            (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, v, r, s);
            if (err != ECDSA.RecoverError.NoError) revert BadSignature(i);
            if (signer <= previous) revert SignersNotAscending(i);
            uint256 p = _powerOf(sm, signer);
            if (p == 0) revert NotValidator(signer);
            power += p;
            previous = signer;
        }
        uint256 needed = (2 * sm.totalPower()) / 3 + 1;
        if (power < needed) revert InsufficientPower(power, needed);
    }

    /// @dev `sm.powerOf(account)` without the high-level call's code-size check and memory use (a signer loop
    ///      calls it once per signature).
    function _powerOf(StakeManager sm, address account) private view returns (uint256 power) {
        bytes4 selector = StakeManager.powerOf.selector;
        assembly ("memory-safe") {
            mstore(0x00, selector)
            mstore(0x04, account)
            if iszero(staticcall(gas(), sm, 0x00, 0x24, 0x00, 0x20)) {
                returndatacopy(0x00, 0x00, returndatasize())
                revert(0x00, returndatasize())
            }
            if lt(returndatasize(), 0x20) { revert(0x00, 0x00) }
            power := mload(0x00)
        }
    }

    /// @dev The leaf of `w` once it is proven unpaid at `index` of checkpoint `checkpointNumber`'s withdrawals tree.
    function _provenLeaf(Withdrawal calldata w, uint256 checkpointNumber, uint256 index, bytes32[] calldata proof)
        private
        view
        returns (bytes32 leaf)
    {
        uint256 cpCount = checkpointCount;
        if (checkpointNumber >= cpCount) revert UnknownCheckpoint(checkpointNumber, cpCount);
        if (proof.length != WITHDRAWALS_DEPTH) revert BadProofLength(proof.length);
        uint256 count = _withdrawalCountOf(checkpointNumber);
        if (index >= count) revert WithdrawalIndexOutOfRange(index, count);
        if (w.amount == 0) revert ZeroAmount();
        if (w.to == address(0)) revert ZeroAddress();
        leaf = withdrawalLeaf(w);
        if (_finalized[leaf]) revert AlreadyFinalized(leaf);
        bytes32 root = _withdrawalsRoot[checkpointNumber];
        bytes32 computed = SparseMerkle.computeRoot(leaf, index, proof);
        if (computed != root) revert InvalidProof(computed, root);
    }

    function _withdrawalCountOf(uint256 number) private view returns (uint32) {
        // forge-lint: disable-next-line(unsafe-typecast) the word holds eight uint32s
        return uint32(_withdrawalCounts[number >> 3] >> ((number & 7) << 5));
    }

    /// @dev Pushes `amount` wei to `to` with `ETH_PUSH_GAS`; credits it if the push fails.
    function _pushEth(address to, uint256 amount) private {
        bool ok;
        uint256 gasLimit = ETH_PUSH_GAS;
        assembly ("memory-safe") {
            ok := call(gasLimit, to, amount, 0, 0, 0, 0) // no return data copied
        }
        if (!ok) {
            credits[to] += amount;
            totalCredits += amount;
            emit WithdrawalCredited(to, amount);
        }
    }
}
