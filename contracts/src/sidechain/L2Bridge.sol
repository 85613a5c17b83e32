// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Create2} from "@openzeppelin/contracts/utils/Create2.sol";

import {BridgedERC20} from "./BridgedERC20.sol";

/// @title L2Bridge
/// @notice The sidechain half of the bridge (a predeploy: it runs on the sidechain's EVM, the node puts its runtime
///         code at a fixed address at genesis). The validators' node finalizes L1 deposits into it, and users start
///         withdrawals to L1 from it; the L1 `SidechainBridge` pays a withdrawal once a quorum-signed checkpoint
///         contains it.
/// @dev Deposits. An L1 ETH deposit is credited by the node directly to the recipient's balance (no call). An L1
///      ERC-20 deposit is a call from `SYSTEM_ADDRESS` (EIP-4788's system address, a sender no one holds a key for)
///      to `finalizeERC20Deposit`, with the L1 deposit id; each id is finalized at most once. The first deposit of
///      an L1 token deploys its `BridgedERC20` with CREATE2 (salt = the L1 token's address as a word), so
///      `l2TokenOf` is known before any deposit.
///
///      Withdrawals. `withdraw` (ETH) and `withdrawToken` (a bridged token) emit `WithdrawalInitiated` with a
///      sequential id shared by both kinds, from 0; the validators collect these into each checkpoint's withdrawals
///      tree (leaf = `keccak256(abi.encode(id, from, to, l1Token, amount))`, the L1 `Withdrawal`). Withdrawn ETH
///      stays in this contract forever (no function sends ETH out: it is burnt on the sidechain); withdrawn tokens
///      are burnt.
///
///      Storage starts empty (no constructor runs for a predeploy), and nothing here depends on deployment-time
///      state: constants only.
contract L2Bridge {
    /// @notice The sender the node uses for deposit finalization (EIP-4788's system address).
    address public constant SYSTEM_ADDRESS = 0xffffFFFfFFffffffffffffffFfFFFfffFFFfFFfE;

    /// @notice Number of withdrawals started so far (ETH and tokens); the next one gets this id.
    uint256 public withdrawalCount;

    mapping(address l1Token => address) private _l2TokenOf;
    mapping(address l2Token => address) private _l1TokenOf;
    mapping(uint256 depositId => bool) private _depositFinalized;

    /// @notice L1 deposit `depositId` of `amount` of `l1Token` minted `amount` of `l2Token` to `to`.
    event DepositFinalized(
        uint256 indexed depositId, address indexed to, address l1Token, address l2Token, uint256 amount
    );
    /// @notice The `BridgedERC20` of `l1Token` was deployed at `l2Token` (on its first deposit).
    event TokenDeployed(address indexed l1Token, address indexed l2Token);
    /// @notice Withdrawal `id`: `from` burnt `amount` here, to be paid on L1 to `to` in `l1Token` (0: ETH).
    event WithdrawalInitiated(
        uint256 indexed id, address indexed from, address indexed to, address l1Token, uint256 amount
    );

    /// @notice `caller` is not `SYSTEM_ADDRESS`.
    error NotSystem(address caller);
    /// @notice Deposit `depositId` was already finalized.
    error DepositAlreadyFinalized(uint256 depositId);
    /// @notice An address argument (token, recipient) is zero.
    error ZeroAddress();
    /// @notice A zero amount.
    error ZeroAmount();
    /// @notice `l2Token` is not a token this bridge deployed.
    error UnknownToken(address l2Token);

    // ------------------------------------------------------------------------------------------------ deposits

    /// @notice Finalizes L1 ERC-20 deposit `depositId`: mints `amount` of `l1Token`'s bridged token to `to`,
    ///         deploying that token first if this is its first deposit. Only `SYSTEM_ADDRESS` (the node).
    /// @return l2Token The bridged token.
    function finalizeERC20Deposit(uint256 depositId, address l1Token, address to, uint256 amount)
        external
        returns (address l2Token)
    {
        if (msg.sender != SYSTEM_ADDRESS) revert NotSystem(msg.sender);
        if (_depositFinalized[depositId]) revert DepositAlreadyFinalized(depositId);
        if (l1Token == address(0) || to == address(0)) revert ZeroAddress();
        _depositFinalized[depositId] = true;
        l2Token = _l2TokenOf[l1Token];
        if (l2Token == address(0)) {
            l2Token = address(new BridgedERC20{salt: _saltOf(l1Token)}(l1Token));
            _l2TokenOf[l1Token] = l2Token;
            _l1TokenOf[l2Token] = l1Token;
            emit TokenDeployed(l1Token, l2Token);
        }
        BridgedERC20(l2Token).mint(to, amount);
        emit DepositFinalized(depositId, to, l1Token, l2Token, amount);
    }

    // --------------------------------------------------------------------------------------------- withdrawals

    /// @notice Withdraws `msg.value` wei to `l1Recipient` on L1. The ETH stays in this contract for good.
    /// @return id The withdrawal's id.
    function withdraw(address l1Recipient) external payable returns (uint256 id) {
        if (msg.value == 0) revert ZeroAmount();
        if (l1Recipient == address(0)) revert ZeroAddress();
        id = _nextId();
        emit WithdrawalInitiated(id, msg.sender, l1Recipient, address(0), msg.value);
    }

    /// @notice Burns `amount` of the caller's `l2Token` (a bridged token; no approval needed) and withdraws it to
    ///         `l1Recipient` on L1, in the L1 token.
    /// @return id The withdrawal's id.
    function withdrawToken(address l2Token, address l1Recipient, uint256 amount) external returns (uint256 id) {
        address l1Token = _l1TokenOf[l2Token];
        if (l1Token == address(0)) revert UnknownToken(l2Token);
        if (amount == 0) revert ZeroAmount();
        if (l1Recipient == address(0)) revert ZeroAddress();
        BridgedERC20(l2Token).burn(msg.sender, amount);
        id = _nextId();
        emit WithdrawalInitiated(id, msg.sender, l1Recipient, l1Token, amount);
    }

    // --------------------------------------------------------------------------------------------------- views

    /// @notice The address of `l1Token`'s bridged token (CREATE2 from this bridge), deployed yet or not.
    function l2TokenOf(address l1Token) external view returns (address) {
        address known = _l2TokenOf[l1Token];
        if (known != address(0)) return known;
        return Create2.computeAddress(
            _saltOf(l1Token), keccak256(abi.encodePacked(type(BridgedERC20).creationCode, abi.encode(l1Token)))
        );
    }

    /// @notice The L1 token `l2Token` represents; zero if `l2Token` is not one of this bridge's tokens.
    function l1TokenOf(address l2Token) external view returns (address) {
        return _l1TokenOf[l2Token];
    }

    /// @notice Whether L1 deposit `depositId` was finalized here (ERC-20 deposits only: ETH needs no call).
    function isDepositFinalized(uint256 depositId) external view returns (bool) {
        return _depositFinalized[depositId];
    }

    // ------------------------------------------------------------------------------------------------- private

    function _nextId() private returns (uint256 id) {
        id = withdrawalCount;
        withdrawalCount = id + 1;
    }

    function _saltOf(address l1Token) private pure returns (bytes32) {
        return bytes32(uint256(uint160(l1Token)));
    }
}
