using System.Buffers.Binary;
using System.Numerics;
using System.Text.Json.Nodes;
using IExecChain.Core.Bridge;
using IExecChain.Core.Checkpoints;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Ethereum.Abi;
using IExecChain.Ethereum.Anchoring;
using IExecChain.Ethereum.JsonRpc;

namespace IExecChain.Ethereum.Bridge;

/// <summary>A Deposit event of the bridge contract, with where it was logged.</summary>
public sealed record BridgeDepositEvent(ulong Id, Address Depositor, Address Recipient, ulong Amount, Hash256 TransactionHash, ulong BlockNumber, Hash256 BlockHash);

/// <summary>
/// Calls to Contracts/Bridge.sol and Contracts/TestRlc.sol (an ERC-20 with RLC's shape): call data,
/// views, Deposit logs, and readable names for the bridge's errors.
/// </summary>
public sealed class BridgeContract(EthereumRpcClient rpc, Address address)
{
    private const string CheckpointTuple = "(uint64,uint64,uint64,uint64,bytes32,bytes32,bytes32,bytes32)";

    public static readonly AbiFunction DepositFunction = new("deposit", ["uint256", "address"], ["uint64"]);
    public static readonly AbiFunction ClaimFunction = new("claim", [CheckpointTuple, "uint64", "address", "uint64", "uint256", "uint256", "bytes32[]"]);
    public static readonly AbiFunction IsClaimedFunction = new("isClaimed", ["uint64"], ["bool"]);
    public static readonly AbiFunction DepositCountFunction = new("depositCount", [], ["uint64"]);
    public static readonly AbiFunction LockedFunction = new("locked", [], ["uint256"]);
    public static readonly AbiFunction TokenFunction = new("token", [], ["address"]);
    public static readonly AbiFunction AnchorFunction = new("anchor", [], ["address"]);
    public static readonly AbiFunction SidechainIdFunction = new("sidechainId", [], ["uint64"]);
    public static readonly AbiFunction FreezeAfterBlocksFunction = new("freezeAfterBlocks", [], ["uint64"]);
    public static readonly AbiFunction CheckFreezeFunction = new("checkFreeze", [], ["bool"]);
    public static readonly AbiFunction FrozenAtFunction = new("frozenAt", [], ["uint64"]);
    public static readonly AbiFunction ObservedCheckpointFunction = new("observedCheckpoint", [], ["uint64"]);
    public static readonly AbiFunction ObservedAtBlockFunction = new("observedAtBlock", [], ["uint64"]);
    public static readonly AbiFunction ExitedFunction = new("exited", ["address"], ["bool"]);
    public static readonly AbiFunction ExitFunction = new("exit", [CheckpointTuple, "address", "bytes", "bytes32[]"]);
    public static readonly AbiFunction ExitStakeFunction = new("exitStake", [CheckpointTuple, "address", "bytes", "bytes32[]"]);
    public static readonly AbiFunction StakeExitedFunction = new("stakeExited", ["address"], ["bool"]);
    /// <summary>refund(checkpoint, id, depositor, recipient, amount, (present, value, otherKey, otherValueHash, siblings)).</summary>
    public static readonly AbiFunction RefundFunction = new("refund", [CheckpointTuple, "uint64", "address", "address", "uint64", "(bool,bytes,bytes32,bytes32,bytes32[])"]);
    public static readonly AbiFunction DepositHashesFunction = new("depositHashes", ["uint64"], ["bytes32"]);

    // ERC-20 (TestRlc and the real RLC token)
    public static readonly AbiFunction ApproveFunction = new("approve", ["address", "uint256"], ["bool"]);
    public static readonly AbiFunction ApproveAndCallFunction = new("approveAndCall", ["address", "uint256", "bytes"], ["bool"]);
    public static readonly AbiFunction TransferFunction = new("transfer", ["address", "uint256"], ["bool"]);
    public static readonly AbiFunction BalanceOfFunction = new("balanceOf", ["address"], ["uint256"]);
    public static readonly AbiFunction MintFunction = new("mint", ["address", "uint256"]);

