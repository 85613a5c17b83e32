// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title BridgedERC20
/// @notice The sidechain's representation of one L1 ERC-20 deposited through the `SidechainBridge`: minted by the
///         L2 `L2Bridge` when a deposit is finalized, burnt by it when a holder withdraws to L1.
/// @dev Runs on the sidechain's EVM. Deployed only by `L2Bridge`, with CREATE2 and salt
///      `bytes32(uint256(uint160(l1Token)))`, so its address is a pure function of the bridge's address and the L1
///      token. The deployer (the bridge) is its only minter and burner; the bridge burns a holder's tokens without an
///      allowance when the holder asks it to withdraw. Name, symbol and decimals are fixed (the L1 token's metadata
///      is not readable from the sidechain): "l2kit bridged token", "bTKN", 18 — amounts are the L1 base units
///      one-to-one, whatever the L1 token's decimals.
contract BridgedERC20 is ERC20 {
    /// @notice The `L2Bridge` that deployed this token: the only account allowed to mint and burn.
    address public immutable bridge;
    /// @notice The L1 token this one represents.
    address public immutable l1Token;

    /// @notice `caller` is not the bridge.
    error NotBridge(address caller);

    /// @param l1Token_ The L1 ERC-20 this token represents.
    constructor(address l1Token_) ERC20("l2kit bridged token", "bTKN") {
        bridge = msg.sender;
        l1Token = l1Token_;
    }

    /// @notice Mints `amount` to `to` (a finalized deposit). Bridge only.
    function mint(address to, uint256 amount) external {
        if (msg.sender != bridge) revert NotBridge(msg.sender);
        _mint(to, amount);
    }

    /// @notice Burns `amount` of `from`'s tokens (a withdrawal `from` asked the bridge for). Bridge only; no
    ///         allowance needed. Reverts with `ERC20InsufficientBalance` when `from` holds less.
    function burn(address from, uint256 amount) external {
        if (msg.sender != bridge) revert NotBridge(msg.sender);
        _burn(from, amount);
    }
}
