using System.Numerics;

namespace IExecChain.Ethereum.Rlp;

/// <summary>An RLP value: a byte string or a list of items.</summary>
public sealed class RlpItem
{
    private readonly ReadOnlyMemory<byte> _bytes;
    private readonly IReadOnlyList<RlpItem>? _items;
    private int _payloadLength = -1;

    private RlpItem(ReadOnlyMemory<byte> bytes, IReadOnlyList<RlpItem>? items)
    {
        _bytes = bytes;
        _items = items;
    }

    public static RlpItem Of(ReadOnlyMemory<byte> bytes) => new(bytes, null);
    public static RlpItem Of(ulong value) => new(Rlp.IntegerBytes(value), null);
    public static RlpItem Of(BigInteger value) => new(Rlp.IntegerBytes(value), null);
    public static RlpItem List(IReadOnlyList<RlpItem> items) => new(default, items);
    public static RlpItem List(params RlpItem[] items) => new(default, items);

    public bool IsList => _items is not null;

    public ReadOnlyMemory<byte> Bytes => _items is null ? _bytes : throw new RlpException("expected an RLP string, found a list");

    public IReadOnlyList<RlpItem> Items => _items ?? throw new RlpException("expected an RLP list, found a string");

    /// <summary>The string as an unsigned integer; rejects leading zeros (non-canonical).</summary>
    public BigInteger AsInteger()
    {
        var bytes = Bytes.Span;
        if (bytes.Length > 0 && bytes[0] == 0) throw new RlpException("RLP integer has leading zeros");
        return new BigInteger(bytes, isUnsigned: true, isBigEndian: true);
    }

    public ulong AsUInt64()
    {
        var value = AsInteger();
        return value <= ulong.MaxValue ? (ulong)value : throw new RlpException("RLP integer does not fit in 64 bits");
    }

    internal int PayloadLength
    {
        get
        {
            if (_payloadLength >= 0) return _payloadLength;
            int length = 0;
            if (_items is null) length = _bytes.Length;
            else foreach (var item in _items) length += item.EncodedLength;
            return _payloadLength = length;
        }
    }

    internal int EncodedLength
    {
        get
        {
            int payload = PayloadLength;
            bool single = _items is null && _bytes.Length == 1 && _bytes.Span[0] < 0x80;
            return Rlp.HeaderLength(payload, single) + payload;
        }
    }
}
