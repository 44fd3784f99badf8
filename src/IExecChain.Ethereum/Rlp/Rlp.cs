using System.Numerics;

namespace IExecChain.Ethereum.Rlp;

/// <summary>
/// Recursive Length Prefix encoding (Ethereum yellow paper, appendix B). Items are built as
/// <see cref="RlpItem"/> trees; integers are big-endian without leading zeros (zero is the empty
/// string). Decoding is strict: non-canonical lengths, single bytes below 0x80 wrapped in a
/// string header, and trailing bytes are rejected, so every item has exactly one encoding.
/// </summary>
public static class Rlp
{
    public static byte[] Encode(RlpItem item)
    {
        var output = new byte[item.EncodedLength];
        int written = Write(item, output);
        return written == output.Length ? output : throw new InvalidOperationException("RLP length mismatch");
    }

    public static RlpItem Decode(ReadOnlySpan<byte> encoded)
    {
        var item = ReadItem(encoded, out int consumed);
        if (consumed != encoded.Length) throw new RlpException($"{encoded.Length - consumed} trailing bytes after the RLP item");
        return item;
    }

    /// <summary>Minimal big-endian bytes of an unsigned integer (empty for zero).</summary>
    public static byte[] IntegerBytes(BigInteger value)
    {
        if (value.Sign < 0) throw new ArgumentOutOfRangeException(nameof(value), "RLP integers are unsigned");
        return value.IsZero ? [] : value.ToByteArray(isUnsigned: true, isBigEndian: true);
    }

    internal static int HeaderLength(int payloadLength, bool isSingleByte) =>
        isSingleByte ? 0 : payloadLength < 56 ? 1 : 1 + LengthOfLength(payloadLength);

    private static int LengthOfLength(int length)
    {
        int bytes = 0;
        for (uint v = (uint)length; v != 0; v >>= 8) bytes++;
        return bytes;
    }

    private static int Write(RlpItem item, Span<byte> output)
    {
        if (item.IsList)
        {
            int payload = item.PayloadLength;
            int o = WriteHeader(0xc0, payload, output);
            foreach (var child in item.Items) o += Write(child, output[o..]);
            return o;
        }
        var bytes = item.Bytes.Span;
        if (bytes.Length == 1 && bytes[0] < 0x80)
        {
            output[0] = bytes[0];
            return 1;
        }
        int offset = WriteHeader(0x80, bytes.Length, output);
        bytes.CopyTo(output[offset..]);
        return offset + bytes.Length;
    }

    private static int WriteHeader(byte offset, int payloadLength, Span<byte> output)
    {
        if (payloadLength < 56)
        {
            output[0] = (byte)(offset + payloadLength);
            return 1;
        }
        int lengthBytes = LengthOfLength(payloadLength);
        output[0] = (byte)(offset + 55 + lengthBytes);
        for (int i = 0; i < lengthBytes; i++) output[lengthBytes - i] = (byte)(payloadLength >> (8 * i));
        return 1 + lengthBytes;
    }

    private static RlpItem ReadItem(ReadOnlySpan<byte> input, out int consumed)
    {
        if (input.IsEmpty) throw new RlpException("unexpected end of RLP input");
        byte prefix = input[0];
        if (prefix < 0x80)
        {
            consumed = 1;
            return RlpItem.Of(input[..1].ToArray());
        }
        bool isList = prefix >= 0xc0;
        int shortBase = isList ? 0xc0 : 0x80;
        int headerLength, payloadLength;
        if (prefix - shortBase < 56)
        {
            headerLength = 1;
            payloadLength = prefix - shortBase;
        }
        else
        {
            int lengthBytes = prefix - shortBase - 55;
            if (input.Length < 1 + lengthBytes) throw new RlpException("RLP length runs past the input");
            if (input[1] == 0) throw new RlpException("RLP length has leading zeros");
            if (lengthBytes > 4) throw new RlpException("RLP length does not fit in 32 bits");
            long length = 0;
            for (int i = 0; i < lengthBytes; i++) length = (length << 8) | input[1 + i];
            if (length < 56) throw new RlpException("RLP long form used for a length below 56");
            if (length > int.MaxValue) throw new RlpException("RLP length too large");
            headerLength = 1 + lengthBytes;
            payloadLength = (int)length;
        }
        if (input.Length - headerLength < payloadLength) throw new RlpException("RLP item runs past the input");
        var payload = input.Slice(headerLength, payloadLength);
        consumed = headerLength + payloadLength;
        if (!isList)
        {
            if (payloadLength == 1 && payload[0] < 0x80) throw new RlpException("single byte below 0x80 must not have a string header");
            return RlpItem.Of(payload.ToArray());
        }
        var items = new List<RlpItem>();
        while (!payload.IsEmpty)
        {
            items.Add(ReadItem(payload, out int used));
            payload = payload[used..];
        }
        return RlpItem.List(items);
    }
}

public sealed class RlpException(string message) : FormatException(message);
