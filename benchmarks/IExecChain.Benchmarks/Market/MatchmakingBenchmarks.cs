using BenchmarkDotNet.Attributes;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.State.Market;
using IExecChain.State.Market.Requirements;

namespace IExecChain.Benchmarks.Market;

/// <summary>
/// One request order against a book of 10,000 resource offers of one category (the worst case: no
/// category split) from 1,000 pools with random prices, declared indexes, SLA counters, scores and
/// capabilities. 64 different requests (weights, max price) are cycled so no single lucky query is
/// measured. The book is not changed: this is the search for the best compatible offer.
/// </summary>
[MemoryDiagnoser]
public class MatchmakingBenchmarks
{
    private const int Requests = 64;
    private OrderBook _book = null!;
    private TaskOrder[] _requests = null!;
    private int _next;

    [Params(10_000)]
    public int Offers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(2024);
        var stats = new InMemoryWorkerpoolStatistics();
        var pools = new Address[1000];
        for (int i = 0; i < pools.Length; i++)
        {
            pools[i] = Addr("pool", i);
            stats.Set(pools[i], new WorkerpoolStats((ulong)random.Next(0, 5000), (ulong)random.Next(0, 200), (ulong)random.Next(0, 600)));
        }
        _book = new OrderBook(stats);
        _book.TryAdd(new AppOffer(Hash("app-order", 0), Addr("app", 0), 1_000_000, ulong.MaxValue, 0, AllowList.Anyone, AllowList.Anyone, AllowList.Anyone));
        string[] regions = ["eu", "us", "asia", "sa", "af"];
        int[] cores = [2, 4, 8, 16, 32];
        int[] memory = [2048, 4096, 8192, 16384, 65536];
        var poolRequirements = Requirement.Parse("other.input.mb <= 4096");
        for (int i = 0; i < Offers; i++)
        {
            var caps = AttributeSet.Create(
                ("cpu.cores", AttributeValue.Of(cores[random.Next(cores.Length)])),
                ("memory.mb", AttributeValue.Of(memory[random.Next(memory.Length)])),
                ("gpu", AttributeValue.Of(random.Next(4) == 0)),
                ("region", AttributeValue.Of(regions[random.Next(regions.Length)])));
            _book.TryAdd(new ResourceOffer(Hash("offer", i), pools[random.Next(pools.Length)], (ulong)random.NextInt64(1, 1_000_000_000), 100, 1, 1, 100,
                AllowList.Anyone, AllowList.Anyone, AllowList.Anyone, caps, poolRequirements, (uint)random.Next(0, 1_000_001), (uint)random.Next(0, 1_000_001)));
        }
        var requirements = Requirement.Parse("other.memory.mb >= 8192 && other.cpu.cores >= 4 && (other.region == \"eu\" || other.region == \"us\")");
        var attributes = AttributeSet.Create(("input.mb", AttributeValue.Of(512)));
        _requests = new TaskOrder[Requests];
        for (int i = 0; i < Requests; i++)
        {
            var weights = new RankingWeights((uint)random.Next(1, 10), (uint)random.Next(0, 10), (uint)random.Next(0, 10), (uint)random.Next(0, 10), (uint)random.Next(0, 10));
            _requests[i] = new TaskOrder(Hash("request", i), Addr("app", 0), 1_000_000, default, 0, default, (ulong)random.NextInt64(200_000_000, 1_000_000_000),
                Addr("requester", i), 1, 0, 1, 10, Addr("requester", i), "", requirements, attributes, weights);
        }
        int work = 0;
        Matchmaker.TryFindMatch(_book, _requests[0], 1, int.MaxValue / 2, ref work, out _);  // builds the index
    }

    [Benchmark(Description = "best match, 1 request vs 10,000 offers")]
    public long FindBestMatch()
    {
        var request = _requests[_next++ & (Requests - 1)];
        int work = 0;
        return Matchmaker.TryFindMatch(_book, request, 1, 2_000, ref work, out var match) ? match.Score : -work;
    }

    private static Address Addr(string kind, int i) => new(Keccak256.HashToArray(System.Text.Encoding.ASCII.GetBytes($"{kind}/{i}")).AsSpan(12));

    private static Hash256 Hash(string kind, int i) => Keccak256.Hash(System.Text.Encoding.ASCII.GetBytes($"{kind}/{i}"));
}
