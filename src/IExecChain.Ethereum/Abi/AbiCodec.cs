using System.Numerics;
using System.Text;
using IExecChain.Core.Primitives;

namespace IExecChain.Ethereum.Abi;

/// <summary>
/// Solidity ABI encoding of a list of values as a tuple (head with static values and offsets,
/// then tails). Values: integers as <see cref="BigInteger"/> (or any .NET integer), addresses as
/// <see cref="Address"/>, <c>bool</c>, <c>byte[]</c> for bytes and bytesN, <c>string</c>,
/// <see cref="Hash256"/> for bytes32, and <c>IReadOnlyList&lt;object&gt;</c> for arrays and
/// tuples. Decoding returns the same shapes (bytes32 as <c>byte[]</c>) and checks bounds,
/// padding and value ranges.
/// </summary>
public static class AbiCodec
{
    public static byte[] Encode(IReadOnlyList<AbiType> types, IReadOnlyList<object> values)
    {
        var output = new List<byte>(32 * types.Count);
        EncodeTuple(types, values, output);
        return [.. output];
    }

    public static object[] Decode(IReadOnlyList<AbiType> types, ReadOnlySpan<byte> data)
    {
        var result = new object[types.Count];
        int head = 0;
        for (int i = 0; i < types.Count; i++)
        {
            result[i] = DecodeAt(types[i], data, head);
            head += types[i].HeadSize;
        }
        return result;
    }

    private static void EncodeTuple(IReadOnlyList<AbiType> types, IReadOnlyList<object> values, List<byte> output)
    {
        if (types.Count != values.Count) throw new ArgumentException($"expected {types.Count} ABI values, got {values.Count}");
        int headSize = 0;
        foreach (var t in types) headSize += t.HeadSize;
        int start = output.Count;
        var tails = new List<byte>();
        for (int i = 0; i < types.Count; i++)
        {
            if (types[i].IsDynamic)
            {
                WriteWord(output, new BigInteger(headSize + tails.Count));
                EncodeValue(types[i], values[i], tails);
            }
            else
            {
                EncodeValue(types[i], values[i], output);
            }
        }
        output.AddRange(tails);
        _ = start;
    }

    private static void EncodeValue(AbiType type, object value, List<byte> output)
    {
        switch (type.Kind)
        {
            case AbiKind.UInt:
            {
                var v = ToInteger(value);
                if (v.Sign < 0 || v.GetBitLength() > type.Size) throw new ArgumentOutOfRangeException(nameof(value), $"{v} does not fit {type.Name}");
                WriteWord(output, v);
                break;
            }
            case AbiKind.Int:
            {
                var v = ToInteger(value);
                var limit = BigInteger.One << (type.Size - 1);
                if (v < -limit || v >= limit) throw new ArgumentOutOfRangeException(nameof(value), $"{v} does not fit {type.Name}");
                WriteWord(output, v < 0 ? (BigInteger.One << 256) + v : v);
                break;
            }
            case AbiKind.Address:
            {
                var address = value is Address a ? a : Address.Parse((string)value);
                Span<byte> word = stackalloc byte[32];
                address.CopyTo(word[12..]);
                foreach (var b in word) output.Add(b);
                break;
            }
            case AbiKind.Bool:
                WriteWord(output, (bool)value ? BigInteger.One : BigInteger.Zero);
                break;
            case AbiKind.FixedBytes:
            {
                byte[] bytes = value is Hash256 h ? h.ToArray() : (byte[])value;
                if (bytes.Length != type.Size) throw new ArgumentException($"{type.Name} needs {type.Size} bytes, got {bytes.Length}");
                WritePadded(output, bytes);
                break;
            }
            case AbiKind.Bytes:
            case AbiKind.String:
            {
                byte[] bytes = value is string s ? Encoding.UTF8.GetBytes(s) : (byte[])value;
                WriteWord(output, bytes.Length);
                WritePadded(output, bytes);
                break;
            }
            case AbiKind.Array:
            {
                var items = AsList(value);
                WriteWord(output, items.Count);
                EncodeTuple(Repeat(type.Element!, items.Count), items, output);
                break;
            }
            case AbiKind.FixedArray:
            {
                var items = AsList(value);
                if (items.Count != type.Size) throw new ArgumentException($"{type.Name} needs {type.Size} items, got {items.Count}");
                EncodeTuple(Repeat(type.Element!, items.Count), items, output);
                break;
            }
            case AbiKind.Tuple:
                EncodeTuple(type.Components, AsList(value), output);
                break;
        }
    }

