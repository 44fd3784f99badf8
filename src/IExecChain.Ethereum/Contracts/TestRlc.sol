// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title Test RLC
/// @notice An ERC-20 with RLC's shape for devnets and tests: 9 decimals, approve + transferFrom,
/// and approveAndCall, which the real RLC token has and which lets a deposit into the bridge take
/// one transaction (the token calls the spender's receiveApproval). Its owner may mint.
contract TestRlc {
    string public constant name = "Test RLC";
    string public constant symbol = "tRLC";
    uint8 public constant decimals = 9;

    address public immutable owner;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    error NotOwner(address caller);
    error InsufficientBalance(address account, uint256 balance, uint256 needed);
    error InsufficientAllowance(address spender, uint256 allowance, uint256 needed);
    error ZeroAddress();

    constructor() {
        owner = msg.sender;
    }

    function mint(address to, uint256 value) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        if (to == address(0)) revert ZeroAddress();
        totalSupply += value;
        balanceOf[to] += value;
        emit Transfer(address(0), to, value);
    }

    function transfer(address to, uint256 value) external returns (bool) {
        _transfer(msg.sender, to, value);
        return true;
    }

    function approve(address spender, uint256 value) public returns (bool) {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != type(uint256).max) {
            if (allowed < value) revert InsufficientAllowance(msg.sender, allowed, value);
            allowance[from][msg.sender] = allowed - value;
        }
        _transfer(from, to, value);
        return true;
    }

    /// @notice Approves `spender` and calls its receiveApproval(from, value, token, extraData), as RLC does.
    function approveAndCall(address spender, uint256 value, bytes calldata extraData) external returns (bool) {
        approve(spender, value);
        ITokenRecipient(spender).receiveApproval(msg.sender, value, address(this), extraData);
        return true;
    }

    function _transfer(address from, address to, uint256 value) private {
        if (to == address(0)) revert ZeroAddress();
        uint256 balance = balanceOf[from];
        if (balance < value) revert InsufficientBalance(from, balance, value);
        balanceOf[from] = balance - value;
        balanceOf[to] += value;
        emit Transfer(from, to, value);
    }
}

interface ITokenRecipient {
    function receiveApproval(address from, uint256 value, address token, bytes calldata extraData) external;
}
