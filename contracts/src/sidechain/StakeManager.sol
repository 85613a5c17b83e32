// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

/// @title StakeManager
/// @notice The L1 stake of a sidechain's validators (docs/sidechain.md, the normative protocol): validators bond ETH
///         here, and the active validators with their stakes are the sidechain's validator set. Anyone may submit
///         double-sign evidence (two conflicting consensus votes signed by one staked key): the key's whole stake is
///         slashed, half to the reporter, half burnt, and the key is removed from the set for good.
/// @dev **Voting power = stake in wei**, unscaled: every consensus threshold (quorum `⌊2·total/3⌋ + 1`) is computed
///      from these exact numbers. The total active power stays below 2^128 (docs/sidechain.md's bound; `stake`
///      refuses more), so each stake fits the packed `uint128` below.
///
///      A validator's address is its consensus signing key: the signatures the sidechain's consensus produces are
///      EIP-712 over this contract's domain `{name: "l2kit sidechain", version: "1", chainId, verifyingContract:
///      this}`, so evidence is valid only for this chain and this StakeManager.
///
///      Lifecycle of an address: none → active (`stake`) → unbonding (`startUnbond`: leaves the set at once, still
///      slashable) → none again (`withdraw` after `unbondingDelay`). Slashing (active or unbonding) takes the whole
///      stake and **tombstones** the key: it can never stake again, since whoever leaked or misused it may still
///      hold it. That also makes every (validator, height, round, type) slot slashable at most once — a validator is
///      slashable at most once in all — so a replayed or second piece of evidence changes nothing.
///
///      The set is stored unordered (O(1) join and leave by swap-and-pop, at most `maxValidators`); `validators()`
///      returns it in the canonical order (strictly ascending address), sorted in memory. `epoch` increments on every
///      change of the active set or of an active power, and every such change emits `PowerChanged`, so a node can
///      rebuild the set from that one event.
///
///      Solvency: ETH enters only through `stake` and leaves only through `withdraw` (an unbonded stake) and reporter
///      payouts (`slashDoubleSign`, `claim`), so the balance always equals `totalPower + totalUnbonding +
///      totalCredits + burnt` (more only if someone force-sends ETH).
contract StakeManager is EIP712, ReentrancyGuardTransient {
    /// @notice A prevote or precommit as signed by a validator (EIP-712 `Vote`; the signer is recovered, not signed).
    /// @param voteType 1 prevote, 2 precommit (0 is deliberately unused).
    /// @param height Sidechain block height.
    /// @param round Consensus round within the height.
    /// @param blockHash The voted block's hash, or 32 zero bytes (nil) for no block.
    struct Vote {
        uint8 voteType;
        uint64 height;
        uint32 round;
        bytes32 blockHash;
    }

    /// @notice Where an address stands.
    enum Status {
        None,
        Active,
        Unbonding,
        Slashed
    }

    /// @dev One storage slot per address. `amount` is the stake (active or unbonding); `withdrawableAt` is set while
    ///      unbonding; `slot` is the index in `_active` plus one while active (0 otherwise); `slashed` tombstones.
    struct Record {
        uint128 amount;
        uint64 withdrawableAt;
        uint32 slot;
        bool slashed;
    }

    /// @notice EIP-712 type hash of `Vote`.
    bytes32 public constant VOTE_TYPEHASH =
        keccak256("Vote(uint8 voteType,uint64 height,uint32 round,bytes32 blockHash)");
    /// @notice `voteType` of a prevote.
    uint8 public constant PREVOTE = 1;
    /// @notice `voteType` of a precommit.
    uint8 public constant PRECOMMIT = 2;
    /// @notice Largest `maxValidators` (docs/sidechain.md: a set has at most 10,000 validators).
    uint256 public constant MAX_VALIDATORS_LIMIT = 10_000;
    /// @notice The total active power stays strictly below this (docs/sidechain.md).
    uint256 public constant MAX_TOTAL_POWER = 2 ** 128;
    /// @notice Gas given to a reporter when its reward is pushed (a recipient that needs more, or reverts, is
    ///         credited and calls `claim`, so a reporter can never make slashing fail).
    uint256 public constant ETH_PUSH_GAS = 30_000;

    /// @notice Smallest stake with which an address joins the set (top-ups may be any positive amount).
    uint256 public immutable minStake;
    /// @notice Seconds between `startUnbond` and the earliest `withdraw` (evidence can arrive in that window).
    uint64 public immutable unbondingDelay;
    /// @notice Most active validators at once.
    uint256 public immutable maxValidators;

    /// @notice Incremented on every change of the active set or of an active validator's power.
    uint256 public epoch;
    /// @notice Sum of the active validators' powers (stakes).
    uint256 public totalPower;
    /// @notice Sum of the stakes that left the set but are not withdrawn yet (still slashable).
    uint256 public totalUnbonding;
    /// @notice Sum of the reporter rewards credited but not claimed yet.
    uint256 public totalCredits;
    /// @notice Slashed wei burnt: kept in this contract forever, withdrawable by no one.
    uint256 public burnt;
    /// @notice Reporter rewards whose push failed, taken with `claim`.
    mapping(address account => uint256) public credits;

    mapping(address account => Record) private _records;
    /// @dev Active validators, unordered (see `_records[...].slot`).
    address[] private _active;

    /// @notice `validator` joined the set with `power`.
    event ValidatorJoined(address indexed validator, uint256 power, uint256 epoch);
    /// @notice Active `validator` added `added` to its stake; its power is now `power`.
    event StakeIncreased(address indexed validator, uint256 added, uint256 power, uint256 epoch);
    /// @notice `validator` left the set; its `amount` is withdrawable from `withdrawableAt` (and slashable until then).
    event UnbondingStarted(address indexed validator, uint256 amount, uint64 withdrawableAt, uint256 epoch);
    /// @notice `validator` withdrew its unbonded stake `amount`.
    event Withdrawn(address indexed validator, uint256 amount);
    /// @notice `validator` double-signed (`voteType`, `height`, `round`): its whole stake `amount` was slashed,
    ///         `reward` to `reporter` and `burned` burnt; it is tombstoned. `epoch` is the epoch after the slash
    ///         (bumped only if the validator was active).
    event Slashed(
        address indexed validator,
        address indexed reporter,
        uint8 voteType,
        uint64 height,
        uint32 round,
        uint256 amount,
        uint256 reward,
        uint256 burned,
        uint256 epoch
    );
    /// @notice Every set change: `validator`'s power is now `power` (0: it left the set) as of `epoch`.
    event PowerChanged(address indexed validator, uint256 power, uint256 indexed epoch);
    /// @notice A reward push of `amount` to `account` failed and was credited to `credits[account]`.
    event RewardCredited(address indexed account, uint256 amount);
    /// @notice `account` claimed its credited `amount`.
    event Claimed(address indexed account, uint256 amount);

    /// @notice `minStake` must be positive.
    error ZeroMinStake();
    /// @notice `maxValidators` must be in 1..`MAX_VALIDATORS_LIMIT`.
    error MaxValidatorsOutOfRange(uint256 maxValidators);
    /// @notice `stake` with no ETH.
    error ZeroStake();
    /// @notice A joining stake of `given` wei, below `minStake`.
    error StakeBelowMinimum(uint256 minStake, uint256 given);
    /// @notice The set already has `maxValidators` members.
    error ValidatorSetFull(uint256 maxValidators);
    /// @notice The stake would bring the total power to `total`, not below `MAX_TOTAL_POWER`.
    error TotalPowerTooLarge(uint256 total);
    /// @notice `validator` is unbonding: it may withdraw from `withdrawableAt`, then stake again.
    error AlreadyUnbonding(address validator, uint64 withdrawableAt);
    /// @notice `validator` was slashed (tombstoned): it can neither stake again nor be slashed again.
    error AlreadySlashed(address validator);
    /// @notice `account` is not an active validator.
    error NotActiveValidator(address account);
    /// @notice `account` has no unbonding stake.
    error NotUnbonding(address account);
    /// @notice The unbonding stake is withdrawable from `withdrawableAt` only.
    error UnbondingNotOver(uint64 withdrawableAt);
    /// @notice Sending `amount` wei to `to` failed.
    error EthTransferFailed(address to, uint256 amount);
    /// @notice `account` has no credited reward.
    error NothingToClaim(address account);
    /// @notice A vote type other than 1 (prevote) or 2 (precommit).
    error InvalidVoteType(uint8 voteType);
    /// @notice The two votes have different types: not one slot.
    error VoteTypeMismatch(uint8 a, uint8 b);
    /// @notice The two votes have different heights: not one slot.
    error HeightMismatch(uint64 a, uint64 b);
    /// @notice The two votes have different rounds: not one slot.
    error RoundMismatch(uint32 a, uint32 b);
    /// @notice The two votes are for the same block: no conflict.
    error SameBlockHash(bytes32 blockHash);
    /// @notice Signature `index` (0: of `a`, 1: of `b`) is malformed, non-canonical (high s, v ∉ {27, 28}) or invalid.
    error BadSignature(uint256 index);
    /// @notice The two votes were signed by different keys.
    error SignersDiffer(address signerA, address signerB);
    /// @notice `signer` has no stake (never staked, or withdrawn): there is nothing to slash.
    error NotStaked(address signer);

    /// @param minStake_ Smallest joining stake in wei (> 0).
    /// @param unbondingDelay_ Seconds an unbonding stake stays slashable before it can be withdrawn; should exceed
    ///        the time evidence needs to reach L1.
    /// @param maxValidators_ Most active validators (1..`MAX_VALIDATORS_LIMIT`); bounds the cost of `validators()`.
    constructor(uint256 minStake_, uint64 unbondingDelay_, uint256 maxValidators_) EIP712("l2kit sidechain", "1") {
        if (minStake_ == 0) revert ZeroMinStake();
        if (maxValidators_ == 0 || maxValidators_ > MAX_VALIDATORS_LIMIT) {
            revert MaxValidatorsOutOfRange(maxValidators_);
        }
        minStake = minStake_;
        unbondingDelay = unbondingDelay_;
        maxValidators = maxValidators_;
    }

    // ------------------------------------------------------------------------------------------------ stake

    /// @notice Bonds `msg.value` for the caller: joins the set (at least `minStake`, while there is room) or adds to
    ///         its active stake. The caller's address is its consensus signing key. An unbonding address withdraws
    ///         first; a slashed one never stakes again.
    function stake() external payable {
        if (msg.value == 0) revert ZeroStake();
        Record memory rec = _records[msg.sender];
        if (rec.slashed) revert AlreadySlashed(msg.sender);
        if (rec.amount != 0 && rec.slot == 0) revert AlreadyUnbonding(msg.sender, rec.withdrawableAt);
        uint256 total = totalPower + msg.value;
        if (total >= MAX_TOTAL_POWER) revert TotalPowerTooLarge(total);
        totalPower = total;
        // forge-lint: disable-next-line(unsafe-typecast) rec.amount + msg.value ≤ total < 2^128
        uint128 power = rec.amount + uint128(msg.value);
        uint256 newEpoch = epoch + 1;
        epoch = newEpoch;
        if (rec.slot == 0) {
            if (msg.value < minStake) revert StakeBelowMinimum(minStake, msg.value);
            uint256 count = _active.length;
            if (count >= maxValidators) revert ValidatorSetFull(maxValidators);
            _active.push(msg.sender);
            // forge-lint: disable-next-line(unsafe-typecast) count < maxValidators ≤ 10,000
            _records[msg.sender] = Record({amount: power, withdrawableAt: 0, slot: uint32(count + 1), slashed: false});
            emit ValidatorJoined(msg.sender, power, newEpoch);
        } else {
            _records[msg.sender].amount = power;
            emit StakeIncreased(msg.sender, msg.value, power, newEpoch);
        }
        emit PowerChanged(msg.sender, power, newEpoch);
    }

    /// @notice The caller leaves the set at once; its stake becomes withdrawable `unbondingDelay` seconds from now
    ///         and stays slashable until it is withdrawn (votes it signed while active can still be proven).
    function startUnbond() external {
        Record memory rec = _records[msg.sender];
        if (rec.slot == 0) revert NotActiveValidator(msg.sender);
        _removeFromSet(msg.sender, rec.slot);
        uint64 withdrawableAt = uint64(block.timestamp) + unbondingDelay;
        _records[msg.sender] = Record({amount: rec.amount, withdrawableAt: withdrawableAt, slot: 0, slashed: false});
        totalPower -= rec.amount;
        totalUnbonding += rec.amount;
        uint256 newEpoch = epoch + 1;
        epoch = newEpoch;
        emit UnbondingStarted(msg.sender, rec.amount, withdrawableAt, newEpoch);
        emit PowerChanged(msg.sender, 0, newEpoch);
    }

    /// @notice Sends the caller its unbonded stake once `unbondingDelay` has passed; the address may stake again.
    function withdraw() external nonReentrant {
        Record memory rec = _records[msg.sender];
        if (rec.amount == 0 || rec.slot != 0) revert NotUnbonding(msg.sender);
        if (block.timestamp < rec.withdrawableAt) revert UnbondingNotOver(rec.withdrawableAt);
        delete _records[msg.sender];
        totalUnbonding -= rec.amount;
        emit Withdrawn(msg.sender, rec.amount);
        (bool ok,) = msg.sender.call{value: rec.amount}("");
        if (!ok) revert EthTransferFailed(msg.sender, rec.amount);
    }

    /// @notice Sends the caller its credited reporter rewards (those whose push failed).
    function claim() external nonReentrant {
        uint256 amount = credits[msg.sender];
        if (amount == 0) revert NothingToClaim(msg.sender);
        credits[msg.sender] = 0;
        totalCredits -= amount;
        emit Claimed(msg.sender, amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert EthTransferFailed(msg.sender, amount);
    }

    // -------------------------------------------------------------------------------------------------- slash

    /// @notice Slashes a validator that signed two different votes for one (height, round, type): anyone may submit
    ///         the two votes and their 65-byte `r ‖ s ‖ v` signatures (low s, v ∈ {27, 28}). The signer's whole
    ///         stake (active or unbonding) is taken: half (rounded down) to the caller, the rest burnt; it leaves
    ///         the set and is tombstoned. Any failure reverts with its error and changes nothing.
    /// @dev A vote for nil (zero hash) conflicts with a vote for a block, as in docs/sidechain.md. The reward is pushed
    ///      with `ETH_PUSH_GAS` after every state change (and under the reentrancy guard); a failed push is credited.
    /// @return signer The slashed validator.
    function slashDoubleSign(Vote calldata a, bytes calldata sigA, Vote calldata b, bytes calldata sigB)
        external
        nonReentrant
        returns (address signer)
    {
        if (a.voteType != PREVOTE && a.voteType != PRECOMMIT) revert InvalidVoteType(a.voteType);
        if (a.voteType != b.voteType) revert VoteTypeMismatch(a.voteType, b.voteType);
        if (a.height != b.height) revert HeightMismatch(a.height, b.height);
        if (a.round != b.round) revert RoundMismatch(a.round, b.round);
        if (a.blockHash == b.blockHash) revert SameBlockHash(a.blockHash);
        signer = _recover(hashVote(a), sigA, 0);
        address signerB = _recover(hashVote(b), sigB, 1);
        if (signer != signerB) revert SignersDiffer(signer, signerB);

        Record memory rec = _records[signer];
        if (rec.slashed) revert AlreadySlashed(signer);
        if (rec.amount == 0) revert NotStaked(signer);
        uint256 amount = rec.amount;
        uint256 newEpoch = epoch;
        if (rec.slot != 0) {
            _removeFromSet(signer, rec.slot);
            totalPower -= amount;
            newEpoch += 1;
            epoch = newEpoch;
            emit PowerChanged(signer, 0, newEpoch);
        } else {
            totalUnbonding -= amount;
        }
        _records[signer] = Record({amount: 0, withdrawableAt: 0, slot: 0, slashed: true});
        uint256 reward = amount / 2;
        burnt += amount - reward;
        _emitSlashed(signer, a, amount, reward, newEpoch);
        _payReward(msg.sender, reward);
    }

    // ------------------------------------------------------------------------------------------------ views

    /// @notice The active validators and their powers, in the canonical order (strictly ascending address).
    function validators() external view returns (address[] memory addrs, uint256[] memory powers) {
        addrs = _active;
        _sort(addrs);
        powers = new uint256[](addrs.length);
        for (uint256 i = 0; i < addrs.length; i++) {
            powers[i] = _records[addrs[i]].amount;
        }
    }

    /// @notice Number of active validators.
    function validatorCount() external view returns (uint256) {
        return _active.length;
    }

    /// @notice `account`'s voting power: its stake in wei if it is active, else 0.
    function powerOf(address account) external view returns (uint256) {
        Record memory rec = _records[account];
        return rec.slot == 0 ? 0 : rec.amount;
    }

    /// @notice Whether `account` is in the active set.
    function isValidator(address account) external view returns (bool) {
        return _records[account].slot != 0;
    }

    /// @notice `account`'s stake (active or unbonding, 0 once withdrawn or slashed), when an unbonding stake becomes
    ///         withdrawable (0 unless unbonding), and its status.
    function stakeOf(address account) external view returns (uint256 amount, uint64 withdrawableAt, Status status) {
        Record memory rec = _records[account];
        amount = rec.amount;
        withdrawableAt = rec.withdrawableAt;
        if (rec.slashed) status = Status.Slashed;
        else if (rec.slot != 0) status = Status.Active;
        else if (rec.amount != 0) status = Status.Unbonding;
    }

    /// @notice The EIP-712 digest a validator signs for `vote` (the TypeScript `voteDigest`).
    function hashVote(Vote calldata vote) public view returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(abi.encode(VOTE_TYPEHASH, vote.voteType, vote.height, vote.round, vote.blockHash))
            );
    }

    /// @notice This contract's EIP-712 domain separator.
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ---------------------------------------------------------------------------------------------- private

    /// @dev The signer of `digest`; OpenZeppelin refuses a wrong length, high s and a v giving no address.
    function _recover(bytes32 digest, bytes calldata signature, uint256 index) private pure returns (address signer) {
        ECDSA.RecoverError err;
        (signer, err,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (err != ECDSA.RecoverError.NoError) revert BadSignature(index);
    }

    /// @dev Removes `account` (at `_active[slot - 1]`) from the set: swap with the last, pop.
    function _removeFromSet(address account, uint32 slot) private {
        uint256 last = _active.length - 1;
        if (slot - 1 != last) {
            address moved = _active[last];
            _active[slot - 1] = moved;
            _records[moved].slot = slot;
        }
        _active.pop();
        _records[account].slot = 0;
    }

    /// @dev Emits `Slashed` (a function of its own to keep the caller's stack shallow).
    function _emitSlashed(address signer, Vote calldata a, uint256 amount, uint256 reward, uint256 newEpoch) private {
        emit Slashed(signer, msg.sender, a.voteType, a.height, a.round, amount, reward, amount - reward, newEpoch);
    }

    /// @dev Pushes `amount` wei to `to` with `ETH_PUSH_GAS`; credits it if the push fails.
    function _payReward(address to, uint256 amount) private {
        if (amount == 0) return;
        bool ok;
        uint256 gasLimit = ETH_PUSH_GAS;
        assembly ("memory-safe") {
            ok := call(gasLimit, to, amount, 0, 0, 0, 0) // no return data copied
        }
        if (!ok) {
            credits[to] += amount;
            totalCredits += amount;
            emit RewardCredited(to, amount);
        }
    }

    /// @dev Sorts `a` ascending in place (heapsort: O(n log n), no recursion, for up to 10,000 entries).
    function _sort(address[] memory a) private pure {
        uint256 n = a.length;
        if (n < 2) return;
        for (uint256 i = n / 2; i > 0; i--) {
            _siftDown(a, i - 1, n);
        }
        for (uint256 end = n - 1; end > 0; end--) {
            (a[0], a[end]) = (a[end], a[0]);
            _siftDown(a, 0, end);
        }
    }

    /// @dev Restores the max-heap property of `a[0..n)` below `root`.
    function _siftDown(address[] memory a, uint256 root, uint256 n) private pure {
        while (true) {
            uint256 child = 2 * root + 1;
            if (child >= n) return;
            if (child + 1 < n && a[child + 1] > a[child]) child++;
            if (a[root] >= a[child]) return;
            (a[root], a[child]) = (a[child], a[root]);
            root = child;
        }
    }
}
