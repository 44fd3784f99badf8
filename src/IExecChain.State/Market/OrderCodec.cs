using Google.Protobuf;
using Google.Protobuf.Collections;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.State.Market.Requirements;
using Wire = IExecChain.Core.Wire;

namespace IExecChain.State.Market;

/// <summary>
/// Validates wire orders and turns them into the market's records, parsing requirements once.
/// Order hash = keccak256(kind byte ‖ the order's protobuf bytes): the kind byte keeps an app order
/// and a dataset order with equal bytes apart. Callers pass canonical bytes (transactions are
/// already checked for canonical encoding).
/// </summary>
public static class OrderCodec
{
    public const int MaxParamsLength = 4096;
    public const int MaxSaltLength = 32;

    public enum Kind : byte
    {
        App = 1,
        Dataset = 2,
        Workerpool = 3,
        Request = 4,
    }

    /// <summary>The hash of the order a PlaceOrder transaction carries.</summary>
    public static Hash256 HashOf(Wire.PlaceOrder place) => place.OrderCase switch
    {
        Wire.PlaceOrder.OrderOneofCase.App => HashOf(Kind.App, place.App),
        Wire.PlaceOrder.OrderOneofCase.Dataset => HashOf(Kind.Dataset, place.Dataset),
        Wire.PlaceOrder.OrderOneofCase.Workerpool => HashOf(Kind.Workerpool, place.Workerpool),
        _ => HashOf(Kind.Request, place.Request),
    };

    /// <summary>An order's hash from its stored record: keccak256(kind ‖ wire order), as for the order itself.</summary>
    public static Hash256 HashOf(Wire.OrderRecord record)
    {
        var bytes = new byte[1 + record.Order.Length];
        bytes[0] = (byte)record.Kind;
        record.Order.Span.CopyTo(bytes.AsSpan(1));
        return Keccak256.Hash(bytes);
    }

    public static Hash256 HashOf(Kind kind, IMessage order)
    {
        var bytes = new byte[1 + order.CalculateSize()];
        bytes[0] = (byte)kind;
        order.WriteTo(bytes.AsSpan(1));
        return Keccak256.Hash(bytes);
    }

    public static bool TryDecode(Wire.AppOrder wire, out AppOffer? offer, out string? error)
    {
        offer = null;
        if (!Common(wire.App, "app", wire.Volume, wire.Salt, out var app, out error)) return false;
        if (!List(wire.DatasetRestrict, "dataset_restrict", out var ds, ref error) || !List(wire.WorkerpoolRestrict, "workerpool_restrict", out var wp, ref error) || !List(wire.RequesterRestrict, "requester_restrict", out var rq, ref error)) return false;
        offer = new AppOffer(HashOf(Kind.App, wire), app, wire.Price, wire.Volume, wire.Tag, ds, wp, rq);
        return true;
    }

    public static bool TryDecode(Wire.DatasetOrder wire, out DatasetOffer? offer, out string? error)
    {
        offer = null;
        if (!Common(wire.Dataset, "dataset", wire.Volume, wire.Salt, out var dataset, out error)) return false;
        if (!List(wire.AppRestrict, "app_restrict", out var ap, ref error) || !List(wire.WorkerpoolRestrict, "workerpool_restrict", out var wp, ref error) || !List(wire.RequesterRestrict, "requester_restrict", out var rq, ref error)) return false;
        offer = new DatasetOffer(HashOf(Kind.Dataset, wire), dataset, wire.Price, wire.Volume, wire.Tag, ap, wp, rq);
        return true;
    }

    public static bool TryDecode(Wire.WorkerpoolOrder wire, out ResourceOffer? offer, out string? error)
    {
        offer = null;
        if (!Common(wire.Workerpool, "workerpool", wire.Volume, wire.Salt, out var pool, out error)) return false;
        if (!List(wire.AppRestrict, "app_restrict", out var ap, ref error) || !List(wire.DatasetRestrict, "dataset_restrict", out var ds, ref error) || !List(wire.RequesterRestrict, "requester_restrict", out var rq, ref error)) return false;
        if (wire.Performance > RankingWeights.Max || wire.EnergyEfficiency > RankingWeights.Max) { error = $"performance and energy_efficiency are indexes of at most {RankingWeights.Max}"; return false; }
        if (!Attributes(wire.Capabilities, "capabilities", out var capabilities, ref error)) return false;
        if (!Requirements(wire.Requirements, out var requirements, ref error)) return false;
        offer = new ResourceOffer(HashOf(Kind.Workerpool, wire), pool, wire.Price, wire.Volume, wire.Tag, wire.Category, wire.Trust, ap, ds, rq, capabilities, requirements, wire.Performance, wire.EnergyEfficiency);
        return true;
    }