    /// <summary>keccak256("Deposit(uint64,address,address,uint64)"): topics are id, depositor, recipient; data the amount.</summary>
    public static readonly Hash256 DepositTopic = Keccak256.Hash(System.Text.Encoding.ASCII.GetBytes("Deposit(uint64,address,address,uint64)"));

    /// <summary>keccak256("WithdrawalClaimed(uint64,address,uint64,uint64)"): topics id, recipient; data amount, checkpoint.</summary>
    public static readonly Hash256 WithdrawalClaimedTopic = Keccak256.Hash(System.Text.Encoding.ASCII.GetBytes("WithdrawalClaimed(uint64,address,uint64,uint64)"));

    /// <summary>keccak256("Exited(address,uint64,uint64)"): topic account; data amount, checkpoint.</summary>
    public static readonly Hash256 ExitedTopic = Keccak256.Hash(System.Text.Encoding.ASCII.GetBytes("Exited(address,uint64,uint64)"));

    /// <summary>keccak256("StakeExited(address,uint64,uint64)"): topic account; data amount, checkpoint.</summary>
    public static readonly Hash256 StakeExitedTopic = Keccak256.Hash(System.Text.Encoding.ASCII.GetBytes("StakeExited(address,uint64,uint64)"));

    /// <summary>depositHashes(id) once the deposit was refunded.</summary>
    public static readonly Hash256 Refunded = new([.. new byte[31], 1]);

    public static readonly IReadOnlyList<AbiFunction> Errors =
    [
        new("ZeroAmount", []),
        new("ZeroRecipient", []),
        new("AmountTooLarge", ["uint256"]),
        new("NotToken", ["address"]),
        new("MalformedRecipient", ["uint256"]),
        new("TokenTransferFailed", []),
        new("WrongChain", ["uint64", "uint64"]),
        new("CheckpointNotAnchored", ["uint64"]),
        new("AlreadyClaimed", ["uint64"]),
        new("InvalidProof", ["uint64"]),
        new("BridgeFrozen", ["uint64"]),
        new("NotFrozen", []),
        new("WrongCheckpoint", ["uint64", "uint64"]),
        new("AlreadyExited", ["address"]),
        new("InvalidStateProof", ["address"]),
        new("MalformedRecord", []),
        new("InsufficientLocked", ["uint256", "uint64"]),
        new("UnknownDeposit", ["uint64"]),
        new("AlreadyRefunded", ["uint64"]),
        new("DepositCredited", ["uint64", "uint64"]),
        new("InvalidTotalsProof", []),
        // the token's, surfacing through deposit
        new("InsufficientBalance", ["address", "uint256", "uint256"]),
        new("InsufficientAllowance", ["address", "uint256", "uint256"]),
        new("Error", ["string"]),
    ];

    public Address Address { get; } = address;

    /// <summary>A week of 12-second Ethereum blocks: how long anchoring may stall before the bridge can be frozen, by default.</summary>
    public const ulong DefaultFreezeAfterBlocks = 50_400;

    public static byte[] DeploymentData(byte[] bytecode, Address token, Address anchor, ulong sidechainId, ulong freezeAfterBlocks) =>
        [.. bytecode, .. AbiCodec.Encode([AbiType.Parse("address"), AbiType.Parse("address"), AbiType.Parse("uint64"), AbiType.Parse("uint64")],
            [token, anchor, sidechainId, freezeAfterBlocks])];

    /// <summary>Call data paying <paramref name="account"/> its balance in checkpoint <paramref name="checkpoint"/>'s state (the frozen one).</summary>
    public static byte[] ExitCallData(Checkpoint checkpoint, Address account, byte[] accountRecord, IReadOnlyList<Hash256> siblings) =>
        ExitFunction.EncodeCall(AnchorContract.Tuple(checkpoint), account, accountRecord, siblings.Cast<object>().ToList());

    /// <summary>Call data paying <paramref name="account"/> its stakes (StakeRecord) in checkpoint <paramref name="checkpoint"/>'s state (the frozen one).</summary>
    public static byte[] ExitStakeCallData(Checkpoint checkpoint, Address account, byte[] stakeRecord, IReadOnlyList<Hash256> siblings) =>
        ExitStakeFunction.EncodeCall(AnchorContract.Tuple(checkpoint), account, stakeRecord, siblings.Cast<object>().ToList());