    private static object DecodeAt(AbiType type, ReadOnlySpan<byte> data, int position)
    {
        if (!type.IsDynamic) return DecodeValue(type, data, position);
        var offset = ReadWord(data, position);
        if (offset > data.Length) throw new AbiException($"offset {offset} for {type.Name} points past the data ({data.Length} bytes)");
        return DecodeValue(type, data[(int)offset..], 0);
    }

    private static object DecodeValue(AbiType type, ReadOnlySpan<byte> data, int position)
    {
        switch (type.Kind)
        {
            case AbiKind.UInt:
            {
                var v = ReadWord(data, position);
                if (v.GetBitLength() > type.Size) throw new AbiException($"value does not fit {type.Name}");
                return v;
            }
            case AbiKind.Int:
            {
                var v = ReadWord(data, position);
                if (v >= BigInteger.One << 255) v -= BigInteger.One << 256;
                var limit = BigInteger.One << (type.Size - 1);
                if (v < -limit || v >= limit) throw new AbiException($"value does not fit {type.Name}");
                return v;
            }
            case AbiKind.Address:
            {
                var word = Slice(data, position, 32);
                if (word[..12].IndexOfAnyExcept((byte)0) >= 0) throw new AbiException("address word has non-zero high bytes");
                return new Address(word[12..]);
            }
            case AbiKind.Bool:
            {
                var v = ReadWord(data, position);
                return v <= 1 ? v == 1 : throw new AbiException("bool is neither 0 nor 1");
            }
            case AbiKind.FixedBytes:
            {
                var word = Slice(data, position, 32);
                if (word[type.Size..].IndexOfAnyExcept((byte)0) >= 0) throw new AbiException($"{type.Name} has non-zero padding");
                return word[..type.Size].ToArray();
            }
            case AbiKind.Bytes:
            case AbiKind.String:
            {
                int length = ToLength(ReadWord(data, position), data.Length);
                var bytes = Slice(data, position + 32, length).ToArray();
                return type.Kind == AbiKind.String ? Encoding.UTF8.GetString(bytes) : bytes;
            }
            case AbiKind.Array:
            {
                int count = ToLength(ReadWord(data, position), data.Length / 32);
                return DecodeItems(Repeat(type.Element!, count), data[(position + 32)..]);
            }
            case AbiKind.FixedArray:
                return DecodeItems(Repeat(type.Element!, type.Size), data[position..]);
            default:
                return DecodeItems(type.Components, data[position..]);
        }
    }

    private static object[] DecodeItems(IReadOnlyList<AbiType> types, ReadOnlySpan<byte> data) => Decode(types, data);

    private static IReadOnlyList<AbiType> Repeat(AbiType type, int count)
    {
        var list = new AbiType[count];
        Array.Fill(list, type);
        return list;
    }

    private static IReadOnlyList<object> AsList(object value) => value switch
    {
        IReadOnlyList<object> list => list,
        System.Collections.IEnumerable e when value is not string and not byte[] => e.Cast<object>().ToList(),
        _ => throw new ArgumentException($"expected a list for an ABI array or tuple, got {value.GetType().Name}"),
    };

    private static BigInteger ToInteger(object value) => value switch
    {
        BigInteger b => b,
        byte v => v, ushort v => v, uint v => v, ulong v => v,
        sbyte v => v, short v => v, int v => v, long v => v,
        UInt128 v => (BigInteger)v,
        _ => throw new ArgumentException($"expected an integer, got {value.GetType().Name}"),
    };

    private static void WriteWord(List<byte> output, BigInteger value)
    {
        Span<byte> word = stackalloc byte[32];
        word.Clear();
        var bytes = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        if (bytes.Length > 32) throw new ArgumentOutOfRangeException(nameof(value), "value needs more than 32 bytes");
        bytes.CopyTo(word[(32 - bytes.Length)..]);
        foreach (var b in word) output.Add(b);
    }

    private static void WritePadded(List<byte> output, byte[] bytes)
    {
        output.AddRange(bytes);
        int pad = (32 - bytes.Length % 32) % 32;
        for (int i = 0; i < pad; i++) output.Add(0);
    }

    private static BigInteger ReadWord(ReadOnlySpan<byte> data, int position) =>
        new(Slice(data, position, 32), isUnsigned: true, isBigEndian: true);

    private static ReadOnlySpan<byte> Slice(ReadOnlySpan<byte> data, int position, int length)
    {
        if (position < 0 || length < 0 || position + length > data.Length)
            throw new AbiException($"ABI data too short: need {position + length} bytes, have {data.Length}");
        return data.Slice(position, length);
    }

    private static int ToLength(BigInteger value, int limit) =>
        value <= limit ? (int)value : throw new AbiException($"ABI length {value} exceeds the data");
}

public sealed class AbiException(string message) : FormatException(message);
