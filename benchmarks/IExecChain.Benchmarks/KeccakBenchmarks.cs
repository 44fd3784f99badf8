using BenchmarkDotNet.Attributes;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.State.Merkle;

namespace IExecChain.Benchmarks;

[MemoryDiagnoser]
public class KeccakBenchmarks
{
    private readonly byte[] _input65 = new byte[65];
    private readonly byte[] _input200 = new byte[200];
    private readonly byte[] _output = new byte[32];
    private readonly ulong[] _lanes = new ulong[BatchKeccak.LaneBufferLength];
    private readonly Hash256[] _hashes = new Hash256[BatchKeccak.Ways];

    [Benchmark]
    public void Keccak_65_bytes() => Keccak256.Hash(_input65, _output);

    [Benchmark]
    public void Keccak_200_bytes() => Keccak256.Hash(_input200, _output);

    /// <summary>Eight 65-byte tree preimages in one call (the state tree's batch hasher); divide by 8 per hash.</summary>
    [Benchmark]
    public void Keccak_65_bytes_x8_batch()
    {
        for (int j = 0; j < BatchKeccak.Ways; j++) BatchKeccak.SetPreimage65(_lanes, j, 1, default, default);
        BatchKeccak.Hash(_lanes, BatchKeccak.Ways, _hashes);
    }
}
