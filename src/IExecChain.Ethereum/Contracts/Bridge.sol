// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title iExecChain RLC bridge
/// @notice Holds the RLC that crossed to the sidechain. A deposit locks RLC here and emits a
/// numbered Deposit event; validators follow these events and credit each deposit on the
/// sidechain, in order, once more than 2/3 of the voting power attested it. A withdrawal burns RLC
/// on the sidechain and is released here, once, against a Merkle proof into the withdrawals root of
/// a checkpoint the anchor contract accepted. If no checkpoint is anchored for `freezeAfterBlocks`
/// Ethereum blocks, the bridge freezes for good: no more deposits, no claims against later
/// checkpoints, and every account may take its balance out once, with a proof into the state root of
/// the last checkpoint anchored; a deposit that state had not credited goes back to its depositor.
/// Layouts: docs/bridge.md.
contract Bridge {
    IErc20 public immutable token;
    IAnchor public immutable anchor;
    /// The sidechain's chain id: a checkpoint of another chain anchored in the same contract is no proof.
    uint64 public immutable sidechainId;
    /// Ethereum blocks without a new anchored checkpoint after which the bridge may be frozen.
    uint64 public immutable freezeAfterBlocks;

    /// Number of deposits so far; the next deposit gets this id.
    uint64 public depositCount;
    /// keccak256(depositor ‖ recipient ‖ amount) of each deposit, REFUNDED once refunded: a frozen
    /// bridge refunds only deposits it holds, and each once.
    mapping(uint64 => bytes32) public depositHashes;
    bytes32 public constant REFUNDED = bytes32(uint256(1));
    /// State key of the sidechain's BridgeTotals record: keccak256(0x17) (docs/bridge.md).
    bytes32 public constant BRIDGE_TOTALS_KEY = keccak256(hex"17");
    /// RLC held for the sidechain: deposits minus claimed withdrawals.
    uint256 public locked;
    mapping(uint256 => uint256) private _claimedWords; // bit per withdrawal id

    /// The newest anchored checkpoint seen by checkFreeze, and the block it was first seen in.
    uint64 public observedCheckpoint;
    uint64 public observedAtBlock;
    /// Zero while live; once frozen, the checkpoint whose state root pays exits (nothing later counts).
    uint64 public frozenAt;
    mapping(address => bool) public exited;
    mapping(address => bool) public stakeExited;

    event Deposit(uint64 indexed id, address indexed depositor, address indexed recipient, uint64 amount);
    event WithdrawalClaimed(uint64 indexed id, address indexed recipient, uint64 amount, uint64 checkpoint);
    event Observed(uint64 checkpoint, uint64 blockNumber);
    event Frozen(uint64 checkpoint, uint64 blockNumber);
    event Exited(address indexed account, uint64 amount, uint64 checkpoint);
    event StakeExited(address indexed account, uint64 amount, uint64 checkpoint);
    event Refunded(uint64 indexed id, address indexed depositor, uint64 amount, uint64 checkpoint);

    /// A state tree proof about one key (docs/state-tree.md): its value when `present`; otherwise its
    /// absence, the path ending in an empty slot (`otherKey` and `otherValueHash` zero) or in the leaf
    /// of another key sharing the path.
    struct StateProof {
        bool present;
        bytes value;
        bytes32 otherKey;
        bytes32 otherValueHash;
        bytes32[] siblings;
    }

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
    error BridgeFrozen(uint64 checkpoint);
    error NotFrozen();
    error WrongCheckpoint(uint64 expected, uint64 actual);
    error AlreadyExited(address account);
    error InvalidStateProof(address account);
    error MalformedRecord();
    error InsufficientLocked(uint256 locked, uint64 amount);
    error UnknownDeposit(uint64 id);
    error AlreadyRefunded(uint64 id);
    error DepositCredited(uint64 id, uint64 nextDepositId);
    error InvalidTotalsProof();

    constructor(IErc20 token_, IAnchor anchor_, uint64 sidechainId_, uint64 freezeAfterBlocks_) {
        token = token_;
        anchor = anchor_;
        sidechainId = sidechainId_;
        freezeAfterBlocks = freezeAfterBlocks_;
        observedAtBlock = uint64(block.number);
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
        // After a freeze only checkpoints up to the frozen one count: their withdrawals were burned in
        // the state exits are paid from, so nothing is paid twice.
        if (frozenAt != 0 && cp.number > frozenAt) revert BridgeFrozen(frozenAt);
        if (isClaimed(id)) revert AlreadyClaimed(id);
        if (!anchor.isAnchored(cp)) revert CheckpointNotAnchored(cp.number);
        bytes32 leaf = keccak256(abi.encodePacked("iExecChain/withdrawal/v1", id, recipient, amount));
        if (index >= count || !_verify(cp.withdrawalsRoot, leaf, index, count, proof)) revert InvalidProof(id);
        // Only exits from a chain with RLC that never crossed (a devnet's genesis) can have taken it.
        if (amount > locked) revert InsufficientLocked(locked, amount);
        _claimedWords[id >> 8] |= 1 << (id & 0xff);
        locked -= amount;
        if (!token.transfer(recipient, amount)) revert TokenTransferFailed();
        emit WithdrawalClaimed(id, recipient, amount, cp.number);
    }

    /// @notice Watches the anchor: records a newly anchored checkpoint and the block it was seen in;
    /// freezes the bridge for good once the same checkpoint has stayed the newest for
    /// `freezeAfterBlocks` blocks. Anyone may call it; returns whether the bridge is frozen.
    /// A freeze therefore needs one call after the anchoring stopped and one `freezeAfterBlocks` later.
    function checkFreeze() external returns (bool) {
        if (frozenAt != 0) return true;
        (uint64 latest,) = anchor.latestCheckpoint();
        if (latest != observedCheckpoint) {
            observedCheckpoint = latest;
            observedAtBlock = uint64(block.number);
            emit Observed(latest, uint64(block.number));
            return false;
        }
        if (latest == 0 || block.number < uint256(observedAtBlock) + freezeAfterBlocks) return false;
        frozenAt = latest;
        emit Frozen(latest, uint64(block.number));
        return true;
    }

    /// @notice Once frozen: pays `account` its sidechain balance (liquid plus held in escrow) in the
    /// state of checkpoint `frozenAt`, proven by `siblings` into its state root; once per account,
    /// and never more than the bridge still holds. Anyone may send it; the RLC goes to `account`.
    /// @param accountRecord the account's state value: protobuf AccountRecord {1: balance, 2: frozen, 3: nonce}
    /// @param siblings the state tree's sibling hashes from the root down (docs/state-tree.md)
    function exit(IAnchor.Checkpoint calldata cp, address account, bytes calldata accountRecord, bytes32[] calldata siblings) external {
        _requireFrozenCheckpoint(cp);
        if (exited[account]) revert AlreadyExited(account);
        bytes32 key = keccak256(abi.encodePacked(bytes1(0x01), account));
        if (_fold(key, _leaf(key, keccak256(accountRecord)), siblings) != cp.stateRoot) revert InvalidStateProof(account);
        uint256 amount = _sumFields(accountRecord, (1 << 1) | (1 << 2), 0, 0);
        if (amount > locked) amount = locked;
        exited[account] = true;
        locked -= amount;
        if (amount > 0 && !token.transfer(account, amount)) revert TokenTransferFailed();
        emit Exited(account, uint64(amount), cp.number);
    }

    /// @notice Once frozen: pays `account` its stakes in the state of checkpoint `frozenAt` (validator
    /// and worker stake, and what is still unbonding), proven by `siblings` into its state root; once
    /// per account, never more than the bridge still holds. The RLC goes to `account`.
    /// @param stakeRecord the state value: protobuf StakeRecord {1: validator_stake, 2: worker_stake, 3: Unbonding {2: amount}}
    function exitStake(IAnchor.Checkpoint calldata cp, address account, bytes calldata stakeRecord, bytes32[] calldata siblings) external {
        _requireFrozenCheckpoint(cp);
        if (stakeExited[account]) revert AlreadyExited(account);
        bytes32 key = keccak256(abi.encodePacked(bytes1(0x02), account));
        if (_fold(key, _leaf(key, keccak256(stakeRecord)), siblings) != cp.stateRoot) revert InvalidStateProof(account);
        uint256 amount = _sumFields(stakeRecord, (1 << 1) | (1 << 2), 3, 1 << 2);
        if (amount > locked) amount = locked;
        stakeExited[account] = true;
        locked -= amount;
        if (amount > 0 && !token.transfer(account, amount)) revert TokenTransferFailed();
        emit StakeExited(account, uint64(amount), cp.number);
    }

    /// @notice Once frozen: returns deposit `id` to its depositor when the state of checkpoint
    /// `frozenAt` had not credited it: its id is at or above that state's next deposit id, proven by
    /// `totals` (the state value BridgeTotals {2: next_deposit_id}, or its absence: nothing credited).
    /// A deposit locked while the sidechain had stopped, or credited only in a state never anchored,
    /// is therefore not lost; its recipient's exit never counted it. Once per deposit; anyone may
    /// send it; the RLC goes to the depositor.
    function refund(IAnchor.Checkpoint calldata cp, uint64 id, address depositor, address recipient, uint64 amount, StateProof calldata totals) external {
        _requireFrozenCheckpoint(cp);
        bytes32 recorded = depositHashes[id];
        if (recorded == REFUNDED) revert AlreadyRefunded(id);
        if (recorded == 0 || recorded != keccak256(abi.encodePacked(depositor, recipient, amount))) revert UnknownDeposit(id);
        uint64 next = _nextDepositId(cp.stateRoot, totals);
        if (id < next) revert DepositCredited(id, next);
        // Only exits from a chain with RLC that never crossed (a devnet's genesis) can have taken it.
        if (amount > locked) revert InsufficientLocked(locked, amount);
        depositHashes[id] = REFUNDED;
        locked -= amount;
        if (!token.transfer(depositor, amount)) revert TokenTransferFailed();
        emit Refunded(id, depositor, amount, cp.number);
    }

    function isClaimed(uint64 id) public view returns (bool) {
        return _claimedWords[id >> 8] & (1 << (id & 0xff)) != 0;
    }

    function _pull(address from, uint256 amount) private {
        if (frozenAt != 0) revert BridgeFrozen(frozenAt);
        if (amount == 0) revert ZeroAmount();
        if (amount > type(uint64).max) revert AmountTooLarge(amount); // sidechain amounts are 64-bit nRLC
        if (!token.transferFrom(from, address(this), amount)) revert TokenTransferFailed();
    }

    function _deposit(address depositor, address recipient, uint256 amount) private returns (uint64 id) {
        if (recipient == address(0)) revert ZeroRecipient();
        id = depositCount++;
        locked += amount;
        depositHashes[id] = keccak256(abi.encodePacked(depositor, recipient, uint64(amount)));
        emit Deposit(id, depositor, recipient, uint64(amount));
    }

    /// Exits and refunds are paid from the frozen checkpoint's state only, and only once it is anchored.
    function _requireFrozenCheckpoint(IAnchor.Checkpoint calldata cp) private view {
        if (frozenAt == 0) revert NotFrozen();
        if (cp.chainId != sidechainId) revert WrongChain(sidechainId, cp.chainId);
        if (cp.number != frozenAt) revert WrongCheckpoint(frozenAt, cp.number);
        if (!anchor.isAnchored(cp)) revert CheckpointNotAnchored(cp.number);
    }

    /// next_deposit_id of the BridgeTotals record `proof` shows in the state under `root`; zero when
    /// the record is absent (no deposit was ever credited).
    function _nextDepositId(bytes32 root, StateProof calldata proof) private pure returns (uint64) {
        bytes32 key = BRIDGE_TOTALS_KEY;
        bytes32 node;
        if (proof.present) {
            node = _leaf(key, keccak256(proof.value));
        } else if (proof.otherKey != 0 || proof.otherValueHash != 0) {
            // Another key's leaf where the path ends: it must differ from the key and share the path.
            uint256 depth = proof.siblings.length;
            if (proof.otherKey == key || (depth > 0 && (uint256(proof.otherKey) ^ uint256(key)) >> (256 - depth) != 0)) revert InvalidTotalsProof();
            node = _leaf(proof.otherKey, proof.otherValueHash);
        }
        if (_fold(key, node, proof.siblings) != root) revert InvalidTotalsProof();
        return proof.present ? uint64(_sumFields(proof.value, 1 << 2, 0, 0)) : 0;
    }

    function _leaf(bytes32 key, bytes32 valueHash) private pure returns (bytes32) {
        return keccak256(abi.encodePacked(bytes1(0x00), key, valueHash));
    }

    /// The state tree's root above `node`, found at depth siblings.length on the key's path (compact
    /// sparse Merkle tree, docs/state-tree.md): bit d of the key (from the most significant) puts the
    /// node left (0) or right (1) at depth d + 1. Zero for a path deeper than the tree can be.
    function _fold(bytes32 key, bytes32 node, bytes32[] calldata siblings) private pure returns (bytes32) {
        uint256 depth = siblings.length;
        if (depth > 256) return 0;
        while (depth > 0) {
            depth--;
            bool right = (uint256(key) >> (255 - depth)) & 1 == 1;
            node = right
                ? keccak256(abi.encodePacked(bytes1(0x01), siblings[depth], node))
                : keccak256(abi.encodePacked(bytes1(0x01), node, siblings[depth]));
        }
        return node;
    }

    /// Sum of the varint fields of a protobuf record whose numbers are set in `fields` (bit n for
    /// field n), plus, in each embedded message of field `nested`, its fields set in `nestedFields`;
    /// other fields skipped. AccountRecord {1: balance, 2: frozen}; BridgeTotals {2: next_deposit_id};
    /// StakeRecord {1: validator_stake, 2: worker_stake, 3: Unbonding {2: amount}}.
    function _sumFields(bytes calldata record, uint256 fields, uint256 nested, uint256 nestedFields) private pure returns (uint256 total) {
        uint256 at;
        while (at < record.length) {
            uint256 tag;
            (tag, at) = _varint(record, at);
            uint256 wireType = tag & 7;
            uint256 field = tag >> 3;
            if (wireType == 0) {
                uint256 value;
                (value, at) = _varint(record, at);
                if (field < 256 && (fields >> field) & 1 == 1) total += value;
            } else if (wireType == 2) {
                uint256 length;
                (length, at) = _varint(record, at);
                if (at + length > record.length) revert MalformedRecord();
                if (nested != 0 && field == nested) total += _sumFields(record[at:at + length], nestedFields, 0, 0);
                at += length;
            } else if (wireType == 1) {
                at += 8;
            } else if (wireType == 5) {
                at += 4;
            } else {
                revert MalformedRecord();
            }
        }
        if (at != record.length) revert MalformedRecord();
    }

    function _varint(bytes calldata data, uint256 at) private pure returns (uint256 value, uint256 next) {
        for (uint256 shift = 0; shift < 64; shift += 7) {
            if (at >= data.length) revert MalformedRecord();
            uint8 b = uint8(data[at++]);
            value |= uint256(b & 0x7f) << shift;
            if (b & 0x80 == 0) {
                if (value > type(uint64).max) revert MalformedRecord();
                return (value, at);
            }
        }
        revert MalformedRecord();
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

    function latestCheckpoint() external view returns (uint64 number, bytes32 digest);
}
