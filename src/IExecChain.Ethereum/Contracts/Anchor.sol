// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title iExecChain checkpoint anchor
/// @notice Accepts sidechain checkpoints signed by more than 2/3 of the voting power of the
/// validator set it holds, strictly in order, and rotates to the next set when a checkpoint
/// commits to it. Byte layouts of both digests are in docs/anchoring.md and must match
/// IExecChain.Core.Checkpoints.
/// @dev Gas shape: one new storage slot per checkpoint (its digest, which commits to every
/// field), one packed head slot, and the validator set kept as the code of a data contract
/// (written once per rotation, read with one EXTCODECOPY). A set entry is one word:
/// address << 96 | power (uint96), entries strictly ascending by address.
contract Anchor {
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

    /// Everything a checkpoint needs, in one slot.
    struct Head {
        address validatorSet; // data contract: 0x00 ‖ entries ‖ total power
        uint8 validatorCount;
        uint40 nextNumber;
        uint48 nextFirstHeight;
    }

    error WrongChainId(uint64 expected, uint64 actual);
    error AlreadyAnchored(uint64 number);
    error NotContiguous(uint64 expectedNumber, uint64 expectedFirstHeight);
    error InvalidRange(uint64 firstHeight, uint64 lastHeight);
    error MalformedSignatures(uint256 length);
    error SignersNotSorted(uint256 position);
    error UnknownSigner(uint256 position, address recovered);
    error InsufficientPower(uint256 signedPower, uint256 totalPower);
    error ValidatorSetMismatch(bytes32 expected, bytes32 supplied);
    error InvalidValidatorSet(uint256 position);

    event CheckpointAnchored(
        uint64 indexed number,
        uint64 firstHeight,
        uint64 lastHeight,
        bytes32 blocksRoot,
        bytes32 stateRoot,
        bytes32 nextValidatorSetHash,
        bytes32 withdrawalsRoot
    );
    event ValidatorSetRotated(uint64 indexed checkpointNumber, bytes32 indexed validatorSetHash, uint256 validators);

    uint64 public immutable chainId;
    Head private _head;
    mapping(uint256 => bytes32) private _digests;

    uint256 private constant HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;
    uint256 private constant HALF_N_MASK = 0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff;
    uint256 private constant SIGNATURE_SIZE = 65; // index(1) ‖ r(32) ‖ yParity·2^255 + s (32)

    /// @param chainId_ the sidechain's chain id (checked in every checkpoint)
    /// @param firstNumber number of the first checkpoint this contract accepts
    /// @param firstHeight first block height that checkpoint covers
    /// @param validators the set that signs that checkpoint (entries as described above)
    constructor(uint64 chainId_, uint40 firstNumber, uint48 firstHeight, uint256[] memory validators) {
        chainId = chainId_;
        (address data, uint8 count) = _storeValidatorSet(validators);
        _head = Head(data, count, firstNumber, firstHeight);
        emit ValidatorSetRotated(firstNumber, _hashSet(validators), count);
    }

    /// @notice Anchors checkpoint `cp`.
    /// @param signatures 65-byte entries: validator index in the current set, r, and s with
    /// the recovery parity in its top bit (EIP-2098); strictly ascending indices
    /// @param nextValidatorSet the set `cp.nextValidatorSetHash` commits to, when it differs from
    /// the current set; empty otherwise
    function anchor(Checkpoint calldata cp, bytes calldata signatures, uint256[] calldata nextValidatorSet) external {
        if (cp.chainId != chainId) revert WrongChainId(chainId, cp.chainId);
        Head memory head = _head;
        if (cp.number < head.nextNumber) revert AlreadyAnchored(cp.number);
        if (cp.number != head.nextNumber || cp.firstHeight != head.nextFirstHeight)
            revert NotContiguous(head.nextNumber, head.nextFirstHeight);
        if (cp.lastHeight < cp.firstHeight || cp.lastHeight >= type(uint48).max)
            revert InvalidRange(cp.firstHeight, cp.lastHeight);

        bytes32 digest = checkpointDigest(cp);
        (uint256 setPtr, bytes32 currentSetHash, uint256 total) = _loadSet(head.validatorSet, head.validatorCount);
        _checkSignatures(digest, signatures, setPtr, head.validatorCount, total);

        if (cp.nextValidatorSetHash != currentSetHash) {
            bytes32 supplied = _hashSet(nextValidatorSet);
            if (supplied != cp.nextValidatorSetHash) revert ValidatorSetMismatch(cp.nextValidatorSetHash, supplied);
            (head.validatorSet, head.validatorCount) = _storeValidatorSet(nextValidatorSet);
            emit ValidatorSetRotated(cp.number + 1, supplied, nextValidatorSet.length);
        } else if (nextValidatorSet.length != 0) {
            revert ValidatorSetMismatch(cp.nextValidatorSetHash, _hashSet(nextValidatorSet));
        }

        _digests[cp.number] = digest;
        head.nextNumber = uint40(cp.number + 1);
        head.nextFirstHeight = uint48(cp.lastHeight + 1);
        _head = head;
        _emitAnchored(cp);
    }

    /// A frame of its own: eight fields do not fit beside anchor()'s locals on the EVM stack.
    function _emitAnchored(Checkpoint calldata cp) private {
        emit CheckpointAnchored(
            cp.number, cp.firstHeight, cp.lastHeight, cp.blocksRoot, cp.stateRoot, cp.nextValidatorSetHash, cp.withdrawalsRoot
        );
    }

    /// @notice keccak256("iExecChain/checkpoint/v2" ‖ chainId ‖ number ‖ firstHeight ‖ lastHeight
    /// (each uint64 big-endian) ‖ blocksRoot ‖ stateRoot ‖ nextValidatorSetHash ‖ withdrawalsRoot):
    /// what validators sign.
    function checkpointDigest(Checkpoint calldata cp) public pure returns (bytes32) {
        return keccak256(
            abi.encodePacked(
                "iExecChain/checkpoint/v2",
                cp.chainId, cp.number, cp.firstHeight, cp.lastHeight,
                cp.blocksRoot, cp.stateRoot, cp.nextValidatorSetHash, cp.withdrawalsRoot
            )
        );
    }

    /// @notice Number of the next checkpoint to anchor and the first height it must cover.
    function next() external view returns (uint64 number, uint64 firstHeight) {
        Head memory head = _head;
        return (head.nextNumber, head.nextFirstHeight);
    }

    /// @notice The last anchored checkpoint's number and digest; (0, 0) before the first one.
    function latestCheckpoint() external view returns (uint64 number, bytes32 digest) {
        Head memory head = _head;
        digest = _digests[head.nextNumber == 0 ? 0 : head.nextNumber - 1];
        return digest == bytes32(0) ? (0, bytes32(0)) : (head.nextNumber - 1, digest);
    }

    /// @notice Digest stored for checkpoint `number`, zero if it is not anchored.
    function anchoredDigest(uint64 number) external view returns (bytes32) {
        return _digests[number];
    }

    /// @notice True when every field of `cp` is exactly what was anchored under its number.
    function isAnchored(Checkpoint calldata cp) public view returns (bool) {
        bytes32 stored = _digests[cp.number];
        return stored != bytes32(0) && stored == checkpointDigest(cp);
    }

    /// @notice True when `blockHash` is the block at `height` in anchored checkpoint `cp`.
    /// @param proof sibling path as produced by IExecChain.Core.Blocks.MerkleRoot.Prove:
    /// nodes are keccak256(0x01 ‖ left ‖ right), an odd last node is carried up unchanged
    function verifyBlockHash(Checkpoint calldata cp, uint64 height, bytes32 blockHash, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        if (!isAnchored(cp) || height < cp.firstHeight || height > cp.lastHeight) return false;
        uint256 index = height - cp.firstHeight;
        uint256 count = uint256(cp.lastHeight) - cp.firstHeight + 1;
        bytes32 current = blockHash;
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
        return used == proof.length && current == cp.blocksRoot;
    }

    /// @notice The current validator set: addresses ascending, with their voting power.
    function validatorSet() external view returns (address[] memory validators, uint96[] memory powers) {
        Head memory head = _head;
        (uint256 ptr,,) = _loadSet(head.validatorSet, head.validatorCount);
        validators = new address[](head.validatorCount);
        powers = new uint96[](head.validatorCount);
        for (uint256 i = 0; i < head.validatorCount; i++) {
            uint256 entry;
            assembly { entry := mload(add(ptr, mul(i, 32))) }
            validators[i] = address(uint160(entry >> 96));
            powers[i] = uint96(entry);
        }
    }

    /// @notice keccak256("iExecChain/validator-set/v1" ‖ entries) of the current set.
    function validatorSetHash() external view returns (bytes32 hash) {
        Head memory head = _head;
        (, hash,) = _loadSet(head.validatorSet, head.validatorCount);
    }

    /// Checks every signature against the set in memory at `setPtr`; reverts unless the signers
    /// are distinct members in ascending order holding more than 2/3 of the total power.
    /// @dev In assembly because this loop is the per-signature cost: what remains beside
    /// ecrecover (3,000) and the 65 calldata bytes (~1,040) is about 100 gas.
    function _checkSignatures(bytes32 digest, bytes calldata signatures, uint256 setPtr, uint256 count, uint256 total)
        private
        view
    {
        if (signatures.length % SIGNATURE_SIZE != 0) revert MalformedSignatures(signatures.length);
        uint256 signed;
        uint256 failure; // 0 none, 1 unsorted, 2 unknown signer
        uint256 position;
        address recovered;
        assembly {
            let input := mload(0x40) // ecrecover input: digest, v, r, s (scratch, not allocated)
            mstore(input, digest)
            let lowestNext := 0
            let end := add(signatures.offset, signatures.length)
            for { let p := signatures.offset } lt(p, end) { p := add(p, 65) } {
                let index := byte(0, calldataload(p))
                if lt(index, lowestNext) { failure := 1 break }
                lowestNext := add(index, 1)
                let vs := calldataload(add(p, 33))
                let s := and(vs, HALF_N_MASK)
                mstore(add(input, 32), add(27, shr(255, vs)))
                mstore(add(input, 64), calldataload(add(p, 1)))
                mstore(add(input, 96), s)
                mstore(0, 0)
                pop(staticcall(gas(), 1, input, 128, 0, 32))
                recovered := mload(0)
                let entry := mload(add(setPtr, shl(5, index)))
                if or(or(iszero(lt(index, count)), gt(s, HALF_N)), or(iszero(recovered), iszero(eq(recovered, shr(96, entry))))) {
                    failure := 2
                    break
                }
                signed := add(signed, and(entry, 0xffffffffffffffffffffffff))
                position := add(position, 1)
            }
        }
        if (failure == 1) revert SignersNotSorted(position);
        if (failure == 2) revert UnknownSigner(position, recovered);
        if (signed * 3 <= total * 2) revert InsufficientPower(signed, total);
    }

    /// Copies the set into fresh memory right after its domain tag; returns a pointer to the first
    /// entry and the set hash (tag and entries are contiguous, so no second copy is needed).
    function _loadSet(address data, uint256 count) private view returns (uint256 ptr, bytes32 hash, uint256 total) {
        bytes32 tag = "iExecChain/validator-set/v1"; // 27 bytes, left-aligned
        assembly {
            let base := mload(0x40)
            mstore(base, shr(40, tag)) // the tag ends exactly at base + 32
            ptr := add(base, 32)
            extcodecopy(data, ptr, 1, mul(add(count, 1), 32)) // entries, then the total power
            hash := keccak256(add(base, 5), add(27, mul(count, 32)))
            total := mload(add(ptr, mul(count, 32)))
            mstore(0x40, add(ptr, mul(add(count, 1), 32)))
        }
    }

    function _hashSet(uint256[] memory entries) private pure returns (bytes32) {
        return keccak256(abi.encodePacked("iExecChain/validator-set/v1", entries));
    }

    /// Validates a set and deploys it as the code of a data contract (0x00 ‖ entries; the leading
    /// STOP makes a call to it do nothing), followed by the total power so no checkpoint sums it.
    function _storeValidatorSet(uint256[] memory entries) private returns (address data, uint8 count) {
        uint256 n = entries.length;
        if (n == 0 || n > 255) revert InvalidValidatorSet(n);
        uint160 previous = 0;
        uint256 total = 0;
        for (uint256 i = 0; i < n; i++) {
            uint160 validator = uint160(entries[i] >> 96);
            if (validator <= previous || uint96(entries[i]) == 0) revert InvalidValidatorSet(i);
            previous = validator;
            total += uint96(entries[i]);
        }
        uint256 size = 1 + (n + 1) * 32;
        // init code: PUSH2 size, DUP1, PUSH1 12, PUSH1 0, CODECOPY, PUSH1 0, RETURN; then the runtime
        bytes memory init = abi.encodePacked(hex"61", uint16(size), hex"80600c6000396000f3", hex"00", entries, total);
        assembly { data := create(0, add(init, 32), mload(init)) }
        if (data == address(0)) revert InvalidValidatorSet(n);
        count = uint8(n);
    }
}
