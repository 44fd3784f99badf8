using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace IExecChain.Core.Primitives;

/// <summary>A 32-byte Keccak-256 digest, held as four big-endian words so comparison is byte order.</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly struct Hash256 : IEquatable<Hash256>, IComparable<Hash256>
{
    public const int Size = 32;
    private readonly ulong _u0, _u1, _u2, _u3;

    public static readonly Hash256 Zero;

    public Hash256(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size) throw new ArgumentException($"a hash is {Size} bytes, got {bytes.Length}", nameof(bytes));
        _u0 = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _u1 = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        _u2 = BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]);
        _u3 = BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]);
    }

    public bool IsZero => (_u0 | _u1 | _u2 | _u3) == 0;

    public void CopyTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _u0);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _u1);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], _u2);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], _u3);
    }

    public byte[] ToArray()
    {
        var bytes = new byte[Size];
        CopyTo(bytes);
        return bytes;
    }

    /// <summary>Bit <paramref name="index"/> counted from the most significant bit of byte 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Bit(int index)
    {
        ulong word = (index >> 6) switch { 0 => _u0, 1 => _u1, 2 => _u2, _ => _u3 };
        return (int)((word >> (63 - (index & 63))) & 1);
    }

    public static Hash256 Parse(string hex)
    {
        var bytes = Hex.Decode(hex);
        if (bytes.Length != Size) throw new FormatException($"a hash is {Size} bytes, got {bytes.Length}");
        return new Hash256(bytes);
    }

    public static bool TryParse(string? hex, out Hash256 hash)
    {
        hash = default;
        if (!Hex.TryDecode(hex, out var bytes, out _) || bytes.Length != Size) return false;
        hash = new Hash256(bytes);
        return true;
    }

    public bool Equals(Hash256 other) => _u0 == other._u0 && _u1 == other._u1 && _u2 == other._u2 && _u3 == other._u3;
    public override bool Equals(object? obj) => obj is Hash256 h && Equals(h);
    public override int GetHashCode() => (int)_u3 ^ (int)(_u3 >> 32);

    public int CompareTo(Hash256 other)
    {
        int c = _u0.CompareTo(other._u0);
        if (c != 0) return c;
        c = _u1.CompareTo(other._u1);
        if (c != 0) return c;
        c = _u2.CompareTo(other._u2);
        return c != 0 ? c : _u3.CompareTo(other._u3);
    }

    public static bool operator ==(Hash256 a, Hash256 b) => a.Equals(b);
    public static bool operator !=(Hash256 a, Hash256 b) => !a.Equals(b);
    public static bool operator <(Hash256 a, Hash256 b) => a.CompareTo(b) < 0;
    public static bool operator >(Hash256 a, Hash256 b) => a.CompareTo(b) > 0;
    public static bool operator <=(Hash256 a, Hash256 b) => a.CompareTo(b) <= 0;
    public static bool operator >=(Hash256 a, Hash256 b) => a.CompareTo(b) >= 0;

    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Size];
        CopyTo(bytes);
        return Hex.Encode(bytes);
    }
}
