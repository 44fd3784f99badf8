using Google.Protobuf;
using IExecChain.State.Market;
using IExecChain.State.Market.Requirements;
using NUnit.Framework;
using Wire = IExecChain.Core.Wire;

namespace IExecChain.State.Tests.Market;

public class OrderCodecTests
{
    private static ByteString A(string name) => ByteString.CopyFrom(MarketBuild.Addr(name).ToArray());

    private static Wire.WorkerpoolOrder Pool() => new()
    {
        Workerpool = A("pool"), Price = 100, Volume = 3, Category = 1, Trust = 10, Tag = 1,
        Capabilities = { new Wire.Attribute { Name = "memory.mb", IntValue = 4096 }, new Wire.Attribute { Name = "gpu", BoolValue = true } },
        Requirements = "other.input.mb <= 100", Performance = 1000,
    };

    private static Wire.RequestOrder Request() => new()
    {
        App = A("app"), AppMaxPrice = 10, WorkerpoolMaxPrice = 100, Requester = A("requester"), Volume = 1, Category = 1,
        Requirements = "other.memory.mb >= 2048", Attributes = { new Wire.Attribute { Name = "input.mb", IntValue = 50 } },
        Weights = new Wire.RankingWeights { Cost = 3, Reliability = 1 },
    };

    [Test]
    public void Valid_orders_decode_with_parsed_requirements_and_distinct_hashes()
    {
        Assert.That(OrderCodec.TryDecode(Pool(), out var offer, out var error), Is.True, error);
        Assert.That(OrderCodec.TryDecode(Request(), out var request, out error), Is.True, error);
        Assert.That(offer!.Requirements.IsSatisfied(offer.Capabilities, request!.Attributes), Is.True);
        Assert.That(request.Requirements.IsSatisfied(request.Attributes, offer.Capabilities), Is.True);
        Assert.That(request.Beneficiary, Is.EqualTo(request.Requester), "no beneficiary: the requester");
        Assert.That(request.Weights, Is.EqualTo(new RankingWeights(3, 0, 1, 0, 0)));
        Assert.That(offer.Capabilities.TryGet("gpu", out var gpu) && gpu == AttributeValue.Of(true), Is.True);

        var other = Pool();
        other.Salt = ByteString.CopyFromUtf8("x");
        OrderCodec.TryDecode(other, out var salted, out _);
        Assert.That(salted!.Hash, Is.Not.EqualTo(offer.Hash));
        var app = new Wire.AppOrder { App = A("pool"), Price = 100, Volume = 3 };
        var dataset = new Wire.DatasetOrder { Dataset = A("pool"), Price = 100, Volume = 3 };
        Assert.That(app.ToByteArray(), Is.EqualTo(dataset.ToByteArray()));
        Assert.That(OrderCodec.HashOf(OrderCodec.Kind.App, app), Is.Not.EqualTo(OrderCodec.HashOf(OrderCodec.Kind.Dataset, dataset)));
    }

    private static IEnumerable<TestCaseData> Invalid()
    {
        yield return new TestCaseData(Mutate(Pool(), o => o.Volume = 0), "volume").SetName("Zero_volume_is_refused");
        yield return new TestCaseData(Mutate(Pool(), o => o.Workerpool = ByteString.CopyFrom(new byte[19])), "20-byte").SetName("Short_address_is_refused");
        yield return new TestCaseData(Mutate(Pool(), o => o.Workerpool = ByteString.CopyFrom(new byte[20])), "zero address").SetName("Zero_address_is_refused");
        yield return new TestCaseData(Mutate(Pool(), o => o.Requirements = "other.memory.mb >"), "position").SetName("Bad_requirements_are_refused_with_position");
        yield return new TestCaseData(Mutate(Pool(), o => o.Capabilities.Add(new Wire.Attribute { Name = "gpu", BoolValue = false })), "duplicate").SetName("Duplicate_capability_is_refused");
        yield return new TestCaseData(Mutate(Pool(), o => o.Capabilities.Add(new Wire.Attribute { Name = "empty" })), "no value").SetName("Capability_without_value_is_refused");
        yield return new TestCaseData(Mutate(Pool(), o => o.Performance = 1_000_001), "indexes").SetName("Performance_index_above_a_million_is_refused");
        yield return new TestCaseData(Mutate(Pool(), o => { for (int i = 0; i < 17; i++) o.RequesterRestrict.Add(A("r" + i)); }), "at most 16").SetName("Long_allow_list_is_refused");
        yield return new TestCaseData(Mutate(Pool(), o => o.Salt = ByteString.CopyFrom(new byte[33])), "salt").SetName("Long_salt_is_refused");
    }

    private static Wire.WorkerpoolOrder Mutate(Wire.WorkerpoolOrder o, Action<Wire.WorkerpoolOrder> change)
    {
        change(o);
        return o;
    }

    [TestCaseSource(nameof(Invalid))]
    public void Invalid_offers_are_refused_with_a_reason(Wire.WorkerpoolOrder order, string reason)
    {
        Assert.That(OrderCodec.TryDecode(order, out _, out var error), Is.False);
        Assert.That(error, Does.Contain(reason));
    }

    [Test]
    public void Invalid_requests_are_refused_with_a_reason()
    {
        var noRequester = Request();
        noRequester.Requester = ByteString.Empty;
        Assert.That(OrderCodec.TryDecode(noRequester, out _, out var e1), Is.False);
        Assert.That(e1, Does.Contain("requester"));
        var heavy = Request();
        heavy.Weights.Cost = 1_000_001;
        Assert.That(OrderCodec.TryDecode(heavy, out _, out var e2), Is.False);
        Assert.That(e2, Does.Contain("weights"));
        var longParams = Request();
        longParams.Params = new string('x', OrderCodec.MaxParamsLength + 1);
        Assert.That(OrderCodec.TryDecode(longParams, out _, out var e3), Is.False);
        Assert.That(e3, Does.Contain("params"));
        var zeroWeights = Request();
        zeroWeights.Weights = null;
        Assert.That(OrderCodec.TryDecode(zeroWeights, out var r, out _), Is.True);
        Assert.That(r!.Weights, Is.EqualTo(RankingWeights.CostOnly));
    }
}
