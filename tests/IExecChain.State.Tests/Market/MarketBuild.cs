using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.State.Market;
using IExecChain.State.Market.Requirements;

namespace IExecChain.State.Tests.Market;

/// <summary>Test data for the market: orders with distinct hashes, fixed addresses; change fields with <c>with</c>.</summary>
internal static class MarketBuild
{
    private static int _counter;

    public static Address Addr(string name) => new(Keccak256.HashToArray(System.Text.Encoding.ASCII.GetBytes("market/" + name)).AsSpan(12));

    public static readonly Address App = Addr("app");
    public static readonly Address Dataset = Addr("dataset");
    public static readonly Address Pool = Addr("pool");
    public static readonly Address Requester = Addr("requester");

    public static Hash256 NewHash() => Keccak256.Hash(BitConverter.GetBytes(Interlocked.Increment(ref _counter)));

    public static AppOffer AppOrder(ulong price = 10, ulong volume = 100) =>
        new(NewHash(), App, price, volume, 0, AllowList.Anyone, AllowList.Anyone, AllowList.Anyone);

    public static DatasetOffer DatasetOrder(ulong price = 5, ulong volume = 100) =>
        new(NewHash(), Dataset, price, volume, 0, AllowList.Anyone, AllowList.Anyone, AllowList.Anyone);

    public static ResourceOffer Offer(ulong price = 100, ulong volume = 10, ulong category = 1, ulong maxTrust = 100, string requirements = "", AttributeSet? capabilities = null, Address? pool = null, uint performance = 0, uint energy = 0) =>
        new(NewHash(), pool ?? Pool, price, volume, 0, category, maxTrust, AllowList.Anyone, AllowList.Anyone, AllowList.Anyone,
            capabilities ?? AttributeSet.Empty, Requirement.Parse(requirements), performance, energy);

    public static TaskOrder Request(ulong maxPrice = 1000, ulong volume = 1, ulong category = 1, ulong trust = 0, string requirements = "", AttributeSet? attributes = null, RankingWeights? weights = null, bool withDataset = false) =>
        new(NewHash(), App, 1000, withDataset ? Dataset : default, withDataset ? 1000UL : 0, default, maxPrice, Requester, volume, 0, category, trust, Requester, "",
            Requirement.Parse(requirements), attributes ?? AttributeSet.Empty, weights ?? RankingWeights.CostOnly);

    public static AttributeSet Caps(int cores, int memoryMb, bool gpu = false, string region = "eu") =>
        AttributeSet.Create(("cpu.cores", AttributeValue.Of(cores)), ("memory.mb", AttributeValue.Of(memoryMb)), ("gpu", AttributeValue.Of(gpu)), ("region", AttributeValue.Of(region)));

    /// <summary>A book with one app order (and dataset order) ready to match.</summary>
    public static OrderBook Book(InMemoryWorkerpoolStatistics? stats = null)
    {
        var book = new OrderBook(stats ?? new InMemoryWorkerpoolStatistics());
        book.TryAdd(AppOrder());
        book.TryAdd(DatasetOrder());
        return book;
    }
}
