// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title iExecChain RLC bridge
/// @notice Holds the RLC that crossed to the sidechain. A deposit locks RLC here and emits a
/// numbered Deposit event; validators follow these events and credit each deposit on the
/// sidechain, in order, once more than 2/3 of the voting power attested it. A withdrawal burns RLC
/// on the sidechain and is released here, once, against a Merkle proof into the withdrawals root of
/// a checkpoint the anchor contract accepted. Layouts: docs/bridge.md.
contract Bridge {
    IErc20 public immutable token;
    IAnchor public immutable anchor;
    /// The sidechain's chain id: a checkpoint of another chain anchored in the same contract is no proof.
    uint64 public immutable sidechainId;

    /// Number of deposits so far; the next deposit gets this id.
    uint64 public depositCount;
    /// RLC held for the sidechain: deposits minus claimed withdrawals.
    uint256 public locked;
    mapping(uint256 => uint256) private _claimedWords; // bit per withdrawal id

    event Deposit(uint64 indexed id, address indexed depositor, address indexed recipient, uint64 amount);
    event WithdrawalClaimed(uint64 indexed id, address indexed recipient, uint64 amount, uint64 checkpoint);

    error ZeroAmount();
    error ZeroRecipient();
    error AmountTooLarge(uint256 amount);
    error NotToken(address caller);
    error MalformedRecipient(uint256 length);
    error TokenTransferFailed();
    error WrongChain(uint64 expected, uint64 actual);
    error CheckpointNotAnchored(uint64 number);
    error AlreadyClaimed(uint64 id);
    error InvalidProof(uint64 id);

    constructor(IErc20 token_, IAnchor anchor_, uint64 sidechainId_) {
        token = token_;
        anchor = anchor_;
        sidechainId = sidechainId_;
    }

    /// @notice Locks `amount` RLC of the sender (approved beforehand) for `recipient` on the sidechain.
    function deposit(uint256 amount, address recipient) external returns (uint64 id) {
        _pull(msg.sender, amount);
        return _deposit(msg.sender, recipient, amount);
    }

    /// @notice Called by the token from approveAndCall(bridge, amount, extraData): a deposit in one
    /// transaction. `extraData` is empty (the recipient is the sender) or the recipient's 20 bytes.
    function receiveApproval(address from, uint256 amount, address token_, bytes calldata extraData) external {
        if (msg.sender != address(token) || token_ != address(token)) revert NotToken(msg.sender);
        address recipient = from;
        if (extraData.length == 20) recipient = address(bytes20(extraData));
        else if (extraData.length != 0) revert MalformedRecipient(extraData.length);
        _pull(from, amount);
        _deposit(from, recipient, amount);
    }

    /// @notice Releases withdrawal `id` (`amount` to `recipient`) recorded in checkpoint `cp`.
    /// Anyone may send it; the RLC always goes to the recipient the withdrawal names.
    /// @param index position of the withdrawal in its period (id − the period's first id)
    /// @param count withdrawals in the period
    /// @param proof sibling path as IExecChain.Core.Blocks.MerkleRoot.Prove produces it
    function claim(
        IAnchor.Checkpoint calldata cp,
        uint64 id,
        address recipient,
        uint64 amount,
        uint256 index,
        uint256 count,
        bytes32[] calldata proof
    ) external {
        if (cp.chainId != sidechainId) revert WrongChain(sidechainId, cp.chainId);
        if (isClaimed(id)) revert AlreadyClaimed(id);
        if (!anchor.isAnchored(cp)) revert CheckpointNotAnchored(cp.number);
        bytes32 leaf = keccak256(abi.encodePacked("iExecChain/withdrawal/v1", id, recipient, amount));
        if (index >= count || !_verify(cp.withdrawalsRoot, leaf, index, count, proof)) revert InvalidProof(id);
        _claimedWords[id >> 8] |= 1 << (id & 0xff);
        locked -= amount;
        if (!token.transfer(recipient, amount)) revert TokenTransferFailed();
        emit WithdrawalClaimed(id, recipient, amount, cp.number);
    }

    function isClaimed(uint64 id) public view returns (bool) {
        return _claimedWords[id >> 8] & (1 << (id & 0xff)) != 0;
    }

    function _pull(address from, uint256 amount) private {
        if (amount == 0) revert ZeroAmount();
        if (amount > type(uint64).max) revert AmountTooLarge(amount); // sidechain amounts are 64-bit nRLC
        if (!token.transferFrom(from, address(this), amount)) revert TokenTransferFailed();
    }

    function _deposit(address depositor, address recipient, uint256 amount) private returns (uint64 id) {
        if (recipient == address(0)) revert ZeroRecipient();
        id = depositCount++;
        locked += amount;
        emit Deposit(id, depositor, recipient, uint64(amount));
    }

    /// Binary Merkle path check: nodes keccak256(0x01 ‖ left ‖ right), an odd last node carried up.
    function _verify(bytes32 root, bytes32 leaf, uint256 index, uint256 count, bytes32[] calldata proof)
        private
        pure
        returns (bool)
    {
        bytes32 current = leaf;
        uint256 used;
        while (count > 1) {
            uint256 sibling = index ^ 1;
            if (sibling < count) {
                if (used >= proof.length) return false;
                bytes32 other = proof[used++];
                current = index & 1 == 0
                    ? keccak256(abi.encodePacked(bytes1(0x01), current, other))
                    : keccak256(abi.encodePacked(bytes1(0x01), other, current));
            }
            index >>= 1;
            count = (count + 1) >> 1;
        }
        return used == proof.length && current == root;
    }
}

interface IErc20 {
    function transfer(address to, uint256 value) external returns (bool);
    function transferFrom(address from, address to, uint256 value) external returns (bool);
    function balanceOf(address account) external view returns (uint256);
}

/// The part of Anchor.sol the bridge reads.
interface IAnchor {
    struct Checkpoint {
        uint64 chainId;
        uint64 number;
        uint64 firstHeight;
        uint64 lastHeight;
        bytes32 blocksRoot;
        bytes32 stateRoot;
        bytes32 nextValidatorSetHash;
        bytes32 withdrawalsRoot;
    }

    function isAnchored(Checkpoint calldata cp) external view returns (bool);
}
