using System.Buffers.Binary;
using IExecChain.Core.Crypto;

namespace IExecChain.Core.Primitives;

/// <summary>A 20-byte Ethereum-style account address.</summary>
public readonly struct Address : IEquatable<Address>, IComparable<Address>
{
    public const int Size = 20;
    private readonly ulong _u0, _u1;
    private readonly uint _u2;

    public static readonly Address Zero;

    public Address(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size) throw new ArgumentException($"an address is {Size} bytes, got {bytes.Length}", nameof(bytes));
        _u0 = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _u1 = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        _u2 = BinaryPrimitives.ReadUInt32BigEndian(bytes[16..]);
    }

    public bool IsZero => (_u0 | _u1 | _u2) == 0;

    /// <summary>Address of an uncompressed public key given without its 0x04 prefix (64 bytes).</summary>
    public static Address FromPublicKey(ReadOnlySpan<byte> publicKey64)
    {
        if (publicKey64.Length != 64) throw new ArgumentException("public key must be 64 bytes (no 0x04 prefix)", nameof(publicKey64));
        Span<byte> hash = stackalloc byte[32];
        Keccak256.Hash(publicKey64, hash);
        return new Address(hash[12..]);
    }

    public void CopyTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _u0);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _u1);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], _u2);
    }

    public byte[] ToArray()
    {
        var bytes = new byte[Size];
        CopyTo(bytes);
        return bytes;
    }

    public static Address Parse(string hex)
    {
        if (!TryParse(hex, out var address, out var error)) throw new FormatException(error);
        return address;
    }

    public static bool TryParse(string? hex, out Address address) => TryParse(hex, out address, out _);

    public static bool TryParse(string? hex, out Address address, out string? error)
    {
        address = default;
        if (!Hex.TryDecode(hex, out var bytes, out error)) return false;
        if (bytes.Length != Size) { error = $"an address is {Size} bytes, got {bytes.Length}"; return false; }
        address = new Address(bytes);
        return true;
    }

    /// <summary>EIP-55 mixed-case checksum encoding.</summary>
    public string ToChecksumString()
    {
        Span<byte> raw = stackalloc byte[Size];
        CopyTo(raw);
        string lower = Convert.ToHexStringLower(raw);
        Span<byte> ascii = stackalloc byte[40];
        for (int i = 0; i < 40; i++) ascii[i] = (byte)lower[i];
        Span<byte> hash = stackalloc byte[32];
        Keccak256.Hash(ascii, hash);
        Span<char> chars = stackalloc char[42];
        chars[0] = '0'; chars[1] = 'x';
        for (int i = 0; i < 40; i++)
        {
            int nibble = (hash[i / 2] >> (i % 2 == 0 ? 4 : 0)) & 0xF;
            char c = lower[i];
            chars[i + 2] = nibble >= 8 && c >= 'a' ? char.ToUpperInvariant(c) : c;
        }
        return new string(chars);
    }

    public bool Equals(Address other) => _u0 == other._u0 && _u1 == other._u1 && _u2 == other._u2;
    public override bool Equals(object? obj) => obj is Address a && Equals(a);
    public override int GetHashCode() => HashCode.Combine(_u0, _u1, _u2);

    public int CompareTo(Address other)
    {
        int c = _u0.CompareTo(other._u0);
        if (c != 0) return c;
        c = _u1.CompareTo(other._u1);
        return c != 0 ? c : _u2.CompareTo(other._u2);
    }

    public static bool operator ==(Address a, Address b) => a.Equals(b);
    public static bool operator !=(Address a, Address b) => !a.Equals(b);
    public static bool operator <(Address a, Address b) => a.CompareTo(b) < 0;
    public static bool operator >(Address a, Address b) => a.CompareTo(b) > 0;
    public static bool operator <=(Address a, Address b) => a.CompareTo(b) <= 0;
    public static bool operator >=(Address a, Address b) => a.CompareTo(b) >= 0;

    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Size];
        CopyTo(bytes);
        return Hex.Encode(bytes);
    }
}
