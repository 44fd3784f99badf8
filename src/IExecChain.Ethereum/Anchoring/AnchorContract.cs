using System.Numerics;
using IExecChain.Core.Checkpoints;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Ethereum.Abi;
using IExecChain.Ethereum.JsonRpc;

namespace IExecChain.Ethereum.Anchoring;

/// <summary>
/// Calls to Contracts/Anchor.sol: call data for <c>anchor</c>, the views, and readable names for
/// its custom errors. Reads go through eth_call on the latest block.
/// </summary>
public sealed class AnchorContract(EthereumRpcClient rpc, Address address)
{
    private const string CheckpointTuple = "(uint64,uint64,uint64,uint64,bytes32,bytes32,bytes32,bytes32)";

    public static readonly AbiFunction AnchorFunction = new("anchor", [CheckpointTuple, "bytes", "uint256[]"]);
    public static readonly AbiFunction NextFunction = new("next", [], ["uint64", "uint64"]);
    public static readonly AbiFunction LatestCheckpointFunction = new("latestCheckpoint", [], ["uint64", "bytes32"]);
    public static readonly AbiFunction AnchoredDigestFunction = new("anchoredDigest", ["uint64"], ["bytes32"]);
    public static readonly AbiFunction IsAnchoredFunction = new("isAnchored", [CheckpointTuple], ["bool"]);
    public static readonly AbiFunction CheckpointDigestFunction = new("checkpointDigest", [CheckpointTuple], ["bytes32"]);
    public static readonly AbiFunction VerifyBlockHashFunction = new("verifyBlockHash", [CheckpointTuple, "uint64", "bytes32", "bytes32[]"], ["bool"]);
    public static readonly AbiFunction ValidatorSetFunction = new("validatorSet", [], ["address[]", "uint96[]"]);
    public static readonly AbiFunction ValidatorSetHashFunction = new("validatorSetHash", [], ["bytes32"]);
    public static readonly AbiFunction ChainIdFunction = new("chainId", [], ["uint64"]);

    /// <summary>The contract's custom errors, for <see cref="DescribeRevert"/>.</summary>
    public static readonly IReadOnlyList<AbiFunction> Errors =
    [
        new("WrongChainId", ["uint64", "uint64"]),
        new("AlreadyAnchored", ["uint64"]),
        new("NotContiguous", ["uint64", "uint64"]),
        new("InvalidRange", ["uint64", "uint64"]),
        new("MalformedSignatures", ["uint256"]),
        new("SignersNotSorted", ["uint256"]),
        new("UnknownSigner", ["uint256", "address"]),
        new("InsufficientPower", ["uint256", "uint256"]),
        new("ValidatorSetMismatch", ["bytes32", "bytes32"]),
        new("InvalidValidatorSet", ["uint256"]),
        new("Error", ["string"]),
    ];

    public Address Address { get; } = address;

    /// <summary>Size of one signature entry in <c>anchor</c>'s <c>signatures</c> argument.</summary>
    public const int SignatureEntrySize = 65;

    /// <summary>Constructor call data: creation bytecode followed by the ABI-encoded arguments.</summary>
    public static byte[] DeploymentData(byte[] bytecode, ulong chainId, ulong firstNumber, ulong firstHeight, IReadOnlyList<ValidatorPower> validators)
    {
        var arguments = AbiCodec.Encode(
            [AbiType.Parse("uint64"), AbiType.Parse("uint40"), AbiType.Parse("uint48"), AbiType.Parse("uint256[]")],
            [chainId, firstNumber, firstHeight, Entries(validators)]);
        return [.. bytecode, .. arguments];
    }

    /// <summary>
    /// Call data for <c>anchor</c>: <paramref name="signatures"/> must already be in ascending set
    /// order (see <see cref="QuorumSelector"/>); each becomes index ‖ r ‖ (yParity·2²⁵⁵ + s).
    /// <paramref name="nextValidatorSet"/> is sent only when the checkpoint rotates the set.
    /// </summary>
    public static byte[] AnchorCallData(Checkpoint checkpoint, IReadOnlyList<(int Index, byte[] Signature)> signatures, IReadOnlyList<ValidatorPower>? nextValidatorSet)
    {
        var packed = new byte[signatures.Count * SignatureEntrySize];
        for (int k = 0; k < signatures.Count; k++)
        {
            var (index, signature) = signatures[k];
            if (index is < 0 or > 254) throw new ArgumentOutOfRangeException(nameof(signatures), "validator index must be 0..254");
            if (signature.Length != 65 || signature[64] > 1) throw new ArgumentException("expected r ‖ s ‖ v with v in {0, 1}", nameof(signatures));
            var entry = packed.AsSpan(k * SignatureEntrySize, SignatureEntrySize);
            entry[0] = (byte)index;
            signature.AsSpan(0, 64).CopyTo(entry[1..]);
            if (signature[64] == 1) entry[33] |= 0x80;
        }
        return AnchorFunction.EncodeCall(Tuple(checkpoint), packed, nextValidatorSet is null ? new List<object>() : Entries(nextValidatorSet));
    }

    public static object[] Tuple(Checkpoint c) =>
        [c.ChainId, c.Number, c.FirstHeight, c.LastHeight, c.BlocksRoot, c.StateRoot, c.NextValidatorSetHash, c.WithdrawalsRoot];

