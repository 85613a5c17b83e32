// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {DevToken} from "../../src/common/DevToken.sol";
import {Test} from "../utils/Test.sol";

contract DevTokenTest is Test {
    function test_mintsEveryHolderTheSameAmountWithTheChosenDecimals() public {
        address[] memory holders = new address[](3);
        holders[0] = address(0xa);
        holders[1] = address(0xb);
        holders[2] = address(0xc);
        DevToken token = new DevToken("USD Coin", "USDC", 6, holders, 1_000e6);
        assertEq(token.name(), "USD Coin");
        assertEq(token.symbol(), "USDC");
        assertEq(token.decimals(), 6);
        assertEq(token.totalSupply(), 3_000e6);
        for (uint256 i = 0; i < 3; i++) {
            assertEq(token.balanceOf(holders[i]), 1_000e6);
        }
    }

    function test_worksWithoutHolders() public {
        DevToken token = new DevToken("Empty", "NIL", 18, new address[](0), 1);
        assertEq(token.totalSupply(), 0);
    }
}
