using BenchmarkDotNet.Attributes;
using IExecChain.Core.Crypto;

namespace IExecChain.Benchmarks;

[MemoryDiagnoser]
public class KeccakBenchmarks
{
    private readonly byte[] _input65 = new byte[65];
    private readonly byte[] _input200 = new byte[200];
    private readonly byte[] _output = new byte[32];

    [Benchmark]
    public void Keccak_65_bytes() => Keccak256.Hash(_input65, _output);

    [Benchmark]
    public void Keccak_200_bytes() => Keccak256.Hash(_input200, _output);
}
