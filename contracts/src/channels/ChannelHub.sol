// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {PreimageRegistry} from "./PreimageRegistry.sol";

/// @title ChannelHub
/// @notice Every payment channel of one L1 (docs/channels.md "L1 contracts", the normative protocol): party A opens
///         and funds a channel with B, the parties update it off chain with EIP-712 states signed by both, and end it
///         either at once with a cooperative close or through a unilateral close, a dispute window in which a newer
///         state replaces an older one (or a revocation proves the closer cheated: the other party then receives the
///         whole channel), and a settlement that resolves the HTLCs through the shared `PreimageRegistry`.
/// @dev Storage per channel: one packed status word (`_status`: phase, seq, deadline, submitter; see `_pack`) and,
///      while closing, the hash of the stored state's outcome (`_closing`: `keccak256(abi.encode(balanceA, balanceB,
///      htlcsHash))`). Everything else (the channel's fields, the state, the HTLCs) is passed back by the callers and
///      checked against the channel id or that hash; the events carry all of it, so a watcher needs only the logs.
///
///      A channel id binds the chain, this hub and every field of the channel (parties, token, total, dispute window,
///      nonce). A settled id stays settled, so no signature over a finished channel can be replayed; reopening the
///      same parties needs a new nonce.
///
///      Payouts are pushed (ETH with `ETH_PUSH_GAS`, an ERC-20 with `transfer`); a push that fails is credited to
///      `withdrawable[token][recipient]` instead, so a recipient that cannot receive never blocks the other one.
///      Solvency: a channel pays out exactly its `total` once (cooperative close, penalty or settlement), so the hub
///      always holds every open or closing channel's total plus every credit.
contract ChannelHub is EIP712, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice A channel's fixed terms; its id is `channelId(ch)`.
    /// @param partyA Opens and funds the channel (its L1 address is its signing key).
    /// @param partyB The counterparty; starts with balance 0.
    /// @param token ERC-20 of the channel, `address(0)` for ETH.
    /// @param total Amount A deposits; every state splits exactly this amount.
    /// @param disputeWindow Seconds after a unilateral close during which newer states and penalties are accepted.
    /// @param nonce Free value making the id unique (a new channel between the same parties).
    struct Channel {
        address partyA;
        address partyB;
        address token;
        uint256 total;
        uint64 disputeWindow;
        uint64 nonce;
    }

    /// @notice A hash time-locked contract inside a state.
    /// @param direction 0: offered by A to B (B claims it with the preimage), 1: offered by B to A.
    /// @param amount Locked amount (> 0).
    /// @param paymentHash `sha256(preimage)`.
    /// @param expiry L1 timestamp (seconds): revealed later than this, or never, the HTLC returns to its sender.
    struct Htlc {
        uint8 direction;
        uint256 amount;
        bytes32 paymentHash;
        uint64 expiry;
    }

    /// @notice An off-chain state, signed by both parties (EIP-712 `State`).
    /// @param channelId The channel it belongs to.
    /// @param seq Sequence number; 0 is the implicit opening state (A has everything, no HTLCs, no signatures).
    /// @param balanceA A's balance outside the HTLCs.
    /// @param balanceB B's balance outside the HTLCs.
    /// @param htlcsHash `keccak256(abi.encode(htlcs))` of the state's `Htlc[]` (also when empty).
    struct State {
        bytes32 channelId;
        uint64 seq;
        uint256 balanceA;
        uint256 balanceB;
        bytes32 htlcsHash;
    }

    /// @notice A channel's lifecycle: none → open → closing → settled (never reopened).
    enum Phase {
        None,
        Open,
        Closing,
        Settled
    }

    /// @notice Which party submitted the stored state of a closing channel (`None` before any close).
    enum Party {
        None,
        A,
        B
    }

    /// @notice Most HTLCs in one state.
    uint256 public constant MAX_HTLCS = 64;
    /// @notice Shortest dispute window, in seconds.
    uint64 public constant MIN_DISPUTE_WINDOW = 1;
    /// @notice Longest dispute window, in seconds.
    uint64 public constant MAX_DISPUTE_WINDOW = 30 days;
    /// @notice Gas given to an ETH recipient when a payout is pushed (enough for a smart-contract wallet's receive;
    ///         a recipient that needs more, or reverts, is credited and calls `withdraw`).
    uint256 public constant ETH_PUSH_GAS = 30_000;

    /// @notice EIP-712 type hash of `State`.
    bytes32 public constant STATE_TYPEHASH =
        keccak256("State(bytes32 channelId,uint64 seq,uint256 balanceA,uint256 balanceB,bytes32 htlcsHash)");
    /// @notice EIP-712 type hash of `Revocation`: the signer revokes every state of the channel with seq ≤ `seq`.
    bytes32 public constant REVOCATION_TYPEHASH = keccak256("Revocation(bytes32 channelId,uint64 seq)");
    /// @notice EIP-712 type hash of `CooperativeClose`.
    bytes32 public constant COOPERATIVE_CLOSE_TYPEHASH =
        keccak256("CooperativeClose(bytes32 channelId,uint256 balanceA,uint256 balanceB)");

    /// @notice The registry `settle` asks when each HTLC's preimage was revealed.
    PreimageRegistry public immutable registry;

    /// @dev Packed status word per channel id (see `_pack`); 0 = never opened.
    mapping(bytes32 channelId => uint256) private _status;
    /// @dev While closing: `keccak256(abi.encode(balanceA, balanceB, htlcsHash))` of the stored state.
    mapping(bytes32 channelId => bytes32) private _closing;

    /// @notice Payouts that could not be pushed: `withdrawable[token][owner]` (token 0 = ETH), taken with `withdraw`.
    mapping(address token => mapping(address owner => uint256)) public withdrawable;

    /// @notice Channel `channelId` was opened and funded with `total` of `token` (all of it A's).
    event ChannelOpened(
        bytes32 indexed channelId,
        address indexed partyA,
        address indexed partyB,
        address token,
        uint256 total,
        uint64 disputeWindow,
        uint64 nonce
    );
    /// @notice `submitter` closed channel `channelId` unilaterally with state `seq` (its balances and HTLCs below);
    ///         anyone may settle it after `deadline` unless a newer state or a penalty comes first.
    event ChannelClosing(
        bytes32 indexed channelId,
        address indexed submitter,
        uint64 seq,
        uint256 balanceA,
        uint256 balanceB,
        bytes32 htlcsHash,
        Htlc[] htlcs,
        uint64 deadline
    );
    /// @notice `caller` replaced the stored state of closing channel `channelId` by the newer state `seq`, now
    ///         attributed to `submitter` (the caller if it is a party, else still the submitter of the replaced
    ///         state: see `dispute`). `deadline` is unchanged.
    event ChannelDisputed(
        bytes32 indexed channelId,
        address indexed submitter,
        address indexed caller,
        uint64 seq,
        uint256 balanceA,
        uint256 balanceB,
        bytes32 htlcsHash,
        Htlc[] htlcs,
        uint64 deadline
    );
    /// @notice `cheater` had closed with a state it revoked (`revokedSeq` ≥ the stored seq): `victim` was paid the
    ///         whole channel, `amount`. The channel is settled.
    event ChannelPenalized(
        bytes32 indexed channelId, address indexed cheater, address indexed victim, uint64 revokedSeq, uint256 amount
    );
    /// @notice Closing channel `channelId` was settled after its deadline: A was paid `paidA` and B `paidB`
    ///         (balances plus the HTLCs each one won).
    event ChannelSettled(bytes32 indexed channelId, uint256 paidA, uint256 paidB);
    /// @notice Channel `channelId` was closed by both parties' signatures: A was paid `paidA` and B `paidB`.
    event ChannelClosedCooperatively(bytes32 indexed channelId, uint256 paidA, uint256 paidB);
    /// @notice A push of `amount` of `token` to `owner` failed and was credited to `withdrawable[token][owner]`.
    event PayoutCredited(address indexed token, address indexed owner, uint256 amount);
    /// @notice `owner` withdrew its credited `amount` of `token`.
    event Withdrawn(address indexed token, address indexed owner, uint256 amount);

    /// @notice `open` must be called by the channel's party A (it funds the channel).
    error NotPartyA(address caller);
    /// @notice Only party A or party B of the channel may call this.
    error NotParty(address caller);
    /// @notice Party B is zero or equal to party A.
    error InvalidParties(address partyA, address partyB);
    /// @notice A channel with a zero total.
    error ZeroTotal();
    /// @notice The dispute window is outside `MIN_DISPUTE_WINDOW..MAX_DISPUTE_WINDOW`.
    error DisputeWindowOutOfRange(uint64 disputeWindow);
    /// @notice Channel `channelId` was already opened (it may be open, closing or settled: ids are never reused).
    error ChannelExists(bytes32 channelId);
    /// @notice Channel `channelId` is in `phase`, where this call is not allowed.
    error WrongPhase(bytes32 channelId, Phase phase);
    /// @notice `msg.value` is `sent` where `expected` was due (the total for ETH, 0 for an ERC-20 channel).
    error ValueMismatch(uint256 expected, uint256 sent);
    /// @notice The channel's token has no code.
    error TokenNotContract(address token);
    /// @notice The hub received `received` of `token` where `expected` was pulled (fee-on-transfer tokens are not
    ///         supported).
    error TokenTransferMismatch(address token, uint256 expected, uint256 received);
    /// @notice The state is for channel `given`, not `expected`.
    error WrongChannel(bytes32 expected, bytes32 given);
    /// @notice A signature that is not `signer`'s over the expected digest (wrong key, malformed, high s, bad v).
    error BadSignature(address signer);
    /// @notice Balances and HTLC amounts add up to `sum`, not the channel's `total` (an overflow reports 2^256 − 1).
    error BalancesDoNotAddUp(uint256 total, uint256 sum);
    /// @notice A state with `count` HTLCs, above `MAX_HTLCS`.
    error TooManyHtlcs(uint256 count, uint256 max);
    /// @notice HTLC `index` has amount 0.
    error ZeroHtlcAmount(uint256 index);
    /// @notice HTLC `index` has direction `direction` (must be 0 or 1).
    error InvalidHtlcDirection(uint256 index, uint8 direction);
    /// @notice The HTLCs given do not hash to the state's `htlcsHash`.
    error HtlcsMismatch(bytes32 expected, bytes32 given);
    /// @notice A seq-0 state that is not the opening state (A has `total`, B 0, no HTLCs).
    error NotOpeningState();
    /// @notice The state's `seq` is `given`, not above the stored `stored`.
    error StateNotNewer(uint64 stored, uint64 given);
    /// @notice The dispute window of channel `channelId` ended at `deadline`.
    error DisputeWindowOver(bytes32 channelId, uint64 deadline);
    /// @notice The dispute window of channel `channelId` lasts until `deadline` (settle after it).
    error DisputeWindowOpen(bytes32 channelId, uint64 deadline);
    /// @notice A revocation of `revokedSeq` does not revoke the stored state `storedSeq`.
    error RevocationTooOld(uint64 storedSeq, uint64 revokedSeq);
    /// @notice The balances and HTLCs given to `settle` are not the stored state's.
    error StateMismatch(bytes32 channelId);
    /// @notice HTLC `index` is neither revealed in time nor expired yet (settle after `expiry` or after the reveal).
    error HtlcPending(uint256 index, bytes32 paymentHash, uint64 expiry);
    /// @notice `owner` has nothing credited in `token`.
    error NothingToWithdraw(address token, address owner);
    /// @notice Sending `amount` wei to `to` failed.
    error EthTransferFailed(address to, uint256 amount);

    /// @param registry_ The shared preimage registry.
    constructor(PreimageRegistry registry_) EIP712("l2kit channels", "1") {
        registry = registry_;
    }

    // ------------------------------------------------------------------------------------------------- open

    /// @notice Opens channel `ch` and funds it with its whole `total` from the caller, who must be `ch.partyA`:
    ///         ETH as `msg.value`, or an ERC-20 pulled with `transferFrom` (approve the hub first).
    /// @return id The channel id, `channelId(ch)`.
    function open(Channel calldata ch) external payable nonReentrant returns (bytes32 id) {
        if (msg.sender != ch.partyA) revert NotPartyA(msg.sender);
        if (ch.partyB == address(0) || ch.partyB == ch.partyA) revert InvalidParties(ch.partyA, ch.partyB);
        uint256 total = ch.total;
        if (total == 0) revert ZeroTotal();
        if (ch.disputeWindow < MIN_DISPUTE_WINDOW || ch.disputeWindow > MAX_DISPUTE_WINDOW) {
            revert DisputeWindowOutOfRange(ch.disputeWindow);
        }
        id = channelId(ch);
        if (_status[id] != 0) revert ChannelExists(id);
        _status[id] = uint256(Phase.Open);
        address token = ch.token;
        if (token == address(0)) {
            if (msg.value != total) revert ValueMismatch(total, msg.value);
        } else {
            if (msg.value != 0) revert ValueMismatch(0, msg.value);
            if (token.code.length == 0) revert TokenNotContract(token);
            uint256 before = IERC20(token).balanceOf(address(this));
            IERC20(token).safeTransferFrom(msg.sender, address(this), total);
            uint256 received = IERC20(token).balanceOf(address(this)) - before;
            if (received != total) revert TokenTransferMismatch(token, total, received);
        }
        emit ChannelOpened(id, ch.partyA, ch.partyB, token, total, ch.disputeWindow, ch.nonce);
    }

    // ------------------------------------------------------------------------------------------------ close

    /// @notice Ends channel `ch` (open or closing) at once with the split both parties signed
    ///         (`CooperativeClose(channelId, balanceA, balanceB)`): pays A `balanceA` and B `balanceB`. Anyone may
    ///         submit it.
    function closeCooperative(
        Channel calldata ch,
        uint256 balanceA,
        uint256 balanceB,
        bytes calldata sigA,
        bytes calldata sigB
    ) external nonReentrant {
        bytes32 id = channelId(ch);
        uint256 word = _status[id];
        Phase phase = _phase(word);
        if (phase != Phase.Open && phase != Phase.Closing) revert WrongPhase(id, phase);
        uint256 sum = _add(ch.total, balanceA, balanceB);
        if (sum != ch.total) revert BalancesDoNotAddUp(ch.total, sum);
        bytes32 digest = hashCooperativeClose(id, balanceA, balanceB);
        _checkSignature(digest, sigA, ch.partyA);
        _checkSignature(digest, sigB, ch.partyB);
        _status[id] = _settled(word);
        if (phase == Phase.Closing) delete _closing[id];
        emit ChannelClosedCooperatively(id, balanceA, balanceB);
        _pay(ch.token, ch.partyA, balanceA);
        _pay(ch.token, ch.partyB, balanceB);
    }

    /// @notice Starts closing open channel `ch` with `state` (the caller's newest): stores it with a deadline
    ///         `ch.disputeWindow` seconds from now, the caller as its submitter. Party A or B only. `seq` 0 is the
    ///         opening state and takes no signatures (pass empty bytes); any other state needs both.
    /// @param htlcs The state's HTLCs (hashing to `state.htlcsHash`).
    function closeUnilateral(
        Channel calldata ch,
        State calldata state,
        Htlc[] calldata htlcs,
        bytes calldata sigA,
        bytes calldata sigB
    ) external {
        bytes32 id = channelId(ch);
        uint256 word = _status[id];
        if (_phase(word) != Phase.Open) revert WrongPhase(id, _phase(word));
        Party submitter = _partyOf(ch, msg.sender);
        if (submitter == Party.None) revert NotParty(msg.sender);
        _checkState(ch.total, id, state, htlcs);
        _checkSignatures(ch, state, sigA, sigB);
        // forge-lint: disable-next-line(unsafe-typecast) a timestamp plus at most 30 days is far below 2^64
        uint64 deadline = uint64(block.timestamp) + ch.disputeWindow;
        _store(id, state, submitter, deadline);
        _emitClosing(id, state, htlcs, deadline);
    }

    /// @notice Replaces the stored state of closing channel `ch` by the newer `state` (higher `seq`, signed by both)
    ///         until the deadline, which does not move. Anyone may call it (a watchtower too). The new submitter (the
    ///         party a penalty can target) is the caller if it is a party; a third party's dispute leaves the
    ///         submitter of the replaced state in place.
    /// @dev Deliberately not docs/channels.md's "else the party that did not submit the replaced state": with that
    ///      rule a cheater A closes with a revoked state k, disputes from a fresh address with another revoked state
    ///      m > k (now attributed to B) and penalizes B with B's own revocation of any seq ≥ m, which A holds: A
    ///      takes the whole channel in one transaction. Keeping the attribution, a state is only ever attributed to
    ///      a party that submitted it or one of its predecessors itself; an honest party submits only its newest
    ///      state and never revokes a state at or above it, so it can never be penalized, while a cheater that
    ///      launders its state through a third address stays the submitter and can still be penalized.
    function dispute(
        Channel calldata ch,
        State calldata state,
        Htlc[] calldata htlcs,
        bytes calldata sigA,
        bytes calldata sigB
    ) external {
        bytes32 id = channelId(ch);
        uint256 word = _status[id];
        if (_phase(word) != Phase.Closing) revert WrongPhase(id, _phase(word));
        uint64 deadline = _deadline(word);
        if (block.timestamp > deadline) revert DisputeWindowOver(id, deadline);
        if (state.seq <= _seq(word)) revert StateNotNewer(_seq(word), state.seq);
        _checkState(ch.total, id, state, htlcs);
        _checkSignatures(ch, state, sigA, sigB);
        Party submitter = _partyOf(ch, msg.sender);
        if (submitter == Party.None) submitter = _submitter(word);
        _store(id, state, submitter, deadline);
        _emitDisputed(id, submitter == Party.A ? ch.partyA : ch.partyB, state, htlcs, deadline);
    }

    /// @notice Proves that the submitter of closing channel `ch`'s stored state had revoked it: `sig` is the
    ///         submitter's `Revocation(channelId, revokedSeq)` with `revokedSeq` ≥ the stored seq. The other party
    ///         receives the whole `total` (HTLCs included) at once and the channel is settled. Anyone may call it,
    ///         before or after the deadline, until the channel is settled; the caller gains nothing.
    function penalize(Channel calldata ch, uint64 revokedSeq, bytes calldata sig) external nonReentrant {
        bytes32 id = channelId(ch);
        uint256 word = _status[id];
        if (_phase(word) != Phase.Closing) revert WrongPhase(id, _phase(word));
        if (revokedSeq < _seq(word)) revert RevocationTooOld(_seq(word), revokedSeq);
        (address cheater, address victim) =
            _submitter(word) == Party.A ? (ch.partyA, ch.partyB) : (ch.partyB, ch.partyA);
        _checkSignature(hashRevocation(id, revokedSeq), sig, cheater);
        _status[id] = _settled(word);
        delete _closing[id];
        emit ChannelPenalized(id, cheater, victim, revokedSeq, ch.total);
        _pay(ch.token, victim, ch.total);
    }

    /// @notice Settles closing channel `ch` after its deadline with the stored state's balances and HTLCs (from
    ///         its `ChannelClosing` / `ChannelDisputed` event). Each HTLC goes to its receiver if its preimage was
    ///         revealed in the registry at or before its expiry, back to its sender once its expiry has passed
    ///         without such a reveal; an HTLC that is neither yet makes the call revert (`HtlcPending`). Anyone may
    ///         call it.
    function settle(Channel calldata ch, uint256 balanceA, uint256 balanceB, Htlc[] calldata htlcs)
        external
        nonReentrant
    {
        bytes32 id = channelId(ch);
        uint256 word = _status[id];
        if (_phase(word) != Phase.Closing) revert WrongPhase(id, _phase(word));
        uint64 deadline = _deadline(word);
        if (block.timestamp <= deadline) revert DisputeWindowOpen(id, deadline);
        if (keccak256(abi.encode(balanceA, balanceB, keccak256(abi.encode(htlcs)))) != _closing[id]) {
            revert StateMismatch(id);
        }
        // the stored state was checked to add up to `total`, so these sums cannot overflow
        uint256 paidA = balanceA;
        uint256 paidB = balanceB;
        for (uint256 i = 0; i < htlcs.length; i++) {
            Htlc calldata h = htlcs[i];
            uint64 revealed = registry.revealedAt(h.paymentHash);
            bool claimed;
            if (revealed != 0 && revealed <= h.expiry) claimed = true;
            else if (block.timestamp <= h.expiry) revert HtlcPending(i, h.paymentHash, h.expiry);
            // direction 0 (A offered to B): claimed → B, refunded → A; direction 1 the other way round
            unchecked {
                if ((h.direction == 0) == claimed) paidB += h.amount;
                else paidA += h.amount;
            }
        }
        _status[id] = _settled(word);
        delete _closing[id];
        emit ChannelSettled(id, paidA, paidB);
        _pay(ch.token, ch.partyA, paidA);
        _pay(ch.token, ch.partyB, paidB);
    }

    /// @notice Pays the caller everything credited to it in `token` (`address(0)` = ETH) after failed pushes.
    /// @return amount The amount paid.
    function withdraw(address token) external nonReentrant returns (uint256 amount) {
        amount = withdrawable[token][msg.sender];
        if (amount == 0) revert NothingToWithdraw(token, msg.sender);
        withdrawable[token][msg.sender] = 0;
        emit Withdrawn(token, msg.sender, amount);
        if (token == address(0)) {
            (bool ok,) = msg.sender.call{value: amount}("");
            if (!ok) revert EthTransferFailed(msg.sender, amount);
        } else {
            IERC20(token).safeTransfer(msg.sender, amount);
        }
    }

    // ------------------------------------------------------------------------------------------------ views

    /// @notice The id of channel `ch`: `keccak256(abi.encode(block.chainid, address(this), ch))`.
    function channelId(Channel calldata ch) public view returns (bytes32) {
        return keccak256(abi.encode(block.chainid, address(this), ch));
    }

    /// @notice Channel `id`'s status word, decoded. `seq`, `deadline` and `submitter` describe the stored state
    ///         while closing (and the last one stored once settled); all are 0 for a channel never closed
    ///         unilaterally.
    function status(bytes32 id) external view returns (Phase phase, uint64 seq, uint64 deadline, Party submitter) {
        uint256 word = _status[id];
        return (_phase(word), _seq(word), _deadline(word), _submitter(word));
    }

    /// @notice While channel `id` is closing: `keccak256(abi.encode(balanceA, balanceB, htlcsHash))` of its stored
    ///         state (0 otherwise).
    function closingHash(bytes32 id) external view returns (bytes32) {
        return _closing[id];
    }

    /// @notice The EIP-712 digest both parties sign for `state`.
    function hashState(State calldata state) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(STATE_TYPEHASH, state.channelId, state.seq, state.balanceA, state.balanceB, state.htlcsHash)
            )
        );
    }

    /// @notice The EIP-712 digest a party signs to revoke every state of channel `id` with a seq ≤ `seq`.
    function hashRevocation(bytes32 id, uint64 seq) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(REVOCATION_TYPEHASH, id, seq)));
    }

    /// @notice The EIP-712 digest both parties sign to close channel `id` at once with `balanceA` / `balanceB`.
    function hashCooperativeClose(bytes32 id, uint256 balanceA, uint256 balanceB) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(COOPERATIVE_CLOSE_TYPEHASH, id, balanceA, balanceB)));
    }

    /// @notice `keccak256(abi.encode(htlcs))`, a state's `htlcsHash`.
    function htlcsHash(Htlc[] calldata htlcs) external pure returns (bytes32) {
        return keccak256(abi.encode(htlcs));
    }

    /// @notice The EIP-712 domain separator (name "l2kit channels", version "1", this chain, this hub).
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ------------------------------------------------------------------------------------------------ internal

    /// @dev Checks that `state` is a valid state of channel `id` (of total `total`) with its `htlcs`: channel id,
    ///      HTLC count, directions and amounts, sum, HTLC hash, and the opening state's balances when seq is 0.
    function _checkState(uint256 total, bytes32 id, State calldata state, Htlc[] calldata htlcs) private pure {
        if (state.channelId != id) revert WrongChannel(id, state.channelId);
        uint256 n = htlcs.length;
        if (n > MAX_HTLCS) revert TooManyHtlcs(n, MAX_HTLCS);
        uint256 sum = _add(total, state.balanceA, state.balanceB);
        for (uint256 i = 0; i < n; i++) {
            Htlc calldata h = htlcs[i];
            if (h.direction > 1) revert InvalidHtlcDirection(i, h.direction);
            if (h.amount == 0) revert ZeroHtlcAmount(i);
            sum = _add(total, sum, h.amount);
        }
        if (sum != total) revert BalancesDoNotAddUp(total, sum);
        bytes32 given = keccak256(abi.encode(htlcs));
        if (given != state.htlcsHash) revert HtlcsMismatch(state.htlcsHash, given);
        // the opening state: A has everything (so, amounts being > 0, there is no HTLC)
        if (state.seq == 0 && state.balanceA != total) revert NotOpeningState();
    }

    /// @dev Checks both parties' signatures over `state`, except for the opening state (seq 0) that nobody signs.
    function _checkSignatures(Channel calldata ch, State calldata state, bytes calldata sigA, bytes calldata sigB)
        private
        view
    {
        if (state.seq == 0) return;
        bytes32 digest = hashState(state);
        _checkSignature(digest, sigA, ch.partyA);
        _checkSignature(digest, sigB, ch.partyB);
    }

    /// @dev Stores `state` as channel `id`'s closing state (phase closing).
    function _store(bytes32 id, State calldata state, Party submitter, uint64 deadline) private {
        _status[id] = _pack(Phase.Closing, state.seq, deadline, submitter);
        _closing[id] = keccak256(abi.encode(state.balanceA, state.balanceB, state.htlcsHash));
    }

    /// @dev Emits `ChannelClosing` (a function of its own to keep the caller's stack shallow).
    function _emitClosing(bytes32 id, State calldata state, Htlc[] calldata htlcs, uint64 deadline) private {
        emit ChannelClosing(id, msg.sender, state.seq, state.balanceA, state.balanceB, state.htlcsHash, htlcs, deadline);
    }

    /// @dev Emits `ChannelDisputed` (a function of its own to keep the caller's stack shallow).
    function _emitDisputed(bytes32 id, address submitter, State calldata state, Htlc[] calldata htlcs, uint64 deadline)
        private
    {
        emit ChannelDisputed(
            id, submitter, msg.sender, state.seq, state.balanceA, state.balanceB, state.htlcsHash, htlcs, deadline
        );
    }

    /// @dev Reverts unless `signature` is a 65-byte low-s signature of `digest` by `signer` (non-zero).
    function _checkSignature(bytes32 digest, bytes calldata signature, address signer) private pure {
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (err != ECDSA.RecoverError.NoError || recovered != signer) revert BadSignature(signer);
    }

    /// @dev Pushes `amount` of `token` to `to`; credits it to `withdrawable` if the push fails.
    function _pay(address token, address to, uint256 amount) private {
        if (amount == 0) return;
        bool ok;
        if (token == address(0)) {
            uint256 gasLimit = ETH_PUSH_GAS;
            assembly ("memory-safe") {
                ok := call(gasLimit, to, amount, 0, 0, 0, 0) // no return data copied
            }
        } else {
            ok = IERC20(token).trySafeTransfer(to, amount);
        }
        if (!ok) {
            withdrawable[token][to] += amount;
            emit PayoutCredited(token, to, amount);
        }
    }

    /// @dev `a + b`; an overflow is reported as `BalancesDoNotAddUp(total, 2^256 − 1)`.
    function _add(uint256 total, uint256 a, uint256 b) private pure returns (uint256 c) {
        unchecked {
            c = a + b;
        }
        if (c < a) revert BalancesDoNotAddUp(total, type(uint256).max);
    }

    function _partyOf(Channel calldata ch, address account) private pure returns (Party) {
        if (account == ch.partyA) return Party.A;
        if (account == ch.partyB) return Party.B;
        return Party.None;
    }

    // Status word: phase (bits 0..7) | seq (8..71) | deadline (72..135) | submitter (136..143).

    function _pack(Phase phase, uint64 seq, uint64 deadline, Party submitter) private pure returns (uint256) {
        return uint256(phase) | (uint256(seq) << 8) | (uint256(deadline) << 72) | (uint256(submitter) << 136);
    }

    /// @dev The word with its phase set to settled (the last stored seq, deadline and submitter are kept).
    function _settled(uint256 word) private pure returns (uint256) {
        return (word & ~uint256(0xff)) | uint256(Phase.Settled);
    }

    function _phase(uint256 word) private pure returns (Phase) {
        return Phase(word & 0xff);
    }

    // forge-lint: disable-start(unsafe-typecast) fields of the packed status word, written from values of these types
    function _seq(uint256 word) private pure returns (uint64) {
        return uint64(word >> 8);
    }

    function _deadline(uint256 word) private pure returns (uint64) {
        return uint64(word >> 72);
    }

    function _submitter(uint256 word) private pure returns (Party) {
        return Party(uint8(word >> 136));
    }
    // forge-lint: disable-end(unsafe-typecast)
}
