// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {PoseidonT3} from "poseidon-solidity/PoseidonT3.sol";
import {PoseidonT4} from "poseidon-solidity/PoseidonT4.sol";

import {IGroth16Verifier} from "./IGroth16Verifier.sol";
import {ZkPubdata} from "./ZkPubdata.sol";

/// @title ZkRollup
/// @notice L1 contract of l2kit's ZK rollup (docs/zk.md, the normative protocol): deposits and the other priority
///         requests (L1 → L2) in a Poseidon-chained queue, blocks committed by the operator with their pubdata and
///         verified by anyone with Groth16 proofs (batch-verified), withdrawals credited once their block is verified,
///         and exodus: when the operator lets a priority request expire, everyone leaves with a Merkle proof against
///         the last verified root and unprocessed deposits are refunded.
/// @dev Amounts inside the rollup are L2 units (< 2^56): 1 gwei for ETH, a unit fixed at registration for an ERC-20
///      (at most TOKENS = 4 token ids, id 0 = ETH). Poseidon comes from poseidon-solidity's linked libraries
///      (`PoseidonT3` = 2 inputs, `PoseidonT4` = 3 inputs), equal to circomlibjs.
///
///      Storage per block: each committed block's `keccak256(abi.encode(StoredBlock))` sits in a ring of
///      `BLOCK_RING` slots (block `b` at `b % BLOCK_RING`), so once the ring has been used a commit rewrites a warm
///      non-zero slot (5k gas) instead of a fresh one (22.1k), while blocks stay verifiable one by one. At most
///      `BLOCK_RING − 1` blocks may wait for verification. The counters share one slot.
///
///      Solvency: per token, the L2 units ever deposited bound the units ever credited to withdrawals, paid by exodus
///      or refunded (`PayoutExceedsDeposits`), so even an unsound verifier cannot make the contract pay out more of a
///      token than was deposited.
contract ZkRollup is ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice What L1 keeps of a committed block (its hash is stored; callers pass the struct back).
    /// @param blockNumber 1, 2, … (block 0 is genesis, `genesisBlock()`).
    /// @param priorityOpsBefore Priority requests consumed by all earlier blocks (index of this block's first one).
    /// @param priorityOps Priority requests this block consumes (DEPOSIT, FULL_EXIT and CHANGE_PUBKEY chunks).
    /// @param newRoot Account tree root after the block.
    /// @param commitment The proof's public input (docs/zk.md "Block commitment").
    /// @param withdrawalsHash `keccak256(abi.encode(Withdrawal[]))` of the block's withdrawals in pubdata order.
    struct StoredBlock {
        uint32 blockNumber;
        uint64 priorityOpsBefore;
        uint64 priorityOps;
        bytes32 newRoot;
        bytes32 commitment;
        bytes32 withdrawalsHash;
    }

    /// @notice A block to commit: its new root and its `chunks * 10` bytes of pubdata.
    struct CommitBlockInput {
        bytes32 newRoot;
        bytes pubdata;
    }

    /// @dev Counters, one slot.
    struct State {
        uint56 totalRequests;
        uint56 committedRequests;
        uint56 verifiedRequests;
        uint32 committedBlocks;
        uint32 verifiedBlocks;
        bool exodusMode;
    }

    /// @dev A registered ERC-20: its address and how many base units one L2 unit is.
    struct TokenInfo {
        address token;
        uint96 unit;
    }

    /// @dev Per token, in L2 units: deposited, and credited / paid out / refunded.
    struct Totals {
        uint128 deposited;
        uint128 paidOut;
    }

    /// @notice Token ids per account (0 = ETH, 1..3 = ERC-20s in registration order).
    uint256 public constant TOKENS = 4;
    /// @notice L2 unit of ETH.
    uint256 public constant ETH_UNIT = 1 gwei;
    /// @notice Amounts and balances are below this many L2 units.
    uint256 public constant MAX_UNITS = 1 << 56;
    /// @notice Deepest account tree supported (account indices are 16 bits on the wire).
    uint256 public constant MAX_DEPTH = 16;
    /// @notice Slots of the committed-block ring; at most `BLOCK_RING − 1` blocks wait for verification.
    uint256 public constant BLOCK_RING = 1024;
    /// @notice Largest block size accepted by the constructor, in chunks.
    uint256 public constant MAX_CHUNKS = 4096;
    /// @notice BN254 scalar field modulus: roots, key hashes and chain values are elements of it.
    uint256 public constant FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @notice Priority request kinds (also the pubdata chunk types that consume them).
    uint8 public constant KIND_DEPOSIT = 1;
    uint8 public constant KIND_FULL_EXIT = 5;
    uint8 public constant KIND_CHANGE_PUBKEY = 6;

    /// @notice Checks the blocks' Groth16 proofs.
    IGroth16Verifier public immutable verifier;
    /// @notice Depth D of the account tree (2^D accounts).
    uint256 public immutable depth;
    /// @notice Chunks N per block (pubdata is exactly 10·N bytes).
    uint256 public immutable chunks;
    /// @notice Seconds a priority request may wait before exodus can be activated.
    uint256 public immutable priorityDeadline;
    /// @notice The only account that commits and reverts blocks.
    address public immutable operator;
    /// @notice Registers ERC-20 tokens.
    address public immutable governor;
    /// @notice Root of the empty tree of depth D (`zero[D]`, with `zero[0] = 0`: the empty account): block 0's root.
    bytes32 public immutable genesisRoot;

    State private _state;
    /// @notice Root of the last verified block (exodus proves leaves against it).
    bytes32 public verifiedRoot;
    /// @notice Next priority request `cancelOutstandingDeposits` looks at (exodus only).
    uint256 public refundCursor;
    /// @notice Registered ERC-20s (ids 1..3).
    uint8 public erc20Count;
    bytes32[BLOCK_RING] private _blockHashes;
    /// @dev Request n's packed word `a` (docs/zk.md): type | token << 3 | amount << 8 | account << 64 | address << 80.
    mapping(uint256 requestIndex => uint256) private _requests;
    /// @dev p[n] for n ≥ 1 (p[0] = 0): the Poseidon chain after request n − 1.
    mapping(uint256 n => uint256) private _chain;
    /// @dev Request expiries, four uint64 per slot (request i at bits 64·(i % 4) of slot i / 4).
    mapping(uint256 slotIndex => uint256) private _expiries;
    TokenInfo[TOKENS] private _tokens;
    mapping(address token => uint8) private _tokenIds;
    Totals[TOKENS] private _totals;
    /// @dev Exodus: bit `(accountIndex * TOKENS + token) % 256` of word `/ 256` is set once paid.
    mapping(uint256 word => uint256) private _exited;

    /// @notice Base units of `token` (id) that `owner` can withdraw with `withdrawPendingBalance`.
    mapping(address owner => mapping(uint8 token => uint256)) public pendingBalance;

    /// @notice The governor registered ERC-20 `token` as id `tokenId`; one L2 unit is `unit` base units.
    event TokenRegistered(uint8 indexed tokenId, address indexed token, uint256 unit);
    /// @notice Priority request `requestIndex` joined the queue. `account` is the L2 owner to credit (DEPOSIT) or the
    ///         requester (FULL_EXIT, CHANGE_PUBKEY); `amount` is in L2 units; `chainHash` = p[requestIndex + 1]; the
    ///         operator must have it in a verified block by `expiry` (L1 timestamp) or exodus can be activated.
    event PriorityRequest(
        uint64 indexed requestIndex,
        uint8 indexed kind,
        address indexed account,
        uint8 token,
        uint64 amount,
        uint16 accountIndex,
        uint256 pkHash,
        uint256 chainHash,
        uint64 expiry
    );
    /// @notice Block `blockNumber` was committed; the fields are its `StoredBlock`.
    event BlockCommitted(
        uint32 indexed blockNumber,
        uint64 priorityOpsBefore,
        uint64 priorityOps,
        bytes32 newRoot,
        bytes32 commitment,
        bytes32 withdrawalsHash
    );
    /// @notice Blocks `firstBlock..lastBlock` were proven; `newRoot` is now the verified root and the first
    ///         `verifiedPriorityRequests` requests are processed.
    event BlocksVerified(
        uint32 indexed firstBlock, uint32 indexed lastBlock, bytes32 newRoot, uint64 verifiedPriorityRequests
    );
    /// @notice The operator dropped the unverified blocks after `newLastBlock` (up to `previousLastBlock`).
    event BlocksReverted(uint32 indexed newLastBlock, uint32 previousLastBlock, uint64 committedPriorityRequests);
    /// @notice A verified block's withdrawal: `amount` base units of `token` credited to `recipient`'s pending balance.
    event WithdrawalCredited(
        uint32 indexed blockNumber, address indexed recipient, uint8 indexed token, uint256 amount
    );
    /// @notice `owner`'s pending balance of `token` (`amount` base units) was paid out.
    event WithdrawalPaid(address indexed owner, uint8 indexed token, uint256 amount);
    /// @notice Exodus mode: request `requestIndex` expired at `expiry` without being in a verified block.
    event ExodusMode(uint64 indexed requestIndex, uint64 expiry);
    /// @notice Exodus paid `owner` the whole balance (`amount` base units) of `token` of account `accountIndex`.
    event ExodusWithdrawal(uint16 indexed accountIndex, uint8 indexed token, address indexed owner, uint256 amount);
    /// @notice Exodus: deposit request `requestIndex` (never in a verified block) was credited back to `owner`'s
    ///         pending balance (`amount` base units of `token`).
    event DepositRefunded(uint64 indexed requestIndex, address indexed owner, uint8 indexed token, uint256 amount);

    /// @notice Only the operator may call this.
    error NotOperator(address caller);
    /// @notice Only the governor may call this.
    error NotGovernor(address caller);
    /// @notice A zero address where an account is needed.
    error ZeroAddress();
    /// @notice A zero amount.
    error ZeroAmount();
    /// @notice The amount (base units) is not a whole number of the token's L2 unit.
    error AmountNotMultipleOfUnit(uint256 amount, uint256 unit);
    /// @notice The amount is `units` L2 units, not below `MAX_UNITS` (2^56).
    error AmountTooLarge(uint256 units);
    /// @notice `token` is not a registered ERC-20.
    error UnknownToken(address token);
    /// @notice Token id `tokenId` is not ETH nor a registered ERC-20.
    error UnknownTokenId(uint256 tokenId);
    /// @notice `registerToken` of a token that already has an id.
    error TokenAlreadyRegistered(address token);
    /// @notice All TOKENS − 1 ERC-20 ids are taken.
    error TooManyTokens();
    /// @notice A token unit of 0 or above 2^96 − 1.
    error InvalidUnit(uint256 unit);
    /// @notice `account` has no code (a token or the verifier must be a contract).
    error NotAContract(address account);
    /// @notice The token moved `received` base units to the rollup where `expected` were deposited (fee-on-transfer
    ///         and rebasing tokens are not supported).
    error TokenTransferMismatch(address token, uint256 expected, uint256 received);
    /// @notice A key hash that is not a field element.
    error PkHashNotInField(uint256 pkHash);
    /// @notice Account index ≥ 2^depth.
    error AccountIndexOutOfRange(uint256 accountIndex);
    /// @notice Exodus mode is active: the rollup takes no new requests or blocks.
    error ExodusModeActive();
    /// @notice Only possible in exodus mode.
    error NotExodusMode();
    /// @notice `commitBlocks` / `verifyBlocks` with nothing to do.
    error NoBlocks();
    /// @notice `commitBlocks`'s `last` is block `blockNumber`, but the last committed block is `lastCommitted`.
    error WrongPreviousBlock(uint256 blockNumber, uint256 lastCommitted);
    /// @notice The StoredBlock given for `blockNumber` is not the one committed.
    error StoredBlockMismatch(uint256 blockNumber);
    /// @notice A block's pubdata is `length` bytes, not `expected` (10 × chunks).
    error PubdataLengthInvalid(uint256 length, uint256 expected);
    /// @notice A new root that is not a field element.
    error RootNotInField(bytes32 root);
    /// @notice Committing would leave `BLOCK_RING` or more blocks unverified.
    error TooManyUnverifiedBlocks();
    /// @notice `commitAndVerifyBlocks` while committed blocks wait for verification (verify them first).
    error UnverifiedBlocksPending(uint256 committed, uint256 verified);
    /// @notice `verifyBlocks` arrays of different lengths.
    error LengthMismatch(uint256 blocks, uint256 proofs, uint256 withdrawals);
    /// @notice `verifyBlocks` must verify block `expected` next; `given` was passed.
    error UnexpectedBlockNumber(uint256 expected, uint256 given);
    /// @notice Block `blockNumber` is not committed.
    error BlockNotCommitted(uint256 blockNumber);
    /// @notice The proofs do not verify against the blocks' commitments.
    error InvalidProof();
    /// @notice The withdrawals given for block `blockNumber` do not hash to its `withdrawalsHash`.
    error WithdrawalsMismatch(uint256 blockNumber);
    /// @notice Paying `units` of token id `token` would exceed what was deposited of it (`available` units left).
    error PayoutExceedsDeposits(uint8 token, uint256 units, uint256 available);
    /// @notice `owner` has no pending balance of `token`.
    error NothingToWithdraw(address owner, uint8 token);
    /// @notice Sending `amount` wei to `to` failed.
    error EthTransferFailed(address to, uint256 amount);
    /// @notice Every priority request is in a verified block.
    error NoPendingPriorityRequest();
    /// @notice The oldest unprocessed request `requestIndex` expires at `expiry`, not yet passed.
    error PriorityRequestNotExpired(uint256 requestIndex, uint256 expiry);
    /// @notice `(accountIndex, token)` was already paid by exodus.
    error AlreadyExited(uint256 accountIndex, uint8 token);
    /// @notice `siblings` has `length` entries; the tree has depth `depth`.
    error MerkleProofLengthInvalid(uint256 length, uint256 depth);
    /// @notice The leaf and siblings do not hash to the verified root.
    error InvalidMerkleProof();
    /// @notice A leaf field out of range (pkHash ≥ r, ownerNonce ≥ 2^192, balances ≥ 2^224).
    error LeafFieldOutOfRange();
    /// @notice The account has no owner (owner = 0): nobody to pay.
    error AccountHasNoOwner(uint256 accountIndex);
    /// @notice `cancelOutstandingDeposits`: every request after the verified ones was already looked at.
    error NoOutstandingDeposits();
    /// @notice `revertBlocks` to `blockNumber`: it must be ≥ the last verified block and < the last committed one.
    error CannotRevertTo(uint256 blockNumber, uint256 verifiedBlocks, uint256 committedBlocks);
    /// @notice Constructor: depth must be 1..MAX_DEPTH.
    error InvalidDepth(uint256 depth);
    /// @notice Constructor: chunks must be 3..MAX_CHUNKS (a withdrawal takes 3).
    error InvalidChunkCount(uint256 chunks);
    /// @notice Constructor: the priority deadline must be positive and below 2^32 seconds.
    error InvalidPriorityDeadline(uint256 priorityDeadline);

    modifier onlyOperator() {
        if (msg.sender != operator) revert NotOperator(msg.sender);
        _;
    }

    /// @param verifier_ Groth16 verifier of the block circuit (its single public input is the block commitment).
    /// @param depth_ Account tree depth D (1..16).
    /// @param chunks_ Chunks N per block (3..4096).
    /// @param priorityDeadline_ Seconds each priority request may wait for a verified block.
    /// @param operator_ Commits and reverts blocks.
    /// @param governor_ Registers tokens.
    constructor(
        IGroth16Verifier verifier_,
        uint256 depth_,
        uint256 chunks_,
        uint256 priorityDeadline_,
        address operator_,
        address governor_
    ) {
        if (address(verifier_).code.length == 0) revert NotAContract(address(verifier_));
        if (depth_ == 0 || depth_ > MAX_DEPTH) revert InvalidDepth(depth_);
        if (chunks_ < 3 || chunks_ > MAX_CHUNKS) revert InvalidChunkCount(chunks_);
        if (priorityDeadline_ == 0 || priorityDeadline_ >= 1 << 32) revert InvalidPriorityDeadline(priorityDeadline_);
        if (operator_ == address(0) || governor_ == address(0)) revert ZeroAddress();
        verifier = verifier_;
        depth = depth_;
        chunks = chunks_;
        priorityDeadline = priorityDeadline_;
        operator = operator_;
        governor = governor_;
        uint256 z = 0; // the empty account is the leaf 0 (docs/zk.md)
        for (uint256 k = 0; k < depth_; k++) {
            z = PoseidonT3.hash([z, z]);
        }
        genesisRoot = bytes32(z);
        verifiedRoot = bytes32(z);
        _blockHashes[0] = keccak256(abi.encode(StoredBlock(0, 0, 0, bytes32(z), 0, 0)));
    }

    // ------------------------------------------------------------------------------------------------ tokens

    /// @notice Registers ERC-20 `token` with L2 unit `unit` (base units per L2 unit); ids 1, 2, 3 in order.
    /// @return tokenId The token's id.
    function registerToken(address token, uint256 unit) external returns (uint8 tokenId) {
        if (msg.sender != governor) revert NotGovernor(msg.sender);
        if (token == address(0)) revert ZeroAddress();
        if (token.code.length == 0) revert NotAContract(token);
        if (_tokenIds[token] != 0) revert TokenAlreadyRegistered(token);
        if (unit == 0 || unit > type(uint96).max) revert InvalidUnit(unit);
        tokenId = erc20Count + 1;
        if (tokenId >= TOKENS) revert TooManyTokens();
        erc20Count = tokenId;
        // forge-lint: disable-next-line(unsafe-typecast) unit <= type(uint96).max, checked above
        _tokens[tokenId] = TokenInfo(token, uint96(unit));
        _tokenIds[token] = tokenId;
        emit TokenRegistered(tokenId, token, unit);
    }

    // -------------------------------------------------------------------------------------- priority requests

    /// @notice Deposits `msg.value` wei (a whole number of gwei, below 2^56 gwei) for L2 owner `owner`.
    /// @param owner L1 address that owns the L2 balance.
    /// @param pkHash Key hash `H(Ax, Ay)` for a new account (0 = none); ignored if the operator credits an existing one.
    /// @return requestIndex The request's index in the priority queue.
    function depositETH(address owner, uint256 pkHash) external payable returns (uint64 requestIndex) {
        uint256 units = _units(msg.value, ETH_UNIT);
        return _deposit(owner, 0, units, pkHash);
    }

    /// @notice Deposits `amount` base units of registered ERC-20 `token` (a whole number of its unit) for `owner`;
    ///         approve the rollup first.
    /// @return requestIndex The request's index in the priority queue.
    function depositERC20(address token, uint256 amount, address owner, uint256 pkHash)
        external
        nonReentrant
        returns (uint64 requestIndex)
    {
        uint8 id = _tokenIds[token];
        if (id == 0) revert UnknownToken(token);
        uint256 units = _units(amount, _tokens[id].unit);
        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = IERC20(token).balanceOf(address(this)) - before;
        if (received != amount) revert TokenTransferMismatch(token, amount, received);
        return _deposit(owner, id, units, pkHash);
    }

    /// @notice Asks the operator to withdraw the whole balance of `token` of account `accountIndex` to the caller,
    ///         if the caller owns it (else the operator processes it with amount 0). Censorship-resistant: it is a
    ///         priority request.
    /// @return requestIndex The request's index in the priority queue.
    function requestFullExit(uint16 accountIndex, uint8 token) external returns (uint64 requestIndex) {
        _checkAccountIndex(accountIndex);
        _checkTokenId(token);
        return _enqueue(KIND_FULL_EXIT, token, 0, accountIndex, msg.sender, 0);
    }

    /// @notice Asks the operator to set the L2 key hash of account `accountIndex` to `pkHash`; it takes effect only if
    ///         the caller owns the account (this L1 transaction is the owner's authorisation).
    /// @return requestIndex The request's index in the priority queue.
    function changePubKey(uint16 accountIndex, uint256 pkHash) external returns (uint64 requestIndex) {
        _checkAccountIndex(accountIndex);
        if (pkHash >= FIELD) revert PkHashNotInField(pkHash);
        return _enqueue(KIND_CHANGE_PUBKEY, 0, 0, accountIndex, msg.sender, pkHash);
    }

    // ------------------------------------------------------------------------------------------------ blocks

    /// @notice Commits blocks after `last` (the last committed block): parses each one's pubdata (priority
    ///         requests consumed and checked against the queue, withdrawals collected), computes its commitment and
    ///         stores its `StoredBlock` hash. Operator only.
    /// @param last The StoredBlock of the last committed block (`genesisBlock()` before the first commit).
    /// @param blocks The new blocks in order.
    function commitBlocks(StoredBlock calldata last, CommitBlockInput[] calldata blocks) external onlyOperator {
        _commit(last, blocks, false);
    }

    /// @notice Commits and verifies blocks in one transaction (Loopring-style): as `commitBlocks` followed by
    ///         `verifyBlocks`, but only the last block's `StoredBlock` hash is written, so a block costs no storage
    ///         slot of its own. Every committed block must already be verified. Operator only.
    /// @param last The StoredBlock of the last committed (= last verified) block.
    /// @param blocks The new blocks in order.
    /// @param proofs `proofs[i]` proves block i's commitment.
    /// @param withdrawals `withdrawals[i]` = block i's withdrawals in pubdata order.
    function commitAndVerifyBlocks(
        StoredBlock calldata last,
        CommitBlockInput[] calldata blocks,
        uint256[8][] calldata proofs,
        ZkPubdata.Withdrawal[][] calldata withdrawals
    ) external onlyOperator {
        State memory s = _state;
        if (s.committedBlocks != s.verifiedBlocks) revert UnverifiedBlocksPending(s.committedBlocks, s.verifiedBlocks);
        uint256 count = blocks.length;
        if (proofs.length != count || withdrawals.length != count) {
            revert LengthMismatch(count, proofs.length, withdrawals.length);
        }
        (uint256[] memory inputs, bytes32[] memory withdrawalHashes, StoredBlock memory lastBlock) =
            _commit(last, blocks, true);
        uint256 first = uint256(lastBlock.blockNumber) + 1 - count;
        for (uint256 i = 0; i < count; i++) {
            if (ZkPubdata.hashWithdrawals(withdrawals[i]) != withdrawalHashes[i]) {
                revert WithdrawalsMismatch(first + i);
            }
        }
        if (!verifier.verifyBatch(proofs, inputs)) revert InvalidProof();
        for (uint256 i = 0; i < count; i++) {
            // forge-lint: disable-next-line(unsafe-typecast) block numbers are below 2^32 (see _commit)
            _creditWithdrawals(uint32(first + i), withdrawals[i]);
        }
        s = _state;
        s.verifiedBlocks = lastBlock.blockNumber;
        s.verifiedRequests = s.committedRequests;
        _state = s;
        verifiedRoot = lastBlock.newRoot;
        // forge-lint: disable-next-line(unsafe-typecast) see _commit
        emit BlocksVerified(uint32(first), lastBlock.blockNumber, lastBlock.newRoot, uint64(s.verifiedRequests));
    }

    /// @dev The commit loop of `commitBlocks` and `commitAndVerifyBlocks`: checks `last`, parses and commits
    ///      `blocks`, stores each one's StoredBlock hash (only the last one's when `onlyLast`), updates the commit
    ///      counters and returns the commitments, the withdrawals hashes and the last StoredBlock.
    function _commit(StoredBlock calldata last, CommitBlockInput[] calldata blocks, bool onlyLast)
        private
        returns (uint256[] memory commitments, bytes32[] memory withdrawalHashes, StoredBlock memory sb)
    {
        State memory s = _state;
        if (s.exodusMode) revert ExodusModeActive();
        if (blocks.length == 0) revert NoBlocks();
        if (last.blockNumber != s.committedBlocks) revert WrongPreviousBlock(last.blockNumber, s.committedBlocks);
        if (keccak256(abi.encode(last)) != _blockHashes[last.blockNumber % BLOCK_RING]) {
            revert StoredBlockMismatch(last.blockNumber);
        }
        if (uint256(s.committedBlocks) + blocks.length >= uint256(s.verifiedBlocks) + BLOCK_RING) {
            revert TooManyUnverifiedBlocks();
        }
        commitments = new uint256[](blocks.length);
        withdrawalHashes = new bytes32[](blocks.length);
        uint256 requestCursor = s.committedRequests;
        uint256 pBefore = _chain[requestCursor];
        uint256 number = s.committedBlocks;
        sb.newRoot = last.newRoot;
        for (uint256 i = 0; i < blocks.length; i++) {
            number++;
            uint256 pAfter;
            (sb, pAfter) = _commitOne(blocks[i], sb.newRoot, requestCursor, pBefore, number, s.totalRequests);
            if (!onlyLast || i + 1 == blocks.length) _blockHashes[number % BLOCK_RING] = keccak256(abi.encode(sb));
            emit BlockCommitted(
                sb.blockNumber, sb.priorityOpsBefore, sb.priorityOps, sb.newRoot, sb.commitment, sb.withdrawalsHash
            );
            commitments[i] = uint256(sb.commitment);
            withdrawalHashes[i] = sb.withdrawalsHash;
            requestCursor += sb.priorityOps;
            pBefore = pAfter;
        }
        // forge-lint: disable-next-line(unsafe-typecast) see above
        s.committedBlocks = uint32(number);
        // forge-lint: disable-next-line(unsafe-typecast) at most totalRequests, a uint56
        s.committedRequests = uint56(requestCursor);
        _state = s;
    }

    /// @dev Checks and parses one block's input and returns its StoredBlock (number `number`, after `oldRoot` and
    ///      `requestCursor` consumed requests) and the request chain value after it.
    function _commitOne(
        CommitBlockInput calldata b,
        bytes32 oldRoot,
        uint256 requestCursor,
        uint256 pBefore,
        uint256 number,
        uint256 totalRequests
    ) private view returns (StoredBlock memory sb, uint256 pAfter) {
        bytes calldata pubdata = b.pubdata;
        if (pubdata.length != chunks * ZkPubdata.CHUNK_BYTES) {
            revert PubdataLengthInvalid(pubdata.length, chunks * ZkPubdata.CHUNK_BYTES);
        }
        if (uint256(b.newRoot) >= FIELD) revert RootNotInField(b.newRoot);
        (uint256 ops, bytes32 withdrawalsHash) = ZkPubdata.parse(pubdata, requestCursor, totalRequests, _requests);
        pAfter = ops == 0 ? pBefore : _chain[requestCursor + ops];
        // forge-lint: disable-start(unsafe-typecast) a block number below 2^32 (4 billion blocks); request
        // counts below 2^56 (they come from uint56 counters)
        sb = StoredBlock({
            blockNumber: uint32(number),
            priorityOpsBefore: uint64(requestCursor),
            priorityOps: uint64(ops),
            newRoot: b.newRoot,
            commitment: ZkPubdata.commitment(oldRoot, b.newRoot, pBefore, pAfter, pubdata),
            withdrawalsHash: withdrawalsHash
        });
        // forge-lint: disable-end(unsafe-typecast)
    }

    /// @notice Verifies the next committed blocks (after the last verified one, in order) with one Groth16 proof
    ///         each, all checked at once, then credits each block's withdrawals to `pendingBalance`. Anyone may call.
    /// @param blocks The StoredBlocks of the blocks to verify.
    /// @param proofs `proofs[i]` proves `blocks[i].commitment` (word order: `IGroth16Verifier`).
    /// @param withdrawals `withdrawals[i]` = block i's withdrawals in pubdata order (hashing to its withdrawalsHash).
    function verifyBlocks(
        StoredBlock[] calldata blocks,
        uint256[8][] calldata proofs,
        ZkPubdata.Withdrawal[][] calldata withdrawals
    ) external {
        State memory s = _state;
        if (s.exodusMode) revert ExodusModeActive();
        uint256 count = blocks.length;
        if (count == 0) revert NoBlocks();
        if (proofs.length != count || withdrawals.length != count) {
            revert LengthMismatch(count, proofs.length, withdrawals.length);
        }
        uint256[] memory inputs = new uint256[](count);
        for (uint256 i = 0; i < count; i++) {
            StoredBlock calldata b = blocks[i];
            uint256 expected = uint256(s.verifiedBlocks) + 1 + i;
            if (b.blockNumber != expected) revert UnexpectedBlockNumber(expected, b.blockNumber);
            if (expected > s.committedBlocks) revert BlockNotCommitted(expected);
            if (keccak256(abi.encode(b)) != _blockHashes[expected % BLOCK_RING]) revert StoredBlockMismatch(expected);
            if (ZkPubdata.hashWithdrawals(withdrawals[i]) != b.withdrawalsHash) revert WithdrawalsMismatch(expected);
            inputs[i] = uint256(b.commitment);
        }
        if (!verifier.verifyBatch(proofs, inputs)) revert InvalidProof();

        for (uint256 i = 0; i < count; i++) {
            _creditWithdrawals(blocks[i].blockNumber, withdrawals[i]);
        }
        StoredBlock calldata lastBlock = blocks[count - 1];
        s.verifiedBlocks = lastBlock.blockNumber;
        s.verifiedRequests = uint56(uint256(lastBlock.priorityOpsBefore) + lastBlock.priorityOps);
        _state = s;
        verifiedRoot = lastBlock.newRoot;
        emit BlocksVerified(blocks[0].blockNumber, lastBlock.blockNumber, lastBlock.newRoot, uint64(s.verifiedRequests));
    }

    /// @notice Drops the committed, unverified blocks after `newLastBlock` (which becomes the last committed block);
    ///         their priority requests go back to the queue. Operator only.
    function revertBlocks(StoredBlock calldata newLastBlock) external onlyOperator {
        State memory s = _state;
        if (s.exodusMode) revert ExodusModeActive();
        uint256 number = newLastBlock.blockNumber;
        if (number < s.verifiedBlocks || number >= s.committedBlocks) {
            revert CannotRevertTo(number, s.verifiedBlocks, s.committedBlocks);
        }
        if (keccak256(abi.encode(newLastBlock)) != _blockHashes[number % BLOCK_RING]) {
            revert StoredBlockMismatch(number);
        }
        uint32 previous = s.committedBlocks;
        s.committedBlocks = newLastBlock.blockNumber;
        // forge-lint: disable-next-line(unsafe-typecast) a committed block's requests: at most totalRequests, a uint56
        s.committedRequests = uint56(uint256(newLastBlock.priorityOpsBefore) + newLastBlock.priorityOps);
        _state = s;
        emit BlocksReverted(newLastBlock.blockNumber, previous, s.committedRequests);
    }

    // ----------------------------------------------------------------------------------------------- payouts

    /// @notice Pays `owner` their whole pending balance of token id `token` (anyone may call).
    function withdrawPendingBalance(address owner, uint8 token) external nonReentrant {
        uint256 amount = pendingBalance[owner][token];
        if (amount == 0) revert NothingToWithdraw(owner, token);
        pendingBalance[owner][token] = 0;
        emit WithdrawalPaid(owner, token, amount);
        _transferOut(owner, token, amount);
    }

    // ------------------------------------------------------------------------------------------------ exodus

    /// @notice Activates exodus mode when the oldest priority request not in a verified block is past its expiry.
    ///         Anyone may call. Commits, verifications and new requests stop for good.
    function activateExodusMode() external {
        State memory s = _state;
        if (s.exodusMode) revert ExodusModeActive();
        uint256 oldest = s.verifiedRequests;
        if (oldest >= s.totalRequests) revert NoPendingPriorityRequest();
        uint256 expiry = requestExpiry(oldest);
        if (block.timestamp <= expiry) revert PriorityRequestNotExpired(oldest, expiry);
        s.exodusMode = true;
        _state = s;
        refundCursor = oldest;
        // forge-lint: disable-next-line(unsafe-typecast) oldest < totalRequests (uint56); expiry was a uint64
        emit ExodusMode(uint64(oldest), uint64(expiry));
    }

    /// @notice Exodus: pays the leaf's owner the whole balance of `token` of account `accountIndex`, proven by a
    ///         Merkle proof of the account leaf `H(pkHash, ownerNonce, balances)` against the last verified root.
    ///         Once per (account, token); anyone may call (the owner is paid).
    /// @param siblings The D siblings, bottom-up.
    function exodusWithdraw(
        uint16 accountIndex,
        uint8 token,
        uint256 pkHash,
        uint256 ownerNonce,
        uint256 balances,
        uint256[] calldata siblings
    ) external nonReentrant {
        if (!_state.exodusMode) revert NotExodusMode();
        _checkAccountIndex(accountIndex);
        _checkTokenId(token);
        if (siblings.length != depth) revert MerkleProofLengthInvalid(siblings.length, depth);
        uint256 bit = uint256(accountIndex) * TOKENS + token;
        if ((_exited[bit >> 8] >> (bit & 0xff)) & 1 != 0) revert AlreadyExited(accountIndex, token);
        // Poseidon reduces its inputs mod r: an out-of-range field would alias another leaf with another owner.
        if (pkHash >= FIELD || ownerNonce >> 192 != 0 || balances >> 224 != 0) revert LeafFieldOutOfRange();
        uint256 node = PoseidonT4.hash([pkHash, ownerNonce, balances]);
        for (uint256 k = 0; k < siblings.length; k++) {
            node = (accountIndex >> k) & 1 == 0
                ? PoseidonT3.hash([node, siblings[k]])
                : PoseidonT3.hash([siblings[k], node]);
        }
        if (bytes32(node) != verifiedRoot) revert InvalidMerkleProof();
        uint256 units = (balances >> (56 * token)) & (MAX_UNITS - 1);
        // forge-lint: disable-next-line(unsafe-typecast) the owner is the low 160 bits (the nonce is above)
        address owner = address(uint160(ownerNonce));
        if (units == 0) revert NothingToWithdraw(owner, token);
        if (owner == address(0)) revert AccountHasNoOwner(accountIndex);
        _exited[bit >> 8] |= uint256(1) << (bit & 0xff);
        uint256 amount = _payOut(token, units);
        emit ExodusWithdrawal(accountIndex, token, owner, amount);
        _transferOut(owner, token, amount);
    }

    /// @notice Exodus: credits back (to `pendingBalance` of the deposit's L2 owner) the deposits among the next `n`
    ///         priority requests not in a verified block, each once. Anyone may call, repeatedly, until all are done.
    /// @return refunded Deposits refunded by this call.
    function cancelOutstandingDeposits(uint256 n) external returns (uint256 refunded) {
        State memory s = _state;
        if (!s.exodusMode) revert NotExodusMode();
        uint256 cursor = refundCursor;
        if (cursor >= s.totalRequests || n == 0) revert NoOutstandingDeposits();
        uint256 end = cursor + n;
        if (end > s.totalRequests) end = s.totalRequests;
        for (uint256 i = cursor; i < end; i++) {
            uint256 a = _requests[i];
            if (a & 7 != KIND_DEPOSIT) continue;
            // forge-lint: disable-start(unsafe-typecast) fields of the packed word: token 5 bits, address 160
            uint8 token = uint8((a >> 3) & 0x1f);
            address owner = address(uint160(a >> 80));
            // forge-lint: disable-end(unsafe-typecast)
            uint256 amount = _payOut(token, (a >> 8) & (MAX_UNITS - 1));
            pendingBalance[owner][token] += amount;
            // forge-lint: disable-next-line(unsafe-typecast) i < totalRequests, a uint56
            emit DepositRefunded(uint64(i), owner, token, amount);
            refunded++;
        }
        refundCursor = end;
    }

    // ------------------------------------------------------------------------------------------------- views

    /// @notice Block 0's StoredBlock (pass it as `last` to the first `commitBlocks`).
    function genesisBlock() external view returns (StoredBlock memory) {
        return StoredBlock(0, 0, 0, genesisRoot, 0, 0);
    }

    /// @notice Stored hash of block `blockNumber` while it is verifiable or revertible (the last verified block up
    ///         to the last committed one); 0 otherwise.
    function storedBlockHash(uint256 blockNumber) external view returns (bytes32) {
        State memory s = _state;
        if (blockNumber < s.verifiedBlocks || blockNumber > s.committedBlocks) return 0;
        return _blockHashes[blockNumber % BLOCK_RING];
    }

    /// @notice Requests ever queued.
    function totalPriorityRequests() external view returns (uint256) {
        return _state.totalRequests;
    }

    /// @notice Requests consumed by committed blocks.
    function committedPriorityRequests() external view returns (uint256) {
        return _state.committedRequests;
    }

    /// @notice Requests consumed by verified blocks.
    function verifiedPriorityRequests() external view returns (uint256) {
        return _state.verifiedRequests;
    }

    /// @notice Number of the last committed block.
    function totalBlocksCommitted() external view returns (uint256) {
        return _state.committedBlocks;
    }

    /// @notice Number of the last verified block.
    function totalBlocksVerified() external view returns (uint256) {
        return _state.verifiedBlocks;
    }

    /// @notice Whether exodus mode is active.
    function exodusMode() external view returns (bool) {
        return _state.exodusMode;
    }

    /// @notice Request `requestIndex`'s packed word `a` (docs/zk.md "Priority queue"); 0 if not queued.
    function priorityRequest(uint256 requestIndex) external view returns (uint256) {
        return _requests[requestIndex];
    }

    /// @notice The Poseidon chain value p[n] (p[0] = 0, p[n + 1] = H(p[n], a_n, pkHash_n)).
    function priorityChain(uint256 n) external view returns (uint256) {
        return _chain[n];
    }

    /// @notice L1 timestamp after which request `requestIndex` lets anyone activate exodus (0 if not queued).
    function requestExpiry(uint256 requestIndex) public view returns (uint256) {
        return uint64(_expiries[requestIndex >> 2] >> ((requestIndex & 3) * 64));
    }

    /// @notice Token id `tokenId`'s L1 address (0 for ETH) and L2 unit in base units.
    function tokenInfo(uint8 tokenId) external view returns (address token, uint256 unit) {
        if (tokenId == 0) return (address(0), ETH_UNIT);
        _checkTokenId(tokenId);
        TokenInfo memory t = _tokens[tokenId];
        return (t.token, t.unit);
    }

    /// @notice Id of registered ERC-20 `token` (reverts `UnknownToken` otherwise).
    function tokenIdOf(address token) external view returns (uint8 tokenId) {
        tokenId = _tokenIds[token];
        if (tokenId == 0) revert UnknownToken(token);
    }

    /// @notice L2 units of token id `tokenId` ever deposited and ever credited to withdrawals, paid by exodus or
    ///         refunded. The second never exceeds the first.
    function tokenTotals(uint8 tokenId) external view returns (uint256 depositedUnits, uint256 paidOutUnits) {
        if (tokenId >= TOKENS) revert UnknownTokenId(tokenId);
        Totals memory t = _totals[tokenId];
        return (t.deposited, t.paidOut);
    }

    /// @notice Whether exodus already paid `(accountIndex, token)`.
    function isExited(uint256 accountIndex, uint8 token) external view returns (bool) {
        uint256 bit = accountIndex * TOKENS + token;
        return (_exited[bit >> 8] >> (bit & 0xff)) & 1 != 0;
    }

    // ---------------------------------------------------------------------------------------------- internal

    function _units(uint256 amount, uint256 unit) private pure returns (uint256 units) {
        if (amount == 0) revert ZeroAmount();
        if (amount % unit != 0) revert AmountNotMultipleOfUnit(amount, unit);
        units = amount / unit;
        if (units >= MAX_UNITS) revert AmountTooLarge(units);
    }

    function _deposit(address owner, uint8 token, uint256 units, uint256 pkHash) private returns (uint64) {
        if (owner == address(0)) revert ZeroAddress();
        if (pkHash >= FIELD) revert PkHashNotInField(pkHash);
        // forge-lint: disable-next-line(unsafe-typecast) units < 2^56 (_units)
        _totals[token].deposited += uint128(units);
        return _enqueue(KIND_DEPOSIT, token, units, 0, owner, pkHash);
    }

    /// @dev Appends a request: packed word, chain value, expiry; emits `PriorityRequest`.
    function _enqueue(uint8 kind, uint8 token, uint256 amount, uint16 accountIndex, address account, uint256 pkHash)
        private
        returns (uint64)
    {
        State memory s = _state;
        if (s.exodusMode) revert ExodusModeActive();
        uint256 n = s.totalRequests;
        uint256 a = uint256(kind) | (uint256(token) << 3) | (amount << 8) | (uint256(accountIndex) << 64)
            | (uint256(uint160(account)) << 80);
        uint256 chainHash = PoseidonT4.hash([_chain[n], a, pkHash]);
        _chain[n + 1] = chainHash;
        _requests[n] = a;
        uint256 expiry = block.timestamp + priorityDeadline;
        _expiries[n >> 2] |= expiry << ((n & 3) * 64);
        // forge-lint: disable-start(unsafe-typecast) n + 1 < 2^56 requests; amount < 2^56 units; expiry =
        // timestamp + a deadline below 2^32
        s.totalRequests = uint56(n + 1);
        _state = s;
        emit PriorityRequest(
            uint64(n), kind, account, token, uint64(amount), accountIndex, pkHash, chainHash, uint64(expiry)
        );
        return uint64(n);
        // forge-lint: disable-end(unsafe-typecast)
    }

    /// @dev Credits a verified block's withdrawals to the recipients' pending balances.
    function _creditWithdrawals(uint32 blockNumber, ZkPubdata.Withdrawal[] calldata ws) private {
        for (uint256 j = 0; j < ws.length; j++) {
            ZkPubdata.Withdrawal calldata w = ws[j];
            if (w.amount == 0) continue;
            uint256 amount = _payOut(w.token, w.amount);
            pendingBalance[w.recipient][w.token] += amount;
            emit WithdrawalCredited(blockNumber, w.recipient, w.token, amount);
        }
    }

    /// @dev Records `units` of `token` leaving the rollup (credit, exodus or refund) and returns them in base units.
    function _payOut(uint8 token, uint256 units) private returns (uint256) {
        Totals memory t = _totals[token];
        uint256 available = t.deposited - t.paidOut;
        if (units > available) revert PayoutExceedsDeposits(token, units, available);
        // forge-lint: disable-next-line(unsafe-typecast) units <= available, itself a uint128
        _totals[token].paidOut = t.paidOut + uint128(units);
        return units * (token == 0 ? ETH_UNIT : _tokens[token].unit);
    }

    function _transferOut(address to, uint8 token, uint256 amount) private {
        if (token == 0) {
            (bool ok,) = to.call{value: amount}("");
            if (!ok) revert EthTransferFailed(to, amount);
        } else {
            IERC20(_tokens[token].token).safeTransfer(to, amount);
        }
    }

    function _checkAccountIndex(uint256 accountIndex) private view {
        if (accountIndex >> depth != 0) revert AccountIndexOutOfRange(accountIndex);
    }

    function _checkTokenId(uint256 tokenId) private view {
        if (tokenId >= TOKENS || (tokenId != 0 && tokenId > erc20Count)) revert UnknownTokenId(tokenId);
    }
}