    public static bool TryDecode(Wire.RequestOrder wire, out TaskOrder? order, out string? error)
    {
        order = null;
        if (!Common(wire.App, "app", wire.Volume, wire.Salt, out var app, out error)) return false;
        if (!OptionalAddress(wire.Dataset, "dataset", out var dataset, ref error) || !OptionalAddress(wire.Workerpool, "workerpool", out var workerpool, ref error)) return false;
        if (!Address(wire.Requester, "requester", out var requester, ref error)) return false;
        if (!OptionalAddress(wire.Beneficiary, "beneficiary", out var beneficiary, ref error)) return false;
        if (beneficiary.IsZero) beneficiary = requester;
        if (wire.Params.Length > MaxParamsLength) { error = $"params longer than {MaxParamsLength} characters"; return false; }
        var w = wire.Weights ?? new Wire.RankingWeights();
        if (w.Cost > RankingWeights.Max || w.Performance > RankingWeights.Max || w.Reliability > RankingWeights.Max || w.Trust > RankingWeights.Max || w.Energy > RankingWeights.Max)
        {
            error = $"ranking weights are at most {RankingWeights.Max}";
            return false;
        }
        var weights = new RankingWeights(w.Cost, w.Performance, w.Reliability, w.Trust, w.Energy);
        if (weights.IsZero) weights = RankingWeights.CostOnly;
        if (!Attributes(wire.Attributes, "attributes", out var attributes, ref error)) return false;
        if (!Requirements(wire.Requirements, out var requirements, ref error)) return false;
        order = new TaskOrder(HashOf(Kind.Request, wire), app, wire.AppMaxPrice, dataset, wire.DatasetMaxPrice, workerpool, wire.WorkerpoolMaxPrice,
            requester, wire.Volume, wire.Tag, wire.Category, wire.Trust, beneficiary, wire.Params, requirements, attributes, weights);
        return true;
    }

    private static bool Common(ByteString resource, string field, ulong volume, ByteString salt, out Address address, out string? error)
    {
        error = null;
        address = default;
        if (!Address(resource, field, out address, ref error)) return false;
        if (address.IsZero) { error = $"{field} is the zero address"; return false; }
        if (volume == 0) { error = "volume must be at least 1"; return false; }
        if (salt.Length > MaxSaltLength) { error = $"salt longer than {MaxSaltLength} bytes"; return false; }
        return true;
    }

    private static bool Address(ByteString bytes, string field, out Address address, ref string? error)
    {
        address = default;
        if (bytes.Length != Core.Primitives.Address.Size) { error = $"{field} must be a 20-byte address, got {bytes.Length} bytes"; return false; }
        address = new Address(bytes.Span);
        return true;
    }

    private static bool OptionalAddress(ByteString bytes, string field, out Address address, ref string? error)
    {
        address = default;
        return bytes.IsEmpty || Address(bytes, field, out address, ref error);
    }

    private static bool List(RepeatedField<ByteString> wire, string field, out AllowList list, ref string? error)
    {
        list = AllowList.Anyone;
        if (wire.Count == 0) return true;
        if (wire.Count > AllowList.MaxEntries) { error = $"{field} lists at most {AllowList.MaxEntries} addresses"; return false; }
        var entries = new Address[wire.Count];
        for (int i = 0; i < entries.Length; i++)
        {
            if (!Address(wire[i], field, out entries[i], ref error)) return false;
        }
        list = new AllowList(entries);
        return true;
    }

    private static bool Attributes(RepeatedField<Wire.Attribute> wire, string field, out AttributeSet set, ref string? error)
    {
        set = AttributeSet.Empty;
        if (wire.Count == 0) return true;
        var items = new (string, AttributeValue)[wire.Count];
        for (int i = 0; i < items.Length; i++)
        {
            var a = wire[i];
            AttributeValue value = a.ValueCase switch
            {
                Wire.Attribute.ValueOneofCase.IntValue => AttributeValue.Of(a.IntValue),
                Wire.Attribute.ValueOneofCase.BoolValue => AttributeValue.Of(a.BoolValue),
                Wire.Attribute.ValueOneofCase.StringValue => AttributeValue.Of(a.StringValue),
                _ => default,
            };
            items[i] = (a.Name, value);
        }
        if (!AttributeSet.TryCreate(items, out set, out var inner)) { error = $"{field}: {inner}"; return false; }
        return true;
    }

    private static bool Requirements(string text, out Requirement requirement, ref string? error)
    {
        if (Requirement.TryParse(text, out requirement, out var parseError)) return true;
        error = parseError!.ToString();
        return false;
    }
}