    /// <summary>
    /// Call data returning <paramref name="deposit"/> to its depositor from the frozen bridge: the
    /// proof is of the state's BridgeTotals record under <paramref name="checkpoint"/>'s state root:
    /// its value, or (null) its absence, the path ending in an empty slot or in another key's leaf.
    /// </summary>
    public static byte[] RefundCallData(Checkpoint checkpoint, BridgeDepositEvent deposit, byte[]? totals, Hash256? otherKey, Hash256? otherValueHash, IReadOnlyList<Hash256> siblings) =>
        RefundFunction.EncodeCall(AnchorContract.Tuple(checkpoint), deposit.Id, deposit.Depositor, deposit.Recipient, deposit.Amount,
            new object[] { totals is not null, totals ?? [], otherKey ?? Hash256.Zero, otherValueHash ?? Hash256.Zero, siblings.Cast<object>().ToList() });

    /// <summary>What the bridge records of a deposit: keccak256(depositor ‖ recipient ‖ amount as 8 bytes).</summary>
    public static Hash256 DepositHash(Address depositor, Address recipient, ulong amount)
    {
        var packed = new byte[48];
        depositor.ToArray().CopyTo(packed, 0);
        recipient.ToArray().CopyTo(packed, 20);
        BinaryPrimitives.WriteUInt64BigEndian(packed.AsSpan(40), amount);
        return Keccak256.Hash(packed);
    }

    public static byte[] CheckFreezeCallData() => CheckFreezeFunction.EncodeCall();

    public static byte[] DepositCallData(ulong amount, Address recipient) => DepositFunction.EncodeCall(new BigInteger(amount), recipient);

    /// <summary>token.approveAndCall(bridge, amount, recipient): a deposit in one transaction.</summary>
    public static byte[] ApproveAndCallData(Address bridge, ulong amount, Address recipient) =>
        ApproveAndCallFunction.EncodeCall(bridge, new BigInteger(amount), recipient.ToArray());

    public static byte[] ApproveCallData(Address spender, ulong amount) => ApproveFunction.EncodeCall(spender, new BigInteger(amount));

    public static byte[] MintCallData(Address to, ulong amount) => MintFunction.EncodeCall(to, new BigInteger(amount));

    /// <summary>Call data releasing <paramref name="withdrawal"/>, the <paramref name="index"/>-th of <paramref name="count"/> in checkpoint <paramref name="checkpoint"/>'s period.</summary>
    public static byte[] ClaimCallData(Checkpoint checkpoint, Withdrawal withdrawal, ulong index, ulong count, IReadOnlyList<Hash256> proof) =>
        ClaimFunction.EncodeCall(AnchorContract.Tuple(checkpoint), withdrawal.Id, withdrawal.Recipient, withdrawal.Amount,
            new BigInteger(index), new BigInteger(count), proof.Cast<object>().ToList());

    /// <summary>"InvalidProof(3)" for a custom error, the message for Error(string), hex otherwise.</summary>
    public static string DescribeRevert(byte[]? data) => AbiErrors.Describe(Errors, data);

    public async Task<ulong> DepositCountAsync(CancellationToken ct = default) => (ulong)(BigInteger)(await ReadAsync(DepositCountFunction, [], ct))[0];

    /// <summary>Deposits made up to and including Ethereum block <paramref name="block"/>.</summary>
    public async Task<ulong> DepositCountAtAsync(ulong block, CancellationToken ct = default)
    {
        var output = await rpc.CallAsync(Address, DepositCountFunction.EncodeCall(), block: EthereumRpcClient.Quantity(block), ct: ct);
        if (output.Length == 0) throw new AnchoringException($"depositCount() returned nothing at block {block}: is {Address} the bridge contract?");
        return (ulong)(BigInteger)DepositCountFunction.DecodeOutput(output)[0];
    }

    public async Task<BigInteger> LockedAsync(CancellationToken ct = default) => (BigInteger)(await ReadAsync(LockedFunction, [], ct))[0];

    public async Task<bool> IsClaimedAsync(ulong id, CancellationToken ct = default) => (bool)(await ReadAsync(IsClaimedFunction, [id], ct))[0];

