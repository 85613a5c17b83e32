// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title L2TxLib
/// @notice One l2kit L2 transaction as a fraud proof receives it (the fields the batch codec keeps, ARCHITECTURE.md
///         "L2 transactions"), and the wallet-signed Ethereum transaction it stands for: `signingHash` rebuilds the
///         EIP-155 (legacy) or EIP-1559 (type 2, empty access list) signing payload exactly as
///         `src/core/l2tx.ts` (`signingHash`) does, and `sender` recovers the signer with the same canonical
///         signature rules (0 < r < n, 0 < s <= n/2, yParity 0 or 1).
/// @dev The struct is trusted to be well-formed by construction (decoded from batch data): `kind` picks the call
///      that is rebuilt, so e.g. an ETH transfer whose `to` is the bridge would hash as that transfer, not as a
///      withdrawal. Rejecting such non-canonical rows belongs to the batch decoder of the fraud-proof game.
library L2TxLib {
    /// @notice `Tx.feeType` of a legacy EIP-155 transaction (`maxFeePerGas` holds its gasPrice).
    uint8 internal constant FEE_LEGACY = 0;
    /// @notice `Tx.feeType` of an EIP-1559 (type 2) transaction.
    uint8 internal constant FEE_EIP1559 = 2;

    /// @notice `Tx.kind` values, in the order of `L2Operation` (src/core/types.ts).
    uint8 internal constant KIND_ETH_TRANSFER = 0;
    uint8 internal constant KIND_TOKEN_TRANSFER = 1;
    uint8 internal constant KIND_WITHDRAW_ETH = 2;
    uint8 internal constant KIND_WITHDRAW_TOKEN = 3;

    /// @notice The L2 bridge (`withdrawETH`, `withdrawERC20` are called on it).
    address internal constant L2_BRIDGE = 0x4200000000000000000000000000000000000010;
    /// @notice Bridged token `t` lives at `L2_TOKEN_BASE + t` (0x42000000000000000000000000000000000010tt).
    uint160 internal constant L2_TOKEN_BASE = uint160(0x4200000000000000000000000000000000001000);

    bytes4 internal constant SEL_TRANSFER = 0xa9059cbb; // transfer(address,uint256)
    bytes4 internal constant SEL_WITHDRAW_ETH = 0x690d8320; // withdrawETH(address)
    bytes4 internal constant SEL_WITHDRAW_ERC20 = 0x44004cc1; // withdrawERC20(address,address,uint256)

    uint256 internal constant SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141;
    uint256 internal constant SECP256K1_HALF_N = SECP256K1_N >> 1;

    /// @notice `kind` or `feeType` is not one of the values above.
    error UnsupportedTx(uint8 kind, uint8 feeType);

    /// @notice One L2 transaction.
    /// @param maxFeePerGas legacy: the gas price; EIP-1559: maxFeePerGas.
    /// @param maxPriorityFeePerGas EIP-1559 only (must be 0 for legacy; it is not hashed there).
    /// @param tokenIndex 1..255 for token operations, 0 for ETH ones.
    /// @param to transfer recipient (L2) or withdrawal recipient (L1).
    struct Tx {
        uint64 nonce;
        uint64 gasLimit;
        uint8 feeType;
        uint256 maxFeePerGas;
        uint256 maxPriorityFeePerGas;
        uint8 kind;
        uint8 tokenIndex;
        address to;
        uint256 amount;
        uint256 r;
        uint256 s;
        uint8 yParity;
    }

    /// @notice L2 address of bridged token `tokenIndex`.
    function tokenAddress(uint8 tokenIndex) internal pure returns (address) {
        return address(L2_TOKEN_BASE + tokenIndex);
    }

    /// @notice The Ethereum call (to, value, calldata) that performs the operation (`operationToCall` in TS).
    function callParts(Tx memory t) internal pure returns (address to, uint256 value, bytes memory data) {
        uint8 kind = t.kind;
        if (kind == KIND_ETH_TRANSFER) return (t.to, t.amount, "");
        if (kind == KIND_TOKEN_TRANSFER) {
            return (tokenAddress(t.tokenIndex), 0, abi.encodeWithSelector(SEL_TRANSFER, t.to, t.amount));
        }
        if (kind == KIND_WITHDRAW_ETH) return (L2_BRIDGE, t.amount, abi.encodeWithSelector(SEL_WITHDRAW_ETH, t.to));
        if (kind == KIND_WITHDRAW_TOKEN) {
            return
                (L2_BRIDGE, 0, abi.encodeWithSelector(SEL_WITHDRAW_ERC20, tokenAddress(t.tokenIndex), t.to, t.amount));
        }
        revert UnsupportedTx(kind, t.feeType);
    }

    /// @notice The signing payload: `rlp([nonce, gasPrice, gasLimit, to, value, data, chainId, 0, 0])` (legacy) or
    ///         `0x02 ‖ rlp([chainId, nonce, maxPriorityFee, maxFee, gasLimit, to, value, data, []])` (EIP-1559).
    function signingPayload(Tx memory t, uint256 chainId) internal pure returns (bytes memory) {
        (address to, uint256 value, bytes memory data) = callParts(t);
        bytes memory call = abi.encodePacked(_rlpAddress(to), _rlpUint(value), _rlpBytes(data));
        if (t.feeType == FEE_LEGACY) {
            bytes memory body = abi.encodePacked(
                _rlpUint(t.nonce), _rlpUint(t.maxFeePerGas), _rlpUint(t.gasLimit), call, _rlpUint(chainId), hex"8080"
            );
            return abi.encodePacked(_listHeader(body.length), body);
        }
        if (t.feeType == FEE_EIP1559) {
            bytes memory body = abi.encodePacked(
                _rlpUint(chainId),
                _rlpUint(t.nonce),
                _rlpUint(t.maxPriorityFeePerGas),
                _rlpUint(t.maxFeePerGas),
                _rlpUint(t.gasLimit),
                call,
                hex"c0"
            );
            return abi.encodePacked(hex"02", _listHeader(body.length), body);
        }
        revert UnsupportedTx(t.kind, t.feeType);
    }

    /// @notice The hash the wallet signed (`signingHash(tx, chainId)` in src/core/l2tx.ts).
    function signingHash(Tx memory t, uint256 chainId) internal pure returns (bytes32) {
        return keccak256(signingPayload(t, chainId));
    }

    /// @notice True when the signature is canonical (`signatureProblem` in src/core/signature.ts finds nothing).
    function isCanonicalSignature(Tx memory t) internal pure returns (bool) {
        return t.r != 0 && t.r < SECP256K1_N && t.s != 0 && t.s <= SECP256K1_HALF_N && t.yParity <= 1;
    }

    /// @notice The signer of `t` on `chainId`, or address(0) when the signature is not canonical or recovers nothing.
    function sender(Tx memory t, uint256 chainId) internal pure returns (address) {
        if (!isCanonicalSignature(t)) return address(0);
        return ecrecover(signingHash(t, chainId), 27 + t.yParity, bytes32(t.r), bytes32(t.s));
    }

    // ------------------------------------------------------------------------------------------------ RLP

    /// @dev Canonical RLP of an unsigned integer: 0 → 0x80, 1..0x7f → itself, else 0x80+len ‖ minimal big-endian.
    function _rlpUint(uint256 v) private pure returns (bytes memory out) {
        if (v == 0) return hex"80";
        // forge-lint: disable-next-line(unsafe-typecast)
        if (v < 0x80) return abi.encodePacked(uint8(v));
        uint256 len = _byteLength(v);
        out = new bytes(len + 1);
        // forge-lint: disable-next-line(unsafe-typecast)
        out[0] = bytes1(uint8(0x80 + len));
        for (uint256 i = 0; i < len; i++) {
            // forge-lint: disable-next-line(unsafe-typecast)
            out[1 + i] = bytes1(uint8(v >> (8 * (len - 1 - i))));
        }
    }

    function _rlpAddress(address a) private pure returns (bytes memory) {
        return abi.encodePacked(hex"94", a);
    }

    /// @dev RLP of a byte string that is empty or at least 2 bytes long (the calldata here: 0, 36, 68, 100 bytes).
    function _rlpBytes(bytes memory b) private pure returns (bytes memory) {
        if (b.length == 0) return hex"80";
        if (b.length <= 55) return abi.encodePacked(uint8(0x80 + b.length), b);
        return abi.encodePacked(_longHeader(0xb7, b.length), b);
    }

    function _listHeader(uint256 len) private pure returns (bytes memory) {
        // forge-lint: disable-next-line(unsafe-typecast)
        if (len <= 55) return abi.encodePacked(uint8(0xc0 + len));
        return _longHeader(0xf7, len);
    }

    function _longHeader(uint256 base, uint256 len) private pure returns (bytes memory out) {
        uint256 lenOfLen = _byteLength(len);
        out = new bytes(1 + lenOfLen);
        // forge-lint: disable-next-line(unsafe-typecast)
        out[0] = bytes1(uint8(base + lenOfLen));
        for (uint256 i = 0; i < lenOfLen; i++) {
            // forge-lint: disable-next-line(unsafe-typecast)
            out[1 + i] = bytes1(uint8(len >> (8 * (lenOfLen - 1 - i))));
        }
    }

    function _byteLength(uint256 v) private pure returns (uint256 len) {
        while (v != 0) {
            len++;
            v >>= 8;
        }
    }
}
