using IExecChain.Core.Blocks;
using IExecChain.Core.Checkpoints;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Ethereum.Anchoring;

namespace IExecChain.Ethereum.Tests.Support;

/// <summary>Fixed validator keys, sorted into sets as the contract wants them.</summary>
internal static class TestValidators
{
    public static PrivateKey Key(int i) =>
        new(Keccak256.HashToArray(System.Text.Encoding.ASCII.GetBytes($"iexecchain-test/validator/{i}")));

    /// <summary>Validators <paramref name="from"/>..from+count-1 with powers 10, 11, 12…, ascending by address.</summary>
    public static List<(PrivateKey Key, ValidatorPower Power)> Set(int count, int from = 0) =>
        Enumerable.Range(from, count)
            .Select(i => (Key: Key(i), Power: new ValidatorPower(Key(i).Address, 10 + (ulong)i)))
            .OrderBy(v => v.Power.Address)
            .ToList();

    public static IReadOnlyList<ValidatorPower> Powers(List<(PrivateKey Key, ValidatorPower Power)> set) => set.Select(v => v.Power).ToList();
}

/// <summary>
/// A fake sidechain that produces consecutive checkpoints over random block hashes, signed by
/// its validators, and serves them as a relayer's <see cref="ICheckpointSource"/>.
/// </summary>
internal sealed class TestChain(ulong chainId, List<(PrivateKey Key, ValidatorPower Power)> validators, ulong firstNumber = 1, ulong firstHeight = 1) : ICheckpointSource
{
    private readonly List<SignedCheckpoint> _checkpoints = [];
    private readonly Dictionary<ulong, List<Hash256>> _blocks = [];
    private readonly Random _random = new(42);
    private ulong _nextHeight = firstHeight;

    public ulong ChainId { get; } = chainId;
    public List<(PrivateKey Key, ValidatorPower Power)> Validators { get; private set; } = validators;
    public IReadOnlyList<SignedCheckpoint> Checkpoints => _checkpoints;
    public IReadOnlyList<Hash256> BlocksOf(ulong number) => _blocks[number];

    /// <summary>
    /// Adds a checkpoint over <paramref name="blocks"/> blocks, signed by every validator, moving to <paramref name="nextSet"/>
    /// after it if given; its withdrawals and state roots are the given ones, or random.
    /// </summary>
    public SignedCheckpoint Add(int blocks = 5, List<(PrivateKey Key, ValidatorPower Power)>? nextSet = null, Hash256? withdrawalsRoot = null, Hash256? stateRoot = null)
    {
        ulong number = firstNumber + (ulong)_checkpoints.Count;
        var hashes = Enumerable.Range(0, blocks).Select(_ => RandomHash()).ToList();
        var next = nextSet ?? Validators;
        var checkpoint = new Checkpoint(ChainId, number, _nextHeight, _nextHeight + (ulong)blocks - 1,
            MerkleRoot.Compute(hashes), stateRoot ?? RandomHash(), ValidatorSetDigest.Compute(TestValidators.Powers(next)), withdrawalsRoot ?? RandomHash());
        var signed = new SignedCheckpoint(checkpoint, Sign(checkpoint, Validators), TestValidators.Powers(next));
        _checkpoints.Add(signed);
        _blocks[number] = hashes;
        _nextHeight += (ulong)blocks;
        Validators = next;
        return signed;
    }

    public static List<CheckpointSignature> Sign(Checkpoint checkpoint, IEnumerable<(PrivateKey Key, ValidatorPower Power)> signers) =>
        signers.Select(v => new CheckpointSignature(v.Key.Address, v.Key.Sign(checkpoint.Digest()))).ToList();

    public Hash256 RandomHash()
    {
        var bytes = new byte[32];
        _random.NextBytes(bytes);
        return new Hash256(bytes);
    }

    public Task<ulong?> GetLatestCheckpointNumberAsync(CancellationToken ct) =>
        Task.FromResult(_checkpoints.Count == 0 ? null : (ulong?)_checkpoints[^1].Checkpoint.Number);

    public Task<SignedCheckpoint?> GetCheckpointAsync(ulong number, CancellationToken ct) =>
        Task.FromResult(_checkpoints.FirstOrDefault(c => c.Checkpoint.Number == number));
}