    public async Task<Address> TokenAsync(CancellationToken ct = default) => (Address)(await ReadAsync(TokenFunction, [], ct))[0];

    public async Task<Address> AnchorAsync(CancellationToken ct = default) => (Address)(await ReadAsync(AnchorFunction, [], ct))[0];

    public async Task<ulong> SidechainIdAsync(CancellationToken ct = default) => (ulong)(BigInteger)(await ReadAsync(SidechainIdFunction, [], ct))[0];

    /// <summary>Zero while the bridge is live; the checkpoint exits are paid from once frozen.</summary>
    public async Task<ulong> FrozenAtAsync(CancellationToken ct = default) => (ulong)(BigInteger)(await ReadAsync(FrozenAtFunction, [], ct))[0];

    public async Task<ulong> FreezeAfterBlocksAsync(CancellationToken ct = default) => (ulong)(BigInteger)(await ReadAsync(FreezeAfterBlocksFunction, [], ct))[0];

    /// <summary>The newest anchored checkpoint checkFreeze saw, and the block it first saw it in.</summary>
    public async Task<(ulong Checkpoint, ulong AtBlock)> ObservedAsync(CancellationToken ct = default) =>
        ((ulong)(BigInteger)(await ReadAsync(ObservedCheckpointFunction, [], ct))[0], (ulong)(BigInteger)(await ReadAsync(ObservedAtBlockFunction, [], ct))[0]);

    /// <summary>The hash the bridge holds for deposit <paramref name="id"/>: zero for none, <see cref="Refunded"/> once refunded.</summary>
    public async Task<Hash256> DepositHashAsync(ulong id, CancellationToken ct = default) => new((byte[])(await ReadAsync(DepositHashesFunction, [id], ct))[0]);

    public async Task<bool> ExitedAsync(Address account, CancellationToken ct = default) => (bool)(await ReadAsync(ExitedFunction, [account], ct))[0];

    public async Task<bool> StakeExitedAsync(Address account, CancellationToken ct = default) => (bool)(await ReadAsync(StakeExitedFunction, [account], ct))[0];

    /// <summary>ERC-20 balance of <paramref name="owner"/> in the token at <paramref name="token"/>.</summary>
    public static async Task<BigInteger> BalanceOfAsync(EthereumRpcClient rpc, Address token, Address owner, CancellationToken ct = default)
    {
        var output = await rpc.CallAsync(token, BalanceOfFunction.EncodeCall(owner), ct: ct);
        if (output.Length == 0) throw new AnchoringException($"balanceOf() returned nothing: is {token} an ERC-20 token?");
        return (BigInteger)BalanceOfFunction.DecodeOutput(output)[0];
    }

    /// <summary>Deposit events logged in blocks <paramref name="fromBlock"/>..<paramref name="toBlock"/>, in log order.</summary>
    public async Task<List<BridgeDepositEvent>> DepositsAsync(ulong fromBlock, ulong toBlock, CancellationToken ct = default) =>
        (await LogsAsync(DepositTopic, fromBlock, toBlock, ct)).Select(ParseDeposit).ToList();

    /// <summary>The id of the deposit <paramref name="receipt"/> logged at the bridge <paramref name="bridge"/>, or null when it logged none.</summary>
    public static ulong? DepositIdOf(TransactionReceipt receipt, Address bridge) =>
        receipt.Logs.Where(l => l.Address == bridge && l.Topics.Count == 4 && l.Topics[0] == DepositTopic)
            .Select(l => (ulong?)(ulong)new BigInteger(l.Topics[1].ToArray(), isUnsigned: true, isBigEndian: true)).FirstOrDefault();

    /// <summary>WithdrawalClaimed events (id, amount) logged in blocks <paramref name="fromBlock"/>..<paramref name="toBlock"/>.</summary>
    public async Task<List<(ulong Id, ulong Amount)>> ClaimsAsync(ulong fromBlock, ulong toBlock, CancellationToken ct = default) =>
        (await LogsAsync(WithdrawalClaimedTopic, fromBlock, toBlock, ct)).Select(log =>
        {
            var topics = log["topics"] as JsonArray;
            var data = Hex.Decode(log["data"]?.GetValue<string>() ?? "0x");
            if (topics is not { Count: 3 } || data.Length != 64) throw new EthereumRpcException("eth_getLogs", 0, $"not a WithdrawalClaimed log: {log.ToJsonString()}");
            return (Word64(Hex.Decode(topics[1]!.GetValue<string>())), Word64(data[..32]));
        }).ToList();