    /// <summary>Set entries as the contract takes them: address · 2⁹⁶ + power.</summary>
    public static List<object> Entries(IReadOnlyList<ValidatorPower> validators)
    {
        ValidatorSetDigest.Validate(validators);
        var entries = new List<object>(validators.Count);
        Span<byte> word = stackalloc byte[32];
        foreach (var v in validators)
        {
            ValidatorSetDigest.WriteEntry(v, word);
            entries.Add(new BigInteger(word, isUnsigned: true, isBigEndian: true));
        }
        return entries;
    }

    /// <summary>"InsufficientPower(2, 4)" for a custom error, the message for Error(string), hex otherwise.</summary>
    public static string DescribeRevert(byte[]? data) => AbiErrors.Describe(Errors, data);

    /// <summary>True when the revert data is the given custom error.</summary>
    public static bool IsError(byte[]? data, string name) =>
        data is { Length: >= 4 } && Errors.First(e => e.Name == name).Selector.AsSpan().SequenceEqual(data.AsSpan(0, 4));

    public async Task<(ulong Number, ulong FirstHeight)> NextAsync(CancellationToken ct = default)
    {
        var r = await ReadAsync(NextFunction, [], ct);
        return ((ulong)(BigInteger)r[0], (ulong)(BigInteger)r[1]);
    }

    /// <summary>Number and digest of the last anchored checkpoint; (0, Zero) before the first.</summary>
    public async Task<(ulong Number, Hash256 Digest)> LatestCheckpointAsync(CancellationToken ct = default)
    {
        var r = await ReadAsync(LatestCheckpointFunction, [], ct);
        return ((ulong)(BigInteger)r[0], new Hash256((byte[])r[1]));
    }

    public async Task<Hash256> AnchoredDigestAsync(ulong number, CancellationToken ct = default) =>
        new((byte[])(await ReadAsync(AnchoredDigestFunction, [number], ct))[0]);

    /// <summary>keccak256 of the CheckpointAnchored event's signature: the first topic of its logs; the checkpoint number is the second.</summary>
    public static readonly Hash256 CheckpointAnchoredTopic = Keccak256.Hash(System.Text.Encoding.ASCII.GetBytes("CheckpointAnchored(uint64,uint64,uint64,bytes32,bytes32,bytes32,bytes32)"));

    /// <summary>
    /// The Ethereum transaction whose CheckpointAnchored event names checkpoint <paramref name="number"/>,
    /// searched from <paramref name="fromBlock"/> to the latest block; null when there is none there.
    /// </summary>
    public async Task<Hash256?> AnchoringTransactionAsync(ulong number, ulong fromBlock, CancellationToken ct = default)
    {
        var numberTopic = new byte[32];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(numberTopic.AsSpan(24), number);
        var logs = await rpc.RequestAsync("eth_getLogs", [new System.Text.Json.Nodes.JsonObject
        {
            ["address"] = Address.ToString(),
            ["fromBlock"] = EthereumRpcClient.Quantity(fromBlock),
            ["toBlock"] = "latest",
            ["topics"] = new System.Text.Json.Nodes.JsonArray(CheckpointAnchoredTopic.ToString(), Hex.Encode(numberTopic)),
        }], ct);
        return logs is System.Text.Json.Nodes.JsonArray { Count: > 0 } found && found[0]?["transactionHash"]?.GetValue<string>() is { } hash ? Hash256.Parse(hash) : null;
    }

    public async Task<bool> IsAnchoredAsync(Checkpoint checkpoint, CancellationToken ct = default) =>
        (bool)(await ReadAsync(IsAnchoredFunction, [Tuple(checkpoint)], ct))[0];

    public async Task<bool> VerifyBlockHashAsync(Checkpoint checkpoint, ulong height, Hash256 blockHash, IReadOnlyList<Hash256> proof, CancellationToken ct = default) =>
        (bool)(await ReadAsync(VerifyBlockHashFunction, [Tuple(checkpoint), height, blockHash, proof.Cast<object>().ToList()], ct))[0];

    public async Task<Hash256> ValidatorSetHashAsync(CancellationToken ct = default) =>
        new((byte[])(await ReadAsync(ValidatorSetHashFunction, [], ct))[0]);

    public async Task<ulong> ChainIdAsync(CancellationToken ct = default) =>
        (ulong)(BigInteger)(await ReadAsync(ChainIdFunction, [], ct))[0];

    public async Task<IReadOnlyList<ValidatorPower>> ValidatorSetAsync(CancellationToken ct = default)
    {
        var r = await ReadAsync(ValidatorSetFunction, [], ct);
        var addresses = (object[])r[0];
        var powers = (object[])r[1];
        var set = new ValidatorPower[addresses.Length];
        for (int i = 0; i < set.Length; i++)
        {
            var power = (BigInteger)powers[i];
            if (power > ulong.MaxValue) throw new AbiException($"power of validator {i} exceeds 64 bits");
            set[i] = new ValidatorPower((Address)addresses[i], (ulong)power);
        }
        return set;
    }

    private async Task<object[]> ReadAsync(AbiFunction function, object[] arguments, CancellationToken ct)
    {
        var output = await rpc.CallAsync(Address, function.EncodeCall(arguments), ct: ct);
        if (output.Length == 0) throw new AnchoringException($"{function.Name}() returned nothing: is {Address} the anchor contract?");
        return function.DecodeOutput(output);
    }

    internal static Hash256 SignerDigest(Checkpoint checkpoint) => checkpoint.Digest();

    internal static bool TryRecover(Hash256 digest, byte[] signature, out Address signer) =>
        Secp256k1.TryRecoverAddress(digest, signature, out signer);
}