    /// <summary>The amounts of the Exited events logged in blocks <paramref name="fromBlock"/>..<paramref name="toBlock"/>.</summary>
    public async Task<List<ulong>> ExitsAsync(ulong fromBlock, ulong toBlock, CancellationToken ct = default) =>
        (await LogsAsync(ExitedTopic, fromBlock, toBlock, ct)).Select(log =>
        {
            var data = Hex.Decode(log["data"]?.GetValue<string>() ?? "0x");
            if (data.Length != 64) throw new EthereumRpcException("eth_getLogs", 0, $"not an Exited log: {log.ToJsonString()}");
            return Word64(data[..32]);
        }).ToList();

    private async Task<List<JsonNode>> LogsAsync(Hash256 topic, ulong fromBlock, ulong toBlock, CancellationToken ct)
    {
        var logs = await rpc.RequestAsync("eth_getLogs", [new JsonObject
        {
            ["address"] = Address.ToString(),
            ["fromBlock"] = EthereumRpcClient.Quantity(fromBlock),
            ["toBlock"] = EthereumRpcClient.Quantity(toBlock),
            ["topics"] = new JsonArray(topic.ToString()),
        }], ct);
        if (logs is not JsonArray array) throw new EthereumRpcException("eth_getLogs", 0, $"returned {logs?.ToJsonString() ?? "null"}, expected an array");
        return array.Where(log => log is not null && log["removed"]?.GetValue<bool>() != true).Select(log => log!).ToList();
    }

    /// <summary>One Deposit log as eth_getLogs returns it; throws when it is not one.</summary>
    public static BridgeDepositEvent ParseDeposit(JsonNode log)
    {
        var topics = log["topics"] as JsonArray ?? throw new EthereumRpcException("eth_getLogs", 0, "a log without topics");
        if (topics.Count != 4 || Hash256.Parse(topics[0]!.GetValue<string>()) != DepositTopic)
            throw new EthereumRpcException("eth_getLogs", 0, $"not a Deposit log: {log.ToJsonString()}");
        var data = Hex.Decode(log["data"]!.GetValue<string>());
        if (data.Length != 32) throw new EthereumRpcException("eth_getLogs", 0, $"a Deposit log carries 32 bytes of data, got {data.Length}");
        return new BridgeDepositEvent(
            Word64(Hex.Decode(topics[1]!.GetValue<string>())),
            WordAddress(Hex.Decode(topics[2]!.GetValue<string>())),
            WordAddress(Hex.Decode(topics[3]!.GetValue<string>())),
            Word64(data),
            Hash256.Parse(log["transactionHash"]!.GetValue<string>()),
            EthereumRpcClient.ToUInt64(log["blockNumber"]),
            Hash256.Parse(log["blockHash"]!.GetValue<string>()));
    }

    private static ulong Word64(byte[] word)
    {
        if (word.Length != 32 || word.AsSpan(0, 24).IndexOfAnyExcept((byte)0) >= 0) throw new EthereumRpcException("eth_getLogs", 0, "a 64-bit log word has high bits set");
        return BinaryPrimitives.ReadUInt64BigEndian(word.AsSpan(24));
    }

    private static Address WordAddress(byte[] word)
    {
        if (word.Length != 32 || word.AsSpan(0, 12).IndexOfAnyExcept((byte)0) >= 0) throw new EthereumRpcException("eth_getLogs", 0, "an address log word has high bits set");
        return new Address(word.AsSpan(12));
    }

    private async Task<object[]> ReadAsync(AbiFunction function, object[] arguments, CancellationToken ct)
    {
        var output = await rpc.CallAsync(Address, function.EncodeCall(arguments), ct: ct);
        if (output.Length == 0) throw new AnchoringException($"{function.Name}() returned nothing: is {Address} the bridge contract?");
        return function.DecodeOutput(output);
    }
}
